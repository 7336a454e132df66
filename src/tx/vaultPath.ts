// A commitment proof anchored on an EVM vault's root (docs/evm.md, "The evm mode"): the vault's
// commitment tree is append-only, depth 32, `node = SHA256(left ‖ right)`, absent leaves 32 zero
// bytes — not a sparse Merkle tree — so a claim of a resource the vault locked carries its leaf
// path instead of an SMT proof. It rides in the ordinary `CommitmentProof` (no new encoding):
// `height` is the leaf index and `proof` a depth-32 proof whose bitmap is full and whose 32
// siblings are the path, bottom first, ending on a `member` terminal. Which encoding applies is
// decided by the anchor (a root this domain accepted in `evm` mode), never by the proof. Pure.
import { concatBytes, equalBytes, sha256, utf8 } from '../crypto/index.js';
import type { Proof } from '../smt/index.js';

/** Levels of a vault's commitment tree (2^32 leaves). */
export const VAULT_TREE_DEPTH = 32;

/** The 32 siblings of a vault leaf (bottom first) as the `proof` of a `CommitmentProof`. */
export function vaultPathProof(path: readonly Uint8Array[]): Proof {
  return {
    depth: VAULT_TREE_DEPTH,
    bitmap: new Uint8Array(VAULT_TREE_DEPTH / 8).fill(0xff),
    siblings: path.map((s) => s.slice()),
    terminal: { kind: 'member' },
  };
}

/** Whether `path` (bottom first) proves `cm` at leaf `index` under the vault root `root`. */
export function verifyVaultPath(
  root: Uint8Array,
  cm: Uint8Array,
  index: bigint | number,
  path: readonly Uint8Array[],
): boolean {
  const i = typeof index === 'number' ? (Number.isInteger(index) ? BigInt(index) : -1n) : index;
  if (!Array.isArray(path) || path.length !== VAULT_TREE_DEPTH) return false;
  if (typeof i !== 'bigint' || i < 0n || i >= 1n << BigInt(VAULT_TREE_DEPTH)) return false;
  let node = cm;
  for (let d = 0; d < VAULT_TREE_DEPTH; d++) {
    const s = path[d];
    if (!(s instanceof Uint8Array) || s.length !== 32) return false;
    node = ((i >> BigInt(d)) & 1n) === 0n ? sha256(concatBytes(node, s)) : sha256(concatBytes(s, node));
  }
  return root instanceof Uint8Array && equalBytes(node, root);
}

/**
 * Whether `proof` is a vault path (`vaultPathProof`'s shape: depth 32, full bitmap, 32 siblings,
 * member terminal) proving `cm` at leaf `index` under `root`.
 */
export function verifyVaultProof(root: Uint8Array, cm: Uint8Array, index: bigint, proof: Proof): boolean {
  if (proof === null || typeof proof !== 'object') return false;
  if (proof.depth !== VAULT_TREE_DEPTH || proof.terminal?.kind !== 'member') return false;
  if (!(proof.bitmap instanceof Uint8Array) || proof.bitmap.length !== VAULT_TREE_DEPTH / 8) return false;
  if (!proof.bitmap.every((b) => b === 0xff)) return false;
  return verifyVaultPath(root, cm, index, proof.siblings);
}

const EXPIRED_TAG = utf8('weft.vault.expired');

/**
 * The leaf a vault appends when it expires the resource with nullifier `nf` (WeftVault `expire`:
 * moved there, not claimed by its deadline): SHA256("weft.vault.expired" ‖ nf). A source domain
 * refunds the resource on its vault path (docs/evm.md, "Refunds of transfers into the vault").
 */
export function vaultExpiredMarker(nf: Uint8Array): Uint8Array {
  return sha256(concatBytes(EXPIRED_TAG, nf));
}
