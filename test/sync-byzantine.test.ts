// A Byzantine domain: its operator holds the signing key and forges blocks on a replica of its
// tree, with transition proofs that really verify. Whatever it signs, an honest view never
// accepts something false for the mode it verifies in, and other domains go on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, signRecoverable, WeftError } from '../src/crypto/index.js';
import { headerHash } from '../src/domain/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import {
  acceptRootUpdate,
  acceptRootUpdates,
  decodeEquivocationEvidence,
  decodeRootUpdate,
  EquivocationError,
  encodeEquivocationEvidence,
  encodeRootUpdate,
  exclusionsOf,
  freezeView,
  isAnchorUsable,
  LightClient,
  makeEquivocationEvidence,
  type RemoteView,
  type RootUpdate,
  trustRemote,
  type VerificationMode,
  verifyEquivocation,
} from '../src/sync/index.js';
import { commitmentKey, encodeHeight, nullifierKey, type Transaction } from '../src/tx/index.js';
import { alice, bob, type Coin, carol, key, makeDomain, Wallet } from './helpers/domain.js';
import { type Chain, chain, forge, sealTransfer, snapshot, updateAt, updatesFrom } from './helpers/sync.js';
import { expectCode } from './support.js';

/**
 * An evil domain at height 3 (two mints, then a transfer spending the first coin) and a view
 * that has accepted all of it in full mode.
 */
async function evil(name: string): Promise<Chain & { view: RemoteView; spent: Coin }> {
  const c = await chain(name, 2);
  const spent = c.coins[0]!;
  await sealTransfer(c);
  const view = acceptRootUpdates(
    trustRemote(c.domain.header(0n)!, c.domain.keySet),
    updatesFrom(c.domain, 1n),
    'full',
  ).view;
  return { ...c, view, spent };
}

/** The writes a transaction implies at `height`: its commitments and nullifiers. */
function impliedWrites(tx: Transaction, height: bigint) {
  const h = encodeHeight(height);
  const writes = [];
  for (const a of tx.actions) {
    for (const c of a.created) writes.push({ key: commitmentKey(commitment(c.resource)), value: h });
    for (const c of a.consumed) writes.push({ key: nullifierKey(nullifier(c.resource, c.nk)), value: h });
  }
  return writes;
}

function refusesUnchanged(view: RemoteView, fn: (v: RemoteView) => unknown, code: string): WeftError {
  const before = snapshot(view);
  const err = expectCode(() => fn(view), code);
  expect(view).toEqual(before);
  return err;
}

describe('a Byzantine domain cannot make a view accept anything false', () => {
  it('value from nothing: transition mode sees only that the root moved; full mode refuses writes no transaction implies', async () => {
    const e = await evil('byz-mint');
    const fake = e.wallet.coin(carol.publicKey, 1_000_000n);
    const u = await forge(e.domain, 3n, {
      writes: [{ key: commitmentKey(commitment(fake.resource)), value: encodeHeight(4n) }],
    });
    expect(acceptRootUpdate(e.view, u, 'transition').view.head.header.height).toBe(4n);
    const err = refusesUnchanged(e.view, (v) => acceptRootUpdate(v, u, 'full'), 'FULL_VALIDATION_FAILED');
    expect(err.shortMessage).toMatch(/none of its transactions implies/);
  });

  it('a double spend: a transaction consuming a coin whose nullifier the old tree already holds', async () => {
    const e = await evil('byz-double');
    // Anchored on height 1, where the coin existed and was unspent: only the nullifier gives it away.
    const { tx } = e.wallet.transferTx(e.spent, alice, bob.publicKey, 5n, { height: 1n });
    const u = await forge(e.domain, 3n, { writes: impliedWrites(tx, 4n), txs: [tx] });
    const err = refusesUnchanged(e.view, (v) => acceptRootUpdate(v, u, 'full'), 'FULL_VALIDATION_FAILED');
    expect(err.shortMessage).toMatch(/NULLIFIER_SPENT/);
  });

  it('two transactions of one block spending the same coin', async () => {
    const e = await evil('byz-twice');
    const coin = e.coins[0]!;
    const t1 = e.wallet.transferTx(coin, alice, bob.publicKey, 5n).tx;
    const t2 = e.wallet.transferTx(coin, alice, carol.publicKey, 5n).tx;
    const writes = [...impliedWrites(t1, 4n), ...impliedWrites(t2, 4n).filter((w) => w.key[0] === 0x01)];
    const u = await forge(e.domain, 3n, { writes, txs: [t1, t2] });
    const err = refusesUnchanged(e.view, (v) => acceptRootUpdate(v, u, 'full'), 'FULL_VALIDATION_FAILED');
    expect(err.shortMessage).toMatch(/transaction 1 .*NULLIFIER_SPENT/);
  });

  it('spending a resource homed on another domain', async () => {
    const honest = await chain('byz-home-honest', 1);
    const e = await evil('byz-home-evil');
    const sync = new LightClient();
    sync.trust(honest.domain.header(0n)!, honest.domain.keySet);
    sync.trust(e.domain.header(0n)!, e.domain.keySet);
    sync.acceptChain(updatesFrom(honest.domain, 1n), 'full');
    sync.acceptChain(updatesFrom(e.domain, 1n), 'full');
    // A real transaction of the honest domain, anchored on a root the observer accepted.
    const { tx } = honest.wallet.transferTx(honest.coins[0]!, alice, bob.publicKey, 5n);
    const u = await forge(e.domain, 3n, { writes: impliedWrites(tx, 4n), txs: [tx] });
    const err = expectCode(() => sync.accept(u, 'full'), 'FULL_VALIDATION_FAILED');
    expect(err.shortMessage).toMatch(/WRONG_DOMAIN/);
    expect(sync.view(e.domain.id)!.head.header.height).toBe(3n);
  });

  it('a transaction anchored on a root nobody accepted (a shadow tree of the same domain)', async () => {
    const e = await evil('byz-shadow');
    const shadow = await makeDomain('byz-shadow'); // same id and key, a private tree
    const shadowWallet = new Wallet(shadow, 'shadow');
    const ghost = await shadowWallet.mint(alice.publicKey, 500n);
    const { tx } = shadowWallet.transferTx(ghost, alice, bob.publicKey, 500n);
    const u = await forge(e.domain, 3n, { writes: impliedWrites(tx, 4n), txs: [tx] });
    const err = refusesUnchanged(e.view, (v) => acceptRootUpdate(v, u, 'full'), 'FULL_VALIDATION_FAILED');
    expect(err.shortMessage).toMatch(/UNKNOWN_ANCHOR/);
    // Told the shadow root is known, the anchor passes and the block re-executes (with the proof
    // that the spend, anchored on a root not the view's own, was not refused before the block).
    const known = (root: Uint8Array) => equalBytes(root, shadow.stateRoot);
    const proven = { ...u, exclusions: exclusionsOf(e.domain, { header: u.signed.header, txs: [tx] }) };
    expect(acceptRootUpdate(e.view, proven, 'full', { isKnownRoot: known }).view.head.header.height).toBe(4n);
  });

  it('an honest transaction whose writes are recorded at another height', async () => {
    const e = await evil('byz-height');
    const { tx } = e.wallet.transferTx(e.coins[0]!, alice, bob.publicKey, 5n);
    const u = await forge(e.domain, 3n, { writes: impliedWrites(tx, 77n), txs: [tx] });
    const err = refusesUnchanged(e.view, (v) => acceptRootUpdate(v, u, 'full'), 'FULL_VALIDATION_FAILED');
    expect(err.shortMessage).toMatch(/other than its height/);
    // The same block, written correctly, is accepted in full mode.
    const ok = await forge(e.domain, 3n, { writes: impliedWrites(tx, 4n), txs: [tx] });
    expect(acceptRootUpdate(e.view, ok, 'full').view.head.header.height).toBe(4n);
  });

  it('a transaction missing its writes, or writes of a transaction left out', async () => {
    const e = await evil('byz-partial');
    const { tx } = e.wallet.transferTx(e.coins[0]!, alice, bob.publicKey, 5n);
    const writes = impliedWrites(tx, 4n);
    const noNullifier = await forge(e.domain, 3n, {
      writes: writes.filter((w) => w.key[0] !== 0x02),
      txs: [tx],
    });
    expectCode(() => acceptRootUpdate(e.view, noNullifier, 'full'), 'FULL_VALIDATION_FAILED');
    const noTx = await forge(e.domain, 3n, { writes, txs: [] });
    expectCode(() => acceptRootUpdate(e.view, noTx, 'full'), 'FULL_VALIDATION_FAILED');
  });

  it('a remote-header record of the wrong shape, or one naming the domain itself', async () => {
    const e = await evil('byz-records');
    const bad = await forge(e.domain, 3n, {
      writes: [{ key: new Uint8Array([0x03, 1, 2]), value: new Uint8Array(40) }],
    });
    expectCode(() => acceptRootUpdate(e.view, bad, 'full'), 'FULL_VALIDATION_FAILED');
    const self = new Uint8Array(33);
    self[0] = 0x03;
    self.set(e.domain.id, 1);
    const selfRec = await forge(e.domain, 3n, { writes: [{ key: self, value: new Uint8Array(40) }] });
    expectCode(() => acceptRootUpdate(e.view, selfRec, 'full'), 'FULL_VALIDATION_FAILED');
  });

  it('a header signed by a key outside the set, claiming a member index', async () => {
    const e = await evil('byz-forger');
    const u = updateAt(e.domain, 3n);
    const v2 = acceptRootUpdates(
      trustRemote(e.domain.header(0n)!, e.domain.keySet),
      updatesFrom(e.domain, 1n, 2n),
      'full',
    ).view;
    const forged: RootUpdate = {
      ...u,
      signed: {
        header: u.signed.header,
        signatures: [
          { signer: 0, signature: signRecoverable(key('secp256k1', 'mallory'), headerHash(u.signed.header)) },
        ],
      },
    };
    refusesUnchanged(v2, (v) => acceptRootUpdate(v, forged, 'signatures'), 'BAD_SIGNATURES');
  });

  for (const mode of ['transition', 'full'] as VerificationMode[]) {
    it(`any corruption of an honest update is refused or changes nothing (${mode} mode)`, async () => {
      const e = await evil(`byz-fuzz-${mode}`);
      const v2 = acceptRootUpdates(
        trustRemote(e.domain.header(0n)!, e.domain.keySet),
        updatesFrom(e.domain, 1n, 2n),
        mode,
      ).view;
      const honest = updateAt(e.domain, 3n);
      const bytes = encodeRootUpdate(honest);
      const honestHash = headerHash(honest.signed.header);
      fc.assert(
        fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
          const b = bytes.slice();
          b[at]! ^= flip;
          let u: RootUpdate;
          try {
            u = decodeRootUpdate(b);
          } catch (err) {
            expect(err).toBeInstanceOf(WeftError);
            return;
          }
          const before = snapshot(v2);
          try {
            const { view } = acceptRootUpdate(v2, u, mode);
            // Accepted: then it is the honest block, byte for byte where it matters.
            expect(headerHash(view.head.header)).toEqual(honestHash);
            expect(u.writes).toEqual(honest.writes);
          } catch (err) {
            expect(err).toBeInstanceOf(WeftError);
            expect(v2).toEqual(before);
          }
        }),
        { numRuns: mode === 'full' ? 150 : 300 },
      );
    });
  }
});

describe('equivocation', () => {
  /** Two different blocks at height 4, both signed by the evil operator. */
  async function fork(name: string) {
    const e = await evil(name);
    const x = await forge(e.domain, 3n, {
      writes: [{ key: new Uint8Array([0x04, 1]), value: new Uint8Array([1]) }],
    });
    const y = await forge(e.domain, 3n, {
      writes: [{ key: new Uint8Array([0x04, 1]), value: new Uint8Array([2]) }],
    });
    await e.domain.sealBlock(); // the domain's own block 4: a third header at that height
    return { ...e, x, y };
  }

  it('a second validly signed header at an accepted height yields evidence and a frozen view', async () => {
    const { domain, view, x, y } = await fork('eq-basic');
    const v4 = acceptRootUpdate(view, x, 'transition').view;
    const before = snapshot(v4);
    let caught: EquivocationError<RemoteView> | undefined;
    try {
      acceptRootUpdate(v4, y, 'transition');
    } catch (err) {
      caught = err as EquivocationError<RemoteView>;
    }
    expect(caught).toBeInstanceOf(EquivocationError);
    expect(caught!.code).toBe('EQUIVOCATION');
    expect(v4).toEqual(before);
    const { evidence, frozenView } = caught!;
    expect(verifyEquivocation(evidence, domain.keySet)).toBe(true);
    expect(frozenView.frozen).toEqual({ fromHeight: evidence.a.header.height, evidence });
    expect(decodeEquivocationEvidence(encodeEquivocationEvidence(evidence))).toEqual(evidence);
    // Both observers of the pair build the same evidence, in whichever order they saw it.
    expect(makeEquivocationEvidence(y.signed, x.signed)).toEqual(evidence);
    // Frozen: nothing more, not even the honest continuation.
    refusesUnchanged(frozenView, (v) => acceptRootUpdate(v, y, 'signatures'), 'VIEW_FROZEN');
    refusesUnchanged(
      frozenView,
      (v) => acceptRootUpdate(v, updateAt(domain, 4n), 'signatures'),
      'VIEW_FROZEN',
    );
  });

  it('roots from the fork height on stop being usable as anchors; roots before it stay usable', async () => {
    const { domain, view } = await fork('eq-anchors');
    // Fork at height 2, below the head (3).
    const other = await forge(domain, 1n, {
      writes: [{ key: new Uint8Array([0x04, 9]), value: new Uint8Array([9]) }],
    });
    let frozen: RemoteView | undefined;
    try {
      acceptRootUpdate(view, other, 'signatures');
    } catch (err) {
      frozen = (err as EquivocationError<RemoteView>).frozenView;
    }
    expect(frozen?.frozen?.evidence?.a.header.height).toBe(2n);
    expect(frozen?.frozen?.fromHeight).toBe(2n);
    for (const h of [0n, 1n]) expect(isAnchorUsable(frozen!, domain.header(h)!.header.stateRoot)).toBe(true);
    for (const h of [2n, 3n]) expect(isAnchorUsable(frozen!, domain.header(h)!.header.stateRoot)).toBe(false);
    expect(isAnchorUsable(frozen!, other.signed.header.stateRoot)).toBe(false);
  });

  it('evidence does not verify under another key set, when tampered, or for one header twice', async () => {
    const { x, y } = await fork('eq-verify');
    const evidence = makeEquivocationEvidence(x.signed, y.signed);
    const strangerSet = trustRemote(x.signed, {
      threshold: 1,
      keys: [key('secp256k1', 'eq-verify/operator').publicKey],
    }).keySet!;
    expect(verifyEquivocation(evidence, strangerSet)).toBe(true);
    const others = { threshold: 1, keys: [key('secp256k1', 'nobody').publicKey] };
    expect(verifyEquivocation(evidence, others)).toBe(false);
    const tampered = { ...evidence, b: { ...evidence.b, header: { ...evidence.b.header, timestamp: 1n } } };
    expect(verifyEquivocation(tampered, strangerSet)).toBe(false);
    const sameTwice = { ...evidence, b: evidence.a };
    expect(verifyEquivocation(sameTwice, strangerSet)).toBe(false);
    const otherHeight = { ...evidence, b: { ...evidence.b, header: { ...evidence.b.header, height: 9n } } };
    expect(verifyEquivocation(otherHeight, strangerSet)).toBe(false);
    expectCode(() => makeEquivocationEvidence(x.signed, x.signed), 'BAD_INPUT');
  });

  it('freezes only that domain: the registry emits an event and every other domain keeps working', async () => {
    const { domain, view, x, y } = await fork('eq-isolation');
    const honest = await chain('eq-isolation-honest', 1);
    const sync = new LightClient();
    sync.trust(domain.header(0n)!, domain.keySet);
    sync.trust(honest.domain.header(0n)!, honest.domain.keySet);
    sync.acceptChain(updatesFrom(domain, 1n, 3n), 'full');
    const events: bigint[] = [];
    sync.on('equivocation', ({ evidence }) => events.push(evidence.a.header.height));
    sync.accept(x, 'transition');
    expectCode(() => sync.accept(y, 'transition'), 'EQUIVOCATION');
    expect(events).toEqual([4n]);
    expect(sync.view(domain.id)!.frozen).not.toBeNull();
    expectCode(() => sync.accept(updateAt(domain, 4n), 'full'), 'VIEW_FROZEN');
    // The honest domain goes on.
    sync.acceptChain(updatesFrom(honest.domain, 1n), 'full');
    await sealTransfer(honest);
    expect(sync.accept(updateAt(honest.domain, 2n), 'full')).toHaveLength(1);
    expect(sync.isAnchorUsable(honest.domain.stateRoot)).toBe(true);
    // Another observer learns of it by gossip and freezes too; bad evidence is refused.
    const other = new LightClient();
    other.trust(domain.header(0n)!, domain.keySet);
    expectCode(
      () =>
        other.report({
          ...sync.view(domain.id)!.frozen!.evidence!,
          b: sync.view(domain.id)!.frozen!.evidence!.a,
        }),
      'BAD_EVIDENCE',
    );
    expect(other.report(sync.view(domain.id)!.frozen!.evidence!).frozen).not.toBeNull();
    expect(view.frozen).toBeNull();
  });

  it('inside a gap-filling chain, the view given is the one frozen', async () => {
    const { view, x, y } = await fork('eq-chain');
    try {
      acceptRootUpdates(view, [x, y], 'transition');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EquivocationError);
      const frozen = (err as EquivocationError<RemoteView>).frozenView;
      expect(frozen.head.header.height).toBe(view.head.header.height);
      expect(frozen.frozen).not.toBeNull();
    }
  });

  it('freezeView checks the evidence against the view before freezing it', async () => {
    const { view, x, y } = await fork('eq-freeze');
    const evidence = makeEquivocationEvidence(x.signed, y.signed);
    const frozen = freezeView(view, evidence);
    expect(frozen.frozen).toEqual({ fromHeight: evidence.a.header.height, evidence });
    expect(freezeView(frozen, evidence)).toBe(frozen);
    const stranger = await chain('eq-freeze-other', 0);
    const strangerView = trustRemote(stranger.domain.header(0n)!, stranger.domain.keySet);
    expectCode(() => freezeView(strangerView, evidence), 'BAD_EVIDENCE');
  });
});
