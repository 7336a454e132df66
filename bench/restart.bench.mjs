// `npm run bench -- restart` (issue 17.5): a node whose peer is N blocks ahead of it catches up
// — the peer's headers come over the transport in gap requests (HEADER_CHAIN_MAX a round) and
// are verified in the node's mode — timed until the node accepted the peer's tip: headers/s
// against the target of 5,000/s. Both nodes on LMDB, one in-process bus, `transition` mode (the
// cluster bench's; `--mode=full` for the default). The restart of a current node until its API
// answers is timed by `npm run bench -- store --only=recovery` (docs/benchmarks.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureVerifierPool } from '../dist/crypto/index.js';
import { InProcessBus } from '../dist/net/index.js';
import { NODE_ANNOUNCE_EVERY_MS_DEFAULT, SyncRouter } from '../dist/node/index.js';
import { openDomainNode } from '../dist/store/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { key } from './workload.mjs';

/** Target of issue 17.5: headers per second a node catches up at. */
const TARGET_HEADERS_PER_S = 5_000;

export async function run(flags) {
  const quick = flags.includes('--quick');
  const flag = (name, fallback) => flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
  const blocks = Number(flag('blocks', quick ? 1_000 : 20_000));
  const mode = flag('mode', 'transition');
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-restart-'));
  try {
    const ahead = await openDomainNode(join(dir, 'ahead'), {
      signers: [key('secp256k1', 'restart/ahead')],
      create: { name: 'ahead' },
    });
    const genesis = ahead.domain.header(0n);
    const sealStart = performance.now();
    for (let i = 0; i < blocks; i++) await ahead.domain.sealBlock();
    const sealSeconds = (performance.now() - sealStart) / 1000;
    const behind = await openDomainNode(join(dir, 'behind'), {
      signers: [key('secp256k1', 'restart/behind')],
      create: { name: 'behind' },
    });
    const bus = new InProcessBus({ seed: 'restart' });
    const endpoint = (id) => bus.endpoint(id);
    // Both re-announce as `weft node` does (NODE_ANNOUNCE_EVERY_MS_DEFAULT).
    const announceEveryMs = NODE_ANNOUNCE_EVERY_MS_DEFAULT;
    // The node behind checks gap answers' header signatures on its workers (`--workers=0`: inline).
    const workers = Number(flag('workers', 2));
    const verifier = workers > 0 ? SignatureVerifierPool.create({ threads: workers }) : undefined;
    const a = new SyncRouter({ endpoint, mode, announceEveryMs });
    const b = new SyncRouter({ endpoint, mode, announceEveryMs, ...(verifier ? { verifier } : {}) });
    await a.join(ahead.domain);
    await a.addPeer({
      id: behind.domain.id,
      name: 'behind',
      keySet: behind.domain.keySet,
      genesis: behind.domain.header(0n),
    });
    await b.join(behind.domain);
    await b.addPeer({ id: ahead.domain.id, name: 'ahead', keySet: ahead.domain.keySet, genesis });
    const tip = ahead.domain.committedHeight;
    let accepted = 0;
    let highest = 0n;
    const caughtUp = new Promise((resolve) =>
      b.on('accepted', (e) => {
        accepted++;
        if (e.height > highest) highest = e.height;
        if (e.height >= tip) resolve();
      }),
    );
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const eluStart = performance.eventLoopUtilization();
    await a.announceAll(); // the node hears the peer's tip: a gap of `blocks` headers
    let timer;
    const timeout = new Promise((r) => {
      timer = setTimeout(r, Number(flag('timeout-ms', 300_000)));
    });
    await Promise.race([caughtUp, timeout]);
    clearTimeout(timer); // the process ends when the run does, not when the timeout would
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    // Process CPU (every thread, the workers included) over the catch-up, in seconds.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // Wall time the main thread's event loop was busy (both nodes' sync work, not the workers').
    const mainBusySeconds = performance.eventLoopUtilization(eluStart).active / 1000;
    const view = behind.domain.remoteView(ahead.domain.id);
    const headersPerSecond = accepted / seconds;
    a.close();
    b.close();
    await bus.close();
    await verifier?.close();
    await ahead.close();
    await behind.close();
    table(
      ['measure', 'value', 'target', 'ratio'],
      [
        ['blocks the peer is ahead', String(blocks), '', ''],
        ['seconds to seal them (peer, LMDB)', fmt(sealSeconds, 2), '', ''],
        [`catch-up: headers accepted / seconds (${mode})`, `${accepted} / ${fmt(seconds, 2)}`, '', ''],
        ['catch-up: process CPU seconds (all threads)', fmt(cpuSeconds, 2), '', ''],
        ['catch-up: headers per process CPU second', fmt(accepted / cpuSeconds, 0), '', ''],
        ['catch-up: main thread busy seconds', fmt(mainBusySeconds, 2), '', ''],
        ['signature workers (node behind)', String(workers), '', ''],
        [
          'catch-up headers/s',
          fmt(headersPerSecond, 0),
          `>= ${TARGET_HEADERS_PER_S}`,
          `${fmt(headersPerSecond / TARGET_HEADERS_PER_S, 2)}x`,
        ],
      ],
    );
    writeResults(quick ? 'restart-quick' : 'restart', {
      mode,
      blocks,
      workers,
      sealSeconds,
      catchUp: {
        accepted,
        seconds,
        cpuSeconds,
        headersPerCpuSecond: accepted / cpuSeconds,
        mainBusySeconds,
        headersPerSecond,
        reachedTip: String(highest),
        viewKnown: view !== undefined,
        target: TARGET_HEADERS_PER_S,
        ratio: headersPerSecond / TARGET_HEADERS_PER_S,
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
