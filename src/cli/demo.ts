// `weft demo`: several durable domains in one process, tokens minted on each, many concurrent
// transfers around the ring, and a summary whose supply check reads the domains' trees.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeyPair, keyPairFromSeed, toHex } from '../crypto/index.js';
import type { Domain } from '../domain/index.js';
import { InProcessBus } from '../net/index.js';
import { SyncRouter } from '../node/index.js';
import { commitment, nullifier, type ResourceParts } from '../resource/index.js';
import { LmdbTransferStore, openDomainNode } from '../store/index.js';
import { GlobalRoot } from '../sync/index.js';
import { TransferDriver, type TransferHandle } from '../transfer/index.js';
import { mintTx, type Transaction } from '../tx/index.js';

export const DEMO_USAGE = `usage: weft demo [options]

Starts several domains in one process, each a durable node with LMDB under a data directory,
mints tokens on every domain, moves them around the ring (domain i -> i+1) with many concurrent
cross-domain transfers, and prints a summary: balances per domain, transfers confirmed and
failed, whether total supply is conserved (checked against each domain's tree), the global root,
the time taken and transfers per second.

options:
  --domains N      number of domains, 2..16 (default 3)
  --transfers N    number of transfers, 1..100000 (default 300)
  --seed S         seed for keys, amounts and nonces (default "weft"): same seed, same
                   resources and transfers (block timestamps still come from the clock)
  --data-dir DIR   where the nodes keep their stores (default: a new temporary directory,
                   removed afterwards); must not already hold data
  --loss P         drop each transport message with probability P, 0..0.5 (default 0)
  --dup P          deliver each transport message twice with probability P, 0..0.5 (default 0)
                   (losses are repaired by re-announcement and gap filling; duplicates are
                   refused as replays: the summary still checks every transfer landed once)
  --json           print the summary as one JSON object on stdout (progress goes to stderr)
  --help           show this text`;

export type DemoOptions = {
  domains: number;
  transfers: number;
  seed: string;
  dataDir?: string;
  json: boolean;
  loss: number;
  dup: number;
};

export type DemoSummary = {
  domains: { name: string; height: string; stateRoot: string; balance: string }[];
  transfersRequested: number;
  transfersConfirmed: number;
  transfersFailed: number;
  supplyMinted: string;
  supplyFound: string;
  supplyConserved: boolean;
  globalRoot: string;
  /** messages the transport dropped and duplicated (faults from --loss and --dup) */
  transport: { sent: number; dropped: number; duplicated: number };
  seconds: number;
  transfersPerSecond: number;
  dataDir: string;
};

/** Parses demo flags; returns an error message for anything it does not understand. */
export function parseDemoArgs(args: string[]): DemoOptions | { error: string } | 'help' {
  const out: DemoOptions = { domains: 3, transfers: 300, seed: 'weft', json: false, loss: 0, dup: 0 };
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
      else if (a === '--domains') out.domains = int('--domains', 2, 16);
      else if (a === '--transfers') out.transfers = int('--transfers', 1, 100_000);
      else if (a === '--seed') out.seed = value();
      else if (a === '--loss' || a === '--dup') {
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

type Coin = ResourceParts & { nk: Uint8Array; owner: KeyPair };

/** Runs the demo; `progress` gets a line of text to redraw. Returns the summary. */
export async function runDemo(
  opts: DemoOptions,
  progress: (line: string, final?: boolean) => void,
): Promise<DemoSummary> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'weft-demo-'));
  if (!ownsDir && existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`--data-dir ${dataDir} already holds data; give an empty or new directory`);
  }
  const random = seeded(`demo/${opts.seed}`);
  const key = (type: 'secp256k1' | 'ed25519', name: string) =>
    keyPairFromSeed(type, digest(`demo/${opts.seed}/key/${name}`));
  const names = Array.from({ length: opts.domains }, (_, i) => `domain-${String.fromCharCode(97 + i)}`);
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
  const net = new SyncRouter({ endpoint: (id) => bus.endpoint(id), announceEveryMs: 100 });
  for (const d of domains) net.join(d);
  const driver = new TransferDriver(new LmdbTransferStore(nodes[0]!.node));
  for (const d of domains) driver.addDomain(d);
  const issuer = key('ed25519', 'issuer');
  const users = Array.from({ length: 16 }, (_, i) => key('ed25519', `user-${i}`));
  try {
    // Mint one coin per transfer, spread over domains and users.
    progress('minting...');
    const coins: { at: number; coin: Coin }[] = [];
    let minted = 0n;
    const mintTxs = domains.map(() => [] as Transaction[]);
    for (let i = 0; i < opts.transfers; i++) {
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
    for (const [i, d] of domains.entries()) {
      for (let k = 0; k < mintTxs[i]!.length; k += 1000) await d.submitMany(mintTxs[i]!.slice(k, k + 1000));
      while (d.mempoolSize > 0) await d.sealBlock();
    }

    // Transfers around the ring, all started at once; blocks are sealed while they run.
    const start = performance.now();
    const started = await driver.transferMany(
      coins.map((c, j) => ({
        from: domains[c.at]!,
        to: domains[(c.at + 1) % domains.length]!,
        resource: c.coin,
        owner: c.coin.owner,
        random: seeded(`demo/${opts.seed}/plan/${j}`),
      })),
    );
    const handles: { handle: TransferHandle; from: number; to: number; coin: Coin }[] = started.map(
      (handle, j) => ({
        handle,
        from: coins[j]!.at,
        to: (coins[j]!.at + 1) % domains.length,
        coin: coins[j]!.coin,
      }),
    );
    const total = handles.length;
    for (let round = 0; driver.activeCount() > 0 && round < 10_000; round++) {
      for (const d of domains) if (d.mempoolSize > 0 || round % 4 === 0) await d.sealBlock();
      await bus.idle();
      if (opts.loss > 0 && round % 2 === 1) await net.announceAll(); // repair what the transport lost
      await bus.idle();
      await driver.tick();
      const done = total - driver.activeCount();
      progress(bar(done, total, performance.now() - start));
    }
    const seconds = (performance.now() - start) / 1000;
    progress(bar(total - driver.activeCount(), total, seconds * 1000), true);

    // The summary reads every held coin back from its domain's tree: present and unspent.
    const balances = domains.map(() => 0n);
    let confirmed = 0;
    let failed = 0;
    for (const h of handles) {
      const t = h.handle.current();
      if (t.phase === 'confirmed') {
        confirmed++;
        const rec = new LmdbTransferStore(nodes[0]!.node).list().find((r) => r.transfer.id === t.id)!;
        const landed = rec.plan.claim.actions[0]!.created[0]!;
        balances[h.to]! += heldQuantity(domains[h.to]!, landed.resource, rec.plan.moved.nk);
      } else {
        failed++;
        balances[h.from]! += heldQuantity(domains[h.from]!, h.coin.resource, h.coin.nk);
      }
    }
    const found = balances.reduce((a, b) => a + b, 0n);
    const global = new GlobalRoot();
    await global.update(domains.map((d) => ({ domainId: d.id, root: d.stateRoot })));
    return {
      domains: domains.map((d, i) => ({
        name: d.name,
        height: d.committedHeight.toString(),
        stateRoot: toHex(d.stateRoot),
        balance: balances[i]!.toString(),
      })),
      transfersRequested: total,
      transfersConfirmed: confirmed,
      transfersFailed: failed,
      supplyMinted: minted.toString(),
      supplyFound: found.toString(),
      supplyConserved: found === minted,
      globalRoot: toHex(global.root()),
      transport: { sent: bus.stats().sent, dropped: bus.stats().dropped, duplicated: bus.stats().duplicated },
      seconds: Math.round(seconds * 1000) / 1000,
      transfersPerSecond: Math.round((confirmed / seconds) * 10) / 10,
      dataDir: ownsDir ? '(temporary, removed)' : dataDir,
    };
  } finally {
    net.close();
    await bus.close();
    for (const n of nodes) await n.close();
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The quantity of a resource if its domain's tree holds it unspent, else 0. */
function heldQuantity(d: Domain, resource: ResourceParts['resource'], nk: Uint8Array): bigint {
  const present = d.proveCommitment(commitment(resource)).value !== null;
  const spent = d.proveNullifier(nullifier(resource, nk)).value !== null;
  return present && !spent ? resource.quantity : 0n;
}

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
    `time             ${s.seconds} s, ${s.transfersPerSecond} transfers/s`,
    `data             ${s.dataDir}`,
  ].join('\n');
}
