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
    // count, 144 registered, 145 frozen.
    uint256 private constant META_TIMESTAMP_SHIFT = 64;
    uint256 private constant META_THRESHOLD_SHIFT = 128;
    uint256 private constant META_KEYS_SHIFT = 136;
    uint256 private constant META_REGISTERED = 1 << 144;
    uint256 private constant META_FROZEN = 1 << 145;
    uint256 private constant U64_MASK = type(uint64).max;
    /// Timestamps are packed four to a slot; slots are written nonzero at registration so that
    /// accepting a header never pays for a fresh slot there.
    uint256 private constant TIME_SLOTS = ROOT_WINDOW / 4;
    uint256 private constant TIME_SLOT_INIT = 1;

    address public owner;

    mapping(bytes32 => uint256) private _meta;
    mapping(bytes32 => bytes32) private _latestHash;
    /// The first height of the window that belongs to the current registration.
    mapping(bytes32 => uint64) private _firstHeight;
    /// The first height the current key set signs (the record's block + 1).
    mapping(bytes32 => uint64) private _keySetFrom;
    mapping(bytes32 => mapping(uint256 => address)) private _signers;
    mapping(bytes32 => bytes32[ROOT_WINDOW]) private _roots;
    mapping(bytes32 => uint256[TIME_SLOTS]) private _times;

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
     */
    function registerDomain(bytes32 domainId, bytes calldata genesisHeader, address[] calldata signers, uint8 threshold)
        external
        onlyOwner
    {
        uint256 meta = _meta[domainId];
        if (meta & META_REGISTERED != 0 && meta & META_FROZEN == 0) revert AlreadyRegistered(domainId);
        WeftHeader.Fields memory f = WeftHeader.decode(genesisHeader);
        if (f.domain != domainId) revert WrongDomain(domainId, f.domain);
        _setSigners(domainId, signers, threshold);
        if (meta & META_REGISTERED == 0) {
            uint256[TIME_SLOTS] storage times = _times[domainId];
            for (uint256 i = 0; i < TIME_SLOTS; i++) times[i] = TIME_SLOT_INIT;
        }
        _meta[domainId] = uint256(f.height) | (uint256(f.timestamp) << META_TIMESTAMP_SHIFT)
            | (uint256(threshold) << META_THRESHOLD_SHIFT) | (signers.length << META_KEYS_SHIFT) | META_REGISTERED;
        _latestHash[domainId] = WeftHeader.hash(genesisHeader);
        _firstHeight[domainId] = f.height;
        _keySetFrom[domainId] = f.height;
        _record(domainId, f);
        emit DomainRegistered(domainId, f.height, f.stateRoot);
    }

    /// Accepts the next header of a domain; reverts with the rule it breaks (docs/evm.md).
    function submitHeader(bytes calldata header, bytes calldata signatures) external {
        bytes32 domainId = bytes32(header[1:33]);
        uint256 meta = _live(domainId);
        bytes32 latest = _latestHash[domainId];
        (meta, latest) = _accept(domainId, meta, latest, header, signatures);
        _meta[domainId] = meta;
        _latestHash[domainId] = latest;
    }

    /**
     * Accepts consecutive headers of one domain in one transaction, each checked exactly as by
     * `submitHeader`; the domain's state is read and written once for the batch.
     */
    function submitHeaders(bytes[] calldata headers, bytes[] calldata signatures) external {
        uint256 n = headers.length;
        if (n == 0 || n > BATCH_HEADERS_MAX || signatures.length != n) revert BadBatch();
        bytes32 domainId = bytes32(headers[0][1:33]);
        uint256 meta = _live(domainId);
        bytes32 latest = _latestHash[domainId];
        for (uint256 i = 0; i < n; i++) {
            (meta, latest) = _accept(domainId, meta, latest, headers[i], signatures[i]);
        }
        _meta[domainId] = meta;
        _latestHash[domainId] = latest;
    }

    /**
     * Follows a key-set change: `keySet` is the encoded set recorded at `0x05 ‖ "keyset"` under
     * the latest accepted root, proven by `proof`; it signs every header from the next height.
     */
    function updateKeySet(bytes32 domainId, bytes calldata keySet, bytes calldata proof) external {
        uint256 meta = _live(domainId);
        uint64 height = uint64(meta & U64_MASK);
        bytes32 root = _roots[domainId][height % ROOT_WINDOW];
        if (!WeftProof.verify(root, KEYSET_KEY_HASH, sha256(keySet), true, proof)) revert BadProof();
        (uint8 threshold, address[] memory signers) = WeftKeySet.decode(keySet);
        for (uint256 i = 0; i < signers.length; i++) _signers[domainId][i] = signers[i];
        meta &= ~((uint256(0xffff)) << META_THRESHOLD_SHIFT);
        _meta[domainId] = meta | (uint256(threshold) << META_THRESHOLD_SHIFT) | (signers.length << META_KEYS_SHIFT);
        _keySetFrom[domainId] = height + 1;
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
        WeftHeader.Fields memory a = WeftHeader.decode(headerA);
        WeftHeader.Fields memory b = WeftHeader.decode(headerB);
        if (a.domain != b.domain) revert WrongDomain(a.domain, b.domain);
        if (a.height != b.height) revert NotMisbehaviour();
        uint256 meta = _live(a.domain);
        uint64 from = _keySetFrom[a.domain];
        if (a.height < from) revert UnknownKeySet(a.height, from);
        bytes32 hashA = WeftHeader.hash(headerA);
        bytes32 hashB = WeftHeader.hash(headerB);
        if (hashA == hashB) revert NotMisbehaviour();
        _checkThreshold(a.domain, meta, hashA, signaturesA);
        _checkThreshold(a.domain, meta, hashB, signaturesB);
        _meta[a.domain] = meta | META_FROZEN;
        emit DomainFrozen(a.domain, a.height, hashA, hashB);
    }

    function frozen(bytes32 domainId) external view returns (bool) {
        return _meta[domainId] & META_FROZEN != 0;
    }

    function registered(bytes32 domainId) external view returns (bool) {
        return _meta[domainId] & META_REGISTERED != 0;
    }

    function latestHeight(bytes32 domainId) external view returns (uint64) {
        return uint64(_meta[domainId] & U64_MASK);
    }

    function latestHeaderHash(bytes32 domainId) external view returns (bytes32) {
        return _latestHash[domainId];
    }

    /// The current key set: signer addresses in key-set order, the threshold, and the first height it signs.
    function keySet(bytes32 domainId) external view returns (address[] memory signers, uint8 threshold, uint64 fromHeight) {
        uint256 meta = _meta[domainId];
        uint256 n = uint8(meta >> META_KEYS_SHIFT);
        signers = new address[](n);
        for (uint256 i = 0; i < n; i++) signers[i] = _signers[domainId][i];
        threshold = uint8(meta >> META_THRESHOLD_SHIFT);
        fromHeight = _keySetFrom[domainId];
    }

    /// The state root accepted at `height`; zero when unknown, outside the window, or the domain is frozen.
    function stateRoot(bytes32 domainId, uint64 height) public view returns (bytes32) {
        if (!_inWindow(domainId, height)) return bytes32(0);
        return _roots[domainId][height % ROOT_WINDOW];
    }

    /// The timestamp (ms) of the header accepted at `height`; zero when `stateRoot` would be.
    function headerTimestamp(bytes32 domainId, uint64 height) external view returns (uint64) {
        if (!_inWindow(domainId, height)) return 0;
        uint256 i = height % ROOT_WINDOW;
        return uint64(_times[domainId][i / 4] >> ((i % 4) * 64));
    }

    /// Whether `key -> value` is in the domain's tree at `height`; false for any proof that does not show it.
    function verifyMembership(bytes32 domainId, uint64 height, bytes calldata key, bytes calldata value, bytes calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = stateRoot(domainId, height);
        if (root == bytes32(0)) return false;
        return WeftProof.verify(root, sha256(key), sha256(value), true, proof);
    }

    /// Whether `key` is absent from the domain's tree at `height`; false for any proof that does not show it.
    function verifyNonMembership(bytes32 domainId, uint64 height, bytes calldata key, bytes calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = stateRoot(domainId, height);
        if (root == bytes32(0)) return false;
        return WeftProof.verify(root, sha256(key), bytes32(0), false, proof);
    }

    /// The bare verifier against a caller's root (member: `key -> value`; otherwise `key` absent).
    function verifyProof(bytes32 root, bytes calldata key, bytes calldata value, bool member, bytes calldata proof)
        external
        view
        returns (bool)
    {
        return WeftProof.verify(root, sha256(key), member ? sha256(value) : bytes32(0), member, proof);
    }

    function _live(bytes32 domainId) private view returns (uint256 meta) {
        meta = _meta[domainId];
        if (meta & META_REGISTERED == 0) revert UnknownDomain(domainId);
        if (meta & META_FROZEN != 0) revert DomainIsFrozen(domainId);
    }

    function _inWindow(bytes32 domainId, uint64 height) private view returns (bool) {
        uint256 meta = _meta[domainId];
        if (meta & META_REGISTERED == 0 || meta & META_FROZEN != 0) return false;
        uint64 latest = uint64(meta & U64_MASK);
        if (height > latest || latest - height >= ROOT_WINDOW) return false;
        return height >= _firstHeight[domainId];
    }

    /// Checks the next header against the domain's state in memory and records it; returns the new state.
    function _accept(bytes32 domainId, uint256 meta, bytes32 latest, bytes calldata header, bytes calldata signatures)
        private
        returns (uint256, bytes32)
    {
        WeftHeader.Fields memory f = WeftHeader.decode(header);
        if (f.domain != domainId) revert WrongDomain(domainId, f.domain);
        uint64 height = uint64(meta & U64_MASK);
        if (f.height <= height) revert StaleHeader(height, f.height);
        if (f.height != height + 1) revert HeightGap(height + 1, f.height);
        if (f.prevHash != latest) revert NotContinuous();
        uint64 time = uint64(meta >> META_TIMESTAMP_SHIFT);
        if (f.timestamp < time) revert TimestampBackwards(time, f.timestamp);
        bytes32 h = WeftHeader.hash(header);
        _checkThreshold(domainId, meta, h, signatures);
        _record(domainId, f);
        emit HeaderAccepted(domainId, f.height, f.stateRoot);
        meta = (meta & ~(U64_MASK | (U64_MASK << META_TIMESTAMP_SHIFT))) | f.height
            | (uint256(f.timestamp) << META_TIMESTAMP_SHIFT);
        return (meta, h);
    }

    function _checkThreshold(bytes32 domainId, uint256 meta, bytes32 headerHash, bytes calldata signatures)
        private
        view
    {
        uint256 threshold = uint8(meta >> META_THRESHOLD_SHIFT);
        uint256 keys = uint8(meta >> META_KEYS_SHIFT);
        uint256 valid = WeftHeader.countSigners(headerHash, signatures, _signers[domainId], keys, threshold);
        if (valid < threshold) revert ThresholdNotMet(valid, threshold);
    }

    /// Keeps the header's root and timestamp in the window slot of its height.
    function _record(bytes32 domainId, WeftHeader.Fields memory f) private {
        uint256 i = f.height % ROOT_WINDOW;
        _roots[domainId][i] = f.stateRoot;
        uint256 shift = (i % 4) * 64;
        uint256[TIME_SLOTS] storage times = _times[domainId];
        times[i / 4] = (times[i / 4] & ~(U64_MASK << shift)) | (uint256(f.timestamp) << shift);
    }

    function _setSigners(bytes32 domainId, address[] calldata signers, uint8 threshold) private {
        uint256 n = signers.length;
        if (n == 0 || n > WeftHeader.KEYS_MAX || threshold == 0 || threshold > n) revert BadSigners();
        for (uint256 i = 0; i < n; i++) {
            if (signers[i] == address(0)) revert BadSigners();
            for (uint256 j = 0; j < i; j++) if (signers[j] == signers[i]) revert BadSigners();
            _signers[domainId][i] = signers[i];
        }
    }
}
