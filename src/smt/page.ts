// On-disk records of the tree (docs/storage.md): pages of several tree levels in pre-order,
// and one root record per version. Pages are written whole when any node in them changes, so
// a page is reachable from a contiguous range of versions and pruning it is exact.
import { Reader, Writer } from '../crypto/codec.js';
import { WeftError } from '../crypto/errors.js';

const TAG_EMPTY = 0;
const TAG_INTERNAL = 1;
const TAG_LEAF = 2;
const TAG_REF = 3;

/** Most nodes one page may hold: 2^(8+1) - 1 positions at 8 levels per page. */
const PAGE_NODES_MAX = 511;
const VALUE_MAX = 1024 * 1024;

export type PageNode =
  | { k: 'empty' }
  | { k: 'internal'; hash: Uint8Array }
  | { k: 'leaf'; hash: Uint8Array; keyHash: Uint8Array; value: Uint8Array }
  | { k: 'ref'; hash: Uint8Array; born: bigint };

/** version (u64) || depth (u8) || the first ceil(depth / 8) bytes of the path, bits past depth zero. */
export function pageKey(version: bigint, depth: number, prefix: Uint8Array): Uint8Array {
  const n = (depth + 7) >> 3;
  const key = new Uint8Array(9 + n);
  new DataView(key.buffer).setBigUint64(0, version);
  key[8] = depth;
  key.set(prefix.subarray(0, n), 9);
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
    }
  }
  return w.finish();
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
    else throw new WeftError('STORE_FORMAT', `page node ${i} has unknown tag ${tag}`);
  }
  r.end();
  return out;
}

export type RootRecord =
  | { k: 'empty' }
  | { k: 'leaf'; hash: Uint8Array; keyHash: Uint8Array; value: Uint8Array }
  | { k: 'page'; hash: Uint8Array; born: bigint };

export function encodeRootRecord(r: RootRecord): Uint8Array {
  const w = new Writer(80);
  if (r.k === 'empty') w.u8(TAG_EMPTY);
  else if (r.k === 'leaf') w.u8(TAG_LEAF).fixed(r.hash, 32).fixed(r.keyHash, 32).bytes(r.value, VALUE_MAX);
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
  else throw new WeftError('STORE_FORMAT', `root record has unknown tag ${tag}`);
  r.end();
  return out;
}

/** Hash of a root record, for integrity checks: the tree root it names (empty: undefined). */
export function rootRecordHash(r: RootRecord): Uint8Array | undefined {
  return r.k === 'empty' ? undefined : r.hash;
}
