import { describe, expect, it } from 'vitest';
import { keyPairFromSeed, utf8 } from '../src/crypto/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { signTransaction, type Transaction, TxHashMemo, txId, validateTransaction } from '../src/tx/index.js';
import { bytes32, created, expectCode, Ledger, Mint, seededRandom } from './support.js';

const issuer = keyPairFromSeed('secp256k1', bytes32(1));
const alice = keyPairFromSeed('ed25519', bytes32(2));
const bob = keyPairFromSeed('secp256k1', bytes32(3));

async function fixture() {
  const ledger = new Ledger('alpha');
  const mint = new Mint({ issuer, symbol: 'USD' }, seededRandom('memo'));
  const coin = mint.make(alice.publicKey, 100n, ledger.id);
  await ledger.seed([coin]);
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
