// Refunds: giving back, on the source domain, a resource a move locked for a destination that
// did not let it be claimed before its deadline. The owner signs the refund up front (its
// witness is not covered by the id); whoever drives it fills in the proofs later.
import { assertBytes, check, type KeyPair, WeftError } from '../crypto/index.js';
import { decodeValue, type Random, type ResourceParts, rehome } from '../resource/index.js';
import { type CommitmentProof, type RefundWitness, signTransaction, type Transaction } from '../tx/index.js';

export type RefundParameters = {
  /** the moved resource r' (homed on the destination, with a deadline) and its nullifier key */
  moved: ResourceParts & { nk: Uint8Array };
  /** DomainId of the source: the domain whose move created r' and that gives it back */
  source: Uint8Array;
  /** the owner, who signs now; the refund needs no key later */
  owner: KeyPair;
  random?: Random;
};

/**
 * The refund of a moved resource, signed by its owner: consumes r' (no commitment proof and no
 * refund witness yet: `withRefundWitness` adds them, or the source fills in the commitment proof
 * as for any network transaction) and creates the same resource homed on the source, without a
 * deadline (`rehome`: same owner, kind and quantity; fresh nonce and randSeed). The refunded
 * resource is `tx.actions[0].created[0]`, spendable with the same nullifier key. The source
 * accepts it only once a header of the destination past the deadline proves r' unclaimed.
 *
 * @example
 * const refund = planRefund({ moved: plan.moved, source: a.id, owner: alice });
 * const header = a.remoteHeaders(b.id).find((h) => h.timestamp > deadline)!;
 * const absent = b.proveNullifier(nullifier(plan.moved.resource, plan.moved.nk), header.height);
 * await a.submit(withRefundWitness(refund, { refund: { height: header.height, proof: absent.proof } }));
 */
export function planRefund(p: RefundParameters): Transaction {
  assertBytes(p.source, 32, 'source');
  check(p.moved && typeof p.moved === 'object', 'BAD_INPUT', 'moved must be the moved resource with its nk');
  assertBytes(p.moved.nk, 32, 'moved.nk');
  const value = decodeValue(p.moved.value);
  if (value.deadline === undefined) {
    throw new WeftError(
      'REFUND_NO_DEADLINE',
      'the moved resource has no deadline, so it can never be refunded',
    );
  }
  const back = rehome(p.moved, p.source, p.random);
  return signTransaction(
    {
      actions: [
        {
          consumed: [
            {
              resource: p.moved.resource,
              value: p.moved.value,
              label: p.moved.label,
              nk: p.moved.nk,
              commitmentProof: null,
              isRefund: true,
            },
          ],
          created: [{ resource: back.resource, value: back.value, label: back.label }],
        },
      ],
      appData: new Uint8Array(),
      signatures: [],
      // Signed as a refund on the source alone: on the destination it is not a claim.
      executor: p.source,
    },
    [p.owner],
  );
}

/** The witness of a refund: the commitment proof of r' on the source (optional) and the refund witness. */
export type RefundWitnessParameters = {
  /** r' proven under one of the source's own roots; absent or null: the source fills it in */
  commitmentProof?: CommitmentProof | null;
  refund: RefundWitness;
};

/**
 * `tx` (a refund from `planRefund`) with its witness filled in. The id does not cover the
 * witness, so the owner's signature still holds.
 */
export function withRefundWitness(tx: Transaction, w: RefundWitnessParameters): Transaction {
  const action = tx.actions?.[0];
  check(
    tx.actions?.length === 1 && action?.consumed?.length === 1,
    'BAD_INPUT',
    'a refund consumes exactly one resource in one action (planRefund)',
  );
  check(w?.refund && typeof w.refund === 'object', 'BAD_INPUT', 'the refund witness is missing');
  const consumed = action!.consumed[0]!;
  return {
    ...tx,
    actions: [
      {
        ...action!,
        consumed: [
          {
            ...consumed,
            commitmentProof: w.commitmentProof ?? consumed.commitmentProof,
            refund: w.refund,
          },
        ],
      },
    ],
  };
}
