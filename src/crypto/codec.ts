// The canonical binary codec: one encoding for everything hashed or signed (docs/encoding.md).
// Integers are fixed-width big-endian; byte strings and lists carry a u32 length prefix and a
// maximum the caller states; decoding is strict (no trailing bytes, booleans 0 or 1 only).
import { WeftError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;

/** Largest length any prefix may claim, whatever the caller's own maximum (16 MiB). */
export const CODEC_LENGTH_MAX = 16 * 1024 * 1024;

function fail(message: string): never {
  throw new WeftError('CODEC', message);
}

// Strict, and keeping a leading U+FEFF: a decoder that dropped it (the WHATWG default) would map
// two encodings to one string, and the string would re-encode to other bytes.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

/** Appends canonical encodings to a growable buffer. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) fail(`u8 out of range: ${v}`);
    this.reserve(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) fail(`u16 out of range: ${v}`);
    this.reserve(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) fail(`u32 out of range: ${v}`);
    this.reserve(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) fail(`u64 out of range: ${String(v)}`);
    this.reserve(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  u128(v: bigint): this {
    if (typeof v !== 'bigint' || v < 0n || v > U128_MAX) fail(`u128 out of range: ${String(v)}`);
    this.reserve(16);
    // Quantities mostly fit 64 bits: then the high half is zero, without two bigint operations.
    if (v <= U64_MAX) {
      this.view.setBigUint64(this.pos, 0n);
      this.view.setBigUint64(this.pos + 8, v);
    } else {
      this.view.setBigUint64(this.pos, v >> 64n);
      this.view.setBigUint64(this.pos + 8, v & U64_MAX);
    }
    this.pos += 16;
    return this;
  }

  bool(v: boolean): this {
    if (typeof v !== 'boolean') fail('bool must be true or false');
    return this.u8(v ? 1 : 0);
  }

  /** Exactly `length` bytes, no prefix (digests, keys). */
  fixed(bytes: Uint8Array, length: number): this {
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      fail(
        `expected ${length} fixed bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`,
      );
    }
    this.reserve(length);
    this.buf.set(bytes, this.pos);
    this.pos += length;
    return this;
  }

  /** u32 length prefix, then the bytes; refuses more than `max` bytes. */
  bytes(bytes: Uint8Array, max: number): this {
    if (!(bytes instanceof Uint8Array)) fail('expected bytes');
    if (bytes.length > max) fail(`byte string of ${bytes.length} bytes exceeds its maximum of ${max}`);
    this.u32(bytes.length);
    return this.fixed(bytes, bytes.length);
  }

  /** A string as UTF-8 `bytes`: u32 length prefix, refusing more than `maxBytes` bytes. */
  text(s: string, maxBytes: number): this {
    if (typeof s !== 'string') fail('expected a string');
    return this.bytes(UTF8_ENCODER.encode(s), maxBytes);
  }

  /** u32 count prefix, then each item through `each`; refuses more than `max` items. */
  list<T>(items: readonly T[], max: number, each: (w: Writer, item: T) => void): this {
    if (items.length > max) fail(`list of ${items.length} items exceeds its maximum of ${max}`);
    this.u32(items.length);
    for (const item of items) each(this, item);
    return this;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Starts over, keeping the buffer: for a scratch writer reused on a hot path. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /** A view of the bytes written so far, valid until the next write or reset (no copy). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** The encoded bytes (a copy; the writer may be dropped). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Longest string `Reader.text` reads in place when it is ASCII (bytes, as characters). */
const TEXT_IN_PLACE_BYTES_MAX = 64;

/** Reads canonical encodings; every read checks bounds and throws WeftError('CODEC'). */
export class Reader {
  /** Made at the first u64 or u128 read: most decodes on the admission path read none. */
  private dataView: DataView | undefined;
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {
    if (!(buf instanceof Uint8Array)) fail('expected bytes to decode');
  }

  private get view(): DataView {
    // Taking `buf.buffer` of a small array V8 keeps in its heap moves it out to an ArrayBuffer
    // of its own: only done when a 64-bit read needs it.
    if (this.dataView === undefined)
      this.dataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.dataView;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      fail(`truncated input: ${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2, 'u16');
    const b = this.buf;
    const p = this.pos;
    this.pos += 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32(): number {
    this.need(4, 'u32');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  u64(): bigint {
    this.need(8, 'u64');
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  u128(): bigint {
    this.need(16, 'u128');
    const hi = this.view.getBigUint64(this.pos);
    const lo = this.view.getBigUint64(this.pos + 8);
    this.pos += 16;
    return (hi << 64n) | lo;
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) fail(`bool must be 0 or 1, got ${v} at offset ${this.pos - 1}`);
    return v === 1;
  }

  /** `length` bytes, as a view into the input (copy it if you keep it past the input). */
  fixed(length: number): Uint8Array {
    // The message is built only for a refusal: this runs several times per decoded value.
    if (this.pos + length > this.buf.length) this.need(length, `${length} fixed bytes`);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /**
   * `fixed(length).slice()` without the view: a copy of its own, for a caller that keeps it. A
   * view of a small array V8 keeps in its heap first moves that array out to an ArrayBuffer of
   * its own (a backing store per decoded value); a copy does not.
   */
  copy(length: number): Uint8Array {
    if (this.pos + length > this.buf.length) this.need(length, `${length} fixed bytes`);
    const out = this.buf.slice(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  bytes(max: number): Uint8Array {
    return this.fixed(this.byteLength(max));
  }

  /** `bytes(max).slice()` without the view (as `copy`). */
  bytesCopy(max: number): Uint8Array {
    return this.copy(this.byteLength(max));
  }

  private byteLength(max: number): number {
    const n = this.u32();
    const limit = Math.min(max, CODEC_LENGTH_MAX);
    if (n > limit) fail(`byte string of ${n} bytes exceeds its maximum of ${limit}`);
    return n;
  }

  /** A string written by `Writer.text`: CODEC unless its bytes are UTF-8 (a leading U+FEFF kept). */
  text(maxBytes: number): string {
    const at = this.pos;
    const n = this.byteLength(maxBytes);
    if (this.pos + n > this.buf.length) this.need(n, `${n} fixed bytes`);
    // A short ASCII string (token symbols, names) is read in place: UTF-8 decodes it to the same
    // characters, and no view of the input (which may move a small array's bytes out of V8's heap)
    // is made for it.
    if (n <= TEXT_IN_PLACE_BYTES_MAX) {
      let s = '';
      let i = 0;
      for (; i < n; i++) {
        const c = this.buf[this.pos + i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === n) {
        this.pos += n;
        return s;
      }
    }
    const bytes = this.fixed(n);
    try {
      return UTF8.decode(bytes);
    } catch {
      return fail(`the string at offset ${at} is not valid UTF-8`);
    }
  }

  list<T>(max: number, each: (r: Reader) => T): T[] {
    const n = this.u32();
    if (n > max) fail(`list of ${n} items exceeds its maximum of ${max}`);
    // Each item takes at least one byte, so a count beyond the bytes left is a lie: refuse early.
    if (n > this.remaining) fail(`list claims ${n} items but only ${this.remaining} bytes remain`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }

  /** Call when done: trailing bytes make the encoding non-canonical. */
  end(): void {
    if (this.pos !== this.buf.length) fail(`${this.remaining} trailing bytes after the encoding`);
  }
}

/** Decodes `bytes` entirely with `read`, refusing trailing bytes. */
export function decodeAll<T>(bytes: Uint8Array, read: (r: Reader) => T): T {
  const r = new Reader(bytes);
  const out = read(r);
  r.end();
  return out;
}
