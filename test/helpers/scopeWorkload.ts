// Random scoped workloads for the scope tests: three generic programs over a small pool of
// objects, so transactions read, write, overwrite and conflict often. Not a test file itself.
import fc from 'fast-check';
import { Reader, utf8, Writer } from '../../src/crypto/index.js';
import { accept, reject } from '../../src/resource/index.js';
import {
  type Access,
  type DeclEntry,
  declare,
  defineProgram,
  objectId,
  type Program,
  ProgramRegistry,
  type ScopeTx,
  type SeqIndex,
  scopeTx,
} from '../../src/scope/index.js';

/** mode 0: work then write; 1: reject; 2: read an undeclared object; 3: write an object it may not. */
function mixProgram(name: string): Program {
  return defineProgram({
    name,
    version: 1,
    execute(ctx, input) {
      const r = new Reader(input);
      const mode = r.u8();
      const steps = r.u32();
      r.u32(); // nonce
      const reads = r.list(64, (r) => r.fixed(32));
      const writes = r.list(64, (r) => r.fixed(32));
      const illegal = r.fixed(32);
      r.end();
      ctx.step(steps);
      let acc: Uint8Array = new Uint8Array(32);
      for (const o of reads) acc = ctx.hash(new Uint8Array([...acc, ...(ctx.read(o) ?? [])]));
      if (mode === 1) return reject('asked to reject');
      if (mode === 2) ctx.read(illegal);
      if (mode === 3) ctx.write(illegal, acc);
      for (const o of writes) ctx.write(o, acc);
      return accept();
    },
  });
}

export const mixPrograms = [mixProgram('mix-a'), mixProgram('mix-b'), mixProgram('mix-c')];
export const mixRegistry = new ProgramRegistry(mixPrograms);
export const OBJECTS = 8;
/** Object i belongs to program i % 3. */
export const objects = Array.from({ length: OBJECTS }, (_, i) => ({
  id: objectId(mixPrograms[i % 3]!.ref, utf8(`o${i}`)),
  program: mixPrograms[i % 3]!,
}));

export type EntrySpec = { obj: number; acc: number; idx: number; seq: number; wrongProgram: boolean };
export type TxSpec = {
  entries: EntrySpec[];
  localGas: number;
  scopeMul: number;
  mode: number;
  steps: number;
};
export type BlockSpec = { txs: TxSpec[]; provenLag: number };

export const txArb: fc.Arbitrary<TxSpec> = fc.record({
  entries: fc.uniqueArray(
    fc.record({
      obj: fc.integer({ min: 0, max: OBJECTS - 1 }),
      acc: fc.integer({ min: 0, max: 2 }),
      idx: fc.constantFrom(0, 0, 0, 1, 2),
      seq: fc.integer({ min: 0, max: 4 }),
      wrongProgram: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
    }),
    { minLength: 1, maxLength: 4, selector: (e) => e.obj },
  ),
  localGas: fc.integer({ min: 1_000, max: 30_000 }),
  scopeMul: fc.integer({ min: 0, max: 12 }),
  mode: fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2, 3),
  steps: fc.integer({ min: 0, max: 40_000 }),
});

export const workloadArb: fc.Arbitrary<BlockSpec[]> = fc.array(
  fc.record({
    txs: fc.array(txArb, { minLength: 0, maxLength: 6 }),
    provenLag: fc.integer({ min: 0, max: 3 }),
  }),
  { minLength: 1, maxLength: 12 },
);

const ACCESS: Access[] = ['read', 'readWrite', 'write'];

/** Builds the transaction a spec describes; `serial` makes ids distinct. */
export function buildTx(spec: TxSpec, serial: number): ScopeTx {
  const entries: DeclEntry[] = spec.entries.map((e) => {
    const o = objects[e.obj]!;
    const access = ACCESS[e.acc]!;
    let index: SeqIndex | null = null;
    if (e.idx === 1) index = { kind: 'exact', seq: BigInt(e.seq) };
    if (e.idx === 2) index = { kind: 'atLeast', seq: BigInt(e.seq) };
    if (access === 'write' && index === null) index = { kind: 'atLeast', seq: 0n };
    const program = e.wrongProgram ? objects[(e.obj + 1) % OBJECTS]!.program.ref : o.program.ref;
    return { object: o.id, program, access, index };
  });
  const localGas = BigInt(spec.localGas);
  const decl = declare(entries, { localGas, scopeGas: (localGas * BigInt(spec.scopeMul)) / 2n });
  const byProgram = new Map<Program, { reads: Uint8Array[]; writes: Uint8Array[] }>();
  const readable = decl.entries.filter((e) => e.access !== 'write').map((e) => e.object);
  for (const e of spec.entries) {
    const o = objects[e.obj]!;
    const slot = byProgram.get(o.program) ?? { reads: readable, writes: [] };
    if (ACCESS[e.acc] !== 'read') slot.writes.push(o.id);
    byProgram.set(o.program, slot);
  }
  const illegal =
    spec.mode === 3
      ? objects[(spec.entries[0]!.obj + 1) % OBJECTS]!.id
      : objectId(mixPrograms[0]!.ref, utf8('nowhere'));
  const calls = [...byProgram].map(([program, slot]) => {
    const w = new Writer(256).u8(spec.mode).u32(spec.steps).u32(serial);
    w.list(slot.reads, 64, (w, o) => w.fixed(o, 32));
    w.list(slot.writes, 64, (w, o) => w.fixed(o, 32));
    w.fixed(illegal, 32);
    return { program: program.ref, input: w.finish() };
  });
  return scopeTx({ declaration: decl, calls });
}

/** Blocks of built transactions with the proven tip each is executed against (monotone). */
export function buildWorkload(blocks: BlockSpec[]): { height: bigint; proven: bigint; txs: ScopeTx[] }[] {
  let serial = 0;
  let proven = 0n;
  return blocks.map((b, i) => {
    const height = BigInt(i + 1);
    const target = height - 1n - BigInt(b.provenLag);
    if (target > proven) proven = target;
    return { height, proven, txs: b.txs.map((t) => buildTx(t, serial++)) };
  });
}
