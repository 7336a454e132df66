// One running domain: its durable store, its network membership (root updates in and out over a
// transport, peers in other processes), a transfer driver for transfers it starts, and the timers
// that seal blocks and drive transfers. `weft node` is this plus the HTTP API.
import { equalBytes, type KeyPair, type SignatureVerifierPool, type WeftError } from '../crypto/index.js';
import {
  type AnchorPolicy,
  type Domain,
  type KeySet,
  type RemoteReinitialized,
  type SignedHeader,
  txRoot,
} from '../domain/index.js';
import type { Transport } from '../net/index.js';
import type { ProgramLookup, ProverSet } from '../scope/index.js';
import {
  LmdbTransferStore,
  type OpenNodeOptions,
  openDomainNode,
  type RecoveryReport,
} from '../store/index.js';
import { GlobalRoot, VERIFICATION_MODE_DEFAULT, type VerificationMode } from '../sync/index.js';
import { TransferDriver } from '../transfer/index.js';
import { decodeTransaction } from '../tx/index.js';
import { PeerDomain, type PeerReads } from './peerDomain.js';
import { type FollowPolicy, type Peer, SyncRouter } from './router.js';
import { type EvmFollowOptions, VaultWatch } from './vaultWatch.js';

/**
 * The interval timer (ms): it seals while transactions wait (the backstop: work arriving is sealed
 * sooner, BLOCK_INTERVAL_MIN_MS_DEFAULT) and when a peer's header for a block with transactions
 * was accepted, so that a claim anchored on that block does not wait for the heartbeat.
 */
export const BLOCK_INTERVAL_MS_DEFAULT = 100;
/**
 * Shortest time (ms) from the start of one seal to the start of the next. A node seals as soon as
 * a transaction enters its mempool and the previous seal has finished, but not sooner than this
 * after it began, so a burst of submissions shares one block. (A peer's empty block is never
 * work: two idle nodes do not seal back and forth.) Chosen by measurement (docs/benchmarks.md,
 * "Issue 17"): with three node processes on two shared cores, 100 gave 0.44–0.45x of the demo
 * against 0.34–0.36x for 10 and 0.28x for 50 — each block costs every follower a verification and
 * every driver a pass.
 */
export const BLOCK_INTERVAL_MIN_MS_DEFAULT = 100;
/** How often a node seals a block with no transactions: its clock (deadlines) moves on, accepted remote headers get recorded. */
export const HEARTBEAT_MS_DEFAULT = 1_000;
/** How often the transfer driver looks at its transfers besides the events that wake it. */
export const DRIVER_TICK_MS_DEFAULT = 250;
/** How often a node re-announces its latest block (repairs what a transport lost). */
export const NODE_ANNOUNCE_EVERY_MS_DEFAULT = 500;

/** A block without transactions has this transaction root. */
const EMPTY_TX_ROOT = txRoot([]);

/** What a re-initialisation did: the domain's report and the transfers on each side of the fork. */
export type ReinitReport = RemoteReinitialized & {
  transfers: ReturnType<TransferDriver['forkReport']>;
};

export type NodeHostOptions = {
  /** the node's store directory (created with `create` when it holds none) */
  dir: string;
  signers: KeyPair[];
  create?: OpenNodeOptions['create'];
  /** this domain's connection to the transport */
  endpoint: (self: Uint8Array) => Transport;
  /** domains in other processes this one follows */
  peers?: Peer[];
  /** how the transfer driver reads a peer's domain (its HTTP API, in `weft node`) */
  peerReads?: (peer: Peer) => PeerReads;
  /** called with errors the node survives (a failed read of a peer, a failed seal) */
  onError?: (e: Error) => void;
  /** how this node verifies its peers' root updates (default `full`: VERIFICATION_MODE_DEFAULT) */
  mode?: VerificationMode;
  /**
   * Which peers the node follows (docs/sync.md, "Who follows whom"): `everyone` (the library
   * default) or `interested` — `alwaysFollow`, the peers its transfers need (the driver's follow
   * hook, a claim arriving), and those it already holds a view of. `weft node --follow`.
   */
  follow?: FollowPolicy;
  /** under `interested`: peers followed from the start (the network file's `alwaysFollowed`) */
  alwaysFollow?: Uint8Array[];
  /**
   * How long (ms) a remote view may go without a newer header before claims anchored on it wait
   * (`expiredView`); default TRUSTING_PERIOD_MS_DEFAULT (14 days). The CLI flag is
   * `weft node --trusting-period-ms`.
   */
  trustingPeriodMs?: bigint;
  /**
   * Which anchors known only through other domains admission accepts: at most
   * `maxIntermediaries` domains between, the oldest header at most `maxStalenessMs` old (docs/
   * sync.md, "Anchors through a path"); default none. Shown by `/v1/info`.
   */
  anchorPolicy?: AnchorPolicy;
  blockIntervalMs?: number;
  /** shortest time (ms) between the starts of two seals (BLOCK_INTERVAL_MIN_MS_DEFAULT) */
  minBlockIntervalMs?: number;
  heartbeatMs?: number;
  driverTickMs?: number;
  announceEveryMs?: number;
  clock?: () => bigint;
  /** the domain's prover set: its blocks are proven by attestations (docs/provers.md) */
  provers?: ProverSet;
  /** the programs scoped transactions may call (docs/scopes.md) */
  programs?: ProgramLookup;
  /** refuse claims anchored on heights other domains' provers have not proven (docs/provers.md) */
  requireProvenAnchors?: boolean;
  /**
   * An EVM vault to follow in `evm` mode (docs/evm.md): its confirmed locks become anchors that
   * claims of resources it locked for this domain prove a vault path under. `weft node --evm-rpc
   * --evm-vault --evm-confirmations`.
   */
  evm?: EvmFollowOptions;
  /**
   * Signature workers: the domain checks the signatures of the transactions it admits on them
   * (`DomainOptions.verifier`), the router a gap answer's header signatures, a chain at a time
   * (`SyncRouterOptions.verifier`); absent, inline. The caller owns and closes it.
   */
  verifier?: SignatureVerifierPool;
};

/**
 * A durable domain node with its timers running.
 *
 * @example
 * const host = await NodeHost.open({ dir, signers: [key], create: { name: 'alpha' }, endpoint });
 * host.domain.committedHeight; // grows as blocks are sealed
 * await host.close();
 */
export class NodeHost {
  private timers: NodeJS.Timeout[] = [];
  private sealing: Promise<void> | null = null;
  private lastSealMs = 0;
  /** when the latest seal began (ms), for the shortest interval */
  private lastSealStartMs = 0;
  /** the timer of a seal asked for by arriving work, while one is pending */
  private sealTimer: NodeJS.Timeout | null = null;
  /** a peer's header for a block with transactions was accepted since the latest seal began */
  private peerWork = false;
  private closed = false;
  /** The global tree as this node sees it: its own root and every peer root its domain recorded. */
  readonly globalRoot = new GlobalRoot();
  private detach: () => void = () => {};
  private stoppedBy: WeftError | undefined;
  /** the EVM vault this node follows in `evm` mode, if any */
  vault: VaultWatch | undefined;
  private resolveStopped: (e: WeftError) => void = () => {};
  private readonly whenStopped = new Promise<WeftError>((resolve) => {
    this.resolveStopped = resolve;
  });

  private constructor(
    readonly domain: Domain,
    readonly router: SyncRouter,
    readonly driver: TransferDriver,
    readonly recovery: RecoveryReport,
    readonly peers: readonly Peer[],
    private readonly closeStore: () => Promise<void>,
    private readonly opts: NodeHostOptions,
  ) {}

  static async open(opts: NodeHostOptions): Promise<NodeHost> {
    const durable = await openDomainNode(opts.dir, {
      signers: opts.signers,
      ...(opts.create ? { create: opts.create } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.provers ? { provers: opts.provers } : {}),
      ...(opts.programs ? { programs: opts.programs } : {}),
      ...(opts.requireProvenAnchors ? { requireProvenAnchors: true } : {}),
      ...(opts.anchorPolicy ? { anchorPolicy: opts.anchorPolicy } : {}),
      ...(opts.trustingPeriodMs !== undefined ? { trustingPeriodMs: opts.trustingPeriodMs } : {}),
      ...(opts.verifier ? { verifier: opts.verifier } : {}),
    });
    const { domain } = durable;
    const network = new SyncRouter({
      endpoint: opts.endpoint,
      mode: opts.mode ?? VERIFICATION_MODE_DEFAULT,
      announceEveryMs: opts.announceEveryMs ?? NODE_ANNOUNCE_EVERY_MS_DEFAULT,
      ...(opts.follow ? { follow: opts.follow } : {}),
      ...(opts.alwaysFollow ? { alwaysFollow: opts.alwaysFollow } : {}),
      ...(opts.trustingPeriodMs !== undefined ? { trustingPeriodMs: opts.trustingPeriodMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.verifier ? { verifier: opts.verifier } : {}),
    });
    const peers = opts.peers ?? [];
    const driver = new TransferDriver(
      new LmdbTransferStore(durable.node),
      opts.clock,
      undefined,
      null,
      network.viewExpiry(),
      // The two domains of a transfer follow each other before its move (a no-op under `everyone`).
      { follow: (from, to) => network.followEachOther(from, to) },
    );
    // A driver error (a peer unreachable) is survived: the transfer is observed again next pass.
    driver.on('error', (e) => opts.onError?.(e));
    driver.addDomain(domain);
    const peerDomains: PeerDomain[] = [];
    try {
      await network.join(domain);
      for (const p of peers) {
        await network.addPeer(p);
        if (opts.peerReads) {
          const peer = new PeerDomain(p, domain.id, network, opts.peerReads(p), Date.now, domain);
          peerDomains.push(peer);
          driver.addDomain(peer);
        }
      }
    } catch (e) {
      for (const p of peerDomains) p.close();
      network.close();
      await durable.close();
      throw e;
    }
    const close = async () => {
      for (const p of peerDomains) p.close();
      await durable.close();
    };
    const host = new NodeHost(domain, network, driver, durable.recovery, peers, close, opts);
    if (opts.evm) {
      try {
        host.vault = await VaultWatch.open(domain, opts.evm, {
          ...(opts.clock ? { clock: opts.clock } : {}),
          onError: (e) => opts.onError?.(e),
        });
      } catch (e) {
        network.close();
        await close();
        throw e;
      }
    }
    host.start();
    host.vault?.start(opts.evm?.pollMs);
    return host;
  }

  private start(): void {
    const wake = () => void this.driver.tick();
    const refreshGlobal = () => {
      const entries = [{ domainId: this.domain.id, root: this.domain.stateRoot }];
      for (const p of this.peers) {
        // What the domain follows (a trusted head included), not only what its tree recorded.
        const h = this.domain.remoteView(p.id)?.head.header;
        if (h) entries.push({ domainId: p.id, root: h.stateRoot });
      }
      void this.globalRoot.update(entries).catch(() => {});
    };
    refreshGlobal();
    const onAccepted = (e: { at: Uint8Array; from: Uint8Array }) => {
      wake();
      if (!equalBytes(e.at, this.domain.id)) return;
      const h = this.domain.remoteView(e.from)?.head.header;
      // Recorded by the next block the interval timer seals (not at once: under load every
      // peer block has transactions, and each would cause a block here).
      if (h && !equalBytes(h.txRoot, EMPTY_TX_ROOT)) this.peerWork = true;
    };
    const onWork = () => this.sealSoon();
    // A transfer message from a peer carries a claim for this domain: submitted like any other
    // transaction (a repeat is refused as a duplicate by the domain itself).
    const onTransfer = (m: { at: Uint8Array; body: Uint8Array }) => {
      if (!equalBytes(m.at, this.domain.id)) return;
      void Promise.resolve()
        .then(() => this.domain.submit(decodeTransaction(m.body)))
        .catch(() => {});
    };
    // A broken invariant is a bug: the domain already refuses everything; the node stops too.
    const onStopped = (e: WeftError) => void this.stop(e);
    this.domain.on('stopped', onStopped);
    this.domain.on('blockSealed', wake);
    this.domain.on('blockSealed', refreshGlobal);
    this.domain.on('txAccepted', onWork);
    this.router.on('accepted', onAccepted);
    this.router.on('transfer', onTransfer);
    // A peer's confirmation of this domain's header is what a transfer waiting for its root at
    // that peer needs (docs/transfers.md, "Pushed facts").
    const onConfirmed = (e: { domain: Uint8Array }) => {
      if (equalBytes(e.domain, this.domain.id)) wake();
    };
    this.router.on('confirmed', onConfirmed);
    this.detach = () => {
      this.domain.off('stopped', onStopped);
      this.domain.off('blockSealed', wake);
      this.domain.off('blockSealed', refreshGlobal);
      this.domain.off('txAccepted', onWork);
      this.router.off('accepted', onAccepted);
      this.router.off('transfer', onTransfer);
      this.router.off('confirmed', onConfirmed);
    };
    const every = (ms: number, f: () => void) => {
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.blockIntervalMs ?? BLOCK_INTERVAL_MS_DEFAULT, () => void this.maybeSeal());
    every(this.opts.driverTickMs ?? DRIVER_TICK_MS_DEFAULT, wake);
    this.lastSealMs = Date.now();
    void this.driver.tick();
  }

  /**
   * Asks for a seal because work arrived: as soon as the seal in progress (if any) has finished
   * and BLOCK_INTERVAL_MIN_MS_DEFAULT (`minBlockIntervalMs`) has passed since it began. Asking
   * again while one is pending changes nothing.
   */
  private sealSoon(): void {
    // A seal in progress asks again when it ends (`maybeSeal`); a pending timer covers this.
    if (this.closed || this.sealTimer || this.sealing) return;
    const min = this.opts.minBlockIntervalMs ?? BLOCK_INTERVAL_MIN_MS_DEFAULT;
    const wait = Math.max(0, this.lastSealStartMs + min - Date.now());
    this.sealTimer = setTimeout(() => {
      this.sealTimer = null;
      void this.maybeSeal();
    }, wait);
    this.sealTimer.unref();
  }

  /** Seals when there is work, or when the heartbeat is due; one seal at a time. */
  private async maybeSeal(): Promise<void> {
    if (this.sealing || this.closed) return;
    const heartbeat = this.opts.heartbeatMs ?? HEARTBEAT_MS_DEFAULT;
    const due = Date.now() - this.lastSealMs >= heartbeat;
    // A peer's empty block is recorded by the next block either way; sealing for it alone would
    // make every block of a peer cause one here, and back, forever (see BLOCK_INTERVAL_MIN_MS_DEFAULT).
    if (this.domain.mempoolSize === 0 && !this.peerWork && !due) return;
    this.peerWork = false;
    this.lastSealStartMs = Date.now();
    this.sealing = this.domain
      .sealBlock()
      .then(() => {
        this.lastSealMs = Date.now();
      })
      .catch((e: unknown) => {
        // A failed seal stops the domain (DOMAIN_FAILED); health reports it.
        this.opts.onError?.(e instanceof Error ? e : new Error(String(e)));
      })
      .finally(() => {
        this.sealing = null;
        // Transactions that arrived during the seal get the next block.
        if (this.domain.mempoolSize > 0) this.sealSoon();
      });
    await this.sealing;
  }

  /**
   * Operator recovery from a freeze: re-initialises this domain's frozen view of a peer from a
   * header the operator trusts (`SyncRouter.reinitializeRemote`) and reports, besides the
   * dropped roots, which of this node's transfers continue and which the fork touched.
   */
  async reinitializeRemote(
    trusted: SignedHeader,
    keySet: KeySet,
    p: { by: string; evidence?: Uint8Array },
  ): Promise<ReinitReport> {
    const done = await this.router.reinitializeRemote(this.domain.id, trusted, keySet, p);
    const transfers = this.driver.forkReport(this.domain.id, done.domainId, done.forkHeight);
    void this.driver.tick();
    return { ...done, transfers };
  }

  /**
   * Stops the node on a broken invariant (`INVARIANT` escaping a domain input): the error goes to
   * `onError`, the node closes, and `stopped()` resolves with it.
   */
  private async stop(e: WeftError): Promise<void> {
    if (this.stoppedBy !== undefined) return;
    this.stoppedBy = e;
    this.opts.onError?.(e);
    try {
      await this.close();
    } finally {
      this.resolveStopped(e);
    }
  }

  /**
   * Resolves with the error that stopped the node (a broken invariant), once it has closed;
   * never resolves while the node runs or after an ordinary `close`.
   *
   * @example
   * host.stopped().then((e) => { log(`stopped: ${e.code}`); process.exitCode = 1; });
   */
  stopped(): Promise<WeftError> {
    return this.whenStopped;
  }

  /** The broken invariant that stopped this node, if one did. */
  get failure(): WeftError | undefined {
    return this.stoppedBy;
  }

  /** Stops the timers, waits for a seal in progress, detaches from the network, closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimer = null;
    this.detach();
    await this.vault?.close();
    if (this.sealing) await this.sealing;
    await this.driver.idle();
    this.router.close();
    await this.closeStore();
  }
}
