// The proof inspector's checks, in the browser: decode the node's proof with the project's codec
// and verify it with the project's verifier (src/smt, bundled; the smt index would pull LMDB in,
// so the two files are imported directly), against the root of the header the node signed.
import { equalBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/sha256.js';
import { bitAt } from '../../src/smt/bits.js';
import { treeHasher } from '../../src/smt/hasher.js';
import { decodeProof } from '../../src/smt/proofCodec.js';
import type { Proof } from '../../src/smt/types.js';
import { verifyProof } from '../../src/smt/verify.js';
import type { SignedHeaderJson, StateProofJson } from './wire.js';

export type ProofKind = 'commitment' | 'nullifier';

/** Tree key prefixes (src/tx/treeKeys.ts: 0x01 || cm, 0x02 || nf). */
const KEY_PREFIX: Record<ProofKind, number> = { commitment: 0x01, nullifier: 0x02 };

/** The tree key of a commitment or nullifier, as src/tx/treeKeys.ts builds it. */
export function treeKey(kind: ProofKind, item: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + item.length);
  key[0] = KEY_PREFIX[kind];
  key.set(item, 1);
  return key;
}

/** One level of the drawn path, root first: which way the key goes and what sits beside it. */
export type PathLevel = {
  depth: number;
  /** 0: the key goes left, 1: right */
  bit: number;
  /** the sibling's hash (the empty subtree's when the proof leaves it out) */
  sibling: string;
  siblingEmpty: boolean;
  /** the node on the key's path at this depth, recomputed from below */
  node: string;
};

export type ProofReport = {
  kind: ProofKind;
  item: string;
  height: string;
  root: string;
  /** present (membership) or absent */
  present: boolean;
  /** for a commitment, the height it was created at (the stored value) */
  createdAt: string | null;
  /** the key the node proved is the one this page asked about */
  keyMatches: boolean;
  /** the proof's root is the state root of the header the node serves for that height */
  rootMatchesHeader: boolean | null;
  headerHash: string | null;
  /** verifyProof(root, key, value, proof), run in this page */
  verified: boolean;
  terminal: Proof['terminal']['kind'];
  path: PathLevel[];
};

/**
 * Checks a node's answer about `item` at `height`: decodes the proof, recomputes the key, compares
 * the root with the header's, and runs the verifier. Throws only when the answer does not decode.
 */
export function inspectProof(
  kind: ProofKind,
  itemHex: string,
  answer: StateProofJson,
  header: SignedHeaderJson | null,
): ProofReport {
  const item = fromHex(itemHex, 32, kind);
  const key = treeKey(kind, item);
  const root = fromHex(answer.root, 32, 'root');
  const value = answer.value === null ? null : fromHex(answer.value, undefined, 'value');
  const proof = decodeProof(fromHex(answer.proof, undefined, 'proof'));
  const keyMatches = equalBytes(fromHex(answer.key, undefined, 'key'), key);
  const verified = keyMatches && verifyProof(root, key, value, proof);
  return {
    kind,
    item: toHex(item),
    height: answer.height,
    root: answer.root,
    present: value !== null,
    createdAt: value !== null && value.length === 8 ? readU64(value).toString() : null,
    keyMatches,
    rootMatchesHeader:
      header === null
        ? null
        : header.header.stateRoot === answer.root && header.header.height === answer.height,
    headerHash: header?.headerHash ?? null,
    verified,
    terminal: proof.terminal.kind,
    path: pathOf(key, value, proof),
  };
}

function readU64(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/**
 * The path the proof describes, for drawing. Only a picture: the verdict is verifyProof's. A
 * malformed proof draws what it can (verifyProof has already said no).
 */
export function pathOf(key: Uint8Array, value: Uint8Array | null, proof: Proof): PathLevel[] {
  const h = treeHasher('weft');
  const keyHash = sha256(key);
  let node: Uint8Array;
  const t = proof.terminal;
  if (t.kind === 'member' && value !== null) node = h.leaf(keyHash, sha256(value));
  else if (t.kind === 'leaf') node = h.leaf(t.keyHash, t.valueHash);
  else node = h.empty;
  const levels: PathLevel[] = [];
  let next = proof.siblings.length - 1;
  const depth = Math.min(proof.depth, proof.bitmap.length * 8);
  for (let d = depth - 1; d >= 0; d--) {
    const present = bitAt(proof.bitmap, d) === 1 && next >= 0;
    const sibling = present ? proof.siblings[next--]! : h.empty;
    const bit = bitAt(keyHash, d);
    levels.push({ depth: d, bit, sibling: toHex(sibling), siblingEmpty: !present, node: toHex(node) });
    node = bit === 0 ? h.internal(node, sibling) : h.internal(sibling, node);
  }
  return levels.reverse();
}
