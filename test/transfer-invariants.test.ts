import { describe, expect, it, vi } from 'vitest';
import {
  assertTransition,
  newTransfer,
  step,
  type Transfer,
  type TransferEvent,
  type TransferPhase,
} from '../src/transfer/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { testNet } from './helpers/network.js';

// Fault injection: `step` stays the real one unless a test forces a transition the machine
// never makes, to show the driver's own check stops it.
vi.mock('../src/transfer/machine.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/transfer/machine.js')>();
  return { ...real, step: vi.fn(real.step) };
});

const A = new Uint8Array(32).fill(0xa);
const B = new Uint8Array(32).fill(0xb);

/** `t` moved to `phase` by hand, history and all: a transition no one checked. */
function forced(t: Transfer, phase: TransferPhase, extra: Partial<Transfer> = {}): Transfer {
  return { ...t, ...extra, phase, updatedAtMs: 9n, history: [...t.history, { phase, atMs: 9n }] };
}

/** A transfer walked through the real machine along `events`. */
function walked(events: TransferEvent[], deadline?: bigint): Transfer {
  let t = newTransfer('0x01', A, B, 0n, 100n, deadline);
  for (const ev of events) t = step(t, ev);
  return t;
}

const source = {
  height: 3n,
  root: new Uint8Array(32),
  proof: { depth: 0, bitmap: new Uint8Array(0), siblings: [], terminal: { kind: 'empty' as const } },
};
const moved: TransferEvent = { e: 'moveIncluded', height: 3n, source, atMs: 1n };
const synced: TransferEvent = { e: 'sourceSynced', height: 3n, atMs: 2n };
const claimed: TransferEvent = { e: 'claimIncluded', height: 5n, atMs: 3n };
const confirmed: TransferEvent = { e: 'destSynced', height: 6n, atMs: 4n };

describe('transfer machine invariants', () => {
  it('hold on every transition the machine makes (the property test in transfer.test.ts walks random facts)', () => {
    const t = walked([moved, synced, claimed, confirmed]);
    expect(t.phase).toBe('confirmed');
    expect(t.history.map((h) => h.phase)).toEqual([
      'requested',
      'sourceCommitted',
      'rootSynced',
      'claimed',
      'confirmed',
    ]);
  });

  it('refuse to leave a terminal phase', () => {
    const done = walked([moved, synced, claimed, confirmed]);
    expect(() => assertTransition(done, 'claimIncluded', forced(done, 'claimed'))).toThrow(
      /confirmed --claimIncluded--> claimed leaves a terminal phase/,
    );
    const refunded = forced(walked([moved], 50n), 'refunded');
    expect(() => assertTransition(refunded, 'moveIncluded', forced(refunded, 'sourceCommitted'))).toThrow(
      /leaves a terminal phase/,
    );
  });

  it('refuse a transition that is not an edge of the diagram', () => {
    const t = walked([]);
    expect(() => assertTransition(t, 'destSynced', forced(t, 'confirmed'))).toThrow(
      /requested --destSynced--> confirmed is not an edge of the machine/,
    );
    // The right phases under the wrong fact are no edge either.
    expect(() => assertTransition(t, 'expire', forced(t, 'sourceCommitted'))).toThrow(/is not an edge/);
  });

  it("refuse a change of the transfer's identity", () => {
    const t = walked([]);
    expect(() => assertTransition(t, 'moveIncluded', forced(t, 'sourceCommitted', { id: '0x02' }))).toThrow(
      /changes the transfer's identity/,
    );
    expect(() => assertTransition(t, 'moveIncluded', forced(t, 'sourceCommitted', { to: A }))).toThrow(
      /changes the transfer's identity/,
    );
  });

  it('refuse a history that does not record exactly the phase reached', () => {
    const t = walked([]);
    const skipped = { ...forced(t, 'sourceCommitted'), history: t.history };
    expect(() => assertTransition(t, 'moveIncluded', skipped)).toThrow(/in its history/);
    const wrong = { ...skipped, history: [...t.history, { phase: 'rootSynced' as const, atMs: 9n }] };
    expect(() => assertTransition(t, 'moveIncluded', wrong)).toThrow(/in its history/);
  });

  it('refuse a transfer both claimed and refunded', () => {
    const refundable = walked([moved, { e: 'deadlinePassed', height: 4n, atMs: 2n }], 50n);
    expect(refundable.phase).toBe('refundable');
    // A refund along the right edge, of a transfer whose record says it was claimed too.
    expect(() =>
      assertTransition(
        refundable,
        'refundIncluded',
        forced(refundable, 'refunded', { claimHeight: 5n, refundHeight: 6n }),
      ),
    ).toThrow(/both claimed and refunded/);
    const claimedBefore: Transfer = {
      ...refundable,
      history: [...refundable.history, { phase: 'claimed', atMs: 3n }, { phase: 'refundable', atMs: 3n }],
    };
    expect(() =>
      assertTransition(
        claimedBefore,
        'refundIncluded',
        forced(claimedBefore, 'refunded', { refundHeight: 6n }),
      ),
    ).toThrow(/both claimed and refunded/);
  });
});

describe('transfer driver invariants', () => {
  it('stops the driver on a transition off the diagram, before it is persisted or reported', async () => {
    const t = await testNet(['inv-a', 'inv-b']);
    const [a, b] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0]];
    const coin = await new Wallet(a, 'inv').mint(alice.publicKey, 3n);
    await t.bus.idle();
    const errors: Error[] = [];
    const phases: TransferPhase[] = [];
    t.driver.on('error', (e) => errors.push(e));
    t.driver.on('phase', (x) => phases.push(x.phase));
    const h = await t.driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    // A machine that jumps from requested straight to confirmed once the move is included.
    const real = vi.mocked(step).getMockImplementation()!;
    vi.mocked(step).mockImplementation((x, ev) =>
      ev.e === 'moveIncluded' ? forced(x, 'confirmed', { updatedAtMs: ev.atMs }) : real(x, ev),
    );
    try {
      await expect(t.round()).rejects.toThrow(/requested --moveIncluded--> confirmed is not an edge/);
      // Stopped: the next pass does not run past it either.
      await expect(t.driver.tick()).rejects.toThrow(/is not an edge/);
    } finally {
      vi.mocked(step).mockImplementation(real);
    }
    expect(errors).toEqual([]);
    expect(phases).toEqual(['requested']);
    expect(h.current().phase).toBe('requested');
    t.net.close();
  });
});
