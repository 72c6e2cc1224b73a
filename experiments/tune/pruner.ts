/**
 * Median pruning, with the semantics of Optuna's MedianPruner (objective maximised):
 *
 * - a trial reports intermediate values (`report(trial, step, value)`: e.g. the greedy eval at each eval
 *   step) and asks `shouldPrune(trial)` after each report;
 * - nothing is pruned until `startupTrials` trials (default 5) have completed, nor at a step below
 *   `warmupSteps` (default 0), nor at a step that is not the first report in its interval (`intervalSteps`,
 *   default 1: every report is checked);
 * - at the trial's latest step s, it is pruned when its best intermediate value so far is worse (lower) than
 *   the median of the values the completed trials reported at exactly step s. Trials that were pruned or
 *   failed do not count; when no completed trial reported at s, it is not pruned. A trial whose every
 *   reported value is NaN is pruned.
 *
 * `finish(trial, state)` tells the pruner how a trial ended, so only completed trials set the median. The
 * pruner is plain data: a study rebuilds it by replaying its trials' intermediate values.
 */
import { TsgymError } from '../../core/errors.js';
import { median } from '../../core/math.js';
import type { TrialState } from './sampler.js';

export interface MedianPrunerOptions {
  /** Completed trials needed before anything is pruned. Default 5. */
  startupTrials?: number;
  /** Steps below this are never pruned. Default 0. */
  warmupSteps?: number;
  /** Check once per this many steps (counted from warmupSteps). Default 1. */
  intervalSteps?: number;
}

export interface Pruner {
  /** Records trial `trial`'s intermediate value at `step` (a later report at the same step replaces it). */
  report(trial: number, step: number, value: number): void;
  /** Whether trial `trial` should stop now, judged at its latest reported step. */
  shouldPrune(trial: number): boolean;
  /** How the trial ended; only 'complete' trials count towards the medians. */
  finish(trial: number, state: Exclude<TrialState, 'running'>): void;
  /** The trial's intermediate values as [step, value] pairs, in report order. */
  intermediate(trial: number): [number, number][];
}

export type PrunerKind = 'median' | 'none';
export const PRUNER_KINDS: readonly PrunerKind[] = ['median', 'none'];

export function createPruner(kind: PrunerKind, options: MedianPrunerOptions = {}): Pruner {
  if (kind === 'median') return new MedianPruner(options);
  if (kind === 'none') return new NoPruner();
  throw new TsgymError(`unknown pruner '${String(kind)}'; use ${PRUNER_KINDS.join(' or ')}`);
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
}

class NoPruner extends TrialValues implements Pruner {
  shouldPrune(): boolean {
    return false;
  }
}

export class MedianPruner extends TrialValues implements Pruner {
  readonly startupTrials: number;
  readonly warmupSteps: number;
  readonly intervalSteps: number;

  constructor(options: MedianPrunerOptions = {}) {
    super();
    this.startupTrials = options.startupTrials ?? 5;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.intervalSteps = options.intervalSteps ?? 1;
    if (!Number.isInteger(this.startupTrials) || this.startupTrials < 0) throw new TsgymError(`median pruner: startupTrials must be a non-negative integer, got ${this.startupTrials}`);
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0) throw new TsgymError(`median pruner: warmupSteps must be a non-negative integer, got ${this.warmupSteps}`);
    if (!Number.isInteger(this.intervalSteps) || this.intervalSteps < 1) throw new TsgymError(`median pruner: intervalSteps must be a positive integer, got ${this.intervalSteps}`);
  }

  shouldPrune(trial: number): boolean {
    const completed = [...this.states].filter(([, s]) => s === 'complete').map(([t]) => t);
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
    const others = completed.map((t) => this.values.get(t)?.get(step)).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    if (others.length === 0) return false;
    return best < median(others);
  }
}
