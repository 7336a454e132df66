// The API compiles each route's schemas on the route's first request or in the background once it
// has listened a while (a faster start for a restarted node); the answers must be exactly those of
// compiling them all at start.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, SCHEMA_WARM_AFTER_MS, type WeftApi } from '../src/api/index.js';
import { toHex } from '../src/crypto/index.js';
import { Domain } from '../src/domain/index.js';
import { key } from './helpers/domain.js';

let domain: Domain;
let lazy: WeftApi;
let eager: WeftApi;

beforeAll(async () => {
  domain = await Domain.create({ name: 'api-schemas', signers: [key('secp256k1', 'api-schemas/operator')] });
  await domain.sealBlock();
  lazy = await createApi({ domain }, { instance: 'same' });
  eager = await createApi({ domain }, { instance: 'same', eagerSchemas: true });
});

afterAll(async () => {
  await lazy?.close();
  await eager?.close();
});

type Ask = { method: 'GET' | 'POST'; url: string; payload?: unknown };

/** Requests that each pass or fail a route's request schema, or go through its response schema. */
const asks = (): Ask[] => [
  { method: 'GET', url: '/health' },
  { method: 'GET', url: '/v1/info' },
  { method: 'GET', url: '/v1/root' },
  { method: 'GET', url: '/v1/roots?from=0&to=1' },
  { method: 'GET', url: '/v1/roots?from=abc' },
  { method: 'GET', url: '/v1/roots?from=0&to=1&extra=1' },
  { method: 'GET', url: '/v1/headers/1' },
  { method: 'GET', url: '/v1/headers/x' },
  { method: 'GET', url: '/v1/blocks/1' },
  { method: 'GET', url: `/v1/txs/${toHex(new Uint8Array(32))}` },
  { method: 'GET', url: '/v1/txs/0x12' },
  { method: 'POST', url: '/v1/txs', payload: {} },
  { method: 'POST', url: '/v1/txs', payload: { tx: 5 } },
  { method: 'POST', url: '/v1/txs', payload: { tx: '0x00', more: true } },
  { method: 'POST', url: '/v1/txs', payload: { tx: '0x00' } },
  { method: 'POST', url: '/v1/transfers', payload: { to: '0x01' } },
  { method: 'POST', url: '/v1/transfers/batch', payload: { items: 'none' } },
  { method: 'GET', url: '/v1/transfers' },
  { method: 'GET', url: '/v1/remotes' },
];

describe('route schemas compiled on first use', () => {
  it('answer every request exactly as schemas compiled at start do, the first time and after', async () => {
    for (const round of [1, 2]) {
      for (const a of asks()) {
        const [l, e] = await Promise.all(
          [lazy, eager].map((api) =>
            api.app.inject({ method: a.method, url: a.url, payload: a.payload as never }),
          ),
        );
        const label = `${round} ${a.method} ${a.url} ${JSON.stringify(a.payload ?? null)}`;
        expect({ label, status: l!.statusCode, body: l!.body }).toEqual({
          label,
          status: e!.statusCode,
          body: e!.body,
        });
      }
    }
  });

  it('refuses a body that breaks its schema with the schema error, not a pass', async () => {
    const r = await lazy.app.inject({ method: 'POST', url: '/v1/txs', payload: { tx: 5 } });
    expect(r.statusCode).toBe(400);
    const body = r.json() as { error: { code: string; message: string } };
    expect(body.error.code).not.toBe('INTERNAL');
    expect(body.error.message).toMatch(/tx/);
  });
});

describe('route schemas compiled in the background', () => {
  it('are all compiled a while after listening, and the answers stay those of schemas compiled at start', async () => {
    const api = await createApi({ domain }, { instance: 'same' });
    try {
      const before = api.uncompiledSchemas();
      expect(before).toBeGreaterThan(40); // a request part or a response for each of ~40 routes
      expect(eager.uncompiledSchemas()).toBe(0);
      // A route's first request compiles its steps on the spot.
      await api.app.inject({ method: 'GET', url: '/v1/info' });
      expect(api.uncompiledSchemas()).toBeLessThan(before);
      await api.listen();
      const deadline = Date.now() + SCHEMA_WARM_AFTER_MS + 20_000;
      while (api.uncompiledSchemas() > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(api.uncompiledSchemas()).toBe(0);
      for (const a of asks()) {
        const [w, e] = await Promise.all(
          [api, eager].map((x) =>
            x.app.inject({ method: a.method, url: a.url, payload: a.payload as never }),
          ),
        );
        expect({ url: a.url, status: w!.statusCode, body: w!.body }).toEqual({
          url: a.url,
          status: e!.statusCode,
          body: e!.body,
        });
      }
    } finally {
      await api.close();
    }
  });

  it('stop when the API closes', async () => {
    const api = await createApi({ domain }, { instance: 'same' });
    await api.listen();
    await api.close();
    const left = api.uncompiledSchemas();
    await new Promise((r) => setTimeout(r, SCHEMA_WARM_AFTER_MS + 300));
    expect(left).toBeGreaterThan(40);
    expect(api.uncompiledSchemas()).toBe(left);
  });

  it('wait for a listening API: one never listening compiles only what its requests need', async () => {
    const api = await createApi({ domain }, { instance: 'same' });
    try {
      const left = api.uncompiledSchemas();
      await new Promise((r) => setTimeout(r, SCHEMA_WARM_AFTER_MS + 300));
      expect(api.uncompiledSchemas()).toBe(left);
    } finally {
      await api.close();
    }
  });
});

describe('response validators', () => {
  it('compile with their serializers: answering requests afterwards compiles nothing', async () => {
    // The ajv that fast-json-stringify checks a response's `anyOf` branches with.
    const fjs = createRequire(import.meta.url).resolve('fast-json-stringify');
    const Ajv = createRequire(fjs)('ajv') as {
      prototype: { _compileSchemaEnv: (...a: unknown[]) => unknown };
    };
    const original = Ajv.prototype._compileSchemaEnv;
    const api = await createApi({ domain }, { instance: 'same', eagerSchemas: true });
    let compiled = 0;
    Ajv.prototype._compileSchemaEnv = function (this: unknown, ...a: unknown[]) {
      compiled++;
      return original.apply(this, a);
    };
    try {
      const id = toHex(new Uint8Array(32));
      // Each answer's body goes through an `anyOf` (a nullable status, a status's branches).
      const statuses = await api.app.inject({ method: 'GET', url: `/v1/txs?ids=${id},${id}` });
      expect(statuses.statusCode).toBe(200);
      expect(statuses.json()).toEqual({
        statuses: [
          { txId: id, status: null },
          { txId: id, status: null },
        ],
      });
      for (const a of asks())
        await api.app.inject({ method: a.method, url: a.url, payload: a.payload as never });
      expect(compiled).toBe(0);
    } finally {
      Ajv.prototype._compileSchemaEnv = original;
      await api.close();
    }
  });
});
