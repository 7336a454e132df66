// Batch update with path copying: a batch rebuilds only the paths it touches, so every older
// version stays readable from its own root; the new nodes are then hashed level by level in
// batches, deepest first.
import { invariant } from '../crypto/errors.js';
import {
  EMPTY,
  type KeyHashArena,
  type NodeArena,
  RECORD_WORDS,
  type TreeArenas,
  type ValueArena,
} from './arena.js';
import type { Batch } from './batch.js';
import { bitOf, KEY_BITS } from './bits.js';
import type { TreeHasher } from './hasher.js';
import { findPacked, splitPacked } from './keyHashes.js';
import { LevelHasher } from './levelHash.js';
import { pageKey } from './page.js';

/** Words of one `update` entry: old node, lo, hi, left child's entry, right child's entry, new node. */
const ENTRY_WORDS = 6;
/** Largest entries array (in words, 4 MiB) a tree keeps between batches. */
const ENTRY_WORDS_KEPT = 1 << 20;
/** No entry: that side has no writes and keeps its old child. */
const NO_ENTRY = 0xffff_ffff;

/** What one batch did to the tree. */
export type UpdateResult = {
  /** root node id of the new version */
  root: number;
  /** nodes the previous version has and the new one no longer has */
  stale: number[];
  /** keys of the stored pages the new version replaces (only when pages are tracked) */
  retired: Uint8Array[];
  /**
   * The new version's new pages (only when pages are tracked): the new internal nodes at page
   * depths, each with its depth and the key of its page (`pageKey`).
   */
  newPages: NewPages;
};

/**
 * New page roots of one batch, in creation order: node ids, their depths, their page keys, and
 * `depth * 2^32 + lo` (lo: the first of the batch's writes under the node), which orders them as
 * their keys are ordered (same depth: the batch is sorted by key hash).
 */
export type NewPages = { ids: number[]; depths: number[]; keys: Uint8Array[]; order: number[] };

export function noNewPages(): NewPages {
  return { ids: [], depths: [], keys: [], order: [] };
}

/**
 * Applies batches to a tree's arenas, one at a time, reusing its scratch lists and buffers from
 * one batch to the next. `trackPages` (a tree with a store) records the page keys each batch
 * retires, which page roots are `pageLevels` apart.
 */
export class BatchUpdater {
  private readonly h: TreeHasher;
  private readonly nodes: NodeArena;
  private readonly keys: KeyHashArena;
  private readonly vals: ValueArena;
  private readonly pageLevels: number;
  private readonly trackPages: boolean;
  private dirtyByDepth: number[][] = Array.from({ length: KEY_BITS + 1 }, () => []);
  /** Pairs (leaf id, index of its write in the batch). */
  private dirtyLeaves: number[] = [];
  private stale: number[] = [];
  private retired: Uint8Array[] = [];
  private newPages: NewPages = noNewPages();
  /** The batch being applied (its key hashes give new pages their keys). */
  private batch: Batch | null = null;
  private version = 0;
  private scratchIn = new Uint8Array(64 * 1024);
  private scratchOut = new Uint8Array(32 * 1024);
  /** Where the touch passes leave the words they read, so the reads are not optimised away. */
  private touchSink = 0;
  /** Hashes the new internal nodes a level at a time. */
  private readonly levels: LevelHasher;
  /** `update`'s entries, ENTRY_WORDS words each, and where each level's entries start. */
  private entryWords = new Uint32Array(0);
  private levelStart = new Uint32Array(KEY_BITS + 1);

  constructor(h: TreeHasher, t: TreeArenas, pageLevels: number, trackPages: boolean) {
    this.h = h;
    this.levels = new LevelHasher(h);
    this.nodes = t.nodes;
    this.keys = t.keys;
    this.vals = t.vals;
    this.pageLevels = pageLevels;
    this.trackPages = trackPages;
  }

  /** Builds version `version` from the tree at `oldRoot` and the batch `b`, hashing every new node. */
  run(oldRoot: number, b: Batch, version: number): UpdateResult {
    this.version = version;
    this.stale = [];
    this.retired = [];
    this.newPages = noNewPages();
    this.batch = b;
    const root = b.n === 0 ? oldRoot : this.update(oldRoot, b);
    this.batch = null;
    this.hashNewLeaves(b);
    this.hashNewInternals();
    return { root, stale: this.stale, retired: this.retired, newPages: this.newPages };
  }

  /**
   * Rebuilds the paths of the batch's writes under `root`; returns the new root's id. Level by
   * level, not depth first: each level's old nodes are read in a loop of their own first, so
   * their cache misses (records anywhere in an array of hundreds of megabytes) are in flight
   * together instead of one at a time. Going down, every visited internal node becomes an entry
   * (node, [lo, hi), its children's entries); a subtree whose root is a leaf or empty is built
   * at once. Coming up, deepest level first, each entry becomes its new node.
   */
  private update(root: number, b: Batch): number {
    const a = this.nodes;
    const levelStart = this.levelStart;
    let e = this.entries(ENTRY_WORDS);
    e[0] = root;
    e[1] = 0;
    e[2] = b.n;
    let from = 0;
    let to = 1;
    let depth = 0;
    let sink = this.touchSink;
    for (; from < to; depth++) {
      levelStart[depth] = from;
      // Re-read each level: building the level above may have grown the arrays.
      const words = a.words;
      const keyBytes = this.keys.bytes;
      // Read ahead: one word of each record of this level, in a loop of its own.
      for (let i = from; i < to; i++) sink = (sink + words[e[i * ENTRY_WORDS]! * RECORD_WORDS]!) | 0;
      for (let i = from; i < to; i++) {
        const node = e[i * ENTRY_WORDS]!;
        if (a.isInternal(node)) continue;
        // An existing leaf: `build` compares its key hash with the batch's.
        if (node !== EMPTY) sink = (sink + keyBytes[a.keySlot(node) * 32]!) | 0;
      }
      let next = to;
      e = this.entries((to + 2 * (to - from)) * ENTRY_WORDS);
      for (let i = from; i < to; i++) {
        const at = i * ENTRY_WORDS;
        const node = e[at]!;
        const lo = e[at + 1]!;
        const hi = e[at + 2]!;
        if (!a.isInternal(node)) {
          e[at + 3] = NO_ENTRY;
          e[at + 4] = NO_ENTRY;
          e[at + 5] = this.build(node, depth, lo, hi, b);
          continue;
        }
        invariant(depth < KEY_BITS, 'internal node at depth 256');
        const mid = splitPacked(b.keyHashes, depth, lo, hi);
        e[at + 3] = lo < mid ? next : NO_ENTRY;
        if (lo < mid) next = this.entry(e, next, a.left(node), lo, mid);
        e[at + 4] = mid < hi ? next : NO_ENTRY;
        if (mid < hi) next = this.entry(e, next, a.right(node), mid, hi);
      }
      from = to;
      to = next;
    }
    this.touchSink = sink;
    // Up, deepest level first: an internal entry's children are all on the level below it.
    for (let d = depth - 1; d >= 0; d--) {
      const end = d === depth - 1 ? to : levelStart[d + 1]!;
      for (let i = levelStart[d]!; i < end; i++) {
        const at = i * ENTRY_WORDS;
        const node = e[at]!;
        if (!a.isInternal(node)) continue;
        const l = a.left(node);
        const r = a.right(node);
        const nl = e[at + 3] === NO_ENTRY ? l : e[e[at + 3]! * ENTRY_WORDS + 5]!;
        const nr = e[at + 4] === NO_ENTRY ? r : e[e[at + 4]! * ENTRY_WORDS + 5]!;
        if (nl === l && nr === r) {
          e[at + 5] = node;
          continue;
        }
        this.stale.push(node);
        // Every key of [lo, hi) shares the node's path: the page key's prefix comes from the batch.
        if (this.trackPages && d % this.pageLevels === 0) {
          const lo = e[at + 1]!;
          this.retired.push(pageKey(a.born[node]!, d, b.keyHashes, lo * 32));
        }
        e[at + 5] = this.join(nl, nr, d, e[at + 1]!);
      }
    }
    const newRoot = e[5]!;
    // Kept for the next batch unless a huge batch made it big (about 86,000 entries per 10k keys).
    if (e.length > ENTRY_WORDS_KEPT) this.entryWords = new Uint32Array(0);
    return newRoot;
  }

  /** Writes entry `i` (node, lo, hi) into `e`; returns the next free entry. */
  private entry(e: Uint32Array, i: number, node: number, lo: number, hi: number): number {
    e[i * ENTRY_WORDS] = node;
    e[i * ENTRY_WORDS + 1] = lo;
    e[i * ENTRY_WORDS + 2] = hi;
    return i + 1;
  }

  /** The entries array with room for `words` words (grown, contents kept). */
  private entries(words: number): Uint32Array {
    if (this.entryWords.length >= words) return this.entryWords;
    const grown = new Uint32Array(Math.max(words, this.entryWords.length * 2));
    grown.set(this.entryWords);
    this.entryWords = grown;
    return grown;
  }

  /**
   * An internal node over (nl, nr), or the lone leaf or emptiness the pair collapses to. `lo` is
   * the first of the batch's writes under it: every one of them shares its path, which gives a
   * new page its key. (A new internal node is never dropped later in the batch: only leaves and
   * emptiness collapse.)
   */
  private join(nl: number, nr: number, depth: number, lo: number): number {
    const a = this.nodes;
    if (nl === EMPTY && (nr === EMPTY || a.isLeaf(nr))) return nr;
    if (nr === EMPTY && a.isLeaf(nl)) return nl;
    const id = a.allocInternal(nl, nr, this.version);
    this.dirtyByDepth[depth]!.push(id);
    if (this.trackPages && depth % this.pageLevels === 0) {
      const p = this.newPages;
      p.ids.push(id);
      p.depths.push(depth);
      p.keys.push(pageKey(this.version, depth, this.batch!.keyHashes, lo * 32));
      p.order.push(depth * 0x1_0000_0000 + lo);
    }
    return id;
  }

  /**
   * Builds the subtree at `depth` from writes [lo, hi) and `existing` (EMPTY or a leaf), which a
   * write of the same key replaces.
   */
  private build(existing: number, depth: number, lo: number, hi: number, b: Batch): number {
    let keep = existing;
    if (existing !== EMPTY) {
      // Searched in place: a view per existing leaf was a tenth of the batch's garbage.
      if (findPacked(b.keyHashes, this.keys.bytes, this.nodes.keySlot(existing) * 32, lo, hi) >= 0) {
        keep = EMPTY;
        this.stale.push(existing);
      }
    }
    return this.buildFrom(keep, depth, lo, hi, b);
  }

  private buildFrom(keep: number, depth: number, lo: number, hi: number, b: Batch): number {
    const sets = b.setPrefix[hi]! - b.setPrefix[lo]!;
    const count = sets + (keep === EMPTY ? 0 : 1);
    if (count === 0) return EMPTY;
    if (count === 1) {
      if (keep !== EMPTY) return keep;
      for (let i = lo; i < hi; i++) if (b.values[i] !== null) return this.newLeaf(i, b);
      invariant(false, 'a set write was counted but not found');
    }
    invariant(depth < KEY_BITS, 'two distinct key hashes share all 256 bits');
    const mid = splitPacked(b.keyHashes, depth, lo, hi);
    let keepLeft = EMPTY;
    let keepRight = EMPTY;
    if (keep !== EMPTY) {
      if (bitOf(this.keys.bytes, this.nodes.keySlot(keep) * 32, depth) === 0) keepLeft = keep;
      else keepRight = keep;
    }
    const nl = this.buildFrom(keepLeft, depth + 1, lo, mid, b);
    const nr = this.buildFrom(keepRight, depth + 1, mid, hi, b);
    return this.join(nl, nr, depth, lo);
  }

  private newLeaf(i: number, b: Batch): number {
    const slot = this.keys.alloc(b.keyHashes, i * 32);
    const offset = this.vals.append(b.values[i]!);
    // Born 0: no leaf record yet. Persisting the version writes one and sets it (persist.ts).
    const id = this.nodes.allocLeaf(slot, offset, 0);
    this.dirtyLeaves.push(id, i);
    return id;
  }

  /** Hashes the batch's new leaves in one call to the batch hasher. */
  private hashNewLeaves(b: Batch): void {
    const a = this.nodes;
    const leaves = this.dirtyLeaves;
    if (leaves.length === 0) return;
    const n = leaves.length / 2;
    const input = this.scratch(n);
    const out = this.scratchOut;
    const keyBytes = this.keys.bytes;
    const valueHashes = b.valueHashes;
    const nodeBytes = a.bytes;
    // Byte copies rather than `set` on views: three views per leaf were most of the batch's garbage.
    for (let j = 0; j < n; j++) {
      const k = a.keySlot(leaves[2 * j]!) * 32;
      const v = leaves[2 * j + 1]! * 32;
      const o = j * 64;
      for (let x = 0; x < 32; x++) {
        input[o + x] = keyBytes[k + x]!;
        input[o + 32 + x] = valueHashes[v + x]!;
      }
    }
    this.h.leafBatch(input.subarray(0, n * 64), out.subarray(0, n * 32));
    for (let j = 0; j < n; j++) {
      const to = a.hashAt(leaves[2 * j]!);
      for (let x = 0; x < 32; x++) nodeBytes[to + x] = out[j * 32 + x]!;
    }
    leaves.length = 0;
  }

  /** Hashes the new internal nodes level by level, deepest first, one batch per level. */
  private hashNewInternals(): void {
    for (let d = KEY_BITS - 1; d >= 0; d--) {
      const list = this.dirtyByDepth[d]!;
      if (list.length === 0) continue;
      this.levels.hashLevel(this.nodes, list);
      list.length = 0;
    }
  }

  /** Scratch buffers big enough for `n` 64-byte inputs and `n` outputs. */
  private scratch(n: number): Uint8Array {
    if (this.scratchIn.length < n * 64) {
      this.scratchIn = new Uint8Array(n * 64 * 2);
      this.scratchOut = new Uint8Array(n * 32 * 2);
    }
    return this.scratchIn;
  }
}
