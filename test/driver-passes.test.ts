// Driver passes proportional to what changed (docs/transfers.md, "Driver passes"): a pass observes
// a transfer only when something its phase waits on moved, and still every transfer ends once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Domain } from '../src/domain/index.js';
import {
  isTerminal,
  MemoryTransferStore,
  type Transfer,
  type TransferDomain,
  TransferDriver,
} from '../src/transfer/index.js';
import { alice, type Coin, Wallet } from './helpers/domain.js';
import { testNet } from './helpers/network.js';

type Reads = {
  status: number;
  proveCommitment: number;
  proveNullifier: number;
  proveRefusal: number;
  acceptsAnchor: number;
};

/** `d` as the driver sees it, every read that observes a transfer counted; its change count passes through. */
function counted(d: Domain): { view: TransferDomain; reads: Reads } {
  const reads: Reads = {
    status: 0,
    proveCommitment: 0,
    proveNullifier: 0,
    proveRefusal: 0,
    acceptsAnchor: 0,
  };
  const view: TransferDomain = {
    id: d.id,
    get committedHeight() {
      return d.committedHeight;
    },
    get changes() {
      return d.changes;
    },
    submit: (tx) => d.submit(tx),
    status: (id) => {
      reads.status++;
      return d.status(id);
    },
    proveCommitment: (cm, h) => {
      reads.proveCommitment++;
      return d.proveCommitment(cm, h);
    },
    proveNullifier: (nf, h) => {
      reads.proveNullifier++;
      return d.proveNullifier(nf, h);
    },
    proveRefusal: (nf, h) => {
      reads.proveRefusal++;
      return d.proveRefusal(nf, h);
    },
    acceptsAnchor: (root) => {
      reads.acceptsAnchor++;
      return d.acceptsAnchor(root);
    },
    remoteHeader: (id) => d.remoteHeader(id),
  };
  return { view, reads };
}

const total = (r: Reads) =>
  r.status + r.proveCommitment + r.proveNullifier + r.proveRefusal + r.acceptsAnchor;
const zero = (r: Reads) => {
  for (const k of Object.keys(r)) r[k as keyof Reads] = 0;
};

/** Three domains that follow each other, and a driver (no periodic sweep) over counted views of them. */
async function threeDomains(names: [string, string, string], fullSweepEveryPasses = 1_000_000) {
  const t = await testNet(names);
  const views = t.domains.map(counted);
  const driver = new TransferDriver(new MemoryTransferStore(), undefined, undefined, null, null, {
    fullSweepEveryPasses,
  });
  for (const v of views) driver.addDomain(v.view);
  const settle = async (domains: Domain[] = t.domains) => {
    for (let i = 0; i < 20 && driver.activeCount() > 0; i++) {
      for (const d of domains) await d.sealBlock();
      await t.bus.idle();
      await driver.tick();
    }
  };
  return { t, views, driver, settle };
}

describe('a driver pass observes what changed', () => {
  it('observes no transfer after the seal of a domain it does not involve, and each one once its domain seals', async () => {
    const { t, views, driver, settle } = await threeDomains(['passes-a', 'passes-b', 'passes-c']);
    const [a, b, c] = t.domains as [Domain, Domain, Domain];
    const [va, vb] = views as [(typeof views)[0], (typeof views)[0]];
    const w = new Wallet(a, 'passes');
    const coins: Coin[] = [];
    for (let i = 0; i < 3; i++) coins.push(await w.mint(alice.publicKey, BigInt(i + 1)));
    await t.bus.idle();
    const hs = await driver.transferMany(
      coins.map((coin) => ({ from: va.view, to: vb.view, resource: coin, owner: alice })),
    );
    await driver.idle();
    expect(hs.map((h) => h.current().phase)).toEqual(['requested', 'requested', 'requested']);

    // c seals (and a and b accept its header): nothing the three transfers wait on moved.
    zero(va.reads);
    zero(vb.reads);
    await c.sealBlock();
    await t.bus.idle();
    expect(a.remoteHeader(c.id)?.height).toBe(c.committedHeight);
    await driver.tick();
    expect(total(va.reads) + total(vb.reads)).toBe(0);
    expect(hs.map((h) => h.current().phase)).toEqual(['requested', 'requested', 'requested']);

    // a seals the moves (b accepts a's header as it comes): each transfer is observed (its
    // move's status read), steps on, and its claim is submitted to b.
    await a.sealBlock();
    await t.bus.idle();
    await driver.tick();
    expect(va.reads.status).toBeGreaterThanOrEqual(3);
    expect(hs.map((h) => h.current().phase)).toEqual(['rootSynced', 'rootSynced', 'rootSynced']);
    await driver.tick(); // reads the answers to the submissions: the claims wait in b's mempool
    expect(b.mempoolSize).toBe(3);

    // Waiting on b's block: c's seal (a and b accept its header) reads nothing again.
    zero(va.reads);
    zero(vb.reads);
    await c.sealBlock();
    await t.bus.idle();
    await driver.tick();
    expect(total(va.reads) + total(vb.reads)).toBe(0);
    expect(hs.map((h) => h.current().phase)).toEqual(['rootSynced', 'rootSynced', 'rootSynced']);

    // b seals the claims: observed, and (a accepting b's header as it comes) confirmed.
    await b.sealBlock();
    await t.bus.idle();
    await driver.tick();
    expect(vb.reads.status).toBeGreaterThanOrEqual(3);
    await settle();
    expect(hs.map((h) => h.current().phase)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    t.net.close();
  });

  it('still observes every transfer on the periodic sweep', async () => {
    const { t, views, driver } = await threeDomains(['sweep-a', 'sweep-b', 'sweep-c'], 2);
    const [a, , c] = t.domains as [Domain, Domain, Domain];
    const [va, vb] = views as [(typeof views)[0], (typeof views)[0]];
    const coin = await new Wallet(a, 'sweep').mint(alice.publicKey, 7n);
    await t.bus.idle();
    await driver.transfer({ from: va.view, to: vb.view, resource: coin, owner: alice });
    await driver.idle(); // pass 0: a sweep (the new transfer is observed anyway)
    zero(va.reads);
    await c.sealBlock();
    await t.bus.idle();
    await driver.tick(); // pass 1: not a sweep, and nothing the transfer waits on moved
    expect(va.reads.status).toBe(0);
    await driver.tick(); // pass 2: a sweep
    expect(va.reads.status).toBeGreaterThan(0);
    t.net.close();
  });

  it('over random starts and seals, every transfer reaches a terminal phase exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('start' as const),
              from: fc.nat(2),
              hop: fc.integer({ min: 1, max: 2 }),
            }),
            fc.record({ op: fc.constant('seal' as const), d: fc.nat(2) }),
            fc.record({ op: fc.constant('tick' as const) }),
          ),
          { minLength: 4, maxLength: 24 },
        ),
        fc.integer({ min: 1, max: 5 }),
        async (ops, sweepEvery) => {
          const run = `${Math.random().toString(36).slice(2, 8)}`;
          const { t, views, driver, settle } = await threeDomains(
            [`p-a-${run}`, `p-b-${run}`, `p-c-${run}`],
            sweepEvery,
          );
          const wallets = t.domains.map((d) => new Wallet(d, 'prop'));
          const ended = new Map<string, number>();
          driver.on('phase', (tr: Transfer) => {
            if (isTerminal(tr)) ended.set(tr.id, (ended.get(tr.id) ?? 0) + 1);
          });
          const ids: string[] = [];
          for (const o of ops) {
            if (o.op === 'start') {
              const coin = await wallets[o.from]!.mint(alice.publicKey, 1n);
              await t.bus.idle();
              const to = (o.from + o.hop) % 3;
              const h = await driver.transfer({
                from: views[o.from]!.view,
                to: views[to]!.view,
                resource: coin,
                owner: alice,
              });
              ids.push(h.id);
            } else if (o.op === 'seal') {
              await t.domains[o.d]!.sealBlock();
              await t.bus.idle();
            } else await driver.tick();
          }
          await settle();
          for (const id of ids) {
            expect(driver.get(id)?.phase).toBe('confirmed');
            expect(ended.get(id)).toBe(1);
          }
          expect(ended.size).toBe(ids.length);
          t.net.close();
        },
      ),
      { numRuns: 12 },
    );
  });
});
