// The proof inspector's checks (web/src/proof.ts) and the browser shims under them, in Node: an
// honest answer verifies, and every way a node could lie about a proof is refused.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signedHeaderToJson, stateProofToJson } from '../src/api/wire.js';
import { toHex } from '../src/crypto/index.js';
import type { Domain } from '../src/domain/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { commitmentKey } from '../src/tx/index.js';
import { inspectProof, treeKey } from '../web/src/proof.js';
import { hexBuffer } from '../web/src/shims/buffer.js';
import { createHash as browserCreateHash } from '../web/src/shims/nodeCrypto.js';
import type { StateProofJson } from '../web/src/wire.js';
import { alice, type Coin, makeDomain, Wallet } from './helpers/domain.js';

let domain: Domain;
const coins: Coin[] = [];
beforeAll(async () => {
  domain = await makeDomain('inspector');
  const w = new Wallet(domain, 'inspector');
  for (let i = 0; i < 12; i++) coins.push(await w.mint(alice.publicKey, BigInt(i + 1)));
});

const header = (h: bigint) => signedHeaderToJson(domain.header(h)!);
const cmOf = (c: Coin) => toHex(commitment(c.resource));

/** Flips one bit of a hex string's byte `i` (after the 0x). */
function flip(hex: string, i: number): string {
  const at = 2 + 2 * i;
  const byte = (Number.parseInt(hex.slice(at, at + 2), 16) ^ 1).toString(16).padStart(2, '0');
  return hex.slice(0, at) + byte + hex.slice(at + 2);
}

/** inspectProof's verdict, with an answer that does not decode counted as refused. */
function verdict(
  kind: 'commitment' | 'nullifier',
  item: string,
  answer: StateProofJson,
  h = header(BigInt(answer.height)),
) {
  try {
    const r = inspectProof(kind, item, answer, h);
    return r.verified && r.rootMatchesHeader === true;
  } catch {
    return false;
  }
}

describe('the proof inspector', () => {
  it('builds the tree key as the domain does', () => {
    const cm = commitment(coins[0]!.resource);
    expect(toHex(treeKey('commitment', cm))).toBe(toHex(commitmentKey(cm)));
  });

  it('verifies membership at every height since creation, and absence before it', () => {
    const c = coins[5]!;
    const cm = commitment(c.resource);
    for (let h = 0n; h <= domain.committedHeight; h++) {
      const answer = stateProofToJson(domain.proveCommitment(cm, h));
      const r = inspectProof('commitment', toHex(cm), answer, header(h));
      expect(r.verified).toBe(true);
      expect(r.rootMatchesHeader).toBe(true);
      expect(r.present).toBe(r.createdAt !== null);
      if (r.present) expect(BigInt(r.createdAt!)).toBeLessThanOrEqual(h);
    }
  });

  it('verifies the absence of a nullifier never spent, and draws one level per proof level', () => {
    const nf = nullifier(coins[0]!.resource, coins[0]!.nk);
    const answer = stateProofToJson(domain.proveNullifier(nf));
    const r = inspectProof('nullifier', toHex(nf), answer, header(BigInt(answer.height)));
    expect(r).toMatchObject({ verified: true, present: false, keyMatches: true, rootMatchesHeader: true });
    expect(r.path.map((l) => l.depth)).toEqual(r.path.map((_, i) => i));
  });

  it('refuses every single-bit change to the proof, the root, the key or the value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 11 }),
        fc.nat(),
        fc.constantFrom('proof', 'root', 'key', 'value'),
        (ci, at, field) => {
          const cm = cmOf(coins[ci]!);
          const honest = stateProofToJson(domain.proveCommitment(commitment(coins[ci]!.resource)));
          expect(verdict('commitment', cm, honest)).toBe(true);
          const text = honest[field as keyof StateProofJson] as string;
          const bytes = (text.length - 2) / 2;
          const lied = { ...honest, [field]: flip(text, at % bytes) };
          expect(verdict('commitment', cm, lied)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses membership claimed as absence, a proof for another item, and a root from another height', () => {
    const c = coins[3]!;
    const honest = stateProofToJson(domain.proveCommitment(commitment(c.resource)));
    expect(verdict('commitment', cmOf(c), { ...honest, value: null })).toBe(false);
    expect(verdict('commitment', cmOf(coins[4]!), honest)).toBe(false);
    // The node answers with an older tree's proof but claims the tip's height: the header says no.
    const old = stateProofToJson(domain.proveCommitment(commitment(c.resource), domain.committedHeight - 1n));
    expect(verdict('commitment', cmOf(c), { ...old, height: honest.height })).toBe(false);
  });
});

describe('the browser shims', () => {
  it('hash like node:crypto at every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const want = createHash('sha256').update(data).digest();
        expect(toHex(browserCreateHash('sha256').update(data).digest())).toBe(toHex(want));
      }),
    );
  });

  it('decode hex like Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(toHex(hexBuffer.from(toHex(data).slice(2), 'hex'))).toBe(toHex(data));
      }),
    );
  });
});
