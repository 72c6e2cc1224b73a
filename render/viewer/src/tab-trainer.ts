/**
 * Training in a browser tab (the training page's Web Worker): the run harness's training loop
 * (experiments/harness/training-loop.ts) with a memory sink (experiments/harness/memory-sink.ts) instead of a run directory, so
 * a run here and `npm run train` with the same seed, preset and backend write the same metrics.jsonl. This
 * file is the page's side: the config the page's choices resolve to, training in time slices, stopping.
 */
import { buildEnvAndAgent, TrainingLoop } from '../../../experiments/harness/training-loop.js';
import { presetFor } from '../../../experiments/presets.js';
import type { RunConfig, RunSummary } from '../../../formats/run-format.js';
import { resolveRunSpecOn, runConfigOf, runHyperparams, type RunFlags, type RunHost, type RunSpec } from '../../../formats/run-spec.js';
import { MemoryRun, type EvalOutcome } from '../../../experiments/harness/memory-sink.js';

/** The run's config.json: the harness's RunConfig, plus where it ran. */
export type TabRunConfig = RunConfig & { trainedIn: 'browser' };

/** The page's choices: agent, env, seed and any run field; the rest comes from the preset, as for `npm run train`. */
export interface TabRunRequest extends Omit<RunFlags, 'seed' | 'backend' | 'envModules'> {
  agent: string;
  env: string;
  seed: number;
}

/** What config.json records of the tab the run trained in. */
export interface TabPlace {
  backend: string;
  tsgymVersion: string;
  versions?: Record<string, string>;
}

/**
 * The tab as a run host: the built-in presets; no user env modules; no source to fingerprint; no memory
 * figure (the browser bounds a tab's memory itself).
 */
const TAB_RUN_HOST: RunHost = { presetFor, envModules: () => [], fingerprint: () => null, totalMemory: () => null };

/** The page's choices resolved as `npm run train <agent> <env> --seed S --backend wasm` resolves them. */
export function tabRunSpec(req: TabRunRequest): RunSpec {
  const { agent, env, ...flags } = req;
  return resolveRunSpecOn(TAB_RUN_HOST, agent, env, undefined, { ...flags, backend: 'wasm' });
}

/** The config.json `npm run train` would write for the same choices (where it ran aside), for this tab. */
export function tabRunConfig(req: TabRunRequest, place: TabPlace): TabRunConfig {
  const spec = tabRunSpec(req);
  const run = { tsgymVersion: place.tsgymVersion, backend: place.backend, versions: place.versions ?? {}, createdAt: new Date().toISOString() };
  return { ...runConfigOf({ ...spec, hyperparams: runHyperparams(spec) }, run), trainedIn: 'browser' };
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
