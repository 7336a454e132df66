// The queue of messages in flight shared by the in-process bus and the simulator's network: a
// binary heap ordered by (delivery time, send order), so equal times deliver in the order sent.

import { assertBytes, hexKey } from '../crypto/index.js';
import type { DomainId } from './message.js';

/** What the queue orders by: the delivery time and a send sequence number that breaks ties. */
export type Timed<T extends number | bigint> = { at: T; seq: number };

export class DeliveryQueue<T extends number | bigint, E extends Timed<T>> {
  private readonly heap: E[] = [];

  get length(): number {
    return this.heap.length;
  }

  /** The next envelope to deliver, without taking it. */
  peek(): E | undefined {
    return this.heap[0];
  }

  /** Drops everything in flight. */
  clear(): void {
    this.heap.length = 0;
  }

  push(e: E): void {
    const q = this.heap;
    q.push(e);
    let i = q.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(q[i]!, q[parent]!)) break;
      [q[i], q[parent]] = [q[parent]!, q[i]!];
      i = parent;
    }
  }

  /** Takes the next envelope; the queue must not be empty. */
  pop(): E {
    const q = this.heap;
    const top = q[0]!;
    const last = q.pop()!;
    if (q.length > 0) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && before(q[l]!, q[m]!)) m = l;
        if (r < q.length && before(q[r]!, q[m]!)) m = r;
        if (m === i) break;
        [q[i], q[m]] = [q[m]!, q[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before<T extends number | bigint>(a: Timed<T>, b: Timed<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** One key for the unordered pair {a, b} (partitions cut both directions). */
export function pairKey(a: DomainId, b: DomainId): string {
  assertBytes(a, 32, 'a');
  assertBytes(b, 32, 'b');
  const x = hexKey(a);
  const y = hexKey(b);
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}
