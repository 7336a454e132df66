// Block execution: parallel waves give exactly the sequential result (inline and on worker
// threads), and a follower of one program keeps its objects right while executing no more gas
// than the writers of its program paid for in scope gas.
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexKey, utf8 } from '../src/crypto/index.js';
import {
  conflictWaves,
  counterId,
  counterProgram,
  counterTx,
  decodeObjectState,
  examplePrograms,
  executeScopedBlock,
  inlineRunner,
  ObjectDag,
  objectKey,
  objectsToRead,
  ProgramRegistry,
  ScopeExecutor,
  ScopeFollower,
  type ScopeTx,
  type TxResult,
} from '../src/scope/index.js';
import { Smt } from '../src/smt/index.js';
import { buildWorkload, mixPrograms, mixRegistry, objects, workloadArb } from './helpers/scopeWorkload.js';
import { expectCode } from './support.js';

function summary(results: TxResult[]) {
  return results.map((r) => ({ ...r, id: hexKey(r.id) }));
}

describe('parallel execution', () => {
  it('gives the same roots, statuses, gas and vertices as executing in order', async () => {
    await fc.assert(
      fc.asyncProperty(workloadArb, async (blocks) => {
        const seq = new ScopeExecutor({ programs: mixRegistry });
        const par = new ScopeExecutor({ programs: mixRegistry });
        const runner = inlineRunner(mixRegistry);
        for (const b of buildWorkload(blocks)) {
          seq.advanceProven(b.proven);
          par.advanceProven(b.proven);
          const a = seq.executeBlock(b.height, b.txs);
          const p = await par.executeBlockParallel(b.height, b.txs, runner);
          expect(summary(p.results)).toEqual(summary(a.results));
          expect(p.root).toEqual(a.root);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('puts conflicting transactions in later waves and independent ones side by side', () => {
    const ex = new ScopeExecutor({ programs: new ProgramRegistry(examplePrograms) });
    const [a, b, c] = [counterId('a'), counterId('b'), counterId('c')];
    const g = { localGas: 10_000n, scopeGas: 1_000_000n };
    const read = (object: Uint8Array) => ({
      object,
      program: counterProgram.ref,
      access: 'read' as const,
      index: null,
    });
    const txs = [
      counterTx(a, 1n, g), // wave 0
      counterTx(b, 1n, g), // wave 0
      counterTx(a, 1n, g, { nonce: 1 }), // writes a after the first: wave 1
      counterTx(c, 1n, g, { extra: [read(b)] }), // reads b after its write: wave 1
      counterTx(b, 2n, g, { extra: [read(a)] }), // b after the reader of b, a after wave 1's write: wave 2
    ];
    for (const tx of txs) ex.dag.append(tx.id, tx.declaration, 1n);
    const metas = txs.map((t) => ex.dag.tx(t.id)!);
    expect(conflictWaves(metas)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('gives the same result on worker threads (the built package)', async () => {
    // Workers load compiled JavaScript: this test runs against dist/ (npm run build).
    const dist = new URL('../dist/scope/index.js', import.meta.url);
    expect(existsSync(dist), 'run npm run build first').toBe(true);
    const lib = (await import(dist.href)) as typeof import('../src/scope/index.js');
    const programs = new lib.ProgramRegistry(lib.examplePrograms);
    const runner = new lib.WorkerWaveRunner({
      programsModule: dist.href,
      programsExport: 'examplePrograms',
      programs,
      threads: 1,
    });
    try {
      const counters = Array.from({ length: 24 }, (_, i) => lib.counterId(`w${i}`));
      const g = { localGas: 1_000_000n, scopeGas: 100_000_000n };
      const blocks: ScopeTx[][] = Array.from({ length: 4 }, (_, h) =>
        Array.from({ length: 60 }, (_, i) =>
          lib.counterTx(counters[(i * 7 + h) % 24]!, BigInt(i + 1), g, { rounds: 20, nonce: h * 1000 + i }),
        ),
      );
      const seq = new lib.ScopeExecutor({ programs });
      const par = new lib.ScopeExecutor({ programs });
      for (const [h, txs] of blocks.entries()) {
        const a = seq.executeBlock(BigInt(h + 1), txs);
        const p = await par.executeBlockParallel(BigInt(h + 1), txs, runner);
        expect(summary(p.results)).toEqual(summary(a.results));
        expect(p.root).toEqual(a.root);
      }
      expect(seq.table.size).toBe(24);
    } finally {
      await runner.close();
    }
  });
});

describe('executing over tree reads (the domain’s form)', () => {
  it('gives the executor’s roots and results from the values a runtime reads out of its tree', () => {
    fc.assert(
      fc.property(workloadArb, (blocks) => {
        const reference = new ScopeExecutor({ programs: mixRegistry });
        const tree = Smt.inMemory();
        const dag = new ObjectDag();
        for (const b of buildWorkload(blocks)) {
          reference.advanceProven(b.proven);
          dag.advanceProven(b.proven);
          const want = reference.executeBlock(b.height, b.txs);
          const reads = objectsToRead(b.txs).map((object) => {
            const v = tree.getSync(objectKey(object));
            return { object, state: v === null ? null : decodeObjectState(v) };
          });
          const got = executeScopedBlock({ dag, programs: mixRegistry, height: b.height, txs: b.txs, reads });
          expect(summary(got.results)).toEqual(summary(want.results));
          expect(tree.stage(got.writes).root).toEqual(want.root);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses reads that leave out a declared object', () => {
    const tx = counterTx(counterId('r'), 1n, { localGas: 10_000n, scopeGas: 10_000n });
    expectCode(
      () =>
        executeScopedBlock({
          dag: new ObjectDag(),
          programs: new ProgramRegistry(examplePrograms),
          height: 1n,
          txs: [tx],
          reads: [],
        }),
      'BAD_INPUT',
    );
  });
});

describe('determinism', () => {
  it('executes and follows without reading the clock or drawing randomness', () => {
    const [now, random] = [Date.now, Math.random];
    Date.now = () => {
      throw new Error('Date.now called');
    };
    Math.random = () => {
      throw new Error('Math.random called');
    };
    try {
      fc.assert(
        fc.property(workloadArb, (blocks) => {
          const full = new ScopeExecutor({ programs: mixRegistry });
          full.follow(mixPrograms[0]!.ref);
          const f = new ScopeFollower({ program: mixPrograms[0]!.ref, programs: mixRegistry });
          for (const b of buildWorkload(blocks)) {
            full.advanceProven(b.proven);
            full.executeBlock(b.height, b.txs);
            f.applyBlock(full.takeFollowerBlock(f.program, b.height));
          }
        }),
        { numRuns: 20 },
      );
    } finally {
      Date.now = now;
      Math.random = random;
    }
  });
});

describe('follower of one program', () => {
  it('keeps its program’s objects equal to a full executor’s, within the scope gas its writers paid', () => {
    let executedSomething = 0;
    let scopeOnly = 0;
    fc.assert(
      fc.property(workloadArb, (blocks) => {
        const full = new ScopeExecutor({ programs: mixRegistry });
        const followers = mixPrograms.map((p) => {
          full.follow(p.ref);
          return new ScopeFollower({ program: p.ref, programs: mixRegistry });
        });
        let total = 0n;
        for (const b of buildWorkload(blocks)) {
          full.advanceProven(b.proven);
          const out = full.executeBlock(b.height, b.txs);
          total += out.results.reduce((s, r) => s + r.gasUsed, 0n);
          for (const f of followers) {
            const report = f.applyBlock(full.takeFollowerBlock(f.program, b.height));
            executedSomething += report.executed.length;
            const pk = hexKey(f.program);
            scopeOnly += report.executed.filter((id) => !full.dag.tx(id)?.programs.includes(pk)).length;
            expect(f.gasExecuted <= f.scopeGasPaid).toBe(true);
            const mine = new Map(
              [...full.table]
                .filter(([, v]) => hexKey(v.state.program) === hexKey(f.program))
                .map(([k, v]) => [k, v.state]),
            );
            expect(f.objects()).toEqual(mine);
          }
        }
        // Every follower together never executes more than the full node did, per program at most all of it.
        for (const f of followers) expect(f.gasExecuted <= total).toBe(true);
      }),
      { numRuns: 100 },
    );
    expect(executedSomething).toBeGreaterThan(100);
    // ...and among them transactions that do not write the program: executed only as scope.
    expect(scopeOnly).toBeGreaterThan(20);
  });

  it('refuses a witness that does not verify under the proven root, and a block missing a scope body', () => {
    const full = new ScopeExecutor({ programs: mixRegistry });
    const [a, b] = mixPrograms;
    full.follow(a!.ref);
    const f = new ScopeFollower({ program: a!.ref, programs: mixRegistry });
    const forger = new ScopeFollower({ program: a!.ref, programs: mixRegistry });
    const g = { localGas: 100_000n, scopeGas: 10_000_000n };
    // o1 belongs to mix-b; the reader of o1 writes o0 (mix-a).
    const writeB = buildOne({ writes: [1], reads: [] }, g);
    const readB = buildOne({ writes: [0], reads: [1] }, g);
    full.executeBlock(1n, [writeB]);
    const first = full.takeFollowerBlock(a!.ref, 1n);
    f.applyBlock(first);
    forger.applyBlock(first);
    full.advanceProven(1n);
    full.executeBlock(2n, [readB]);
    const block = full.takeFollowerBlock(a!.ref, 2n);
    // o1's vertex is proven: the follower needs it as a witness, and checks it.
    expect(block.witnesses.map((w) => hexKey(w.object))).toEqual([hexKey(objects[1]!.id)]);
    const forged = {
      ...block,
      witnesses: [{ ...block.witnesses[0]!, state: { ...block.witnesses[0]!.state, value: utf8('forged') } }],
    };
    expectCode(() => forger.applyBlock(forged), 'BAD_PROOF');
    expectCode(() => f.applyBlock({ ...block, bodies: [] }), 'FOLLOWER_MISSING_TX');
    const honest = new ScopeFollower({ program: a!.ref, programs: mixRegistry });
    honest.applyBlock(first);
    expect(honest.applyBlock(block).executed.map(hexKey)).toEqual([hexKey(readB.id)]);
    expect(honest.object(objects[0]!.id)).toEqual(full.table.get(hexKey(objects[0]!.id))!.state);
    expect(b!.name).toBe('mix-b');
  });
});

function buildOne(
  spec: { writes: number[]; reads: number[] },
  g: { localGas: bigint; scopeGas: bigint },
): ScopeTx {
  const entries = [
    ...spec.writes.map((obj) => ({ obj, acc: 1, idx: 0, seq: 0, wrongProgram: false })),
    ...spec.reads.map((obj) => ({ obj, acc: 0, idx: 0, seq: 0, wrongProgram: false })),
  ];
  const [tx] = buildWorkload([
    { txs: [{ entries, localGas: Number(g.localGas), scopeMul: 200, mode: 0, steps: 10 }], provenLag: 0 },
  ])[0]!.txs;
  return tx!;
}
