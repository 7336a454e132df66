// Every limit a transaction is held to, by name. Each has its own error code (docs/transactions.md).
import { LABEL_BYTES_MAX, VALUE_BYTES_MAX } from '../resource/index.js';

/** Most actions in one transaction (TX_TOO_MANY_ACTIONS). */
export const TX_ACTIONS_MAX = 16;
/** Most resources, consumed plus created over all actions (TX_TOO_MANY_RESOURCES). */
export const TX_RESOURCES_MAX = 64;
/** Most app-data bytes (TX_APP_DATA_TOO_LARGE). */
export const TX_APP_DATA_BYTES_MAX = 64 * 1024;
/** Most signatures (TX_TOO_MANY_SIGNATURES). */
export const TX_SIGNATURES_MAX = 32;
/**
 * Largest scoped body (TX_SCOPE_TOO_LARGE): a declaration of 64 entries (4,757 bytes) and 16
 * calls of 16 KiB input each (262,724 bytes), rounded up to 272 KiB.
 */
export const TX_SCOPE_BYTES_MAX = 272 * 1024;
/** Largest canonical encoding of a whole transaction (TX_TOO_LARGE). */
export const TX_BYTES_MAX = 512 * 1024;
/** Largest encoded commitment proof: kind, u16 depth, 32-byte bitmap, 256 siblings, leaf terminal. */
export const COMMITMENT_PROOF_BYTES_MAX = 1 + 2 + 32 + 256 * 32 + 1 + 64;
/** Largest encoded refund proof (an absence proof): the same bound as any single proof. */
export const REFUND_PROOF_BYTES_MAX = COMMITMENT_PROOF_BYTES_MAX;
/** Largest value and label preimages (VALUE_TOO_LARGE, LABEL_TOO_LARGE). */
export const TX_VALUE_BYTES_MAX = VALUE_BYTES_MAX;
export const TX_LABEL_BYTES_MAX = LABEL_BYTES_MAX;
/**
 * Most bytes of an anchor path in a witness (weft/domain `encodeAnchorPath`): at most 8 hops,
 * each a header and a proof of at most COMMITMENT_PROOF_BYTES_MAX, with room to spare.
 */
export const ANCHOR_PATH_WITNESS_BYTES_MAX = 80 * 1024;
