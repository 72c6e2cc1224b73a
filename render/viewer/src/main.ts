/**
 * The tsgym viewer app: an episode picker grouped by run and checkpoint (with a filter box), one or two
 * replay panes playing in sync, transport controls with keyboard shortcuts, PNG/GIF export, and the run's
 * learning curve, which follows a run while it trains (server-sent events from /api/runs/<run>/events).
 * A replay file from elsewhere (e.g. downloaded from the play page) opens with "open…" or by dropping it on
 * the page: it is checked by the replay format's parser and listed under "opened files".
 *
 * The selection lives in the URL hash (`#a=<run>/<path>&b=<run>/<path>&sbs=1`), so a link or a reload
 * shows the same episodes. `window.__tsgymViewer` exposes a read-only snapshot for tests and debugging.
 */
import type { RendererPreference } from 'pixi.js';
import type { EpisodeEntry, EpisodeGroup, LiveChange, MetricsResponse, RunChange, RunInfo, ValuesFile } from '../../../formats/api-types.js';
import { parseReplay, type ReplayFile } from '../../../formats/replay-format.js';
import { api, ApiRequestError, comparisonScope } from './api.js';
import { download, episodeGif, fileStem, framePng } from './export.js';
import { LearningCurve } from './chart.js';
import { el, formatNumber } from './hud.js';
import { Pane, type Selection } from './pane.js';
import { Playback, SPEEDS } from './playback.js';

interface ViewerDebug {
  ready: boolean;
  busy: number;
  error: string | null;
  snapshot(): Record<string, unknown>;
}

declare global {
  interface Window {
    __tsgymViewer?: ViewerDebug;
  }
}

const $ = <T extends HTMLElement>(id: string) => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`viewer page is missing #${id}`);
  return e as T;
};

const pickA = $<HTMLSelectElement>('pick-a');
const pickB = $<HTMLSelectElement>('pick-b');
const sideBySideBox = $<HTMLInputElement>('side-by-side');
const panesEl = $<HTMLDivElement>('panes');
const playButton = $<HTMLButtonElement>('play');
const backButton = $<HTMLButtonElement>('step-back');
const forwardButton = $<HTMLButtonElement>('step-forward');
const startButton = $<HTMLButtonElement>('to-start');
const endButton = $<HTMLButtonElement>('to-end');
const timeline = $<HTMLInputElement>('timeline');
const counter = $<HTMLSpanElement>('step-counter');
const speedSelect = $<HTMLSelectElement>('speed');
const statusEl = $<HTMLDivElement>('status');
const runInfoEl = $<HTMLDivElement>('run-info');
const chartHost = $<HTMLDivElement>('chart');
const filterBox = $<HTMLInputElement>('filter');
const filterCount = $<HTMLSpanElement>('filter-count');
const scopeSelect = $<HTMLSelectElement>('scope');
const liveBadge = $<HTMLSpanElement>('live');
const followBox = $<HTMLInputElement>('follow');
const exportPngButton = $<HTMLButtonElement>('export-png');
const exportGifButton = $<HTMLButtonElement>('export-gif');
const exportHudBox = $<HTMLInputElement>('export-hud');
const openButton = $<HTMLButtonElement>('open-file');
const browseButton = $<HTMLButtonElement>('browse');
const browser = $<HTMLDivElement>('browser');
const browseFilter = $<HTMLInputElement>('browse-filter');
const browseList = $<HTMLDivElement>('browse-list');
const openInput = $<HTMLInputElement>('open-file-input');

const playback = new Playback();
const panes = [new Pane('A'), new Pane('B')];
const curve = new LearningCurve();
chartHost.append(curve.root);

let runs = new Map<string, RunInfo>();
let groups: EpisodeGroup[] = [];
const entries = new Map<string, EpisodeEntry>();
const metricsCache = new Map<string, Promise<MetricsResponse>>();
/** The highest env step each run's metrics.jsonl reached (its summary.json is written less often while it trains). */
const loggedStep = new Map<string, number>();
const valuesCache = new Map<string, Promise<{ values: ValuesFile | null; error: string | null }>>();
let sideBySide = false;
let busy = 0;
let fatal: string | null = null;
let ready = false;

const keyOf = (s: Selection) => `${s.run}/${s.path}`;

/** The "run" of replays opened from files (a name no run directory of a runs dir would have: it has a space and brackets). */
const OPENED = '(opened file)';
/** Replays opened from files, by their selection key; they live in this tab only. */
const opened = new Map<string, ReplayFile>();
const isOpened = (s: Selection | null) => s?.run === OPENED;
const openedLabel = (r: ReplayFile, name: string) => `${r.envId} · ${r.agent.name} · seed ${r.seed ?? '?'} · return ${formatNumber(r.return)} · ${r.length} steps — ${name}`;
function parseKey(key: string): Selection | null {
  const i = key.indexOf('/');
  return i > 0 ? { run: key.slice(0, i), path: key.slice(i + 1) } : null;
}

function setStatus(text: string, isError = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}

/** The runs summary last shown by loadIndex. */
let indexSummary = '';

/**
 * The runs summary, shown when it changes: a refresh that finds the same runs leaves the status line alone,
 * so it does not wipe a message the user has not read yet (a refused file, a saved export).
 */
function setIndexStatus(text: string, isError = false): void {
  if (text === indexSummary) return;
  indexSummary = text;
  setStatus(text, isError);
}

// ---------------------------------------------------------------------------------------------------
// Episode picker
// ---------------------------------------------------------------------------------------------------

function groupLabel(g: EpisodeGroup): string {
  const run = runs.get(g.run);
  // A directory not named like a run (a replay copied in by hand) is described by its first episode's own fields.
  const first = g.episodes.find((e) => !e.error);
  const who = run ? `${run.envId ?? first?.envId ?? '?'} · ${run.agent ?? first?.agent ?? '?'} · seed ${run.seed ?? first?.seed ?? '?'}` : g.run;
  if (g.kind === 'eval' && g.step !== null) return `${who} — eval @ ${g.step.toLocaleString('en')} steps`;
  if (g.kind === 'record' && g.step !== null) return `${who} — recorded from checkpoint ${g.step.toLocaleString('en')}${g.seed !== null ? `, seed ${g.seed}` : ''}`;
  return `${who} — ${g.name || 'episodes'}`;
}

/** A name for people: env · agent · seed — checkpoint — episode. */
function describeSelection(sel: Selection): string {
  const file = opened.get(keyOf(sel));
  if (file) return `opened file — ${openedLabel(file, sel.path)}`;
  const g = groups.find((x) => x.run === sel.run && x.episodes.some((e) => e.path === sel.path));
  const name = entries.get(keyOf(sel))?.name ?? sel.path;
  return g ? `${groupLabel(g)} — ${name}` : `${sel.run} — ${sel.path}`;
}

/** Where in the run an episode group comes from, briefly: `eval @ 5,000`, `record @ 5,000 seed 7`. */
function phaseLabel(g: EpisodeGroup): string {
  if (g.step === null) return g.name || 'episodes';
  return `${g.kind === 'eval' ? 'eval' : g.kind} @ ${g.step.toLocaleString('en')}${g.kind === 'record' && g.seed !== null ? ` seed ${g.seed}` : ''}`;
}

/** A run's group in the picker: env · agent · seed — its directory. */
function runGroupLabel(runId: string, groupsOfRun: EpisodeGroup[]): string {
  const run = runs.get(runId);
  const first = groupsOfRun.flatMap((g) => g.episodes).find((e) => !e.error);
  return `${run?.envId ?? first?.envId ?? '?'} · ${run?.agent ?? first?.agent ?? '?'} · seed ${run?.seed ?? first?.seed ?? '?'} — ${runId}`;
}

/**
 * An option's text: what tells the episodes of one run apart, first — checkpoint · episode · how it went
 * (a closed <select> shows only this; its group names the run, and its tooltip both).
 */
function optionLabel(e: EpisodeEntry, g: EpisodeGroup): string {
  const bits = [phaseLabel(g), e.name];
  if (e.error) return `${bits.join(' · ')} — unreadable`;
  if (e.return !== undefined) bits.push(`return ${formatNumber(e.return)}`);
  if (e.length !== undefined) bits.push(`${e.length} steps`);
  if (e.label) bits.push(e.label);
  return bits.join(' · ');
}

/** The filter box's words; an episode matches when its text holds every one (case-insensitive). */
function filterTerms(): string[] {
  return filterBox.value.toLowerCase().split(/\s+/).filter(Boolean);
}

function matchesFilter(text: string, terms: string[]): boolean {
  const t = text.toLowerCase();
  return terms.every((w) => t.includes(w));
}

function fillPicker(select: HTMLSelectElement, withNone: boolean): number {
  const previous = select.value;
  const terms = filterTerms();
  let shown = 0;
  let previousShown = previous === '';
  select.replaceChildren();
  if (withNone) select.append(new Option('— pick an episode —', ''));
  // Runs newest first (by directory name time), checkpoints in order within a run.
  const byRun = new Map<string, EpisodeGroup[]>();
  for (const g of groups) byRun.set(g.run, [...(byRun.get(g.run) ?? []), g]);
  const runOrder = [...byRun.keys()].sort((a, b) => (runs.get(b)?.startedAt ?? '').localeCompare(runs.get(a)?.startedAt ?? '') || a.localeCompare(b));
  // One group per run (a select cannot nest groups): with many runs the list stays one entry per episode
  // under a short header, and the find box narrows it by anything in either.
  for (const run of runOrder) {
    const og = document.createElement('optgroup');
    og.label = runGroupLabel(run, byRun.get(run) ?? []);
    for (const g of byRun.get(run) ?? []) {
      for (const e of g.episodes) {
        const text = optionLabel(e, g);
        if (!matchesFilter(`${text} ${og.label}`, terms)) continue;
        const opt = new Option(text, keyOf({ run: e.run, path: e.path }));
        opt.title = e.error ?? `${og.label} › ${text}`;
        og.append(opt);
        shown++;
        if (opt.value === previous) previousShown = true;
      }
    }
    if (og.children.length) select.append(og);
  }
  if (opened.size) {
    const og = document.createElement('optgroup');
    og.label = 'opened files (this tab only)';
    for (const [key, r] of opened) og.append(new Option(openedLabel(r, parseKey(key)!.path), key));
    select.append(og);
    if (opened.has(previous)) previousShown = true;
  }
  // The episode on screen stays in its picker even when the filter hides it.
  const current = previous ? entries.get(previous) : undefined;
  if (previous && !current && !opened.has(previous)) {
    // The run of the episode on screen was deleted: keep naming it rather than showing a blank picker.
    const og = document.createElement('optgroup');
    og.label = 'shown now (no longer in the runs directory)';
    og.append(new Option(`${previous} (deleted)`, previous));
    select.prepend(og);
  } else if (current && !previousShown) {
    const g = groups.find((x) => x.run === current.run && x.episodes.includes(current));
    const og = document.createElement('optgroup');
    og.label = 'shown now (does not match the filter)';
    og.append(new Option(g ? `${optionLabel(current, g)} — ${current.run}` : previous, previous));
    select.prepend(og);
  }
  if (previous) select.value = previous;
  select.title = select.selectedOptions[0]?.title ?? '';
  return shown;
}

function fillPickers(): void {
  const shown = fillPicker(pickA, false);
  fillPicker(pickB, true);
  filterCount.textContent = filterTerms().length ? `${shown} / ${entries.size}` : '';
  if (!browser.hidden) renderBrowser();
}

/** Runs shown at once in the browser; a search narrows the rest. */
const BROWSE_RUNS = 40;
let browseShown = { runs: 0, episodes: 0, more: 0 };

/**
 * The episode browser: every run as a foldable group (env · agent · seed — run), its episodes as buttons
 * led by what tells them apart; the search box keeps the runs and episodes holding every word typed
 * (opening the groups), Enter opens the first match.
 */
function renderBrowser(): void {
  const terms = browseFilter.value.toLowerCase().split(/\s+/).filter(Boolean);
  const byRun = new Map<string, EpisodeGroup[]>();
  for (const g of groups) byRun.set(g.run, [...(byRun.get(g.run) ?? []), g]);
  const runOrder = [...byRun.keys()].sort((a, b) => (runs.get(b)?.startedAt ?? '').localeCompare(runs.get(a)?.startedAt ?? '') || a.localeCompare(b));
  const current = panes[0].selection ? keyOf(panes[0].selection) : '';
  browseShown = { runs: 0, episodes: 0, more: 0 };
  const items: HTMLElement[] = [];
  for (const run of runOrder) {
    const label = runGroupLabel(run, byRun.get(run)!);
    const buttons: HTMLButtonElement[] = [];
    for (const g of byRun.get(run)!) {
      for (const e of g.episodes) {
        const text = optionLabel(e, g);
        if (!matchesFilter(`${text} ${label}`, terms)) continue;
        const key = keyOf({ run: e.run, path: e.path });
        const b = el('button', key === current ? 'current' : undefined, text);
        b.type = 'button';
        b.dataset.key = key;
        b.title = e.error ?? `${label} › ${text}`;
        b.addEventListener('click', () => pickFromBrowser(key));
        buttons.push(b);
      }
    }
    if (!buttons.length) continue;
    if (browseShown.runs >= BROWSE_RUNS) {
      browseShown.more++;
      continue;
    }
    const details = el('details');
    details.open = terms.length > 0 || buttons.some((b) => b.dataset.key === current);
    const summary = el('summary', undefined, label);
    summary.append(el('span', 'muted', ` (${buttons.length})`));
    const box = el('div', 'episodes');
    box.append(...buttons);
    details.append(summary, box);
    items.push(details);
    browseShown.runs++;
    browseShown.episodes += buttons.length;
  }
  if (browseShown.more) items.push(el('div', 'more', `${browseShown.more} more run(s) match: type more of a name to narrow the list.`));
  if (!items.length) items.push(el('div', 'more', groups.length ? 'No episode matches every word.' : 'No recorded episodes yet.'));
  browseList.replaceChildren(...items);
}

function setBrowserOpen(open: boolean): void {
  browser.hidden = !open;
  if (open) {
    renderBrowser();
    browseFilter.focus();
  } else if (document.activeElement === browseFilter) {
    browseFilter.blur();
  }
}

function pickFromBrowser(key: string): void {
  setBrowserOpen(false);
  void select(0, parseKey(key));
}

async function loadIndex(): Promise<void> {
  const [runsRes, episodesRes] = await Promise.all([api.runs(), api.episodes()]);
  runs = new Map(runsRes.runs.map((r) => [r.id, r]));
  groups = episodesRes.groups;
  entries.clear();
  for (const g of groups) for (const e of g.episodes) entries.set(keyOf({ run: e.run, path: e.path }), e);
  fillPickers();
  const problems = runsRes.runs.flatMap((r) => r.problems);
  if (!runsRes.runs.length && comparisonScope !== null) setIndexStatus(`Comparison ${comparisonScope} has no runs in ${runsRes.runsDir} (its runs/ directory is missing or empty).`);
  else if (!runsRes.runs.length) setIndexStatus(`No runs in ${runsRes.runsDir} yet. Train something (e.g. npm run train:dqn cartpole); it will appear here.`);
  else if (!groups.length) setIndexStatus(`${runsRes.runs.length} run(s) in ${runsRes.runsDir}, but none has recorded episodes yet.`);
  else {
    const unreadable = [...entries.values()].filter((e) => e.error).length;
    const notes = [
      problems.length ? `${problems.length} unreadable run file(s) (hover for details)` : '',
      unreadable ? `${unreadable} unreadable episode(s), marked in the picker` : '',
    ].filter(Boolean);
    setIndexStatus([`${runsRes.runs.length} run(s), ${entries.size} episode(s) in ${runsRes.runsDir}`, ...notes].join(' · '));
    statusEl.title = problems.join('\n');
  }
}

/** A header link to the comparison page: back to this comparison, or to the list when the runs dir holds some. */
async function showComparisonLink(): Promise<void> {
  const link = $<HTMLAnchorElement>('compare-link');
  if (comparisonScope !== null) $<HTMLAnchorElement>('scalars-link').href = `scalars.html?c=${encodeURIComponent(comparisonScope)}`;
  if (comparisonScope !== null) {
    link.href = `compare.html?c=${encodeURIComponent(comparisonScope)}`;
    link.textContent = `← comparison ${comparisonScope}`;
    link.hidden = false;
    return;
  }
  const comparisons = (await api.comparisons().catch(() => ({ comparisons: [] }))).comparisons;
  if (!comparisons.length) return;
  link.href = 'compare.html';
  link.textContent = `comparisons (${comparisons.length})`;
  link.hidden = false;
}

/**
 * The "runs" picker: the runs directory's own runs or one comparison's (`?c=`). A directory holding only
 * comparisons (e.g. `npm run view -- --runs examples`) opens its newest comparison's runs; true when the
 * page is about to reload for that.
 */
async function setUpScope(): Promise<boolean> {
  const comparisons = (await api.comparisons().catch(() => ({ comparisons: [] }))).comparisons;
  if (!comparisons.length) return false;
  if (comparisonScope === null && !runs.size) {
    location.replace(`?c=${encodeURIComponent(comparisons[0].id)}`);
    return true;
  }
  const own = new Option('this directory', '');
  scopeSelect.replaceChildren(own, ...comparisons.map((c) => new Option(`comparison ${c.id} (${c.env ?? '?'}: ${c.agents.join(', ')})`, c.id)));
  scopeSelect.value = comparisonScope ?? '';
  if (scopeSelect.value !== (comparisonScope ?? '')) scopeSelect.append(new Option(`comparison ${comparisonScope}`, comparisonScope ?? ''));
  scopeSelect.value = comparisonScope ?? '';
  $<HTMLLabelElement>('scope-wrap').hidden = false;
  return false;
}

scopeSelect.addEventListener('change', () => {
  scopeSelect.blur();
  location.search = scopeSelect.value ? `?c=${encodeURIComponent(scopeSelect.value)}` : '';
});

/** The default episode: from the newest run with episodes, its latest checkpoint's first episode. */
function defaultSelection(): Selection | null {
  const opt = [...pickA.options].find((o) => o.value && !entries.get(o.value)?.error);
  if (!opt) return null;
  const first = parseKey(opt.value);
  if (!first) return null;
  const runGroups = groups.filter((g) => g.run === first.run && g.episodes.some((e) => !e.error));
  const last = runGroups[runGroups.length - 1];
  const e = last?.episodes.find((x) => !x.error);
  return e ? { run: e.run, path: e.path } : first;
}

/** For side by side: the same episode number from the run's earliest checkpoint (early vs late behaviour). */
function companionSelection(a: Selection): Selection | null {
  const runGroups = groups.filter((g) => g.run === a.run);
  const name = entries.get(keyOf(a))?.name;
  for (const g of runGroups) {
    const e = g.episodes.find((x) => x.name === name && !x.error && keyOf(x) !== keyOf(a)) ?? g.episodes.find((x) => !x.error && keyOf(x) !== keyOf(a));
    if (e) return { run: e.run, path: e.path };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Loading episodes
// ---------------------------------------------------------------------------------------------------

function metricsFor(run: string): Promise<MetricsResponse> {
  let p = metricsCache.get(run);
  if (!p) {
    p = api.metrics(run).catch((e: Error) => ({ run, records: [], skippedLines: [], next: null, error: e.message }) as MetricsResponse);
    metricsCache.set(run, p);
  }
  return p;
}

/** The run's values.json, or the reason it could not be used (shown in the pane; the episode still plays). */
function valuesFor(run: string): Promise<{ values: ValuesFile | null; error: string | null }> {
  if (!runs.get(run)?.hasValues) return Promise.resolve({ values: null, error: null });
  let p = valuesCache.get(run);
  if (!p) {
    p = api.values(run).then(
      (values) => ({ values, error: null }),
      (e: Error) => ({ values: null, error: `The value overlay is not shown: ${e.message}` }),
    );
    valuesCache.set(run, p);
  }
  return p;
}

let loadCounter = [0, 0];
/** Whether pane A shows its run's newest evaluation (then, following a run, it moves on to the next one). */
let paneAAtNewest = false;

async function select(slot: 0 | 1, sel: Selection | null): Promise<void> {
  const pane = panes[slot];
  const token = ++loadCounter[slot];
  (slot === 0 ? pickA : pickB).value = sel ? keyOf(sel) : '';
  // Whether pane A follows its run's newest evaluation is decided by what the user picked, when they picked
  // it: a refresh during the load must neither move an older pick on nor stop following a newest one.
  if (slot === 0) paneAAtNewest = sel !== null && newestEvalEpisode(sel.run)?.path === sel.path;
  if (!sel) {
    pane.showError(null, '', 'Pick an episode to compare.');
    afterSelection();
    return;
  }
  const file = opened.get(keyOf(sel));
  if (file) {
    pane.setEpisode(sel, describeSelection(sel), file, null, undefined, null);
    afterSelection();
    return;
  }
  busy++;
  try {
    const [replay, values] = await Promise.all([api.replay(sel.run, sel.path), valuesFor(sel.run)]);
    if (token !== loadCounter[slot]) return; // a newer pick won
    pane.setEpisode(sel, describeSelection(sel), replay, values.values, entries.get(keyOf(sel)), values.error);
  } catch (e) {
    if (token !== loadCounter[slot]) return;
    const status = e instanceof ApiRequestError && e.status ? ` (HTTP ${e.status})` : '';
    pane.showError(sel, describeSelection(sel), `Could not load this episode${status}: ${(e as Error).message}`);
  } finally {
    busy--;
  }
  afterSelection();
}

function afterSelection(): void {
  const active = sideBySide ? panes : [panes[0]];
  const lengths = active.map((p) => p.replay?.length ?? 0);
  playback.stepsPerSecond = panes[0].scene?.stepsPerSecond ?? panes[1].scene?.stepsPerSecond ?? 30;
  playback.setLastFrame(Math.max(0, ...lengths));
  writeHash();
  void updateCurve();
  renderRunInfo();
  renderAll();
  followShownRuns();
}

let curveToken = 0;

async function updateCurve(): Promise<void> {
  busy++;
  try {
    await drawCurve();
  } finally {
    busy--;
  }
}

async function drawCurve(): Promise<void> {
  const token = ++curveToken;
  const inputs: { run: string; metrics: MetricsResponse; markerSteps: number[] }[] = [];
  for (const p of (sideBySide ? panes : [panes[0]]).filter((x) => x.selection && !isOpened(x.selection))) {
    const run = p.selection!.run;
    const marker = p.replay?.agent.checkpointStep ?? null;
    // The same run in both panes: one curve with both checkpoints marked.
    let input = inputs.find((i) => i.run === run);
    if (!input) {
      input = { run, metrics: await metricsFor(run), markerSteps: [] };
      inputs.push(input);
    }
    if (marker !== null) input.markerSteps.push(marker);
  }
  if (token !== curveToken) return;
  curve.show(inputs);
  let changed = false;
  for (const i of inputs) {
    const step = i.metrics.records.reduce((m, r) => Math.max(m, r.step), 0);
    if (loggedStep.get(i.run) !== step) {
      loggedStep.set(i.run, step);
      changed = true;
    }
  }
  if (changed) renderRunInfo();
}

function renderRunInfo(): void {
  const sel = panes[0].selection;
  const run = sel ? runs.get(sel.run) : undefined;
  runInfoEl.replaceChildren();
  const file = sel ? opened.get(keyOf(sel)) : undefined;
  if (file) {
    const dl = el('dl');
    const rows: [string, string][] = [
      ['file', sel!.path],
      ['env', file.envId],
      ['agent', file.agent.name],
      ['seed', String(file.seed ?? '—')],
      ['return', formatNumber(file.return)],
      ['length', `${file.length} steps, ${file.terminated ? 'terminated' : file.truncated ? 'truncated' : 'cut short'}`],
    ];
    for (const [k, v] of rows) dl.append(el('dt', undefined, k), el('dd', `info-${k}`, v));
    runInfoEl.append(dl, el('div', 'muted', 'Opened from a file: it has no run, so no learning curve.'));
    return;
  }
  if (!run) return;
  const rows: [string, string][] = [
    ['run', run.id],
    ['env', run.envId ?? '—'],
    ['agent', run.agent ?? '—'],
    ['seed', String(run.seed ?? '—')],
  ];
  const cfg = run.config ?? {};
  if (typeof cfg.backend === 'string') rows.push(['backend', cfg.backend]);
  if (typeof cfg.totalSteps === 'number') rows.push(['total steps', cfg.totalSteps.toLocaleString('en')]);
  if (typeof cfg.numEnvs === 'number') rows.push(['envs', String(cfg.numEnvs)]);
  const stream = streams.get(run.id);
  if (stream) rows.push(['live', stream.updates ? `following: ${stream.updates} update(s), last at ${stream.lastUpdate}` : 'following (updates as it trains)']);
  if (run.summary) {
    rows.push(['status', String(run.summary.status)]);
    const training = !DONE.has(String(run.summary.status));
    const steps = Math.max(typeof run.summary.steps === 'number' ? run.summary.steps : 0, training ? (loggedStep.get(run.id) ?? 0) : 0);
    rows.push(['steps done', `${steps.toLocaleString('en')}${training ? ' (training)' : ''}`]);
    if (run.summary.finalEval) rows.push(['final eval', `${formatNumber(run.summary.finalEval.mean)} ± ${formatNumber(run.summary.finalEval.std)}`]);
  } else {
    rows.push(['status', 'starting (no summary.json yet)']);
    if (loggedStep.get(run.id)) rows.push(['steps done', `${loggedStep.get(run.id)!.toLocaleString('en')} (training)`]);
  }
  const dl = el('dl');
  for (const [k, v] of rows) dl.append(el('dt', undefined, k), el('dd', `info-${k.replace(/\W+/g, '-')}`, v));
  runInfoEl.append(dl);
  for (const p of run.problems) runInfoEl.append(el('div', 'problem', p));
}

// ---------------------------------------------------------------------------------------------------
// Following runs while they train
// ---------------------------------------------------------------------------------------------------

/** A shown run being followed: how many changes the page has drawn from it. */
interface Followed {
  updates: number;
  lastUpdate: string;
}

const streams = new Map<string, Followed>();
/** Statuses after which a run's files stop changing (a stream is not kept open for them). */
const DONE = new Set(['finished', 'diverged']);
let liveUpdates = 0;
let runListUpdates = 0;

// One server-sent event stream per page (browsers allow six connections per server): the runs list, and the
// files of each followed run. It is reopened when the set of followed runs changes.
let liveSource: EventSource | null = null;
let liveKey: string | null = null;
let lastRunsList: string | null = null;
const lastRunChange = new Map<string, string>();

function openLiveStream(): void {
  if (typeof EventSource === 'undefined') return;
  const followed = [...streams.keys()].sort();
  const key = followed.join('\n');
  if (liveSource && key === liveKey) return;
  liveSource?.close();
  liveKey = key;
  const query = followed.length ? `?${new URLSearchParams(followed.map((r) => ['follow', r])).toString()}` : '';
  const source = new EventSource(`${api.runsEventsUrl()}${query}`);
  liveSource = source;
  source.addEventListener('change', (ev) => {
    if (source !== liveSource) return;
    const data = JSON.parse((ev as MessageEvent<string>).data) as LiveChange;
    const list = JSON.stringify(data.runs);
    if (list !== lastRunsList) {
      // The first list also refreshes: a run may have appeared between loading the index and opening the stream.
      const first = lastRunsList === null;
      lastRunsList = list;
      void onRunsListChanged(!first);
    }
    for (const [run, change] of Object.entries(data.followed ?? {})) {
      const text = JSON.stringify(change);
      const before = lastRunChange.get(run);
      if (text === before || !streams.has(run)) continue;
      lastRunChange.set(run, text);
      if ('error' in change) {
        streams.delete(run);
        followShownRuns();
        continue;
      }
      // A run's first report refreshes it too (it may have changed since the page loaded), without counting.
      void onRunChanged(run, change, before !== undefined);
    }
  });
}

/** Keeps the shown runs that are still training (no summary yet, or status running / interrupted) followed. */
function followShownRuns(): void {
  const wanted = new Set(
    (sideBySide ? panes : [panes[0]])
      .map((p) => p.selection?.run)
      // Only training runs (they have a config.json); a directory of loose replays never changes by itself.
      .filter((r): r is string => r !== undefined && runs.has(r) && runs.get(r)!.config !== null && !DONE.has(String(runs.get(r)?.summary?.status ?? ''))),
  );
  for (const run of [...streams.keys()]) {
    if (!wanted.has(run)) {
      streams.delete(run);
      lastRunChange.delete(run);
    }
  }
  for (const run of wanted) if (!streams.has(run)) streams.set(run, { updates: 0, lastUpdate: '' });
  renderLive();
  if (liveKey !== null) openLiveStream(); // after start-up (which opens it)
}

function renderLive(): void {
  const following = [...streams.keys()];
  liveBadge.hidden = following.length === 0;
  liveBadge.textContent = following.length ? 'live' : '';
  $<HTMLLabelElement>('follow-wrap').hidden = following.length === 0;
}

/** A followed run's files changed: refetch its info, episodes and metrics, and redraw what shows them. */
async function onRunChanged(run: string, change: RunChange, counted = true): Promise<void> {
  busy++;
  try {
    const [info, eps] = await Promise.all([api.run(run), api.runEpisodes(run)]);
    const valuesAppeared = info.hasValues && !runs.get(run)?.hasValues;
    runs.set(run, info);
    groups = [...groups.filter((g) => g.run !== run), ...eps.groups];
    for (const key of [...entries.keys()]) if (parseKey(key)?.run === run) entries.delete(key);
    for (const g of eps.groups) for (const e of g.episodes) entries.set(keyOf({ run: e.run, path: e.path }), e);
    metricsCache.delete(run);
    if (change.hasValues) valuesCache.delete(run);
    fillPickers();
    const st = streams.get(run);
    if (st && counted) {
      st.updates++;
      st.lastUpdate = new Date().toLocaleTimeString('en-GB');
    }
    if (counted) liveUpdates++;
    // Like `tail -f`: a pane showing the newest evaluation moves on to the next one (unless following is
    // turned off or it is playing); one the user moved back to an older episode stays there.
    const shown = panes[0].selection;
    // Only a real change moves it: a run's first report (not counted) is a refresh, with nothing new to show.
    if (counted && followBox.checked && shown?.run === run && paneAAtNewest) {
      const newest = newestEvalEpisode(run);
      if (newest && newest.path !== shown.path && !playback.playing) await select(0, { run, path: newest.path });
      else if (valuesAppeared) await select(0, shown); // draw the value overlay the run just wrote
    } else if (valuesAppeared) {
      for (const [i, p] of panes.entries()) if (p.selection?.run === run) await select(i as 0 | 1, p.selection);
    }
    await updateCurve();
    renderRunInfo();
    if (DONE.has(change.status ?? '')) {
      streams.delete(run);
      lastRunChange.delete(run);
      renderLive();
      renderRunInfo();
      openLiveStream();
    }
  } catch (e) {
    setStatus(`Could not refresh ${run}: ${(e as Error).message}`, true);
  } finally {
    busy--;
  }
}

/** The first readable episode of the run's latest evaluation. */
function newestEvalEpisode(run: string): EpisodeEntry | undefined {
  const evals = groups.filter((g) => g.run === run && g.kind === 'eval' && g.episodes.some((e) => !e.error));
  return evals[evals.length - 1]?.episodes.find((e) => !e.error);
}

/** Runs that appear while the page is open (a training just started) join the picker without a reload. */
async function onRunsListChanged(counted: boolean): Promise<void> {
  busy++;
  try {
    await loadIndex();
    if (counted) runListUpdates++;
    // A shown episode whose run was deleted or moved: say so, instead of playing on from memory.
    let gone = false;
    for (const p of panes) {
      const sel = p.selection;
      if (!sel || !p.replay || isOpened(sel) || entries.has(keyOf(sel))) continue;
      p.showError(sel, describeSelection(sel), `${sel.run}/${sel.path} is no longer in the runs directory (its run was deleted or moved); pick another episode.`);
      gone = true;
    }
    if (gone) {
      playback.pause();
      afterSelection();
    }
    if (!panes[0].selection) {
      const sel = defaultSelection();
      if (sel) await select(0, sel);
    }
    followShownRuns();
  } catch (e) {
    setStatus(`Could not refresh the runs: ${(e as Error).message}`, true);
    indexSummary = ''; // the next refresh that works shows the runs again
  } finally {
    busy--;
  }
}

// ---------------------------------------------------------------------------------------------------
// Playback and controls
// ---------------------------------------------------------------------------------------------------

function renderAll(): void {
  for (const p of sideBySide ? panes : [panes[0]]) p.show(playback.frame);
  timeline.max = String(playback.lastFrame);
  timeline.value = String(playback.frame);
  counter.textContent = `step ${playback.frame} / ${playback.lastFrame}`;
  playButton.textContent = playback.playing ? '❚❚ pause' : '▶ play';
  playButton.setAttribute('aria-pressed', String(playback.playing));
  speedSelect.value = String(playback.speed);
}

playback.onChange(renderAll);

for (const s of SPEEDS) speedSelect.append(new Option(`${s}x`, String(s)));
speedSelect.value = '1';
// A <select> keeps the keyboard focus after a choice, and would then take the arrow keys and space for
// itself (→ picking the next episode): every select gives the focus back to the page once used.
speedSelect.addEventListener('change', () => {
  playback.setSpeed(Number(speedSelect.value));
  speedSelect.blur();
});
// A button clicked with the mouse gives the keyboard back to the player (Space then plays / pauses); one
// reached with Tab keeps the focus, so Space presses it.
for (const b of [playButton, backButton, forwardButton, startButton, endButton]) b.addEventListener('click', (e) => e.detail > 0 && b.blur());
playButton.addEventListener('click', () => playback.toggle());
backButton.addEventListener('click', () => playback.step(-1));
forwardButton.addEventListener('click', () => playback.step(1));
startButton.addEventListener('click', () => {
  playback.pause();
  playback.seek(0);
});
endButton.addEventListener('click', () => {
  playback.pause();
  playback.seek(playback.lastFrame);
});
timeline.addEventListener('input', () => {
  playback.pause();
  playback.seek(Number(timeline.value));
});
pickA.addEventListener('change', () => {
  pickA.blur();
  void select(0, parseKey(pickA.value));
});
pickB.addEventListener('change', () => {
  pickB.blur();
  void select(1, parseKey(pickB.value));
});
filterBox.addEventListener('input', fillPickers);
browseButton.addEventListener('click', () => setBrowserOpen(Boolean(browser.hidden)));
browseFilter.addEventListener('input', renderBrowser);
browseFilter.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') setBrowserOpen(false);
  else if (e.key === 'Enter') {
    const first = browseList.querySelector<HTMLButtonElement>('.episodes button');
    if (first?.dataset.key) pickFromBrowser(first.dataset.key);
  }
});
// A click outside the browser closes it.
document.addEventListener('mousedown', (e) => {
  if (!browser.hidden && !browser.contains(e.target as Node) && e.target !== browseButton) setBrowserOpen(false);
});
filterBox.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    // Enter opens the first match and hands the keys back to the player.
    const first = [...pickA.options].find((o) => o.value && !o.parentElement?.matches('optgroup[label^="shown now"]'));
    if (first) void select(0, parseKey(first.value));
    filterBox.blur();
  } else if (e.key === 'Escape') {
    filterBox.value = '';
    fillPickers();
    filterBox.blur();
  }
});

let lastExport: Record<string, unknown> | null = null;
exportPngButton.addEventListener('click', () => {
  exportPngButton.blur();
  const pane = panes[0];
  if (!pane.replay || !pane.selection) return;
  const frame = Math.min(playback.frame, pane.replay.length);
  const name = `${fileStem(pane.selection.run, pane.selection.path)}__step${frame}.png`;
  const hud = exportHudBox.checked;
  framePng(pane, frame, hud).then(
    (blob) => {
      download(blob, name);
      lastExport = { kind: 'png', name, bytes: blob.size, frame, hud };
      setStatus(`Saved ${name} (${Math.round(blob.size / 1024)} kB)`);
    },
    (e: Error) => setStatus(`PNG export failed: ${e.message}`, true),
  );
});
exportGifButton.addEventListener('click', () => {
  exportGifButton.blur();
  const pane = panes[0];
  if (!pane.replay || !pane.selection || exportGifButton.disabled) return;
  const sel = pane.selection;
  playback.pause();
  exportGifButton.disabled = true;
  busy++;
  const t0 = performance.now();
  episodeGif(pane, { stepsPerSecond: (pane.scene?.stepsPerSecond ?? 30) * playback.speed, hud: exportHudBox.checked, onProgress: (d, t) => setStatus(`Encoding GIF: frame ${d} / ${t}…`) })
    .then(
      (r) => {
        const name = `${fileStem(sel.run, sel.path)}.gif`;
        download(r.blob, name);
        lastExport = { kind: 'gif', name, bytes: r.blob.size, frames: r.frames, width: r.width, height: r.height, ms: Math.round(performance.now() - t0), drawMs: r.drawMs, encodeMs: r.encodeMs };
        setStatus(`Saved ${name}: ${r.frames} frames, ${r.width}×${r.height}, ${Math.round(r.blob.size / 1024)} kB`);
      },
      (e: Error) => setStatus(`GIF export failed: ${e.message}`, true),
    )
    .finally(() => {
      exportGifButton.disabled = false;
      busy--;
    });
});
sideBySideBox.addEventListener('change', () => void setSideBySide(sideBySideBox.checked));
// Once set, the keys belong to the player again (Space would toggle the box as well as play).
exportHudBox.addEventListener('change', () => exportHudBox.blur());

async function setSideBySide(on: boolean): Promise<void> {
  sideBySide = on;
  sideBySideBox.checked = on;
  document.body.classList.toggle('side-by-side', on);
  if (on) {
    if (!panes[1].app) await panes[1].init(rendererPreference());
    panesEl.append(panes[1].root);
    if (!panes[1].selection && panes[0].selection) await select(1, companionSelection(panes[0].selection));
  } else {
    panes[1].root.remove();
  }
  afterSelection();
}

/** A replay file's text: gzip (by its magic bytes) is inflated first. */
async function replayText(file: File): Promise<string> {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) return new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text();
  return file.text();
}

/** Opens replay files in pane A (the first) and lists them; a file the replay parser refuses changes nothing. */
async function openFiles(files: File[]): Promise<void> {
  let first: Selection | null = null;
  const refused: string[] = [];
  for (const f of files) {
    try {
      const replay = parseReplay(await replayText(f), f.name);
      const sel = { run: OPENED, path: f.name };
      opened.set(keyOf(sel), replay);
      first ??= sel;
    } catch (e) {
      refused.push((e as Error).message);
    }
  }
  if (first) {
    fillPickers();
    await select(0, first);
  }
  lastOpen = { opened: files.length - refused.length, refused };
  if (refused.length) setStatus(`Not opened: ${refused.join(' · ')}`, true);
  else if (first) setStatus(`Opened ${files.length} replay file(s); they are listed under "opened files".`);
}

let lastOpen: { opened: number; refused: string[] } | null = null;
openButton.addEventListener('click', () => {
  openButton.blur();
  openInput.click();
});
openInput.addEventListener('change', () => {
  const files = [...(openInput.files ?? [])];
  openInput.value = '';
  if (files.length) void openFiles(files);
});
// Dropping a file anywhere on the page opens it.
document.addEventListener('dragover', (e) => {
  if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
  e.preventDefault();
  document.body.classList.add('dropping');
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) document.body.classList.remove('dropping');
});
document.addEventListener('drop', (e) => {
  document.body.classList.remove('dropping');
  const files = [...(e.dataTransfer?.files ?? [])];
  if (!files.length) return;
  e.preventDefault();
  void openFiles(files);
});

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'SELECT' || (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'range' && (t as HTMLInputElement).type !== 'checkbox') || t.isContentEditable)) return;
  // Space and Enter on a focused button press that button (a keyboard user tabbed to it), not the player.
  if (t?.tagName === 'BUTTON' && (e.key === ' ' || e.key === 'Enter')) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const big = e.shiftKey ? 10 : 1;
  switch (e.key) {
    case ' ':
    case 'k':
      playback.toggle();
      break;
    case 'ArrowRight':
    case '.':
      playback.step(big);
      break;
    case 'ArrowLeft':
    case ',':
      playback.step(-big);
      break;
    case 'Home':
      playback.pause();
      playback.seek(0);
      break;
    case 'End':
      playback.pause();
      playback.seek(playback.lastFrame);
      break;
    case '+':
    case '=':
      playback.faster();
      break;
    case '-':
    case '_':
      playback.slower();
      break;
    case 's':
      void setSideBySide(!sideBySide);
      break;
    case '/':
      filterBox.focus();
      break;
    default:
      return;
  }
  e.preventDefault();
});

// The animation loop runs only while playing, so an idle viewer costs nothing.
let lastTime = 0;
let looping = false;
function loop(now: number): void {
  playback.tick((now - lastTime) / 1000);
  lastTime = now;
  if (playback.playing) requestAnimationFrame(loop);
  else looping = false;
}
playback.onChange(() => {
  if (playback.playing && !looping) {
    looping = true;
    lastTime = performance.now();
    requestAnimationFrame(loop);
  }
});

window.addEventListener('resize', () => curve.resize());

// ---------------------------------------------------------------------------------------------------
// URL hash and start-up
// ---------------------------------------------------------------------------------------------------

function writeHash(): void {
  const params = new URLSearchParams();
  // An opened file is not in the runs directory: a link to it could not be followed.
  if (panes[0].selection && !isOpened(panes[0].selection)) params.set('a', keyOf(panes[0].selection));
  if (sideBySide && panes[1].selection && !isOpened(panes[1].selection)) params.set('b', keyOf(panes[1].selection));
  if (sideBySide) params.set('sbs', '1');
  const hash = `#${params.toString()}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

function rendererPreference(): RendererPreference[] {
  const forced = new URLSearchParams(location.search).get('renderer');
  if (forced === 'canvas' || forced === 'webgl' || forced === 'webgpu') return [forced];
  return ['webgl', 'canvas'];
}

window.__tsgymViewer = {
  get ready() {
    return ready;
  },
  get busy() {
    return busy;
  },
  get error() {
    return fatal;
  },
  snapshot: () => ({
    frame: playback.frame,
    lastFrame: playback.lastFrame,
    playing: playback.playing,
    speed: playback.speed,
    sideBySide,
    panes: (sideBySide ? panes : [panes[0]]).map((p) => p.snapshot()),
    curve: curve.summary,
    curveNote: chartHost.querySelector('.curve-note')?.textContent ?? '',
    legend: curve.legendValues(),
    live: { following: [...streams.keys()], updates: liveUpdates, runListUpdates, stream: liveSource?.url ?? null },
    // Each option as its group (the run) › its text.
    picker: { options: [...pickA.options].filter((o) => o.value).map((o) => `${(o.parentElement as HTMLOptGroupElement | null)?.label ?? ''} › ${o.text}`), filter: filterBox.value },
    lastOpen,
    browser: { open: !browser.hidden, ...browseShown },
    lastExport,
  }),
};

/** Shows what the URL hash names (at start-up, and when the hash is edited or a link followed). */
async function applyHash(): Promise<void> {
  const hash = new URLSearchParams(location.hash.slice(1));
  const a = hash.get('a') ? parseKey(hash.get('a')!) : (panes[0].selection ?? defaultSelection());
  if (!a) {
    panes[0].showError(null, '', 'No episodes to show yet.');
  } else if (!panes[0].selection || keyOf(a) !== keyOf(panes[0].selection)) {
    await select(0, a);
  }
  const wantSideBySide = hash.get('sbs') === '1';
  if (wantSideBySide !== sideBySide) await setSideBySide(wantSideBySide);
  const b = hash.get('b') ? parseKey(hash.get('b')!) : null;
  if (wantSideBySide && b && (!panes[1].selection || keyOf(b) !== keyOf(panes[1].selection))) await select(1, b);
  renderAll();
}

async function start(): Promise<void> {
  panesEl.append(panes[0].root);
  await panes[0].init(rendererPreference());
  await loadIndex();
  if (await setUpScope()) return; // reloading into the comparison's runs
  await showComparisonLink();
  await applyHash();
  window.addEventListener('hashchange', () => void applyHash());
  openLiveStream();
  ready = true;
}

start().catch((e: unknown) => {
  fatal = e instanceof Error ? e.message : String(e);
  setStatus(`The viewer could not start: ${fatal}`, true);
  ready = true;
});
