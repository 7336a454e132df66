// Reading a block's transition witness: what the old tree held under each written key (so a
// stateless verifier can tell a spent nullifier from a fresh one), and a single-key proof of a
// written key under the new root (so a light client can learn a new key set). A minimal walk of
// the `weft` preset's partial tree, kept here because the tree layer does not export its own;
// every answer is anchored on a root the caller gives (docs/sync.md, "Reading the witness").
import { equalBytes, sha256 } from '../crypto/index.js';
import {
  MULTI_KEYS_MAX,
  type MultiStep,
  type Proof,
  type TransitionProof,
  type Write,
} from '../smt/index.js';

const HASH_BYTES = 32;
const KEY_BITS = 256;
const EMPTY_HASH = new Uint8Array(HASH_BYTES);

type PNode =
  | { k: 'empty' }
  | { k: 'opaque'; hash: Uint8Array; isLeaf: boolean }
  | { k: 'leaf'; keyHash: Uint8Array; valueHash: Uint8Array }
  | { k: 'internal'; left: PNode; right: PNode };

const EMPTY: PNode = { k: 'empty' };

/** Raised inside a walk when the witness does not fit; caught at the boundary. */
class Refused extends Error {}
function refuse(): never {
  throw new Refused();
}

function bitAt(keyHash: Uint8Array, depth: number): number {
  return (keyHash[depth >> 3]! >> (7 - (depth & 7))) & 1;
}

function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < HASH_BYTES; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return KEY_BITS;
}

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === HASH_BYTES;
}

// `weft` node hashes: one SHA-256 of 64 bytes; the top bit tells a leaf (set) from an internal
// node (cleared), which is what makes a partial tree's node kinds binding.
const pair = new Uint8Array(64);
function nodeHash(a: Uint8Array, b: Uint8Array, leaf: boolean): Uint8Array {
  pair.set(a, 0);
  pair.set(b, HASH_BYTES);
  const out = sha256(pair);
  out[0] = leaf ? out[0]! | 0x80 : out[0]! & 0x7f;
  return out;
}

function hashOf(node: PNode): Uint8Array {
  switch (node.k) {
    case 'empty':
      return EMPTY_HASH;
    case 'opaque':
      return node.hash;
    case 'leaf':
      return nodeHash(node.keyHash, node.valueHash, true);
    case 'internal':
      return nodeHash(hashOf(node.left), hashOf(node.right), false);
  }
}

function compareHash(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < HASH_BYTES; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Sorted distinct key hashes of the written keys, with the last write to each key. */
function lastWrites(writes: Write[]): { keyHash: Uint8Array; valueHash: Uint8Array | null }[] | null {
  if (!Array.isArray(writes) || writes.length === 0 || writes.length > MULTI_KEYS_MAX) return null;
  const byKey = new Map<string, { keyHash: Uint8Array; valueHash: Uint8Array | null }>();
  for (const w of writes) {
    if (!w || !(w.key instanceof Uint8Array)) return null;
    if (w.value !== null && !(w.value instanceof Uint8Array)) return null;
    const keyHash = sha256(w.key);
    byKey.set(Buffer.from(keyHash).toString('hex'), {
      keyHash,
      valueHash: w.value === null ? null : sha256(w.value),
    });
  }
  return [...byKey.values()].sort((a, b) => compareHash(a.keyHash, b.keyHash));
}

function splitPoint(keyHashes: Uint8Array[], depth: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >> 1;
    if (bitAt(keyHashes[m]!, depth) === 0) a = m + 1;
    else b = m;
  }
  return a;
}

/**
 * The old partial tree a transition proof describes for the sorted written key hashes. Same
 * rules as the tree's own verifier: the queried keys' bits choose the way, leaves must lie on
 * the queried path, sibling hashes are never the empty hash, every step is used.
 */
function rebuild(steps: MultiStep[], keyHashes: Uint8Array[]): PNode {
  let at = 0;
  const take = (): MultiStep => steps[at++] ?? refuse();
  // Recursion depth is bounded: every level goes one bit deeper and stops at 256.
  const walk = (depth: number, lo: number, hi: number): PNode => {
    const step = take();
    switch (step?.t) {
      case 'empty':
        return EMPTY;
      case 'leaf':
        if (!isHash(step.keyHash) || !isHash(step.valueHash)) refuse();
        if (commonPrefixBits(step.keyHash, keyHashes[lo]!) < depth) refuse();
        return { k: 'leaf', keyHash: step.keyHash, valueHash: step.valueHash };
      case 'split': {
        if (depth >= KEY_BITS) refuse();
        const mid = splitPoint(keyHashes, depth, lo, hi);
        if (mid === lo || mid === hi) refuse();
        const left = walk(depth + 1, lo, mid);
        const right = walk(depth + 1, mid, hi);
        return { k: 'internal', left, right };
      }
      case 'side': {
        if (depth >= KEY_BITS) refuse();
        const mid = splitPoint(keyHashes, depth, lo, hi);
        if (mid !== lo && mid !== hi) refuse();
        const sibling = siblingNode(step.sibling);
        const below = walk(depth + 1, lo, hi);
        return mid === hi
          ? { k: 'internal', left: below, right: sibling }
          : { k: 'internal', left: sibling, right: below };
      }
      default:
        // `member` steps never appear in a transition proof: its leaves come in full.
        return refuse();
    }
  };
  const tree = walk(0, 0, keyHashes.length);
  if (at !== steps.length) refuse();
  return tree;
}

function siblingNode(s: Extract<MultiStep, { t: 'side' }>['sibling']): PNode {
  switch (s?.k) {
    case 'empty':
      return EMPTY;
    case 'hash':
      if (!isHash(s.hash) || equalBytes(s.hash, EMPTY_HASH)) refuse();
      return { k: 'opaque', hash: s.hash, isLeaf: (s.hash[0]! & 0x80) !== 0 };
    case 'leaf':
      if (!isHash(s.keyHash) || !isHash(s.valueHash)) refuse();
      return { k: 'opaque', hash: nodeHash(s.keyHash, s.valueHash, true), isLeaf: true };
    case 'internal':
      if (!isHash(s.left) || !isHash(s.right)) refuse();
      return { k: 'opaque', hash: nodeHash(s.left, s.right, false), isLeaf: false };
    default:
      return refuse();
  }
}

/** What the old tree held under a key: its value hash, nothing, or unknown (not covered). */
export type WitnessAnswer = { present: true; valueHash: Uint8Array } | { present: false } | undefined;

/** The old tree, as far as a transition witness shows it. */
export type OldTreeWitness = {
  /** what the old tree held under `key`; undefined when the witness does not cover the key */
  lookup(key: Uint8Array): WitnessAnswer;
};

function lookupIn(tree: PNode, keyHash: Uint8Array): WitnessAnswer {
  let n = tree;
  for (let d = 0; d <= KEY_BITS; d++) {
    switch (n.k) {
      case 'empty':
        return { present: false };
      case 'opaque':
        return undefined;
      case 'leaf':
        return equalBytes(n.keyHash, keyHash)
          ? { present: true, valueHash: n.valueHash }
          : { present: false };
      case 'internal':
        if (d === KEY_BITS) return undefined;
        n = bitAt(keyHash, d) === 0 ? n.left : n.right;
    }
  }
  return undefined;
}

/**
 * Opens a transition witness against `oldRoot`: rebuilds the old partial tree for the written
 * keys and checks it hashes to `oldRoot` (so every answer is about the real old tree: a leaf
 * and an internal node can never share a hash in the `weft` preset). Null when the witness does
 * not fit. Only `weft` trees are supported.
 *
 * @example
 * const old = openTransition(prevRoot, block.writes, block.transition);
 * old?.lookup(nullifierKey(nf)); // { present: false }: not spent before this block
 */
export function openTransition(
  oldRoot: Uint8Array,
  writes: Write[],
  proof: TransitionProof,
): OldTreeWitness | null {
  try {
    if (!isHash(oldRoot) || !proof || !Array.isArray(proof.steps)) return null;
    // A block that writes nothing shows nothing of the old tree.
    if (Array.isArray(writes) && writes.length === 0)
      return proof.steps.length === 0 ? { lookup: () => undefined } : null;
    const last = lastWrites(writes);
    if (!last) return null;
    const tree = rebuild(
      proof.steps,
      last.map((w) => w.keyHash),
    );
    if (!equalBytes(hashOf(tree), oldRoot)) return null;
    return {
      lookup: (key) => (key instanceof Uint8Array ? lookupIn(tree, sha256(key)) : undefined),
    };
  } catch (e) {
    if (e instanceof Refused) return null;
    throw e;
  }
}

/**
 * A single-key proof of `key` (which the block wrote) under the block's new root, derived from
 * the witness alone: rebuild the old partial tree, apply the writes, read the path. Null when
 * the witness does not fit, the key was not written (or was deleted), or the result does not
 * land on `newRoot`. The caller still verifies the proof with `verifyProof`; a wrong derivation
 * can only fail, never prove something false.
 */
export function proveWrittenKey(
  writes: Write[],
  proof: TransitionProof,
  key: Uint8Array,
  newRoot: Uint8Array,
): Proof | null {
  try {
    if (!isHash(newRoot) || !(key instanceof Uint8Array) || !proof || !Array.isArray(proof.steps))
      return null;
    const last = lastWrites(writes);
    if (!last) return null;
    const keyHash = sha256(key);
    const target = last.find((w) => equalBytes(w.keyHash, keyHash));
    if (!target || target.valueHash === null) return null;
    const old = rebuild(
      proof.steps,
      last.map((w) => w.keyHash),
    );
    // Sets first while every queried path is explicit, then deletes (as the tree's verifier does).
    let next = old;
    for (const w of last) if (w.valueHash !== null) next = put(next, w.keyHash, w.valueHash);
    for (const w of last) {
      if (w.valueHash === null && holds(old, w.keyHash)) next = put(next, w.keyHash, null);
    }
    if (!equalBytes(hashOf(next), newRoot)) return null;
    return pathProof(next, keyHash);
  } catch (e) {
    if (e instanceof Refused) return null;
    throw e;
  }
}

/** Whether the old partial tree holds `keyHash`; refused when the witness does not cover it. */
function holds(tree: PNode, keyHash: Uint8Array): boolean {
  const answer = lookupIn(tree, keyHash);
  if (answer === undefined) refuse();
  return answer.present;
}

/** The single-key proof of a member `keyHash` in a partial tree. */
function pathProof(tree: PNode, keyHash: Uint8Array): Proof | null {
  const siblings: Uint8Array[] = [];
  const bitmap = new Uint8Array(HASH_BYTES);
  let n = tree;
  let depth = 0;
  while (n.k === 'internal') {
    if (depth >= KEY_BITS) return null;
    const bit = bitAt(keyHash, depth);
    const sibling = bit === 0 ? n.right : n.left;
    if (sibling.k !== 'empty') {
      bitmap[depth >> 3]! |= 0x80 >> (depth & 7);
      siblings.push(hashOf(sibling));
    }
    n = bit === 0 ? n.left : n.right;
    depth++;
  }
  if (n.k !== 'leaf' || !equalBytes(n.keyHash, keyHash)) return null;
  return { depth, bitmap: bitmap.slice(0, (depth + 7) >> 3), siblings, terminal: { kind: 'member' } };
}

/** One write applied to a partial tree, path-copying; an opaque subtree on the path is refused. */
function put(root: PNode, keyHash: Uint8Array, valueHash: Uint8Array | null): PNode {
  const path: { node: PNode & { k: 'internal' }; bit: number }[] = [];
  let n = root;
  let depth = 0;
  while (n.k === 'internal') {
    if (depth >= KEY_BITS) refuse();
    const bit = bitAt(keyHash, depth);
    path.push({ node: n, bit });
    n = bit === 0 ? n.left : n.right;
    depth++;
  }
  if (n.k === 'opaque') refuse();
  let replaced: PNode;
  if (n.k === 'empty' || equalBytes(n.keyHash, keyHash)) {
    replaced = valueHash === null ? EMPTY : { k: 'leaf', keyHash, valueHash };
  } else if (valueHash === null) {
    replaced = n;
  } else {
    replaced = pushDown(n, { k: 'leaf', keyHash, valueHash }, depth);
  }
  for (let i = path.length - 1; i >= 0; i--) {
    const { node, bit } = path[i]!;
    replaced = join(replaced, bit === 0 ? node.right : node.left, bit);
  }
  return replaced;
}

function isLeafLike(n: PNode): boolean {
  return n.k === 'leaf' || (n.k === 'opaque' && n.isLeaf);
}

function join(child: PNode, sibling: PNode, bit: number): PNode {
  if (child.k === 'empty' && sibling.k === 'empty') return EMPTY;
  if (child.k === 'empty' && isLeafLike(sibling)) return sibling;
  if (sibling.k === 'empty' && isLeafLike(child)) return child;
  return bit === 0
    ? { k: 'internal', left: child, right: sibling }
    : { k: 'internal', left: sibling, right: child };
}

function pushDown(a: PNode & { k: 'leaf' }, b: PNode & { k: 'leaf' }, depth: number): PNode {
  const split = commonPrefixBits(a.keyHash, b.keyHash);
  if (split >= KEY_BITS) refuse();
  let node: PNode =
    bitAt(a.keyHash, split) === 0
      ? { k: 'internal', left: a, right: b }
      : { k: 'internal', left: b, right: a };
  for (let d = split - 1; d >= depth; d--) {
    node =
      bitAt(a.keyHash, d) === 0
        ? { k: 'internal', left: node, right: EMPTY }
        : { k: 'internal', left: EMPTY, right: node };
  }
  return node;
}
