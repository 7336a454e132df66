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
export type CommitmentProof = {
  anchor: Uint8Array;
  height: bigint;
  proof: Proof;
  /**
   * An encoded anchor path (weft/domain `encodeAnchorPath`) proving `anchor` through other
   * domains' `0x03` records, for an anchor the executing domain knows only through others. A
   * witness: outside the id. Absent: the anchor must be a root the domain accepted itself.
   */
  path?: Uint8Array;
};

/**
 * What lets a domain consume a resource homed on another domain D: a **refund**. `height` names
 * a header of D this domain accepted (its timestamp must be past the value's deadline) and
 * `proof` shows the resource's nullifier key `0x02 || nf` absent under that header's state root,
 * so D had not let it be claimed by then and, its timestamps never decreasing, never will
 * (docs/transfers.md). Part of the witness, like the commitment proof: the id does not cover it.
 */
export type RefundWitness = {
  height: bigint;
  proof: Proof;
  /**
   * Present for a refund by **refusal**: D recorded under `0x06 || nf` that it refused the claim
   * (docs/transfers.md, "Refusals"), and `proof` shows that record present under the header's
   * state root. Absent: a refund by deadline, `proof` shows `0x02 || nf` absent.
   */
  refusal?: RefusalRecord;
};

/**
 * What a destination records under `0x06 || nf(r')` when it refuses a claim of r' for a reason
 * that waiting cannot lift: the reason, and the height of the block that records it.
 */
export type RefusalRecord = { reason: RefusalReason; height: bigint };

/** The permanent reasons a destination refuses a claim for (each a validation code). */
export type RefusalReason = 'DEADLINE_PASSED' | 'UNKNOWN_LOGIC';

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
  /**
   * In the body (format 2): this input is consumed as a refund, so it must carry a refund
   * witness, and an input without the flag never may (REFUND_FLAG_MISMATCH). Absent: false.
   */
  isRefund?: boolean;
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
 * is then format 3 (format 2 plus the scoped body), and `executor` is required. The tx layer only carries and bounds it; the scope layer decodes it.
 */
export type Transaction = {
  actions: Action[];
  appData: Uint8Array;
  signatures: TxSignature[];
  /**
   * The DomainId of the one domain that may execute the transaction (format 2 or 3; validation refuses
   * it elsewhere with WRONG_EXECUTOR). Absent: a format 1 transaction, valid only where it
   * cannot be read two ways (no refund, no consumed resource with a deadline).
   */
  executor?: Uint8Array;
  scope?: Uint8Array;
};
