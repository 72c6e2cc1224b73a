/**
 * What a tuning trial scores, from its runs' metrics (the `eval` records of metrics.jsonl). A trial is one
 * config run on several seeds; its score is a statistic over the seeds of a per-run score:
 *
 * - `last-quarter` (the default): the mean of the greedy eval means over the last quarter of the run's
 *   evaluations (⌈n/4⌉ of n, so at least the final one). Steadier than the final eval alone, and it still
 *   rewards ending well rather than having been good once.
 * - `final`: the last greedy eval's mean.
 * - `auc`: the area under the eval curve divided by its step span (the average eval over training; a single
 *   eval scores its own mean): rewards learning fast as well as well.
 *
 * Across seeds the trial's value is the interquartile mean (experiments/stats.ts `iqm`; with fewer than four
 * seeds that is the plain mean), so one lucky seed does not make a config.
 *
 * Intermediate values for pruning: at each eval step, once every seed has evaluated there, the IQM over the
 * seeds of their eval means at that step (`intermediateValue`): comparable across trials at equal steps.
 */
import { TsgymError } from '../../core/errors.js';
import type { EvalRecord, MetricLine } from '../../formats/run-format.js';
import { iqm, mean, normalizedAreaUnderCurve } from '../stats.js';

export type ObjectiveKind = 'last-quarter' | 'final' | 'auc';
export const OBJECTIVE_KINDS: readonly ObjectiveKind[] = ['last-quarter', 'final', 'auc'];

/** The `eval` records among metrics lines, in step order. */
export function evalRecords(records: readonly MetricLine[]): EvalRecord[] {
  return records.filter((r): r is MetricLine & EvalRecord => r.kind === 'eval' && typeof r.mean === 'number').sort((a, b) => a.step - b.step);
}

/** One run's score under `kind`, from its eval records; throws when the run has no evaluation. */
export function runScore(evals: readonly Pick<EvalRecord, 'step' | 'mean'>[], kind: ObjectiveKind = 'last-quarter'): number {
  if (evals.length === 0) throw new TsgymError('objective: the run has no greedy evaluation to score; give it a budget of at least one eval interval');
  const means = evals.map((e) => e.mean);
  switch (kind) {
    case 'last-quarter':
      return mean(means.slice(means.length - Math.ceil(means.length / 4)));
    case 'final':
      return means[means.length - 1];
    case 'auc': {
      const steps = evals.map((e) => e.step);
      return steps[steps.length - 1] === steps[0] ? mean(means) : normalizedAreaUnderCurve(steps, means);
    }
    default:
      throw new TsgymError(`objective: unknown kind '${String(kind)}'; use ${OBJECTIVE_KINDS.join(', ')}`);
  }
}

/** A trial's value: the IQM over seeds of the per-seed scores. */
export function trialValue(seedScores: readonly number[]): number {
  return iqm(seedScores);
}

/** A trial's value straight from each seed's metrics lines. */
export function trialValueFromMetrics(metricsBySeed: readonly (readonly MetricLine[])[], kind: ObjectiveKind = 'last-quarter'): number {
  return trialValue(metricsBySeed.map((records) => runScore(evalRecords(records), kind)));
}

/**
 * The trial's intermediate value at `step`: the IQM over seeds of their eval mean at exactly that step;
 * undefined until every seed has evaluated there.
 */
export function intermediateValue(evalsBySeed: readonly (readonly Pick<EvalRecord, 'step' | 'mean'>[])[], step: number): number | undefined {
  const at: number[] = [];
  for (const evals of evalsBySeed) {
    const e = evals.find((r) => r.step === step);
    if (!e) return undefined;
    at.push(e.mean);
  }
  return at.length ? iqm(at) : undefined;
}
