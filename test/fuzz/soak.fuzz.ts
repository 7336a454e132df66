// `npm run fuzz`: the CI targets for at least a million inputs in all (WEFT_FUZZ_INPUTS to change
// the budget, WEFT_FUZZ_SEED the base seed), in chunks of derived seeds so one failure does not
// end the run. Writes the count per target and every failure, with the seed and path that replay
// it in test/fuzz.test.ts, to bench/results/fuzz.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiFuzz, openApiFuzz, ROUTE_TARGETS } from './api.js';
import { buildCorpus, type Corpus } from './corpus.js';
import { emptyReport, runAsync, runCodec, type TargetReport } from './run.js';
import { CODEC_TARGETS, DECODE_MS_MAX, JSON_TARGETS, seedsOf } from './targets.js';

const INPUTS = Number(process.env.WEFT_FUZZ_INPUTS ?? 1_100_000);
const SEED = Number(process.env.WEFT_FUZZ_SEED ?? 20261206);
/** Share of the budget for the API routes (each input is an HTTP request through fastify). */
const API_SHARE = 0.2;
const CHUNK_RUNS = 5_000;
/** Distance between two targets' first seeds: more chunks than any run makes. */
const SEED_STRIDE = 10_000;
const RESULTS = resolve(import.meta.dirname, '../../bench/results/fuzz.json');

let corpus: Corpus;
let api: ApiFuzz;

beforeAll(async () => {
  corpus = await buildCorpus();
  api = await openApiFuzz();
}, 300_000);

afterAll(async () => {
  await api?.close();
});

function progress(r: TargetReport, of: number): void {
  const outcomes = Object.entries(r.outcomes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  process.stderr.write(
    `[fuzz] ${r.target}: ${r.runs}/${of} (${outcomes}) failures ${r.failures.length}, ${(r.ms / 1000).toFixed(1)} s\n`,
  );
}

it('runs every target until the budget is spent, and finds nothing', async () => {
  const start = performance.now();
  const codecRuns = Math.ceil((INPUTS * (1 - API_SHARE)) / (CODEC_TARGETS.length + JSON_TARGETS.length));
  const routeRuns = Math.ceil((INPUTS * API_SHARE) / ROUTE_TARGETS.length);
  const reports: TargetReport[] = [];
  // Each target its own seeds (the first chunk of target 0 is CI's run), each chunk the next one.
  let targetIndex = 0;
  const seedOf = (chunk: number) => SEED + SEED_STRIDE * targetIndex + chunk;
  for (const t of [...CODEC_TARGETS, ...JSON_TARGETS]) {
    const r = emptyReport(t.name);
    const seeds = seedsOf(corpus, t.name);
    for (let chunk = 0; r.runs < codecRuns; chunk++) {
      runCodec(t, seeds, Math.min(CHUNK_RUNS, codecRuns - r.runs), seedOf(chunk), r);
      progress(r, codecRuns);
    }
    reports.push(r);
    targetIndex++;
  }
  for (const route of ROUTE_TARGETS) {
    const r = emptyReport(route.name);
    for (let chunk = 0; r.runs < routeRuns; chunk++) {
      await runAsync(
        api.requestArb(route),
        (req) => api.check(route, req),
        Math.min(CHUNK_RUNS, routeRuns - r.runs),
        seedOf(chunk),
        r,
      );
      progress(r, routeRuns);
    }
    reports.push(r);
    targetIndex++;
  }
  const total = reports.reduce((n, r) => n + r.runs, 0);
  const failures = reports.flatMap((r) => r.failures.map((f) => ({ target: r.target, ...f })));
  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    seed: SEED,
    chunkRuns: CHUNK_RUNS,
    decodeMsMax: DECODE_MS_MAX,
    inputs: total,
    seconds: Math.round((performance.now() - start) / 100) / 10,
    failures: failures.length,
    targets: reports.map((r) => ({
      target: r.target,
      runs: r.runs,
      seconds: Math.round(r.ms / 100) / 10,
      outcomes: r.outcomes,
      failures: r.failures,
    })),
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(
    `[fuzz] ${total} inputs in ${summary.seconds} s, ${failures.length} failures; wrote ${RESULTS}\n`,
  );
  expect(total).toBeGreaterThanOrEqual(INPUTS);
  expect(failures).toEqual([]);
}, 86_400_000);
