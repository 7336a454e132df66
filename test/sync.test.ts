import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRecoverable, WeftError } from '../src/crypto/index.js';
import { encodeKeySet, headerHash, KEYSET_TREE_KEY, makeKeySet, signHeader } from '../src/domain/index.js';
import { domainId as domainIdOf } from '../src/resource/index.js';
import {
  acceptRootUpdate,
  acceptRootUpdates,
  answerHeaderRequest,
  decodeHeaderRequest,
  decodeRootUpdate,
  decodeSignedHeader,
  decodeSyncConfirmation,
  encodeHeaderRequest,
  encodeRootUpdate,
  encodeSignedHeader,
  encodeSyncConfirmation,
  isAnchorUsable,
  LightClient,
  learnKeySet,
  type RemoteView,
  type RootUpdate,
  rootUpdateFromBlock,
  trustRemote,
  UPDATE_CHAIN_MAX,
  type VerificationMode,
} from '../src/sync/index.js';
import { encodeHeight } from '../src/tx/index.js';
import { key, makeDomain } from './helpers/domain.js';
import { chain, rotatingDomain, sealTransfer, snapshot, updateAt, updatesFrom } from './helpers/sync.js';
import { expectCode } from './support.js';

const MODES: VerificationMode[] = ['signatures', 'transition', 'full'];

/** A domain with `blocks` blocks after genesis (mints, then transfers) and a view of its genesis. */
async function setup(name: string, transfers = 2) {
  const c = await chain(name, 1);
  for (let i = 0; i < transfers; i++) await sealTransfer(c);
  const view = trustRemote(c.domain.header(0n)!, c.domain.keySet, { name });
  return { ...c, view };
}

/** Asserts `fn` refuses with `code` and leaves `view` deep-equal to before. */
function refusesUnchanged(view: RemoteView, fn: (v: RemoteView) => unknown, code: string): WeftError {
  const before = snapshot(view);
  const err = expectCode(() => fn(view), code);
  expect(view).toEqual(before);
  return err;
}

describe('root updates', () => {
  it('are built from a sealed block and its signed header', async () => {
    const { domain } = await setup('ru-build', 1);
    const u = updateAt(domain, 2n);
    expect(headerHash(u.signed.header)).toEqual(headerHash(domain.header(2n)!.header));
    expect(u.writes).toEqual(domain.block(2n)!.writes);
    expect(u.txs).toHaveLength(1);
    expect(updateAt(domain, 2n, false).txs).toBeUndefined();
    expect(updateAt(domain, 2n).keySetProof).toBeUndefined();
  });

  it("refuse a signed header that is not the block's", async () => {
    const { domain } = await setup('ru-mismatch', 1);
    expectCode(() => rootUpdateFromBlock(domain.block(2n)!, domain.header(1n)!), 'BAD_INPUT');
  });

  it('round-trip through their canonical encoding, with and without transactions', async () => {
    const { domain } = await setup('ru-codec', 1);
    for (const withTxs of [true, false]) {
      const u = updateAt(domain, 2n, withTxs);
      const bytes = encodeRootUpdate(u);
      const back = decodeRootUpdate(bytes);
      expect(back).toEqual(u);
      expect(encodeRootUpdate(back)).toEqual(bytes);
    }
  });

  it('decode strictly: truncation, trailing bytes, unknown format and over-long counts are CODEC', async () => {
    const { domain } = await setup('ru-strict', 1);
    const bytes = encodeRootUpdate(updateAt(domain, 2n));
    expectCode(() => decodeRootUpdate(bytes.subarray(0, bytes.length - 1)), 'CODEC');
    expectCode(() => decodeRootUpdate(new Uint8Array([...bytes, 0])), 'CODEC');
    const badFormat = bytes.slice();
    badFormat[0] = 9;
    expectCode(() => decodeRootUpdate(badFormat), 'CODEC');
    expectCode(() => decodeRootUpdate(new Uint8Array(0)), 'CODEC');
  });

  it('decode any corrupted encoding to a WeftError or a well-formed update, never a crash', async () => {
    const { domain } = await setup('ru-fuzz', 1);
    const bytes = encodeRootUpdate(updateAt(domain, 2n));
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const b = bytes.slice();
        b[at]! ^= flip;
        try {
          const u = decodeRootUpdate(b);
          expect(u.signed.header.domain).toHaveLength(32);
        } catch (e) {
          expect(e).toBeInstanceOf(WeftError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('signed headers round-trip through their encoding', async () => {
    const { domain } = await setup('sh-codec', 0);
    const sh = domain.header(1n)!;
    expect(decodeSignedHeader(encodeSignedHeader(sh))).toEqual(sh);
    expectCode(() => decodeSignedHeader(encodeSignedHeader(sh).subarray(1)), 'CODEC');
  });
});

describe('a remote view', () => {
  it('starts from a trusted genesis: its root is usable, nothing else', async () => {
    const { domain, view } = await setup('v-genesis', 0);
    expect(view.head.header.height).toBe(0n);
    expect(view.frozen).toBeNull();
    expect(isAnchorUsable(view, domain.header(0n)!.header.stateRoot)).toBe(true);
    expect(isAnchorUsable(view, domain.header(1n)!.header.stateRoot)).toBe(false);
  });

  it('refuses to trust a header its key set did not sign', async () => {
    const { domain } = await setup('v-trust', 0);
    const other = makeKeySet(1, [key('secp256k1', 'stranger').publicKey]);
    expectCode(() => trustRemote(domain.header(0n)!, other), 'BAD_SIGNATURES');
  });

  for (const mode of MODES) {
    it(`accepts an honest chain in ${mode} mode, one update at a time, never changing the view it was given`, async () => {
      const { domain, view } = await setup(`v-honest-${mode}`, 3);
      let v = view;
      for (let h = 1n; h <= domain.committedHeight; h++) {
        const before = snapshot(v);
        const { view: next, accepted } = acceptRootUpdate(v, updateAt(domain, h), mode);
        expect(v).toEqual(before);
        expect(accepted.map((s) => s.header.height)).toEqual([h]);
        expect(next.head.header.height).toBe(h);
        expect(isAnchorUsable(next, domain.header(h)!.header.stateRoot)).toBe(true);
        v = next;
      }
      expect(v.recent.size).toBe(Number(domain.committedHeight) + 1);
    });
  }

  it('remembers at most recentMax headers; older roots stop being usable', async () => {
    const { domain } = await setup('v-recent', 3);
    let v = trustRemote(domain.header(0n)!, domain.keySet, { recentMax: 2 });
    v = acceptRootUpdates(v, updatesFrom(domain, 1n), 'transition').view;
    expect([...v.recent.keys()]).toEqual([3n, 4n]);
    expect(isAnchorUsable(v, domain.header(1n)!.header.stateRoot)).toBe(false);
    expect(isAnchorUsable(v, domain.header(4n)!.header.stateRoot)).toBe(true);
  });
});

describe('acceptance rules (each refusal has its own code and leaves the view unchanged)', () => {
  it('UNKNOWN_DOMAIN: an update for another domain, or for a domain the registry does not follow', async () => {
    const a = await setup('rule-unknown-a', 1);
    const b = await setup('rule-unknown-b', 1);
    refusesUnchanged(
      a.view,
      (v) => acceptRootUpdate(v, updateAt(b.domain, 1n), 'transition'),
      'UNKNOWN_DOMAIN',
    );
    const sync = new LightClient();
    sync.trust(a.domain.header(0n)!, a.domain.keySet);
    expectCode(() => sync.accept(updateAt(b.domain, 1n), 'transition'), 'UNKNOWN_DOMAIN');
    expect(sync.view(a.domain.id)!.head.header.height).toBe(0n);
    expect(sync.view(b.domain.id)).toBeUndefined();
  });

  it('BAD_SIGNATURES: no signatures, a corrupted signature, or a signer outside the key set', async () => {
    const { domain, view } = await setup('rule-sigs', 1);
    const u = updateAt(domain, 1n);
    const none: RootUpdate = { ...u, signed: { ...u.signed, signatures: [] } };
    refusesUnchanged(view, (v) => acceptRootUpdate(v, none, 'signatures'), 'BAD_SIGNATURES');
    const sig = u.signed.signatures[0]!;
    const flipped = sig.signature.slice();
    flipped[10]! ^= 1;
    const corrupted: RootUpdate = {
      ...u,
      signed: { ...u.signed, signatures: [{ ...sig, signature: flipped }] },
    };
    refusesUnchanged(view, (v) => acceptRootUpdate(v, corrupted, 'signatures'), 'BAD_SIGNATURES');
    const stranger = key('secp256k1', 'stranger');
    const strangerSig = {
      signer: 0,
      signature: signRecoverable(stranger, headerHash(u.signed.header)),
    };
    const outsider: RootUpdate = { ...u, signed: { ...u.signed, signatures: [strangerSig] } };
    refusesUnchanged(view, (v) => acceptRootUpdate(v, outsider, 'signatures'), 'BAD_SIGNATURES');
  });

  it('BAD_SIGNATURES: fewer signatures than the threshold (2 of 3)', async () => {
    const ops = ['t1', 't2', 't3'].map((n) => key('secp256k1', `thr/${n}`));
    const ks = makeKeySet(
      2,
      ops.map((k) => k.publicKey),
    );
    const domain = await makeDomain('rule-threshold', { signers: ops });
    // The domain signs with all three; its key set in this test is 2-of-3 only for the view.
    const view = trustRemote(domain.header(0n)!, ks);
    await domain.sealBlock();
    const u = updateAt(domain, 1n);
    const one = signHeader(u.signed.header, ks, [ops[0]!]);
    refusesUnchanged(
      view,
      (v) => acceptRootUpdate(v, { ...u, signed: { ...u.signed, signatures: one } }, 'signatures'),
      'BAD_SIGNATURES',
    );
    const two = signHeader(u.signed.header, ks, [ops[0]!, ops[2]!]);
    expect(
      acceptRootUpdate(view, { ...u, signed: { ...u.signed, signatures: two } }, 'signatures').view.head
        .header.height,
    ).toBe(1n);
  });

  it('REPLAYED_UPDATE: the same header again, whether it is the head or an older accepted one', async () => {
    const { domain, view } = await setup('rule-replay', 2);
    const v = acceptRootUpdates(view, updatesFrom(domain, 1n), 'full').view;
    for (const h of [1n, 2n, 3n]) {
      refusesUnchanged(v, (x) => acceptRootUpdate(x, updateAt(domain, h), 'full'), 'REPLAYED_UPDATE');
    }
  });

  it('STALE_HEIGHT: a height already passed that is neither a replay nor validly signed, or beyond memory', async () => {
    const { domain } = await setup('rule-stale', 3);
    let v = trustRemote(domain.header(0n)!, domain.keySet, { recentMax: 2 });
    v = acceptRootUpdates(v, updatesFrom(domain, 1n), 'transition').view;
    // Height 1 is no longer remembered: old, whatever it says.
    refusesUnchanged(v, (x) => acceptRootUpdate(x, updateAt(domain, 1n), 'transition'), 'STALE_HEIGHT');
    // Height 3 is remembered; a different header there without valid signatures is not evidence.
    const u = updateAt(domain, 3n);
    const other: RootUpdate = {
      ...u,
      signed: {
        header: { ...u.signed.header, timestamp: u.signed.header.timestamp + 1n },
        signatures: u.signed.signatures,
      },
    };
    refusesUnchanged(v, (x) => acceptRootUpdate(x, other, 'transition'), 'STALE_HEIGHT');
  });

  it('NOT_CONTINUOUS: a gap, a header that does not continue the head, or a timestamp going back', async () => {
    const { domain, view } = await setup('rule-continuity', 2);
    const gap = refusesUnchanged(
      view,
      (v) => acceptRootUpdate(v, updateAt(domain, 2n), 'signatures'),
      'NOT_CONTINUOUS',
    );
    expect(gap.shortMessage).toMatch(/gap/);
    const v1 = acceptRootUpdate(view, updateAt(domain, 1n), 'signatures').view;
    const u = updateAt(domain, 2n);
    const op = key('secp256k1', 'rule-continuity/operator');
    const resign = (header: typeof u.signed.header): RootUpdate => ({
      ...u,
      signed: { header, signatures: signHeader(header, domain.keySet, [op]) },
    });
    const wrongPrev = resign({ ...u.signed.header, prevHash: new Uint8Array(32).fill(7) });
    refusesUnchanged(v1, (v) => acceptRootUpdate(v, wrongPrev, 'signatures'), 'NOT_CONTINUOUS');
    const backwards = resign({ ...u.signed.header, timestamp: v1.head.header.timestamp - 1n });
    refusesUnchanged(v1, (v) => acceptRootUpdate(v, backwards, 'signatures'), 'NOT_CONTINUOUS');
  });

  it('BAD_TRANSITION: writes or a proof that do not take the accepted root to the new one (transition and full modes)', async () => {
    const { domain, view } = await setup('rule-transition', 1);
    const u = updateAt(domain, 2n);
    const v1 = acceptRootUpdate(view, updateAt(domain, 1n), 'transition').view;
    const altered: RootUpdate = {
      ...u,
      writes: u.writes.map((w, i) => (i === 0 ? { key: w.key, value: encodeHeight(99n) } : w)),
    };
    const dropped: RootUpdate = { ...u, writes: u.writes.slice(1) };
    const noProof: RootUpdate = { ...u, transition: { steps: [] } };
    for (const bad of [altered, dropped, noProof]) {
      for (const mode of ['transition', 'full'] as const) {
        refusesUnchanged(v1, (v) => acceptRootUpdate(v, bad, mode), 'BAD_TRANSITION');
      }
      // Light mode checks signatures and continuity only: the writes are not its business.
      expect(acceptRootUpdate(v1, bad, 'signatures').view.head.header.height).toBe(2n);
    }
  });

  it('FULL_VALIDATION_FAILED: full mode without the transactions, or with a transaction missing', async () => {
    const { domain, view } = await setup('rule-full', 1);
    const v1 = acceptRootUpdate(view, updateAt(domain, 1n), 'full').view;
    const noTxs = updateAt(domain, 2n, false);
    refusesUnchanged(v1, (v) => acceptRootUpdate(v, noTxs, 'full'), 'FULL_VALIDATION_FAILED');
    const missing: RootUpdate = { ...updateAt(domain, 2n), txs: [] };
    const err = refusesUnchanged(v1, (v) => acceptRootUpdate(v, missing, 'full'), 'FULL_VALIDATION_FAILED');
    expect(err.shortMessage).toMatch(/txRoot/);
    expect(acceptRootUpdate(v1, noTxs, 'transition').view.head.header.height).toBe(2n);
  });

  it('BAD_INPUT: an unknown mode or a malformed update', async () => {
    const { domain, view } = await setup('rule-input', 1);
    refusesUnchanged(
      view,
      (v) => acceptRootUpdate(v, updateAt(domain, 1n), 'zk' as VerificationMode),
      'BAD_INPUT',
    );
    refusesUnchanged(
      view,
      (v) => acceptRootUpdate(v, { ...updateAt(domain, 1n), writes: null as never }, 'signatures'),
      'BAD_INPUT',
    );
  });
});

describe('gap filling', () => {
  it('accepts an ascending chain that continues the head, in every mode', async () => {
    const { domain, view } = await setup('gap-chain', 3);
    for (const mode of MODES) {
      const { view: v, accepted } = acceptRootUpdates(view, updatesFrom(domain, 1n), mode);
      expect(accepted.map((s) => s.header.height)).toEqual([1n, 2n, 3n, 4n]);
      expect(v.head.header.height).toBe(4n);
    }
  });

  it('is all or nothing: one bad update refuses the whole chain with its code and index', async () => {
    const { domain, view } = await setup('gap-atomic', 3);
    const chainOf = updatesFrom(domain, 1n);
    const bad = [...chainOf];
    bad[2] = { ...bad[2]!, writes: bad[2]!.writes.slice(1) };
    const err = refusesUnchanged(view, (v) => acceptRootUpdates(v, bad, 'transition'), 'BAD_TRANSITION');
    expect(err.shortMessage).toMatch(/update 2 of the chain/);
    const unordered = [chainOf[0]!, chainOf[2]!, chainOf[1]!];
    refusesUnchanged(view, (v) => acceptRootUpdates(v, unordered, 'signatures'), 'NOT_CONTINUOUS');
    refusesUnchanged(view, (v) => acceptRootUpdates(v, [], 'signatures'), 'BAD_INPUT');
  });

  it('a registry fills a gap with acceptChain after a single update was refused', async () => {
    const { domain } = await setup('gap-registry', 3);
    const sync = new LightClient();
    sync.trust(domain.header(0n)!, domain.keySet);
    expectCode(() => sync.accept(updateAt(domain, 3n), 'full'), 'NOT_CONTINUOUS');
    const accepted = sync.acceptChain(updatesFrom(domain, 1n, 3n), 'full');
    expect(accepted).toHaveLength(3);
    expect(sync.accept(updateAt(domain, 4n), 'full')).toHaveLength(1);
    expect(sync.view(domain.id)!.head.header.height).toBe(4n);
  });
});

describe('key-set changes', () => {
  it('the update that records a new key set carries its proof under the new root', async () => {
    const { domain, newSet } = await rotatingDomain('ks-proof');
    const u = updateAt(domain, 2n);
    expect(u.keySetProof?.keySet).toEqual(newSet);
    const back = decodeRootUpdate(encodeRootUpdate(u));
    expect(back.keySetProof).toEqual(u.keySetProof);
  });

  for (const mode of MODES) {
    it(`a view follows the change in ${mode} mode`, async () => {
      const { domain, newSet, view } = await rotatingDomain(`ks-follow-${mode}`);
      const v = acceptRootUpdates(view, updatesFrom(domain, 1n), mode).view;
      expect(v.head.header.height).toBe(4n);
      expect(v.keySet).toEqual(newSet);
    });
  }

  it('without the proof a light view stalls at the next header (BAD_SIGNATURES) until learnKeySet repairs it', async () => {
    const { domain, newSet, view } = await rotatingDomain('ks-stall');
    const stripped = { ...updateAt(domain, 2n) };
    delete stripped.keySetProof;
    let v = acceptRootUpdates(view, [updateAt(domain, 1n), stripped], 'signatures').view;
    refusesUnchanged(v, (x) => acceptRootUpdate(x, updateAt(domain, 3n), 'signatures'), 'BAD_SIGNATURES');
    v = learnKeySet(v, updateAt(domain, 2n).keySetProof!);
    expect(v.keySet).toEqual(newSet);
    expect(acceptRootUpdate(v, updateAt(domain, 3n), 'signatures').view.head.header.height).toBe(3n);
  });

  it('in transition mode the written key set is followed even when the proof is stripped', async () => {
    const { domain, newSet, view } = await rotatingDomain('ks-transition');
    const stripped = { ...updateAt(domain, 2n) };
    delete stripped.keySetProof;
    const v = acceptRootUpdates(
      view,
      [updateAt(domain, 1n), stripped, updateAt(domain, 3n)],
      'transition',
    ).view;
    expect(v.keySet).toEqual(newSet);
  });

  it('BAD_KEYSET_PROOF: a proof of another set, or one that does not verify under the header', async () => {
    const { domain, oldSet, view } = await rotatingDomain('ks-forged');
    const v1 = acceptRootUpdate(view, updateAt(domain, 1n), 'signatures').view;
    const u = updateAt(domain, 2n);
    const otherSet: RootUpdate = { ...u, keySetProof: { keySet: oldSet, proof: u.keySetProof!.proof } };
    refusesUnchanged(v1, (v) => acceptRootUpdate(v, otherSet, 'signatures'), 'BAD_KEYSET_PROOF');
    // The tree holds only the key set, so its proof is a bare leaf: claim absence instead.
    const absent = {
      depth: 0,
      bitmap: new Uint8Array(0),
      siblings: [],
      terminal: { kind: 'empty' as const },
    };
    const wrongProof: RootUpdate = { ...u, keySetProof: { keySet: u.keySetProof!.keySet, proof: absent } };
    refusesUnchanged(v1, (v) => acceptRootUpdate(v, wrongProof, 'signatures'), 'BAD_KEYSET_PROOF');
    // Under head 1 the old set is recorded, not the new one.
    expectCode(() => learnKeySet(v1, u.keySetProof!), 'BAD_KEYSET_PROOF');
    expect(learnKeySet(v1, { keySet: oldSet, proof: u.keySetProof!.proof }).keySet).toEqual(oldSet);
  });

  it('after the change, a header signed only by the retired keys is refused', async () => {
    const { domain, oldSet, op, view } = await rotatingDomain('ks-retired');
    const v = acceptRootUpdates(view, updatesFrom(domain, 1n, 2n), 'transition').view;
    const u = updateAt(domain, 3n);
    const byOld = signHeader(u.signed.header, oldSet, [op]);
    refusesUnchanged(
      v,
      (x) => acceptRootUpdate(x, { ...u, signed: { ...u.signed, signatures: byOld } }, 'transition'),
      'BAD_SIGNATURES',
    );
  });

  it('BAD_KEYSET: a verified block that writes a key set that does not decode', async () => {
    const { domain, view } = await setup('ks-garbage', 0);
    const { forge } = await import('./helpers/sync.js');
    const u = await forge(domain, 1n, {
      writes: [{ key: KEYSET_TREE_KEY, value: new Uint8Array([1, 2, 3]) }],
    });
    const v1 = acceptRootUpdate(view, updateAt(domain, 1n), 'transition').view;
    refusesUnchanged(v1, (v) => acceptRootUpdate(v, u, 'transition'), 'BAD_KEYSET');
    expect(encodeKeySet(domain.keySet).length).toBeGreaterThan(0);
  });
});

describe('the registry', () => {
  it('follows several domains, refuses a second trust of one, and lists them in id order', async () => {
    const a = await setup('reg-a', 1);
    const b = await setup('reg-b', 1);
    const sync = new LightClient();
    sync.trust(a.domain.header(0n)!, a.domain.keySet, { name: 'a' });
    sync.trust(b.domain.header(0n)!, b.domain.keySet, { name: 'b' });
    expectCode(() => sync.trust(a.domain.header(0n)!, a.domain.keySet), 'DUPLICATE_DOMAIN');
    const events: bigint[] = [];
    sync.on('accepted', ({ headers }) => events.push(...headers.map((h) => h.header.height)));
    sync.acceptChain(updatesFrom(a.domain, 1n), 'full');
    sync.accept(updateAt(b.domain, 1n), 'transition');
    expect(events).toEqual([1n, 2n, 1n]);
    const ids = sync.list().map((v) => Buffer.from(v.domainId).toString('hex'));
    expect(ids).toEqual([...ids].sort());
    expect(sync.roots()).toHaveLength(2);
    expect(sync.isAnchorUsable(a.domain.header(2n)!.header.stateRoot)).toBe(true);
    expect(domainIdOf('reg-a')).toEqual(a.domain.id);
  });
});

describe('header requests and confirmations', () => {
  it('a request round-trips and is answered with the updates the domain has, in order', async () => {
    const { domain, view } = await setup('req-answer', 2);
    const req = { domainId: domain.id, fromHeight: 2n, toHeight: 10n, withTxs: true };
    expect(decodeHeaderRequest(encodeHeaderRequest(req))).toEqual(req);
    const answer = answerHeaderRequest(domain, req);
    expect(answer.map((u) => u.signed.header.height)).toEqual([2n, 3n]);
    const v1 = acceptRootUpdate(view, updateAt(domain, 1n), 'full').view;
    expect(acceptRootUpdates(v1, answer, 'full').view.head.header.height).toBe(3n);
    expect(answerHeaderRequest(domain, { ...req, withTxs: false })[0]!.txs).toBeUndefined();
    expectCode(
      () => answerHeaderRequest(domain, { ...req, domainId: domainIdOf('someone-else') }),
      'UNKNOWN_DOMAIN',
    );
  });

  it('a request spans 1..UPDATE_CHAIN_MAX heights; decoding is strict', async () => {
    const domainId = domainIdOf('req-span');
    expectCode(
      () => encodeHeaderRequest({ domainId, fromHeight: 5n, toHeight: 4n, withTxs: false }),
      'BAD_INPUT',
    );
    expectCode(
      () =>
        encodeHeaderRequest({ domainId, fromHeight: 0n, toHeight: BigInt(UPDATE_CHAIN_MAX), withTxs: false }),
      'BAD_INPUT',
    );
    const bytes = encodeHeaderRequest({ domainId, fromHeight: 1n, toHeight: 1n, withTxs: false });
    expectCode(() => decodeHeaderRequest(bytes.subarray(1)), 'CODEC');
    const inverted = bytes.slice();
    inverted[33 + 7] = 9; // fromHeight 9 > toHeight 1
    expectCode(() => decodeHeaderRequest(inverted), 'CODEC');
  });

  it('a confirmation round-trips', () => {
    const c = {
      observer: domainIdOf('o'),
      domainId: domainIdOf('d'),
      height: 7n,
      headerHash: new Uint8Array(32).fill(3),
    };
    expect(decodeSyncConfirmation(encodeSyncConfirmation(c))).toEqual(c);
    expectCode(() => decodeSyncConfirmation(encodeSyncConfirmation(c).subarray(2)), 'CODEC');
  });
});
