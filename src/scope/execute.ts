// Execution: one transaction against the values its declaration fetched (runTx, pure), and a
// block of them over an object table and the DAG (executeBlock), in the domain's order.
import {
  equalBytes,
  hexKey,
  invariant,
  type PublicKey,
  type Signature,
  sha256,
  verifySignature,
  WeftError,
} from '../crypto/index.js';
import { type Proof, verifyProof, type Write } from '../smt/index.js';
import type { ObjectDag, TxMeta } from './dag.js';
import { type Access, isRead, isWrite } from './declaration.js';
import { GAS, GasMeter, hashGas } from './gas.js';
import { BLOCK_SCOPED_TXS_MAX, OBJECT_VALUE_BYTES_MAX, U64_MAX } from './limits.js';
import { encodeObjectState, type ObjectState, objectKey, type StateVertex, valueHash } from './object.js';
import type { ProgramContext, ProgramLookup } from './program.js';
import type { ScopeTx } from './tx.js';

/** Why a transaction on the DAG failed (its writes became same-value vertices, null for write-only). */
export type FailureCode =
  | 'OUT_OF_GAS'
  | 'SCOPE_UNDECLARED'
  | 'SCOPE_NOT_WRITABLE'
  | 'SCOPE_NOT_OWNER'
  | 'SCOPE_UNKNOWN_PROGRAM'
  | 'SCOPE_WRONG_INDEX'
  | 'SCOPE_WRONG_PROGRAM'
  | 'PROGRAM_REJECTED'
  | 'PROGRAM_FAULT';

/** A declared object as execution sees it: what the meta-instruction fetched, who owns it. */
export type TxObject = {
  object: Uint8Array;
  owner: Uint8Array;
  access: Access;
  prevSeq: bigint;
  prev: ObjectState | null;
};

/** Everything runTx needs: structured-cloneable, so a worker thread can run it. */
export type TxJob = { tx: ScopeTx; objects: TxObject[]; preFailure: FailureCode | null };

/** What running a transaction gives: a status, the gas charged, and (when ok) the values written. */
export type TxOutcome = {
  ok: boolean;
  code: FailureCode | null;
  reason: string | null;
  gasUsed: bigint;
  /** object hex -> value written (only when ok, only objects the programs wrote) */
  written: Map<string, Uint8Array | null>;
};

/** Per transaction of a block: status, gas and the vertices it read and created. */
export type TxResult = {
  id: Uint8Array;
  status: 'ok' | 'failed' | 'offDag';
  code: FailureCode | 'SCOPE_UNFUNDED' | null;
  gasUsed: bigint;
  reads: StateVertex[];
  vertices: StateVertex[];
};

/** An object table: object hex -> its id and latest state. */
export type ObjectTable = Map<string, { object: Uint8Array; state: ObjectState }>;

class Fault extends Error {
  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs one transaction: charges the base and the meta-instruction (every declared read, fetched
 * before any instruction), then each call through a metered context. Pure: reads only its job.
 * Out of gas charges the whole localGas; any failure discards every write.
 */
export function runTx(job: TxJob, programs: ProgramLookup): TxOutcome {
  const { tx } = job;
  const meter = new GasMeter(tx.declaration.localGas);
  const written = new Map<string, Uint8Array | null>();
  const byKey = new Map<string, TxObject>();
  for (const o of job.objects) byKey.set(hexKey(o.object), o);
  let fault: Fault | null = job.preFailure
    ? new Fault(job.preFailure, 'decided from the DAG metadata')
    : null;
  const fail = (code: FailureCode, message: string): never => {
    fault ??= new Fault(code, message);
    throw fault;
  };
  const finish = (reason: string | null): TxOutcome => {
    if (meter.exhausted)
      return {
        ok: false,
        code: 'OUT_OF_GAS',
        reason: 'localGas exhausted',
        gasUsed: meter.limit,
        written: new Map(),
      };
    if (fault)
      return { ok: false, code: fault.code, reason: fault.message, gasUsed: meter.used, written: new Map() };
    if (reason !== null)
      return { ok: false, code: 'PROGRAM_REJECTED', reason, gasUsed: meter.used, written: new Map() };
    return { ok: true, code: null, reason: null, gasUsed: meter.used, written };
  };
  try {
    meter.charge(GAS.txBase);
    if (fault) return finish(null);
    for (const o of job.objects) {
      if (!isRead(o.access)) continue;
      meter.charge(GAS.objectRead + GAS.objectReadPerByte * BigInt(o.prev?.value?.length ?? 0));
    }
    for (const call of tx.calls) {
      meter.charge(GAS.call + GAS.callPerByte * BigInt(call.input.length));
      const program = programs.get(call.program);
      if (!program) fail('SCOPE_UNKNOWN_PROGRAM', `no program ${hexKey(call.program)}`);
      const ctx = contextFor(tx, call.program, byKey, written, meter, fail);
      const verdict = program!.execute(ctx, call.input);
      if (meter.exhausted || fault) return finish(null);
      if (verdict?.ok !== true)
        return finish(verdict && 'reason' in verdict ? String(verdict.reason).slice(0, 200) : 'no verdict');
    }
  } catch (e) {
    // Only the meter's own exhaustion and a recorded fault end a run quietly: anything else a
    // program throws (even an OutOfGasSignal it made itself) is a fault, never a success.
    if (!meter.exhausted && !fault) {
      fault = new Fault('PROGRAM_FAULT', e instanceof Error ? e.message : String(e));
    }
  }
  return finish(null);
}

function contextFor(
  tx: ScopeTx,
  program: Uint8Array,
  objects: Map<string, TxObject>,
  written: Map<string, Uint8Array | null>,
  meter: GasMeter,
  fail: (code: FailureCode, message: string) => never,
): ProgramContext {
  const declared = (object: Uint8Array): [string, TxObject] => {
    const key = object instanceof Uint8Array && object.length === 32 ? hexKey(object) : '';
    const o = objects.get(key);
    if (!o) fail('SCOPE_UNDECLARED', `object ${key || '(not 32 bytes)'} was not declared`);
    return [key, o!];
  };
  return {
    txId: tx.id,
    program,
    signers: tx.signers,
    read(object) {
      meter.charge(GAS.objectRead);
      const [key, o] = declared(object);
      if (!isRead(o.access) && !written.has(key))
        fail('SCOPE_UNDECLARED', `object ${key} is declared write-only`);
      return written.has(key) ? written.get(key)! : (o.prev?.value ?? null);
    },
    seq(object) {
      meter.charge(GAS.logicStep);
      return declared(object)[1].prevSeq;
    },
    write(object, value) {
      const [key, o] = declared(object);
      if (!isWrite(o.access)) fail('SCOPE_NOT_WRITABLE', `object ${key} is declared read-only`);
      if (!equalBytes(o.owner, program)) fail('SCOPE_NOT_OWNER', `object ${key} belongs to another program`);
      if (value !== null && !(value instanceof Uint8Array)) fail('PROGRAM_FAULT', 'a value is bytes or null');
      if (value !== null && value.length > OBJECT_VALUE_BYTES_MAX) {
        fail('PROGRAM_FAULT', `an object value is at most ${OBJECT_VALUE_BYTES_MAX} bytes`);
      }
      meter.charge(GAS.objectWrite + GAS.objectWritePerByte * BigInt(value?.length ?? 0));
      written.set(key, value === null ? null : value.slice());
    },
    step(count = 1) {
      const n = typeof count === 'bigint' ? count : Number.isSafeInteger(count) ? BigInt(count) : -1n;
      if (n < 0n || n > U64_MAX) fail('PROGRAM_FAULT', 'step counts are u64');
      meter.charge(GAS.logicStep * n);
    },
    hash(data) {
      if (!(data instanceof Uint8Array)) fail('PROGRAM_FAULT', 'hash takes bytes');
      meter.charge(hashGas(data.length));
      return sha256(data);
    },
    verifySignature(publicKey: PublicKey, message: Uint8Array, signature: Signature) {
      meter.charge(GAS.signatureCheck);
      try {
        return verifySignature(publicKey, message, signature);
      } catch {
        return false;
      }
    },
    verifyMembership(root: Uint8Array, key: Uint8Array, value: Uint8Array, proof: Proof) {
      meter.charge(GAS.proofVerify + GAS.proofVerifyPerStep * BigInt(proof?.siblings?.length ?? 0));
      try {
        return verifyProof(root, key, value, proof);
      } catch {
        return false;
      }
    },
    isSignedBy(publicKey: PublicKey) {
      meter.charge(GAS.logicStep * 10n);
      return tx.signers.some((s) => s.type === publicKey.type && equalBytes(s.bytes, publicKey.bytes));
    },
  };
}

/** The job for a transaction the DAG holds, reading current values from `table`. */
export function jobFor(tx: ScopeTx, meta: TxMeta, table: ObjectTable): TxJob {
  const objects: TxObject[] = meta.entries.map((e) => {
    const prev = isRead(e.access) ? (table.get(e.objectKey)?.state ?? null) : null;
    invariant(!prev || prev.seq === e.prevSeq, 'the table holds the vertex the DAG says is read');
    return { object: e.object, owner: e.owner, access: e.access, prevSeq: e.prevSeq, prev };
  });
  return { tx, objects, preFailure: meta.preFailure };
}

/**
 * The vertices a transaction on the DAG creates, given how it ran: the written value, or on
 * failure (and for a declared write the programs did not perform) the previous value for a
 * read-write entry and null for a write-only one (it never read the previous one).
 */
export function verticesFor(
  meta: TxMeta,
  job: TxJob,
  outcome: TxOutcome,
): { object: Uint8Array; state: ObjectState }[] {
  const out: { object: Uint8Array; state: ObjectState }[] = [];
  for (const [i, e] of meta.entries.entries()) {
    if (e.seq === null) continue;
    const prev = job.objects[i]!.prev;
    let value: Uint8Array | null;
    if (outcome.ok && outcome.written.has(e.objectKey)) value = outcome.written.get(e.objectKey)!;
    else value = e.access === 'write' ? null : (prev?.value ?? null);
    out.push({ object: e.object, state: { program: e.owner, seq: e.seq, value } });
  }
  return out;
}

/** Records a transaction's outcome in the table and returns its result. */
export function commitOutcome(meta: TxMeta, job: TxJob, outcome: TxOutcome, table: ObjectTable): TxResult {
  const reads: StateVertex[] = [];
  for (const [i, e] of meta.entries.entries()) {
    const prev = job.objects[i]!.prev;
    if (isRead(e.access) && prev)
      reads.push({ object: e.object, seq: prev.seq, valueHash: valueHash(prev.value) });
  }
  const vertices: StateVertex[] = [];
  for (const v of verticesFor(meta, job, outcome)) {
    table.set(hexKey(v.object), v);
    vertices.push({ object: v.object, seq: v.state.seq, valueHash: valueHash(v.state.value) });
  }
  return {
    id: meta.id,
    status: outcome.ok ? 'ok' : 'failed',
    code: outcome.code,
    gasUsed: outcome.gasUsed,
    reads,
    vertices,
  };
}

export function offDagResult(meta: TxMeta): TxResult {
  return { id: meta.id, status: 'offDag', code: 'SCOPE_UNFUNDED', gasUsed: 0n, reads: [], vertices: [] };
}

export type ExecuteBlockInput = {
  table: ObjectTable;
  dag: ObjectDag;
  programs: ProgramLookup;
  height: bigint;
  txs: readonly ScopeTx[];
};

export type BlockResult = {
  results: TxResult[];
  /** the tree writes of the block: 0x04 || object -> encoded state, one per object, sorted */
  writes: Write[];
};

/**
 * Executes a block in order: appends every transaction to the DAG (deciding scopes and the
 * off-DAG marking from metadata), runs the ones on the DAG, records their vertices. Takes
 * ownership of `table` and `dag` (updated in place). Deterministic: no clock, no randomness.
 */
export function executeBlock(input: ExecuteBlockInput): BlockResult {
  if (input.txs.length > BLOCK_SCOPED_TXS_MAX) {
    throw new WeftError(
      'LIMIT_EXCEEDED',
      `a block hands at most ${BLOCK_SCOPED_TXS_MAX} transactions to the executor`,
    );
  }
  const metas = input.txs.map((tx) => input.dag.append(tx.id, tx.declaration, input.height));
  const results: TxResult[] = [];
  const touched = new Set<string>();
  for (const [i, tx] of input.txs.entries()) {
    const meta = metas[i]!;
    if (!meta.onDag) {
      results.push(offDagResult(meta));
      continue;
    }
    const job = jobFor(tx, meta, input.table);
    const result = commitOutcome(meta, job, runTx(job, input.programs), input.table);
    for (const v of result.vertices) touched.add(hexKey(v.object));
    results.push(result);
  }
  return { results, writes: treeWrites(input.table, touched) };
}

/** The tree writes for the objects `touched`, sorted by key. */
export function treeWrites(table: ObjectTable, touched: Iterable<string>): Write[] {
  const keys = [...touched].sort();
  return keys.map((k) => {
    const entry = table.get(k);
    invariant(entry !== undefined, 'a touched object is in the table');
    return { key: objectKey(entry.object), value: encodeObjectState(entry.state) };
  });
}

/** An object's state as the domain tree holds it before a block (null: never written). */
export type ObjectRead = { object: Uint8Array; state: ObjectState | null };

/**
 * Every object the transactions declare, sorted by id, once each: what a domain's runtime reads
 * from its tree (`0x04 || object`) before it executes a block, and hands to executeScopedBlock.
 */
export function objectsToRead(txs: readonly ScopeTx[]): Uint8Array[] {
  const byKey = new Map<string, Uint8Array>();
  for (const tx of txs) for (const e of tx.declaration.entries) byKey.set(hexKey(e.object), e.object);
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/**
 * executeBlock over the values a domain read from its tree: the pure step a domain's transition
 * runs for the scoped transactions of a block. `reads` must hold every object objectsToRead
 * names (BAD_INPUT otherwise), each as the tree holds it; the DAG is updated in place.
 */
export function executeScopedBlock(
  input: Omit<ExecuteBlockInput, 'table'> & { reads: readonly ObjectRead[] },
): BlockResult {
  const table: ObjectTable = new Map();
  for (const r of input.reads)
    if (r.state !== null) table.set(hexKey(r.object), { object: r.object, state: r.state });
  const given = new Set(input.reads.map((r) => hexKey(r.object)));
  for (const o of objectsToRead(input.txs)) {
    if (!given.has(hexKey(o)))
      throw new WeftError('BAD_INPUT', `the reads do not include declared object ${hexKey(o)}`);
  }
  return executeBlock({
    table,
    dag: input.dag,
    programs: input.programs,
    height: input.height,
    txs: input.txs,
  });
}
