// Where transactions' effects live in a domain tree (ARCHITECTURE.md §3): commitments under
// `0x01 || cm` and nullifiers under `0x02 || nf`, each holding the u64 height it was written at,
// and refusals of claims under `0x06 || nf` (reason u8 || height u64).
import { assertBytes, WeftError } from '../crypto/index.js';
import type { RefusalReason, RefusalRecord } from './types.js';

export const COMMITMENT_KEY_PREFIX = 0x01;
export const NULLIFIER_KEY_PREFIX = 0x02;
export const REFUSAL_KEY_PREFIX = 0x06;
/** A refusal record's encoding: reason u8 || height u64. */
export const REFUSAL_RECORD_BYTES = 9;
/** The refusal reasons in the order of their tag byte (1, 2, ...): a list only ever grows. */
export const REFUSAL_REASONS: readonly RefusalReason[] = ['DEADLINE_PASSED', 'UNKNOWN_LOGIC'];
export const HEIGHT_BYTES = 8;
/** Where heights are encoded and decoded (synchronously, never re-entered). */
const HEIGHT_SCRATCH_BYTES = new Uint8Array(new ArrayBuffer(8));
const HEIGHT_SCRATCH = new DataView(HEIGHT_SCRATCH_BYTES.buffer);

function prefixed(prefix: number, digest: Uint8Array, name: string): Uint8Array {
  assertBytes(digest, 32, name);
  const key = new Uint8Array(33);
  key[0] = prefix;
  key.set(digest, 1);
  return key;
}

/** The tree key of a commitment: 0x01 || cm. */
export function commitmentKey(cm: Uint8Array): Uint8Array {
  return prefixed(COMMITMENT_KEY_PREFIX, cm, 'cm');
}

/** The tree key of a nullifier: 0x02 || nf. */
export function nullifierKey(nf: Uint8Array): Uint8Array {
  return prefixed(NULLIFIER_KEY_PREFIX, nf, 'nf');
}

/** The tree key of a claim's refusal: 0x06 || nf of the resource the claim consumes. */
export function refusalKey(nf: Uint8Array): Uint8Array {
  return prefixed(REFUSAL_KEY_PREFIX, nf, 'nf');
}

/** A refusal record as the tree stores it: reason tag u8 (REFUSAL_REASONS, from 1) || height u64. */
export function encodeRefusal(rec: RefusalRecord): Uint8Array {
  const tag = REFUSAL_REASONS.indexOf(rec?.reason);
  if (tag < 0) throw new WeftError('BAD_INPUT', `unknown refusal reason ${String(rec?.reason)}`);
  const out = new Uint8Array(REFUSAL_RECORD_BYTES);
  out[0] = tag + 1;
  out.set(encodeHeight(rec.height), 1);
  return out;
}

/** A refusal record from its tree value; CODEC for any other length or an unknown reason. */
export function decodeRefusal(value: Uint8Array): RefusalRecord {
  if (!(value instanceof Uint8Array) || value.length !== REFUSAL_RECORD_BYTES)
    throw new WeftError('CODEC', `a refusal record is ${REFUSAL_RECORD_BYTES} bytes`);
  const reason = REFUSAL_REASONS[value[0]! - 1];
  if (reason === undefined) throw new WeftError('CODEC', `unknown refusal reason tag ${value[0]}`);
  return { reason, height: decodeHeight(value.subarray(1)) };
}

/** A height as the tree stores it: u64 big-endian. */
export function encodeHeight(height: bigint): Uint8Array {
  if (typeof height !== 'bigint' || height < 0n || height > U64_MAX) {
    throw new WeftError('BAD_INPUT', `a height must be a u64 bigint, got ${String(height)}`);
  }
  // Through a scratch view, then copied: a view of `out` itself would first move the small array
  // out of V8's heap to an ArrayBuffer of its own.
  HEIGHT_SCRATCH.setBigUint64(0, height);
  const out = new Uint8Array(HEIGHT_BYTES);
  out.set(HEIGHT_SCRATCH_BYTES);
  return out;
}

/** The height a commitment or nullifier entry holds (8 bytes, big-endian); CODEC otherwise. */
export function decodeHeight(value: Uint8Array): bigint {
  if (!(value instanceof Uint8Array) || value.length !== HEIGHT_BYTES) {
    throw new WeftError(
      'CODEC',
      `a height entry is ${HEIGHT_BYTES} bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`,
    );
  }
  HEIGHT_SCRATCH_BYTES.set(value);
  return HEIGHT_SCRATCH.getBigUint64(0);
}

const U64_MAX = (1n << 64n) - 1n;
