// A follower of one program: keeps that program's objects without executing the rest of the
// domain. It reads every transaction's declaration (metadata only), and executes just the
// transactions in its program's scopes, from their bodies and proofs of the proven values they read.
import { hexKey, WeftError } from '../crypto/index.js';
import { type Proof, verifyProof } from '../smt/index.js';
import { ObjectDag, type TxMeta } from './dag.js';
import type { Declaration } from './declaration.js';
import { isRead } from './declaration.js';
import { runTx, type TxJob, type TxObject, verticesFor } from './execute.js';
import { encodeObjectState, type ObjectState, objectKey, vertexKeyString } from './object.js';
import type { ProgramLookup } from './program.js';
import type { ScopeTx } from './tx.js';

/** A proven object value: its state and a proof of `0x04 || object -> state` under the proven root. */
export type ObjectWitness = { object: Uint8Array; state: ObjectState; proof: Proof };

/**
 * One block as a follower receives it: every transaction's declaration in order, the proven tip
 * the block was executed against with the object root there (trusted by the caller, e.g. from a
 * proven header), and the bodies and witnesses of the transactions in the program's scopes.
 */
export type FollowerBlock = {
  height: bigint;
  provenHeight: bigint;
  provenRoot: Uint8Array;
  declarations: { id: Uint8Array; declaration: Declaration }[];
  bodies: ScopeTx[];
  witnesses: ObjectWitness[];
};

export type FollowerBlockReport = {
  /** ids of the transactions executed for this block, in order */
  executed: Uint8Array[];
  /** gas those executions used */
  gasExecuted: bigint;
  /** scopeGas committed by the on-DAG transactions of this block that write the program */
  scopeGasPaid: bigint;
};

type CachedVertex = { state: ObjectState; height: bigint };

export type ScopeFollowerOptions = { program: Uint8Array; programs: ProgramLookup };

/**
 * @example
 * const f = new ScopeFollower({ program: counterProgram.ref, programs });
 * f.applyBlock(executor.followerBlock(counterProgram.ref, height));
 * f.object(counterId);
 */
export class ScopeFollower {
  readonly program: Uint8Array;
  private readonly programKey: string;
  private readonly programs: ProgramLookup;
  private readonly dag = new ObjectDag();
  private readonly vertices = new Map<string, CachedVertex>();
  private readonly executed = new Set<string>();
  private readonly own = new Map<string, { object: Uint8Array; state: ObjectState }>();
  private gasExecutedTotal = 0n;
  private scopeGasPaidTotal = 0n;

  constructor(opts: ScopeFollowerOptions) {
    this.program = opts.program;
    this.programKey = hexKey(opts.program);
    this.programs = opts.programs;
  }

  /** Gas of every execution so far. Never more than scopeGasPaid. */
  get gasExecuted(): bigint {
    return this.gasExecutedTotal;
  }

  /** scopeGas of every on-DAG transaction so far that writes the program. */
  get scopeGasPaid(): bigint {
    return this.scopeGasPaidTotal;
  }

  /** The program's object, as of the last block applied. */
  object(object: Uint8Array): ObjectState | undefined {
    return this.own.get(hexKey(object))?.state;
  }

  /** All of the program's objects (object hex -> state). */
  objects(): Map<string, ObjectState> {
    return new Map([...this.own].map(([k, v]) => [k, v.state]));
  }

  applyBlock(block: FollowerBlock): FollowerBlockReport {
    this.advanceProven(block.provenHeight);
    const metas = block.declarations.map((d) => this.dag.append(d.id, d.declaration, block.height));
    const bodies = new Map(block.bodies.map((b) => [hexKey(b.id), b]));
    const witnesses = new Map(block.witnesses.map((w) => [vertexKeyString(w.object, w.state.seq), w]));
    const report: FollowerBlockReport = { executed: [], gasExecuted: 0n, scopeGasPaid: 0n };
    for (const meta of metas) {
      if (!meta.onDag || !meta.programs.includes(this.programKey)) continue;
      report.scopeGasPaid += meta.scopeGas;
      for (const s of [...this.dag.scopeOf(meta, this.program), meta]) {
        if (this.executed.has(s.idKey)) continue;
        const body = bodies.get(s.idKey);
        if (!body)
          throw new WeftError(
            'FOLLOWER_MISSING_TX',
            `the block did not carry transaction ${s.idKey} of the scope`,
          );
        report.gasExecuted += this.execute(s, body, block, witnesses);
        report.executed.push(s.id);
      }
    }
    this.gasExecutedTotal += report.gasExecuted;
    this.scopeGasPaidTotal += report.scopeGasPaid;
    return report;
  }

  private advanceProven(height: bigint): void {
    if (height === this.dag.provenHeight) return;
    this.dag.advanceProven(height);
    for (const [k, v] of this.vertices) if (v.height <= height) this.vertices.delete(k);
    for (const id of this.executed)
      if (!this.dag.tx(Uint8Array.from(Buffer.from(id, 'hex')))) this.executed.delete(id);
  }

  private execute(
    meta: TxMeta,
    body: ScopeTx,
    block: FollowerBlock,
    witnesses: Map<string, ObjectWitness>,
  ): bigint {
    const objects: TxObject[] = meta.entries.map((e) => ({
      object: e.object,
      owner: e.owner,
      access: e.access,
      prevSeq: e.prevSeq,
      prev: isRead(e.access) ? this.valueOf(e.object, e.prevSeq, block, witnesses) : null,
    }));
    const job: TxJob = { tx: body, objects, preFailure: meta.preFailure };
    const outcome = runTx(job, this.programs);
    for (const v of verticesFor(meta, job, outcome)) {
      this.vertices.set(vertexKeyString(v.object, v.state.seq), { state: v.state, height: meta.height });
      if (hexKey(v.state.program) === this.programKey) this.own.set(hexKey(v.object), v);
    }
    this.executed.add(meta.idKey);
    return outcome.gasUsed;
  }

  /** The state at (object, seq): computed here before, or proven by a witness. */
  private valueOf(
    object: Uint8Array,
    seq: bigint,
    block: FollowerBlock,
    witnesses: Map<string, ObjectWitness>,
  ): ObjectState | null {
    if (seq === 0n) return null;
    const key = vertexKeyString(object, seq);
    const cached = this.vertices.get(key);
    if (cached) return cached.state;
    const w = witnesses.get(key);
    if (!w)
      throw new WeftError('FOLLOWER_MISSING_WITNESS', `no value for object ${hexKey(object)} at seq ${seq}`);
    if (!verifyProof(block.provenRoot, objectKey(object), encodeObjectState(w.state), w.proof)) {
      throw new WeftError(
        'BAD_PROOF',
        `the witness for object ${hexKey(object)} at seq ${seq} does not verify under the proven root`,
      );
    }
    return w.state;
  }
}
