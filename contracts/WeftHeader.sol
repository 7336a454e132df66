// SPDX-License-Identifier: Apache-2.0
// Weft block headers on the EVM: the canonical 145-byte encoding (docs/domain.md), its hash,
// and the t-of-n check of the signatures nodes produce, against the same digest the TypeScript
// verifier checks (`meetsThreshold` over `headerHash`).
pragma solidity 0.8.37;

library WeftHeader {
    /// u8 format ‖ domain 32 ‖ height u64 ‖ prevHash 32 ‖ stateRoot 32 ‖ txRoot 32 ‖ timestamp u64.
    uint256 internal constant HEADER_BYTES = 145;
    uint8 internal constant HEADER_FORMAT = 1;
    /// One signature as nodes encode it: u8 signer index ‖ r 32 ‖ s 32 ‖ v 1.
    uint256 internal constant SIGNATURE_ENTRY_BYTES = 66;
    /// Most keys in one key set (KEYSET_KEYS_MAX in src/domain/keyset.ts).
    uint256 internal constant KEYS_MAX = 64;
    /// secp256k1 group order and its half: signatures need 1 <= r < n and 1 <= s <= n/2 (low s).
    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    struct Fields {
        bytes32 domain;
        uint64 height;
        bytes32 prevHash;
        bytes32 stateRoot;
        uint64 timestamp;
    }

    error BadHeader();
    error BadSignatures();

    /// The fields a light client needs; reverts BadHeader unless `header` is 145 bytes of format 1.
    function decode(bytes calldata header) internal pure returns (Fields memory f) {
        if (header.length != HEADER_BYTES || uint8(header[0]) != HEADER_FORMAT) revert BadHeader();
        assembly ("memory-safe") {
            let p := header.offset
            mstore(f, calldataload(add(p, 1)))
            mstore(add(f, 0x20), shr(192, calldataload(add(p, 33))))
            mstore(add(f, 0x40), calldataload(add(p, 41)))
            mstore(add(f, 0x60), calldataload(add(p, 73)))
            mstore(add(f, 0x80), shr(192, calldataload(add(p, 137))))
        }
    }

    /// headerHash = SHA256("weft.header" ‖ header): what the key set signs.
    function hash(bytes calldata header) internal view returns (bytes32 h) {
        return sha256(abi.encodePacked("weft.header", header));
    }

    /**
     * The number of valid signatures by distinct signers of `signers` over `headerHash`, as
     * nodes encode them: u32 count ‖ count × (u8 signer ‖ r ‖ s ‖ v). Reverts BadSignatures
     * when the encoding is not exactly that, a signer index is out of range or repeated, there
     * are more signatures than keys, or v is not 27/28 — the cases `meetsThreshold` refuses
     * outright; a signature that does not recover to its signer's address simply does not
     * count. Node keys sign ECDSA over SHA-256 of the message, so the recovered digest is
     * SHA256(headerHash). Stops recovering once `threshold` is reached.
     */
    function countSigners(
        bytes32 headerHash,
        bytes calldata signatures,
        mapping(uint256 => address) storage signers,
        uint256 keyCount,
        uint256 threshold
    ) internal view returns (uint256 valid) {
        if (signatures.length < 4) revert BadSignatures();
        uint256 count = uint32(bytes4(signatures[0:4]));
        if (count > keyCount || signatures.length != 4 + count * SIGNATURE_ENTRY_BYTES) revert BadSignatures();
        bytes32 digest = sha256(abi.encodePacked(headerHash));
        uint256 seen;
        for (uint256 i = 0; i < count; i++) {
            uint256 at = 4 + i * SIGNATURE_ENTRY_BYTES;
            uint256 signer = uint8(signatures[at]);
            if (signer >= keyCount || (seen >> signer) & 1 == 1) revert BadSignatures();
            seen |= 1 << signer;
            uint8 v = uint8(signatures[at + 65]);
            if (v != 27 && v != 28) revert BadSignatures();
            if (valid >= threshold) continue;
            uint256 r = uint256(bytes32(signatures[at + 1:at + 33]));
            uint256 s = uint256(bytes32(signatures[at + 33:at + 65]));
            if (r == 0 || r >= SECP256K1_N || s == 0 || s > SECP256K1_HALF_N) continue;
            address got = ecrecover(digest, v, bytes32(r), bytes32(s));
            if (got != address(0) && got == signers[signer]) valid++;
        }
    }
}
