// Canonical encodings of the domain's inputs, statuses, blocks, signed headers and whole state:
// what transcripts and checkpoints are made of (docs/storage.md).
import {
  decodeAll,
  equalBytes,
  fromHex,
  type Reader,
  readPublicKey,
  toHex,
  toWeftErrorCode,
  WeftError,
  Writer,
  writePublicKey,
} from '../crypto/index.js';
import { decodeObjectState, encodeObjectState, ObjectDag } from '../scope/index.js';
import { decodeTransition, encodeTransition, type Write } from '../smt/index.js';
import { decodeTransaction, encodeTransaction, type SignatureResults, TX_BYTES_MAX } from '../tx/index.js';
import {
  type Header,
  headerHash,
  readHeader,
  readSignedHeader,
  readSignerSignatures,
  type SignedHeader,
  writeHeader,
  writeSignedHeader,
  writeSignerSignatures,
} from './header.js';
import { decodeKeySet, encodeKeySet, type KeySet } from './keyset.js';
import {
  type EquivocationEvidence,
  INVALID_BLOCK_REASON_BYTES_MAX,
  type InvalidBlockEvidence,
  type KnownHeader,
  type LearnedHeader,
  newRemoteView,
  type RecentHeader,
  type RemoteView,
  rootsOf,
  type VerificationMode,
  VIEW_KNOWS_DOMAINS_MAX,
  VIEW_MODES,
} from './remoteView.js';
import {
  type Block,
  type DomainInput,
  type DomainState,
  REINIT_BY_BYTES_MAX,
  type TxReads,
  type TxStatus,
} from './transition.js';

/**
 * Format 3 keeps each remote view whole — the one view sync acceptance and the transition share:
 * its name, mode, key set in force, last-advanced time, window of signed headers with the key set
 * that signed each, and its freeze with the evidence. Format 2 added retained headers (height,
 * state root, timestamp) and pending deadlines; formats 1 and 2 are still read, their views
 * keeping only their head, unsigned and without a key set (a node store of that age is refused
 * before its checkpoint is read: NODE_STORE_FORMAT).
 *
 * A format 3 state ends with `bytes dagSnapshot` when its object DAG holds anything (docs/scopes.md)
 * and ends without it when the DAG is empty, so states of domains that never ran a scoped
 * transaction encode exactly as before (and each state has one encoding).
 */
const STATE_FORMAT = 3;
const STATE_FORMAT_V2 = 2;
const STATE_FORMAT_V1 = 1;
const INPUT_SUBMIT = 1;
const INPUT_SEAL = 2;
const INPUT_REMOTE = 3;
const INPUT_KEYSET = 4;
const INPUT_PROVEN = 5;
const INPUT_FREEZE = 6;
const INPUT_REINIT = 7;
const INPUT_TRUST = 8;

/** Equivocation evidence's own format byte (docs/sync.md, "Equivocation"). */
export const EVIDENCE_FORMAT = 0x01;
/**
 * Invalid-block evidence's format byte (docs/sync.md, "Invalid blocks"): it shares the slot a
 * freeze keeps its evidence in, so stores and transcripts written before it read unchanged.
 */
export const INVALID_BLOCK_EVIDENCE_FORMAT = 0x02;
/** Most distinct key sets one view's window may refer to in a checkpoint. */
const VIEW_KEYSETS_MAX = 1 << 16;
/** A submit whose read set also names refused nullifiers (`0x06 || nf` held): kind 1, then that list. */
const INPUT_SUBMIT_REFUSED = 9;
/**
 * A seal with the object reads of its scoped transactions; a seal without is INPUT_SEAL, as before.
 * Numbered after the kinds integ's refusals and trust inputs took (8, 9).
 */
const INPUT_SEAL_SCOPED = 10;
/**
 * A submission whose reads also name remote-header records not at their view's head (a view only
 * trusted: `TxReads.remoteRecords`), after the refused nullifiers (written even when empty). Its
 * own kind, so that transcripts written before it decode unchanged.
 */
const INPUT_SUBMIT_RECORDS = 11;
/** Most bytes of one DAG snapshot in a state. */
const DAG_BYTES = 256 * 1024 * 1024;

/** Bounds on what one encoded input, block or state may hold. */
export const LIST_MAX = 1 << 20;
const KEY_BYTES = 1024;
const VALUE_BYTES = 1024 * 1024;
const TEXT_BYTES = 4096;
const TRANSITION_BYTES = 64 * 1024 * 1024;
const KEYSET_BYTES = 4096;

const hexKey = (b: Uint8Array) => toHex(b).slice(2);

const MODE_CODES: readonly (VerificationMode | null)[] = [null, ...VIEW_MODES];

function writeMode(w: Writer, mode: VerificationMode | null | undefined): void {
  w.u8(MODE_CODES.indexOf(mode ?? null));
}

function readMode(r: Reader): VerificationMode | null {
  const code = r.u8();
  if (code >= MODE_CODES.length) throw new WeftError('CODEC', `unknown verification mode ${code}`);
  return MODE_CODES[code]!;
}

function writeOptKeySet(w: Writer, ks: KeySet | null | undefined): void {
  w.bool(ks !== undefined && ks !== null);
  if (ks) w.bytes(encodeKeySet(ks), KEYSET_BYTES);
}

function readOptKeySet(r: Reader): KeySet | undefined {
  return r.bool() ? decodeKeySet(r.bytes(KEYSET_BYTES)) : undefined;
}

function writeOptU64(w: Writer, v: bigint | undefined): void {
  w.bool(v !== undefined);
  if (v !== undefined) w.u64(v);
}

/** u8 format || domainId 32 || signed header a || signed header b. */
export function writeEquivocationEvidence(w: Writer, e: EquivocationEvidence): void {
  w.u8(EVIDENCE_FORMAT).fixed(e.domainId, 32);
  writeSignedHeader(w, e.a);
  writeSignedHeader(w, e.b);
}

/** The evidence slot of a freeze: absent, equivocation evidence, or invalid-block evidence. */
function writeFreezeEvidence(
  w: Writer,
  evidence: EquivocationEvidence | null | undefined,
  invalidBlock: InvalidBlockEvidence | undefined,
): void {
  if (evidence) {
    w.bool(true);
    writeEquivocationEvidence(w, evidence);
  } else if (invalidBlock) {
    w.bool(true).u8(INVALID_BLOCK_EVIDENCE_FORMAT).fixed(invalidBlock.domainId, 32);
    writeSignedHeader(w, invalidBlock.signed);
    w.fixed(invalidBlock.updateHash, 32).text(invalidBlock.reason, INVALID_BLOCK_REASON_BYTES_MAX);
  } else {
    w.bool(false);
  }
}

function readFreezeEvidence(r: Reader): {
  evidence?: EquivocationEvidence;
  invalidBlock?: InvalidBlockEvidence;
} {
  if (!r.bool()) return {};
  const format = r.u8();
  if (format === INVALID_BLOCK_EVIDENCE_FORMAT) {
    const domainId = r.fixed(32).slice();
    const signed = readSignedHeader(r);
    const updateHash = r.fixed(32).slice();
    const reason = r.text(INVALID_BLOCK_REASON_BYTES_MAX);
    return { invalidBlock: { domainId, signed, updateHash, reason } };
  }
  return { evidence: readEquivocationAfterFormat(r, format) };
}

export function readEquivocationEvidence(r: Reader): EquivocationEvidence {
  return readEquivocationAfterFormat(r, r.u8());
}

function readEquivocationAfterFormat(r: Reader, format: number): EquivocationEvidence {
  if (format !== EVIDENCE_FORMAT)
    throw new WeftError('CODEC', `unknown equivocation evidence format ${format}`);
  const domainId = r.fixed(32).slice();
  const a = readSignedHeader(r);
  const b = readSignedHeader(r);
  return { domainId, a, b };
}
const fromKey = (k: string) => fromHex(`0x${k}`, 32);

function writeText(w: Writer, s: string): void {
  w.text(s, TEXT_BYTES);
}

function readText(r: Reader): string {
  return r.text(TEXT_BYTES);
}

function writeWrites(w: Writer, writes: Write[]): void {
  w.list(writes, LIST_MAX, (w, x) => {
    w.bytes(x.key, KEY_BYTES).bool(x.value !== null);
    if (x.value !== null) w.bytes(x.value, VALUE_BYTES);
  });
}

function readWrites(r: Reader): Write[] {
  return r.list(LIST_MAX, (r) => {
    const key = r.bytes(KEY_BYTES).slice();
    return { key, value: r.bool() ? r.bytes(VALUE_BYTES).slice() : null };
  });
}

// ---- inputs ---------------------------------------------------------------------------------

export function encodeInput(input: DomainInput): Uint8Array {
  const w = new Writer(1024);
  switch (input.type) {
    case 'submit': {
      const refused = input.reads.refusedNullifiers ?? [];
      const records = input.reads.remoteRecords ?? [];
      const kind =
        records.length > 0 ? INPUT_SUBMIT_RECORDS : refused.length > 0 ? INPUT_SUBMIT_REFUSED : INPUT_SUBMIT;
      w.u8(kind).bytes(encodeTransaction(input.tx), TX_BYTES_MAX);
      w.list(input.reads.spentNullifiers, LIST_MAX, (w, k) => w.fixed(fromKey(k), 32));
      w.list(input.reads.existingCommitments, LIST_MAX, (w, k) => w.fixed(fromKey(k), 32));
      w.bool(input.reads.includedAt !== undefined);
      if (input.reads.includedAt !== undefined) w.u64(input.reads.includedAt);
      const sr = input.signatureResults;
      w.bool(sr !== undefined);
      if (sr)
        w.fixed(sr.txId, 32)
          .fixed(sr.witness, 32)
          .list(sr.valid, 1024, (w, v) => w.bool(v));
      if (refused.length > 0 || records.length > 0)
        w.list(refused, LIST_MAX, (w, k) => w.fixed(fromKey(k), 32));
      if (records.length > 0) {
        w.list(records, LIST_MAX, (w, rec) => {
          w.fixed(fromKey(rec.domainId), 32).bool(rec.height !== null);
          if (rec.height !== null) w.u64(rec.height);
        });
      }
      break;
    }
    case 'seal':
      w.u8(input.objects ? INPUT_SEAL_SCOPED : INPUT_SEAL)
        .u64(input.timestamp)
        .fixed(input.stateRoot, 32);
      w.bytes(encodeTransition(input.transition), TRANSITION_BYTES);
      if (input.objects) {
        w.list(input.objects, LIST_MAX, (w, o) => {
          w.fixed(o.object, 32).bool(o.state !== null);
          if (o.state !== null) w.bytes(encodeObjectState(o.state), VALUE_BYTES);
        });
      }
      break;
    case 'acceptRemoteHeader':
      w.u8(INPUT_REMOTE);
      writeHeader(w, input.header);
      w.bool(input.signatures !== undefined);
      if (input.signatures) writeSignerSignatures(w, input.signatures);
      writeOptKeySet(w, input.keySet);
      writeMode(w, input.mode);
      writeOptU64(w, input.atMs);
      w.bool(input.learned !== undefined);
      if (input.learned) writeLearned(w, input.learned);
      break;
    case 'trustRemote':
      w.u8(INPUT_TRUST);
      writeSignedHeader(w, input.signed);
      w.bytes(encodeKeySet(input.keySet), KEYSET_BYTES);
      writeOptKeySet(w, input.signedBy);
      writeMode(w, input.mode);
      w.bool(input.name !== undefined);
      if (input.name !== undefined) w.text(input.name, REINIT_BY_BYTES_MAX);
      w.u64(input.atMs);
      break;
    case 'changeKeySet':
      w.u8(INPUT_KEYSET).bytes(encodeKeySet(input.keySet), KEYSET_BYTES);
      writeSignerSignatures(w, input.approvals);
      break;
    case 'markProven':
      w.u8(INPUT_PROVEN).u64(input.height);
      break;
    case 'freezeRemote':
      w.u8(INPUT_FREEZE).fixed(input.domainId, 32).u64(input.fromHeight);
      writeFreezeEvidence(w, input.evidence, input.invalidBlock);
      break;
    case 'reinitRemote':
      w.u8(INPUT_REINIT).fixed(input.domainId, 32);
      writeHeader(w, input.header);
      w.text(input.by, REINIT_BY_BYTES_MAX).fixed(input.evidence, 32);
      w.bool(input.signatures !== undefined);
      if (input.signatures) writeSignerSignatures(w, input.signatures);
      writeOptKeySet(w, input.keySet);
      writeOptU64(w, input.atMs);
      break;
  }
  return w.finish();
}

export function decodeInput(bytes: Uint8Array): DomainInput {
  return decodeAll(bytes, (r): DomainInput => {
    const kind = r.u8();
    switch (kind) {
      case INPUT_SUBMIT:
      case INPUT_SUBMIT_REFUSED:
      case INPUT_SUBMIT_RECORDS: {
        const tx = decodeTransaction(r.bytes(TX_BYTES_MAX));
        const spentNullifiers = r.list(LIST_MAX, (r) => hexKey(r.fixed(32)));
        const existingCommitments = r.list(LIST_MAX, (r) => hexKey(r.fixed(32)));
        const reads: TxReads = { spentNullifiers, existingCommitments };
        if (r.bool()) reads.includedAt = r.u64();
        const input: DomainInput = { type: 'submit', tx, reads };
        if (r.bool()) {
          const signatureResults: SignatureResults = {
            txId: r.fixed(32).slice(),
            witness: r.fixed(32).slice(),
            valid: r.list(1024, (r) => r.bool()),
          };
          input.signatureResults = signatureResults;
        }
        if (kind === INPUT_SUBMIT_REFUSED) {
          // Written only when not empty, so that each read set has one encoding.
          const refused = r.list(LIST_MAX, (r) => hexKey(r.fixed(32)));
          if (refused.length === 0) throw new WeftError('CODEC', 'an empty refused-nullifier list');
          reads.refusedNullifiers = refused;
        }
        if (kind === INPUT_SUBMIT_RECORDS) {
          const refused = r.list(LIST_MAX, (r) => hexKey(r.fixed(32)));
          if (refused.length > 0) reads.refusedNullifiers = refused;
          const records = r.list(LIST_MAX, (r) => {
            const domainId = hexKey(r.fixed(32));
            return { domainId, height: r.bool() ? r.u64() : null };
          });
          if (records.length === 0) throw new WeftError('CODEC', 'an empty remote-record list');
          reads.remoteRecords = records;
        }
        return input;
      }
      case INPUT_SEAL:
        return {
          type: 'seal',
          timestamp: r.u64(),
          stateRoot: r.fixed(32).slice(),
          transition: decodeTransition(r.bytes(TRANSITION_BYTES)),
        };
      case INPUT_REMOTE: {
        const input: DomainInput = { type: 'acceptRemoteHeader', header: readHeader(r) };
        if (r.bool()) input.signatures = readSignerSignatures(r);
        const keySet = readOptKeySet(r);
        if (keySet) input.keySet = keySet;
        const mode = readMode(r);
        if (mode !== null) input.mode = mode;
        if (r.bool()) input.atMs = r.u64();
        if (r.bool()) input.learned = readLearned(r);
        return input;
      }
      case INPUT_TRUST: {
        const signed = readSignedHeader(r);
        const keySet = decodeKeySet(r.bytes(KEYSET_BYTES));
        const signedBy = readOptKeySet(r);
        const mode = readMode(r);
        if (mode === null) throw new WeftError('CODEC', 'a trustRemote input needs a mode');
        const name = r.bool() ? readName(r) : undefined;
        const input: DomainInput = { type: 'trustRemote', signed, keySet, mode, atMs: 0n };
        if (signedBy) input.signedBy = signedBy;
        if (name !== undefined) input.name = name;
        input.atMs = r.u64();
        return input;
      }
      case INPUT_SEAL_SCOPED:
        return {
          type: 'seal',
          timestamp: r.u64(),
          stateRoot: r.fixed(32).slice(),
          transition: decodeTransition(r.bytes(TRANSITION_BYTES)),
          objects: r.list(LIST_MAX, (r) => {
            const object = r.fixed(32).slice();
            return { object, state: r.bool() ? decodeObjectState(r.bytes(VALUE_BYTES)) : null };
          }),
        };
      case INPUT_KEYSET:
        return {
          type: 'changeKeySet',
          keySet: decodeKeySet(r.bytes(KEYSET_BYTES)),
          approvals: readSignerSignatures(r),
        };
      case INPUT_PROVEN:
        return { type: 'markProven', height: r.u64() };
      case INPUT_FREEZE: {
        const input: DomainInput = {
          type: 'freezeRemote',
          domainId: r.fixed(32).slice(),
          fromHeight: r.u64(),
        };
        Object.assign(input, readFreezeEvidence(r));
        return input;
      }
      case INPUT_REINIT: {
        const input: DomainInput = {
          type: 'reinitRemote',
          domainId: r.fixed(32).slice(),
          header: readHeader(r),
          by: r.text(REINIT_BY_BYTES_MAX),
          evidence: r.fixed(32).slice(),
        };
        if (r.bool()) input.signatures = readSignerSignatures(r);
        const keySet = readOptKeySet(r);
        if (keySet) input.keySet = keySet;
        if (r.bool()) input.atMs = r.u64();
        return input;
      }
      default:
        throw new WeftError('CODEC', `unknown domain input kind ${kind}`);
    }
  });
}

/** A short name (an operator's, a remote's): at most REINIT_BY_BYTES_MAX UTF-8 bytes. */
function readName(r: Reader): string {
  return r.text(REINIT_BY_BYTES_MAX);
}

// ---- statuses, signed headers, blocks ---------------------------------------------------------

export function writeStatus(w: Writer, s: TxStatus): void {
  switch (s.status) {
    case 'pending':
      w.u8(0).u64(s.sinceHeight);
      break;
    case 'included':
      w.u8(1).u64(s.height).u32(s.batch).u32(s.index);
      break;
    case 'rejected':
      w.u8(2);
      writeText(w, s.code);
      writeText(w, s.reason);
      break;
    case 'evicted':
      w.u8(3);
      writeText(w, s.code);
      writeText(w, s.reason);
      break;
  }
}

export function readStatus(r: Reader): TxStatus {
  const kind = r.u8();
  switch (kind) {
    case 0:
      return { status: 'pending', sinceHeight: r.u64() };
    case 1:
      return { status: 'included', height: r.u64(), batch: r.u32(), index: r.u32() };
    case 2:
      return { status: 'rejected', code: toWeftErrorCode(readText(r)), reason: readText(r) };
    case 3:
      return { status: 'evicted', code: toWeftErrorCode(readText(r)), reason: readText(r) };
    default:
      throw new WeftError('CODEC', `unknown transaction status kind ${kind}`);
  }
}

export function encodeStatus(s: TxStatus): Uint8Array {
  const w = new Writer(64);
  writeStatus(w, s);
  return w.finish();
}

export function decodeStatus(bytes: Uint8Array): TxStatus {
  return decodeAll(bytes, readStatus);
}

export function encodeBlock(b: Block): Uint8Array {
  const w = new Writer(4096);
  writeHeader(w, b.header);
  w.list(b.batches, LIST_MAX, (w, batch) => w.list(batch, LIST_MAX, (w, id) => w.fixed(id, 32)));
  w.list(b.txs, LIST_MAX, (w, tx) => w.bytes(encodeTransaction(tx), TX_BYTES_MAX));
  writeWrites(w, b.writes);
  w.bytes(encodeTransition(b.transition), TRANSITION_BYTES);
  // What follows the transition is there only when it is needed, so blocks stored before refusals
  // or scopes existed read unchanged and each block keeps one encoding: the refused claims (a
  // non-empty list), then, for a block with scoped transactions, the scope's proven height — with
  // an empty refused list before it when the block refused nothing, so the two never read alike.
  const refused = b.refused ?? [];
  if (refused.length > 0 || b.scopeProvenHeight !== undefined)
    w.list(refused, LIST_MAX, (w, tx) => w.bytes(encodeTransaction(tx), TX_BYTES_MAX));
  if (b.scopeProvenHeight !== undefined) w.u64(b.scopeProvenHeight);
  return w.finish();
}

export function decodeBlock(bytes: Uint8Array): Block {
  return decodeAll(bytes, (r): Block => {
    const block: Block = {
      header: readHeader(r),
      batches: r.list(LIST_MAX, (r) => r.list(LIST_MAX, (r) => r.fixed(32).slice())),
      txs: r.list(LIST_MAX, (r) => decodeTransaction(r.bytes(TX_BYTES_MAX))),
      writes: readWrites(r),
      transition: decodeTransition(r.bytes(TRANSITION_BYTES)),
    };
    if (r.remaining === 0) return block;
    const refused = r.list(LIST_MAX, (r) => decodeTransaction(r.bytes(TX_BYTES_MAX)));
    if (r.remaining > 0) block.scopeProvenHeight = r.u64();
    else if (refused.length === 0) throw new WeftError('CODEC', 'an empty list of refused claims');
    if (refused.length > 0) block.refused = refused;
    return block;
  });
}

// ---- the whole state (checkpoints) ------------------------------------------------------------

function writeRoots(w: Writer, roots: Map<string, bigint>): void {
  w.list([...roots], LIST_MAX, (w, [k, h]) => w.fixed(fromKey(k), 32).u64(h));
}

/**
 * A map from a list of entries. A key twice would collapse into one entry, and the state would
 * re-encode to other bytes: refused.
 */
function uniqueMap<V>(entries: [string, V][], what: string): Map<string, V> {
  const map = new Map(entries);
  if (map.size !== entries.length) throw new WeftError('CODEC', `the state lists a ${what} twice`);
  return map;
}

function readRoots(r: Reader): Map<string, bigint> {
  return uniqueMap(
    r.list(LIST_MAX, (r) => [hexKey(r.fixed(32)), r.u64()] as [string, bigint]),
    'remote root',
  );
}

/** Legacy (format 2) retained headers: height, state root, timestamp; only read, then dropped. */
function skipRemoteHeaders(r: Reader): void {
  r.list(LIST_MAX, (r) => {
    r.u64();
    r.fixed(32);
    r.u64();
  });
}

/**
 * One remote view: name, mode, key set in force, window size, last-advanced time, the distinct
 * key sets its window refers to, the window (each signed header with the index + 1 of the set
 * that signed it, 0 for none), then the freeze. The head is the window's last header and the
 * anchors index is derived from the window (`rootsOf`), so neither is written.
 */
function writeRemoteView(w: Writer, v: RemoteView): void {
  w.fixed(v.domainId, 32).bool(v.name !== undefined);
  if (v.name !== undefined) w.text(v.name, REINIT_BY_BYTES_MAX);
  writeMode(w, v.mode);
  writeOptKeySet(w, v.keySet);
  w.u32(v.recentMax).u64(v.advancedAtMs);
  // Key sets are listed once each by their bytes, not by object: the same set reached by two
  // paths (live, or replayed from the transcript) must encode the same, or a checkpoint would
  // differ from its replay.
  const sets: Uint8Array[] = [];
  const index = new Map<string, number>();
  const slot = (ks: KeySet): number => {
    const bytes = encodeKeySet(ks);
    const k = hexKey(bytes);
    let i = index.get(k);
    if (i === undefined) {
      i = sets.length;
      index.set(k, i);
      sets.push(bytes);
    }
    return i;
  };
  const slots = [...v.recent.values()].map((e) => (e.signedBy === null ? 0 : slot(e.signedBy) + 1));
  w.list(sets, VIEW_KEYSETS_MAX, (w, b) => w.bytes(b, KEYSET_BYTES));
  const entries = [...v.recent.values()].map((e, i) => ({ signed: e.signed, slot: slots[i]! }));
  w.list(entries, LIST_MAX, (w, e) => {
    writeSignedHeader(w, e.signed);
    w.u32(e.slot);
  });
  w.bool(v.frozen !== null);
  if (v.frozen !== null) {
    w.u64(v.frozen.fromHeight);
    writeFreezeEvidence(w, v.frozen.evidence, v.frozen.invalidBlock);
  }
  w.list([...v.knows], VIEW_KNOWS_DOMAINS_MAX, (w, [k, m]) => {
    w.fixed(fromKey(k), 32);
    w.list([...m.values()], LIST_MAX, (w, e) =>
      w.u64(e.height).fixed(e.stateRoot, 32).u64(e.timestamp).u64(e.at),
    );
  });
}

function writeLearned(w: Writer, learned: readonly LearnedHeader[]): void {
  w.list([...learned], LIST_MAX, (w, l) =>
    w.fixed(l.domainId, 32).u64(l.height).fixed(l.stateRoot, 32).u64(l.timestamp),
  );
}

function readLearned(r: Reader): LearnedHeader[] {
  return r.list(LIST_MAX, (r) => ({
    domainId: r.fixed(32).slice(),
    height: r.u64(),
    stateRoot: r.fixed(32).slice(),
    timestamp: r.u64(),
  }));
}

function readRemoteView(r: Reader): RemoteView {
  const domainId = r.fixed(32).slice();
  const name = r.bool() ? readName(r) : undefined;
  const mode = readMode(r);
  const keySet = readOptKeySet(r) ?? null;
  const recentMax = r.u32();
  const advancedAtMs = r.u64();
  const sets = r.list(VIEW_KEYSETS_MAX, (r) => decodeKeySet(r.bytes(KEYSET_BYTES)));
  const recent = new Map<bigint, RecentHeader>();
  let last = -1n;
  for (const [signed, by] of r.list(
    LIST_MAX,
    (r) => [readSignedHeader(r), r.u32()] as [SignedHeader, number],
  )) {
    const h = signed.header.height;
    if (h <= last) throw new WeftError('CODEC', "a remote view's headers are not in ascending height order");
    if (!equalBytes(signed.header.domain, domainId))
      throw new WeftError('CODEC', "a remote view holds another domain's header");
    if (by > sets.length)
      throw new WeftError('CODEC', 'a remote header names a key set the view does not hold');
    last = h;
    recent.set(h, {
      height: h,
      headerHash: headerHash(signed.header),
      stateRoot: signed.header.stateRoot,
      timestamp: signed.header.timestamp,
      signed,
      signedBy: by === 0 ? null : sets[by - 1]!,
    });
  }
  const head = [...recent.values()].pop();
  if (head === undefined) throw new WeftError('CODEC', 'a remote view holds no header');
  if (recentMax < 1 || recent.size > recentMax)
    throw new WeftError('CODEC', 'a remote view holds more headers than its window');
  let frozen: RemoteView['frozen'] = null;
  if (r.bool()) {
    const fromHeight = r.u64();
    const { evidence, invalidBlock } = readFreezeEvidence(r);
    frozen = { fromHeight, evidence: evidence ?? null, ...(invalidBlock ? { invalidBlock } : {}) };
  }
  const knows = new Map<string, Map<bigint, KnownHeader>>();
  for (const [k, entries] of r.list(
    VIEW_KNOWS_DOMAINS_MAX,
    (r) =>
      [
        hexKey(r.fixed(32)),
        r.list(LIST_MAX, (r) => ({
          height: r.u64(),
          stateRoot: r.fixed(32).slice(),
          timestamp: r.u64(),
          at: r.u64(),
        })),
      ] as [string, KnownHeader[]],
  )) {
    knows.set(k, new Map(entries.map((e) => [e.height, e])));
  }
  const view: RemoteView = {
    domainId,
    mode,
    keySet,
    head: head.signed,
    headHash: head.headerHash,
    recent,
    recentMax,
    roots: rootsOf(recent),
    frozen,
    advancedAtMs,
    knows,
  };
  return name === undefined ? view : { ...view, name };
}

/** A format-1 or -2 view: its head only, unsigned, keyless, frozen as it was. */
function readLegacyRemoteView(r: Reader, v1: boolean, remoteRootsMax: number): RemoteView {
  r.fixed(32);
  const header = readHeader(r);
  r.fixed(32);
  readRoots(r);
  if (!v1) skipRemoteHeaders(r);
  const view = newRemoteView({
    signed: { header, signatures: [] },
    keySet: null,
    signedBy: null,
    mode: null,
    recentMax: remoteRootsMax,
    atMs: 0n,
  });
  return r.bool() ? { ...view, frozen: { fromHeight: r.u64(), evidence: null } } : view;
}

/**
 * The state as bytes. Pending-nullifier and pending-commitment sets are not stored: they are
 * the mempool's, and are rebuilt on decode.
 */
export function encodeState(s: DomainState): Uint8Array {
  const w = new Writer(64 * 1024);
  const c = s.config;
  w.u8(STATE_FORMAT);
  writeText(w, c.name);
  w.fixed(c.domainId, 32)
    .u32(c.batchTxsMax)
    .u32(c.blockBatchesMax)
    .u32(c.mempoolTxsMax)
    .u32(c.anchorWindow)
    .u32(c.mempoolTtlBlocks)
    .u32(c.remoteRootsMax);
  w.bytes(encodeKeySet(s.keySet), KEYSET_BYTES).bool(s.nextKeySet !== null);
  if (s.nextKeySet) w.bytes(encodeKeySet(s.nextKeySet), KEYSET_BYTES);
  w.u64(s.height);
  writeHeader(w, s.head);
  w.fixed(s.headHash, 32).u64(s.provenHeight);
  writeRoots(w, s.recentRoots);
  w.list([...s.remotes.values()], LIST_MAX, writeRemoteView);
  w.list(s.mempool, LIST_MAX, (w, p) => {
    w.bytes(encodeTransaction(p.tx), TX_BYTES_MAX).u64(p.sinceHeight);
    w.fixed(p.effects.id, 32);
    w.list(p.effects.nullifiers, 1024, (w, x) => w.fixed(x, 32));
    w.list(p.effects.commitments, 1024, (w, x) => w.fixed(x, 32));
    w.list(p.effects.signers, 1024, writePublicKey);
    w.bool(p.effects.deadline !== null);
    if (p.effects.deadline !== null) w.u64(p.effects.deadline);
  });
  w.list([...s.statuses], LIST_MAX, (w, [k, st]) => {
    w.fixed(fromKey(k), 32);
    writeStatus(w, st);
  });
  writeWrites(w, s.queuedWrites);
  if (!s.objects.isEmpty()) w.bytes(s.objects.snapshot(), DAG_BYTES);
  return w.finish();
}

export function decodeState(bytes: Uint8Array): DomainState {
  return decodeAll(bytes, (r): DomainState => {
    const format = r.u8();
    if (format !== STATE_FORMAT && format !== STATE_FORMAT_V2 && format !== STATE_FORMAT_V1)
      throw new WeftError('STORE_FORMAT', `unknown domain state format ${format}`);
    const v1 = format === STATE_FORMAT_V1;
    const name = readText(r);
    const config = {
      name,
      domainId: r.fixed(32).slice(),
      batchTxsMax: r.u32(),
      blockBatchesMax: r.u32(),
      mempoolTxsMax: r.u32(),
      anchorWindow: r.u32(),
      mempoolTtlBlocks: r.u32(),
      remoteRootsMax: r.u32(),
    };
    const keySet = decodeKeySet(r.bytes(KEYSET_BYTES));
    const nextKeySet = r.bool() ? decodeKeySet(r.bytes(KEYSET_BYTES)) : null;
    const height = r.u64();
    const head: Header = readHeader(r);
    const headHash = r.fixed(32).slice();
    const provenHeight = r.u64();
    const recentRoots = readRoots(r);
    const views = r.list(LIST_MAX, (r) =>
      format === STATE_FORMAT ? readRemoteView(r) : readLegacyRemoteView(r, v1, config.remoteRootsMax),
    );
    const remotes = uniqueMap(
      views.map((v) => [hexKey(v.domainId), v] as [string, RemoteView]),
      'remote view',
    );
    const mempool = r.list(LIST_MAX, (r) => {
      const tx = decodeTransaction(r.bytes(TX_BYTES_MAX));
      const sinceHeight = r.u64();
      const id = r.fixed(32).slice();
      const nullifiers = r.list(1024, (r) => r.fixed(32).slice());
      const commitments = r.list(1024, (r) => r.fixed(32).slice());
      const signers = r.list(1024, readPublicKey);
      const deadline = !v1 && r.bool() ? r.u64() : null;
      return {
        id,
        key: hexKey(id),
        tx,
        sinceHeight,
        effects: { id, nullifiers, commitments, signers, deadline },
      };
    });
    const statuses = uniqueMap(
      r.list(LIST_MAX, (r) => [hexKey(r.fixed(32)), readStatus(r)] as [string, TxStatus]),
      'transaction status',
    );
    const queuedWrites = readWrites(r);
    const objects =
      r.remaining > 0 && format === STATE_FORMAT ? ObjectDag.restore(r.bytes(DAG_BYTES)) : new ObjectDag();
    if (r.remaining === 0 && objects.isEmpty()) objects.advanceProven(provenHeight);
    else if (objects.isEmpty())
      throw new WeftError('CODEC', 'an empty object DAG is left out of a state, not encoded');
    const pendingNullifiers = new Set<string>();
    const pendingCommitments = new Set<string>();
    for (const p of mempool) {
      for (const nf of p.effects.nullifiers) pendingNullifiers.add(hexKey(nf));
      for (const cm of p.effects.commitments) pendingCommitments.add(hexKey(cm));
    }
    return {
      config,
      keySet,
      nextKeySet,
      height,
      head,
      headHash,
      provenHeight,
      recentRoots,
      remotes,
      mempool,
      pendingNullifiers,
      pendingCommitments,
      statuses,
      queuedWrites,
      objects,
    };
  });
}
