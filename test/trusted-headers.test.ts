// A header a domain only trusted (`trustRemote`, no `0x03` record) is not usable by its
// transactions until a header at or above it is recorded: full-mode peers know a domain's remote
// headers only from its records and the headers backing them, and would refuse a block using one
// they were never shown (docs/simulation.md, the soak's trusted-header finding).
import { describe, expect, it } from 'vitest';
import { equalBytes, hexKey } from '../src/crypto/index.js';
import {
  Domain,
  decodeInput,
  encodeInput,
  type SignedHeader,
  type TxReads,
  verifyHeaderSignatures,
} from '../src/domain/index.js';
import { acceptRootUpdates, trustRemote } from '../src/sync/index.js';
import { txId } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { claimOf, clockedDomain, ManualClock, move, operatorKey, refundOf, T0 } from './helpers/refund.js';
import { updatesFrom } from './helpers/sync.js';
import { seededRandom } from './support.js';

const DEADLINE = T0 + 10_000n;

/** The head a full-mode view of `d` reaches, vouching for `other`'s headers. */
function fullModeHead(d: Domain, other: Domain): bigint {
  const trusted = trustRemote(other.header(0n)!, other.keySet);
  const otherView =
    other.committedHeight === 0n
      ? trusted
      : acceptRootUpdates(trusted, updatesFrom(other, 1n), 'transition').view;
  const vouchFor = (sh: SignedHeader) =>
    equalBytes(sh.header.domain, other.id) ? verifyHeaderSignatures(sh, otherView.keySet!) : undefined;
  const view = acceptRootUpdates(trustRemote(d.header(0n)!, d.keySet), updatesFrom(d, 1n), 'full', {
    vouchFor,
  }).view;
  return view.head.header.height;
}

describe('remote headers a domain only trusted', () => {
  it('refuses a refund naming a trusted-only header (REFUND_UNKNOWN_HEADER) until a later header is recorded; a full-mode peer then accepts the block', async () => {
    const clock = new ManualClock();
    const a = await clockedDomain('th-refund-a', clock);
    // The destination's genesis is stamped after the deadline (a clock ahead of the source's).
    const b = await Domain.create({
      name: 'th-refund-b',
      signers: [operatorKey('th-refund-b')],
      clock: clock.read,
      genesisTimestamp: DEADLINE + 10_000n,
    });
    await a.trustRemote(b.header(0n)!, b.keySet, { mode: 'full' });
    const coin = await new Wallet(a, 'th-refund').mint(alice.publicKey, 9n);
    const m = await move(a, b, coin, DEADLINE, seededRandom('th-refund/move'));

    // Only trusted: not a header refunds may name, and not one a driver is offered.
    expect(a.remoteHeaderAt(b.id, 0n)).toBeUndefined();
    expect(a.remoteHeaders(b.id)).toEqual([]);
    expect(a.remoteHeader(b.id)).toBeUndefined();
    expect(a.remoteView(b.id)?.head.header.height).toBe(0n);
    const refund = refundOf(m, a, b, 0n);
    const early = await a.submit(refund);
    expect(early.status).toMatchObject({ status: 'rejected', code: 'REFUND_UNKNOWN_HEADER' });

    // One later header accepted: its record is queued, and the trusted header is backed by it.
    clock.ms = DEADLINE + 20_000n;
    await b.sealBlock();
    await a.acceptRemoteHeader(b.header(1n)!);
    expect(a.remoteHeaders(b.id).map((h) => h.height)).toEqual([0n, 1n]);
    expect(a.remoteHeader(b.id)?.height).toBe(1n);
    const r = await a.submit(refund);
    expect(r.status.status).toBe('pending');
    const sealed = await a.sealBlock();
    expect(a.status(txId(refund))).toMatchObject({ status: 'included', height: sealed.header.height });
    expect(fullModeHead(a, b)).toBe(a.committedHeight);
  });

  it('refuses a claim anchored on a trusted-only root (UNKNOWN_ANCHOR) until a later header is recorded; a full-mode peer then accepts the block', async () => {
    const clock = new ManualClock();
    const a = await clockedDomain('th-claim-a', clock);
    const b = await clockedDomain('th-claim-b', clock);
    const coin = await new Wallet(a, 'th-claim').mint(alice.publicKey, 9n);
    const m = await move(a, b, coin, DEADLINE, seededRandom('th-claim/move'));
    // The destination starts following the source from the move's header, taken out of band.
    await b.trustRemote(a.header(m.moveHeight)!, a.keySet, { mode: 'full' });
    const claim = claimOf(m, a);
    const root = a.header(m.moveHeight)!.header.stateRoot;
    expect(b.acceptsAnchor(root)).toBe(false);
    const early = await b.submit(claim);
    expect(early.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });

    await a.sealBlock();
    await b.acceptRemoteHeader(a.header(m.moveHeight + 1n)!);
    expect(b.acceptsAnchor(root)).toBe(true);
    expect((await b.submit(claim)).status.status).toBe('pending');
    const sealed = await b.sealBlock();
    expect(b.status(txId(claim))).toMatchObject({ status: 'included', height: sealed.header.height });
    expect(fullModeHead(b, a)).toBe(b.committedHeight);
  });

  it('carries the tree records it read in the submission (a transcript replays the same decision)', async () => {
    const clock = new ManualClock();
    const a = await clockedDomain('th-codec-a', clock);
    const coin = await new Wallet(a, 'th-codec').mint(alice.publicKey, 9n);
    const tx = claimOf(await move(a, await clockedDomain('th-codec-b', clock), coin, DEADLINE), a);
    const remoteRecords = [
      { domainId: hexKey(new Uint8Array(32).fill(1)), height: null },
      { domainId: hexKey(new Uint8Array(32).fill(2)), height: 7n },
    ];
    const refusedNullifiers = [hexKey(new Uint8Array(32).fill(6))];
    const base: TxReads = { spentNullifiers: [], existingCommitments: [] };
    for (const reads of [
      { ...base, remoteRecords },
      { ...base, refusedNullifiers, remoteRecords },
      { ...base, refusedNullifiers },
      base,
    ]) {
      const back = decodeInput(encodeInput({ type: 'submit', tx, reads }));
      expect(back.type === 'submit' && back.reads).toEqual(reads);
    }
  });
});
