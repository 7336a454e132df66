// `weft demo`: several durable domains in one process, tokens minted on each, many concurrent
// transfers around the ring, and a summary whose supply check reads the domains' trees.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeyPair, keyPairFromSeed, toHex } from '../crypto/index.js';
import type { Domain } from '../domain/index.js';
import { InProcessBus } from '../net/index.js';
import { type FollowPolicy, SyncRouter } from '../node/index.js';
import { commitment, nullifier, type ResourceParts } from '../resource/index.js';
import { LmdbTransferStore, openDomainNode } from '../store/index.js';
import { GlobalRoot, modeTrust, VERIFICATION_MODE_DEFAULT, type VerificationMode } from '../sync/index.js';
import { TransferDriver, type TransferHandle } from '../transfer/index.js';
import { mintTx, type Transaction } from '../tx/index.js';
import { DEMO_BOUND_RATIO_MIN, DEMO_BOUND_TXS, type DomainBound, measureDomainBound } from './demoBound.js';
import type { DemoLive } from './demoServe.js';

export const DEMO_USAGE = `usage: weft demo [options]

Starts several domains in one process, each a durable node with LMDB under a data directory,
mints tokens on every domain, moves them around the ring (domain i -> i+1) with many concurrent
cross-domain transfers, and prints a summary: balances per domain, transfers confirmed and
failed, whether total supply is conserved (checked against each domain's tree), the global root,
the transfer phase's time and transfers per second, and the whole run's wall time. Then it
measures one domain's tx/s (same kind of store, signatures inline, ${DEMO_BOUND_TXS.toLocaleString('en-US')} transfers on a
fresh domain) and prints the transfers/s next to that bound: domain tx/s ÷ 2, as a transfer is
two transactions on two domains. Each domain follows (verifies the blocks of) only its two ring
neighbours, the domains it has transfers with, in every mode.

options:
  --domains N      number of domains, 2..16 (default 3)
  --transfers N    number of transfers, 1..100000 (default 300)
  --seed S         seed for keys, amounts and nonces (default "weft"): same seed, same
                   resources and transfers (block timestamps still come from the clock)
  --data-dir DIR   where the nodes keep their stores (default: a new temporary directory,
                   removed afterwards); must not already hold data
  --mode M         how domains verify each other's blocks: full (default: re-execute every
                   transaction, so a lying domain cannot mint on others), transition (check the
                   writes' proof only) or signatures (check the key set's signatures only); a
                   weaker mode prints one line saying what it trusts
  --loss P         drop each transport message with probability P, 0..0.5 (default 0)
  --dup P          deliver each transport message twice with probability P, 0..0.5 (default 0)
                   (losses are repaired by re-announcement and gap filling; duplicates are
                   refused as replays: the summary still checks every transfer landed once)
  --no-bound       skip measuring the domain bound (it adds about a second; in full mode
                   it also times a full-mode follower of its blocks: the mode's cap)
  --json           print the summary as one JSON object on stdout (progress goes to stderr)
  --serve          after the summary, keep the network running (blocks, a new transfer every
                   second) with every domain's API and the dashboard on 127.0.0.1, print the
                   dashboard's URL, and run until Ctrl-C
  --port N         with --serve: the first domain's API port (the others follow); default: free ports
  --help           show this text`;

export type DemoOptions = {
  domains: number;
  transfers: number;
  seed: string;
  dataDir?: string;
  json: boolean;
  loss: number;
  dup: number;
  /** how the domains verify each other's blocks (default `full`) */
  mode: VerificationMode;
  /** keep serving after the summary (`--serve`); port 0 picks free ports */
  serve?: { port: number };
  /**
   * who each domain follows (library only, for the scale benchmark's before/after): `interested`
   * (its ring neighbours, on demand; the default in every mode — in `full` mode the claims a
   * neighbour's blocks carry from a domain not followed are vouched for by that domain itself:
   * docs/sync.md, "Interest and full verification") or `everyone` (every other domain)
   */
  follow?: FollowPolicy;
  /** after the run, measure one domain's tx/s for the bound (the CLI's default; not with --serve) */
  measureBound?: boolean;
  /** transfers in flight at most (default DEMO_IN_FLIGHT_MAX; smaller in tests of the window) */
  inFlightMax?: number;
};

/** How often the router re-announces every domain's tip, with --loss or --serve only (ms). */
export const DEMO_REANNOUNCE_EVERY_MS = 100;

/** Transactions submitted per block while minting: one block's worth (4 batches of 250). */
export const DEMO_CHUNK_TXS = 1_000;

/**
 * Transfers in flight at once: a block's worth of moves per domain of the default three. Runs up to
 * this many start every transfer at once, as before; larger ones top the window up every round.
 */
export const DEMO_IN_FLIGHT_MAX = 3_000;

/** Who each demo domain follows: its ring neighbours, on demand, in every mode. */
export const DEMO_FOLLOW_DEFAULT: FollowPolicy = 'interested';

/** A bound on sealing rounds, so a transfer that can never land cannot keep the demo running. */
export const DEMO_ROUNDS_MAX = 10_000;

export type DemoSummary = {
  domains: { name: string; height: string; stateRoot: string; balance: string }[];
  mode: VerificationMode;
  /** who each domain followed (DEMO_FOLLOW_DEFAULT unless the library caller chose) */
  follow: FollowPolicy;
  transfersRequested: number;
  transfersConfirmed: number;
  transfersFailed: number;
  supplyMinted: string;
  supplyFound: string;
  supplyConserved: boolean;
  globalRoot: string;
  /** the most transfers in flight at once (at most the window, DEMO_IN_FLIGHT_MAX) */
  inFlightPeak: number;
  /** messages the transport dropped and duplicated (faults from --loss and --dup) */
  transport: { sent: number; dropped: number; duplicated: number };
  /**
   * root updates the domains accepted from each other, and messages they refused: an honest run
   * refuses none (a duplicated delivery is skipped as a replay, not refused; a lost one is repaired)
   */
  sync: { accepted: number; refused: number };
  /** the transfer phase: from starting the transfers to the last one ending */
  seconds: number;
  /** confirmed transfers per second of the transfer phase */
  transfersPerSecond: number;
  /** the whole run: opening the stores, minting, transfers, the summary's checks, closing */
  wallSeconds: number;
  /** the whole run by step, seconds: opening the stores, minting, transfers, summary, closing */
  steps: { open: number; mint: number; transfers: number; summary: number; close: number };
  dataDir: string;
  /**
   * Issue 17.2, measured after the run (and not counted in wallSeconds): one domain's tx/s, half
   * of it as the transfers/s bound, and transfersPerSecond over that bound (target ≥ 0.5).
   */
  bound?: DomainBound & { ofBound: number; ofBoundMin: number };
};

/** Parses demo flags; returns an error message for anything it does not understand. */
export function parseDemoArgs(args: string[]): DemoOptions | { error: string } | 'help' {
  const out: DemoOptions = {
    domains: 3,
    transfers: 300,
    seed: 'weft',
    json: false,
    loss: 0,
    dup: 0,
    mode: VERIFICATION_MODE_DEFAULT,
    measureBound: true,
  };
  let serve = false;
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (name: string, min: number, max: number) => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max)
        throw new Error(`${name} must be a whole number from ${min} to ${max}, got '${v}'`);
      return n;
    };
    try {
      if (a === '--help' || a === '-h') return 'help';
      else if (a === '--json') out.json = true;
      else if (a === '--serve') serve = true;
      else if (a === '--no-bound') out.measureBound = false;
      else if (a === '--port') port = int('--port', 1, 65_535 - 16);
      else if (a === '--domains') out.domains = int('--domains', 2, 16);
      else if (a === '--transfers') out.transfers = int('--transfers', 1, 100_000);
      else if (a === '--seed') out.seed = value();
      else if (a === '--mode') {
        const v = value();
        if (v !== 'full' && v !== 'transition' && v !== 'signatures')
          throw new Error(`--mode must be full, transition or signatures, got '${v}'`);
        out.mode = v;
      } else if (a === '--loss' || a === '--dup') {
        const v = value();
        const p = Number(v);
        if (!/^\d*\.?\d+$/.test(v) || p < 0 || p > 0.5)
          throw new Error(`${a} must be a probability from 0 to 0.5, got '${v}'`);
        if (a === '--loss') out.loss = p;
        else out.dup = p;
      } else if (a === '--data-dir') out.dataDir = value();
      else return { error: `unknown option '${a}'` };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
  if (port !== undefined && !serve) return { error: '--port needs --serve' };
  if (serve) out.serve = { port: port ?? 0 };
  if (serve) out.measureBound = false;
  return out;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function seeded(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32)
      out.set(digest(`${seed}/${counter++}`).subarray(0, Math.min(32, n - off)), off);
    return out;
  };
}

/** 0 -> a, 25 -> z, 26 -> aa, ...: the demo's domain names. */
function letters(i: number): string {
  const head = i >= 26 ? letters(Math.floor(i / 26) - 1) : '';
  return head + String.fromCharCode(97 + (i % 26));
}

type Coin = ResourceParts & { nk: Uint8Array; owner: KeyPair };
type Started = { handle: TransferHandle; from: number; to: number; coin: Coin };

/** The demo's network: durable nodes, the bus between them, the router and one driver. */
type DemoNet = {
  nodes: Awaited<ReturnType<typeof openDomainNode>>[];
  domains: Domain[];
  bus: InProcessBus;
  router: SyncRouter;
  driver: TransferDriver;
  transfers: LmdbTransferStore;
  key: (type: 'secp256k1' | 'ed25519', name: string) => KeyPair;
  random: (n: number) => Uint8Array;
};

/** Runs the demo; `progress` gets a line of text to redraw. Returns the summary. */
export async function runDemo(
  opts: DemoOptions,
  progress: (line: string, final?: boolean) => void,
  /** with --serve: runs after the summary, the network still up, until it resolves */
  hold?: (summary: DemoSummary, live: DemoLive) => Promise<void>,
): Promise<DemoSummary> {
  const wallStart = performance.now();
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'weft-demo-'));
  if (!ownsDir && existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`--data-dir ${dataDir} already holds data; give an empty or new directory`);
  }
  const trust = modeTrust(opts.mode);
  if (trust) progress(trust, true);
  const net = await openDemoNet(opts, dataDir);
  const opened = performance.now();
  let summary: DemoSummary;
  let closing = 0;
  try {
    progress('minting...');
    const { coins, minted } = await mintCoins(net, opts.transfers);
    const start = performance.now();
    const { started, inFlightPeak } = await runTransfers(net, coins, opts, (done, total) =>
      progress(bar(done, total, performance.now() - start)),
    );
    const seconds = (performance.now() - start) / 1000;
    progress(bar(started.length - net.driver.activeCount(), started.length, seconds * 1000), true);
    const summaryStart = performance.now();
    const tally = summarize(net, started);
    const global = new GlobalRoot();
    await global.update(net.domains.map((d) => ({ domainId: d.id, root: d.stateRoot })));
    const stats = net.bus.stats();
    summary = {
      domains: net.domains.map((d, i) => ({
        name: d.name,
        height: d.committedHeight.toString(),
        stateRoot: toHex(d.stateRoot),
        balance: tally.balances[i]!.toString(),
      })),
      mode: opts.mode,
      follow: opts.follow ?? DEMO_FOLLOW_DEFAULT,
      transfersRequested: started.length,
      transfersConfirmed: tally.confirmed,
      transfersFailed: tally.failed,
      supplyMinted: minted.toString(),
      supplyFound: tally.found.toString(),
      supplyConserved: tally.found === minted,
      globalRoot: toHex(global.root()),
      inFlightPeak,
      transport: { sent: stats.sent, dropped: stats.dropped, duplicated: stats.duplicated },
      sync: { accepted: net.router.counters().accepted, refused: net.router.counters().refused },
      seconds: Math.round(seconds * 1000) / 1000,
      transfersPerSecond: Math.round((tally.confirmed / seconds) * 10) / 10,
      wallSeconds: Math.round(performance.now() - wallStart) / 1000,
      steps: {
        open: secondsBetween(wallStart, opened),
        mint: secondsBetween(opened, start),
        transfers: secondsBetween(start, summaryStart),
        summary: secondsBetween(summaryStart, performance.now()),
        close: 0,
      },
      dataDir: ownsDir ? '(temporary, removed)' : dataDir,
    };
    if (hold) {
      const { domains, router, driver, bus, random } = net;
      const coins = heldCoins(net, started);
      await hold(summary, {
        domains,
        router,
        driver,
        quiet: () => bus.idle(),
        coins,
        random,
        mode: opts.mode,
      });
    }
  } finally {
    closing = performance.now();
    net.router.close();
    await net.bus.close();
    for (const n of net.nodes) await n.close();
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  }
  if (!hold) {
    summary.steps.close = secondsBetween(closing, performance.now());
    summary.wallSeconds = Math.round(performance.now() - wallStart) / 1000;
  }
  if (opts.measureBound === true && !hold) {
    progress('measuring the domain bound...', true);
    const bound = await measureDomainBound({
      operator: net.key('secp256k1', 'domain-a'),
      issuer: net.key('ed25519', 'issuer'),
      owners: Array.from({ length: 16 }, (_, i) => net.key('ed25519', `user-${i}`)),
      random: seeded(`demo/${opts.seed}/bound`),
      // In full mode each block's followers re-validate it: what that allows at best.
      ...(opts.mode === 'full' ? { followerFull: { followers: followersPerBlock(opts) } } : {}),
    });
    summary.bound = {
      ...bound,
      ofBound: Math.round((summary.transfersPerSecond / bound.transfersPerSecondBound) * 1000) / 1000,
      ofBoundMin: DEMO_BOUND_RATIO_MIN,
    };
  }
  return summary;
}

/** Opens one durable node per domain under `dataDir`, wired over a seeded in-process bus. */
async function openDemoNet(opts: DemoOptions, dataDir: string): Promise<DemoNet> {
  const random = seeded(`demo/${opts.seed}`);
  const key = (type: 'secp256k1' | 'ed25519', name: string) =>
    keyPairFromSeed(type, digest(`demo/${opts.seed}/key/${name}`));
  const names = Array.from({ length: opts.domains }, (_, i) => `domain-${letters(i)}`);
  const nodes = [];
  for (const name of names) {
    nodes.push(
      await openDomainNode(join(dataDir, name), {
        signers: [key('secp256k1', name)],
        create: { name, limits: { mempoolTxsMax: 200_000 } },
      }),
    );
  }
  const domains = nodes.map((n) => n.domain);
  const bus = new InProcessBus({
    seed: opts.seed,
    dropProbability: opts.loss,
    duplicateProbability: opts.dup,
  });
  // Each domain follows only the domains it has transfers with (its ring neighbours), added as the
  // transfers are planned: what a domain receives does not grow with the ring. In full mode the
  // claims a neighbour's blocks carry from a domain not followed are vouched for by that domain
  // itself (docs/sync.md, "Interest and full verification").
  const router = new SyncRouter({
    endpoint: (id) => bus.endpoint(id),
    // Every seal is announced as it happens; the periodic re-announcement only repairs what a
    // lossy transport dropped. Without --loss it re-sent the latest block (every transaction, in
    // full mode) to every domain every 100 ms, which each re-decoded and re-verified: work that
    // grew with the run's wall time times the block size (issue 17.7).
    announceEveryMs: opts.loss > 0 || opts.serve ? DEMO_REANNOUNCE_EVERY_MS : 0,
    mode: opts.mode,
    follow: opts.follow ?? DEMO_FOLLOW_DEFAULT,
  });
  for (const d of domains) router.join(d);
  const transfers = new LmdbTransferStore(nodes[0]!.node);
  const driver = new TransferDriver(transfers, undefined, undefined, null, router.viewExpiry(), {
    follow: (from, to) => router.followEachOther(from, to),
  });
  for (const d of domains) driver.addDomain(d);
  return { nodes, domains, bus, router, driver, transfers, key, random };
}

/** Mints one coin per transfer, spread over domains and users, and seals them in. */
async function mintCoins(
  net: DemoNet,
  count: number,
): Promise<{ coins: { at: number; coin: Coin }[]; minted: bigint }> {
  const { domains, key, random } = net;
  const issuer = key('ed25519', 'issuer');
  const users = Array.from({ length: 16 }, (_, i) => key('ed25519', `user-${i}`));
  const coins: { at: number; coin: Coin }[] = [];
  let minted = 0n;
  const mintTxs = domains.map(() => [] as Transaction[]);
  for (let i = 0; i < count; i++) {
    const at = i % domains.length;
    const owner = users[i % users.length]!;
    const quantity = BigInt(1 + ((random(2)[0]! * 256 + random(1)[0]!) % 1000));
    const m = mintTx({
      issuer,
      symbol: 'WEFT',
      owner: owner.publicKey,
      quantity,
      home: domains[at]!.id,
      random,
    });
    minted += quantity;
    coins.push({ at, coin: { ...m.coin, owner } });
    mintTxs[at]!.push(m.tx);
  }
  // One block's worth at a time: every sealed block writes a checkpoint of the domain's state,
  // mempool included, so a mempool holding every mint made minting quadratic (issue 17.7).
  for (const [i, d] of domains.entries()) {
    for (let k = 0; k < mintTxs[i]!.length; k += DEMO_CHUNK_TXS) {
      await d.submitMany(mintTxs[i]!.slice(k, k + DEMO_CHUNK_TXS));
      while (d.mempoolSize > 0) await d.sealBlock();
    }
  }
  return { coins, minted };
}

/** Starts every transfer around the ring at once and seals blocks until all have ended. */
async function runTransfers(
  net: DemoNet,
  coins: { at: number; coin: Coin }[],
  opts: DemoOptions,
  onRound: (done: number, total: number) => void,
): Promise<{ started: Started[]; inFlightPeak: number }> {
  const { domains, driver, bus, router } = net;
  const started: Started[] = [];
  const peak = { inFlight: 0 };
  // At most DEMO_IN_FLIGHT_MAX transfers at a time, topped up every round: each domain's mempool
  // (which every sealed block checkpoints) stays bounded, so the run is linear in the transfers.
  const inFlightMax = opts.inFlightMax ?? DEMO_IN_FLIGHT_MAX;
  if (!Number.isInteger(inFlightMax) || inFlightMax < 1)
    throw new Error('inFlightMax must be a positive integer');
  const startMore = async () => {
    const from = started.length;
    const room = inFlightMax - driver.activeCount();
    const batch = coins.slice(from, from + Math.max(0, room));
    if (batch.length === 0) return;
    const handles = await driver.transferMany(
      batch.map((c, i) => ({
        from: domains[c.at]!,
        to: domains[(c.at + 1) % domains.length]!,
        resource: c.coin,
        owner: c.coin.owner,
        random: seeded(`demo/${opts.seed}/plan/${from + i}`),
      })),
    );
    for (const [i, handle] of handles.entries()) {
      const c = batch[i]!;
      started.push({ handle, from: c.at, to: (c.at + 1) % domains.length, coin: c.coin });
    }
    peak.inFlight = Math.max(peak.inFlight, driver.activeCount());
  };
  await startMore();
  for (
    let round = 0;
    (driver.activeCount() > 0 || started.length < coins.length) && round < DEMO_ROUNDS_MAX;
    round++
  ) {
    await startMore();
    // The domains seal side by side: one's durable write overlaps the next one's sealing.
    await Promise.all(domains.filter((d) => d.mempoolSize > 0 || round % 4 === 0).map((d) => d.sealBlock()));
    await bus.idle();
    if (opts.loss > 0 && round % 2 === 1) await router.announceAll(); // repair what the transport lost
    await bus.idle();
    await driver.tick();
    onRound(started.length - driver.activeCount(), coins.length);
  }
  return { started, inFlightPeak: peak.inFlight };
}

/**
 * Reads every held coin back from its domain's tree: present and unspent. Linear in the number
 * of transfers: the stored records are read once, not once per transfer.
 */
function summarize(
  net: DemoNet,
  started: Started[],
): { balances: bigint[]; confirmed: number; failed: number; found: bigint } {
  const { domains } = net;
  const records = new Map(net.transfers.list().map((r) => [r.transfer.id, r]));
  const balances = domains.map(() => 0n);
  let confirmed = 0;
  let failed = 0;
  for (const s of started) {
    const t = s.handle.current();
    if (t.phase === 'confirmed') {
      confirmed++;
      const rec = records.get(t.id)!;
      const landed = rec.plan.claim.actions[0]!.created[0]!;
      balances[s.to]! += heldQuantity(domains[s.to]!, landed.resource, rec.plan.moved.nk);
    } else {
      failed++;
      balances[s.from]! += heldQuantity(domains[s.from]!, s.coin.resource, s.coin.nk);
    }
  }
  return { balances, confirmed, failed, found: balances.reduce((a, b) => a + b, 0n) };
}

/** Where each coin is after the run, with what its owner needs to move it again (for --serve). */
function heldCoins(net: DemoNet, started: Started[]): DemoLive['coins'] {
  const records = new Map(net.transfers.list().map((r) => [r.transfer.id, r]));
  return started.map((s) => {
    const t = s.handle.current();
    const rec = records.get(t.id);
    if (t.phase !== 'confirmed' || !rec) return { at: s.from, coin: s.coin };
    const landed = rec.plan.claim.actions[0]!.created[0]!;
    return { at: s.to, coin: { ...landed, nk: rec.plan.moved.nk, owner: s.coin.owner } };
  });
}

/** The quantity of a resource if its domain's tree holds it unspent, else 0. */
function heldQuantity(d: Domain, resource: ResourceParts['resource'], nk: Uint8Array): bigint {
  const present = d.proveCommitment(commitment(resource)).value !== null;
  const spent = d.proveNullifier(nullifier(resource, nk)).value !== null;
  return present && !spent ? resource.quantity : 0n;
}

const secondsBetween = (fromMs: number, toMs: number) => Math.round(toMs - fromMs) / 1000;

function bar(done: number, total: number, ms: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const rate = ms > 0 ? (done / ms) * 1000 : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} transfers confirmed  ${rate.toFixed(0)}/s`;
}

export function formatSummary(s: DemoSummary): string {
  const rows = s.domains.map(
    (d) =>
      `  ${d.name.padEnd(10)} height ${d.height.padStart(5)}  balance ${d.balance.padStart(10)}  root ${d.stateRoot.slice(0, 18)}…`,
  );
  return [
    '',
    'domains',
    ...rows,
    '',
    `transfers        ${s.transfersConfirmed} confirmed, ${s.transfersFailed} failed (of ${s.transfersRequested})`,
    `supply           minted ${s.supplyMinted}, found in the trees ${s.supplyFound}: ${s.supplyConserved ? 'conserved' : 'NOT CONSERVED'}`,
    `global root      ${s.globalRoot}`,
    `transport        ${s.transport.sent} messages, ${s.transport.dropped} dropped, ${s.transport.duplicated} duplicated`,
    `sync             ${s.sync.accepted} root updates accepted, ${s.sync.refused} messages refused`,
    `verification     ${s.mode}`,
    `time             transfers ${s.seconds} s (${s.transfersPerSecond} transfers/s), whole run ${s.wallSeconds} s`,
    `steps            open ${s.steps.open} s, mint ${s.steps.mint} s, transfers ${s.steps.transfers} s, summary ${s.steps.summary} s, close ${s.steps.close} s`,
    ...(s.bound
      ? [
          `bound            one domain ${s.bound.domainTxPerSecond} tx/s (same run) ÷ 2 = ${s.bound.transfersPerSecondBound} transfers/s; this run ${s.bound.ofBound}x of it (target ≥ ${s.bound.ofBoundMin}x)`,
          ...(s.bound.fullModeCap !== undefined
            ? [
                `full-mode cap    a follower re-validates ${s.bound.fullFollowerTxPerSecond} tx/s; with ${followersPerBlock({ domains: s.domains.length, follow: s.follow })} followers of each block a transfer is 2 admissions + ${2 * followersPerBlock({ domains: s.domains.length, follow: s.follow })} follower validations: at most ${s.bound.fullModeCap}x of the bound`,
              ]
            : []),
        ]
      : []),
    `data             ${s.dataDir}`,
  ].join('\n');
}

/**
 * The domains that re-validate each block of the ring: every other under `everyone`, the two ring
 * neighbours (the source and destination of its transfers) under `interested`.
 */
function followersPerBlock(o: { domains: number; follow?: FollowPolicy }): number {
  return (o.follow ?? DEMO_FOLLOW_DEFAULT) === 'everyone' ? o.domains - 1 : Math.min(o.domains - 1, 2);
}
