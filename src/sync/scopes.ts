// Full-mode verification of scoped blocks (docs/sync.md, "Scoped blocks"): the object witness a
// root update carries (each declared object's value before the block, proven against the
// previous state root), and the object DAG a verifier keeps per followed domain so that it
// computes the same off-DAG marking as the domain. Re-execution itself is weft/scope's
// `executeScopedBlock`, the one the domain's seal runs.
import { equalBytes, hexKey, toHex, WeftError } from '../crypto/index.js';
import {
  decodeObjectState,
  executeScopedBlock,
  ObjectDag,
  type ObjectRead,
  objectKey,
  objectsToRead,
  type ProgramLookup,
  type ScopeTx,
  scopeTxOf,
} from '../scope/index.js';
import { type Proof, verifyProof, type Write } from '../smt/index.js';
import { type Transaction, txId } from '../tx/index.js';

/** Most objects one scoped block's witness may prove (a block's distinct declared objects). */
export const SCOPE_WITNESS_OBJECTS_MAX = 65_536;
/** How many followed blocks back a verifier keeps the object DAG of (by header hash, per domain). */
export const SCOPE_HISTORY_KEPT = 64;

/** One declared object's tree value before the block (`0x04 || object`; null: absent) and its proof. */
export type ObjectWitness = { object: Uint8Array; value: Uint8Array | null; proof: Proof };

/**
 * What a full-mode verifier needs besides the transactions to re-execute a scoped block: the
 * proven tip the block's scopes were computed against (`Block.scopeProvenHeight`) and every
 * object the block's scoped transactions declare, sorted by id, with its value under the
 * previous state root.
 */
export type ScopeWitness = { provenHeight: bigint; objects: ObjectWitness[] };

/** Anything that proves an object's tree value at a height (`Domain.proveObject`). */
export type ObjectProver = {
  proveObject(object: Uint8Array, height?: bigint): { value: Uint8Array | null; proof: Proof };
};

/**
 * The scope witness of a sealed block, from the domain that sealed it (or anyone holding its
 * tree): its declared objects' values at the previous height, with proofs. Undefined for a block
 * without scoped transactions.
 *
 * @example
 * rootUpdateFromBlock(block, signed, { withTxs: true, scopeWitness: scopeWitnessOf(domain, block) });
 */
export function scopeWitnessOf(
  domain: ObjectProver,
  block: { header: { height: bigint }; txs: readonly Transaction[]; scopeProvenHeight?: bigint },
): ScopeWitness | undefined {
  if (block.scopeProvenHeight === undefined) return undefined;
  const scoped: ScopeTx[] = [];
  for (const tx of block.txs) {
    const st = tx.scope === undefined ? null : scopeTxOf(tx, txId(tx));
    if (st) scoped.push(st);
  }
  if (scoped.length === 0) return undefined;
  const prev = block.header.height - 1n;
  const objects = objectsToRead(scoped).map((object) => {
    const p = domain.proveObject(object, prev);
    return { object, value: p.value, proof: p.proof };
  });
  return { provenHeight: block.scopeProvenHeight, objects };
}

function refuse(
  code: 'SCOPE_WITNESS_MISSING' | 'SCOPE_HISTORY_UNKNOWN' | 'BAD_PROOF',
  message: string,
): never {
  throw new WeftError(code, message, {
    details: 'The scoped block could not be re-executed; nothing from it was accepted.',
  });
}

/**
 * The declared objects' values, each checked against `prevRoot`: SCOPE_WITNESS_MISSING when the
 * witness is absent or does not name exactly the declared objects in order, BAD_PROOF when a
 * value (or its absence) is not what the tree under `prevRoot` holds, or does not decode.
 */
export function openScopeWitness(
  prevRoot: Uint8Array,
  witness: ScopeWitness | undefined,
  txs: readonly ScopeTx[],
): ObjectRead[] {
  if (witness === undefined)
    refuse(
      'SCOPE_WITNESS_MISSING',
      'the block holds scoped transactions; the update carries no object witness',
    );
  const declared = objectsToRead(txs);
  if (witness.objects.length !== declared.length)
    refuse(
      'SCOPE_WITNESS_MISSING',
      `the witness proves ${witness.objects.length} objects; the block declares ${declared.length}`,
    );
  const reads: ObjectRead[] = [];
  for (const [i, o] of declared.entries()) {
    const w = witness.objects[i]!;
    if (!equalBytes(w.object, o))
      refuse('SCOPE_WITNESS_MISSING', `the witness does not prove declared object ${toHex(o)} (entry ${i})`);
    if (!verifyProof(prevRoot, objectKey(o), w.value, w.proof))
      refuse('BAD_PROOF', `the value of object ${toHex(o)} is not proven under the previous state root`);
    let state: ObjectRead['state'] = null;
    if (w.value !== null) {
      try {
        state = decodeObjectState(w.value);
      } catch {
        // The signers wrote it (it is proven): still nothing a program can be run on.
        refuse('BAD_PROOF', `the proven value of object ${toHex(o)} is not an object state`);
      }
    }
    reads.push({ object: o, state });
  }
  return reads;
}

/** A followed domain's object DAG after one of its blocks, and the first height it saw. */
type HistoryEntry = { dag: ObjectDag; from: bigint; height: bigint };

/**
 * What a verifier keeps to re-execute a domain's scoped blocks: the programs, and per followed
 * domain the object DAG after each of its last SCOPE_HISTORY_KEPT verified blocks, keyed by
 * header hash (so a refused or forked block never disturbs the DAG an accepted one left). A DAG
 * is complete from the height it first saw: a block whose scopes were computed against a proven
 * tip below that height needs unproven history the verifier never saw (SCOPE_HISTORY_UNKNOWN)
 * and is re-executed once the domain's proven tip has passed it. Memory only: after a restart a
 * verifier starts again from the next block (the same rule).
 */
export class ScopeHistory {
  private readonly byDomain = new Map<string, Map<string, HistoryEntry>>();

  constructor(readonly programs: ProgramLookup) {}

  /** The DAG to verify block `height` of `domainId` on (a copy), after the header `prevHash`. */
  private before(domainId: Uint8Array, prevHash: Uint8Array, height: bigint): HistoryEntry {
    const e = this.byDomain.get(hexKey(domainId))?.get(hexKey(prevHash));
    if (e && e.height === height - 1n) return { dag: e.dag, from: e.from, height: e.height };
    return { dag: new ObjectDag(), from: height, height: height - 1n };
  }

  private keep(domainId: Uint8Array, headerHash: Uint8Array, entry: HistoryEntry): void {
    const d = hexKey(domainId);
    let m = this.byDomain.get(d);
    if (!m) {
      m = new Map();
      this.byDomain.set(d, m);
    }
    m.delete(hexKey(headerHash));
    m.set(hexKey(headerHash), entry);
    while (m.size > SCOPE_HISTORY_KEPT) m.delete(m.keys().next().value!);
  }

  /**
   * Re-executes a block's scoped transactions (`txs`, in block order, their signatures already
   * checked) on the DAG the verifier holds after `prevHash`, from the witness's proven values,
   * and returns the object writes (`0x04 || object -> state`, sorted) the block must make. The
   * resulting DAG is kept under `headerHash` by `commit`, once the caller accepted the block.
   * Throws SCOPE_WITNESS_MISSING, BAD_PROOF, SCOPE_HISTORY_UNKNOWN, SCOPE_UNKNOWN_PROGRAM, or
   * FULL_VALIDATION_FAILED (a proven tip going back, or ahead of the block; a DAG that disagrees
   * with the proven tree).
   */
  execute(input: {
    domainId: Uint8Array;
    prevHash: Uint8Array;
    prevRoot: Uint8Array;
    height: bigint;
    txs: readonly ScopeTx[];
    witness: ScopeWitness | undefined;
  }): { writes: Write[]; commit(headerHash: Uint8Array): void } {
    const base = this.before(input.domainId, input.prevHash, input.height);
    if (input.txs.length === 0) {
      // Nothing executes: the DAG carries over unchanged (the next scoped block advances it).
      return { writes: [], commit: (hh) => this.keep(input.domainId, hh, { ...base, height: input.height }) };
    }
    const reads = openScopeWitness(input.prevRoot, input.witness, input.txs);
    const p = input.witness!.provenHeight;
    if (p >= input.height) fail(`the block claims proven tip ${p}, not below its own height ${input.height}`);
    if (p < base.dag.provenHeight)
      fail(`the block claims proven tip ${p}, below the ${base.dag.provenHeight} an earlier block used`);
    if (p + 1n < base.from)
      refuse(
        'SCOPE_HISTORY_UNKNOWN',
        `the block's scopes reach back to height ${p + 1n}; this verifier followed the domain's objects from ${base.from} only (it re-executes once the proven tip passes ${base.from - 1n})`,
      );
    for (const tx of input.txs)
      for (const c of tx.calls)
        if (this.programs.get(c.program) === undefined)
          throw new WeftError(
            'SCOPE_UNKNOWN_PROGRAM',
            `the block calls program ${toHex(c.program)}, which this verifier does not run`,
          );
    const dag = base.dag.clone();
    dag.advanceProven(p);
    for (const r of reads) {
      const known = r.state === null ? dag.object(r.object) === undefined : true;
      if (!known || (r.state !== null && !dag.learnObject(r.object, r.state.program, r.state.seq)))
        fail(`object ${toHex(r.object)}: the proven tree and the domain's object history disagree`);
    }
    const out = executeScopedBlock({
      dag,
      programs: this.programs,
      height: input.height,
      txs: input.txs,
      reads,
    });
    const entry = { dag, from: base.from, height: input.height };
    return { writes: out.writes, commit: (hh) => this.keep(input.domainId, hh, entry) };
  }
}

function fail(message: string): never {
  throw new WeftError('FULL_VALIDATION_FAILED', message, {
    details: 'The block does not re-execute to the writes it claims; nothing from it was accepted.',
  });
}
