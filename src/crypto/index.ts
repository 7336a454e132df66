// weft/crypto: hashing, the canonical codec, byte helpers and the error family.
export { WeftError, check, invariant } from './errors.js';
export type { WeftErrorCode, WeftErrorOptions } from './errors.js';
export { assertBytes, equalBytes, compareBytes, concatBytes, toHex, fromHex, utf8 } from './bytes.js';
export { sha256, sha256Parts, DIGEST_BYTES } from './sha256.js';
export { batchHasher, getBatchHasher, hashBlocks, BLOCK_BYTES } from './batch.js';
export type { BatchHasher, BatchHashFn } from './batch.js';
export { Writer, Reader, decodeAll, CODEC_LENGTH_MAX } from './codec.js';
