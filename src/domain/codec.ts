// Canonical encodings of the domain's inputs, statuses, blocks, signed headers and whole state:
// what transcripts and checkpoints are made of (docs/storage.md).
import {
  decodeAll,
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
  readHeader,
  readSignerSignatures,
  writeHeader,
  writeSignerSignatures,
} from './header.js';
import { decodeKeySet, encodeKeySet } from './keyset.js';
import {
  type Block,
  type DomainInput,
  type DomainState,
  REINIT_BY_BYTES_MAX,
  type RecordedRemote,
  type RemoteHeaderEntry,
  type TxReads,
  type TxStatus,
} from './transition.js';

/**
 * A format 2 state ends with `bytes dagSnapshot` when its object DAG holds anything (docs/scopes.md)
 * and ends without it when the DAG is empty, so states of domains that never ran a scoped
 * transaction encode exactly as before (and each state has one encoding).
 * Format 2 added each remote view's retained headers (height, state root, timestamp) and each
 * pending transaction's deadline. Format 1 is still read: its views retain only their head (the
 * only header whose timestamp it kept), and its pending transactions have no deadline (no value
 * could carry one then).
 */
const STATE_FORMAT = 2;
const STATE_FORMAT_V1 = 1;
const INPUT_SUBMIT = 1;
const INPUT_SEAL = 2;
const INPUT_REMOTE = 3;
const INPUT_KEYSET = 4;
const INPUT_PROVEN = 5;
const INPUT_FREEZE = 6;
const INPUT_REINIT = 7;
/** A seal with the object reads of its scoped transactions; a seal without is INPUT_SEAL, as before. */
const INPUT_SEAL_SCOPED = 8;
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
      w.u8(INPUT_SUBMIT).bytes(encodeTransaction(input.tx), TX_BYTES_MAX);
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
      break;
    case 'reinitRemote':
      w.u8(INPUT_REINIT).fixed(input.domainId, 32);
      writeHeader(w, input.header);
      w.text(input.by, REINIT_BY_BYTES_MAX).fixed(input.evidence, 32);
      break;
  }
  return w.finish();
}

export function decodeInput(bytes: Uint8Array): DomainInput {
  return decodeAll(bytes, (r): DomainInput => {
    const kind = r.u8();
    switch (kind) {
      case INPUT_SUBMIT: {
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
        return input;
      }
      case INPUT_SEAL:
        return {
          type: 'seal',
          timestamp: r.u64(),
          stateRoot: r.fixed(32).slice(),
          transition: decodeTransition(r.bytes(TRANSITION_BYTES)),
        };
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
      case INPUT_REMOTE:
        return { type: 'acceptRemoteHeader', header: readHeader(r) };
      case INPUT_KEYSET:
        return {
          type: 'changeKeySet',
          keySet: decodeKeySet(r.bytes(KEYSET_BYTES)),
          approvals: readSignerSignatures(r),
        };
      case INPUT_PROVEN:
        return { type: 'markProven', height: r.u64() };
      case INPUT_FREEZE:
        return { type: 'freezeRemote', domainId: r.fixed(32).slice(), fromHeight: r.u64() };
      case INPUT_REINIT:
        return {
          type: 'reinitRemote',
          domainId: r.fixed(32).slice(),
          header: readHeader(r),
          by: r.text(REINIT_BY_BYTES_MAX),
          evidence: r.fixed(32).slice(),
        };
      default:
        throw new WeftError('CODEC', `unknown domain input kind ${kind}`);
    }
  });
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
  // Only blocks with scoped transactions carry it: every other block encodes as before.
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
    if (r.remaining > 0) block.scopeProvenHeight = r.u64();
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

function writeRemoteHeaders(w: Writer, headers: Map<bigint, RemoteHeaderEntry>): void {
  w.list([...headers.values()], LIST_MAX, (w, e) => w.u64(e.height).fixed(e.stateRoot, 32).u64(e.timestamp));
}

/** Retained remote headers; strictly ascending heights, as `apply` keeps them. */
function readRemoteHeaders(r: Reader): Map<bigint, RemoteHeaderEntry> {
  const headers = new Map<bigint, RemoteHeaderEntry>();
  let last = -1n;
  for (const e of r.list(LIST_MAX, (r) => ({
    height: r.u64(),
    stateRoot: r.fixed(32).slice(),
    timestamp: r.u64(),
  }))) {
    if (e.height <= last) throw new WeftError('CODEC', 'remote headers are not in ascending height order');
    last = e.height;
    headers.set(e.height, e);
  }
  return headers;
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
  w.list([...s.remotes.values()], LIST_MAX, (w, v: RecordedRemote) => {
    w.fixed(v.domainId, 32);
    writeHeader(w, v.header);
    w.fixed(v.headerHash, 32);
    writeRoots(w, v.roots);
    writeRemoteHeaders(w, v.headers);
    w.bool(v.frozenFrom !== undefined);
    if (v.frozenFrom !== undefined) w.u64(v.frozenFrom);
  });
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
    if (format !== STATE_FORMAT && format !== STATE_FORMAT_V1)
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
    const views = r.list(LIST_MAX, (r) => {
      const domainId = r.fixed(32).slice();
      const header = readHeader(r);
      const headerHash = r.fixed(32).slice();
      const roots = readRoots(r);
      const headers = v1 ? new Map<bigint, RemoteHeaderEntry>() : readRemoteHeaders(r);
      const view: RecordedRemote = { domainId, header, headerHash, roots, headers };
      if (r.bool()) view.frozenFrom = r.u64();
      if (v1 && (view.frozenFrom === undefined || header.height < view.frozenFrom)) {
        headers.set(header.height, {
          height: header.height,
          stateRoot: header.stateRoot,
          timestamp: header.timestamp,
        });
      }
      return view;
    });
    const remotes = uniqueMap(
      views.map((v) => [hexKey(v.domainId), v] as [string, RecordedRemote]),
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
    const objects = r.remaining > 0 && !v1 ? ObjectDag.restore(r.bytes(DAG_BYTES)) : new ObjectDag();
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
