import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, toHex, utf8, WeftError } from '../src/crypto/index.js';
import { LmdbNodeStore, MemoryNodeStore, Smt, verifyProof, type Write } from '../src/smt/index.js';
import { decodePage, encodePage } from '../src/smt/page.js';
import { NaiveTree } from './helpers/naive.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-smt-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Deterministic batches that insert, update and delete over a small key space. */
function batches(count: number, size: number): Write[][] {
  const out: Write[][] = [];
  for (let b = 0; b < count; b++) {
    const w: Write[] = [];
    for (let i = 0; i < size; i++) {
      const k = (b * 131 + i * 17) % 400;
      w.push({ key: utf8(`k${k}`), value: (b + i) % 7 === 0 ? null : utf8(`v${b}-${i}`) });
    }
    out.push(w);
  }
  return out;
}

describe('a tree on a NodeStore', () => {
  for (const pageLevels of [1, 4, 8]) {
    it(`gives back every version after reopening (LMDB, ${pageLevels} levels per page)`, async () => {
      const dir = join(tempDir(), 'tree');
      const smt = await Smt.open(LmdbNodeStore.open(dir), { pageLevels });
      const model = new NaiveTree();
      const history: { root: Uint8Array; snapshot: Map<string, Uint8Array> }[] = [
        { root: smt.root(), snapshot: new Map() },
      ];
      for (const b of batches(12, 60)) {
        const { root } = await smt.apply(b);
        model.apply(b);
        expect(toHex(root)).toBe(toHex(model.root()));
        history.push({ root, snapshot: new Map([...model.entries].map(([k, e]) => [k, e.value])) });
      }
      await smt.close();

      const again = await Smt.open(LmdbNodeStore.open(dir));
      expect(again.version()).toBe(12n);
      for (const [v, h] of history.entries()) {
        expect(toHex(again.root(BigInt(v)))).toBe(toHex(h.root));
        for (let k = 0; k < 400; k += 13) {
          const key = utf8(`k${k}`);
          const want = h.snapshot.get(Buffer.from(key).toString('hex')) ?? null;
          const got = await again.get(key, BigInt(v));
          expect(got === null ? null : toHex(got)).toBe(want === null ? null : toHex(want));
          expect(verifyProof(h.root, key, want, await again.prove(key, BigInt(v)))).toBe(true);
        }
      }
      // And it keeps working: a new version on top of the reopened store.
      const { root } = await again.apply([{ key: utf8('after'), value: utf8('reopen') }]);
      model.apply([{ key: utf8('after'), value: utf8('reopen') }]);
      expect(toHex(root)).toBe(toHex(model.root()));
      await again.close();
    });
  }

  it('prunes exactly: the store shrinks, retained versions still read and verify', async () => {
    const dir = join(tempDir(), 'tree');
    const store = LmdbNodeStore.open(dir);
    const smt = await Smt.open(store);
    const bs = batches(30, 80);
    for (const b of bs) await smt.apply(b);
    const before = store.usage();
    const keepFrom = 25n;
    const kept = Array.from({ length: 6 }, (_, i) => smt.root(keepFrom + BigInt(i)));
    await smt.prune(keepFrom);
    const after = store.usage();
    expect(after.pages).toBeLessThan(before.pages);
    expect(after.bytes).toBeLessThan(before.bytes);
    expect(after.roots).toBe(6);
    expect(() => smt.root(24n)).toThrowError(/pruned/);
    await smt.close();

    // Reopening from the pruned store rebuilds every retained version: no page it needs is gone.
    const again = await Smt.open(LmdbNodeStore.open(dir));
    expect(again.firstVersion()).toBe(keepFrom);
    const model = new NaiveTree();
    for (const [i, b] of bs.entries()) {
      model.apply(b);
      if (BigInt(i + 1) < keepFrom) continue;
      expect(toHex(again.root(BigInt(i + 1)))).toBe(toHex(model.root()));
      expect(equalBytes(again.root(BigInt(i + 1)), kept[i + 1 - 25]!)).toBe(true);
      for (let k = 0; k < 400; k += 37) {
        const key = utf8(`k${k}`);
        expect(verifyProof(model.root(), key, model.get(key), await again.prove(key, BigInt(i + 1)))).toBe(
          true,
        );
      }
    }
    await again.close();
  });

  it('reads only the newest version at open; older versions load on first use, also after new batches and prunes', async () => {
    const inner = new MemoryNodeStore();
    let pageReads = 0;
    const counting = Object.assign(Object.create(inner) as MemoryNodeStore, {
      getPage(key: Uint8Array) {
        pageReads++;
        return inner.getPage(key);
      },
    });
    const smt = await Smt.open(counting, { pageLevels: 2 });
    const model = new NaiveTree();
    const history: { root: Uint8Array; snapshot: Map<string, Uint8Array | null> }[] = [
      { root: smt.root(), snapshot: new Map() },
    ];
    const bs = batches(20, 60);
    const snapshotOf = () => {
      const m = new Map<string, Uint8Array | null>();
      for (let k = 0; k < 400; k += 7) m.set(`k${k}`, model.get(utf8(`k${k}`)));
      return m;
    };
    for (const b of bs.slice(0, 14)) {
      await smt.apply(b);
      model.apply(b);
      history.push({ root: model.root(), snapshot: snapshotOf() });
    }
    await smt.close();

    const expectVersion = async (t: Smt, v: number) => {
      const h = history[v]!;
      expect(toHex(t.root(BigInt(v)))).toBe(toHex(h.root));
      for (const [k, want] of h.snapshot) {
        const key = utf8(k);
        const got = await t.get(key, BigInt(v));
        expect(got === null ? null : toHex(got)).toBe(want === null ? null : toHex(want));
        expect(verifyProof(h.root, key, want, t.proveSync(key, BigInt(v)))).toBe(true);
      }
    };

    // Opening reads the newest version's pages only.
    pageReads = 0;
    const again = await Smt.open(counting);
    const atOpen = pageReads;
    expect(atOpen).toBeGreaterThan(0);
    await expectVersion(again, 14);
    expect(pageReads).toBe(atOpen);
    // New batches on top, then old versions read lazily (out of order), sharing loaded pages.
    for (const b of bs.slice(14)) {
      await again.apply(b);
      model.apply(b);
      history.push({ root: model.root(), snapshot: snapshotOf() });
    }
    for (const v of [3, 0, 13, 7, 20, 1]) await expectVersion(again, v);
    expect(pageReads).toBeGreaterThan(atOpen);
    expect(again.checkIntegrity()).toEqual([]);
    await again.close();

    // A prune drops versions never loaded without reading them, and keeps the rest readable.
    const third = await Smt.open(counting);
    pageReads = 0;
    await third.prune(11n);
    const prunedReads = pageReads;
    for (let v = 11; v <= 20; v++) await expectVersion(third, v);
    expect(() => third.root(10n)).toThrowError(/pruned/);
    expect(pageReads).toBe(prunedReads); // versions 11..19 were loaded by the prune itself
    await third.apply(bs[0]!);
    model.apply(bs[0]!);
    expect(toHex(third.root())).toBe(toHex(model.root()));
    await third.prune(third.version());
    expect(toHex(third.root())).toBe(toHex(model.root()));
    expect(third.checkIntegrity()).toEqual([]);
    await third.close();
  });

  it('prunes the in-memory arena too: nodes no retained version reaches are freed', async () => {
    const smt = Smt.inMemory();
    for (const b of batches(30, 80)) await smt.apply(b);
    const before = smt.nodeCount();
    await smt.prune(smt.version());
    const after = smt.nodeCount();
    expect(after).toBeLessThan(before);
    // A fresh tree with just the latest contents has exactly as many nodes.
    const model = new NaiveTree();
    for (const b of batches(30, 80)) model.apply(b);
    const fresh = Smt.inMemory();
    await fresh.apply([...model.entries.values()].map((e) => ({ key: e.key, value: e.value })));
    expect(after).toBe(fresh.nodeCount());
    expect(toHex(fresh.root())).toBe(toHex(smt.root()));
  });

  it('writes pages in the documented encoding: each decodes and re-encodes to the same bytes', async () => {
    const store = new MemoryNodeStore();
    const written: Uint8Array[] = [];
    const commit = store.commit.bind(store);
    store.commit = async (c) => {
      for (const [, page] of c.pages) written.push(page.slice());
      return commit(c);
    };
    const smt = await Smt.open(store, { pageLevels: 3 });
    for (const b of batches(6, 60)) await smt.apply(b);
    await smt.apply([{ key: utf8('big'), value: new Uint8Array(300).fill(7) }]);
    expect(written.length).toBeGreaterThan(10);
    for (const page of written) expect(toHex(encodePage(decodePage(page)))).toBe(toHex(page));
    await smt.close();
  });

  it('refuses a store of an unknown format or another hasher, without rewriting it', async () => {
    const store = new MemoryNodeStore();
    await (await Smt.open(store)).apply([{ key: utf8('a'), value: utf8('b') }]);
    await expect(Smt.open(store, { hasher: 'jmt' })).rejects.toThrowError(/hasher 'weft'/);
    await expect(Smt.open(store, { pageLevels: 2 })).rejects.toThrowError(/8 levels per page, not 2/);
    const newer = new MemoryNodeStore();
    await newer.commit({
      meta: { format: 99, hasher: 'weft', pageLevels: 4 },
      version: 0n,
      root: new Uint8Array([0]),
      pages: [],
      stale: [],
      leaves: [],
      staleLeaves: [],
    });
    await expect(Smt.open(newer)).rejects.toSatisfy(
      (e) => e instanceof WeftError && e.code === 'STORE_FORMAT',
    );
    expect(newer.readMeta()?.format).toBe(99);
  });

  it('stores records handed over out of key order too (an LMDB append that fails becomes a plain put)', async () => {
    const store = LmdbNodeStore.open(join(tempDir(), 'tree'));
    const page = (k: number) => new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0, k]);
    const leaf = (k: number) => new Uint8Array(36).fill(k);
    const commit = (version: bigint, keys: number[]) =>
      store.commit({
        version,
        root: new Uint8Array([0]),
        pages: keys.map((k) => [page(k), new Uint8Array([k])]),
        stale: [],
        leaves: keys.map((k) => [leaf(k), new Uint8Array([k, k])]),
        staleLeaves: [],
      });
    await commit(1n, [5, 9]);
    await commit(2n, [7, 3, 8]); // below the last key, and not in order
    for (const k of [3, 5, 7, 8, 9]) {
      expect(toHex(store.getPage(page(k))!)).toBe(toHex(new Uint8Array([k])));
      expect(toHex(store.getLeaf(leaf(k))!)).toBe(toHex(new Uint8Array([k, k])));
    }
    expect(store.usage()).toMatchObject({ pages: 5, leaves: 5 });
    await store.close();
  });

  it('keeps old versions readable and provable while a writer applies new batches', async () => {
    const smt = await Smt.open(LmdbNodeStore.open(join(tempDir(), 'tree')));
    const bs = batches(10, 50);
    await smt.apply(bs[0]!);
    const root1 = smt.root(1n);
    const pending = bs.slice(1).map((b) => smt.apply(b)); // commits in flight
    for (let k = 0; k < 400; k += 11) {
      const key = utf8(`k${k}`);
      const v = await smt.get(key, 1n);
      expect(verifyProof(root1, key, v, await smt.prove(key, 1n))).toBe(true);
    }
    const results = await Promise.all(pending);
    expect(results.map((r) => r.version)).toEqual([2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
    await smt.close();
  });

  it('survives SIGKILL at random moments: every acknowledged version is intact after each restart', async () => {
    const dir = join(tempDir(), 'tree');
    const committed = new Map<bigint, string>();
    for (let round = 0; round < 4; round++) {
      const stopAfter = 3 + ((round * 7) % 11);
      const seen = await runChildUntilKilled(dir, stopAfter, (v, r) => committed.set(v, r));
      expect(seen).toBeGreaterThanOrEqual(stopAfter);
      const smt = await Smt.open(LmdbNodeStore.open(dir));
      const last = [...committed.keys()].reduce((m, v) => (v > m ? v : m), 0n);
      // Everything acknowledged is there; a version in flight at the kill may also have landed.
      expect(smt.version()).toBeGreaterThanOrEqual(last);
      for (const [v, r] of committed) expect(toHex(smt.root(v)).slice(2)).toBe(r);
      await smt.close();
    }
  });
});

/** Runs the crash child on `dir` and SIGKILLs it once it has acknowledged `stopAfter` versions. */
function runChildUntilKilled(
  dir: string,
  stopAfter: number,
  onCommit: (v: bigint, root: string) => void,
): Promise<number> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/smt-crash-child.mjs'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen = 0;
  let buf = '';
  return new Promise((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const [, v, r] = buf.slice(0, nl).split(' ');
        onCommit(BigInt(v!), r!);
        seen++;
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
      if (seen >= stopAfter && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve(seen));
  });
}

describe('staged versions', () => {
  it('after a failed commit, versions staged behind it never land', async () => {
    const store = new MemoryNodeStore();
    const smt = await Smt.open(store);
    const commit = store.commit.bind(store);
    store.commit = async (c) => {
      if (c.version === 1n) throw new Error('disk full');
      return commit(c);
    };
    const first = smt.apply([{ key: utf8('a'), value: utf8('1') }]);
    const second = smt.apply([{ key: utf8('b'), value: utf8('2') }]);
    await expect(first).rejects.toThrowError(/disk full/);
    await expect(second).rejects.toThrowError(/disk full/);
    expect(store.listRoots().map((r) => r.version)).toEqual([0n]);
    expect(() => smt.root()).toThrowError(/failed to commit/);
  });

  it("lands the caller's own writes in the same LMDB transaction as the version", async () => {
    const dir = join(tempDir(), 'tree');
    const store = LmdbNodeStore.open(dir);
    const smt = await Smt.open(store);
    const side = store.environment.openDB({ name: 'side', keyEncoding: 'binary', encoding: 'binary' });
    const staged = smt.stage([{ key: utf8('a'), value: utf8('1') }]);
    expect(smt.version()).toBe(1n); // readable at once, before the commit
    await staged.commit(() => {
      side.put(utf8('marker'), utf8('v1'));
    });
    expect(side.getBinary(utf8('marker'))).toBeDefined();
    await smt.close();
    const again = await Smt.open(LmdbNodeStore.open(dir));
    expect(again.version()).toBe(1n);
    await again.close();
  });
});

describe('offline integrity check', () => {
  it('passes a sound store and names a version whose stored hashes were altered', async () => {
    const dir = join(tempDir(), 'tree');
    const smt = await Smt.open(LmdbNodeStore.open(dir));
    for (const b of batches(5, 40)) await smt.apply(b);
    expect(smt.checkIntegrity()).toEqual([]);
    await smt.close();
    // Flip a byte inside one page's stored internal hash (tag 0x01 then 32 hash bytes).
    const store = LmdbNodeStore.open(dir);
    const env = store.environment;
    const pages = env.openDB({ name: 'smt:pages', keyEncoding: 'binary', encoding: 'binary' });
    const [first] = [...pages.getRange({ limit: 1 })];
    const value = (first!.value as Uint8Array).slice();
    value[2 + 1 + 5]! ^= 0xff; // u16 count, tag, then inside the first hash
    pages.putSync(first!.key as Uint8Array, value);
    await store.close();
    const opened = await Smt.open(LmdbNodeStore.open(dir)).catch((e) => e);
    if (opened instanceof Smt) {
      expect(opened.checkIntegrity().length).toBeGreaterThan(0);
      await opened.close();
    } else {
      expect(opened).toBeInstanceOf(WeftError); // a root record no longer matches its page
    }
  });
});
