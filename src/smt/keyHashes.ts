// Sorted 32-byte key hashes, packed in one array or held one per array: the splits and searches
// the tree's walks use to send each key down its side of a node.
import { equalBytes } from '../crypto/bytes.js';
import { bitOf } from './bits.js';

/** First index in [lo, hi) of the packed sorted hashes with bit `depth` set. */
export function splitPacked(packed: Uint8Array, depth: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >> 1;
    if (bitOf(packed, m * 32, depth) === 0) a = m + 1;
    else b = m;
  }
  return a;
}

/** First index in [lo, hi) of the sorted hashes with bit `depth` set. */
export function splitSorted(hashes: Uint8Array[], depth: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >> 1;
    if (bitOf(hashes[m]!, 0, depth) === 0) a = m + 1;
    else b = m;
  }
  return a;
}

/** Index of the hash at `kh[khAt .. khAt + 32)` among the packed sorted hashes [lo, hi), or -1. */
export function findPacked(packed: Uint8Array, kh: Uint8Array, khAt: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi - 1;
  while (a <= b) {
    const m = (a + b) >> 1;
    let c = 0;
    for (let k = 0; k < 32 && c === 0; k++) c = packed[m * 32 + k]! - kh[khAt + k]!;
    if (c === 0) return m;
    if (c < 0) a = m + 1;
    else b = m - 1;
  }
  return -1;
}

/** The first `n` packed hashes, each copied into its own array. */
export function unpack(packed: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(packed.slice(i * 32, i * 32 + 32));
  return out;
}

/** Sorts `hashes` ascending in place and returns them without repeats. */
export function sortDistinct(hashes: Uint8Array[]): Uint8Array[] {
  hashes.sort((x, y) => {
    for (let k = 0; k < 32; k++) {
      const d = x[k]! - y[k]!;
      if (d !== 0) return d;
    }
    return 0;
  });
  return hashes.filter((h, i) => i === 0 || !equalBytes(h, hashes[i - 1]!));
}
