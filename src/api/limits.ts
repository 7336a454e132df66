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
/**
 * Most transfers one batch start request (`POST /v1/transfers/batch`) carries. Each counts as
 * one state-changing request of the rate limit (SUBMIT_RATE_PER_S), and the whole body stays
 * within API_BODY_BYTES_MAX.
 */
export const TRANSFERS_BATCH_MAX = 256;
/** Transfers a list request returns when it names no limit. */
export const TRANSFERS_LIST_DEFAULT = 100;
/**
 * Most ids or nullifiers one batched read names (`GET /v1/txs?ids=`, `GET /v1/proofs/nullifiers?nfs=`,
 * `GET /v1/proofs/refusals?nfs=`): 128 hex ids keep the URL under 9 kB.
 */
export const READS_BATCH_MAX = 128;
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
/**
 * Time a client has to send a whole request (headers and body); also how long a connection may
 * stay idle. Node checks its timers every CONNECTION_CHECK_MS, so a late client is cut off
 * within REQUEST_TIMEOUT_MS + CONNECTION_CHECK_MS.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Time a client has to send a request's headers (at most REQUEST_TIMEOUT_MS). */
export const HEADERS_TIMEOUT_MS = 30_000;
/** How often node's HTTP server looks for connections past their timeouts (its default is 30 s). */
export const CONNECTION_CHECK_MS = 1_000;
/**
 * Time (ms) after `listen` at which the API starts compiling the route schemas no request has
 * needed yet, one route at a time between requests: later than a restarted node's first answers,
 * earlier than its first burst of work (src/api/server.ts, `warmSchemas`).
 */
export const SCHEMA_WARM_AFTER_MS = 1_000;
/** Deepest nesting of arrays and objects a JSON body may have; checked before it is parsed. */
export const JSON_DEPTH_MAX = 64;
/** State-changing requests (submissions, transfers, re-initialisations) one client may make per second, sustained. */
export const SUBMIT_RATE_PER_S = 1_000;
/** State-changing requests one client may make at once after being idle (its bucket's size). */
export const SUBMIT_BURST_MAX = 2_000;
/** Clients whose request rate is remembered; the least recently seen is forgotten beyond it. */
export const RATE_CLIENTS_MAX = 10_000;
/** Event streams one client without the API token may hold (by its address). */
export const SSE_ANONYMOUS_PER_CLIENT_MAX = 8;
/** Event streams all clients without the API token may hold; the rest of SSE_CLIENTS_MAX is for token holders. */
export const SSE_ANONYMOUS_MAX = 48;
/**
 * Event-stream frames a node keeps for readers that reconnect (`Last-Event-ID`): the newest ones,
 * in frames. Kept from the first stream opened on; a reader further behind gets a `reset` event.
 */
export const SSE_REPLAY_FRAMES_MAX = 4096;
/** Bytes of the kept frames, at most (half of SSE_BUFFER_BYTES_MAX, so a full replay never drops its reader). */
export const SSE_REPLAY_BYTES_MAX = 512 * 1024;
