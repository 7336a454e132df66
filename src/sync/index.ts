// weft/sync: root updates and their encoding, remote views, acceptance (three verification
// modes, one verdict: acceptance.ts), equivocation evidence, the global root with its inclusion
// proofs, and the knowledge graph. Pure functions over values; `SyncState` reads a domain's views,
// `LightClient` holds views for an observer that is not a domain.

// Anchor paths live with the domain state whose admission checks them; re-exported here with
// the knowledge graph they prove edges of.
export type {
  AnchorPath,
  AnchorPathContext,
  AnchorPolicy,
  InvalidBlockEvidence,
  PathHop,
  ProvenAnchor,
  RemoteFreeze,
} from '../domain/index.js';
export {
  ANCHOR_PATH_BYTES_MAX,
  ANCHOR_PATH_FORMAT,
  ANCHOR_PATH_HOPS_MAX,
  ANCHOR_POLICY_NONE,
  decodeAnchorPath,
  encodeAnchorPath,
  isAnchorProvenByPath,
  isViewExpired,
  PATH_HOP_HEADER_BYTES_MAX,
  PATH_HOP_PROOF_BYTES_MAX,
  TRUSTING_PERIOD_MS_DEFAULT,
  verifyAnchorPath,
} from '../domain/index.js';
export type {
  AcceptanceInput,
  AcceptanceVerdict,
  AcceptResult,
  RecordedFacts,
  SkipCode,
  SyncContext,
} from './acceptance.js';
export {
  acceptRootUpdate,
  acceptRootUpdates,
  decideAcceptance,
  decideVaultAcceptance,
  equivocationWith,
  InvalidUpdateError,
  invalidBlockEvidence,
  keySetAfter,
  learnedFrom,
  learnKeySet,
  vouchedRecords,
} from './acceptance.js';
export type { EquivocationEvidence } from './equivocation.js';
export {
  decodeEquivocationEvidence,
  EquivocationError,
  EVIDENCE_FORMAT,
  encodeEquivocationEvidence,
  equivocationEvidenceHash,
  forkHeight,
  makeEquivocationEvidence,
  readEquivocationEvidence,
  verifyEquivocation,
  writeEquivocationEvidence,
} from './equivocation.js';
export {
  type Exclusion,
  exclusionsOf,
  isClaim,
  openExclusions,
  ROOT_UPDATE_EXCLUSIONS_MAX,
} from './exclusions.js';
export type { BlockValidation, BlockValidationInput } from './full.js';
export { InvalidBlockError, validateBlockStateless } from './full.js';
export type { DomainProof, GlobalInclusionProof } from './global.js';
export {
  decodeGlobalInclusionProof,
  encodeGlobalInclusionProof,
  GLOBAL_PROOF_FORMAT,
  GLOBAL_UPDATE_ENTRIES_MAX,
  GlobalRoot,
  verifyGlobalInclusion,
} from './global.js';
export type { KnowledgeEdge, KnowledgeFact, KnowledgePath, KnowledgePolicy } from './knowledge.js';
export {
  describePath,
  KNOWLEDGE_DOMAINS_MAX,
  KNOWLEDGE_EXPANSIONS_MAX,
  KNOWLEDGE_INTERMEDIARIES_MAX,
  KNOWLEDGE_PATHS_MAX,
  KnowledgeGraph,
  observeAccepted,
  satisfies,
} from './knowledge.js';
export type { SyncEvents } from './lightClient.js';
export { LightClient, recordAccepted } from './lightClient.js';
export {
  RECENT_HEADERS_DEFAULT,
  RECENT_HEADERS_MAX,
  ROOT_UPDATE_BYTES_MAX,
  ROOT_UPDATE_TXS_MAX,
  ROOT_UPDATE_WRITES_MAX,
  SINGLE_PROOF_BYTES_MAX,
  SYNC_EVIDENCE_KEPT_MAX,
  SYNC_VIEWS_MAX,
  TRANSITION_BYTES_MAX,
  UPDATE_CHAIN_MAX,
} from './limits.js';
export { modeTrust, VERIFICATION_MODE_DEFAULT } from './modes.js';
export { PREVERIFY_CHAIN_MIN, preverifyHeaderChain } from './preverify.js';
export type { RemoteHeaderRecord } from './records.js';
export {
  decodeRemoteHeaderWrite,
  encodeRemoteHeaderRecord,
  isRemoteHeaderWrite,
  REMOTE_HEADER_KEY_BYTES,
  REMOTE_HEADER_KEY_PREFIX,
  REMOTE_HEADER_RECORD_BYTES,
  remoteHeaderRecords,
  remoteHeaderWrite,
} from './records.js';
export type { SyncStateOptions, ViewSource } from './registry.js';
export { SyncState } from './registry.js';
export type { HeaderRequest, SyncConfirmation, SyncInterest } from './requests.js';
export {
  answerHeaderRequest,
  decodeHeaderRequest,
  decodeSyncConfirmation,
  decodeSyncInterest,
  encodeHeaderRequest,
  encodeSyncConfirmation,
  encodeSyncInterest,
  HEADER_REQUEST_FORMAT,
  SYNC_CONFIRMATION_FORMAT,
  SYNC_INTEREST_FORMAT,
} from './requests.js';
export type { ObjectProver, ObjectWitness, ScopeWitness } from './scopes.js';
export {
  openScopeWitness,
  SCOPE_HISTORY_KEPT,
  SCOPE_WITNESS_OBJECTS_MAX,
  ScopeHistory,
  scopeWitnessOf,
} from './scopes.js';
export {
  decodeSignedHeader,
  encodeSignedHeader,
  HEADER_SIGNATURE_BYTES,
  readSignedHeader,
  writeSignedHeader,
} from './signedHeader.js';
export type { KeySetProof, RootUpdate, RootUpdateOptions } from './update.js';
export {
  decodeRootUpdate,
  encodeRootUpdate,
  KEYSET_BYTES_MAX,
  OBJECT_STATE_BYTES_MAX,
  ROOT_UPDATE_FORMAT,
  ROOT_UPDATE_FORMAT_BACKED,
  ROOT_UPDATE_FORMAT_SCOPED,
  ROOT_UPDATE_RECORDS_MAX,
  recordedHeaders,
  rootUpdateFromBlock,
} from './update.js';
export type { RecentHeader, RemoteView, TrustOptions, VerificationMode } from './view.js';
export {
  freezeView,
  isAnchorUsable,
  recentHeader,
  reinitializeView,
  signedByCurrentSet,
  trustRemote,
  usableHeader,
  VERIFICATION_MODES,
} from './view.js';
export type { OldTreeWitness, WitnessAnswer } from './witness.js';
export { openTransition, proveWrittenKey } from './witness.js';
