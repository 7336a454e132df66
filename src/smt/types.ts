// Public types of the authenticated tree (ARCHITECTURE.md §3; encodings in docs/proofs.md).

/** A write in a batch: `value: null` deletes the key. The last write to a key in a batch wins. */
export type Write = { key: Uint8Array; value: Uint8Array | null };

/** The hash preset, fixed per tree: `weft` (default, 64-byte node inputs) or `jmt` (penumbra-zone/jmt). */
export type HasherName = 'weft' | 'jmt';

export type VerifyOptions = { hasher?: HasherName };

/**
 * What a single proof ends on at `depth`: the queried key's own leaf (its value comes from the
 * caller), an empty subtree, or another key's leaf (which proves the queried key absent).
 */
export type Terminal =
  | { kind: 'member' }
  | { kind: 'empty' }
  | { kind: 'leaf'; keyHash: Uint8Array; valueHash: Uint8Array };

/**
 * A single-key proof: the walk from the root down `depth` levels along the key's bits.
 * `bitmap` has bit i (most significant bit of byte i>>3 first) set when the sibling at depth i
 * is non-empty; `siblings` holds the non-empty ones, top (depth 0) first.
 */
export type Proof = {
  depth: number;
  bitmap: Uint8Array;
  siblings: Uint8Array[];
  terminal: Terminal;
};

/**
 * What a multi-key proof shows beside the queried path: nothing (empty), a bare hash, or a
 * hash's opening (a leaf's key and value hashes, or an internal node's two children). `jmt`
 * transition proofs must open their siblings: their hashes alone do not say whether a node is a
 * leaf, which a delete needs to know to collapse a subtree.
 */
export type Sibling =
  | { k: 'empty' }
  | { k: 'hash'; hash: Uint8Array }
  | { k: 'leaf'; keyHash: Uint8Array; valueHash: Uint8Array }
  | { k: 'internal'; left: Uint8Array; right: Uint8Array };

/**
 * One step of a multi-key proof, in pre-order over the union of the queried paths.
 * The verifier decides where to go from the queried keys' own bits; a step only says what the
 * tree holds there.
 */
export type MultiStep =
  /** an internal node whose queried keys go both ways: left subtree, then right subtree follow */
  | { t: 'split' }
  /** an internal node whose queried keys all go one way; the other side is given */
  | { t: 'side'; sibling: Sibling }
  /** an empty subtree: every queried key below is absent */
  | { t: 'empty' }
  /** the leaf of the single queried key below (value from the caller) */
  | { t: 'member' }
  /** a leaf given in full: a member if its keyHash is queried, else proof of absence */
  | { t: 'leaf'; keyHash: Uint8Array; valueHash: Uint8Array };

/** One proof for many keys; each shared sibling is sent once. */
export type MultiProof = { steps: MultiStep[] };

/**
 * Proves `oldRoot -> newRoot` for a set of writes: a multiproof of the written keys against
 * `oldRoot` whose leaves are given in full (`leaf` steps, never `member`), so the verifier can
 * rebuild the old partial tree, apply the writes to it and compare with `newRoot`.
 */
export type TransitionProof = { steps: MultiStep[] };

export type ApplyOptions = { proveTransition?: boolean };

export type ApplyResult = { root: Uint8Array; version: bigint; transition?: TransitionProof };
