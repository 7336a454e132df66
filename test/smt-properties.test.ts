import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../src/crypto/index.js';
import {
  decodeMultiProof,
  decodeProof,
  decodeTransition,
  encodeMultiProof,
  encodeProof,
  encodeTransition,
  type HasherName,
  Smt,
  verifyMultiProof,
  verifyProof,
  verifyTransition,
  type Write,
} from '../src/smt/index.js';
import { MemoryNodeStore } from '../src/smt/store.js';
import { NaiveTree } from './helpers/naive.js';
import { reachable } from './helpers/smtReach.js';

// Small key and value alphabets so batches collide, update and delete each other often.
const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => new TextEncoder().encode(`k${i}`));
const valueArb = fc.option(
  fc.integer({ min: 0, max: 5 }).map((i) => new TextEncoder().encode(`v${i}`)),
  { nil: null, freq: 4 },
);
const writeArb = fc.record({ key: keyArb, value: valueArb }) as fc.Arbitrary<Write>;
const batchesArb = fc.array(fc.array(writeArb, { minLength: 0, maxLength: 25 }), {
  minLength: 1,
  maxLength: 8,
});
const other = (v: Uint8Array | null) => (v === null ? new Uint8Array([1, 2, 3]) : null);

for (const hasher of ['weft', 'jmt'] as HasherName[]) {
  describe(`tree against the naive model (${hasher})`, () => {
    it('gives the model root for every version, and keeps old versions readable', async () => {
      await fc.assert(
        fc.asyncProperty(batchesArb, async (batches) => {
          const smt = Smt.inMemory({ hasher });
          const model = new NaiveTree(hasher);
          const roots: Uint8Array[] = [smt.root()];
          const snapshots: Map<string, Uint8Array | null>[] = [];
          for (const batch of batches) {
            const { root, version } = await smt.apply(batch);
            model.apply(batch);
            expect(toHex(root)).toBe(toHex(model.root()));
            expect(version).toBe(BigInt(roots.length));
            roots.push(root);
            const snap = new Map<string, Uint8Array | null>();
            for (const w of batch) snap.set(toHex(w.key), model.get(w.key));
            snapshots.push(snap);
          }
          for (let v = 0; v < roots.length; v++)
            expect(equalBytes(smt.root(BigInt(v)), roots[v]!)).toBe(true);
          for (const [i, snap] of snapshots.entries()) {
            for (const [k, want] of snap) {
              const got = await smt.get(Buffer.from(k.slice(2), 'hex'), BigInt(i + 1));
              expect(got === null ? null : toHex(got)).toBe(want === null ? null : toHex(want));
            }
          }
        }),
        { numRuns: 100 },
      );
    });

    it('single proofs verify for the right value only, and only under their own root', async () => {
      await fc.assert(
        fc.asyncProperty(
          batchesArb,
          fc.array(keyArb, { minLength: 1, maxLength: 6 }),
          async (batches, queries) => {
            const smt = Smt.inMemory({ hasher });
            for (const b of batches) await smt.apply(b);
            const v = smt.version();
            for (const key of queries) {
              const value = await smt.get(key);
              const proof = decodeProof(encodeProof(await smt.prove(key)));
              const opts = { hasher };
              expect(verifyProof(smt.root(), key, value, proof, opts)).toBe(true);
              expect(verifyProof(smt.root(), key, other(value), proof, opts)).toBe(false);
              if (value !== null) {
                const changed = value.slice();
                changed[0]! ^= 1;
                expect(verifyProof(smt.root(), key, changed, proof, opts)).toBe(false);
              }
              // A membership proof names its key; an absence proof may also cover other absent keys.
              const otherKey = new TextEncoder().encode('not-a-key');
              if (value !== null) expect(verifyProof(smt.root(), otherKey, value, proof, opts)).toBe(false);
              for (let old = 0n; old < v; old++) {
                if (equalBytes(smt.root(old), smt.root())) continue;
                expect(verifyProof(smt.root(old), key, value, proof, opts)).toBe(false);
              }
            }
          },
        ),
        { numRuns: 100 },
      );
    });

    it('multiproofs verify for the right entries only', async () => {
      await fc.assert(
        fc.asyncProperty(
          batchesArb,
          fc.array(keyArb, { minLength: 1, maxLength: 12 }),
          async (batches, keys) => {
            const smt = Smt.inMemory({ hasher });
            for (const b of batches) await smt.apply(b);
            const entries = await Promise.all(keys.map(async (key) => ({ key, value: await smt.get(key) })));
            const proof = decodeMultiProof(encodeMultiProof(await smt.proveMany(keys)));
            expect(verifyMultiProof(smt.root(), entries, proof, { hasher })).toBe(true);
            const i = entries.length - 1;
            const wrong = entries.map((e, j) => (j === i ? { key: e.key, value: other(e.value) } : e));
            expect(verifyMultiProof(smt.root(), wrong, proof, { hasher })).toBe(false);
            if (smt.version() > 1n && !equalBytes(smt.root(1n), smt.root())) {
              expect(verifyMultiProof(smt.root(1n), entries, proof, { hasher })).toBe(false);
            }
          },
        ),
        { numRuns: 100 },
      );
    });

    it('transition proofs take the old root to the new one, and no other', async () => {
      await fc.assert(
        fc.asyncProperty(
          batchesArb,
          fc.array(writeArb, { minLength: 1, maxLength: 25 }),
          async (batches, last) => {
            const smt = Smt.inMemory({ hasher });
            for (const b of batches) await smt.apply(b);
            const oldRoot = smt.root();
            const { root, transition } = await smt.apply(last, { proveTransition: true });
            const proof = decodeTransition(encodeTransition(transition!));
            expect(verifyTransition(oldRoot, root, last, proof, { hasher })).toBe(true);
            // Altered writes: flip one write between set and delete, or change its value.
            const altered = last.map((w, j) =>
              j === last.length - 1 ? { key: w.key, value: other(w.value) } : w,
            );
            const sameEffect = toHex(new NaiveTreeAfter(hasher, batches, altered).root()) === toHex(root);
            if (!sameEffect) expect(verifyTransition(oldRoot, root, altered, proof, { hasher })).toBe(false);
            const fakeRoot = root.slice();
            fakeRoot[31]! ^= 1;
            expect(verifyTransition(oldRoot, fakeRoot, last, proof, { hasher })).toBe(false);
          },
        ),
        { numRuns: 100 },
      );
    });
  });
}

/** The model after `batches` then `last`, for deciding whether an altered batch is a no-op. */
class NaiveTreeAfter extends NaiveTree {
  constructor(hasher: HasherName, batches: Write[][], last: Write[]) {
    super(hasher);
    for (const b of batches) this.apply(b);
    this.apply(last);
  }
}

describe('stateless next root from a witness', () => {
  it('transitionRoot from a witness made before applying equals the root after applying', async () => {
    const { transitionRoot } = await import('../src/smt/index.js');
    await fc.assert(
      fc.asyncProperty(
        batchesArb,
        fc.array(writeArb, { minLength: 0, maxLength: 25 }),
        async (batches, last) => {
          const smt = Smt.inMemory();
          for (const b of batches) await smt.apply(b);
          const witness = smt.proveTransitionSync(last.map((w) => w.key));
          const predicted = transitionRoot(smt.root(), last, witness);
          const { root } = await smt.apply(last);
          expect(predicted === null ? null : toHex(predicted)).toBe(toHex(root));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('pruning frees exactly what no retained version reaches', () => {
  type Op = { t: 'apply'; writes: Write[] } | { t: 'prune'; back: number } | { t: 'reopen' };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.array(writeArb, { maxLength: 25 }).map((writes) => ({ t: 'apply', writes }) as Op),
    },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }).map((back) => ({ t: 'prune', back }) as Op) },
    { weight: 1, arbitrary: fc.constant({ t: 'reopen' } as Op) },
  );

  for (const persisted of [false, true]) {
    it(`after random batches and prunes every retained version verifies and nothing unreachable is left (${persisted ? 'on a store, reopened' : 'in memory'})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
          const store = new MemoryNodeStore();
          // Compact on every prune that frees more than half of the node slots.
          const compactAlways = (t: Smt) => {
            (t as unknown as { compactMinSlots: number }).compactMinSlots = 0;
            return t;
          };
          let smt = compactAlways(persisted ? await Smt.open(store) : Smt.inMemory());
          const model = new NaiveTree();
          // models[v] = the contents of version v
          const models: Map<string, Uint8Array>[] = [new Map()];
          const alphabet = Array.from({ length: 41 }, (_, i) => new TextEncoder().encode(`k${i}`));
          const sweep = (t: Smt) => (t as unknown as { sweep(): void }).sweep();
          for (const op of ops) {
            if (op.t === 'apply') {
              await smt.apply(op.writes);
              model.apply(op.writes);
              models.push(new Map([...model.entries.values()].map((e) => [toHex(e.key), e.value])));
              continue;
            }
            if (op.t === 'reopen') {
              if (!persisted) continue;
              await smt.close();
              smt = compactAlways(await Smt.open(store));
              continue;
            }
            const keepFrom = smt.version() - BigInt(op.back);
            if (keepFrom < smt.firstVersion()) continue;
            await smt.prune(keepFrom);
            expect(smt.checkIntegrity()).toEqual([]);
            // Exact on disk too: the store holds exactly the pages and leaf records that the
            // retained versions reach.
            if (persisted) expect(store.contents()).toEqual(reachable(store));
            for (let v = smt.firstVersion(); v <= smt.version(); v++) {
              const want = models[Number(v)]!;
              for (const key of alphabet) {
                const value = want.get(toHex(key)) ?? null;
                const proof = smt.proveSync(key, v);
                expect(verifyProof(smt.root(v), key, value, proof)).toBe(true);
              }
            }
            // A full mark-and-sweep from the retained roots finds nothing left to free.
            if (smt.firstVersion() >= (smt as unknown as { sweepUntil: bigint }).sweepUntil) {
              const count = smt.nodeCount();
              sweep(smt);
              expect(smt.nodeCount()).toBe(count);
            }
          }
          await smt.prune(smt.version());
          if (persisted) expect(store.contents()).toEqual(reachable(store));
          const fresh = Smt.inMemory();
          await fresh.apply([...model.entries.values()].map((e) => ({ key: e.key, value: e.value })));
          expect(smt.nodeCount()).toBe(fresh.nodeCount());
          expect(toHex(smt.root())).toBe(toHex(fresh.root()));
          await smt.close();
        }),
        { numRuns: 60 },
      );
    });
  }
});
