// `npm run bench -- cluster`: domains as separate processes (`weft up`: three `weft node`
// processes and a nats-server on loopback, LMDB stores) — transfers per second end to end through
// the HTTP API (the client plans and signs each transfer, the source node drives it) and sync
// latency (block sealed at one node -> accepted at another, from the nodes' event streams), next
// to the same transfers between the same durable domains in one process (`weft demo`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planTransferVia, WeftClient } from '../dist/api/client.js';
import { runDemo } from '../dist/cli/demo.js';
import { down, up } from '../dist/cli/up.js';
import { toHex } from '../dist/crypto/index.js';
import { readNetworkFile } from '../dist/node/index.js';
import { mintTx } from '../dist/tx/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { key, percentile, seeded } from './workload.mjs';

const quiet = () => {};

/** Seal -> accepted latencies (ms) seen on the nodes' event streams while `during` runs. */
async function syncLatency(members, during) {
  const sealed = new Map();
  const samples = [];
  const stop = new AbortController();
  const byId = new Map(members.map((m) => [toHex(m.id), m.name]));
  const streams = members.map(async (m) => {
    const client = new WeftClient(m.api);
    try {
      for await (const e of client.events({
        types: ['blockSealed', 'remoteAccepted'],
        signal: stop.signal,
      })) {
        const now = performance.now();
        if (e.type === 'blockSealed') sealed.set(`${m.name}/${e.height}`, now);
        else {
          const at = sealed.get(`${byId.get(toHex(e.domainId))}/${e.height}`);
          if (at !== undefined) samples.push(now - at);
        }
      }
    } catch {
      // aborted
    }
  });
  await new Promise((r) => setTimeout(r, 300)); // streams connected
  await during();
  stop.abort();
  await Promise.allSettled(streams);
  samples.sort((a, b) => a - b);
  return { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function cluster(count) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-cluster-'));
  try {
    await up({ domains: 3, dir, mode: 'transition' }, quiet);
    const members = readNetworkFile(join(dir, 'network.json')).domains;
    const clients = members.map((m) => new WeftClient(m.api));
    const issuer = key('ed25519', 'issuer');
    const owner = key('ed25519', 'owner');
    const random = seeded('cluster');
    // One coin per transfer, minted on its source and included before the clock starts.
    const coins = [];
    for (let i = 0; i < count; i++) {
      const at = i % members.length;
      const { tx, coin } = mintTx({
        issuer,
        symbol: 'WEFT',
        owner: owner.publicKey,
        quantity: 10n,
        home: members[at].id,
        random,
      });
      coins.push({ at, coin, id: (await clients[at].submit(tx)).txId });
    }
    for (const c of coins)
      while ((await clients[c.at].status(c.id))?.status !== 'included')
        await new Promise((r) => setTimeout(r, 50));
    const idle = await syncLatency(members, () => new Promise((r) => setTimeout(r, 3000)));
    let seconds = 0;
    let confirmed = 0;
    let startedAfter = 0;
    const load = await syncLatency(members, async () => {
      const start = performance.now();
      await Promise.all(
        coins.map(async (c) => {
          const to = members[(c.at + 1) % members.length];
          const plan = await planTransferVia(clients[c.at], { to: to.id, resource: c.coin, owner, random });
          await clients[c.at].startTransfer(plan, to.id);
        }),
      );
      startedAfter = (performance.now() - start) / 1000;
      for (;;) {
        const lists = await Promise.all(clients.map((cl) => cl.transfers({ limit: 1000 })));
        confirmed = lists.flat().filter((t) => t.phase === 'confirmed').length;
        if (confirmed === count || performance.now() - start > 120_000) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      seconds = (performance.now() - start) / 1000;
    });
    return { confirmed, seconds, startedAfter, transfersPerSecond: confirmed / seconds, idle, load };
  } finally {
    await down({ dir, purge: true }, quiet).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(flags) {
  const quick = flags.includes('--quick');
  const count = quick ? 60 : 300;
  const inProcess = await runDemo(
    { domains: 3, transfers: count, seed: 'bench', json: true, loss: 0, dup: 0 },
    quiet,
  );
  const procs = await cluster(count);
  table(
    ['measure', 'one process (weft demo)', 'three processes over NATS', 'processes / one'],
    [
      [
        'transfers/s (LMDB, end to end)',
        fmt(inProcess.transfersPerSecond, 1),
        fmt(procs.transfersPerSecond, 1),
        `${fmt(procs.transfersPerSecond / inProcess.transfersPerSecond, 2)}x`,
      ],
      ['transfers confirmed', `${inProcess.transfersConfirmed}/${count}`, `${procs.confirmed}/${count}`, ''],
      [
        'seconds: all started / all confirmed',
        '',
        `${fmt(procs.startedAfter, 2)} / ${fmt(procs.seconds, 2)}`,
        '',
      ],
      [
        'sync latency idle p50 / p99 ms',
        '',
        `${fmt(procs.idle.p50, 1)} / ${fmt(procs.idle.p99, 1)} (${procs.idle.samples} samples)`,
        '',
      ],
      [
        'sync latency under load p50 / p99 ms',
        '',
        `${fmt(procs.load.p50, 1)} / ${fmt(procs.load.p99, 1)} (${procs.load.samples} samples)`,
        '',
      ],
    ],
  );
  writeResults(quick ? 'cluster-quick' : 'cluster', {
    transfers: count,
    inProcess: { transfersPerSecond: inProcess.transfersPerSecond, confirmed: inProcess.transfersConfirmed },
    processes: procs,
    ratio: { transfersPerSecond: procs.transfersPerSecond / inProcess.transfersPerSecond },
  });
}
