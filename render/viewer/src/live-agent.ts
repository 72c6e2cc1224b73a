/**
 * The live-agent page: loads a run's saved agent (best/ or a checkpoint, served read-only by the server),
 * rebuilds it here with agents/ and TensorFlow.js, and runs it in real time on new seeds with its
 * Q-values or action probabilities beside the env. Greedy actions are the ones Node's
 * `agent.act(obs, n, {greedy: true})` picks on the same backend (tests/lab.test.ts checks it).
 *
 * `#run=<id>&which=<best|latest|step>&seed=<n>[&speed=4]` loads that agent on start. `window.__tsgymAgent` is a hook for tests.
 */
import type { Agent } from '../../../agents/agent.js';
import { createAgent } from '../../../agents/registry.js';
import type { Action } from '../../../envs/core.js';
import { make } from '../../../envs/registry.js';
import { spaceFromJSON } from '../../../envs/spaces.js';
import { agentUrl, type AgentSource, type AgentSourcesResponse, type RunsResponse } from '../../../formats/api-types.js';
import { LiveEpisode } from './live-episode.js';
import { $, applyEnvAndSeed, episodeOutcome, hashParams, seedOrShowError, selectIfOffered, setupLabPage, showError, termRows } from './lab-common.js';
import { initBrowserBackend } from './tf-browser.js';

interface Decision {
  action: Action;
  qValues?: Float32Array;
  probs?: Float32Array;
}

declare global {
  interface Window {
    __tsgymAgent?: {
      ready: boolean;
      snapshot(): Record<string, unknown>;
      /** `agent.act(obs, n, {greedy})` on the loaded agent, with plain arrays in and out. */
      actOn(obs: number[], n: number, greedy: boolean): { actions: number[]; qValues: number[] | null; probs: number[] | null };
      load(run: string, which: string): Promise<void>;
      setRunning(on: boolean): void;
      /** The episode running now, as a replay file's text. */
      replayText(): string;
    };
  }
}

const runSelect = $<HTMLSelectElement>('run');
const whichSelect = $<HTMLSelectElement>('which');
const loadButton = $<HTMLButtonElement>('load');
const seedInput = $<HTMLInputElement>('seed');
const greedyBox = $<HTMLInputElement>('greedy');
const speedSelect = $<HTMLSelectElement>('speed');
const pauseButton = $<HTMLButtonElement>('pause');
const restartButton = $<HTMLButtonElement>('restart');
const infoEl = $<HTMLElement>('agent-info');
const episodesEl = $<HTMLElement>('episodes');

const pane = setupLabPage('agent.html', 'agent');

let agent: Agent | null = null;
let source: AgentSource | null = null;
let backend = '';
let episode: LiveEpisode | null = null;
let pending: Decision | null = null;
let paused = false;
let timer: ReturnType<typeof setTimeout> | null = null;
let finished: { seed: number | null; return: number; length: number }[] = [];
let loading = 0;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json().catch(() => null)) as (T & { error?: string }) | null;
  if (!res.ok) throw new Error(body?.error ?? `${url}: HTTP ${res.status}`);
  return body as T;
}

async function fillRuns(): Promise<void> {
  const { runs } = await getJson<RunsResponse>('api/runs');
  runSelect.replaceChildren(...runs.map((r) => new Option(`${r.envId ?? '?'} · ${r.agent ?? '?'} · seed ${r.seed ?? '?'} — ${r.id}`, r.id)));
  if (!runs.length) showError('No runs here yet. Train one (e.g. npm run train:ppo cartpole), then reload.');
}

async function fillWhich(): Promise<void> {
  whichSelect.replaceChildren();
  if (!runSelect.value) return;
  const s = await getJson<AgentSourcesResponse>(`api/runs/${encodeURIComponent(runSelect.value)}/agent`);
  const opts: HTMLOptionElement[] = [];
  if (s.best) opts.push(new Option('best (best evaluation)', 'best'));
  if (s.checkpoints.length) opts.push(new Option(`latest checkpoint (${s.checkpoints[s.checkpoints.length - 1].toLocaleString('en')} steps)`, 'latest'));
  for (const step of [...s.checkpoints].reverse()) opts.push(new Option(`checkpoint @ ${step.toLocaleString('en')} steps`, String(step)));
  whichSelect.replaceChildren(...opts);
  if (!opts.length) showError(`${runSelect.value} has no saved agent yet (best/ is written at its first evaluation, checkpoints every --checkpoint-every steps).`);
}

/** Fetches the agent's description and blobs and rebuilds it with this page's agents/ code. */
async function load(run: string, which: string): Promise<void> {
  loading++;
  stop();
  showError(null);
  try {
    backend = await initBrowserBackend('wasm');
    const src = await getJson<AgentSource>(agentUrl(run, which));
    const blobs: Record<string, Uint8Array> = {};
    await Promise.all(
      src.blobs.map(async (name) => {
        const res = await fetch(`${agentUrl(run, which)}/blobs/${encodeURIComponent(name)}`);
        if (!res.ok) throw new Error(`blob ${name}: HTTP ${res.status}`);
        blobs[name] = new Uint8Array(await res.arrayBuffer());
      }),
    );
    const probe = make(src.envId, src.envKwargs);
    const info = {
      observationSpace: src.observationSpace ? spaceFromJSON(src.observationSpace) : probe.observationSpace,
      actionSpace: src.actionSpace ? spaceFromJSON(src.actionSpace) : probe.actionSpace,
      numEnvs: src.numEnvs,
    };
    probe.close();
    const next = createAgent(src.name, info, src.hyperparams, src.seed);
    next.setState({ json: src.state, blobs });
    agent?.dispose();
    agent = next;
    source = src;
    finished = [];
    episodesEl.replaceChildren();
    renderInfo();
    history.replaceState(null, '', `#run=${encodeURIComponent(run)}&which=${encodeURIComponent(which)}&seed=${seedInput.value}`);
    startEpisode();
  } catch (e) {
    showError(`cannot load the ${which} agent of ${run}: ${(e as Error).message}`);
  } finally {
    loading--;
  }
}

function renderInfo(): void {
  if (!source) return;
  const rows: [string, string][] = [
    ['run', source.run],
    ['agent', source.name],
    ['env', source.envId],
    ['weights', source.which === 'best' ? `best/ (eval @ ${source.step?.toLocaleString('en') ?? '?'} steps)` : `checkpoint @ ${source.step?.toLocaleString('en') ?? '?'} steps`],
    ['backend', backend],
  ];
  infoEl.replaceChildren(...termRows(rows));
}

function decide(obs: Float32Array): Decision {
  const out = agent!.act(obs, 1, { greedy: greedyBox.checked });
  const discrete = episode!.actionSpace.type === 'Discrete';
  return { action: discrete ? out.actions[0] : Float32Array.from(out.actions), qValues: out.qValues?.slice(), probs: out.probs?.slice() };
}

function startEpisode(): void {
  stop();
  if (!agent || !source) return;
  const seed = seedOrShowError(seedInput);
  if (seed === null) return;
  episode = new LiveEpisode({ envId: source.envId, envKwargs: source.envKwargs, seed, agent: source.name, checkpointStep: source.step, label: `live, ${source.which} weights` });
  pane.setEpisode(episode.replay, episode.frames);
  pane.titleEl.textContent = `${source.envId} · ${source.name} (${source.which}) · seed ${seed}`;
  pane.subtitleEl.textContent = `${greedyBox.checked ? 'greedy' : 'sampled'} actions, computed live in this tab`;
  pending = decide(episode.obs);
  pane.setDecision({ qValues: pending.qValues, probs: pending.probs, action: typeof pending.action === 'number' ? pending.action : undefined });
  schedule();
}

function tick(): void {
  timer = null;
  if (!episode || !pending || paused) return;
  const d = pending;
  episode.step(d.action, { qValues: d.qValues, probs: d.probs });
  if (episode.done) {
    pending = null;
    pane.setDecision(null);
    pane.update();
    const r = episode.replay;
    finished.push({ seed: r.seed, return: r.return, length: r.length });
    episodesEl.prepend(...termRows([[`seed ${r.seed}`, episodeOutcome(r)]]));
    // On to a new seed after a short look at the end.
    timer = setTimeout(() => {
      timer = null;
      seedInput.value = String(Number(seedInput.value) + 1);
      startEpisode();
    }, 800);
    return;
  }
  pending = decide(episode.obs);
  pane.setDecision({ qValues: pending.qValues, probs: pending.probs, action: typeof pending.action === 'number' ? pending.action : undefined });
  pane.requestDraw();
  schedule();
}

function schedule(): void {
  if (timer === null && !paused && episode && !episode.done) timer = setTimeout(tick, 1000 / ((pane.scene?.stepsPerSecond ?? 10) * Number(speedSelect.value)));
}

function stop(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

function setPaused(p: boolean): void {
  paused = p;
  pauseButton.textContent = paused ? 'resume' : 'pause';
  if (paused) stop();
  else schedule();
}

runSelect.addEventListener('change', () => {
  runSelect.blur();
  void fillWhich().catch((e: Error) => showError(e.message));
});
for (const s of [whichSelect, speedSelect]) s.addEventListener('change', () => s.blur());
loadButton.addEventListener('click', () => void load(runSelect.value, whichSelect.value));
pauseButton.addEventListener('click', () => setPaused(!paused));
restartButton.addEventListener('click', () => startEpisode());
seedInput.addEventListener('change', () => startEpisode());
greedyBox.addEventListener('change', () => startEpisode());
window.addEventListener('keydown', (e) => {
  if (e.key === ' ' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement)) {
    e.preventDefault();
    setPaused(!paused);
  }
});

window.__tsgymAgent = {
  ready: false,
  snapshot: () => ({
    loaded: agent !== null,
    loading,
    backend,
    source: source && { run: source.run, which: source.which, step: source.step, name: source.name, envId: source.envId },
    seed: episode?.replay.seed ?? null,
    length: episode?.replay.length ?? 0,
    finished,
    paused,
    pending: pending && { action: typeof pending.action === 'number' ? pending.action : Array.from(pending.action), qValues: pending.qValues ? Array.from(pending.qValues) : null, probs: pending.probs ? Array.from(pending.probs) : null },
    pane: pane.snapshot(),
  }),
  actOn(obs, n, greedy) {
    if (!agent) throw new Error('no agent loaded');
    const out = agent.act(Float32Array.from(obs), n, { greedy });
    return { actions: Array.from(out.actions), qValues: out.qValues ? Array.from(out.qValues) : null, probs: out.probs ? Array.from(out.probs) : null };
  },
  load,
  setRunning: (on) => setPaused(!on),
  replayText: () => episode?.toJSON() ?? '',
};

await pane.init();
try {
  await fillRuns();
  const params = hashParams();
  const run = params.get('run');
  selectIfOffered(runSelect, run);
  applyEnvAndSeed(params, null, seedInput);
  selectIfOffered(speedSelect, params.get('speed'));
  await fillWhich();
  selectIfOffered(whichSelect, params.get('which'));
  if (run && whichSelect.value) await load(runSelect.value, whichSelect.value);
} catch (e) {
  showError((e as Error).message);
}
window.__tsgymAgent.ready = true;
