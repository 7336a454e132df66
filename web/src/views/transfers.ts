// Transfers: counts by phase over time, a live list (virtualised: only the visible rows exist, so
// 10,000 transfers cost what 20 do) filtered by text and phase, each row opening its timeline with
// the explained status the source node gives (GET /v1/transfers/:id `waiting`, as data).
import { byId, clock, h, shortHex } from '../dom.js';
import type { Model } from '../model.js';
import { WAITS_FOR, waitText } from '../waits.js';
import { PHASES, type TransferJson, type TransferWaitJson } from '../wire.js';
import { drawPhaseChart, PHASE_COLOURS } from './charts.js';

const ROW_PX = 26;
/** Rows drawn beyond the visible ones, so a fast scroll does not show blanks. */
const OVERSCAN_ROWS = 8;
/** How often an open timeline re-reads its explained status. */
const WAIT_REFRESH_MS = 2_000;

export type WaitReader = (
  t: TransferJson,
) => Promise<{ transfer: TransferJson; waiting: TransferWaitJson | null }>;

export class TransfersView {
  private readonly list = byId('transfer-list');
  private readonly inner = this.list.firstElementChild as HTMLElement;
  private readonly text = byId<HTMLInputElement>('transfer-filter');
  private readonly phase = byId<HTMLSelectElement>('phase-filter');
  private readonly chart = byId<HTMLCanvasElement>('phase-chart');
  private readonly detail = byId('transfer-detail');
  private readonly count = byId('transfer-count');
  private filtered: string[] = [];
  private filterKey = '';
  private orderSeen: string[] | null = null;
  private openId: string | null = null;
  private waiting: TransferWaitJson | null | 'unread' = 'unread';
  private waitTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly model: Model,
    private readonly readWait: WaitReader,
  ) {
    for (const p of PHASES) this.phase.append(h('option', { value: p }, p));
    byId('phase-legend').replaceChildren(
      ...PHASES.map((p) => h('span', {}, h('i', { style: `background:${PHASE_COLOURS[p]}` }), p)),
    );
    const refilter = () => {
      this.filterKey = '';
      this.render();
    };
    this.text.addEventListener('input', refilter);
    this.phase.addEventListener('change', refilter);
    this.list.addEventListener('scroll', () => this.drawRows());
    this.list.addEventListener('pointerdown', (ev) => {
      const id = (ev.target as Element).closest('[data-transfer]')?.getAttribute('data-transfer');
      if (id) this.open(id);
    });
  }

  render(): void {
    const m = this.model;
    this.count.textContent = `(${m.transfers.size})`;
    drawPhaseChart(this.chart, m.phaseSeries);
    const order = m.transferOrder();
    const key = `${this.text.value}\u0000${this.phase.value}`;
    // Filtering is linear in the transfers: redone when the filter or the set changed, and on
    // phase updates only when filtering by phase.
    if (key !== this.filterKey || order !== this.orderSeen || this.phase.value !== '') {
      this.filterKey = key;
      this.orderSeen = order;
      this.filtered = this.applyFilter(order);
    }
    this.inner.style.height = `${this.filtered.length * ROW_PX}px`;
    this.drawRows();
    if (this.openId) this.renderDetail();
  }

  /** Opens the timeline of transfer `id`. */
  open(id: string): void {
    this.openId = id;
    this.waiting = 'unread';
    if (this.waitTimer) clearInterval(this.waitTimer);
    const refresh = async () => {
      const t = this.model.transfers.get(id);
      if (!t || this.openId !== id) return;
      try {
        const r = await this.readWait(t);
        if (this.openId !== id) return;
        this.model.applyTransfer(r.transfer);
        this.waiting = r.waiting;
      } catch {
        this.waiting = null;
      }
      this.renderDetail();
    };
    void refresh();
    this.waitTimer = setInterval(() => void refresh(), WAIT_REFRESH_MS);
    this.renderDetail();
  }

  private applyFilter(order: string[]): string[] {
    const m = this.model;
    const phase = this.phase.value;
    const text = this.text.value.trim().toLowerCase();
    if (!phase && !text) return order;
    return order.filter((id) => {
      const t = m.transfers.get(id)!;
      if (phase && t.phase !== phase) return false;
      if (!text) return true;
      return (
        id.includes(text) ||
        t.phase.toLowerCase().includes(text) ||
        m.nameOf(t.from).toLowerCase().includes(text) ||
        m.nameOf(t.to).toLowerCase().includes(text)
      );
    });
  }

  private drawRows(): void {
    const m = this.model;
    const first = Math.max(0, Math.floor(this.list.scrollTop / ROW_PX) - OVERSCAN_ROWS);
    const last = Math.min(
      this.filtered.length,
      Math.ceil((this.list.scrollTop + this.list.clientHeight) / ROW_PX) + OVERSCAN_ROWS,
    );
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const t = m.transfers.get(this.filtered[i]!);
      if (!t) continue;
      rows.push(
        h(
          'div',
          { class: 'row', style: `top:${i * ROW_PX}px`, 'data-transfer': t.id, 'data-phase': t.phase },
          h('span', { class: 'id' }, shortHex(t.id, 14)),
          h('span', {}, `${m.nameOf(t.from)} → ${m.nameOf(t.to)}`),
          h('span', { class: `phase ${t.phase}` }, t.phase),
          h(
            'span',
            { class: 'waits', title: `waits for ${WAITS_FOR[t.phase]?.words ?? '?'}` },
            waitText(t.phase),
          ),
          h('span', {}, clock(Number(t.updatedAtMs))),
        ),
      );
    }
    this.inner.replaceChildren(...rows);
  }

  private renderDetail(): void {
    const t = this.openId ? this.model.transfers.get(this.openId) : undefined;
    if (!t) {
      this.detail.hidden = true;
      return;
    }
    const m = this.model;
    const start = Number(t.createdAtMs);
    const heights: [string, string | null][] = [
      ['move in source block', t.sourceHeight],
      ['source root synced at destination', t.syncedHeight],
      ['claim in destination block', t.claimHeight],
      ['confirmed at source height', t.confirmedHeight],
      ['refundable from', t.refundableHeight],
      ['refund in source block', t.refundHeight],
    ];
    const close = h('button', { type: 'button' }, 'close');
    close.addEventListener('click', () => {
      this.openId = null;
      if (this.waitTimer) clearInterval(this.waitTimer);
      this.detail.hidden = true;
    });
    const waiting =
      this.waiting === 'unread'
        ? 'reading…'
        : this.waiting === null
          ? 'the source node could not say just now'
          : JSON.stringify(this.waiting, null, 2);
    this.detail.hidden = false;
    this.detail.replaceChildren(
      h('h3', {}, `Transfer ${shortHex(t.id, 18)} `, close),
      h(
        'p',
        {},
        `${m.nameOf(t.from)} → ${m.nameOf(t.to)}: `,
        h('span', { class: `phase ${t.phase}`, 'data-detail-phase': t.phase }, t.phase),
        ` — waits for ${WAITS_FOR[t.phase]?.words ?? '?'}`,
      ),
      h(
        'table',
        { class: 'timeline' },
        h('tr', {}, h('th', {}, 'phase'), h('th', {}, 'at'), h('th', {}, 'after start')),
        ...t.history.map((p) =>
          h(
            'tr',
            {},
            h('td', { class: `phase ${p.phase}` }, p.phase),
            h('td', {}, clock(Number(p.atMs))),
            h('td', {}, `+${Number(p.atMs) - start} ms`),
          ),
        ),
      ),
      h(
        'table',
        {},
        ...heights
          .filter(([, v]) => v !== null)
          .map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v!))),
        ...(t.deadlineMs
          ? [h('tr', {}, h('th', {}, 'deadline'), h('td', {}, clock(Number(t.deadlineMs))))]
          : []),
        ...(t.failure
          ? [h('tr', {}, h('th', {}, 'failure'), h('td', {}, `${t.failure.code}: ${t.failure.reason}`))]
          : []),
      ),
      h('h4', {}, 'explained status (GET /v1/transfers/:id, waiting)'),
      h('pre', { 'data-waiting': '' }, waiting),
    );
  }
}
