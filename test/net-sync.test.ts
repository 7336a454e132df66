// Root updates over a lossy in-process bus: the sender retries what is not confirmed, the
// receiver deduplicates, buffers what arrives early and accepts in height order. Every block
// ends accepted once, in full mode, whatever the seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8, WeftError } from '../src/crypto/index.js';
import type { Domain } from '../src/domain/index.js';
import { Deduplicator, InProcessBus } from '../src/net/index.js';
import { decodeRootUpdate, encodeRootUpdate, type RootUpdate, SyncState } from '../src/sync/index.js';
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
  const sync = new SyncState();
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
