// Root updates over a lossy in-process bus: the sender retries what is not confirmed, the
// receiver deduplicates, buffers what arrives early and accepts in height order; a receiver that
// only hears the head fills the gap with header requests. Every block ends accepted once, in
// full mode.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8, WeftError } from '../src/crypto/index.js';
import type { Domain } from '../src/domain/index.js';
import { Deduplicator, InProcessBus } from '../src/net/index.js';
import {
  answerHeaderRequest,
  decodeHeaderRequest,
  decodeRootUpdate,
  encodeHeaderRequest,
  encodeRootUpdate,
  LightClient,
  type RootUpdate,
} from '../src/sync/index.js';
import { chain, sealTransfer, updateAt } from './helpers/sync.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function producer(name: string, transfers: number): Promise<Domain> {
  const c = await chain(name, 2);
  for (let i = 0; i < transfers; i++) await sealTransfer(c);
  return c.domain;
}

async function syncOverBus(source: Domain, seed: number) {
  const receiverId = new Uint8Array(32).fill(0xbb);
  const bus = new InProcessBus({ seed, dropProbability: 0.25, duplicateProbability: 0.25, maxDelayMs: 40 });
  const tx = bus.endpoint(source.id);
  const rx = bus.endpoint(receiverId);
  const sync = new LightClient();
  sync.trust(source.header(0n)!, source.keySet);
  const dedup = new Deduplicator();
  const pending = new Map<bigint, RootUpdate>();
  const acceptedHeights: bigint[] = [];
  let refusedGarbage = 0;
  rx.subscribe(receiverId, async (m, from) => {
    if (m.kind !== 'rootUpdate' || dedup.seen(m.id)) return;
    let u: RootUpdate;
    try {
      u = decodeRootUpdate(m.body);
    } catch (e) {
      if (e instanceof WeftError) refusedGarbage++;
      return;
    }
    pending.set(u.signed.header.height, u);
    let head = sync.view(source.id)!.head.header.height;
    for (let next = pending.get(head + 1n); next; next = pending.get(head + 1n)) {
      pending.delete(head + 1n);
      for (const s of sync.accept(next, 'full')) acceptedHeights.push(s.header.height);
      head++;
    }
    await rx.send(from, { kind: 'confirmation', id: `confirm/${head}/${m.id}`, body: utf8(String(head)) });
  });
  let confirmed = 0n;
  tx.subscribe(source.id, (m) => {
    const h = BigInt(Buffer.from(m.body).toString());
    if (h > confirmed) confirmed = h;
  });
  // A garbage message on the same channel changes nothing.
  await tx.send(receiverId, { kind: 'rootUpdate', id: 'garbage', body: utf8('not a root update') });
  let rounds = 0;
  while (confirmed < source.committedHeight) {
    if (++rounds > 200) throw new Error('sync did not converge');
    for (let h = confirmed + 1n; h <= source.committedHeight; h++) {
      const body = encodeRootUpdate(updateAt(source, h));
      // A retry of height h is a new message (its id carries the round): the receiver's
      // dedup only suppresses copies of one send; acceptance itself refuses replays.
      await tx.send(receiverId, { kind: 'rootUpdate', id: `${hex(source.id)}/${h}/${rounds}`, body });
    }
    await bus.idle();
  }
  return { sync, acceptedHeights, rounds, stats: bus.stats(), refusedGarbage };
}

describe('root updates over a lossy bus', () => {
  it('every block is accepted exactly once, in order, in full mode, for any seed', async () => {
    const source = await producer('net-sync', 4);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
        const { sync, acceptedHeights, stats, refusedGarbage } = await syncOverBus(source, seed);
        const heights = Array.from({ length: Number(source.committedHeight) }, (_, i) => BigInt(i + 1));
        expect(acceptedHeights).toEqual(heights);
        expect(sync.view(source.id)!.head.header.stateRoot).toEqual(source.stateRoot);
        expect(stats.sent).toBeGreaterThan(heights.length);
        expect(refusedGarbage).toBeLessThanOrEqual(1);
      }),
      { numRuns: 6 },
    );
  });
});

describe('gap filling over a lossy bus', () => {
  it('a receiver that only hears the head asks for the missing headers and accepts them as one chain', async () => {
    const source = await producer('net-gap', 5);
    const receiverId = new Uint8Array(32).fill(0xcc);
    const bus = new InProcessBus({
      seed: 11,
      dropProbability: 0.2,
      duplicateProbability: 0.2,
      maxDelayMs: 25,
    });
    const tx = bus.endpoint(source.id);
    const rx = bus.endpoint(receiverId);
    const sync = new LightClient();
    sync.trust(source.header(0n)!, source.keySet);
    const chains: number[] = [];
    let requests = 0;
    // The source answers header requests, one root update per message.
    tx.subscribe(source.id, async (m, from) => {
      if (m.kind !== 'headerRequest') return;
      for (const u of answerHeaderRequest(source, decodeHeaderRequest(m.body))) {
        const h = u.signed.header.height;
        await tx.send(from, { kind: 'headerResponse', id: `resp/${h}/${m.id}`, body: encodeRootUpdate(u) });
      }
    });
    const pending = new Map<bigint, RootUpdate>();
    rx.subscribe(receiverId, async (m, from) => {
      if (m.kind !== 'rootUpdate' && m.kind !== 'headerResponse') return;
      const u = decodeRootUpdate(m.body);
      let head = sync.view(source.id)!.head.header.height;
      if (u.signed.header.height <= head) return; // old news (a duplicate or a late answer)
      pending.set(u.signed.header.height, u);
      // Accept whatever now continues the head, as one chain.
      const run: RootUpdate[] = [];
      for (let h = head + 1n; pending.has(h); h++) run.push(pending.get(h)!);
      if (run.length > 0) {
        sync.acceptChain(run, 'full');
        chains.push(run.length);
        for (const r of run) pending.delete(r.signed.header.height);
        head += BigInt(run.length);
      }
      // Still a gap below what we hold: ask for it.
      const highest = [...pending.keys()].reduce((a, b) => (a > b ? a : b), 0n);
      if (highest > head + 1n) {
        requests++;
        const req = { domainId: source.id, fromHeight: head + 1n, toHeight: highest - 1n, withTxs: true };
        await rx.send(from, {
          kind: 'headerRequest',
          id: `req/${head}/${m.id}`,
          body: encodeHeaderRequest(req),
        });
      }
    });
    let rounds = 0;
    while (sync.view(source.id)!.head.header.height < source.committedHeight) {
      if (++rounds > 100) throw new Error('gap filling did not converge');
      const head = updateAt(source, source.committedHeight);
      await tx.send(receiverId, { kind: 'rootUpdate', id: `head/${rounds}`, body: encodeRootUpdate(head) });
      await bus.idle();
    }
    expect(sync.view(source.id)!.head.header.stateRoot).toEqual(source.stateRoot);
    expect(requests).toBeGreaterThan(0);
    expect(chains.some((n) => n > 1)).toBe(true);
  });
});
