// A batch of writes made ready for the tree: every write checked against the limits, keys hashed,
// sorted and de-duplicated (the last write to a key wins), values hashed, all in packed arrays.
import { check, WeftError } from '../crypto/errors.js';
import { sha256Into } from '../crypto/sha256.js';
import type { Write } from './types.js';

/** Largest key and value a tree accepts, and most writes in one batch. */
export const KEY_BYTES_MAX = 1024;
export const VALUE_BYTES_MAX = 1024 * 1024;
export const BATCH_WRITES_MAX = 1 << 20;

/** Sorted, distinct writes of one batch, as packed key and value hashes. */
export type Batch = {
  n: number;
  keyHashes: Uint8Array; // n * 32, sorted ascending
  valueHashes: Uint8Array; // n * 32 (zero for deletes)
  values: (Uint8Array | null)[];
  setPrefix: Uint32Array; // setPrefix[i] = number of non-delete writes among the first i
};

// The checks below build their messages only on failure: a template literal passed to `check`
// is a string built per write (and per proof), on the hottest paths the tree has.
export function checkKey(key: Uint8Array): void {
  check(key instanceof Uint8Array, 'BAD_INPUT', 'key must be a Uint8Array');
  if (key.length > KEY_BYTES_MAX) {
    throw new WeftError('LIMIT_EXCEEDED', `key of ${key.length} bytes exceeds ${KEY_BYTES_MAX}`);
  }
}

/** Hashes, sorts and de-duplicates a batch (the last write to a key wins). Checks every write. */
export function prepareBatch(writes: Write[]): Batch {
  check(Array.isArray(writes), 'BAD_INPUT', 'writes must be an array');
  check(
    writes.length <= BATCH_WRITES_MAX,
    'LIMIT_EXCEEDED',
    `a batch takes at most ${BATCH_WRITES_MAX} writes`,
  );
  const khAll = hashWriteKeys(writes);
  return packBatch(writes, khAll, lastWriteOfEachKey(khAll, writes.length));
}

/** Checks each write and packs the hashes of their keys, in write order. */
function hashWriteKeys(writes: Write[]): Uint8Array {
  const m = writes.length;
  const khAll = new Uint8Array(m * 32);
  for (let i = 0; i < m; i++) {
    const w = writes[i];
    if (!w || typeof w !== 'object') throw new WeftError('BAD_INPUT', `write ${i} must be { key, value }`);
    checkKey(w.key);
    if (w.value !== null) {
      if (!(w.value instanceof Uint8Array)) {
        throw new WeftError('BAD_INPUT', `write ${i}: value must be a Uint8Array or null`);
      }
      if (w.value.length > VALUE_BYTES_MAX) {
        throw new WeftError('LIMIT_EXCEEDED', `write ${i}: value exceeds ${VALUE_BYTES_MAX} bytes`);
      }
    }
    sha256Into(w.key, khAll, i * 32);
  }
  return khAll;
}

/** Indices of the writes to keep, in key-hash order: the last write of each key. */
function lastWriteOfEachKey(khAll: Uint8Array, m: number): number[] {
  const order = sortedOrder(khAll, m);
  // Keep the last write of each run of equal key hashes (the order is stable within a run).
  const kept: number[] = [];
  for (let j = 0; j < m; j++) {
    const i = order[j]!;
    const next = order[j + 1];
    if (next !== undefined && samePacked(khAll, i, next)) continue;
    kept.push(i);
  }
  return kept;
}

/** The kept writes as a batch: key hashes copied in order, values hashed. */
function packBatch(writes: Write[], khAll: Uint8Array, kept: number[]): Batch {
  const n = kept.length;
  const keyHashes = new Uint8Array(n * 32);
  const valueHashes = new Uint8Array(n * 32);
  const values: (Uint8Array | null)[] = new Array(n);
  const setPrefix = new Uint32Array(n + 1);
  for (let j = 0; j < n; j++) {
    const i = kept[j]!;
    for (let k = 0; k < 32; k++) keyHashes[j * 32 + k] = khAll[i * 32 + k]!;
    const value = writes[i]!.value;
    values[j] = value;
    if (value !== null) sha256Into(value, valueHashes, j * 32);
    setPrefix[j + 1] = setPrefix[j]! + (value === null ? 0 : 1);
  }
  return { n, keyHashes, valueHashes, values, setPrefix };
}

/**
 * Indices of the packed key hashes in ascending hash order, equal hashes by index. Sorts
 * (first 32 bits, index) pairs packed into doubles with the native typed-array sort, then
 * settles the rare runs that share their first 32 bits by the full hash.
 */
function sortedOrder(packed: Uint8Array, m: number): Uint32Array {
  const dv = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const pairs = new Float64Array(m);
  const INDEX_SPAN = 2 ** 21; // BATCH_WRITES_MAX < 2^21, so (prefix, index) fits in 53 bits
  for (let i = 0; i < m; i++) pairs[i] = dv.getUint32(i * 32) * INDEX_SPAN + i;
  pairs.sort();
  const order = new Uint32Array(m);
  for (let j = 0; j < m; j++) order[j] = pairs[j]! % INDEX_SPAN;
  for (let j = 0; j < m; ) {
    let end = j + 1;
    const p = Math.floor(pairs[j]! / INDEX_SPAN);
    while (end < m && Math.floor(pairs[end]! / INDEX_SPAN) === p) end++;
    if (end - j > 1) {
      const run = Array.from(order.subarray(j, end)).sort((x, y) => comparePacked(packed, x, y) || x - y);
      order.set(run, j);
    }
    j = end;
  }
  return order;
}

function comparePacked(packed: Uint8Array, x: number, y: number): number {
  for (let k = 0; k < 32; k++) {
    const d = packed[x * 32 + k]! - packed[y * 32 + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function samePacked(bytes: Uint8Array, i: number, j: number): boolean {
  for (let k = 0; k < 32; k++) if (bytes[i * 32 + k] !== bytes[j * 32 + k]) return false;
  return true;
}
