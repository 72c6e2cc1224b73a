/**
 * The comparison page (`compare.html?c=<comparison>`): what `npm run compare` found, from its report.json —
 * the results table, learning curves aggregated over seeds with their bands, the final-score intervals, the
 * performance profile, P(X > Y) — and links that open each run's recorded episodes in the replay viewer
 * (`./?c=<comparison>#a=<run>/<episode>`). `window.__tsgymCompare` exposes a snapshot for tests.
 */
import type { ComparisonInfo, ComparisonReport, ComparisonResponse, EpisodeGroup, MetricsResponse } from '../../api-types.js';
import { api } from './api.js';
import { agentColor, CurvesChart, IntervalsChart, ProfileChart, RunsChart, type RunSeries } from './compare-charts.js';
import { el } from './hud.js';

interface CompareDebug {
  ready: boolean;
  error: string | null;
  snapshot(): Record<string, unknown>;
}

declare global {
  interface Window {
    __tsgymCompare?: CompareDebug;
  }
}

const $ = <T extends HTMLElement>(id: string) => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`comparison page is missing #${id}`);
  return e as T;
};

const picker = $<HTMLSelectElement>('pick-comparison');
const statusEl = $<HTMLDivElement>('status');
const titleEl = $<HTMLHeadingElement>('title');
const subtitleEl = $<HTMLParagraphElement>('subtitle');
const resultsEl = $<HTMLTableElement>('results');
const improvementEl = $<HTMLTableElement>('improvement');
const runsEl = $<HTMLTableElement>('runs');
const methodEl = $<HTMLUListElement>('method');
const curves = new CurvesChart();
const intervals = new IntervalsChart();
const profile = new ProfileChart();
const allRuns = new RunsChart();
const smoothingInput = $<HTMLInputElement>('smoothing');
const smoothingValue = $<HTMLSpanElement>('smoothing-value');
const runsMetric = $<HTMLSelectElement>('runs-metric');
$<HTMLDivElement>('all-runs').append(allRuns.root);
let runMetrics = new Map<string, MetricsResponse>();
/** The comparison the curve choice was made for (live redraws keep the user's choice). */
let metricChosenFor: string | null = null;
$<HTMLDivElement>('curves').append(curves.root);
$<HTMLDivElement>('intervals').append(intervals.root);
$<HTMLDivElement>('profile').append(profile.root);

let ready = false;
let fatal: string | null = null;
let current: ComparisonResponse | null = null;
let loadToken = 0;

function setStatus(text: string, isError = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}

/** As report.md: one decimal from 100 up, two below, three under 1. */
function formatValue(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}
const formatInterval = (i: { point: number; low: number; high: number }) => `${formatValue(i.point)} [${formatValue(i.low)}, ${formatValue(i.high)}]`;
const formatSteps = (v: number) => Math.round(v).toLocaleString('en-US');

function formatTime(t: { perSeed: (number | null)[]; reached: number; median: number | null } | null, unit: (v: number) => string): string {
  if (!t) return 'n/a';
  if (t.median === null) return `not reached (${t.reached}/${t.perSeed.length})`;
  return t.reached === t.perSeed.length ? unit(t.median) : `${unit(t.median)} (${t.reached}/${t.perSeed.length})`;
}

function row(cells: (string | Node)[], header = false): HTMLTableRowElement {
  const tr = el('tr');
  for (const c of cells) {
    const td = el(header ? 'th' : 'td');
    td.append(c);
    tr.append(td);
  }
  return tr;
}

function agentLabel(report: { agents: string[] }, agent: string): HTMLSpanElement {
  const span = el('span');
  const swatch = el('span', 'swatch');
  swatch.style.background = agentColor(report.agents.indexOf(agent));
  span.append(swatch, agent);
  return span;
}

/** A link into the replay viewer, scoped to this comparison's runs. */
function replayHref(comparison: string, run: string, path: string): string {
  return `./?c=${encodeURIComponent(comparison)}#${new URLSearchParams({ a: `${run}/${path}` }).toString()}`;
}

function renderResults(report: ComparisonReport): void {
  const pct = `${Math.round(report.method.confidence * 1000) / 10}%`;
  resultsEl.replaceChildren(
    row([report.sweep ? 'configuration' : 'agent', 'runs', `IQM [${pct} CI]`, `mean [${pct} CI]`, `median [${pct} CI]`, 'solved', 'median steps to threshold', 'median seconds to threshold', `AUC [${pct} CI]`], true),
  );
  // A sweep lists its configurations best first (its ranking by IQM).
  const order = report.sweep ? report.sweep.ranking.map((r) => r.group) : report.agents;
  const ordered = report.agentReports.slice().sort((x, y) => order.indexOf(x.agent) - order.indexOf(y.agent));
  for (const a of ordered) {
    const wall = report.wallClock?.agents?.[a.agent];
    resultsEl.append(
      row([
        agentLabel(report, a.agent),
        a.diverged ? `${a.runs} (${a.diverged} diverged)` : String(a.runs),
        formatInterval(a.iqm),
        formatInterval(a.mean),
        formatInterval(a.median),
        a.solved === null ? 'n/a' : `${a.solved}/${a.runs}`,
        formatTime(a.stepsToThreshold, formatSteps),
        formatTime(wall?.secondsToThreshold ?? null, (s) => s.toFixed(1)),
        formatInterval(a.auc.mean),
      ]),
    );
  }
}

function renderImprovement(report: ComparisonReport): void {
  improvementEl.replaceChildren(row(['P(X > Y)', ...report.agents], true));
  for (const x of report.agents) {
    const cells = report.agents.map((y) => {
      if (x === y) return '—';
      const p = report.improvement.find((e) => e.x === x && e.y === y)?.probability;
      return p ? `${p.point.toFixed(2)} [${p.low.toFixed(2)}, ${p.high.toFixed(2)}]` : '?';
    });
    improvementEl.append(row([agentLabel(report, x), ...cells]));
  }
}

/** One row per run: its numbers (when the report has them) and links to its first and last recorded evaluations. */
function renderRuns(cmp: ComparisonResponse, groups: EpisodeGroup[]): number {
  const report = cmp.report;
  runsEl.replaceChildren(row(['run', 'agent', 'seed', 'status', 'final score', 'steps to threshold', 'replays'], true));
  let links = 0;
  for (const seed of cmp.seeds) {
    for (const agent of cmp.agents) {
      const run = `${agent}__seed${seed}`;
      const r = report?.runs.find((x) => x.run === run);
      const evals = groups.filter((g) => g.run === run && g.episodes.some((e) => !e.error)).sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
      const cell = el('td', 'links');
      const picks = evals.length > 1 ? [evals[0], evals[evals.length - 1]] : evals;
      for (const g of picks) {
        const ep = g.episodes.find((e) => !e.error)!;
        const a = el('a', 'replay-link', g.step !== null ? `${g.kind === 'eval' ? 'eval' : g.kind} @ ${formatSteps(g.step)}` : g.name || ep.name);
        a.href = replayHref(cmp.id, run, ep.path);
        a.title = `${run}: ${ep.path}${ep.return !== undefined ? ` (return ${formatValue(ep.return)})` : ''}`;
        cell.append(a);
        links++;
      }
      if (!picks.length) cell.textContent = 'no replays yet';
      const tr = row([
        run,
        report ? agentLabel(report, agent) : agent,
        String(seed),
        r ? r.status : '—',
        r ? formatValue(r.finalScore) : '—',
        r ? (r.stepsToThreshold === null ? 'not reached' : formatSteps(r.stepsToThreshold)) : '—',
      ]);
      tr.append(cell);
      runsEl.append(tr);
    }
  }
  return links;
}

function renderMethod(report: ComparisonReport): void {
  const m = report.method;
  const items = [
    `${report.env}${report.rewardThreshold !== null ? `, reward threshold ${report.rewardThreshold}` : ''}; seeds ${report.seeds.join(', ')} for every agent; backend ${m.backends.join(', ')}.`,
    `Final score: ${m.finalScore}. Eval episodes: ${Object.entries(m.evalEpisodes).map(([a, n]) => `${a} ${n}`).join(', ')}.`,
    `Statistics: ${m.statistics}.`,
    `Intervals: ${m.intervals}.`,
    `Time to threshold: ${m.timeToThreshold}.`,
    `AUC: ${m.auc}.`,
    `Curves: ${m.curves}.`,
    `Performance profile: ${m.performanceProfile}.`,
    m.heldToBudget ? `${m.heldToBudget} run(s) stopped before their budget; their last evaluation is carried to the budget for the AUC and the curves.` : '',
    `After ${m.reference}.`,
  ].filter(Boolean);
  methodEl.replaceChildren(...items.map((t) => el('li', undefined, t)));
}

let linkCount = 0;

async function show(id: string): Promise<void> {
  const token = ++loadToken;
  setStatus(`loading ${id}…`);
  const [cmp, episodes] = await Promise.all([api.comparison(id), api.comparisonEpisodes(id).catch(() => ({ groups: [] as EpisodeGroup[] }))]);
  if (token !== loadToken) return;
  current = cmp;
  picker.value = id;
  const sweep = cmp.request?.sweep as { agent?: string } | undefined;
  titleEl.textContent = sweep?.agent ? `${cmp.env ?? '?'}: ${sweep.agent} sweep over ${cmp.agents.length} configurations` : `${cmp.env ?? '?'}: ${cmp.agents.join(' vs ')}`;
  subtitleEl.textContent = `${id} · ${cmp.seeds.length} seeds (${cmp.seeds.join(', ')})${cmp.createdAt ? ` · started ${cmp.createdAt.replace('T', ' ').slice(0, 19)}` : ''}`;
  const report = cmp.report;
  document.body.classList.toggle('no-report', !report);
  if (report) {
    renderResults(report);
    renderImprovement(report);
    renderMethod(report);
    curves.show(report);
    intervals.show(report);
    profile.show(report);
  } else {
    for (const t of [resultsEl, improvementEl]) t.replaceChildren();
    methodEl.replaceChildren();
  }
  linkCount = renderRuns(cmp, episodes.groups);
  await loadRunCurves(cmp, token);
  if (token !== loadToken) return;
  followComparison(id, !report);
  const notes = [...cmp.problems];
  if (!report) {
    notes.unshift(
      'No report.json yet: the comparison is still running or was interrupted (this page updates as its runs log). If it was interrupted, rerun the same `npm run compare` command to finish it (or `npm run compare -- --report-only DIR`).',
    );
  }
  setStatus(notes.length ? notes.join(' · ') : `${cmp.agents.length} agents × ${cmp.seeds.length} seeds · ${linkCount} replay links`, cmp.problems.length > 0);
}

/** Every run's metrics, for the all-runs chart (a run that cannot be read is left out). */
async function loadRunCurves(cmp: ComparisonResponse, token: number): Promise<void> {
  const names = cmp.seeds.flatMap((seed) => cmp.agents.map((agent) => ({ run: `${agent}__seed${seed}`, agent })));
  const got = await Promise.all(names.map((n) => api.comparisonMetrics(cmp.id, n.run).catch(() => null)));
  if (token !== loadToken) return;
  runMetrics = new Map(got.flatMap((m, i) => (m ? [[names[i].run, m] as [string, MetricsResponse]] : [])));
  // Training returns when the runs logged episodes, else their evaluations.
  const hasEpisodes = [...runMetrics.values()].some((m) => m.records.some((r) => r.kind === 'episode'));
  if (metricChosenFor !== cmp.id) {
    runsMetric.value = hasEpisodes ? 'episode' : 'eval';
    metricChosenFor = cmp.id;
  }
  drawRunCurves();
}

function drawRunCurves(): void {
  if (!current) return;
  const kind = runsMetric.value === 'eval' ? 'eval' : 'episode';
  const field = kind === 'eval' ? 'mean' : 'return';
  const series: RunSeries[] = [];
  for (const [run, m] of runMetrics) {
    const agent = run.replace(/__seed-?\d+$/, '');
    const recs = m.records.filter((r) => r.kind === kind && typeof r[field] === 'number').sort((a, b) => a.step - b.step);
    // One value per step (uPlot wants unique x): the mean of the records at that step.
    const steps: number[] = [];
    const values: number[] = [];
    let count = 0;
    for (const r of recs) {
      const v = r[field] as number;
      if (steps.length && steps[steps.length - 1] === r.step) values[values.length - 1] += (v - values[values.length - 1]) / ++count;
      else {
        steps.push(r.step);
        values.push(v);
        count = 1;
      }
    }
    series.push({ run, agent, color: agentColor(current.agents.indexOf(agent)), steps, values });
  }
  allRuns.show(series, kind === 'eval' ? 'greedy eval mean return' : 'training episode return');
}

smoothingInput.addEventListener('input', () => {
  const w = Number(smoothingInput.value);
  smoothingValue.textContent = w.toFixed(2);
  allRuns.setSmoothing(w);
});
runsMetric.addEventListener('change', () => {
  runsMetric.blur();
  drawRunCurves();
});

// A comparison that is still running (no report yet) is followed: the page redraws when its runs log, finish,
// or the report is written (server-sent events from /api/comparisons/<cmp>/progress, render/live.ts), then stops following.
let live: { id: string; source: EventSource; connected: boolean } | null = null;
let liveUpdates = 0;

function followComparison(id: string, running: boolean): void {
  if (live && (!running || live.id !== id)) {
    live.source.close();
    live = null;
  }
  if (!running || live || typeof EventSource === 'undefined') return;
  const source = new EventSource(`api/comparisons/${encodeURIComponent(id)}/progress`);
  let last: string | null = null;
  source.addEventListener('change', (ev) => {
    const data = (ev as MessageEvent<string>).data;
    const first = last === null;
    if (data === last) return;
    last = data;
    // The first event redraws too: the runs may have logged between loading the page and opening the stream.
    if (!first) liveUpdates++;
    if (live?.source === source) live.connected = true;
    show(id).catch(fail);
  });
  live = { id, source, connected: false };
}

function comparisonLabel(c: ComparisonInfo): string {
  return `${c.id} — ${c.env ?? '?'} · ${c.agents.join(' vs ')} · ${c.seeds.length} seeds${c.hasReport ? '' : ' (no report yet)'}`;
}

picker.addEventListener('change', () => {
  history.replaceState(null, '', `?c=${encodeURIComponent(picker.value)}`);
  show(picker.value).catch(fail);
});

window.addEventListener('resize', () => {
  if (current?.report) {
    curves.show(current.report);
    intervals.show(current.report);
    profile.show(current.report);
  }
  drawRunCurves();
});

function fail(e: unknown): void {
  fatal = e instanceof Error ? e.message : String(e);
  setStatus(`The comparison page could not load: ${fatal}`, true);
}

window.__tsgymCompare = {
  get ready() {
    return ready;
  },
  get error() {
    return fatal;
  },
  snapshot: () => ({
    comparison: current?.id ?? null,
    agents: current?.agents ?? [],
    hasReport: Boolean(current?.report),
    links: linkCount,
    status: statusEl.textContent,
    curvesTicks: curves.yAxis?.ticks ?? null,
    curvesRange: curves.yAxis ? [curves.yAxis.min, curves.yAxis.max] : null,
    intervalTicks: intervals.axis?.ticks ?? null,
    allRuns: { smoothing: allRuns.smoothing, metric: runsMetric.value, runs: allRuns.summary },
    live: { following: live?.id ?? null, connected: live?.connected ?? false, updates: liveUpdates },
  }),
};

async function start(): Promise<void> {
  const { runsDir, comparisons } = await api.comparisons();
  picker.replaceChildren(...comparisons.map((c) => new Option(comparisonLabel(c), c.id)));
  if (!comparisons.length) {
    setStatus(`No comparisons in ${runsDir} yet. Make one with: npm run compare -- --env cartpole --agents dqn,ppo,a2c --seeds 5`);
    return;
  }
  const wanted = new URLSearchParams(location.search).get('c');
  await show(wanted && comparisons.some((c) => c.id === wanted) ? wanted : comparisons[0].id);
  if (wanted && !comparisons.some((c) => c.id === wanted)) setStatus(`No comparison named ${wanted} in ${runsDir}; showing ${comparisons[0].id}.`, true);
}

start()
  .catch(fail)
  .finally(() => {
    ready = true;
  });
