import { describe, expect, it } from 'vitest';
import type { StateProof, TxStatus } from '../src/domain/index.js';
import { InProcessBus } from '../src/net/index.js';
import { PeerDomain, type PeerReads, SyncRouter } from '../src/node/index.js';
import { makeDomain } from './helpers/domain.js';

/** Reads of a peer answered from `peer` (a local domain), batched reads counted and tampered with. */
async function setup(tamper: { proofs?: (ps: StateProof[]) => StateProof[] } = {}) {
  const self = await makeDomain('batch-self');
  const peer = await makeDomain('batch-peer');
  const bus = new InProcessBus({});
  const router = new SyncRouter({
    endpoint: (id) => bus.endpoint(id),
    mode: 'transition',
    announceEveryMs: 0,
  });
  await router.join(self);
  const calls = { status: 0, statuses: 0, proveNullifier: 0, proveNullifiers: 0, proveRefusals: 0 };
  const reads: PeerReads = {
    status: async (id) => {
      calls.status++;
      return peer.status(id);
    },
    statuses: async (ids) => {
      calls.statuses++;
      return ids.map((id) => peer.status(id)) as (TxStatus | undefined)[];
    },
    proveCommitment: async (cm, h) => peer.proveCommitment(cm, h),
    proveNullifier: async (nf, h) => {
      calls.proveNullifier++;
      return peer.proveNullifier(nf, h);
    },
    proveNullifiers: async (nfs, h) => {
      calls.proveNullifiers++;
      const ps = nfs.map((nf) => peer.proveNullifier(nf, h));
      return tamper.proofs ? tamper.proofs(ps) : ps;
    },
    proveRefusal: async (nf, h) => peer.proveRefusal(nf, h),
    proveRefusals: async (nfs, h) => {
      calls.proveRefusals++;
      const ps = nfs.map((nf) => peer.proveRefusal(nf, h));
      return tamper.proofs ? tamper.proofs(ps) : ps;
    },
    acceptsAnchor: async (root) => peer.acceptsAnchor(root),
    remoteHeader: async (id) => peer.remoteHeader(id),
  };
  const p = new PeerDomain(
    { id: peer.id, name: 'batch-peer', keySet: peer.keySet, genesis: peer.header(0n)! },
    self.id,
    router,
    reads,
  );
  return { p, peer, calls, close: () => router.close() };
}

const ids = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(seed + i));

describe('a peer read over its API, in batches', () => {
  it('sends the reads of one kind made together as one request, each answered as its single read', async () => {
    const s = await setup();
    const txs = ids(5, 1);
    const statuses = await Promise.all(txs.map((id) => s.p.status(id)));
    expect(statuses).toEqual(txs.map((id) => s.peer.status(id)));
    expect([s.calls.statuses, s.calls.status]).toEqual([1, 0]);
    const nfs = ids(4, 20);
    const proofs = await Promise.all(nfs.map((nf) => s.p.proveNullifier(nf, 0n)));
    expect(proofs).toEqual(nfs.map((nf) => s.peer.proveNullifier(nf, 0n)));
    expect([s.calls.proveNullifiers, s.calls.proveNullifier]).toEqual([1, 0]);
    await Promise.all(nfs.map((nf) => s.p.proveRefusal!(nf, 0n)));
    expect(s.calls.proveRefusals).toBe(1);
    s.close();
  });

  it('refuses a batched answer with a proof for another key, or of another length than asked', async () => {
    // The peer answers each nullifier with the proof of the next one.
    const swapped = await setup({ proofs: (ps) => [...ps.slice(1), ps[0]!] });
    const nfs = ids(3, 40);
    const reads = nfs.map((nf) => swapped.p.proveNullifier(nf, 0n));
    for (const r of reads) await expect(r).rejects.toMatchObject({ code: 'BAD_PROOF' });
    // Refusal proofs too.
    const refusals = nfs.slice(0, 2).map((nf) => swapped.p.proveRefusal!(nf, 0n));
    for (const r of refusals) await expect(r).rejects.toMatchObject({ code: 'BAD_PROOF' });
    swapped.close();
    const short = await setup({ proofs: (ps) => ps.slice(1) });
    const two = ids(2, 60).map((nf) => short.p.proveNullifier(nf, 0n));
    for (const r of two) await expect(r).rejects.toMatchObject({ code: 'BAD_INPUT' });
    // A failed read is not an answer: asked again, it goes out again.
    await expect(short.p.proveNullifier(ids(1, 60)[0]!, 0n)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(short.calls.proveNullifiers).toBe(2);
    short.close();
  });
});
