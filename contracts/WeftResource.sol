// SPDX-License-Identifier: Apache-2.0
// Weft resources on the EVM (docs/transactions.md): the canonical 209-byte encoding, the value
// preimage (home domain, optional deadline, token owner), commitment and nullifier — the same
// hashes as src/resource (Anoma resource machine layout), with the SHA-256 precompile.
pragma solidity 0.8.37;

import {WeftKeySet} from "./WeftKeySet.sol";

library WeftResource {
    /// logicRef ‖ labelRef ‖ valueRef ‖ quantity u128 ‖ isEphemeral u8 ‖ nonce ‖ nkCommitment ‖ randSeed.
    uint256 internal constant RESOURCE_BYTES = 209;
    uint8 internal constant VALUE_FORMAT = 1;
    uint8 internal constant VALUE_FORMAT_DEADLINE = 2;
    /// A token owner in the value's data: u8 tag 0x01 (secp256k1) ‖ 33-byte compressed key.
    uint256 internal constant OWNER_BYTES = 34;

    struct Resource {
        bytes32 logicRef;
        bytes32 labelRef;
        bytes32 valueRef;
        uint128 quantity;
        bool isEphemeral;
        bytes32 nonce;
        bytes32 nkCommitment;
        bytes32 randSeed;
    }

    /// What the vault reads from a value: its home, its deadline (ms; 0 and hasDeadline false
    /// for format 1) and the owner's Ethereum address (of the secp256k1 key in the data).
    struct Value {
        bytes32 home;
        bool hasDeadline;
        uint64 deadline;
        address owner;
    }

    error BadResource();
    error BadValue();

    function decode(bytes calldata encoded) internal pure returns (Resource memory r) {
        if (encoded.length != RESOURCE_BYTES) revert BadResource();
        uint256 ephemeral;
        assembly ("memory-safe") {
            let p := encoded.offset
            mstore(r, calldataload(p))
            mstore(add(r, 0x20), calldataload(add(p, 32)))
            mstore(add(r, 0x40), calldataload(add(p, 64)))
            mstore(add(r, 0x60), shr(128, calldataload(add(p, 96))))
            ephemeral := byte(0, calldataload(add(p, 112)))
            mstore(add(r, 0xa0), calldataload(add(p, 113)))
            mstore(add(r, 0xc0), calldataload(add(p, 145)))
            mstore(add(r, 0xe0), calldataload(add(p, 177)))
        }
        if (ephemeral > 1) revert BadResource();
        r.isEphemeral = ephemeral == 1;
    }

    /**
     * A token value: `u8 format (1) ‖ home 32 ‖ u32 34 ‖ owner` or `u8 format (2) ‖ home 32 ‖
     * deadline u64 ‖ u32 34 ‖ owner`, owner = `0x01 ‖ compressed secp256k1 key`. Reverts
     * BadValue on anything else (other data lengths, ed25519 owners, keys off the curve).
     */
    function decodeValue(bytes calldata value) internal view returns (Value memory v) {
        if (value.length < 1) revert BadValue();
        uint8 format = uint8(value[0]);
        uint256 at;
        if (format == VALUE_FORMAT) {
            at = 33;
        } else if (format == VALUE_FORMAT_DEADLINE) {
            at = 41;
            v.hasDeadline = true;
        } else {
            revert BadValue();
        }
        if (value.length != at + 4 + OWNER_BYTES) revert BadValue();
        v.home = bytes32(value[1:33]);
        if (v.hasDeadline) v.deadline = uint64(bytes8(value[33:41]));
        if (uint32(bytes4(value[at:at + 4])) != OWNER_BYTES || uint8(value[at + 4]) != WeftKeySet.TAG_SECP256K1) {
            revert BadValue();
        }
        v.owner = WeftKeySet.addressOf(uint8(value[at + 5]), uint256(bytes32(value[at + 6:at + 38])));
    }

    /// SHA256("RISC0_ExpandSeed" ‖ tag ‖ randSeed ‖ nonce): psi (tag 0) and rcm (tag 1).
    function prf(uint8 tag, bytes32 randSeed, bytes32 nonce) internal view returns (bytes32) {
        return sha256(abi.encodePacked("RISC0_ExpandSeed", tag, randSeed, nonce));
    }

    /// SHA256(logicRef ‖ labelRef ‖ quantity u128 ‖ valueRef ‖ isEphemeral ‖ nonce ‖ nkCommitment ‖ rcm).
    function commitment(Resource memory r) internal view returns (bytes32) {
        bytes32 rcm = prf(1, r.randSeed, r.nonce);
        return sha256(
            abi.encodePacked(
                r.logicRef, r.labelRef, r.quantity, r.valueRef, r.isEphemeral, r.nonce, r.nkCommitment, rcm
            )
        );
    }

    /// SHA256(nk ‖ nonce ‖ psi ‖ cm); the caller checks SHA256(nk) = nkCommitment first.
    function nullifier(Resource memory r, bytes32 nk, bytes32 cm) internal view returns (bytes32) {
        return sha256(abi.encodePacked(nk, r.nonce, prf(0, r.randSeed, r.nonce), cm));
    }
}
