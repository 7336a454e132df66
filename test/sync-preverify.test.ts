// Catching up fast without trusting the sender: a gap answer's header signatures checked ahead on
// the worker pool (`preverifyHeaderChain`) and consulted by acceptance (`VerifiedSignatures`), a
// chain's window advanced in place (`WindowChain`), and a chain recorded with one durable append
// (`Domain.acceptRemoteHeaders`). Every verdict must equal the one without these shortcuts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureVerifierPool, signRecoverable, Writer } from '../src/crypto/index.js';
import {
  headerHash,
  type KeySet,
  makeKeySet,
  meetsThreshold,
  type SignedHeader,
  signHeader,
  type VerifiedSignatures,
} from '../src/domain/index.js';
import { InProcessBus } from '../src/net/index.js';
import { HEADER_CHAIN_MAX, SyncRouter } from '../src/node/index.js';
import { openDomainNode } from '../src/store/index.js';
import {
  acceptRootUpdate,
  acceptRootUpdates,
  answerHeaderRequest,
  decideAcceptance,
  encodeRootUpdate,
  preverifyHeaderChain,
  type RemoteView,
  type RootUpdate,
  trustRemote,
} from '../src/sync/index.js';
import { key, makeDomain } from './helpers/domain.js';
import { rotatingDomain, snapshot, updatesFrom } from './helpers/sync.js';

let pool: SignatureVerifierPool;
beforeAll(() => {
  pool = SignatureVerifierPool.create({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** A domain with `blocks` empty blocks after genesis and a view of its genesis. */
async function sealed(name: string, blocks: number, opts: Parameters<typeof makeDomain>[1] = {}) {
  const domain = await makeDomain(name, opts);
  for (let i = 0; i < blocks; i++) await domain.sealBlock();
  return { domain, view: trustRemote(domain.header(0n)!, domain.keySet, { name }) };
}

/** `u` with its header's signatures replaced. */
function resigned(u: RootUpdate, signatures: SignedHeader['signatures']): RootUpdate {
  return { ...u, signed: { header: u.signed.header, signatures } };
}

/** `u` with one bit of its first signature flipped (still well formed: v stays 27/28). */
function corrupted(u: RootUpdate): RootUpdate {
  const sig = u.signed.signatures[0]!.signature.slice();
  sig[10]! ^= 0x01;
  return resigned(u, [
    { signer: u.signed.signatures[0]!.signer, signature: sig },
    ...u.signed.signatures.slice(1),
  ]);
}

/** The verdict of `decideAcceptance` reduced to what callers act on. */
function verdictOf(view: RemoteView, updates: RootUpdate[], verified?: VerifiedSignatures) {
  const v = decideAcceptance({
    view,
    updates,
    mode: 'transition',
    ctx: verified ? { verifiedSignatures: verified } : {},
  });
  return {
    kind: v.kind,
    code: 'code' in v ? v.code : undefined,
    message: 'message' in v ? v.message : undefined,
    head: 'view' in v && v.view ? v.view.head.header.height : undefined,
    record: 'record' in v ? v.record.map((u) => u.signed.header.height) : undefined,
  };
}

describe('header signatures checked ahead on the workers', () => {
  it('verifies every signature of an honest chain on the pool, and acceptance then agrees with the inline check', async () => {
    const { domain, view } = await sealed('pv-honest', 20);
    const chain = updatesFrom(domain, 1n);
    const verified = await preverifyHeaderChain(view.keySet, chain, pool, [view.headHash]);
    expect(verified.size).toBe(chain.length); // one key, one signature a header
    const before = snapshot(view);
    expect(verdictOf(view, chain, verified)).toEqual(verdictOf(view, chain));
    expect(verdictOf(view, chain, verified).head).toBe(20n);
    expect(view).toEqual(before);
  });

  it('a bad signature in the middle of a chain refuses it exactly as inline: same code, same message, nothing recorded', async () => {
    const { domain, view } = await sealed('pv-middle', 12);
    const chain = updatesFrom(domain, 1n);
    chain[6] = corrupted(chain[6]!);
    const verified = await preverifyHeaderChain(view.keySet, chain, pool, [view.headHash]);
    // The pool said no to the corrupted one: it is not in the cache.
    expect(verified.size).toBe(chain.length - 1);
    const fast = verdictOf(view, chain, verified);
    expect(fast).toEqual(verdictOf(view, chain));
    expect(fast.kind).toBe('refuse');
    expect(fast.code).toBe('BAD_SIGNATURES');
    expect(fast.message).toMatch(/^update 6 of the chain/);
    // The prefix before it is handled as before: a chain is all or nothing, so none of it counts.
    expect(fast.record).toEqual([]);
    // The same prefix alone is accepted, with or without the cache.
    expect(verdictOf(view, chain.slice(0, 6), verified).head).toBe(6n);
  });

  it('a cached verdict does not let other signature bytes through (same header, forged signature)', async () => {
    const { domain, view } = await sealed('pv-forged', 3);
    const chain = updatesFrom(domain, 1n);
    const verified = await preverifyHeaderChain(view.keySet, chain, pool, [view.headHash]);
    const ks = view.keySet!;
    const h2 = chain[1]!;
    const digest = headerHash(h2.signed.header);
    // The genuine signature verifies through the cache; another key's signature over the same
    // header, put at the same signer index, does not — the cache is keyed by the exact bytes.
    expect(meetsThreshold(ks, digest, h2.signed.signatures, verified)).toBe(true);
    const intruder = key('secp256k1', 'pv-forged/intruder');
    const forged = resigned(h2, [{ signer: 0, signature: signRecoverable(intruder, digest) }]);
    expect(meetsThreshold(ks, digest, forged.signed.signatures, verified)).toBe(false);
    // A signature of another header (cached for that header) does not count for this one.
    const replayed = resigned(h2, chain[2]!.signed.signatures);
    expect(meetsThreshold(ks, digest, replayed.signed.signatures, verified)).toBe(false);
    const forgedChain = [chain[0]!, forged, chain[2]!];
    expect(verdictOf(view, forgedChain, verified)).toEqual(verdictOf(view, forgedChain));
    expect(verdictOf(view, forgedChain, verified).code).toBe('BAD_SIGNATURES');
  });

  it('a verdict cached for one key never counts for another key at the same signer index', async () => {
    const { domain, view } = await sealed('pv-keys', 1);
    const u = updatesFrom(domain, 1n)[0]!;
    const digest = headerHash(u.signed.header);
    const verified = await preverifyHeaderChain(view.keySet, [u, u], pool, [view.headHash]);
    expect(verified.size).toBe(1);
    const other: KeySet = makeKeySet(1, [key('secp256k1', 'pv-keys/other').publicKey]);
    expect(meetsThreshold(view.keySet!, digest, u.signed.signatures, verified)).toBe(true);
    expect(meetsThreshold(other, digest, u.signed.signatures, verified)).toBe(false);
  });

  it('follows a key-set change inside the chain: the headers after it are checked ahead under the new set', async () => {
    const { domain, oldSet, newSet, view, signers } = await rotatingDomain('pv-rotate', 3);
    const chain = updatesFrom(domain, 1n);
    const verified = await preverifyHeaderChain(view.keySet, chain, pool, [view.headHash]);
    // Heights 1 and 2 carry 3 signatures of the old set, 3 to 5 two of the new one: all held.
    expect(verified.size).toBe(2 * 3 + 3 * 2);
    const fast = verdictOf(view, chain, verified);
    expect(fast).toEqual(verdictOf(view, chain));
    expect(fast.head).toBe(5n);
    // A header after the change signed by the retired set: a cache built under the old set holds
    // verdicts for those signatures (they are genuine), but acceptance asks about the set in force.
    const after2 = acceptRootUpdates(view, chain.slice(0, 2), 'transition').view;
    expect(after2.keySet).toEqual(newSet);
    const h3 = chain[2]!;
    // op (retired) and n1 sign with their indices in the old set: two signatures, the new threshold.
    const retired = resigned(h3, signHeader(h3.signed.header, oldSet, signers.slice(0, 2)));
    const stale = await preverifyHeaderChain(oldSet, [retired, retired], pool, [after2.headHash]);
    expect(stale.size).toBe(2);
    expect(verdictOf(after2, [retired], stale)).toEqual(verdictOf(after2, [retired]));
    expect(verdictOf(after2, [retired], stale).code).toBe('BAD_SIGNATURES');
  });

  it('sends nothing for a chain that continues none of the given heads, and stops at a break inside the chain', async () => {
    const { domain, view } = await sealed('pv-links', 8);
    const chain = updatesFrom(domain, 1n);
    // Junk that does not continue the view's head costs no signature check ahead (nor inline).
    const stray = await preverifyHeaderChain(view.keySet, chain.slice(2), pool, [view.headHash]);
    expect(stray.size).toBe(0);
    expect(verdictOf(view, chain.slice(2), stray)).toEqual(verdictOf(view, chain.slice(2)));
    // A chain that continues the head but breaks after its third header: only those three are sent.
    const broken = [...chain.slice(0, 3), ...chain.slice(4)];
    const part = await preverifyHeaderChain(view.keySet, broken, pool, [view.headHash]);
    expect(part.size).toBe(3);
    expect(verdictOf(view, broken, part)).toEqual(verdictOf(view, broken));
    expect(verdictOf(view, broken, part).code).toBe('NOT_CONTINUOUS');
    // A chain continuing another head given (one accepted, still being recorded) is sent whole.
    const after3 = acceptRootUpdates(view, chain.slice(0, 3), 'transition').view;
    const next = await preverifyHeaderChain(view.keySet, chain.slice(3), pool, [
      view.headHash,
      after3.headHash,
    ]);
    expect(next.size).toBe(5);
  });

  it('with the pool closed (or none) nothing is cached and acceptance checks every signature inline', async () => {
    const { domain, view } = await sealed('pv-closed', 6);
    const chain = updatesFrom(domain, 1n);
    const closed = SignatureVerifierPool.create({ threads: 1 });
    await closed.close();
    const none = await preverifyHeaderChain(view.keySet, chain, closed, [view.headHash]);
    expect(none.size).toBe(0);
    expect((await preverifyHeaderChain(view.keySet, chain, undefined, [view.headHash])).size).toBe(0);
    expect(verdictOf(view, chain, none).head).toBe(6n);
    const bad = [...chain];
    bad[3] = corrupted(bad[3]!);
    expect(verdictOf(view, bad, none).code).toBe('BAD_SIGNATURES');
    expect(verdictOf(view, bad, none).record).toEqual([]);
  });
});

describe('a chain advances one window in place', () => {
  it('gives the view one-by-one acceptance gives, past the window size, and leaves the input view untouched', async () => {
    const { domain } = await sealed('pv-window', 40);
    const view = trustRemote(domain.header(0n)!, domain.keySet, { name: 'pv-window', recentMax: 16 });
    const before = snapshot(view);
    const chain = updatesFrom(domain, 1n);
    const together = acceptRootUpdates(view, chain, 'transition').view;
    let one = view;
    for (const u of chain) one = acceptRootUpdate(one, u, 'transition').view;
    expect(together).toEqual(one);
    expect(together.recent.size).toBe(16);
    expect(view).toEqual(before);
    // A second chain from the result copies its window again: the first result stays as it was.
    const held = snapshot(together);
    const more = await (async () => {
      for (let i = 0; i < 5; i++) await domain.sealBlock();
      return updatesFrom(domain, 41n);
    })();
    acceptRootUpdates(together, more, 'transition');
    expect(together).toEqual(held);
  });
});

describe('recording a chain with one durable append', () => {
  it('records what one-by-one recording records, and a view read before stays as it was', async () => {
    const { domain } = await sealed('pv-rec-src', 30);
    const a = await makeDomain('pv-rec-a');
    const b = await makeDomain('pv-rec-b');
    for (const d of [a, b])
      await d.trustRemote(domain.header(0n)!, domain.keySet, { mode: 'transition', atMs: 5n });
    const held = b.remoteView(domain.id)!;
    const heldCopy = snapshot(held);
    const headers = [...Array(30)].map((_, i) => domain.header(BigInt(i + 1))!);
    for (const h of headers) await a.acceptRemoteHeader(h, { mode: 'transition', atMs: 7n });
    await b.acceptRemoteHeaders(headers.map((h) => ({ header: h, opts: { mode: 'transition', atMs: 7n } })));
    expect(b.remoteView(domain.id)).toEqual(a.remoteView(domain.id));
    expect(held).toEqual(heldCopy);
  });

  it('refuses a batch with a stale header in the middle and records none of it', async () => {
    const { domain } = await sealed('pv-rec-stale', 6);
    const d = await makeDomain('pv-rec-obs');
    await d.trustRemote(domain.header(0n)!, domain.keySet, { mode: 'transition', atMs: 5n });
    const before = snapshot(d.remoteView(domain.id));
    const hs = [1n, 2n, 3n, 2n, 4n].map((h) => ({ header: domain.header(h)! }));
    await expect(d.acceptRemoteHeaders(hs)).rejects.toMatchObject({ code: 'STALE_HEADER' });
    expect(d.remoteView(domain.id)).toEqual(before);
  });

  it('on LMDB the batch is in the transcript: a reopened node holds the same view', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-pv-'));
    try {
      const { domain } = await sealed('pv-lmdb-src', 10);
      const signers = [key('secp256k1', 'pv-lmdb/op')];
      const node = await openDomainNode(join(dir, 'n'), { signers, create: { name: 'pv-lmdb' } });
      await node.domain.trustRemote(domain.header(0n)!, domain.keySet, { mode: 'transition', atMs: 5n });
      await node.domain.acceptRemoteHeaders(
        [...Array(10)].map((_, i) => ({
          header: domain.header(BigInt(i + 1))!,
          opts: { mode: 'transition' },
        })),
      );
      const facts = (v: RemoteView | undefined) => ({
        head: v?.head.header.height,
        headHash: Buffer.from(v?.headHash ?? []).toString('hex'),
        recent: [...(v?.recent.values() ?? [])].map(
          (r) => `${r.height}:${Buffer.from(r.headerHash).toString('hex')}`,
        ),
        roots: [...(v?.roots.entries() ?? [])],
        mode: v?.mode,
      });
      const view = facts(node.domain.remoteView(domain.id));
      expect(view.recent).toHaveLength(11);
      await node.close();
      const again = await openDomainNode(join(dir, 'n'), { signers });
      try {
        expect(facts(again.domain.remoteView(domain.id))).toEqual(view);
        expect(view.head).toBe(10n);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a router with signature workers catching up', () => {
  async function pair(name: string, blocks: number, verifier: SignatureVerifierPool | undefined) {
    const ahead = await makeDomain(`${name}-ahead`);
    const behind = await makeDomain(`${name}-behind`);
    for (let i = 0; i < blocks; i++) await ahead.sealBlock();
    const bus = new InProcessBus({ seed: name });
    const endpoint = (id: Uint8Array) => bus.endpoint(id);
    const a = new SyncRouter({ endpoint, mode: 'transition', announceEveryMs: 0 });
    const b = new SyncRouter({
      endpoint,
      mode: 'transition',
      announceEveryMs: 0,
      ...(verifier ? { verifier } : {}),
    });
    await a.join(ahead);
    await a.addPeer({ id: behind.id, keySet: behind.keySet, genesis: behind.header(0n)! });
    await b.join(behind);
    await b.addPeer({ id: ahead.id, keySet: ahead.keySet, genesis: ahead.header(0n)! });
    const close = async () => {
      a.close();
      b.close();
      await bus.close();
    };
    return { ahead, behind, bus, a, b, close };
  }

  async function settle(bus: InProcessBus, done: () => boolean) {
    for (let i = 0; i < 50 && !done(); i++) await bus.idle();
  }

  it('fills a gap of several chains, every header recorded, with one gap request per chain', async () => {
    const blocks = HEADER_CHAIN_MAX * 2 + 3;
    const { ahead, behind, bus, a, b, close } = await pair('pv-router', blocks, pool);
    try {
      await a.announceAll();
      const height = () => behind.remoteView(ahead.id)?.head.header.height;
      await settle(bus, () => height() === BigInt(blocks));
      expect(height()).toBe(BigInt(blocks));
      expect(b.counters().accepted).toBe(blocks);
      expect(b.counters().gapRequests).toBe(3);
    } finally {
      await close();
    }
  });

  it('refuses a gap answer with a bad signature in the middle, records none of it, and still catches up from honest answers', async () => {
    const { ahead, behind, bus, a, b, close } = await pair('pv-router-bad', 10, pool);
    const refused: string[] = [];
    b.on('refused', (e) => refused.push(e.code));
    try {
      const chain = [
        ...answerHeaderRequest(ahead, { domainId: ahead.id, fromHeight: 1n, toHeight: 10n, withTxs: false }),
      ];
      chain[4] = corrupted(chain[4]!);
      const w = new Writer(1024);
      w.list(chain, HEADER_CHAIN_MAX, (w, u) => w.bytes(encodeRootUpdate(u), 1 << 24));
      await bus
        .endpoint(ahead.id)
        .send(behind.id, { kind: 'headerResponse', id: 'forged/1-10', body: w.finish() });
      await bus.idle();
      expect(refused).toEqual(['BAD_SIGNATURES']);
      expect(b.counters().accepted).toBe(0);
      expect(behind.remoteView(ahead.id)?.head.header.height).toBe(0n);
      await a.announceAll();
      await settle(bus, () => behind.remoteView(ahead.id)?.head.header.height === 10n);
      expect(behind.remoteView(ahead.id)?.head.header.height).toBe(10n);
      expect(b.counters().accepted).toBe(10);
    } finally {
      await close();
    }
  });

  it('catches up the same with a closed pool (every signature checked inline)', async () => {
    const closed = SignatureVerifierPool.create({ threads: 1 });
    await closed.close();
    const { ahead, behind, bus, a, b, close } = await pair('pv-router-closed', HEADER_CHAIN_MAX + 5, closed);
    try {
      await a.announceAll();
      const want = BigInt(HEADER_CHAIN_MAX + 5);
      await settle(bus, () => behind.remoteView(ahead.id)?.head.header.height === want);
      expect(behind.remoteView(ahead.id)?.head.header.height).toBe(want);
      expect(b.counters().accepted).toBe(HEADER_CHAIN_MAX + 5);
    } finally {
      await close();
    }
  });
});
