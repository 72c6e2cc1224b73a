/**
 * The study loop (Optuna's `study.optimize`): hands out trials, runs up to `concurrency` of them at once
 * through the caller's `runTrial`, relays intermediate values to the pruner and records how each trial ended.
 * How a trial's seeded runs are executed (child processes, queue jobs) is the caller's business: `runTrial`
 * gets the trial's hyperparameters and seeds, calls `report(step, value)` as evaluations come in, and stops
 * its runs when `signal` aborts (the trial was pruned, or the study is being stopped).
 *
 * `trials` is the study's total: a resumed study first re-runs its cut-off trials, then asks new ones until
 * that many have finished. With `concurrency` 1 the study is deterministic for its seed; with more, which
 * trials are known when the next is asked depends on timing (as in Optuna).
 */
import { TsgymError } from '../../core/errors.js';
import type { Params } from './space.js';
import type { Study, TrialLine } from './study.js';

export interface TrialContext {
  trial: number;
  params: Params;
  /** The study's fixed hyperparameters with the trial's parameters over them. */
  hyperparams: Record<string, unknown>;
  seeds: number[];
  /** A trial cut off by a kill, run again. */
  rerun: boolean;
  /** Records an intermediate value; true means the trial was pruned and its runs should stop. */
  report(step: number, value: number): boolean;
  /** Aborted when the trial is pruned or the study is stopped. */
  signal: AbortSignal;
}

/** What a trial's runs came to: a score per seed (in seed order), or why there is none. */
export type TrialOutcome = { scores: number[] } | { failed: string };

export interface OptimizeOptions {
  /** Finished trials (complete, pruned or failed) the study should end with. */
  trials: number;
  /** Trials run at once. Default 1. */
  concurrency?: number;
  runTrial: (ctx: TrialContext) => Promise<TrialOutcome>;
  /** Called after each trial's final state is recorded. */
  onTrial?: (line: TrialLine) => void;
  /**
   * Stops the study: no new trial starts and the running ones are aborted; they stay `running` in the file
   * and are run again when the study is resumed.
   */
  signal?: AbortSignal;
}

/** Runs the study until `trials` trials have finished (or `signal` stops it); returns every trial's state. */
export async function optimize(study: Study, options: OptimizeOptions): Promise<TrialLine[]> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(options.trials) || options.trials < 1) throw new TsgymError(`optimize: trials must be a positive integer, got ${options.trials}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TsgymError(`optimize: concurrency must be a positive integer, got ${concurrency}`);
  // Trials whose runner has not returned yet (a pruned trial is finished but keeps its slot until its runs stop).
  const active = new Map<number, Promise<void>>();
  const finished = () => study.trials().filter((t) => t.state !== 'running').length;
  const unfinishedActive = () => study.trials().filter((t) => t.state === 'running' && active.has(t.trial)).length;
  const controllers = new Set<AbortController>();
  const stopAll = () => controllers.forEach((c) => c.abort());
  options.signal?.addEventListener('abort', stopAll);
  // A runner that throws (a study write failed) stops the study: the others are aborted, then it is rethrown.
  let broken: { error: unknown } | undefined;
  try {
    for (;;) {
      if (broken) {
        stopAll();
        await Promise.allSettled(active.values());
        throw broken.error;
      }
      const wanted = options.signal?.aborted ? 0 : options.trials - finished() - unfinishedActive();
      if (wanted > 0 && active.size < concurrency) {
        const { trial, run } = startTrial(study, options, controllers);
        active.set(trial, run);
        run.then(
          () => active.delete(trial),
          (error: unknown) => {
            active.delete(trial);
            broken ??= { error };
          },
        );
      } else if (active.size > 0) {
        await Promise.race([...active.values()].map((p) => p.catch(() => undefined)));
      } else {
        break;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
  }
  return study.trials();
}

function startTrial(study: Study, options: OptimizeOptions, controllers: Set<AbortController>): { trial: number; run: Promise<void> } {
  const t = study.next();
  return { trial: t.trial, run: runOne(study, t, options, controllers) };
}

async function runOne(study: Study, t: ReturnType<Study['next']>, options: OptimizeOptions, controllers: Set<AbortController>): Promise<void> {
  const controller = new AbortController();
  controllers.add(controller);
  let pruned = false;
  const ctx: TrialContext = {
    trial: t.trial,
    params: t.params,
    hyperparams: study.hyperparams(t.trial),
    seeds: t.seeds,
    rerun: t.rerun,
    signal: controller.signal,
    report: (step, value) => {
      if (pruned) return true;
      if (controller.signal.aborted) return false;
      if (study.report(t.trial, step, value)) {
        pruned = true;
        const line = study.prune(t.trial);
        options.onTrial?.(line);
        controller.abort();
      }
      return pruned;
    },
  };
  try {
    let outcome: TrialOutcome;
    try {
      outcome = await options.runTrial(ctx);
    } catch (e) {
      outcome = { failed: e instanceof Error ? e.message : String(e) };
    }
    // Pruned: already recorded. Stopped with the study: left running, to be run again on resume.
    if (controller.signal.aborted) return;
    if ('scores' in outcome && !outcome.scores.every(Number.isFinite)) outcome = { failed: `a seed scored ${outcome.scores.find((x) => !Number.isFinite(x))} (diverged run?)` };
    // Recorded first: `onTrial?.(study.complete(…))` would not record at all without a callback.
    const line = 'scores' in outcome ? study.complete(t.trial, outcome.scores) : study.fail(t.trial, outcome.failed);
    options.onTrial?.(line);
  } finally {
    controllers.delete(controller);
  }
}
