/**
 * The comparison page (`compare.html?c=<comparison>`): what `npm run compare` found, from its report.json —
 * first what the comparison cannot support (its caveats), then the headline table (final scores, or steps
 * to threshold when the runs stopped when solved), learning curves aggregated over seeds with their bands,
 * the intervals, the performance profile (or the fraction solved by each step), P(X > Y) with "no evidence"
 * where its interval contains ½ — and links that open each run's recorded episodes in the replay viewer
 * (`./?c=<comparison>#a=<run>/<episode>`). With `view --queue`, each run also shows its job (queued, running on
 * which worker, failed, done), followed live. `window.__tsgymCompare` exposes a snapshot for tests.
 */
import type { ComparisonInfo, ComparisonReport, ComparisonResponse, EpisodeGroup, MetricsResponse, QueueRunsResponse, QueueSummary, RunInfo } from '../../../formats/api-types.js';
import {
  checkReport,
  formatInterval,
  formatProbability,
  formatSteps,
  formatTimeToThreshold,
  formatValue,
  improvementVerdict,
  MATRIX_LIMIT,
  rankByHeadline,
  TOP_K,
} from '../../../experiments/report-common.js';
import { improvementEvidence, intervalsOverlap, kaplanMeierMedianCI } from '../../../experiments/stats.js';
import { api, followChanges } from './api.js';
import { agentColor, budgetLabel, CurvesChart, IntervalsChart, ProfileChart, RunsChart, scoreAxis, SolvedByStepChart, type IntervalPanel, type RunSeries } from './compare-charts.js';
import { el } from './hud.js';
import { differingKeys, RunTable } from './run-table.js';
import { niceAxis } from './ticks.js';
import { followQueue, queueCell, queueNote } from './queue-cells.js';

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
const caveatsEl = $<HTMLUListElement>('caveats');
const intervalsTitle = $<HTMLHeadingElement>('intervals-title');
const profileTitle = $<HTMLHeadingElement>('profile-title');
const improvementTitle = $<HTMLHeadingElement>('improvement-title');
const queueNoteEl = $<HTMLParagraphElement>('queue-note');
const curves = new CurvesChart();
const intervals = new IntervalsChart();
const profile = new ProfileChart();
const solvedByStep = new SolvedByStepChart();
const configTable = new RunTable();
$<HTMLDivElement>('config-table').append(configTable.root);
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
$<HTMLDivElement>('profile').append(profile.root, solvedByStep.root);

let ready = false;
let fatal: string | null = null;
let current: ComparisonResponse | null = null;
/** The report on screen, upgraded to the current shape. */
let shownReport: ComparisonReport | null = null;
let loadToken = 0;

function setStatus(text: string, isError = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}

/**
 * A report as the current code writes it, from any report.json the server hands over: an earlier format
 * lacks the headline, caveats, score scale, evidence and overlaps, which are filled in the way the current
 * report computes them (it always trained to the budget, so its headline is the final score).
 */
function upgradeReport(raw: ComparisonReport): ComparisonReport {
  const r = structuredClone(raw);
  r.headline ??= 'final-score';
  r.caveats ??= [];
  r.scoreScale ??= { floor: 0, floorSource: 'zero', ceiling: null };
  r.method.budgetsDiffer ??= new Set(r.agentReports.flatMap((a) => a.totalSteps)).size > 1;
  for (const e of r.improvement) {
    e.evidence ??= improvementEvidence(e.probability);
    e.metric ??= 'final score';
  }
  for (const a of r.agentReports) {
    a.overlaps ??= r.agentReports.filter((b) => b !== a && intervalsOverlap(a.iqm, b.iqm)).map((b) => b.agent);
    const t = a.stepsToThreshold;
    if (t && t.low === undefined) {
      // Every run of an earlier report trained to its budget: one that did not reach the threshold is censored there.
      const own = r.runs.filter((x) => x.agent === a.agent);
      const ci = kaplanMeierMedianCI(t.perSeed.map((v, i) => (v === null ? { time: own[i]?.steps ?? Math.max(...a.totalSteps), reached: false } : { time: v, reached: true })), { reps: r.method.bootstrapReps, confidence: r.method.confidence, seed: `${r.method.bootstrapSeed}/threshold/${a.agent}` });
      const finite = (v: number) => (Number.isFinite(v) ? v : null);
      Object.assign(t, { median: finite(ci.point), low: finite(ci.low), high: finite(ci.high) });
    }
  }
  return r;
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

/** The comparison's caveats first, then anything that misrepresents its runs. */
function renderCaveats(report: ComparisonReport): string[] {
  const items = [...report.caveats, ...checkReport(report).map((p) => `This report misrepresents its runs: ${p}.`)];
  caveatsEl.replaceChildren(...items.map((t) => el('li', undefined, t)));
  caveatsEl.hidden = items.length === 0;
  return items;
}

function overlapCell(report: ComparisonReport, a: ComparisonReport['agentReports'][number]): Node | string {
  if (!a.overlaps.length) return '—';
  const span = el('span', 'tie', `overlaps ${a.overlaps.join(', ')}`);
  span.title = `${a.agent}'s interval overlaps theirs: the data do not order them`;
  return span;
}

function renderResults(report: ComparisonReport): void {
  const pct = `${Math.round(report.method.confidence * 1000) / 10}%`;
  const group = report.sweep ? 'configuration' : 'agent';
  // A sweep lists its configurations best first (its ranking), the top ones only.
  const order = report.sweep ? report.sweep.ranking.map((r) => r.group) : report.agents;
  const ordered = report.agentReports.slice().sort((x, y) => order.indexOf(x.agent) - order.indexOf(y.agent)).slice(0, report.sweep ? TOP_K : undefined);
  const runs = (a: ComparisonReport['agentReports'][number]) => (a.diverged ? `${a.runs} (${a.diverged} diverged)` : String(a.runs));
  if (report.headline === 'time-to-threshold') {
    resultsEl.replaceChildren(row([group, 'runs', `solved [${pct} CI]`, `median steps to threshold [${pct} CI]`, `median seconds to threshold [${pct} CI]`, 'interval overlaps'], true));
    for (const a of ordered) {
      const wall = report.wallClock?.agents?.[a.agent];
      const rate = a.solveRate ? ` [${a.solveRate.low.toFixed(2)}, ${a.solveRate.high.toFixed(2)}]` : '';
      resultsEl.append(
        row([agentLabel(report, a.agent), runs(a), `${a.solved}/${a.runs}${rate}`, formatTimeToThreshold(a.stepsToThreshold, formatSteps), formatTimeToThreshold(wall?.secondsToThreshold ?? null, (v) => v.toFixed(1)), overlapCell(report, a)]),
      );
    }
    return;
  }
  resultsEl.replaceChildren(row([group, 'runs', `IQM [${pct} CI]`, `mean [${pct} CI]`, `median [${pct} CI]`, `AUC [${pct} CI]`, 'IQM interval overlaps', 'solved', 'median steps to threshold'], true));
  for (const a of ordered) {
    resultsEl.append(
      row([
        agentLabel(report, a.agent),
        runs(a),
        formatInterval(a.iqm),
        formatInterval(a.mean),
        formatInterval(a.median),
        formatInterval(a.auc.mean),
        overlapCell(report, a),
        a.solved === null ? 'n/a' : `${a.solved}/${a.runs}`,
        formatTimeToThreshold(a.stepsToThreshold, formatSteps),
      ]),
    );
  }
}

/** A P(X > Y) cell: the probability and its interval, marked "no evidence" when the interval contains ½. */
function probabilityCell(e: ComparisonReport['improvement'][number]): HTMLSpanElement {
  const span = el('span', e.evidence === 'none' ? 'no-evidence' : 'evidence', formatProbability(e.probability));
  span.append(el('span', 'verdict', ` · ${improvementVerdict(e)}`));
  return span;
}

/**
 * P(X > Y): an N×N matrix for a few agents; for a sweep its ranking (top k, each against the best); for
 * many agents the best against each other.
 */
function renderImprovement(report: ComparisonReport): void {
  const sooner = report.headline === 'time-to-threshold';
  const verb = sooner ? 'reaches the threshold sooner than' : '>';
  if (report.sweep) {
    const best = report.sweep.ranking[0].group;
    improvementTitle.textContent = `Sweep ranking (${report.sweep.agent}) by ${report.sweep.by ?? 'IQM of the final score'}: top ${Math.min(TOP_K, report.sweep.ranking.length)} of ${report.sweep.ranking.length}, P(${best} ${verb} each)`;
    improvementEl.replaceChildren(row(['rank', 'configuration', 'values', 'runs', 'IQM', `P(${best} ${verb} it)`], true));
    report.sweep.ranking.slice(0, TOP_K).forEach((r, i) => {
      const e = report.improvement.find((x) => x.x === best && x.y === r.group);
      const values = Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
      improvementEl.append(row([String(i + 1), agentLabel(report, r.group), values, String(r.runs), formatInterval(r.iqm), e ? probabilityCell(e) : 'best']));
    });
    return;
  }
  if (report.agents.length > MATRIX_LIMIT) {
    const ranked = rankByHeadline(report.agentReports, report.headline);
    const best = ranked[0].agent;
    improvementTitle.textContent = `Probability of improvement: ${best} against the others (top ${Math.min(TOP_K, ranked.length - 1)})`;
    improvementEl.replaceChildren(row(['other', `P(${best} ${verb} other) [95% CI]`], true));
    for (const a of ranked.slice(1, TOP_K + 1)) {
      const e = report.improvement.find((x) => x.x === best && x.y === a.agent);
      improvementEl.append(row([agentLabel(report, a.agent), e ? probabilityCell(e) : '?']));
    }
    return;
  }
  improvementTitle.textContent = `Probability of improvement: P(row ${verb} column) [95% CI]; "no evidence" when the interval contains ½`;
  improvementEl.replaceChildren(row(['P(X > Y)', ...report.agents], true));
  for (const x of report.agents) {
    const cells = report.agents.map((y) => {
      if (x === y) return '—';
      const e = report.improvement.find((i) => i.x === x && i.y === y);
      return e ? probabilityCell(e) : '?';
    });
    improvementEl.append(row([agentLabel(report, x), ...cells]));
  }
}

/** The interval chart of the headline: final-score IQM, median and mean on the env's score axis, or steps to threshold. */
function renderIntervals(report: ComparisonReport): void {
  const rows = report.agentReports.map((a) => ({ label: a.agent, color: agentColor(report.agents.indexOf(a.agent)) }));
  if (report.headline === 'time-to-threshold') {
    intervalsTitle.firstChild!.textContent = 'Steps to threshold ';
    const times = report.agentReports.map((a) => a.stepsToThreshold);
    const values = times.map((t) => (t && t.median !== null ? { point: t.median, low: t.low ?? 0, high: t.high ?? Infinity } : null));
    const budget = Math.max(...report.runs.map((r) => r.totalSteps));
    const finite = values.flatMap((v) => (v ? [v.low, v.point, ...(Number.isFinite(v.high) ? [v.high] : [])] : []));
    const panel: IntervalPanel = { name: 'median env steps to threshold', values, axis: niceAxis(0, Math.max(budget, ...finite), 4), format: (v) => formatSteps(v) };
    intervals.show(rows, [panel], 'Kaplan–Meier median (black tick) with its 95% bootstrap interval; an arrow: open above (beyond the runs)');
    return;
  }
  intervalsTitle.firstChild!.textContent = 'Final score ';
  const stats = [
    ['IQM', (a: ComparisonReport['agentReports'][number]) => a.iqm],
    ['median', (a: ComparisonReport['agentReports'][number]) => a.median],
    ['mean', (a: ComparisonReport['agentReports'][number]) => a.mean],
  ] as const;
  const all = report.agentReports.flatMap((a) => [a.iqm, a.median, a.mean]);
  // One score axis for the three panels, from the env's floor to its maximum return.
  const axis = scoreAxis(report, all.map((i) => i.low), all.map((i) => i.high), 3);
  intervals.show(
    rows,
    stats.map(([name, get]) => ({ name, values: report.agentReports.map(get), axis })),
    `final greedy-eval return (bars: 95% CI, black tick: point estimate; axis from ${report.scoreScale.floorSource === 'random policy' ? 'the random-policy return' : '0'})`,
  );
}

/** The performance profile, or with a time-to-threshold headline the fraction of runs solved by each step. */
function renderProfile(report: ComparisonReport): void {
  const byStep = report.headline === 'time-to-threshold' && report.rewardThreshold !== null;
  profile.root.hidden = byStep;
  solvedByStep.root.hidden = !byStep;
  if (byStep) {
    profileTitle.firstChild!.textContent = 'Solved by step ';
    profileTitle.querySelector('.muted')!.textContent = "fraction of each agent's runs that have reached the threshold (Kaplan–Meier; unsolved runs count until they ended)";
    solvedByStep.show(report);
  } else {
    profileTitle.firstChild!.textContent = 'Performance profile ';
    profileTitle.querySelector('.muted')!.textContent = 'fraction of runs whose final return is above τ';
    solvedByStep.hide();
    profile.show(report);
  }
}

/** One row per run: its numbers (when the report has them) and links to its first and last recorded evaluations. */
function renderRuns(cmp: ComparisonResponse, groups: EpisodeGroup[]): number {
  const report = cmp.report;
  const lastEval = report?.headline === 'time-to-threshold' ? 'last eval (the one that crossed the threshold)' : 'final score';
  const head = row(['run', 'agent', 'seed', ...(queue?.configured ? ['on the queue'] : []), 'status', 'ended at / budget', lastEval, 'steps to threshold', 'replays'], true);
  if (queue?.configured) head.children[3].className = 'queue-cell';
  runsEl.replaceChildren(head);
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
        r ? `${formatSteps(r.steps)} / ${formatSteps(r.totalSteps)}${r.steps < r.totalSteps ? ' (ended early)' : ''}` : '—',
        r ? formatValue(r.finalScore) : '—',
        r ? (r.stepsToThreshold === null ? 'not reached' : formatSteps(r.stepsToThreshold)) : '—',
      ]);
      tr.append(cell);
      tr.dataset.run = run;
      if (queue?.configured) tr.children[3].before(queueCell(queueJobs?.runs.find((j) => j.run === run && j.dir === '')));
      runsEl.append(tr);
    }
  }
  return links;
}

function renderMethod(report: ComparisonReport): void {
  const m = report.method;
  const items = [
    `${report.env}${report.rewardThreshold !== null ? `, reward threshold ${report.rewardThreshold}` : ''}; seeds ${report.seeds.join(', ')} for every agent; budgets ${report.agentReports.map((a) => `${a.agent} ${a.totalSteps.map(formatSteps).join('/')}`).join(', ')}${m.budgetsDiffer ? ' (different)' : ''}; backend ${m.backends.join(', ')}.`,
    m.headline ? `Headline: ${m.headline}.` : '',
    `Score axes: from ${report.scoreScale.floorSource === 'random policy' ? `the random-policy return (${formatValue(report.scoreScale.floor)})` : '0'}${report.scoreScale.ceiling !== null ? ` to the maximum return ${report.scoreScale.ceiling}` : ''}.`,
    `Final score: ${m.finalScore}. Eval episodes: ${Object.entries(m.evalEpisodes).map(([a, n]) => `${a} ${n}`).join(', ')}.`,
    `Statistics: ${m.statistics}.`,
    `Intervals: ${m.intervals}.`,
    `Time to threshold: ${m.timeToThreshold}.`,
    `AUC: ${m.auc}.`,
    `Curves: ${m.curves}.`,
    `Performance profile: ${m.performanceProfile}.`,
    `After ${m.reference}.`,
  ].filter(Boolean);
  methodEl.replaceChildren(...items.map((t) => el('li', undefined, t)));
}

let linkCount = 0;

// With `view --queue`: the queue's answer for the viewer, and the jobs of the comparison shown (followed live).
let queue: QueueSummary | null = null;
let queueJobs: QueueRunsResponse | null = null;
let queueStream: { id: string; source: EventSource } | null = null;

function followComparisonQueue(id: string): void {
  if (!queue?.configured || queueStream?.id === id) return;
  queueStream?.source.close();
  queueJobs = null; // another comparison's jobs must not show under runs of the same name
  renderQueue();
  const source = followQueue(api.comparisonQueueEventsUrl(id), (q) => {
    queueJobs = q;
    renderQueue();
  });
  queueStream = { id, source };
}

/** The runs table's queue cells and the note above it, from the latest jobs. */
function renderQueue(): void {
  queueNoteEl.textContent = queueJobs ? queueNote(queueJobs, 'this comparison') : '';
  queueNoteEl.classList.toggle('error', queueJobs?.reachable === false);
  for (const tr of runsEl.querySelectorAll<HTMLTableRowElement>('tr[data-run]')) {
    tr.querySelector('td.queue-cell')?.replaceWith(queueCell(queueJobs?.runs.find((j) => j.run === tr.dataset.run && j.dir === '')));
  }
}

async function show(id: string): Promise<void> {
  const token = ++loadToken;
  setStatus(`loading ${id}…`);
  const [cmp, episodes] = await Promise.all([api.comparison(id), api.comparisonEpisodes(id).catch(() => ({ groups: [] as EpisodeGroup[] }))]);
  if (token !== loadToken) return;
  current = cmp;
  picker.value = id;
  $<HTMLAnchorElement>('scalars-link').href = `scalars.html?c=${encodeURIComponent(id)}`;
  const sweep = cmp.request?.sweep as { agent?: string } | undefined;
  titleEl.textContent = sweep?.agent ? `${cmp.env ?? '?'}: ${sweep.agent} sweep over ${cmp.agents.length} configurations` : `${cmp.env ?? '?'}: ${cmp.agents.join(' vs ')}`;
  subtitleEl.textContent = `${id} · ${cmp.seeds.length} seeds (${cmp.seeds.join(', ')})${cmp.createdAt ? ` · started ${cmp.createdAt.replace('T', ' ').slice(0, 19)}` : ''}`;
  const report = cmp.report ? upgradeReport(cmp.report) : null;
  shownReport = report;
  document.body.classList.toggle('no-report', !report);
  document.body.classList.toggle('by-threshold', report?.headline === 'time-to-threshold');
  if (report) {
    renderCaveats(report);
    renderResults(report);
    renderImprovement(report);
    renderMethod(report);
    curves.show(report);
    renderIntervals(report);
    renderProfile(report);
  } else {
    for (const t of [resultsEl, improvementEl, caveatsEl]) t.replaceChildren();
    caveatsEl.hidden = true;
    methodEl.replaceChildren();
  }
  linkCount = renderRuns({ ...cmp, report }, episodes.groups);
  await renderConfigTable(cmp, token);
  if (token !== loadToken) return;
  await loadRunCurves(cmp, token);
  if (token !== loadToken) return;
  followComparison(id, !report);
  followComparisonQueue(id);
  const notes = [...cmp.problems];
  if (!report) {
    notes.unshift(
      'No report.json yet: the comparison is still running or was interrupted (this page updates as its runs log). If it was interrupted, rerun the same `npm run compare` command to finish it (or `npm run compare -- --report-only DIR`).',
    );
  }
  setStatus(notes.length ? notes.join(' · ') : `${cmp.agents.length} agents × ${cmp.seeds.length} seeds · ${linkCount} replay links`, cmp.problems.length > 0);
}

/** A sweep's (or any comparison's) runs by the configuration values that differ between them; hidden when none do. */
async function renderConfigTable(cmp: ComparisonResponse, token: number): Promise<void> {
  const listed = await api.comparisonRuns(cmp.id).catch(() => ({ runs: [] as RunInfo[] }));
  if (token !== loadToken) return;
  const groupOf = (run: string) => run.replace(/__seed-?\d+$/, '');
  const runs = listed.runs.filter((r) => cmp.agents.includes(groupOf(r.id)));
  const card = $<HTMLElement>('config-card');
  card.hidden = runs.length < 2 || differingKeys(runs).length === 0;
  if (!card.hidden) configTable.show(runs.map((info) => ({ info, color: agentColor(cmp.agents.indexOf(groupOf(info.id))) })));
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
  allRuns.show(series, kind === 'eval' ? 'greedy eval mean return' : 'training episode return', shownReport?.scoreScale ?? null);
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
// or the report is written (server-sent events from /api/comparisons/<cmp>/progress, render/server/live.ts), then stops following.
let live: { id: string; source: EventSource; connected: boolean } | null = null;
let liveUpdates = 0;

function followComparison(id: string, running: boolean): void {
  if (live && (!running || live.id !== id)) {
    live.source.close();
    live = null;
  }
  if (!running || live || typeof EventSource === 'undefined') return;
  const source = new EventSource(`api/comparisons/${encodeURIComponent(id)}/progress`);
  followChanges(source, (first) => {
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
  if (shownReport) {
    curves.show(shownReport);
    renderIntervals(shownReport);
    renderProfile(shownReport);
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
    headline: shownReport?.headline ?? null,
    caveats: caveatsEl.hidden ? [] : [...caveatsEl.children].map((li) => li.textContent ?? ''),
    noEvidence: [...improvementEl.querySelectorAll('.no-evidence')].length,
    ties: [...resultsEl.querySelectorAll('.tie')].map((t) => t.textContent ?? ''),
    curvesTicks: curves.yAxis?.ticks ?? null,
    curvesRange: curves.yAxis ? [curves.yAxis.min, curves.yAxis.max] : null,
    intervalTicks: intervals.axis?.ticks ?? null,
    allRuns: { smoothing: allRuns.smoothing, metric: runsMetric.value, runs: allRuns.summary },
    configTable: $<HTMLElement>('config-card').hidden ? null : { columns: configTable.columns, order: configTable.order, axes: configTable.axes },
    live: { following: live?.id ?? null, connected: live?.connected ?? false, updates: liveUpdates },
    queue: {
      note: queueNoteEl.textContent,
      cells: Object.fromEntries([...runsEl.querySelectorAll<HTMLTableRowElement>('tr[data-run]')].map((tr) => [tr.dataset.run, tr.querySelector('td.queue-cell')?.textContent ?? null])),
    },
  }),
};

async function start(): Promise<void> {
  const [{ runsDir, comparisons }, q] = await Promise.all([api.comparisons(), api.queue().catch(() => null)]);
  queue = q;
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
