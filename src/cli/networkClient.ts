// `weft status`, `weft transfer`, `weft proof` and `weft reinit`: talk to the nodes of a local
// network (the directory `weft up` made) over HTTP with weft/client. The dev wallet that
// `weft transfer` spends from is in devWallet.ts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WeftClient } from '../api/client.js';
import { equalBytes, toHex, WeftError } from '../crypto/index.js';
import { verifyHeaderSignatures } from '../domain/index.js';
import { type NetworkMember, readNetworkFile } from '../node/index.js';
import { verifyProof } from '../smt/index.js';
import { isTerminal } from '../transfer/index.js';
import { commitmentKey, nullifierKey } from '../tx/index.js';
import { nodeClient } from './nodeClient.js';

export const STATUS_USAGE = `usage: weft status [--dir DIR] [--json]

Asks every node of the network in DIR (default ./.weft) for its heights, root, mempool, peers'
heights as it sees them, and transfers by phase.`;

export const TRANSFER_USAGE = `usage: weft transfer --from NAME --to NAME [--deadline-ms N] [--wait] [--dir DIR] [--json]
       weft transfer status ID [--dir DIR] [--json]
       weft transfer --from NAME --to evm --rpc URL --key HEX --vault ADDR [--deadline-ms N [--no-claim]] [--dir DIR] [--json]
       weft transfer --from evm --to NAME --rpc URL --key HEX --vault ADDR [--amount N] [--dir DIR] [--json]

The first form moves one coin of the dev wallet (DIR/wallet.json, minted by \`weft up\`) from one
domain to another: the plan is made and signed here, the source node only drives it. It prints
the transfer id, then the nullifier and commitments the transfer writes (give them to
\`weft proof\`); with --wait it follows the transfer until it ends, printing each phase.
--deadline-ms N gives the claim a deadline N ms after now (destination time; default one hour):
if the destination has not taken it by then, or refuses it for good sooner, the source refunds it. Concurrent transfers from one
wallet take turns on DIR/wallet.lock.

The second form prints what transfer ID is waiting for, as data, from the node driving it.

\`evm\` names the EVM vault (WeftVault at --vault, reached over the JSON-RPC endpoint --rpc;
docs/evm.md). --key is the 32-byte secp256k1 private key (hex) of an Ethereum account, or
WEFT_EVM_KEY in the environment (a flag shows in the process list): it pays the gas, and its key
owns the tokens on the chain.
  --to evm    moves one dev-wallet coin from NAME to the vault: consumed on NAME, re-created homed
              on the vault and owned by --key's key; NAME's headers are relayed to the vault's
              light client and the vault claims it, paying the ERC-20 to --key's address. The
              coin leaves the wallet. With --deadline-ms N the vault must claim it within N ms of
              the chain's latest block time, and the move is kept in DIR/vault-transfers.json
              until claimed; --no-claim only moves it. \`weft evm refund\` (weft evm --help)
              expires such a move on the vault after its deadline and refunds it on NAME.
  --from evm  locks --amount N (default 100) ERC-20 units of --key's account in the vault as a
              resource homed on NAME owned by --key's key, waits until NAME's node accepted a
              vault root holding it (it must follow the vault: weft node --evm-rpc --evm-vault;
              after its --evm-confirmations), and claims it on NAME with its vault path, signed by
              --key: a coin for the dev wallet's owner, added to the wallet.

exit codes:
  0  started (without --wait), or delivered: confirmed on the destination
  1  the transfer could not be started or followed (the message says why)
  2  bad usage
  3  refunded: the deadline passed and the coin is back on the source
  4  failed or expired
  5  --wait gave up while the transfer was still running (it goes on in the node)`;

/** Exit codes of `weft transfer --wait`, one per way a transfer ends (TRANSFER_USAGE). */
export const TRANSFER_EXIT = {
  delivered: 0,
  error: 1,
  usage: 2,
  refunded: 3,
  failed: 4,
  stillRunning: 5,
} as const;

/** The exit code for a transfer that ended in `phase`. */
export function transferExitCode(phase: string): number {
  if (phase === 'confirmed') return TRANSFER_EXIT.delivered;
  if (phase === 'refunded') return TRANSFER_EXIT.refunded;
  return TRANSFER_EXIT.failed;
}

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

type Out = { log(s: string): void; error(s: string): void };

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

/** One line (or object) per node: what `weft status` prints. */
export async function networkStatus(net: NetworkDir): Promise<Record<string, unknown>[]> {
  return Promise.all(
    net.members.map(async (m) => {
      const client = nodeClient(net, m, { timeoutMs: 3_000 });
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

/** Follows a transfer until it ends; `phase` is told each new phase. */
export async function waitTransfer(
  client: WeftClient,
  id: string,
  phase: (p: string) => void,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<string> {
  let last = '';
  const end = Date.now() + timeoutMs;
  for (;;) {
    const st = await client.transfer(id);
    if (st && st.transfer.phase !== last) {
      last = st.transfer.phase;
      phase(last);
      if (isTerminal(st.transfer)) return last;
    }
    if (Date.now() > end)
      throw new WeftError('TIMEOUT', `transfer ${id} is still ${last} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}

/** The node that drives transfer `id` (its source) and what it says. */
export async function findTransfer(net: NetworkDir, id: string) {
  for (const m of net.members) {
    const st = await nodeClient(net, m, { timeoutMs: 3_000 })
      .transfer(id)
      .catch(() => undefined);
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
  const client = nodeClient(net, m);
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
  const signed = await nodeClient(net, remote).header(p.height);
  if (!signed)
    throw new WeftError('UNKNOWN_HEIGHT', `${remote.name}'s node has no header at height ${p.height}`);
  if (!equalBytes(signed.header.domain, remote.id) || !verifyHeaderSignatures(signed, remote.keySet))
    throw new WeftError(
      'BAD_SIGNATURES',
      `the header ${remote.name}'s node sent is not signed by its key set`,
    );
  return nodeClient(net, at).reinitializeRemote(signed, remote.keySet, {
    by: p.by,
    ...(p.evidence ? { evidence: p.evidence } : {}),
  });
}

export type { Out };
