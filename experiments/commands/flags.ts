/** Flag declarations and parsers shared by the commands. */
import type { Options } from 'yargs';
import { BACKENDS, type BackendChoice } from '../../agents/backend.js';
import { envChoices } from '../../envs/registry.js';
import { TsgymError, closest } from '../../core/errors.js';
import type { ProgressMode } from '../harness/progress.js';
import { positiveInt } from '../harness/trainer.js';
import type { CompareOptions } from '../plan/request.js';
import { parseQueueUrl } from '../queue/connection.js';

/**
 * Marks every option that takes a single value as requiring one, so `--steps` with nothing after it is a
 * usage error rather than silently the default. (List options such as `--set` are checked in cli.ts.)
 */
export function valueFlags<T extends Record<string, Options>>(options: T): T {
  const out: Record<string, Options> = {};
  for (const [k, o] of Object.entries(options)) out[k] = o.type === 'boolean' || o.array ? o : { ...o, requiresArg: true };
  return out as T;
}

/** Parses `key=value` pairs; values are JSON when they parse as JSON (numbers, booleans, arrays), else strings. */
export function parseAssignments(pairs: string[], flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TsgymError(`${flag} expects key=value, got '${pair}' (e.g. ${flag} lr=0.0005)`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    out[key] = value;
  }
  return out;
}

/** How often a run evaluates, records, checkpoints and logs, and whether it stops once solved (train, compare, sweep). */
export interface CadenceArgs {
  'eval-every'?: number;
  'eval-episodes'?: number;
  'record-episodes'?: number;
  'checkpoint-every'?: number;
  'log-every'?: number;
  'stop-when-solved'?: boolean;
}

/**
 * The cadence flags whose help differs between commands only in where defaults come from (`preset`: "the
 * preset" or "the presets") and the default number of recorded episodes. `--stop-when-solved` is declared
 * by each command: its help is worded per command.
 */
export function cadenceFlags(preset: string, recordEpisodesDefault: number) {
  return {
    'eval-every': { type: 'number', describe: `Env steps between greedy evaluations (default: ${preset})` },
    'eval-episodes': { type: 'number', describe: `Episodes per evaluation (default: ${preset})` },
    'record-episodes': { type: 'number', describe: `Eval episodes recorded as replays at each evaluation (default ${recordEpisodesDefault})` },
    'checkpoint-every': { type: 'number', describe: `Env steps between checkpoints (default: ${preset})` },
    'log-every': { type: 'number', describe: 'Env steps between aggregated update-metric lines (default 1000)' },
  } satisfies Record<string, Options>;
}

/** The cadence flags as given (undefined where not typed; defaults are applied later). */
export function cadenceFromArgs(a: CadenceArgs) {
  return {
    evalEvery: a['eval-every'],
    evalEpisodes: a['eval-episodes'],
    recordEpisodes: a['record-episodes'],
    checkpointEvery: a['checkpoint-every'],
    logEvery: a['log-every'],
    stopWhenSolved: a['stop-when-solved'],
  };
}

/** The flags of the commands that run many trainings, a comparison or a sweep. */
export interface BatchArgs extends CadenceArgs {
  env?: string;
  seeds?: number;
  'seed-list'?: string;
  steps?: number;
  envs?: number;
  workers?: number;
  queue?: string;
  out?: string;
  backend: BackendChoice;
  set: string[];
  'env-set': string[];
  'bootstrap-reps': number;
  progress: ProgressMode;
}

/** Declarations compare and sweep share word for word (each command places them in its own order). */
export function batchFlags() {
  return {
    env: { type: 'string', describe: `Env id or alias: ${envChoices().join(', ')}` },
    workers: { type: 'number', describe: 'Runs trained at the same time on this machine (default: the number of cores; not with --queue)' },
    backend: { choices: BACKENDS, default: 'auto' as BackendChoice, describe: 'TensorFlow.js backend of every run' },
    'bootstrap-reps': { type: 'number', default: 2000, describe: 'Bootstrap resamples for the confidence intervals' },
    progress: { choices: ['auto', 'bar', 'lines', 'none'] as const, default: 'auto' as ProgressMode, describe: 'Progress display (auto: a bar on a terminal, lines otherwise)' },
  } satisfies Record<string, Options>;
}

/** `3,7, 11` → [3, 7, 11]; each must be a non-negative integer. */
export function parseSeedList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.length) throw new TsgymError(`--seed-list expects comma-separated seeds, e.g. --seed-list 3,7, got '${text}'`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new TsgymError(`--seed-list: '${p}' is not a non-negative integer seed (e.g. --seed-list 3,7)`);
    return Number(p);
  });
}

/** The seeds of `--seeds N` (0..N-1, default 5) or `--seed-list 3,7`, not both. */
export function seedsFromArgs(a: Pick<BatchArgs, 'seeds' | 'seed-list'>): number[] {
  if (a.seeds !== undefined && a['seed-list'] !== undefined) throw new TsgymError('pass either --seeds N (seeds 0..N-1) or --seed-list 3,7, not both');
  positiveInt('--seeds', a.seeds);
  return a['seed-list'] !== undefined ? parseSeedList(a['seed-list']) : Array.from({ length: a.seeds ?? 5 }, (_, i) => i);
}

/** `--queue` hands the runs to workers, so `--workers` (local parallelism) cannot go with it. */
export function checkQueueFlags(a: Pick<BatchArgs, 'queue' | 'workers'>): void {
  if (a.queue !== undefined && a.workers !== undefined) throw new TsgymError('--workers sets the local parallelism; with --queue, start as many workers as you like (npm run worker -- --queue URL --concurrency K)');
  if (a.queue !== undefined) parseQueueUrl(a.queue);
}

/** The options of a comparison or sweep that come straight from the shared flags (each run's budget and cadence, where and how it runs). */
export function batchOptionsFromArgs(a: BatchArgs) {
  return {
    steps: a.steps,
    numEnvs: a.envs,
    ...cadenceFromArgs(a),
    envKwargs: parseAssignments(a['env-set'], '--env-set'),
    backend: a.backend,
    workers: a.workers,
    queue: a.queue,
    progress: a.progress,
    report: { bootstrapReps: a['bootstrap-reps'] },
  } satisfies Partial<CompareOptions>;
}

/**
 * The `--only a,b,c` list of the bench and verify scripts: the chosen names, in order (all of them when the
 * flag is absent). An unknown name prints one line with the nearest valid name and a hint, and exits 2.
 */
export function onlyList<T extends string>(value: string | undefined, names: readonly T[], what: string, script: string): T[] {
  if (value === undefined) return [...names];
  const chosen = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const refuse = (message: string) => {
    console.error(`error: ${message}\nhint: see \`npm run ${script} -- --help\``);
    process.exit(2);
  };
  if (chosen.length === 0) refuse(`--only needs at least one ${what}: ${names.join(', ')}`);
  for (const c of chosen) {
    if (!(names as readonly string[]).includes(c)) {
      const near = closest(c, [...names]);
      refuse(`unknown ${what} '${c}'${near ? ` (did you mean ${near}?)` : ''}; choose from ${names.join(', ')}`);
    }
  }
  return chosen as T[];
}

