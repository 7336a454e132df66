// weft/smt: the authenticated state tree — batch updates, versions, proofs, verification, stores.
export type {
  Write,
  HasherName,
  VerifyOptions,
  Terminal,
  Proof,
  MultiStep,
  MultiProof,
  TransitionProof,
  ApplyOptions,
  ApplyResult,
} from './types.js';
