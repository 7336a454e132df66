// Key pairs of the two signature schemes Weft accepts, each tagged by type in every encoding:
// secp256k1 (EVM wallets, domain key sets) and ed25519 (the fast one). Spec: docs/transactions.md.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { assertBytes, concatBytes, equalBytes, utf8 } from './bytes.js';
import type { Reader, Writer } from './codec.js';
import { WeftError } from './errors.js';
import { sha256 } from './sha256.js';

export type KeyType = 'secp256k1' | 'ed25519';

/** The one-byte tag that precedes a key or signature of each type in canonical encodings. */
export const KEY_TYPE_TAG = { secp256k1: 0x01, ed25519: 0x02 } as const satisfies Record<KeyType, number>;

export const SECRET_KEY_BYTES = 32;
export const SEED_BYTES = 32;

/** Public key sizes: secp256k1 keys are always held compressed (one encoding per key). */
export const PUBLIC_KEY_BYTES = { secp256k1: 33, ed25519: 32 } as const satisfies Record<KeyType, number>;

/** Largest encoded public key: tag + 33 bytes. */
export const ENCODED_PUBLIC_KEY_BYTES_MAX = 1 + PUBLIC_KEY_BYTES.secp256k1;

export type PublicKey = { type: KeyType; bytes: Uint8Array };

/** A secret key and its public key. `secretKey` is the 32-byte scalar (secp256k1) or seed (ed25519). */
export type KeyPair = { type: KeyType; secretKey: Uint8Array; publicKey: PublicKey };

export function isKeyType(value: unknown): value is KeyType {
  return value === 'secp256k1' || value === 'ed25519';
}

export function assertKeyType(value: unknown, name = 'key type'): asserts value is KeyType {
  if (!isKeyType(value)) {
    throw new WeftError('BAD_INPUT', `${name} must be 'secp256k1' or 'ed25519', got ${String(value)}`);
  }
}

/**
 * Whether `assertPublicKey(value)` would pass, without building a field name: for hot paths,
 * which name the field only to refuse it (then calling `assertPublicKey` for the message).
 */
export function isPublicKeyShape(value: unknown): value is PublicKey {
  if (typeof value !== 'object' || value === null) return false;
  const pk = value as PublicKey;
  if (!isKeyType(pk.type)) return false;
  if (!(pk.bytes instanceof Uint8Array) || pk.bytes.length !== PUBLIC_KEY_BYTES[pk.type]) return false;
  return pk.type !== 'secp256k1' || pk.bytes[0] === 0x02 || pk.bytes[0] === 0x03;
}

/** Checks the shape of a public key (type, length, secp256k1 prefix); curve membership is checked on use. */
export function assertPublicKey(value: unknown, name = 'publicKey'): asserts value is PublicKey {
  if (typeof value !== 'object' || value === null)
    throw new WeftError('BAD_INPUT', `${name} must be an object`);
  const pk = value as PublicKey;
  assertKeyType(pk.type, `${name}.type`);
  assertBytes(pk.bytes, PUBLIC_KEY_BYTES[pk.type], `${name}.bytes`);
  if (pk.type === 'secp256k1' && pk.bytes[0] !== 0x02 && pk.bytes[0] !== 0x03) {
    throw new WeftError('BAD_INPUT', `${name} must be a compressed secp256k1 point (prefix 0x02 or 0x03)`);
  }
}

/**
 * A public key from raw bytes. secp256k1 accepts 33-byte compressed or 65-byte uncompressed
 * points and always returns the compressed form; ed25519 takes the 32-byte key.
 *
 * @example publicKeyFromBytes('secp256k1', uncompressed65) // { type: 'secp256k1', bytes: <33 bytes> }
 */
export function publicKeyFromBytes(type: KeyType, bytes: Uint8Array): PublicKey {
  assertKeyType(type);
  assertBytes(bytes, undefined, 'public key');
  if (type === 'secp256k1' && bytes.length === 65) {
    let point: ReturnType<typeof secp256k1.Point.fromBytes>;
    try {
      point = secp256k1.Point.fromBytes(bytes);
    } catch (cause) {
      throw new WeftError('BAD_INPUT', 'public key is not a point on secp256k1', { cause });
    }
    return { type, bytes: point.toBytes(true) };
  }
  const pk = { type, bytes: bytes.slice() };
  assertPublicKey(pk, 'public key');
  return pk;
}

/** True when `a` and `b` are the same key of the same type. */
export function equalPublicKeys(a: PublicKey, b: PublicKey): boolean {
  return a.type === b.type && equalBytes(a.bytes, b.bytes);
}

/** Canonical encoding: tag(1) || key bytes (33 for secp256k1, 32 for ed25519). */
export function encodePublicKey(pk: PublicKey): Uint8Array {
  assertPublicKey(pk);
  return concatBytes(Uint8Array.of(KEY_TYPE_TAG[pk.type]), pk.bytes);
}

export function writePublicKey(w: Writer, pk: PublicKey): void {
  assertPublicKey(pk);
  w.u8(KEY_TYPE_TAG[pk.type]).fixed(pk.bytes, pk.bytes.length);
}

/** Reads a tagged public key; throws CODEC on an unknown tag or a bad secp256k1 prefix. */
export function readPublicKey(r: Reader): PublicKey {
  const type = keyTypeFromTag(r.u8());
  const bytes = r.copy(PUBLIC_KEY_BYTES[type]);
  if (type === 'secp256k1' && bytes[0] !== 0x02 && bytes[0] !== 0x03) {
    throw new WeftError('CODEC', 'secp256k1 public key must be compressed (prefix 0x02 or 0x03)');
  }
  return { type, bytes };
}

export function keyTypeFromTag(tag: number): KeyType {
  if (tag === KEY_TYPE_TAG.secp256k1) return 'secp256k1';
  if (tag === KEY_TYPE_TAG.ed25519) return 'ed25519';
  throw new WeftError('CODEC', `unknown key type tag 0x${tag.toString(16).padStart(2, '0')}`);
}

/** The public key of a secret key. */
export function publicKeyOf(type: KeyType, secretKey: Uint8Array): PublicKey {
  assertKeyType(type);
  assertBytes(secretKey, SECRET_KEY_BYTES, 'secretKey');
  if (type === 'ed25519') return { type, bytes: ed25519.getPublicKey(secretKey) };
  if (!secp256k1.utils.isValidSecretKey(secretKey)) {
    throw new WeftError(
      'BAD_INPUT',
      'secretKey is not a valid secp256k1 scalar (zero or not below the order)',
    );
  }
  return { type, bytes: secp256k1.getPublicKey(secretKey, true) };
}

const SECP256K1_SEED_TAG = utf8('weft.secp256k1.seed');
const SEED_ATTEMPTS_MAX = 256;

/**
 * A key pair derived deterministically from a 32-byte seed. ed25519 uses the seed as its
 * RFC 8032 secret key; secp256k1 takes the first `SHA256("weft.secp256k1.seed" || seed || i)`,
 * i = 0, 1, ..., that is a valid scalar (i > 0 happens with probability about 2^-128).
 *
 * @example const alice = keyPairFromSeed('ed25519', new Uint8Array(32).fill(1));
 */
export function keyPairFromSeed(type: KeyType, seed: Uint8Array): KeyPair {
  assertKeyType(type);
  assertBytes(seed, SEED_BYTES, 'seed');
  if (type === 'ed25519') {
    const secretKey = seed.slice();
    return { type, secretKey, publicKey: publicKeyOf(type, secretKey) };
  }
  for (let i = 0; i < SEED_ATTEMPTS_MAX; i++) {
    const candidate = sha256(concatBytes(SECP256K1_SEED_TAG, seed, Uint8Array.of(i)));
    if (secp256k1.utils.isValidSecretKey(candidate)) {
      return { type, secretKey: candidate, publicKey: publicKeyOf(type, candidate) };
    }
  }
  throw new Error('weft invariant violated: no valid secp256k1 scalar from 256 hashes of a seed');
}

/** A fresh key pair; `random` (default node:crypto) is injectable for deterministic tests. */
export function generateKeyPair(
  type: KeyType,
  random: (bytes: number) => Uint8Array = (n) => randomBytes(n),
): KeyPair {
  return keyPairFromSeed(type, random(SEED_BYTES));
}
