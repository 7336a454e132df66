// `npm run bench -- nats`: the same in-process domains wired by the in-process bus and by NATS
// JetStream (a local nats-server, file storage): cross-domain transfers per second end to end,
// and sync latency (block sealed -> accepted at a peer), idle and under the transfer load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Domain } from '../dist/domain/index.js';
import { InProcessBus, NatsTransport, startNatsServer } from '../dist/net/index.js';
import { SyncRouter } from '../dist/node/index.js';
import { MemoryTransferStore, TransferDriver } from '../dist/transfer/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { coinFactory, fund, key, percentile, seeded } from './workload.mjs';

const issuer = key('ed25519', 'issuer');
const owners = Array.from({ length: 32 }, (_, i) => key('ed25519', `owner-${i}`));
const limits = { batchTxsMax: 250, blockBatchesMax: 8, mempoolTxsMax: 200_000 };
const names = ['nats-a', 'nats-b', 'nats-c'];

/** The two transports behind one interface: endpoints, and a wait until nothing is left to deliver. */
async function transport(kind, server, tag) {
  if (kind === 'bus') {
    const bus = new InProcessBus();
    return { endpoint: (id) => bus.endpoint(id), quiet: () => bus.idle(), close: () => bus.close() };
  }
  const nats = await NatsTransport.connect({
    servers: server.url,
    stream: `BENCH_${tag}`,
    subjectPrefix: `bench_${tag}`,
    streamMaxBytes: 256 * 1024 * 1024,
  });
  // Quiet: every send stored, and every stored message handled (handlers publish their replies
  // before their message is acknowledged, so replies are counted by then).
  const quiet = async () => {
    for (;;) {
      await nats.idle();
      const s = nats.stats();
      if (s.outbox === 0 && s.acked + s.malformed >= s.published) return;
      await new Promise((r) => setImmediate(r));
    }
  };
  return { endpoint: (id) => nats.endpoint(id), quiet, close: () => nats.close(), stats: () => nats.stats() };
}

async function wire(kind, server, tag) {
  const domains = [];
  for (const name of names)
    domains.push(await Domain.create({ name, signers: [key('secp256k1', name)], limits }));
  const t = await transport(kind, server, tag);
  const net = new SyncRouter({ endpoint: t.endpoint, mode: 'transition', announceEveryMs: 0 });
  for (const d of domains) net.join(d);
  // Sync latency: from a block's seal to its acceptance at each peer.
  const sealedAt = new Map();
  for (const d of domains) {
    d.on('blockSealed', (o) => sealedAt.set(`${d.name}/${o.block.header.height}`, performance.now()));
  }
  const latencies = [];
  const byHex = new Map(domains.map((d) => [Buffer.from(d.id).toString('hex'), d.name]));
  net.on('accepted', ({ from, height }) => {
    const at = sealedAt.get(`${byHex.get(Buffer.from(from).toString('hex'))}/${height}`);
    if (at !== undefined) latencies.push(performance.now() - at);
  });
  return { domains, net, t, latencies };
}

/** One block at a time on one domain, each waited for at both peers: latency with nothing else going on. */
async function idleLatency(kind, server, samples, tag = 'run') {
  const w = await wire(kind, server, `idle_${kind}_${tag}`);
  const [a] = w.domains;
  for (let i = 0; i < samples; i++) {
    const want = w.latencies.length + 2;
    await a.sealBlock();
    while (w.latencies.length < want) await new Promise((r) => setImmediate(r));
  }
  await w.t.quiet();
  w.net.close();
  await w.t.close();
  const sorted = w.latencies.sort((x, y) => x - y);
  return { samples: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function transfers(kind, server, count, tag = 'run') {
  const w = await wire(kind, server, `xfer_${kind}_${tag}`);
  const driver = new TransferDriver(new MemoryTransferStore());
  for (const d of w.domains) driver.addDomain(d);
  const coins = [];
  for (const [i, d] of w.domains.entries()) {
    const coin = coinFactory(d, seeded(`nats/${tag}/${i}`), issuer);
    for (const c of await fund(d, coin, issuer, owners, Math.ceil(count / 3))) coins.push({ at: i, ...c });
  }
  await w.t.quiet();
  w.latencies.length = 0;
  const start = performance.now();
  await driver.transferMany(
    coins.slice(0, count).map((c, j) => ({
      from: w.domains[c.at],
      to: w.domains[(c.at + 1) % 3],
      resource: c.coin,
      owner: c.owner,
      random: seeded(`plan/${tag}/${j}`),
    })),
  );
  let rounds = 0;
  while (driver.activeCount() > 0) {
    for (const d of w.domains) await d.sealBlock();
    await w.t.quiet();
    await driver.tick();
    rounds++;
  }
  const ms = performance.now() - start;
  const confirmed = driver.list().filter((t) => t.phase === 'confirmed').length;
  const stats = w.t.stats?.();
  w.net.close();
  await w.t.close();
  const sorted = w.latencies.sort((x, y) => x - y);
  return {
    confirmed,
    rounds,
    transfersPerSecond: (confirmed / ms) * 1000,
    syncP50: percentile(sorted, 50),
    syncP99: percentile(sorted, 99),
    ...(stats
      ? { published: stats.published, delivered: stats.delivered, redelivered: stats.redelivered }
      : {}),
  };
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  const count = quick ? 600 : 3000;
  const samples = quick ? 50 : 200;
  const storeDir = mkdtempSync(join(tmpdir(), 'weft-bench-nats-'));
  const server = await startNatsServer({ storeDir });
  const passes = quick ? 1 : 2;
  const runs = { bus: [], nats: [] };
  try {
    // A warm-up pass on both (not recorded): the first to run would otherwise pay for the JIT.
    process.stdout.write('warm-up... ');
    for (const kind of ['bus', 'nats']) {
      await idleLatency(kind, server, 10, 'warm');
      await transfers(kind, server, Math.ceil(count / 5), 'warm');
    }
    console.log('done');
    // Passes alternate the order, so neither transport always runs on a hotter or cooler machine.
    for (let pass = 0; pass < passes; pass++) {
      for (const kind of pass % 2 === 0 ? ['bus', 'nats'] : ['nats', 'bus']) {
        process.stdout.write(`pass ${pass + 1}, ${kind}: idle sync latency (${samples} blocks)... `);
        const idle = await idleLatency(kind, server, samples, `p${pass}`);
        process.stdout.write(`p50 ${fmt(idle.p50, 2)} ms; ${count} transfers... `);
        const xfer = await transfers(kind, server, count, `p${pass}`);
        console.log(`${fmt(xfer.transfersPerSecond)} transfers/s`);
        runs[kind].push({ idle, xfer });
      }
    }
  } finally {
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
  const mean = (xs, f) => xs.reduce((n, x) => n + f(x), 0) / xs.length;
  const rows = {};
  for (const kind of ['bus', 'nats']) {
    const r = runs[kind];
    rows[kind] = {
      idle: { p50: mean(r, (x) => x.idle.p50), p99: mean(r, (x) => x.idle.p99) },
      xfer: {
        confirmed: Math.min(...r.map((x) => x.xfer.confirmed)),
        rounds: Math.max(...r.map((x) => x.xfer.rounds)),
        transfersPerSecond: mean(r, (x) => x.xfer.transfersPerSecond),
        syncP50: mean(r, (x) => x.xfer.syncP50),
        syncP99: mean(r, (x) => x.xfer.syncP99),
      },
    };
  }
  const { bus, nats } = rows;
  console.log(
    `\n${count} transfers around a ring of 3 in-process domains (transition verification), blocks sealed in rounds;` +
      `\nidle latency: one block at a time, sealed -> accepted at both peers; nats-server ${server.url} on loopback;` +
      `\nmeans of ${passes} pass(es) after a warm-up\n`,
  );
  table(
    ['figure', 'in-process bus', 'NATS JetStream', 'NATS / bus'],
    [
      [
        'transfers/s',
        fmt(bus.xfer.transfersPerSecond),
        fmt(nats.xfer.transfersPerSecond),
        `${fmt(nats.xfer.transfersPerSecond / bus.xfer.transfersPerSecond, 2)}x`,
      ],
      [
        'sync latency idle p50 ms',
        fmt(bus.idle.p50, 2),
        fmt(nats.idle.p50, 2),
        `${fmt(nats.idle.p50 / bus.idle.p50, 1)}x`,
      ],
      [
        'sync latency idle p99 ms',
        fmt(bus.idle.p99, 2),
        fmt(nats.idle.p99, 2),
        `${fmt(nats.idle.p99 / bus.idle.p99, 1)}x`,
      ],
      [
        'sync latency under load p50 ms',
        fmt(bus.xfer.syncP50, 1),
        fmt(nats.xfer.syncP50, 1),
        `${fmt(nats.xfer.syncP50 / bus.xfer.syncP50, 1)}x`,
      ],
      [
        'sync latency under load p99 ms',
        fmt(bus.xfer.syncP99, 1),
        fmt(nats.xfer.syncP99, 1),
        `${fmt(nats.xfer.syncP99 / bus.xfer.syncP99, 1)}x`,
      ],
      ['confirmed', bus.xfer.confirmed, nats.xfer.confirmed, ''],
      ['rounds to settle', bus.xfer.rounds, nats.xfer.rounds, ''],
    ],
  );
  writeResults(quick ? 'nats-quick' : 'nats', {
    transfers: count,
    idleSamples: samples,
    passes: runs,
    bus,
    nats,
    ratio: {
      transfersPerSecond: nats.xfer.transfersPerSecond / bus.xfer.transfersPerSecond,
      idleSyncP50: nats.idle.p50 / bus.idle.p50,
    },
  });
}
