// The `eth_getProof` cross-check of a node following a vault (docs/evm.md, "What each part
// trusts"): the vault's count and root are proven against the state root of a block header whose
// hash the follower recomputes. Against real ganache, through a fault-injecting JSON-RPC proxy
// that rewrites answers the way a lying endpoint would: events and eth_call lying consistently
// (which the eth_call checks alone cannot see), proof nodes, and headers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Address,
  createPublicClient,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  toRlp,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, publicKeyOf, sha256, toHex, utf8 } from '../src/crypto/index.js';
import { Domain } from '../src/domain/index.js';
import {
  blockHeaderHash,
  DEV_CHAIN_KEYS,
  deployTestToken,
  deployVault,
  getProvenStorage,
  getVerifiedBlockHeader,
  lockOnVault,
  MPT_PROOF_NODES_MAX,
  mappingSlot,
  sendContract,
  VaultFollower,
  verifyStorageProof,
  weftTestTokenAbi,
  weftTestTokenStorageLayout,
  weftVaultAbi,
} from '../src/evm/index.js';
import { VaultWatch } from '../src/node/index.js';
import { createResource, nkCommitment, tokenData, tokenLabel, tokenLogic } from '../src/resource/index.js';
import { type EvmEnv, startEvmEnv } from './helpers/evm.js';
import { operatorKey } from './helpers/refund.js';

const CONFIRMATIONS = 2n;
const label = tokenLabel({ issuer: operatorKey('evm-state-proof-issuer').publicKey, symbol: 'WEFT' });
const vaultId = sha256(utf8('evm-state-proof-vault'));
const home = sha256(utf8('evm-state-proof-home'));
const owner = publicKeyOf('secp256k1', fromHex(DEV_CHAIN_KEYS[0], 32));

type Rewrite = (method: string, params: unknown[], result: unknown) => unknown;
/** What a rewrite returns to answer with a JSON-RPC error instead of a result. */
class RpcFault {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}
type RpcRequest = { jsonrpc: '2.0'; id: number; method: string; params: unknown[] };

/** A JSON-RPC proxy in front of ganache that passes every answer through `rewrite`. */
class LyingEndpoint {
  rewrite: Rewrite = (_m, _p, r) => r;
  private server: Server | undefined;
  url = '';

  constructor(private readonly upstream: string) {}

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const one = async (r: RpcRequest) => {
        const up = await fetch(this.upstream, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(r),
        });
        const answer = (await up.json()) as { id: number; result?: unknown };
        if (!('result' in answer)) return answer;
        const result = this.rewrite(r.method, r.params, answer.result);
        if (result instanceof RpcFault)
          return { jsonrpc: '2.0', id: answer.id, error: { code: result.code, message: result.message } };
        return { ...answer, result };
      };
      const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map(one)) : await one(parsed);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(out));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  client(): PublicClient {
    return createPublicClient({ transport: http(this.url, { retryCount: 0 }) }) as PublicClient;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

let env: EvmEnv;
let vault: Address;
let token: Address;
let proxy: LyingEndpoint;

const mine = async (n: bigint) => {
  for (let i = 0n; i < n; i++)
    await env.evm.public.request({ method: 'evm_mine' as never, params: [] as never });
};

async function lock(quantity: bigint, salt: string) {
  const parts = createResource({
    logicRef: tokenLogic.ref,
    label,
    quantity,
    home,
    data: tokenData(owner),
    nkCommitment: nkCommitment(sha256(utf8(`evm-state-proof-nk-${salt}`))),
  });
  return lockOnVault(env.evm, vault, token, parts);
}

/** Flips one byte in the middle of a 0x-hex proof node. */
const flip = (node: string): string => {
  const at = 2 + 2 * Math.floor((node.length - 2) / 4);
  const byte = (Number.parseInt(node.slice(at, at + 2), 16) ^ 0x01).toString(16).padStart(2, '0');
  return `${node.slice(0, at)}${byte}${node.slice(at + 2)}`;
};

const isCall = (params: unknown[], fn: 'commitmentCount' | 'currentRoot') => {
  const call = params[0] as { to?: string; data?: string; input?: string };
  const data = call.data ?? call.input;
  return (
    call.to?.toLowerCase() === vault.toLowerCase() &&
    data === encodeFunctionData({ abi: weftVaultAbi, functionName: fn })
  );
};

beforeAll(async () => {
  env = await startEvmEnv();
  token = await deployTestToken(env.evm);
  vault = await deployVault(env.evm, { lightClient: env.lightClient, token, domainId: vaultId, label });
  await sendContract(env.evm, {
    address: token,
    abi: weftTestTokenAbi,
    functionName: 'mint',
    args: [env.evm.account.address, 1_000n],
  });
  await lock(5n, 'one');
  await lock(7n, 'two');
  await mine(CONFIRMATIONS);
  proxy = new LyingEndpoint(env.chain.rpcUrl);
  await proxy.start();
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await env?.chain.stop();
}, 30_000);

describe('the eth_getProof cross-check of a vault follower', () => {
  it('refuses at start an endpoint that does not answer eth_getProof, unless told not to prove', async () => {
    const d = await Domain.create({
      name: 'evm-state-proof-watch',
      signers: [operatorKey('evm-state-proof-watch')],
    });
    proxy.rewrite = (method, _p, result) =>
      method === 'eth_getProof' ? new RpcFault(-32601, 'the method eth_getProof does not exist') : result;
    await expect(
      VaultWatch.open(d, { rpcUrl: proxy.url, vault, confirmations: CONFIRMATIONS }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/cannot be proven/),
    });
    const trusting = await VaultWatch.open(d, {
      rpcUrl: proxy.url,
      vault,
      confirmations: CONFIRMATIONS,
      stateProofs: false,
    });
    await trusting.poll();
    expect(d.remoteHeaders(vaultId).at(-1)?.height).toBe(2n);
    await trusting.close();
    await d.close();
  });

  it('recomputes block hashes from the header fields ganache reports', async () => {
    const latest = await env.evm.public.getBlockNumber();
    for (const n of [0n, 1n, latest]) {
      const h = await getVerifiedBlockHeader(env.evm.public, n);
      const b = await env.evm.public.getBlock({ blockNumber: n });
      expect(toHex(h.hash)).toBe(b.hash);
      expect(toHex(h.stateRoot)).toBe(b.stateRoot);
    }
  });

  it('refuses header fields out of fork order, or of the wrong size', async () => {
    const b = (await env.evm.public.request({
      method: 'eth_getBlockByNumber',
      params: ['0x1', false],
    })) as Record<string, unknown>;
    // A withdrawals root without the base fee before it, and a blob field without the withdrawals root.
    expect(() => blockHeaderHash({ ...b, baseFeePerGas: undefined })).toThrow(
      /without the fields of earlier forks/,
    );
    expect(() => blockHeaderHash({ ...b, withdrawalsRoot: undefined, blobGasUsed: '0x0' })).toThrow(
      /without the fields of earlier forks/,
    );
    expect(() => blockHeaderHash({ ...b, stateRoot: '0x1234' })).toThrow(/stateRoot is 2 bytes/);
    expect(() => blockHeaderHash({ ...b, gasUsed: 'many' })).toThrow(/not hex/);
    // Dropping the last field gives another hash: the header as a pre-shanghai chain would have it.
    expect(toHex(blockHeaderHash({ ...b, withdrawalsRoot: undefined }))).not.toBe(b.hash);
  });

  it('refuses storage proofs that are empty under a non-empty root, or too long', async () => {
    const header = await getVerifiedBlockHeader(env.evm.public, await env.evm.public.getBlockNumber());
    const answer = (await env.evm.public.request({
      method: 'eth_getProof',
      params: [vault, ['0x2'], `0x${header.number.toString(16)}`],
    })) as { accountProof: string[]; storageProof: { proof: string[] }[] };
    expect(await verifyStorageProof(header.stateRoot, vault, [2n], answer)).toEqual([2n]);
    const empty = { ...answer, storageProof: [{ ...answer.storageProof[0]!, proof: [] }] };
    await expect(verifyStorageProof(header.stateRoot, vault, [2n], empty)).rejects.toThrow(/empty proof/);
    const long = { ...answer, accountProof: Array(MPT_PROOF_NODES_MAX + 1).fill(answer.accountProof[0]) };
    await expect(verifyStorageProof(header.stateRoot, vault, [2n], long)).rejects.toThrow(/at most/);
    // The proof of one slot does not prove another.
    await expect(verifyStorageProof(header.stateRoot, vault, [3n], answer)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    await expect(verifyStorageProof(header.stateRoot, vault, [2n, 3n], answer)).rejects.toThrow(
      /1 storage proofs for 2/,
    );
  });

  it('proves storage an eth_call reads: a mapping entry and a plain slot', async () => {
    const header = await getVerifiedBlockHeader(env.evm.public, await env.evm.public.getBlockNumber());
    const holder = fromHex(encodeAbiParameters([{ type: 'address' }], [env.evm.account.address]), 32);
    const layout = weftTestTokenStorageLayout;
    const [balance, supply] = (await getProvenStorage(
      env.evm.public,
      token,
      [mappingSlot(holder, layout.balanceOf.slot), layout.totalSupply.slot],
      header,
    ))!;
    const called = await env.evm.public.readContract({
      address: token,
      abi: weftTestTokenAbi,
      functionName: 'balanceOf',
      args: [env.evm.account.address],
      blockNumber: header.number,
    });
    expect(balance).toBe(called);
    expect(supply).toBe(1_000n);
    // An account that does not exist proves as absent, not as zeros.
    expect(await getProvenStorage(env.evm.public, `0x${'42'.repeat(20)}`, [0n], header)).toBeNull();
  });

  it('accepts an honest endpoint, proving the count and the root', async () => {
    proxy.rewrite = (_m, _p, r) => r;
    const view = await new VaultFollower(proxy.client(), vault, { confirmations: CONFIRMATIONS }).sync();
    expect(view.commitmentCount).toBe(2n);
    const root = await env.evm.public.readContract({
      address: vault,
      abi: weftVaultAbi,
      functionName: 'currentRoot',
    });
    expect(toHex(view.root)).toBe(root);
    // Nullifiers are proven too: one the vault never recorded reads false.
    const follower = new VaultFollower(proxy.client(), vault, { confirmations: CONFIRMATIONS });
    await follower.sync();
    expect(await follower.nullifierUsed(sha256(utf8('never-spent')))).toBe(false);
  });

  it('refuses an endpoint that hides the last lock in its events and its eth_call answers alike', async () => {
    const rootBefore = await env.evm.public.readContract({
      address: vault,
      abi: weftVaultAbi,
      functionName: 'rootAt',
      args: [1n],
    });
    proxy.rewrite = (method, params, result) => {
      if (method === 'eth_getLogs')
        return (result as { topics: Hex[] }[]).filter(
          (l) => l.topics[2] === undefined || BigInt(l.topics[2]) !== 1n,
        );
      if (method === 'eth_call' && isCall(params, 'commitmentCount'))
        return encodeAbiParameters([{ type: 'uint256' }], [1n]);
      if (method === 'eth_call' && isCall(params, 'currentRoot')) return rootBefore;
      return result;
    };
    // Without proofs the lie is consistent: the follower believes a vault of one leaf.
    const trusting = new VaultFollower(proxy.client(), vault, {
      confirmations: CONFIRMATIONS,
      stateProofs: false,
    });
    expect((await trusting.sync()).commitmentCount).toBe(1n);
    // With them (the default) the storage proof shows two.
    const checking = new VaultFollower(proxy.client(), vault, { confirmations: CONFIRMATIONS });
    await expect(checking.sync()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('refuses a storage proof or an account proof with a node changed', async () => {
    for (const part of ['storage', 'account'] as const) {
      proxy.rewrite = (method, _p, result) => {
        if (method !== 'eth_getProof') return result;
        const r = structuredClone(result) as { accountProof: string[]; storageProof: { proof: string[] }[] };
        if (part === 'account') r.accountProof[r.accountProof.length - 1] = flip(r.accountProof.at(-1)!);
        else r.storageProof[0]!.proof[0] = flip(r.storageProof[0]!.proof[0]!);
        return r;
      };
      const follower = new VaultFollower(proxy.client(), vault, { confirmations: CONFIRMATIONS });
      await expect(follower.sync()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    }
  });

  it("ignores the answer's own value fields: only what the nodes prove counts", async () => {
    proxy.rewrite = (method, _p, result) => {
      if (method !== 'eth_getProof') return result;
      const r = structuredClone(result) as { storageHash: string; storageProof: { value: string }[] };
      r.storageHash = `0x${'00'.repeat(32)}`;
      for (const s of r.storageProof) s.value = '0x1';
      return r;
    };
    const view = await new VaultFollower(proxy.client(), vault, { confirmations: CONFIRMATIONS }).sync();
    expect(view.commitmentCount).toBe(2n);
  });

  it('refuses a header whose state root was changed, whether or not its hash was recomputed to match', async () => {
    for (const rehash of [false, true]) {
      proxy.rewrite = (method, _p, result) => {
        if (method !== 'eth_getBlockByNumber' || result === null) return result;
        const b = { ...(result as Record<string, unknown>) };
        b.stateRoot = keccak256(toRlp([b.stateRoot as Hex]));
        if (rehash) b.hash = toHex(blockHeaderHash(b));
        return b;
      };
      const follower = new VaultFollower(proxy.client(), vault, { confirmations: CONFIRMATIONS });
      // Unhashed: the header does not hash to its name. Rehashed: the lock blocks' hashes no
      // longer match their events', and the proofs do not verify under the forged root.
      await expect(follower.sync()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    }
    // A forged header alone, at a block with no vault event: the proof still fails under it.
    proxy.rewrite = (method, params, result) => {
      if (method !== 'eth_getBlockByNumber' || result === null) return result;
      const b = { ...(result as Record<string, unknown>) };
      b.stateRoot = keccak256(toRlp([b.stateRoot as Hex]));
      b.hash = toHex(blockHeaderHash(b));
      return params[0] === 'latest' ? result : b;
    };
    const header = await getVerifiedBlockHeader(proxy.client(), await env.evm.public.getBlockNumber());
    await expect(getProvenStorage(proxy.client(), vault, [2n], header)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
  });
});
