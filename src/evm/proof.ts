// The proof bytes the EVM verifier (contracts/WeftProof.sol) reads. They are the canonical
// single-proof encoding of docs/proofs.md, so one encoding serves Weft nodes and the chain.
import { encodeProof, type Proof } from '../smt/index.js';

/**
 * The EVM encoding of a `weft/smt` single-key proof: `u8 kind (1) ‖ u16 depth ‖ bitmap
 * (ceil(depth/8) bytes) ‖ siblings (32 bytes each, top first) ‖ u8 terminal (0 member, 1 empty,
 * 2 leaf) ‖ [keyHash' ‖ valueHash']`, identical to `encodeProof`. Throws CODEC for a proof that
 * has no encoding (depth over 256, bitmap and siblings that disagree).
 *
 * @example
 * const proof = await smt.prove(key);
 * await lightClient.read.verifyMembership([domainId, height, toHex(key), toHex(value), toHex(encodeProofForEvm(proof))]);
 */
export function encodeProofForEvm(proof: Proof): Uint8Array {
  return encodeProof(proof);
}
