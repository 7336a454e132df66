// The object DAG: per transaction, the vertices it read and wrote, built from declarations alone.
// It decides scopes and the off-DAG marking; execution fills in values later (execute.ts).
import { equalBytes, hexKey, Reader, WeftError, Writer } from '../crypto/index.js';
import {
  type Access,
  checkDeclaration,
  type Declaration,
  indexHolds,
  isRead,
  isWrite,
} from './declaration.js';
import { DECL_OBJECTS_MAX, SCOPE_TXS_MAX, U64_MAX } from './limits.js';
import { vertexKeyString } from './object.js';

/** Why a funded transaction fails before any instruction runs, decided from metadata alone. */
export type PreFailure = 'SCOPE_WRONG_INDEX' | 'SCOPE_WRONG_PROGRAM';

/** A declared entry resolved against the DAG when the transaction was appended. */
export type ResolvedEntry = {
  object: Uint8Array;
  objectKey: string;
  /** the object's owner: the recorded one if the object exists, else the declared program */
  owner: Uint8Array;
  access: Access;
  /** the object's latest seq before this transaction (0 if never written) */
  prevSeq: bigint;
  /** the seq of the vertex this transaction creates, or null (read entry, or off the DAG) */
  seq: bigint | null;
};

/** What the DAG knows of one transaction. */
export type TxMeta = {
  id: Uint8Array;
  idKey: string;
  /** order of the transaction among all appended ones */
  position: number;
  height: bigint;
  localGas: bigint;
  scopeGas: bigint;
  /** false: unfunded, included but off the DAG (executes nothing, creates no vertex) */
  onDag: boolean;
  preFailure: PreFailure | null;
  entries: ResolvedEntry[];
  /** keys of the vertices read (objects never written have none) */
  reads: string[];
  /** hex keys of the programs owning the objects it writes, sorted */
  programs: string[];
  /** per written program: the local gas summed over its scope (itself included) at append time */
  scopeLocalGas: Map<string, bigint>;
};

type ObjectRecord = { owner: Uint8Array; ownerKey: string; seq: bigint };
type VertexRecord = { writer: TxMeta; ownerKey: string };

/** Format byte of a DAG snapshot. */
export const DAG_SNAPSHOT_FORMAT = 1;
/** Most objects and most unproven transactions a snapshot holds. */
export const DAG_SNAPSHOT_ITEMS_MAX = 1 << 24;
const ACCESS_CODES: Access[] = ['read', 'write', 'readWrite'];
const PRE_FAILURES: (PreFailure | null)[] = [null, 'SCOPE_WRONG_INDEX', 'SCOPE_WRONG_PROGRAM'];

/** A scope walk's answer: the transactions (without the one asked about), their local gas sum. */
export type ScopeWalk = { txs: TxMeta[]; localGas: bigint; exceeded: boolean };

/**
 * The DAG's skeleton for one domain. Transactions are appended in the domain's order with their
 * block height; `advanceProven(h)` moves the proven tip and forgets everything at or below it, so
 * memory and every walk are bounded by the unproven part. Appending and advancing in the same
 * order gives every node the same marking.
 */
export class ObjectDag {
  private readonly objects = new Map<string, ObjectRecord>();
  private readonly vertices = new Map<string, VertexRecord>();
  private readonly byId = new Map<string, TxMeta>();
  /** unproven transactions in order; `head` is the first not yet pruned */
  private readonly order: TxMeta[] = [];
  private head = 0;
  private nextPosition = 0;
  private proven = 0n;
  private lastHeight = 0n;

  /** The proven tip: vertices written at or below it are read from the proven state, not executed. */
  get provenHeight(): bigint {
    return this.proven;
  }

  /** True when the DAG knows no object and no transaction (a state leaves it out of its bytes). */
  isEmpty(): boolean {
    return this.objects.size === 0 && this.head === this.order.length;
  }

  /** Transactions above the proven tip. */
  get unprovenTxs(): number {
    return this.order.length - this.head;
  }

  /** Vertices above the proven tip. */
  get unprovenVertices(): number {
    return this.vertices.size;
  }

  /** The object's owner and latest seq, or undefined when never written. */
  object(object: Uint8Array): { owner: Uint8Array; seq: bigint } | undefined {
    const rec = this.objects.get(hexKey(object));
    return rec ? { owner: rec.owner, seq: rec.seq } : undefined;
  }

  /**
   * Learns an object's owner and latest seq from a proven tree value (`0x04 || object` under the
   * root a block starts from), for a DAG that did not see the object's writes: a verifier that
   * starts following a domain mid-way. Returns false, changing nothing, when the DAG already
   * records the object differently (its history and the tree disagree).
   */
  learnObject(object: Uint8Array, owner: Uint8Array, seq: bigint): boolean {
    const key = hexKey(object);
    const rec = this.objects.get(key);
    if (rec) return equalBytes(rec.owner, owner) && rec.seq === seq;
    this.objects.set(key, { owner: owner.slice(), ownerKey: hexKey(owner), seq });
    return true;
  }

  /** Whether the vertex (object, seq) is above the proven tip (so it must be executed, not proven). */
  isUnproven(object: Uint8Array, seq: bigint): boolean {
    return this.vertices.has(vertexKeyString(object, seq));
  }

  tx(id: Uint8Array): TxMeta | undefined {
    return this.byId.get(hexKey(id));
  }

  /**
   * Canonical bytes of the DAG (for checkpoints):
   * `u8 format (1) || proven u64 || lastHeight u64 || nextPosition u64 || list(objects) || list(unproven txs)`;
   * an object is `object 32 || owner 32 || seq u64`, sorted by id; a transaction is
   * `id 32 || position u64 || height u64 || localGas u64 || scopeGas u64 || bool onDag || u8 preFailure
   * || list(programs 32) || list(entries: object 32 || owner 32 || u8 access || prevSeq u64 || bool written || [seq u64])
   * || list(scopeLocalGas: program 32 || u128)`, in order.
   */
  snapshot(): Uint8Array {
    const w = new Writer(1024)
      .u8(DAG_SNAPSHOT_FORMAT)
      .u64(this.proven)
      .u64(this.lastHeight)
      .u64(BigInt(this.nextPosition));
    const objects = [...this.objects].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    w.list(objects, DAG_SNAPSHOT_ITEMS_MAX, (w, [k, o]) =>
      w.fixed(Buffer.from(k, 'hex'), 32).fixed(o.owner, 32).u64(o.seq),
    );
    w.list(this.order.slice(this.head), DAG_SNAPSHOT_ITEMS_MAX, (w, m) => {
      w.fixed(m.id, 32).u64(BigInt(m.position)).u64(m.height).u64(m.localGas).u64(m.scopeGas);
      w.bool(m.onDag).u8(PRE_FAILURES.indexOf(m.preFailure));
      w.list(m.programs, DECL_OBJECTS_MAX, (w, p) => w.fixed(Buffer.from(p, 'hex'), 32));
      w.list(m.entries, DECL_OBJECTS_MAX, (w, e) => {
        w.fixed(e.object, 32)
          .fixed(e.owner, 32)
          .u8(ACCESS_CODES.indexOf(e.access))
          .u64(e.prevSeq)
          .bool(e.seq !== null);
        if (e.seq !== null) w.u64(e.seq);
      });
      w.list([...m.scopeLocalGas], DECL_OBJECTS_MAX, (w, [p, g]) =>
        w.fixed(Buffer.from(p, 'hex'), 32).u128(g),
      );
    });
    return w.finish();
  }

  /** The DAG a snapshot holds (CODEC for anything but a snapshot's canonical bytes). */
  static restore(bytes: Uint8Array): ObjectDag {
    const r = new Reader(bytes);
    if (r.u8() !== DAG_SNAPSHOT_FORMAT) throw new WeftError('CODEC', 'unknown DAG snapshot format');
    const dag = new ObjectDag();
    dag.proven = r.u64();
    dag.lastHeight = r.u64();
    dag.nextPosition = Number(r.u64());
    r.list(DAG_SNAPSHOT_ITEMS_MAX, (r) => {
      const key = hexKey(r.fixed(32));
      const owner = r.fixed(32).slice();
      dag.objects.set(key, { owner, ownerKey: hexKey(owner), seq: r.u64() });
    });
    r.list(DAG_SNAPSHOT_ITEMS_MAX, (r) => dag.restoreTx(r));
    r.end();
    // One encoding per DAG: anything the snapshot would not write back byte for byte is refused.
    if (!equalBytes(dag.snapshot(), bytes))
      throw new WeftError('CODEC', 'a DAG snapshot that is not canonical');
    return dag;
  }

  /** An independent copy (what a cloned domain state holds). */
  clone(): ObjectDag {
    return ObjectDag.restore(this.snapshot());
  }

  private restoreTx(r: Reader): void {
    const id = r.fixed(32).slice();
    const position = Number(r.u64());
    const height = r.u64();
    const localGas = r.u64();
    const scopeGas = r.u64();
    const onDag = r.bool();
    const preFailure = PRE_FAILURES[r.u8()];
    if (preFailure === undefined) throw new WeftError('CODEC', 'unknown pre-failure in a DAG snapshot');
    const programs = r.list(DECL_OBJECTS_MAX, (r) => hexKey(r.fixed(32)));
    const entries = r.list(DECL_OBJECTS_MAX, (r): ResolvedEntry => {
      const object = r.fixed(32).slice();
      const owner = r.fixed(32).slice();
      const access = ACCESS_CODES[r.u8()];
      if (access === undefined) throw new WeftError('CODEC', 'unknown access in a DAG snapshot');
      const prevSeq = r.u64();
      const seq = r.bool() ? r.u64() : null;
      return { object, objectKey: hexKey(object), owner, access, prevSeq, seq };
    });
    const scopeLocalGas = new Map(r.list(DECL_OBJECTS_MAX, (r) => [hexKey(r.fixed(32)), r.u128()] as const));
    const reads = entries
      .filter((e) => isRead(e.access) && e.prevSeq > 0n)
      .map((e) => vertexKeyString(e.objectKey, e.prevSeq));
    const meta: TxMeta = {
      id,
      idKey: hexKey(id),
      position,
      height,
      localGas,
      scopeGas,
      onDag,
      preFailure,
      entries,
      reads,
      programs,
      scopeLocalGas,
    };
    this.byId.set(meta.idKey, meta);
    this.order.push(meta);
    for (const e of entries) {
      if (e.seq !== null)
        this.vertices.set(vertexKeyString(e.objectKey, e.seq), { writer: meta, ownerKey: hexKey(e.owner) });
    }
  }

  /** Moves the proven tip up to `height` and drops what it now covers. */
  advanceProven(height: bigint): void {
    if (typeof height !== 'bigint' || height < this.proven || height > U64_MAX) {
      throw new WeftError(
        'BAD_HEIGHT',
        `the proven tip only grows: at ${this.proven}, asked ${String(height)}`,
      );
    }
    this.proven = height;
    while (this.head < this.order.length && this.order[this.head]!.height <= height) {
      const meta = this.order[this.head]!;
      for (const e of meta.entries)
        if (e.seq !== null) this.vertices.delete(vertexKeyString(e.objectKey, e.seq));
      this.byId.delete(meta.idKey);
      this.order[this.head++] = undefined as unknown as TxMeta;
    }
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * Appends a transaction included at `height` (above the proven tip, never below the previous
   * one). Marks it off the DAG when, for some program it writes to, the local gas over its scope
   * (itself included) exceeds its scopeGas; otherwise records the vertices it creates.
   */
  append(id: Uint8Array, decl: Declaration, height: bigint): TxMeta {
    checkDeclaration(decl);
    if (typeof height !== 'bigint' || height <= this.proven || height < this.lastHeight || height > U64_MAX) {
      throw new WeftError(
        'BAD_HEIGHT',
        `a transaction is appended above the proven tip (${this.proven}) and not below the last height (${this.lastHeight}), got ${String(height)}`,
      );
    }
    const idKey = hexKey(id);
    if (this.byId.has(idKey))
      throw new WeftError('DUPLICATE_TX', `transaction ${idKey} is already in the DAG`);
    this.lastHeight = height;
    const meta = this.resolve(id, idKey, decl, height);
    meta.position = this.nextPosition++;
    this.byId.set(idKey, meta);
    this.order.push(meta);
    if (!meta.onDag) return meta;
    for (const e of meta.entries) {
      if (!isWrite(e.access)) continue;
      const seq = e.prevSeq + 1n;
      e.seq = seq;
      const ownerKey = hexKey(e.owner);
      this.objects.set(e.objectKey, { owner: e.owner, ownerKey, seq });
      this.vertices.set(vertexKeyString(e.objectKey, seq), { writer: meta, ownerKey });
    }
    return meta;
  }

  /**
   * What appending `decl` now would need as scopeGas: the largest, over the programs it writes,
   * of its localGas plus the local gas of its scope. A wallet's estimate; nodes recompute it.
   */
  scopeGasNeeded(decl: Declaration): bigint {
    checkDeclaration(decl);
    const meta = this.resolve(new Uint8Array(32), '', { ...decl, scopeGas: U64_MAX }, this.lastHeight);
    let most = 0n;
    for (const g of meta.scopeLocalGas.values()) if (g > most) most = g;
    return most;
  }

  /**
   * The scope of `meta` with respect to `program` under the current proven tip, oldest first: the
   * on-DAG transactions a node of `program` must execute to validate it, not counting itself.
   */
  scopeOf(meta: TxMeta, program: Uint8Array): TxMeta[] {
    return this.walk(meta.reads, hexKey(program), null).txs;
  }

  private resolve(id: Uint8Array, idKey: string, decl: Declaration, height: bigint): TxMeta {
    const entries: ResolvedEntry[] = [];
    const reads: string[] = [];
    const programs = new Set<string>();
    let preFailure: PreFailure | null = null;
    for (const e of decl.entries) {
      const objectKey = hexKey(e.object);
      const rec = this.objects.get(objectKey);
      const prevSeq = rec?.seq ?? 0n;
      const owner = rec?.owner ?? e.program;
      entries.push({ object: e.object, objectKey, owner, access: e.access, prevSeq, seq: null });
      if (isRead(e.access) && prevSeq > 0n) reads.push(vertexKeyString(objectKey, prevSeq));
      if (isWrite(e.access)) programs.add(rec?.ownerKey ?? hexKey(e.program));
      if (rec && !equalBytes(rec.owner, e.program)) preFailure ??= 'SCOPE_WRONG_PROGRAM';
      if (e.index !== null && !indexHolds(e.index, prevSeq)) preFailure ??= 'SCOPE_WRONG_INDEX';
    }
    const sorted = [...programs].sort();
    const scopeLocalGas = new Map<string, bigint>();
    let onDag = true;
    for (const p of sorted) {
      const budget = decl.scopeGas - decl.localGas;
      const w = budget < 0n ? { txs: [], localGas: 0n, exceeded: true } : this.walk(reads, p, budget);
      scopeLocalGas.set(p, decl.localGas + w.localGas);
      if (w.exceeded) onDag = false;
    }
    return {
      id,
      idKey,
      position: -1,
      height,
      localGas: decl.localGas,
      scopeGas: decl.scopeGas,
      onDag,
      preFailure: onDag ? preFailure : null,
      entries,
      reads,
      programs: sorted,
      scopeLocalGas,
    };
  }

  /**
   * Walks back from `reads` through unproven vertices whose writer does not write `programKey`
   * (a node of that program executed those already). Stops as soon as the local gas passes
   * `budget` (when given). Cost grows with the scope, never with the DAG.
   */
  private walk(reads: readonly string[], programKey: string, budget: bigint | null): ScopeWalk {
    const seen = new Set<TxMeta>();
    const stack = [...reads];
    let localGas = 0n;
    while (stack.length > 0) {
      const rec = this.vertices.get(stack.pop()!);
      if (rec === undefined) continue; // proven (pruned) or never written: nothing to execute
      const writer = rec.writer;
      if (seen.has(writer) || writer.height <= this.proven) continue;
      if (writer.programs.includes(programKey)) continue;
      seen.add(writer);
      localGas += writer.localGas;
      if ((budget !== null && localGas > budget) || seen.size > SCOPE_TXS_MAX) {
        return { txs: [...seen].sort((a, b) => a.position - b.position), localGas, exceeded: true };
      }
      for (const r of writer.reads) stack.push(r);
    }
    const txs = [...seen].sort((a, b) => a.position - b.position);
    return { txs, localGas, exceeded: false };
  }
}
