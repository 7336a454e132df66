import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchHasher,
  concatBytes,
  decodeAll,
  equalBytes,
  fromHex,
  getBatchHasher,
  hashBlocks,
  hexKey,
  type Reader,
  sha256,
  sha256Into,
  sha256Node,
  sha256Parts,
  toHex,
  utf8,
  WeftError,
  Writer,
} from '../src/crypto/index.js';

describe('sha256', () => {
  it('matches the FIPS 180-2 "abc" vector', () => {
    expect(toHex(sha256(utf8('abc')))).toBe(
      '0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('the allocation-free path agrees with node:crypto on every length from 0 to 300 bytes', () => {
    for (let n = 0; n <= 300; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
      expect(toHex(sha256(data))).toBe(toHex(sha256Node(data)));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (data) => {
        expect(toHex(sha256(data))).toBe(toHex(sha256Node(data)));
        const out = new Uint8Array(40);
        sha256Into(data, out, 5);
        expect(toHex(out.subarray(5, 37))).toBe(toHex(sha256Node(data)));
      }),
      { numRuns: 2000 },
    );
  });

  it('sha256Into writes exactly out[offset .. offset + 32] and leaves the rest alone', () => {
    const out = new Uint8Array(34).fill(0xee);
    sha256Into(utf8('abc'), out, 2);
    expect(toHex(out.subarray(2))).toBe(toHex(sha256(utf8('abc'))));
    expect([...out.subarray(0, 2)]).toEqual([0xee, 0xee]);
  });

  describe('sha256Into refuses what it cannot write', () => {
    const code = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof WeftError ? e.code : `not a WeftError: ${String(e)}`;
      }
      return undefined;
    };
    const data = utf8('abc');

    it('an out that is not a Uint8Array (BAD_INPUT)', () => {
      for (const out of [
        null,
        undefined,
        [0, 1, 2],
        'x'.repeat(64),
        new ArrayBuffer(64),
        new Uint16Array(32),
      ]) {
        expect(code(() => sha256Into(data, out as unknown as Uint8Array, 0))).toBe('BAD_INPUT');
      }
    });

    it('data that is not a Uint8Array (BAD_INPUT), even a string long enough for node:crypto', () => {
      const out = new Uint8Array(32);
      for (const bad of [null, 'x'.repeat(100), [1, 2, 3]]) {
        expect(code(() => sha256Into(bad as unknown as Uint8Array, out, 0))).toBe('BAD_INPUT');
      }
    });

    it('a negative, fractional or non-number offset (BAD_INPUT)', () => {
      const out = new Uint8Array(64);
      for (const offset of [-1, -32, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0', 0n]) {
        expect(code(() => sha256Into(data, out, offset as unknown as number))).toBe('BAD_INPUT');
      }
    });

    it('an out too short for offset + 32 (BAD_LENGTH), without writing any of it', () => {
      for (const [length, offset] of [
        [0, 0],
        [31, 0],
        [32, 1],
        [40, 9],
        [40, 40],
        [40, 41],
      ] as const) {
        const out = new Uint8Array(length).fill(0xee);
        expect(code(() => sha256Into(data, out, offset))).toBe('BAD_LENGTH');
        expect(out.every((b) => b === 0xee)).toBe(true);
      }
      // The edges that fit are accepted.
      expect(code(() => sha256Into(data, new Uint8Array(32), 0))).toBeUndefined();
      expect(code(() => sha256Into(data, new Uint8Array(40), 8))).toBeUndefined();
    });
  });

  it('hashes parts as their concatenation', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 5 }), (parts) => {
        expect(equalBytes(sha256Parts(...parts), sha256(concatBytes(...parts)))).toBe(true);
      }),
    );
  });
});

describe('batched hashing of 64-byte blocks', () => {
  it('the native hashtree module loads on this machine and is the default', () => {
    expect(batchHasher.name).toBe('hashtree');
  });

  it('native and node:crypto give identical digests, for any number of blocks', () => {
    const native = getBatchHasher('hashtree');
    const fallback = getBatchHasher('node');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer(), (n, seed) => {
        const input = new Uint8Array(n * 64).map((_, i) => (i * 31 + seed) & 0xff);
        const a = new Uint8Array(n * 32);
        const b = new Uint8Array(n * 32);
        hashBlocks(input, a, native);
        hashBlocks(input, b, fallback);
        expect(equalBytes(a, b)).toBe(true);
        for (let i = 0; i < n; i++) {
          const want = createHash('sha256')
            .update(input.subarray(i * 64, i * 64 + 64))
            .digest();
          expect(equalBytes(a.subarray(i * 32, i * 32 + 32), want)).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('refuses inputs that are not whole blocks, or a wrongly sized output', () => {
    expect(() => hashBlocks(new Uint8Array(63), new Uint8Array(32))).toThrowError(/multiple of 64/);
    expect(() => hashBlocks(new Uint8Array(128), new Uint8Array(32))).toThrowError(/64 bytes/);
  });
});

describe('canonical codec', () => {
  it('encodes integers big-endian at fixed width', () => {
    const bytes = new Writer().u8(1).u16(0x0203).u32(0x04050607).u64(0x08090a0b0c0d0e0fn).finish();
    expect(toHex(bytes)).toBe('0x0102030405060708090a0b0c0d0e0f');
    expect(toHex(new Writer().u128((1n << 128n) - 1n).finish())).toBe(`0x${'ff'.repeat(16)}`);
  });

  it('round-trips every type, and decoding refuses trailing bytes', () => {
    fc.assert(
      fc.property(
        fc.record({
          a: fc.integer({ min: 0, max: 255 }),
          b: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          c: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
          d: fc.boolean(),
          e: fc.uint8Array({ maxLength: 64 }),
          f: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 5 }),
        }),
        (x) => {
          const bytes = new Writer()
            .u8(x.a)
            .u64(x.b)
            .u128(x.c)
            .bool(x.d)
            .bytes(x.e, 64)
            .list(x.f, 5, (w, h) => w.fixed(h, 32))
            .finish();
          const read = (r: Reader) => ({
            a: r.u8(),
            b: r.u64(),
            c: r.u128(),
            d: r.bool(),
            e: r.bytes(64),
            f: r.list(5, (r) => r.fixed(32)),
          });
          const got = decodeAll(bytes, read);
          expect(got.a).toBe(x.a);
          expect(got.b).toBe(x.b);
          expect(got.c).toBe(x.c);
          expect(got.d).toBe(x.d);
          expect(toHex(got.e)).toBe(toHex(x.e));
          expect(got.f.map(toHex)).toEqual(x.f.map(toHex));
          expect(() => decodeAll(concatBytes(bytes, new Uint8Array(1)), read)).toThrowError(/trailing/);
          for (let cut = 0; cut < bytes.length; cut += 7)
            expect(() => decodeAll(bytes.subarray(0, cut), read)).toThrow(WeftError);
        },
      ),
    );
  });

  it('enforces every stated maximum, both ways', () => {
    expect(() => new Writer().bytes(new Uint8Array(5), 4)).toThrowError(/maximum of 4/);
    expect(() => new Writer().list([1, 2, 3], 2, (w, v) => w.u8(v))).toThrowError(/maximum of 2/);
    const five = new Writer().bytes(new Uint8Array(5), 5).finish();
    expect(() => decodeAll(five, (r) => r.bytes(4))).toThrowError(/maximum of 4/);
    const list = new Writer().list([1, 2, 3], 3, (w, v) => w.u8(v)).finish();
    expect(() => decodeAll(list, (r) => r.list(2, (r) => r.u8()))).toThrowError(/maximum of 2/);
  });

  it('refuses out-of-range integers and non-canonical booleans', () => {
    expect(() => new Writer().u8(256)).toThrow(WeftError);
    expect(() => new Writer().u64(-1n)).toThrow(WeftError);
    expect(() => new Writer().u64(1n << 64n)).toThrow(WeftError);
    expect(() => new Writer().u128(1n << 128n)).toThrow(WeftError);
    expect(() => decodeAll(new Uint8Array([2]), (r) => r.bool())).toThrowError(/bool must be 0 or 1/);
  });

  it('refuses a list count larger than the bytes left, before allocating', () => {
    expect(() =>
      decodeAll(new Uint8Array([0, 0, 0xff, 0xff]), (r) => r.list(1 << 20, (r) => r.u8())),
    ).toThrowError(/only 0 bytes remain/);
  });
});

describe('hex at the edges', () => {
  it('round-trips and refuses malformed input, naming the field', () => {
    expect(toHex(fromHex('0xDEADbeef'))).toBe('0xdeadbeef');
    expect(() => fromHex('deadbeef', undefined, 'root')).toThrowError(/root must be 0x-prefixed/);
    expect(() => fromHex('0xabc')).toThrow(WeftError);
    expect(() => fromHex('0xabcd', 32, 'cm')).toThrowError(/cm must be 32 bytes/);
  });

  it('hexKey is toHex without its prefix, for views into larger buffers too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(80), fc.nat(80), (bytes, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const view = bytes.subarray(Math.min(lo, bytes.length), Math.min(hi, bytes.length));
        expect(hexKey(view)).toBe(toHex(view).slice(2));
        expect(hexKey(view)).toBe([...view].map((x) => x.toString(16).padStart(2, '0')).join(''));
      }),
    );
  });
});

describe('ed25519 signing with a reused key object', () => {
  it('signs with the bytes the key pair holds now, even when its array was changed in place', async () => {
    const { keyPairFromSeed, sign, verifySignature } = await import('../src/crypto/index.js');
    const one = keyPairFromSeed('ed25519', sha256(utf8('reuse/one')));
    const two = keyPairFromSeed('ed25519', sha256(utf8('reuse/two')));
    const msg = sha256(utf8('message'));
    const first = sign(one, msg);
    expect(verifySignature(one.publicKey, msg, first)).toBe(true);
    // Same array, same signature (ed25519 is deterministic): the cached object is the same key.
    expect(toHex(sign(one, msg).bytes)).toBe(toHex(first.bytes));
    // The array now holds another key: the signature is that key's, not the cached one's.
    one.secretKey.set(two.secretKey);
    const after = sign(one, msg);
    expect(toHex(after.bytes)).toBe(toHex(sign(two, msg).bytes));
    expect(verifySignature(two.publicKey, msg, after)).toBe(true);
    expect(verifySignature(one.publicKey, msg, after)).toBe(false);
  });
});
