// Following on interest (docs/sync.md, "Who follows whom"): under `follow: 'interested'` a domain
// follows only the domains it has transfers with (added on demand as transfers are planned) and
// the ones configured, so what each domain receives does not grow with the network.
import { describe, expect, it } from 'vitest';
import { type Domain, headerHash } from '../src/domain/index.js';
import { InProcessBus, type Transport } from '../src/net/index.js';
import { type Peer, SyncRouter } from '../src/node/index.js';
import {
  decodeSyncInterest,
  encodeRootUpdate,
  encodeSyncInterest,
  verifyEquivocation,
} from '../src/sync/index.js';
import { MemoryTransferStore, TransferDriver } from '../src/transfer/index.js';
import { alice, makeDomain, Wallet } from './helpers/domain.js';
import { chain, forge } from './helpers/sync.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A ring of `n` domains following on interest, one transfer per edge i -> i+1, run to the end. */
async function ring(n: number, tag: string) {
  const domains: Domain[] = [];
  for (let i = 0; i < n; i++) domains.push(await makeDomain(`${tag}-${n}-${i}`));
  const bus = new InProcessBus({});
  const router = new SyncRouter({
    endpoint: (id) => bus.endpoint(id),
    announceEveryMs: 0,
    mode: 'transition',
    follow: 'interested',
  });
  for (const d of domains) await router.join(d);
  const store = new MemoryTransferStore();
  const driver = new TransferDriver(store, undefined, undefined, null, router.viewExpiry(), {
    follow: (from, to) => router.followEachOther(from, to),
  });
  for (const d of domains) driver.addDomain(d);
  // Who accepted a root update from whom, and how many.
  const senders = new Map<string, Set<string>>();
  const received = new Map<string, number>();
  router.on('accepted', ({ at, from }) => {
    const s = senders.get(hex(at)) ?? new Set();
    s.add(hex(from));
    senders.set(hex(at), s);
    received.set(hex(at), (received.get(hex(at)) ?? 0) + 1);
  });
  const coins: Awaited<ReturnType<Wallet['mint']>>[] = [];
  for (const d of domains) coins.push(await new Wallet(d, `${tag}-coin`).mint(alice.publicKey, 5n));
  for (const d of domains) await d.sealBlock();
  await bus.idle();
  // Nobody follows anybody before a transfer gives a reason.
  for (const d of domains) expect(d.remoteViews()).toEqual([]);
  const handles = await driver.transferMany(
    domains.map((d, i) => ({ from: d, to: domains[(i + 1) % n]!, resource: coins[i]!, owner: alice })),
  );
  for (let round = 0; round < 40 && driver.activeCount() > 0; round++) {
    for (const d of domains) await d.sealBlock();
    await bus.idle();
    await router.announceAll();
    await bus.idle();
    await driver.tick();
  }
  const done = await Promise.all(handles.map((h) => h.done));
  router.close();
  return { domains, done, senders, received, router };
}

describe('following on interest', () => {
  it('in a ring each domain follows and hears only its two neighbours, whatever the ring size', async () => {
    const small = await ring(6, 'int');
    const large = await ring(12, 'int');
    for (const r of [small, large]) {
      // Every transfer, to a domain nobody followed before it was planned, lands exactly once.
      expect(r.done.map((t) => t.phase)).toEqual(r.domains.map(() => 'confirmed'));
      const n = r.domains.length;
      for (const [i, d] of r.domains.entries()) {
        const neighbours = [r.domains[(i + n - 1) % n]!, r.domains[(i + 1) % n]!]
          .map((x) => hex(x.id))
          .sort();
        expect([...(r.senders.get(hex(d.id)) ?? [])].sort()).toEqual(neighbours);
        expect(
          d
            .remoteViews()
            .map((v) => hex(v.domainId))
            .sort(),
        ).toEqual(neighbours);
        expect(r.router.followersOf(d.id).map(hex).sort()).toEqual(neighbours);
      }
    }
    // What one domain receives does not grow with the ring.
    const most = (r: typeof small) => Math.max(...r.received.values());
    expect(most(large)).toBeLessThanOrEqual(most(small) + 2);
  });

  it('refunds still work: the source follows the destination on demand and proves the deadline passed', async () => {
    const a = await makeDomain('int-late-a');
    const b = await makeDomain('int-late-b');
    const bus = new InProcessBus({});
    const router = new SyncRouter({
      endpoint: (id) => bus.endpoint(id),
      announceEveryMs: 0,
      mode: 'transition',
      follow: 'interested',
    });
    await router.join(a);
    await router.join(b);
    const driver = new TransferDriver(new MemoryTransferStore(), undefined, undefined, null, null, {
      follow: (from, to) => router.followEachOther(from, to),
    });
    const coin = await new Wallet(a, 'int-late').mint(alice.publicKey, 7n);
    await a.sealBlock();
    await b.sealBlock();
    expect(a.remoteView(b.id)).toBeUndefined();
    const deadline = b.header(b.committedHeight)!.header.timestamp;
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice, deadline });
    for (let round = 0; round < 40 && driver.activeCount() > 0; round++) {
      await a.sealBlock();
      await b.sealBlock();
      await bus.idle();
      await router.announceAll();
      await bus.idle();
      await driver.tick();
    }
    expect((await h.done).phase).toBe('refunded');
    router.close();
  });

  it('an interested observer takes the branch it is sent; a domain that follows nobody sees nothing', async () => {
    const bus = new InProcessBus({});
    const a = (await chain('int-xo-a', 0)).domain;
    const b = await makeDomain('int-xo-b');
    const c = await makeDomain('int-xo-c');
    const d = await makeDomain('int-xo-d');
    const peer: Peer = { id: a.id, name: a.name, keySet: a.keySet, genesis: a.header(0n)! };
    const router = new SyncRouter({
      endpoint: (id) => bus.endpoint(id),
      announceEveryMs: 0,
      mode: 'signatures',
      follow: 'interested',
      alwaysFollow: [a.id],
    });
    await router.addPeer(peer);
    await router.join(b);
    await router.join(c);
    await router.join(d);
    // B and C have transfers with each other; D has none.
    await router.followEachOther(b.id, c.id);
    await bus.idle();
    const t = a.header(0n)!.header.timestamp;
    const x = await forge(a, 0n, { writes: [], timestampMs: t + 1000n });
    const y = await forge(a, 0n, { writes: [], timestampMs: t + 2000n });
    const fromA = bus.endpoint(a.id);
    await fromA.send(b.id, { kind: 'rootUpdate', id: 'a/1/x', body: encodeRootUpdate(x) });
    await fromA.send(c.id, { kind: 'rootUpdate', id: 'a/1/y', body: encodeRootUpdate(y) });
    await bus.idle();
    await b.sealBlock();
    await c.sealBlock();
    await d.sealBlock();
    await bus.idle();
    // Each took its branch; comparing them through each other's records is full mode's work
    // (records travel with their headers only there), which 'interested' cannot run in.
    expect(b.remoteView(a.id)!.head.header.height).toBe(1n);
    expect(c.remoteView(a.id)!.head.header.height).toBe(1n);
    expect(verifyEquivocation({ domainId: a.id, a: x.signed, b: y.signed }, a.keySet)).toBe(true);
    // D follows A by configuration but got no branch and follows neither B nor C: it sees no fork.
    expect(d.remoteView(a.id)!.head.header.height).toBe(0n);
    expect(d.remoteView(b.id)).toBeUndefined();
    expect(d.remoteView(c.id)).toBeUndefined();
    expect(hex(headerHash(x.signed.header))).not.toBe(hex(headerHash(y.signed.header)));
    router.close();
  });

  it('sends a lost interest again at the next round, so the follower never falls far behind', async () => {
    const a = await makeDomain('int-lost-a');
    const b = await makeDomain('int-lost-b');
    const bus = new InProcessBus({});
    // The first interest message on the wire is lost.
    let interests = 0;
    const endpoint = (id: Uint8Array): Transport => {
      const net = bus.endpoint(id);
      return {
        send: (to, msg) =>
          msg.kind === 'interest' && interests++ === 0 ? Promise.resolve() : net.send(to, msg),
        subscribe: (self, handler) => net.subscribe(self, handler),
        close: () => net.close(),
      };
    };
    const router = new SyncRouter({ endpoint, announceEveryMs: 0, mode: 'transition', follow: 'interested' });
    await router.join(a);
    await router.join(b);
    await router.follow(b.id, a.id);
    for (let i = 0; i < 5; i++) await a.sealBlock();
    await bus.idle();
    // A never heard of B: it announced its blocks to nobody.
    expect(interests).toBe(1);
    expect(router.followersOf(a.id)).toEqual([]);
    expect(b.remoteView(a.id)!.head.header.height).toBe(0n);
    // One re-announcement round sends the interest again; A answers with its latest block and
    // B fills the gap (not INTEREST_REFRESH_ROUNDS rounds later).
    await router.announceAll();
    await bus.idle();
    expect(router.followersOf(a.id).map(hex)).toEqual([hex(b.id)]);
    expect(b.remoteView(a.id)!.head.header.height).toBe(a.committedHeight);
    // Heard: no further interest is sent until the periodic refresh.
    const before = interests;
    await router.announceAll();
    await bus.idle();
    expect(interests).toBe(before);
    router.close();
  });

  it("refuses 'interested' in full mode, which must follow every domain its senders claim from", () => {
    const bus = new InProcessBus({});
    const open = (mode: 'full' | 'transition' | 'signatures') =>
      new SyncRouter({ endpoint: (id) => bus.endpoint(id), announceEveryMs: 0, mode, follow: 'interested' });
    expect(() => open('full')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    for (const mode of ['transition', 'signatures'] as const) open(mode).close();
    // The default mode is full, so the default policy must stay 'everyone'.
    new SyncRouter({ endpoint: (id) => bus.endpoint(id), announceEveryMs: 0 }).close();
  });

  it('encodes an interest message canonically and refuses other formats', () => {
    const i = {
      observer: new Uint8Array(32).fill(1),
      domainId: new Uint8Array(32).fill(2),
      height: 7n,
      followBack: true,
    };
    const bytes = encodeSyncInterest(i);
    expect(bytes.length).toBe(74);
    expect(decodeSyncInterest(bytes)).toEqual(i);
    const bad = bytes.slice();
    bad[0] = 2;
    expect(() => decodeSyncInterest(bad)).toThrow(expect.objectContaining({ code: 'CODEC' }));
    expect(() => decodeSyncInterest(bytes.subarray(0, 73))).toThrow(
      expect.objectContaining({ code: 'CODEC' }),
    );
  });
});
