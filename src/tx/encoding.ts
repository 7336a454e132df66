// The canonical transaction encoding and the transaction id (docs/transactions.md).
// body = format || [executor] || actions || appData is what the id hashes; the encoding appends
// the witness (commitment proofs, refund witnesses) and the signatures.
import {
  concatBytes,
  Reader,
  readPublicKey,
  SIGNATURE_BYTES,
  sha256,
  utf8,
  WeftError,
  type WeftErrorCode,
  Writer,
  writePublicKey,
} from '../crypto/index.js';
import { readResource, writeResource } from '../resource/index.js';
import { decodeProof, encodedProofBytes, encodeProof } from '../smt/index.js';
import {
  ANCHOR_PATH_WITNESS_BYTES_MAX,
  COMMITMENT_PROOF_BYTES_MAX,
  REFUND_PROOF_BYTES_MAX,
  TX_ACTIONS_MAX,
  TX_APP_DATA_BYTES_MAX,
  TX_BYTES_MAX,
  TX_LABEL_BYTES_MAX,
  TX_RESOURCES_MAX,
  TX_SCOPE_BYTES_MAX,
  TX_SIGNATURES_MAX,
  TX_VALUE_BYTES_MAX,
} from './limits.js';
import { checkTransactionShape } from './shape.js';
import { decodeRefusal, encodeRefusal, REFUSAL_RECORD_BYTES } from './treeKeys.js';
import type { Action, Consumed, Created, Transaction, TxSignature } from './types.js';

/**
 * The encoding's version byte, first in the body (and so in the id's preimage). Format 2 binds the
 * executing domain and, per consumed resource, whether it is consumed as a refund; it is written
 * whenever `tx.executor` is set and there is no scope. Format 3 is format 2 plus a scoped body
 * after the app data (docs/scopes.md); a scoped transaction always names its executor. Format 1
 * (no executor, no refund flags, no scope) still decodes and keeps its id.
 */
export const TX_FORMAT = 0x02;
export const TX_FORMAT_V1 = 0x01;
/** The version byte of a body that carries a scoped body after the app data (format 2's fields first). */
export const TX_FORMAT_SCOPED = 0x03;
/** Domain separation for the id: txId = SHA256("weft.tx" || body). */
export const TX_ID_TAG = utf8('weft.tx');

function writeCreated(w: Writer, c: Created): void {
  writeResource(w, c.resource);
  w.bytes(c.value, TX_VALUE_BYTES_MAX).bytes(c.label, TX_LABEL_BYTES_MAX);
}

function writeConsumed(w: Writer, c: Consumed, format: number): void {
  writeCreated(w, c);
  w.fixed(c.nk, 32);
  if (format !== TX_FORMAT_V1) w.bool(c.isRefund === true);
}

/**
 * The format a transaction is written in: 3 when it carries a scoped body, 2 when it names its
 * executor, 1 otherwise.
 */
export function txFormat(tx: Transaction): number {
  if (tx.scope !== undefined) return TX_FORMAT_SCOPED;
  return tx.executor === undefined ? TX_FORMAT_V1 : TX_FORMAT;
}

/**
 * Writes the body without checking shape; callers have run checkTransactionShape. The body is
 * what the id commits to: actions and app data, but not the witness (commitment proofs and
 * signatures), so a domain can fill in proofs for a network transaction, or a relayer
 * re-anchor one, without invalidating a signature.
 */
export function writeTxBody(w: Writer, tx: Transaction): void {
  const format = txFormat(tx);
  w.u8(format);
  if (format !== TX_FORMAT_V1) w.fixed(tx.executor!, 32);
  w.list(tx.actions, TX_ACTIONS_MAX, (w, a: Action) => {
    w.list(a.consumed, TX_RESOURCES_MAX, (w, c: Consumed) => writeConsumed(w, c, format));
    w.list(a.created, TX_RESOURCES_MAX, writeCreated);
  });
  w.bytes(tx.appData, TX_APP_DATA_BYTES_MAX);
  if (tx.scope !== undefined) w.bytes(tx.scope, TX_SCOPE_BYTES_MAX);
}

/**
 * The witness flags byte of a consumed resource: bit 0 a commitment proof follows, bit 1 a refund
 * witness follows. Without a refund the byte is 0 or 1, the boolean it was before refunds existed,
 * so every earlier encoding is unchanged; any other bit is refused.
 */
export const WITNESS_HAS_PROOF = 0x01;
export const WITNESS_HAS_REFUND = 0x02;
/** Bit 2: the refund witness is by refusal; its record (reason u8, height u64) follows the proof. */
export const WITNESS_REFUND_BY_REFUSAL = 0x04;
/** Bit 3: the commitment proof's anchor is proven through a path; its bytes follow the proof. */
export const WITNESS_HAS_PATH = 0x08;
const WITNESS_FLAGS_KNOWN =
  WITNESS_HAS_PROOF | WITNESS_HAS_REFUND | WITNESS_REFUND_BY_REFUSAL | WITNESS_HAS_PATH;

/** Length of the proofs section of the encoding, without encoding it. */
export function encodedProofsBytes(tx: Transaction): number {
  let n = 0;
  for (const a of tx.actions) {
    for (const c of a.consumed) {
      const p = c.commitmentProof;
      n += 1 + (p === null ? 0 : 32 + 8 + 4 + encodedProofBytes(p.proof));
      if (p?.path !== undefined) n += 4 + p.path.length;
      if (c.refund)
        n += 8 + 4 + encodedProofBytes(c.refund.proof) + (c.refund.refusal ? REFUSAL_RECORD_BYTES : 0);
    }
  }
  return n;
}

/**
 * The witness, one entry per consumed resource in order: flags (u8), then the commitment proof
 * (anchor, height, proof) and the refund witness (height, proof) the flags announce.
 */
export function writeProofs(w: Writer, tx: Transaction): void {
  for (const a of tx.actions) {
    for (const c of a.consumed) {
      const p = c.commitmentProof;
      const refund = c.refund;
      w.u8(
        (p !== null ? WITNESS_HAS_PROOF : 0) |
          (refund ? WITNESS_HAS_REFUND : 0) |
          (refund?.refusal ? WITNESS_REFUND_BY_REFUSAL : 0) |
          (p?.path !== undefined ? WITNESS_HAS_PATH : 0),
      );
      if (p !== null)
        w.fixed(p.anchor, 32).u64(p.height).bytes(encodeProof(p.proof), COMMITMENT_PROOF_BYTES_MAX);
      if (p?.path !== undefined) w.bytes(p.path, ANCHOR_PATH_WITNESS_BYTES_MAX);
      if (refund) w.u64(refund.height).bytes(encodeProof(refund.proof), REFUND_PROOF_BYTES_MAX);
      if (refund?.refusal) w.fixed(encodeRefusal(refund.refusal), REFUSAL_RECORD_BYTES);
    }
  }
}

function writeSignatures(w: Writer, signatures: readonly TxSignature[]): void {
  // One tag per entry: the key's; the signature has the key's type (checked by shape).
  w.list(signatures, TX_SIGNATURES_MAX, (w, s) => {
    writePublicKey(w, s.publicKey);
    w.fixed(s.signature.bytes, SIGNATURE_BYTES);
  });
}

/** The body bytes the id hashes: format (u8) || actions || appData. */
export function encodeTxBody(tx: Transaction): Uint8Array {
  checkTransactionShape(tx);
  const w = new Writer(2048);
  writeTxBody(w, tx);
  return w.finish();
}

// A scratch writer for computing ids: tag || body, hashed in place. Encoding is synchronous and
// never re-enters itself, so one writer serves every call.
const idWriter = new Writer(4096);

/** The id and the body's length in bytes, without keeping the body. Callers check shape first. */
export function txIdAndBodyBytes(tx: Transaction): { id: Uint8Array; bodyBytes: number } {
  const w = idWriter.reset();
  w.fixed(TX_ID_TAG, TX_ID_TAG.length);
  writeTxBody(w, tx);
  return { id: sha256(w.written()), bodyBytes: w.length - TX_ID_TAG.length };
}

/** txId from body bytes already encoded. */
export function txIdOfBody(body: Uint8Array): Uint8Array {
  return sha256(concatBytes(TX_ID_TAG, body));
}

/**
 * The transaction id: SHA256("weft.tx" || body). It commits to every byte except the
 * signatures, which sign it.
 *
 * @example const id = txId(tx); const signed = signTransaction(tx, [alice]);
 */
export function txId(tx: Transaction): Uint8Array {
  checkTransactionShape(tx);
  return txIdAndBodyBytes(tx).id;
}

/**
 * Canonical encoding: body || witness (per consumed resource: flags, then anchor, height, proof
 * and refund height, proof as flagged) || signatures (u32 count, then tag || key || 64-byte
 * signature each).
 */
export function encodeTransaction(tx: Transaction): Uint8Array {
  checkTransactionShape(tx);
  const w = new Writer(2048);
  writeTxBody(w, tx);
  writeProofs(w, tx);
  writeSignatures(w, tx.signatures);
  const out = w.finish();
  if (out.length > TX_BYTES_MAX) {
    throw new WeftError(
      'TX_TOO_LARGE',
      `the transaction encodes to ${out.length} bytes; the limit is ${TX_BYTES_MAX}`,
    );
  }
  return out;
}

function readCount(r: Reader, max: number, code: WeftErrorCode, what: string): number {
  const n = r.u32();
  if (n > max) throw new WeftError(code, `${n} ${what}; the limit is ${max}`);
  if (n > r.remaining)
    throw new WeftError('CODEC', `the encoding claims ${n} ${what} but only ${r.remaining} bytes remain`);
  return n;
}

function readSized(r: Reader, max: number, code: WeftErrorCode, what: string): Uint8Array {
  const n = r.u32();
  if (n > max) throw new WeftError(code, `${what} is ${n} bytes; the limit is ${max}`);
  return r.fixed(n).slice();
}

function readCreated(r: Reader): Created {
  const resource = readResource(r);
  const value = readSized(r, TX_VALUE_BYTES_MAX, 'VALUE_TOO_LARGE', 'a value');
  const label = readSized(r, TX_LABEL_BYTES_MAX, 'LABEL_TOO_LARGE', 'a label');
  return { resource, value, label };
}

function readConsumed(r: Reader, format: number): Consumed {
  const { resource, value, label } = readCreated(r);
  const nk = r.fixed(32).slice();
  const c: Consumed = { resource, value, label, nk, commitmentProof: null };
  if (format !== TX_FORMAT_V1 && r.bool()) c.isRefund = true;
  return c;
}

/** Reads one consumed resource's witness into `c`. */
function readWitness(r: Reader, c: Consumed): void {
  const flags = r.u8();
  if ((flags & ~WITNESS_FLAGS_KNOWN) !== 0)
    throw new WeftError('CODEC', `unknown witness flags 0x${flags.toString(16)}`);
  if (flags & WITNESS_HAS_PROOF) {
    const anchor = r.fixed(32).slice();
    const height = r.u64();
    const proof = decodeProof(r.bytes(COMMITMENT_PROOF_BYTES_MAX));
    c.commitmentProof = { anchor, height, proof };
  }
  if (flags & WITNESS_HAS_PATH) {
    if (!c.commitmentProof) throw new WeftError('CODEC', 'an anchor path without a commitment proof');
    c.commitmentProof.path = readSized(r, ANCHOR_PATH_WITNESS_BYTES_MAX, 'CODEC', 'an anchor path');
  }
  if (flags & WITNESS_REFUND_BY_REFUSAL && !(flags & WITNESS_HAS_REFUND))
    throw new WeftError('CODEC', 'a refusal record without a refund witness');
  if (flags & WITNESS_HAS_REFUND) {
    const height = r.u64();
    c.refund = { height, proof: decodeProof(r.bytes(REFUND_PROOF_BYTES_MAX)) };
    if (flags & WITNESS_REFUND_BY_REFUSAL) c.refund.refusal = decodeRefusal(r.fixed(REFUSAL_RECORD_BYTES));
  }
}

/** The scoped body of a format 3 body: a length past the input is a truncation (CODEC) first. */
function readScope(r: Reader): Uint8Array {
  const n = r.u32();
  if (n > r.remaining)
    throw new WeftError('CODEC', `a scoped body claims ${n} bytes but only ${r.remaining} remain`);
  if (n > TX_SCOPE_BYTES_MAX) {
    throw new WeftError(
      'TX_SCOPE_TOO_LARGE',
      `a scoped body is ${n} bytes; the limit is ${TX_SCOPE_BYTES_MAX}`,
    );
  }
  return r.fixed(n).slice();
}

/**
 * Decodes a canonical encoding. Strict: throws CODEC on truncation, trailing bytes or any
 * non-canonical byte, the limit's own code (TX_TOO_LARGE, TX_TOO_MANY_ACTIONS, ...) when a count
 * or size is over its limit, and TX_MALFORMED for a shape the encoder refuses. Returns the
 * transaction and its id.
 */
export function decodeTransactionWithId(bytes: Uint8Array): { tx: Transaction; id: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new WeftError('CODEC', 'expected bytes to decode');
  if (bytes.length > TX_BYTES_MAX) {
    throw new WeftError(
      'TX_TOO_LARGE',
      `the transaction is ${bytes.length} bytes; the limit is ${TX_BYTES_MAX}`,
    );
  }
  const r = new Reader(bytes);
  const format = r.u8();
  if (format !== TX_FORMAT && format !== TX_FORMAT_V1 && format !== TX_FORMAT_SCOPED)
    throw new WeftError('CODEC', `unknown transaction format ${format}`);
  const executor = format !== TX_FORMAT_V1 ? r.fixed(32).slice() : undefined;
  const actionCount = readCount(r, TX_ACTIONS_MAX, 'TX_TOO_MANY_ACTIONS', 'actions');
  const actions: Action[] = [];
  let resources = 0;
  for (let a = 0; a < actionCount; a++) {
    const consumedCount = readCount(r, TX_RESOURCES_MAX - resources, 'TX_TOO_MANY_RESOURCES', 'resources');
    resources += consumedCount;
    const consumed: Consumed[] = [];
    for (let i = 0; i < consumedCount; i++) consumed.push(readConsumed(r, format));
    const createdCount = readCount(r, TX_RESOURCES_MAX - resources, 'TX_TOO_MANY_RESOURCES', 'resources');
    resources += createdCount;
    const created: Created[] = [];
    for (let i = 0; i < createdCount; i++) created.push(readCreated(r));
    actions.push({ consumed, created });
  }
  const appData = readSized(r, TX_APP_DATA_BYTES_MAX, 'TX_APP_DATA_TOO_LARGE', 'app data');
  const scope = format === TX_FORMAT_SCOPED ? readScope(r) : undefined;
  // An empty scope would be a second encoding of the same meaning as format 2.
  if (scope !== undefined && scope.length === 0)
    throw new WeftError('CODEC', 'a format 3 body carries a non-empty scope');
  const bodyEnd = r.offset;
  for (const a of actions) for (const c of a.consumed) readWitness(r, c);
  const signatureCount = readCount(r, TX_SIGNATURES_MAX, 'TX_TOO_MANY_SIGNATURES', 'signatures');
  const signatures: TxSignature[] = [];
  for (let i = 0; i < signatureCount; i++) {
    const publicKey = readPublicKey(r);
    signatures.push({
      publicKey,
      signature: { type: publicKey.type, bytes: r.fixed(SIGNATURE_BYTES).slice() },
    });
  }
  r.end();
  const tx: Transaction = { actions, appData, signatures };
  if (executor !== undefined) tx.executor = executor;
  if (scope !== undefined) tx.scope = scope;
  // What the encoder refuses (no action and no scope, an empty action, signatures out of order or
  // twice for a key, a proof on an ephemeral resource, a scope without an executor) has no
  // canonical encoding: refused here too, with the encoder's code, so every decoded transaction
  // re-encodes to the bytes it came from.
  checkTransactionShape(tx);
  return { tx, id: txIdOfBody(bytes.subarray(0, bodyEnd)) };
}

/** decodeTransactionWithId without the id. */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  return decodeTransactionWithId(bytes).tx;
}
