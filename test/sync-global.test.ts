import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256, utf8, WeftError } from '../src/crypto/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { Smt } from '../src/smt/index.js';
import {
  decodeGlobalInclusionProof,
  encodeGlobalInclusionProof,
  type GlobalInclusionProof,
  GlobalRoot,
  LightClient,
  verifyGlobalInclusion,
} from '../src/sync/index.js';
import { alice } from './helpers/domain.js';
import { chain, updatesFrom } from './helpers/sync.js';
import { expectCode } from './support.js';

const id = (n: number) => sha256(utf8(`domain-${n}`));
const root = (n: number) => sha256(utf8(`root-${n}`));

/** Two domains, an observer that accepted both, and a global root over what it accepted. */
async function world() {
  const a = await chain('global-a', 2);
  const b = await chain('global-b', 1);
  const sync = new LightClient();
  for (const c of [a, b]) {
    sync.trust(c.domain.header(0n)!, c.domain.keySet);
    sync.acceptChain(updatesFrom(c.domain, 1n), 'full');
  }
  const global = new GlobalRoot();
  await global.update(sync.roots());
  return { a, b, sync, global };
}

describe('the global root', () => {
  it('is the empty root before any update, and a function of the entries only', async () => {
    const g = new GlobalRoot();
    expect(g.root()).toEqual(new Uint8Array(32));
    await g.update([
      { domainId: id(1), root: root(1) },
      { domainId: id(2), root: root(2) },
    ]);
    const h = new GlobalRoot();
    await h.set(id(2), root(2));
    await h.set(id(1), root(9));
    await h.set(id(1), root(1));
    expect(h.root()).toEqual(g.root());
    expect(g.get(id(1))).toEqual(root(1));
    expect(g.get(id(3))).toBeNull();
  });

  it('equals a tree of DomainId -> root built independently', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.nat(1000), { maxLength: 30 }), async (ns) => {
        const g = new GlobalRoot();
        await g.update(ns.map((n) => ({ domainId: id(n), root: root(n) })));
        const smt = Smt.inMemory();
        if (ns.length > 0) await smt.apply(ns.map((n) => ({ key: id(n), value: root(n) })));
        expect(g.root()).toEqual(smt.root());
      }),
      { numRuns: 50 },
    );
  });

  it('updates one at a time in call order', async () => {
    const g = new GlobalRoot();
    const results = await Promise.all([g.set(id(1), root(1)), g.set(id(1), root(2)), g.set(id(1), root(3))]);
    expect(g.get(id(1))).toEqual(root(3));
    expect(results[2]).toEqual(g.root());
    expect(new Set(results.map((r) => Buffer.from(r).toString('hex'))).size).toBe(3);
  });

  it('refuses malformed entries', async () => {
    const g = new GlobalRoot();
    expect(() => g.update([{ domainId: new Uint8Array(31), root: root(1) }])).toThrow(WeftError);
    expect(() => g.update([{ domainId: id(1), root: new Uint8Array(5) }])).toThrow(WeftError);
  });
});

describe('global inclusion proofs', () => {
  it('prove a commitment of one domain under the global root, and a nullifier absent', async () => {
    const { a, global } = await world();
    const coin = a.coins[0]!;
    const p = a.domain.proveCommitment(commitment(coin.resource));
    const proof = global.proveInclusion(a.domain.id, p);
    expect(verifyGlobalInclusion(global.root(), proof)).toBe(true);
    const absent = a.domain.proveNullifier(nullifier(coin.resource, coin.nk));
    expect(absent.value).toBeNull();
    expect(verifyGlobalInclusion(global.root(), global.proveInclusion(a.domain.id, absent))).toBe(true);
  });

  it('fail under any tampering', async () => {
    const { a, b, global } = await world();
    const proof = global.proveInclusion(
      a.domain.id,
      a.domain.proveCommitment(commitment(a.coins[0]!.resource)),
    );
    const flip = (x: Uint8Array) => x.map((v, i) => (i === 5 ? v ^ 1 : v));
    const bendProof = (p: GlobalInclusionProof['domainProof']) =>
      p.siblings.length > 0
        ? { ...p, siblings: [flip(p.siblings[0]!), ...p.siblings.slice(1)] }
        : { ...p, depth: p.depth + 1 };
    const tampered: GlobalInclusionProof[] = [
      { ...proof, domainId: b.domain.id },
      { ...proof, domainRoot: flip(proof.domainRoot) },
      { ...proof, key: flip(proof.key) },
      { ...proof, value: flip(proof.value!) },
      { ...proof, value: null },
      { ...proof, domainProof: bendProof(proof.domainProof) },
      { ...proof, globalProof: bendProof(proof.globalProof) },
      { ...proof, globalProof: proof.domainProof },
    ];
    for (const t of tampered) expect(verifyGlobalInclusion(global.root(), t)).toBe(false);
    expect(verifyGlobalInclusion(flip(global.root()), proof)).toBe(false);
    expect(verifyGlobalInclusion(global.root(), proof)).toBe(true);
  });

  it('stop verifying under a global root that moved the domain on; a fresh proof verifies', async () => {
    const { a, global } = await world();
    const p = a.domain.proveCommitment(commitment(a.coins[0]!.resource));
    const proof = global.proveInclusion(a.domain.id, p);
    const old = global.root();
    await global.set(a.domain.id, root(7));
    expect(verifyGlobalInclusion(global.root(), proof)).toBe(false);
    expect(verifyGlobalInclusion(old, proof)).toBe(true);
    expectCode(() => global.proveInclusion(a.domain.id, p), 'UNKNOWN_ROOT');
  });

  it('are refused for a root the global tree does not hold, or a domain proof that does not verify', async () => {
    const { a, global } = await world();
    const p = a.domain.proveCommitment(commitment(a.coins[0]!.resource));
    expectCode(() => global.proveInclusion(id(99), p), 'UNKNOWN_ROOT');
    expectCode(() => global.proveInclusion(a.domain.id, { ...p, value: new Uint8Array(8) }), 'BAD_PROOF');
    expectCode(() => global.proveInclusion(a.domain.id, { ...p, root: new Uint8Array(3) }), 'BAD_LENGTH');
  });

  it('round-trip through their canonical encoding, strictly', async () => {
    const { a, global } = await world();
    for (const p of [
      a.domain.proveCommitment(commitment(a.coins[0]!.resource)),
      a.domain.proveNullifier(nullifier(a.coins[0]!.resource, a.coins[0]!.nk)),
    ]) {
      const proof = global.proveInclusion(a.domain.id, p);
      const bytes = encodeGlobalInclusionProof(proof);
      expect(decodeGlobalInclusionProof(bytes)).toEqual(proof);
      expectCode(() => decodeGlobalInclusionProof(bytes.subarray(0, bytes.length - 1)), 'CODEC');
      expectCode(() => decodeGlobalInclusionProof(new Uint8Array([...bytes, 0])), 'CODEC');
      fc.assert(
        fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
          const b = bytes.slice();
          b[at]! ^= x;
          let back: GlobalInclusionProof;
          try {
            back = decodeGlobalInclusionProof(b);
          } catch (e) {
            expect(e).toBeInstanceOf(WeftError);
            return;
          }
          // A corrupted proof that still verifies states something true: the same domain and
          // root, and for the same key the same value (an absence proof may also show another
          // absent key on the same path absent, which is true).
          if (!verifyGlobalInclusion(global.root(), back)) return;
          expect(back.domainId).toEqual(proof.domainId);
          expect(back.domainRoot).toEqual(proof.domainRoot);
          if (Buffer.compare(back.key, proof.key) === 0) expect(back.value).toEqual(proof.value);
          else expect(back.value).toBeNull();
        }),
        { numRuns: 300 },
      );
    }
    expect(alice.publicKey.bytes.length).toBeGreaterThan(0);
  });
});
