// A claim anchored on a root the destination knows only through another domain: C follows B, B
// recorded A's header in its tree, and the claim of a coin A moved to C carries the path proof.
// C's admission accepts it when C's policy allows one intermediary; otherwise UNKNOWN_ANCHOR.
import { describe, expect, it } from 'vitest';
import {
  type AnchorPolicy,
  Domain,
  decodeAnchorPath,
  encodeAnchorPath,
  type SignedHeader,
  verifyHeaderSignatures,
} from '../src/domain/index.js';
import { acceptRootUpdates, trustRemote } from '../src/sync/index.js';
import { decodeTransaction, encodeTransaction, type Transaction, txId } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { claimOf, ManualClock, move, operatorKey, syncHeaders, T0 } from './helpers/refund.js';
import { updatesFrom } from './helpers/sync.js';
import { expectCode } from './support.js';

const HOUR_MS = 3_600_000n;

async function scene(
  name: string,
  anchorPolicy?: AnchorPolicy,
  trustingPeriodMs?: bigint,
  trustOnly = false,
) {
  const clock = new ManualClock();
  const make = (n: string, policy?: AnchorPolicy) =>
    Domain.create({
      name: n,
      signers: [operatorKey(n)],
      clock: clock.read,
      genesisTimestamp: T0,
      ...(policy ? { anchorPolicy: policy } : {}),
      ...(policy && trustingPeriodMs !== undefined ? { trustingPeriodMs } : {}),
    });
  const a = await make(`${name}-a`);
  const b = await make(`${name}-b`);
  const c = await make(`${name}-c`, anchorPolicy);
  const coin = await new Wallet(a, name).mint(alice.publicKey, 5n);
  await c.trustRemote(a.header(0n)!, a.keySet, { mode: 'full', atMs: clock.ms }); // C knows A's key set only
  clock.advance(1000n);
  const m = await move(a, c, coin, clock.ms + HOUR_MS);
  // B follows A and records A's latest header in its next block; C follows B.
  await b.trustRemote(a.header(0n)!, a.keySet, { mode: 'full', atMs: clock.ms });
  await syncHeaders(a, b);
  clock.advance(1000n);
  await b.sealBlock();
  // C accepts B's header (not just trusts it): its next block records it, so a verifier of C
  // learns which roots of B it accepted.
  if (trustOnly) {
    // C only trusts B's latest header: no record of it, so no verifier of C could know it.
    await c.trustRemote(b.header(b.committedHeight)!, b.keySet, { mode: 'full', atMs: clock.ms });
  } else {
    await c.trustRemote(b.header(0n)!, b.keySet, { mode: 'full', atMs: clock.ms });
    for (let h = 1n; h <= b.committedHeight; h++)
      await c.acceptRemoteHeader(b.header(h)!, { atMs: clock.ms });
  }
  clock.advance(1000n);
  await c.sealBlock(); // C's head time moves past B's header
  const withPath = (claim: Transaction): Transaction => {
    const path = encodeAnchorPath({
      start: b.id,
      startRoot: b.header(b.committedHeight)!.header.stateRoot,
      hops: [{ header: a.header(a.committedHeight)!.header, proof: b.proveRemoteHeader(a.id).proof }],
    });
    const tx = structuredClone(claim);
    tx.actions[0]!.consumed[0]!.commitmentProof!.path = path;
    return tx;
  };
  return { a, b, c, m, clock, claim: claimOf(m, a, a.committedHeight), withPath };
}

describe('a claim anchored through one intermediary', () => {
  it('carries its path as a witness: the encoding round-trips and the id does not change', async () => {
    const { claim, withPath } = await scene('apc-codec');
    const tx = withPath(claim);
    const back = decodeTransaction(encodeTransaction(tx));
    expect(back.actions[0]!.consumed[0]!.commitmentProof!.path).toEqual(
      tx.actions[0]!.consumed[0]!.commitmentProof!.path,
    );
    expect(txId(back)).toEqual(txId(claim));
    expect(encodeTransaction(back)).toEqual(encodeTransaction(tx));
    // The path lives in the witness section only: the encoding grows by it.
    const bytes = encodeTransaction(tx);
    expect(bytes.length).toBeGreaterThan(encodeTransaction(claim).length);
  });

  it('confirms when the destination policy allows one intermediary', async () => {
    const { c, claim, withPath } = await scene('apc-ok', { maxIntermediaries: 1, maxStalenessMs: 60_000 });
    // Without the path the anchor is unknown to C: it never accepted A's root.
    const bare = await c.submit(claim);
    expect(bare.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    const r = await c.submit(withPath(claim));
    expect(r.status.status).toBe('pending');
    await c.sealBlock();
    expect(c.status(txId(claim))?.status).toBe('included');
  });

  it('a full-mode verifier of the destination re-checks the path from a root the destination had accepted', async () => {
    const { a, b, c, claim, withPath } = await scene('apc-full', {
      maxIntermediaries: 1,
      maxStalenessMs: 60_000,
    });
    expect((await c.submit(withPath(claim))).status.status).toBe('pending');
    await c.sealBlock();
    const vouchFor = (sh: SignedHeader) =>
      verifyHeaderSignatures(sh, a.keySet) || verifyHeaderSignatures(sh, b.keySet);
    const updates = updatesFrom(c, 1n);
    const { view } = acceptRootUpdates(trustRemote(c.header(0n)!, c.keySet), updates, 'full', { vouchFor });
    expect(view.head.header.height).toBe(c.committedHeight);
    // The same block with the claim's path cut to a forged hop does not pass.
    const last = updates[updates.length - 1]!;
    const forged = structuredClone(last);
    const p = forged.txs![0]!.actions[0]!.consumed[0]!.commitmentProof!;
    p.path = encodeAnchorPath({ ...decodeAnchorPath(p.path!), startRoot: a.header(0n)!.header.stateRoot });
    const before = acceptRootUpdates(trustRemote(c.header(0n)!, c.keySet), updates.slice(0, -1), 'full', {
      vouchFor,
    }).view;
    expectCode(() => acceptRootUpdates(before, [forged], 'full', { vouchFor }), 'FULL_VALIDATION_FAILED');
  });

  it('does not start a path at a root the destination only trusted (no verifier of it could)', async () => {
    const policy = { maxIntermediaries: 1, maxStalenessMs: 60_000 };
    const { c, claim, withPath } = await scene('apc-trusted', policy, undefined, true);
    const r = await c.submit(withPath(claim));
    expect(r.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
  });

  it('a node refuses to run with a malformed policy', async () => {
    for (const anchorPolicy of [
      { maxIntermediaries: -1, maxStalenessMs: 0 },
      { maxIntermediaries: 9, maxStalenessMs: 0 },
      { maxIntermediaries: 1.5, maxStalenessMs: 0 },
      { maxIntermediaries: 1, maxStalenessMs: -1 },
    ])
      await expect(
        Domain.create({ name: 'apc-bad', signers: [operatorKey('apc-bad')], anchorPolicy }),
      ).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('is refused when the policy forbids it (none by default, too old)', async () => {
    const none = await scene('apc-none');
    const r1 = await none.c.submit(none.withPath(none.claim));
    expect(r1.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    const old = await scene('apc-old', { maxIntermediaries: 1, maxStalenessMs: 10 });
    const r2 = await old.c.submit(old.withPath(old.claim));
    expect(r2.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    const zero = await scene('apc-zero', { maxIntermediaries: 0, maxStalenessMs: 60_000 });
    const r3 = await zero.c.submit(zero.withPath(zero.claim));
    expect(r3.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
  });

  it('is refused through a frozen view, or with a forged hop', async () => {
    const policy = { maxIntermediaries: 1, maxStalenessMs: 60_000 };
    const f = await scene('apc-frozen', policy);
    await f.c.freezeRemote(f.b.id, f.b.committedHeight);
    const r1 = await f.c.submit(f.withPath(f.claim));
    expect(r1.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    const g = await scene('apc-forged', policy);
    const tx = g.withPath(g.claim);
    const p = tx.actions[0]!.consumed[0]!.commitmentProof!;
    p.path = p.path!.slice();
    p.path[p.path.length - 1]! ^= 1;
    const r2 = await g.c.submit(tx);
    expect(r2.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    // Expired: C's view of B has not advanced within C's trusting period at C's head time.
    const e = await scene('apc-expired', { maxIntermediaries: 1, maxStalenessMs: 3_600_000 }, 10_000n);
    e.clock.advance(20_000n);
    await e.c.sealBlock();
    const r3 = await e.c.submit(e.withPath(e.claim));
    expect(r3.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    // The genuine copy still confirms: the forged one was not recorded as the claim's fate.
    expect((await g.c.submit(g.withPath(g.claim))).status.status).toBe('pending');
  });
});
