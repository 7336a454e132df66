// A scoped transaction as the scope layer runs it: a declaration, program calls and the signers
// the layer above verified. The body bytes are what a transaction's id commits to.
import {
  assertBytes,
  concatBytes,
  type PublicKey,
  Reader,
  sha256,
  utf8,
  WeftError,
  Writer,
} from '../crypto/index.js';
import type { Transaction } from '../tx/index.js';
import { type Declaration, readDeclaration, writeDeclaration } from './declaration.js';
import { CALL_INPUT_BYTES_MAX, CALLS_MAX, SCOPE_SIGNERS_MAX } from './limits.js';

/** One program call: which program, and its input bytes. */
export type Call = { program: Uint8Array; input: Uint8Array };

/** What the scope layer executes. `id` is the transaction's id; `signers` were verified over it. */
export type ScopeTx = {
  id: Uint8Array;
  declaration: Declaration;
  calls: Call[];
  signers: PublicKey[];
};

/** The scoped part of a body: declaration, then `list(calls, at most 16)` of `program 32 || bytes input`. */
export type ScopeBody = { declaration: Declaration; calls: Call[] };

export function checkCalls(calls: Call[]): void {
  if (!Array.isArray(calls)) throw new WeftError('BAD_INPUT', 'calls must be an array');
  if (calls.length > CALLS_MAX)
    throw new WeftError('CALLS_TOO_MANY', `at most ${CALLS_MAX} calls, got ${calls.length}`);
  for (const [i, c] of calls.entries()) {
    assertBytes(c?.program, 32, `calls[${i}].program`);
    assertBytes(c.input, undefined, `calls[${i}].input`);
    if (c.input.length > CALL_INPUT_BYTES_MAX) {
      throw new WeftError(
        'CALL_INPUT_TOO_LARGE',
        `call ${i} input is ${c.input.length} bytes, at most ${CALL_INPUT_BYTES_MAX}`,
      );
    }
  }
}

export function writeScopeBody(w: Writer, body: ScopeBody): void {
  checkCalls(body.calls);
  writeDeclaration(w, body.declaration);
  w.list(body.calls, CALLS_MAX, (w, c) => w.fixed(c.program, 32).bytes(c.input, CALL_INPUT_BYTES_MAX));
}

export function readScopeBody(r: Reader): ScopeBody {
  const declaration = readDeclaration(r);
  const calls = r.list(CALLS_MAX, (r) => ({
    program: r.fixed(32).slice(),
    input: r.bytes(CALL_INPUT_BYTES_MAX).slice(),
  }));
  return { declaration, calls };
}

export function encodeScopeBody(body: ScopeBody): Uint8Array {
  const w = new Writer(256);
  writeScopeBody(w, body);
  return w.finish();
}

export function decodeScopeBody(bytes: Uint8Array): ScopeBody {
  const r = new Reader(bytes);
  const body = readScopeBody(r);
  r.end();
  return body;
}

const SCOPE_TX_TAG = utf8('weft.scopetx');

/** A standalone id for a scoped body: SHA256("weft.scopetx" || body). Transactions use their own id. */
export function scopeBodyId(body: ScopeBody): Uint8Array {
  return sha256(concatBytes(SCOPE_TX_TAG, encodeScopeBody(body)));
}

/** A ScopeTx from a body and verified signers, with the standalone id. */
export function scopeTx(body: ScopeBody, signers: PublicKey[] = []): ScopeTx {
  if (signers.length > SCOPE_SIGNERS_MAX)
    throw new WeftError('BAD_INPUT', `at most ${SCOPE_SIGNERS_MAX} signers`);
  return { id: scopeBodyId(body), declaration: body.declaration, calls: body.calls, signers };
}

/**
 * The transaction with `body` as its scoped body (format 3), bound to `executor` (the DomainId of
 * the domain that runs it; by default the one the transaction already names). Sign it afterwards:
 * the id commits to the scope and the executor.
 *
 * @example const signed = signTransaction(withScope(tx, { declaration, calls }, domainId('alpha')), [alice]);
 */
export function withScope(
  tx: Transaction,
  body: ScopeBody,
  executor: Uint8Array | undefined = tx.executor,
): Transaction {
  if (executor === undefined)
    throw new WeftError('BAD_INPUT', 'a scoped transaction names its executor (format 3)');
  return { ...tx, executor, scope: encodeScopeBody(body) };
}

/**
 * What the scope layer executes for a transaction with a scoped body: its id, its declaration
 * and calls, and the keys that signed it (validation has verified every signature). Null for a
 * transaction without one. CODEC or a declaration rule's code for a malformed scoped body.
 */
export function scopeTxOf(tx: Transaction, id: Uint8Array): ScopeTx | null {
  if (tx.scope === undefined) return null;
  const body = decodeScopeBody(tx.scope);
  return {
    id,
    declaration: body.declaration,
    calls: body.calls,
    signers: tx.signatures.map((s) => s.publicKey),
  };
}
