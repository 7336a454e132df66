// A PeerDomain's reads of another node: equal reads are answered from a cache until this node
// accepts the peer's next header (or the cache's age runs out), never across a failure, and a
// submitted claim's status is read again.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { TxStatus } from '../src/domain/index.js';
import {
  PEER_READ_CACHE_MS,
  type Peer,
  PeerDomain,
  type PeerReads,
  type SyncRouter,
} from '../src/node/index.js';
import { txId } from '../src/tx/index.js';
import { alice, makeDomain, Wallet } from './helpers/domain.js';

const self = new Uint8Array(32).fill(1);
const peerId = new Uint8Array(32).fill(2);
const other = new Uint8Array(32).fill(3);

function setup() {
  const router = Object.assign(new EventEmitter(), {
    sent: [] as string[],
    sendTransfer: async (_at: Uint8Array, _to: Uint8Array, id: string) => {
      router.sent.push(id);
    },
  });
  const calls: string[] = [];
  let status: TxStatus | undefined;
  let fail = false;
  const reads: PeerReads = {
    status: async () => {
      calls.push('status');
      if (fail) throw new Error('peer down');
      return status;
    },
    proveCommitment: async () => {
      throw new Error('unused');
    },
    proveNullifier: async () => {
      throw new Error('unused');
    },
    acceptsAnchor: async () => {
      calls.push('anchor');
      return true;
    },
    remoteHeader: async () => {
      calls.push('header');
      return undefined;
    },
  };
  let now = 1_000_000;
  const peer = new PeerDomain(
    { id: peerId } as Peer,
    self,
    router as unknown as SyncRouter,
    reads,
    () => now,
  );
  return {
    router,
    peer,
    calls,
    setStatus: (s: TxStatus | undefined) => {
      status = s;
    },
    setFail: (f: boolean) => {
      fail = f;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('PeerDomain reads', () => {
  it('answers equal reads once until the peer has a new header, and shares concurrent ones', async () => {
    const s = setup();
    const id = new Uint8Array(32).fill(9);
    await Promise.all([s.peer.status(id), s.peer.status(id), s.peer.remoteHeader(other)]);
    await s.peer.status(id);
    expect(s.calls).toEqual(['status', 'header']);
    // A header of another domain, or one accepted by another member, changes nothing.
    s.router.emit('accepted', { at: self, from: other, height: 5n });
    s.router.emit('accepted', { at: other, from: peerId, height: 5n });
    await s.peer.status(id);
    expect(s.calls).toEqual(['status', 'header']);
    // This node accepted the peer's next header: the peer may answer differently now.
    s.setStatus({ status: 'included', height: 6n, batch: 0, index: 0 });
    s.router.emit('accepted', { at: self, from: peerId, height: 6n });
    expect(await s.peer.status(id)).toEqual({ status: 'included', height: 6n, batch: 0, index: 0 });
    expect(s.calls).toEqual(['status', 'header', 'status']);
  });

  it('reads again once an answer is older than PEER_READ_CACHE_MS, and never keeps a failure', async () => {
    const s = setup();
    const root = new Uint8Array(32).fill(4);
    await s.peer.acceptsAnchor(root);
    s.advance(PEER_READ_CACHE_MS);
    await s.peer.acceptsAnchor(root);
    expect(s.calls).toEqual(['anchor']);
    s.advance(1);
    await s.peer.acceptsAnchor(root);
    expect(s.calls).toEqual(['anchor', 'anchor']);

    const id = new Uint8Array(32).fill(8);
    s.setFail(true);
    await expect(s.peer.status(id)).rejects.toThrow('peer down');
    s.setFail(false);
    expect(await s.peer.status(id)).toBeUndefined();
    expect(s.calls.filter((c) => c === 'status')).toHaveLength(2);
  });

  it('counts as its changes what this node learns of the peer, and each PEER_READ_CACHE_MS that passes', () => {
    const s = setup();
    const c0 = s.peer.changes;
    // Another domain's header, or the peer's header accepted by another member: nothing learnt.
    s.router.emit('accepted', { at: self, from: other, height: 5n });
    s.router.emit('accepted', { at: other, from: peerId, height: 5n });
    s.advance(PEER_READ_CACHE_MS - 1);
    expect(s.peer.changes).toBe(c0);
    expect(s.peer.committedHeight).toBe(0n);
    // The peer's header accepted here: a change, and the height the driver's stamps compare.
    s.router.emit('accepted', { at: self, from: peerId, height: 7n });
    const c1 = s.peer.changes;
    expect(c1).toBeGreaterThan(c0);
    expect(s.peer.committedHeight).toBe(7n);
    // Facts the peer pushed to this node (another member's are not this node's).
    const facts = { height: 7n, claims: [], refusals: [] };
    s.router.emit('facts', { at: other, from: peerId, facts, stateRoot: new Uint8Array(32) });
    expect(s.peer.changes).toBe(c1);
    s.router.emit('facts', { at: self, from: peerId, facts, stateRoot: new Uint8Array(32) });
    const c2 = s.peer.changes;
    expect(c2).toBeGreaterThan(c1);
    // Time: a cached answer lasts PEER_READ_CACHE_MS, and a refusal needs no block of the peer.
    s.advance(1);
    expect(s.peer.changes).toBeGreaterThan(c2);
  });

  it("reads a claim's status again after submitting it", async () => {
    const s = setup();
    const d = await makeDomain('peer-cache');
    const tx = new Wallet(d, 'peer-cache').mintTx(alice.publicKey, 1n).tx;
    expect(await s.peer.status(txId(tx))).toBeUndefined();
    const r = await s.peer.submit(tx);
    expect(r.status.status).toBe('pending');
    expect(s.router.sent).toHaveLength(1);
    s.setStatus({ status: 'pending', sinceHeight: 0n });
    expect(await s.peer.status(txId(tx))).toEqual({ status: 'pending', sinceHeight: 0n });
    expect(s.calls.filter((c) => c === 'status')).toHaveLength(2);
    s.peer.close();
    expect(s.router.listenerCount('accepted')).toBe(0);
  });
});
