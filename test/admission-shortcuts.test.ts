// Issue 17.3, fifth pass: the shortcuts the admission path takes, each held to its plain definition.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertPublicKey,
  assertSignature,
  compareBytes,
  encodePublicKey,
  isPublicKeyShape,
  isSignatureShape,
  isWellFormedSignature,
  KEY_TYPE_TAG,
  keyPairFromSeed,
  type PublicKey,
  Reader,
  readPublicKey,
  toHex,
  Writer,
  writePublicKey,
} from '../src/crypto/index.js';
import { sha256 } from '../src/crypto/sha256.js';
import { txRoot } from '../src/domain/index.js';
import {
  decodeTokenLabel,
  decodeValue,
  encodeValue,
  tokenData,
  tokenLabel,
  tokenLogic,
} from '../src/resource/index.js';
import { signTransaction, type Transaction, validateTransaction } from '../src/tx/index.js';
import { compareEncodedKeys } from '../src/tx/shape.js';
import { bytes32, created, expectCode, Ledger, Mint, seededRandom } from './support.js';

const sign = (n: number) => Math.sign(n);

describe('signature order without encoding the keys', () => {
  const key = fc
    .record({
      type: fc.constantFrom('secp256k1' as const, 'ed25519' as const),
      body: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      prefix: fc.constantFrom(2, 3),
    })
    .map(
      ({ type, body, prefix }): PublicKey =>
        type === 'ed25519' ? { type, bytes: body } : { type, bytes: Uint8Array.from([prefix, ...body]) },
    );

  it('orders as the encodings do (property, both types, equal keys included)', () => {
    fc.assert(
      fc.property(key, key, fc.boolean(), (a, b, same) => {
        const right = same ? { type: a.type, bytes: a.bytes.slice() } : b;
        expect(sign(compareEncodedKeys(a, right))).toBe(
          sign(compareBytes(encodePublicKey(a), encodePublicKey(right))),
        );
      }),
      { numRuns: 2000, seed: 42 },
    );
    // The tags decide across types, whatever the keys' bytes.
    expect(KEY_TYPE_TAG.secp256k1).toBeLessThan(KEY_TYPE_TAG.ed25519);
    const low = { type: 'ed25519' as const, bytes: new Uint8Array(32) };
    const high = { type: 'secp256k1' as const, bytes: new Uint8Array(33).fill(0xff) };
    high.bytes[0] = 3;
    expect(compareEncodedKeys(high, low)).toBeLessThan(0);
  });

  it('still refuses an unsorted or repeated signature list', () => {
    const a = keyPairFromSeed('ed25519', bytes32(1));
    const b = keyPairFromSeed('secp256k1', bytes32(2));
    const ledger = new Ledger('order');
    const out = new Mint({ issuer: b, symbol: 'USD' }, seededRandom('order')).make(
      a.publicKey,
      1n,
      ledger.id,
    );
    const tx: Transaction = signTransaction(
      { actions: [{ consumed: [], created: [created(out)] }], appData: new Uint8Array(), signatures: [] },
      [a, b],
    );
    const ctx = ledger.context();
    // Sorted, it passes the shape (and is refused later, for its balance).
    expectCode(() => validateTransaction(tx, ctx), 'UNBALANCED');
    const reversed = { ...tx, signatures: [...tx.signatures].reverse() };
    const repeated = { ...tx, signatures: [tx.signatures[0]!, tx.signatures[0]!] };
    for (const bad of [reversed, repeated]) {
      expectCode(() => validateTransaction(bad, ctx), 'TX_MALFORMED');
    }
  });
});

describe('decoding copies instead of views', () => {
  it('Reader.copy and bytesCopy give what fixed(…).slice() and bytes(…).slice() give, as arrays of their own', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), (head, tail) => {
        const enc = new Writer(16).fixed(head, head.length).bytes(tail, 64).finish();
        const viaView = new Reader(enc);
        const viaCopy = new Reader(enc);
        const h1 = viaView.fixed(head.length).slice();
        const t1 = viaView.bytes(64).slice();
        const h2 = viaCopy.copy(head.length);
        const t2 = viaCopy.bytesCopy(64);
        expect(h2).toEqual(h1);
        expect(t2).toEqual(t1);
        // Copies: changing the input changes neither.
        enc.fill(0xee);
        expect(h2).toEqual(head);
        expect(t2).toEqual(tail);
      }),
      { numRuns: 300, seed: 7 },
    );
    const r = new Reader(new Uint8Array(3));
    expect(() => r.copy(4)).toThrow(/truncated/);
    expect(() => new Reader(Uint8Array.of(0, 0, 0, 9)).bytesCopy(8)).toThrow(/exceeds/);
  });

  it('Reader.text reads what UTF-8 decoding reads, ASCII in place or not (property)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const encoded = fc.oneof(
      fc.string({ maxLength: 70 }).map((s) => new TextEncoder().encode(s)),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => new TextEncoder().encode(s)),
      fc.uint8Array({ maxLength: 70 }), // arbitrary bytes: invalid UTF-8 too
      fc.uint8Array({ maxLength: 64 }).map((b) => b.map((x) => x & 0x7f)),
    );
    fc.assert(
      fc.property(encoded, (bytes) => {
        const enc = new Writer(8).bytes(bytes, 1024).u8(7).finish();
        const r = new Reader(enc);
        let want: string | undefined;
        try {
          want = decoder.decode(bytes);
        } catch {
          want = undefined;
        }
        if (want === undefined) {
          expect(() => r.text(1024)).toThrow(/not valid UTF-8/);
        } else {
          expect(r.text(1024)).toBe(want);
          expect(r.u8()).toBe(7); // the position moved past the string, and only past it
        }
      }),
      { numRuns: 1000, seed: 11 },
    );
    expect(() => new Reader(Uint8Array.of(0, 0, 0, 5, 65, 66)).text(64)).toThrow(/truncated/);
    expect(() => new Reader(Uint8Array.of(0, 0, 0, 5, 65, 66)).text(4)).toThrow(/exceeds/);
  });

  it('decodes keys and values as before', () => {
    const k = keyPairFromSeed('secp256k1', bytes32(5)).publicKey;
    const w = new Writer(40);
    writePublicKey(w, k);
    expect(readPublicKey(new Reader(w.finish()))).toEqual(k);
    const value = { home: bytes32(3), deadline: 77n, data: Uint8Array.of(1, 2, 3) };
    expect(decodeValue(encodeValue(value))).toEqual(value);
    expect(decodeValue(encodeValue({ home: bytes32(4), data: new Uint8Array() }))).toEqual({
      home: bytes32(4),
      data: new Uint8Array(),
    });
  });
});

describe('preimage digests compared in place (openEntry)', () => {
  it('refuses a value or label that does not hash to its ref, and accepts what does', async () => {
    const issuer = keyPairFromSeed('secp256k1', bytes32(1));
    const alice = keyPairFromSeed('ed25519', bytes32(2));
    const ledger = new Ledger('shortcuts');
    const mint = new Mint({ issuer, symbol: 'USD' }, seededRandom('shortcuts'));
    const coin = mint.make(alice.publicKey, 5n, ledger.id);
    await ledger.seed([coin]);
    const out = mint.make(alice.publicKey, 5n, ledger.id);
    const build = (entry = created(out)): Transaction =>
      signTransaction(
        { actions: [{ consumed: [], created: [entry] }], appData: new Uint8Array(), signatures: [] },
        [alice],
      );
    const ctx = ledger.context();
    const flipLast = (b: Uint8Array) => b.map((x, i) => (i === b.length - 1 ? x ^ 1 : x));
    // The honest entry's preimages hash to its refs (the refusal below is the balance's, later).
    expectCode(() => validateTransaction(build(), ctx), 'UNBALANCED');
    expect(sha256(out.value)).toEqual(out.resource.valueRef);
    expectCode(
      () => validateTransaction(build({ ...created(out), value: flipLast(out.value) }), ctx),
      'VALUE_MISMATCH',
    );
    expectCode(
      () => validateTransaction(build({ ...created(out), label: flipLast(out.label) }), ctx),
      'LABEL_MISMATCH',
    );
    // A right value after a wrong one: nothing of the first comparison is left over.
    expectCode(
      () =>
        validateTransaction(
          build({
            ...created(out),
            resource: { ...out.resource, valueRef: flipLast(out.resource.valueRef) },
          }),
          ctx,
        ),
      'VALUE_MISMATCH',
    );
    expectCode(() => validateTransaction(build(), ctx), 'UNBALANCED');
  });
});

describe('the token logic reuses the label it decoded last', () => {
  const bank = keyPairFromSeed('ed25519', bytes32(21)).publicKey;
  const other = keyPairFromSeed('secp256k1', bytes32(22)).publicKey;
  const alice = keyPairFromSeed('ed25519', bytes32(23)).publicKey;
  const view = (label: Uint8Array, owner: PublicKey, isEphemeral: boolean) =>
    ({
      resource: { isEphemeral },
      value: { home: bytes32(1), data: tokenData(owner) },
      label,
    }) as never;
  const check = (label: Uint8Array, isEphemeral: boolean, signer: PublicKey, mutate = false) =>
    tokenLogic.check({
      self: view(label, alice, isEphemeral),
      role: 'consumed',
      actionIndex: 0,
      index: 0,
      tx: {} as never,
      isSignedBy: (pk) => {
        const ok = pk.type === signer.type && compareBytes(pk.bytes, signer.bytes) === 0;
        if (mutate) pk.bytes.fill(0); // a caller's callback that changes what it is given
        return ok;
      },
    });

  it('answers as decoding every time would, whatever the order of labels (property)', () => {
    const labels = [
      tokenLabel({ issuer: bank, symbol: 'USD' }),
      tokenLabel({ issuer: other, symbol: 'USD' }),
      tokenLabel({ issuer: bank, symbol: 'EUR' }),
      Uint8Array.of(1, 2, 3), // not a token label
    ];
    const issuerOf = [bank, other, bank, undefined];
    fc.assert(
      fc.property(
        fc.array(fc.record({ i: fc.integer({ min: 0, max: 3 }), mint: fc.boolean(), mutate: fc.boolean() }), {
          maxLength: 30,
        }),
        (calls) => {
          for (const { i, mint, mutate } of calls) {
            // A fresh copy each time: equal bytes, another object.
            const v = check(labels[i]!.slice(), mint, mint ? bank : alice, mutate);
            if (issuerOf[i] === undefined) {
              expect(v).toEqual({ ok: false, reason: 'the label is not a token label' });
            } else if (mint) {
              expect(v.ok).toBe(issuerOf[i] === bank);
            } else {
              expect(v.ok).toBe(true);
            }
          }
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  });

  it('is not fooled by a label changed in place after it was decoded', () => {
    const rival = keyPairFromSeed('ed25519', bytes32(24)).publicKey;
    const label = tokenLabel({ issuer: bank, symbol: 'USD' });
    expect(check(label, true, bank).ok).toBe(true);
    label.set(tokenLabel({ issuer: rival, symbol: 'USD' })); // same length, another issuer
    expect(decodeTokenLabel(label).issuer).toEqual(rival);
    expect(check(label, true, bank).ok).toBe(false);
    expect(check(label, true, rival).ok).toBe(true);
  });
});

describe('the transaction root built level by level in flat buffers', () => {
  /** RFC 6962 §2.1 as written: split at the largest power of two below n (node:crypto directly). */
  function mth(ids: Uint8Array[]): Uint8Array {
    const h = (...parts: Uint8Array[]) => {
      const x = createHash('sha256');
      for (const p of parts) x.update(p);
      return new Uint8Array(x.digest());
    };
    if (ids.length === 0) return h(new Uint8Array(0));
    if (ids.length === 1) return h(Uint8Array.of(0), ids[0]!);
    let k = 1;
    while (k * 2 < ids.length) k *= 2;
    return h(Uint8Array.of(1), mth(ids.slice(0, k)), mth(ids.slice(k)));
  }

  it('equals the RFC 6962 definition for every count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 70 }), (ids) => {
        expect(toHex(txRoot(ids))).toBe(toHex(mth(ids)));
      }),
      { numRuns: 300, seed: 3 },
    );
    const many = Array.from({ length: 1025 }, (_, i) => bytes32(i % 251));
    expect(toHex(txRoot(many))).toBe(toHex(mth(many)));
    // The ids given are not changed, and the root is an array of its own.
    const ids = [bytes32(1), bytes32(2), bytes32(3)];
    const root = txRoot(ids);
    expect(ids).toEqual([bytes32(1), bytes32(2), bytes32(3)]);
    expect(root.length).toBe(32);
    expect(root.buffer.byteLength).toBe(32);
  });
});

describe('shape predicates that name no field, and signature bounds compared in place', () => {
  const throwsNot = (fn: () => void) => {
    try {
      fn();
      return true;
    } catch {
      return false;
    }
  };
  const anyKey = fc.oneof(
    fc.record({
      type: fc.constantFrom('secp256k1', 'ed25519', 'rsa', undefined),
      bytes: fc.oneof(fc.uint8Array({ minLength: 31, maxLength: 34 }), fc.constant('x'), fc.constant(null)),
    }),
    fc.constant(null),
    fc.constant(7),
    fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((b) => ({ type: 'secp256k1', bytes: Uint8Array.of(2, ...b) })),
  );
  const anySig = fc.oneof(
    fc.record({
      type: fc.constantFrom('secp256k1', 'ed25519', 'x'),
      bytes: fc.oneof(fc.uint8Array({ minLength: 63, maxLength: 65 }), fc.constant([1, 2])),
    }),
    fc.constant(undefined),
  );

  it('isPublicKeyShape and isSignatureShape pass exactly what the asserts pass (property)', () => {
    fc.assert(
      fc.property(anyKey, anySig, (k, s) => {
        expect(isPublicKeyShape(k)).toBe(throwsNot(() => assertPublicKey(k)));
        expect(isSignatureShape(s)).toBe(throwsNot(() => assertSignature(s)));
      }),
      { numRuns: 2000, seed: 9 },
    );
  });

  it('isWellFormedSignature bounds r and s as comparing their views would (property, edges included)', () => {
    const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    const be = (x: bigint) => {
      const out = new Uint8Array(32);
      for (let i = 31; i >= 0; i--) {
        out[i] = Number(x & 0xffn);
        x >>= 8n;
      }
      return out;
    };
    const edges = [0n, 1n, N / 2n - 1n, N / 2n, N / 2n + 1n, N - 1n, N, N + 1n, (1n << 256n) - 1n].map(be);
    const half = fc.oneof(fc.constantFrom(...edges), fc.uint8Array({ minLength: 32, maxLength: 32 }));
    const reference = (b: Uint8Array) => {
      const r = b.subarray(0, 32);
      const s = b.subarray(32, 64);
      return (
        compareBytes(r, be(0n)) > 0 &&
        compareBytes(r, be(N)) < 0 &&
        compareBytes(s, be(0n)) > 0 &&
        compareBytes(s, be(N / 2n)) <= 0
      );
    };
    const pk = keyPairFromSeed('secp256k1', bytes32(1)).publicKey;
    fc.assert(
      fc.property(half, half, fc.integer({ min: 0, max: 2 }), (r, s, cut) => {
        const bytes = Uint8Array.from([...r, ...s]).subarray(0, 64 - cut);
        const sig = { type: 'secp256k1' as const, bytes };
        expect(isWellFormedSignature(pk, sig)).toBe(reference(bytes));
      }),
      { numRuns: 3000, seed: 13 },
    );
    const ed = keyPairFromSeed('ed25519', bytes32(2)).publicKey;
    expect(isWellFormedSignature(ed, { type: 'ed25519', bytes: new Uint8Array(64) })).toBe(true);
    expect(isWellFormedSignature(pk, { type: 'ed25519', bytes: new Uint8Array(64) })).toBe(false);
  });
});
