// Claims in one message (docs/transfers.md, "Claims in one message"): the codec refuses bad
// framing as a whole, a PeerDomain sends the claims of one turn as one `transfers` message within
// its limits, and at the destination each item lands on its own and at most once — a bad item
// drops only itself, a redelivered or resent batch adds nothing.
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex, Writer } from '../src/crypto/index.js';
import type { SubmitResult } from '../src/domain/index.js';
import { InProcessBus, MESSAGE_KINDS, NatsTransport } from '../src/net/index.js';
import {
  CLAIM_RESEND_EPOCH_MS,
  CLAIMS_FORMAT,
  CLAIMS_MESSAGE_BYTES_MAX,
  CLAIMS_PER_MESSAGE_MAX,
  decodeClaims,
  encodeClaims,
  NodeHost,
  type Peer,
  PeerDomain,
  type PeerReads,
  type SyncRouter,
} from '../src/node/index.js';
import { nullifier } from '../src/resource/index.js';
import { planTransfer } from '../src/transfer/index.js';
import {
  decodeTransaction,
  encodeTransaction,
  type Transaction,
  TX_BYTES_MAX,
  txId,
} from '../src/tx/index.js';
import { alice, makeDomain, Wallet } from './helpers/domain.js';
import { isolatedStream, natsQuiet, startTestNatsServer, waitFor } from './helpers/natsNet.js';
import { createNodes, domainReads, nodeSigner, QUICK_HOST_TIMINGS } from './helpers/nodes.js';
import { expectCode } from './support.js';

const dirs: string[] = [];
/** Servers a test started: stopped even when the test failed. */
const disposers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of disposers) await d();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the transfers message body', () => {
  it('is appended to the message kinds, after facts', () => {
    expect(MESSAGE_KINDS.indexOf('transfers')).toBe(MESSAGE_KINDS.indexOf('facts') + 1);
    expect(MESSAGE_KINDS.at(-1)).toBe('transfers');
  });

  it('round-trips any list of claims within the limits, bytes unchanged and in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), (claims) => {
        const body = encodeClaims(claims);
        const back = decodeClaims(body);
        expect(back.map(toHex)).toEqual(claims.map(toHex));
        // Canonical: encoding what was decoded gives the same bytes.
        expect(toHex(encodeClaims(back))).toBe(toHex(body));
      }),
    );
  });

  it('refuses bad framing as a whole: format, count, lengths, trailing bytes, size', () => {
    const good = encodeClaims([new Uint8Array([1, 2, 3]), new Uint8Array([4])]);
    const bad = (f: (b: Uint8Array) => void) => {
      const b = good.slice();
      f(b);
      return b;
    };
    expectCode(() => decodeClaims(bad((b) => (b[0] = 0x02))), 'CODEC');
    // A count larger than the items present, or than the limit.
    expectCode(() => decodeClaims(bad((b) => (b[4] = 3))), 'CODEC');
    expectCode(
      () =>
        decodeClaims(
          new Writer()
            .u8(CLAIMS_FORMAT)
            .u32(CLAIMS_PER_MESSAGE_MAX + 1)
            .finish(),
        ),
      'CODEC',
    );
    // An item's length past the end of the body, or past TX_BYTES_MAX.
    expectCode(() => decodeClaims(bad((b) => (b[8] = 200))), 'CODEC');
    expectCode(
      () =>
        decodeClaims(
          new Writer()
            .u8(CLAIMS_FORMAT)
            .u32(1)
            .u32(TX_BYTES_MAX + 1)
            .finish(),
        ),
      'CODEC',
    );
    expectCode(() => decodeClaims(new Uint8Array([...good, 0])), 'CODEC');
    expectCode(() => decodeClaims(good.subarray(0, good.length - 1)), 'CODEC');
    expectCode(() => decodeClaims(new Uint8Array(CLAIMS_MESSAGE_BYTES_MAX + 1)), 'CODEC');
    // The sender splits before either limit.
    expectCode(() => encodeClaims(Array(CLAIMS_PER_MESSAGE_MAX + 1).fill(new Uint8Array(1))), 'BAD_INPUT');
    expectCode(() => encodeClaims([new Uint8Array(TX_BYTES_MAX), new Uint8Array(TX_BYTES_MAX)]), 'BAD_INPUT');
  });
});

/** A PeerDomain whose router only records what it was asked to send. */
function recordingPeer() {
  const sent: { kind: 'transfer' | 'transfers'; id: string; bodies: Uint8Array[] }[] = [];
  const router = Object.assign(new EventEmitter(), {
    sendTransfer: async (_at: Uint8Array, _to: Uint8Array, id: string, body: Uint8Array) => {
      sent.push({ kind: 'transfer', id, bodies: [body] });
    },
    sendTransfers: async (_at: Uint8Array, _to: Uint8Array, id: string, bodies: Uint8Array[]) => {
      sent.push({ kind: 'transfers', id, bodies: [...bodies] });
    },
  });
  const unused = async () => {
    throw new Error('unused');
  };
  const reads: PeerReads = {
    status: unused,
    proveCommitment: unused,
    proveNullifier: unused,
    acceptsAnchor: unused,
    remoteHeader: unused,
  };
  let now = 5 * CLAIM_RESEND_EPOCH_MS;
  const peer = new PeerDomain(
    { id: new Uint8Array(32).fill(2) } as Peer,
    new Uint8Array(32).fill(1),
    router as unknown as SyncRouter,
    reads,
    () => now,
  );
  return {
    peer,
    sent,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("a PeerDomain's claims", () => {
  it('submitted in one turn go out as one transfers message; alone, as a transfer message', async () => {
    const d = await makeDomain('claims-batch-one-turn');
    const wallet = new Wallet(d, 'claims-batch');
    const txs = Array.from({ length: 5 }, () => wallet.mintTx(alice.publicKey, 1n).tx);
    const s = recordingPeer();
    const results = await Promise.all(txs.map((tx) => s.peer.submit(tx)));
    expect(results.map((r) => r.status.status)).toEqual(Array(5).fill('pending'));
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0]!.kind).toBe('transfers');
    expect(s.sent[0]!.bodies.map((b) => toHex(txId(decodeTransaction(b))))).toEqual(
      txs.map((tx) => toHex(txId(tx))),
    );
    // The same claims again in the same epoch: the same message id (the transport drops it);
    // in the next epoch a new one (a claim refused for a passing reason is delivered again).
    await Promise.all(txs.map((tx) => s.peer.submit(tx)));
    expect(s.sent[1]!.id).toBe(s.sent[0]!.id);
    s.advance(CLAIM_RESEND_EPOCH_MS);
    await Promise.all(txs.map((tx) => s.peer.submit(tx)));
    expect(s.sent[2]!.id).not.toBe(s.sent[0]!.id);
    // Other claims: another id.
    await Promise.all(txs.slice(1).map((tx) => s.peer.submit(tx)));
    expect(new Set(s.sent.map((m) => m.id)).size).toBe(3);
    // One claim in a turn: the single-claim message, named by the claim.
    await s.peer.submit(txs[0]!);
    expect(s.sent.at(-1)).toMatchObject({ kind: 'transfer', bodies: [encodeTransaction(txs[0]!)] });
    expect(s.sent.at(-1)!.id).toContain(toHex(txId(txs[0]!)));
    // Turns apart: separate messages.
    await s.peer.submit(txs[1]!);
    await s.peer.submit(txs[2]!);
    expect(s.sent.slice(-2).map((m) => m.kind)).toEqual(['transfer', 'transfer']);
    s.peer.close();
  });

  it('are split at CLAIMS_PER_MESSAGE_MAX claims and CLAIMS_MESSAGE_BYTES_MAX bytes, none lost or repeated', async () => {
    const d = await makeDomain('claims-batch-split');
    const wallet = new Wallet(d, 'claims-split');
    const txs = Array.from(
      { length: CLAIMS_PER_MESSAGE_MAX + 3 },
      () => wallet.mintTx(alice.publicKey, 1n).tx,
    );
    const s = recordingPeer();
    await Promise.all(txs.map((tx) => s.peer.submit(tx)));
    expect(s.sent.map((m) => m.bodies.length)).toEqual([CLAIMS_PER_MESSAGE_MAX, 3]);
    const ids = (bodies: Uint8Array[]) => bodies.map((b) => toHex(txId(decodeTransaction(b))));
    expect(s.sent.flatMap((m) => ids(m.bodies))).toEqual(txs.map((tx) => toHex(txId(tx))));
    for (const m of s.sent)
      expect(encodeClaims(m.bodies).length).toBeLessThanOrEqual(CLAIMS_MESSAGE_BYTES_MAX);

    // By bytes: claims padded with app data so that few fit in a message.
    const big = (i: number): Transaction => {
      const tx = wallet.mintTx(alice.publicKey, 1n).tx;
      return { ...tx, appData: new Uint8Array(60 * 1024).fill(i) };
    };
    const bigs = Array.from({ length: 30 }, (_, i) => big(i));
    const s2 = recordingPeer();
    await Promise.all(bigs.map((tx) => s2.peer.submit(tx)));
    expect(s2.sent.length).toBeGreaterThan(1);
    for (const m of s2.sent)
      expect(encodeClaims(m.bodies).length).toBeLessThanOrEqual(CLAIMS_MESSAGE_BYTES_MAX);
    expect(s2.sent.flatMap((m) => m.bodies.map(toHex))).toEqual(
      bigs.map((tx) => toHex(encodeTransaction(tx))),
    );
  });
});

describe('claims together at the destination, over NATS', () => {
  it('each lands once: a bad item drops only itself, a resent or redelivered batch adds nothing, bad framing refuses all', async () => {
    const server = await startTestNatsServer();
    disposers.push(() => server.dispose());
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('claims') });
    const names = ['claims-host-a', 'claims-host-b'];
    const { root, peers } = await createNodes('weft-claims-', names, (id) => nats.endpoint(id), dirs);
    const hosts: NodeHost[] = [];
    for (const i of [0, 1])
      hosts.push(
        await NodeHost.open({
          dir: join(root, names[i]!),
          signers: [nodeSigner(names[i]!)],
          endpoint: (id) => nats.endpoint(id),
          peers: [peers[1 - i]!],
          mode: 'transition',
          blockIntervalMs: 20,
          minBlockIntervalMs: 5,
          heartbeatMs: 200,
          announceEveryMs: 100,
        }),
      );
    const [a, b] = hosts as [NodeHost, NodeHost];
    // Every answer b's domain gives to a submission.
    const answers: SubmitResult[] = [];
    const submit = b.domain.submit.bind(b.domain);
    b.domain.submit = async (tx) => {
      const r = await submit(tx);
      answers.push(r);
      return r;
    };
    const refused: string[] = [];
    b.router.on('refused', (e) => refused.push(e.code));
    const wallet = new Wallet(b.domain, 'claims-at-b');
    const [one, two] = [wallet.mintTx(alice.publicKey, 1n).tx, wallet.mintTx(alice.publicKey, 2n).tx];
    const garbage = new Uint8Array([0xff, 1, 2, 3]);
    const bodies = [encodeTransaction(one), garbage, encodeTransaction(two), encodeTransaction(one)];
    await a.router.sendTransfers(a.domain.id, b.domain.id, 'claims/test/1', bodies);
    const included = (tx: Transaction) => b.domain.status(txId(tx))?.status === 'included';
    await waitFor(() => included(one) && included(two), 'both good claims included');
    // The garbage item was never submitted (it does not decode); the good ones were, the
    // repeated one refused as a duplicate.
    await natsQuiet(nats);
    // The garbage item was never submitted (it does not decode); the good ones were, the repeated
    // one answered as the copy already pending (not a second admission).
    expect(answers).toHaveLength(3);
    expect(answers.map((r) => toHex(r.txId))).toEqual([one, two, one].map((tx) => toHex(txId(tx))));
    expect(answers.map((r) => r.status.status)).toEqual(['pending', 'pending', 'pending']);
    const heightOf = (tx: Transaction) => {
      const st = b.domain.status(txId(tx));
      return st?.status === 'included' ? st.height : -1n;
    };
    const at = [heightOf(one), heightOf(two)];
    // The same message again (same id): the transport drops it. The same claims under another id
    // (a redelivery, or a resend in another batch): handled again, every copy refused.
    await a.router.sendTransfers(a.domain.id, b.domain.id, 'claims/test/1', bodies);
    await a.router.sendTransfers(a.domain.id, b.domain.id, 'claims/test/2', bodies);
    await a.router.sendTransfer(a.domain.id, b.domain.id, 'claim/test/3', encodeTransaction(two));
    await natsQuiet(nats);
    await waitFor(() => answers.length >= 3 + 3 + 1, 'the resent copies answered');
    await natsQuiet(nats);
    expect(answers).toHaveLength(3 + 3 + 1);
    // Every resent copy is answered with the inclusion already made, at the same height.
    const heights = new Map([
      [toHex(txId(one)), at[0]],
      [toHex(txId(two)), at[1]],
    ]);
    for (const r of answers.slice(3))
      expect(r.status).toMatchObject({ status: 'included', height: heights.get(toHex(r.txId)) });
    expect([heightOf(one), heightOf(two)]).toEqual(at);
    // Each included once in b's chain.
    const count = (tx: Transaction) => {
      let n = 0;
      for (let h = 1n; h <= b.domain.committedHeight; h++)
        n += b.domain.block(h)?.txs.filter((t) => toHex(txId(t)) === toHex(txId(tx))).length ?? 0;
      return n;
    };
    expect([count(one), count(two)]).toEqual([1, 1]);

    // A body whose framing is bad: refused as a whole, nothing in it submitted.
    const three = wallet.mintTx(alice.publicKey, 3n).tx;
    const framed = encodeClaims([encodeTransaction(three)]);
    const broken = new Uint8Array([...framed, 0]); // a trailing byte
    const before = answers.length;
    await nats
      .endpoint(a.domain.id)
      .send(b.domain.id, { kind: 'transfers', id: 'claims/test/bad', body: broken });
    await natsQuiet(nats);
    await waitFor(() => refused.includes('CODEC'), 'the bad framing refused');
    expect(answers.length).toBe(before);
    expect(b.domain.status(txId(three))).toBeUndefined();
    await a.close();
    await b.close();
    await nats.close();
  }, 120_000);
});

describe('transfers between node hosts', () => {
  it('send the claims of one pass together and each lands exactly once', async () => {
    const bus = new InProcessBus({});
    const names = ['claims-e2e-a', 'claims-e2e-b'];
    const { root, peers } = await createNodes('weft-claims-e2e-', names, (id) => bus.endpoint(id), dirs);
    const hosts: NodeHost[] = [];
    for (const i of [0, 1])
      hosts.push(
        await NodeHost.open({
          dir: join(root, names[i]!),
          signers: [nodeSigner(names[i]!)],
          endpoint: (id) => bus.endpoint(id),
          peers: [peers[1 - i]!],
          peerReads: () => domainReads(() => hosts[1 - i]!.domain),
          mode: 'transition',
          ...QUICK_HOST_TIMINGS,
        }),
      );
    const [a, b] = hosts as [NodeHost, NodeHost];
    const messages: number[] = [];
    const one = a.router.sendTransfer.bind(a.router);
    const many = a.router.sendTransfers.bind(a.router);
    a.router.sendTransfer = (from, to, id, body) => {
      messages.push(1);
      return one(from, to, id, body);
    };
    a.router.sendTransfers = (from, to, id, bodies) => {
      messages.push(bodies.length);
      return many(from, to, id, bodies);
    };
    const wallet = new Wallet(a.domain, 'claims-e2e');
    const coins = Array.from({ length: 12 }, () => wallet.mintTx(alice.publicKey, 4n));
    for (const c of coins) await a.domain.submit(c.tx);
    await waitFor(() => coins.every((c) => a.domain.status(txId(c.tx))?.status === 'included'), 'mints');
    const plans = [];
    for (const c of coins)
      plans.push(await planTransfer({ from: a.domain, to: b.domain, resource: c.coin, owner: alice }));
    const hs = await a.driver.adoptMany(plans.map((plan) => ({ plan, from: a.domain.id, to: b.domain.id })));
    const ended = await Promise.all(hs.map((h) => h.done));
    expect(ended.map((t) => t.phase)).toEqual(Array(12).fill('confirmed'));
    // Fewer messages than claims: the claims of one pass went together.
    expect(messages.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(12);
    expect(messages.length).toBeLessThan(12);
    expect(Math.max(...messages)).toBeGreaterThan(1);
    // Every claim spent its nullifier on b, once: one transaction of b's chain consumes it.
    const spends = new Map<string, number>();
    for (let h = 1n; h <= b.domain.committedHeight; h++)
      for (const t of b.domain.block(h)?.txs ?? [])
        for (const act of t.actions)
          for (const c of act.consumed) {
            const nf = toHex(nullifier(c.resource, c.nk));
            spends.set(nf, (spends.get(nf) ?? 0) + 1);
          }
    for (const plan of plans) {
      const nf = nullifier(plan.moved.resource, plan.moved.nk);
      expect(b.domain.proveNullifier(nf).value).not.toBeNull();
      expect(spends.get(toHex(nf))).toBe(1);
    }
    await a.close();
    await b.close();
    await bus.close();
  }, 60_000);
});
