// Reading a tree back from its store: the retained versions' root records, and a version's pages
// decoded into the arenas when it is first used, each page loaded once however many versions share it.
import { equalBytes, hexKey } from '../crypto/bytes.js';
import { check, WeftError } from '../crypto/errors.js';
import { EMPTY, type TreeArenas } from './arena.js';
import { withBit } from './bits.js';
import { decodePage, decodeRootRecord, pageKey } from './page.js';
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
    const bytes = this.store.getPage(key);
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

  /** Decodes one page's nodes in pre-order; recursion is bounded by the page's L levels. */
  private decode(bytes: Uint8Array, name: string, born: bigint, depth: number, prefix: Uint8Array): number {
    const nodes = decodePage(bytes);
    const a = this.t.nodes;
    const L = this.L;
    let at = 0;
    const read = (d: number, path: Uint8Array): number => {
      const pn = nodes[at++];
      if (pn === undefined) throw new WeftError('STORE_FORMAT', `page ${name} ends early`);
      switch (pn.k) {
        case 'empty':
          return EMPTY;
        case 'leaf':
          return loadLeaf(this.t, pn.hash, pn.keyHash, pn.value);
        case 'ref': {
          if (d !== depth + L)
            throw new WeftError('STORE_FORMAT', `page ${name} has a reference inside the page`);
          return this.page(pn.born, d, path);
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
    return id;
  }
}
