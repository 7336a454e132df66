// A nats-server with one user per node (what `weft up` configures): anonymous clients are
// refused, and a node can send as itself and read its own inbox, but cannot purge or change the
// stream, touch another node's consumer, or send as another node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexKey, sha256, utf8, WeftError } from '../src/crypto/index.js';
import {
  type DomainId,
  NATS_FROM_HEADER,
  type NatsServer,
  NatsTransport,
  natsNodePermissions,
  startNatsServer,
} from '../src/net/index.js';
import { waitFor } from './helpers/natsNet.js';

const STREAM = 'WEFT';
const PREFIX = 'weft';
const id = (name: string): DomainId => sha256(utf8(name));
const [a, b, c] = [id('auth-a'), id('auth-b'), id('auth-c')];
const inbox = (d: DomainId) => `_INBOX_${hexKey(d).slice(0, 16)}`;
const nodeUser = (name: string, d: DomainId) => ({
  user: name,
  password: `pw-${name}-0123456789`,
  ...natsNodePermissions({
    domainHex: hexKey(d),
    stream: STREAM,
    subjectPrefix: PREFIX,
    inboxPrefix: inbox(d),
  }),
});
const users = [
  { user: 'admin', password: 'pw-admin-0123456789' },
  nodeUser('a', a),
  nodeUser('b', b),
  nodeUser('c', c),
];
const auth = (name: string) => {
  const u = users.find((x) => x.user === name)!;
  return { user: u.user, password: u.password };
};

let server: NatsServer;
let storeDir: string;
beforeAll(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'weft-nats-auth-'));
  server = await startNatsServer({ storeDir, users });
});
afterAll(async () => {
  await server?.stop();
  rmSync(storeDir, { recursive: true, force: true });
});

/** Resolves to the error `p` failed with, or null when it succeeded (or did not answer in time). */
async function failure(p: Promise<unknown>, ms = 3000): Promise<unknown> {
  const late = new Promise<'late'>((r) => setTimeout(() => r('late'), ms));
  const r = await Promise.race([
    p.then(
      () => null,
      (e: unknown) => e ?? new Error('rejected'),
    ),
    late,
  ]);
  return r === 'late' ? new Error('no answer') : r;
}

async function streamMessages(admin: NatsConnection): Promise<number> {
  return (await (await admin.jetstreamManager()).streams.info(STREAM)).state.messages;
}

describe('a NATS server with per-node credentials', () => {
  it('refuses anonymous clients and wrong passwords', async () => {
    for (const opts of [{}, { auth: { user: 'a', password: 'wrong' } }]) {
      const e = await failure(NatsTransport.connect({ servers: server.url, ...opts }), 10_000);
      expect(e).toBeInstanceOf(WeftError);
      expect((e as WeftError).code).toBe('NATS_UNAVAILABLE');
    }
    // Not even a bare client gets in.
    expect(await failure(connect({ servers: server.url, maxReconnectAttempts: 0 }))).toBeInstanceOf(Error);
  });

  it('lets each node send as itself and read its own inbox, and nothing else', async () => {
    // The administrator (weft up) makes the stream; nodes may only use it.
    const admin = await NatsTransport.connect({ servers: server.url, auth: auth('admin') });
    await admin.close();
    const na = await NatsTransport.connect({ servers: server.url, auth: auth('a'), inboxPrefix: inbox(a) });
    const nb = await NatsTransport.connect({ servers: server.url, auth: auth('b'), inboxPrefix: inbox(b) });
    const got: string[] = [];
    nb.endpoint(b).subscribe(b, (m, from) => {
      got.push(`${m.id} from ${hexKey(from)}`);
    });
    await na.endpoint(a).send(b, { kind: 'rootUpdate', id: 'hello', body: new Uint8Array([1]) });
    await waitFor(() => got.length === 1, 'b to receive a message from a');
    expect(got).toEqual([`hello from ${hexKey(a)}`]);
    expect(na.stats().publishErrors).toBe(0);

    // Node a, with its own credentials and a raw client, tries what the attacker did.
    const raw = await connect({
      servers: server.url,
      user: 'a',
      pass: auth('a').password,
      inboxPrefix: inbox(a),
    });
    const adminRaw = await connect({ servers: server.url, user: 'admin', pass: auth('admin').password });
    const before = await streamMessages(adminRaw);
    expect(before).toBeGreaterThan(0);
    const jsm = await raw.jetstreamManager({ checkAPI: false });
    const js = raw.jetstream({ timeout: 2000 });
    const attempts: [string, () => Promise<unknown>][] = [
      ['purge the stream', () => jsm.streams.purge(STREAM)],
      ['delete the stream', () => jsm.streams.delete(STREAM)],
      ['shrink the stream', () => jsm.streams.update(STREAM, { max_msgs: 1 })],
      ['delete b’s consumer', () => jsm.consumers.delete(STREAM, `weft-${hexKey(b)}`)],
      ['read b’s consumer', () => jsm.consumers.info(STREAM, `weft-${hexKey(b)}`)],
      ['make a stream of its own', () => jsm.streams.add({ name: 'EVIL', subjects: ['evil.>'] })],
      [
        'send to b as c',
        () => {
          const h = headers();
          h.set(NATS_FROM_HEADER, hexKey(c));
          return js.publish(`${PREFIX}.${hexKey(b)}.${hexKey(c)}.rootUpdate`, new Uint8Array([9]), {
            headers: h,
          });
        },
      ],
      [
        'send in the old subject form',
        () => js.publish(`${PREFIX}.${hexKey(b)}.rootUpdate`, new Uint8Array([9])),
      ],
    ];
    for (const [what, attempt] of attempts) {
      expect(await failure(attempt()), `a could ${what}`).toBeInstanceOf(Error);
    }
    // Nothing changed: the stream keeps its messages, b's consumer is there, no message from c.
    expect(await streamMessages(adminRaw)).toBe(before);
    const ajsm = await adminRaw.jetstreamManager();
    expect((await ajsm.consumers.info(STREAM, `weft-${hexKey(b)}`)).name).toBe(`weft-${hexKey(b)}`);
    await expect(ajsm.streams.info('EVIL')).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual([`hello from ${hexKey(a)}`]);

    // A header claiming another sender than the subject is dropped by the receiver.
    const h = headers();
    h.set(NATS_FROM_HEADER, hexKey(c));
    await adminRaw
      .jetstream()
      .publish(`${PREFIX}.${hexKey(b)}.${hexKey(a)}.rootUpdate`, new Uint8Array([0, 0]), { headers: h });
    await waitFor(() => nb.stats().malformed === 1, 'b to drop a message whose header and subject disagree');
    expect(got).toHaveLength(1);

    await raw.close();
    await adminRaw.close();
    await na.close();
    await nb.close();
  });
});
