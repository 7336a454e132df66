// Reading a tree back from its store: the retained versions' root records, and a version's pages
// decoded into the arenas when it is first used, each page loaded once however many versions share it.
// Leaves are inline in format-2 pages and root records, in their own records (referenced by
// version and key hash) in format 3, whose pages also leave out internal hashes: those are
// recomputed level by level once a version's pages are read. A store raised from 2 to 3 holds both.
import { equalBytes, hexKey } from '../crypto/bytes.js';
import { check, WeftError } from '../crypto/errors.js';
import { EMPTY, RECORD_WORDS, type TreeArenas } from './arena.js';
import { KEY_BITS } from './bits.js';
import type { TreeHasher } from './hasher.js';
import { LevelHasher } from './levelHash.js';
import {
  decodeRootRecord,
  LEAF_KEY_BYTES,
  PAGE_NODES_MAX,
  PAGE_TAG,
  pageKey,
  VALUE_BYTES_MAX,
} from './page.js';
import type { NodeStore } from './store.js';

/** A version not read from its store yet: `Smt` keeps its root record and loads it on first use. */
export const UNLOADED = -1;

/**
 * Reading a store's versions: its root records at open (checked to be contiguous), and each
 * version's pages when it is first used. Pages already read are shared between versions, which
 * holds while no node is freed: the tree drops its loader before its first prune.
 */
export class VersionLoader {
  readonly first: bigint;
  /** root records, oldest first: records[i] is version first + i */
  readonly records: Uint8Array[];
  private readonly pages: PageLoader;

  constructor(
    private readonly t: TreeArenas,
    store: NodeStore,
    pageLevels: number,
    h: TreeHasher,
  ) {
    const records = store.listRoots();
    check(records.length > 0, 'STORE_FORMAT', 'tree store has metadata but no versions');
    this.first = records[0]!.version;
    let expect = this.first;
    for (const { version } of records) {
      if (version !== expect) {
        throw new WeftError(
          'STORE_FORMAT',
          `tree store is missing version ${expect} (found ${version} next)`,
        );
      }
      expect++;
    }
    this.records = records.map((r) => r.record);
    this.pages = new PageLoader(t, store, pageLevels, h);
  }

  /** The newest version stored. */
  get last(): bigint {
    return this.first + BigInt(this.records.length - 1);
  }

  /** Reads `version`'s pages into the arenas; returns its root id, checked against its record. */
  load(version: bigint): number {
    const record = this.records[Number(version - this.first)]!;
    const r = decodeRootRecord(record);
    let id: number;
    try {
      if (r.k === 'empty') id = EMPTY;
      else if (r.k === 'leaf') id = loadLeaf(this.t, r.hash, r.keyHash, r.value);
      else if (r.k === 'leafRef') id = this.pages.leaf(r.born, r.keyHash, 0);
      else id = this.pages.page(r.born, 0, new Uint8Array(32));
      this.pages.readLeaves();
      this.pages.hashPending();
      if ((r.k === 'leaf' || r.k === 'page') && !equalBytes(this.t.nodes.hashOf(id), r.hash)) {
        throw new WeftError(
          'STORE_FORMAT',
          `tree store root of version ${version} does not match its record`,
        );
      }
    } catch (e) {
      // Nothing of a version that failed to load (its root check included) is kept for the next
      // one to share.
      this.pages.abandon();
      throw e;
    }
    this.pages.done();
    return id;
  }
}

function loadLeaf(t: TreeArenas, hash: Uint8Array, keyHash: Uint8Array, value: Uint8Array): number {
  const slot = t.keys.alloc(keyHash, 0);
  const id = t.nodes.allocLeaf(slot, t.vals.append(value), 0);
  t.nodes.setHash(id, hash);
  return id;
}

/** Loads pages into the arenas, remembering which are loaded so a shared page becomes shared nodes. */
class PageLoader {
  private readonly loaded = new Map<string, number>();

  /** Pages decoded while the current version loads (shared only once it loaded whole). */
  private readonly fresh: string[] = [];

  /** The current version loaded whole: its pages may be shared from now on. */
  done(): void {
    this.fresh.length = 0;
  }

  /** The current version failed to load: forget its pages, queued leaves and pending hashes. */
  abandon(): void {
    for (const name of this.fresh) this.loaded.delete(name);
    this.fresh.length = 0;
    this.unread.clear();
    for (const list of this.pending) list.length = 0;
  }

  /** Internal nodes read without their hash (format 3), by depth, hashed by `hashPending`. */
  private readonly pending: number[][] = Array.from({ length: KEY_BITS }, () => []);
  /** Hashes them a level at a time. */
  private readonly levels: LevelHasher;

  constructor(
    private readonly t: TreeArenas,
    private readonly store: NodeStore,
    private readonly L: number,
    h: TreeHasher,
  ) {
    this.levels = new LevelHasher(h);
  }

  /**
   * Computes the hashes of the internal nodes read without one, deepest first, one batched call
   * per depth: their children are deeper (hashed before) or were read with their hashes.
   */
  hashPending(): void {
    const a = this.t.nodes;
    for (let d = KEY_BITS - 1; d >= 0; d--) {
      const list = this.pending[d]!;
      if (list.length === 0) continue;
      this.levels.hashLevel(a, list);
      list.length = 0;
    }
  }

  /** The node id of the page born in `born` at `depth` on path `prefix`, loading it if needed. */
  page(born: bigint, depth: number, prefix: Uint8Array): number {
    const key = pageKey(born, depth, prefix);
    const name = hexKey(key);
    const known = this.loaded.get(name);
    if (known !== undefined) return known;
    const bytes = this.read(key, Math.floor(depth / this.L));
    if (bytes === undefined) {
      throw new WeftError(
        'STORE_FORMAT',
        `tree store is missing page ${name} (version ${born}, depth ${depth})`,
      );
    }
    const id = this.decode(bytes, name, born, depth, prefix);
    this.loaded.set(name, id);
    this.fresh.push(name);
    return id;
  }

  private readonly leafKey = new Uint8Array(LEAF_KEY_BYTES);
  /**
   * Leaves referenced but not read yet (format 3): version that wrote the record -> pairs (node
   * id, key-hash slot).
   */
  private readonly unread = new Map<number, number[]>();

  /**
   * A new node for the leaf record `born || keyHash[at..]` (format 3): its key hash from the
   * reference, and `born` so later versions reference it again; its hash and value are read by
   * `readLeaves`, once the version's pages are decoded.
   */
  leaf(born: number, keyHash: Uint8Array, at: number): number {
    if (born === 0) throw new WeftError('STORE_FORMAT', 'a leaf reference names version 0');
    const t = this.t;
    const slot = t.keys.alloc(keyHash, at);
    const id = t.nodes.allocLeaf(slot, 0, born);
    let list = this.unread.get(born);
    if (list === undefined) {
      list = [];
      this.unread.set(born, list);
    }
    list.push(id, slot);
    return id;
  }

  /**
   * Reads the records of the leaves `leaf` queued, in key order (by the version that wrote them,
   * then by key hash: a pre-order walk meets each version's leaves in key-hash order already), so
   * consecutive lookups go down the same branch of LMDB's tree.
   */
  readLeaves(): void {
    if (this.unread.size === 0) return;
    const t = this.t;
    const a = t.nodes;
    const key = this.leafKey;
    const borns = [...this.unread.keys()].sort((x, y) => x - y);
    for (const born of borns) {
      key[0] = born >>> 24;
      key[1] = (born >>> 16) & 0xff;
      key[2] = (born >>> 8) & 0xff;
      key[3] = born & 0xff;
      const list = this.unread.get(born)!;
      const kh = t.keys.bytes;
      for (let j = 0; j < list.length; j += 2) {
        const id = list[j]!;
        const kAt = list[j + 1]! * 32;
        for (let i = 0; i < 32; i++) key[4 + i] = kh[kAt + i]!;
        const rec = this.store.peekLeaf ? this.store.peekLeaf(key) : this.store.getLeaf(key);
        const bad = (what: string) =>
          new WeftError('STORE_FORMAT', `tree store ${what} leaf record ${hexKey(key)} (version ${born})`);
        if (rec === undefined) throw bad('is missing');
        // lmdb-js hands out one large buffer with its own `length` set to the value's.
        const end = rec.length;
        if (end < 36) throw bad('has a short');
        const n = ((rec[32]! << 24) | (rec[33]! << 16) | (rec[34]! << 8) | rec[35]!) >>> 0;
        if (n > VALUE_BYTES_MAX) throw bad(`holds a value of ${n} bytes in a`);
        if (36 + n !== end) throw bad('has the wrong length for the value in a');
        a.words[id * RECORD_WORDS + 1] = t.vals.append(rec.subarray(36, 36 + n));
        const nodeBytes = a.bytes;
        const h = a.hashAt(id);
        for (let i = 0; i < 32; i++) nodeBytes[h + i] = rec[i]!;
      }
    }
    this.unread.clear();
  }

  /** Per page level, a buffer the page being decoded at that level is copied into. */
  private readonly scratch: Uint8Array[] = [];

  /**
   * The page at `key`: through the store's `peekPage` (no copy; valid until its next read) copied
   * into this level's scratch buffer, since decoding reads the child pages before it is done.
   */
  private read(key: Uint8Array, level: number): Uint8Array | undefined {
    if (this.store.peekPage === undefined) return this.store.getPage(key);
    const view = this.store.peekPage(key);
    if (view === undefined) return undefined;
    // lmdb-js hands out one large buffer with its own `length` set to the value's: copy by that.
    const n = view.length;
    let buf = this.scratch[level];
    if (buf === undefined || buf.length < n) {
      buf = new Uint8Array(Math.max(4096, n * 2));
      this.scratch[level] = buf;
    }
    buf.set(view.subarray(0, n));
    return buf.subarray(0, n);
  }

  /**
   * Decodes one page's nodes in pre-order straight from its bytes into the arenas (the format of
   * `encodePage`: no intermediate node objects); recursion is bounded by the page's L levels.
   */
  private decode(bytes: Uint8Array, name: string, born: bigint, depth: number, prefix: Uint8Array): number {
    const t = this.t;
    const a = t.nodes;
    const L = this.L;
    const end = bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const short = (what: string) => new WeftError('STORE_FORMAT', `page ${name} ends early (${what})`);
    if (end < 2) throw short('count');
    const count = view.getUint16(0);
    if (count > PAGE_NODES_MAX) throw new WeftError('STORE_FORMAT', `page claims ${count} nodes`);
    let at = 2;
    let seen = 0;
    // The path so far, bit by bit as the walk goes down; page keys mask the bits past their depth.
    const path = prefix.slice(0, 32);
    /** An internal node at depth `d` (its hash aside): its two subtrees, read left then right. */
    const internal = (d: number): number => {
      if (d >= depth + L || d >= KEY_BITS)
        throw new WeftError('STORE_FORMAT', `page ${name} has an internal node past its levels`);
      const mask = 0x80 >> (d & 7);
      path[d >> 3]! &= ~mask;
      const left = read(d + 1);
      path[d >> 3]! |= mask;
      const right = read(d + 1);
      return a.allocInternal(left, right, d === depth ? Number(born) : 0);
    };
    const read = (d: number): number => {
      if (seen++ === count || at >= end) throw short('nodes');
      const tag = bytes[at++]!;
      if (tag === PAGE_TAG.empty) return EMPTY;
      if (tag === PAGE_TAG.leaf) {
        if (at + 68 > end) throw short('leaf');
        const n = view.getUint32(at + 64);
        if (n > VALUE_BYTES_MAX)
          throw new WeftError('STORE_FORMAT', `page ${name} holds a value of ${n} bytes`);
        if (at + 68 + n > end) throw short('value');
        const slot = t.keys.alloc(bytes, at + 32);
        const id = a.allocLeaf(slot, t.vals.append(bytes.subarray(at + 68, at + 68 + n)), 0);
        a.bytes.set(bytes.subarray(at, at + 32), a.hashAt(id));
        at += 68 + n;
        return id;
      }
      if (tag === PAGE_TAG.leafRef) {
        if (at + 36 > end) throw short('leaf reference');
        const born = view.getUint32(at);
        const id = this.leaf(born, bytes, at + 4);
        at += 36;
        return id;
      }
      if (tag === PAGE_TAG.pageRef) {
        if (at + 4 > end) throw short('reference');
        if (d !== depth + L)
          throw new WeftError('STORE_FORMAT', `page ${name} has a reference inside the page`);
        const child = view.getUint32(at);
        at += 4;
        return this.page(BigInt(child), d, path);
      }
      if (tag === PAGE_TAG.branch) {
        const id = internal(d);
        this.pending[d]!.push(id);
        return id;
      }
      if (tag === PAGE_TAG.ref) {
        if (at + 40 > end) throw short('reference');
        if (d !== depth + L)
          throw new WeftError('STORE_FORMAT', `page ${name} has a reference inside the page`);
        const child = view.getBigUint64(at + 32);
        at += 40;
        return this.page(child, d, path);
      }
      if (tag === PAGE_TAG.internal) {
        if (at + 32 > end) throw short('hash');
        const hashAt = at;
        at += 32;
        const id = internal(d);
        a.bytes.set(bytes.subarray(hashAt, hashAt + 32), a.hashAt(id));
        return id;
      }
      throw new WeftError('STORE_FORMAT', `page node ${seen - 1} has unknown tag ${tag}`);
    };
    const id = read(depth);
    if (seen !== count || at !== end) throw new WeftError('STORE_FORMAT', `page ${name} has trailing nodes`);
    return id;
  }
}
