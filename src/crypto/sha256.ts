// SHA-256 for single inputs. Short inputs (one 64-byte block after padding: up to 55 bytes, which
// covers every tree key and most values) go through a small allocation-free implementation that
// writes the digest in place — 2.2x node:crypto's one-shot hash with a Buffer result on this hot
// path (measured in docs/benchmarks.md); longer inputs go through node:crypto, whose digest is
// taken as a string and copied in (no Buffer per hash). Both are tested to agree on every length.
import { createHash, hash as oneShot } from 'node:crypto';
import { assertBytes } from './bytes.js';
import { WeftError } from './errors.js';

export const DIGEST_BYTES = 32;

const hasOneShot = typeof oneShot === 'function';

/** Longest input hashed by the single-block path (64 bytes less the 0x80 byte and the length). */
export const SHORT_INPUT_MAX = 55;

// FIPS 180-4 §4.2.2 round constants and §5.3.3 initial hash value.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(64);

/** SHA-256 of `data` (at most 55 bytes) written to `out[offset .. offset + 32]`. */
function sha256ShortInto(data: Uint8Array, out: Uint8Array, offset: number): void {
  const n = data.length;
  W.fill(0, 0, 16);
  for (let i = 0; i < n; i++) W[i >> 2]! |= data[i]! << (24 - 8 * (i & 3));
  W[n >> 2]! |= 0x80 << (24 - 8 * (n & 3));
  W[15] = n * 8;
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = IV[0]!;
  let b = IV[1]!;
  let c = IV[2]!;
  let d = IV[3]!;
  let e = IV[4]!;
  let f = IV[5]!;
  let g = IV[6]!;
  let h = IV[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  writeWord(out, offset, a + IV[0]!);
  writeWord(out, offset + 4, b + IV[1]!);
  writeWord(out, offset + 8, c + IV[2]!);
  writeWord(out, offset + 12, d + IV[3]!);
  writeWord(out, offset + 16, e + IV[4]!);
  writeWord(out, offset + 20, f + IV[5]!);
  writeWord(out, offset + 24, g + IV[6]!);
  writeWord(out, offset + 28, h + IV[7]!);
}

function writeWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/**
 * node:crypto's SHA-256 of `data` written to `out[offset .. offset + 32]`. The digest comes back
 * as a 'binary' (latin1) string, one char per byte (0–255), and is copied in: a Buffer result costs an
 * ArrayBuffer with its own backing store per hash, ~4x the time of the hash itself once its
 * collection is counted (docs/benchmarks.md, issue 17.3 fourth pass).
 */
function nodeDigestInto(data: Uint8Array, out: Uint8Array, offset: number): void {
  if (!hasOneShot) {
    // Without the one-shot (older node, and the dashboard's browser shim, whose digest takes no
    // encoding): the digest's bytes as they come.
    out.set(createHash('sha256').update(data).digest(), offset);
    return;
  }
  const s = oneShot('sha256', data, 'binary');
  for (let i = 0; i < DIGEST_BYTES; i++) out[offset + i] = s.charCodeAt(i);
}

function nodeHash(data: Uint8Array): Buffer {
  return hasOneShot
    ? (oneShot('sha256', data, 'buffer') as unknown as Buffer)
    : createHash('sha256').update(data).digest();
}

/**
 * SHA-256 of `data` written to `out[offset .. offset + 32]`, without allocating for short inputs.
 * Refuses a non-byte `data` or `out` and a non-integer or negative `offset` (BAD_INPUT), and an
 * `out` without 32 bytes at `offset` (BAD_LENGTH): a short `out` would otherwise take a partial
 * digest silently.
 */
export function sha256Into(data: Uint8Array, out: Uint8Array, offset: number): void {
  assertBytes(data, undefined, 'data');
  assertBytes(out, undefined, 'out');
  if (!Number.isInteger(offset) || offset < 0) {
    throw new WeftError('BAD_INPUT', `offset must be a non-negative integer, got ${String(offset)}`);
  }
  if (out.length - offset < DIGEST_BYTES) {
    throw new WeftError(
      'BAD_LENGTH',
      `out must hold ${DIGEST_BYTES} bytes at offset ${offset}, but is ${out.length} bytes long`,
    );
  }
  digestInto(data, out, offset);
}

/** `sha256Into` without the checks, for callers that made `out` themselves. */
function digestInto(data: Uint8Array, out: Uint8Array, offset: number): void {
  if (data.length <= SHORT_INPUT_MAX) sha256ShortInto(data, out, offset);
  else nodeDigestInto(data, out, offset);
}

/** SHA-256 of one input. */
export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(DIGEST_BYTES);
  digestInto(data, out, 0);
  return out;
}

/** SHA-256 through node:crypto only, whatever the length: the reference the fast path is tested against. */
export function sha256Node(data: Uint8Array): Uint8Array {
  const out = nodeHash(data);
  return new Uint8Array(out.buffer, out.byteOffset, DIGEST_BYTES);
}

/** SHA-256 of the concatenation of `parts`, without building the concatenation. */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const out = h.digest();
  return new Uint8Array(out.buffer, out.byteOffset, DIGEST_BYTES);
}
