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
import { envIdInName, isRunDir, readRunConfig, readRunSummary, runName, type RunSummary } from '../run-format.js';
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
  // Held for the whole batch so a signal between two seeds stops the batch instead of killing the process
  // (each run also watches signals while it trains, and checkpoints when one arrives).
  let stopRequested = false;
  const onSignal = () => (stopRequested = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runs: SeedRun[] = [];
  try {
    for (let i = 0; i < seeds.length; i++) {
      if (stopRequested) return { runs, notStarted: seeds.slice(i), interrupted: true };
      const seed = seeds[i];
      const found = existing.get(seed);
      const foundSummary = found ? readRunSummary(found) : null;
      const runDir = found ?? path.join(base.outDir, runName(envId, base.agent, seed));
      let run: SeedRun;
      if (foundSummary && ENDED.includes(foundSummary.status)) {
        run = { seed, runDir, summary: foundSummary, how: 'kept' };
      } else {
        const how = found ? 'resumed' : 'trained';
        try {
          const result: TrainResult = found
            ? await resume(found, { progress: base.progress, verbose: base.verbose, flags: resumeFlagsOf(base, seed) })
            : await train({ ...base, seed, runName: path.basename(runDir) });
          run = { seed, runDir: result.runDir, summary: result.summary, how };
        } catch (e) {
          // A diverged seed is a result of the batch (summary `diverged`, last good checkpoint kept), not its end.
          if (!(e instanceof DivergenceError)) throw e;
          const summary = readRunSummary(runDir);
          if (!summary) throw e;
          run = { seed, runDir, summary, how };
        }
      }
      runs.push(run);
      onRunEnd?.(run);
      if (run.summary.status === 'interrupted') return { runs, notStarted: seeds.slice(i + 1), interrupted: true };
    }
    return { runs, notStarted: [], interrupted: false };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
