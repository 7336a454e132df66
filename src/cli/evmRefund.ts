// `weft evm refund`: gives back the dev-wallet coins moved to the vault with a deadline
// (`weft transfer --to evm --deadline-ms N`) that nobody claimed there by it. Each move is kept in
// DIR/vault-transfers.json until it ends; for one past its deadline this expires it on the vault
// (WeftVault `expire`), waits until its source's node accepted a vault root holding the expiry
// marker (the node follows the vault in `evm` mode), refunds it there on the marker's vault path
// (`planRefund`), and moves the refunded coin back to the dev wallet's owner (docs/evm.md).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Address, getAddress, type Hex } from 'viem';
import { WeftClient } from '../api/index.js';
import {
  concatBytes,
  equalBytes,
  fromHex,
  type KeyPair,
  keyPairFromSeed,
  publicKeyOf,
  sha256,
  toHex,
  utf8,
  WeftError,
} from '../crypto/index.js';
import {
  connectEvm,
  type EvmConnection,
  expireOnVault,
  parsePrivateKey,
  VaultFollower,
  vaultTreeKeys,
  weftVaultAbi,
} from '../evm/index.js';
import { readNetworkFile } from '../node/index.js';
import {
  commitment,
  createResource,
  decodeValue,
  nkCommitment,
  parseResourceJson,
  type Random,
  type ResourceParts,
  resourceToJson,
  tokenData,
  tokenLogic,
} from '../resource/index.js';
import { planRefund, withRefundWitness } from '../transfer/index.js';
import {
  decodeHeight,
  signTransaction,
  type Transaction,
  vaultExpiredMarker,
  vaultPathProof,
} from '../tx/index.js';
import { nodeToken } from './nodeClient.js';

/** The file, in the network's directory, that keeps moves to the vault until they end. */
export const VAULT_TRANSFERS_FILE = 'vault-transfers.json';
/** How long a refund waits for the source to accept the marker's root, and for each transaction. */
export const EVM_REFUND_WAIT_MS = 120_000;

/** One move of a dev-wallet coin to the vault with a deadline, as DIR/vault-transfers.json keeps it. */
export type VaultTransferRecord = {
  /** the source domain's name */
  from: string;
  vault: string;
  /** the moved resource r' (homed on the vault), its value, label preimage and nullifier key */
  resource: unknown;
  value: string;
  label: string;
  nk: string;
  /** ms, chain time */
  deadline: string;
};

type Out = { log(s: string): void; error(s: string): void };
type WalletJson = {
  owner: string;
  coins: { domain: string; resource: unknown; value: string; label: string; nk: string }[];
};

function writeJson(file: string, data: unknown): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The moves to the vault DIR keeps (none when the file does not exist). */
export function readVaultTransfers(dir: string): VaultTransferRecord[] {
  const file = join(dir, VAULT_TRANSFERS_FILE);
  if (!existsSync(file)) return [];
  const data = JSON.parse(readFileSync(file, 'utf8')) as { transfers?: VaultTransferRecord[] };
  return data.transfers ?? [];
}

function writeVaultTransfers(dir: string, transfers: VaultTransferRecord[]): void {
  writeJson(join(dir, VAULT_TRANSFERS_FILE), { transfers });
}

/** Keeps a move to the vault with a deadline until `weft evm refund` sees it end. */
export function recordVaultTransfer(
  dir: string,
  r: { from: string; vault: string; moved: ResourceParts & { nk: Uint8Array } },
): void {
  const deadline = decodeValue(r.moved.value).deadline;
  if (deadline === undefined) throw new WeftError('BAD_INPUT', 'only a move with a deadline can be refunded');
  const all = readVaultTransfers(dir);
  all.push({
    from: r.from,
    vault: r.vault,
    resource: resourceToJson(r.moved.resource),
    value: toHex(r.moved.value),
    label: toHex(r.moved.label),
    nk: toHex(r.moved.nk),
    deadline: deadline.toString(),
  });
  writeVaultTransfers(dir, all);
}

/** Drops the record of `moved` (claimed on the vault by `weft transfer --to evm`). */
export function forgetVaultTransfer(dir: string, moved: ResourceParts): void {
  const cm = commitment(moved.resource);
  writeVaultTransfers(
    dir,
    readVaultTransfers(dir).filter(
      (t) => !equalBytes(commitment(parseResourceJson(t.resource as never)), cm),
    ),
  );
}

async function waitIncluded(client: WeftClient, tx: Transaction, what: string): Promise<void> {
  const submitted = await client.submit(tx);
  const end = Date.now() + EVM_REFUND_WAIT_MS;
  for (;;) {
    const st = await client.status(submitted.txId);
    if (st?.status === 'included') return;
    if (st?.status === 'rejected' || st?.status === 'evicted')
      throw new WeftError(st.code, `the ${what} was refused: ${st.reason}`);
    if (Date.now() > end)
      throw new WeftError('TIMEOUT', `the ${what} was not included within ${EVM_REFUND_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type VaultRefundOptions = { rpc: string; key: string; vault: string; dir: string; json?: boolean };

type Outcome = {
  commitment: string;
  from: string;
  status: 'refunded' | 'claimed' | 'pending';
  amount: string;
};

/**
 * Refunds every move to the vault DIR keeps whose deadline passed unclaimed; keeps those still
 * before their deadline; drops those the vault paid out. Returns 0, or 1 if one could not be
 * refunded (the message says why; the others are still handled).
 */
export async function refundVaultTransfers(o: VaultRefundOptions, out: Out): Promise<number> {
  const evm = await connectEvm(o.rpc, o.key);
  const vault = getAddress(o.vault);
  const network = readNetworkFile(join(o.dir, 'network.json'));
  const secret = fromHex(parsePrivateKey(o.key), 32);
  const signer: KeyPair = {
    type: 'secp256k1',
    secretKey: secret,
    publicKey: publicKeyOf('secp256k1', secret),
  };
  const vaultId = fromHex(
    (await evm.public.readContract({ address: vault, abi: weftVaultAbi, functionName: 'domainId' })) as Hex,
    32,
  );
  const outcomes: Outcome[] = [];
  let failed = false;
  for (const record of readVaultTransfers(o.dir).filter((t) => getAddress(t.vault) === vault)) {
    const moved = {
      resource: parseResourceJson(record.resource as never),
      value: fromHex(record.value),
      label: fromHex(record.label),
      nk: fromHex(record.nk, 32),
    };
    const cm = toHex(commitment(moved.resource));
    try {
      const member = network.domains.find((m) => m.name === record.from);
      if (!member) throw new WeftError('UNKNOWN_DOMAIN', `no domain named ${record.from} in network.json`);
      const status = await refundOne(evm, vault, vaultId, member, signer, moved, o.dir);
      outcomes.push({
        commitment: cm,
        from: record.from,
        status,
        amount: moved.resource.quantity.toString(),
      });
      if (status !== 'pending') forgetVaultTransfer(o.dir, moved);
    } catch (e) {
      failed = true;
      out.error(
        `weft evm refund: ${cm} from ${record.from}: ${e instanceof WeftError ? `${e.code}: ` : ''}${(e as Error).message}`,
      );
    }
  }
  if (o.json) out.log(JSON.stringify({ transfers: outcomes }));
  else if (outcomes.length === 0) out.log('no transfer to the vault to refund');
  else for (const t of outcomes) out.log(`${t.status}: ${t.amount} moved from ${t.from} (${t.commitment})`);
  return failed ? 1 : 0;
}

async function refundOne(
  evm: EvmConnection,
  vault: Address,
  vaultId: Uint8Array,
  member: { name: string; id: Uint8Array; api: string },
  signer: KeyPair,
  moved: ResourceParts & { nk: Uint8Array },
  dir: string,
): Promise<Outcome['status']> {
  const value = decodeValue(moved.value);
  if (!equalBytes(value.data, tokenData(signer.publicKey)))
    throw new WeftError('BAD_INPUT', '--key does not own the moved coin: it must be the key the move named');
  const { cm, nf } = vaultTreeKeys(moved, moved.nk);
  const token = nodeToken(dir, member.name);
  const client = new WeftClient(member.api, token ? { token } : {});
  // Derived from the secret nk, the refund's resources are the same on every run: a run that
  // stopped after the refund (or the return to the wallet) finishes the job on the next.
  const refundPlan = planRefund({
    moved,
    source: member.id,
    owner: signer,
    random: seeded(moved.nk, 'refund'),
  });
  if ((await client.proveNullifier(nf)).value !== null) {
    await giveBack(client, member, signer, refundPlan, dir);
    return 'refunded';
  }
  const marker = vaultExpiredMarker(nf);
  const follower = new VaultFollower(evm.public, vault, { confirmations: 0n });
  await follower.sync();
  let index = follower.commitmentPath(marker)?.index;
  if (index === undefined) {
    if (await follower.nullifierUsed(nf)) return 'claimed';
    const nowMs = (await evm.public.getBlock()).timestamp * 1000n;
    // The vault expires a transfer only after its deadline (as `claim` takes it until then).
    if (nowMs <= value.deadline!) return 'pending';
    index = Number((await expireOnVault(evm, vault, moved, moved.nk)).index);
  }
  const height = BigInt(index) + 1n;
  // The source decides when the marker is deep enough: wait for a vault root it accepted.
  const end = Date.now() + EVM_REFUND_WAIT_MS;
  while (((await client.remoteHeader(vaultId))?.height ?? 0n) < height) {
    if (Date.now() > end)
      throw new WeftError(
        'TIMEOUT',
        `${member.name} did not accept a vault root holding the expiry within ${EVM_REFUND_WAIT_MS} ms (does it follow the vault: weft node --evm-rpc --evm-vault?)`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
  await follower.sync();
  const path = follower.commitmentPath(marker, Number(height));
  if (!path)
    throw new WeftError('BAD_RESPONSE', 'the expiry marker is not in the vault tree the chain reports');
  const own = await client.proveCommitment(cm);
  if (own.value === null) throw new WeftError('BAD_PROOF', `the moved coin is not in ${member.name}'s tree`);
  const refund = withRefundWitness(refundPlan, {
    commitmentProof: { anchor: own.root, height: decodeHeight(own.value), proof: own.proof },
    refund: { height, proof: vaultPathProof(path.path) },
  });
  await waitIncluded(client, refund, 'refund');
  await giveBack(client, member, signer, refund, dir);
  return 'refunded';
}

/** A deterministic byte source keyed by a secret (SHA-256 in counter mode). */
function seeded(secret: Uint8Array, purpose: string): Random {
  const seed = sha256(concatBytes(utf8(`weft.cli.evm-refund.${purpose}`), secret));
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 32) {
      const word = new Uint8Array(4);
      new DataView(word.buffer).setUint32(0, counter++);
      out.set(sha256(concatBytes(seed, word)).subarray(0, Math.min(32, n - at)), at);
    }
    return out;
  };
}

/**
 * Moves the refunded coin (still owned by --key's key) to the dev wallet's owner and adds it to
 * the wallet; each step is skipped when a run before did it.
 */
async function giveBack(
  client: WeftClient,
  member: { name: string; id: Uint8Array },
  signer: KeyPair,
  refund: Transaction,
  dir: string,
): Promise<void> {
  const back = refund.actions[0]!.created[0]!;
  const nk = refund.actions[0]!.consumed[0]!.nk;
  const walletFile = join(dir, 'wallet.json');
  const wallet = JSON.parse(readFileSync(walletFile, 'utf8')) as WalletJson;
  const owner = keyPairFromSeed('ed25519', fromHex(wallet.owner, 32));
  const random = seeded(nk, 'give-back');
  const landedNk = random(32);
  const landed = createResource({
    logicRef: tokenLogic.ref,
    label: back.label,
    quantity: back.resource.quantity,
    home: member.id,
    data: tokenData(owner.publicKey),
    nkCommitment: nkCommitment(landedNk),
    random,
  });
  const landedCm = commitment(landed.resource);
  const inWallet = (w: WalletJson) =>
    w.coins.some((c) => equalBytes(commitment(parseResourceJson(c.resource as never)), landedCm));
  if (inWallet(wallet)) return;
  const tx = signTransaction(
    {
      actions: [
        {
          consumed: [
            { resource: back.resource, value: back.value, label: back.label, nk, commitmentProof: null },
          ],
          created: [{ resource: landed.resource, value: landed.value, label: landed.label }],
        },
      ],
      appData: new Uint8Array(),
      signatures: [],
    },
    [signer],
  );
  if ((await client.proveCommitment(landedCm)).value === null)
    await waitIncluded(client, tx, 'return of the refunded coin to the wallet');
  const fresh = JSON.parse(readFileSync(walletFile, 'utf8')) as WalletJson;
  if (inWallet(fresh)) return;
  fresh.coins.push({
    domain: member.name,
    resource: resourceToJson(landed.resource),
    value: toHex(landed.value),
    label: toHex(landed.label),
    nk: toHex(landedNk),
  });
  writeJson(walletFile, fresh);
}
