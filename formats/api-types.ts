/**
 * The JSON the viewer server answers with (render/server/server.ts), shared with the browser app. Types only.
 *
 * | Endpoint                                   | Answer                |
 * |--------------------------------------------|-----------------------|
 * | `GET /api/runs`                            | {@link RunsResponse}  |
 * | `GET /api/runs/<run>`                      | {@link RunInfo}       |
 * | `GET /api/runs/<run>/metrics[?offset=&line=]` | {@link MetricsResponse}: one page; follow `next` |
 * | `GET /api/runs/<run>/timing`               | {@link TimingResponse} (seconds of training at each evaluation; empty when none) |
 * | `GET /api/runs/<run>/episodes`             | {@link EpisodesResponse} (that run) |
 * | `GET /api/runs/<run>/episodes/<dir>/<file>`| the replay ({@link ReplayFile}), validated, gunzipped |
 * | `GET /api/runs/<run>/values`               | {@link ValuesFile} (404 when the run has none, 422 when malformed) |
 * | `GET /api/runs/<run>/events`               | server-sent events: a `change` event ({@link RunChange}) whenever the run's files change (render/server/live.ts) |
 * | `GET /api/events[?follow=<run>…]`          | server-sent events: a `change` event ({@link LiveChange}) when a run appears or records its first episodes, or a followed run's files change |
 * | `GET /api/episodes`                        | {@link EpisodesResponse} (every run) |
 * | `GET /api/comparisons`                     | {@link ComparisonsResponse} (directories made by `npm run compare`) |
 * | `GET /api/comparisons/<cmp>`               | {@link ComparisonResponse}: its comparison.json and report.json |
 * | `GET /api/comparisons/<cmp>/progress`      | server-sent events: a `change` event when one of its runs logs or finishes, or its report is written |
 * | `GET /api/comparisons/<cmp>/runs`, `…/runs/<run>[/…]`, `…/episodes` | the run endpoints above, over the comparison's `runs/` |
 *
 * A comparison directory (it holds `comparison.json`) is not listed by `/api/runs`: its runs are served
 * under `/api/comparisons/<cmp>/`.
 *
 * Errors are `{ error: string }` with a 4xx status (5xx only for a bug in the server).
 */
import type { ReplayFile } from './replay-format.js';
import type { ComparisonReport } from './comparison.js';

export type { ReplayFile, ComparisonReport };

/** `summary.json` of a run and its status: owned by the run-format module (a type-only import, erased in the browser). */
export type { RunStatus, RunSummary } from './run-format.js';
import type { MetricLine as MetricRecord, RunSummary } from './run-format.js';

export interface RunInfo {
  /** The run's directory name, e.g. `CartPole-v1__dqn__seed1__20250101-120000`. */
  id: string;
  envId: string | null;
  agent: string | null;
  seed: number | null;
  /** From the directory name, `YYYY-MM-DD HH:MM:SS`, or null. */
  startedAt: string | null;
  /** `config.json`, or null when it is missing or unreadable (see `problems`). */
  config: Record<string, unknown> | null;
  /** `summary.json`, or null (a run that is starting has none yet). */
  summary: RunSummary | null;
  /** Files of the run that could not be read, each with the reason. */
  problems: string[];
  /** Whether the run has a `values.json` (gridworld value/policy overlay). */
  hasValues: boolean;
  episodeCount: number;
}

export interface RunsResponse {
  runsDir: string;
  runs: RunInfo[];
}

/** One parsed `metrics.jsonl` line (the exact record types are in formats/run-format.ts). */
export type { MetricLine as MetricRecord } from './run-format.js';

/**
 * One page of `metrics.jsonl` (`GET /api/runs/<run>/metrics[?offset=<bytes>&line=<n>]`): a page covers up
 * to 4 MiB of the file (render/server/limits.ts), so a small file is one page; ask for `next` until it is null.
 */
export interface MetricsResponse {
  run: string;
  records: MetricRecord[];
  /** 1-based line numbers of `metrics.jsonl` lines that were not valid records (e.g. a line being written). */
  skippedLines: number[];
  /** Where the next page starts (`?offset=…&line=…`), or null when this page reaches the end of the file. */
  next: MetricsCursor | null;
}

/** A position in `metrics.jsonl`: a byte offset at a line start, and that line's 1-based number. */
export interface MetricsCursor {
  offset: number;
  line: number;
}

/** One `timing.jsonl` line: seconds of training at an env step. */
export type { TimingRecord } from './run-format.js';

export interface TimingResponse {
  run: string;
  records: import('./run-format.js').TimingRecord[];
  /** 1-based line numbers of lines that were not {step, wall} records. */
  skippedLines: number[];
}

export interface EpisodeEntry {
  run: string;
  /** Path below the run's `episodes/` directory, '/'-separated: `step-000001000/episode-0.json`. */
  path: string;
  /** File name without the extension: `episode-0`. */
  name: string;
  bytes: number;
  /** From the file itself; absent when it could not be read (then `error` says why). */
  envId?: string;
  kind?: string;
  return?: number;
  length?: number;
  agent?: string;
  checkpointStep?: number | null;
  seed?: number | null;
  label?: string;
  error?: string;
}

export interface EpisodeGroup {
  run: string;
  /** The directory below `episodes/`, e.g. `step-000001000` or `record-000050000-seed7`. */
  name: string;
  /** `eval`: recorded at an evaluation during training; `record`: by `npm run record`. */
  kind: 'eval' | 'record' | 'other';
  /** The env step of the checkpoint the episodes come from, when the directory name tells. */
  step: number | null;
  seed: number | null;
  episodes: EpisodeEntry[];
}

export interface EpisodesResponse {
  groups: EpisodeGroup[];
}

/** A gridworld run's `values.json` (value/policy overlays): owned by the run-format module. */
export type { ValuesFile, ValuesOverlay } from './run-format.js';

/** What `/api/events?follow=<run>…` sends: the runs list, and each followed run's {@link RunChange} (or why it cannot be read). */
export interface LiveChange {
  /** Each run directory's name and the number of entries in its `episodes/`. */
  runs: [string, number][];
  followed: Record<string, RunChange | { error: string }>;
}

/** What `/api/runs/<run>/events` sends on every change of the run's files. */
export interface RunChange {
  run: string;
  /** Bytes of metrics.jsonl (grows as the trainer flushes). */
  metricsBytes: number;
  /** summary.json's status, or null before the trainer writes one. */
  status: string | null;
  summaryMtimeMs: number | null;
  episodeCount: number;
  hasValues: boolean;
}

export interface ApiError {
  error: string;
}

/** A comparison directory, as listed by `/api/comparisons`. */
export interface ComparisonInfo {
  /** Its directory name inside the runs directory. */
  id: string;
  env: string | null;
  agents: string[];
  seeds: number[];
  createdAt: string | null;
  /** Whether report.json exists (it is written when every run is done). */
  hasReport: boolean;
  /** Files of the comparison that could not be read, each with the reason. */
  problems: string[];
}

export interface ComparisonsResponse {
  runsDir: string;
  comparisons: ComparisonInfo[];
}

export interface ComparisonResponse extends ComparisonInfo {
  /** comparison.json (the request), or null when unreadable. */
  request: Record<string, unknown> | null;
  /** report.json, or null when there is none yet or it is unreadable (see `problems`). */
  report: ComparisonReport | null;
}

/** The API prefix of the run endpoints: the runs directory's own runs, or one comparison's runs. */
export function runsApiBase(comparison: string | null = null): string {
  return comparison === null ? 'api/' : `api/comparisons/${encodeURIComponent(comparison)}/`;
}

/** The URL of an episode's replay, relative to the server root (no leading slash, so it also works behind a path prefix). */
export function episodeUrl(run: string, path: string, base = 'api/'): string {
  return `${base}runs/${encodeURIComponent(run)}/episodes/${path.split('/').map(encodeURIComponent).join('/')}`;
}

// ---------------------------------------------------------------------------------------------------
// Saved agents, for the live-agent page (render/server/agent-files.ts):
// `GET /api/runs/<run>/agent` → AgentSourcesResponse; `GET /api/runs/<run>/agent/<best|latest|step>` →
// AgentSource; `GET /api/runs/<run>/agent/<which>/blobs/<name>` → the blob's bytes (application/octet-stream).
// ---------------------------------------------------------------------------------------------------

export interface AgentSourcesResponse {
  run: string;
  /** Whether the run has `best/` (the agent of its best evaluation). */
  best: boolean;
  /** Env steps of the checkpoints in `checkpoints/`. */
  checkpoints: number[];
}

export interface AgentSource {
  run: string;
  /** 'best', 'latest' or a step number, as asked. */
  which: string;
  /** The env step the weights are from (best: the step of the best evaluation), or null when unknown. */
  step: number | null;
  name: string;
  envId: string;
  envKwargs: Record<string, unknown>;
  hyperparams: Record<string, unknown>;
  seed: number;
  numEnvs: number;
  /** The spaces the agent was built for (best/ stores them; for a checkpoint they come from the env: null). */
  observationSpace: import('../envs/spaces.js').SpaceJSON | null;
  actionSpace: import('../envs/spaces.js').SpaceJSON | null;
  /** The agent's JSON state (`Agent.setState({json})`). */
  state: Record<string, unknown>;
  /** Names of its binary blobs, each at `…/agent/<which>/blobs/<name>`. */
  blobs: string[];
}

export function agentUrl(run: string, which: string, base = 'api/'): string {
  return `${base}runs/${encodeURIComponent(run)}/agent/${encodeURIComponent(which)}`;
}

/** A tuning study directory (`tsgym tune --out DIR`) below the runs directory: `/api/studies`. */
export interface StudyInfo {
  id: string;
  agent: string;
  env: string;
  createdAt: string;
  /** Trials by state (each trial counted once, by its latest line). */
  counts: Record<import('../experiments/tune/sampler.js').TrialState, number>;
}

export interface StudiesResponse {
  runsDir: string;
  studies: StudyInfo[];
}

/**
 * `/api/studies/<study>`: its trials.jsonl read as `tune` reads it (the header and each trial's latest line; a
 * torn last line being written is left out), and whether report.json / best.json exist yet.
 * `/api/studies/<study>/events`: a `change` event ({size of trials.jsonl, report, best}) whenever they change.
 */
export interface StudyResponse {
  id: string;
  header: import('../experiments/tune/study.js').StudyHeader;
  trials: import('../experiments/tune/study.js').TrialLine[];
  hasReport: boolean;
  hasBest: boolean;
}

// ---------------------------------------------------------------------------------------------------
// The queue (`view --queue redis://…`, render/server/queue-view.ts), read-only: `GET /api/queue` → QueueSummary;
// `GET /api/comparisons/<cmp>/queue` and `/api/studies/<study>/queue` → QueueRunsResponse, each also as a live
// stream at `…/queue/events` whose `change` events carry the QueueRunsResponse itself.
// ---------------------------------------------------------------------------------------------------

/** A run's job as the pages show it: queued (waiting, delayed or prioritized), running, failed or done. */
export type QueueRunState = 'queued' | 'running' | 'failed' | 'done';

export interface QueueRun {
  /** The run's directory name below its comparison's `runs/`. */
  run: string;
  /** The job's directory relative to the comparison or study ('' for the comparison itself, `trials/trial-0003` in a study). */
  dir: string;
  /** In a study: the trial whose runs these are; null for another directory (the re-evaluation). */
  trial: number | null;
  state: QueueRunState;
  /** BullMQ's own state (waiting, prioritized, delayed, active, failed, completed). */
  jobState: string;
  jobId: string;
  /** host:pid of the worker running it (or that ran it last), when it reported progress. */
  worker: string | null;
  step: number | null;
  total: number | null;
  stepsPerSecond: number | null;
  /** Epoch ms: when a worker took it last, when it finished or failed. */
  takenAt: number | null;
  finishedAt: number | null;
  /** Workers that have taken it (2 or more: it was handed over after a worker stopped). */
  attempts: number;
  /** Failed: the first line of the reason. */
  error: string | null;
}

export interface QueueSummary {
  /** Whether the viewer was started with --queue (false: every other field is empty). */
  configured: boolean;
  /** The queue's redis:// URL, without a password. */
  url: string | null;
  reachable: boolean;
  /** Why the queue cannot be read now (reachable false). */
  error: string | null;
  /** While unreachable: epoch ms of the last good read (null: none yet). */
  lastReadAt: number | null;
  /** Jobs per BullMQ state on the whole queue (null while unreachable). */
  counts: Record<string, number> | null;
}

export interface QueueRunsResponse extends QueueSummary {
  /** The jobs of this comparison or study (and of the directories under it). */
  runs: QueueRun[];
}
