// What `apply` and `proveSync` refuse before touching the tree: each bad write is named by its
// index and the limit it breaks, and the tree stays as it was.
import { describe, expect, it } from 'vitest';
import { WeftError } from '../src/crypto/index.js';
import { KEY_BYTES_MAX, Smt, VALUE_BYTES_MAX, type Write } from '../src/smt/index.js';

const ok = (i: number): Write => ({ key: new Uint8Array([i]), value: new Uint8Array([i, 1]) });

async function refused(writes: unknown[]): Promise<WeftError> {
  const smt = Smt.inMemory();
  await smt.apply([ok(0)]);
  const root = smt.root();
  const e = await smt.apply(writes as Write[]).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WeftError);
  expect(smt.root()).toEqual(root);
  expect(smt.version()).toBe(1n);
  return e as WeftError;
}

describe('batch checks', () => {
  it('refuses a write that is not an object, naming its index', async () => {
    const e = await refused([ok(1), null]);
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/write 1 must be \{ key, value \}/);
  });

  it('refuses a key over KEY_BYTES_MAX, in a batch and in a proof', async () => {
    const long = new Uint8Array(KEY_BYTES_MAX + 1);
    const e = await refused([ok(1), { key: long, value: null }]);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(`key of ${KEY_BYTES_MAX + 1} bytes exceeds ${KEY_BYTES_MAX}`);
    expect(() => Smt.inMemory().proveSync(long)).toThrow(/exceeds/);
    expect(Smt.inMemory().proveSync(new Uint8Array(KEY_BYTES_MAX)).terminal.kind).toBe('empty');
  });

  it('refuses a value that is not bytes or is over VALUE_BYTES_MAX', async () => {
    const notBytes = await refused([ok(1), ok(2), { key: new Uint8Array([3]), value: 'x' }]);
    expect(notBytes.code).toBe('BAD_INPUT');
    expect(notBytes.message).toMatch(/write 2: value must be a Uint8Array or null/);
    const big = await refused([{ key: new Uint8Array([3]), value: new Uint8Array(VALUE_BYTES_MAX + 1) }]);
    expect(big.code).toBe('LIMIT_EXCEEDED');
    expect(big.message).toMatch(`write 0: value exceeds ${VALUE_BYTES_MAX} bytes`);
  });
});
