// weft/crypto: hashing, the canonical codec, byte helpers and the error family.
export { WeftError, check, invariant } from './errors.js';
export type { WeftErrorCode, WeftErrorOptions } from './errors.js';
export { assertBytes, equalBytes, compareBytes, concatBytes, toHex, fromHex, utf8 } from './bytes.js';
export { sha256, sha256Parts, DIGEST_BYTES } from './sha256.js';
export { batchHasher, getBatchHasher, hashBlocks, BLOCK_BYTES } from './batch.js';
export type { BatchHasher, BatchHashFn } from './batch.js';
export { Writer, Reader, decodeAll, CODEC_LENGTH_MAX } from './codec.js';
export type { KeyPair, KeyType, PublicKey } from './keys.js';
export {
  ENCODED_PUBLIC_KEY_BYTES_MAX,
  KEY_TYPE_TAG,
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  SEED_BYTES,
  assertKeyType,
  assertPublicKey,
  encodePublicKey,
  equalPublicKeys,
  generateKeyPair,
  isKeyType,
  keyPairFromSeed,
  keyTypeFromTag,
  publicKeyFromBytes,
  publicKeyOf,
  readPublicKey,
  writePublicKey,
} from './keys.js';
export type { Signature } from './signatures.js';
export {
  KEY_CACHE_ENTRIES_MAX,
  MESSAGE_BYTES,
  RECOVERABLE_SIGNATURE_BYTES,
  SIGNATURE_BYTES,
  assertSignature,
  isWellFormedSignature,
  readSignature,
  recoverPublicKey,
  sign,
  signRecoverable,
  spkiDer,
  toRecoverableSignature,
  verifySignature,
  verifySignatureReference,
  writeSignature,
} from './signatures.js';
export type { SignatureCheck } from './verifyPool.js';
export { POOL_BATCH_CHECKS_MAX, POOL_CHUNK_CHECKS_MAX, POOL_THREADS_MAX, SignatureVerifierPool } from './verifyPool.js';
