/**
 * Many seeds of one run configuration in one process: `trainSeeds({...options, seeds})` trains every seed
 * as an ordinary run (its own run directory, lock, checkpoints, summary; each resumable on its own with
 * `train --resume DIR`), one seed after another, through the same `train()` a single run uses.
 *
 * The batch is an execution detail: a seed's run computes exactly what `train --seed S` computes, so its
 * metrics.jsonl and weights are byte-identical alone, in any batch, and in any batch order. The seeds are
 * not stacked into shared tensor ops: on the wasm backend a rank-3 (per-seed) matMul runs several times
 * slower than the per-seed 2-D matMul the agents use, and a block-diagonal 2-D matMul wastes S× the FLOPs
 * (numbers in experiments/bench-seeds.ts). What one process saves is its start-up (module load, backend
 * init) per seed.
 *
 * A signal (Ctrl-C) stops the batch: the seed that is training checkpoints and ends `interrupted` (as a
 * single run does), and no further seed starts. A diverged seed ends `diverged` and the batch goes on; any
 * other failure ends its run `failed` and stops the batch. `resumeBatch` runs a stopped batch again in the
 * same output directory: seeds whose run ended are kept, unfinished runs resume from their latest checkpoint
 * (bit-exactly, as `train --resume`), seeds without a run start.
 */
import { TsgymError } from '../../core/errors.js';
import { validateSeed } from '../../core/seeds.js';
import { resolveEnvId } from '../../envs/registry.js';
import { isRunDir, readRunConfig, readRunSummary, runPath } from '../run-files.js';
import { clearConfiglessRunDir } from '../plan/runs.js';
import { trainOptionsOf } from '../run-spec.js';
import { parseRunSpecDocument, type EnvModuleRef, type RunSpec, type RunSpecDocument } from '../../formats/run-spec.js';
import type { ProgressMode } from './progress.js';
import { envIdInName, runName, type RunSummary } from '../../formats/run-format.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DivergenceError, applyResumeFlags, resume, train, type ResumeFlags, type TrainOptions, type TrainResult } from './trainer.js';

export interface TrainSeedsOptions extends Omit<TrainOptions, 'seed' | 'runName'> {
  /** The run seeds, trained in this order (distinct). */
  seeds: readonly number[];
  /** Called after each seed's run ends (finished, diverged or interrupted). */
  onRunEnd?: (run: SeedRun) => void;
  /**
   * Continue a stopped batch in `outDir`: a seed's existing run that ended (finished, diverged) is kept as it
   * is, an unfinished one resumes from its latest checkpoint, a seed without a run starts one.
   */
  resumeBatch?: boolean;
}

/** One seed's run as the batch ended it. */
export interface SeedRun {
  seed: number;
  runDir: string;
  summary: RunSummary;
  /** How this batch ran it: a new run, a resumed one, or kept as it was (resumeBatch, run already ended). */
  how: 'trained' | 'resumed' | 'kept';
}

export interface TrainSeedsResult {
  runs: SeedRun[];
  /** Seeds never started because a signal stopped the batch. */
  notStarted: number[];
  interrupted: boolean;
}

/** The most seeds one batch takes (a typo such as --seeds 0-2555555 fails instead of running for weeks). */
export const MAX_BATCH_SEEDS = 100_000;

/** Checks a batch's seed list: non-empty, valid run seeds, no repeats. */
export function checkSeeds(seeds: readonly number[]): void {
  if (seeds.length === 0) throw new TsgymError('the batch has no seeds; pass --seeds A-B (e.g. --seeds 0-255) or --seed-list 3,7');
  if (seeds.length > MAX_BATCH_SEEDS) throw new TsgymError(`a batch takes at most ${MAX_BATCH_SEEDS} seeds, got ${seeds.length}`);
  const seen = new Set<number>();
  for (const s of seeds) {
    validateSeed(s, 'seed');
    if (seen.has(s)) throw new TsgymError(`seed ${s} appears twice in the batch; each seed is one run`);
    seen.add(s);
  }
}

/**
 * `--seeds` of `train`: a range `A-B` (A to B inclusive, e.g. 0-255 or 7-7) or a count `N` (seeds 0..N-1,
 * as compare's --seeds N).
 */
export function parseSeedRange(text: string): number[] {
  const t = text.trim();
  const range = /^(\d+)\s*-\s*(\d+)$/.exec(t);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    validateSeed(from, '--seeds');
    validateSeed(to, '--seeds');
    if (to < from) throw new TsgymError(`--seeds ${t}: the range ends before it starts (write A-B with A ≤ B, e.g. --seeds 0-255)`);
    if (to - from + 1 > MAX_BATCH_SEEDS) throw new TsgymError(`--seeds ${t}: a batch takes at most ${MAX_BATCH_SEEDS} seeds`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  if (/^\d+$/.test(t) && Number(t) > 0) {
    if (Number(t) > MAX_BATCH_SEEDS) throw new TsgymError(`--seeds ${t}: a batch takes at most ${MAX_BATCH_SEEDS} seeds`);
    return Array.from({ length: Number(t) }, (_, i) => i);
  }
  throw new TsgymError(`--seeds expects a range A-B (e.g. --seeds 0-255, or --seeds 7-7 for one seed) or a count N (seeds 0..N-1), got '${text}'`);
}

/** Trains every seed of `opts.seeds` with the same configuration, one ordinary run directory each. */
export async function trainSeeds(opts: TrainSeedsOptions): Promise<TrainSeedsResult> {
  checkSeeds(opts.seeds);
  const { seeds, onRunEnd, resumeBatch, ...base } = opts;
  const envId = resolveEnvId(base.env);
  // Every existing run is checked against the batch's settings before any seed trains.
  const existing = resumeBatch ? findSeedRuns(base, envId, seeds) : new Map<number, string>();
  return runOneByOne(seeds, async (seed) => {
    const found = existing.get(seed);
    const foundSummary = found ? readRunSummary(found) : null;
    const runDir = found ?? path.join(base.outDir, runName(envId, base.agent, seed));
    if (foundSummary && ENDED.includes(foundSummary.status)) return { seed, runDir, summary: foundSummary, how: 'kept' };
    return trainOrResume(seed, runDir, found ? 'resumed' : 'trained', () =>
      found ? resume(found, { progress: base.progress, verbose: base.verbose, flags: resumeFlagsOf(base, seed) }) : train({ ...base, seed, runName: path.basename(runDir) }),
    );
  }, onRunEnd);
}

/**
 * Runs `one` for each item in order, as one batch: a signal (held for the whole batch, so that one arriving
 * between two runs stops the batch instead of killing the process) or a run that ends `interrupted` stops it,
 * leaving the rest not started.
 */
async function runOneByOne<T>(items: readonly T[], one: (item: T) => Promise<SeedRun>, onRunEnd?: (run: SeedRun, item: T) => void): Promise<{ runs: SeedRun[]; notStarted: T[]; interrupted: boolean }> {
  let stopRequested = false;
  const onSignal = () => (stopRequested = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runs: SeedRun[] = [];
  try {
    for (let i = 0; i < items.length; i++) {
      if (stopRequested) return { runs, notStarted: items.slice(i), interrupted: true };
      const run = await one(items[i]);
      runs.push(run);
      onRunEnd?.(run, items[i]);
      if (run.summary.status === 'interrupted') return { runs, notStarted: items.slice(i + 1), interrupted: true };
    }
    return { runs, notStarted: [], interrupted: false };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A seed's run trained (or resumed) by `go`; a diverged run is a result of the batch (summary `diverged`, last good checkpoint kept), not its end. */
async function trainOrResume(seed: number, runDir: string, how: SeedRun['how'], go: () => Promise<TrainResult>): Promise<SeedRun> {
  try {
    const result = await go();
    return { seed, runDir: result.runDir, summary: result.summary, how };
  } catch (e) {
    if (!(e instanceof DivergenceError)) throw e;
    const summary = readRunSummary(runDir);
    if (!summary) throw e;
    return { seed, runDir, summary, how };
  }
}

// ───────────────────────────── named batches (compare, sweep, tune) ─────────────────────────────

/** One run of a named batch: its directory name and its seed. */
export interface BatchRun {
  run: string;
  seed: number;
}

/** A run directory name as a job or batch may carry it: letters, digits and `._=+-`, not starting with a dot (so never `..`, a path, or hidden). */
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._=+-]{0,199}$/;

export function isPlainRunName(name: unknown): name is string {
  return typeof name === 'string' && PLAIN_NAME.test(name);
}

/**
 * Checks the runs of a batch arriving as data (a queue job, a `train --batch` document): a non-empty list
 * of `{run, seed}` with plain run names and valid seeds, no name or seed twice. `what` starts each message.
 */
export function checkBatchRuns(value: unknown, what: string): BatchRun[] {
  if (!Array.isArray(value) || value.length === 0) throw new TsgymError(`${what}: runs must be a non-empty list of {run, seed}`);
  if (value.length > MAX_BATCH_SEEDS) throw new TsgymError(`${what}: a batch takes at most ${MAX_BATCH_SEEDS} runs, got ${value.length}`);
  const names = new Set<string>();
  const seeds = new Set<number>();
  return value.map((r: unknown, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new TsgymError(`${what}: runs[${i}] is not an object {run, seed}`);
    const extra = Object.keys(r).filter((k) => k !== 'run' && k !== 'seed');
    if (extra.length) throw new TsgymError(`${what}: runs[${i}] has unexpected field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (a run is {run, seed})`);
    const { run, seed } = r as Record<string, unknown>;
    if (!isPlainRunName(run)) throw new TsgymError(`${what}: run ${JSON.stringify(run)} is not a plain run name (letters, digits, ._=+-; no path)`);
    if (typeof seed !== 'number') throw new TsgymError(`${what}: run ${run} has seed ${JSON.stringify(seed)}, not a number`);
    validateSeed(seed, `${what}: run ${run}'s seed`);
    if (names.has(run)) throw new TsgymError(`${what}: run ${run} appears twice`);
    if (seeds.has(seed)) throw new TsgymError(`${what}: seed ${seed} appears twice`);
    names.add(run);
    seeds.add(seed);
    return { run, seed };
  });
}

/** Format tag and version of a named batch travelling as JSON (`train --batch -`). */
export const RUN_BATCH_FORMAT = 'tsgym-run-batch';
export const RUN_BATCH_VERSION = 1;

/** `train --batch -`'s input: the runs, and the spec each of them trains with its own seed. */
export interface RunBatchDocument {
  format: typeof RUN_BATCH_FORMAT;
  version: typeof RUN_BATCH_VERSION;
  runs: BatchRun[];
  spec: RunSpecDocument;
}

export function runBatchDocument(runs: BatchRun[], spec: RunSpecDocument): RunBatchDocument {
  return { format: RUN_BATCH_FORMAT, version: RUN_BATCH_VERSION, runs, spec };
}

/** Checks a batch document from outside, field by field (the spec as a run spec document). */
export function parseRunBatchDocument(value: unknown, from: string): { runs: BatchRun[]; spec: RunSpecDocument } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsgymError(`${from}: a run batch must be a JSON object`);
  const d = value as Record<string, unknown>;
  if (d.format !== RUN_BATCH_FORMAT) throw new TsgymError(`${from} is not a run batch (format ${JSON.stringify(d.format)}, expected "${RUN_BATCH_FORMAT}")`);
  if (d.version !== RUN_BATCH_VERSION) throw new TsgymError(`${from}: run batch version ${JSON.stringify(d.version)}; this tsgym reads version ${RUN_BATCH_VERSION}`);
  const extra = Object.keys(d).filter((k) => !['format', 'version', 'runs', 'spec'].includes(k));
  if (extra.length) throw new TsgymError(`${from}: unexpected field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (a run batch is {format, version, runs, spec})`);
  const runs = checkBatchRuns(d.runs, from);
  parseRunSpecDocument(d.spec, `${from}: its spec`);
  return { runs, spec: d.spec as RunSpecDocument };
}

export interface RunBatchOptions {
  /** Where the run directories are (`<comparison>/runs`). */
  runsDir: string;
  runs: readonly BatchRun[];
  /** The runs' spec; each run trains it with its own seed. */
  spec: RunSpec;
  progress?: ProgressMode;
  /** A started run's lock may be left by a dead process (a queue re-running a dead worker's batch): take it over. */
  takeOverLock?: boolean;
  /** The env modules a started run recorded, loaded before it resumes. */
  loadEnvModules?: (runDir: string) => Promise<EnvModuleRef[] | undefined>;
  onRunStart?: (run: BatchRun, how: 'start' | 'resume') => void;
  onRunEnd?: (run: BatchRun, ended: SeedRun) => void;
}

/**
 * Trains the named runs of one configuration one after another in this process (a comparison's,
 * sweep's or trial's seeds): a run that has ended is kept, a started one resumes from its latest checkpoint,
 * a missing one starts. Each computes exactly what `train --spec` / `train --resume` would compute for it alone.
 */
export async function trainRunBatch(o: RunBatchOptions): Promise<{ runs: SeedRun[]; notStarted: BatchRun[]; interrupted: boolean }> {
  return runOneByOne(o.runs, async (r) => {
    const runDir = path.join(o.runsDir, r.run);
    if (fs.existsSync(runDir) && !isRunDir(runDir)) clearConfiglessRunDir(runDir);
    const summary = isRunDir(runDir) ? readRunSummary(runDir) : null;
    if (summary && ENDED.includes(summary.status)) return { seed: r.seed, runDir, summary, how: 'kept' };
    const started = isRunDir(runDir);
    o.onRunStart?.(r, started ? 'resume' : 'start');
    if (!started) return trainOrResume(r.seed, runDir, 'trained', () => train(trainOptionsOf({ ...o.spec, seed: r.seed }, { outDir: o.runsDir, runName: r.run, progress: o.progress })));
    const envModules = await o.loadEnvModules?.(runDir);
    const takeOverLock = o.takeOverLock && fs.existsSync(runPath(runDir, 'lock'));
    return trainOrResume(r.seed, runDir, 'resumed', () => resume(runDir, { progress: o.progress, takeOverLock, ...(envModules ? { flags: { envModules } } : {}) }));
  }, (ended, r) => o.onRunEnd?.(r, ended));
}

/** Statuses of a run that has ended: a resumed batch keeps these runs as they are. */
const ENDED: readonly RunSummary['status'][] = ['finished', 'diverged'];

/** The batch's settings as the flags a resume checks against a run's config. */
function resumeFlagsOf(base: Omit<TrainOptions, 'seed'>, seed: number): ResumeFlags {
  return {
    agent: base.agent,
    env: base.env,
    seed,
    totalSteps: base.totalSteps,
    numEnvs: base.numEnvs,
    evalEvery: base.evalEvery,
    evalEpisodes: base.evalEpisodes,
    recordEpisodes: base.recordEpisodes,
    checkpointEvery: base.checkpointEvery,
    logEvery: base.logEvery,
    stopWhenSolved: base.stopWhenSolved,
    hyperparams: base.hyperparams,
    envKwargs: base.envKwargs,
    backend: base.backend,
  };
}

/**
 * The run directory of each seed that already has one in `outDir` (named `<env>__<agent>__seed<S>__<time>`),
 * each checked against the batch's settings; two runs of one seed are refused (which one would continue?).
 */
function findSeedRuns(base: Omit<TrainOptions, 'seed'>, envId: string, seeds: readonly number[]): Map<number, string> {
  const found = new Map<number, string>();
  const names = fs.existsSync(base.outDir) ? fs.readdirSync(base.outDir) : [];
  for (const seed of seeds) {
    const prefix = `${envIdInName(envId)}__${base.agent}__seed${seed}__`;
    const dirs = names.filter((n) => n.startsWith(prefix)).map((n) => path.join(base.outDir, n)).filter(isRunDir);
    if (dirs.length > 1) throw new TsgymError(`seed ${seed} has ${dirs.length} runs in ${base.outDir} (${dirs.map((d) => path.basename(d)).join(', ')}); keep one to continue the batch`);
    if (dirs.length === 0) continue;
    // The standard resume check: a run trained with other settings is refused, naming each conflict.
    const summary = readRunSummary(dirs[0]);
    if (!summary || !ENDED.includes(summary.status)) applyResumeFlags(dirs[0], readRunConfig(dirs[0]), resumeFlagsOf(base, seed));
    found.set(seed, dirs[0]);
  }
  return found;
}
