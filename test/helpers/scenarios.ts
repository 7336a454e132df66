// Transfer scenarios run over more than one transport (the in-process bus, NATS JetStream): one
// body of assertions, so every transport is held to the same specification.
import { expect } from 'vitest';
import type { Domain } from '../../src/domain/index.js';
import { commitment, nullifier } from '../../src/resource/index.js';
import type { MemoryTransferStore, TransferDriver } from '../../src/transfer/index.js';
import { alice, type Coin, Wallet } from './domain.js';

/**
 * Moves one coin A -> B -> C -> A (the first three domains), settling after each: every transfer
 * walks the whole diagram once, the original's nullifier lands on the source, the claim's output
 * on the destination, and the quantity is kept. `store` is the driver's store (plans are read from it).
 */
export async function expectRingTransfers(
  t: { domains: Domain[]; driver: TransferDriver; settle(max?: number): Promise<number> },
  store: MemoryTransferStore,
  seed: string,
): Promise<void> {
  const [a, b, c] = t.domains as [Domain, Domain, Domain];
  let held: Coin = await new Wallet(a, seed).mint(alice.publicKey, 42n);
  for (const [from, to] of [
    [a, b],
    [b, c],
    [c, a],
  ] as const) {
    const h = await t.driver.transfer({ from, to, resource: held, owner: alice });
    const seen: string[] = [];
    const off = h.on((x) => seen.push(x.phase));
    await t.settle();
    off();
    expect(seen).toEqual(['sourceCommitted', 'rootSynced', 'claimed', 'confirmed']);
    const done = await h.done;
    expect(done.phase).toBe('confirmed');
    expect(done.history.map((x) => x.phase)).toEqual([
      'requested',
      'sourceCommitted',
      'rootSynced',
      'claimed',
      'confirmed',
    ]);
    expect(done.confirmedHeight).toBeGreaterThanOrEqual(done.claimHeight!);
    // The moved copy's nullifier is in the source tree; the claim's output is on the destination.
    expect(from.proveNullifier(nullifier(held.resource, held.nk)).value).not.toBeNull();
    const { plan } = store.list().find((r) => r.transfer.id === h.id)!;
    const landed = plan.claim.actions[0]!.created[0]!;
    expect(to.proveCommitment(commitment(landed.resource)).value).not.toBeNull();
    expect(landed.resource.quantity).toBe(42n);
    held = { ...landed, nk: held.nk };
  }
}
