// The network as a graph: domains on a circle, one arrow per sync edge (remote -> observer)
// labelled with the observer's mode and its lag; frozen views red, expired ones purple, stale ones
// amber. Clicking an edge opens its evidence: the observer's view of the remote, the refusals it
// reported, and the equivocation evidence it keeps (two signed headers, checked in the page).
import { ago, byId, h, s, shortHex } from '../dom.js';
import { checkEvidence } from '../evidence.js';
import type { Model, ViewState } from '../model.js';

/** Above this many domains, only edges that need attention carry a label. */
const LABELLED_DOMAINS_MAX = 6;
const W = 800;
const H = 360;
const R_NODE = 26;

export class GraphView {
  private readonly svg = byId('graph') as unknown as SVGSVGElement;
  private readonly detail = byId('edge-detail');
  private selected: string | null = null;
  /** what the drawn graph is made of: redrawn whole only when this changes, else updated in place */
  private shape = '';
  private readonly edgeEls = new Map<string, SVGElement>();
  private readonly nodeEls = new Map<string, SVGElement>();

  constructor(private readonly model: Model) {
    this.svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    // Delegated, on press: the graph redraws often, and a click's target may be gone by release.
    this.svg.addEventListener('pointerdown', (ev) => {
      const edge = (ev.target as Element).closest('[data-edge]');
      const [remote, observer] = edge?.getAttribute('data-edge')?.split('>') ?? [];
      if (remote && observer) this.select(remote, observer);
    });
  }

  /** Opens the evidence of the edge remote -> observer. */
  select(remote: string, observer: string): void {
    this.selected = `${observer}>${remote}`;
    this.renderDetail();
  }

  render(): void {
    const m = this.model;
    const ids = [...m.domains.keys()].sort((a, b) => m.nameOf(a).localeCompare(m.nameOf(b)));
    const labelAll = ids.length <= LABELLED_DOMAINS_MAX;
    const shape = `${ids.map((id) => `${id}=${m.nameOf(id)}`).join(',')}|${[...m.views.keys()].join(',')}`;
    if (shape === this.shape) {
      this.update(labelAll);
      if (this.selected) this.renderDetail();
      return;
    }
    this.shape = shape;
    this.edgeEls.clear();
    this.nodeEls.clear();
    const at = new Map<string, { x: number; y: number }>();
    // An ellipse filling the box: wider spacing leaves room for the edge labels.
    const rx = W / 2 - R_NODE - 90;
    const ry = H / 2 - R_NODE - 16;
    ids.forEach((id, i) => {
      const a = (2 * Math.PI * i) / ids.length - Math.PI / 2;
      at.set(id, { x: W / 2 + rx * Math.cos(a), y: H / 2 + ry * Math.sin(a) });
    });
    const defs = s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 6,
          markerHeight: 6,
          orient: 'auto',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a94a6' }),
      ),
    );
    const edges = s('g');
    for (const v of m.views.values()) {
      const a = at.get(v.remote);
      const b = at.get(v.observer);
      if (!a || !b) continue;
      const g = this.edge(v, a, b);
      this.edgeEls.set(`${v.observer}>${v.remote}`, g);
      edges.append(g);
    }
    const nodes = s('g');
    for (const id of ids) {
      const p = at.get(id)!;
      const g = s(
        'g',
        { 'data-domain': id, transform: `translate(${p.x},${p.y})` },
        s('circle', { r: R_NODE }),
        s('text', { y: -2 }, m.nameOf(id)),
        s('text', { y: 11, class: 'height' }),
      );
      this.nodeEls.set(id, g);
      nodes.append(g);
    }
    this.svg.replaceChildren(defs, edges, nodes);
    this.update(labelAll);
    if (this.selected) this.renderDetail();
  }

  /** Brings heights, link states, lags and freezes up to date on the elements already drawn. */
  private update(labelAll: boolean): void {
    const m = this.model;
    for (const [id, g] of this.nodeEls) {
      const d = m.domains.get(id);
      const link = d?.url ? m.nodes.get(d.url) : undefined;
      setAttr(g, 'class', `domain ${link?.status ?? ''}`);
      setText(g.querySelector('.height'), `#${d?.committed ?? '?'}`);
    }
    for (const [key, g] of this.edgeEls) {
      const v = m.views.get(key);
      if (!v) continue;
      const { cls, label } = this.look(v);
      setAttr(g, 'class', `edge ${cls}`);
      setAttr(g, 'data-frozen', String(v.frozen));
      setAttr(g, 'data-expired', String(v.expired));
      setText(g.querySelector('title'), `${m.nameOf(v.remote)} → ${m.nameOf(v.observer)}: ${label}`);
      const text = g.querySelector('text');
      if (text) text.style.display = labelAll || cls ? '' : 'none';
      setText(text, label);
    }
  }

  /** An edge's state class and label. */
  private look(v: ViewState): { cls: string; label: string } {
    const m = this.model;
    const cls = v.frozen ? 'frozen' : v.expired ? 'expired' : m.stale(v) ? 'stale' : '';
    const observer = m.domains.get(v.observer);
    const lag = m.lagHeights(v);
    // The mode is the observer's: how it verifies root updates (its /v1/info says it).
    const mode = observer?.mode ? `${observer.mode} · ` : '';
    const label = v.frozen
      ? `FROZEN from ${v.frozenFromHeight ?? '?'}`
      : v.expired
        ? `EXPIRED · ${ago(m.lagMs(v))}`
        : `${mode}${lag === null ? '?' : lag} behind · ${ago(m.lagMs(v))}`;
    return { cls, label };
  }

  /** The elements of one edge (its state is filled in by `update`). */
  private edge(v: ViewState, a: { x: number; y: number }, b: { x: number; y: number }): SVGElement {
    // Curve each direction to its own side so a -> b and b -> a do not overlap.
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const nx = -dy / len;
    const ny = dx / len;
    const bend = 36;
    const cx = (a.x + b.x) / 2 + nx * bend;
    const cy = (a.y + b.y) / 2 + ny * bend;
    const sx = a.x + (dx / len) * R_NODE;
    const sy = a.y + (dy / len) * R_NODE;
    const ex = b.x - (dx / len) * (R_NODE + 2);
    const ey = b.y - (dy / len) * (R_NODE + 2);
    // The label sits on the curve's midpoint, on the outer side of its own arrow.
    const lx = (sx + 2 * cx + ex) / 4 + nx * 8;
    const ly = (sy + 2 * cy + ey) / 4 + ny * 8 + 3;
    return s(
      'g',
      { 'data-edge': `${v.remote}>${v.observer}` },
      s('title'),
      s('path', { d: `M${sx},${sy} Q${cx},${cy} ${ex},${ey}`, 'marker-end': 'url(#arrow)' }),
      s('text', { x: lx, y: ly, 'text-anchor': 'middle' }),
    );
  }

  private renderDetail(): void {
    const v = this.selected ? this.model.views.get(this.selected) : undefined;
    if (!v) {
      this.detail.hidden = true;
      return;
    }
    const m = this.model;
    this.detail.hidden = false;
    const rows: [string, string][] = [
      ['edge', `${m.nameOf(v.remote)} → ${m.nameOf(v.observer)} (${m.nameOf(v.observer)}'s view)`],
      [
        'state',
        v.frozen
          ? `frozen from height ${v.frozenFromHeight ?? '?'}`
          : v.expired
            ? 'expired: no newer header within the trusting period (claims anchored on it wait)'
            : m.stale(v)
              ? 'stale'
              : 'following',
      ],
      ['head / recorded', `${v.headHeight ?? '?'} / ${v.recordedHeight ?? '?'}`],
      ['behind', `${m.lagHeights(v) ?? '?'} heights, last update ${ago(m.lagMs(v))} ago`],
    ];
    const close = h('button', { type: 'button' }, 'close');
    close.addEventListener('click', () => {
      this.selected = null;
      this.detail.hidden = true;
    });
    this.detail.replaceChildren(
      h('h3', {}, 'Sync edge evidence ', close),
      h('table', {}, ...rows.map(([k, val]) => h('tr', {}, h('th', {}, k), h('td', {}, val)))),
      h('h4', {}, `refusals reported by ${m.nameOf(v.observer)} (${v.refusals.length})`),
      h(
        'ul',
        { class: 'refusals' },
        ...v.refusals.map((r) =>
          h('li', {}, `${r.code}: ${r.message}${r.count > 1 ? ` (×${r.count})` : ''}`),
        ),
      ),
      ...evidenceOf(v, (id) => m.nameOf(id)),
      h('h4', {}, `GET ${shortHex(v.remote, 12)} from ${m.domains.get(v.observer)?.url ?? '?'}/v1/remotes`),
      h('pre', {}, JSON.stringify(v.raw, null, 2)),
    );
  }
}

/** The equivocation evidence the observer keeps, both headers side by side, with the page's checks. */
function evidenceOf(v: ViewState, nameOf: (id: string) => string): HTMLElement[] {
  const list = v.raw?.evidence ?? [];
  if (list.length === 0)
    return v.frozen
      ? [
          h(
            'p',
            { class: 'evidence-none' },
            'no equivocation evidence kept (the freeze is proven otherwise: see frozenBy below)',
          ),
        ]
      : [];
  return list.map((e, i) => {
    const verdict = checkEvidence(e, v.remote);
    const field = (label: string, a: string, b: string, key?: string) =>
      h(
        'tr',
        key && verdict.differ.includes(key) ? { class: 'differs' } : {},
        h('th', {}, label),
        h('td', { class: 'hex' }, a),
        h('td', { class: 'hex' }, b),
      );
    const signers = (x: typeof e.first) => x.signatures.map((g) => `#${g.signer}`).join(', ') || 'none';
    return h(
      'div',
      { class: 'evidence', 'data-evidence': i, 'data-verdict': verdict.ok ? 'equivocation' : 'not-evidence' },
      h(
        'h4',
        {},
        `equivocation evidence: ${nameOf(v.remote)} signed two headers at height ${verdict.height}`,
      ),
      h(
        'table',
        { class: 'evidence-headers' },
        h('tr', {}, h('th', {}, ''), h('th', {}, 'first'), h('th', {}, 'second')),
        field('height', e.first.header.height, e.second.header.height),
        field('header hash', e.first.headerHash, e.second.headerHash),
        field('previous hash', e.first.header.prevHash, e.second.header.prevHash, 'prevHash'),
        field('state root', e.first.header.stateRoot, e.second.header.stateRoot, 'stateRoot'),
        field('tx root', e.first.header.txRoot, e.second.header.txRoot, 'txRoot'),
        field('timestamp', e.first.header.timestamp, e.second.header.timestamp, 'timestamp'),
        field('signers', signers(e.first), signers(e.second)),
      ),
      h(
        'ul',
        { class: 'evidence-checks' },
        ...verdict.checks.map((c) => h('li', { 'data-ok': String(c.ok) }, `${c.ok ? '✓' : '✗'} ${c.what}`)),
      ),
      h(
        'p',
        { class: 'evidence-trust' },
        `Checked here: ${verdict.ok ? 'two different headers of one domain at one height, both signed' : 'NOT evidence of equivocation'}. ` +
          `Trusted to ${nameOf(v.observer)}: the header hashes and the signatures — it verified both under ${nameOf(v.remote)}'s key set before freezing; ` +
          'this page has no key set of its own to check them against.',
      ),
    );
  });
}

/** Sets an attribute only when it changes (a same-value write still costs a style pass). */
function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function setText(el: Element | null, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}
