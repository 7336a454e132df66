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
            // One SHA-256 over the 64 bytes at scratch space 0x00..0x3f; the result's top bit
            // set for a leaf, cleared for an internal node.
            function hashPair(a, b, leaf) -> h {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
                h := mload(0x00)
                switch leaf
                case 0 { h := and(h, not(shl(255, 1))) }
                default { h := or(h, shl(255, 1)) }
            }
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
                    node := hashPair(keyHash, valueHash, 1)
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
                    node := hashPair(otherKey, calldataload(add(p, add(t, 33))), 1)
                }
                default { break }
                // Walk up from depth - 1 to 0; siblings are stored top first, so read them backwards.
                let s := add(p, t)
                for { let d := depth } d {} {
                    d := sub(d, 1)
                    let sibling := 0
                    if and(shr(sub(255, d), bitmap), 1) {
                        s := sub(s, 32)
                        sibling := calldataload(s)
                    }
                    switch and(shr(sub(255, d), keyHash), 1)
                    case 0 { node := hashPair(node, sibling, 0) }
                    default { node := hashPair(sibling, node, 0) }
                }
                ok := eq(node, root)
                break
            }
        }
    }
}
