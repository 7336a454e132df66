import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  concatBytes,
  equalBytes,
  type KeyPair,
  keyPairFromSeed,
  SignatureVerifierPool,
  sign,
  toHex,
  utf8,
  type WeftError,
  Writer,
} from '../src/crypto/index.js';
import {
  createResource,
  decodeValue,
  domainId,
  encodeValue,
  kind,
  LogicRegistry,
  nkCommitment,
  rehome,
  tokenLogic,
  trivialLogic,
} from '../src/resource/index.js';
import {
  COMMITMENT_KEY_PREFIX,
  checkTransactionShape,
  commitmentKey,
  decodeTransaction,
  decodeTransactionWithId,
  encodeTransaction,
  encodeTxBody,
  parseTransactionJson,
  preverifySignatures,
  signTransaction,
  type Transaction,
  TX_ACTIONS_MAX,
  TX_APP_DATA_BYTES_MAX,
  TX_BYTES_MAX,
  TX_RESOURCES_MAX,
  TX_SIGNATURES_MAX,
  transactionToJson,
  txId,
  validateBatch,
  validateTransaction,
  verifyTransactionSignatures,
} from '../src/tx/index.js';
import { bytes32, created, expectCode, type Held, Ledger, Mint, seededRandom } from './support.js';

const issuer = keyPairFromSeed('secp256k1', bytes32(1));
const alice = keyPairFromSeed('ed25519', bytes32(2));
const bob = keyPairFromSeed('secp256k1', bytes32(3));
const carol = keyPairFromSeed('ed25519', bytes32(4));

function H(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** A ledger "alpha" holding one 100 USD coin of alice's, and a transfer of it to bob (70) and back to alice (30). */
async function fixture(seed = 'fixture') {
  const ledger = new Ledger('alpha');
  const mint = new Mint({ issuer, symbol: 'USD' }, seededRandom(seed));
  const coin = mint.make(alice.publicKey, 100n, ledger.id);
  await ledger.seed([coin]);
  const toBob = mint.make(bob.publicKey, 70n, ledger.id);
  const change = mint.make(alice.publicKey, 30n, ledger.id);
  const unsigned: Transaction = {
    actions: [{ consumed: [await ledger.consume(coin)], created: [created(toBob), created(change)] }],
    appData: utf8('memo'),
    signatures: [],
  };
  const tx = signTransaction(unsigned, [alice]);
  return { ledger, mint, coin, toBob, change, unsigned, tx };
}

/** A copy of `tx` with one action's entry replaced; re-signed by `signers`. */
function withAction(
  tx: Transaction,
  action: Transaction['actions'][number],
  signers: KeyPair[] = [alice],
): Transaction {
  return signTransaction({ ...tx, actions: [action], signatures: [] }, signers);
}

describe('transaction encoding and id', () => {
  it('round-trips through the canonical encoding', async () => {
    const { tx } = await fixture();
    const bytes = encodeTransaction(tx);
    expect(decodeTransaction(bytes)).toEqual(tx);
    expect(encodeTransaction(decodeTransaction(bytes))).toEqual(bytes);
  });

  it('defines txId = SHA256("weft.tx" || body), the body being the encoding before the signatures', async () => {
    const { tx } = await fixture();
    const body = encodeTxBody(tx);
    expect(body[0]).toBe(1);
    expect(txId(tx)).toEqual(H(utf8('weft.tx'), body));
    const bytes = encodeTransaction(tx);
    expect(bytes.subarray(0, body.length)).toEqual(body);
    expect(decodeTransactionWithId(bytes).id).toEqual(txId(tx));
  });

  it('keeps the id when signatures are added, and changes it with app data', async () => {
    const { tx, unsigned } = await fixture();
    expect(txId(tx)).toEqual(txId(unsigned));
    expect(txId({ ...unsigned, appData: utf8('memO') })).not.toEqual(txId(unsigned));
  });

  it('is strict: trailing bytes, truncation, an unknown format and unknown witness flags are CODEC errors', async () => {
    const { tx } = await fixture();
    const bytes = encodeTransaction(tx);
    expectCode(() => decodeTransaction(concatBytes(bytes, Uint8Array.of(0))), 'CODEC');
    expectCode(() => decodeTransaction(bytes.subarray(0, bytes.length - 1)), 'CODEC');
    // Formats 1, 2 and 3 (scoped) are defined (docs/transactions.md); 4 is not.
    const v4 = bytes.slice();
    v4[0] = 4;
    expectCode(() => decodeTransaction(v4), 'CODEC');
    // the has-proof flag of the first consumed resource is the first byte after the body
    const flagAt = encodeTxBody(tx).length;
    expect(bytes[flagAt]).toBe(1);
    const badFlag = bytes.slice();
    badFlag[flagAt] = 8; // bits 0, 1 and 2 are the proof, refund and refusal flags; no other is defined
    expectCode(() => decodeTransaction(badFlag), 'CODEC');
  });

  it('names the limit when a count in the encoding is over it', () => {
    const actions = new Writer()
      .u8(1)
      .u32(TX_ACTIONS_MAX + 1)
      .finish();
    expectCode(() => decodeTransaction(actions), 'TX_TOO_MANY_ACTIONS');
    const resources = new Writer()
      .u8(1)
      .u32(1)
      .u32(TX_RESOURCES_MAX + 1)
      .finish();
    expectCode(() => decodeTransaction(resources), 'TX_TOO_MANY_RESOURCES');
    const appData = new Writer()
      .u8(1)
      .u32(0)
      .u32(TX_APP_DATA_BYTES_MAX + 1)
      .finish();
    expectCode(() => decodeTransaction(appData), 'TX_APP_DATA_TOO_LARGE');
    const sigs = new Writer()
      .u8(1)
      .u32(0)
      .u32(0)
      .u32(TX_SIGNATURES_MAX + 1)
      .finish();
    expectCode(() => decodeTransaction(sigs), 'TX_TOO_MANY_SIGNATURES');
    expectCode(() => decodeTransaction(new Uint8Array(TX_BYTES_MAX + 1)), 'TX_TOO_LARGE');
  });
});

describe('validateTransaction: a valid transfer', () => {
  it('returns the id, the nullifiers to spend and the commitments to add', async () => {
    const { ledger, tx, coin, toBob, change } = await fixture();
    const valid = validateTransaction(tx, ledger.context());
    expect(valid.id).toEqual(txId(tx));
    expect(valid.nullifiers).toHaveLength(1);
    expect(valid.commitments).toHaveLength(2);
    await ledger.apply(tx);
    expect(ledger.isSpent(coin)).toBe(true);
    expect(await ledger.smt.get(commitmentKey(valid.commitments[0]!))).not.toBeNull();
    expect(valid.commitments.map(toHex)).toEqual([toBob, change].map((h) => toHex(expectedCommitment(h))));
  });

  it('is pure: the same answer twice, and neither the transaction nor the context changes', async () => {
    const { ledger, tx } = await fixture();
    const before = encodeTransaction(tx);
    const a = validateTransaction(tx, ledger.context());
    const b = validateTransaction(tx, ledger.context());
    expect(a).toEqual(b);
    expect(encodeTransaction(tx)).toEqual(before);
    expect(ledger.height).toBe(1n);
  });

  it('stores commitments under 0x01 || cm with the u64 height as value', async () => {
    const { ledger, coin } = await fixture();
    const proof = await ledger.proofOf(coin);
    expect(proof.height).toBe(1n);
    expect(COMMITMENT_KEY_PREFIX).toBe(1);
  });
});

function expectedCommitment(h: Held): Uint8Array {
  return H(
    h.resource.logicRef,
    h.resource.labelRef,
    new Writer().u128(h.resource.quantity).finish(),
    h.resource.valueRef,
    Uint8Array.of(h.resource.isEphemeral ? 1 : 0),
    h.resource.nonce,
    h.resource.nkCommitment,
    H(utf8('RISC0_ExpandSeed'), Uint8Array.of(1), h.resource.randSeed, h.resource.nonce),
  );
}

describe('validateTransaction: shape and limits', () => {
  it('refuses a transaction without actions, or with an empty action (TX_MALFORMED)', async () => {
    const { ledger, tx } = await fixture();
    expectCode(() => validateTransaction({ ...tx, actions: [] }, ledger.context()), 'TX_MALFORMED');
    expectCode(
      () => validateTransaction({ ...tx, actions: [{ consumed: [], created: [] }] }, ledger.context()),
      'TX_MALFORMED',
    );
  });

  it('refuses an ephemeral resource with a commitment proof, and a real one without (TX_MALFORMED)', async () => {
    const { ledger, tx, mint } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...tx.actions[0]!, consumed: [{ ...c, commitmentProof: null }] }),
          ledger.context(),
        ),
      'TX_MALFORMED',
    );
    const eph = mint.make(alice.publicKey, 1n, ledger.id, true);
    const withProof = { ...(await ledger.consume(eph)), commitmentProof: c.commitmentProof };
    expectCode(
      () => checkTransactionShape({ ...tx, actions: [{ consumed: [withProof], created: [] }] }),
      'TX_MALFORMED',
    );
  });

  it('refuses unsorted or repeated signers, and a key paired with a signature of the other type', async () => {
    const { ledger, unsigned } = await fixture();
    const both = signTransaction(unsigned, [alice, bob]);
    const reversed = { ...both, signatures: [...both.signatures].reverse() };
    expectCode(() => validateTransaction(reversed, ledger.context()), 'TX_MALFORMED');
    const repeated = { ...both, signatures: [both.signatures[0]!, both.signatures[0]!] };
    expectCode(() => validateTransaction(repeated, ledger.context()), 'TX_MALFORMED');
    const s = both.signatures[0]!;
    const mixed = {
      ...both,
      signatures: [
        {
          publicKey: s.publicKey,
          signature: {
            ...s.signature,
            type: s.publicKey.type === 'ed25519' ? ('secp256k1' as const) : ('ed25519' as const),
          },
        },
      ],
    };
    expectCode(() => validateTransaction(mixed, ledger.context()), 'TX_MALFORMED');
  });

  it('refuses wrongly sized fields with TX_MALFORMED naming the field', async () => {
    const { ledger, tx } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    const e = expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...tx.actions[0]!, consumed: [{ ...c, nk: new Uint8Array(31) }] }),
          ledger.context(),
        ),
      'TX_MALFORMED',
    );
    expect(e.message).toContain('tx.actions[0].consumed[0].nk');
  });

  it('holds every limit, each with its own code', async () => {
    const { ledger, tx } = await fixture();
    const ctx = ledger.context();
    const one = tx.actions[0]!;
    const tiny = one.created[0]!;
    expectCode(
      () => validateTransaction({ ...tx, actions: Array(TX_ACTIONS_MAX + 1).fill(one) }, ctx),
      'TX_TOO_MANY_ACTIONS',
    );
    expectCode(
      () =>
        validateTransaction(
          { ...tx, actions: [{ consumed: [], created: Array(TX_RESOURCES_MAX + 1).fill(tiny) }] },
          ctx,
        ),
      'TX_TOO_MANY_RESOURCES',
    );
    expectCode(
      () => validateTransaction({ ...tx, appData: new Uint8Array(TX_APP_DATA_BYTES_MAX + 1) }, ctx),
      'TX_APP_DATA_TOO_LARGE',
    );
    expectCode(
      () =>
        validateTransaction({ ...tx, signatures: Array(TX_SIGNATURES_MAX + 1).fill(tx.signatures[0]) }, ctx),
      'TX_TOO_MANY_SIGNATURES',
    );
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...one, created: [{ ...tiny, value: new Uint8Array(5000) }] }),
          ctx,
        ),
      'VALUE_TOO_LARGE',
    );
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...one, created: [{ ...tiny, label: new Uint8Array(1025) }] }),
          ctx,
        ),
      'LABEL_TOO_LARGE',
    );
  });

  it('refuses a transaction whose encoding is over TX_BYTES_MAX (TX_TOO_LARGE)', async () => {
    const { ledger, tx } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    // The largest entries the other limits allow: a 4 KiB value, a 1 KiB label, a 256-deep proof.
    const deepest = {
      depth: 256,
      bitmap: new Uint8Array(32).fill(0xff),
      siblings: Array(256).fill(bytes32(1)),
      terminal: { kind: 'member' as const },
    };
    const huge = {
      ...c,
      value: new Uint8Array(4133),
      label: new Uint8Array(1024),
      commitmentProof: { ...c.commitmentProof!, proof: deepest },
    };
    const over = {
      ...tx,
      actions: [{ consumed: Array(TX_RESOURCES_MAX).fill(huge), created: [] }],
      signatures: [],
    };
    // Bodies stay small; the proofs, which the id does not cover, carry the size over the limit.
    expect(encodeTxBody(over).length).toBeLessThan(TX_BYTES_MAX);
    expectCode(() => validateTransaction(over, ledger.context()), 'TX_TOO_LARGE');
    expectCode(() => encodeTransaction(over), 'TX_TOO_LARGE');
  });
});

describe('validateTransaction: consumed resources', () => {
  it('refuses a value preimage that does not hash to valueRef (VALUE_MISMATCH)', async () => {
    const { ledger, tx } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    const other = encodeValue({ ...decodeValue(c.value), data: utf8('x') });
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...tx.actions[0]!, consumed: [{ ...c, value: other }] }),
          ledger.context(),
        ),
      'VALUE_MISMATCH',
    );
  });

  it('refuses a label preimage that does not hash to labelRef (LABEL_MISMATCH)', async () => {
    const { ledger, tx } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...tx.actions[0]!, consumed: [{ ...c, label: utf8('x') }] }),
          ledger.context(),
        ),
      'LABEL_MISMATCH',
    );
  });

  it('refuses a value preimage that is not a value encoding (BAD_VALUE)', async () => {
    const { ledger, tx } = await fixture();
    const r = createResource({
      logicRef: trivialLogic.ref,
      label: utf8('t'),
      quantity: 0n,
      home: ledger.id,
      data: new Uint8Array(),
      nkCommitment: nkCommitment(bytes32(0)),
    });
    const junk = utf8('not a value');
    const bad = { ...r, value: junk, resource: { ...r.resource, valueRef: H(junk) } };
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...tx.actions[0]!, created: [...tx.actions[0]!.created, bad] }),
          ledger.context(),
        ),
      'BAD_VALUE',
    );
  });

  it('refuses a resource homed on another domain (WRONG_DOMAIN)', async () => {
    const { tx } = await fixture();
    const elsewhere = new Ledger('beta');
    elsewhere.acceptRemote((await fixture()).ledger);
    expectCode(() => validateTransaction(tx, elsewhere.context()), 'WRONG_DOMAIN');
  });

  it('refuses a nullifier key that does not match the resource (NK_MISMATCH)', async () => {
    const { ledger, tx } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...tx.actions[0]!, consumed: [{ ...c, nk: bytes32(9) }] }),
          ledger.context(),
        ),
      'NK_MISMATCH',
    );
  });

  it('refuses a resource consumed twice in one transaction (NULLIFIER_REPEATED)', async () => {
    const { ledger, tx } = await fixture();
    const a = tx.actions[0]!;
    const twice = { ...tx, actions: [a, { consumed: [a.consumed[0]!], created: [] }] };
    expectCode(
      () => validateTransaction(signTransaction({ ...twice, signatures: [] }, [alice]), ledger.context()),
      'NULLIFIER_REPEATED',
    );
  });

  it('refuses a resource already consumed (NULLIFIER_SPENT)', async () => {
    const { ledger, tx } = await fixture();
    await ledger.apply(tx);
    expectCode(() => validateTransaction(tx, ledger.context()), 'NULLIFIER_SPENT');
  });

  it('refuses an anchor the domain has not accepted (UNKNOWN_ANCHOR)', async () => {
    const { ledger, tx } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    const p = { ...c.commitmentProof!, anchor: bytes32(7) };
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...tx.actions[0]!, consumed: [{ ...c, commitmentProof: p }] }),
          ledger.context(),
        ),
      'UNKNOWN_ANCHOR',
    );
  });

  it('refuses a commitment proof that does not verify under its anchor (BAD_PROOF)', async () => {
    const { ledger, tx, mint } = await fixture();
    const c = tx.actions[0]!.consumed[0]!;
    const p = c.commitmentProof!;
    const ctx = ledger.context();
    const bad = (commitmentProof: typeof p) =>
      withAction(tx, { ...tx.actions[0]!, consumed: [{ ...c, commitmentProof }] });
    expectCode(() => validateTransaction(bad({ ...p, height: 2n }), ctx), 'BAD_PROOF');
    // a resource that was never committed, with another resource's proof
    const ghost = mint.make(alice.publicKey, 100n, ledger.id);
    const ghostEntry = { ...created(ghost), nk: ghost.nk, commitmentProof: p };
    expectCode(
      () => validateTransaction(withAction(tx, { ...tx.actions[0]!, consumed: [ghostEntry] }), ctx),
      'BAD_PROOF',
    );
    // the anchor is accepted, but the proof was made under another (older, empty) root
    const empty = new Ledger('alpha');
    const absent = await empty.smt.prove(commitmentKey(expectedCommitment(ghost)));
    expectCode(() => validateTransaction(bad({ ...p, proof: absent }), ctx), 'BAD_PROOF');
  });

  it('lets an ephemeral consumed resource skip the commitment proof', async () => {
    const { ledger, mint } = await fixture();
    const minted = mint.make(issuer.publicKey, 5n, ledger.id, true);
    const out = mint.make(carol.publicKey, 5n, ledger.id);
    const tx = signTransaction(
      {
        actions: [{ consumed: [await ledger.consume(minted)], created: [created(out)] }],
        appData: new Uint8Array(),
        signatures: [],
      },
      [issuer],
    );
    expect(tx.actions[0]!.consumed[0]!.commitmentProof).toBeNull();
    expect(validateTransaction(tx, ledger.context()).commitments).toHaveLength(1);
  });

  it('accepts a proof under an older root of its own that the domain still accepts', async () => {
    const { ledger, tx, mint } = await fixture();
    await ledger.seed([mint.make(carol.publicKey, 1n, ledger.id)]);
    expect(validateTransaction(tx, ledger.context()).nullifiers).toHaveLength(1);
  });
});

describe('validateTransaction: created resources, balance, logics, signatures', () => {
  it('refuses the same resource created twice (DUPLICATE_COMMITMENT)', async () => {
    const { ledger, tx } = await fixture();
    const a = tx.actions[0]!;
    const [toBob] = a.created;
    const dup = { ...a, created: [toBob!, toBob!] };
    expectCode(() => validateTransaction(withAction(tx, dup), ledger.context()), 'DUPLICATE_COMMITMENT');
  });

  it('refuses a transaction that creates more than it consumes of a kind (UNBALANCED)', async () => {
    const { ledger, tx, mint } = await fixture();
    const extra = mint.make(bob.publicKey, 1n, ledger.id);
    const a = tx.actions[0]!;
    const e = expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...a, created: [...a.created, created(extra)] }),
          ledger.context(),
        ),
      'UNBALANCED',
    );
    expect(e.message).toContain('1 more created than consumed');
  });

  it('refuses one that consumes more than it creates (UNBALANCED)', async () => {
    const { ledger, tx } = await fixture();
    const a = tx.actions[0]!;
    expectCode(
      () => validateTransaction(withAction(tx, { ...a, created: [a.created[0]!] }), ledger.context()),
      'UNBALANCED',
    );
  });

  it('balances per kind across actions: two tokens with different issuers never offset', async () => {
    const { ledger, tx } = await fixture();
    const eur = new Mint({ issuer: carol, symbol: 'USD' }, seededRandom('eur'));
    const fake = eur.make(bob.publicKey, 70n, ledger.id);
    expect(kind(fake.resource)).not.toEqual(kind(tx.actions[0]!.created[0]!.resource));
    const a = tx.actions[0]!;
    expectCode(
      () =>
        validateTransaction(
          withAction(tx, { ...a, created: [created(fake), a.created[1]!] }),
          ledger.context(),
        ),
      'UNBALANCED',
    );
  });

  it('refuses a resource whose logic the domain does not know (UNKNOWN_LOGIC)', async () => {
    const { ledger, tx } = await fixture();
    const onlyTrivial = new Ledger('alpha', { logics: new LogicRegistry([trivialLogic]) });
    onlyTrivial.acceptRemote(ledger);
    expectCode(() => validateTransaction(tx, onlyTrivial.context()), 'UNKNOWN_LOGIC');
  });

  it('refuses a signature that does not verify over the id (BAD_SIGNATURE)', async () => {
    const { ledger, tx } = await fixture();
    const s = tx.signatures[0]!;
    const forged = { ...tx, signatures: [{ ...s, signature: sign(alice, bytes32(0)) }] };
    expectCode(() => validateTransaction(forged, ledger.context()), 'BAD_SIGNATURE');
  });

  it('refuses even a signature no logic needs, so every byte of the witness counts (BAD_SIGNATURE)', async () => {
    const { ledger, unsigned } = await fixture();
    const both = signTransaction(unsigned, [alice, carol]);
    expect(validateTransaction(both, ledger.context()).signers).toHaveLength(2);
    const i = both.signatures.findIndex(
      (s) =>
        s.publicKey.bytes === carol.publicKey.bytes || equalBytes(s.publicKey.bytes, carol.publicKey.bytes),
    );
    const sigs = [...both.signatures];
    sigs[i] = { ...sigs[i]!, signature: sign(carol, bytes32(1)) };
    expectCode(() => validateTransaction({ ...both, signatures: sigs }, ledger.context()), 'BAD_SIGNATURE');
  });

  it("reports a logic's rejection with its reason (LOGIC_REJECTED)", async () => {
    const { ledger, unsigned } = await fixture();
    const e = expectCode(
      () => validateTransaction(signTransaction(unsigned, [bob]), ledger.context()),
      'LOGIC_REJECTED',
    );
    expect(e.message).toContain('tx.actions[0].consumed[0]');
    expect(e.message).toContain("spending USD needs the owner's signature");
  });

  it('turns a logic that throws into a rejection, and cuts long reasons', async () => {
    const { ledger, tx } = await fixture();
    const thrower = {
      ...tokenLogic,
      check: () => {
        throw new Error('boom');
      },
    };
    const reg = new LogicRegistry([thrower, trivialLogic]);
    const l = new Ledger('alpha', { logics: reg });
    l.acceptRemote(ledger);
    const e = expectCode(() => validateTransaction(tx, l.context()), 'LOGIC_REJECTED');
    expect(e.message).toContain('the logic threw: boom');
    const chatty = { ...tokenLogic, check: () => ({ ok: false as const, reason: 'x'.repeat(1000) }) };
    const l2 = new Ledger('alpha', { logics: new LogicRegistry([chatty]) });
    l2.acceptRemote(ledger);
    expect(
      expectCode(() => validateTransaction(tx, l2.context()), 'LOGIC_REJECTED').message.length,
    ).toBeLessThan(400);
  });
});

describe('the token logic', () => {
  async function mintTx(signers: KeyPair[], quantity = 5n) {
    const { ledger, mint } = await fixture('mint');
    const minted = mint.make(carol.publicKey, quantity, ledger.id, true);
    const out = mint.make(carol.publicKey, quantity, ledger.id);
    const tx = signTransaction(
      {
        actions: [{ consumed: [await ledger.consume(minted)], created: [created(out)] }],
        appData: new Uint8Array(),
        signatures: [],
      },
      signers,
    );
    return { ledger, tx };
  }

  it('mints (consumes an ephemeral token) only with the issuer named in the label', async () => {
    const ok = await mintTx([issuer]);
    expect(validateTransaction(ok.tx, ok.ledger.context()).commitments).toHaveLength(1);
    const bad = await mintTx([carol]);
    const e = expectCode(() => validateTransaction(bad.tx, bad.ledger.context()), 'LOGIC_REJECTED');
    expect(e.message).toContain("minting USD needs the issuer's signature");
  });

  it('burns (creates an ephemeral token) only with its owner', async () => {
    const { ledger, mint, coin } = await fixture('burn');
    const burn = (owner: KeyPair, signers: KeyPair[]) =>
      ledger.consume(coin).then((c) => {
        const ash = mint.make(owner.publicKey, 100n, ledger.id, true);
        return signTransaction(
          {
            actions: [{ consumed: [c], created: [created(ash)] }],
            appData: new Uint8Array(),
            signatures: [],
          },
          signers,
        );
      });
    expect(validateTransaction(await burn(alice, [alice]), ledger.context()).commitments).toHaveLength(1);
  });

  it('refuses a burn in the name of someone who did not sign', async () => {
    const { ledger, mint, coin } = await fixture('burn2');
    const ash = mint.make(bob.publicKey, 100n, ledger.id, true);
    const tx = signTransaction(
      {
        actions: [{ consumed: [await ledger.consume(coin)], created: [created(ash)] }],
        appData: new Uint8Array(),
        signatures: [],
      },
      [alice],
    );
    const e = expectCode(() => validateTransaction(tx, ledger.context()), 'LOGIC_REJECTED');
    expect(e.message).toContain("burning USD needs the owner's signature");
  });

  it('works the same with secp256k1 and ed25519 owners', async () => {
    const { ledger, tx, toBob, mint } = await fixture('mixed');
    await ledger.apply(tx);
    const back = mint.make(alice.publicKey, 70n, ledger.id);
    const spend = signTransaction(
      {
        actions: [{ consumed: [await ledger.consume(toBob)], created: [created(back)] }],
        appData: new Uint8Array(),
        signatures: [],
      },
      [bob],
    );
    expect(bob.publicKey.type).toBe('secp256k1');
    expect(alice.publicKey.type).toBe('ed25519');
    expect((await ledger.apply(spend)).nullifiers).toHaveLength(1);
  });

  it('refuses a token whose value data is not an owner key', async () => {
    const { ledger, tx } = await fixture();
    const a = tx.actions[0]!;
    const c = a.created[0]!;
    const value = encodeValue({ home: ledger.id, data: utf8('nobody') });
    const broken = { ...c, value, resource: { ...c.resource, valueRef: H(value) } };
    const e = expectCode(
      () => validateTransaction(withAction(tx, { ...a, created: [broken, a.created[1]!] }), ledger.context()),
      'LOGIC_REJECTED',
    );
    expect(e.message).toContain('not a token owner key');
  });
});

describe('cross-domain move', () => {
  it('balances on the source, is claimable on the destination under the accepted remote root, and only there', async () => {
    const { ledger: alpha, mint, coin } = await fixture('move');
    const beta = new Ledger('beta');
    // On alpha: consume the coin, create its copy homed on beta.
    const moved = { ...rehome(coin, beta.id, seededRandom('rehome')), nk: coin.nk };
    const send = signTransaction(
      {
        actions: [{ consumed: [await alpha.consume(coin)], created: [created(moved)] }],
        appData: new Uint8Array(),
        signatures: [],
      },
      [alice],
    );
    await alpha.apply(send);
    // Alpha may not consume the copy: it is homed on beta.
    const local = signTransaction(
      {
        actions: [
          {
            consumed: [await alpha.consume(moved)],
            created: [created(mint.make(alice.publicKey, 100n, alpha.id))],
          },
        ],
        appData: new Uint8Array(),
        signatures: [],
      },
      [alice],
    );
    expectCode(() => validateTransaction(local, alpha.context()), 'WRONG_DOMAIN');
    // Beta claims it under alpha's root once that root is accepted.
    const claim = signTransaction(
      {
        actions: [
          {
            consumed: [await alpha.consume(moved)],
            created: [created(mint.make(alice.publicKey, 100n, beta.id))],
          },
        ],
        appData: new Uint8Array(),
        signatures: [],
      },
      [alice],
    );
    expectCode(() => validateTransaction(claim, beta.context()), 'UNKNOWN_ANCHOR');
    beta.acceptRemote(alpha);
    await beta.apply(claim);
    // A second claim is impossible: the nullifier is spent on beta.
    expectCode(() => validateTransaction(claim, beta.context()), 'NULLIFIER_SPENT');
  });

  it('verifies proofs from a remote tree with the jmt preset', async () => {
    const alpha = new Ledger('alpha', { hasher: 'jmt' });
    const mint = new Mint({ issuer, symbol: 'USD' }, seededRandom('jmt'));
    const coin = mint.make(alice.publicKey, 9n, domainId('beta'));
    await alpha.seed([coin]);
    const beta = new Ledger('beta');
    beta.acceptRemote(alpha);
    const tx = signTransaction(
      {
        actions: [
          {
            consumed: [await alpha.consume(coin)],
            created: [created(mint.make(bob.publicKey, 9n, beta.id))],
          },
        ],
        appData: new Uint8Array(),
        signatures: [],
      },
      [alice],
    );
    expect(validateTransaction(tx, beta.context()).nullifiers).toHaveLength(1);
    expectCode(() => validateTransaction(tx, { ...beta.context(), anchorHasher: () => 'weft' }), 'BAD_PROOF');
  });
});

describe('signature checks ahead of validation (worker pool)', () => {
  const pool = SignatureVerifierPool.create({ threads: 2 });
  afterAll(() => pool.close());

  it('gives the same outcome as inline checks, for valid and forged signatures', async () => {
    const { ledger, tx } = await fixture();
    const forged = { ...tx, signatures: [{ ...tx.signatures[0]!, signature: sign(alice, bytes32(0)) }] };
    const [good, bad] = await preverifySignatures([tx, forged], pool);
    expect(good!.valid).toEqual([true]);
    expect(validateTransaction(tx, ledger.context(), { signatureResults: good })).toEqual(
      validateTransaction(tx, ledger.context()),
    );
    expectCode(
      () => validateTransaction(forged, ledger.context(), { signatureResults: bad }),
      'BAD_SIGNATURE',
    );
    expect(verifyTransactionSignatures(forged)).toEqual(bad);
  });

  it('refuses results computed for another transaction or other signatures', async () => {
    const { ledger, tx, unsigned } = await fixture();
    const other = { ...unsigned, appData: utf8('other') };
    const [results] = await preverifySignatures([signTransaction(other, [alice])], pool);
    expectCode(() => validateTransaction(tx, ledger.context(), { signatureResults: results }), 'BAD_INPUT');
    const forged = { ...tx, signatures: [{ ...tx.signatures[0]!, signature: sign(alice, bytes32(0)) }] };
    const mine = verifyTransactionSignatures(tx);
    expectCode(() => validateTransaction(forged, ledger.context(), { signatureResults: mine }), 'BAD_INPUT');
  });

  it('leaves shape to validation: a malformed transaction is refused there, answers or not', async () => {
    const { ledger, tx } = await fixture();
    const empty = { ...tx, actions: [] };
    const [answers] = await preverifySignatures([empty], pool);
    expectCode(
      () => validateTransaction(empty, ledger.context(), { signatureResults: answers }),
      'TX_MALFORMED',
    );
    const unwritable = { ...tx, appData: 'not bytes' as unknown as Uint8Array };
    expect((await preverifySignatures([unwritable], pool))[0]).toBeUndefined();
  });
});

describe('validating a batch with the pool', () => {
  const pools = [1, 2].map((threads) => SignatureVerifierPool.create({ threads }));
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  /** 300 transfers of distinct coins, every seventh one broken in a different way. */
  async function mixedBatch() {
    const ledger = new Ledger('alpha');
    const mint = new Mint({ issuer, symbol: 'USD' }, seededRandom('batch'));
    const coins = Array.from({ length: 300 }, (_, i) =>
      mint.make((i % 2 === 0 ? alice : bob).publicKey, 10n, ledger.id),
    );
    await ledger.seed(coins);
    const txs: Transaction[] = [];
    for (const [i, coin] of coins.entries()) {
      const owner = i % 2 === 0 ? alice : bob;
      const out = mint.make(carol.publicKey, i % 7 === 3 ? 11n : 10n, ledger.id);
      let tx = signTransaction(
        {
          actions: [{ consumed: [await ledger.consume(coin)], created: [created(out)] }],
          appData: new Uint8Array(),
          signatures: [],
        },
        [owner],
      );
      if (i % 7 === 1)
        tx = { ...tx, signatures: [{ ...tx.signatures[0]!, signature: sign(owner, bytes32(0)) }] };
      if (i % 7 === 5) tx = signTransaction({ ...tx, signatures: [] }, [carol]);
      txs.push(tx);
    }
    return { ledger, txs };
  }

  it('gives every transaction the outcome validateTransaction gives it, in order', async () => {
    const { ledger, txs } = await mixedBatch();
    const ctx = ledger.context();
    const expected = txs.map((tx) => {
      try {
        return toHex(validateTransaction(tx, ctx).id);
      } catch (e) {
        return (e as WeftError).code;
      }
    });
    expect(new Set(expected)).toContain('BAD_SIGNATURE');
    expect(new Set(expected)).toContain('UNBALANCED');
    expect(new Set(expected)).toContain('LOGIC_REJECTED');
    for (const pool of [undefined, ...pools]) {
      const outcomes = await validateBatch(txs, ctx, { pool });
      expect(outcomes.map((o) => (o.ok ? toHex(o.valid.id) : o.error.code))).toEqual(expected);
    }
  });

  it('checks signatures itself when the pool fails', async () => {
    const { ledger, txs } = await mixedBatch();
    const broken = SignatureVerifierPool.create({ threads: 1 });
    await broken.close();
    const outcomes = await validateBatch(txs, ledger.context(), { pool: broken });
    const direct = await validateBatch(txs, ledger.context());
    expect(outcomes).toEqual(direct);
  });
});

describe('transaction JSON', () => {
  it('round-trips, as an object and as text', async () => {
    const { tx } = await fixture();
    const j = transactionToJson(tx);
    expect(j.actions[0]!.consumed[0]!.commitmentProof!.height).toBe('1');
    expect(parseTransactionJson(j)).toEqual(tx);
    expect(parseTransactionJson(JSON.stringify(j))).toEqual(tx);
  });

  // biome-ignore lint/suspicious/noExplicitAny: each case edits its own path of the parsed JSON
  const cases: [string, (j: any) => void, string][] = [
    ['an unknown top-level field', (j) => (j.fee = '1'), 'tx.fee'],
    ['a missing app data', (j) => delete j.appData, 'tx.appData'],
    [
      'a bad resource quantity',
      (j) => (j.actions[0].consumed[0].resource.quantity = '-5'),
      'tx.actions[0].consumed[0].resource.quantity',
    ],
    [
      'a short nullifier key',
      (j) => (j.actions[0].consumed[0].nk = '0x1234'),
      'tx.actions[0].consumed[0].nk',
    ],
    [
      'a height out of u64 range',
      (j) => (j.actions[0].consumed[0].commitmentProof.height = '18446744073709551616'),
      'commitmentProof.height',
    ],
    [
      'a proof that does not decode',
      (j) => (j.actions[0].consumed[0].commitmentProof.proof = '0x0102'),
      'commitmentProof.proof',
    ],
    ['too many actions', (j) => (j.actions = Array(17).fill(j.actions[0])), 'tx.actions'],
    ['oversized app data', (j) => (j.appData = `0x${'00'.repeat(TX_APP_DATA_BYTES_MAX + 1)}`), 'tx.appData'],
    [
      'a signature of the wrong size',
      (j) => (j.signatures[0].signature = '0x00'),
      'tx.signatures[0].signature',
    ],
    [
      'an unknown key type',
      (j) => (j.signatures[0].publicKey.type = 'rsa'),
      'tx.signatures[0].publicKey.type',
    ],
  ];
  for (const [what, mutate, field] of cases) {
    it(`rejects ${what}, naming ${field}`, async () => {
      const { tx } = await fixture();
      const j = JSON.parse(JSON.stringify(transactionToJson(tx)));
      mutate(j);
      const e = expectCode(() => parseTransactionJson(j), 'BAD_JSON');
      expect(e.message).toContain(field);
    });
  }
});

describe('properties', () => {
  it('random valid token workloads keep the total per kind constant', async () => {
    const owners = [alice, bob, carol, keyPairFromSeed('secp256k1', bytes32(5))];
    const step = fc.record({
      kind: fc.nat(1),
      from: fc.nat(3),
      to: fc.nat(3),
      merge: fc.boolean(),
      fraction: fc.integer({ min: 0, max: 1000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), fc.nat(), async (steps, seed) => {
        const ledger = new Ledger('alpha');
        const random = seededRandom(`workload-${seed}`);
        const mints = [
          new Mint({ issuer, symbol: 'USD' }, random),
          new Mint({ issuer: carol, symbol: 'EUR' }, random),
        ];
        const wallet: Held[] = [];
        for (const [k, m] of mints.entries())
          for (const o of owners) wallet.push(m.make(o.publicKey, BigInt(1000 * (k + 1)), ledger.id));
        await ledger.seed(wallet);
        const totals = () => {
          const t = new Map<string, bigint>();
          for (const h of wallet)
            if (!ledger.isSpent(h))
              t.set(toHex(kind(h.resource)), (t.get(toHex(kind(h.resource))) ?? 0n) + h.resource.quantity);
          return t;
        };
        const before = totals();
        let applied = 0;
        for (const s of steps) {
          const m = mints[s.kind]!;
          const owner = owners[s.from]!;
          const mine = wallet.filter(
            (h) =>
              !ledger.isSpent(h) &&
              equalBytes(h.resource.labelRef, wallet[s.kind * owners.length]!.resource.labelRef) &&
              equalBytes(decodeValue(h.value).data.subarray(1), owner.publicKey.bytes),
          );
          if (mine.length === 0) continue;
          const inputs = s.merge ? mine.slice(0, 2) : mine.slice(0, 1);
          const total = inputs.reduce((n, h) => n + h.resource.quantity, 0n);
          const sent = (total * BigInt(s.fraction)) / 1000n;
          const outs = [
            m.make(owners[s.to]!.publicKey, sent, ledger.id),
            m.make(owner.publicKey, total - sent, ledger.id),
          ];
          const consumed = [];
          for (const h of inputs) consumed.push(await ledger.consume(h));
          const tx = signTransaction(
            {
              actions: [{ consumed, created: outs.map(created) }],
              appData: new Uint8Array(),
              signatures: [],
            },
            [owner],
          );
          await ledger.apply(tx);
          applied++;
          wallet.push(...outs);
        }
        expect(applied).toBeGreaterThan(0);
        expect(totals()).toEqual(before);
      }),
      { numRuns: 12 },
    );
  });

  it('mutating any byte of a valid transaction makes it invalid or changes its id', async () => {
    const { ledger, mint, unsigned } = await fixture('mutation');
    // Two actions, both key types, an ephemeral mint (no proof) beside a proven spend.
    const minted = mint.make(issuer.publicKey, 3n, ledger.id, true);
    const extra = {
      consumed: [await ledger.consume(minted)],
      created: [created(mint.make(carol.publicKey, 3n, ledger.id))],
    };
    const tx = signTransaction({ ...unsigned, actions: [...unsigned.actions, extra] }, [alice, issuer]);
    const ctx = ledger.context();
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
    // every byte, two masks each
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const m = bytes.slice();
        m[i]! ^= mask;
        expect(outcome(m), `byte ${i} ^ ${mask}`).not.toBe('still valid');
      }
    }
    // and random masks anywhere
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (i, mask) => {
        const m = bytes.slice();
        m[i]! ^= mask;
        expect(outcome(m)).not.toBe('still valid');
      }),
      { numRuns: 300 },
    );
  });
});
