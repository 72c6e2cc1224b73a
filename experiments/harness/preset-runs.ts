/**
 * Trains an (agent, env) pair with its preset on several seeds, one after another: the shared core of
 * `npm run bench` (time and steps to solve) and `npm run verify` (the must-show checks).
 */
import * as path from 'node:path';
import type { BackendChoice } from '../../agents/backend.js';
import { resolveRunSpec, trainOptionsOf } from '../run-spec.js';
import { type RunFlags, type RunSpec } from '../../formats/run-spec.js';
import { train, type TrainResult } from './trainer.js';

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
export type PresetOverrides = Pick<RunFlags, 'totalSteps' | 'stopWhenSolved' | 'envKwargs' | 'hyperparams'>;

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
