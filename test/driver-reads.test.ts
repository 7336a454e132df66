import { describe, expect, it } from 'vitest';
import type { Domain } from '../src/domain/index.js';
import { MemoryTransferStore, type TransferDomain, TransferDriver } from '../src/transfer/index.js';
import { txId } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { testNet } from './helpers/network.js';

/** `d` as the driver sees a domain in another process, with its reads counted. */
function counted(d: Domain) {
  const reads = { status: 0, proveNullifier: 0, proveRefusal: 0, remoteHeader: 0 };
  const view: TransferDomain = {
    id: d.id,
    get committedHeight() {
      return d.committedHeight;
    },
    submit: (tx) => d.submit(tx),
    status: async (id) => {
      reads.status++;
      return d.status(id);
    },
    proveCommitment: async (cm, h) => d.proveCommitment(cm, h),
    proveNullifier: async (nf, h) => {
      reads.proveNullifier++;
      return d.proveNullifier(nf, h);
    },
    proveRefusal: async (nf, h) => {
      reads.proveRefusal++;
      return d.proveRefusal(nf, h);
    },
    acceptsAnchor: async (root) => d.acceptsAnchor(root),
    remoteHeader: async (id) => {
      reads.remoteHeader++;
      return d.remoteHeader(id);
    },
  };
  return { view, reads };
}

/** Two domains and a driver whose view of the second counts its reads, with one transfer started a → b. */
async function transferToCounted(names: [string, string]) {
  const t = await testNet(names);
  const [a, b] = t.domains as [Domain, Domain];
  const { view, reads } = counted(b);
  const driver = new TransferDriver(new MemoryTransferStore());
  driver.addDomain(a);
  driver.addDomain(view);
  const coin = await new Wallet(a, 'reads').mint(alice.publicKey, 5n);
  const h = await driver.transfer({ from: a, to: view, resource: coin, owner: alice });
  return { t, a, b, reads, driver, h };
}

describe('what the driver reads of a destination', () => {
  it('reads only the claim status while the claim waits in the destination mempool, then confirms', async () => {
    const { t, a, b, reads, driver, h } = await transferToCounted(['reads-a', 'reads-b']);
    await a.sealBlock(); // the move
    await t.bus.idle();
    await b.sealBlock(); // b records a's header
    await t.bus.idle();
    await driver.tick();
    expect(driver.get(h.id)?.phase).toBe('rootSynced');
    // The driver submitted the claim; b has not sealed it yet.
    for (const k of Object.keys(reads)) reads[k as keyof typeof reads] = 0;
    for (let i = 0; i < 3; i++) await driver.tick();
    expect(driver.get(h.id)?.phase).toBe('rootSynced');
    expect(reads.status).toBeGreaterThan(0);
    expect(reads.proveNullifier).toBe(0);
    expect(reads.proveRefusal).toBe(0);
    // Once b seals the claim and a records b's header, the transfer confirms.
    await b.sealBlock();
    await t.bus.idle();
    await a.sealBlock();
    await driver.tick();
    expect(driver.get(h.id)?.phase).toBe('confirmed');
    t.net.close();
  });

  it('still reads the refusal while the root has not reached the destination', async () => {
    const { t, a, b, reads, driver, h } = await transferToCounted(['reads-c', 'reads-d']);
    await a.sealBlock(); // the move; b has not recorded a's header (b does not seal)
    await t.bus.idle();
    await b.sealBlock(); // b records a's header, ...
    await t.bus.idle();
    await a.sealBlock(); // ... and a records b's
    for (const k of Object.keys(reads)) reads[k as keyof typeof reads] = 0;
    // Root at b now, so the refusal is read by the claim's own observation, once.
    await driver.tick();
    expect(driver.get(h.id)?.phase).toBe('rootSynced');
    expect(reads.proveRefusal).toBe(1);
    t.net.close();
  });
});

describe('one pass of the driver', () => {
  it("steps, persists and acts for one transfer while another transfer's peer has not answered", async () => {
    const t = await testNet(['lane-a', 'lane-b', 'lane-c']);
    const [a, b, c] = t.domains as [Domain, Domain, Domain];
    // b's reads hang until released (once `gated`): a peer that is slow to answer.
    let gated = false;
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slowB: TransferDomain = {
      ...counted(b).view,
      id: b.id,
      committedHeight: b.committedHeight,
      remoteHeader: async (id) => {
        if (gated) await gate;
        return b.remoteHeader(id);
      },
    };
    const store = new MemoryTransferStore();
    const driver = new TransferDriver(store);
    driver.addDomain(a);
    driver.addDomain(slowB);
    driver.addDomain(c);
    const w = new Wallet(a, 'lanes');
    const toB = await driver.transfer({
      from: a,
      to: slowB,
      resource: await w.mint(alice.publicKey, 1n),
      owner: alice,
    });
    const toC = await driver.transfer({
      from: a,
      to: c,
      resource: await w.mint(alice.publicKey, 2n),
      owner: alice,
    });
    await a.sealBlock(); // both moves
    await t.bus.idle();
    await b.sealBlock();
    await c.sealBlock(); // b and c record a's header
    await t.bus.idle();
    gated = true;
    const claimed = new Promise<void>((resolve) => {
      driver.on('phase', (tr) => {
        if (tr.id === toC.id && tr.phase === 'rootSynced') resolve();
      });
    });
    let passDone = false;
    const pass = driver.tick().then(() => {
      passDone = true;
    });
    await claimed;
    // The transfer to c is synced, persisted and its claim submitted, while the pass still waits on b.
    expect(passDone).toBe(false);
    expect(store.get(toC.id)?.transfer.phase).toBe('rootSynced');
    await new Promise((r) => setImmediate(r));
    expect(c.status(txId(store.get(toC.id)!.plan.claim))?.status).toBe('pending');
    expect(driver.get(toB.id)?.phase).toBe('sourceCommitted');
    release();
    await pass;
    expect(driver.get(toB.id)?.phase).toBe('rootSynced');
    t.net.close();
  });
});
