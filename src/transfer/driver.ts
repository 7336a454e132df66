// The transfer driver walks each transfer through the machine: it observes what already happened
// on both domains, feeds those facts to `step`, persists every change, and only then acts
// (submits the move or the claim). After a restart it observes before it acts, so nothing is
// done twice; the nullifier makes a second claim impossible anyway.
import { EventEmitter } from 'node:events';
import { check, equalBytes, toHex, WeftError, type WeftErrorCode } from '../crypto/index.js';
import type { Header, StateProof, SubmitResult, TxStatus } from '../domain/index.js';
import { commitment, decodeValue, nullifier } from '../resource/index.js';
import { verifyProof } from '../smt/index.js';
import type { KnowledgePolicy } from '../sync/index.js';
import {
  decodeHeight,
  decodeRefusal,
  isDecidedByBody,
  nullifierKey,
  type RefundWitness,
  type RefusalReason,
  type RefusalRecord,
  refusalKey,
  type Transaction,
  txId,
} from '../tx/index.js';
import {
  assertTransition,
  isTerminal,
  newTransfer,
  step,
  type Transfer,
  type TransferEvent,
} from './machine.js';
import {
  checkPlan,
  type PlanTransferParameters,
  planTransfer,
  TRANSFER_DEADLINE_MS_DEFAULT,
  withSourceProof,
} from './plan.js';
import type { Moved, TransferPlan, TransferRecord } from './record.js';
import { withRefundWitness } from './refund.js';

type Awaitable<T> = T | Promise<T>;

/**
 * What the driver needs of a domain; a local `Domain` has all of it, and a domain in another
 * process can be reached through its API (reads may then be asynchronous and may fail: a failed
 * read is an observation not made, tried again on the next pass). `committedHeight` is the
 * latest height known, for explanations only.
 */
export interface TransferDomain {
  readonly id: Uint8Array;
  readonly committedHeight: bigint;
  /**
   * Optional: a number that grows whenever anything this domain's reads answer may have changed
   * (a local `Domain` counts its new states and seals; a `PeerDomain` what its node learns of the
   * peer, and the passing of time). With it, a driver pass observes a transfer only when a domain
   * it waits on changed since it was last observed; without it, on every pass.
   */
  readonly changes?: number;
  submit(tx: Transaction): Promise<SubmitResult>;
  status(txId: Uint8Array): Awaitable<TxStatus | undefined>;
  proveCommitment(cm: Uint8Array, height?: bigint): Awaitable<StateProof>;
  proveNullifier(nf: Uint8Array, height?: bigint): Awaitable<StateProof>;
  /**
   * Proof that the domain recorded (present) or not (absent) a refusal of a claim of the resource
   * with nullifier `nf` (docs/transfers.md, "Refusals"). Absent: refusals of this destination are
   * not seen, and a refused claim waits for its deadline.
   */
  proveRefusal?(nf: Uint8Array, height?: bigint): Awaitable<StateProof>;
  acceptsAnchor(root: Uint8Array): Awaitable<boolean>;
  remoteHeader(domainId: Uint8Array): Awaitable<Header | undefined>;
  /**
   * The headers of `domainId` this domain accepted, by height (a local `Domain`'s remote view):
   * with it, a claim is confirmed from its nullifier's proof at the claim's own height, verified
   * against the header accepted there (docs/transfers.md, "Pushed facts").
   */
  remoteView?(domainId: Uint8Array): { recent: ReadonlyMap<bigint, { stateRoot: Uint8Array }> } | undefined;
}

/** Where transfer records live: the node's store, or memory. `put` is durable when it resolves. */
export interface TransferStore {
  put(recs: TransferRecord[]): Promise<void>;
  list(): TransferRecord[];
  /** The record of transfer `id`, finished or not; undefined when the store holds none. */
  get(id: string): TransferRecord | undefined;
}

/** How long a transfer may stay `requested` (its move not yet committed) by default. */
export const TRANSFER_TTL_MS_DEFAULT = 10n * 60_000n;
/** Transfers observed side by side in one pass (their reads may cross the network). */
export const OBSERVE_CONCURRENCY = 64;
/** Answers to the driver's own rejected submissions kept until read (oldest dropped first). */
export const OWN_REJECTIONS_MAX = 100_000;
/** Finished transfers kept in memory (for `get`, `explain`, handles); all stay in the store. */
export const FINISHED_KEPT_MAX = 10_000;
/**
 * Every this many passes, a pass observes every unfinished transfer whether or not a domain it
 * waits on changed: the safety net under the change tracking (`TransferDomain.changes`).
 */
export const FULL_SWEEP_EVERY_PASSES = 16;
/**
 * Claim refusals that will not go away by waiting: the transfer fails. Not among them: the ones a
 * destination records a refusal for (DEADLINE_PASSED, UNKNOWN_LOGIC, TRANSFER_REFUSED) — the
 * transfer waits for the refusal (or the deadline) to be proven at the source, then refunds.
 */
const PERMANENT_CLAIM_CODES = new Set<WeftErrorCode>([
  'WRONG_DOMAIN',
  'NK_MISMATCH',
  'LOGIC_REJECTED',
  'UNBALANCED',
  'TX_MALFORMED',
  'BAD_PROOF',
  'VALUE_MISMATCH',
  'LABEL_MISMATCH',
  'BAD_VALUE',
]);

/** How the driver plans the transfers it starts. */
export type TransferDriverOptions = {
  /**
   * How long after the driver's clock a transfer's default deadline falls (ms), when its
   * parameters name none: TRANSFER_DEADLINE_MS_DEFAULT (one hour) when absent.
   */
  deadlineAfterMs?: bigint;
  /**
   * Called once per pair of domains the driver starts a transfer between, before the move is
   * submitted, so the two follow each other (`SyncRouter.followEachOther`): the claim needs the
   * source's root at the destination, the refund the destination's header at the source. A
   * network whose domains follow everyone needs none.
   */
  follow?: (from: Uint8Array, to: Uint8Array) => Promise<void> | void;
  /** Passes between two that observe every unfinished transfer: FULL_SWEEP_EVERY_PASSES when absent. */
  fullSweepEveryPasses?: number;
};

/** A transfer the driver plans and starts: both domains must be ones it can reach in full. */
export type TransferParameters = PlanTransferParameters & { from: TransferDomain; to: TransferDomain };

export type TransferDriverEvents = { phase: [Transfer]; error: [Error] };

/**
 * What a transfer is waiting for, as data: the phase it needs next and the heights that decide
 * it, so an operator or a UI can tell a slow domain from a stuck one.
 */
export type TransferWait = (
  | {
      waitingFor: 'sourceCommit';
      moveStatus: TxStatus['status'] | 'unknown';
      sourceHeight: bigint;
      lastUpdateAgeMs: bigint;
    }
  | {
      waitingFor: 'sourceRootAtDestination';
      needHeight: bigint;
      destinationHasHeight: bigint | null;
      lastUpdateAgeMs: bigint;
    }
  | {
      /**
       * The destination holds the source's root, but its view of the source has not advanced
       * within its trusting period: the claim waits until a newer source header arrives.
       */
      waitingFor: 'expiredView';
      /** the domain whose view expired, and the observer holding it */
      domainId: Uint8Array;
      observer: Uint8Array;
      advancedAtMs: bigint;
      trustingPeriodMs: bigint;
      lastUpdateAgeMs: bigint;
    }
  | {
      waitingFor: 'claimInclusion';
      claimStatus: TxStatus['status'] | 'unknown';
      destinationHeight: bigint;
      lastUpdateAgeMs: bigint;
    }
  | {
      waitingFor: 'destinationRootAtSource';
      needHeight: bigint;
      sourceHasHeight: bigint | null;
      lastUpdateAgeMs: bigint;
    }
  | {
      waitingFor: 'refundInclusion';
      refundStatus: TxStatus['status'] | 'unknown';
      /** the destination height whose header proved the claim can no longer land */
      refundableHeight: bigint;
      sourceHeight: bigint;
      lastUpdateAgeMs: bigint;
      /** why the destination refused the claim, when the refund rests on its refusal record */
      refusal?: RefusalReason;
    }
  | { waitingFor: null; phase: Transfer['phase']; failure?: { code: WeftErrorCode; reason: string } }
) &
  DeadlineWait;

/**
 * For a transfer with a deadline that can still be claimed: the deadline and the latest
 * destination time the source has seen (the refund becomes possible once it passes).
 */
export type DeadlineWait = { deadlineMs?: bigint; destinationTimeAtSourceMs?: bigint | null };

/**
 * A knowledge policy claims must meet (ARCHITECTURE.md §5): the destination's best path to the
 * source (direct, or through recorded roots) has at most `maxIntermediaries` hops and is at most
 * `maxStalenessMs` old, per the network's knowledge graph.
 */
export type ClaimPolicy = {
  knowledge: {
    satisfies(observer: Uint8Array, source: Uint8Array, nowMs: number, policy: KnowledgePolicy): boolean;
  };
  policy: KnowledgePolicy;
};

/**
 * Whether an observer's view of a domain has expired (it took no newer header within the
 * observer's trusting period; docs/sync.md, "Expiry"), with when it last advanced. A node's
 * router answers for its member domains; `null` when it cannot tell (not its view, or fresh).
 */
export type ViewExpiry = {
  expired(
    observer: Uint8Array,
    domainId: Uint8Array,
    nowMs: bigint,
  ): { advancedAtMs: bigint; trustingPeriodMs: bigint } | null;
};

/** A transfer in progress, as its starter sees it. */
export type TransferHandle = {
  id: string;
  current(): Transfer;
  /** calls `listener` with the transfer at each phase it reaches from now on; returns an unsubscribe */
  on(listener: (t: Transfer) => void): () => void;
  /** resolves when the transfer ends: confirmed, failed or expired */
  done: Promise<Transfer>;
};

/**
 * What a transfer's two domains were when its last observation started (read before any of its
 * reads): change counts, committed heights, and each one's view of the other (height and state
 * root). A later pass observes it again only once what its phase waits on moved (`due`). Null:
 * observe it on the next pass (a read failed, the driver has just submitted for it, or a domain
 * keeps no change count); absent: never observed (new or resumed).
 */
type Observed = {
  fromChanges: number;
  toChanges: number;
  fromHeight: bigint;
  toHeight: bigint;
  fromView: string;
  toView: string;
} | null;

type Entry = { rec: TransferRecord; waiters: ((t: Transfer) => void)[]; observed?: Observed };

/**
 * Values derived from a plan that every observation used to recompute: transaction ids, and the
 * moved resource's commitment and nullifier. Keyed by the objects themselves, which are never
 * changed in place (a claim with its proof, a refund with its witness, are new objects).
 */
const idMemo = new WeakMap<Transaction, Uint8Array>();
function idOf(tx: Transaction): Uint8Array {
  let id = idMemo.get(tx);
  if (id === undefined) {
    id = txId(tx);
    idMemo.set(tx, id);
  }
  return id;
}
const movedMemo = new WeakMap<Moved, { cm: Uint8Array; nf: Uint8Array }>();
function movedKeys(m: Moved): { cm: Uint8Array; nf: Uint8Array } {
  let k = movedMemo.get(m);
  if (k === undefined) {
    k = { cm: commitment(m.resource), nf: nullifier(m.resource, m.nk) };
    movedMemo.set(m, k);
  }
  return k;
}

/** What every observation of a transfer starts from: its record, both domains, the moved resource. */
type Observation = {
  rec: TransferRecord;
  t: Transfer;
  atMs: bigint;
  from: TransferDomain;
  to: TransferDomain;
  movedCm: Uint8Array;
  movedNf: Uint8Array;
};

export class TransferDriver extends EventEmitter<TransferDriverEvents> {
  private readonly domains = new Map<string, TransferDomain>();
  private readonly entries = new Map<string, Entry>();
  private ticking: Promise<void> | null = null;
  /** `domain:txId` (0x-hex) -> the rejection our own latest submission of it got */
  private readonly ownRejections = new Map<string, { code: WeftErrorCode; reason: string }>();
  private again = false;

  constructor(
    private readonly store: TransferStore,
    private readonly clock: () => bigint = () => BigInt(Date.now()),
    private readonly ttlMs: bigint = TRANSFER_TTL_MS_DEFAULT,
    private readonly claimPolicy: ClaimPolicy | null = null,
    private readonly viewExpiry: ViewExpiry | null = null,
    private readonly options: TransferDriverOptions = {},
  ) {
    super();
    // Resume: every unfinished transfer the store holds, observed before anything is done for it.
    for (const rec of store.list()) {
      if (!isTerminal(rec.transfer)) this.entries.set(rec.transfer.id, { rec, waiters: [] });
    }
  }

  /** Finished transfers, oldest first, so memory keeps only the latest FINISHED_KEPT_MAX. */
  private readonly finished: string[] = [];

  private retire(id: string): void {
    this.finished.push(id);
    while (this.finished.length > FINISHED_KEPT_MAX) this.entries.delete(this.finished.shift()!);
  }

  /** Registers a domain the driver may talk to (source or destination of transfers). */
  addDomain(d: TransferDomain): void {
    const key = toHex(d.id);
    const was = this.domains.get(key);
    if (was === d) return;
    this.domains.set(key, d);
    // Another object for a known id: lookups cached by id object must not answer the old one.
    if (was !== undefined) this.byIdObject = new WeakMap();
  }

  private domain(id: Uint8Array): TransferDomain {
    const d = this.lookup(id);
    if (!d) throw new WeftError('UNKNOWN_DOMAIN', `the transfer driver does not know domain ${toHex(id)}`);
    return d;
  }

  /** Domain ids already looked up, by the array itself (transfers started here share their domains'). */
  private byIdObject = new WeakMap<Uint8Array, TransferDomain>();

  private lookup(id: Uint8Array): TransferDomain | undefined {
    const seen = this.byIdObject.get(id);
    if (seen !== undefined) return seen;
    const d = this.domains.get(toHex(id));
    if (d !== undefined) this.byIdObject.set(id, d);
    return d;
  }

  /**
   * Starts a transfer: plans and signs it, persists it as `requested`, then submits the move.
   *
   * @example
   * const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice });
   * const done = await h.done; // done.phase === 'confirmed'
   */
  async transfer(p: TransferParameters): Promise<TransferHandle> {
    return (await this.transferMany([p]))[0]!;
  }

  /** Starts many transfers: one durable write for all their records, then every move submitted. */
  async transferMany(params: TransferParameters[]): Promise<TransferHandle[]> {
    const plans: { plan: TransferPlan; from: Uint8Array; to: Uint8Array }[] = [];
    for (const p of params) {
      this.addDomain(p.from);
      this.addDomain(p.to);
      check(!equalBytes(p.from.id, p.to.id), 'BAD_INPUT', 'a transfer needs two different domains');
      const deadlineAfterMs = this.options.deadlineAfterMs ?? TRANSFER_DEADLINE_MS_DEFAULT;
      const plan = await planTransfer({ nowMs: this.clock(), deadlineAfterMs, ...p });
      plans.push({ plan, from: p.from.id, to: p.to.id });
    }
    return this.start(plans);
  }

  /**
   * Starts a transfer someone else planned and signed (`planTransfer`, e.g. in a client that
   * holds the owner's key): the driver needs no key. Both domains must have been added.
   *
   * @example
   * const plan = await planTransfer({ from, to, resource: coin, owner: alice }); // client side
   * const h = await driver.adopt(plan, from.id, to.id); // node side
   */
  async adopt(plan: TransferPlan, from: Uint8Array, to: Uint8Array): Promise<TransferHandle> {
    this.domain(from);
    this.domain(to);
    check(!equalBytes(from, to), 'BAD_INPUT', 'a transfer needs two different domains');
    checkPlan(plan, to);
    // Adoptions arriving together (one per API request) share one durable write.
    return new Promise((resolve, reject) => {
      this.adopting.push({ plan, from, to, resolve, reject });
      if (this.adopting.length === 1) setImmediate(() => void this.flushAdoptions());
    });
  }

  /**
   * Starts many transfers planned and signed elsewhere, in one durable write: every item is
   * checked first (known domains, two different ones, a plan that fits its destination), and one
   * bad item refuses them all with nothing started. A plan the driver already holds answers with
   * the transfer already running.
   *
   * @example
   * const hs = await driver.adoptMany([{ plan, from: a.id, to: b.id }, { plan: p2, from: a.id, to: c.id }]);
   */
  async adoptMany(
    items: { plan: TransferPlan; from: Uint8Array; to: Uint8Array }[],
  ): Promise<TransferHandle[]> {
    for (const [i, { plan, from, to }] of items.entries()) {
      try {
        this.domain(from);
        this.domain(to);
        check(!equalBytes(from, to), 'BAD_INPUT', 'a transfer needs two different domains');
        checkPlan(plan, to);
      } catch (e) {
        if (e instanceof WeftError)
          throw new WeftError(e.code, `transfer ${i}: ${e.shortMessage}`, { cause: e });
        throw e;
      }
    }
    return this.start(items);
  }

  private adopting: {
    plan: TransferPlan;
    from: Uint8Array;
    to: Uint8Array;
    resolve: (h: TransferHandle) => void;
    reject: (e: unknown) => void;
  }[] = [];

  private async flushAdoptions(): Promise<void> {
    const batch = this.adopting.splice(0);
    try {
      const handles = await this.start(batch);
      for (const [i, b] of batch.entries()) b.resolve(handles[i]!);
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }

  private async start(
    plans: { plan: TransferPlan; from: Uint8Array; to: Uint8Array }[],
  ): Promise<TransferHandle[]> {
    const fresh: Entry[] = [];
    const handles: TransferHandle[] = [];
    for (const { plan, from, to } of plans) {
      const id = toHex(idOf(plan.move));
      const known = this.entries.get(id);
      if (known) {
        handles.push(this.handle(known));
        continue;
      }
      const deadline = decodeValue(plan.moved.value).deadline;
      const transfer = newTransfer(id, from, to, this.clock(), this.ttlMs, deadline);
      const entry: Entry = { rec: { transfer, plan }, waiters: [] };
      this.entries.set(id, entry);
      fresh.push(entry);
      handles.push(this.handle(entry));
    }
    await this.followPairs(fresh);
    // Persisted before anything is submitted: a crash after this resumes them all.
    await this.store.put(fresh.map((e) => e.rec));
    for (const e of fresh) this.emit('phase', e.rec.transfer);
    await Promise.all(fresh.map((e) => this.domain(e.rec.transfer.from).submit(e.rec.plan.move)));
    void this.tick();
    return handles;
  }

  /** Pairs already passed to the `follow` hook (`from:to`, hex), and the entries already looked at. */
  private readonly followed = new Set<string>();
  private readonly followSeen = new WeakSet<Entry>();

  /** The `follow` hook, once per new pair of domains among `entries`; a failure is reported. */
  private async followPairs(entries: Entry[]): Promise<void> {
    const follow = this.options.follow;
    if (!follow) return;
    const pending: Promise<void>[] = [];
    for (const entry of entries) {
      if (this.followSeen.has(entry)) continue;
      this.followSeen.add(entry);
      const { from, to } = entry.rec.transfer;
      const pair = `${toHex(from)}:${toHex(to)}`;
      if (this.followed.has(pair)) continue;
      this.followed.add(pair);
      pending.push(
        Promise.resolve()
          .then(() => follow(from, to))
          .catch((e: unknown) => {
            this.emit('error', e instanceof Error ? e : new Error(String(e)));
          }),
      );
    }
    await Promise.all(pending);
  }

  private handle(entry: Entry): TransferHandle {
    const id = entry.rec.transfer.id;
    return {
      id,
      current: () => entry.rec.transfer,
      on: (listener) => {
        const forThis = (t: Transfer) => {
          if (t.id === id) listener(t);
        };
        this.on('phase', forThis);
        return () => this.off('phase', forThis);
      },
      done: isTerminal(entry.rec.transfer)
        ? Promise.resolve(entry.rec.transfer)
        : new Promise((resolve) => entry.waiters.push(resolve)),
    };
  }

  /**
   * What transfer `id` is waiting for now, read from both domains.
   *
   * @example
   * await driver.explain(id);
   * // { waitingFor: 'sourceRootAtDestination', needHeight: 42n, destinationHasHeight: 39n, lastUpdateAgeMs: 1800n }
   */
  async explain(id: string): Promise<TransferWait | undefined> {
    const rec = this.entries.get(id)?.rec ?? this.store.get(id);
    if (!rec) return undefined;
    const t = rec.transfer;
    const age = this.clock() - t.updatedAtMs;
    const from = this.domain(t.from);
    const wait = await this.waitOf(rec, age);
    if (t.deadlineMs === undefined || wait.waitingFor === null || wait.waitingFor === 'refundInclusion')
      return wait;
    const seen = await from.remoteHeader(t.to);
    return { ...wait, deadlineMs: t.deadlineMs, destinationTimeAtSourceMs: seen?.timestamp ?? null };
  }

  private async waitOf(rec: TransferRecord, age: bigint): Promise<TransferWait> {
    const t = rec.transfer;
    const from = this.domain(t.from);
    const to = this.domain(t.to);
    switch (t.phase) {
      case 'requested':
        return {
          waitingFor: 'sourceCommit',
          moveStatus: (await from.status(idOf(rec.plan.move)))?.status ?? 'unknown',
          sourceHeight: from.committedHeight,
          lastUpdateAgeMs: age,
        };
      case 'sourceCommitted': {
        const expired = this.viewExpiry?.expired(t.to, t.from, this.clock());
        if (expired) {
          return {
            waitingFor: 'expiredView',
            domainId: t.from,
            observer: t.to,
            ...expired,
            lastUpdateAgeMs: age,
          };
        }
        return {
          waitingFor: 'sourceRootAtDestination',
          needHeight: t.sourceHeight!,
          destinationHasHeight: (await to.remoteHeader(t.from))?.height ?? null,
          lastUpdateAgeMs: age,
        };
      }
      case 'rootSynced':
        return {
          waitingFor: 'claimInclusion',
          claimStatus: (await to.status(idOf(rec.plan.claim)))?.status ?? 'unknown',
          destinationHeight: to.committedHeight,
          lastUpdateAgeMs: age,
        };
      case 'claimed':
        return {
          waitingFor: 'destinationRootAtSource',
          needHeight: t.claimHeight!,
          sourceHasHeight: (await from.remoteHeader(t.to))?.height ?? null,
          lastUpdateAgeMs: age,
        };
      case 'refundable': {
        const wait: TransferWait = {
          waitingFor: 'refundInclusion',
          refundStatus: rec.plan.refund
            ? ((await from.status(idOf(rec.plan.refund)))?.status ?? 'unknown')
            : 'unknown',
          refundableHeight: t.refundableHeight!,
          sourceHeight: from.committedHeight,
          lastUpdateAgeMs: age,
        };
        const refusal = await this.refusalAt(rec, t.refundableHeight!);
        if (refusal) wait.refusal = refusal.reason;
        return wait;
      }
      default:
        return t.failure
          ? { waitingFor: null, phase: t.phase, failure: t.failure }
          : { waitingFor: null, phase: t.phase };
    }
  }

  /**
   * Which unfinished transfers a re-initialised remote view touches (docs/operations.md): when
   * `observer` replaced its frozen view of `domain` from `forkHeight` on, a transfer from `domain`
   * to `observer` whose move is at or after the fork, not yet claimed, holds a source proof under
   * a root that is no longer an anchor; a transfer from `observer` to `domain` whose claim is at
   * or after the fork may rest on a block the trusted chain does not have. Those are reported;
   * every other transfer between the two continues.
   */
  forkReport(
    observer: Uint8Array,
    domain: Uint8Array,
    forkHeight: bigint,
  ): { continuing: string[]; affected: { id: string; phase: Transfer['phase']; reason: string }[] } {
    const continuing: string[] = [];
    const affected: { id: string; phase: Transfer['phase']; reason: string }[] = [];
    for (const { rec } of this.entries.values()) {
      const t = rec.transfer;
      if (isTerminal(t)) continue;
      const inbound = equalBytes(t.from, domain) && equalBytes(t.to, observer);
      const outbound = equalBytes(t.from, observer) && equalBytes(t.to, domain);
      if (!inbound && !outbound) continue;
      if (
        inbound &&
        (t.phase === 'sourceCommitted' || t.phase === 'rootSynced') &&
        t.sourceHeight! >= forkHeight
      ) {
        affected.push({
          id: t.id,
          phase: t.phase,
          reason: `its move is in source block ${t.sourceHeight}, at or after the fork at ${forkHeight}: the claim has no anchor`,
        });
      } else if (outbound && t.phase === 'claimed' && t.claimHeight! >= forkHeight) {
        affected.push({
          id: t.id,
          phase: t.phase,
          reason: `its claim is in destination block ${t.claimHeight}, at or after the fork at ${forkHeight}: confirmation waits on the trusted chain holding it`,
        });
      } else continuing.push(t.id);
    }
    return { continuing, affected };
  }

  /**
   * Transfer `id` as the driver knows it now: from memory (every unfinished transfer and the
   * latest FINISHED_KEPT_MAX finished ones), else from the store, which holds every transfer the
   * driver ever persisted (finished ones from before a restart too).
   */
  get(id: string): Transfer | undefined {
    return (this.entries.get(id)?.rec ?? this.store.get(id))?.transfer;
  }

  /** Every transfer: those in memory as they are now, and the rest as the store holds them. */
  list(): Transfer[] {
    const out = [...this.entries.values()].map((e) => e.rec.transfer);
    for (const rec of this.store.list()) if (!this.entries.has(rec.transfer.id)) out.push(rec.transfer);
    return out;
  }

  /** Transfers not yet confirmed, failed or expired. */
  activeCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (!isTerminal(e.rec.transfer)) n++;
    return n;
  }

  /** Resolves when no pass is running (a pass in progress, and the ones folded into it, ended). */
  async idle(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  /**
   * Observes and acts for every unfinished transfer once. Calls made while a pass runs are
   * folded into one more pass; call it whenever a domain seals or accepts a header.
   */
  tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again);
      this.ticking = null;
    })();
    return this.ticking;
  }

  /**
   * One pass: every unfinished transfer goes on its own — observed (stepped while facts keep
   * coming), its change persisted (records changed in the same turn share one durable write),
   * listeners told, then acted for — so a slow read of one transfer's peer delays no other
   * transfer's step, only the end of the pass. Submissions made together share the domains'
   * group commits.
   */
  private async pass(): Promise<void> {
    const every = this.options.fullSweepEveryPasses ?? FULL_SWEEP_EVERY_PASSES;
    const sweep = this.passes++ % every === 0;
    const nowMs = this.clock();
    const active: Entry[] = [];
    for (const e of this.entries.values()) {
      if (!isTerminal(e.rec.transfer) && (sweep || this.due(e, nowMs))) active.push(e);
    }
    // Transfers resumed from the store (and any added meanwhile) have their domains follow each
    // other too; pairs already passed to the hook cost nothing.
    await this.followPairs(active);
    // Transfers are independent; a domain in another process answers each over the network, so
    // they run side by side: OBSERVE_CONCURRENCY at a time, the next starting as one ends.
    let next = 0;
    const worker = async () => {
      while (next < active.length) await this.advance(active[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(OBSERVE_CONCURRENCY, active.length) }, worker));
  }

  /** Passes made so far (every FULL_SWEEP_EVERY_PASSES-th observes every unfinished transfer). */
  private passes = 0;

  /** Records waiting for the next durable write, and that write. */
  private writing: { recs: TransferRecord[]; done: Promise<void> } | null = null;

  /**
   * Persists `rec` durably; records handed over in the same turn of the event loop share one
   * write (and one group commit).
   */
  private persist(rec: TransferRecord): Promise<void> {
    if (!this.writing) {
      const batch: { recs: TransferRecord[]; done: Promise<void> } = { recs: [], done: Promise.resolve() };
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (this.writing === batch) this.writing = null;
        return this.store.put(batch.recs);
      });
      this.writing = batch;
    }
    this.writing.recs.push(rec);
    return this.writing.done;
  }

  /**
   * One transfer: observe it (stepping it while facts keep coming), persist the change, tell
   * listeners, then act — submissions of transfers acting together share the domains' group
   * commits.
   */
  private async advance(entry: Entry): Promise<void> {
    if (isTerminal(entry.rec.transfer)) return;
    // What the domains were before any read: a change after it makes the next pass look again.
    let observed = this.stampOf(entry.rec.transfer);
    const walked: Transfer[] = [];
    for (let guard = 0; guard < 8; guard++) {
      const before = entry.rec.transfer;
      let fact: TransferEvent | null;
      try {
        fact = await this.observe(entry.rec);
      } catch (e) {
        // A failed read is an observation not made: reported, and tried again next pass.
        this.emit('error', e instanceof Error ? e : new Error(String(e)));
        observed = null;
        break;
      }
      if (fact === null) break;
      // Outside the catch: a broken invariant stops the driver, it never becomes an 'error' event.
      const next = step(before, fact);
      if (next === before) break;
      assertTransition(before, fact.e, next);
      entry.rec = { ...entry.rec, transfer: next };
      walked.push(next);
    }
    if (walked.length > 0) {
      await this.persist(entry.rec);
      for (const t of walked) this.emit('phase', t);
      if (isTerminal(entry.rec.transfer)) {
        for (const w of entry.waiters.splice(0)) w(entry.rec.transfer);
        this.retire(entry.rec.transfer.id);
        return;
      }
    }
    const submitted = await this.act(entry.rec).catch((err) => {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return true;
    });
    // A submission's answer (or a failed act) is read on the next pass, whatever else changed.
    entry.observed = submitted ? null : observed;
  }

  /**
   * What a transfer's two domains are now — change counts, heights and their views of each
   * other; null when either keeps no change count (every pass then observes the transfer). A
   * view read asynchronously (a domain in another process) stands for its change count: any
   * change of that domain counts as a change of its view.
   */
  private stampOf(t: Transfer): Observed {
    const from = this.lookup(t.from);
    const to = this.lookup(t.to);
    if (from?.changes === undefined || to?.changes === undefined) return null;
    const fromView = this.viewOf(from, to) ?? `#${from.changes}`;
    const toView = this.viewOf(to, from) ?? `#${to.changes}`;
    return {
      fromChanges: from.changes,
      toChanges: to.changes,
      fromHeight: from.committedHeight,
      toHeight: to.committedHeight,
      fromView,
      toView,
    };
  }

  /** `observer`'s view of `subject` as last read, with the observer's change count then. */
  private readonly views = new Map<
    TransferDomain,
    Map<TransferDomain, { changes: number; view: string | null }>
  >();

  /** Domains whose `remoteHeader` answers asynchronously: their views stand for their change counts. */
  private readonly asyncViews = new WeakSet<TransferDomain>();

  /**
   * `observer`'s latest accepted header of `subject` as a string (height and state root), read
   * again only once the observer's change count moved; null when the read is not immediate.
   */
  private viewOf(observer: TransferDomain, subject: TransferDomain): string | null {
    let of = this.views.get(observer);
    if (of === undefined) {
      of = new Map();
      this.views.set(observer, of);
    }
    const changes = observer.changes;
    const known = of.get(subject);
    if (known !== undefined && known.changes === changes) return known.view;
    // A domain that answered asynchronously once (over the network) is not asked again for a stamp.
    if (this.asyncViews.has(observer)) return null;
    let view: string | null;
    try {
      const h = observer.remoteHeader(subject.id);
      if (h instanceof Promise) {
        h.catch(() => undefined);
        this.asyncViews.add(observer);
        view = null;
      } else view = h === undefined ? '-' : `${h.height}:${toHex(h.stateRoot)}`;
    } catch {
      view = null;
    }
    if (changes !== undefined) of.set(subject, { changes, view });
    return view;
  }

  /**
   * Whether a transfer must be observed in this pass: never observed since it was last stepped
   * on or acted for, or something its phase waits on changed since (docs/transfers.md, "Driver
   * passes"): `requested` a block of the source (or the clock passing its expiry);
   * `sourceCommitted` the destination's view of the source or a block of the destination;
   * `rootSynced` a block of the destination; `claimed` the source's view of the destination;
   * `refundable` a block of the source or its view of the destination. With a refund planned, `sourceCommitted` and
   * `rootSynced` also wait on the source's view of the destination (a deadline or a refusal
   * proven there). A knowledge policy reads the whole network: `sourceCommitted` is then
   * observed on every pass.
   */
  private due(entry: Entry, nowMs: bigint): boolean {
    const was = entry.observed;
    if (!was) return true;
    const t = entry.rec.transfer;
    if (t.phase === 'requested' && nowMs >= t.expiresAtMs) return true;
    if (t.phase === 'sourceCommitted' && this.claimPolicy) return true;
    const from = this.lookup(t.from);
    const to = this.lookup(t.to);
    // Neither domain changed at all: nothing to read.
    if (from?.changes === was.fromChanges && to?.changes === was.toChanges) return false;
    const now = this.stampOf(t);
    if (now === null) return true;
    const refundSide = entry.rec.plan.refund !== undefined && now.fromView !== was.fromView;
    switch (t.phase) {
      case 'requested':
        return now.fromHeight !== was.fromHeight;
      case 'sourceCommitted':
        return now.toView !== was.toView || now.toHeight !== was.toHeight || refundSide;
      case 'rootSynced':
        return now.toHeight !== was.toHeight || refundSide;
      case 'claimed':
        return now.fromView !== was.fromView;
      case 'refundable':
        // the refund's witness rests on A's header of B too (a refusal, or the deadline passed)
        return now.fromHeight !== was.fromHeight || now.fromView !== was.fromView;
      default:
        return true;
    }
  }

  /** The next fact about a transfer, read from the domains; null when nothing new is known. */
  private async observe(rec: TransferRecord): Promise<TransferEvent | null> {
    const t = rec.transfer;
    const o: Observation = {
      rec,
      t,
      atMs: this.clock(),
      from: this.domain(t.from),
      to: this.domain(t.to),
      movedCm: movedKeys(rec.plan.moved).cm,
      movedNf: movedKeys(rec.plan.moved).nf,
    };
    switch (t.phase) {
      case 'requested':
        return this.observeMove(o);
      case 'sourceCommitted':
        return this.observeSourceAtDestination(o);
      case 'rootSynced':
        return this.observeClaim(o);
      case 'refundable':
        return this.observeRefund(o);
      case 'claimed':
        return this.observeDestinationAtSource(o);
      default:
        return null;
    }
  }

  /** `requested`: is the move in a source block, refused for good, or out of time? */
  private async observeMove({ rec, t, atMs, from, movedCm }: Observation): Promise<TransferEvent | null> {
    const st = await from.status(idOf(rec.plan.move));
    if (st?.status === 'included') {
      const p = await from.proveCommitment(movedCm, st.height);
      return {
        e: 'moveIncluded',
        height: st.height,
        source: { height: st.height, root: p.root, proof: p.proof },
        atMs,
      };
    }
    // A rejection counts only when it is ours: anyone can submit a stripped copy.
    const own = this.attributable(from, rec.plan.move, st);
    if (own && own.code !== 'DUPLICATE_TX' && own.code !== 'MEMPOOL_FULL') {
      return { e: 'moveRefused', code: own.code, reason: own.reason, atMs };
    }
    if (st?.status === 'evicted') return { e: 'moveRefused', code: st.code, reason: st.reason, atMs };
    if (st?.status !== 'pending' && atMs >= t.expiresAtMs) {
      return {
        e: 'expire',
        reason: 'the source did not take the move before the transfer expired',
        atMs,
      };
    }
    return null;
  }

  /** `sourceCommitted`: does the destination hold a source root the claim can anchor on? */
  private async observeSourceAtDestination({ rec, t, atMs, to }: Observation): Promise<TransferEvent | null> {
    // Past the deadline, a refusal (if any) is still the fact that counts, as in `observeClaim`.
    const late = await this.deadlineFact(rec, atMs);
    if (late) return (await this.refusalFact(rec, atMs)) ?? late;
    // The two reads every transfer between the same pair shares (one answer per peer header),
    // side by side; a refusal is read only while the root is not there yet: once it is, the
    // claim's own observation (`observeClaim`) reads it.
    const [seen, accepts] = await Promise.all([
      to.remoteHeader(t.from),
      t.source ? to.acceptsAnchor(t.source.root) : false,
    ]);
    if (
      !seen ||
      !accepts ||
      // An expired view of the source: the claim waits for a newer source header (explain says so).
      this.viewExpiry?.expired(t.to, t.from, atMs) ||
      // An application's knowledge policy: the destination must know the source well enough.
      (this.claimPolicy &&
        !this.claimPolicy.knowledge.satisfies(t.to, t.from, Number(atMs), this.claimPolicy.policy))
    )
      return this.refusalFact(rec, atMs);
    return { e: 'sourceSynced', height: seen.height, atMs };
  }

  /** `rootSynced`: did the claim land (ours or a replay), was it refused for good, or is it late? */
  private async observeClaim({ rec, atMs, to, movedNf }: Observation): Promise<TransferEvent | null> {
    const st = await to.status(idOf(rec.plan.claim));
    if (st?.status === 'included') return { e: 'claimIncluded', height: st.height, atMs };
    // Our claim waits in the destination's mempool: its next block decides it (and any other
    // copy spending the resource there evicts ours, which the next pass reads). Only the
    // deadline, proven at the source, can make the transfer refundable meanwhile.
    if (st?.status === 'pending') return this.deadlineFact(rec, atMs);
    // Side by side: two reads of the destination whose answers do not depend on each other.
    const [spent, refused] = await Promise.all([to.proveNullifier(movedNf), this.refusalFact(rec, atMs)]);
    if (spent.value !== null) return { e: 'claimSeen', height: decodeHeight(spent.value), atMs };
    const own = this.attributable(to, rec.plan.claim, st);
    if (own && PERMANENT_CLAIM_CODES.has(own.code)) {
      return { e: 'claimRefused', code: own.code, reason: own.reason, atMs };
    }
    return refused ?? this.deadlineFact(rec, atMs);
  }

  /** `refundable`: is the refund in a source block? */
  private async observeRefund({ rec, atMs, from, movedNf }: Observation): Promise<TransferEvent | null> {
    const st = rec.plan.refund ? await from.status(idOf(rec.plan.refund)) : undefined;
    if (st?.status === 'included') return { e: 'refundIncluded', height: st.height, atMs };
    // Only the refund can spend the moved resource on the source: seen spent, it is refunded.
    const spent = await from.proveNullifier(movedNf);
    if (spent.value !== null) return { e: 'refundIncluded', height: decodeHeight(spent.value), atMs };
    return null;
  }

  /** `claimed`: confirmed only when the source's own accepted view of the destination proves the claim. */
  private async observeDestinationAtSource({
    t,
    atMs,
    from,
    to,
    movedNf,
  }: Observation): Promise<TransferEvent | null> {
    const seen = await from.remoteHeader(t.to);
    if (!seen || t.claimHeight === undefined || seen.height < t.claimHeight) return null;
    // A nullifier is never removed: proven present under the destination's header at the claim's
    // height, which the source accepted (at or below `seen`), it is present under `seen` too — and
    // that proof is the one the destination pushed with the claim's block. Verified here against
    // that accepted header, never taken on the peer's word; at `seen` otherwise.
    const at = t.claimHeight;
    const accepted = at < seen.height ? from.remoteView?.(t.to)?.recent.get(at) : undefined;
    if (accepted) {
      const q = await to.proveNullifier(movedNf, at);
      if (q.value !== null && verifyProof(accepted.stateRoot, nullifierKey(movedNf), q.value, q.proof))
        return { e: 'destSynced', height: seen.height, atMs };
    }
    const p = await to.proveNullifier(movedNf, seen.height);
    if (p.value !== null && verifyProof(seen.stateRoot, nullifierKey(movedNf), p.value, p.proof)) {
      return { e: 'destSynced', height: seen.height, atMs };
    }
    return null;
  }

  /**
   * The deadline has passed when the source accepted a destination header stamped after it under
   * which the moved resource's nullifier is proven absent (verified here against the header the
   * source holds, never taken on the destination's word): no claim landed by then, and an honest
   * destination refuses every later one.
   */
  private async deadlineFact(rec: TransferRecord, atMs: bigint): Promise<TransferEvent | null> {
    const t = rec.transfer;
    if (t.deadlineMs === undefined || rec.plan.refund === undefined) return null;
    const seen = await this.domain(t.from).remoteHeader(t.to);
    if (!seen || seen.timestamp <= t.deadlineMs) return null;
    const nf = movedKeys(rec.plan.moved).nf;
    const p = await this.domain(t.to).proveNullifier(nf, seen.height);
    if (p.value !== null || !verifyProof(seen.stateRoot, nullifierKey(nf), null, p.proof)) return null;
    return { e: 'deadlinePassed', height: seen.height, atMs };
  }

  /**
   * The destination's refusal of the claim, proven under the latest destination header the source
   * accepted (verified here against the header the source holds, never taken on the destination's
   * word): the claim can never land, deadline or not.
   */
  private async refusalFact(rec: TransferRecord, atMs: bigint): Promise<TransferEvent | null> {
    if (rec.plan.refund === undefined) return null;
    const seen = await this.domain(rec.transfer.from).remoteHeader(rec.transfer.to);
    if (!seen) return null;
    return (await this.refusalAt(rec, seen.height, seen.stateRoot))
      ? { e: 'refusalProven', height: seen.height, atMs }
      : null;
  }

  /**
   * The destination's refusal record of the claim at `height`, with its proof, or null; checked
   * under `stateRoot` when given (the header the source accepted).
   */
  private async refusalAt(
    rec: TransferRecord,
    height: bigint,
    stateRoot?: Uint8Array,
  ): Promise<(RefusalRecord & { proof: StateProof['proof'] }) | null> {
    const to = this.domain(rec.transfer.to);
    if (to.proveRefusal === undefined) return null;
    const nf = movedKeys(rec.plan.moved).nf;
    const p = await to.proveRefusal(nf, height);
    if (p.value === null) return null;
    if (stateRoot !== undefined && !verifyProof(stateRoot, refusalKey(nf), p.value, p.proof)) return null;
    try {
      return { ...decodeRefusal(p.value), proof: p.proof };
    } catch {
      return null;
    }
  }

  /**
   * The refund with its witness: the moved resource's commitment proven under a root of the
   * source's own, and under the latest destination header the source accepted, either the
   * destination's refusal record of the claim (a refund by refusal, at any time) or the moved
   * resource's nullifier proven absent (by deadline: that header is stamped after it, since
   * timestamps never decrease).
   */
  private async refundWithWitness(rec: TransferRecord): Promise<Transaction | null> {
    const t = rec.transfer;
    const from = this.domain(t.from);
    const seen = await from.remoteHeader(t.to);
    if (!rec.plan.refund || !seen) return null;
    let refund: RefundWitness;
    const refused = await this.refusalAt(rec, seen.height, seen.stateRoot);
    if (refused) {
      refund = {
        height: seen.height,
        proof: refused.proof,
        refusal: { reason: refused.reason, height: refused.height },
      };
    } else {
      if (t.deadlineMs === undefined || seen.timestamp <= t.deadlineMs) return null;
      const nf = movedKeys(rec.plan.moved).nf;
      const absent = await this.domain(t.to).proveNullifier(nf, seen.height);
      if (absent.value !== null) return null;
      refund = { height: seen.height, proof: absent.proof };
    }
    const held = await from.proveCommitment(movedKeys(rec.plan.moved).cm);
    if (held.value === null) return null;
    return withRefundWitness(rec.plan.refund, {
      commitmentProof: { anchor: held.root, height: decodeHeight(held.value), proof: held.proof },
      refund,
    });
  }

  /**
   * Submits a copy of our own and remembers how the domain answered it. A domain records under the
   * id only refusals every copy would get (docs/domain.md), but a status read back can still be
   * another submitter's: the driver fails a transfer only on an answer to its own copy.
   */
  private async submitOwn(d: TransferDomain, tx: Transaction): Promise<void> {
    const r = await d.submit(tx);
    const key = `${toHex(d.id)}:${toHex(r.txId)}`;
    if (r.status.status === 'rejected')
      this.ownRejections.set(key, { code: r.status.code, reason: r.status.reason });
    else this.ownRejections.delete(key);
    // Bounded: a rejection is read once, on the next pass; older ones are dropped first.
    while (this.ownRejections.size > OWN_REJECTIONS_MAX)
      this.ownRejections.delete(this.ownRejections.keys().next().value as string);
  }

  /**
   * A rejection of `tx` on `d` that is ours: the answer to our own latest copy, or a recorded
   * status whose code the body decides (every copy with that id, ours included, is refused so —
   * a domain records no other kind, but a status read from elsewhere is checked all the same).
   */
  private attributable(
    d: TransferDomain,
    tx: Transaction,
    st: TxStatus | undefined,
  ): { code: WeftErrorCode; reason: string } | undefined {
    const own = this.ownRejection(d, tx);
    if (own) return own;
    if (st?.status === 'rejected' && isDecidedByBody(st.code)) return { code: st.code, reason: st.reason };
    return undefined;
  }

  /** The rejection our own latest copy of `tx` got from `d`, if it was rejected. */
  private ownRejection(
    d: TransferDomain,
    tx: Transaction,
  ): { code: WeftErrorCode; reason: string } | undefined {
    return this.ownRejections.get(`${toHex(d.id)}:${toHex(idOf(tx))}`);
  }

  /**
   * What the driver does in a phase once the facts are in: submit, never twice in effect. True
   * when it submitted something (the transfer is then observed again on the next pass).
   */
  private async act(rec: TransferRecord): Promise<boolean> {
    const t = rec.transfer;
    if (t.phase === 'requested') {
      const st = await this.domain(t.from).status(idOf(rec.plan.move));
      // A recorded rejection is resubmitted once so that our own copy gets the answer we act on.
      if (st === undefined || st.status === 'rejected') {
        await this.submitOwn(this.domain(t.from), rec.plan.move);
        return true;
      }
      return false;
    }
    if (t.phase === 'refundable') {
      const from = this.domain(t.from);
      const st = rec.plan.refund ? await from.status(idOf(rec.plan.refund)) : undefined;
      if (st?.status === 'pending' || st?.status === 'included') return false;
      const refund = await this.refundWithWitness(rec);
      if (!refund) return false;
      await this.submitOwn(from, refund);
      return true;
    }
    if (t.phase === 'rootSynced' && t.source) {
      const to = this.domain(t.to);
      const st = await to.status(idOf(rec.plan.claim));
      if (st?.status === 'pending' || st?.status === 'included') return false;
      const claim = withSourceProof(rec.plan.claim, t.source);
      await this.submitOwn(to, claim);
      return true;
    }
    return false;
  }
}
