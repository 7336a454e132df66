// Reading a tree back from its store: the retained versions' root records, and a version's pages
// decoded into the arenas when it is first used, each page loaded once however many versions share it.
import { equalBytes, hexKey } from '../crypto/bytes.js';
import { check, WeftError } from '../crypto/errors.js';
import { EMPTY, type TreeArenas } from './arena.js';
import { decodeRootRecord, PAGE_NODES_MAX, PAGE_TAG, pageKey, VALUE_BYTES_MAX } from './page.js';
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
    this.pages = new PageLoader(t, store, pageLevels);
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
    if (r.k === 'empty') id = EMPTY;
    else if (r.k === 'leaf') id = loadLeaf(this.t, r.hash, r.keyHash, r.value);
    else id = this.pages.page(r.born, 0, new Uint8Array(32));
    if (r.k !== 'empty' && !equalBytes(this.t.nodes.hashOf(id), r.hash)) {
      throw new WeftError('STORE_FORMAT', `tree store root of version ${version} does not match its record`);
    }
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

  constructor(
    private readonly t: TreeArenas,
    private readonly store: NodeStore,
    private readonly L: number,
  ) {}

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
    return id;
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
        if (d >= depth + L)
          throw new WeftError('STORE_FORMAT', `page ${name} has an internal node past its levels`);
        const hashAt = at;
        at += 32;
        const mask = 0x80 >> (d & 7);
        path[d >> 3]! &= ~mask;
        const left = read(d + 1);
        path[d >> 3]! |= mask;
        const right = read(d + 1);
        const id = a.allocInternal(left, right, d === depth ? Number(born) : 0);
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
