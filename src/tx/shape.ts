// Structural checks on a transaction object: types, lengths, limits, the ephemeral/proof rule,
// the shape of refund witnesses and signature order. Validation runs these first; the encoder runs them before writing.
import {
  assertBytes,
  assertPublicKey,
  assertSignature,
  compareBytes,
  isPublicKeyShape,
  isSignatureShape,
  KEY_TYPE_TAG,
  type PublicKey,
  WeftError,
} from '../crypto/index.js';
import { assertResource, NK_BYTES } from '../resource/index.js';
import type { Proof } from '../smt/index.js';
import {
  TX_ACTIONS_MAX,
  TX_APP_DATA_BYTES_MAX,
  TX_LABEL_BYTES_MAX,
  TX_RESOURCES_MAX,
  TX_SCOPE_BYTES_MAX,
  TX_SIGNATURES_MAX,
  TX_VALUE_BYTES_MAX,
} from './limits.js';
import { REFUSAL_REASONS } from './treeKeys.js';
import type { CommitmentProof, Created, RefundWitness, Transaction } from './types.js';

const U64_MAX = (1n << 64n) - 1n;
const DEPTH_MAX = 256;

function malformed(message: string): never {
  throw new WeftError('TX_MALFORMED', message);
}

/** Runs `fn`, turning a shape error (BAD_INPUT, BAD_LENGTH) from an assert into TX_MALFORMED. */
function shaped<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WeftError && (e.code === 'BAD_INPUT' || e.code === 'BAD_LENGTH'))
      malformed(e.shortMessage);
    throw e;
  }
}

function isArray(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

function checkPreimages(entry: Created, path: string): void {
  assertResource(entry.resource, `${path}.resource`);
  assertBytes(entry.value, undefined, `${path}.value`);
  assertBytes(entry.label, undefined, `${path}.label`);
  if (entry.value.length > TX_VALUE_BYTES_MAX) {
    throw new WeftError(
      'VALUE_TOO_LARGE',
      `${path}.value is ${entry.value.length} bytes; the limit is ${TX_VALUE_BYTES_MAX}`,
    );
  }
  if (entry.label.length > TX_LABEL_BYTES_MAX) {
    throw new WeftError(
      'LABEL_TOO_LARGE',
      `${path}.label is ${entry.label.length} bytes; the limit is ${TX_LABEL_BYTES_MAX}`,
    );
  }
}

function checkCommitmentProof(p: CommitmentProof, path: string): void {
  if (typeof p !== 'object' || p === null) malformed(`${path} must be an object`);
  assertBytes(p.anchor, 32, `${path}.anchor`);
  if (typeof p.height !== 'bigint' || p.height < 0n || p.height > U64_MAX)
    malformed(`${path}.height must be a u64 bigint`);
  checkProof(p.proof, `${path}.proof`);
}

function checkRefundWitness(w: RefundWitness, path: string): void {
  if (typeof w !== 'object' || w === null) malformed(`${path} must be an object`);
  if (typeof w.height !== 'bigint' || w.height < 0n || w.height > U64_MAX)
    malformed(`${path}.height must be a u64 bigint`);
  checkProof(w.proof, `${path}.proof`);
  if (w.refusal !== undefined) {
    const r = w.refusal;
    if (typeof r !== 'object' || r === null || !REFUSAL_REASONS.includes(r.reason))
      malformed(`${path}.refusal.reason must be one of ${REFUSAL_REASONS.join(', ')}`);
    if (typeof r.height !== 'bigint' || r.height < 0n || r.height > U64_MAX)
      malformed(`${path}.refusal.height must be a u64 bigint`);
  }
}

/** A single proof's structure (docs/proofs.md); whether it proves anything is validation's job. */
function checkProof(proof: Proof, path: string): void {
  if (typeof proof !== 'object' || proof === null) malformed(`${path} must be an object`);
  if (!Number.isInteger(proof.depth) || proof.depth < 0 || proof.depth > DEPTH_MAX) {
    malformed(`${path}.depth must be an integer from 0 to ${DEPTH_MAX}`);
  }
  assertBytes(proof.bitmap, (proof.depth + 7) >> 3, `${path}.bitmap`);
  if (!isArray(proof.siblings) || proof.siblings.length > proof.depth) {
    malformed(`${path}.siblings must be an array of at most depth hashes`);
  }
  // An indexed loop: `entries()` would make a pair per sibling (16 or more per proof).
  const siblings = proof.siblings;
  for (let i = 0; i < siblings.length; i++) {
    const s = siblings[i];
    if (!(s instanceof Uint8Array) || s.length !== 32) malformed(`${path}.siblings[${i}] must be 32 bytes`);
  }
  const t = proof.terminal;
  if (t?.kind === 'leaf') {
    assertBytes(t.keyHash, 32, `${path}.terminal.keyHash`);
    assertBytes(t.valueHash, 32, `${path}.terminal.valueHash`);
  } else if (t?.kind !== 'member' && t?.kind !== 'empty') {
    malformed(`${path}.terminal must be member, empty or leaf`);
  }
}

/**
 * Throws unless `tx` is structurally a transaction within every limit. Codes: TX_MALFORMED,
 * TX_TOO_MANY_ACTIONS, TX_TOO_MANY_RESOURCES, TX_APP_DATA_TOO_LARGE, TX_TOO_MANY_SIGNATURES,
 * VALUE_TOO_LARGE, LABEL_TOO_LARGE.
 *
 * `requireProofs` (validation) demands a commitment proof on every non-ephemeral consumed
 * resource; without it (ids, signing, the wire and JSON) a network transaction, whose proofs the
 * domain fills in, is well formed.
 */
export function checkTransactionShape(tx: Transaction, opts: { requireProofs?: boolean } = {}): void {
  shaped(() => checkShape(tx, opts));
}

function checkShape(tx: Transaction, opts: { requireProofs?: boolean }): void {
  if (typeof tx !== 'object' || tx === null) malformed('a transaction must be an object');
  if (!isArray(tx.actions)) malformed('tx.actions must be an array');
  checkScope(tx);
  if (tx.actions.length === 0 && tx.scope === undefined)
    malformed('a transaction needs at least one action or a scope');
  if (tx.executor !== undefined) assertBytes(tx.executor, 32, 'tx.executor');
  // Format 3 carries format 2's fields: a scoped body is always bound to its executing domain.
  if (tx.scope !== undefined && tx.executor === undefined)
    malformed('a transaction with a scope names its executor (format 3)');
  if (tx.actions.length > TX_ACTIONS_MAX) {
    throw new WeftError(
      'TX_TOO_MANY_ACTIONS',
      `${tx.actions.length} actions; the limit is ${TX_ACTIONS_MAX}`,
    );
  }
  let resources = 0;
  for (const [a, action] of tx.actions.entries()) {
    const path = `tx.actions[${a}]`;
    if (typeof action !== 'object' || action === null) malformed(`${path} must be an object`);
    if (!isArray(action.consumed) || !isArray(action.created))
      malformed(`${path} needs consumed and created arrays`);
    if (action.consumed.length + action.created.length === 0)
      malformed(`${path} consumes and creates nothing`);
    resources += action.consumed.length + action.created.length;
    if (resources > TX_RESOURCES_MAX) {
      throw new WeftError(
        'TX_TOO_MANY_RESOURCES',
        `more than ${TX_RESOURCES_MAX} resources in one transaction`,
      );
    }
    for (const [i, c] of action.consumed.entries()) {
      const at = `${path}.consumed[${i}]`;
      if (typeof c !== 'object' || c === null) malformed(`${at} must be an object`);
      checkPreimages(c, at);
      assertBytes(c.nk, NK_BYTES, `${at}.nk`);
      if (c.resource.isEphemeral && c.commitmentProof !== null) {
        malformed(`${at} is ephemeral and must not carry a commitment proof`);
      }
      if (!c.resource.isEphemeral) {
        if (c.commitmentProof === null || c.commitmentProof === undefined) {
          if (opts.requireProofs) malformed(`${at} needs a commitment proof`);
        } else {
          checkCommitmentProof(c.commitmentProof, `${at}.commitmentProof`);
        }
      }
      if (c.isRefund !== undefined && typeof c.isRefund !== 'boolean')
        malformed(`${at}.isRefund must be a boolean`);
      if (c.isRefund === true) {
        // Only format 2 carries the flag; an ephemeral resource was never moved, so never refunded.
        if (tx.executor === undefined) malformed(`${at} is a refund: the transaction must name its executor`);
        if (c.resource.isEphemeral) malformed(`${at} is ephemeral and cannot be a refund`);
      }
      if (c.refund !== undefined) {
        // A refund consumes what a move created in this domain's tree: never an ephemeral resource.
        if (c.resource.isEphemeral) malformed(`${at} is ephemeral and must not carry a refund witness`);
        checkRefundWitness(c.refund, `${at}.refund`);
      }
    }
    for (const [i, c] of action.created.entries()) {
      const at = `${path}.created[${i}]`;
      if (typeof c !== 'object' || c === null) malformed(`${at} must be an object`);
      checkPreimages(c, at);
    }
  }
  assertBytes(tx.appData, undefined, 'tx.appData');
  if (tx.appData.length > TX_APP_DATA_BYTES_MAX) {
    throw new WeftError(
      'TX_APP_DATA_TOO_LARGE',
      `app data is ${tx.appData.length} bytes; the limit is ${TX_APP_DATA_BYTES_MAX}`,
    );
  }
  checkSignatureList(tx);
}

/** The scoped body is opaque here: bytes, not empty (one encoding per meaning), bounded. */
function checkScope(tx: Transaction): void {
  if (tx.scope === undefined) return;
  assertBytes(tx.scope, undefined, 'tx.scope');
  if (tx.scope.length === 0) malformed('tx.scope must not be empty: leave it out instead');
  if (tx.scope.length > TX_SCOPE_BYTES_MAX) {
    throw new WeftError(
      'TX_SCOPE_TOO_LARGE',
      `the scoped body is ${tx.scope.length} bytes; the limit is ${TX_SCOPE_BYTES_MAX}`,
    );
  }
}

function checkSignatureList(tx: Transaction): void {
  if (!isArray(tx.signatures)) malformed('tx.signatures must be an array');
  if (tx.signatures.length > TX_SIGNATURES_MAX) {
    throw new WeftError(
      'TX_TOO_MANY_SIGNATURES',
      `${tx.signatures.length} signatures; the limit is ${TX_SIGNATURES_MAX}`,
    );
  }
  let previous: PublicKey | undefined;
  for (let i = 0; i < tx.signatures.length; i++) {
    const s = tx.signatures[i]!;
    // Field names are built only to refuse one.
    if (typeof s !== 'object' || s === null) malformed(`tx.signatures[${i}] must be an object`);
    if (!isPublicKeyShape(s.publicKey)) assertPublicKey(s.publicKey, `tx.signatures[${i}].publicKey`);
    if (!isSignatureShape(s.signature)) assertSignature(s.signature, `tx.signatures[${i}].signature`);
    if (s.publicKey.type !== s.signature.type)
      malformed(`tx.signatures[${i}] pairs a ${s.publicKey.type} key with a ${s.signature.type} signature`);
    if (previous !== undefined && compareEncodedKeys(previous, s.publicKey) >= 0) {
      malformed('tx.signatures must be sorted by encoded public key, one per key');
    }
    previous = s.publicKey;
  }
}

/**
 * `compareBytes(encodePublicKey(a), encodePublicKey(b))` without encoding either: an encoding is
 * the type's tag then the key, whose length the type fixes, so the tags decide unless they are
 * equal, and then the keys do (test/tx.test.ts holds it to the encodings).
 */
export function compareEncodedKeys(a: PublicKey, b: PublicKey): number {
  const ta = KEY_TYPE_TAG[a.type];
  const tb = KEY_TYPE_TAG[b.type];
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareBytes(a.bytes, b.bytes);
}
