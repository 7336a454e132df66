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

/** Bit `depth` of the 32-byte hash at `bytes[offset ..]` (a packed array of hashes or one hash). */
export function bitOf(bytes: Uint8Array, offset: number, depth: number): number {
  return (bytes[offset + (depth >> 3)]! >> (7 - (depth & 7))) & 1;
}

/** A copy of `path` with bit `depth` set to `bit`. */
export function withBit(path: Uint8Array, depth: number, bit: number): Uint8Array {
  const out = path.slice();
  const mask = 0x80 >> (depth & 7);
  if (bit) out[depth >> 3]! |= mask;
  else out[depth >> 3]! &= ~mask;
  return out;
}
