import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, keyPairFromSeed, toHex, utf8 } from '../src/crypto/index.js';
import {
  accept,
  builtinRegistry,
  commitment,
  createResource,
  decodeResource,
  decodeTokenData,
  decodeTokenLabel,
  decodeValue,
  defineLogic,
  deriveNullifierKey,
  domainId,
  encodeResource,
  encodeValue,
  kind,
  LogicRegistry,
  logicRef,
  nkCommitment,
  nullifier,
  parsePublicKeyJson,
  parseResourceJson,
  parseValueJson,
  publicKeyToJson,
  QUANTITY_MAX,
  RESOURCE_BYTES,
  type Resource,
  rehome,
  resourceToJson,
  tokenData,
  tokenLabel,
  tokenLogic,
  trivialLogic,
  VALUE_BYTES_MAX,
  VALUE_DATA_BYTES_MAX,
  valueRef,
  valueToJson,
} from '../src/resource/index.js';
import { bytes32, expectCode, seededRandom } from './support.js';

/** SHA-256 by node:crypto directly: the tests restate each preimage layout independently. */
function H(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

const ZERO = bytes32(0);

/** ARCHITECTURE.md §4's example, from arm-risc0 v1.1.1's own test transactions. */
const reference: Resource = {
  logicRef: fromHex('0x795801e6474084c49d6fb5b6303155732378e27718431230a401f0ffa5eae9c4'),
  labelRef: ZERO,
  valueRef: ZERO,
  quantity: 1n,
  isEphemeral: true,
  nonce: ZERO,
  nkCommitment: nkCommitment(ZERO),
  randSeed: ZERO,
};

describe('commitment, nullifier and kind (Anoma arm-risc0 v1.1.1 layout)', () => {
  it('reproduces the reference example byte for byte', () => {
    expect(toHex(reference.nkCommitment)).toBe(
      '0x66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925',
    );
    expect(toHex(commitment(reference))).toBe(
      '0x451826b8f7cf5896eb7f5eaa81b492fde285c0a5d13325e703424989d58a7825',
    );
    expect(toHex(nullifier(reference, ZERO))).toBe(
      '0x08b4037edf0446e5cfa17364f01003c853aa687fdbe32a9b8d55876d39b7b3c4',
    );
  });

  it('hashes the 209-byte preimage logicRef, labelRef, quantity, valueRef, isEphemeral, nonce, nkCommitment, rcm', () => {
    const r = {
      ...reference,
      labelRef: bytes32(2),
      valueRef: bytes32(3),
      nonce: bytes32(4),
      randSeed: bytes32(5),
      quantity: 7n,
    };
    const prf = (tag: number) => H(utf8('RISC0_ExpandSeed'), Uint8Array.of(tag), r.randSeed, r.nonce);
    const q = new Uint8Array(16);
    q[15] = 7;
    const pre = concatBytes(
      r.logicRef,
      r.labelRef,
      q,
      r.valueRef,
      Uint8Array.of(1),
      r.nonce,
      r.nkCommitment,
      prf(1),
    );
    expect(pre.length).toBe(209);
    expect(commitment(r)).toEqual(H(pre));
    expect(nullifier(r, ZERO)).toEqual(H(ZERO, r.nonce, prf(0), H(pre)));
  });

  it('changes the commitment when any field changes', () => {
    const base = commitment(reference);
    const variants: Resource[] = [
      { ...reference, logicRef: bytes32(1) },
      { ...reference, labelRef: bytes32(1) },
      { ...reference, valueRef: bytes32(1) },
      { ...reference, quantity: 2n },
      { ...reference, isEphemeral: false },
      { ...reference, nonce: bytes32(1) },
      { ...reference, nkCommitment: bytes32(1) },
      { ...reference, randSeed: bytes32(1) },
    ];
    const seen = new Set([toHex(base)]);
    for (const v of variants) seen.add(toHex(commitment(v)));
    expect(seen.size).toBe(variants.length + 1);
  });

  it('refuses a nullifier key whose hash is not the nkCommitment (NK_MISMATCH)', () => {
    expectCode(() => nullifier(reference, bytes32(1)), 'NK_MISMATCH');
  });

  it('defines kind as SHA256("weft.kind" || logicRef || labelRef), blind to value, quantity and nonce', () => {
    expect(kind(reference)).toEqual(H(utf8('weft.kind'), reference.logicRef, reference.labelRef));
    const other: Resource = { ...reference, valueRef: bytes32(9), quantity: 5n, nonce: bytes32(9) };
    expect(kind(other)).toEqual(kind(reference));
    expect(kind({ ...reference, labelRef: bytes32(9) })).not.toEqual(kind(reference));
  });

  it('accepts quantities up to 2^128-1 and refuses more', () => {
    expect(commitment({ ...reference, quantity: QUANTITY_MAX }).length).toBe(32);
    expectCode(() => commitment({ ...reference, quantity: QUANTITY_MAX + 1n }), 'BAD_INPUT');
    expectCode(() => commitment({ ...reference, quantity: -1n }), 'BAD_INPUT');
    expectCode(() => commitment({ ...reference, nonce: new Uint8Array(31) }), 'BAD_LENGTH');
  });
});

describe('resource encoding', () => {
  it('is 209 bytes and round-trips', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32 * 6, maxLength: 32 * 6 }),
        fc.bigInt({ min: 0n, max: QUANTITY_MAX }),
        fc.boolean(),
        (b, quantity, isEphemeral) => {
          const d = (i: number) => b.slice(i * 32, i * 32 + 32);
          const r: Resource = {
            logicRef: d(0),
            labelRef: d(1),
            valueRef: d(2),
            quantity,
            isEphemeral,
            nonce: d(3),
            nkCommitment: d(4),
            randSeed: d(5),
          };
          const enc = encodeResource(r);
          expect(enc.length).toBe(RESOURCE_BYTES);
          expect(decodeResource(enc)).toEqual(r);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('is strict: a boolean byte of 2, a short input and a trailing byte are CODEC errors', () => {
    const enc = encodeResource(reference);
    const badBool = enc.slice();
    badBool[32 * 3 + 16] = 2;
    expectCode(() => decodeResource(badBool), 'CODEC');
    expectCode(() => decodeResource(enc.subarray(0, 208)), 'CODEC');
    expectCode(() => decodeResource(concatBytes(enc, Uint8Array.of(0))), 'CODEC');
  });
});

describe('values and home domains', () => {
  it('names a domain by SHA256 of its UTF-8 name', () => {
    expect(domainId('alpha')).toEqual(H(utf8('alpha')));
    expectCode(() => domainId(''), 'BAD_INPUT');
  });

  it('encode as version 1 || home || u32 length || data, and valueRef is their SHA-256', () => {
    const home = domainId('alpha');
    const data = utf8('fields');
    const enc = encodeValue({ home, data });
    expect(enc).toEqual(concatBytes(Uint8Array.of(1), home, u32(data.length), data));
    expect(decodeValue(enc)).toEqual({ home, data });
    expect(valueRef(enc)).toEqual(H(enc));
  });

  it('refuse oversized data, unknown versions and trailing bytes', () => {
    const home = domainId('alpha');
    expectCode(
      () => encodeValue({ home, data: new Uint8Array(VALUE_DATA_BYTES_MAX + 1) }),
      'VALUE_TOO_LARGE',
    );
    const enc = encodeValue({ home, data: new Uint8Array(3) });
    const v3 = enc.slice();
    v3[0] = 3;
    expectCode(() => decodeValue(v3), 'CODEC');
    expectCode(() => decodeValue(concatBytes(enc, Uint8Array.of(0))), 'CODEC');
    expectCode(() => encodeValue({ home: new Uint8Array(31), data: new Uint8Array() }), 'BAD_LENGTH');
  });
});

describe('values with a deadline (format 2)', () => {
  const home = domainId('beta');
  const data = utf8('fields');
  const u64 = (n: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n);
    return b;
  };

  it('encode as version 2 || home || u64 deadline || u32 length || data; no deadline stays version 1', () => {
    const enc = encodeValue({ home, deadline: 1_700_000_010_000n, data });
    expect(enc).toEqual(concatBytes(Uint8Array.of(2), home, u64(1_700_000_010_000n), u32(data.length), data));
    expect(decodeValue(enc)).toEqual({ home, deadline: 1_700_000_010_000n, data });
    // A zero deadline is a deadline: one encoding per value.
    expect(encodeValue({ home, deadline: 0n, data })[0]).toBe(2);
    expect(encodeValue({ home, data })[0]).toBe(1);
    expect(decodeValue(encodeValue({ home, data }))).toEqual({ home, data });
    expect(encodeValue({ home, deadline: 1n, data: new Uint8Array(VALUE_DATA_BYTES_MAX) })).toHaveLength(
      VALUE_BYTES_MAX,
    );
  });

  it('decode strictly: truncated deadline, trailing bytes, out-of-range deadlines refused', () => {
    const enc = encodeValue({ home, deadline: 5n, data });
    expectCode(() => decodeValue(enc.subarray(0, 1 + 32 + 7)), 'CODEC');
    expectCode(() => decodeValue(concatBytes(enc, Uint8Array.of(0))), 'CODEC');
    expectCode(() => encodeValue({ home, deadline: -1n, data }), 'BAD_INPUT');
    expectCode(() => encodeValue({ home, deadline: 1n << 64n, data }), 'BAD_INPUT');
  });

  it('round-trips through JSON, the deadline as a decimal string only when present', () => {
    const v = { home, deadline: 42n, data };
    expect(valueToJson(v)).toEqual({ home: toHex(home), deadline: '42', data: toHex(data) });
    expect(parseValueJson(valueToJson(v))).toEqual(v);
    expect(valueToJson({ home, data })).toEqual({ home: toHex(home), data: toHex(data) });
    expect(parseValueJson(valueToJson({ home, data }))).toEqual({ home, data });
    expectCode(() => parseValueJson({ ...valueToJson(v), deadline: '-1' }), 'BAD_JSON');
    expectCode(() => parseValueJson({ ...valueToJson(v), deadline: 42 }), 'BAD_JSON');
  });

  it('rehome sets the deadline asked for and none otherwise, whatever the original had', () => {
    const a = createResource({
      logicRef: trivialLogic.ref,
      label: utf8('l'),
      quantity: 1n,
      home: domainId('alpha'),
      data,
      nkCommitment: nkCommitment(bytes32(1)),
      random: seededRandom('dl'),
    });
    const moved = rehome(a, home, seededRandom('m'), { deadline: 99n });
    expect(decodeValue(moved.value)).toEqual({ home, deadline: 99n, data });
    expect(kind(moved.resource)).toEqual(kind(a.resource));
    const back = rehome(moved, domainId('alpha'), seededRandom('b'));
    expect(decodeValue(back.value)).toEqual({ home: domainId('alpha'), data });
  });
});

describe('creating, re-homing and nullifier keys', () => {
  const alpha = domainId('alpha');
  const beta = domainId('beta');
  const params = {
    logicRef: trivialLogic.ref,
    label: utf8('label'),
    quantity: 5n,
    home: alpha,
    data: utf8('data'),
    nkCommitment: nkCommitment(bytes32(7)),
  };

  it('creates a resource whose refs hash its preimages, with fresh nonce and randSeed', () => {
    const a = createResource({ ...params, random: seededRandom('a') });
    expect(a.resource.valueRef).toEqual(H(a.value));
    expect(a.resource.labelRef).toEqual(H(a.label));
    expect(decodeValue(a.value)).toEqual({ home: alpha, data: utf8('data') });
    expect(a.resource.isEphemeral).toBe(false);
    const b = createResource(params);
    expect(b.resource.nonce).not.toEqual(a.resource.nonce);
    expect(b.resource.randSeed).not.toEqual(a.resource.randSeed);
  });

  it('is deterministic under injected randomness', () => {
    expect(createResource({ ...params, random: seededRandom('x') })).toEqual(
      createResource({ ...params, random: seededRandom('x') }),
    );
  });

  it('re-homes with the same logic, label, quantity, nkCommitment and data, so the kind is kept', () => {
    const a = createResource({ ...params, random: seededRandom('a') });
    const moved = rehome(a, beta, seededRandom('b'));
    expect(decodeValue(moved.value)).toEqual({ home: beta, data: utf8('data') });
    for (const f of ['logicRef', 'labelRef', 'quantity', 'nkCommitment', 'isEphemeral'] as const) {
      expect(moved.resource[f]).toEqual(a.resource[f]);
    }
    expect(kind(moved.resource)).toEqual(kind(a.resource));
    expect(moved.resource.nonce).not.toEqual(a.resource.nonce);
    expect(moved.resource.randSeed).not.toEqual(a.resource.randSeed);
    expect(commitment(moved.resource)).not.toEqual(commitment(a.resource));
    expect(nullifier(moved.resource, bytes32(7))).not.toEqual(nullifier(a.resource, bytes32(7)));
  });

  it('derives nullifier keys as SHA256("weft.nk" || secret || u64 index)', () => {
    const secret = bytes32(3);
    const idx = new Uint8Array(8);
    idx[7] = 5;
    expect(deriveNullifierKey(secret, 5n)).toEqual(H(utf8('weft.nk'), secret, idx));
    expect(deriveNullifierKey(secret, 6n)).not.toEqual(deriveNullifierKey(secret, 5n));
    expectCode(() => deriveNullifierKey(new Uint8Array(16), 0n), 'BAD_LENGTH');
  });

  it('refuses oversized labels', () => {
    expectCode(() => createResource({ ...params, label: new Uint8Array(1025) }), 'LABEL_TOO_LARGE');
  });
});

describe('resource JSON', () => {
  const r = createResource({
    logicRef: tokenLogic.ref,
    label: utf8('l'),
    quantity: 340282366920938463463374607431768211455n,
    home: domainId('alpha'),
    data: new Uint8Array(),
    nkCommitment: nkCommitment(ZERO),
    random: seededRandom('json'),
  }).resource;

  it('uses lowercase 0x-hex digests and a decimal-string quantity, and round-trips', () => {
    const j = resourceToJson(r);
    expect(j.quantity).toBe('340282366920938463463374607431768211455');
    expect(j.logicRef).toMatch(/^0x[0-9a-f]{64}$/);
    expect(parseResourceJson(j)).toEqual(r);
    expect(parseResourceJson(JSON.stringify(j))).toEqual(r);
  });

  const bad: [string, (j: Record<string, unknown>) => void, string][] = [
    ['an unknown field', (j) => (j.extra = 1), 'resource.extra'],
    ['a missing field', (j) => delete j.nonce, 'resource.nonce'],
    [
      'uppercase hex',
      (j) => (j.labelRef = (j.labelRef as string).toUpperCase().replace('0X', '0x')),
      'resource.labelRef',
    ],
    ['no 0x prefix', (j) => (j.valueRef = (j.valueRef as string).slice(2)), 'resource.valueRef'],
    ['a short digest', (j) => (j.randSeed = '0x00'), 'resource.randSeed'],
    ['an oversized digest', (j) => (j.nkCommitment = `0x${'00'.repeat(100_000)}`), 'resource.nkCommitment'],
    ['a numeric quantity', (j) => (j.quantity = 5), 'resource.quantity'],
    ['a quantity with leading zeros', (j) => (j.quantity = '007'), 'resource.quantity'],
    ['a negative quantity', (j) => (j.quantity = '-1'), 'resource.quantity'],
    ['a quantity of 2^128', (j) => (j.quantity = (QUANTITY_MAX + 1n).toString()), 'resource.quantity'],
    ['a huge quantity string', (j) => (j.quantity = '9'.repeat(10_000)), 'resource.quantity'],
    ['a string boolean', (j) => (j.isEphemeral = 'false'), 'resource.isEphemeral'],
  ];
  for (const [what, mutate, field] of bad) {
    it(`rejects ${what}, naming ${field}`, () => {
      const j = resourceToJson(r) as unknown as Record<string, unknown>;
      mutate(j);
      const e = expectCode(() => parseResourceJson(j), 'BAD_JSON');
      expect(e.message).toContain(field);
    });
  }

  it('rejects non-objects, arrays, invalid and oversized JSON text', () => {
    for (const v of [null, 5, [], 'not json', `"${'x'.repeat(5000)}"`])
      expectCode(() => parseResourceJson(v), 'BAD_JSON');
  });

  it('parses public keys of both types, refusing points off the curve', () => {
    const s = keyPairFromSeed('secp256k1', bytes32(1)).publicKey;
    expect(parsePublicKeyJson(publicKeyToJson(s))).toEqual(s);
    const e = expectCode(
      () => parsePublicKeyJson({ type: 'secp256k1', key: `0x04${'ff'.repeat(64)}` }, 'owner'),
      'BAD_JSON',
    );
    expect(e.message).toContain('owner.key');
    expectCode(() => parsePublicKeyJson({ type: 'rsa', key: '0x00' }), 'BAD_JSON');
  });
});

describe('logic refs and the registry', () => {
  it('defines logicRef = SHA256("weft.logic" || u32 name length || name || u32 version)', () => {
    expect(logicRef('token', 1)).toEqual(H(utf8('weft.logic'), u32(5), utf8('token'), u32(1)));
    expect(tokenLogic.ref).toEqual(logicRef('token', 1));
    expect(trivialLogic.ref).toEqual(logicRef('trivial', 1));
    expect(logicRef('token', 2)).not.toEqual(logicRef('token', 1));
  });

  it('refuses names outside [a-z0-9._-] or over 64 bytes, and versions outside u32', () => {
    for (const name of ['', 'Token', 'a b', 'é', '-x', 'x'.repeat(65)])
      expectCode(() => logicRef(name, 1), 'BAD_INPUT');
    expectCode(() => logicRef('x', -1), 'BAD_INPUT');
    expectCode(() => logicRef('x', 2 ** 32), 'BAD_INPUT');
  });

  it('finds logics by ref and holds the built-ins', () => {
    const reg = builtinRegistry();
    expect(reg.get(tokenLogic.ref)).toBe(tokenLogic);
    expect(reg.get(trivialLogic.ref)).toBe(trivialLogic);
    expect(reg.get(bytes32(1))).toBeUndefined();
    expect(reg.size).toBe(2);
  });

  it('refuses a second logic under a taken ref, and a ref that is not the hash of name and version', () => {
    const reg = new LogicRegistry([tokenLogic]);
    expectCode(
      () => reg.register(defineLogic({ name: 'token', version: 1, check: () => accept() })),
      'LOGIC_EXISTS',
    );
    expectCode(
      () => reg.register({ name: 'forged', version: 1, ref: tokenLogic.ref, check: () => accept() }),
      'BAD_INPUT',
    );
  });
});

describe('token labels and owners', () => {
  const issuer = keyPairFromSeed('ed25519', bytes32(1)).publicKey;
  const owner = keyPairFromSeed('secp256k1', bytes32(2)).publicKey;

  it('encode the label as format 1 || issuer key || u32 length || symbol', () => {
    const label = tokenLabel({ issuer, symbol: 'USD' });
    expect(label).toEqual(concatBytes(Uint8Array.of(1, 2), issuer.bytes, u32(3), utf8('USD')));
    expect(decodeTokenLabel(label)).toEqual({ issuer, symbol: 'USD' });
  });

  it('encode the owner as the tagged public key', () => {
    expect(tokenData(owner)).toEqual(concatBytes(Uint8Array.of(1), owner.bytes));
    expect(decodeTokenData(tokenData(owner))).toEqual(owner);
  });

  it('refuse bad symbols and malformed encodings', () => {
    expectCode(() => tokenLabel({ issuer, symbol: '' }), 'BAD_INPUT');
    expectCode(() => tokenLabel({ issuer, symbol: 'a b' }), 'BAD_INPUT');
    expectCode(
      () => decodeTokenLabel(concatBytes(tokenLabel({ issuer, symbol: 'X' }), Uint8Array.of(0))),
      'CODEC',
    );
    expectCode(() => decodeTokenData(new Uint8Array(5)), 'CODEC');
  });
});
