// The object DAG: scopes against a naive model, the off-DAG marking identical on every node,
// scopes that stop at the proven tip, and write-only updates shrinking readers' scopes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAll, hexKey, utf8, Writer } from '../src/crypto/index.js';
import {
  type Declaration,
  declare,
  ObjectDag,
  objectId,
  readDeclaration,
  type TxMeta,
  writeDeclaration,
} from '../src/scope/index.js';
import { NaiveDag } from './helpers/scopeNaive.js';
import { buildWorkload, mixPrograms, objects, workloadArb } from './helpers/scopeWorkload.js';
import { expectCode } from './support.js';

function marking(metas: TxMeta[]): string[] {
  return metas.map((m) => `${m.idKey}:${m.onDag}:${m.preFailure}:${m.entries.map((e) => e.seq).join(',')}`);
}

describe('scope computation', () => {
  it('equals a naive fixpoint over the whole history, for every program written', () => {
    const seen = { offDag: 0, nonEmptyScopes: 0, preFailed: 0, proven: 0 };
    fc.assert(
      fc.property(workloadArb, (blocks) => {
        const dag = new ObjectDag();
        const naive = new NaiveDag();
        for (const b of buildWorkload(blocks)) {
          dag.advanceProven(b.proven);
          for (const tx of b.txs) {
            const meta = dag.append(tx.id, tx.declaration, b.height);
            const want = naive.append(tx.id, tx.declaration, b.height, b.proven);
            expect(meta.onDag).toBe(want.onDag);
            expect(meta.preFailure).toBe(want.preFailure);
            expect(meta.programs).toEqual([...want.scopes.keys()].sort());
            if (!meta.onDag) seen.offDag++;
            if (meta.preFailure) seen.preFailed++;
            if (b.proven > 0n) seen.proven++;
            if (!meta.onDag) continue;
            for (const [p, ids] of want.scopes) {
              if (ids.length > 0) seen.nonEmptyScopes++;
              const got = dag.scopeOf(meta, Uint8Array.from(Buffer.from(p, 'hex'))).map((m) => m.idKey);
              expect(got).toEqual(ids);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
    // The workload must reach every branch, or the comparison proves little.
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(20);
  });

  it('marks the same transactions off the DAG on independently built nodes (one decodes the declarations from bytes)', () => {
    fc.assert(
      fc.property(workloadArb, (blocks) => {
        const work = buildWorkload(blocks);
        const pruning = new ObjectDag();
        const lagging = new ObjectDag();
        const a: TxMeta[] = [];
        const b: TxMeta[] = [];
        for (const blk of work) {
          pruning.advanceProven(blk.proven);
          for (const tx of blk.txs) a.push(pruning.append(tx.id, tx.declaration, blk.height));
        }
        // The second node receives the same chain block by block, a fresh copy of every declaration.
        for (const blk of work) {
          lagging.advanceProven(blk.proven);
          for (const tx of blk.txs) {
            const w = new Writer();
            writeDeclaration(w, tx.declaration);
            const copy: Declaration = decodeAll(w.finish(), readDeclaration);
            b.push(lagging.append(Uint8Array.from(tx.id), copy, blk.height));
          }
        }
        expect(marking(b)).toEqual(marking(a));
        expect(pruning.unprovenTxs).toBe(lagging.unprovenTxs);
      }),
      { numRuns: 100 },
    );
  });
});

describe('DAG snapshots', () => {
  it('restore a DAG that continues exactly like the original, and re-encode to the same bytes', () => {
    fc.assert(
      fc.property(workloadArb, fc.nat(), (blocks, cut) => {
        const work = buildWorkload(blocks);
        const at = cut % work.length;
        const straight = new ObjectDag();
        let resumed = new ObjectDag();
        const a: TxMeta[] = [];
        const b: TxMeta[] = [];
        for (const [i, blk] of work.entries()) {
          if (i === at) {
            const bytes = resumed.snapshot();
            resumed = ObjectDag.restore(bytes);
            expect(resumed.snapshot()).toEqual(bytes);
          }
          straight.advanceProven(blk.proven);
          resumed.advanceProven(blk.proven);
          for (const tx of blk.txs) {
            const m = straight.append(tx.id, tx.declaration, blk.height);
            const n = resumed.append(tx.id, tx.declaration, blk.height);
            a.push(m);
            b.push(n);
            for (const p of m.programs) {
              const ref = Uint8Array.from(Buffer.from(p, 'hex'));
              expect(resumed.scopeOf(n, ref).map((x) => x.idKey)).toEqual(
                straight.scopeOf(m, ref).map((x) => x.idKey),
              );
            }
          }
        }
        expect(marking(b)).toEqual(marking(a));
        expect(resumed.clone().snapshot()).toEqual(straight.snapshot());
      }),
      { numRuns: 100 },
    );
  });

  it('refuse bytes that are not a snapshot', () => {
    const bytes = new ObjectDag().snapshot();
    expectCode(() => ObjectDag.restore(Uint8Array.of(...bytes, 0)), 'CODEC');
    expectCode(() => ObjectDag.restore(Uint8Array.of(9, ...bytes.subarray(1))), 'CODEC');
  });
});

const [A, B] = mixPrograms;
const gas = (localGas: bigint, scopeGas: bigint) => ({ localGas, scopeGas });

describe('object DAG rules', () => {
  const x = objectId(A!.ref, utf8('x'));
  const y = objectId(B!.ref, utf8('y'));
  const id = (n: number) => new Uint8Array(32).fill(n);
  const rw = (object: Uint8Array, program: Uint8Array) => ({
    object,
    program,
    access: 'readWrite' as const,
    index: null,
  });
  const rd = (object: Uint8Array, program: Uint8Array) => ({
    object,
    program,
    access: 'read' as const,
    index: null,
  });

  it('stops a scope at the proven tip: proven writers are never executed again', () => {
    const dag = new ObjectDag();
    dag.append(id(1), declare([rw(y, B!.ref)], gas(100000n, 100000n)), 1n);
    dag.append(id(2), declare([rw(y, B!.ref)], gas(100000n, 200000n)), 2n);
    const reader = declare([rw(x, A!.ref), rd(y, B!.ref)], gas(100000n, 300000n));
    expect(dag.scopeGasNeeded(reader)).toBe(300000n);
    dag.advanceProven(1n);
    expect(dag.scopeGasNeeded(reader)).toBe(200000n);
    const meta = dag.append(id(3), reader, 3n);
    expect(dag.scopeOf(meta, A!.ref).map((m) => m.idKey)).toEqual([hexKey(id(2))]);
    dag.advanceProven(2n);
    expect(dag.scopeOf(meta, A!.ref)).toEqual([]);
    expect(dag.unprovenTxs).toBe(1);
  });

  it('puts an unfunded transaction off the DAG: no vertex, and the next reader reads the vertex before it', () => {
    const dag = new ObjectDag();
    dag.append(id(1), declare([rw(y, B!.ref)], gas(1000000n, 1000000n)), 1n);
    const poor = dag.append(id(2), declare([rw(x, A!.ref), rd(y, B!.ref)], gas(1000000n, 1999000n)), 1n);
    expect(poor.onDag).toBe(false);
    expect(dag.object(x)).toBeUndefined();
    const rich = dag.append(id(3), declare([rw(x, A!.ref), rd(y, B!.ref)], gas(1000000n, 2000000n)), 1n);
    expect(rich.onDag).toBe(true);
    expect(dag.object(x)?.seq).toBe(1n);
  });

  it('never wraps a scope sum: u64-max local gas in the scope leaves the reader unfunded', () => {
    const dag = new ObjectDag();
    const max = (1n << 64n) - 1n;
    dag.append(id(1), declare([rw(y, B!.ref)], gas(max, max)), 1n);
    const reader = dag.append(id(2), declare([rw(x, A!.ref), rd(y, B!.ref)], gas(1000n, max)), 1n);
    // max + 1000 wraps to 999 in u64 arithmetic; the sum is exact here.
    expect(reader.onDag).toBe(false);
    expect(reader.scopeLocalGas.get(hexKey(A!.ref))).toBe(max + 1000n);
  });

  it('refuses heights at or below the proven tip, a shrinking proven tip and a duplicate id', () => {
    const dag = new ObjectDag();
    dag.append(id(1), declare([rw(x, A!.ref)], gas(1000n, 1000n)), 2n);
    dag.advanceProven(2n);
    expectCode(() => dag.append(id(2), declare([rw(x, A!.ref)], gas(1000n, 1000n)), 2n), 'BAD_HEIGHT');
    expectCode(() => dag.advanceProven(1n), 'BAD_HEIGHT');
    dag.append(id(3), declare([rw(x, A!.ref)], gas(1000n, 1000n)), 3n);
    expectCode(() => dag.append(id(3), declare([rw(x, A!.ref)], gas(1000n, 1000n)), 3n), 'DUPLICATE_TX');
  });

  it('fails a wrong index or a wrong owner from metadata, still creating the declared vertices', () => {
    const dag = new ObjectDag();
    dag.append(id(1), declare([rw(x, A!.ref)], gas(1000n, 1000n)), 1n);
    const wrongIndex = dag.append(
      id(2),
      declare(
        [{ object: x, program: A!.ref, access: 'write', index: { kind: 'exact', seq: 5n } }],
        gas(1000n, 1000n),
      ),
      1n,
    );
    expect(wrongIndex.preFailure).toBe('SCOPE_WRONG_INDEX');
    expect(wrongIndex.entries[0]!.seq).toBe(2n);
    const lowerBound = dag.append(
      id(3),
      declare(
        [{ object: x, program: A!.ref, access: 'write', index: { kind: 'atLeast', seq: 1n } }],
        gas(1000n, 1000n),
      ),
      1n,
    );
    expect(lowerBound.preFailure).toBeNull();
    const wrongOwner = dag.append(id(4), declare([rw(x, B!.ref)], gas(1000n, 1000n)), 1n);
    expect(wrongOwner.preFailure).toBe('SCOPE_WRONG_PROGRAM');
    // Its vertex belongs to the real owner, so A's nodes still see it.
    expect(wrongOwner.programs).toEqual([hexKey(A!.ref)]);
    expect(dag.object(x)).toEqual({ owner: A!.ref, seq: 4n });
  });

  it('uses the objects of the test workload owned round-robin by three programs', () => {
    expect(objects.map((o) => o.program.name).slice(0, 4)).toEqual(['mix-a', 'mix-b', 'mix-c', 'mix-a']);
  });
});
