import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../src/crypto/index.js';
import { Smt } from '../src/smt/index.js';

// Conformance roots from ARCHITECTURE.md §3; the jmt ones come from penumbra-zone/jmt's tests.
describe('conformance roots', () => {
  it('weft preset', async () => {
    const smt = Smt.inMemory();
    expect(toHex(smt.root())).toBe('0x0000000000000000000000000000000000000000000000000000000000000000');
    await smt.apply([{ key: utf8('hello'), value: utf8('world') }]);
    expect(toHex(smt.root())).toBe('0xf305db9b2abccd706c256db3d97e5ff48d677cfe4d3a5904afb7da0e3950e1e2');
    await smt.apply([{ key: utf8('goodbye'), value: utf8('world') }]);
    expect(toHex(smt.root())).toBe('0x38eabc57d515394e9d829fef7629744b5a086791c59a5e84c4a8ad0c13f6820f');
    const big = Smt.inMemory();
    await big.apply(
      Array.from({ length: 1000 }, (_, i) => ({ key: utf8(`key-${i}`), value: utf8(`value-${i}`) })),
    );
    expect(toHex(big.root())).toBe('0x6d5ce3b73dc31b8dce924778bb596fc0267ae35071d68a896d4c7558338f15d9');
  });

  it('jmt preset', async () => {
    const smt = Smt.inMemory({ hasher: 'jmt' });
    expect(toHex(smt.root())).toBe('0x5350415253455f4d45524b4c455f504c414345484f4c4445525f484153485f5f');
    await smt.apply([{ key: utf8('hello'), value: utf8('world') }]);
    expect(toHex(smt.root())).toBe('0x6b97115f56e533f2fd443f7e76e4d1ff94d34e6b2e233f2dbdf5cfd1ec39a30c');
    await smt.apply([{ key: utf8('goodbye'), value: utf8('world') }]);
    expect(toHex(smt.root())).toBe('0xe1e1e220d4b4a9611a9a09dbcee964b4a6c3a40f6f4dee265ad45cf64568790b');
  });
});
