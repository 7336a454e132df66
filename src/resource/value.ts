// A resource's value: the preimage of its valueRef. It carries the resource's home domain (the
// only domain that may consume it), optionally a deadline for consuming it there, and the
// application's own fields, which its logic reads. The home lives in the value, never in the
// label, so a cross-domain move keeps the kind.
import { assertBytes, decodeAll, sha256, utf8, WeftError, Writer } from '../crypto/index.js';

/** A DomainId is SHA256(utf8 name): 32 bytes. */
export const DOMAIN_ID_BYTES = 32;
/** Longest domain name, in UTF-8 bytes. */
export const DOMAIN_NAME_BYTES_MAX = 128;
/** Most application bytes one value may carry. */
export const VALUE_DATA_BYTES_MAX = 4096;
/** Bytes of a value's deadline: a u64 of milliseconds. */
export const VALUE_DEADLINE_BYTES = 8;
/** Largest encoded value: version, home, deadline, length prefix, data. */
export const VALUE_BYTES_MAX = 1 + DOMAIN_ID_BYTES + VALUE_DEADLINE_BYTES + 4 + VALUE_DATA_BYTES_MAX;
/** The version byte of a value without a deadline. */
export const VALUE_FORMAT = 0x01;
/** The version byte of a value with a deadline (between the home and the data). */
export const VALUE_FORMAT_DEADLINE = 0x02;

const U64_MAX = (1n << 64n) - 1n;

/**
 * `home`: the DomainId of the one domain that may consume the resource; `deadline`: when present,
 * the home may include a transaction consuming it only in a block whose timestamp (ms) is at most
 * this, and past it another domain holding its commitment may refund it (docs/transfers.md);
 * `data`: the logic's fields.
 */
export type ResourceValue = { home: Uint8Array; deadline?: bigint; data: Uint8Array };

/**
 * The DomainId of a domain name: SHA256(UTF-8 name).
 *
 * @example domainId('alpha') // 32 bytes
 */
export function domainId(name: string): Uint8Array {
  if (typeof name !== 'string' || name.length === 0) {
    throw new WeftError('BAD_INPUT', 'a domain name must be a non-empty string');
  }
  const bytes = utf8(name);
  if (bytes.length > DOMAIN_NAME_BYTES_MAX) {
    throw new WeftError('BAD_INPUT', `a domain name may be at most ${DOMAIN_NAME_BYTES_MAX} UTF-8 bytes`);
  }
  return sha256(bytes);
}

/**
 * Canonical value encoding. Without a deadline: version (u8 = 1) || home (32 bytes) || data
 * (u32 length || bytes); with one: version (u8 = 2) || home || deadline (u64 ms) || data. A value
 * has one encoding: `deadline: undefined` is format 1, any bigint (0 included) format 2.
 */
export function encodeValue(value: ResourceValue): Uint8Array {
  if (typeof value !== 'object' || value === null)
    throw new WeftError('BAD_INPUT', 'value must be an object');
  assertBytes(value.home, DOMAIN_ID_BYTES, 'value.home');
  assertBytes(value.data, undefined, 'value.data');
  if (value.data.length > VALUE_DATA_BYTES_MAX) {
    throw new WeftError(
      'VALUE_TOO_LARGE',
      `value.data is ${value.data.length} bytes; the limit is ${VALUE_DATA_BYTES_MAX}`,
    );
  }
  const { deadline } = value;
  if (deadline === undefined) {
    return new Writer(1 + DOMAIN_ID_BYTES + 4 + value.data.length)
      .u8(VALUE_FORMAT)
      .fixed(value.home, DOMAIN_ID_BYTES)
      .bytes(value.data, VALUE_DATA_BYTES_MAX)
      .finish();
  }
  if (typeof deadline !== 'bigint' || deadline < 0n || deadline > U64_MAX) {
    throw new WeftError('BAD_INPUT', 'value.deadline must be a u64 bigint (milliseconds)');
  }
  return new Writer(1 + DOMAIN_ID_BYTES + VALUE_DEADLINE_BYTES + 4 + value.data.length)
    .u8(VALUE_FORMAT_DEADLINE)
    .fixed(value.home, DOMAIN_ID_BYTES)
    .u64(deadline)
    .bytes(value.data, VALUE_DATA_BYTES_MAX)
    .finish();
}

/** Strict decoding; throws CODEC on an unknown version, truncation, oversize or trailing bytes. */
export function decodeValue(bytes: Uint8Array): ResourceValue {
  return decodeAll(bytes, (r): ResourceValue => {
    const version = r.u8();
    if (version === VALUE_FORMAT) {
      return { home: r.copy(DOMAIN_ID_BYTES), data: r.bytesCopy(VALUE_DATA_BYTES_MAX) };
    }
    if (version === VALUE_FORMAT_DEADLINE) {
      const home = r.copy(DOMAIN_ID_BYTES);
      const deadline = r.u64();
      return { home, deadline, data: r.bytesCopy(VALUE_DATA_BYTES_MAX) };
    }
    throw new WeftError('CODEC', `unknown value format ${version}`);
  });
}

/** valueRef = SHA256(encoded value). Takes the encoding, since that is what is hashed. */
export function valueRef(encodedValue: Uint8Array): Uint8Array {
  assertBytes(encodedValue, undefined, 'encoded value');
  return sha256(encodedValue);
}

/** labelRef = SHA256(label bytes). A label's layout is its logic's business (see token). */
export function labelRef(label: Uint8Array): Uint8Array {
  assertBytes(label, undefined, 'label');
  return sha256(label);
}

/** Longest label preimage a resource may have. */
export const LABEL_BYTES_MAX = 1024;
