/**
 * A sortable table of runs with a column per configuration value that differs between them (a sweep's
 * hyperparameters), their results, and the same runs as parallel coordinates (one vertical axis per
 * numeric or categorical column, one line per run in its colour). Used by the scalars dashboard; any page
 * with a set of runs (a sweep, a tuning study) can show it.
 */
import type { RunInfo } from '../../../formats/api-types.js';
import { el, formatNumber } from './hud.js';

export type Cell = number | string | boolean | null;

export interface TableRun {
  info: RunInfo;
  color: string;
}

interface Column {
  key: string;
  label: string;
  value: (r: RunInfo) => Cell;
  /** Whether the column is a configuration value (drawn as a parallel-coordinates axis with the results). */
  config: boolean;
}

/** A run's configuration flattened to dotted keys: `hyperparams.lr`, `totalSteps`, `envKwargs.slip`… */
export function flatConfig(config: Record<string, unknown> | null): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (['createdAt', 'tsgymVersion', 'versions', 'budgetExtensions'].includes(k) && !prefix) continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${prefix}${k}.`);
      else out[`${prefix}${k}`] = v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : JSON.stringify(v);
    }
  };
  if (config) walk(config, '');
  return out;
}

/** The configuration keys whose values differ between `runs` (all of them for a single run would say nothing: none). */
export function differingKeys(runs: readonly RunInfo[], limit = 12): string[] {
  const flat = runs.map((r) => flatConfig(r.config));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => k !== 'seed' && k !== 'runName');
  return keys.filter((k) => new Set(flat.map((f) => JSON.stringify(f[k] ?? null))).size > 1).slice(0, limit);
}

const RESULT_COLUMNS: Column[] = [
  { key: 'status', label: 'status', value: (r) => r.summary?.status ?? 'running', config: false },
  { key: 'steps', label: 'steps', value: (r) => r.summary?.steps ?? null, config: false },
  { key: 'finalEval', label: 'final eval', value: (r) => r.summary?.finalEval?.mean ?? null, config: false },
  { key: 'bestEval', label: 'best eval', value: (r) => r.summary?.bestEval?.mean ?? null, config: false },
];

function compareCells(a: Cell, b: Cell): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1; // missing values last either way
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

const formatCell = (v: Cell) => (v === null ? '—' : typeof v === 'number' ? formatNumber(v) : String(v));

export class RunTable {
  readonly root = el('div', 'run-table');
  private readonly table = el('table');
  private readonly canvas = el('canvas', 'parallel');
  private runs: TableRun[] = [];
  private sortKey = 'finalEval';
  private descending = true;
  /** For tests: the columns and the run order shown. */
  columns: string[] = [];
  order: string[] = [];
  /** For tests: the parallel-coordinates axes drawn. */
  axes: string[] = [];

  constructor() {
    const wrap = el('div', 'table-wrap');
    wrap.append(this.table);
    this.root.append(wrap, this.canvas);
  }

  show(runs: TableRun[]): void {
    this.runs = runs;
    this.draw();
  }

  /** Sorts by a column (a second call on the same column reverses the order). */
  sortBy(key: string): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = key === 'finalEval' || key === 'bestEval';
    }
    this.draw();
  }

  private draw(): void {
    const infos = this.runs.map((r) => r.info);
    const config: Column[] = differingKeys(infos).map((k) => ({ key: `config:${k}`, label: k.replace(/^hyperparams\./, ''), value: (r) => flatConfig(r.config)[k] ?? null, config: true }));
    const columns: Column[] = [{ key: 'run', label: 'run', value: (r) => r.id, config: false }, ...config, ...RESULT_COLUMNS];
    if (!columns.some((c) => c.key === this.sortKey)) this.sortKey = 'finalEval';
    const col = columns.find((c) => c.key === this.sortKey)!;
    const sorted = this.runs.slice().sort((a, b) => {
      const d = compareCells(col.value(a.info), col.value(b.info));
      const missing = col.value(a.info) === null || col.value(b.info) === null;
      return missing || !this.descending ? d : -d;
    });
    this.columns = columns.map((c) => c.label);
    this.order = sorted.map((r) => r.info.id);
    const head = el('tr');
    for (const c of columns) {
      const th = el('th', c.key === this.sortKey ? 'sorted' : undefined, `${c.label}${c.key === this.sortKey ? (this.descending ? ' ▼' : ' ▲') : ''}`);
      th.dataset.key = c.key;
      th.title = 'sort by this column (again: reverse)';
      th.addEventListener('click', () => this.sortBy(c.key));
      head.append(th);
    }
    this.table.replaceChildren(head);
    for (const r of sorted) {
      const tr = el('tr');
      columns.forEach((c, i) => {
        const td = el('td', undefined, formatCell(c.value(r.info)));
        if (i === 0) {
          const swatch = el('span', 'swatch');
          swatch.style.background = r.color;
          td.prepend(swatch);
        }
        tr.append(td);
      });
      this.table.append(tr);
    }
    this.drawParallel(sorted, [...config, RESULT_COLUMNS[2]]);
  }

  private drawParallel(runs: TableRun[], columns: Column[]): void {
    const axes = columns.filter((c) => runs.some((r) => c.value(r.info) !== null));
    this.axes = axes.map((c) => c.label);
    drawParallelCoordinates(
      this.canvas,
      Math.max(320, Math.min(1100, this.root.clientWidth || 800)),
      axes.map((c) => c.label),
      runs.map((r) => ({ color: r.color, values: axes.map((c) => c.value(r.info)) })),
    );
  }
}

/**
 * Parallel coordinates on `canvas`: one vertical axis per label, bottom to top from its lowest to its highest
 * value (a log scale when every value is positive and they span more than a factor of 100, as learning rates
 * do; categories evenly spaced), one line per row through its values (null: a gap), in the row's colour.
 */
export function drawParallelCoordinates(canvas: HTMLCanvasElement, width: number, labels: string[], rows: { color: string; values: Cell[] }[]): void {
  const height = labels.length > 1 ? 220 : 0;
  const dpr = devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  if (labels.length < 2) return;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const top = 28;
  const bottom = height - 24;
  const xOf = (i: number) => 40 + (i * (width - 80)) / (labels.length - 1);
  const scales = labels.map((_label, i) => {
    const vals = rows.map((r) => r.values[i]).filter((v): v is Exclude<Cell, null> => v !== null);
    if (vals.every((v) => typeof v === 'number')) {
      const nums = vals as number[];
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      const log = lo > 0 && hi / lo > 100;
      const f = (v: number) => (log ? Math.log(v) : v);
      return { pos: (v: Cell) => (hi === lo ? 0.5 : (f(v as number) - f(lo)) / (f(hi) - f(lo))), ends: [formatNumber(lo), formatNumber(hi)] };
    }
    const cats = [...new Set(vals.map(String))].sort();
    return { pos: (v: Cell) => (cats.length === 1 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1)), ends: [cats[0], cats[cats.length - 1]] };
  });
  const yOf = (p: number) => bottom - p * (bottom - top);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  labels.forEach((label, i) => {
    ctx.strokeStyle = '#b9b3a5';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(xOf(i), top);
    ctx.lineTo(xOf(i), bottom);
    ctx.stroke();
    ctx.fillStyle = '#24262b';
    ctx.fillText(label, xOf(i), 12);
    ctx.fillStyle = '#6b6f78';
    ctx.fillText(scales[i].ends[1], xOf(i), top - 4);
    ctx.fillText(scales[i].ends[0], xOf(i), bottom + 14);
  });
  ctx.lineWidth = 2;
  for (const r of rows) {
    ctx.strokeStyle = r.color;
    ctx.beginPath();
    let drawing = false;
    r.values.forEach((v, i) => {
      if (v === null) {
        drawing = false;
        return;
      }
      const y = yOf(scales[i].pos(v));
      if (drawing) ctx.lineTo(xOf(i), y);
      else ctx.moveTo(xOf(i), y);
      drawing = true;
    });
    ctx.stroke();
  }
}
