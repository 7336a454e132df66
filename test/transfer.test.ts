import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/crypto/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import {
  isTerminal,
  newTransfer,
  step,
  TRANSITIONS,
  type Transfer,
  type TransferEvent,
} from '../src/transfer/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { testNet } from './helpers/network.js';

describe('cross-domain transfers end to end', () => {
  it('moves a resource A -> B -> C -> A, each transfer confirmed exactly once', async () => {
    const t = await testNet(['ring-a', 'ring-b', 'ring-c']);
    const [a, b, c] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0], (typeof t.domains)[0]];
    const w = new Wallet(a, 'ring');
    const coin = await w.mint(alice.publicKey, 42n);
    let held = { ...coin };
    for (const [from, to] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const) {
      const h = await t.driver.transfer({ from, to, resource: held, owner: alice });
      await t.settle();
      const done = await h.done;
      expect(done.phase).toBe('confirmed');
      expect(done.history.map((x) => x.phase)).toEqual([
        'requested',
        'sourceCommitted',
        'rootSynced',
        'claimed',
        'confirmed',
      ]);
      // The landed resource is the claim's output on the destination: spendable there, and the
      // moved copy's nullifier is in the destination tree, the original's in the source tree.
      const rec = t.driver.list().find((x) => x.id === h.id)!;
      expect(rec.confirmedHeight).toBeGreaterThanOrEqual(rec.claimHeight!);
      expect(from.proveNullifier(nullifier(held.resource, held.nk)).value).not.toBeNull();
      const plan = (
        t.driver as unknown as {
          entries: Map<
            string,
            {
              rec: {
                plan: {
                  claim: {
                    actions: { created: { resource: unknown; value: Uint8Array; label: Uint8Array }[] }[];
                  };
                };
              };
            }
          >;
        }
      ).entries.get(h.id)!.rec.plan;
      const landed = plan.claim.actions[0]!.created[0]! as unknown as typeof held;
      expect(to.proveCommitment(commitment(landed.resource)).value).not.toBeNull();
      held = { ...landed, nk: held.nk };
    }
    t.net.close();
  });
});

describe('the transfer state machine', () => {
  const phases = ['requested', 'sourceCommitted', 'rootSynced', 'claimed', 'confirmed', 'failed', 'expired'];
  const source = {
    height: 3n,
    root: new Uint8Array(32),
    proof: { depth: 0, bitmap: new Uint8Array(0), siblings: [], terminal: { kind: 'empty' as const } },
  };
  const eventArb: fc.Arbitrary<TransferEvent> = fc.oneof(
    fc.record({
      e: fc.constant('moveIncluded' as const),
      height: fc.bigInt(1n, 9n),
      source: fc.constant(source),
      atMs: fc.bigInt(0n, 100n),
    }),
    fc.record({
      e: fc.constant('moveRefused' as const),
      code: fc.constant('NULLIFIER_SPENT'),
      reason: fc.constant('x'),
      atMs: fc.bigInt(0n, 100n),
    }),
    fc.record({
      e: fc.constant('sourceSynced' as const),
      height: fc.bigInt(0n, 12n),
      atMs: fc.bigInt(0n, 100n),
    }),
    fc.record({
      e: fc.constant('claimIncluded' as const),
      height: fc.bigInt(1n, 9n),
      atMs: fc.bigInt(0n, 100n),
    }),
    fc.record({ e: fc.constant('claimSeen' as const), height: fc.bigInt(1n, 9n), atMs: fc.bigInt(0n, 100n) }),
    fc.record({
      e: fc.constant('claimRefused' as const),
      code: fc.constant('WRONG_DOMAIN'),
      reason: fc.constant('x'),
      atMs: fc.bigInt(0n, 100n),
    }),
    fc.record({
      e: fc.constant('destSynced' as const),
      height: fc.bigInt(0n, 12n),
      atMs: fc.bigInt(0n, 100n),
    }),
    fc.record({ e: fc.constant('expire' as const), reason: fc.constant('late'), atMs: fc.bigInt(0n, 100n) }),
  );

  it('only ever makes the transitions in the diagram, whatever the order, duplicates or replays of facts', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 40 }),
        fc.array(fc.nat(5), { maxLength: 10 }),
        (events, crashes) => {
          let t: Transfer = newTransfer('x', new Uint8Array(32), new Uint8Array(32).fill(1), 0n, 50n);
          // A crash is a reload of the last persisted record: replay the same facts from there.
          const withCrashes: TransferEvent[] = [];
          for (const [i, ev] of events.entries()) {
            withCrashes.push(ev);
            if (crashes.includes(i % 6)) withCrashes.push(ev); // redelivered after a restart
          }
          for (const ev of withCrashes) {
            const next = step(t, ev);
            if (next !== t) {
              expect(TRANSITIONS.some(([f, e, to]) => f === t.phase && e === ev.e && to === next.phase)).toBe(
                true,
              );
              expect(phases).toContain(next.phase);
              expect(isTerminal(t)).toBe(false);
              if (next.phase === 'rootSynced')
                expect(next.syncedHeight!).toBeGreaterThanOrEqual(next.sourceHeight!);
              if (next.phase === 'confirmed')
                expect(next.confirmedHeight!).toBeGreaterThanOrEqual(next.claimHeight!);
            }
            t = next;
          }
          // History is the path walked: each consecutive pair is an edge of the diagram.
          for (let i = 1; i < t.history.length; i++) {
            const [p, q] = [t.history[i - 1]!.phase, t.history[i]!.phase];
            expect(TRANSITIONS.some(([f, , to]) => f === p && to === q)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps terminal phases terminal', () => {
    const done: Transfer = {
      ...newTransfer('x', new Uint8Array(32), new Uint8Array(32), 0n, 1n),
      phase: 'confirmed',
    };
    for (const e of [
      'moveIncluded',
      'moveRefused',
      'sourceSynced',
      'claimIncluded',
      'claimSeen',
      'claimRefused',
      'destSynced',
      'expire',
    ] as const) {
      expect(step(done, { e, atMs: 5n } as unknown as TransferEvent)).toBe(done);
    }
    void toHex;
  });
});
