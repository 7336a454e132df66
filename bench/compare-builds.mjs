// Compares two builds of Weft on fixed workloads that a loaded machine cannot skew much:
//   node bench/compare-builds.mjs time ROOT_A ROOT_B    min of 5 alternating wall-time runs
//   valgrind --tool=callgrind node --single-threaded bench/compare-builds.mjs one ROOT smt|demo
// ROOT is a checkout with `dist/` built. Used for the before/after of the issue-12 refactor.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const h = (s) => new Uint8Array(createHash('sha256').update(s).digest());

async function treePhases(root, batches = 20, proofs = 20_000) {
  const { Smt } = await import(`${root}/dist/smt/index.js`);
  const writes = [];
  for (let b = 0; b < batches; b++) {
    const w = [];
    for (let i = 0; i < 5000; i++) w.push({ key: h(`k${b}/${i}`), value: h(`v${b}/${i}`) });
    writes.push(w);
  }
  const keys = [];
  for (let i = 0; i < proofs; i++) keys.push(h(`k${i % batches}/${i % 5000}`));
  const tree = Smt.inMemory();
  let t = performance.now();
  for (const w of writes) await tree.apply(w);
  const inserts = performance.now() - t;
  t = performance.now();
  for (const k of keys) tree.proveSync(k);
  return { insertsMs: Math.round(inserts), proofsMs: Math.round(performance.now() - t) };
}

async function demo(root) {
  const { runDemo } = await import(`${root}/dist/cli/demo.js`);
  const opts = {
    domains: 3,
    transfers: 150,
    seed: 'icount',
    json: true,
    loss: 0,
    dup: 0,
    mode: 'transition',
  };
  const s = await runDemo(opts, () => {});
  return { confirmed: s.transfersConfirmed, conserved: s.supplyConserved };
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'one') {
  const [root, what] = rest;
  console.log(JSON.stringify(what === 'smt' ? await treePhases(root, 10, 10_000) : await demo(root)));
} else if (cmd === 'child') {
  console.log(JSON.stringify(await treePhases(rest[0])));
} else if (cmd === 'time') {
  const self = fileURLToPath(import.meta.url);
  const best = {};
  for (let i = 0; i < 5; i++) {
    for (const root of rest) {
      const r = JSON.parse(spawnSync(process.execPath, [self, 'child', root], { encoding: 'utf8' }).stdout);
      const b = (best[root] ??= { insertsMs: Infinity, proofsMs: Infinity });
      b.insertsMs = Math.min(b.insertsMs, r.insertsMs);
      b.proofsMs = Math.min(b.proofsMs, r.proofsMs);
    }
  }
  console.log(best);
} else {
  console.error('usage: compare-builds.mjs time ROOT_A ROOT_B | one ROOT smt|demo');
  process.exit(2);
}
