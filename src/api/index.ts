// weft/api: the HTTP API over a running node (createApi, fastify), its route table and OpenAPI
// document, the JSON forms it speaks, and its typed client (also alone as `weft/client`).

export type {
  ApiDriver,
  ApiGlobalRoot,
  ApiNetwork,
  ApiNode,
  ApiTransport,
  NetworkMember,
} from './apiNode.js';
export type {
  ApiEvent,
  AttestationResult,
  ClientOptions,
  GlobalRootInfo,
  Health,
  NodeInfo,
  PlanTransferViaParameters,
  RemoteInfo,
  RootEntry,
  RootInfo,
  TransferStatus,
} from './client.js';
export {
  CLIENT_TIMEOUT_MS_DEFAULT,
  EVENT_LINE_CHARS_MAX,
  PLAN_PROOFS_CONCURRENCY_DEFAULT,
  planTransfersVia,
  planTransferVia,
  WeftApiError,
  WeftClient,
} from './client.js';
export type { ErrorBody } from './errors.js';
export { httpStatusOf } from './errors.js';
export { SSE_RETRY_MS } from './events.js';
export { API_TOKEN_CHARS_MAX, API_TOKEN_CHARS_MIN, isLoopbackHost } from './guard.js';
export { jsonDepthExceeds } from './jsonDepth.js';
export {
  API_BODY_BYTES_MAX,
  CONNECTION_CHECK_MS,
  HEADERS_TIMEOUT_MS,
  JSON_DEPTH_MAX,
  METRIC_LABEL_VALUES_MAX,
  PATH_PARAM_CHARS_MAX,
  RATE_CLIENTS_MAX,
  READS_BATCH_MAX,
  REQUEST_TIMEOUT_MS,
  ROOTS_RANGE_DEFAULT,
  ROOTS_RANGE_MAX,
  SCHEMA_WARM_AFTER_MS,
  SSE_ANONYMOUS_MAX,
  SSE_ANONYMOUS_PER_CLIENT_MAX,
  SSE_BUFFER_BYTES_MAX,
  SSE_CLIENTS_MAX,
  SSE_HEARTBEAT_MS_DEFAULT,
  SSE_REPLAY_BYTES_MAX,
  SSE_REPLAY_FRAMES_MAX,
  SUBMIT_BURST_MAX,
  SUBMIT_RATE_PER_S,
  TRANSFERS_BATCH_MAX,
  TRANSFERS_LIST_DEFAULT,
  TRANSFERS_LIST_MAX,
} from './limits.js';
export {
  API_SECONDS_BUCKETS,
  METRICS_CONTENT_TYPE,
  NodeMetrics,
  SEAL_SECONDS_BUCKETS,
  SYNC_SECONDS_BUCKETS,
} from './metrics.js';
export { API_VERSION, openApiDocument } from './openapi.js';
export type { Route, RouteDoc } from './routes.js';
export type { EventType, JsonSchema } from './schemas.js';
export { EVENT_TYPES } from './schemas.js';
export type { ApiOptions, ListenOptions, LogLevel, WeftApi } from './server.js';
export { createApi, PROCESS_INSTANCE } from './server.js';
export type {
  BlockJson,
  HeaderJson,
  Json,
  KeySetJson,
  NullWhenAbsent,
  SignedHeaderJson,
  StateProofJson,
  TransferJson,
  TransferPlanJson,
  TransferWaitJson,
  TxStatusJson,
} from './wire.js';
export { planFromJson, planToJson } from './wire.js';
