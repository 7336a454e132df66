// Path bits of a 32-byte key hash, most significant bit of byte 0 first.

export const KEY_BITS = 256;

export function bitAt(keyHash: Uint8Array, depth: number): number {
  return (keyHash[depth >> 3]! >> (7 - (depth & 7))) & 1;
}

/** Number of leading bits two 32-byte hashes share (256 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return KEY_BITS;
}
