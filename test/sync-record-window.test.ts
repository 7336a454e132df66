// A destination that catches up many of the source's headers at once records only the latest in
// its next block; its full-mode observers must still learn every header it accepted since its
// previous record, or a claim anchored low among them is unverifiable and its chain stalls at
// every observer (docs/sync.md, "Anchors and refund headers").
import { describe, expect, it } from 'vitest';
import { InProcessBus, type Transport } from '../src/net/index.js';
import { SyncRouter } from '../src/node/index.js';
import { MemoryTransferStore, TransferDriver } from '../src/transfer/index.js';
import { alice, makeDomain, Wallet } from './helpers/domain.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('the record window', () => {
  it('a claim anchored low in a long caught-up chain is accepted by full observers of the destination', async () => {
    const a = await makeDomain('rw-source');
    const b = await makeDomain('rw-dest');
    const c = await makeDomain('rw-observer');
    const bus = new InProcessBus({});
    // While `cut`, nothing from A reaches B: B falls behind A.
    let cut = false;
    const endpoint = (id: Uint8Array): Transport => {
      const net = bus.endpoint(id);
      return {
        send: (to, msg) =>
          cut && hex(id) === hex(a.id) && hex(to) === hex(b.id) ? Promise.resolve() : net.send(to, msg),
        subscribe: (self, handler) => net.subscribe(self, handler),
        close: () => net.close(),
      };
    };
    const router = new SyncRouter({ endpoint, announceEveryMs: 0, mode: 'full' });
    for (const d of [a, b, c]) await router.join(d);
    const refused: string[] = [];
    router.on('refused', (r) =>
      refused.push(`${hex(r.at).slice(0, 6)}<-${hex(r.from).slice(0, 6)} ${r.code}`),
    );
    const driver = new TransferDriver(new MemoryTransferStore());
    for (const d of [a, b, c]) driver.addDomain(d);
    const coin = await new Wallet(a, 'rw').mint(alice.publicKey, 9n);
    const round = async () => {
      for (const d of [a, b, c]) await d.sealBlock();
      await bus.idle();
      await router.announceAll();
      await bus.idle();
      await driver.tick();
    };
    await round();
    cut = true;
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    // The move lands on A; then A seals well past the window while B hears nothing.
    const behind = 26; // more than the 16 predecessors a record once carried
    for (let i = 0; i < behind; i++) await round();
    expect(b.remoteView(a.id)!.head.header.height).toBeLessThan(a.committedHeight - BigInt(behind) + 2n);
    cut = false;
    for (let i = 0; i < 20 && driver.activeCount() > 0; i++) await round();
    expect(h.current().phase).toBe('confirmed');
    // The observer (and the source) accepted every block of B, the claim's included.
    for (let i = 0; i < 2; i++) await round();
    expect(c.remoteView(b.id)!.head.header.height).toBe(b.committedHeight);
    expect(a.remoteView(b.id)!.head.header.height).toBe(b.committedHeight);
    expect(refused.filter((r) => r.includes('FULL_VALIDATION_FAILED'))).toEqual([]);
    router.close();
  });
});
