// A fork shown to different observers: the Byzantine domain A signs two branches at one height
// and shows one to B, the other to C. Neither view sees both sides, but each observer's next
// block records (under 0x03) the header it accepted and backs it with the signed header, so the
// other finds the fork there and freezes its view of A with the evidence (docs/sync.md).
import { describe, expect, it } from 'vitest';
import { type Domain, headerHash } from '../src/domain/index.js';
import { InProcessBus } from '../src/net/index.js';
import { SyncRouter } from '../src/node/index.js';
import {
  acceptRootUpdate,
  type EquivocationEvidence,
  encodeRootUpdate,
  equivocationWith,
  type RootUpdate,
  trustRemote,
  verifyEquivocation,
} from '../src/sync/index.js';
import { key, makeDomain } from './helpers/domain.js';
import { peerOf } from './helpers/nodes.js';
import { chain, forge } from './helpers/sync.js';

/**
 * Two different headers of `a` at height 1, both signed by its operator: empty blocks that differ
 * in their timestamp, so that each passes full verification on its own.
 */
async function branches(a: Domain): Promise<[RootUpdate, RootUpdate]> {
  const t = a.header(0n)!.header.timestamp;
  const x = await forge(a, 0n, { writes: [], timestampMs: t + 1000n });
  const y = await forge(a, 0n, { writes: [], timestampMs: t + 2000n });
  return [x, y];
}

/**
 * The bound: an observer finds the fork when it receives the other observer's first block sealed
 * after that one accepted its branch — so within one block of each observer, as long as the fork
 * height is still in its anchor window (`recent`).
 */
const OWN_BLOCKS_TO_FIND_FORK = 1;

describe('a fork shown to different observers', () => {
  it('B and C each accept one branch of A, and both freeze A within one block of each', async () => {
    const bus = new InProcessBus({});
    const a = (await chain('xo-a', 0)).domain;
    const b = await makeDomain('xo-b');
    const c = await makeDomain('xo-c');
    // Full mode (the default of `weft node`): root updates carry the signed headers their 0x03
    // records name, which is where the other observer's branch shows.
    const router = new SyncRouter({ endpoint: (id) => bus.endpoint(id), announceEveryMs: 0, mode: 'full' });
    await router.addPeer(peerOf(a));
    await router.join(b);
    await router.join(c);
    const found: { at: string; evidence: EquivocationEvidence }[] = [];
    router.on('equivocation', ({ at, evidence }) =>
      found.push({ at: equalHex(at, b.id) ? 'b' : 'c', evidence }),
    );

    const [x, y] = await branches(a);
    const fromA = bus.endpoint(a.id);
    await fromA.send(b.id, { kind: 'rootUpdate', id: 'a/1/x', body: encodeRootUpdate(x) });
    await fromA.send(c.id, { kind: 'rootUpdate', id: 'a/1/y', body: encodeRootUpdate(y) });
    await bus.idle();
    // Each view saw one side only: accepted, nothing to detect yet.
    expect(b.remoteHeader(a.id)!.stateRoot).toEqual(x.signed.header.stateRoot);
    expect(c.remoteHeader(a.id)!.stateRoot).toEqual(y.signed.header.stateRoot);
    expect(b.frozenFrom(a.id)).toBeNull();
    expect(c.frozenFrom(a.id)).toBeNull();

    for (let i = 0; i < OWN_BLOCKS_TO_FIND_FORK; i++) {
      await b.sealBlock();
      await c.sealBlock();
      await bus.idle();
    }
    for (const d of [b, c]) {
      expect(d.frozenFrom(a.id)).toBe(1n);
      const evidence = d.remoteView(a.id)!.frozen!.evidence!;
      expect(verifyEquivocation(evidence, a.keySet)).toBe(true);
      const hashes = [evidence.a.header, evidence.b.header].map((h) => hexOf(headerHash(h))).sort();
      expect(hashes).toEqual([x, y].map((u) => hexOf(headerHash(u.signed.header))).sort());
    }
    expect(found.map((f) => f.at).sort()).toEqual(['b', 'c']);
    // Frozen as for a fork seen directly: A's honest continuation is refused now.
    const next = await forge(a, 0n, { writes: [], parentHeader: x.signed });
    await fromA.send(b.id, { kind: 'rootUpdate', id: 'a/2/x', body: encodeRootUpdate(next) });
    await bus.idle();
    expect(b.remoteHeader(a.id)!.height).toBe(1n);
    // B and C still follow each other.
    await b.sealBlock();
    await bus.idle();
    expect(c.remoteHeader(b.id)!.height).toBe(b.committedHeight);
    router.close();
  });

  it('an honest observer carrying the same header, or a header not signed by the key set, proves nothing', async () => {
    const a = (await chain('xo-none', 0)).domain;
    const [x, y] = await branches(a);
    const view = acceptRootUpdate(trustRemote(a.header(0n)!, a.keySet), x, 'full').view;
    expect(equivocationWith(view, x.signed)).toBeNull();
    const stranger = await forge(a, 0n, {
      writes: [],
      timestampMs: a.header(0n)!.header.timestamp + 3000n,
      signers: [key('secp256k1', 'xo-none/stranger')],
      keySet: { threshold: 1, keys: [key('secp256k1', 'xo-none/stranger').publicKey] },
    });
    expect(equivocationWith(view, stranger.signed)).toBeNull();
    // Another domain's header at that height is no evidence against A either.
    const other = (await chain('xo-other', 1)).domain;
    expect(equivocationWith(view, other.header(1n)!)).toBeNull();
    expect(equivocationWith(view, y.signed)).not.toBeNull();
  });

  it('headers signed by a retired key set are not evidence', async () => {
    const a = (await chain('xo-retired', 0)).domain;
    const [x, y] = await branches(a);
    const view = acceptRootUpdate(trustRemote(a.header(0n)!, a.keySet), x, 'full').view;
    // The domain has since moved to another key set: the one that signed height 1 is retired.
    const rotated = {
      ...view,
      keySet: { threshold: 1, keys: [key('secp256k1', 'xo-retired/next').publicKey] },
    };
    expect(equivocationWith(rotated, y.signed)).toBeNull();
    expect(equivocationWith(view, y.signed)).not.toBeNull();
  });
});

function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function equalHex(x: Uint8Array, y: Uint8Array): boolean {
  return hexOf(x) === hexOf(y);
}
