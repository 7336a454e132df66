// Scoped transactions (format 3: format 2's executor and refund flags, then the scoped body): the
// signed body carries declarations, gas commitments and program calls; other transactions encode
// exactly as before; a domain that does not execute
// scopes refuses them.
import { describe, expect, it } from 'vitest';
import { keyPairFromSeed, utf8 } from '../src/crypto/index.js';
import { domainId } from '../src/resource/index.js';
import { counterId, counterTx, decodeScopeBody, scopeTxOf, withScope } from '../src/scope/index.js';
import {
  decodeTransaction,
  decodeTransactionWithId,
  encodeTransaction,
  encodeTxBody,
  mintTx,
  parseTransactionJson,
  signTransaction,
  type Transaction,
  TX_FORMAT,
  TX_FORMAT_SCOPED,
  TX_FORMAT_V1,
  TX_SCOPE_BYTES_MAX,
  transactionToJson,
  txId,
  validateTransaction,
} from '../src/tx/index.js';
import { expectCode, Ledger, seededRandom } from './support.js';

const issuer = keyPairFromSeed('ed25519', new Uint8Array(32).fill(1));
const owner = keyPairFromSeed('secp256k1', new Uint8Array(32).fill(2));
const home = domainId('alpha');
const gas = { localGas: 10_000n, scopeGas: 100_000n };
const body = (() => {
  const t = counterTx(counterId('c'), 3n, gas);
  return { declaration: t.declaration, calls: t.calls };
})();

function mint(): Transaction {
  return mintTx({
    issuer,
    symbol: 'WFT',
    owner: owner.publicKey,
    quantity: 5n,
    home,
    random: seededRandom('scoped'),
  }).tx;
}

describe('scoped transactions (format 3)', () => {
  it('leave a transaction without a scope byte for byte as format 1 or 2', () => {
    const tx = mint();
    expect(encodeTxBody(tx)[0]).toBe(tx.executor === undefined ? TX_FORMAT_V1 : TX_FORMAT);
    expect(decodeTransaction(encodeTransaction(tx))).toEqual(tx);
    expect('scope' in decodeTransaction(encodeTransaction(tx))).toBe(false);
  });

  it('put the scoped body under the id: a format 3 body, round-tripping in bytes and JSON', () => {
    const plain = mint();
    const scoped = signTransaction(withScope({ ...plain, signatures: [] }, body, home), [issuer]);
    const bytes = encodeTransaction(scoped);
    expect(encodeTxBody(scoped)[0]).toBe(TX_FORMAT_SCOPED);
    const back = decodeTransactionWithId(bytes);
    expect(back.tx).toEqual(scoped);
    expect(back.id).toEqual(txId(scoped));
    expect(txId(scoped)).not.toEqual(txId(plain));
    const other = withScope(scoped, { ...body, declaration: { ...body.declaration, scopeGas: 100_001n } });
    expect(txId(other)).not.toEqual(txId(scoped));
    expect(parseTransactionJson(JSON.stringify(transactionToJson(scoped)))).toEqual(scoped);
    expect(transactionToJson(plain).scope).toBeUndefined();
    expect(decodeScopeBody(scoped.scope!)).toEqual(body);
  });

  it('hand the scope layer the id, declaration, calls and signers', () => {
    const scoped = signTransaction(
      withScope({ actions: [], appData: new Uint8Array(), signatures: [] }, body, home),
      [owner],
    );
    const st = scopeTxOf(scoped, txId(scoped))!;
    expect(st.declaration).toEqual(body.declaration);
    expect(st.calls).toEqual(body.calls);
    expect(st.signers).toEqual([owner.publicKey]);
    expect(scopeTxOf(mint(), txId(mint()))).toBeNull();
  });

  it('allow a scoped transaction without actions, but not an empty scope or an oversized one', () => {
    const bare: Transaction = { actions: [], appData: new Uint8Array(), signatures: [] };
    expectCode(() => encodeTransaction(bare), 'TX_MALFORMED');
    const scoped = withScope(bare, body, home);
    expect(scoped.executor).toEqual(home);
    expectCode(() => withScope(bare, body), 'BAD_INPUT');
    expectCode(() => encodeTransaction({ ...scoped, executor: undefined }), 'TX_MALFORMED');
    expect(decodeTransaction(encodeTransaction(scoped))).toEqual(scoped);
    expectCode(() => encodeTransaction({ ...bare, executor: home, scope: new Uint8Array() }), 'TX_MALFORMED');
    expectCode(
      () => encodeTransaction({ ...bare, executor: home, scope: new Uint8Array(TX_SCOPE_BYTES_MAX + 1) }),
      'TX_SCOPE_TOO_LARGE',
    );
    // Bytes: format 3 with a zero-length scope is a second encoding of format 2's meaning.
    const two = encodeTransaction({ ...mint(), executor: home });
    expect(two[0]).toBe(TX_FORMAT);
    const forged = new Uint8Array([TX_FORMAT_SCOPED, ...two.subarray(1)]);
    expectCode(() => decodeTransaction(forged), 'CODEC');
    expectCode(() => decodeTransaction(Uint8Array.of(4, ...two.subarray(1))), 'CODEC');
  });

  it('are refused by validation unless the context executes scopes', async () => {
    const ledger = new Ledger('alpha');
    const scoped = signTransaction(withScope({ ...mint(), signatures: [] }, body, ledger.id), [issuer]);
    expectCode(() => validateTransaction(scoped, ledger.context()), 'TX_SCOPE_UNSUPPORTED');
    const valid = validateTransaction(scoped, { ...ledger.context(), executesScopes: true });
    expect(valid.id).toEqual(txId(scoped));
    expect(utf8('ok').length).toBe(2);
  });
});
