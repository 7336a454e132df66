// The end-to-end transfer suite of transfer.test.ts, with root updates and confirmations going
// through a real nats-server (JetStream) instead of the in-process bus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../src/crypto/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { MemoryTransferStore, type TransferRecord } from '../src/transfer/index.js';
import { alice, Wallet } from './helpers/domain.js';
import {
  type NatsTestNet,
  natsTestNet,
  startTestNatsServer,
  type TestNatsServer,
  waitFor,
} from './helpers/natsNet.js';
import { expectRingTransfers } from './helpers/scenarios.js';

let server: TestNatsServer;
beforeAll(async () => {
  server = await startTestNatsServer();
});
afterAll(async () => {
  await server?.dispose();
});

type Coin = Awaited<ReturnType<Wallet['mint']>>;

function recordOf(t: NatsTestNet, id: string): TransferRecord {
  return (t.driver as unknown as { entries: Map<string, { rec: TransferRecord }> }).entries.get(id)!.rec;
}

/** Mints three coins on each domain and starts a transfer of each to another domain. */
async function startTransfers(t: NatsTestNet, seed: string) {
  const coins: { at: number; coin: Coin }[] = [];
  for (const [i, d] of t.domains.entries()) {
    const w = new Wallet(d, seed);
    for (let k = 0; k < 3; k++)
      coins.push({ at: i, coin: await w.mint(alice.publicKey, BigInt(10 + k + 3 * i)) });
  }
  const supply = coins.reduce((n, c) => n + c.coin.resource.quantity, 0n);
  const phases = new Map<string, string[]>();
  t.driver.on('phase', (x) => phases.set(x.id, [...(phases.get(x.id) ?? []), x.phase]));
  const handles = [];
  for (const [j, c] of coins.entries()) {
    const to = (c.at + 1 + (j % 2)) % 3;
    handles.push(
      await t.driver.transfer({ from: t.domains[c.at]!, to: t.domains[to]!, resource: c.coin, owner: alice }),
    );
  }
  return { handles, supply, phases };
}

/** Every transfer confirmed once, each moved nullifier and landed commitment on its destination, supply kept. */
async function expectAllConfirmedOnce(
  t: NatsTestNet,
  run: Awaited<ReturnType<typeof startTransfers>>,
): Promise<void> {
  const results = await Promise.all(run.handles.map((h) => h.done));
  expect(results.map((r) => r.phase)).toEqual(results.map(() => 'confirmed'));
  let landedTotal = 0n;
  for (const h of run.handles) {
    expect(run.phases.get(h.id)!.filter((p) => p === 'confirmed')).toHaveLength(1);
    const rec = recordOf(t, h.id);
    expect(rec.transfer.history.map((x) => x.phase)).toEqual([
      'requested',
      'sourceCommitted',
      'rootSynced',
      'claimed',
      'confirmed',
    ]);
    const dest = t.domains.find((d) => toHex(d.id) === toHex(rec.transfer.to))!;
    expect(dest.proveNullifier(nullifier(rec.plan.moved.resource, rec.plan.moved.nk)).value).not.toBeNull();
    const landed = rec.plan.claim.actions[0]!.created[0]!;
    expect(dest.proveCommitment(commitment(landed.resource)).value).not.toBeNull();
    landedTotal += landed.resource.quantity;
  }
  expect(landedTotal).toBe(run.supply);
}

describe('cross-domain transfers over NATS JetStream', () => {
  it('moves a resource A -> B -> C -> A, each transfer confirmed exactly once', async () => {
    const store = new MemoryTransferStore();
    const t = await natsTestNet(['nring-a', 'nring-b', 'nring-c'], {
      servers: server.url,
      tag: 'ring',
      store,
    });
    await expectRingTransfers(t, store, 'nats-ring');
    // Every root update crossed NATS: nothing was refused, nothing lost, nothing malformed.
    expect(t.nats.stats()).toMatchObject({ outbox: 0, dropped: 0, malformed: 0, handlerErrors: 0 });
    expect(t.nats.stats().published).toBeGreaterThan(0);
    await t.close();
  });

  it('confirms every transfer exactly once and conserves supply, three domains both ways', async () => {
    const t = await natsTestNet(['nmany-a', 'nmany-b', 'nmany-c'], { servers: server.url, tag: 'many' });
    const run = await startTransfers(t, 'nats-many');
    await t.settle(120);
    await expectAllConfirmedOnce(t, run);
    await t.close();
  });

  it('loses nothing when nats-server restarts in the middle of the transfers', async () => {
    const t = await natsTestNet(['nrestart-a', 'nrestart-b', 'nrestart-c'], {
      servers: server.url,
      tag: 'restart',
    });
    const run = await startTransfers(t, 'nats-restart');
    await t.round(); // the moves are committed and announced
    const before = run.handles.map((h) => h.current().phase);
    expect(before.every((p) => p !== 'confirmed')).toBe(true);

    await server.stop();
    await waitFor(() => !t.nats.stats().connected, 'the client to notice the outage');
    // Sync pauses: blocks are sealed and announced into the outbox, the driver keeps going on
    // what each domain already knows.
    for (let i = 0; i < 2; i++) {
      for (const d of t.domains) await d.sealBlock();
      await t.driver.tick();
    }
    expect(t.nats.stats().outbox).toBeGreaterThan(0);
    // Claims landed on their destinations, but no source can hear of them: nothing confirms.
    const during = run.handles.map((h) => h.current().phase);
    expect(during).toContain('claimed');
    expect(during.every((p) => p !== 'confirmed')).toBe(true);

    await server.restart();
    await t.settle(120);
    await expectAllConfirmedOnce(t, run);
    expect(t.nats.stats()).toMatchObject({ outbox: 0, dropped: 0 });
    expect(t.nats.stats().reconnects).toBeGreaterThanOrEqual(1);
    await t.close();
  });
});
