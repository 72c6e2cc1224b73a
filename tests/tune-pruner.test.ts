import { describe, expect, it } from 'vitest';
import { createPruner, HalvingPruner, MedianPruner, PercentilePruner, type MedianPrunerOptions, type PrunerOptions } from '../experiments/tune/pruner.js';
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
function decisions(nComplete: number, options: MedianPrunerOptions = {}, withPrunedAndFailed = false, make: (o: PrunerOptions) => MedianPruner | PercentilePruner = (o) => new MedianPruner(o)): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [name, reports] of Object.entries(CASES)) {
    const pruner = make(options);
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

describe("percentile pruner (Optuna's PercentilePruner semantics)", () => {
  const percentile = (p: number, o: PrunerOptions = {}) => decisions(5, o, false, (opts) => new PercentilePruner({ ...opts, percentile: p }));

  it('at 50 it is the median pruner', () => {
    expect(percentile(50)).toEqual(decisions(5));
    expect(percentile(50, { warmupSteps: 2 })).toEqual(decisions(5, { warmupSteps: 2 }));
  });

  it('keeping the top 25 %: pruned below the 75th percentile of the completed trials at the step', () => {
    // Step 0: completed values 1..5, 75th percentile 4; step 1: 2..6 → 5; step 2: 3..6 → 5.25.
    expect(percentile(25)).toEqual({ a: true, b: true, c: false, d: true, e: true, f: false, g: true, h: true, i: true });
    // Keeping everything prunes what is below the worst completed value at the step; keeping nothing, below the best.
    expect(percentile(100)).toEqual({ a: false, b: false, c: false, d: false, e: false, f: false, g: true, h: true, i: true });
    expect(percentile(0)).toEqual({ a: true, b: true, c: true, d: true, e: true, f: false, g: true, h: true, i: true });
  });

  it('minTrials: no judgement at a step fewer completed trials reported', () => {
    // Step 2 was reported by 4 completed trials, step 0 by 5.
    const p = percentile(25, { minTrials: 5 });
    expect(p.e).toBe(false);
    expect(p.i).toBe(false);
    expect(p.a).toBe(true);
  });

  it('refuses bad options with one line, and options of another pruner', () => {
    expect(() => new PercentilePruner({ percentile: 101 })).toThrow(/percentile must be between 0 and 100, got 101/);
    expect(() => new MedianPruner({ percentile: 30 })).toThrow(/median pruner: it takes no percentile option/);
    expect(() => createPruner('median', { reductionFactor: 3 })).toThrow(/the median pruner takes no reductionFactor option \(it takes startupTrials, warmupSteps, intervalSteps, minTrials\)/);
    expect(() => createPruner('none', { startupTrials: 3 })).toThrow(/the none pruner takes no startupTrials option$/);
    expect(() => createPruner('halving', { warmupSteps: 3 })).toThrow(/the halving pruner takes no warmupSteps option/);
  });
});

describe("halving pruner (asynchronous successive halving, Optuna's SuccessiveHalvingPruner rules)", () => {
  /** A pruner with trials finished as given: [state, {step: value}]. */
  function history(options: PrunerOptions, trials: ['complete' | 'pruned' | 'failed' | 'running', Record<number, number>][]): HalvingPruner {
    const p = new HalvingPruner(options);
    trials.forEach(([state, values], id) => {
      for (const [step, v] of Object.entries(values)) p.report(id, Number(step), v);
      if (state !== 'running') p.finish(id, state);
    });
    return p;
  }
  const judge = (p: HalvingPruner, reports: Record<number, number>) => {
    const id = 100;
    let pruned = false;
    for (const [step, v] of Object.entries(reports)) {
      p.report(id, Number(step), v);
      pruned = p.shouldPrune(id);
      if (pruned) return Number(step);
    }
    return pruned;
  };
  // Rungs at 1, 3, 9 (η = 3). Values at rung 1 of the others: 5, 3, 8, 4 (one of them pruned there), and 7 at rung 3 (a running trial).
  const OTHERS: ['complete' | 'pruned' | 'failed' | 'running', Record<number, number>][] = [
    ['complete', { 1: 5, 3: 6, 9: 7 }],
    ['complete', { 1: 3, 3: 2, 9: 1 }],
    ['complete', { 1: 8, 3: 9, 9: 10 }],
    ['pruned', { 1: 4 }],
    ['running', { 2: 6, 4: 7 }],
  ];
  const opts = { minSteps: 1, reductionFactor: 3, startupTrials: 0 };

  it('keeps the top 1/η of every trial that reached the rung (any state), judged once per rung at the first report there', () => {
    // Rung 1 competitors: 5, 3, 8, 4, 6 (the running trial's value at step 2) and its own: top ⌊6/3⌋ = 2 → bar 6.
    expect(judge(history(opts, OTHERS), { 1: 5.9 })).toBe(1);
    expect(judge(history(opts, OTHERS), { 1: 6 })).toBe(false);
    // Rung 3 competitors: 6, 2, 9, 7 and its own: top ⌊5/3⌋ = 1 → bar 9; between rungs nothing is judged.
    expect(judge(history(opts, OTHERS), { 1: 6, 2: -100, 3: 8.9 })).toBe(3);
    expect(judge(history(opts, OTHERS), { 1: 6, 2: -100, 3: 9 })).toBe(false);
    // A report that passes two rungs at once is judged at both with its value there.
    expect(judge(history(opts, OTHERS), { 4: 8 })).toBe(4);
    expect(judge(history(opts, OTHERS), { 4: 9.5 })).toBe(false);
  });

  it('fewer than η trials at a rung: only the best goes on; NaN is pruned', () => {
    const two = history(opts, [['complete', { 1: 5, 3: 6 }]]);
    expect(judge(two, { 1: 4.9 })).toBe(1);
    expect(judge(history(opts, [['complete', { 1: 5, 3: 6 }]]), { 1: 5 })).toBe(false);
    expect(judge(history(opts, [['complete', { 1: 5 }]]), { 1: Number.NaN })).toBe(1);
  });

  it('waits for startupTrials completed trials; minSteps defaults to 1/η² of the first completed trial\'s last step', () => {
    expect(judge(history({ ...opts, startupTrials: 4 }, OTHERS), { 1: 0 })).toBe(false);
    expect(judge(history({ ...opts, startupTrials: 3 }, OTHERS), { 1: 0 })).toBe(1);
    const auto = history({ startupTrials: 1 }, [['complete', { 10: 1, 50: 1, 90: 1 }]]);
    expect(auto.minSteps()).toBe(10);
    expect(new HalvingPruner({ startupTrials: 0 }).minSteps()).toBeUndefined();
    expect(judge(auto, { 5: 0, 9: 0 })).toBe(false); // before the first rung
    expect(judge(history({ startupTrials: 1 }, [['complete', { 10: 1, 50: 1, 90: 1 }]]), { 5: 0, 10: 0.5 })).toBe(10);
  });

  it('refuses bad options with one line', () => {
    expect(() => new HalvingPruner({ reductionFactor: 1 })).toThrow(/halving pruner: reductionFactor must be an integer of at least 2, got 1/);
    expect(() => new HalvingPruner({ minSteps: 0 })).toThrow(/halving pruner: minSteps must be a positive integer, got 0/);
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
