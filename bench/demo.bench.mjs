// `npm run bench -- demo [--quick] [--huge]`: the main job's wall time as the transfers grow.
// Every step after the transfers must be linear in their number: the run at 4x the transfers
// must take at most 6x the wall time of the smaller one, measured in this one run. `--huge` also
// runs 100,000 transfers and reports its wall time and peak resident memory. Issue 17.2: each run
// also measures one domain's tx/s after it (the demo's own `bound`, excluded from its wall time)
// and reports transfers/s over that bound (domain tx/s ÷ 2; target >= 0.5).
import { runDemo } from '../dist/cli/demo.js';
import { fmt, table, writeResults } from './lib.mjs';

const WALL_RATIO_MAX = 6;
const BOUND_RATIO_MIN = 0.5;

async function once(transfers, seed, mode) {
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  try {
    const s = await runDemo(
      { domains: 3, transfers, seed, json: true, loss: 0, dup: 0, mode, measureBound: true },
      () => {},
    );
    if (s.transfersConfirmed !== transfers || !s.supplyConserved) {
      throw new Error(`demo of ${transfers} did not confirm every transfer with supply conserved`);
    }
    return {
      transfers,
      wallSeconds: s.wallSeconds,
      transferSeconds: s.seconds,
      transfersPerSecond: s.transfersPerSecond,
      // absent when the demo under test predates them (compare-builds, an older dist)
      domainTxPerSecond: s.bound?.domainTxPerSecond ?? Number.NaN,
      ofBound: s.bound?.ofBound ?? Number.NaN,
      // full mode only: a follower's re-validation rate and the cap it puts on ofBound
      fullFollowerTxPerSecond: s.bound?.fullFollowerTxPerSecond ?? Number.NaN,
      fullModeCap: s.bound?.fullModeCap ?? Number.NaN,
      steps: s.steps ?? {},
      peakRssMiB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20),
    };
  } finally {
    clearInterval(timer);
  }
}

export async function run(flags) {
  const quick = flags.includes('--quick');
  const small = quick ? 250 : 1000;
  const mode = flags.find((f) => f.startsWith('--mode='))?.slice('--mode='.length) ?? 'full';
  const rows = [await once(small, 'bench-small', mode), await once(small * 4, 'bench-large', mode)];
  if (flags.includes('--huge')) rows.push(await once(100_000, 'bench-huge', mode));
  console.log(`weft demo, 3 domains, ${mode} verification\n`);
  table(
    [
      'transfers',
      'wall s',
      'transfer phase s',
      'transfers/s',
      'domain tx/s',
      'of bound (tx/s ÷ 2)',
      'peak RSS MiB',
    ],
    rows.map((r) => [
      fmt(r.transfers),
      fmt(r.wallSeconds, 2),
      fmt(r.transferSeconds, 2),
      fmt(r.transfersPerSecond),
      fmt(r.domainTxPerSecond),
      `${fmt(r.ofBound, 2)}x`,
      fmt(r.peakRssMiB),
    ]),
  );
  console.log('\nthe whole run by step, seconds (open / mint / transfers / summary / close):');
  for (const r of rows) {
    const st = r.steps;
    console.log(
      `  ${fmt(r.transfers)}: ${[st.open, st.mint, st.transfers, st.summary, st.close].map((x) => fmt(x, 2)).join(' / ')}`,
    );
  }
  const ratio = rows[1].wallSeconds / rows[0].wallSeconds;
  const verdict = ratio <= WALL_RATIO_MAX ? 'meets' : 'MISSES';
  console.log(
    `\nwall time at ${fmt(rows[1].transfers)} / at ${fmt(rows[0].transfers)}: ${fmt(ratio, 2)}x (target <= ${WALL_RATIO_MAX}x: ${verdict})`,
  );
  console.log(
    `transfers/s over the domain bound (target >= ${BOUND_RATIO_MIN}x): ${rows.map((r) => `${fmt(r.ofBound, 2)}x`).join(', ')}`,
  );
  if (mode === 'full')
    console.log(
      `full mode's cap (2 admissions + 2 x (followers of each block) follower validations a transfer; follower tx/s ${rows.map((r) => fmt(r.fullFollowerTxPerSecond)).join(', ')}): ${rows.map((r) => `${fmt(r.fullModeCap, 2)}x`).join(', ')}`,
    );
  const suffix = mode === 'full' ? '' : `-${mode}`;
  writeResults(`${quick ? 'demo-quick' : 'demo'}${suffix}`, {
    mode,
    rows,
    ratio: {
      wall4x: ratio,
      ofBound: rows.map((r) => r.ofBound),
      fullModeCap: rows.map((r) => r.fullModeCap),
    },
    target: { wall4xMax: WALL_RATIO_MAX, ofBoundMin: BOUND_RATIO_MIN },
  });
  if (ratio > WALL_RATIO_MAX) process.exitCode = 1;
}
