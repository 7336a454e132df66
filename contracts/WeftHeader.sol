// SPDX-License-Identifier: Apache-2.0
// Weft block headers on the EVM: the canonical 145-byte encoding (docs/domain.md), its hash,
// and the t-of-n check of the signatures nodes produce, against the same digest the TypeScript
// verifier checks (`meetsThreshold` over `headerHash`). Hot paths are in assembly: a header is
// accepted for well under the cost of one fresh storage slot.
pragma solidity 0.8.37;

library WeftHeader {
    /// u8 format ‖ domain 32 ‖ height u64 ‖ prevHash 32 ‖ stateRoot 32 ‖ txRoot 32 ‖ timestamp u64.
    uint256 internal constant HEADER_BYTES = 145;
    uint256 internal constant HEADER_FORMAT = 1;
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

    /// headerHash = SHA256("weft.header" ‖ header): what the key set signs. `header` is 145 bytes.
    function hash(bytes calldata header) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, "weft.header")
            calldatacopy(add(m, 11), header.offset, header.length)
            if iszero(staticcall(gas(), 0x02, m, add(11, header.length), 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /**
     * The number of valid signatures by distinct signers over `headerHash`, as nodes encode
     * them: u32 count ‖ count × (u8 signer ‖ r ‖ s ‖ v); `signersSlot` is the storage slot of
     * signer 0, signer i at `signersSlot + i`. Reverts BadSignatures when the encoding is not
     * exactly that, a signer index is out of range or repeated, there are more signatures than
     * keys, or v is not 27/28 — the cases `meetsThreshold` refuses outright; a signature that
     * does not recover to its signer's address (or has r, s out of range or a high s) simply
     * does not count. Node keys sign ECDSA over SHA-256 of the message, so the recovered digest
     * is SHA256(headerHash). Stops recovering once `threshold` is reached.
     */
    function countSigners(
        bytes32 headerHash,
        bytes calldata signatures,
        uint256 signersSlot,
        uint256 keyCount,
        uint256 threshold
    ) internal view returns (uint256 valid) {
        if (signatures.length < 4) revert BadSignatures();
        uint256 count = uint32(bytes4(signatures[0:4]));
        if (count > keyCount || signatures.length != 4 + count * SIGNATURE_ENTRY_BYTES) revert BadSignatures();
        bool malformed;
        assembly ("memory-safe") {
            // Whether the entry at `at` (r, s in range, low s) recovers to the address in `slot`.
            function recovers(at, digest, slot) -> ok {
                let r := calldataload(add(at, 1))
                let s := calldataload(add(at, 33))
                if and(
                    and(iszero(iszero(r)), lt(r, SECP256K1_N)),
                    and(iszero(iszero(s)), iszero(gt(s, SECP256K1_HALF_N)))
                ) {
                    let m := mload(0x40)
                    mstore(m, digest)
                    mstore(add(m, 0x20), byte(0, calldataload(add(at, 65))))
                    mstore(add(m, 0x40), r)
                    mstore(add(m, 0x60), s)
                    mstore(0x00, 0)
                    pop(staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20))
                    let got := mload(0x00)
                    ok := and(iszero(iszero(got)), eq(got, sload(slot)))
                }
            }
            mstore(0x00, headerHash)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x20, 0x00, 0x20)) { revert(0, 0) }
            let digest := mload(0x00)
            let seen := 0
            for { let at := add(signatures.offset, 4) } lt(at, add(signatures.offset, signatures.length)) {
                at := add(at, 66)
            } {
                let signer := byte(0, calldataload(at))
                let v := byte(0, calldataload(add(at, 65)))
                if or(
                    or(iszero(lt(signer, keyCount)), and(shr(signer, seen), 1)),
                    iszero(or(eq(v, 27), eq(v, 28)))
                ) {
                    malformed := 1
                    break
                }
                seen := or(seen, shl(signer, 1))
                if lt(valid, threshold) {
                    valid := add(valid, recovers(at, digest, add(signersSlot, signer)))
                }
            }
        }
        if (malformed) revert BadSignatures();
    }
}
