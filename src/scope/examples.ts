// Example programs (docs/scopes.md, "Examples"): a counter, an oracle whose feeds are written
// write-only with a sequence index, and a pair priced by such a feed.
import {
  concatBytes,
  encodePublicKey,
  type PublicKey,
  Reader,
  readPublicKey,
  utf8,
  Writer,
} from '../crypto/index.js';
import { accept, reject } from '../resource/index.js';
import { type DeclEntry, declare, type SeqIndex } from './declaration.js';
import { objectId } from './object.js';
import { defineProgram, type Program } from './program.js';
import { type ScopeTx, scopeTx } from './tx.js';

/** Most hash rounds a counter call may ask for (work for benchmarks). */
export const COUNTER_ROUNDS_MAX = 100_000;

function u64(bytes: Uint8Array | null): bigint {
  if (bytes === null || bytes.length !== 8) return 0n;
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
}

function u64Bytes(v: bigint): Uint8Array {
  return new Writer(8).u64(v).finish();
}

/**
 * `counter` v1: input `object 32 || amount u64 || rounds u32`. Adds `amount` to the object's u64
 * (0 when never written), after `rounds` metered hashes (a stand-in for real work).
 */
export const counterProgram: Program = defineProgram({
  name: 'counter',
  version: 1,
  execute(ctx, input) {
    const r = new Reader(input);
    const object = r.fixed(32);
    const amount = r.u64();
    const rounds = r.u32();
    r.end();
    if (rounds > COUNTER_ROUNDS_MAX) return reject('too many rounds');
    let h = object;
    for (let i = 0; i < rounds; i++) h = ctx.hash(h);
    const next = u64(ctx.read(object)) + amount;
    ctx.step(4);
    if (next >= 1n << 64n) return reject('counter overflow');
    ctx.write(object, u64Bytes(next));
    return accept();
  },
});

/** The id of a named counter. */
export function counterId(name: string): Uint8Array {
  return objectId(counterProgram.ref, utf8(name));
}

export type Gas = { localGas: bigint; scopeGas: bigint };

/**
 * A transaction adding `amount` to counter `object` (read-write), with extra declared entries
 * when asked; `nonce` adds a call to the `nonce` program so equal transactions get distinct ids.
 */
export function counterTx(
  object: Uint8Array,
  amount: bigint,
  gas: Gas,
  opts: { rounds?: number; extra?: DeclEntry[]; nonce?: number } = {},
): ScopeTx {
  const input = new Writer(44)
    .fixed(object, 32)
    .u64(amount)
    .u32(opts.rounds ?? 0)
    .finish();
  const entries: DeclEntry[] = [
    { object, program: counterProgram.ref, access: 'readWrite', index: null },
    ...(opts.extra ?? []),
  ];
  const calls = [{ program: counterProgram.ref, input }];
  if (opts.nonce !== undefined)
    calls.push({ program: nonceProgram.ref, input: new Writer(4).u32(opts.nonce).finish() });
  return scopeTx({ declaration: declare(entries, gas), calls });
}

/** `nonce` v1: accepts anything. Lets otherwise identical transactions have distinct ids. */
export const nonceProgram: Program = defineProgram({ name: 'nonce', version: 1, execute: () => accept() });

/**
 * `oracle` v1: input `public key (tag || key) || bytes name || price u64`. Writes the feed
 * objectId(oracle, encodedKey || name) as `price u64`, without reading it; the key must have
 * signed the transaction.
 */
export const oracleProgram: Program = defineProgram({
  name: 'oracle',
  version: 1,
  execute(ctx, input) {
    const r = new Reader(input);
    const key = readPublicKey(r);
    const name = r.bytes(64);
    const price = r.u64();
    r.end();
    if (!ctx.isSignedBy(key)) return reject('the feed key did not sign');
    ctx.write(oracleFeedId(key, name), u64Bytes(price));
    return accept();
  },
});

export function oracleFeedId(key: PublicKey, name: Uint8Array): Uint8Array {
  return objectId(oracleProgram.ref, concatBytes(encodePublicKey(key), name));
}

/**
 * An oracle update. `writeOnly` with an `index` (the feed's current seq, exactly or a lower bound)
 * is the seed's write-only form: readers' scopes hold only the latest update. Without it, the
 * update is declared readWrite and every earlier update enters readers' scopes.
 */
export function oracleUpdateTx(
  key: PublicKey,
  name: string,
  price: bigint,
  gas: Gas,
  form: { index: SeqIndex } | { readWrite: true },
): ScopeTx {
  const w = new Writer(96);
  w.fixed(encodePublicKey(key), encodePublicKey(key).length).bytes(utf8(name), 64).u64(price);
  const feed = oracleFeedId(key, utf8(name));
  const entry: DeclEntry =
    'index' in form
      ? { object: feed, program: oracleProgram.ref, access: 'write', index: form.index }
      : { object: feed, program: oracleProgram.ref, access: 'readWrite', index: null };
  return scopeTx(
    { declaration: declare([entry], gas), calls: [{ program: oracleProgram.ref, input: w.finish() }] },
    [key],
  );
}

/**
 * `pair` v1: a pool priced by an oracle feed. Input `pool 32 || feed 32 || amountIn u64`: pays out
 * `amountIn * price / 10^6` of the quote reserve and takes `amountIn` into the base reserve. The
 * pool value is `base u64 || quote u64`; an empty pool starts at (0, 10^12).
 */
export const pairProgram: Program = defineProgram({
  name: 'pair',
  version: 1,
  execute(ctx, input) {
    const r = new Reader(input);
    const pool = r.fixed(32);
    const feed = r.fixed(32);
    const amountIn = r.u64();
    r.end();
    const price = u64(ctx.read(feed));
    if (price === 0n) return reject('no price');
    const value = ctx.read(pool);
    let base = 0n;
    let quote = 1_000_000_000_000n;
    if (value !== null && value.length === 16) {
      base = u64(value.subarray(0, 8));
      quote = u64(value.subarray(8, 16));
    }
    const out = (amountIn * price) / 1_000_000n;
    ctx.step(8);
    if (out > quote) return reject('not enough quote reserve');
    if (base + amountIn >= 1n << 64n) return reject('base reserve overflow');
    ctx.write(pool, concatBytes(u64Bytes(base + amountIn), u64Bytes(quote - out)));
    return accept();
  },
});

export function pairPoolId(name: string): Uint8Array {
  return objectId(pairProgram.ref, utf8(name));
}

/** A swap on `pool` priced by `feed`; `feedIndex` optionally pins the feed's seq (or a lower bound). */
export function pairSwapTx(
  pool: Uint8Array,
  feed: Uint8Array,
  amountIn: bigint,
  gas: Gas,
  feedIndex: SeqIndex | null = null,
): ScopeTx {
  const input = new Writer(72).fixed(pool, 32).fixed(feed, 32).u64(amountIn).finish();
  const entries: DeclEntry[] = [
    { object: pool, program: pairProgram.ref, access: 'readWrite', index: null },
    { object: feed, program: oracleProgram.ref, access: 'read', index: feedIndex },
  ];
  return scopeTx({ declaration: declare(entries, gas), calls: [{ program: pairProgram.ref, input }] });
}

/** Every example program, for a registry or a worker's programs module. */
export const examplePrograms: readonly Program[] = [counterProgram, nonceProgram, oracleProgram, pairProgram];
