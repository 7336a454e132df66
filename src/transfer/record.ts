// A transfer as it is persisted: the machine's state plus the plan that carries everything the
// claim needs — the signed move and claim transactions and the moved resource with its preimages.
import { decodeAll, type Reader, toWeftErrorCode, WeftError, Writer } from '../crypto/index.js';
import { type Resource, readResource, writeResource } from '../resource/index.js';
import { decodeProof, encodeProof } from '../smt/index.js';
import { decodeTransaction, encodeTransaction, type Transaction, TX_BYTES_MAX } from '../tx/index.js';
import type { SourceProof, Transfer, TransferPhase } from './machine.js';

/** Format 2 adds the refund and deadline fields at the end; format 1 records still decode. */
const RECORD_FORMAT = 2;
const PHASES: readonly TransferPhase[] = [
  'requested',
  'sourceCommitted',
  'rootSynced',
  'claimed',
  'confirmed',
  'failed',
  'expired',
  'refundable',
  'refunded',
];
const TEXT_MAX = 4096;
const HISTORY_MAX = 16;

/** The moved resource r' (homed on the destination) with what its claim must reveal. */
export type Moved = { resource: Resource; value: Uint8Array; label: Uint8Array; nk: Uint8Array };

/**
 * Everything needed to finish a transfer without any secret: the signed move, the signed claim
 * (in network form: its proof is filled in from `source` when the destination can anchor it),
 * and the moved resource.
 */
export type TransferPlan = {
  move: Transaction;
  claim: Transaction;
  moved: Moved;
  /**
   * the refund, signed up front too, when `moved` carries a deadline: it consumes `moved` on the
   * source and re-creates the original resource there; its witness (a commitment proof and the
   * destination's absence proof) is filled in when the deadline has passed
   */
  refund?: Transaction;
};

export type TransferRecord = { transfer: Transfer; plan: TransferPlan };

function text(w: Writer, s: string): void {
  w.text(s, TEXT_MAX);
}

function readText(r: Reader): string {
  return r.text(TEXT_MAX);
}

function optU64(w: Writer, v: bigint | undefined): void {
  w.bool(v !== undefined);
  if (v !== undefined) w.u64(v);
}

function readOptU64(r: Reader): bigint | undefined {
  return r.bool() ? r.u64() : undefined;
}

/**
 * A plan's part of its record, encoded once per plan: a transfer's record is written at every
 * phase it reaches and its plan (three signed transactions) never changes — a plan is a value,
 * never changed in place (a claim with its proof, a refund with its witness, are new objects).
 */
const planBytesMemo = new WeakMap<TransferPlan, Uint8Array>();

function planBytes(plan: TransferPlan): Uint8Array {
  const known = planBytesMemo.get(plan);
  if (known !== undefined) return known;
  const w = new Writer(4096);
  w.bytes(encodeTransaction(plan.move), TX_BYTES_MAX).bytes(encodeTransaction(plan.claim), TX_BYTES_MAX);
  writeResource(w, plan.moved.resource);
  w.bytes(plan.moved.value, 64 * 1024)
    .bytes(plan.moved.label, 64 * 1024)
    .fixed(plan.moved.nk, 32);
  w.bool(plan.refund !== undefined);
  if (plan.refund) w.bytes(encodeTransaction(plan.refund), TX_BYTES_MAX);
  const bytes = w.finish();
  planBytesMemo.set(plan, bytes);
  return bytes;
}

export function encodeTransferRecord(rec: TransferRecord): Uint8Array {
  const t = rec.transfer;
  const w = new Writer(4096);
  w.u8(RECORD_FORMAT);
  text(w, t.id);
  w.fixed(t.from, 32).fixed(t.to, 32).u8(PHASES.indexOf(t.phase));
  w.u64(t.createdAtMs).u64(t.updatedAtMs).u64(t.expiresAtMs);
  optU64(w, t.sourceHeight);
  w.bool(t.source !== undefined);
  if (t.source)
    w.u64(t.source.height)
      .fixed(t.source.root, 32)
      .bytes(encodeProof(t.source.proof), 64 * 1024);
  optU64(w, t.syncedHeight);
  optU64(w, t.claimHeight);
  optU64(w, t.confirmedHeight);
  w.bool(t.failure !== undefined);
  if (t.failure) {
    text(w, t.failure.code);
    text(w, t.failure.reason);
  }
  w.list(t.history.slice(-HISTORY_MAX), HISTORY_MAX, (w, h) => w.u8(PHASES.indexOf(h.phase)).u64(h.atMs));
  const plan = planBytes(rec.plan);
  w.fixed(plan, plan.length);
  optU64(w, t.deadlineMs);
  optU64(w, t.refundableHeight);
  optU64(w, t.refundHeight);
  return w.finish();
}

export function decodeTransferRecord(bytes: Uint8Array): TransferRecord {
  return decodeAll(bytes, (r) => {
    const format = r.u8();
    if (format !== RECORD_FORMAT && format !== 1)
      throw new WeftError('CODEC', `unknown transfer record format ${format}`);
    const id = readText(r);
    const from = r.fixed(32).slice();
    const to = r.fixed(32).slice();
    const phase = PHASES[r.u8()];
    if (!phase) throw new WeftError('CODEC', 'unknown transfer phase in a record');
    const transfer: Transfer = {
      id,
      from,
      to,
      phase,
      createdAtMs: r.u64(),
      updatedAtMs: r.u64(),
      expiresAtMs: r.u64(),
      history: [],
    };
    const sourceHeight = readOptU64(r);
    if (sourceHeight !== undefined) transfer.sourceHeight = sourceHeight;
    if (r.bool()) {
      const source: SourceProof = {
        height: r.u64(),
        root: r.fixed(32).slice(),
        proof: decodeProof(r.bytes(64 * 1024)),
      };
      transfer.source = source;
    }
    const synced = readOptU64(r);
    if (synced !== undefined) transfer.syncedHeight = synced;
    const claim = readOptU64(r);
    if (claim !== undefined) transfer.claimHeight = claim;
    const confirmed = readOptU64(r);
    if (confirmed !== undefined) transfer.confirmedHeight = confirmed;
    if (r.bool()) transfer.failure = { code: toWeftErrorCode(readText(r)), reason: readText(r) };
    transfer.history = r.list(HISTORY_MAX, (r) => {
      const p = PHASES[r.u8()];
      if (!p) throw new WeftError('CODEC', "unknown transfer phase in a record's history");
      return { phase: p, atMs: r.u64() };
    });
    const move = decodeTransaction(r.bytes(TX_BYTES_MAX));
    const claimTx = decodeTransaction(r.bytes(TX_BYTES_MAX));
    const resource = readResource(r);
    const moved: Moved = {
      resource,
      value: r.bytes(64 * 1024).slice(),
      label: r.bytes(64 * 1024).slice(),
      nk: r.fixed(32).slice(),
    };
    const plan: TransferPlan = { move, claim: claimTx, moved };
    if (format === 1) return { transfer, plan };
    if (r.bool()) plan.refund = decodeTransaction(r.bytes(TX_BYTES_MAX));
    const deadline = readOptU64(r);
    if (deadline !== undefined) transfer.deadlineMs = deadline;
    const refundable = readOptU64(r);
    if (refundable !== undefined) transfer.refundableHeight = refundable;
    const refunded = readOptU64(r);
    if (refunded !== undefined) transfer.refundHeight = refunded;
    return { transfer, plan };
  });
}
