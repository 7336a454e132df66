import { describe, expect, it } from 'vitest';
import { sha256, utf8, WeftError } from '../src/crypto/index.js';
import { treeHasher } from '../src/smt/hasher.js';
import {
  decodeMultiProof,
  decodeProof,
  decodeTransition,
  encodeMultiProof,
  encodeProof,
  encodeTransition,
  type MultiProof,
  type Proof,
  Smt,
  verifyMultiProof,
  verifyProof,
  verifyTransition,
} from '../src/smt/index.js';

const key = (i: number) => utf8(`key-${i}`);
const val = (i: number) => utf8(`value-${i}`);

async function tree(n: number): Promise<Smt> {
  const smt = Smt.inMemory();
  await smt.apply(Array.from({ length: n }, (_, i) => ({ key: key(i), value: val(i) })));
  return smt;
}

const clone = <T>(x: T): T => structuredClone(x);

describe('single proofs: a verifier is judged by what it refuses', () => {
  it('refuses a flipped bitmap bit', async () => {
    const smt = await tree(200);
    const proof = await smt.prove(key(7));
    expect(verifyProof(smt.root(), key(7), val(7), proof)).toBe(true);
    for (let bit = 0; bit < proof.depth; bit++) {
      const bad = clone(proof);
      bad.bitmap[bit >> 3]! ^= 0x80 >> (bit & 7);
      expect(verifyProof(smt.root(), key(7), val(7), bad)).toBe(false);
    }
  });

  it('refuses an extra or a missing sibling', async () => {
    const smt = await tree(200);
    const proof = await smt.prove(key(3));
    const extra = clone(proof);
    extra.siblings.push(new Uint8Array(32).fill(9));
    expect(verifyProof(smt.root(), key(3), val(3), extra)).toBe(false);
    const missing = clone(proof);
    missing.siblings.pop();
    expect(verifyProof(smt.root(), key(3), val(3), missing)).toBe(false);
  });

  it('refuses a changed sibling hash', async () => {
    const smt = await tree(50);
    const proof = await smt.prove(key(1));
    for (let i = 0; i < proof.siblings.length; i++) {
      const bad = clone(proof);
      bad.siblings[i]![5]! ^= 0x10;
      expect(verifyProof(smt.root(), key(1), val(1), bad)).toBe(false);
    }
  });

  it('refuses truncated or trailing bytes when decoding, with a typed error', async () => {
    const smt = await tree(100);
    const bytes = encodeProof(await smt.prove(key(5)));
    for (const cut of [1, 2, 3, bytes.length - 1, bytes.length - 32]) {
      expect(() => decodeProof(bytes.subarray(0, cut))).toThrow(WeftError);
    }
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    expect(() => decodeProof(padded)).toThrowError(/trailing/);
  });

  it('refuses a depth over 256 and bitmap bits past the depth', () => {
    const deep: Proof = { depth: 257, bitmap: new Uint8Array(33), siblings: [], terminal: { kind: 'empty' } };
    expect(verifyProof(new Uint8Array(32), key(1), null, deep)).toBe(false);
    const bytes = new Uint8Array([1, 0x01, 0x01, ...new Uint8Array(33), 1]);
    expect(() => decodeProof(bytes)).toThrowError(/exceeds 256/);
    const past: Proof = {
      depth: 3,
      bitmap: new Uint8Array([0b0001_0000]),
      siblings: [new Uint8Array(32)],
      terminal: { kind: 'empty' },
    };
    expect(verifyProof(new Uint8Array(32), key(1), null, past)).toBe(false);
    expect(() => decodeProof(new Uint8Array([1, 0, 3, 0b0001_0000, ...new Uint8Array(32), 1]))).toThrowError(
      /past the proof depth/,
    );
  });

  it('refuses an other-leaf terminal that carries the queried key', async () => {
    const smt = await tree(100);
    const proof = await smt.prove(key(9));
    const forged: Proof = {
      ...clone(proof),
      terminal: { kind: 'leaf', keyHash: sha256(key(9)), valueHash: sha256(val(9)) },
    };
    // Claiming absence of key 9 with its own leaf as "another leaf" must fail.
    expect(verifyProof(smt.root(), key(9), null, forged)).toBe(false);
  });

  it('refuses an other-leaf terminal sharing too short a prefix with the queried key', async () => {
    const smt = await tree(1);
    // Find a key whose hash differs from key 0's in the very first bit.
    const first = sha256(key(0))[0]! & 0x80;
    let q = 1;
    while ((sha256(key(q))[0]! & 0x80) === first) q++;
    // The tree is a single leaf (key 0) at depth 0: it proves key q absent at depth 0.
    const absent = await smt.prove(key(q));
    expect(absent.terminal.kind).toBe('leaf');
    expect(verifyProof(smt.root(), key(q), null, absent)).toBe(true);
    // The same leaf presented one level down (with an empty sibling) shares 0 < 1 bits: refused.
    const deeper: Proof = { depth: 1, bitmap: new Uint8Array(1), siblings: [], terminal: absent.terminal };
    expect(verifyProof(smt.root(), key(q), null, deeper)).toBe(false);
  });

  it('refuses membership claimed against an empty tree', async () => {
    const smt = Smt.inMemory();
    const proof = await smt.prove(key(1));
    expect(verifyProof(smt.root(), key(1), null, proof)).toBe(true);
    expect(verifyProof(smt.root(), key(1), val(1), proof)).toBe(false);
    const member: Proof = { depth: 0, bitmap: new Uint8Array(0), siblings: [], terminal: { kind: 'member' } };
    expect(verifyProof(smt.root(), key(1), val(1), member)).toBe(false);
  });

  it('returns false, never throws, for garbage shaped like a proof', () => {
    const junk = [
      null,
      undefined,
      {},
      { depth: 'x' },
      { depth: 1, bitmap: [1], siblings: 'no', terminal: {} },
    ];
    for (const j of junk)
      expect(verifyProof(new Uint8Array(32), key(1), null, j as unknown as Proof)).toBe(false);
    expect(
      verifyProof(new Uint8Array(31), key(1), null, {
        depth: 0,
        bitmap: new Uint8Array(0),
        siblings: [],
        terminal: { kind: 'empty' },
      }),
    ).toBe(false);
  });
});

describe('multiproofs and transitions: adversarial', () => {
  it('refuses a multiproof whose split is claimed where the keys do not split', async () => {
    const smt = await tree(300);
    const keys = [key(1), key(2), key(3)];
    const proof = await smt.proveMany(keys);
    const entries = keys.map((k, i) => ({ key: k, value: val(i + 1) }));
    expect(verifyMultiProof(smt.root(), entries, proof)).toBe(true);
    const swapped: MultiProof = clone(proof);
    const i = swapped.steps.findIndex((s) => s.t === 'split');
    const j = swapped.steps.findIndex((s) => s.t === 'side');
    if (i >= 0 && j >= 0) {
      [swapped.steps[i], swapped.steps[j]] = [swapped.steps[j]!, swapped.steps[i]!];
      expect(verifyMultiProof(smt.root(), entries, swapped)).toBe(false);
    }
    expect(verifyMultiProof(smt.root(), entries, { steps: [...proof.steps, { t: 'empty' }] })).toBe(false);
    expect(verifyMultiProof(smt.root(), entries, { steps: proof.steps.slice(0, -1) })).toBe(false);
  });

  it('refuses a weft sibling whose leaf flag disagrees with its hash', async () => {
    const smt = await tree(64);
    const w = [{ key: key(5), value: null }];
    const old = smt.root();
    const { root, transition } = await smt.apply(w, { proveTransition: true });
    expect(verifyTransition(old, root, w, transition!)).toBe(true);
    const bad = clone(transition!);
    const side = bad.steps.find((s) => s.t === 'side' && s.sibling.k === 'hash');
    if (side && side.t === 'side' && side.sibling.k === 'hash') {
      side.sibling = { k: 'hash', hash: new Uint8Array(32) };
      expect(verifyTransition(old, root, w, bad)).toBe(false);
    }
  });

  it('refuses a jmt transition proof with bare sibling hashes (it cannot tell leaves from nodes)', async () => {
    const smt = Smt.inMemory({ hasher: 'jmt' });
    await smt.apply(Array.from({ length: 40 }, (_, i) => ({ key: key(i), value: val(i) })));
    const old = smt.root();
    const w = [{ key: key(3), value: null }];
    const { root, transition } = await smt.apply(w, { proveTransition: true });
    expect(verifyTransition(old, root, w, transition!, { hasher: 'jmt' })).toBe(true);
    // Replace every opening with its true bare hash: the old root still checks out, but the
    // verifier can no longer tell leaves from internal nodes, so it must refuse.
    const jmt = treeHasher('jmt');
    const bare = clone(transition!);
    let replaced = 0;
    for (const s of bare.steps) {
      if (s.t !== 'side') continue;
      if (s.sibling.k === 'internal')
        s.sibling = { k: 'hash', hash: jmt.internal(s.sibling.left, s.sibling.right) };
      else if (s.sibling.k === 'leaf')
        s.sibling = { k: 'hash', hash: jmt.leaf(s.sibling.keyHash, s.sibling.valueHash) };
      else continue;
      replaced++;
    }
    expect(replaced).toBeGreaterThan(0);
    expect(
      verifyMultiProof(
        old,
        [{ key: key(3), value: val(3) }],
        { steps: bare.steps.map((s) => (s.t === 'leaf' ? { t: 'member' as const } : s)) },
        { hasher: 'jmt' },
      ),
    ).toBe(true);
    expect(verifyTransition(old, root, w, bare, { hasher: 'jmt' })).toBe(false);
  });

  it('refuses a transition proof with altered writes, an altered new root, or member steps', async () => {
    const smt = await tree(100);
    const old = smt.root();
    const w = [
      { key: key(1), value: utf8('changed') },
      { key: key(1000), value: utf8('new') },
      { key: key(2), value: null },
    ];
    const { root, transition } = await smt.apply(w, { proveTransition: true });
    expect(verifyTransition(old, root, w, transition!)).toBe(true);
    expect(verifyTransition(old, root, w.slice(0, 2), transition!)).toBe(false);
    expect(verifyTransition(old, root, [...w, { key: key(3), value: null }], transition!)).toBe(false);
    expect(verifyTransition(old, root, [{ ...w[0]!, value: utf8('other') }, w[1]!, w[2]!], transition!)).toBe(
      false,
    );
    const badRoot = root.slice();
    badRoot[0]! ^= 0x01;
    expect(verifyTransition(old, badRoot, w, transition!)).toBe(false);
    expect(verifyTransition(root, root, w, transition!)).toBe(false);
    const withMember = { steps: [...transition!.steps.slice(0, -1), { t: 'member' as const }] };
    expect(verifyTransition(old, root, w, withMember)).toBe(false);
    expect(() => encodeTransition(withMember)).toThrow(WeftError);
  });

  it('decoders refuse unknown tags, wrong kinds and trailing bytes', async () => {
    const smt = await tree(20);
    const multi = encodeMultiProof(await smt.proveMany([key(1), key(2)]));
    expect(() => decodeTransition(multi)).toThrowError(/not a transition proof/);
    expect(() => decodeProof(multi)).toThrowError(/not a single-key proof/);
    const padded = new Uint8Array([...multi, 0]);
    expect(() => decodeMultiProof(padded)).toThrowError(/trailing/);
    const badTag = multi.slice();
    badTag[5] = 0xee;
    expect(() => decodeMultiProof(badTag)).toThrowError(/unknown proof step tag/);
    // A step count far beyond the bytes present is refused before any allocation.
    expect(() => decodeMultiProof(new Uint8Array([2, 0x7f, 0xff, 0xff, 0xff]))).toThrowError(WeftError);
  });
});

describe('proof sizes', () => {
  it('encodedProofBytes equals the encoding length for every terminal kind', async () => {
    const { encodedProofBytes } = await import('../src/smt/index.js');
    const smt = await tree(300);
    for (const k of [key(1), key(99999), utf8('absent')]) {
      const p = await smt.prove(k);
      expect(encodedProofBytes(p)).toBe(encodeProof(p).length);
    }
    const empty = await Smt.inMemory().prove(key(1));
    expect(encodedProofBytes(empty)).toBe(encodeProof(empty).length);
  });
});
