// Proof verifiers. They recompute from the caller's root and the caller's keys and values:
// paths come from the queried keys' bits, never from the proof; a well-formed proof that does
// not verify gives `false`, never an exception.
import { equalBytes } from '../crypto/bytes.js';
import { WeftError } from '../crypto/errors.js';
import { sha256 } from '../crypto/sha256.js';
import { bitAt, commonPrefixBits, KEY_BITS } from './bits.js';
import { HASH_BYTES, type TreeHasher, treeHasher } from './hasher.js';
import { PackedProof, type PackedSiblings } from './packedProof.js';
import type {
  MultiProof,
  MultiStep,
  Proof,
  Sibling,
  TransitionProof,
  VerifyOptions,
  Write,
} from './types.js';

/** Most keys one multiproof or transition proof may cover. */
export const MULTI_KEYS_MAX = 1 << 18;

const HASH_WORDS = HASH_BYTES / 4;

/** Scratch for one packed sibling while a proof is walked (the hashers copy their inputs). */
const packedSiblingWords = new Uint32Array(HASH_BYTES / 4);
const packedSibling = new Uint8Array(packedSiblingWords.buffer);

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === HASH_BYTES;
}

/**
 * Checks that `proof` shows `key -> value` (or, with `value === null`, that `key` is absent)
 * in the tree whose root is `root`.
 *
 * @example
 * const proof = await smt.prove(key);
 * verifyProof(smt.root(), key, value, proof); // true
 */
export function verifyProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: Proof,
  opts: VerifyOptions = {},
): boolean {
  try {
    return checkSingle(treeHasher(opts.hasher), root, key, value, proof);
  } catch {
    return false;
  }
}

/**
 * A single proof's shape checks, done before any node is hashed: what its walk starts from (the
 * leaf `leafKey`/`leafValue` it ends on, or an empty subtree when absent), or null when the proof
 * cannot show `key -> value` under any root. Shared by the one-proof and the batched walk. A
 * proof straight from the tree keeps its siblings packed (`packed`, read in place); any other
 * proof's are `siblings`, each checked to be a hash here.
 */
type WalkStart = {
  keyHash: Uint8Array;
  depth: number;
  bitmap: Uint8Array;
  count: number;
  siblings?: Uint8Array[];
  packed?: PackedSiblings;
  leafKey?: Uint8Array;
  leafValue?: Uint8Array;
};

function walkStart(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: Proof,
): WalkStart | null {
  if (!isHash(root) || !(key instanceof Uint8Array) || !proof) return null;
  if (value !== null && !(value instanceof Uint8Array)) return null;
  const { depth, bitmap, terminal } = proof;
  const packed = PackedProof.packedSiblings(proof);
  const siblings = packed === undefined ? proof.siblings : undefined;
  if (!Number.isInteger(depth) || depth < 0 || depth > KEY_BITS) return null;
  if (!(bitmap instanceof Uint8Array) || bitmap.length !== (depth + 7) >> 3) return null;
  if (packed === undefined && !Array.isArray(siblings)) return null;
  const count = packed === undefined ? siblings!.length : packed.count;
  // Bits past the depth must be zero, and the sibling count must match the bitmap exactly.
  let present = 0;
  for (let i = 0; i < bitmap.length * 8; i++) {
    const set = bitAt(bitmap, i) === 1;
    if (set && i >= depth) return null;
    if (set) present++;
  }
  if (present !== count) return null;
  if (siblings !== undefined) for (const s of siblings) if (!isHash(s)) return null;
  const keyHash = sha256(key);
  const start: WalkStart =
    packed === undefined
      ? { keyHash, depth, bitmap, count, siblings }
      : { keyHash, depth, bitmap, count, packed };
  switch (terminal?.kind) {
    case 'member':
      if (value === null) return null;
      start.leafKey = keyHash;
      start.leafValue = sha256(value);
      return start;
    case 'empty':
      if (value !== null) return null;
      return start;
    case 'leaf':
      if (value !== null) return null;
      if (!isHash(terminal.keyHash) || !isHash(terminal.valueHash)) return null;
      if (equalBytes(terminal.keyHash, keyHash)) return null;
      if (commonPrefixBits(terminal.keyHash, keyHash) < depth) return null;
      start.leafKey = terminal.keyHash;
      start.leafValue = terminal.valueHash;
      return start;
    default:
      return null;
  }
}

/**
 * Sibling `index` of a walk: a view of the proof's own hash, or, for a packed proof, the packed
 * hash copied by words into the module's scratch (a view per level costs more than the copy;
 * valid until the next call, and the hashers copy their inputs).
 */
function siblingOf(start: WalkStart, index: number): Uint8Array {
  const packed = start.packed;
  if (packed === undefined) return start.siblings![index]!;
  const from = (packed.at >> 2) + (HASH_BYTES >> 2) * index;
  for (let i = 0; i < HASH_BYTES >> 2; i++) packedSiblingWords[i] = packed.words[from + i]!;
  return packedSibling;
}

function checkSingle(
  h: TreeHasher,
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: Proof,
): boolean {
  const start = walkStart(root, key, value, proof);
  if (start === null) return false;
  const { keyHash, depth, bitmap } = start;
  let node = start.leafKey !== undefined ? h.leaf(start.leafKey, start.leafValue!) : h.empty;
  let next = start.count - 1;
  for (let d = depth - 1; d >= 0; d--) {
    const sibling = bitAt(bitmap, d) === 1 ? siblingOf(start, next--) : h.empty;
    node = bitAt(keyHash, d) === 0 ? h.internal(node, sibling) : h.internal(sibling, node);
  }
  return equalBytes(node, root);
}

/** One proof for `verifyProofs`: what `verifyProof` takes, but the options. */
export type ProofQuery = { root: Uint8Array; key: Uint8Array; value: Uint8Array | null; proof: Proof };

/** Most proofs one `verifyProofs` call takes. */
export const BATCH_PROOFS_MAX = 1 << 20;

/**
 * `verifyProof` for many proofs at once: `result[i] === verifyProof(q.root, q.key, q.value,
 * q.proof, opts)` for `q = queries[i]`, every time (tested, with adversarial proofs); throws
 * only for a `queries` that is not an array (BAD_INPUT) or is longer than BATCH_PROOFS_MAX
 * (LIMIT_EXCEEDED). The walks
 * go up together, the deepest first, one level at a time: the leaves of every proof are hashed in
 * one batched call, then each level's internal nodes of every proof still walking in one more,
 * through the tree hasher's batch functions (the native multi-buffer hasher for `weft`).
 *
 * @example
 * const ok = verifyProofs(proofs.map((proof, i) => ({ root, key: keys[i], value: values[i], proof })));
 */
export function verifyProofs(queries: readonly ProofQuery[], opts: VerifyOptions = {}): boolean[] {
  if (!Array.isArray(queries)) throw new WeftError('BAD_INPUT', 'queries must be an array of proof queries');
  if (queries.length > BATCH_PROOFS_MAX) {
    throw new WeftError(
      'LIMIT_EXCEEDED',
      `at most ${BATCH_PROOFS_MAX} proofs per call, got ${queries.length}`,
    );
  }
  const out = new Array<boolean>(queries.length).fill(false);
  let h: TreeHasher;
  try {
    h = treeHasher(opts.hasher);
  } catch {
    return out; // as verifyProof: an unknown preset proves nothing
  }
  const live: number[] = [];
  const starts: WalkStart[] = [];
  for (let i = 0; i < queries.length; i++) {
    let start: WalkStart | null = null;
    try {
      const q = queries[i]!;
      start = walkStart(q.root, q.key, q.value, q.proof);
    } catch {
      start = null;
    }
    if (start !== null) {
      live.push(i);
      starts.push(start);
    }
  }
  const n = starts.length;
  if (n === 0) return out;
  // Walks ordered deepest first: those still walking at any level are a prefix of the order, so
  // walk `order[w]` keeps slot w of the level's input (its pair) and output (its node) throughout.
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => starts[b]!.depth - starts[a]!.depth);
  // One buffer: n pairs of input, then n node hashes of output (moved with copyWithin, no copies).
  const OUT = n * 64;
  const buf = new Uint8Array(OUT + n * HASH_BYTES);
  // Level one: every walk's leaf in one call; a walk that starts on an empty subtree takes the
  // empty hash in its slot instead of what was hashed there.
  for (let w = 0; w < n; w++) {
    const s = starts[order[w]!]!;
    if (s.leafKey === undefined) continue;
    buf.set(s.leafKey, w * 64);
    buf.set(s.leafValue!, w * 64 + 32);
  }
  h.leafBatch(buf.subarray(0, OUT), buf.subarray(OUT));
  for (let w = 0; w < n; w++)
    if (starts[order[w]!]!.leafKey === undefined) buf.set(h.empty, OUT + w * HASH_BYTES);
  // Then one call per level: at step t, each walk deeper than t hashes its node at depth - 1 - t.
  const next = starts.map((s) => s.count - 1);
  // Hashes move as 8 words (every slot is 32-byte aligned): cheaper than copyWithin and set,
  // two per walk per level. A packed sibling is copied straight from the proof's words.
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  const emptyWords = new Uint32Array(HASH_WORDS);
  new Uint8Array(emptyWords.buffer).set(h.empty);
  let walking = n;
  for (let t = 0; ; t++) {
    while (walking > 0 && starts[order[walking - 1]!]!.depth <= t) walking--;
    if (walking === 0) break;
    for (let w = 0; w < walking; w++) {
      const j = order[w]!;
      const s = starts[j]!;
      const d = s.depth - 1 - t;
      const left = bitAt(s.keyHash, d) === 0;
      const node = (OUT + w * HASH_BYTES) >> 2;
      const into = (w * 64 + (left ? 0 : 32)) >> 2;
      for (let i = 0; i < HASH_WORDS; i++) words[into + i] = words[node + i]!;
      const at = w * 64 + (left ? 32 : 0);
      if (bitAt(s.bitmap, d) !== 1) {
        for (let i = 0; i < HASH_WORDS; i++) words[(at >> 2) + i] = emptyWords[i]!;
      } else if (s.packed !== undefined) {
        const from = (s.packed.at >> 2) + HASH_WORDS * next[j]!--;
        for (let i = 0; i < HASH_WORDS; i++) words[(at >> 2) + i] = s.packed.words[from + i]!;
      } else {
        buf.set(s.siblings![next[j]!--]!, at);
      }
    }
    h.internalBatch(buf.subarray(0, walking * 64), buf.subarray(OUT, OUT + walking * HASH_BYTES));
  }
  for (let w = 0; w < n; w++) {
    const j = order[w]!;
    const root = queries[live[j]!]!.root;
    let same = true;
    for (let i = 0; i < HASH_BYTES && same; i++) same = buf[OUT + w * HASH_BYTES + i] === root[i];
    out[live[j]!] = same;
  }
  return out;
}

/** A queried entry: its key hash, and its value hash or null for a claimed absence. */
type Query = { keyHash: Uint8Array; valueHash: Uint8Array | null };

/** Raised inside the walk when the proof does not fit; caught at the boundary. */
class Refused extends Error {}

function refuse(): never {
  throw new Refused();
}

/**
 * A partial tree rebuilt from a multi-step proof: what the proof shows about the old tree.
 * Opaque subtrees are sibling hashes whose content the proof does not reveal.
 */
type PNode =
  | { k: 'empty' }
  | { k: 'opaque'; hash: Uint8Array; isLeaf: boolean }
  | { k: 'leaf'; keyHash: Uint8Array; valueHash: Uint8Array }
  | { k: 'internal'; left: PNode; right: PNode };

const EMPTY: PNode = { k: 'empty' };

/**
 * Rebuilds the partial tree the proof describes for the sorted, distinct `keyHashes`.
 * `allowMember` admits `member` steps (their leaf is filled from `memberValueHash`).
 */
function rebuild(
  h: TreeHasher,
  steps: MultiStep[],
  keyHashes: Uint8Array[],
  memberValueHash: ((index: number) => Uint8Array | null) | null,
  requireOpenings: boolean,
): PNode {
  let at = 0;
  const take = (): MultiStep => steps[at++] ?? refuse();

  // Recursion is bounded: every level goes one bit deeper and depth stops at 256.
  const walk = (depth: number, lo: number, hi: number): PNode => {
    const step = take();
    switch (step.t) {
      case 'empty':
        return EMPTY;
      case 'member': {
        if (!memberValueHash || hi - lo !== 1) refuse();
        const vh = memberValueHash(lo);
        if (vh === null) refuse();
        return { k: 'leaf', keyHash: keyHashes[lo]!, valueHash: vh };
      }
      case 'leaf': {
        if (!isHash(step.keyHash) || !isHash(step.valueHash)) refuse();
        // The leaf must sit on the queried keys' common path down to this depth.
        if (commonPrefixBits(step.keyHash, keyHashes[lo]!) < depth) refuse();
        return { k: 'leaf', keyHash: step.keyHash, valueHash: step.valueHash };
      }
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
        const sibling = siblingNode(h, step.sibling, requireOpenings);
        const below = walk(depth + 1, lo, hi);
        return mid === hi
          ? { k: 'internal', left: below, right: sibling }
          : { k: 'internal', left: sibling, right: below };
      }
      default:
        return refuse();
    }
  };
  const tree = walk(0, 0, keyHashes.length);
  if (at !== steps.length) refuse();
  return tree;
}

/**
 * The partial-tree node for a sibling. A bare hash is a leaf when the preset's hash says so
 * (`weft`); where the preset cannot tell (`jmt`) and the caller needs to know (transitions),
 * only opened siblings are accepted. An opening is hashed here, never believed.
 */
function siblingNode(h: TreeHasher, s: Sibling, requireOpenings: boolean): PNode {
  switch (s?.k) {
    case 'empty':
      return EMPTY;
    case 'hash': {
      if (!isHash(s.hash) || equalBytes(s.hash, h.empty)) refuse();
      const isLeaf = h.isLeafHash(s.hash);
      if (isLeaf === undefined && requireOpenings) refuse();
      return { k: 'opaque', hash: s.hash, isLeaf: isLeaf ?? false };
    }
    case 'leaf':
      if (!isHash(s.keyHash) || !isHash(s.valueHash)) refuse();
      return { k: 'opaque', hash: h.leaf(s.keyHash, s.valueHash), isLeaf: true };
    case 'internal':
      if (!isHash(s.left) || !isHash(s.right)) refuse();
      return { k: 'opaque', hash: h.internal(s.left, s.right), isLeaf: false };
    default:
      return refuse();
  }
}

/** First index in [lo, hi) whose key hash has bit `depth` set (keys are sorted). */
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

/** Root hash of a partial tree (bounded depth: at most 257 levels). */
function hashOf(h: TreeHasher, node: PNode): Uint8Array {
  switch (node.k) {
    case 'empty':
      return h.empty;
    case 'opaque':
      return node.hash;
    case 'leaf':
      return h.leaf(node.keyHash, node.valueHash);
    case 'internal':
      return h.internal(hashOf(h, node.left), hashOf(h, node.right));
  }
}

/** Looks up each queried key in the partial tree; false when the tree does not answer it. */
function answers(node: PNode, q: Query): boolean {
  let n = node;
  for (let d = 0; ; d++) {
    switch (n.k) {
      case 'empty':
        return q.valueHash === null;
      case 'opaque':
        return false;
      case 'leaf':
        if (equalBytes(n.keyHash, q.keyHash))
          return q.valueHash !== null && equalBytes(n.valueHash, q.valueHash);
        return q.valueHash === null;
      case 'internal':
        n = bitAt(q.keyHash, d) === 0 ? n.left : n.right;
    }
  }
}

function sortQueries(entries: { key: Uint8Array; value: Uint8Array | null }[]): Query[] | null {
  const qs: Query[] = [];
  for (const e of entries) {
    if (!e || !(e.key instanceof Uint8Array)) return null;
    if (e.value !== null && !(e.value instanceof Uint8Array)) return null;
    qs.push({ keyHash: sha256(e.key), valueHash: e.value === null ? null : sha256(e.value) });
  }
  qs.sort((a, b) => compareHash(a.keyHash, b.keyHash));
  return qs;
}

function compareHash(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < HASH_BYTES; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Distinct sorted key hashes; null when two entries name the same key with different claims. */
function distinct(qs: Query[]): Query[] | null {
  const out: Query[] = [];
  for (const q of qs) {
    const last = out[out.length - 1];
    if (last && equalBytes(last.keyHash, q.keyHash)) {
      const same =
        (last.valueHash === null && q.valueHash === null) ||
        (last.valueHash !== null && q.valueHash !== null && equalBytes(last.valueHash, q.valueHash));
      if (!same) return null;
      continue;
    }
    out.push(q);
  }
  return out;
}

/**
 * Checks one proof for many entries at once: each `{ key, value }` is present with that value,
 * or absent when `value` is null.
 */
export function verifyMultiProof(
  root: Uint8Array,
  entries: { key: Uint8Array; value: Uint8Array | null }[],
  proof: MultiProof,
  opts: VerifyOptions = {},
): boolean {
  try {
    const h = treeHasher(opts.hasher);
    if (!isHash(root) || !Array.isArray(entries) || !proof || !Array.isArray(proof.steps)) return false;
    if (entries.length === 0 || entries.length > MULTI_KEYS_MAX) return false;
    const sorted = sortQueries(entries);
    const qs = sorted && distinct(sorted);
    if (!qs) return false;
    const keyHashes = qs.map((q) => q.keyHash);
    const tree = rebuild(h, proof.steps, keyHashes, (i) => qs[i]!.valueHash, false);
    if (!equalBytes(hashOf(h, tree), root)) return false;
    return qs.every((q) => answers(tree, q));
  } catch {
    return false;
  }
}

/**
 * Checks that applying `writes` (last write to a key wins; null deletes) to the tree with root
 * `oldRoot` gives the tree with root `newRoot`.
 */
export function verifyTransition(
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  writes: Write[],
  proof: TransitionProof,
  opts: VerifyOptions = {},
): boolean {
  if (!isHash(newRoot)) return false;
  const got = transitionRoot(oldRoot, writes, proof, opts);
  return got !== null && equalBytes(got, newRoot);
}

/**
 * The root after applying `writes` to the tree with root `oldRoot`, computed statelessly from
 * a transition proof (the witness); null when the proof does not fit `oldRoot` and the writes.
 * This is how a pure state machine, or a verifier without the tree, learns a new root.
 */
export function transitionRoot(
  oldRoot: Uint8Array,
  writes: Write[],
  proof: TransitionProof,
  opts: VerifyOptions = {},
): Uint8Array | null {
  try {
    const h = treeHasher(opts.hasher);
    if (!isHash(oldRoot) || !Array.isArray(writes)) return null;
    if (!proof || !Array.isArray(proof.steps)) return null;
    if (writes.length === 0) return proof.steps.length === 0 ? oldRoot.slice() : null;
    if (writes.length > MULTI_KEYS_MAX) return null;
    const last = lastWrites(writes);
    if (!last) return null;
    const keyHashes = last.map((w) => w.keyHash);
    const tree = rebuild(h, proof.steps, keyHashes, null, h.isLeafHash(h.empty) === undefined);
    if (!equalBytes(hashOf(h, tree), oldRoot)) return null;
    return hashOf(h, applyWrites(tree, last));
  } catch {
    return null;
  }
}

/**
 * The writes applied to an old partial tree. The result does not depend on the order of writes
 * (the tree is canonical), so sets go first while every queried path is still explicit, then
 * deletes of keys that were present; a delete only collapses subtrees upward and never needs to
 * look inside an opaque one.
 */
function applyWrites(old: PNode, last: Query[]): PNode {
  let next = old;
  for (const w of last) if (w.valueHash !== null) next = put(next, w.keyHash, w.valueHash);
  for (const w of last) if (w.valueHash === null && holds(old, w.keyHash)) next = put(next, w.keyHash, null);
  return next;
}

/** What the old tree held under a key: its value hash, nothing, or unknown (not covered). */
export type WitnessAnswer = { present: true; valueHash: Uint8Array } | { present: false } | undefined;

/** The old tree, as far as a transition proof shows it. */
export type OldTreeWitness = {
  /** what the old tree held under `key`; undefined when the proof does not cover the key */
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
 * Opens a transition proof against `oldRoot`: rebuilds the old partial tree for the written keys
 * and checks it hashes to `oldRoot`, so every answer is about the real old tree. Null when the
 * proof does not fit. What a stateless verifier re-executing a block asks ("was this nullifier
 * absent before?").
 *
 * @example
 * const old = openTransition(prevRoot, block.writes, block.transition);
 * old?.lookup(nullifierKey(nf)); // { present: false }: not spent before this block
 */
export function openTransition(
  oldRoot: Uint8Array,
  writes: Write[],
  proof: TransitionProof,
  opts: VerifyOptions = {},
): OldTreeWitness | null {
  try {
    const h = treeHasher(opts.hasher);
    if (!isHash(oldRoot) || !Array.isArray(writes) || !proof || !Array.isArray(proof.steps)) return null;
    // A batch that writes nothing shows nothing of the old tree.
    if (writes.length === 0) return proof.steps.length === 0 ? { lookup: () => undefined } : null;
    const last = lastWrites(writes);
    if (!last) return null;
    const keyHashes = last.map((w) => w.keyHash);
    const tree = rebuild(h, proof.steps, keyHashes, null, h.isLeafHash(h.empty) === undefined);
    if (!equalBytes(hashOf(h, tree), oldRoot)) return null;
    return { lookup: (key) => (key instanceof Uint8Array ? lookupIn(tree, sha256(key)) : undefined) };
  } catch {
    return null;
  }
}

/**
 * A single-key proof of `key` (which the batch set) under the batch's new root, derived from the
 * transition proof alone. Null when the proof does not fit, the key was not set, or the result
 * does not land on `newRoot`. Check it with `verifyProof`: a wrong derivation can only fail.
 */
export function proveWrittenKey(
  writes: Write[],
  proof: TransitionProof,
  key: Uint8Array,
  newRoot: Uint8Array,
  opts: VerifyOptions = {},
): Proof | null {
  try {
    const h = treeHasher(opts.hasher);
    if (!isHash(newRoot) || !(key instanceof Uint8Array) || !proof || !Array.isArray(proof.steps))
      return null;
    const last = lastWrites(writes);
    if (!last) return null;
    const keyHash = sha256(key);
    const target = last.find((w) => equalBytes(w.keyHash, keyHash));
    if (!target || target.valueHash === null) return null;
    const keyHashes = last.map((w) => w.keyHash);
    const old = rebuild(h, proof.steps, keyHashes, null, h.isLeafHash(h.empty) === undefined);
    const next = applyWrites(old, last);
    if (!equalBytes(hashOf(h, next), newRoot)) return null;
    return pathProof(h, next, keyHash);
  } catch {
    return null;
  }
}

/** The single-key proof of a member `keyHash` in a partial tree. */
function pathProof(h: TreeHasher, tree: PNode, keyHash: Uint8Array): Proof | null {
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
      siblings.push(hashOf(h, sibling));
    }
    n = bit === 0 ? n.left : n.right;
    depth++;
  }
  if (n.k !== 'leaf' || !equalBytes(n.keyHash, keyHash)) return null;
  return { depth, bitmap: bitmap.slice(0, (depth + 7) >> 3), siblings, terminal: { kind: 'member' } };
}

/** Whether the partial tree shows `keyHash` present; refuses when the proof does not cover it. */
function holds(node: PNode, keyHash: Uint8Array): boolean {
  let n = node;
  for (let d = 0; d <= KEY_BITS; d++) {
    if (n.k === 'empty') return false;
    if (n.k === 'opaque') refuse();
    if (n.k === 'leaf') return equalBytes(n.keyHash, keyHash);
    n = bitAt(keyHash, d) === 0 ? n.left : n.right;
  }
  return refuse();
}

/** Sorted writes with the last write to each key kept, as key and value hashes. */
function lastWrites(writes: Write[]): Query[] | null {
  const byKey = new Map<string, Query>();
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

/**
 * Applies one write to a partial tree, path-copying. Reaching an opaque subtree means the proof
 * did not cover the key: refused. Deletes collapse single-leaf subtrees upward, which needs to
 * know whether an opaque sibling is a leaf.
 */
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
  let replaced: PNode;
  if (n.k === 'opaque') refuse();
  if (n.k === 'empty') {
    replaced = valueHash === null ? EMPTY : { k: 'leaf', keyHash, valueHash };
  } else if (equalBytes(n.keyHash, keyHash)) {
    replaced = valueHash === null ? EMPTY : { k: 'leaf', keyHash, valueHash };
  } else if (valueHash === null) {
    replaced = n; // deleting an absent key changes nothing
  } else {
    replaced = pushDown(n, { k: 'leaf', keyHash, valueHash }, depth);
  }
  // Rebuild the path bottom-up, collapsing a lone leaf next to an empty sibling.
  for (let i = path.length - 1; i >= 0; i--) {
    const { node, bit } = path[i]!;
    const sibling = bit === 0 ? node.right : node.left;
    replaced = join(replaced, sibling, bit);
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

/** Two distinct leaves below `depth`: internal nodes down to where their paths part. */
function pushDown(a: PNode & { k: 'leaf' }, b: PNode & { k: 'leaf' }, depth: number): PNode {
  const split = commonPrefixBits(a.keyHash, b.keyHash);
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
