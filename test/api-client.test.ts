import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiEvent,
  createApi,
  planTransfersVia,
  planTransferVia,
  READS_BATCH_MAX,
  TRANSFERS_BATCH_MAX,
  type WeftApi,
  WeftApiError,
  WeftClient,
} from '../src/api/index.js';
import { planFromJson, planToJson, transferFromJson, transferToJson } from '../src/api/wire.js';
import { toHex, WeftError } from '../src/crypto/index.js';
import type { Domain } from '../src/domain/index.js';
import type { PeerReads } from '../src/node/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { verifyProof } from '../src/smt/index.js';
import { type DurableNode, LmdbTransferStore, openDomainNode } from '../src/store/index.js';
import { GlobalRoot } from '../src/sync/index.js';
import type { Transfer } from '../src/transfer/index.js';
import { commitmentKey, encodeTransaction, nullifierKey, txId } from '../src/tx/index.js';
import { alice, key, makeDomain, steppingClock, Wallet } from './helpers/domain.js';
import { type TestNet, testNet } from './helpers/network.js';

let dir: string;
let durable: DurableNode;
let t: TestNet;
let apis: WeftApi[];
let clients: WeftClient[];
/** every request body the clients sent, to check no secret ever left them */
const sentBodies: string[] = [];

const recordingFetch: typeof fetch = (input, init) => {
  if (typeof init?.body === 'string') sentBodies.push(init.body);
  return fetch(input, init);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-api-client-'));
  durable = await openDomainNode(join(dir, 'alpha'), {
    signers: [key('secp256k1', 'client-alpha/operator')],
    create: { name: 'client-alpha', genesisTimestamp: 1_700_000_000_000n },
    clock: steppingClock(),
  });
  const domains: Domain[] = [
    durable.domain,
    await makeDomain('client-beta'),
    await makeDomain('client-gamma'),
  ];
  t = await testNet([], { domains, store: new LmdbTransferStore(durable.node) });
  const global = new GlobalRoot();
  apis = await Promise.all(
    domains.map((d) => createApi({ domain: d, router: t.net, driver: t.driver, globalRoot: () => global })),
  );
  const urls = await Promise.all(apis.map((a) => a.listen()));
  clients = urls.map((u) => new WeftClient(`${u}/`, { fetch: recordingFetch }));
});

afterAll(async () => {
  for (const a of apis) await a.close();
  t.net.close();
  await durable.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects the events of a stream until stopped. */
function collect(client: WeftClient, types?: ApiEvent['type'][]) {
  const ac = new AbortController();
  const events: ApiEvent[] = [];
  const done = (async () => {
    for await (const e of client.events({ ...(types ? { types } : {}), signal: ac.signal })) events.push(e);
  })();
  return {
    events,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

async function until(cond: () => Promise<boolean>, what: string, rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (await cond()) return;
    await t.round();
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('WeftClient against a durable node (LMDB) and in-memory peers', () => {
  it('reads a durable node: proofs at past heights verify against the roots it serves', async () => {
    const [alpha] = t.domains;
    const c = clients[0]!;
    const w = new Wallet(alpha!, 'client-proofs');
    const minted = [];
    for (const q of [5n, 6n]) {
      const m = w.mintTx(alice.publicKey, q);
      expect((await c.submit(m.tx)).status.status).toBe('pending');
      await t.round();
      minted.push({ coin: m.coin, height: alpha!.committedHeight, id: txId(m.tx) });
    }
    const roots = await c.roots({ from: 0n });
    expect(roots.at(-1)!.height).toBe(alpha!.committedHeight);
    for (const { coin, height, id } of minted) {
      expect(await c.status(id)).toMatchObject({ status: 'included', height });
      const cm = commitment(coin.resource);
      for (const at of [height - 1n, height, alpha!.committedHeight]) {
        const p = await c.proveCommitment(cm, at);
        const trusted = roots.find((r) => r.height === at)!.stateRoot;
        expect(p.root).toEqual(trusted);
        expect(p.value === null).toBe(at < height);
        expect(verifyProof(trusted, commitmentKey(cm), p.value, p.proof)).toBe(true);
      }
      expect(await c.value(coin.resource.valueRef)).toEqual(coin.value);
    }
  });

  it('moves a resource with a plan the client signed: the node never sees a key', async () => {
    const [alpha, beta] = t.domains;
    const [ca, cb] = clients as [WeftClient, WeftClient];
    const w = new Wallet(alpha!, 'client-transfer');
    const m = w.mintTx(alice.publicKey, 42n);
    await ca.submit(m.tx);
    await t.round();
    const onAlpha = collect(ca, ['transferPhase', 'blockSealed']);
    const onBeta = collect(cb, ['remoteAccepted']);
    await until(async () => (await ca.metrics()).includes('weft_api_event_streams 1'), 'alpha stream');

    const plan = await planTransferVia(ca, { to: beta!.id, resource: m.coin, owner: alice });
    const started = await ca.startTransfer(plan, beta!.id);
    const id = started.transfer.id;
    expect(id).toBe(toHex(txId(plan.move)));
    expect(started.transfer).toMatchObject({ phase: 'requested', from: alpha!.id, to: beta!.id });
    expect(started.waiting).toMatchObject({ waitingFor: 'sourceCommit', moveStatus: 'pending' });
    expect(typeof (started.waiting as { sourceHeight: bigint }).sourceHeight).toBe('bigint');
    // Starting the same plan again answers with the transfer already running.
    expect((await ca.startTransfer(plan, beta!.id)).transfer.id).toBe(id);

    await until(async () => (await ca.transfer(id))?.transfer.phase === 'confirmed', 'confirmation');
    const done = (await ca.transfer(id))!;
    expect(done.waiting).toEqual({ waitingFor: null, phase: 'confirmed' });
    expect(done.transfer.history.map((h) => h.phase)).toEqual([
      'requested',
      'sourceCommitted',
      'rootSynced',
      'claimed',
      'confirmed',
    ]);
    expect(toHex(done.transfer.source!.root)).toBe(
      toHex(alpha!.header(done.transfer.sourceHeight!)!.header.stateRoot),
    );
    expect((await ca.transfers({ phase: 'confirmed' })).map((x) => x.id)).toContain(id);
    expect(await cb.transfer(id)).toEqual(done);

    // Both trees tell the story, and the proofs verify against the roots each node serves.
    const spent = await ca.proveNullifier(nullifier(m.coin.resource, m.coin.nk));
    expect(spent.value).not.toBeNull();
    expect(
      verifyProof(
        (await ca.root()).stateRoot,
        nullifierKey(nullifier(m.coin.resource, m.coin.nk)),
        spent.value,
        spent.proof,
      ),
    ).toBe(true);
    const claimed = await cb.proveNullifier(nullifier(plan.moved.resource, plan.moved.nk));
    expect(claimed.value).not.toBeNull();
    expect(claimed.root).toEqual((await cb.header('latest'))!.header.stateRoot);

    await onAlpha.stop();
    await onBeta.stop();
    const phases = onAlpha.events.flatMap((e) =>
      e.type === 'transferPhase' && e.transfer.id === id ? [e.transfer.phase] : [],
    );
    expect(phases).toEqual(['requested', 'sourceCommitted', 'rootSynced', 'claimed', 'confirmed']);
    expect(onAlpha.events.some((e) => e.type === 'blockSealed')).toBe(true);
    expect(onBeta.events.length).toBeGreaterThan(0);
    expect(onBeta.events.every((e) => e.type === 'remoteAccepted')).toBe(true);

    // No secret key ever travelled.
    const secret = toHex(alice.secretKey).slice(2);
    expect(sentBodies.some((b) => b.includes('plan'))).toBe(true);
    for (const b of sentBodies) expect(b).not.toContain(secret);
  });

  it('refuses a plan that does not hold together, and starts nothing', async () => {
    const [alpha, beta, gamma] = t.domains;
    const w = new Wallet(alpha!, 'client-bad-plan');
    const m = w.mintTx(alice.publicKey, 3n);
    await clients[0]!.submit(m.tx);
    await t.round();
    const plan = await planTransferVia(clients[0]!, { to: beta!.id, resource: m.coin, owner: alice });
    const before = t.driver.list().length;
    const err = await clients[0]!.startTransfer(plan, gamma!.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftApiError);
    expect(err).toBeInstanceOf(WeftError);
    expect(err).toMatchObject({ code: 'BAD_PLAN', httpStatus: 422 });
    expect(t.driver.list()).toHaveLength(before);
    expect(alpha!.status(txId(plan.move))).toBeUndefined();
  });

  it('starts many transfers with one batch request, each to its destination, and all confirm', async () => {
    const [alpha, beta, gamma] = t.domains;
    const ca = clients[0]!;
    const w = new Wallet(alpha!, 'client-batch');
    const minted = [3n, 4n, 5n, 6n].map((q) => w.mintTx(alice.publicKey, q));
    for (const m of minted) await ca.submit(m.tx);
    await t.round();
    const dests = [beta!.id, gamma!.id, beta!.id, gamma!.id];
    const plans = await planTransfersVia(
      ca,
      minted.map((m, i) => ({ to: dests[i]!, resource: m.coin, owner: alice })),
      { concurrency: 2 },
    );
    const started = await ca.startTransfers(plans.map((plan, i) => ({ plan, to: dests[i]! })));
    expect(started.map((x) => x.id)).toEqual(plans.map((p) => toHex(txId(p.move))));
    expect(started.map((x) => toHex(x.to))).toEqual(dests.map(toHex));
    expect(started.every((x) => x.phase === 'requested')).toBe(true);
    // The same batch again answers with the transfers already running: nothing doubles.
    const count = t.driver.list().length;
    const again = await ca.startTransfers(plans.map((plan, i) => ({ plan, to: dests[i]! })));
    expect(again.map((x) => x.id)).toEqual(started.map((x) => x.id));
    expect(t.driver.list()).toHaveLength(count);
    for (const x of started)
      await until(async () => (await ca.transfer(x.id))?.transfer.phase === 'confirmed', `confirm ${x.id}`);
  });

  it('plans with READS_BATCH_MAX commitment proofs a read, and refuses a node whose batch lies', async () => {
    const [alpha, beta] = t.domains;
    const ca = clients[0]!;
    const w = new Wallet(alpha!, 'client-plan-reads');
    const minted = [9n, 10n].map((q) => w.mintTx(alice.publicKey, q));
    for (const m of minted) await ca.submit(m.tx);
    await t.round();
    const reads: number[] = [];
    const honest = Object.assign(Object.create(ca) as WeftClient, {
      proveCommitments: async (cms: Uint8Array[], at?: bigint) => {
        reads.push(cms.length);
        return ca.proveCommitments(cms, at);
      },
    });
    // More transfers than one read carries (the same two coins over and over: planning only).
    const params = Array.from({ length: READS_BATCH_MAX + 2 }, (_, i) => ({
      to: beta!.id,
      resource: minted[i % 2]!.coin,
      owner: alice,
    }));
    const plans = await planTransfersVia(honest, params, { concurrency: 1 });
    expect(reads).toEqual([READS_BATCH_MAX, 2]);
    expect(plans).toHaveLength(params.length);
    // A node answering a proof for another commitment, or fewer proofs than asked: refused.
    const lying = (f: (ps: Awaited<ReturnType<WeftClient['proveCommitments']>>) => typeof ps) =>
      Object.assign(Object.create(ca) as WeftClient, {
        proveCommitments: async (cms: Uint8Array[], at?: bigint) => f(await ca.proveCommitments(cms, at)),
      });
    const two = params.slice(0, 2);
    await expect(
      planTransfersVia(
        lying((ps) => [ps[1]!, ps[0]!]),
        two,
      ),
    ).rejects.toMatchObject({
      code: 'BAD_PROOF',
    });
    await expect(
      planTransfersVia(
        lying((ps) => ps.slice(1)),
        two,
      ),
    ).rejects.toMatchObject({ code: 'BAD_PROOF' });
    // A node of a build before the batched route answers it NOT_FOUND (no route): planning reads
    // one proof per commitment from it instead, and checks each the same way.
    const single: number[] = [];
    let batchedTries = 0;
    const older = Object.assign(Object.create(ca) as WeftClient, {
      // what an older node answers: a route it does not serve, as the client reports it
      proveCommitments: () => {
        batchedTries++;
        return (ca as unknown as { call(m: string, path: string): Promise<never> }).call(
          'GET',
          '/v1/proofs/no-such-route',
        );
      },
      proveCommitment: async (cm: Uint8Array, at?: bigint) => {
        single.push(1);
        return ca.proveCommitment(cm, at);
      },
    });
    const fallback = await planTransfersVia(older, two);
    expect(single).toHaveLength(2);
    // Asked once per planning: after its NOT_FOUND the other groups read one by one at once.
    batchedTries = 0;
    single.length = 0;
    await planTransfersVia(older, params, { concurrency: 1 });
    expect(batchedTries).toBe(1);
    expect(single).toHaveLength(params.length);
    expect(fallback.map((p) => p.move.actions[0]!.consumed[0]!.commitmentProof!.anchor)).toEqual(
      plans.slice(0, 2).map((p) => p.move.actions[0]!.consumed[0]!.commitmentProof!.anchor),
    );
    // Any other failure of the batched read is not taken for an older node.
    const failing = Object.assign(Object.create(ca) as WeftClient, {
      proveCommitments: async () => {
        throw new WeftApiError('RATE_LIMITED', 'slow down', 429);
      },
    });
    await expect(planTransfersVia(failing, two)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('refuses a batch with one bad item whole: typed error naming the item, nothing started', async () => {
    const [alpha, beta, gamma] = t.domains;
    const ca = clients[0]!;
    const w = new Wallet(alpha!, 'client-batch-bad');
    const minted = [7n, 8n].map((q) => w.mintTx(alice.publicKey, q));
    for (const m of minted) await ca.submit(m.tx);
    await t.round();
    const plans = await planTransfersVia(
      ca,
      minted.map((m) => ({ to: beta!.id, resource: m.coin, owner: alice })),
    );
    const before = t.driver.list().length;
    const height = alpha!.committedHeight;
    // Item 1 names a destination its plan was not made for.
    const err = await ca
      .startTransfers([
        { plan: plans[0]!, to: beta!.id },
        { plan: plans[1]!, to: gamma!.id },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftApiError);
    expect(err).toMatchObject({ code: 'BAD_PLAN', httpStatus: 422 });
    expect((err as Error).message).toContain('transfer 1');
    expect(t.driver.list()).toHaveLength(before);
    for (const p of plans) expect(alpha!.status(txId(p.move))).toBeUndefined();
    expect(alpha!.committedHeight).toBe(height);

    // Bad shapes are refused by the schema with their codes, before any plan is read.
    const body = (transfers: unknown[]) => ({
      method: 'POST' as const,
      url: '/v1/transfers/batch',
      payload: { transfers },
    });
    const item = { to: toHex(beta!.id), plan: planToJson(plans[0]!) };
    const cases: [unknown[], string][] = [
      [[], 'BAD_REQUEST'],
      [Array.from({ length: TRANSFERS_BATCH_MAX + 1 }, () => item), 'TOO_MANY_ITEMS'],
      [[item, { ...item, to: '0x12' }], 'BAD_LENGTH'],
      [[item, { to: item.to }], 'MISSING_FIELD'],
    ];
    for (const [transfers, code] of cases) {
      const r = await apis[0]!.app.inject(body(transfers));
      expect(r.statusCode, code).toBe(400);
      expect(r.json()).toEqual({ error: { code, message: expect.any(String) } });
    }
    expect(t.driver.list()).toHaveLength(before);
    for (const p of plans) expect(alpha!.status(txId(p.move))).toBeUndefined();
  });

  it('charges a batch one request of the rate limit per item: over it, RATE_LIMITED and nothing started', async () => {
    const [alpha, beta] = t.domains;
    const limited = await createApi(
      { domain: alpha!, router: t.net, driver: t.driver },
      { submitBurst: 3, submitRatePerS: 0.001 },
    );
    try {
      const w = new Wallet(alpha!, 'client-batch-rate');
      const minted = [1n, 2n, 3n, 4n].map((q) => w.mintTx(alice.publicKey, q));
      for (const m of minted) await clients[0]!.submit(m.tx);
      await t.round();
      const plans = await planTransfersVia(
        clients[0]!,
        minted.map((m) => ({ to: beta!.id, resource: m.coin, owner: alice })),
      );
      const before = t.driver.list().length;
      const payload = { transfers: plans.map((p) => ({ to: toHex(beta!.id), plan: planToJson(p) })) };
      const r = await limited.app.inject({ method: 'POST', url: '/v1/transfers/batch', payload });
      expect(r.statusCode).toBe(429);
      expect(r.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      expect(r.headers['retry-after']).toBeDefined();
      expect(t.driver.list()).toHaveLength(before);
      for (const p of plans) expect(alpha!.status(txId(p.move))).toBeUndefined();
      // The refused request cost one of the client's three; two items fit the two left.
      const ok = await limited.app.inject({
        method: 'POST',
        url: '/v1/transfers/batch',
        payload: { transfers: payload.transfers.slice(0, 2) },
      });
      expect(ok.statusCode).toBe(202);
      expect(ok.json().transfers).toHaveLength(2);
      expect(t.driver.list()).toHaveLength(before + 2);
    } finally {
      await limited.close();
    }
  });

  it('refuses to plan a resource the node does not hold', async () => {
    const [alpha, beta] = t.domains;
    const stray = new Wallet(alpha!, 'client-stray').coin(alice.publicKey, 1n);
    await expect(
      planTransferVia(clients[0]!, { to: beta!.id, resource: stray, owner: alice }),
    ).rejects.toMatchObject({
      code: 'UNKNOWN_RESOURCE',
    });
  });

  it('throws WeftApiError with the server code, and UNREACHABLE when no node answers', async () => {
    const c = clients[0]!;
    await expect(c.proveCommitment(new Uint8Array(32), 1_000_000n)).rejects.toMatchObject({
      code: 'UNKNOWN_HEIGHT',
      httpStatus: 404,
    });
    await expect(c.roots({ from: 3n, to: 1n })).rejects.toMatchObject({ code: 'BAD_RANGE', httpStatus: 400 });
    const lone = await createApi({ domain: t.domains[2]! });
    const url = await lone.listen();
    await lone.close();
    await expect(new WeftClient(url, { timeoutMs: 2000 }).info()).rejects.toMatchObject({
      code: 'UNREACHABLE',
      httpStatus: 0,
    });
  });

  it('ends open event streams when the API closes', async () => {
    const lone = await createApi({ domain: t.domains[2]! }, { heartbeatMs: 20 });
    const c = new WeftClient(await lone.listen());
    const stream = c.events();
    const next = stream.next();
    for (let i = 0; i < 200 && !(await c.metrics()).includes('weft_api_event_streams 1'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await lone.close();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it('answers the reads a node in another process needs of its peers (PeerReads)', async () => {
    const [alpha, beta] = t.domains;
    await t.round();
    const reads: PeerReads = clients[1]!;
    expect(await clients[1]!.committedHeight()).toBe(beta!.committedHeight);
    expect(await reads.remoteHeader(alpha!.id)).toEqual(beta!.remoteHeader(alpha!.id));
    expect(await reads.acceptsAnchor(beta!.remoteHeader(alpha!.id)!.stateRoot)).toBe(true);
    const cm = new Uint8Array(32).fill(8);
    expect(await reads.proveCommitment(cm)).toEqual(beta!.proveCommitment(cm));
    expect(await reads.proveNullifier(cm, 1n)).toEqual(beta!.proveNullifier(cm, 1n));
    expect(await reads.status(new Uint8Array(32))).toBeUndefined();
  });

  it('answers many statuses and proofs in one read, each as its single read does', async () => {
    const [alpha] = t.domains;
    const c = clients[0]!;
    const w = new Wallet(alpha!, 'client-batched');
    const m = w.mintTx(alice.publicKey, 3n);
    await c.submit(m.tx);
    await t.round();
    const unknown = new Uint8Array(32).fill(7);
    const ids = [txId(m.tx), unknown];
    expect(await c.statuses(ids)).toEqual([await c.status(ids[0]!), undefined]);
    const nfs = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const at = alpha!.committedHeight - 1n;
    expect(await c.proveNullifiers(nfs, at)).toEqual(
      await Promise.all(nfs.map((nf) => c.proveNullifier(nf, at))),
    );
    expect(await c.proveRefusals(nfs)).toEqual(await Promise.all(nfs.map((nf) => c.proveRefusal(nf))));
    // Commitments: one present (the mint's), one absent, at a past height and at the tip.
    const cms = [commitment(m.coin.resource), unknown];
    expect(await c.proveCommitments(cms, at)).toEqual(
      await Promise.all(cms.map((cm) => c.proveCommitment(cm, at))),
    );
    expect(await c.proveCommitments(cms)).toEqual(await Promise.all(cms.map((cm) => c.proveCommitment(cm))));
    expect((await c.proveCommitments(cms))[0]!.value).not.toBeNull();
    await expect(
      c.proveCommitments(Array.from({ length: READS_BATCH_MAX + 1 }, () => unknown)),
    ).rejects.toMatchObject({ httpStatus: 400 });
    // More than READS_BATCH_MAX, or a malformed id: refused whole.
    const many = Array.from({ length: READS_BATCH_MAX + 1 }, () => unknown);
    await expect(c.statuses(many)).rejects.toMatchObject({ httpStatus: 400 });
    const bad = await apis[0]!.app.inject({ method: 'GET', url: '/v1/txs?ids=0x12,0x34' });
    expect(bad.statusCode).toBe(400);
    const high = await apis[0]!.app.inject({
      method: 'GET',
      url: `/v1/proofs/nullifiers?nfs=${toHex(nfs[0]!)}&height=${alpha!.committedHeight + 5n}`,
    });
    expect(high.json()).toMatchObject({ error: { code: 'UNKNOWN_HEIGHT' } });
    const badCm = await apis[0]!.app.inject({
      method: 'GET',
      url: `/v1/proofs/commitments?cms=${toHex(unknown)},0x12`,
    });
    expect(badCm.statusCode).toBe(400);
  });

  it('carries every field of a plan and a transfer through their JSON forms', async () => {
    const [alpha, beta] = t.domains;
    const w = new Wallet(alpha!, 'client-json');
    const coin = await w.mint(alice.publicKey, 2n);
    const plan = await planTransferVia(clients[0]!, { to: beta!.id, resource: coin, owner: alice });
    const withRefund = { ...plan, refund: plan.move };
    const back = planFromJson(JSON.parse(JSON.stringify(planToJson(withRefund))));
    expect(encodeTransaction(back.refund!)).toEqual(encodeTransaction(plan.move));
    expect(encodeTransaction(back.claim)).toEqual(encodeTransaction(plan.claim));
    expect(back.moved).toEqual(plan.moved);
    // Every planned transfer has a deadline and a refund now; a plan without one still round-trips.
    const { refund: _refund, ...noRefund } = plan;
    expect(planFromJson(planToJson(noRefund)).refund).toBeUndefined();
    // A file that is not a plan fails typed (BAD_JSON, naming the field), never with a TypeError
    // (docs/fuzzing.md, finding 6).
    const json = planToJson(noRefund);
    for (const [bad, field] of [
      [{}, 'plan.move'],
      [null, 'plan'],
      [{ ...json, moved: undefined }, 'plan.moved'],
      [{ ...json, moved: { ...json.moved, nk: 7 } }, 'plan.moved.nk'],
      [{ ...json, claim: ['0x00'] }, 'plan.claim'],
      [{ ...json, extra: 1 }, 'plan.extra'],
    ] as const) {
      expect(() => planFromJson(bad as never)).toThrow(
        expect.objectContaining({ code: 'BAD_JSON', message: expect.stringContaining(field) }),
      );
    }
    const full: Transfer = {
      id: toHex(txId(plan.move)),
      from: alpha!.id,
      to: beta!.id,
      phase: 'failed',
      createdAtMs: 1n,
      updatedAtMs: 2n,
      expiresAtMs: 3n,
      sourceHeight: 4n,
      source: {
        height: 4n,
        root: new Uint8Array(32).fill(1),
        proof: alpha!.proveCommitment(new Uint8Array(32)).proof,
      },
      syncedHeight: 5n,
      claimHeight: 6n,
      confirmedHeight: 7n,
      deadlineMs: 8n,
      refundableHeight: 9n,
      refundHeight: 10n,
      failure: { code: 'EXPIRED', reason: 'late' },
      history: [{ phase: 'requested', atMs: 1n }],
    };
    expect(transferFromJson(JSON.parse(JSON.stringify(transferToJson(full))))).toEqual(full);
    const bare: Transfer = { ...full, history: [], phase: 'requested' };
    for (const k of [
      'sourceHeight',
      'source',
      'syncedHeight',
      'claimHeight',
      'confirmedHeight',
      'deadlineMs',
      'refundableHeight',
      'refundHeight',
      'failure',
    ] as const)
      delete bare[k];
    expect(transferFromJson(transferToJson(bare))).toEqual(bare);
  });

  it('ships as weft/client without the server', () => {
    // Walk the runtime imports of src/api/client.ts: fastify and the server stay out.
    const seen = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
        const spec = m[1]!;
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^fastify|server\.js$|routes\.js$/);
        if (spec.startsWith('.')) walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    walk(resolve(import.meta.dirname, '../src/api/client.ts'));
    expect(seen.size).toBeGreaterThan(5);
    // And the package subpaths resolve from the build.
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const c = await import('weft/client'); const a = await import('weft/api'); console.log(typeof c.WeftClient, typeof c.planTransferVia, typeof a.createApi);",
      ],
      { encoding: 'utf8', cwd: resolve(import.meta.dirname, '..') },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function function function');
  });
});
