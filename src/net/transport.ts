// The transport contract every implementation keeps (in-process bus, NATS JetStream).
import type { DomainId, Message } from './message.js';

export type MessageHandler = (msg: Message, from: DomainId) => void | Promise<void>;

/**
 * Moves messages between domains. The contract (docs/sync.md, "Transport"):
 * - `send` resolves once the transport has taken the message; delivery is asynchronous and
 *   never runs a handler inside `send`.
 * - Delivery is at most once per send, in no promised order; a message may be lost. Senders
 *   retry with the same `id`, receivers deduplicate by `id` (`Deduplicator`), so retries give
 *   exactly-once processing.
 * - `subscribe(self, handler)` delivers every message addressed to `self`; it returns a function
 *   that unsubscribes. A handler's error is the receiver's own problem: the transport counts it
 *   and goes on.
 * - `close` stops delivery and refuses further sends (TRANSPORT_CLOSED).
 */
export interface Transport {
  send(to: DomainId, msg: Message): Promise<void>;
  subscribe(self: DomainId, handler: MessageHandler): () => void;
  close(): Promise<void>;
}
