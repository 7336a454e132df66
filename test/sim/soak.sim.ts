// `npm run sim:soak`: many seeds of the simulator (short runs, every fault kind, 3..5 domains),
// and a summary in bench/results/sim.json: seeds, steps, faults injected by kind, invariant
// checks, failures (each with the command that reproduces it). WEFT_SIM_SEEDS (default 10000)
// and WEFT_SIM_STEPS (default 30) size the run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { reproduceCommand } from '../../src/cli/sim.js';
import { runSim } from '../../src/sim/index.js';

it('soak: every seed holds every invariant', async () => {
  const seeds = Number(process.env.WEFT_SIM_SEEDS ?? 10_000);
  const steps = Number(process.env.WEFT_SIM_STEPS ?? 30);
  const started = Date.now();
  const faults: Record<string, number> = {};
  const failures: { seed: string; invariants: string[]; reproduce: string }[] = [];
  let stepsRun = 0;
  let checks = 0;
  let transfers = 0;
  for (let s = 0; s < seeds; s++) {
    const opts = { seed: `soak-${s}`, domains: 3 + (s % 3), steps, faults: 'all' };
    const r = await runSim(opts);
    stepsRun += r.stats.stepsRun;
    checks += r.stats.invariantChecks;
    transfers += r.stats.transfers.started;
    for (const [k, v] of Object.entries(r.stats.faultsInjected)) faults[k] = (faults[k] ?? 0) + v;
    if (r.failures.length > 0)
      failures.push({
        seed: opts.seed,
        invariants: [...new Set(r.failures.map((f) => f.invariant))],
        reproduce: reproduceCommand(opts),
      });
  }
  const summary = {
    seeds,
    stepsWithFaultsPerSeed: steps,
    stepsRun,
    transfers,
    faultsInjected: Object.fromEntries(Object.entries(faults).sort(([a], [b]) => (a < b ? -1 : 1))),
    invariantChecks: checks,
    failures: failures.length,
    failureList: failures,
    wallMs: Date.now() - started,
    command: `WEFT_SIM_SEEDS=${seeds} WEFT_SIM_STEPS=${steps} npm run sim:soak`,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/sim.json', `${JSON.stringify(summary, null, 2)}\n`);
  expect(summary.seeds).toBe(seeds);
});
