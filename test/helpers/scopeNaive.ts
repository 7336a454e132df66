// A naive model of the object DAG for property tests: keeps the whole history and recomputes
// every scope as a fixpoint over all of it, with no index and no pruning. Not a test file itself.
import { equalBytes, hexKey } from '../../src/crypto/index.js';
import type { Declaration } from '../../src/scope/index.js';

type Rec = {
  id: string;
  height: bigint;
  localGas: bigint;
  onDag: boolean;
  programs: Set<string>;
  reads: Set<string>;
  writes: Set<string>;
};

export type NaiveVerdict = { onDag: boolean; preFailure: string | null; scopes: Map<string, string[]> };

export class NaiveDag {
  private readonly history: Rec[] = [];
  private readonly objects = new Map<string, { owner: Uint8Array; seq: bigint }>();

  append(id: Uint8Array, decl: Declaration, height: bigint, proven: bigint): NaiveVerdict {
    const rec: Rec = {
      id: hexKey(id),
      height,
      localGas: decl.localGas,
      onDag: true,
      programs: new Set(),
      reads: new Set(),
      writes: new Set(),
    };
    let preFailure: string | null = null;
    for (const e of decl.entries) {
      const k = hexKey(e.object);
      const o = this.objects.get(k);
      const seq = o?.seq ?? 0n;
      if (e.access !== 'write' && seq > 0n) rec.reads.add(`${k}:${seq}`);
      if (e.access !== 'read') rec.programs.add(hexKey(o?.owner ?? e.program));
      if (o && !equalBytes(o.owner, e.program)) preFailure ??= 'SCOPE_WRONG_PROGRAM';
      if (e.index && !(e.index.kind === 'exact' ? seq === e.index.seq : seq >= e.index.seq)) {
        preFailure ??= 'SCOPE_WRONG_INDEX';
      }
    }
    const scopes = new Map<string, string[]>();
    for (const p of rec.programs) {
      const members = this.scope(rec.reads, p, proven);
      scopes.set(
        p,
        members.map((m) => m.id),
      );
      let sum = decl.localGas;
      for (const m of members) sum += m.localGas;
      if (sum > decl.scopeGas) rec.onDag = false;
    }
    this.history.push(rec);
    if (rec.onDag) {
      for (const e of decl.entries) {
        if (e.access === 'read') continue;
        const k = hexKey(e.object);
        const o = this.objects.get(k);
        const seq = (o?.seq ?? 0n) + 1n;
        this.objects.set(k, { owner: o?.owner ?? e.program, seq });
        rec.writes.add(`${k}:${seq}`);
      }
    }
    return { onDag: rec.onDag, preFailure: rec.onDag ? preFailure : null, scopes };
  }

  /** Fixpoint: T joins when it qualifies and writes a vertex the reader or a member reads. */
  private scope(reads: Set<string>, program: string, proven: bigint): Rec[] {
    const members: Rec[] = [];
    let grew = true;
    while (grew) {
      grew = false;
      for (const t of this.history) {
        if (members.includes(t) || !t.onDag || t.height <= proven || t.programs.has(program)) continue;
        const needed = [...t.writes].some((v) => reads.has(v) || members.some((m) => m.reads.has(v)));
        if (needed) {
          members.push(t);
          grew = true;
        }
      }
    }
    return members.sort((a, b) => this.history.indexOf(a) - this.history.indexOf(b));
  }
}
