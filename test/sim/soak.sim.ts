// `npm run sim:soak`: many seeds of the simulator (short runs, every fault kind, 3..5 domains),
// and a summary in bench/results/sim.json: seeds, steps, faults injected by kind, invariant
// checks, failures (each with the command that reproduces it). WEFT_SIM_SEEDS (default 10000)
// and WEFT_SIM_STEPS (default 12: so that 10,000 seeds finish in about 40 minutes on a busy
// 2-core machine, docs/simulation.md "CI and soak") size the run. The summary is rewritten every
// SUMMARY_EVERY seeds (`complete: false`), so an interrupted soak still leaves what it ran.
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { reproduceCommand } from '../../src/cli/sim.js';
import { runSim } from '../../src/sim/index.js';

/** Seeds between two rewrites of the summary. */
const SUMMARY_EVERY = 500;

it('soak: every seed holds every invariant', async () => {
  const seeds = Number(process.env.WEFT_SIM_SEEDS ?? 10_000);
  const steps = Number(process.env.WEFT_SIM_STEPS ?? 12);
  const started = Date.now();
  const faults: Record<string, number> = {};
  const failures: { seed: string; invariants: string[]; first: string; reproduce: string }[] = [];
  let stepsRun = 0;
  let checks = 0;
  let transfers = 0;
  let blocks = 0;
  const summary = (done: number) => ({
    seeds: done,
    seedsPlanned: seeds,
    complete: done === seeds,
    stepsWithFaultsPerSeed: steps,
    stepsRun,
    blocks,
    transfers,
    faultsInjected: Object.fromEntries(Object.entries(faults).sort(([a], [b]) => (a < b ? -1 : 1))),
    invariantChecks: checks,
    failures: failures.length,
    failureList: failures,
    wallMs: Date.now() - started,
    msPerSeed: done === 0 ? 0 : Math.round((Date.now() - started) / done),
    command: `WEFT_SIM_SEEDS=${seeds} WEFT_SIM_STEPS=${steps} npm run sim:soak`,
  });
  const write = (done: number) => {
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/sim.json', `${JSON.stringify(summary(done), null, 2)}\n`);
  };
  for (let s = 0; s < seeds; s++) {
    const opts = { seed: `soak-${s}`, domains: 3 + (s % 3), steps, faults: 'all' };
    const r = await runSim(opts);
    stepsRun += r.stats.stepsRun;
    checks += r.stats.invariantChecks;
    transfers += r.stats.transfers.started;
    blocks += r.stats.blocks;
    for (const [k, v] of Object.entries(r.stats.faultsInjected)) faults[k] = (faults[k] ?? 0) + v;
    if (r.failures.length > 0)
      failures.push({
        seed: opts.seed,
        invariants: [...new Set(r.failures.map((f) => f.invariant))],
        first: r.failures[0]!.message,
        reproduce: reproduceCommand(opts),
      });
    if ((s + 1) % SUMMARY_EVERY === 0) write(s + 1);
  }
  write(seeds);
  expect(summary(seeds).seeds).toBe(seeds);
});
