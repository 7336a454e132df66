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

  /** Builds a card's elements once; later fills only change text that changed. */
  private fill(card: HTMLElement, d: DomainState): void {
    const m = this.model;
    if (!card.firstChild) {
      const rows = FIELDS.flatMap((k) => [h('dt', {}, k), h('dd', { 'data-field': k })]);
      card.append(
        h('h3', {}, h('span', { class: 'dot' }), h('span', { class: 'name' })),
        h('dl', {}, ...rows),
        h(
          'div',
          {},
          h('span', { class: 'root', 'data-state-root': '' }),
          ' ',
          h('button', { class: 'copy', type: 'button', title: 'copy the state root' }, 'copy'),
        ),
        h('div', { class: 'spark-box' }),
      );
    }
    const link = d.url ? m.nodes.get(d.url) : undefined;
    const values: Record<(typeof FIELDS)[number], string> = {
      committed: String(d.committed),
      proven: String(d.proven),
      'blocks/s': m.blocksPerSecond(d).toFixed(2),
      mempool: String(d.mempool),
      node: d.url ?? 'not connected',
    };
    set(card.querySelector('.dot'), 'className', `dot ${link?.status ?? ''}`);
    set(card.querySelector('.name'), 'textContent', d.name);
    for (const k of FIELDS) set(card.querySelector(`[data-field="${k}"]`), 'textContent', values[k]);
    set(card.querySelector('[data-state-root]'), 'textContent', d.stateRoot ?? '?');
    const box = card.querySelector<HTMLElement>('.spark-box')!;
    const last = String(d.blocks[d.blocks.length - 1]?.height ?? -1);
    if (box.dataset.height !== last) {
      box.dataset.height = last;
      box.replaceChildren(sparkline(d.blocks.slice(-SPARK_BLOCKS).map((b) => b.txCount)));
    }
  }
}

const FIELDS = ['committed', 'proven', 'blocks/s', 'mempool', 'node'] as const;
/** Blocks the sparkline covers. */
const SPARK_BLOCKS = 60;

function set<K extends 'className' | 'textContent'>(el: Element | null, key: K, value: string): void {
  if (el && el[key] !== value) el[key] = value;
}
