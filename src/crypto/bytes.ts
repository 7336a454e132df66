// Byte helpers: checks on entry, hex only at the edges, no hidden copies.
import { WeftError } from './errors.js';

/** Throws BAD_LENGTH unless `value` is a Uint8Array (of exactly `length` bytes when given). */
export function assertBytes(value: unknown, length?: number, name = 'value'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new WeftError('BAD_INPUT', `${name} must be a Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new WeftError('BAD_LENGTH', `${name} must be ${length} bytes, got ${value.length}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lexicographic byte order: negative, zero or positive like a comparator. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex with a 0x prefix: the only form bytes take in JSON, CLI and logs. */
export function toHex(bytes: Uint8Array): string {
  let s = '0x';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/**
 * Node's encoder behind `Buffer#toString('hex')` (it takes any Uint8Array), when this runtime has
 * it; this module is also bundled for the browser, where there is no Buffer.
 */
const hexSlice =
  typeof Buffer === 'function'
    ? (Buffer.prototype as unknown as { hexSlice?: (this: Uint8Array, start: number, end: number) => string })
        .hexSlice
    : undefined;

/**
 * Lowercase hex without a prefix: the form bytes take as a map key or a name inside Weft (never
 * at an edge, where `toHex` is the rule). One flat string from node's encoder (a view, no copy
 * of the bytes): map lookups hash it at once, where one built a digit pair at a time is a chain
 * of 32 strings to flatten first — admission makes about a dozen a transaction. Node only (the
 * dashboard's bundle uses `toHex`, never this).
 */
export function hexKey(bytes: Uint8Array): string {
  // Node's hex encoder called on the array itself: taking `bytes.buffer` of a small array V8 keeps
  // in its heap (every digest) would move it out to an ArrayBuffer of its own first, 3-4x the
  // cost of the encoding (docs/benchmarks.md, issue 17.3 fourth pass).
  if (hexSlice !== undefined) return hexSlice.call(bytes, 0, bytes.byteLength);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Parses 0x-prefixed hex (either case). Throws BAD_INPUT naming `name` on anything else,
 * and BAD_LENGTH when `length` is given and does not match.
 */
export function fromHex(hex: string, length?: number, name = 'hex'): Uint8Array {
  if (typeof hex !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(hex)) {
    throw new WeftError('BAD_INPUT', `${name} must be 0x-prefixed hex with an even number of digits`);
  }
  const out = Buffer.from(hex.slice(2), 'hex');
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.length);
  if (length !== undefined && bytes.length !== length) {
    throw new WeftError('BAD_LENGTH', `${name} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
