// The JSON forms the API speaks (0x-hex bytes, decimal-string u64/u128) and the conversions both
// ways: `…ToJson` on the server, `…FromJson` in the client. Shared so the two cannot drift; no
// HTTP here, so the client imports it without the server.
import {
  fromHex,
  isWeftErrorCode,
  type PublicKey,
  toHex,
  WeftError,
  type WeftErrorCode,
} from '../crypto/index.js';
import {
  type Block,
  decodeBlock,
  type Header,
  headerHash,
  type KeySet,
  type RemoteReinitialized,
  type SignedHeader,
  type StateProof,
  type TxStatus,
} from '../domain/index.js';
import type { ReinitReport } from '../node/index.js';
import {
  expectObject,
  expectString,
  type PublicKeyJson,
  parsePublicKeyJson,
  parseResourceJson,
  publicKeyToJson,
  type ResourceJson,
  resourceToJson,
} from '../resource/index.js';
import { decodeProof, encodeProof, type Proof } from '../smt/index.js';
import type { Transfer, TransferPlan, TransferWait } from '../transfer/index.js';
import {
  decodeTransaction,
  encodeTransaction,
  TX_BYTES_MAX,
  TX_LABEL_BYTES_MAX,
  TX_VALUE_BYTES_MAX,
} from '../tx/index.js';

/**
 * The JSON form of `T` as the API writes it: bytes as 0x-hex strings, u64 and u128 as decimal
 * strings, a Merkle proof as its canonical encoding (hex), arrays and objects field by field;
 * strings, numbers, booleans and null as they are. Every JSON mirror of a typed value is this, so
 * a field added to the value changes its JSON type too.
 */
export type Json<T> = T extends Uint8Array
  ? string
  : T extends bigint
    ? string
    : T extends Proof
      ? string
      : T extends readonly (infer U)[]
        ? Json<U>[]
        : T extends object
          ? { [K in keyof T]: Json<T[K]> }
          : T;

/** `T` with every optional field present, as null when absent: how the API writes a record. */
export type NullWhenAbsent<T> = {
  [K in keyof T]-?: Partial<Pick<T, K>> extends Pick<T, K> ? Exclude<T[K], undefined> | null : T[K];
};

export type HeaderJson = Json<Header>;
export type SignedHeaderJson = Json<SignedHeader> & { headerHash: string };
export type BlockJson = {
  header: HeaderJson;
  headerHash: string;
  batches: string[][];
  txCount: number;
  writeCount: number;
  encoded: string;
};
export type TxStatusJson = Json<TxStatus>;
export type StateProofJson = Json<StateProof>;
export type TransferJson = Json<NullWhenAbsent<Transfer>>;
export type TransferPlanJson = {
  move: string;
  claim: string;
  moved: { resource: ResourceJson; value: string; label: string; nk: string };
  refund?: string;
};
/** A JSON value with bigints as decimal strings and bytes as hex (what `toJsonValue` makes). */
export type WireValue = null | boolean | number | string | WireValue[] | { [key: string]: WireValue };

const dec = (n: bigint): string => n.toString();
const optDec = (n: bigint | undefined): string | null => (n === undefined ? null : n.toString());

/** Bytes from hex the server or a schema already checked; BAD_HEX for an odd digit count. */
export function bytesOf(hex: string, name = 'hex'): Uint8Array {
  if (hex.length % 2 !== 0) throw new WeftError('BAD_HEX', `${name} has an odd number of hex digits`);
  return fromHex(hex, undefined, name);
}

export function headerToJson(h: Header): HeaderJson {
  return {
    domain: toHex(h.domain),
    height: dec(h.height),
    prevHash: toHex(h.prevHash),
    stateRoot: toHex(h.stateRoot),
    txRoot: toHex(h.txRoot),
    timestamp: dec(h.timestamp),
  };
}

export function headerFromJson(j: HeaderJson): Header {
  return {
    domain: fromHex(j.domain, 32, 'header.domain'),
    height: BigInt(j.height),
    prevHash: fromHex(j.prevHash, 32, 'header.prevHash'),
    stateRoot: fromHex(j.stateRoot, 32, 'header.stateRoot'),
    txRoot: fromHex(j.txRoot, 32, 'header.txRoot'),
    timestamp: BigInt(j.timestamp),
  };
}

export function signedHeaderToJson(s: SignedHeader): SignedHeaderJson {
  return {
    header: headerToJson(s.header),
    headerHash: toHex(headerHash(s.header)),
    signatures: s.signatures.map((g) => ({ signer: g.signer, signature: toHex(g.signature) })),
  };
}

/** The signed header, after checking the server's header hash against the fields it sent. */
export function signedHeaderFromJson(j: SignedHeaderJson): SignedHeader {
  const header = headerFromJson(j.header);
  checkHash(header, j.headerHash);
  return {
    header,
    signatures: j.signatures.map((g) => ({ signer: g.signer, signature: fromHex(g.signature, 65) })),
  };
}

function checkHash(header: Header, claimed: string): void {
  if (toHex(headerHash(header)) !== claimed) {
    throw new WeftError('BAD_RESPONSE', 'the header hash the server sent does not match the header');
  }
}

export function blockToJson(b: Block, encoded: Uint8Array): BlockJson {
  return {
    header: headerToJson(b.header),
    headerHash: toHex(headerHash(b.header)),
    batches: b.batches.map((batch) => batch.map(toHex)),
    txCount: b.txs.length,
    writeCount: b.writes.length,
    encoded: toHex(encoded),
  };
}

/** The block from its canonical encoding, which must carry the header the summary names. */
export function blockFromJson(j: BlockJson): Block {
  const block = decodeBlock(bytesOf(j.encoded, 'block.encoded'));
  checkHash(block.header, j.headerHash);
  return block;
}

export function statusToJson(s: TxStatus): TxStatusJson {
  switch (s.status) {
    case 'pending':
      return { status: 'pending', sinceHeight: dec(s.sinceHeight) };
    case 'included':
      return { status: 'included', height: dec(s.height), batch: s.batch, index: s.index };
    default:
      return { status: s.status, code: s.code, reason: s.reason };
  }
}

/**
 * A code and its sentence as a client reads them off the wire. A code this version does not know
 * (a newer server) becomes UNKNOWN_REMOTE_CODE, with the server's code kept at the start of the
 * sentence, so a caller can still tell codes apart and nothing is lost.
 */
export function remoteCodeOf(code: unknown, reason: string): { code: WeftErrorCode; reason: string } {
  if (isWeftErrorCode(code)) return { code, reason };
  return { code: 'UNKNOWN_REMOTE_CODE', reason: `${String(code)}: ${reason}` };
}

export function statusFromJson(j: TxStatusJson): TxStatus {
  switch (j.status) {
    case 'pending':
      return { status: 'pending', sinceHeight: BigInt(j.sinceHeight) };
    case 'included':
      return { status: 'included', height: BigInt(j.height), batch: j.batch, index: j.index };
    default:
      return { status: j.status, ...remoteCodeOf(j.code, j.reason) };
  }
}

export function stateProofToJson(p: StateProof): StateProofJson {
  return {
    height: dec(p.height),
    root: toHex(p.root),
    key: toHex(p.key),
    value: p.value === null ? null : toHex(p.value),
    proof: toHex(encodeProof(p.proof)),
  };
}

export function stateProofFromJson(j: StateProofJson): StateProof {
  return {
    height: BigInt(j.height),
    root: fromHex(j.root, 32, 'root'),
    key: bytesOf(j.key, 'key'),
    value: j.value === null ? null : bytesOf(j.value, 'value'),
    proof: decodeProof(bytesOf(j.proof, 'proof')),
  };
}

export function proofFromHex(hex: string): Proof {
  return decodeProof(bytesOf(hex, 'proof'));
}

/** A key set's JSON form: public keys as `resource`'s JSON writes them (type and key). */
export type KeySetJson = { threshold: number; keys: PublicKeyJson[] };

export function keySetToJson(ks: KeySet): KeySetJson {
  return { threshold: ks.threshold, keys: ks.keys.map(publicKeyToJson) };
}

export function keySetFromJson(j: KeySetJson): KeySet {
  return {
    threshold: j.threshold,
    keys: j.keys.map((k, i): PublicKey => parsePublicKeyJson(k, `keys[${i}]`)),
  };
}

export function transferToJson(t: Transfer): TransferJson {
  return {
    id: t.id,
    from: toHex(t.from),
    to: toHex(t.to),
    phase: t.phase,
    createdAtMs: dec(t.createdAtMs),
    updatedAtMs: dec(t.updatedAtMs),
    expiresAtMs: dec(t.expiresAtMs),
    sourceHeight: optDec(t.sourceHeight),
    source: t.source
      ? {
          height: dec(t.source.height),
          root: toHex(t.source.root),
          proof: toHex(encodeProof(t.source.proof)),
        }
      : null,
    syncedHeight: optDec(t.syncedHeight),
    claimHeight: optDec(t.claimHeight),
    confirmedHeight: optDec(t.confirmedHeight),
    deadlineMs: optDec(t.deadlineMs),
    refundableHeight: optDec(t.refundableHeight),
    refundHeight: optDec(t.refundHeight),
    failure: t.failure ? { code: t.failure.code, reason: t.failure.reason } : null,
    history: t.history.map((h) => ({ phase: h.phase, atMs: dec(h.atMs) })),
  };
}

const optBig = (s: string | null): bigint | undefined => (s === null ? undefined : BigInt(s));

export function transferFromJson(j: TransferJson): Transfer {
  const t: Transfer = {
    id: j.id,
    from: fromHex(j.from, 32, 'from'),
    to: fromHex(j.to, 32, 'to'),
    phase: j.phase,
    createdAtMs: BigInt(j.createdAtMs),
    updatedAtMs: BigInt(j.updatedAtMs),
    expiresAtMs: BigInt(j.expiresAtMs),
    history: j.history.map((h) => ({ phase: h.phase, atMs: BigInt(h.atMs) })),
  };
  const optional = {
    sourceHeight: optBig(j.sourceHeight),
    syncedHeight: optBig(j.syncedHeight),
    claimHeight: optBig(j.claimHeight),
    confirmedHeight: optBig(j.confirmedHeight),
    deadlineMs: optBig(j.deadlineMs),
    refundableHeight: optBig(j.refundableHeight),
    refundHeight: optBig(j.refundHeight),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) t[k as keyof typeof optional] = v;
  if (j.source) {
    t.source = {
      height: BigInt(j.source.height),
      root: fromHex(j.source.root, 32, 'source.root'),
      proof: proofFromHex(j.source.proof),
    };
  }
  if (j.failure) t.failure = remoteCodeOf(j.failure.code, j.failure.reason);
  return t;
}

/** A value made JSON-safe: bigints as decimal strings, bytes as hex, recursively. */
export function toJsonValue(v: unknown): WireValue {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v !== null && typeof v === 'object') {
    const out: { [key: string]: WireValue } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJsonValue(x);
    return out;
  }
  return v as WireValue;
}

/** What a transfer waits for, in JSON (bigints as strings). */
export type TransferWaitJson = Json<TransferWait>;

export function waitToJson(w: TransferWait): TransferWaitJson {
  return toJsonValue(w) as TransferWaitJson;
}

/** Numeric fields of the waits the API knows, read back as bigints; the rest as they came. */
const WAIT_BIGINTS = new Set([
  'sourceHeight',
  'lastUpdateAgeMs',
  'needHeight',
  'destinationHasHeight',
  'destinationHeight',
  'sourceHasHeight',
  'advancedAtMs',
  'trustingPeriodMs',
]);

export function waitFromJson(j: TransferWaitJson): TransferWait {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(j))
    out[k] = WAIT_BIGINTS.has(k) && typeof v === 'string' ? BigInt(v) : v;
  return out as TransferWait;
}

export function planToJson(p: TransferPlan): TransferPlanJson {
  const j: TransferPlanJson = {
    move: toHex(encodeTransaction(p.move)),
    claim: toHex(encodeTransaction(p.claim)),
    moved: {
      resource: resourceToJson(p.moved.resource),
      value: toHex(p.moved.value),
      label: toHex(p.moved.label),
      nk: toHex(p.moved.nk),
    },
  };
  if (p.refund) j.refund = toHex(encodeTransaction(p.refund));
  return j;
}

/** A plan from its JSON form (schema-checked by the route); CODEC and friends for bad encodings. */
/**
 * A plan from its JSON form. Checks the shape first (exact keys, strings within their limits:
 * `BAD_JSON`), so a plan file that is not one fails typed, as the route's schema does.
 */
export function planFromJson(j: TransferPlanJson): TransferPlan {
  const o = expectObject(j, 'plan', ['move', 'claim', 'moved'], ['refund']);
  const m = expectObject(o.moved, 'plan.moved', ['resource', 'value', 'label', 'nk']);
  const hex = (v: unknown, path: string, maxBytes: number) =>
    bytesOf(expectString(v, path, 2 + 2 * maxBytes), path);
  const plan: TransferPlan = {
    move: decodeTransaction(hex(o.move, 'plan.move', TX_BYTES_MAX)),
    claim: decodeTransaction(hex(o.claim, 'plan.claim', TX_BYTES_MAX)),
    moved: {
      resource: parseResourceJson(m.resource, 'plan.moved.resource'),
      value: hex(m.value, 'plan.moved.value', TX_VALUE_BYTES_MAX),
      label: hex(m.label, 'plan.moved.label', TX_LABEL_BYTES_MAX),
      nk: fromHex(expectString(m.nk, 'plan.moved.nk', 66), 32, 'plan.moved.nk'),
    },
  };
  if (o.refund !== undefined) plan.refund = decodeTransaction(hex(o.refund, 'plan.refund', TX_BYTES_MAX));
  return plan;
}

/**
 * What an operator re-initialisation did, as a client reads it: the domain's report
 * (`RemoteReinitialized`) with the node's transfer report flattened in.
 */
export type ReinitResult = Omit<RemoteReinitialized, 'type'> & ReinitReport['transfers'];

/** `ReinitResult` on the wire: bytes as 0x-hex, heights as decimal strings. */
export type ReinitResultJson = {
  [K in keyof ReinitResult]: ReinitResult[K] extends bigint | Uint8Array
    ? string
    : ReinitResult[K] extends bigint[]
      ? string[]
      : ReinitResult[K];
};

export function reinitToJson(r: ReinitReport): ReinitResultJson {
  return {
    domainId: toHex(r.domainId),
    height: r.height.toString(),
    forkHeight: r.forkHeight.toString(),
    droppedRoots: r.droppedRoots.map(String),
    by: r.by,
    evidence: toHex(r.evidence),
    continuing: r.transfers.continuing,
    affected: r.transfers.affected,
  };
}

export function reinitFromJson(j: ReinitResultJson): ReinitResult {
  return {
    ...j,
    domainId: fromHex(j.domainId, 32, 'domainId'),
    height: BigInt(j.height),
    forkHeight: BigInt(j.forkHeight),
    droppedRoots: j.droppedRoots.map((h) => BigInt(h)),
    evidence: fromHex(j.evidence, 32, 'evidence'),
  };
}
