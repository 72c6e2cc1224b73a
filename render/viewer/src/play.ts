/**
 * The play page: any registered env, played with the keyboard, drawn by the replay viewer's scenes and
 * HUD. The env code is envs/ itself, bundled by Vite: the same dynamics as training in Node. Each episode
 * can be downloaded as a replay file (format v1) that the viewer and `parseReplay` read.
 *
 * `#env=<id>&seed=<n>&options=<JSON>` in the URL picks the env, the seed and the env's constructor options
 * (e.g. `options={"obs":"pixels"}` drives the lane keeper from its camera). `window.__tsgymPlay` is a hook
 * for tests.
 */
import type { Action, RenderState } from '../../../envs/core.js';
import { LiveEpisode, rerunReplay } from './live-episode.js';
import { parseReplay } from '../../../formats/replay-format.js';
import { keyControls, type KeyControls } from './keymap.js';
import { $, applyEnvAndSeed, download, episodeOutcome, hashParams, seedOrShowError, setupLabPage, showError, termRows } from './lab-common.js';

declare global {
  interface Window {
    __tsgymPlay?: {
      ready: boolean;
      snapshot(): Record<string, unknown>;
      /** Re-runs a replay file's seed and actions here and returns the render states as JSON text. */
      rerun(replayText: string): string;
      replayText(): string;
    };
  }
}

const envSelect = $<HTMLSelectElement>('env');
const seedInput = $<HTMLInputElement>('seed');
const optionsInput = $<HTMLInputElement>('env-options');
const resetButton = $<HTMLButtonElement>('reset');
const speedSelect = $<HTMLSelectElement>('speed');
const pauseButton = $<HTMLButtonElement>('pause');
const downloadButton = $<HTMLButtonElement>('download');
const keysHelp = $<HTMLSpanElement>('keys-help');
const episodesEl = $<HTMLElement>('episodes');

const pane = setupLabPage('play.html', 'play');

let episode: LiveEpisode | null = null;
let controls: KeyControls | null = null;
const held = new Set<string>();
let shift = false;
let paused = false;
/** The clock starts with the first key press of an episode, so nothing falls over before you are ready. */
let started = false;
let tick = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let finished = 0;

/** `#env=<id>&seed=<n>&options=<JSON>` → the env select, the seed field and the options field. */
const applyHash = () => {
  const params = hashParams();
  applyEnvAndSeed(params, envSelect, seedInput);
  optionsInput.value = params.get('options') ?? '';
};
applyHash();
window.addEventListener('hashchange', () => {
  applyHash();
  newEpisode();
});

function newEpisode(): void {
  stopClock();
  showError(null);
  const seed = seedOrShowError(seedInput);
  if (seed === null) return;
  const envId = envSelect.value;
  let envKwargs: Record<string, unknown>;
  try {
    envKwargs = readEnvOptions();
    episode = new LiveEpisode({ envId, envKwargs, seed, agent: 'human', label: 'played on the play page' });
  } catch (e) {
    showError(`${envId}: ${(e as Error).message}`);
    return;
  }
  pane.setEpisode(episode.replay, episode.frames);
  controls = keyControls(envId, episode.frames[0].kind, episode.replay.actionSpace, pane.scene?.actionLabels() ?? null);
  pane.titleEl.textContent = `${envId} · seed ${seed}`;
  pane.subtitleEl.textContent = controls.mode === 'turn' ? 'turn-based: one step per key press' : `real time (${stepsPerSecond()} steps/s); the clock starts at your first key press`;
  keysHelp.textContent = controls.help;
  started = false;
  tick = 0;
  const options = optionsInput.value.trim() ? `&options=${encodeURIComponent(JSON.stringify(envKwargs))}` : '';
  history.replaceState(null, '', `#env=${encodeURIComponent(envId)}&seed=${seed}${options}`);
}

/** The options field: empty, or a JSON object of the env's constructor options. */
function readEnvOptions(): Record<string, unknown> {
  const text = optionsInput.value.trim();
  if (!text) return {};
  let value: unknown = null;
  try {
    value = JSON.parse(text);
  } catch {
    /* refused below */
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`env options must be a JSON object such as {"obs":"pixels"}, got ${text}`);
  return value as Record<string, unknown>;
}

function stepsPerSecond(): number {
  return (pane.scene?.stepsPerSecond ?? 10) * Number(speedSelect.value);
}

function act(action: Action): void {
  if (!episode || episode.done) return;
  try {
    episode.step(action);
  } catch (e) {
    showError((e as Error).message);
    stopClock();
    return;
  }
  pane.requestDraw();
  if (episode.done) {
    stopClock();
    finished++;
    pane.subtitleEl.textContent = 'episode over: Enter (or reset) for a new one with the same seed';
    const r = episode.replay;
    episodesEl.prepend(...termRows([[`#${finished} ${r.envId}`, `seed ${r.seed} · ${episodeOutcome(r)}`]]));
  }
}

function clockStep(): void {
  timer = null;
  if (!episode || episode.done || paused || !controls) return;
  const a = controls.actionFor(held, shift, tick);
  if (a !== null) {
    tick++;
    act(a);
  }
  scheduleClock();
}

function scheduleClock(): void {
  if (timer === null && started && !paused && episode && !episode.done && controls?.mode === 'realtime') {
    timer = setTimeout(clockStep, 1000 / stepsPerSecond());
  }
}

function stopClock(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

const typing = (t: EventTarget | null) => t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;

window.addEventListener('keydown', (e) => {
  if (typing(e.target) && e.key !== 'Enter') return;
  // Space and Enter on a focused button press that button, as everywhere else on the web.
  if (e.target instanceof HTMLButtonElement && (e.key === ' ' || e.key === 'Enter')) return;
  shift = e.shiftKey;
  if (e.key === 'Enter') {
    e.preventDefault();
    (e.target as HTMLElement | null)?.blur?.();
    newEpisode();
    return;
  }
  if (e.key === ' ') {
    e.preventDefault();
    togglePause();
    return;
  }
  if (e.key === 'd') {
    downloadEpisode();
    return;
  }
  if (!controls || !controls.keys.includes(e.key)) return;
  e.preventDefault();
  held.add(e.key);
  if (controls.mode === 'turn') {
    const a = controls.actionFor(new Set([e.key]), shift, tick);
    if (a !== null) act(a);
  } else if (!started) {
    started = true;
    clockStep();
  }
});
window.addEventListener('keyup', (e) => {
  shift = e.shiftKey;
  held.delete(e.key);
});
window.addEventListener('blur', () => held.clear());

function togglePause(): void {
  paused = !paused;
  pauseButton.textContent = paused ? 'resume' : 'pause';
  if (paused) stopClock();
  else scheduleClock();
}

function downloadEpisode(): void {
  if (!episode) return;
  try {
    download(episode.fileName(), episode.toJSON());
  } catch (e) {
    showError(`cannot download this episode: ${(e as Error).message}`);
  }
}

envSelect.addEventListener('change', () => {
  envSelect.blur(); // keys must reach the env, not the select
  newEpisode();
});
seedInput.addEventListener('change', () => newEpisode());
optionsInput.addEventListener('change', () => newEpisode());
speedSelect.addEventListener('change', () => speedSelect.blur());
resetButton.addEventListener('click', () => {
  resetButton.blur();
  newEpisode();
});
pauseButton.addEventListener('click', () => {
  pauseButton.blur();
  togglePause();
});
downloadButton.addEventListener('click', () => {
  downloadButton.blur();
  downloadEpisode();
});

window.__tsgymPlay = {
  ready: false,
  snapshot: () => ({
    envId: episode?.replay.envId ?? null,
    seed: episode?.replay.seed ?? null,
    length: episode?.replay.length ?? 0,
    return: episode?.replay.return ?? 0,
    done: episode?.done ?? false,
    mode: controls?.mode ?? null,
    started,
    paused,
    finished,
    lastAction: episode?.replay.steps.at(-1)?.action ?? null,
    pane: pane.snapshot(),
  }),
  rerun: (text) => JSON.stringify(rerunReplay(parseReplay(text, 'replay')) satisfies RenderState[]),
  replayText: () => episode?.toJSON() ?? '',
};

await pane.init();
newEpisode();
window.__tsgymPlay.ready = true;
