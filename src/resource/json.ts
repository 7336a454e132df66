// JSON at the edges (API, files): 0x-prefixed lowercase hex for bytes, decimal strings for
// u64/u128. Parsers check a schema by hand: exact key sets, sizes before contents, ranges, and
// every message names the offending field (e.g. `resource.quantity`). Code: BAD_JSON.

import { isKeyType, type PublicKey, publicKeyFromBytes, toHex, WeftError } from '../crypto/index.js';
import { QUANTITY_MAX, type Resource } from './resource.js';
import { DOMAIN_ID_BYTES, type ResourceValue, VALUE_DATA_BYTES_MAX } from './value.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function jsonError(path: string, message: string): WeftError {
  return new WeftError('BAD_JSON', `${path} ${message}`);
}

/** A plain object with exactly `required` keys plus any of `optional`; nothing else. */
export function expectObject(
  v: unknown,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw jsonError(path, 'must be an object');
  const obj = v as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key))
      throw jsonError(`${path}.${key}`, 'is not a known field');
  }
  for (const key of required) {
    if (!(key in obj) || obj[key] === undefined) throw jsonError(`${path}.${key}`, 'is missing');
  }
  return obj;
}

export function expectArray(v: unknown, path: string, maxItems: number): unknown[] {
  if (!Array.isArray(v)) throw jsonError(path, 'must be an array');
  if (v.length > maxItems) throw jsonError(path, `has ${v.length} items; at most ${maxItems} are allowed`);
  return v;
}

export function expectBool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw jsonError(path, 'must be true or false');
  return v;
}

export function expectString(v: unknown, path: string, maxChars: number): string {
  if (typeof v !== 'string') throw jsonError(path, 'must be a string');
  if (v.length > maxChars) throw jsonError(path, `is longer than ${maxChars} characters`);
  return v;
}

const HEX_BODY = /^[0-9a-f]*$/;

/**
 * 0x-prefixed lowercase hex. `bytes` demands an exact length, `maxBytes` a maximum; the string's
 * length is checked before its characters, so an oversized input costs nothing to refuse.
 */
export function expectHex(v: unknown, path: string, size: { bytes?: number; maxBytes?: number }): Uint8Array {
  if (typeof v !== 'string') throw jsonError(path, 'must be a 0x-prefixed hex string');
  const maxBytes = size.bytes ?? size.maxBytes ?? 0;
  if (v.length > 2 + 2 * maxBytes) {
    throw jsonError(
      path,
      size.bytes !== undefined ? `must be ${size.bytes} bytes` : `is longer than ${maxBytes} bytes`,
    );
  }
  if (!v.startsWith('0x') || v.length % 2 !== 0 || !HEX_BODY.test(v.slice(2))) {
    throw jsonError(path, 'must be 0x-prefixed lowercase hex with an even number of digits');
  }
  const n = (v.length - 2) / 2;
  if (size.bytes !== undefined && n !== size.bytes)
    throw jsonError(path, `must be ${size.bytes} bytes, got ${n}`);
  const b = Buffer.from(v.slice(2), 'hex');
  return new Uint8Array(b.buffer, b.byteOffset, b.length).slice();
}

export function expectDigest(v: unknown, path: string): Uint8Array {
  return expectHex(v, path, { bytes: 32 });
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const U64_MAX = (1n << 64n) - 1n;

/** A decimal string (no sign, no leading zeros) for an integer from 0 to `max`. */
export function expectUintString(v: unknown, path: string, max: bigint): bigint {
  if (typeof v !== 'string') throw jsonError(path, 'must be a decimal string');
  if (v.length > max.toString().length) throw jsonError(path, `is out of range (at most ${max})`);
  if (!DECIMAL.test(v)) throw jsonError(path, 'must be a decimal string without sign or leading zeros');
  const n = BigInt(v);
  if (n > max) throw jsonError(path, `is out of range (at most ${max})`);
  return n;
}

/** Checks `v` parses as JSON text or is already a parsed value; text beyond `maxChars` is refused unread. */
export function parseJsonText(v: unknown, path: string, maxChars: number): unknown {
  if (typeof v !== 'string') return v;
  if (v.length > maxChars) throw jsonError(path, `JSON text is longer than ${maxChars} characters`);
  try {
    return JSON.parse(v);
  } catch {
    throw jsonError(path, 'is not valid JSON');
  }
}

export type ResourceJson = {
  logicRef: string;
  labelRef: string;
  valueRef: string;
  quantity: string;
  isEphemeral: boolean;
  nonce: string;
  nkCommitment: string;
  randSeed: string;
};

export function resourceToJson(r: Resource): ResourceJson {
  return {
    logicRef: toHex(r.logicRef),
    labelRef: toHex(r.labelRef),
    valueRef: toHex(r.valueRef),
    quantity: r.quantity.toString(),
    isEphemeral: r.isEphemeral,
    nonce: toHex(r.nonce),
    nkCommitment: toHex(r.nkCommitment),
    randSeed: toHex(r.randSeed),
  };
}

const RESOURCE_KEYS = [
  'logicRef',
  'labelRef',
  'valueRef',
  'quantity',
  'isEphemeral',
  'nonce',
  'nkCommitment',
  'randSeed',
];

/** Largest JSON text of one resource parseResourceJson reads. */
export const RESOURCE_JSON_CHARS_MAX = 4096;

/**
 * A Resource from its JSON form (an object, or JSON text). Throws BAD_JSON naming the field.
 *
 * @example parseResourceJson(resourceToJson(r)) // deep-equals r
 */
export function parseResourceJson(input: unknown, path = 'resource'): Resource {
  const o = expectObject(parseJsonText(input, path, RESOURCE_JSON_CHARS_MAX), path, RESOURCE_KEYS);
  return {
    logicRef: expectDigest(o.logicRef, `${path}.logicRef`),
    labelRef: expectDigest(o.labelRef, `${path}.labelRef`),
    valueRef: expectDigest(o.valueRef, `${path}.valueRef`),
    quantity: expectUintString(o.quantity, `${path}.quantity`, QUANTITY_MAX),
    isEphemeral: expectBool(o.isEphemeral, `${path}.isEphemeral`),
    nonce: expectDigest(o.nonce, `${path}.nonce`),
    nkCommitment: expectDigest(o.nkCommitment, `${path}.nkCommitment`),
    randSeed: expectDigest(o.randSeed, `${path}.randSeed`),
  };
}

/** A value as JSON; `deadline` (decimal ms) only when the value has one. */
export type ResourceValueJson = { home: string; deadline?: string; data: string };

export function valueToJson(v: ResourceValue): ResourceValueJson {
  return v.deadline === undefined
    ? { home: toHex(v.home), data: toHex(v.data) }
    : { home: toHex(v.home), deadline: v.deadline.toString(), data: toHex(v.data) };
}

export function parseValueJson(input: unknown, path = 'value'): ResourceValue {
  const o = expectObject(input, path, ['home', 'data'], ['deadline']);
  const home = expectHex(o.home, `${path}.home`, { bytes: DOMAIN_ID_BYTES });
  const data = expectHex(o.data, `${path}.data`, { maxBytes: VALUE_DATA_BYTES_MAX });
  if (o.deadline === undefined) return { home, data };
  return { home, deadline: expectUintString(o.deadline, `${path}.deadline`, U64_MAX), data };
}

export type PublicKeyJson = { type: 'secp256k1' | 'ed25519'; key: string };

export function publicKeyToJson(pk: PublicKey): PublicKeyJson {
  return { type: pk.type, key: toHex(pk.bytes) };
}

/** `{ type, key }`; secp256k1 keys may be given compressed (33 bytes) or uncompressed (65). */
export function parsePublicKeyJson(input: unknown, path = 'publicKey'): PublicKey {
  const o = expectObject(input, path, ['type', 'key']);
  if (!isKeyType(o.type)) throw jsonError(`${path}.type`, "must be 'secp256k1' or 'ed25519'");
  const bytes = expectHex(o.key, `${path}.key`, { maxBytes: 65 });
  try {
    return publicKeyFromBytes(o.type, bytes);
  } catch (e) {
    throw jsonError(`${path}.key`, `is not a ${o.type} public key (${(e as Error).message})`);
  }
}
