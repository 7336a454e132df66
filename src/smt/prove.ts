// Proof generation: a single key's path (siblings and what ends it), and the pre-order steps of
// a multi-proof or transition proof over the union of several keys' paths.
import { equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/sha256.js';
import { EMPTY, LEAF_FLAG, RECORD_WORDS, type TreeArenas } from './arena.js';
import { KEY_BITS } from './bits.js';
import type { TreeHasher } from './hasher.js';
import { splitSorted } from './keyHashes.js';
import { PackedProof } from './packedProof.js';
import type { MultiStep, Proof, Sibling } from './types.js';

/** Bytes of one sibling buffer shared by consecutive proofs (like Node's Buffer pool). */
const SIBLING_SLAB_BYTES = 8 * 1024;

/**
 * Scratch for single proofs: the path's sibling ids and depths, and the current slab the
 * siblings' hashes are copied into. Proofs take regions of a shared slab instead of one buffer
 * each: allocating a backing store per proof cost more than the walk (docs/benchmarks-smt.md).
 * A region, once handed out, is never written again (a full slab is replaced, not reused).
 * A retained proof keeps its slab (at most 8 KiB) alive.
 */
export class ProofScratch {
  readonly found = new Uint32Array(KEY_BITS + 1);
  readonly depths = new Uint16Array(KEY_BITS + 1);
  /** The queried key's hash (no proof keeps it). */
  readonly keyHash = new Uint8Array(32);
  slab = new ArrayBuffer(SIBLING_SLAB_BYTES);
  slabWords = new Uint32Array(this.slab);
  slabBytes = new Uint8Array(this.slab);
  at = 0;

  /** Makes room for `count` hashes (32 bytes each) from `at`. */
  reserve(count: number): void {
    if (this.at + count * 32 <= this.slab.byteLength) return;
    this.slab = new ArrayBuffer(Math.max(SIBLING_SLAB_BYTES, count * 32));
    this.slabWords = new Uint32Array(this.slab);
    this.slabBytes = new Uint8Array(this.slab);
    this.at = 0;
  }
}

/** The proof of key hash `kh` under `root`. */
export function proveKey(t: TreeArenas, root: number, kh: Uint8Array, s: ProofScratch): Proof {
  const words = t.nodes.words;
  const found = s.found;
  const depths = s.depths;
  // Walk once, reading the node records' words directly, to find the non-empty siblings.
  let count = 0;
  let n = root;
  let depth = 0;
  while (n !== EMPTY) {
    const w0 = words[n * RECORD_WORDS]!;
    if (w0 >= LEAF_FLAG) break; // a leaf (free records are never reachable)
    const w1 = words[n * RECORD_WORDS + 1]!;
    const bit = (kh[depth >> 3]! >> (7 - (depth & 7))) & 1;
    const sibling = bit === 0 ? w1 : w0;
    if (sibling !== EMPTY) {
      depths[count] = depth;
      found[count++] = sibling;
    }
    n = bit === 0 ? w0 : w1;
    depth++;
  }
  const bitmap = new Uint8Array((depth + 7) >> 3);
  s.reserve(count);
  const slab = s.slabWords;
  const start = s.at;
  for (let i = 0; i < count; i++) {
    const d = depths[i]!;
    bitmap[d >> 3]! |= 0x80 >> (d & 7);
    const from = found[i]! * RECORD_WORDS + 2;
    const to = s.at >> 2;
    for (let w = 0; w < 8; w++) slab[to + w] = words[from + w]!;
    s.at += 32;
  }
  // The siblings stay packed in the slab; views are made only if a caller reads `siblings`.
  return new PackedProof(depth, bitmap, terminalOf(t, n, kh), s.slabBytes, slab, start, count);
}

/** What ends the path of `kh` at node `n`: emptiness, `kh`'s own leaf, or another key's leaf. */
function terminalOf(t: TreeArenas, n: number, kh: Uint8Array): Proof['terminal'] {
  const a = t.nodes;
  if (n === EMPTY) return { kind: 'empty' };
  if (sameKeyHash(t.keys.bytes, a.keySlot(n) * 32, kh)) return { kind: 'member' };
  return { kind: 'leaf', keyHash: t.keys.view(a.keySlot(n)).slice(), valueHash: leafValueHash(t, n) };
}

function sameKeyHash(keys: Uint8Array, at: number, kh: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (keys[at + i] !== kh[i]) return false;
  return true;
}

export function leafValueHash(t: TreeArenas, leaf: number): Uint8Array {
  return sha256(t.vals.get(t.nodes.valueOffset(leaf)));
}

/**
 * Pre-order steps over the union of the paths of `keyHashes` (sorted, distinct) under `root`.
 * `transition` gives every leaf in full and, where the hasher cannot tell leaves from
 * internal nodes by their hash, opens every sibling.
 */
export function multiSteps(
  h: TreeHasher,
  t: TreeArenas,
  root: number,
  keyHashes: Uint8Array[],
  transition: boolean,
): MultiStep[] {
  const a = t.nodes;
  const keys = t.keys;
  const steps: MultiStep[] = [];
  const open = transition && h.isLeafHash(h.empty) === undefined;
  const sibling = (id: number): Sibling => {
    if (id === EMPTY) return { k: 'empty' };
    if (!open) return { k: 'hash', hash: a.hashOf(id) };
    if (a.isLeaf(id)) {
      return { k: 'leaf', keyHash: keys.view(a.keySlot(id)).slice(), valueHash: leafValueHash(t, id) };
    }
    return { k: 'internal', left: a.hashOf(a.left(id)), right: a.hashOf(a.right(id)) };
  };
  const walk = (n: number, depth: number, lo: number, hi: number): void => {
    if (n === EMPTY) {
      steps.push({ t: 'empty' });
      return;
    }
    if (a.isLeaf(n)) {
      const kh = keys.view(a.keySlot(n));
      if (!transition && hi - lo === 1 && equalBytes(kh, keyHashes[lo]!)) steps.push({ t: 'member' });
      else steps.push({ t: 'leaf', keyHash: kh.slice(), valueHash: leafValueHash(t, n) });
      return;
    }
    const mid = splitSorted(keyHashes, depth, lo, hi);
    if (mid !== lo && mid !== hi) {
      steps.push({ t: 'split' });
      walk(a.left(n), depth + 1, lo, mid);
      walk(a.right(n), depth + 1, mid, hi);
    } else if (mid === hi) {
      steps.push({ t: 'side', sibling: sibling(a.right(n)) });
      walk(a.left(n), depth + 1, lo, hi);
    } else {
      steps.push({ t: 'side', sibling: sibling(a.left(n)) });
      walk(a.right(n), depth + 1, lo, hi);
    }
  };
  walk(root, 0, 0, keyHashes.length);
  return steps;
}
