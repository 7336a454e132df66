// The vault path a Weft domain checks a claim of a vault lock with (weft/tx verifyVaultPath /
// verifyVaultProof) agrees with the vault's tree as VaultCommitmentTree rebuilds it: every leaf's
// path verifies under the root at every count that holds it, and any change — a bit of the
// commitment, of a sibling, another index, another count's root, a proof of another shape — fails.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VaultCommitmentTree } from '../src/evm/index.js';
import { vaultPathProof, verifyVaultPath, verifyVaultProof } from '../src/tx/index.js';

const leaf = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('vault paths', () => {
  it('verify exactly the leaf at its index under the root of a tree holding it', () => {
    fc.assert(
      fc.property(
        fc.array(leaf, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 32 * 8 - 1 }),
        (leaves, pick, extra, bit) => {
          const tree = new VaultCommitmentTree();
          for (const l of leaves) tree.append(l);
          const index = pick % leaves.length;
          const count = index + 1 + (extra % (leaves.length - index));
          const root = tree.root(count);
          const path = tree.path(index, count);
          const cm = leaves[index]!;
          expect(verifyVaultPath(root, cm, index, path)).toBe(true);
          expect(verifyVaultProof(root, cm, BigInt(index), vaultPathProof(path))).toBe(true);
          // A flipped bit of the commitment or of one sibling.
          const badCm = cm.slice();
          badCm[bit >> 3]! ^= 1 << (bit & 7);
          expect(verifyVaultPath(root, badCm, index, path)).toBe(false);
          const badPath = path.map((s) => s.slice());
          badPath[(bit >> 3) % 32]![bit & 31]! ^= 1;
          expect(verifyVaultPath(root, cm, index, badPath)).toBe(false);
          // Another index, and a path one level short or long.
          expect(verifyVaultPath(root, cm, index + 1, path)).toBe(false);
          expect(verifyVaultPath(root, cm, index + 2 ** 31, path)).toBe(false);
          expect(verifyVaultPath(root, cm, index, path.slice(1))).toBe(false);
          expect(verifyVaultPath(root, cm, index, [...path, path[0]!])).toBe(false);
          // A proof of another shape carrying the same siblings.
          const shaped = vaultPathProof(path);
          shaped.bitmap[3] = 0xfe;
          expect(verifyVaultProof(root, cm, BigInt(index), shaped)).toBe(false);
          expect(
            verifyVaultProof(root, cm, BigInt(index), {
              ...vaultPathProof(path),
              terminal: { kind: 'empty' },
            }),
          ).toBe(false);
          expect(verifyVaultProof(root, cm, BigInt(index), { ...vaultPathProof(path), depth: 31 })).toBe(
            false,
          );
          // Under the root of a tree that does not hold the leaf yet.
          if (index > 0) expect(verifyVaultPath(tree.root(index), cm, index, path)).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });
});
