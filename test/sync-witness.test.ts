// The witness walk full mode relies on: what the old tree held under each written key, and
// proofs of written keys under the new root, checked against the real tree on random batches.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../src/crypto/index.js';
import { Smt, verifyProof, type Write } from '../src/smt/index.js';
import { openTransition, proveWrittenKey } from '../src/sync/index.js';

const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3, max: 7 });
const valueArb = fc.uint8Array({ minLength: 0, maxLength: 4 });
const entriesArb = fc.array(fc.record({ key: keyArb, value: valueArb }), { maxLength: 40 });
const writesArb = fc.array(fc.record({ key: keyArb, value: fc.option(valueArb, { nil: null, freq: 4 }) }), {
  minLength: 1,
  maxLength: 30,
});

async function scenario(base: { key: Uint8Array; value: Uint8Array }[], writes: Write[]) {
  const smt = Smt.inMemory();
  if (base.length > 0) await smt.apply(base);
  const oldVersion = smt.version();
  const oldRoot = smt.root();
  const { root, transition } = await smt.apply(writes, { proveTransition: true });
  return { smt, oldVersion, oldRoot, newRoot: root, transition: transition! };
}

describe('reading a transition witness', () => {
  it('answers, for every written key, exactly what the old tree held', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, writesArb, async (base, writes) => {
        const { smt, oldVersion, oldRoot, transition } = await scenario(base, writes);
        const old = openTransition(oldRoot, writes, transition);
        expect(old).not.toBeNull();
        for (const w of writes) {
          const held = smt.getSync(w.key, oldVersion);
          const answer = old!.lookup(w.key);
          expect(answer).toEqual(
            held === null ? { present: false } : { present: true, valueHash: sha256(held) },
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('derives proofs of written keys that verify under the new root', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, writesArb, async (base, writes) => {
        const { smt, newRoot, transition } = await scenario(base, writes);
        for (const w of writes) {
          const now = smt.getSync(w.key);
          const proof = proveWrittenKey(writes, transition, w.key, newRoot);
          if (now === null) {
            expect(proof).toBeNull();
            continue;
          }
          expect(proof).not.toBeNull();
          expect(verifyProof(newRoot, w.key, now, proof!)).toBe(true);
          expect(proof).toEqual(smt.proveSync(w.key));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a witness against another root, or with a changed sibling', async () => {
    const base = Array.from({ length: 50 }, (_, i) => ({
      key: new Uint8Array([i]),
      value: new Uint8Array([i, i]),
    }));
    const writes: Write[] = [
      { key: new Uint8Array([3]), value: new Uint8Array([9]) },
      { key: new Uint8Array([200]), value: new Uint8Array([1]) },
    ];
    const { oldRoot, newRoot, transition } = await scenario(base, writes);
    expect(openTransition(oldRoot, writes, transition)).not.toBeNull();
    expect(openTransition(newRoot, writes, transition)).toBeNull();
    const bent = transition.steps.map((s) =>
      s.t === 'side' && s.sibling.k === 'hash'
        ? { t: 'side' as const, sibling: { k: 'hash' as const, hash: s.sibling.hash.map((b) => b ^ 1) } }
        : s,
    );
    expect(openTransition(oldRoot, writes, { steps: bent })).toBeNull();
    expect(openTransition(oldRoot, writes.slice(1), transition)).toBeNull();
    expect(proveWrittenKey(writes, { steps: bent }, writes[0]!.key, newRoot)).toBeNull();
    expect(proveWrittenKey(writes, transition, new Uint8Array([77]), newRoot)).toBeNull();
    // A key not written is not covered: the witness says nothing about it.
    expect(openTransition(oldRoot, writes, transition)!.lookup(new Uint8Array([4]))).toBeUndefined();
  });

  it('opens a block that writes nothing as a witness that covers nothing', () => {
    const root = new Uint8Array(32).fill(5);
    expect(openTransition(root, [], { steps: [] })!.lookup(new Uint8Array([1]))).toBeUndefined();
    expect(openTransition(root, [], { steps: [{ t: 'empty' }] })).toBeNull();
  });
});
