// The in-process transport: every domain of one process on one bus, with faults injected from a
// seed (drop, duplicate, delay/reorder, partitions) so a simulation replays exactly. Delivery is
// driven by a virtual clock and a queue ordered by (delivery time, send order); with the same
// seed and the same sends, deliveries happen in the same order (docs/sync.md, "Transport").
import { assertBytes, check, equalBytes, hexKey, toHex, WeftError } from '../crypto/index.js';
import { DeliveryQueue, pairKey } from './deliveryQueue.js';
import { assertMessage, type DomainId, type Message } from './message.js';
import { type Prng, seededPrng } from './prng.js';
import type { MessageHandler, Transport } from './transport.js';

/** Default bound on messages queued for delivery; `send` refuses beyond it (LIMIT_EXCEEDED). */
export const BUS_IN_FLIGHT_DEFAULT = 1_000_000;
/** Longest delay the bus may be asked to add, in (virtual) milliseconds. */
export const BUS_DELAY_MS_MAX = 3_600_000;
/** Deliveries between two yields to the event loop when handlers are synchronous. */
const DELIVERIES_PER_YIELD = 64;
/** The sender of messages sent on the bus without an endpoint. */
export const ANONYMOUS: DomainId = new Uint8Array(32);

export type BusFaults = {
  /** probability a sent message is lost, in [0, 1] */
  dropProbability?: number;
  /** probability a sent message is delivered twice, in [0, 1] */
  duplicateProbability?: number;
  /** each delivery is delayed by a uniform whole number of ms in [minDelayMs, maxDelayMs]: reordering */
  minDelayMs?: number;
  maxDelayMs?: number;
};

export type InProcessBusOptions = BusFaults & {
  /** seed of the fault PRNG (default 'weft') */
  seed?: string | number;
  /**
   * Await each handler's promise before the next delivery (default true): deliveries are
   * serialized, which makes the order deterministic. A handler must then never wait for another
   * delivery of this bus (it would wait forever).
   */
  awaitHandlers?: boolean;
  /** wait real time for delays (default false: delays only order deliveries on a virtual clock) */
  realTime?: boolean;
  inFlightMax?: number;
};

export type BusStats = {
  sent: number;
  /** messages handed to at least one handler (a duplicate counts again) */
  delivered: number;
  dropped: number;
  duplicated: number;
  /** refused by a partition, at send or at delivery */
  partitioned: number;
  /** addressed to a domain with no subscriber when due */
  undeliverable: number;
  handlerErrors: number;
  /** queued and not yet delivered */
  inFlight: number;
  /** the virtual clock, in ms */
  nowMs: number;
};

type Envelope = { at: number; seq: number; to: string; toId: DomainId; from: DomainId; msg: Message };

function checkProbability(p: number | undefined, name: string): number {
  const v = p ?? 0;
  check(typeof v === 'number' && v >= 0 && v <= 1, 'BAD_INPUT', `${name} must be a probability in [0, 1]`);
  return v;
}

/**
 * @example
 * const bus = new InProcessBus({ seed: 7, dropProbability: 0.1, maxDelayMs: 50 });
 * const a = bus.endpoint(alphaId);
 * bus.endpoint(betaId).subscribe(betaId, (msg, from) => handle(msg, from));
 * await a.send(betaId, { kind: 'rootUpdate', id: 'alpha/12', body });
 * await bus.idle();
 */
export class InProcessBus implements Transport {
  private readonly rng: Prng;
  private drop = 0;
  private duplicate = 0;
  private minDelay = 0;
  private maxDelay = 0;
  private readonly awaitHandlers: boolean;
  private readonly realTime: boolean;
  private readonly inFlightMax: number;
  private readonly startMs = performance.now();
  private readonly queue = new DeliveryQueue<number, Envelope>();
  private readonly handlers = new Map<string, MessageHandler[]>();
  private readonly partitions = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private seq = 0;
  private nowMs = 0;
  private closed = false;
  private scheduled = false;
  private pumping = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private readonly counters = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    partitioned: 0,
    undeliverable: 0,
    handlerErrors: 0,
  };

  constructor(opts: InProcessBusOptions = {}) {
    this.rng = seededPrng(opts.seed ?? 'weft');
    this.setFaults(opts);
    this.awaitHandlers = opts.awaitHandlers ?? true;
    this.realTime = opts.realTime ?? false;
    this.inFlightMax = opts.inFlightMax ?? BUS_IN_FLIGHT_DEFAULT;
    check(
      Number.isInteger(this.inFlightMax) && this.inFlightMax >= 1,
      'BAD_INPUT',
      'inFlightMax must be a positive integer',
    );
  }

  /** Changes the fault rates from now on (the PRNG stream goes on). */
  setFaults(f: BusFaults): void {
    const drop = checkProbability(f.dropProbability, 'dropProbability');
    const duplicate = checkProbability(f.duplicateProbability, 'duplicateProbability');
    const minDelay = f.minDelayMs ?? 0;
    const maxDelay = f.maxDelayMs ?? minDelay;
    check(
      Number.isInteger(minDelay) &&
        Number.isInteger(maxDelay) &&
        minDelay >= 0 &&
        maxDelay >= minDelay &&
        maxDelay <= BUS_DELAY_MS_MAX,
      'BAD_INPUT',
      `delays must be whole ms with 0 <= minDelayMs <= maxDelayMs <= ${BUS_DELAY_MS_MAX}`,
    );
    this.drop = drop;
    this.duplicate = duplicate;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
  }

  /**
   * Queues `msg` for `to` (from `from`, ANONYMOUS by default; an endpoint fills it in). Resolves
   * once queued; the handler runs later, never inside this call.
   */
  send(to: DomainId, msg: Message, from: DomainId = ANONYMOUS): Promise<void> {
    if (this.closed) return Promise.reject(new WeftError('TRANSPORT_CLOSED', 'the bus is closed'));
    try {
      assertBytes(to, 32, 'to');
      assertBytes(from, 32, 'from');
      assertMessage(msg);
      if (this.queue.length >= this.inFlightMax) {
        throw new WeftError(
          'LIMIT_EXCEEDED',
          `the bus holds its maximum of ${this.inFlightMax} messages in flight`,
        );
      }
    } catch (e) {
      return Promise.reject(e);
    }
    this.counters.sent++;
    const toKey = hexKey(to);
    if (this.isPartitioned(from, to)) {
      this.counters.partitioned++;
      return Promise.resolve();
    }
    if (this.rng.chance(this.drop)) {
      this.counters.dropped++;
      return Promise.resolve();
    }
    const copies = this.rng.chance(this.duplicate) ? 2 : 1;
    this.counters.duplicated += copies - 1;
    // The body is copied once here: what the sender does with its buffer afterwards is not seen.
    const frozen: Message = { kind: msg.kind, id: msg.id, body: msg.body.slice() };
    const base = this.realTime ? Math.max(this.nowMs, performance.now() - this.startMs) : this.nowMs;
    for (let i = 0; i < copies; i++) {
      const delay =
        this.maxDelay > this.minDelay ? this.rng.int(this.minDelay, this.maxDelay) : this.minDelay;
      this.queue.push({
        at: base + delay,
        seq: this.seq++,
        to: toKey,
        toId: to.slice(),
        from: from.slice(),
        msg: frozen,
      });
    }
    this.schedule();
    return Promise.resolve();
  }

  /** Delivers every message addressed to `self` to `handler` until the returned function is called. */
  subscribe(self: DomainId, handler: MessageHandler): () => void {
    assertBytes(self, 32, 'self');
    check(typeof handler === 'function', 'BAD_INPUT', 'handler must be a function');
    check(!this.closed, 'TRANSPORT_CLOSED', 'the bus is closed');
    const key = hexKey(self);
    this.handlers.set(key, [...(this.handlers.get(key) ?? []), handler]);
    return () => {
      const list = this.handlers.get(key);
      if (!list) return;
      const rest = list.filter((h) => h !== handler);
      if (rest.length === 0) this.handlers.delete(key);
      else this.handlers.set(key, rest);
    };
  }

  /**
   * A transport bound to one domain: `send` stamps `self` as the sender, `subscribe` takes only
   * `self`, `close` unsubscribes this endpoint's handlers (the bus goes on).
   */
  endpoint(self: DomainId): Transport {
    assertBytes(self, 32, 'self');
    const me = self.slice();
    const unsubscribers = new Set<() => void>();
    let closed = false;
    return {
      send: (to, msg) =>
        closed
          ? Promise.reject(new WeftError('TRANSPORT_CLOSED', 'the endpoint is closed'))
          : this.send(to, msg, me),
      subscribe: (who, handler) => {
        check(!closed, 'TRANSPORT_CLOSED', 'the endpoint is closed');
        check(
          who instanceof Uint8Array && equalBytes(who, me),
          'BAD_INPUT',
          `this endpoint belongs to ${toHex(me)}`,
        );
        const off = this.subscribe(me, handler);
        unsubscribers.add(off);
        return () => {
          unsubscribers.delete(off);
          off();
        };
      },
      close: async () => {
        closed = true;
        for (const off of unsubscribers) off();
        unsubscribers.clear();
      },
    };
  }

  /** Blocks traffic both ways between `a` and `b` (in flight too) until healed. */
  partition(a: DomainId, b: DomainId): void {
    this.partitions.add(pairKey(a, b));
  }

  heal(a: DomainId, b: DomainId): void {
    this.partitions.delete(pairKey(a, b));
  }

  healAll(): void {
    this.partitions.clear();
  }

  isPartitioned(a: DomainId, b: DomainId): boolean {
    return this.partitions.size > 0 && this.partitions.has(pairKey(a, b));
  }

  stats(): BusStats {
    return { ...this.counters, inFlight: this.queue.length, nowMs: this.nowMs };
  }

  /** Resolves when nothing is queued and no delivery is running. */
  idle(): Promise<void> {
    if (this.isIdle() || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && !this.pumping && !this.scheduled;
  }

  /** Stops delivery, drops what is queued, refuses further sends. */
  async close(): Promise<void> {
    this.closed = true;
    this.counters.dropped += this.queue.length;
    this.queue.clear();
    this.handlers.clear();
    await this.pumpDone;
    this.wakeIdle();
  }

  private schedule(): void {
    if (this.scheduled || this.pumping || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.pumping || this.closed) this.wakeIdle();
      else this.pumpDone = this.pump();
    });
  }

  private async pump(): Promise<void> {
    // Set before the first await, so no one sees the bus idle while a pump is under way.
    this.pumping = true;
    let sinceYield = 0;
    try {
      while (!this.closed && this.queue.length > 0) {
        const env = this.queue.pop();
        if (this.realTime) {
          const waitMs = env.at - (performance.now() - this.startMs);
          if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
        }
        if (env.at > this.nowMs) this.nowMs = env.at;
        await this.deliver(env);
        if (++sinceYield >= DELIVERIES_PER_YIELD) {
          sinceYield = 0;
          await new Promise((r) => setImmediate(r));
        }
      }
    } finally {
      this.pumping = false;
      if (this.queue.length > 0 && !this.closed) this.schedule();
      else this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    if (!this.isIdle() && !this.closed) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async deliver(env: Envelope): Promise<void> {
    if (this.isPartitioned(env.from, env.toId)) {
      this.counters.partitioned++;
      return;
    }
    const list = this.handlers.get(env.to);
    if (!list || list.length === 0) {
      this.counters.undeliverable++;
      return;
    }
    this.counters.delivered++;
    for (const handler of list) {
      // Each handler gets its own copy: one receiver cannot change what another sees.
      const msg: Message = { kind: env.msg.kind, id: env.msg.id, body: env.msg.body.slice() };
      try {
        const r = handler(msg, env.from.slice());
        if (r && typeof (r as Promise<void>).then === 'function') {
          if (this.awaitHandlers) await r;
          else (r as Promise<void>).catch(() => this.counters.handlerErrors++);
        }
      } catch {
        this.counters.handlerErrors++;
      }
    }
  }
}
