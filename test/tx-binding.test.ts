// A signed transaction means one thing: its id binds the domain that executes it and, per consumed
// input, whether it is a refund (format 2), so the owner's claim cannot run on the source as a
// refund nor the owner's refund on the destination as a claim; and a copy with its witness
// stripped or forged cannot decide the genuine transaction's fate.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../src/crypto/index.js';
import type { Domain } from '../src/domain/index.js';
import { commitment } from '../src/resource/index.js';
import { MemoryTransferStore, TransferDriver, withRefundWitness } from '../src/transfer/index.js';
import {
  decodeHeight,
  decodeTransaction,
  encodeTransaction,
  encodeTxBody,
  isDecidedByBody,
  parseTransactionJson,
  signTransaction,
  type Transaction,
  TX_FORMAT,
  TX_FORMAT_V1,
  transactionToJson,
  txId,
} from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import {
  claimOf,
  clockedDomain,
  headerPast,
  ManualClock,
  type Moving,
  move,
  movedNullifier,
  refundOf,
  syncHeaders,
  T0,
  TempDirs,
} from './helpers/refund.js';
import { expectCode, seededRandom } from './support.js';

const DEADLINE = T0 + 10_000n;
const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

type Setup = { clock: ManualClock; a: Domain; b: Domain; m: Moving };

async function moved(tag: string): Promise<Setup> {
  const clock = new ManualClock();
  const a = await clockedDomain(`${tag}-a`, clock);
  const b = await clockedDomain(`${tag}-b`, clock);
  const coin = await new Wallet(a, tag).mint(alice.publicKey, 50n);
  const m = await move(a, b, coin, DEADLINE, seededRandom(`${tag}/move`));
  await syncHeaders(a, b);
  return { clock, a, b, m };
}

async function pastDeadline(s: Setup): Promise<bigint> {
  s.clock.ms = DEADLINE + 1n;
  await s.b.sealBlock();
  await syncHeaders(s.b, s.a);
  return headerPast(s.a, s.b, DEADLINE)!;
}

/** `tx`'s single consumed input proven under the source's current root (its own tree). */
function provenOnSource(tx: Transaction, s: Setup): Transaction['actions'][number]['consumed'][number] {
  const c = tx.actions[0]!.consumed[0]!;
  const p = s.a.proveCommitment(commitment(c.resource));
  return { ...c, commitmentProof: { anchor: p.root, height: decodeHeight(p.value!), proof: p.proof } };
}

describe('format 2 binds the executor and the refund flags', () => {
  it('writes format 2 with the executor right after the format byte, and round-trips it in bytes and JSON', async () => {
    const s = await moved('bind-enc');
    const claim = s.m.plan.claim;
    expect(toHex(claim.executor!)).toBe(toHex(s.b.id));
    const body = encodeTxBody(claim);
    expect(body[0]).toBe(TX_FORMAT);
    expect(toHex(body.subarray(1, 33))).toBe(toHex(s.b.id));
    expect(decodeTransaction(encodeTransaction(claim))).toEqual(claim);
    expect(parseTransactionJson(transactionToJson(claim))).toEqual(claim);
    const refund = s.m.plan.refund!;
    expect(refund.actions[0]!.consumed[0]!.isRefund).toBe(true);
    expect(decodeTransaction(encodeTransaction(refund))).toEqual(refund);
    expect(transactionToJson(refund).actions[0]!.consumed[0]!.isRefund).toBe(true);
    // The executor and the flag are in the id: changing either makes another transaction.
    expect(toHex(txId({ ...claim, executor: s.a.id }))).not.toBe(toHex(txId(claim)));
    const unflagged = {
      ...refund,
      actions: [
        { ...refund.actions[0]!, consumed: [{ ...refund.actions[0]!.consumed[0]!, isRefund: false }] },
      ],
    };
    expect(toHex(txId(unflagged))).not.toBe(toHex(txId(refund)));
  });

  it('keeps format 1 (no executor) decodable with its id, but never with a refund flag', async () => {
    const s = await moved('bind-v1');
    const { executor: _dropped, ...v1 } = s.m.plan.move;
    expect(encodeTxBody(v1)[0]).toBe(TX_FORMAT_V1);
    expect(decodeTransaction(encodeTransaction(v1)).executor).toBeUndefined();
    const flagged = {
      ...v1,
      actions: [{ ...v1.actions[0]!, consumed: [{ ...v1.actions[0]!.consumed[0]!, isRefund: true }] }],
    };
    expectCode(() => encodeTransaction(flagged), 'TX_MALFORMED');
  });

  it('refuses a refusal flag without a refund witness in the encoding (CODEC)', async () => {
    const s = await moved('bind-flags');
    const bytes = encodeTransaction(s.m.plan.claim);
    const flagAt = encodeTxBody(s.m.plan.claim).length;
    const bad = bytes.slice();
    bad[flagAt] = 0x04;
    expectCode(() => decodeTransaction(bad), 'CODEC');
  });
});

describe('attack: the owner-signed claim run on the source as a refund', () => {
  it('is refused: the claim names the destination as its executor (WRONG_EXECUTOR)', async () => {
    const s = await moved('atk-claim-as-refund');
    const h = await pastDeadline(s);
    const absent = s.b.proveNullifier(movedNullifier(s.m), h).proof;
    // The attacker adds a refund witness and the source's own commitment proof to the signed claim.
    const claim = s.m.plan.claim;
    const attack: Transaction = {
      ...claim,
      actions: [
        {
          ...claim.actions[0]!,
          consumed: [{ ...provenOnSource(claim, s), refund: { height: h, proof: absent } }],
        },
      ],
    };
    expect(toHex(txId(attack))).toBe(toHex(txId(claim))); // the witness is outside the id
    const r = await s.a.submit(attack);
    expect(r.status).toMatchObject({ status: 'rejected', code: 'WRONG_EXECUTOR' });
    // Flagging it as a refund, or dropping the executor, makes another id: the owner never signed it.
    const flagged = {
      ...attack,
      executor: s.a.id,
      actions: [
        { ...attack.actions[0]!, consumed: [{ ...attack.actions[0]!.consumed[0]!, isRefund: true }] },
      ],
    };
    expect((await s.a.submit(flagged)).status).toMatchObject({ status: 'rejected', code: 'BAD_SIGNATURE' });
    const { executor: _x, ...v1 } = attack;
    expect((await s.a.submit(v1)).status).toMatchObject({ status: 'rejected', code: 'REFUND_FLAG_MISMATCH' });
    // The genuine refund still goes through: nothing was spent by the attempts.
    expect((await s.a.submit(refundOf(s.m, s.a, s.b, h))).status.status).toBe('pending');
    await s.a.sealBlock();
    expect(s.a.proveNullifier(movedNullifier(s.m)).value).not.toBeNull();
  });
});

describe('attack: the owner-signed refund run on the destination as a claim', () => {
  it('is refused before the deadline: the refund names the source as its executor (WRONG_EXECUTOR)', async () => {
    const s = await moved('atk-refund-as-claim');
    const refund = s.m.plan.refund!;
    // The attacker drops nothing the id covers and proves r' under the source root b accepted.
    const p = s.a.proveCommitment(commitment(s.m.plan.moved.resource), s.m.moveHeight);
    const attack: Transaction = {
      ...refund,
      actions: [
        {
          ...refund.actions[0]!,
          consumed: [
            {
              ...refund.actions[0]!.consumed[0]!,
              commitmentProof: { anchor: p.root, height: decodeHeight(p.value!), proof: p.proof },
            },
          ],
        },
      ],
    };
    const r = await s.b.submit(attack);
    expect(r.status).toMatchObject({ status: 'rejected', code: 'WRONG_EXECUTOR' });
    // Pointed at b, or stripped to format 1, it is another id the owner did not sign.
    const { executor: _x, ...v1 } = attack;
    expect((await s.b.submit(v1)).status).toMatchObject({ status: 'rejected', code: 'TX_MALFORMED' });
    expect((await s.b.submit({ ...attack, executor: s.b.id })).status).toMatchObject({
      status: 'rejected',
      code: 'REFUND_FLAG_MISMATCH',
    });
    // The genuine claim still lands.
    expect((await s.b.submit(claimOf(s.m, s.a))).status.status).toBe('pending');
    await s.b.sealBlock();
    expect(s.b.proveNullifier(movedNullifier(s.m)).value).not.toBeNull();
  });

  it('refuses a format 1 transaction consuming a resource with a deadline (a refund could read it too)', async () => {
    const s = await moved('atk-v1-deadline');
    const { executor: _x, ...v1 } = claimOf(s.m, s.a);
    const resigned = signTransaction({ ...v1, signatures: [] }, [alice]);
    expect((await s.b.submit(resigned)).status).toMatchObject({ status: 'rejected', code: 'WRONG_EXECUTOR' });
  });
});

describe('attack: a stripped copy of a claim', () => {
  it('is refused, but not recorded as the id’s fate: the id keeps its status', async () => {
    const s = await moved('atk-strip');
    const claim = claimOf(s.m, s.a);
    const id = txId(claim);
    const stripped = { ...claim, signatures: [] };
    expect((await s.b.submit(stripped)).status).toMatchObject({ status: 'rejected', code: 'LOGIC_REJECTED' });
    expect(s.b.status(id)).toBeUndefined();
    const forged = withRefundWitness(s.m.plan.refund!, {
      refund: { height: 1n, proof: claim.actions[0]!.consumed[0]!.commitmentProof!.proof },
    });
    expect(isDecidedByBody('LOGIC_REJECTED')).toBe(false);
    expect(isDecidedByBody('BAD_PROOF')).toBe(false);
    expect(isDecidedByBody('BAD_SIGNATURE')).toBe(false);
    expect(isDecidedByBody('UNBALANCED')).toBe(true);
    // A copy with a proof that does not verify: BAD_PROOF, not recorded either.
    const c = claim.actions[0]!.consumed[0]!;
    const badProof = {
      ...claim,
      actions: [
        {
          ...claim.actions[0]!,
          consumed: [
            {
              ...c,
              commitmentProof: {
                ...c.commitmentProof!,
                proof: forged.actions[0]!.consumed[0]!.refund!.proof,
                height: 99n,
              },
            },
          ],
        },
      ],
    };
    expect((await s.b.submit(badProof)).status).toMatchObject({ status: 'rejected', code: 'BAD_PROOF' });
    expect(s.b.status(id)).toBeUndefined();
    // The genuine copy is accepted; a stripped copy afterwards leaves it pending, then included.
    expect((await s.b.submit(claim)).status.status).toBe('pending');
    // Once the transaction is pending, that is the answer to any copy of it.
    expect((await s.b.submit(stripped)).status.status).toBe('pending');
    expect(s.b.status(id)?.status).toBe('pending');
    await s.b.sealBlock();
    expect(s.b.status(id)?.status).toBe('included');
  });

  it('cannot make the driver fail the transfer: it acts only on answers to its own copies', async () => {
    const clock = new ManualClock();
    const a = await clockedDomain('atk-driver-a', clock);
    const b = await clockedDomain('atk-driver-b', clock);
    const coin = await new Wallet(a, 'atk-driver').mint(alice.publicKey, 7n);
    const driver = new TransferDriver(new MemoryTransferStore(), clock.read);
    driver.addDomain(a);
    driver.addDomain(b);
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice, deadline: DEADLINE });
    await driver.tick();
    await a.sealBlock();
    await syncHeaders(a, b);
    // Before the driver sends its claim, someone sends stripped copies of it.
    const plan = (
      driver as unknown as { entries: Map<string, { rec: { plan: { claim: Transaction } } }> }
    ).entries.get(h.id)!.rec.plan;
    const p = a.proveCommitment(commitment(plan.claim.actions[0]!.consumed[0]!.resource));
    const proven = {
      ...plan.claim,
      actions: [
        {
          ...plan.claim.actions[0]!,
          consumed: [
            {
              ...plan.claim.actions[0]!.consumed[0]!,
              commitmentProof: { anchor: p.root, height: decodeHeight(p.value!), proof: p.proof },
            },
          ],
        },
      ],
    };
    expect((await b.submit({ ...proven, signatures: [] })).status).toMatchObject({ code: 'LOGIC_REJECTED' });
    for (let i = 0; i < 4 && driver.get(h.id)!.phase !== 'confirmed'; i++) {
      await driver.tick();
      await b.sealBlock();
      await syncHeaders(b, a);
      await driver.tick();
    }
    expect(driver.get(h.id)!.phase).toBe('confirmed');
    expect(driver.get(h.id)!.failure).toBeUndefined();
  });
});
