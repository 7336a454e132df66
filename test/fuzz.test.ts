// Fuzzing in CI: every decoder and every API route, a modest number of inputs each from a fixed
// seed. A failure prints the seed and path that replay it (WEFT_FUZZ_SEED, WEFT_FUZZ_PATH; a
// failure of `npm run fuzz`, which runs the same targets for a million inputs, replays the same way).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFuzz, openApiFuzz, ROUTE_TARGETS } from './fuzz/api.js';
import { buildCorpus, type Corpus } from './fuzz/corpus.js';
import { emptyReport, runAsync, runCodec } from './fuzz/run.js';
import { CODEC_TARGETS, JSON_TARGETS, seedsOf } from './fuzz/targets.js';

const SEED = Number(process.env.WEFT_FUZZ_SEED ?? 20261206);
const PATH = process.env.WEFT_FUZZ_PATH;
const CODEC_RUNS = 1000;
const ROUTE_RUNS = 300;
/** With a path, fast-check replays that one input (and its shrinks): the run count is not checked. */
const runsOf = (n: number) => (PATH ? undefined : n);

let corpus: Corpus;
let api: ApiFuzz;

beforeAll(async () => {
  corpus = await buildCorpus();
  api = await openApiFuzz();
}, 120_000);

afterAll(async () => {
  await api?.close();
});

function failIf(
  name: string,
  f: { seed: number; path: string; kind: string; message: string } | undefined,
): void {
  if (f) {
    throw new Error(
      `${f.kind}: ${f.message}\nreplay: WEFT_FUZZ_SEED=${f.seed} WEFT_FUZZ_PATH=${f.path} npx vitest run test/fuzz.test.ts -t '${name}'`,
    );
  }
}

describe('every decoder either round-trips an input or refuses it with a WeftError', () => {
  for (const t of [...CODEC_TARGETS, ...JSON_TARGETS]) {
    it(`${t.name}: random bytes and mutations of valid encodings`, () => {
      const report = emptyReport(t.name);
      failIf(t.name, runCodec(t, seedsOf(corpus, t.name), CODEC_RUNS, SEED, report, PATH));
      if (runsOf(CODEC_RUNS)) expect(report.runs).toBe(CODEC_RUNS);
      // The mutations must reach past the first byte: some inputs decode, some are refused.
      expect(report.outcomes.decoded ?? 0).toBeGreaterThan(0);
      expect(report.outcomes.refused ?? 0).toBeGreaterThan(0);
    });
  }
});

describe('every API route answers a documented status and the error shape, never 5xx', () => {
  it('has a target for every route the OpenAPI document lists', () => {
    const documented = Object.entries(api.api.openapi.paths as Record<string, object>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(ROUTE_TARGETS.map((r) => `${r.method} ${r.url}`).sort()).toEqual(documented.sort());
  });

  for (const r of ROUTE_TARGETS) {
    it(`${r.method} ${r.url}: random and mutated params, query strings and bodies`, async () => {
      const report = emptyReport(r.name);
      failIf(
        `${r.method} ${r.url}`,
        await runAsync(api.requestArb(r), (req) => api.check(r, req), ROUTE_RUNS, SEED, report, PATH),
      );
      if (runsOf(ROUTE_RUNS)) expect(report.runs).toBe(ROUTE_RUNS);
      expect(Object.keys(report.outcomes).some((o) => o.startsWith('4'))).toBe(true);
    });
  }
});
