// SPDX-License-Identifier: Apache-2.0
// A domain's key-set record (`0x05 ‖ "keyset"`, docs/domain.md) read on the EVM: the encoded
// set `u8 threshold ‖ u32 count ‖ count × (u8 tag 0x01 ‖ 33-byte compressed secp256k1 key)`
// turned into the signer addresses `ecrecover` returns.
pragma solidity 0.8.37;

library WeftKeySet {
    uint256 internal constant KEYS_MAX = 64;
    uint256 internal constant KEY_ENTRY_BYTES = 34;
    uint8 internal constant TAG_SECP256K1 = 0x01;
    /// secp256k1 field prime; (p + 1) / 4 is the square-root exponent since p = 3 mod 4.
    uint256 internal constant P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f;
    uint256 internal constant SQRT_EXP = 0x3fffffffffffffffffffffffffffffffffffffffffffffffffffffffbfffff0c;

    error BadKeySet();

    /// The threshold and signer addresses of an encoded key set; reverts BadKeySet on any other layout.
    function decode(bytes calldata encoded) internal view returns (uint8 threshold, address[] memory signers) {
        if (encoded.length < 5) revert BadKeySet();
        threshold = uint8(encoded[0]);
        uint256 count = uint32(bytes4(encoded[1:5]));
        if (count == 0 || count > KEYS_MAX || threshold == 0 || threshold > count) revert BadKeySet();
        if (encoded.length != 5 + count * KEY_ENTRY_BYTES) revert BadKeySet();
        signers = new address[](count);
        for (uint256 i = 0; i < count; i++) {
            uint256 at = 5 + i * KEY_ENTRY_BYTES;
            if (uint8(encoded[at]) != TAG_SECP256K1) revert BadKeySet();
            signers[i] = addressOf(uint8(encoded[at + 1]), uint256(bytes32(encoded[at + 2:at + 34])));
        }
    }

    /// The Ethereum address of a compressed secp256k1 key (prefix 2 or 3, x); reverts off the curve.
    function addressOf(uint8 prefix, uint256 x) internal view returns (address) {
        if ((prefix != 2 && prefix != 3) || x >= P) revert BadKeySet();
        uint256 rhs = addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
        uint256 y = modexp(rhs, SQRT_EXP, P);
        if (mulmod(y, y, P) != rhs) revert BadKeySet();
        if (y & 1 != prefix & 1) y = P - y;
        return address(uint160(uint256(keccak256(abi.encodePacked(x, y)))));
    }

    /// base^exponent mod modulus through the precompile at 0x05 (EIP-198), 32-byte operands.
    function modexp(uint256 base, uint256 exponent, uint256 modulus) private view returns (uint256 r) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x20)
            mstore(add(m, 0x20), 0x20)
            mstore(add(m, 0x40), 0x20)
            mstore(add(m, 0x60), base)
            mstore(add(m, 0x80), exponent)
            mstore(add(m, 0xa0), modulus)
            if iszero(staticcall(gas(), 0x05, m, 0xc0, m, 0x20)) { revert(0, 0) }
            r := mload(m)
        }
    }
}
