// The knowledge graph: who knew which domain's state, since when, and through whom. An edge
// "X knew Y at height h by time t" comes from an observer's own acceptance (direct) or from a
// remote-header record in a tree the observer verified (X's tree records Y's header). A path
// from an observer to a source is a chain of such edges; applications accept knowledge whose
// path and age meet their policy (docs/sync.md, "Knowledge graph"). Pure: time is passed in.
import { assertBytes, check, hexKey, toHex } from '../crypto/index.js';
import { ANCHOR_PATH_HOPS_MAX, type AnchorPolicy, headerHash } from '../domain/index.js';
import { type RemoteHeaderRecord, remoteHeaderRecords } from './records.js';
import type { RootUpdate } from './update.js';
import type { VerificationMode } from './view.js';

/** Most distinct domains one graph holds. */
export const KNOWLEDGE_DOMAINS_MAX = 4096;
/** Most intermediaries a path may have (a path has at most this plus one edges). */
export const KNOWLEDGE_INTERMEDIARIES_MAX = ANCHOR_PATH_HOPS_MAX;
/** Most paths one query returns (shortest first). */
export const KNOWLEDGE_PATHS_MAX = 256;
/** Most partial paths one query expands before it stops. */
export const KNOWLEDGE_EXPANSIONS_MAX = 100_000;

/** "`knower` knew `known` at `height` (header `headerHash`) by time `atMs`." */
export type KnowledgeEdge = {
  knower: Uint8Array;
  known: Uint8Array;
  height: bigint;
  headerHash: Uint8Array;
  /** milliseconds since the epoch by which the knower knew it */
  atMs: number;
  /** `direct`: the knower accepted it itself; `recorded`: read from the knower's tree */
  kind: 'direct' | 'recorded';
};

/** How an observer knows a source: the chain of edges, its intermediaries, and its age. */
export type KnowledgePath = {
  observer: Uint8Array;
  source: Uint8Array;
  /** the domains between observer and source, observer side first (empty: direct knowledge) */
  via: Uint8Array[];
  /** the source's height and header as the last link knew them */
  height: bigint;
  headerHash: Uint8Array;
  /** now minus the oldest link's time: how stale this knowledge may be, at least */
  ageMs: number;
  edges: KnowledgeEdge[];
};

/** What an application accepts: at most this many intermediaries, at most this stale. */
export type KnowledgePolicy = AnchorPolicy;

export type KnowledgeFact = { height: bigint; headerHash: Uint8Array; atMs: number };

/** Whether `path` meets `policy`. */
export function satisfies(path: KnowledgePath, policy: KnowledgePolicy): boolean {
  return path.via.length <= policy.maxIntermediaries && path.ageMs <= policy.maxStalenessMs;
}

function assertPolicy(policy: KnowledgePolicy): void {
  check(
    policy &&
      Number.isInteger(policy.maxIntermediaries) &&
      policy.maxIntermediaries >= 0 &&
      typeof policy.maxStalenessMs === 'number' &&
      policy.maxStalenessMs >= 0,
    'BAD_INPUT',
    'a policy needs maxIntermediaries (integer >= 0) and maxStalenessMs (>= 0)',
  );
}

function assertTime(ms: number, name: string): void {
  check(
    typeof ms === 'number' && Number.isFinite(ms) && ms >= 0,
    'BAD_INPUT',
    `${name} must be a finite number of ms >= 0`,
  );
}

/**
 * Edges between domains, keeping for each (knower, known) pair the highest height known (and,
 * at one height, the earliest time). Deterministic: queries order by path length, then by
 * DomainId bytes.
 *
 * @example
 * graph.recordDirect(c, b, { height: 7n, headerHash, atMs: now });
 * graph.recordRecorded(b, a, { height: 3n, headerHash: aHash, atMs: bBlockTime });
 * graph.bestPath(c, a, now, { maxIntermediaries: 1, maxStalenessMs: 60_000 }); // c -> b -> a
 */
export class KnowledgeGraph {
  private readonly out = new Map<string, Map<string, KnowledgeEdge>>();
  private readonly domains = new Set<string>();

  /** The observer accepted `source`'s header itself. Returns whether the graph changed. */
  recordDirect(observer: Uint8Array, source: Uint8Array, fact: KnowledgeFact): boolean {
    return this.record(observer, source, fact, 'direct');
  }

  /** `knower`'s tree (verified by the observer) records `known`'s header. */
  recordRecorded(knower: Uint8Array, known: Uint8Array, fact: KnowledgeFact): boolean {
    return this.record(knower, known, fact, 'recorded');
  }

  private record(
    knower: Uint8Array,
    known: Uint8Array,
    fact: KnowledgeFact,
    kind: KnowledgeEdge['kind'],
  ): boolean {
    assertBytes(knower, 32, 'knower');
    assertBytes(known, 32, 'known');
    check(
      fact && typeof fact.height === 'bigint' && fact.height >= 0n,
      'BAD_INPUT',
      'fact.height must be a bigint >= 0',
    );
    assertBytes(fact.headerHash, 32, 'fact.headerHash');
    assertTime(fact.atMs, 'fact.atMs');
    const kKey = hexKey(knower);
    const nKey = hexKey(known);
    check(kKey !== nKey, 'BAD_INPUT', 'a domain does not know itself through the graph');
    const fresh = [kKey, nKey].filter((k) => !this.domains.has(k)).length;
    check(
      this.domains.size + fresh <= KNOWLEDGE_DOMAINS_MAX,
      'LIMIT_EXCEEDED',
      `a knowledge graph holds at most ${KNOWLEDGE_DOMAINS_MAX} domains`,
    );
    const edges = this.out.get(kKey) ?? new Map<string, KnowledgeEdge>();
    const prev = edges.get(nKey);
    if (prev) {
      // Knowledge only grows; at one height the earliest time stands (the fact was known since).
      if (fact.height < prev.height) return false;
      if (
        fact.height === prev.height &&
        (hexKey(fact.headerHash) !== hexKey(prev.headerHash) || fact.atMs >= prev.atMs)
      )
        return false;
    }
    this.domains.add(kKey);
    this.domains.add(nKey);
    edges.set(nKey, {
      knower: knower.slice(),
      known: known.slice(),
      height: fact.height,
      headerHash: fact.headerHash.slice(),
      atMs: fact.atMs,
      kind,
    });
    this.out.set(kKey, edges);
    return true;
  }

  /** The edge from `knower` to `known`, if any. */
  edge(knower: Uint8Array, known: Uint8Array): KnowledgeEdge | undefined {
    return this.out.get(hexKey(knower))?.get(hexKey(known));
  }

  /** Number of distinct domains in the graph. */
  get size(): number {
    return this.domains.size;
  }

  /**
   * Every simple path from `observer` to `source` with at most `maxIntermediaries` (default and
   * cap: KNOWLEDGE_INTERMEDIARIES_MAX) intermediaries, shortest first, at most
   * KNOWLEDGE_PATHS_MAX of them.
   */
  paths(
    observer: Uint8Array,
    source: Uint8Array,
    nowMs: number,
    maxIntermediaries = KNOWLEDGE_INTERMEDIARIES_MAX,
  ): KnowledgePath[] {
    assertBytes(observer, 32, 'observer');
    assertBytes(source, 32, 'source');
    assertTime(nowMs, 'nowMs');
    check(
      Number.isInteger(maxIntermediaries) && maxIntermediaries >= 0,
      'BAD_INPUT',
      'maxIntermediaries must be an integer >= 0',
    );
    const limit = Math.min(maxIntermediaries, KNOWLEDGE_INTERMEDIARIES_MAX);
    const sourceKey = hexKey(source);
    const observerKey = hexKey(observer);
    const found: KnowledgePath[] = [];
    if (sourceKey === observerKey) return found;
    // Breadth first with an explicit queue: shortest paths come out first, no recursion.
    type Partial = { at: string; edges: KnowledgeEdge[]; seen: Set<string> };
    let queue: Partial[] = [{ at: observerKey, edges: [], seen: new Set([observerKey]) }];
    let expansions = 0;
    while (queue.length > 0 && found.length < KNOWLEDGE_PATHS_MAX) {
      const next: Partial[] = [];
      for (const p of queue) {
        const edges = this.out.get(p.at);
        if (!edges) continue;
        for (const key of [...edges.keys()].sort()) {
          if (++expansions > KNOWLEDGE_EXPANSIONS_MAX || found.length >= KNOWLEDGE_PATHS_MAX) break;
          const e = edges.get(key)!;
          const chain = [...p.edges, e];
          if (key === sourceKey) {
            found.push(toPath(observer, source, chain, nowMs));
          } else if (!p.seen.has(key) && chain.length <= limit) {
            next.push({ at: key, edges: chain, seen: new Set([...p.seen, key]) });
          }
        }
      }
      queue = next;
    }
    return found;
  }

  /** Whether some path from `observer` to `source` meets `policy` now. */
  satisfies(observer: Uint8Array, source: Uint8Array, nowMs: number, policy: KnowledgePolicy): boolean {
    return this.bestPath(observer, source, nowMs, policy) !== null;
  }

  /**
   * The best path meeting `policy`: fewest intermediaries, then the highest source height, then
   * the freshest, then the smallest intermediaries' ids; null when none does.
   */
  bestPath(
    observer: Uint8Array,
    source: Uint8Array,
    nowMs: number,
    policy: KnowledgePolicy,
  ): KnowledgePath | null {
    assertPolicy(policy);
    const ok = this.paths(observer, source, nowMs, policy.maxIntermediaries).filter((p) =>
      satisfies(p, policy),
    );
    ok.sort(
      (a, b) =>
        a.via.length - b.via.length ||
        (a.height === b.height ? 0 : a.height > b.height ? -1 : 1) ||
        a.ageMs - b.ageMs ||
        compareVia(a.via, b.via),
    );
    return ok[0] ?? null;
  }
}

function compareVia(a: Uint8Array[], b: Uint8Array[]): number {
  const x = a.map(hexKey).join('');
  const y = b.map(hexKey).join('');
  return x < y ? -1 : x > y ? 1 : 0;
}

function toPath(
  observer: Uint8Array,
  source: Uint8Array,
  edges: KnowledgeEdge[],
  nowMs: number,
): KnowledgePath {
  const last = edges[edges.length - 1]!;
  let oldest = Number.POSITIVE_INFINITY;
  for (const e of edges) oldest = Math.min(oldest, e.atMs);
  return {
    observer: observer.slice(),
    source: source.slice(),
    via: edges.slice(0, -1).map((e) => e.known.slice()),
    height: last.height,
    headerHash: last.headerHash.slice(),
    ageMs: Math.max(0, nowMs - oldest),
    edges,
  };
}

/**
 * Records what accepting `update` taught `observer`: it knows the sending domain's header now
 * (`atMs`), and — when the writes were verified (`transition` or `full` mode) — the sending
 * domain knew every remote header its block records, by the block's timestamp. Call only after
 * the update was accepted.
 */
export function observeAccepted(
  graph: KnowledgeGraph,
  observer: Uint8Array,
  update: RootUpdate,
  mode: VerificationMode,
  atMs: number,
  /** which records to believe (full mode: those whose backing header the observer vouched for) */
  believe?: (rec: RemoteHeaderRecord) => boolean,
): void {
  const header = update.signed.header;
  graph.recordDirect(observer, header.domain, {
    height: header.height,
    headerHash: headerHash(header),
    atMs,
  });
  if (mode === 'signatures') return;
  const blockMs = Number(header.timestamp);
  for (const rec of remoteHeaderRecords(update.writes)) {
    if (hexKey(rec.domainId) === hexKey(header.domain)) continue;
    if (believe && !believe(rec)) continue;
    graph.recordRecorded(header.domain, rec.domainId, {
      height: rec.height,
      headerHash: rec.headerHash,
      atMs: blockMs,
    });
  }
}

/** A path in one line for logs: `c -> b -> a @ 12 (age 3000 ms)`. */
export function describePath(p: KnowledgePath, names: Map<string, string> = new Map()): string {
  const name = (id: Uint8Array) => names.get(hexKey(id)) ?? toHex(id).slice(0, 10);
  return `${[p.observer, ...p.via, p.source].map(name).join(' -> ')} @ ${p.height} (age ${p.ageMs} ms)`;
}
