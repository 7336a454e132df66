// The relayer and the `weft evm` commands against real processes: a ganache chain, a `weft up`
// network of node processes over NATS, `weft evm deploy` and `weft evm relay --once`; then a
// commitment proof served by a node verifies on-chain under the header the relayer submitted.
// The misbehaviour path is driven with two header sources that disagree. Needs `npm run build`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../src/api/index.js';
import { nodeToken } from '../src/cli/nodeClient.js';
import { fromHex, keyPairFromSeed, sha256, utf8 } from '../src/crypto/index.js';
import { headerHash, type SignedHeader } from '../src/domain/index.js';
import {
  claimOnVault,
  connectEvm,
  DEV_CHAIN_KEYS,
  type DevChain,
  EvmRelayer,
  encodeProofForEvm,
  evmAddressOf,
  expireOnVault,
  lockOnVault,
  moveToVaultTx,
  refundOnVault,
  startDevChain,
  VaultFollower,
  vaultTreeKeys,
  weftLightClientAbi,
  weftTestTokenAbi,
  weftVaultAbi,
} from '../src/evm/index.js';
import {
  commitment,
  createResource,
  nkCommitment,
  nullifier,
  parseResourceJson,
  rehome,
  tokenData,
  tokenLogic,
} from '../src/resource/index.js';
import { planRefund, withRefundWitness } from '../src/transfer/index.js';
import { commitmentKey, decodeHeight, vaultPathProof } from '../src/tx/index.js';
import {
  type EvmEnv,
  header,
  hex,
  inKeySetOrder,
  keySetOf,
  sign,
  signers,
  startEvmEnv,
} from './helpers/evm.js';

const bin = join(import.meta.dirname, '..', 'bin', 'weft.mjs');

/** Runs the weft CLI; resolves with its exit code and output. */
function weft(
  args: string[],
  timeoutMs = 120_000,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

type Wallet = {
  owner: string;
  coins: { domain: string; resource: unknown; value: string; label: string; nk: string }[];
};

describe('weft evm deploy and relay, against a weft up network', () => {
  const readWallet = () => JSON.parse(readFileSync(join(dir, 'wallet.json'), 'utf8')) as Wallet;
  let dir: string;
  let chain: DevChain;
  const key = DEV_CHAIN_KEYS[0];
  let d: { lightClient: Address; vault: Address; token: Address; domainId: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-evm-'));
    chain = await startDevChain();
    const up = await weft(['up', '--domains', '2', '--dir', dir]);
    expect(up.code, up.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    if (dir) {
      await weft(['down', '--dir', dir, '--purge']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    await chain?.stop();
  }, 60_000);

  it('deploys both contracts, registers every domain, follows their headers, and verifies a node’s proof', async () => {
    const deployed = await weft([
      'evm',
      'deploy',
      '--rpc',
      chain.rpcUrl,
      '--key',
      key,
      '--dir',
      dir,
      '--json',
    ]);
    expect(deployed.code, deployed.stderr).toBe(0);
    d = JSON.parse(deployed.stdout) as {
      lightClient: Address;
      vault: Address;
      token: Address;
      domainId: string;
    };
    expect(d.lightClient).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(d.vault).toMatch(/^0x[0-9a-fA-F]{40}$/);

    const relayed = await weft([
      'evm',
      'relay',
      '--rpc',
      chain.rpcUrl,
      '--key',
      key,
      '--light-client',
      d.lightClient,
      '--dir',
      dir,
      '--once',
    ]);
    expect(relayed.code, relayed.stderr + relayed.stdout).toBe(0);
    expect(relayed.stdout).toContain('registered domain-a');
    expect(relayed.stdout).toContain('registered domain-b');

    const evm = await connectEvm(chain.rpcUrl, key);
    const read = <T>(functionName: string, args: readonly unknown[]) =>
      evm.public.readContract({
        address: d.lightClient,
        abi: weftLightClientAbi,
        functionName: functionName as never,
        args: args as never,
      }) as Promise<T>;
    const network = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as {
      domains: { name: string; id: string; api: string }[];
    };
    const a = network.domains.find((m) => m.name === 'domain-a')!;
    const client = new WeftClient(a.api);
    const onChain = await read<bigint>('latestHeight', [a.id]);
    // `weft up` minted the dev wallet's coins in blocks the relayer has now submitted.
    expect(onChain).toBeGreaterThan(0n);
    const nodeHeader = await client.header(onChain);
    expect(await read<string>('latestHeaderHash', [a.id])).toBe(hex(headerHash(nodeHeader!.header)));

    // A coin minted on domain-a: the node's proof of its commitment verifies on-chain.
    const wallet = JSON.parse(readFileSync(join(dir, 'wallet.json'), 'utf8')) as {
      coins: { domain: string; resource: unknown }[];
    };
    const coin = wallet.coins.find((c) => c.domain === 'domain-a')!;
    const cm = commitment(parseResourceJson(coin.resource as never));
    const proof = await client.proveCommitment(cm, onChain);
    expect(proof.value).not.toBeNull();
    expect(
      await read<boolean>('verifyMembership', [
        a.id,
        onChain,
        hex(commitmentKey(cm)),
        hex(proof.value!),
        hex(encodeProofForEvm(proof.proof)),
      ]),
    ).toBe(true);

    // A transfer seals new blocks; the next relay submits them (in one batch per domain).
    const moved = await weft(['transfer', '--from', 'domain-a', '--to', 'domain-b', '--wait', '--dir', dir]);
    expect(moved.code, moved.stderr).toBe(0);
    const again = await weft([
      'evm',
      'relay',
      '--rpc',
      chain.rpcUrl,
      '--key',
      key,
      '--light-client',
      d.lightClient,
      '--dir',
      dir,
      '--once',
      '--json',
    ]);
    expect(again.code, again.stderr).toBe(0);
    const after = await read<bigint>('latestHeight', [a.id]);
    expect(after).toBeGreaterThan(onChain);
    expect(await read<string>('latestHeaderHash', [a.id])).toBe(
      hex(headerHash((await client.header(after))!.header)),
    );
    // The vault deployed beside it knows its light client and its token kind.
    expect(
      await evm.public.readContract({ address: d.vault, abi: weftVaultAbi, functionName: 'lightClient' }),
    ).toBe(d.lightClient);
  }, 240_000);

  it('moves a coin from a Weft domain to the vault (claimed once) and refunds a lock its destination never claimed', async () => {
    const evm = await connectEvm(chain.rpcUrl, key);
    const relay = async () => {
      const r = await weft([
        'evm',
        'relay',
        '--rpc',
        chain.rpcUrl,
        '--key',
        key,
        '--light-client',
        d.lightClient,
        '--dir',
        dir,
        '--once',
      ]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
    };
    const readLc = <T>(functionName: string, args: readonly unknown[]) =>
      evm.public.readContract({
        address: d.lightClient,
        abi: weftLightClientAbi,
        functionName: functionName as never,
        args: args as never,
      }) as Promise<T>;
    const balance = (of: Address) =>
      evm.public.readContract({
        address: d.token,
        abi: weftTestTokenAbi,
        functionName: 'balanceOf',
        args: [of],
      });
    const network = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as {
      domains: { name: string; id: string; api: string }[];
    };
    const member = (name: string) => network.domains.find((m) => m.name === name)!;
    const a = member('domain-a');
    const b = member('domain-b');
    const vaultId = fromHex(d.domainId, 32);

    // The vault's liquidity: the deployer locks 500 tokens out to domain-b (no deadline).
    const label = fromHex(readWallet().coins[0]!.label, undefined);
    const liquidity = createResource({
      logicRef: tokenLogic.ref,
      label,
      quantity: 500n,
      home: fromHex(b.id, 32),
      data: tokenData(keyPairFromSeed('secp256k1', sha256(utf8('e2e-liquidity'))).publicKey),
      nkCommitment: nkCommitment(sha256(utf8('e2e-nk-liquidity'))),
    });
    await lockOnVault(evm, d.vault, d.token, liquidity);

    // 0. `weft evm transfer`: a dev-wallet coin of domain-b moves to the vault, claimed for --key.
    const coinsOnB = readWallet().coins.filter((c) => c.domain === 'domain-b').length;
    const deployerBefore = await balance(evm.account.address);
    const cli = await weft([
      'evm',
      'transfer',
      '--rpc',
      chain.rpcUrl,
      '--key',
      key,
      '--vault',
      d.vault,
      '--dir',
      dir,
      '--from',
      'domain-b',
      '--json',
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const cliOut = JSON.parse(cli.stdout) as { amount: string; owner: string };
    expect(await balance(evm.account.address)).toBe(deployerBefore + BigInt(cliOut.amount));
    expect(readWallet().coins.filter((c) => c.domain === 'domain-b')).toHaveLength(coinsOnB - 1);

    // 1. Weft -> vault: a dev-wallet coin on domain-a is consumed and re-created homed on the
    // vault, owned by a secp256k1 key (its Ethereum address gets the ERC-20).
    const wallet = readWallet();
    const coin = wallet.coins.find((c) => c.domain === 'domain-a')!;
    const owner = keyPairFromSeed('ed25519', fromHex(wallet.owner, 32));
    const ethOwner = keyPairFromSeed('secp256k1', sha256(utf8('e2e-eth-owner')));
    const resource = parseResourceJson(coin.resource as never);
    const nk = sha256(utf8('e2e-nk-moved'));
    const { tx, moved } = moveToVaultTx({
      coin: { resource, value: fromHex(coin.value), label: fromHex(coin.label), nk: fromHex(coin.nk, 32) },
      owner,
      vault: vaultId,
      evmOwner: ethOwner.publicKey,
      nk,
    });
    // Submissions carry the node's API token, as the CLI sends it.
    const clientA = new WeftClient(a.api, { token: nodeToken(dir, 'domain-a')! });
    const submitted = await clientA.submit(tx);
    let included: bigint | undefined;
    for (let i = 0; i < 100 && included === undefined; i++) {
      const st = await clientA.status(submitted.txId);
      if (st?.status === 'included') included = st.height;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(included).toBeDefined();
    await relay();
    const height = await readLc<bigint>('latestHeight', [a.id]);
    expect(height).toBeGreaterThanOrEqual(included!);
    const { cm } = vaultTreeKeys(moved, nk);
    const proof = await clientA.proveCommitment(cm, height);
    const claim = {
      source: fromHex(a.id, 32),
      height,
      createdHeight: new DataView(proof.value!.buffer, proof.value!.byteOffset).getBigUint64(0),
      moved,
      nk,
      proof: proof.proof,
    };
    await claimOnVault(evm, d.vault, claim);
    const ethAddress = evmAddressOf(ethOwner.publicKey.bytes);
    expect(await balance(ethAddress)).toBe(resource.quantity);
    await expect(claimOnVault(evm, d.vault, claim)).rejects.toMatchObject({ errorName: 'AlreadyClaimed' });

    // 2. Vault -> domain-b with a deadline domain-b does not meet: refunded on the vault against
    // domain-b's own header stamped past it, with domain-b's node's proof that it never claimed.
    const refundOwner = keyPairFromSeed('secp256k1', sha256(utf8('e2e-refund-owner')));
    const deadline = BigInt(Date.now() + 1_500);
    const outNk = sha256(utf8('e2e-nk-out'));
    const plain = createResource({
      logicRef: tokenLogic.ref,
      label,
      quantity: 200n,
      home: fromHex(b.id, 32),
      data: tokenData(refundOwner.publicKey),
      nkCommitment: nkCommitment(outNk),
    });
    const out = rehome(plain, fromHex(b.id, 32), undefined, { deadline });
    await lockOnVault(evm, d.vault, d.token, out);
    const clientB = new WeftClient(b.api);
    for (let i = 0; i < 100; i++) {
      if (((await clientB.header('latest'))?.header.timestamp ?? 0n) > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await relay();
    const hb = await readLc<bigint>('latestHeight', [b.id]);
    expect(await readLc<bigint>('headerTimestamp', [b.id, hb])).toBeGreaterThan(deadline);
    const { nf } = vaultTreeKeys(out, outNk);
    const absent = await clientB.proveNullifier(nf, hb);
    expect(absent.value).toBeNull();
    await refundOnVault(evm, d.vault, { height: hb, out, nk: outNk, proof: absent.proof });
    const refundAddress = evmAddressOf(refundOwner.publicKey.bytes);
    expect(await balance(refundAddress)).toBe(200n);
    await expect(
      refundOnVault(evm, d.vault, { height: hb, out, nk: outNk, proof: absent.proof }),
    ).rejects.toMatchObject({
      errorName: 'AlreadyRefunded',
    });

    // Supply: every token minted is with the deployer, the vault or an owner; the vault holds
    // exactly what is locked out and not refunded, less what Weft coins claimed.
    const holders = [evm.account.address, d.vault, ethAddress, refundAddress];
    let sum = 0n;
    for (const h of holders) sum += await balance(h);
    const total = await evm.public.readContract({
      address: d.token,
      abi: weftTestTokenAbi,
      functionName: 'totalSupply',
    });
    expect(sum).toBe(total);
    expect(await balance(d.vault)).toBe(500n - resource.quantity - BigInt(cliOut.amount));
  }, 240_000);

  it('nodes follow the vault in evm mode: a token moves vault -> domain-b and domain-a -> vault with weft transfer, and an expired transfer into the vault is refunded (by hand and with weft evm refund)', async () => {
    const evm = await connectEvm(chain.rpcUrl, key);
    const network = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as {
      domains: { name: string; id: string; api: string }[];
    };
    const member = (name: string) => network.domains.find((m) => m.name === name)!;
    const a = member('domain-a');
    const b = member('domain-b');
    const vaultId = fromHex(d.domainId, 32);
    const clientA = new WeftClient(a.api, { token: nodeToken(dir, 'domain-a')! });
    const clientB = new WeftClient(b.api, { token: nodeToken(dir, 'domain-b')! });
    // Both nodes follow the vault (the environment `weft restart` passes on), 2 blocks deep.
    const evmEnv = {
      WEFT_EVM_RPC: chain.rpcUrl,
      WEFT_EVM_VAULT: d.vault,
      WEFT_EVM_CONFIRMATIONS: '2',
      WEFT_EVM_POLL_MS: '200',
    };
    for (const name of ['domain-a', 'domain-b']) {
      const r = await weft(['restart', name, '--dir', dir], 120_000, evmEnv);
      expect(r.code, r.stderr).toBe(0);
    }
    // ganache mines only on transactions: keep blocks coming so locks get buried.
    const miner = setInterval(
      () => void evm.public.request({ method: 'evm_mine' as never, params: [] as never }).catch(() => {}),
      150,
    );
    try {
      const balance = (of: Address) =>
        evm.public.readContract({
          address: d.token,
          abi: weftTestTokenAbi,
          functionName: 'balanceOf',
          args: [of],
        });
      const clients = { 'domain-a': clientA, 'domain-b': clientB } as Record<string, WeftClient>;
      /** The quantity of the wallet's coins their nodes hold unspent: the wallet's supply on Weft. */
      const weftSupply = async () => {
        let sum = 0n;
        for (const c of readWallet().coins) {
          const client = clients[c.domain]!;
          const r = parseResourceJson(c.resource as never);
          const [held, spent] = await Promise.all([
            client.proveCommitment(commitment(r)),
            client.proveNullifier(nullifier(r, fromHex(c.nk, 32))),
          ]);
          if (held.value !== null && spent.value === null) sum += r.quantity;
        }
        return sum;
      };
      const evmArgs = ['--rpc', chain.rpcUrl, '--key', key, '--vault', d.vault, '--dir', dir, '--json'];
      const w0 = await weftSupply();
      const e0 = await balance(evm.account.address);
      const v0 = await balance(d.vault);

      // vault -> domain-b: 40 ERC-20 locked, claimed on domain-b by its vault path once domain-b
      // accepted a vault root holding it; the new coin joins the wallet.
      const coinsOnB = readWallet().coins.filter((c) => c.domain === 'domain-b').length;
      const fromEvm = await weft([
        'transfer',
        '--from',
        'evm',
        '--to',
        'domain-b',
        '--amount',
        '40',
        ...evmArgs,
      ]);
      expect(fromEvm.code, fromEvm.stderr).toBe(0);
      expect(JSON.parse(fromEvm.stdout)).toMatchObject({ to: 'domain-b', amount: '40' });
      expect(readWallet().coins.filter((c) => c.domain === 'domain-b')).toHaveLength(coinsOnB + 1);
      expect(await balance(d.vault)).toBe(v0 + 40n);
      const recorded = await clientB.remoteHeader(vaultId);
      expect(recorded).toBeDefined();
      expect((await clientB.remote(vaultId))?.frozen).toBe(false);

      // domain-a -> vault: a wallet coin moved and claimed on the vault for --key's address.
      const toEvm = await weft(['transfer', '--from', 'domain-a', '--to', 'evm', ...evmArgs]);
      expect(toEvm.code, toEvm.stderr).toBe(0);
      const moved = BigInt((JSON.parse(toEvm.stdout) as { amount: string }).amount);

      // Supply is conserved: what left Weft arrived on the chain outside the vault, and back.
      const w1 = await weftSupply();
      const e1 = await balance(evm.account.address);
      const v1 = await balance(d.vault);
      expect(w1 - w0).toBe(40n - moved);
      expect(w1 + e1).toBe(w0 + e0);
      expect(v1 - v0).toBe(w1 - w0);

      // domain-a (full mode) re-executed domain-b's block with the vault claim: its view of
      // domain-b is not frozen and has passed the claim.
      for (let i = 0; i < 100; i++) {
        const view = await clientA.remote(fromHex(b.id, 32));
        if ((view?.recorded?.height ?? 0n) >= ((await clientB.header('latest'))?.header.height ?? 0n) - 1n)
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const viewOfB = await clientA.remote(fromHex(b.id, 32));
      expect(viewOfB?.frozen).toBe(false);

      // A transfer into the vault that nobody claims by its deadline: expired on the vault, then
      // refunded on domain-a against the vault root domain-a accepted holding the marker.
      const wallet = readWallet();
      let coin:
        | {
            resource: ReturnType<typeof parseResourceJson>;
            value: Uint8Array;
            label: Uint8Array;
            nk: Uint8Array;
          }
        | undefined;
      for (const c of wallet.coins.filter((x) => x.domain === 'domain-a')) {
        const r = parseResourceJson(c.resource as never);
        const nkC = fromHex(c.nk, 32);
        if ((await clientA.proveNullifier(nullifier(r, nkC))).value === null) {
          coin = { resource: r, value: fromHex(c.value), label: fromHex(c.label), nk: nkC };
          break;
        }
      }
      expect(coin).toBeDefined();
      const ethOwner = keyPairFromSeed('secp256k1', sha256(utf8('e2e-expired-owner')));
      const chainNow = (await evm.public.getBlock()).timestamp * 1000n;
      const { tx, moved: late } = moveToVaultTx({
        coin: coin!,
        owner: keyPairFromSeed('ed25519', fromHex(wallet.owner, 32)),
        vault: vaultId,
        evmOwner: ethOwner.publicKey,
        deadline: chainNow + 30_000n,
      });
      const submitted = await clientA.submit(tx);
      for (let i = 0; i < 100 && (await clientA.status(submitted.txId))?.status !== 'included'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect((await clientA.status(submitted.txId))?.status).toBe('included');
      await evm.public.request({ method: 'evm_increaseTime' as never, params: [60] as never });
      // The jump applies from the next block: mine it before asking the vault.
      await evm.public.request({ method: 'evm_mine' as never, params: [] as never });
      const vaultBefore = await balance(d.vault);
      const expiry = await expireOnVault(evm, d.vault, late, late.nk);
      expect(await balance(d.vault)).toBe(vaultBefore);
      const height = expiry.index + 1n;
      for (let i = 0; i < 200 && ((await clientA.remoteHeader(vaultId))?.height ?? 0n) < height; i++)
        await new Promise((r) => setTimeout(r, 100));
      const atA = await clientA.remoteHeader(vaultId);
      expect(atA!.height).toBeGreaterThanOrEqual(height);
      const follower = new VaultFollower(evm.public as never, d.vault, { confirmations: 0n });
      await follower.sync();
      const path = follower.commitmentPath(expiry.marker, Number(height))!;
      const { cm } = vaultTreeKeys(late, late.nk);
      const own = await clientA.proveCommitment(cm);
      const refund = withRefundWitness(
        planRefund({ moved: late, source: fromHex(a.id, 32), owner: ethOwner }),
        {
          commitmentProof: { anchor: own.root, height: decodeHeight(own.value!), proof: own.proof },
          refund: { height, proof: vaultPathProof(path.path) },
        },
      );
      const r = await clientA.submit(refund);
      for (let i = 0; i < 100 && (await clientA.status(r.txId))?.status !== 'included'; i++)
        await new Promise((res) => setTimeout(res, 100));
      expect((await clientA.status(r.txId))?.status).toBe('included');
      const back = refund.actions[0]!.created[0]!.resource;
      expect((await clientA.proveCommitment(commitment(back))).value).not.toBeNull();
      expect(back.quantity).toBe(coin!.resource.quantity);
      // The vault can no longer pay the expired transfer out.
      await expect(
        claimOnVault(evm, d.vault, {
          source: fromHex(a.id, 32),
          height: 0n,
          createdHeight: 0n,
          moved: late,
          nk: late.nk,
          proof: own.proof,
        }),
      ).rejects.toMatchObject({ errorName: 'DeadlinePassed' });

      // The same from the CLI: a move with a deadline left unclaimed (`--no-claim`), kept until
      // `weft evm refund` expires it on the vault and refunds it on domain-a, back in the wallet.
      const onA = () => readWallet().coins.filter((c) => c.domain === 'domain-a').length;
      const coinsOnA = onA();
      const vaultHeld = await balance(d.vault);
      const unclaimed = await weft([
        'transfer',
        '--from',
        'domain-a',
        '--to',
        'evm',
        '--deadline-ms',
        '30000',
        '--no-claim',
        ...evmArgs,
      ]);
      expect(unclaimed.code, unclaimed.stderr).toBe(0);
      const movedOut = JSON.parse(unclaimed.stdout) as { amount: string; commitment: string };
      expect(onA()).toBe(coinsOnA - 1);
      const refundArgs = [
        'evm',
        'refund',
        '--rpc',
        chain.rpcUrl,
        '--key',
        key,
        '--vault',
        d.vault,
        '--dir',
        dir,
      ];
      // Before its deadline the vault would still pay it out: nothing happens, the move is kept.
      const early = await weft([...refundArgs, '--json']);
      expect(early.code, early.stderr).toBe(0);
      expect(JSON.parse(early.stdout)).toMatchObject({ transfers: [{ status: 'pending' }] });
      const kept = readFileSync(join(dir, 'vault-transfers.json'), 'utf8');
      await evm.public.request({ method: 'evm_increaseTime' as never, params: [60] as never });
      await evm.public.request({ method: 'evm_mine' as never, params: [] as never });
      const refunded = await weft([...refundArgs, '--json'], 180_000);
      expect(refunded.code, refunded.stderr).toBe(0);
      expect(JSON.parse(refunded.stdout)).toMatchObject({
        transfers: [{ status: 'refunded', from: 'domain-a', amount: movedOut.amount }],
      });
      expect(onA()).toBe(coinsOnA);
      expect(await balance(d.vault)).toBe(vaultHeld);
      // The refunded coin is the wallet's again: it moves like any other.
      const last = readWallet()
        .coins.filter((c) => c.domain === 'domain-a')
        .at(-1)!;
      const backOnA = parseResourceJson(last.resource as never);
      expect((await clientA.proveCommitment(commitment(backOnA))).value).not.toBeNull();
      expect(backOnA.quantity).toBe(BigInt(movedOut.amount));
      // A run that finds the move again (as after a crash before the record was dropped) sees
      // it refunded and the coin in the wallet: nothing is done twice.
      writeFileSync(join(dir, 'vault-transfers.json'), kept);
      const rerun = await weft([...refundArgs, '--json']);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(JSON.parse(rerun.stdout)).toMatchObject({ transfers: [{ status: 'refunded' }] });
      expect(onA()).toBe(coinsOnA);
      // Nothing is left to refund.
      const again = await weft([...refundArgs, '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({ transfers: [] });
    } finally {
      clearInterval(miner);
    }
  }, 420_000);
});

describe('the relayer turns a contradicting header into misbehaviour evidence', () => {
  let env: EvmEnv;
  beforeAll(async () => {
    env = await startEvmEnv();
  }, 60_000);
  afterAll(async () => {
    await env?.chain.stop();
  });

  it('submits a node’s header that differs from the one the chain accepted at that height: the domain freezes', async () => {
    const pairs = signers('relay-fork', 3);
    const ks = keySetOf(pairs, 2);
    const ordered = inKeySetOrder(ks, pairs);
    const id = sha256(utf8('relay-fork'));
    const genesis = sign(header(id, 0n), ks, ordered);
    const chainA: SignedHeader[] = [genesis];
    const chainB: SignedHeader[] = [genesis];
    for (let i = 1; i <= 3; i++) {
      const prevA = chainA[i - 1]!.header;
      const prevB = chainB[i - 1]!.header;
      chainA.push(
        sign(
          header(id, BigInt(i), { prevHash: headerHash(prevA), timestamp: 2_000n + BigInt(i) }),
          ks,
          ordered.slice(0, 2),
        ),
      );
      chainB.push(
        sign(
          header(id, BigInt(i), {
            prevHash: headerHash(prevB),
            timestamp: 2_000n + BigInt(i),
            txRoot: new Uint8Array(32).fill(i),
          }),
          ks,
          ordered.slice(1, 3),
        ),
      );
    }
    const source = (c: SignedHeader[]) => ({
      header: async (at: bigint | 'latest') => (at === 'latest' ? c[c.length - 1] : c[Number(at)]),
    });
    const domain = { name: 'relay-fork', id, keySet: ks, genesis };
    const honest = new EvmRelayer(env.evm, env.lightClient, [{ ...domain, source: source(chainA) }]);
    const first = await honest.run({ once: true });
    expect(first.skipped).toEqual({});
    expect(first.caughtUp).toBe(true);
    const read = <T>(functionName: string) =>
      env.evm.public.readContract({
        address: env.lightClient,
        abi: weftLightClientAbi,
        functionName: functionName as never,
        args: [hex(id)] as never,
      }) as Promise<T>;
    expect(await read<bigint>('latestHeight')).toBe(3n);
    // Another node of the same domain serves a different, validly signed history.
    const forked = new EvmRelayer(env.evm, env.lightClient, [{ ...domain, source: source(chainB) }]);
    const pass = await forked.pass();
    expect(pass.frozen).toEqual(['relay-fork']);
    expect(await read<boolean>('frozen')).toBe(true);
    expect((await forked.pass()).skipped).toEqual({ 'relay-fork': 'frozen' });
  });
});
