// Runs fuzz targets with fast-check and counts what happened: CI runs each once with a fixed seed,
// `npm run fuzz` runs them in chunks of derived seeds until its budget is spent, recording every
// distinct failure with the seed and path that replay it.
import fc from 'fast-check';
import { type CodecTarget, checkDecoder, FuzzFailure, inputArb, type Outcome } from './targets.js';

/** One recorded failure: replay with `fc.assert(property, { seed, path })` or the CI test's seed. */
export type FailureRecord = { seed: number; path: string; kind: string; message: string };

export type TargetReport = {
  target: string;
  runs: number;
  outcomes: Record<string, number>;
  failures: FailureRecord[];
  ms: number;
};

export function emptyReport(target: string): TargetReport {
  return { target, runs: 0, outcomes: {}, failures: [], ms: 0 };
}

function failureOf(e: unknown, seed: number, path: string | undefined): FailureRecord {
  const err = e as Error;
  return {
    seed,
    path: path ?? '',
    kind: e instanceof FuzzFailure ? e.kind : (err?.name ?? 'Error'),
    message: String(err?.message ?? e).slice(0, 2000),
  };
}

/** Adds a failure unless one of its kind is already recorded (the first, shrunk, is kept). */
function record(report: TargetReport, f: FailureRecord): void {
  if (!report.failures.some((x) => x.kind === f.kind)) report.failures.push(f);
}

/** Runs `runs` inputs of a decoder target from `seed`; fills `report` and returns the failure, if any. */
export function runCodec(
  t: CodecTarget,
  seeds: Uint8Array[],
  runs: number,
  seed: number,
  report: TargetReport,
  path?: string,
): FailureRecord | undefined {
  const start = performance.now();
  const property = fc.property(inputArb(seeds), (bytes) => {
    const o: Outcome = checkDecoder(t, bytes);
    report.outcomes[o] = (report.outcomes[o] ?? 0) + 1;
  });
  const details = fc.check(property, { seed, numRuns: runs, endOnFailure: false, ...(path ? { path } : {}) });
  report.runs += details.numRuns;
  report.ms += performance.now() - start;
  if (!details.failed) return undefined;
  const f = failureOf(details.errorInstance, seed, details.counterexamplePath ?? undefined);
  record(report, f);
  return f;
}

/** An async target (the API's): `check` runs one input and returns its outcome label. */
export async function runAsync<T>(
  arb: fc.Arbitrary<T>,
  check: (input: T) => Promise<string>,
  runs: number,
  seed: number,
  report: TargetReport,
  path?: string,
): Promise<FailureRecord | undefined> {
  const start = performance.now();
  const property = fc.asyncProperty(arb, async (input) => {
    const o = await check(input);
    report.outcomes[o] = (report.outcomes[o] ?? 0) + 1;
  });
  const details = await fc.check(property, {
    seed,
    numRuns: runs,
    endOnFailure: false,
    ...(path ? { path } : {}),
  });
  report.runs += details.numRuns;
  report.ms += performance.now() - start;
  if (!details.failed) return undefined;
  const f = failureOf(details.errorInstance, seed, details.counterexamplePath ?? undefined);
  record(report, f);
  return f;
}
