// verifyProofs (one batched hash call per tree level for many proofs) must give exactly the
// verdicts of verifyProof one proof at a time, for honest and adversarial proofs alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../src/crypto/index.js';
import {
  type HasherName,
  type Proof,
  type ProofQuery,
  Smt,
  verifyProof,
  verifyProofs,
} from '../src/smt/index.js';
import { expectCode } from './support.js';

const key = (i: number) => utf8(`key-${i}`);
const val = (i: number) => utf8(`value-${i}`);

async function tree(n: number, hasher: HasherName = 'weft'): Promise<{ smt: Smt; roots: Uint8Array[] }> {
  const smt = Smt.inMemory({ hasher });
  const roots = [smt.root()];
  // Two versions, so proofs against an old root and a new one both occur.
  await smt.apply(Array.from({ length: n >> 1 }, (_, i) => ({ key: key(i), value: val(i) })));
  roots.push(smt.root());
  await smt.apply(
    Array.from({ length: n - (n >> 1) }, (_, i) => ({ key: key((n >> 1) + i), value: val(i) })),
  );
  roots.push(smt.root());
  return { smt, roots };
}

const clone = <T>(x: T): T => structuredClone(x);

/** The ways a proof or its query is tampered with; 0 leaves it honest. */
const TAMPERS = 10;

function tamper(q: ProofQuery, how: number, pick: number): ProofQuery {
  const proof: Proof = clone(q.proof);
  const out: ProofQuery = { root: q.root, key: q.key, value: q.value, proof };
  switch (how) {
    case 1: // a wrong sibling
      if (proof.siblings.length > 0) proof.siblings[pick % proof.siblings.length]![pick % 32]! ^= 1;
      else out.root = out.root.map((b, i) => (i === 0 ? b ^ 1 : b));
      break;
    case 2: // a wrong path bit (the bitmap says a sibling is where it is not, or the reverse)
      if (proof.depth > 0) proof.bitmap[(pick % proof.depth) >> 3]! ^= 0x80 >> ((pick % proof.depth) & 7);
      else proof.depth = 1;
      break;
    case 3: // a wrong root
      out.root = out.root.map((b, i) => (i === pick % 32 ? b ^ 0x40 : b));
      break;
    case 4: // truncated: a sibling fewer
      proof.siblings.pop();
      break;
    case 5: // truncated: shallower, siblings and bitmap cut to match
      if (proof.depth > 0) {
        proof.depth -= 1;
        proof.bitmap = proof.bitmap.slice(0, (proof.depth + 7) >> 3);
        if (proof.depth % 8 !== 0 && proof.bitmap.length > 0)
          proof.bitmap[proof.bitmap.length - 1]! &= 0xff << (8 - (proof.depth % 8));
        const set = [...Array(proof.depth).keys()].filter(
          (d) => (proof.bitmap[d >> 3]! >> (7 - (d & 7))) & 1,
        ).length;
        proof.siblings = proof.siblings.slice(proof.siblings.length - set);
      } else proof.terminal = { kind: 'empty' };
      break;
    case 6: // the wrong value, or a member claimed absent
      out.value = out.value === null ? val(pick) : pick % 2 === 0 ? null : utf8(`other-${pick}`);
      break;
    case 7: // a sibling cut short
      if (proof.siblings.length > 0) proof.siblings[0] = proof.siblings[0]!.subarray(0, 31);
      else proof.bitmap = new Uint8Array(proof.bitmap.length + 1);
      break;
    case 8: // another key
      out.key = key(100_000 + pick);
      break;
    case 9: // not a proof at all
      (out as { proof: unknown }).proof = pick % 2 === 0 ? null : { depth: -1 };
      break;
  }
  return out;
}

describe('verifyProofs: batched verification gives the per-proof verdicts', () => {
  for (const hasher of ['weft', 'jmt'] as const) {
    it(`same accept/refuse as verifyProof for honest and adversarial proofs (${hasher})`, async () => {
      const { smt, roots } = await tree(300, hasher);
      // Members, absences (empty and another leaf) against each version.
      const honest: ProofQuery[] = [];
      for (let v = 0; v < roots.length; v++) {
        for (let i = 0; i < 400; i += 7) {
          const present = v === 2 ? i < 300 : v === 1 ? i < 150 : false;
          const value = present ? (i < 150 ? val(i) : val(i - 150)) : null;
          honest.push({ root: roots[v]!, key: key(i), value, proof: smt.proveSync(key(i), BigInt(v)) });
        }
      }
      for (const q of honest) expect(verifyProof(q.root, q.key, q.value, q.proof, { hasher })).toBe(true);
      await fc.assert(
        fc.property(
          fc.array(
            fc.record({
              at: fc.nat(honest.length - 1),
              how: fc.nat(TAMPERS - 1),
              pick: fc.nat(1000),
            }),
            { minLength: 0, maxLength: 40 },
          ),
          (picks) => {
            const queries = picks.map((p) => tamper(honest[p.at]!, p.how, p.pick));
            const one = queries.map((q) => verifyProof(q.root, q.key, q.value, q.proof, { hasher }));
            expect(verifyProofs(queries, { hasher })).toEqual(one);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('every tamper is refused alone and in a batch of honest proofs', async () => {
    const { smt, roots } = await tree(200);
    const root = roots[2]!;
    const honest: ProofQuery[] = Array.from({ length: 30 }, (_, i) => ({
      root,
      key: key(i * 11),
      value: i * 11 < 200 ? (i * 11 < 100 ? val(i * 11) : val(i * 11 - 100)) : null,
      proof: smt.proveSync(key(i * 11)),
    }));
    for (let how = 1; how < TAMPERS; how++) {
      for (let at = 0; at < honest.length; at += 5) {
        const batch = honest.slice();
        batch[at] = tamper(honest[at]!, how, at + how);
        const want = honest.map((_, i) => i !== at);
        expect(verifyProofs(batch)).toEqual(want);
      }
    }
  });

  it('refuses what is not a batch, and a batch over its limit', () => {
    expectCode(() => verifyProofs('x' as unknown as ProofQuery[]), 'BAD_INPUT');
    expect(verifyProofs([])).toEqual([]);
    expect(
      verifyProofs([{ root: new Uint8Array(32) } as ProofQuery], { hasher: 'nope' as HasherName }),
    ).toEqual([false]);
  });
});
