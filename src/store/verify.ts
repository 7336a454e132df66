// Offline checks of a node store (`weft store verify`) and its summary (`weft store inspect`).
// Verification trusts nothing it reads: it replays the whole transcript from the genesis state
// through the pure apply, recomputes every block's root from its transition proof, compares
// every header it produces with the stored one, and recomputes every retained tree version.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { equalBytes, hexKey, toHex, WeftError } from '../crypto/index.js';
import {
  apply,
  type Block,
  checkSeal,
  type DomainOutput,
  type DomainState,
  decodeBlock,
  decodeProverState,
  decodeSignedHeader,
  decodeState,
  decodeStatus,
  encodeBlock,
  encodeHeader,
  encodeState,
  encodeStatus,
  type KeySet,
  type TxStatus,
  treeVersionOf,
  txRoot,
  verifyHeaderSignatures,
} from '../domain/index.js';
import {
  builtinRegistry,
  commitment,
  decodeValue,
  type LogicLookup,
  labelRef,
  nkCommitment,
  type Resource,
  valueRef,
} from '../resource/index.js';
import type { ProgramLookup } from '../scope/index.js';
import { Smt, verifyProof } from '../smt/index.js';
import {
  decodeTransferRecord,
  encodeTransferRecord,
  TRANSITIONS,
  type TransferRecord,
} from '../transfer/index.js';
import {
  commitmentKey,
  encodeHeight,
  type Transaction,
  txId,
  verifyTransactionSignatures,
} from '../tx/index.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from './durableNode.js';
import { type Db, META_GENESIS_KEY, metaKey, type NodeEnv, openNodeEnv, readU64Key, u64Key } from './env.js';
import { checkEntry, entryInput, GENESIS_LINK, readEntries } from './transcript.js';

export type StoreFault = { check: string; where: string; message: string };

export type StoreSummary = {
  dir: string;
  domain: string;
  domainId: string;
  committedHeight: string;
  provenHeight: string;
  headHash: string;
  stateRoot: string;
  checkpoint: { height: string; transcriptSeq: string };
  transcript: { entries: number; lastSeq: string };
  tree: { firstVersion: string; lastVersion: string };
  mempool: number;
  databases: Record<string, { entries: number; bytes: number }>;
  fileBytes: number;
};

export type VerifyReport = {
  ok: boolean;
  faults: StoreFault[];
  warnings: StoreFault[];
  summary: StoreSummary | null;
};

const CHECKPOINT_KEY = metaKey('latest');
const PROVERS_KEY = metaKey('provers');

function dbStats(db: Db): { entries: number; bytes: number } {
  const s = db.getStats() as {
    entryCount: number;
    pageSize: number;
    treeBranchPageCount: number;
    treeLeafPageCount: number;
    overflowPages: number;
  };
  return {
    entries: s.entryCount,
    bytes: s.pageSize * (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages),
  };
}

function summarize(
  node: NodeEnv,
  state: DomainState,
  tree: Smt | null,
  cp: { height: bigint; seq: bigint },
): StoreSummary {
  let lastSeq = 0n;
  for (const k of node.transcript.getKeys({ reverse: true, limit: 1 })) lastSeq = readU64Key(k as Uint8Array);
  const databases: StoreSummary['databases'] = {};
  for (const name of [
    'transcript',
    'blocks',
    'headers',
    'checkpoints',
    'statuses',
    'values',
    'transfers',
  ] as const) {
    databases[name] = dbStats(node[name]);
  }
  let fileBytes = 0;
  try {
    fileBytes = statSync(join(node.dir, 'data.mdb')).size;
  } catch {
    fileBytes = 0;
  }
  return {
    dir: node.dir,
    domain: state.config.name,
    domainId: toHex(state.config.domainId),
    committedHeight: state.height.toString(),
    provenHeight: state.provenHeight.toString(),
    headHash: toHex(state.headHash),
    stateRoot: toHex(state.head.stateRoot),
    checkpoint: { height: cp.height.toString(), transcriptSeq: cp.seq.toString() },
    transcript: { entries: databases.transcript!.entries, lastSeq: lastSeq.toString() },
    tree: {
      firstVersion: tree ? tree.firstVersion().toString() : '?',
      lastVersion: tree ? tree.version().toString() : '?',
    },
    mempool: state.mempool.length,
    databases,
    fileBytes,
  };
}

/** A summary of the store in `dir`: domain, heights, roots, sizes. Reads only. */
export async function inspectStore(dir: string): Promise<StoreSummary> {
  const node = openNodeEnv(dir, { readOnly: true });
  try {
    const cpBytes = node.checkpoints.getBinary(CHECKPOINT_KEY);
    if (!cpBytes) throw new WeftError('STORE_FORMAT', `${dir} holds no checkpoint`);
    const cp = decodeCheckpoint(cpBytes);
    const tree = await Smt.open(node.tree).catch(() => null);
    // The current state is the checkpoint's plus the inputs logged after it, as recovery sees it.
    let state = cp.state;
    const env = { logics: builtinRegistry() };
    for (const e of readEntries(node.transcript, cp.seq, cp.seqHash).entries) {
      try {
        state = apply(state, entryInput(e), env).state;
      } catch {
        break;
      }
    }
    return summarize(node, state, tree, cp);
  } finally {
    await node.env.close();
  }
}

/** Phase-history entries a transfer record keeps (src/transfer/record.ts). */
const TRANSFER_HISTORY_KEPT = 16;
/** Faults reported per check at most: a store flipped all over does not print a million lines. */
const FAULTS_PER_CHECK_MAX = 50;

/**
 * Checks the store in `dir` without changing it. `logics` must include every logic the domain
 * used (default: the built-in ones), since the replay re-validates every transaction.
 *
 * Every stored thing is recomputed from the transcript where it can be: each block body (byte for
 * byte, its transactions against the header's transaction root), each header and its
 * signatures, each tree version's root, the checkpoint's whole content, every transaction status
 * and content-addressed value; transfer records are decoded and their keys checked; records the
 * transcript never produced are faults too.
 */
export async function verifyStore(dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const faults: StoreFault[] = [];
  const warnings: StoreFault[] = [];
  const perCheck = new Map<string, number>();
  const fault = (check: string, where: string, message: string) => {
    const n = (perCheck.get(check) ?? 0) + 1;
    perCheck.set(check, n);
    if (n <= FAULTS_PER_CHECK_MAX) faults.push({ check, where, message });
    else if (n === FAULTS_PER_CHECK_MAX + 1)
      faults.push({ check, where: 'store', message: `more ${check} faults left out` });
  };
  let node: NodeEnv;
  try {
    node = openNodeEnv(dir, { readOnly: true });
  } catch (e) {
    fault('format', dir, (e as Error).message);
    return { ok: false, faults, warnings, summary: null };
  }
  try {
    return await verifyOpen(node, opts, fault, warnings, faults);
  } catch (e) {
    // A record so damaged that reading it throws is a fault of the store, not of verify.
    fault('store', dir, `${e instanceof WeftError ? `${e.code}: ` : ''}${(e as Error).message}`);
    return { ok: false, faults, warnings, summary: null };
  } finally {
    await node.env.close();
  }
}

type Fault = (check: string, where: string, message: string) => void;

/** `logics` and `programs` the domain used (scoped seals replay only with their programs). */
export type VerifyOptions = { logics?: LogicLookup; programs?: ProgramLookup };

async function verifyOpen(
  node: NodeEnv,
  opts: VerifyOptions,
  fault: Fault,
  warnings: StoreFault[],
  faults: StoreFault[],
): Promise<VerifyReport> {
  const dir = node.dir;
  const genesisBytes = node.meta.getBinary(metaKey(META_GENESIS_KEY));
  const cpBytes = node.checkpoints.getBinary(CHECKPOINT_KEY);
  if (!genesisBytes || !cpBytes) {
    fault('format', dir, 'the store has no genesis state or no checkpoint');
    return { ok: false, faults, warnings, summary: null };
  }
  let cp: Checkpoint | null = null;
  try {
    cp = decodeCheckpoint(cpBytes);
  } catch (e) {
    fault('checkpoint', 'checkpoint', `the checkpoint does not decode: ${(e as Error).message}`);
  }
  for (const key of node.checkpoints.getKeys({}) as Iterable<Uint8Array>) {
    if (equalBytes(key, PROVERS_KEY)) {
      // Its attestations and evidence are re-verified when a node restores it (with its prover sets).
      try {
        decodeProverState(node.checkpoints.getBinary(PROVERS_KEY)!);
      } catch (e) {
        fault('checkpoint', 'provers', (e as Error).message);
      }
    } else if (!equalBytes(key, CHECKPOINT_KEY))
      fault('checkpoint', 'checkpoints', 'a record under an unknown key');
  }
  let genesis: DomainState;
  try {
    genesis = decodeState(genesisBytes);
  } catch (e) {
    fault('format', 'genesis', `the genesis state does not decode: ${(e as Error).message}`);
    return { ok: false, faults, warnings, summary: null };
  }

  // The tree: every retained version recomputes from its leaves, every stale list names pages
  // that are there.
  let tree: Smt | null = null;
  try {
    tree = await Smt.open(node.tree);
    for (const m of tree.checkIntegrity()) fault('tree', 'tree', m);
  } catch (e) {
    fault('tree', 'tree', (e as Error).message);
  }
  for (const m of node.tree.checkStaleLists()) fault('tree', 'stale pages', m);

  // The transcript: one hash chain from the first entry, every entry decodable.
  const env = {
    logics: opts.logics ?? builtinRegistry(),
    ...(opts.programs ? { programs: opts.programs } : {}),
  };
  let state = genesis;
  let expect: Uint8Array = GENESIS_LINK;
  let next = 1n;
  const cpSeq = cp?.seq ?? -1n;
  let checkpointSeen = cpSeq === 0n;
  if (cp && cpSeq === 0n) checkCheckpoint(cpBytes, 0n, GENESIS_LINK, state, fault);
  const genesisHeader = readStored(node.headers, 0n, decodeSignedHeader, 'headers', fault);
  if (!genesisHeader || toHex(encodeHeader(genesisHeader.header)) !== toHex(encodeHeader(genesis.head)))
    fault('blocks', 'height 0', 'the genesis header differs from the genesis state');
  // Statuses the block commits stored: the terminal ones each seal takes out of the state.
  const expectStatus = new Map<string, TxStatus>();
  const keys = [...node.transcript.getKeys({})] as Uint8Array[];
  for (const [i, k] of keys.entries()) {
    const seq = k.length === 8 ? readU64Key(k) : -1n;
    const where = `transcript entry ${seq}`;
    if (seq !== next) {
      fault('transcript', where, `entry ${next} is missing (found ${seq} next)`);
      break;
    }
    const checked = checkEntry(seq, node.transcript.getBinary(k)!, expect);
    if ('fault' in checked) {
      const isLast = i === keys.length - 1;
      if (checked.fault.kind === 'torn' && isLast) {
        warnings.push({
          check: 'transcript',
          where,
          message: `torn tail: ${checked.fault.message}; recovery will cut it off`,
        });
      } else {
        fault('transcript', where, `${checked.fault.kind}: ${checked.fault.message}`);
      }
      break;
    }
    expect = checked.entry.hash;
    next++;
    let input: ReturnType<typeof entryInput>;
    try {
      input = entryInput(checked.entry);
    } catch (e) {
      fault('transcript', where, (e as Error).message);
      break;
    }
    // Replay: every block's root recomputed from its proof, every header and body compared.
    if (input.type === 'seal' && !checkSeal(state, input, env)) {
      fault('replay', where, `the seal's state root does not follow from its transition proof`);
      break;
    }
    const signingSet = state.keySet;
    let outputs: DomainOutput[];
    try {
      ({ state, outputs } = apply(state, input, env));
    } catch (e) {
      fault('replay', where, (e as Error).message);
      break;
    }
    if (input.type === 'seal') {
      const sealed = outputs.find((o) => o.type === 'blockSealed');
      if (sealed?.type === 'blockSealed') checkBlock(node, sealed.block, signingSet, fault);
      if (tree && state.height <= tree.version() - 1n) {
        // Older versions are read from the store when first used: one that cannot be read was
        // reported by the integrity check, and is reported here at its height.
        let root: Uint8Array | null = null;
        try {
          root = tree.root(treeVersionOf(state.height));
        } catch (e) {
          fault('tree', `height ${state.height}`, (e as Error).message);
        }
        if (root && !equalBytes(root, state.head.stateRoot)) {
          fault('tree', `height ${state.height}`, 'the tree root of this height differs from its header');
        }
      }
      // The node takes terminal statuses out of its state as the block stores them.
      for (const [key, st] of state.statuses) {
        if (st.status === 'pending') continue;
        const known = expectStatus.get(key);
        if (!(st.status === 'rejected' && known?.status === 'included')) expectStatus.set(key, st);
        state.statuses.delete(key);
      }
    }
    if (seq === cpSeq) {
      checkpointSeen = true;
      checkCheckpoint(cpBytes, seq, expect, state, fault);
    }
  }
  if (cp && !checkpointSeen && faults.length === 0) {
    fault(
      'checkpoint',
      'checkpoint',
      `the checkpoint names transcript entry ${cp.seq}, which the transcript does not reach`,
    );
  }
  const replayedOk = faults.length === 0;
  checkBeyond(node, state.height, fault);
  checkStatuses(node, expectStatus, replayedOk, fault);
  checkValues(node, fault);
  checkTransfers(node, genesis.config.domainId, fault);
  return {
    ok: faults.length === 0,
    faults,
    warnings,
    summary: cp ? summarize(node, cp.state, tree, cp) : null,
  };
}

function readStored<T>(
  db: Db,
  height: bigint,
  decode: (b: Uint8Array) => T,
  what: string,
  fault: Fault,
): T | undefined {
  const b = db.getBinary(u64Key(height));
  if (!b) return undefined;
  try {
    return decode(b);
  } catch (e) {
    fault('blocks', `height ${height}`, `the stored ${what} record does not decode: ${(e as Error).message}`);
    return undefined;
  }
}

/** The stored header and body of a replayed block: the same bytes, signed by the key set. */
function checkBlock(node: NodeEnv, block: Block, signingSet: KeySet, fault: Fault): void {
  const height = block.header.height;
  const where = `height ${height}`;
  const storedHeader = readStored(node.headers, height, decodeSignedHeader, 'header', fault);
  if (!storedHeader) fault('blocks', where, 'the header is missing');
  else {
    if (toHex(encodeHeader(storedHeader.header)) !== toHex(encodeHeader(block.header)))
      fault('replay', where, 'the stored header differs from the one the transcript produces');
    if (!verifyHeaderSignatures(storedHeader, signingSet))
      fault('blocks', where, 'the header lacks the key set threshold of valid signatures');
  }
  const bodyBytes = node.blocks.getBinary(u64Key(height));
  if (!bodyBytes) {
    fault('blocks', where, 'the block body is missing');
    return;
  }
  if (equalBytes(bodyBytes, encodeBlock(block))) return;
  // Say what is wrong with it, as far as the body itself shows.
  let body: Block;
  try {
    body = decodeBlock(bodyBytes);
  } catch (e) {
    fault('blocks', where, `the block body does not decode: ${(e as Error).message}`);
    return;
  }
  const ids = body.batches.flat();
  if (!equalBytes(txRoot(ids), body.header.txRoot) || !equalBytes(body.header.txRoot, block.header.txRoot))
    fault('blocks', where, "the block body's transactions do not hash to the header's transaction root");
  else if (body.txs.length !== ids.length || body.txs.some((tx, i) => !equalBytes(txId(tx), ids[i]!)))
    fault('blocks', where, "the block body's transactions are not the ones its batches name");
  else fault('blocks', where, 'the block body differs from the block the transcript produces');
}

/** The checkpoint must be exactly the replayed state at its transcript position. */
function checkCheckpoint(
  cpBytes: Uint8Array,
  seq: bigint,
  seqHash: Uint8Array,
  state: DomainState,
  fault: Fault,
): void {
  const want = encodeCheckpoint(state.height, seq, seqHash, encodeState(state));
  if (!equalBytes(want, cpBytes))
    fault(
      'checkpoint',
      'checkpoint',
      `the checkpoint differs from the replayed state at transcript entry ${seq} (height ${state.height})`,
    );
}

/** Blocks and headers the transcript never produced. */
function checkBeyond(node: NodeEnv, height: bigint, fault: Fault): void {
  for (const [name, db] of [
    ['header', node.headers],
    ['block', node.blocks],
  ] as const) {
    for (const k of db.getKeys({}) as Iterable<Uint8Array>) {
      const h = k.length === 8 ? readU64Key(k) : null;
      if (h === null || h > height)
        fault('blocks', h === null ? `${name}s` : `height ${h}`, `a ${name} the transcript never produced`);
    }
  }
}

/** Every stored status is the one the replay gave that transaction. */
function checkStatuses(node: NodeEnv, expect: Map<string, TxStatus>, complete: boolean, fault: Fault): void {
  const seen = new Set<string>();
  for (const { key, value } of node.statuses.getRange({}) as Iterable<{
    key: Uint8Array;
    value: Uint8Array;
  }>) {
    const k = hexKey(key);
    seen.add(k);
    const where = `status of ${k.slice(0, 16)}…`;
    const want = expect.get(k);
    if (!want) {
      if (complete) fault('statuses', where, 'a status for a transaction the transcript never decided');
      continue;
    }
    if (!equalBytes(value, encodeStatus(want)))
      fault('statuses', where, `the stored status differs from the replay's (${want.status})`);
  }
  if (!complete) return;
  for (const [k, st] of expect)
    if (st.status === 'included' && !seen.has(k))
      fault('statuses', `status of ${k.slice(0, 16)}…`, 'the status of an included transaction is missing');
}

/** Content-addressed values: each key is the hash of its value. */
function checkValues(node: NodeEnv, fault: Fault): void {
  for (const { key, value } of node.values.getRange({}) as Iterable<{ key: Uint8Array; value: Uint8Array }>) {
    if (!equalBytes(valueRef(value), key))
      fault('values', `value ${hexKey(key).slice(0, 16)}…`, 'the value does not hash to its key');
  }
}

/** Transfer records decode, and each is stored under its own id. */
function checkTransfers(node: NodeEnv, domainId: Uint8Array, fault: Fault): void {
  for (const { key, value } of node.transfers.getRange({}) as Iterable<{
    key: Uint8Array;
    value: Uint8Array;
  }>) {
    const where = `transfer ${hexKey(key).slice(0, 16)}…`;
    let rec: TransferRecord;
    try {
      rec = decodeTransferRecord(value);
    } catch (e) {
      fault('transfers', where, `the record does not decode: ${(e as Error).message}`);
      continue;
    }
    if (!equalBytes(encodeTransferRecord(rec), value))
      fault('transfers', where, 'the record does not re-encode to its own bytes');
    if (rec.transfer.id !== toHex(key)) fault('transfers', where, 'the record is stored under another id');
    if (rec.transfer.id !== toHex(txId(rec.plan.move)))
      fault('transfers', where, "the record's id is not its move transaction's id");
    const plan = rec.plan;
    for (const [name, tx] of [
      ['move', plan.move],
      ['claim', plan.claim],
      ...(plan.refund ? ([['refund', plan.refund]] as const) : []),
    ] as const) {
      const why = transactionFault(tx);
      if (why) fault('transfers', where, `the ${name} transaction ${why}`);
    }
    // The plan hangs together: the move creates the moved resource, the claim consumes it.
    const moved = commitment(plan.moved.resource);
    const made = plan.move.actions.flatMap((a) => a.created.map((c) => commitment(c.resource)));
    const taken = plan.claim.actions.flatMap((a) => a.consumed.map((c) => commitment(c.resource)));
    if (!made.some((c) => equalBytes(c, moved)) || !taken.some((c) => equalBytes(c, moved)))
      fault('transfers', where, 'the moved resource is not the one the move creates and the claim consumes');
    if (
      !preimagesMatch(plan.moved) ||
      !equalBytes(nkCommitment(plan.moved.nk), plan.moved.resource.nkCommitment)
    )
      fault(
        'transfers',
        where,
        "the moved resource's value, label or nullifier key does not match its references",
      );
    const t = rec.transfer;
    if (t.source) {
      const key = commitmentKey(moved);
      if (!verifyProof(t.source.root, key, encodeHeight(t.source.height), t.source.proof))
        fault('transfers', where, 'the source proof does not prove the moved resource under its root');
      const head = equalBytes(t.from, domainId) ? node.headers.getBinary(u64Key(t.source.height)) : undefined;
      if (head && !equalBytes(decodeSignedHeader(head).header.stateRoot, t.source.root))
        fault('transfers', where, "the source proof's root is not this domain's root at its height");
    }
    // The moved resource is homed on the destination; what the move consumed, on the source.
    let movedValue: ReturnType<typeof decodeValue> | null = null;
    try {
      movedValue = decodeValue(plan.moved.value);
    } catch {
      // reported above: the value does not hash to its reference, or does not decode
    }
    if (movedValue && !equalBytes(movedValue.home, t.to))
      fault('transfers', where, "the record's destination is not the moved resource's home");
    if (movedValue && (movedValue.deadline ?? -1n) !== (t.deadlineMs ?? -1n))
      fault('transfers', where, "the record's deadline is not the moved resource's");
    const sourceHomes = plan.move.actions.flatMap((a) => a.consumed.map((c) => homeOf(c.value)));
    if (sourceHomes.length === 0 || sourceHomes.some((h) => h === null || !equalBytes(h, t.from)))
      fault('transfers', where, "the record's source is not the home of what the move consumes");
    if (t.source && t.sourceHeight !== t.source.height)
      fault('transfers', where, "the record's source height is not its source proof's");
    if (t.source && equalBytes(t.from, domainId)) {
      const st = node.statuses.getBinary(Buffer.from(txId(plan.move)));
      const moveStatus = st ? decodeStatus(st) : undefined;
      if (moveStatus?.status !== 'included' || moveStatus.height !== t.source.height)
        fault('transfers', where, 'the move is not included at the height the record says');
    }
    const why = historyFault(t);
    if (why) fault('transfers', where, why);
  }
}

/** The phase history must be a walk of the machine ending in the current phase. */
function historyFault(t: TransferRecord['transfer']): string | null {
  const h = t.history;
  if (h.length === 0) return 'the record has no phase history';
  if (h[h.length - 1]!.phase !== t.phase || h[h.length - 1]!.atMs !== t.updatedAtMs)
    return "the record's phase is not the last one of its history";
  // Records keep the latest entries only: the walk starts at `requested` when it is whole.
  if (h.length < TRANSFER_HISTORY_KEPT && (h[0]!.phase !== 'requested' || h[0]!.atMs !== t.createdAtMs))
    return "the record's history does not start with its creation";
  for (let i = 1; i < h.length; i++) {
    if (h[i]!.atMs < h[i - 1]!.atMs) return "the record's history goes back in time";
    if (!TRANSITIONS.some(([from, , to]) => from === h[i - 1]!.phase && to === h[i]!.phase))
      return `the record's history moves from ${h[i - 1]!.phase} to ${h[i]!.phase}, which the machine never does`;
  }
  return null;
}

const preimagesMatch = (c: { resource: Resource; value: Uint8Array; label: Uint8Array }) =>
  equalBytes(valueRef(c.value), c.resource.valueRef) && equalBytes(labelRef(c.label), c.resource.labelRef);

/**
 * What is wrong with a stored, signed transaction that needs no state to see: a signature that
 * does not verify over its id, or a resource whose value or label does not hash to its reference.
 */
function transactionFault(tx: Transaction): string | null {
  try {
    const r = verifyTransactionSignatures(tx);
    if (r.valid.some((ok) => !ok)) return 'carries a signature that does not verify';
  } catch (e) {
    return `is malformed: ${(e as Error).message}`;
  }
  for (const a of tx.actions) {
    for (const c of [...a.consumed, ...a.created])
      if (!preimagesMatch(c)) return 'holds a resource whose value or label does not hash to its references';
    for (const c of a.consumed) {
      const p = c.commitmentProof;
      if (!p) continue;
      const key = commitmentKey(commitment(c.resource));
      // The anchor may be another domain's root, whose tree may hash either way.
      const proves = (['weft', 'jmt'] as const).some((hasher) =>
        verifyProof(p.anchor, key, encodeHeight(p.height), p.proof, { hasher }),
      );
      if (!proves) return 'holds a commitment proof that does not prove its resource under its anchor';
    }
  }
  return null;
}

function homeOf(value: Uint8Array): Uint8Array | null {
  try {
    return decodeValue(value).home;
  } catch {
    return null;
  }
}
