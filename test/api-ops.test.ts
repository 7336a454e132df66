// Operating a node you can rely on (issue 14): who may change its state, what one client may ask
// of it, re-initialisation only from key sets it already trusts, reads that never see a block
// half-sealed, finished transfers that survive a restart, and errors, logs and metrics an
// operator can read.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../src/api/guard.js';
import { createApi, JSON_DEPTH_MAX, jsonDepthExceeds, WeftClient } from '../src/api/index.js';
import { toHex } from '../src/crypto/index.js';
import {
  type Domain,
  encodeKeySet,
  encodeSignedHeader,
  type KeySet,
  makeKeySet,
  type SignedHeader,
  signHeader,
} from '../src/domain/index.js';
import { NatsTransport } from '../src/net/index.js';
import { LmdbTransferStore, openDomainNode } from '../src/store/index.js';
import { encodeRootUpdate, rootUpdateFromBlock } from '../src/sync/index.js';
import { MemoryTransferStore, TransferDriver } from '../src/transfer/index.js';
import { alice, key, makeDomain, Wallet } from './helpers/domain.js';
import { isolatedStream, startTestNatsServer, waitFor } from './helpers/natsNet.js';
import { testNet } from './helpers/network.js';

const TOKEN = 'ops-test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A network where member `b` has frozen its view of `evil` (evil signed two blocks at height 1). */
async function frozenView() {
  const evilKey = key('secp256k1', 'ops/evil');
  const evil = await makeDomain('ops-evil', { signers: [evilKey] });
  const fork = await makeDomain('ops-evil', { signers: [evilKey] });
  const t = await testNet([], { domains: [await makeDomain('ops-b'), evil] });
  const [b] = t.domains as [Domain];
  await new Wallet(evil, 'w').mint(alice.publicKey, 1n);
  await fork.sealBlock(); // an empty block 1: another header at the same height
  await t.bus.idle();
  await t.net.announceAll();
  await t.bus.idle();
  const attacker = t.bus.endpoint(evil.id);
  const body = encodeRootUpdate(rootUpdateFromBlock(fork.block(1n)!, fork.header(1n)!));
  await attacker.send(b.id, { kind: 'rootUpdate', id: 'ops-fork-1', body });
  await t.bus.idle();
  // A block of b records the freeze.
  await b.sealBlock();
  expect(t.net.syncOf(b.id)!.view(evil.id)!.frozen).not.toBeNull();
  expect(b.frozenFrom(evil.id)).toBe(1n);
  return { t, b, evil, fork };
}

/** A header of `evil`'s domain signed by a key set the caller made up. */
function selfSigned(fork: Domain) {
  const mallory = key('secp256k1', 'ops/mallory');
  const keySet = makeKeySet(1, [mallory.publicKey]);
  const header = fork.header(1n)!.header;
  return { keySet, signed: { header, signatures: signHeader(header, keySet, [mallory]) } };
}

describe('re-initialisation of a frozen view (14.1)', () => {
  it('refuses a header signed by a key set the caller made up, and changes nothing', async () => {
    const { t, b, evil, fork } = await frozenView();
    const before = { view: t.net.syncOf(b.id)!.view(evil.id)!, height: b.committedHeight };
    const reinitialized = vi.fn();
    b.on('remoteReinitialized', reinitialized);
    const { keySet, signed } = selfSigned(fork);
    await expect(t.net.reinitializeRemote(b.id, signed, keySet, { by: 'mallory' })).rejects.toMatchObject({
      code: 'UNTRUSTED_KEYSET',
    });
    // Signed by the trusted set, but installing another set for the next header: refused too.
    await expect(
      t.net.reinitializeRemote(b.id, fork.header(1n)!, keySet, { by: 'mallory' }),
    ).rejects.toMatchObject({ code: 'UNTRUSTED_KEYSET' });
    expect(reinitialized).not.toHaveBeenCalled();
    expect(b.frozenFrom(evil.id)).toBe(1n);
    expect(t.net.syncOf(b.id)!.view(evil.id)).toBe(before.view);
    expect(b.committedHeight).toBe(before.height);
    // The operator's header, signed by the key set the node already trusts, is taken.
    await expect(
      t.net.reinitializeRemote(b.id, fork.header(1n)!, fork.keySet, { by: 'ops' }),
    ).resolves.toMatchObject({ height: 1n, forkHeight: 1n, by: 'ops' });
    expect(reinitialized).toHaveBeenCalledTimes(1);
    t.net.close();
  });

  it('over HTTP: 401 without the token (the node is never asked), 403 for a self-made key set with it', async () => {
    const { t, b, evil, fork } = await frozenView();
    const reinit = vi.fn(async (s: SignedHeader, k: KeySet, p: { by: string }) => ({
      ...(await t.net.reinitializeRemote(b.id, s, k, p)),
      transfers: { continuing: [], affected: [] },
    }));
    const node = { domain: b, router: t.net, reinitializeRemote: reinit };
    const { keySet, signed } = selfSigned(fork);
    const body = { header: toHex(encodeSignedHeader(signed)), keySet: toHex(encodeKeySet(keySet)), by: 'x' };
    const url = `/v1/remotes/${toHex(evil.id)}/reinit`;
    // A node without a token keeps its operator routes closed, whoever asks.
    const open = await createApi(node);
    const r0 = await open.app.inject({ method: 'POST', url, payload: body });
    expect(r0.statusCode).toBe(401);
    expect(r0.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    await open.close();
    const api = await createApi(node, { token: TOKEN });
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: TOKEN },
    ]) {
      const r = await api.app.inject({ method: 'POST', url, payload: body, headers });
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHORIZED');
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(reinit).not.toHaveBeenCalled();
    const r = await api.app.inject({ method: 'POST', url, payload: body, headers: auth });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('UNTRUSTED_KEYSET');
    expect(b.frozenFrom(evil.id)).toBe(1n);
    // The client sends its token.
    const client = new WeftClient(await api.listen(), { token: TOKEN });
    await expect(
      client.reinitializeRemote(fork.header(1n)!, fork.keySet, { by: 'ops' }),
    ).resolves.toMatchObject({
      forkHeight: 1n,
    });
    await api.close();
    t.net.close();
  });
});

describe('authentication and fair shares (14.2)', () => {
  it('refuses a state-changing request without the token with 401, before the domain sees it', async () => {
    const domain = await makeDomain('ops-auth');
    const submit = vi.spyOn(domain, 'submit');
    const adopt = vi.fn();
    const adoptMany = vi.fn();
    const api = await createApi(
      {
        domain,
        driver: {
          get: () => undefined,
          list: () => [],
          explain: () => undefined,
          adopt,
          adoptMany,
          on() {},
          off() {},
        },
      },
      { token: TOKEN },
    );
    const tx = toHex(new Uint8Array(8));
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${TOKEN}` }]) {
      for (const [url, payload] of [
        ['/v1/txs', { tx }],
        ['/v1/transfers', { to: toHex(domain.id), plan: {} }],
        ['/v1/transfers/batch', { transfers: [{ to: toHex(domain.id), plan: {} }] }],
      ] as const) {
        const r = await api.app.inject({ method: 'POST', url, payload, headers });
        expect(r.statusCode, url).toBe(401);
        expect(r.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      }
    }
    expect(submit).not.toHaveBeenCalled();
    expect(adopt).not.toHaveBeenCalled();
    expect(adoptMany).not.toHaveBeenCalled();
    // With the token the request reaches its checks (this one is not a transaction).
    const ok = await api.app.inject({ method: 'POST', url: '/v1/txs', payload: { tx }, headers: auth });
    expect(ok.statusCode).toBe(400);
    // Reads need no token; the OpenAPI document says which routes do.
    expect((await api.app.inject({ method: 'GET', url: '/v1/info' })).statusCode).toBe(200);
    const paths = api.openapi.paths as Record<string, Record<string, { security?: unknown }>>;
    expect(paths['/v1/txs']!.post!.security).toEqual([{ bearer: [] }]);
    expect(paths['/v1/info']!.get!.security).toBeUndefined();
    await api.close();
  });

  it('never lets a client past its burst plus its rate over any schedule of requests', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
        (ratePerS, burst, gapsMs) => {
          let nowMs = 0;
          const limiter = new RateLimiter(ratePerS, burst, () => nowMs);
          let allowed = 0;
          for (const gap of gapsMs) {
            nowMs += gap;
            const wait = limiter.take('one');
            if (wait === 0) allowed++;
            else expect(wait).toBeGreaterThanOrEqual(1);
          }
          expect(allowed).toBeLessThanOrEqual(burst + Math.floor((nowMs / 1000) * ratePerS));
          // Another client has its own bucket.
          expect(limiter.take('two')).toBe(0);
        },
      ),
    );
  });

  it('listens beyond loopback only with a token, and refuses a weak one', async () => {
    const domain = await makeDomain('ops-listen');
    const api = await createApi({ domain });
    await expect(api.listen({ host: '0.0.0.0' })).rejects.toMatchObject({ code: 'INSECURE_LISTEN' });
    await expect(api.listen({ host: '::' })).rejects.toMatchObject({ code: 'INSECURE_LISTEN' });
    expect(await api.listen()).toMatch(/^http:\/\/127\.0\.0\.1:/);
    await api.close();
    await expect(createApi({ domain }, { token: 'short' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const tokened = await createApi({ domain }, { token: TOKEN });
    expect(await tokened.listen({ host: '0.0.0.0' })).toMatch(/^http:\/\//);
    await tokened.close();
  });

  it('rate-limits one client with 429 RATE_LIMITED and Retry-After, and another client not', async () => {
    const domain = await makeDomain('ops-rate');
    const api = await createApi({ domain }, { token: TOKEN, submitRatePerS: 1, submitBurst: 3 });
    const post = (ip: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/txs',
        payload: { tx: '0x00' },
        headers: auth,
        remoteAddress: ip,
      });
    for (let i = 0; i < 3; i++) expect((await post('10.0.0.1')).statusCode).toBe(400);
    const limited = await post('10.0.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await post('10.0.0.2')).statusCode).toBe(400);
    await api.close();
  });

  it('keeps event streams for token holders whatever one anonymous client opens', async () => {
    const domain = await makeDomain('ops-sse');
    const api = await createApi({ domain }, { token: TOKEN });
    const url = await api.listen();
    const open = (headers: Record<string, string>) =>
      new Promise<{ status: number; close: () => void; body: Promise<string> }>((resolve, reject) => {
        const req = request(`${url}/v1/events`, { headers }, (res) => {
          let text = '';
          const body = new Promise<string>((done) => {
            res.on('data', (c) => {
              text += c;
              if (res.statusCode !== 200) return;
            });
            res.on('end', () => done(text));
            res.on('close', () => done(text));
          });
          resolve({ status: res.statusCode!, close: () => req.destroy(), body });
        });
        req.on('error', reject);
        req.end();
      });
    const mine = [];
    for (let i = 0; i < 8; i++) mine.push(await open({}));
    expect(mine.every((s) => s.status === 200)).toBe(true);
    const ninth = await open({});
    expect(ninth.status).toBe(429);
    expect(JSON.parse(await ninth.body).error.code).toBe('RATE_LIMITED');
    const operator = await open(auth);
    expect(operator.status).toBe(200);
    for (const s of [...mine, operator]) s.close();
    await api.close();
  });
});

describe('reads while blocks are sealed (14.3)', () => {
  it('never answer 5xx, never lose the tip, and a status never goes backwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-ops-seal-'));
    dirs.push(dir);
    const signer = key('secp256k1', 'ops/seal');
    const node = await openDomainNode(dir, { signers: [signer], create: { name: 'ops-seal' } });
    const domain = node.domain;
    const api = await createApi({ domain });
    const wallet = new Wallet(domain, 'seal');
    const rank = { pending: 0, included: 1 } as Record<string, number>;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), async (n) => {
        const txs = Array.from({ length: n }, (_, i) => wallet.mintTx(alice.publicKey, BigInt(i + 1)).tx);
        const ids: string[] = [];
        for (const tx of txs) ids.push(toHex((await domain.submit(tx)).txId));
        const seen = new Map<string, number>();
        let tip = -1n;
        let sealing = true;
        const poll = async () => {
          while (sealing) {
            // Let the seal's I/O run between polls (inject alone never leaves the microtask queue).
            await new Promise((r) => setImmediate(r));
            const [root, latest, ...statuses] = await Promise.all([
              api.app.inject({ method: 'GET', url: '/v1/root' }),
              api.app.inject({ method: 'GET', url: '/v1/headers/latest' }),
              ...ids.map((id) => api.app.inject({ method: 'GET', url: `/v1/txs/${id}` })),
            ]);
            expect(root!.statusCode).toBe(200);
            expect(latest!.statusCode).toBe(200);
            const h = BigInt(root!.json().height);
            expect(h >= tip).toBe(true);
            tip = h;
            for (const [i, r] of statuses.entries()) {
              expect(r.statusCode, ids[i]).toBe(200);
              const now = rank[r.json().status.status]!;
              expect(now).toBeGreaterThanOrEqual(seen.get(ids[i]!) ?? 0);
              seen.set(ids[i]!, now);
            }
          }
        };
        const polling = poll();
        await domain.sealBlock();
        await domain.sealBlock();
        sealing = false;
        await polling;
        for (const id of ids) expect(seen.get(id)).toBe(1);
      }),
      { numRuns: 12 },
    );
    await api.close();
    await node.close();
  });
});

describe('finished transfers after a restart (14.8)', () => {
  it('are read from the LMDB store by get and list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-ops-transfers-'));
    dirs.push(dir);
    const signer = key('secp256k1', 'ops/transfers');
    const t = await testNet(['ops-ta', 'ops-tb'], { store: new MemoryTransferStore() });
    const [a, b] = t.domains as [Domain, Domain];
    // A store of its own for the driver under test: an LMDB node's transfer table.
    let node = await openDomainNode(dir, { signers: [signer], create: { name: 'ops-transfers' } });
    let driver = new TransferDriver(new LmdbTransferStore(node.node));
    driver.addDomain(a);
    driver.addDomain(b);
    const coin = await new Wallet(a, 'tr').mint(alice.publicKey, 4n);
    await t.round();
    const h = await driver.transfer({ from: a, to: b, resource: coin, owner: alice });
    for (let i = 0; i < 30 && h.current().phase !== 'confirmed'; i++) {
      await t.round();
      await driver.tick();
    }
    expect(h.current().phase).toBe('confirmed');
    await driver.idle();
    await node.close();
    node = await openDomainNode(dir, { signers: [signer] });
    driver = new TransferDriver(new LmdbTransferStore(node.node));
    driver.addDomain(a);
    driver.addDomain(b);
    expect(driver.get(h.id)).toMatchObject({ id: h.id, phase: 'confirmed' });
    expect(driver.list().map((x) => x.id)).toEqual([h.id]);
    expect(await driver.explain(h.id)).toEqual({ waitingFor: null, phase: 'confirmed' });
    const api = await createApi({ domain: a, driver });
    const one = await api.app.inject({ method: 'GET', url: `/v1/transfers/${h.id}` });
    expect(one.statusCode).toBe(200);
    expect(one.json().transfer.phase).toBe('confirmed');
    const all = await api.app.inject({ method: 'GET', url: '/v1/transfers' });
    expect(all.json().transfers.map((x: { id: string }) => x.id)).toEqual([h.id]);
    await api.close();
    await node.close();
    t.net.close();
  });
});

/** Sends raw bytes to `url`'s port and resolves with everything the server answers. */
function raw(url: string, text: string, opts: { end?: boolean } = {}): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1', () => {
      s.write(text);
      if (opts.end) s.end();
    });
    let out = '';
    s.on('data', (c) => {
      out += c;
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('errors an HTTP client meets (14.10)', () => {
  it('answers what node and fastify refuse in the documented shape', async () => {
    const domain = await makeDomain('ops-http');
    const api = await createApi({ domain }, { requestTimeoutMs: 500 });
    const url = await api.listen();
    const big = await raw(url, `GET /v1/info HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(big)).toEqual({ error: { code: 'HEADERS_TOO_LARGE', message: expect.any(String) } });
    const clte = await raw(
      url,
      'POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(clte).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(clte).error.code).toBe('BAD_REQUEST');
    const long = await api.app.inject({ method: 'GET', url: `/v1/txs/0x${'ab'.repeat(200)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({ error: { code: 'URI_TOO_LONG', message: expect.any(String) } });
    // Headers that never end, and a body that never ends, are cut off in about the timeout,
    // with a 408 in the shape.
    const startHeaders = Date.now();
    const slowHeaders = await raw(url, 'GET /v1/info HTTP/1.1\r\nHost: x\r\nX-Slow: 1');
    expect(slowHeaders).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(slowHeaders).error.code).toBe('REQUEST_TIMEOUT');
    expect(Date.now() - startHeaders).toBeLessThan(500 + 1_000 + 500);
    const start = Date.now();
    const slow = await raw(
      url,
      'POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    const tookMs = Date.now() - start;
    expect(slow).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(slow)).toEqual({ error: { code: 'REQUEST_TIMEOUT', message: expect.any(String) } });
    expect(tookMs).toBeLessThan(500 + 1_000 + 500);
    await api.close();
  });

  it('says an object was expected for a body of null, [] or 1', async () => {
    const domain = await makeDomain('ops-body');
    const api = await createApi({ domain });
    for (const payload of ['null', '[]', '1', '"x"']) {
      const r = await api.app.inject({
        method: 'POST',
        url: '/v1/txs',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.statusCode, payload).toBe(400);
      expect(r.json().error).toEqual({ code: 'BAD_TYPE', message: 'body must be a JSON object' });
    }
    await api.close();
  });

  it('refuses JSON nested deeper than JSON_DEPTH_MAX before parsing it', async () => {
    expect(jsonDepthExceeds('[[1]]', 1)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[","b":"\\"[["}', 1)).toBe(false);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (v, max) => {
        const text = JSON.stringify(v);
        expect(jsonDepthExceeds(text, max)).toBe(depthOf(v) > max);
      }),
    );
    const domain = await makeDomain('ops-deep');
    const api = await createApi({ domain });
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const parse = vi.spyOn(JSON, 'parse');
    const start = performance.now();
    const r = await api.app.inject({
      method: 'POST',
      url: '/v1/txs',
      payload: deep,
      headers: { 'content-type': 'application/json' },
    });
    const ms = performance.now() - start;
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('JSON_TOO_DEEP');
    expect(ms).toBeLessThan(250);
    const ok = `{"tx":${'['.repeat(JSON_DEPTH_MAX - 1)}${']'.repeat(JSON_DEPTH_MAX - 1)}}`;
    const r2 = await api.app.inject({
      method: 'POST',
      url: '/v1/txs',
      payload: ok,
      headers: { 'content-type': 'application/json' },
    });
    expect(r2.json().error.code).not.toBe('JSON_TOO_DEEP');
    await api.close();
  });

  it('reports an instance id per process, and a NATS outage in /health, /metrics and the log', async () => {
    const server = await startTestNatsServer();
    const nats = await NatsTransport.connect({
      servers: server.url,
      ...isolatedStream('ops-health'),
      name: 'ops',
    });
    try {
      const domain = await makeDomain('ops-health');
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk, _enc, done) {
          for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l));
          done();
        },
      });
      const api = await createApi({ domain, transport: nats }, { log: pino({ level: 'info' }, sink) });
      const other = await createApi({ domain }, { instance: 'another-process' });
      const health = async () => (await api.app.inject({ method: 'GET', url: '/health' })).json();
      const h1 = await health();
      expect(h1).toMatchObject({ ok: true, transport: { connected: true, disconnects: 0 } });
      expect(h1.instance).toMatch(/^[0-9a-f-]{36}$/);
      expect((await other.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({
        ok: true,
        instance: 'another-process',
        transport: null,
      });
      await server.stop();
      await waitFor(async () => (await health()).ok === false, '/health to show the outage');
      expect(await health()).toMatchObject({ ok: false, transport: { connected: false, disconnects: 1 } });
      const metrics = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^weft_transport_connected 0$/m);
      expect(metrics).toMatch(/^weft_transport_disconnects_total 1$/m);
      expect(lines).toContainEqual(expect.objectContaining({ event: 'transportDisconnected', level: 40 }));
      await server.restart();
      await waitFor(async () => (await health()).ok === true, '/health to show the reconnect');
      expect(lines).toContainEqual(expect.objectContaining({ event: 'transportReconnected', level: 30 }));
      await api.close();
      await other.close();
    } finally {
      await nats.close();
      await server.dispose();
    }
  });
});

describe('logs and metrics (14.9)', () => {
  it('logs one JSON line per significant event and per request, with a request id', async () => {
    const domain = await makeDomain('ops-log');
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l));
        done();
      },
    });
    const api = await createApi({ domain }, { log: pino({ level: 'debug' }, sink), token: TOKEN });
    await new Wallet(domain, 'log').mint(alice.publicKey, 1n);
    const r = await api.app.inject({
      method: 'POST',
      url: '/v1/txs',
      payload: { tx: '0x00' },
      headers: auth,
    });
    const reqId = r.headers['x-request-id'];
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'blockSealed', height: '1', level: 30 }));
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'request', reqId, method: 'POST', route: '/v1/txs', status: 400 }),
    );
    await api.close();
  });

  it('logs remote headers accepted and refused (with the code), views frozen, transfer phases, and sync latency', async () => {
    const { lines, log } = logSink('debug');
    const evilKey = key('secp256k1', 'ops/log-evil');
    const evil = await makeDomain('ops-log-evil', { signers: [evilKey] });
    const fork = await makeDomain('ops-log-evil', { signers: [evilKey] });
    const t = await testNet([], { domains: [await makeDomain('ops-log-a'), evil] });
    const [a] = t.domains as [Domain];
    const api = await createApi({ domain: a, router: t.net, driver: t.driver }, { log });
    const coin = await new Wallet(a, 'log').mint(alice.publicKey, 2n);
    await t.round();
    const h = await t.driver.transfer({ from: a, to: evil, resource: coin, owner: alice });
    await t.settle();
    expect(h.current().phase).toBe('confirmed');
    const event = (name: string) => lines.filter((l) => l.event === name);
    expect(event('remoteAccepted')).toContainEqual(
      expect.objectContaining({ domain: toHex(evil.id), level: 30 }),
    );
    expect(event('transferPhase').map((l) => l.phase)).toEqual(
      expect.arrayContaining(['requested', 'confirmed']),
    );
    // evil signs another block at the height a accepted last: refused, and the view frozen.
    const head = t.net.syncOf(a.id)!.view(evil.id)!.head.header.height;
    while (fork.committedHeight < head - 1n) await fork.sealBlock();
    await new Wallet(fork, 'log-fork').mint(alice.publicKey, 9n);
    const body = encodeRootUpdate(rootUpdateFromBlock(fork.block(head)!, fork.header(head)!));
    await t.bus.endpoint(evil.id).send(a.id, { kind: 'rootUpdate', id: 'ops-log-fork', body });
    await t.bus.idle();
    await a.sealBlock();
    expect(event('remoteRefused')).toContainEqual(
      expect.objectContaining({ domain: toHex(evil.id), code: 'EQUIVOCATION', level: 40 }),
    );
    expect(event('viewFrozen')).toContainEqual(
      expect.objectContaining({ domain: toHex(evil.id), fromHeight: head.toString() }),
    );
    const metrics = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      new RegExp(`^weft_sync_latency_seconds_count\\{domain="${toHex(evil.id)}"\\} [1-9]`, 'm'),
    );
    await api.close();
    t.net.close();
  });

  it('exposes prom-client default metrics and histograms in seconds', async () => {
    const domain = await makeDomain('ops-metrics');
    const api = await createApi({ domain });
    await domain.sealBlock();
    await api.app.inject({ method: 'GET', url: '/v1/info' });
    const text = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const family of [
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    expect(text).toMatch(/^# TYPE weft_seal_duration_seconds histogram$/m);
    expect(text).toMatch(/^weft_seal_duration_seconds_count 1$/m);
    expect(text).toMatch(/^# TYPE weft_api_request_duration_seconds histogram$/m);
    expect(text).toMatch(
      /^weft_api_request_duration_seconds_count\{method="GET",route="\/v1\/info",status="200"\} 1$/m,
    );
    expect(text).toMatch(/^# TYPE weft_sync_latency_seconds histogram$/m);
    expect(text).toMatch(/^weft_phase_seconds_total\{phase="seal"\} [0-9.e-]+$/m);
    expect(text).not.toContain('weft_phase_milliseconds_total');
    await api.close();
  });
});

/** A pino logger at `level` whose JSON lines land in `lines`. */
function logSink(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, log: pino({ level }, sink) };
}

function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}
