// The tree's NodeStore on disk, in LMDB (layout in docs/storage.md). One write transaction per
// version holds its pages, its new leaf records, its root record and its stale lists; `commit`
// resolves once that transaction is flushed to disk. Reads are synchronous memory-mapped lookups.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { Reader, Writer } from '../crypto/codec.js';
import { WeftError } from '../crypto/errors.js';
import { LEAF_KEY_BYTES } from './page.js';
import {
  type NodeStore,
  type PruneReport,
  STORE_FORMATS_READ,
  type StoreCommit,
  type StoreMeta,
} from './store.js';

const META_KEY = 'tree';
const MAGIC = 0x57534d54; // "WSMT"

export type LmdbNodeStoreOptions = {
  /** Name prefix of this tree's databases inside the environment (default "smt"). */
  name?: string;
};

type Bin = Database<Uint8Array, Uint8Array>;

function u64Key(v: bigint): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setBigUint64(0, v);
  return k;
}

function encodeMeta(m: StoreMeta): Uint8Array {
  return new Writer(16)
    .u32(MAGIC)
    .u16(m.format)
    .u8(m.hasher === 'weft' ? 0 : 1)
    .u8(m.pageLevels)
    .finish();
}

function decodeMeta(bytes: Uint8Array): StoreMeta {
  const r = new Reader(bytes);
  if (r.u32() !== MAGIC)
    throw new WeftError('STORE_FORMAT', 'not a Weft tree store (bad magic in its metadata)');
  const format = r.u16();
  if (!STORE_FORMATS_READ.includes(format)) return { format, hasher: 'weft', pageLevels: 0 };
  const hasher = r.u8();
  const pageLevels = r.u8();
  r.end();
  if (hasher > 1) throw new WeftError('STORE_FORMAT', `tree store names unknown hasher ${hasher}`);
  return { format, hasher: hasher === 0 ? 'weft' : 'jmt', pageLevels };
}

/** The page (or leaf) keys a version made stale: each as a u8 length and the key's bytes. */
function encodeStaleList(keys: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const k of keys) n += 1 + k.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const k of keys) {
    if (k.length > 0xff) throw new WeftError('STORE_FORMAT', `page key of ${k.length} bytes`);
    out[at] = k.length;
    out.set(k, at + 1);
    at += 1 + k.length;
  }
  return out;
}

function forEachStaleKey(list: Uint8Array, each: (key: Uint8Array) => void): void {
  for (let at = 0; at < list.length; ) {
    const n = list[at]!;
    if (at + 1 + n > list.length) throw new WeftError('STORE_CORRUPT', 'a stale-page list is truncated');
    each(list.subarray(at + 1, at + 1 + n));
    at += 1 + n;
  }
}

/**
 * Puts a record with LMDB's append flag inside a write transaction. An append whose key is not
 * above the database's last one is refused by LMDB and reported by lmdb-js as `false`, not as an
 * error: the record is then put normally, and a put that still fails aborts the transaction.
 */
function append(db: Bin, key: Uint8Array, value: Uint8Array): void {
  // lmdb-js takes put options in the version argument; its types name only the version.
  const withOptions = db.put as unknown as (k: Uint8Array, v: Uint8Array, o: { append: boolean }) => unknown;
  const put = withOptions.call(db, key, value, { append: true }) as { result?: boolean };
  if (put.result !== false) return;
  const again = db.put(key, value) as unknown as { result?: boolean };
  if (again.result === false) throw new WeftError('STORE_FAILED', 'LMDB refused a tree record');
}

const LMDB_MAGIC = 0xbeefc0de;

/** What an LMDB data file holds, as far as a store's open cares. */
export type LmdbDataFileState = 'absent' | 'uncommitted' | 'committed';

/**
 * Refuses an LMDB data file that is shorter than its own meta page says it is. LMDB maps the file
 * into memory, and reading a page past a truncated end kills the process (SIGBUS) instead of
 * raising an error, so truncation must be caught before the file is opened. Reads the two meta
 * pages (lmdb-js's LMDB: 24-byte page header, magic at 24, page size at 48, last page at 144,
 * txn id at 152) and keeps the newer; files of another layout are left to LMDB.
 *
 * Returns `uncommitted` for a file that never saw a commit: empty, all zeros, or meta pages with
 * transaction id 0 — what a process killed while creating the store leaves behind. Nothing was
 * ever acknowledged from such a file, so callers start a new store in its place rather than ask
 * for a backup that cannot exist.
 */
export function checkLmdbDataFile(dir: string): LmdbDataFileState {
  const file = join(dir, 'data.mdb');
  if (!existsSync(file)) return 'absent';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const truncated = (why: string) =>
      new WeftError('STORE_CORRUPT', `${file} is truncated: ${why}`, {
        details: 'The data file is shorter than LMDB recorded. Restore the store from a backup.',
      });
    if (size === 0) return 'uncommitted';
    const head = new Uint8Array(Math.min(size, 64 * 1024));
    readSync(fd, head, 0, head.length, 0);
    if (head.every((b) => b === 0) && size <= head.length) return 'uncommitted';
    const dv = new DataView(head.buffer);
    if (head.length < 160 || dv.getUint32(24, true) !== LMDB_MAGIC) return 'committed';
    const pageSize = dv.getUint32(48, true);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return 'committed';
    // LMDB writes both meta pages in one write when it creates the file: one page alone is a
    // cut, not an interrupted creation.
    if (size < 2 * pageSize) throw truncated(`it holds ${size} bytes, less than its two meta pages`);
    let last = dv.getBigUint64(144, true);
    let txn = dv.getBigUint64(152, true);
    const second = head.length >= pageSize + 160 && dv.getUint32(pageSize + 24, true) === LMDB_MAGIC;
    if (second) {
      const txn1 = dv.getBigUint64(pageSize + 152, true);
      if (txn1 > txn) {
        txn = txn1;
        last = dv.getBigUint64(pageSize + 144, true);
      }
    }
    // LMDB writes both meta pages with transaction 0 when it creates the file; the first commit
    // makes one of them 1.
    if (txn === 0n) return 'uncommitted';
    const need = (last + 1n) * BigInt(pageSize);
    if (BigInt(size) < need) throw truncated(`it holds ${size} bytes; its last transaction needs ${need}`);
    return 'committed';
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes a data file that never saw a commit (see checkLmdbDataFile), so LMDB creates a new
 * one; returns the file's state before.
 */
export function prepareLmdbDataFile(dir: string): LmdbDataFileState {
  const state = checkLmdbDataFile(dir);
  if (state === 'uncommitted') rmSync(join(dir, 'data.mdb'), { force: true });
  return state;
}

/**
 * @example
 * const store = LmdbNodeStore.open('/var/lib/weft/tree');
 * const smt = await Smt.open(store);
 */
export class LmdbNodeStore implements NodeStore {
  readonly kind = 'lmdb';
  private readonly meta: Bin;
  private readonly roots: Bin;
  private readonly pages: Bin;
  private readonly stale: Bin;
  /**
   * Format 3: leaf records, and per version the keys of the leaf records it made stale. Null in
   * a read-only environment whose store never had them (a format-2 store: lmdb-js opens no
   * database that does not exist there), which then holds no leaf records.
   */
  private readonly leaves: Bin | null;
  private readonly leafStale: Bin | null;
  private closed = false;

  private constructor(
    private readonly env: RootDatabase,
    private readonly ownsEnv: boolean,
    name: string,
  ) {
    const db = (suffix: string) =>
      env.openDB({ name: `${name}:${suffix}`, keyEncoding: 'binary', encoding: 'binary' }) as unknown as Bin;
    this.meta = db('meta');
    this.roots = db('roots');
    this.pages = db('pages');
    this.stale = db('stale');
    this.leaves = db('leaves') ?? null;
    this.leafStale = db('leafstale') ?? null;
  }

  /** Opens (creating if needed) an LMDB environment in directory `path` that this store owns. */
  static open(path: string, opts: LmdbNodeStoreOptions = {}): LmdbNodeStore {
    mkdirSync(path, { recursive: true });
    prepareLmdbDataFile(path);
    const env = open({ path, maxDbs: 32, compression: false, mapSize: 64 * 1024 * 1024 * 1024 });
    return new LmdbNodeStore(env, true, opts.name ?? 'smt');
  }

  /** The environment, for callers that keep their own databases beside the tree's. */
  get environment(): RootDatabase {
    return this.env;
  }

  /** A store inside an environment someone else owns (a node's single environment). */
  static inEnv(env: RootDatabase, opts: LmdbNodeStoreOptions = {}): LmdbNodeStore {
    return new LmdbNodeStore(env, false, opts.name ?? 'smt');
  }

  private assertOpen(): void {
    if (this.closed) throw new WeftError('STORE_CLOSED', 'the tree store is closed');
  }

  readMeta(): StoreMeta | undefined {
    this.assertOpen();
    const bytes = this.meta.getBinary(META_KEY as unknown as Uint8Array);
    return bytes ? decodeMeta(bytes) : undefined;
  }

  listRoots(): { version: bigint; record: Uint8Array }[] {
    this.assertOpen();
    const out: { version: bigint; record: Uint8Array }[] = [];
    for (const { key, value } of this.roots.getRange({})) {
      const k = key as Uint8Array;
      out.push({ version: new DataView(k.buffer, k.byteOffset, 8).getBigUint64(0), record: value });
    }
    return out;
  }

  getPage(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    return this.pages.getBinary(key) ?? undefined;
  }

  peekPage(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    return this.pages.getBinaryFast(key) ?? undefined;
  }

  getLeaf(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    return this.leaves?.getBinary(key) ?? undefined;
  }

  peekLeaf(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    return this.leaves?.getBinaryFast(key) ?? undefined;
  }

  async commit(c: StoreCommit): Promise<void> {
    this.assertOpen();
    const leaves = this.leaves;
    const leafStale = this.leafStale;
    if (leaves === null || leafStale === null)
      throw new WeftError('STORE_FAILED', 'the tree store is read-only');
    await this.env.transaction(() => {
      if (c.meta) this.meta.put(META_KEY as unknown as Uint8Array, encodeMeta(c.meta));
      // Appended (LMDB fills its pages instead of splitting them in half): the tree hands them
      // over in key order, above every key of an older version.
      for (const [k, v] of c.pages) append(this.pages, k, v);
      for (const [k, v] of c.leaves) append(leaves, k, v);
      // One record per version lists the page keys it made stale (not one record per page).
      if (c.stale.length > 0) this.stale.put(u64Key(c.version), encodeStaleList(c.stale));
      if (c.staleLeaves.length > 0) leafStale.put(u64Key(c.version), encodeStaleList(c.staleLeaves));
      this.roots.put(u64Key(c.version), c.root);
      c.also?.();
    });
    await this.env.flushed;
  }

  async prune(keepFrom: bigint): Promise<PruneReport> {
    this.assertOpen();
    const rootKeys = [...this.roots.getKeys({ end: u64Key(keepFrom) })] as Uint8Array[];
    let pagesRemoved = 0;
    let leavesRemoved = 0;
    await this.env.transaction(() => {
      // Read inside the transaction: the list records are views valid only while it is open.
      const lists = [...this.stale.getRange({ end: u64Key(keepFrom + 1n) })];
      for (const { key, value } of lists) {
        forEachStaleKey(value, (pk) => {
          if (this.pages.removeSync(pk)) pagesRemoved++;
        });
        this.stale.removeSync(key as Uint8Array);
      }
      const leaves = this.leaves;
      const leafStale = this.leafStale;
      if (leaves !== null && leafStale !== null) {
        for (const { key, value } of [...leafStale.getRange({ end: u64Key(keepFrom + 1n) })]) {
          forEachStaleKey(value, (lk) => {
            if (leaves.removeSync(lk)) leavesRemoved++;
          });
          leafStale.removeSync(key as Uint8Array);
        }
      }
      for (const rk of rootKeys) this.roots.removeSync(rk);
    });
    await this.env.flushed;
    return { pagesRemoved, rootsRemoved: rootKeys.length, leavesRemoved };
  }

  /**
   * Checks every stale-page and stale-leaf list offline (`weft store verify`): stored under an
   * 8-byte version of a retained root, parseable, and naming only pages (leaf records) the store
   * holds (a list and what it names are removed together by `prune`); and every leaf record's
   * key is a version and a key hash. Returns one message per fault.
   */
  checkStaleLists(): string[] {
    this.assertOpen();
    const faults: string[] = [];
    const lists: [Bin, Bin, string, string][] = [[this.stale, this.pages, 'stale-page list', 'a page']];
    if (this.leaves !== null && this.leafStale !== null)
      lists.push([this.leafStale, this.leaves, 'stale-leaf list', 'a leaf record']);
    for (const [db, target, what, item] of lists) {
      for (const { key, value } of db.getRange({})) {
        const k = key as Uint8Array;
        if (k.length !== 8) {
          faults.push(`a ${what} under a key that is not a version`);
          continue;
        }
        const version = new DataView(k.buffer, k.byteOffset, 8).getBigUint64(0);
        if (!this.roots.getBinary(k)) faults.push(`the ${what} of version ${version} has no root`);
        try {
          forEachStaleKey(value, (pk) => {
            if (!target.getBinary(pk))
              faults.push(`the ${what} of version ${version} names ${item} the store does not hold`);
          });
        } catch (e) {
          faults.push(`the ${what} of version ${version}: ${(e as Error).message}`);
        }
        if (faults.length >= 100) return faults;
      }
    }
    for (const k of this.leaves?.getKeys({}) ?? []) {
      if ((k as Uint8Array).length !== LEAF_KEY_BYTES)
        faults.push('a leaf record under a key of another length');
      if (faults.length >= 100) break;
    }
    return faults;
  }

  /**
   * Entries and bytes in use (LMDB pages of this tree's databases), for tests and benchmarks.
   * `staleEntries` counts stale-list records: one per version that made pages stale.
   */
  usage(): { pages: number; roots: number; staleEntries: number; leaves: number; bytes: number } {
    const bytesOf = (db: Bin | null) => {
      if (db === null) return 0;
      const s = db.getStats() as {
        pageSize: number;
        treeBranchPageCount: number;
        treeLeafPageCount: number;
        overflowPages: number;
      };
      return s.pageSize * (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages);
    };
    const count = (db: Bin | null) =>
      db === null ? 0 : (db.getStats() as { entryCount: number }).entryCount;
    return {
      pages: count(this.pages),
      roots: count(this.roots),
      staleEntries: count(this.stale) + count(this.leafStale),
      leaves: count(this.leaves),
      bytes:
        bytesOf(this.pages) +
        bytesOf(this.roots) +
        bytesOf(this.stale) +
        bytesOf(this.meta) +
        bytesOf(this.leaves) +
        bytesOf(this.leafStale),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsEnv) {
      await this.env.flushed;
      await this.env.close();
    }
  }
}
