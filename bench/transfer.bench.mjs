// `npm run bench -- transfer`: cross-domain transfers end to end — three domains in one process,
// root updates verified by each receiver — per second, and the latency from the move's source
// commit to the claim's inclusion (p50/p99), in memory and with durable LMDB nodes — and the bytes
// each root update puts on the wire (as the router encodes it), so full mode's cost shows next to
// transition mode's in one run.
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
  const wire = { updates: 0, updateBytes: 0 };
  const net = new SyncRouter({ endpoint: (id) => counted(bus.endpoint(id), wire), mode, announceEveryMs: 0 });
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
    updates: wire.updates,
    bytesPerUpdate: wire.updates === 0 ? 0 : wire.updateBytes / wire.updates,
  };
}

/**
 * An endpoint that counts the root updates announced through it (one encoded update per message)
 * and their bytes. Answers to gap requests are not counted: a run without losses has none.
 */
function counted(endpoint, wire) {
  return new Proxy(endpoint, {
    get(target, prop) {
      if (prop === 'send')
        return (to, msg) => {
          if (msg.kind === 'rootUpdate') {
            wire.updates++;
            wire.updateBytes += msg.body.length;
          }
          return target.send(to, msg);
        };
      const v = target[prop];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
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
      console.log(`${fmt(r.transfersPerSecond)} transfers/s, ${fmt(r.bytesPerUpdate)} bytes/root update`);
    }
  }
  console.log(
    `\n${count} transfers around a ring of 3 domains, all started at once; blocks sealed in rounds\n`,
  );
  // Each row next to transition mode in the same store: what full verification costs.
  const base = (r) => rows.find((b) => b.durable === r.durable && b.mode === 'transition');
  table(
    [
      'store',
      'verification',
      'confirmed',
      'transfers/s',
      'commit->claim p50 ms',
      'p99 ms',
      'root updates sent',
      'bytes/root update',
      'transfers/s vs transition',
      'bytes vs transition',
    ],
    rows.map((r) => [
      r.durable ? 'LMDB' : 'memory',
      r.mode,
      r.confirmed,
      fmt(r.transfersPerSecond),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      r.updates,
      fmt(r.bytesPerUpdate),
      `${fmt(r.transfersPerSecond / base(r).transfersPerSecond, 2)}x`,
      `${fmt(r.bytesPerUpdate / base(r).bytesPerUpdate, 2)}x`,
    ]),
  );
  writeResults(quick ? 'transfer-quick' : 'transfer', { transfers: count, rows });
}
