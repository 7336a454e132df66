// Refusals refund (IBC's error acknowledgement): a destination that refuses a proven, signed claim
// for a reason waiting cannot lift records `0x06 || nf(r') -> reason || height` in its next block;
// the source takes a proof of that record, under a destination header it accepted, as a refund
// witness before any deadline; and a claim and a refusal of one transfer exclude each other.
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../src/crypto/index.js';
import { Domain, decodeBlock, encodeBlock } from '../src/domain/index.js';
import { commitment, LogicRegistry, nullifier, rehome, trivialLogic } from '../src/resource/index.js';
import { openDomainNode, verifyStore } from '../src/store/index.js';
import {
  acceptRootUpdate,
  decodeRootUpdate,
  encodeRootUpdate,
  LightClient,
  trustRemote,
} from '../src/sync/index.js';
import {
  MemoryTransferStore,
  TRANSFER_DEADLINE_MS_DEFAULT,
  TransferDriver,
  transferDeadline,
  withRefundWitness,
} from '../src/transfer/index.js';
import {
  commitmentKey,
  decodeHeight,
  decodeRefusal,
  decodeTransaction,
  encodeHeight,
  encodeRefusal,
  encodeTransaction,
  nullifierKey,
  parseTransactionJson,
  REFUSAL_KEY_PREFIX,
  refusalKey,
  signTransaction,
  type Transaction,
  transactionToJson,
  txId,
} from '../src/tx/index.js';
import { alice, bob, created, Wallet } from './helpers/domain.js';
import {
  claimOf,
  clockedDomain,
  ManualClock,
  type Moving,
  move,
  movedNullifier,
  operatorKey,
  syncHeaders,
  T0,
  TempDirs,
} from './helpers/refund.js';
import { forge, updatesFrom } from './helpers/sync.js';
import { expectCode, seededRandom } from './support.js';

const DEADLINE = T0 + 10_000n;
const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

type Setup = { clock: ManualClock; a: Domain; b: Domain; m: Moving };

/** A domain that does not run the token logic: it refuses every token claim for good. */
function noTokenDomain(name: string, clock: ManualClock): Promise<Domain> {
  return Domain.create({
    name,
    signers: [operatorKey(name)],
    clock: clock.read,
    genesisTimestamp: T0,
    logics: new LogicRegistry([trivialLogic]),
  });
}

/** Alice's coin moved from a to b (b runs no token logic unless `tokens`), b knows the move's root. */
async function moved(tag: string, opts: { tokens?: boolean } = {}): Promise<Setup> {
  const clock = new ManualClock();
  const a = await clockedDomain(`${tag}-a`, clock);
  const b = opts.tokens ? await clockedDomain(`${tag}-b`, clock) : await noTokenDomain(`${tag}-b`, clock);
  const coin = await new Wallet(a, tag).mint(alice.publicKey, 30n);
  const m = await move(a, b, coin, DEADLINE, seededRandom(`${tag}/move`));
  await syncHeaders(a, b);
  return { clock, a, b, m };
}

/** b refuses the claim, seals the record, a accepts that header: returns its height. */
async function refused(s: Setup, claim: Transaction = claimOf(s.m, s.a)): Promise<bigint> {
  const r = await s.b.submit(claim);
  expect(r.status.status).toBe('rejected');
  const h = (await s.b.sealBlock()).header.height;
  await syncHeaders(s.b, s.a);
  return h;
}

/** The owner's signed refund with a refusal witness from b at `height`. */
function refusalRefund(
  s: Setup,
  height: bigint,
  over: Partial<{ reason: 'UNKNOWN_LOGIC' | 'DEADLINE_PASSED'; at: bigint }> = {},
): Transaction {
  const p = s.b.proveRefusal(movedNullifier(s.m), height);
  const rec = p.value ? decodeRefusal(p.value) : { reason: 'UNKNOWN_LOGIC' as const, height };
  return withRefundWitness(s.m.plan.refund!, {
    refund: {
      height,
      proof: p.proof,
      refusal: { reason: over.reason ?? rec.reason, height: over.at ?? rec.height },
    },
  });
}

describe('the destination records a refusal', () => {
  it('for a proven, signed claim of a resource whose logic it does not run (UNKNOWN_LOGIC), in its next block', async () => {
    const s = await moved('rec-logic');
    const claim = claimOf(s.m, s.a);
    const r = await s.b.submit(claim);
    expect(r.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_LOGIC' });
    // The refusal is the body's: recorded under the id too.
    expect(s.b.status(txId(claim))).toMatchObject({ status: 'rejected', code: 'UNKNOWN_LOGIC' });
    expect(s.b.proveRefusal(movedNullifier(s.m)).value).toBeNull();
    const sealed = await s.b.sealBlock();
    const block = s.b.block(sealed.header.height)!;
    const writes = block.writes.filter((w) => w.key[0] === REFUSAL_KEY_PREFIX);
    expect(writes.map((w) => toHex(w.key))).toEqual([toHex(refusalKey(movedNullifier(s.m)))]);
    expect(decodeRefusal(s.b.proveRefusal(movedNullifier(s.m)).value!)).toEqual({
      reason: 'UNKNOWN_LOGIC',
      height: sealed.header.height,
    });
    expect(s.b.proveNullifier(movedNullifier(s.m)).value).toBeNull();
  });

  it('for a claim past its deadline (DEADLINE_PASSED)', async () => {
    const s = await moved('rec-deadline', { tokens: true });
    s.clock.ms = DEADLINE + 1n;
    await s.b.sealBlock();
    const h = await refused(s);
    expect(decodeRefusal(s.b.proveRefusal(movedNullifier(s.m), h).value!)).toEqual({
      reason: 'DEADLINE_PASSED',
      height: h,
    });
  });

  it('for a pending claim a block evicts past its deadline, in that very block', async () => {
    const s = await moved('rec-evict', { tokens: true });
    s.clock.ms = DEADLINE - 1_000n;
    expect((await s.b.submit(claimOf(s.m, s.a))).status.status).toBe('pending');
    s.clock.ms = DEADLINE + 1n;
    const sealed = await s.b.sealBlock();
    expect(s.b.status(txId(s.m.plan.claim))).toMatchObject({ status: 'evicted', code: 'DEADLINE_PASSED' });
    expect(decodeRefusal(s.b.proveRefusal(movedNullifier(s.m)).value!)).toEqual({
      reason: 'DEADLINE_PASSED',
      height: sealed.header.height,
    });
    // A full-mode verifier re-executes that block: the record is at its height, nothing consumed.
    const third = new LightClient();
    third.trust(s.b.header(0n)!, s.b.keySet);
    third.trust(s.a.header(0n)!, s.a.keySet);
    third.acceptChain(updatesFrom(s.a, 1n), 'full');
    expect(third.acceptChain(updatesFrom(s.b, 1n), 'full').at(-1)!.header.height).toBe(sealed.header.height);
  });

  it('never for a claim not proven under a source root it accepted, unsigned, or signed badly', async () => {
    const s = await moved('rec-unproven');
    const claim = claimOf(s.m, s.a);
    const c = claim.actions[0]!.consumed[0]!;
    // Anchored on a source root b never accepted (a later one).
    await new Wallet(s.a, 'later').mint(bob.publicKey, 1n);
    const later = s.a.proveCommitment(commitment(c.resource));
    expect(s.b.acceptsAnchor(later.root)).toBe(false);
    const unanchored = {
      ...claim,
      actions: [
        {
          ...claim.actions[0]!,
          consumed: [
            {
              ...c,
              commitmentProof: { anchor: later.root, height: decodeHeight(later.value!), proof: later.proof },
            },
          ],
        },
      ],
    };
    expect((await s.b.submit(unanchored)).status).toMatchObject({ code: 'UNKNOWN_ANCHOR' });
    // Without signatures, and with a signature over another id.
    expect((await s.b.submit({ ...claim, signatures: [] })).status).toMatchObject({ code: 'UNKNOWN_LOGIC' });
    const badSig = {
      ...claim,
      signatures: signTransaction({ ...claim, appData: new Uint8Array(1), signatures: [] }, [alice])
        .signatures,
    };
    expect((await s.b.submit(badSig)).status).toMatchObject({ code: 'UNKNOWN_LOGIC' });
    // A resource that no move created: homed on b, "proven" under a's root with a's proof of another key.
    const fake = signTransaction(
      {
        ...claim,
        signatures: [],
        actions: [{ ...claim.actions[0]!, consumed: [{ ...c, nk: new Uint8Array(32).fill(7) }] }],
      },
      [alice],
    );
    expect((await s.b.submit(fake)).status.status).toBe('rejected');
    await s.b.sealBlock();
    const sealed = s.b.block(s.b.committedHeight)!;
    expect(sealed.writes.filter((w) => w.key[0] === REFUSAL_KEY_PREFIX)).toEqual([]);
    expect(s.b.proveRefusal(movedNullifier(s.m)).value).toBeNull();
  });

  it("never for a resource of its own tree: only a source's root proves a transfer", async () => {
    const clock = new ManualClock();
    const b = await clockedDomain('rec-own-b', clock);
    const w = new Wallet(b, 'own');
    const coin = await w.mint(alice.publicKey, 4n);
    // b's own resource with a deadline, made on b and proven under b's own root.
    const copy = rehome(coin, b.id, seededRandom('own/copy'), { deadline: DEADLINE });
    const lock = signTransaction(
      {
        actions: [{ consumed: [w.consume(coin)], created: [created(copy)] }],
        appData: new Uint8Array(),
        signatures: [],
        executor: b.id,
      },
      [alice],
    );
    expect((await b.submit(lock)).status.status).toBe('pending');
    await b.sealBlock();
    clock.ms = DEADLINE + 1n;
    await b.sealBlock();
    const p = b.proveCommitment(commitment(copy.resource));
    const spend = signTransaction(
      {
        actions: [
          {
            consumed: [
              {
                ...copy,
                nk: coin.nk,
                commitmentProof: { anchor: p.root, height: decodeHeight(p.value!), proof: p.proof },
              },
            ],
            created: [created(rehome(copy, b.id, seededRandom('own/spend')))],
          },
        ],
        appData: new Uint8Array(),
        signatures: [],
        executor: b.id,
      },
      [alice],
    );
    expect((await b.submit(spend)).status).toMatchObject({ code: 'DEADLINE_PASSED' });
    const sealed = await b.sealBlock();
    expect(b.block(sealed.header.height)!.writes.filter((x) => x.key[0] === REFUSAL_KEY_PREFIX)).toEqual([]);
  });
});

describe('a claim and a refusal of one transfer exclude each other at the destination', () => {
  it('refuses every later claim of the transfer, the refusal queued or sealed (TRANSFER_REFUSED)', async () => {
    const s = await moved('ex-after');
    expect((await s.b.submit(claimOf(s.m, s.a))).status).toMatchObject({ code: 'UNKNOWN_LOGIC' });
    // Another claim of r' (another id) while the refusal waits for the block, then after it.
    const other = (n: number) =>
      signTransaction({ ...claimOf(s.m, s.a), appData: new Uint8Array([n]), signatures: [] }, [alice]);
    expect((await s.b.submit(other(1))).status).toMatchObject({ code: 'TRANSFER_REFUSED' });
    await s.b.sealBlock();
    expect(
      s.b.block(s.b.committedHeight)!.writes.filter((w) => w.key[0] === REFUSAL_KEY_PREFIX),
    ).toHaveLength(1);
    expect((await s.b.submit(other(2))).status).toMatchObject({ code: 'TRANSFER_REFUSED' });
    await s.b.sealBlock();
    expect(s.b.block(s.b.committedHeight)!.writes).toEqual([]);
    expect(s.b.proveNullifier(movedNullifier(s.m)).value).toBeNull();
  });

  it('records no refusal for a transfer already claimed or whose claim is pending', async () => {
    const s = await moved('ex-claimed', { tokens: true });
    const claim = claimOf(s.m, s.a);
    expect((await s.b.submit(claim)).status.status).toBe('pending');
    s.clock.ms = DEADLINE; // in time: sealed exactly at the deadline
    // A late copy while the claim is pending: nothing to refuse.
    const late = signTransaction({ ...claim, appData: new Uint8Array([2]), signatures: [] }, [alice]);
    expect((await s.b.submit(late)).status).toMatchObject({ code: 'NULLIFIER_PENDING' });
    await s.b.sealBlock();
    expect(s.b.proveNullifier(movedNullifier(s.m)).value).not.toBeNull();
    s.clock.ms = DEADLINE + 1n;
    await s.b.sealBlock();
    expect((await s.b.submit(late)).status.status).toBe('rejected');
    await s.b.sealBlock();
    expect(s.b.proveRefusal(movedNullifier(s.m)).value).toBeNull();
  });

  it('holds across a crash of a durable destination (LMDB reopened)', async () => {
    const clock = new ManualClock();
    const a = await clockedDomain('ex-crash-a', clock);
    const dir = dirs.make();
    // A durable destination that runs no token logic: every token claim is refused for good.
    const open = (create = false) =>
      openDomainNode(dir, {
        signers: [operatorKey('ex-crash-b')],
        clock: clock.read,
        logics: new LogicRegistry([trivialLogic]),
        ...(create ? { create: { name: 'ex-crash-b', genesisTimestamp: T0 } } : {}),
      });
    let node = await open(true);
    try {
      const coin = await new Wallet(a, 'crash').mint(alice.publicKey, 3n);
      const m = await move(a, node.domain, coin, DEADLINE, seededRandom('crash/move'));
      await syncHeaders(a, node.domain);
      const claim = claimOf(m, a);
      expect((await node.domain.submit(claim)).status).toMatchObject({ code: 'UNKNOWN_LOGIC' });
      const another = (n: number) =>
        signTransaction({ ...claimOf(m, a), appData: new Uint8Array([n]), signatures: [] }, [alice]);
      // Crash with the refusal queued, not sealed: recovery brings it back (and the claim behind it).
      await node.close();
      node = await open();
      expect((await node.domain.submit(another(1))).status).toMatchObject({ code: 'TRANSFER_REFUSED' });
      const h = (await node.domain.sealBlock()).header.height;
      expect(decodeRefusal(node.domain.proveRefusal(movedNullifier(m), h).value!)).toEqual({
        reason: 'UNKNOWN_LOGIC',
        height: h,
      });
      expect(node.domain.block(h)!.refused?.map((t) => toHex(txId(t)))).toEqual([toHex(txId(claim))]);
      // Crash again, sealed: the record in the tree refuses every later claim.
      await node.close();
      node = await open();
      expect((await node.domain.submit(another(2))).status).toMatchObject({ code: 'TRANSFER_REFUSED' });
      await node.domain.sealBlock();
      expect(node.domain.proveNullifier(movedNullifier(m)).value).toBeNull();
    } finally {
      await node.close();
    }
    // The transcript, refusal and all, replays to the same blocks (with the domain's own logics).
    expect((await verifyStore(dir, { logics: new LogicRegistry([trivialLogic]) })).faults).toEqual([]);
  });
});

describe('the source refunds on a proof of the refusal', () => {
  it('before any deadline: the refund by refusal is included, and the coin is back', async () => {
    const s = await moved('src-refund');
    const h = await refused(s);
    expect(s.clock.ms).toBeLessThan(DEADLINE);
    const refund = refusalRefund(s, h);
    // Round-trips in bytes and JSON with its refusal record.
    expect(decodeTransaction(encodeTransaction(refund))).toEqual(refund);
    expect(parseTransactionJson(transactionToJson(refund))).toEqual(refund);
    expect((await s.a.submit(refund)).status.status).toBe('pending');
    await s.a.sealBlock();
    expect(s.a.status(txId(refund))?.status).toBe('included');
    const back = refund.actions[0]!.created[0]!;
    expect(s.a.proveCommitment(commitment(back.resource)).value).not.toBeNull();
    expect(s.a.proveNullifier(movedNullifier(s.m)).value).not.toBeNull();
  });

  it('refuses forged refusal proofs (REFUND_BAD_PROOF, REFUND_UNKNOWN_HEADER)', async () => {
    const s = await moved('src-forged');
    // No refusal at all: b's absence proof of the record, presented as a refusal.
    const before = (await s.b.sealBlock()).header.height;
    await syncHeaders(s.b, s.a);
    expect((await s.a.submit(refusalRefund(s, before))).status).toMatchObject({ code: 'REFUND_BAD_PROOF' });
    const h = await refused(s);
    // The right proof with another reason or height than the record holds.
    expect((await s.a.submit(refusalRefund(s, h, { reason: 'DEADLINE_PASSED' }))).status).toMatchObject({
      code: 'REFUND_BAD_PROOF',
    });
    expect((await s.a.submit(refusalRefund(s, h, { at: h + 1n }))).status).toMatchObject({
      code: 'REFUND_BAD_PROOF',
    });
    // A header of b that a never accepted.
    await s.b.sealBlock();
    expect((await s.a.submit(refusalRefund(s, h + 1n))).status).toMatchObject({
      code: 'REFUND_UNKNOWN_HEADER',
    });
    // A proof of the nullifier key (absent) presented as the record.
    const absent = s.b.proveNullifier(movedNullifier(s.m), h);
    const asRecord = withRefundWitness(s.m.plan.refund!, {
      refund: { height: h, proof: absent.proof, refusal: { reason: 'UNKNOWN_LOGIC', height: h } },
    });
    expect((await s.a.submit(asRecord)).status).toMatchObject({ code: 'REFUND_BAD_PROOF' });
    // None of them was recorded under the refund's id; the genuine one still goes through.
    expect(s.a.status(txId(s.m.plan.refund!))).toBeUndefined();
    expect((await s.a.submit(refusalRefund(s, h))).status.status).toBe('pending');
  });

  it('a refusal for a transfer already claimed cannot exist, so no refund by refusal either', async () => {
    const s = await moved('src-claimed', { tokens: true });
    expect((await s.b.submit(claimOf(s.m, s.a))).status.status).toBe('pending');
    const h = (await s.b.sealBlock()).header.height;
    await syncHeaders(s.b, s.a);
    expect(s.b.proveRefusal(movedNullifier(s.m), h).value).toBeNull();
    const forged = withRefundWitness(s.m.plan.refund!, {
      refund: {
        height: h,
        proof: s.b.proveRefusal(movedNullifier(s.m), h).proof,
        refusal: { reason: 'DEADLINE_PASSED', height: h },
      },
    });
    expect((await s.a.submit(forged)).status).toMatchObject({ code: 'REFUND_BAD_PROOF' });
  });

  it('a full-mode observer re-executes the refund by refusal and accepts the refusal record', async () => {
    const s = await moved('src-full');
    const h = await refused(s);
    expect((await s.a.submit(refusalRefund(s, h))).status.status).toBe('pending');
    await s.a.sealBlock();
    const third = new LightClient();
    third.trust(s.b.header(0n)!, s.b.keySet);
    third.trust(s.a.header(0n)!, s.a.keySet);
    // The source up to its move (b's refusal rests on that root), b's refusal, then the refund.
    third.acceptChain(updatesFrom(s.a, 1n, s.m.moveHeight), 'full');
    expect(third.acceptChain(updatesFrom(s.b, 1n), 'full').at(-1)!.header.height).toBe(s.b.committedHeight);
    expect(third.acceptChain(updatesFrom(s.a, s.m.moveHeight + 1n), 'full').at(-1)!.header.height).toBe(
      s.a.committedHeight,
    );
  });
});

describe('the driver', () => {
  it('moves a refused claim to refundable on the refusal proof, says so, and refunds before the deadline', async () => {
    const clock = new ManualClock();
    const a = await clockedDomain('drv-a', clock);
    const b = await noTokenDomain('drv-b', clock);
    const coin = await new Wallet(a, 'drv').mint(alice.publicKey, 11n);
    const driver = new TransferDriver(new MemoryTransferStore(), clock.read);
    driver.addDomain(a);
    driver.addDomain(b);
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    expect(driver.get(h.id)!.deadlineMs).toBeDefined();
    let explained: unknown;
    for (let i = 0; i < 8 && driver.get(h.id)!.phase !== 'refunded'; i++) {
      await driver.tick();
      await a.sealBlock();
      await b.sealBlock();
      await syncHeaders(a, b);
      await syncHeaders(b, a);
      await driver.tick();
      if (driver.get(h.id)!.phase === 'refundable') explained = await driver.explain(h.id);
    }
    const t = driver.get(h.id)!;
    expect(t.phase).toBe('refunded');
    expect(t.history.map((x) => x.phase)).toContain('refundable');
    expect(clock.ms).toBeLessThan(t.deadlineMs!);
    expect(explained).toMatchObject({ waitingFor: 'refundInclusion', refusal: 'UNKNOWN_LOGIC' });
  });
});

describe('refusal records in the encoding', () => {
  it('encode reason and height in 9 bytes and refuse anything else', () => {
    const bytes = encodeRefusal({ reason: 'UNKNOWN_LOGIC', height: 5n });
    expect(bytes.length).toBe(9);
    expect(decodeRefusal(bytes)).toEqual({ reason: 'UNKNOWN_LOGIC', height: 5n });
    expect(() => decodeRefusal(bytes.subarray(1))).toThrow();
    const unknown = bytes.slice();
    unknown[0] = 99;
    expect(() => decodeRefusal(unknown)).toThrow();
  });
});

describe('refusal records in blocks a full-mode verifier re-executes', () => {
  function viewOf(d: Domain, to: bigint = d.committedHeight) {
    let view = trustRemote(d.header(0n)!, d.keySet);
    for (const u of updatesFrom(d, 1n, to)) view = acceptRootUpdate(view, u, 'transition').view;
    return view;
  }

  it('carries the refused claims with the block (store and root update) and re-checks each record against them', async () => {
    const s = await moved('full-backed');
    const claim = claimOf(s.m, s.a);
    const height = await refused(s, claim);
    const honest = updatesFrom(s.b, height, height)[0]!;
    expect(honest.refused?.map((t) => toHex(txId(t)))).toEqual([toHex(txId(claim))]);
    expect(decodeRootUpdate(encodeRootUpdate(honest))).toEqual(honest);
    expect(decodeBlock(encodeBlock(s.b.block(height)!)).refused).toEqual(s.b.block(height)!.refused);
    // A scoped block's proven height follows the refused claims; with none refused, an empty list
    // stands before it, and an empty list with nothing after it is not an encoding.
    const block = s.b.block(height)!;
    const both = { ...block, scopeProvenHeight: 7n };
    expect(decodeBlock(encodeBlock(both))).toEqual(both);
    const { refused: _dropped, ...plain } = block;
    const scopedOnly = { ...plain, scopeProvenHeight: 7n };
    expect(decodeBlock(encodeBlock(scopedOnly))).toEqual(scopedOnly);
    const bare = encodeBlock(plain);
    expect(encodeBlock(scopedOnly).length).toBe(bare.length + 4 + 8);
    expectCode(() => decodeBlock(concatBytes(bare, new Uint8Array(4))), 'CODEC');
    const known = { isKnownRoot: (root: Uint8Array) => s.b.acceptsAnchor(root) };
    const before = viewOf(s.b, height - 1n);
    expect(acceptRootUpdate(before, honest, 'full', known).view.head.header.height).toBe(height);
    const nf = movedNullifier(s.m);
    const record = honest.writes.find((w) => w.key[0] === REFUSAL_KEY_PREFIX)!;
    const others = honest.writes.filter((w) => w !== record);
    const forgedWith = async (refusedClaims: Transaction[] | undefined, value = record.value!) => {
      const u = await forge(s.b, height - 1n, {
        writes: [...others, { key: refusalKey(nf), value }],
        timestampMs: honest.signed.header.timestamp,
      });
      // The honest block's 0x03 records travel with the signed headers that back them, and its
      // refused claim with the proof that its nullifier was unspent before the block.
      const backed = {
        ...u,
        ...(honest.remoteHeaders ? { remoteHeaders: honest.remoteHeaders } : {}),
        ...(honest.exclusions ? { exclusions: honest.exclusions } : {}),
      };
      return refusedClaims === undefined ? backed : { ...backed, refused: refusedClaims };
    };
    const refusedWith = (u: Awaited<ReturnType<typeof forgedWith>>) =>
      expectCode(() => acceptRootUpdate(before, u, 'full', known), 'FULL_VALIDATION_FAILED').shortMessage;
    // No claim carried, or a stripped one: the record is backed by nothing.
    expect(refusedWith(await forgedWith(undefined))).toMatch(/backed by no/);
    expect(refusedWith(await forgedWith([{ ...claim, signatures: [] }]))).toMatch(/backed by no/);
    // The genuine claim, but a record saying its deadline passed when it has not.
    const lie = encodeRefusal({ reason: 'DEADLINE_PASSED', height });
    expect(refusedWith(await forgedWith([claim], lie))).toMatch(/deadline has not passed/);
    // The genuine claim with the genuine record: accepted (the forger's signature is b's own).
    expect(acceptRootUpdate(before, await forgedWith([claim]), 'full', known).view.head.header.height).toBe(
      height,
    );
  });

  it("accepts the destination's honest refusal block and refuses forged ones", async () => {
    const s = await moved('full-forge');
    const height = await refused(s);
    const known = { isKnownRoot: (root: Uint8Array) => s.b.acceptsAnchor(root) };
    // The honest block re-executes.
    let view = trustRemote(s.b.header(0n)!, s.b.keySet);
    for (const u of updatesFrom(s.b, 1n)) view = acceptRootUpdate(view, u, 'full', known).view;
    expect(view.head.header.height).toBe(height);
    const nf = movedNullifier(s.m);
    const next = height + 1n;
    const at = viewOf(s.b);
    // A record stamped with another height than its block's.
    const wrongHeight = await forge(s.b, height, {
      writes: [
        {
          key: refusalKey(new Uint8Array(32).fill(1)),
          value: encodeRefusal({ reason: 'UNKNOWN_LOGIC', height: 1n }),
        },
      ],
    });
    expect(
      expectCode(() => acceptRootUpdate(at, wrongHeight, 'full', known), 'FULL_VALIDATION_FAILED')
        .shortMessage,
    ).toMatch(/names height/);
    // A record that does not decode.
    const garbage = await forge(s.b, height, {
      writes: [{ key: refusalKey(new Uint8Array(32).fill(2)), value: new Uint8Array([9]) }],
    });
    expect(
      expectCode(() => acceptRootUpdate(at, garbage, 'full', known), 'FULL_VALIDATION_FAILED').shortMessage,
    ).toMatch(/does not decode/);
    // Overwriting the recorded refusal.
    const overwrite = await forge(s.b, height, {
      writes: [{ key: refusalKey(nf), value: encodeRefusal({ reason: 'DEADLINE_PASSED', height: next }) }],
    });
    expect(
      expectCode(() => acceptRootUpdate(at, overwrite, 'full', known), 'FULL_VALIDATION_FAILED').shortMessage,
    ).toMatch(/overwrites/);
    // Refusing and consuming one resource in the same block (here a mint of b's own, refused too).
    const w = new Wallet(s.b, 'full-forge-own');
    const own = w.mintTx(alice.publicKey, 1n);
    const ownNf = nullifier(own.tx.actions[0]!.consumed[0]!.resource, own.tx.actions[0]!.consumed[0]!.nk);
    const both = await forge(s.b, height, {
      txs: [own.tx],
      writes: [
        { key: nullifierKey(ownNf), value: encodeHeight(next) },
        { key: commitmentKey(commitment(own.coin.resource)), value: encodeHeight(next) },
        { key: refusalKey(ownNf), value: encodeRefusal({ reason: 'UNKNOWN_LOGIC', height: next }) },
      ],
    });
    expect(
      expectCode(() => acceptRootUpdate(at, both, 'full', known), 'FULL_VALIDATION_FAILED').shortMessage,
    ).toMatch(/both refuses and consumes/);
  });
});

describe('the default deadline', () => {
  it('gives every transfer one: the driver clock plus TRANSFER_DEADLINE_MS_DEFAULT, or its configured wait', async () => {
    const clock = new ManualClock();
    const a = await clockedDomain('dl-default-a', clock);
    const b = await clockedDomain('dl-default-b', clock);
    const w = new Wallet(a, 'dl-default');
    const plain = new TransferDriver(new MemoryTransferStore(), clock.read);
    const quick = new TransferDriver(new MemoryTransferStore(), clock.read, undefined, null, null, {
      deadlineAfterMs: 5_000n,
    });
    for (const d of [plain, quick]) {
      d.addDomain(a);
      d.addDomain(b);
    }
    const h1 = await plain.transfer({
      from: a,
      to: b,
      resource: await w.mint(alice.publicKey, 1n),
      owner: alice,
    });
    const h2 = await quick.transfer({
      from: a,
      to: b,
      resource: await w.mint(alice.publicKey, 2n),
      owner: alice,
    });
    expect(TRANSFER_DEADLINE_MS_DEFAULT).toBe(3_600_000n);
    expect(plain.get(h1.id)!.deadlineMs).toBe(clock.ms + TRANSFER_DEADLINE_MS_DEFAULT);
    expect(quick.get(h2.id)!.deadlineMs).toBe(clock.ms + 5_000n);
    // Named explicitly, the deadline is the one asked for; planned without a clock, the wall clock's.
    const h3 = await plain.transfer({
      from: a,
      to: b,
      resource: await w.mint(alice.publicKey, 3n),
      owner: alice,
      deadline: DEADLINE,
    });
    expect(plain.get(h3.id)!.deadlineMs).toBe(DEADLINE);
    const before = BigInt(Date.now());
    const d = transferDeadline({});
    expect(
      d >= before + TRANSFER_DEADLINE_MS_DEFAULT && d <= BigInt(Date.now()) + TRANSFER_DEADLINE_MS_DEFAULT,
    ).toBe(true);
    expect(() => transferDeadline({ nowMs: 0n, deadlineAfterMs: 0n })).toThrow();
  });
});
