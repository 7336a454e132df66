// One node's connection: its read routes and its event stream. The first connection reads the
// current state, then follows the stream. A dropped stream resumes where it was: the browser sends
// the last id it saw as Last-Event-ID (a stream this page reopens itself sends it as
// ?lastEventId=), and the node writes the frames missed meanwhile before going live — or, when it
// cannot (it restarted, or the page was away too long), a `reset` event, on which the page reads
// the current state again (docs/api.md, "Event stream").
import type { Model } from './model.js';
import {
  EVENT_TYPES,
  type InfoJson,
  type NetworkJson,
  type NodeEvent,
  type RemoteJson,
  type RootJson,
  type TransferJson,
  type TransferWaitJson,
} from './wire.js';

/** How often the routes without events (mempool, remote heads) are read again. */
export const POLL_MS = 2_000;
/** Transfers read per node on (re)connect: the API's TRANSFERS_LIST_MAX. */
export const TRANSFERS_READ_MAX = 1_000;
/** Per request, before the node counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 5_000;
/** Wait before opening a stream again once the browser gave up on it. */
export const REOPEN_MS = 2_000;

const TOKEN_KEY = 'weft.apiToken';

/** The API bearer token this page sends with requests that change state (kept in localStorage). */
export const token = {
  get(): string {
    try {
      return localStorage.getItem(TOKEN_KEY) ?? '';
    } catch {
      return '';
    }
  },
  set(value: string): void {
    try {
      if (value) localStorage.setItem(TOKEN_KEY, value);
      else localStorage.removeItem(TOKEN_KEY);
    } catch {
      // storage disabled: the token lasts as long as the field
    }
  },
};

/** A read: GET, no token (reads need none). Throws with the API's error code on failure. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new Error(`${err?.code ?? res.status}: ${err?.message ?? res.statusText}`);
  }
  return body as T;
}

/**
 * A write: POST with the bearer token from the page's token field — only to the node that served
 * the page. The node list can come from a link or from a node's answer, so a token sent to any
 * listed URL could be sent to a stranger; writes elsewhere go without it (and are refused).
 */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const t = token.get();
  if (t && new URL(url).origin === location.origin) headers.authorization = `Bearer ${t}`;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new Error(`${err?.code ?? res.status}: ${err?.message ?? res.statusText}`);
  }
  return json as T;
}

export class NodeLink {
  private source: EventSource | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private opened = false;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly model: Model,
    /** told the API addresses of the node's network, when the node serves them */
    private readonly onPeers: (urls: string[]) => void = () => {},
  ) {}

  start(): void {
    this.model.link(this.url);
    this.open();
    this.pollTimer = setInterval(() => void this.poll(), POLL_MS);
  }

  close(): void {
    this.closed = true;
    this.source?.close();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
  }

  /** The node's domain id, once its info was read. */
  get domainId(): string | null {
    return this.model.link(this.url).domainId;
  }

  async transfer(id: string): Promise<{ transfer: TransferJson; waiting: TransferWaitJson | null }> {
    return getJson(`${this.url}/v1/transfers/${id}`);
  }

  private open(): void {
    this.reopenTimer = null;
    if (this.closed) return;
    const state = this.model.link(this.url);
    // A stream the page reopens itself resumes after the last event it applied.
    const from = this.opened ? state.lastEventId : null;
    const es = new EventSource(
      `${this.url}/v1/events${from ? `?lastEventId=${encodeURIComponent(from)}` : ''}`,
    );
    this.source = es;
    let openedBefore = false;
    es.onopen = () => {
      if (this.opened) state.reconnects++;
      this.opened = true;
      // A connection that asked to resume (the browser's own reconnects always do: the node gives
      // every reader its position) gets what it missed, or a reset; only a fresh one reads the state.
      const resuming = openedBefore || from !== null;
      openedBefore = true;
      if (resuming) this.model.setLinkStatus(this.url, 'live');
      else void this.resync();
    };
    es.addEventListener('reset', (ev) => {
      state.resets++;
      state.lastEventId = (ev as MessageEvent<string>).lastEventId || null;
      void this.resync();
    });
    es.onerror = () => {
      void this.checkDown();
      if (es.readyState === EventSource.CLOSED) {
        // The browser stopped retrying (e.g. the node answered an error): retry ourselves.
        this.reopenTimer = setTimeout(() => this.open(), REOPEN_MS);
      }
    };
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (ev) => this.onEvent(type, ev as MessageEvent<string>));
    }
  }

  private onEvent(type: (typeof EVENT_TYPES)[number], ev: MessageEvent<string>): void {
    const m = this.model;
    m.link(this.url).lastEventId = ev.lastEventId || null;
    const self = this.domainId;
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return; // not the API's JSON: nothing to apply (the next resync reads the state anyway)
    }
    const e = { type, data } as NodeEvent;
    if (e.type === 'transferPhase') m.applyTransfer(e.data);
    else if (!self)
      return; // info not read yet: the resync after open covers it
    else if (e.type === 'blockSealed') m.applyBlockSealed(self, e.data);
    else if (e.type === 'remoteAccepted') m.applyRemoteAccepted(self, e.data);
    else if (e.type === 'refused') m.applyRefused(self, e.data);
  }

  /** Reads everything the stream may have missed. */
  async resync(): Promise<void> {
    try {
      const info = await getJson<InfoJson>(`${this.url}/v1/info`);
      this.model.applyInfo(this.url, info);
      const [root, remotes, transfers] = await Promise.all([
        getJson<RootJson>(`${this.url}/v1/root`),
        getJson<{ remotes: RemoteJson[] }>(`${this.url}/v1/remotes`).catch(() => ({ remotes: [] })),
        getJson<{ transfers: TransferJson[] }>(`${this.url}/v1/transfers?limit=${TRANSFERS_READ_MAX}`).catch(
          () => ({ transfers: [] }),
        ),
      ]);
      this.model.applyRoot(info.domainId, root);
      this.model.applyRemotes(info.domainId, remotes.remotes);
      this.model.applyTransfers(transfers.transfers);
      this.model.setLinkStatus(this.url, 'live');
      // The other nodes of the network, from the network file the node runs with (GET /v1/network);
      // a node without it answers 404 and the page keeps the URLs it was given.
      const network = await getJson<NetworkJson>(`${this.url}/v1/network`).catch(() => null);
      if (network) this.onPeers(network.domains.map((d) => d.api));
    } catch (e) {
      this.model.setLinkStatus(this.url, 'down', (e as Error).message);
    }
  }

  private async poll(): Promise<void> {
    try {
      const info = await getJson<InfoJson>(`${this.url}/v1/info`);
      this.model.applyInfo(this.url, info);
      const remotes = await getJson<{ remotes: RemoteJson[] }>(`${this.url}/v1/remotes`).catch(() => null);
      if (remotes) this.model.applyRemotes(info.domainId, remotes.remotes);
      // A node that answers reads but whose stream the browser gave up on is reopened.
      if (this.source?.readyState === EventSource.CLOSED && !this.reopenTimer) this.open();
      if (this.source?.readyState === EventSource.OPEN) this.model.setLinkStatus(this.url, 'live');
    } catch (e) {
      this.model.setLinkStatus(this.url, 'down', (e as Error).message);
    }
  }

  private async checkDown(): Promise<void> {
    try {
      await getJson(`${this.url}/health`);
    } catch (e) {
      this.model.setLinkStatus(this.url, 'down', (e as Error).message);
    }
  }
}
