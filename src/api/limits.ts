// Bounds of the HTTP API: every request body, range, list, stream and label set has a named limit,
// so no request can make the node do or hold more than these allow.
import { TX_JSON_CHARS_MAX } from '../tx/index.js';

/**
 * Largest request body in bytes: a max-size transaction in its JSON form (the larger of its two
 * forms; hex alone doubles TX_BYTES_MAX), and so also a transfer plan carrying a move and a claim
 * as hex, with room for the envelope around either.
 */
export const API_BODY_BYTES_MAX = TX_JSON_CHARS_MAX + 64 * 1024;
/** Most heights one root-history request covers. */
export const ROOTS_RANGE_MAX = 1024;
/** Heights a root-history request returns when it names no range (the latest ones). */
export const ROOTS_RANGE_DEFAULT = 64;
/** Most transfers one list request returns. */
export const TRANSFERS_LIST_MAX = 1000;
/** Transfers a list request returns when it names no limit. */
export const TRANSFERS_LIST_DEFAULT = 100;
/** Event streams open at once; one more is refused with 503 TOO_MANY_STREAMS. */
export const SSE_CLIENTS_MAX = 64;
/** How often an idle event stream gets a heartbeat comment, by default. */
export const SSE_HEARTBEAT_MS_DEFAULT = 15_000;
/** Bytes an event stream may have waiting on a slow reader before the node drops that reader. */
export const SSE_BUFFER_BYTES_MAX = 1024 * 1024;
/** Distinct values of one metric label (e.g. rejection codes); the rest count under `other`. */
export const METRIC_LABEL_VALUES_MAX = 64;
/**
 * Longest path parameter the router matches; a longer one is no route (404 NOT_FOUND). Well
 * above every parameter's own limit, so a too-long id still reaches its schema (BAD_LENGTH).
 */
export const PATH_PARAM_CHARS_MAX = 256;
/** Time a client has to send a whole request. */
export const REQUEST_TIMEOUT_MS = 30_000;
