// weft/domain: a domain as a pure state machine (apply) with a thin runtime (Domain) around it:
// mempool, batches, signed blocks, anchors, key sets, and the committed and proven tips.

export {
  decodeBlock,
  decodeInput,
  decodeState,
  decodeStatus,
  encodeBlock,
  encodeInput,
  encodeState,
  encodeStatus,
} from './codec.js';
export type {
  BlockCommit,
  DomainEvents,
  DomainLimits,
  DomainOptions,
  DomainStore,
  PhaseName,
  ResumeOptions,
  StateProof,
  SubmitResult,
} from './domain.js';
export { Domain, treeVersionOf, valuesOf } from './domain.js';
export type { Header, SignedHeader } from './header.js';
export {
  decodeHeader,
  decodeSignedHeader,
  encodeHeader,
  encodeSignedHeader,
  HEADER_BYTES,
  HEADER_FORMAT,
  HEADER_SIGNATURE_BYTES,
  headerHash,
  readHeader,
  readSignedHeader,
  signHeader,
  txRoot,
  verifyHeaderSignatures,
  writeHeader,
  writeSignedHeader,
} from './header.js';
export type { KeySet, SignerSignature } from './keyset.js';
export {
  assertKeySet,
  decodeKeySet,
  encodeKeySet,
  KEYSET_KEYS_MAX,
  KEYSET_TREE_KEY,
  keySetChangeDigest,
  keySetsEqual,
  makeKeySet,
  meetsThreshold,
} from './keyset.js';
export type {
  Block,
  BlockPlan,
  DomainConfig,
  DomainEnv,
  DomainInput,
  DomainOutput,
  DomainState,
  Eviction,
  RecordedRemote,
  ReinitRemoteInput,
  RemoteHeaderEntry,
  TransitionResult,
  TxReads,
  TxStatus,
} from './transition.js';
export {
  ANCHOR_WINDOW_DEFAULT,
  apply,
  BATCH_TXS_MAX_DEFAULT,
  BLOCK_BATCHES_MAX_DEFAULT,
  checkInput,
  checkSeal,
  cloneState,
  genesis,
  genesisWrites,
  isAnchorAccepted,
  MEMPOOL_TTL_BLOCKS_DEFAULT,
  MEMPOOL_TXS_MAX_DEFAULT,
  nullifierConflicts,
  planBlock,
  REINIT_BY_BYTES_MAX,
  REMOTE_ROOTS_MAX_DEFAULT,
  remoteHeaderAt,
  remoteHeaderKey,
  remoteHeaders,
} from './transition.js';
