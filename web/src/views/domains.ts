// One card per domain: heights, blocks per second, mempool, the state root (copyable) and a
// sparkline of transactions per block.
import { byId, copyText, h } from '../dom.js';
import type { DomainState, Model } from '../model.js';
import { sparkline } from './charts.js';

export class DomainsView {
  private readonly root = byId('domains');
  private readonly cards = new Map<string, HTMLElement>();

  constructor(private readonly model: Model) {
    // Delegated: cards redraw with every block, and a button's press may outlive its element.
    this.root.addEventListener('pointerdown', (ev) => {
      const button = (ev.target as Element).closest('button.copy');
      const root = button?.parentElement?.querySelector<HTMLElement>('[data-state-root]');
      if (root) void copyText(root.textContent ?? '', root);
    });
  }

  render(): void {
    const m = this.model;
    const ids = [...m.domains.keys()].sort((a, b) => m.nameOf(a).localeCompare(m.nameOf(b)));
    const wanted: HTMLElement[] = [];
    for (const id of ids) {
      const d = m.domains.get(id)!;
      let card = this.cards.get(id);
      if (!card) {
        card = h('article', { class: 'domain-card', 'data-domain-card': id });
        this.cards.set(id, card);
      }
      this.fill(card, d);
      wanted.push(card);
    }
    if (wanted.length !== this.root.children.length || wanted.some((c, i) => this.root.children[i] !== c))
      this.root.replaceChildren(...wanted);
  }

  private fill(card: HTMLElement, d: DomainState): void {
    const m = this.model;
    const link = d.url ? m.nodes.get(d.url) : undefined;
    const root = h('span', { class: 'root', 'data-state-root': '' }, d.stateRoot ?? '?');
    const copy = h('button', { class: 'copy', type: 'button', title: 'copy the state root' }, 'copy');
    const rows: [string, Node | string][] = [
      ['committed', String(d.committed)],
      ['proven', String(d.proven)],
      ['blocks/s', m.blocksPerSecond(d).toFixed(2)],
      ['mempool', String(d.mempool)],
      ['node', d.url ?? 'not connected'],
    ];
    card.replaceChildren(
      h('h3', {}, h('span', { class: `dot ${link?.status ?? ''}` }), d.name),
      h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-field': k }, v)])),
      h('div', {}, root, ' ', copy),
      sparkline(d.blocks.slice(-60).map((b) => b.txCount)),
    );
  }
}
