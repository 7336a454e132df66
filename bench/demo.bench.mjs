// `npm run bench -- demo [--quick] [--huge]`: the main job's wall time as the transfers grow.
// Every step after the transfers must be linear in their number: the run at 4x the transfers
// must take at most 6x the wall time of the smaller one, measured in this one run. `--huge` also
// runs 100,000 transfers and reports its wall time and peak resident memory.
import { runDemo } from '../dist/cli/demo.js';
import { fmt, table, writeResults } from './lib.mjs';

const WALL_RATIO_MAX = 6;

async function once(transfers, seed) {
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  try {
    const s = await runDemo(
      { domains: 3, transfers, seed, json: true, loss: 0, dup: 0, mode: 'full' },
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
      peakRssMiB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20),
    };
  } finally {
    clearInterval(timer);
  }
}

export async function run(flags) {
  const quick = flags.includes('--quick');
  const small = quick ? 250 : 1000;
  const rows = [await once(small, 'bench-small'), await once(small * 4, 'bench-large')];
  if (flags.includes('--huge')) rows.push(await once(100_000, 'bench-huge'));
  console.log(`weft demo, 3 domains, full verification\n`);
  table(
    ['transfers', 'wall s', 'transfer phase s', 'transfers/s', 'peak RSS MiB'],
    rows.map((r) => [
      fmt(r.transfers),
      fmt(r.wallSeconds, 2),
      fmt(r.transferSeconds, 2),
      fmt(r.transfersPerSecond),
      fmt(r.peakRssMiB),
    ]),
  );
  const ratio = rows[1].wallSeconds / rows[0].wallSeconds;
  const verdict = ratio <= WALL_RATIO_MAX ? 'meets' : 'MISSES';
  console.log(
    `\nwall time at ${fmt(rows[1].transfers)} / at ${fmt(rows[0].transfers)}: ${fmt(ratio, 2)}x (target <= ${WALL_RATIO_MAX}x: ${verdict})`,
  );
  writeResults(quick ? 'demo-quick' : 'demo', {
    rows,
    ratio: { wall4x: ratio },
    target: { wall4xMax: WALL_RATIO_MAX },
  });
}
