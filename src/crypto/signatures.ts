// Signatures over 32-byte digests. Verification runs through node:crypto (OpenSSL, about 4x
// faster than pure JS), secp256k1 through libsecp256k1 where its prebuilt binding loads
// (nativeSecp256k1.ts, about 6x faster than OpenSSL for this curve); @noble/curves signs secp256k1
// (RFC 6979, low-s), recovers public keys and serves as the independent reference verifier the
// tests compare both against.
//
// secp256k1 is ECDSA with SHA-256 over the 32-byte message (so EVM code checks it with
// ecrecover(sha256(message), v, r, s)); ed25519 is pure Ed25519 (RFC 8032) over the message.
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { assertBytes, compareBytes, concatBytes, fromHex } from './bytes.js';
import type { Reader, Writer } from './codec.js';
import { WeftError } from './errors.js';
import {
  assertKeyType,
  assertPublicKey,
  isKeyType,
  KEY_TYPE_TAG,
  type KeyPair,
  type KeyType,
  keyTypeFromTag,
  type PublicKey,
  publicKeyFromBytes,
} from './keys.js';
import { nativeVerifySecp256k1 } from './nativeSecp256k1.js';
import { sha256 } from './sha256.js';

/** Every Weft signature signs exactly one 32-byte digest (a transaction id, a header hash). */
export const MESSAGE_BYTES = 32;

/** Both schemes' signatures are 64 bytes: r || s (secp256k1, low-s) or R || S (ed25519). */
export const SIGNATURE_BYTES = 64;

/** r || s || v with v = 27 + recovery bit: the form EVM `ecrecover` takes. */
export const RECOVERABLE_SIGNATURE_BYTES = 65;

/** Public keys whose parsed KeyObject is cached; the oldest entry is dropped past this. */
export const KEY_CACHE_ENTRIES_MAX = 16_384;

export type Signature = { type: KeyType; bytes: Uint8Array };

// secp256k1 group order n and n/2, big-endian: signatures need 1 <= r < n and 1 <= s <= n/2.
const SECP256K1_N = fromHex('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 32);
const SECP256K1_HALF_N = fromHex('0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 32);
const ZERO_32 = new Uint8Array(32);

// SubjectPublicKeyInfo DER prefixes for raw keys (RFC 8410 for ed25519, SEC 1 for secp256k1).
const SPKI_ED25519 = fromHex('0x302a300506032b6570032100');
const SPKI_SECP256K1_COMPRESSED = fromHex('0x3036301006072a8648ce3d020106052b8104000a032200');
const SPKI_SECP256K1_UNCOMPRESSED = fromHex('0x3056301006072a8648ce3d020106052b8104000a034200');
const PKCS8_ED25519 = fromHex('0x302e020100300506032b657004220420');

/**
 * node:crypto key objects of ed25519 secret keys signed with, by the key's array (making one
 * costs more than the signature): the bytes are kept beside it and compared, so an array
 * changed in place gets a new object.
 */
const ED25519_KEY_OBJECTS = new WeakMap<Uint8Array, { bytes: Uint8Array; key: KeyObject }>();

function ed25519KeyObject(secretKey: Uint8Array): KeyObject {
  const hit = ED25519_KEY_OBJECTS.get(secretKey);
  if (hit && compareBytes(hit.bytes, secretKey) === 0) return hit.key;
  const key = createPrivateKey({
    key: Buffer.from(concatBytes(PKCS8_ED25519, secretKey)),
    format: 'der',
    type: 'pkcs8',
  });
  ED25519_KEY_OBJECTS.set(secretKey, { bytes: secretKey.slice(), key });
  return key;
}

/** DER SubjectPublicKeyInfo of a raw key, as node:crypto and OpenSSL read it. */
export function spkiDer(type: KeyType, raw: Uint8Array): Uint8Array {
  assertKeyType(type);
  assertBytes(raw, undefined, 'public key');
  if (type === 'ed25519' && raw.length === 32) return concatBytes(SPKI_ED25519, raw);
  if (type === 'secp256k1' && raw.length === 33) return concatBytes(SPKI_SECP256K1_COMPRESSED, raw);
  if (type === 'secp256k1' && raw.length === 65) return concatBytes(SPKI_SECP256K1_UNCOMPRESSED, raw);
  throw new WeftError('BAD_LENGTH', `no ${type} public key is ${raw.length} bytes`);
}

/** Whether `assertSignature(value)` would pass, without building a field name (as `isPublicKeyShape`). */
export function isSignatureShape(value: unknown): value is Signature {
  if (typeof value !== 'object' || value === null) return false;
  const sig = value as Signature;
  return isKeyType(sig.type) && sig.bytes instanceof Uint8Array && sig.bytes.length === SIGNATURE_BYTES;
}

export function assertSignature(value: unknown, name = 'signature'): asserts value is Signature {
  if (typeof value !== 'object' || value === null)
    throw new WeftError('BAD_INPUT', `${name} must be an object`);
  const sig = value as Signature;
  assertKeyType(sig.type, `${name}.type`);
  assertBytes(sig.bytes, SIGNATURE_BYTES, `${name}.bytes`);
}

/** Canonical encoding: tag(1) || 64 bytes. */
export function writeSignature(w: Writer, sig: Signature): void {
  assertSignature(sig);
  w.u8(KEY_TYPE_TAG[sig.type]).fixed(sig.bytes, SIGNATURE_BYTES);
}

export function readSignature(r: Reader): Signature {
  const type = keyTypeFromTag(r.u8());
  return { type, bytes: r.copy(SIGNATURE_BYTES) };
}

/**
 * Signs a 32-byte digest. Deterministic for both schemes (RFC 6979 nonces for secp256k1,
 * RFC 8032 for ed25519); secp256k1 signatures are low-s.
 *
 * @example const sig = sign(alice, txId(tx));
 */
export function sign(keyPair: KeyPair, message: Uint8Array): Signature {
  assertKeyType(keyPair?.type, 'keyPair.type');
  assertBytes(keyPair.secretKey, 32, 'keyPair.secretKey');
  assertBytes(message, MESSAGE_BYTES, 'message');
  if (keyPair.type === 'secp256k1') {
    return { type: 'secp256k1', bytes: secp256k1.sign(message, keyPair.secretKey, { lowS: true }) };
  }
  const out = nodeSign(null, message, ed25519KeyObject(keyPair.secretKey));
  return { type: 'ed25519', bytes: new Uint8Array(out.buffer, out.byteOffset, out.length) };
}

/**
 * The checks that need no curve arithmetic: matching types and, for secp256k1,
 * 1 <= r < n and 1 <= s <= n/2 (OpenSSL accepts high s; we refuse it so a signature has one form).
 */
export function isWellFormedSignature(publicKey: PublicKey, signature: Signature): boolean {
  if (publicKey.type !== signature.type) return false;
  if (signature.type !== 'secp256k1') return true;
  // r and s compared in place: a view of a small array V8 keeps in its heap would first move it
  // out to an ArrayBuffer of its own (once per signature checked).
  const b = signature.bytes;
  if (b.length !== SIGNATURE_BYTES) {
    // Not a signature's length (callers check the shape first): as the views would compare it.
    const r = b.subarray(0, 32);
    const s = b.subarray(32, 64);
    return (
      compareBytes(r, ZERO_32) > 0 &&
      compareBytes(r, SECP256K1_N) < 0 &&
      compareBytes(s, ZERO_32) > 0 &&
      compareBytes(s, SECP256K1_HALF_N) <= 0
    );
  }
  return (
    compare32At(b, 0, ZERO_32) > 0 &&
    compare32At(b, 0, SECP256K1_N) < 0 &&
    compare32At(b, 32, ZERO_32) > 0 &&
    compare32At(b, 32, SECP256K1_HALF_N) <= 0
  );
}

/** `compareBytes(bytes.subarray(at, at + 32), other)` for a 32-byte `other`, without the view. */
function compare32At(bytes: Uint8Array, at: number, other: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = bytes[at + i]! - other[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

const keyCache = new Map<string, KeyObject | null>();

/** The parsed key for `publicKey`, or null when it is not a valid point. Cached per key. */
function keyObject(publicKey: PublicKey): KeyObject | null {
  const id = `${publicKey.type}:${Buffer.from(publicKey.bytes.buffer, publicKey.bytes.byteOffset, publicKey.bytes.length).toString('base64')}`;
  const hit = keyCache.get(id);
  if (hit !== undefined) return hit;
  let key: KeyObject | null;
  try {
    key = createPublicKey({
      key: Buffer.from(spkiDer(publicKey.type, publicKey.bytes)),
      format: 'der',
      type: 'spki',
    });
  } catch {
    key = null;
  }
  if (keyCache.size >= KEY_CACHE_ENTRIES_MAX) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

function assertVerifyInputs(publicKey: PublicKey, message: Uint8Array, signature: Signature): void {
  assertPublicKey(publicKey);
  assertBytes(message, MESSAGE_BYTES, 'message');
  assertSignature(signature);
}

/**
 * True when `signature` is `publicKey`'s signature of `message`, checked by node:crypto.
 * False (never a throw) for a wrong signature, a key of the other type, a high-s secp256k1
 * signature or a key that is not a curve point; throws only on wrongly shaped arguments.
 */
export function verifySignature(publicKey: PublicKey, message: Uint8Array, signature: Signature): boolean {
  assertVerifyInputs(publicKey, message, signature);
  if (!isWellFormedSignature(publicKey, signature)) return false;
  if (signature.type === 'secp256k1') {
    // libsecp256k1 where its binding loads (about 6x faster), over the digest node:crypto checks;
    // it parses the key itself, so no KeyObject is looked up for it.
    const native = nativeVerifySecp256k1(publicKey.bytes, sha256(message), signature.bytes);
    if (native !== null) return native;
  }
  const key = keyObject(publicKey);
  if (key === null) return false;
  try {
    if (signature.type === 'ed25519') return nodeVerify(null, message, key, signature.bytes);
    return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature.bytes);
  } catch {
    return false;
  }
}

/**
 * The same predicate as `verifySignature`, computed by @noble/curves alone: the independent
 * reference the tests hold node:crypto to. About 4-15x slower; not for hot paths.
 */
export function verifySignatureReference(
  publicKey: PublicKey,
  message: Uint8Array,
  signature: Signature,
): boolean {
  assertVerifyInputs(publicKey, message, signature);
  if (!isWellFormedSignature(publicKey, signature)) return false;
  try {
    if (signature.type === 'ed25519') {
      return ed25519.verify(signature.bytes, message, publicKey.bytes, { zip215: false });
    }
    return secp256k1.verify(signature.bytes, message, publicKey.bytes, { lowS: true });
  } catch {
    return false;
  }
}

/**
 * A secp256k1 signature in the 65-byte r || s || v form (v = 27 or 28) that EVM `ecrecover`
 * takes: `ecrecover(sha256(message), v, r, s)` returns the signer's address.
 */
export function signRecoverable(keyPair: KeyPair, message: Uint8Array): Uint8Array {
  if (keyPair?.type !== 'secp256k1')
    throw new WeftError('BAD_INPUT', 'only secp256k1 signatures are recoverable');
  assertBytes(keyPair.secretKey, 32, 'keyPair.secretKey');
  assertBytes(message, MESSAGE_BYTES, 'message');
  const vrs = secp256k1.sign(message, keyPair.secretKey, { lowS: true, format: 'recovered' });
  return concatBytes(vrs.subarray(1, 65), Uint8Array.of(27 + vrs[0]!));
}

/**
 * The 65-byte recoverable form of a verified 64-byte secp256k1 signature, found by trying
 * both recovery bits. Throws BAD_SIGNATURE when the signature does not verify.
 */
export function toRecoverableSignature(
  publicKey: PublicKey,
  message: Uint8Array,
  signature: Signature,
): Uint8Array {
  if (publicKey?.type !== 'secp256k1')
    throw new WeftError('BAD_INPUT', 'only secp256k1 signatures are recoverable');
  if (!verifySignature(publicKey, message, signature)) {
    throw new WeftError('BAD_SIGNATURE', 'the signature does not verify, so it has no recoverable form');
  }
  for (const bit of [0, 1]) {
    const candidate = concatBytes(signature.bytes, Uint8Array.of(27 + bit));
    const recovered = tryRecover(message, candidate);
    if (recovered !== null && compareBytes(recovered.bytes, publicKey.bytes) === 0) return candidate;
  }
  throw new Error('weft invariant violated: a verified secp256k1 signature recovered to neither key');
}

/**
 * The secp256k1 public key that made a 65-byte r || s || v signature of `message`
 * (what EVM `ecrecover` computes, before hashing to an address). Throws BAD_SIGNATURE when
 * nothing can be recovered; a wrong but well-formed signature recovers some other key.
 */
export function recoverPublicKey(message: Uint8Array, recoverable: Uint8Array): PublicKey {
  assertBytes(message, MESSAGE_BYTES, 'message');
  assertBytes(recoverable, RECOVERABLE_SIGNATURE_BYTES, 'signature');
  const pk = tryRecover(message, recoverable);
  if (pk === null) throw new WeftError('BAD_SIGNATURE', 'no public key can be recovered from this signature');
  return pk;
}

function tryRecover(message: Uint8Array, recoverable: Uint8Array): PublicKey | null {
  const v = recoverable[64]!;
  if (v !== 27 && v !== 28) return null;
  const compact = recoverable.subarray(0, 64);
  if (!isWellFormedSignature({ type: 'secp256k1', bytes: ZERO_32 }, { type: 'secp256k1', bytes: compact }))
    return null;
  try {
    const nobleForm = concatBytes(Uint8Array.of(v - 27), compact);
    return publicKeyFromBytes('secp256k1', secp256k1.recoverPublicKey(nobleForm, message));
  } catch {
    return null;
  }
}
