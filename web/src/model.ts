// What the dashboard knows about the network, fed by the nodes' read routes and event streams.
// No DOM here: views read it, `apply*` functions change it, and tests drive it directly.
import {
  type BlockSealedJson,
  type InfoJson,
  PHASES,
  type RefusedJson,
  type RemoteAcceptedJson,
  type RemoteJson,
  type RootJson,
  type TransferJson,
  type TransferPhase,
} from './wire.js';

/** Recent blocks kept per domain (sparkline, blocks per second). */
export const BLOCKS_KEPT_MAX = 120;
/** Samples of the phase counts kept (one a second: ten minutes). */
export const PHASE_SAMPLES_MAX = 600;
/** Alerts kept; older ones drop off the end. */
export const ALERTS_MAX = 500;
/** Distinct refusals kept per sync edge (repeats are counted, not kept). */
export const REFUSALS_KEPT_MAX = 20;
/** Transfers kept; the oldest finished ones are forgotten first. */
export const TRANSFERS_MAX = 50_000;
/** A view with no accepted header for this long is drawn as stale (heartbeat blocks come every second). */
export const VIEW_STALE_MS = 10_000;
/** The window blocks per second is measured over. */
export const RATE_WINDOW_MS = 10_000;

export type BlockPoint = { height: number; timestampMs: number; txCount: number };

export type DomainState = {
  id: string;
  name: string;
  /** the node that runs it, when the dashboard talks to that node */
  url: string | null;
  mode: string | null;
  committed: number;
  proven: number;
  mempool: number;
  stateRoot: string | null;
  blocks: BlockPoint[];
};

/** What `observer` knows of `remote`: one sync edge of the graph (remote -> observer). */
export type ViewState = {
  observer: string;
  remote: string;
  /** height of the latest header the observer's sync layer verified */
  headHeight: number | null;
  /** height of the header the observer's domain recorded (what anchors use) */
  recordedHeight: number | null;
  /** when the observer last accepted a header of the remote (ms, this page's clock) */
  lastUpdateMs: number | null;
  frozen: boolean;
  frozenFromHeight: string | null;
  /** the observer took no newer header within its trusting period */
  expired: boolean;
  /** the refusals the observer reported about the remote, one per code and message: the evidence */
  refusals: (RefusedJson & { atMs: number; count: number })[];
  raw: RemoteJson | null;
};

export type AlertKind =
  | 'equivocation'
  | 'frozen'
  | 'refused'
  | 'refund'
  | 'claimRefused'
  | 'failed'
  | 'unreachable';

export type Alert = {
  seq: number;
  atMs: number;
  kind: AlertKind;
  /** the domain or node it is about */
  subject: string;
  text: string;
  /** what to open for the evidence: a sync edge or a transfer */
  ref?: { edge: [string, string] } | { transfer: string };
  /** how many times the same alert was raised (a peer re-sends what was refused) */
  count: number;
};

export type NodeLinkState = {
  url: string;
  status: 'connecting' | 'live' | 'down';
  domainId: string | null;
  lastEventId: string | null;
  /** how many times the stream came back after dropping */
  reconnects: number;
  /** how many of those the node could not resume (its `reset` event): the page re-read its state */
  resets: number;
  error: string | null;
};

export type PhaseSample = { atMs: number; counts: Record<TransferPhase, number> };

/** Which parts changed since the views last drew. */
export type Dirty = { graph: boolean; domains: boolean; transfers: boolean; alerts: boolean; nodes: boolean };

const zeroCounts = (): Record<TransferPhase, number> =>
  Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<TransferPhase, number>;

const num = (s: string | null | undefined): number | null => (s == null ? null : Number(s));

export class Model {
  readonly domains = new Map<string, DomainState>();
  readonly views = new Map<string, ViewState>();
  readonly transfers = new Map<string, TransferJson>();
  readonly nodes = new Map<string, NodeLinkState>();
  readonly alerts: Alert[] = [];
  readonly phaseSeries: PhaseSample[] = [];
  readonly counts = zeroCounts();
  dirty: Dirty = { graph: true, domains: true, transfers: true, alerts: true, nodes: true };
  private alertSeq = 0;
  /** transfer ids newest first; rebuilt lazily after inserts */
  private order: string[] | null = [];

  constructor(private readonly now: () => number = () => Date.now()) {}

  domain(id: string): DomainState {
    let d = this.domains.get(id);
    if (!d) {
      d = {
        id,
        name: `${id.slice(0, 10)}…`,
        url: null,
        mode: null,
        committed: 0,
        proven: 0,
        mempool: 0,
        stateRoot: null,
        blocks: [],
      };
      this.domains.set(id, d);
      this.dirty.graph = true;
    }
    return d;
  }

  nameOf(id: string): string {
    return this.domains.get(id)?.name ?? `${id.slice(0, 10)}…`;
  }

  view(observer: string, remote: string): ViewState {
    const key = `${observer}>${remote}`;
    let v = this.views.get(key);
    if (!v) {
      v = {
        observer,
        remote,
        headHeight: null,
        recordedHeight: null,
        lastUpdateMs: null,
        frozen: false,
        frozenFromHeight: null,
        expired: false,
        refusals: [],
        raw: null,
      };
      this.views.set(key, v);
      this.domain(remote);
      this.dirty.graph = true;
    }
    return v;
  }

  link(url: string): NodeLinkState {
    let n = this.nodes.get(url);
    if (!n) {
      n = {
        url,
        status: 'connecting',
        domainId: null,
        lastEventId: null,
        reconnects: 0,
        resets: 0,
        error: null,
      };
      this.nodes.set(url, n);
    }
    return n;
  }

  // --- read routes ---------------------------------------------------------------------------

  applyInfo(url: string, info: InfoJson): DomainState {
    const d = this.domain(info.domainId);
    if (d.name !== info.name || d.url !== url) this.dirty.graph = true;
    d.name = info.name;
    d.url = url;
    d.mode = info.mode ?? d.mode;
    d.committed = Math.max(d.committed, Number(info.committedHeight));
    d.proven = Math.max(d.proven, Number(info.provenHeight));
    d.mempool = info.mempool;
    this.link(url).domainId = info.domainId;
    this.dirty.domains = true;
    this.dirty.nodes = true;
    return d;
  }

  applyRoot(domainId: string, root: RootJson): void {
    const d = this.domain(domainId);
    if (Number(root.height) >= d.committed) d.stateRoot = root.stateRoot;
    d.committed = Math.max(d.committed, Number(root.committedHeight));
    d.proven = Math.max(d.proven, Number(root.provenHeight));
    this.dirty.domains = true;
  }

  applyRemotes(observer: string, remotes: RemoteJson[]): void {
    for (const r of remotes) {
      const v = this.view(observer, r.domainId);
      const rd = this.domain(r.domainId);
      if (r.name && rd.name.endsWith('…')) rd.name = r.name;
      const head = num(r.head?.header.height);
      const recorded = num(r.recorded?.height);
      if (head !== null && (v.headHeight === null || head > v.headHeight)) v.headHeight = head;
      if (recorded !== null && (v.recordedHeight === null || recorded > v.recordedHeight)) {
        v.recordedHeight = recorded;
        // The header's own stamp is the best guess of the last update before any event arrives.
        if (v.lastUpdateMs === null && r.recorded) v.lastUpdateMs = Number(r.recorded.timestamp);
      }
      if (r.frozen && !v.frozen) this.freeze(v, r.frozenFromHeight);
      v.frozen = r.frozen;
      v.frozenFromHeight = r.frozenFromHeight;
      v.expired = r.expired ?? false;
      v.raw = r;
    }
    this.dirty.graph = true;
  }

  /** Transfers from a list read (newest first); each replaces an older copy. */
  applyTransfers(list: TransferJson[]): void {
    for (const t of list) this.upsertTransfer(t, false);
  }

  // --- events --------------------------------------------------------------------------------

  applyBlockSealed(domainId: string, e: BlockSealedJson): void {
    const d = this.domain(domainId);
    const height = Number(e.height);
    if (height > d.committed) d.committed = height;
    d.stateRoot = e.stateRoot;
    const last = d.blocks[d.blocks.length - 1];
    if (!last || height > last.height) {
      d.blocks.push({ height, timestampMs: Number(e.timestamp), txCount: e.txCount });
      if (d.blocks.length > BLOCKS_KEPT_MAX) d.blocks.splice(0, d.blocks.length - BLOCKS_KEPT_MAX);
    }
    this.dirty.domains = true;
    this.dirty.graph = true;
  }

  applyRemoteAccepted(observer: string, e: RemoteAcceptedJson): void {
    const v = this.view(observer, e.domainId);
    const h = Number(e.height);
    if (v.recordedHeight === null || h > v.recordedHeight) v.recordedHeight = h;
    if (v.headHeight === null || h > v.headHeight) v.headHeight = h;
    v.lastUpdateMs = this.now();
    this.dirty.graph = true;
  }

  applyRefused(observer: string, e: RefusedJson): void {
    const v = this.view(observer, e.from);
    const same = v.refusals.find((r) => r.code === e.code && r.message === e.message);
    if (same) {
      same.count++;
      same.atMs = this.now();
    } else {
      v.refusals.push({ ...e, atMs: this.now(), count: 1 });
      if (v.refusals.length > REFUSALS_KEPT_MAX) v.refusals.shift();
    }
    const edge: [string, string] = [e.from, observer];
    if (e.code === 'EQUIVOCATION' || e.code === 'DOUBLE_SPEND') {
      this.alert(
        'equivocation',
        e.from,
        `${this.nameOf(observer)} caught ${this.nameOf(e.from)}: ${e.code}`,
        {
          edge,
        },
      );
      this.freeze(v, v.frozenFromHeight);
    } else {
      this.alert(
        'refused',
        e.from,
        `${this.nameOf(observer)} refused an update from ${this.nameOf(e.from)}: ${e.code}`,
        {
          edge,
        },
      );
    }
    this.dirty.graph = true;
  }

  applyTransfer(t: TransferJson): void {
    this.upsertTransfer(t, true);
  }

  // --- node links ----------------------------------------------------------------------------

  setLinkStatus(url: string, status: NodeLinkState['status'], error: string | null = null): void {
    const n = this.link(url);
    if (n.status === status) return;
    n.status = status;
    n.error = error;
    if (status === 'down')
      this.alert('unreachable', url, `node ${url} is unreachable${error ? `: ${error}` : ''}`);
    this.dirty.nodes = true;
    this.dirty.graph = true;
  }

  // --- derived -------------------------------------------------------------------------------

  /** Blocks per second over the last RATE_WINDOW_MS of block timestamps. */
  blocksPerSecond(d: DomainState): number {
    const last = d.blocks[d.blocks.length - 1];
    if (!last) return 0;
    const since = last.timestampMs - RATE_WINDOW_MS;
    let n = 0;
    let first = last.timestampMs;
    for (let i = d.blocks.length - 1; i >= 0 && d.blocks[i]!.timestampMs > since; i--) {
      n++;
      first = d.blocks[i]!.timestampMs;
    }
    const span = Math.max(last.timestampMs - first, 1_000);
    return n <= 1 ? 0 : ((n - 1) * 1000) / span;
  }

  /** Heights the observer is behind the remote's tip (null when the remote's tip is unknown). */
  lagHeights(v: ViewState): number | null {
    const tip = this.domains.get(v.remote)?.committed;
    if (tip === undefined || v.recordedHeight === null) return null;
    return Math.max(0, tip - v.recordedHeight);
  }

  lagMs(v: ViewState): number | null {
    return v.lastUpdateMs === null ? null : Math.max(0, this.now() - v.lastUpdateMs);
  }

  stale(v: ViewState): boolean {
    const ms = this.lagMs(v);
    return !v.frozen && !v.expired && ms !== null && ms > VIEW_STALE_MS;
  }

  /** Transfer ids, newest first. */
  transferOrder(): string[] {
    if (!this.order) {
      const all = [...this.transfers.values()];
      all.sort((a, b) => Number(b.createdAtMs) - Number(a.createdAtMs) || (a.id < b.id ? -1 : 1));
      this.order = all.map((t) => t.id);
    }
    return this.order;
  }

  /** Takes one sample of the phase counts (the page calls it every second). */
  samplePhases(): void {
    this.phaseSeries.push({ atMs: this.now(), counts: { ...this.counts } });
    if (this.phaseSeries.length > PHASE_SAMPLES_MAX) this.phaseSeries.shift();
    this.dirty.transfers = true;
  }

  clearDirty(): void {
    this.dirty = { graph: false, domains: false, transfers: false, alerts: false, nodes: false };
  }

  // --- internals -----------------------------------------------------------------------------

  private freeze(v: ViewState, fromHeight: string | null): void {
    if (!v.frozen)
      this.alert(
        'frozen',
        v.remote,
        `${this.nameOf(v.observer)} froze its view of ${this.nameOf(v.remote)}${fromHeight ? ` from height ${fromHeight}` : ''}`,
        { edge: [v.remote, v.observer] },
      );
    v.frozen = true;
    v.frozenFromHeight = fromHeight;
  }

  private upsertTransfer(t: TransferJson, live: boolean): void {
    const old = this.transfers.get(t.id);
    // Both ends report a transfer; a copy that moved on less far is older news.
    if (old && (old.history.length > t.history.length || Number(old.updatedAtMs) > Number(t.updatedAtMs)))
      return;
    if (old) this.counts[old.phase]--;
    else this.order = null;
    this.transfers.set(t.id, t);
    this.counts[t.phase]++;
    if (!old) this.evictTransfers();
    this.dirty.transfers = true;
    if (old?.phase === t.phase) return;
    const route = `${this.nameOf(t.from)} → ${this.nameOf(t.to)}`;
    const short = `${t.id.slice(0, 10)}…`;
    const ref = { transfer: t.id };
    if (t.phase === 'refundable' || t.phase === 'refunded')
      this.alert('refund', t.from, `transfer ${short} (${route}) is ${t.phase}: its deadline passed`, ref);
    else if (t.phase === 'failed' && t.history.some((h) => h.phase === 'rootSynced'))
      this.alert(
        'claimRefused',
        t.to,
        `${this.nameOf(t.to)} refused the claim of ${short}: ${t.failure?.code ?? '?'}`,
        ref,
      );
    else if (t.phase === 'failed')
      this.alert('failed', t.from, `transfer ${short} (${route}) failed: ${t.failure?.code ?? '?'}`, ref);
    else if (t.phase === 'expired' && live)
      this.alert('failed', t.from, `transfer ${short} (${route}) expired before its move committed`, ref);
  }

  private evictTransfers(): void {
    if (this.transfers.size <= TRANSFERS_MAX) return;
    for (const [id, t] of this.transfers) {
      if (this.transfers.size <= TRANSFERS_MAX) break;
      this.transfers.delete(id);
      this.counts[t.phase]--;
    }
    this.order = null;
  }

  /** Raises an alert; the same one raised again moves to the top with its count up. */
  private alert(kind: AlertKind, subject: string, text: string, ref?: Alert['ref']): void {
    this.dirty.alerts = true;
    const i = this.alerts.findIndex((a) => a.kind === kind && a.subject === subject && a.text === text);
    if (i >= 0) {
      const [a] = this.alerts.splice(i, 1);
      a!.count++;
      a!.atMs = this.now();
      this.alerts.unshift(a!);
      return;
    }
    const a: Alert = { seq: ++this.alertSeq, atMs: this.now(), kind, subject, text, count: 1 };
    if (ref) a.ref = ref;
    this.alerts.unshift(a);
    if (this.alerts.length > ALERTS_MAX) this.alerts.pop();
  }
}
