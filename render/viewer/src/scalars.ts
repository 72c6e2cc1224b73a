/**
 * The scalars dashboard (`scalars.html[?c=<comparison>]`): every numeric series the runs log in
 * metrics.jsonl (losses, entropy, KL, clip fraction, explained variance, gradient norm, learning rate, ε,
 * Q values, returns, evaluations…), one chart per series, for any set of runs — a run checklist with a
 * colour per run and a filter, as TensorBoard's run selector; runs grouped by configuration (mean line, a
 * band from the lowest to the highest run); env steps, seconds of training or wall clock on the x axis
 * (timing.jsonl); smoothing; CSV and JSON of what is shown; a sortable table of the shown runs with the
 * configuration values that differ between them, and the same as parallel coordinates (run-table.ts).
 * Selected runs that are still training are
 * followed (server-sent events, render/server/live.ts) and redrawn as they log. `window.__tsgymScalars` exposes a
 * snapshot for tests.
 */
import uPlot from 'uplot';
import type { LiveChange, RunChange, RunInfo } from '../../../formats/api-types.js';
import { api, comparisonScope } from './api.js';
import { agentColor, drawClipped, fillBand, strokeLine, withAlpha } from './compare-charts.js';
import { el, formatNumber } from './hud.js';
import { averagedByX, compareTags, configKey, groupCurve, secondsAtStep, seriesOf, toCsv, type CsvRow, type RawSeries } from './scalars-data.js';
import { RunTable } from './run-table.js';
import { emaSmooth } from './ticks.js';

type XAxis = 'step' | 'relative' | 'wall';

interface RunData {
  series: Map<string, RawSeries>;
  /** Seconds of training at a step (null: no timing.jsonl records yet). */
  seconds: ((step: number) => number) | null;
  /** When the run started (config.createdAt), in seconds since the epoch, for the wall-clock axis. */
  startedAt: number | null;
  error: string | null;
}

/** One line on a chart: a run, or a group of runs with its band. */
interface Line {
  label: string;
  color: string;
  xs: number[];
  raw: number[];
  smoothed: number[];
  band: { low: number[]; high: number[] } | null;
  runs: string[];
}

declare global {
  interface Window {
    __tsgymScalars?: {
      ready: boolean;
      error: string | null;
      snapshot(): Record<string, unknown>;
      csv(): string;
      json(): unknown;
    };
  }
}

const $ = <T extends HTMLElement>(id: string) => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`scalars page is missing #${id}`);
  return e as T;
};

const statusEl = $<HTMLDivElement>('status');
const runList = $<HTMLUListElement>('run-list');
const runFilter = $<HTMLInputElement>('run-filter');
const runCount = $<HTMLSpanElement>('run-count');
const groupBox = $<HTMLInputElement>('group-by-config');
const xAxisSelect = $<HTMLSelectElement>('x-axis');
const smoothingInput = $<HTMLInputElement>('smoothing');
const smoothingValue = $<HTMLSpanElement>('smoothing-value');
const seriesFilter = $<HTMLInputElement>('series-filter');
const chartsEl = $<HTMLDivElement>('charts');
const liveBadge = $<HTMLSpanElement>('live');
const runTable = new RunTable();
$<HTMLDivElement>('run-table').append(runTable.root);

/** Runs selected when the page opens (the first ones listed). */
const DEFAULT_SELECTED = 10;
/** Most runs one event stream follows (render/server/live.ts). */
const MAX_FOLLOWED = 8;
const DONE = new Set(['finished', 'diverged']);

let runs: RunInfo[] = [];
const selected = new Set<string>();
const data = new Map<string, RunData>();
let plots: uPlot[] = [];
let shownLines = new Map<string, Line[]>();
let ready = false;
let fatal: string | null = null;
let liveUpdates = 0;

if (comparisonScope) {
  $<HTMLAnchorElement>('viewer-link').href = `./?c=${encodeURIComponent(comparisonScope)}`;
  $<HTMLAnchorElement>('compare-link').href = `compare.html?c=${encodeURIComponent(comparisonScope)}`;
}

function setStatus(text: string, isError = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}

/** A filter box as a case-insensitive regular expression; text that is not one is matched literally. */
function filterOf(input: HTMLInputElement): RegExp | null {
  const text = input.value.trim();
  if (!text) return null;
  try {
    return new RegExp(text, 'i');
  } catch {
    return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  }
}

const colorOf = (run: string) => agentColor(Math.max(0, runs.findIndex((r) => r.id === run)));

function runLabel(r: RunInfo): string {
  const status = r.summary?.status ?? 'running';
  return [r.agent, r.envId, r.seed !== null ? `seed ${r.seed}` : null, status].filter(Boolean).join(' · ');
}

/** Runs checked and passing the filter: the ones drawn. */
function shownRuns(): string[] {
  const f = filterOf(runFilter);
  return runs.filter((r) => selected.has(r.id) && (!f || f.test(`${r.id} ${runLabel(r)}`))).map((r) => r.id);
}

function renderRunList(): void {
  const f = filterOf(runFilter);
  runList.replaceChildren();
  let visible = 0;
  for (const r of runs) {
    if (f && !f.test(`${r.id} ${runLabel(r)}`)) continue;
    visible++;
    const li = el('li');
    const label = el('label');
    const box = el('input');
    box.type = 'checkbox';
    box.checked = selected.has(r.id);
    box.dataset.run = r.id;
    box.addEventListener('change', () => {
      if (box.checked) selected.add(r.id);
      else selected.delete(r.id);
      void refresh();
    });
    const swatch = el('span', 'swatch');
    swatch.style.background = colorOf(r.id);
    const name = el('span', 'run-name', r.id);
    name.title = r.id;
    label.append(box, swatch, name, el('span', 'run-meta muted', runLabel(r)));
    li.append(label);
    runList.append(li);
  }
  runCount.textContent = `${selected.size} of ${runs.length} selected${f ? `, ${visible} match` : ''}`;
}

async function loadRun(run: string): Promise<void> {
  const info = runs.find((r) => r.id === run);
  const [metrics, timing] = await Promise.all([api.metrics(run), api.timing(run).catch(() => ({ run, records: [], skippedLines: [] }))]);
  const created = typeof info?.config?.createdAt === 'string' ? Date.parse(info.config.createdAt) : NaN;
  data.set(run, { series: seriesOf(metrics.records), seconds: secondsAtStep(timing.records), startedAt: Number.isFinite(created) ? created / 1000 : null, error: null });
}

/** Fetches what the shown runs need and redraws. */
async function refresh(): Promise<void> {
  renderRunList();
  const missing = shownRuns().filter((r) => !data.has(r));
  await Promise.all(
    missing.map((r) =>
      loadRun(r).catch((e: Error) => {
        data.set(r, { series: new Map(), seconds: null, startedAt: null, error: e.message });
      }),
    ),
  );
  draw();
  followSelected();
}

function xMapper(run: string, axis: XAxis): ((step: number) => number) | null {
  const d = data.get(run)!;
  if (axis === 'step') return (s) => s;
  if (!d.seconds) return null;
  if (axis === 'relative') return d.seconds;
  if (d.startedAt === null) return null;
  const start = d.startedAt;
  const seconds = d.seconds;
  return (s) => start + seconds(s);
}

/** The lines of one series: per run, or per group of runs with the same configuration. */
function linesFor(tag: string, shown: string[], axis: XAxis, smoothing: number, grouped: boolean): Line[] {
  const perRun: Line[] = [];
  for (const run of shown) {
    const s = data.get(run)?.series.get(tag);
    const toX = xMapper(run, axis);
    if (!s || !toX) continue;
    const { xs, ys } = averagedByX(s.steps.map(toX), s.values);
    perRun.push({ label: run, color: colorOf(run), xs, raw: ys, smoothed: emaSmooth(ys, smoothing) as number[], band: null, runs: [run] });
  }
  if (!grouped) return perRun;
  const groups = new Map<string, Line[]>();
  for (const l of perRun) {
    const info = runs.find((r) => r.id === l.runs[0]);
    const key = configKey(info?.config ?? null, l.runs[0]);
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const labels = new Map<string, number>();
  // Groups take the palette in order, so a few groups get colours far apart.
  return [...groups.values()].map((members, g) => {
    const info = runs.find((r) => r.id === members[0].runs[0]);
    let label = `${info?.agent ?? '?'} · ${info?.envId ?? '?'}`;
    const n = (labels.get(label) ?? 0) + 1;
    labels.set(label, n);
    if (n > 1) label += ` #${n}`;
    const c = groupCurve(members.map((m) => ({ xs: m.xs, ys: m.smoothed })));
    return { label: `${label} (${members.length} run${members.length > 1 ? 's' : ''})`, color: agentColor(g), xs: c.xs, raw: c.mean, smoothed: c.mean, band: { low: c.low, high: c.high }, runs: members.flatMap((m) => m.runs) };
  });
}

const X_LABELS: Record<XAxis, string> = { step: 'env steps', relative: 'seconds of training', wall: 'wall clock' };

function draw(): void {
  for (const p of plots) p.destroy();
  plots = [];
  chartsEl.replaceChildren();
  shownLines = new Map();
  const shown = shownRuns();
  runTable.show(shown.map((id) => ({ info: runs.find((r) => r.id === id)!, color: colorOf(id) })));
  const axis = xAxisSelect.value as XAxis;
  const smoothing = Number(smoothingInput.value);
  const grouped = groupBox.checked;
  const tagFilter = filterOf(seriesFilter);
  const tags = [...new Set(shown.flatMap((r) => [...(data.get(r)?.series.keys() ?? [])]))].filter((t) => !tagFilter || tagFilter.test(t)).sort(compareTags);
  const notes: string[] = [];
  for (const run of shown) {
    const d = data.get(run);
    if (d?.error) notes.push(`${run}: ${d.error}`);
    else if (d && axis !== 'step' && !xMapper(run, axis)) notes.push(`${run}: no ${axis === 'wall' ? 'start time or ' : ''}timing.jsonl records yet, so it is left off this x axis`);
  }
  // Two charts a row where there is room (a card adds its padding, border and the gap).
  const width = Math.max(300, Math.min(620, Math.floor((chartsEl.clientWidth || 900) / 2) - 40));
  for (const tag of tags) {
    const lines = linesFor(tag, shown, axis, smoothing, grouped);
    if (!lines.length) continue;
    shownLines.set(tag, lines);
    const card = el('section', 'card scalar-card');
    card.dataset.series = tag;
    card.append(el('h3', undefined, tag));
    const host = el('div', 'scalar-chart');
    card.append(host);
    chartsEl.append(card);
    const latest = (ys: number[]) => (ys.length ? formatNumber(ys[ys.length - 1]) : '—');
    const series: uPlot.Series[] = [
      { label: X_LABELS[axis], value: (_u: uPlot, v: number | null, _s: number, idx: number | null) => (idx === null || v === null ? '' : axis === 'wall' ? new Date(v * 1000).toLocaleTimeString() : formatNumber(v)) },
      ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.8, spanGaps: true, points: { show: l.xs.length <= 20, size: 4, fill: l.color }, value: (_u: uPlot, v: number | null, _s: number, idx: number | null) => (idx === null ? latest(l.smoothed) : v === null ? '—' : formatNumber(v)) })),
    ];
    const plot = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: axis === 'wall' } },
        axes: [{ label: X_LABELS[axis], size: 40 }, { size: 56 }],
        series,
        legend: { live: true },
        hooks: {
          // Bands of groups and raw values of runs (faint) under the smoothed lines.
          drawAxes: [
            (u: uPlot) =>
              drawClipped(u, (ctx) => {
                for (const l of lines) {
                  if (l.band) fillBand(u, ctx, l.xs, l.band.low, l.band.high, withAlpha(l.color, 0.18));
                  else if (smoothing > 0) strokeLine(u, ctx, l.xs, l.raw, withAlpha(l.color, 0.25));
                }
              }),
          ],
        },
      },
      uPlot.join(lines.map((l) => [l.xs, l.smoothed] as uPlot.AlignedData)),
      host,
    );
    // The y range covers the bands and the raw values, not only the smoothed lines.
    const ys = lines.flatMap((l) => [...l.raw, ...(l.band ? [...l.band.low, ...l.band.high] : [])]).filter(Number.isFinite);
    if (ys.length) {
      const lo = Math.min(...ys);
      const hi = Math.max(...ys);
      const pad = (hi - lo || Math.abs(hi) || 1) * 0.04;
      plot.setScale('y', { min: lo - pad, max: hi + pad });
    }
    plots.push(plot);
  }
  const shownCount = shown.length;
  if (!runs.length) setStatus('No runs in this directory yet. Train one with: npm run train -- ppo cartpole');
  else if (!shownCount) setStatus('No run selected: tick runs in the list.');
  else setStatus([`${shownCount} run(s) · ${shownLines.size} series${grouped ? ' · grouped by config' : ''}`, ...notes].join(' · '), false);
}

/** One row per logged value of the series and runs shown, as in metrics.jsonl. */
function csvRows(): CsvRow[] {
  const rows: CsvRow[] = [];
  const shown = shownRuns();
  for (const tag of shownLines.keys()) {
    for (const run of shown) {
      const d = data.get(run);
      const s = d?.series.get(tag);
      if (!s) continue;
      s.steps.forEach((step, i) => rows.push({ run, series: tag, step, seconds: d!.seconds ? d!.seconds(step) : null, value: s.values[i] }));
    }
  }
  return rows;
}

/** What the charts show: per series its lines (x, raw and smoothed values, bands). */
function shownJson(): unknown {
  return {
    format: 'tsgym-scalars',
    xAxis: xAxisSelect.value,
    smoothing: Number(smoothingInput.value),
    groupedByConfig: groupBox.checked,
    series: Object.fromEntries([...shownLines].map(([tag, lines]) => [tag, lines.map((l) => ({ label: l.label, runs: l.runs, x: l.xs, value: l.raw, smoothed: l.smoothed, ...(l.band ? { band: l.band } : {}) }))])),
  };
}

function download(name: string, type: string, text: string): void {
  const a = el('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const fileStem = () => `tsgym-scalars${comparisonScope ? `-${comparisonScope}` : ''}`;
$<HTMLButtonElement>('download-csv').addEventListener('click', () => download(`${fileStem()}.csv`, 'text/csv', toCsv(csvRows())));
$<HTMLButtonElement>('download-json').addEventListener('click', () => download(`${fileStem()}.json`, 'application/json', JSON.stringify(shownJson(), null, 1)));

// ─── live runs: one event stream for the runs list and the selected runs still training ───

let source: EventSource | null = null;
let sourceKey: string | null = null;
let lastList: string | null = null;
const lastChange = new Map<string, string>();
let following: string[] = [];

function followSelected(): void {
  following = shownRuns()
    .filter((r) => !DONE.has(String(runs.find((x) => x.id === r)?.summary?.status ?? '')))
    .slice(0, MAX_FOLLOWED);
  liveBadge.hidden = following.length === 0;
  liveBadge.textContent = following.length ? `live: ${following.length} run(s)` : '';
  const key = following.join('\n');
  if (typeof EventSource === 'undefined' || (source && key === sourceKey)) return;
  source?.close();
  sourceKey = key;
  const query = following.length ? `?${new URLSearchParams(following.map((r) => ['follow', r])).toString()}` : '';
  const s = new EventSource(`${api.runsEventsUrl()}${query}`);
  source = s;
  s.addEventListener('change', (ev) => {
    if (s !== source) return;
    void onLiveChange(JSON.parse((ev as MessageEvent<string>).data) as LiveChange);
  });
}

async function onLiveChange(change: LiveChange): Promise<void> {
  let redraw = false;
  const list = JSON.stringify(change.runs.map(([name]) => name));
  if (list !== lastList) {
    const first = lastList === null;
    lastList = list;
    if (!first) {
      const before = new Set(runs.map((r) => r.id));
      runs = (await api.runs()).runs;
      // A run that appears is selected while few are, as TensorBoard adds new runs.
      for (const r of runs) if (!before.has(r.id) && selected.size < DEFAULT_SELECTED) selected.add(r.id);
      redraw = true;
    }
  }
  for (const [run, c] of Object.entries(change.followed ?? {})) {
    const text = JSON.stringify(c);
    if (lastChange.get(run) === text) continue;
    const first = !lastChange.has(run);
    lastChange.set(run, text);
    if ('error' in c) continue;
    if (!first) liveUpdates++;
    const info = runs.find((r) => r.id === run);
    if (info && (c as RunChange).status !== (info.summary?.status ?? null)) Object.assign(info, await api.run(run));
    await loadRun(run).catch(() => undefined);
    redraw = true;
  }
  if (redraw) await refresh();
}

// ─── controls ───

runFilter.addEventListener('input', () => void refresh());
seriesFilter.addEventListener('input', draw);
groupBox.addEventListener('change', draw);
xAxisSelect.addEventListener('change', draw);
smoothingInput.addEventListener('input', () => {
  smoothingValue.textContent = Number(smoothingInput.value).toFixed(2);
  draw();
});
$<HTMLButtonElement>('select-shown').addEventListener('click', () => {
  const f = filterOf(runFilter);
  for (const r of runs) if (!f || f.test(`${r.id} ${runLabel(r)}`)) selected.add(r.id);
  void refresh();
});
$<HTMLButtonElement>('select-none').addEventListener('click', () => {
  selected.clear();
  void refresh();
});
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(draw, 150);
});

window.__tsgymScalars = {
  get ready() {
    return ready;
  },
  get error() {
    return fatal;
  },
  snapshot: () => ({
    runs: runs.map((r) => r.id),
    selected: shownRuns(),
    series: [...shownLines.keys()],
    lines: Object.fromEntries([...shownLines].map(([tag, lines]) => [tag, lines.map((l) => ({ label: l.label, color: l.color, points: l.xs.length, firstX: l.xs[0] ?? null, lastX: l.xs.at(-1) ?? null, last: l.smoothed.at(-1) ?? null, band: Boolean(l.band) }))])),
    xAxis: xAxisSelect.value,
    smoothing: Number(smoothingInput.value),
    status: statusEl.textContent,
    table: { columns: runTable.columns, order: runTable.order, axes: runTable.axes },
    live: { following, updates: liveUpdates },
  }),
  csv: () => toCsv(csvRows()),
  json: shownJson,
};

async function start(): Promise<void> {
  runs = (await api.runs()).runs;
  for (const r of runs.slice(0, DEFAULT_SELECTED)) selected.add(r.id);
  await refresh();
}

start()
  .catch((e: unknown) => {
    fatal = e instanceof Error ? e.message : String(e);
    setStatus(`The scalars page could not load: ${fatal}`, true);
  })
  .finally(() => {
    ready = true;
  });
