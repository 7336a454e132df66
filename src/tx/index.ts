// weft/tx: transactions (actions of consumed and created resources, app data, signatures),
// their canonical encoding and id, signing, JSON, and validateTransaction.

export type { BatchOutcome } from './batch.js';
export {
  BATCH_CHUNK_TXS,
  BATCH_CHUNKS_IN_FLIGHT_PER_THREAD,
  BATCH_TXS_MAX,
  preverifyBatch,
  validateBatch,
} from './batch.js';
export {
  decodeTransaction,
  decodeTransactionWithId,
  encodeTransaction,
  encodeTxBody,
  TX_FORMAT,
  TX_FORMAT_SCOPED,
  TX_FORMAT_V1,
  TX_ID_TAG,
  txFormat,
  txId,
  txIdOfBody,
  WITNESS_HAS_PATH,
  WITNESS_HAS_PROOF,
  WITNESS_HAS_REFUND,
  WITNESS_REFUND_BY_REFUSAL,
} from './encoding.js';
export { TxHashMemo } from './hashMemo.js';
export type {
  ActionJson,
  CommitmentProofJson,
  ConsumedJson,
  CreatedJson,
  RefundWitnessJson,
  RefusalRecordJson,
  TransactionJson,
  TxSignatureJson,
} from './json.js';
export { parseTransactionJson, TX_JSON_CHARS_MAX, transactionToJson } from './json.js';
export {
  ANCHOR_PATH_WITNESS_BYTES_MAX,
  COMMITMENT_PROOF_BYTES_MAX,
  REFUND_PROOF_BYTES_MAX,
  TX_ACTIONS_MAX,
  TX_APP_DATA_BYTES_MAX,
  TX_BYTES_MAX,
  TX_LABEL_BYTES_MAX,
  TX_RESOURCES_MAX,
  TX_SCOPE_BYTES_MAX,
  TX_SIGNATURES_MAX,
  TX_VALUE_BYTES_MAX,
} from './limits.js';
export type { MintParameters } from './mint.js';
export { mintTx } from './mint.js';
export { checkTransactionShape } from './shape.js';
export type { SignatureResults } from './signatures.js';
export {
  preverifySignatures,
  signatureChecks,
  signaturesWitness,
  signTransaction,
  verifyTransactionSignatures,
} from './signatures.js';
export {
  COMMITMENT_KEY_PREFIX,
  commitmentKey,
  decodeHeight,
  decodeRefusal,
  encodeHeight,
  encodeRefusal,
  HEIGHT_BYTES,
  NULLIFIER_KEY_PREFIX,
  nullifierKey,
  REFUSAL_KEY_PREFIX,
  REFUSAL_REASONS,
  REFUSAL_RECORD_BYTES,
  refusalKey,
} from './treeKeys.js';
export type {
  Action,
  CommitmentProof,
  Consumed,
  Created,
  RefundWitness,
  RefusalReason,
  RefusalRecord,
  Transaction,
  TxSignature,
} from './types.js';
export type {
  Refusal,
  RemoteHeaderFacts,
  ValidateOptions,
  ValidationContext,
  ValidTransaction,
} from './validate.js';
export { isDecidedByBody, refusalOf, validateTransaction } from './validate.js';
export {
  VAULT_TREE_DEPTH,
  vaultExpiredMarker,
  vaultPathProof,
  verifyVaultPath,
  verifyVaultProof,
} from './vaultPath.js';
