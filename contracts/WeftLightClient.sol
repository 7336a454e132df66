// SPDX-License-Identifier: Apache-2.0
// A light client of Weft domains on an EVM chain: follows each registered domain's signed
// headers (t-of-n ecrecover, continuity, height and timestamp order), keeps the state roots of
// its last 256 heights, freezes it on equivocation, and verifies `weft` tree proofs under those
// roots. ABI and encodings: docs/evm.md.
pragma solidity 0.8.37;

import {WeftHeader} from "./WeftHeader.sol";
import {WeftKeySet} from "./WeftKeySet.sol";
import {WeftProof} from "./WeftProof.sol";

contract WeftLightClient {
    /// Heights whose state roots (and timestamps) are kept per domain.
    uint256 public constant ROOT_WINDOW = 256;
    /// Most headers one `submitHeaders` call takes.
    uint256 public constant BATCH_HEADERS_MAX = 64;
    /// SHA256 of the tree key of a domain's key set, 0x05 ‖ "keyset" (KEYSET_TREE_KEY in src/domain).
    bytes32 internal constant KEYSET_KEY_HASH = 0x33f65cd821727db9664b9034f872729c269acdac0b3d0f8b2e54da486d3989e5;

    // A domain's hot state in one slot, so accepting a header reads and writes it once:
    // bits 0..63 latest height, 64..127 latest timestamp, 128..135 threshold, 136..143 key
    // count, 144 registered, 145 frozen, 160..223 the first height of this registration.
    uint256 private constant META_TIMESTAMP_SHIFT = 64;
    uint256 private constant META_THRESHOLD_SHIFT = 128;
    uint256 private constant META_KEYS_SHIFT = 136;
    uint256 private constant META_REGISTERED = 1 << 144;
    uint256 private constant META_FROZEN = 1 << 145;
    uint256 private constant META_FIRST_SHIFT = 160;
    uint256 private constant U64_MASK = type(uint64).max;
    /// Timestamps are packed four to a slot.
    uint256 private constant TIME_SLOTS = ROOT_WINDOW / 4;
    /// What registration writes into every window slot: any nonzero word (EIP-2200 prices a
    /// write to a zero slot at 20,000 gas and to a nonzero one at 2,900, so accepting a header
    /// then never pays for a fresh slot). Never read: the window check comes first.
    uint256 private constant SLOT_PREPAID = 1;

    /// Everything kept per domain, in consecutive slots from one keccak.
    struct DomainState {
        uint256 meta;
        bytes32 latestHash;
        /// The first height the current key set signs (its record's block + 1).
        uint256 keySetFrom;
        address[64] signers;
        bytes32[ROOT_WINDOW] roots;
        uint256[TIME_SLOTS] times;
    }

    address public owner;
    mapping(bytes32 => DomainState) private _domains;

    event DomainRegistered(bytes32 indexed domainId, uint64 indexed height, bytes32 stateRoot);
    event HeaderAccepted(bytes32 indexed domainId, uint64 indexed height, bytes32 stateRoot);
    event KeySetChanged(bytes32 indexed domainId, uint64 fromHeight, uint8 threshold, address[] signers);
    event DomainFrozen(bytes32 indexed domainId, uint64 indexed height, bytes32 headerHashA, bytes32 headerHashB);
    event OwnerChanged(address owner);

    error NotOwner();
    error UnknownDomain(bytes32 domainId);
    error AlreadyRegistered(bytes32 domainId);
    error DomainIsFrozen(bytes32 domainId);
    error WrongDomain(bytes32 expected, bytes32 got);
    error StaleHeader(uint64 latest, uint64 got);
    error HeightGap(uint64 next, uint64 got);
    error NotContinuous();
    error TimestampBackwards(uint64 latest, uint64 got);
    error ThresholdNotMet(uint256 valid, uint256 threshold);
    error BadSigners();
    error BadBatch();
    error BadProof();
    error NotMisbehaviour();
    error UnknownKeySet(uint64 height, uint64 keySetFrom);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor() {
        owner = msg.sender;
    }

    function transferOwnership(address next) external onlyOwner {
        owner = next;
        emit OwnerChanged(next);
    }

    /**
     * Starts following a domain from a header the owner trusts (its genesis, or any later
     * header as a checkpoint), signed by `signers` (in key-set order: index i is key i) with
     * `threshold`. A frozen domain may be registered again: the owner's re-initialisation.
     * The first registration prepays the window's storage (about 7.2 million gas, once per
     * domain) so that every accepted header costs the same.
     */
    function registerDomain(bytes32 domainId, bytes calldata genesisHeader, address[] calldata signers, uint8 threshold)
        external
        onlyOwner
    {
        DomainState storage d = _domains[domainId];
        uint256 meta = d.meta;
        if (meta & META_REGISTERED != 0 && meta & META_FROZEN == 0) revert AlreadyRegistered(domainId);
        WeftHeader.Fields memory f = WeftHeader.decode(genesisHeader);
        if (f.domain != domainId) revert WrongDomain(domainId, f.domain);
        _setSigners(d, signers, threshold);
        if (meta & META_REGISTERED == 0) {
            for (uint256 i = 0; i < ROOT_WINDOW; i++) d.roots[i] = bytes32(SLOT_PREPAID);
            for (uint256 i = 0; i < TIME_SLOTS; i++) d.times[i] = SLOT_PREPAID;
        }
        d.meta = uint256(f.height) | (uint256(f.timestamp) << META_TIMESTAMP_SHIFT)
            | (uint256(threshold) << META_THRESHOLD_SHIFT) | (signers.length << META_KEYS_SHIFT) | META_REGISTERED
            | (uint256(f.height) << META_FIRST_SHIFT);
        d.latestHash = WeftHeader.hash(genesisHeader);
        d.keySetFrom = f.height;
        _record(d, f.height, f.stateRoot, f.timestamp);
        emit DomainRegistered(domainId, f.height, f.stateRoot);
    }

    /// Accepts the next header of a domain; reverts with the rule it breaks (docs/evm.md).
    function submitHeader(bytes calldata header, bytes calldata signatures) external {
        if (header.length != WeftHeader.HEADER_BYTES) revert WeftHeader.BadHeader();
        bytes32 domainId = bytes32(header[1:33]);
        DomainState storage d = _domains[domainId];
        uint256 meta = _live(d, domainId);
        (d.meta, d.latestHash) = _accept(d, domainId, meta, d.latestHash, header, signatures);
    }

    /**
     * Accepts consecutive headers of one domain in one transaction, each checked exactly as by
     * `submitHeader`; the domain's state is read and written once for the batch.
     */
    function submitHeaders(bytes[] calldata headers, bytes[] calldata signatures) external {
        uint256 n = headers.length;
        if (n == 0 || n > BATCH_HEADERS_MAX || signatures.length != n) revert BadBatch();
        if (headers[0].length != WeftHeader.HEADER_BYTES) revert WeftHeader.BadHeader();
        bytes32 domainId = bytes32(headers[0][1:33]);
        DomainState storage d = _domains[domainId];
        uint256 meta = _live(d, domainId);
        bytes32 latest = d.latestHash;
        for (uint256 i = 0; i < n; i++) {
            (meta, latest) = _accept(d, domainId, meta, latest, headers[i], signatures[i]);
        }
        d.meta = meta;
        d.latestHash = latest;
    }

    /**
     * Follows a key-set change: `keySet` is the encoded set recorded at `0x05 ‖ "keyset"` under
     * the latest accepted root, proven by `proof`; it signs every header from the next height.
     * Proving the set already in force changes nothing.
     */
    function updateKeySet(bytes32 domainId, bytes calldata keySet, bytes calldata proof) external {
        DomainState storage d = _domains[domainId];
        uint256 meta = _live(d, domainId);
        uint64 height = uint64(meta & U64_MASK);
        bytes32 root = d.roots[height % ROOT_WINDOW];
        if (!WeftProof.verify(root, KEYSET_KEY_HASH, sha256(keySet), true, proof)) revert BadProof();
        (uint8 threshold, address[] memory signers) = WeftKeySet.decode(keySet);
        // The set already in force changes nothing: in particular it does not move `keySetFrom`,
        // which would let anyone put earlier heights out of reach of misbehaviour evidence.
        if (_sameKeySet(d, meta, threshold, signers)) return;
        for (uint256 i = 0; i < signers.length; i++) d.signers[i] = signers[i];
        meta &= ~(uint256(0xffff) << META_THRESHOLD_SHIFT);
        d.meta = meta | (uint256(threshold) << META_THRESHOLD_SHIFT) | (signers.length << META_KEYS_SHIFT);
        d.keySetFrom = height + 1;
        emit KeySetChanged(domainId, height + 1, threshold, signers);
    }

    /**
     * Two validly signed, different headers of one domain for one height freeze it: from then
     * on it accepts no header and verifies no proof, until the owner registers it again. Both
     * are checked against the current key set, so the height must be one it signs.
     */
    function submitMisbehaviour(
        bytes calldata headerA,
        bytes calldata signaturesA,
        bytes calldata headerB,
        bytes calldata signaturesB
    ) external {
        (bytes32 domainId, uint64 height) = _sameHeight(headerA, headerB);
        DomainState storage d = _domains[domainId];
        uint256 meta = _live(d, domainId);
        if (height < d.keySetFrom) revert UnknownKeySet(height, uint64(d.keySetFrom));
        bytes32 hashA = _signedHash(d, meta, headerA, signaturesA);
        bytes32 hashB = _signedHash(d, meta, headerB, signaturesB);
        if (hashA == hashB) revert NotMisbehaviour();
        d.meta = meta | META_FROZEN;
        emit DomainFrozen(domainId, height, hashA, hashB);
    }

    function _sameHeight(bytes calldata headerA, bytes calldata headerB) private pure returns (bytes32, uint64) {
        WeftHeader.Fields memory a = WeftHeader.decode(headerA);
        WeftHeader.Fields memory b = WeftHeader.decode(headerB);
        if (a.domain != b.domain) revert WrongDomain(a.domain, b.domain);
        if (a.height != b.height) revert NotMisbehaviour();
        return (a.domain, a.height);
    }

    function _signedHash(DomainState storage d, uint256 meta, bytes calldata header, bytes calldata signatures)
        private
        view
        returns (bytes32 h)
    {
        h = WeftHeader.hash(header);
        _checkThreshold(d, meta, h, signatures);
    }

    function frozen(bytes32 domainId) external view returns (bool) {
        return _domains[domainId].meta & META_FROZEN != 0;
    }

    function registered(bytes32 domainId) external view returns (bool) {
        return _domains[domainId].meta & META_REGISTERED != 0;
    }

    function latestHeight(bytes32 domainId) external view returns (uint64) {
        return uint64(_domains[domainId].meta & U64_MASK);
    }

    function latestHeaderHash(bytes32 domainId) external view returns (bytes32) {
        return _domains[domainId].latestHash;
    }

    /// The current key set: signer addresses in key-set order, the threshold, and the first height it signs.
    function keySet(bytes32 domainId) external view returns (address[] memory signers, uint8 threshold, uint64 fromHeight) {
        DomainState storage d = _domains[domainId];
        uint256 meta = d.meta;
        uint256 n = uint8(meta >> META_KEYS_SHIFT);
        signers = new address[](n);
        for (uint256 i = 0; i < n; i++) signers[i] = d.signers[i];
        threshold = uint8(meta >> META_THRESHOLD_SHIFT);
        fromHeight = uint64(d.keySetFrom);
    }

    /// The state root accepted at `height`; zero when unknown, outside the window, or the domain is frozen.
    function stateRoot(bytes32 domainId, uint64 height) public view returns (bytes32) {
        DomainState storage d = _domains[domainId];
        if (!_inWindow(d.meta, height)) return bytes32(0);
        return d.roots[height % ROOT_WINDOW];
    }

    /// The timestamp (ms) of the header accepted at `height`; zero when `stateRoot` would be.
    function headerTimestamp(bytes32 domainId, uint64 height) public view returns (uint64) {
        DomainState storage d = _domains[domainId];
        if (!_inWindow(d.meta, height)) return 0;
        uint256 i = height % ROOT_WINDOW;
        return uint64(d.times[i / 4] >> ((i % 4) * 64));
    }

    /// `stateRoot` and `headerTimestamp` in one call (zeros when unknown).
    function headerAt(bytes32 domainId, uint64 height) external view returns (bytes32 root, uint64 timestamp) {
        return (stateRoot(domainId, height), headerTimestamp(domainId, height));
    }

    /// Whether `key -> value` is in the domain's tree at `height`; false for any proof that does not show it.
    function verifyMembership(bytes32 domainId, uint64 height, bytes calldata key, bytes calldata value, bytes calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = stateRoot(domainId, height);
        if (root == bytes32(0)) return false;
        return WeftProof.verify(root, WeftProof.sha256Calldata(key), WeftProof.sha256Calldata(value), true, proof);
    }

    /// Whether `key` is absent from the domain's tree at `height`; false for any proof that does not show it.
    function verifyNonMembership(bytes32 domainId, uint64 height, bytes calldata key, bytes calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = stateRoot(domainId, height);
        if (root == bytes32(0)) return false;
        return WeftProof.verify(root, WeftProof.sha256Calldata(key), bytes32(0), false, proof);
    }

    /// The bare verifier against a caller's root (member: `key -> value`; otherwise `key` absent).
    function verifyProof(bytes32 root, bytes calldata key, bytes calldata value, bool member, bytes calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 valueHash = member ? WeftProof.sha256Calldata(value) : bytes32(0);
        return WeftProof.verify(root, WeftProof.sha256Calldata(key), valueHash, member, proof);
    }

    function _live(DomainState storage d, bytes32 domainId) private view returns (uint256 meta) {
        meta = d.meta;
        if (meta & META_REGISTERED == 0) revert UnknownDomain(domainId);
        if (meta & META_FROZEN != 0) revert DomainIsFrozen(domainId);
    }

    function _inWindow(uint256 meta, uint64 height) private pure returns (bool) {
        if (meta & META_REGISTERED == 0 || meta & META_FROZEN != 0) return false;
        uint64 latest = uint64(meta & U64_MASK);
        if (height > latest || latest - height >= ROOT_WINDOW) return false;
        return height >= uint64(meta >> META_FIRST_SHIFT);
    }

    /// Checks the next header against the domain's state in memory and records it; returns the new state.
    function _accept(
        DomainState storage d,
        bytes32 domainId,
        uint256 meta,
        bytes32 latest,
        bytes calldata header,
        bytes calldata signatures
    ) private returns (uint256, bytes32) {
        (uint64 height, bytes32 root, uint64 time) = _checkNext(domainId, meta, latest, header);
        bytes32 h = WeftHeader.hash(header);
        _checkThreshold(d, meta, h, signatures);
        _record(d, height, root, time);
        emit HeaderAccepted(domainId, height, root);
        meta = (meta & ~(U64_MASK | (U64_MASK << META_TIMESTAMP_SHIFT))) | height
            | (uint256(time) << META_TIMESTAMP_SHIFT);
        return (meta, h);
    }

    /// The rules a next header must meet before its signatures are checked: its format and
    /// domain, the next height, continuity, a timestamp not before the latest.
    function _checkNext(bytes32 domainId, uint256 meta, bytes32 latest, bytes calldata header)
        private
        pure
        returns (uint64 height, bytes32 root, uint64 time)
    {
        if (header.length != WeftHeader.HEADER_BYTES) revert WeftHeader.BadHeader();
        uint256 format;
        bytes32 domain;
        bytes32 prevHash;
        assembly ("memory-safe") {
            let p := header.offset
            format := byte(0, calldataload(p))
            domain := calldataload(add(p, 1))
            height := shr(192, calldataload(add(p, 33)))
            prevHash := calldataload(add(p, 41))
            root := calldataload(add(p, 73))
            time := shr(192, calldataload(add(p, 137)))
        }
        if (format != WeftHeader.HEADER_FORMAT) revert WeftHeader.BadHeader();
        if (domain != domainId) revert WrongDomain(domainId, domain);
        uint64 latestHeight_ = uint64(meta & U64_MASK);
        if (height <= latestHeight_) revert StaleHeader(latestHeight_, height);
        if (height != latestHeight_ + 1) revert HeightGap(latestHeight_ + 1, height);
        if (prevHash != latest) revert NotContinuous();
        if (time < uint64(meta >> META_TIMESTAMP_SHIFT)) {
            revert TimestampBackwards(uint64(meta >> META_TIMESTAMP_SHIFT), time);
        }
    }

    function _checkThreshold(DomainState storage d, uint256 meta, bytes32 headerHash, bytes calldata signatures)
        private
        view
    {
        uint256 threshold = uint8(meta >> META_THRESHOLD_SHIFT);
        uint256 keys = uint8(meta >> META_KEYS_SHIFT);
        uint256 signersSlot;
        address[64] storage signers = d.signers;
        assembly ("memory-safe") {
            signersSlot := signers.slot
        }
        uint256 valid = WeftHeader.countSigners(headerHash, signatures, signersSlot, keys, threshold);
        if (valid < threshold) revert ThresholdNotMet(valid, threshold);
    }

    /// Keeps a header's root and timestamp in the window slot of its height.
    function _record(DomainState storage d, uint64 height, bytes32 root, uint64 time) private {
        uint256 i = height % ROOT_WINDOW;
        d.roots[i] = root;
        uint256 shift = (i % 4) * 64;
        uint256 slot = i / 4;
        d.times[slot] = (d.times[slot] & ~(U64_MASK << shift)) | (uint256(time) << shift);
    }

    function _sameKeySet(DomainState storage d, uint256 meta, uint8 threshold, address[] memory signers)
        private
        view
        returns (bool)
    {
        if (uint8(meta >> META_THRESHOLD_SHIFT) != threshold || uint8(meta >> META_KEYS_SHIFT) != signers.length) {
            return false;
        }
        for (uint256 i = 0; i < signers.length; i++) if (d.signers[i] != signers[i]) return false;
        return true;
    }

    function _setSigners(DomainState storage d, address[] calldata signers, uint8 threshold) private {
        uint256 n = signers.length;
        if (n == 0 || n > WeftHeader.KEYS_MAX || threshold == 0 || threshold > n) revert BadSigners();
        for (uint256 i = 0; i < n; i++) {
            if (signers[i] == address(0)) revert BadSigners();
            for (uint256 j = 0; j < i; j++) if (signers[j] == signers[i]) revert BadSigners();
            d.signers[i] = signers[i];
        }
    }
}
