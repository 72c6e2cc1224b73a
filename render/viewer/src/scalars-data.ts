/**
 * The data side of the scalars dashboard (scalars.ts): every numeric series in a run's metrics.jsonl,
 * env steps mapped to seconds of training through timing.jsonl, runs grouped by their configuration with
 * a band, and the CSV / JSON of what is shown. Pure (no DOM), so Node tests can check it.
 */
import type { MetricRecord, TimingRecord } from '../../../formats/api-types.js';

/** One series of one run as logged: `steps[i]`, `values[i]` in file order (several records may share a step). */
export interface RawSeries {
  steps: number[];
  values: number[];
}

/** Fields of a metrics record that are not series: where it was logged, what kind, how many updates it averages. */
const NOT_SERIES = new Set(['kind', 'step', 'updates']);

/**
 * Every numeric field of every record kind, as series named `<kind>/<field>` (e.g. `update/loss`,
 * `episode/return`, `eval/mean`), in the order the records were written. Arrays, booleans and strings
 * (e.g. an eval's per-episode returns) are not scalars and are left out.
 */
export function seriesOf(records: readonly MetricRecord[]): Map<string, RawSeries> {
  const out = new Map<string, RawSeries>();
  for (const r of records) {
    for (const [field, v] of Object.entries(r)) {
      if (NOT_SERIES.has(field) || typeof v !== 'number' || !Number.isFinite(v)) continue;
      const tag = `${r.kind}/${field}`;
      let s = out.get(tag);
      if (!s) out.set(tag, (s = { steps: [], values: [] }));
      s.steps.push(r.step);
      s.values.push(v);
    }
  }
  return out;
}

/** The order series are listed in: returns and evaluations first, then the rest by name. */
export function compareTags(a: string, b: string): number {
  const rank = (t: string) => (t === 'eval/mean' ? 0 : t === 'episode/return' ? 1 : t.startsWith('eval/') ? 2 : t.startsWith('episode/') ? 3 : 4);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/**
 * Seconds of training at an env step, from timing.jsonl (one {step, wall} per evaluation): linear between
 * the records (and from step 0 at 0 s); past the last record, at the average rate so far. null when the
 * run has no timing records.
 */
export function secondsAtStep(timing: readonly TimingRecord[]): ((step: number) => number) | null {
  const pts = [{ step: 0, wall: 0 }, ...timing.filter((t) => Number.isFinite(t.step) && Number.isFinite(t.wall))].sort((a, b) => a.step - b.step);
  if (pts.length < 2) return null;
  const last = pts[pts.length - 1];
  const rate = last.step > 0 ? last.wall / last.step : 0;
  return (step) => {
    if (step >= last.step) return last.wall + (step - last.step) * rate;
    let lo = 0;
    let hi = pts.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (pts[mid].step <= step) lo = mid;
      else hi = mid;
    }
    const a = pts[lo];
    const b = pts[hi];
    return b.step === a.step ? b.wall : a.wall + ((step - a.step) / (b.step - a.step)) * (b.wall - a.wall);
  };
}

/** Sorted unique x with the values at an x averaged (a chart line wants one y per x). */
export function averagedByX(xs: readonly number[], ys: readonly number[]): { xs: number[]; ys: number[] } {
  const pairs = xs.map((x, i) => [x, ys[i]] as const).sort((a, b) => a[0] - b[0]);
  const outX: number[] = [];
  const outY: number[] = [];
  let count = 0;
  for (const [x, y] of pairs) {
    if (outX.length && outX[outX.length - 1] === x) outY[outY.length - 1] += (y - outY[outY.length - 1]) / ++count;
    else {
      outX.push(x);
      outY.push(y);
      count = 1;
    }
  }
  return { xs: outX, ys: outY };
}

/** Config keys that differ between seeds of one experiment or between machines, not between experiments. */
const NOT_CONFIG = new Set(['seed', 'createdAt', 'tsgymVersion', 'versions', 'backend', 'budgetExtensions']);

/** Runs with the same key had the same configuration apart from the seed (and where and when they ran). */
export function configKey(config: Record<string, unknown> | null, fallback: string): string {
  if (!config) return fallback;
  const kept = Object.keys(config)
    .filter((k) => !NOT_CONFIG.has(k))
    .sort()
    .map((k) => [k, config[k]]);
  return JSON.stringify(kept);
}

/** A group's curve: at each x, the mean over its runs and the band from their lowest to their highest value. */
export interface GroupCurve {
  xs: number[];
  mean: number[];
  low: number[];
  high: number[];
}

/**
 * Aggregates the runs of a group on the union of their x values inside the range every run covers (from
 * the latest first x to the earliest last x: no run is extended past its end). A run's value at x is its
 * last value at or before x.
 */
export function groupCurve(curves: readonly { xs: number[]; ys: number[] }[]): GroupCurve {
  const live = curves.filter((c) => c.xs.length);
  if (!live.length) return { xs: [], mean: [], low: [], high: [] };
  const start = Math.max(...live.map((c) => c.xs[0]));
  const end = Math.min(...live.map((c) => c.xs[c.xs.length - 1]));
  const xs = [...new Set(live.flatMap((c) => c.xs.filter((x) => x >= start && x <= end)))].sort((a, b) => a - b);
  const idx = live.map(() => 0);
  const out: GroupCurve = { xs, mean: [], low: [], high: [] };
  for (const x of xs) {
    const vals = live.map((c, k) => {
      while (idx[k] + 1 < c.xs.length && c.xs[idx[k] + 1] <= x) idx[k]++;
      return c.ys[idx[k]];
    });
    out.mean.push(vals.reduce((a, b) => a + b, 0) / vals.length);
    out.low.push(Math.min(...vals));
    out.high.push(Math.max(...vals));
  }
  return out;
}

/** One CSV cell: quoted when it holds a comma, quote or line break. */
function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per logged value shown: the run, the series, its step, seconds of training (when known) and the value as logged. */
export interface CsvRow {
  run: string;
  series: string;
  step: number;
  seconds: number | null;
  value: number;
}

export const CSV_HEADER = ['run', 'series', 'step', 'seconds', 'value'] as const;

export function toCsv(rows: readonly CsvRow[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) lines.push([r.run, r.series, r.step, r.seconds, r.value].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}
