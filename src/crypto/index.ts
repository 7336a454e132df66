// weft/crypto: hashing, the canonical codec, byte helpers and the error family.

export type { BatchHasher, BatchHashFn } from './batch.js';
export { BLOCK_BYTES, batchHasher, getBatchHasher, hashBlocks } from './batch.js';
export { assertBytes, compareBytes, concatBytes, equalBytes, fromHex, hexKey, toHex, utf8 } from './bytes.js';
export { CODEC_LENGTH_MAX, decodeAll, Reader, Writer } from './codec.js';
export type { ErrorCodeInfo, WeftErrorCode } from './errorCodes.js';
export { ERROR_CODES, isWeftErrorCode, toWeftErrorCode } from './errorCodes.js';
export type { WeftErrorOptions } from './errors.js';
export { check, invariant, WeftError } from './errors.js';
export type { KeyPair, KeyType, PublicKey } from './keys.js';
export {
  assertKeyType,
  assertPublicKey,
  ENCODED_PUBLIC_KEY_BYTES_MAX,
  encodePublicKey,
  equalPublicKeys,
  generateKeyPair,
  isKeyType,
  isPublicKeyShape,
  KEY_TYPE_TAG,
  keyPairFromSeed,
  keyTypeFromTag,
  PUBLIC_KEY_BYTES,
  publicKeyFromBytes,
  publicKeyOf,
  readPublicKey,
  SECRET_KEY_BYTES,
  SEED_BYTES,
  writePublicKey,
} from './keys.js';
export { DIGEST_BYTES, SHORT_INPUT_MAX, sha256, sha256Into, sha256Node, sha256Parts } from './sha256.js';
export type { Signature } from './signatures.js';
export {
  assertSignature,
  isSignatureShape,
  isWellFormedSignature,
  KEY_CACHE_ENTRIES_MAX,
  MESSAGE_BYTES,
  RECOVERABLE_SIGNATURE_BYTES,
  readSignature,
  recoverPublicKey,
  SIGNATURE_BYTES,
  sign,
  signRecoverable,
  spkiDer,
  toRecoverableSignature,
  verifySignature,
  verifySignatureReference,
  writeSignature,
} from './signatures.js';
export type { SignatureCheck } from './verifyPool.js';
export {
  POOL_BATCH_CHECKS_MAX,
  POOL_CHUNK_CHECKS_MAX,
  POOL_THREADS_MAX,
  SignatureVerifierPool,
} from './verifyPool.js';
