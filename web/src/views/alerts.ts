// Alerts, newest first: equivocation and frozen views, refusals, refunds, refused claims, failed
// transfers and unreachable nodes; each opens its evidence (the sync edge or the transfer).
import { byId, clock, h } from '../dom.js';
import type { Alert, Model } from '../model.js';

/** Alerts drawn; the model keeps more. */
const ALERTS_SHOWN_MAX = 100;

export class AlertsView {
  private readonly list = byId('alerts');
  private readonly count = byId('alert-count');

  constructor(
    private readonly model: Model,
    private readonly openRef: (ref: NonNullable<Alert['ref']>) => void,
  ) {
    this.list.addEventListener('pointerdown', (ev) => {
      const seq = Number((ev.target as Element).closest('[data-alert]')?.getAttribute('data-alert'));
      const a = this.model.alerts.find((x) => x.seq === seq);
      if (a?.ref) this.openRef(a.ref);
    });
  }

  render(): void {
    const alerts = this.model.alerts;
    this.count.textContent = `(${alerts.length})`;
    this.list.replaceChildren(
      ...alerts.slice(0, ALERTS_SHOWN_MAX).map((a) =>
        h(
          'li',
          {
            class: a.kind,
            'data-alert': a.seq,
            'data-kind': a.kind,
            title: a.ref ? 'open the evidence' : '',
          },
          h('time', {}, clock(a.atMs)),
          h('b', {}, a.kind),
          ' ',
          a.text,
          a.count > 1 ? ` (×${a.count})` : '',
        ),
      ),
    );
  }
}
