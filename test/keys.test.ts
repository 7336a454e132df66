import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  concatBytes,
  decodeAll,
  encodePublicKey,
  equalPublicKeys,
  fromHex,
  generateKeyPair,
  KEY_TYPE_TAG,
  type KeyPair,
  type KeyType,
  keyPairFromSeed,
  publicKeyFromBytes,
  Reader,
  readPublicKey,
  readSignature,
  recoverPublicKey,
  SignatureVerifierPool,
  sha256,
  sign,
  signRecoverable,
  toHex,
  toRecoverableSignature,
  verifySignature,
  verifySignatureReference,
  WeftError,
  Writer,
  writePublicKey,
  writeSignature,
} from '../src/crypto/index.js';

const TYPES: KeyType[] = ['secp256k1', 'ed25519'];
const seed = (b: number) => new Uint8Array(32).fill(b);
const digest = (text: string) => sha256(new TextEncoder().encode(text));

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WeftError);
    expect((e as WeftError).code).toBe(code);
    return;
  }
  throw new Error(`expected WeftError ${code}, nothing was thrown`);
}

const N = secp256k1.Point.Fn.ORDER;
function bigintTo32(v: bigint): Uint8Array {
  return fromHex(`0x${v.toString(16).padStart(64, '0')}`, 32);
}

describe('key pairs', () => {
  it('derives the RFC 8032 ed25519 public key from its secret (test 1)', () => {
    const kp = keyPairFromSeed(
      'ed25519',
      fromHex('0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
    );
    expect(toHex(kp.publicKey.bytes)).toBe(
      '0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
  });

  it('holds secp256k1 public keys compressed and accepts uncompressed input', () => {
    const kp = keyPairFromSeed('secp256k1', seed(1));
    expect(kp.publicKey.bytes.length).toBe(33);
    const uncompressed = secp256k1.getPublicKey(kp.secretKey, false);
    expect(equalPublicKeys(publicKeyFromBytes('secp256k1', uncompressed), kp.publicKey)).toBe(true);
  });

  it('derives the same key pair from the same seed, and different ones from different seeds', () => {
    for (const type of TYPES) {
      const a = keyPairFromSeed(type, seed(7));
      expect(keyPairFromSeed(type, seed(7))).toEqual(a);
      expect(equalPublicKeys(keyPairFromSeed(type, seed(8)).publicKey, a.publicKey)).toBe(false);
    }
  });

  it('generates key pairs from injectable randomness', () => {
    const kp = generateKeyPair('ed25519', () => seed(3));
    expect(kp).toEqual(keyPairFromSeed('ed25519', seed(3)));
    expect(generateKeyPair('secp256k1').publicKey.bytes.length).toBe(33);
  });

  it('rejects seeds of the wrong size and unknown key types', () => {
    expectCode(() => keyPairFromSeed('ed25519', new Uint8Array(31)), 'BAD_LENGTH');
    expectCode(() => keyPairFromSeed('rsa' as KeyType, seed(1)), 'BAD_INPUT');
  });

  it('rejects a secp256k1 public key that is not a point', () => {
    const notOnCurve = concatBytes(Uint8Array.of(0x04), new Uint8Array(64).fill(0xff));
    expectCode(() => publicKeyFromBytes('secp256k1', notOnCurve), 'BAD_INPUT');
    expectCode(() => publicKeyFromBytes('secp256k1', new Uint8Array(33)), 'BAD_INPUT');
  });
});

describe('public key and signature encodings', () => {
  it('prefix the type tag: 0x01 secp256k1, 0x02 ed25519', () => {
    expect(KEY_TYPE_TAG).toEqual({ secp256k1: 1, ed25519: 2 });
    const s = keyPairFromSeed('secp256k1', seed(1)).publicKey;
    const e = keyPairFromSeed('ed25519', seed(1)).publicKey;
    expect(encodePublicKey(s)[0]).toBe(1);
    expect(encodePublicKey(s).length).toBe(34);
    expect(encodePublicKey(e)[0]).toBe(2);
    expect(encodePublicKey(e).length).toBe(33);
  });

  it('round-trip through the codec', () => {
    for (const type of TYPES) {
      const kp = keyPairFromSeed(type, seed(5));
      const sig = sign(kp, digest('round trip'));
      const w = new Writer();
      writePublicKey(w, kp.publicKey);
      writeSignature(w, sig);
      const bytes = w.finish();
      const back = decodeAll(bytes, (r) => ({ pk: readPublicKey(r), sig: readSignature(r) }));
      expect(back.pk).toEqual(kp.publicKey);
      expect(back.sig).toEqual(sig);
    }
  });

  it('refuse an unknown tag and an uncompressed secp256k1 prefix', () => {
    expectCode(() => readPublicKey(new Reader(concatBytes(Uint8Array.of(3), new Uint8Array(33)))), 'CODEC');
    expectCode(
      () => readPublicKey(new Reader(concatBytes(Uint8Array.of(1, 4), new Uint8Array(32)))),
      'CODEC',
    );
  });
});

describe('signatures', () => {
  it('are deterministic and 64 bytes for both schemes', () => {
    for (const type of TYPES) {
      const kp = keyPairFromSeed(type, seed(9));
      const a = sign(kp, digest('m'));
      expect(a.bytes.length).toBe(64);
      expect(sign(kp, digest('m'))).toEqual(a);
    }
  });

  it('verify for the signer and message only', () => {
    for (const type of TYPES) {
      const kp = keyPairFromSeed(type, seed(9));
      const other = keyPairFromSeed(type, seed(10));
      const sig = sign(kp, digest('m'));
      expect(verifySignature(kp.publicKey, digest('m'), sig)).toBe(true);
      expect(verifySignature(kp.publicKey, digest('n'), sig)).toBe(false);
      expect(verifySignature(other.publicKey, digest('m'), sig)).toBe(false);
    }
  });

  it('never verify across key types', () => {
    const s = keyPairFromSeed('secp256k1', seed(1));
    const e = keyPairFromSeed('ed25519', seed(1));
    const sig = sign(e, digest('m'));
    expect(verifySignature(s.publicKey, digest('m'), sig)).toBe(false);
    expect(verifySignature(s.publicKey, digest('m'), { type: 'secp256k1', bytes: sig.bytes })).toBe(false);
  });

  it('refuse a high-s secp256k1 signature that OpenSSL alone would accept', () => {
    const kp = keyPairFromSeed('secp256k1', seed(2));
    const sig = sign(kp, digest('m'));
    const s = BigInt(toHex(sig.bytes.subarray(32)));
    const high = {
      type: 'secp256k1' as const,
      bytes: concatBytes(sig.bytes.subarray(0, 32), bigintTo32(N - s)),
    };
    expect(secp256k1.verify(high.bytes, digest('m'), kp.publicKey.bytes, { lowS: false })).toBe(true);
    expect(verifySignature(kp.publicKey, digest('m'), high)).toBe(false);
    expect(verifySignatureReference(kp.publicKey, digest('m'), high)).toBe(false);
  });

  it('refuse r = 0, s = 0 and r >= n', () => {
    const kp = keyPairFromSeed('secp256k1', seed(2));
    const sig = sign(kp, digest('m'));
    const r = sig.bytes.subarray(0, 32);
    const s = sig.bytes.subarray(32);
    for (const bytes of [
      concatBytes(new Uint8Array(32), s),
      concatBytes(r, new Uint8Array(32)),
      concatBytes(bigintTo32(N), s),
    ]) {
      expect(verifySignature(kp.publicKey, digest('m'), { type: 'secp256k1', bytes })).toBe(false);
    }
  });

  it('return false for a key that is not a curve point (and cache that answer)', () => {
    const bad = {
      type: 'secp256k1' as const,
      bytes: concatBytes(Uint8Array.of(2), new Uint8Array(32).fill(0xff)),
    };
    const sig = sign(keyPairFromSeed('secp256k1', seed(2)), digest('m'));
    expect(verifySignature(bad, digest('m'), sig)).toBe(false);
    expect(verifySignature(bad, digest('m'), sig)).toBe(false);
  });

  it('throw on wrongly shaped arguments', () => {
    const kp = keyPairFromSeed('ed25519', seed(2));
    const sig = sign(kp, digest('m'));
    expectCode(() => verifySignature(kp.publicKey, new Uint8Array(31), sig), 'BAD_LENGTH');
    expectCode(
      () => verifySignature(kp.publicKey, digest('m'), { type: 'ed25519', bytes: new Uint8Array(65) }),
      'BAD_LENGTH',
    );
    expectCode(() => sign(kp, new Uint8Array(33)), 'BAD_LENGTH');
  });
});

describe('node:crypto and @noble/curves agree', () => {
  const arbType = fc.constantFrom<KeyType>('secp256k1', 'ed25519');
  const arb32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('on every signature either one makes, and on tampered messages', () => {
    fc.assert(
      fc.property(arbType, arb32, arb32, fc.nat(255), (type, s, message, flip) => {
        const kp = keyPairFromSeed(type, s);
        const sig = sign(kp, message);
        expect(verifySignature(kp.publicKey, message, sig)).toBe(true);
        expect(verifySignatureReference(kp.publicKey, message, sig)).toBe(true);
        const tampered = message.slice();
        tampered[flip % 32]! ^= 1 << (flip % 8);
        expect(verifySignature(kp.publicKey, tampered, sig)).toBe(false);
        expect(verifySignatureReference(kp.publicKey, tampered, sig)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('on signatures made by the other implementation', () => {
    fc.assert(
      fc.property(arb32, arb32, (s, message) => {
        // ed25519: node:crypto and noble produce the same bytes (RFC 8032 is deterministic).
        const e = keyPairFromSeed('ed25519', s);
        const der = concatBytes(fromHex('0x302e020100300506032b657004220420'), e.secretKey);
        const nodeSig = nodeSign(
          null,
          message,
          createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }),
        );
        expect(toHex(new Uint8Array(nodeSig))).toBe(toHex(ed25519.sign(message, e.secretKey)));
        expect(toHex(sign(e, message).bytes)).toBe(toHex(new Uint8Array(nodeSig)));
        // secp256k1: noble's RFC 6979 signature, checked by node:crypto through verifySignature.
        const k = keyPairFromSeed('secp256k1', s);
        const nobleSig = secp256k1.sign(message, k.secretKey);
        expect(verifySignature(k.publicKey, message, { type: 'secp256k1', bytes: nobleSig })).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('on random garbage signatures (both say no)', () => {
    fc.assert(
      fc.property(arbType, arb32, fc.uint8Array({ minLength: 64, maxLength: 64 }), (type, s, bytes) => {
        const kp = keyPairFromSeed(type, s);
        const sig = { type, bytes };
        const message = digest('garbage');
        expect(verifySignature(kp.publicKey, message, sig)).toBe(
          verifySignatureReference(kp.publicKey, message, sig),
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('recoverable secp256k1 signatures (EVM ecrecover form)', () => {
  it('are r || s || v with v in {27, 28} and recover the signer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (message) => {
        const kp = keyPairFromSeed('secp256k1', seed(4));
        const rsv = signRecoverable(kp, message);
        expect(rsv.length).toBe(65);
        expect([27, 28]).toContain(rsv[64]);
        expect(equalPublicKeys(recoverPublicKey(message, rsv), kp.publicKey)).toBe(true);
        const compact = { type: 'secp256k1' as const, bytes: rsv.slice(0, 64) };
        expect(compact).toEqual(sign(kp, message));
        expect(toRecoverableSignature(kp.publicKey, message, compact)).toEqual(rsv);
      }),
      { numRuns: 20 },
    );
  });

  it('refuse a bad v, and refuse to make a recoverable form of a wrong signature', () => {
    const kp = keyPairFromSeed('secp256k1', seed(4));
    const rsv = signRecoverable(kp, digest('m'));
    const badV = rsv.slice();
    badV[64] = 29;
    expectCode(() => recoverPublicKey(digest('m'), badV), 'BAD_SIGNATURE');
    const wrong = sign(kp, digest('other'));
    expectCode(() => toRecoverableSignature(kp.publicKey, digest('m'), wrong), 'BAD_SIGNATURE');
    expectCode(() => signRecoverable(keyPairFromSeed('ed25519', seed(1)), digest('m')), 'BAD_INPUT');
  });
});

describe('signature verifier pool', () => {
  const pool = SignatureVerifierPool.create({ threads: 2 });
  afterAll(() => pool.close());

  it('answers exactly as verifySignature, check by check, across chunks', async () => {
    const signers: KeyPair[] = [];
    for (let i = 0; i < 8; i++)
      signers.push(keyPairFromSeed(i % 2 === 0 ? 'ed25519' : 'secp256k1', seed(i + 1)));
    const checks = [];
    for (let i = 0; i < 700; i++) {
      const kp = signers[i % signers.length]!;
      const message = digest(`msg ${i}`);
      let signature = sign(kp, message);
      if (i % 3 === 0)
        signature = { ...signature, bytes: signature.bytes.map((b, j) => (j === 5 ? b ^ 1 : b)) };
      const publicKey = i % 7 === 0 ? signers[(i + 2) % signers.length]!.publicKey : kp.publicKey;
      checks.push({ publicKey, message, signature });
    }
    const got = await pool.verify(checks);
    expect(got).toEqual(checks.map((c) => verifySignature(c.publicKey, c.message, c.signature)));
    expect(got.filter(Boolean).length).toBeGreaterThan(300);
  });

  it('keeps answering when a worker stops, and refuses once every worker has', async () => {
    const small = SignatureVerifierPool.create({ threads: 2 });
    const kp = keyPairFromSeed('ed25519', seed(1));
    const check = { publicKey: kp.publicKey, message: digest('m'), signature: sign(kp, digest('m')) };
    const workers = (small as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await workers[0]!.worker.terminate();
    expect(await small.verify([check, check])).toEqual([true, true]);
    await workers[1]!.worker.terminate();
    await expect(small.verify([check])).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    await small.close();
    await expect(small.verify([check])).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('answers an empty batch and refuses a bad thread count', async () => {
    expect(await pool.verify([])).toEqual([]);
    expectCode(() => SignatureVerifierPool.create({ threads: 0 }), 'BAD_INPUT');
  });
});
