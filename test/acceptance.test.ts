// The acceptance verdict (sync/acceptance.ts): one case per rule, named for the rule, each showing
// the verdict an observer gets and that deciding changes nothing it was given.
import { describe, expect, it } from 'vitest';
import { equalBytes, sha256, utf8 } from '../src/crypto/index.js';
import { headerHash } from '../src/domain/index.js';
import {
  type AcceptanceInput,
  type AcceptanceVerdict,
  decideAcceptance,
  type RecordedFacts,
  type RemoteView,
  trustRemote,
  verifyEquivocation,
} from '../src/sync/index.js';
import { NULLIFIER_KEY_PREFIX } from '../src/tx/index.js';
import { key } from './helpers/domain.js';
import { chain, forge, operatorOf, sealTransfer, snapshot, updateAt, updatesFrom } from './helpers/sync.js';

/** Decides, and checks that the view and recorded facts it was given are left as they were. */
function decide(input: AcceptanceInput): AcceptanceVerdict {
  const before = snapshot({ view: input.view, recorded: input.recorded });
  const verdict = decideAcceptance(input);
  expect(snapshot({ view: input.view, recorded: input.recorded })).toEqual(before);
  return verdict;
}

function genesisView(c: Awaited<ReturnType<typeof chain>>): RemoteView {
  return trustRemote(c.domain.header(0n)!, c.domain.keySet);
}

/** The facts a domain holds after recording `c`'s header at `height`. */
function recordedAt(
  c: Awaited<ReturnType<typeof chain>>,
  height: bigint,
  frozenFrom: bigint | null = null,
): RecordedFacts {
  const h = c.domain.header(height)!.header;
  return { height, headerHash: headerHash(h), timestamp: h.timestamp, frozenFrom };
}

describe('acceptance verdict: the light-client rules', () => {
  it('accepts an update continuing the head, recording it and confirming it', async () => {
    const c = await chain('acc-ok', 1);
    const v = decide({ view: genesisView(c), updates: [updateAt(c.domain, 1n)], mode: 'transition' });
    expect(v.kind).toBe('accept');
    if (v.kind !== 'accept') return;
    expect(v.record.map((u) => u.signed.header.height)).toEqual([1n]);
    expect(v.confirm.header.height).toBe(1n);
    expect(v.view.head.header.height).toBe(1n);
  });

  it('refuses an update of a domain the observer does not follow (UNKNOWN_DOMAIN)', async () => {
    const c = await chain('acc-unknown', 1);
    const v = decide({ view: undefined, updates: [updateAt(c.domain, 1n)], mode: 'signatures' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'UNKNOWN_DOMAIN', record: [] });
  });

  it('refuses a header signed by a key outside the key set (BAD_SIGNATURES)', async () => {
    const c = await chain('acc-badsig', 0);
    const stranger = await chain('acc-badsig-stranger', 0);
    const forged = await forge(c.domain, 0n, {
      writes: [],
      keySet: stranger.domain.keySet,
      signers: [operatorOf('acc-badsig-stranger')],
    });
    const v = decide({ view: genesisView(c), updates: [forged], mode: 'signatures' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'BAD_SIGNATURES' });
    expect('view' in v && v.view).toBeFalsy();
  });

  it('refuses a header carrying fewer valid signatures than the threshold (BAD_SIGNATURES)', async () => {
    const signers = [key('secp256k1', 'acc-thr/1'), key('secp256k1', 'acc-thr/2')];
    const c = await chain('acc-thr', 0, { signers, threshold: 2 });
    const forged = await forge(c.domain, 0n, { writes: [], signers: [signers[0]!] });
    const v = decide({ view: genesisView(c), updates: [forged], mode: 'signatures' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'BAD_SIGNATURES' });
  });

  it('asks for the gap when an update is beyond the head + 1', async () => {
    const c = await chain('acc-gap', 3);
    const v = decide({ view: genesisView(c), updates: [updateAt(c.domain, 3n)], mode: 'transition' });
    expect(v).toEqual({ kind: 'askGap', fromHeight: 1n, toHeight: 3n });
  });

  it('refuses, without asking again, a header right above the head that is another branch (NOT_CONTINUOUS)', async () => {
    const c = await chain('acc-branch', 0);
    const g = c.domain.header(0n)!;
    const otherParent = { ...g, header: { ...g.header, timestamp: g.header.timestamp + 1n } };
    const forged = await forge(c.domain, 0n, { writes: [], parentHeader: otherParent });
    const v = decide({ view: genesisView(c), updates: [forged], mode: 'signatures' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'NOT_CONTINUOUS', record: [] });
  });

  it('refuses a header stamped before its predecessor (NOT_CONTINUOUS: time goes back)', async () => {
    const c = await chain('acc-time', 0);
    const g = c.domain.header(0n)!.header;
    const forged = await forge(c.domain, 0n, { writes: [], timestampMs: g.timestamp - 1n });
    const v = decide({ view: genesisView(c), updates: [forged], mode: 'signatures' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'NOT_CONTINUOUS' });
    expect(v.kind === 'refuse' && v.message).toMatch(/timestamp/);
  });

  it('skips a replay of an accepted update, quietly (REPLAYED_UPDATE)', async () => {
    const c = await chain('acc-replay', 1);
    const first = decide({ view: genesisView(c), updates: [updateAt(c.domain, 1n)], mode: 'transition' });
    if (first.kind !== 'accept') throw new Error('not accepted');
    const v = decide({ view: first.view, updates: [updateAt(c.domain, 1n)], mode: 'transition' });
    expect(v).toMatchObject({ kind: 'skip', code: 'REPLAYED_UPDATE' });
  });

  it('skips a header at or below the head that is neither a replay nor evidence (STALE_HEIGHT)', async () => {
    const c = await chain('acc-stale', 1);
    const first = decide({ view: genesisView(c), updates: [updateAt(c.domain, 1n)], mode: 'transition' });
    if (first.kind !== 'accept') throw new Error('not accepted');
    const stranger = await chain('acc-stale-stranger', 0);
    const unsigned = await forge(c.domain, 0n, {
      writes: [],
      keySet: stranger.domain.keySet,
      signers: [operatorOf('acc-stale-stranger')],
    });
    const v = decide({ view: first.view, updates: [unsigned], mode: 'signatures' });
    expect(v).toMatchObject({ kind: 'skip', code: 'STALE_HEIGHT' });
  });

  it('freezes on equivocation, with evidence that verifies and the fork height', async () => {
    const c = await chain('acc-equiv', 1);
    const first = decide({ view: genesisView(c), updates: [updateAt(c.domain, 1n)], mode: 'signatures' });
    if (first.kind !== 'accept') throw new Error('not accepted');
    const fork = await forge(c.domain, 0n, { writes: [], signers: [operatorOf('acc-equiv')] });
    const v = decide({ view: first.view, updates: [fork], mode: 'signatures' });
    expect(v.kind).toBe('freeze');
    if (v.kind !== 'freeze') return;
    expect(v.code).toBe('EQUIVOCATION');
    expect(v.fromHeight).toBe(1n);
    expect(verifyEquivocation(v.evidence!, c.domain.keySet)).toBe(true);
    expect(v.view.frozen).not.toBeNull();
    expect(v.record).toEqual([]);
  });

  it('refuses everything once the light-client view is frozen (VIEW_FROZEN)', async () => {
    const c = await chain('acc-frozen', 2);
    const first = decide({ view: genesisView(c), updates: [updateAt(c.domain, 1n)], mode: 'signatures' });
    if (first.kind !== 'accept') throw new Error('not accepted');
    const fork = await forge(c.domain, 0n, { writes: [] });
    const frozen = decide({ view: first.view, updates: [fork], mode: 'signatures' });
    if (frozen.kind !== 'freeze') throw new Error('not frozen');
    const v = decide({ view: frozen.view, updates: [updateAt(c.domain, 2n)], mode: 'signatures' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'VIEW_FROZEN' });
  });

  it('refuses a transition that does not take the accepted root to the new one (BAD_TRANSITION)', async () => {
    const c = await chain('acc-transition', 1);
    const honest = updateAt(c.domain, 1n);
    const lying = { ...honest, writes: [] };
    const v = decide({ view: genesisView(c), updates: [lying], mode: 'transition' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'BAD_TRANSITION' });
  });
});

describe('acceptance verdict: what the observing domain recorded', () => {
  it('skips heights the domain already recorded after a restart, recording only the new ones', async () => {
    const c = await chain('acc-restart', 3);
    const v = decide({
      view: genesisView(c),
      updates: updatesFrom(c.domain, 1n, 3n),
      mode: 'transition',
      recorded: recordedAt(c, 2n),
    });
    expect(v.kind).toBe('accept');
    if (v.kind !== 'accept') return;
    expect(v.record.map((u) => u.signed.header.height)).toEqual([3n]);
    expect(v.confirm.header.height).toBe(3n);
  });

  it('refuses a header at the recorded height that differs from the one recorded (HEADER_MISMATCH)', async () => {
    const c = await chain('acc-mismatch', 1);
    const recorded = { ...recordedAt(c, 1n), headerHash: sha256(utf8('another header')) };
    const v = decide({
      view: genesisView(c),
      updates: [updateAt(c.domain, 1n)],
      mode: 'transition',
      recorded,
    });
    expect(v).toMatchObject({ kind: 'refuse', code: 'HEADER_MISMATCH', record: [] });
    // The light-client view still moves on: the header itself verified.
    expect(v.kind === 'refuse' && v.view?.head.header.height).toBe(1n);
  });

  it('freezes on a verified block spending a nullifier the domain holds (DOUBLE_SPEND), after recording what came before', async () => {
    const c = await chain('acc-double', 2);
    await sealTransfer(c); // height 3 spends the first coin
    const spent = c.domain.block(3n)!.writes.find((w) => w.key[0] === NULLIFIER_KEY_PREFIX)!.key;
    const holdsNullifier = (k: Uint8Array) => equalBytes(k, spent);
    const v = decide({
      view: genesisView(c),
      updates: updatesFrom(c.domain, 1n, 3n),
      mode: 'transition',
      holdsNullifier,
    });
    expect(v.kind).toBe('freeze');
    if (v.kind !== 'freeze') return;
    expect(v.code).toBe('DOUBLE_SPEND');
    expect(v.fromHeight).toBe(3n);
    expect(v.record.map((u) => u.signed.header.height)).toEqual([1n, 2n]);
    expect(v.conflicts!.map((k) => equalBytes(k, spent))).toEqual([true]);
    expect(v.evidence).toBeUndefined();
    // In signatures mode the writes are not verified, so they prove nothing: no freeze.
    const light = decide({
      view: genesisView(c),
      updates: updatesFrom(c.domain, 1n, 3n),
      mode: 'signatures',
      holdsNullifier,
    });
    expect(light.kind).toBe('accept');
  });

  it("refuses everything once the domain's record is frozen (VIEW_FROZEN)", async () => {
    const c = await chain('acc-record-frozen', 2);
    const v = decide({
      view: genesisView(c),
      updates: updatesFrom(c.domain, 1n, 2n),
      mode: 'transition',
      recorded: recordedAt(c, 1n, 1n),
    });
    expect(v).toMatchObject({ kind: 'refuse', code: 'VIEW_FROZEN', record: [] });
  });

  it("refuses a header stamped before the domain's recorded one (BAD_TIMESTAMP)", async () => {
    const c = await chain('acc-record-time', 2);
    const recorded = { ...recordedAt(c, 1n), timestamp: c.domain.header(2n)!.header.timestamp + 1n };
    const v = decide({
      view: genesisView(c),
      updates: updatesFrom(c.domain, 1n, 2n),
      mode: 'transition',
      recorded,
    });
    expect(v).toMatchObject({ kind: 'refuse', code: 'BAD_TIMESTAMP', record: [] });
  });
});
