// Facts a destination pushes with its blocks (docs/sync.md, "Facts pushed with a block";
// docs/transfers.md, "Pushed facts"): the source keeps a fact only once every proof in it verifies
// under the destination's header its own sync accepted, answers its driver's reads from kept facts
// and confirmations without HTTP, and falls back to HTTP for anything they do not cover.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { equalBytes, toHex, Writer } from '../src/crypto/index.js';
import { Domain, headerHash } from '../src/domain/index.js';
import { NatsTransport } from '../src/net/index.js';
import {
  type BlockFacts,
  blockFactsFor,
  decodeBlockFacts,
  encodeBlockFacts,
  FACTS_MESSAGE_BYTES_MAX,
  FACTS_PENDING_MAX,
  FACTS_PER_MESSAGE_MAX,
  NodeHost,
  PeerDomain,
  type PeerReads,
  verifyBlockFacts,
} from '../src/node/index.js';
import { commitment, LogicRegistry, nullifier, trivialLogic } from '../src/resource/index.js';
import { encodeProof } from '../src/smt/index.js';
import { encodeRootUpdate, encodeSyncConfirmation, rootUpdateFromBlock } from '../src/sync/index.js';
import {
  MemoryTransferStore,
  planTransfer,
  type TransferDomain,
  TransferDriver,
} from '../src/transfer/index.js';
import { encodeHeight, encodeRefusal, txId } from '../src/tx/index.js';
import { alice, bob, makeDomain, Wallet } from './helpers/domain.js';
import { isolatedStream, natsQuiet, startTestNatsServer, waitFor } from './helpers/natsNet.js';
import { testNet } from './helpers/network.js';
import {
  createNodes,
  domainReads,
  nodeSigner,
  peerOf,
  QUICK_HOST_TIMINGS,
  twoRouters,
} from './helpers/nodes.js';
import {
  claimOf,
  clockedDomain,
  ManualClock,
  move,
  movedNullifier,
  operatorKey,
  syncHeaders,
  T0,
} from './helpers/refund.js';
import { expectCode, seededRandom } from './support.js';

type Counts = {
  status: number;
  proveNullifier: number;
  proveRefusal: number;
  acceptsAnchor: number;
  remoteHeader: number;
};

/** Reads of `get()`'s domain as over HTTP (asynchronous), each kind counted. */
function countedReads(get: () => Domain): { reads: PeerReads; counts: Counts } {
  const counts: Counts = { status: 0, proveNullifier: 0, proveRefusal: 0, acceptsAnchor: 0, remoteHeader: 0 };
  const r = domainReads(get);
  const counted =
    <A extends unknown[], T>(kind: keyof Counts, read: (...args: A) => Promise<T>) =>
    (...args: A) => {
      counts[kind]++;
      return read(...args);
    };
  return {
    counts,
    reads: {
      ...r,
      status: counted('status', r.status),
      proveNullifier: counted('proveNullifier', r.proveNullifier),
      proveRefusal: counted('proveRefusal', r.proveRefusal!),
      acceptsAnchor: counted('acceptsAnchor', r.acceptsAnchor),
      remoteHeader: counted('remoteHeader', r.remoteHeader),
    },
  };
}

/**
 * Source S and destination D in two routers ("processes") on one bus, each the other's peer; D
 * spent a coin of its own at height 2 (a nullifier to prove), S's view of D is at 2, and S reads D
 * through a PeerDomain with counted reads.
 */
async function pair(tag: string) {
  const s = await makeDomain(`facts-s-${tag}`);
  const d = await makeDomain(`facts-d-${tag}`);
  const { bus, rs, rd } = await twoRouters(s, d);
  const { reads, counts } = countedReads(() => d);
  const pd = new PeerDomain(peerOf(d), s.id, rs, reads, Date.now, s);
  const refused: string[] = [];
  rs.on('refused', (e) => refused.push(e.code));
  const kept: BlockFacts[] = [];
  rs.on('facts', (e) => kept.push(e.facts));
  const walletD = new Wallet(d, 'facts');
  const coin = await walletD.mint(alice.publicKey, 5n); // D height 1
  const spend = walletD.transferTx(coin, alice, bob.publicKey, 5n);
  await d.submit(spend.tx);
  await d.sealBlock(); // D height 2: the coin's nullifier
  await bus.idle();
  const nf = nullifier(coin.resource, coin.nk);
  /** The honest facts of D's block 2 for that spend. */
  const honest = (): BlockFacts => {
    const p = d.proveNullifier(nf, 2n);
    return {
      domainId: d.id,
      height: 2n,
      headerHash: headerHash(d.header(2n)!.header),
      claims: [{ txId: txId(spend.tx), batch: 0, index: 0, nf, value: p.value!, proof: p.proof }],
      refusals: [],
    };
  };
  /** Sends a facts body to S from `from` (D unless said) and waits until S handled it. */
  const push = async (body: Uint8Array, from: Uint8Array = d.id, id = `f/${Math.random()}`) => {
    await bus.endpoint(from).send(s.id, { kind: 'facts', id, body });
    await bus.idle();
  };
  const close = () => {
    pd.close();
    rs.close();
    rd.close();
  };
  return { s, d, bus, rs, rd, pd, counts, refused, kept, nf, spend, out: spend.out, honest, push, close };
}

describe('facts a destination pushes, as its source checks them', () => {
  it('keeps honest facts and answers proofs from them without a read of the peer', async () => {
    const p = await pair('honest');
    expect(p.s.remoteView(p.d.id)!.head.header.height).toBe(2n);
    await p.push(encodeBlockFacts(p.honest()));
    expect(p.refused).toEqual([]);
    expect(p.kept).toHaveLength(1);
    expect(p.rs.counters().facts).toBe(1);
    expect(p.pd.nullifierFactHeight(p.nf)).toBe(2n);
    const at = await p.pd.proveNullifier(p.nf, 2n);
    const latest = await p.pd.proveNullifier(p.nf);
    expect(at).toMatchObject({
      height: 2n,
      value: encodeHeight(2n),
      root: p.s.remoteView(p.d.id)!.recent.get(2n)!.stateRoot,
    });
    expect(latest.value).toEqual(encodeHeight(2n));
    expect(p.counts.proveNullifier).toBe(0);
    // At another height the fact is not an answer: the peer is read.
    await p.d.sealBlock();
    await p.bus.idle();
    const later = await p.pd.proveNullifier(p.nf, 3n);
    expect(later.height).toBe(3n);
    expect(p.counts.proveNullifier).toBe(1);
    p.close();
  });

  it("reads from the peer the status of any id that is not one of S's claims, even while facts are awaited", async () => {
    const p = await pair('status');
    await p.push(encodeBlockFacts(p.honest()));
    expect(p.rs.counters().facts).toBe(1);
    // D's own spend, not a claim S sent: the facts' silence is no answer, the peer is read.
    const other = await p.pd.status(txId(p.spend.tx));
    expect(other).toMatchObject({ status: 'included', height: 2n });
    expect(p.counts.status).toBe(1);
    // An id D never saw: read too, and unknown because D says so.
    expect(await p.pd.status(new Uint8Array(32).fill(7))).toBeUndefined();
    expect(p.counts.status).toBe(2);
    p.close();
  });

  it('refuses a wrong proof, a proof for another key, a header S did not accept, and facts of another domain', async () => {
    const p = await pair('liars');
    const h = p.honest();
    const claim = h.claims[0]!;
    expect(claim.proof.siblings.length).toBeGreaterThan(0);
    const flipped = claim.proof.siblings.map((x) => x.slice());
    flipped[0]![0]! ^= 1;
    const cmProof = p.d.proveCommitment(commitment(p.out.resource), 2n); // present, value = height 2
    expect(cmProof.value).toEqual(encodeHeight(2n));
    const otherHeader = { ...p.d.header(2n)!.header, timestamp: p.d.header(2n)!.header.timestamp + 1n };
    const lies: [string, BlockFacts][] = [
      ['wrong proof', { ...h, claims: [{ ...claim, proof: { ...claim.proof, siblings: flipped } }] }],
      ['another key', { ...h, claims: [{ ...claim, proof: cmProof.proof }] }],
      ['another height in the value', { ...h, claims: [{ ...claim, value: encodeHeight(1n) }] }],
      ['a header S never accepted', { ...h, headerHash: headerHash(otherHeader) }],
    ];
    for (const [, f] of lies) await p.push(encodeBlockFacts(f));
    expect(p.refused).toEqual(['BAD_PROOF', 'BAD_PROOF', 'BAD_PROOF', 'BAD_PROOF']);
    // From a domain that is not the block's: the sender is S's other peer, not D.
    const e = await makeDomain('facts-e-liars');
    await p.push(encodeBlockFacts(h), e.id);
    expect(p.refused.at(-1)).toBe('BAD_MESSAGE');
    expect(p.kept).toEqual([]);
    expect(p.rs.counters().facts).toBe(0);
    // Nothing was kept: the driver's reads go to the peer and get its honest answers.
    expect(p.pd.nullifierFactHeight(p.nf)).toBeUndefined();
    const read = await p.pd.proveNullifier(p.nf, 2n);
    expect(read.value).toEqual(encodeHeight(2n));
    expect(p.counts.proveNullifier).toBe(1);
    p.close();
  });

  it('holds facts whose header is still to come, checks them once it is accepted, and drops the excess', async () => {
    const p = await pair('pending');
    // Facts of D's block 3, pushed before S accepted it (S's router is not told yet).
    const wallet = new Wallet(p.d, 'pending');
    const coin = await wallet.mint(alice.publicKey, 3n); // D height 3, announced to S
    await p.bus.idle();
    const spend = wallet.transferTx(coin, alice, bob.publicKey, 3n);
    await p.d.submit(spend.tx);
    // D seals 4 unannounced (its router stopped): S gets the facts before the header.
    p.rd.close();
    await p.d.sealBlock();
    const nf = nullifier(coin.resource, coin.nk);
    const proof = p.d.proveNullifier(nf, 4n);
    const f: BlockFacts = {
      domainId: p.d.id,
      height: 4n,
      headerHash: headerHash(p.d.header(4n)!.header),
      claims: [{ txId: txId(spend.tx), batch: 0, index: 0, nf, value: proof.value!, proof: proof.proof }],
      refusals: [],
    };
    await p.push(encodeBlockFacts(f));
    expect(p.kept).toEqual([]);
    expect(p.pd.nullifierFactHeight(nf)).toBeUndefined();
    const update = encodeRootUpdate(rootUpdateFromBlock(p.d.block(4n)!, p.d.header(4n)!));
    await p.bus.endpoint(p.d.id).send(p.s.id, { kind: 'rootUpdate', id: 'late-4', body: update });
    await p.bus.idle();
    expect(p.s.remoteView(p.d.id)!.head.header.height).toBe(4n);
    expect(p.kept).toHaveLength(1);
    expect(p.pd.nullifierFactHeight(nf)).toBe(4n);
    // Facts for heights never accepted: at most FACTS_PENDING_MAX are held, the rest dropped.
    for (let i = 0; i <= FACTS_PENDING_MAX; i++)
      await p.push(encodeBlockFacts({ ...f, height: 100n + BigInt(i) }));
    expect(p.rs.counters().factsDropped).toBe(1);
    expect(p.kept).toHaveLength(1);
    p.close();
  });

  it('refuses oversized facts messages and lists past FACTS_PER_MESSAGE_MAX', async () => {
    const p = await pair('oversized');
    await p.push(new Uint8Array(FACTS_MESSAGE_BYTES_MAX + 1));
    const w = new Writer(128).u8(1).fixed(p.d.id, 32).u64(2n).fixed(new Uint8Array(32), 32);
    w.u32(FACTS_PER_MESSAGE_MAX + 1);
    const tooMany = w.finish();
    await p.push(tooMany);
    expect(p.refused).toEqual(['CODEC', 'CODEC']);
    expect(() => decodeBlockFacts(tooMany)).toThrow(/exceeds its maximum/);
    const h = p.honest();
    expect(() =>
      encodeBlockFacts({
        ...h,
        claims: Array.from({ length: FACTS_PER_MESSAGE_MAX + 1 }, () => h.claims[0]!),
      }),
    ).toThrow();
    expect(p.kept).toEqual([]);
    p.close();
  });

  it("refuses a status for one of S's claims that the pushed nullifier does not back", async () => {
    const p = await pair('status');
    // S's own claim: spends a coin of S (anchored on S's root).
    const ws = new Wallet(p.s, 'status');
    const coinS = await ws.mint(alice.publicKey, 2n);
    const claim = ws.transferTx(coinS, alice, bob.publicKey, 2n).tx;
    await p.pd.submit(claim);
    // D pushes D's own spend (a valid proof) under the id of S's claim.
    const h = p.honest();
    await p.push(encodeBlockFacts({ ...h, claims: [{ ...h.claims[0]!, txId: txId(claim) }] }));
    expect(p.kept).toHaveLength(1); // the proof is valid: the nullifier fact is kept
    expect(p.pd.factStats.refused).toBe(1); // but not as the claim's status
    const st = await p.pd.status(txId(claim));
    expect(st?.status).not.toBe('included');
    // The honest status of D's own spend is answered from the fact (S never submitted it: no status).
    p.close();
  });

  it("answers remoteHeader(S) and acceptsAnchor from D's confirmation, and ignores a confirmation of another header", async () => {
    const p = await pair('confirm');
    const ws = new Wallet(p.s, 'confirm');
    await ws.mint(alice.publicKey, 1n); // S height 1, announced to D, which confirms it
    await p.bus.idle();
    expect(p.d.remoteHeader(p.s.id)?.height).toBe(1n);
    const seen = await p.pd.remoteHeader(p.s.id);
    expect(seen?.height).toBe(1n);
    expect(await p.pd.acceptsAnchor(p.s.header(1n)!.header.stateRoot)).toBe(true);
    expect([p.counts.remoteHeader, p.counts.acceptsAnchor]).toEqual([0, 0]);
    // A confirmation of a header S never signed is not believed.
    await ws.mint(alice.publicKey, 1n); // S height 2: D confirms it too
    await p.bus.idle();
    const before = p.pd.factStats.refused;
    await p.bus.endpoint(p.d.id).send(p.s.id, {
      kind: 'confirmation',
      id: 'forged-ack',
      body: encodeSyncConfirmation({
        observer: p.d.id,
        domainId: p.s.id,
        height: 3n,
        headerHash: new Uint8Array(32),
      }),
    });
    await p.bus.idle();
    expect(p.pd.factStats.refused).toBe(before + 1);
    expect((await p.pd.remoteHeader(p.s.id))?.height).toBe(2n);
    expect(await p.pd.acceptsAnchor(p.s.header(2n)!.header.stateRoot)).toBe(true);
    expect([p.counts.remoteHeader, p.counts.acceptsAnchor]).toEqual([0, 0]);
    // A root that is not S's own is the peer's to answer.
    expect(await p.pd.acceptsAnchor(new Uint8Array(32).fill(7))).toBe(false);
    expect(p.counts.acceptsAnchor).toBe(1);
    p.close();
  });
});

describe('a lying destination and the driver', () => {
  it('never gets a transfer confirmed without a nullifier proof under a header the source accepted', async () => {
    const t = await testNet(['facts-liar-a', 'facts-liar-b']);
    const [a, b] = t.domains as [Domain, Domain];
    let claimHeight: bigint | undefined;
    // b as the driver sees it: it never forwards the claim, says it was included (so the driver
    // asks for the proof at that claim height, as with a pushed fact), and answers every nullifier
    // proof with a presence it cannot prove.
    const liar: TransferDomain = {
      id: b.id,
      get committedHeight() {
        return b.committedHeight;
      },
      submit: async (tx) => {
        claimHeight ??= b.committedHeight + 1n;
        return { txId: txId(tx), status: { status: 'pending', sinceHeight: b.committedHeight } };
      },
      status: async () =>
        claimHeight !== undefined && b.committedHeight >= claimHeight
          ? { status: 'included', height: claimHeight, batch: 0, index: 0 }
          : undefined,
      proveCommitment: async (cm, h) => b.proveCommitment(cm, h),
      proveNullifier: async (nf, h) => {
        const real = b.proveNullifier(nf, h);
        return claimHeight === undefined ? real : { ...real, value: encodeHeight(claimHeight) };
      },
      acceptsAnchor: async (root) => b.acceptsAnchor(root),
      remoteHeader: async (id) => b.remoteHeader(id),
    };
    const driver = new TransferDriver(new MemoryTransferStore());
    driver.addDomain(a);
    driver.addDomain(liar);
    const coin = await new Wallet(a, 'liar').mint(alice.publicKey, 5n);
    const h = await driver.transfer({ from: a, to: liar, resource: coin, owner: alice });
    for (let i = 0; i < 12; i++) {
      await a.sealBlock();
      await b.sealBlock();
      await t.bus.idle();
      await driver.tick();
    }
    expect(driver.get(h.id)?.phase).toBe('claimed');
    expect(a.remoteHeader(b.id)!.height).toBeGreaterThan(claimHeight!);
    t.net.close();
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('two node hosts over NATS', () => {
  it('the source confirms transfers from pushed facts, with no HTTP proof read', async () => {
    const server = await startTestNatsServer();
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('facts') });
    const names = ['facts-host-a', 'facts-host-b'];
    const { root, peers } = await createNodes('weft-facts-', names, (id) => nats.endpoint(id), dirs);
    const signer = nodeSigner;
    const hosts: NodeHost[] = [];
    const counted = [0, 1].map((i) => countedReads(() => hosts[1 - i]!.domain));
    for (const i of [0, 1])
      hosts.push(
        await NodeHost.open({
          dir: join(root, names[i]!),
          signers: [signer(names[i]!)],
          endpoint: (id) => nats.endpoint(id),
          peers: [peers[1 - i]!],
          peerReads: () => counted[i]!.reads,
          mode: 'transition',
          ...QUICK_HOST_TIMINGS,
        }),
      );
    const [a, b] = hosts as [NodeHost, NodeHost];
    const wallet = new Wallet(a.domain, 'facts-nats');
    const transferOnce = async (n: number) => {
      const coins: ReturnType<typeof wallet.mintTx>[] = [];
      for (let i = 0; i < n; i++) coins.push(wallet.mintTx(alice.publicKey, 3n));
      for (const c of coins) await a.domain.submit(c.tx);
      await waitFor(() => coins.every((c) => a.domain.status(txId(c.tx))?.status === 'included'), 'mints');
      const plans = [];
      for (const c of coins)
        plans.push(await planTransfer({ from: a.domain, to: b.domain, resource: c.coin, owner: alice }));
      const hs = await a.driver.adoptMany(
        plans.map((plan) => ({ plan, from: a.domain.id, to: b.domain.id })),
      );
      const ended = await Promise.all(hs.map((h) => h.done));
      // The claims really landed on b.
      for (const plan of plans)
        expect(b.domain.proveNullifier(nullifier(plan.moved.resource, plan.moved.nk)).value).not.toBeNull();
      return ended;
    };
    // The first transfer: the destination has pushed nothing yet, reads go over HTTP.
    expect((await transferOnce(1)).map((t) => t.phase)).toEqual(['confirmed']);
    const reads = counted[0]!.counts;
    for (const k of Object.keys(reads)) reads[k as keyof Counts] = 0;
    const done = await transferOnce(6);
    expect(done.map((t) => t.phase)).toEqual(Array(6).fill('confirmed'));
    // Every claim's inclusion and nullifier came as pushed, checked facts.
    expect(reads.proveNullifier).toBe(0);
    expect(reads.proveRefusal).toBe(0);
    // The destination's view of the source: from its confirmations.
    expect(reads.remoteHeader).toBe(0);
    expect(a.router.counters().facts).toBeGreaterThan(0);
    expect(a.router.counters().refused).toBe(0);
    await natsQuiet(nats);
    await a.close();
    await b.close();
    await nats.close();
    await server.dispose();
  }, 120_000);
});

describe('the facts of a block, as its domain builds them', () => {
  const DEADLINE = T0 + 10_000n;

  /** Alice's coin moved from a to b; b accepted a's headers (the claim's anchor), runs tokens unless `tokens` is false. */
  async function moved(tag: string, tokens: boolean) {
    const clock = new ManualClock();
    const a = await clockedDomain(`${tag}-a`, clock);
    const b = tokens
      ? await clockedDomain(`${tag}-b`, clock)
      : await Domain.create({
          name: `${tag}-b`,
          signers: [operatorKey(`${tag}-b`)],
          clock: clock.read,
          genesisTimestamp: T0,
          logics: new LogicRegistry([trivialLogic]),
        });
    const coin = await new Wallet(a, tag).mint(alice.publicKey, 30n);
    const m = await move(a, b, coin, DEADLINE, seededRandom(`${tag}/move`));
    await syncHeaders(a, b);
    return { a, b, m };
  }

  it("carries each claim anchored on the follower's root with its nullifier proof, and nothing for others", async () => {
    const { a, b, m } = await moved('facts-build-claim', true);
    const claim = claimOf(m, a);
    expect((await b.submit(claim)).status.status).toBe('pending');
    const sealed = await b.sealBlock();
    const block = b.block(sealed.header.height)!;
    const f = blockFactsFor(b, block, headerHash(sealed.header), a.id)!;
    expect(f.claims.map((c) => [c.txId, c.nf])).toEqual([[txId(claim), movedNullifier(m)]]);
    expect(f.refusals).toEqual([]);
    verifyBlockFacts(decodeBlockFacts(encodeBlockFacts(f)), {
      headerHash: headerHash(sealed.header),
      stateRoot: sealed.header.stateRoot,
    });
    // A domain b holds no view of gets none.
    expect(blockFactsFor(b, block, headerHash(sealed.header), new Uint8Array(32).fill(9))).toBeNull();
  });

  it('carries a refusal record with its proof; a refusal of another height or a nullifier proof in its place is refused', async () => {
    const { a, b, m } = await moved('facts-build-refusal', false);
    expect((await b.submit(claimOf(m, a))).status).toMatchObject({
      status: 'rejected',
      code: 'UNKNOWN_LOGIC',
    });
    const sealed = await b.sealBlock();
    const f = blockFactsFor(b, b.block(sealed.header.height)!, headerHash(sealed.header), a.id)!;
    expect(f.claims).toEqual([]);
    expect(f.refusals.map((r) => r.nf)).toEqual([movedNullifier(m)]);
    const accepted = { headerHash: headerHash(sealed.header), stateRoot: sealed.header.stateRoot };
    verifyBlockFacts(f, accepted);
    const r = f.refusals[0]!;
    const other = encodeRefusal({ reason: 'UNKNOWN_LOGIC', height: sealed.header.height - 1n });
    expectCode(() => verifyBlockFacts({ ...f, refusals: [{ ...r, value: other }] }, accepted), 'BAD_PROOF');
    // The record's proof presented as a claim's nullifier proof: another key.
    expectCode(
      () =>
        verifyBlockFacts(
          {
            ...f,
            refusals: [],
            claims: [{ txId: new Uint8Array(32), batch: 0, index: 0, ...r, value: encodeHeight(f.height) }],
          },
          accepted,
        ),
      'BAD_PROOF',
    );
  });

  it('a mutated facts message either fails to decode, fails its proofs, or differs only in what the sender vouches for', async () => {
    const { a, b, m } = await moved('facts-build-mutate', true);
    await b.submit(claimOf(m, a));
    const sealed = await b.sealBlock();
    const f = blockFactsFor(b, b.block(sealed.header.height)!, headerHash(sealed.header), a.id)!;
    const bytes = encodeBlockFacts(f);
    const accepted = { headerHash: headerHash(sealed.header), stateRoot: sealed.header.stateRoot };
    const proven = (x: BlockFacts) =>
      JSON.stringify(
        {
          h: x.height,
          hh: x.headerHash,
          c: x.claims.map((c) => [c.nf, c.value, encodeProof(c.proof)]),
          r: x.refusals,
        },
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v),
      );
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const mutated = bytes.slice();
        mutated[at]! ^= flip;
        let g: BlockFacts;
        try {
          g = decodeBlockFacts(mutated);
        } catch (e) {
          return (e as { code?: string }).code === 'CODEC';
        }
        try {
          verifyBlockFacts(g, accepted);
        } catch (e) {
          return (e as { code?: string }).code === 'BAD_PROOF';
        }
        // Kept: then only the claim's id or place (the sender's word, checked by the reader against its own claims) changed.
        return proven(g) === proven(f) && !equalBytes(encodeBlockFacts(g), bytes);
      }),
      { numRuns: 300 },
    );
  });
});
