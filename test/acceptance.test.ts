// The acceptance verdict (sync/acceptance.ts): one case per rule, named for the rule, each showing
// the verdict an observer gets and that deciding changes nothing it was given.
import { describe, expect, it } from 'vitest';
import { equalBytes, sha256, utf8 } from '../src/crypto/index.js';
import {
  apply,
  type DomainInput,
  decodeInput,
  decodeState,
  encodeInput,
  encodeState,
  genesis,
  headerHash,
} from '../src/domain/index.js';
import { builtinRegistry, commitment } from '../src/resource/index.js';
import {
  type AcceptanceInput,
  type AcceptanceVerdict,
  acceptRootUpdate,
  decideAcceptance,
  encodeRootUpdate,
  InvalidUpdateError,
  LightClient,
  type RecordedFacts,
  type RemoteView,
  trustRemote,
  verifyEquivocation,
} from '../src/sync/index.js';
import { commitmentKey, encodeHeight, NULLIFIER_KEY_PREFIX } from '../src/tx/index.js';
import { alice, bob, key } from './helpers/domain.js';
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

describe('acceptance verdict: a signed block that provably fails full validation', () => {
  /** A chain at height 2, a view that accepted it in full mode, and a forged block 3 minting a coin from nothing. */
  async function minted(name: string) {
    const c = await chain(name, 2);
    const view = decide({ view: genesisView(c), updates: updatesFrom(c.domain, 1n, 2n), mode: 'full' });
    if (view.kind !== 'accept') throw new Error(`setup: ${view.kind}`);
    const fake = c.wallet.coin(alice.publicKey, 1_000_000n);
    const forged = await forge(c.domain, 2n, {
      writes: [{ key: commitmentKey(commitment(fake.resource)), value: encodeHeight(3n) }],
    });
    return { c, view: view.view, forged };
  }

  it('freezes the view from that block with the signed header and the update hash as evidence', async () => {
    const { c, view, forged } = await minted('acc-invalid');
    const v = decide({ view, updates: [forged], mode: 'full' });
    expect(v.kind).toBe('freeze');
    if (v.kind !== 'freeze') return;
    expect(v.code).toBe('FULL_VALIDATION_FAILED');
    expect(v.fromHeight).toBe(3n);
    expect(v.record).toEqual([]);
    expect(v.evidence).toBeUndefined();
    const ev = v.invalidBlock!;
    expect(equalBytes(ev.domainId, c.domain.id)).toBe(true);
    expect(equalBytes(headerHash(ev.signed.header), headerHash(forged.signed.header))).toBe(true);
    expect(equalBytes(ev.updateHash, sha256(encodeRootUpdate(forged)))).toBe(true);
    expect(ev.reason).toMatch(/none of its transactions implies/);
    // The frozen view keeps the evidence and its head, and accepts nothing more.
    expect(v.view.frozen).toEqual({ fromHeight: 3n, evidence: null, invalidBlock: ev });
    expect(v.view.head.header.height).toBe(2n);
    const honest = updateAt(c.domain, 1n);
    expect(decide({ view: v.view, updates: [honest], mode: 'full' })).toMatchObject({
      kind: 'refuse',
      code: 'VIEW_FROZEN',
    });
    // The plain light-client API still throws the error's code, now carrying the evidence.
    let thrown: unknown;
    try {
      acceptRootUpdate(view, forged, 'full');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidUpdateError);
    expect((thrown as InvalidUpdateError).code).toBe('FULL_VALIDATION_FAILED');
  });

  it('a LightClient installs the frozen view, emits invalidBlock, and still throws the code', async () => {
    const { c, forged } = await minted('acc-invalid-lc');
    const sync = new LightClient();
    sync.trust(c.domain.header(0n)!, c.domain.keySet);
    sync.acceptChain(updatesFrom(c.domain, 1n, 2n), 'full');
    const seen: bigint[] = [];
    sync.on('invalidBlock', (e) => seen.push(e.evidence.signed.header.height));
    expect(() => sync.accept(forged, 'full')).toThrow(InvalidUpdateError);
    expect(seen).toEqual([3n]);
    expect(sync.view(c.domain.id)!.frozen).toMatchObject({ fromHeight: 3n, evidence: null });
    expect(() => sync.accept(updateAt(c.domain, 1n), 'full')).toThrow(/frozen/);
  });

  it('freezes from the bad block inside a chain, whatever came before it', async () => {
    const { c, forged } = await minted('acc-invalid-chain');
    const v = decide({
      view: genesisView(c),
      updates: [...updatesFrom(c.domain, 1n, 2n), forged],
      mode: 'full',
    });
    expect(v).toMatchObject({ kind: 'freeze', code: 'FULL_VALIDATION_FAILED', fromHeight: 3n });
  });

  it('only refuses in weaker modes, which do not re-execute', async () => {
    const { view, forged } = await minted('acc-invalid-weak');
    expect(decide({ view, updates: [forged], mode: 'transition' }).kind).toBe('accept');
  });

  it('refuses without freezing when a relayer could have caused the failure: a witness stripped from an honest transaction', async () => {
    const c = await chain('acc-stripped', 2);
    await sealTransfer(c);
    const view = decide({ view: genesisView(c), updates: updatesFrom(c.domain, 1n, 2n), mode: 'full' });
    if (view.kind !== 'accept') throw new Error('setup');
    const honest = updateAt(c.domain, 3n);
    const stripped = { ...honest, txs: honest.txs!.map((t) => ({ ...t, signatures: [] })) };
    const v = decide({ view: view.view, updates: [stripped], mode: 'full' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'FULL_VALIDATION_FAILED', record: [] });
    // The honest copy still goes through.
    expect(decide({ view: view.view, updates: [honest], mode: 'full' }).kind).toBe('accept');
  });

  it('refuses without freezing when the failure depends on what the verifier knows: an anchor it has not seen', async () => {
    const c = await chain('acc-anchor', 2);
    // The transfer anchors on the root at height 2; a mint (block 3) moves the root before it is sealed.
    const { tx } = c.wallet.transferTx(c.coins[0]!, alice, bob.publicKey, 10n);
    const anchor = c.domain.header(2n)!.header.stateRoot;
    await c.wallet.mint(alice.publicKey, 5n);
    expect(c.domain.header(3n)).toBeDefined();
    expect((await c.domain.submit(tx)).status.status).toBe('pending');
    await c.domain.sealBlock();
    // A view trusting from height 3 never saw the root at height 2.
    const start = trustRemote(c.domain.header(3n)!, c.domain.keySet);
    const v = decide({ view: start, updates: [updateAt(c.domain, 4n)], mode: 'full' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'FULL_VALIDATION_FAILED', record: [] });
    expect(v.kind === 'refuse' && v.message).toMatch(/UNKNOWN_ANCHOR/);
    // Knowing the root, the same block is accepted.
    const known = decide({
      view: start,
      updates: [updateAt(c.domain, 4n)],
      mode: 'full',
      ctx: { isKnownRoot: (r) => equalBytes(r, anchor) },
    });
    expect(known.kind).toBe('accept');
  });

  it('refuses without freezing a rewrite that leaves the tree as it was (a relayer can add one without moving the root)', async () => {
    const c = await chain('acc-noop', 2);
    const view = decide({ view: genesisView(c), updates: updatesFrom(c.domain, 1n, 2n), mode: 'full' });
    if (view.kind !== 'accept') throw new Error('setup');
    const existing = c.domain.block(1n)!.writes.find((w) => w.value !== null)!;
    const noop = await forge(c.domain, 2n, { writes: [{ key: existing.key, value: existing.value }] });
    const v = decide({ view: view.view, updates: [noop], mode: 'full' });
    expect(v).toMatchObject({ kind: 'refuse', code: 'FULL_VALIDATION_FAILED' });
  });

  it('the freeze and its evidence round-trip through the transcript input and the domain state', async () => {
    const { c, view, forged } = await minted('acc-invalid-codec');
    const v = decide({ view, updates: [forged], mode: 'full' });
    if (v.kind !== 'freeze') throw new Error('setup');
    const config = {
      name: 'observer',
      domainId: new Uint8Array(32).fill(9),
      batchTxsMax: 4,
      blockBatchesMax: 1,
      mempoolTxsMax: 10,
      anchorWindow: 4,
      mempoolTtlBlocks: 4,
      remoteRootsMax: 4,
    };
    const env = { logics: builtinRegistry() };
    let s = genesis(config, c.domain.keySet, 1n);
    const trust: DomainInput = {
      type: 'trustRemote',
      signed: c.domain.header(0n)!,
      keySet: c.domain.keySet,
      mode: 'full',
      atMs: 1n,
    };
    s = apply(s, trust, env).state;
    const freeze: DomainInput = {
      type: 'freezeRemote',
      domainId: c.domain.id,
      fromHeight: 3n,
      invalidBlock: v.invalidBlock!,
    };
    expect(decodeInput(encodeInput(freeze))).toEqual(freeze);
    s = apply(s, freeze, env).state;
    const held = s.remotes.get([...s.remotes.keys()][0]!)!;
    expect(held.frozen).toEqual({ fromHeight: 3n, evidence: null, invalidBlock: v.invalidBlock });
    expect(decodeState(encodeState(s)).remotes.get([...s.remotes.keys()][0]!)).toEqual(held);
    // Evidence of another height is refused.
    expect(() => apply(s, { ...freeze, fromHeight: 2n } as DomainInput, env)).toThrow(
      /invalid-block evidence/,
    );
  });
});
