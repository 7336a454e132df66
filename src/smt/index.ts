// weft/smt: the authenticated state tree — batch updates, versions, proofs, verification, stores.

export { BATCH_WRITES_MAX, KEY_BYTES_MAX, VALUE_BYTES_MAX } from './batch.js';
export type { LmdbNodeStoreOptions } from './lmdbStore.js';
export { checkLmdbDataFile, LmdbNodeStore } from './lmdbStore.js';
export {
  decodeMultiProof,
  decodeProof,
  decodeTransition,
  encodedProofBytes,
  encodeMultiProof,
  encodeProof,
  encodeTransition,
  PROOF_STEPS_MAX,
} from './proofCodec.js';
export type { NodeStore, PruneReport, StoreCommit, StoreMeta } from './store.js';
export { MemoryNodeStore, STORE_FORMAT } from './store.js';
export type { SmtOptions, StagedVersion } from './tree.js';
export { PAGE_LEVELS_DEFAULT, Smt } from './tree.js';
export type {
  ApplyOptions,
  ApplyResult,
  HasherName,
  MultiProof,
  MultiStep,
  Proof,
  Sibling,
  Terminal,
  TransitionProof,
  VerifyOptions,
  Write,
} from './types.js';
export type { OldTreeWitness, ProofQuery, WitnessAnswer } from './verify.js';
export {
  BATCH_PROOFS_MAX,
  MULTI_KEYS_MAX,
  openTransition,
  proveWrittenKey,
  transitionRoot,
  verifyMultiProof,
  verifyProof,
  verifyProofs,
  verifyTransition,
} from './verify.js';
