import { describe, expect, it } from 'vitest';
import { TsgymError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import {
  aggregateCurves,
  areaUnderCurve,
  bootstrapCI,
  commonGrid,
  firstCrossing,
  improvementEvidence,
  intervalsOverlap,
  iqm,
  kaplanMeier,
  kaplanMeierMedian,
  kaplanMeierMedianCI,
  normalQuantile,
  wilsonInterval,
  mean,
  median,
  normalizedAreaUnderCurve,
  performanceProfile,
  probabilityOfImprovement,
  probabilityOfImprovementCI,
  probabilityStatisticGreater,
  quantile,
  std,
  thresholdGrid,
  type Statistic,
} from '../experiments/stats.js';

function normals(seed: number, n: number, mu = 0, sigma = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => mu + sigma * rng.normal());
}

describe('point statistics', () => {
  it('mean and median', () => {
    // (1 + 2 + 3 + 10) / 4 = 4
    expect(mean([1, 2, 3, 10])).toBe(4);
    // odd n: the middle of the sorted [1, 3, 7] is 3
    expect(median([7, 1, 3])).toBe(3);
    // even n: the mean of the middle two of [1, 2, 3, 10] is (2 + 3) / 2 = 2.5
    expect(median([10, 3, 1, 2])).toBe(2.5);
  });

  it('std is the sample std (ddof = 1) by default', () => {
    // [2,4,4,4,5,5,7,9]: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32.
    // sample: sqrt(32 / 7); population (ddof 0): sqrt(32 / 8) = 2.
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(std(xs)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(std(xs, 0)).toBeCloseTo(2, 12);
    // constant data has no spread
    expect(std([3, 3, 3])).toBe(0);
  });

  it('quantile interpolates linearly like numpy', () => {
    const xs = [4, 1, 3, 2]; // sorted [1, 2, 3, 4], n - 1 = 3
    // q = 0.25: h = 0.75 → 1 + 0.75·(2 − 1) = 1.75
    expect(quantile(xs, 0.25)).toBeCloseTo(1.75, 12);
    // q = 0.5: h = 1.5 → 2.5
    expect(quantile(xs, 0.5)).toBeCloseTo(2.5, 12);
    // q = 0.9: h = 2.7 → 3 + 0.7·(4 − 3) = 3.7
    expect(quantile(xs, 0.9)).toBeCloseTo(3.7, 12);
    // ends are the min and max
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 1)).toBe(4);
    // sorted [0, 5, 10], q = 0.3: h = 0.6 → 0 + 0.6·5 = 3
    expect(quantile([10, 0, 5], 0.3)).toBeCloseTo(3, 12);
    // one value: every quantile is that value
    expect(quantile([7], 0.37)).toBe(7);
  });

  it('iqm trims floor(n/4) from each end (scipy trim_mean(x, 0.25))', () => {
    // n = 8: trim 2 per side of [1..8] → mean of [3, 4, 5, 6] = 18 / 4 = 4.5
    expect(iqm([8, 1, 7, 2, 6, 3, 5, 4])).toBe(4.5);
    // n = 10: floor(2.5) = 2 trimmed per side of [1..9, 100] → mean of [3..8] = 33 / 6 = 5.5 (the outlier is gone;
    // the plain mean would be 145 / 10 = 14.5)
    expect(iqm([1, 2, 3, 4, 5, 6, 7, 8, 9, 100])).toBe(5.5);
    // n = 5: floor(1.25) = 1 per side of [1, 2, 3, 4, 100] → mean of [2, 3, 4] = 3
    expect(iqm([100, 1, 2, 3, 4])).toBe(3);
    // n = 7: floor(1.75) = 1 per side of [1..6, 100] → mean of [2..6] = 20 / 5 = 4
    expect(iqm([1, 2, 3, 4, 5, 6, 100])).toBe(4);
    // n = 3: floor(0.75) = 0, nothing trimmed → the mean, (1 + 2 + 30) / 3 = 11
    expect(iqm([1, 2, 30])).toBe(11);
    expect(iqm([5])).toBe(5);
  });

  it('rejects empty input, NaN, infinities and bad parameters with clear errors', () => {
    expect(() => mean([])).toThrow(TsgymError);
    expect(() => mean([])).toThrow(/empty/);
    expect(() => iqm([1, NaN, 3])).toThrow(/values\[1\] is NaN/);
    expect(() => median([1, Infinity])).toThrow(/finite/);
    expect(() => std([4])).toThrow(/no spread/);
    expect(() => std([1, 2], -1)).toThrow(/ddof/);
    expect(() => quantile([1, 2], 1.5)).toThrow(/between 0 and 1/);
    expect(() => quantile([1, 2], NaN)).toThrow(/between 0 and 1/);
  });
});

describe('bootstrapCI', () => {
  const data = normals(1, 20, 10, 3);

  it('brackets the point estimate, which is the statistic of the data', () => {
    const ci = bootstrapCI(data, iqm, { seed: 7 });
    expect(ci.point).toBe(iqm(data));
    expect(ci.low).toBeLessThan(ci.point);
    expect(ci.high).toBeGreaterThan(ci.point);
  });

  it('gives the hand-computed percentile interval for two values', () => {
    // Resamples of [0, 1] with n = 2 have mean 0 (p = 1/4), 0.5 (1/2) or 1 (1/4). With 2000 reps roughly 500 zeros
    // and 500 ones, so the 2.5% and 97.5% quantiles of the replicates are exactly 0 and 1.
    expect(bootstrapCI([0, 1], mean, { seed: 3 })).toEqual({ point: 0.5, low: 0, high: 1 });
  });

  it('is deterministic for a seed and different for another', () => {
    const a = bootstrapCI(data, iqm, { seed: 11 });
    const b = bootstrapCI(data, iqm, { seed: 11 });
    const c = bootstrapCI(data, iqm, { seed: 12 });
    expect(b).toEqual(a);
    expect(c.point).toBe(a.point);
    expect([c.low, c.high]).not.toEqual([a.low, a.high]);
    // an Rng passed in is used instead of the seed, and two equal streams give equal results
    expect(bootstrapCI(data, iqm, { rng: new Rng('x') })).toEqual(bootstrapCI(data, iqm, { rng: new Rng('x') }));
  });

  it('collapses to a point for constant data', () => {
    expect(bootstrapCI([0.1, 0.1, 0.1, 0.1, 0.1], mean, { seed: 1 })).toEqual({ point: 0.1, low: 0.1, high: 0.1 });
  });

  it('resamples within each task (stratified)', () => {
    // Task A is all 0, task B all 10, three runs each. A stratified resample always keeps three runs of each, so the
    // overall mean is 5 in every replicate; an unstratified resample of the six pooled values would vary.
    const byTask = [
      [0, 0, 0],
      [10, 10, 10],
    ];
    expect(bootstrapCI(byTask, mean, { seed: 2 })).toEqual({ point: 5, low: 5, high: 5 });
    const pooled = bootstrapCI(byTask.flat(), mean, { seed: 2 });
    expect(pooled.high - pooled.low).toBeGreaterThan(1);
  });

  it('passes the per-task grouping to the statistic', () => {
    // mean of per-task medians: task medians 2 and 20 → 11
    const meanOfMedians: Statistic = (_flat, byTask) => mean(byTask.map((t) => median(t)));
    const ci = bootstrapCI([[1, 2, 3], [10, 20, 30]], meanOfMedians, { seed: 4, reps: 200 });
    expect(ci.point).toBe(11);
    expect(ci.low).toBeLessThanOrEqual(11);
    expect(ci.high).toBeGreaterThanOrEqual(11);
  });

  it('narrows as the number of runs grows, and widens with the confidence level', () => {
    const width = (n: number, confidence = 0.95) => {
      const ci = bootstrapCI(normals(5, n), mean, { seed: 9, confidence });
      return ci.high - ci.low;
    };
    // The standard error falls like 1/sqrt(n): 16x more runs → about 4x narrower.
    expect(width(128)).toBeLessThan(width(8) / 2);
    expect(width(32, 0.5)).toBeLessThan(width(32, 0.99));
  });

  it('rejects bad input', () => {
    expect(() => bootstrapCI([], mean)).toThrow(/empty/);
    expect(() => bootstrapCI([[1, 2], []], mean)).toThrow(/scores\[1\] is empty/);
    expect(() => bootstrapCI([1, NaN], mean)).toThrow(/NaN/);
    expect(() => bootstrapCI([1, 2], mean, { reps: 0 })).toThrow(/reps/);
    expect(() => bootstrapCI([1, 2], mean, { confidence: 1 })).toThrow(/confidence/);
    expect(() => bootstrapCI([1, 2], () => NaN, { reps: 5 })).toThrow(/statistic returned NaN/);
  });
});

describe('probability of improvement', () => {
  it('counts wins as 1, ties as 1/2, averaged over all pairs', () => {
    // x = 1 beats none of [2,2,2] (0), x = 2 ties all three (0.5), x = 3 beats all (1): (0 + 0.5 + 1) / 3 = 0.5
    expect(probabilityOfImprovement([1, 2, 3], [2, 2, 2])).toBe(0.5);
    expect(probabilityOfImprovement([3, 4], [1, 2])).toBe(1);
    expect(probabilityOfImprovement([1, 2], [3, 4])).toBe(0);
    // pairs of [1, 3] vs [2, 3]: (1,2)=0 (1,3)=0 (3,2)=1 (3,3)=0.5 → 1.5 / 4 = 0.375
    expect(probabilityOfImprovement([3, 1], [3, 2])).toBe(0.375);
  });

  it('agrees with the all-pairs definition on data with many ties, and P(X>Y) + P(Y>X) = 1', () => {
    const rng = new Rng(21);
    const x = Array.from({ length: 37 }, () => rng.int(6));
    const y = Array.from({ length: 23 }, () => rng.int(6));
    let wins = 0;
    for (const a of x) for (const b of y) wins += a > b ? 1 : a === b ? 0.5 : 0;
    expect(probabilityOfImprovement(x, y)).toBeCloseTo(wins / (x.length * y.length), 12);
    expect(probabilityOfImprovement(x, y) + probabilityOfImprovement(y, x)).toBeCloseTo(1, 12);
  });

  it('has a bootstrap interval that brackets the point, stays in [0, 1] and is seeded', () => {
    const x = normals(30, 10, 1);
    const y = normals(31, 10, 0);
    const ci = probabilityOfImprovementCI(x, y, { seed: 1 });
    expect(ci.point).toBe(probabilityOfImprovement(x, y));
    expect(ci.low).toBeGreaterThanOrEqual(0);
    expect(ci.high).toBeLessThanOrEqual(1);
    expect(ci.low).toBeLessThan(ci.point);
    expect(ci.high).toBeGreaterThan(ci.point);
    expect(probabilityOfImprovementCI(x, y, { seed: 1 })).toEqual(ci);
    expect(probabilityOfImprovementCI(x, y, { seed: 2 })).not.toEqual(ci);
    // fully separated samples stay separated in every resample
    expect(probabilityOfImprovementCI([5, 6, 7], [1, 2], { seed: 1 })).toEqual({ point: 1, low: 1, high: 1 });
  });

  it('rejects empty or NaN input', () => {
    expect(() => probabilityOfImprovement([], [1])).toThrow(/x is empty/);
    expect(() => probabilityOfImprovementCI([1], [NaN])).toThrow(/y\[0\] is NaN/);
  });
});

describe('probabilityStatisticGreater', () => {
  it('matches the exact resampling distribution on a case small enough to enumerate', () => {
    // Two runs each: the 4 × 4 equally likely pairs of resamples, means compared exactly.
    const x = [1, 4];
    const y = [2, 3];
    const means = (v: number[]) => [v[0], (v[0] + v[1]) / 2, (v[1] + v[0]) / 2, v[1]];
    let exact = 0;
    for (const a of means(x)) for (const b of means(y)) exact += a > b ? 1 : a === b ? 0.5 : 0;
    exact /= 16;
    const p = probabilityStatisticGreater(x, y, mean, { seed: 3, reps: 40_000 });
    expect(Math.abs(p - exact)).toBeLessThan(0.01);
    expect(probabilityStatisticGreater(x, y, mean, { seed: 3, reps: 40_000 })).toBe(p);
  });

  it('compares aggregates, not single runs: one failed seed in ten barely moves an IQM', () => {
    const winner = [-150, -160, -170, -180, -190, -200, -210, -220, -230, -500];
    const defaults = [-500, -500, -500, -500, -500, -500, -300, -200, -180, -500];
    expect(probabilityOfImprovement(winner, defaults)).toBeLessThan(0.9);
    expect(probabilityStatisticGreater(winner, defaults, iqm, { seed: 1 })).toBeGreaterThan(0.95);
    expect(probabilityStatisticGreater(defaults, winner, iqm, { seed: 1 })).toBeLessThan(0.05);
    expect(probabilityStatisticGreater([3, 3], [3], iqm)).toBe(0.5);
  });

  it('rejects empty input and a statistic that returns NaN', () => {
    expect(() => probabilityStatisticGreater([], [1], mean)).toThrow(/x is empty/);
    expect(() => probabilityStatisticGreater([1], [2], () => NaN)).toThrow(/statistic returned NaN/);
  });
});

describe('performance profiles', () => {
  it('gives the fraction of runs strictly above each threshold', () => {
    // scores 1..5: > 0 → 5/5, > 2 → {3,4,5} 3/5, > 4.5 → {5} 1/5, > 5 → none (strict)
    expect(performanceProfile([5, 1, 4, 2, 3], [0, 2, 4.5, 5])).toEqual([1, 0.6, 0.2, 0]);
  });

  it('makes evenly spaced threshold grids', () => {
    expect(thresholdGrid(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(thresholdGrid(2, 2, 1)).toEqual([2]);
    const g = thresholdGrid(0, 0.3, 4); // 0.1 steps; the last value is exactly the upper end
    expect(g[3]).toBe(0.3);
    expect(() => thresholdGrid(1, 0, 3)).toThrow(/low <= high/);
    expect(() => thresholdGrid(0, 1, 0)).toThrow(/count/);
  });
});

describe('learning-curve summaries', () => {
  it('integrates a piecewise-linear curve by the trapezoidal rule', () => {
    // (0,0)→(10,10): triangle 10·10/2 = 50; (10,10)→(20,10): 10·10 = 100; (20,10)→(40,0): 20·10/2 = 100. Total 250.
    expect(areaUnderCurve([0, 10, 20, 40], [0, 10, 10, 0])).toBe(250);
    // normalised by the span of 40 steps: 250 / 40 = 6.25, the curve's average height
    expect(normalizedAreaUnderCurve([0, 10, 20, 40], [0, 10, 10, 0])).toBe(6.25);
    // a repeated step is a vertical jump with no area: 0 over [0,10], jump to 10, 10·10 over [10,20] → 100
    expect(areaUnderCurve([0, 10, 10, 20], [0, 0, 10, 10])).toBe(100);
    expect(areaUnderCurve([5], [3])).toBe(0);
  });

  it('throws on unsorted steps, mismatched lengths and a zero span', () => {
    expect(() => areaUnderCurve([0, 20, 10], [1, 2, 3])).toThrow(/steps\[2\] = 10 comes after steps\[1\] = 20/);
    expect(() => areaUnderCurve([0, 10], [1, 2, 3])).toThrow(/2 entries but values has 3/);
    expect(() => normalizedAreaUnderCurve([5, 5], [1, 2])).toThrow(/span zero/);
    expect(() => areaUnderCurve([0, 1], [1, NaN])).toThrow(/values\[1\] is NaN/);
  });

  it('finds the first step at which a threshold is reached', () => {
    const steps = [0, 100, 200, 300];
    const values = [1, 5, 3, 9];
    expect(firstCrossing(steps, values, 5)).toBe(100); // reaching counts (>=)
    expect(firstCrossing(steps, values, 6)).toBe(300); // 5 and 3 fall short; 9 at step 300
    expect(firstCrossing(steps, values, 0)).toBe(0);
    expect(firstCrossing(steps, values, 10)).toBeNull();
    expect(() => firstCrossing([0, 2, 1], [1, 2, 3], 2)).toThrow(/sorted/);
  });
});

describe('aggregateCurves', () => {
  // Four seeds, evaluated at different steps. Held values ("last value so far") on the grid [0, 10, 20]:
  //   A: steps 0,10,20 values 0,1,2 → 0, 1, 2
  //   B: steps 0,5,20  values 0,3,4 → 0, 3 (from step 5), 4
  //   C: steps 0,20    values 1,5   → 1, 1 (held), 5
  //   D: steps 0,20    values 10,10 → 10, 10, 10
  // n = 4, so the IQM drops one value per side and averages the middle two:
  //   step 0: [0,0,1,10] → (0+1)/2 = 0.5;  step 10: [1,1,3,10] → (1+3)/2 = 2;  step 20: [2,4,5,10] → (4+5)/2 = 4.5
  const curves = [
    { steps: [0, 10, 20], values: [0, 1, 2] },
    { steps: [0, 5, 20], values: [0, 3, 4] },
    { steps: [0, 20], values: [1, 5] },
    { steps: [0, 20], values: [10, 10] },
  ];

  it('takes the IQM across seeds of the held values at each grid step', () => {
    const agg = aggregateCurves(curves, [0, 10, 20], { seed: 1, reps: 500 });
    expect(agg.steps).toEqual([0, 10, 20]);
    expect(agg.point).toEqual([0.5, 2, 4.5]);
    const heldBySeed = [
      [0, 0, 1, 10],
      [1, 1, 3, 10],
      [2, 4, 5, 10],
    ];
    for (let i = 0; i < 3; i++) {
      expect(agg.low[i]).toBeLessThanOrEqual(agg.point[i]);
      expect(agg.high[i]).toBeGreaterThanOrEqual(agg.point[i]);
      // a resampled IQM cannot leave the range of the seeds' values at that step
      expect(agg.low[i]).toBeGreaterThanOrEqual(Math.min(...heldBySeed[i]));
      expect(agg.high[i]).toBeLessThanOrEqual(Math.max(...heldBySeed[i]));
    }
    // a repeated step: the later entry is the value in force
    const dup = aggregateCurves([{ steps: [0, 5, 5, 10], values: [1, 2, 3, 4] }], [5], { seed: 1, reps: 10 });
    expect(dup.point).toEqual([3]);
  });

  it('uses the given statistic, and its band collapses when the seeds agree', () => {
    const same = [
      { steps: [0, 10], values: [1, 2] },
      { steps: [0, 5, 10], values: [1, 7, 2] },
    ];
    // At steps 0 and 10 the seeds agree (1 and 2), so every resample gives the same mean there.
    // At step 5 seed 0 holds 1 and seed 1 has 7: mean 4, and resamples give 1, 4 or 7.
    const agg = aggregateCurves(same, [0, 5, 10], { seed: 3, reps: 300, statistic: mean });
    expect(agg.point).toEqual([1, 4, 2]);
    expect([agg.low[0], agg.high[0]]).toEqual([1, 1]);
    expect([agg.low[2], agg.high[2]]).toEqual([2, 2]);
    expect(agg.high[1] - agg.low[1]).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    const rng = new Rng(8);
    const noisy = Array.from({ length: 6 }, () => ({
      steps: [0, 10, 20, 30],
      values: [0, 1, 2, 3].map((t) => t + rng.normal()),
    }));
    const a = aggregateCurves(noisy, [0, 15, 30], { seed: 5, reps: 400 });
    expect(aggregateCurves(noisy, [0, 15, 30], { seed: 5, reps: 400 })).toEqual(a);
    expect(aggregateCurves(noisy, [0, 15, 30], { seed: 6, reps: 400 })).not.toEqual(a);
  });

  it('refuses grid steps outside a curve instead of extrapolating; commonGrid picks a safe grid', () => {
    const ragged = [
      { steps: [0, 10, 20], values: [0, 1, 2] },
      { steps: [5, 15], values: [0, 1] },
    ];
    expect(() => aggregateCurves(ragged, [0, 10], { reps: 10 })).toThrow(/grid step 0 is outside curves\[1\]'s steps \[5, 15\]/);
    expect(() => aggregateCurves(ragged, [10, 20], { reps: 10 })).toThrow(/grid step 20/);
    // shared range is [max(0, 5), min(20, 15)] = [5, 15]
    expect(commonGrid(ragged, 3)).toEqual([5, 10, 15]);
    expect(() => commonGrid([{ steps: [0, 1], values: [0, 0] }, { steps: [2, 3], values: [0, 0] }], 3)).toThrow(/share no step range/);
  });

  it('rejects empty and malformed curves', () => {
    expect(() => aggregateCurves([], [0])).toThrow(/curves is empty/);
    expect(() => aggregateCurves([{ steps: [0, 1], values: [1] }], [0])).toThrow(/curves\[0\]\.steps has 2 entries/);
    expect(() => aggregateCurves([{ steps: [1, 0], values: [1, 2] }], [0])).toThrow(/sorted/);
    expect(() => aggregateCurves([{ steps: [0, 1], values: [1, 2] }], [])).toThrow(/grid is empty/);
  });
});

describe('time to an event with censoring', () => {
  const reached = (...ts: number[]) => ts.map((time) => ({ time, reached: true }));
  it('Kaplan–Meier: each event time multiplies S by (1 − d/n), a run censored there still at risk', () => {
    // 10 and 20 reached, 15 censored, 30 reached: S(10) = 3/4, S(20) = 3/4 · 1/2, S(30) = 0.
    const km = kaplanMeier([...reached(10, 20, 30), { time: 15, reached: false }]);
    expect(km.times).toEqual([10, 20, 30]);
    expect(km.survival).toEqual([0.75, 0.375, 0]);
    expect(() => kaplanMeier([])).toThrow(/runs is empty/);
    expect(() => kaplanMeier([{ time: NaN, reached: true }])).toThrow(/runs\[0\] must be/);
  });

  it('the Kaplan–Meier median is the sample median without censoring, and +∞ when under half reached', () => {
    expect(kaplanMeierMedian(reached(4, 1, 3, 2))).toBe(2.5);
    expect(kaplanMeierMedian(reached(5, 1, 3))).toBe(3);
    // Censored at the end: the same as counting never-reached runs as infinitely late.
    expect(kaplanMeierMedian([...reached(1, 2, 3), { time: 9, reached: false }])).toBe(2.5);
    expect(kaplanMeierMedian([...reached(1, 2), { time: 9, reached: false }, { time: 9, reached: false }])).toBe(Infinity);
    // An early failure is censored where it ended, not counted as late.
    expect(kaplanMeierMedian([{ time: 1, reached: false }, ...reached(3, 4, 5)])).toBe(4);
  });

  it('its bootstrap interval may be open above (+∞) and is seeded', () => {
    const runs = [...reached(100, 200), { time: 1000, reached: false }, { time: 1000, reached: false }, ...reached(300)];
    const ci = kaplanMeierMedianCI(runs, { reps: 500, seed: 3 });
    expect(ci.point).toBe(300);
    expect(ci.low).toBeGreaterThanOrEqual(100);
    expect(ci.high).toBe(Infinity);
    expect(kaplanMeierMedianCI(runs, { reps: 500, seed: 3 })).toEqual(ci);
  });
});

describe('proportions, overlap and evidence', () => {
  it('normalQuantile matches the standard normal table', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(() => normalQuantile(1)).toThrow(/strictly between 0 and 1/);
  });

  it('Wilson interval: 3/3 is not [1, 1]', () => {
    const w = wilsonInterval(3, 3);
    expect(w.point).toBe(1);
    expect(w.low).toBeCloseTo(0.4385, 4);
    expect(w.high).toBe(1);
    expect(wilsonInterval(0, 5).low).toBe(0);
    expect(() => wilsonInterval(4, 3)).toThrow(/0 <= successes <= n/);
  });

  it('overlapping intervals and P(X > Y) intervals containing ½ are "no evidence"', () => {
    expect(intervalsOverlap({ point: 1, low: 0, high: 2 }, { point: 3, low: 2, high: 4 })).toBe(true);
    expect(intervalsOverlap({ point: 1, low: 0, high: 2 }, { point: 3, low: 2.5, high: 4 })).toBe(false);
    expect(improvementEvidence({ point: 0.7, low: 0.5, high: 0.9 })).toBe('none');
    expect(improvementEvidence({ point: 0.9, low: 0.6, high: 1 })).toBe('x');
    expect(improvementEvidence({ point: 0.1, low: 0, high: 0.3 })).toBe('y');
  });
});
