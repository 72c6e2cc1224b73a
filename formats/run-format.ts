/**
 * The run directory format: the one place that names every file of a run, gives its type and parses it.
 * Pure (no Node module), so Node and the browser share it; the readers and writers that touch the disk are
 * experiments/run-files.ts. The trainer, saveAgent/loadAgent, compare, the report, the server and the tab's
 * memory run all name files through here.
 *
 * ```
 * runs/<envId>__<agent>__seed<S>__<YYYYMMDD-HHMMSS>/
 *   config.json      RunConfig: everything needed to rerun (agent, env, seed, budget, hyperparameters, backend)
 *   summary.json     RunSummary: status (running | finished | diverged | interrupted | failed), steps, evals
 *   metrics.jsonl    MetricRecord per line, by `kind`: episode | update | eval. Deterministic: no clock
 *                    values, so two runs with the same seed/config/backend write identical files.
 *   timing.jsonl     TimingRecord per line ({step, wall}): kept apart so metrics stay bit-comparable
 *   lock.json        RunLock while a process writes the run (pid, host, start time); see harness/run-lock.ts
 *   checkpoints/     step-<9 digits>/ (state.json, <blob>.bin…, manifest.json written last) and
 *                    latest.json pointing at the newest
 *   best/            the agent at its best greedy evaluation so far, as a policy: no replay buffer
 *                    (saved-agent layout below)
 *   episodes/        step-<9 digits>/episode-<k>.json.gz: replays recorded at each evaluation
 *   values.json      (gridworld runs) state values and greedy policy for the viewer overlay
 * ```
 * A saved agent (`saveAgent(agent, dir)`, and `best/`): `agent.json` (AgentFile) + `state/` (a checkpoints
 * directory holding one checkpoint).
 */
import { TsgymError } from '../core/errors.js';
import type { BackendChoice } from '../agents/backend.js';
import type { SpaceJSON } from '../envs/spaces.js';
import type { CodeFingerprint, EnvModuleRef, RunPreset } from './run-spec.js';

// ───────────────────────────── names ─────────────────────────────

/** File and directory names inside a run directory. */
export const RUN_FILES = {
  config: 'config.json',
  summary: 'summary.json',
  metrics: 'metrics.jsonl',
  timing: 'timing.jsonl',
  lock: 'lock.json',
  checkpoints: 'checkpoints',
  best: 'best',
  episodes: 'episodes',
  values: 'values.json',
} as const;

/** File names inside `checkpoints/` and inside one checkpoint directory. */
export const CHECKPOINT_FILES = {
  /** In checkpoints/: `{step, dir}` of the newest complete checkpoint. */
  latest: 'latest.json',
  /** In a checkpoint: `{step, blobs, json}` (agent JSON state, harness state). */
  state: 'state.json',
  /** In a checkpoint, written last: every other file's byte length and sha256. */
  manifest: 'manifest.json',
} as const;

/** File names of a saved agent. */
export const AGENT_FILES = { agent: 'agent.json', state: 'state' } as const;

export const stepDirName = (prefix: string, step: number) => `${prefix}-${String(step).padStart(9, '0')}`;
/** A recorded eval episode in `episodes/step-<9 digits>/`: gzipped by the harness, plain JSON from the browser. */
export const episodeFileName = (k: number, gzip: boolean) => `episode-${k}.json${gzip ? '.gz' : ''}`;
export const CHECKPOINT_DIR_PATTERN = /^step-\d{9}$/;
export const blobFileName = (blob: string) => `${blob}.bin`;
/** Prefix of the temp directory a checkpoint is built in before being renamed into place. */
export const CHECKPOINT_TMP_PREFIX = '.tmp-step-';

/** An env id as it appears in a directory name: a namespaced id's `/` (`MinAtar/Breakout-v1`) becomes `-`. */
export const envIdInName = (envId: string) => envId.replaceAll('/', '-');

/** Default run directory name: `<envId>__<agent>__seed<S>__<YYYYMMDD-HHMMSS>` (local time; the env id as {@link envIdInName} writes it). */
export function runName(envId: string, agent: string, seed: number, date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
  return `${envIdInName(envId)}__${agent}__seed${seed}__${stamp}`;
}

// ───────────────────────────── types ─────────────────────────────

/** What decides a run's results besides the agent, env and seed: a preset's fields plus logging and recording. */
export interface RunBudget extends Omit<RunPreset, 'hyperparams'> {
  /** Greedy eval episodes recorded as replays at each evaluation. */
  recordEpisodes: number;
  /** Env steps between aggregated `update` metric lines. */
  logEvery: number;
}

/** `config.json`. */
export interface RunConfig extends Omit<RunBudget, 'rewardThreshold'> {
  tsgymVersion: string;
  agent: string;
  /** The env id (same as envId; kept for older readers). */
  env: string;
  envId: string;
  seed: number;
  /** Resolved hyperparameters (defaults filled in). */
  hyperparams: Record<string, unknown>;
  /** The backend the run trained on, and the one requested. */
  backend: string;
  backendRequested: BackendChoice;
  versions: Record<string, string>;
  /** The solve threshold: the preset's (envs without one, e.g. Pendulum −200), else the env's, else null. */
  rewardThreshold: number | null;
  createdAt: string;
  /** Each `--resume --steps N` that raised the budget. */
  budgetExtensions?: { fromTotalSteps: number; toTotalSteps: number; at: string }[];
  /** User env modules the run loads (path, sha256, env ids); reloaded, and checked, on resume. */
  envModules?: EnvModuleRef[];
  /** The code that resolved the run: package version, source hash, lockfile hash (experiments/fingerprint.ts). */
  fingerprint?: CodeFingerprint;
}

export type RunStatus = 'running' | 'finished' | 'diverged' | 'interrupted' | 'failed';

export interface EvalSummary {
  mean: number;
  std: number;
  step: number;
}

/** `summary.json`. */
export interface RunSummary {
  status: RunStatus;
  steps: number;
  wallSeconds: number;
  finalEval: EvalSummary | null;
  bestEval: EvalSummary | null;
  /** Env steps at the first greedy eval reaching the reward threshold (null: not reached). */
  solvedAtStep: number | null;
  solvedAtWallSeconds: number | null;
  message?: string;
}

/** One line of `metrics.jsonl`. */
export type MetricRecord = EpisodeRecord | UpdateRecord | EvalRecord;
export interface EpisodeRecord {
  kind: 'episode';
  step: number;
  return: number;
  length: number;
  terminated: boolean;
}
export interface UpdateRecord {
  kind: 'update';
  step: number;
  /** Updates aggregated in this line; the other fields are their means (loss, q, entropy, …). */
  updates: number;
  [metric: string]: number | string;
}
export interface EvalRecord {
  kind: 'eval';
  step: number;
  mean: number;
  std: number;
  returns: number[];
  lengths: number[];
}

/** A metrics line as read back leniently: any object with a string `kind` and a numeric `step`. */
export interface MetricLine {
  kind: string;
  step: number;
  [key: string]: unknown;
}

/** One line of `timing.jsonl`. */
export interface TimingRecord {
  step: number;
  wall: number;
}

/** `lock.json`: who is writing the run. */
export interface RunLock {
  pid: number;
  host: string;
  startedAt: string;
  /** What holds it ('train', 'resume', 'record'). */
  command: string;
  /** The holder's start time in clock ticks since boot (Linux), to tell it from a later process with its pid. */
  procStart?: number | null;
  /** Unique per acquisition, so a holder releases only its own lock (not one that took it over). */
  token?: string;
  /** Fencing epoch: one more than the lock it replaced (1 for a lock taken on a free run). */
  epoch?: number;
}

/** `checkpoints/latest.json`. */
export interface CheckpointPointer {
  step: number;
  dir: string;
}

/** `state.json` of a checkpoint. */
export interface CheckpointState {
  step: number;
  blobs: string[];
  json: Record<string, unknown>;
}

/** `manifest.json` of a checkpoint: written after every other file, so a checkpoint without one is incomplete. */
export interface CheckpointManifest {
  format: 'tsgym-checkpoint';
  version: 1;
  step: number;
  files: { name: string; bytes: number; sha256: string }[];
  /** sha256 of `JSON.stringify(files)`: an altered manifest is caught as such, not blamed on a data file. */
  filesSha256: string;
  /** A run's checkpoint: {@link runConfigSha256} of the config it was taken under (state.json holds that config). */
  configSha256?: string;
}

/** Where the logs stood at a checkpoint: byte lengths and the sha256 of those prefixes (see RunDir.restoreLogs). */
export interface LogMarks {
  metrics: { bytes: number; sha256: string };
  timing: { bytes: number; sha256: string };
}

/** `agent.json` of a saved agent. */
export interface AgentFile {
  format: 'tsgym-agent';
  version: 1;
  name: string;
  hyperparams: Record<string, unknown>;
  observationSpace: SpaceJSON;
  actionSpace: SpaceJSON;
  numEnvs: number;
  seed: number;
}

// ───────────────────────────── readers ─────────────────────────────

/**
 * Parses `text` as a JSON object; a one-line error names `file` (as the reader should see it) otherwise.
 * `hint` is appended to a parse error (what to do about it).
 */
export function parseJsonObject(text: string, file: string, what: string, hint = 'fix or delete it'): Record<string, unknown> {
  const r = tryParseJsonObject(text);
  if ('value' in r) return r.value;
  throw new TsgymError(`${what} ${file} ${r.problem}${r.problem.startsWith('is not valid') ? `; ${hint}` : ''}`);
}

/** `text` as a JSON object, or what is wrong with it ('is not valid JSON (…)', 'must hold a JSON object'). */
export function tryParseJsonObject(text: string): { value: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: `is not valid JSON (${(e as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'must hold a JSON object' };
  return { value: value as Record<string, unknown> };
}

/**
 * Parses `metrics.jsonl` leniently: lines that are not JSON objects with a string `kind` and a numeric
 * `step` (e.g. one being written) are skipped and their 1-based numbers returned.
 */
export function parseMetrics(text: string): { records: MetricLine[]; skippedLines: number[] } {
  const records: MetricLine[] = [];
  const skippedLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const rec = JSON.parse(line) as unknown;
      if (typeof rec === 'object' && rec !== null && typeof (rec as MetricLine).kind === 'string' && typeof (rec as MetricLine).step === 'number') {
        records.push(rec as MetricLine);
        return;
      }
    } catch {
      // fall through: reported as skipped
    }
    skippedLines.push(i + 1);
  });
  return { records, skippedLines };
}

// ───────────────────────────── values.json ─────────────────────────────

/**
 * A gridworld run's `values.json`: state values and the greedy action per state (states numbered row-major
 * over the cells the agent can stand in). `values`/`policy` are the first overlay; `overlays`, when
 * present, names every overlay (e.g. the exact optimal values from value iteration and the agent's own).
 */
export interface ValuesFile {
  values: number[];
  policy: number[];
  overlays?: ValuesOverlay[];
  /** The discount the values are computed with. */
  gamma?: number;
}

export interface ValuesOverlay {
  /** Shown on the overlay's toggle, e.g. `optimal (value iteration)` or `agent (greedy)`. */
  name: string;
  values: number[];
  policy: number[];
  /** One line on how the numbers were made. */
  note?: string;
}
