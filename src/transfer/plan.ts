// Planning a transfer: the owner's signed move, claim and (with a deadline) refund, built up front
// so the driver never needs a key, and the checks a plan made elsewhere must pass before adoption.
import { check, equalBytes, type KeyPair } from '../crypto/index.js';
import type { StateProof } from '../domain/index.js';
import {
  commitment,
  decodeValue,
  type Random,
  type ResourceParts,
  rehome,
  valueRef,
} from '../resource/index.js';
import { type Consumed, type Created, decodeHeight, signTransaction, type Transaction } from '../tx/index.js';
import type { SourceProof } from './machine.js';
import type { TransferPlan } from './record.js';
import { planRefund } from './refund.js';

/** What planning reads of the source domain: its id, and a proof that the resource is committed. */
export type PlanSource = {
  readonly id: Uint8Array;
  proveCommitment(cm: Uint8Array): StateProof | Promise<StateProof>;
};

/** What planning reads of the destination domain: its id, the home of the moved resource. */
export type PlanDestination = { readonly id: Uint8Array };

/**
 * What `planTransfer` needs, and no more: a `TransferDomain` (a local `Domain`, a client) fits
 * `from` and `to` as it is, and a client that planned from one fetched proof passes just that.
 */
export type PlanTransferParameters = {
  from: PlanSource;
  to: PlanDestination;
  /** the resource to move, held on `from`, with its nullifier key */
  resource: ResourceParts & { nk: Uint8Array };
  /** its owner, who signs the move and the claim now (the driver needs no key later) */
  owner: KeyPair;
  random?: Random;
  /**
   * The deadline (ms, compared with the destination's block timestamps) for the claim; past it the
   * destination refuses the claim and the source may refund the moved resource (planRefund).
   * Absent: `nowMs + deadlineAfterMs`. Every transfer has one, so none can wait forever.
   */
  deadline?: bigint;
  /** what "now" is for the default deadline (ms); absent: the wall clock */
  nowMs?: bigint;
  /** how long after `nowMs` the default deadline falls (ms); absent: TRANSFER_DEADLINE_MS_DEFAULT */
  deadlineAfterMs?: bigint;
};

/**
 * How long a transfer's claim may take by default: one hour (ms) of the destination's time. Long
 * enough to outlast the transfer's own TTL for the move (10 minutes), a destination restart or
 * upgrade and a sync backlog, so an honest but slow destination is not refunded under a claim on
 * its way; short enough that a transfer whose destination is gone or refuses gives the owner the
 * value back the same working session (docs/transfers.md, "Deadlines and refunds").
 */
export const TRANSFER_DEADLINE_MS_DEFAULT = 60n * 60_000n;

/** The deadline a plan gets: the one asked for, or `now + deadlineAfterMs`. */
export function transferDeadline(
  p: Pick<PlanTransferParameters, 'deadline' | 'nowMs' | 'deadlineAfterMs'>,
): bigint {
  if (p.deadline !== undefined) return p.deadline;
  const after = p.deadlineAfterMs ?? TRANSFER_DEADLINE_MS_DEFAULT;
  check(
    typeof after === 'bigint' && after > 0n,
    'BAD_INPUT',
    'deadlineAfterMs must be a positive bigint (ms)',
  );
  return (p.nowMs ?? BigInt(Date.now())) + after;
}

/**
 * Builds and signs a transfer's move and claim. The move consumes the resource on `from` and
 * creates the same resource homed on `to`; the claim consumes that one on `to` (its commitment
 * proof is filled in later, anchored on the source root the destination accepted — the id does
 * not cover proofs, so the signature holds) and creates a fresh copy in `to`'s tree.
 */
export async function planTransfer(p: PlanTransferParameters): Promise<TransferPlan> {
  const cm = commitment(p.resource.resource);
  const proof = await p.from.proveCommitment(cm);
  check(
    proof.value !== null,
    'UNKNOWN_RESOURCE',
    'the resource to move is not committed on the source domain',
  );
  const height = decodeHeight(proof.value);
  const deadline = transferDeadline(p);
  const moved = rehome(p.resource, p.to.id, p.random, { deadline });
  const move = signedSpend(
    {
      resource: p.resource.resource,
      value: p.resource.value,
      label: p.resource.label,
      nk: p.resource.nk,
      commitmentProof: { anchor: proof.root, height, proof: proof.proof },
    },
    { resource: moved.resource, value: moved.value, label: moved.label },
    p.owner,
    p.from.id,
  );
  const landed = rehome(moved, p.to.id, p.random);
  const claim = signedSpend(
    {
      resource: moved.resource,
      value: moved.value,
      label: moved.label,
      nk: p.resource.nk,
      commitmentProof: null,
    },
    { resource: landed.resource, value: landed.value, label: landed.label },
    p.owner,
    p.to.id,
  );
  const plan: TransferPlan = { move, claim, moved: { ...moved, nk: p.resource.nk } };
  // The refund is signed now too, so the driver can give the resource back without the owner's
  // key if the destination refuses the claim or does not let it be claimed in time.
  plan.refund = planRefund({ moved: plan.moved, source: p.from.id, owner: p.owner, ...rnd(p.random) });
  return plan;
}

/**
 * One action turning `consumed` into `created`, signed by `owner` for `executor` alone: a
 * transfer's move (the source) or claim (the destination). Binding the executor is what keeps the
 * claim from being run on the source as a refund (docs/transactions.md, format 2).
 */
function signedSpend(
  consumed: Consumed,
  created: Created,
  owner: KeyPair,
  executor: Uint8Array,
): Transaction {
  return signTransaction(
    {
      actions: [{ consumed: [consumed], created: [created] }],
      appData: new Uint8Array(),
      signatures: [],
      executor,
    },
    [owner],
  );
}

const rnd = (random: Random | undefined) => (random === undefined ? {} : { random });

/**
 * Refuses a plan that cannot be what it claims to be (a client-made plan is untrusted input):
 * the move must create exactly `moved`, homed on `to`, and the claim (and refund, if any) must
 * consume it.
 */
export function checkPlan(plan: TransferPlan, to: Uint8Array): void {
  const created = plan.move.actions[0]?.created[0];
  const consumed = plan.claim.actions[0]?.consumed[0];
  const movedCm = commitment(plan.moved.resource);
  check(
    plan.move.actions.length === 1 &&
      created !== undefined &&
      equalBytes(commitment(created.resource), movedCm) &&
      plan.claim.actions.length === 1 &&
      consumed !== undefined &&
      equalBytes(commitment(consumed.resource), movedCm) &&
      equalBytes(consumed.nk, plan.moved.nk),
    'BAD_PLAN',
    'the plan does not hold together: its move must create the moved resource and its claim consume it',
  );
  check(
    equalBytes(decodeValue(plan.moved.value).home, to) &&
      equalBytes(valueRef(plan.moved.value), plan.moved.resource.valueRef),
    'BAD_PLAN',
    'the moved resource must be homed on the destination domain, with its value',
  );
  const refunded = plan.refund?.actions[0]?.consumed[0];
  check(
    plan.refund === undefined ||
      (plan.refund.actions.length === 1 &&
        refunded !== undefined &&
        equalBytes(commitment(refunded.resource), movedCm) &&
        equalBytes(refunded.nk, plan.moved.nk)),
    'BAD_PLAN',
    "the plan's refund must consume the moved resource",
  );
}

/**
 * A plan's claim with its consumed resource proven under the source root the destination accepted
 * (the id ignores the proof: the owner's signature holds).
 */
export function withSourceProof(claim: Transaction, source: SourceProof): Transaction {
  const action = claim.actions[0]!;
  const consumed = action.consumed[0]!;
  return {
    ...claim,
    actions: [
      {
        ...action,
        consumed: [
          {
            ...consumed,
            commitmentProof: { anchor: source.root, height: source.height, proof: source.proof },
          },
        ],
      },
    ],
  };
}
