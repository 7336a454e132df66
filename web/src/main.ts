// The dashboard page: which nodes to talk to (?nodes=, the field, or the node that served the
// page), one NodeLink each, and a render loop that redraws only what changed, at most a few times
// a second for the heavy parts, so a busy network does not starve the page.
import './shims/buffer.js';
import { byId, h } from './dom.js';
import { NodeLink, token } from './link.js';
import { Model } from './model.js';
import { AlertsView } from './views/alerts.js';
import { DomainsView } from './views/domains.js';
import { GraphView } from './views/graph.js';
import { InspectorView } from './views/inspector.js';
import { TransfersView } from './views/transfers.js';

const NODES_KEY = 'weft.nodes';
/** Least time between two redraws of the graph and the domain cards. */
const HEAVY_REDRAW_MS = 250;
/** Least time between two redraws of the transfer list. */
const LIST_REDRAW_MS = 100;
const PHASE_SAMPLE_MS = 1_000;
/** How long an idle page waits before looking for changes again. */
const IDLE_LOOK_MS = 100;

/** Node URLs from text: separated by spaces or commas, trailing slashes dropped, duplicates once. */
export function parseNodeList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    const u = raw.trim().replace(/\/+$/, '');
    if (/^https?:\/\/[^\s]+$/.test(u) && !out.includes(u)) out.push(u);
  }
  return out;
}

function initialNodes(): string[] {
  const fromQuery = new URLSearchParams(location.search).get('nodes');
  if (fromQuery) return parseNodeList(fromQuery);
  let saved = '';
  try {
    saved = localStorage.getItem(NODES_KEY) ?? '';
  } catch {
    // storage disabled
  }
  if (saved) return parseNodeList(saved);
  // Served by a node (GET / on its API address): that node is the first to ask.
  return location.protocol.startsWith('http') ? [location.origin] : [];
}

class Dashboard {
  readonly model = new Model();
  private links: NodeLink[] = [];
  private readonly graph = new GraphView(this.model);
  private readonly domains = new DomainsView(this.model);
  private readonly alerts: AlertsView;
  private readonly transfers: TransfersView;
  private readonly inspector = new InspectorView(this.model);
  private lastHeavyMs = 0;
  private lastListMs = 0;
  private looping = false;

  constructor() {
    this.transfers = new TransfersView(this.model, (t) => {
      // The source drives a transfer and explains it; the destination knows it too.
      const link = this.linkOf(t.from) ?? this.linkOf(t.to);
      if (!link) return Promise.reject(new Error('no node of either end is connected'));
      return link.transfer(t.id);
    });
    this.alerts = new AlertsView(this.model, (ref) => {
      if ('edge' in ref) this.graph.select(ref.edge[0], ref.edge[1]);
      else this.transfers.open(ref.transfer);
    });
    this.model.samplePhases();
    setInterval(() => this.model.samplePhases(), PHASE_SAMPLE_MS);
    // Lags in milliseconds grow without events: redraw the graph every second regardless.
    setInterval(() => {
      this.model.dirty.graph = true;
    }, 1_000);
  }

  connect(urls: string[]): void {
    for (const l of this.links) l.close();
    this.links = [];
    this.model.nodes.clear();
    this.addNodes(urls);
    this.renderLinks();
    if (!this.looping) {
      this.looping = true;
      // Draws on animation frames while anything is dirty; idle, it looks again a little later
      // instead of waking every frame.
      const loop = () => {
        this.draw();
        const d = this.model.dirty;
        if (d.graph || d.domains || d.nodes || d.alerts || d.transfers) requestAnimationFrame(loop);
        else setTimeout(() => requestAnimationFrame(loop), IDLE_LOOK_MS);
      };
      requestAnimationFrame(loop);
    }
  }

  /** Starts following the nodes at `urls` the page does not follow yet. */
  addNodes(urls: string[]): void {
    for (const u of parseNodeList(urls.join(' '))) {
      if (this.links.some((l) => l.url === u)) continue;
      const link = new NodeLink(u, this.model, (peers) => this.addNodes(peers));
      this.links.push(link);
      link.start();
    }
    this.model.dirty.nodes = true;
  }

  private linkOf(domainId: string): NodeLink | undefined {
    return this.links.find((l) => l.domainId === domainId);
  }

  private draw(): void {
    const m = this.model;
    const now = performance.now();
    const d = m.dirty;
    if (now - this.lastHeavyMs >= HEAVY_REDRAW_MS && (d.graph || d.domains || d.nodes)) {
      this.lastHeavyMs = now;
      if (d.graph || d.nodes) this.graph.render();
      if (d.domains || d.nodes) this.domains.render();
      if (d.nodes) this.renderLinks();
      this.inspector.render();
      d.graph = d.domains = d.nodes = false;
    }
    if (d.alerts) {
      this.alerts.render();
      d.alerts = false;
    }
    if (d.transfers && now - this.lastListMs >= LIST_REDRAW_MS) {
      this.lastListMs = now;
      this.transfers.render();
      d.transfers = false;
    }
  }

  private renderLinks(): void {
    byId('links').replaceChildren(
      ...[...this.model.nodes.values()].map((n) =>
        h(
          'span',
          {
            class: 'link',
            'data-link': n.url,
            'data-status': n.status,
            title: n.error ?? `${n.reconnects} reconnects, ${n.resets} resets`,
          },
          h('span', { class: `dot ${n.status}` }),
          n.url.replace(/^https?:\/\//, ''),
        ),
      ),
    );
  }
}

const app = new Dashboard();
(globalThis as unknown as { weft: Dashboard }).weft = app;

const nodesField = byId<HTMLInputElement>('nodes');
const tokenField = byId<HTMLInputElement>('token');
tokenField.value = token.get();
tokenField.addEventListener('change', () => token.set(tokenField.value.trim()));
byId('nodes-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const urls = parseNodeList(nodesField.value);
  try {
    localStorage.setItem(NODES_KEY, urls.join(' '));
  } catch {
    // storage disabled
  }
  app.connect(urls);
});
const first = initialNodes();
nodesField.value = first.join(' ');
if (first.length > 0) app.connect(first);
