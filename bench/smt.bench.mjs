// `npm run bench -- smt [--quick] [--only=PHASE,...] [--profile] [--SIZE=N ...]` (flags: docs/benchmarks-smt.md)
//
// The authenticated tree (weft/smt) side by side with @openpassport/zk-kit-smt (SHA-256 from
// node:crypto) and @ethereumjs/mpt (in memory): 10,000-key batches into a prefilled tree, in memory
// and on LMDB; single-key proofs generated and verified per second; multiproof bytes; resident
// bytes per key; bytes per key on disk; and the LMDB page size (tree levels per record).
//
// Every phase runs in its own child process (started with --expose-gc), so one phase's heap never
// weighs on another's figures. The two peers are prefilled concurrently, one core each, then
// measured one after the other while the other sits idle. Results: bench/results/smt.json;
// discussion: docs/benchmarks-smt.md.
import { execFileSync, fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, perSecond, table, timeMs, writeResults } from './lib.mjs';

const self = fileURLToPath(import.meta.url);
const BATCH = 10_000;
/** Member keys kept aside for the proof figures. */
const SAMPLE = 10_000;
/** Each proof figure is the median of this many runs. */
const REPEATS = 3;
const PHASES = ['weft-mem', 'weft-memory', 'weft-lmdb', 'weft-pages', 'peers'];

const TARGETS = {
  memInsertsPerSec: 300_000,
  memStretchPerSec: 500_000,
  memVsPeer: 15,
  lmdbInsertsPerSec: 80_000,
  provesPerSec: 200_000,
  verifiesPerSec: 150_000,
  residentBytesPerKey: 150,
};

function configFor(quick, flags) {
  const num = (name, dflt) => {
    const f = flags.find((x) => x.startsWith(`--${name}=`));
    return f ? Number(f.slice(name.length + 3)) : dflt;
  };
  const c = quick
    ? {
        prefill: 100_000,
        batches: 3,
        lmdbPrefill: 100_000,
        lmdbBatches: 3,
        pipelined: 4,
        memN1: 50_000,
        memN2: 100_000,
        pagePrefill: 50_000,
        pageBatches: 3,
        pageLevels: [2, 4, 6, 8],
        zkPrefill: 50_000,
        mptPrefill: 50_000,
        peerBatches: 2,
        proofs: 20_000,
        peerProofs: 2_000,
        multiKeys: 1_000,
      }
    : {
        prefill: 1_000_000,
        batches: 7,
        lmdbPrefill: 1_000_000,
        lmdbBatches: 7,
        pipelined: 8,
        memN1: 500_000,
        memN2: 1_000_000,
        pagePrefill: 200_000,
        pageBatches: 5,
        pageLevels: [2, 4, 6, 8],
        // zk-kit takes ~100 s to reach 1M keys here; @ethereumjs/mpt slows to ~3,000 inserts/s
        // past 600k (~5 min to 1M), so it is prefilled with fewer keys and labelled so.
        zkPrefill: 1_000_000,
        mptPrefill: 400_000,
        peerBatches: 3,
        proofs: 100_000,
        peerProofs: 10_000,
        multiKeys: 1_000,
      };
  c.zkPrefill = num('zk-prefill', c.zkPrefill);
  c.mptPrefill = num('mpt-prefill', c.mptPrefill);
  c.prefill = num('prefill', c.prefill);
  c.lmdbPrefill = num('lmdb-prefill', c.lmdbPrefill);
  c.pagePrefill = num('page-prefill', c.pagePrefill);
  c.batches = num('batches', c.batches);
  c.lmdbBatches = num('lmdb-batches', c.lmdbBatches);
  c.profile = flags.includes('--profile');
  return c;
}

// ---- shared helpers --------------------------------------------------------------------------

/** `n` random 32-byte keys and values as writes (views into two big buffers). */
function randomWrites(n) {
  const kb = randomBytes(n * 32);
  const vb = randomBytes(n * 32);
  const out = new Array(n);
  for (let i = 0; i < n; i++)
    out[i] = { key: kb.subarray(i * 32, i * 32 + 32), value: vb.subarray(i * 32, i * 32 + 32) };
  return out;
}

/**
 * Wall and CPU milliseconds of `fn` (CPU: user + system of all this process's threads). A
 * single-threaded section whose CPU share falls well below 1 was starved by other processes.
 */
async function timeCpu(fn) {
  const c0 = process.cpuUsage();
  const ms = await timeMs(fn);
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000 };
}

/**
 * Runs `body` (doing `n` operations) REPEATS times, each after a full GC: the median rate (wall
 * and CPU time), every rate, the CPU share.
 */
async function repeatRate(n, body) {
  const rates = [];
  const cpuRates = [];
  let cpu = 0;
  let wall = 0;
  for (let r = 0; r < REPEATS; r++) {
    gcNow(); // start each run without the previous run's garbage
    const t = await timeCpu(body);
    rates.push(perSecond(n, t.ms));
    cpuRates.push(perSecond(n, t.cpuMs));
    cpu += t.cpuMs;
    wall += t.ms;
  }
  return { perSec: median(rates), perCpuSec: median(cpuRates), runs: rates, cpuShare: cpu / wall };
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function gcNow() {
  if (typeof global.gc !== 'function')
    throw new Error('run with --expose-gc (the bench forks its phases so)');
  for (let i = 0; i < 3; i++) global.gc();
}

function mem() {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external, rss: m.rss };
}

const resident = (m) => m.heapUsed + m.arrayBuffers;

function log(...args) {
  console.log('  ·', ...args);
}

/** Picks `k` distinct random entries of `writes` (a sample for proofs). */
function sample(writes, k) {
  const out = [];
  const seen = new Set();
  while (out.length < Math.min(k, writes.length)) {
    const i = Math.floor(Math.random() * writes.length);
    if (seen.has(i)) continue;
    seen.add(i);
    out.push({ key: writes[i].key.slice(), value: writes[i].value.slice() });
  }
  return out;
}

/** CPU profiles of measured sections (`--profile`): name -> top self-time functions. */
const profiles = {};
let profileDir;

/**
 * Runs `fn`, sampling the CPU around it when profiling (node:inspector, 100 µs interval), so a
 * profile shows the measured section only, not the prefill. Writes NAME.cpuprofile.
 */
async function profiled(name, fn) {
  if (!profileDir) return fn();
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 100 });
  await s.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await s.post('Profiler.stop');
    s.disconnect();
    writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
    profiles[name] = topSelf(profile, 15);
  }
}

/** The `n` functions with the most self time in a V8 CPU profile, and the share under each entry. */
function topSelf(profile, n) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const ch of node.children ?? []) parent.set(ch, node.id);
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const pct = (hits) => Math.round((1000 * hits) / total) / 10;
  const agg = new Map();
  // Inclusive share by the outermost tree entry point on the stack (apply, prune, prove...).
  const entries = new Map();
  const entryOf = (id) => {
    let found = 'other';
    let removing = false;
    let putting = false;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at).callFrame;
      if (f.functionName === 'removeSync' || f.functionName === 'remove') removing = true;
      if (f.functionName === 'put') putting = true;
      if (/\/smt\/tree\.js$/.test(f.url) && ENTRY_POINTS.has(f.functionName)) found = f.functionName;
      else if (/\/smt\/lmdbStore\.js$/.test(f.url)) {
        // LMDB runs transaction callbacks from its own queue, outside the tree's frames.
        found = removing
          ? 'LMDB prune txn'
          : putting
            ? 'LMDB commit txn'
            : `lmdbStore ${f.functionName || 'callback'}`;
      } else if (f.functionName === '(garbage collector)' || f.functionName === '(idle)')
        found = f.functionName;
    }
    return found;
  };
  for (const [id, hits] of counts) {
    const f = byId.get(id).callFrame;
    const file = f.url ? f.url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/') : '';
    const name = f.functionName || (file ? '(anonymous)' : '(anonymous, native)');
    const key = `${name} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
    agg.set(key, (agg.get(key) ?? 0) + hits);
    const e = entryOf(id);
    entries.set(e, (entries.get(e) ?? 0) + hits);
  }
  return {
    samples: total,
    byEntry: Object.fromEntries(
      [...entries.entries()].sort((a, b) => b[1] - a[1]).map(([e, h]) => [e, pct(h)]),
    ),
    top: [...agg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, hits]) => ({ fn, pct: pct(hits) })),
  };
}

const ENTRY_POINTS = new Set(['apply', 'prune', 'proveSync', 'persist']);

async function loadWeft() {
  return import('../dist/smt/index.js');
}

// ---- phases (each runs in a child process) ----------------------------------------------------

/** In memory: a 10k batch into a prefilled tree, proofs, multiproof bytes. */
async function phaseWeftMem(c) {
  const { Smt, verifyProof, verifyMultiProof, encodeProof, encodeMultiProof } = await loadWeft();
  const smt = Smt.inMemory();
  let members = [];
  const chunk = 100_000;
  const prefillMs = await timeMs(async () => {
    for (let done = 0; done < c.prefill; done += chunk) {
      const w = randomWrites(Math.min(chunk, c.prefill - done));
      await smt.apply(w);
      members = members.concat(sample(w, Math.ceil((SAMPLE * w.length) / c.prefill)));
    }
  });
  await smt.prune(smt.version());
  log(`weft in memory: prefilled ${fmt(c.prefill)} keys in ${fmt(prefillMs / 1000, 1)} s`);

  const batchMs = [];
  const pruneMs = [];
  const batchCpuMs = [];
  const ws = Array.from({ length: c.batches }, () => randomWrites(BATCH));
  await profiled('mem-batches', async () => {
    for (const w of ws) {
      const t = await timeCpu(() => smt.apply(w));
      batchMs.push(t.ms);
      batchCpuMs.push(t.cpuMs);
      pruneMs.push(await timeMs(() => smt.prune(smt.version())));
    }
  });
  log(`weft in memory: batches ${batchMs.map((ms) => fmt(ms, 1)).join(', ')} ms`);

  // Single-key proofs of members (value known) and of absent keys, against the newest root.
  const root = smt.root();
  const absent = randomWrites(members.length).map((w) => w.key);
  const n = c.proofs;
  const proveAll = (keys, into) => {
    for (let i = 0; i < n; i++) into[i % keys.length] = smt.proveSync(keys[i % keys.length]);
  };
  const verifyAll = (keys, values, proofs) => {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const j = i % keys.length;
      if (verifyProof(root, keys[j], values ? values[j] : null, proofs[j])) ok++;
    }
    if (ok !== n) throw new Error(`only ${ok} of ${n} weft proofs verified`);
  };
  const mKeys = members.map((m) => m.key);
  const mVals = members.map((m) => m.value);
  const memberProofs = new Array(mKeys.length);
  const absentProofs = new Array(absent.length);
  // Warm up both paths once (JIT), then measure each REPEATS times.
  proveAll(mKeys, memberProofs);
  verifyAll(mKeys, mVals, memberProofs);
  proveAll(absent, absentProofs);
  verifyAll(absent, null, absentProofs);
  const memberProve = await profiled('prove', () => repeatRate(n, () => proveAll(mKeys, memberProofs)));
  const memberVerify = await profiled('verify', () =>
    repeatRate(n, () => verifyAll(mKeys, mVals, memberProofs)),
  );
  const absentProve = await repeatRate(n, () => proveAll(absent, absentProofs));
  const absentVerify = await repeatRate(n, () => verifyAll(absent, null, absentProofs));
  let asyncProofs = 0;
  const asyncMs = await timeMs(async () => {
    for (let i = 0; i < c.proofs; i++, asyncProofs++) await smt.prove(mKeys[i % mKeys.length]);
  });
  const avgProofBytes = memberProofs.reduce((s, p) => s + encodeProof(p).length, 0) / memberProofs.length;

  // Multiproof for `multiKeys` members vs the same keys' single proofs.
  const mk = mKeys.slice(0, c.multiKeys);
  let multi;
  const multiProveMs = await timeMs(() => {
    multi = smt.proveManySync(mk);
  });
  const multiBytes = encodeMultiProof(multi).length;
  const entries = mk.map((key, i) => ({ key, value: mVals[i] }));
  let multiOk = false;
  const multiVerifyMs = await timeMs(() => {
    multiOk = verifyMultiProof(root, entries, multi);
  });
  if (!multiOk) throw new Error('weft multiproof did not verify');
  const singleBytes = mk.reduce((s, k) => s + encodeProof(smt.proveSync(k)).length, 0);

  return {
    prefill: c.prefill,
    prefillMs,
    batch: BATCH,
    batchMs,
    medianBatchMs: median(batchMs),
    insertsPerSec: perSecond(BATCH, median(batchMs)),
    pruneMs,
    medianPruneMs: median(pruneMs),
    batchCpuMs,
    applyCpuShare: sum(batchCpuMs) / sum(batchMs),
    insertsPerCpuSec: perSecond(BATCH, median(batchCpuMs)),
    nodeCount: smt.nodeCount(),
    proofs: {
      count: n,
      repeats: REPEATS,
      memberProvePerSec: memberProve.perSec,
      memberVerifyPerSec: memberVerify.perSec,
      absentProvePerSec: absentProve.perSec,
      absentVerifyPerSec: absentVerify.perSec,
      asyncProvePerSec: perSecond(asyncProofs, asyncMs),
      runs: { memberProve, memberVerify, absentProve, absentVerify },
      memberProvePerCpuSec: memberProve.perCpuSec,
      memberVerifyPerCpuSec: memberVerify.perCpuSec,
      avgProofBytes,
    },
    multi: {
      keys: mk.length,
      multiBytes,
      singleBytes,
      ratio: singleBytes / multiBytes,
      proveMs: multiProveMs,
      verifyMs: multiVerifyMs,
    },
  };
}

/** Resident bytes per additional key: trees of N1 then N2 keys, pruned to the newest version. */
async function phaseWeftMemory(c) {
  const { Smt } = await loadWeft();
  gcNow();
  const base = mem();
  const smt = Smt.inMemory();
  const chunk = 100_000;
  const grow = async (from, to) => {
    for (let done = from; done < to; done += chunk) await smt.apply(randomWrites(Math.min(chunk, to - done)));
    await smt.prune(smt.version());
    gcNow();
    return { mem: mem(), memoryBytes: smt.memoryBytes(), nodes: smt.nodeCount() };
  };
  const at1 = await grow(0, c.memN1);
  const at2 = await grow(c.memN1, c.memN2);
  const dn = c.memN2 - c.memN1;
  const res = {
    n1: c.memN1,
    n2: c.memN2,
    base,
    at1,
    at2,
    residentPerAddedKey: (resident(at2.mem) - resident(at1.mem)) / dn,
    heapPerAddedKey: (at2.mem.heapUsed - at1.mem.heapUsed) / dn,
    arrayBuffersPerAddedKey: (at2.mem.arrayBuffers - at1.mem.arrayBuffers) / dn,
    rssPerAddedKey: (at2.mem.rss - at1.mem.rss) / dn,
    memoryBytesPerAddedKey: (at2.memoryBytes - at1.memoryBytes) / dn,
    residentPerKeyAtN2: (resident(at2.mem) - resident(base)) / c.memN2,
    memoryBytesPerKeyAtN2: at2.memoryBytes / c.memN2,
    nodesPerKeyAtN2: at2.nodes / c.memN2,
  };
  await smt.close();
  return res;
}

function dirBytes(dir) {
  try {
    return statSync(join(dir, 'data.mdb')).size;
  } catch {
    return Number.NaN;
  }
}

/**
 * Wraps a NodeStore to count what the tree hands it: page records and bytes per commit, and the
 * time each commit and prune takes to resolve (LMDB transaction plus flush to disk).
 */
function countingStore(inner) {
  const stats = {
    commits: 0,
    pages: 0,
    pageBytes: 0,
    leaves: 0,
    leafBytes: 0,
    stale: 0,
    commitMs: 0,
    prunes: 0,
    storePruneMs: 0,
  };
  const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;
  const store = {
    kind: inner.kind,
    readMeta: () => inner.readMeta(),
    listRoots: () => inner.listRoots(),
    getPage: (k) => inner.getPage(k),
    // Leaf records (store format 3; absent from builds before it).
    getLeaf: (k) => inner.getLeaf(k),
    async commit(c) {
      stats.commits++;
      stats.pages += c.pages.length;
      for (const [k, v] of c.pages) stats.pageBytes += k.length + v.length;
      stats.leaves += c.leaves?.length ?? 0;
      for (const [k, v] of c.leaves ?? []) stats.leafBytes += k.length + v.length;
      stats.stale += c.stale.length + (c.staleLeaves?.length ?? 0);
      const t = process.hrtime.bigint();
      try {
        return await inner.commit(c);
      } finally {
        stats.commitMs += since(t);
      }
    },
    async prune(keepFrom) {
      stats.prunes++;
      const t = process.hrtime.bigint();
      try {
        return await inner.prune(keepFrom);
      } finally {
        stats.storePruneMs += since(t);
      }
    },
    close: () => inner.close(),
  };
  const reset = () => {
    for (const k of Object.keys(stats)) stats[k] = 0;
  };
  return { store, stats, reset };
}

/** One LMDB tree: prefill, then `batches` sequential 10k batches each followed by a prune. */
async function lmdbRun(lib, { prefill, batches, pageLevels, pipelined = 0, reopen = false, profile }) {
  const { Smt, LmdbNodeStore, verifyProof } = lib;
  const dir = mkdtempSync(join(os.tmpdir(), 'weft-smt-bench-'));
  try {
    let store = LmdbNodeStore.open(dir);
    const counted = countingStore(store);
    let smt = await Smt.open(counted.store, { pageLevels });
    const chunk = 100_000;
    let keys = 0;
    let probe;
    const prefillMs = await timeMs(async () => {
      for (let done = 0; done < prefill; done += chunk) {
        const w = randomWrites(Math.min(chunk, prefill - done));
        await smt.apply(w);
        await smt.prune(smt.version());
        keys += w.length;
        probe = w[0];
      }
    });
    const afterPrefill = store.usage();
    const batchMs = [];
    const pruneMs = [];
    const cpuMs = [];
    const ws = Array.from({ length: batches }, () => randomWrites(BATCH));
    const measure = async () => {
      for (const w of ws) {
        const a = await timeCpu(() => smt.apply(w));
        const p = await timeCpu(() => smt.prune(smt.version()));
        batchMs.push(a.ms);
        pruneMs.push(p.ms);
        cpuMs.push(a.cpuMs + p.cpuMs);
        keys += BATCH;
      }
    };
    counted.reset();
    if (profile) await profiled(profile, measure);
    else await measure();
    const perBatch = {
      pages: counted.stats.pages / batches,
      pageBytes: counted.stats.pageBytes / batches,
      leaves: counted.stats.leaves / batches,
      leafBytes: counted.stats.leafBytes / batches,
      staleEntries: counted.stats.stale / batches,
      commitMs: counted.stats.commitMs / batches,
      storePruneMs: counted.stats.storePruneMs / batches,
    };
    let pipelinedRes;
    if (pipelined > 0) {
      // Compute batch i+1 while batch i commits; every apply still resolves only once durable.
      const ws = Array.from({ length: pipelined }, () => randomWrites(BATCH));
      let prev = Promise.resolve();
      const ms = await timeMs(async () => {
        for (const w of ws) {
          const p = smt.apply(w);
          await prev;
          prev = p;
        }
        await prev;
      });
      const pMs = await timeMs(() => smt.prune(smt.version()));
      keys += pipelined * BATCH;
      pipelinedRes = {
        batches: pipelined,
        ms,
        insertsPerSec: perSecond(pipelined * BATCH, ms),
        withPruneInsertsPerSec: perSecond(pipelined * BATCH, ms + pMs),
      };
    }
    const usage = store.usage();
    const fileBytes = dirBytes(dir);
    const proofOk = verifyProof(smt.root(), probe.key, probe.value, smt.proveSync(probe.key));
    if (!proofOk) throw new Error('proof against the LMDB tree did not verify');
    let reopenMs;
    let reopenCpuMs;
    if (reopen) {
      const root = smt.root();
      await smt.close();
      ({ ms: reopenMs, cpuMs: reopenCpuMs } = await timeCpu(async () => {
        store = LmdbNodeStore.open(dir);
        smt = await Smt.open(store);
      }));
      const same = Buffer.compare(Buffer.from(root), Buffer.from(smt.root())) === 0;
      if (!same) throw new Error('reopened LMDB tree has another root');
    }
    await smt.close();
    return {
      pageLevels,
      prefill,
      prefillMs,
      keys,
      batchMs,
      medianBatchMs: median(batchMs),
      insertsPerSec: perSecond(BATCH, median(batchMs)),
      pruneMs,
      medianPruneMs: median(pruneMs),
      withPruneInsertsPerSec: perSecond(BATCH, median(batchMs.map((ms, i) => ms + pruneMs[i]))),
      /** CPU of all this process's threads (JS, LMDB writer, GC) per batch, apply + prune */
      cpuMs,
      medianCpuMs: median(cpuMs),
      pipelined: pipelinedRes,
      perBatch,
      afterPrefill,
      usage,
      bytesPerKey: usage.bytes / keys,
      fileBytes,
      fileBytesPerKey: fileBytes / keys,
      reopenMs,
      reopenCpuMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function phaseWeftLmdb(c) {
  const lib = await loadWeft();
  const r = await lmdbRun(lib, {
    prefill: c.lmdbPrefill,
    batches: c.lmdbBatches,
    pageLevels: lib.PAGE_LEVELS_DEFAULT,
    pipelined: c.pipelined,
    reopen: true,
    profile: 'lmdb-batches',
  });
  log(`weft on LMDB: batches ${r.batchMs.map((ms) => fmt(ms, 0)).join(', ')} ms`);
  return r;
}

async function phaseWeftPages(c) {
  const lib = await loadWeft();
  const out = [];
  for (const L of c.pageLevels) {
    const r = await lmdbRun(lib, { prefill: c.pagePrefill, batches: c.pageBatches, pageLevels: L });
    log(`pageLevels ${L}: ${fmt(r.insertsPerSec)} inserts/s, ${fmt(r.bytesPerKey)} B/key`);
    out.push(r);
  }
  return out;
}

// ---- peers ------------------------------------------------------------------------------------

/** zk-kit's hash over hex-string nodes: SHA-256 of the nodes as 32-byte big-endian words. */
function zkSha256(nodes) {
  const h = createHash('sha256');
  for (const n of nodes) h.update(n.length === 64 ? n : n.padStart(64, '0'), 'hex');
  return h.digest('hex');
}

const hexWrites = (n) =>
  randomWrites(n).map((w) => [Buffer.from(w.key).toString('hex'), Buffer.from(w.value).toString('hex')]);

async function peerZk(c, waitForTurn) {
  const { SMT } = await import('@openpassport/zk-kit-smt');
  gcNow();
  const base = mem();
  const tree = new SMT(zkSha256);
  let members = [];
  const prefillMs = await timeMs(async () => {
    for (let done = 0; done < c.zkPrefill; done += BATCH) {
      const w = hexWrites(Math.min(BATCH, c.zkPrefill - done));
      for (const [k, v] of w) tree.add(k, v);
      if (members.length < c.peerProofs) members = members.concat(w.slice(0, 200));
    }
  });
  gcNow();
  const afterPrefill = mem();
  await waitForTurn(prefillMs);
  const batchMs = [];
  const batchCpuMs = [];
  for (let b = 0; b < c.peerBatches; b++) {
    const w = hexWrites(BATCH);
    const t = await timeCpu(() => {
      for (const [k, v] of w) tree.add(k, v);
    });
    batchMs.push(t.ms);
    batchCpuMs.push(t.cpuMs);
  }
  const n = Math.min(c.peerProofs, members.length);
  const proofs = new Array(n);
  const prove = await timeCpu(() => {
    for (let i = 0; i < n; i++) proofs[i] = tree.createProof(members[i][0]);
  });
  // zk-kit's verifyProof trusts the root inside the proof: compare it with the trusted root too.
  const root = tree.root;
  let ok = 0;
  const verify = await timeCpu(() => {
    for (let i = 0; i < n; i++) if (proofs[i].root === root && tree.verifyProof(proofs[i])) ok++;
  });
  if (ok !== n) throw new Error(`only ${ok} of ${n} zk-kit proofs verified`);
  // Bytes as raw 32-byte words: siblings, the entry (key, value) and a matching entry if any.
  const words = (p) => p.siblings.length + 2 + (p.matchingEntry ? 2 : 0);
  const avgProofBytes = (proofs.reduce((s, p) => s + words(p), 0) * 32) / n;
  return peerResult(
    'zk-kit-smt',
    c.zkPrefill,
    { prefillMs, batchMs, batchCpuMs, n, prove, verify, avgProofBytes },
    resident(afterPrefill) - resident(base),
  );
}

/** One peer's figures, computed the same way for every peer. */
function peerResult(peer, prefill, m, residentBytes) {
  const { prefillMs, batchMs, batchCpuMs, n, prove, verify, avgProofBytes } = m;
  return {
    peer,
    prefill,
    prefillMs,
    batchMs,
    medianBatchMs: median(batchMs),
    insertsPerSec: perSecond(BATCH, median(batchMs)),
    batchCpuMs,
    applyCpuShare: sum(batchCpuMs) / sum(batchMs),
    insertsPerCpuSec: perSecond(BATCH, median(batchCpuMs)),
    provePerSec: perSecond(n, prove.ms),
    verifyPerSec: perSecond(n, verify.ms),
    provePerCpuSec: perSecond(n, prove.cpuMs),
    verifyPerCpuSec: perSecond(n, verify.cpuMs),
    proofCpuShare: (prove.cpuMs + verify.cpuMs) / (prove.ms + verify.ms),
    avgProofBytes,
    residentPerKey: residentBytes / prefill,
  };
}

async function peerMpt(c, waitForTurn) {
  const { createMPT, createMerkleProof, verifyMPTWithMerkleProof } = await import('@ethereumjs/mpt');
  gcNow();
  const base = mem();
  const trie = await createMPT();
  let members = [];
  const ops = (w) => w.map(({ key, value }) => ({ type: 'put', key, value }));
  const prefillMs = await timeMs(async () => {
    for (let done = 0; done < c.mptPrefill; done += BATCH) {
      const w = randomWrites(Math.min(BATCH, c.mptPrefill - done));
      await trie.batch(ops(w));
      if (members.length < c.peerProofs) members = members.concat(sample(w, 200));
    }
  });
  gcNow();
  const afterPrefill = mem();
  await waitForTurn(prefillMs);
  const batchMs = [];
  const batchCpuMs = [];
  for (let b = 0; b < c.peerBatches; b++) {
    const o = ops(randomWrites(BATCH));
    const t = await timeCpu(() => trie.batch(o));
    batchMs.push(t.ms);
    batchCpuMs.push(t.cpuMs);
  }
  const n = Math.min(c.peerProofs, members.length);
  const proofs = new Array(n);
  const prove = await timeCpu(async () => {
    for (let i = 0; i < n; i++) proofs[i] = await createMerkleProof(trie, members[i].key);
  });
  const root = trie.root();
  let ok = 0;
  const verify = await timeCpu(async () => {
    for (let i = 0; i < n; i++) {
      const v = await verifyMPTWithMerkleProof(trie, root, members[i].key, proofs[i]);
      if (v && Buffer.compare(Buffer.from(v), Buffer.from(members[i].value)) === 0) ok++;
    }
  });
  if (ok !== n) throw new Error(`only ${ok} of ${n} mpt proofs verified`);
  const avgProofBytes = proofs.reduce((s, p) => s + p.reduce((t, node) => t + node.length, 0), 0) / n;
  return peerResult(
    'ethereumjs-mpt',
    c.mptPrefill,
    { prefillMs, batchMs, batchCpuMs, n, prove, verify, avgProofBytes },
    resident(afterPrefill) - resident(base),
  );
}

// ---- child side ------------------------------------------------------------------------------

async function child(phase, c) {
  profileDir = c.profileDir;
  const send = (m) => new Promise((resolve) => process.send(m, resolve));
  // Peers: report "prefilled", then wait for the parent's go before measuring.
  const waitForTurn = async (prefillMs) => {
    const go = new Promise((resolve) => process.once('message', resolve));
    await send({ type: 'ready', prefillMs });
    await go;
  };
  let result;
  if (phase === 'weft-mem') result = await phaseWeftMem(c);
  else if (phase === 'weft-memory') result = await phaseWeftMemory(c);
  else if (phase === 'weft-lmdb') result = await phaseWeftLmdb(c);
  else if (phase === 'weft-pages') result = await phaseWeftPages(c);
  else if (phase === 'peer-zk') result = await peerZk(c, waitForTurn);
  else if (phase === 'peer-mpt') result = await peerMpt(c, waitForTurn);
  else throw new Error(`unknown phase ${phase}`);
  if (profileDir) result.profiles = profiles;
  await send({ type: 'result', result });
  process.disconnect();
}

// ---- parent side -----------------------------------------------------------------------------

function startChild(phase, c) {
  const cp = fork(self, ['--child', phase, JSON.stringify(c)], {
    execArgv: ['--expose-gc', '--max-old-space-size=8192'],
    serialization: 'advanced',
  });
  const messages = [];
  const waiters = [];
  cp.on('message', (m) => {
    const w = waiters.shift();
    if (w) w.resolve(m);
    else messages.push(m);
  });
  const failed = new Promise((_, reject) => {
    cp.on('exit', (code, signal) => {
      const err = new Error(`bench phase ${phase} exited (${code ?? signal}) before reporting`);
      for (const w of waiters.splice(0)) w.reject(err);
      reject(err);
    });
  });
  failed.catch(() => undefined);
  return {
    next(type) {
      const got = messages.shift();
      const p = got
        ? Promise.resolve(got)
        : new Promise((resolve, reject) => {
            waiters.push({ resolve, reject });
          });
      return p.then((m) => {
        if (m.type !== type) throw new Error(`bench phase ${phase}: expected ${type}, got ${m.type}`);
        return m;
      });
    },
    go: () => cp.send({ type: 'go' }),
    exited: new Promise((resolve) => cp.on('exit', resolve)),
  };
}

async function runPhase(phase, c) {
  const ch = startChild(phase, c);
  const { result } = await ch.next('result');
  await ch.exited;
  return result;
}

const ratio = (a, b) => `${fmt(a / b, 1)}x`;
const verdict = (ok) => (ok ? 'meets' : 'MISSES');

function gitState() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/smt', 'src/crypto'], {
      encoding: 'utf8',
    }).trim();
    return { head, srcDirty: dirty.length > 0 };
  } catch {
    return { head: 'unknown', srcDirty: undefined };
  }
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  const c = configFor(quick, flags);
  const onlyFlag = flags.find((f) => f.startsWith('--only='));
  const only = onlyFlag ? onlyFlag.slice(7).split(',') : PHASES;
  if (c.profile) c.profileDir = mkdtempSync(join(os.tmpdir(), 'weft-smt-prof-'));
  const started = Date.now();
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  console.log(
    `${quick ? 'quick run' : 'full run'} · ${cpu} · ${os.cpus().length} cores · node ${process.version}`,
  );
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );

  const out = { mode: quick ? 'quick' : 'full', config: c, git: gitState(), loadAvgStart: os.loadavg() };
  if (only.includes('weft-mem')) out.weftMem = await runPhase('weft-mem', c);
  if (only.includes('weft-memory')) out.weftMemory = await runPhase('weft-memory', c);
  if (only.includes('weft-lmdb')) out.weftLmdb = await runPhase('weft-lmdb', c);
  if (only.includes('weft-pages')) out.weftPages = await runPhase('weft-pages', c);
  if (only.includes('peers')) {
    log(
      `prefilling peers concurrently: zk-kit-smt ${fmt(c.zkPrefill)} keys, ethereumjs-mpt ${fmt(c.mptPrefill)} keys`,
    );
    const zk = startChild('peer-zk', c);
    const mpt = startChild('peer-mpt', c);
    const [zr, mr] = await Promise.all([zk.next('ready'), mpt.next('ready')]);
    log(`peers prefilled: zk-kit ${fmt(zr.prefillMs / 1000, 1)} s, mpt ${fmt(mr.prefillMs / 1000, 1)} s`);
    zk.go();
    out.zk = (await zk.next('result')).result;
    await zk.exited;
    mpt.go();
    out.mpt = (await mpt.next('result')).result;
    await mpt.exited;
  }
  out.elapsedMs = Date.now() - started;
  out.loadAvgEnd = os.loadavg();
  report(out);
  if (c.profileDir) printProfiles(out, c.profileDir);
  // A partial or profiled run never overwrites the full run's record.
  const partial =
    onlyFlag !== undefined || c.profile || flags.some((f) => /^--[a-z-]+=/.test(f) && f !== onlyFlag);
  writeResults(`smt${quick ? '-quick' : ''}${partial ? '-partial' : ''}`, out);
}

function printProfiles(out, dir) {
  for (const phase of [out.weftMem, out.weftLmdb]) {
    for (const [name, p] of Object.entries(phase?.profiles ?? {})) {
      console.log(`\nprofile ${name} (${fmt(p.samples)} samples; timings above are inflated by profiling)`);
      const entries = Object.entries(p.byEntry).map(([e, v]) => `${e} ${fmt(v, 1)}%`);
      console.log(`inclusive, by outermost entry on the stack: ${entries.join(', ')}`);
      table(
        ['self %', 'function'],
        p.top.map((t) => [fmt(t.pct, 1), t.fn]),
      );
    }
  }
  console.log(`\nCPU profiles (.cpuprofile, measured sections only) in ${dir}`);
}

function report(out) {
  const { weftMem: wm, weftMemory: mm, weftLmdb: wl, weftPages: wp, zk, mpt } = out;
  const rows = [];
  const range = (ms) => `${fmt(Math.min(...ms), 0)}-${fmt(Math.max(...ms), 0)}`;
  if (wm) {
    rows.push([
      `weft, in memory`,
      fmt(wm.prefill),
      fmt(wm.medianBatchMs, 1),
      range(wm.batchMs),
      fmt(wm.insertsPerSec),
      fmt(wm.insertsPerCpuSec),
      fmt(wm.applyCpuShare, 2),
    ]);
    rows.push([
      `weft, in memory incl. prune after each batch`,
      fmt(wm.prefill),
      fmt(median(wm.batchMs.map((ms, i) => ms + wm.pruneMs[i])), 1),
      range(wm.batchMs.map((ms, i) => ms + wm.pruneMs[i])),
      fmt(perSecond(BATCH, median(wm.batchMs.map((ms, i) => ms + wm.pruneMs[i])))),
      '',
      '',
    ]);
  }
  if (wl) {
    rows.push([
      `weft, LMDB (durable commit, await each)`,
      fmt(wl.prefill),
      fmt(wl.medianBatchMs, 1),
      range(wl.batchMs),
      fmt(wl.insertsPerSec),
      '',
      '',
    ]);
    rows.push([
      `weft, LMDB incl. prune after each batch`,
      fmt(wl.prefill),
      fmt(BATCH / (wl.withPruneInsertsPerSec / 1000), 1),
      range(wl.batchMs.map((ms, i) => ms + wl.pruneMs[i])),
      fmt(wl.withPruneInsertsPerSec),
      '',
      '',
    ]);
    if (wl.pipelined) {
      rows.push([
        `weft, LMDB pipelined (next batch computed during commit)`,
        fmt(wl.prefill),
        fmt(wl.pipelined.ms / wl.pipelined.batches, 1),
        `${wl.pipelined.batches} batches`,
        fmt(wl.pipelined.insertsPerSec),
        '',
        '',
      ]);
    }
  }
  for (const p of [zk, mpt]) {
    if (p)
      rows.push([
        `${p.peer}, in memory (prefill ${fmt(p.prefill)})`,
        fmt(p.prefill),
        fmt(p.medianBatchMs, 1),
        range(p.batchMs),
        fmt(p.insertsPerSec),
        fmt(p.insertsPerCpuSec),
        fmt(p.applyCpuShare, 2),
      ]);
  }
  if (rows.length > 0) {
    console.log(`\n10,000 random 32-byte keys (32-byte values) into a prefilled tree (median batch)`);
    table(['tree', 'prefill keys', 'median ms', 'range ms', 'inserts/s', 'per CPU-s', 'cpu/wall'], rows);
  }

  if (wm || zk || mpt) {
    const pr = [];
    if (wm) {
      const w = wm.proofs.runs;
      for (const [label, g, v, bytes] of [
        ['weft (member)', w.memberProve, w.memberVerify, fmt(wm.proofs.avgProofBytes)],
        ['weft (absent key)', w.absentProve, w.absentVerify, ''],
      ]) {
        pr.push([
          label,
          fmt(g.perSec),
          fmt(v.perSec),
          fmt(g.perCpuSec),
          fmt(v.perCpuSec),
          bytes,
          `${fmt(g.cpuShare, 2)}; ${fmt(v.cpuShare, 2)}`,
        ]);
      }
      pr.push(['weft (async prove())', fmt(wm.proofs.asyncProvePerSec), '', '', '', '', '']);
    }
    for (const p of [zk, mpt]) {
      if (p)
        pr.push([
          `${p.peer} (prefill ${fmt(p.prefill)})`,
          fmt(p.provePerSec),
          fmt(p.verifyPerSec),
          fmt(p.provePerCpuSec),
          fmt(p.verifyPerCpuSec),
          fmt(p.avgProofBytes),
          fmt(p.proofCpuShare, 2),
        ]);
    }
    console.log(`\nsingle-key proofs, one core (weft: median of ${REPEATS} runs)`);
    table(['tree', 'generated/s', 'verified/s', 'gen/CPU-s', 'ver/CPU-s', 'bytes/proof', 'cpu/wall'], pr);
  }
  if (wm) {
    console.log(
      `\nmultiproof, ${fmt(wm.multi.keys)} keys: ${fmt(wm.multi.multiBytes)} B vs ${fmt(wm.multi.singleBytes)} B` +
        ` as single proofs (${fmt(wm.multi.ratio, 2)}x smaller); proveMany ${fmt(wm.multi.proveMs, 1)} ms,` +
        ` verify ${fmt(wm.multi.verifyMs, 1)} ms`,
    );
  }
  if (mm) {
    console.log(`\nresident memory, in memory tree pruned to its newest version (after GC)`);
    table(
      ['measure', `per added key (${fmt(mm.n1)} -> ${fmt(mm.n2)})`, `per key at ${fmt(mm.n2)}`],
      [
        ['heapUsed + arrayBuffers', fmt(mm.residentPerAddedKey, 1), fmt(mm.residentPerKeyAtN2, 1)],
        ['  of which arrayBuffers', fmt(mm.arrayBuffersPerAddedKey, 1), ''],
        ['smt.memoryBytes() (capacity)', fmt(mm.memoryBytesPerAddedKey, 1), fmt(mm.memoryBytesPerKeyAtN2, 1)],
        ['rss', fmt(mm.rssPerAddedKey, 1), ''],
        ['live nodes per key', '', fmt(mm.nodesPerKeyAtN2, 2)],
      ],
    );
    const pk = [zk, mpt]
      .filter(Boolean)
      .map((p) => `${p.peer} ${fmt(p.residentPerKey)} B/key (whole tree, ${fmt(p.prefill)} keys)`);
    if (pk.length) console.log(`peers: ${pk.join('; ')}`);
  }
  if (wl) {
    console.log(
      `\ndisk: ${fmt(wl.bytesPerKey, 1)} B/key in use (${fmt(wl.usage.bytes / 2 ** 20, 1)} MiB for ${fmt(wl.keys)} keys,` +
        ` ${fmt(wl.usage.pages)} page records, pruned to the newest version); data.mdb file ${fmt(wl.fileBytesPerKey, 1)} B/key;` +
        ` reopen (Smt.open reads the newest version) ${fmt(wl.reopenMs / 1000, 2)} s (CPU ${fmt(wl.reopenCpuMs / 1000, 2)} s); median prune ${fmt(wl.medianPruneMs, 0)} ms`,
    );
    const pb = wl.perBatch;
    console.log(
      `LMDB per 10k batch (mean): ${fmt(pb.pages)} page records (${fmt(pb.pageBytes / 2 ** 20, 1)} MiB) and` +
        ` ${fmt(pb.leaves ?? 0)} leaf records (${fmt((pb.leafBytes ?? 0) / 2 ** 20, 1)} MiB) handed to` +
        ` the store, ${fmt(pb.staleEntries)} stale entries; store.commit resolves in ${fmt(pb.commitMs, 0)} ms` +
        ` (of ${fmt(wl.medianBatchMs, 0)} ms median apply); store.prune ${fmt(pb.storePruneMs, 0)} ms` +
        ` (of ${fmt(wl.medianPruneMs, 0)} ms median Smt.prune); CPU, all threads, apply + prune:` +
        ` ${fmt(wl.medianCpuMs, 0)} ms`,
    );
  }
  if (wp) {
    console.log(
      `\nLMDB page size (tree levels per record), prefill ${fmt(wp[0].prefill)} keys, median of ${wp[0].batchMs.length} batches`,
    );
    table(
      [
        'levels',
        'inserts/s',
        'incl. prune',
        'CPU ms/batch',
        'B/key in use',
        'file B/key',
        'records',
        'records/batch',
        'MiB/batch',
      ],
      wp.map((r) => [
        String(r.pageLevels),
        fmt(r.insertsPerSec),
        fmt(r.withPruneInsertsPerSec),
        fmt(r.medianCpuMs, 0),
        fmt(r.bytesPerKey, 1),
        fmt(r.fileBytesPerKey, 1),
        fmt(r.usage.pages),
        fmt(r.perBatch.pages),
        fmt(r.perBatch.pageBytes / 2 ** 20, 1),
      ]),
    );
  }

  const checks = [];
  if (wm) {
    checks.push([
      'in memory inserts/s',
      fmt(wm.insertsPerSec),
      `>= ${fmt(TARGETS.memInsertsPerSec)}`,
      verdict(wm.insertsPerSec >= TARGETS.memInsertsPerSec),
      `${ratio(wm.insertsPerSec, TARGETS.memInsertsPerSec)} of target; stretch ${fmt(TARGETS.memStretchPerSec)}: ${ratio(wm.insertsPerSec, TARGETS.memStretchPerSec)}`,
    ]);
    for (const p of [zk, mpt].filter(Boolean)) {
      const sameSize = p.prefill === wm.prefill;
      const r = wm.insertsPerSec / p.insertsPerSec;
      const rc = wm.insertsPerCpuSec / p.insertsPerCpuSec;
      checks.push([
        `weft/${p.peer} inserts`,
        `${fmt(r, 1)}x`,
        `>= ${TARGETS.memVsPeer}x`,
        verdict(r >= TARGETS.memVsPeer),
        `${sameSize ? 'same prefill' : `peer prefilled with ${fmt(p.prefill)}, weft with ${fmt(wm.prefill)}`};` +
          ` per CPU-second ${fmt(rc, 1)}x`,
      ]);
      checks.push([
        `weft/${p.peer} proofs generated`,
        ratio(wm.proofs.memberProvePerSec, p.provePerSec),
        '',
        '',
        `per CPU-second ${ratio(wm.proofs.memberProvePerCpuSec, p.provePerCpuSec)}`,
      ]);
      checks.push([
        `weft/${p.peer} proofs verified`,
        ratio(wm.proofs.memberVerifyPerSec, p.verifyPerSec),
        '',
        '',
        `per CPU-second ${ratio(wm.proofs.memberVerifyPerCpuSec, p.verifyPerCpuSec)}`,
      ]);
    }
  }
  if (wl) {
    checks.push([
      'LMDB inserts/s (await each)',
      fmt(wl.insertsPerSec),
      `>= ${fmt(TARGETS.lmdbInsertsPerSec)}`,
      verdict(wl.insertsPerSec >= TARGETS.lmdbInsertsPerSec),
      `${ratio(wl.insertsPerSec, TARGETS.lmdbInsertsPerSec)} of target`,
    ]);
    if (wl.pipelined) {
      checks.push([
        'LMDB inserts/s (pipelined)',
        fmt(wl.pipelined.insertsPerSec),
        `>= ${fmt(TARGETS.lmdbInsertsPerSec)}`,
        verdict(wl.pipelined.insertsPerSec >= TARGETS.lmdbInsertsPerSec),
        `${ratio(wl.pipelined.insertsPerSec, TARGETS.lmdbInsertsPerSec)} of target`,
      ]);
    }
    for (const p of [zk, mpt].filter(Boolean)) {
      checks.push([`weft LMDB/${p.peer} in memory`, ratio(wl.insertsPerSec, p.insertsPerSec), '', '', '']);
    }
  }
  if (wm) {
    checks.push([
      'proofs generated/s',
      fmt(wm.proofs.memberProvePerSec),
      `>= ${fmt(TARGETS.provesPerSec)}`,
      verdict(wm.proofs.memberProvePerSec >= TARGETS.provesPerSec),
      `${ratio(wm.proofs.memberProvePerSec, TARGETS.provesPerSec)} of target`,
    ]);
    checks.push([
      'proofs verified/s',
      fmt(wm.proofs.memberVerifyPerSec),
      `>= ${fmt(TARGETS.verifiesPerSec)}`,
      verdict(wm.proofs.memberVerifyPerSec >= TARGETS.verifiesPerSec),
      `${ratio(wm.proofs.memberVerifyPerSec, TARGETS.verifiesPerSec)} of target`,
    ]);
  }
  if (mm) {
    checks.push([
      'resident B per added key',
      fmt(mm.residentPerAddedKey, 1),
      `<= ${TARGETS.residentBytesPerKey}`,
      verdict(mm.residentPerAddedKey <= TARGETS.residentBytesPerKey),
      `${ratio(mm.residentPerAddedKey, TARGETS.residentBytesPerKey)} of budget`,
    ]);
  }
  if (checks.length > 0) {
    console.log(`\nratios and targets`);
    table(['figure', 'value', 'target', 'verdict', 'note'], checks);
  }
  out.targets = TARGETS;
  out.checks = checks.map(([figure, value, target, v, note]) => ({
    figure,
    value,
    target,
    verdict: v,
    note,
  }));
  console.log(
    `\nelapsed ${fmt(out.elapsedMs / 1000, 0)} s; load average at end ${out.loadAvgEnd.map((x) => x.toFixed(2)).join(' ')}`,
  );
}

// Child process entry: `node --expose-gc bench/smt.bench.mjs --child PHASE CONFIG_JSON`.
if (process.argv[1] === self && process.argv[2] === '--child') {
  child(process.argv[3], JSON.parse(process.argv[4])).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
