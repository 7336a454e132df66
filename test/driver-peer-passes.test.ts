// Driver passes with a domain in another process (docs/transfers.md, "Driver passes"): a
// `PeerDomain` counts what its node learns of the peer by the transport, and the passing of
// PEER_READ_CACHE_MS, so a pass skips the transfers whose peer did not move — and every transfer
// still ends, once.
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../src/crypto/index.js';
import { PEER_READ_CACHE_MS, PeerDomain } from '../src/node/index.js';
import {
  MemoryTransferStore,
  type Transfer,
  TransferDriver,
  type TransferHandle,
} from '../src/transfer/index.js';
import { decodeTransaction } from '../src/tx/index.js';
import { alice, makeDomain, Wallet } from './helpers/domain.js';
import { domainReads, peerOf, twoRouters } from './helpers/nodes.js';

/** The PeerDomain's reads the driver makes, counted. */
const READS = [
  'status',
  'proveCommitment',
  'proveNullifier',
  'proveRefusal',
  'acceptsAnchor',
  'remoteHeader',
] as const;

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/**
 * Source S (local to the driver) and destination D in two routers ("processes") on one bus, each
 * the other's peer (unless D does not follow S); S's driver sees D only through a PeerDomain on a
 * clock the test moves.
 */
async function pair(tag: string, dFollowsS = true) {
  const s = await makeDomain(`peer-passes-s-${tag}`);
  const d = await makeDomain(`peer-passes-d-${tag}`);
  const { bus, rs, rd } = await twoRouters(s, d, dFollowsS);
  // D's node submits the claims that reach it, as `NodeHost` does.
  rd.on('transfer', (m: { at: Uint8Array; body: Uint8Array }) => {
    if (equalBytes(m.at, d.id)) void d.submit(decodeTransaction(m.body)).catch(() => {});
  });
  let now = 5_000_000;
  const pd = new PeerDomain(
    peerOf(d),
    s.id,
    rs,
    domainReads(() => d),
    () => now,
    s,
  );
  const reads = { n: 0 };
  const target = pd as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const k of READS) {
    const f = target[k]!.bind(pd);
    target[k] = (...a: unknown[]) => {
      reads.n++;
      return f(...a);
    };
  }
  const driver = new TransferDriver(new MemoryTransferStore(), undefined, undefined, null, null, {
    fullSweepEveryPasses: 1_000_000,
  });
  driver.addDomain(s);
  driver.addDomain(pd);
  const ends: string[] = [];
  driver.on('phase', (t: Transfer) => {
    if (t.phase === 'confirmed' || t.phase === 'failed' || t.phase === 'refunded') ends.push(t.id);
  });
  closers.push(() => {
    pd.close();
    rs.close();
    rd.close();
  });
  const settle = async () => {
    await bus.idle();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    s,
    d,
    pd,
    driver,
    reads,
    ends,
    settle,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('a driver pass with a peer observes what changed', () => {
  it('skips transfers waiting on a peer that did not move, observes them once it does, and ends each once', async () => {
    const p = await pair('skip');
    const wallet = new Wallet(p.s, 'peer-passes');
    const coins = [];
    for (let i = 0; i < 3; i++) coins.push(await wallet.mint(alice.publicKey, 4n));
    const hs: TransferHandle[] = [];
    for (const coin of coins)
      hs.push(await p.driver.transfer({ from: p.s, to: p.pd, resource: coin, owner: alice }));
    const phases = () => hs.map((h) => p.driver.get(h.id)?.phase);
    // S seals (D accepts its headers without sealing): every transfer gets to `rootSynced`, its
    // claim sent to D and pending there.
    for (let i = 0; i < 12 && phases().some((ph) => ph !== 'rootSynced'); i++) {
      await p.s.sealBlock();
      await p.settle();
      await p.driver.tick();
      await p.settle();
    }
    expect(phases()).toEqual(['rootSynced', 'rootSynced', 'rootSynced']);
    await p.driver.tick(); // the pass after a submission reads its answer
    await p.settle();
    expect(p.d.mempoolSize).toBe(3);

    // Nothing moved: passes read nothing of the peer.
    p.reads.n = 0;
    for (let i = 0; i < 4; i++) await p.driver.tick();
    expect(p.reads.n).toBe(0);
    // S seals and D confirms S's header: nothing a claim waits on (a block of D) moved.
    await p.s.sealBlock();
    await p.settle();
    await p.driver.tick();
    expect(p.reads.n).toBe(0);
    expect(phases()).toEqual(['rootSynced', 'rootSynced', 'rootSynced']);

    // D seals its claims and S accepts the header: the transfers are observed and move on.
    await p.d.sealBlock();
    await p.settle();
    expect(p.pd.committedHeight).toBe(p.d.committedHeight);
    await p.driver.tick();
    expect(p.reads.n).toBeGreaterThan(0);
    for (let i = 0; i < 12 && p.driver.activeCount() > 0; i++) {
      await p.s.sealBlock();
      await p.d.sealBlock();
      await p.settle();
      await p.driver.tick();
      await p.settle();
      p.advance(PEER_READ_CACHE_MS);
    }
    expect(phases()).toEqual(['confirmed', 'confirmed', 'confirmed']);
    expect(p.ends.sort()).toEqual(hs.map((h) => h.id).sort());
  });

  it('observes a transfer waiting on the peer again once PEER_READ_CACHE_MS passes, with nothing learnt', async () => {
    // D does not follow S: no confirmation of S's header is coming, only a read of D can tell
    // whether D accepted S's root.
    const p = await pair('time', false);
    const coin = await new Wallet(p.s, 'peer-passes-time').mint(alice.publicKey, 4n);
    const h = await p.driver.transfer({ from: p.s, to: p.pd, resource: coin, owner: alice });
    await p.s.sealBlock();
    await p.settle();
    await p.driver.tick();
    await p.driver.tick();
    expect(p.driver.get(h.id)?.phase).toBe('sourceCommitted');
    p.reads.n = 0;
    for (let i = 0; i < 3; i++) await p.driver.tick();
    expect(p.reads.n).toBe(0);
    p.advance(PEER_READ_CACHE_MS);
    await p.driver.tick();
    expect(p.reads.n).toBeGreaterThan(0);
    expect(p.driver.get(h.id)?.phase).toBe('sourceCommitted');
  });
});
