import { describe, expect, it } from 'vitest';
import { createPruner, MedianPruner, type MedianPrunerOptions } from '../experiments/tune/pruner.js';
import { evalRecords, intermediateValue, runScore, trialValue, trialValueFromMetrics } from '../experiments/tune/objective.js';
import type { MetricLine } from '../formats/run-format.js';

// Completed trials' intermediate values by step. Medians: step 0 → 3, step 1 → 4, step 2 → 4.5 (trial 4 has no step 2).
const COMPLETED: Record<number, number>[] = [
  { 0: 1, 1: 2, 2: 3 },
  { 0: 2, 1: 3, 2: 4 },
  { 0: 3, 1: 4, 2: 5 },
  { 0: 4, 1: 5, 2: 6 },
  { 0: 5, 1: 6 },
];
// The running trial's reports, in step order.
const CASES: Record<string, Record<number, number>> = {
  a: { 0: 2.9 }, // below the median at step 0
  b: { 0: 3 }, // equal to it: kept
  c: { 0: 5, 1: 3.5 }, // below at step 1, but its best so far (5) is not
  d: { 0: 1, 1: 3.9 },
  e: { 0: 1, 1: 1, 2: 4.4 },
  f: { 3: 0 }, // no completed trial reported step 3
  g: { 0: Number.NaN }, // nothing but NaN
  h: { 0: 1, 1: 1 },
  i: { 0: 1, 1: 1, 2: 1 },
};

/** shouldPrune for every case, with `nComplete` of the completed trials (and optionally a pruned and a failed one). */
function decisions(nComplete: number, options: MedianPrunerOptions = {}, withPrunedAndFailed = false): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [name, reports] of Object.entries(CASES)) {
    const pruner = new MedianPruner(options);
    let id = 0;
    for (const values of COMPLETED.slice(0, nComplete)) {
      for (const [step, v] of Object.entries(values)) pruner.report(id, Number(step), v);
      pruner.finish(id++, 'complete');
    }
    if (withPrunedAndFailed) {
      for (const [state, v] of [
        ['pruned', 100],
        ['failed', -100],
      ] as const) {
        for (const step of [0, 1, 2]) pruner.report(id, step, v);
        pruner.finish(id++, state);
      }
    }
    for (const [step, v] of Object.entries(reports)) pruner.report(id, Number(step), v);
    out[name] = pruner.shouldPrune(id);
  }
  return out;
}

// Expected decisions: Optuna 5.0.0.dev's MedianPruner (direction maximize) on the same histories, built with
// optuna.trial.create_trial and asked with trial.should_prune().
describe("median pruner (Optuna's MedianPruner decisions on the same histories)", () => {
  it('defaults (5 startup trials, no warm-up, every step)', () => {
    expect(decisions(5)).toEqual({ a: true, b: false, c: false, d: true, e: true, f: false, g: true, h: true, i: true });
  });

  it('prunes nothing before 5 trials completed', () => {
    expect(decisions(4)).toEqual({ a: false, b: false, c: false, d: false, e: false, f: false, g: false, h: false, i: false });
  });

  it('warm-up steps: nothing before step 2', () => {
    expect(decisions(5, { warmupSteps: 2 })).toEqual({ a: false, b: false, c: false, d: false, e: true, f: false, g: false, h: false, i: true });
  });

  it('interval steps: only the first report of every second step is checked', () => {
    expect(decisions(5, { intervalSteps: 2 })).toEqual({ a: true, b: false, c: false, d: false, e: true, f: false, g: true, h: false, i: true });
  });

  it('pruned and failed trials do not move the median', () => {
    expect(decisions(5, {}, true)).toEqual(decisions(5));
  });

  it("'none' never prunes but keeps the values", () => {
    const p = createPruner('none');
    p.report(0, 0, 1);
    expect(p.shouldPrune(0)).toBe(false);
    expect(p.intermediate(0)).toEqual([[0, 1]]);
  });

  it('refuses bad options and reports with one line', () => {
    expect(() => new MedianPruner({ intervalSteps: 0 })).toThrow(/intervalSteps must be a positive integer/);
    expect(() => createPruner('hyperband' as 'median')).toThrow(/unknown pruner 'hyperband'/);
    const p = new MedianPruner();
    expect(() => p.report(0, -1, 1)).toThrow(/step must be a non-negative integer/);
    p.finish(0, 'complete');
    expect(() => p.report(0, 1, 1)).toThrow(/trial 0 already finished \(complete\)/);
  });
});

describe('trial objective from metrics records', () => {
  const evals = (means: number[]): MetricLine[] => [
    { kind: 'episode', step: 5, return: 99, length: 10, terminated: true },
    ...means.map((mean, i) => ({ kind: 'eval', step: (i + 1) * 100, mean, std: 0, returns: [mean], lengths: [1] })),
    { kind: 'update', step: 50, updates: 1, loss: 0.1 },
  ];

  it('last quarter: the mean of the last ⌈n/4⌉ evals; final; auc', () => {
    const recs = evalRecords(evals([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]));
    expect(recs.map((r) => r.step)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(runScore(recs, 'last-quarter')).toBe((70 + 80 + 90) / 3);
    expect(runScore(recs, 'final')).toBe(90);
    // A straight line from 0 to 90: its average is 45.
    expect(runScore(recs, 'auc')).toBeCloseTo(45, 12);
    expect(runScore(evalRecords(evals([7])), 'auc')).toBe(7);
    expect(() => runScore([], 'final')).toThrow(/no greedy evaluation/);
  });

  it('the trial value is the IQM over seeds', () => {
    // Eight seeds: IQM drops the two lowest and the two highest.
    expect(trialValue([0, 1, 2, 3, 4, 5, 6, 100])).toBe(3.5);
    expect(trialValueFromMetrics([evals([1, 2, 3, 4]), evals([5, 6, 7, 8]), evals([0, 0, 0, 3])], 'last-quarter')).toBe(5);
  });

  it('intermediate values wait for every seed', () => {
    const a = evalRecords(evals([1, 2]));
    const b = evalRecords(evals([3]));
    expect(intermediateValue([a, b], 100)).toBe(2);
    expect(intermediateValue([a, b], 200)).toBeUndefined();
  });
});
