// `npm run bench -- cluster`: domains as separate processes (`weft up`: three `weft node`
// processes and a nats-server on loopback, LMDB stores) — transfers per second end to end through
// the HTTP API (the client plans and signs each transfer, the source node drives it) and sync
// latency (block sealed at one node -> accepted at another, from the nodes' event streams), next
// to the same transfers between the same durable domains in one process (`weft demo`).
// `--transfers=N` (default 300), `--mode=full`, `--driver=single`; a run in which any transfer
// does not confirm fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as api from '../dist/api/client.js';
import { runDemo } from '../dist/cli/demo.js';
import { nodeClient } from '../dist/cli/nodeClient.js';
import { down, up } from '../dist/cli/up.js';
import { toHex } from '../dist/crypto/index.js';
import { readNetworkFile } from '../dist/node/index.js';
import { mintTx } from '../dist/tx/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { key, percentile, seeded } from './workload.mjs';

const quiet = () => {};
/** Transfers planned and started per batch request (a third from each source). */
const CHUNK = 48;

/** Seal -> accepted latencies (ms) seen on the nodes' event streams while `during` runs. */
async function syncLatency(members, during) {
  const sealed = new Map();
  const samples = [];
  const stop = new AbortController();
  const byId = new Map(members.map((m) => [toHex(m.id), m.name]));
  const streams = members.map(async (m) => {
    const client = new api.WeftClient(m.api);
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

/** The phases a transfer walks through, in order (src/transfer/machine.ts). */
const PHASES = ['requested', 'sourceCommitted', 'rootSynced', 'claimed', 'confirmed'];

/**
 * Where a transfer's time goes: for each step between two phases, the p50 and p99 (ms) of the
 * time between the client seeing the first and the second on the source node's event stream.
 */
function stageTimes(phaseAt) {
  const out = {};
  for (let i = 1; i < PHASES.length; i++) {
    const d = [];
    for (const at of phaseAt.values()) {
      if (at[PHASES[i - 1]] !== undefined && at[PHASES[i]] !== undefined)
        d.push(at[PHASES[i]] - at[PHASES[i - 1]]);
    }
    d.sort((a, b) => a - b);
    out[`${PHASES[i - 1]}->${PHASES[i]}`] = {
      samples: d.length,
      p50: percentile(d, 50),
      p99: percentile(d, 99),
    };
  }
  return out;
}

async function cluster(count, mode, driverKind) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-cluster-'));
  try {
    await up({ domains: 3, dir, mode }, quiet);
    const members = readNetworkFile(join(dir, 'network.json')).domains;
    const clients = members.map((m) => nodeClient({ dir }, m));
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
    let plannedAfter = 0;
    let stages = {};
    const load = await syncLatency(members, async () => {
      // Confirmations come from the source nodes' event streams (no polling of transfer lists).
      const stop = new AbortController();
      const done = new Set();
      // When the client saw each transfer reach each phase (from the source's event stream).
      const phaseAt = new Map();
      let allConfirmed = () => {};
      const everyOne = new Promise((r) => {
        allConfirmed = r;
      });
      const watchers = clients.map(async (cl) => {
        try {
          for await (const e of cl.events({ types: ['transferPhase'], signal: stop.signal })) {
            const at = phaseAt.get(e.transfer.id) ?? {};
            at[e.transfer.phase] ??= performance.now();
            phaseAt.set(e.transfer.id, at);
            if (e.transfer.phase !== 'confirmed') continue;
            done.add(e.transfer.id);
            if (done.size === count) allConfirmed();
          }
        } catch {
          // aborted
        }
      });
      await new Promise((r) => setTimeout(r, 200)); // streams connected
      const start = performance.now();
      if (driverKind === 'single') {
        // Before issue 17: one plan (info + proof + signatures) and one POST per transfer.
        await Promise.all(
          coins.map(async (c) => {
            const to = members[(c.at + 1) % members.length];
            const plan = await api.planTransferVia(clients[c.at], {
              to: to.id,
              resource: c.coin,
              owner,
              random,
            });
            await clients[c.at].startTransfer(plan, to.id);
          }),
        );
        plannedAfter = (performance.now() - start) / 1000;
      } else {
        // Planned in chunks, each source in turn, each chunk started with one batch request
        // while the next is planned: the nodes work while the client signs.
        const bySource = members.map((_, at) => coins.filter((c) => c.at === at));
        const chunks = [];
        for (let k = 0; k < count; k += CHUNK) {
          for (const [at, list] of bySource.entries()) {
            const chunk = list.slice(k / members.length, (k + CHUNK) / members.length);
            if (chunk.length > 0) chunks.push({ at, chunk });
          }
        }
        // Every chunk in flight at once: proofs of later chunks are fetched while earlier ones
        // are signed, and each chunk starts as soon as it is planned.
        let planned = 0;
        await Promise.all(
          chunks.map(async ({ at, chunk }) => {
            const to = members[(at + 1) % members.length];
            const plans = await api.planTransfersVia(
              clients[at],
              chunk.map((c) => ({ to: to.id, resource: c.coin, owner, random })),
            );
            if (++planned === chunks.length) plannedAfter = (performance.now() - start) / 1000;
            await clients[at].startTransfers(plans.map((plan) => ({ plan, to: to.id })));
          }),
        );
      }
      startedAfter = (performance.now() - start) / 1000;
      await Promise.race([everyOne, new Promise((r) => setTimeout(r, 120_000))]);
      seconds = (performance.now() - start) / 1000;
      confirmed = done.size;
      stop.abort();
      await Promise.allSettled(watchers);
      stages = stageTimes(phaseAt);
    });
    return {
      driver: driverKind,
      confirmed,
      seconds,
      plannedAfter,
      startedAfter,
      transfersPerSecond: confirmed / seconds,
      stages,
      idle,
      load,
    };
  } finally {
    await down({ dir, purge: true }, quiet).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(flags) {
  const quick = flags.includes('--quick');
  const flag = (name, fallback) => flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
  // `--transfers=N`: how many (default 300; 60 with --quick). Results of another count or mode go
  // to cluster[-full][-N].json, so cluster.json always holds the default run other tools read.
  const count = Number(flag('transfers', quick ? 60 : 300));
  if (!Number.isInteger(count) || count < 3) throw new Error('--transfers must be an integer of at least 3');
  // Both sides verify in the same mode (`--mode=full` for the default of `weft node`).
  const mode = flag('mode', 'transition');
  // `--driver=single`: the client path before issue 17 (one plan and one POST per transfer).
  const driverKind = flag('driver', 'batch');
  const inProcess = await runDemo(
    { domains: 3, transfers: count, seed: 'bench', json: true, loss: 0, dup: 0, mode },
    quiet,
  );
  const procs = await cluster(count, mode, driverKind);
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
        'seconds: all planned / all started / all confirmed',
        '',
        `${fmt(procs.plannedAfter, 2)} / ${fmt(procs.startedAfter, 2)} / ${fmt(procs.seconds, 2)}`,
        '',
      ],
      ...Object.entries(procs.stages).map(([step, s]) => [
        `stage ${step} p50 / p99 ms`,
        '',
        `${fmt(s.p50, 1)} / ${fmt(s.p99, 1)} (${s.samples})`,
        '',
      ]),
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
  const name = quick
    ? 'cluster-quick'
    : `cluster${mode === 'transition' ? '' : `-${mode}`}${count === 300 ? '' : `-${count}`}`;
  writeResults(name, {
    transfers: count,
    mode,
    driver: driverKind,
    inProcess: { transfersPerSecond: inProcess.transfersPerSecond, confirmed: inProcess.transfersConfirmed },
    processes: procs,
    ratio: { transfersPerSecond: procs.transfersPerSecond / inProcess.transfersPerSecond },
  });
  // A transfer that did not land is a failure, not a slow run (the rate would hide it).
  if (procs.confirmed < count || inProcess.transfersConfirmed < count) {
    throw new Error(
      `not every transfer confirmed: ${procs.confirmed}/${count} across processes, ${inProcess.transfersConfirmed}/${count} in one process`,
    );
  }
}
