// `weft evm deploy`, `relay` and `transfer`: put Weft's contracts on an EVM chain, keep its light
// client following the domains of a local network, and move a dev-wallet coin to the vault. Kept apart from the other commands (and loaded
// only when asked) so that viem is read only by those who use it.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Address, getAddress, type Hex } from 'viem';
import { WeftClient } from '../api/index.js';
import {
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
  claimOnVault,
  connectEvm,
  deployLightClient,
  deployTestToken,
  deployVault,
  type EvmConnection,
  EvmRelayer,
  lockOnVault,
  moveToVaultTx,
  parsePrivateKey,
  type RelayPass,
  sendContract,
  VaultFollower,
  vaultTreeKeys,
  weftLightClientAbi,
  weftTestTokenAbi,
  weftVaultAbi,
} from '../evm/index.js';
import { readNetworkFile } from '../node/index.js';
import {
  commitment,
  createResource,
  domainId,
  labelRef,
  nkCommitment,
  nullifier,
  parseResourceJson,
  type ResourceParts,
  resourceToJson,
  tokenData,
  tokenLabel,
  tokenLogic,
} from '../resource/index.js';
import { signTransaction, type Transaction, vaultPathProof } from '../tx/index.js';
import { nodeToken } from './nodeClient.js';

export const EVM_USAGE = `usage: weft evm deploy --rpc URL --key HEX [--token ADDR] [--label HEX | --dir DIR] [--name NAME] [--mint N] [--json]
       weft evm relay --rpc URL --key HEX --light-client ADDR --dir DIR [--once] [--interval-ms N] [--json]
       weft evm transfer --rpc URL --key HEX --vault ADDR --dir DIR --from NAME [--deadline-ms N [--no-claim]] [--json]
       weft evm refund --rpc URL --key HEX --vault ADDR --dir DIR [--json]

deploy  deploys WeftLightClient and WeftVault (owned by the account of --key) and prints their
        addresses; with --json one object: chainId, lightClient, vault, token, domain, domainId,
        labelRef, testToken.
          --token ADDR   the ERC-20 the vault holds; without it a test ERC-20 is deployed too and
                         --mint N (default 1000000) of it minted to the deployer
          --label HEX    the Weft token label (its preimage) the ERC-20 stands for; --dir DIR takes
                         the label of the dev wallet's coins (weft up); default: a dev label
          --name NAME    the vault's domain name; its DomainId is SHA256(NAME) (default evm-CHAINID)
relay   registers every domain of the network in DIR (DIR/network.json) that the light client
        does not know yet, then submits their new headers as the nodes seal them (several per
        transaction when several are new), and misbehaviour evidence when a node's header
        contradicts the chain's. With --once it exits once caught up (1 if a domain could not
        be followed); otherwise it runs until interrupted, looking every --interval-ms (2000).
transfer moves one coin of the dev wallet (DIR/wallet.json) from domain NAME to the vault: the
        coin is consumed on NAME and re-created homed on the vault, owned by the secp256k1 key of
        --key; NAME's new headers are relayed to the vault's light client; the vault's claim pays
        the ERC-20 to --key's address. The coin leaves the wallet. (The vault needs a --dir
        deployment: its token kind must be the wallet's.)
          --deadline-ms N  the moved coin must be claimed on the vault within N ms of the chain's
                           latest block time; the move is kept in DIR/vault-transfers.json until
                           it is claimed or refunded (weft evm refund)
          --no-claim       only move it (with --deadline-ms): the claim is left to --key's owner,
                           or to nobody, and the coin refunded after the deadline
refund  for every move to the vault DIR/vault-transfers.json keeps: once its deadline passed
        unclaimed, expires it on the vault (WeftVault expire: its nullifier recorded, a marker
        appended), waits until its source's node accepted a vault root holding the marker (the
        node must follow the vault: weft node --evm-rpc --evm-vault), refunds it on the source on
        the marker's vault path (signed by --key, which the move named as owner), and moves the
        refunded coin back to the dev wallet's owner (it joins DIR/wallet.json). Moves still
        before their deadline are kept (pending); moves the vault paid out are dropped (claimed).
        Exit 1 if one could not be refunded (the others are still handled).`;

type Out = { log(s: string): void; error(s: string): void };

/** Coins of the test ERC-20 minted to the deployer by default. */
export const EVM_TEST_TOKEN_MINT_DEFAULT = 1_000_000n;

const DEV_LABEL = () =>
  tokenLabel({
    issuer: keyPairFromSeed('secp256k1', sha256(utf8('weft.evm.dev-issuer'))).publicKey,
    symbol: 'WEFT',
  });

const message = (e: unknown) => (e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).message);

/** Runs `weft evm ...`; returns the exit code. */
export async function evmCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    out.log(EVM_USAGE);
    return 0;
  }
  if (sub !== 'deploy' && sub !== 'relay' && sub !== 'transfer' && sub !== 'refund') {
    out.error(`weft evm: unknown subcommand '${sub}'\n\n${EVM_USAGE}`);
    return 2;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (e) {
    out.error(`weft evm ${sub}: ${(e as Error).message}\n\n${EVM_USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    out.log(EVM_USAGE);
    return 0;
  }
  if (!v.rpc || !v.key) {
    out.error(`weft evm ${sub}: --rpc and --key are required\n\n${EVM_USAGE}`);
    return 2;
  }
  try {
    if (sub === 'deploy') return await deploy(v, out);
    if (sub === 'transfer') {
      if (!v.vault || !v.dir || !v.from) {
        out.error(`weft evm transfer: --vault, --dir and --from are required\n\n${EVM_USAGE}`);
        return 2;
      }
      if (v['no-claim'] && v['deadline-ms'] === undefined) {
        out.error(
          `weft evm transfer: --no-claim needs --deadline-ms (else the coin could never come back)\n\n${EVM_USAGE}`,
        );
        return 2;
      }
      return await transfer(v, out);
    }
    if (sub === 'refund') {
      if (!v.vault || !v.dir) {
        out.error(`weft evm refund: --vault and --dir are required\n\n${EVM_USAGE}`);
        return 2;
      }
      const { refundVaultTransfers } = await import('./evmRefund.js');
      return await refundVaultTransfers(
        { rpc: v.rpc, key: v.key, vault: v.vault, dir: resolve(v.dir), json: v.json ?? false },
        out,
      );
    }
    if (!v['light-client'] || !v.dir) {
      out.error(`weft evm relay: --light-client and --dir are required\n\n${EVM_USAGE}`);
      return 2;
    }
    return await relay(v, out);
  } catch (e) {
    out.error(`weft evm ${sub}: ${message(e)}`);
    return 1;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      rpc: { type: 'string' },
      key: { type: 'string' },
      token: { type: 'string' },
      label: { type: 'string' },
      dir: { type: 'string' },
      name: { type: 'string' },
      mint: { type: 'string' },
      'light-client': { type: 'string' },
      vault: { type: 'string' },
      from: { type: 'string' },
      'interval-ms': { type: 'string' },
      'deadline-ms': { type: 'string' },
      'no-claim': { type: 'boolean' },
      once: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

/** The label preimage the vault's token kind uses: --label, the dev wallet's, or the dev default. */
function labelOf(v: Values): Uint8Array {
  if (v.label) return fromHex(v.label, undefined, '--label');
  if (v.dir) {
    const file = join(resolve(v.dir), 'wallet.json');
    if (!existsSync(file)) throw new WeftError('NO_WALLET', `no dev wallet in ${v.dir}: weft up mints one`);
    const wallet = JSON.parse(readFileSync(file, 'utf8')) as { coins?: { label?: string }[] };
    const label = wallet.coins?.[0]?.label;
    if (typeof label !== 'string') throw new WeftError('NO_COIN', `the dev wallet in ${v.dir} holds no coin`);
    return fromHex(label, undefined, 'wallet label');
  }
  return DEV_LABEL();
}

function positiveBigint(text: string | undefined, fallback: bigint, name: string): bigint {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new WeftError('BAD_INPUT', `${name} must be a whole number`);
  return BigInt(text);
}

async function deploy(v: Values, out: Out): Promise<number> {
  const evm = await connectEvm(v.rpc!, v.key!);
  const label = labelOf(v);
  const name = v.name ?? `evm-${evm.chain.id}`;
  const mint = positiveBigint(v.mint, EVM_TEST_TOKEN_MINT_DEFAULT, '--mint');
  const lightClient = await deployLightClient(evm);
  let token: `0x${string}`;
  const testToken = v.token === undefined;
  if (testToken) {
    token = await deployTestToken(evm);
    if (mint > 0n) {
      await sendContract(evm, {
        address: token,
        abi: weftTestTokenAbi,
        functionName: 'mint',
        args: [evm.account.address, mint],
      });
    }
  } else {
    token = getAddress(v.token!);
  }
  const id = domainId(name);
  const vault = await deployVault(evm, { lightClient, token, domainId: id, label });
  const result = {
    chainId: evm.chain.id,
    lightClient,
    vault,
    token,
    testToken,
    domain: name,
    domainId: toHex(id),
    labelRef: toHex(labelRef(label)),
    owner: evm.account.address,
  };
  if (v.json) out.log(JSON.stringify(result));
  else {
    out.log(`light client  ${lightClient}`);
    out.log(`vault         ${vault}  (domain ${name}, ${result.domainId})`);
    out.log(
      `token         ${token}${testToken ? `  (test ERC-20, ${mint} minted to ${evm.account.address})` : ''}`,
    );
  }
  return 0;
}

async function relay(v: Values, out: Out): Promise<number> {
  const evm = await connectEvm(v.rpc!, v.key!);
  const lightClient = getAddress(v['light-client']!);
  const network = readNetworkFile(join(resolve(v.dir!), 'network.json'));
  const relayer = new EvmRelayer(
    evm,
    lightClient,
    network.domains.map((m) => ({
      name: m.name,
      id: m.id,
      keySet: m.keySet,
      genesis: m.genesis,
      source: new WeftClient(m.api),
    })),
  );
  const intervalMs = Number(positiveBigint(v['interval-ms'], 2_000n, '--interval-ms'));
  const report = (p: RelayPass) => {
    if (v.json) {
      out.log(JSON.stringify(p));
      return;
    }
    for (const n of p.registered) out.log(`registered ${n}`);
    for (const [n, count] of Object.entries(p.submitted)) out.log(`${n}: ${count} header(s) submitted`);
    for (const n of p.frozen) out.log(`${n}: misbehaviour submitted, frozen`);
    for (const [n, why] of Object.entries(p.skipped)) out.log(`${n}: skipped (${why})`);
  };
  if (v.once) {
    const last = await relayer.run({ once: true, onPass: report });
    const failed = Object.values(last.skipped).filter((why) => why !== 'frozen');
    return failed.length === 0 ? 0 : 1;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await relayer.run({ intervalMs, signal: stop.signal, onPass: report });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

/** How long `weft evm transfer` waits for the move to be included. */
export const EVM_MOVE_WAIT_MS = 30_000;

type WalletCoinJson = { domain: string; resource: unknown; value: string; label: string; nk: string };
type WalletJson = { owner: string; coins: WalletCoinJson[] };

/**
 * `weft transfer --from NAME --to evm`: the options `weft evm transfer` takes (the wallet's own
 * command names the source with --from).
 */
export type VaultTransferOptions = {
  rpc: string;
  key: string;
  vault: string;
  dir: string;
  json?: boolean;
};

/**
 * Moves one dev-wallet coin from domain `from` to the vault and claims it there (`weft transfer
 * --to evm`); with `deadlineMs`, the move carries a deadline and is kept for `weft evm refund`
 * until it is claimed, and `noClaim` stops after the move.
 */
export async function transferToVault(
  o: VaultTransferOptions & { from: string; deadlineMs?: string; noClaim?: boolean },
  out: Out,
): Promise<number> {
  return transfer(
    {
      rpc: o.rpc,
      key: o.key,
      vault: o.vault,
      dir: o.dir,
      from: o.from,
      json: o.json,
      'deadline-ms': o.deadlineMs,
      'no-claim': o.noClaim,
    },
    out,
  );
}

async function transfer(v: Values, out: Out): Promise<number> {
  const evm = await connectEvm(v.rpc!, v.key!);
  const dir = resolve(v.dir!);
  const network = readNetworkFile(join(dir, 'network.json'));
  const member = network.domains.find((m) => m.name === v.from);
  if (!member) throw new WeftError('UNKNOWN_DOMAIN', `no domain named ${v.from} in ${dir}/network.json`);
  const walletFile = join(dir, 'wallet.json');
  if (!existsSync(walletFile)) throw new WeftError('NO_WALLET', `no dev wallet in ${dir}: weft up mints one`);
  const wallet = JSON.parse(readFileSync(walletFile, 'utf8')) as WalletJson;
  // A submission is a state change: it carries the node's API token (DIR/<name>/api.token).
  const token = nodeToken(dir, member.name);
  const client = new WeftClient(member.api, token ? { token } : {});
  // The first coin on `from` that its node still holds unspent.
  let entry: WalletCoinJson | undefined;
  let coin: (ResourceParts & { nk: Uint8Array }) | undefined;
  for (const c of wallet.coins) {
    if (c.domain !== v.from) continue;
    const parts = {
      resource: parseResourceJson(c.resource as never),
      value: fromHex(c.value),
      label: fromHex(c.label),
      nk: fromHex(c.nk, 32),
    };
    const [held, spent] = await Promise.all([
      client.proveCommitment(commitment(parts.resource)),
      client.proveNullifier(nullifier(parts.resource, parts.nk)),
    ]);
    if (held.value === null || spent.value !== null) continue;
    entry = c;
    coin = parts;
    break;
  }
  if (!entry || !coin) throw new WeftError('NO_COIN', `the dev wallet holds no unspent coin on ${v.from}`);
  const vault = getAddress(v.vault!);
  const read = vaultReader(evm, vault);
  const vaultId = fromHex(await read<Hex>('domainId'), 32);
  const lightClient = await read<Address>('lightClient');
  const evmOwner = publicKeyOf('secp256k1', fromHex(parsePrivateKey(v.key!), 32));
  const deadlineMs =
    v['deadline-ms'] === undefined ? undefined : positiveBigint(v['deadline-ms'], 0n, '--deadline-ms');
  // The vault compares the deadline with its own block time: count from the chain's clock.
  const deadline =
    deadlineMs === undefined ? undefined : (await evm.public.getBlock()).timestamp * 1000n + deadlineMs;
  const { tx, moved } = moveToVaultTx({
    coin,
    owner: keyPairFromSeed('ed25519', fromHex(wallet.owner, 32)),
    vault: vaultId,
    evmOwner,
    ...(deadline === undefined ? {} : { deadline }),
  });
  const submitted = await client.submit(tx);
  const end = Date.now() + EVM_MOVE_WAIT_MS;
  for (;;) {
    const st = await client.status(submitted.txId);
    if (st?.status === 'included') break;
    if (st?.status === 'rejected' || st?.status === 'evicted') {
      throw new WeftError('MOVE_REFUSED', `${member.name} refused the move: ${JSON.stringify(st)}`);
    }
    if (Date.now() > end)
      throw new WeftError('TIMEOUT', `the move was not included within ${EVM_MOVE_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The coin is spent on Weft from here: it leaves the wallet whatever happens on the chain.
  wallet.coins = wallet.coins.filter((c) => c !== entry);
  writeFileSync(`${walletFile}.tmp`, `${JSON.stringify(wallet, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${walletFile}.tmp`, walletFile);
  const { forgetVaultTransfer, recordVaultTransfer } = await import('./evmRefund.js');
  if (deadline !== undefined) recordVaultTransfer(dir, { from: member.name, vault, moved });
  if (v['no-claim']) {
    const result = {
      from: member.name,
      vault,
      owner: evm.account.address,
      amount: moved.resource.quantity.toString(),
      deadline: deadline!.toString(),
      commitment: toHex(vaultTreeKeys(moved, moved.nk).cm),
    };
    if (v.json) out.log(JSON.stringify(result));
    else
      out.log(
        `moved ${result.amount} from ${member.name} to the vault, unclaimed (deadline ${result.deadline}): weft evm refund gives it back after`,
      );
    return 0;
  }
  const relayer = new EvmRelayer(evm, lightClient, [
    { name: member.name, id: member.id, keySet: member.keySet, genesis: member.genesis, source: client },
  ]);
  await relayer.run({ once: true });
  const height = await evm.public.readContract({
    address: lightClient,
    abi: weftLightClientAbi,
    functionName: 'latestHeight',
    args: [toHex(member.id) as Hex],
  });
  const { cm } = vaultTreeKeys(moved, moved.nk);
  const proof = await client.proveCommitment(cm, height);
  if (proof.value === null)
    throw new WeftError('BAD_PROOF', `the moved coin is not in ${member.name}'s tree at ${height}`);
  const receipt = await claimOnVault(evm, vault, {
    source: member.id,
    height,
    createdHeight: new DataView(
      proof.value.buffer,
      proof.value.byteOffset,
      proof.value.byteLength,
    ).getBigUint64(0),
    moved,
    nk: moved.nk,
    proof: proof.proof,
  });
  if (deadline !== undefined) forgetVaultTransfer(dir, moved);
  const result = {
    from: member.name,
    vault,
    owner: evm.account.address,
    amount: moved.resource.quantity.toString(),
    height: height.toString(),
    claimTx: receipt.transactionHash,
  };
  if (v.json) out.log(JSON.stringify(result));
  else
    out.log(
      `moved ${result.amount} from ${member.name} to the vault: claimed for ${result.owner} (${result.claimTx})`,
    );
  return 0;
}

/** How long `weft transfer --from evm` waits for the destination to accept the lock's vault root and include the claim. */
export const EVM_CLAIM_WAIT_MS = 120_000;

/**
 * `weft transfer --from evm --to NAME`: locks `amount` ERC-20 units of `--key`'s account in the
 * vault as a resource homed on NAME owned by `--key`'s secp256k1 key; waits until NAME's node
 * has accepted (in `evm` mode, after its confirmations) a vault root holding the lock; then
 * claims it on NAME with its vault path, signed by that key, creating a coin for the dev wallet's
 * owner, which joins DIR/wallet.json.
 */
export async function transferFromVault(
  o: VaultTransferOptions & { to: string; amount: bigint },
  out: Out,
): Promise<number> {
  const evm = await connectEvm(o.rpc, o.key);
  const dir = resolve(o.dir);
  const network = readNetworkFile(join(dir, 'network.json'));
  const member = network.domains.find((m) => m.name === o.to);
  if (!member) throw new WeftError('UNKNOWN_DOMAIN', `no domain named ${o.to} in ${dir}/network.json`);
  const walletFile = join(dir, 'wallet.json');
  if (!existsSync(walletFile)) throw new WeftError('NO_WALLET', `no dev wallet in ${dir}: weft up mints one`);
  const wallet = JSON.parse(readFileSync(walletFile, 'utf8')) as WalletJson;
  if (o.amount <= 0n) throw new WeftError('BAD_INPUT', '--amount must be at least 1');
  const vault = getAddress(o.vault);
  const read = vaultReader(evm, vault);
  const vaultId = fromHex(await read<Hex>('domainId'), 32);
  const token = await read<Address>('token');
  const labelHash = fromHex(await read<Hex>('labelRef'), 32);
  const label = wallet.coins.map((c) => fromHex(c.label)).find((l) => equalBytes(sha256(l), labelHash));
  if (!label)
    throw new WeftError(
      'BAD_INPUT',
      "the dev wallet holds no coin of the vault's token kind (deploy it with --dir)",
    );
  const secret = fromHex(parsePrivateKey(o.key), 32);
  const signer: KeyPair = {
    type: 'secp256k1',
    secretKey: secret,
    publicKey: publicKeyOf('secp256k1', secret),
  };
  const nk = randomBytes(32);
  const locked = createResource({
    logicRef: tokenLogic.ref,
    label,
    quantity: o.amount,
    home: member.id,
    data: tokenData(signer.publicKey),
    nkCommitment: nkCommitment(nk),
  });
  const lock = await lockOnVault(evm, vault, token, locked);
  const token_ = nodeToken(dir, member.name);
  const client = new WeftClient(member.api, token_ ? { token: token_ } : {});
  // The destination decides when the lock is deep enough: wait for a vault root it accepted
  // that holds it (its `evm` mode, after --evm-confirmations).
  const end = Date.now() + EVM_CLAIM_WAIT_MS;
  const follower = new VaultFollower(evm.public, vault, { confirmations: 0n });
  let claim: Transaction | undefined;
  while (claim === undefined) {
    const recorded = await client.remoteHeader(vaultId);
    if (recorded && recorded.height > lock.index) {
      await follower.sync();
      const at = follower.commitmentPath(lock.commitment, Number(recorded.height));
      if (!at || !equalBytes(at.root, recorded.stateRoot))
        throw new WeftError(
          'BAD_RESPONSE',
          `the chain's vault tree disagrees with the root ${member.name} accepted`,
        );
      const owner = keyPairFromSeed('ed25519', fromHex(wallet.owner, 32));
      const landedNk = randomBytes(32);
      const landed = createResource({
        logicRef: tokenLogic.ref,
        label,
        quantity: o.amount,
        home: member.id,
        data: tokenData(owner.publicKey),
        nkCommitment: nkCommitment(landedNk),
      });
      claim = signTransaction(
        {
          actions: [
            {
              consumed: [
                {
                  resource: locked.resource,
                  value: locked.value,
                  label: locked.label,
                  nk,
                  commitmentProof: { anchor: at.root, height: lock.index, proof: vaultPathProof(at.path) },
                },
              ],
              created: [{ resource: landed.resource, value: landed.value, label: landed.label }],
            },
          ],
          appData: new Uint8Array(),
          signatures: [],
          executor: member.id,
        },
        [signer],
      );
      const submitted = await client.submit(claim);
      for (;;) {
        const st = await client.status(submitted.txId);
        if (st?.status === 'included') break;
        if (st?.status === 'rejected' || st?.status === 'evicted')
          throw new WeftError('CLAIM_REFUSED', `${member.name} refused the claim: ${JSON.stringify(st)}`);
        if (Date.now() > end)
          throw new WeftError('TIMEOUT', `the claim was not included within ${EVM_CLAIM_WAIT_MS} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const fresh = JSON.parse(readFileSync(walletFile, 'utf8')) as WalletJson;
      fresh.coins.push({
        domain: member.name,
        resource: resourceToJson(landed.resource),
        value: toHex(landed.value),
        label: toHex(landed.label),
        nk: toHex(landedNk),
      });
      writeFileSync(`${walletFile}.tmp`, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
      renameSync(`${walletFile}.tmp`, walletFile);
      const result = {
        to: member.name,
        vault,
        owner: evm.account.address,
        amount: o.amount.toString(),
        lockTx: lock.receipt.transactionHash,
        index: lock.index.toString(),
        claimTx: toHex(submitted.txId),
      };
      if (o.json) out.log(JSON.stringify(result));
      else
        out.log(
          `locked ${result.amount} in the vault (leaf ${result.index}) and claimed it on ${member.name}`,
        );
      return 0;
    }
    if (Date.now() > end)
      throw new WeftError(
        'TIMEOUT',
        `${member.name} did not accept a vault root holding the lock within ${EVM_CLAIM_WAIT_MS} ms (does it follow the vault: weft node --evm-rpc --evm-vault?)`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
  return 0;
}

/** Reads a view function of the vault at `vault` (no arguments): what the moves both ways ask it. */
function vaultReader(evm: EvmConnection, vault: Address) {
  return <T>(functionName: string) =>
    evm.public.readContract({
      address: vault,
      abi: weftVaultAbi,
      functionName: functionName as never,
    }) as Promise<T>;
}
