// What a new version adds to a store: the pages of `pageLevels` tree levels rooted at the nodes
// born in it, and its root record. Unchanged pages are shared with older versions, never rewritten.
import { EMPTY, type TreeArenas } from './arena.js';
import { encodeRootRecord, PageWriter, pageKey } from './page.js';

const EMPTY_BYTES = new Uint8Array(0);

/** The root record of a version whose root is node `rootId`. */
export function rootRecord(t: TreeArenas, rootId: number): Uint8Array {
  const a = t.nodes;
  if (rootId === EMPTY) return encodeRootRecord({ k: 'empty' });
  if (a.isLeaf(rootId)) {
    return encodeRootRecord({
      k: 'leaf',
      hash: a.hashOf(rootId),
      keyHash: t.keys.view(a.keySlot(rootId)).slice(),
      value: t.vals.get(a.valueOffset(rootId)).slice(),
    });
  }
  return encodeRootRecord({ k: 'page', hash: a.hashOf(rootId), born: BigInt(a.born[rootId]!) });
}

/**
 * Walks the new nodes of `version` (those born in it) under `root`, encoding each new page into
 * one buffer for the whole commit (first sized `bufferBytes`) and appending [page key, page] to
 * `out`; the walk keeps the path, which gives each page key's prefix. Returns the bytes used.
 */
export function collectNewPages(
  t: TreeArenas,
  pageLevels: number,
  root: number,
  version: bigint,
  bufferBytes: number,
  out: [Uint8Array, Uint8Array][],
): number {
  const a = t.nodes;
  const v = Number(version);
  const L = pageLevels;
  const w = new PageWriter(bufferBytes);
  const path = new Uint8Array(32);
  const spans: number[] = [];
  const visit = (id: number, d: number): void => {
    if (!a.isInternal(id) || a.born[id] !== v) return;
    if (d % L === 0) {
      const key = pageKey(version, d, path);
      encodePageAt(t, L, w, id, d);
      const [start, end] = w.end();
      out.push([key, EMPTY_BYTES]);
      spans.push(start, end);
    }
    const mask = 0x80 >> (d & 7);
    path[d >> 3]! &= ~mask;
    visit(a.left(id), d + 1);
    path[d >> 3]! |= mask;
    visit(a.right(id), d + 1);
    path[d >> 3]! &= ~mask;
  };
  visit(root, 0);
  // Views once the buffer has stopped growing.
  for (let i = 0; i < out.length; i++) out[i]![1] = w.buf.subarray(spans[2 * i]!, spans[2 * i + 1]!);
  return w.pos;
}

/** Encodes the page rooted at internal node `id` (depth `d`): its `L` levels in pre-order. */
function encodePageAt(t: TreeArenas, L: number, w: PageWriter, id: number, d: number): void {
  const a = t.nodes;
  const bytes = a.bytes;
  const bottom = d + L;
  w.begin();
  const walk = (n: number, depth: number): void => {
    if (n === EMPTY) w.empty();
    else if (a.isLeaf(n)) {
      w.leaf(bytes, a.hashAt(n), t.keys.bytes, a.keySlot(n) * 32, t.vals.get(a.valueOffset(n)));
    } else if (depth === bottom) w.ref(bytes, a.hashAt(n), a.born[n]!);
    else {
      w.internal(bytes, a.hashAt(n));
      walk(a.left(n), depth + 1);
      walk(a.right(n), depth + 1);
    }
  };
  walk(id, d);
}
