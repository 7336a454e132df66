// `npm run bench -- store`: acknowledged transactions per second with durability on (each
// acknowledgement after its transcript entry is flushed), beside the same workload in memory;
// the acknowledgement latency distribution; and recovery time per 100,000 transcript entries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureVerifierPool } from '../dist/crypto/index.js';
import { Domain } from '../dist/domain/index.js';
import { openDomainNode } from '../dist/store/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { BLOCK_TXS, coinFactory, fund, key, mintTx, percentile, seeded, transfers } from './workload.mjs';

const operator = key('secp256k1', 'store-operator');
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

/** Time to reopen a node whose transcript holds `entries` submissions after its checkpoint. */
async function recovery(entries) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-recovery-'));
  const node = await openDomainNode(dir, { signers: [operator], create: { name: 'bench-recovery', limits } });
  const coin = coinFactory(node.domain, seeded('recovery'), issuer);
  for (let i = 0; i < entries; i += BLOCK_TXS) {
    const txs = [];
    for (let j = i; j < Math.min(entries, i + BLOCK_TXS); j++)
      txs.push(mintTx(coin, issuer, owners[j % 64], 1n).tx);
    await node.domain.submitMany(txs); // logged and pending: no block, so recovery replays them all
  }
  await node.close();
  const t0 = performance.now();
  const again = await openDomainNode(dir, { signers: [operator] });
  const ms = performance.now() - t0;
  const replayed = again.recovery.replayed;
  await again.close();
  rmSync(dir, { recursive: true, force: true });
  return { entries: replayed, ms, msPer100k: (ms / replayed) * 100_000 };
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
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
  const rec = await recovery(quick ? 5_000 : 50_000);
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
  console.log(
    `\nrecovery: ${fmt(rec.entries)} transcript entries replayed in ${fmt(rec.ms)} ms = ${fmt(rec.msPer100k)} ms per 100,000 entries`,
  );
  writeResults(quick ? 'store-quick' : 'store', { transfersPerScenario: count, rows, recovery: rec });
}
