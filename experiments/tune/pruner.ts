/**
 * Pruners: stop a trial early when its intermediate values (e.g. the greedy eval at each eval step) say it
 * will not be among the best. Objective maximised. A trial reports values (`report(trial, step, value)`) and
 * asks `shouldPrune(trial)` after each report; `finish(trial, state)` tells the pruner how a trial ended.
 * Pruners are plain data: a study rebuilds one by replaying its trials' intermediate values.
 *
 * - `median` and `percentile` have the semantics of Optuna's MedianPruner and PercentilePruner: nothing is
 *   pruned until `startupTrials` trials (default 5) have completed, nor at a step below `warmupSteps`
 *   (default 0), nor at a step that is not the first report in its interval (`intervalSteps`, default 1:
 *   every report is checked). At the trial's latest step s it is pruned when its best value so far is lower
 *   than the given percentile of the values the completed trials reported at exactly step s — the median for
 *   `median`; `percentile` p keeps the top p % (p = 25: pruned unless among the best quarter). Pruned and
 *   failed trials do not count; when fewer than `minTrials` (default 1) completed trials reported at s, it is
 *   not pruned. A trial whose every reported value is NaN is pruned.
 * - `halving` is asynchronous successive halving (Optuna's SuccessiveHalvingPruner, ASHA): rungs at
 *   `minSteps`·η^k env steps (η = `reductionFactor`, default 3). When a trial first reports at or past a rung,
 *   its value there is compared with the values every other trial (any state) had at that rung; it goes on
 *   only when it is among the top 1/η of them (the best of them while fewer than η have been there). Unlike
 *   Optuna's, it also waits for `startupTrials` completed trials (default 5) — a rung among two or three noisy
 *   RL runs is mostly luck — and `minSteps` defaults to 1/η² of the first completed trial's last step, so a
 *   trial meets two rungs before the end of its budget.
 *
 * In RL the intermediate values are noisy (a few eval episodes, IQM over a few seeds). Median and percentile
 * compare a trial's best value so far (which one lucky eval inflates) with the completed trials' values at the
 * same step; halving compares the value at the rung itself and keeps a fixed share 1/η whatever the values
 * are. The study never prunes at the end of the budget (study.ts), and the pruning bench
 * (experiments/bench-pruning.ts) measures what each saves on a PPO study.
 */
import { TsgymError } from '../../core/errors.js';
import { quantile } from '../stats.js';
import type { TrialState } from './sampler.js';

export interface PrunerOptions {
  /** Completed trials needed before anything is pruned. Default 5. */
  startupTrials?: number;
  /** median/percentile: steps below this are never pruned. Default 0. */
  warmupSteps?: number;
  /** median/percentile: check once per this many steps (counted from warmupSteps). Default 1. */
  intervalSteps?: number;
  /** percentile: the share of trials kept, in percent (0–100; 50 is the median). Default 25. */
  percentile?: number;
  /** median/percentile: completed trials that must have reported at a step to judge there. Default 1. */
  minTrials?: number;
  /** halving: the first rung, in env steps. Default: 1/η² of the first completed trial's last step. */
  minSteps?: number;
  /** halving: η, the factor between rungs and the share 1/η kept at each. Default 3. */
  reductionFactor?: number;
}
/** The median pruner's options (all pruners share one options object). */
export type MedianPrunerOptions = PrunerOptions;

export interface Pruner {
  /** Records trial `trial`'s intermediate value at `step` (a later report at the same step replaces it). */
  report(trial: number, step: number, value: number): void;
  /** Whether trial `trial` should stop now, judged at its latest reported step. */
  shouldPrune(trial: number): boolean;
  /** How the trial ended; only 'complete' trials count towards the startup trials and percentiles. */
  finish(trial: number, state: Exclude<TrialState, 'running'>): void;
  /** The trial's intermediate values as [step, value] pairs, in report order. */
  intermediate(trial: number): [number, number][];
}

export type PrunerKind = 'median' | 'percentile' | 'halving' | 'none';
export const PRUNER_KINDS: readonly PrunerKind[] = ['median', 'percentile', 'halving', 'none'];

/** Which options each pruner takes: any other is refused, so a setting never silently does nothing. */
const OPTIONS_OF: Record<PrunerKind, readonly (keyof PrunerOptions)[]> = {
  median: ['startupTrials', 'warmupSteps', 'intervalSteps', 'minTrials'],
  percentile: ['startupTrials', 'warmupSteps', 'intervalSteps', 'minTrials', 'percentile'],
  halving: ['startupTrials', 'minSteps', 'reductionFactor'],
  none: [],
};

export function createPruner(kind: PrunerKind, options: PrunerOptions = {}): Pruner {
  if (!Object.hasOwn(OPTIONS_OF, kind)) throw new TsgymError(`unknown pruner '${String(kind)}'; use ${PRUNER_KINDS.join(', ')}`);
  const unused = Object.keys(options).filter((k) => options[k as keyof PrunerOptions] !== undefined && !OPTIONS_OF[kind].includes(k as keyof PrunerOptions));
  if (unused.length) throw new TsgymError(`the ${kind} pruner takes no ${unused.join(', ')} option${unused.length > 1 ? 's' : ''}${OPTIONS_OF[kind].length ? ` (it takes ${OPTIONS_OF[kind].join(', ')})` : ''}`);
  if (kind === 'median') return new MedianPruner(options);
  if (kind === 'percentile') return new PercentilePruner(options);
  if (kind === 'halving') return new HalvingPruner(options);
  return new NoPruner();
}

function checkInteger(name: string, what: string, value: number, min: number): number {
  const kind = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
  if (!Number.isInteger(value) || value < min) throw new TsgymError(`${name} pruner: ${what} must be ${kind}, got ${value}`);
  return value;
}

class TrialValues {
  protected readonly values = new Map<number, Map<number, number>>();
  protected readonly states = new Map<number, TrialState>();

  report(trial: number, step: number, value: number): void {
    if (!Number.isInteger(step) || step < 0) throw new TsgymError(`pruner: step must be a non-negative integer, got ${step}`);
    if (typeof value !== 'number') throw new TsgymError(`pruner: value must be a number, got ${String(value)}`);
    if (this.states.has(trial) && this.states.get(trial) !== 'running') throw new TsgymError(`pruner: trial ${trial} already finished (${this.states.get(trial)})`);
    this.states.set(trial, 'running');
    let steps = this.values.get(trial);
    if (!steps) this.values.set(trial, (steps = new Map()));
    steps.set(step, value);
  }

  finish(trial: number, state: Exclude<TrialState, 'running'>): void {
    this.states.set(trial, state);
  }

  intermediate(trial: number): [number, number][] {
    return [...(this.values.get(trial) ?? new Map<number, number>()).entries()];
  }

  protected completed(): number[] {
    return [...this.states].filter(([, s]) => s === 'complete').map(([t]) => t);
  }
}

class NoPruner extends TrialValues implements Pruner {
  shouldPrune(): boolean {
    return false;
  }
}

/** Optuna's PercentilePruner: pruned when the best value so far is below the completed trials' percentile at the latest step. */
export class PercentilePruner extends TrialValues implements Pruner {
  readonly startupTrials: number;
  readonly warmupSteps: number;
  readonly intervalSteps: number;
  readonly minTrials: number;
  /** The share of trials kept, in percent. */
  readonly percentile: number;

  constructor(options: PrunerOptions = {}, name = 'percentile') {
    super();
    this.startupTrials = checkInteger(name, 'startupTrials', options.startupTrials ?? 5, 0);
    this.warmupSteps = checkInteger(name, 'warmupSteps', options.warmupSteps ?? 0, 0);
    this.intervalSteps = checkInteger(name, 'intervalSteps', options.intervalSteps ?? 1, 1);
    this.minTrials = checkInteger(name, 'minTrials', options.minTrials ?? 1, 1);
    this.percentile = options.percentile ?? 25;
    if (typeof this.percentile !== 'number' || !(this.percentile >= 0 && this.percentile <= 100)) throw new TsgymError(`${name} pruner: percentile must be between 0 and 100, got ${this.percentile}`);
  }

  shouldPrune(trial: number): boolean {
    const completed = this.completed();
    if (completed.length === 0 || completed.length < this.startupTrials) return false;
    const mine = this.values.get(trial);
    if (!mine || mine.size === 0) return false;
    const steps = [...mine.keys()];
    const step = Math.max(...steps);
    if (step < this.warmupSteps) return false;
    // Only the first report at or after each interval boundary is checked.
    const boundary = Math.floor((step - this.warmupSteps) / this.intervalSteps) * this.intervalSteps + this.warmupSteps;
    const previous = Math.max(-1, ...steps.filter((s) => s !== step));
    if (previous >= boundary) return false;
    const reported = [...mine.values()].filter((v) => !Number.isNaN(v));
    if (reported.length === 0) return true;
    const best = Math.max(...reported);
    const others = completed.map((t) => this.values.get(t)?.get(step)).filter((v): v is number => v !== undefined);
    if (others.length < this.minTrials) return false;
    const finite = others.filter((v) => !Number.isNaN(v));
    if (finite.length === 0) return false;
    // Keeping the top p % of a maximised value: the bar is its (100 − p)th percentile.
    return best < quantile(finite, 1 - this.percentile / 100);
  }
}

/** Optuna's MedianPruner: the percentile pruner at 50. */
export class MedianPruner extends PercentilePruner {
  constructor(options: PrunerOptions = {}) {
    if (options.percentile !== undefined) throw new TsgymError('median pruner: it takes no percentile option (use the percentile pruner)');
    super({ ...options, percentile: 50 }, 'median');
  }
}

/** Asynchronous successive halving (ASHA), as Optuna's SuccessiveHalvingPruner (see the top of the file). */
export class HalvingPruner extends TrialValues implements Pruner {
  readonly startupTrials: number;
  readonly reductionFactor: number;
  private readonly givenMinSteps: number | undefined;

  constructor(options: PrunerOptions = {}) {
    super();
    this.startupTrials = checkInteger('halving', 'startupTrials', options.startupTrials ?? 5, 0);
    this.reductionFactor = checkInteger('halving', 'reductionFactor', options.reductionFactor ?? 3, 2);
    this.givenMinSteps = options.minSteps === undefined ? undefined : checkInteger('halving', 'minSteps', options.minSteps, 1);
  }

  /** The first rung: given, or 1/η² of the first completed trial's last step (undefined before one completed). */
  minSteps(): number | undefined {
    if (this.givenMinSteps !== undefined) return this.givenMinSteps;
    const first = this.completed().sort((a, b) => a - b)[0];
    if (first === undefined) return undefined;
    const last = Math.max(0, ...(this.values.get(first)?.keys() ?? []));
    return Math.max(1, Math.floor(last / this.reductionFactor ** 2));
  }

  /** The trial's value at rung step `rung`: the value it reported first at or after that step. */
  private rungValue(trial: number, rung: number): number | undefined {
    let at: number | undefined;
    for (const step of this.values.get(trial)?.keys() ?? []) if (step >= rung && (at === undefined || step < at)) at = step;
    return at === undefined ? undefined : this.values.get(trial)!.get(at);
  }

  shouldPrune(trial: number): boolean {
    if (this.completed().length < this.startupTrials) return false;
    const mine = this.values.get(trial);
    const minSteps = this.minSteps();
    if (!mine || mine.size === 0 || minSteps === undefined) return false;
    const steps = [...mine.keys()];
    const step = Math.max(...steps);
    const previous = Math.max(-1, ...steps.filter((s) => s !== step));
    // Every rung this report is the first to reach (a report may pass several rungs at once).
    for (let rung = minSteps; rung <= step; rung *= this.reductionFactor) {
      if (previous >= rung) continue; // judged at an earlier report
      const value = mine.get(step)!;
      if (Number.isNaN(value)) return true;
      const competing = [value];
      for (const other of this.values.keys()) {
        if (other === trial) continue;
        const v = this.rungValue(other, rung);
        if (v !== undefined && !Number.isNaN(v)) competing.push(v);
      }
      competing.sort((a, b) => b - a);
      // Kept: among the top 1/η (the best one while fewer than η trials reached the rung).
      const kept = Math.max(1, Math.floor(competing.length / this.reductionFactor));
      if (value < competing[kept - 1]) return true;
    }
    return false;
  }
}
