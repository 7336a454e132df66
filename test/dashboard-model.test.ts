// The dashboard's model (web/src/model.ts) without a browser: what it derives from the nodes'
// reads and events — phase counts, newest-first order, lags, alerts — against a naive model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvidence } from '../web/src/evidence.js';
import { Model } from '../web/src/model.js';
import { PHASES, type TransferJson, type TransferPhase } from '../web/src/wire.js';

const hex32 = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const A = hex32(0xa);
const B = hex32(0xb);

function transfer(
  id: number,
  phase: TransferPhase,
  step: number,
  extra: Partial<TransferJson> = {},
): TransferJson {
  const history = Array.from({ length: step + 1 }, (_, i) => ({
    phase: i === step ? phase : 'requested',
    atMs: String(1000 + i),
  })) as TransferJson['history'];
  return {
    id: hex32(id),
    from: A,
    to: B,
    phase,
    createdAtMs: String(1000 + id),
    updatedAtMs: String(1000 + id + step),
    expiresAtMs: '999999',
    sourceHeight: null,
    source: null,
    syncedHeight: null,
    claimHeight: null,
    confirmedHeight: null,
    deadlineMs: null,
    refundableHeight: null,
    refundHeight: null,
    failure: null,
    history,
    ...extra,
  };
}

describe('the dashboard model', () => {
  it('keeps the counts by phase equal to the transfers it holds, whatever order updates come in', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 1, max: 30 }),
            phase: fc.constantFrom(...PHASES),
            step: fc.integer({ min: 0, max: 5 }),
          }),
          {
            maxLength: 200,
          },
        ),
        (updates) => {
          const m = new Model(() => 0);
          const naive = new Map<string, { phase: TransferPhase; step: number; updated: number }>();
          for (const u of updates) {
            const t = transfer(u.id, u.phase, u.step);
            m.applyTransfer(t);
            const old = naive.get(t.id);
            const updated = Number(t.updatedAtMs);
            // A copy that moved on less far is older news (both ends report each transfer).
            if (!old || (old.step <= u.step && old.updated <= updated))
              naive.set(t.id, { phase: u.phase, step: u.step, updated });
          }
          const want = Object.fromEntries(PHASES.map((p) => [p, 0]));
          for (const v of naive.values()) want[v.phase]!++;
          expect(m.counts).toEqual(want);
          expect(m.transfers.size).toBe(naive.size);
          const order = m.transferOrder();
          expect(order).toHaveLength(naive.size);
          for (let i = 1; i < order.length; i++)
            expect(Number(m.transfers.get(order[i - 1]!)!.createdAtMs)).toBeGreaterThanOrEqual(
              Number(m.transfers.get(order[i]!)!.createdAtMs),
            );
        },
      ),
    );
  });

  it('measures a sync edge: heights behind the remote tip and time since the last accepted header', () => {
    let now = 10_000;
    const m = new Model(() => now);
    m.applyInfo('http://a', { name: 'a', domainId: A, committedHeight: '3', provenHeight: '3', mempool: 0 });
    m.applyBlockSealed(B, { height: '12', headerHash: A, stateRoot: A, timestamp: '9000', txCount: 2 });
    m.applyRemoteAccepted(A, { domainId: B, height: '9', headerHash: B });
    now += 1_500;
    const v = m.view(A, B);
    expect(m.lagHeights(v)).toBe(3);
    expect(m.lagMs(v)).toBe(1_500);
    expect(m.stale(v)).toBe(false);
    now += 20_000;
    expect(m.stale(v)).toBe(true);
  });

  it('raises an equivocation alert and freezes the edge once, with the refusal kept as evidence', () => {
    const m = new Model(() => 0);
    m.applyRefused(A, { from: B, code: 'EQUIVOCATION', message: 'two headers at height 4' });
    m.applyRemotes(A, [
      { domainId: B, name: 'b', head: null, recorded: null, frozen: true, frozenFromHeight: '4' },
    ]);
    expect(m.alerts.map((a) => a.kind).sort()).toEqual(['equivocation', 'frozen']);
    const v = m.view(A, B);
    expect(v.frozen).toBe(true);
    expect(v.frozenFromHeight).toBe('4');
    expect(v.refusals.map((r) => r.code)).toEqual(['EQUIVOCATION']);
    // A refusal that is not a freeze is an alert of its own kind, and freezes nothing.
    m.applyRefused(B, { from: A, code: 'BAD_SIGNATURES', message: 'x' });
    expect(m.view(B, A).frozen).toBe(false);
    expect(m.alerts[0]!.kind).toBe('refused');
    // The same refusal again (a peer re-announcing) counts up instead of flooding the list.
    m.applyRefused(B, { from: A, code: 'BAD_SIGNATURES', message: 'x' });
    expect(m.alerts).toHaveLength(3);
    expect(m.alerts[0]!.count).toBe(2);
    expect(m.view(B, A).refusals).toEqual([expect.objectContaining({ code: 'BAD_SIGNATURES', count: 2 })]);
  });

  it('tells a refused claim from a failed move, and alerts refunds', () => {
    const m = new Model(() => 0);
    const failure = { code: 'DEADLINE_PASSED' as const, reason: 'late' };
    m.applyTransfer({
      ...transfer(1, 'failed', 3, { failure }),
      history: [
        { phase: 'requested', atMs: '1' },
        { phase: 'sourceCommitted', atMs: '2' },
        { phase: 'rootSynced', atMs: '3' },
        { phase: 'failed', atMs: '4' },
      ],
    });
    m.applyTransfer({ ...transfer(2, 'failed', 1, { failure }) });
    m.applyTransfer(transfer(3, 'refunded', 4));
    expect(m.alerts.map((a) => a.kind).sort()).toEqual(['claimRefused', 'failed', 'refund']);
  });

  it('counts blocks per second over the recent blocks of a domain', () => {
    const m = new Model(() => 0);
    for (let h = 1; h <= 21; h++)
      m.applyBlockSealed(A, {
        height: String(h),
        headerHash: A,
        stateRoot: A,
        timestamp: String(h * 500),
        txCount: h,
      });
    expect(m.blocksPerSecond(m.domain(A))).toBeCloseTo(2, 5);
    // A repeated or older block is not counted twice.
    m.applyBlockSealed(A, { height: '21', headerHash: A, stateRoot: A, timestamp: '10500', txCount: 1 });
    expect(m.domain(A).blocks).toHaveLength(21);
  });
});

describe("the list's explained status", () => {
  it('names what the driver says each phase waits for', async () => {
    const { testNet } = await import('./helpers/network.js');
    const { Wallet, alice } = await import('./helpers/domain.js');
    const { WAITS_FOR } = await import('../web/src/waits.js');
    const t = await testNet(['wait-a', 'wait-b']);
    const [a, b] = t.domains as [never, never];
    const coin = await new Wallet(a, 'wait').mint(alice.publicKey, 5n);
    const seen: [string, string | null][] = [];
    const h = await t.driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    const check = async () => {
      const phase = h.current().phase;
      const wait = await t.driver.explain(h.id);
      seen.push([phase, wait?.waitingFor ?? null]);
      expect(wait?.waitingFor ?? null).toBe(WAITS_FOR[phase]!.waitingFor);
    };
    await check();
    for (let i = 0; i < 20 && h.current().phase !== 'confirmed'; i++) {
      await t.round();
      await check();
    }
    expect(h.current().phase).toBe('confirmed');
    expect(new Set(seen.map(([p]) => p)).size).toBeGreaterThanOrEqual(3);
  });
});

describe('the evidence checks the page runs (web/src/evidence.ts)', () => {
  const header = (over: Partial<Record<string, string>> = {}) => ({
    header: {
      domain: A,
      height: '7',
      prevHash: hex32(1),
      stateRoot: hex32(2),
      txRoot: hex32(3),
      timestamp: '1000',
      ...over,
    },
    headerHash: over.headerHash ?? hex32(0x100),
    signatures: [{ signer: 0, signature: `0x${'11'.repeat(65)}` }],
  });
  const pair = { first: header(), second: header({ stateRoot: hex32(9), headerHash: hex32(0x200) }) };

  it('takes two different signed headers of one domain at one height as evidence', () => {
    const v = checkEvidence(pair, A);
    expect(v.ok).toBe(true);
    expect(v.height).toBe('7');
    expect(v.differ).toEqual(['stateRoot']);
  });

  it('refuses a pair that is not evidence', () => {
    const cases: [string, typeof pair, string][] = [
      ['another domain', pair, B],
      ['two heights', { ...pair, second: header({ height: '8', headerHash: hex32(0x200) }) }, A],
      ['one header twice', { ...pair, second: header({ headerHash: hex32(0x100).toUpperCase() }) }, A],
      ['unsigned', { ...pair, second: { ...pair.second, signatures: [] } }, A],
      ['a header of another domain', { ...pair, first: header({ domain: B }) }, A],
    ];
    for (const [what, p, domain] of cases) {
      const v = checkEvidence(p, domain);
      expect(v.ok, what).toBe(false);
      expect(
        v.checks.some((c) => !c.ok),
        what,
      ).toBe(true);
    }
  });
});
