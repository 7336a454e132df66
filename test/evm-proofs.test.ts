// Tree proofs made by TypeScript, checked by WeftLightClient on a real JSON-RPC node (ganache):
// members and non-members at 1,000 and 1,000,000 keys, every single-proof forgery of the tree's
// adversarial suite, and a property test holding the contract to `verifyProof` on random valid
// and mutated proof bytes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, utf8 } from '../src/crypto/index.js';
import { encodeProofForEvm, weftLightClientAbi } from '../src/evm/index.js';
import { decodeProof, encodeProof, type Proof, Smt, verifyProof } from '../src/smt/index.js';
import { type EvmEnv, hex, keySetOf, registerRoot, signers, startEvmEnv } from './helpers/evm.js';

const ks = keySetOf(signers('proofs', 3), 2);

/** A commitment-style tree key `0x01 ‖ SHA256(i)` and its u32 value. */
function entry(i: number): { key: Uint8Array; value: Uint8Array } {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, i);
  const key = new Uint8Array(33);
  key[0] = 0x01;
  key.set(sha256(value), 1);
  return { key, value };
}
const absentKey = (i: number) => entry(i + 50_000_000).key;

let env: EvmEnv;

beforeAll(async () => {
  env = await startEvmEnv();
}, 60_000);

afterAll(async () => {
  await env?.chain.stop();
});

/** The contract's bare verifier on raw proof bytes; `value === null` asks for absence. */
async function onChain(root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: Uint8Array) {
  return env.evm.public.readContract({
    address: env.lightClient,
    abi: weftLightClientAbi,
    functionName: 'verifyProof',
    args: [hex(root), hex(key), hex(value ?? new Uint8Array(0)), value !== null, hex(proof)],
  });
}

/** TypeScript's answer for the same bytes: a proof that does not decode does not verify. */
function inTs(root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: Uint8Array): boolean {
  let decoded: Proof;
  try {
    decoded = decodeProof(proof);
  } catch {
    return false;
  }
  return verifyProof(root, key, value, decoded);
}

async function membership(domainId: Uint8Array, key: Uint8Array, value: Uint8Array, proof: Proof) {
  return env.evm.public.readContract({
    address: env.lightClient,
    abi: weftLightClientAbi,
    functionName: 'verifyMembership',
    args: [hex(domainId), 0n, hex(key), hex(value), hex(encodeProofForEvm(proof))],
  });
}

async function nonMembership(domainId: Uint8Array, key: Uint8Array, proof: Proof) {
  return env.evm.public.readContract({
    address: env.lightClient,
    abi: weftLightClientAbi,
    functionName: 'verifyNonMembership',
    args: [hex(domainId), 0n, hex(key), hex(encodeProofForEvm(proof))],
  });
}

async function checkTree(name: string, n: number, samples: number) {
  const smt = Smt.inMemory();
  const writes = Array.from({ length: n }, (_, i) => entry(i));
  await smt.apply(writes);
  const genesis = await registerRoot(env, name, smt.root(), ks);
  const id = genesis.domain;
  const step = Math.floor(n / samples);
  for (let s = 0; s < samples; s++) {
    const { key, value } = writes[s * step]!;
    const proof = await smt.prove(key);
    expect(verifyProof(smt.root(), key, value, proof)).toBe(true);
    expect(await membership(id, key, value, proof)).toBe(true);
    // The same proof with another value, or read as an absence proof, is refused.
    expect(await membership(id, key, utf8('other'), proof)).toBe(false);
    expect(await nonMembership(id, key, proof)).toBe(false);
    const absent = absentKey(s);
    const none = await smt.prove(absent);
    expect(verifyProof(smt.root(), absent, null, none)).toBe(true);
    expect(await nonMembership(id, absent, none)).toBe(true);
    expect(await membership(id, absent, value, none)).toBe(false);
  }
  // Outside the window (an unknown height) nothing verifies.
  const { key, value } = writes[0]!;
  const proof = await smt.prove(key);
  expect(
    await env.evm.public.readContract({
      address: env.lightClient,
      abi: weftLightClientAbi,
      functionName: 'verifyMembership',
      args: [hex(id), 1n, hex(key), hex(value), hex(encodeProofForEvm(proof))],
    }),
  ).toBe(false);
  return smt;
}

describe('weft proofs on-chain', () => {
  it('verifies members and non-members of a 1,000-key tree, and refuses them swapped', async () => {
    await checkTree('proofs-1k', 1_000, 40);
  });

  it('verifies members and non-members of a 1,000,000-key tree', async () => {
    await checkTree('proofs-1m', 1_000_000, 12);
  }, 180_000);
});

describe('forgeries of the adversarial suite return false on-chain', () => {
  const key = (i: number) => utf8(`key-${i}`);
  const val = (i: number) => utf8(`value-${i}`);
  async function tree(n: number) {
    const smt = Smt.inMemory();
    if (n > 0) await smt.apply(Array.from({ length: n }, (_, i) => ({ key: key(i), value: val(i) })));
    return smt;
  }
  const clone = <T>(x: T): T => structuredClone(x);

  it('a flipped bitmap bit', async () => {
    const smt = await tree(200);
    const proof = await smt.prove(key(7));
    expect(await onChain(smt.root(), key(7), val(7), encodeProof(proof))).toBe(true);
    for (let bit = 0; bit < proof.depth; bit++) {
      const bad = clone(proof);
      bad.bitmap[bit >> 3]! ^= 0x80 >> (bit & 7);
      // The bytes, not the object: a flipped bit changes how many siblings the bitmap claims.
      const bytes = encodeProof(proof);
      bytes[3 + (bit >> 3)]! ^= 0x80 >> (bit & 7);
      expect(verifyProof(smt.root(), key(7), val(7), bad)).toBe(false);
      expect(await onChain(smt.root(), key(7), val(7), bytes)).toBe(false);
    }
  });

  it('an extra or a missing sibling', async () => {
    const smt = await tree(200);
    const bytes = encodeProof(await smt.prove(key(3)));
    const termAt = bytes.length - 1;
    const extra = new Uint8Array([
      ...bytes.subarray(0, termAt),
      ...new Uint8Array(32).fill(9),
      bytes[termAt]!,
    ]);
    expect(await onChain(smt.root(), key(3), val(3), extra)).toBe(false);
    const missing = new Uint8Array([...bytes.subarray(0, termAt - 32), bytes[termAt]!]);
    expect(await onChain(smt.root(), key(3), val(3), missing)).toBe(false);
  });

  it('a changed sibling hash', async () => {
    const smt = await tree(50);
    const proof = await smt.prove(key(1));
    for (let i = 0; i < proof.siblings.length; i++) {
      const bad = clone(proof);
      bad.siblings[i]![5]! ^= 0x10;
      expect(await onChain(smt.root(), key(1), val(1), encodeProofForEvm(bad))).toBe(false);
    }
  });

  it('truncated or trailing bytes', async () => {
    const smt = await tree(100);
    const bytes = encodeProof(await smt.prove(key(5)));
    for (const cut of [0, 1, 2, 3, bytes.length - 1, bytes.length - 32]) {
      expect(await onChain(smt.root(), key(5), val(5), bytes.subarray(0, cut))).toBe(false);
    }
    for (const tail of [[0], [1], [0, 0, 0, 0]]) {
      expect(await onChain(smt.root(), key(5), val(5), new Uint8Array([...bytes, ...tail]))).toBe(false);
    }
  });

  it('a depth over 256 and bitmap bits past the depth', async () => {
    const zero = new Uint8Array(32);
    expect(await onChain(zero, key(1), null, new Uint8Array([1, 0x01, 0x01, ...new Uint8Array(33), 1]))).toBe(
      false,
    );
    expect(await onChain(zero, key(1), null, new Uint8Array([1, 0xff, 0xff, 1]))).toBe(false);
    const past = new Uint8Array([1, 0, 3, 0b0001_0000, ...new Uint8Array(32), 1]);
    expect(inTs(zero, key(1), null, past)).toBe(false);
    expect(await onChain(zero, key(1), null, past)).toBe(false);
    // The same shape without the stray bit is a valid proof of absence in... no tree: still checked.
    expect(await onChain(zero, key(1), null, new Uint8Array([1, 0, 0, 1]))).toBe(true);
  });

  it('an other-leaf terminal that carries the queried key', async () => {
    const smt = await tree(100);
    const proof = await smt.prove(key(9));
    const forged: Proof = {
      ...clone(proof),
      terminal: { kind: 'leaf', keyHash: sha256(key(9)), valueHash: sha256(val(9)) },
    };
    expect(await onChain(smt.root(), key(9), null, encodeProofForEvm(forged))).toBe(false);
  });

  it('an other-leaf terminal sharing too short a prefix with the queried key', async () => {
    const smt = await tree(1);
    const first = sha256(key(0))[0]! & 0x80;
    let q = 1;
    while ((sha256(key(q))[0]! & 0x80) === first) q++;
    const absent = await smt.prove(key(q));
    expect(absent.terminal.kind).toBe('leaf');
    expect(await onChain(smt.root(), key(q), null, encodeProofForEvm(absent))).toBe(true);
    const deeper: Proof = { depth: 1, bitmap: new Uint8Array(1), siblings: [], terminal: absent.terminal };
    expect(await onChain(smt.root(), key(q), null, encodeProofForEvm(deeper))).toBe(false);
  });

  it('membership claimed against an empty tree', async () => {
    const smt = Smt.inMemory();
    const proof = await smt.prove(key(1));
    expect(await onChain(smt.root(), key(1), null, encodeProofForEvm(proof))).toBe(true);
    expect(await onChain(smt.root(), key(1), val(1), encodeProofForEvm(proof))).toBe(false);
    const member: Proof = { depth: 0, bitmap: new Uint8Array(0), siblings: [], terminal: { kind: 'member' } };
    expect(await onChain(smt.root(), key(1), val(1), encodeProofForEvm(member))).toBe(false);
  });

  it('garbage bytes and wrong kind bytes', async () => {
    const smt = await tree(10);
    const good = encodeProof(await smt.prove(key(2)));
    for (const kind of [0, 2, 3, 0xff]) {
      const bad = good.slice();
      bad[0] = kind;
      expect(await onChain(smt.root(), key(2), val(2), bad)).toBe(false);
    }
    for (const term of [3, 0xff]) {
      const bad = good.slice();
      bad[bad.length - 1] = term;
      expect(await onChain(smt.root(), key(2), val(2), bad)).toBe(false);
    }
  });
});

describe('the contract and verifyProof agree', () => {
  it('on random valid and mutated proofs, members and non-members', async () => {
    const smt = Smt.inMemory();
    const n = 300;
    await smt.apply(Array.from({ length: n }, (_, i) => entry(i)));
    const root = smt.root();
    const cases = fc.record({
      i: fc.nat({ max: 2 * n - 1 }),
      mutation: fc.oneof(
        fc.constant({ kind: 'none' as const }),
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({
          kind: fc.constant('append' as const),
          bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
        }),
        fc.record({ kind: fc.constant('askOther' as const) }),
      ),
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ i, mutation }) => {
        const { key, value } = i < n ? entry(i) : { key: absentKey(i), value: null };
        let bytes = encodeProofForEvm(await smt.prove(key));
        let asked: Uint8Array | null = value;
        if (mutation.kind === 'flip') {
          bytes = bytes.slice();
          bytes[mutation.at % bytes.length]! ^= 1 << mutation.bit;
        } else if (mutation.kind === 'cut') {
          bytes = bytes.subarray(0, mutation.at % bytes.length);
        } else if (mutation.kind === 'append') {
          bytes = new Uint8Array([...bytes, ...mutation.bytes]);
        } else if (mutation.kind === 'askOther') {
          asked = value === null ? utf8('x') : null;
        }
        const expected = inTs(root, key, asked, bytes);
        if (mutation.kind === 'none') expect(expected).toBe(true);
        expect(await onChain(root, key, asked, bytes)).toBe(expected);
      }),
      { numRuns: 300, seed: 0x5eed },
    );
  }, 120_000);
});
