// `weft status`, `weft transfer` and `weft proof`: talk to the nodes of a local network (the
// directory `weft up` made) over HTTP with weft/client. The dev wallet (DIR/wallet.json) holds the
// coins `weft up` minted and where each one is now.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { planTransferVia, WeftClient } from '../api/client.js';
import { equalBytes, fromHex, type KeyPair, keyPairFromSeed, toHex, WeftError } from '../crypto/index.js';
import { verifyHeaderSignatures } from '../domain/index.js';
import { type NetworkMember, readNetworkFile } from '../node/index.js';
import {
  commitment,
  nullifier,
  parseResourceJson,
  type Resource,
  type ResourceParts,
  resourceToJson,
} from '../resource/index.js';
import { verifyProof } from '../smt/index.js';
import { isTerminal, type TransferPlan } from '../transfer/index.js';
import { commitmentKey, mintTx, nullifierKey } from '../tx/index.js';

export const STATUS_USAGE = `usage: weft status [--dir DIR] [--json]

Asks every node of the network in DIR (default ./.weft) for its heights, root, mempool, peers'
heights as it sees them, and transfers by phase.`;

export const TRANSFER_USAGE = `usage: weft transfer --from NAME --to NAME [--deadline-ms N] [--wait] [--dir DIR] [--json]
       weft transfer status ID [--dir DIR] [--json]

The first form moves one coin of the dev wallet (DIR/wallet.json, minted by \`weft up\`) from one
domain to another: the plan is made and signed here, the source node only drives it. It prints
the transfer id; with --wait it follows the transfer until it ends, printing each phase.
--deadline-ms N gives the claim a deadline N ms after now (destination time; default one hour):
if the destination has not taken it by then, or refuses it for good sooner, the source refunds it.

The second form prints what transfer ID is waiting for, as data, from the node driving it.`;

export const PROOF_USAGE = `usage: weft proof commitment|nullifier HEX --domain NAME [--height H] [--dir DIR]

Fetches a proof that a commitment (or a nullifier) is present or absent in a domain's tree at a
height (default: the latest), checks the header at that height against the domain's key set from
the network file, checks the proof against that header's state root, and prints both as JSON.
Exit code 0 when everything verifies, 1 when anything does not.`;

export const REINIT_USAGE = `usage: weft reinit --domain NAME --remote NAME --height H --by WHO [--evidence HEX] [--dir DIR]

Operator recovery from a freeze (docs/operations.md). NAME's node froze its view of REMOTE (it
saw REMOTE sign two headers for one height, or spend a nullifier NAME already held). Once you have
decided out of band which history of REMOTE to trust, this fetches REMOTE's signed header at
height H from REMOTE's node, checks its signatures against REMOTE's key set in the network file,
and asks NAME's node to re-initialise its view from it. The node records who decided (--by) and
the evidence answered in its transcript, keeps anchors before the fork, drops those after, and
the answer lists them with the transfers that continue and those the fork touched.
--evidence names the 32-byte hash of the evidence answered when the node holds none (a freeze
after a double spend).`;

/** How often `--wait` asks for a transfer's state. */
export const WAIT_POLL_MS = 250;
/** How long `--wait` follows a transfer before giving up (it goes on in the node). */
export const WAIT_TIMEOUT_MS = 300_000;
/** Coins `weft up` mints per domain, and each one's quantity. */
export const WALLET_COINS_PER_DOMAIN = 8;
export const WALLET_COIN_QUANTITY = 100n;

type Out = { log(s: string): void; error(s: string): void };

type WalletCoin = {
  domain: string;
  resource: ReturnType<typeof resourceToJson>;
  value: string;
  label: string;
  nk: string;
};
type WalletFile = { owner: string; coins: WalletCoin[] };

export type NetworkDir = { dir: string; members: NetworkMember[] };

export function openNetworkDir(dir: string): NetworkDir {
  const abs = resolve(dir);
  const file = join(abs, 'network.json');
  if (!existsSync(file))
    throw new WeftError(
      'NOT_UP',
      `no network in ${abs} (no network.json): start one with weft up --dir ${dir}`,
    );
  return { dir: abs, members: readNetworkFile(file).domains };
}

function member(net: NetworkDir, name: string): NetworkMember {
  const m = net.members.find((d) => d.name === name);
  if (!m)
    throw new WeftError(
      'BAD_INPUT',
      `no domain '${name}' in ${net.dir}; domains: ${net.members.map((d) => d.name).join(', ')}`,
    );
  return m;
}

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

function readWallet(net: NetworkDir): WalletFile {
  const file = join(net.dir, 'wallet.json');
  if (!existsSync(file)) throw new WeftError('NO_WALLET', `no dev wallet in ${net.dir}: weft up mints one`);
  return JSON.parse(readFileSync(file, 'utf8')) as WalletFile;
}

function writeWallet(net: NetworkDir, w: WalletFile): void {
  const file = join(net.dir, 'wallet.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(w, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Mints the dev wallet's coins on every domain (once; `weft up` calls it). */
export async function mintDevWallet(net: NetworkDir, progress: (line: string) => void): Promise<void> {
  if (existsSync(join(net.dir, 'wallet.json'))) return;
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const owner = keyPairFromSeed('ed25519', seed);
  const issuer = keyPairFromSeed('ed25519', crypto.getRandomValues(new Uint8Array(32)));
  const coins: WalletCoin[] = [];
  for (const m of net.members) {
    const client = new WeftClient(m.api);
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
    for (const id of ids) await until(async () => (await client.status(id))?.status === 'included', 30_000);
    progress(`minted ${WALLET_COINS_PER_DOMAIN} coins of ${WALLET_COIN_QUANTITY} WEFT on ${m.name}`);
  }
  writeWallet(net, { owner: toHex(seed), coins });
}

async function until(f: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new WeftError('TIMEOUT', `gave up after ${ms} ms`);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}

/** One line (or object) per node: what `weft status` prints. */
export async function networkStatus(net: NetworkDir): Promise<Record<string, unknown>[]> {
  return Promise.all(
    net.members.map(async (m) => {
      const client = new WeftClient(m.api, { timeoutMs: 3_000 });
      try {
        const [root, health, remotes, transfers] = await Promise.all([
          client.root(),
          client.health(),
          client.remotes(),
          client.transfers({ limit: 1000 }),
        ]);
        const phases: Record<string, number> = {};
        for (const t of transfers) phases[t.phase] = (phases[t.phase] ?? 0) + 1;
        return {
          name: m.name,
          up: true,
          height: root.committedHeight.toString(),
          provenHeight: root.provenHeight.toString(),
          stateRoot: toHex(root.stateRoot),
          mempool: health.mempool,
          peers: Object.fromEntries(
            remotes.map((r) => [
              r.name ?? toHex(r.domainId),
              r.frozen ? `frozen from ${r.frozenFromHeight}` : (r.recorded?.height.toString() ?? '-'),
            ]),
          ),
          transfers: phases,
        };
      } catch (e) {
        return { name: m.name, up: false, error: (e as Error).message };
      }
    }),
  );
}

export function formatStatus(rows: Record<string, unknown>[]): string {
  return rows
    .map((r) =>
      r.up
        ? `${String(r.name).padEnd(10)} height ${String(r.height).padStart(6)}  mempool ${String(r.mempool).padStart(5)}  root ${String(r.stateRoot).slice(0, 14)}…  sees ${Object.entries(
            r.peers as Record<string, string>,
          )
            .map(([k, v]) => `${k}@${v}`)
            .join(' ')}  transfers ${JSON.stringify(r.transfers)}`
        : `${String(r.name).padEnd(10)} DOWN (${r.error})`,
    )
    .join('\n');
}

/** Starts a transfer of one wallet coin; returns its id and the plan. */
export async function startWalletTransfer(
  net: NetworkDir,
  p: { from: string; to: string; deadlineMs?: bigint },
): Promise<{ id: string; plan: TransferPlan; client: WeftClient }> {
  const from = member(net, p.from);
  const to = member(net, p.to);
  if (equalBytes(from.id, to.id))
    throw new WeftError('BAD_INPUT', '--from and --to must be different domains');
  const wallet = readWallet(net);
  const owner: KeyPair = keyPairFromSeed('ed25519', fromHex(wallet.owner, 32));
  const client = new WeftClient(from.api);
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
    // The wallet now expects the coin on `to` (or back on `from` if it is refunded).
    const landed = plan.claim.actions[0]!.created[0]!;
    const next: WalletCoin[] = [...wallet.coins];
    next.splice(i, 1, fromCoin(p.to, { ...landed, nk: plan.moved.nk }));
    if (plan.refund)
      next.push(fromCoin(p.from, { ...plan.refund.actions[0]!.created[0]!, nk: plan.moved.nk }));
    writeWallet(net, { ...wallet, coins: next });
    return { id: transfer.id, plan, client };
  }
  throw new WeftError('NO_COIN', `the dev wallet holds no unspent coin on ${p.from}`);
}

/** Follows a transfer until it ends; `phase` is told each new phase. */
export async function waitTransfer(
  client: WeftClient,
  id: string,
  phase: (p: string) => void,
): Promise<string> {
  let last = '';
  const end = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const st = await client.transfer(id);
    if (st && st.transfer.phase !== last) {
      last = st.transfer.phase;
      phase(last);
      if (isTerminal(st.transfer)) return last;
    }
    if (Date.now() > end)
      throw new WeftError('TIMEOUT', `transfer ${id} is still ${last} after ${WAIT_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}

/** The node that drives transfer `id` (its source) and what it says. */
export async function findTransfer(net: NetworkDir, id: string) {
  for (const m of net.members) {
    const st = await new WeftClient(m.api, { timeoutMs: 3_000 }).transfer(id).catch(() => undefined);
    if (st) return { node: m.name, ...st };
  }
  throw new WeftError('UNKNOWN_TRANSFER', `no node of ${net.dir} drives a transfer ${id}`);
}

/** Fetches and verifies a proof the way a light client would: header signatures, then the proof. */
export async function fetchProof(
  net: NetworkDir,
  p: { kind: 'commitment' | 'nullifier'; item: Uint8Array; domain: string; height?: bigint },
) {
  const m = member(net, p.domain);
  const client = new WeftClient(m.api);
  const proof =
    p.kind === 'commitment'
      ? await client.proveCommitment(p.item, p.height)
      : await client.proveNullifier(p.item, p.height);
  const signed = await client.header(proof.height);
  const key = p.kind === 'commitment' ? commitmentKey(p.item) : nullifierKey(p.item);
  const headerOk =
    signed !== undefined &&
    equalBytes(signed.header.domain, m.id) &&
    equalBytes(signed.header.stateRoot, proof.root) &&
    verifyHeaderSignatures(signed, m.keySet);
  const proofOk = equalBytes(proof.key, key) && verifyProof(proof.root, key, proof.value, proof.proof);
  return {
    domain: m.name,
    kind: p.kind,
    item: toHex(p.item),
    height: proof.height.toString(),
    root: toHex(proof.root),
    present: proof.value !== null,
    value: proof.value === null ? null : toHex(proof.value),
    headerSignedByKeySet: headerOk,
    proofVerifies: proofOk,
  };
}

/** `weft reinit`: fetch the trusted header from the remote's node, check it, hand it to the node. */
export async function reinitFromNetwork(
  net: NetworkDir,
  p: { domain: string; remote: string; height: bigint; by: string; evidence?: Uint8Array },
) {
  const at = member(net, p.domain);
  const remote = member(net, p.remote);
  const signed = await new WeftClient(remote.api).header(p.height);
  if (!signed)
    throw new WeftError('UNKNOWN_HEIGHT', `${remote.name}'s node has no header at height ${p.height}`);
  if (!equalBytes(signed.header.domain, remote.id) || !verifyHeaderSignatures(signed, remote.keySet))
    throw new WeftError(
      'BAD_SIGNATURES',
      `the header ${remote.name}'s node sent is not signed by its key set`,
    );
  return new WeftClient(at.api).reinitializeRemote(signed, remote.keySet, {
    by: p.by,
    ...(p.evidence ? { evidence: p.evidence } : {}),
  });
}

export type { Out };
