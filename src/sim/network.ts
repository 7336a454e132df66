// The simulator's transport: every message goes through one queue ordered by (delivery time on the
// simulated clock, send order), with loss, duplication, delay (hence reordering) and partitions
// drawn from the simulation's seeded PRNG. Nothing is delivered inside `send`: the simulation loop
// calls `deliverDue` and awaits each handler, one at a time, so a run is a pure function of its seed.
import { assertBytes, equalBytes, hexKey, toHex, WeftError } from '../crypto/index.js';
import { DeliveryQueue, pairKey } from '../net/deliveryQueue.js';
import { assertMessage, Deduplicator, type DomainId, type Message, type Transport } from '../net/index.js';
import type { Prng } from '../net/prng.js';
import type { MessageHandler } from '../net/transport.js';

export type NetFaults = {
  drop: number;
  duplicate: number;
  minDelayMs: number;
  maxDelayMs: number;
};

export const NO_NET_FAULTS: NetFaults = { drop: 0, duplicate: 0, minDelayMs: 5, maxDelayMs: 5 };

type Envelope = { at: bigint; seq: number; from: DomainId; to: DomainId; msg: Message };

export type NetCounters = {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  partitioned: number;
  undeliverable: number;
  deduplicated: number;
};

/** One receiver incarnation: its handler and its deduplicator (lost with it at a crash). */
type Receiver = { handler: MessageHandler; dedup: Deduplicator; processed: Map<string, number> };

export class SimNetwork {
  faults: NetFaults = NO_NET_FAULTS;
  private readonly queue = new DeliveryQueue<bigint, Envelope>();
  private seq = 0;
  private readonly receivers = new Map<string, Receiver>();
  private readonly partitions = new Set<string>();
  readonly counters: NetCounters = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    partitioned: 0,
    undeliverable: 0,
    deduplicated: 0,
  };
  /** message ids a receiver incarnation processed more than once (the transport contract broken) */
  readonly duplicatesProcessed: string[] = [];

  constructor(
    private readonly rng: Prng,
    private readonly now: () => bigint,
    private readonly trace: (line: string) => void,
    private readonly names: (id: DomainId) => string,
  ) {}

  /** The transport of domain `self`: `send` stamps it as the sender. */
  endpoint(self: DomainId): Transport {
    const me = self.slice();
    return {
      send: async (to, msg) => this.send(me, to, msg),
      subscribe: (who, handler) => {
        if (!equalBytes(who, me)) throw new WeftError('BAD_INPUT', `this endpoint belongs to ${toHex(me)}`);
        const key = hexKey(me);
        const r: Receiver = { handler, dedup: new Deduplicator(), processed: new Map() };
        this.receivers.set(key, r);
        return () => {
          if (this.receivers.get(key) === r) this.receivers.delete(key);
        };
      },
      close: async () => {},
    };
  }

  private send(from: DomainId, to: DomainId, msg: Message): void {
    assertBytes(to, 32, 'to');
    assertMessage(msg);
    this.counters.sent++;
    if (this.isPartitioned(from, to)) {
      this.counters.partitioned++;
      return;
    }
    if (this.rng.chance(this.faults.drop)) {
      this.counters.dropped++;
      this.trace(`net drop ${msg.kind} ${this.names(from)}->${this.names(to)} ${msg.id}`);
      return;
    }
    const copies = this.rng.chance(this.faults.duplicate) ? 2 : 1;
    this.counters.duplicated += copies - 1;
    const frozen: Message = { kind: msg.kind, id: msg.id, body: msg.body.slice() };
    for (let i = 0; i < copies; i++) {
      const { minDelayMs: lo, maxDelayMs: hi } = this.faults;
      const delay = hi > lo ? this.rng.int(lo, hi) : lo;
      this.queue.push({
        at: this.now() + BigInt(delay),
        seq: this.seq++,
        from: from.slice(),
        to: to.slice(),
        msg: frozen,
      });
    }
  }

  partition(a: DomainId, b: DomainId): void {
    this.partitions.add(pairKey(a, b));
  }

  healAll(): void {
    this.partitions.clear();
  }

  get partitionCount(): number {
    return this.partitions.size;
  }

  isPartitioned(a: DomainId, b: DomainId): boolean {
    return this.partitions.size > 0 && this.partitions.has(pairKey(a, b));
  }

  get inFlight(): number {
    return this.queue.length;
  }

  /** Delivers, in order, every message due by now, awaiting each handler before the next. */
  async deliverDue(): Promise<number> {
    let n = 0;
    while (this.queue.length > 0 && this.queue.peek()!.at <= this.now()) {
      const env = this.queue.pop();
      n++;
      if (this.isPartitioned(env.from, env.to)) {
        this.counters.partitioned++;
        continue;
      }
      const r = this.receivers.get(hexKey(env.to));
      if (!r) {
        this.counters.undeliverable++;
        continue;
      }
      // Receivers deduplicate by id (the Transport contract): a copy or a retry is processed once.
      if (r.dedup.seen(env.msg.id)) {
        this.counters.deduplicated++;
        continue;
      }
      const count = (r.processed.get(env.msg.id) ?? 0) + 1;
      r.processed.set(env.msg.id, count);
      if (count > 1) this.duplicatesProcessed.push(`${this.names(env.to)}:${env.msg.id}`);
      this.counters.delivered++;
      this.trace(`net deliver ${env.msg.kind} ${this.names(env.from)}->${this.names(env.to)} ${env.msg.id}`);
      const msg: Message = { kind: env.msg.kind, id: env.msg.id, body: env.msg.body.slice() };
      await r.handler(msg, env.from.slice());
    }
    return n;
  }
}
