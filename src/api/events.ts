// The event stream (Server-Sent Events): the node's events as they happen, filtered per reader by
// type, with heartbeat comments; a reader that leaves or falls too far behind is unsubscribed.
// Frames carry ids `<epoch>-<seq>` (epoch random per process) and the newest are kept, so a reader
// that reconnects with `Last-Event-ID` gets exactly what it missed, or a `reset` event when that
// is no longer possible (another process, or fallen out of the buffer).
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { equalBytes, toHex, type WeftErrorCode } from '../crypto/index.js';
import type { DomainOutput } from '../domain/index.js';
import type { Transfer } from '../transfer/index.js';
import type { ApiNode } from './apiNode.js';
import {
  SSE_BUFFER_BYTES_MAX,
  SSE_CLIENTS_MAX,
  SSE_HEARTBEAT_MS_DEFAULT,
  SSE_REPLAY_BYTES_MAX,
  SSE_REPLAY_FRAMES_MAX,
} from './limits.js';
import { EVENT_TYPES, type EventType } from './schemas.js';
import { transferToJson, type WireValue } from './wire.js';

/** How long a reader waits before reconnecting after the stream drops, sent as `retry:`. */
export const SSE_RETRY_MS = 2_000;

type Reader = { res: ServerResponse; types: ReadonlySet<EventType> };

/** One published frame, as kept for replay. */
type Kept = { seq: number; type: EventType; frame: string; bytes: number };

/** Bounds of the replay buffer (tests shrink them). */
export type ReplayLimits = { frames: number; bytes: number };

/** How a reader's `Last-Event-ID` was answered. */
export type Resume =
  | { kind: 'fresh' }
  | { kind: 'replayed'; frames: number }
  | { kind: 'reset'; reason: 'otherProcess' | 'tooOld' | 'unknown' };

/** An event id as this hub writes it: `<epoch>-<seq>`. */
const EVENT_ID = /^([0-9a-f]{1,32})-(\d{1,15})$/;

export class EventHub {
  private readonly readers = new Set<Reader>();
  private seq = 0;
  /** random per process: an id from another process (a restart) is never taken for one of ours */
  readonly epoch = randomBytes(8).toString('hex');
  /** the newest frames, oldest first; filled from the first stream opened on */
  private readonly kept: Kept[] = [];
  private keptBytes = 0;
  private keeping = false;
  private timer: NodeJS.Timeout | null = null;
  private detach: () => void = () => {};

  constructor(
    private readonly node: ApiNode,
    private readonly heartbeatMs = SSE_HEARTBEAT_MS_DEFAULT,
    private readonly replay: ReplayLimits = { frames: SSE_REPLAY_FRAMES_MAX, bytes: SSE_REPLAY_BYTES_MAX },
  ) {}

  /** The id of the newest frame published (`<epoch>-0` before any). */
  get lastId(): string {
    return `${this.epoch}-${this.seq}`;
  }

  /** Frames kept for replay, and their bytes. */
  get replayKept(): { frames: number; bytes: number } {
    return { frames: this.kept.length, bytes: this.keptBytes };
  }

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

  /**
   * Takes over `res` as a stream of the `types` events. The caller checked `full` first.
   * `lastEventId` (the reader's `Last-Event-ID`): the frames after it, of `types`, are written
   * first when they are all still kept; otherwise a `reset` event says to re-read the state.
   */
  open(res: ServerResponse, types: ReadonlySet<EventType>, lastEventId?: string): Resume {
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
    this.keeping = true;
    const resume = this.resume(lastEventId);
    if (resume.kind === 'reset') {
      const data = JSON.stringify({ lastEventId: lastEventId ?? null, reason: resume.reason });
      res.write(`id: ${this.lastId}\nevent: reset\ndata: ${data}\n\n`);
    } else {
      if (resume.kind === 'replayed') {
        const after = this.seqOf(lastEventId)!;
        let n = 0;
        for (const k of this.kept)
          if (k.seq > after && types.has(k.type)) {
            res.write(k.frame);
            n++;
          }
        resume.frames = n;
      }
      // An id without an event: where this reader stands, so its next reconnect resumes from here
      // even if no event of its types comes first.
      res.write(`id: ${this.lastId}\n\n`);
    }
    return resume;
  }

  /** Whether the frames after `lastEventId` can all be written again. */
  private resume(lastEventId: string | undefined): Resume {
    if (lastEventId === undefined || lastEventId === '') return { kind: 'fresh' };
    const m = EVENT_ID.exec(lastEventId);
    if (!m) return { kind: 'reset', reason: 'unknown' };
    if (m[1] !== this.epoch) return { kind: 'reset', reason: 'otherProcess' };
    const seq = Number(m[2]);
    if (seq > this.seq) return { kind: 'reset', reason: 'unknown' };
    // Every frame after `seq` must be kept: the oldest kept is seq + 1 at the latest.
    const oldest = this.kept[0]?.seq ?? this.seq + 1;
    if (seq + 1 < oldest) return { kind: 'reset', reason: 'tooOld' };
    return { kind: 'replayed', frames: 0 };
  }

  private seqOf(id: string | undefined): number | null {
    const m = id === undefined ? null : EVENT_ID.exec(id);
    return m ? Number(m[2]) : null;
  }

  private publish(type: EventType, data: WireValue): void {
    // Nothing to keep before a reader ever came: no reader can hold an id from before.
    if (!this.keeping) return;
    const seq = ++this.seq;
    const frame = `id: ${this.epoch}-${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    this.keep({ seq, type, frame, bytes: Buffer.byteLength(frame) });
    for (const r of this.readers) if (r.types.has(type)) this.write(r, frame);
  }

  /** Keeps `k` for replay, forgetting the oldest frames beyond the bounds. */
  private keep(k: Kept): void {
    this.kept.push(k);
    this.keptBytes += k.bytes;
    while (this.kept.length > this.replay.frames || this.keptBytes > this.replay.bytes) {
      const old = this.kept.shift()!;
      this.keptBytes -= old.bytes;
    }
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
