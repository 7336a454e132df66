// What a new version adds to a store: the pages of `pageLevels` tree levels rooted at the nodes
// born in it, the records of the leaves those pages (or its root record) reference for the first
// time, and its root record. Unchanged pages and leaf records are shared with older versions,
// never rewritten.
import { EMPTY, RECORD_WORDS, type TreeArenas } from './arena.js';
import { encodeRootRecord, LEAF_KEY_BYTES, PageWriter } from './page.js';
import type { NewPages } from './update.js';

const EMPTY_BYTES = new Uint8Array(0);

/**
 * New leaf records of one commit, encoded back to back into one growing buffer: the keys
 * (`LEAF_KEY_BYTES` each) in one, the records (hash, u32 length, value) in another.
 */
export class LeafRecords {
  keys: Uint8Array;
  vals: Uint8Array;
  count = 0;
  private valPos = 0;
  private readonly ends: number[] = [];

  constructor(valueBytes = 64 * 1024) {
    this.keys = new Uint8Array(64 * LEAF_KEY_BYTES);
    this.vals = new Uint8Array(valueBytes);
  }

  /**
   * Writes the record of leaf `id` under key `born || keyHash`: the arena's hash, and the value
   * with its u32 length as the value arena keeps it.
   */
  add(t: TreeArenas, id: number, born: number): void {
    const a = t.nodes;
    if ((this.count + 1) * LEAF_KEY_BYTES > this.keys.length) {
      const next = new Uint8Array(this.keys.length * 2);
      next.set(this.keys);
      this.keys = next;
    }
    const k = this.keys;
    let p = this.count * LEAF_KEY_BYTES;
    k[p] = born >>> 24;
    k[p + 1] = (born >>> 16) & 0xff;
    k[p + 2] = (born >>> 8) & 0xff;
    k[p + 3] = born & 0xff;
    const keyBytes = t.keys.bytes;
    const kAt = a.keySlot(id) * 32;
    for (let i = 0; i < 32; i++) k[p + 4 + i] = keyBytes[kAt + i]!;
    const vOff = a.valueOffset(id);
    const need = 32 + 4 + t.vals.length(vOff);
    if (this.valPos + need > this.vals.length) {
      let size = this.vals.length * 2;
      while (size < this.valPos + need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.vals.subarray(0, this.valPos));
      this.vals = next;
    }
    const v = this.vals;
    p = this.valPos;
    const nodeBytes = a.bytes;
    const hAt = a.hashAt(id);
    for (let i = 0; i < 32; i++) v[p + i] = nodeBytes[hAt + i]!;
    const src = t.vals.bytes;
    if (need - 32 <= 68) for (let i = 0; i < need - 32; i++) v[p + 32 + i] = src[vOff + i]!;
    else v.set(src.subarray(vOff, vOff + need - 32), p + 32);
    this.valPos = p + need;
    this.ends.push(this.valPos);
    this.count++;
  }

  /** Bytes of the records. */
  get bytes(): number {
    return this.valPos;
  }

  /**
   * [key, record] views, once every record is written, in key order (the store appends them:
   * every record of a version is keyed above all older ones).
   */
  entries(out: [Uint8Array, Uint8Array][]): void {
    const k = this.keys;
    const n = this.count;
    // The key hash's first 48 bits as a number, then the whole key on a tie.
    const head = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = i * LEAF_KEY_BYTES + 4;
      head[i] =
        ((k[p]! << 16) | (k[p + 1]! << 8) | k[p + 2]!) * 0x100_0000 +
        ((k[p + 3]! << 16) | (k[p + 4]! << 8) | k[p + 5]!);
    }
    const sorted = Array.from({ length: n }, (_, i) => i);
    sorted.sort((x, y) => head[x]! - head[y]! || compareKeys(k, x, y));
    for (const i of sorted) {
      const start = i === 0 ? 0 : this.ends[i - 1]!;
      out.push([
        k.subarray(i * LEAF_KEY_BYTES, (i + 1) * LEAF_KEY_BYTES),
        this.vals.subarray(start, this.ends[i]!),
      ]);
    }
  }
}

/** Byte order of leaf keys `x` and `y` of `keys` (LEAF_KEY_BYTES each). */
function compareKeys(keys: Uint8Array, x: number, y: number): number {
  const a = x * LEAF_KEY_BYTES;
  const b = y * LEAF_KEY_BYTES;
  for (let i = 0; i < LEAF_KEY_BYTES; i++) {
    const d = keys[a + i]! - keys[b + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A leaf about to be referenced by a new record of `version`: if it has no leaf record yet
 * (`born` 0: new in this version, or read from a format-2 page or root record), it gets one now,
 * and its `born` becomes `version`. Returns the version whose record holds it.
 */
function leafBorn(t: TreeArenas, id: number, version: number, leaves: LeafRecords): number {
  const born = t.nodes.born[id]!;
  if (born !== 0) return born;
  t.nodes.born[id] = version;
  leaves.add(t, id, version);
  return version;
}

/** The root record of a version whose root is node `rootId`. */
export function rootRecord(t: TreeArenas, rootId: number, version: number, leaves: LeafRecords): Uint8Array {
  const a = t.nodes;
  if (rootId === EMPTY) return encodeRootRecord({ k: 'empty' });
  if (a.isLeaf(rootId)) {
    const born = leafBorn(t, rootId, version, leaves);
    return encodeRootRecord({ k: 'leafRef', born, keyHash: t.keys.view(a.keySlot(rootId)).slice() });
  }
  return encodeRootRecord({ k: 'page', hash: a.hashOf(rootId), born: BigInt(a.born[rootId]!) });
}

/**
 * Encodes the new pages of `version` (their roots from the batch update, `newPages`) into one
 * buffer for the whole commit (first sized `bufferBytes`), appending [page key, page] to `out`,
 * and the records of the leaves those pages reference for the first time to `leaves`. Returns
 * the page bytes used.
 */
export function collectNewPages(
  t: TreeArenas,
  pageLevels: number,
  newPages: NewPages,
  version: bigint,
  bufferBytes: number,
  out: [Uint8Array, Uint8Array][],
  leaves: LeafRecords,
): number {
  const v = Number(version);
  const L = pageLevels;
  const w = new PageWriter(bufferBytes);
  const spans: number[] = [];
  // In key order: the store appends them (every key of a version is above all older ones).
  const n = newPages.ids.length;
  const sorted = Array.from({ length: n }, (_, i) => i);
  const order = newPages.order;
  sorted.sort((x, y) => order[x]! - order[y]!);
  const roots = sorted.map((i) => newPages.ids[i]!);
  const depths = sorted.map((i) => newPages.depths[i]!);
  for (const i of sorted) out.push([newPages.keys[i]!, EMPTY_BYTES]);
  // A chunk of pages at a time: the chunk's nodes are read level by level first, so their cache
  // misses overlap, and the pre-order encoding then finds them in cache.
  const touch = new PageTouch();
  for (let from = 0; from < roots.length; from += PAGE_CHUNK) {
    const to = Math.min(roots.length, from + PAGE_CHUNK);
    touch.run(t, L, roots, from, to);
    for (let i = from; i < to; i++) {
      encodePageAt(t, L, w, roots[i]!, depths[i]!, v, leaves);
      const [start, end] = w.end();
      spans.push(start, end);
    }
  }
  // Views once the buffer has stopped growing.
  for (let i = 0; i < out.length; i++) out[i]![1] = w.buf.subarray(spans[2 * i]!, spans[2 * i + 1]!);
  return w.pos;
}

/** Pages whose nodes are touched ahead of encoding, at a time (~50 nodes each at 1M keys). */
const PAGE_CHUNK = 32;

/**
 * Reads the records (and, for leaves, the key hash and birth version) of every node of a chunk of
 * pages, level by level, each level in a loop of its own: the nodes sit anywhere in arrays of
 * hundreds of megabytes, and the pre-order walk that encodes a page would otherwise wait for
 * each miss in turn (the walk was ~30% of a commit's CPU at 1M keys).
 */
class PageTouch {
  private cur: number[] = [];
  private next: number[] = [];
  sink = 0;

  run(t: TreeArenas, L: number, roots: number[], from: number, to: number): void {
    const a = t.nodes;
    const words = a.words;
    const born = a.born;
    const keyBytes = t.keys.bytes;
    let cur = this.cur;
    let next = this.next;
    cur.length = 0;
    for (let i = from; i < to; i++) cur.push(roots[i]!);
    let sink = this.sink;
    for (let level = 0; level <= L && cur.length > 0; level++) {
      for (let i = 0; i < cur.length; i++) sink = (sink + words[cur[i]! * RECORD_WORDS]!) | 0;
      next.length = 0;
      for (let i = 0; i < cur.length; i++) {
        const id = cur[i]!;
        if (id === EMPTY) continue;
        if (a.isLeaf(id)) sink = (sink + keyBytes[a.keySlot(id) * 32]! + born[id]!) | 0;
        else if (level === L) sink = (sink + born[id]!) | 0;
        else next.push(a.left(id), a.right(id));
      }
      const swap = cur;
      cur = next;
      next = swap;
    }
    this.cur = cur;
    this.next = next;
    this.sink = sink;
  }
}

/**
 * Encodes the page rooted at internal node `id` (depth `d`): its `L` levels in pre-order, each
 * leaf as a reference to its leaf record (written now if it has none), internal nodes and child
 * pages without their hashes (a reader recomputes them from the leaves' hashes).
 */
function encodePageAt(
  t: TreeArenas,
  L: number,
  w: PageWriter,
  id: number,
  d: number,
  version: number,
  leaves: LeafRecords,
): void {
  const a = t.nodes;
  const keyBytes = t.keys.bytes;
  const bottom = d + L;
  w.begin();
  const walk = (n: number, depth: number): void => {
    if (n === EMPTY) w.empty();
    else if (a.isLeaf(n)) {
      w.leafRef(leafBorn(t, n, version, leaves), keyBytes, a.keySlot(n) * 32);
    } else if (depth === bottom) w.pageRef(a.born[n]!);
    else {
      w.branch();
      walk(a.left(n), depth + 1);
      walk(a.right(n), depth + 1);
    }
  };
  walk(id, d);
}
