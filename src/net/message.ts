// Transport messages: a kind, a dedup id and canonical bytes the transport never interprets.
import { CODEC_LENGTH_MAX, check, decodeAll, utf8, WeftError, Writer } from '../crypto/index.js';

export type DomainId = Uint8Array;

export const MESSAGE_KINDS = [
  'rootUpdate',
  'headerRequest',
  'headerResponse',
  'confirmation',
  'transfer',
  // a prover's signed attestation of the sender's block (docs/provers.md, "Across domains")
  'attestation',
  // "I follow you: send me your root updates" (SyncInterest, docs/sync.md "Who follows whom")
  'interest',
  // a block's claim and refusal facts for one follower, proven under its root (docs/sync.md, "Facts")
  'facts',
  // claims for the receiver sent together, each decoded and submitted on its own (docs/transfers.md, "Claims in one message")
  'transfers',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** `id` names the message for deduplication (a resend keeps its id); `body` is canonical bytes. */
export type Message = { kind: MessageKind; id: string; body: Uint8Array };

/** Longest message id, in UTF-8 bytes. */
export const MESSAGE_ID_BYTES_MAX = 256;
/** Largest message body: what a length prefix may claim (CODEC_LENGTH_MAX, 16 MiB; a root update fits). */
export const MESSAGE_BODY_BYTES_MAX = CODEC_LENGTH_MAX;
/**
 * A body that fits a NATS server's default max_payload (1 MiB) with room for the transport's
 * headers, bytes: what the messages a node sends often and can split at will (claims, facts) keep
 * under, so they publish on a stock server too.
 */
export const STOCK_PAYLOAD_BODY_BYTES_MAX = 768 * 1024;
export const MESSAGE_FORMAT = 0x01;

/** Throws BAD_MESSAGE unless `msg` is a well-formed message within the limits. */
export function assertMessage(msg: Message): void {
  const ok =
    msg &&
    typeof msg === 'object' &&
    (MESSAGE_KINDS as readonly string[]).includes(msg.kind) &&
    typeof msg.id === 'string' &&
    msg.id.length > 0 &&
    utf8(msg.id).length <= MESSAGE_ID_BYTES_MAX &&
    msg.body instanceof Uint8Array &&
    msg.body.length <= MESSAGE_BODY_BYTES_MAX;
  if (!ok) {
    throw new WeftError(
      'BAD_MESSAGE',
      `a message needs a kind (${MESSAGE_KINDS.join(', ')}), an id of 1..${MESSAGE_ID_BYTES_MAX} bytes and a body of at most ${MESSAGE_BODY_BYTES_MAX} bytes`,
    );
  }
}

/** u8 format || u8 kind index || id bytes || body bytes: for transports that carry raw bytes. */
export function encodeMessage(msg: Message): Uint8Array {
  assertMessage(msg);
  return new Writer(16 + msg.body.length)
    .u8(MESSAGE_FORMAT)
    .u8(MESSAGE_KINDS.indexOf(msg.kind))
    .bytes(utf8(msg.id), MESSAGE_ID_BYTES_MAX)
    .bytes(msg.body, MESSAGE_BODY_BYTES_MAX)
    .finish();
}

export function decodeMessage(bytes: Uint8Array): Message {
  return decodeAll(bytes, (r) => {
    const format = r.u8();
    check(format === MESSAGE_FORMAT, 'CODEC', `unknown message format ${format}`);
    const k = r.u8();
    const kind = MESSAGE_KINDS[k];
    check(kind !== undefined, 'CODEC', `unknown message kind ${k}`);
    const id = r.text(MESSAGE_ID_BYTES_MAX);
    check(id.length > 0, 'CODEC', 'message id is empty');
    return { kind, id, body: r.bytes(MESSAGE_BODY_BYTES_MAX).slice() };
  });
}
