// `npm run bench -- store`: acknowledged transactions per second with durability on (each
// acknowledgement after its transcript entry is flushed), beside the same workload in memory;
// the acknowledgement latency distribution; and restarts: recovery time per 100,000 transcript
// entries, and how soon `weft node` serves again (`--only=recovery` runs just those).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignatureVerifierPool, toHex } from '../dist/crypto/index.js';
import { Domain } from '../dist/domain/index.js';
import { openDomainNode } from '../dist/store/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { BLOCK_TXS, coinFactory, fund, key, mintTx, percentile, seeded, transfers } from './workload.mjs';

const operator = key('secp256k1', 'store-operator');
/** The operator's seed, as `key` derives it: `weft node` reads it from DATA/signer.key. */
const operatorSeed = createHash('sha256').update('bench/store-operator').digest();
const weftBin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'weft.mjs');
const issuer = key('ed25519', 'issuer');
const owners = Array.from({ length: 64 }, (_, i) => key('ed25519', `owner-${i}`));
const limits = { batchTxsMax: 250, blockBatchesMax: 4, mempoolTxsMax: 200_000, mempoolTtlBlocks: 1_000 };

/**
 * Submits `txs` as `clients` concurrent submitters (each waits for its acknowledgement before
 * sending the next), sealing a block whenever 1,000 are pending. Returns throughput and latencies.
 */
async function drive(domain, txs, clients) {
  const latencies = [];
  let next = 0;
  let sealing = Promise.resolve();
  let sealQueued = false;
  const start = performance.now();
  const client = async () => {
    while (next < txs.length) {
      const tx = txs[next++];
      const t0 = performance.now();
      const r = await domain.submit(tx);
      latencies.push(performance.now() - t0);
      if (r.status.status !== 'pending') throw new Error(`refused: ${r.status.code}`);
      if (domain.mempoolSize >= BLOCK_TXS && !sealQueued) {
        sealQueued = true; // one seal in flight at a time, as a block producer would
        sealing = sealing
          .then(() => domain.sealBlock())
          .finally(() => {
            sealQueued = false;
          });
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  await sealing;
  while (domain.mempoolSize > 0) await domain.sealBlock();
  const ms = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    txPerSecond: (txs.length / ms) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function scenario({ durable, count, clients, verifier }) {
  const dir = durable ? mkdtempSync(join(tmpdir(), 'weft-bench-store-')) : null;
  const node = durable
    ? await openDomainNode(dir, { signers: [operator], create: { name: 'bench-store', limits }, verifier })
    : {
        domain: await Domain.create({ name: 'bench-store', signers: [operator], limits, verifier }),
        close: async () => {},
      };
  const coin = coinFactory(node.domain, seeded(`store/${durable}`), issuer);
  const funded = await fund(node.domain, coin, issuer, owners, count);
  const txs = transfers(node.domain, coin, funded, owners);
  const r = await drive(node.domain, txs, clients);
  await node.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return r;
}

/** Milliseconds since `t0` (a performance.now() reading). */
const since = (t0) => performance.now() - t0;

/**
 * Logs `count` mint submissions into `node` in groups of BLOCK_TXS (one `submitMany` each),
 * sealing a block after each group when `seal`.
 */
async function logMints(node, coin, count, seal, from = 0) {
  for (let i = 0; i < count; i += BLOCK_TXS) {
    const txs = [];
    for (let j = i; j < Math.min(count, i + BLOCK_TXS); j++)
      txs.push(mintTx(coin, issuer, owners[(from + j) % 64], 1n).tx);
    await node.domain.submitMany(txs);
    if (seal) await node.domain.sealBlock();
  }
}

/** Reopens the node in `dir` and times `openDomainNode`; the figures per 100,000 transcript entries. */
async function reopen(dir) {
  const t0 = performance.now();
  const again = await openDomainNode(dir, { signers: [operator] });
  const ms = since(t0);
  const transcriptEntries = Number(again.store.transcriptSeq);
  const r = {
    transcriptEntries,
    replayed: again.recovery.replayed,
    checkpointHeight: Number(again.recovery.checkpointHeight),
    ms,
    msPer100kEntries: (ms / transcriptEntries) * 100_000,
  };
  await again.close();
  return r;
}

/**
 * Time from starting `weft node` on the store in `dir` until its API answers /health: what a
 * node that was current takes to serve again after a restart (process start, module loading,
 * recovery, API).
 */
async function serveAfterRestart(dir, port) {
  writeFileSync(join(dir, 'signer.key'), `${toHex(operatorSeed)}\n`, { mode: 0o600 });
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [weftBin, 'node', '--domain', 'bench-recovery', '--data', dir, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  let exited = null;
  child.on('exit', (code) => {
    exited = code;
  });
  try {
    for (;;) {
      if (exited !== null) throw new Error(`weft node exited (${exited}) before serving: ${stderr}`);
      if (since(t0) > 60_000) throw new Error('weft node did not serve within 60 s');
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return { ms: since(t0) };
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    if (exited === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    }
  }
}

/**
 * Restarts: a node whose transcript holds `entries` submissions sealed in blocks, reopened
 * after a clean stop (its checkpoint covers everything), then with a block's worth of
 * submissions logged after the last block (a crash mid-block), and `weft node` started on it
 * until it serves; and, as the worst case a checkpoint cannot shorten, a node whose `pending`
 * submissions were all logged after its only checkpoint.
 */
async function recovery(entries, pending) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-recovery-'));
  const out = {};
  try {
    const node = await openDomainNode(dir, {
      signers: [operator],
      create: { name: 'bench-recovery', limits },
    });
    const coin = coinFactory(node.domain, seeded('recovery'), issuer);
    const t0 = performance.now();
    await logMints(node, coin, entries, true);
    out.buildMs = since(t0);
    await node.close();
    out.current = await reopen(dir);
    out.current2 = await reopen(dir);
    out.serve = await serveAfterRestart(dir, 17_400 + (process.pid % 1000));
    const again = await openDomainNode(dir, { signers: [operator] });
    await logMints(again, coinFactory(again.domain, seeded('recovery-tail'), issuer), BLOCK_TXS, false, 7);
    await again.close();
    out.crashMidBlock = await reopen(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const dir2 = mkdtempSync(join(tmpdir(), 'weft-bench-recovery-'));
  try {
    const node = await openDomainNode(dir2, {
      signers: [operator],
      create: { name: 'bench-recovery', limits },
    });
    await logMints(node, coinFactory(node.domain, seeded('recovery'), issuer), pending, false);
    await node.close();
    out.allPending = await reopen(dir2);
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
  return out;
}

/** Restart targets (issue 17.5). */
const TARGETS = { recoveryMsPer100kEntries: 1_000, serveMs: 2_000 };

function printRecovery(rec) {
  const row = (name, r) => [
    name,
    fmt(r.transcriptEntries),
    fmt(r.replayed),
    fmt(r.ms),
    fmt(r.msPer100kEntries),
  ];
  console.log('\nrestarts (recovery = openDomainNode: tree, checkpoint, replay of the entries after it)\n');
  table(
    ['node', 'transcript entries', 'replayed', 'recovery ms', 'ms per 100,000 entries'],
    [
      row('current (stopped after a block)', rec.current),
      row('current, second reopen', rec.current2),
      row('crashed mid-block (a block of submissions logged after it)', rec.crashMidBlock),
      row('worst case: every entry after the only checkpoint', rec.allPending),
    ],
  );
  const best = Math.min(rec.current.msPer100kEntries, rec.current2.msPer100kEntries);
  console.log(
    `\nrecovery of a current node: ${fmt(best)} ms per 100,000 transcript entries (target <= ${fmt(TARGETS.recoveryMsPer100kEntries)}): ${best <= TARGETS.recoveryMsPer100kEntries ? 'meets' : 'misses'}`,
  );
  console.log(
    `weft node restarted on it serves /health after ${fmt(rec.serve.ms)} ms (target <= ${fmt(TARGETS.serveMs)}): ${rec.serve.ms <= TARGETS.serveMs ? 'meets' : 'misses'}`,
  );
  console.log(
    `(building its ${fmt(rec.current.transcriptEntries)}-entry history took ${fmt(rec.buildMs)} ms)`,
  );
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  const onlyRecovery = flags.includes('--only=recovery');
  const history = quick ? 10_000 : 100_000;
  const pending = quick ? 5_000 : 50_000;
  if (onlyRecovery) {
    const rec = await recovery(history, pending);
    printRecovery(rec);
    writeResults(quick ? 'store-recovery-quick' : 'store-recovery', { recovery: rec, targets: TARGETS });
    return;
  }
  const count = quick ? 3000 : 20_000;
  const verifier = SignatureVerifierPool.create({ threads: 2 });
  const rows = [];
  for (const clients of [1, 64, 1000]) {
    for (const durable of [false, true]) {
      process.stdout.write(
        `${durable ? 'durable (LMDB)' : 'in memory'}, ${clients} concurrent submitters... `,
      );
      const r = await scenario({ durable, count, clients, verifier });
      rows.push({ durable, clients, ...r });
      console.log(`${fmt(r.txPerSecond)} acknowledged tx/s`);
    }
  }
  await verifier.close();
  const rec = await recovery(history, pending);
  console.log(
    `\n${count} signed ed25519 transfers per scenario, signatures on 2 worker threads, blocks of ${BLOCK_TXS}\n`,
  );
  table(
    ['store', 'submitters', 'acked tx/s', 'durable / memory', 'ack p50 ms', 'ack p99 ms'],
    rows.map((r) => {
      const mem = rows.find((x) => !x.durable && x.clients === r.clients);
      return [
        r.durable ? 'LMDB' : 'memory',
        r.clients,
        fmt(r.txPerSecond),
        r.durable ? `${fmt(r.txPerSecond / mem.txPerSecond, 2)}x` : '',
        fmt(r.p50, 2),
        fmt(r.p99, 2),
      ];
    }),
  );
  printRecovery(rec);
  writeResults(quick ? 'store-quick' : 'store', {
    transfersPerScenario: count,
    rows,
    recovery: rec,
    targets: TARGETS,
  });
}
