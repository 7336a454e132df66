// Issue 17.3, fifth pass: with a signature pool, a domain derives each transaction's id and
// signature witness once, when the submission arrives, into a memo of its own admission; the pool's
// checks and validation share them. These tests hold that shortcut to the plain definitions and
// show that nothing a submitter supplies stands in for a derived value.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SignatureVerifierPool, toHex } from '../src/crypto/index.js';
import { Domain, type SubmitResult } from '../src/domain/index.js';
import { txIdAndBodyBytes } from '../src/tx/encoding.js';
import {
  BATCH_CHUNK_TXS,
  preverifyBatch,
  preverifySignatures,
  type SignatureResults,
  signaturesWitness,
  signTransaction,
  type Transaction,
  TxHashMemo,
  txId,
  validateTransaction,
  verifyTransactionSignatures,
} from '../src/tx/index.js';
import { alice, bob, type Coin, carol, key, steppingClock, Wallet } from './helpers/domain.js';
import { expectCode } from './support.js';

const pool = SignatureVerifierPool.create({ threads: 2 });
afterAll(() => pool.close());

/** Two domains alike in everything (same name, signers, clock, genesis) but the pool. */
async function twins(name: string): Promise<{ inline: Domain; pooled: Domain }> {
  const make = (verifier?: SignatureVerifierPool) =>
    Domain.create({
      name,
      signers: [key('secp256k1', `${name}/operator`)],
      clock: steppingClock(),
      genesisTimestamp: 1_700_000_000_000n,
      ...(verifier ? { verifier } : {}),
    });
  const inline = await make();
  const pooled = await make(pool);
  expect(toHex(pooled.id)).toBe(toHex(inline.id));
  return { inline, pooled };
}

/** Mints the same coins on both twins (same transactions, same blocks): same trees, same roots. */
async function fundBoth(d: { inline: Domain; pooled: Domain }, n: number): Promise<Coin[]> {
  const wallet = new Wallet(d.inline, 'funds');
  const mints = Array.from({ length: n }, (_, i) =>
    wallet.mintTx(i % 2 === 0 ? alice.publicKey : carol.publicKey, 10n),
  );
  for (const domain of [d.inline, d.pooled]) {
    const r = await domain.submitMany(mints.map((m) => m.tx));
    expect(r.every((x) => x.status.status === 'pending')).toBe(true);
    await domain.sealBlock();
  }
  expect(toHex(d.pooled.stateRoot)).toBe(toHex(d.inline.stateRoot));
  return mints.map((m) => m.coin);
}

const flip = (b: Uint8Array, i = 0): Uint8Array => b.map((x, j) => (j === i ? x ^ 1 : x));

/** How a submitted copy of an honest transfer may differ from what its owner signed. */
const VARIANTS = [
  'honest',
  'body changed after signing', // the signature is over the old id
  'signature bytes flipped',
  'signatures of another transaction',
  'no signatures',
  'claims the signed id', // an extra field a version trusting a supplied id might read
  'signature list reordered with a stranger', // same id, another witness
] as const;
type Variant = (typeof VARIANTS)[number];

function variantOf(tx: Transaction, other: Transaction, v: Variant): Transaction {
  const s = tx.signatures[0]!;
  switch (v) {
    case 'honest':
      return tx;
    case 'body changed after signing':
      return { ...tx, appData: new Uint8Array([7]), signatures: tx.signatures };
    case 'signature bytes flipped':
      return {
        ...tx,
        signatures: [{ ...s, signature: { ...s.signature, bytes: flip(s.signature.bytes, 3) } }],
      };
    case 'signatures of another transaction':
      return { ...tx, signatures: other.signatures };
    case 'no signatures':
      return { ...tx, signatures: [] };
    case 'claims the signed id': {
      const changed = { ...tx, appData: new Uint8Array([9]) };
      return Object.assign(changed, { id: txId(tx), txId: txId(tx) }) as Transaction;
    }
    case 'signature list reordered with a stranger':
      return signTransaction({ ...tx, signatures: [] }, [bob, ownerOf(tx)]);
  }
}

const owners = new Map<string, typeof alice>();
function ownerOf(tx: Transaction): typeof alice {
  return owners.get(toHex(tx.signatures[0]!.publicKey.bytes))!;
}
owners.set(toHex(alice.publicKey.bytes), alice);
owners.set(toHex(carol.publicKey.bytes), carol);

const outcome = (r: SubmitResult) => ({
  txId: toHex(r.txId),
  status: r.status.status,
  code: 'code' in r.status ? r.status.code : undefined,
});

describe('a domain with a signature pool derives each id and witness once, and trusts none supplied', () => {
  it('gives every submitted copy the outcome the same domain gives it without the pool (property)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...VARIANTS), { minLength: 1, maxLength: 12 }),
        async (variants) => {
          const d = await twins(`pool-memo-${round++}`);
          const coins = await fundBoth(d, variants.length + 1);
          const wallet = new Wallet(d.inline, 'spend');
          const honest = coins.map(
            (c, i) => wallet.transferTx(c, i % 2 === 0 ? alice : carol, bob.publicKey, 10n).tx,
          );
          const txs = variants.map((v, i) => variantOf(honest[i]!, honest[i + 1]!, v));
          const [viaInline, viaPool] = await Promise.all([
            d.inline.submitMany(txs),
            d.pooled.submitMany(txs),
          ]);
          expect(viaPool.map(outcome)).toEqual(viaInline.map(outcome));
          for (const [i, v] of variants.entries()) {
            const r = viaPool[i]!;
            // The id answered is always the one derived from the submitted body.
            expect(toHex(r.txId)).toBe(toHex(txId(txs[i]!)));
            if (v === 'honest' || v === 'signature list reordered with a stranger') {
              expect(r.status.status).toBe('pending');
            } else if (v === 'no signatures') {
              // Nothing to check: the token logic refuses a spend its owner did not sign.
              expect(r.status).toMatchObject({ status: 'rejected', code: 'LOGIC_REJECTED' });
            } else {
              expect(r.status).toMatchObject({ status: 'rejected', code: 'BAD_SIGNATURE' });
            }
          }
        },
      ),
      { numRuns: 12, seed: 1717 },
    );
  }, 60_000);

  it('never admits a body changed after submitMany over the answers for the body it was given', async () => {
    const d = await twins('pool-memo-changed');
    const [coin] = await fundBoth(d, 1);
    const tx = new Wallet(d.pooled, 'spend').transferTx(coin!, alice, bob.publicKey, 10n).tx;
    // The pool checks the signatures over this body; the caller then changes the object in place.
    const pending = d.pooled.submitMany([tx]);
    (tx as { appData: Uint8Array }).appData = new Uint8Array([1, 2, 3]);
    const [r] = await pending;
    expect(r!.status.status).toBe('rejected');
    expect(d.pooled.mempoolSize).toBe(0);
  });

  it('refuses answers computed for another transaction even when the memo holds the id (adversarial)', async () => {
    const d = await twins('pool-memo-answers');
    const [coin, other] = await fundBoth(d, 2);
    const wallet = new Wallet(d.inline, 'spend');
    const tx = wallet.transferTx(coin!, alice, bob.publicKey, 10n).tx;
    const stranger = wallet.transferTx(other!, carol, bob.publicKey, 10n).tx;
    const ctx = {
      domainId: d.inline.id,
      isAnchorAccepted: () => true,
      isNullifierSpent: () => false,
      logics: (await import('../src/resource/index.js')).builtinRegistry(),
    };
    const memo = new TxHashMemo();
    const own = (await preverifySignatures([tx], pool, memo))[0]!;
    // Answers for the stranger's id and signatures: all "valid", yet for another body.
    const foreign: SignatureResults = { ...verifyTransactionSignatures(stranger), valid: [true] };
    expectCode(() => validateTransaction(tx, ctx, { hashes: memo, signatureResults: foreign }), 'BAD_INPUT');
    // This id, but answers for another signature list (the witness tells).
    const otherList: SignatureResults = {
      txId: own.txId,
      witness: signaturesWitness(stranger),
      valid: [true],
    };
    expectCode(
      () => validateTransaction(tx, ctx, { hashes: memo, signatureResults: otherList }),
      'BAD_INPUT',
    );
    // A copy of the transaction with its body changed: a new object, so the memo holds nothing for
    // it; the answers of the original do not fit the id derived for it.
    const changed = { ...tx, appData: new Uint8Array([1]) };
    expectCode(() => validateTransaction(changed, ctx, { hashes: memo, signatureResults: own }), 'BAD_INPUT');
    // Through the pure transition: a submit input carrying another transaction's answers.
    const { apply, cloneState } = await import('../src/domain/index.js');
    const state = cloneState((d.inline as unknown as { state: Parameters<typeof cloneState>[0] }).state);
    const { outputs } = apply(
      state,
      {
        type: 'submit',
        tx,
        reads: { spentNullifiers: [], existingCommitments: [] },
        signatureResults: foreign,
        hashes: memo,
      },
      { logics: ctx.logics },
    );
    expect(outputs[0]).toMatchObject({ type: 'txRejected', code: 'BAD_INPUT' });
    // And with its own answers, the same input is admitted.
    const ok = apply(
      cloneState((d.inline as unknown as { state: Parameters<typeof cloneState>[0] }).state),
      {
        type: 'submit',
        tx,
        reads: { spentNullifiers: [], existingCommitments: [] },
        signatureResults: own,
        hashes: memo,
      },
      { logics: ctx.logics },
    );
    expect(ok.outputs[0]).toMatchObject({ type: 'txAccepted' });
  });

  it('derives into the memo what the plain functions derive, once per object', async () => {
    const d = await twins('pool-memo-plain');
    const coins = await fundBoth(d, 3);
    const wallet = new Wallet(d.inline, 'spend');
    const txs = coins.map((c, i) => wallet.transferTx(c, i % 2 === 0 ? alice : carol, bob.publicKey, 10n).tx);
    txs.push({ ...txs[0]!, signatures: txs[1]!.signatures }); // forged
    const memo = new TxHashMemo();
    const viaMemo = await preverifySignatures(txs, pool, memo);
    const plain = await preverifySignatures(txs, pool);
    for (const [i, tx] of txs.entries()) {
      const r = viaMemo[i]!;
      expect(toHex(r.txId)).toBe(toHex(txIdAndBodyBytes(tx).id));
      expect(toHex(r.witness)).toBe(toHex(signaturesWitness(tx)));
      expect(r.valid).toEqual(plain[i]!.valid);
      // The memo hands validation these very objects: nothing is derived a second time.
      expect(memo.idAndBodyBytes(tx).id).toBe(r.txId);
      expect(memo.witness(tx)).toBe(r.witness);
    }
    expect(viaMemo[3]!.valid).toEqual([false]);
    // Merging memos keeps what each derived.
    const group = new TxHashMemo();
    group.absorb(memo);
    expect(group.idAndBodyBytes(txs[2]!).id).toBe(viaMemo[2]!.txId);
    expect(group.witness(txs[2]!)).toBe(viaMemo[2]!.witness);
  });

  it('puts every chunk of a submission on the pool at once when the caller only waits', async () => {
    const d = await twins('pool-memo-chunks');
    const n = BATCH_CHUNK_TXS * 20 + 3; // more chunks than the shared mode keeps in flight
    const wallet = new Wallet(d.inline, 'mints');
    const txs = Array.from({ length: n }, () => wallet.mintTx(alice.publicKey, 1n).tx);
    let sent = 0;
    let sentBeforeFirstAnswer = -1;
    const release: (() => void)[] = [];
    const held = {
      threads: pool.threads,
      verify: async (checks: Parameters<typeof pool.verify>[0]) => {
        sent += checks.length;
        await new Promise<void>((r) => release.push(r));
        if (sentBeforeFirstAnswer < 0) sentBeforeFirstAnswer = sent;
        return pool.verify(checks);
      },
    } as unknown as SignatureVerifierPool;
    const pending = preverifyBatch(txs, held, { shareCaller: false, hashes: new TxHashMemo() });
    await new Promise((r) => setImmediate(r));
    expect(sent).toBe(n); // every signature sent before any answer came back
    for (const r of release) r();
    const out = await pending;
    expect(sentBeforeFirstAnswer).toBe(n);
    expect(out.every((r) => r?.valid[0] === true)).toBe(true);
  });
});
