// weft/smt: the authenticated state tree — batch updates, versions, proofs, verification, stores.
export type {
  Write,
  HasherName,
  VerifyOptions,
  Terminal,
  Proof,
  MultiStep,
  Sibling,
  MultiProof,
  TransitionProof,
  ApplyOptions,
  ApplyResult,
} from './types.js';
export { Smt, KEY_BYTES_MAX, VALUE_BYTES_MAX, BATCH_WRITES_MAX, PAGE_LEVELS_DEFAULT } from './tree.js';
export type { SmtOptions } from './tree.js';
export { verifyProof, verifyMultiProof, verifyTransition, MULTI_KEYS_MAX } from './verify.js';
export { MemoryNodeStore, STORE_FORMAT } from './store.js';
export type { NodeStore, StoreMeta, StoreCommit, PruneReport } from './store.js';
export {
  encodeProof,
  decodeProof,
  encodeMultiProof,
  decodeMultiProof,
  encodeTransition,
  decodeTransition,
  PROOF_STEPS_MAX,
} from './proofCodec.js';
export { LmdbNodeStore } from './lmdbStore.js';
export type { LmdbNodeStoreOptions } from './lmdbStore.js';
