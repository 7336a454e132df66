// Typed-array storage for tree nodes: one ~45-byte record per node instead of one JS object,
// so a million-key tree is a few flat arrays the batch hasher can read without copying.
import { invariant } from '../crypto/errors.js';

export const EMPTY = 0; // node id 0 is the empty subtree, in every tree

const INITIAL_NODES = 1024;
/** Words per node record: [left | leaf flag, right, hash x 8]. */
export const RECORD_WORDS = 10;
const RECORD_BYTES = RECORD_WORDS * 4;
/** Set in word 0 of a leaf's record (below it, word 0 is an internal node's left child). */
export const LEAF_FLAG = 0x8000_0000;
const FREE = 0xffff_ffff;

/** Next capacity of a growing array: 1.5x (doubling left up to half of each array unused). */
function grown(n: number): number {
  return n + (n >> 1);
}
/** Largest node id an arena hands out (ids below the leaf flag; id 0 is EMPTY). */
export const NODES_MAX = 0x7fff_fff0;

/**
 * Nodes as 40-byte records in one typed array, so visiting a node touches one cache line:
 * word 0 holds the left child (internal) or, with the top bit set, the key-hash slot (leaf);
 * word 1 the right child (internal) or the value offset (leaf); words 2..9 the node's hash.
 * The version a node was born in (for page keys) is kept apart: only persistence reads it.
 */
export class NodeArena {
  words: Uint32Array;
  bytes: Uint8Array;
  /** Birth versions, kept only when `trackBorn` (a tree with a store: page keys need them). */
  born: Uint32Array;
  private capacity = INITIAL_NODES;
  private top = 1;
  private freeIds: number[] = [];

  constructor(emptyHash: Uint8Array, trackBorn = true) {
    this.words = new Uint32Array(INITIAL_NODES * RECORD_WORDS);
    this.bytes = new Uint8Array(this.words.buffer);
    this.born = new Uint32Array(trackBorn ? INITIAL_NODES : 0);
    this.bytes.set(emptyHash, 8);
  }

  /** Ids in use (high-water mark less the free list). */
  get live(): number {
    return this.top - 1 - this.freeIds.length;
  }

  /** Ids ever handed out (for sweeps): 1 .. highWater-1. */
  get highWater(): number {
    return this.top;
  }

  /** Records the arrays have room for. */
  get slots(): number {
    return this.capacity;
  }

  /**
   * Takes over compacted arrays (see `compact` in prune.ts): ids 1 .. top-1 in use, none free.
   * `words` holds `capacity` records; `born` is empty or of `capacity` entries.
   */
  adopt(words: Uint32Array, born: Uint32Array, top: number): void {
    this.capacity = words.length / RECORD_WORDS;
    invariant(born.length === 0 || born.length === this.capacity, 'born array of another size');
    this.words = words;
    this.bytes = new Uint8Array(words.buffer);
    this.born = born;
    this.top = top;
    this.freeIds = [];
  }

  private take(born: number): number {
    let id = this.freeIds.pop();
    if (id === undefined) {
      if (this.top === this.capacity) this.grow();
      id = this.top++;
    }
    if (this.born.length !== 0) this.born[id] = born;
    return id;
  }

  allocInternal(left: number, right: number, born: number): number {
    const id = this.take(born);
    this.words[id * RECORD_WORDS] = left;
    this.words[id * RECORD_WORDS + 1] = right;
    return id;
  }

  allocLeaf(keySlot: number, valueOffset: number, born: number): number {
    invariant(keySlot < LEAF_FLAG, 'key-hash slot out of range');
    const id = this.take(born);
    this.words[id * RECORD_WORDS] = (keySlot | LEAF_FLAG) >>> 0;
    this.words[id * RECORD_WORDS + 1] = valueOffset;
    return id;
  }

  isLeaf(id: number): boolean {
    const w = this.words[id * RECORD_WORDS]!;
    return id !== EMPTY && w >= LEAF_FLAG && w !== FREE;
  }

  isInternal(id: number): boolean {
    return id !== EMPTY && this.words[id * RECORD_WORDS]! < LEAF_FLAG;
  }

  isFree(id: number): boolean {
    return this.words[id * RECORD_WORDS] === FREE;
  }

  left(id: number): number {
    return this.words[id * RECORD_WORDS]!;
  }

  right(id: number): number {
    return this.words[id * RECORD_WORDS + 1]!;
  }

  keySlot(id: number): number {
    return this.words[id * RECORD_WORDS]! & ~LEAF_FLAG;
  }

  valueOffset(id: number): number {
    return this.words[id * RECORD_WORDS + 1]!;
  }

  setValueOffset(id: number, offset: number): void {
    this.words[id * RECORD_WORDS + 1] = offset;
  }

  /** Byte offset of a node's hash in `bytes` (word offset: `hashWord`). */
  hashAt(id: number): number {
    return id * RECORD_BYTES + 8;
  }

  hashWord(id: number): number {
    return id * RECORD_WORDS + 2;
  }

  setHash(id: number, hash: Uint8Array): void {
    this.bytes.set(hash, id * RECORD_BYTES + 8);
  }

  free(id: number): void {
    invariant(id !== EMPTY, 'the empty node is never freed');
    this.words[id * RECORD_WORDS] = FREE;
    this.freeIds.push(id);
  }

  private grow(): void {
    invariant(this.capacity <= NODES_MAX, 'node arena is full');
    const size = Math.min(grown(this.capacity), NODES_MAX + 1);
    const words = new Uint32Array(size * RECORD_WORDS);
    words.set(this.words);
    if (this.born.length !== 0) {
      const born = new Uint32Array(size);
      born.set(this.born);
      this.born = born;
    }
    this.words = words;
    this.bytes = new Uint8Array(words.buffer);
    this.capacity = size;
  }

  hashOf(id: number): Uint8Array {
    const at = id * RECORD_BYTES + 8;
    return this.bytes.slice(at, at + 32);
  }

  byteSize(): number {
    return this.words.byteLength + this.born.byteLength;
  }
}

/** 32-byte key hashes of leaves, in slots with a free list. */
export class KeyHashArena {
  bytes: Uint8Array = new Uint8Array(INITIAL_NODES * 32);
  private top = 0;
  private freeSlots: number[] = [];

  /** Slots in use. */
  get live(): number {
    return this.top - this.freeSlots.length;
  }

  /** Takes over compacted slots 0 .. top-1 (see `compact` in prune.ts). */
  adopt(bytes: Uint8Array, top: number): void {
    this.bytes = bytes;
    this.top = top;
    this.freeSlots = [];
  }

  alloc(src: Uint8Array, offset: number): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if ((this.top + 1) * 32 > this.bytes.length) {
        const next = new Uint8Array(grown(this.bytes.length / 32) * 32);
        next.set(this.bytes);
        this.bytes = next;
      }
      slot = this.top++;
    }
    const to = slot * 32;
    const bytes = this.bytes;
    for (let i = 0; i < 32; i++) bytes[to + i] = src[offset + i]!;
    return slot;
  }

  free(slot: number): void {
    this.freeSlots.push(slot);
  }

  view(slot: number): Uint8Array {
    return this.bytes.subarray(slot * 32, slot * 32 + 32);
  }

  byteSize(): number {
    return this.bytes.byteLength;
  }
}

/**
 * Values, appended as [u32 length][bytes]; offsets are u32, so one arena holds up to 4 GiB.
 * Dead values are reclaimed by `compact`, which the tree runs when half the arena is garbage.
 */
export class ValueArena {
  bytes: Uint8Array;
  private view: DataView;
  top = 0;
  garbage = 0;

  constructor(capacity = 64 * 1024) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Takes over another arena's contents (after compaction). */
  adopt(from: ValueArena): void {
    this.bytes = from.bytes;
    this.view = from.view;
    this.top = from.top;
    this.garbage = from.garbage;
  }

  append(value: Uint8Array): number {
    const need = 4 + value.length;
    if (this.top + need > this.bytes.length) this.grow(need);
    const offset = this.top;
    this.view.setUint32(offset, value.length);
    this.bytes.set(value, offset + 4);
    this.top += need;
    return offset;
  }

  /** Appends the value at `offset` of `from`; returns its offset here. */
  copyFrom(from: ValueArena, offset: number): number {
    const need = 4 + from.view.getUint32(offset);
    if (this.top + need > this.bytes.length) this.grow(need);
    const at = this.top;
    const src = from.bytes;
    const dst = this.bytes;
    if (need <= 64) for (let i = 0; i < need; i++) dst[at + i] = src[offset + i]!;
    else dst.set(src.subarray(offset, offset + need), at);
    this.top += need;
    return at;
  }

  private grow(need: number): void {
    let size = grown(this.bytes.length);
    while (size < this.top + need) size = grown(size);
    invariant(this.top + need <= 0x1_0000_0000, 'value arena exceeds 4 GiB');
    size = Math.min(size, 0x1_0000_0000);
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.top));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  length(offset: number): number {
    return this.view.getUint32(offset);
  }

  /** A view of the value at `offset`; copy it before handing it out. */
  get(offset: number): Uint8Array {
    const n = this.view.getUint32(offset);
    return this.bytes.subarray(offset + 4, offset + 4 + n);
  }

  release(offset: number): void {
    this.garbage += 4 + this.view.getUint32(offset);
  }

  byteSize(): number {
    return this.bytes.byteLength;
  }
}

/** The three arrays a tree's nodes live in, handed together to the walks that read or build them. */
export type TreeArenas = {
  readonly nodes: NodeArena;
  readonly keys: KeyHashArena;
  readonly vals: ValueArena;
};
