// One tree level of internal hashes in one batched hash call: what a batch update does for its new
// nodes (update.ts) and what the loader does for the nodes a format-3 page stores without a hash
// (load.ts), each level deepest first.
import type { NodeArena } from './arena.js';
import type { TreeHasher } from './hasher.js';

/**
 * Nodes whose child hashes are touched ahead of the copy, at a time: small enough that the
 * touched lines (2 children x 2 lines x 64 bytes each) stay in the first-level cache.
 */
const GATHER_CHUNK = 64;

/** Reusable buffers for hashing whole levels of internal nodes. */
export class LevelHasher {
  private input = new Uint8Array(64 * 1024);
  private output = new Uint8Array(32 * 1024);
  /** Where the touch passes leave the words they read, so the reads are not optimised away. */
  private sink = 0;

  constructor(private readonly h: TreeHasher) {}

  /**
   * Sets the hash of every internal node of `list` from its two children's hashes, which must
   * be computed already (a deeper level, or read with their hashes), with one batched call.
   */
  hashLevel(a: NodeArena, list: readonly number[]): void {
    const n = list.length;
    if (n === 0) return;
    if (this.input.length < n * 64) {
      this.input = new Uint8Array(n * 64 * 2);
      this.output = new Uint8Array(n * 32 * 2);
    }
    const in32 = new Uint32Array(this.input.buffer, 0, n * 16);
    // Word copies from the node records, children's hashes side by side.
    const words = a.words;
    for (let from = 0; from < n; from += GATHER_CHUNK) {
      const to = Math.min(n, from + GATHER_CHUNK);
      this.touchChildren(a, list, from, to);
      for (let j = from; j < to; j++) {
        const id = list[j]!;
        const l = a.hashWord(a.left(id));
        const r = a.hashWord(a.right(id));
        const o = j * 16;
        for (let w = 0; w < 8; w++) {
          in32[o + w] = words[l + w]!;
          in32[o + 8 + w] = words[r + w]!;
        }
      }
    }
    this.h.internalBatch(this.input.subarray(0, n * 64), this.output.subarray(0, n * 32));
    const out32 = new Uint32Array(this.output.buffer, 0, n * 8);
    for (let j = 0; j < n; j++) {
      const o = a.hashWord(list[j]!);
      for (let w = 0; w < 8; w++) words[o + w] = out32[j * 8 + w]!;
    }
  }

  /**
   * Reads one word at each end of the child hashes of `list[from .. to)`, in a loop short enough
   * that the processor keeps many of these cache misses in flight at once: the children sit
   * anywhere in an array of hundreds of megabytes, and the copy loop alone waited for them one or
   * two at a time (in-memory batches at 1M keys took ~20% less CPU with this pass, docs/benchmarks.md).
   */
  private touchChildren(a: NodeArena, list: readonly number[], from: number, to: number): void {
    const words = a.words;
    let sink = this.sink;
    for (let j = from; j < to; j++) {
      const id = list[j]!;
      const l = a.hashWord(a.left(id));
      const r = a.hashWord(a.right(id));
      sink = (sink + words[l]! + words[l + 7]! + words[r]! + words[r + 7]!) | 0;
    }
    this.sink = sink;
  }
}
