// A domain in another process, as the transfer driver sees it: reads go through whatever reaches
// that node (its HTTP API, in `weft node`), and a claim travels as a transfer message over the
// transport, so it waits in the durable stream while the destination is down.
import { READS_BATCH_MAX } from '../api/limits.js';
import { equalBytes, toHex, WeftError } from '../crypto/index.js';
import type { Header, StateProof, SubmitResult, TxStatus } from '../domain/index.js';
import type { TransferDomain } from '../transfer/index.js';
import { encodeTransaction, nullifierKey, refusalKey, type Transaction, txId } from '../tx/index.js';
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
  /** the highest height a proof from the peer named (explanations only; no read of its own) */
  committedHeight = 0n;
  /**
   * Answers of the peer's node since the last header of the peer this node accepted: the driver
   * reads the same things on every pass (each seal, each accepted header, each tick), and they
   * can only change with a block of the peer. Concurrent equal reads share one request.
   */
  private readonly cache = new Map<string, { epoch: number; atMs: number; value: Promise<unknown> }>();
  private epoch = 0;
  private readonly onAccepted = (e: { at: Uint8Array; from: Uint8Array }) => {
    if (equalBytes(e.at, this.self) && equalBytes(e.from, this.id)) this.invalidate();
  };

  constructor(
    peer: Peer,
    private readonly self: Uint8Array,
    private readonly network: SyncRouter,
    private readonly reads: PeerReads,
    private readonly clock: () => number = Date.now,
  ) {
    this.id = peer.id;
    // Only when the reads have it: a driver without it waits for the deadline, never fails a read.
    const read = reads.proveRefusal;
    const many = reads.proveRefusals;
    if (read !== undefined)
      this.proveRefusal = async (nf, height) =>
        this.seen(
          await this.cached(`r/${toHex(nf)}/${height}`, () =>
            many
              ? this.batched(`r/${height}`, nf, refusalKey, (nfs) => many.call(reads, nfs, height))
              : read.call(reads, nf, height),
          ),
        );
    network.on('accepted', this.onAccepted);
  }

  /** Stops listening to the router (the cache is then only refreshed by age). */
  close(): void {
    this.network.off('accepted', this.onAccepted);
  }

  /** Forgets every cached answer: the peer may have changed (a new header of it was accepted). */
  invalidate(): void {
    this.epoch++;
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
    const epoch = Math.floor(this.clock() / CLAIM_RESEND_EPOCH_MS);
    await this.network.sendTransfer(this.self, this.id, `claim/${toHex(id)}/${epoch}`, encodeTransaction(tx));
    return { txId: id, status: { status: 'pending', sinceHeight: this.committedHeight } };
  }

  status(id: Uint8Array): Promise<TxStatus | undefined> {
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
    return this.cached(`a/${toHex(root)}`, () => this.reads.acceptsAnchor(root));
  }

  remoteHeader(domainId: Uint8Array): Promise<Header | undefined> {
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
