import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256, utf8, WeftError } from '../src/crypto/index.js';
import {
  ANONYMOUS,
  type BusFaults,
  Deduplicator,
  decodeMessage,
  encodeMessage,
  InProcessBus,
  MESSAGE_ID_BYTES_MAX,
  type Message,
  seededPrng,
} from '../src/net/index.js';
import { expectCode } from './support.js';

const id = (name: string) => sha256(utf8(`net/${name}`));
const A = id('a');
const B = id('b');
const C = id('c');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').slice(0, 6);
const msg = (n: number | string, kind: Message['kind'] = 'transfer'): Message => ({
  kind,
  id: `m-${n}`,
  body: utf8(`body ${n}`),
});

describe('the seeded PRNG', () => {
  it('repeats per seed and differs across seeds', () => {
    const draw = (seed: string | number) => {
      const r = seededPrng(seed);
      return Array.from({ length: 20 }, () => r.next());
    };
    expect(draw('x')).toEqual(draw('x'));
    expect(draw('x')).not.toEqual(draw('y'));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('draws floats in [0, 1) and integers in [lo, hi]', () => {
    const r = seededPrng('range');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      const k = r.int(3, 7);
      expect(k >= 3 && k <= 7 && Number.isInteger(k)).toBe(true);
      seen.add(k);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(r.chance(0)).toBe(false);
    expect(() => r.int(5, 4)).toThrow(RangeError);
  });
});

describe('messages', () => {
  it('round-trip through their encoding, strictly', () => {
    for (const m of [msg(1), { kind: 'rootUpdate' as const, id: 'é/ü', body: new Uint8Array(0) }]) {
      const bytes = encodeMessage(m);
      expect(decodeMessage(bytes)).toEqual(m);
      expectCode(() => decodeMessage(bytes.subarray(0, bytes.length - 1)), 'CODEC');
      expectCode(() => decodeMessage(new Uint8Array([...bytes, 0])), 'CODEC');
    }
    const bad = encodeMessage(msg(1));
    bad[1] = 99;
    expectCode(() => decodeMessage(bad), 'CODEC');
  });

  it('keep every kind at its wire number: a new kind is appended, never renumbers one', () => {
    const wire = (kind: Message['kind']) => encodeMessage({ kind, id: 'k', body: new Uint8Array(0) })[1];
    const kinds: Message['kind'][] = [
      'rootUpdate',
      'headerRequest',
      'headerResponse',
      'confirmation',
      'transfer',
      'attestation',
      'interest',
      'facts',
    ];
    expect(kinds.map(wire)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuse an unknown kind, an empty or over-long id, or a body that is not bytes', () => {
    for (const m of [
      { ...msg(1), kind: 'gossip' },
      { ...msg(1), id: '' },
      { ...msg(1), id: 'x'.repeat(MESSAGE_ID_BYTES_MAX + 1) },
      { ...msg(1), body: 'text' },
    ]) {
      expectCode(() => encodeMessage(m as Message), 'BAD_MESSAGE');
    }
  });
});

/** Runs a scenario on a bus and returns the delivery log: `to<-from:id` in delivery order. */
async function exchange(
  seed: string | number,
  faults: BusFaults,
  count = 60,
): Promise<{ log: string[]; stats: object }> {
  const bus = new InProcessBus({ seed, ...faults });
  const log: string[] = [];
  const ends = [A, B, C].map((d) => bus.endpoint(d));
  for (const [i, d] of [A, B, C].entries()) {
    ends[i]!.subscribe(d, async (m, from) => {
      log.push(`${hex(d)}<-${hex(from)}:${m.id}`);
      // Replies make later sends depend on earlier deliveries.
      if (m.kind === 'transfer') await ends[i]!.send(from, { ...m, kind: 'confirmation', id: `ack-${m.id}` });
    });
  }
  for (let i = 0; i < count; i++) await ends[i % 3]!.send([A, B, C][(i + 1) % 3]!, msg(i));
  await bus.idle();
  return { log, stats: bus.stats() };
}

describe('the in-process bus', () => {
  it('with faults off delivers every message exactly once, in send order, never inside send', async () => {
    const bus = new InProcessBus();
    const got: string[] = [];
    let sending = false;
    bus.subscribe(B, (m, from) => {
      expect(sending).toBe(false);
      expect(from).toEqual(ANONYMOUS);
      got.push(m.id);
    });
    for (let i = 0; i < 200; i++) {
      sending = true;
      await bus.send(B, msg(i));
      sending = false;
    }
    expect(got).toEqual([]); // nothing yet: delivery is asynchronous
    await bus.idle();
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `m-${i}`));
    expect(bus.stats()).toMatchObject({ sent: 200, delivered: 200, dropped: 0, duplicated: 0, inFlight: 0 });
  });

  it('is deterministic per seed: the same sends give the same deliveries, in the same order', async () => {
    const faults = { dropProbability: 0.2, duplicateProbability: 0.2, minDelayMs: 0, maxDelayMs: 30 };
    const one = await exchange('seed-1', faults);
    const again = await exchange('seed-1', faults);
    const other = await exchange('seed-2', faults);
    expect(again).toEqual(one);
    expect(other.log).not.toEqual(one.log);
    const clean = await exchange('seed-1', {});
    expect(clean.log).toHaveLength(120); // 60 messages and 60 acks
  });

  it('drops, duplicates and reorders at about the rates asked', async () => {
    const bus = new InProcessBus({
      seed: 3,
      dropProbability: 0.3,
      duplicateProbability: 0.2,
      maxDelayMs: 50,
    });
    const got: number[] = [];
    bus.subscribe(B, (m) => {
      got.push(Number(m.id.slice(2)));
    });
    for (let i = 0; i < 2000; i++) await bus.send(B, msg(i));
    await bus.idle();
    const s = bus.stats();
    expect(s.dropped).toBeGreaterThan(500);
    expect(s.dropped).toBeLessThan(700);
    expect(s.duplicated).toBeGreaterThan(200);
    expect(s.duplicated).toBeLessThan(360);
    expect(got).toHaveLength(2000 - s.dropped + s.duplicated);
    expect(s.delivered).toBe(got.length);
    const inOrder = got.every((v, i) => i === 0 || got[i - 1]! <= v);
    expect(inOrder).toBe(false);
    expect(s.nowMs).toBeGreaterThan(0);
  });

  it('partitions block both directions, including messages already in flight, until healed', async () => {
    const bus = new InProcessBus({ maxDelayMs: 10 });
    const got: string[] = [];
    for (const d of [A, B, C]) bus.subscribe(d, (m) => void got.push(`${hex(d)}:${m.id}`));
    const a = bus.endpoint(A);
    const b = bus.endpoint(B);
    await a.send(B, msg('in-flight'));
    bus.partition(A, B);
    expect(bus.isPartitioned(B, A)).toBe(true);
    await a.send(B, msg('a->b'));
    await b.send(A, msg('b->a'));
    await a.send(C, msg('a->c'));
    await bus.idle();
    expect(got).toEqual([`${hex(C)}:m-a->c`]);
    expect(bus.stats().partitioned).toBe(3);
    bus.heal(A, B);
    await a.send(B, msg('healed'));
    await bus.idle();
    expect(got).toContain(`${hex(B)}:m-healed`);
  });

  it('counts messages nobody listens to, and handler failures, and goes on', async () => {
    const bus = new InProcessBus();
    await bus.send(C, msg(0));
    let calls = 0;
    const off = bus.subscribe(B, () => {
      calls++;
      throw new Error('handler bug');
    });
    bus.subscribe(B, async () => {
      calls++;
      throw new Error('async handler bug');
    });
    await bus.send(B, msg(1));
    await bus.idle();
    off();
    await bus.send(B, msg(2));
    await bus.idle();
    expect(calls).toBe(3);
    expect(bus.stats()).toMatchObject({ undeliverable: 1, handlerErrors: 3, delivered: 2 });
  });

  it('copies bodies: a sender reusing its buffer or a receiver writing to it changes nothing for others', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    bus.subscribe(B, (m) => {
      seen.push(Buffer.from(m.body).toString());
      m.body.fill(0);
    });
    bus.subscribe(B, (m) => void seen.push(Buffer.from(m.body).toString()));
    const body = utf8('hello');
    await bus.send(B, { kind: 'transfer', id: 'x', body });
    body.fill(33);
    await bus.idle();
    expect(seen).toEqual(['hello', 'hello']);
  });

  it('endpoints stamp their sender, accept only their own subscriptions, and close alone', async () => {
    const bus = new InProcessBus();
    const a = bus.endpoint(A);
    const froms: string[] = [];
    bus.subscribe(B, (_m, from) => void froms.push(hex(from)));
    await a.send(B, msg(1));
    await bus.idle();
    expect(froms).toEqual([hex(A)]);
    expectCode(() => a.subscribe(B, () => undefined), 'BAD_INPUT');
    let aGot = 0;
    a.subscribe(A, () => void aGot++);
    await a.close();
    await bus.send(A, msg(2));
    await bus.idle();
    expect(aGot).toBe(0);
    await expect(a.send(B, msg(3))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(bus.send(B, msg(4))).resolves.toBeUndefined();
  });

  it('refuses malformed sends, bounds what is in flight, and refuses everything once closed', async () => {
    const bus = new InProcessBus({ inFlightMax: 3 });
    await expect(bus.send(new Uint8Array(5), msg(1))).rejects.toMatchObject({ code: 'BAD_LENGTH' });
    await expect(bus.send(B, { ...msg(1), id: '' })).rejects.toMatchObject({ code: 'BAD_MESSAGE' });
    for (let i = 0; i < 3; i++) await bus.send(B, msg(i));
    await expect(bus.send(B, msg(3))).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await bus.close();
    await bus.idle();
    await expect(bus.send(B, msg(5))).rejects.toBeInstanceOf(WeftError);
    expect(() => bus.subscribe(B, () => undefined)).toThrow(WeftError);
    expect(() => new InProcessBus({ dropProbability: 2 })).toThrow(WeftError);
    expect(() => new InProcessBus({ minDelayMs: 5, maxDelayMs: 1 })).toThrow(WeftError);
  });

  it('can wait real time for delays', async () => {
    const bus = new InProcessBus({ realTime: true, minDelayMs: 30, maxDelayMs: 30 });
    let got = 0;
    bus.subscribe(B, () => void got++);
    const t0 = performance.now();
    await bus.send(B, msg(1));
    await bus.idle();
    expect(got).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });
});

describe('the deduplicator', () => {
  it('says whether an id was seen, remembering at most its capacity (least recently seen dropped first)', () => {
    const d = new Deduplicator(3);
    expect(['a', 'b', 'c'].map((x) => d.seen(x))).toEqual([false, false, false]);
    expect(d.seen('a')).toBe(true); // refreshes a
    expect(d.seen('d')).toBe(false); // evicts b, the least recently seen
    expect(d.has('b')).toBe(false);
    expect(d.has('a')).toBe(true);
    expect(d.size).toBe(3);
    d.forget('a');
    expect(d.seen('a')).toBe(false);
    expectCode(() => new Deduplicator(0), 'BAD_INPUT');
  });
});

describe('exactly once over a lossy bus', () => {
  /** Sends `count` messages A -> B with retries until each is acknowledged; returns what B processed. */
  async function reliable(seed: number, count: number) {
    const bus = new InProcessBus({ seed, dropProbability: 0.3, duplicateProbability: 0.3, maxDelayMs: 20 });
    const a = bus.endpoint(A);
    const b = bus.endpoint(B);
    const dedup = new Deduplicator();
    const processed: string[] = [];
    const acked = new Set<string>();
    b.subscribe(B, async (m, from) => {
      if (!dedup.seen(m.id)) processed.push(m.id);
      // Acknowledge every copy: the first ack may be the one that is lost.
      await b.send(from, { kind: 'confirmation', id: `ack/${m.id}/${bus.stats().sent}`, body: utf8(m.id) });
    });
    a.subscribe(A, (m) => void acked.add(Buffer.from(m.body).toString()));
    const ids = Array.from({ length: count }, (_, i) => `transfer-${i}`);
    let rounds = 0;
    while (acked.size < count) {
      rounds++;
      if (rounds > 100) throw new Error('retries did not converge');
      for (const x of ids) if (!acked.has(x)) await a.send(B, { kind: 'transfer', id: x, body: utf8(x) });
      await bus.idle();
    }
    return { processed, rounds, stats: bus.stats() };
  }

  it('with drops, duplicates and reordering, retries and the deduplicator process each id once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
        const { processed, rounds, stats } = await reliable(seed, 50);
        expect([...processed].sort()).toEqual(Array.from({ length: 50 }, (_, i) => `transfer-${i}`).sort());
        expect(rounds).toBeGreaterThan(1);
        expect(stats.dropped).toBeGreaterThan(0);
        expect(stats.duplicated).toBeGreaterThan(0);
      }),
      { numRuns: 8 },
    );
  });
});
