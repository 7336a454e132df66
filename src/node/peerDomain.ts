// A domain in another process, as the transfer driver sees it: reads go through whatever reaches
// that node (its HTTP API, in `weft node`), and a claim travels as a transfer message over the
// transport, so it waits in the durable stream while the destination is down.
import { toHex } from '../crypto/index.js';
import type { Header, StateProof, SubmitResult, TxStatus } from '../domain/index.js';
import type { TransferDomain } from '../transfer/index.js';
import { encodeTransaction, type Transaction, txId } from '../tx/index.js';
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
};

/**
 * A resent claim keeps its message id for this long, so the transport drops quick repeats while
 * a claim the destination refused for a passing reason is delivered again later.
 */
export const CLAIM_RESEND_EPOCH_MS = 10_000;

/**
 * @example
 * driver.addDomain(new PeerDomain(peer, self.id, network, readsOverHttp));
 */
export class PeerDomain implements TransferDomain {
  readonly id: Uint8Array;
  /** the highest height a proof from the peer named (explanations only; no read of its own) */
  committedHeight = 0n;

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
    if (read !== undefined)
      this.proveRefusal = async (nf, height) => this.seen(await read.call(reads, nf, height));
  }

  /** A refusal record's proof from the peer (docs/transfers.md, "Refusals"), when its reads have one. */
  readonly proveRefusal?: (nf: Uint8Array, height?: bigint) => Promise<StateProof>;

  async submit(tx: Transaction): Promise<SubmitResult> {
    const id = txId(tx);
    const epoch = Math.floor(this.clock() / CLAIM_RESEND_EPOCH_MS);
    await this.network.sendTransfer(this.self, this.id, `claim/${toHex(id)}/${epoch}`, encodeTransaction(tx));
    return { txId: id, status: { status: 'pending', sinceHeight: this.committedHeight } };
  }

  status(id: Uint8Array): Promise<TxStatus | undefined> {
    return this.reads.status(id);
  }

  async proveCommitment(cm: Uint8Array, height?: bigint): Promise<StateProof> {
    return this.seen(await this.reads.proveCommitment(cm, height));
  }

  async proveNullifier(nf: Uint8Array, height?: bigint): Promise<StateProof> {
    return this.seen(await this.reads.proveNullifier(nf, height));
  }

  acceptsAnchor(root: Uint8Array): Promise<boolean> {
    return this.reads.acceptsAnchor(root);
  }

  remoteHeader(domainId: Uint8Array): Promise<Header | undefined> {
    return this.reads.remoteHeader(domainId);
  }

  /** A proof names the height it was taken at: the tip the peer had then, for explanations. */
  private seen(p: StateProof): StateProof {
    if (p.height > this.committedHeight) this.committedHeight = p.height;
    return p;
  }
}
