// The tree's single proofs keep their siblings packed until `siblings` is read (src/smt/packedProof.ts).
// Whatever a caller does with one — encode it, verify it, read, clone, spread or mutate it — it
// must behave exactly as the plain proof object with the same fields.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../src/crypto/index.js';
import {
  decodeProof,
  encodedProofBytes,
  encodeProof,
  type HasherName,
  type Proof,
  Smt,
  verifyProof,
} from '../src/smt/index.js';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const entries = fc.uniqueArray(
  fc.record({ key: bytes32, value: fc.uint8Array({ minLength: 0, maxLength: 40 }) }),
  {
    minLength: 0,
    maxLength: 300,
    selector: (e) => Buffer.from(e.key).toString('hex'),
  },
);

/** The proof as the plain object every layer knew before: fresh arrays and buffers, no accessor. */
function plain(p: Proof): Proof {
  const terminal =
    p.terminal.kind === 'leaf'
      ? {
          kind: 'leaf' as const,
          keyHash: p.terminal.keyHash.slice(),
          valueHash: p.terminal.valueHash.slice(),
        }
      : { kind: p.terminal.kind };
  return { depth: p.depth, bitmap: p.bitmap.slice(), siblings: p.siblings.map((s) => s.slice()), terminal };
}

async function treeOf(es: { key: Uint8Array; value: Uint8Array }[], hasher: HasherName): Promise<Smt> {
  const smt = Smt.inMemory({ hasher });
  if (es.length > 0) await smt.apply(es);
  return smt;
}

const flip = (b: Uint8Array, at: number): Uint8Array => {
  const c = b.slice();
  c[at % c.length]! ^= 0x01;
  return c;
};

describe('packed single proofs', () => {
  it('encode to the same bytes and get the same verdicts as the plain proof, members and non-members', async () => {
    await fc.assert(
      fc.asyncProperty(
        entries,
        fc.array(bytes32, { maxLength: 8 }),
        fc.constantFrom<HasherName>('weft', 'jmt'),
        async (es, absent, hasher) => {
          const smt = await treeOf(es, hasher);
          const root = smt.root();
          const queries = [
            ...es.slice(0, 8).map((e) => ({ key: e.key, value: e.value as Uint8Array | null })),
            ...absent.map((key) => ({ key, value: smt.getSync(key) })),
          ];
          for (const q of queries) {
            // Two fresh proofs: one stays packed (never read), one is read into a plain copy.
            const packed = smt.proveSync(q.key);
            const reference = plain(smt.proveSync(q.key));
            const opts = { hasher };
            expect(encodeProof(packed)).toEqual(encodeProof(reference));
            expect(encodedProofBytes(packed)).toBe(encodeProof(reference).length);
            expect(verifyProof(root, q.key, q.value, packed, opts)).toBe(true);
            expect(verifyProof(root, q.key, q.value, reference, opts)).toBe(true);
            // Wrong value, wrong key, wrong root: the same refusal from both forms.
            const wrongValue = q.value === null ? new Uint8Array([1]) : null;
            const otherKey = flip(q.key, 31);
            const otherRoot = flip(root, 0);
            for (const [r, k, v] of [
              [root, q.key, wrongValue],
              [root, otherKey, q.value],
              [otherRoot, q.key, q.value],
            ] as const) {
              expect(verifyProof(r, k, v, packed, opts)).toBe(verifyProof(r, k, v, reference, opts));
            }
            expect(verifyProof(root, q.key, wrongValue, packed, opts)).toBe(false);
            expect(verifyProof(otherRoot, q.key, q.value, packed, opts)).toBe(false);
            // Still never read, so the checks above took the packed path; now the plain view.
            expect(plain(packed)).toEqual(reference);
            expect(packed).toEqual(reference);
            expect(decodeProof(encodeProof(packed))).toEqual(reference);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses every mutated sibling, whether changed through the views or replaced', async () => {
    await fc.assert(
      fc.asyncProperty(entries, fc.nat(), fc.nat(255), async (es, pick, bit) => {
        fc.pre(es.length >= 2);
        const smt = await treeOf(es, 'weft');
        const e = es[pick % es.length]!;
        const root = smt.root();
        const n = smt.proveSync(e.key).siblings.length;
        fc.pre(n > 0);
        const i = pick % n;
        // Through the views the getter hands out (they alias the packed bytes).
        const viaView = smt.proveSync(e.key);
        viaView.siblings[i]![bit >> 3]! ^= 0x80 >> (bit & 7);
        expect(verifyProof(root, e.key, e.value, viaView)).toBe(false);
        expect(encodeProof(viaView)).toEqual(encodeProof(plain(viaView)));
        // Replacing one entry, or the whole array.
        const replaced = smt.proveSync(e.key);
        replaced.siblings[i] = flip(replaced.siblings[i]!, bit);
        expect(verifyProof(root, e.key, e.value, replaced)).toBe(false);
        const assigned = smt.proveSync(e.key);
        assigned.siblings = assigned.siblings.map((s, j) => (j === i ? flip(s, bit) : s));
        expect(verifyProof(root, e.key, e.value, assigned)).toBe(false);
        // An extra or a missing sibling.
        const extra = smt.proveSync(e.key);
        extra.siblings.push(new Uint8Array(32));
        expect(verifyProof(root, e.key, e.value, extra)).toBe(false);
        expect(() => encodeProof(extra)).toThrow(/bitmap marks/);
        const missing = smt.proveSync(e.key);
        missing.siblings.pop();
        expect(verifyProof(root, e.key, e.value, missing)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a packed proof whose bitmap, depth or terminal was changed without reading its siblings', async () => {
    const es = Array.from({ length: 500 }, (_, i) => ({
      key: sha256(new Uint8Array([i, i >> 8])),
      value: new Uint8Array([i]),
    }));
    const smt = await treeOf(es, 'weft');
    const root = smt.root();
    const { key, value } = es[17]!;
    const depth = smt.proveSync(key).depth;
    for (let bit = 0; bit < depth; bit++) {
      const p = smt.proveSync(key);
      p.bitmap[bit >> 3]! ^= 0x80 >> (bit & 7);
      expect(verifyProof(root, key, value, p)).toBe(false);
      expect(() => encodeProof(p)).toThrow(/bitmap marks/);
    }
    const deeper = smt.proveSync(key);
    deeper.depth += 1;
    expect(verifyProof(root, key, value, deeper)).toBe(false);
    const empty = smt.proveSync(key);
    empty.terminal = { kind: 'empty' };
    expect(verifyProof(root, key, value, empty)).toBe(false);
    expect(verifyProof(root, key, null, empty)).toBe(false);
    // The untouched proof still verifies, and proofs made after these are unaffected.
    expect(verifyProof(root, key, value, smt.proveSync(key))).toBe(true);
  });

  it('is an ordinary proof to spread, structuredClone and JSON, and its siblings cannot be deleted', async () => {
    const es = Array.from({ length: 64 }, (_, i) => ({
      key: sha256(new Uint8Array([i])),
      value: new Uint8Array([i, 1]),
    }));
    const smt = await treeOf(es, 'weft');
    const root = smt.root();
    const { key, value } = es[5]!;
    const reference = plain(smt.proveSync(key));
    expect(reference.siblings.length).toBeGreaterThan(0);

    const spread = { ...smt.proveSync(key) };
    expect(Object.keys(spread).sort()).toEqual(['bitmap', 'depth', 'siblings', 'terminal']);
    expect(spread).toEqual(reference);
    expect(verifyProof(root, key, value, spread)).toBe(true);
    expect(verifyProof(root, key, value, { ...smt.proveSync(key), depth: reference.depth + 1 })).toBe(false);

    const cloned = structuredClone(smt.proveSync(key));
    expect(cloned).toEqual(reference);
    expect(verifyProof(root, key, value, cloned)).toBe(true);

    const json = JSON.parse(JSON.stringify(smt.proveSync(key))) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['bitmap', 'depth', 'siblings', 'terminal']);
    expect((json.siblings as unknown[]).length).toBe(reference.siblings.length);

    const p = smt.proveSync(key);
    expect(() => {
      delete (p as { siblings?: unknown }).siblings;
    }).toThrow(TypeError);
    expect(verifyProof(root, key, value, p)).toBe(true);
    // Reading twice gives the same array, so edits to it stick.
    expect(p.siblings).toBe(p.siblings);
  });

  it('keeps each retained proof intact while many more are made (regions of the shared buffer are never reused)', async () => {
    const es = Array.from({ length: 2000 }, (_, i) => ({
      key: sha256(new Uint8Array([i, i >> 8, 7])),
      value: new Uint8Array([i & 255]),
    }));
    const smt = await treeOf(es, 'weft');
    const root = smt.root();
    const kept = es.map((e) => ({
      e,
      proof: smt.proveSync(e.key),
      bytes: encodeProof(plain(smt.proveSync(e.key))),
    }));
    for (const { e, proof, bytes } of kept) {
      expect(encodeProof(proof)).toEqual(bytes);
      expect(verifyProof(root, e.key, e.value, proof)).toBe(true);
    }
  });
});
