// What the API serves for the dashboard: the page and its assets, the network's API addresses,
// the node's verification mode, and reads open to any origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardDir } from '../src/api/dashboard.js';
import { createApi, type WeftApi } from '../src/api/index.js';
import { toHex } from '../src/crypto/index.js';
import { makeDomain } from './helpers/domain.js';

let full: WeftApi;
let bare: WeftApi;
let fullUrl: string;
let bareUrl: string;
let ids: string[];
beforeAll(async () => {
  const [a, b] = [await makeDomain('dash-a'), await makeDomain('dash-b')];
  ids = [toHex(a.id), toHex(b.id)];
  full = await createApi({
    domain: a,
    mode: 'transition',
    members: () => [
      { name: 'dash-a', domainId: a.id, api: 'http://127.0.0.1:7401' },
      { name: 'dash-b', domainId: b.id, api: 'http://127.0.0.1:7402' },
    ],
  });
  bare = await createApi({ domain: b });
  fullUrl = await full.listen();
  bareUrl = await bare.listen();
});
afterAll(async () => {
  await full.close();
  await bare.close();
});

describe('the API for the dashboard', () => {
  it('serves the built page at / and its assets under /ui/', async () => {
    expect(dashboardDir(), 'run `npm run build` first').not.toBeNull();
    const page = await fetch(`${fullUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('src="ui/app.js"');
    // The page takes its node list from ?nodes= (read by the page, let through by the server).
    expect(
      (await fetch(`${fullUrl}/?nodes=${encodeURIComponent('http://127.0.0.1:1,http://127.0.0.1:2')}`))
        .status,
    ).toBe(200);
    expect((await fetch(`${fullUrl}/?other=1`)).status).toBe(400);
    for (const [asset, type] of [
      ['app.js', /^text\/javascript/],
      ['style.css', /^text\/css/],
      ['app.js.map', /^application\/json/],
    ] as const) {
      const res = await fetch(`${fullUrl}/ui/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')).toMatch(type);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    // Only the dashboard's own files: nothing else under /ui/, and no way out of it.
    for (const path of ['/ui/index.js', '/ui/..%2F..%2Fpackage.json']) {
      const res = await fetch(`${fullUrl}${path}`);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_TYPE');
    }
    expect((await fetch(`${fullUrl}/ui/a/b`)).status).toBe(404);
  });

  it("lists the network's domains and API addresses where the node has a network file", async () => {
    const res = await fetch(`${fullUrl}/v1/network`);
    expect(await res.json()).toEqual({
      domains: [
        { name: 'dash-a', domainId: ids[0], api: 'http://127.0.0.1:7401' },
        { name: 'dash-b', domainId: ids[1], api: 'http://127.0.0.1:7402' },
      ],
    });
    const none = await fetch(`${bareUrl}/v1/network`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('NOT_ENABLED');
  });

  it('says the verification mode in /v1/info when the node gives it, and nothing otherwise', async () => {
    expect(await (await fetch(`${fullUrl}/v1/info`)).json()).toMatchObject({
      name: 'dash-a',
      mode: 'transition',
    });
    expect(await (await fetch(`${bareUrl}/v1/info`)).json()).not.toHaveProperty('mode');
  });

  it('answers reads to any origin, the event stream included, and writes to none', async () => {
    for (const path of ['/', '/v1/info', '/v1/network', '/health']) {
      const res = await fetch(`${fullUrl}${path}`);
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
    }
    const ac = new AbortController();
    const stream = await fetch(`${fullUrl}/v1/events`, { signal: ac.signal });
    expect(stream.headers.get('access-control-allow-origin')).toBe('*');
    ac.abort();
    const write = await fetch(`${fullUrl}/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(write.headers.get('access-control-allow-origin')).toBeNull();
  });
});
