// Following on interest (docs/sync.md, "Who follows whom"): under `follow: 'interested'` a domain
// follows only the domains it has transfers with (added on demand as transfers are planned) and
// the ones configured, so what each domain receives does not grow with the network.
import { describe, expect, it } from 'vitest';
import { type Domain, headerHash, knowsRoot, type SignedHeader, signHeader } from '../src/domain/index.js';
import { InProcessBus, type Transport } from '../src/net/index.js';
import { SyncRouter } from '../src/node/index.js';
import {
  decodeSyncInterest,
  encodeRootUpdate,
  encodeSyncInterest,
  verifyEquivocation,
} from '../src/sync/index.js';
import { MemoryTransferStore, TransferDriver } from '../src/transfer/index.js';
import { alice, makeDomain, Wallet } from './helpers/domain.js';
import { peerOf } from './helpers/nodes.js';
import { chain, forge, operatorOf, rotatingDomain } from './helpers/sync.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A ring of `n` domains following on interest, one transfer per edge i -> i+1, run to the end. */
async function ring(n: number, tag: string, mode: 'transition' | 'full' = 'transition') {
  const domains: Domain[] = [];
  for (let i = 0; i < n; i++) domains.push(await makeDomain(`${tag}-${n}-${i}`));
  const bus = new InProcessBus({});
  const router = new SyncRouter({
    endpoint: (id) => bus.endpoint(id),
    announceEveryMs: 0,
    mode,
    follow: 'interested',
  });
  const refused: string[] = [];
  router.on('refused', (r) => refused.push(`${r.code}: ${r.message}`));
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
  return { domains, done, senders, received, router, refused };
}

/** Each domain of the ring heard, followed and is followed by its two neighbours only. */
function expectNeighboursOnly(r: Awaited<ReturnType<typeof ring>>): void {
  const n = r.domains.length;
  for (const [i, d] of r.domains.entries()) {
    const neighbours = [r.domains[(i + n - 1) % n]!, r.domains[(i + 1) % n]!].map((x) => hex(x.id)).sort();
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

/** Members a, b, c of one full-mode router following on interest, and a transfer a -> b. */
async function threeMembers(tag: string) {
  const [a, b, c] = [
    await makeDomain(`${tag}-a`),
    await makeDomain(`${tag}-b`),
    await makeDomain(`${tag}-c`),
  ];
  const bus = new InProcessBus({});
  const router = new SyncRouter({
    endpoint: (id) => bus.endpoint(id),
    announceEveryMs: 0,
    mode: 'full',
    follow: 'interested',
  });
  const refused: { at: string; from: string; code: string }[] = [];
  router.on('refused', (e) => refused.push({ at: hex(e.at), from: hex(e.from), code: e.code }));
  for (const d of [a, b, c]) await router.join(d);
  const driver = new TransferDriver(
    new MemoryTransferStore(),
    undefined,
    undefined,
    null,
    router.viewExpiry(),
    {
      follow: (from, to) => router.followEachOther(from, to),
    },
  );
  for (const d of [a, b, c]) driver.addDomain(d);
  const transfer = async () => {
    const coin = await new Wallet(a, `${tag}-coin`).mint(alice.publicKey, 5n);
    await a.sealBlock();
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    for (let round = 0; round < 20 && driver.activeCount() > 0; round++) {
      for (const d of [a, b, c]) await d.sealBlock();
      await bus.idle();
      await router.announceAll();
      await bus.idle();
      await driver.tick();
    }
    return h.done;
  };
  return { a, b, c, bus, router, refused, transfer };
}

describe('following on interest', () => {
  it('in a ring each domain follows and hears only its two neighbours, whatever the ring size', async () => {
    const small = await ring(6, 'int');
    const large = await ring(12, 'int');
    for (const r of [small, large]) {
      // Every transfer, to a domain nobody followed before it was planned, lands exactly once.
      expect(r.done.map((t) => t.phase)).toEqual(r.domains.map(() => 'confirmed'));
      expectNeighboursOnly(r);
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
    const peer = peerOf(a);
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

  it('in full mode too: each domain re-executes only its neighbours, claims from a domain it does not follow included', async () => {
    for (const n of [6, 12]) {
      const r = await ring(n, 'int-full', 'full');
      // Before the rule for domains not followed, domain i + 2 refused domain i + 1's blocks that
      // held claims from domain i (UNKNOWN_ANCHOR), and those transfers never confirmed.
      expect(r.refused).toEqual([]);
      expect(r.done.map((t) => t.phase)).toEqual(r.domains.map(() => 'confirmed'));
      expectNeighboursOnly(r);
    }
  });

  it('full mode vouches for a domain it does not follow by that domain itself, so a sender cannot invent its headers', async () => {
    // a -> b, and c follows b only: b's blocks carry the claim from a, which c checks against a
    // itself (a member of the same router). Then a lying b records a header of a that a never
    // signed: c refuses that block rather than believe it.
    const net = await threeMembers('int-vouch');
    const { a, b, c, router, bus, refused } = net;
    await router.follow(c.id, b.id);
    expect((await net.transfer()).phase).toBe('confirmed');
    expect(c.remoteViews().map((v) => hex(v.domainId))).toEqual([hex(b.id)]);
    expect(c.remoteView(b.id)!.head.header.height).toBe(b.committedHeight);
    expect(refused).toEqual([]);
    const honest = b.committedHeight;
    const real = a.header(a.committedHeight)!;
    const fake = {
      ...real.header,
      height: real.header.height + 1n,
      prevHash: headerHash(real.header),
      stateRoot: new Uint8Array(32).fill(0xee),
    };
    await b.acceptRemoteHeader({
      header: fake,
      signatures: signHeader(fake, b.keySet, [operatorOf(b.name)]),
    });
    await b.sealBlock();
    await bus.idle();
    await router.announceAll();
    await bus.idle();
    expect(refused).toContainEqual({ at: hex(c.id), from: hex(b.id), code: 'FULL_VALIDATION_FAILED' });
    expect(c.remoteView(b.id)!.head.header.height).toBe(honest);
    router.close();
  });

  it('full mode vouches for a peer it does not follow by the key set the network gives for it', async () => {
    // a and b run in one process (router x), c in another (router y) that knows a and b as peers
    // (the network file) and follows b only.
    const [a, b, c] = [
      await makeDomain('int-peer-a'),
      await makeDomain('int-peer-b'),
      await makeDomain('int-peer-c'),
    ];
    const bus = new InProcessBus({});
    const opts = {
      endpoint: (id: Uint8Array) => bus.endpoint(id),
      announceEveryMs: 0,
      mode: 'full',
      follow: 'interested',
    } as const;
    const x = new SyncRouter(opts);
    const y = new SyncRouter(opts);
    const refused: string[] = [];
    y.on('refused', (e) => refused.push(`${e.code}: ${e.message}`));
    const peer = (d: Domain) => ({ id: d.id, keySet: d.keySet, genesis: d.header(0n)! });
    await x.join(a);
    await x.join(b);
    await x.addPeer(peer(c));
    await y.join(c);
    await y.addPeer(peer(a));
    await y.addPeer(peer(b));
    await y.follow(c.id, b.id);
    const driver = new TransferDriver(new MemoryTransferStore(), undefined, undefined, null, x.viewExpiry(), {
      follow: (from, to) => x.followEachOther(from, to),
    });
    driver.addDomain(a);
    driver.addDomain(b);
    const coin = await new Wallet(a, 'int-peer-coin').mint(alice.publicKey, 5n);
    await a.sealBlock();
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    const round = async () => {
      for (const d of [a, b, c]) await d.sealBlock();
      await bus.idle();
      await x.announceAll();
      await y.announceAll();
      await bus.idle();
      await driver.tick();
    };
    for (let i = 0; i < 20 && driver.activeCount() > 0; i++) await round();
    const done = await h.done;
    expect(done.phase).toBe('confirmed');
    await round();
    // c re-executed b's blocks, the claim from a included, without following a.
    expect(c.remoteViews().map((v) => hex(v.domainId))).toEqual([hex(b.id)]);
    expect(c.remoteView(b.id)!.head.header.height).toBe(b.committedHeight);
    expect(refused).toEqual([]);
    // the root of a the claim anchored on, learnt from b's record of a's header
    expect(knowsRoot(c.remoteView(b.id)!, done.source!.root)).toBe(true);
    // A header of a that a's key set did not sign: c cannot tell a rotated set from a lie, so it
    // believes nothing of it (no claim may anchor on it) rather than refuse b.
    const real = a.header(a.committedHeight)!;
    const fake = {
      ...real.header,
      height: real.header.height + 1n,
      prevHash: headerHash(real.header),
      stateRoot: new Uint8Array(32).fill(0xee),
    };
    await b.acceptRemoteHeader({
      header: fake,
      signatures: signHeader(fake, b.keySet, [operatorOf(b.name)]),
    });
    await round();
    expect(c.remoteView(b.id)!.head.header.height).toBe(b.committedHeight);
    expect(knowsRoot(c.remoteView(b.id)!, fake.stateRoot)).toBe(false);
    expect(refused).toEqual([]);
    x.close();
    y.close();
  });

  it("vouches for a peer it does not follow by another member's view of it before the network file", async () => {
    // a rotated its key set; the network file still names the set before. c follows neither a nor
    // anyone recording a; e, in the same router, follows a and knows the rotation.
    const { domain: a, oldSet, newSet, op } = await rotatingDomain('int-vouch-rot', 2);
    const [c, e] = [await makeDomain('int-vouch-rot-c'), await makeDomain('int-vouch-rot-e')];
    const bus = new InProcessBus({});
    const y = new SyncRouter({
      endpoint: (id) => bus.endpoint(id),
      announceEveryMs: 0,
      mode: 'full',
      follow: 'interested',
    });
    await y.join(c);
    await y.join(e);
    await y.addPeer({ id: a.id, keySet: oldSet, genesis: a.header(0n)! });
    const vouch = (sh: SignedHeader) =>
      (y as unknown as { vouchFor(own: Domain, sh: SignedHeader): boolean | undefined }).vouchFor(c, sh);
    const head = a.header(a.committedHeight)!; // signed by the new set
    // By the file alone: the set it names did not sign the head, so nothing is believed of it.
    expect(vouch(head)).toBeUndefined();
    await e.trustRemote(head, newSet, { mode: 'full', name: 'a' });
    expect(vouch(head)).toBe(true);
    // A header of that height the new set did not sign (the retired operator's, say): refused.
    const fake = { ...head.header, stateRoot: new Uint8Array(32).fill(0xee) };
    expect(vouch({ header: fake, signatures: signHeader(fake, oldSet, [op]) })).toBe(false);
    y.close();
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
