// The sync router: connects member domains (this process) and peers (other processes) over a
// Transport — the in-process bus or NATS — and routes root updates, header requests,
// confirmations and transfer messages between them. Whether a received block is accepted is the
// sync layer's verdict (`decideAcceptance`) over the member domain's own view of the sender; the
// router only gathers its inputs and applies it as domain inputs (trust, accept, freeze, reinit),
// so every view lives — and survives restarts — in the domain state. Re-announcement repairs
// whatever the transport lost.
import { EventEmitter } from 'node:events';
import {
  check,
  equalBytes,
  hexKey,
  Reader,
  type SignatureVerifierPool,
  WeftError,
  type WeftErrorCode,
  Writer,
} from '../crypto/index.js';
import {
  type Block,
  type Domain,
  encodeKeySet,
  headerHash,
  type KeySet,
  type RemoteReinitialized,
  type SignedHeader,
  type VerifiedSignatures,
  verifyHeaderSignatures,
} from '../domain/index.js';
import { MESSAGE_BODY_BYTES_MAX, type Message, type Transport } from '../net/index.js';
import {
  decodeSignedAttestation,
  encodeSignedAttestation,
  type ProgramLookup,
  type ProverEvidence,
  type ProverSet,
  type SignedAttestation,
} from '../scope/index.js';
import {
  answerHeaderRequest,
  decideAcceptance,
  decodeHeaderRequest,
  decodeRootUpdate,
  decodeSyncConfirmation,
  decodeSyncInterest,
  type EquivocationEvidence,
  encodeHeaderRequest,
  encodeRootUpdate,
  encodeSyncConfirmation,
  encodeSyncInterest,
  equivocationEvidenceHash,
  equivocationWith,
  exclusionsOf,
  type HeaderRequest,
  KnowledgeGraph,
  keySetAfter,
  learnedFrom,
  observeAccepted,
  preverifyHeaderChain,
  type RemoteView,
  ROOT_UPDATE_BYTES_MAX,
  type RootUpdate,
  recordedHeaders,
  rootUpdateFromBlock,
  ScopeHistory,
  SyncState,
  scopeWitnessOf,
  TRUSTING_PERIOD_MS_DEFAULT,
  trustRemote,
  VERIFICATION_MODE_DEFAULT,
  type VerificationMode,
  vouchedRecords,
} from '../sync/index.js';
import type { ViewExpiry } from '../transfer/index.js';
import { decodeClaims, encodeClaims } from './claims.js';
import {
  type BlockFacts,
  type BlockSpends,
  blockFactsFor,
  blockSpends,
  decodeBlockFacts,
  encodeBlockFacts,
  FACTS_PENDING_MAX,
  verifyBlockFacts,
} from './facts.js';

/** Most headers one gap request asks for; a longer gap takes several rounds. */
export const HEADER_CHAIN_MAX = 64;
/** How often every member re-announces its latest block by default. */
export const ANNOUNCE_EVERY_MS_DEFAULT = 250;
/**
 * Under `follow: 'interested'`, every this many re-announcement rounds each member tells the
 * domains it follows again that it follows them (a sender that restarted forgot its followers).
 */
export const INTEREST_REFRESH_ROUNDS = 16;

/**
 * Who a member follows (docs/sync.md, "Who follows whom"):
 * - `everyone`: every member and peer, from the moment it joins (every domain sends its root
 *   updates to every other: messages and verification grow with the square of the domains);
 * - `interested`: only the domains named in `alwaysFollow` and those it has reason to follow,
 *   added on demand — a transfer planned between two domains (`followEachOther`, the transfer
 *   driver's `follow` hook), a transfer message arriving, an explicit `follow`. A domain sends its
 *   root updates only to the domains that told it they follow it (an `interest` message).
 */
export type FollowPolicy = 'everyone' | 'interested';

export type SyncRouterOptions = {
  /** each member's own connection (e.g. `(id) => bus.endpoint(id)`), so receivers know the sender */
  endpoint: (self: Uint8Array) => Transport;
  /** how receivers verify root updates (default `full`: VERIFICATION_MODE_DEFAULT) */
  mode?: VerificationMode;
  /** re-announcement period; 0 turns it off (tests drive `announceAll` themselves) */
  announceEveryMs?: number;
  /**
   * How long (ms) a remote view may go without a newer header before it is expired: claims
   * anchored on it wait (default TRUSTING_PERIOD_MS_DEFAULT, 14 days).
   */
  trustingPeriodMs?: bigint;
  /** the clock expiry is judged by (default: wall time) */
  clock?: () => bigint;
  /**
   * The programs full mode re-executes senders' scoped blocks with (docs/sync.md, "Scoped
   * blocks"); default: each member domain's own, if it has any.
   */
  programs?: ProgramLookup;
  /** who each member follows (default `everyone`) */
  follow?: FollowPolicy;
  /** under `interested`: domains every member follows from the start (configuration, policy) */
  alwaysFollow?: Uint8Array[];
  /**
   * Signature workers: a gap answer's header signatures are checked on them together before the
   * chain's acceptance, which consults the verdicts (`preverifyHeaderChain`). Absent, closed or
   * failing: every signature is checked inline. The caller owns and closes it.
   */
  verifier?: SignatureVerifierPool;
};

export type SyncRouterEvents = {
  /** `at` accepted `from`'s header at `height` */
  accepted: [{ at: Uint8Array; from: Uint8Array; height: bigint }];
  /**
   * `observer` says it accepted `domain`'s header at `height` with hash `headerHash` (a
   * confirmation flowing back; `from` is who sent it over the transport)
   */
  confirmed: [
    { domain: Uint8Array; observer: Uint8Array; height: bigint; headerHash: Uint8Array; from: Uint8Array },
  ];
  /**
   * Member `at` checked the facts `from` pushed with its block at `facts.height` against the
   * header of `from` it accepted there (docs/sync.md, "Facts pushed with a block"): every proof
   * holds under `stateRoot` (that header's). Facts that do not are `refused` instead.
   */
  facts: [{ at: Uint8Array; from: Uint8Array; facts: BlockFacts; stateRoot: Uint8Array }];
  /** `at` refused an update from `from` with `code` (a lying or broken sender; duplicates are not reported) */
  refused: [{ at: Uint8Array; from: Uint8Array; code: WeftErrorCode; message: string }];
  /** a transfer message for member `at` (a claim transaction, as canonical bytes) */
  transfer: [{ at: Uint8Array; from: Uint8Array; body: Uint8Array }];
  /**
   * `at` froze its view of `evidence.domainId`: a header `from` carried (backing one of its
   * `0x03` records) and the one `at` accepted at that height are both signed by the domain's key
   * set — a fork shown to different observers.
   */
  equivocation: [{ at: Uint8Array; from: Uint8Array; evidence: EquivocationEvidence }];
  /**
   * `at` counted a prover's attestation of `domain`'s block; `evidence` when it convicted the
   * prover instead (a root other than the block re-executes to: docs/provers.md).
   */
  attestation: [
    {
      at: Uint8Array;
      domain: Uint8Array;
      height: bigint;
      provenHeight: bigint;
      evidence: ProverEvidence | null;
    },
  ];
};

type Member = {
  domain: Domain;
  sync: SyncState;
  /** the latest root update announced, encoded: every follower (and a re-announcement) gets the same bytes */
  announced?: { height: bigint; body: Uint8Array };
  net: Transport;
  queue: Promise<void>;
  detach: () => void;
  /** with programs: the object DAGs full mode re-executes the senders' scoped blocks on */
  scopes?: ScopeHistory;
  /**
   * Per sender (hex id): the highest height a gap request of this member aims at, and whom it
   * asked. Each answered chain asks for the next at once, so a member far behind catches up
   * HEADER_CHAIN_MAX headers a round trip instead of one chain per re-announcement.
   */
  gaps?: Map<string, { toHeight: bigint; from: Uint8Array }>;
  /** Per sender (hex id): the hash of the head of the latest chain accepted (what the next may continue). */
  acceptedHeads?: Map<string, Uint8Array>;
  /** under `interested`: the domains that told this member they follow it (hex id -> id) */
  followers: Map<string, Uint8Array>;
  /** domains this member is starting to follow (hex), so a repeated wish queues nothing */
  following: Set<string>;
  /** peers this member already asked to follow it back (hex) */
  askedBack: Set<string>;
  /**
   * Under `interested`: the domains this member told it follows them and has not yet had a root
   * update from (hex id -> id and whether it asked to be followed back). An interest message can
   * be lost like any other; until the first announcement proves it arrived, it is sent again every
   * re-announcement round. Without this a lost interest left the follower without announcements
   * for INTEREST_REFRESH_ROUNDS rounds or more, and it then caught up in one long chain (which,
   * before a record's backing reached down to the previous record, left the claims its next block
   * anchored low in that chain uncheckable by full-mode observers: docs/sync.md).
   * At most one entry per domain the member holds a view of (SYNC_VIEWS_MAX).
   */
  unheard: Map<string, { id: Uint8Array; followBack: boolean }>;
  /**
   * Per sender (hex id): facts messages whose header this member has not accepted yet, oldest
   * first, at most FACTS_PENDING_MAX (older ones are dropped: the driver reads over HTTP instead).
   */
  pendingFacts?: Map<string, BlockFacts[]>;
};

/**
 * A domain run by another process: known by its id, its genesis key set and its signed genesis
 * header (introduced out of band, e.g. by the network file `weft up` writes). Members follow it
 * from genesis; after a restart they skip the headers their domain already accepted.
 */
export type Peer = {
  id: Uint8Array;
  name?: string;
  keySet: KeySet;
  genesis: SignedHeader;
  /** its prover set (docs/provers.md); absent: it proves its own blocks at each seal */
  provers?: ProverSet;
};

/**
 * Routes sync traffic between member domains and peers over a transport.
 *
 * @example
 * const router = new SyncRouter({ endpoint: (id) => bus.endpoint(id) });
 * router.join(alpha);
 * router.join(beta); // each now follows the other; sealed blocks flow as root updates
 */
export class SyncRouter extends EventEmitter<SyncRouterEvents> {
  private readonly members = new Map<string, Member>();
  private readonly peers = new Map<string, Peer>();
  private readonly endpoint: (self: Uint8Array) => Transport;
  private readonly mode: VerificationMode;
  private readonly programs: ProgramLookup | undefined;
  private readonly verifier: SignatureVerifierPool | undefined;
  readonly followPolicy: FollowPolicy;
  private readonly alwaysFollow: Set<string>;
  private rounds = 0;
  private timer: NodeJS.Timeout | null = null;
  /** `verified`: headers that passed the light-client rules (what a restart must not redo) */
  private readonly stats = {
    sent: 0,
    received: 0,
    accepted: 0,
    refused: 0,
    gapRequests: 0,
    verified: 0,
    /** facts messages checked and kept (`facts` events); `factsDropped`: never checked (no header) */
    facts: 0,
    factsDropped: 0,
  };
  readonly trustingPeriodMs: bigint;
  private readonly clock: () => bigint;
  /** Who knows whose root, directly or through whose tree, and since when (docs/sync.md). */
  readonly knowledge = new KnowledgeGraph();

  constructor(opts: SyncRouterOptions) {
    super();
    this.endpoint = opts.endpoint;
    this.mode = opts.mode ?? VERIFICATION_MODE_DEFAULT;
    this.programs = opts.programs;
    this.trustingPeriodMs = opts.trustingPeriodMs ?? TRUSTING_PERIOD_MS_DEFAULT;
    this.clock = opts.clock ?? (() => BigInt(Date.now()));
    this.followPolicy = opts.follow ?? 'everyone';
    check(
      this.followPolicy === 'everyone' || this.followPolicy === 'interested',
      'BAD_INPUT',
      `follow must be everyone or interested, got ${String(this.followPolicy)}`,
    );
    this.alwaysFollow = new Set((opts.alwaysFollow ?? []).map(hexKey));
    this.verifier = opts.verifier;
    check(this.trustingPeriodMs > 0n, 'BAD_INPUT', 'trustingPeriodMs must be positive');
    const every = opts.announceEveryMs ?? ANNOUNCE_EVERY_MS_DEFAULT;
    if (every > 0) {
      this.timer = setInterval(() => void this.announceAll(), every);
      this.timer.unref();
    }
  }

  /**
   * Adds a domain. Under `everyone` it and every member start following each other; under
   * `interested` only where `alwaysFollow` says so, and it resumes following every domain its
   * state already holds a view of (telling each again). Each view starts from the one the domain
   * already holds (a restart resumes there), or else from the other's latest header. Resolves
   * once those views are recorded; messages to a member wait for its own.
   */
  join(domain: Domain): Promise<void> {
    const key = hexKey(domain.id);
    if (this.members.has(key)) throw new WeftError('DUPLICATE_DOMAIN', `${domain.name} already joined`);
    const sync = new SyncState(domain, { trustingPeriodMs: this.trustingPeriodMs, clock: this.clock });
    const net = this.endpoint(domain.id);
    const member: Member = {
      domain,
      sync,
      net,
      queue: Promise.resolve(),
      detach: () => {},
      followers: new Map(),
      following: new Set(),
      askedBack: new Set(),
      unheard: new Map(),
    };
    const programs = this.programs ?? domain.scopePrograms;
    if (programs) member.scopes = new ScopeHistory(programs);
    const everyone = this.followPolicy === 'everyone';
    const trusts: Promise<void>[] = [];
    for (const other of this.members.values()) {
      if (everyone || this.alwaysFollow.has(hexKey(other.domain.id)))
        trusts.push(this.trustFrom(member, other.domain.id, () => latestOf(other.domain), other.domain.name));
      if (everyone || this.alwaysFollow.has(key))
        trusts.push(this.trustFrom(other, domain.id, () => latestOf(domain), domain.name));
    }
    for (const peer of this.peers.values())
      if (everyone || this.alwaysFollow.has(hexKey(peer.id)))
        trusts.push(
          this.trustFrom(member, peer.id, () => ({ signed: peer.genesis, keySet: peer.keySet }), peer.name),
        );
    if (!everyone)
      for (const view of domain.remoteViews())
        trusts.push(this.trustFrom(member, view.domainId, null, view.name));
    const unsubscribe = net.subscribe(domain.id, (msg, from) => this.enqueue(member, msg, from));
    const onSealed = (o: { block: Block; headerHash: Uint8Array }) => {
      // Facts are handed to the transport first (no wait for their acknowledgement), so each peer
      // receives them before the root update; they are an optimisation: without them the peer reads.
      void this.sendFacts(member, o.block, o.headerHash).catch(() => {});
      void this.announce(member, o.block.header.height, o.block);
    };
    const onAttested = (s: SignedAttestation) => void this.relayAttestation(member, s);
    domain.on('blockSealed', onSealed);
    domain.on('attested', onAttested);
    member.detach = () => {
      unsubscribe();
      domain.off('blockSealed', onSealed);
      domain.off('attested', onAttested);
    };
    this.members.set(key, member);
    return Promise.all(trusts).then(() => undefined);
  }

  /**
   * Makes `member`'s domain follow `id` unless it already holds a view of it (then it resumes
   * from that persisted view: no header is verified again), queued before any message to it.
   * Under `interested` it then tells `id` (an `interest` message; `followBack` asks `id` to
   * follow it in return). `trusted` null: only a view already held is resumed.
   */
  private trustFrom(
    member: Member,
    id: Uint8Array,
    trusted: (() => { signed: SignedHeader; keySet: KeySet }) | null,
    name: string | undefined,
    followBack = false,
  ): Promise<void> {
    // Its prover set is configuration: given again at every start, before any attestation.
    const other = this.members.get(hexKey(id))?.domain;
    const provers = other ? other.proverSet : (this.peers.get(hexKey(id))?.provers ?? null);
    member.domain.followProvers(id, provers);
    const run = async () => {
      if (member.domain.remoteView(id) === undefined && trusted) {
        const { signed, keySet } = trusted();
        await member.domain.trustRemote(signed, keySet, {
          mode: this.mode,
          atMs: this.clock(),
          ...(name === undefined ? {} : { name }),
        });
      }
      if (this.tellsInterest(id) && member.domain.remoteView(id) !== undefined)
        await this.sendInterest(member, id, followBack);
    };
    const done = member.queue.then(run);
    member.queue = done.catch((e: unknown) => {
      this.stats.refused++;
      const code = e instanceof WeftError ? e.code : 'INTERNAL';
      this.emit('refused', { at: member.domain.id, from: id, code, message: (e as Error).message });
    });
    return member.queue;
  }

  /**
   * Adds a domain that runs elsewhere: every member (now and later) follows it, and announces
   * its own blocks to it over the transport.
   */
  addPeer(peer: Peer): Promise<void> {
    const key = hexKey(peer.id);
    check(
      !this.members.has(key) && !this.peers.has(key),
      'DUPLICATE_DOMAIN',
      `domain ${peer.name ?? key} is already part of this network`,
    );
    check(
      equalBytes(peer.genesis.header.domain, peer.id) && peer.genesis.header.height === 0n,
      'BAD_INPUT',
      `the genesis header given for ${peer.name ?? key} is not that domain's height 0`,
    );
    this.peers.set(key, peer);
    if (this.followPolicy === 'interested' && !this.alwaysFollow.has(key)) return Promise.resolve();
    const trusted = () => ({ signed: peer.genesis, keySet: peer.keySet });
    return Promise.all(
      [...this.members.values()].map((m) => this.trustFrom(m, peer.id, trusted, peer.name)),
    ).then(() => undefined);
  }

  /**
   * Member `observer` starts following domain `id` (a member or a peer) unless it already does:
   * from the other member's latest header, or from the peer's genesis (the gap is then filled
   * from the peer). Under `interested` it tells `id`, which from then on sends it its root
   * updates; `followBack` asks `id` to follow `observer` too. Resolves once the view is recorded.
   * UNKNOWN_DOMAIN when `observer` is no member or `id` is neither a member nor a peer.
   */
  follow(observer: Uint8Array, id: Uint8Array, opts: { followBack?: boolean } = {}): Promise<void> {
    const member = this.members.get(hexKey(observer));
    if (!member)
      throw new WeftError('UNKNOWN_DOMAIN', `domain ${hexKey(observer)} is not a member of this network`);
    const key = hexKey(id);
    check(!equalBytes(observer, id), 'BAD_INPUT', 'a domain does not follow itself');
    const followBack = opts.followBack ?? false;
    if (followBack) {
      if (member.askedBack.has(key)) return member.queue;
      member.askedBack.add(key);
    }
    if (member.following.has(key)) return member.queue;
    if (member.domain.remoteView(id) !== undefined) {
      // Already following: only a new request to follow back is worth a message.
      return followBack && this.followPolicy === 'interested'
        ? this.trustFrom(member, id, null, undefined, true)
        : member.queue;
    }
    const local = this.members.get(key);
    const peer = this.peers.get(key);
    if (!local && !peer) throw new WeftError('UNKNOWN_DOMAIN', `domain ${key} is not part of this network`);
    member.following.add(key);
    const trusted = local
      ? () => latestOf(local.domain)
      : () => ({ signed: peer!.genesis, keySet: peer!.keySet });
    const name = local ? local.domain.name : peer!.name;
    return this.trustFrom(member, id, trusted, name, followBack).finally(() => member.following.delete(key));
  }

  /**
   * Domains `a` and `b` have a transfer between them: the destination needs the source's roots
   * (the claim's anchor), the source the destination's headers (confirmation, refund). Each one
   * that is a member follows the other; a peer is asked to follow back. The transfer driver's
   * `follow` hook. Unknown domains are left alone (the driver reports what it cannot observe).
   */
  async followEachOther(a: Uint8Array, b: Uint8Array): Promise<void> {
    const known = (id: Uint8Array) => this.members.has(hexKey(id)) || this.peers.has(hexKey(id));
    if (!known(a) || !known(b)) return;
    const pairs: Promise<void>[] = [];
    const isMember = (id: Uint8Array) => this.members.has(hexKey(id));
    if (isMember(a)) pairs.push(this.follow(a, b, { followBack: !isMember(b) }));
    if (isMember(b)) pairs.push(this.follow(b, a, { followBack: !isMember(a) }));
    await Promise.all(pairs);
  }

  /**
   * Whether members tell `id` that they follow it: a peer always (it may run `interested` in its
   * process and then announce only to the domains that told it: a network may mix the two
   * policies), a member under `interested`; never anything else (an EVM vault's view).
   */
  private tellsInterest(id: Uint8Array): boolean {
    const key = hexKey(id);
    return this.peers.has(key) || (this.followPolicy === 'interested' && this.members.has(key));
  }

  /**
   * The domains member `id` sends its root updates to: every other domain under `everyone`; under
   * `interested`, those that told it they follow it.
   */
  followersOf(id: Uint8Array): Uint8Array[] {
    const member = this.members.get(hexKey(id));
    if (!member) return [];
    if (this.followPolicy === 'everyone') return this.domainIds().filter((d) => !equalBytes(d, id));
    return [...member.followers.values()];
  }

  /**
   * Tells `to` that `member` follows it (and, with `followBack`, asks it to follow back); it stays
   * `unheard` (sent again every round) until a root update from `to` shows it arrived.
   */
  private async sendInterest(member: Member, to: Uint8Array, followBack: boolean): Promise<void> {
    const key = hexKey(to);
    const pending = member.unheard.get(key);
    // A re-send keeps asking to be followed back if any earlier one did.
    const back = followBack || (pending?.followBack ?? false);
    member.unheard.set(key, { id: to, followBack: back });
    return this.sendInterestMessage(member, to, back);
  }

  private async sendInterestMessage(member: Member, to: Uint8Array, followBack: boolean): Promise<void> {
    const height = member.domain.remoteView(to)?.head.header.height ?? 0n;
    const body = encodeSyncInterest({ observer: member.domain.id, domainId: to, height, followBack });
    const id = `int/${hexKey(member.domain.id)}/${hexKey(to)}/${height}/${this.clock()}`;
    await this.send(member, to, { kind: 'interest', id, body });
  }

  /**
   * `from` follows this member: it gets the member's root updates from now on, starting with the
   * latest block (its gap requests fetch what lies before). With `followBack`, the member follows
   * `from` too when it knows it (a member or a peer; an unknown domain is not followed).
   */
  private onInterest(member: Member, from: Uint8Array, body: Uint8Array): void {
    const interest = decodeSyncInterest(body);
    if (!equalBytes(interest.observer, from) || !equalBytes(interest.domainId, member.domain.id)) {
      this.refused(member, from, 'BAD_INPUT', 'an interest message names another observer or domain');
      return;
    }
    member.followers.set(hexKey(from), from);
    // Under `everyone` it already announces to every domain: no extra copy.
    const height = member.domain.committedHeight;
    if (height > 0n && this.followPolicy === 'interested') void this.announceTo(member, height, [from]);
    if (interest.followBack && member.domain.remoteView(from) === undefined) {
      const key = hexKey(from);
      if (this.members.has(key) || this.peers.has(key))
        void this.follow(member.domain.id, from).catch(() => {});
    }
  }

  /** The ids of every domain this network talks to: local members, then remote peers. */
  domainIds(): Uint8Array[] {
    return [
      ...[...this.members.values()].map((m) => m.domain.id),
      ...[...this.peers.values()].map((p) => p.id),
    ];
  }

  /**
   * Operator recovery from a freeze (docs/operations.md): member `self` replaces its frozen view
   * of `trusted`'s domain with that header, which the operator trusts (and `keySet`, the set
   * recorded under its root). The domain records the re-initialisation in its transcript with
   * `by` and the hash of the evidence it answers — the equivocation the sync layer holds, or
   * `evidence` when the freeze came from elsewhere (a double spend) — and reports the roots it
   * dropped. Refused, changing nothing, when the view is not frozen (NOT_FROZEN) and the like.
   */
  async reinitializeRemote(
    self: Uint8Array,
    trusted: SignedHeader,
    keySet: KeySet,
    p: { by: string; evidence?: Uint8Array },
  ): Promise<RemoteReinitialized> {
    const member = this.members.get(hexKey(self));
    if (!member)
      throw new WeftError('UNKNOWN_DOMAIN', `domain ${hexKey(self)} is not a member of this network`);
    const domainId = trusted.header.domain;
    const view = member.domain.remoteView(domainId);
    const held = view?.frozen?.evidence ?? null;
    const evidence = held ? equivocationEvidenceHash(held) : p.evidence;
    if (view?.frozen == null)
      throw new WeftError(
        'NOT_FROZEN',
        `this domain's view of ${hexKey(domainId)} is not frozen: nothing to re-initialise`,
      );
    if (!evidence)
      throw new WeftError(
        'BAD_INPUT',
        'the sync layer holds no equivocation evidence for this domain: name the evidence answered (its 32-byte hash)',
      );
    // The trusted header must be signed by a key set this node already trusts, and install one:
    // a key set from the request alone would let any caller anchor headers it signed itself.
    const signedBy = this.trustedSigner(member, domainId, trusted, keySet);
    trustRemote(trusted, keySet, { signedBy });
    let report: RemoteReinitialized | undefined;
    const take = (o: RemoteReinitialized) => {
      report = o;
    };
    member.domain.on('remoteReinitialized', take);
    try {
      await member.queue; // not in the middle of handling a message
      await member.domain.reinitializeRemote({
        domainId,
        header: trusted.header,
        signatures: trusted.signatures,
        keySet,
        by: p.by,
        evidence,
        atMs: this.clock(),
      });
    } finally {
      member.domain.off('remoteReinitialized', take);
    }
    return report!;
  }

  /**
   * The key set that signed `trusted`, among those `member` already trusts for `domainId`: the
   * view's own (the set in force at its head, and the sets that signed the headers it remembers)
   * and the genesis set the peer was introduced with (the network file). `keySet`, which the
   * re-initialised view will check the next header with, must be one of them too. Refused with
   * UNTRUSTED_KEYSET otherwise, before anything changes.
   */
  private trustedSigner(member: Member, domainId: Uint8Array, trusted: SignedHeader, keySet: KeySet): KeySet {
    const view = member.sync.view(domainId);
    const known: KeySet[] = [];
    if (view) {
      if (view.keySet) known.push(view.keySet);
      for (const r of view.recent.values()) if (r.signedBy) known.push(r.signedBy);
    }
    const peer = this.peers.get(hexKey(domainId));
    if (peer) known.push(peer.keySet);
    const local = this.members.get(hexKey(domainId));
    if (local) known.push(local.domain.keySet);
    const encoded = new Set(known.map((ks) => hexKey(encodeKeySet(ks))));
    if (!encoded.has(hexKey(encodeKeySet(keySet)))) {
      throw new WeftError(
        'UNTRUSTED_KEYSET',
        `the key set given is not one this node trusts for ${hexKey(domainId)} (its view's or the network file's)`,
      );
    }
    const signer = known.find((ks) => verifyHeaderSignatures(trusted, ks));
    if (!signer) {
      throw new WeftError(
        'UNTRUSTED_KEYSET',
        `the trusted header is not signed by a threshold of a key set this node trusts for ${hexKey(domainId)}`,
      );
    }
    return signer;
  }

  /** The remote views of a member, read from its domain's state. */
  syncOf(domainId: Uint8Array): SyncState | undefined {
    return this.members.get(hexKey(domainId))?.sync;
  }

  /**
   * Expiry of the members' views for a transfer driver: a view that took no newer header within
   * `trustingPeriodMs` is expired, and claims anchored on it wait.
   */
  viewExpiry(): ViewExpiry {
    return {
      expired: (observer, domainId, nowMs) => {
        const sync = this.syncOf(observer);
        const view = sync?.view(domainId);
        if (!sync || !view || !sync.expired(domainId, nowMs)) return null;
        return { advancedAtMs: view.advancedAtMs, trustingPeriodMs: this.trustingPeriodMs };
      },
    };
  }

  counters(): Readonly<typeof this.stats> {
    return { ...this.stats };
  }

  /**
   * Sends every member's latest block to its followers (every other domain under `everyone`).
   * Each call also sends again the interest no announcement has answered yet (`unheard`: lost on
   * the way), and every INTEREST_REFRESH_ROUNDS-th call tells every followed domain again (those
   * `tellsInterest` names), so a sender that restarted (and forgot its followers) learns them back.
   */
  async announceAll(): Promise<void> {
    const refresh = ++this.rounds % INTEREST_REFRESH_ROUNDS === 0;
    await Promise.all(
      [...this.members.values()].map(async (m) => {
        await this.announce(m, m.domain.committedHeight);
        if (refresh)
          await Promise.all(
            m.domain
              .remoteViews()
              .filter((v) => this.tellsInterest(v.domainId))
              .map((v) => {
                const u = m.unheard.get(hexKey(v.domainId));
                return this.sendInterestMessage(m, v.domainId, u?.followBack ?? false);
              }),
          );
        else if (m.unheard.size > 0)
          await Promise.all(
            [...m.unheard.values()].map((u) => this.sendInterestMessage(m, u.id, u.followBack)),
          );
      }),
    );
  }

  private update(domain: Domain, height: bigint, sealed?: Block): RootUpdate | null {
    // The block the seal event carries is the one the store holds: no read and decode of it again.
    const block = sealed?.header.height === height ? sealed : domain.block(height);
    const signed = domain.header(height);
    if (!block || !signed) return null;
    if (this.mode !== 'full') return rootUpdateFromBlock(block, signed);
    // Full receivers check every remote-header record against the signed header it names.
    const remoteHeaders = recordedHeaders(domain, block);
    const scopeWitness = scopeWitnessOf(domain, block);
    return rootUpdateFromBlock(block, signed, {
      withTxs: true,
      remoteHeaders,
      exclusions: exclusionsOf(domain, block),
      ...(scopeWitness ? { scopeWitness } : {}),
    });
  }

  /**
   * Whether member `own` can vouch for a header of another domain that a sender's block records:
   * its own header (it knows them), or one signed by the key set its view of that domain holds
   * for that height. For a domain it does not follow (docs/sync.md, "Interest and full
   * verification"): a member of this router vouches by its own header at that height, as `own`
   * does for itself; a peer, by another member's view of it when one follows it (that view knows
   * its key-set changes), else by the key set the network's configuration gives for it (true when
   * that set signed it; undefined, not false, otherwise — a set rotated since may have). Undefined
   * when the domain is not part of this network.
   */
  private vouchFor(own: Domain, signed: SignedHeader): boolean | undefined {
    const x = signed.header.domain;
    if (equalBytes(x, own.id)) return ownHeaderIs(own, signed);
    const view = own.remoteView(x);
    if (view !== undefined) return vouchByView(view, signed);
    const key = hexKey(x);
    const member = this.members.get(key);
    if (member) return ownHeaderIs(member.domain, signed);
    // Another member that follows X knows its key-set changes: its view decides, not the file.
    for (const m of this.members.values()) {
      const other = m.domain.remoteView(x);
      if (other !== undefined) return vouchByView(other, signed);
    }
    const peer = this.peers.get(key);
    return peer && verifyHeaderSignatures(signed, peer.keySet) ? true : undefined;
  }

  private announce(member: Member, height: bigint, sealed?: Block): Promise<void> {
    return this.announceTo(member, height, this.followersOf(member.domain.id), sealed);
  }

  private async announceTo(member: Member, height: bigint, to: Uint8Array[], sealed?: Block): Promise<void> {
    if (height === 0n || to.length === 0) return;
    let body = member.announced?.height === height ? member.announced.body : undefined;
    if (body === undefined) {
      const update = this.update(member.domain, height, sealed);
      if (!update) return;
      body = encodeRootUpdate(update);
      member.announced = { height, body };
    }
    const id = `${hexKey(member.domain.id)}/${height}`;
    await Promise.all(to.map((d) => this.send(member, d, { kind: 'rootUpdate', id, body })));
  }

  /** Sends an attestation the member's domain counted to every other domain (its followers). */
  private async relayAttestation(member: Member, s: SignedAttestation): Promise<void> {
    const body = encodeSignedAttestation(s);
    const id = `att/${hexKey(member.domain.id)}/${s.attestation.height}/${hexKey(s.prover.bytes)}`;
    const to = this.followersOf(member.domain.id);
    await Promise.all(to.map((d) => this.send(member, d, { kind: 'attestation', id, body })));
  }

  private async send(member: Member, to: Uint8Array, msg: Message): Promise<void> {
    this.stats.sent++;
    try {
      await member.net.send(to, msg);
    } catch {
      // A closed or failing transport loses the message; re-announcement repairs it later.
    }
  }

  /** Messages to one member are handled one at a time, in arrival order. */
  private enqueue(member: Member, msg: Message, from: Uint8Array): Promise<void> {
    // A gap answer is decoded and its signatures checked on the workers as it arrives, while the
    // messages before it are still handled; its verdict still waits its turn.
    const chain = msg.kind === 'headerResponse' ? this.prepareChain(member, msg.body) : undefined;
    chain?.catch(() => {}); // its error is the handler's to report, in order
    const refuse = (e: unknown) => {
      // A message that does not even decode is refused like any other bad input.
      this.stats.refused++;
      const code = e instanceof WeftError ? e.code : 'INTERNAL';
      this.emit('refused', { at: member.domain.id, from, code, message: (e as Error).message });
    };
    // A confirmation changes no state: told at once, not behind the root updates being verified
    // (a transfer driver waits on it: docs/transfers.md, "Pushed facts").
    if (msg.kind === 'confirmation') return this.handle(member, msg, from).catch(refuse);
    member.queue = member.queue.then(() => this.handle(member, msg, from, chain)).catch(refuse);
    return member.queue;
  }

  /** A gap answer's chain, decoded, with its header signatures checked ahead (`preverifyHeaderChain`). */
  private async prepareChain(
    member: Member,
    body: Uint8Array,
  ): Promise<{ chain: RootUpdate[]; verified: VerifiedSignatures }> {
    const r = new Reader(body);
    const chain = r.list(HEADER_CHAIN_MAX, (r) => decodeRootUpdate(r.bytes(ROOT_UPDATE_BYTES_MAX)));
    r.end();
    const sender = chain[0]?.signed.header.domain;
    const view = sender ? member.domain.remoteView(sender) : undefined;
    // The chain may continue the recorded head, or the head of a chain accepted and being recorded.
    const links = [view?.headHash, sender ? member.acceptedHeads?.get(hexKey(sender)) : undefined].filter(
      (h): h is Uint8Array => h !== undefined,
    );
    return { chain, verified: await preverifyHeaderChain(view?.keySet, chain, this.verifier, links) };
  }

  private async handle(
    member: Member,
    msg: Message,
    from: Uint8Array,
    prepared?: Promise<{ chain: RootUpdate[]; verified: VerifiedSignatures }>,
  ): Promise<void> {
    this.stats.received++;
    switch (msg.kind) {
      case 'rootUpdate':
        // An announcement from `from`: it knows this member follows it (interest arrived).
        member.unheard.delete(hexKey(from));
        return this.onUpdates(member, [decodeRootUpdate(msg.body)], from);
      case 'headerResponse': {
        const { chain, verified } = await (prepared ?? this.prepareChain(member, msg.body));
        if (chain.length > 0) await this.onUpdates(member, chain, from, verified);
        return;
      }
      case 'headerRequest':
        return this.answerRequest(member, from, decodeHeaderRequest(msg.body));
      case 'confirmation': {
        const c = decodeSyncConfirmation(msg.body);
        this.emit('confirmed', {
          domain: c.domainId,
          observer: c.observer,
          height: c.height,
          headerHash: c.headerHash,
          from,
        });
        return;
      }
      case 'facts':
        return this.onFacts(member, from, decodeBlockFacts(msg.body));
      case 'transfer':
      case 'transfers': {
        // Claims together: a bad framing refuses the message; each item is the handler's to
        // decode on its own, so one bad claim drops only itself (docs/transfers.md).
        const bodies = msg.kind === 'transfer' ? [msg.body] : decodeClaims(msg.body);
        // A claim from `from`: the two have a transfer, so they follow each other (on demand).
        if (this.followPolicy === 'interested' && member.domain.remoteView(from) === undefined) {
          const key = hexKey(from);
          if (this.members.has(key) || this.peers.has(key))
            void this.follow(member.domain.id, from, { followBack: true }).catch(() => {});
        }
        for (const body of bodies) this.emit('transfer', { at: member.domain.id, from, body });
        return;
      }
      case 'attestation': {
        const s = decodeSignedAttestation(msg.body);
        const out = member.domain.acceptRemoteAttestation(s);
        this.emit('attestation', {
          at: member.domain.id,
          domain: s.attestation.domain,
          height: s.attestation.height,
          provenHeight: out.provenHeight,
          evidence: out.evidence,
        });
        return;
      }
      case 'interest':
        return this.onInterest(member, from, msg.body);
      default:
        return;
    }
  }

  /**
   * Sends a transfer message (a claim transaction's bytes) from member `from` to domain `to`;
   * `id` names it for deduplication. Resolves once the transport took it.
   */
  async sendTransfer(from: Uint8Array, to: Uint8Array, id: string, body: Uint8Array): Promise<void> {
    const member = this.members.get(hexKey(from));
    if (!member)
      throw new WeftError('UNKNOWN_DOMAIN', `domain ${hexKey(from)} is not a member of this network`);
    this.stats.sent++;
    await member.net.send(to, { kind: 'transfer', id, body });
  }

  /**
   * Sends claims for domain `to` as one `transfers` message (`encodeClaims`: at most
   * CLAIMS_PER_MESSAGE_MAX claims, CLAIMS_MESSAGE_BYTES_MAX bytes); `id` names it for
   * deduplication. Resolves once the transport took it.
   */
  async sendTransfers(
    from: Uint8Array,
    to: Uint8Array,
    id: string,
    bodies: readonly Uint8Array[],
  ): Promise<void> {
    const member = this.members.get(hexKey(from));
    if (!member)
      throw new WeftError('UNKNOWN_DOMAIN', `domain ${hexKey(from)} is not a member of this network`);
    const body = encodeClaims(bodies);
    this.stats.sent++;
    await member.net.send(to, { kind: 'transfers', id, body });
  }

  /**
   * Root updates from a sender: the sync layer decides (`decideAcceptance`, every rule of
   * acceptance in one place), and this applies the verdict — the light-client view, the domain
   * inputs, a gap request, a confirmation, events.
   */
  private async onUpdates(
    member: Member,
    updates: RootUpdate[],
    from: Uint8Array,
    verified?: VerifiedSignatures,
  ): Promise<void> {
    const sender = updates[0]!.signed.header.domain;
    const own = member.domain;
    await this.compareObservers(member, updates, sender);
    const verdict = decideAcceptance({
      view: own.remoteView(sender),
      updates,
      mode: this.mode,
      ctx: {
        // In full mode a sender's transactions anchor on, and their refunds name, only what the
        // sender itself accepted (its backed records, checked here with what we can vouch for),
        // never what we merely know.
        atMs: this.clock(),
        ...(verified ? { verifiedSignatures: verified } : {}),
        vouchFor: (signed: SignedHeader) => this.vouchFor(own, signed),
        ...(member.scopes ? { scopes: member.scopes } : {}),
        isVaultRoot: (root: Uint8Array) => own.isVaultAnchor(root),
        isVaultDomain: (id: Uint8Array) => own.remoteView(id)?.mode === 'evm',
      },
      holdsNullifier: (key: Uint8Array) => own.holdsNullifier(key),
    });
    switch (verdict.kind) {
      case 'skip':
        return;
      case 'askGap':
        return this.requestGap(member, sender, verdict, from);
      case 'accept': {
        this.stats.verified += updates.length;
        // The next part of an open gap is asked for before this part is recorded, so its answer
        // travels and its signatures are checked on the workers meanwhile; it is handled after.
        (member.acceptedHeads ??= new Map()).set(hexKey(sender), verdict.view.headHash);
        const next = this.continueGap(member, sender, verdict.view.head.header.height);
        try {
          await this.record(member, verdict.record, verdict.view);
          await this.confirm(member, sender, verdict.confirm, from);
        } finally {
          await next;
        }
        return;
      }
      case 'refuse':
        if (verdict.view) await this.record(member, verdict.record, verdict.view);
        return this.refused(member, sender, verdict.code, verdict.message);
      case 'freeze':
        await this.record(member, verdict.record, verdict.view);
        await own.freezeRemote(sender, verdict.fromHeight, verdict.evidence, verdict.invalidBlock);
        return this.refused(member, sender, verdict.code, verdict.message);
    }
  }

  /**
   * A fork shown to different observers: the headers an update carries to back its `0x03`
   * records are what its sender accepted of third domains. One that differs from the header this
   * member accepted at the same height, both signed by the key set in force, is equivocation
   * evidence whoever carried it (the signatures prove it, not the carrier): freeze that view as
   * for a fork seen directly. Checked before the update's own verdict, so a sender refused for
   * another reason still delivers the evidence.
   */
  private async compareObservers(member: Member, updates: RootUpdate[], sender: Uint8Array): Promise<void> {
    const own = member.domain;
    for (const update of updates) {
      for (const sh of update.remoteHeaders ?? []) {
        const x = sh.header.domain;
        if (equalBytes(x, own.id) || equalBytes(x, sender)) continue;
        const view = own.remoteView(x);
        if (view === undefined || view.frozen !== null) continue;
        const evidence = equivocationWith(view, sh);
        if (evidence === null) continue;
        await own.freezeRemote(x, evidence.a.header.height, evidence);
        this.emit('equivocation', { at: own.id, from: sender, evidence });
      }
    }
  }

  /**
   * Records verified headers in the member's domain, in order, with one durable append for all
   * of them (`acceptRemoteHeaders`), and tells listeners.
   */
  private async record(member: Member, updates: RootUpdate[], view: RemoteView): Promise<void> {
    if (updates.length === 0) return;
    // What each header backs and which of its records are believed is judged before recording
    // (vouching reads views of third domains, which recording the sender's headers leaves alone).
    const vouch = (sh: SignedHeader) => this.vouchFor(member.domain, sh);
    const learned = updates.map((u) => (this.mode === 'full' ? learnedFrom(u, vouch) : []));
    // Full mode believes only the records whose backing header this member vouched for.
    const believedOf = updates.map((u) => (this.mode === 'full' ? vouchedRecords(u, vouch) : undefined));
    const atMs = this.clock();
    await member.domain.acceptRemoteHeaders(
      updates.map((update, i) => {
        const keySet = keySetAfter(view, update.signed.header.height);
        return {
          header: update.signed,
          opts: { mode: this.mode, atMs, learned: learned[i]!, ...(keySet ? { keySet } : {}) },
        };
      }),
    );
    // Facts that came ahead of these headers are checked now, before anyone hears of the headers.
    this.releaseFacts(member, updates[0]!.signed.header.domain);
    for (const [i, update] of updates.entries()) {
      const header = update.signed.header;
      const believed = believedOf[i];
      observeAccepted(
        this.knowledge,
        member.domain.id,
        update,
        this.mode,
        Number(this.clock()),
        believed &&
          ((rec) => believed.some((b) => equalBytes(b.domainId, rec.domainId) && b.height === rec.height)),
      );
      this.stats.accepted++;
      this.emit('accepted', { at: member.domain.id, from: header.domain, height: header.height });
    }
  }

  /**
   * Sends each peer that follows the member the facts of the block it just sealed that concern
   * it (`blockFactsFor`: its claims and refusals anchored on the peer's roots), just before the
   * root update: the peer holds them until it accepts the header, then checks them before it
   * tells anyone of the header, so its driver's next pass finds both. Members of this process
   * read each other directly and get none.
   */
  private async sendFacts(member: Member, block: Block, hh: Uint8Array): Promise<void> {
    const height = block.header.height;
    const sends: Promise<void>[] = [];
    let spends: BlockSpends | undefined; // the block's anchored inputs, found once for every peer
    for (const to of this.followersOf(member.domain.id)) {
      if (!this.peers.has(hexKey(to))) continue;
      spends ??= blockSpends(block);
      const facts = blockFactsFor(member.domain, block, hh, to, spends);
      if (facts === null) continue;
      const id = `facts/${hexKey(member.domain.id)}/${height}/${hexKey(to)}`;
      sends.push(this.send(member, to, { kind: 'facts', id, body: encodeBlockFacts(facts) }));
    }
    await Promise.all(sends);
  }

  /**
   * Facts from `from` (docs/sync.md, "Facts pushed with a block"): they must be about `from`'s
   * own block, which this member follows. Checked at once against the header accepted at their
   * height; held (FACTS_PENDING_MAX per sender) while that header is still to come; dropped when
   * this member accepted no header there and never will (below its head, out of its window).
   */
  private onFacts(member: Member, from: Uint8Array, facts: BlockFacts): void {
    if (!equalBytes(facts.domainId, from)) {
      this.refused(
        member,
        from,
        'BAD_MESSAGE',
        "a facts message names another domain's block than its sender's",
      );
      return;
    }
    const view = member.domain.remoteView(from);
    if (view === undefined) {
      this.refused(member, from, 'UNKNOWN_DOMAIN', 'facts from a domain this member does not follow');
      return;
    }
    if (view.recent.has(facts.height)) {
      this.checkFacts(member, from, facts);
      return;
    }
    if (facts.height <= view.head.header.height) {
      this.stats.factsDropped++;
      return;
    }
    const all = (member.pendingFacts ??= new Map());
    const key = hexKey(from);
    const held = all.get(key) ?? [];
    held.push(facts);
    while (held.length > FACTS_PENDING_MAX) {
      held.shift();
      this.stats.factsDropped++;
    }
    all.set(key, held);
  }

  /** Facts of `from` whose header this member accepted, checked against it; kept or refused. */
  private checkFacts(member: Member, from: Uint8Array, facts: BlockFacts): void {
    const accepted = member.domain.remoteView(from)?.recent.get(facts.height);
    if (accepted === undefined) {
      this.stats.factsDropped++;
      return;
    }
    try {
      verifyBlockFacts(facts, accepted);
    } catch (e) {
      const code = e instanceof WeftError ? e.code : 'INTERNAL';
      this.refused(member, from, code, (e as Error).message);
      return;
    }
    this.stats.facts++;
    this.emit('facts', { at: member.domain.id, from, facts, stateRoot: accepted.stateRoot });
  }

  /** After headers of `sender` were accepted: the facts held for them are checked now. */
  private releaseFacts(member: Member, sender: Uint8Array): void {
    const held = member.pendingFacts?.get(hexKey(sender));
    if (!held || held.length === 0) return;
    const head = member.domain.remoteView(sender)?.head.header.height ?? 0n;
    const later: BlockFacts[] = [];
    for (const f of held) {
      if (f.height > head) later.push(f);
      else this.checkFacts(member, sender, f);
    }
    if (later.length > 0) member.pendingFacts!.set(hexKey(sender), later);
    else member.pendingFacts!.delete(hexKey(sender));
  }

  private refused(member: Member, from: Uint8Array, code: WeftErrorCode, message: string): void {
    this.stats.refused++;
    this.emit('refused', { at: member.domain.id, from, code, message });
  }

  /** The confirmation flows back; its verifiable form is the 0x03 record in our next root. */
  private async confirm(
    member: Member,
    sender: Uint8Array,
    last: SignedHeader,
    to: Uint8Array,
  ): Promise<void> {
    const body = encodeSyncConfirmation({
      observer: member.domain.id,
      domainId: sender,
      height: last.header.height,
      headerHash: headerHash(last.header),
    });
    const id = `ack/${hexKey(member.domain.id)}/${hexKey(sender)}/${last.header.height}`;
    await this.send(member, to, { kind: 'confirmation', id, body });
  }

  /**
   * Answers a header request with the updates it names, at most HEADER_CHAIN_MAX of them and no
   * more than fit in one message: the requester asks again from where the answer stopped.
   */
  private async answerRequest(member: Member, to: Uint8Array, req: HeaderRequest): Promise<void> {
    const last = req.fromHeight + BigInt(HEADER_CHAIN_MAX) - 1n;
    const span = { ...req, toHeight: req.toHeight < last ? req.toHeight : last };
    const chain: Uint8Array[] = [];
    let bytes = 4;
    for (const u of answerHeaderRequest(member.domain, span)) {
      const b = encodeRootUpdate(u);
      if (chain.length > 0 && bytes + 4 + b.length > MESSAGE_BODY_BYTES_MAX) break;
      chain.push(b);
      bytes += 4 + b.length;
    }
    const w = new Writer(bytes);
    w.list(chain, HEADER_CHAIN_MAX, (w, b) => w.bytes(b, ROOT_UPDATE_BYTES_MAX));
    const id = `res/${hexKey(member.domain.id)}/${span.fromHeight}-${span.toHeight}`;
    await this.send(member, to, { kind: 'headerResponse', id, body: w.finish() });
  }

  /** A gap: ask the sender for the headers the verdict names, at most HEADER_CHAIN_MAX of them. */
  private async requestGap(
    member: Member,
    sender: Uint8Array,
    gap: { fromHeight: bigint; toHeight: bigint },
    from: Uint8Array,
  ): Promise<void> {
    const last = gap.fromHeight + BigInt(HEADER_CHAIN_MAX) - 1n;
    const top = gap.toHeight < last ? gap.toHeight : last;
    const gaps = (member.gaps ??= new Map());
    const key = hexKey(sender);
    const aim = gaps.get(key);
    if (gap.toHeight > top && (aim === undefined || gap.toHeight > aim.toHeight))
      gaps.set(key, { toHeight: gap.toHeight, from });
    this.stats.gapRequests++;
    const body = encodeHeaderRequest({
      domainId: sender,
      fromHeight: gap.fromHeight,
      toHeight: top,
      withTxs: this.mode === 'full',
    });
    await this.send(member, from, {
      kind: 'headerRequest',
      id: `req/${hexKey(member.domain.id)}/${gap.fromHeight}-${top}`,
      body,
    });
  }

  /** After an accepted chain: the next part of a gap still open, asked for at once. */
  private async continueGap(member: Member, sender: Uint8Array, head: bigint): Promise<void> {
    const key = hexKey(sender);
    const aim = member.gaps?.get(key);
    if (aim === undefined) return;
    if (aim.toHeight <= head) {
      member.gaps!.delete(key);
      return;
    }
    await this.requestGap(member, sender, { fromHeight: head + 1n, toHeight: aim.toHeight }, aim.from);
  }

  /** Stops re-announcing and detaches every member (the transport is the caller's to close). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const m of this.members.values()) m.detach();
  }
}

/** A member's latest signed header and the key set that signs its next one: what a new follower trusts. */
function latestOf(domain: Domain): { signed: SignedHeader; keySet: KeySet } {
  const signed = domain.header(domain.committedHeight);
  if (!signed) throw new WeftError('BAD_INPUT', `domain ${domain.name} has no header to trust`);
  return { signed, keySet: domain.keySet };
}

/**
 * Whether `signed` is `d`'s own header at its height: false for a height `d` committed with
 * another header, or has not committed yet (it never signed that one).
 */
function ownHeaderIs(d: Domain, signed: SignedHeader): boolean {
  const h = signed.header.height;
  const mine = h <= d.committedHeight ? d.header(h) : undefined;
  return mine !== undefined && equalBytes(headerHash(mine.header), headerHash(signed.header));
}

/**
 * What `view` says of a header of its domain: true when it accepted that very header, else
 * whether the key set that signed (or, past its head, must sign) that height signed it;
 * undefined when it knows no such key set (a height below its window).
 */
function vouchByView(view: RemoteView, signed: SignedHeader): boolean | undefined {
  const h = signed.header.height;
  const known = view.recent.get(h);
  if (known && equalBytes(known.headerHash, headerHash(signed.header))) return true;
  const keySet = known ? known.signedBy : h > view.head.header.height ? view.keySet : null;
  return keySet ? verifyHeaderSignatures(signed, keySet) : undefined;
}
