// Signature verification on worker threads, so validation scales with cores. The main thread
// does the cheap shape checks and packs a chunk of checks into one transferred buffer; each
// worker parses keys (cached), runs node:crypto's verify and answers one byte per check.
// The worker body is a self-contained script (node:crypto only), so the pool runs the same
// from compiled code and from TypeScript sources under test.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { assertBytes } from './bytes.js';
import { WeftError } from './errors.js';
import { assertPublicKey, isPublicKeyShape, type PublicKey } from './keys.js';
import { NATIVE_SECP256K1_PATH } from './nativeSecp256k1.js';
import {
  assertSignature,
  isSignatureShape,
  isWellFormedSignature,
  KEY_CACHE_ENTRIES_MAX,
  MESSAGE_BYTES,
  SIGNATURE_BYTES,
  type Signature,
  spkiDer,
} from './signatures.js';

/** One verification: did `publicKey` sign `message` with `signature`? */
export type SignatureCheck = { publicKey: PublicKey; message: Uint8Array; signature: Signature };

/** Checks sent to a worker in one message: large enough to amortize messaging, small enough to spread. */
export const POOL_CHUNK_CHECKS_MAX = 256;
export const POOL_THREADS_MAX = 64;
/** Largest batch one `verify` call accepts. */
export const POOL_BATCH_CHECKS_MAX = 1_000_000;

// The DER prefixes the worker puts before raw keys, taken from spkiDer so there is one source.
const SPKI_PREFIX_SECP256K1 = spkiDer('secp256k1', new Uint8Array(33).fill(2)).subarray(0, -33);
const SPKI_PREFIX_ED25519 = spkiDer('ed25519', new Uint8Array(32)).subarray(0, -32);

const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash, createPublicKey, verify } = require('node:crypto');
// libsecp256k1, the binding the main thread loaded (nativeSecp256k1.ts); node:crypto without it.
let native = null;
try { native = ${JSON.stringify(NATIVE_SECP256K1_PATH)} === null ? null : require(${JSON.stringify(NATIVE_SECP256K1_PATH)}); } catch { native = null; }
const PREFIX = [null, Buffer.from('${Buffer.from(SPKI_PREFIX_SECP256K1).toString('hex')}', 'hex'), Buffer.from('${Buffer.from(SPKI_PREFIX_ED25519).toString('hex')}', 'hex')];
const KEY_BYTES = [0, 33, 32];
const CACHE_MAX = ${KEY_CACHE_ENTRIES_MAX};
const cache = new Map();
function keyFor(alg, raw) {
  const id = alg + Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64');
  let key = cache.get(id);
  if (key !== undefined) return key;
  try {
    key = createPublicKey({ key: Buffer.concat([PREFIX[alg], raw]), format: 'der', type: 'spki' });
  } catch { key = null; }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value);
  cache.set(id, key);
  return key;
}
parentPort.on('message', (msg) => {
  const buf = new Uint8Array(msg.buf);
  const count = msg.count;
  const out = new Uint8Array(count);
  let p = 0;
  for (let i = 0; i < count; i++) {
    const alg = buf[p]; p += 1;
    const raw = buf.subarray(p, p + KEY_BYTES[alg]); p += KEY_BYTES[alg];
    const message = buf.subarray(p, p + ${MESSAGE_BYTES}); p += ${MESSAGE_BYTES};
    const sig = buf.subarray(p, p + ${SIGNATURE_BYTES}); p += ${SIGNATURE_BYTES};
    let ok = false;
    if (alg === 1 && native !== null && (raw[0] === 2 || raw[0] === 3)) {
      try { ok = native.ecdsaVerify(sig, createHash('sha256').update(message).digest(), raw); } catch { ok = false; }
      out[i] = ok ? 1 : 0;
      continue;
    }
    const key = keyFor(alg, raw);
    if (key !== null) {
      try {
        ok = alg === 1
          ? verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig)
          : verify(null, message, key, sig);
      } catch { ok = false; }
    }
    out[i] = ok ? 1 : 0;
  }
  parentPort.postMessage({ id: msg.id, out }, [out.buffer]);
});
`;

type Pending = { resolve: (out: Uint8Array) => void; reject: (e: unknown) => void };

type Slot = { worker: Worker; inFlight: number; pending: Map<number, Pending>; alive: boolean };

/**
 * A fixed set of worker threads that verify signatures. Results equal `verifySignature`
 * check by check (tested). Create once, reuse, `close()` when done.
 *
 * @example
 * const pool = SignatureVerifierPool.create({ threads: 2 });
 * const ok = await pool.verify([{ publicKey, message: id, signature }]); // [true]
 * await pool.close();
 */
export class SignatureVerifierPool {
  private readonly slots: Slot[];
  private nextId = 1;
  private closed = false;

  private constructor(threads: number) {
    this.slots = [];
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      const slot: Slot = { worker, inFlight: 0, pending: new Map(), alive: true };
      worker.on('message', (msg: { id: number; out: Uint8Array }) => {
        const p = slot.pending.get(msg.id);
        if (!p) return;
        slot.pending.delete(msg.id);
        slot.inFlight--;
        p.resolve(msg.out);
      });
      worker.on('error', (e) => this.failSlot(slot, e));
      worker.on('exit', (code) =>
        this.failSlot(slot, new Error(`signature worker exited with code ${code}`)),
      );
      this.slots.push(slot);
    }
  }

  /** `threads` defaults to the machine's available parallelism. */
  static create(opts: { threads?: number } = {}): SignatureVerifierPool {
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > POOL_THREADS_MAX) {
      throw new WeftError(
        'BAD_INPUT',
        `threads must be an integer from 1 to ${POOL_THREADS_MAX}, got ${threads}`,
      );
    }
    return new SignatureVerifierPool(threads);
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Verifies every check; `result[i]` answers `checks[i]`. */
  async verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (this.closed) throw new WeftError('POOL_CLOSED', 'the signature verifier pool is closed');
    if (checks.length > POOL_BATCH_CHECKS_MAX) {
      throw new WeftError(
        'LIMIT_EXCEEDED',
        `at most ${POOL_BATCH_CHECKS_MAX} checks per call, got ${checks.length}`,
      );
    }
    const results = new Array<boolean>(checks.length).fill(false);
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < checks.length; start += POOL_CHUNK_CHECKS_MAX) {
      const end = Math.min(checks.length, start + POOL_CHUNK_CHECKS_MAX);
      const { buf, count, index } = pack(checks, start, end);
      if (count === 0) continue;
      jobs.push(
        this.send(buf, count).then((out) => {
          for (let i = 0; i < count; i++) results[index[i]!] = out[i] === 1;
        }),
      );
    }
    await Promise.all(jobs);
    return results;
  }

  /** Stops the workers; pending calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private send(buf: Uint8Array, count: number): Promise<Uint8Array> {
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.alive && (slot === undefined || s.inFlight < slot.inFlight)) slot = s;
    if (slot === undefined) {
      return Promise.reject(
        new WeftError('POOL_CLOSED', 'every signature worker has stopped; create a new pool'),
      );
    }
    const id = this.nextId++;
    slot.inFlight++;
    const target = slot;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.postMessage({ id, count, buf: buf.buffer }, [buf.buffer as ArrayBuffer]);
    });
  }

  /** A worker that errs or exits takes no more work; what it held is refused, never lost silently. */
  private failSlot(slot: Slot, error: unknown): void {
    slot.alive = false;
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
    slot.inFlight = 0;
  }
}

const ALG_SECP256K1 = 1;
const ALG_ED25519 = 2;

/** Packs checks [start, end) that pass the shape checks; the rest stay false without a trip to a worker. */
function pack(
  checks: readonly SignatureCheck[],
  start: number,
  end: number,
): { buf: Uint8Array; count: number; index: number[] } {
  const index: number[] = [];
  let size = 0;
  for (let i = start; i < end; i++) {
    const c = checks[i]!;
    // The field names are built only to refuse one (the usual check passes without them).
    if (!isPublicKeyShape(c.publicKey)) assertPublicKey(c.publicKey, `checks[${i}].publicKey`);
    if (!(c.message instanceof Uint8Array) || c.message.length !== MESSAGE_BYTES)
      assertBytes(c.message, MESSAGE_BYTES, `checks[${i}].message`);
    if (!isSignatureShape(c.signature)) assertSignature(c.signature, `checks[${i}].signature`);
    if (!isWellFormedSignature(c.publicKey, c.signature)) continue;
    index.push(i);
    size += 1 + c.publicKey.bytes.length + MESSAGE_BYTES + SIGNATURE_BYTES;
  }
  const buf = new Uint8Array(size);
  let p = 0;
  for (const i of index) {
    const c = checks[i]!;
    buf[p] = c.publicKey.type === 'secp256k1' ? ALG_SECP256K1 : ALG_ED25519;
    buf.set(c.publicKey.bytes, p + 1);
    p += 1 + c.publicKey.bytes.length;
    buf.set(c.message, p);
    p += MESSAGE_BYTES;
    buf.set(c.signature.bytes, p);
    p += SIGNATURE_BYTES;
  }
  return { buf, count: index.length, index };
}
