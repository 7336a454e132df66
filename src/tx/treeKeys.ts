// Where transactions' effects live in a domain tree (ARCHITECTURE.md §3): commitments under
// `0x01 || cm` and nullifiers under `0x02 || nf`, each holding the u64 height it was written at.
import { assertBytes, WeftError } from '../crypto/index.js';

export const COMMITMENT_KEY_PREFIX = 0x01;
export const NULLIFIER_KEY_PREFIX = 0x02;
export const HEIGHT_BYTES = 8;

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

/** A height as the tree stores it: u64 big-endian. */
export function encodeHeight(height: bigint): Uint8Array {
  if (typeof height !== 'bigint' || height < 0n || height > U64_MAX) {
    throw new WeftError('BAD_INPUT', `a height must be a u64 bigint, got ${String(height)}`);
  }
  const out = new Uint8Array(HEIGHT_BYTES);
  new DataView(out.buffer).setBigUint64(0, height);
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
  return new DataView(value.buffer, value.byteOffset, HEIGHT_BYTES).getBigUint64(0);
}

const U64_MAX = (1n << 64n) - 1n;
