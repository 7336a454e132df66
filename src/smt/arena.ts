// Typed-array storage for tree nodes: one ~45-byte record per node instead of one JS object,
// so a million-key tree is a few flat arrays the batch hasher can read without copying.
import { invariant } from '../crypto/errors.js';

export const EMPTY = 0; // node id 0 is the empty subtree, in every tree
export const KIND_EMPTY = 0;
export const KIND_INTERNAL = 1;
export const KIND_LEAF = 2;

const INITIAL_NODES = 1024;
/** Largest node id an arena hands out (u32 ids; id 0 is reserved for EMPTY). */
export const NODES_MAX = 0xffff_fff0;

/**
 * Nodes: `kind`, `hash` (32 bytes), `born` (version created, for page keys) and two u32 fields:
 * internal nodes keep their children in `left`/`right`; leaves keep their key-hash slot in `left`
 * and their value's offset in `right`.
 */
export class NodeArena {
  kind: Uint8Array;
  left: Uint32Array;
  right: Uint32Array;
  born: Uint32Array;
  hash: Uint8Array;
  hash32: Uint32Array;
  private top = 1;
  private freeIds: number[] = [];

  constructor(emptyHash: Uint8Array) {
    this.kind = new Uint8Array(INITIAL_NODES);
    this.left = new Uint32Array(INITIAL_NODES);
    this.right = new Uint32Array(INITIAL_NODES);
    this.born = new Uint32Array(INITIAL_NODES);
    this.hash = new Uint8Array(INITIAL_NODES * 32);
    this.hash32 = new Uint32Array(this.hash.buffer);
    this.hash.set(emptyHash, 0);
  }

  get capacity(): number {
    return this.kind.length;
  }

  /** Ids in use (high-water mark less the free list). */
  get live(): number {
    return this.top - 1 - this.freeIds.length;
  }

  alloc(kind: number, left: number, right: number, born: number): number {
    let id = this.freeIds.pop();
    if (id === undefined) {
      if (this.top === this.kind.length) this.grow();
      id = this.top++;
    }
    this.kind[id] = kind;
    this.left[id] = left;
    this.right[id] = right;
    this.born[id] = born;
    return id;
  }

  free(id: number): void {
    invariant(id !== EMPTY, 'the empty node is never freed');
    this.kind[id] = KIND_EMPTY;
    this.freeIds.push(id);
  }

  /** Ids ever handed out (for sweeps): 1 .. highWater-1. */
  get highWater(): number {
    return this.top;
  }

  private grow(): void {
    const size = this.kind.length * 2;
    invariant(size <= NODES_MAX + 1, 'node arena is full');
    const kind = new Uint8Array(size);
    kind.set(this.kind);
    const left = new Uint32Array(size);
    left.set(this.left);
    const right = new Uint32Array(size);
    right.set(this.right);
    const born = new Uint32Array(size);
    born.set(this.born);
    const hash = new Uint8Array(size * 32);
    hash.set(this.hash);
    this.kind = kind;
    this.left = left;
    this.right = right;
    this.born = born;
    this.hash = hash;
    this.hash32 = new Uint32Array(hash.buffer);
  }

  hashOf(id: number): Uint8Array {
    return this.hash.slice(id * 32, id * 32 + 32);
  }

  byteSize(): number {
    return (
      this.kind.byteLength +
      this.left.byteLength +
      this.right.byteLength +
      this.born.byteLength +
      this.hash.byteLength
    );
  }
}

/** 32-byte key hashes of leaves, in slots with a free list. */
export class KeyHashArena {
  bytes = new Uint8Array(INITIAL_NODES * 32);
  private top = 0;
  private freeSlots: number[] = [];

  alloc(src: Uint8Array, offset: number): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if ((this.top + 1) * 32 > this.bytes.length) {
        const next = new Uint8Array(this.bytes.length * 2);
        next.set(this.bytes);
        this.bytes = next;
      }
      slot = this.top++;
    }
    this.bytes.set(src.subarray(offset, offset + 32), slot * 32);
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
  bytes = new Uint8Array(64 * 1024);
  private view = new DataView(this.bytes.buffer);
  top = 0;
  garbage = 0;

  append(value: Uint8Array): number {
    const need = 4 + value.length;
    if (this.top + need > this.bytes.length) this.grow(need);
    const offset = this.top;
    this.view.setUint32(offset, value.length);
    this.bytes.set(value, offset + 4);
    this.top += need;
    return offset;
  }

  private grow(need: number): void {
    let size = this.bytes.length * 2;
    while (size < this.top + need) size *= 2;
    invariant(size <= 0x1_0000_0000, 'value arena exceeds 4 GiB');
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
