// The authenticated tree: batch updates with path copying (a version is a root pointer), nodes
// hashed level by level in batches, proofs by walking the queried keys' bits, and an optional
// NodeStore that persists every version as pages of several tree levels.
import { equalBytes } from '../crypto/bytes.js';
import { check, invariant, WeftError } from '../crypto/errors.js';
import { sha256, sha256Into } from '../crypto/sha256.js';
import { EMPTY, KeyHashArena, NodeArena, RECORD_WORDS, ValueArena } from './arena.js';
import { KEY_BITS } from './bits.js';
import { type TreeHasher, treeHasher } from './hasher.js';
import { decodePage, decodeRootRecord, encodeRootRecord, PageWriter, pageKey } from './page.js';
import { type NodeStore, STORE_FORMAT, type StoreCommit, type StoreMeta } from './store.js';
import type {
  ApplyOptions,
  ApplyResult,
  HasherName,
  MultiProof,
  MultiStep,
  Proof,
  Sibling,
  TransitionProof,
  Write,
} from './types.js';
import { MULTI_KEYS_MAX } from './verify.js';

/** Largest key and value a tree accepts, and most writes in one batch. */
export const KEY_BYTES_MAX = 1024;
export const VALUE_BYTES_MAX = 1024 * 1024;
export const BATCH_WRITES_MAX = 1 << 20;
/** Tree levels stored per page record on disk (measured in bench/smt.bench.mjs). */
export const PAGE_LEVELS_DEFAULT = 8;

export type SmtOptions = { hasher?: HasherName; pageLevels?: number };

/** A version computed in memory, with the commit that makes it durable (see `Smt.stage`). */
export type StagedVersion = ApplyResult & { commit(also?: () => void): Promise<void> };

/** Sorted, distinct writes of one batch, as packed key and value hashes. */
type Batch = {
  n: number;
  keyHashes: Uint8Array; // n * 32, sorted ascending
  valueHashes: Uint8Array; // n * 32 (zero for deletes)
  values: (Uint8Array | null)[];
  setPrefix: Uint32Array; // setPrefix[i] = number of non-delete writes among the first i
};

export class Smt {
  private readonly h: TreeHasher;
  private readonly nodes: NodeArena;
  private readonly keys = new KeyHashArena();
  private readonly vals = new ValueArena();
  /** roots[v - first] is the root node id of version v. */
  private roots: number[] = [EMPTY];
  /**
   * staleIds[v - first]: the nodes version v - 1 has and version v no longer has (replaced
   * internal nodes and replaced or deleted leaves), freed once v <= the prune point. Path
   * copying never puts a node a version dropped back into a later one, so this is exact.
   */
  private staleIds: number[][] = [[]];
  /**
   * Versions loaded from a store keep no stale lists (and a leaf in two loaded pages is two
   * nodes), so until the prune point passes the newest loaded version, prune marks and sweeps.
   */
  private sweepUntil = -1n;
  /** Smallest node arena `prune` compacts (tests lower it). */
  private compactMinSlots = 64 * 1024;
  private first = 0n;
  private readonly pageLevels: number;
  private store: NodeStore | null;
  private failed: unknown = undefined;
  private commitChain: Promise<void> = Promise.resolve();

  // Scratch state of the apply in progress (applies run one at a time: the structural part is
  // synchronous).
  private dirtyByDepth: number[][] = Array.from({ length: KEY_BITS + 1 }, () => []);
  private dirtyLeaves: number[] = [];
  /** Keys of the pages this version replaces (stale since it), when there is a store. */
  private retired: Uint8Array[] = [];
  /** Bytes of the last commit's pages, to size the next one's buffer. */
  private lastPageBytes = 64 * 1024;
  private staleNow: number[] = [];
  private batchVersion = 0;
  private scratchIn = new Uint8Array(64 * 1024);
  private scratchOut = new Uint8Array(32 * 1024);
  /** Sibling ids of the proof being built (a path has at most 256). */
  private proofScratch = new Uint32Array(KEY_BITS + 1);

  private constructor(h: TreeHasher, pageLevels: number, store: NodeStore | null) {
    this.h = h;
    this.nodes = new NodeArena(h.empty, store !== null);
    this.pageLevels = pageLevels;
    this.store = store;
  }

  /**
   * A tree held in memory only.
   *
   * @example
   * const smt = Smt.inMemory();
   * const { root } = await smt.apply([{ key: utf8('hello'), value: utf8('world') }]);
   */
  static inMemory(opts: { hasher?: HasherName } = {}): Smt {
    return new Smt(treeHasher(opts.hasher), PAGE_LEVELS_DEFAULT, null);
  }

  /**
   * Opens a tree on `store`, giving back every version it retains. A new store is initialised
   * with version 0 (the empty tree). Refuses a store of an unknown or newer format, or one made
   * with another hasher than `opts.hasher`.
   */
  static async open(store: NodeStore, opts: SmtOptions = {}): Promise<Smt> {
    const meta = store.readMeta();
    if (meta === undefined) {
      const pageLevels = opts.pageLevels ?? PAGE_LEVELS_DEFAULT;
      check(
        Number.isInteger(pageLevels) && pageLevels >= 1 && pageLevels <= 8,
        'BAD_INPUT',
        'pageLevels must be 1..8',
      );
      const smt = new Smt(treeHasher(opts.hasher), pageLevels, store);
      const fresh: StoreMeta = { format: STORE_FORMAT, hasher: smt.h.name, pageLevels };
      await store.commit({
        meta: fresh,
        version: 0n,
        root: encodeRootRecord({ k: 'empty' }),
        pages: [],
        stale: [],
      });
      return smt;
    }
    if (meta.format !== STORE_FORMAT) {
      throw new WeftError(
        'STORE_FORMAT',
        `tree store format ${meta.format} is not supported (this build reads ${STORE_FORMAT})`,
        {
          details: 'Open it with the Weft version that wrote it; stores are never rewritten silently.',
        },
      );
    }
    if (opts.hasher !== undefined && opts.hasher !== meta.hasher) {
      throw new WeftError('BAD_INPUT', `store was made with hasher '${meta.hasher}', not '${opts.hasher}'`);
    }
    if (opts.pageLevels !== undefined && opts.pageLevels !== meta.pageLevels) {
      throw new WeftError(
        'BAD_INPUT',
        `store was made with ${meta.pageLevels} levels per page, not ${opts.pageLevels}; omit pageLevels to use the store's`,
      );
    }
    const smt = new Smt(treeHasher(meta.hasher), meta.pageLevels, store);
    smt.loadAll();
    return smt;
  }

  get hasherName(): HasherName {
    return this.h.name;
  }

  /** The newest version. */
  version(): bigint {
    return this.first + BigInt(this.roots.length - 1);
  }

  /** The oldest version still readable. */
  firstVersion(): bigint {
    return this.first;
  }

  /** Root hash of `version` (default: the newest). */
  root(version?: bigint): Uint8Array {
    return this.nodes.hashOf(this.rootId(version));
  }

  private rootId(version?: bigint): number {
    this.assertUsable();
    const v = version ?? this.version();
    check(typeof v === 'bigint', 'BAD_INPUT', 'version must be a bigint');
    if (v < this.first) {
      throw new WeftError('VERSION_PRUNED', `version ${v} was pruned; the oldest retained is ${this.first}`);
    }
    if (v > this.version()) {
      throw new WeftError(
        'UNKNOWN_VERSION',
        `version ${v} does not exist yet; the newest is ${this.version()}`,
      );
    }
    return this.roots[Number(v - this.first)]!;
  }

  private assertUsable(): void {
    if (this.failed !== undefined) {
      throw new WeftError('STORE_FAILED', 'the tree store failed to commit; reopen the tree', {
        cause: this.failed,
      });
    }
  }

  /** Value of `key` at `version` (default newest), or null when absent. */
  async get(key: Uint8Array, version?: bigint): Promise<Uint8Array | null> {
    return this.getSync(key, version);
  }

  /** `get` without the promise, for callers that must stay synchronous (a pure state machine). */
  getSync(key: Uint8Array, version?: bigint): Uint8Array | null {
    checkKey(key);
    const kh = sha256(key);
    const leaf = this.findLeaf(this.rootId(version), kh);
    return leaf === EMPTY ? null : this.vals.get(this.nodes.valueOffset(leaf)).slice();
  }

  /** The leaf holding `kh` under `node`, or EMPTY. */
  private findLeaf(node: number, kh: Uint8Array): number {
    const a = this.nodes;
    let n = node;
    for (let d = 0; d <= KEY_BITS; d++) {
      if (n === EMPTY) return EMPTY;
      if (a.isLeaf(n)) return equalBytes(this.keys.view(a.keySlot(n)), kh) ? n : EMPTY;
      n = bitOf(kh, 0, d) === 0 ? a.left(n) : a.right(n);
    }
    invariant(false, 'walk deeper than 256 levels');
  }

  /** A proof of `key`'s value (or absence) at `version`; check it with `verifyProof`. */
  async prove(key: Uint8Array, version?: bigint): Promise<Proof> {
    return this.proveSync(key, version);
  }

  proveSync(key: Uint8Array, version?: bigint): Proof {
    checkKey(key);
    const kh = sha256(key);
    const a = this.nodes;
    const bitmap = new Uint8Array(32);
    // Walk once to find the non-empty siblings, then copy their hashes into one buffer: one
    // allocation per proof instead of one per sibling.
    const found = this.proofScratch;
    let count = 0;
    let n = this.rootId(version);
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
    let terminal: Proof['terminal'];
    if (n === EMPTY) terminal = { kind: 'empty' };
    else if (equalBytes(this.keys.view(a.keySlot(n)), kh)) terminal = { kind: 'member' };
    else
      terminal = {
        kind: 'leaf',
        keyHash: this.keys.view(a.keySlot(n)).slice(),
        valueHash: this.valueHashOf(n),
      };
    return { depth, bitmap: bitmap.slice(0, (depth + 7) >> 3), siblings, terminal };
  }

  private valueHashOf(leaf: number): Uint8Array {
    return sha256(this.vals.get(this.nodes.valueOffset(leaf)));
  }

  /** One proof for many keys at `version`; check it with `verifyMultiProof`. */
  async proveMany(keys: Uint8Array[], version?: bigint): Promise<MultiProof> {
    return this.proveManySync(keys, version);
  }

  proveManySync(keys: Uint8Array[], version?: bigint): MultiProof {
    check(Array.isArray(keys) && keys.length > 0, 'BAD_INPUT', 'proveMany needs at least one key');
    check(keys.length <= MULTI_KEYS_MAX, 'LIMIT_EXCEEDED', `proveMany takes at most ${MULTI_KEYS_MAX} keys`);
    for (const k of keys) checkKey(k);
    const hashes = sortDistinct(keys.map((k) => sha256(k)));
    return { steps: this.multiSteps(this.rootId(version), hashes, false) };
  }

  /**
   * The transition proof a batch writing `keys` would carry, against `version` (default newest),
   * without applying anything: the witness a stateless verifier or a pure state machine needs to
   * compute the next root with `transitionRoot`.
   */
  proveTransitionSync(keys: Uint8Array[], version?: bigint): TransitionProof {
    check(Array.isArray(keys), 'BAD_INPUT', 'keys must be an array');
    check(
      keys.length <= MULTI_KEYS_MAX,
      'LIMIT_EXCEEDED',
      `a transition proof covers at most ${MULTI_KEYS_MAX} keys`,
    );
    for (const k of keys) checkKey(k);
    if (keys.length === 0) return { steps: [] };
    const hashes = sortDistinct(keys.map((k) => sha256(k)));
    return { steps: this.multiSteps(this.rootId(version), hashes, true) };
  }

  /**
   * Pre-order steps over the union of the paths of `keyHashes` (sorted, distinct).
   * `transition` gives every leaf in full and, where the hasher cannot tell leaves from
   * internal nodes by their hash, opens every sibling.
   */
  private multiSteps(root: number, keyHashes: Uint8Array[], transition: boolean): MultiStep[] {
    const a = this.nodes;
    const steps: MultiStep[] = [];
    const open = transition && this.h.isLeafHash(this.h.empty) === undefined;
    const sibling = (id: number): Sibling => {
      if (id === EMPTY) return { k: 'empty' };
      if (!open) return { k: 'hash', hash: a.hashOf(id) };
      if (a.isLeaf(id)) {
        return { k: 'leaf', keyHash: this.keys.view(a.keySlot(id)).slice(), valueHash: this.valueHashOf(id) };
      }
      return { k: 'internal', left: a.hashOf(a.left(id)), right: a.hashOf(a.right(id)) };
    };
    const walk = (n: number, depth: number, lo: number, hi: number): void => {
      if (n === EMPTY) {
        steps.push({ t: 'empty' });
        return;
      }
      if (a.isLeaf(n)) {
        const kh = this.keys.view(a.keySlot(n));
        if (!transition && hi - lo === 1 && equalBytes(kh, keyHashes[lo]!)) steps.push({ t: 'member' });
        else steps.push({ t: 'leaf', keyHash: kh.slice(), valueHash: this.valueHashOf(n) });
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

  /**
   * Applies a batch of writes as one new version (last write to a key wins; null deletes).
   * With a store, resolves once the version is durable; the next batch may be computed while a
   * commit is in flight, and commits land in order.
   */
  async apply(writes: Write[], opts: ApplyOptions = {}): Promise<ApplyResult> {
    const staged = this.stage(writes, opts);
    await staged.commit();
    const { root, version, transition } = staged;
    return transition ? { root, version, transition } : { root, version };
  }

  /**
   * Computes a new version in memory and returns it with a `commit` that makes it durable.
   * `commit(also)` runs `also` inside the store's write transaction, so a caller can land its
   * own records atomically with the version (a node's block and checkpoint). The version is
   * readable at once; until `commit` resolves it is not durable. Stage and commit one version
   * at a time, in order.
   */
  stage(writes: Write[], opts: ApplyOptions = {}): StagedVersion {
    this.assertUsable();
    const batch = prepareBatch(writes);
    const oldRoot = this.rootId();
    const version = this.version() + 1n;
    check(version < 0xffff_ffffn, 'LIMIT_EXCEEDED', 'a tree holds at most 2^32 - 2 versions');
    const transition: TransitionProof | undefined = opts.proveTransition
      ? { steps: batch.n === 0 ? [] : this.multiSteps(oldRoot, unpack(batch.keyHashes, batch.n), true) }
      : undefined;

    this.batchVersion = Number(version);
    this.retired.length = 0;
    this.staleNow = [];
    this.pendingBatch = batch;
    const newRoot = batch.n === 0 ? oldRoot : this.update(oldRoot, 0, 0, batch.n, batch);
    this.hashDirty();
    this.pendingBatch = null;
    this.roots.push(newRoot);
    this.staleIds.push(this.staleNow);

    const root = this.nodes.hashOf(newRoot);
    const record = this.store ? this.persistRecord(version, newRoot) : null;
    let committed: Promise<void> | null = null;
    const commit = (also?: () => void): Promise<void> => {
      committed ??= record ? this.commitRecord(record, also) : Promise.resolve(also?.());
      return committed;
    };
    return transition ? { root, version, transition, commit } : { root, version, commit };
  }

  /** Rebuilds the subtree `node` at `depth` with writes [lo, hi); returns the new node id. */
  private update(node: number, depth: number, lo: number, hi: number, b: Batch): number {
    if (lo === hi) return node;
    const a = this.nodes;
    if (!a.isInternal(node)) return this.build(node, depth, lo, hi, b);
    invariant(depth < KEY_BITS, 'internal node at depth 256');
    const mid = splitPacked(b.keyHashes, depth, lo, hi);
    const l = a.left(node);
    const r = a.right(node);
    const nl = this.update(l, depth + 1, lo, mid, b);
    const nr = this.update(r, depth + 1, mid, hi, b);
    if (nl === l && nr === r) return node;
    this.staleNow.push(node);
    // Every key of [lo, hi) shares the node's path: the page key's prefix comes from the batch.
    if (this.store && depth % this.pageLevels === 0) {
      this.retired.push(pageKey(BigInt(a.born[node]!), depth, b.keyHashes.subarray(lo * 32, lo * 32 + 32)));
    }
    return this.join(nl, nr, depth);
  }

  /** An internal node over (nl, nr), or the lone leaf or emptiness the pair collapses to. */
  private join(nl: number, nr: number, depth: number): number {
    const a = this.nodes;
    if (nl === EMPTY && (nr === EMPTY || a.isLeaf(nr))) return nr;
    if (nr === EMPTY && a.isLeaf(nl)) return nl;
    const id = a.allocInternal(nl, nr, this.batchVersion);
    this.dirtyByDepth[depth]!.push(id);
    return id;
  }

  /**
   * Builds the subtree at `depth` from writes [lo, hi) and `existing` (EMPTY or a leaf), which a
   * write of the same key replaces.
   */
  private build(existing: number, depth: number, lo: number, hi: number, b: Batch): number {
    let keep = existing;
    if (existing !== EMPTY) {
      const kh = this.keys.view(this.nodes.keySlot(existing));
      if (findPacked(b.keyHashes, kh, lo, hi) >= 0) {
        keep = EMPTY;
        this.staleNow.push(existing);
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
    return this.join(nl, nr, depth);
  }

  private newLeaf(i: number, b: Batch): number {
    const slot = this.keys.alloc(b.keyHashes, i * 32);
    const offset = this.vals.append(b.values[i]!);
    const id = this.nodes.allocLeaf(slot, offset, this.batchVersion);
    this.dirtyLeaves.push(id, i);
    return id;
  }

  /** Hashes new leaves in one batch, then new internal nodes level by level, deepest first. */
  private hashDirty(): void {
    const a = this.nodes;
    const leaves = this.dirtyLeaves;
    if (leaves.length > 0) {
      const n = leaves.length / 2;
      const input = this.scratch(n);
      for (let j = 0; j < n; j++) {
        const id = leaves[2 * j]!;
        input.set(this.keys.view(a.keySlot(id)), j * 64);
        input.set(this.pendingValueHash(leaves[2 * j + 1]!), j * 64 + 32);
      }
      this.h.leafBatch(input.subarray(0, n * 64), this.scratchOut.subarray(0, n * 32));
      for (let j = 0; j < n; j++)
        a.bytes.set(this.scratchOut.subarray(j * 32, j * 32 + 32), a.hashAt(leaves[2 * j]!));
      leaves.length = 0;
    }
    for (let d = KEY_BITS - 1; d >= 0; d--) {
      const list = this.dirtyByDepth[d]!;
      if (list.length === 0) continue;
      const n = list.length;
      const input = this.scratch(n);
      const in32 = new Uint32Array(input.buffer, 0, n * 16);
      const words = a.words;
      for (let j = 0; j < n; j++) {
        const id = list[j]!;
        const l = a.hashWord(a.left(id));
        const r = a.hashWord(a.right(id));
        const o = j * 16;
        for (let w = 0; w < 8; w++) {
          in32[o + w] = words[l + w]!;
          in32[o + 8 + w] = words[r + w]!;
        }
      }
      this.h.internalBatch(input.subarray(0, n * 64), this.scratchOut.subarray(0, n * 32));
      const out32 = new Uint32Array(this.scratchOut.buffer, 0, n * 8);
      for (let j = 0; j < n; j++) {
        const o = a.hashWord(list[j]!);
        for (let w = 0; w < 8; w++) words[o + w] = out32[j * 8 + w]!;
      }
      list.length = 0;
    }
  }

  private pendingBatch: Batch | null = null;

  private pendingValueHash(i: number): Uint8Array {
    const b = this.pendingBatch!;
    return b.valueHashes.subarray(i * 32, i * 32 + 32);
  }

  /** Scratch buffers big enough for `n` 64-byte inputs and `n` outputs. */
  private scratch(n: number): Uint8Array {
    if (this.scratchIn.length < n * 64) {
      this.scratchIn = new Uint8Array(n * 64 * 2);
      this.scratchOut = new Uint8Array(n * 32 * 2);
    }
    return this.scratchIn;
  }

  /**
   * Makes versions before `keepFromVersion` unreadable and frees every node that no retained
   * version reaches (in memory from the per-version stale lists, in time proportional to what
   * is freed; on disk through the stale-page index, in one transaction).
   */
  async prune(keepFromVersion: bigint): Promise<void> {
    this.assertUsable();
    check(typeof keepFromVersion === 'bigint', 'BAD_INPUT', 'keepFromVersion must be a bigint');
    check(
      keepFromVersion <= this.version(),
      'BAD_INPUT',
      `cannot prune past the newest version ${this.version()} (asked to keep from ${keepFromVersion})`,
    );
    if (keepFromVersion <= this.first) return;
    const drop = Number(keepFromVersion - this.first);
    const a = this.nodes;
    // Arrays never shrink by themselves: when most node slots would be free after this prune
    // (one after many unpruned versions), `compact` copies the live nodes instead of freeing.
    let live: number;
    if (this.first < this.sweepUntil) {
      this.roots = this.roots.slice(drop);
      this.sweep();
      live = a.live;
    } else {
      let dropped = 0;
      for (let i = 1; i <= drop; i++) dropped += this.staleIds[i]!.length;
      this.roots = this.roots.slice(drop);
      live = a.live - dropped;
      if (!this.shouldCompact(live)) {
        for (let i = 1; i <= drop; i++) for (const id of this.staleIds[i]!) this.freeNode(id);
      }
    }
    this.staleIds = this.staleIds.slice(drop);
    this.staleIds[0] = [];
    this.first = keepFromVersion;
    if (this.shouldCompact(live)) this.compact(live);
    else if (this.vals.garbage > this.vals.top / 2) this.compactValues();
    if (this.store) {
      await this.commitChain;
      await this.store.prune(keepFromVersion);
    }
  }

  private sweep(): void {
    const a = this.nodes;
    const marked = new Uint8Array(a.highWater);
    const stack: number[] = [];
    for (const r of this.roots) if (r !== EMPTY) stack.push(r);
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
    for (let id = 1; id < a.highWater; id++) if (!marked[id] && !a.isFree(id)) this.freeNode(id);
  }

  private freeNode(id: number): void {
    const a = this.nodes;
    invariant(!a.isFree(id), 'a node is freed twice');
    if (a.isLeaf(id)) {
      this.keys.free(a.keySlot(id));
      this.vals.release(a.valueOffset(id));
    }
    a.free(id);
  }

  private shouldCompact(live: number): boolean {
    return this.nodes.slots > this.compactMinSlots && this.nodes.slots > 2 * live;
  }

  /**
   * Renumbers the nodes of the retained versions into fresh arrays with an eighth of headroom:
   * pre-order from each root (so a subtree's nodes sit together), key hashes and values copied
   * in the same order. Node ids change; roots and stale lists are remapped.
   */
  private compact(live: number): void {
    const a = this.nodes;
    const cap = Math.max(1024, live + 1 + (live >> 3));
    const old = a.words;
    const words = new Uint32Array(cap * RECORD_WORDS);
    const born = a.born.length === 0 ? a.born : new Uint32Array(cap);
    const leafCap = Math.max(1024, this.keys.live + (this.keys.live >> 3));
    const keyBytes = new Uint8Array(leafCap * 32);
    const keyWords = new Uint32Array(keyBytes.buffer);
    const oldKeyWords = new Uint32Array(this.keys.bytes.buffer, 0, this.keys.bytes.length >> 2);
    const vals = new ValueArena(
      Math.max(1024, this.vals.top - this.vals.garbage + ((this.vals.top - this.vals.garbage) >> 3)),
    );
    const remap = new Uint32Array(a.highWater);
    words.set(old.subarray(0, RECORD_WORDS)); // the empty node's record (its hash)
    let next = 1;
    let slot = 0;
    const stack: number[] = [];
    for (const root of this.roots) {
      if (root === EMPTY || remap[root] !== 0) continue;
      stack.push(root);
      while (stack.length > 0) {
        const id = stack.pop()!;
        if (remap[id] !== 0) continue;
        const to = next++;
        remap[id] = to;
        for (let w = 0; w < RECORD_WORDS; w++) words[to * RECORD_WORDS + w] = old[id * RECORD_WORDS + w]!;
        if (born.length !== 0) born[to] = a.born[id]!;
        if (a.isLeaf(id)) {
          const ks = a.keySlot(id);
          for (let w = 0; w < 8; w++) keyWords[slot * 8 + w] = oldKeyWords[ks * 8 + w]!;
          words[to * RECORD_WORDS] = (slot | 0x8000_0000) >>> 0;
          words[to * RECORD_WORDS + 1] = vals.copyFrom(this.vals, a.valueOffset(id));
          slot++;
        } else {
          const l = a.left(id);
          const r = a.right(id);
          if (r !== EMPTY && remap[r] === 0) stack.push(r);
          if (l !== EMPTY && remap[l] === 0) stack.push(l);
        }
      }
    }
    invariant(next === live + 1, 'compaction found another number of live nodes');
    // Children point at old ids until now.
    for (let id = 1; id < next; id++) {
      const o = id * RECORD_WORDS;
      if (words[o]! < 0x8000_0000) {
        words[o] = remap[words[o]!]!;
        words[o + 1] = remap[words[o + 1]!]!;
      }
    }
    a.adopt(words, born, next);
    this.keys.adopt(keyBytes, slot);
    this.vals.adopt(vals);
    this.roots = this.roots.map((r) => remap[r]!);
    this.staleIds = this.staleIds.map((list) =>
      list.map((id) => {
        const to = remap[id]!;
        invariant(to !== 0, 'a stale list names a node no retained version reaches');
        return to;
      }),
    );
  }

  /** Copies the live values (those of leaves not freed) into a fresh arena. */
  private compactValues(): void {
    const a = this.nodes;
    const next = new ValueArena();
    for (let id = 1; id < a.highWater; id++) {
      if (a.isLeaf(id)) a.setValueOffset(id, next.append(this.vals.get(a.valueOffset(id))));
    }
    this.vals.bytes = next.bytes;
    (this.vals as unknown as { view: DataView }).view = new DataView(next.bytes.buffer);
    this.vals.top = next.top;
    this.vals.garbage = 0;
  }

  /**
   * Recomputes every node of every retained version from its leaves (key hash and value) and
   * compares with what is stored: each mismatch, and each leaf sitting off its key's path, is
   * reported. For offline checks (`weft store verify`); the tree itself trusts its arena.
   */
  checkIntegrity(): string[] {
    const faults: string[] = [];
    const a = this.nodes;
    const seen = new Map<number, boolean>();
    type Frame = { id: number; depth: number; path: Uint8Array; phase: 0 | 1 };
    for (const [i, root] of this.roots.entries()) {
      const version = this.first + BigInt(i);
      const stack: Frame[] = [{ id: root, depth: 0, path: new Uint8Array(32), phase: 0 }];
      while (stack.length > 0 && faults.length < 100) {
        const f = stack.pop()!;
        if (f.id === EMPTY || seen.has(f.id)) continue;
        if (a.isLeaf(f.id)) {
          const kh = this.keys.view(a.keySlot(f.id));
          for (let d = 0; d < f.depth; d++) {
            if (bitOf(kh, 0, d) !== bitOf(f.path, 0, d)) {
              faults.push(`version ${version}: a leaf at depth ${f.depth} is off its key's path`);
              break;
            }
          }
          const want = this.h.leaf(kh, sha256(this.vals.get(a.valueOffset(f.id))));
          if (!equalBytes(want, a.hashOf(f.id)))
            faults.push(`version ${version}: a leaf's hash does not match its key and value`);
          seen.set(f.id, true);
          continue;
        }
        if (f.phase === 0) {
          check(f.depth < KEY_BITS, 'STORE_CORRUPT', 'tree deeper than 256 levels');
          stack.push({ ...f, phase: 1 });
          stack.push({ id: a.right(f.id), depth: f.depth + 1, path: withBit(f.path, f.depth, 1), phase: 0 });
          stack.push({ id: a.left(f.id), depth: f.depth + 1, path: withBit(f.path, f.depth, 0), phase: 0 });
          continue;
        }
        const want = this.h.internal(a.hashOf(a.left(f.id)), a.hashOf(a.right(f.id)));
        if (!equalBytes(want, a.hashOf(f.id)))
          faults.push(`version ${version}: an internal node at depth ${f.depth} does not hash its children`);
        seen.set(f.id, true);
      }
    }
    return faults;
  }

  /** Bytes held by the tree's arrays (capacity, not just use). */
  memoryBytes(): number {
    return this.nodes.byteSize() + this.keys.byteSize() + this.vals.byteSize();
  }

  /** Live node count, for tests and benchmarks. */
  nodeCount(): number {
    return this.nodes.live;
  }

  /** Waits for commits in flight, then closes the store. The tree is unusable afterwards. */
  async close(): Promise<void> {
    await this.commitChain.catch(() => undefined);
    const store = this.store;
    this.store = null;
    this.failed = new WeftError('STORE_CLOSED', 'the tree was closed');
    if (store) await store.close();
  }

  // ---- persistence -------------------------------------------------------------------------

  /** The store records of a new version: its pages, stale entries and root record. */
  private persistRecord(version: bigint, rootId: number): StoreCommit {
    const pages: [Uint8Array, Uint8Array][] = [];
    const stale = this.retired;
    this.retired = [];
    // New page roots: new internal nodes at page-root depths, i.e. born in this version.
    this.collectNewPages(rootId, version, pages);
    return { version, root: this.rootRecord(rootId), pages, stale };
  }

  /** Commits in order; after a failed commit, no later one is attempted (no gap in versions). */
  private async commitRecord(record: StoreCommit, also?: () => void): Promise<void> {
    const store = this.store!;
    const commit = this.commitChain.then(() => {
      if (this.failed !== undefined) throw this.failed;
      return store.commit(also ? { ...record, also } : record);
    });
    this.commitChain = commit.catch((err) => {
      this.failed ??= err;
    });
    await commit;
  }

  private rootRecord(rootId: number): Uint8Array {
    const a = this.nodes;
    if (rootId === EMPTY) return encodeRootRecord({ k: 'empty' });
    if (a.isLeaf(rootId)) {
      return encodeRootRecord({
        k: 'leaf',
        hash: a.hashOf(rootId),
        keyHash: this.keys.view(a.keySlot(rootId)).slice(),
        value: this.vals.get(a.valueOffset(rootId)).slice(),
      });
    }
    return encodeRootRecord({ k: 'page', hash: a.hashOf(rootId), born: BigInt(a.born[rootId]!) });
  }

  /**
   * Walks the new nodes of this version (those born in it), encoding each new page into one
   * buffer for the whole commit; the walk keeps the path, which gives each page key's prefix.
   */
  private collectNewPages(root: number, version: bigint, out: [Uint8Array, Uint8Array][]): void {
    const a = this.nodes;
    const v = Number(version);
    const L = this.pageLevels;
    const w = new PageWriter(this.lastPageBytes + (this.lastPageBytes >> 2));
    const path = new Uint8Array(32);
    const spans: number[] = [];
    const visit = (id: number, d: number): void => {
      if (!a.isInternal(id) || a.born[id] !== v) return;
      if (d % L === 0) {
        const key = pageKey(version, d, path);
        this.encodePageAt(w, id, d);
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
    this.lastPageBytes = Math.max(64 * 1024, w.pos);
  }

  /** Encodes the page rooted at internal node `id` (depth `d`): its `L` levels in pre-order. */
  private encodePageAt(w: PageWriter, id: number, d: number): void {
    const a = this.nodes;
    const bytes = a.bytes;
    const bottom = d + this.pageLevels;
    w.begin();
    const walk = (n: number, depth: number): void => {
      if (n === EMPTY) w.empty();
      else if (a.isLeaf(n)) {
        w.leaf(bytes, a.hashAt(n), this.keys.bytes, a.keySlot(n) * 32, this.vals.get(a.valueOffset(n)));
      } else if (depth === bottom) w.ref(bytes, a.hashAt(n), a.born[n]!);
      else {
        w.internal(bytes, a.hashAt(n));
        walk(a.left(n), depth + 1);
        walk(a.right(n), depth + 1);
      }
    };
    walk(id, d);
  }

  /** Loads every retained version from the store into the arena, sharing unchanged pages. */
  private loadAll(): void {
    const store = this.store!;
    const records = store.listRoots();
    check(records.length > 0, 'STORE_FORMAT', 'tree store has metadata but no versions');
    const loaded = new Map<string, number>();
    this.roots = [];
    this.first = records[0]!.version;
    let expect = this.first;
    for (const { version, record } of records) {
      if (version !== expect) {
        throw new WeftError(
          'STORE_FORMAT',
          `tree store is missing version ${expect} (found ${version} next)`,
        );
      }
      expect++;
      const r = decodeRootRecord(record);
      let id: number;
      if (r.k === 'empty') id = EMPTY;
      else if (r.k === 'leaf') id = this.loadLeaf(r.hash, r.keyHash, r.value);
      else id = this.loadPage(r.born, 0, new Uint8Array(32), loaded);
      if (r.k !== 'empty' && !equalBytes(this.nodes.hashOf(id), r.hash)) {
        throw new WeftError(
          'STORE_FORMAT',
          `tree store root of version ${version} does not match its record`,
        );
      }
      this.roots.push(id);
    }
    this.staleIds = this.roots.map(() => []);
    this.sweepUntil = this.version();
  }

  private loadLeaf(hash: Uint8Array, keyHash: Uint8Array, value: Uint8Array): number {
    const slot = this.keys.alloc(keyHash, 0);
    const id = this.nodes.allocLeaf(slot, this.vals.append(value), 0);
    this.nodes.setHash(id, hash);
    return id;
  }

  private loadPage(born: bigint, depth: number, prefix: Uint8Array, loaded: Map<string, number>): number {
    const key = pageKey(born, depth, prefix);
    const name = Buffer.from(key).toString('hex');
    const known = loaded.get(name);
    if (known !== undefined) return known;
    const bytes = this.store!.getPage(key);
    if (bytes === undefined) {
      throw new WeftError(
        'STORE_FORMAT',
        `tree store is missing page ${name} (version ${born}, depth ${depth})`,
      );
    }
    const nodes = decodePage(bytes);
    let at = 0;
    const L = this.pageLevels;
    const a = this.nodes;
    // Pre-order decode; recursion is bounded by the page's L levels.
    const read = (d: number, path: Uint8Array): number => {
      const pn = nodes[at++];
      if (pn === undefined) throw new WeftError('STORE_FORMAT', `page ${name} ends early`);
      switch (pn.k) {
        case 'empty':
          return EMPTY;
        case 'leaf':
          return this.loadLeaf(pn.hash, pn.keyHash, pn.value);
        case 'ref': {
          if (d !== depth + L)
            throw new WeftError('STORE_FORMAT', `page ${name} has a reference inside the page`);
          return this.loadPage(pn.born, d, path, loaded);
        }
        case 'internal': {
          if (d >= depth + L)
            throw new WeftError('STORE_FORMAT', `page ${name} has an internal node past its levels`);
          const left = read(d + 1, withBit(path, d, 0));
          const right = read(d + 1, withBit(path, d, 1));
          const id = a.allocInternal(left, right, d === depth ? Number(born) : 0);
          a.setHash(id, pn.hash);
          return id;
        }
      }
    };
    const id = read(depth, prefix);
    if (at !== nodes.length) throw new WeftError('STORE_FORMAT', `page ${name} has trailing nodes`);
    loaded.set(name, id);
    return id;
  }
}

// ---- batch preparation and packed key-hash helpers ------------------------------------------

const EMPTY_BYTES = new Uint8Array(0);

function checkKey(key: Uint8Array): void {
  check(key instanceof Uint8Array, 'BAD_INPUT', 'key must be a Uint8Array');
  check(key.length <= KEY_BYTES_MAX, 'LIMIT_EXCEEDED', `key of ${key.length} bytes exceeds ${KEY_BYTES_MAX}`);
}

/** Hashes, sorts and de-duplicates a batch (the last write to a key wins). Checks every write. */
function prepareBatch(writes: Write[]): Batch {
  check(Array.isArray(writes), 'BAD_INPUT', 'writes must be an array');
  check(
    writes.length <= BATCH_WRITES_MAX,
    'LIMIT_EXCEEDED',
    `a batch takes at most ${BATCH_WRITES_MAX} writes`,
  );
  const m = writes.length;
  const khAll = new Uint8Array(m * 32);
  for (let i = 0; i < m; i++) {
    const w = writes[i];
    check(w && typeof w === 'object', 'BAD_INPUT', `write ${i} must be { key, value }`);
    checkKey(w.key);
    if (w.value !== null) {
      check(w.value instanceof Uint8Array, 'BAD_INPUT', `write ${i}: value must be a Uint8Array or null`);
      check(
        w.value.length <= VALUE_BYTES_MAX,
        'LIMIT_EXCEEDED',
        `write ${i}: value exceeds ${VALUE_BYTES_MAX} bytes`,
      );
    }
    sha256Into(w.key, khAll, i * 32);
  }
  const order = sortedOrder(khAll, m);
  // Keep the last write of each run of equal key hashes (the order is stable within a run).
  const kept: number[] = [];
  for (let j = 0; j < m; j++) {
    const i = order[j]!;
    const next = order[j + 1];
    if (next !== undefined && samePacked(khAll, i, next)) continue;
    kept.push(i);
  }
  const n = kept.length;
  const keyHashes = new Uint8Array(n * 32);
  const valueHashes = new Uint8Array(n * 32);
  const values: (Uint8Array | null)[] = new Array(n);
  const setPrefix = new Uint32Array(n + 1);
  for (let j = 0; j < n; j++) {
    const i = kept[j]!;
    keyHashes.set(khAll.subarray(i * 32, i * 32 + 32), j * 32);
    const value = writes[i]!.value;
    values[j] = value;
    if (value !== null) sha256Into(value, valueHashes, j * 32);
    setPrefix[j + 1] = setPrefix[j]! + (value === null ? 0 : 1);
  }
  return { n, keyHashes, valueHashes, values, setPrefix };
}

/**
 * Indices of the packed key hashes in ascending hash order, equal hashes by index. Sorts
 * (first 32 bits, index) pairs packed into doubles with the native typed-array sort, then
 * settles the rare runs that share their first 32 bits by the full hash.
 */
function sortedOrder(packed: Uint8Array, m: number): Uint32Array {
  const dv = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const pairs = new Float64Array(m);
  const INDEX_SPAN = 2 ** 21; // BATCH_WRITES_MAX < 2^21, so (prefix, index) fits in 53 bits
  for (let i = 0; i < m; i++) pairs[i] = dv.getUint32(i * 32) * INDEX_SPAN + i;
  pairs.sort();
  const order = new Uint32Array(m);
  for (let j = 0; j < m; j++) order[j] = pairs[j]! % INDEX_SPAN;
  for (let j = 0; j < m; ) {
    let end = j + 1;
    const p = Math.floor(pairs[j]! / INDEX_SPAN);
    while (end < m && Math.floor(pairs[end]! / INDEX_SPAN) === p) end++;
    if (end - j > 1) {
      const run = Array.from(order.subarray(j, end)).sort((x, y) => comparePacked(packed, x, y) || x - y);
      order.set(run, j);
    }
    j = end;
  }
  return order;
}

function comparePacked(packed: Uint8Array, x: number, y: number): number {
  for (let k = 0; k < 32; k++) {
    const d = packed[x * 32 + k]! - packed[y * 32 + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function samePacked(bytes: Uint8Array, i: number, j: number): boolean {
  for (let k = 0; k < 32; k++) if (bytes[i * 32 + k] !== bytes[j * 32 + k]) return false;
  return true;
}

function bitOf(bytes: Uint8Array, offset: number, depth: number): number {
  return (bytes[offset + (depth >> 3)]! >> (7 - (depth & 7))) & 1;
}

/** First index in [lo, hi) of the packed sorted hashes with bit `depth` set. */
function splitPacked(packed: Uint8Array, depth: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >> 1;
    if (bitOf(packed, m * 32, depth) === 0) a = m + 1;
    else b = m;
  }
  return a;
}

function splitSorted(hashes: Uint8Array[], depth: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >> 1;
    if (bitOf(hashes[m]!, 0, depth) === 0) a = m + 1;
    else b = m;
  }
  return a;
}

/** Index of `kh` among the packed sorted hashes [lo, hi), or -1. */
function findPacked(packed: Uint8Array, kh: Uint8Array, lo: number, hi: number): number {
  let a = lo;
  let b = hi - 1;
  while (a <= b) {
    const m = (a + b) >> 1;
    let c = 0;
    for (let k = 0; k < 32 && c === 0; k++) c = packed[m * 32 + k]! - kh[k]!;
    if (c === 0) return m;
    if (c < 0) a = m + 1;
    else b = m - 1;
  }
  return -1;
}

function unpack(packed: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(packed.slice(i * 32, i * 32 + 32));
  return out;
}

function sortDistinct(hashes: Uint8Array[]): Uint8Array[] {
  hashes.sort((x, y) => {
    for (let k = 0; k < 32; k++) {
      const d = x[k]! - y[k]!;
      if (d !== 0) return d;
    }
    return 0;
  });
  return hashes.filter((h, i) => i === 0 || !equalBytes(h, hashes[i - 1]!));
}

function withBit(path: Uint8Array, depth: number, bit: number): Uint8Array {
  const out = path.slice();
  const mask = 0x80 >> (depth & 7);
  if (bit) out[depth >> 3]! |= mask;
  else out[depth >> 3]! &= ~mask;
  return out;
}
