// Every bound the sync layer holds messages and state to, by name (docs/sync.md).
import { CODEC_LENGTH_MAX } from '../crypto/index.js';
import { BATCH_WRITES_MAX } from '../smt/index.js';

/** Most transactions one root update may carry (a block of M batches of N). */
export const ROOT_UPDATE_TXS_MAX = 16_384;
/** Most tree writes one root update may carry. */
export const ROOT_UPDATE_WRITES_MAX = BATCH_WRITES_MAX;
/** Largest encoded transition proof inside a root update. */
export const TRANSITION_BYTES_MAX = CODEC_LENGTH_MAX;
/**
 * Largest encoded root update as a whole (header, writes, transition, transactions): what one
 * transport message can carry and a length prefix may claim (CODEC_LENGTH_MAX, 16 MiB, about
 * 11,000 one-in/one-out transfers with their transactions).
 */
export const ROOT_UPDATE_BYTES_MAX = CODEC_LENGTH_MAX;
/** Most updates one gap-filling chain may hold. */
export const UPDATE_CHAIN_MAX = 1024;
/** Largest encoded single-key proof: kind, u16 depth, 32-byte bitmap, 256 siblings, leaf terminal. */
export const SINGLE_PROOF_BYTES_MAX = 1 + 2 + 32 + 256 * 32 + 1 + 64;
/** Default number of a remote domain's latest headers a view remembers. */
export const RECENT_HEADERS_DEFAULT = 256;
/** Most headers a view may be asked to remember. */
export const RECENT_HEADERS_MAX = 65_536;
/** Most remote domains one registry (SyncState) follows. */
export const SYNC_VIEWS_MAX = 4096;
/** Most answered equivocations a registry keeps per domain after re-initialising its view (oldest dropped). */
export const SYNC_EVIDENCE_KEPT_MAX = 64;
