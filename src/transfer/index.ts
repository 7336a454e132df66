// weft/transfer: the cross-domain transfer state machine, its persisted records, planning (the
// owner's signed move and claim), the driver that walks transfers to confirmation, and refunds
// of moves that missed their deadline (docs/transfers.md).
export type {
  ClaimPolicy,
  TransferDomain,
  TransferDriverEvents,
  TransferDriverOptions,
  TransferHandle,
  TransferParameters,
  TransferStore,
  TransferWait,
  ViewExpiry,
} from './driver.js';
export { FINISHED_KEPT_MAX, OWN_REJECTIONS_MAX, TRANSFER_TTL_MS_DEFAULT, TransferDriver } from './driver.js';
export type { SourceProof, Transfer, TransferEvent, TransferPhase } from './machine.js';
export {
  assertTransition,
  isTerminal,
  newTransfer,
  step,
  TERMINAL_PHASES,
  TRANSITIONS,
} from './machine.js';
export { MemoryTransferStore } from './memoryStore.js';
export type { PlanDestination, PlanSource, PlanTransferParameters } from './plan.js';
export { planTransfer, TRANSFER_DEADLINE_MS_DEFAULT, transferDeadline, withSourceProof } from './plan.js';
export type { Moved, TransferPlan, TransferRecord } from './record.js';
export { decodeTransferRecord, encodeTransferRecord } from './record.js';
export type { RefundParameters, RefundWitnessParameters } from './refund.js';
export { planRefund, withRefundWitness } from './refund.js';
