// WeftVault on a real JSON-RPC node (ganache): tokens come in by claiming resources a Weft
// domain moved to the vault, go out by locking them into resources homed on a Weft domain, and
// come back by refund when the destination proves it never claimed them by the deadline.
import type { Address } from 'viem';
import { parseEventLogs } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPairFromSeed, sha256, utf8 } from '../src/crypto/index.js';
import { type Header, headerHash, type KeySet, signHeader } from '../src/domain/index.js';
import {
  claimOnVault,
  connectEvm,
  DEV_CHAIN_KEYS,
  deployTestToken,
  deployVault,
  type EvmConnection,
  EvmRevertError,
  evmAddressOf,
  lockOnVault,
  refundOnVault,
  registerDomain,
  sendContract,
  submitHeaders,
  VaultCommitmentTree,
  VaultFollower,
  vaultTreeKeys,
  verifyVaultCommitment,
  weftTestTokenAbi,
  weftVaultAbi,
} from '../src/evm/index.js';
import {
  createToken,
  domainId,
  nkCommitment,
  type ResourceParts,
  rehome,
  type TokenLabel,
} from '../src/resource/index.js';
import { Smt, type Write } from '../src/smt/index.js';
import { commitmentKey, encodeHeight, nullifierKey } from '../src/tx/index.js';
import { type EvmEnv, hex, inKeySetOrder, keySetOf, signers, startEvmEnv } from './helpers/evm.js';

/** A Weft domain as the chain sees it: a tree, and headers signed by its key set. */
class SignedDomain {
  readonly smt = Smt.inMemory();
  head!: Header;
  private readonly pairs: ReturnType<typeof signers>;
  readonly ks: KeySet;
  readonly id: Uint8Array;
  constructor(
    private readonly env: EvmEnv,
    readonly name: string,
  ) {
    this.pairs = signers(name, 3);
    this.ks = keySetOf(this.pairs, 2);
    this.id = domainId(name);
  }

  async register(): Promise<void> {
    this.head = {
      domain: this.id,
      height: 0n,
      prevHash: new Uint8Array(32),
      stateRoot: this.smt.root(),
      txRoot: new Uint8Array(32),
      timestamp: 1_000n,
    };
    await registerDomain(this.env.evm, this.env.lightClient, this.head, this.ks);
  }

  /** Applies writes, seals a block stamped `timestamp` and relays its header; returns its height. */
  async commit(writes: Write[], timestamp = this.head.timestamp + 1n): Promise<bigint> {
    if (writes.length > 0) await this.smt.apply(writes);
    const h: Header = {
      domain: this.id,
      height: this.head.height + 1n,
      prevHash: headerHash(this.head),
      stateRoot: this.smt.root(),
      txRoot: new Uint8Array(32),
      timestamp,
    };
    const ordered = inKeySetOrder(this.ks, this.pairs);
    await submitHeaders(this.env.evm, this.env.lightClient, [
      { header: h, signatures: signHeader(h, this.ks, ordered.slice(0, 2)) },
    ]);
    this.head = h;
    return h.height;
  }
}

let env: EvmEnv;
let bob: EvmConnection;
let token: Address;
let vault: Address;
let alpha: SignedDomain;
let beta: SignedDomain;
const vaultId = domainId('evm-vault-test');
const issuer = keyPairFromSeed('secp256k1', sha256(utf8('issuer')));
const label: TokenLabel = { issuer: issuer.publicKey, symbol: 'WEFT' };
const alice = keyPairFromSeed('secp256k1', sha256(utf8('alice')));
const carol = keyPairFromSeed('secp256k1', sha256(utf8('carol')));
const aliceAddress = () => evmAddressOf(alice.publicKey.bytes);
const carolAddress = () => evmAddressOf(carol.publicKey.bytes);
let minted = 0n;

beforeAll(async () => {
  env = await startEvmEnv();
  bob = await connectEvm(env.chain.rpcUrl, DEV_CHAIN_KEYS[1]);
  token = await deployTestToken(env.evm);
  vault = await deployVault(env.evm, { lightClient: env.lightClient, token, domainId: vaultId, label });
  alpha = new SignedDomain(env, 'vault-alpha');
  beta = new SignedDomain(env, 'vault-beta');
  await alpha.register();
  await beta.register();
  // The vault's liquidity: what earlier locks would have brought in.
  await mint(vault, 1_000n);
  await mint(bob.account.address, 500n);
}, 120_000);

afterAll(async () => {
  await env?.chain.stop();
});

async function mint(to: Address, amount: bigint) {
  await sendContract(env.evm, {
    address: token,
    abi: weftTestTokenAbi,
    functionName: 'mint',
    args: [to, amount],
  });
  minted += amount;
}

async function balance(of: Address): Promise<bigint> {
  return env.evm.public.readContract({
    address: token,
    abi: weftTestTokenAbi,
    functionName: 'balanceOf',
    args: [of],
  });
}

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'accepted';
  } catch (e) {
    if (e instanceof EvmRevertError) return e.errorName ?? 'reverted';
    throw e;
  }
}

const nkOf = (tag: string) => sha256(utf8(`nk-${tag}`));

/** A token of alice's on alpha, moved to `home` (with a deadline when given). */
function moved(tag: string, quantity: bigint, home = vaultId, deadline?: bigint, owner = alice) {
  const nk = nkOf(tag);
  const original = createToken({
    label,
    owner: owner.publicKey,
    quantity,
    home: alpha.id,
    nkCommitment: nkCommitment(nk),
  });
  return { nk, parts: rehome(original, home, undefined, deadline === undefined ? {} : { deadline }) };
}

/** Moves `parts` on alpha: its commitment enters alpha's tree and alpha's header reaches the chain. */
async function moveOnAlpha(parts: ResourceParts, nk: Uint8Array) {
  const { cm } = vaultTreeKeys(parts, nk);
  const createdHeight = alpha.head.height + 1n;
  const height = await alpha.commit([{ key: commitmentKey(cm), value: encodeHeight(createdHeight) }]);
  return { height, createdHeight, proof: await alpha.smt.prove(commitmentKey(cm)) };
}

describe('claim: a resource moved to the vault pays its owner', () => {
  it('credits the owner’s address once; a second claim reverts AlreadyClaimed', async () => {
    const { nk, parts } = moved('claim-1', 100n);
    const at = await moveOnAlpha(parts, nk);
    const before = await balance(aliceAddress());
    const receipt = await claimOnVault(env.evm, vault, { source: alpha.id, ...at, moved: parts, nk });
    expect(await balance(aliceAddress())).toBe(before + 100n);
    const [event] = parseEventLogs({ abi: weftVaultAbi, logs: receipt.logs, eventName: 'Claimed' });
    const { nf, cm } = vaultTreeKeys(parts, nk);
    expect(event!.args).toMatchObject({
      nullifier: hex(nf),
      commitment: hex(cm),
      owner: aliceAddress(),
      amount: 100n,
    });
    expect(
      await env.evm.public.readContract({
        address: vault,
        abi: weftVaultAbi,
        functionName: 'nullifierUsed',
        args: [hex(nf)],
      }),
    ).toBe(true);
    // Whoever submits it again, from whatever height: refused by name.
    expect(await outcome(() => claimOnVault(bob, vault, { source: alpha.id, ...at, moved: parts, nk }))).toBe(
      'AlreadyClaimed',
    );
    expect(await balance(aliceAddress())).toBe(before + 100n);
  });

  it('refuses a wrong proof, nullifier key, home, kind, value or a passed deadline', async () => {
    const { nk, parts } = moved('claim-2', 7n);
    const at = await moveOnAlpha(parts, nk);
    const claim = (over: object) =>
      outcome(() => claimOnVault(env.evm, vault, { source: alpha.id, ...at, moved: parts, nk, ...over }));
    expect(await claim({ createdHeight: at.createdHeight + 1n })).toBe('BadProof');
    expect(await claim({ height: at.height - 1n })).toBe('BadProof');
    expect(await claim({ source: beta.id })).toBe('BadProof');
    expect(await claim({ nk: nkOf('other') })).toBe('NkMismatch');
    expect(
      await claim({
        moved: { ...parts, value: moved('claim-2b', 7n, vaultId, undefined, carol).parts.value },
      }),
    ).toBe('ValueMismatch');
    const homedOnAlpha = createToken({
      label,
      owner: alice.publicKey,
      quantity: 7n,
      home: alpha.id,
      nkCommitment: nkCommitment(nk),
    });
    expect(await claim({ moved: homedOnAlpha })).toBe('WrongDomain');
    const otherKind = rehome(
      createToken({
        label: { ...label, symbol: 'OTHER' },
        owner: alice.publicKey,
        quantity: 7n,
        home: alpha.id,
        nkCommitment: nkCommitment(nk),
      }),
      vaultId,
    );
    expect(await claim({ moved: otherKind })).toBe('WrongKind');
    const late = moved('claim-late', 5n, vaultId, 1_000n);
    const lateAt = await moveOnAlpha(late.parts, late.nk);
    expect(
      await outcome(() =>
        claimOnVault(env.evm, vault, { source: alpha.id, ...lateAt, moved: late.parts, nk: late.nk }),
      ),
    ).toBe('DeadlinePassed');
    // The genuine claim still lands.
    expect(await claim({})).toBe('accepted');
  });
});

describe('lock: tokens leave as resources homed on a Weft domain', () => {
  const mirror = new VaultCommitmentTree();

  function outbound(tag: string, quantity: bigint, deadline?: bigint) {
    const nk = nkOf(tag);
    const r = createToken({
      label,
      owner: carol.publicKey,
      quantity,
      home: beta.id,
      nkCommitment: nkCommitment(nk),
    });
    return { nk, parts: deadline === undefined ? r : rehome(r, beta.id, undefined, { deadline }) };
  }

  it('appends each commitment and emits the new root; concurrent locks all land', async () => {
    const a = outbound('lock-a', 30n);
    const before = await balance(bob.account.address);
    const lockA = await lockOnVault(bob, vault, token, a.parts);
    mirror.append(vaultTreeKeys(a.parts, a.nk).cm);
    expect(lockA.index).toBe(0n);
    expect(lockA.root).toEqual(mirror.root());
    expect(await balance(bob.account.address)).toBe(before - 30n);
    // Two lockers who both saw the same root: neither depends on it.
    const carolEvm = await connectEvm(env.chain.rpcUrl, DEV_CHAIN_KEYS[2]);
    await sendContract(env.evm, {
      address: token,
      abi: weftTestTokenAbi,
      functionName: 'mint',
      args: [carolEvm.account.address, 50n],
    });
    minted += 50n;
    const b = outbound('lock-b', 20n);
    const c = outbound('lock-c', 25n);
    const [lb, lc] = await Promise.all([
      lockOnVault(bob, vault, token, b.parts),
      lockOnVault(carolEvm, vault, token, c.parts),
    ]);
    for (const l of [lb, lc].sort((x, y) => Number(x.index - y.index))) mirror.append(l.commitment);
    expect(new Set([lb.index, lc.index])).toEqual(new Set([1n, 2n]));
    const root = await env.evm.public.readContract({
      address: vault,
      abi: weftVaultAbi,
      functionName: 'currentRoot',
    });
    expect(root).toBe(hex(mirror.root()));
    expect(
      await env.evm.public.readContract({
        address: vault,
        abi: weftVaultAbi,
        functionName: 'rootAt',
        args: [1n],
      }),
    ).toBe(hex(mirror.root(1)));
    // A Weft domain checks a lock against a root it accepted: the path proves the commitment.
    const idx = Number(lb.index);
    expect(verifyVaultCommitment(mirror.root(), lb.commitment, idx, mirror.path(idx))).toBe(true);
    expect(verifyVaultCommitment(mirror.root(), lc.commitment, idx, mirror.path(idx))).toBe(false);
    expect(await outcome(() => lockOnVault(bob, vault, token, a.parts))).toBe('DuplicateCommitment');
  });

  it('refunds a lock its destination did not claim by the deadline, once', async () => {
    const deadline = 5_000n;
    const out = outbound('lock-refund', 40n, deadline);
    await lockOnVault(bob, vault, token, out.parts);
    const { nf } = vaultTreeKeys(out.parts, out.nk);
    const refundAt = async (height: bigint) =>
      outcome(() =>
        refundOnVault(env.evm, vault, {
          height,
          out: out.parts,
          nk: out.nk,
          proof: { depth: 0, bitmap: new Uint8Array(0), siblings: [], terminal: { kind: 'empty' } },
        }),
      );
    // A header stamped at the deadline is too early: a block with that stamp could still claim.
    const atDeadline = await beta.commit([{ key: utf8('noise'), value: utf8('1') }], deadline);
    const absentEarly = await beta.smt.prove(nullifierKey(nf));
    expect(
      await outcome(() =>
        refundOnVault(env.evm, vault, { height: atDeadline, out: out.parts, nk: out.nk, proof: absentEarly }),
      ),
    ).toBe('RefundTooEarly');
    expect(await refundAt(9_999n)).toBe('UnknownHeader');
    const past = await beta.commit([{ key: utf8('noise'), value: utf8('2') }], deadline + 1n);
    const absent = await beta.smt.prove(nullifierKey(nf));
    // The wrong proof (an empty-tree proof against a non-empty root) is refused.
    expect(await refundAt(past)).toBe('BadProof');
    const before = await balance(carolAddress());
    await refundOnVault(env.evm, vault, { height: past, out: out.parts, nk: out.nk, proof: absent });
    expect(await balance(carolAddress())).toBe(before + 40n);
    expect(
      await outcome(() =>
        refundOnVault(env.evm, vault, { height: past, out: out.parts, nk: out.nk, proof: absent }),
      ),
    ).toBe('AlreadyRefunded');
  });

  it('refuses a refund once the destination claimed, and a refund of a lock without a deadline', async () => {
    const out = outbound('lock-claimed', 10n, 6_000n);
    await lockOnVault(bob, vault, token, out.parts);
    const { nf } = vaultTreeKeys(out.parts, out.nk);
    // beta claims it in time (its nullifier enters beta's tree), then moves past the deadline.
    await beta.commit([{ key: nullifierKey(nf), value: encodeHeight(beta.head.height + 1n) }], 6_000n);
    const past = await beta.commit([], 6_001n);
    const present = await beta.smt.prove(nullifierKey(nf));
    expect(
      await outcome(() =>
        refundOnVault(env.evm, vault, { height: past, out: out.parts, nk: out.nk, proof: present }),
      ),
    ).toBe('BadProof');
    const plain = outbound('lock-plain', 3n);
    await lockOnVault(bob, vault, token, plain.parts);
    const proof = await beta.smt.prove(nullifierKey(vaultTreeKeys(plain.parts, plain.nk).nf));
    expect(
      await outcome(() =>
        refundOnVault(env.evm, vault, { height: past, out: plain.parts, nk: plain.nk, proof }),
      ),
    ).toBe('NoDeadline');
  });
});

describe('supply', () => {
  it('is conserved: every token minted is held by the vault or an owner', async () => {
    const holders = [
      vault,
      bob.account.address,
      aliceAddress(),
      carolAddress(),
      (await connectEvm(env.chain.rpcUrl, DEV_CHAIN_KEYS[2])).account.address,
    ];
    let sum = 0n;
    for (const h of holders) sum += await balance(h);
    const total = await env.evm.public.readContract({
      address: token,
      abi: weftTestTokenAbi,
      functionName: 'totalSupply',
    });
    expect(total).toBe(minted);
    expect(sum).toBe(minted);
  });
});

describe('following the vault from a Weft node', () => {
  it('believes events only once buried, matches the contract root, proves locks, reads nullifiers at a block', async () => {
    const follower = new VaultFollower(env.evm.public, vault, { confirmations: 2n });
    await follower.sync();
    const nk = nkOf('follow-lock');
    const out = createToken({
      label,
      owner: carol.publicKey,
      quantity: 5n,
      home: beta.id,
      nkCommitment: nkCommitment(nk),
    });
    const locked = await lockOnVault(bob, vault, token, out);
    // The lock's block is not 2 deep yet: the follower does not know it.
    const early = await follower.sync();
    expect(early.blockNumber).toBeLessThan(locked.receipt.blockNumber);
    expect(follower.commitmentPath(locked.commitment)).toBeUndefined();
    for (let i = 0; i < 2; i++) await env.evm.public.request({ method: 'evm_mine' } as never);
    const view = await follower.sync();
    expect(view.blockNumber).toBe(locked.receipt.blockNumber);
    const at = follower.commitmentPath(locked.commitment)!;
    expect(at.index).toBe(Number(locked.index));
    expect(verifyVaultCommitment(view.root, locked.commitment, at.index, at.path)).toBe(true);
    expect(hex(view.root)).toBe(
      await env.evm.public.readContract({ address: vault, abi: weftVaultAbi, functionName: 'currentRoot' }),
    );
    // A claim's nullifier is unused before its block and used from it on.
    const m = moved('follow-claim', 3n);
    const claimAt = await moveOnAlpha(m.parts, m.nk);
    const receipt = await claimOnVault(env.evm, vault, {
      source: alpha.id,
      ...claimAt,
      moved: m.parts,
      nk: m.nk,
    });
    const { nf } = vaultTreeKeys(m.parts, m.nk);
    expect(await follower.nullifierUsed(nf, receipt.blockNumber - 1n)).toBe(false);
    expect(await follower.nullifierUsed(nf, receipt.blockNumber)).toBe(true);
  });

  it('refuses an endpoint whose events disagree with the vault’s roots', async () => {
    const real = env.evm.public;
    const lying = {
      ...real,
      getLogs: async (args: Parameters<typeof real.getLogs>[0]) => {
        const logs = await real.getLogs(args as never);
        // Flip the first byte of every event's data: a Locked event's root.
        return logs.map((l) => ({
          ...l,
          data: `0x${l.data[2] === 'f' ? 'e' : 'f'}${l.data.slice(3)}` as `0x${string}`,
        }));
      },
    } as typeof real;
    await expect(new VaultFollower(lying, vault, { confirmations: 0n }).sync()).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
  });
});
