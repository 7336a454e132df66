// Issue 17.3, fourth pass: the admission path's shortcuts give the bytes the plain definitions
// give: SHA-256 through a string digest, hexKey on the array itself, kind() reusing its last
// preimage, the u128 fast path of the codec and of the commitment, tree reads hashing into
// scratch, and reads of u16/u32 and heights without a DataView of the input.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  hexKey,
  Reader,
  sha256,
  sha256Into,
  sha256Node,
  toHex,
  utf8,
  WeftError,
  Writer,
} from '../src/crypto/index.js';
import { commitment, kind, type Resource, rcm } from '../src/resource/index.js';
import { Smt } from '../src/smt/index.js';
import { decodeHeight, encodeHeight } from '../src/tx/index.js';

const ref = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('sha256 (node path, string digest)', () => {
  it('agrees with createHash on inputs past one block, up to 4 KiB, and in place at an offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 56, maxLength: 4096 }), fc.nat({ max: 16 }), (data, at) => {
        const want = toHex(ref(data));
        expect(toHex(sha256(data))).toBe(want);
        expect(toHex(sha256Node(data))).toBe(want);
        const out = new Uint8Array(at + 40).fill(0xee);
        sha256Into(data, out, at);
        expect(toHex(out.subarray(at, at + 32))).toBe(want);
        // nothing around the digest is touched
        expect(out.subarray(0, at).every((b) => b === 0xee)).toBe(true);
        expect(out.subarray(at + 32).every((b) => b === 0xee)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('gives every digest byte value, 0x00 to 0xff, as createHash does', () => {
    const seen = new Set<number>();
    for (let n = 0; n < 400; n++) {
      const data = new Uint8Array(100).map((_, i) => (i * 31 + n) & 0xff);
      const got = sha256(data);
      expect(toHex(got)).toBe(toHex(ref(data)));
      for (const b of got) seen.add(b);
    }
    expect(seen.size).toBe(256);
  });
});

describe('hexKey', () => {
  it("is the bytes' lowercase hex, for arrays of any size and views at any offset", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (data, a, b) => {
        const from = data.length === 0 ? 0 : a % (data.length + 1);
        const to = from + (data.length - from === 0 ? 0 : b % (data.length - from + 1));
        const view = data.subarray(from, to);
        const want = Array.from(view, (x) => x.toString(16).padStart(2, '0')).join('');
        expect(hexKey(view)).toBe(want);
        expect(hexKey(data)).toBe(Array.from(data, (x) => x.toString(16).padStart(2, '0')).join(''));
      }),
    );
    expect(hexKey(new Uint8Array(0))).toBe('');
    expect(hexKey(sha256(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('kind', () => {
  const plain = (logicRef: Uint8Array, labelRef: Uint8Array) =>
    toHex(ref(concatBytes(utf8('weft.kind'), logicRef, labelRef)));

  it('is SHA256("weft.kind" || logicRef || labelRef) whatever the order of calls', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(digest, digest), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (refs, seed) => {
          // repeats and alternations, so the reused preimage is hit and missed
          const calls = refs.flatMap((r, i) => ((i + seed) % 3 === 0 ? [r, r, refs[0]!] : [r]));
          for (const [logicRef, labelRef] of calls) {
            expect(toHex(kind({ logicRef, labelRef }))).toBe(plain(logicRef, labelRef));
          }
        },
      ),
    );
  });

  it('hands out a copy: changing a returned kind changes no later answer', () => {
    const logicRef = new Uint8Array(32).fill(1);
    const labelRef = new Uint8Array(32).fill(2);
    const first = kind({ logicRef, labelRef });
    first.fill(0);
    expect(toHex(kind({ logicRef, labelRef }))).toBe(plain(logicRef, labelRef));
    // a reference changed in place after a call is a different kind, not the remembered one
    logicRef[0] = 9;
    expect(toHex(kind({ logicRef, labelRef }))).toBe(plain(logicRef, labelRef));
  });
});

describe('u128 encodings', () => {
  const boundaries = [0n, 1n, (1n << 64n) - 1n, 1n << 64n, (1n << 64n) + 1n, (1n << 128n) - 1n];
  const quantity = fc.oneof(fc.constantFrom(...boundaries), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }));
  const be16 = (v: bigint) => {
    const out = new Uint8Array(16);
    for (let i = 15, x = v; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
    return out;
  };

  it('Writer.u128 writes 16 big-endian bytes on both sides of 2^64', () => {
    fc.assert(
      fc.property(quantity, (v) => {
        expect(toHex(new Writer(4).u128(v).finish())).toBe(toHex(be16(v)));
      }),
    );
  });

  it("a commitment hashes the quantity's 16 big-endian bytes on both sides of 2^64", () => {
    fc.assert(
      fc.property(quantity, digest, digest, (q, nonce, seed) => {
        const r: Resource = {
          logicRef: new Uint8Array(32).fill(1),
          labelRef: new Uint8Array(32).fill(2),
          valueRef: new Uint8Array(32).fill(3),
          quantity: q,
          isEphemeral: false,
          nonce,
          nkCommitment: new Uint8Array(32).fill(4),
          randSeed: seed,
        };
        const preimage = concatBytes(
          r.logicRef,
          r.labelRef,
          be16(q),
          r.valueRef,
          new Uint8Array([0]),
          r.nonce,
          r.nkCommitment,
          rcm(r),
        );
        expect(toHex(commitment(r))).toBe(toHex(ref(preimage)));
      }),
    );
  });
});

describe('tree reads (key hashed into scratch, leaf key compared in place)', () => {
  it('getSync answers as a map of the writes, at every version, for present and absent keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 20 }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (batches) => {
          const smt = Smt.inMemory();
          const key = (k: number) => new Uint8Array([1, k]);
          const models: Map<number, number>[] = [new Map()];
          for (const batch of batches) {
            const model = new Map(models[models.length - 1]!);
            const writes = new Map<number, number>();
            for (const [k, v] of batch) writes.set(k, v);
            for (const [k, v] of writes) model.set(k, v);
            await smt
              .stage([...writes].map(([k, v]) => ({ key: key(k), value: new Uint8Array([v, 7]) })))
              .commit();
            models.push(model);
          }
          for (let version = 0; version < models.length; version++) {
            for (let k = 0; k <= 41; k++) {
              const got = smt.getSync(key(k), BigInt(version));
              const want = models[version]!.get(k);
              expect(got === null ? null : Array.from(got)).toEqual(want === undefined ? null : [want, 7]);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('reads without a DataView', () => {
  it('Reader.u16 and u32 read big-endian unsigned values, top bit set or not, and refuse truncation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (a, b, c) => {
          const bytes = new Writer(4).u16(a).u32(b).u64(c).u128(c).finish();
          // read from a view at an offset, as decoders do
          const framed = new Uint8Array(bytes.length + 3);
          framed.set(bytes, 3);
          const r = new Reader(framed.subarray(3));
          expect(r.u16()).toBe(a);
          expect(r.u32()).toBe(b);
          expect(r.u64()).toBe(c);
          expect(r.u128()).toBe(c);
          r.end();
          const short = new Reader(bytes.subarray(0, 5));
          short.u16();
          expect(() => short.u32()).toThrow(WeftError);
        },
      ),
    );
  });

  it('encodeHeight and decodeHeight: u64 big-endian, for views at an offset too', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (h) => {
        const enc = encodeHeight(h);
        const want = new Uint8Array(8);
        new DataView(want.buffer).setBigUint64(0, h);
        expect(toHex(enc)).toBe(toHex(want));
        const framed = new Uint8Array(11);
        framed.set(enc, 2);
        expect(decodeHeight(framed.subarray(2, 10))).toBe(h);
        // the encoding handed out is its own: a later one does not change it
        encodeHeight(h ^ 1n);
        expect(toHex(enc)).toBe(toHex(want));
      }),
    );
  });
});
