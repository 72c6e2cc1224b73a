/**
 * Trains an (agent, env) pair with its preset on several seeds, one after another: the shared core of
 * `npm run bench` (time and steps to solve) and `npm run verify` (the must-show checks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendChoice } from '../../agents/backend.js';
import { TsgymError } from '../../core/errors.js';
import { jsonDifferences, stableStringify } from '../../core/stable-json.js';
import { resolveRunSpec, trainOptionsOf } from '../run-spec.js';
import { configFieldValue, RUN_FIELDS, runHyperparams, withAddedDefaults, type RunFlags, type RunSpec } from '../../formats/run-spec.js';
import { envIdInName, parseMetrics, RUN_FILES, type EvalRecord, type MetricLine, type RunConfig, type RunSummary } from '../../formats/run-format.js';
import { isRunDir, readRunConfig, readRunSummary } from '../run-files.js';
import { resume, train, type TrainResult } from './trainer.js';

export interface SeedResult {
  seed: number;
  solvedAtStep: number | null;
  solvedAtWallSeconds: number | null;
  steps: number;
  wallSeconds: number;
  /** Env steps per second over the whole run, evaluations included. */
  throughput: number;
  finalEvalMean: number | null;
  runDir: string;
}

/**
 * What a caller may change in the preset: the budget and the early stop (stability checks train the full
 * budget), env options and hyperparameters laid over the preset's (a camera variant of an env).
 */
export type PresetOverrides = Pick<RunFlags, 'totalSteps' | 'stopWhenSolved' | 'envKwargs' | 'hyperparams' | 'evalEvery' | 'checkpointEvery'>;

/** The spec of one seed of a preset run (recording no replays unless asked: they cost time, not results). */
export function presetRunSpec(agent: string, env: string, seed: number, opts: { backend: BackendChoice; recordEpisodes?: number; overrides?: PresetOverrides }): RunSpec {
  return resolveRunSpec(agent, env, undefined, { seed, backend: opts.backend, recordEpisodes: opts.recordEpisodes ?? 0, ...opts.overrides });
}

export async function trainPresetOverSeeds(agent: string, env: string, seeds: number[], opts: { backend: BackendChoice; outDir: string; recordEpisodes?: number; overrides?: PresetOverrides; onResult?: (r: SeedResult, run: TrainResult) => void | Promise<void> }): Promise<SeedResult[]> {
  const results: SeedResult[] = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    const spec = presetRunSpec(agent, env, seed, opts);
    const run = await train(trainOptionsOf(spec, { outDir: path.join(opts.outDir, `${agent}-${env}`), runName: `seed${seed}-${Date.now()}`, progress: 'none', verbose: false }));
    const wall = (performance.now() - t0) / 1000;
    const s = run.summary;
    const r: SeedResult = { seed, solvedAtStep: s.solvedAtStep, solvedAtWallSeconds: s.solvedAtWallSeconds, steps: s.steps, wallSeconds: wall, throughput: s.steps / wall, finalEvalMean: s.finalEval?.mean ?? null, runDir: run.runDir };
    results.push(r);
    await opts.onResult?.(r, run);
  }
  return results;
}

// ───────────────────────────── kept runs ─────────────────────────────

/** How a kept seed's run came to be finished: read from disk, resumed from its checkpoint, or started. */
export type KeptRunOrigin = 'read' | 'resumed' | 'started';

export interface KeptSeedResult extends SeedResult {
  origin: KeptRunOrigin;
  /** The run's greedy evaluations (step, mean), in order. */
  evals: { step: number; mean: number }[];
  bestEvalMean: number | null;
  /** Wall-clock of the whole run as its summary records it (all sessions); `wallSeconds` is this call's part. */
  runWallSeconds: number;
  /** CPU-seconds (user + system) this process spent on the run; 0 when it was only read. */
  cpuSeconds: number;
}

/** Where seed `seed` of (agent, env) is kept: `<outDir>/<agent>-<env>/seed<seed>`, no timestamp, so a later call finds it. */
export function keptRunDir(outDir: string, agent: string, env: string, seed: number): string {
  return path.join(outDir, `${agent}-${envIdInName(env)}`, `seed${seed}`);
}

/** A run whose summary says it is over: finished its budget (or stopped when solved), or diverged. */
const isOver = (summary: RunSummary | null) => summary?.status === 'finished' || summary?.status === 'diverged';

/**
 * How a kept run's config.json differs from the preset's spec, as `field stored → preset` (empty: the
 * same run). The backend requested, code fingerprint, versions and dates are not compared: a run keeps
 * its backend when resumed, and the trainer warns when the one it resumes on differs.
 */
export function presetDifferences(config: RunConfig, spec: RunSpec): string[] {
  const show = (v: unknown) => (v === undefined ? 'absent' : stableStringify(v));
  const out: string[] = [];
  if (config.agent !== spec.agent) out.push(`agent ${config.agent} → ${spec.agent}`);
  if (config.envId !== spec.env) out.push(`env ${config.envId} → ${spec.env}`);
  for (const f of RUN_FIELDS) {
    if (f.key === 'backend') continue;
    const stored = f.key === 'hyperparams' ? withAddedDefaults(config.agent, configFieldValue(config, f) as Record<string, unknown>) : configFieldValue(config, f);
    const wanted = f.key === 'hyperparams' ? runHyperparams(spec) : spec[f.key];
    for (const d of jsonDifferences({ [f.key]: stored }, { [f.key]: wanted })) out.push(`${d.path} ${show(d.a)} → ${show(d.b)}`);
  }
  return out;
}

/**
 * Trains (agent, env)'s preset on `seeds` into fixed directories ({@link keptRunDir}), so that hours-long
 * checks can be finished over several sessions: a seed whose directory holds a run that is over is read
 * (not retrained), one that holds an unfinished run (killed, or stopped) is resumed from its latest
 * checkpoint (bit-exact, as `train --resume`, on the backend it requested), and a missing one is started. Every directory is checked
 * before any training: one whose run is not the preset's (any run field or hyperparameter differs) is
 * refused in one line, naming the differences, and nothing is written.
 */
export async function trainPresetKept(agent: string, env: string, seeds: number[], opts: { backend: BackendChoice; outDir: string; recordEpisodes?: number; overrides?: PresetOverrides; onResult?: (r: KeptSeedResult) => void | Promise<void> }): Promise<KeptSeedResult[]> {
  const plans = seeds.map((seed) => {
    const spec = presetRunSpec(agent, env, seed, opts);
    const dir = keptRunDir(opts.outDir, agent, spec.env, seed);
    if (!fs.existsSync(dir)) return { seed, spec, dir, origin: 'started' as const };
    if (!isRunDir(dir)) throw new TsgymError(`${dir} is in the way of seed ${seed}'s run and is not a run directory (no config.json)`, { hint: 'move it away or delete it, then run again' });
    const differences = presetDifferences(readRunConfig(dir), spec);
    if (differences.length) {
      throw new TsgymError(`${dir} holds a run that is not the ${spec.agent} ${spec.env} preset's for seed ${seed} (${differences.join('; ')})`, { hint: 'move it away to train the preset there, or finish it with train --resume' });
    }
    return { seed, spec, dir, origin: isOver(readRunSummary(dir)) ? ('read' as const) : ('resumed' as const) };
  });
  const results: KeptSeedResult[] = [];
  for (const plan of plans) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    if (plan.origin === 'started') {
      await train(trainOptionsOf(plan.spec, { outDir: path.dirname(plan.dir), runName: path.basename(plan.dir), progress: 'none', verbose: false }));
    } else if (plan.origin === 'resumed') {
      await resume(plan.dir, { progress: 'none', verbose: false }); // on the backend the run requested, as `train --resume`
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - t0) / 1000;
    const r = keptResult(plan.dir, plan.seed, plan.origin, wall, plan.origin === 'read' ? 0 : (cpu.user + cpu.system) / 1e6);
    results.push(r);
    await opts.onResult?.(r);
  }
  return results;
}

/** A kept run's result as its directory records it. */
function keptResult(dir: string, seed: number, origin: KeptRunOrigin, wallSeconds: number, cpuSeconds: number): KeptSeedResult {
  const s = readRunSummary(dir);
  if (!s) throw new TsgymError(`${dir}: no summary.json after training`);
  const evals = parseMetrics(fs.readFileSync(path.join(dir, RUN_FILES.metrics), 'utf8'))
    .records.filter((r): r is MetricLine & EvalRecord => r.kind === 'eval')
    .map((e) => ({ step: e.step, mean: e.mean }));
  return {
    seed,
    solvedAtStep: s.solvedAtStep,
    solvedAtWallSeconds: s.solvedAtWallSeconds,
    steps: s.steps,
    wallSeconds,
    throughput: s.wallSeconds > 0 ? s.steps / s.wallSeconds : 0,
    finalEvalMean: s.finalEval?.mean ?? null,
    runDir: dir,
    origin,
    evals,
    bestEvalMean: s.bestEval?.mean ?? null,
    runWallSeconds: s.wallSeconds,
    cpuSeconds,
  };
}
