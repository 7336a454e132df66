// The resource: an immutable unit of state, created once (its commitment) and consumed once
// (its nullifier). Layout and hashes are the Anoma Resource Machine's (arm-risc0 v1.1.1), so
// commitments and nullifiers equal the reference implementation's (ARCHITECTURE.md §4).
import { assertBytes, decodeAll, type Reader, sha256, WeftError, Writer } from '../crypto/index.js';

/** Digests, nonces, seeds and nullifier keys are all 32 bytes. */
export const DIGEST_BYTES = 32;
export const NK_BYTES = 32;
export const QUANTITY_MAX = (1n << 128n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/** Bytes hashed into a commitment: 3 digests, u128, bool, nonce, nkCommitment, rcm. */
export const COMMITMENT_PREIMAGE_BYTES = 209;

/** The canonical resource encoding (encodeResource) is 209 bytes too: randSeed takes rcm's place. */
export const RESOURCE_BYTES = 209;

export type Resource = {
  logicRef: Uint8Array;
  labelRef: Uint8Array;
  valueRef: Uint8Array;
  quantity: bigint;
  isEphemeral: boolean;
  nonce: Uint8Array;
  nkCommitment: Uint8Array;
  randSeed: Uint8Array;
};

const DIGEST_FIELDS = ['logicRef', 'labelRef', 'valueRef', 'nonce', 'nkCommitment', 'randSeed'] as const;

/** Throws BAD_INPUT / BAD_LENGTH naming the field unless `value` is a well-formed Resource. */
export function assertResource(value: unknown, name = 'resource'): asserts value is Resource {
  if (typeof value !== 'object' || value === null)
    throw new WeftError('BAD_INPUT', `${name} must be an object`);
  const r = value as Resource;
  // Checked first without naming the field: the name is built only for the refusal (this runs
  // several times per transfer on the admission path).
  for (const field of DIGEST_FIELDS) {
    const f = r[field];
    if (!(f instanceof Uint8Array) || f.length !== DIGEST_BYTES)
      assertBytes(f, DIGEST_BYTES, `${name}.${field}`);
  }
  if (typeof r.quantity !== 'bigint' || r.quantity < 0n || r.quantity > QUANTITY_MAX) {
    throw new WeftError('BAD_INPUT', `${name}.quantity must be a bigint from 0 to 2^128-1`);
  }
  if (typeof r.isEphemeral !== 'boolean')
    throw new WeftError('BAD_INPUT', `${name}.isEphemeral must be a boolean`);
}

const EXPAND_SEED_TAG = new TextEncoder().encode('RISC0_ExpandSeed');
const PRF_PSI = 0x00;
const PRF_RCM = 0x01;

// Preimages are built in these module buffers and hashed at once (hashing is synchronous and never
// re-enters them; each function has its own): three run per transfer on the admission path.
const PRF_INPUT = new Uint8Array(EXPAND_SEED_TAG.length + 1 + 2 * DIGEST_BYTES);
PRF_INPUT.set(EXPAND_SEED_TAG, 0);
const COMMITMENT_INPUT = new Uint8Array(COMMITMENT_PREIMAGE_BYTES);
const COMMITMENT_QUANTITY = new DataView(COMMITMENT_INPUT.buffer, 64, 16);
const NULLIFIER_INPUT = new Uint8Array(4 * DIGEST_BYTES);

/** The reference's seed expansion: SHA256("RISC0_ExpandSeed" || tag || randSeed || nonce). */
function prf(tag: number, randSeed: Uint8Array, nonce: Uint8Array): Uint8Array {
  const at = EXPAND_SEED_TAG.length;
  PRF_INPUT[at] = tag;
  PRF_INPUT.set(randSeed, at + 1);
  PRF_INPUT.set(nonce, at + 1 + DIGEST_BYTES);
  return sha256(PRF_INPUT);
}

/** psi: the nullifier's per-resource randomness. */
export function psi(resource: Resource): Uint8Array {
  return prf(PRF_PSI, resource.randSeed, resource.nonce);
}

/** rcm: the commitment's blinding randomness. */
export function rcm(resource: Resource): Uint8Array {
  return prf(PRF_RCM, resource.randSeed, resource.nonce);
}

/** SHA256(nk): the nullifier key commitment a resource carries. */
export function nkCommitment(nk: Uint8Array): Uint8Array {
  assertBytes(nk, NK_BYTES, 'nk');
  return sha256(nk);
}

/**
 * The commitment that publishes a resource:
 * `SHA256(logicRef || labelRef || quantity(u128 BE) || valueRef || isEphemeral(1) || nonce || nkCommitment || rcm)`.
 *
 * @example toHex(commitment(resource)) // '0x4518...7825' for ARCHITECTURE.md's example
 */
export function commitment(resource: Resource): Uint8Array {
  assertResource(resource);
  // Built in place: this runs twice per transfer on the validation hot path.
  const r = rcm(resource);
  const input = COMMITMENT_INPUT;
  input.set(resource.logicRef, 0);
  input.set(resource.labelRef, 32);
  const q = resource.quantity;
  if (q <= U64_MAX) {
    COMMITMENT_QUANTITY.setBigUint64(0, 0n);
    COMMITMENT_QUANTITY.setBigUint64(8, q);
  } else {
    COMMITMENT_QUANTITY.setBigUint64(0, q >> 64n);
    COMMITMENT_QUANTITY.setBigUint64(8, q & U64_MAX);
  }
  input.set(resource.valueRef, 80);
  input[112] = resource.isEphemeral ? 1 : 0;
  input.set(resource.nonce, 113);
  input.set(resource.nkCommitment, 145);
  input.set(r, 177);
  return sha256(input);
}

/**
 * The nullifier that marks a resource consumed: `SHA256(nk || nonce || psi || cm)`.
 * Throws NK_MISMATCH unless `SHA256(nk)` is the resource's nkCommitment. Pass `cm` when it is
 * already computed to save a hash.
 */
export function nullifier(
  resource: Resource,
  nk: Uint8Array,
  cm: Uint8Array = commitment(resource),
): Uint8Array {
  assertResource(resource);
  assertBytes(cm, DIGEST_BYTES, 'cm');
  const nkc = nkCommitment(nk);
  if (!equal32(nkc, resource.nkCommitment)) {
    throw new WeftError(
      'NK_MISMATCH',
      'the nullifier key does not match the resource: SHA256(nk) != nkCommitment',
      {
        details: 'Use the nullifier key whose SHA-256 the resource committed to when it was created.',
      },
    );
  }
  const p = psi(resource);
  const input = NULLIFIER_INPUT;
  input.set(nk, 0);
  input.set(resource.nonce, 32);
  input.set(p, 64);
  input.set(cm, 96);
  return sha256(input);
}

const KIND_TAG = new TextEncoder().encode('weft.kind');
// The preimage of the last kind computed, and its digest: most transactions of a domain move one
// kind or a few, so the same preimage recurs (compared byte for byte, never assumed).
const KIND_INPUT = new Uint8Array(KIND_TAG.length + 2 * DIGEST_BYTES);
KIND_INPUT.set(KIND_TAG, 0);
let lastKind: Uint8Array | undefined;

function holds(buf: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < DIGEST_BYTES; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

/** The resource's kind, what balance is checked per: `SHA256("weft.kind" || logicRef || labelRef)`. */
export function kind(resource: Pick<Resource, 'logicRef' | 'labelRef'>): Uint8Array {
  assertBytes(resource.logicRef, DIGEST_BYTES, 'resource.logicRef');
  assertBytes(resource.labelRef, DIGEST_BYTES, 'resource.labelRef');
  const at = KIND_TAG.length;
  if (
    lastKind === undefined ||
    !holds(KIND_INPUT, at, resource.logicRef) ||
    !holds(KIND_INPUT, at + DIGEST_BYTES, resource.labelRef)
  ) {
    lastKind = undefined;
    KIND_INPUT.set(resource.logicRef, at);
    KIND_INPUT.set(resource.labelRef, at + DIGEST_BYTES);
    lastKind = sha256(KIND_INPUT);
  }
  // A copy: the caller may keep or change it.
  return lastKind.slice();
}

/**
 * Canonical resource encoding (209 bytes): logicRef, labelRef, valueRef, quantity (u128 BE),
 * isEphemeral (1 byte, 0 or 1), nonce, nkCommitment, randSeed.
 */
export function writeResource(w: Writer, resource: Resource): void {
  assertResource(resource);
  w.fixed(resource.logicRef, 32)
    .fixed(resource.labelRef, 32)
    .fixed(resource.valueRef, 32)
    .u128(resource.quantity)
    .bool(resource.isEphemeral)
    .fixed(resource.nonce, 32)
    .fixed(resource.nkCommitment, 32)
    .fixed(resource.randSeed, 32);
}

export function readResource(r: Reader): Resource {
  return {
    logicRef: r.copy(32),
    labelRef: r.copy(32),
    valueRef: r.copy(32),
    quantity: r.u128(),
    isEphemeral: r.bool(),
    nonce: r.copy(32),
    nkCommitment: r.copy(32),
    randSeed: r.copy(32),
  };
}

export function encodeResource(resource: Resource): Uint8Array {
  const w = new Writer(RESOURCE_BYTES);
  writeResource(w, resource);
  return w.finish();
}

/** Strict: exactly 209 bytes, booleans 0 or 1; throws CODEC otherwise. */
export function decodeResource(bytes: Uint8Array): Resource {
  return decodeAll(bytes, readResource);
}

function equal32(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
