// weft/net: the transport contract, its messages (kind, dedup id, canonical body), the
// in-process bus with seeded fault injection, the NATS JetStream transport (and a local
// nats-server for it), and the receivers' deduplicator.

export type { BusFaults, BusStats, InProcessBusOptions } from './bus.js';
export { ANONYMOUS, BUS_DELAY_MS_MAX, BUS_IN_FLIGHT_DEFAULT, InProcessBus } from './bus.js';
export { DEDUP_IDS_DEFAULT, DEDUP_IDS_MAX, Deduplicator } from './dedup.js';
export type { DomainId, Message, MessageKind } from './message.js';
export {
  assertMessage,
  decodeMessage,
  encodeMessage,
  MESSAGE_BODY_BYTES_MAX,
  MESSAGE_FORMAT,
  MESSAGE_ID_BYTES_MAX,
  MESSAGE_KINDS,
  STOCK_PAYLOAD_BODY_BYTES_MAX,
} from './message.js';
export type { NatsAuth, NatsStats, NatsTransportOptions } from './nats.js';
export {
  NATS_ACK_PENDING_MAX,
  NATS_ACK_WAIT_MS_DEFAULT,
  NATS_CLOSE_FLUSH_MS,
  NATS_DEDUP_WINDOW_MS_DEFAULT,
  NATS_DELIVERIES_MAX_DEFAULT,
  NATS_DRAIN_WINDOW,
  NATS_FROM_HEADER,
  NATS_OUTBOX_BYTES_MAX_DEFAULT,
  NATS_OUTBOX_MESSAGES_MAX_DEFAULT,
  NATS_PUBLISH_TIMEOUT_MS_DEFAULT,
  NATS_PULL_BATCH_DEFAULT,
  NATS_PULL_EXPIRES_MS,
  NATS_PULL_PAYLOADS_MAX,
  NATS_RECONNECT_WAIT_MS_DEFAULT,
  NATS_RETRY_MS_MAX,
  NATS_STREAM_DEFAULT,
  NATS_STREAM_MAX_AGE_MS_DEFAULT,
  NATS_STREAM_MAX_BYTES_DEFAULT,
  NATS_SUBJECT_PREFIX_DEFAULT,
  NatsTransport,
} from './nats.js';
export type { NatsServer, NatsServerUser, StartNatsServerOptions } from './natsServer.js';
export {
  findNatsServer,
  freePort,
  NATS_SERVER_MAX_PAYLOAD_BYTES,
  NATS_SERVER_MAX_PAYLOAD_LIMIT_BYTES,
  NATS_SERVER_START_TIMEOUT_MS,
  NATS_SERVER_STOP_TIMEOUT_MS,
  natsNodePermissions,
  natsServerConfigFile,
  startNatsServer,
} from './natsServer.js';
export type { Prng } from './prng.js';
export { seededPrng } from './prng.js';
export type { MessageHandler, Transport } from './transport.js';
