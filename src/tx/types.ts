// The transaction and its parts (ARCHITECTURE.md §4; encodings in docs/transactions.md).
import type { PublicKey, Signature } from '../crypto/index.js';
import type { Resource } from '../resource/index.js';
import type { Proof } from '../smt/index.js';

/**
 * Proof that a resource's commitment is in the tree whose root is `anchor`: the key
 * `0x01 || cm` holds `height` (u64 big-endian, the height it was created at) under `anchor`.
 * The height is carried because the tree's leaf commits to it; validation takes any height
 * the proof agrees with.
 */
export type CommitmentProof = { anchor: Uint8Array; height: bigint; proof: Proof };

/**
 * What lets a domain consume a resource homed on another domain D: a **refund**. `height` names
 * a header of D this domain accepted (its timestamp must be past the value's deadline) and
 * `proof` shows the resource's nullifier key `0x02 || nf` absent under that header's state root,
 * so D had not let it be claimed by then and, its timestamps never decreasing, never will
 * (docs/transfers.md). Part of the witness, like the commitment proof: the id does not cover it.
 */
export type RefundWitness = { height: bigint; proof: Proof };

/**
 * A resource to consume: the resource, the preimages of its valueRef and labelRef, its
 * nullifier key, (unless ephemeral) the proof that it exists, and for a resource homed on
 * another domain the refund witness. Ephemeral resources carry `commitmentProof: null`; all
 * others must carry one. `refund` is absent (or undefined) for every ordinary spend.
 */
export type Consumed = {
  resource: Resource;
  value: Uint8Array;
  label: Uint8Array;
  nk: Uint8Array;
  commitmentProof: CommitmentProof | null;
  refund?: RefundWitness;
};

/** A resource to create, with the preimages of its valueRef and labelRef. */
export type Created = { resource: Resource; value: Uint8Array; label: Uint8Array };

export type Action = { consumed: Consumed[]; created: Created[] };

/** A signature over the transaction id, with the key that made it (both of one type). */
export type TxSignature = { publicKey: PublicKey; signature: Signature };

/**
 * A transaction: actions, app data and an optional scoped body (what the id commits to), and the
 * signatures over the id (the witness, which the id cannot commit to). Signatures are sorted by
 * encoded public key, one per key, and every one must verify.
 *
 * `scope`, when present, is the canonical encoding of a scoped body (weft/scope: the declared
 * read and write sets, the localGas and scopeGas commitments, and the program calls); the body
 * is then format 2. The tx layer only carries and bounds it; the scope layer decodes it.
 */
export type Transaction = {
  actions: Action[];
  appData: Uint8Array;
  signatures: TxSignature[];
  scope?: Uint8Array;
};
