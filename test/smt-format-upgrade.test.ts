// Tree stores written in store format 2 (leaves inline in pages) by the code before format 3
// (test/fixtures/smt-format2.json, made by test/fixtures/make-smt-format2.mjs with a build of
// commit 2954283) open with this build: every retained version reads and proves as before, the
// first version written raises the format to 3, and from then on pruning is exact over both
// kinds of records. Also: a newer or unknown format is refused, and a missing or altered leaf
// record is found.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { hexKey, toHex, utf8, WeftError } from '../src/crypto/index.js';
import { type HasherName, LmdbNodeStore, Smt, verifyProof, type Write } from '../src/smt/index.js';
import { STORE_FORMAT } from '../src/smt/store.js';
import { NaiveTree } from './helpers/naive.js';
import { reachable } from './helpers/smtReach.js';

type FixtureStore = {
  hasher: HasherName;
  pageLevels: number;
  pruneTo: number;
  batches: [string, string | null][][];
  records: Record<'meta' | 'roots' | 'pages' | 'stale', [string, string][]>;
};
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/smt-format2.json'), 'utf8')) as {
  format: number;
  stores: FixtureStore[];
};

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-smt-upgrade-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const DB = { keyEncoding: 'binary', encoding: 'binary' } as const;
/** Bytes of unprefixed hex (the fixture's records, `hexKey`). */
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** A directory holding the fixture's format-2 records, exactly as the old code left them. */
async function format2Dir(f: FixtureStore): Promise<string> {
  const dir = tempDir();
  const env = open({ path: dir, maxDbs: 32, compression: false });
  for (const name of ['meta', 'roots', 'pages', 'stale'] as const) {
    const db = env.openDB({ name: `smt:${name}`, ...DB });
    for (const [k, v] of f.records[name]) db.putSync(fromHex(k), fromHex(v));
  }
  await env.close();
  return dir;
}

const writes = (b: [string, string | null][]): Write[] =>
  b.map(([k, v]) => ({ key: utf8(k), value: v === null ? null : utf8(v) }));

/** The contents of every version the fixture's batches made: models[v]. */
function fixtureModels(f: FixtureStore): NaiveTree[] {
  const models = [new NaiveTree(f.hasher)];
  for (const b of f.batches) {
    const m = new NaiveTree(f.hasher);
    for (const e of models[models.length - 1]!.entries.values()) m.apply([e]);
    m.apply(writes(b));
    models.push(m);
  }
  return models;
}

function copyOf(m: NaiveTree): NaiveTree {
  const c = new NaiveTree(m.hasher);
  for (const e of m.entries.values()) c.apply([e]);
  return c;
}

/** Every key the fixture and the tests write, and a few never written. */
function keySpace(f: FixtureStore): Uint8Array[] {
  const names = new Set<string>(['absent-1', 'absent-2']);
  for (const b of f.batches) for (const [k] of b) names.add(k);
  for (let i = 0; i < 40; i++) names.add(`n${i}`);
  return [...names].map(utf8);
}

/** Reads, proves and integrity-checks every retained version against its model. */
function expectVersions(smt: Smt, models: NaiveTree[], keys: Uint8Array[]): void {
  for (let v = smt.firstVersion(); v <= smt.version(); v++) {
    const model = models[Number(v)]!;
    expect(toHex(smt.root(v))).toBe(toHex(model.root()));
    for (const key of keys) {
      const want = model.get(key);
      const got = smt.getSync(key, v);
      expect(got === null ? null : toHex(got)).toBe(want === null ? null : toHex(want));
      expect(verifyProof(smt.root(v), key, want, smt.proveSync(key, v), { hasher: smt.hasherName })).toBe(
        true,
      );
    }
  }
  expect(smt.checkIntegrity()).toEqual([]);
}

/** The keys (hex) of the pages and leaf records an LMDB tree store holds. */
function held(store: LmdbNodeStore): { pages: Set<string>; leaves: Set<string> } {
  const env = store.environment;
  const keys = (name: string) =>
    new Set([...env.openDB({ name, ...DB }).getKeys({})].map((k) => hexKey(k as Uint8Array)));
  return { pages: keys('smt:pages'), leaves: keys('smt:leaves') };
}

function storedFormat(store: LmdbNodeStore): number | undefined {
  return store.readMeta()?.format;
}

describe('a format-2 store opened by this build', () => {
  it('fixture: made by the format-2 code, with inline leaves, pages and stale lists', () => {
    expect(fixture.format).toBe(2);
    expect(STORE_FORMAT).toBe(3);
    for (const f of fixture.stores) {
      const meta = fromHex(f.records.meta[0]![1]);
      expect((meta[4]! << 8) | meta[5]!).toBe(2); // magic u32, then format u16
    }
  });

  for (const [i, f] of fixture.stores.entries()) {
    it(`reads and proves every retained version, then writes format 3 on top, prunes exactly and reopens (store ${i}: ${f.hasher}, ${f.pageLevels} levels per page)`, async () => {
      const dir = await format2Dir(f);
      const models = fixtureModels(f);
      const keys = keySpace(f);
      let store = LmdbNodeStore.open(dir);
      let smt = await Smt.open(store);
      expect(smt.hasherName).toBe(f.hasher);
      expect(smt.firstVersion()).toBe(BigInt(f.pruneTo));
      expect(smt.version()).toBe(BigInt(f.batches.length));
      expectVersions(smt, models, keys);
      // Reading never rewrites: the store still says format 2, with no leaf records.
      expect(storedFormat(store)).toBe(2);
      expect(held(store).leaves.size).toBe(0);

      // Updates, deletes and inserts over the format-2 leaves: the first version raises the format.
      const model = copyOf(models[models.length - 1]!);
      const more: Write[][] = [
        writes(f.batches[f.batches.length - 1]!.slice(0, 5).map(([k]) => [k, `updated-${k}`])),
        writes([...model.entries.values()].slice(0, 3).map((e) => [new TextDecoder().decode(e.key), null])),
        writes(Array.from({ length: 20 }, (_, j) => [`n${j}`, `new-${j}`])),
      ];
      for (const w of more) {
        const { root } = await smt.apply(w);
        model.apply(w);
        models.push(copyOf(model));
        expect(toHex(root)).toBe(toHex(model.root()));
        expect(storedFormat(store)).toBe(3);
      }
      expect(held(store).leaves.size).toBeGreaterThan(0);
      expectVersions(smt, models, keys);
      expect(held(store)).toEqual(reachable(store));

      // Prune one version at a time up to the newest: each time the store holds exactly what the
      // retained versions reach, and a reopened tree reads them all.
      for (let keep = smt.firstVersion() + 1n; keep <= smt.version(); keep++) {
        await smt.prune(keep);
        expect(held(store)).toEqual(reachable(store));
        await smt.close();
        store = LmdbNodeStore.open(dir);
        smt = await Smt.open(store);
        expect(smt.firstVersion()).toBe(keep);
        expectVersions(smt, models, keys);
        expect(store.checkStaleLists()).toEqual([]);
      }
      await smt.close();
    });
  }

  it('random batches, prunes and reopens over each format-2 store keep the model roots, valid proofs and exact pruning', async () => {
    const opArb = fc.oneof(
      {
        arbitrary: fc.record({
          t: fc.constant('apply' as const),
          writes: fc.array(fc.tuple(fc.nat(59), fc.option(fc.nat(5), { nil: null })), {
            minLength: 1,
            maxLength: 12,
          }),
        }),
        weight: 4,
      },
      { arbitrary: fc.record({ t: fc.constant('prune' as const), back: fc.nat(3) }), weight: 2 },
      { arbitrary: fc.constant({ t: 'reopen' as const }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(fixture.stores.length - 1),
        fc.array(opArb, { maxLength: 10 }),
        async (which, ops) => {
          const f = fixture.stores[which]!;
          const dir = await format2Dir(f);
          const models = fixtureModels(f);
          const keys = keySpace(f);
          // Keys 0..59: the fixture's own keys first, then new ones.
          const names = [...new Set(f.batches.flatMap((b) => b.map(([k]) => k)))];
          for (let i = 0; names.length < 60; i++) names.push(`n${i}`);
          let store = LmdbNodeStore.open(dir);
          let smt = await Smt.open(store);
          const model = copyOf(models[models.length - 1]!);
          for (const op of ops) {
            if (op.t === 'apply') {
              const w: Write[] = op.writes.map(([k, v]) => ({
                key: utf8(names[k]!),
                value: v === null ? null : utf8(`r${v}-${smt.version()}`),
              }));
              const { root } = await smt.apply(w);
              model.apply(w);
              models.push(copyOf(model));
              expect(toHex(root)).toBe(toHex(model.root()));
            } else if (op.t === 'prune') {
              const keep = smt.version() - BigInt(op.back);
              if (keep < smt.firstVersion()) continue;
              await smt.prune(keep);
              expect(held(store)).toEqual(reachable(store));
            } else {
              await smt.close();
              store = LmdbNodeStore.open(dir);
              smt = await Smt.open(store);
            }
          }
          expectVersions(smt, models, keys);
          expect(store.checkStaleLists()).toEqual([]);
          expect(storedFormat(store)).toBe(smt.version() > BigInt(f.batches.length) ? 3 : 2);
          await smt.close();
        },
      ),
      { numRuns: 12 },
    );
  });

  it('opens read-only, as `weft store verify` does, where the leaf databases do not exist yet', async () => {
    const f = fixture.stores[0]!;
    const dir = await format2Dir(f);
    const env = open({ path: dir, maxDbs: 32, compression: false, readOnly: true });
    const store = LmdbNodeStore.inEnv(env);
    const smt = await Smt.open(store);
    expectVersions(smt, fixtureModels(f), keySpace(f));
    expect(store.checkStaleLists()).toEqual([]);
    await expect(smt.apply([{ key: utf8('x'), value: utf8('y') }])).rejects.toSatisfy(
      (e) => e instanceof WeftError && e.code === 'STORE_FAILED',
    );
    await env.close();
  });

  it('refuses format 1 and formats newer than 3, and never rewrites them', async () => {
    for (const format of [1, 4, 99]) {
      const f = fixture.stores[0]!;
      const dir = await format2Dir(f);
      const env = open({ path: dir, maxDbs: 32, compression: false });
      const meta = env.openDB({ name: 'smt:meta', ...DB });
      const [[k, v]] = f.records.meta as [[string, string]];
      const bytes = fromHex(v);
      bytes[4] = format >> 8;
      bytes[5] = format & 0xff;
      meta.putSync(fromHex(k), bytes);
      await env.close();
      const store = LmdbNodeStore.open(dir);
      await expect(Smt.open(store)).rejects.toSatisfy(
        (e) => e instanceof WeftError && e.code === 'STORE_FORMAT' && e.message.includes(`format ${format}`),
      );
      expect(storedFormat(store)).toBe(format);
      await store.close();
    }
  });
});

describe('leaf records (format 3) are checked', () => {
  /** A format-3 store of a few versions, closed; returns its directory and models. */
  async function made(): Promise<{ dir: string; models: NaiveTree[]; keys: Uint8Array[] }> {
    const dir = tempDir();
    const smt = await Smt.open(LmdbNodeStore.open(dir), { pageLevels: 4 });
    const model = new NaiveTree();
    const models = [copyOf(model)];
    const keys: Uint8Array[] = [];
    for (let b = 0; b < 4; b++) {
      const w: Write[] = Array.from({ length: 30 }, (_, i) => ({
        key: utf8(`k${(b * 7 + i) % 50}`),
        value: utf8(`v${b}-${i}`),
      }));
      await smt.apply(w);
      model.apply(w);
      models.push(copyOf(model));
    }
    for (let i = 0; i < 50; i++) keys.push(utf8(`k${i}`));
    await smt.close();
    return { dir, models, keys };
  }

  function leafDb(store: LmdbNodeStore) {
    return store.environment.openDB({ name: 'smt:leaves', ...DB });
  }

  it('a sound store passes', async () => {
    const { dir, models, keys } = await made();
    const store = LmdbNodeStore.open(dir);
    const smt = await Smt.open(store);
    expectVersions(smt, models, keys);
    expect(store.checkStaleLists()).toEqual([]);
    expect(held(store)).toEqual(reachable(store));
    await smt.close();
  });

  it('a missing leaf record stops the open (newest version) or is a fault of the version that reaches it', async () => {
    const { dir } = await made();
    /** The leaves of the newest version alone: a walk of a view holding only its root record. */
    const newestReach = (s: LmdbNodeStore): Set<string> => {
      const roots = s.listRoots();
      return reachable({
        listRoots: () => roots.slice(-1),
        getPage: (k: Uint8Array) => s.getPage(k),
      } as never).leaves;
    };
    // First a record reached only by older versions, then one the newest version reaches.
    let store = LmdbNodeStore.open(dir);
    const db = leafDb(store);
    const inNewestBefore = newestReach(store);
    const older = [...db.getKeys({})].map((k) => hexKey(k as Uint8Array)).find((k) => !inNewestBefore.has(k));
    expect(older).toBeDefined();
    db.removeSync(fromHex(older!));
    await store.close();
    store = LmdbNodeStore.open(dir);
    const again = await Smt.open(store);
    const faults = again.checkIntegrity();
    expect(faults.some((m) => /missing leaf record/.test(m))).toBe(true);
    await again.close();

    store = LmdbNodeStore.open(dir);
    const inNewest = [...newestReach(store)][0]!;
    leafDb(store).removeSync(fromHex(inNewest));
    await expect(Smt.open(store)).rejects.toSatisfy(
      (e) => e instanceof WeftError && e.code === 'STORE_FORMAT' && /missing leaf record/.test(e.message),
    );
    await store.close();
  });

  it('an altered value or hash in a leaf record is a fault', async () => {
    for (const at of [32 + 4 + 1, 3]) {
      const { dir } = await made();
      let store = LmdbNodeStore.open(dir);
      const db = leafDb(store);
      const [first] = [...db.getRange({ limit: 1 })];
      const bytes = (first!.value as Uint8Array).slice();
      bytes[at]! ^= 0x01; // inside the value, or inside the stored leaf hash
      db.putSync(first!.key as Uint8Array, bytes);
      await store.close();
      store = LmdbNodeStore.open(dir);
      const opened = await Smt.open(store).catch((e: unknown) => e);
      if (opened instanceof Smt) {
        expect(opened.checkIntegrity().length).toBeGreaterThan(0);
        await opened.close();
      } else {
        // The recomputed root of the newest version no longer matches its root record.
        expect(opened).toBeInstanceOf(WeftError);
        await store.close();
      }
    }
  });

  it('a stale-leaf list naming a record the store does not hold is a fault', async () => {
    const { dir } = await made();
    const store = LmdbNodeStore.open(dir);
    const env = store.environment;
    const lists = env.openDB({ name: 'smt:leafstale', ...DB });
    const [first] = [...lists.getRange({ limit: 1 })];
    expect(first).toBeDefined(); // the batches above replace values, so versions drop leaves
    const bytes = (first!.value as Uint8Array).slice();
    bytes[bytes.length - 1]! ^= 0x01; // the last key's last byte
    lists.putSync(first!.key as Uint8Array, bytes);
    expect(store.checkStaleLists().some((m) => /stale-leaf list .* names a leaf record/.test(m))).toBe(true);
    await store.close();
  });
});
