// The NATS JetStream transport: messages for a domain are stored in a durable stream and read by
// that domain's durable consumer, acknowledged only after the handler returns, so a node that was
// down (or a server that restarted) resumes from its last acknowledged message (docs/nats.md).
import {
  AckPolicy,
  type ConnectionOptions,
  type ConsumerConfig,
  type ConsumerMessages,
  connect,
  credsAuthenticator,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type MsgHdrs,
  type NatsConnection,
  nanos,
  headers as natsHeaders,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from 'nats';
import { assertBytes, check, equalBytes, hexKey, sha256, toHex, utf8, WeftError } from '../crypto/index.js';
import { assertMessage, type DomainId, decodeMessage, encodeMessage, type Message } from './message.js';
import type { MessageHandler, Transport } from './transport.js';

/** Default stream name; one stream holds every domain's inbox. */
export const NATS_STREAM_DEFAULT = 'WEFT';
/** Default first subject token: a domain's inbox is `<prefix>.<domain hex>.<kind>`. */
export const NATS_SUBJECT_PREFIX_DEFAULT = 'weft';
/**
 * JetStream's duplicate window: a publish whose `Nats-Msg-Id` was stored within it is dropped by
 * the server. Re-announcements of one block reuse one id, so they are stored once per window.
 */
export const NATS_DEDUP_WINDOW_MS_DEFAULT = 2 * 60_000;
/** Messages older than this are removed from the stream (a node away longer catches up by gap requests). */
export const NATS_STREAM_MAX_AGE_MS_DEFAULT = 7 * 24 * 3_600_000;
/**
 * The stream's size bound; past it the oldest messages are discarded. JetStream reserves it from
 * the server's file storage when the stream is created, so it is a budget, not a high-water mark.
 */
export const NATS_STREAM_MAX_BYTES_DEFAULT = 1024 * 1024 * 1024;
/** How long the server waits for an ack before it redelivers (a running handler extends it). */
export const NATS_ACK_WAIT_MS_DEFAULT = 30_000;
/** Deliveries of one message at most (the first and the redeliveries); then the server gives up on it. */
export const NATS_DELIVERIES_MAX_DEFAULT = 16;
/** Messages a consumer may have delivered and not yet acknowledged. */
export const NATS_ACK_PENDING_MAX = 1_024;
/** Sends kept while NATS is unreachable, at most (the oldest is dropped beyond). */
export const NATS_OUTBOX_MESSAGES_MAX_DEFAULT = 10_000;
/** Bytes of payload kept in the outbox, at most (the oldest is dropped beyond). */
export const NATS_OUTBOX_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** How long one publish waits for the stream's acknowledgement before its message goes to the outbox. */
export const NATS_PUBLISH_TIMEOUT_MS_DEFAULT = 5_000;
/** Publishes in flight at once while the outbox drains. */
export const NATS_DRAIN_WINDOW = 32;
/** Pause before the client tries the server again after losing it. */
export const NATS_RECONNECT_WAIT_MS_DEFAULT = 250;
/**
 * A receiver's pull, in server max_payloads: each pull asks for this many bytes, so any message
 * fits in one (a message larger than what is left of a pull's budget ends it and comes first in
 * the next), and a receiver holds at most this many max_payloads of messages its handler has not
 * taken yet (34 MiB with `startNatsServer`'s). Pulls are fetched one at a time, each with a budget
 * of its own: a `consume` given a byte budget (as before 2026-12-07) refills with what its
 * bookkeeping says is left, a pull completed by its message count keeping its unused bytes
 * counted, so after a few thousand small messages its pulls shrank below the next larger message
 * and the consumer stalled for good (docs/nats.md, "Receiving").
 */
export const NATS_PULL_PAYLOADS_MAX = 2;
/** The message count nats.js gives a pull asked for in bytes (it takes one limit, not both). */
export const NATS_PULL_BATCH_DEFAULT = 100;
/** A pull request's lifetime on the server; idle heartbeats come every half of it. */
export const NATS_PULL_EXPIRES_MS = 10_000;
/** Longest pause between two attempts (outbox publish, consumer restart). */
export const NATS_RETRY_MS_MAX = 2_000;
/** First pause of the retry backoff (doubling up to NATS_RETRY_MS_MAX). */
const RETRY_MS_FIRST = 50;
/** How long `close` keeps publishing the outbox before it gives up on what is left. */
export const NATS_CLOSE_FLUSH_MS = 5_000;
/** Header carrying the sender's DomainId (64 hex characters): the handler's `from`. */
export const NATS_FROM_HEADER = 'Weft-From';
/** JetStream's deduplication header. */
const MSG_ID_HEADER = 'Nats-Msg-Id';

export type NatsTransportOptions = {
  /** server URL(s), e.g. `nats://127.0.0.1:4222` */
  servers: string | string[];
  /** connection name shown by the server's monitoring */
  name?: string;
  /** stream name (default `WEFT`); several Weft networks can share a server with different ones */
  stream?: string;
  /** first subject token (default `weft`); must differ between networks sharing a server */
  subjectPrefix?: string;
  dedupWindowMs?: number;
  streamMaxAgeMs?: number;
  streamMaxBytes?: number;
  ackWaitMs?: number;
  deliveriesMax?: number;
  outboxMessagesMax?: number;
  outboxBytesMax?: number;
  publishTimeoutMs?: number;
  reconnectWaitMs?: number;
  /**
   * how the connection authenticates (a server `weft up` starts refuses anonymous clients): a
   * user and password, or the content of a NATS `.creds` file (user JWT and nkey seed)
   */
  auth?: NatsAuth;
  /** TLS to the server: CA to trust, and a client certificate when the server asks for one */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * the prefix of this connection's reply subjects (default `_INBOX`); a server can then allow
   * each user to subscribe to its own replies only
   */
  inboxPrefix?: string;
};

export type NatsAuth = { user: string; password: string } | { creds: Uint8Array };

export type NatsStats = {
  /** messages the stream stored (its acknowledgement came back, not a duplicate) */
  published: number;
  /** publishes the stream dropped as duplicates of an id within the dedup window */
  duplicates: number;
  /** messages handed to handlers (a redelivery counts again) */
  delivered: number;
  /** deliveries that were redeliveries (an ack that never arrived, a handler that outlived ack wait) */
  redelivered: number;
  acked: number;
  /** messages that do not decode or name no sender: terminated, never handed to a handler */
  malformed: number;
  handlerErrors: number;
  /** failed publish attempts (the message stays in the outbox) */
  publishErrors: number;
  /** messages waiting in the outbox, and their payload bytes */
  outbox: number;
  outboxBytes: number;
  /** outbox messages given up: dropped for room (oldest first) or left at close */
  dropped: number;
  disconnects: number;
  reconnects: number;
  connected: boolean;
};

type Outgoing = { subject: string; payload: Uint8Array; msgId: string; fromHex: string; bytes: number };

/** One durable consumer per receiving domain, shared by every endpoint of that domain. */
type Receiver = {
  hex: string;
  handlers: Set<MessageHandler>;
  running: boolean;
  messages: ConsumerMessages | null;
  wake: (() => void) | null;
  done: Promise<void>;
};

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const PREFIX_RE = /^[A-Za-z0-9_-]{1,32}(\.[A-Za-z0-9_-]{1,32}){0,3}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

function positiveInt(v: number | undefined, fallback: number, name: string): number {
  const x = v ?? fallback;
  check(Number.isSafeInteger(x) && x >= 1, 'BAD_INPUT', `${name} must be a positive integer`);
  return x;
}

function sleep(ms: number, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    onWake(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const backoffMs = (attempt: number): number =>
  Math.min(NATS_RETRY_MS_MAX, RETRY_MS_FIRST * 2 ** Math.min(attempt, 16));

/**
 * @example
 * const nats = await NatsTransport.connect({ servers: 'nats://127.0.0.1:4222' });
 * const net = new SyncRouter({ endpoint: (id) => nats.endpoint(id) });
 * // ...
 * net.close();
 * await nats.close();
 */
export class NatsTransport {
  private connected = true;
  private lastMaxPayload = 0;
  private closed = false;
  private outbox: Outgoing[] = [];
  private outboxBytes = 0;
  private draining: Promise<void> | null = null;
  private directInFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly receivers = new Map<string, Receiver>();
  private readonly statusListeners = new Set<
    (s: { type: 'disconnect' | 'reconnect'; server?: string }) => void
  >();
  private readonly counters = {
    published: 0,
    duplicates: 0,
    delivered: 0,
    redelivered: 0,
    acked: 0,
    malformed: 0,
    handlerErrors: 0,
    publishErrors: 0,
    dropped: 0,
    disconnects: 0,
    reconnects: 0,
  };

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly cfg: Required<
      Omit<NatsTransportOptions, 'servers' | 'name' | 'auth' | 'tls' | 'inboxPrefix'>
    >,
  ) {
    void this.watchStatus();
    // A connection closed under us (never by an outage: the client reconnects forever) ends
    // the network: consume loops stop retrying, sends are refused.
    void this.nc.closed().then(() => {
      this.closed = true;
      for (const r of this.receivers.values()) {
        r.running = false;
        r.wake?.();
      }
      this.wakeIdle();
    });
  }

  /**
   * Connects, makes sure the stream exists with this configuration, and returns the network.
   * Throws NATS_UNAVAILABLE when no server answers or JetStream is off.
   */
  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const cfg = {
      stream: opts.stream ?? NATS_STREAM_DEFAULT,
      subjectPrefix: opts.subjectPrefix ?? NATS_SUBJECT_PREFIX_DEFAULT,
      dedupWindowMs: positiveInt(opts.dedupWindowMs, NATS_DEDUP_WINDOW_MS_DEFAULT, 'dedupWindowMs'),
      streamMaxAgeMs: positiveInt(opts.streamMaxAgeMs, NATS_STREAM_MAX_AGE_MS_DEFAULT, 'streamMaxAgeMs'),
      streamMaxBytes: positiveInt(opts.streamMaxBytes, NATS_STREAM_MAX_BYTES_DEFAULT, 'streamMaxBytes'),
      ackWaitMs: positiveInt(opts.ackWaitMs, NATS_ACK_WAIT_MS_DEFAULT, 'ackWaitMs'),
      deliveriesMax: positiveInt(opts.deliveriesMax, NATS_DELIVERIES_MAX_DEFAULT, 'deliveriesMax'),
      outboxMessagesMax: positiveInt(
        opts.outboxMessagesMax,
        NATS_OUTBOX_MESSAGES_MAX_DEFAULT,
        'outboxMessagesMax',
      ),
      outboxBytesMax: positiveInt(opts.outboxBytesMax, NATS_OUTBOX_BYTES_MAX_DEFAULT, 'outboxBytesMax'),
      publishTimeoutMs: positiveInt(
        opts.publishTimeoutMs,
        NATS_PUBLISH_TIMEOUT_MS_DEFAULT,
        'publishTimeoutMs',
      ),
      reconnectWaitMs: positiveInt(opts.reconnectWaitMs, NATS_RECONNECT_WAIT_MS_DEFAULT, 'reconnectWaitMs'),
    };
    check(NAME_RE.test(cfg.stream), 'BAD_INPUT', 'stream must be 1..64 of A-Z a-z 0-9 _ -');
    check(PREFIX_RE.test(cfg.subjectPrefix), 'BAD_INPUT', 'subjectPrefix must be 1..4 dot-separated tokens');
    check(
      cfg.dedupWindowMs <= cfg.streamMaxAgeMs,
      'BAD_INPUT',
      'dedupWindowMs must not exceed streamMaxAgeMs',
    );
    let nc: NatsConnection;
    try {
      const auth: Partial<ConnectionOptions> =
        opts.auth === undefined
          ? {}
          : 'creds' in opts.auth
            ? { authenticator: credsAuthenticator(opts.auth.creds) }
            : { user: opts.auth.user, pass: opts.auth.password };
      nc = await connect({
        servers: opts.servers,
        name: opts.name ?? 'weft',
        // A NATS outage pauses sync; it never ends it: reconnect for as long as we are open.
        maxReconnectAttempts: -1,
        reconnectTimeWait: cfg.reconnectWaitMs,
        ...auth,
        ...(opts.tls ? { tls: opts.tls } : {}),
        ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
      });
    } catch (e) {
      throw new WeftError('NATS_UNAVAILABLE', `cannot connect to NATS at ${String(opts.servers)}`, {
        details: `${(e as Error).message}. Is nats-server running (startNatsServer, or \`weft up\`)?`,
        cause: e,
      });
    }
    let jsm: JetStreamManager;
    try {
      jsm = await nc.jetstreamManager();
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw new WeftError('NATS_UNAVAILABLE', 'JetStream is not available on this NATS server', {
        details: `${(e as Error).message}. Start nats-server with JetStream enabled (-js, or startNatsServer).`,
        cause: e,
      });
    }
    const net = new NatsTransport(nc, nc.jetstream({ timeout: cfg.publishTimeoutMs }), jsm, cfg);
    try {
      await net.ensureStream();
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw new WeftError('NATS_STREAM_FAILED', `cannot create or update the stream ${cfg.stream}`, {
        details: `${(e as Error).message}. Another stream may hold the subjects ${cfg.subjectPrefix}.>, or the server lacks storage for streamMaxBytes.`,
        cause: e,
      });
    }
    return net;
  }

  /**
   * Largest payload (headers included) the server takes: its max_payload, as last seen (the
   * client forgets it while reconnecting, the check at send must not).
   */
  get maxPayloadBytes(): number {
    const now = this.nc.info?.max_payload;
    if (now) this.lastMaxPayload = now;
    return this.lastMaxPayload;
  }

  /**
   * A transport bound to one domain: `send` stamps `self` as the sender, `subscribe` takes only
   * `self` and reads `self`'s durable consumer, `close` stops this endpoint's handlers (the
   * connection, and the outbox with what this endpoint sent, go on).
   */
  endpoint(self: DomainId): Transport {
    assertBytes(self, 32, 'self');
    const me = self.slice();
    const mine = new Set<MessageHandler>();
    let closed = false;
    return {
      send: (to, msg) =>
        closed
          ? Promise.reject(new WeftError('TRANSPORT_CLOSED', 'the endpoint is closed'))
          : this.send(me, to, msg),
      subscribe: (who, handler) => {
        check(!closed && !this.closed, 'TRANSPORT_CLOSED', 'the endpoint is closed');
        check(
          who instanceof Uint8Array && equalBytes(who, me),
          'BAD_INPUT',
          `this endpoint belongs to ${toHex(me)}`,
        );
        check(typeof handler === 'function', 'BAD_INPUT', 'handler must be a function');
        // Wrapped, so the same function subscribed twice is two subscriptions, as on the bus.
        const h: MessageHandler = (m, f) => handler(m, f);
        mine.add(h);
        this.addHandler(me, h);
        return () => {
          if (mine.delete(h)) void this.removeHandler(me, h);
        };
      },
      close: async () => {
        if (closed) return;
        closed = true;
        const hs = [...mine];
        mine.clear();
        await Promise.all(hs.map((h) => this.removeHandler(me, h)));
      },
    };
  }

  /**
   * What the server's durable consumer of `self` holds: messages not yet delivered (`pending`),
   * delivered and not yet acknowledged (`ackPending`), and the stream sequence below which all
   * are acknowledged (`ackFloor`): where a restarted node resumes.
   */
  async consumerState(self: DomainId): Promise<{
    pending: number;
    ackPending: number;
    redelivered: number;
    ackFloor: number;
    lastSeq: number;
  }> {
    assertBytes(self, 32, 'self');
    const info = await this.jsm.consumers.info(this.cfg.stream, this.consumerName(hexKey(self)));
    return {
      pending: info.num_pending,
      ackPending: info.num_ack_pending,
      redelivered: info.num_redelivered,
      ackFloor: info.ack_floor.stream_seq,
      lastSeq: info.delivered.stream_seq,
    };
  }

  /** Calls `listener` on every disconnect from and reconnect to the server; returns the unsubscribe. */
  onStatus(listener: (s: { type: 'disconnect' | 'reconnect'; server?: string }) => void): () => void {
    this.statusListeners.add(listener);
    return () => void this.statusListeners.delete(listener);
  }

  stats(): NatsStats {
    return {
      ...this.counters,
      outbox: this.outbox.length,
      outboxBytes: this.outboxBytes,
      connected: this.connected && !this.closed,
    };
  }

  /** Resolves when every send so far is stored in the stream (or was dropped): nothing is in the outbox or in flight. */
  idle(): Promise<void> {
    if (this.isIdle() || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops every consumer (acks of handled messages are flushed first), publishes what is left in
   * the outbox for up to NATS_CLOSE_FLUSH_MS, and closes the connection; later sends are refused
   * with TRANSPORT_CLOSED. Stored messages stay in the stream for the next run.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const receivers = [...this.receivers.values()];
    for (const r of receivers) r.handlers.clear();
    await Promise.all(receivers.map((r) => this.stopReceiver(r)));
    if (!this.isIdle()) {
      // Disconnected, the outbox drains as soon as the client is back, if that is soon enough.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((r) => {
        timer = setTimeout(r, NATS_CLOSE_FLUSH_MS);
      });
      await Promise.race([this.idle(), late]);
      clearTimeout(timer);
    }
    this.closed = true;
    this.counters.dropped += this.outbox.length;
    this.outbox = [];
    this.outboxBytes = 0;
    await this.nc.flush().catch(() => undefined);
    await this.nc.close().catch(() => undefined);
    this.wakeIdle();
  }

  // ---- sending ------------------------------------------------------------------------------

  private async send(from: DomainId, to: DomainId, msg: Message): Promise<void> {
    if (this.closed) throw new WeftError('TRANSPORT_CLOSED', 'the NATS network is closed');
    assertBytes(to, 32, 'to');
    assertMessage(msg);
    const payload = encodeMessage(msg);
    const toHex64 = hexKey(to);
    const fromHex = hexKey(from);
    // The id names (sender, receiver, message): one logical message announced to three peers
    // is three stream messages, and a resend to the same peer is the same one.
    const msgId = hexKey(sha256(utf8(`${fromHex}/${toHex64}/${msg.id}`)));
    const out: Outgoing = {
      // The sender is in the subject so that a server with per-node permissions can let each
      // node publish as itself only (docs/nats.md, "Credentials").
      subject: `${this.cfg.subjectPrefix}.${toHex64}.${fromHex}.${msg.kind}`,
      payload,
      msgId,
      fromHex,
      bytes: payload.length + headerBytes(msgId, fromHex),
    };
    const max = this.maxPayloadBytes;
    if (max > 0 && out.bytes > max) {
      throw new WeftError(
        'MESSAGE_TOO_LARGE',
        `a ${msg.kind} message of ${out.bytes} bytes (with headers) exceeds the NATS server's max_payload of ${max} bytes`,
        {
          details: 'Raise max_payload on the server (startNatsServer sets 17 MiB) or send less per message.',
        },
      );
    }
    if (!this.connected || this.outbox.length > 0) {
      this.toOutbox(out);
      return;
    }
    this.directInFlight++;
    try {
      await this.publish(out);
    } catch {
      // Not stored (the server went away, or answered too late): the outbox keeps it. A copy
      // the server did store is dropped there as a duplicate when the outbox publishes it.
      this.counters.publishErrors++;
      if (this.closed) this.counters.dropped++;
      else this.toOutbox(out);
    } finally {
      // After the outbox took it, so no one sees the network idle in between.
      this.directInFlight--;
      this.wakeIdle();
    }
  }

  private async publish(out: Outgoing): Promise<void> {
    const ack = await this.js.publish(out.subject, out.payload, {
      msgID: out.msgId,
      headers: headersFor(out.msgId, out.fromHex),
      timeout: this.cfg.publishTimeoutMs,
    });
    if (ack.duplicate) this.counters.duplicates++;
    else this.counters.published++;
  }

  private toOutbox(out: Outgoing): void {
    this.outbox.push(out);
    this.outboxBytes += out.bytes;
    while (
      this.outbox.length > 1 &&
      (this.outbox.length > this.cfg.outboxMessagesMax || this.outboxBytes > this.cfg.outboxBytesMax)
    ) {
      // The oldest goes first: the network layer re-announces its latest state anyway.
      const old = this.outbox.shift()!;
      this.outboxBytes -= old.bytes;
      this.counters.dropped++;
    }
    if (this.connected) void this.drain();
    this.wakeIdle();
  }

  /** Publishes the outbox, NATS_DRAIN_WINDOW at a time, while connected; failures stay and are retried. */
  private drain(): Promise<void> {
    this.draining ??= (async () => {
      let failures = 0;
      try {
        while (this.connected && !this.closed && this.outbox.length > 0) {
          const window = this.outbox.slice(0, NATS_DRAIN_WINDOW);
          const results = await Promise.allSettled(window.map((o) => this.publish(o)));
          const stored = new Set(window.filter((_, i) => results[i]!.status === 'fulfilled'));
          if (stored.size > 0) {
            this.outbox = this.outbox.filter((o) => !stored.has(o));
            for (const o of stored) this.outboxBytes -= o.bytes;
          }
          const failed = window.length - stored.size;
          this.counters.publishErrors += failed;
          if (failed > 0) {
            // A server just back may refuse for a moment (no stream yet after a wipe, JetStream
            // still recovering): make sure the stream exists, then try again later.
            if (this.connected) await this.ensureStream().catch(() => undefined);
            await sleep(backoffMs(failures++), () => undefined);
          } else {
            failures = 0;
          }
        }
      } finally {
        this.draining = null;
        this.wakeIdle();
      }
    })();
    return this.draining;
  }

  private isIdle(): boolean {
    return this.outbox.length === 0 && this.directInFlight === 0 && this.draining === null;
  }

  private wakeIdle(): void {
    if (!this.isIdle() && !this.closed) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.counters.disconnects++;
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.counters.reconnects++;
        if (this.outbox.length > 0) void this.drain();
      } else continue;
      const server = typeof s.data === 'string' ? s.data : undefined;
      for (const l of this.statusListeners) l({ type: s.type, ...(server ? { server } : {}) });
    }
  }

  private streamConfig(): Partial<StreamConfig> & { name: string } {
    return {
      name: this.cfg.stream,
      subjects: [`${this.cfg.subjectPrefix}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(this.cfg.streamMaxAgeMs),
      max_bytes: this.cfg.streamMaxBytes,
      duplicate_window: nanos(this.cfg.dedupWindowMs),
      num_replicas: 1,
    };
  }

  /**
   * Creates the stream, or brings an existing one to this configuration. A stream already so is
   * left alone: a node whose credentials may not manage the stream still connects to it.
   */
  private async ensureStream(): Promise<void> {
    const config = this.streamConfig();
    let have: Partial<StreamConfig>;
    try {
      have = (await this.jsm.streams.info(config.name)).config;
    } catch {
      await this.jsm.streams.add(config);
      return;
    }
    const same = (Object.keys(config) as (keyof typeof config)[]).every(
      (k) => JSON.stringify(have[k]) === JSON.stringify(config[k]),
    );
    if (!same) await this.jsm.streams.update(config.name, config);
  }

  // ---- receiving ----------------------------------------------------------------------------

  private consumerName(domainHex: string): string {
    return `weft-${domainHex}`;
  }

  private consumerConfig(domainHex: string): Partial<ConsumerConfig> {
    return {
      durable_name: this.consumerName(domainHex),
      filter_subject: `${this.cfg.subjectPrefix}.${domainHex}.>`,
      ack_policy: AckPolicy.Explicit,
      // A new consumer reads everything the stream holds for its domain: what was sent before
      // the domain ever subscribed is not lost.
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.cfg.ackWaitMs),
      max_deliver: this.cfg.deliveriesMax,
      max_ack_pending: NATS_ACK_PENDING_MAX,
    };
  }

  private addHandler(self: DomainId, h: MessageHandler): void {
    const key = hexKey(self);
    let r = this.receivers.get(key);
    if (!r) {
      r = {
        hex: key,
        handlers: new Set(),
        running: false,
        messages: null,
        wake: null,
        done: Promise.resolve(),
      };
      this.receivers.set(key, r);
    }
    r.handlers.add(h);
    if (!r.running) {
      // A consumer still stopping finishes first: two loops never read one consumer.
      const previous = r.done;
      r.running = true;
      const rr = r;
      r.done = previous.then(() => this.consume(rr));
    }
  }

  private async removeHandler(self: DomainId, h: MessageHandler): Promise<void> {
    const r = this.receivers.get(hexKey(self));
    if (!r) return;
    r.handlers.delete(h);
    if (r.handlers.size === 0) await this.stopReceiver(r);
  }

  /** Stops `r`'s consumer loop, waits for its running handler, and flushes the acks. */
  private async stopReceiver(r: Receiver): Promise<void> {
    r.running = false;
    r.messages?.stop();
    r.wake?.();
    await r.done;
    if (this.connected && !this.closed) await this.nc.flush().catch(() => undefined);
  }

  /** The consume loop of one domain: (re)binds its durable consumer until stopped, whatever NATS does. */
  private async consume(r: Receiver): Promise<void> {
    let failures = 0;
    while (r.running && !this.closed) {
      try {
        await this.jsm.consumers.add(this.cfg.stream, this.consumerConfig(r.hex)).catch(async (e) => {
          // An existing consumer with other limits (ack wait, deliveries) is updated in place.
          await this.jsm.consumers
            .update(this.cfg.stream, this.consumerName(r.hex), this.consumerConfig(r.hex))
            .catch(() => {
              throw e;
            });
        });
        const consumer = await this.js.consumers.get(this.cfg.stream, this.consumerName(r.hex));
        failures = 0;
        // One pull at a time, each with a byte budget of its own (NATS_PULL_PAYLOADS_MAX): every
        // message fits in a pull, and what waits for the handler stays bounded in bytes.
        while (r.running && !this.closed) {
          const pull: { max_bytes: number; expires: number; max_messages?: number } = {
            max_bytes: NATS_PULL_PAYLOADS_MAX * this.maxPayloadBytes,
            expires: NATS_PULL_EXPIRES_MS,
          };
          const messages = await consumer.fetch(pull);
          // nats.js takes a pull's bytes or its messages, not both, and adds a message count to a
          // pull given bytes (100, written back into `pull`). A pull the server completes by that
          // count gets no status, and nats.js would wait for its expiry (it ends a fetch when both
          // counts are used up): the loop ends it on the last message instead. (A pull whose bytes
          // run out exactly, rare with messages of mixed sizes, still ends at its expiry.)
          const batch = pull.max_messages ?? NATS_PULL_BATCH_DEFAULT;
          r.messages = messages;
          if (!r.running) messages.stop();
          let vanished = false;
          void this.watchConsumer(messages, () => {
            vanished = true;
          }).catch(() => undefined);
          let received = 0;
          for await (const m of messages) {
            // Stopping: what is buffered and not handled goes back at once, not after ack wait.
            if (!r.running || r.handlers.size === 0) settle(m, 'nak');
            else await this.deliver(r, m);
            if (++received >= batch) break;
          }
          messages.stop();
          // A consumer or stream that vanished: the outer loop binds it again.
          if (vanished) break;
        }
      } catch {
        // The server is away or the consumer could not be bound: try again below.
      }
      r.messages = null;
      if (!r.running || this.closed) break;
      await sleep(backoffMs(failures++), (wake) => {
        r.wake = wake;
      });
      r.wake = null;
    }
  }

  /** A stream or consumer that vanished (a wiped server) ends the pull, and `vanished` is told so. */
  private async watchConsumer(messages: ConsumerMessages, vanished: () => void): Promise<void> {
    for await (const s of await messages.status()) {
      if (s.type === 'consumer_not_found' || s.type === 'stream_not_found' || s.type === 'consumer_deleted') {
        vanished();
        if (s.type === 'stream_not_found') await this.ensureStream().catch(() => undefined);
        messages.stop();
      }
    }
  }

  private async deliver(r: Receiver, m: JsMsg): Promise<void> {
    let msg: Message;
    let from: Uint8Array;
    try {
      const fromHex = m.headers?.get(NATS_FROM_HEADER) ?? '';
      check(HEX64_RE.test(fromHex), 'CODEC', 'the message names no sender');
      // The subject's sender token is what server permissions check: the header must agree.
      const tokens = m.subject.split('.');
      check(tokens[tokens.length - 2] === fromHex, 'CODEC', 'the header and subject name different senders');
      from = Uint8Array.from(Buffer.from(fromHex, 'hex'));
      // The client hands a Buffer (whose slice() is a view): copy into a plain Uint8Array so
      // bodies are ours and every handler's copy really is one.
      msg = decodeMessage(new Uint8Array(m.data));
    } catch {
      // Not ours to handle, and never going to be: no redelivery.
      this.counters.malformed++;
      settle(m, 'term');
      return;
    }
    this.counters.delivered++;
    if (m.redelivered) this.counters.redelivered++;
    // A long handler tells the server it is still working, so the message is not redelivered.
    const keepAlive = setInterval(() => m.working(), Math.max(1, Math.floor(this.cfg.ackWaitMs / 2)));
    try {
      for (const handler of [...r.handlers]) {
        // Each handler gets its own copy: one receiver cannot change what another sees.
        const copy: Message = { kind: msg.kind, id: msg.id, body: msg.body.slice() };
        try {
          await handler(copy, from.slice());
        } catch {
          this.counters.handlerErrors++;
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
    // Acked whatever the handler did: a failing handler is the receiver's problem, and a message
    // that fails every time must not come back forever.
    settle(m, 'ack');
    this.counters.acked++;
  }
}

/**
 * Acks (or naks, or terminates) without throwing: on a connection being closed the server will
 * redeliver after ack wait, which the receivers' deduplication absorbs.
 */
function settle(m: JsMsg, how: 'ack' | 'nak' | 'term'): void {
  try {
    if (how === 'ack') m.ack();
    else if (how === 'nak') m.nak();
    else m.term();
  } catch {
    // see above
  }
}

/** Size of the headers on the wire (`NATS/1.0\r\n`, a `Key: value\r\n` line each, `\r\n`): max_payload counts them. */
function headerBytes(msgId: string, fromHex: string): number {
  const line = (k: string, v: string) => k.length + 2 + v.length + 2;
  return 'NATS/1.0\r\n'.length + line(MSG_ID_HEADER, msgId) + line(NATS_FROM_HEADER, fromHex) + 2;
}

function headersFor(msgId: string, fromHex: string): MsgHdrs {
  const h = natsHeaders();
  h.set(MSG_ID_HEADER, msgId);
  h.set(NATS_FROM_HEADER, fromHex);
  return h;
}
