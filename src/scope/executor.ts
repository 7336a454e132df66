// A full executor of a domain's objects: the object table, the DAG and the object tree (one
// version per block), plus what followers of a program need from each block.
import { hexKey, WeftError } from '../crypto/index.js';
import { Smt } from '../smt/index.js';
import { ObjectDag, type TxMeta } from './dag.js';
import { isRead } from './declaration.js';
import { type BlockResult, executeBlock, type ObjectTable, type TxResult } from './execute.js';
import type { FollowerBlock, ObjectWitness } from './follower.js';
import { decodeObjectState, objectKey } from './object.js';
import { executeBlockParallel, type WaveRunner } from './parallel.js';
import type { ProgramLookup } from './program.js';
import type { ScopeTx } from './tx.js';

export type ExecutedBlock = { height: bigint; results: TxResult[]; root: Uint8Array };

/**
 * @example
 * const ex = new ScopeExecutor({ programs });
 * const { root } = ex.executeBlock(1n, [tx]);
 * ex.advanceProven(1n);
 */
export class ScopeExecutor {
  readonly table: ObjectTable = new Map();
  readonly dag = new ObjectDag();
  private readonly tree = Smt.inMemory();
  private readonly programs: ProgramLookup;
  private readonly versionAt = new Map<bigint, bigint>([[0n, 0n]]);
  private readonly rootAt = new Map<bigint, Uint8Array>();
  private readonly bodies = new Map<string, { tx: ScopeTx; height: bigint }>();
  private readonly followed = new Map<string, Uint8Array>();
  private readonly outbox = new Map<string, FollowerBlock>();
  private tip = 0n;

  constructor(opts: { programs: ProgramLookup }) {
    this.programs = opts.programs;
    this.rootAt.set(0n, this.tree.root());
  }

  get height(): bigint {
    return this.tip;
  }

  /** The object tree's root after block `height` (0: empty). */
  root(height: bigint = this.tip): Uint8Array {
    const r = this.rootAt.get(height);
    if (!r) throw new WeftError('BAD_HEIGHT', `no block at height ${height}`);
    return r;
  }

  /** From the next block on, prepare a FollowerBlock per block for followers of `program`. */
  follow(program: Uint8Array): void {
    this.followed.set(hexKey(program), program);
  }

  executeBlock(height: bigint, txs: ScopeTx[]): ExecutedBlock {
    const prov = this.dag.provenHeight;
    const out = executeBlock({ table: this.table, dag: this.dag, programs: this.programs, height, txs });
    return this.finish(height, txs, out, prov);
  }

  async executeBlockParallel(height: bigint, txs: ScopeTx[], runner: WaveRunner): Promise<ExecutedBlock> {
    const prov = this.dag.provenHeight;
    const out = await executeBlockParallel(
      { table: this.table, dag: this.dag, programs: this.programs, height, txs },
      runner,
    );
    return this.finish(height, txs, out, prov);
  }

  advanceProven(height: bigint): void {
    if (height > this.tip)
      throw new WeftError('BAD_HEIGHT', `cannot prove ${height} above the committed tip ${this.tip}`);
    this.dag.advanceProven(height);
    for (const [k, b] of this.bodies) if (b.height <= height) this.bodies.delete(k);
  }

  /** The FollowerBlock prepared for `program` at `height` (follow() it first); handed out once. */
  takeFollowerBlock(program: Uint8Array, height: bigint): FollowerBlock {
    const key = `${hexKey(program)}:${height}`;
    const b = this.outbox.get(key);
    if (!b) throw new WeftError('BAD_HEIGHT', `no follower block for that program at ${height}`);
    this.outbox.delete(key);
    return b;
  }

  /** A proof of the object's state at the proven height `height`. */
  witness(object: Uint8Array, height: bigint): ObjectWitness {
    const version = this.versionAt.get(height);
    if (version === undefined) throw new WeftError('BAD_HEIGHT', `no block at height ${height}`);
    const key = objectKey(object);
    const value = this.tree.getSync(key, version);
    if (value === null)
      throw new WeftError('BAD_INPUT', `object ${hexKey(object)} is not in the tree at ${height}`);
    return { object, state: decodeObjectState(value), proof: this.tree.proveSync(key, version) };
  }

  private finish(height: bigint, txs: ScopeTx[], out: BlockResult, provenHeight: bigint): ExecutedBlock {
    const staged = this.tree.stage(out.writes);
    void staged.commit();
    this.tip = height;
    this.versionAt.set(height, staged.version);
    this.rootAt.set(height, staged.root);
    const metas: TxMeta[] = [];
    for (const tx of txs) {
      this.bodies.set(hexKey(tx.id), { tx, height });
      metas.push(this.dag.tx(tx.id)!);
    }
    for (const [pk, program] of this.followed) {
      this.outbox.set(`${pk}:${height}`, this.bundle(program, pk, height, txs, metas, provenHeight));
    }
    return { height, results: out.results, root: staged.root };
  }

  /** What a follower of `program` needs from this block: scope bodies and proven values they read. */
  private bundle(
    program: Uint8Array,
    programKey: string,
    height: bigint,
    txs: ScopeTx[],
    metas: TxMeta[],
    provenHeight: bigint,
  ): FollowerBlock {
    const needed = new Map<string, TxMeta>();
    for (const meta of metas) {
      if (!meta.onDag || !meta.programs.includes(programKey)) continue;
      for (const s of [...this.dag.scopeOf(meta, program), meta]) needed.set(s.idKey, s);
    }
    const bodies: ScopeTx[] = [];
    const witnesses: ObjectWitness[] = [];
    const seen = new Set<string>();
    for (const s of needed.values()) {
      bodies.push(this.bodies.get(s.idKey)!.tx);
      for (const e of s.entries) {
        if (!isRead(e.access) || e.prevSeq === 0n || this.dag.isUnproven(e.object, e.prevSeq)) continue;
        const k = `${e.objectKey}:${e.prevSeq}`;
        if (seen.has(k)) continue;
        seen.add(k);
        witnesses.push(this.witness(e.object, provenHeight));
      }
    }
    return {
      height,
      provenHeight,
      provenRoot: this.root(provenHeight),
      declarations: txs.map((t) => ({ id: t.id, declaration: t.declaration })),
      bodies,
      witnesses,
    };
  }
}
