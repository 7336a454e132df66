// The API fuzz targets: every route of `createApi` over a live in-memory network (two domains, a
// transfer driver, a global root), driven through `app.inject` with random and mutated params,
// query strings and bodies. The property (ApiFuzz.check): the answer is a status the route
// documents, or an error in the `{ error: { code, message } }` shape with its code's status from
// the table; never 5xx; and a refused request leaves the node as it was.
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { createApi, planToJson, type WeftApi } from '../../src/api/index.js';
import { ERROR_CODES, isWeftErrorCode, keyPairFromSeed, toHex } from '../../src/crypto/index.js';
import { encodeKeySet, encodeSignedHeader, headerHash } from '../../src/domain/index.js';
import { commitment, nullifier } from '../../src/resource/index.js';
import { encodeSignedAttestation, signAttestation } from '../../src/scope/index.js';
import { GlobalRoot } from '../../src/sync/index.js';
import { planTransfer } from '../../src/transfer/index.js';
import { encodeTransaction, transactionToJson, txId } from '../../src/tx/index.js';
import { alice, bob, Wallet } from '../helpers/domain.js';
import { type TestNet, testNet } from '../helpers/network.js';
import { FuzzFailure, type Mutation, mutate, mutationArb } from './targets.js';

/** A route under fuzz: its method and URL as the route table names them. */
export type RouteTarget = { name: string; method: 'GET' | 'POST'; url: string };

/** Every route of the API (test/fuzz.test.ts checks the list against the OpenAPI document). */
export const ROUTE_TARGETS: RouteTarget[] = (
  [
    ['GET', '/v1/info'],
    ['POST', '/v1/txs'],
    ['GET', '/v1/txs/:id'],
    ['GET', '/v1/txs'],
    ['GET', '/v1/blocks/:height'],
    ['GET', '/v1/headers/:height'],
    ['GET', '/v1/root'],
    ['GET', '/v1/roots'],
    ['GET', '/v1/proofs/commitments/:cm'],
    ['GET', '/v1/proofs/nullifiers/:nf'],
    ['GET', '/v1/proofs/refusals/:nf'],
    ['GET', '/v1/proofs/nullifiers'],
    ['GET', '/v1/proofs/refusals'],
    ['GET', '/v1/proofs/commitments'],
    ['GET', '/v1/proofs/objects/:object'],
    ['GET', '/v1/proofs/keyset'],
    ['GET', '/v1/anchors/:root'],
    ['GET', '/v1/remotes'],
    ['GET', '/v1/remotes/:domainId'],
    ['POST', '/v1/remotes/:domainId/reinit'],
    ['POST', '/v1/attestations'],
    ['GET', '/v1/global-root'],
    ['POST', '/v1/transfers'],
    ['POST', '/v1/transfers/batch'],
    ['GET', '/v1/transfers'],
    ['GET', '/v1/transfers/:id'],
    ['GET', '/v1/values/:valueRef'],
    ['GET', '/v1/events'],
    ['GET', '/health'],
    ['GET', '/metrics'],
    ['GET', '/openapi.json'],
    ['GET', '/v1/network'],
    ['GET', '/'],
    ['GET', '/ui/:asset'],
  ] as const
).map(([method, url]) => ({ name: `api ${method} ${url}`, method, url }));

/**
 * Answers the fuzzer found that break the property, in code another change owns (docs/fuzzing.md
 * lists them): counted as outcomes named for the bug instead of failing the run.
 */
export const KNOWN_API_BUGS: { name: string; matches(status: number, body: unknown): boolean }[] = [];

/** One request as the fuzzer builds it. */
export type FuzzRequest = {
  params: Record<string, string>;
  query: string;
  payload?: string;
  contentType?: string;
};

/** Valid values for each route's params, query and body: what mutations start from. */
type Template = { params: Record<string, string[]>; queries: string[]; bodies: unknown[] };

export type ApiFuzz = {
  api: WeftApi;
  requestArb(r: RouteTarget): fc.Arbitrary<FuzzRequest>;
  check(r: RouteTarget, req: FuzzRequest): Promise<string>;
  close(): Promise<void>;
};

/** Longest an answer may take before the request counts as a hang, in milliseconds. */
export const REQUEST_MS_MAX = 10_000;

const hex32 = (byte: number) => toHex(new Uint8Array(32).fill(byte));

// ---- JSON mutations ----------------------------------------------------------------------------

type JsonMutation = { at: number; kind: number; value: unknown; text: string; n: number; bytes: Mutation[] };

const jsonMutationArb: fc.Arbitrary<JsonMutation> = fc.record({
  at: fc.nat(),
  kind: fc.nat(9),
  value: fc.jsonValue({ maxDepth: 2 }),
  text: fc.string({ maxLength: 12, unit: 'binary' }),
  n: fc.nat(),
  bytes: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
});

const HEX_BYTES = /^0x(?:[0-9a-f]{2})+$/;

/** Every position in a JSON value: a container and a key (or index) in it. */
function positions(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([v, i]);
      positions(x, out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      positions(x, out);
    }
  }
  return out;
}

function mutateString(s: string, m: JsonMutation): string {
  // An encoding in hex: mutated as bytes (like the decoder targets), so it stays hex and reaches
  // the decoder behind the schema.
  if (HEX_BYTES.test(s) && m.n % 3 !== 0) {
    const start: Uint8Array = Uint8Array.from(Buffer.from(s.slice(2), 'hex'));
    return toHex(m.bytes.reduce<Uint8Array>((b, x) => mutate(b, x), start));
  }
  switch (m.kind % 6) {
    case 0: // flip one hex digit
      return s.length === 0 ? s : s.slice(0, m.n % s.length) + 'f0'[m.n % 2] + s.slice((m.n % s.length) + 1);
    case 1:
      return s.slice(0, m.n % (s.length + 1));
    case 2:
      return s + (m.n % 2 === 0 ? '00' : m.text);
    case 3:
      return s.toUpperCase();
    case 4:
      return s.startsWith('0x') ? s.slice(2) : `0x${s}`;
    default:
      return m.text;
  }
}

/** Mutates one encoding in `body` as bytes (a copy; `body` itself when it holds none). */
function mutateEncoding(body: unknown, m: JsonMutation): unknown {
  const root = { v: structuredClone(body) as unknown };
  const spots = positions(root).filter(([obj, key]) => {
    const v = (obj as Record<string | number, unknown>)[key];
    return typeof v === 'string' && HEX_BYTES.test(v);
  });
  if (spots.length === 0) return body;
  const [obj, key] = spots[m.at % spots.length]!;
  const target = obj as Record<string | number, unknown>;
  target[key] = mutateString(target[key] as string, { ...m, n: 1 });
  return root.v;
}

/** Applies one mutation to a deep copy of `body`. */
function mutateJson(body: unknown, m: JsonMutation): unknown {
  const root = { v: structuredClone(body) as unknown };
  const spots = positions(root);
  const [obj, key] = spots[m.at % spots.length]!;
  const current = (obj as Record<string | number, unknown>)[key];
  const set = (x: unknown) => {
    (obj as Record<string | number, unknown>)[key] = x;
  };
  switch (m.kind) {
    case 0:
    case 1:
      set(m.value);
      break;
    case 2:
      if (Array.isArray(obj)) obj.splice(key as number, 1);
      else delete (obj as Record<string, unknown>)[key as string];
      break;
    case 3:
      if (typeof current === 'object' && current !== null && !Array.isArray(current))
        (current as Record<string, unknown>)[m.text] = m.value;
      else set(m.value);
      break;
    case 4:
      if (Array.isArray(current)) current.push(...Array.from({ length: 1 + (m.n % 40) }, () => current[0]));
      else set([current]);
      break;
    case 5:
      set(typeof current === 'string' && /^\d+$/.test(current) ? Number(current) : String(current));
      break;
    default:
      if (typeof current === 'string') set(mutateString(current, m));
      else set(m.value);
  }
  return root.v;
}

// ---- params and query strings ------------------------------------------------------------------

const NUMBERS = [
  '0',
  '1',
  '2',
  '00',
  '01',
  '-1',
  '1e3',
  '18446744073709551615',
  '18446744073709551616',
  '99999999999999999999999999',
  'latest',
  'NaN',
  '',
];
const RAW = ['%', '%zz', '%00', '..', '.', '%2F', 'a%20b', '\u00e9', '%E2%82', '0x', '0X'];

function paramArb(valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...valid) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), jsonMutationArb)
        .map(([v, m]) => encodeURIComponent(mutateString(v, m))),
    },
    { weight: 1, arbitrary: fc.constantFrom(...NUMBERS).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80, unit: 'grapheme' }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }).map((n) => 'a'.repeat(n)) },
  );
}

const QUERY_KEYS = ['from', 'to', 'height', 'limit', 'phase', 'types', 'x'];

function queryArb(valid: string[]): fc.Arbitrary<string> {
  const pair = fc
    .tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(
        fc.constantFrom(...NUMBERS, 'confirmed', 'blockSealed', 'blockSealed,refused', 'nope'),
        fc.string({ maxLength: 20 }),
      ),
    )
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('', ...valid) },
    { weight: 1, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => ps.join('&')) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom('', ...valid), pair).map(([v, p]) => (v ? `${v}&${p}` : p)),
    },
    { weight: 1, arbitrary: fc.constantFrom(...RAW, 'from=1&from=2', 'height', 'a=%', '&&&', '=') },
  );
}

function bodyArb(valid: unknown[]): fc.Arbitrary<{ payload?: string; contentType?: string }> {
  const json = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...valid) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), fc.array(jsonMutationArb, { minLength: 1, maxLength: 3 }))
        .map(([b, ms]) => ms.reduce((x, m) => mutateJson(x, m), b)),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(fc.constantFrom(...valid), jsonMutationArb).map(([b, m]) => mutateEncoding(b, m)),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'text/plain',
        'application/octet-stream',
        'application/x-www-form-urlencoded',
        'application/jsonx',
        '',
      ),
    },
  );
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(json, contentType)
        .map(([v, ct]) => ({ payload: JSON.stringify(v), contentType: ct })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ maxLength: 200, unit: 'binary' }), contentType)
        .map(([s, ct]) => ({ payload: s, contentType: ct })),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );
}

// ---- the harness -------------------------------------------------------------------------------

/** What a refused request must leave unchanged. */
function snapshot(t: TestNet): string {
  const d = t.domains[0]!;
  const views = t.net.syncOf(d.id)?.list() ?? [];
  return JSON.stringify({
    height: d.committedHeight.toString(),
    proven: d.provenHeight.toString(),
    root: toHex(d.stateRoot),
    head: toHex(headerHash(d.header()!.header)),
    mempool: d.mempoolSize,
    keySet: toHex(encodeKeySet(d.keySet)),
    views: views.map((v) => [toHex(v.domainId), v.head.header.height.toString(), v.frozen !== null]),
    transfers: t.driver.list().map((x) => [x.id, x.phase]),
  });
}

/** The documented success statuses of each route, from the OpenAPI document. */
function documented(api: WeftApi): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const paths = api.openapi.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      out.set(`${method.toUpperCase()} ${url}`, new Set(Object.keys(op.responses).map(Number)));
    }
  }
  return out;
}

function pathOf(r: RouteTarget, params: Record<string, string>): string {
  return r.url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? '');
}

/**
 * Starts the network and the API, with something behind every route: a minted coin, a local
 * spend, a transfer run to its end, a remote view, a global root.
 */
export async function openApiFuzz(): Promise<ApiFuzz> {
  const t = await testNet(['fuzz-api-alpha', 'fuzz-api-beta']);
  const [a, b] = t.domains as [(typeof t.domains)[0], (typeof t.domains)[0]];
  const global = new GlobalRoot();
  const api = await createApi(
    {
      domain: a,
      router: t.net,
      driver: t.driver,
      globalRoot: () => global,
      reinitializeRemote: async (trusted, keySet, p) => ({
        ...(await t.net.reinitializeRemote(a.id, trusted, keySet, p)),
        transfers: { continuing: [], affected: [] },
      }),
    },
    { heartbeatMs: 60_000 },
  );
  const wallet = new Wallet(a, 'fuzz-api');
  const coin = await wallet.mint(alice.publicKey, 100n);
  const moving = await wallet.mint(alice.publicKey, 10n);
  const spend = wallet.transferTx(coin, alice, bob.publicKey, 40n);
  await a.submit(spend.tx);
  await t.round();
  const done = await planTransfer({ from: a, to: b, resource: moving, owner: alice });
  const handle = await t.driver.adopt(done, a.id, b.id);
  await t.settle(20);
  await global.update([
    { domainId: a.id, root: a.stateRoot },
    { domainId: b.id, root: b.stateRoot },
  ]);
  // A plan that is never started: its body is valid, so mutations of it reach the driver.
  const unused = await wallet.mint(bob.publicKey, 3n);
  await t.round();
  const plan = await planTransfer({
    from: a,
    to: b,
    resource: unused,
    owner: bob,
    deadline: 1_900_000_000_000n,
  });
  const signedB = b.header()!;
  const tip = a.committedHeight;
  const heights = ['0', '1', tip.toString()];
  const templates: Record<string, Template> = {
    'POST /v1/txs': {
      params: {},
      queries: [],
      bodies: [{ tx: toHex(encodeTransaction(spend.tx)) }, { json: transactionToJson(spend.tx) }],
    },
    'GET /v1/txs/:id': { params: { id: [toHex(txId(spend.tx)), hex32(7)] }, queries: [], bodies: [] },
    'GET /v1/txs': {
      params: {},
      queries: [`ids=${toHex(txId(spend.tx))}`, `ids=${toHex(txId(spend.tx))},${hex32(7)}`],
      bodies: [],
    },
    'GET /v1/proofs/nullifiers': {
      params: {},
      queries: [`nfs=${toHex(nullifier(coin.resource, coin.nk))},${hex32(2)}&height=2`, `nfs=${hex32(3)}`],
      bodies: [],
    },
    'GET /v1/proofs/refusals': {
      params: {},
      queries: [`nfs=${toHex(nullifier(coin.resource, coin.nk))},${hex32(5)}&height=2`, `nfs=${hex32(6)}`],
      bodies: [],
    },
    'GET /v1/proofs/commitments': {
      params: {},
      queries: [`cms=${toHex(commitment(spend.out.resource))},${hex32(1)}&height=1`, `cms=${hex32(4)}`],
      bodies: [],
    },
    'GET /v1/blocks/:height': { params: { height: heights }, queries: [], bodies: [] },
    'GET /v1/headers/:height': { params: { height: [...heights, 'latest'] }, queries: [], bodies: [] },
    'GET /v1/roots': { params: {}, queries: ['from=0', 'to=1', `from=1&to=${tip}`], bodies: [] },
    'GET /v1/proofs/commitments/:cm': {
      params: { cm: [toHex(commitment(spend.out.resource)), hex32(1)] },
      queries: ['height=1', `height=${tip}`],
      bodies: [],
    },
    'GET /v1/proofs/nullifiers/:nf': {
      params: { nf: [toHex(nullifier(coin.resource, coin.nk)), hex32(2)] },
      queries: ['height=2'],
      bodies: [],
    },
    'GET /v1/proofs/refusals/:nf': {
      params: { nf: [toHex(nullifier(coin.resource, coin.nk)), hex32(5)] },
      queries: ['height=2'],
      bodies: [],
    },
    'GET /v1/proofs/objects/:object': {
      params: { object: [hex32(10), hex32(11)] },
      queries: ['height=1', `height=${tip}`],
      bodies: [],
    },
    'GET /v1/proofs/keyset': { params: {}, queries: ['height=0', 'height=1', `height=${tip}`], bodies: [] },
    'POST /v1/attestations': {
      params: {},
      queries: [],
      bodies: [
        {
          attestation: toHex(
            encodeSignedAttestation(
              signAttestation(keyPairFromSeed('ed25519', new Uint8Array(32).fill(12)), {
                domain: a.id,
                height: 1n,
                stateRoot: a.stateRoot,
              }),
            ),
          ),
        },
      ],
    },
    'GET /v1/anchors/:root': { params: { root: [toHex(a.stateRoot), hex32(3)] }, queries: [], bodies: [] },
    'GET /v1/remotes/:domainId': { params: { domainId: [toHex(b.id), hex32(4)] }, queries: [], bodies: [] },
    'POST /v1/remotes/:domainId/reinit': {
      params: { domainId: [toHex(b.id)] },
      queries: [],
      bodies: [
        {
          header: toHex(encodeSignedHeader(signedB)),
          keySet: toHex(encodeKeySet(b.keySet)),
          by: 'fuzz operator',
          evidence: hex32(5),
        },
      ],
    },
    'POST /v1/transfers': { params: {}, queries: [], bodies: [{ to: toHex(b.id), plan: planToJson(plan) }] },
    'POST /v1/transfers/batch': {
      params: {},
      queries: [],
      bodies: [{ transfers: [{ to: toHex(b.id), plan: planToJson(plan) }] }],
    },
    'GET /v1/transfers': {
      params: {},
      queries: ['limit=5', 'phase=confirmed', 'phase=requested&limit=1'],
      bodies: [],
    },
    'GET /v1/transfers/:id': { params: { id: [handle.id, hex32(6)] }, queries: [], bodies: [] },
    'GET /v1/values/:valueRef': {
      params: { valueRef: [toHex(spend.out.resource.valueRef), hex32(8)] },
      queries: [],
      bodies: [],
    },
    'GET /ui/:asset': { params: { asset: ['app.js', 'style.css', 'app.js.map'] }, queries: [], bodies: [] },
    'GET /v1/events': {
      params: {},
      queries: ['types=blockSealed', 'types=refused,transferPhase'],
      bodies: [],
    },
  };
  const statuses = documented(api);

  const requestArb = (r: RouteTarget): fc.Arbitrary<FuzzRequest> => {
    const tpl = templates[`${r.method} ${r.url}`] ?? { params: {}, queries: [], bodies: [] };
    const names = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const params = fc.record(
      Object.fromEntries(names.map((n) => [n, paramArb(tpl.params[n] ?? [hex32(9)])])),
    ) as fc.Arbitrary<Record<string, string>>;
    const body =
      r.method === 'POST'
        ? bodyArb(tpl.bodies.length > 0 ? tpl.bodies : [{}])
        : fc.oneof({ weight: 9, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: bodyArb([{ x: 1 }]) });
    return fc
      .tuple(params, queryArb(tpl.queries), body)
      .map(([p, q, b]) => ({ params: p, query: q, ...b }) as FuzzRequest);
  };

  const check = async (r: RouteTarget, req: FuzzRequest): Promise<string> => {
    const url = `${pathOf(r, req.params)}${req.query ? `?${req.query}` : ''}`;
    const shown = JSON.stringify({ method: r.method, url, payload: req.payload, type: req.contentType });
    const fail = (kind: string, message: string): never => {
      throw new FuzzFailure(r.name, kind, message, shown);
    };
    const before = snapshot(t);
    const opts: InjectOptions = {
      method: r.method,
      url,
      ...(req.payload === undefined ? {} : { payload: req.payload }),
      ...(req.contentType === undefined ? {} : { headers: { 'content-type': req.contentType } }),
    };
    const stream = r.url === '/v1/events';
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FuzzFailure(r.name, 'hang', `no answer in ${REQUEST_MS_MAX} ms`, shown)),
        REQUEST_MS_MAX,
      );
    });
    const res = await Promise.race([
      api.app.inject({ ...opts, ...(stream ? { payloadAsStream: true } : {}) }),
      hang,
    ]).finally(() => clearTimeout(timer));
    const status = res.statusCode;
    if (stream && status === 200) {
      // The hub forgets a reader when its response closes, as when a client hangs up.
      res.stream().destroy();
      (res.raw.res as unknown as { destroy(): void }).destroy();
      return '200';
    }
    let body: unknown;
    try {
      body = stream ? await readAll(res.stream()) : res.json();
    } catch {
      if (status >= 400 || res.headers['content-type']?.toString().startsWith('application/json'))
        fail('not JSON', `status ${status} with body ${res.payload?.slice(0, 200)}`);
    }
    if (status >= 500) fail('5xx', `status ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    if (status < 400) {
      const allowed = statuses.get(`${r.method} ${r.url}`);
      if (!allowed?.has(status)) fail('undocumented status', `status ${status}`);
      return String(status);
    }
    const known = KNOWN_API_BUGS.find((k) => k.matches(status, body));
    if (known) return `known bug: ${known.name}`;
    const e = (body as { error?: { code?: unknown; message?: unknown } })?.error;
    const keys = Object.keys(body as object);
    const extra = r.url === '/v1/txs' ? ['error', 'txId', 'status'] : ['error'];
    if (!e || !keys.every((k) => extra.includes(k)))
      fail('error shape', `status ${status}, body ${JSON.stringify(body).slice(0, 300)}`);
    if (
      typeof e!.code !== 'string' ||
      e!.code.length === 0 ||
      typeof e!.message !== 'string' ||
      e!.message === ''
    )
      fail('error shape', `error ${JSON.stringify(e)}`);
    if (Object.keys(e!).sort().join() !== 'code,message') fail('error shape', `error ${JSON.stringify(e)}`);
    const code = e!.code as string;
    if (!isWeftErrorCode(code)) fail('status of code', `${code} is not in the error table`);
    const info: { status: number; requestStatus?: number } = ERROR_CODES[code as keyof typeof ERROR_CODES];
    if (status !== info.status && status !== info.requestStatus)
      fail('status of code', `${code} answered ${status}, the table says ${info.status}`);
    if (snapshot(t) !== before) fail('state changed', `refused with ${code} yet the node changed`);
    return `${status} ${code}`;
  };

  return {
    api,
    requestArb,
    check,
    close: async () => {
      await api.close();
      t.net.close();
    },
  };
}

async function readAll(s: NodeJS.ReadableStream): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
