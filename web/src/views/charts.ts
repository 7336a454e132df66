// Two small charts drawn by hand: an SVG sparkline and a stacked area chart on a canvas (a canvas
// keeps the phase chart's cost flat however many samples it holds).
import { s } from '../dom.js';
import type { PhaseSample } from '../model.js';
import { PHASES, type TransferPhase } from '../wire.js';

export const PHASE_COLOURS: Record<TransferPhase, string> = {
  requested: '#adb5bd',
  sourceCommitted: '#74c0fc',
  rootSynced: '#4dabf7',
  claimed: '#9775fa',
  confirmed: '#40c057',
  refundable: '#ffa94d',
  refunded: '#f08c00',
  failed: '#fa5252',
  expired: '#c92a2a',
};

/** A polyline of `values` scaled into a w x h box (max at the top). */
export function sparkline(values: number[], w = 200, h = 28): SVGElement {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`);
  return s(
    'svg',
    { class: 'spark', viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: 'none' },
    s('title', {}, `transactions per block, last ${values.length} blocks (max ${max})`),
    s('polyline', { points: points.join(' ') }),
  );
}

/** Counts by phase over time, stacked, newest on the right. */
export function drawPhaseChart(canvas: HTMLCanvasElement, series: PhaseSample[]): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
  if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (series.length === 0) return;
  // One sample draws as a flat band until the second arrives.
  if (series.length === 1) series = [series[0]!, series[0]!];
  let max = 1;
  for (const p of series) {
    let total = 0;
    for (const ph of PHASES) total += p.counts[ph];
    max = Math.max(max, total);
  }
  const x = (i: number) => (i / (series.length - 1)) * w;
  const y = (v: number) => h - (v / max) * (h - 4);
  const base = new Float64Array(series.length);
  for (const ph of PHASES) {
    ctx.beginPath();
    for (let i = 0; i < series.length; i++) ctx.lineTo(x(i), y(base[i]! + series[i]!.counts[ph]));
    for (let i = series.length - 1; i >= 0; i--) ctx.lineTo(x(i), y(base[i]!));
    ctx.closePath();
    ctx.fillStyle = PHASE_COLOURS[ph];
    ctx.fill();
    for (let i = 0; i < series.length; i++) base[i]! += series[i]!.counts[ph];
  }
  ctx.fillStyle = '#1d2330';
  ctx.font = '10px system-ui';
  ctx.fillText(String(max), 2, 10);
}
