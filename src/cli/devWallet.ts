// The dev wallet of a local network (DIR/wallet.json): the coins `weft up` minted and where each
// one is now. Every read-modify-write of the file happens under DIR/wallet.lock, so two
// `weft transfer` processes never pick the same coin nor lose each other's update.
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { planTransferVia, type WeftClient } from '../api/client.js';
import { equalBytes, fromHex, type KeyPair, keyPairFromSeed, toHex, WeftError } from '../crypto/index.js';
import type { NetworkMember } from '../node/index.js';
import {
  commitment,
  nullifier,
  parseResourceJson,
  type Resource,
  type ResourceParts,
  resourceToJson,
} from '../resource/index.js';
import type { TransferPlan } from '../transfer/index.js';
import { mintTx } from '../tx/index.js';
import { nodeClient } from './nodeClient.js';
import { isPidAlive } from './processes.js';

/** Coins `weft up` mints per domain, and each one's quantity. */
export const WALLET_COINS_PER_DOMAIN = 8;
export const WALLET_COIN_QUANTITY = 100n;
/** How long a wallet user waits for another one's lock before giving up. */
export const WALLET_LOCK_TIMEOUT_MS = 120_000;
/** Pause between two attempts to take the wallet lock. */
const WALLET_LOCK_POLL_MS = 25;
/** Polling interval while waiting for mints to be included. */
const MINT_POLL_MS = 250;
/** How long `weft up` waits for its mints to be included. */
const MINT_TIMEOUT_MS = 30_000;

export const WALLET_FILE = 'wallet.json';
export const WALLET_LOCK_FILE = 'wallet.lock';

type NetworkDir = { dir: string; members: NetworkMember[] };

type WalletCoin = {
  domain: string;
  resource: ReturnType<typeof resourceToJson>;
  value: string;
  label: string;
  nk: string;
};
type WalletFile = { owner: string; coins: WalletCoin[] };

/** What a started transfer spends and creates, in the form `weft proof` takes. */
export type TransferItems = {
  /** the coin's nullifier, written on the source by the move */
  sourceNullifier: string;
  /** the moved resource's commitment, created on the source by the move */
  movedCommitment: string;
  /** the moved resource's nullifier, written on the destination by the claim */
  claimNullifier: string;
  /** the coin the claim creates on the destination */
  landedCommitment: string;
  /** the coin a refund would re-create on the source */
  refundCommitment?: string;
};

export type StartedTransfer = {
  id: string;
  /** the phase the source node answered with (`failed` when it refused the move at once) */
  phase: string;
  plan: TransferPlan;
  client: WeftClient;
  items: TransferItems;
};

const toCoin = (c: WalletCoin): ResourceParts & { nk: Uint8Array } => ({
  resource: parseResourceJson(c.resource),
  value: fromHex(c.value),
  label: fromHex(c.label),
  nk: fromHex(c.nk, 32),
});

const fromCoin = (
  domain: string,
  c: { resource: Resource; value: Uint8Array; label: Uint8Array; nk: Uint8Array },
): WalletCoin => ({
  domain,
  resource: resourceToJson(c.resource),
  value: toHex(c.value),
  label: toHex(c.label),
  nk: toHex(c.nk),
});

function member(net: NetworkDir, name: string): NetworkMember {
  const m = net.members.find((d) => d.name === name);
  if (!m)
    throw new WeftError(
      'BAD_INPUT',
      `no domain '${name}' in ${net.dir}; domains: ${net.members.map((d) => d.name).join(', ')}`,
    );
  return m;
}

function readWallet(dir: string): WalletFile {
  const file = join(dir, WALLET_FILE);
  if (!existsSync(file)) throw new WeftError('NO_WALLET', `no dev wallet in ${dir}: weft up mints one`);
  return JSON.parse(readFileSync(file, 'utf8')) as WalletFile;
}

function writeWallet(dir: string, w: WalletFile): void {
  const file = join(dir, WALLET_FILE);
  // A per-process temporary name: even a writer without the lock never tears another's file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(w, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The PID written in a lock file, or null when it holds none (being written, or garbage). */
function lockOwner(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Runs `f` holding DIR/wallet.lock: created with O_EXCL and holding the owner's PID. A lock whose
 * owner is no longer running (a `weft transfer` killed mid-way) is taken over; a live one is
 * waited for, up to WALLET_LOCK_TIMEOUT_MS (then WALLET_LOCKED).
 */
export async function withWalletLock<T>(
  dir: string,
  f: () => Promise<T>,
  timeoutMs = WALLET_LOCK_TIMEOUT_MS,
): Promise<T> {
  const file = join(dir, WALLET_LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  let unreadableSince: number | null = null;
  for (;;) {
    let fd: number | null = null;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fd !== null) {
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    }
    const owner = lockOwner(file);
    if (owner !== null && !isPidAlive(owner)) {
      // Stale: its owner died holding it. Removing it races only with another taker, and O_EXCL
      // lets exactly one of them create the next one.
      rmSync(file, { force: true });
      continue;
    }
    if (owner === null) {
      // An owner between create and write holds it for microseconds; an empty file for long is
      // left by a crash at that very point.
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince > 2_000) {
        rmSync(file, { force: true });
        unreadableSince = null;
        continue;
      }
    } else unreadableSince = null;
    if (Date.now() > deadline)
      throw new WeftError(
        'WALLET_LOCKED',
        `the dev wallet in ${dir} is locked by pid ${owner ?? '?'} for more than ${timeoutMs} ms`,
        { details: `If no weft command is running, remove ${file}.` },
      );
    await new Promise((r) => setTimeout(r, WALLET_LOCK_POLL_MS));
  }
  try {
    return await f();
  } finally {
    if (lockOwner(file) === process.pid) rmSync(file, { force: true });
  }
}

/** Mints the dev wallet's coins on every domain (once; `weft up` calls it). */
export async function mintDevWallet(net: NetworkDir, progress: (line: string) => void): Promise<void> {
  await withWalletLock(net.dir, async () => {
    if (existsSync(join(net.dir, WALLET_FILE))) return;
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const owner = keyPairFromSeed('ed25519', seed);
    const issuer = keyPairFromSeed('ed25519', crypto.getRandomValues(new Uint8Array(32)));
    const coins: WalletCoin[] = [];
    for (const m of net.members) {
      const client = nodeClient(net, m);
      const ids: Uint8Array[] = [];
      for (let i = 0; i < WALLET_COINS_PER_DOMAIN; i++) {
        const { tx, coin } = mintTx({
          issuer,
          symbol: 'WEFT',
          owner: owner.publicKey,
          quantity: WALLET_COIN_QUANTITY,
          home: m.id,
        });
        const r = await client.submit(tx);
        if (r.status.status !== 'pending' && r.status.status !== 'included')
          throw new WeftError('MINT_REFUSED', `${m.name} refused a mint: ${JSON.stringify(r.status)}`);
        ids.push(r.txId);
        coins.push(fromCoin(m.name, coin));
      }
      for (const id of ids)
        await until(async () => (await client.status(id))?.status === 'included', MINT_TIMEOUT_MS);
      progress(`minted ${WALLET_COINS_PER_DOMAIN} coins of ${WALLET_COIN_QUANTITY} WEFT on ${m.name}`);
    }
    writeWallet(net.dir, { owner: toHex(seed), coins });
  });
}

async function until(f: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new WeftError('TIMEOUT', `gave up after ${ms} ms`);
    await new Promise((r) => setTimeout(r, MINT_POLL_MS));
  }
}

/**
 * Starts a transfer of one wallet coin; returns its id, the plan, and the commitments and
 * nullifiers it writes. Holds the wallet lock from reading the wallet to writing it back, so a
 * concurrent transfer sees this one's coin as gone.
 */
export async function startWalletTransfer(
  net: NetworkDir,
  p: { from: string; to: string; deadlineMs?: bigint },
): Promise<StartedTransfer> {
  const from = member(net, p.from);
  const to = member(net, p.to);
  if (equalBytes(from.id, to.id))
    throw new WeftError('BAD_INPUT', '--from and --to must be different domains');
  return withWalletLock(net.dir, async () => {
    const wallet = readWallet(net.dir);
    const owner: KeyPair = keyPairFromSeed('ed25519', fromHex(wallet.owner, 32));
    const client = nodeClient(net, from);
    // The first coin on `from` that the source still holds unspent.
    for (const [i, c] of wallet.coins.entries()) {
      if (c.domain !== p.from) continue;
      const coin = toCoin(c);
      const [held, spent] = await Promise.all([
        client.proveCommitment(commitment(coin.resource)),
        client.proveNullifier(nullifier(coin.resource, coin.nk)),
      ]);
      if (held.value === null || spent.value !== null) continue;
      const deadline = p.deadlineMs === undefined ? undefined : BigInt(Date.now()) + p.deadlineMs;
      const plan = await planTransferVia(client, {
        to: to.id,
        resource: coin,
        owner,
        ...(deadline === undefined ? {} : { deadline }),
      });
      const { transfer } = await client.startTransfer(plan, to.id);
      const items: TransferItems = {
        sourceNullifier: toHex(nullifier(coin.resource, coin.nk)),
        movedCommitment: toHex(commitment(plan.moved.resource)),
        claimNullifier: toHex(nullifier(plan.moved.resource, plan.moved.nk)),
        landedCommitment: toHex(commitment(plan.claim.actions[0]!.created[0]!.resource)),
        ...(plan.refund
          ? { refundCommitment: toHex(commitment(plan.refund.actions[0]!.created[0]!.resource)) }
          : {}),
      };
      // Refused at once: the coin never left, the wallet keeps it where it was.
      if (transfer.phase === 'failed' || transfer.phase === 'expired')
        return { id: transfer.id, phase: transfer.phase, plan, client, items };
      // The wallet now expects the coin on `to` (or back on `from` if it is refunded).
      const landed = plan.claim.actions[0]!.created[0]!;
      const refunded = plan.refund ? plan.refund.actions[0]!.created[0]! : undefined;
      const next: WalletCoin[] = [...wallet.coins];
      next.splice(i, 1, fromCoin(p.to, { ...landed, nk: plan.moved.nk }));
      if (refunded) next.push(fromCoin(p.from, { ...refunded, nk: plan.moved.nk }));
      writeWallet(net.dir, { ...wallet, coins: next });
      return { id: transfer.id, phase: transfer.phase, plan, client, items };
    }
    throw new WeftError('NO_COIN', `the dev wallet holds no unspent coin on ${p.from}`);
  });
}
