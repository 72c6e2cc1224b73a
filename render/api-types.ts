/**
 * The JSON the viewer server answers with (render/server.ts), shared with the browser app. Types only.
 *
 * | Endpoint                                   | Answer                |
 * |--------------------------------------------|-----------------------|
 * | `GET /api/runs`                            | {@link RunsResponse}  |
 * | `GET /api/runs/<run>`                      | {@link RunInfo}       |
 * | `GET /api/runs/<run>/metrics`              | {@link MetricsResponse} |
 * | `GET /api/runs/<run>/episodes`             | {@link EpisodesResponse} (that run) |
 * | `GET /api/runs/<run>/episodes/<dir>/<file>`| the replay ({@link ReplayFile}), validated, gunzipped |
 * | `GET /api/runs/<run>/values`               | {@link ValuesFile} (404 when the run has none) |
 * | `GET /api/episodes`                        | {@link EpisodesResponse} (every run) |
 * | `GET /api/comparisons`                     | {@link ComparisonsResponse} (directories made by `npm run compare`) |
 * | `GET /api/comparisons/<cmp>`               | {@link ComparisonResponse}: its comparison.json and report.json |
 * | `GET /api/comparisons/<cmp>/runs`, `…/runs/<run>[/…]`, `…/episodes` | the run endpoints above, over the comparison's `runs/` |
 *
 * A comparison directory (it holds `comparison.json`) is not listed by `/api/runs`: its runs are served
 * under `/api/comparisons/<cmp>/`.
 *
 * Errors are `{ error: string }` with a 4xx status (5xx only for a bug in the server).
 */
import type { ReplayFile } from './replay-format.js';
import type { ComparisonReport } from '../experiments/report.js';

export type { ReplayFile, ComparisonReport };

/** `summary.json` of a run and its status: owned by the run-format module (a type-only import, erased in the browser). */
export type { RunStatus, RunSummary } from '../experiments/run-format.js';
import type { MetricLine as MetricRecord, RunSummary } from '../experiments/run-format.js';

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

/** One parsed `metrics.jsonl` line (the exact record types are in experiments/run-format.ts). */
export type { MetricLine as MetricRecord } from '../experiments/run-format.js';

export interface MetricsResponse {
  run: string;
  records: MetricRecord[];
  /** 1-based line numbers of `metrics.jsonl` lines that were not valid records (e.g. a line being written). */
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

/** A tabular run's `values.json`: state values and the greedy action per state (row-major cells). */
export interface ValuesFile {
  values: number[];
  policy: number[];
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
