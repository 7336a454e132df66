// The node-side `evm` verification mode against a real ganache chain: a Weft domain follows a
// vault (VaultWatch: confirmed Locked events → one header per lock), and claims of resources the
// vault locked for it are checked by their 32-level vault path under a root it accepted. The
// adversarial cases: a root not yet N confirmations deep, a forged path, a second claim, a lying
// endpoint, headers that do not continue, and a full-mode verifier of the claiming domain.
import type { Address, Hex, PublicClient } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, type KeyPair, publicKeyOf, sha256, toHex, utf8 } from '../src/crypto/index.js';
import { Domain, type Header, headerHash, type SignedHeader } from '../src/domain/index.js';
import {
  DEV_CHAIN_KEYS,
  deployTestToken,
  deployVault,
  expireOnVault,
  lockOnVault,
  moveToVaultTx,
  sendContract,
  VaultFollower,
  type VaultLock,
  vaultHeaders,
  vaultTreeKeys,
  weftTestTokenAbi,
  weftVaultAbi,
} from '../src/evm/index.js';
import { VaultWatch } from '../src/node/index.js';
import {
  createResource,
  nkCommitment,
  type ResourceParts,
  tokenData,
  tokenLabel,
  tokenLogic,
} from '../src/resource/index.js';
import { decideAcceptance, decideVaultAcceptance } from '../src/sync/index.js';
import { planRefund, withRefundWitness } from '../src/transfer/index.js';
import {
  decodeHeight,
  signTransaction,
  type Transaction,
  txId,
  vaultExpiredMarker,
  vaultPathProof,
  verifyVaultPath,
} from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { type EvmEnv, startEvmEnv } from './helpers/evm.js';
import { operatorKey } from './helpers/refund.js';
import { updatesFrom } from './helpers/sync.js';

const CONFIRMATIONS = 3n;
const label = tokenLabel({ issuer: operatorKey('evm-mode-issuer').publicKey, symbol: 'WEFT' });
const vaultId = sha256(utf8('evm-mode-vault'));
const secret = fromHex(DEV_CHAIN_KEYS[0], 32);
const evmOwner: KeyPair = {
  type: 'secp256k1',
  secretKey: secret,
  publicKey: publicKeyOf('secp256k1', secret),
};

let env: EvmEnv;
let vault: Address;
let token: Address;

const mine = async (n: bigint) => {
  for (let i = 0n; i < n; i++)
    await env.evm.public.request({ method: 'evm_mine' as never, params: [] as never });
};

/** Locks `quantity` in the vault as a resource homed on `home`, owned by the account's key. */
async function lockFor(
  home: Uint8Array,
  quantity: bigint,
): Promise<{ parts: ResourceParts; nk: Uint8Array; lock: VaultLock }> {
  const nk = sha256(utf8(`evm-mode-nk-${toHex(home)}-${quantity}-${Math.random()}`));
  const parts = createResource({
    logicRef: tokenLogic.ref,
    label,
    quantity,
    home,
    data: tokenData(evmOwner.publicKey),
    nkCommitment: nkCommitment(nk),
  });
  return { parts, nk, lock: await lockOnVault(env.evm, vault, token, parts) };
}

/** The claim of a lock on `home`: consumes it with its vault path, creates a fresh coin there. */
function claimTx(
  home: Uint8Array,
  l: { parts: ResourceParts; nk: Uint8Array; lock: VaultLock },
  at: { root: Uint8Array; index: bigint; path: Uint8Array[] },
  salt = 'a',
): Transaction {
  const landed = createResource({
    logicRef: tokenLogic.ref,
    label,
    quantity: l.parts.resource.quantity,
    home,
    data: tokenData(evmOwner.publicKey),
    nkCommitment: nkCommitment(sha256(utf8(`landed-${salt}`))),
  });
  return signTransaction(
    {
      actions: [
        {
          consumed: [
            {
              ...l.parts,
              nk: l.nk,
              commitmentProof: { anchor: at.root, height: at.index, proof: vaultPathProof(at.path) },
            },
          ],
          created: [{ resource: landed.resource, value: landed.value, label: landed.label }],
        },
      ],
      appData: new Uint8Array(),
      signatures: [],
      executor: home,
    },
    [evmOwner],
  );
}

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
}, 120_000);

afterAll(async () => {
  await env?.chain.stop();
}, 30_000);

describe('a Weft domain following a vault in evm mode', () => {
  it('refunds a transfer into the vault that was not claimed by its deadline, once the vault expired it', async () => {
    const a = await Domain.create({ name: 'evm-mode-ref', signers: [operatorKey('evm-mode-ref')] });
    const wallet = new Wallet(a, 'evm-mode-ref');
    const coin = await wallet.mint(alice.publicKey, 30n);
    // A vault of the wallet's token kind.
    const usdVaultId = sha256(utf8('evm-mode-usd-vault'));
    const usdVault = await deployVault(env.evm, {
      lightClient: env.lightClient,
      token,
      domainId: usdVaultId,
      label: coin.label,
    });
    const watch = await VaultWatch.open(a, {
      rpcUrl: env.chain.rpcUrl,
      vault: usdVault,
      confirmations: CONFIRMATIONS,
    });
    const block = await env.evm.public.getBlock();
    const deadline = block.timestamp * 1000n + 60_000n;
    const { tx, moved } = moveToVaultTx({
      coin,
      owner: alice,
      vault: usdVaultId,
      evmOwner: evmOwner.publicKey,
      deadline,
    });
    expect((await a.submit(tx)).status.status).toBe('pending');
    await a.sealBlock();
    expect(a.status(txId(tx))?.status).toBe('included');
    const { cm, nf } = vaultTreeKeys(moved, moved.nk);

    // Not before the deadline: the vault refuses to expire it.
    await expect(expireOnVault(env.evm, usdVault, moved, moved.nk)).rejects.toMatchObject({
      code: 'EVM_REVERTED',
      message: expect.stringContaining('NotExpired'),
    });
    await env.evm.public.request({ method: 'evm_increaseTime' as never, params: [120] as never });
    await mine(1n);
    const expiry = await expireOnVault(env.evm, usdVault, moved, moved.nk);
    expect(toHex(expiry.marker)).toBe(toHex(vaultExpiredMarker(nf)));
    // Expired once: a second expiry (like any claim) finds the nullifier recorded.
    await expect(expireOnVault(env.evm, usdVault, moved, moved.nk)).rejects.toMatchObject({
      code: 'EVM_REVERTED',
      message: expect.stringContaining('AlreadyClaimed'),
    });
    expect(
      await env.evm.public.readContract({
        address: usdVault,
        abi: weftVaultAbi,
        functionName: 'nullifierUsed',
        args: [toHex(nf) as Hex],
      }),
    ).toBe(true);

    const refund = planRefund({ moved, source: a.id, owner: evmOwner });
    const own = a.proveCommitment(cm);
    const commitmentProof = { anchor: own.root, height: decodeHeight(own.value!), proof: own.proof };
    const f = new VaultFollower(env.evm.public as PublicClient, usdVault, { confirmations: 0n });
    await f.sync();
    const at = f.commitmentPath(expiry.marker)!;
    const height = expiry.index + 1n;
    const witness = (proof: ReturnType<typeof vaultPathProof>, h = height) =>
      withRefundWitness(refund, { commitmentProof, refund: { height: h, proof } });
    // Before the expiry is N confirmations deep the domain holds no such vault header.
    await watch.poll();
    expect((await a.submit(witness(vaultPathProof(at.path)))).status).toMatchObject({
      status: 'rejected',
      code: 'REFUND_UNKNOWN_HEADER',
    });
    await mine(CONFIRMATIONS);
    await watch.poll();
    expect(a.remoteHeaderAt(usdVaultId, height)?.timestamp).toBeGreaterThan(deadline);
    // A path of another leaf, or a forged one, is no proof of the expiry.
    const forged = vaultPathProof(at.path);
    forged.siblings[0]![0]! ^= 1;
    expect((await a.submit(witness(forged))).status).toMatchObject({
      status: 'rejected',
      code: 'REFUND_BAD_PROOF',
    });
    const r = await a.submit(witness(vaultPathProof(at.path)));
    expect(r.status.status).toBe('pending');
    await a.sealBlock();
    expect(a.status(r.txId)?.status).toBe('included');
    // The refund recreated the coin on its source; the moved copy can be refunded only once.
    const again = withRefundWitness(planRefund({ moved, source: a.id, owner: evmOwner }), {
      commitmentProof,
      refund: { height, proof: vaultPathProof(at.path) },
    });
    expect((await a.submit(again)).status).toMatchObject({ status: 'rejected' });
    await watch.close();
    await a.close();
  }, 120_000);

  it('anchors a claim only once the lock is N confirmations deep, checks its vault path, and refuses a second claim', async () => {
    const d = await Domain.create({ name: 'evm-mode-d', signers: [operatorKey('evm-mode-d')] });
    const watch = await VaultWatch.open(d, { rpcUrl: env.chain.rpcUrl, vault, confirmations: CONFIRMATIONS });
    expect(toHex(watch.vaultId)).toBe(toHex(vaultId));
    const l = await lockFor(d.id, 40n);
    const path = new VaultFollower(env.evm.public as PublicClient, vault, { confirmations: 0n });
    await path.sync();
    const at = path.commitmentPath(l.lock.commitment)!;
    expect(verifyVaultPath(at.root, l.lock.commitment, at.index, at.path)).toBe(true);
    const claim = claimTx(d.id, l, { root: at.root, index: l.lock.index, path: at.path });

    // Not deep enough yet: the domain holds no root of the vault, the claim waits (UNKNOWN_ANCHOR).
    await watch.poll();
    expect(d.remoteView(vaultId)).toBeUndefined();
    expect((await d.submit(claim)).status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    await mine(CONFIRMATIONS - 1n);
    await watch.poll();
    expect(d.remoteView(vaultId)).toBeUndefined();
    await mine(1n);
    await watch.poll();
    const view = d.remoteView(vaultId)!;
    expect(view.mode).toBe('evm');
    expect(view.head.header.height).toBe(l.lock.index + 1n);
    expect(toHex(view.head.header.stateRoot)).toBe(toHex(l.lock.root));
    expect(d.isVaultAnchor(l.lock.root)).toBe(true);

    // A forged path (one sibling changed, or another leaf index) is refused.
    const forged = structuredClone(claim);
    forged.actions[0]!.consumed[0]!.commitmentProof!.proof.siblings[3]![0]! ^= 1;
    expect((await d.submit(forged)).status).toMatchObject({ status: 'rejected', code: 'BAD_PROOF' });
    const wrongIndex = claimTx(d.id, l, { root: at.root, index: l.lock.index + 1n, path: at.path });
    expect((await d.submit(wrongIndex)).status).toMatchObject({ status: 'rejected', code: 'BAD_PROOF' });
    // An SMT-shaped proof under a vault root is not a vault path.
    const smtShaped = structuredClone(claim);
    smtShaped.actions[0]!.consumed[0]!.commitmentProof!.proof.bitmap[0] = 0x7f;
    expect((await d.submit(smtShaped)).status).toMatchObject({ status: 'rejected', code: 'BAD_PROOF' });

    // The real claim lands; its nullifier is recorded, so a second claim (another tx) is refused.
    expect((await d.submit(claim)).status.status).toBe('pending');
    await d.sealBlock();
    expect(d.status(txId(claim))?.status).toBe('included');
    const second = claimTx(d.id, l, { root: at.root, index: l.lock.index, path: at.path }, 'b');
    expect((await d.submit(second)).status).toMatchObject({ status: 'rejected', code: 'NULLIFIER_SPENT' });

    // A full-mode verifier of d that follows the vault too re-executes the claim and accepts the
    // block; one that cannot tell a vault root refuses it (the path is no tree proof).
    await d.sealBlock();
    const o = await Domain.create({ name: 'evm-mode-o', signers: [operatorKey('evm-mode-o')] });
    const oWatch = await VaultWatch.open(o, {
      rpcUrl: env.chain.rpcUrl,
      vault,
      confirmations: CONFIRMATIONS,
    });
    await oWatch.poll();
    await o.trustRemote(d.header(0n)!, d.keySet, { mode: 'full' });
    const vouchFor = (sh: SignedHeader) => {
      const v = o.remoteView(sh.header.domain);
      const known = v?.recent.get(sh.header.height);
      return known ? toHex(known.headerHash) === toHex(headerHash(sh.header)) : undefined;
    };
    const updates = updatesFrom(d, 1n);
    const ok = decideAcceptance({
      view: o.remoteView(d.id),
      updates,
      mode: 'full',
      ctx: { vouchFor, isVaultRoot: (r) => o.isVaultAnchor(r) },
    });
    expect(ok.kind).toBe('accept');
    const blind = decideAcceptance({ view: o.remoteView(d.id), updates, mode: 'full', ctx: { vouchFor } });
    expect(blind).toMatchObject({ kind: 'refuse', code: 'FULL_VALIDATION_FAILED' });
    await watch.close();
    await oWatch.close();
    await d.close();
    await o.close();
  }, 120_000);

  it('refuses a lying endpoint: events that do not rebuild to their roots, and headers that do not continue', async () => {
    const d = await Domain.create({ name: 'evm-mode-lie', signers: [operatorKey('evm-mode-lie')] });
    await lockFor(d.id, 7n);
    await mine(CONFIRMATIONS);
    // An endpoint whose Locked events carry another root than the commitments rebuild to.
    const honest = env.evm.public as PublicClient;
    const liar = new Proxy(honest, {
      get(target, prop, receiver) {
        if (prop !== 'getLogs') return Reflect.get(target, prop, receiver);
        return async (args: unknown) => {
          const logs = (await target.getLogs(args as never)) as { data: Hex }[];
          // The root is the first word of the event's data (after the two indexed topics).
          return logs.map((l) => ({ ...l, data: `0x${'ab'.repeat(32)}${l.data.slice(66)}` as Hex }));
        };
      },
    });
    const lying = new VaultFollower(liar, vault, { confirmations: CONFIRMATIONS });
    await expect(lying.sync()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });

    // Headers from the honest follower: accepted; then another history at a height held, a
    // header that skips or does not link, a timestamp going back, and a Weft domain's view.
    const f = new VaultFollower(honest, vault, { confirmations: CONFIRMATIONS });
    await f.sync();
    const headers = vaultHeaders(vaultId, f.locks());
    expect(headers.length).toBeGreaterThanOrEqual(2);
    const first = decideVaultAcceptance(undefined, headers);
    expect(first.kind).toBe('accept');
    for (const h of (first as { record: Header[] }).record) await d.acceptRemoteHeader(h, { mode: 'evm' });
    const view = d.remoteView(vaultId)!;
    expect(decideVaultAcceptance(view, headers)).toEqual({ kind: 'accept', record: [] });
    const rewritten = headers.map((h, i) =>
      i === headers.length - 1 ? { ...h, stateRoot: new Uint8Array(32).fill(9) } : h,
    );
    expect(decideVaultAcceptance(view, rewritten)).toMatchObject({ kind: 'refuse', code: 'HEADER_MISMATCH' });
    const last = headers[headers.length - 1]!;
    const skip = { ...last, height: last.height + 2n, prevHash: headerHash(last) };
    expect(decideVaultAcceptance(view, [...headers, skip])).toMatchObject({
      kind: 'refuse',
      code: 'NOT_CONTINUOUS',
    });
    const unlinked = { ...last, height: last.height + 1n, prevHash: new Uint8Array(32) };
    expect(decideVaultAcceptance(view, [unlinked])).toMatchObject({ kind: 'refuse', code: 'NOT_CONTINUOUS' });
    const back = {
      ...last,
      height: last.height + 1n,
      prevHash: headerHash(last),
      timestamp: last.timestamp - 1n,
    };
    expect(decideVaultAcceptance(view, [back])).toMatchObject({ kind: 'refuse', code: 'BAD_TIMESTAMP' });
    const weft = await Domain.create({ name: 'evm-mode-w', signers: [operatorKey('evm-mode-w')] });
    await d.trustRemote(weft.header(0n)!, weft.keySet, { mode: 'full' });
    expect(decideVaultAcceptance(d.remoteView(weft.id), [])).toMatchObject({
      kind: 'refuse',
      code: 'BAD_INPUT',
    });
    await d.close();
    await weft.close();
  }, 120_000);
});
