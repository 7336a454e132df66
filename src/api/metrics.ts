// Node metrics in the Prometheus text exposition format (version 0.0.4): what the node counts from
// its domain's events since the API started, and gauges read from the node at each scrape.
import { toHex, type WeftErrorCode } from '../crypto/index.js';
import type { ApiNode } from './apiNode.js';
import { METRIC_LABEL_VALUES_MAX } from './limits.js';

export type MetricType = 'counter' | 'gauge';
export type Sample = { labels?: Record<string, string>; value: number | bigint };
export type Metric = { name: string; type: MetricType; help: string; samples: Sample[] };

/** The content type Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabel = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
const escapeHelp = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

/** The exposition text of `metrics`: a HELP and a TYPE line each, then its samples. */
export function formatMetrics(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {});
      const text =
        labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      lines.push(`${m.name}${text} ${s.value.toString()}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Counts per label value, at most METRIC_LABEL_VALUES_MAX values; later ones count as `other`. */
export class LabelCounts {
  private readonly counts = new Map<string, number>();
  add(value: string, n = 1): void {
    const key = this.counts.has(value) || this.counts.size < METRIC_LABEL_VALUES_MAX - 1 ? value : 'other';
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  /** Samples labelled `{ [label]: value }`, or by `labels(value)`. */
  samples(label: string | ((value: string) => Record<string, string>)): Sample[] {
    const of = typeof label === 'string' ? (v: string) => ({ [label]: v }) : label;
    return [...this.counts.entries()].map(([v, n]) => ({ labels: of(v), value: n }));
  }
}

/** What the API counts from the domain's events, from attach on. */
export class NodeCounters {
  txsAccepted = 0;
  readonly txsRejected = new LabelCounts();
  txsIncluded = 0;
  readonly txsEvicted = new LabelCounts();
  blocksSealed = 0;
  remoteAccepted = 0;
  readonly requests = new LabelCounts();

  /** Starts counting the domain's events; returns the detach. */
  attach(node: ApiNode): () => void {
    const d = node.domain;
    const accepted = () => void this.txsAccepted++;
    const rejected = (o: { code: WeftErrorCode }) => this.txsRejected.add(o.code);
    const included = () => void this.txsIncluded++;
    const evicted = (o: { code: WeftErrorCode }) => this.txsEvicted.add(o.code);
    const sealed = () => void this.blocksSealed++;
    const remote = () => void this.remoteAccepted++;
    d.on('txAccepted', accepted);
    d.on('txRejected', rejected);
    d.on('txIncluded', included);
    d.on('txEvicted', evicted);
    d.on('blockSealed', sealed);
    d.on('remoteAccepted', remote);
    return () => {
      d.off('txAccepted', accepted);
      d.off('txRejected', rejected);
      d.off('txIncluded', included);
      d.off('txEvicted', evicted);
      d.off('blockSealed', sealed);
      d.off('remoteAccepted', remote);
    };
  }
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Every metric of the node now: the domain's, its remote views', the network's, the driver's, the API's. */
export function collectMetrics(node: ApiNode, c: NodeCounters, extra: { sseClients: number }): Metric[] {
  return [
    ...domainMetrics(node.domain, c),
    ...remoteMetrics(node),
    ...networkMetrics(node),
    ...transferMetrics(node),
    ...apiMetrics(c, extra.sseClients),
  ];
}

function domainMetrics(d: ApiNode['domain'], c: NodeCounters): Metric[] {
  return [
    gauge('weft_committed_height', 'Height of the committed tip.', d.committedHeight),
    gauge('weft_proven_height', 'Height of the proven tip (never past the committed one).', d.provenHeight),
    gauge('weft_mempool_txs', 'Transactions waiting in the mempool.', d.mempoolSize),
    counter(
      'weft_txs_accepted_total',
      'Transactions admitted to the mempool since the API started.',
      c.txsAccepted,
    ),
    {
      name: 'weft_txs_rejected_total',
      type: 'counter',
      help: 'Transactions refused at admission since the API started, by code.',
      samples: c.txsRejected.samples('code'),
    },
    counter(
      'weft_txs_included_total',
      'Transactions included in sealed blocks since the API started.',
      c.txsIncluded,
    ),
    {
      name: 'weft_txs_evicted_total',
      type: 'counter',
      help: 'Transactions evicted from the mempool since the API started, by code.',
      samples: c.txsEvicted.samples('code'),
    },
    counter('weft_blocks_sealed_total', 'Blocks sealed since the API started.', c.blocksSealed),
    counter(
      'weft_remote_headers_accepted_total',
      'Remote headers the domain recorded since the API started.',
      c.remoteAccepted,
    ),
    {
      name: 'weft_phase_milliseconds_total',
      type: 'counter',
      help: 'Milliseconds the domain spent in each phase of its work since it started.',
      samples: Object.entries(d.timings()).map(([phase, ms]) => ({
        labels: { phase },
        value: Math.round(ms),
      })),
    },
  ];
}

function remoteMetrics(node: ApiNode): Metric[] {
  const views = node.network?.syncOf(node.domain.id)?.list() ?? [];
  const remoteLabels = (v: { domainId: Uint8Array; name?: string }) => ({
    domain: toHex(v.domainId),
    name: v.name ?? '',
  });
  return [
    {
      name: 'weft_remote_height',
      type: 'gauge',
      help: 'Latest height of each remote domain this node accepted.',
      samples: views.map((v) => ({ labels: remoteLabels(v), value: v.head.header.height })),
    },
    {
      name: 'weft_remote_frozen',
      type: 'gauge',
      help: 'Whether a remote view is frozen after equivocation (1) or not (0).',
      samples: views.map((v) => ({ labels: remoteLabels(v), value: v.frozen ? 1 : 0 })),
    },
    {
      name: 'weft_remote_frozen_from_height',
      type: 'gauge',
      help: 'Fork height of each frozen remote view.',
      samples: views.flatMap((v) =>
        v.frozen ? [{ labels: remoteLabels(v), value: v.frozen.fromHeight }] : [],
      ),
    },
  ];
}

function networkMetrics(node: ApiNode): Metric[] {
  if (!node.network) return [];
  return Object.entries(node.network.counters()).map(([k, v]) =>
    counter(`weft_network_${snake(k)}_total`, `Network counter ${k} (the whole network object).`, v),
  );
}

function transferMetrics(node: ApiNode): Metric[] {
  if (!node.driver) return [];
  const byPhase = new Map<string, number>();
  for (const t of node.driver.list()) byPhase.set(t.phase, (byPhase.get(t.phase) ?? 0) + 1);
  return [
    {
      name: 'weft_transfers',
      type: 'gauge',
      help: 'Transfers the driver holds in memory, by phase.',
      samples: [...byPhase.entries()].map(([phase, n]) => ({ labels: { phase }, value: n })),
    },
  ];
}

function apiMetrics(c: NodeCounters, sseClients: number): Metric[] {
  return [
    gauge('weft_api_event_streams', 'Event streams open now.', sseClients),
    {
      name: 'weft_api_requests_total',
      type: 'counter',
      help: 'API requests answered since the API started, by route and status.',
      samples: c.requests.samples(requestLabels),
    },
  ];
}

/** The key a request counts under: method, route and status (the route table bounds them). */
export function requestKey(method: string, route: string, status: number): string {
  return `${method} ${route} ${status}`;
}

function requestLabels(key: string): Record<string, string> {
  const [method = '', route = '', status = ''] = key.split(' ');
  return { method, route, status };
}

function gauge(name: string, help: string, value: number | bigint): Metric {
  return { name, type: 'gauge', help, samples: [{ value }] };
}

function counter(name: string, help: string, value: number | bigint): Metric {
  return { name, type: 'counter', help, samples: [{ value }] };
}
