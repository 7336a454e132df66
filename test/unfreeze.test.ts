// Re-initialising a frozen remote view: after a domain equivocated, an operator names a header of
// it they trust; anchors before the fork keep working, those after it stay gone, the decision is
// logged like every input and survives a restart, and the sync layer follows the same way.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../src/crypto/index.js';
import {
  type Domain,
  type DomainOutput,
  decodeInput,
  encodeHeader,
  headerHash,
  remoteHeaderKey,
} from '../src/domain/index.js';
import { readEntries, verifyStore } from '../src/store/index.js';
import { GENESIS_LINK } from '../src/store/transcript.js';
import {
  EquivocationError,
  type EquivocationEvidence,
  equivocationEvidenceHash,
  isAnchorUsable,
  LightClient,
} from '../src/sync/index.js';
import { commitmentKey, decodeHeight, encodeHeight } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { claimOf, clockedDomain, ManualClock, move, openNode, TempDirs } from './helpers/refund.js';
import { forge, updateAt } from './helpers/sync.js';
import { seededRandom } from './support.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

/**
 * An evil domain that moved two of alice's coins to alpha (heights 3 and 4) and sealed up to 6;
 * alpha (LMDB-backed) follows it through a SyncState up to 5, with a claim anchored at 4 waiting,
 * when a second header for height 4 shows up.
 */
async function forked(tag: string) {
  const clock = new ManualClock();
  const dir = dirs.make();
  let node = await openNode(dir, `${tag}-alpha`, clock, true);
  const evil = await clockedDomain(`${tag}-evil`, clock);
  const w = new Wallet(evil, tag);
  const c1 = await w.mint(alice.publicKey, 10n); // 1
  const c2 = await w.mint(alice.publicKey, 20n); // 2
  clock.advance(1_000n);
  const m1 = await move(evil, node.domain, c1, undefined, seededRandom(`${tag}/m1`)); // 3
  clock.advance(1_000n);
  const m2 = await move(evil, node.domain, c2, undefined, seededRandom(`${tag}/m2`)); // 4
  for (let i = 0; i < 2; i++) {
    clock.advance(1_000n);
    await w.mint(alice.publicKey, 1n); // 5, 6
  }
  const sync = new LightClient();
  sync.trust(evil.header(0n)!, evil.keySet, { name: 'evil' });
  for (let h = 1n; h <= 5n; h++) {
    for (const sh of sync.accept(updateAt(evil, h), 'transition'))
      await node.domain.acceptRemoteHeader(sh.header);
  }
  const claim2 = claimOf(m2, evil, 4n);
  expect((await node.domain.submit(claim2)).status.status).toBe('pending');

  // The second header at height 4, signed with the evil domain's real key.
  const other = await forge(evil, 3n, {
    writes: [{ key: commitmentKey(new Uint8Array(32).fill(4)), value: encodeHeight(4n) }],
  });
  let evidence: EquivocationEvidence | undefined;
  try {
    sync.accept(other, 'transition');
  } catch (e) {
    if (!(e instanceof EquivocationError)) throw e;
    evidence = e.evidence;
  }
  expect(evidence).toBeDefined();
  const roots = new Map<bigint, Uint8Array>();
  for (let h = 0n; h <= evil.committedHeight; h++) roots.set(h, evil.header(h)!.header.stateRoot);
  return {
    clock,
    dir,
    get alpha() {
      return node.domain;
    },
    get node() {
      return node;
    },
    async reopen() {
      await node.close();
      node = await openNode(dir, `${tag}-alpha`, clock);
      return node;
    },
    evil,
    sync,
    evidence: evidence!,
    m1,
    m2,
    claim2,
    roots,
  };
}

describe('a frozen remote view', () => {
  it('keeps anchors before the fork, drops those after it, and evicts what was waiting on them', async () => {
    const f = await forked('uf-freeze');
    const evicted: string[] = [];
    f.alpha.on('txEvicted', (e) => evicted.push(e.code));
    await f.alpha.freezeRemote(f.evil.id, 4n);
    expect(evicted).toEqual(['VIEW_FROZEN']);
    expect(f.alpha.acceptsAnchor(f.roots.get(3n)!)).toBe(true);
    expect(f.alpha.acceptsAnchor(f.roots.get(4n)!)).toBe(false);
    expect(f.alpha.acceptsAnchor(f.roots.get(5n)!)).toBe(false);
    expect((await f.alpha.submit(claimOf(f.m1, f.evil, 3n))).status.status).toBe('pending');
    expect((await f.alpha.submit(f.claim2)).status).toMatchObject({ code: 'UNKNOWN_ANCHOR' });
    await expect(f.alpha.acceptRemoteHeader(f.evil.header(6n)!.header)).rejects.toMatchObject({
      code: 'VIEW_FROZEN',
    });
    await f.node.close();
  });
});

describe('re-initialising a frozen remote view (reinitRemote)', () => {
  it('refuses, before logging anything, what it cannot do', async () => {
    const f = await forked('uf-refuse');
    const by = 'ops@alpha';
    const evidence = equivocationEvidenceHash(f.evidence);
    const seq = f.node.store.transcriptSeq;
    const trusted = f.evil.header(6n)!.header;
    await expect(
      f.alpha.reinitializeRemote({ domainId: f.evil.id, header: trusted, by, evidence }),
    ).rejects.toMatchObject({ code: 'NOT_FROZEN' });
    await f.alpha.freezeRemote(f.evil.id, 4n);
    const afterFreeze = f.node.store.transcriptSeq;
    expect(afterFreeze).toBe(seq + 1n);
    const cases: [Parameters<Domain['reinitializeRemote']>[0], string][] = [
      [{ domainId: f.evil.id, header: f.evil.header(3n)!.header, by, evidence }, 'BAD_HEIGHT'],
      [{ domainId: f.evil.id, header: f.alpha.header(0n)!.header, by, evidence }, 'BAD_INPUT'],
      [{ domainId: new Uint8Array(32).fill(1), header: trusted, by, evidence }, 'BAD_INPUT'],
      [{ domainId: f.evil.id, header: trusted, by: 'x'.repeat(129), evidence }, 'BAD_INPUT'],
      [{ domainId: f.evil.id, header: trusted, by: '', evidence }, 'BAD_INPUT'],
      [{ domainId: f.evil.id, header: trusted, by, evidence: new Uint8Array(31) }, 'BAD_INPUT'],
      // Time may not run backwards across the headers the view keeps.
      [
        { domainId: f.evil.id, header: { ...trusted, timestamp: trusted.timestamp - 60_000n }, by, evidence },
        'BAD_TIMESTAMP',
      ],
    ];
    for (const [p, code] of cases) {
      await expect(f.alpha.reinitializeRemote(p), code).rejects.toMatchObject({ code });
    }
    // A domain this one never followed.
    const stranger = await clockedDomain('uf-refuse-stranger', f.clock);
    await expect(
      f.alpha.reinitializeRemote({
        domainId: stranger.id,
        header: stranger.header(0n)!.header,
        by,
        evidence,
      }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_DOMAIN' });
    expect(f.node.store.transcriptSeq).toBe(afterFreeze);
    await f.node.close();
  });

  it('trusts the given header, keeps pre-fork anchors, reports the dropped heights, and survives restarts', async () => {
    const f = await forked('uf-reinit');
    await f.alpha.freezeRemote(f.evil.id, 4n);
    const outputs: Extract<DomainOutput, { type: 'remoteReinitialized' }>[] = [];
    f.alpha.on('remoteReinitialized', (o) => outputs.push(o));
    const evidence = equivocationEvidenceHash(f.evidence);
    const trusted = f.evil.header(6n)!.header;
    await f.alpha.reinitializeRemote({ domainId: f.evil.id, header: trusted, by: 'ops@alpha', evidence });
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toMatchObject({ height: 6n, forkHeight: 4n, droppedRoots: [4n, 5n], by: 'ops@alpha' });
    expect(toHex(outputs[0]!.evidence)).toBe(toHex(evidence));

    const check = (alpha: Domain) => {
      expect(alpha.remoteHeader(f.evil.id)?.height).toBe(6n);
      expect(alpha.remoteHeaders(f.evil.id).map((h) => h.height)).toEqual([1n, 2n, 3n, 6n]);
      expect(alpha.remoteHeaderAt(f.evil.id, 6n)?.timestamp).toBe(trusted.timestamp);
      for (const [h, usable] of [
        [1n, true],
        [3n, true],
        [4n, false],
        [5n, false],
        [6n, true],
      ] as const) {
        expect(alpha.acceptsAnchor(f.roots.get(h)!), `root of height ${h}`).toBe(usable);
      }
    };
    check(f.alpha);
    // Pre-fork anchors still work; a post-fork one does not, but the same resource re-anchored on
    // the trusted header does.
    expect((await f.alpha.submit(claimOf(f.m1, f.evil, 3n))).status.status).toBe('pending');
    expect((await f.alpha.submit(claimOf(f.m2, f.evil, 4n))).status).toMatchObject({
      code: 'UNKNOWN_ANCHOR',
    });

    // Recovery replays the logged input (no block since).
    const reopened = await f.reopen();
    expect(reopened.recovery.replayed).toBeGreaterThan(0);
    check(reopened.domain);
    const entries = readEntries(reopened.node.transcript, 0n, GENESIS_LINK).entries.map((e) =>
      decodeInput(e.input),
    );
    const logged = entries.filter((i) => i.type === 'reinitRemote');
    expect(logged).toHaveLength(1);
    const input = logged[0] as Extract<(typeof logged)[0], { type: 'reinitRemote' }>;
    expect(input.by).toBe('ops@alpha');
    expect(toHex(encodeHeader(input.header))).toBe(toHex(encodeHeader(trusted)));
    expect(toHex(input.evidence)).toBe(toHex(evidence));

    expect((await reopened.domain.submit(claimOf(f.m2, f.evil, 6n))).status.status).toBe('pending');
    const sealed = await reopened.domain.sealBlock();
    // The trusted header is recorded in the tree like an accepted one.
    const block = reopened.domain.block(sealed.header.height)!;
    const record = block.writes.find((w) => toHex(w.key) === toHex(remoteHeaderKey(f.evil.id)))!;
    expect(toHex(record.value!.subarray(0, 32))).toBe(toHex(headerHash(trusted)));
    expect(decodeHeight(record.value!.subarray(32))).toBe(6n);
    expect(block.txs).toHaveLength(2);

    // And the checkpoint carries the re-initialised view.
    const again = await f.reopen();
    check(again.domain);
    f.clock.advance(1_000n);
    await new Wallet(f.evil, 'uf-reinit-more').mint(alice.publicKey, 1n); // 7
    await expect(again.domain.acceptRemoteHeader(f.evil.header(6n)!.header)).rejects.toMatchObject({
      code: 'STALE_HEADER',
    });
    await again.domain.acceptRemoteHeader(f.evil.header(7n)!.header);
    expect(again.domain.remoteHeaders(f.evil.id).map((h) => h.height)).toEqual([1n, 2n, 3n, 6n, 7n]);
    await again.domain.sealBlock();
    await again.close();
    expect((await verifyStore(f.dir)).faults).toEqual([]);
  });
});

describe('re-initialising a frozen view in the sync layer (SyncState.reinitialize)', () => {
  it('replaces the frozen view, keeps the evidence and the pre-fork headers, and follows on', async () => {
    const f = await forked('uf-sync');
    const seen: string[] = [];
    f.sync.on('reinitialized', ({ evidence }) => seen.push(toHex(equivocationEvidenceHash(evidence))));
    const frozen = f.sync.view(f.evil.id)!;
    expect(frozen.frozen).not.toBeNull();
    // The trusted header must settle the fork: not before it.
    expect(() => f.sync.reinitialize(f.evil.header(3n)!, f.evil.keySet)).toThrowError(
      expect.objectContaining({ code: 'BAD_HEIGHT' }),
    );
    expect(f.sync.view(f.evil.id)).toBe(frozen);

    const view = f.sync.reinitialize(f.evil.header(6n)!, f.evil.keySet);
    expect(view.frozen).toBeNull();
    expect(view.name).toBe('evil');
    expect(view.head.header.height).toBe(6n);
    expect([...view.recent.keys()]).toEqual([0n, 1n, 2n, 3n, 6n]);
    expect(seen).toEqual([toHex(equivocationEvidenceHash(f.evidence))]);
    expect(f.sync.equivocations(f.evil.id).map((e) => toHex(equivocationEvidenceHash(e)))).toEqual(seen);
    expect(isAnchorUsable(view, f.roots.get(3n)!)).toBe(true);
    expect(isAnchorUsable(view, f.roots.get(5n)!)).toBe(false);
    expect(() => f.sync.reinitialize(f.evil.header(6n)!, f.evil.keySet)).toThrowError(
      expect.objectContaining({ code: 'NOT_FROZEN' }),
    );

    // It follows the domain on from the trusted header...
    f.clock.advance(1_000n);
    await new Wallet(f.evil, 'uf-sync-more').mint(alice.publicKey, 1n); // 7
    expect(f.sync.accept(updateAt(f.evil, 7n), 'transition').map((s) => s.header.height)).toEqual([7n]);
    // ...and a second header for a kept pre-fork height is still caught as equivocation.
    const again = await forge(f.evil, 1n, {
      writes: [{ key: commitmentKey(new Uint8Array(32).fill(2)), value: encodeHeight(2n) }],
    });
    expect(() => f.sync.accept(again, 'transition')).toThrowError(
      expect.objectContaining({ code: 'EQUIVOCATION' }),
    );
    expect(f.sync.equivocations(f.evil.id)).toHaveLength(2);
    await f.node.close();
  });
});
