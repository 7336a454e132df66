import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/crypto/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import {
  decodeTransferRecord,
  encodeTransferRecord,
  isTerminal,
  MemoryTransferStore,
  newTransfer,
  planTransfer,
  step,
  TRANSITIONS,
  type Transfer,
  type TransferEvent,
  withSourceProof,
} from '../src/transfer/index.js';
import { txId } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { testNet } from './helpers/network.js';
import { expectRingTransfers } from './helpers/scenarios.js';
import { seededRandom } from './support.js';

describe('cross-domain transfers end to end', () => {
  it('moves a resource A -> B -> C -> A, each transfer confirmed exactly once', async () => {
    const store = new MemoryTransferStore();
    const t = await testNet(['ring-a', 'ring-b', 'ring-c'], { store });
    await expectRingTransfers(t, store, 'ring');
    t.net.close();
  });
});

describe('the transfer state machine', () => {
  const phases = [
    'requested',
    'sourceCommitted',
    'rootSynced',
    'claimed',
    'confirmed',
    'failed',
    'expired',
    'refundable',
    'refunded',
  ];
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
    fc.record({
      e: fc.constant('deadlinePassed' as const),
      height: fc.bigInt(1n, 12n),
      atMs: fc.bigInt(0n, 100n),
    }),
    fc.record({
      e: fc.constant('refundIncluded' as const),
      height: fc.bigInt(1n, 12n),
      atMs: fc.bigInt(0n, 100n),
    }),
  );

  it('only ever makes the transitions in the diagram, whatever the order, duplicates or replays of facts', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 40 }),
        fc.array(fc.nat(5), { maxLength: 10 }),
        fc.boolean(),
        (events, crashes, withDeadline) => {
          const deadline = withDeadline ? 60n : undefined;
          let t: Transfer = newTransfer(
            'x',
            new Uint8Array(32),
            new Uint8Array(32).fill(1),
            0n,
            50n,
            deadline,
          );
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
              // Only a transfer with a deadline becomes refundable, and never once claimed.
              if (next.phase === 'refundable') {
                expect(t.deadlineMs).toBeDefined();
                expect(t.claimHeight).toBeUndefined();
              }
            }
            t = next;
          }
          // A refunded transfer was never claimed, and a claimed one never refunded.
          expect(t.phase === 'refunded' && t.claimHeight !== undefined).toBe(false);
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
      'deadlinePassed',
      'refundIncluded',
    ] as const) {
      expect(step(done, { e, atMs: 5n } as unknown as TransferEvent)).toBe(done);
    }
  });
});

describe('transfers over an unreliable transport', () => {
  for (const seed of [1, 2, 3]) {
    it(`every transfer ends confirmed exactly once and supply is conserved under loss, duplication and reordering (seed ${seed})`, async () => {
      const t = await testNet(['lossy-a', 'lossy-b', 'lossy-c'], {
        bus: { seed, dropProbability: 0.25, duplicateProbability: 0.25, minDelayMs: 0, maxDelayMs: 40 },
      });
      const wallets = t.domains.map((d) => new Wallet(d, `lossy-${seed}`));
      const coins = [];
      for (const [i, w] of wallets.entries()) {
        for (let k = 0; k < 3; k++)
          coins.push({ at: i, coin: await w.mint(alice.publicKey, BigInt(10 + k + 3 * i)) });
      }
      const supply = coins.reduce((n, c) => n + c.coin.resource.quantity, 0n);
      const handles = [];
      for (const [j, c] of coins.entries()) {
        const to = (c.at + 1 + (j % 2)) % 3;
        handles.push(
          await t.driver.transfer({
            from: t.domains[c.at]!,
            to: t.domains[to]!,
            resource: c.coin,
            owner: alice,
          }),
        );
      }
      await t.settle(120);
      const results = await Promise.all(handles.map((h) => h.done));
      expect(results.map((r) => r.phase)).toEqual(results.map(() => 'confirmed'));
      // Exactly once: each moved resource's nullifier is in its destination tree, and each landed
      // resource exists once; the total of what landed equals what was minted.
      let landedTotal = 0n;
      for (const h of handles) {
        const rec = (
          t.driver as unknown as {
            entries: Map<string, { rec: import('../src/transfer/index.js').TransferRecord }>;
          }
        ).entries.get(h.id)!.rec;
        const dest = t.domains.find((d) => toHex(d.id) === toHex(rec.transfer.to))!;
        expect(
          dest.proveNullifier(nullifier(rec.plan.moved.resource, rec.plan.moved.nk)).value,
        ).not.toBeNull();
        const landed = rec.plan.claim.actions[0]!.created[0]!;
        expect(dest.proveCommitment(commitment(landed.resource)).value).not.toBeNull();
        landedTotal += landed.resource.quantity;
      }
      expect(landedTotal).toBe(supply);
      expect(t.bus.stats().dropped + t.bus.stats().duplicated).toBeGreaterThan(0);
      t.net.close();
    });
  }
});

describe('a Byzantine domain cannot make honest domains accept anything false', () => {
  it('forged updates and equivocation are refused, its view frozen, and honest transfers go on', async () => {
    const { makeDomain, key } = await import('./helpers/domain.js');
    const { encodeRootUpdate, rootUpdateFromBlock } = await import('../src/sync/index.js');
    const evilKey = key('secp256k1', 'evil/operator');
    const evil = await makeDomain('evil', { signers: [evilKey] });
    const t = await testNet([], {
      domains: [await makeDomain('honest-a'), await makeDomain('honest-b'), evil],
    });
    const [a, b] = t.domains as [typeof evil, typeof evil];
    const refused: string[] = [];
    t.net.on('refused', (r) => refused.push(r.code));

    // 1. A forged update: evil's real block with its state root swapped, re-signed by nobody.
    const w = new Wallet(evil, 'evil');
    await w.mint(alice.publicKey, 5n);
    await t.bus.idle();
    const real = rootUpdateFromBlock(evil.block(1n)!, evil.header(1n)!);
    const { headerHash } = await import('../src/domain/index.js');
    const forgedHeader = {
      ...real.signed.header,
      height: 2n,
      prevHash: headerHash(real.signed.header),
      stateRoot: new Uint8Array(32).fill(6),
    };
    const forged = { ...real, signed: { header: forgedHeader, signatures: real.signed.signatures } };
    const attacker = t.bus.endpoint(evil.id);
    await attacker.send(a.id, { kind: 'rootUpdate', id: 'forged-1', body: encodeRootUpdate(forged) });
    await t.bus.idle();

    // 2. Equivocation: a fork of evil (same name and keys) signs a different block 2.
    const fork = await makeDomain('evil', { signers: [evilKey] });
    await new Wallet(fork, 'fork').mint(alice.publicKey, 6n); // fork height 1
    await new Wallet(evil, 'evil-2').mint(alice.publicKey, 7n); // evil height 2
    await t.bus.idle();
    const forkBlock = rootUpdateFromBlock(fork.block(1n)!, fork.header(1n)!);
    await attacker.send(b.id, { kind: 'rootUpdate', id: 'fork-1', body: encodeRootUpdate(forkBlock) });
    await t.bus.idle();
    expect(refused).toContain('BAD_SIGNATURES');
    expect(refused).toContain('EQUIVOCATION');
    expect(t.net.syncOf(b.id)!.view(evil.id)!.frozen).not.toBeNull();
    // The freeze reaches b's own state: evil's roots from the fork on are no longer anchors,
    // and no new header of evil is accepted.
    await b.sealBlock();
    expect(b.acceptsAnchor(evil.header(1n)!.header.stateRoot)).toBe(false);
    await expect(b.acceptRemoteHeader(evil.header(2n)!.header)).rejects.toMatchObject({
      code: 'VIEW_FROZEN',
    });
    expect(t.net.syncOf(a.id)!.view(b.id)!.frozen).toBeNull();

    // 3. Honest domains keep working with each other.
    const coin = await new Wallet(a, 'honest').mint(alice.publicKey, 9n);
    const h = await t.driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    await t.settle();
    expect((await h.done).phase).toBe('confirmed');

    // 4. A claim anchored on a root nobody accepted, and a spend of a resource homed elsewhere.
    const ghost = new Wallet(evil, 'ghost').coin(alice.publicKey, 3n);
    const claim = new Wallet(b, 'x').transferTx(
      { ...ghost, resource: { ...ghost.resource } },
      alice,
      alice.publicKey,
      3n,
      { network: true },
    );
    const anchored = {
      ...claim.tx,
      actions: [
        {
          ...claim.tx.actions[0]!,
          consumed: [
            {
              ...claim.tx.actions[0]!.consumed[0]!,
              commitmentProof: {
                anchor: new Uint8Array(32).fill(1),
                height: 1n,
                proof: {
                  depth: 0,
                  bitmap: new Uint8Array(0),
                  siblings: [],
                  terminal: { kind: 'member' as const },
                },
              },
            },
          ],
        },
      ],
    };
    expect((await b.submit(anchored)).status).toMatchObject({ status: 'rejected', code: 'WRONG_DOMAIN' });
    t.net.close();
  });
});

describe('transfers with receivers verifying in full mode', () => {
  it("confirms transfers when every receiver re-executes every block (claims anchor on the observer's own roots)", async () => {
    const t = await testNet(['full-a', 'full-b', 'full-c'], { mode: 'full' });
    const refused: string[] = [];
    t.net.on('refused', (r) => refused.push(`${r.code}: ${r.message}`));
    const [a, b, c] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0], (typeof t.domains)[0]];
    const w = new Wallet(a, 'full');
    const coins = [await w.mint(alice.publicKey, 5n), await w.mint(alice.publicKey, 6n)];
    const hs = [
      await t.driver.transfer({ from: a, to: b, resource: coins[0]!, owner: alice }),
      await t.driver.transfer({ from: a, to: c, resource: coins[1]!, owner: alice }),
    ];
    await t.settle();
    for (const h of hs) expect((await h.done).phase).toBe('confirmed');
    expect(refused).toEqual([]);
    t.net.close();
  });
});

describe('knowledge policies', () => {
  it('records direct knowledge as headers are accepted, and claims wait for the policy to hold', async () => {
    const { InProcessBus } = await import('../src/net/index.js');
    const { SyncRouter } = await import('../src/node/index.js');
    const { MemoryTransferStore, TransferDriver } = await import('../src/transfer/index.js');
    const { makeDomain } = await import('./helpers/domain.js');
    const a = await makeDomain('policy-a');
    const b = await makeDomain('policy-b');
    const bus = new InProcessBus();
    const net = new SyncRouter({ endpoint: (id) => bus.endpoint(id), announceEveryMs: 0 });
    net.join(a);
    net.join(b);
    // While the policy is not met, claims wait; the real graph decides once we let it.
    let open = false;
    const calls: boolean[] = [];
    const knowledge = {
      satisfies: (
        o: Uint8Array,
        s: Uint8Array,
        now: number,
        p: { maxIntermediaries: number; maxStalenessMs: number },
      ) => {
        const ok = open && net.knowledge.satisfies(o, s, now, p);
        calls.push(ok);
        return ok;
      },
    };
    const policy = { maxIntermediaries: 0, maxStalenessMs: 60_000 };
    const driver = new TransferDriver(new MemoryTransferStore(), () => BigInt(Date.now()), 600_000n, {
      knowledge,
      policy,
    });
    const coin = await new Wallet(a, 'policy').mint(alice.publicKey, 4n);
    await bus.idle();
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    const round = async () => {
      await a.sealBlock();
      await b.sealBlock();
      await bus.idle();
      await driver.tick();
    };
    for (let i = 0; i < 4; i++) await round();
    expect(h.current().phase).toBe('sourceCommitted');
    expect(net.knowledge.edge(b.id, a.id)).toBeDefined(); // b knows a directly
    expect(calls.length).toBeGreaterThan(0);
    open = true;
    for (let i = 0; i < 6 && driver.activeCount() > 0; i++) await round();
    expect((await h.done).phase).toBe('confirmed');
    net.close();
  });
});

describe('explained status', () => {
  it('says in data what each phase waits for, with the heights that decide it', async () => {
    const t = await testNet(['why-a', 'why-b']);
    const [a, b] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0]];
    const coin = await new Wallet(a, 'why').mint(alice.publicKey, 3n);
    await t.bus.idle();
    const h = await t.driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    expect(await t.driver.explain(h.id)).toMatchObject({ waitingFor: 'sourceCommit', moveStatus: 'pending' });
    // The move lands on a, but b has not heard of that block yet.
    await a.sealBlock();
    t.bus.partition(a.id, b.id);
    await t.bus.idle();
    await t.driver.tick();
    const w = (await t.driver.explain(h.id))!;
    expect(w).toMatchObject({
      waitingFor: 'sourceRootAtDestination',
      needHeight: a.committedHeight,
      destinationHasHeight: 1n,
    });
    expect(typeof (w as { lastUpdateAgeMs: bigint }).lastUpdateAgeMs).toBe('bigint');
    t.bus.heal(a.id, b.id);
    await t.settle();
    expect(await t.driver.explain(h.id)).toEqual({ waitingFor: null, phase: 'confirmed' });
    expect(await t.driver.explain('0xnope')).toBeUndefined();
    t.net.close();
  });
});

describe('the network under long gaps and junk', () => {
  it('fills a gap longer than one answer in several rounds, and reports messages that do not decode', async () => {
    const t = await testNet(['gap-a', 'gap-b']);
    const [a, b] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0]];
    const refused: string[] = [];
    t.net.on('refused', (r) => refused.push(r.code));
    t.bus.partition(a.id, b.id);
    for (let i = 0; i < 70; i++) await a.sealBlock();
    await t.bus.idle();
    t.bus.heal(a.id, b.id);
    for (let i = 0; i < 4 && (b.remoteHeader(a.id)?.height ?? 0n) < 70n; i++) {
      await t.net.announceAll();
      await t.bus.idle();
    }
    expect(b.remoteHeader(a.id)?.height).toBe(70n);
    expect(t.net.counters().gapRequests).toBeGreaterThanOrEqual(2); // 64 per answer at most
    await t.bus
      .endpoint(a.id)
      .send(b.id, { kind: 'rootUpdate', id: 'junk', body: new Uint8Array([1, 2, 3]) });
    await t.bus.idle();
    expect(refused).toContain('CODEC');
    t.net.close();
  });
});

describe('transfer records', () => {
  it('refuses a record of another format with a typed CODEC error', async () => {
    const { decodeTransferRecord } = await import('../src/transfer/index.js');
    const { WeftError } = await import('../src/crypto/index.js');
    for (const bytes of [new Uint8Array([9]), new Uint8Array([1, 0, 0, 0, 1])]) {
      expect(() => decodeTransferRecord(bytes)).toThrow(WeftError);
    }
  });
});

describe('a transfer planned and signed elsewhere', () => {
  it('is adopted by a driver that holds no key, and a plan that does not hold together is refused', async () => {
    const t = await testNet(['adopt-a', 'adopt-b']);
    const [a, b] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0]];
    const coin = await new Wallet(a, 'adopt').mint(alice.publicKey, 4n);
    await t.bus.idle();
    const plan = await planTransfer({ from: a, to: b, resource: coin, owner: alice });
    // A claim that consumes something else than what the move created.
    const other = await planTransfer({ from: a, to: b, resource: coin, owner: alice });
    const mixed = { ...plan, claim: other.claim };
    await expect(t.driver.adopt(mixed, a.id, b.id)).rejects.toMatchObject({ code: 'BAD_PLAN' });
    await expect(t.driver.adopt(plan, b.id, a.id)).rejects.toMatchObject({ code: 'BAD_PLAN' });
    // A refund that gives back something else than the moved resource.
    await expect(t.driver.adopt({ ...plan, refund: plan.move }, a.id, b.id)).rejects.toMatchObject({
      code: 'BAD_PLAN',
    });
    expect(t.driver.list()).toHaveLength(0);
    const h = await t.driver.adopt(plan, a.id, b.id);
    await t.settle();
    expect((await h.done).phase).toBe('confirmed');
    t.net.close();
  });
});

describe('transfer records', () => {
  it('round-trip every field, refund and deadline included, and refuse bytes that are not a record', async () => {
    const t = await testNet(['rec-a', 'rec-b']);
    const [a, b] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0]];
    const coin = await new Wallet(a, 'rec').mint(alice.publicKey, 2n);
    const plan = await planTransfer({ from: a, to: b, resource: coin, owner: alice });
    const transfer: Transfer = {
      ...newTransfer('0xab', a.id, b.id, 5n, 10n, 99n),
      phase: 'refunded',
      refundableHeight: 7n,
      refundHeight: 8n,
      failure: { code: 'LOGIC_REJECTED', reason: 'y' },
    };
    const rec = { transfer, plan: { ...plan, refund: plan.claim } };
    expect(decodeTransferRecord(encodeTransferRecord(rec))).toEqual(rec);
    const plain = { transfer: newTransfer('0xcd', a.id, b.id, 1n, 2n), plan };
    expect(decodeTransferRecord(encodeTransferRecord(plain))).toEqual(plain);
    const bytes = encodeTransferRecord(rec);
    expect(() => decodeTransferRecord(bytes.subarray(0, bytes.length - 1))).toThrow(
      expect.objectContaining({ code: 'CODEC' }),
    );
    t.net.close();
  });
});

describe('recovery from a freeze, seen from the transfers', () => {
  it('continues the transfer anchored before the fork and reports the one after it', async () => {
    const { makeDomain, key } = await import('./helpers/domain.js');
    const { encodeRootUpdate, rootUpdateFromBlock } = await import('../src/sync/index.js');
    const evilKey = key('secp256k1', 'rf/operator');
    const evil = await makeDomain('rf-evil', { signers: [evilKey] });
    const fork = await makeDomain('rf-evil', { signers: [evilKey] });
    const store = new MemoryTransferStore();
    const t = await testNet([], { domains: [await makeDomain('rf-b'), evil], store });
    const [b] = t.domains as [typeof evil];
    const refused: string[] = [];
    t.net.on('refused', (r) => refused.push(r.code));
    // Heights 1-3 are the same on both branches: a mint, the first move, another mint.
    const c1 = await new Wallet(evil, 'w').mint(alice.publicKey, 1n);
    await new Wallet(fork, 'w').mint(alice.publicKey, 1n);
    const pre = await t.driver.transfer({
      from: evil,
      to: b,
      resource: c1,
      owner: alice,
      random: seededRandom('pre'),
    });
    await fork.submit(store.list().find((r) => r.transfer.id === pre.id)!.plan.move);
    await evil.sealBlock();
    await fork.sealBlock();
    const c2 = await new Wallet(evil, 'w2').mint(alice.publicKey, 2n);
    await new Wallet(fork, 'w2').mint(alice.publicKey, 2n);
    expect(evil.header(3n)).toEqual(fork.header(3n));
    // Height 4 differs: the second move on one branch, another mint on the other.
    const post = await t.driver.transfer({
      from: evil,
      to: b,
      resource: c2,
      owner: alice,
      random: seededRandom('post'),
    });
    await evil.sealBlock();
    await new Wallet(fork, 'other').mint(alice.publicKey, 3n);
    await t.bus.idle();
    await t.net.announceAll();
    await t.bus.idle();
    await t.driver.tick();
    expect(b.remoteHeader(evil.id)!.height).toBe(4n);
    // The fork's block 4 reaches b: equivocation, b's view of evil frozen from 4.
    const attacker = t.bus.endpoint(evil.id);
    const body = encodeRootUpdate(rootUpdateFromBlock(fork.block(4n)!, fork.header(4n)!));
    await attacker.send(b.id, { kind: 'rootUpdate', id: 'rf-fork-4', body });
    await t.bus.idle();
    expect(refused).toContain('EQUIVOCATION');
    // The operator settles on the fork's block 4 as the trusted header.
    await expect(
      t.net.reinitializeRemote(b.id, fork.header(4n)!, fork.keySet, { by: 'ops@rf-b' }),
    ).resolves.toMatchObject({ forkHeight: 4n, height: 4n, by: 'ops@rf-b' });
    const report = t.driver.forkReport(b.id, evil.id, 4n);
    expect(report.affected.map((a) => a.id)).toEqual([post.id]);
    expect(report.affected[0]!.reason).toMatch(/at or after the fork at 4/);
    // A second re-initialisation is refused: the view is no longer frozen.
    await expect(
      t.net.reinitializeRemote(b.id, fork.header(4n)!, fork.keySet, { by: 'ops@rf-b' }),
    ).rejects.toMatchObject({ code: 'NOT_FROZEN' });
    // The transfer anchored before the fork lands; the one after it never gets an anchor.
    for (let i = 0; i < 30 && pre.current().phase !== 'confirmed'; i++) await t.round();
    expect(pre.current().phase).toBe('confirmed');
    expect(post.current().phase).toBe('rootSynced'); // its claim was evicted at the freeze, and has no anchor since
    expect(b.acceptsAnchor(evil.header(4n)!.header.stateRoot)).toBe(false);
    t.net.close();
  });
});

describe('a transfer whose claim comes too late', () => {
  it('is refunded by the driver on its own: the coin is back on the source, and the claim can never land', async () => {
    const store = new MemoryTransferStore();
    const t = await testNet(['late-a', 'late-b'], { store });
    const [a, b] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0]];
    const coin = await new Wallet(a, 'late').mint(alice.publicKey, 7n);
    await t.round();
    // A deadline b's clock has already passed: b refuses the claim, the source proves it and refunds.
    const deadline = b.header(b.committedHeight)!.header.timestamp;
    const h = await t.driver.transfer({ from: a, to: b, resource: coin, owner: alice, deadline });
    const seen: string[] = [];
    h.on((x) => seen.push(x.phase));
    await t.settle();
    const done = await h.done;
    expect(done.phase).toBe('refunded');
    expect(seen).toContain('refundable');
    expect(done.refundableHeight).toBeDefined();
    expect(await t.driver.explain(h.id)).toEqual({ waitingFor: null, phase: 'refunded' });
    const { plan } = store.list().find((r) => r.transfer.id === h.id)!;
    const nf = nullifier(plan.moved.resource, plan.moved.nk);
    // The claim, anchored on a's root b accepted, is refused by its own code: nf(r') is spent
    // on a and stays absent on b.
    const src = done.source!;
    const claim = withSourceProof(plan.claim, src);
    expect(b.acceptsAnchor(src.root)).toBe(true);
    expect((await b.submit(claim)).status).toMatchObject({ status: 'rejected', code: 'DEADLINE_PASSED' });
    expect(txId(claim)).toEqual(txId(plan.claim));
    expect(a.proveNullifier(nf).value).not.toBeNull();
    expect(b.proveNullifier(nf).value).toBeNull();
    // The refunded coin is on a, unspent, with the original quantity.
    const back = plan.refund!.actions[0]!.created[0]!;
    expect(back.resource.quantity).toBe(7n);
    expect(a.proveCommitment(commitment(back.resource)).value).not.toBeNull();
    // The refund, sent again, is the transaction already included (its id ignores the witness).
    const again = await a.submit(plan.refund!);
    expect(again.status).toMatchObject({ status: 'included', height: done.refundHeight });
    t.net.close();
  });
});
