// Freeing the nodes of pruned versions, and compaction: when most node slots are free, or half
// the value arena is garbage, the live part is copied into fresh, smaller arrays.
import { invariant } from '../crypto/errors.js';
import { EMPTY, RECORD_WORDS, type TreeArenas, ValueArena } from './arena.js';

/** Root ids of the retained versions, oldest first, with their stale lists (see `Smt`). */
export type Retained = { roots: number[]; staleIds: number[][] };

/**
 * Frees every node not reachable from `roots` (mark and sweep): for versions loaded from a
 * store, which keep no stale lists.
 */
export function sweepUnreachable(t: TreeArenas, roots: number[]): void {
  const a = t.nodes;
  const marked = new Uint8Array(a.highWater);
  const stack: number[] = [];
  for (const r of roots) if (r !== EMPTY) stack.push(r);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (marked[n]) continue;
    marked[n] = 1;
    if (a.isInternal(n)) {
      const l = a.left(n);
      const r = a.right(n);
      if (l !== EMPTY && !marked[l]) stack.push(l);
      if (r !== EMPTY && !marked[r]) stack.push(r);
    }
  }
  for (let id = 1; id < a.highWater; id++) if (!marked[id] && !a.isFree(id)) freeNode(t, id);
}

/**
 * The live node count once the nodes on the stale lists of versions 1..`drop` are gone; frees
 * them unless the tree is about to compact (which drops them by not copying them).
 */
export function freeStale(
  t: TreeArenas,
  staleIds: number[][],
  drop: number,
  compactMinSlots: number,
): number {
  let dropped = 0;
  for (let i = 1; i <= drop; i++) dropped += staleIds[i]!.length;
  const live = t.nodes.live - dropped;
  if (!shouldCompact(t, live, compactMinSlots)) {
    for (let i = 1; i <= drop; i++) for (const id of staleIds[i]!) freeNode(t, id);
  }
  return live;
}

function freeNode(t: TreeArenas, id: number): void {
  const a = t.nodes;
  invariant(!a.isFree(id), 'a node is freed twice');
  if (a.isLeaf(id)) {
    t.keys.free(a.keySlot(id));
    t.vals.release(a.valueOffset(id));
  }
  a.free(id);
}

/**
 * Arrays never shrink by themselves: when most node slots are free (after a prune following
 * many unpruned versions) the live nodes are copied instead of freed.
 */
export function shouldCompact(t: TreeArenas, live: number, compactMinSlots: number): boolean {
  return t.nodes.slots > compactMinSlots && t.nodes.slots > 2 * live;
}

/**
 * After a prune leaves `live` nodes: compacts the node arrays when they are mostly free (node
 * ids change: the remapped roots and stale lists are returned), else the value arena alone when
 * half of it is garbage.
 */
export function compactIfSparse(
  t: TreeArenas,
  kept: Retained,
  live: number,
  compactMinSlots: number,
): Retained {
  if (shouldCompact(t, live, compactMinSlots)) return compact(t, kept, live);
  if (t.vals.garbage > t.vals.top / 2) compactValues(t);
  return kept;
}

/** Fresh arrays a compaction copies the live nodes, key hashes and values into. */
type Copy = {
  words: Uint32Array;
  born: Uint32Array;
  keyBytes: Uint8Array;
  /** `keyBytes` as words, and the old key-hash slots as words (copied a word at a time) */
  keyWords: Uint32Array;
  oldKeyWords: Uint32Array;
  vals: ValueArena;
  /** old node id -> new (0: not copied yet) */
  remap: Uint32Array;
  /** next free node id */
  next: number;
  /** next free key-hash slot */
  slot: number;
};

/**
 * Renumbers the nodes of the retained versions into fresh arrays with an eighth of headroom:
 * pre-order from each root (so a subtree's nodes sit together), key hashes and values copied
 * in the same order. Node ids change; roots and stale lists are remapped.
 */
function compact(t: TreeArenas, kept: Retained, live: number): Retained {
  const a = t.nodes;
  const copy = freshArrays(t, live);
  for (const root of kept.roots) copyReachable(t, root, copy);
  invariant(copy.next === live + 1, 'compaction found another number of live nodes');
  relinkChildren(copy);
  a.adopt(copy.words, copy.born, copy.next);
  t.keys.adopt(copy.keyBytes, copy.slot);
  t.vals.adopt(copy.vals);
  const remap = copy.remap;
  return {
    roots: kept.roots.map((r) => remap[r]!),
    staleIds: kept.staleIds.map((list) =>
      list.map((id) => {
        const to = remap[id]!;
        invariant(to !== 0, 'a stale list names a node no retained version reaches');
        return to;
      }),
    ),
  };
}

function freshArrays(t: TreeArenas, live: number): Copy {
  const a = t.nodes;
  const cap = Math.max(1024, live + 1 + (live >> 3));
  const words = new Uint32Array(cap * RECORD_WORDS);
  words.set(a.words.subarray(0, RECORD_WORDS)); // the empty node's record (its hash)
  const leafCap = Math.max(1024, t.keys.live + (t.keys.live >> 3));
  const keyBytes = new Uint8Array(leafCap * 32);
  const liveValueBytes = t.vals.top - t.vals.garbage;
  return {
    words,
    born: a.born.length === 0 ? a.born : new Uint32Array(cap),
    keyBytes,
    keyWords: new Uint32Array(keyBytes.buffer),
    oldKeyWords: new Uint32Array(t.keys.bytes.buffer, 0, t.keys.bytes.length >> 2),
    vals: new ValueArena(Math.max(1024, liveValueBytes + (liveValueBytes >> 3))),
    remap: new Uint32Array(a.highWater),
    next: 1,
    slot: 0,
  };
}

/** Copies the nodes under `root` not copied yet, in pre-order; children keep their old ids. */
function copyReachable(t: TreeArenas, root: number, c: Copy): void {
  if (root === EMPTY || c.remap[root] !== 0) return;
  const a = t.nodes;
  const old = a.words;
  const { words, born, remap, keyWords, oldKeyWords } = c;
  const stack: number[] = [root];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (remap[id] !== 0) continue;
    const to = c.next++;
    remap[id] = to;
    for (let w = 0; w < RECORD_WORDS; w++) words[to * RECORD_WORDS + w] = old[id * RECORD_WORDS + w]!;
    if (born.length !== 0) born[to] = a.born[id]!;
    if (a.isLeaf(id)) {
      const ks = a.keySlot(id);
      const slot = c.slot++;
      for (let w = 0; w < 8; w++) keyWords[slot * 8 + w] = oldKeyWords[ks * 8 + w]!;
      words[to * RECORD_WORDS] = (slot | 0x8000_0000) >>> 0;
      words[to * RECORD_WORDS + 1] = c.vals.copyFrom(t.vals, a.valueOffset(id));
    } else {
      const l = a.left(id);
      const r = a.right(id);
      if (r !== EMPTY && remap[r] === 0) stack.push(r);
      if (l !== EMPTY && remap[l] === 0) stack.push(l);
    }
  }
}

/** Points the copied internal nodes at their children's new ids. */
function relinkChildren(c: Copy): void {
  const { words, remap } = c;
  for (let id = 1; id < c.next; id++) {
    const o = id * RECORD_WORDS;
    if (words[o]! < 0x8000_0000) {
      words[o] = remap[words[o]!]!;
      words[o + 1] = remap[words[o + 1]!]!;
    }
  }
}

/** Copies the live values (those of leaves not freed) into a fresh arena. */
function compactValues(t: TreeArenas): void {
  const a = t.nodes;
  const next = new ValueArena();
  for (let id = 1; id < a.highWater; id++) {
    if (a.isLeaf(id)) a.setValueOffset(id, next.append(t.vals.get(a.valueOffset(id))));
  }
  t.vals.adopt(next);
}
