// Objects, declarations, gas and single-transaction execution, with the adversarial cases each
// rule exists for, and the example programs (counter, oracle-priced pair).
import { describe, expect, it } from 'vitest';
import { decodeAll, keyPairFromSeed, sha256, toHex, utf8, Writer } from '../src/crypto/index.js';
import {
  counterId,
  counterProgram,
  counterTx,
  DECL_OBJECTS_MAX,
  type Declaration,
  type DeclEntry,
  declare,
  decodeObjectState,
  decodeScopeBody,
  encodeObjectState,
  encodeScopeBody,
  examplePrograms,
  GAS,
  GasMeter,
  NULL_VALUE_HASH,
  OBJECT_KEY_PREFIX,
  OutOfGasSignal,
  objectId,
  objectKey,
  oracleFeedId,
  oracleProgram,
  oracleUpdateTx,
  ProgramRegistry,
  pairPoolId,
  pairProgram,
  pairSwapTx,
  readDeclaration,
  ScopeExecutor,
  scopeTx,
  valueHash,
  writeDeclaration,
} from '../src/scope/index.js';
import { expectCode } from './support.js';

const programs = new ProgramRegistry(examplePrograms);
const U64_MAX = (1n << 64n) - 1n;
const gas = (localGas: bigint, scopeGas = localGas * 100n) => ({ localGas, scopeGas });

function encodeDecl(d: Declaration): Uint8Array {
  const w = new Writer();
  writeDeclaration(w, d);
  return w.finish();
}

describe('objects', () => {
  it('live under 0x04 || objectId with a documented canonical value', () => {
    const id = objectId(counterProgram.ref, utf8('main'));
    expect(objectKey(id)[0]).toBe(OBJECT_KEY_PREFIX);
    expect(objectKey(id).subarray(1)).toEqual(id);
    const state = { program: counterProgram.ref, seq: 3n, value: utf8('v') };
    const bytes = encodeObjectState(state);
    // format 1 || program 32 || seq u64 || hasValue 1 || u32 len || value
    expect(bytes.length).toBe(1 + 32 + 8 + 1 + 4 + 1);
    expect(toHex(bytes.subarray(33, 41))).toBe('0x0000000000000003');
    expect(decodeObjectState(bytes)).toEqual(state);
    const empty = { program: counterProgram.ref, seq: 1n, value: null };
    expect(decodeObjectState(encodeObjectState(empty))).toEqual(empty);
    expect(valueHash(null)).toEqual(NULL_VALUE_HASH);
    expect(valueHash(utf8('v'))).toEqual(sha256(utf8('v')));
  });

  it('refuses non-canonical object values: seq 0, trailing bytes, an unknown format, oversize values', () => {
    const bytes = encodeObjectState({ program: counterProgram.ref, seq: 1n, value: null });
    expectCode(() => decodeObjectState(Uint8Array.of(...bytes, 0)), 'CODEC');
    expectCode(() => decodeObjectState(Uint8Array.of(2, ...bytes.subarray(1))), 'CODEC');
    const zero = bytes.slice();
    zero.fill(0, 33, 41);
    expectCode(() => decodeObjectState(zero), 'CODEC');
    expectCode(
      () => encodeObjectState({ program: counterProgram.ref, seq: 1n, value: new Uint8Array(4097) }),
      'OBJECT_VALUE_TOO_LARGE',
    );
  });
});

describe('declarations', () => {
  const a = counterId('a');
  const b = counterId('b');
  const entry = (
    object: Uint8Array,
    access: DeclEntry['access'],
    index: DeclEntry['index'] = null,
  ): DeclEntry => ({
    object,
    program: counterProgram.ref,
    access,
    index,
  });

  it('round-trip through canonical bytes', () => {
    const d = declare(
      [entry(a, 'readWrite'), entry(b, 'write', { kind: 'atLeast', seq: 7n })],
      gas(1000n, 99n),
    );
    const bytes = encodeDecl(d);
    expect(decodeAll(bytes, readDeclaration)).toEqual(d);
    // format, localGas, scopeGas, count, then per entry 66 bytes (+ 8 with an index)
    expect(bytes.length).toBe(1 + 8 + 8 + 4 + 66 + 66 + 8);
  });

  it('refuse w ⊄ r: a write-only entry must name the sequence index it overwrites', () => {
    expectCode(() => declare([entry(a, 'write')], gas(1000n)), 'DECL_WRITE_NOT_READ');
  });

  it('refuse duplicates, unsorted entries, too many entries and malformed fields, each with its code', () => {
    expectCode(() => declare([entry(a, 'read'), entry(a, 'readWrite')], gas(1000n)), 'DECL_DUPLICATE_OBJECT');
    const sorted = declare([entry(a, 'read'), entry(b, 'read')], gas(1000n));
    const unsorted = { ...sorted, entries: [...sorted.entries].reverse() };
    expectCode(() => encodeDecl(unsorted), 'DECL_NOT_CANONICAL');
    const many = Array.from({ length: DECL_OBJECTS_MAX + 1 }, (_, i) => entry(counterId(`o${i}`), 'read'));
    expectCode(() => declare(many, gas(1000n)), 'DECL_TOO_MANY_OBJECTS');
    expectCode(
      () => declare([{ ...entry(a, 'read'), program: new Uint8Array(31) }], gas(1000n)),
      'DECL_MALFORMED',
    );
    expectCode(() => declare([entry(a, 'delete' as never)], gas(1000n)), 'DECL_MALFORMED');
    expectCode(() => declare([entry(a, 'read', { kind: 'exact', seq: -1n })], gas(1000n)), 'DECL_MALFORMED');
  });

  it('refuse gas commitments outside u64, in objects and in bytes', () => {
    expectCode(
      () => declare([entry(a, 'read')], { localGas: U64_MAX + 1n, scopeGas: 1n }),
      'GAS_OUT_OF_RANGE',
    );
    expectCode(() => declare([entry(a, 'read')], { localGas: 1n, scopeGas: -1n }), 'GAS_OUT_OF_RANGE');
    // Below the base cost a transaction could never run, yet would lengthen every scope walk.
    expectCode(
      () => declare([entry(a, 'read')], { localGas: GAS.txBase - 1n, scopeGas: 0n }),
      'GAS_BELOW_BASE',
    );
    const bytes = encodeDecl(declare([entry(a, 'write', { kind: 'exact', seq: 0n })], gas(1000n)));
    const overflow = bytes.slice();
    overflow.fill(0xff, 1, 9); // localGas = 2^64 - 1 is still a u64: accepted
    expect(decodeAll(overflow, readDeclaration).localGas).toBe(U64_MAX);
    const noIndex = bytes.slice(0, bytes.length - 9);
    const w = new Writer().fixed(noIndex, noIndex.length).u8(0);
    expectCode(() => decodeAll(w.finish(), readDeclaration), 'DECL_WRITE_NOT_READ');
    expectCode(() => decodeAll(Uint8Array.of(...bytes, 0), readDeclaration), 'CODEC');
  });

  it('round-trip a whole scoped body (declaration and calls)', () => {
    const tx = counterTx(a, 5n, gas(10_000n), { nonce: 3 });
    const body = { declaration: tx.declaration, calls: tx.calls };
    expect(decodeScopeBody(encodeScopeBody(body))).toEqual(body);
    expectCode(
      () =>
        encodeScopeBody({
          ...body,
          calls: [{ program: counterProgram.ref, input: new Uint8Array(16 * 1024 + 1) }],
        }),
      'CALL_INPUT_TOO_LARGE',
    );
  });
});

describe('gas', () => {
  it('meters exactly and stays dry once exhausted', () => {
    const m = new GasMeter(10n);
    m.charge(4n);
    expect(m.used).toBe(4n);
    expect(() => m.charge(7n)).toThrow('out of gas');
    expect(m.used).toBe(10n);
    expect(() => m.charge(0n)).toThrow('out of gas');
    expectCode(() => new GasMeter(U64_MAX + 1n), 'GAS_OUT_OF_RANGE');
  });

  it('charges the schedule: base, the meta-instruction reads, calls, hashes, writes and steps', () => {
    const ex = new ScopeExecutor({ programs });
    const c = counterId('g');
    const input = new Writer().fixed(c, 32).u64(1n).u32(2).finish();
    const [r] = ex.executeBlock(1n, [counterTx(c, 1n, gas(100_000n), { rounds: 2 })]).results;
    const expected =
      GAS.txBase +
      GAS.objectRead + // meta-instruction: never written, 0 bytes
      GAS.call +
      GAS.callPerByte * BigInt(input.length) +
      2n * (GAS.hash + 32n * GAS.hashPerByte) +
      GAS.objectRead + // ctx.read
      4n * GAS.logicStep +
      GAS.objectWrite +
      8n * GAS.objectWritePerByte;
    expect(r!.status).toBe('ok');
    expect(r!.gasUsed).toBe(expected);
  });
});

describe('execution', () => {
  const c = counterId('c');
  const counterValue = (ex: ScopeExecutor, id = c) => ex.table.get(Buffer.from(id).toString('hex'))?.state;

  it('runs the counter: each write creates the next vertex', () => {
    const ex = new ScopeExecutor({ programs });
    const out = ex.executeBlock(1n, [counterTx(c, 5n, gas(10_000n)), counterTx(c, 7n, gas(10_000n))]);
    expect(out.results.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(out.results.map((r) => r.vertices[0]!.seq)).toEqual([1n, 2n]);
    expect(out.results[1]!.reads[0]!.seq).toBe(1n);
    expect(counterValue(ex)?.value).toEqual(new Writer().u64(12n).finish());
  });

  it('fails out of localGas, charges the whole localGas, and writes a same-value vertex', () => {
    const ex = new ScopeExecutor({ programs });
    ex.executeBlock(1n, [counterTx(c, 5n, gas(10_000n))]);
    const before = counterValue(ex)!;
    const [r] = ex.executeBlock(2n, [counterTx(c, 1n, gas(5_000n), { rounds: 1000 })]).results;
    expect(r!.status).toBe('failed');
    expect(r!.code).toBe('OUT_OF_GAS');
    expect(r!.gasUsed).toBe(5_000n);
    expect(r!.vertices).toEqual([{ object: c, seq: 2n, valueHash: valueHash(before.value) }]);
    expect(counterValue(ex)).toEqual({ ...before, seq: 2n });
  });

  it('fails a program that touches an undeclared object, however it handles the error', () => {
    const sneaky = objectId(counterProgram.ref, utf8('sneaky'));
    const p = new ProgramRegistry([
      ...examplePrograms.filter((x) => x !== counterProgram),
      {
        ...counterProgram,
        execute(ctx, input) {
          try {
            ctx.read(sneaky);
          } catch {
            // swallowed: the transaction must fail all the same
          }
          return counterProgram.execute(ctx, input);
        },
      },
    ]);
    const ex = new ScopeExecutor({ programs: p });
    const [r] = ex.executeBlock(1n, [counterTx(c, 5n, gas(10_000n))]).results;
    expect(r!.status).toBe('failed');
    expect(r!.code).toBe('SCOPE_UNDECLARED');
    expect(r!.vertices[0]!.valueHash).toEqual(NULL_VALUE_HASH);
  });

  it('fails a write to a read-only entry and a write to another program’s object', () => {
    const ex = new ScopeExecutor({ programs });
    const readOnly = scopeTx({
      declaration: declare(
        [{ object: c, program: counterProgram.ref, access: 'read', index: null }],
        gas(10_000n),
      ),
      calls: [{ program: counterProgram.ref, input: new Writer().fixed(c, 32).u64(1n).u32(0).finish() }],
    });
    const feed = oracleFeedId(keyPairFromSeed('ed25519', new Uint8Array(32)).publicKey, utf8('x'));
    const foreign = scopeTx({
      declaration: declare(
        [{ object: feed, program: oracleProgram.ref, access: 'readWrite', index: null }],
        gas(10_000n),
      ),
      calls: [{ program: counterProgram.ref, input: new Writer().fixed(feed, 32).u64(1n).u32(0).finish() }],
    });
    const out = ex.executeBlock(1n, [readOnly, foreign]);
    expect(out.results.map((r) => r.code)).toEqual(['SCOPE_NOT_WRITABLE', 'SCOPE_NOT_OWNER']);
    expect(out.results[0]!.vertices).toEqual([]);
    expect(out.results[1]!.vertices.length).toBe(1);
  });

  it('fails a call to an unknown program and reports a program that throws as PROGRAM_FAULT', () => {
    const ex = new ScopeExecutor({ programs });
    const unknown = scopeTx({
      declaration: declare(
        [{ object: c, program: counterProgram.ref, access: 'readWrite', index: null }],
        gas(10_000n),
      ),
      calls: [{ program: new Uint8Array(32).fill(9), input: new Uint8Array() }],
    });
    const garbage = scopeTx({
      declaration: declare(
        [{ object: c, program: counterProgram.ref, access: 'readWrite', index: null }],
        gas(10_000n),
      ),
      calls: [{ program: counterProgram.ref, input: Uint8Array.of(1, 2, 3) }],
    });
    expect(ex.executeBlock(1n, [unknown, garbage]).results.map((r) => r.code)).toEqual([
      'SCOPE_UNKNOWN_PROGRAM',
      'PROGRAM_FAULT',
    ]);
  });

  it('fails a program that throws a forged out-of-gas signal instead of letting it end the run quietly', () => {
    const forger = new ProgramRegistry([
      {
        ...counterProgram,
        execute(ctx, input) {
          counterProgram.execute(ctx, input);
          throw new OutOfGasSignal('not really');
        },
      },
    ]);
    const ex = new ScopeExecutor({ programs: forger });
    const [r] = ex.executeBlock(1n, [counterTx(c, 5n, gas(10_000n))]).results;
    expect(r!.code).toBe('PROGRAM_FAULT');
    expect(r!.vertices[0]!.valueHash).toEqual(NULL_VALUE_HASH);
  });

  it('survives a program asking for 2^70 steps: out of gas, not an overflow', () => {
    const huge = new ProgramRegistry([
      {
        ...counterProgram,
        execute(ctx) {
          ctx.step(1n << 70n);
          return { ok: true };
        },
      },
    ]);
    const ex = new ScopeExecutor({ programs: huge });
    const [r] = ex.executeBlock(1n, [counterTx(c, 1n, { localGas: U64_MAX, scopeGas: U64_MAX })]).results;
    expect(r!.code).toBe('PROGRAM_FAULT');
    const ex2 = new ScopeExecutor({
      programs: new ProgramRegistry([
        {
          ...counterProgram,
          execute(ctx) {
            ctx.step(U64_MAX);
            return { ok: true };
          },
        },
      ]),
    });
    const [r2] = ex2.executeBlock(1n, [counterTx(c, 1n, { localGas: U64_MAX, scopeGas: U64_MAX })]).results;
    expect(r2!.code).toBe('OUT_OF_GAS');
    expect(r2!.gasUsed).toBe(U64_MAX);
  });

  it('marks an unfunded transaction off the DAG: it executes nothing and creates no vertex', () => {
    const ex = new ScopeExecutor({ programs });
    const [r] = ex.executeBlock(1n, [counterTx(c, 1n, { localGas: 10_000n, scopeGas: 9_999n })]).results;
    expect(r).toMatchObject({ status: 'offDag', code: 'SCOPE_UNFUNDED', gasUsed: 0n, vertices: [] });
    expect(counterValue(ex)).toBeUndefined();
  });
});

describe('example: a pair priced by a write-only oracle feed', () => {
  const oracle = keyPairFromSeed('ed25519', new Uint8Array(32).fill(7));
  const feed = oracleFeedId(oracle.publicKey, utf8('KAS/USD'));
  const pool = pairPoolId('KAS/USD');
  const UPDATES = 100;
  const local = 20_000n;

  function run(form: 'writeOnly' | 'readWrite') {
    const ex = new ScopeExecutor({ programs });
    const updates = Array.from({ length: UPDATES }, (_, i) =>
      oracleUpdateTx(
        oracle.publicKey,
        'KAS/USD',
        BigInt(1_000_000 + i),
        { localGas: local, scopeGas: local * 200n },
        form === 'writeOnly' ? { index: { kind: 'exact', seq: BigInt(i) } } : { readWrite: true },
      ),
    );
    const up = ex.executeBlock(1n, updates);
    expect(up.results.every((r) => r.status === 'ok')).toBe(true);
    const swap = pairSwapTx(pool, feed, 1_000n, { localGas: local, scopeGas: 0n });
    return { ex, needed: ex.dag.scopeGasNeeded(swap.declaration) };
  }

  it('shrinks a reader’s scope from every update to the latest one', () => {
    const readWrite = run('readWrite');
    const writeOnly = run('writeOnly');
    expect(readWrite.needed).toBe(local * BigInt(UPDATES + 1));
    expect(writeOnly.needed).toBe(local * 2n);
  });

  it('prices the swap from the latest feed value, funded at exactly the scope it needs', () => {
    const { ex, needed } = run('writeOnly');
    const exact = pairSwapTx(pool, feed, 1_000n, { localGas: local, scopeGas: needed });
    const short = pairSwapTx(pool, feed, 2_000n, { localGas: local, scopeGas: needed - 1n });
    const out = ex.executeBlock(2n, [short, exact]);
    expect(out.results.map((r) => r.status)).toEqual(['offDag', 'ok']);
    const state = ex.table.get(Buffer.from(pool).toString('hex'))!.state;
    const outAmount = (1_000n * BigInt(1_000_000 + UPDATES - 1)) / 1_000_000n;
    expect(state.value).toEqual(
      new Writer()
        .u64(1_000n)
        .u64(1_000_000_000_000n - outAmount)
        .finish(),
    );
  });

  it('fails an update with a wrong index: the feed holds null, decided without running the oracle', () => {
    const ex = new ScopeExecutor({ programs });
    const g = { localGas: local, scopeGas: local };
    const ok = oracleUpdateTx(oracle.publicKey, 'KAS/USD', 5n, g, { index: { kind: 'exact', seq: 0n } });
    const stale = oracleUpdateTx(oracle.publicKey, 'KAS/USD', 6n, g, { index: { kind: 'exact', seq: 0n } });
    const out = ex.executeBlock(1n, [ok, stale]);
    expect(out.results.map((r) => r.code)).toEqual([null, 'SCOPE_WRONG_INDEX']);
    expect(out.results[1]!.gasUsed).toBe(GAS.txBase);
    expect(ex.table.get(Buffer.from(feed).toString('hex'))!.state).toEqual({
      program: oracleProgram.ref,
      seq: 2n,
      value: null,
    });
    const swap = pairSwapTx(
      pool,
      feed,
      1n,
      { localGas: local, scopeGas: local * 3n },
      { kind: 'atLeast', seq: 2n },
    );
    expect(ex.executeBlock(2n, [swap]).results[0]!.code).toBe('PROGRAM_REJECTED');
  });

  it('refuses an oracle update its key did not sign', () => {
    const ex = new ScopeExecutor({ programs });
    const tx = oracleUpdateTx(
      oracle.publicKey,
      'KAS/USD',
      5n,
      { localGas: local, scopeGas: local },
      { index: { kind: 'atLeast', seq: 0n } },
    );
    const [r] = ex.executeBlock(1n, [{ ...tx, signers: [] }]).results;
    expect(r!.code).toBe('PROGRAM_REJECTED');
    expect(pairProgram.name).toBe('pair');
  });
});
