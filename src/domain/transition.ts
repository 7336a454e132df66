// The domain as a pure state machine: apply(state, input) -> { state, outputs }. No I/O, clock or
// randomness: time arrives in `seal` inputs, tree reads arrive as read sets, and the new state
// root is computed from a transition witness (docs/domain.md). Recovery, simulation and stateless
// verification reuse this one function.
import {
  check,
  equalBytes,
  hexKey,
  invariant,
  utf8,
  WeftError,
  type WeftErrorCode,
} from '../crypto/index.js';
import { decodeValue, type LogicLookup } from '../resource/index.js';
import {
  executeScopedBlock,
  ObjectDag,
  type ObjectRead,
  objectsToRead,
  type ProgramLookup,
  type ScopeTx,
  type TxResult as ScopeTxResult,
  scopeTxOf,
} from '../scope/index.js';
import { type TransitionProof, transitionRoot, type Write } from '../smt/index.js';
import {
  commitmentKey,
  decodeHeight,
  encodeHeight,
  encodeRefusal,
  isDecidedByBody,
  NULLIFIER_KEY_PREFIX,
  nullifierKey,
  REFUSAL_KEY_PREFIX,
  type RemoteHeaderFacts,
  refusalKey,
  refusalOf,
  type SignatureResults,
  type Transaction,
  type TxHashMemo,
  txId,
  type ValidationContext,
  type ValidTransaction,
  validateTransaction,
} from '../tx/index.js';
import { type AnchorPath, type AnchorPolicy, decodeAnchorPath, isAnchorProvenByPath } from './anchorPath.js';
import {
  encodeHeader,
  type Header,
  headerHash,
  type SignedHeader,
  txRoot,
  verifyHeaderSignatures,
} from './header.js';
import {
  assertKeySet,
  encodeKeySet,
  KEYSET_TREE_KEY,
  type KeySet,
  keySetChangeDigest,
  meetsThreshold,
  type SignerSignature,
} from './keyset.js';
import {
  advanceView,
  type EquivocationEvidence,
  freezeRemoteView,
  type InvalidBlockEvidence,
  isRootUsable,
  isVaultView,
  knowsBefore,
  type LearnedHeader,
  newRemoteView,
  type RecentHeader,
  type RemoteView,
  rootsOf,
  TRUSTING_PERIOD_MS_DEFAULT,
  usableHeader,
  type VerificationMode,
  VIEW_MODES,
  type WindowChain,
} from './remoteView.js';

/** Defaults for a domain's limits; each is a named, configurable bound. */
export const BATCH_TXS_MAX_DEFAULT = 250;
export const BLOCK_BATCHES_MAX_DEFAULT = 4;
export const MEMPOOL_TXS_MAX_DEFAULT = 20_000;
export const ANCHOR_WINDOW_DEFAULT = 256;
export const MEMPOOL_TTL_BLOCKS_DEFAULT = 64;
export const REMOTE_ROOTS_MAX_DEFAULT = 256;
/**
 * Most claim refusals one block records (`0x06 || nf`). A claim refused past it is answered like
 * any rejection and records nothing; resubmitted after the block, it is refused and recorded then.
 */
export const REFUSALS_PER_BLOCK_MAX = 1_000;
/** Longest operator name a `reinitRemote` input may carry, in UTF-8 bytes. */
export const REINIT_BY_BYTES_MAX = 128;

/** Tree key of an accepted remote header: 0x03 || DomainId. */
export function remoteHeaderKey(domainId: Uint8Array): Uint8Array {
  const k = new Uint8Array(33);
  k[0] = 0x03;
  k.set(domainId, 1);
  return k;
}

export type DomainConfig = {
  name: string;
  domainId: Uint8Array;
  /** N: most transactions in one batch */
  batchTxsMax: number;
  /** M: most batches in one block */
  blockBatchesMax: number;
  mempoolTxsMax: number;
  /** K: how many of this domain's latest state roots a transaction may anchor on */
  anchorWindow: number;
  /** blocks a transaction may wait in the mempool before it is evicted */
  mempoolTtlBlocks: number;
  /** how many roots (and headers, for refunds) of each remote domain stay usable */
  remoteRootsMax: number;
};

export type TxStatus =
  | { status: 'pending'; sinceHeight: bigint }
  | { status: 'included'; height: bigint; batch: number; index: number }
  | { status: 'rejected'; code: WeftErrorCode; reason: string }
  | { status: 'evicted'; code: WeftErrorCode; reason: string };

type PendingTx = {
  id: Uint8Array;
  key: string;
  tx: Transaction;
  effects: ValidTransaction;
  sinceHeight: bigint;
};

/** One accepted header of a remote domain as a domain retains it: what a refund is checked against. */
export type RemoteHeaderEntry = { height: bigint; stateRoot: Uint8Array; timestamp: bigint };

/**
 * Everything a domain knows. `apply` takes ownership of the state it is given and returns the
 * next one (it updates the collections in place for speed); keep a `cloneState` copy to
 * simulate from a past state.
 */
export type DomainState = {
  config: DomainConfig;
  keySet: KeySet;
  /** a key set approved in this block, in force from the next block on */
  nextKeySet: KeySet | null;
  /** committed tip */
  height: bigint;
  head: Header;
  headHash: Uint8Array;
  /** proven tip: never above `height`, only grows */
  provenHeight: bigint;
  /** this domain's latest roots (hex) -> height, at most `anchorWindow` */
  recentRoots: Map<string, bigint>;
  /** one view per remote domain (docs/sync.md, "Remote views"): immutable values, swapped whole */
  remotes: Map<string, RemoteView>;
  mempool: PendingTx[];
  pendingNullifiers: Set<string>;
  pendingCommitments: Set<string>;
  statuses: Map<string, TxStatus>;
  /** tree writes queued for the next block besides its transactions' (remote headers, key set) */
  queuedWrites: Write[];
  /**
   * the claims whose refusal records `queuedWrites` holds, for the next block to carry. Not in the
   * checkpoint: one is taken right after each seal, when this is empty, and the transcript replays
   * the submissions after it
   */
  refusedClaims?: Transaction[];
  /** the object DAG's skeleton above the proven tip (docs/scopes.md): scopes and the off-DAG marking */
  objects: ObjectDag;
};

/**
 * What the tree says about a submitted transaction, read by the runtime just before `apply`
 * (hex nullifiers already spent, hex commitments already present). Carried in the input, so a
 * replay sees exactly what the first run saw.
 */
export type TxReads = {
  spentNullifiers: string[];
  existingCommitments: string[];
  /** the height the store says the transaction was included at, when it is older than the state's statuses */
  includedAt?: bigint;
  /** hex nullifiers of consumed resources whose refusal record (`0x06 || nf`) the tree holds */
  refusedNullifiers?: string[];
  /**
   * The tree's remote-header records (`0x03 || DomainId`) that are not at their view's head and
   * have no record queued over them: in practice the views only trusted, which the tree records
   * nothing for (`height: null`). Absent or not named: the record is at the view's head.
   */
  remoteRecords?: RemoteRecord[];
};

/** What the tree records for one remote (hex DomainId): the height of its `0x03` record, null for none. */
export type RemoteRecord = { domainId: string; height: bigint | null };

export type DomainInput =
  | {
      type: 'submit';
      tx: Transaction;
      reads: TxReads;
      signatureResults?: SignatureResults;
      /**
       * The runtime's memo of the hashes it derived from `tx` for the reads, so validation does
       * not derive them again; never logged (a replay derives them afresh), never from outside.
       */
      hashes?: TxHashMemo;
    }
  | {
      type: 'seal';
      timestamp: bigint;
      stateRoot: Uint8Array;
      transition: TransitionProof;
      /** the tree's `0x04` values of the objects the block's scoped transactions declare */
      objects?: ObjectRead[];
    }
  | AcceptRemoteInput
  | TrustRemoteInput
  | { type: 'changeKeySet'; keySet: KeySet; approvals: SignerSignature[] }
  | { type: 'markProven'; height: bigint }
  | FreezeRemoteInput
  | ReinitRemoteInput;

/**
 * A remote header the sync layer verified (`decideAcceptance`), recorded in the domain's view of
 * its domain: `signatures` are the header's own (kept so the view can show them as evidence),
 * `keySet` the set in force after it when acceptance saw it change (absent: unchanged), `mode`
 * what it was verified in, `atMs` the observer's clock when it was accepted (the runtime's, passed
 * in: the transition stays pure). A header of a domain with no view yet starts one.
 */
export type AcceptRemoteInput = {
  type: 'acceptRemoteHeader';
  header: Header;
  signatures?: SignerSignature[];
  keySet?: KeySet;
  mode?: VerificationMode;
  atMs?: bigint;
  /** what the header's block taught about third domains its domain accepted (full mode) */
  learned?: LearnedHeader[];
};

/**
 * Starts following a remote domain from a trusted header (its genesis, or one taken out of
 * band): `keySet` is the set recorded under its root (it signs the next header), `signedBy` the
 * set that signed it when that is another (a header right at a key-set change). The header must
 * carry a threshold of signatures of that set. Refused for a domain already followed.
 */
export type TrustRemoteInput = {
  type: 'trustRemote';
  signed: SignedHeader;
  keySet: KeySet;
  signedBy?: KeySet;
  mode: VerificationMode;
  name?: string;
  atMs: bigint;
};

/**
 * Freezes the view of `domainId` from `fromHeight`: after equivocation (`evidence`, two signed
 * headers the sync layer checked) or a double spend (no evidence: the verified block is the proof).
 */
export type FreezeRemoteInput = {
  type: 'freezeRemote';
  domainId: Uint8Array;
  fromHeight: bigint;
  evidence?: EquivocationEvidence;
  /** a signed block that fails full validation provably (from its update alone) */
  invalidBlock?: InvalidBlockEvidence;
};

/**
 * An operator's re-initialisation of a frozen remote view: `header` is the header of `domainId`
 * the operator trusts (checked out of band: after it the view follows that branch), `by` says who
 * decided (at most REINIT_BY_BYTES_MAX UTF-8 bytes), `evidence` is the 32-byte hash of the
 * equivocation evidence it answers. Logged in the transcript like every input.
 */
export type ReinitRemoteInput = {
  type: 'reinitRemote';
  domainId: Uint8Array;
  header: Header;
  by: string;
  evidence: Uint8Array;
  /** the trusted header's signatures, when the operator gave them */
  signatures?: SignerSignature[];
  /** the key set recorded under the trusted header's root (it signs the next header) */
  keySet?: KeySet;
  atMs?: bigint;
};

/**
 * A sealed block: its header, its transactions in batches, the tree writes it made, and the
 * transition proof that takes the previous header's state root to this one's under those writes.
 */
export type Block = {
  header: Header;
  batches: Uint8Array[][];
  txs: Transaction[];
  writes: Write[];
  transition: TransitionProof;
  /**
   * The claims whose refusal records (`0x06 || nf`) the block writes, as they were submitted:
   * what a full-mode verifier re-checks each record against. Absent or empty: none.
   */
  refused?: Transaction[];
  /**
   * For a block with scoped transactions: the proven tip their scopes were computed against (a
   * follower needs it to rebuild the same off-DAG marking, docs/scopes.md). Absent otherwise.
   */
  scopeProvenHeight?: bigint;
};

export type DomainOutput =
  | { type: 'txAccepted'; txId: Uint8Array }
  | { type: 'txRejected'; txId: Uint8Array; code: WeftErrorCode; reason: string }
  | { type: 'txIncluded'; txId: Uint8Array; height: bigint }
  | { type: 'txEvicted'; txId: Uint8Array; code: WeftErrorCode; reason: string }
  | { type: 'blockSealed'; block: Block; headerHash: Uint8Array }
  | { type: 'remoteAccepted'; domainId: Uint8Array; height: bigint; headerHash: Uint8Array }
  | { type: 'keySetChanged'; keySet: KeySet; effectiveAfter: bigint }
  | { type: 'proven'; height: bigint }
  | {
      type: 'txScoped';
      txId: Uint8Array;
      status: ScopeTxResult['status'];
      code: WeftErrorCode | null;
      gasUsed: bigint;
    }
  | { type: 'remoteFrozen'; domainId: Uint8Array; fromHeight: bigint }
  | RemoteReinitialized;

/**
 * What a re-initialisation of a frozen remote view did: the one definition every layer reports
 * (the domain's output, the router's and the node's answers, the API's JSON).
 */
export type RemoteReinitialized = {
  type: 'remoteReinitialized';
  domainId: Uint8Array;
  /** the trusted header's height: the view's new head */
  height: bigint;
  /** the fork height the view was frozen from */
  forkHeight: bigint;
  /** heights of retained roots at or after the fork that the reinit dropped, ascending */
  droppedRoots: bigint[];
  by: string;
  evidence: Uint8Array;
};

export type TransitionResult = { state: DomainState; outputs: DomainOutput[] };

/** The environment `apply` may consult: deterministic lookups only (logics by reference). */
export type DomainEnv = {
  logics: LogicLookup;
  /** the programs scoped transactions call; absent, the domain refuses scoped transactions */
  programs?: ProgramLookup;
  /**
   * Which anchors known only through other domains this node accepts (docs/sync.md, "Anchors
   * through a path"); absent: none. Node configuration, like `logics`: a replay uses the same.
   */
  anchorPolicy?: AnchorPolicy;
  /** the trusting period of remote views for anchor paths (default TRUSTING_PERIOD_MS_DEFAULT) */
  trustingPeriodMs?: bigint;
};

/**
 * Genesis: height 0 with an empty mempool, a tree holding only the key set, and a header whose
 * prevHash is zero and txRoot is the empty root. Pure.
 */
export function genesis(config: DomainConfig, keySet: KeySet, timestamp: bigint): DomainState {
  assertConfig(config);
  assertKeySet(keySet);
  const write: Write = { key: KEYSET_TREE_KEY, value: encodeKeySet(keySet) };
  const root = transitionRoot(new Uint8Array(32), [write], { steps: [{ t: 'empty' }] });
  check(root !== null, 'BAD_INPUT', 'genesis root could not be computed');
  const head: Header = {
    domain: config.domainId,
    height: 0n,
    prevHash: new Uint8Array(32),
    stateRoot: root,
    txRoot: txRoot([]),
    timestamp,
  };
  return {
    config,
    keySet,
    nextKeySet: null,
    height: 0n,
    head,
    headHash: headerHash(head),
    provenHeight: 0n,
    recentRoots: new Map([[hexKey(root), 0n]]),
    remotes: new Map(),
    mempool: [],
    pendingNullifiers: new Set(),
    pendingCommitments: new Set(),
    statuses: new Map(),
    queuedWrites: [],
    objects: new ObjectDag(),
  };
}

/** The writes genesis makes to an empty tree (the runtime applies them to its real tree). */
export function genesisWrites(keySet: KeySet): Write[] {
  return [{ key: KEYSET_TREE_KEY, value: encodeKeySet(keySet) }];
}

function assertConfig(c: DomainConfig): void {
  check(
    c.domainId instanceof Uint8Array && c.domainId.length === 32,
    'BAD_INPUT',
    'domainId must be 32 bytes',
  );
  for (const [name, v] of Object.entries({
    batchTxsMax: c.batchTxsMax,
    blockBatchesMax: c.blockBatchesMax,
    mempoolTxsMax: c.mempoolTxsMax,
    anchorWindow: c.anchorWindow,
    mempoolTtlBlocks: c.mempoolTtlBlocks,
    remoteRootsMax: c.remoteRootsMax,
  })) {
    check(
      Number.isInteger(v) && v >= 1 && v <= 1_000_000,
      'BAD_INPUT',
      `${name} must be an integer 1..1000000`,
    );
  }
}

/** A deep copy for simulation: applying inputs to it leaves the original untouched. */
export function cloneState(s: DomainState): DomainState {
  return {
    ...s,
    recentRoots: new Map(s.recentRoots),
    remotes: new Map(s.remotes),
    mempool: [...s.mempool],
    pendingNullifiers: new Set(s.pendingNullifiers),
    pendingCommitments: new Set(s.pendingCommitments),
    statuses: new Map(s.statuses),
    queuedWrites: [...s.queuedWrites],
    refusedClaims: [...(s.refusedClaims ?? [])],
    objects: s.objects.clone(),
  };
}

/**
 * The pure transition. Invalid inputs (a bad witness, a stale timestamp, unauthorised key-set
 * changes) throw WeftError and leave `state` untouched; a refused transaction is an output, not
 * an error. Every result is checked against the postconditions (`assertPostconditions`): a
 * broken one throws `INVARIANT`, a bug in Weft, and the runtime stops. `chain`: the runtime
 * applies several remote headers in a row and nothing reads the views between them, so their
 * windows may advance in place (`WindowChain`); the state reached is the same.
 */
export function apply(
  state: DomainState,
  input: DomainInput,
  env: DomainEnv,
  chain?: WindowChain,
): TransitionResult {
  const before = factsBefore(state, input);
  const result = step(state, input, env, chain);
  assertPostconditions(before, input, result);
  return result;
}

function step(state: DomainState, input: DomainInput, env: DomainEnv, chain?: WindowChain): TransitionResult {
  switch (input.type) {
    case 'submit':
      return submit(state, input, env);
    case 'seal':
      return seal(state, input, env);
    case 'acceptRemoteHeader':
      return acceptRemote(state, input, chain);
    case 'trustRemote':
      return trustRemote(state, input);
    case 'changeKeySet':
      return changeKeySet(state, input.keySet, input.approvals);
    case 'markProven':
      return markProven(state, input.height);
    case 'freezeRemote':
      return freezeRemote(state, input);
    case 'reinitRemote':
      return reinitRemote(state, input);
    default:
      throw new WeftError('BAD_INPUT', `unknown input type '${(input as { type: string }).type}'`);
  }
}

/**
 * What the postconditions compare a result with, taken before `apply` (which changes the state
 * in place): the committed and proven tips, the head's hash, and — for a remote header — the
 * height recorded of that remote.
 */
export type StateFacts = {
  height: bigint;
  provenHeight: bigint;
  headHash: Uint8Array;
  /** for `acceptRemoteHeader`: the height recorded of the header's domain before, if any */
  remoteHeight?: bigint;
};

/** The facts `assertPostconditions` needs about `state` before `input`. */
export function factsBefore(state: DomainState, input: DomainInput): StateFacts {
  const facts: StateFacts = {
    height: state.height,
    provenHeight: state.provenHeight,
    // Only a seal's check reads it (a submission, every transaction, copies nothing here).
    headHash: input.type === 'seal' ? state.headHash.slice() : state.headHash,
  };
  if (input.type === 'acceptRemoteHeader' && input.header?.domain instanceof Uint8Array) {
    const prev = state.remotes.get(hexKey(input.header.domain));
    if (prev) facts.remoteHeight = prev.head.header.height;
  }
  return facts;
}

/**
 * The transition's postconditions (TigerBeetle's habit: assert what must hold, never continue
 * past a broken one). Throws `INVARIANT` when `result` breaks one:
 * - a seal adds exactly one block on top of the head, and its header's state root is the staged
 *   root the seal input carried; any other input leaves the committed tip where it was;
 * - the proven tip never passes the committed one, and never goes back;
 * - a recorded remote header's height grows (sync acceptance and the input's precondition
 *   guarantee it; the transcript replays it).
 */
export function assertPostconditions(before: StateFacts, input: DomainInput, result: TransitionResult): void {
  const after = result.state;
  // The messages are built only when a check fails: these run after every input, every
  // submission among them.
  if (!(after.provenHeight <= after.height))
    invariant(false, `the proven tip ${after.provenHeight} passed the committed tip ${after.height}`);
  if (!(after.provenHeight >= before.provenHeight))
    invariant(false, `the proven tip went back from ${before.provenHeight} to ${after.provenHeight}`);
  if (input.type === 'seal') {
    invariant(
      after.height === before.height + 1n,
      `a seal moved the committed tip from ${before.height} to ${after.height}, not by one`,
    );
    const sealed = result.outputs.find((o) => o.type === 'blockSealed');
    invariant(sealed !== undefined, 'a seal produced no block');
    const header = sealed.block.header;
    invariant(header.height === after.height, `the sealed header's height ${header.height} is not the tip's`);
    invariant(
      equalBytes(header.prevHash, before.headHash),
      'the sealed header does not link to the previous head',
    );
    invariant(
      equalBytes(header.stateRoot, input.stateRoot) && equalBytes(after.head.stateRoot, input.stateRoot),
      "the sealed header's state root is not the staged root the seal carried",
    );
  } else if (after.height !== before.height) {
    invariant(false, `input '${input.type}' moved the committed tip`);
  }
  if (input.type === 'markProven') {
    invariant(
      after.provenHeight === input.height,
      `markProven(${input.height}) left the proven tip at ${after.provenHeight}`,
    );
  }
  if (input.type === 'acceptRemoteHeader') {
    const recorded = after.remotes.get(hexKey(input.header.domain))?.head.header.height;
    invariant(recorded === input.header.height, 'the accepted remote header is not the one recorded');
    invariant(
      before.remoteHeight === undefined || recorded > before.remoteHeight,
      `the recorded height of a remote went from ${before.remoteHeight} to ${recorded}, not up`,
    );
  }
}

/**
 * Throws exactly what `apply` would refuse for `input`, without changing `state`: the runtime
 * checks an input before logging it, so the transcript never holds an input that fails on replay.
 * Submissions are never refused by throwing (a refused transaction is an output), and seals are
 * built by the runtime itself, so only the other inputs have preconditions to check here.
 */
export function checkInput(state: DomainState, input: DomainInput): void {
  if (input.type === 'acceptRemoteHeader') checkAcceptRemote(state, input);
  else if (input.type === 'trustRemote') checkTrustRemote(state, input);
  else if (input.type === 'changeKeySet') checkChangeKeySet(state, input.keySet, input.approvals);
  else if (input.type === 'freezeRemote') checkFreezeRemote(state, input);
  else if (input.type === 'reinitRemote') checkReinitRemote(state, input);
}

/**
 * The height of the latest header of `view`'s domain this domain recorded (`0x03 || DomainId`) in
 * its tree or queued for its next block (the queued record wins); null: none, a view only trusted.
 * `records` are the tree's records the runtime read (`TxReads.remoteRecords`); a view they do not
 * name is recorded at its head. Pure.
 */
function recordedHeight(
  state: DomainState,
  view: RemoteView,
  records: readonly RemoteRecord[],
): bigint | null {
  const key = remoteHeaderKey(view.domainId);
  for (const w of state.queuedWrites) {
    if (w.key[0] === key[0] && w.value !== null && equalBytes(w.key, key)) {
      return decodeHeight(w.value.subarray(32));
    }
  }
  const hex = hexKey(view.domainId);
  for (const r of records) if (r.domainId === hex) return r.height;
  return view.head.header.height;
}

/**
 * The highest height of `view`'s headers this domain's transactions may use (an anchor root or a
 * refund header; null: none yet): a header is usable only once this domain recorded, or queued
 * for its next block, a header of that domain at its height or above. A record comes with the
 * headers below it back to the previous record (`recordedHeaders`), so full-mode peers
 * re-executing the block were shown every header it may use; a header only trusted
 * (`trustRemote`) waits for the next accepted one (docs/sync.md, "Which headers a domain's
 * transactions may use"). An EVM vault's roots come from its events, which no full-mode peer re-checks from
 * records: its whole window stays usable. `records`: the tree's, as the runtime read them
 * (`TxReads.remoteRecords`). Pure.
 */
export function usableRemoteHeight(
  state: DomainState,
  view: RemoteView,
  records: readonly RemoteRecord[] = [],
): bigint | null {
  return isVaultView(view) ? view.head.header.height : recordedHeight(state, view, records);
}

function isUsableUpTo(
  state: DomainState,
  view: RemoteView,
  height: bigint,
  records?: readonly RemoteRecord[],
): boolean {
  const usable = usableRemoteHeight(state, view, records);
  return usable !== null && height <= usable;
}

/** Whether `root` is an anchor a transaction may use here (`records`: as `usableRemoteHeight` reads them). */
export function isAnchorAccepted(
  state: DomainState,
  root: Uint8Array,
  records?: readonly RemoteRecord[],
): boolean {
  const key = hexKey(root);
  if (state.recentRoots.has(key)) return true;
  for (const r of state.remotes.values()) {
    const height = r.roots.get(key);
    if (height !== undefined && isRootUsable(r, root) && isUsableUpTo(state, r, height, records)) return true;
  }
  return false;
}

/** Whether `domainId` is an EVM vault this domain follows (`evm` mode). */
export function isVaultDomain(state: DomainState, domainId: Uint8Array): boolean {
  const view = domainId instanceof Uint8Array ? state.remotes.get(hexKey(domainId)) : undefined;
  return view !== undefined && isVaultView(view);
}

/** Whether `root` is usable here as the commitment root of an EVM vault this domain follows (`evm` mode). */
export function isVaultAnchor(state: DomainState, root: Uint8Array): boolean {
  for (const r of state.remotes.values()) if (isVaultView(r) && isRootUsable(r, root)) return true;
  return false;
}

/**
 * Whether `bytes` (an encoded anchor path) proves `anchor` from a root this domain accepted, under
 * the node's policy, at the head's time: a later block's is never earlier, so a path too old now
 * stays too old. Pure: the views are the state's.
 */
function isAnchorProvenHere(
  state: DomainState,
  env: DomainEnv,
  anchor: Uint8Array,
  bytes: Uint8Array,
  records?: readonly RemoteRecord[],
): boolean {
  const policy = env.anchorPolicy;
  if (policy === undefined || policy.maxIntermediaries === 0) return false;
  let path: AnchorPath;
  try {
    path = decodeAnchorPath(bytes);
  } catch {
    return false;
  }
  // The path starts where a direct anchor could: at a root of a header this domain recorded or
  // queued (`usableRemoteHeight`), never at one it only trusted, which no verifier of it was shown.
  const start = state.remotes.get(hexKey(path.start));
  const startHeight = start?.roots.get(hexKey(path.startRoot));
  if (start === undefined || startHeight === undefined || !isUsableUpTo(state, start, startHeight, records))
    return false;
  return isAnchorProvenByPath(anchor, path, {
    view: (id) => state.remotes.get(hexKey(id)),
    policy,
    nowMs: state.head.timestamp,
    trustingPeriodMs: env.trustingPeriodMs ?? TRUSTING_PERIOD_MS_DEFAULT,
  });
}

/**
 * The header of `domainId` at `height` this domain accepted and still vouches for: retained
 * (within `remoteRootsMax`), usable (`usableRemoteHeight`: a header only trusted is not yet) and,
 * if the view is frozen, below the fork. What refunds are checked against.
 */
export function remoteHeaderAt(
  state: DomainState,
  domainId: Uint8Array,
  height: bigint,
  records?: readonly RemoteRecord[],
): RemoteHeaderEntry | undefined {
  if (!(domainId instanceof Uint8Array) || typeof height !== 'bigint') return undefined;
  const view = state.remotes.get(hexKey(domainId));
  if (view === undefined || !isUsableUpTo(state, view, height, records)) return undefined;
  return usableHeader(view, height);
}

/** Every header of `domainId` `remoteHeaderAt` would answer for, ascending by height. */
export function remoteHeaders(
  state: DomainState,
  domainId: Uint8Array,
  records?: readonly RemoteRecord[],
): RemoteHeaderEntry[] {
  const view = domainId instanceof Uint8Array ? state.remotes.get(hexKey(domainId)) : undefined;
  if (view === undefined) return [];
  const usable = usableRemoteHeight(state, view, records);
  const out: RemoteHeaderEntry[] = [];
  if (usable === null) return out;
  for (const e of view.recent.values()) if (e.height <= usable && usableHeader(view, e.height)) out.push(e);
  return out;
}

/**
 * The nullifier keys (`0x02 || nf`) a remote transition inserts that `holds` says this domain
 * already has (in its tree, or pending). Normally none: a resource's nullifier lands only in its
 * home's tree. A refund is the exception — it puts the nullifier of a resource homed on D into
 * the refunding domain's tree — so a D block writing that nullifier after it claimed a resource
 * this domain refunded (or a refund of a resource D's tree shows consumed): one of the two broke
 * the rules, and a domain that kept them knows it was the other (docs/transfers.md). Pure.
 */
export function nullifierConflicts(
  writes: readonly Write[],
  holds: (key: Uint8Array) => boolean,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const w of writes) {
    if (w.value === null || w.key.length !== 33 || w.key[0] !== NULLIFIER_KEY_PREFIX) continue;
    if (holds(w.key)) out.push(w.key.slice());
  }
  return out;
}

function submit(
  state: DomainState,
  input: Extract<DomainInput, { type: 'submit' }>,
  env: DomainEnv,
): TransitionResult {
  const { tx, reads } = input;
  if (reads.includedAt !== undefined) {
    const id = safeTxId(tx);
    return refuse(
      state,
      id,
      'DUPLICATE_TX',
      `transaction was already included at height ${reads.includedAt}`,
      false,
    );
  }
  // Most reads find nothing: then no set is built and no digest turned into a key to look up.
  const spent = reads.spentNullifiers.length > 0 ? new Set(reads.spentNullifiers) : null;
  const refused =
    reads.refusedNullifiers !== undefined && reads.refusedNullifiers.length > 0
      ? new Set(reads.refusedNullifiers)
      : null;
  const ctx: ValidationContext = new SubmitContext(state, env, reads, spent, refused);
  const opts = {
    ...(input.signatureResults ? { signatureResults: input.signatureResults } : {}),
    ...(input.hashes ? { hashes: input.hashes } : {}),
  };
  let effects: ValidTransaction;
  try {
    effects = validateTransaction(tx, ctx, opts);
    // A scoped body must decode and its declaration hold every rule before it is queued.
    scopeTxOf(tx, effects.id);
  } catch (e) {
    if (!(e instanceof WeftError)) throw e;
    const id = safeTxId(tx);
    queueRefusal(state, tx, ctx, opts);
    // A refusal the witness may have caused (a stripped signature, a bad proof) is this copy's,
    // not the transaction's: it is answered, never recorded under the id.
    return refuse(state, id, e.code, e.shortMessage, isDecidedByBody(e.code));
  }
  const { id } = effects;
  const key = hexKey(id);
  const known = state.statuses.get(key);
  if (known && (known.status === 'pending' || known.status === 'included')) {
    const where =
      known.status === 'pending' ? 'is already pending' : `was already included at height ${known.height}`;
    return refuse(state, id, 'DUPLICATE_TX', `transaction ${where}`, false);
  }
  // Each digest's key computed once, for the checks and for the pending sets.
  const nfKeys = effects.nullifiers.map((nf) => hexKey(nf));
  const cmKeys = effects.commitments.map((cm) => hexKey(cm));
  for (const k of nfKeys) {
    if (state.pendingNullifiers.has(k)) {
      return refuse(
        state,
        id,
        'NULLIFIER_PENDING',
        'a pending transaction already consumes one of its resources',
        true,
      );
    }
  }
  const existing = reads.existingCommitments.length > 0 ? new Set(reads.existingCommitments) : null;
  for (const k of cmKeys) {
    if (existing?.has(k) === true || state.pendingCommitments.has(k)) {
      return refuse(
        state,
        id,
        'COMMITMENT_EXISTS',
        'it creates a resource whose commitment already exists',
        true,
      );
    }
  }
  if (state.mempool.length >= state.config.mempoolTxsMax) {
    return refuse(
      state,
      id,
      'MEMPOOL_FULL',
      `the mempool holds its maximum of ${state.config.mempoolTxsMax} transactions; retry after the next block`,
      true,
    );
  }
  state.mempool.push({ id, key, tx, effects, sinceHeight: state.height });
  for (const k of nfKeys) state.pendingNullifiers.add(k);
  for (const k of cmKeys) state.pendingCommitments.add(k);
  state.statuses.set(key, { status: 'pending', sinceHeight: state.height });
  return { state, outputs: [{ type: 'txAccepted', txId: id }] };
}

/**
 * What validation may ask of the state while a submission is checked: one object per
 * transaction, its answers methods over the state and the input's reads (a closure per question
 * would be a dozen allocations per submission on the admission path).
 */
class SubmitContext implements ValidationContext {
  readonly domainId: Uint8Array;
  readonly logics: LogicLookup;
  // Every later block's timestamp is at least the head's (`seal` refuses an earlier one), so a
  // deadline already before the head's can never be met: refused now, not evicted later.
  readonly blockTimestampMs: bigint;
  readonly executesScopes: boolean;

  constructor(
    private readonly state: DomainState,
    private readonly env: DomainEnv,
    private readonly reads: TxReads,
    private readonly spent: Set<string> | null,
    private readonly refused: Set<string> | null,
  ) {
    this.domainId = state.config.domainId;
    this.logics = env.logics;
    this.blockTimestampMs = state.head.timestamp;
    this.executesScopes = env.programs !== undefined;
  }

  isAnchorAccepted(root: Uint8Array): boolean {
    return isAnchorAccepted(this.state, root, this.reads.remoteRecords);
  }

  isNullifierSpent(nf: Uint8Array): boolean {
    return this.spent?.has(hexKey(nf)) === true;
  }

  isOwnAnchor(root: Uint8Array): boolean {
    return this.state.recentRoots.has(hexKey(root));
  }

  remoteHeaderAt(domainId: Uint8Array, height: bigint): RemoteHeaderFacts | undefined {
    return remoteHeaderAt(this.state, domainId, height, this.reads.remoteRecords);
  }

  isRefused(nf: Uint8Array): boolean {
    return this.refused?.has(hexKey(nf)) === true || queuedRefusal(this.state, nf);
  }

  isAnchorProvenByPath(anchor: Uint8Array, bytes: Uint8Array): boolean {
    return isAnchorProvenHere(this.state, this.env, anchor, bytes, this.reads.remoteRecords);
  }

  isVaultAnchor(root: Uint8Array): boolean {
    return isVaultAnchor(this.state, root);
  }

  isVaultDomain(id: Uint8Array): boolean {
    return isVaultDomain(this.state, id);
  }
}

/**
 * Records, for the next block, the refusal of a refused claim that proves its transfer and is
 * signed (`refusalOf`, docs/transfers.md "Refusals"): `0x06 || nf(r') -> reason || height`. The
 * claim's nullifier must not be pending either — a claim and a refusal of one transfer exclude
 * each other in this domain's state: a refusal is never recorded for a resource consumed or about
 * to be, and a recorded or queued one makes every later claim TRANSFER_REFUSED.
 */
function queueRefusal(
  state: DomainState,
  tx: Transaction,
  ctx: ValidationContext,
  opts: { signatureResults?: SignatureResults },
): void {
  let queued = 0;
  for (const w of state.queuedWrites) if (w.key[0] === REFUSAL_KEY_PREFIX) queued++;
  if (queued >= REFUSALS_PER_BLOCK_MAX) return;
  // Everything `ctx` answers (its methods too: a spread would copy only its own fields), but a
  // pending nullifier counts as spent.
  const pendingAware: ValidationContext = Object.create(ctx);
  pendingAware.isNullifierSpent = (nf) => ctx.isNullifierSpent(nf) || state.pendingNullifiers.has(hexKey(nf));
  const r = refusalOf(tx, pendingAware, opts);
  if (r === null) return;
  const value = encodeRefusal({ reason: r.reason, height: state.height + 1n });
  state.queuedWrites.push({ key: refusalKey(r.nullifier), value });
  state.refusedClaims = [...(state.refusedClaims ?? []), tx];
}

/** Whether a refusal of the resource with nullifier `nf` waits in the next block's writes. */
function queuedRefusal(state: DomainState, nf: Uint8Array): boolean {
  if (state.queuedWrites.length === 0) return false;
  const key = refusalKey(nf);
  for (const w of state.queuedWrites) if (equalBytes(w.key, key)) return true;
  return false;
}

/** The id of a transaction that failed validation, or zeros when it cannot even be encoded. */
function safeTxId(tx: Transaction): Uint8Array {
  try {
    return txId(tx);
  } catch {
    return new Uint8Array(32);
  }
}

function refuse(
  state: DomainState,
  id: Uint8Array,
  code: WeftErrorCode,
  reason: string,
  record: boolean,
): TransitionResult {
  const key = hexKey(id);
  const known = state.statuses.get(key);
  // A refused resubmission never overwrites the status of the transaction already known.
  if (record && !(known && (known.status === 'pending' || known.status === 'included'))) {
    state.statuses.set(key, { status: 'rejected', code, reason });
  }
  return { state, outputs: [{ type: 'txRejected', txId: id, code, reason }] };
}

/** A pending transaction a block leaves out for good, with the status code it ends with. */
export type Eviction = { pending: PendingTx; code: 'DEADLINE_PASSED' | 'EXPIRED'; reason: string };

/**
 * The transactions the next block takes (in order, in batches) and the ones it evicts. `objects`
 * lists what its scoped transactions declare (the runtime reads them from the tree); `scoped` is
 * their execution, when the plan was given those reads (null when there is nothing to execute).
 */
export type BlockPlan = {
  batches: PendingTx[][];
  evicted: Eviction[];
  writes: Write[];
  height: bigint;
  /** the claims behind the refusal records the block writes (queued ones, then evictions') */
  refused: Transaction[];
  objects: Uint8Array[];
  scoped: { dag: ObjectDag; results: ScopeTxResult[] } | null;
};

/** What planning needs to execute scoped transactions: the programs and the tree's object values. */
export type ScopeReads = { programs: ProgramLookup; objects: ObjectRead[] };

/**
 * Plans the next block, sealed at `timestamp` (ms), deterministically: the oldest pending
 * transactions, at most N per batch and M batches (pending transactions never share a nullifier,
 * so any split is conflict-free), after evicting those consuming a resource whose deadline is
 * before `timestamp` and those that waited longer than the TTL. The runtime calls this to know
 * which keys the seal witness must cover; `seal` calls it again and gets the same plan.
 */
export function planBlock(state: DomainState, timestamp: bigint, scope?: ScopeReads): BlockPlan {
  check(typeof timestamp === 'bigint', 'BAD_INPUT', 'planBlock needs the block timestamp (ms, bigint)');
  const height = state.height + 1n;
  const ttl = BigInt(state.config.mempoolTtlBlocks);
  const evicted: Eviction[] = [];
  const live: PendingTx[] = [];
  for (const p of state.mempool) {
    const deadline = p.effects.deadline;
    if (deadline !== null && timestamp > deadline) {
      const reason = `consumes a resource whose deadline ${deadline} ms is before the block's ${timestamp} ms`;
      evicted.push({ pending: p, code: 'DEADLINE_PASSED', reason });
    } else if (height - p.sinceHeight > ttl) {
      const reason = `waited more than ${state.config.mempoolTtlBlocks} blocks without being included`;
      evicted.push({ pending: p, code: 'EXPIRED', reason });
    } else {
      live.push(p);
    }
  }
  const take = Math.min(live.length, state.config.batchTxsMax * state.config.blockBatchesMax);
  const batches: PendingTx[][] = [];
  for (let i = 0; i < take; i += state.config.batchTxsMax)
    batches.push(live.slice(i, Math.min(take, i + state.config.batchTxsMax)));
  const h = encodeHeight(height);
  const writes: Write[] = [];
  for (const batch of batches) {
    for (const p of batch) {
      for (const cm of p.effects.commitments) writes.push({ key: commitmentKey(cm), value: h });
      for (const nf of p.effects.nullifiers) writes.push({ key: nullifierKey(nf), value: h });
    }
  }
  const atSeal = evictionRefusals(state, evicted, height);
  writes.push(...atSeal.map((x) => x.write));
  writes.push(...state.queuedWrites);
  const refused = [...(state.refusedClaims ?? []), ...atSeal.map((x) => x.tx)];
  const scopedTxs: ScopeTx[] = [];
  for (const batch of batches) {
    for (const p of batch) {
      const st = scopeTxOf(p.tx, p.id);
      if (st) scopedTxs.push(st);
    }
  }
  const objects = objectsToRead(scopedTxs);
  let scoped: BlockPlan['scoped'] = null;
  if (scopedTxs.length > 0 && scope) {
    // A copy: planning is pure, and `seal` adopts the copy it plans with.
    const dag = state.objects.clone();
    const out = executeScopedBlock({
      dag,
      programs: scope.programs,
      height,
      txs: scopedTxs,
      reads: scope.objects,
    });
    writes.push(...out.writes);
    scoped = { dag, results: out.results };
  }
  return { batches, evicted, writes, height, refused, objects, scoped };
}

/**
 * Refusal records for the claims a block evicts because it is past their deadline: admission
 * checked them in full (signatures, and the proof under a root accepted from another domain), so
 * the block records that it refuses them, as admission would have a moment later. Deterministic
 * from the state and the timestamp, like the rest of the plan.
 */
function evictionRefusals(
  state: DomainState,
  evicted: Eviction[],
  height: bigint,
): { write: Write; tx: Transaction }[] {
  let room = REFUSALS_PER_BLOCK_MAX;
  for (const w of state.queuedWrites) if (w.key[0] === REFUSAL_KEY_PREFIX) room--;
  const out: { write: Write; tx: Transaction }[] = [];
  for (const e of evicted) {
    if (room <= 0) break;
    if (e.code !== 'DEADLINE_PASSED') continue;
    const nf = evictedClaim(state, e.pending);
    if (nf === null || queuedRefusal(state, nf)) continue;
    const write = { key: refusalKey(nf), value: encodeRefusal({ reason: 'DEADLINE_PASSED', height }) };
    out.push({ write, tx: e.pending.tx });
    room--;
  }
  return out;
}

/** The nullifier of a pending transaction that is a claim (`refusalOf`'s shape), or null. */
function evictedClaim(state: DomainState, p: PendingTx): Uint8Array | null {
  const tx = p.tx;
  if (tx.executor === undefined || !equalBytes(tx.executor, state.config.domainId)) return null;
  if (tx.actions.length !== 1 || tx.actions[0]!.consumed.length !== 1) return null;
  const c = tx.actions[0]!.consumed[0]!;
  if (c.isRefund === true || c.commitmentProof === null) return null;
  const anchor = hexKey(c.commitmentProof.anchor);
  if (state.recentRoots.has(anchor)) return null;
  let remote = false;
  for (const r of state.remotes.values()) if (r.roots.has(anchor)) remote = true;
  return remote ? p.effects.nullifiers[0]! : null;
}

function seal(
  state: DomainState,
  input: Extract<DomainInput, { type: 'seal' }>,
  env: DomainEnv,
): TransitionResult {
  check(typeof input.timestamp === 'bigint', 'BAD_INPUT', 'seal timestamp must be a bigint (ms)');
  if (input.timestamp < state.head.timestamp) {
    throw new WeftError(
      'BAD_TIMESTAMP',
      `block timestamp ${input.timestamp} is before the previous block's ${state.head.timestamp}`,
    );
  }
  check(
    input.stateRoot instanceof Uint8Array && input.stateRoot.length === 32,
    'BAD_INPUT',
    'seal needs a 32-byte stateRoot',
  );
  const plan = planBlock(state, input.timestamp, scopeReadsOf(input, env));
  if (plan.objects.length > 0 && plan.scoped === null) {
    throw new WeftError(
      'BAD_INPUT',
      'the block has scoped transactions: the seal needs the programs and the object reads',
    );
  }
  const stateRoot = input.stateRoot.slice();
  // Checks done: from here the state changes.
  const ids = plan.batches.flatMap((b) => b.map((p) => p.id));
  const header: Header = {
    domain: state.config.domainId,
    height: plan.height,
    prevHash: state.headHash,
    stateRoot,
    txRoot: txRoot(ids),
    timestamp: input.timestamp,
  };
  const outputs: DomainOutput[] = [];
  const gone = new Set<string>();
  for (const [b, batch] of plan.batches.entries()) {
    for (const [i, p] of batch.entries()) {
      gone.add(p.key);
      state.statuses.set(p.key, { status: 'included', height: plan.height, batch: b, index: i });
      outputs.push({ type: 'txIncluded', txId: p.id, height: plan.height });
    }
  }
  for (const { pending: p, code, reason } of plan.evicted) {
    gone.add(p.key);
    state.statuses.set(p.key, { status: 'evicted', code, reason });
    outputs.push({ type: 'txEvicted', txId: p.id, code, reason });
  }
  for (const r of plan.scoped?.results ?? []) {
    outputs.push({ type: 'txScoped', txId: r.id, status: r.status, code: r.code, gasUsed: r.gasUsed });
  }
  const provenBefore = state.provenHeight;
  if (plan.scoped) state.objects = plan.scoped.dag;
  dropPending(state, gone);
  state.queuedWrites = [];
  state.refusedClaims = [];
  if (state.nextKeySet) {
    state.keySet = state.nextKeySet;
    state.nextKeySet = null;
  }
  state.height = plan.height;
  state.head = header;
  state.headHash = headerHash(header);
  state.recentRoots.set(hexKey(stateRoot), plan.height);
  const oldest = plan.height - BigInt(state.config.anchorWindow);
  for (const [k, h] of state.recentRoots) if (h <= oldest) state.recentRoots.delete(k);
  const block: Block = {
    header,
    batches: plan.batches.map((b) => b.map((p) => p.id)),
    txs: plan.batches.flatMap((b) => b.map((p) => p.tx)),
    writes: plan.writes,
    transition: input.transition,
    ...(plan.scoped ? { scopeProvenHeight: provenBefore } : {}),
  };
  if (plan.refused.length > 0) block.refused = plan.refused;
  outputs.unshift({ type: 'blockSealed', block, headerHash: state.headHash });
  return { state, outputs };
}

/**
 * Recomputes a seal input's root statelessly from the current root, the planned writes and the
 * input's transition proof: true when they agree. What a replay, an auditor or a remote verifier
 * uses instead of trusting the tree that produced the root.
 */
export function checkSeal(
  state: DomainState,
  input: Extract<DomainInput, { type: 'seal' }>,
  env: Partial<DomainEnv> = {},
): boolean {
  const root = transitionRoot(
    state.head.stateRoot,
    planBlock(state, input.timestamp, scopeReadsOf(input, env)).writes,
    input.transition,
  );
  return root !== null && equalBytes(root, input.stateRoot);
}

function scopeReadsOf(
  input: Extract<DomainInput, { type: 'seal' }>,
  env: Partial<DomainEnv>,
): ScopeReads | undefined {
  return env.programs && input.objects ? { programs: env.programs, objects: input.objects } : undefined;
}

/**
 * Throws what `inputs`, remote headers applied one after another, would refuse (as `checkInput`
 * on each in turn); changes nothing. Recording a remote header changes for the next one only its
 * domain's head (never a freeze), so each is checked against the header before it in `inputs` of
 * the same domain, or the state's view for the first.
 */
export function checkAcceptRemoteInputs(state: DomainState, inputs: readonly AcceptRemoteInput[]): void {
  const heads = new Map<string, Header>();
  for (const input of inputs) {
    check(input?.type === 'acceptRemoteHeader', 'BAD_INPUT', 'expected remote headers only');
    const domain = input.header?.domain;
    const key = domain instanceof Uint8Array ? hexKey(domain) : '';
    checkAcceptRemote(state, input, heads.get(key));
    heads.set(key, input.header);
  }
}

/**
 * Throws what `acceptRemote` would refuse; changes nothing. `after`: the header recorded just
 * before it (of a batch), standing for the view's head.
 */
function checkAcceptRemote(state: DomainState, input: AcceptRemoteInput, after?: Header): void {
  const { header } = input;
  check(
    header && header.domain instanceof Uint8Array && header.domain.length === 32,
    'BAD_INPUT',
    'remote header needs a domain',
  );
  check(
    !equalBytes(header.domain, state.config.domainId),
    'BAD_INPUT',
    'a domain does not accept its own headers as remote',
  );
  checkRemoteExtras(input.signatures, input.keySet, input.mode, input.atMs);
  check(
    input.learned === undefined ||
      (Array.isArray(input.learned) &&
        input.learned.every(
          (l) =>
            l.domainId instanceof Uint8Array &&
            l.domainId.length === 32 &&
            l.stateRoot instanceof Uint8Array &&
            l.stateRoot.length === 32 &&
            typeof l.height === 'bigint' &&
            typeof l.timestamp === 'bigint',
        )),
    'BAD_INPUT',
    'learned must list (32-byte domainId, height, 32-byte stateRoot, timestamp)',
  );
  const prev = state.remotes.get(hexKey(header.domain));
  if (prev?.frozen) {
    throw new WeftError(
      'VIEW_FROZEN',
      `the remote domain equivocated at height ${prev.frozen.fromHeight}; nothing new is accepted from it`,
    );
  }
  const head = after ?? prev?.head.header;
  if (head && header.height <= head.height) {
    throw new WeftError(
      'STALE_HEADER',
      `remote height ${header.height} is not above the accepted ${head.height}`,
    );
  }
  // A domain's block timestamps never decrease; refunds rely on it (docs/transfers.md).
  if (head && header.timestamp < head.timestamp) {
    throw new WeftError(
      'BAD_TIMESTAMP',
      `remote header ${header.height} has timestamp ${header.timestamp}, before the accepted ${head.timestamp}`,
    );
  }
}

/** The optional parts of a remote input: well formed when present. */
function checkRemoteExtras(
  signatures: SignerSignature[] | undefined,
  keySet: KeySet | undefined,
  mode: VerificationMode | undefined,
  atMs: bigint | undefined,
): void {
  check(signatures === undefined || Array.isArray(signatures), 'BAD_INPUT', 'signatures must be a list');
  if (keySet !== undefined) assertKeySet(keySet);
  check(
    mode === undefined || VIEW_MODES.includes(mode),
    'BAD_INPUT',
    `mode must be one of ${VIEW_MODES.join(', ')}`,
  );
  check(atMs === undefined || (typeof atMs === 'bigint' && atMs >= 0n), 'BAD_INPUT', 'atMs must be a u64');
}

function acceptRemote(state: DomainState, input: AcceptRemoteInput, chain?: WindowChain): TransitionResult {
  checkAcceptRemote(state, input);
  const { header } = input;
  const key = hexKey(header.domain);
  const prev = state.remotes.get(key);
  const signed: SignedHeader = { header, signatures: input.signatures ?? [] };
  const atMs = input.atMs ?? prev?.advancedAtMs ?? 0n;
  const view = prev
    ? advanceView(
        prev,
        signed,
        {
          signedBy: prev.keySet,
          keySet: input.keySet ?? prev.keySet,
          mode: input.mode ?? prev.mode,
          atMs,
          ...(input.learned ? { learned: input.learned } : {}),
        },
        chain,
      )
    : newRemoteView({
        signed,
        keySet: input.keySet ?? null,
        signedBy: null,
        mode: input.mode ?? null,
        recentMax: state.config.remoteRootsMax,
        atMs,
      });
  state.remotes.set(key, view);
  queueRemoteRecord(state, header, view.headHash);
  return {
    state,
    outputs: [
      { type: 'remoteAccepted', domainId: header.domain, height: header.height, headerHash: view.headHash },
    ],
  };
}

/** Throws what `trustRemote` would refuse; changes nothing. */
function checkTrustRemote(state: DomainState, input: TrustRemoteInput): void {
  const header = input.signed?.header;
  try {
    encodeHeader(header);
  } catch (e) {
    throw new WeftError('BAD_INPUT', `the trusted header is malformed: ${(e as Error).message}`);
  }
  check(!equalBytes(header.domain, state.config.domainId), 'BAD_INPUT', 'a domain does not follow itself');
  assertKeySet(input.keySet);
  checkRemoteExtras(input.signed.signatures, input.signedBy, input.mode, input.atMs);
  check(
    input.mode !== undefined && input.atMs !== undefined,
    'BAD_INPUT',
    'trustRemote needs a mode and atMs',
  );
  check(
    input.name === undefined ||
      (typeof input.name === 'string' && utf8(input.name).length <= REINIT_BY_BYTES_MAX),
    'BAD_INPUT',
    `a remote's name is at most ${REINIT_BY_BYTES_MAX} UTF-8 bytes`,
  );
  if (state.remotes.has(hexKey(header.domain))) {
    throw new WeftError(
      'DUPLICATE_DOMAIN',
      'this domain already follows that remote: its view resumes as it is',
    );
  }
  if (!verifyHeaderSignatures(input.signed, input.signedBy ?? input.keySet)) {
    throw new WeftError('BAD_SIGNATURES', 'the trusted header is not signed by a threshold of its key set');
  }
}

/** A view of a remote domain that trusts `signed` (no tree record: nothing was accepted through sync yet). */
function trustRemote(state: DomainState, input: TrustRemoteInput): TransitionResult {
  checkTrustRemote(state, input);
  const view = newRemoteView({
    signed: input.signed,
    keySet: input.keySet,
    signedBy: input.signedBy ?? input.keySet,
    mode: input.mode,
    recentMax: state.config.remoteRootsMax,
    atMs: input.atMs,
    name: input.name,
  });
  state.remotes.set(hexKey(view.domainId), view);
  return { state, outputs: [] };
}

/** Queues `0x03 || DomainId -> headerHash || height` for the next block (the last one per domain wins). */
function queueRemoteRecord(state: DomainState, header: Header, hh: Uint8Array): void {
  const value = new Uint8Array(40);
  value.set(hh, 0);
  value.set(encodeHeight(header.height), 32);
  state.queuedWrites = state.queuedWrites.filter((w) => !equalBytes(w.key, remoteHeaderKey(header.domain)));
  state.queuedWrites.push({ key: remoteHeaderKey(header.domain), value });
}

/** Throws what `changeKeySet` would refuse; changes nothing. */
function checkChangeKeySet(state: DomainState, next: KeySet, approvals: SignerSignature[]): void {
  assertKeySet(next);
  check(
    state.nextKeySet === null,
    'KEYSET_PENDING',
    'a key-set change is already pending for the next block',
  );
  const digest = keySetChangeDigest(state.config.domainId, state.height + 1n, next);
  if (!meetsThreshold(state.keySet, digest, approvals)) {
    throw new WeftError(
      'BAD_SIGNATURES',
      `a key-set change needs ${state.keySet.threshold} valid approvals from the current key set`,
    );
  }
}

function changeKeySet(state: DomainState, next: KeySet, approvals: SignerSignature[]): TransitionResult {
  checkChangeKeySet(state, next, approvals);
  state.nextKeySet = next;
  state.queuedWrites.push({ key: KEYSET_TREE_KEY, value: encodeKeySet(next) });
  return { state, outputs: [{ type: 'keySetChanged', keySet: next, effectiveAfter: state.height + 1n }] };
}

/** Throws what `freezeRemote` would refuse; changes nothing. */
function checkFreezeRemote(state: DomainState, input: FreezeRemoteInput): void {
  const { domainId, fromHeight, evidence } = input;
  check(
    domainId instanceof Uint8Array && domainId.length === 32,
    'BAD_INPUT',
    'freezeRemote needs a 32-byte domainId',
  );
  check(typeof fromHeight === 'bigint', 'BAD_INPUT', 'fromHeight must be a bigint');
  if (!state.remotes.has(hexKey(domainId))) {
    throw new WeftError('UNKNOWN_DOMAIN', 'this domain holds no view of that remote to freeze');
  }
  if (evidence !== undefined) {
    check(
      equalBytes(evidence.domainId, domainId) &&
        evidence.a.header.height === fromHeight &&
        evidence.b.header.height === fromHeight,
      'BAD_INPUT',
      'the equivocation evidence is not of that remote at the freeze height',
    );
  }
  const bad = input.invalidBlock;
  if (bad !== undefined) {
    check(
      equalBytes(bad.domainId, domainId) &&
        equalBytes(bad.signed.header.domain, domainId) &&
        bad.signed.header.height === fromHeight,
      'BAD_INPUT',
      'the invalid-block evidence is not of that remote at the freeze height',
    );
  }
}

/**
 * Freezes a remote view after equivocation evidence or a double spend (verified by the sync
 * layer): roots at or after the fork height stop being anchors, earlier ones stay usable, and no
 * header is accepted from that domain any more. Pending transactions that lean on the doubtful
 * branch — anchored on a root it dropped, or refunding against a header at or after the fork —
 * are evicted (`VIEW_FROZEN`): admission checked them against what is now in doubt. Other
 * domains are untouched.
 */
function freezeRemote(state: DomainState, input: FreezeRemoteInput): TransitionResult {
  checkFreezeRemote(state, input);
  const { domainId, fromHeight } = input;
  const view = state.remotes.get(hexKey(domainId))!;
  if (view.frozen !== null && view.frozen.fromHeight <= fromHeight) return { state, outputs: [] };
  const dropped = new Set<string>();
  for (const [root, h] of view.roots) if (h >= fromHeight) dropped.add(root);
  state.remotes.set(
    hexKey(domainId),
    freezeRemoteView(view, {
      fromHeight,
      evidence: input.evidence ?? null,
      ...(input.invalidBlock ? { invalidBlock: input.invalidBlock } : {}),
    }),
  );
  const outputs: DomainOutput[] = [{ type: 'remoteFrozen', domainId, fromHeight }];
  const doomed = state.mempool.filter((p) => leansOnFork(p.tx, domainId, fromHeight, dropped));
  const reason = `it relies on a root or header of a remote domain at or after its fork at height ${fromHeight}`;
  for (const p of doomed) {
    state.statuses.set(p.key, { status: 'evicted', code: 'VIEW_FROZEN', reason });
    outputs.push({ type: 'txEvicted', txId: p.id, code: 'VIEW_FROZEN', reason });
  }
  dropPending(state, new Set(doomed.map((p) => p.key)));
  return { state, outputs };
}

/** Whether a pending transaction used a dropped anchor, or a refund header of `domainId` from `fromHeight` on. */
function leansOnFork(
  tx: Transaction,
  domainId: Uint8Array,
  fromHeight: bigint,
  dropped: Set<string>,
): boolean {
  for (const a of tx.actions) {
    for (const c of a.consumed) {
      if (c.commitmentProof !== null && dropped.has(hexKey(c.commitmentProof.anchor))) return true;
      if (c.refund !== undefined && c.refund.height >= fromHeight && homeOf(c.value, domainId)) return true;
    }
  }
  return false;
}

/** Whether an (already validated) value preimage names `domainId` as its home. */
function homeOf(value: Uint8Array, domainId: Uint8Array): boolean {
  try {
    return equalBytes(decodeValue(value).home, domainId);
  } catch {
    return false;
  }
}

/** Takes the pending transactions with these keys out of the mempool and its pending sets. */
function dropPending(state: DomainState, keys: Set<string>): void {
  if (keys.size === 0) return;
  for (const p of state.mempool) {
    if (!keys.has(p.key)) continue;
    for (const nf of p.effects.nullifiers) state.pendingNullifiers.delete(hexKey(nf));
    for (const cm of p.effects.commitments) state.pendingCommitments.delete(hexKey(cm));
  }
  state.mempool = state.mempool.filter((p) => !keys.has(p.key));
}

/** Throws what `reinitRemote` would refuse; changes nothing. */
function checkReinitRemote(state: DomainState, input: ReinitRemoteInput): void {
  const { domainId, header, by, evidence } = input;
  check(
    domainId instanceof Uint8Array && domainId.length === 32,
    'BAD_INPUT',
    'reinitRemote needs a 32-byte domainId',
  );
  check(
    evidence instanceof Uint8Array && evidence.length === 32,
    'BAD_INPUT',
    'reinitRemote needs the 32-byte hash of the evidence it answers',
  );
  check(
    typeof by === 'string' && by.length > 0 && utf8(by).length <= REINIT_BY_BYTES_MAX,
    'BAD_INPUT',
    `reinitRemote needs who decided it: a non-empty string of at most ${REINIT_BY_BYTES_MAX} UTF-8 bytes`,
  );
  try {
    encodeHeader(header);
  } catch (e) {
    throw new WeftError('BAD_INPUT', `the trusted header is malformed: ${(e as Error).message}`);
  }
  check(equalBytes(header.domain, domainId), 'BAD_INPUT', "the trusted header is not the remote domain's");
  const view = state.remotes.get(hexKey(domainId));
  if (view === undefined) {
    throw new WeftError('UNKNOWN_DOMAIN', 'this domain holds no view of that remote to re-initialise');
  }
  if (view.frozen === null) {
    throw new WeftError(
      'NOT_FROZEN',
      'the view of that remote is not frozen; only a frozen view is re-initialised',
    );
  }
  const fork = view.frozen.fromHeight;
  if (header.height < fork) {
    throw new WeftError(
      'BAD_HEIGHT',
      `the trusted header (height ${header.height}) must be at or after the fork height ${fork}: it is what settles the fork`,
    );
  }
  checkRemoteExtras(input.signatures, input.keySet, undefined, input.atMs);
  // Refunds need the remote's timestamps never to decrease across every header kept.
  for (const e of view.recent.values()) {
    if (e.height < fork && e.timestamp > header.timestamp) {
      throw new WeftError(
        'BAD_TIMESTAMP',
        `the trusted header's timestamp ${header.timestamp} is before that of the kept header at height ${e.height} (${e.timestamp})`,
      );
    }
  }
}

/**
 * Re-initialises a frozen view from a header the operator trusts: it becomes the head, the freeze
 * is lifted, anchors and headers before the fork stay (nothing disputed them), those at or after
 * it are dropped except the trusted header's own, and the header is recorded in the tree like an
 * accepted one.
 */
function reinitRemote(state: DomainState, input: ReinitRemoteInput): TransitionResult {
  checkReinitRemote(state, input);
  const { domainId, header } = input;
  const view = state.remotes.get(hexKey(domainId))!;
  const forkHeight = view.frozen!.fromHeight;
  const droppedRoots: bigint[] = [];
  const recent = new Map<bigint, RecentHeader>();
  for (const [h, e] of view.recent) {
    if (h < forkHeight) {
      recent.set(h, e);
      continue;
    }
    const kept = h === header.height && equalBytes(e.stateRoot, header.stateRoot);
    if (!kept) droppedRoots.push(h);
  }
  const base: RemoteView = {
    ...view,
    recent,
    roots: rootsOf(recent),
    frozen: null,
    knows: knowsBefore(view, forkHeight),
  };
  const signed: SignedHeader = { header, signatures: input.signatures ?? [] };
  const keySet = input.keySet ?? view.keySet;
  const next = advanceView(base, signed, {
    signedBy: keySet,
    keySet,
    mode: view.mode,
    atMs: input.atMs ?? view.advancedAtMs,
  });
  state.remotes.set(hexKey(domainId), next);
  queueRemoteRecord(state, header, next.headHash);
  return {
    state,
    outputs: [
      {
        type: 'remoteReinitialized',
        domainId,
        height: header.height,
        forkHeight,
        droppedRoots,
        by: input.by,
        evidence: input.evidence,
      },
    ],
  };
}

function markProven(state: DomainState, height: bigint): TransitionResult {
  check(typeof height === 'bigint', 'BAD_INPUT', 'height must be a bigint');
  if (height > state.height) {
    throw new WeftError(
      'BAD_HEIGHT',
      `cannot mark height ${height} proven: the committed tip is ${state.height}`,
    );
  }
  if (height <= state.provenHeight) {
    throw new WeftError('BAD_HEIGHT', `height ${height} is not above the proven tip ${state.provenHeight}`);
  }
  state.provenHeight = height;
  state.objects.advanceProven(height);
  return { state, outputs: [{ type: 'proven', height }] };
}
