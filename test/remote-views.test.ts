import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { equalBytes, signRecoverable, toHex } from '../src/crypto/index.js';
import {
  advanceView,
  apply,
  type DomainInput,
  decodeInput,
  decodeState,
  encodeInput,
  encodeKeySet,
  encodeSignedHeader,
  encodeState,
  freezeRemoteView,
  genesis,
  isRootUsable,
  isViewExpired,
  keySetChangeDigest,
  makeKeySet,
  newRemoteView,
  type RemoteView,
  rootsOf,
  type SignedHeader,
  signHeader,
  TRUSTING_PERIOD_MS_DEFAULT,
  verifyHeaderSignatures,
} from '../src/domain/index.js';
import { InProcessBus } from '../src/net/index.js';
import { SyncRouter } from '../src/node/index.js';
import { openDomainNode } from '../src/store/index.js';
import {
  acceptRootUpdate,
  acceptRootUpdates,
  freezeView,
  learnedFrom,
  makeEquivocationEvidence,
  type RootUpdate,
  trustRemote,
  vouchedRecords,
} from '../src/sync/index.js';
import { MemoryTransferStore, TransferDriver } from '../src/transfer/index.js';
import { alice, key, makeDomain, steppingClock, Wallet } from './helpers/domain.js';
import { peerOf } from './helpers/nodes.js';
import { claimOf, clockedDomain, ManualClock, move, movedNullifier } from './helpers/refund.js';
import { chain, updatesFrom } from './helpers/sync.js';
import { expectCode, seededRandom } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `weft-views-${name}-`));
  dirs.push(d);
  return d;
};

/** b (in memory) and a durable node `a` in `dir` that follows b as a peer, over one bus. */
async function pair(name: string, clock: () => bigint, trustingPeriodMs?: bigint) {
  const bus = new InProcessBus({});
  const b = await makeDomain(`${name}-b`);
  const routerB = new SyncRouter({ endpoint: (id) => bus.endpoint(id), announceEveryMs: 0 });
  await routerB.join(b);
  const dir = tmp(name);
  const signer = key('secp256k1', `${name}/a`);
  const open = async (create: boolean) => {
    const node = await openDomainNode(dir, {
      signers: [signer],
      ...(create ? { create: { name: `${name}-a`, genesisTimestamp: 1_700_000_000_000n } } : {}),
      clock: steppingClock(),
    });
    const router = new SyncRouter({
      endpoint: (id) => bus.endpoint(id),
      announceEveryMs: 0,
      // A mode other than the default, so the persisted view shows it is the router's own.
      mode: 'transition',
      clock,
      ...(trustingPeriodMs === undefined ? {} : { trustingPeriodMs }),
    });
    await router.join(node.domain);
    await router.addPeer(peerOf(b));
    return { node, router };
  };
  const first = await open(true);
  await routerB.addPeer(peerOf(first.node.domain));
  const sync = async () => {
    await routerB.announceAll();
    await bus.idle();
  };
  return { bus, b, routerB, open, first, sync };
}

describe('remote views persisted with the domain state', () => {
  it('a restarted node resumes its view of a peer instead of re-verifying it from genesis', async () => {
    const p = await pair('resume', () => 1_000n);
    const { b } = p;
    for (let i = 0; i < 5; i++) await b.sealBlock();
    await p.sync();
    const a1 = p.first.node.domain;
    expect(a1.remoteHeader(b.id)?.height).toBe(5n);
    expect(p.first.router.counters().verified).toBe(5);
    const before = a1.remoteView(b.id)!;
    expect(before.mode).toBe('transition');
    expect(before.head.signatures.length).toBeGreaterThan(0);
    p.first.router.close();
    await p.first.node.close();

    for (let i = 0; i < 3; i++) await b.sealBlock();
    const again = await p.open(false);
    const view = again.node.domain.remoteView(b.id)!;
    // The view came back whole: head with its signatures, key set, mode, window, time.
    expect(encodeSignedHeader(view.head)).toEqual(encodeSignedHeader(before.head));
    expect(encodeKeySet(view.keySet!)).toEqual(encodeKeySet(b.keySet));
    expect(view.mode).toBe('transition');
    expect([...view.recent.keys()]).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(view.advancedAtMs).toBe(1_000n);
    await p.sync();
    expect(again.node.domain.remoteHeader(b.id)?.height).toBe(8n);
    // Only the three new headers were verified (from genesis it would have been eight).
    expect(again.router.counters().verified).toBe(3);
    again.router.close();
    await again.node.close();
  });

  it('a view that did not advance within the trusting period across a restart is expired: the claim waits, explain says so, a newer header lifts it', async () => {
    // The driver's clock starts at the domains' (real) time, so the transfer's default deadline
    // (driver time + one hour) is still ahead of the destination's clock.
    const start = BigInt(Date.now());
    let now = start;
    const period = 10_000n;
    const p = await pair('expiry', () => now, period);
    const { b, bus } = p;
    const store = new MemoryTransferStore();
    const coin = await new Wallet(b, 'exp').mint(alice.publicKey, 4n);
    const driver1 = new TransferDriver(store, () => now, undefined, null, p.first.router.viewExpiry());
    driver1.addDomain(b);
    driver1.addDomain(p.first.node.domain);
    const h = await driver1.transfer({
      from: b,
      to: p.first.node.domain,
      resource: coin,
      owner: alice,
      random: seededRandom('exp'),
    });
    await driver1.idle();
    await b.sealBlock(); // the move
    await p.sync(); // a accepts it at `now`
    const moveHeight = b.committedHeight;
    expect(p.first.node.domain.remoteHeader(b.id)?.height).toBe(moveHeight);
    p.first.router.close();
    await p.first.node.close();

    // Down for longer than the trusting period; the view's time is persisted, so it is expired.
    now += period + 1n;
    const again = await p.open(false);
    const a = again.node.domain;
    expect(a.remoteView(b.id)!.advancedAtMs).toBe(start);
    expect(again.router.syncOf(a.id)!.expired(b.id)).toBe(true);
    const driver = new TransferDriver(store, () => now, undefined, null, again.router.viewExpiry());
    driver.addDomain(b);
    driver.addDomain(a);
    for (let i = 0; i < 3; i++) await driver.tick();
    expect(driver.get(h.id)!.phase).toBe('sourceCommitted');
    expect(await driver.explain(h.id)).toMatchObject({
      waitingFor: 'expiredView',
      advancedAtMs: start,
      trustingPeriodMs: period,
    });
    const wait = (await driver.explain(h.id)) as { domainId: Uint8Array; observer: Uint8Array };
    expect(equalBytes(wait.domainId, b.id) && equalBytes(wait.observer, a.id)).toBe(true);

    // A newer header arrives: the view advances, is no longer expired, and the transfer finishes.
    await b.sealBlock();
    await p.sync();
    expect(again.router.syncOf(a.id)!.expired(b.id)).toBe(false);
    for (let i = 0; i < 20 && driver.get(h.id)!.phase !== 'confirmed'; i++) {
      await driver.tick();
      await a.sealBlock();
      await b.sealBlock();
      await again.router.announceAll();
      await p.sync();
      await bus.idle();
    }
    expect(driver.get(h.id)!.phase).toBe('confirmed');
    again.router.close();
    await again.node.close();
  });

  it('expiry is a pure function of the view and the time passed in, with a documented default', async () => {
    const c = await chain('expiry-pure', 2);
    const view = trustRemote(c.domain.header(0n)!, c.domain.keySet, { atMs: 100n });
    expect(isViewExpired(view, 100n + 50n, 50n)).toBe(false);
    expect(isViewExpired(view, 100n + 51n, 50n)).toBe(true);
    const next = acceptRootUpdates(view, updatesFrom(c.domain, 1n), 'transition', { atMs: 500n }).view;
    expect(next.advancedAtMs).toBe(500n);
    expect(isViewExpired(next, 551n, 50n)).toBe(true);
    expect(isViewExpired(next, 550n, 50n)).toBe(false);
    expect(TRUSTING_PERIOD_MS_DEFAULT).toBe(14n * 24n * 60n * 60n * 1000n);
  });
});

describe('remote inputs and views in transcripts and checkpoints (state format 3)', () => {
  it('a trusted, accepted and frozen view round-trips through encodeState, and its inputs through encodeInput', async () => {
    const c = await chain('codec-views', 2);
    const d = c.domain;
    const env = { logics: (await import('../src/resource/index.js')).builtinRegistry() };
    const config = {
      name: 'observer',
      domainId: new Uint8Array(32).fill(7),
      batchTxsMax: 4,
      blockBatchesMax: 1,
      mempoolTxsMax: 10,
      anchorWindow: 4,
      mempoolTtlBlocks: 4,
      remoteRootsMax: 2,
    };
    const inputs: DomainInput[] = [
      { type: 'trustRemote', signed: d.header(0n)!, keySet: d.keySet, mode: 'full', name: 'src', atMs: 5n },
      {
        type: 'acceptRemoteHeader',
        header: d.header(1n)!.header,
        signatures: d.header(1n)!.signatures,
        keySet: d.keySet,
        mode: 'full',
        atMs: 6n,
      },
      {
        type: 'acceptRemoteHeader',
        header: d.header(2n)!.header,
        signatures: d.header(2n)!.signatures,
        atMs: 7n,
      },
    ];
    let s = genesis(config, c.domain.keySet, 1n);
    for (const input of inputs) {
      expect(decodeInput(encodeInput(input))).toEqual(input);
      s = apply(s, input, env).state;
    }
    // A freeze with equivocation evidence: a second header at height 2 signed by the same set.
    const other = { ...d.header(2n)!.header, timestamp: d.header(2n)!.header.timestamp + 1n };
    const forged = {
      header: other,
      signatures: signHeader(other, d.keySet, [key('secp256k1', 'codec-views/operator')]),
    };
    const evidence = makeEquivocationEvidence(d.header(2n)!, forged);
    const freeze: DomainInput = { type: 'freezeRemote', domainId: d.id, fromHeight: 2n, evidence };
    expect(decodeInput(encodeInput(freeze))).toEqual(freeze);
    s = apply(s, freeze, env).state;
    const view = s.remotes.get([...s.remotes.keys()][0]!)!;
    expect(view).toMatchObject({ name: 'src', mode: 'full', advancedAtMs: 7n, recentMax: 2 });
    expect([...view.recent.keys()]).toEqual([1n, 2n]); // the window is remoteRootsMax
    expect(view.frozen).toEqual({ fromHeight: 2n, evidence });
    const back = decodeState(encodeState(s));
    expect(back.remotes.get([...s.remotes.keys()][0]!)).toEqual(view);
    // The trust input checks the header's signatures itself, and refuses a second trust.
    const stranger = makeKeySet(1, [key('secp256k1', 'nobody').publicKey]);
    const s2 = genesis(config, c.domain.keySet, 1n);
    expectCode(
      () => apply(s2, { ...(inputs[0] as DomainInput & { type: 'trustRemote' }), keySet: stranger }, env),
      'BAD_SIGNATURES',
    );
    expectCode(() => apply(s, inputs[0]!, env), 'DUPLICATE_DOMAIN');
  });
});

describe('headers signed by a retired key set are not evidence of equivocation', () => {
  it('a conflicting header at a height the current set signed freezes; one the retired set signed does not', async () => {
    const op = key('secp256k1', 'retired/op');
    const next = key('secp256k1', 'retired/next');
    const d = await makeDomain('retired', { signers: [op, next] });
    expect(d.keySet.keys.length).toBe(2);
    await d.sealBlock(); // 1, signed by the genesis set
    // The genesis set hands over to a set of `next` alone, recorded at height 2.
    const newSet = makeKeySet(1, [next.publicKey]);
    const digest = keySetChangeDigest(d.id, d.committedHeight + 1n, newSet);
    const approvals = [op, next].map((k) => ({
      signer: d.keySet.keys.findIndex((x) => equalBytes(x.bytes, k.publicKey.bytes)),
      signature: signRecoverable(k, digest),
    }));
    const genesisSet = d.keySet;
    await d.changeKeySet(newSet, approvals);
    await d.sealBlock(); // 2: records the change, signed by the genesis set
    await d.sealBlock(); // 3: signed by the new set
    const view = trustRemote(d.header(0n)!, genesisSet);
    const conflicting = (h: bigint) => {
      const header = { ...d.header(h)!.header, timestamp: d.header(h)!.header.timestamp + 7n };
      return { header, signatures: signHeader(header, genesisSet, [op, next]) };
    };
    const junk = (signed: ReturnType<typeof conflicting>) => ({
      signed,
      writes: [],
      transition: { steps: [] },
    });
    // Before the change: the genesis set is in force, so its second header at 1 is evidence.
    const at1 = acceptRootUpdate(view, updatesFrom(d, 1n, 1n)[0]!, 'transition').view;
    expectCode(() => acceptRootUpdate(at1, junk(conflicting(1n)), 'signatures'), 'EQUIVOCATION');
    // After the change: the genesis set is retired; its keys signing another header at 1 (or at
    // 2, the height it signed last) prove nothing about the domain as it is now.
    const after = acceptRootUpdates(view, updatesFrom(d, 1n, 3n), 'transition').view;
    expect(after.keySet).toEqual(newSet);
    expectCode(() => acceptRootUpdate(after, junk(conflicting(1n)), 'signatures'), 'STALE_HEIGHT');
    expectCode(() => acceptRootUpdate(after, junk(conflicting(2n)), 'signatures'), 'STALE_HEIGHT');
    expectCode(
      () => freezeView(after, makeEquivocationEvidence(d.header(1n)!, conflicting(1n))),
      'BAD_EVIDENCE',
    );
    // The same evidence still freezes a view in which that set is in force.
    expect(freezeView(at1, makeEquivocationEvidence(d.header(1n)!, conflicting(1n))).frozen?.fromHeight).toBe(
      1n,
    );
  });
});

describe('what a block claims about others is checked in full mode (0x03 records backed)', () => {
  it('refuses a lying domain that invents a remote-header record, and believes only what it can vouch for', async () => {
    const x = await chain('liar-x', 1);
    const liarKey = key('secp256k1', 'liar-d/operator');
    const d = await makeDomain('liar-d', { signers: [liarKey] });
    // Honest part: d records x's real header 1 (signed), in its block 1.
    await d.acceptRemoteHeader(x.domain.header(1n)!);
    await d.sealBlock();
    // The lie: d's operator records an x header x never signed (signed by d's own key instead).
    const fake = { ...x.domain.header(1n)!.header, height: 2n, stateRoot: new Uint8Array(32).fill(0xee) };
    const fakeSigned = {
      header: fake,
      signatures: signHeader(fake, makeKeySet(1, [liarKey.publicKey]), [liarKey]),
    };
    await d.acceptRemoteHeader(fakeSigned);
    await d.sealBlock();
    const [u1, u2] = updatesFrom(d, 1n, 2n) as [RootUpdate, RootUpdate];
    expect(u1.remoteHeaders?.map((s) => s.header.height)).toEqual([1n]);
    // The verifier follows x: it vouches by x's key set.
    const xView = trustRemote(x.domain.header(0n)!, x.domain.keySet);
    const vouchFor = (sh: SignedHeader) =>
      equalBytes(sh.header.domain, x.domain.id) ? verifyHeaderSignatures(sh, xView.keySet!) : undefined;
    const view = trustRemote(d.header(0n)!, d.keySet);
    const at1 = acceptRootUpdate(view, u1, 'full', { vouchFor }).view;
    expect(vouchedRecords(u1, vouchFor).map((r) => r.height)).toEqual([1n]);
    // Backed by a header x's key set did not sign: refused.
    const signedBad = expectCode(
      () => acceptRootUpdate(at1, u2, 'full', { vouchFor }),
      'FULL_VALIDATION_FAILED',
    );
    expect(signedBad.shortMessage).toMatch(/did not sign/);
    expect(vouchedRecords(u2, vouchFor)).toEqual([]);
    // The record without its backing header, or with another header: refused too.
    const { remoteHeaders: _, ...stripped } = u2;
    const bare = expectCode(
      () => acceptRootUpdate(at1, stripped, 'full', { vouchFor }),
      'FULL_VALIDATION_FAILED',
    );
    expect(bare.shortMessage).toMatch(/without the signed header it names/);
    const swapped = { ...u2, remoteHeaders: [x.domain.header(1n)!] };
    const other = expectCode(
      () => acceptRootUpdate(at1, swapped, 'full', { vouchFor }),
      'FULL_VALIDATION_FAILED',
    );
    expect(other.shortMessage).toMatch(/without the signed header it names/);
    // An observer that does not follow x cannot check it: the record is accepted as d's claim, believed by nobody.
    const blind = () => undefined;
    expect(acceptRootUpdate(at1, u2, 'full', { vouchFor: blind }).view.head.header.height).toBe(2n);
    expect(vouchedRecords(u2, blind)).toEqual([]);
    // Transition mode does not look at records (it trusts the sender's execution).
    expect(acceptRootUpdate(at1, stripped, 'transition').view.head.header.height).toBe(2n);
  });
});

describe("a sender's anchors are checked against what the sender itself accepted (full mode)", () => {
  it('accepts a claim anchored on a root its domain recorded, and refuses one its domain never showed accepting, though the verifier knows it', async () => {
    const x = await makeDomain('anchor-x');
    const d = await makeDomain('anchor-d');
    const coin = await new Wallet(x, 'anc').mint(alice.publicKey, 3n);
    const m = await move(x, d, coin, undefined, seededRandom('anc'));
    await new Wallet(x, 'anc2').mint(alice.publicKey, 1n); // one more x header, with another root
    // d accepts x's headers (signed), up to one past the move, then takes the claim.
    for (let h = 1n; h <= x.committedHeight; h++) await d.acceptRemoteHeader(x.header(h)!);
    expect((await d.submit(claimOf(m, x))).status.status).toBe('pending');
    await d.sealBlock();
    const [u] = updatesFrom(d, 1n, 1n) as [RootUpdate];
    // The block records x's latest header; the move's header travels as its linked predecessor.
    const chainDown = Array.from(
      { length: Number(x.committedHeight) },
      (_, i) => x.committedHeight - BigInt(i),
    );
    expect(u.remoteHeaders!.map((s) => s.header.height)).toEqual(chainDown);
    expect(chainDown).toContain(m.moveHeight);
    // The verifier follows x itself, so it can vouch for x's headers — and it knows the move root.
    const xView = acceptRootUpdates(
      trustRemote(x.header(0n)!, x.keySet),
      updatesFrom(x, 1n),
      'transition',
    ).view;
    const vouchFor = (sh: SignedHeader) =>
      equalBytes(sh.header.domain, x.id) ? verifyHeaderSignatures(sh, xView.keySet!) : undefined;
    const dView = trustRemote(d.header(0n)!, d.keySet);
    const accepted = acceptRootUpdate(dView, u, 'full', { vouchFor }).view;
    expect([...accepted.knows.values()][0]!.has(m.moveHeight)).toBe(true);
    // Without the predecessor, nothing shows that d accepted the move's root: refused, although
    // the verifier's own view of x holds that very root.
    expect(xView.roots.has(toHex(x.header(m.moveHeight)!.header.stateRoot).slice(2))).toBe(true);
    const stripped = { ...u, remoteHeaders: u.remoteHeaders!.slice(0, 1) };
    const err = expectCode(
      () => acceptRootUpdate(dView, stripped, 'full', { vouchFor }),
      'FULL_VALIDATION_FAILED',
    );
    expect(err.shortMessage).toMatch(/UNKNOWN_ANCHOR/);
    // A header that links to no record is refused outright.
    const stray = { ...u, remoteHeaders: [...u.remoteHeaders!, x.header(m.moveHeight)!] }; // a second copy
    expect(
      expectCode(() => acceptRootUpdate(dView, stray, 'full', { vouchFor }), 'FULL_VALIDATION_FAILED')
        .shortMessage,
    ).toMatch(/backs none of its records/);
    // What d's block taught travels into d's record at the verifier's domain and survives a checkpoint.
    const learned = learnedFrom(u, vouchFor);
    expect(learned.map((l) => l.height)).toEqual(chainDown);
  });
});

describe('a sender teaches every header it accepted since its previous record (full mode)', () => {
  // weft sim --seed scan-33 --domains 3 --steps 200 --faults net: after a partition d1 caught up
  // 21 headers of d2 at once; its next block recorded the latest, and only 16 predecessors
  // travelled with it. A claim anchored on an older one of them (refused for its deadline, so
  // recorded as a refusal) was admitted by d1 against its own window, and every full-mode peer
  // refused that block: it had never been shown d1 accept the anchor.
  it('accepts a block whose claim and refusal anchor on a header caught up more than 16 headers before the record', async () => {
    const clock = new ManualClock();
    const x = await clockedDomain('teach-x', clock);
    const d = await clockedDomain('teach-d', clock);
    const wallet = new Wallet(x, 'teach');
    const late = await wallet.mint(alice.publicKey, 5n);
    const kept = await wallet.mint(alice.publicKey, 7n);
    // d accepts x's headers so far and records them (its first record of x).
    for (let h = 1n; h <= x.committedHeight; h++) await d.acceptRemoteHeader(x.header(h)!);
    clock.advance(1_000n);
    await d.sealBlock();
    const deadline = clock.ms + 5_000n;
    const expiring = await move(x, d, late, deadline, seededRandom('teach/late'));
    const open = await move(x, d, kept, undefined, seededRandom('teach/open'));
    // x seals 24 more blocks; d, cut off, then catches up all of them before its next block.
    for (let i = 0; i < 24; i++) {
      clock.advance(500n);
      await x.sealBlock();
    }
    const caught: bigint[] = [];
    for (let h = d.remoteHeader(x.id)!.height + 1n; h <= x.committedHeight; h++) {
      await d.acceptRemoteHeader(x.header(h)!);
      caught.push(h);
    }
    expect(caught.length).toBeGreaterThan(16);
    await d.sealBlock(); // d's clock now past the deadline: the next claim of `expiring` is refused
    expect((await d.submit(claimOf(expiring, x))).status).toMatchObject({
      status: 'rejected',
      code: 'DEADLINE_PASSED',
    });
    expect((await d.submit(claimOf(open, x))).status.status).toBe('pending');
    await d.sealBlock();
    expect(d.proveRefusal(movedNullifier(expiring)).value).not.toBeNull();
    // The verifier follows x itself (it vouches for x's headers) and d in full mode.
    const xView = acceptRootUpdates(
      trustRemote(x.header(0n)!, x.keySet),
      updatesFrom(x, 1n),
      'transition',
    ).view;
    const vouchFor = (sh: SignedHeader) =>
      equalBytes(sh.header.domain, x.id) ? verifyHeaderSignatures(sh, xView.keySet!) : undefined;
    const updates = updatesFrom(d, 1n);
    const dView = acceptRootUpdates(trustRemote(d.header(0n)!, d.keySet), updates, 'full', { vouchFor }).view;
    expect(dView.head.header.height).toBe(d.committedHeight);
    const known = [...dView.knows.values()][0]!;
    expect(known.has(expiring.moveHeight) && known.has(open.moveHeight)).toBe(true);
    // The block that records x's latest header carries every header d accepted since its previous
    // record, and no header taught before.
    const recording = updates[updates.length - 2]!;
    expect(recording.remoteHeaders!.map((s) => s.header.height)).toEqual([...caught].reverse());
  });
});

describe('the view window (property)', () => {
  it('keeps its anchors index equal to the window it holds, bounded, for any run of roots and window size', async () => {
    const fc = (await import('fast-check')).default;
    const c = await chain('prop-window', 1);
    const base = c.domain.header(1n)!;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 45 }),
        (recentMax, rootIds, forkAt) => {
          const root = (i: number) => new Uint8Array(32).fill(i + 1);
          const at = (h: bigint, i: number) => ({
            header: { ...base.header, height: h, stateRoot: root(i) },
            signatures: [],
          });
          let view = newRemoteView({
            signed: at(0n, rootIds[0]!),
            keySet: null,
            signedBy: null,
            mode: null,
            recentMax,
            atMs: 0n,
          });
          for (const [k, i] of rootIds.slice(1).entries()) {
            view = advanceView(view, at(BigInt(k + 1), i), {
              signedBy: null,
              keySet: null,
              mode: null,
              atMs: BigInt(k),
            });
          }
          expect(view.recent.size).toBeLessThanOrEqual(recentMax);
          expect([...view.roots].sort()).toEqual([...rootsOf(view.recent)].sort());
          // A root is usable iff the window holds it, and once frozen iff it first appears before the fork.
          const frozen = freezeRemoteView(view, { fromHeight: BigInt(forkAt), evidence: null });
          for (let i = 0; i < 4; i++) {
            const heights = [...view.recent.values()]
              .filter((r) => r.stateRoot[0] === i + 1)
              .map((r) => r.height);
            expect(isRootUsable(view, root(i))).toBe(heights.length > 0);
            expect(isRootUsable(frozen, root(i))).toBe(heights.length > 0 && heights[0]! < BigInt(forkAt));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('updates its anchors index as headers come and go exactly as rebuilding it from the window would, after every step', async () => {
    const fc = (await import('fast-check')).default;
    const c = await chain('prop-index', 1);
    const base = c.domain.header(1n)!;
    const root = (i: number) => new Uint8Array(32).fill(i + 1);
    const at = (h: bigint, i: number) => ({
      header: { ...base.header, height: h, stateRoot: root(i) },
      signatures: [],
    });
    const advance = (view: RemoteView, h: bigint, i: number) =>
      advanceView(view, at(h, i), { signedBy: null, keySet: null, mode: null, atMs: 0n });
    // A step: the next header (a gap of 0..2 heights above the head, 0 re-recording the head) with
    // one of a few roots (repeats at several heights), or a trim to the heights below a fork
    // followed by a header there, as a re-initialisation does.
    const stepArb = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({ gap: fc.integer({ min: 0, max: 2 }), root: fc.integer({ min: 0, max: 5 }) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ back: fc.integer({ min: 0, max: 8 }), root: fc.integer({ min: 0, max: 5 }) }),
      },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(stepArb, { minLength: 1, maxLength: 60 }),
        (recentMax, first, steps) => {
          let view = newRemoteView({
            signed: at(0n, first),
            keySet: null,
            signedBy: null,
            mode: null,
            recentMax,
            atMs: 0n,
          });
          for (const step of steps) {
            const head = view.head.header.height;
            if ('gap' in step) {
              view = advance(view, head + BigInt(step.gap), step.root);
            } else {
              const fork = head - BigInt(Math.min(step.back, Number(head)));
              const recent = new Map([...view.recent].filter(([h]) => h < fork));
              view = advance({ ...view, recent, roots: rootsOf(recent) }, fork, step.root);
            }
            expect(view.recent.size).toBeLessThanOrEqual(recentMax);
            expect(new Map([...view.roots].sort())).toEqual(new Map([...rootsOf(view.recent)].sort()));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
