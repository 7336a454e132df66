// libsecp256k1 (the `secp256k1` package's prebuilt binding) verifies secp256k1 signatures where
// it loads: it must answer exactly what node:crypto (OpenSSL) and @noble/curves answer.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  keyPairFromSeed,
  type Signature,
  SignatureVerifierPool,
  sha256,
  sign,
  spkiDer,
  verifySignature,
  verifySignatureReference,
} from '../src/crypto/index.js';
import { nativeSecp256k1, nativeVerifySecp256k1 } from '../src/crypto/nativeSecp256k1.js';

const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const to32 = (v: bigint) => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
const arb32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0));

/** OpenSSL's answer, the path verifySignature took before the binding. */
function openssl(pub: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiDer('secp256k1', pub)), format: 'der', type: 'spki' });
    return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

const pool = SignatureVerifierPool.create({ threads: 2 });
afterAll(() => pool.close());

describe('libsecp256k1 verification', () => {
  it('loads on this platform (linux x64: the package ships the binary prebuilt)', () => {
    expect(nativeSecp256k1).not.toBeNull();
  });

  it('answers what OpenSSL and noble answer: valid, tampered, wrong message, wrong key, high s', async () => {
    await fc.assert(
      fc.asyncProperty(arb32, arb32, arb32, fc.nat(63), fc.nat(7), async (seedA, seedB, message, at, bit) => {
        const a = keyPairFromSeed('secp256k1', seedA);
        const b = keyPairFromSeed('secp256k1', seedB);
        const good = sign(a, message);
        const flipped = good.bytes.slice();
        flipped[at] = flipped[at]! ^ (1 << bit);
        const s = BigInt(`0x${Buffer.from(good.bytes.subarray(32)).toString('hex')}`);
        const high = new Uint8Array([...good.bytes.subarray(0, 32), ...to32(N - s)]);
        const otherMessage = sha256(message);
        const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
          [a.publicKey.bytes, message, good.bytes],
          [a.publicKey.bytes, message, flipped],
          [a.publicKey.bytes, otherMessage, good.bytes],
          [b.publicKey.bytes, message, good.bytes],
          [a.publicKey.bytes, message, high],
        ];
        const checks = cases.map(([pub, msg, sig]) => ({
          publicKey: { type: 'secp256k1' as const, bytes: pub },
          message: msg,
          signature: { type: 'secp256k1', bytes: sig } as Signature,
        }));
        const pooled = await pool.verify(checks);
        for (const [i, c] of checks.entries()) {
          const ours = verifySignature(c.publicKey, c.message, c.signature);
          expect(ours).toBe(verifySignatureReference(c.publicKey, c.message, c.signature));
          expect(pooled[i]).toBe(ours);
          // OpenSSL accepts high s; every other case it must agree with.
          if (i !== 4) expect(ours).toBe(openssl(c.publicKey.bytes, c.message, c.signature.bytes));
        }
        expect(pooled[0]).toBe(true);
        expect(pooled.slice(1)).toEqual([false, false, false, false]);
      }),
      { numRuns: 60 },
    );
  });

  it('says false, never throws, for a key off the curve or a signature it cannot parse', () => {
    const kp = keyPairFromSeed('secp256k1', new Uint8Array(32).fill(3));
    const message = new Uint8Array(32).fill(1);
    const sig = sign(kp, message).bytes;
    const digest = sha256(message);
    // x = 5 is not the x of any point of secp256k1 (5^3 + 7 = 132 is not a square mod p).
    const offCurve = new Uint8Array(33);
    offCurve[0] = 0x02;
    offCurve[32] = 5;
    expect(nativeVerifySecp256k1(offCurve, digest, sig)).toBe(false);
    expect(
      verifySignatureReference({ type: 'secp256k1', bytes: offCurve }, message, {
        type: 'secp256k1',
        bytes: sig,
      }),
    ).toBe(false);
    const overflow = new Uint8Array(64).fill(0xff);
    expect(nativeVerifySecp256k1(kp.publicKey.bytes, digest, overflow)).toBe(false);
    expect(nativeVerifySecp256k1(kp.publicKey.bytes, digest, sig)).toBe(true);
    // Not a compressed key: left to node:crypto (null), as every other form is.
    expect(nativeVerifySecp256k1(new Uint8Array(65).fill(4), digest, sig)).toBeNull();
  });
});
