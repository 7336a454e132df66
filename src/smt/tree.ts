// The authenticated tree: a version is a root pointer into shared arenas of nodes, built by batch
// updates with path copying (update.ts), proven by walking the queried keys' bits (prove.ts),
// pruned and compacted (prune.ts), and optionally persisted as pages of several levels
// (persist.ts, load.ts). This class keeps the versions and composes those jobs.
import { check, invariant, WeftError } from '../crypto/errors.js';
import { sha256, sha256Into } from '../crypto/sha256.js';
import { EMPTY, KeyHashArena, NodeArena, type TreeArenas, ValueArena } from './arena.js';
import { checkKey, prepareBatch } from './batch.js';
import { bitOf, KEY_BITS } from './bits.js';
import { type TreeHasher, treeHasher } from './hasher.js';
import { checkIntegrity } from './integrity.js';
import { sortDistinct, unpack } from './keyHashes.js';
import { UNLOADED, VersionLoader } from './load.js';
import { encodeRootRecord, leafKey } from './page.js';
import { collectNewPages, LeafRecords, rootRecord } from './persist.js';
import { multiSteps, ProofScratch, proveKey } from './prove.js';
import { compactIfSparse, freeStale, sweepUnreachable } from './prune.js';
import {
  type NodeStore,
  STORE_FORMAT,
  STORE_FORMATS_READ,
  type StoreCommit,
  type StoreMeta,
} from './store.js';
import type {
  ApplyOptions,
  ApplyResult,
  HasherName,
  MultiProof,
  Proof,
  TransitionProof,
  Write,
} from './types.js';
import { BatchUpdater, type NewPages, noNewPages } from './update.js';
import { MULTI_KEYS_MAX } from './verify.js';

/** Tree levels stored per page record on disk (measured in bench/smt.bench.mjs). */
export const PAGE_LEVELS_DEFAULT = 8;

export type SmtOptions = { hasher?: HasherName; pageLevels?: number };

/** A version computed in memory, with the commit that makes it durable (see `Smt.stage`). */
export type StagedVersion = ApplyResult & { commit(also?: () => void): Promise<void> };

export class Smt {
  private readonly h: TreeHasher;
  private readonly nodes: NodeArena;
  private readonly keys = new KeyHashArena();
  private readonly vals = new ValueArena();
  /** The three arenas, as the walks in the other files take them. */
  private readonly t: TreeArenas;
  private readonly updater: BatchUpdater;
  /** roots[v - first] is the root node id of version v, or UNLOADED until it is read from the store. */
  private roots: number[] = [EMPTY];
  /** Reads the stored versions not loaded yet; dropped at the first prune (see `loadRetained`). */
  private lazy: VersionLoader | null = null;
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
  /** Keys of the pages the newest staged version replaces (stale since it), when there is a store. */
  private retired: Uint8Array[] = [];
  /** The newest staged version's new pages, when there is a store. */
  private newPages: NewPages = noNewPages();
  /** Bytes of the last commit's pages, to size the next one's buffer. */
  private lastPageBytes = 64 * 1024;
  /** Bytes of the last commit's leaf records, likewise. */
  private lastLeafBytes = 64 * 1024;
  /**
   * The store's metadata while it still says an older format (2) than this build writes: the
   * first version committed raises it, in the same transaction.
   */
  private raiseMeta: StoreMeta | null = null;
  /** Scratch and sibling slab of single proofs. */
  private readonly proofScratch = new ProofScratch();

  private constructor(h: TreeHasher, pageLevels: number, store: NodeStore | null) {
    this.h = h;
    this.nodes = new NodeArena(h.empty, store !== null);
    this.t = { nodes: this.nodes, keys: this.keys, vals: this.vals };
    this.pageLevels = pageLevels;
    this.store = store;
    this.updater = new BatchUpdater(h, this.t, pageLevels, store !== null);
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
    if (meta === undefined) return Smt.initStore(store, opts);
    checkStoredMeta(meta, opts);
    const smt = new Smt(treeHasher(meta.hasher), meta.pageLevels, store);
    if (meta.format !== STORE_FORMAT) smt.raiseMeta = { ...meta, format: STORE_FORMAT };
    // Only the newest version is read now; older ones when first used (a node restarts in time
    // proportional to its current tree, not to its history).
    const loader = new VersionLoader(smt.t, store, meta.pageLevels, smt.h);
    smt.first = loader.first;
    smt.roots = loader.records.map(() => UNLOADED);
    smt.roots[smt.roots.length - 1] = loader.load(loader.last);
    smt.lazy = loader.records.length > 1 ? loader : null;
    smt.staleIds = smt.roots.map(() => []);
    smt.sweepUntil = smt.version();
    return smt;
  }

  /** A tree on a new store, which is initialised with version 0 (the empty tree). */
  private static async initStore(store: NodeStore, opts: SmtOptions): Promise<Smt> {
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
      leaves: [],
      staleLeaves: [],
    });
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
    const id = this.roots[Number(v - this.first)]!;
    return id === UNLOADED ? this.loadVersion(v) : id;
  }

  private loadVersion(v: bigint): number {
    const id = this.lazy!.load(v);
    this.roots[Number(v - this.first)] = id;
    return id;
  }

  /**
   * Loads the versions from `from` on that are still in the store only, and drops the loader:
   * a prune frees and renumbers nodes, which the loader's shared pages would still name.
   */
  private loadRetained(from: bigint): void {
    if (this.lazy === null) return;
    for (let v = from > this.first ? from : this.first; v <= this.version(); v++) {
      if (this.roots[Number(v - this.first)] === UNLOADED) this.loadVersion(v);
    }
    this.lazy = null;
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
    // The key's hash in a scratch buffer (a read is synchronous and never re-enters itself): a
    // domain reads three keys per transfer at admission, most of them absent.
    const kh = this.readKeyHash;
    sha256Into(key, kh, 0);
    const leaf = this.findLeaf(this.rootId(version), kh);
    return leaf === EMPTY ? null : this.vals.get(this.nodes.valueOffset(leaf)).slice();
  }

  private readonly readKeyHash = new Uint8Array(32);

  /** Whether the leaf key hash in `slot` is `kh`, compared in place (no view allocated). */
  private leafKeyIs(slot: number, kh: Uint8Array): boolean {
    const bytes = this.keys.bytes;
    const at = slot * 32;
    for (let i = 0; i < 32; i++) if (bytes[at + i] !== kh[i]) return false;
    return true;
  }

  /** The leaf holding `kh` under `node`, or EMPTY. */
  private findLeaf(node: number, kh: Uint8Array): number {
    const a = this.nodes;
    let n = node;
    for (let d = 0; d <= KEY_BITS; d++) {
      if (n === EMPTY) return EMPTY;
      if (a.isLeaf(n)) return this.leafKeyIs(a.keySlot(n), kh) ? n : EMPTY;
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
    const s = this.proofScratch;
    sha256Into(key, s.keyHash, 0);
    return proveKey(this.t, this.rootId(version), s.keyHash, s);
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
    return { steps: multiSteps(this.h, this.t, this.rootId(version), hashes, false) };
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
    return { steps: multiSteps(this.h, this.t, this.rootId(version), hashes, true) };
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
      ? {
          steps:
            batch.n === 0 ? [] : multiSteps(this.h, this.t, oldRoot, unpack(batch.keyHashes, batch.n), true),
        }
      : undefined;

    // The structural part is synchronous: applies run one at a time.
    const { root: newRoot, stale, retired, newPages } = this.updater.run(oldRoot, batch, Number(version));
    this.retired = retired;
    this.newPages = newPages;
    this.roots.push(newRoot);
    this.staleIds.push(stale);

    const root = this.nodes.hashOf(newRoot);
    const record = this.store ? this.persistRecord(version, newRoot) : null;
    let committed: Promise<void> | null = null;
    const commit = (also?: () => void): Promise<void> => {
      committed ??= record ? this.commitRecord(record, also) : Promise.resolve(also?.());
      return committed;
    };
    return transition ? { root, version, transition, commit } : { root, version, commit };
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
    this.loadRetained(keepFromVersion);
    const drop = Number(keepFromVersion - this.first);
    let live: number;
    if (this.first < this.sweepUntil) {
      this.roots = this.roots.slice(drop);
      this.sweep();
      live = this.nodes.live;
    } else {
      live = freeStale(this.t, this.staleIds, drop, this.compactMinSlots);
      this.roots = this.roots.slice(drop);
    }
    this.staleIds = this.staleIds.slice(drop);
    this.staleIds[0] = [];
    this.first = keepFromVersion;
    const kept = compactIfSparse(
      this.t,
      { roots: this.roots, staleIds: this.staleIds },
      live,
      this.compactMinSlots,
    );
    this.roots = kept.roots;
    this.staleIds = kept.staleIds;
    if (this.store) {
      await this.commitChain;
      await this.store.prune(keepFromVersion);
    }
  }

  /** Frees every node no retained version reaches (tests call it to find leaks). */
  private sweep(): void {
    sweepUnreachable(this.t, this.roots);
  }

  /**
   * Recomputes every node of every retained version from its leaves (key hash and value) and
   * compares with what is stored: each mismatch, and each leaf sitting off its key's path, is
   * reported. For offline checks (`weft store verify`); the tree itself trusts its arena.
   */
  checkIntegrity(): string[] {
    // Versions not used since the tree was opened are read now; one whose pages do not match
    // its root record is a fault like any other, and is left out of the recomputation.
    const faults: string[] = [];
    const roots = this.roots.map((id, i) => {
      if (id !== UNLOADED) return id;
      try {
        return this.loadVersion(this.first + BigInt(i));
      } catch (e) {
        if (!(e instanceof WeftError)) throw e;
        faults.push(`version ${this.first + BigInt(i)}: ${e.message}`);
        return EMPTY;
      }
    });
    return [...faults, ...checkIntegrity(this.h, this.t, roots, this.first)];
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
    this.lazy = null;
    this.failed = new WeftError('STORE_CLOSED', 'the tree was closed');
    if (store) await store.close();
  }

  // ---- persistence -------------------------------------------------------------------------

  /**
   * The store records of a new version: its pages, the records of leaves referenced for the
   * first time, the keys of the pages and leaf records it made stale, and its root record.
   */
  private persistRecord(version: bigint, rootId: number): StoreCommit {
    const pages: [Uint8Array, Uint8Array][] = [];
    const stale = this.retired;
    this.retired = [];
    // Leaf records of the leaves this version drops (those that have one: `born` is the version
    // that wrote it; a leaf read from a format-2 page has none, its page goes stale instead).
    const staleLeaves: Uint8Array[] = [];
    const a = this.nodes;
    for (const id of this.staleIds[this.staleIds.length - 1]!) {
      if (!a.isLeaf(id)) continue;
      const born = a.born[id]!;
      if (born !== 0) staleLeaves.push(leafKey(born, this.keys.bytes, a.keySlot(id) * 32));
    }
    const leaves = new LeafRecords(this.lastLeafBytes + (this.lastLeafBytes >> 2));
    // New page roots: new internal nodes at page-root depths, i.e. born in this version.
    const bufferBytes = this.lastPageBytes + (this.lastPageBytes >> 2);
    const newPages = this.newPages;
    this.newPages = noNewPages();
    const used = collectNewPages(this.t, this.pageLevels, newPages, version, bufferBytes, pages, leaves);
    this.lastPageBytes = Math.max(64 * 1024, used);
    const root = rootRecord(this.t, rootId, Number(version), leaves);
    this.lastLeafBytes = Math.max(64 * 1024, leaves.bytes);
    const leafEntries: [Uint8Array, Uint8Array][] = [];
    leaves.entries(leafEntries);
    const record: StoreCommit = { version, root, pages, stale, leaves: leafEntries, staleLeaves };
    if (this.raiseMeta) {
      record.meta = this.raiseMeta;
      this.raiseMeta = null;
    }
    return record;
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
}

/** Refuses a store of another format, or made with another hasher or page size than asked. */
function checkStoredMeta(meta: StoreMeta, opts: SmtOptions): void {
  if (!STORE_FORMATS_READ.includes(meta.format)) {
    throw new WeftError(
      'STORE_FORMAT',
      `tree store format ${meta.format} is not supported (this build reads ${STORE_FORMATS_READ.join(' and ')})`,
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
}
