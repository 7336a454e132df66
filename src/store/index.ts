// weft/store: a node's single LMDB environment — tree, blocks, transcript, checkpoints, statuses —
// and opening a durable domain node with crash recovery.

export type { Checkpoint, DurableNode, OpenNodeOptions, RecoveryReport } from './durableNode.js';
export {
  CHECKPOINT_STATE_BYTES_MAX,
  decodeCheckpoint,
  encodeCheckpoint,
  LmdbDomainStore,
  openDomainNode,
} from './durableNode.js';
export type { Db, NodeEnv } from './env.js';
export { hasNodeStore, NODE_STORE_FORMAT, openNodeEnv } from './env.js';
export type { EntryFault, TranscriptEntry } from './transcript.js';
export { checkEntry, encodeEntry, entryHash, readEntries } from './transcript.js';
export { LmdbTransferStore } from './transfers.js';
export type { StoreFault, StoreSummary, VerifyReport } from './verify.js';
export { inspectStore, verifyStore } from './verify.js';
