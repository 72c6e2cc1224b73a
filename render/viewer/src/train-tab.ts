/**
 * The training page: trains an agent in a Web Worker (src/train-worker.ts) while this page draws the live
 * learning curve (the replay viewer's chart) and the current policy (the newest evaluation's first greedy
 * episode, played on a loop by the viewer's scenes; on gridworlds with the greedy action per cell), with a
 * seed field, pause/resume/stop, and the finished run downloadable as a .tar of its run directory.
 *
 * `#agent=<name>&env=<id>&seed=<n>` preselects. `window.__tsgymTrain` is a hook for tests.
 */
import { agentNames } from '../../../agents/registry.js';
import type { MetricRecord } from '../../../formats/api-types.js';
import type { ReplayFile } from '../../../formats/replay-format.js';
import type { RunSummary } from '../../../formats/run-format.js';
import type { TabRunConfig } from './tab-trainer.js';
import { LearningCurve } from './chart.js';
import { formatNumber } from './hud.js';
import { $, applyEnvAndSeed, download, hashParams, seedOrShowError, selectIfOffered, setupLabPage, showError, termRows } from './lab-common.js';
import type { FromWorker, ToWorker, WorkerEval } from './train-protocol.js';

declare global {
  interface Window {
    __tsgymTrain?: { ready: boolean; snapshot(): Record<string, unknown>; records(): MetricRecord[] };
  }
}

const agentSelect = $<HTMLSelectElement>('agent');
const envSelect = $<HTMLSelectElement>('env');
const seedInput = $<HTMLInputElement>('seed');
const startButton = $<HTMLButtonElement>('start');
const pauseButton = $<HTMLButtonElement>('pause');
const stopButton = $<HTMLButtonElement>('stop');
const downloadButton = $<HTMLButtonElement>('download');
const statusEl = $<HTMLSpanElement>('train-status');
const statsEl = $<HTMLElement>('stats');

const pane = setupLabPage('train.html', 'policy');
const curve = new LearningCurve();
$('chart').append(curve.root);

const params = hashParams();
agentSelect.replaceChildren(...agentNames().map((a) => new Option(a, a)));
agentSelect.value = 'ppo';
selectIfOffered(agentSelect, params.get('agent'));
applyEnvAndSeed(params, envSelect, seedInput);

let worker: Worker | null = null;
let config: TabRunConfig | null = null;
let runName = '';
let records: MetricRecord[] = [];
let summary: RunSummary | null = null;
let status: 'idle' | 'starting' | 'training' | 'paused' | 'finished' | 'error' = 'idle';
let numTensors: number[] = [];
/** The tensor counts reported once the first evaluation had run (its greedy path allocates lazily once). */
let numTensorsAfterFirstEval: number[] = [];
let seconds = 0;
let step = 0;
let startedAt = 0;
/** Page time from the click on "train" to the first evaluation at or above the env's threshold. */
let solvedAfterMs: number | null = null;
let evalCount = 0;
let policyReplay: ReplayFile | null = null;
let policyFrame = 0;
let policyTimer: ReturnType<typeof setTimeout> | null = null;
let lastCurveDraw = 0;

function setStatus(s: typeof status, text?: string): void {
  status = s;
  statusEl.textContent = text ?? s;
  pauseButton.disabled = !(s === 'training' || s === 'paused');
  pauseButton.textContent = s === 'paused' ? 'resume' : 'pause';
  stopButton.disabled = !(s === 'training' || s === 'paused');
  downloadButton.disabled = !(s === 'finished' || s === 'paused') || !config;
  startButton.disabled = s === 'starting' || s === 'training';
}

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

function start(): void {
  showError(null);
  const seed = seedOrShowError(seedInput);
  if (seed === null) return;
  worker?.terminate();
  records = [];
  numTensors = [];
  numTensorsAfterFirstEval = [];
  summary = null;
  config = null;
  solvedAfterMs = null;
  evalCount = 0;
  step = 0;
  policyReplay = null;
  curve.show([]);
  history.replaceState(null, '', `#agent=${agentSelect.value}&env=${encodeURIComponent(envSelect.value)}&seed=${seed}`);
  startedAt = performance.now();
  worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => {
    showError(`the training worker failed: ${e.message}`);
    setStatus('error');
  };
  setStatus('starting', 'starting (loading TensorFlow.js)…');
  send({ type: 'start', request: { agent: agentSelect.value, env: envSelect.value, seed } });
}

function onMessage(m: FromWorker): void {
  if (m.type === 'started') {
    config = m.config;
    runName = m.runName;
    setStatus('training', `training ${config.agent} on ${config.envId} (seed ${config.seed}, backend ${config.backend})`);
  } else if (m.type === 'progress') {
    records.push(...m.records);
    numTensors.push(m.numTensors);
    if (evalCount > 0) numTensorsAfterFirstEval.push(m.numTensors);
    seconds = m.seconds;
    step = m.step;
    summary = m.summary;
    for (const ev of m.evals) onEval(ev);
    const now = performance.now();
    if (m.done || m.evals.length || now - lastCurveDraw > 500) {
      lastCurveDraw = now;
      curve.show([{ run: runName, metrics: { run: runName, records, skippedLines: [], next: null }, markerSteps: [] }]);
    }
    renderStats();
    if (m.done) setStatus('finished', `${summary.status} after ${step.toLocaleString('en')} steps (${formatNumber(seconds)} s of training)`);
  } else if (m.type === 'archive') {
    download(`${m.name}.tar`, m.bytes, 'application/x-tar');
  } else if (m.type === 'error') {
    showError(m.message);
    setStatus('error', 'stopped by an error');
  }
}

function onEval(ev: WorkerEval): void {
  evalCount++;
  const threshold = config?.rewardThreshold ?? null;
  if (solvedAfterMs === null && threshold !== null && ev.record.mean >= threshold) solvedAfterMs = performance.now() - startedAt;
  if (!ev.replay) return;
  policyReplay = ev.replay;
  policyFrame = 0;
  const frames = [ev.replay.initialState, ...ev.replay.steps.map((s) => s.state)];
  pane.setEpisode(ev.replay, frames, ev.values);
  pane.titleEl.textContent = `current policy: greedy eval episode @ ${ev.record.step.toLocaleString('en')} steps`;
  pane.subtitleEl.textContent = `eval mean ${formatNumber(ev.record.mean)} ± ${formatNumber(ev.record.std)} over ${ev.record.returns.length} episodes · this one: return ${formatNumber(ev.replay.return)} in ${ev.replay.length} steps`;
  schedulePolicy();
}

/**
 * Plays the newest policy episode on a loop at twice the scene's real time, drawing at most ~25 frames a
 * second (skipping frames when faster): drawing must not take CPU from the training worker.
 */
function schedulePolicy(): void {
  if (policyTimer !== null) return;
  const rate = (pane.scene?.stepsPerSecond ?? 10) * 2;
  const stride = Math.max(1, Math.round(rate / 25));
  const atEnd = policyFrame >= (policyReplay?.length ?? 0);
  policyTimer = setTimeout(() => {
    policyTimer = null;
    if (!policyReplay) return;
    policyFrame = policyFrame >= policyReplay.length ? 0 : Math.min(policyReplay.length, policyFrame + stride);
    pane.show(policyFrame);
    const s = policyReplay.steps[policyFrame];
    pane.setDecision(s ? { qValues: s.qValues, probs: s.probs, action: typeof s.action === 'number' ? s.action : undefined } : null);
    schedulePolicy();
  }, atEnd ? 1000 : (1000 * stride) / rate);
}

function renderStats(): void {
  const episodes = records.filter((r) => r.kind === 'episode');
  const recent = episodes.slice(-20).map((r) => r.return as number);
  const rows: [string, string][] = [
    ['run', runName],
    ['steps', `${step.toLocaleString('en')} / ${config?.totalSteps.toLocaleString('en') ?? '?'}`],
    ['training time', `${formatNumber(seconds)} s (${formatNumber(step / Math.max(seconds, 1e-9))} steps/s)`],
    ['episodes', String(episodes.length)],
    ['recent return (20)', recent.length ? formatNumber(recent.reduce((a, b) => a + b, 0) / recent.length) : '—'],
    ['last eval', summary?.finalEval ? `${formatNumber(summary.finalEval.mean)} ± ${formatNumber(summary.finalEval.std)} @ ${summary.finalEval.step.toLocaleString('en')}` : '—'],
    ['best eval', summary?.bestEval ? `${formatNumber(summary.bestEval.mean)} @ ${summary.bestEval.step.toLocaleString('en')}` : '—'],
    ['solved', summary?.solvedAtStep != null ? `at ${summary.solvedAtStep.toLocaleString('en')} steps, ${formatNumber(summary.solvedAtWallSeconds ?? NaN)} s of training${solvedAfterMs !== null ? ` (${formatNumber(solvedAfterMs / 1000)} s after the click)` : ''}` : 'not yet'],
    ['tensors', String(numTensors[numTensors.length - 1] ?? '—')],
  ];
  statsEl.replaceChildren(...termRows(rows));
}

startButton.addEventListener('click', () => start());
pauseButton.addEventListener('click', () => {
  if (status === 'training') {
    send({ type: 'pause' });
    setStatus('paused', `paused at ${step.toLocaleString('en')} steps`);
  } else if (status === 'paused') {
    send({ type: 'resume' });
    setStatus('training', `training ${config?.agent} on ${config?.envId}`);
  }
});
stopButton.addEventListener('click', () => send({ type: 'stop' }));
downloadButton.addEventListener('click', () => send({ type: 'download' }));
for (const s of [agentSelect, envSelect]) s.addEventListener('change', () => s.blur());

window.__tsgymTrain = {
  ready: false,
  snapshot: () => ({
    status,
    step,
    seconds,
    runName,
    config,
    summary,
    evalCount,
    solvedAfterMs,
    numTensors,
    numTensorsAfterFirstEval,
    episodes: records.filter((r) => r.kind === 'episode').length,
    pane: pane.snapshot(),
  }),
  records: () => records,
};

await pane.init();
setStatus('idle', 'pick an agent, an env and a seed, then train');
window.__tsgymTrain.ready = true;
