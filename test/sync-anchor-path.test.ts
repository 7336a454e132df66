// Knowledge that travels: C follows B, B's tree records A's header; a path proof (A's header
// and its 0x03 record proven under B's root that C accepted) proves A's state root to C, within
// C's policy. Refused when the policy forbids it, a view on the path is frozen or expired, or a
// hop is forged.
import { describe, expect, it } from 'vitest';
import { headerHash } from '../src/domain/index.js';
import { commitment } from '../src/resource/index.js';
import { verifyProof } from '../src/smt/index.js';
import {
  ANCHOR_POLICY_NONE,
  type AnchorPath,
  type AnchorPathContext,
  decodeAnchorPath,
  encodeAnchorPath,
  isAnchorProvenByPath,
  verifyAnchorPath,
} from '../src/sync/index.js';
import { commitmentKey, encodeHeight } from '../src/tx/index.js';
import { makeDomain } from './helpers/domain.js';
import { chain } from './helpers/sync.js';
import { expectCode } from './support.js';

const MINUTE_MS = 60_000n;

/** A (one coin minted), B that accepted A's header 1 and sealed it, C that accepted B's block. */
async function triangle(name: string) {
  const ac = await chain(`${name}-a`, 1);
  const a = ac.domain;
  const b = await makeDomain(`${name}-b`);
  const c = await makeDomain(`${name}-c`);
  const now = a.header(1n)!.header.timestamp + 1000n;
  await b.trustRemote(a.header(0n)!, a.keySet, { mode: 'full', atMs: now });
  await b.acceptRemoteHeader(a.header(1n)!, { mode: 'full', atMs: now });
  await b.sealBlock();
  await c.trustRemote(b.header(1n)!, b.keySet, { mode: 'full', atMs: now });
  const path: AnchorPath = {
    start: b.id,
    startRoot: b.header(1n)!.header.stateRoot,
    hops: [{ header: a.header(1n)!.header, proof: b.proveRemoteHeader(a.id, 1n).proof }],
  };
  const ctx = (over: Partial<AnchorPathContext> = {}): AnchorPathContext => ({
    view: (id) => c.remoteView(id),
    policy: { maxIntermediaries: 1, maxStalenessMs: Number(MINUTE_MS) },
    nowMs: now,
    trustingPeriodMs: MINUTE_MS,
    ...over,
  });
  return { a, b, c, coin: ac.coins[0]!, now, path, ctx };
}

describe('anchors through a path', () => {
  it('a root known through one intermediary proves the claim of a coin under it', async () => {
    const { a, b, c, coin, path, ctx } = await triangle('ap-ok');
    expect(c.remoteView(a.id)).toBeUndefined(); // C never followed A
    const proven = verifyAnchorPath(path, ctx());
    const anchor = a.header(1n)!.header.stateRoot;
    expect(proven.anchor).toEqual(anchor);
    expect(proven.source).toEqual(a.id);
    expect(proven.via).toEqual([b.id]);
    // The claim's commitment proof verifies under that anchor.
    const cm = commitment(coin.resource);
    const p = a.proveCommitment(cm, 1n);
    expect(verifyProof(anchor, commitmentKey(cm), encodeHeight(1n), p.proof)).toBe(true);
    expect(isAnchorProvenByPath(anchor, path, ctx())).toBe(true);
    expect(isAnchorProvenByPath(a.header(0n)!.header.stateRoot, path, ctx())).toBe(false);
    expect(decodeAnchorPath(encodeAnchorPath(path))).toEqual(path);
  });

  it('refused when the policy forbids it: no paths by default, too many intermediaries, too old', async () => {
    const { path, ctx, now } = await triangle('ap-policy');
    expect(
      expectCode(() => verifyAnchorPath(path, ctx({ policy: ANCHOR_POLICY_NONE })), 'UNKNOWN_ANCHOR').message,
    ).toMatch(/policy allows 0/);
    expect(
      expectCode(
        () => verifyAnchorPath(path, ctx({ policy: { maxIntermediaries: 0, maxStalenessMs: 1e9 } })),
        'UNKNOWN_ANCHOR',
      ).message,
    ).toMatch(/intermediaries/);
    expect(
      expectCode(
        () => verifyAnchorPath(path, ctx({ policy: { maxIntermediaries: 1, maxStalenessMs: 10 } })),
        'UNKNOWN_ANCHOR',
      ).message,
    ).toMatch(/known since/);
    // Age counts from the oldest header on the path, so time alone makes it too old.
    expect(
      expectCode(
        () => verifyAnchorPath(path, ctx({ nowMs: now + 2n * MINUTE_MS, trustingPeriodMs: 10n * MINUTE_MS })),
        'UNKNOWN_ANCHOR',
      ).message,
    ).toMatch(/known since/);
  });

  it('refused when a view on the path is frozen or expired', async () => {
    const { a, b, c, path, ctx, now } = await triangle('ap-views');
    // Expired: C's view of B did not advance within its trusting period.
    expect(
      expectCode(
        () =>
          verifyAnchorPath(
            path,
            ctx({ nowMs: now + MINUTE_MS + 1n, policy: { maxIntermediaries: 1, maxStalenessMs: 1e9 } }),
          ),
        'UNKNOWN_ANCHOR',
      ).message,
    ).toMatch(/expired/);
    // C also follows A, and its view of A is frozen: no path to A helps.
    await c.trustRemote(a.header(0n)!, a.keySet, { mode: 'full', atMs: now });
    await c.freezeRemote(a.id, 1n);
    expectCode(() => verifyAnchorPath(path, ctx()), 'VIEW_FROZEN');
    // Frozen view of the first intermediary.
    const t = await triangle('ap-views2');
    await t.c.freezeRemote(t.b.id, 0n);
    expectCode(() => verifyAnchorPath(t.path, t.ctx()), 'VIEW_FROZEN');
    expect(b.id).not.toEqual(t.b.id);
  });

  it('refused when a hop is forged or the start is not a root the receiver accepted', async () => {
    const { a, b, path, ctx } = await triangle('ap-forged');
    const hop = path.hops[0]!;
    // Another state root under the same record: the header hash no longer matches.
    const lie = { ...hop.header, stateRoot: b.header(1n)!.header.stateRoot };
    expectCode(() => verifyAnchorPath({ ...path, hops: [{ ...hop, header: lie }] }, ctx()), 'BAD_PROOF');
    // The genuine header at another height than recorded.
    expectCode(
      () => verifyAnchorPath({ ...path, hops: [{ ...hop, header: a.header(0n)!.header }] }, ctx()),
      'BAD_PROOF',
    );
    // A proof of another key.
    const other = b.proveRemoteHeader(b.id, 1n).proof;
    expectCode(() => verifyAnchorPath({ ...path, hops: [{ ...hop, proof: other }] }, ctx()), 'BAD_PROOF');
    // A start root C never accepted (B's genesis root is, but the record is not under it).
    expectCode(
      () => verifyAnchorPath({ ...path, startRoot: a.header(1n)!.header.stateRoot }, ctx()),
      'UNKNOWN_ANCHOR',
    );
    expectCode(() => verifyAnchorPath({ ...path, start: a.id }, ctx()), 'UNKNOWN_ANCHOR');
    expectCode(() => verifyAnchorPath({ ...path, hops: [] }, ctx()), 'BAD_INPUT');
    expect(headerHash(hop.header)).toEqual(headerHash(a.header(1n)!.header));
    // Truncated or extended bytes do not decode.
    const bytes = encodeAnchorPath(path);
    expectCode(() => decodeAnchorPath(bytes.subarray(0, bytes.length - 1)), 'CODEC');
    expectCode(() => decodeAnchorPath(new Uint8Array([...bytes, 0])), 'CODEC');
  });
});
