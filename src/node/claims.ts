// Claims in one message (docs/transfers.md, "Claims in one message"): a source node's driver sends
// the claims it submits to one destination in the same turn of the event loop as one `transfers`
// message instead of one `transfer` message each. The message is only a carrier: each item is a
// claim transaction's canonical bytes, decoded and submitted on its own at the destination, so a
// bad item is dropped and the others still land; the domain refuses a copy of a claim it already
// holds or included, so a redelivered batch (or a claim sent again in another batch) lands once.
import { check, decodeAll, Writer } from '../crypto/index.js';
import { STOCK_PAYLOAD_BODY_BYTES_MAX } from '../net/index.js';
import { TX_BYTES_MAX } from '../tx/index.js';

/** Most claims one `transfers` message carries; more go in the next message. */
export const CLAIMS_PER_MESSAGE_MAX = 256;
/**
 * Largest `transfers` message body, bytes: under NATS's default max_payload with room for the
 * headers (STOCK_PAYLOAD_BODY_BYTES_MAX). A claim alone is at most TX_BYTES_MAX (512 KiB), so one
 * always fits.
 */
export const CLAIMS_MESSAGE_BYTES_MAX = STOCK_PAYLOAD_BODY_BYTES_MAX;
/** Bytes a claim adds to a `transfers` body besides its own: its length prefix. */
export const CLAIM_FRAMING_BYTES = 4;
/** Bytes of a `transfers` body besides its claims: the format byte and the count. */
export const CLAIMS_HEADER_BYTES = 1 + 4;
export const CLAIMS_FORMAT = 0x01;

/**
 * `u8 format || u32 n || n × (u32 length || claim bytes)`. BAD_INPUT past CLAIMS_PER_MESSAGE_MAX
 * claims or CLAIMS_MESSAGE_BYTES_MAX bytes (the sender splits before that).
 */
export function encodeClaims(claims: readonly Uint8Array[]): Uint8Array {
  check(
    claims.length <= CLAIMS_PER_MESSAGE_MAX,
    'BAD_INPUT',
    `at most ${CLAIMS_PER_MESSAGE_MAX} claims a message`,
  );
  let size = CLAIMS_HEADER_BYTES;
  for (const c of claims) size += CLAIM_FRAMING_BYTES + c.length;
  check(
    size <= CLAIMS_MESSAGE_BYTES_MAX,
    'BAD_INPUT',
    `a transfers message is at most ${CLAIMS_MESSAGE_BYTES_MAX} bytes`,
  );
  return new Writer(size)
    .u8(CLAIMS_FORMAT)
    .list(claims, CLAIMS_PER_MESSAGE_MAX, (w, c) => w.bytes(c, TX_BYTES_MAX))
    .finish();
}

/**
 * The claims' bytes, each still to be decoded on its own. CODEC when the framing itself is bad
 * (format, count, a length past the body or TX_BYTES_MAX, trailing bytes): then no item is trusted.
 */
export function decodeClaims(body: Uint8Array): Uint8Array[] {
  check(
    body.length <= CLAIMS_MESSAGE_BYTES_MAX,
    'CODEC',
    `a transfers message is at most ${CLAIMS_MESSAGE_BYTES_MAX} bytes`,
  );
  return decodeAll(body, (r) => {
    const format = r.u8();
    check(format === CLAIMS_FORMAT, 'CODEC', `unknown transfers format ${format}`);
    return r.list(CLAIMS_PER_MESSAGE_MAX, (r) => r.bytes(TX_BYTES_MAX).slice());
  });
}
