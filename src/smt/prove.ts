// Proof generation: a single key's path (siblings and what ends it), and the pre-order steps of
// a multi-proof or transition proof over the union of several keys' paths.
import { equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/sha256.js';
import { EMPTY, type TreeArenas } from './arena.js';
import { bitOf } from './bits.js';
import type { TreeHasher } from './hasher.js';
import { splitSorted } from './keyHashes.js';
import type { MultiStep, Proof, Sibling } from './types.js';

/**
 * The proof of key hash `kh` under `root`. `found` is scratch for the sibling ids, of at least
 * 257 entries (a path has at most 256 siblings).
 */
export function proveKey(t: TreeArenas, root: number, kh: Uint8Array, found: Uint32Array): Proof {
  const a = t.nodes;
  const bitmap = new Uint8Array(32);
  // Walk once to find the non-empty siblings, then copy their hashes into one buffer: one
  // allocation per proof instead of one per sibling.
  let count = 0;
  let n = root;
  let depth = 0;
  const words = a.words;
  while (a.isInternal(n)) {
    const bit = bitOf(kh, 0, depth);
    const sibling = bit === 0 ? a.right(n) : a.left(n);
    if (sibling !== EMPTY) {
      bitmap[depth >> 3]! |= 0x80 >> (depth & 7);
      found[count++] = sibling;
    }
    n = bit === 0 ? a.left(n) : a.right(n);
    depth++;
  }
  // Word copies from the node records: no view per sibling on the way in.
  const all32 = new Uint32Array(count * 8);
  const all = new Uint8Array(all32.buffer);
  const siblings: Uint8Array[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = a.hashWord(found[i]!);
    for (let w = 0; w < 8; w++) all32[i * 8 + w] = words[at + w]!;
    siblings[i] = all.subarray(i * 32, i * 32 + 32);
  }
  return { depth, bitmap: bitmap.slice(0, (depth + 7) >> 3), siblings, terminal: terminalOf(t, n, kh) };
}

/** What ends the path of `kh` at node `n`: emptiness, `kh`'s own leaf, or another key's leaf. */
function terminalOf(t: TreeArenas, n: number, kh: Uint8Array): Proof['terminal'] {
  const a = t.nodes;
  if (n === EMPTY) return { kind: 'empty' };
  if (equalBytes(t.keys.view(a.keySlot(n)), kh)) return { kind: 'member' };
  return { kind: 'leaf', keyHash: t.keys.view(a.keySlot(n)).slice(), valueHash: leafValueHash(t, n) };
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
