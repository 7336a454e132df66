import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  API_BODY_BYTES_MAX,
  createApi,
  EVENT_TYPES,
  ROOTS_RANGE_DEFAULT,
  ROOTS_RANGE_MAX,
  type WeftApi,
  WeftClient,
} from '../src/api/index.js';
import { ERROR_CODES, toHex } from '../src/crypto/index.js';
import { Domain, decodeKeySet, encodeBlock, KEYSET_TREE_KEY, keySetsEqual } from '../src/domain/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { verifyProof } from '../src/smt/index.js';
import { GlobalRoot } from '../src/sync/index.js';
import { commitmentKey, encodeTransaction, nullifierKey, transactionToJson } from '../src/tx/index.js';
import { alice, bob, type Coin, key, makeDomain, Wallet } from './helpers/domain.js';
import { type TestNet, testNet } from './helpers/network.js';

let t: TestNet;
let apis: WeftApi[];
let urls: string[];
let clients: WeftClient[];
let global: GlobalRoot;
let wallet: Wallet;
/** a coin minted on alpha through the API, and the height it landed at */
let coin: Coin;
let mintHeight: bigint;

const hex32 = (byte: number) => toHex(new Uint8Array(32).fill(byte));

async function post(url: string, body: string, contentType = 'application/json') {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  t = await testNet(['api-alpha', 'api-beta']);
  global = new GlobalRoot();
  apis = await Promise.all(
    t.domains.map((d) =>
      createApi(
        { domain: d, router: t.net, driver: t.driver, globalRoot: () => global },
        { heartbeatMs: 50 },
      ),
    ),
  );
  urls = await Promise.all(apis.map((a) => a.listen()));
  clients = urls.map((u) => new WeftClient(u));
  wallet = new Wallet(t.domains[0]!, 'api');
  const m = wallet.mintTx(alice.publicKey, 100n);
  coin = m.coin;
  const r = await clients[0]!.submit(m.tx);
  expect(r.status.status).toBe('pending');
  await t.round();
  mintHeight = t.domains[0]!.committedHeight;
  await t.round();
});

afterAll(async () => {
  for (const a of apis) await a.close();
  t.net.close();
});

describe('the node API over a live domain', () => {
  it('tells which domain it serves, with its key set and tips', async () => {
    const [alpha] = t.domains;
    const info = await clients[0]!.info();
    expect(info.name).toBe('api-alpha');
    expect(info.domainId).toEqual(alpha!.id);
    expect(info.keySet.threshold).toBe(alpha!.keySet.threshold);
    expect(info.keySet.keys.map((k) => toHex(k.bytes))).toEqual(
      alpha!.keySet.keys.map((k) => toHex(k.bytes)),
    );
    expect(info.committedHeight).toBe(alpha!.committedHeight);
    // No anchor through other domains unless the operator allows it.
    expect(info.anchorPolicy).toEqual({ maxIntermediaries: 0, maxStalenessMs: 0 });
    const health = await clients[0]!.health();
    expect(health).toMatchObject({ ok: true, name: 'api-alpha', height: alpha!.committedHeight, peers: 1 });
  });

  it('admits a transaction in either form and reports it included', async () => {
    const [alpha] = t.domains;
    const json = wallet.mintTx(bob.publicKey, 7n);
    const viaJson = await clients[0]!.submit(json.tx, { form: 'json' });
    expect(viaJson.status).toEqual({ status: 'pending', sinceHeight: alpha!.committedHeight });
    // The same transaction again: the domain answers with the status it already has.
    const again = await clients[0]!.submit(json.tx);
    expect(again.status.status).toBe('pending');
    await t.round();
    const st = await clients[0]!.status(viaJson.txId);
    expect(st).toMatchObject({ status: 'included', height: alpha!.committedHeight });
    expect(await clients[0]!.status(new Uint8Array(32).fill(9))).toBeUndefined();
  });

  it('answers a refused submission with the code table status, its id and its status', async () => {
    const [alpha] = t.domains;
    // Spend the coin once (admitted), then again in another transaction (NULLIFIER_PENDING).
    const first = wallet.transferTx(coin, alice, bob.publicKey, 40n);
    const second = wallet.transferTx(coin, alice, bob.publicKey, 30n);
    expect((await clients[0]!.submit(first.tx)).status.status).toBe('pending');
    const raw = await post(`${urls[0]}/v1/txs`, JSON.stringify({ tx: toHex(encodeTransaction(second.tx)) }));
    expect(raw.status).toBe(409);
    expect(raw.json).toMatchObject({
      error: { code: 'NULLIFIER_PENDING' },
      status: { status: 'rejected', code: 'NULLIFIER_PENDING' },
    });
    // The client keeps Domain.submit's contract: a refusal is a status.
    const viaClient = await clients[0]!.submit(second.tx);
    expect(viaClient.status).toMatchObject({ status: 'rejected', code: 'NULLIFIER_PENDING' });
    expect(toHex(viaClient.txId)).toBe(raw.json.txId);
    await t.round();
    const spent = await post(`${urls[0]}/v1/txs`, JSON.stringify({ json: transactionToJson(second.tx) }));
    expect(spent.status).toBe(ERROR_CODES.NULLIFIER_SPENT.status);
    expect(spent.json).toMatchObject({ error: { code: 'NULLIFIER_SPENT' } });
    expect(alpha!.proveNullifier(nullifier(coin.resource, coin.nk)).value).not.toBeNull();
  });

  it('serves signed headers and blocks exactly as the domain holds them', async () => {
    const [alpha] = t.domains;
    const c = clients[0]!;
    for (let h = 0n; h <= alpha!.committedHeight; h++) {
      expect(await c.header(h)).toEqual(alpha!.header(h));
      const block = await c.block(h);
      expect(encodeBlock(block!)).toEqual(encodeBlock(alpha!.block(h)!));
    }
    expect(await c.header('latest')).toEqual(alpha!.header());
    expect(await c.header(alpha!.committedHeight + 1n)).toBeUndefined();
    expect(await c.block(alpha!.committedHeight + 1n)).toBeUndefined();
    const raw = await get(`${urls[0]}/v1/blocks/${mintHeight}`);
    expect(raw.json.txCount).toBe(1);
    expect((raw.json.batches as string[][]).flat()).toHaveLength(1);
  });

  it('serves the state root with both tips, and a bounded root history', async () => {
    const [alpha] = t.domains;
    const c = clients[0]!;
    const root = await c.root();
    expect(root.stateRoot).toEqual(alpha!.stateRoot);
    expect(root.committedHeight).toBe(alpha!.committedHeight);
    expect(root.provenHeight).toBe(alpha!.provenHeight);
    const all = await c.roots({ from: 0n });
    expect(all.map((r) => r.height)).toEqual(
      Array.from({ length: Number(alpha!.committedHeight) + 1 }, (_, i) => BigInt(i)),
    );
    for (const r of all) expect(r.stateRoot).toEqual(alpha!.header(r.height)!.header.stateRoot);
    // `to` past the tip is capped at the tip.
    const some = await c.roots({ from: 1n, to: 10_000n });
    expect(some[some.length - 1]!.height).toBe(alpha!.committedHeight);
  });

  it('proves inclusion and absence at any height, verifiable against the header roots', async () => {
    const [alpha] = t.domains;
    const c = clients[0]!;
    const cm = commitment(coin.resource);
    const nf = nullifier(coin.resource, coin.nk);
    const cases = [
      { at: mintHeight - 1n, cmPresent: false, nfPresent: false },
      { at: mintHeight, cmPresent: true, nfPresent: false },
      { at: undefined, cmPresent: true, nfPresent: true },
    ];
    for (const k of cases) {
      const p = await c.proveCommitment(cm, k.at);
      const expectedHeight = k.at ?? alpha!.committedHeight;
      expect(p.height).toBe(expectedHeight);
      expect(p.root).toEqual(alpha!.header(expectedHeight)!.header.stateRoot);
      expect(p.key).toEqual(commitmentKey(cm));
      expect(p.value !== null).toBe(k.cmPresent);
      expect(verifyProof(p.root, commitmentKey(cm), p.value, p.proof)).toBe(true);
      const n = await c.proveNullifier(nf, k.at);
      expect(n.value !== null).toBe(k.nfPresent);
      expect(verifyProof(n.root, nullifierKey(nf), n.value, n.proof)).toBe(true);
      // A proof is not a proof of the other answer.
      expect(verifyProof(n.root, nullifierKey(nf), k.nfPresent ? null : new Uint8Array(8), n.proof)).toBe(
        false,
      );
    }
  });

  it('proves the key-set record at a height (what a light client proves a key-set change with)', async () => {
    const [alpha] = t.domains;
    const c = clients[0]!;
    for (const at of [0n, undefined]) {
      const p = await c.proveKeySet(at);
      expect(p.height).toBe(at ?? alpha!.committedHeight);
      expect(p.key).toEqual(KEYSET_TREE_KEY);
      expect(keySetsEqual(decodeKeySet(p.value!), alpha!.keySet)).toBe(true);
      expect(verifyProof(p.root, KEYSET_TREE_KEY, p.value, p.proof)).toBe(true);
      expect(verifyProof(p.root, KEYSET_TREE_KEY, null, p.proof)).toBe(false);
    }
  });

  it('says which roots a transaction may anchor on', async () => {
    const [alpha, beta] = t.domains;
    expect(await clients[0]!.acceptsAnchor(alpha!.stateRoot)).toBe(true);
    expect(await clients[0]!.acceptsAnchor(new Uint8Array(32).fill(3))).toBe(false);
    await t.round();
    const betaRoot = alpha!.remoteHeader(beta!.id)!.stateRoot;
    expect(await clients[0]!.acceptsAnchor(betaRoot)).toBe(true);
  });

  it('lists remote views with their latest verified and recorded headers', async () => {
    const [alpha, beta] = t.domains;
    await t.round();
    const views = await clients[0]!.remotes();
    expect(views).toHaveLength(1);
    const v = views[0]!;
    expect(v.domainId).toEqual(beta!.id);
    expect(v.name).toBe('api-beta');
    expect(v.frozen).toBe(false);
    expect(v.frozenFromHeight).toBeNull();
    expect(v.frozenBy).toBeNull();
    expect(v.head).toEqual(t.net.syncOf(alpha!.id)!.view(beta!.id)!.head);
    expect(v.recorded).toEqual(alpha!.remoteHeader(beta!.id));
    expect(await clients[0]!.remote(beta!.id)).toEqual(v);
    expect(await clients[0]!.remoteHeader(beta!.id)).toEqual(alpha!.remoteHeader(beta!.id));
    expect(await clients[0]!.remote(new Uint8Array(32).fill(1))).toBeUndefined();
  });

  it("serves the global root with each domain's proof under it", async () => {
    await global.update(t.domains.map((d) => ({ domainId: d.id, root: d.stateRoot })));
    const g = await clients[1]!.globalRoot();
    expect(g.root).toEqual(global.root());
    expect(g.domains).toHaveLength(2);
    for (const d of g.domains) expect(verifyProof(g.root, d.domainId, d.stateRoot, d.proof)).toBe(true);
  });

  it('serves value preimages by reference, and 404 UNKNOWN_VALUE for others', async () => {
    expect(await clients[0]!.value(coin.resource.valueRef)).toEqual(coin.value);
    expect(await clients[0]!.value(new Uint8Array(32).fill(5))).toBeUndefined();
    const raw = await get(`${urls[0]}/v1/values/${hex32(5)}`);
    expect(raw).toEqual({
      status: 404,
      json: { error: { code: 'UNKNOWN_VALUE', message: expect.any(String) } },
    });
  });

  it('exposes metrics in the Prometheus text format, every family with HELP and TYPE', async () => {
    const text = await clients[0]!.metrics();
    const families = parsePrometheus(text);
    for (const name of [
      'weft_committed_height',
      'weft_proven_height',
      'weft_mempool_txs',
      'weft_txs_accepted_total',
      'weft_txs_rejected_total',
      'weft_txs_included_total',
      'weft_blocks_sealed_total',
      'weft_remote_height',
      'weft_network_sent_total',
      'weft_network_refused_total',
      'weft_transfers',
      'weft_api_requests_total',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    const [alpha, beta] = t.domains;
    expect(families.get('weft_committed_height')!.samples[0]!.value).toBe(Number(alpha!.committedHeight));
    expect(families.get('weft_txs_rejected_total')!.samples).toContainEqual({
      labels: { code: 'NULLIFIER_PENDING' },
      value: 2,
    });
    expect(families.get('weft_remote_height')!.samples[0]!.labels).toEqual({
      domain: toHex(beta!.id),
      name: 'api-beta',
    });
    expect(families.get('weft_blocks_sealed_total')!.type).toBe('counter');
  });

  it('publishes an OpenAPI 3.1 document listing every route with its schemas', async () => {
    const doc = (await clients[0]!.openapi()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { operationId: string; responses: object; parameters?: { name: string; in: string }[] }
        >
      >;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(ops.sort()).toEqual(
      [
        'GET /v1/info getInfo',
        'POST /v1/txs submitTransaction',
        'GET /v1/txs/{id} getTransactionStatus',
        'GET /v1/txs getTransactionStatuses',
        'GET /v1/proofs/nullifiers proveNullifiers',
        'GET /v1/proofs/commitments proveCommitments',
        'GET /v1/proofs/refusals proveRefusals',
        'GET /v1/blocks/{height} getBlock',
        'GET /v1/headers/{height} getHeader',
        'GET /v1/root getStateRoot',
        'GET /v1/roots getRootHistory',
        'GET /v1/proofs/commitments/{cm} proveCommitment',
        'GET /v1/proofs/nullifiers/{nf} proveNullifier',
        'GET /v1/proofs/refusals/{nf} proveRefusal',
        'GET /v1/proofs/objects/{object} proveObject',
        'GET /v1/proofs/keyset proveKeySet',
        'GET /v1/anchors/{root} getAnchor',
        'GET /v1/remotes listRemotes',
        'GET /v1/remotes/{domainId} getRemote',
        'POST /v1/remotes/{domainId}/reinit reinitializeRemote',
        'POST /v1/attestations submitAttestation',
        'GET /v1/global-root getGlobalRoot',
        'POST /v1/transfers startTransfer',
        'POST /v1/transfers/batch startTransfers',
        'GET /v1/transfers listTransfers',
        'GET /v1/transfers/{id} getTransfer',
        'GET /v1/values/{valueRef} getValue',
        'GET /v1/events streamEvents',
        'GET /health health',
        'GET /metrics metrics',
        'GET /openapi.json openapi',
        'GET /v1/network getNetwork',
        'GET / dashboard',
        'GET /ui/{asset} dashboardAsset',
      ].sort(),
    );
    // Every fastify route is documented, and every path parameter is declared.
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const m of Object.keys(methods)) {
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        expect(apis[0]!.app.hasRoute({ method: m.toUpperCase() as 'GET', url }), `${m} ${path}`).toBe(true);
      }
    }
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const op of Object.values(methods)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort()).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
        expect(Object.keys(op.responses)).toContain('4XX');
      }
    }
    expect(doc.paths['/v1/txs']!.post).toMatchObject({ requestBody: { required: true } });
    expect(JSON.stringify(doc)).not.toContain('"$ref":"#/components/schemas/Missing');
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)) {
      expect(doc.components.schemas[ref[1]!]).toBeDefined();
    }
  });

  it('streams blockSealed events to a subscriber, and forgets it when it leaves', async () => {
    const [alpha] = t.domains;
    const stream = clients[0]!.events({ types: ['blockSealed'] });
    const first = stream.next();
    // The subscription is live once the server counts it.
    await waitFor(async () => (await streamsOpen(0)) === 1);
    await alpha!.sealBlock();
    const e = (await first).value;
    expect(e).toMatchObject({ type: 'blockSealed', height: alpha!.committedHeight, txCount: 0 });
    expect(e.stateRoot).toEqual(alpha!.stateRoot);
    await stream.return(undefined);
    await waitFor(async () => (await streamsOpen(0)) === 0);
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const ac = new AbortController();
    const res = await fetch(`${urls[1]}/v1/events?types=refused`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text.startsWith('retry: ')).toBe(true);
    ac.abort();
    await waitFor(async () => (await streamsOpen(1)) === 0);
  });
});

describe('requests the API refuses before the domain sees them', () => {
  it('answers every malformed request with a 4xx code and leaves the domain untouched', async () => {
    const [alpha] = t.domains;
    const u = urls[0]!;
    const tip = alpha!.committedHeight;
    const okTx = toHex(encodeTransaction(wallet.mintTx(alice.publicKey, 1n).tx));
    const json = transactionToJson(wallet.mintTx(alice.publicKey, 1n).tx);
    type Case = {
      name: string;
      method?: 'GET' | 'POST';
      path: string;
      body?: string;
      type?: string;
      status: number;
      code: string;
    };
    const cases: Case[] = [
      { name: 'height not a number', path: '/v1/blocks/abc', status: 400, code: 'BAD_NUMBER' },
      { name: 'height with a leading zero', path: '/v1/blocks/01', status: 400, code: 'BAD_NUMBER' },
      { name: 'height past u64', path: '/v1/blocks/99999999999999999999', status: 400, code: 'BAD_NUMBER' },
      { name: 'height too long', path: '/v1/blocks/123456789012345678901', status: 400, code: 'BAD_LENGTH' },
      { name: 'height above the tip', path: `/v1/blocks/${tip + 1n}`, status: 404, code: 'UNKNOWN_HEIGHT' },
      {
        name: 'header height neither a number nor latest',
        path: '/v1/headers/tip',
        status: 400,
        code: 'BAD_NUMBER',
      },
      { name: 'header above the tip', path: `/v1/headers/${tip + 5n}`, status: 404, code: 'UNKNOWN_HEIGHT' },
      { name: 'id too short', path: '/v1/txs/0x1234', status: 400, code: 'BAD_LENGTH' },
      { name: 'id far too long', path: `/v1/txs/0x${'ab'.repeat(100)}`, status: 400, code: 'BAD_LENGTH' },
      { name: 'id not hex', path: `/v1/txs/0x${'zz'.repeat(32)}`, status: 400, code: 'BAD_HEX' },
      { name: 'id in upper case', path: `/v1/txs/0x${'AB'.repeat(32)}`, status: 400, code: 'BAD_HEX' },
      { name: 'id without 0x', path: `/v1/txs/${'ab'.repeat(33)}`, status: 400, code: 'BAD_HEX' },
      { name: 'unknown transaction', path: `/v1/txs/${hex32(7)}`, status: 404, code: 'UNKNOWN_TX' },
      {
        name: 'proof height not a number',
        path: `/v1/proofs/commitments/${hex32(1)}?height=x`,
        status: 400,
        code: 'BAD_NUMBER',
      },
      {
        name: 'proof height above the tip',
        path: `/v1/proofs/nullifiers/${hex32(1)}?height=${tip + 1n}`,
        status: 404,
        code: 'UNKNOWN_HEIGHT',
      },
      {
        name: 'unknown query parameter',
        path: `/v1/proofs/commitments/${hex32(1)}?at=1`,
        status: 400,
        code: 'UNKNOWN_FIELD',
      },
      {
        name: 'query on a route without any',
        path: '/v1/info?verbose=1',
        status: 400,
        code: 'UNKNOWN_FIELD',
      },
      { name: 'root range reversed', path: '/v1/roots?from=2&to=1', status: 400, code: 'BAD_RANGE' },
      {
        name: 'root range above the tip',
        path: `/v1/roots?from=${tip + 1n}`,
        status: 404,
        code: 'UNKNOWN_HEIGHT',
      },
      { name: 'unknown remote', path: `/v1/remotes/${hex32(2)}`, status: 404, code: 'UNKNOWN_DOMAIN' },
      { name: 'unknown transfer', path: `/v1/transfers/${hex32(2)}`, status: 404, code: 'UNKNOWN_TRANSFER' },
      { name: 'transfer list limit 0', path: '/v1/transfers?limit=0', status: 400, code: 'BAD_RANGE' },
      { name: 'unknown transfer phase', path: '/v1/transfers?phase=lost', status: 400, code: 'BAD_TYPE' },
      {
        name: 'unknown event type',
        path: '/v1/events?types=blockSealed,everything',
        status: 400,
        code: 'BAD_REQUEST',
      },
      { name: 'unknown route', path: '/v1/nothing', status: 404, code: 'NOT_FOUND' },
      {
        name: 'tx with an odd digit count',
        method: 'POST',
        path: '/v1/txs',
        body: '{"tx":"0x123"}',
        status: 400,
        code: 'BAD_HEX',
      },
      {
        name: 'tx not hex',
        method: 'POST',
        path: '/v1/txs',
        body: '{"tx":"0xzz"}',
        status: 400,
        code: 'BAD_HEX',
      },
      {
        name: 'tx not an encoding',
        method: 'POST',
        path: '/v1/txs',
        body: '{"tx":"0x0001"}',
        status: 400,
        code: 'CODEC',
      },
      {
        name: 'tx truncated',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ tx: okTx.slice(0, -2) }),
        status: 400,
        code: 'CODEC',
      },
      {
        name: 'tx with trailing bytes',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ tx: `${okTx}00` }),
        status: 400,
        code: 'CODEC',
      },
      {
        name: 'tx a number',
        method: 'POST',
        path: '/v1/txs',
        body: '{"tx":12}',
        status: 400,
        code: 'BAD_TYPE',
      },
      {
        name: 'unknown body field',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ tx: okTx, fee: '1' }),
        status: 400,
        code: 'UNKNOWN_FIELD',
      },
      {
        name: 'both forms',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ tx: okTx, json }),
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'neither form',
        method: 'POST',
        path: '/v1/txs',
        body: '{}',
        status: 400,
        code: 'MISSING_FIELD',
      },
      {
        name: 'only an unknown field',
        method: 'POST',
        path: '/v1/txs',
        body: '{"fee":"1"}',
        status: 400,
        code: 'MISSING_FIELD',
      },
      {
        name: 'json tx with an unknown field',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ json: { ...json, memo: 'x' } }),
        status: 400,
        code: 'UNKNOWN_FIELD',
      },
      {
        name: 'json tx quantity as a number',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({
          json: {
            ...json,
            actions: [
              {
                ...json.actions[0]!,
                created: [
                  {
                    ...json.actions[0]!.created[0]!,
                    resource: { ...json.actions[0]!.created[0]!.resource, quantity: 1 },
                  },
                ],
              },
            ],
          },
        }),
        status: 400,
        code: 'BAD_TYPE',
      },
      {
        name: 'json tx without actions',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ json: { ...json, actions: [] } }),
        status: 400,
        code: 'TX_MALFORMED',
      },
      {
        name: 'json tx missing appData',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ json: { actions: json.actions, signatures: [] } }),
        status: 400,
        code: 'MISSING_FIELD',
      },
      { name: 'bad JSON', method: 'POST', path: '/v1/txs', body: '{"tx":', status: 400, code: 'BAD_JSON' },
      { name: 'empty JSON body', method: 'POST', path: '/v1/txs', body: '', status: 400, code: 'BAD_JSON' },
      {
        name: 'prototype poisoning',
        method: 'POST',
        path: '/v1/txs',
        body: '{"__proto__":{"x":1},"tx":"0x00"}',
        status: 400,
        code: 'BAD_JSON',
      },
      {
        name: 'not JSON at all',
        method: 'POST',
        path: '/v1/txs',
        body: 'tx=0x00',
        type: 'text/plain',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'oversized body',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ tx: `0x${'00'.repeat(API_BODY_BYTES_MAX / 2)}` }),
        status: 413,
        code: 'BODY_TOO_LARGE',
      },
      {
        name: 'tx over TX_BYTES_MAX',
        method: 'POST',
        path: '/v1/txs',
        body: JSON.stringify({ tx: `0x${'00'.repeat(600 * 1024)}` }),
        status: 400,
        code: 'BAD_LENGTH',
      },
      {
        name: 'transfer to a short id',
        method: 'POST',
        path: '/v1/transfers',
        body: JSON.stringify({ to: '0x01', plan: {} }),
        status: 400,
        code: 'BAD_LENGTH',
      },
      {
        name: 'transfer plan not an encoding',
        method: 'POST',
        path: '/v1/transfers',
        body: JSON.stringify({
          to: toHex(t.domains[1]!.id),
          plan: {
            move: '0x00',
            claim: '0x00',
            moved: {
              resource: json.actions[0]!.created[0]!.resource,
              value: '0x',
              label: '0x',
              nk: hex32(0),
            },
          },
        }),
        status: 400,
        code: 'CODEC',
      },
    ];
    const submit = vi.spyOn(alpha!, 'submit');
    const before = { height: alpha!.committedHeight, root: alpha!.stateRoot, mempool: alpha!.mempoolSize };
    const transfersBefore = t.driver.list().length;
    for (const k of cases) {
      const res = await fetch(`${u}${k.path}`, {
        method: k.method ?? 'GET',
        ...(k.body === undefined
          ? {}
          : { body: k.body, headers: { 'content-type': k.type ?? 'application/json' } }),
      });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ name: k.name, status: res.status, code: body.error?.code }).toEqual({
        name: k.name,
        status: k.status,
        code: k.code,
      });
      expect(body.error.message.length, k.name).toBeGreaterThan(0);
      expect(Object.keys(body), k.name).toEqual(['error']);
    }
    expect(submit).not.toHaveBeenCalled();
    submit.mockRestore();
    expect({ height: alpha!.committedHeight, root: alpha!.stateRoot, mempool: alpha!.mempoolSize }).toEqual(
      before,
    );
    expect(t.driver.list()).toHaveLength(transfersBefore);
  });

  it('takes a body up to the limit: a large well-formed request is refused on its merits, not its size', async () => {
    const big = JSON.stringify({ tx: `0x${'00'.repeat(512 * 1024)}` });
    expect(big.length).toBeLessThan(API_BODY_BYTES_MAX);
    const r = await post(`${urls[0]}/v1/txs`, big);
    expect(r.status).toBe(400);
    expect((r.json.error as { code: string }).code).not.toBe('BODY_TOO_LARGE');
  });

  it("shows the node's anchor policy (anchors known through other domains)", async () => {
    const policy = { maxIntermediaries: 2, maxStalenessMs: 600_000 };
    const d = await Domain.create({
      name: 'api-policy',
      signers: [key('secp256k1', 'api-policy/operator')],
      anchorPolicy: policy,
    });
    const api = await createApi({ domain: d });
    try {
      expect((await new WeftClient(await api.listen()).info()).anchorPolicy).toEqual(policy);
    } finally {
      await api.close();
    }
  });

  it('pages the root history and bounds every range', async () => {
    const d = await makeDomain('api-long');
    for (let i = 0; i < ROOTS_RANGE_MAX + 10; i++) await d.sealBlock();
    const api = await createApi({ domain: d });
    try {
      const c = new WeftClient(await api.listen());
      const tip = d.committedHeight;
      const latest = await c.roots();
      expect(latest.map((r) => r.height)).toEqual(
        Array.from({ length: ROOTS_RANGE_DEFAULT }, (_, i) => tip - BigInt(ROOTS_RANGE_DEFAULT - 1 - i)),
      );
      const page = await c.roots({ from: 0n });
      expect(page).toHaveLength(ROOTS_RANGE_MAX);
      const next = await c.roots({ from: page.at(-1)!.height + 1n });
      expect(next[0]!.height).toBe(BigInt(ROOTS_RANGE_MAX));
      expect(next.at(-1)!.height).toBe(tip);
      expect((await c.roots({ to: 5n })).map((r) => r.height)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
      await expect(c.roots({ from: 0n, to: BigInt(ROOTS_RANGE_MAX) })).rejects.toMatchObject({
        code: 'BAD_RANGE',
        httpStatus: 400,
      });
    } finally {
      await api.close();
    }
  });

  it('documents every error code it can answer with', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../docs/api.md'), 'utf8');
    for (const code of Object.keys(ERROR_CODES)) expect(doc, code).toContain(`\`${code}\``);
  });

  it('lists every event type the stream filter accepts', () => {
    expect([...EVENT_TYPES]).toEqual(['blockSealed', 'remoteAccepted', 'refused', 'transferPhase']);
  });

  it('answers 404 NOT_ENABLED for parts a node does not run', async () => {
    const lone = await createApi({ domain: t.domains[1]! });
    try {
      for (const path of ['/v1/global-root', '/v1/transfers', `/v1/transfers/${hex32(1)}`]) {
        const r = await lone.app.inject({ method: 'GET', url: path });
        expect(r.statusCode, path).toBe(404);
        expect(r.json(), path).toMatchObject({ error: { code: 'NOT_ENABLED' } });
      }
      const remotes = await lone.app.inject({ method: 'GET', url: '/v1/remotes' });
      expect(remotes.json()).toEqual({ remotes: [] });
      // Without a network the view falls back to what the domain recorded in its tree.
      const alphaId = toHex(t.domains[0]!.id);
      const one = await lone.app.inject({ method: 'GET', url: `/v1/remotes/${alphaId}` });
      expect(one.json()).toMatchObject({ domainId: alphaId, head: null, frozen: false });
    } finally {
      await lone.close();
    }
  });
});

/** Open event streams of API `i`, read from its metrics. */
async function streamsOpen(i: number): Promise<number> {
  const f = parsePrometheus(await clients[i]!.metrics());
  return f.get('weft_api_event_streams')!.samples[0]!.value;
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Family = { type: string; help: string; samples: { labels: Record<string, string>; value: number }[] };

/**
 * A strict reader of the Prometheus text format: HELP and TYPE before samples, names and labels
 * well formed; a histogram's `_bucket`, `_sum` and `_count` samples belong to its family.
 */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.trimEnd().split('\n')) {
    if (line === '') continue;
    const help = new RegExp(`^# HELP (${NAME}) (.+)$`).exec(line);
    if (help) {
      expect(families.has(help[1]!), `duplicate family ${help[1]}`).toBe(false);
      families.set(help[1]!, { type: '', help: help[2]!, samples: [] });
      continue;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary)$`).exec(line);
    if (type) {
      const f = families.get(type[1]!);
      expect(f, `TYPE before HELP for ${type[1]}`).toBeDefined();
      f!.type = type[2]!;
      continue;
    }
    // prom-client writes NaN as `Nan`; Prometheus reads any case.
    const sample = new RegExp(`^(${NAME})(\\{(.*)\\})? (-?[0-9.e+-]+|\\+Inf|-Inf|[Nn]a[Nn])$`).exec(line);
    expect(sample, `not a sample line: ${line}`).not.toBeNull();
    const name = sample![1]!;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const f =
      families.get(name) ?? (families.get(base)?.type === 'histogram' ? families.get(base) : undefined);
    expect(f?.type, `sample before TYPE: ${line}`).toBeTruthy();
    const labels: Record<string, string> = {};
    for (const m of (sample![3] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"(,|$)/g)) labels[m[1]!] = m[2]!;
    f!.samples.push({ labels, value: Number(sample![4]) });
  }
  return families;
}
