// A domain in another process, as the transfer driver sees it: reads go through whatever reaches
// that node (its HTTP API, in `weft node`), and a claim travels as a transfer message over the
// transport, so it waits in the durable stream while the destination is down.
import { READS_BATCH_MAX } from '../api/limits.js';
import { concatBytes, equalBytes, hexKey, sha256, toHex, WeftError } from '../crypto/index.js';
import {
  type Header,
  headerHash,
  type SignedHeader,
  type StateProof,
  type SubmitResult,
  type TxStatus,
} from '../domain/index.js';
import { nullifier } from '../resource/index.js';
import type { Proof } from '../smt/index.js';
import type { TransferDomain } from '../transfer/index.js';
import { encodeTransaction, nullifierKey, refusalKey, type Transaction, txId } from '../tx/index.js';
import {
  CLAIM_FRAMING_BYTES,
  CLAIMS_HEADER_BYTES,
  CLAIMS_MESSAGE_BYTES_MAX,
  CLAIMS_PER_MESSAGE_MAX,
} from './claims.js';
import type { BlockFacts } from './facts.js';
import type { Peer, SyncRouter } from './router.js';

/** What a node must answer about itself for a driver elsewhere to follow a transfer. */
export type PeerReads = {
  status(txId: Uint8Array): Promise<TxStatus | undefined>;
  proveCommitment(cm: Uint8Array, height?: bigint): Promise<StateProof>;
  proveNullifier(nf: Uint8Array, height?: bigint): Promise<StateProof>;
  /** a refusal record's proof (docs/transfers.md, "Refusals"); absent: refusals are not read */
  proveRefusal?(nf: Uint8Array, height?: bigint): Promise<StateProof>;
  acceptsAnchor(root: Uint8Array): Promise<boolean>;
  remoteHeader(domainId: Uint8Array): Promise<Header | undefined>;
  /**
   * Many reads in one (at most READS_BATCH_MAX each, answers in order): when present, the reads
   * of one kind made in the same turn of the event loop go out as one request.
   */
  statuses?(txIds: Uint8Array[]): Promise<(TxStatus | undefined)[]>;
  proveNullifiers?(nfs: Uint8Array[], height?: bigint): Promise<StateProof[]>;
  proveRefusals?(nfs: Uint8Array[], height?: bigint): Promise<StateProof[]>;
};

/**
 * A resent claim keeps its message id for this long, so the transport drops quick repeats while
 * a claim the destination refused for a passing reason is delivered again later.
 */
export const CLAIM_RESEND_EPOCH_MS = 10_000;

/**
 * Longest time (ms) a read of a peer is answered from the cache without a newer header of the
 * peer: what the peer says changes with its blocks, which this node accepts over the transport
 * (each accepted header drops the cache), but a refusal is recorded without a block.
 */
export const PEER_READ_CACHE_MS = 1_000;
/** Most reads of one peer cached at once; beyond it the cache starts over. */
export const PEER_READ_CACHE_MAX = 65_536;

/**
 * How long (ms) after this node first asks about something the peer's pushed facts do not cover
 * yet (a claim's inclusion, the peer's acceptance of one of this node's roots, a refusal) the
 * answer is "not yet" from the facts alone; past it, the read goes over HTTP as without facts
 * (a facts message or a confirmation may have been lost). docs/transfers.md, "Pushed facts".
 */
export const FACTS_WAIT_MS = 2_000;
/** Most pushed facts (nullifiers, refusals, this node's own claims) kept per peer; oldest dropped first. */
export const FACTS_KEPT_MAX = 65_536;
/**
 * How far (blocks) below the height a peer confirmed this node's root at is still answered from
 * the confirmation: the peer keeps a window of 256 (docs/sync.md); older ones are read over HTTP.
 */
export const CONFIRMED_ANCHOR_DEPTH = 64;

/** A verified pushed fact: a value proven under the state root of the peer's header at `height`. */
type Fact = { height: bigint; root: Uint8Array; value: Uint8Array; proof: Proof };

/** This node's own headers and recent roots, as far as the peer's confirmations need them (a `Domain`). */
export type OwnHeaders = {
  readonly committedHeight: bigint;
  header(height: bigint): SignedHeader | undefined;
  ownRootHeight(root: Uint8Array): bigint | undefined;
};

/** What the pushed facts saved and refused (tests and operators read it). */
export type PeerFactStats = {
  /** answers given from pushed facts or confirmations, without a read of the peer */
  answered: number;
  /** nullifier and refusal facts kept (each checked by the router against an accepted header) */
  kept: number;
  /** pushed claims whose id is one of this node's claims but whose nullifier is not; confirmations of another header */
  refused: number;
};

/** Bounded insert: the oldest entry goes first when `max` is reached. */
function putBounded<K, V>(m: Map<K, V>, k: K, v: V, max: number): void {
  m.delete(k);
  m.set(k, v);
  while (m.size > max) m.delete(m.keys().next().value as K);
}

/** Reads of one kind waiting for the next batched request, each with who waits for its answer. */
type ReadBatch = {
  ids: Uint8Array[];
  waiters: { resolve: (v: never) => void; reject: (e: unknown) => void }[];
};

/**
 * @example
 * driver.addDomain(new PeerDomain(peer, self.id, network, readsOverHttp));
 */
export class PeerDomain implements TransferDomain {
  readonly id: Uint8Array;
  /**
   * the highest height of the peer this node accepted a header at or a proof from the peer named
   * (explanations and the driver's change stamps; no read of its own)
   */
  committedHeight = 0n;
  /**
   * Answers of the peer's node since the last header of the peer this node accepted: the driver
   * reads the same things on every pass (each seal, each accepted header, each tick), and they
   * can only change with a block of the peer. Concurrent equal reads share one request.
   */
  private readonly cache = new Map<string, { epoch: number; atMs: number; value: Promise<unknown> }>();
  private epoch = 0;
  private readonly onAccepted = (e: { at: Uint8Array; from: Uint8Array; height: bigint }) => {
    if (!equalBytes(e.at, this.self) || !equalBytes(e.from, this.id)) return;
    if (e.height > this.committedHeight) this.committedHeight = e.height;
    this.invalidate();
  };
  /** What this node learnt of the peer by the transport: its accepted headers, facts and confirmations. */
  private learnt = 0;

  /**
   * The driver's change count (`TransferDomain.changes`, docs/transfers.md "Driver passes"): it
   * grows with each header of the peer this node accepts, each pushed facts message and each new
   * confirmation, and once every PEER_READ_CACHE_MS besides — what the peer answers also changes
   * without a block (a claim refused at admission), and a read's cached answer lasts that long.
   */
  get changes(): number {
    return this.learnt + Math.floor(this.clock() / PEER_READ_CACHE_MS);
  }

  readonly factStats: PeerFactStats = { answered: 0, kept: 0, refused: 0 };
  /** Pushed nullifier facts (hex nf), each checked against a header of the peer this node accepted. */
  private readonly nullifiers = new Map<string, Fact>();
  /** Pushed refusal facts (hex nf), checked likewise. */
  private readonly refusals = new Map<string, Fact>();
  /** This node's claims sent to the peer (hex id) -> the nullifiers their anchored inputs spend (hex). */
  private readonly claims = new Map<string, string[]>();
  /** Included claims as pushed (hex id): status answered from the facts. */
  private readonly included = new Map<string, { height: bigint; batch: number; index: number }>();
  /** When a question the facts did not cover was first asked (ms): FACTS_WAIT_MS runs from there. */
  private readonly asked = new Map<string, number>();
  /** Whether the peer pushed facts checked here (an older peer never does: every read is HTTP). */
  private pushes = false;
  /** The highest header of this node the peer confirmed, checked against this node's own. */
  private confirmed: { height: bigint; headerHash: Uint8Array } | null = null;

  private readonly onConfirmed = (e: {
    domain: Uint8Array;
    observer: Uint8Array;
    height: bigint;
    headerHash: Uint8Array;
    from: Uint8Array;
  }) => {
    if (!equalBytes(e.from, this.id) || !equalBytes(e.observer, this.id) || !equalBytes(e.domain, this.self))
      return;
    if (this.local === undefined || (this.confirmed && this.confirmed.height >= e.height)) return;
    const mine = this.local.header(e.height);
    if (mine === undefined || !equalBytes(headerHash(mine.header), e.headerHash)) {
      this.factStats.refused++;
      return;
    }
    this.confirmed = { height: e.height, headerHash: e.headerHash };
    this.learnt++;
  };

  private readonly onFacts = (e: {
    at: Uint8Array;
    from: Uint8Array;
    facts: BlockFacts;
    stateRoot: Uint8Array;
  }) => {
    if (!equalBytes(e.at, this.self) || !equalBytes(e.from, this.id)) return;
    this.pushes = true;
    this.learnt++;
    const f = e.facts;
    const root = e.stateRoot;
    for (const c of f.claims) {
      const nf = hexKey(c.nf);
      putBounded(
        this.nullifiers,
        nf,
        { height: f.height, root, value: c.value, proof: c.proof },
        FACTS_KEPT_MAX,
      );
      this.factStats.kept++;
      const id = hexKey(c.txId);
      const mine = this.claims.get(id);
      if (mine === undefined) continue; // not a claim of this node: its nullifier alone is kept
      if (!mine.includes(nf)) {
        this.factStats.refused++; // a status for one of our claims that its nullifier does not back
        continue;
      }
      // Included once every nullifier its anchored inputs spend is proven spent at this height.
      if (mine.every((n) => this.nullifiers.get(n)?.height === f.height))
        putBounded(this.included, id, { height: f.height, batch: c.batch, index: c.index }, FACTS_KEPT_MAX);
    }
    for (const r of f.refusals) {
      putBounded(
        this.refusals,
        hexKey(r.nf),
        { height: f.height, root, value: r.value, proof: r.proof },
        FACTS_KEPT_MAX,
      );
      this.factStats.kept++;
    }
  };

  /**
   * @param local this node's own domain (its headers): with it, the peer's confirmations answer
   *   `remoteHeader(self)` and `acceptsAnchor` of this node's roots without HTTP
   */
  constructor(
    peer: Peer,
    private readonly self: Uint8Array,
    private readonly network: SyncRouter,
    private readonly reads: PeerReads,
    private readonly clock: () => number = Date.now,
    private readonly local?: OwnHeaders,
  ) {
    this.id = peer.id;
    // Only when the reads have it: a driver without it waits for the deadline, never fails a read.
    const read = reads.proveRefusal;
    const many = reads.proveRefusals;
    if (read !== undefined)
      this.proveRefusal = async (nf, height) => {
        const pushed = this.refusalFromFacts(nf, height);
        if (pushed) return this.seen(pushed);
        return this.seen(
          await this.cached(`r/${toHex(nf)}/${height}`, () =>
            many
              ? this.batched(`r/${height}`, nf, refusalKey, (nfs) => many.call(reads, nfs, height))
              : read.call(reads, nf, height),
          ),
        );
      };
    network.on('accepted', this.onAccepted);
    network.on('confirmed', this.onConfirmed);
    network.on('facts', this.onFacts);
  }

  /** Stops listening to the router (the cache is then only refreshed by age). */
  close(): void {
    this.network.off('accepted', this.onAccepted);
    this.network.off('confirmed', this.onConfirmed);
    this.network.off('facts', this.onFacts);
  }

  /**
   * Whether a question the pushed facts do not answer yet may still be answered "not yet" from
   * them: the peer pushes (`pushing`) and `key` was first asked less than FACTS_WAIT_MS ago.
   */
  private waiting(key: string, pushing: boolean): boolean {
    if (!pushing) return false;
    const now = this.clock();
    let first = this.asked.get(key);
    if (first === undefined) {
      first = now;
      putBounded(this.asked, key, now, FACTS_KEPT_MAX);
    }
    return now - first < FACTS_WAIT_MS;
  }

  /** The height at which a pushed, checked fact proves `nf` spent on the peer (docs/transfers.md). */
  nullifierFactHeight(nf: Uint8Array): bigint | undefined {
    return this.nullifiers.get(hexKey(nf))?.height;
  }

  /** A refusal read answered from the pushed facts, or null when it must go to the peer. */
  private refusalFromFacts(nf: Uint8Array, height: bigint | undefined): StateProof | null {
    const key = hexKey(nf);
    const fact = this.refusals.get(key);
    if (fact && (height === undefined || height === fact.height)) {
      this.factStats.answered++;
      return {
        height: fact.height,
        root: fact.root,
        key: refusalKey(nf),
        value: fact.value,
        proof: fact.proof,
      };
    }
    // No refusal pushed for it: "none recorded" while the wait lasts. An absence carries no proof
    // (the driver acts only on a refusal whose presence proof verifies; absence only makes it wait).
    if (fact === undefined && height !== undefined && this.waiting(`r/${key}`, this.pushes)) {
      this.factStats.answered++;
      return { height, root: new Uint8Array(32), key: refusalKey(nf), value: null, proof: NO_PROOF };
    }
    return null;
  }

  /** Forgets every cached answer: the peer may have changed (a new header of it was accepted). */
  invalidate(): void {
    this.epoch++;
    this.learnt++;
    this.cache.clear();
  }

  private cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.clock();
    const hit = this.cache.get(key);
    if (hit && hit.epoch === this.epoch && now - hit.atMs <= PEER_READ_CACHE_MS)
      return hit.value as Promise<T>;
    if (this.cache.size >= PEER_READ_CACHE_MAX) this.cache.clear();
    const epoch = this.epoch;
    const value = read();
    this.cache.set(key, { epoch, atMs: now, value });
    // A failed read is not an answer: the next one asks again.
    value.catch(() => {
      if (this.cache.get(key)?.value === value) this.cache.delete(key);
    });
    return value;
  }

  /** A refusal record's proof from the peer (docs/transfers.md, "Refusals"), when its reads have one. */
  readonly proveRefusal?: (nf: Uint8Array, height?: bigint) => Promise<StateProof>;

  async submit(tx: Transaction): Promise<SubmitResult> {
    const id = txId(tx);
    this.cache.delete(`s/${toHex(id)}`); // its status is about to change
    // The nullifiers its anchored inputs spend: what a pushed status of it must be backed by.
    const nfs: string[] = [];
    for (const a of tx.actions)
      for (const c of a.consumed)
        if (c.commitmentProof !== null && !c.isRefund) nfs.push(hexKey(nullifier(c.resource, c.nk)));
    if (nfs.length > 0) putBounded(this.claims, hexKey(id), nfs, FACTS_KEPT_MAX);
    await this.sendClaim(id, encodeTransaction(tx));
    return { txId: id, status: { status: 'pending', sinceHeight: this.committedHeight } };
  }

  /** Claims waiting for the end of this turn of the event loop, to go out as one message. */
  private outbox: { ids: Uint8Array[]; bodies: Uint8Array[]; bytes: number; sent: Promise<void> } | null =
    null;

  /**
   * Sends a claim to the peer: the claims submitted in the same turn of the event loop go out as
   * one `transfers` message (docs/transfers.md, "Claims in one message"), a new one started once
   * CLAIMS_PER_MESSAGE_MAX claims or CLAIMS_MESSAGE_BYTES_MAX bytes are reached; a claim alone
   * goes as a `transfer` message. Resolves once the transport took the message that carries it.
   */
  private sendClaim(id: Uint8Array, body: Uint8Array): Promise<void> {
    const size = CLAIM_FRAMING_BYTES + body.length;
    const open = this.outbox;
    if (open && open.ids.length < CLAIMS_PER_MESSAGE_MAX && open.bytes + size <= CLAIMS_MESSAGE_BYTES_MAX) {
      open.ids.push(id);
      open.bodies.push(body);
      open.bytes += size;
      return open.sent;
    }
    const batch = { ids: [id], bodies: [body], bytes: CLAIMS_HEADER_BYTES + size, sent: Promise.resolve() };
    batch.sent = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      if (this.outbox === batch) this.outbox = null;
      // The message id names its claims and the resend epoch: an identical resend within the
      // epoch is dropped by the transport, and a claim the domain already holds is refused by it.
      const epoch = Math.floor(this.clock() / CLAIM_RESEND_EPOCH_MS);
      if (batch.ids.length === 1)
        return this.network.sendTransfer(
          this.self,
          this.id,
          `claim/${toHex(batch.ids[0]!)}/${epoch}`,
          batch.bodies[0]!,
        );
      const named = toHex(sha256(concatBytes(...batch.ids)));
      return this.network.sendTransfers(this.self, this.id, `claims/${named}/${epoch}`, batch.bodies);
    });
    this.outbox = batch;
    return batch.sent;
  }

  status(id: Uint8Array): Promise<TxStatus | undefined> {
    const key = hexKey(id);
    const inc = this.included.get(key);
    if (inc) {
      this.factStats.answered++;
      return Promise.resolve({ status: 'included', ...inc });
    }
    // One of our claims not pushed as included yet: pending (we sent it), while the wait lasts.
    // Anything else (a move, another's claim) is read from the peer: an "unknown" taken from the
    // facts' silence could let a driver expire a transfer whose move the peer holds.
    if (this.claims.has(key) && this.waiting(`s/${key}`, this.pushes)) {
      this.factStats.answered++;
      return Promise.resolve({ status: 'pending', sinceHeight: this.committedHeight });
    }
    const many = this.reads.statuses;
    return this.cached(`s/${toHex(id)}`, () =>
      many ? this.batched('s', id, null, (ids) => many.call(this.reads, ids)) : this.reads.status(id),
    );
  }

  async proveCommitment(cm: Uint8Array, height?: bigint): Promise<StateProof> {
    return this.seen(
      await this.cached(`c/${toHex(cm)}/${height}`, () => this.reads.proveCommitment(cm, height)),
    );
  }

  async proveNullifier(nf: Uint8Array, height?: bigint): Promise<StateProof> {
    // A pushed presence proof answers at its own height, or for the latest (a nullifier stays).
    const fact = this.nullifiers.get(hexKey(nf));
    if (fact && (height === undefined || height === fact.height)) {
      this.factStats.answered++;
      return this.seen({
        height: fact.height,
        root: fact.root,
        key: nullifierKey(nf),
        value: fact.value,
        proof: fact.proof,
      });
    }
    // Not pushed as spent: "not spent as far as the facts say" for a read at no height while the
    // wait lasts (the driver acts on such a read only when it shows the nullifier present; an
    // absence it relies on — a deadline, a refund — is read at a height, always from the peer).
    if (!fact && height === undefined && this.waiting(`n/${hexKey(nf)}`, this.pushes)) {
      this.factStats.answered++;
      return {
        height: this.committedHeight,
        root: new Uint8Array(32),
        key: nullifierKey(nf),
        value: null,
        proof: NO_PROOF,
      };
    }
    const many = this.reads.proveNullifiers;
    return this.seen(
      await this.cached(`n/${toHex(nf)}/${height}`, () =>
        many
          ? this.batched(`n/${height}`, nf, nullifierKey, (nfs) => many.call(this.reads, nfs, height))
          : this.reads.proveNullifier(nf, height),
      ),
    );
  }

  acceptsAnchor(root: Uint8Array): Promise<boolean> {
    // One of this node's own roots: the peer's confirmations say whether it holds it.
    const c = this.confirmed;
    const h = c && this.local ? this.local.ownRootHeight(root) : undefined;
    if (c && h !== undefined && h <= c.height && c.height - h < BigInt(CONFIRMED_ANCHOR_DEPTH)) {
      this.factStats.answered++;
      return Promise.resolve(true);
    }
    // Not confirmed (yet): the peer is asked. Its confirmation travels behind everything this
    // node's inbox holds before it (deliveries are handled in order), a read does not.
    return this.cached(`a/${toHex(root)}`, () => this.reads.acceptsAnchor(root));
  }

  remoteHeader(domainId: Uint8Array): Promise<Header | undefined> {
    // This node's own header the peer confirmed last (it holds it and every root of the window below).
    const c = this.confirmed;
    if (c && this.local && equalBytes(domainId, this.self)) {
      const mine = this.local.header(c.height);
      if (mine) {
        this.factStats.answered++;
        return Promise.resolve(mine.header);
      }
    }
    return this.cached(`h/${toHex(domainId)}`, () => this.reads.remoteHeader(domainId));
  }

  /** Reads of one kind (`group`) waiting for the next batched request. */
  private readonly batches = new Map<string, ReadBatch>();

  /**
   * One read of `id` that goes out with the others of its `group` made in the same turn of the
   * event loop, READS_BATCH_MAX to a request. An answer of another length than asked for, or a
   * proof for another key than `keyOf(id)`, fails every read of that request (the peer is
   * answering something else; the driver verifies each proof against a header it accepted anyway).
   */
  private batched<T>(
    group: string,
    id: Uint8Array,
    keyOf: ((id: Uint8Array) => Uint8Array) | null,
    many: (ids: Uint8Array[]) => Promise<T[]>,
  ): Promise<T> {
    let b = this.batches.get(group);
    if (!b) {
      const batch: ReadBatch = { ids: [], waiters: [] };
      b = batch;
      this.batches.set(group, batch);
      setImmediate(() => {
        this.batches.delete(group);
        for (let i = 0; i < batch.ids.length; i += READS_BATCH_MAX) {
          const ids = batch.ids.slice(i, i + READS_BATCH_MAX);
          const waiters = batch.waiters.slice(i, i + READS_BATCH_MAX);
          many(ids)
            .then((answers) => {
              if (answers.length !== ids.length)
                throw new WeftError(
                  'BAD_INPUT',
                  `peer ${toHex(this.id).slice(0, 10)}… answered ${answers.length} reads for ${ids.length}`,
                );
              if (keyOf)
                for (const [k, a] of answers.entries()) {
                  if (!equalBytes((a as StateProof).key, keyOf(ids[k]!)))
                    throw new WeftError(
                      'BAD_PROOF',
                      `peer ${toHex(this.id).slice(0, 10)}… answered a proof for another key`,
                    );
                }
              for (const [k, w] of waiters.entries()) w.resolve(answers[k] as never);
            })
            .catch((e: unknown) => {
              for (const w of waiters) w.reject(e);
            });
        }
      });
    }
    const pending = b;
    return new Promise<T>((resolve, reject) => {
      pending.ids.push(id);
      pending.waiters.push({ resolve: resolve as (v: never) => void, reject });
    });
  }

  /** A proof names the height it was taken at: the tip the peer had then, for explanations. */
  private seen(p: StateProof): StateProof {
    if (p.height > this.committedHeight) this.committedHeight = p.height;
    return p;
  }
}

/** The proof an absence answered from pushed facts carries: none (it is never verified or used). */
const NO_PROOF: Proof = { depth: 0, bitmap: new Uint8Array(32), siblings: [], terminal: { kind: 'empty' } };
