// `npm run bench -- web`: the dashboard (dist/web) in Debian's chromium against a synthetic network
// of 16 domains holding 10,000 transfers: time until the page shows everything, then frame times
// while every node streams blocks, remote headers and transfer phases, and the time a filter of
// the 10,000-row list takes to show. The nodes are small HTTP servers that answer the read routes
// and the event stream in the API's shapes (docs/api.md); node 0 also serves the page at `/`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ensureChromium } from '../scripts/ensure-chromium.mjs';
import { fmt, table, writeResults } from './lib.mjs';
import { percentile, seeded } from './workload.mjs';

const DIST = fileURLToPath(new URL('../dist/web/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PHASES = ['requested', 'sourceCommitted', 'rootSynced', 'claimed', 'confirmed'];
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

const hex32 = (a, b) => `0x${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(56, '0')}`;

/** One synthetic node: domain `i` of `n`, with `perNode` transfers from it to the next domain. */
function fakeNode(i, n, perNode, rand) {
  const id = hex32(0xd0, i);
  const state = { height: 1, transfers: new Map(), streams: new Set(), seq: 0 };
  const t0 = Date.now() - 60_000;
  for (let k = 0; k < perNode; k++) {
    const tid = hex32(i + 1, k);
    const phase = PHASES[Math.floor(rand() * PHASES.length)];
    state.transfers.set(tid, transfer(tid, id, hex32(0xd0, (i + 1) % n), phase, t0 + k));
  }
  const info = () => ({
    name: `domain-${String(i).padStart(2, '0')}`,
    domainId: id,
    keySet: { threshold: 1, keys: [] },
    committedHeight: String(state.height),
    provenHeight: String(state.height - 1),
    mempool: Math.floor(rand() * 50),
  });
  const header = (domain, height) => ({
    domain,
    height: String(height),
    prevHash: id,
    stateRoot: id,
    txRoot: id,
    timestamp: String(Date.now()),
  });
  const routes = {
    '/v1/info': info,
    '/health': () => ({ ok: true }),
    '/v1/root': () => ({
      height: String(state.height),
      stateRoot: id,
      headerHash: id,
      timestamp: String(Date.now()),
      committedHeight: String(state.height),
      provenHeight: String(state.height - 1),
    }),
    '/v1/remotes': () => ({
      remotes: Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => ({
          domainId: hex32(0xd0, j),
          name: `domain-${String(j).padStart(2, '0')}`,
          head: { header: header(hex32(0xd0, j), state.height - 1), headerHash: id, signatures: [] },
          recorded: header(hex32(0xd0, j), state.height - 1),
          frozen: false,
          frozenFromHeight: null,
        })),
    }),
    '/v1/transfers': () => ({ transfers: [...state.transfers.values()].slice(0, 1000) }),
  };
  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/v1/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'access-control-allow-origin': '*',
        'cache-control': 'no-cache',
      });
      res.write('retry: 2000\n: connected\n\n');
      state.streams.add(res);
      req.on('close', () => state.streams.delete(res));
      return;
    }
    const route = routes[path];
    if (route) {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      return res.end(JSON.stringify(route()));
    }
    if (i === 0) {
      try {
        const file = join(DIST, path === '/' ? 'index.html' : path.replace(/^\/ui\//, '/'));
        const body = readFileSync(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        return res.end(body);
      } catch {}
    }
    res.writeHead(404).end();
  });
  const send = (type, data) => {
    const frame = `id: ${++state.seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of state.streams) s.write(frame);
  };
  /** One block interval: a block, a header of every other domain, and `phases` transfer steps. */
  const tick = (phases) => {
    state.height++;
    send('blockSealed', {
      height: String(state.height),
      headerHash: id,
      stateRoot: hex32(state.height, i),
      timestamp: String(Date.now()),
      txCount: Math.floor(rand() * 40),
    });
    for (let j = 0; j < n; j++)
      if (j !== i)
        send('remoteAccepted', {
          domainId: hex32(0xd0, j),
          height: String(state.height - 1),
          headerHash: id,
        });
    const ids = [...state.transfers.keys()];
    for (let k = 0; k < phases; k++) {
      const t = state.transfers.get(ids[Math.floor(rand() * ids.length)]);
      const next = PHASES[Math.min(PHASES.indexOf(t.phase) + 1, PHASES.length - 1)];
      const now = String(Date.now());
      const moved = {
        ...t,
        phase: next,
        updatedAtMs: now,
        history: [...t.history, { phase: next, atMs: now }],
      };
      state.transfers.set(t.id, moved);
      send('transferPhase', moved);
    }
  };
  return { server, tick };
}

function transfer(id, from, to, phase, at) {
  const history = PHASES.slice(0, PHASES.indexOf(phase) + 1).map((p, k) => ({
    phase: p,
    atMs: String(at + k),
  }));
  return {
    id,
    from,
    to,
    phase,
    createdAtMs: String(at),
    updatedAtMs: String(at + history.length),
    expiresAtMs: String(at + 600_000),
    sourceHeight: '1',
    source: null,
    syncedHeight: null,
    claimHeight: null,
    confirmedHeight: null,
    deadlineMs: null,
    refundableHeight: null,
    refundHeight: null,
    failure: null,
    history,
  };
}

async function scenario({ domains, transfers, streamMs, blockMs, phasesPerBlock }) {
  const bytes = seeded(`web-${domains}-${transfers}`);
  const rand = () => new DataView(bytes(4).buffer).getUint32(0) / 2 ** 32;
  if (transfers % domains !== 0) throw new Error('transfers must split evenly over the domains');
  const nodes = Array.from({ length: domains }, (_, i) => fakeNode(i, domains, transfers / domains, rand));
  const urls = [];
  for (const nd of nodes) {
    await new Promise((r) => nd.server.listen(0, '127.0.0.1', r));
    urls.push(`http://127.0.0.1:${nd.server.address().port}`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'weft-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Time to render: from navigation until every domain, edge and transfer is on the page.
    const start = Date.now();
    await page.goto(`${urls[0]}/?nodes=${encodeURIComponent(urls.join(','))}`);
    const edges = domains * (domains - 1);
    await page.waitForFunction(
      ({ domains, edges, transfers }) =>
        document.querySelectorAll('#graph [data-domain]').length === domains &&
        document.querySelectorAll('#graph [data-edge]').length === edges &&
        document.querySelectorAll('#domains [data-domain-card]').length === domains &&
        document.getElementById('transfer-count')?.textContent === `(${transfers})`,
      { domains, edges, transfers },
      { timeout: 60_000, polling: 50 },
    );
    const renderMs = Date.now() - start;

    // What one redraw of each view costs in script, with everything loaded (mean of 10).
    const viewRenderMs = await page.evaluate(() => {
      const w = globalThis.weft;
      const time = (f) => {
        const t = performance.now();
        for (let k = 0; k < 10; k++) f();
        return (performance.now() - t) / 10;
      };
      return {
        graph: time(() => w.graph.render()),
        domains: time(() => w.domains.render()),
        transfers: time(() => w.transfers.render()),
        alerts: time(() => w.alerts.render()),
      };
    });
    // Main-thread time the page spends, from Chrome's own counters: less sensitive than frame
    // times to other processes on the machine (it counts work done, not waiting for a core).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const busy = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name) => metrics.find((x) => x.name === name)?.value ?? 0;
      return {
        task: get('TaskDuration'),
        script: get('ScriptDuration'),
        layout: get('LayoutDuration') + get('RecalcStyleDuration'),
      };
    };
    const busyBefore = await busy();
    // Frame times while every node streams.
    await page.evaluate(() => {
      const w = globalThis;
      w.__frames = [];
      w.__long = [];
      let last = performance.now();
      const loop = (t) => {
        w.__frames.push(t - last);
        last = t;
        if (!w.__stop) requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) w.__long.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    let events = 0;
    const timer = setInterval(() => {
      for (const nd of nodes) nd.tick(phasesPerBlock);
      events += domains * (1 + (domains - 1) + phasesPerBlock);
    }, blockMs);
    await new Promise((r) => setTimeout(r, streamMs));
    clearInterval(timer);
    const busyAfter = await busy();
    const share = (k) => Math.round(((busyAfter[k] - busyBefore[k]) * 1000 * 1000) / streamMs) / 1000;
    const mainThread = {
      busyShare: share('task'),
      scriptShare: share('script'),
      styleLayoutShare: share('layout'),
    };
    const { frames, long } = await page.evaluate(() => {
      globalThis.__stop = true;
      return { frames: globalThis.__frames.slice(1), long: globalThis.__long };
    });
    // Filtering the full list: from the keystroke to the frame that shows the result.
    const filterMs = await page.evaluate(async () => {
      const input = document.getElementById('transfer-filter');
      const t = performance.now();
      input.value = 'domain-03';
      input.dispatchEvent(new Event('input'));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    });
    const sorted = [...frames].sort((a, b) => a - b);
    return {
      domains,
      transfers,
      edges,
      renderMs,
      streamMs,
      eventsPerSecond: Math.round((events / streamMs) * 1000),
      frames: frames.length,
      fps: (frames.length / streamMs) * 1000,
      frameP50Ms: percentile(sorted, 50),
      frameP95Ms: percentile(sorted, 95),
      frameP99Ms: percentile(sorted, 99),
      frameMaxMs: sorted[sorted.length - 1] ?? 0,
      framesOver50Ms: frames.filter((f) => f > 50).length,
      longTasks: long.length,
      longTaskMaxMs: Math.max(0, ...long),
      filterMs,
      viewRenderMs,
      mainThread,
      // The machine is shared: a busy one shows in the frame times.
      loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
      pageErrors: errors,
    };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    for (const nd of nodes) nd.server.closeAllConnections?.();
    await Promise.all(nodes.map((nd) => new Promise((r) => nd.server.close(r))));
  }
}

export async function run(args = []) {
  // Debian's chromium, installed as the tests do (or a one-line instruction).
  ensureChromium();
  const quick = args.includes('--quick');
  const cases = [
    { domains: 3, transfers: 999, streamMs: quick ? 3_000 : 10_000, blockMs: 100, phasesPerBlock: 5 },
    { domains: 16, transfers: 10_000, streamMs: quick ? 3_000 : 10_000, blockMs: 100, phasesPerBlock: 5 },
  ];
  const results = [];
  for (const c of cases) results.push(await scenario(c));
  table(
    [
      'domains',
      'transfers',
      'render ms',
      'events/s',
      'fps',
      'frame p50',
      'p95',
      'p99',
      'max',
      '>50ms',
      'long tasks',
      'filter ms',
      'main thread busy',
    ],
    results.map((r) => [
      r.domains,
      fmt(r.transfers),
      fmt(r.renderMs),
      fmt(r.eventsPerSecond),
      fmt(r.fps, 1),
      fmt(r.frameP50Ms, 1),
      fmt(r.frameP95Ms, 1),
      fmt(r.frameP99Ms, 1),
      fmt(r.frameMaxMs, 1),
      r.framesOver50Ms,
      r.longTasks,
      fmt(r.filterMs, 1),
      `${fmt(r.mainThread.busyShare * 100, 1)}%`,
    ]),
  );
  for (const r of results)
    if (r.pageErrors.length > 0) console.error(`page errors: ${r.pageErrors.join('; ')}`);
  writeResults(quick ? 'web-quick' : 'web', results);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run(process.argv.slice(2));
