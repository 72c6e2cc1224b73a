/**
 * Training in a browser tab (the training page's Web Worker): the run harness's training loop
 * (experiments/harness/training-loop.ts) with a memory sink (./memory-run.ts) instead of a run directory, so
 * a run here and `npm run train` with the same seed, preset and backend write the same metrics.jsonl. This
 * file is the page's side: the config the page's choices resolve to, training in time slices, stopping.
 */
import type { BackendChoice } from '../agents/backend.js';
import { agentRegistration, resolveHyperparams } from '../agents/registry.js';
import { validateSeed } from '../core/seeds.js';
import { envRewardThreshold, registration } from '../envs/registry.js';
import { buildEnvAndAgent, TrainingLoop } from '../experiments/harness/training-loop.js';
import { presetFor } from '../experiments/presets.js';
import type { RunConfig, RunSummary } from '../experiments/run-format.js';
import { MemoryRun, type EvalOutcome } from './memory-run.js';

/** The run's config.json: the harness's RunConfig, plus where it ran. */
export type TabRunConfig = RunConfig & { trainedIn: 'browser' };

/** The page's choices; the rest comes from the preset (`presetFor(agent, env)`), as for `npm run train`. */
export interface TabRunRequest extends Partial<Pick<RunConfig, 'totalSteps' | 'numEnvs' | 'evalEvery' | 'evalEpisodes' | 'stopWhenSolved' | 'hyperparams' | 'recordEpisodes' | 'logEvery'>> {
  agent: string;
  env: string;
  seed: number;
}

/** The config `npm run train <agent> <env> --seed S` would write (same preset, same defaults), for this tab. */
export function tabRunConfig(req: TabRunRequest, backend: string, versions: Record<string, string> = {}): TabRunConfig {
  const reg = registration(req.env);
  const preset = presetFor(req.agent, reg.id);
  const totalSteps = req.totalSteps ?? preset.totalSteps;
  const takesBudget = 'totalSteps' in agentRegistration(req.agent).defaults;
  const overrides = { ...preset.hyperparams, ...(req.hyperparams ?? {}) };
  const numEnvs = req.numEnvs ?? preset.numEnvs;
  const hyperparams = resolveHyperparams(req.agent, takesBudget ? { ...overrides, totalSteps } : overrides, { numEnvs });
  validateSeed(req.seed, 'seed');
  return {
    tsgymVersion: '0.1.0',
    agent: req.agent,
    env: reg.id,
    envId: reg.id,
    seed: req.seed,
    totalSteps,
    numEnvs,
    evalEvery: req.evalEvery ?? preset.evalEvery,
    evalEpisodes: req.evalEpisodes ?? preset.evalEpisodes,
    recordEpisodes: req.recordEpisodes ?? 2,
    checkpointEvery: preset.checkpointEvery,
    stopWhenSolved: req.stopWhenSolved ?? preset.stopWhenSolved,
    logEvery: req.logEvery ?? 1000,
    envKwargs: { ...preset.envKwargs },
    hyperparams,
    backend,
    backendRequested: backend as BackendChoice,
    versions,
    rewardThreshold: preset.rewardThreshold ?? envRewardThreshold(reg.id, preset.envKwargs) ?? null,
    createdAt: new Date().toISOString(),
    trainedIn: 'browser',
  };
}

/** One run in the tab: call `trainFor(ms)` until `done` (or `stop()`); `run` holds what it wrote. */
export class TabTrainer {
  readonly run: MemoryRun;
  done = false;
  private readonly loop: TrainingLoop;
  private readonly built: ReturnType<typeof buildEnvAndAgent>;

  /** `clock`: seconds spent training so far (the worker leaves paused time out). */
  constructor(
    readonly config: TabRunConfig,
    clock?: () => number,
  ) {
    const { vec, agent } = (this.built = buildEnvAndAgent(config));
    this.run = new MemoryRun(config, agent);
    this.loop = new TrainingLoop({ config, vec, agent, sink: this.run, clock });
    this.loop.start();
  }

  get step(): number {
    return this.loop.progress.step;
  }

  get summary(): RunSummary {
    return this.run.latestSummary!;
  }

  /** Trains for about `ms` milliseconds (at least one vector step) and returns the evaluations that ran. */
  async trainFor(ms: number): Promise<EvalOutcome[]> {
    const before = this.run.evals.length;
    const start = performance.now();
    try {
      while (!this.done) {
        await this.loop.step();
        if (this.loop.done) {
          await this.loop.finish();
          this.done = true;
        }
        if (performance.now() - start >= ms) break;
      }
    } catch (e) {
      this.done = true;
      this.run.summary(this.loop.failureSummary(e));
      throw e;
    }
    return this.run.evals.slice(before);
  }

  /** Ends the run before its budget (`interrupted`). */
  stop(message: string): void {
    if (this.done) return;
    this.done = true;
    this.loop.interrupt(message);
  }

  dispose(): void {
    this.built.agent.dispose();
    this.built.vec.close();
    this.run.dispose();
  }
}
