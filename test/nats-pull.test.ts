// A receiving domain's consumer delivers every message whatever the mix of sizes ahead of it
// (docs/nats.md, "Receiving"): with pulls carrying a byte budget, a long run of small messages
// shrank the client's refills below the size of the next larger message, which was then never
// delivered, and the consumer stalled for good.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, utf8 } from '../src/crypto/index.js';
import { type DomainId, type Message, NATS_PULL_PAYLOADS_MAX, NatsTransport } from '../src/net/index.js';
import { isolatedStream, startTestNatsServer, type TestNatsServer, waitFor } from './helpers/natsNet.js';

const id = (name: string): DomainId => sha256(utf8(name));
const msg = (n: number, bytes: number): Message => ({
  kind: 'rootUpdate',
  id: `m-${n}`,
  body: new Uint8Array(bytes).fill(n & 0xff),
});

/** Small messages before the large one: enough for the old refills to shrink below it. */
const SMALL_BEFORE = 2_000;
const SMALL_BYTES = 800;
const LARGE_BYTES = 700_000;

let server: TestNatsServer;
beforeAll(async () => {
  server = await startTestNatsServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("a receiver's pulls", () => {
  it('deliver a large message behind thousands of small ones, and everything after it, each once and in order', async () => {
    const [a, b] = [id('pull-a'), id('pull-b')];
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('pull') });
    const [ea, eb] = [nats.endpoint(a), nats.endpoint(b)];
    const got: { id: string; bytes: number }[] = [];
    eb.subscribe(b, async (m) => {
      got.push({ id: m.id, bytes: m.body.length });
      // A handler that takes a moment, as a root update's verification does: pulls overlap it.
      await new Promise((r) => setImmediate(r));
    });
    const sent: Message[] = [];
    for (let i = 0; i < SMALL_BEFORE; i++) sent.push(msg(i, SMALL_BYTES));
    sent.push(msg(SMALL_BEFORE, LARGE_BYTES));
    for (let i = SMALL_BEFORE + 1; i < SMALL_BEFORE + 50; i++) sent.push(msg(i, SMALL_BYTES));
    // In windows of 100, as a node's bursts are: the receiver reads while they are published.
    for (let i = 0; i < sent.length; i += 100)
      await Promise.all(sent.slice(i, i + 100).map((m) => ea.send(b, m)));
    await waitFor(() => got.length >= sent.length, `${sent.length} deliveries (got ${got.length})`);
    expect(got.map((g) => g.id)).toEqual(sent.map((m) => m.id));
    expect(got[SMALL_BEFORE]).toEqual({ id: `m-${SMALL_BEFORE}`, bytes: LARGE_BYTES });
    await nats.close();
  });

  it('hold at most NATS_PULL_PAYLOADS_MAX max_payloads of messages the handler has not taken', async () => {
    const [a, b] = [id('bound-a'), id('bound-b')];
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('bound') });
    const [ea, eb] = [nats.endpoint(a), nats.endpoint(b)];
    const budget = NATS_PULL_PAYLOADS_MAX * nats.maxPayloadBytes;
    // Messages of a quarter of the budget: a pull holds at most four, whatever its message count.
    const size = Math.floor(budget / 4) - 1024;
    const count = 12;
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const got: string[] = [];
    eb.subscribe(b, async (m) => {
      got.push(m.id);
      if (got.length === 1) await held; // the handler is stuck on the first message
    });
    const sent = Array.from({ length: count }, (_, i) => msg(i, size));
    for (const m of sent) await ea.send(b, m);
    await nats.idle();
    await waitFor(() => got.length === 1, 'the first delivery');
    await new Promise((r) => setTimeout(r, 500)); // time for any further pull to deliver
    // Delivered to this client and not yet acknowledged: the message in the handler and the rest
    // of its pull, at most four of them.
    const stuck = await nats.consumerState(b);
    expect(stuck.ackPending).toBeGreaterThanOrEqual(1);
    expect(stuck.ackPending * size).toBeLessThanOrEqual(budget);
    expect(stuck.pending).toBeGreaterThanOrEqual(count - 4);
    release();
    await waitFor(() => got.length >= count, `${count} deliveries (got ${got.length})`);
    expect(got).toEqual(sent.map((m) => m.id));
    await nats.close();
  });
});
