// Node metrics through prom-client, in the Prometheus text exposition format: the process's own
// (CPU, memory, GC, event loop), what the node counts from its domain's events since the API
// started, gauges read from the node at each scrape, and histograms of seal time, API latency and
// sync latency, all in base units (seconds).
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
  type RegistryContentType,
} from 'prom-client';
import { toHex, type WeftErrorCode } from '../crypto/index.js';
import type { PhaseName } from '../domain/index.js';
import type { ApiNode } from './apiNode.js';
import { METRIC_LABEL_VALUES_MAX } from './limits.js';

/** The content type Prometheus expects for the text format this registry writes. */
export const METRICS_CONTENT_TYPE: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE;

/** Buckets of the seal-time histogram, in seconds (a block takes milliseconds to a second). */
export const SEAL_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Buckets of the API latency histogram, in seconds. */
export const API_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
/** Buckets of the sync latency histogram (seal at the source to accepted here), in seconds. */
export const SYNC_SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Phases whose time makes up sealing one block (`Domain.timings`). */
const SEAL_PHASES: readonly PhaseName[] = ['tree', 'seal', 'sign', 'durable'];

/** Label values kept per label, at most METRIC_LABEL_VALUES_MAX; later ones count as `other`. */
export class LabelValues {
  private readonly seen = new Set<string>();
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= METRIC_LABEL_VALUES_MAX - 1) return 'other';
    this.seen.add(value);
    return value;
  }
}

/** The key a request counts under: method, route and status (the route table bounds them). */
export function requestKey(method: string, route: string, status: number): string {
  return `${method} ${route} ${status}`;
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Every metric of one node's API, in a registry of its own (two APIs in one process never share
 * a series). Event counters count from construction; gauges are read from the node at each scrape.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly detachAll: (() => void)[] = [];
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  private readonly requestsTotal: Counter<'method' | 'route' | 'status'>;
  private readonly requestKeys = new LabelValues();
  private readonly sync: Histogram<'domain'>;
  /** Event streams open now, set by the event hub's owner. */
  eventStreams: () => number = () => 0;

  constructor(private readonly node: ApiNode) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Histogram({
      name: 'weft_api_request_duration_seconds',
      help: 'Time to answer an API request, by route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: API_SECONDS_BUCKETS,
      registers,
    });
    this.requestsTotal = new Counter({
      name: 'weft_api_requests_total',
      help: 'API requests answered since the API started, by route and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.sync = new Histogram({
      name: 'weft_sync_latency_seconds',
      help: "Time from a remote block's seal (its header timestamp) to its acceptance here, by remote domain.",
      labelNames: ['domain'],
      buckets: SYNC_SECONDS_BUCKETS,
      registers,
    });
    this.domainMetrics();
    this.remoteMetrics();
    this.networkMetrics();
    this.transferMetrics();
    this.transportMetrics();
    const streams = () => this.eventStreams();
    new Gauge({
      name: 'weft_api_event_streams',
      help: 'Event streams open now.',
      registers,
      collect() {
        this.set(streams());
      },
    });
  }

  /** Counts one answered request and its time. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = this.requestKeys.of(requestKey(method, route, status));
    const labels =
      key === 'other'
        ? { method: 'other', route: 'other', status: 'other' }
        : { method, route, status: String(status) };
    this.requests.observe(labels, seconds);
    this.requestsTotal.inc(labels);
  }

  /** Records that this node accepted `domain`'s header sealed at `sealedAtMs` (its timestamp). */
  observeSync(domain: Uint8Array, sealedAtMs: bigint, nowMs = Date.now()): void {
    const seconds = Math.max(0, (nowMs - Number(sealedAtMs)) / 1000);
    this.sync.observe({ domain: toHex(domain) }, seconds);
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Detaches from the node's events. */
  close(): void {
    for (const d of this.detachAll.splice(0)) d();
    this.registry.clear();
  }

  private domainMetrics(): void {
    const d = this.node.domain;
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number | bigint) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(Number(read()));
        },
      });
    gauge('weft_committed_height', 'Height of the committed tip.', () => d.committedHeight);
    gauge(
      'weft_proven_height',
      'Height of the proven tip (never past the committed one).',
      () => d.provenHeight,
    );
    gauge('weft_mempool_txs', 'Transactions waiting in the mempool.', () => d.mempoolSize);
    const accepted = new Counter({
      name: 'weft_txs_accepted_total',
      help: 'Transactions admitted to the mempool since the API started.',
      registers,
    });
    const rejected = new Counter({
      name: 'weft_txs_rejected_total',
      help: 'Transactions refused at admission since the API started, by code.',
      labelNames: ['code'],
      registers,
    });
    const included = new Counter({
      name: 'weft_txs_included_total',
      help: 'Transactions included in sealed blocks since the API started.',
      registers,
    });
    const evicted = new Counter({
      name: 'weft_txs_evicted_total',
      help: 'Transactions evicted from the mempool since the API started, by code.',
      labelNames: ['code'],
      registers,
    });
    const sealedTotal = new Counter({
      name: 'weft_blocks_sealed_total',
      help: 'Blocks sealed since the API started.',
      registers,
    });
    const remoteTotal = new Counter({
      name: 'weft_remote_headers_accepted_total',
      help: 'Remote headers the domain recorded since the API started.',
      registers,
    });
    const sealSeconds = new Histogram({
      name: 'weft_seal_duration_seconds',
      help: 'Time to seal one block: tree writes, the seal, signing and the durable commit.',
      buckets: SEAL_SECONDS_BUCKETS,
      registers,
    });
    new Counter({
      name: 'weft_phase_seconds_total',
      help: 'Seconds the domain spent in each phase of its work since it started.',
      labelNames: ['phase'],
      registers,
      collect() {
        this.reset();
        for (const [phase, ms] of Object.entries(d.timings())) this.inc({ phase }, ms / 1000);
      },
    });
    const codes = new LabelValues();
    const sealMs = () => {
      const t = d.timings();
      return SEAL_PHASES.reduce((s, p) => s + t[p], 0);
    };
    let sealMsBefore = sealMs();
    const on = {
      txAccepted: () => accepted.inc(),
      txRejected: (o: { code: WeftErrorCode }) => rejected.inc({ code: codes.of(o.code) }),
      txIncluded: () => included.inc(),
      txEvicted: (o: { code: WeftErrorCode }) => evicted.inc({ code: codes.of(o.code) }),
      blockSealed: () => {
        sealedTotal.inc();
        const now = sealMs();
        sealSeconds.observe((now - sealMsBefore) / 1000);
        sealMsBefore = now;
      },
      remoteAccepted: () => remoteTotal.inc(),
    };
    for (const [event, f] of Object.entries(on)) d.on(event as 'txAccepted', f as () => void);
    this.detachAll.push(() => {
      for (const [event, f] of Object.entries(on)) d.off(event as 'txAccepted', f as () => void);
    });
  }

  private remoteMetrics(): void {
    const node = this.node;
    const registers = [this.registry];
    const views = () => node.router?.syncOf(node.domain.id)?.list() ?? [];
    const labels = (v: { domainId: Uint8Array; name?: string }) => ({
      domain: toHex(v.domainId),
      name: v.name ?? '',
    });
    new Gauge({
      name: 'weft_remote_height',
      help: 'Latest height of each remote domain this node accepted.',
      labelNames: ['domain', 'name'],
      registers,
      collect() {
        this.reset();
        for (const v of views()) this.set(labels(v), Number(v.head.header.height));
      },
    });
    new Gauge({
      name: 'weft_remote_frozen',
      help: 'Whether a remote view is frozen after equivocation (1) or not (0).',
      labelNames: ['domain', 'name'],
      registers,
      collect() {
        this.reset();
        for (const v of views()) this.set(labels(v), v.frozen ? 1 : 0);
      },
    });
    new Gauge({
      name: 'weft_remote_frozen_from_height',
      help: 'Fork height of each frozen remote view.',
      labelNames: ['domain', 'name'],
      registers,
      collect() {
        this.reset();
        for (const v of views()) if (v.frozen) this.set(labels(v), Number(v.frozen.fromHeight));
      },
    });
  }

  private networkMetrics(): void {
    const network = this.node.router;
    if (!network) return;
    // One counter per key the network counts now; it keeps the same keys for its life.
    for (const key of Object.keys(network.counters())) {
      new Counter({
        name: `weft_network_${snake(key)}_total`,
        help: `Network counter ${key} (the whole network object).`,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(network.counters()[key] ?? 0);
        },
      });
    }
  }

  private transferMetrics(): void {
    const driver = this.node.driver;
    if (!driver) return;
    new Gauge({
      name: 'weft_transfers',
      help: 'Transfers the driver holds, by phase.',
      labelNames: ['phase'],
      registers: [this.registry],
      collect() {
        this.reset();
        const byPhase = new Map<string, number>();
        for (const t of driver.list()) byPhase.set(t.phase, (byPhase.get(t.phase) ?? 0) + 1);
        for (const [phase, n] of byPhase) this.set({ phase }, n);
      },
    });
  }

  private transportMetrics(): void {
    const transport = this.node.transport;
    if (!transport) return;
    const registers = [this.registry];
    new Gauge({
      name: 'weft_transport_connected',
      help: 'Whether the message transport (NATS) is connected (1) or not (0).',
      registers,
      collect() {
        this.set(transport.stats().connected ? 1 : 0);
      },
    });
    new Counter({
      name: 'weft_transport_disconnects_total',
      help: 'Times the message transport lost its server.',
      registers,
      collect() {
        this.reset();
        this.inc(transport.stats().disconnects);
      },
    });
  }
}
