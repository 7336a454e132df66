import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, toHex, utf8, WeftError } from '../src/crypto/index.js';
import { type DomainId, freePort, type Message, NatsTransport, type Transport } from '../src/net/index.js';
import { isolatedStream, startTestNatsServer, type TestNatsServer, waitFor } from './helpers/natsNet.js';

const id = (name: string): DomainId => sha256(utf8(name));
const msg = (n: number | string, bytes = 8): Message => ({
  kind: 'rootUpdate',
  id: `m-${n}`,
  body: new Uint8Array(bytes).fill(typeof n === 'number' ? n & 0xff : 7),
});

type Got = { id: string; from: string; body: Uint8Array };
function collect(t: Transport, self: DomainId): Got[] {
  const got: Got[] = [];
  t.subscribe(self, (m, from) => {
    got.push({ id: m.id, from: toHex(from), body: m.body });
  });
  return got;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WeftError);
  expect((e as WeftError).code).toBe(code);
}

let server: TestNatsServer;
beforeAll(async () => {
  server = await startTestNatsServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe('the NATS JetStream transport keeps the transport contract', () => {
  const [a, b, c] = [id('nats-a'), id('nats-b'), id('nats-c')];

  it('delivers each message to the endpoint it is addressed to, with the sender as `from`', async () => {
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('deliver') });
    const [ea, eb, ec] = [nats.endpoint(a), nats.endpoint(b), nats.endpoint(c)];
    const atB = collect(eb, b);
    const atC = collect(ec, c);
    await ea.send(b, msg(1, 100));
    await ec.send(b, msg(2));
    await ea.send(c, msg(3));
    await waitFor(() => atB.length === 2 && atC.length === 1, 'three deliveries');
    expect(atB.map((g) => [g.id, g.from]).sort()).toEqual([
      ['m-1', toHex(a)],
      ['m-2', toHex(c)],
    ]);
    expect(atB.find((g) => g.id === 'm-1')!.body).toEqual(new Uint8Array(100).fill(1));
    expect(atC.map((g) => [g.id, g.from])).toEqual([['m-3', toHex(a)]]);
    // A subscriber may only listen as the endpoint's own domain.
    expect(() => eb.subscribe(c, () => {})).toThrow(WeftError);
    await nats.close();
  });

  it('stores a resend with the same id once (JetStream dedup), while the same id to another peer is its own message', async () => {
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('dedup') });
    const [ea, eb, ec] = [nats.endpoint(a), nats.endpoint(b), nats.endpoint(c)];
    const atB = collect(eb, b);
    const atC = collect(ec, c);
    for (let i = 0; i < 3; i++) await ea.send(b, msg('same'));
    await ea.send(c, msg('same'));
    await ea.send(b, msg('after')); // a marker: delivered after any copy of m-same
    await waitFor(() => atB.some((g) => g.id === 'm-after') && atC.length === 1, 'the marker');
    expect(atB.map((g) => g.id)).toEqual(['m-same', 'm-after']);
    expect(atC.map((g) => g.id)).toEqual(['m-same']);
    expect(nats.stats()).toMatchObject({ published: 3, duplicates: 2 });
    await nats.close();
  });

  it('refuses sends and subscriptions after close with TRANSPORT_CLOSED', async () => {
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('close') });
    const ea = nats.endpoint(a);
    const eb = nats.endpoint(b);
    await eb.close();
    await rejectsWith(eb.send(a, msg(1)), 'TRANSPORT_CLOSED');
    expect(() => eb.subscribe(b, () => {})).toThrow(expect.objectContaining({ code: 'TRANSPORT_CLOSED' }));
    await ea.send(b, msg(2)); // the other endpoint goes on
    await nats.close();
    await rejectsWith(ea.send(b, msg(3)), 'TRANSPORT_CLOSED');
    await rejectsWith(nats.endpoint(c).send(a, msg(4)), 'TRANSPORT_CLOSED');
  });

  it('refuses a message larger than the server max_payload with MESSAGE_TOO_LARGE, and carries one just under it', async () => {
    const small = await startTestNatsServer({ maxPayloadBytes: 64 * 1024 });
    try {
      const nats = await NatsTransport.connect({ servers: small.url, ...isolatedStream('big') });
      expect(nats.maxPayloadBytes).toBe(64 * 1024);
      const atB = collect(nats.endpoint(b), b);
      const ea = nats.endpoint(a);
      await rejectsWith(ea.send(b, msg('big', 64 * 1024)), 'MESSAGE_TOO_LARGE');
      await ea.send(b, msg('fits', 63 * 1024));
      await waitFor(() => atB.length === 1, 'the message that fits');
      expect(atB[0]!.body.length).toBe(63 * 1024);
      expect(nats.stats()).toMatchObject({ published: 1, outbox: 0 });
      await nats.close();
    } finally {
      await small.dispose();
    }
  });

  it('says NATS_UNAVAILABLE when no server answers, and NATS_STREAM_FAILED when another stream holds the subjects', async () => {
    const nobody = await freePort();
    await rejectsWith(NatsTransport.connect({ servers: `nats://127.0.0.1:${nobody}` }), 'NATS_UNAVAILABLE');
    const taken = isolatedStream('taken');
    const first = await NatsTransport.connect({ servers: server.url, ...taken });
    await rejectsWith(
      NatsTransport.connect({ servers: server.url, ...taken, stream: `${taken.stream}_other` }),
      'NATS_STREAM_FAILED',
    );
    await first.close();
  });

  it('refuses malformed messages at send with BAD_MESSAGE', async () => {
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('bad') });
    const ea = nats.endpoint(a);
    await rejectsWith(
      ea.send(b, { kind: 'nope' as 'rootUpdate', id: 'x', body: new Uint8Array() }),
      'BAD_MESSAGE',
    );
    await rejectsWith(ea.send(b, { kind: 'rootUpdate', id: '', body: new Uint8Array() }), 'BAD_MESSAGE');
    await nats.close();
  });
});

describe('a NATS receiver resumes from its last acknowledgement', () => {
  it('gets what was sent while it was away, and nothing it had already acknowledged', async () => {
    const [a, b] = [id('resume-a'), id('resume-b')];
    const stream = isolatedStream('resume');
    const sender = await NatsTransport.connect({ servers: server.url, ...stream, name: 'sender' });
    const ea = sender.endpoint(a);

    // First life of b's node: it handles m-1..m-3, then its process goes away.
    const first = await NatsTransport.connect({ servers: server.url, ...stream, name: 'b-first' });
    const before = collect(first.endpoint(b), b);
    for (let i = 1; i <= 3; i++) await ea.send(b, msg(i));
    await waitFor(() => before.length === 3, 'the first three messages');
    await first.close();
    expect(before.map((g) => g.id)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(first.stats()).toMatchObject({ delivered: 3, acked: 3, redelivered: 0 });

    // While b is down, a goes on sending; the stream keeps the messages for b's consumer.
    for (let i = 4; i <= 6; i++) await ea.send(b, msg(i));
    await sender.idle();
    expect(await sender.consumerState(b)).toMatchObject({ pending: 3, ackPending: 0, ackFloor: 3 });

    // Second life: a new connection binds the same durable consumer and starts after m-3.
    const second = await NatsTransport.connect({ servers: server.url, ...stream, name: 'b-second' });
    const after = collect(second.endpoint(b), b);
    await waitFor(() => after.length === 3, 'the three messages sent while b was away');
    await waitFor(
      async () => (await second.consumerState(b)).ackFloor === 6,
      'the acknowledgements of the second life',
    );
    expect(after.map((g) => g.id)).toEqual(['m-4', 'm-5', 'm-6']);
    expect(await second.consumerState(b)).toMatchObject({ pending: 0, ackPending: 0, redelivered: 0 });
    await second.close();
    await sender.close();
  });

  it('redelivers a message whose handler never finished (no ack), after ack wait', async () => {
    const [a, b] = [id('crash-a'), id('crash-b')];
    const stream = isolatedStream('crash');
    const opts = { servers: server.url, ...stream, ackWaitMs: 1_000 };
    const sender = await NatsTransport.connect(opts);
    // The first life's handler hangs on m-1 and its connection dies under it: no ack is sent.
    const first = await NatsTransport.connect(opts);
    let started = false;
    first.endpoint(b).subscribe(b, () => {
      started = true;
      return new Promise<void>(() => {});
    });
    await sender.endpoint(a).send(b, msg(1));
    await waitFor(() => started, 'the first delivery');
    // A crash: the connection dies with the handler still running (no public API does that).
    await (first as unknown as { nc: { close(): Promise<void> } }).nc.close();
    const second = await NatsTransport.connect(opts);
    const again = collect(second.endpoint(b), b);
    await waitFor(() => again.length === 1, 'the redelivery');
    expect(again[0]!.id).toBe('m-1');
    expect(second.stats().redelivered).toBe(1);
    await second.close();
    await sender.close();
  });
});

describe('a NATS outage pauses sync without losing anything', () => {
  it('keeps sends made while nats-server is down in the outbox, and delivers everything after it restarts', async () => {
    const [a, b] = [id('outage-a'), id('outage-b')];
    const stream = isolatedStream('outage');
    const sender = await NatsTransport.connect({ servers: server.url, ...stream, name: 'sender' });
    const receiver = await NatsTransport.connect({ servers: server.url, ...stream, name: 'receiver' });
    const ea = sender.endpoint(a);
    const got = collect(receiver.endpoint(b), b);
    for (let i = 1; i <= 5; i++) await ea.send(b, msg(i));
    await waitFor(() => got.length === 5, 'the messages before the outage');

    await server.stop();
    await waitFor(() => !sender.stats().connected && !receiver.stats().connected, 'both clients to notice');
    for (let i = 6; i <= 10; i++) await ea.send(b, msg(i)); // resolves: taken into the outbox
    expect(sender.stats()).toMatchObject({ outbox: 5, dropped: 0 });

    await server.restart();
    await waitFor(() => new Set(got.map((g) => g.id)).size === 10, 'the messages sent during the outage');
    await sender.idle();
    expect(sender.stats()).toMatchObject({ outbox: 0, dropped: 0, published: 10 });
    expect(sender.stats().reconnects).toBeGreaterThanOrEqual(1);

    // The consume loop survived the restart: a message sent now arrives too.
    await ea.send(b, msg(11));
    await waitFor(() => got.some((g) => g.id === 'm-11'), 'a message after the restart');
    // Every message arrived; a copy can come twice only if its ack was lost with the server.
    const ids = got.map((g) => g.id);
    expect([...new Set(ids)].sort()).toEqual(Array.from({ length: 11 }, (_, i) => `m-${i + 1}`).sort());
    expect(ids.length - new Set(ids).size).toBe(receiver.stats().redelivered);
    await receiver.close();
    await sender.close();
  });

  it('loses nothing sent while the server is going down (publishes cut off mid-flight go to the outbox)', async () => {
    const [a, b] = [id('race-a'), id('race-b')];
    const stream = isolatedStream('race');
    const sender = await NatsTransport.connect({ servers: server.url, ...stream, publishTimeoutMs: 1_000 });
    const receiver = await NatsTransport.connect({ servers: server.url, ...stream });
    const ea = sender.endpoint(a);
    const got = collect(receiver.endpoint(b), b);
    // Sends start before the stop and go on through it, none awaited until the server is gone.
    const sends: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) sends.push(ea.send(b, msg(i, 4096)));
    const stopped = server.stop();
    for (let i = 21; i <= 40; i++) sends.push(ea.send(b, msg(i, 4096)));
    await stopped;
    await Promise.all(sends); // every send was taken: stored, or in the outbox
    await server.restart();
    await waitFor(() => new Set(got.map((g) => g.id)).size === 40, 'all forty messages');
    await sender.idle();
    expect(sender.stats()).toMatchObject({ outbox: 0, dropped: 0 });
    // Each message is in the stream once: a copy stored before its publish timed out was dropped
    // as a duplicate when the outbox published it again.
    expect(sender.stats().published).toBe(40);
    await receiver.close();
    await sender.close();
  });

  it('drops the oldest sends when the outbox is full, and counts them', async () => {
    const [a, b] = [id('full-a'), id('full-b')];
    const stream = isolatedStream('full');
    const sender = await NatsTransport.connect({ servers: server.url, ...stream, outboxMessagesMax: 3 });
    const ea = sender.endpoint(a);
    await server.stop();
    try {
      await waitFor(() => !sender.stats().connected, 'the client to notice');
      for (let i = 1; i <= 5; i++) await ea.send(b, msg(i));
      expect(sender.stats()).toMatchObject({ outbox: 3, dropped: 2 });
    } finally {
      await server.restart();
    }
    const receiver = await NatsTransport.connect({ servers: server.url, ...stream });
    const got = collect(receiver.endpoint(b), b);
    await sender.idle();
    await waitFor(() => got.length === 3, 'the three kept sends');
    expect(got.map((g) => g.id).sort()).toEqual(['m-3', 'm-4', 'm-5']);
    await receiver.close();
    await sender.close();
  });
});
