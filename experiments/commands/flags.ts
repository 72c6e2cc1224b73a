/** Flag declarations and parsers shared by the commands. */
import * as path from 'node:path';
import type { Options } from 'yargs';
import { envChoices } from '../../envs/registry.js';
import { TsgymError, closest } from '../../core/errors.js';
import type { ProgressMode } from '../harness/progress.js';
import { readPresetFile } from '../run-spec.js';
import { parseSeed, positiveInt, runFlagsFromArgs } from '../../formats/run-spec.js';
import type { CompareOptions } from '../plan/request.js';
import { executorFor } from '../executors/index.js';
import { checkSeedsPerProcess } from '../plan/batches.js';
import { commandLine, commandWords } from '../../core/command-line.js';
import { runName } from '../../formats/run-format.js';

/**
 * Marks every option that takes a single value as requiring one, so `--steps` with nothing after it is a
 * usage error rather than silently the default. (List options such as `--set` are checked in cli.ts.)
 */
export function valueFlags<T extends Record<string, Options>>(options: T): T {
  const out: Record<string, Options> = {};
  for (const [k, o] of Object.entries(options)) out[k] = o.type === 'boolean' || o.array ? o : { ...o, requiresArg: true };
  return out as T;
}

/** The flags of the commands that run many trainings, a comparison or a sweep. */
export interface BatchArgs {
  env?: string;
  seeds?: number;
  'seed-list'?: string;
  preset?: string;
  workers?: number;
  'seeds-per-process'?: number;
  queue?: string;
  out?: string;
  set: string[];
  'bootstrap-reps': number;
  progress: ProgressMode;
  /** The run fields (`--steps`, `--envs`, …), as declared in formats/run-spec.ts. */
  [runFlag: string]: unknown;
}

/** Declarations compare, sweep and tune share word for word (each command places them in its own order). */
export function batchFlags() {
  return {
    env: { type: 'string', describe: `Env id or alias: ${envChoices().join(', ')}` },
    'bootstrap-reps': { type: 'number', default: 2000, describe: 'Bootstrap resamples for the confidence intervals' },
    progress: { choices: ['auto', 'bar', 'lines', 'none'] as const, default: 'auto' as ProgressMode, describe: 'Progress display (auto: a bar on a terminal, lines otherwise)' },
  } satisfies Record<string, Options>;
}

/**
 * Where a batch's settings come from and how its runs share this machine: a preset file, the local
 * parallelism, the seeds per process, in this order in compare, sweep and tune (after the run fields).
 */
export function batchExecutionFlags() {
  return {
    preset: { type: 'string', describe: 'A JSON preset file laid over the built-in presets (budget, cadence, hyperparameters)' },
    workers: { type: 'number', describe: 'Runs trained at the same time on this machine (default: the number of cores; not with --queue)' },
    'seeds-per-process': { type: 'number', describe: "Seeds of one configuration trained one after another in one process (results are the same for any value; a process's start-up is paid once per batch). Default: all seeds of a configuration, split so every --workers slot or queue worker gets work (tune's trials with a pruner: 1, so a trial's seeds evaluate side by side); 1: one process per run" },
  } satisfies Record<string, Options>;
}

/** The `--checkpoint` flag of the commands that load one agent of a run; `what` says what the agent is for. */
export function checkpointFlag(what: string) {
  return { type: 'string', default: 'latest', describe: `${what}: 'latest', 'best' (the agent at its best evaluation) or an env-step number` } satisfies Options;
}

/** What a run directory argument looks like, for the commands that read one run. */
export const RUN_DIR_DESCRIPTION = 'Run directory (runs/<env>__<agent>__seed<S>__<time>)';

/**
 * A batch's default directory, `runs/<words>__<time>`, the time stamped as run names stamp it (runName:
 * <env>__<agent>__seed<S>__<time>).
 */
export function defaultBatchDir(words: string[], now: Date): string {
  const stamp = runName('x', 'x', 0, now).split('__').pop();
  return path.join('runs', [...words, stamp].join('__'));
}

/** This process's `tsgym <command> …` as the user typed it (a comparison and a sweep record it in their files). */
export function typedCommandWords(command: string): string[] {
  const argv = process.argv.slice(2);
  return commandWords(command, argv.slice(argv.indexOf(command) + 1));
}

/** `3,7, 11` → [3, 7, 11]; each must be a non-negative integer below 2^53. */
export function parseSeedList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.length) throw new TsgymError(`--seed-list expects comma-separated seeds, e.g. --seed-list 3,7, got '${text}'`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new TsgymError(`--seed-list: '${p}' is not a non-negative integer seed (e.g. --seed-list 3,7)`);
    return parseSeed(p, '--seed-list: each seed');
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
  if (a.queue !== undefined && !a.queue.startsWith('local:') && a.workers !== undefined) throw new TsgymError(`--workers sets the local parallelism; with --queue, start as many workers as you like (${commandLine('worker', '--queue URL --concurrency K')})`);
  if (a.queue !== undefined) executorFor(a.queue); // an unknown scheme or a malformed URL is refused here
}

/** The options of a comparison or sweep that come straight from the shared flags (the run fields, where and how the runs run). */
export function batchOptionsFromArgs(a: BatchArgs, command: 'compare' | 'sweep') {
  checkSeedsPerProcess(a['seeds-per-process']);
  return {
    ...runFlagsFromArgs(a, command),
    ...(a.preset !== undefined ? { presetFile: readPresetFile(a.preset), presetFileName: a.preset } : {}),
    workers: a.workers,
    seedsPerProcess: a['seeds-per-process'],
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

