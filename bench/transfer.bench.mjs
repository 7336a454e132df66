// `npm run bench -- transfer`: cross-domain transfers end to end — three domains in one process,
// root updates verified by each receiver — per second, and the latency from the move's source
// commit to the claim's inclusion (p50/p99), in memory and with durable LMDB nodes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Domain } from '../dist/domain/index.js';
import { InProcessBus } from '../dist/net/index.js';
import { SyncRouter } from '../dist/node/index.js';
import { LmdbTransferStore, openDomainNode } from '../dist/store/index.js';
import { MemoryTransferStore, TransferDriver } from '../dist/transfer/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { coinFactory, fund, key, percentile, seeded } from './workload.mjs';

const issuer = key('ed25519', 'issuer');
const owners = Array.from({ length: 32 }, (_, i) => key('ed25519', `owner-${i}`));
const limits = { batchTxsMax: 250, blockBatchesMax: 8, mempoolTxsMax: 200_000 };

async function scenario({ durable, count, mode }) {
  const names = ['bench-a', 'bench-b', 'bench-c'];
  const dir = durable ? mkdtempSync(join(tmpdir(), 'weft-bench-xfer-')) : null;
  const nodes = [];
  for (const name of names) {
    const signers = [key('secp256k1', name)];
    nodes.push(
      durable
        ? await openDomainNode(join(dir, name), { signers, create: { name, limits } })
        : { domain: await Domain.create({ name, signers, limits }), close: async () => {} },
    );
  }
  const domains = nodes.map((n) => n.domain);
  const bus = new InProcessBus();
  const net = new SyncRouter({ endpoint: (id) => bus.endpoint(id), mode, announceEveryMs: 0 });
  for (const d of domains) net.join(d);
  const driver = new TransferDriver(
    durable ? new LmdbTransferStore(nodes[0].node) : new MemoryTransferStore(),
  );
  for (const d of domains) driver.addDomain(d);
  const coins = [];
  for (const [i, d] of domains.entries()) {
    const coin = coinFactory(d, seeded(`xfer/${i}/${durable}`), issuer);
    for (const c of await fund(d, coin, issuer, owners, Math.ceil(count / 3))) coins.push({ at: i, ...c });
  }
  const committedAt = new Map();
  const latencies = [];
  driver.on('phase', (t) => {
    const now = performance.now();
    if (t.phase === 'sourceCommitted') committedAt.set(t.id, now);
    if (t.phase === 'claimed' && committedAt.has(t.id)) latencies.push(now - committedAt.get(t.id));
  });
  const start = performance.now();
  await driver.transferMany(
    coins.slice(0, count).map((c, j) => ({
      from: domains[c.at],
      to: domains[(c.at + 1) % 3],
      resource: c.coin,
      owner: c.owner,
      random: seeded(`plan/${j}`),
    })),
  );
  while (driver.activeCount() > 0) {
    for (const d of domains) await d.sealBlock();
    await bus.idle();
    await driver.tick();
  }
  const ms = performance.now() - start;
  const confirmed = driver.list().filter((t) => t.phase === 'confirmed').length;
  net.close();
  await bus.close();
  for (const n of nodes) await n.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    confirmed,
    transfersPerSecond: (confirmed / ms) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  const count = quick ? 600 : 3000;
  const rows = [];
  for (const durable of [false, true]) {
    for (const mode of ['signatures', 'transition', 'full']) {
      process.stdout.write(`${durable ? 'durable (LMDB)' : 'in memory'}, ${mode} verification... `);
      const r = await scenario({ durable, count, mode });
      rows.push({ durable, mode, ...r });
      console.log(`${fmt(r.transfersPerSecond)} transfers/s`);
    }
  }
  console.log(
    `\n${count} transfers around a ring of 3 domains, all started at once; blocks sealed in rounds\n`,
  );
  table(
    ['store', 'verification', 'confirmed', 'transfers/s', 'commit->claim p50 ms', 'p99 ms'],
    rows.map((r) => [
      r.durable ? 'LMDB' : 'memory',
      r.mode,
      r.confirmed,
      fmt(r.transfersPerSecond),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
    ]),
  );
  writeResults(quick ? 'transfer-quick' : 'transfer', { transfers: count, rows });
}
