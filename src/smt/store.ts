// Where a tree keeps its versions: the NodeStore contract, and the in-memory implementation.
// The LMDB implementation (lmdbStore.ts) keeps the same contract on disk.
import { hexKey } from '../crypto/index.js';
import type { HasherName } from './types.js';

/**
 * The on-disk format this build writes: 3, leaves in their own records (docs/storage.md). It
 * also reads format 2 (leaves inline in pages) and raises a store's format to 3 with the first
 * version it writes there.
 */
export const STORE_FORMAT = 3;
/** The formats this build reads. */
export const STORE_FORMATS_READ: readonly number[] = [2, 3];

export type StoreMeta = { format: number; hasher: HasherName; pageLevels: number };

/** Everything one version adds, committed atomically. */
export type StoreCommit = {
  meta?: StoreMeta;
  version: bigint;
  /** the encoded root record of `version` */
  root: Uint8Array;
  /**
   * new pages: [page key, encoded page], in key order (each key starts with `version`, above
   * every older version's, so a store may append them)
   */
  pages: [Uint8Array, Uint8Array][];
  /** keys of pages the new version no longer reaches (stale since `version`) */
  stale: Uint8Array[];
  /** new leaf records (format 3): [leaf key, encoded leaf record], in key order, likewise */
  leaves: [Uint8Array, Uint8Array][];
  /** keys of leaf records of the leaves the new version drops (stale since `version`) */
  staleLeaves: Uint8Array[];
  /** the caller's own writes, run inside the same store transaction (see `Smt.stage`) */
  also?: () => void;
};

export type PruneReport = { pagesRemoved: number; rootsRemoved: number; leavesRemoved: number };

/**
 * Persistent storage of tree versions. Reads are synchronous (LMDB reads are memory-mapped);
 * `commit` resolves once the version is durable.
 */
export interface NodeStore {
  readonly kind: 'memory' | 'lmdb';
  readMeta(): StoreMeta | undefined;
  /** Root records of the retained versions, oldest first. */
  listRoots(): { version: bigint; record: Uint8Array }[];
  getPage(key: Uint8Array): Uint8Array | undefined;
  /**
   * The page at `key` without a copy, valid only until the store's next read (optional: loading
   * a tree copies each page into a reused buffer instead of allocating one per page).
   */
  peekPage?(key: Uint8Array): Uint8Array | undefined;
  /** The leaf record at `key` (format 3; see `leafKey`). */
  getLeaf(key: Uint8Array): Uint8Array | undefined;
  /** The leaf record at `key` without a copy, valid only until the store's next read (optional). */
  peekLeaf?(key: Uint8Array): Uint8Array | undefined;
  commit(c: StoreCommit): Promise<void>;
  /**
   * Removes roots before `keepFrom` and every page and leaf record stale since a version <=
   * `keepFrom`.
   */
  prune(keepFrom: bigint): Promise<PruneReport>;
  close(): Promise<void>;
}

/** A NodeStore in memory: the same contract as on disk, for tests and embedded use. */
export class MemoryNodeStore implements NodeStore {
  readonly kind = 'memory';
  private meta: StoreMeta | undefined;
  private readonly roots = new Map<bigint, Uint8Array>();
  private readonly pages = new Map<string, Uint8Array>();
  /** stale-since version -> page keys (hex) */
  private readonly stale = new Map<bigint, string[]>();
  private readonly leaves = new Map<string, Uint8Array>();
  /** stale-since version -> leaf keys (hex) */
  private readonly staleLeaves = new Map<bigint, string[]>();

  readMeta(): StoreMeta | undefined {
    return this.meta;
  }

  listRoots(): { version: bigint; record: Uint8Array }[] {
    return [...this.roots.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([version, record]) => ({ version, record }));
  }

  getPage(key: Uint8Array): Uint8Array | undefined {
    return this.pages.get(hexKey(key));
  }

  getLeaf(key: Uint8Array): Uint8Array | undefined {
    return this.leaves.get(hexKey(key));
  }

  /** The keys (hex) of the pages and leaf records held, for tests of exact pruning. */
  contents(): { pages: Set<string>; leaves: Set<string> } {
    return { pages: new Set(this.pages.keys()), leaves: new Set(this.leaves.keys()) };
  }

  async commit(c: StoreCommit): Promise<void> {
    if (c.meta) this.meta = { ...c.meta };
    this.roots.set(c.version, c.root.slice());
    for (const [k, v] of c.pages) this.pages.set(hexKey(k), v.slice());
    for (const [k, v] of c.leaves) this.leaves.set(hexKey(k), v.slice());
    if (c.stale.length > 0) this.stale.set(c.version, c.stale.map(hexKey));
    if (c.staleLeaves.length > 0) this.staleLeaves.set(c.version, c.staleLeaves.map(hexKey));
    c.also?.();
  }

  async prune(keepFrom: bigint): Promise<PruneReport> {
    let pagesRemoved = 0;
    let rootsRemoved = 0;
    for (const v of [...this.roots.keys()]) {
      if (v < keepFrom) {
        this.roots.delete(v);
        rootsRemoved++;
      }
    }
    for (const [v, keys] of [...this.stale.entries()]) {
      if (v > keepFrom) continue;
      for (const k of keys) if (this.pages.delete(k)) pagesRemoved++;
      this.stale.delete(v);
    }
    let leavesRemoved = 0;
    for (const [v, keys] of [...this.staleLeaves.entries()]) {
      if (v > keepFrom) continue;
      for (const k of keys) if (this.leaves.delete(k)) leavesRemoved++;
      this.staleLeaves.delete(v);
    }
    return { pagesRemoved, rootsRemoved, leavesRemoved };
  }

  async close(): Promise<void> {}
}
