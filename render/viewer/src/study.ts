/**
 * The tuning-study page (study.html, `?s=<study>`): a study made by `tsgym tune --out DIR` below the runs
 * directory — its trials (sortable), the best value so far over trial number, parallel coordinates of the
 * complete trials' parameters and value, the parameter importance (study-data.ts says how it is computed) and
 * one slice plot per parameter. It follows a running study through `api/studies/<study>/events`. With
 * `view --queue`, each trial also shows its runs' jobs (queued, running on which worker, failed, done) and the
 * re-evaluation's, followed through `api/studies/<study>/queue/events`.
 * `window.__tsgymStudy.snapshot()` exposes what is shown, for tests.
 */
import type { QueueRun, QueueRunsResponse, QueueSummary, StudyResponse } from '../../../formats/api-types.js';
import { api, followChanges } from './api.js';
import type { TrialLine } from '../../../experiments/tune/study.js';
import { el, formatNumber } from './hud.js';
import { agentColor } from './compare-charts.js';
import { drawParallelCoordinates, type Cell } from './run-table.js';
import { bestSoFar, paramImportance } from './study-data.js';
import { followQueue, queueNote, queueRunText } from './queue-cells.js';

interface StudySnapshot {
  study: string | null;
  columns: string[];
  rows: string[][];
  bestSoFar: (number | null)[];
  importance: Record<string, number>;
  slices: string[];
  liveUpdates: number;
  status: string;
  queueNote: string;
}

declare global {
  interface Window {
    __tsgymStudy?: { snapshot(): StudySnapshot; sortBy(key: string): void };
  }
}

const $ = <T extends HTMLElement | SVGElement>(id: string) => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`study page is missing #${id}`);
  return e as unknown as T;
};
const SVG = 'http://www.w3.org/2000/svg';

let current: StudyResponse | null = null;
let sortKey = 'trial';
let descending = false;
let liveUpdates = 0;
let shown: Omit<StudySnapshot, 'study' | 'liveUpdates' | 'status' | 'queueNote'> = { columns: [], rows: [], bestSoFar: [], importance: {}, slices: [] };

const setStatus = (text: string): void => {
  $<HTMLElement>('status').textContent = text;
};

interface Column {
  key: string;
  label: string;
  value: (t: TrialLine) => Cell;
}

// With `view --queue`: whether the viewer shows a queue, and the jobs of the study shown (followed live).
let queue: QueueSummary | null = null;
let queueJobs: QueueRunsResponse | null = null;
let queueSource: EventSource | null = null;

/** A trial's jobs, one per run: `seed0 running on host:pid …; seed1 queued` (the run name after its trial). */
function trialJobs(trial: number): string | null {
  const runs = (queueJobs?.runs ?? []).filter((r) => r.trial === trial);
  return runs.length ? runs.map((r: QueueRun) => `${r.run.replace(/^.*__/, '')} ${queueRunText(r)}`).join('; ') : null;
}

function columnsOf(params: string[]): Column[] {
  return [
    { key: 'trial', label: 'trial', value: (t) => t.trial },
    { key: 'state', label: 'state', value: (t) => t.state },
    { key: 'value', label: 'value', value: (t) => t.value ?? null },
    ...params.map((p) => ({ key: `param:${p}`, label: p, value: (t: TrialLine) => (t.params[p] as Cell) ?? null })),
    { key: 'scores', label: 'per-seed scores', value: (t) => (t.scores ? t.scores.map((s) => formatNumber(s)).join(', ') : null) },
    { key: 'prunedAt', label: 'pruned at step', value: (t) => t.prunedAt ?? null },
    ...(queue?.configured ? [{ key: 'queue', label: 'on the queue', value: (t: TrialLine) => trialJobs(t.trial) }] : []),
  ];
}

function compareCells(a: Cell, b: Cell): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

function sortBy(key: string): void {
  if (sortKey === key) descending = !descending;
  else {
    sortKey = key;
    descending = key === 'value';
  }
  draw();
}

function draw(): void {
  if (!current) return;
  const params = Object.keys(current.header.space);
  const trials = current.trials;
  const columns = columnsOf(params);
  const col = columns.find((c) => c.key === sortKey) ?? columns[0];
  const sorted = trials.slice().sort((a, b) => {
    const d = compareCells(col.value(a), col.value(b));
    return col.value(a) === null || col.value(b) === null || !descending ? d : -d;
  });
  const fmt = (v: Cell) => (v === null ? '—' : typeof v === 'number' ? formatNumber(v) : String(v));
  const table = $<HTMLTableElement>('trials');
  const head = el('tr');
  for (const c of columns) {
    const th = el('th', c.key === col.key ? 'sorted' : undefined, `${c.label}${c.key === col.key ? (descending ? ' ▼' : ' ▲') : ''}`);
    th.dataset.key = c.key;
    th.addEventListener('click', () => sortBy(c.key));
    head.append(th);
  }
  table.replaceChildren(head);
  const rows = sorted.map((t) => columns.map((c) => fmt(c.value(t))));
  for (const [i, r] of rows.entries()) {
    const tr = el('tr');
    tr.dataset.state = sorted[i].state;
    for (const [j, cell] of r.entries()) tr.append(el('td', columns[j].key === 'queue' ? 'queue-cell' : undefined, cell));
    table.append(tr);
  }
  const reeval = (queueJobs?.runs ?? []).filter((r) => r.trial === null);
  const note = queueJobs ? queueNote(queueJobs, 'this study') : '';
  $<HTMLElement>('queue-note').textContent = note + (reeval.length ? `; the re-evaluation on fresh seeds: ${reeval.map((r) => `${r.run} ${queueRunText(r)}`).join('; ')}` : '');
  $<HTMLElement>('queue-note').classList.toggle('error', queueJobs?.reachable === false);

  const best = bestSoFar(trials);
  drawXY($<SVGSVGElement>('best-curve'), best.map((v, i) => [i, v]), 'trial', true);

  const complete = trials.filter((t) => t.state === 'complete' && typeof t.value === 'number');
  const values = complete.map((t) => t.value!);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  drawParallelCoordinates(
    $<HTMLCanvasElement>('parallel'),
    900,
    [...params, 'value'],
    complete.map((t) => ({ color: colorOf(t.value!, lo, hi), values: [...params.map((p) => (t.params[p] as Cell) ?? null), t.value!] })),
  );

  const importance = paramImportance(trials, params);
  const imp = $<HTMLTableElement>('importance');
  const impHead = el('tr');
  impHead.append(el('th', undefined, 'parameter'), el('th', undefined, 'η² (share of variance)'));
  imp.replaceChildren(impHead);
  for (const p of [...params].sort((a, b) => importance[b] - importance[a])) {
    const tr = el('tr');
    tr.append(el('td', undefined, p), el('td', undefined, importance[p].toFixed(3)));
    imp.append(tr);
  }

  const slices = $<HTMLElement>('slices');
  slices.replaceChildren();
  for (const p of params) {
    const fig = el('figure');
    fig.append(el('figcaption', undefined, p));
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', '300');
    svg.setAttribute('height', '180');
    svg.dataset.param = p;
    fig.append(svg);
    slices.append(fig);
    const xs = complete.map((t) => t.params[p]);
    const cats = xs.every((x) => typeof x === 'number') ? null : [...new Set(xs.map(String))].sort();
    drawXY(svg, complete.map((t) => [cats ? cats.indexOf(String(t.params[p])) : (t.params[p] as number), t.value!]), p, false, cats);
  }
  shown = { columns: columns.map((c) => c.label), rows, bestSoFar: best, importance, slices: params };
}

/** Worst value blue to best red: the parallel lines' colour. */
function colorOf(v: number, lo: number, hi: number): string {
  const f = hi === lo ? 1 : (v - lo) / (hi - lo);
  return `rgb(${Math.round(40 + 200 * f)}, 70, ${Math.round(220 - 180 * f)})`;
}

/** Points (a line when `line`) on an SVG with min/max labels; categories (when given) label the x axis. */
function drawXY(svg: SVGSVGElement, pts: [number, number | null][], xLabel: string, line: boolean, cats: string[] | null = null): void {
  svg.replaceChildren();
  const w = Number(svg.getAttribute('width'));
  const h = Number(svg.getAttribute('height'));
  const data = pts.filter((p): p is [number, number] => p[1] !== null);
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  add('text', { x: w / 2, y: h - 2, 'text-anchor': 'middle', 'font-size': 11 }, xLabel);
  if (data.length === 0) return;
  const [x0, x1] = [Math.min(...data.map((p) => p[0])), Math.max(...data.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...data.map((p) => p[1])), Math.max(...data.map((p) => p[1]))];
  const logX = !cats && !line && x0 > 0 && x1 / x0 > 100;
  const fx = (x: number) => (logX ? Math.log(x) : x);
  const px = (x: number) => 40 + (x1 === x0 ? 0.5 : (fx(x) - fx(x0)) / (fx(x1) - fx(x0))) * (w - 60);
  const py = (y: number) => h - 24 - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (h - 40);
  add('text', { x: 2, y: 12, 'font-size': 10 }, formatNumber(y1));
  add('text', { x: 2, y: h - 24, 'font-size': 10 }, formatNumber(y0));
  if (cats) cats.forEach((c, i) => add('text', { x: px(i), y: h - 12, 'text-anchor': 'middle', 'font-size': 10 }, c));
  else {
    add('text', { x: 40, y: h - 12, 'font-size': 10 }, formatNumber(x0));
    add('text', { x: w - 20, y: h - 12, 'text-anchor': 'end', 'font-size': 10 }, formatNumber(x1));
  }
  if (line) add('polyline', { points: data.map((p) => `${px(p[0])},${py(p[1])}`).join(' '), fill: 'none', stroke: agentColor(0), 'stroke-width': 2 });
  for (const p of data) add('circle', { cx: px(p[0]), cy: py(p[1]), r: 3, fill: agentColor(line ? 0 : 1) });
}

let source: EventSource | null = null;

async function open(id: string): Promise<void> {
  source?.close();
  current = await api.study(id);
  draw();
  setStatus(`${current.header.agent} on ${current.header.env}: ${current.trials.length} trials`);
  source = new EventSource(api.studyEventsUrl(id));
  queueSource?.close();
  queueJobs = null;
  if (queue?.configured) {
    queueSource = followQueue(api.studyQueueEventsUrl(id), (q) => {
      queueJobs = q;
      draw();
    });
  }
  followChanges(source, (first) => {
    api.study(id)
      .then((s) => {
        current = s;
        if (!first) liveUpdates++;
        draw();
        setStatus(`${s.header.agent} on ${s.header.env}: ${s.trials.length} trials`);
      })
      .catch((e: Error) => setStatus(e.message));
  });
}

async function main(): Promise<void> {
  window.__tsgymStudy = {
    snapshot: () => ({ study: current?.id ?? null, ...shown, liveUpdates, status: $<HTMLElement>('status').textContent ?? '', queueNote: $<HTMLElement>('queue-note').textContent ?? '' }),
    sortBy,
  };
  const [{ studies }, q] = await Promise.all([api.studies(), api.queue().catch(() => null)]);
  queue = q;
  const select = $<HTMLSelectElement>('study-select');
  for (const s of studies) select.append(new Option(`${s.id} (${s.agent} ${s.env}; ${s.counts.complete} complete, ${s.counts.pruned} pruned)`, s.id));
  if (studies.length === 0) {
    setStatus('no tuning study in the runs directory (make one with `tsgym tune … --out <runs>/<name>`)');
    return;
  }
  const wanted = new URLSearchParams(location.search).get('s');
  const id = studies.some((s) => s.id === wanted) ? wanted! : studies[0].id;
  select.value = id;
  select.addEventListener('change', () => {
    history.replaceState(null, '', `?s=${encodeURIComponent(select.value)}`);
    open(select.value).catch((e: Error) => setStatus(e.message));
  });
  await open(id);
}

main().catch((e: Error) => setStatus(e.message));
