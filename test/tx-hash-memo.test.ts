import { describe, expect, it } from 'vitest';
import { keyPairFromSeed, utf8 } from '../src/crypto/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { PROOFS_PER_CALL } from '../src/tx/hashMemo.js';
import { signTransaction, type Transaction, TxHashMemo, txId, validateTransaction } from '../src/tx/index.js';
import { bytes32, created, expectCode, Ledger, Mint, seededRandom } from './support.js';

const issuer = keyPairFromSeed('secp256k1', bytes32(1));
const alice = keyPairFromSeed('ed25519', bytes32(2));
const bob = keyPairFromSeed('secp256k1', bytes32(3));

async function fixture(others = 0) {
  const ledger = new Ledger('alpha');
  const mint = new Mint({ issuer, symbol: 'USD' }, seededRandom('memo'));
  const coin = mint.make(alice.publicKey, 100n, ledger.id);
  // Other coins in the tree give the consumed coin's proof siblings to tamper with.
  await ledger.seed([coin, ...Array.from({ length: others }, () => mint.make(bob.publicKey, 1n, ledger.id))]);
  const toBob = mint.make(bob.publicKey, 100n, ledger.id);
  const tx: Transaction = signTransaction(
    {
      actions: [{ consumed: [await ledger.consume(coin)], created: [created(toBob)] }],
      appData: utf8('memo'),
      signatures: [],
    },
    [alice],
  );
  return { ledger, coin, toBob, tx };
}

describe('the hash memo one admission shares between its tree reads and validation', () => {
  it('answers what the plain functions answer', async () => {
    const { coin, toBob, tx } = await fixture();
    const memo = new TxHashMemo();
    expect(memo.commitment(coin.resource)).toEqual(commitment(coin.resource));
    expect(memo.nullifier(coin.resource, coin.nk)).toEqual(nullifier(coin.resource, coin.nk));
    expect(memo.commitment(toBob.resource)).toEqual(commitment(toBob.resource));
    expect(memo.idAndBodyBytes(tx).id).toEqual(txId(tx));
  });

  it('gives validation the same effects as without it, and the same refusals', async () => {
    const { ledger, coin, tx } = await fixture();
    const memo = new TxHashMemo();
    memo.nullifier(coin.resource, coin.nk); // as a domain's reads do first
    expect(validateTransaction(tx, ledger.context(), { hashes: memo })).toEqual(
      validateTransaction(tx, ledger.context()),
    );
    const spent = { ...ledger.context(), isNullifierSpent: () => true };
    expectCode(() => validateTransaction(tx, spent, { hashes: memo }), 'NULLIFIER_SPENT');
  });

  it('derives a nullifier again for another nullifier key, and refuses a wrong one as the plain function does', async () => {
    const { coin } = await fixture();
    const memo = new TxHashMemo();
    const right = memo.nullifier(coin.resource, coin.nk);
    expectCode(() => memo.nullifier(coin.resource, bytes32(99)), 'NK_MISMATCH');
    expect(memo.nullifier(coin.resource, coin.nk.slice())).toEqual(right);
  });
});

describe('commitment proofs verified together (one batched hash call per tree level)', () => {
  /** The same consumed proof, honest and tampered in each way an adversary might. */
  function tampered(tx: Transaction): Transaction[] {
    const c = tx.actions[0]!.consumed[0]!;
    const p = c.commitmentProof!;
    const flip = (b: Uint8Array, i = 0) => b.map((x, j) => (j === i ? x ^ 1 : x));
    const withProof = (proof: typeof p): Transaction => ({
      ...tx,
      actions: [{ ...tx.actions[0]!, consumed: [{ ...c, commitmentProof: proof }] }],
    });
    const out: Transaction[] = [tx];
    if (p.proof.siblings.length > 0) {
      out.push(
        withProof({
          ...p,
          proof: { ...p.proof, siblings: p.proof.siblings.map((s, i) => (i === 0 ? flip(s) : s)) },
        }),
      );
      out.push(withProof({ ...p, proof: { ...p.proof, siblings: p.proof.siblings.slice(1) } })); // truncated
    }
    if (p.proof.depth > 0) out.push(withProof({ ...p, proof: { ...p.proof, bitmap: flip(p.proof.bitmap) } })); // path bit
    out.push(withProof({ ...p, proof: { ...p.proof, depth: p.proof.depth + 1 } }));
    out.push(withProof({ ...p, anchor: flip(p.anchor, 5) })); // wrong root
    out.push(withProof({ ...p, height: p.height + 1n })); // wrong value
    out.push(withProof({ ...p, proof: { ...p.proof, terminal: { kind: 'empty' } } }));
    return out;
  }

  it('gives validation the same effects and refusals as verifying each proof alone', async () => {
    const { ledger, tx } = await fixture(40);
    expect(tx.actions[0]!.consumed[0]!.commitmentProof!.proof.depth).toBeGreaterThan(2);
    const variants = tampered(tx);
    expect(variants.length).toBeGreaterThanOrEqual(6);
    // Every anchor accepted: the proof itself must decide.
    const ctx = { ...ledger.context(), isAnchorAccepted: () => true };
    const memo = new TxHashMemo();
    memo.verifyCommitmentProofs(variants);
    const outcome = (fn: () => unknown) => {
      try {
        return { ok: fn() };
      } catch (e) {
        return { code: (e as { code?: string }).code };
      }
    };
    const codes = variants.map((v) => {
      const plain = outcome(() => validateTransaction(v, ctx));
      expect(outcome(() => validateTransaction(v, ctx, { hashes: memo }))).toEqual(plain);
      return plain.code;
    });
    expect(codes[0]).toBeUndefined();
    // Signatures are over the body: the tampered witnesses are refused for their proof only.
    for (const code of codes.slice(1)) expect(code).toBe('BAD_PROOF');
  });

  it('verifies a group larger than one batched call, and passes over malformed transactions', async () => {
    const { tx, coin } = await fixture(20);
    const c = tx.actions[0]!.consumed[0]!;
    const p = c.commitmentProof!;
    // Distinct proof objects (the memo answers per object), one in every 1,000 with a wrong height.
    const copies = Array.from({ length: PROOFS_PER_CALL + 5 }, (_, i) => ({
      ...p,
      height: i % 1000 === 999 ? p.height + 1n : p.height,
    }));
    const txs = copies.map((proof) => ({
      ...tx,
      actions: [{ ...tx.actions[0]!, consumed: [{ ...c, commitmentProof: proof }] }],
    }));
    const malformed = [{ ...tx, actions: 5 }, { ...tx, actions: [{ consumed: 'x' }] }, null];
    const memo = new TxHashMemo();
    memo.verifyCommitmentProofs([...txs, ...(malformed as unknown as Transaction[])]);
    const cm = commitment(coin.resource);
    expect(copies.map((q) => memo.commitmentProofVerdict(q, cm, 'weft'))).toEqual(
      copies.map((_, i) => i % 1000 !== 999),
    );
  });

  it('answers only for the proof it verified, that commitment and the weft preset', async () => {
    const { tx, coin } = await fixture();
    const p = tx.actions[0]!.consumed[0]!.commitmentProof!;
    const memo = new TxHashMemo();
    expect(memo.commitmentProofVerdict(p, commitment(coin.resource), 'weft')).toBeUndefined();
    memo.verifyCommitmentProofs([tx]);
    expect(memo.commitmentProofVerdict(p, commitment(coin.resource), 'weft')).toBe(true);
    expect(memo.commitmentProofVerdict(p, commitment(coin.resource), 'jmt')).toBeUndefined();
    expect(memo.commitmentProofVerdict(p, bytes32(7), 'weft')).toBeUndefined();
    expect(memo.commitmentProofVerdict({ ...p }, commitment(coin.resource), 'weft')).toBeUndefined();
  });
});
