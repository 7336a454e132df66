// On-disk records of the tree (docs/storage.md): pages of several tree levels in pre-order,
// one root record per version, and (format 3) one record per leaf, which pages and root records
// reference. Pages are written whole when any node in them changes, so a page is reachable from
// a contiguous range of versions and pruning it is exact; a leaf record is written once, by the
// first version whose records reference the leaf, and stays until a version drops the leaf.
import { Reader, Writer } from '../crypto/codec.js';
import { WeftError } from '../crypto/errors.js';

const TAG_EMPTY = 0;
const TAG_INTERNAL = 1;
const TAG_LEAF = 2;
const TAG_REF = 3;
/** Format 3: a reference to a leaf record, `0x04 born(u32) keyHash` (pages and root records). */
const TAG_LEAF_REF = 4;
/** Format 3: an internal node without its hash (recomputed when the page is read). */
const TAG_BRANCH = 5;
/** Format 3: a reference to the child page, `0x06 born(u32)` (its hash is recomputed too). */
const TAG_PAGE_REF = 6;
/** The node tags of a page (and of a root record), for decoders that read pages in place. */
export const PAGE_TAG = {
  empty: TAG_EMPTY,
  internal: TAG_INTERNAL,
  leaf: TAG_LEAF,
  ref: TAG_REF,
  leafRef: TAG_LEAF_REF,
  branch: TAG_BRANCH,
  pageRef: TAG_PAGE_REF,
} as const;

/** Bytes of a leaf record's key: the version that wrote it (u32) and the leaf's key hash. */
export const LEAF_KEY_BYTES = 36;

/** Most nodes one page may hold: 2^(8+1) - 1 positions at 8 levels per page. */
export const PAGE_NODES_MAX = 511;
const VALUE_MAX = 1024 * 1024;
/** Longest value a page holds, in bytes. */
export const VALUE_BYTES_MAX = VALUE_MAX;

export type PageNode =
  | { k: 'empty' }
  | { k: 'internal'; hash: Uint8Array }
  | { k: 'leaf'; hash: Uint8Array; keyHash: Uint8Array; value: Uint8Array }
  | { k: 'ref'; hash: Uint8Array; born: bigint }
  | { k: 'leafRef'; born: number; keyHash: Uint8Array }
  | { k: 'branch' }
  | { k: 'pageRef'; born: number };

/** The key of a leaf record: the version that wrote it (u32) || the leaf's key hash. */
export function leafKey(born: number, keyHash: Uint8Array, at = 0): Uint8Array {
  const key = new Uint8Array(LEAF_KEY_BYTES);
  new DataView(key.buffer).setUint32(0, born);
  for (let i = 0; i < 32; i++) key[4 + i] = keyHash[at + i]!;
  return key;
}

/**
 * version (u64) || depth (u8) || the first ceil(depth / 8) bytes of the path (`prefix[at..]`), bits
 * past depth zero. A version given as a number (the arenas' birth versions) is below 2^32.
 */
export function pageKey(version: bigint | number, depth: number, prefix: Uint8Array, at = 0): Uint8Array {
  const n = (depth + 7) >> 3;
  const key = new Uint8Array(9 + n);
  if (typeof version === 'bigint') new DataView(key.buffer).setBigUint64(0, version);
  else {
    key[4] = version >>> 24;
    key[5] = (version >>> 16) & 0xff;
    key[6] = (version >>> 8) & 0xff;
    key[7] = version & 0xff;
  }
  key[8] = depth;
  for (let i = 0; i < n; i++) key[9 + i] = prefix[at + i]!;
  if (depth & 7) key[9 + n - 1]! &= (0xff << (8 - (depth & 7))) & 0xff;
  return key;
}

export function encodePage(nodes: PageNode[]): Uint8Array {
  const w = new Writer(nodes.length * 40);
  w.u16(nodes.length);
  for (const n of nodes) {
    switch (n.k) {
      case 'empty':
        w.u8(TAG_EMPTY);
        break;
      case 'internal':
        w.u8(TAG_INTERNAL).fixed(n.hash, 32);
        break;
      case 'leaf':
        w.u8(TAG_LEAF).fixed(n.hash, 32).fixed(n.keyHash, 32).bytes(n.value, VALUE_MAX);
        break;
      case 'ref':
        w.u8(TAG_REF).fixed(n.hash, 32).u64(n.born);
        break;
      case 'leafRef':
        w.u8(TAG_LEAF_REF).u32(n.born).fixed(n.keyHash, 32);
        break;
      case 'branch':
        w.u8(TAG_BRANCH);
        break;
      case 'pageRef':
        w.u8(TAG_PAGE_REF).u32(n.born);
        break;
    }
  }
  return w.finish();
}

/**
 * Encodes many pages back to back into one growing buffer (the format of `encodePage`), the
 * caller writing each node straight from wherever it lives; `end` returns the page as a view.
 * One buffer per commit: the store copies each page when it writes it.
 */
export class PageWriter {
  buf: Uint8Array;
  pos = 0;
  private start = 0;
  private count = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  begin(): void {
    this.reserve(2);
    this.start = this.pos;
    this.pos += 2;
    this.count = 0;
  }

  empty(): void {
    this.reserve(1);
    this.buf[this.pos++] = TAG_EMPTY;
    this.count++;
  }

  /** Tag and the 32-byte hash at `src[at..]`; the caller adds what follows (see below). */
  private node(tag: number, src: Uint8Array, at: number, extra: number): void {
    this.reserve(33 + extra);
    const b = this.buf;
    let p = this.pos;
    b[p++] = tag;
    for (let i = 0; i < 32; i++) b[p + i] = src[at + i]!;
    this.pos = p + 32;
    this.count++;
  }

  internal(src: Uint8Array, at: number): void {
    this.node(TAG_INTERNAL, src, at, 0);
  }

  leaf(hashSrc: Uint8Array, hashAt: number, keyHash: Uint8Array, keyAt: number, value: Uint8Array): void {
    if (value.length > VALUE_MAX)
      throw new WeftError('LIMIT_EXCEEDED', `page value of ${value.length} bytes`);
    this.node(TAG_LEAF, hashSrc, hashAt, 36 + value.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < 32; i++) b[p + i] = keyHash[keyAt + i]!;
    p += 32;
    const n = value.length;
    b[p] = n >>> 24;
    b[p + 1] = (n >>> 16) & 0xff;
    b[p + 2] = (n >>> 8) & 0xff;
    b[p + 3] = n & 0xff;
    p += 4;
    if (n <= 64) for (let i = 0; i < n; i++) b[p + i] = value[i]!;
    else b.set(value, p);
    this.pos = p + n;
  }

  /** An internal node, without its hash (format 3). */
  branch(): void {
    this.reserve(1);
    this.buf[this.pos++] = TAG_BRANCH;
    this.count++;
  }

  /** A reference to the child page born in `born` (format 3). */
  pageRef(born: number): void {
    this.reserve(5);
    const b = this.buf;
    const p = this.pos;
    b[p] = TAG_PAGE_REF;
    b[p + 1] = born >>> 24;
    b[p + 2] = (born >>> 16) & 0xff;
    b[p + 3] = (born >>> 8) & 0xff;
    b[p + 4] = born & 0xff;
    this.pos = p + 5;
    this.count++;
  }

  /** A reference to the leaf record `born || keyHash[keyAt..]` (format 3). */
  leafRef(born: number, keyHash: Uint8Array, keyAt: number): void {
    this.reserve(37);
    const b = this.buf;
    const p = this.pos;
    b[p] = TAG_LEAF_REF;
    b[p + 1] = born >>> 24;
    b[p + 2] = (born >>> 16) & 0xff;
    b[p + 3] = (born >>> 8) & 0xff;
    b[p + 4] = born & 0xff;
    for (let i = 0; i < 32; i++) b[p + 5 + i] = keyHash[keyAt + i]!;
    this.pos = p + 37;
    this.count++;
  }

  ref(src: Uint8Array, at: number, born: number): void {
    this.node(TAG_REF, src, at, 8);
    const b = this.buf;
    const p = this.pos;
    // u64 big-endian; versions stay below 2^32.
    b[p] = 0;
    b[p + 1] = 0;
    b[p + 2] = 0;
    b[p + 3] = 0;
    b[p + 4] = born >>> 24;
    b[p + 5] = (born >>> 16) & 0xff;
    b[p + 6] = (born >>> 8) & 0xff;
    b[p + 7] = born & 0xff;
    this.pos = p + 8;
  }

  /** Closes the page begun last; returns it as a view of the buffer (valid until it grows). */
  end(): [start: number, end: number] {
    if (this.count > PAGE_NODES_MAX) throw new WeftError('STORE_FORMAT', `page of ${this.count} nodes`);
    this.buf[this.start] = this.count >>> 8;
    this.buf[this.start + 1] = this.count & 0xff;
    return [this.start, this.pos];
  }
}

export function decodePage(bytes: Uint8Array): PageNode[] {
  const r = new Reader(bytes);
  const count = r.u16();
  if (count > PAGE_NODES_MAX) throw new WeftError('STORE_FORMAT', `page claims ${count} nodes`);
  const out: PageNode[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.u8();
    if (tag === TAG_EMPTY) out.push({ k: 'empty' });
    else if (tag === TAG_INTERNAL) out.push({ k: 'internal', hash: r.fixed(32) });
    else if (tag === TAG_LEAF)
      out.push({ k: 'leaf', hash: r.fixed(32), keyHash: r.fixed(32), value: r.bytes(VALUE_MAX) });
    else if (tag === TAG_REF) out.push({ k: 'ref', hash: r.fixed(32), born: r.u64() });
    else if (tag === TAG_LEAF_REF) out.push({ k: 'leafRef', born: r.u32(), keyHash: r.fixed(32) });
    else if (tag === TAG_BRANCH) out.push({ k: 'branch' });
    else if (tag === TAG_PAGE_REF) out.push({ k: 'pageRef', born: r.u32() });
    else throw new WeftError('STORE_FORMAT', `page node ${i} has unknown tag ${tag}`);
  }
  r.end();
  return out;
}

export type RootRecord =
  | { k: 'empty' }
  | { k: 'leaf'; hash: Uint8Array; keyHash: Uint8Array; value: Uint8Array }
  | { k: 'page'; hash: Uint8Array; born: bigint }
  | { k: 'leafRef'; born: number; keyHash: Uint8Array };

export function encodeRootRecord(r: RootRecord): Uint8Array {
  const w = new Writer(80);
  if (r.k === 'empty') w.u8(TAG_EMPTY);
  else if (r.k === 'leaf') w.u8(TAG_LEAF).fixed(r.hash, 32).fixed(r.keyHash, 32).bytes(r.value, VALUE_MAX);
  else if (r.k === 'leafRef') w.u8(TAG_LEAF_REF).u32(r.born).fixed(r.keyHash, 32);
  else w.u8(TAG_REF).fixed(r.hash, 32).u64(r.born);
  return w.finish();
}

export function decodeRootRecord(bytes: Uint8Array): RootRecord {
  const r = new Reader(bytes);
  const tag = r.u8();
  let out: RootRecord;
  if (tag === TAG_EMPTY) out = { k: 'empty' };
  else if (tag === TAG_LEAF)
    out = { k: 'leaf', hash: r.fixed(32), keyHash: r.fixed(32), value: r.bytes(VALUE_MAX) };
  else if (tag === TAG_REF) out = { k: 'page', hash: r.fixed(32), born: r.u64() };
  else if (tag === TAG_LEAF_REF) out = { k: 'leafRef', born: r.u32(), keyHash: r.fixed(32) };
  else throw new WeftError('STORE_FORMAT', `root record has unknown tag ${tag}`);
  r.end();
  return out;
}
