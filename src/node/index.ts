// weft/node: running domains — connected over a transport by the sync router (router.ts), and
// a durable node with its timers (host.ts).

export {
  CLAIMS_FORMAT,
  CLAIMS_MESSAGE_BYTES_MAX,
  CLAIMS_PER_MESSAGE_MAX,
  decodeClaims,
  encodeClaims,
} from './claims.js';
export type { BlockFacts, ClaimFact, RefusalFact } from './facts.js';
export {
  blockFactsFor,
  decodeBlockFacts,
  encodeBlockFacts,
  FACT_PROOF_BYTES_MAX,
  FACT_VALUE_BYTES_MAX,
  FACTS_MESSAGE_BYTES_MAX,
  FACTS_PENDING_MAX,
  FACTS_PER_MESSAGE_MAX,
  verifyBlockFacts,
} from './facts.js';
export type { NodeHostOptions, ReinitReport } from './host.js';
export {
  BLOCK_INTERVAL_MIN_MS_DEFAULT,
  BLOCK_INTERVAL_MS_DEFAULT,
  DRIVER_TICK_MS_DEFAULT,
  HEARTBEAT_MS_DEFAULT,
  NODE_ANNOUNCE_EVERY_MS_DEFAULT,
  NodeHost,
} from './host.js';
export type { NetworkFile, NetworkMember } from './networkFile.js';
export {
  alwaysFollowedOf,
  formatNetworkFile,
  NETWORK_DOMAINS_MAX,
  NETWORK_FILE_VERSION,
  parseNetworkFile,
  peersOf,
  readNetworkFile,
} from './networkFile.js';
export type { OwnHeaders, PeerFactStats, PeerReads } from './peerDomain.js';
export {
  CLAIM_RESEND_EPOCH_MS,
  CONFIRMED_ANCHOR_DEPTH,
  FACTS_KEPT_MAX,
  FACTS_WAIT_MS,
  PEER_READ_CACHE_MAX,
  PEER_READ_CACHE_MS,
  PeerDomain,
} from './peerDomain.js';
export type { FollowPolicy, Peer, SyncRouterEvents, SyncRouterOptions } from './router.js';
export {
  ANNOUNCE_EVERY_MS_DEFAULT,
  HEADER_CHAIN_MAX,
  INTEREST_REFRESH_ROUNDS,
  SyncRouter,
} from './router.js';
export type { EvmFollowOptions } from './vaultWatch.js';
export { VAULT_POLL_MS_DEFAULT, VaultWatch } from './vaultWatch.js';
