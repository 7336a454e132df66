// Root updates: the sync message. A domain's signed header, the writes its block made and the
// transition proof from the previous state root, optionally the block's transactions, and (when
// the block changed the key set) a proof of the new set under the new root. Built from a sealed
// block; encoded canonically so it can travel over any transport (docs/sync.md).
import {
  check,
  ENCODED_PUBLIC_KEY_BYTES_MAX,
  equalBytes,
  Reader,
  WeftError,
  Writer,
} from '../crypto/index.js';
import {
  type Block,
  decodeKeySet,
  encodeKeySet,
  headerHash,
  KEYSET_KEYS_MAX,
  KEYSET_TREE_KEY,
  type KeySet,
  type RemoteView,
  type SignedHeader,
} from '../domain/index.js';
import {
  decodeProof,
  decodeTransition,
  encodeProof,
  encodeTransition,
  KEY_BYTES_MAX,
  type Proof,
  type TransitionProof,
  VALUE_BYTES_MAX,
  verifyProof,
  type Write,
} from '../smt/index.js';
import { decodeTransaction, encodeTransaction, type Transaction, TX_BYTES_MAX } from '../tx/index.js';
import {
  ROOT_UPDATE_BYTES_MAX,
  ROOT_UPDATE_TXS_MAX,
  ROOT_UPDATE_WRITES_MAX,
  SINGLE_PROOF_BYTES_MAX,
  TRANSITION_BYTES_MAX,
} from './limits.js';
import { remoteHeaderRecords } from './records.js';
import { SCOPE_WITNESS_OBJECTS_MAX, type ScopeWitness } from './scopes.js';
import { readSignedHeader, writeSignedHeader } from './signedHeader.js';
import { proveWrittenKey } from './witness.js';

export const ROOT_UPDATE_FORMAT = 0x01;
/** The format of an update that carries the signed headers its remote-header records name. */
export const ROOT_UPDATE_FORMAT_BACKED = 0x02;
/**
 * The format of an update that carries a scope witness (a block with scoped transactions, for
 * full-mode receivers): format 2's layout, its list of backing headers possibly empty, then the
 * witness (docs/sync.md, "Scoped blocks").
 */
export const ROOT_UPDATE_FORMAT_SCOPED = 0x03;
/** Largest encoded object state inside a scope witness (format, owner, seq, a 4,096-byte value). */
export const OBJECT_STATE_BYTES_MAX = 1 + 32 + 8 + 1 + 4 + 4096;
/** Most backing headers one update may carry (one per remote-header record). */
export const ROOT_UPDATE_RECORDS_MAX = 4096;
/** Largest encoded key set: threshold, count, and 64 tagged public keys. */
export const KEYSET_BYTES_MAX = 1 + 4 + KEYSET_KEYS_MAX * ENCODED_PUBLIC_KEY_BYTES_MAX;

/**
 * The key set recorded under a header's own state root (`0x05 || "keyset"`), with its
 * membership proof: the set that signs the next header (docs/domain.md).
 */
export type KeySetProof = { keySet: KeySet; proof: Proof };

/**
 * The sync message for one block. `writes` and `transition` take the previous header's state
 * root to this header's; `txs` (for full verification) are the block's transactions in order.
 */
export type RootUpdate = {
  signed: SignedHeader;
  writes: Write[];
  transition: TransitionProof;
  txs?: Transaction[];
  keySetProof?: KeySetProof;
  /**
   * The signed headers the block's remote-header records (`0x03 || DomainId`) name, one per
   * record: what backs the block's claims about other domains (full mode checks them).
   */
  remoteHeaders?: SignedHeader[];
  /**
   * with `txs`: the claims behind the block's refusal records (docs/transfers.md, "Refusals"),
   * which a full-mode receiver re-checks. Absent or empty: none.
   */
  refused?: Transaction[];
  /**
   * with `txs`, for a block with scoped transactions: the proven tip its scopes used and the
   * declared objects' values before it, proven (docs/sync.md, "Scoped blocks").
   */
  scopeWitness?: ScopeWitness;
};

export type RootUpdateOptions = {
  /** carry the block's transactions, for receivers that verify in `full` mode */
  withTxs?: boolean;
  /** a key-set proof to attach (by default one is derived when the block changes the set) */
  keySetProof?: KeySetProof;
  /** the signed headers backing the block's remote-header records (`Domain.remoteView` holds them) */
  remoteHeaders?: SignedHeader[];
  /** with `withTxs`: the block's scope witness (`scopeWitnessOf`), for a block with scoped transactions */
  scopeWitness?: ScopeWitness;
};

/**
 * The root update for a sealed block and its signed header. When the block records a new key
 * set, the proof of it under the new root is derived from the block's own witness, so light
 * receivers can follow the change.
 *
 * @example
 * const signed = await domain.sealBlock();
 * const update = rootUpdateFromBlock(domain.block(signed.header.height)!, signed, { withTxs: true });
 */
export function rootUpdateFromBlock(
  block: Block,
  signed: SignedHeader,
  opts: RootUpdateOptions = {},
): RootUpdate {
  check(
    block && signed && block.header && signed.header,
    'BAD_INPUT',
    'a root update needs a block and its signed header',
  );
  check(
    equalBytes(headerHash(block.header), headerHash(signed.header)),
    'BAD_INPUT',
    'the signed header is not the header of this block',
  );
  const update: RootUpdate = {
    signed,
    writes: [...block.writes],
    transition: block.transition,
  };
  if (opts.withTxs) update.txs = [...block.txs];
  if (opts.withTxs && block.refused !== undefined && block.refused.length > 0)
    update.refused = [...block.refused];
  const keySetProof = opts.keySetProof ?? deriveKeySetProof(block);
  if (keySetProof) update.keySetProof = keySetProof;
  if (opts.remoteHeaders && opts.remoteHeaders.length > 0) update.remoteHeaders = [...opts.remoteHeaders];
  if (opts.withTxs && opts.scopeWitness) update.scopeWitness = opts.scopeWitness;
  return update;
}

/**
 * The signed headers a block's remote-header records name, as the domain's views still hold them
 * (each view keeps its window of signed headers): the backing full receivers ask for. A record
 * whose header left the window has none, and a full receiver refuses the update.
 *
 * With each record travel the headers accepted before it, linked by hash: RECORD_PREDECESSORS_MAX
 * of them, and further down to the header the block before recorded when the domain can say
 * which (`recordedRemoteHeight`), within the view's window and ROOT_UPDATE_RECORDS_MAX in all.
 * A block records only the latest header per domain, but its transactions may anchor on any
 * header accepted since the last record: a destination that caught up many headers at once must
 * show them all, or no full receiver can check a claim anchored low among them.
 *
 * @example
 * rootUpdateFromBlock(block, signed, { withTxs: true, remoteHeaders: recordedHeaders(domain, block) });
 */
export function recordedHeaders(
  domain: {
    remoteView(domainId: Uint8Array): RemoteView | undefined;
    recordedRemoteHeight?(domainId: Uint8Array, height: bigint): bigint | undefined;
  },
  block: Block,
): SignedHeader[] {
  const out: SignedHeader[] = [];
  const records = remoteHeaderRecords(block.writes);
  // Every record keeps its header and RECORD_PREDECESSORS_MAX predecessors; what is left of the
  // encoding's limit goes to the headers further down since the last record.
  let spare = ROOT_UPDATE_RECORDS_MAX - records.length * (RECORD_PREDECESSORS_MAX + 1);
  for (const rec of records) {
    const view = domain.remoteView(rec.domainId);
    const held = view?.recent.get(rec.height);
    if (!view || !held || !equalBytes(held.headerHash, rec.headerHash)) continue;
    out.push(held.signed);
    // The height the block before recorded (-1: none, so all the view holds); undefined: unknown.
    const last = previousRecord(domain, rec.domainId, block.header.height);
    let top = held;
    for (let i = 0; ; i++) {
      const prev = view.recent.get(top.height - 1n);
      if (!prev || !equalBytes(prev.headerHash, top.signed.header.prevHash)) break;
      if (i >= RECORD_PREDECESSORS_MAX) {
        // Beyond the fixed window: only what was accepted since the previous block's record.
        if (last === undefined || prev.height <= last || spare <= 0) break;
        spare--;
      }
      out.push(prev.signed);
      top = prev;
    }
  }
  return out;
}

/**
 * The height of `domainId` the block before `height` recorded: -1 when none, undefined when the
 * domain cannot say (then only RECORD_PREDECESSORS_MAX predecessors travel).
 */
function previousRecord(
  domain: { recordedRemoteHeight?(domainId: Uint8Array, height: bigint): bigint | undefined },
  domainId: Uint8Array,
  height: bigint,
): bigint | undefined {
  if (height === 0n || !domain.recordedRemoteHeight) return undefined;
  try {
    return domain.recordedRemoteHeight(domainId, height - 1n) ?? -1n;
  } catch {
    return undefined; // that version of the tree is gone: fall back to the fixed window
  }
}

/** Headers accepted before a recorded one that always travel with it (`recordedHeaders`). */
export const RECORD_PREDECESSORS_MAX = 16;

/** The proof of a key set the block wrote, from its witness; undefined when it wrote none. */
function deriveKeySetProof(block: Block): KeySetProof | undefined {
  let value: Uint8Array | null | undefined;
  for (const w of block.writes) if (equalBytes(w.key, KEYSET_TREE_KEY)) value = w.value;
  if (value === undefined || value === null) return undefined;
  const keySet = decodeKeySet(value);
  const proof = proveWrittenKey(block.writes, block.transition, KEYSET_TREE_KEY, block.header.stateRoot);
  if (!proof || !verifyProof(block.header.stateRoot, KEYSET_TREE_KEY, value, proof)) {
    throw new WeftError(
      'BAD_INPUT',
      "the block's witness does not prove the key set it writes under its state root",
    );
  }
  return { keySet, proof };
}

/**
 * Canonical encoding (docs/sync.md): format, signed header, writes, transition proof, optional
 * transactions, optional key-set proof, and — only when there are any — the refused claims.
 */
export function encodeRootUpdate(u: RootUpdate): Uint8Array {
  const w = new Writer(64 * 1024);
  // Format 1 unless backing headers travel: updates without them keep their exact bytes.
  const backed = u.remoteHeaders !== undefined && u.remoteHeaders.length > 0;
  const scoped = u.scopeWitness !== undefined;
  w.u8(scoped ? ROOT_UPDATE_FORMAT_SCOPED : backed ? ROOT_UPDATE_FORMAT_BACKED : ROOT_UPDATE_FORMAT);
  writeSignedHeader(w, u.signed);
  w.list(u.writes, ROOT_UPDATE_WRITES_MAX, (w, x) => {
    w.bytes(x.key, KEY_BYTES_MAX).bool(x.value !== null);
    if (x.value !== null) w.bytes(x.value, VALUE_BYTES_MAX);
  });
  w.bytes(encodeTransition(u.transition), TRANSITION_BYTES_MAX);
  w.bool(u.txs !== undefined);
  if (u.txs !== undefined)
    w.list(u.txs, ROOT_UPDATE_TXS_MAX, (w, tx) => w.bytes(encodeTransaction(tx), TX_BYTES_MAX));
  w.bool(u.keySetProof !== undefined);
  if (u.keySetProof !== undefined) {
    w.bytes(encodeKeySet(u.keySetProof.keySet), KEYSET_BYTES_MAX);
    w.bytes(encodeProof(u.keySetProof.proof), SINGLE_PROOF_BYTES_MAX);
  }
  if (backed || scoped) w.list(u.remoteHeaders ?? [], ROOT_UPDATE_RECORDS_MAX, writeSignedHeader);
  if (scoped) writeScopeWitness(w, u.scopeWitness!);
  // Last, and only when there are any: an update without refusals encodes as it always did.
  if (u.refused !== undefined && u.refused.length > 0)
    w.list(u.refused, ROOT_UPDATE_TXS_MAX, (w, tx) => w.bytes(encodeTransaction(tx), TX_BYTES_MAX));
  if (w.length > ROOT_UPDATE_BYTES_MAX) {
    throw new WeftError(
      'CODEC',
      `the root update encodes to ${w.length} bytes; the limit is ${ROOT_UPDATE_BYTES_MAX}`,
    );
  }
  return w.finish();
}

/**
 * Decodes a root update. Strict: CODEC on truncation, trailing bytes, an unknown format or any
 * field over its limit; an embedded transaction's own limit codes (TX_TOO_LARGE, ...) pass
 * through. Decoding checks form only: acceptance is `acceptRootUpdate`'s job.
 */
export function decodeRootUpdate(bytes: Uint8Array): RootUpdate {
  check(bytes instanceof Uint8Array, 'CODEC', 'expected bytes to decode');
  if (bytes.length > ROOT_UPDATE_BYTES_MAX) {
    throw new WeftError('CODEC', `a root update of ${bytes.length} bytes exceeds ${ROOT_UPDATE_BYTES_MAX}`);
  }
  const r = new Reader(bytes);
  const format = r.u8();
  check(
    format === ROOT_UPDATE_FORMAT ||
      format === ROOT_UPDATE_FORMAT_BACKED ||
      format === ROOT_UPDATE_FORMAT_SCOPED,
    'CODEC',
    `unknown root update format ${format}`,
  );
  const signed = readSignedHeader(r);
  const writes = r.list(ROOT_UPDATE_WRITES_MAX, (r): Write => {
    const key = r.bytes(KEY_BYTES_MAX).slice();
    const value = r.bool() ? r.bytes(VALUE_BYTES_MAX).slice() : null;
    return { key, value };
  });
  const transition = decodeTransition(r.bytes(TRANSITION_BYTES_MAX));
  const update: RootUpdate = { signed, writes, transition };
  if (r.bool()) update.txs = r.list(ROOT_UPDATE_TXS_MAX, (r) => decodeTransaction(r.bytes(TX_BYTES_MAX)));
  if (r.bool()) {
    const keySet = decodeKeySetStrict(r.bytes(KEYSET_BYTES_MAX));
    const proof = decodeProof(r.bytes(SINGLE_PROOF_BYTES_MAX));
    update.keySetProof = { keySet, proof };
  }
  if (format === ROOT_UPDATE_FORMAT_BACKED) {
    const remoteHeaders = r.list(ROOT_UPDATE_RECORDS_MAX, readSignedHeader);
    check(remoteHeaders.length > 0, 'CODEC', 'a backed root update carries at least one header');
    update.remoteHeaders = remoteHeaders;
  }
  if (format === ROOT_UPDATE_FORMAT_SCOPED) {
    const remoteHeaders = r.list(ROOT_UPDATE_RECORDS_MAX, readSignedHeader);
    if (remoteHeaders.length > 0) update.remoteHeaders = remoteHeaders;
    update.scopeWitness = readScopeWitness(r);
  }
  if (r.remaining > 0) {
    const refused = r.list(ROOT_UPDATE_TXS_MAX, (r) => decodeTransaction(r.bytes(TX_BYTES_MAX)));
    check(refused.length > 0, 'CODEC', 'an empty list of refused claims');
    update.refused = refused;
  }
  r.end();
  return update;
}

/** A key set inside a message: any malformation is a codec error of the message. */
function decodeKeySetStrict(bytes: Uint8Array): KeySet {
  try {
    return decodeKeySet(bytes);
  } catch (e) {
    if (e instanceof WeftError) throw new WeftError('CODEC', `bad key set in root update: ${e.shortMessage}`);
    throw e;
  }
}

/**
 * `u64 provenHeight || list(objects, at most SCOPE_WITNESS_OBJECTS_MAX)` of
 * `object 32 || bool present || [bytes state (at most OBJECT_STATE_BYTES_MAX)] || bytes proof`,
 * objects sorted by id, each once.
 */
function writeScopeWitness(w: Writer, sw: ScopeWitness): void {
  w.u64(sw.provenHeight);
  w.list(sw.objects, SCOPE_WITNESS_OBJECTS_MAX, (w, o) => {
    w.fixed(o.object, 32).bool(o.value !== null);
    if (o.value !== null) w.bytes(o.value, OBJECT_STATE_BYTES_MAX);
    w.bytes(encodeProof(o.proof), SINGLE_PROOF_BYTES_MAX);
  });
}

function readScopeWitness(r: Reader): ScopeWitness {
  const provenHeight = r.u64();
  const objects = r.list(SCOPE_WITNESS_OBJECTS_MAX, (r) => {
    const object = r.fixed(32).slice();
    const value = r.bool() ? r.bytes(OBJECT_STATE_BYTES_MAX).slice() : null;
    const proof = decodeProof(r.bytes(SINGLE_PROOF_BYTES_MAX));
    return { object, value, proof };
  });
  for (let i = 1; i < objects.length; i++)
    check(
      Buffer.compare(objects[i - 1]!.object, objects[i]!.object) < 0,
      'CODEC',
      'the objects of a scope witness are sorted by id, each once',
    );
  return { provenHeight, objects };
}
