import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256, utf8 } from '../src/crypto/index.js';
import { headerHash } from '../src/domain/index.js';
import {
  describePath,
  KNOWLEDGE_DOMAINS_MAX,
  KNOWLEDGE_INTERMEDIARIES_MAX,
  KnowledgeGraph,
  LightClient,
  observeAccepted,
  recordAccepted,
  remoteHeaderRecords,
  satisfies,
} from '../src/sync/index.js';
import { chain, updateAt, updatesFrom } from './helpers/sync.js';
import { expectCode } from './support.js';

const id = (n: number | string) => sha256(utf8(`k/${n}`));
const hh = (n: number) => sha256(utf8(`hh/${n}`));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('direct knowledge', () => {
  it('has no intermediaries and ages from the time it was learnt', () => {
    const g = new KnowledgeGraph();
    g.recordDirect(id('c'), id('a'), { height: 5n, headerHash: hh(5), atMs: 1000 });
    const [p, ...rest] = g.paths(id('c'), id('a'), 4000);
    expect(rest).toEqual([]);
    expect(p!.via).toEqual([]);
    expect(p!.height).toBe(5n);
    expect(p!.headerHash).toEqual(hh(5));
    expect(p!.ageMs).toBe(3000);
    expect(g.paths(id('a'), id('c'), 4000)).toEqual([]);
  });

  it('only grows: a lower height is ignored; at one height the earliest time stands', () => {
    const g = new KnowledgeGraph();
    expect(g.recordDirect(id('c'), id('a'), { height: 5n, headerHash: hh(5), atMs: 1000 })).toBe(true);
    expect(g.recordDirect(id('c'), id('a'), { height: 4n, headerHash: hh(4), atMs: 2000 })).toBe(false);
    expect(g.recordDirect(id('c'), id('a'), { height: 5n, headerHash: hh(5), atMs: 3000 })).toBe(false);
    expect(g.recordDirect(id('c'), id('a'), { height: 5n, headerHash: hh(55), atMs: 500 })).toBe(false);
    expect(g.recordDirect(id('c'), id('a'), { height: 5n, headerHash: hh(5), atMs: 500 })).toBe(true);
    expect(g.edge(id('c'), id('a'))!.atMs).toBe(500);
    expect(g.recordDirect(id('c'), id('a'), { height: 6n, headerHash: hh(6), atMs: 9000 })).toBe(true);
    expect(g.edge(id('c'), id('a'))!.height).toBe(6n);
  });

  it('refuses a domain knowing itself, bad times and bad ids', () => {
    const g = new KnowledgeGraph();
    expectCode(
      () => g.recordDirect(id('a'), id('a'), { height: 1n, headerHash: hh(1), atMs: 0 }),
      'BAD_INPUT',
    );
    expectCode(
      () => g.recordDirect(id('a'), id('b'), { height: 1n, headerHash: hh(1), atMs: Number.NaN }),
      'BAD_INPUT',
    );
    expectCode(
      () => g.recordDirect(new Uint8Array(3), id('b'), { height: 1n, headerHash: hh(1), atMs: 0 }),
      'BAD_LENGTH',
    );
    expectCode(() => g.paths(id('a'), id('b'), -1), 'BAD_INPUT');
  });
});

describe('transitive knowledge, from real domains', () => {
  it("C learns A's root through B's tree: one intermediary, with its path and age", async () => {
    const a = await chain('kg-a', 2);
    const b = await chain('kg-b', 0);
    const c = await chain('kg-c', 0);
    // B follows A and records A's latest header in its tree.
    const bSync = new LightClient();
    bSync.trust(a.domain.header(0n)!, a.domain.keySet);
    const accepted = bSync.acceptChain(updatesFrom(a.domain, 1n), 'full');
    await recordAccepted(b.domain, accepted);
    const recordHeight = (await b.domain.sealBlock()).header.height;
    const update = updateAt(b.domain, recordHeight);
    const [rec] = remoteHeaderRecords(update.writes);
    expect(rec!.domainId).toEqual(a.domain.id);
    expect(rec!.height).toBe(2n);
    expect(rec!.headerHash).toEqual(headerHash(a.domain.header(2n)!.header));
    // C follows B in transition mode (the writes are verified), and learns B's records.
    const cSync = new LightClient();
    cSync.trust(b.domain.header(0n)!, b.domain.keySet);
    const graph = new KnowledgeGraph();
    const t0 = Number(update.signed.header.timestamp);
    for (const u of updatesFrom(b.domain, 1n)) {
      cSync.accept(u, 'transition');
      observeAccepted(graph, c.domain.id, u, 'transition', t0 + 500);
    }
    const [path, ...more] = graph.paths(c.domain.id, a.domain.id, t0 + 2000);
    expect(more).toEqual([]);
    expect(path!.via).toEqual([b.domain.id]);
    expect(path!.height).toBe(2n);
    expect(path!.ageMs).toBe(2000); // from B's block time, the older link
    const names = new Map([
      [hex(a.domain.id), 'A'],
      [hex(b.domain.id), 'B'],
      [hex(c.domain.id), 'C'],
    ]);
    expect(describePath(path!, names)).toBe('C -> B -> A @ 2 (age 2000 ms)');
    // Policies: no intermediaries allowed -> nothing; one allowed -> the path; too stale -> nothing.
    const now = t0 + 2000;
    expect(
      graph.bestPath(c.domain.id, a.domain.id, now, { maxIntermediaries: 0, maxStalenessMs: 1e9 }),
    ).toBeNull();
    expect(
      graph.bestPath(c.domain.id, a.domain.id, now, { maxIntermediaries: 1, maxStalenessMs: 2000 }),
    ).toEqual(path);
    expect(
      graph.satisfies(c.domain.id, a.domain.id, now, { maxIntermediaries: 1, maxStalenessMs: 1999 }),
    ).toBe(false);
    // C then accepts A directly: the direct path wins.
    graph.recordDirect(c.domain.id, a.domain.id, {
      height: 1n,
      headerHash: headerHash(a.domain.header(1n)!.header),
      atMs: now,
    });
    const best = graph.bestPath(c.domain.id, a.domain.id, now, { maxIntermediaries: 1, maxStalenessMs: 1e9 });
    expect(best!.via).toEqual([]);
    expect(best!.height).toBe(1n);
  });

  it('learns nothing transitive from an update accepted in signatures mode (its writes are unverified)', async () => {
    const a = await chain('kg-light-a', 1);
    const b = await chain('kg-light-b', 0);
    const bSync = new LightClient();
    bSync.trust(a.domain.header(0n)!, a.domain.keySet);
    await recordAccepted(b.domain, bSync.acceptChain(updatesFrom(a.domain, 1n), 'signatures'));
    await b.domain.sealBlock();
    const graph = new KnowledgeGraph();
    for (const u of updatesFrom(b.domain, 1n)) observeAccepted(graph, id('observer'), u, 'signatures', 1);
    expect(graph.paths(id('observer'), a.domain.id, 2)).toEqual([]);
    expect(graph.paths(id('observer'), b.domain.id, 2)).toHaveLength(1);
  });
});

describe('paths', () => {
  it('are simple, bounded by the intermediaries cap, and survive cycles', () => {
    const g = new KnowledgeGraph();
    const n = KNOWLEDGE_INTERMEDIARIES_MAX + 3;
    for (let i = 0; i < n; i++) {
      g.recordDirect(id(i), id(i + 1), { height: 1n, headerHash: hh(i), atMs: i });
      g.recordDirect(id(i + 1), id(i), { height: 1n, headerHash: hh(i), atMs: i });
    }
    // d0 -> d(max+1) needs max intermediaries: found; one further needs one too many.
    expect(g.paths(id(0), id(KNOWLEDGE_INTERMEDIARIES_MAX + 1), 100)).toHaveLength(1);
    expect(g.paths(id(0), id(KNOWLEDGE_INTERMEDIARIES_MAX + 2), 100)).toEqual([]);
    expect(g.paths(id(0), id(3), 100, 1)).toEqual([]);
    expect(g.paths(id(0), id(3), 100, 2)[0]!.via.map(hex)).toEqual([hex(id(1)), hex(id(2))]);
  });

  it('hold the graph to its domain limit', () => {
    const g = new KnowledgeGraph();
    for (let i = 1; i < KNOWLEDGE_DOMAINS_MAX; i++)
      g.recordDirect(id(0), id(i), { height: 1n, headerHash: hh(i), atMs: 0 });
    expect(g.size).toBe(KNOWLEDGE_DOMAINS_MAX);
    expectCode(
      () => g.recordDirect(id(0), id('one too many'), { height: 1n, headerHash: hh(0), atMs: 0 }),
      'LIMIT_EXCEEDED',
    );
    // Known domains may still gain edges.
    expect(g.recordDirect(id(1), id(2), { height: 1n, headerHash: hh(0), atMs: 0 })).toBe(true);
  });

  it('on random graphs: every path is a simple chain of edges, shortest first, deterministic', () => {
    const edgeArb = fc.record({
      from: fc.nat(6),
      to: fc.nat(6),
      height: fc.bigInt({ min: 0n, max: 20n }),
      atMs: fc.nat(10_000),
    });
    fc.assert(
      fc.property(fc.array(edgeArb, { maxLength: 40 }), fc.nat(6), fc.nat(6), (edges, o, s) => {
        const valid = edges.filter((e) => e.from !== e.to);
        const g1 = new KnowledgeGraph();
        const g2 = new KnowledgeGraph();
        for (const e of valid)
          g1.recordDirect(id(e.from), id(e.to), {
            height: e.height,
            headerHash: hh(Number(e.height)),
            atMs: e.atMs,
          });
        for (const e of [...valid].reverse()) {
          g2.recordDirect(id(e.from), id(e.to), {
            height: e.height,
            headerHash: hh(Number(e.height)),
            atMs: e.atMs,
          });
        }
        const paths = g1.paths(id(o), id(s), 20_000);
        if (o === s) expect(paths).toEqual([]);
        let lastLen = 0;
        for (const p of paths) {
          const nodes = [p.observer, ...p.via, p.source].map(hex);
          expect(new Set(nodes).size).toBe(nodes.length);
          expect(p.edges).toHaveLength(nodes.length - 1);
          p.edges.forEach((e, i) => {
            expect(hex(e.knower)).toBe(nodes[i]);
            expect(hex(e.known)).toBe(nodes[i + 1]);
          });
          expect(p.ageMs).toBe(20_000 - Math.min(...p.edges.map((e) => e.atMs)));
          expect(p.via.length).toBeGreaterThanOrEqual(lastLen);
          lastLen = p.via.length;
          expect(satisfies(p, { maxIntermediaries: p.via.length, maxStalenessMs: p.ageMs })).toBe(true);
        }
        // Same facts in another order: the same edges survive, so the same answers.
        const strip = (ps: typeof paths) => ps.map((p) => [p.via.map(hex), p.height]);
        if (edgesConsistent(valid)) expect(strip(g2.paths(id(o), id(s), 20_000))).toEqual(strip(paths));
      }),
      { numRuns: 300 },
    );
  });
});

/** Whether the kept edge per pair is independent of insertion order (no ties at the top height). */
function edgesConsistent(edges: { from: number; to: number; height: bigint; atMs: number }[]): boolean {
  const top = new Map<string, { height: bigint; count: number }>();
  for (const e of edges) {
    const k = `${e.from}>${e.to}`;
    const t = top.get(k);
    if (!t || e.height > t.height) top.set(k, { height: e.height, count: 1 });
    else if (e.height === t.height) t.count++;
  }
  return [...top.values()].every((t) => t.count === 1);
}
