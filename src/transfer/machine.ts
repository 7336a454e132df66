// The cross-domain transfer as a pure state machine (docs/transfers.md has the diagram):
//
//   requested --moveIncluded--> sourceCommitted --sourceSynced--> rootSynced
//   rootSynced --claimIncluded | claimSeen--> claimed --destSynced--> confirmed
//   requested --moveRefused--> failed      requested --expire--> expired
//   rootSynced --claimRefused--> failed
//   sourceCommitted | rootSynced --deadlinePassed | refusalProven--> refundable --refundIncluded--> refunded
//
// `step` applies one observed fact; a fact that does not fit the current phase changes nothing,
// so duplicated, reordered or replayed facts are harmless. No clock: time arrives in events.
import { equalBytes, invariant, type WeftErrorCode } from '../crypto/index.js';
import type { Proof } from '../smt/index.js';

export type TransferPhase =
  | 'requested'
  | 'sourceCommitted'
  | 'rootSynced'
  | 'claimed'
  | 'confirmed'
  | 'failed'
  | 'expired'
  | 'refundable'
  | 'refunded';

export const TERMINAL_PHASES: readonly TransferPhase[] = ['confirmed', 'failed', 'expired', 'refunded'];

/** Every transition the machine can make: the diagram, as data. */
export const TRANSITIONS: readonly (readonly [TransferPhase, TransferEvent['e'], TransferPhase])[] = [
  ['requested', 'moveIncluded', 'sourceCommitted'],
  ['requested', 'moveRefused', 'failed'],
  ['requested', 'expire', 'expired'],
  ['sourceCommitted', 'sourceSynced', 'rootSynced'],
  ['rootSynced', 'claimIncluded', 'claimed'],
  ['rootSynced', 'claimSeen', 'claimed'],
  ['rootSynced', 'claimRefused', 'failed'],
  ['claimed', 'destSynced', 'confirmed'],
  ['sourceCommitted', 'deadlinePassed', 'refundable'],
  ['rootSynced', 'deadlinePassed', 'refundable'],
  ['sourceCommitted', 'refusalProven', 'refundable'],
  ['rootSynced', 'refusalProven', 'refundable'],
  ['refundable', 'refundIncluded', 'refunded'],
];

/** The commitment proof of the moved resource in the source tree, taken when the move committed. */
export type SourceProof = { height: bigint; root: Uint8Array; proof: Proof };

export type TransferEvent =
  /** the move transaction is in source block `height`; `source` proves the moved resource there */
  | { e: 'moveIncluded'; height: bigint; source: SourceProof; atMs: bigint }
  /** the source refused or evicted the move for good */
  | { e: 'moveRefused'; code: WeftErrorCode; reason: string; atMs: bigint }
  /** the destination accepted a source header at `height` (at or above the move's block) */
  | { e: 'sourceSynced'; height: bigint; atMs: bigint }
  /** our claim transaction is in destination block `height` */
  | { e: 'claimIncluded'; height: bigint; atMs: bigint }
  /** the moved resource's nullifier is in the destination tree at `height` (claimed, by us or a replay) */
  | { e: 'claimSeen'; height: bigint; atMs: bigint }
  /** the destination refused the claim for good */
  | { e: 'claimRefused'; code: WeftErrorCode; reason: string; atMs: bigint }
  /** the source accepted a destination header at `height` (at or above the claim's block) */
  | { e: 'destSynced'; height: bigint; atMs: bigint }
  /** the transfer's time ran out before the move committed */
  | { e: 'expire'; reason: string; atMs: bigint }
  /**
   * the source accepted a destination header at `height`, stamped after the deadline, under
   * which the moved resource's nullifier is proven absent: the claim can never land
   */
  | { e: 'deadlinePassed'; height: bigint; atMs: bigint }
  /**
   * the source accepted a destination header at `height` under which the destination's refusal
   * record of the claim (`0x06 || nf`) is proven: the claim can never land, at any time
   */
  | { e: 'refusalProven'; height: bigint; atMs: bigint }
  /** the refund transaction is in source block `height` */
  | { e: 'refundIncluded'; height: bigint; atMs: bigint };

/** A transfer record: what the driver needs to resume, and what the status reports. */
export type Transfer = {
  /** the move transaction's id (hex): unique per transfer */
  id: string;
  from: Uint8Array;
  to: Uint8Array;
  phase: TransferPhase;
  createdAtMs: bigint;
  updatedAtMs: bigint;
  /** when a transfer still `requested` expires */
  expiresAtMs: bigint;
  sourceHeight?: bigint;
  source?: SourceProof;
  syncedHeight?: bigint;
  claimHeight?: bigint;
  confirmedHeight?: bigint;
  /** the destination timestamp (ms) after which the claim is refused and a refund allowed */
  deadlineMs?: bigint;
  /** the destination height whose header proves the claim can no longer land */
  refundableHeight?: bigint;
  /** the source block holding the refund */
  refundHeight?: bigint;
  failure?: { code: WeftErrorCode; reason: string };
  /** when each phase was reached, in order */
  history: { phase: TransferPhase; atMs: bigint }[];
};

export function newTransfer(
  id: string,
  from: Uint8Array,
  to: Uint8Array,
  atMs: bigint,
  ttlMs: bigint,
  deadlineMs?: bigint,
): Transfer {
  const t: Transfer = {
    id,
    from,
    to,
    phase: 'requested',
    createdAtMs: atMs,
    updatedAtMs: atMs,
    expiresAtMs: atMs + ttlMs,
    history: [{ phase: 'requested', atMs }],
  };
  if (deadlineMs !== undefined) t.deadlineMs = deadlineMs;
  return t;
}

export function isTerminal(t: Transfer): boolean {
  return TERMINAL_PHASES.includes(t.phase);
}

/** Applies one fact; returns the same object when it does not move the transfer. */
export function step(t: Transfer, ev: TransferEvent): Transfer {
  const edge = TRANSITIONS.find(([from, e]) => from === t.phase && e === ev.e);
  if (!edge) return t;
  const to = edge[2];
  const next: Transfer = {
    ...t,
    phase: to,
    updatedAtMs: ev.atMs,
    history: [...t.history, { phase: to, atMs: ev.atMs }],
  };
  switch (ev.e) {
    case 'moveIncluded':
      next.sourceHeight = ev.height;
      next.source = ev.source;
      break;
    case 'sourceSynced':
      if (t.sourceHeight === undefined || ev.height < t.sourceHeight) return t;
      next.syncedHeight = ev.height;
      break;
    case 'claimIncluded':
    case 'claimSeen':
      next.claimHeight = ev.height;
      break;
    case 'destSynced':
      if (t.claimHeight === undefined || ev.height < t.claimHeight) return t;
      next.confirmedHeight = ev.height;
      break;
    case 'moveRefused':
    case 'claimRefused':
      next.failure = { code: ev.code, reason: ev.reason };
      break;
    case 'deadlinePassed':
      if (t.deadlineMs === undefined) return t;
      next.refundableHeight = ev.height;
      break;
    case 'refusalProven':
      next.refundableHeight = ev.height;
      break;
    case 'refundIncluded':
      next.refundHeight = ev.height;
      break;
    case 'expire':
      if (ev.atMs < t.expiresAtMs) return t;
      next.failure = { code: 'EXPIRED', reason: ev.reason };
      break;
  }
  assertTransition(t, ev.e, next);
  return next;
}

/**
 * The postconditions of a phase change, asserted wherever one is made (`step`, and the driver on
 * every change it persists): a terminal phase is never left, a transfer moves only along an edge
 * of the diagram, keeps its identity, records each phase it reaches once in its history, and is
 * never both claimed and refunded. A failure is a bug in Weft: it stops whoever made the change.
 */
export function assertTransition(before: Transfer, e: TransferEvent['e'], after: Transfer): void {
  const what = `transfer ${before.id}: ${before.phase} --${e}--> ${after.phase}`;
  invariant(!isTerminal(before), `${what} leaves a terminal phase`);
  invariant(
    TRANSITIONS.some(([from, ev, to]) => from === before.phase && ev === e && to === after.phase),
    `${what} is not an edge of the machine`,
  );
  invariant(
    after.id === before.id && equalBytes(after.from, before.from) && equalBytes(after.to, before.to),
    `${what} changes the transfer's identity`,
  );
  invariant(
    after.history.length === before.history.length + 1 && after.history.at(-1)?.phase === after.phase,
    `${what} does not record exactly the phase it reached in its history`,
  );
  const reached = (phase: TransferPhase) => after.history.some((h) => h.phase === phase);
  invariant(
    !(reached('claimed') && reached('refunded')) &&
      !(after.claimHeight !== undefined && after.refundHeight !== undefined),
    `${what} leaves it both claimed and refunded`,
  );
}
