// Signatures over the transaction id: adding them, and checking them either inline (sync) or
// ahead of validation on a worker pool. Validation itself never waits: a pool's answers come
// in as `SignatureResults`, consulted at the same step inline checks would run, so the outcome
// and the error code are the same either way.
import {
  compareBytes,
  encodePublicKey,
  equalBytes,
  KEY_TYPE_TAG,
  type KeyPair,
  type SignatureCheck,
  type SignatureVerifierPool,
  sha256,
  sign,
  verifySignature,
  WeftError,
} from '../crypto/index.js';
import { txId, txIdAndBodyBytes } from './encoding.js';
import type { TxHashMemo } from './hashMemo.js';
import type { Transaction, TxSignature } from './types.js';

/**
 * Per-signature answers for one transaction: `valid[i]` answers `tx.signatures[i]` over `txId`.
 * `witness` hashes the signature list the answers were computed for, so answers can never be
 * applied to other signatures under the same id.
 */
export type SignatureResults = { txId: Uint8Array; witness: Uint8Array; valid: readonly boolean[] };

/** SHA256 of the signature list (each: tag || key || signature), binding results to it. */
export function signaturesWitness(tx: Transaction): Uint8Array {
  let size = 0;
  for (const s of tx.signatures) size += 1 + s.publicKey.bytes.length + s.signature.bytes.length;
  const input = new Uint8Array(size);
  let p = 0;
  for (const s of tx.signatures) {
    input[p] = KEY_TYPE_TAG[s.publicKey.type];
    input.set(s.publicKey.bytes, p + 1);
    p += 1 + s.publicKey.bytes.length;
    input.set(s.signature.bytes, p);
    p += s.signature.bytes.length;
  }
  return sha256(input);
}

/**
 * Signs the transaction id with each key pair and returns the transaction with the new
 * signatures merged in (sorted by encoded public key; a key's new signature replaces its old).
 *
 * @example const signed = signTransaction(tx, [alice, issuer]);
 */
export function signTransaction(tx: Transaction, keyPairs: readonly KeyPair[]): Transaction {
  const id = txId(tx);
  const byKey = new Map<string, TxSignature>();
  for (const s of tx.signatures) byKey.set(Buffer.from(encodePublicKey(s.publicKey)).toString('hex'), s);
  for (const kp of keyPairs) {
    byKey.set(Buffer.from(encodePublicKey(kp.publicKey)).toString('hex'), {
      publicKey: kp.publicKey,
      signature: sign(kp, id),
    });
  }
  const signatures = [...byKey.values()].sort((a, b) =>
    compareBytes(encodePublicKey(a.publicKey), encodePublicKey(b.publicKey)),
  );
  return { ...tx, signatures };
}

/** The checks a transaction's signatures need, for a verifier pool. */
export function signatureChecks(tx: Transaction, id: Uint8Array = txId(tx)): SignatureCheck[] {
  return tx.signatures.map((s) => ({ publicKey: s.publicKey, message: id, signature: s.signature }));
}

/** Checks every signature inline (node:crypto). */
export function verifyTransactionSignatures(tx: Transaction, id: Uint8Array = txId(tx)): SignatureResults {
  return {
    txId: id,
    witness: signaturesWitness(tx),
    valid: tx.signatures.map((s) => verifySignature(s.publicKey, id, s.signature)),
  };
}

/**
 * Checks the signatures of many transactions on a worker pool in one batch; pass each result
 * to validateTransaction as `signatureResults`. Shape is not checked here (validation checks it
 * before it would consult the answers); a transaction that cannot even be encoded gets none.
 * With `hashes` (a memo the caller's admission created, never one a submitter supplies), each id
 * and signature witness is derived into it, so validation given the same memo does not derive
 * them again.
 */
export async function preverifySignatures(
  txs: readonly Transaction[],
  pool: SignatureVerifierPool,
  hashes?: TxHashMemo,
): Promise<(SignatureResults | undefined)[]> {
  const ids: (Uint8Array | undefined)[] = [];
  const checks: SignatureCheck[] = [];
  for (const tx of txs) {
    // No shape check here: validation runs it first and refuses a malformed transaction
    // before it would consult these answers; a tx that cannot even be written gets none.
    let id: Uint8Array | undefined;
    try {
      id = hashes ? hashes.idAndBodyBytes(tx).id : txIdAndBodyBytes(tx).id;
    } catch {
      id = undefined;
    }
    ids.push(id);
    if (id !== undefined) checks.push(...signatureChecks(tx, id));
  }
  const answers = await pool.verify(checks);
  let next = 0;
  return txs.map((tx, i) => {
    const id = ids[i];
    if (id === undefined) return undefined;
    const valid = answers.slice(next, next + tx.signatures.length);
    next += tx.signatures.length;
    return { txId: id, witness: hashes ? hashes.witness(tx) : signaturesWitness(tx), valid };
  });
}

/** Internal: the answer for signature `i`, from given results or computed now. */
export function signatureAnswer(
  tx: Transaction,
  id: Uint8Array,
  i: number,
  results: SignatureResults | undefined,
): boolean {
  if (results === undefined) {
    const s = tx.signatures[i]!;
    return verifySignature(s.publicKey, id, s.signature);
  }
  return results.valid[i] === true;
}

/**
 * Throws unless `results` were computed for this transaction id and signature count, and for its
 * signature list: `witness` is `signaturesWitness(tx)`, computed here unless the caller derived
 * it from the same object (a memo of its own admission).
 */
export function assertResultsFor(
  tx: Transaction,
  id: Uint8Array,
  results: SignatureResults,
  witness?: Uint8Array,
): void {
  if (
    !equalBytes(results.txId, id) ||
    results.valid.length !== tx.signatures.length ||
    !equalBytes(results.witness, witness ?? signaturesWitness(tx))
  ) {
    throw new WeftError('BAD_INPUT', 'the signature results given were computed for another transaction');
  }
}
