// weft/net: the transport contract, its messages (kind, dedup id, canonical body), the
// in-process bus with seeded fault injection, and the receivers' deduplicator.

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
} from './message.js';
export type { Prng } from './prng.js';
export { seededPrng } from './prng.js';
export type { MessageHandler, Transport } from './transport.js';
