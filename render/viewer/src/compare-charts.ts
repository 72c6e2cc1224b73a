/**
 * Charts of the comparison page: learning curves aggregated over seeds (IQM line with its bootstrap band,
 * uPlot), interval plots (final-score IQM, median and mean, or steps to threshold, with 95% CIs per agent,
 * a canvas drawn by hand, after the interval plots of Agarwal et al. 2021), the performance profile and
 * the fraction of runs solved by each step (uPlot step lines).
 *
 * Score axes run from the env's floor (its random-policy return, or 0) to its maximum return where it has
 * one, so a 10-point gap near 500 looks like 10 points out of 500, not like the whole range.
 */
import uPlot from 'uplot';
import type { ComparisonReport } from '../../../formats/api-types.js';
import { el, formatNumber } from './hud.js';
import { emaSmooth, niceAxis, type NiceAxis } from './ticks.js';
import { kaplanMeier } from '../../../experiments/stats.js';

const PALETTE = ['#1f77b4', '#e8590c', '#2f9e44', '#9c36b5', '#c92a2a', '#0c8599', '#5c940d', '#d6336c'];

/** The colour of the i-th agent, the same on every chart. */
export function agentColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** `#rrggbb` with an alpha, for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Draws on a uPlot canvas clipped to its plot area (in a `drawAxes` hook: under the series). */
export function drawClipped(u: uPlot, draw: (ctx: CanvasRenderingContext2D) => void): void {
  const ctx = u.ctx;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  draw(ctx);
  ctx.restore();
}

/** A shaded band from `low` to `high` over `xs`, in plot coordinates. */
export function fillBand(u: uPlot, ctx: CanvasRenderingContext2D, xs: readonly number[], low: readonly number[], high: readonly number[], fill: string): void {
  if (!xs.length) return;
  ctx.fillStyle = fill;
  ctx.beginPath();
  tracePath(u, ctx, xs, high);
  for (let k = xs.length - 1; k >= 0; k--) ctx.lineTo(u.valToPos(xs[k], 'x', true), u.valToPos(low[k], 'y', true));
  ctx.closePath();
  ctx.fill();
}

/** A thin line through (xs, ys), e.g. raw values under their smoothed line. */
export function strokeLine(u: uPlot, ctx: CanvasRenderingContext2D, xs: readonly number[], ys: readonly number[], stroke: string): void {
  ctx.strokeStyle = stroke;
  ctx.lineWidth = devicePixelRatio;
  ctx.beginPath();
  tracePath(u, ctx, xs, ys);
  ctx.stroke();
}

/** Moves to the first point and draws lines through the others. */
function tracePath(u: uPlot, ctx: CanvasRenderingContext2D, xs: readonly number[], ys: readonly number[]): void {
  xs.forEach((x, k) => {
    const px = u.valToPos(x, 'x', true);
    const py = u.valToPos(ys[k], 'y', true);
    if (k === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
}

/** A legend value: under the cursor while hovering, else the series' latest value (not uPlot's "--"). */
function latestLegend(ys: readonly (number | null)[], format: (v: number) => string = formatNumber): uPlot.Series['value'] {
  let last: number | null = null;
  for (let i = ys.length - 1; i >= 0 && last === null; i--) last = ys[i];
  const latest = last === null ? '—' : format(last);
  return (_u, v, _s, idx) => (idx === null ? latest : v === null ? '—' : format(v));
}

const stepsLegend = (xs: readonly number[]) => latestLegend(xs, (v) => v.toLocaleString('en'));

const chartWidth = (host: HTMLElement) => Math.max(280, Math.min(900, host.clientWidth || 640));

/** The score range a report's axes should cover: its floor and ceiling (when known) around the data. */
export function scoreAxis(report: ComparisonReport, lows: number[], highs: number[], count = 5): NiceAxis {
  const scale = report.scoreScale ?? { floor: 0, ceiling: null };
  const lo = Math.min(scale.floor, ...lows);
  const hi = Math.max(scale.ceiling ?? -Infinity, ...highs);
  return niceAxis(lo, Number.isFinite(hi) ? hi : lo + 1, count);
}

/** Agent labels that carry the budget when the agents' budgets differ. */
export function budgetLabel(report: ComparisonReport, agent: string): string {
  const a = report.agentReports.find((x) => x.agent === agent);
  const differ = report.method.budgetsDiffer ?? new Set(report.agentReports.flatMap((x) => x.totalSteps)).size > 1;
  return differ && a ? `${agent} (budget ${a.totalSteps.map((t) => t.toLocaleString('en')).join('/')})` : agent;
}

/** IQM curves over env steps with a shaded band per agent. */
export class CurvesChart {
  readonly root = el('div', 'compare-chart');
  private plot: uPlot | null = null;
  /** The return axis drawn (tests: its ticks stay within the data and the threshold). */
  yAxis: NiceAxis | null = null;

  show(report: ComparisonReport): void {
    this.plot?.destroy();
    const agents = report.agents.filter((a) => report.curves[a]?.steps.length);
    // uPlot wants one x array: the union of the agents' grids, each agent null where it has no point.
    const xs = [...new Set(agents.flatMap((a) => report.curves[a].steps))].sort((a, b) => a - b);
    const ys = agents.map((a) => {
      const c = report.curves[a];
      const at = new Map(c.steps.map((s, i) => [s, c.point[i]]));
      return xs.map((x) => at.get(x) ?? null);
    });
    const bands = agents.map((a) => report.curves[a]);
    const colors = agents.map((a) => agentColor(report.agents.indexOf(a)));
    const threshold = report.rewardThreshold;
    // The y range covers the env's floor and ceiling, the bands and the threshold; ticks are round numbers inside it.
    const lows = bands.flatMap((b) => b.low).concat(threshold ?? []);
    const highs = bands.flatMap((b) => b.high).concat(threshold ?? []);
    const axis = lows.length ? scoreAxis(report, lows, highs) : null;
    this.yAxis = axis;
    this.plot = new uPlot(
      {
        width: chartWidth(this.root),
        height: 300,
        scales: { x: { time: false }, ...(axis ? { y: { range: (): uPlot.Range.MinMax => [axis.min, axis.max] } } : {}) },
        axes: [{ label: 'env steps', size: 40 }, { label: 'eval return (IQM over seeds)', size: 60, ...(axis ? { splits: () => axis.ticks } : {}) }],
        series: [
          { label: 'env steps', value: stepsLegend(xs) },
          ...agents.map((a, i) => ({ label: budgetLabel(report, a), stroke: colors[i], width: 2.5, spanGaps: true, points: { show: xs.length <= 60, size: 5, fill: colors[i] }, value: latestLegend(ys[i]) })),
        ],
        legend: { live: true },
        hooks: {
          // Bands under the lines: drawn after the axes, before the series.
          drawAxes: [
            (u: uPlot) =>
              drawClipped(u, (ctx) => {
                bands.forEach((b, i) => fillBand(u, ctx, b.steps, b.low, b.high, withAlpha(colors[i], 0.2)));
                if (threshold === null) return;
                const y = u.valToPos(threshold, 'y', true);
                ctx.strokeStyle = '#868e96';
                ctx.setLineDash([6, 4]);
                ctx.lineWidth = devicePixelRatio;
                ctx.beginPath();
                ctx.moveTo(u.bbox.left, y);
                ctx.lineTo(u.bbox.left + u.bbox.width, y);
                ctx.stroke();
              }),
          ],
        },
      },
      [xs, ...ys] as uPlot.AlignedData,
      this.root,
    );
  }
}

/** Fraction of runs above each return threshold, one step line per agent. */
export class ProfileChart {
  readonly root = el('div', 'compare-chart');
  private plot: uPlot | null = null;

  show(report: ComparisonReport): void {
    this.plot?.destroy();
    const { thresholds, fractions } = report.performanceProfile;
    const stepped = uPlot.paths.stepped!({ align: 1 });
    this.plot = new uPlot(
      {
        width: chartWidth(this.root),
        height: 220,
        scales: { x: { time: false }, y: { range: [0, 1.02] } },
        axes: [{ label: 'final return τ', size: 40 }, { label: 'fraction of runs > τ', size: 60 }],
        series: [{ label: 'τ' }, ...report.agents.map((a, i) => ({ label: a, stroke: agentColor(i), width: 2, paths: stepped, points: { show: false } }))],
      },
      [thresholds, ...report.agents.map((a) => fractions[a] ?? thresholds.map(() => null))] as uPlot.AlignedData,
      this.root,
    );
  }
}

/** One panel of an {@link IntervalsChart}: a statistic per row on its own axis. */
export interface IntervalPanel {
  name: string;
  /** Per row; `high` may be +∞ (an interval open above: drawn to the edge with an arrow). null: nothing to draw. */
  values: ({ point: number; low: number; high: number } | null)[];
  axis: NiceAxis;
  format?: (v: number) => string;
}

/** Per row (agent) and panel (statistic): the point and its 95% CI, one axis per panel. */
export class IntervalsChart {
  readonly root = el('div', 'compare-chart');
  readonly canvas = el('canvas', 'intervals');
  /** The first panel's axis (tests: round ticks inside the data). */
  axis: NiceAxis | null = null;

  constructor() {
    this.root.append(this.canvas);
  }

  show(rows: { label: string; color: string }[], panels: IntervalPanel[], caption: string): void {
    const n = rows.length;
    const width = chartWidth(this.root);
    const rowH = 26;
    const top = 24;
    const labelW = 90;
    const gap = 16;
    const height = top + n * rowH + 34;
    const dpr = devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    this.axis = panels[0]?.axis ?? null;
    const panelW = (width - labelW - gap * (panels.length - 1)) / Math.max(1, panels.length);
    rows.forEach((r, i) => {
      ctx.fillStyle = '#24262b';
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(r.label, labelW - 8, top + i * rowH + rowH / 2);
    });
    panels.forEach((panel, p) => {
      const { axis } = panel;
      const x0 = labelW + p * (panelW + gap);
      const xOf = (v: number) => x0 + ((Math.min(Math.max(v, axis.min), axis.max) - axis.min) / (axis.max - axis.min)) * panelW;
      ctx.fillStyle = '#24262b';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'alphabetic';
      ctx.fillText(panel.name, x0 + panelW / 2, 14);
      ctx.strokeStyle = '#e2ddd0';
      ctx.lineWidth = 1;
      ctx.strokeRect(x0 + 0.5, top + 0.5, panelW - 1, n * rowH - 1);
      for (let i = 0; i < n; i++) {
        const ci = panel.values[i];
        const y = top + i * rowH + rowH / 2;
        if (!ci) {
          ctx.fillStyle = '#6b6f78';
          ctx.textAlign = 'left';
          ctx.textBaseline = 'middle';
          ctx.fillText('not reached', x0 + 6, y);
          continue;
        }
        ctx.fillStyle = rows[i].color;
        const left = xOf(ci.low);
        const right = xOf(ci.high);
        ctx.fillRect(left, y - 7, Math.max(2, right - left), 14);
        if (ci.high === Infinity) {
          // Open above: the interval reaches past what the runs observed.
          ctx.beginPath();
          ctx.moveTo(right, y - 9);
          ctx.lineTo(right + 7, y);
          ctx.lineTo(right, y + 9);
          ctx.fill();
        }
        if (Number.isFinite(ci.point)) {
          ctx.fillStyle = '#111';
          ctx.fillRect(xOf(ci.point) - 1, y - 9, 2, 18);
        }
      }
      ctx.fillStyle = '#6b6f78';
      ctx.textBaseline = 'top';
      const format = panel.format ?? formatTick;
      axis.ticks.forEach((v, k) => {
        const x = xOf(v);
        ctx.fillRect(x, top + n * rowH, 1, 3);
        ctx.textAlign = k === 0 && x - x0 < 12 ? 'left' : k === axis.ticks.length - 1 && x0 + panelW - x < 12 ? 'right' : 'center';
        ctx.fillText(format(v), x, top + n * rowH + 4);
      });
    });
    ctx.textAlign = 'center';
    ctx.fillStyle = '#6b6f78';
    ctx.fillText(caption, labelW + (width - labelW) / 2, top + n * rowH + 19);
  }
}

/**
 * The fraction of each agent's runs that have reached the threshold by each env step (1 − Kaplan–Meier
 * survival: a run that ended unsolved leaves the count there), one step line per agent.
 */
export class SolvedByStepChart {
  readonly root = el('div', 'compare-chart');
  private plot: uPlot | null = null;

  show(report: ComparisonReport): void {
    this.plot?.destroy();
    const agents = report.agentReports.filter((a) => a.stepsToThreshold);
    const end = Math.max(...report.runs.map((r) => r.steps));
    const curves = agents.map((a) => {
      const t = a.stepsToThreshold!;
      // A report without censoring times (an earlier format) trained every run to its budget.
      const km = kaplanMeier(t.perSeed.map((v, i) => (v === null ? { time: t.censoredAt?.[i] ?? end, reached: false } : { time: v, reached: true })));
      return new Map(km.times.map((s, k) => [s, 1 - km.survival[k]]));
    });
    const xs = [...new Set([0, ...curves.flatMap((c) => [...c.keys()]), end])].sort((a, b) => a - b);
    const ys = curves.map((c) => {
      let last = 0;
      return xs.map((x) => (last = c.get(x) ?? last));
    });
    const stepped = uPlot.paths.stepped!({ align: 1 });
    this.plot = new uPlot(
      {
        width: chartWidth(this.root),
        height: 220,
        scales: { x: { time: false }, y: { range: [0, 1.02] } },
        axes: [{ label: 'env steps', size: 40 }, { label: 'fraction of runs solved', size: 60 }],
        series: [{ label: 'env steps', value: stepsLegend(xs) }, ...agents.map((a, i) => ({ label: a.agent, stroke: agentColor(report.agents.indexOf(a.agent)), width: 2, paths: stepped, points: { show: false }, value: latestLegend(ys[i]) }))],
      },
      [xs, ...ys] as uPlot.AlignedData,
      this.root,
    );
  }

  hide(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}

function formatTick(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** One run's scalar series for {@link RunsChart}. */
export interface RunSeries {
  run: string;
  agent: string;
  color: string;
  steps: number[];
  values: number[];
}

/**
 * Every run's curve on one plot, TensorBoard-style: the raw values faint, an exponential moving average
 * (weight set by a slider) drawn over them, one colour per agent.
 */
export class RunsChart {
  readonly root = el('div', 'compare-chart');
  private plot: uPlot | null = null;
  private runs: RunSeries[] = [];
  private yLabel = '';
  private scale: { floor: number; ceiling: number | null } | null = null;
  smoothing = 0.6;
  /** What is drawn, for tests: per run its last raw and smoothed value. */
  summary: { run: string; points: number; lastRaw: number | null; lastSmoothed: number | null }[] = [];

  /** `scale`: the env's score floor and ceiling, which the y axis covers besides the data. */
  show(runs: RunSeries[], yLabel: string, scale: { floor: number; ceiling: number | null } | null = null): void {
    this.runs = runs;
    this.yLabel = yLabel;
    this.scale = scale;
    this.draw();
  }

  setSmoothing(w: number): void {
    this.smoothing = w;
    this.draw();
  }

  private draw(): void {
    this.plot?.destroy();
    this.plot = null;
    this.summary = [];
    const runs = this.runs.filter((r) => r.steps.length);
    if (!runs.length) return;
    const tables: uPlot.AlignedData[] = [];
    const series: uPlot.Series[] = [{ label: 'env steps', value: stepsLegend([...new Set(runs.flatMap((r) => r.steps))].sort((a, b) => a - b)) }];
    for (const r of runs) {
      const smooth = emaSmooth(r.values, this.smoothing);
      tables.push([r.steps, smooth]);
      series.push({ label: r.run, stroke: r.color, width: 1.8, spanGaps: true, points: { show: r.steps.length <= 20, size: 4, fill: r.color }, value: latestLegend(smooth) });
      this.summary.push({ run: r.run, points: r.steps.length, lastRaw: r.values[r.values.length - 1] ?? null, lastSmoothed: smooth[smooth.length - 1] ?? null });
    }
    const all = runs.flatMap((r) => r.values).filter((v) => Number.isFinite(v));
    const axis = niceAxis(Math.min(this.scale?.floor ?? Infinity, ...all), Math.max(this.scale?.ceiling ?? -Infinity, ...all));
    const smoothing = this.smoothing;
    this.plot = new uPlot(
      {
        width: chartWidth(this.root),
        height: 300,
        scales: { x: { time: false }, y: { range: (): uPlot.Range.MinMax => [axis.min, axis.max] } },
        axes: [{ label: 'env steps', size: 40 }, { label: this.yLabel, size: 60, splits: () => axis.ticks }],
        series,
        legend: { live: true },
        hooks: {
          // The raw values, faint, under the smoothed lines (drawn here so the legend lists each run once).
          drawAxes: [
            (u: uPlot) => {
              if (smoothing <= 0) return;
              drawClipped(u, (ctx) => {
                for (const r of runs) strokeLine(u, ctx, r.steps, r.values, withAlpha(r.color, 0.25));
              });
            },
          ],
        },
      },
      uPlot.join(tables),
      this.root,
    );
  }
}
