// The event stream (Server-Sent Events): the node's events as they happen, filtered per reader by
// type, with heartbeat comments; a reader that leaves or falls too far behind is unsubscribed.
import type { ServerResponse } from 'node:http';
import { equalBytes, toHex, type WeftErrorCode } from '../crypto/index.js';
import type { DomainOutput } from '../domain/index.js';
import type { Transfer } from '../transfer/index.js';
import type { ApiNode } from './apiNode.js';
import { SSE_BUFFER_BYTES_MAX, SSE_CLIENTS_MAX, SSE_HEARTBEAT_MS_DEFAULT } from './limits.js';
import { EVENT_TYPES, type EventType } from './schemas.js';
import { transferToJson, type WireValue } from './wire.js';

/** How long a reader waits before reconnecting after the stream drops, sent as `retry:`. */
export const SSE_RETRY_MS = 2_000;

type Reader = { res: ServerResponse; types: ReadonlySet<EventType> };

export class EventHub {
  private readonly readers = new Set<Reader>();
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private detach: () => void = () => {};

  constructor(
    private readonly node: ApiNode,
    private readonly heartbeatMs = SSE_HEARTBEAT_MS_DEFAULT,
  ) {}

  get size(): number {
    return this.readers.size;
  }

  get full(): boolean {
    return this.readers.size >= SSE_CLIENTS_MAX;
  }

  /** Subscribes to the node's events and starts the heartbeat. */
  start(): void {
    const { domain, router: network, driver } = this.node;
    const sealed = (o: Extract<DomainOutput, { type: 'blockSealed' }>) => {
      const h = o.block.header;
      this.publish('blockSealed', {
        height: h.height.toString(),
        headerHash: toHex(o.headerHash),
        stateRoot: toHex(h.stateRoot),
        timestamp: h.timestamp.toString(),
        txCount: o.block.txs.length,
      });
    };
    const remote = (o: Extract<DomainOutput, { type: 'remoteAccepted' }>) =>
      this.publish('remoteAccepted', {
        domainId: toHex(o.domainId),
        height: o.height.toString(),
        headerHash: toHex(o.headerHash),
      });
    const refused = (o: { at: Uint8Array; from: Uint8Array; code: WeftErrorCode; message: string }) => {
      if (equalBytes(o.at, domain.id))
        this.publish('refused', { from: toHex(o.from), code: o.code, message: o.message });
    };
    const phase = (t: Transfer) => {
      if (equalBytes(t.from, domain.id) || equalBytes(t.to, domain.id))
        this.publish('transferPhase', transferToJson(t));
    };
    domain.on('blockSealed', sealed);
    domain.on('remoteAccepted', remote);
    network?.on('refused', refused);
    driver?.on('phase', phase);
    this.timer = setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.timer.unref();
    this.detach = () => {
      domain.off('blockSealed', sealed);
      domain.off('remoteAccepted', remote);
      network?.off('refused', refused);
      driver?.off('phase', phase);
    };
  }

  /** Takes over `res` as a stream of the `types` events. The caller checked `full` first. */
  open(res: ServerResponse, types: ReadonlySet<EventType>): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // A stream is idle between events by design: the connection timeout is not for it (its
    // heartbeat and SSE_BUFFER_BYTES_MAX find readers that are gone).
    res.socket?.setTimeout(0);
    const reader: Reader = { res, types };
    this.readers.add(reader);
    res.on('close', () => this.readers.delete(reader));
    res.write(`retry: ${SSE_RETRY_MS}\n: connected\n\n`);
  }

  private publish(type: EventType, data: WireValue): void {
    if (this.readers.size === 0) return;
    const frame = `id: ${++this.seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const r of this.readers) if (r.types.has(type)) this.write(r, frame);
  }

  private heartbeat(): void {
    for (const r of this.readers) this.write(r, ': heartbeat\n\n');
  }

  /** Writes a frame; a reader whose unread bytes pass SSE_BUFFER_BYTES_MAX is dropped instead. */
  private write(r: Reader, frame: string): void {
    if (r.res.writableLength > SSE_BUFFER_BYTES_MAX) {
      this.readers.delete(r);
      r.res.destroy();
      return;
    }
    r.res.write(frame);
  }

  /** Ends every stream and unsubscribes from the node. */
  close(): void {
    this.detach();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const r of this.readers) r.res.end();
    this.readers.clear();
  }
}

/** The event types a `types` query names (all when absent). */
export function eventTypesOf(query: string | undefined): Set<EventType> {
  if (query === undefined) return new Set(EVENT_TYPES);
  return new Set(query.split(',') as EventType[]);
}
