// The fuzz targets: every decoder Weft has, with the encoder its output must round-trip through
// and the named limits a decoded value must respect. The property (checkDecoder): each input
// either decodes to a value that re-encodes to the same bytes, or fails with a WeftError; never
// another exception, never longer than DECODE_MS_MAX, never a value beyond its limits.
import fc from 'fast-check';
import { planFromJson, planToJson, type TransferPlanJson } from '../../src/api/wire.js';
import {
  CODEC_LENGTH_MAX,
  decodeAll,
  equalBytes,
  readPublicKey,
  utf8,
  WeftError,
  Writer,
  writePublicKey,
} from '../../src/crypto/index.js';
import {
  type Block,
  type DomainState,
  decodeBlock,
  decodeHeader,
  decodeInput,
  decodeKeySet,
  decodeSignedHeader,
  decodeState,
  decodeStatus,
  encodeBlock,
  encodeHeader,
  encodeInput,
  encodeKeySet,
  encodeSignedHeader,
  encodeState,
  encodeStatus,
  KEYSET_KEYS_MAX,
} from '../../src/domain/index.js';
import {
  decodeMessage,
  encodeMessage,
  MESSAGE_BODY_BYTES_MAX,
  MESSAGE_ID_BYTES_MAX,
} from '../../src/net/index.js';
import {
  CLAIMS_MESSAGE_BYTES_MAX,
  CLAIMS_PER_MESSAGE_MAX,
  decodeClaims,
  encodeClaims,
} from '../../src/node/claims.js';
import {
  decodeResource,
  decodeTokenData,
  decodeTokenLabel,
  decodeValue,
  encodeResource,
  encodeValue,
  parseJsonText,
  parsePublicKeyJson,
  parseResourceJson,
  parseValueJson,
  publicKeyToJson,
  RESOURCE_JSON_CHARS_MAX,
  resourceToJson,
  tokenData,
  tokenLabel,
  VALUE_DATA_BYTES_MAX,
  valueToJson,
} from '../../src/resource/index.js';
import {
  type Declaration,
  decodeObjectState,
  decodeProverEvidence,
  decodeScopeBody,
  decodeSignedAttestation,
  encodeObjectState,
  encodeProverEvidence,
  encodeScopeBody,
  encodeSignedAttestation,
  ObjectDag,
  readDeclaration,
  writeDeclaration,
} from '../../src/scope/index.js';
import {
  decodeMultiProof,
  decodeProof,
  decodeTransition,
  encodeMultiProof,
  encodeProof,
  encodeTransition,
  PROOF_STEPS_MAX,
} from '../../src/smt/index.js';
import { checkEntry, decodeCheckpoint, encodeEntry } from '../../src/store/index.js';
import {
  decodeEquivocationEvidence,
  decodeGlobalInclusionProof,
  decodeHeaderRequest,
  decodeRootUpdate,
  decodeSyncConfirmation,
  encodeEquivocationEvidence,
  encodeGlobalInclusionProof,
  encodeHeaderRequest,
  encodeRootUpdate,
  encodeSyncConfirmation,
  ROOT_UPDATE_EXCLUSIONS_MAX,
  ROOT_UPDATE_TXS_MAX,
  ROOT_UPDATE_WRITES_MAX,
  type RootUpdate,
  UPDATE_CHAIN_MAX,
} from '../../src/sync/index.js';
import type { TransferPlan } from '../../src/transfer/index.js';
import { decodeTransferRecord, encodeTransferRecord, type TransferRecord } from '../../src/transfer/index.js';
import {
  decodeTransaction,
  encodeTransaction,
  parseTransactionJson,
  type Transaction,
  TX_ACTIONS_MAX,
  TX_BYTES_MAX,
  TX_RESOURCES_MAX,
  TX_SIGNATURES_MAX,
  transactionToJson,
} from '../../src/tx/index.js';
import type { Corpus } from './corpus.js';

/** Longest one decode (or re-encode) may take, in milliseconds: far above any honest input's. */
export const DECODE_MS_MAX = 2000;
/**
 * How much larger than its input a decoded value may be (bytes of its byte strings, plus a word
 * per array item, map entry and object field), plus a constant: a decoder that allocates on a
 * length field's word rather than on bytes it holds fails this.
 */
export const DECODED_AMPLIFICATION_MAX = 64;
export const DECODED_SLACK_BYTES = 64 * 1024;
/** Largest random input (mutations of the corpus may grow past it by an extension). */
export const RANDOM_INPUT_BYTES_MAX = 1024;

/** A decoder under fuzz. */
export type CodecTarget<T = unknown> = {
  name: string;
  decode(bytes: Uint8Array): T;
  encode(value: T): Uint8Array;
  /** throws (a plain Error) when a decoded value is beyond one of its named limits */
  limits?(value: T): void;
  /**
   * An older format the decoder still reads and the encoder upgrades: such an input must decode
   * to a value whose encoding is a fixed point (decode, encode, decode, encode: same bytes).
   */
  legacy?(bytes: Uint8Array): boolean;
  /**
   * A JSON form: many texts (spacing, key order) parse to one value, so the property is that the
   * value's own JSON is a fixed point (parse, print, parse, print: same text) rather than the input.
   */
  json?: true;
};

function within(what: string, n: number, max: number): void {
  if (n > max) throw new Error(`${what}: ${n} is over its limit of ${max}`);
}

function txLimits(tx: Transaction): void {
  within('tx actions', tx.actions.length, TX_ACTIONS_MAX);
  within(
    'tx resources',
    tx.actions.reduce((n, a) => n + a.consumed.length + a.created.length, 0),
    TX_RESOURCES_MAX,
  );
  within('tx signatures', tx.signatures.length, TX_SIGNATURES_MAX);
}

function stepsLimit(p: { steps: unknown[] }): void {
  within('proof steps', p.steps.length, PROOF_STEPS_MAX);
}

function blockLimits(b: Block): void {
  for (const tx of b.txs) txLimits(tx);
  stepsLimit(b.transition);
}

/** The checkpoint framing, written here since the store keeps its encoder private. */
function encodeCheckpointBytes(c: {
  height: bigint;
  seq: bigint;
  seqHash: Uint8Array;
  state: DomainState;
}): Uint8Array {
  const state = encodeState(c.state);
  return new Writer(state.length + 64)
    .u64(c.height)
    .u64(c.seq)
    .fixed(c.seqHash, 32)
    .bytes(state, 1 << 30)
    .finish();
}

type FramedEntry = { seq: bigint; prevHash: Uint8Array; input: Uint8Array };

/**
 * A transcript entry as LMDB stores it, framed as u64 seq || value; checked against the link it
 * carries (the chain across entries is readEntries' job), its input decoded as replay decodes it.
 */
function decodeFramedEntry(bytes: Uint8Array): FramedEntry {
  if (bytes.length < 8) throw new WeftError('CODEC', 'a framed entry starts with its u64 seq');
  const seq = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  const value = bytes.subarray(8);
  const link = value.length >= 68 ? value.subarray(value.length - 64, value.length - 32) : new Uint8Array(32);
  const checked = checkEntry(seq, value, link);
  if ('fault' in checked) {
    const f = checked.fault;
    if (f.seq !== seq || !['torn', 'corrupt', 'broken-chain', 'gap', 'undecodable'].includes(f.kind))
      throw new Error(`checkEntry answered a malformed fault: ${JSON.stringify(f, (_, v) => String(v))}`);
    throw new WeftError('TRANSCRIPT_CORRUPT', f.message);
  }
  const e = checked.entry;
  // The input must decode as replay will decode it.
  decodeInput(e.input);
  return { seq: e.seq, prevHash: e.prevHash, input: e.input };
}

function encodeFramedEntry(e: FramedEntry): Uint8Array {
  const input = encodeInput(decodeInput(e.input));
  const { value } = encodeEntry(e.seq, e.prevHash, input);
  return new Writer(8 + value.length).u64(e.seq).fixed(value, value.length).finish();
}

/** Every decoder target, by layer. */
// biome-ignore lint/suspicious/noExplicitAny: a list of targets over different value types
export const CODEC_TARGETS: CodecTarget<any>[] = [
  {
    name: 'crypto.publicKey',
    decode: (b) => decodeAll(b, readPublicKey),
    encode: (pk) => {
      const w = new Writer(34);
      writePublicKey(w, pk);
      return w.finish();
    },
  },
  { name: 'smt.proof', decode: decodeProof, encode: encodeProof },
  { name: 'smt.multiProof', decode: decodeMultiProof, encode: encodeMultiProof, limits: stepsLimit },
  { name: 'smt.transition', decode: decodeTransition, encode: encodeTransition, limits: stepsLimit },
  {
    name: 'resource.resource',
    decode: decodeResource,
    encode: encodeResource,
  },
  {
    name: 'resource.value',
    decode: decodeValue,
    encode: encodeValue,
    limits: (v) => within('value data bytes', v.data.length, VALUE_DATA_BYTES_MAX),
  },
  { name: 'resource.tokenLabel', decode: decodeTokenLabel, encode: tokenLabel },
  { name: 'resource.tokenData', decode: decodeTokenData, encode: tokenData },
  {
    name: 'tx.transaction',
    decode: decodeTransaction,
    encode: encodeTransaction,
    limits: (tx: Transaction) => txLimits(tx),
  },
  {
    name: 'scope.declaration',
    decode: (b) => decodeAll(b, readDeclaration),
    encode: (d: Declaration) => {
      const w = new Writer();
      writeDeclaration(w, d);
      return w.finish();
    },
  },
  { name: 'scope.body', decode: decodeScopeBody, encode: encodeScopeBody },
  { name: 'scope.objectState', decode: decodeObjectState, encode: encodeObjectState },
  { name: 'scope.signedAttestation', decode: decodeSignedAttestation, encode: encodeSignedAttestation },
  { name: 'scope.proverEvidence', decode: decodeProverEvidence, encode: encodeProverEvidence },
  { name: 'scope.dagSnapshot', decode: ObjectDag.restore, encode: (d: ObjectDag) => d.snapshot() },
  { name: 'domain.header', decode: decodeHeader, encode: encodeHeader },
  {
    name: 'domain.signedHeader',
    decode: decodeSignedHeader,
    encode: encodeSignedHeader,
    limits: (sh) => within('header signatures', sh.signatures.length, KEYSET_KEYS_MAX),
  },
  {
    name: 'domain.keySet',
    decode: decodeKeySet,
    encode: encodeKeySet,
    limits: (ks) => within('key set keys', ks.keys.length, KEYSET_KEYS_MAX),
  },
  { name: 'domain.block', decode: decodeBlock, encode: encodeBlock, limits: blockLimits },
  { name: 'domain.input', decode: decodeInput, encode: encodeInput },
  { name: 'domain.status', decode: decodeStatus, encode: encodeStatus },
  {
    name: 'domain.state',
    decode: decodeState,
    encode: encodeState,
    legacy: (b) => b[0] === 1,
  },
  {
    name: 'sync.rootUpdate',
    decode: decodeRootUpdate,
    encode: encodeRootUpdate,
    limits: (u: RootUpdate) => {
      within('root update writes', u.writes.length, ROOT_UPDATE_WRITES_MAX);
      within('root update txs', u.txs?.length ?? 0, ROOT_UPDATE_TXS_MAX);
      within('root update exclusions', u.exclusions?.length ?? 0, ROOT_UPDATE_EXCLUSIONS_MAX);
      for (const tx of u.txs ?? []) txLimits(tx);
      stepsLimit(u.transition);
    },
  },
  {
    name: 'sync.headerRequest',
    decode: decodeHeaderRequest,
    encode: encodeHeaderRequest,
    limits: (r) => within('header request span', Number(r.toHeight - r.fromHeight) + 1, UPDATE_CHAIN_MAX),
  },
  { name: 'sync.syncConfirmation', decode: decodeSyncConfirmation, encode: encodeSyncConfirmation },
  {
    name: 'sync.equivocationEvidence',
    decode: decodeEquivocationEvidence,
    encode: encodeEquivocationEvidence,
  },
  {
    name: 'sync.globalInclusionProof',
    decode: decodeGlobalInclusionProof,
    encode: encodeGlobalInclusionProof,
  },
  {
    name: 'transfer.record',
    decode: decodeTransferRecord,
    encode: encodeTransferRecord,
    limits: (r: TransferRecord) => {
      for (const tx of [r.plan.move, r.plan.claim, ...(r.plan.refund ? [r.plan.refund] : [])]) txLimits(tx);
    },
    legacy: (b) => b[0] === 1,
  },
  {
    name: 'net.message',
    decode: decodeMessage,
    encode: encodeMessage,
    limits: (m) => {
      within('message id bytes', Buffer.byteLength(m.id), MESSAGE_ID_BYTES_MAX);
      within('message body bytes', m.body.length, MESSAGE_BODY_BYTES_MAX);
    },
  },
  {
    name: 'node.claims',
    decode: decodeClaims,
    encode: encodeClaims,
    limits: (cs: Uint8Array[]) => {
      within('claims a transfers message', cs.length, CLAIMS_PER_MESSAGE_MAX);
      within('transfers message bytes', encodeClaims(cs).length, CLAIMS_MESSAGE_BYTES_MAX);
    },
  },
  {
    name: 'store.checkpoint',
    decode: decodeCheckpoint,
    encode: encodeCheckpointBytes,
    // a checkpoint of a format-1 state re-encodes as format 2
    legacy: (b) => b.length > 52 && b[52] === 1,
  },
  { name: 'store.transcriptEntry', decode: decodeFramedEntry, encode: encodeFramedEntry },
];

const textOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const jsonBytes = (v: unknown) => utf8(JSON.stringify(v));

/** Longest plan JSON text the target reads: three transactions at most, as hex, and the rest. */
const PLAN_JSON_CHARS_MAX = 3 * (2 + 2 * TX_BYTES_MAX) + RESOURCE_JSON_CHARS_MAX;

/** The JSON forms the API and CLI read, fuzzed as UTF-8 text. */
// biome-ignore lint/suspicious/noExplicitAny: a list of targets over different value types
export const JSON_TARGETS: CodecTarget<any>[] = [
  {
    name: 'tx.json',
    decode: (b) => parseTransactionJson(textOf(b)),
    encode: (tx) => jsonBytes(transactionToJson(tx)),
    limits: txLimits,
    json: true,
  },
  {
    name: 'resource.json',
    decode: (b) => parseResourceJson(textOf(b)),
    encode: (r) => jsonBytes(resourceToJson(r)),
    json: true,
  },
  {
    name: 'resource.valueJson',
    decode: (b) => parseValueJson(parseJsonText(textOf(b), 'value', RESOURCE_JSON_CHARS_MAX)),
    encode: (v) => jsonBytes(valueToJson(v)),
    json: true,
  },
  {
    // a transfer plan file (`weft transfer --plan`, `client.startTransfer`): docs/fuzzing.md, finding 6
    name: 'api.planJson',
    decode: (b) => planFromJson(parseJsonText(textOf(b), 'plan', PLAN_JSON_CHARS_MAX) as TransferPlanJson),
    encode: (plan) => jsonBytes(planToJson(plan)),
    limits: (plan: TransferPlan) => {
      for (const tx of [plan.move, plan.claim, ...(plan.refund ? [plan.refund] : [])]) txLimits(tx);
    },
    json: true,
  },
  {
    name: 'resource.publicKeyJson',
    decode: (b) => parsePublicKeyJson(parseJsonText(textOf(b), 'publicKey', RESOURCE_JSON_CHARS_MAX)),
    encode: (pk) => jsonBytes(publicKeyToJson(pk)),
    json: true,
  },
];

/** What one input did. */
export type Outcome = 'decoded' | 'refused';

/** A property violation, with what the report needs to reproduce it. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  constructor(
    readonly target: string,
    readonly kind: string,
    message: string,
    readonly input: string,
  ) {
    super(
      `${target}: ${kind}: ${message} (input ${input.length > 400 ? `${input.slice(0, 400)}...` : input})`,
    );
  }
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Bytes a decoded value holds: its byte strings, a word per array item, map or set entry and
 * object field, two bytes per string character. Shared buffers count once per view (an upper
 * bound).
 */
export function footprint(v: unknown, depth = 0): number {
  if (depth > 64) return 0;
  if (v instanceof Uint8Array) return v.byteLength;
  if (typeof v === 'string') return 2 * v.length;
  if (typeof v !== 'object' || v === null) return 8;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + 8 + footprint(x, depth + 1), 0);
  if (v instanceof Map) {
    let n = 0;
    for (const [k, x] of v) n += 16 + footprint(k, depth + 1) + footprint(x, depth + 1);
    return n;
  }
  if (v instanceof Set) {
    let n = 0;
    for (const x of v) n += 8 + footprint(x, depth + 1);
    return n;
  }
  let n = 0;
  for (const x of Object.values(v)) n += 8 + footprint(x, depth + 1);
  return n;
}

/** Runs `fn`, failing the input when it takes longer than DECODE_MS_MAX. */
function timed<T>(target: string, what: string, input: Uint8Array, fn: () => T): T {
  const start = performance.now();
  const slow = () => {
    const ms = performance.now() - start;
    if (ms > DECODE_MS_MAX)
      throw new FuzzFailure(target, 'slow', `${what} took ${ms.toFixed(0)} ms`, hexOf(input));
  };
  let out: T;
  try {
    out = fn();
  } catch (e) {
    slow();
    throw e;
  }
  slow();
  return out;
}

/** The decoder property on one input; throws FuzzFailure when it does not hold. */
export function checkDecoder(t: CodecTarget, bytes: Uint8Array): Outcome {
  let value: unknown;
  try {
    value = timed(t.name, 'decode', bytes, () => t.decode(bytes));
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    if (e instanceof WeftError) return 'refused';
    throw new FuzzFailure(
      t.name,
      'untyped exception',
      `decode threw ${(e as Error)?.name}: ${(e as Error)?.message}`,
      hexOf(bytes),
    );
  }
  const size = footprint(value);
  if (size > DECODED_AMPLIFICATION_MAX * bytes.length + DECODED_SLACK_BYTES) {
    throw new FuzzFailure(
      t.name,
      'allocation',
      `a ${bytes.length}-byte input decoded to ${size} bytes`,
      hexOf(bytes),
    );
  }
  try {
    t.limits?.(value);
  } catch (e) {
    throw new FuzzFailure(t.name, 'limit', (e as Error).message, hexOf(bytes));
  }
  let out: Uint8Array;
  try {
    out = timed(t.name, 're-encode', bytes, () => t.encode(value));
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    throw new FuzzFailure(
      t.name,
      'decoded but does not re-encode',
      `encode threw ${(e as WeftError)?.code ?? (e as Error)?.name}: ${(e as Error)?.message}`,
      hexOf(bytes),
    );
  }
  if (equalBytes(out, bytes)) return 'decoded';
  if (t.legacy?.(bytes) || t.json) {
    const again = t.encode(t.decode(out));
    if (equalBytes(again, out)) return 'decoded';
  }
  throw new FuzzFailure(
    t.name,
    're-encodes to other bytes',
    `re-encoded ${hexOf(out).slice(0, 200)}`,
    hexOf(bytes),
  );
}

// ---- inputs ------------------------------------------------------------------------------------

/** Length-field values worth writing over any u32 of an encoding. */
const LENGTHS = [
  0,
  1,
  2,
  31,
  32,
  33,
  64,
  255,
  256,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  CODEC_LENGTH_MAX,
  CODEC_LENGTH_MAX + 1,
  TX_BYTES_MAX,
  TX_BYTES_MAX + 1,
  PROOF_STEPS_MAX,
  PROOF_STEPS_MAX + 1,
];

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'extend'; bytes: Uint8Array }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; n: number }
  | { op: 'length'; at: number; value: number; delta: number }
  | { op: 'splice'; from: number; to: number; n: number }
  | { op: 'token'; at: number; token: number; insert: boolean };

/**
 * Byte strings a random flip rarely makes: a UTF-8 byte-order mark, invalid and overlong UTF-8,
 * an encoded surrogate, runs of 0x00 and 0xff, format and flag bytes, a u64 maximum.
 */
const TOKENS: Uint8Array[] = [
  [0xef, 0xbb, 0xbf],
  [0xc3, 0x28],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0x00, 0x00, 0x00, 0x00],
  [0xff, 0xff, 0xff, 0xff],
  [0x01],
  [0x02],
  [0x03],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x00, 0x00, 0x00, 0x01, 0x00],
].map((t) => Uint8Array.from(t));

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('extend' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('delete' as const),
      at: fc.nat(),
      n: fc.integer({ min: 1, max: 64 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('length' as const),
      at: fc.nat(),
      value: fc.oneof(fc.constantFrom(...LENGTHS), fc.nat()),
      delta: fc.integer({ min: -2, max: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('token' as const),
      at: fc.nat(),
      token: fc.nat(TOKENS.length - 1),
      insert: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('splice' as const),
      from: fc.nat(),
      to: fc.nat(),
      n: fc.integer({ min: 1, max: 200 }),
    }),
  },
);

const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Applies one mutation (positions taken modulo the length, so every mutation applies). */
export function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  const len = b.length;
  const pos = (at: number) => (len === 0 ? 0 : at % len);
  switch (m.op) {
    case 'flip': {
      if (len === 0) return b;
      const out = b.slice();
      out[pos(m.at)]! ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      if (len === 0) return b;
      const out = b.slice();
      out[pos(m.at)] = m.byte;
      return out;
    }
    case 'truncate':
      return b.slice(0, pos(m.at));
    case 'extend':
      return cat(b, m.bytes);
    case 'insert':
      return cat(b.subarray(0, pos(m.at)), m.bytes, b.subarray(pos(m.at)));
    case 'delete':
      return cat(b.subarray(0, pos(m.at)), b.subarray(pos(m.at) + m.n));
    case 'length': {
      // A u32 (most length prefixes) written over the bytes at `at`, or the value there nudged.
      if (len < 4) return b;
      const at = m.at % (len - 3);
      const out = b.slice();
      const view = new DataView(out.buffer);
      const value = m.delta !== 0 ? view.getUint32(at) + m.delta : m.value;
      view.setUint32(at, ((value % 2 ** 32) + 2 ** 32) % 2 ** 32);
      return out;
    }
    case 'token': {
      const token = TOKENS[m.token]!;
      if (m.insert) return cat(b.subarray(0, pos(m.at)), token, b.subarray(pos(m.at)));
      const out = b.slice();
      out.set(token.subarray(0, Math.max(0, len - pos(m.at))), pos(m.at));
      return out;
    }
    case 'splice': {
      // A chunk of the encoding repeated elsewhere: list items duplicated or moved.
      const chunk = b.subarray(pos(m.from), pos(m.from) + m.n);
      return cat(b.subarray(0, pos(m.to)), chunk, b.subarray(pos(m.to)));
    }
  }
}

/** Inputs for a target: random bytes, and one to four mutations of a valid encoding. */
export function inputArb(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: RANDOM_INPUT_BYTES_MAX });
  if (seeds.length === 0) return random;
  const mutated = fc
    .tuple(fc.nat(seeds.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
    .map(([i, ms]) => ms.reduce((b, m) => mutate(b, m), seeds[i]!));
  const valid = fc.nat(seeds.length - 1).map((i) => seeds[i]!);
  // A valid prefix with random bytes after a random cut: keeps the format byte, breaks what follows.
  const grafted = fc
    .tuple(fc.nat(seeds.length - 1), fc.nat(), fc.uint8Array({ maxLength: 64 }))
    .map(([i, at, tail]) => {
      const s = seeds[i]!;
      return cat(s.subarray(0, s.length === 0 ? 0 : at % s.length), tail);
    });
  return fc.oneof(
    { weight: 2, arbitrary: random },
    { weight: 12, arbitrary: mutated },
    { weight: 2, arbitrary: grafted },
    { weight: 1, arbitrary: valid },
  );
}

/** Every target must have a corpus: a missing one means the builder lost track of a decoder. */
export function seedsOf(corpus: Corpus, name: string): Uint8Array[] {
  const seeds = corpus[name];
  if (!seeds || seeds.length === 0) throw new Error(`the fuzz corpus has no valid ${name} encoding`);
  return seeds.map((s) => new Uint8Array(s));
}
