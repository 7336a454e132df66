// The JSON form of a transaction, for the API and files: bytes as 0x-hex, u64 as decimal
// strings, resources in their JSON form, proofs (commitment proofs, refund witnesses) as the hex
// of their binary encoding (docs/proofs.md). The parser checks the schema by hand and names the
// field it refuses.
import { SIGNATURE_BYTES, toHex } from '../crypto/index.js';
import {
  expectArray,
  expectDigest,
  expectHex,
  expectObject,
  expectUintString,
  jsonError,
  type PublicKeyJson,
  parseJsonText,
  parsePublicKeyJson,
  parseResourceJson,
  publicKeyToJson,
  type ResourceJson,
  resourceToJson,
} from '../resource/index.js';
import { decodeProof, encodeProof } from '../smt/index.js';
import {
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
import { REFUSAL_REASONS } from './treeKeys.js';
import type {
  Action,
  CommitmentProof,
  Consumed,
  Created,
  RefundWitness,
  RefusalReason,
  Transaction,
  TxSignature,
} from './types.js';

export type CommitmentProofJson = { anchor: string; height: string; proof: string };
export type CreatedJson = { resource: ResourceJson; value: string; label: string };
export type RefusalRecordJson = { reason: RefusalReason; height: string };
/** `refusal` only on a refund by refusal. */
export type RefundWitnessJson = { height: string; proof: string; refusal?: RefusalRecordJson };
/** `isRefund` and `refund` only on a refund (docs/transactions.md), absent otherwise. */
export type ConsumedJson = CreatedJson & {
  nk: string;
  commitmentProof: CommitmentProofJson | null;
  isRefund?: true;
  refund?: RefundWitnessJson;
};
export type ActionJson = { consumed: ConsumedJson[]; created: CreatedJson[] };
export type TxSignatureJson = { publicKey: PublicKeyJson; signature: string };
/** `executor` (0x-hex DomainId) present exactly for a format 2 or 3 transaction; `scope` (hex of
 * the scoped body) exactly for a format 3 one. */
export type TransactionJson = {
  actions: ActionJson[];
  appData: string;
  signatures: TxSignatureJson[];
  executor?: string;
  /** hex of the scoped body, present only on a format 3 transaction */
  scope?: string;
};

/** Longest JSON text parseTransactionJson reads: hex doubles the bytes, plus room for keys. */
export const TX_JSON_CHARS_MAX = 4 * TX_BYTES_MAX;

const U64_MAX = (1n << 64n) - 1n;

function createdToJson(c: Created): CreatedJson {
  return { resource: resourceToJson(c.resource), value: toHex(c.value), label: toHex(c.label) };
}

function consumedToJson(c: Consumed): ConsumedJson {
  const p = c.commitmentProof;
  const json: ConsumedJson = {
    ...createdToJson(c),
    nk: toHex(c.nk),
    commitmentProof:
      p === null
        ? null
        : { anchor: toHex(p.anchor), height: p.height.toString(), proof: toHex(encodeProof(p.proof)) },
  };
  if (c.isRefund === true) json.isRefund = true;
  if (c.refund) {
    json.refund = { height: c.refund.height.toString(), proof: toHex(encodeProof(c.refund.proof)) };
    const r = c.refund.refusal;
    if (r) json.refund.refusal = { reason: r.reason, height: r.height.toString() };
  }
  return json;
}

/** The JSON form of a transaction. */
export function transactionToJson(tx: Transaction): TransactionJson {
  checkTransactionShape(tx);
  const json: TransactionJson = {
    actions: tx.actions.map((a) => ({
      consumed: a.consumed.map(consumedToJson),
      created: a.created.map(createdToJson),
    })),
    appData: toHex(tx.appData),
    signatures: tx.signatures.map((s) => ({
      publicKey: publicKeyToJson(s.publicKey),
      signature: toHex(s.signature.bytes),
    })),
  };
  if (tx.executor !== undefined) json.executor = toHex(tx.executor);
  if (tx.scope !== undefined) json.scope = toHex(tx.scope);
  return json;
}

function parseCreated(
  v: unknown,
  path: string,
  extra: readonly string[] = [],
  optional: readonly string[] = [],
): Created {
  const o = expectObject(v, path, ['resource', 'value', 'label', ...extra], optional);
  return {
    resource: parseResourceJson(o.resource, `${path}.resource`),
    value: expectHex(o.value, `${path}.value`, { maxBytes: TX_VALUE_BYTES_MAX }),
    label: expectHex(o.label, `${path}.label`, { maxBytes: TX_LABEL_BYTES_MAX }),
  };
}

function parseCommitmentProof(v: unknown, path: string): CommitmentProof | null {
  if (v === null) return null;
  const o = expectObject(v, path, ['anchor', 'height', 'proof']);
  const proof = parseProofHex(o.proof, `${path}.proof`, COMMITMENT_PROOF_BYTES_MAX);
  return {
    anchor: expectDigest(o.anchor, `${path}.anchor`),
    height: expectUintString(o.height, `${path}.height`, U64_MAX),
    proof,
  };
}

function parseProofHex(v: unknown, path: string, maxBytes: number): CommitmentProof['proof'] {
  const bytes = expectHex(v, path, { maxBytes });
  try {
    return decodeProof(bytes);
  } catch (e) {
    throw jsonError(path, `is not a proof encoding (${(e as Error).message})`);
  }
}

function parseRefundWitness(v: unknown, path: string): RefundWitness {
  const o = expectObject(v, path, ['height', 'proof'], ['refusal']);
  const w: RefundWitness = {
    height: expectUintString(o.height, `${path}.height`, U64_MAX),
    proof: parseProofHex(o.proof, `${path}.proof`, REFUND_PROOF_BYTES_MAX),
  };
  if (o.refusal !== undefined) {
    const r = expectObject(o.refusal, `${path}.refusal`, ['reason', 'height']);
    if (!REFUSAL_REASONS.includes(r.reason as RefusalReason))
      throw jsonError(`${path}.refusal.reason`, `must be one of ${REFUSAL_REASONS.join(', ')}`);
    w.refusal = {
      reason: r.reason as RefusalReason,
      height: expectUintString(r.height, `${path}.refusal.height`, U64_MAX),
    };
  }
  return w;
}

function parseConsumed(v: unknown, path: string): Consumed {
  const created = parseCreated(v, path, ['nk', 'commitmentProof'], ['isRefund', 'refund']);
  const o = v as Record<string, unknown>;
  const consumed: Consumed = {
    ...created,
    nk: expectDigest(o.nk, `${path}.nk`),
    commitmentProof: parseCommitmentProof(o.commitmentProof, `${path}.commitmentProof`),
  };
  if (o.isRefund !== undefined) {
    if (o.isRefund !== true) throw jsonError(`${path}.isRefund`, 'must be true when present');
    consumed.isRefund = true;
  }
  if (o.refund !== undefined) consumed.refund = parseRefundWitness(o.refund, `${path}.refund`);
  return consumed;
}

function parseSignature(v: unknown, path: string): TxSignature {
  const o = expectObject(v, path, ['publicKey', 'signature']);
  const publicKey = parsePublicKeyJson(o.publicKey, `${path}.publicKey`);
  const bytes = expectHex(o.signature, `${path}.signature`, { bytes: SIGNATURE_BYTES });
  return { publicKey, signature: { type: publicKey.type, bytes } };
}

/**
 * A transaction from its JSON form (an object or JSON text). Throws BAD_JSON naming the field
 * for anything malformed, oversized or out of range, then the shape rules' codes
 * (TX_MALFORMED, ...) for a well-formed JSON that is not a well-formed transaction.
 *
 * @example decodeTransaction(encodeTransaction(parseTransactionJson(body)))
 */
export function parseTransactionJson(input: unknown): Transaction {
  const o = expectObject(
    parseJsonText(input, 'tx', TX_JSON_CHARS_MAX),
    'tx',
    ['actions', 'appData', 'signatures'],
    ['executor', 'scope'],
  );
  const actionsJson = expectArray(o.actions, 'tx.actions', TX_ACTIONS_MAX);
  let resources = 0;
  const actions: Action[] = actionsJson.map((a, i) => {
    const path = `tx.actions[${i}]`;
    const ao = expectObject(a, path, ['consumed', 'created']);
    const consumed = expectArray(ao.consumed, `${path}.consumed`, TX_RESOURCES_MAX - resources);
    resources += consumed.length;
    const created = expectArray(ao.created, `${path}.created`, TX_RESOURCES_MAX - resources);
    resources += created.length;
    return {
      consumed: consumed.map((c, j) => parseConsumed(c, `${path}.consumed[${j}]`)),
      created: created.map((c, j) => parseCreated(c, `${path}.created[${j}]`)),
    };
  });
  const tx: Transaction = {
    actions,
    appData: expectHex(o.appData, 'tx.appData', { maxBytes: TX_APP_DATA_BYTES_MAX }),
    signatures: expectArray(o.signatures, 'tx.signatures', TX_SIGNATURES_MAX).map((s, i) =>
      parseSignature(s, `tx.signatures[${i}]`),
    ),
  };
  if (o.executor !== undefined) tx.executor = expectDigest(o.executor, 'tx.executor');
  if (o.scope !== undefined) tx.scope = expectHex(o.scope, 'tx.scope', { maxBytes: TX_SCOPE_BYTES_MAX });
  checkTransactionShape(tx);
  return tx;
}
