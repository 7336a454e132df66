// SPDX-License-Identifier: Apache-2.0
// The vault makes an EVM chain a Weft domain for one ERC-20 token (one Weft token kind): tokens
// come in by claiming resources Weft domains moved here (proven under roots the light client
// accepted), go out by locking them into resources homed on a Weft domain (appended to the
// vault's own commitment tree), and come back by refund when such a transfer was not claimed by
// its deadline; a resource moved here that was not claimed by its deadline is expired here (its
// nullifier recorded, a marker appended to the tree) so that its source can refund it. Layouts
// and trust: docs/evm.md.
pragma solidity 0.8.37;

import {WeftResource} from "./WeftResource.sol";

interface IWeftLightClient {
    function verifyMembership(bytes32 domainId, uint64 height, bytes calldata key, bytes calldata value, bytes calldata proof)
        external
        view
        returns (bool);
    function verifyNonMembership(bytes32 domainId, uint64 height, bytes calldata key, bytes calldata proof)
        external
        view
        returns (bool);
    function headerTimestamp(bytes32 domainId, uint64 height) external view returns (uint64);
}

contract WeftVault {
    /// Levels of the commitment tree: room for 2^32 locks.
    uint256 public constant TREE_DEPTH = 32;
    /// Roots of the commitment tree kept for Weft domains to anchor claims on.
    uint256 public constant ROOT_HISTORY = 256;
    /// Tree key prefixes (docs/domain.md): commitments and nullifiers.
    bytes1 internal constant COMMITMENT_PREFIX = 0x01;
    bytes1 internal constant NULLIFIER_PREFIX = 0x02;
    /// The expiry marker of nullifier nf is SHA256(EXPIRED_TAG ‖ nf): never a resource commitment.
    bytes internal constant EXPIRED_TAG = "weft.vault.expired";

    IWeftLightClient public immutable lightClient;
    address public immutable token;
    /// The vault's own DomainId: resources homed here are claimed here.
    bytes32 public immutable domainId;
    /// The Weft token kind the ERC-20 stands for: its logic and label.
    bytes32 public immutable logicRef;
    bytes32 public immutable labelRef;

    /// Nullifiers of every resource claimed, refunded or expired here.
    mapping(bytes32 => bool) public nullifierUsed;
    /// Leaf index + 1 of each commitment a lock appended (0: none).
    mapping(bytes32 => uint256) public commitmentIndex;
    /// Commitments appended so far.
    uint256 public commitmentCount;
    /// The frontier: for each level, the last left node whose right sibling is still to come.
    bytes32[TREE_DEPTH] private _frontier;
    /// Root after the n-th commitment at `_roots[n % ROOT_HISTORY]`.
    bytes32[ROOT_HISTORY] private _roots;

    struct Spend {
        bytes32 cm;
        bytes32 nf;
        bytes32 home;
        bool hasDeadline;
        uint64 deadline;
        address owner;
        uint256 quantity;
    }

    event Claimed(
        bytes32 indexed nullifier, bytes32 indexed commitment, address indexed owner, uint256 amount, bytes32 source, uint64 height
    );
    event Locked(
        bytes32 indexed commitment, uint256 indexed index, bytes32 root, bytes32 destination, bytes resource, bytes value
    );
    event Refunded(bytes32 indexed nullifier, bytes32 indexed commitment, address indexed owner, uint256 amount, uint64 height);
    event Expired(bytes32 indexed nullifier, bytes32 indexed marker, uint256 indexed index, bytes32 root, bytes32 commitment);

    error AlreadyClaimed(bytes32 nullifier);
    error AlreadyRefunded(bytes32 nullifier);
    error WrongKind();
    error WrongDomain(bytes32 expected, bytes32 got);
    error ValueMismatch();
    error NkMismatch();
    error DeadlinePassed(uint64 deadline, uint256 nowMs);
    error NoDeadline();
    error RefundTooEarly(uint64 deadline, uint64 headerTimestamp);
    error UnknownHeader(bytes32 domainId, uint64 height);
    error UnknownCommitment(bytes32 commitment);
    error DuplicateCommitment(bytes32 commitment);
    error BadProof();
    error ZeroAmount();
    error TreeFull();
    error TokenTransferFailed();
    error NotExpired(uint64 deadline, uint256 nowMs);

    constructor(IWeftLightClient lightClient_, address token_, bytes32 domainId_, bytes32 logicRef_, bytes32 labelRef_) {
        lightClient = lightClient_;
        token = token_;
        domainId = domainId_;
        logicRef = logicRef_;
        labelRef = labelRef_;
        _roots[0] = _zeroRoot();
    }

    /**
     * Consumes a resource a Weft domain moved here: `resource` (its 209-byte encoding) with its
     * `value` preimage, homed on this vault, of the vault's token kind, not past its deadline;
     * its commitment proven at `0x01 ‖ cm -> u64 createdHeight` in `source`'s tree at an
     * accepted `height`; `nk` its nullifier key. Pays `quantity` tokens to the owner's address.
     * Anyone may submit it: the tokens go to the owner the value names. A second claim of the
     * same resource reverts AlreadyClaimed.
     */
    function claim(
        bytes32 source,
        uint64 height,
        uint64 createdHeight,
        bytes calldata resource,
        bytes calldata value,
        bytes32 nk,
        bytes calldata proof
    ) external {
        Spend memory x = _spend(resource, value, nk);
        if (x.home != domainId) revert WrongDomain(domainId, x.home);
        if (x.hasDeadline && block.timestamp * 1000 > x.deadline) {
            revert DeadlinePassed(x.deadline, block.timestamp * 1000);
        }
        if (nullifierUsed[x.nf]) revert AlreadyClaimed(x.nf);
        _checkCommitment(source, height, createdHeight, x.cm, proof);
        nullifierUsed[x.nf] = true;
        _pay(x.owner, x.quantity);
        emit Claimed(x.nf, x.cm, x.owner, x.quantity, source, height);
    }

    /**
     * Takes `quantity` tokens from the caller and creates `resource` (with its `value`
     * preimage), homed on a Weft domain: its commitment is appended to the vault's tree and
     * emitted with the new root. The caller builds the resource (nonce, randSeed, nullifier key
     * commitment) so that only its owner knows the nullifier key. It never depends on the
     * current root, so no lock fails because another landed first.
     */
    function lock(bytes calldata resource, bytes calldata value) external returns (bytes32 cm, uint256 index) {
        (WeftResource.Resource memory r, WeftResource.Value memory v) = _open(resource, value);
        if (v.home == domainId) revert WrongDomain(bytes32(0), v.home);
        if (r.quantity == 0) revert ZeroAmount();
        cm = WeftResource.commitment(r);
        if (commitmentIndex[cm] != 0) revert DuplicateCommitment(cm);
        bytes32 root;
        (index, root) = _append(cm);
        commitmentIndex[cm] = index + 1;
        // Effects before the token call: a token calling back into `lock` finds `cm` taken.
        _pull(msg.sender, r.quantity);
        emit Locked(cm, index, root, v.home, resource, value);
    }

    /**
     * Refunds a lock that was not claimed by its deadline: the resource's home (a Weft domain)
     * has an accepted header at `height` stamped after the deadline under which the resource's
     * nullifier `0x02 ‖ nf` is absent (`proof`). Pays the tokens back to the owner the value
     * names; the nullifier is recorded here, so there is one refund.
     */
    function refund(uint64 height, bytes calldata resource, bytes calldata value, bytes32 nk, bytes calldata proof)
        external
    {
        Spend memory x = _spend(resource, value, nk);
        if (!x.hasDeadline) revert NoDeadline();
        if (commitmentIndex[x.cm] == 0) revert UnknownCommitment(x.cm);
        if (nullifierUsed[x.nf]) revert AlreadyRefunded(x.nf);
        uint64 stamped = lightClient.headerTimestamp(x.home, height);
        if (stamped == 0) revert UnknownHeader(x.home, height);
        if (stamped <= x.deadline) revert RefundTooEarly(x.deadline, stamped);
        if (!lightClient.verifyNonMembership(x.home, height, abi.encodePacked(NULLIFIER_PREFIX, x.nf), proof)) {
            revert BadProof();
        }
        nullifierUsed[x.nf] = true;
        _pay(x.owner, x.quantity);
        emit Refunded(x.nf, x.cm, x.owner, x.quantity, height);
    }

    /**
     * Expires a resource a Weft domain moved here that was not claimed by its deadline (the
     * block is stamped past it, as `claim` refuses): its nullifier is recorded, so it can never
     * be claimed, and the marker SHA256("weft.vault.expired" ‖ nf) is appended to the commitment
     * tree, where the source domain (following the vault in `evm` mode) finds it and refunds the
     * resource. Anyone holding the resource and its nullifier key may send it; nothing is paid.
     */
    function expire(bytes calldata resource, bytes calldata value, bytes32 nk)
        external
        returns (bytes32 marker, uint256 index)
    {
        Spend memory x = _spend(resource, value, nk);
        if (x.home != domainId) revert WrongDomain(domainId, x.home);
        if (!x.hasDeadline) revert NoDeadline();
        if (block.timestamp * 1000 <= x.deadline) revert NotExpired(x.deadline, block.timestamp * 1000);
        if (nullifierUsed[x.nf]) revert AlreadyClaimed(x.nf);
        nullifierUsed[x.nf] = true;
        marker = sha256(abi.encodePacked(EXPIRED_TAG, x.nf));
        bytes32 root;
        (index, root) = _append(marker);
        commitmentIndex[marker] = index + 1;
        emit Expired(x.nf, marker, index, root, x.cm);
    }

    /// The commitment tree's root after `count` commitments; zero when outside the history.
    function rootAt(uint256 count) external view returns (bytes32) {
        uint256 n = commitmentCount;
        if (count > n || n - count >= ROOT_HISTORY) return bytes32(0);
        return _roots[count % ROOT_HISTORY];
    }

    function currentRoot() external view returns (bytes32) {
        return _roots[commitmentCount % ROOT_HISTORY];
    }

    /// `0x01 ‖ cm -> u64 createdHeight` in `source`'s tree at `height`, or BadProof.
    function _checkCommitment(bytes32 source, uint64 height, uint64 createdHeight, bytes32 cm, bytes calldata proof)
        private
        view
    {
        bytes memory key = abi.encodePacked(COMMITMENT_PREFIX, cm);
        if (!lightClient.verifyMembership(source, height, key, abi.encodePacked(createdHeight), proof)) revert BadProof();
    }

    /// The resource and value checked against each other and the vault's token kind.
    function _open(bytes calldata resource, bytes calldata value)
        private
        view
        returns (WeftResource.Resource memory r, WeftResource.Value memory v)
    {
        r = WeftResource.decode(resource);
        if (r.logicRef != logicRef || r.labelRef != labelRef || r.isEphemeral) revert WrongKind();
        if (sha256(value) != r.valueRef) revert ValueMismatch();
        v = WeftResource.decodeValue(value);
    }

    /// What consuming a resource needs: the checked resource and value, its commitment and nullifier.
    function _spend(bytes calldata resource, bytes calldata value, bytes32 nk) private view returns (Spend memory x) {
        (WeftResource.Resource memory r, WeftResource.Value memory v) = _open(resource, value);
        if (sha256(abi.encodePacked(nk)) != r.nkCommitment) revert NkMismatch();
        x.cm = WeftResource.commitment(r);
        x.nf = WeftResource.nullifier(r, nk, x.cm);
        x.home = v.home;
        x.hasDeadline = v.hasDeadline;
        x.deadline = v.deadline;
        x.owner = v.owner;
        x.quantity = r.quantity;
    }

    /// Appends a leaf to the depth-32 SHA-256 tree kept as a frontier; returns its index and the new root.
    function _append(bytes32 leaf) private returns (uint256 index, bytes32 root) {
        index = commitmentCount;
        if (index >= (1 << TREE_DEPTH)) revert TreeFull();
        bytes32 node = leaf;
        bytes32 zero = bytes32(0);
        bool stored = false;
        for (uint256 level = 0; level < TREE_DEPTH; level++) {
            if (((index >> level) & 1) == 0) {
                if (!stored) {
                    _frontier[level] = node;
                    stored = true;
                }
                node = sha256(abi.encodePacked(node, zero));
            } else {
                node = sha256(abi.encodePacked(_frontier[level], node));
            }
            zero = sha256(abi.encodePacked(zero, zero));
        }
        root = node;
        commitmentCount = index + 1;
        _roots[(index + 1) % ROOT_HISTORY] = root;
    }

    function _zeroRoot() private view returns (bytes32 zero) {
        for (uint256 level = 0; level < TREE_DEPTH; level++) zero = sha256(abi.encodePacked(zero, zero));
    }

    function _pay(address to, uint256 amount) private {
        _callToken(abi.encodeWithSelector(0xa9059cbb, to, amount));
    }

    function _pull(address from, uint256 amount) private {
        _callToken(abi.encodeWithSelector(0x23b872dd, from, address(this), amount));
    }

    /// An ERC-20 call that must succeed and return true or nothing (tokens that return no bool).
    function _callToken(bytes memory data) private {
        address t = token;
        if (t.code.length == 0) revert TokenTransferFailed();
        (bool ok, bytes memory ret) = t.call(data);
        if (!ok || (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1))) {
            revert TokenTransferFailed();
        }
    }
}
