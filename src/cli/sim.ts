// `weft sim`: runs the deterministic simulator (docs/simulation.md) for one seed, prints what it
// found and the trace hash, and with --shrink narrows a failure to fewer steps and faults.
import { WeftError } from '../crypto/index.js';
import { __clearPlantedBugs, __plantBug, PLANTED_BUGS, type PlantedBug } from '../crypto/plantedBugs.js';
import {
  FAULT_KINDS,
  FAULT_PROFILES,
  faultsName,
  parseFaults,
  runSim,
  SETTLE_BOUND_MS,
  SIM_DOMAINS_DEFAULT,
  SIM_DOMAINS_MAX,
  SIM_STEPS_DEFAULT,
  SIM_STEPS_MAX,
  type SimOptions,
  type SimResult,
} from '../sim/index.js';

export const SIM_USAGE = `usage: weft sim --seed S [options]

Runs the whole network in one process on a simulated clock, from one seed: N domains (each a
domain on a simulated disk, its sync router in full mode and its transfer driver), random
clients (mints, local spends, transfers with and without deadlines, double spends, malformed
and stale submissions, refunds with a false witness) and a simulated transport. Faults are
drawn from the seed; invariants are checked after every step (supply per kind across honest
domains, no nullifier spent twice, accepted remote roots real or threshold-signed, frozen views
only with evidence, every transfer ending exactly once within ${SETTLE_BOUND_MS / 1000n} s of simulated time after faults
heal, transcripts replaying to the stored roots, acknowledged writes surviving crashes, each
message processed once). The same options give a byte-identical trace: its SHA-256 is printed.

options:
  --seed S          the seed (any string); required
  --domains N       number of domains, 2..${SIM_DOMAINS_MAX} (default ${SIM_DOMAINS_DEFAULT}; the byzantine one is the last)
  --steps K         steps with faults, 1..${SIM_STEPS_MAX} (default ${SIM_STEPS_DEFAULT}); each advances the clock 100..500 ms,
                    then faults heal and the run goes on until transfers end (or the bound)
  --faults PROFILE  ${Object.keys(FAULT_PROFILES).join(' | ')} (default all), or kinds joined by '+':
                    ${FAULT_KINDS.join(', ')}
                    net: loss, duplication, delay and reordering; partition: pairs cut off, healed
                    later; crash: clean crashes and crashes mid-write (lost write, torn tail),
                    restarted from the disk; skew: each domain's clock off by up to 3 s;
                    byzantine: the last domain equivocates, forges headers of others with a
                    stolen key (below threshold), relays corrupted proofs, and signs blocks
                    that mint out of nothing, claim after a refund or refuse after a claim
  --max-faults M    inject at most M fault events (what --shrink narrows)
  --shrink          on a failure, search for fewer steps, fault kinds and fault events that
                    still fail, and print the command that reproduces the smallest
  --plant BUG       TEST-ONLY: turn on a planted bug (${PLANTED_BUGS.join(', ')}) to see the
                    simulator catch it; may repeat
  --json            print one JSON object: seed, traceHash (hex), failures (a count),
                    failureList, stats, reproduce
  --trace           print the trace, one line per event, before the summary

Exit code 0 when every invariant held, 1 when any failed, 2 on bad usage.`;

type Out = { log(s: string): void; error(s: string): void };

type SimArgs = SimOptions & { json: boolean; shrink: boolean; printTrace: boolean; plant: PlantedBug[] };

export function parseSimArgs(args: string[]): SimArgs | 'help' | { error: string } {
  const o: SimArgs = { seed: '', json: false, shrink: false, printTrace: false, plant: [] };
  let seed: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--json') o.json = true;
    else if (a === '--shrink') o.shrink = true;
    else if (a === '--trace') o.printTrace = true;
    else if (['--seed', '--domains', '--steps', '--faults', '--max-faults', '--plant'].includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) return { error: `${a} needs a value` };
      if (a === '--seed') seed = v;
      else if (a === '--faults') {
        try {
          parseFaults(v);
        } catch (e) {
          return { error: (e as Error).message };
        }
        o.faults = v;
      } else if (a === '--plant') {
        if (!(PLANTED_BUGS as readonly string[]).includes(v))
          return { error: `--plant takes one of ${PLANTED_BUGS.join(', ')}` };
        o.plant.push(v as PlantedBug);
      } else {
        if (!/^\d{1,9}$/.test(v)) return { error: `${a} must be a whole number` };
        const n = Number(v);
        if (a === '--domains') {
          if (n < 2 || n > SIM_DOMAINS_MAX) return { error: `--domains must be 2..${SIM_DOMAINS_MAX}` };
          o.domains = n;
        } else if (a === '--steps') {
          if (n < 1 || n > SIM_STEPS_MAX) return { error: `--steps must be 1..${SIM_STEPS_MAX}` };
          o.steps = n;
        } else o.maxFaults = n;
      }
    } else return { error: `unknown option '${a}'` };
  }
  if (seed === undefined || seed.length === 0) return { error: '--seed is required' };
  o.seed = seed;
  return o;
}

/** The one command that reproduces a run with these options. */
export function reproduceCommand(o: SimOptions, plant: readonly PlantedBug[] = []): string {
  const parts = [
    'weft sim',
    `--seed ${shellQuote(String(o.seed))}`,
    `--domains ${o.domains ?? SIM_DOMAINS_DEFAULT}`,
    `--steps ${o.steps ?? SIM_STEPS_DEFAULT}`,
    `--faults ${faultsName(parseFaults(o.faults ?? 'all'))}`,
  ];
  if (o.maxFaults !== undefined) parts.push(`--max-faults ${o.maxFaults}`);
  for (const p of plant) parts.push(`--plant ${p}`);
  return parts.join(' ');
}

function shellQuote(s: string): string {
  return /^[\w.@%+=:,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Narrows a failing run: the fewest steps that still fail (halving, then a binary search), then
 * each fault kind dropped if the failure stays, then the fewest fault events. Each candidate is
 * a whole run from the same seed; the result still fails (it is the last failing candidate).
 */
export async function shrink(
  start: SimOptions,
  progress: (line: string) => void = () => {},
): Promise<{ options: SimOptions; result: SimResult; runs: number }> {
  let runs = 0;
  const attempt = async (o: SimOptions) => {
    runs++;
    const r = await runSim(o);
    progress(`shrink: ${reproduceCommand(o)} -> ${r.failures.length} failure(s)`);
    return r;
  };
  let best: SimOptions = { ...start };
  let bestResult = await attempt(best);
  if (bestResult.failures.length === 0) return { options: best, result: bestResult, runs };
  // Steps: a failure found at step s usually needs no more than s + 1 steps.
  let hi = best.steps ?? SIM_STEPS_DEFAULT;
  let lo = 1;
  const firstAt = Math.min(...bestResult.failures.map((f) => f.step)) + 1;
  if (firstAt < hi) {
    const r = await attempt({ ...best, steps: firstAt });
    if (r.failures.length > 0) {
      hi = firstAt;
      best = { ...best, steps: hi };
      bestResult = r;
    }
  }
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await attempt({ ...best, steps: mid });
    if (r.failures.length > 0) {
      hi = mid;
      best = { ...best, steps: mid };
      bestResult = r;
    } else lo = mid + 1;
  }
  // Fault kinds: drop each one the failure does not need.
  let kinds = parseFaults(best.faults ?? 'all');
  for (const k of [...kinds]) {
    const fewer = kinds.filter((x) => x !== k);
    const o = { ...best, faults: fewer.length === 0 ? 'none' : fewer.join('+') };
    const r = await attempt(o);
    if (r.failures.length > 0) {
      kinds = fewer;
      best = o;
      bestResult = r;
    }
  }
  // Fault events: the fewest that still fail.
  const injected = Object.values(bestResult.stats.faultsInjected).reduce((a, b) => a + b, 0);
  if (injected > 0) {
    let flo = 0;
    let fhi = injected;
    while (flo < fhi) {
      const mid = Math.floor((flo + fhi) / 2);
      const o = { ...best, maxFaults: mid };
      const r = await attempt(o);
      if (r.failures.length > 0) {
        fhi = mid;
        best = o;
        bestResult = r;
      } else flo = mid + 1;
    }
    if (best.maxFaults === undefined) best = { ...best, maxFaults: injected };
  }
  return { options: best, result: bestResult, runs };
}

export async function simCommand(args: string[], out: Out): Promise<number> {
  const parsed = parseSimArgs(args);
  if (parsed === 'help') {
    out.log(SIM_USAGE);
    return 0;
  }
  if ('error' in parsed) {
    out.error(`weft sim: ${parsed.error}\n\n${SIM_USAGE}`);
    return 2;
  }
  const { json, shrink: wantShrink, printTrace, plant, ...options } = parsed;
  __clearPlantedBugs();
  for (const p of plant) __plantBug(p);
  try {
    let run: SimOptions = { ...options, keepTrace: printTrace };
    let result = await runSim(run);
    if (result.failures.length > 0 && wantShrink) {
      const s = await shrink({ ...options }, (l) => out.error(l));
      run = { ...s.options, keepTrace: printTrace };
      result = printTrace ? await runSim(run) : s.result;
    }
    const reproduce = reproduceCommand(run, plant);
    if (printTrace) for (const line of result.trace ?? []) out.log(line);
    if (json) {
      out.log(
        JSON.stringify({
          seed: result.seed,
          domains: result.domains,
          steps: result.steps,
          faults: result.faults,
          traceHash: result.traceHash,
          failures: result.failures.length,
          failureList: result.failures,
          stats: result.stats,
          reproduce,
        }),
      );
    } else {
      const s = result.stats;
      out.log(
        `seed ${result.seed}: ${result.domains} domains, ${s.stepsRun} steps (${result.steps} with faults: ${result.faults}), ${s.simulatedMs} ms simulated`,
      );
      out.log(
        `  blocks ${s.blocks}, transfers ${s.transfers.started} (confirmed ${s.transfers.confirmed}, refunded ${s.transfers.refunded}, failed ${s.transfers.failed}, expired ${s.transfers.expired})`,
      );
      out.log(
        `  faults injected: ${
          Object.entries(s.faultsInjected)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none'
        }; invariant checks ${s.invariantChecks}`,
      );
      out.log(`  trace hash ${result.traceHash}`);
      if (result.failures.length === 0) out.log('  every invariant held');
      else {
        out.log(`  ${result.failures.length} failure(s):`);
        for (const f of result.failures.slice(0, 20))
          out.log(`    step ${f.step} (${f.atMs} ms) ${f.invariant}: ${f.message}`);
        out.log(`  reproduce: ${reproduce}`);
      }
    }
    return result.failures.length > 0 ? 1 : 0;
  } catch (e) {
    out.error(`weft sim: ${e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).stack}`);
    return e instanceof WeftError && e.code === 'BAD_INPUT' ? 2 : 1;
  } finally {
    __clearPlantedBugs();
  }
}
