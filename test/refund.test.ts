// Deadlines and refunds: a destination refuses a claim past its deadline; the source gives the
// moved resource back once a destination header past the deadline proves it unclaimed; and never
// do both happen — neither by an honest destination nor by a dishonest one that goes unnoticed.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../src/crypto/index.js';
import {
  apply,
  type Domain,
  type DomainOutput,
  decodeInput,
  decodeState,
  encodeInput,
  encodeState,
  genesis,
  planBlock,
} from '../src/domain/index.js';
import { builtinRegistry, commitment, decodeValue, rehome } from '../src/resource/index.js';
import { verifyStore } from '../src/store/index.js';
import { acceptRootUpdate, LightClient, trustRemote } from '../src/sync/index.js';
import { planRefund, withRefundWitness } from '../src/transfer/index.js';
import {
  checkTransactionShape,
  commitmentKey,
  decodeRefusal,
  decodeTransaction,
  decodeTransactionWithId,
  encodeHeight,
  encodeTransaction,
  encodeTxBody,
  nullifierKey,
  parseTransactionJson,
  signTransaction,
  type Transaction,
  transactionToJson,
  txId,
  type ValidationContext,
  validateTransaction,
} from '../src/tx/index.js';
import { alice, bob, Wallet } from './helpers/domain.js';
import {
  claimOf,
  clockedDomain,
  headerPast,
  ManualClock,
  type Moving,
  move,
  movedNullifier,
  openNode,
  refunded,
  refundOf,
  syncHeaders,
  T0,
  TempDirs,
} from './helpers/refund.js';
import { forge, updatesFrom } from './helpers/sync.js';
import { expectCode, seededRandom } from './support.js';

const DEADLINE = T0 + 10_000n;
const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

type Setup = { clock: ManualClock; a: Domain; b: Domain; w: Wallet; m: Moving };

/** Alice's coin moved from `tag-a` to `tag-b` with DEADLINE, and `tag-b` knows the move's root. */
async function moved(tag: string, deadline: bigint | null = DEADLINE): Promise<Setup> {
  const clock = new ManualClock();
  const a = await clockedDomain(`${tag}-a`, clock);
  const b = await clockedDomain(`${tag}-b`, clock);
  const w = new Wallet(a, tag);
  const coin = await w.mint(alice.publicKey, 50n);
  const m = await move(a, b, coin, deadline ?? undefined, seededRandom(`${tag}/move`));
  await syncHeaders(a, b);
  return { clock, a, b, w, m };
}

/** The destination seals a block past the deadline, the source accepts it; returns its height. */
async function pastDeadline(s: Setup): Promise<bigint> {
  s.clock.ms = s.m.deadline + 1n;
  await s.b.sealBlock();
  await syncHeaders(s.b, s.a);
  return headerPast(s.a, s.b, s.m.deadline)!;
}

function statusOf(d: Domain, tx: Transaction) {
  return d.status(txId(tx));
}

describe('deadlines at the destination', () => {
  it('includes a claim in time, even in a block stamped exactly at the deadline', async () => {
    const s = await moved('dl-in-time');
    expect(decodeValue(s.m.plan.moved.value).deadline).toBe(DEADLINE);
    s.clock.ms = DEADLINE;
    const r = await s.b.submit(claimOf(s.m, s.a));
    expect(r.status.status).toBe('pending');
    const sealed = await s.b.sealBlock();
    expect(sealed.header.timestamp).toBe(DEADLINE);
    expect(s.b.status(r.txId)).toMatchObject({ status: 'included', height: sealed.header.height });
    // The landed copy has no deadline: it is an ordinary resource of the destination.
    const landed = s.m.plan.claim.actions[0]!.created[0]!;
    expect(decodeValue(landed.value).deadline).toBeUndefined();
  });

  it("refuses at admission a claim whose deadline is before the head's timestamp (DEADLINE_PASSED)", async () => {
    const s = await moved('dl-admission');
    s.clock.ms = DEADLINE + 1n;
    await s.b.sealBlock();
    const r = await s.b.submit(claimOf(s.m, s.a));
    expect(r.status).toMatchObject({ status: 'rejected', code: 'DEADLINE_PASSED' });
    expect(s.b.status(r.txId)).toMatchObject({ status: 'rejected', code: 'DEADLINE_PASSED' });
    expect(s.b.mempoolSize).toBe(0);
  });

  it("evicts at seal a pending claim the block's timestamp has passed: a status and an event, no silent drop", async () => {
    const s = await moved('dl-evict');
    s.clock.ms = DEADLINE - 1_000n;
    const r = await s.b.submit(claimOf(s.m, s.a));
    expect(r.status.status).toBe('pending');
    const evicted: Extract<DomainOutput, { type: 'txEvicted' }>[] = [];
    s.b.on('txEvicted', (e) => evicted.push(e));
    s.clock.ms = DEADLINE + 1n;
    const sealed = await s.b.sealBlock();
    expect(evicted.map((e) => [toHex(e.txId), e.code])).toEqual([[toHex(r.txId), 'DEADLINE_PASSED']]);
    expect(s.b.status(r.txId)).toMatchObject({ status: 'evicted', code: 'DEADLINE_PASSED' });
    expect(s.b.mempoolSize).toBe(0);
    expect(s.b.block(sealed.header.height)!.txs).toHaveLength(0);
    expect(s.b.proveNullifier(movedNullifier(s.m)).value).toBeNull();
  });

  it('plans evictions from the seal timestamp alone, and apply keeps timestamps from going backwards', async () => {
    const s = await moved('dl-pure');
    const env = { logics: builtinRegistry() };
    const config = {
      name: 'dl-pure-b',
      domainId: s.b.id,
      batchTxsMax: 10,
      blockBatchesMax: 2,
      mempoolTxsMax: 100,
      anchorWindow: 8,
      mempoolTtlBlocks: 8,
      remoteRootsMax: 8,
    };
    let state = genesis(config, s.b.keySet, T0);
    state = apply(
      state,
      { type: 'acceptRemoteHeader', header: s.a.header(s.m.moveHeight)!.header },
      env,
    ).state;
    const claim = claimOf(s.m, s.a);
    const reads = { spentNullifiers: [], existingCommitments: [] };
    state = apply(state, { type: 'submit', tx: claim, reads }, env).state;
    expect(state.mempool[0]!.effects.deadline).toBe(DEADLINE);
    const atDeadline = planBlock(state, DEADLINE);
    expect(atDeadline.evicted).toEqual([]);
    expect(atDeadline.batches.flat()).toHaveLength(1);
    const late = planBlock(state, DEADLINE + 1n);
    expect(late.batches).toEqual([]);
    expect(late.evicted.map((e) => e.code)).toEqual(['DEADLINE_PASSED']);
    // The mempool's deadline survives a checkpoint.
    expect(decodeState(encodeState(state)).mempool[0]!.effects.deadline).toBe(DEADLINE);
    // Admission's bound holds because no block may be stamped before its predecessor.
    const head = { ...state.head, timestamp: DEADLINE + 5n };
    expectCode(
      () =>
        apply(
          { ...state, head },
          {
            type: 'seal',
            timestamp: DEADLINE + 4n,
            stateRoot: new Uint8Array(32),
            transition: { steps: [] },
          },
          env,
        ),
      'BAD_TIMESTAMP',
    );
  });
});

describe('refunds on the source', () => {
  it('gives the resource back under a destination header past the deadline that proves it unclaimed', async () => {
    const s = await moved('rf-ok');
    const h = await pastDeadline(s);
    const unwitnessed = planRefund({
      moved: s.m.plan.moved,
      source: s.a.id,
      owner: alice,
      random: seededRandom('refund'),
    });
    const tx = refundOf(s.m, s.a, s.b, h); // network form: the source fills in the commitment proof
    // Signed before any witness existed: the witness is not covered by the id.
    expect(toHex(txId(tx))).toBe(toHex(txId(unwitnessed)));
    const r = await s.a.submit(tx);
    expect(r.status.status).toBe('pending');
    await s.a.sealBlock();
    expect(s.a.status(r.txId)).toMatchObject({ status: 'included' });
    expect(s.a.proveNullifier(movedNullifier(s.m)).value).not.toBeNull();
    const back = refunded(tx, s.m);
    expect(s.a.proveCommitment(commitment(back.resource)).value).not.toBeNull();
    const value = decodeValue(back.value);
    expect(equalBytes(value.home, s.a.id)).toBe(true);
    expect(value.deadline).toBeUndefined();
    expect(back.resource.quantity).toBe(50n);
    // It is the owner's again, spendable on the source.
    const spend = s.w.transferTx(back, alice, bob.publicKey, 20n);
    expect((await s.a.submit(spend.tx)).status.status).toBe('pending');
    // And the honest destination refuses the claim from now on.
    expect((await s.b.submit(claimOf(s.m, s.a))).status).toMatchObject({ code: 'DEADLINE_PASSED' });
  });

  it('takes a refund carrying its own commitment proof under a root of the source', async () => {
    const s = await moved('rf-proven');
    const h = await pastDeadline(s);
    const r = await s.a.submit(refundOf(s.m, s.a, s.b, h, { proven: true }));
    expect(r.status.status).toBe('pending');
  });

  it('refuses a refund of a claimed resource: its proof shows the nullifier present (REFUND_BAD_PROOF)', async () => {
    const s = await moved('rf-claimed');
    expect((await s.b.submit(claimOf(s.m, s.a))).status.status).toBe('pending');
    const claimedAt = (await s.b.sealBlock()).header.height;
    const h = await pastDeadline(s);
    const membership = refundOf(s.m, s.a, s.b, h);
    expect(s.b.proveNullifier(movedNullifier(s.m), h).value).not.toBeNull();
    expect((await s.a.submit(membership)).status).toMatchObject({ code: 'REFUND_BAD_PROOF' });
    // An absence proof from before the claim does not transfer to a later header's root.
    const stale = s.b.proveNullifier(movedNullifier(s.m), claimedAt - 1n);
    expect(stale.value).toBeNull();
    const forged = withRefundWitness(membership, { refund: { height: h, proof: stale.proof } });
    expect((await s.a.submit(forged)).status).toMatchObject({ code: 'REFUND_BAD_PROOF' });
  });

  it('refuses a header not past the deadline, even one stamped exactly at it (REFUND_TOO_EARLY)', async () => {
    const s = await moved('rf-early');
    s.clock.ms = DEADLINE;
    const h = (await s.b.sealBlock()).header.height;
    await syncHeaders(s.b, s.a);
    expect(s.a.remoteHeaderAt(s.b.id, h)?.timestamp).toBe(DEADLINE);
    const r = await s.a.submit(refundOf(s.m, s.a, s.b, h));
    expect(r.status).toMatchObject({ status: 'rejected', code: 'REFUND_TOO_EARLY' });
  });

  it('refuses a header the source never accepted, or no longer vouches for after a freeze (REFUND_UNKNOWN_HEADER)', async () => {
    const s = await moved('rf-unknown');
    s.clock.ms = DEADLINE + 1n;
    const h = (await s.b.sealBlock()).header.height;
    expect((await s.a.submit(refundOf(s.m, s.a, s.b, h))).status).toMatchObject({
      code: 'REFUND_UNKNOWN_HEADER',
    });
    await syncHeaders(s.b, s.a);
    const tx = refundOf(s.m, s.a, s.b, h);
    expect((await s.a.submit(tx)).status.status).toBe('pending');
    // Evidence that the destination forked at h: the pending refund leaned on a doubtful header.
    const evicted: string[] = [];
    s.a.on('txEvicted', (e) => evicted.push(e.code));
    await s.a.freezeRemote(s.b.id, h);
    expect(evicted).toEqual(['VIEW_FROZEN']);
    expect(statusOf(s.a, tx)).toMatchObject({ status: 'evicted', code: 'VIEW_FROZEN' });
    expect(s.a.remoteHeaderAt(s.b.id, h)).toBeUndefined();
    expect(s.a.remoteHeaders(s.b.id).every((e) => e.height < h)).toBe(true);
    expect((await s.a.submit(tx)).status).toMatchObject({ code: 'REFUND_UNKNOWN_HEADER' });
  });

  it('refuses a second refund: NULLIFIER_PENDING while the first waits, NULLIFIER_SPENT once it is in', async () => {
    const s = await moved('rf-twice');
    const h = await pastDeadline(s);
    const first = refundOf(s.m, s.a, s.b, h);
    expect((await s.a.submit(first)).status.status).toBe('pending');
    // Submitted again, it keeps its status: one refund, whoever relays it.
    expect((await s.a.submit(first)).status.status).toBe('pending');
    expect(s.a.mempoolSize).toBe(1);
    // Another refund of the same resource (a different copy back, so another id).
    const other = refundOf(s.m, s.a, s.b, h, { random: seededRandom('other refund') });
    expect(toHex(txId(other))).not.toBe(toHex(txId(first)));
    expect((await s.a.submit(other)).status).toMatchObject({ code: 'NULLIFIER_PENDING' });
    await s.a.sealBlock();
    expect((await s.a.submit(other)).status).toMatchObject({ code: 'NULLIFIER_SPENT' });
  });

  it('refuses to refund a resource moved without a deadline (REFUND_NO_DEADLINE)', async () => {
    const s = await moved('rf-no-deadline', null);
    expect(decodeValue(s.m.plan.moved.value).deadline).toBeUndefined();
    expectCode(
      () => planRefund({ moved: s.m.plan.moved, source: s.a.id, owner: alice }),
      'REFUND_NO_DEADLINE',
    );
    s.clock.ms = DEADLINE + 1n;
    await s.b.sealBlock();
    await syncHeaders(s.b, s.a);
    const h = s.b.committedHeight;
    // Built by hand, as an attacker would.
    const back = rehome(s.m.plan.moved, s.a.id, seededRandom('back'));
    const tx = signTransaction(
      {
        actions: [
          {
            consumed: [
              {
                ...s.m.plan.moved,
                commitmentProof: null,
                isRefund: true,
                refund: { height: h, proof: s.b.proveNullifier(movedNullifier(s.m), h).proof },
              },
            ],
            created: [{ resource: back.resource, value: back.value, label: back.label }],
          },
        ],
        appData: new Uint8Array(),
        signatures: [],
        executor: s.a.id,
      },
      [alice],
    );
    expect((await s.a.submit(tx)).status).toMatchObject({ code: 'REFUND_NO_DEADLINE' });
  });

  it("refuses a refund proven under another domain's root: only the domain whose move locked it may refund (UNKNOWN_ANCHOR)", async () => {
    // c moves alice's coin to b; a follows both c and b, and tries to refund c's move itself.
    const clock = new ManualClock();
    const a = await clockedDomain('rf-foreign-a', clock);
    const b = await clockedDomain('rf-foreign-b', clock);
    const c = await clockedDomain('rf-foreign-c', clock);
    const coin = await new Wallet(c, 'foreign').mint(alice.publicKey, 9n);
    const m = await move(c, b, coin, DEADLINE, seededRandom('foreign/move'));
    await syncHeaders(c, a);
    clock.ms = DEADLINE + 1n;
    await b.sealBlock();
    await syncHeaders(b, a);
    await syncHeaders(b, c);
    const h = headerPast(a, b, DEADLINE)!;
    const fromC = c.proveCommitment(commitment(m.plan.moved.resource));
    expect(a.acceptsAnchor(fromC.root)).toBe(true);
    const stolen = withRefundWitness(
      planRefund({ moved: m.plan.moved, source: a.id, owner: alice, random: seededRandom('steal') }),
      {
        commitmentProof: { anchor: fromC.root, height: m.moveHeight, proof: fromC.proof },
        refund: { height: h, proof: b.proveNullifier(movedNullifier(m), h).proof },
      },
    );
    expect((await a.submit(stolen)).status).toMatchObject({ code: 'UNKNOWN_ANCHOR' });
    // The domain whose move it was refunds it.
    expect((await c.submit(refundOf(m, c, b, h))).status.status).toBe('pending');
  });

  it('refuses a refund witness on a resource homed here (REFUND_NOT_REMOTE)', async () => {
    const s = await moved('rf-home');
    const coin = await s.w.mint(alice.publicKey, 5n);
    const { tx } = s.w.transferTx(coin, alice, bob.publicKey, 5n);
    const consumed = tx.actions[0]!.consumed[0]!;
    const withWitness = {
      ...tx,
      executor: s.a.id,
      actions: [
        {
          ...tx.actions[0]!,
          consumed: [
            { ...consumed, isRefund: true, refund: { height: 1n, proof: consumed.commitmentProof!.proof } },
          ],
        },
      ],
    };
    expect((await s.a.submit(withWitness)).status).toMatchObject({ code: 'REFUND_NOT_REMOTE' });
  });
});

describe('refunds under full-mode re-execution', () => {
  it("an observer re-executes a refund against its own knowledge of the destination's headers", async () => {
    const s = await moved('rf-full');
    const h = await pastDeadline(s);
    expect((await s.a.submit(refundOf(s.m, s.a, s.b, h))).status.status).toBe('pending');
    await s.a.sealBlock();
    // A third party following both answers refund headers from its view of the destination.
    const third = new LightClient();
    third.trust(s.b.header(0n)!, s.b.keySet);
    third.trust(s.a.header(0n)!, s.a.keySet);
    third.acceptChain(updatesFrom(s.b, 1n), 'full');
    expect(third.acceptChain(updatesFrom(s.a, 1n), 'full').at(-1)!.header.height).toBe(s.a.committedHeight);
    // The destination itself answers with its own headers: a registry knows no self.
    const own = new LightClient();
    own.trust(s.a.header(0n)!, s.a.keySet);
    const known = { isKnownRoot: (root: Uint8Array) => s.b.acceptsAnchor(root) };
    const err = expectCode(
      () => own.acceptChain(updatesFrom(s.a, 1n), 'full', known),
      'FULL_VALIDATION_FAILED',
    );
    expect(err.shortMessage).toMatch(/REFUND_UNKNOWN_HEADER/);
    const withOwn = {
      ...known,
      remoteHeaderAt: (id: Uint8Array, height: bigint) =>
        equalBytes(id, s.b.id) ? s.b.header(height)?.header : undefined,
    };
    expect(own.acceptChain(updatesFrom(s.a, 1n), 'full', withOwn)).toHaveLength(Number(s.a.committedHeight));
  });
});

describe('the refund witness in the encoding and JSON', () => {
  async function witnessed(): Promise<{ s: Setup; tx: Transaction; ctx: ValidationContext }> {
    const s = await moved('rf-enc');
    // Distinct destination roots at every height, so a flipped refund height names another root.
    await new Wallet(s.b, 'enc').mint(alice.publicKey, 1n);
    const h = await pastDeadline(s);
    const tx = refundOf(s.m, s.a, s.b, h, { proven: true });
    const own = new Set<string>();
    for (let i = 0n; i <= s.a.committedHeight; i++) own.add(toHex(s.a.header(i)!.header.stateRoot));
    const ctx: ValidationContext = {
      domainId: s.a.id,
      isAnchorAccepted: (root) => s.a.acceptsAnchor(root),
      isOwnAnchor: (root) => own.has(toHex(root)),
      isNullifierSpent: (nf) => s.a.proveNullifier(nf).value !== null,
      logics: builtinRegistry(),
      blockTimestampMs: s.a.header()!.header.timestamp,
      remoteHeaderAt: (id, height) => s.a.remoteHeaderAt(id, height),
    };
    return { s, tx, ctx };
  }

  it('round-trips, keeps the id, and flags the witness with bit 1 of the flags byte', async () => {
    const { tx, ctx } = await witnessed();
    validateTransaction(tx, ctx);
    const bytes = encodeTransaction(tx);
    const { tx: back, id } = decodeTransactionWithId(bytes);
    expect(back).toEqual(tx);
    expect(toHex(id)).toBe(toHex(txId(tx)));
    const flagAt = encodeTxBody(tx).length;
    expect(bytes[flagAt]).toBe(0x03);
    const unknown = bytes.slice();
    unknown[flagAt] = 0x07;
    expectCode(() => decodeTransaction(unknown), 'CODEC');
    expect(parseTransactionJson(transactionToJson(tx))).toEqual(tx);
    expect(parseTransactionJson(JSON.stringify(transactionToJson(tx)))).toEqual(tx);
    const json = transactionToJson(tx);
    const bad = structuredClone(json);
    (bad.actions[0]!.consumed[0]!.refund as unknown as Record<string, string>).extra = '1';
    expectCode(() => parseTransactionJson(bad), 'BAD_JSON');
  });

  it('refuses a refund witness on an ephemeral resource (TX_MALFORMED)', async () => {
    const { s, tx } = await witnessed();
    const eph = s.w.coin(alice.publicKey, 1n, true);
    const bad = {
      ...tx,
      actions: [
        {
          consumed: [{ ...eph, commitmentProof: null, refund: tx.actions[0]!.consumed[0]!.refund! }],
          created: [],
        },
      ],
    };
    expectCode(() => checkTransactionShape(bad), 'TX_MALFORMED');
  });

  it('mutating any byte of a valid refund makes it invalid or changes its id', async () => {
    const { tx, ctx } = await witnessed();
    const id = validateTransaction(tx, ctx).id;
    const bytes = encodeTransaction(tx);
    const outcome = (m: Uint8Array): string => {
      try {
        const d = decodeTransactionWithId(m);
        if (!equalBytes(d.id, id)) return 'id changed';
        validateTransaction(d.tx, ctx);
        return 'still valid';
      } catch {
        return 'invalid';
      }
    };
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const m = bytes.slice();
        m[i]! ^= mask;
        expect(outcome(m), `byte ${i} ^ ${mask}`).not.toBe('still valid');
      }
    }
  });
});

describe('exclusion: never both the claim and the refund', () => {
  type Op =
    | { k: 'claim' }
    | { k: 'refund' }
    | { k: 'refusalRefund' }
    | { k: 'sealA' }
    | { k: 'sealB'; dtMs: number }
    | { k: 'syncAB' }
    | { k: 'syncBA' }
    | { k: 'crash'; which: 'a' | 'b' };
  // Weighted so that runs reach a refusal (a late claim, sealed, seen by a) and act on it.
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.constant<Op>({ k: 'claim' }), weight: 2 },
    { arbitrary: fc.constant<Op>({ k: 'refund' }), weight: 1 },
    { arbitrary: fc.constant<Op>({ k: 'refusalRefund' }), weight: 2 },
    { arbitrary: fc.constant<Op>({ k: 'sealA' }), weight: 1 },
    {
      // Mostly small steps of b's clock; sometimes straight past the deadline, before any claim.
      arbitrary: fc.record({
        k: fc.constant('sealB' as const),
        dtMs: fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 3_000 }), weight: 3 },
          { arbitrary: fc.constant(7_000), weight: 1 },
        ),
      }),
      weight: 2,
    },
    { arbitrary: fc.constant<Op>({ k: 'syncAB' }), weight: 1 },
    { arbitrary: fc.constant<Op>({ k: 'syncBA' }), weight: 2 },
    {
      arbitrary: fc.record({ k: fc.constant('crash' as const), which: fc.constantFrom<'a' | 'b'>('a', 'b') }),
      weight: 1,
    },
  );

  it('over random interleavings of claims (refused past the deadline), refunds by deadline and by refusal, seals, syncs and crashes of durable nodes, conserves the supply', async () => {
    let run = 0;
    let refusalRefunds = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 32 }), async (ops) => {
        run++;
        const clock = new ManualClock();
        const dirA = dirs.make();
        const dirB = dirs.make();
        const names = { a: `prop-a-${run}`, b: `prop-b-${run}` };
        const nodes = {
          a: await openNode(dirA, names.a, clock, true),
          b: await openNode(dirB, names.b, clock, true),
        };
        try {
          const coin = await new Wallet(nodes.a.domain, 'prop').mint(alice.publicKey, 40n);
          const deadline = T0 + 6_000n;
          const m = await move(nodes.a.domain, nodes.b.domain, coin, deadline, seededRandom('prop/move'));
          const nf = movedNullifier(m);
          const landed = m.plan.claim.actions[0]!.created[0]!;
          const refundTx = () => {
            const h = nodes.a.domain.remoteHeaders(nodes.b.domain.id).at(-1)?.height;
            return h === undefined ? null : refundOf(m, nodes.a.domain, nodes.b.domain, h);
          };
          const backCm = commitment(
            planRefund({
              moved: m.plan.moved,
              source: nodes.a.domain.id,
              owner: alice,
              random: seededRandom('refund'),
            }).actions[0]!.created[0]!.resource,
          );
          // A refund by refusal: b's refusal record under the latest header of b that a accepted.
          const refusalRefundTx = () => {
            const h = nodes.a.domain.remoteHeaders(nodes.b.domain.id).at(-1)?.height;
            if (h === undefined) return null;
            const p = nodes.b.domain.proveRefusal(nf, h);
            if (p.value === null) return null;
            const signed = planRefund({
              moved: m.plan.moved,
              source: nodes.a.domain.id,
              owner: alice,
              random: seededRandom('refund'),
            });
            return withRefundWitness(signed, {
              refund: { height: h, proof: p.proof, refusal: decodeRefusal(p.value) },
            });
          };
          const check = () => {
            const a = nodes.a.domain;
            const b = nodes.b.domain;
            const claimed = b.proveNullifier(nf).value !== null;
            const refundedHere = a.proveNullifier(nf).value !== null;
            expect(claimed && refundedHere).toBe(false);
            // In b's own state a claim and a refusal of the transfer exclude each other.
            const refusedOnB = b.proveRefusal(nf).value !== null;
            expect(claimed && refusedOnB).toBe(false);
            const locked =
              !claimed &&
              !refundedHere &&
              a.proveCommitment(commitment(m.plan.moved.resource)).value !== null;
            const onB = b.proveCommitment(commitment(landed.resource)).value !== null;
            const onA = a.proveCommitment(backCm).value !== null;
            expect([locked, onB, onA].filter(Boolean)).toHaveLength(1);
            expect(onB).toBe(claimed);
            expect(onA).toBe(refundedHere);
          };
          for (const op of ops) {
            const a = nodes.a.domain;
            const b = nodes.b.domain;
            switch (op.k) {
              case 'claim':
                await b.submit(claimOf(m, a));
                break;
              case 'refund': {
                const tx = refundTx();
                if (tx) await a.submit(tx);
                break;
              }
              case 'refusalRefund': {
                const tx = refusalRefundTx();
                if (tx) {
                  refusalRefunds++;
                  await a.submit(tx);
                }
                break;
              }
              case 'sealA':
                await a.sealBlock();
                break;
              case 'sealB':
                clock.advance(BigInt(op.dtMs));
                await b.sealBlock();
                break;
              case 'syncAB':
                await syncHeaders(a, b);
                break;
              case 'syncBA':
                await syncHeaders(b, a);
                break;
              case 'crash':
                await nodes[op.which].close();
                nodes[op.which] = await openNode(op.which === 'a' ? dirA : dirB, names[op.which], clock);
                break;
            }
            check();
          }
          // Liveness: past the deadline, one of the two always ends up happening.
          clock.advance(10_000n);
          await nodes.b.domain.sealBlock();
          await syncHeaders(nodes.b.domain, nodes.a.domain);
          const tx = refundTx()!;
          await nodes.a.domain.submit(tx);
          await nodes.a.domain.sealBlock();
          check();
          const claimed = nodes.b.domain.proveNullifier(nf).value !== null;
          const refundedHere = nodes.a.domain.proveNullifier(nf).value !== null;
          expect(claimed !== refundedHere).toBe(true);
        } finally {
          await nodes.a.close();
          await nodes.b.close();
        }
        // Both transcripts, refunds and evictions included, replay to the same blocks.
        for (const dir of [dirA, dirB]) expect((await verifyStore(dir)).faults).toEqual([]);
      }),
      {
        numRuns: 25,
        // One run known to reach a refusal: b past the deadline, a late claim refused and sealed,
        // a sees it and refunds by refusal, then the claim is tried again.
        examples: [
          [
            [
              { k: 'syncAB' },
              { k: 'sealB', dtMs: 7_000 },
              { k: 'claim' },
              { k: 'sealB', dtMs: 0 },
              { k: 'syncBA' },
              { k: 'refusalRefund' },
              { k: 'sealA' },
              { k: 'claim' },
              { k: 'crash', which: 'b' },
              { k: 'claim' },
            ],
          ],
        ],
      },
    );
    // The runs did exercise refusals: some refund by refusal was attempted.
    expect(refusalRefunds).toBeGreaterThan(0);
  }, 240_000);
});

describe('a destination operator who tries both the refund and the claim', () => {
  it('cannot: the honest rules refuse the late claim, and a forged block with it is caught', async () => {
    const s = await moved('byz-dest');
    const h = await pastDeadline(s);
    expect((await s.a.submit(refundOf(s.m, s.a, s.b, h))).status.status).toBe('pending');
    await s.a.sealBlock();
    // Honest rules: the destination's own domain refuses the claim.
    const claim = claimOf(s.m, s.a);
    expect((await s.b.submit(claim)).status).toMatchObject({ code: 'DEADLINE_PASSED' });

    // The operator forges the next block with the claim anyway, signed with its real key.
    const landed = s.m.plan.claim.actions[0]!.created[0]!;
    const height = s.b.committedHeight + 1n;
    const writes = [
      { key: nullifierKey(movedNullifier(s.m)), value: encodeHeight(height) },
      { key: commitmentKey(commitment(landed.resource)), value: encodeHeight(height) },
    ];
    const forged = await forge(s.b, s.b.committedHeight, { writes, txs: [claim] });
    expect(forged.signed.header.timestamp).toBeGreaterThan(DEADLINE);

    // The source's view of the destination, up to date.
    const view = acceptRootUpdateChain(s.b);
    const known = { isKnownRoot: (root: Uint8Array) => s.a.acceptsAnchor(root) };
    // Full mode re-executes the claim at the header's time: refused.
    const full = expectCode(() => acceptRootUpdate(view, forged, 'full', known), 'FULL_VALIDATION_FAILED');
    expect(full.shortMessage).toMatch(/DEADLINE_PASSED/);
    // Transition mode sees only a valid transition; the nullifier check catches it.
    expect(acceptRootUpdate(view, forged, 'transition').view.head.header.height).toBe(height);
    const conflicts = s.a.nullifierConflicts(forged.writes);
    expect(conflicts.map(toHex)).toEqual([toHex(nullifierKey(movedNullifier(s.m)))]);
    // The honest blocks conflict with nothing.
    for (let i = 1n; i <= s.b.committedHeight; i++)
      expect(s.a.nullifierConflicts(s.b.block(i)!.writes)).toEqual([]);

    // Back-dating the forged block is no way out: stamped before its predecessor, it does not continue it.
    const early = await forge(s.b, s.b.committedHeight, { writes, txs: [claim], timestampMs: DEADLINE });
    expectCode(() => acceptRootUpdate(view, early, 'transition'), 'NOT_CONTINUOUS');
  });

  it('a pending refund counts too: the conflict shows before the refund is even sealed', async () => {
    const s = await moved('byz-pending');
    const h = await pastDeadline(s);
    expect((await s.a.submit(refundOf(s.m, s.a, s.b, h))).status.status).toBe('pending');
    const write = { key: nullifierKey(movedNullifier(s.m)), value: encodeHeight(9n) };
    expect(s.a.nullifierConflicts([write]).map(toHex)).toEqual([toHex(write.key)]);
    expect(s.a.nullifierConflicts([{ ...write, value: null }])).toEqual([]);
  });
});

describe('the new inputs and state in transcripts and checkpoints', () => {
  it('encode and decode a state with retained remote headers, and a format-1 state still reads', async () => {
    const s = await moved('codec');
    await pastDeadline(s);
    await s.b.sealBlock();
    await s.b.sealBlock();
    const clone = decodeState(
      encodeState(
        (() => {
          const env = { logics: builtinRegistry() };
          let st = genesis(
            {
              name: 'codec-x',
              domainId: s.a.id,
              batchTxsMax: 4,
              blockBatchesMax: 1,
              mempoolTxsMax: 10,
              anchorWindow: 4,
              mempoolTtlBlocks: 4,
              remoteRootsMax: 2,
            },
            s.a.keySet,
            T0,
          );
          for (let i = 1n; i <= s.b.committedHeight; i++)
            st = apply(st, { type: 'acceptRemoteHeader', header: s.b.header(i)!.header }, env).state;
          return st;
        })(),
      ),
    );
    const view = [...clone.remotes.values()][0]!;
    // Bounded by remoteRootsMax, ascending, with their timestamps.
    expect([...view.recent.keys()]).toEqual([s.b.committedHeight - 1n, s.b.committedHeight]);
    expect(view.recent.get(s.b.committedHeight)!.timestamp).toBe(s.b.header()!.header.timestamp);
    const v1 = encodeState(genesis(clone.config, s.a.keySet, T0));
    v1[0] = 1;
    expect(decodeState(v1).height).toBe(0n);
    v1[0] = 2;
    expect(decodeState(v1).height).toBe(0n);
    v1[0] = 4;
    expectCode(() => decodeState(v1), 'STORE_FORMAT');
  });

  it('encodes a reinitRemote input exactly', async () => {
    const s = await moved('codec-input');
    const input = {
      type: 'reinitRemote' as const,
      domainId: s.b.id,
      header: s.b.header(0n)!.header,
      by: '\ufeffops@alpha',
      evidence: new Uint8Array(32).fill(9),
    };
    expect(decodeInput(encodeInput(input))).toEqual(input);
  });
});

/** A transition-mode view of `d` that has accepted all of its blocks. */
function acceptRootUpdateChain(d: Domain) {
  let view = trustRemote(d.header(0n)!, d.keySet);
  for (const u of updatesFrom(d, 1n)) view = acceptRootUpdate(view, u, 'transition').view;
  return view;
}
