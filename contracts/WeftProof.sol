// SPDX-License-Identifier: Apache-2.0
// Single-key proofs of the `weft` tree preset (docs/proofs.md), checked with the SHA-256
// precompile: the on-chain twin of `verifyProof` in src/smt/verify.ts, over the same bytes
// (`encodeProofForEvm` in src/evm is the canonical single-proof encoding).
pragma solidity 0.8.37;

library WeftProof {
    /// Bit 7 of byte 0 of a node hash: set for leaves, cleared for internal nodes.
    uint256 internal constant LEAF_BIT = 1 << 255;
    /// The longest path: keys hash to 256 bits.
    uint256 internal constant DEPTH_MAX = 256;

    /// SHA-256 of calldata bytes, hashed in place of Solidity's copy through abi.encodePacked.
    function sha256Calldata(bytes calldata data) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, data.offset, data.length)
            if iszero(staticcall(gas(), 0x02, m, data.length, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /**
     * Whether `proof` shows the key hashing to `keyHash` holding the value hashing to
     * `valueHash` (member), or absent (not member; `valueHash` unused), in the tree whose root
     * is `root` (keyHash = SHA256(key), valueHash = SHA256(value)). Any proof that does not verify, well formed or not, gives false:
     * this never reverts (short of running out of gas). Rules, in order (docs/proofs.md):
     * kind byte 1; depth <= 256; bitmap of ceil(depth/8) bytes with no bit at or past depth;
     * exactly popcount(bitmap) siblings; terminal member (member only), empty or another leaf
     * (absence only; its key hash differs from the queried one and shares at least `depth`
     * leading bits); no trailing bytes; the walk up uses the queried key's bits.
     */
    function verify(bytes32 root, bytes32 keyHash, bytes32 valueHash, bool member, bytes calldata proof)
        internal
        view
        returns (bool ok)
    {
        assembly ("memory-safe") {
            // Set bits of a 256-bit word (SWAR: 2-, 4-, 8-, then 16-bit lanes summed by one multiply).
            function popcount(x) -> n {
                x := sub(x, and(shr(1, x), 0x5555555555555555555555555555555555555555555555555555555555555555))
                x := add(
                    and(x, 0x3333333333333333333333333333333333333333333333333333333333333333),
                    and(shr(2, x), 0x3333333333333333333333333333333333333333333333333333333333333333)
                )
                x := and(add(x, shr(4, x)), 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f)
                x := add(
                    and(x, 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff),
                    and(shr(8, x), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                )
                n := shr(240, mul(x, 0x0001000100010001000100010001000100010001000100010001000100010001))
            }
            // SHA-256 of the 64 bytes at scratch space 0x00..0x3f with the leaf bit set.
            function leafHash(a, b) -> h {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
                h := or(mload(0x00), 0x8000000000000000000000000000000000000000000000000000000000000000)
            }

            let p := proof.offset
            let len := proof.length
            // A loop run once, so that each failed rule can `break` to `ok = false`.
            for {} 1 {} {
                if lt(len, 4) { break }
                if iszero(eq(byte(0, calldataload(p)), 1)) { break }
                let depth := shr(240, calldataload(add(p, 1)))
                if gt(depth, 256) { break }
                let bitmapBytes := shr(3, add(depth, 7))
                // The bitmap, left-aligned: bit d of the path is bit (255 - d) of the word.
                let bitmap := and(calldataload(add(p, 3)), not(shr(shl(3, bitmapBytes), not(0))))
                // No bit at or past the depth (the low 256 - depth bits).
                if and(bitmap, sub(shl(sub(256, depth), 1), 1)) { break }
                let t := add(add(3, bitmapBytes), shl(5, popcount(bitmap)))
                if iszero(lt(t, len)) { break }
                let node := 0
                switch byte(0, calldataload(add(p, t)))
                case 0 {
                    if iszero(member) { break }
                    if iszero(eq(len, add(t, 1))) { break }
                    node := leafHash(keyHash, valueHash)
                }
                case 1 {
                    if member { break }
                    if iszero(eq(len, add(t, 1))) { break }
                }
                case 2 {
                    if member { break }
                    if iszero(eq(len, add(t, 65))) { break }
                    let otherKey := calldataload(add(p, add(t, 1)))
                    if eq(otherKey, keyHash) { break }
                    // A shared prefix of at least `depth` bits (shr by 256 gives 0: depth 0 always shares).
                    if shr(sub(256, depth), xor(otherKey, keyHash)) { break }
                    node := leafHash(otherKey, calldataload(add(p, add(t, 33))))
                }
                default { break }
                // Walk up from depth - 1 to 0. The key's and the bitmap's top `depth` bits are
                // shifted down so each level takes the lowest bit. The node goes left (0x00) or
                // right (0x20) by the queried key's bit and the sibling opposite: the next one
                // from the end (siblings are stored top first) or, absent, the empty subtree (32
                // zero bytes). Branch-free and two levels per turn: the hot loop of every proof.
                // The precompile's success is not checked here: it fails only out of gas, which
                // leaves under 1/64 of ~86 gas to go on with, so the call reverts regardless.
                let s := add(p, t)
                let keyBits := shr(sub(256, depth), keyHash)
                let present := shr(sub(256, depth), bitmap)
                if and(depth, 1) {
                    let at := shl(5, and(keyBits, 1))
                    keyBits := shr(1, keyBits)
                    mstore(at, node)
                    let b := and(present, 1)
                    present := shr(1, present)
                    s := sub(s, shl(5, b))
                    mstore(xor(at, 0x20), mul(b, calldataload(s)))
                    pop(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
                    node := and(mload(0x00), 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                }
                for { let pairs := shr(1, depth) } pairs { pairs := sub(pairs, 1) } {
                    let at := shl(5, and(keyBits, 1))
                    mstore(at, node)
                    let b := and(present, 1)
                    s := sub(s, shl(5, b))
                    mstore(xor(at, 0x20), mul(b, calldataload(s)))
                    pop(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
                    node := and(mload(0x00), 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                    at := shl(5, and(shr(1, keyBits), 1))
                    keyBits := shr(2, keyBits)
                    mstore(at, node)
                    b := and(shr(1, present), 1)
                    present := shr(2, present)
                    s := sub(s, shl(5, b))
                    mstore(xor(at, 0x20), mul(b, calldataload(s)))
                    pop(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
                    node := and(mload(0x00), 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                }
                ok := eq(node, root)
                break
            }
        }
    }
}
