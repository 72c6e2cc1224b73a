/**
 * The learning curve beside the replay (uPlot): training episode returns (raw, faint, and smoothed by an
 * exponential moving average whose weight a slider sets) and evaluation mean returns against env steps, for one run or two (side-by-side mode), with a
 * vertical line at the checkpoint step of each shown episode.
 */
import uPlot from 'uplot';
import type { MetricRecord, MetricsResponse } from '../../../formats/api-types.js';
import { el, formatNumber } from './hud.js';
import { emaSmooth } from './ticks.js';

export interface CurveInput {
  run: string;
  metrics: MetricsResponse & { error?: string };
  /** Checkpoint steps of the episodes shown from this run, drawn as vertical lines. */
  markerSteps: number[];
}

const PALETTE = [
  { train: 'rgba(31, 119, 180, 0.25)', avg: '#1f77b4', eval: '#0b3d91' },
  { train: 'rgba(232, 89, 12, 0.25)', avg: '#e8590c', eval: '#9c3a05' },
];
/** The smoothing slider's start, as TensorBoard's. */
export const DEFAULT_SMOOTHING = 0.6;

/** Sorted (x, y) pairs with duplicate x averaged (uPlot wants increasing, unique x per series). */
function series(points: [number, number][]): [number[], number[]] {
  points.sort((a, b) => a[0] - b[0]);
  const xs: number[] = [];
  const ys: number[] = [];
  let count = 0;
  for (const [x, y] of points) {
    if (xs.length && xs[xs.length - 1] === x) {
      count++;
      ys[ys.length - 1] += (y - ys[ys.length - 1]) / count;
    } else {
      xs.push(x);
      ys.push(y);
      count = 1;
    }
  }
  return [xs, ys];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A series' legend value: the value under the cursor while hovering, and the series' latest value when
 * the cursor is off the plot (uPlot's default there is "--").
 */
function legendValue(ys: number[]): uPlot.Series['value'] {
  const latest = ys.length ? formatNumber(ys[ys.length - 1]) : '—';
  return (_u, v, _s, idx) => (idx === null ? latest : v === null ? '—' : formatNumber(v));
}

export class LearningCurve {
  readonly root = el('div', 'curve');
  private readonly note = el('div', 'curve-note');
  private readonly plotHost = el('div', 'curve-plot');
  private readonly slider = el('input');
  private readonly sliderValue = el('span', 'smoothing-value');
  private lastInputs: CurveInput[] = [];
  /** EMA weight for the training returns (0 = raw). */
  smoothing = DEFAULT_SMOOTHING;
  private plot: uPlot | null = null;
  private markers: { step: number; color: string }[] = [];
  /** What the plot shows, for tests: per series its label and number of points. */
  summary: { label: string; points: number; latest: number | null }[] = [];

  constructor() {
    const controls = el('label', 'curve-controls');
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.max = '0.99';
    this.slider.step = '0.01';
    this.slider.value = String(DEFAULT_SMOOTHING);
    this.slider.id = 'curve-smoothing';
    this.slider.setAttribute('aria-label', 'smoothing of the training returns');
    this.sliderValue.textContent = DEFAULT_SMOOTHING.toFixed(2);
    this.slider.addEventListener('input', () => {
      this.smoothing = Number(this.slider.value);
      this.sliderValue.textContent = this.smoothing.toFixed(2);
      this.show(this.lastInputs);
    });
    // Arrow keys belong to the player once the slider has been set.
    this.slider.addEventListener('change', () => this.slider.blur());
    controls.append('smoothing ', this.slider, this.sliderValue);
    this.root.append(this.plotHost, controls, this.note);
  }

  show(inputs: CurveInput[]): void {
    this.lastInputs = inputs;
    this.plot?.destroy();
    this.plot = null;
    const tables: uPlot.AlignedData[] = [];
    let lastStep = -Infinity;
    const seriesOpts: uPlot.Series[] = [{ label: 'env steps', value: (_u, v, _s, idx) => (idx === null ? `${lastStep.toLocaleString('en')} (latest)` : v === null ? '—' : v.toLocaleString('en')) }];
    const notes: string[] = [];
    this.markers = [];
    inputs.forEach((input, i) => {
      const colors = PALETTE[i % PALETTE.length];
      const tag = inputs.length > 1 ? ` (${i === 0 ? 'A' : 'B'})` : '';
      const recs: MetricRecord[] = input.metrics.records;
      const train = series(recs.filter((r) => r.kind === 'episode' && isNum(r.return)).map((r) => [r.step, r.return as number]));
      const evals = series(recs.filter((r) => r.kind === 'eval' && isNum(r.mean)).map((r) => [r.step, r.mean as number]));
      if (train[0].length) {
        const avg = emaSmooth(train[1], this.smoothing) as number[];
        tables.push([train[0], train[1]], [train[0], avg]);
        seriesOpts.push(
          { label: `train return${tag}`, stroke: colors.train, width: 1, spanGaps: true, points: { show: false }, value: legendValue(train[1]) },
          { label: `train smoothed${tag}`, stroke: colors.avg, width: 1.5, spanGaps: true, points: { show: false }, value: legendValue(avg) },
        );
        lastStep = Math.max(lastStep, train[0][train[0].length - 1]);
      }
      if (evals[0].length) {
        tables.push([evals[0], evals[1]]);
        seriesOpts.push({ label: `eval mean${tag}`, stroke: colors.eval, width: 2.5, spanGaps: true, points: { show: true, size: 6, fill: colors.eval }, value: legendValue(evals[1]) });
        lastStep = Math.max(lastStep, evals[0][evals[0].length - 1]);
      }
      if (input.metrics.error) notes.push(`${input.run}: ${input.metrics.error}`);
      else if (!train[0].length && !evals[0].length) notes.push(`${input.run}: no episode or eval records in metrics.jsonl yet`);
      if (input.metrics.skippedLines.length) notes.push(`${input.run}: skipped ${input.metrics.skippedLines.length} unreadable metrics line(s)`);
      for (const step of input.markerSteps) this.markers.push({ step, color: colors.eval });
    });
    this.note.textContent = notes.join(' · ');
    this.summary = [];
    if (!tables.length) return;
    const data = uPlot.join(tables);
    const markers = this.markers;
    const width = Math.max(200, this.root.clientWidth || 360);
    this.plot = new uPlot(
      {
        width,
        height: 240,
        scales: { x: { time: false } },
        axes: [{ label: 'env steps', size: 40 }, { label: 'return', size: 56 }],
        series: seriesOpts,
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
        hooks: {
          draw: [
            (u: uPlot) => {
              const ctx = u.ctx;
              for (const m of markers) {
                const x = u.valToPos(m.step, 'x', true);
                if (!Number.isFinite(x)) continue;
                ctx.save();
                ctx.strokeStyle = m.color;
                ctx.setLineDash([5, 4]);
                ctx.lineWidth = 1.5 * devicePixelRatio;
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
                ctx.restore();
              }
            },
          ],
        },
      },
      data,
      this.plotHost,
    );
    this.summary = tables.map((t, i) => {
      const ys = t[1] as number[];
      return { label: String(seriesOpts[i + 1].label), points: ys.length, latest: ys.length ? ys[ys.length - 1] : null };
    });
  }

  /** The legend's value texts as shown (tests: latest values without hovering). */
  legendValues(): string[] {
    return [...this.root.querySelectorAll('.u-legend .u-value')].map((e) => e.textContent ?? '');
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: Math.max(200, this.root.clientWidth), height: 240 });
  }
}
