// A running domain: the pure state machine with a thin runtime around it — the clock, the
// signing keys, the tree, the signature workers — that reads what an input needs, applies it,
// carries out the outputs, and tells listeners.
import { EventEmitter } from 'node:events';
import {
  check,
  equalBytes,
  hexKey,
  type KeyPair,
  Reader,
  type SignatureVerifierPool,
  WeftError,
  Writer,
} from '../crypto/index.js';
import { isPlanted } from '../crypto/plantedBugs.js';
import { builtinRegistry, commitment, domainId as domainIdOf, type LogicLookup } from '../resource/index.js';
import {
  type AttestationOutcome,
  decodeObjectState,
  type ObjectRead,
  objectKey,
  type ProgramLookup,
  ProvenTip,
  type ProverEvidence,
  type ProverSet,
  type RemoteAttestationOutcome,
  RemoteProvenTips,
  type SignedAttestation,
} from '../scope/index.js';
import { type Proof, Smt, type StagedVersion, type Write } from '../smt/index.js';
import {
  checkTransactionShape,
  commitmentKey,
  decodeHeight,
  nullifierKey,
  preverifyBatch,
  refusalKey,
  type SignatureResults,
  type Transaction,
  TxHashMemo,
  txId,
} from '../tx/index.js';
import { ANCHOR_POLICY_NONE, type AnchorPolicy, assertAnchorPolicy } from './anchorPath.js';
import { type Header, type SignedHeader, signHeader } from './header.js';
import { KEYSET_TREE_KEY, type KeySet, makeKeySet, type SignerSignature } from './keyset.js';
import {
  type EquivocationEvidence,
  type InvalidBlockEvidence,
  isVaultView,
  type LearnedHeader,
  type RemoteView,
  type VerificationMode,
  WindowChain,
} from './remoteView.js';
import {
  type AcceptRemoteInput,
  ANCHOR_WINDOW_DEFAULT,
  apply,
  BATCH_TXS_MAX_DEFAULT,
  BLOCK_BATCHES_MAX_DEFAULT,
  type Block,
  checkAcceptRemoteInputs,
  checkInput,
  type DomainConfig,
  type DomainEnv,
  type DomainInput,
  type DomainOutput,
  type DomainState,
  genesis,
  genesisWrites,
  isAnchorAccepted,
  isVaultAnchor,
  MEMPOOL_TTL_BLOCKS_DEFAULT,
  MEMPOOL_TXS_MAX_DEFAULT,
  nullifierConflicts,
  planBlock,
  REMOTE_ROOTS_MAX_DEFAULT,
  type RemoteHeaderEntry,
  type RemoteRecord,
  remoteHeaderAt,
  remoteHeaderKey,
  remoteHeaders,
  type TxReads,
  type TxStatus,
  usableRemoteHeight,
} from './transition.js';

export type DomainLimits = Partial<
  Pick<
    DomainConfig,
    | 'batchTxsMax'
    | 'blockBatchesMax'
    | 'mempoolTxsMax'
    | 'anchorWindow'
    | 'mempoolTtlBlocks'
    | 'remoteRootsMax'
  >
>;

/**
 * Durable storage a Domain writes through; `weft/store` implements it on LMDB. Without one, a
 * domain keeps its blocks in memory.
 */
export interface DomainStore {
  /** Makes submission-side inputs durable (one group commit); resolves once flushed. */
  appendInputs(inputs: DomainInput[]): Promise<void>;
  /** Lands genesis: the tree's first version, block 0, its header and the first checkpoint. */
  commitGenesis(c: BlockCommit): Promise<void>;
  /**
   * Lands a sealed block atomically with its tree version: the inputs that sealed it, the
   * block, its signed header, the state after it (a checkpoint), and the terminal statuses
   * decided since the previous block.
   */
  commitBlock(c: BlockCommit): Promise<void>;
  header(height: bigint): SignedHeader | undefined;
  block(height: bigint): Block | undefined;
  /** A transaction status the store holds (terminal statuses of earlier blocks). */
  status(txKey: string): TxStatus | undefined;
  /** A value preimage by its valueRef (hex), kept for every resource a block created. */
  value(refKey: string): Uint8Array | undefined;
  /** The provers' state stored with the last checkpoint (`BlockCommit.provers`), if any. */
  proverState?(): Uint8Array | undefined;
}

export type BlockCommit = {
  staged: StagedVersion;
  inputs: DomainInput[];
  block: Block;
  signed: SignedHeader;
  state: DomainState;
  statuses: [string, TxStatus][];
  /**
   * The provers' state to keep with the checkpoint (docs/provers.md, "Persistence"): attestations
   * not yet counted, of this domain and of the domains it follows, and the evidence held.
   */
  provers?: Uint8Array;
};

export type DomainOptions = {
  /** the domain's name; its DomainId is SHA256(utf8 name) */
  name: string;
  /** secp256k1 keys this node signs blocks with */
  signers: KeyPair[];
  /** the domain's key set (default: the signers' keys, all required) */
  keySet?: KeySet;
  limits?: DomainLimits;
  /** milliseconds since the epoch (default Date.now); only the runtime reads it */
  clock?: () => bigint;
  /** genesis header timestamp (default: the clock at creation) */
  genesisTimestamp?: bigint;
  logics?: LogicLookup;
  /**
   * Which anchors known only through other domains this node accepts (docs/sync.md, "Anchors
   * through a path"); absent: none. `trustingPeriodMs` is its views' trusting period.
   */
  anchorPolicy?: AnchorPolicy;
  trustingPeriodMs?: bigint;
  /** worker threads for signature checks; inline checks when absent */
  verifier?: SignatureVerifierPool;
  /** the tree (default: in memory); a new domain needs an empty one */
  tree?: Smt;
  /** durable storage (default: none, blocks kept in memory) */
  store?: DomainStore;
  /**
   * The domain's provers (docs/provers.md). When set, a block is proven only once a threshold of
   * them attested its root (`attest`); when absent, each seal proves its own block at once.
   */
  provers?: ProverSet;
  /**
   * The programs scoped transactions may call (weft/scope). Absent, the domain refuses scoped
   * transactions (`TX_SCOPE_UNSUPPORTED`).
   */
  programs?: ProgramLookup;
  /**
   * Refuse a transaction that consumes a resource anchored on a root of another domain at a
   * height that domain's provers have not proven yet, as this node counts their attestations
   * (`ANCHOR_UNPROVEN`, before admission: resubmit once proven). Default false.
   */
  requireProvenAnchors?: boolean;
};

/** Options to resume a domain from a recovered state (see `weft/store`). */
export type ResumeOptions = Omit<
  DomainOptions,
  'keySet' | 'genesisTimestamp' | 'limits' | 'name' | 'tree' | 'store'
> & {
  state: DomainState;
  tree: Smt;
  store: DomainStore;
  /** inputs logged after the checkpoint `state` came from, folded through apply with no side effect */
  replay?: DomainInput[];
};

export type PhaseName = 'signatures' | 'reads' | 'admit' | 'tree' | 'seal' | 'sign' | 'durable';

export type SubmitResult = { txId: Uint8Array; status: TxStatus };

/**
 * How a verified remote header is recorded (`acceptRemoteHeader`): `keySet` the set in force after
 * it when it changed, `mode` what it was verified in, `atMs` when it was accepted (the caller's
 * clock; by default this domain's head timestamp), `learned` the headers it backs (full mode).
 */
export type RemoteHeaderOptions = {
  keySet?: KeySet;
  mode?: VerificationMode;
  atMs?: bigint;
  learned?: LearnedHeader[];
};

/** Largest provers' state a checkpoint keeps (own tracker, or all remote trackers together). */
export const PROVER_STATE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * The parts of the provers' state a checkpoint keeps (`u8 format (1) || bool || [bytes own
 * ProvenTip snapshot] || bytes RemoteProvenTips snapshot`): STORE_FORMAT when it does not decode.
 * Each part is checked when it is restored (signatures and evidence re-verified).
 */
export function decodeProverState(bytes: Uint8Array): { own: Uint8Array | null; remote: Uint8Array } {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== 1) throw new WeftError('CODEC', 'unknown provers state format');
    const own = r.bool() ? r.bytes(PROVER_STATE_BYTES_MAX).slice() : null;
    const remote = r.bytes(PROVER_STATE_BYTES_MAX).slice();
    r.end();
    new RemoteProvenTips(() => undefined).load(remote);
    return { own, remote };
  } catch (e) {
    if (!(e instanceof WeftError)) throw e;
    throw new WeftError('STORE_FORMAT', `the provers' state does not decode: ${e.shortMessage}`);
  }
}

/** Membership or absence of a key in the tree at a height, with the proof. */
export type StateProof = {
  height: bigint;
  root: Uint8Array;
  key: Uint8Array;
  /** the value under the key (a u64 height for commitments and nullifiers), or null: absent */
  value: Uint8Array | null;
  proof: Proof;
};

export type DomainEvents = {
  [K in DomainOutput['type']]: [Extract<DomainOutput, { type: K }>];
} & {
  /** the domain stopped on a broken invariant (`INVARIANT`, a bug in Weft): every later call is DOMAIN_FAILED */
  stopped: [WeftError];
  /** a prover's attestation of this domain's block was counted (what a router relays to followers) */
  attested: [SignedAttestation];
};

type Inbox = {
  txs: Transaction[];
  sigs: (SignatureResults | undefined)[];
  resolve: (r: SubmitResult[]) => void;
  reject: (e: unknown) => void;
};

/** The tree version that holds the state after block `height` (version 0 is the empty tree). */
export function treeVersionOf(height: bigint): bigint {
  return height + 1n;
}

/**
 * @example
 * const domain = await Domain.create({ name: 'alpha', signers: [generateKeyPair('secp256k1')] });
 * const { txId, status } = await domain.submit(tx);
 * const signed = await domain.sealBlock();
 */
export class Domain extends EventEmitter<DomainEvents> {
  readonly name: string;
  readonly id: Uint8Array;
  private state: DomainState;
  /** the tree's `0x03` records read at one tree version (hex DomainId -> height, null: none) */
  private treeRecords: { version: bigint; heights: Map<string, bigint | null> } = {
    version: -1n,
    heights: new Map(),
  };
  private readonly smt: Smt;
  private readonly store: DomainStore | undefined;
  private readonly signers: KeyPair[];
  private readonly clock: () => bigint;
  private readonly logics: LogicLookup;
  private readonly programs: ProgramLookup | undefined;
  private readonly env: DomainEnv;
  private readonly verifier: SignatureVerifierPool | undefined;
  /** the domain's provers; null when each seal proves its own block */
  private readonly provers: ProverSet | null;
  /** counts their attestations; made at the first one, from the proven tip then (after any replay) */
  private provenTip: ProvenTip | null = null;
  private readonly headers: SignedHeader[] = [];
  private readonly blocks: Block[] = [];
  /** valueRef (hex) -> value preimage, when there is no store */
  private readonly values = new Map<string, Uint8Array>();
  private queue: Promise<unknown> = Promise.resolve();
  private inbox: Inbox[] = [];
  private drainScheduled = false;
  private failed: unknown = undefined;
  /**
   * What reads see while a block is being sealed: the state before it. The seal moves memory
   * (height, statuses) before the store holds the block; reads answer from here until it does,
   * so every read sees the state before a block or after it, never in between.
   */
  private sealing: {
    height: bigint;
    provenHeight: bigint;
    stateRoot: Uint8Array;
    /** the statuses the seal may change, as they were before it (statusesBeforeSeal) */
    statuses: Map<string, TxStatus | undefined>;
  } | null = null;
  /** Milliseconds spent per phase since creation (for benchmarks and metrics). */
  private readonly spent: Record<PhaseName, number> = {
    signatures: 0,
    reads: 0,
    admit: 0,
    tree: 0,
    seal: 0,
    sign: 0,
    durable: 0,
  };

  private constructor(
    opts: {
      name: string;
      signers: KeyPair[];
      clock?: () => bigint;
      logics?: LogicLookup;
      anchorPolicy?: AnchorPolicy;
      trustingPeriodMs?: bigint;
      verifier?: SignatureVerifierPool;
      provers?: ProverSet;
      programs?: ProgramLookup;
      requireProvenAnchors?: boolean;
    },
    state: DomainState,
    smt: Smt,
    store: DomainStore | undefined,
  ) {
    super();
    this.name = opts.name;
    this.id = state.config.domainId;
    this.state = state;
    this.smt = smt;
    this.store = store;
    this.signers = opts.signers;
    this.clock = opts.clock ?? (() => BigInt(Date.now()));
    if (opts.anchorPolicy !== undefined) assertAnchorPolicy(opts.anchorPolicy);
    this.env = {
      logics: opts.logics ?? builtinRegistry(),
      ...(opts.anchorPolicy ? { anchorPolicy: { ...opts.anchorPolicy } } : {}),
      ...(opts.trustingPeriodMs !== undefined ? { trustingPeriodMs: opts.trustingPeriodMs } : {}),
      // Programs when the domain executes scoped transactions (weft/scope).
      ...(opts.programs ? { programs: opts.programs } : {}),
    };
    this.logics = this.env.logics;
    this.verifier = opts.verifier;
    this.provers = opts.provers ?? null;
    this.programs = opts.programs;
    // Refuse a malformed prover set now (BAD_INPUT), not at the first attestation.
    if (opts.provers)
      new ProvenTip({ domain: this.id, provers: opts.provers, committedRoot: () => undefined });
    this.requireProvenAnchors = opts.requireProvenAnchors === true;
    this.remoteProven = new RemoteProvenTips((d, h) => {
      const view = this.state.remotes.get(hexKey(d));
      const held = view?.recent.get(h);
      if (!view || !held) return undefined;
      return { stateRoot: held.stateRoot, reexecuted: view.mode === 'full' };
    });
  }

  /** Whether claims anchored on unproven heights of other domains are refused (ANCHOR_UNPROVEN). */
  readonly requireProvenAnchors: boolean;
  /** Other domains' proven tips as this domain counts their provers' attestations. */
  private readonly remoteProven: RemoteProvenTips;
  /** Domains known to prove their own blocks (no provers): every committed height is proven. */
  private readonly selfProven = new Set<string>();

  /**
   * `u8 format (1) || bool || [bytes own ProvenTip snapshot] || bytes RemoteProvenTips snapshot`:
   * what a checkpoint keeps of the provers (docs/provers.md, "Persistence").
   */
  private proverStateBytes(): Uint8Array | undefined {
    if (!this.provenTip && this.remoteProven.isEmpty()) return undefined;
    const w = new Writer(1024).u8(1).bool(this.provenTip !== null);
    if (this.provenTip) w.bytes(this.provenTip.snapshot(), PROVER_STATE_BYTES_MAX);
    w.bytes(this.remoteProven.snapshot(), PROVER_STATE_BYTES_MAX);
    return w.finish();
  }

  private loadProverState(bytes: Uint8Array): void {
    const { own, remote } = decodeProverState(bytes);
    if (own && this.provers)
      this.provenTip = ProvenTip.restore(
        {
          domain: this.id,
          provers: this.provers,
          provenHeight: this.state.provenHeight,
          committedRoot: (h) => this.header(h)?.header.stateRoot,
        },
        own,
      );
    this.remoteProven.load(remote);
  }

  /**
   * Tells this domain the prover set of a domain it follows (its configuration: the network
   * file, or the member domain itself), or null when that domain proves its own blocks. From
   * then on that domain's attestations are counted (`acceptRemoteAttestation`).
   */
  followProvers(domainId: Uint8Array, provers: ProverSet | null): void {
    if (provers === null) this.selfProven.add(hexKey(domainId));
    else this.remoteProven.follow(domainId, provers);
  }

  /**
   * Counts an attestation of another domain's block (from the transport). UNKNOWN_DOMAIN when
   * its prover set is not known; ProvenTip's refusals. An attestation of a root other than the
   * one this domain re-executed (a view in full mode) convicts its prover: `evidence`.
   */
  acceptRemoteAttestation(signed: SignedAttestation): RemoteAttestationOutcome {
    return this.remoteProven.add(signed);
  }

  /** The proven height of a followed domain as this domain counted it (undefined: no prover set known). */
  remoteProvenHeight(domainId: Uint8Array): bigint | undefined {
    if (this.selfProven.has(hexKey(domainId)))
      return this.state.remotes.get(hexKey(domainId))?.head.header.height;
    return this.remoteProven.provenHeight(domainId);
  }

  /** Evidence this domain holds against another domain's provers. */
  remoteProverEvidence(domainId: Uint8Array): ProverEvidence[] {
    return this.remoteProven.evidence(domainId);
  }

  /**
   * Why `tx` may not be admitted under `requireProvenAnchors`: a consumed resource anchored on a
   * root of another domain above that domain's proven height. Null when none is.
   */
  private unprovenAnchor(tx: Transaction): string | null {
    for (const action of tx.actions ?? []) {
      for (const c of action.consumed ?? []) {
        const anchor = c.commitmentProof?.anchor;
        if (!(anchor instanceof Uint8Array)) continue;
        const a = hexKey(anchor);
        if (this.state.recentRoots.has(a)) continue;
        for (const view of this.state.remotes.values()) {
          const h = view.roots.get(a);
          if (h === undefined) continue;
          const proven = this.remoteProvenHeight(view.domainId);
          if (proven === undefined || proven < h)
            return `anchored on height ${h} of ${view.name ?? hexKey(view.domainId)}, proven up to ${proven ?? 'nothing known'}`;
        }
      }
    }
    return null;
  }

  /** A new domain at genesis. */
  static async create(opts: DomainOptions): Promise<Domain> {
    check(typeof opts.name === 'string' && opts.name.length > 0, 'BAD_INPUT', 'a domain needs a name');
    check(Array.isArray(opts.signers), 'BAD_INPUT', 'signers must be an array of key pairs');
    const keySet =
      opts.keySet ??
      makeKeySet(
        opts.signers.length,
        opts.signers.map((s) => s.publicKey),
      );
    const config: DomainConfig = {
      name: opts.name,
      domainId: domainIdOf(opts.name),
      batchTxsMax: opts.limits?.batchTxsMax ?? BATCH_TXS_MAX_DEFAULT,
      blockBatchesMax: opts.limits?.blockBatchesMax ?? BLOCK_BATCHES_MAX_DEFAULT,
      mempoolTxsMax: opts.limits?.mempoolTxsMax ?? MEMPOOL_TXS_MAX_DEFAULT,
      anchorWindow: opts.limits?.anchorWindow ?? ANCHOR_WINDOW_DEFAULT,
      mempoolTtlBlocks: opts.limits?.mempoolTtlBlocks ?? MEMPOOL_TTL_BLOCKS_DEFAULT,
      remoteRootsMax: opts.limits?.remoteRootsMax ?? REMOTE_ROOTS_MAX_DEFAULT,
    };
    const clock = opts.clock ?? (() => BigInt(Date.now()));
    const state = genesis(config, keySet, opts.genesisTimestamp ?? clock());
    const smt = opts.tree ?? Smt.inMemory();
    check(smt.version() === 0n, 'BAD_INPUT', 'a new domain needs an empty tree (version 0)');
    const staged = smt.stage(genesisWrites(keySet), { proveTransition: true });
    check(
      equalBytes(staged.root, state.head.stateRoot),
      'BAD_INPUT',
      'genesis root mismatch between tree and state machine',
    );
    const domain = new Domain(opts, state, smt, opts.store);
    const signed: SignedHeader = {
      header: state.head,
      signatures: signHeader(state.head, keySet, domain.mySigners(keySet)),
    };
    const block: Block = {
      header: state.head,
      batches: [],
      txs: [],
      writes: genesisWrites(keySet),
      transition: staged.transition!,
    };
    if (opts.store) {
      await opts.store.commitGenesis({ staged, inputs: [], block, signed, state, statuses: [] });
    } else {
      await staged.commit();
      domain.headers.push(signed);
      domain.blocks.push(block);
    }
    return domain;
  }

  /**
   * A domain resumed from a recovered state (a checkpoint) and the inputs logged after it,
   * which are folded through apply with every output suppressed: nothing happens twice.
   */
  static resume(opts: ResumeOptions): Domain {
    const { state, tree } = opts;
    const version = treeVersionOf(state.height);
    check(
      tree.version() === version,
      'STORE_FORMAT',
      `tree is at version ${tree.version()}, the checkpoint needs ${version}`,
    );
    check(
      equalBytes(tree.root(version), state.head.stateRoot),
      'STORE_FORMAT',
      `tree root at version ${version} differs from the checkpoint's state root`,
    );
    const domain = new Domain({ ...opts, name: state.config.name }, state, tree, opts.store);
    for (const input of opts.replay ?? []) {
      check(input.type !== 'seal', 'STORE_FORMAT', 'a seal after the last checkpoint cannot be replayed');
      domain.state = apply(domain.state, input, domain.env).state;
    }
    // After the replay: the proven tip it moved is the floor of the restored trackers.
    const saved = opts.store.proverState?.();
    if (saved) domain.loadProverState(saved);
    return domain;
  }

  /** Signers of this node that belong to `ks`. */
  private mySigners(ks: KeySet): KeyPair[] {
    return this.signers.filter((s) => ks.keys.some((k) => equalBytes(k.bytes, s.publicKey.bytes)));
  }

  /** Runs `fn` after every earlier operation: inputs reach `apply` one at a time, in order. */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const guarded = () => {
      if (this.failed !== undefined) {
        const why = isInvariant(this.failed) ? 'a broken invariant (a bug in Weft)' : 'a storage failure';
        throw new WeftError('DOMAIN_FAILED', `the domain stopped after ${why}; restart it to recover`, {
          cause: this.failed,
        });
      }
      return fn();
    };
    const next = this.queue.then(guarded, guarded);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** What `changes` counts: every state the domain moved to, every seal that landed, every output. */
  private changeCount = 0;

  /**
   * A number that grows whenever anything this domain's reads answer may have changed (a new
   * state, a block landing in the store, an output told): a reader that polls, such as the
   * transfer driver, skips what waits on a domain whose count did not move. Nothing to interpret.
   */
  get changes(): number {
    return this.changeCount;
  }

  private run(input: DomainInput, chain?: WindowChain): DomainOutput[] {
    try {
      const { state, outputs } = apply(this.state, input, this.env, chain);
      this.state = state;
      this.changeCount++;
      return outputs;
    } catch (e) {
      // The state may be half-changed past a broken postcondition: never continue from it.
      if (isInvariant(e) && this.failed === undefined) {
        this.failed = e;
        this.emit('stopped', e);
      }
      throw e;
    }
  }

  /** Why the domain stopped (a storage failure or a broken invariant), or undefined while it runs. */
  get failure(): unknown {
    return this.failed;
  }

  private emitAll(outputs: DomainOutput[]): void {
    this.changeCount++;
    for (const o of outputs) (this.emit as (t: string, o: DomainOutput) => boolean)(o.type, o);
  }

  /** Height of the committed tip: the latest block the store holds (a block being sealed is not). */
  get committedHeight(): bigint {
    return this.sealing?.height ?? this.state.height;
  }

  get provenHeight(): bigint {
    return this.sealing?.provenHeight ?? this.state.provenHeight;
  }

  get stateRoot(): Uint8Array {
    return (this.sealing?.stateRoot ?? this.state.head.stateRoot).slice();
  }

  get keySet(): KeySet {
    return this.state.keySet;
  }

  get mempoolSize(): number {
    return this.state.mempool.length;
  }

  /**
   * Submits a transaction. A network transaction (a non-ephemeral consumed resource without a
   * commitment proof) gets its anchors and proofs filled in from this domain's tree first; both
   * forms then take the same path. Resolves with the status after admission: pending, or
   * rejected with a code.
   */
  submit(tx: Transaction): Promise<SubmitResult> {
    return this.submitMany([tx]).then((r) => r[0]!);
  }

  /**
   * Submits many transactions: their signatures are checked together on the worker pool, then
   * they join every other submission waiting for the next group commit. With a store, each
   * result (the acknowledgement) comes only after the transaction's transcript entry is durable.
   */
  async submitMany(txs: Transaction[]): Promise<SubmitResult[]> {
    check(Array.isArray(txs), 'BAD_INPUT', 'txs must be an array');
    if (!this.requireProvenAnchors) return this.admitMany(txs);
    // The proven-anchor policy is this node's, checked before admission (nothing is logged for a
    // refusal here, so a replay never depends on attestations).
    const reasons = txs.map((tx) => this.unprovenAnchor(tx));
    const admitted = await this.admitMany(txs.filter((_, i) => reasons[i] === null));
    let next = 0;
    return txs.map((tx, i) => {
      const reason = reasons[i];
      if (reason === null) return admitted[next++]!;
      return { txId: txId(tx), status: { status: 'rejected', code: 'ANCHOR_UNPROVEN', reason: reason! } };
    });
  }

  private async admitMany(txs: Transaction[]): Promise<SubmitResult[]> {
    if (txs.length === 0) return [];
    const t0 = performance.now();
    // The pool's threads check signatures; this thread keeps to admission and sealing (the
    // serial part), which it runs meanwhile for earlier submissions. Validation, later, derives
    // the id and witness again from the object it validates and checks these answers against
    // them: what it validates and logs is what the answers are for, whatever happened to the
    // object in between (a replay derives them from the logged bytes alone).
    const sigs = this.verifier ? await preverifyBatch(txs, this.verifier, { shareCaller: false }) : [];
    this.spent.signatures += performance.now() - t0;
    return new Promise((resolve, reject) => {
      this.inbox.push({ txs, sigs, resolve, reject });
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        this.serial(() => this.drain()).catch((e) => {
          // The domain stopped before this group ran: settle everything waiting, never hang.
          this.drainScheduled = false;
          for (const item of this.inbox.splice(0)) item.reject(e);
        });
      }
    });
  }

  /** Admits every waiting submission as one group: reads, one durable append, then apply. */
  private async drain(): Promise<void> {
    this.drainScheduled = false;
    const items = this.inbox;
    this.inbox = [];
    try {
      const t1 = performance.now();
      const inputs: DomainInput[] = [];
      // Each transaction's commitments, nullifiers, id and witness are derived once, here, for the
      // reads and, from the memo, for validation (the transition uses it only if given; a replay
      // isn't).
      const hashes = new TxHashMemo();
      // Nothing changes the state while the group's reads are made (every input runs after them):
      // the remote-header records the transition needs are read once for the group.
      const remoteRecords = this.remoteRecords();
      for (const item of items) {
        for (const [i, raw] of item.txs.entries()) {
          const tx = this.fillNetworkProofs(raw);
          const input: DomainInput = {
            type: 'submit',
            tx,
            reads: this.readsFor(tx, hashes, remoteRecords),
            hashes,
          };
          const sig = item.sigs[i];
          if (sig !== undefined && tx === raw) input.signatureResults = sig;
          inputs.push(input);
        }
      }
      const t2 = performance.now();
      this.spent.reads += t2 - t1;
      if (this.store && !isPlanted('transcriptFlush')) {
        try {
          await this.store.appendInputs(inputs);
        } catch (e) {
          this.failed = e;
          throw e;
        }
      }
      const t3 = performance.now();
      this.spent.durable += t3 - t2;
      // The group's commitment proofs, verified together (one batched hash call per tree level)
      // right before validation, which takes each verdict from the memo.
      hashes.verifyCommitmentProofs(inputs.map((input) => (input as { tx: Transaction }).tx));
      let next = 0;
      for (const item of items) {
        const results: SubmitResult[] = [];
        for (let i = 0; i < item.txs.length; i++) {
          const input = inputs[next++]!;
          const outputs = this.run(input);
          this.emitAll(outputs);
          const out = outputs[0]!;
          const id = 'txId' in out ? out.txId : txId((input as { tx: Transaction }).tx);
          // Once the transaction is pending or included, that is the answer to any copy of it;
          // otherwise a refused copy gets its own rejection, which the id's status may not record
          // (when only the witness caused it).
          const known = this.status(id);
          const settled = known?.status === 'pending' || known?.status === 'included';
          const status =
            settled || out.type !== 'txRejected' ? (known ?? rejectedFrom(out)) : rejectedFrom(out);
          results.push({ txId: id, status });
        }
        item.resolve(results);
      }
      this.spent.admit += performance.now() - t3;
    } catch (e) {
      for (const item of items) item.reject(e);
    }
  }

  /** Fills in anchor and proof for consumed resources that lack them (network transactions). */
  private fillNetworkProofs(tx: Transaction): Transaction {
    // Most transactions carry every proof: return them as they are, without copying.
    const lacking = tx.actions?.some?.((a) =>
      a?.consumed?.some?.((c) => c?.commitmentProof === null && c.resource?.isEphemeral !== true),
    );
    if (lacking !== true) return tx;
    let changed = false;
    const actions = tx.actions?.map((a) => ({
      ...a,
      consumed: a.consumed.map((c) => {
        if (c.commitmentProof !== null || c.resource?.isEphemeral) return c;
        let cm: Uint8Array;
        try {
          cm = commitment(c.resource);
        } catch {
          return c;
        }
        const key = commitmentKey(cm);
        const value = this.smt.getSync(key);
        if (value === null) return c; // validation refuses it for lacking a proof
        changed = true;
        return {
          ...c,
          commitmentProof: {
            anchor: this.state.head.stateRoot,
            height: decodeHeight(value),
            proof: this.smt.proveSync(key),
          },
        };
      }),
    }));
    return changed ? { ...tx, actions } : tx;
  }

  /**
   * What the tree holds for the transaction's nullifiers and new commitments, read now, and,
   * with a store, whether an earlier block included it (statuses of past blocks live there).
   */
  private readsFor(tx: Transaction, hashes: TxHashMemo, remoteRecords: RemoteRecord[]): TxReads {
    const spentNullifiers: string[] = [];
    const existingCommitments: string[] = [];
    const refusedNullifiers: string[] = [];
    if (this.store) {
      try {
        checkTransactionShape(tx);
        const known = this.store.status(hexKey(hashes.idAndBodyBytes(tx).id));
        if (known?.status === 'included')
          return { spentNullifiers, existingCommitments, includedAt: known.height };
      } catch {
        // a transaction that cannot be encoded is refused by validation with its own code
      }
    }
    for (const a of tx.actions ?? []) {
      for (const c of a.consumed ?? []) {
        try {
          const nf = hashes.nullifier(c.resource, c.nk);
          if (this.smt.getSync(nullifierKey(nf)) !== null) spentNullifiers.push(hexKey(nf));
          if (this.smt.getSync(refusalKey(nf)) !== null) refusedNullifiers.push(hexKey(nf));
        } catch {
          // validation reports a malformed resource or key with its own code
        }
      }
      for (const c of a.created ?? []) {
        try {
          const cm = hashes.commitment(c.resource);
          if (this.smt.getSync(commitmentKey(cm)) !== null) existingCommitments.push(hexKey(cm));
        } catch {
          // as above
        }
      }
    }
    const reads: TxReads = { spentNullifiers, existingCommitments };
    if (refusedNullifiers.length > 0) reads.refusedNullifiers = refusedNullifiers;
    if (remoteRecords.length > 0) reads.remoteRecords = remoteRecords;
    return reads;
  }

  /**
   * The tree's remote-header records (`0x03 || DomainId`) the state cannot tell: those of views
   * with no record queued whose record is not at their head (in practice, views only trusted).
   * What the transition needs to know which remote headers transactions may use (`usableRemoteHeight`).
   */
  private remoteRecords(): RemoteRecord[] {
    const version = this.smt.version();
    if (this.treeRecords.version !== version) this.treeRecords = { version, heights: new Map() };
    const heights = this.treeRecords.heights;
    const out: RemoteRecord[] = [];
    for (const [key, view] of this.state.remotes) {
      if (isVaultView(view)) continue; // the rule reads no record of a vault (`usableRemoteHeight`)
      const rk = remoteHeaderKey(view.domainId);
      if (this.state.queuedWrites.some((w) => equalBytes(w.key, rk))) continue;
      let height = heights.get(key);
      if (height === undefined) {
        const value = this.smt.getSync(rk);
        height = value === null ? null : decodeHeight(value.subarray(32));
        heights.set(key, height);
      }
      if (height !== view.head.header.height) out.push({ domainId: key, height });
    }
    return out;
  }

  /**
   * Seals the next block from the mempool: plans it, builds the witness from the tree, applies
   * the seal, writes the block to the tree (checking the tree lands on the header's root), and
   * signs the header. Its transition proof is attached at once, so the proven tip follows.
   */
  sealBlock(): Promise<SignedHeader> {
    return this.serial(async () => {
      // The timestamp comes first: the plan evicts what is past its deadline at this time.
      const timestamp = maxBig(this.clock(), this.state.head.timestamp);
      // Scoped transactions run on the tree's values of the objects they declare: read them
      // (a read of the tree, carried in the seal input like every read) and plan again with them.
      let plan = planBlock(this.state, timestamp);
      let objects: ObjectRead[] | undefined;
      if (plan.objects.length > 0 && this.programs) {
        objects = plan.objects.map((object) => {
          const v = this.smt.getSync(objectKey(object));
          return { object, state: v === null ? null : decodeObjectState(v) };
        });
        plan = planBlock(this.state, timestamp, { programs: this.programs, objects });
      }
      // Block h is signed by the key set in force before it applies; a change it records takes
      // effect from block h + 1 (docs/domain.md).
      const signingSet = this.state.keySet;
      // The tree computes the planned writes first: one pass gives the new root and the
      // transition proof, and the seal input carries both as a read of the tree (docs/domain.md).
      const t0 = performance.now();
      const staged = this.smt.stage(plan.writes, { proveTransition: true });
      const t1 = performance.now();
      const seal: DomainInput = {
        type: 'seal',
        timestamp,
        stateRoot: staged.root,
        transition: staged.transition!,
        ...(objects ? { objects } : {}),
      };
      // Reads keep the state before this block until the store holds it.
      this.sealing = {
        height: this.state.height,
        provenHeight: this.state.provenHeight,
        stateRoot: this.state.head.stateRoot.slice(),
        statuses: this.statusesBeforeSeal(),
      };
      let sealOutputs: DomainOutput[];
      try {
        sealOutputs = this.run(seal);
      } catch (e) {
        this.sealing = null; // the seal was refused: the state did not move
        this.changeCount++;
        throw e;
      }
      const sealed = sealOutputs[0] as Extract<DomainOutput, { type: 'blockSealed' }>;
      const height = sealed.block.header.height;
      // Without provers the witness is the proof and the block is proven at once; with provers
      // it waits for their attestations (attest).
      const proven: DomainInput[] = this.provers ? [] : [{ type: 'markProven', height }];
      const provenOutputs = proven.flatMap((p) => this.run(p));
      const t2 = performance.now();
      const signed: SignedHeader = {
        header: sealed.block.header,
        signatures: signHeader(sealed.block.header, signingSet, this.mySigners(signingSet)),
      };
      const t3 = performance.now();
      try {
        if (this.store) {
          const statuses = this.takeTerminalStatuses();
          await this.store.commitBlock({
            staged,
            inputs: [seal, ...proven],
            block: sealed.block,
            signed,
            state: this.state,
            statuses,
            ...this.proversToKeep(),
          });
        } else {
          await staged.commit();
          this.headers.push(signed);
          this.blocks.push(sealed.block);
          for (const [ref, value] of valuesOf(sealed.block)) this.values.set(ref, value);
        }
      } catch (e) {
        // Memory moved on but the disk did not: stop, and let recovery rebuild from the store.
        // Reads keep answering the state before this block, which is what the store holds.
        this.failed = e;
        throw e;
      }
      this.sealing = null;
      this.changeCount++;
      this.spent.tree += t1 - t0;
      this.spent.seal += t2 - t1;
      this.spent.sign += t3 - t2;
      this.spent.durable += performance.now() - t3;
      this.emitAll(sealOutputs);
      this.emitAll(provenOutputs);
      return signed;
    });
  }

  /**
   * The statuses a seal may change, as they are before it: those of the mempool's transactions
   * (the only ones the seal includes or evicts) and, with a store, every terminal one
   * (`takeTerminalStatuses` moves them out before the store holds them). A copy of these
   * rather than of every status: without a store the statuses grow with history.
   */
  private statusesBeforeSeal(): Map<string, TxStatus | undefined> {
    const before = new Map<string, TxStatus | undefined>();
    for (const p of this.state.mempool) before.set(p.key, this.state.statuses.get(p.key));
    if (this.store) for (const [k, st] of this.state.statuses) if (st.status !== 'pending') before.set(k, st);
    return before;
  }

  /**
   * Terminal statuses leave the in-memory state once a block lands them in the store: the state
   * (and every checkpoint) stays bounded by the mempool, not by history.
   */
  private takeTerminalStatuses(): [string, TxStatus][] {
    const out: [string, TxStatus][] = [];
    for (const [k, st] of this.state.statuses) {
      if (st.status === 'pending') continue;
      out.push([k, st]);
      this.state.statuses.delete(k);
    }
    return out;
  }

  /**
   * Milliseconds spent so far in each phase: signature checks (worker pool), tree reads before
   * admission, admission (`apply` of submits), writing blocks to the tree with their transition
   * proofs, sealing (`apply`), and signing headers.
   */
  timings(): Record<PhaseName, number> {
    return { ...this.spent };
  }

  /** Status of a transaction: pending, included, rejected or evicted; undefined if never seen. */
  status(id: Uint8Array): TxStatus | undefined {
    const key = hexKey(id);
    // While a block is sealed, what it changed answers as it was before it (statusesBeforeSeal).
    const before = this.sealing?.statuses;
    const known = before?.has(key) ? before.get(key) : this.state.statuses.get(key);
    return known ?? this.store?.status(key);
  }

  /** The signed header at `height` (default: the committed tip). */
  header(height?: bigint): SignedHeader | undefined {
    const tip = this.committedHeight;
    const h = height ?? tip;
    if (h < 0n || h > tip) return undefined;
    return this.store ? this.store.header(h) : this.headers[Number(h)];
  }

  /** The block at `height`, with its transactions and writes. */
  block(height: bigint): Block | undefined {
    if (height < 0n || height > this.committedHeight) return undefined;
    return this.store ? this.store.block(height) : this.blocks[Number(height)];
  }

  /**
   * The value preimage whose SHA-256 is `valueRef`, for any resource a block of this domain
   * created: anyone holding a commitment can fetch what it commits to.
   */
  value(valueRef: Uint8Array): Uint8Array | undefined {
    const key = hexKey(valueRef);
    return this.store ? this.store.value(key) : this.values.get(key);
  }

  /** The height of `root` if it is one of this domain's own recent state roots (the anchor window). */
  ownRootHeight(root: Uint8Array): bigint | undefined {
    return this.state.recentRoots.get(hexKey(root));
  }

  /** Whether a transaction may anchor on `root` here now (own recent root or accepted remote root). */
  acceptsAnchor(root: Uint8Array): boolean {
    return isAnchorAccepted(this.state, root, this.remoteRecords());
  }

  /**
   * The latest header of `domainId` this domain has recorded in its tree or queued for its next
   * block (an accepted one), if any: the latest its transactions may use (`usableRemoteHeight`).
   * A header only trusted is not one until a later one is accepted (docs/sync.md, "Which headers
   * a domain's transactions may use"); the view itself, trusted head included, is `remoteView`.
   */
  remoteHeader(domainId: Uint8Array): Header | undefined {
    const view = this.remoteView(domainId);
    if (view === undefined) return undefined;
    const usable = usableRemoteHeight(this.state, view, this.remoteRecords());
    if (usable === null) return undefined;
    if (usable >= view.head.header.height) return view.head.header;
    return view.recent.get(usable)?.signed.header;
  }

  /**
   * This domain's view of `domainId` (docs/sync.md, "Remote views"): the one record of it that
   * sync acceptance reads and the transition writes. An immutable value; a later input replaces it.
   */
  remoteView(domainId: Uint8Array): RemoteView | undefined {
    return domainId instanceof Uint8Array ? this.state.remotes.get(hexKey(domainId)) : undefined;
  }

  /** Every remote view this domain holds, in DomainId order. */
  remoteViews(): RemoteView[] {
    return [...this.state.remotes.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
  }

  /**
   * The header of `domainId` at `height` this domain accepted and still vouches for (retained,
   * and below the fork if the view is frozen): what a refund witness may name.
   */
  /** Whether `root` is the commitment root of an EVM vault this domain follows (`evm` mode) and may anchor on. */
  isVaultAnchor(root: Uint8Array): boolean {
    return isVaultAnchor(this.state, root);
  }

  remoteHeaderAt(domainId: Uint8Array, height: bigint): RemoteHeaderEntry | undefined {
    return remoteHeaderAt(this.state, domainId, height, this.remoteRecords());
  }

  /**
   * Every header of `domainId` `remoteHeaderAt` answers for, ascending: a refund driver picks
   * one whose timestamp is past the deadline.
   *
   * @example
   * const past = source.remoteHeaders(dest.id).find((h) => h.timestamp > deadline);
   */
  remoteHeaders(domainId: Uint8Array): RemoteHeaderEntry[] {
    return remoteHeaders(this.state, domainId, this.remoteRecords());
  }

  /**
   * The nullifier keys a remote block's `writes` insert that this domain already holds, in its
   * tree or pending: proof that the remote (or, if this domain broke the rules, this domain)
   * consumed one resource twice — a claim after a refund (docs/transfers.md). Empty normally.
   */
  nullifierConflicts(writes: readonly Write[]): Uint8Array[] {
    return nullifierConflicts(writes, (key) => this.holdsNullifier(key));
  }

  /** Which anchors known only through other domains admission accepts (none by default). */
  get anchorPolicy(): AnchorPolicy {
    return { ...(this.env.anchorPolicy ?? ANCHOR_POLICY_NONE) };
  }

  /** Whether nullifier key `0x02 || nf` is in this domain's tree or pending in its mempool. */
  holdsNullifier(key: Uint8Array): boolean {
    return this.state.pendingNullifiers.has(hexKey(key.subarray(1))) || this.smt.getSync(key) !== null;
  }

  /** Proof that commitment `cm` is (or is not) in the tree at `height` (default: the tip). */
  proveCommitment(cm: Uint8Array, height?: bigint): StateProof {
    return this.proveKey(commitmentKey(cm), height);
  }

  /** Proof that nullifier `nf` is spent (present) or not (absent) at `height`. */
  proveNullifier(nf: Uint8Array, height?: bigint): StateProof {
    return this.proveKey(nullifierKey(nf), height);
  }

  /**
   * Proof that this domain recorded (present, the value a refusal record) or did not record
   * (absent) a refusal of a claim of the resource with nullifier `nf`, at `height` (default: the
   * tip): what a source takes as a refund witness (docs/transfers.md, "Refusals").
   */
  proveRefusal(nf: Uint8Array, height?: bigint): StateProof {
    return this.proveKey(refusalKey(nf), height);
  }

  /** This domain's prover set; null when each seal proves its own block. */
  get proverSet(): ProverSet | null {
    return this.provers;
  }

  /** The programs this domain executes scoped transactions with (undefined: it refuses them). */
  get scopePrograms(): ProgramLookup | undefined {
    return this.programs;
  }

  /**
   * The key-set record (`0x05 || "keyset"`) at `height` (default: the tip), with its proof: what
   * a light client proves a key-set change with (weft/evm `updateKeySet`, docs/domain.md).
   */
  proveKeySet(height?: bigint): StateProof {
    return this.proveKey(KEYSET_TREE_KEY, height);
  }

  /** An object's state (`0x04 || object`, docs/scopes.md) at `height`, with its proof. */
  proveObject(object: Uint8Array, height?: bigint): StateProof {
    return this.proveKey(objectKey(object), height);
  }

  /**
   * Proof of this domain's record of `domainId`'s header (`0x03 || domainId -> headerHash ||
   * height`) at `height` (default: the tip): one hop of an anchor path (docs/sync.md, "Anchors
   * through a path").
   */
  proveRemoteHeader(domainId: Uint8Array, height?: bigint): StateProof {
    return this.proveKey(remoteHeaderKey(domainId), height);
  }

  private proveKey(key: Uint8Array, height?: bigint): StateProof {
    const tip = this.committedHeight;
    const h = height ?? tip;
    check(typeof h === 'bigint' && h >= 0n && h <= tip, 'BAD_HEIGHT', `no block at height ${h}`);
    const version = treeVersionOf(h);
    return {
      height: h,
      root: this.smt.root(version),
      key,
      value: this.smt.getSync(key, version),
      proof: this.smt.proveSync(key, version),
    };
  }

  /**
   * Records a remote header the sync layer has verified; its root becomes a usable anchor. Given
   * signed, the signatures are kept in the view; `keySet` is the set in force after it when it
   * changed, `mode` what it was verified in, `atMs` when it was accepted (the caller's clock; by
   * default this domain's head timestamp — the runtime's clock is kept for blocks).
   */
  acceptRemoteHeader(header: Header | SignedHeader, opts: RemoteHeaderOptions = {}): Promise<void> {
    const input = this.remoteInput(header, opts);
    return this.serial(async () => {
      await this.logged(input);
      // Attestations waiting for this header count now (or convict their provers).
      this.remoteProven.accepted(input.header.domain, input.header.height);
    });
  }

  /**
   * Records verified remote headers in order, as `acceptRemoteHeader` on each would, with one
   * durable transcript append for all of them (a gap being filled): checked together first
   * (`checkAcceptRemoteInputs`), so a refusal records none of them.
   */
  acceptRemoteHeaders(
    headers: readonly { header: Header | SignedHeader; opts?: RemoteHeaderOptions }[],
  ): Promise<void> {
    check(Array.isArray(headers), 'BAD_INPUT', 'headers must be an array');
    const inputs = headers.map((h) => this.remoteInput(h.header, h.opts ?? {}));
    if (inputs.length === 0) return Promise.resolve();
    return this.serial(async () => {
      checkAcceptRemoteInputs(this.state, inputs);
      if (this.store) {
        try {
          await this.store.appendInputs(inputs);
        } catch (e) {
          this.failed = e;
          throw e;
        }
      }
      // Applied in a row, then told: no listener runs between two of them, so the views between
      // are never read and each remote's window advances in place after its first copy.
      const chain = new WindowChain();
      const outputs = inputs.map((input) => this.run(input, chain));
      for (const [i, input] of inputs.entries()) {
        this.emitAll(outputs[i]!);
        this.remoteProven.accepted(input.header.domain, input.header.height);
      }
    });
  }

  private remoteInput(header: Header | SignedHeader, opts: RemoteHeaderOptions): AcceptRemoteInput {
    const signed = 'header' in header ? header : undefined;
    return {
      type: 'acceptRemoteHeader',
      header: signed ? signed.header : (header as Header),
      ...(signed ? { signatures: signed.signatures } : {}),
      ...(opts.keySet ? { keySet: opts.keySet } : {}),
      ...(opts.mode ? { mode: opts.mode } : {}),
      ...(opts.learned && opts.learned.length > 0 ? { learned: opts.learned } : {}),
      atMs: opts.atMs ?? this.state.head.timestamp,
    };
  }

  /**
   * Starts following `signed`'s domain from that trusted header (its genesis, or a checkpoint
   * obtained out of band) and `keySet`, the set recorded under its root. Refused with
   * DUPLICATE_DOMAIN when this domain already holds a view of it (a restarted node resumes it),
   * BAD_SIGNATURES when the header lacks a threshold of signatures of `signedBy ?? keySet`.
   *
   * @example
   * await alpha.trustRemote(beta.header(0n)!, beta.keySet, { mode: 'full', name: 'beta' });
   */
  trustRemote(
    signed: SignedHeader,
    keySet: KeySet,
    opts: { mode: VerificationMode; name?: string; signedBy?: KeySet; atMs?: bigint },
  ): Promise<void> {
    const input: DomainInput = {
      type: 'trustRemote',
      signed,
      keySet,
      mode: opts.mode,
      atMs: opts.atMs ?? this.state.head.timestamp,
      ...(opts.signedBy ? { signedBy: opts.signedBy } : {}),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
    };
    return this.serial(() => this.logged(input));
  }

  /** Changes the key set from the block after next on, with approvals of the current set. */
  changeKeySet(next: KeySet, approvals: SignerSignature[]): Promise<void> {
    return this.serial(() => this.logged({ type: 'changeKeySet', keySet: next, approvals }));
  }

  /**
   * Freezes this domain's view of `domainId` from `fromHeight` on, after the sync layer verified
   * equivocation evidence, or a block of it that provably fails full validation (`invalidBlock`):
   * its roots from the fork on stop being anchors.
   */
  freezeRemote(
    domainId: Uint8Array,
    fromHeight: bigint,
    evidence?: EquivocationEvidence,
    invalidBlock?: InvalidBlockEvidence,
  ): Promise<void> {
    const input: DomainInput = {
      type: 'freezeRemote',
      domainId,
      fromHeight,
      ...(evidence ? { evidence } : {}),
      ...(invalidBlock ? { invalidBlock } : {}),
    };
    return this.serial(() => this.logged(input));
  }

  /** The height this domain's view of `domainId` is frozen from, or null when it is not frozen. */
  frozenFrom(domainId: Uint8Array): bigint | null {
    return this.remoteView(domainId)?.frozen?.fromHeight ?? null;
  }

  /**
   * Re-initialises this domain's frozen view of `domainId` from `header`, a header of it the
   * operator trusts: the freeze is lifted, anchors and headers before the fork stay, those at or
   * after it go (the `remoteReinitialized` event lists them). `by` names who decided (at most
   * 128 UTF-8 bytes) and `evidence` is the 32-byte hash of the equivocation evidence answered
   * (weft/sync `equivocationEvidenceHash`). Refused with NOT_FROZEN, UNKNOWN_DOMAIN, BAD_HEIGHT
   * (the header is before the fork), BAD_TIMESTAMP or BAD_INPUT, before anything is logged.
   */
  reinitializeRemote(p: {
    domainId: Uint8Array;
    header: Header;
    by: string;
    evidence: Uint8Array;
    signatures?: SignerSignature[];
    keySet?: KeySet;
    atMs?: bigint;
  }): Promise<void> {
    const input: DomainInput = {
      type: 'reinitRemote',
      domainId: p.domainId,
      header: p.header,
      by: p.by,
      evidence: p.evidence,
      ...(p.signatures ? { signatures: p.signatures } : {}),
      ...(p.keySet ? { keySet: p.keySet } : {}),
      atMs: p.atMs ?? this.state.head.timestamp,
    };
    return this.serial(() => this.logged(input));
  }

  /**
   * Applies one input the durable way: checked first (an input apply refuses is never logged),
   * logged and flushed, then applied, then told. Every input reaches the transcript.
   */
  private async logged(input: DomainInput): Promise<void> {
    if (this.store) {
      checkInput(this.state, input);
      try {
        await this.store.appendInputs([input]);
      } catch (e) {
        this.failed = e;
        throw e;
      }
    }
    this.emitAll(this.run(input));
  }

  /**
   * Counts a prover's attestation of one of this domain's blocks (DomainOptions.provers). Moves
   * the proven tip (a logged `markProven`, so it survives a restart) once a threshold of provers
   * attested the committed roots, in order. An attestation of another root convicts its prover at
   * once: this domain executed the block and knows its root (`evidence`, the prover is excluded).
   * Refuses NOT_ENABLED without provers, and the codes of `ProvenTip.add`. Attestations not yet
   * counted live in memory: provers send them again after a restart.
   */
  attest(signed: SignedAttestation): Promise<AttestationOutcome> {
    return this.serial(async () => {
      if (!this.provers) throw new WeftError('NOT_ENABLED', 'this domain has no provers configured');
      const tip = (this.provenTip ??= new ProvenTip({
        domain: this.id,
        provers: this.provers,
        provenHeight: this.state.provenHeight,
        committedRoot: (h) => this.header(h)?.header.stateRoot,
      }));
      const outcome = tip.add(signed);
      if (outcome.counted) this.emit('attested', signed);
      if (outcome.mismatch) {
        const root = this.header(signed.attestation.height)?.header.stateRoot;
        const evidence = root ? tip.checkReexecution(signed, root) : null;
        return { ...outcome, evidence };
      }
      if (outcome.advancedTo !== null) await this.logged({ type: 'markProven', height: outcome.advancedTo });
      return outcome;
    });
  }

  private proversToKeep(): { provers?: Uint8Array } {
    const bytes = this.proverStateBytes();
    return bytes ? { provers: bytes } : {};
  }

  /** Evidence this domain holds against provers it excluded. */
  proverEvidence(): ReturnType<ProvenTip['evidence']> {
    return this.provenTip?.evidence() ?? [];
  }

  /** Stops accepting work once everything queued has run. */
  async close(): Promise<void> {
    await this.queue;
  }
}

/** Every created resource's (valueRef hex, value) in a block. */
export function valuesOf(block: Block): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const tx of block.txs) {
    for (const a of tx.actions) for (const c of a.created) out.push([hexKey(c.resource.valueRef), c.value]);
  }
  return out;
}

function isInvariant(e: unknown): e is WeftError {
  return e instanceof WeftError && e.code === 'INVARIANT';
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function rejectedFrom(out: DomainOutput): TxStatus {
  if (out.type === 'txRejected') return { status: 'rejected', code: out.code, reason: out.reason };
  throw new WeftError('BAD_INPUT', 'submission produced no status');
}
