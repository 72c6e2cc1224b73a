/**
 * Statistics for comparing RL agents across seeds, following the recommendations of Agarwal et al. 2021,
 * "Deep Reinforcement Learning at the Edge of the Statistical Precipice" (the rliable library): report the
 * interquartile mean (IQM) with stratified-bootstrap confidence intervals, probabilities of improvement and
 * performance profiles rather than a bare mean over a handful of seeds.
 *
 * Everything here is a pure function of its arguments. Every random draw comes from an {@link Rng}: pass
 * one in (`rng`), or a `seed` from which a fresh stream is made; with neither, seed 0 is used, so a report
 * computed twice is identical to the bit. Bad input (empty arrays, NaN or infinite values, mismatched
 * lengths, unsorted steps) throws a {@link TsgymError} that says what was wrong.
 *
 * Conventions (chosen to match numpy/scipy, which rliable builds on):
 * - `std` is the sample standard deviation (ddof = 1, dividing by n − 1) unless told otherwise.
 * - `quantile` interpolates linearly between order statistics (numpy's default, "type 7").
 * - `iqm` is scipy's `trim_mean(x, 0.25)`: drop floor(0.25·n) values from each end of the sorted data and
 *   average the rest.
 * - Bootstrap intervals use the percentile method, reading the quantiles of the bootstrap distribution with
 *   the same linear interpolation.
 */
import { TsgymError } from '../core/errors.js';
import { Rng, deriveSeed } from '../core/rng.js';
import { mean as meanUnchecked, median as medianUnchecked } from '../core/math.js';
import type { AggregatedCurve, Curve, Interval, TimeToEvent } from '../formats/comparison.js';

// ───────────────────────────── validation ─────────────────────────────

/** Throws unless `values` is a non-empty array of finite numbers. `what` names the argument in the message. */
function checkValues(fn: string, what: string, values: readonly number[]): void {
  if (!Array.isArray(values)) {
    throw new TsgymError(`${fn}: ${what} must be an array of numbers, got ${typeof values}`);
  }
  if (values.length === 0) {
    throw new TsgymError(`${fn}: ${what} is empty; pass at least one value (e.g. one score per seed)`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TsgymError(
        `${fn}: ${what}[${i}] is ${String(v)}; every value must be a finite number (drop or fix missing/diverged runs first)`,
      );
    }
  }
}

function checkSameLength(fn: string, aName: string, a: readonly unknown[], bName: string, b: readonly unknown[]): void {
  if (a.length !== b.length) {
    throw new TsgymError(`${fn}: ${aName} has ${a.length} entries but ${bName} has ${b.length}; they must pair up one to one`);
  }
}

/** Throws unless `steps` never decreases (equal neighbours are allowed). */
function checkNonDecreasing(fn: string, what: string, steps: readonly number[]): void {
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] < steps[i - 1]) {
      throw new TsgymError(
        `${fn}: ${what} must be sorted in increasing order, but ${what}[${i}] = ${steps[i]} comes after ${what}[${i - 1}] = ${steps[i - 1]}; sort the (step, value) pairs by step first`,
      );
    }
  }
}

/** A sorted copy; typed-array sort is numeric (unlike Array.prototype.sort's default string order). */
function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

// ───────────────────────────── point statistics ─────────────────────────────

/** Arithmetic mean. */
export function mean(values: readonly number[]): number {
  checkValues('mean', 'values', values);
  return meanUnchecked(values);
}

/**
 * Standard deviation with `ddof` delta degrees of freedom: sqrt(Σ(x − mean)² / (n − ddof)).
 * The default ddof = 1 is the sample standard deviation (numpy's `np.std(x, ddof=1)`), the right choice
 * for a handful of seeds drawn from a larger population of possible runs; ddof = 0 gives the population form.
 * Throws when n ≤ ddof (a single run has no spread to estimate).
 */
export function std(values: readonly number[], ddof = 1): number {
  checkValues('std', 'values', values);
  if (!Number.isInteger(ddof) || ddof < 0) {
    throw new TsgymError(`std: ddof must be a non-negative integer (1 = sample std, 0 = population std), got ${ddof}`);
  }
  if (values.length <= ddof) {
    throw new TsgymError(
      `std: need more than ${ddof} value${ddof === 1 ? '' : 's'} for ddof = ${ddof}, got ${values.length}; with one run there is no spread to estimate — run more seeds or pass ddof = 0`,
    );
  }
  const m = meanUnchecked(values);
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (values.length - ddof));
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics, as numpy's default
 * `np.quantile(x, q)`: with the data sorted as x₀ ≤ … ≤ xₙ₋₁, h = (n − 1)·q and the result is
 * x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋).
 */
export function quantile(values: readonly number[], q: number): number {
  checkValues('quantile', 'values', values);
  checkProbability('quantile', 'q', q);
  return quantileOfSorted(sortedCopy(values), q);
}

function checkProbability(fn: string, what: string, q: number): void {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
    throw new TsgymError(`${fn}: ${what} must be a number between 0 and 1 (e.g. 0.25 for the lower quartile), got ${String(q)}`);
  }
}

function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = h - lo;
  // Equal neighbours (or no fraction) give exactly that value, also when it is +∞ (a censored time).
  if (frac === 0 || sorted[hi] === sorted[lo]) return sorted[lo];
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

/** The median: the 0.5-quantile (mean of the two middle values when n is even). */
export function median(values: readonly number[]): number {
  checkValues('median', 'values', values);
  return medianUnchecked(values);
}

/**
 * Interquartile mean (Agarwal et al. 2021): the mean of the middle half of the values, robust to outlier
 * seeds yet less noisy than the median.
 *
 * Boundary rule, as scipy's `trim_mean(x, 0.25)` that rliable uses: k = floor(0.25·n) values are dropped
 * from each end of the sorted data and the remaining n − 2k are averaged; no fractional weighting of the
 * boundary values. So n = 8 keeps the middle 4, n = 10 drops 2 per side and keeps 6, and for n < 4 nothing
 * is dropped (the IQM equals the mean).
 */
export function iqm(values: readonly number[]): number {
  checkValues('iqm', 'values', values);
  return iqmOfSorted(sortedCopy(values));
}

function iqmOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const cut = Math.floor(0.25 * n);
  let sum = 0;
  for (let i = cut; i < n - cut; i++) sum += sorted[i];
  return sum / (n - 2 * cut);
}

// ───────────────────────────── bootstrap ─────────────────────────────

/**
 * A statistic that a bootstrap recomputes on every resample. It receives all scores flattened (task by
 * task, in order) and the same scores grouped by task; most statistics (`mean`, `median`, `iqm`) only need
 * the first argument, while e.g. a mean of per-task medians can use the second.
 */
export type Statistic = (values: number[], byTask: number[][]) => number;

/** Where a bootstrap's random draws come from. `rng` wins over `seed`; with neither, seed 0 is used. */
export interface RandomSource {
  /** Seed for a fresh stream (the stream is derived from it, so the same seed always gives the same result). */
  seed?: number | string;
  /** An existing stream to draw from; it is advanced. */
  rng?: Rng;
}

export interface BootstrapOptions extends RandomSource {
  /** Number of bootstrap resamples (default 2000). */
  reps?: number;
  /** Coverage of the interval, strictly between 0 and 1 (default 0.95). */
  confidence?: number;
}

function rngFrom(source: RandomSource | undefined): Rng {
  if (source?.rng) return source.rng;
  return new Rng(deriveSeed(source?.seed ?? 0, 'stats-bootstrap'));
}

function bootstrapSettings(fn: string, options: BootstrapOptions | undefined): { reps: number; confidence: number } {
  const reps = options?.reps ?? 2000;
  const confidence = options?.confidence ?? 0.95;
  if (!Number.isInteger(reps) || reps < 1) {
    throw new TsgymError(`${fn}: reps must be a positive integer number of bootstrap resamples (default 2000), got ${String(reps)}`);
  }
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) {
    throw new TsgymError(`${fn}: confidence must be strictly between 0 and 1 (e.g. 0.95 for a 95% interval), got ${String(confidence)}`);
  }
  return { reps, confidence };
}

/** Percentile-method interval from the bootstrap replicates: the (1 ± confidence)/2 quantiles. */
function percentileInterval(point: number, replicates: Float64Array, confidence: number): Interval {
  replicates.sort();
  const tail = (1 - confidence) / 2;
  return { point, low: quantileOfSorted(replicates, tail), high: quantileOfSorted(replicates, 1 - tail) };
}

function checkStatisticResult(fn: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TsgymError(`${fn}: the statistic returned ${String(value)}; it must return a number for every resample`);
  }
  return value;
}

/** Normalises `number[] | number[][]` into per-task arrays, validating each. */
function toTasks(fn: string, scores: readonly number[] | readonly (readonly number[])[]): number[][] {
  if (!Array.isArray(scores) || scores.length === 0) {
    throw new TsgymError(`${fn}: scores is empty; pass one score per run (number[]) or one array of run scores per task (number[][])`);
  }
  if (!Array.isArray(scores[0])) {
    checkValues(fn, 'scores', scores as readonly number[]);
    return [Array.from(scores as readonly number[])];
  }
  return (scores as readonly (readonly number[])[]).map((task, t) => {
    if (!Array.isArray(task)) {
      throw new TsgymError(`${fn}: scores mixes numbers and arrays (scores[${t}] is ${String(task)}); pass number[] or number[][]`);
    }
    checkValues(fn, `scores[${t}]`, task);
    return Array.from(task);
  });
}

/**
 * Stratified bootstrap confidence interval for `statistic` (percentile method).
 *
 * `scoresByTask` is either one array of run scores (one task, e.g. one env: the bootstrap then resamples
 * seeds) or one array per task. Each resample draws, within every task independently, as many runs as that
 * task has, with replacement, so every resample keeps the task composition of the data ("stratified").
 * `point` is the statistic of the data itself; `low`/`high` are the (1 − confidence)/2 and
 * (1 + confidence)/2 quantiles of the `reps` resampled statistics. With constant data the interval
 * collapses to the point.
 */
export function bootstrapCI(
  scoresByTask: readonly number[] | readonly (readonly number[])[],
  statistic: Statistic,
  options?: BootstrapOptions,
): Interval {
  const fn = 'bootstrapCI';
  const tasks = toTasks(fn, scoresByTask);
  const { reps, confidence } = bootstrapSettings(fn, options);
  if (typeof statistic !== 'function') {
    throw new TsgymError(`${fn}: statistic must be a function of the scores, e.g. iqm or mean`);
  }
  const rng = rngFrom(options);

  const point = checkStatisticResult(fn, statistic(tasks.flat(), tasks.map((t) => t.slice())));
  const replicates = new Float64Array(reps);
  const total = tasks.reduce((n, t) => n + t.length, 0);
  for (let r = 0; r < reps; r++) {
    const flat = new Array<number>(total);
    const byTask: number[][] = [];
    let offset = 0;
    for (const task of tasks) {
      const sample = new Array<number>(task.length);
      for (let i = 0; i < task.length; i++) {
        sample[i] = task[rng.int(task.length)];
        flat[offset + i] = sample[i];
      }
      offset += task.length;
      byTask.push(sample);
    }
    replicates[r] = checkStatisticResult(fn, statistic(flat, byTask));
  }
  return percentileInterval(point, replicates, confidence);
}

// ───────────────────────────── probability of improvement ─────────────────────────────

/**
 * P(X > Y): the probability that a random run of algorithm X scores higher than a random run of algorithm
 * Y, as in rliable (the Mann–Whitney U statistic divided by n·m). Every pair (xᵢ, yⱼ) counts 1 when
 * xᵢ > yⱼ, ½ when they tie and 0 otherwise; the result is the average over all n·m pairs. 0.5 means neither
 * is better; P(X > Y) + P(Y > X) = 1.
 */
export function probabilityOfImprovement(x: readonly number[], y: readonly number[]): number {
  checkValues('probabilityOfImprovement', 'x', x);
  checkValues('probabilityOfImprovement', 'y', y);
  return improvementOfSorted(sortedCopy(x), sortedCopy(y));
}

/** The pair count on sorted inputs, by a merge walk: O(n + m) instead of O(n·m). */
function improvementOfSorted(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  let below = 0; // ys[0..below) < current x
  let notAbove = 0; // ys[0..notAbove) <= current x
  let wins = 0;
  for (let i = 0; i < xs.length; i++) {
    const xi = xs[i];
    while (below < ys.length && ys[below] < xi) below++;
    if (notAbove < below) notAbove = below;
    while (notAbove < ys.length && ys[notAbove] <= xi) notAbove++;
    wins += below + 0.5 * (notAbove - below);
  }
  return wins / (xs.length * ys.length);
}

/**
 * {@link probabilityOfImprovement} with a percentile bootstrap interval: each resample draws n runs of x
 * and m runs of y with replacement, independently of each other.
 */
export function probabilityOfImprovementCI(x: readonly number[], y: readonly number[], options?: BootstrapOptions): Interval {
  const fn = 'probabilityOfImprovementCI';
  checkValues(fn, 'x', x);
  checkValues(fn, 'y', y);
  const { reps, confidence } = bootstrapSettings(fn, options);
  const rng = rngFrom(options);
  const point = improvementOfSorted(sortedCopy(x), sortedCopy(y));
  const xs = new Float64Array(x.length);
  const ys = new Float64Array(y.length);
  const replicates = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < xs.length; i++) xs[i] = x[rng.int(x.length)];
    for (let j = 0; j < ys.length; j++) ys[j] = y[rng.int(y.length)];
    replicates[r] = improvementOfSorted(xs.sort(), ys.sort());
  }
  return percentileInterval(point, replicates, confidence);
}

/**
 * The bootstrap probability that `statistic` of X exceeds that of Y: each resample draws n runs of x and m
 * runs of y with replacement, independently, and counts 1 when statistic(x*) > statistic(y*), ½ on a tie.
 * This compares the aggregates ("X's IQM beats Y's"), where {@link probabilityOfImprovement} compares single
 * runs ("a run of X beats a run of Y"): with 10 runs each, a config that fails on one seed in ten can
 * have an IQM that is almost surely higher while its runs win only 85% of pairs.
 */
export function probabilityStatisticGreater(x: readonly number[], y: readonly number[], statistic: (values: number[]) => number, options?: Omit<BootstrapOptions, 'confidence'>): number {
  const fn = 'probabilityStatisticGreater';
  checkValues(fn, 'x', x);
  checkValues(fn, 'y', y);
  const { reps } = bootstrapSettings(fn, options);
  const rng = rngFrom(options);
  const xs = new Array<number>(x.length);
  const ys = new Array<number>(y.length);
  let wins = 0;
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < xs.length; i++) xs[i] = x[rng.int(x.length)];
    for (let j = 0; j < ys.length; j++) ys[j] = y[rng.int(y.length)];
    const sx = checkStatisticResult(fn, statistic(xs));
    const sy = checkStatisticResult(fn, statistic(ys));
    wins += sx > sy ? 1 : sx === sy ? 0.5 : 0;
  }
  return wins / reps;
}

// ───────────────────────────── performance profiles ─────────────────────────────

/**
 * Performance profile (score distribution): for each threshold τ, the fraction of runs whose score is
 * strictly greater than τ (as rliable). Plotted against τ it is a decreasing step curve from 1 to 0.
 */
export function performanceProfile(scores: readonly number[], thresholds: readonly number[]): number[] {
  checkValues('performanceProfile', 'scores', scores);
  checkValues('performanceProfile', 'thresholds', thresholds);
  const sorted = sortedCopy(scores);
  return thresholds.map((tau) => {
    // Binary search for the first score > τ.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] > tau) hi = mid;
      else lo = mid + 1;
    }
    return (sorted.length - lo) / sorted.length;
  });
}

/**
 * `count` evenly spaced values from `low` to `high`, both included (numpy's `linspace`), e.g. the
 * thresholds of a performance profile. The last value is exactly `high`.
 */
export function thresholdGrid(low: number, high: number, count: number): number[] {
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    throw new TsgymError(`thresholdGrid: need finite low <= high, got low = ${low}, high = ${high}`);
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new TsgymError(`thresholdGrid: count must be a positive integer number of grid points, got ${count}`);
  }
  if (count === 1) return [low];
  const step = (high - low) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? high : low + i * step));
}

// ───────────────────────────── learning curves ─────────────────────────────

function checkCurve(fn: string, steps: readonly number[], values: readonly number[], name = ''): void {
  checkValues(fn, `${name}steps`, steps);
  checkValues(fn, `${name}values`, values);
  checkSameLength(fn, `${name}steps`, steps, `${name}values`, values);
  checkNonDecreasing(fn, `${name}steps`, steps);
}

/**
 * Area under a learning curve by the trapezoidal rule: Σ (sᵢ₊₁ − sᵢ)·(vᵢ + vᵢ₊₁)/2.
 *
 * `steps` must be sorted (it throws otherwise, rather than silently integrating backwards). A repeated step
 * is a vertical jump: its zero-width segment adds nothing, and the curve continues from the later value.
 * A single point has area 0.
 */
export function areaUnderCurve(steps: readonly number[], values: readonly number[]): number {
  checkCurve('areaUnderCurve', steps, values);
  let area = 0;
  for (let i = 1; i < steps.length; i++) area += ((steps[i] - steps[i - 1]) * (values[i] + values[i - 1])) / 2;
  return area;
}

/**
 * {@link areaUnderCurve} divided by the step span (last step − first step): the curve's average value over
 * training, in the same units as `values`, so runs of different lengths can be compared. Throws when the
 * span is zero (fewer than two distinct steps).
 */
export function normalizedAreaUnderCurve(steps: readonly number[], values: readonly number[]): number {
  checkCurve('normalizedAreaUnderCurve', steps, values);
  const span = steps[steps.length - 1] - steps[0];
  if (span === 0) {
    throw new TsgymError(`normalizedAreaUnderCurve: the steps span zero (all equal to ${steps[0]}); need at least two distinct steps`);
  }
  return areaUnderCurve(steps, values) / span;
}

/**
 * The first step whose value reaches `threshold` (value ≥ threshold), e.g. "steps to solve"; `null` when
 * the curve never reaches it. `steps` must be sorted, so "first" is both the earliest entry and the
 * smallest step.
 */
export function firstCrossing(steps: readonly number[], values: readonly number[], threshold: number): number | null {
  checkCurve('firstCrossing', steps, values);
  if (!Number.isFinite(threshold)) throw new TsgymError(`firstCrossing: threshold must be a finite number, got ${threshold}`);
  for (let i = 0; i < values.length; i++) if (values[i] >= threshold) return steps[i];
  return null;
}

export interface AggregateCurvesOptions extends BootstrapOptions {
  /** Statistic across seeds at each grid step (default {@link iqm}). */
  statistic?: (values: number[]) => number;
}

/** The value in force at `step` under "last value so far": the value of the last entry with steps[i] ≤ step. */
function heldValue(curve: Curve, step: number): number {
  const { steps, values } = curve;
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (steps[mid] <= step) lo = mid + 1;
    else hi = mid;
  }
  return values[lo - 1];
}

/**
 * Aggregates learning curves from several seeds onto a common grid: at every grid step, the IQM (or
 * `statistic`) across seeds and a percentile bootstrap band over seeds.
 *
 * Alignment is step-wise "last value so far" (zero-order hold): a curve's value at grid step g is the value
 * of its last entry at a step ≤ g (the last one, if a step repeats). It never looks ahead to a later
 * measurement or invents values between evaluations. Every grid step must lie within every curve's
 * [first step, last step]; the function throws otherwise instead of extrapolating a run that started late
 * or stopped early. {@link commonGrid} makes a grid that satisfies this.
 *
 * The band resamples seeds with replacement; one resample of seeds is used for all grid steps at once, and
 * each grid step's band is the percentile interval of that step's resampled statistics (a pointwise band).
 */
export function aggregateCurves(curves: readonly Curve[], grid: readonly number[], options?: AggregateCurvesOptions): AggregatedCurve {
  const fn = 'aggregateCurves';
  if (!Array.isArray(curves) || curves.length === 0) {
    throw new TsgymError(`${fn}: curves is empty; pass one {steps, values} curve per seed`);
  }
  curves.forEach((c, k) => checkCurve(fn, c.steps, c.values, `curves[${k}].`));
  checkValues(fn, 'grid', grid);
  const { reps, confidence } = bootstrapSettings(fn, options);
  const statistic = options?.statistic ?? iqm;
  const rng = rngFrom(options);

  curves.forEach((c, k) => {
    const first = c.steps[0];
    const last = c.steps[c.steps.length - 1];
    const outside = grid.find((g) => g < first || g > last);
    if (outside !== undefined) {
      throw new TsgymError(
        `${fn}: grid step ${outside} is outside curves[${k}]'s steps [${first}, ${last}]; use a grid inside every curve's range (see commonGrid)`,
      );
    }
  });

  // table[g][k]: seed k's value at grid step g.
  const table = grid.map((g) => curves.map((c) => heldValue(c, g)));
  const point = table.map((row) => checkStatisticResult(fn, statistic(row.slice())));

  const seeds = curves.length;
  const replicates = grid.map(() => new Float64Array(reps));
  const picks = new Int32Array(seeds);
  const sample = new Array<number>(seeds);
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < seeds; k++) picks[k] = rng.int(seeds);
    for (let g = 0; g < grid.length; g++) {
      const row = table[g];
      for (let k = 0; k < seeds; k++) sample[k] = row[picks[k]];
      replicates[g][r] = checkStatisticResult(fn, statistic(sample));
    }
  }
  const bands = replicates.map((samples, g) => percentileInterval(point[g], samples, confidence));
  return {
    steps: Array.from(grid),
    point,
    low: bands.map((b) => b.low),
    high: bands.map((b) => b.high),
  };
}

/**
 * `count` evenly spaced grid steps over the range every curve covers (latest first step to earliest last
 * step), for {@link aggregateCurves}. Throws when the curves share no range.
 */
export function commonGrid(curves: readonly Curve[], count: number): number[] {
  if (!Array.isArray(curves) || curves.length === 0) {
    throw new TsgymError('commonGrid: curves is empty; pass one {steps, values} curve per seed');
  }
  curves.forEach((c, k) => checkCurve('commonGrid', c.steps, c.values, `curves[${k}].`));
  const start = Math.max(...curves.map((c) => c.steps[0]));
  const end = Math.min(...curves.map((c) => c.steps[c.steps.length - 1]));
  if (start > end) {
    throw new TsgymError(`commonGrid: the curves share no step range (latest start ${start} > earliest end ${end})`);
  }
  return thresholdGrid(start, end, count);
}

// ───────────────────────────── time to an event, with censoring ─────────────────────────────

function checkTimes(fn: string, runs: readonly TimeToEvent[]): void {
  if (!Array.isArray(runs) || runs.length === 0) throw new TsgymError(`${fn}: runs is empty; pass one {time, reached} per run`);
  runs.forEach((r, i) => {
    if (typeof r?.time !== 'number' || !Number.isFinite(r.time) || typeof r.reached !== 'boolean') {
      throw new TsgymError(`${fn}: runs[${i}] must be {time: finite number, reached: boolean}, got ${JSON.stringify(r)}`);
    }
  });
}

/**
 * Kaplan–Meier estimate of the fraction of runs that have not reached the event by each event time:
 * S(t) = Π over event times tᵢ ≤ t of (1 − dᵢ/nᵢ), with dᵢ runs reaching it at tᵢ and nᵢ runs still
 * watched at tᵢ (time ≥ tᵢ; a run censored at tᵢ counts as still watched there). `1 − survival` is the
 * fraction solved by each step.
 */
export function kaplanMeier(runs: readonly TimeToEvent[]): { times: number[]; survival: number[] } {
  checkTimes('kaplanMeier', runs);
  return kaplanMeierUnchecked(runs);
}

function kaplanMeierUnchecked(runs: readonly TimeToEvent[]): { times: number[]; survival: number[] } {
  const sorted = runs.slice().sort((a, b) => a.time - b.time);
  const times: number[] = [];
  const survival: number[] = [];
  let s = 1;
  for (let i = 0; i < sorted.length; ) {
    const t = sorted[i].time;
    let events = 0;
    let j = i;
    for (; j < sorted.length && sorted[j].time === t; j++) if (sorted[j].reached) events++;
    if (events) {
      s *= 1 - events / (sorted.length - i);
      times.push(t);
      survival.push(s);
    }
    i = j;
  }
  return { times, survival };
}

/**
 * The median time to the event from the Kaplan–Meier curve: the first event time where S drops below ½;
 * where S equals ½ exactly, the midpoint between that time and the next event time (so with no censoring
 * this is the ordinary sample median). +∞ when fewer than half of the runs are known to have reached it.
 */
export function kaplanMeierMedian(runs: readonly TimeToEvent[]): number {
  checkTimes('kaplanMeierMedian', runs);
  return medianOfCurve(kaplanMeierUnchecked(runs));
}

function medianOfCurve({ times, survival }: { times: number[]; survival: number[] }): number {
  for (let k = 0; k < times.length; k++) {
    if (Math.abs(survival[k] - 0.5) < 1e-9) return k + 1 < times.length ? (times[k] + times[k + 1]) / 2 : Infinity;
    if (survival[k] < 0.5) return times[k];
  }
  return Infinity;
}

/**
 * {@link kaplanMeierMedian} with a percentile bootstrap interval (runs resampled with replacement). Either
 * end may be +∞: a resample where fewer than half reached the event has an infinite median, so `high` is
 * +∞ when that happens in more than (1 − confidence)/2 of the resamples ("could be beyond every budget").
 */
export function kaplanMeierMedianCI(runs: readonly TimeToEvent[], options?: BootstrapOptions): Interval {
  const fn = 'kaplanMeierMedianCI';
  checkTimes(fn, runs);
  const { reps, confidence } = bootstrapSettings(fn, options);
  const rng = rngFrom(options);
  const point = medianOfCurve(kaplanMeierUnchecked(runs));
  const replicates = new Float64Array(reps);
  const sample = new Array<TimeToEvent>(runs.length);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < runs.length; i++) sample[i] = runs[rng.int(runs.length)];
    replicates[r] = medianOfCurve(kaplanMeierUnchecked(sample));
  }
  return percentileInterval(point, replicates, confidence);
}

/**
 * The standard normal quantile Φ⁻¹(p), by Acklam's rational approximation (relative error below 1.2e-9),
 * e.g. 1.959964 for p = 0.975.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new TsgymError(`normalQuantile: p must be strictly between 0 and 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * A proportion (e.g. the fraction of runs that solved the env) with its Wilson score interval. Unlike a
 * bootstrap, it does not collapse to [1, 1] when every one of three runs succeeded: 3/3 gives about
 * [0.44, 1] at 95%.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new TsgymError(`wilsonInterval: need whole numbers 0 <= successes <= n and n >= 1, got ${successes} of ${n}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new TsgymError(`wilsonInterval: confidence must be strictly between 0 and 1, got ${confidence}`);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { point: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Whether two intervals share any value (touching ends count): the data cannot tell them apart. */
export function intervalsOverlap(a: Interval, b: Interval): boolean {
  return a.low <= b.high && b.low <= a.high;
}

/**
 * What a probability of improvement P(X > Y) with its interval supports: 'x' or 'y' when the whole
 * interval lies on one side of ½, else 'none' (no evidence either way, however far the point is from ½).
 */
export function improvementEvidence(p: Interval): 'x' | 'y' | 'none' {
  if (p.low > 0.5) return 'x';
  if (p.high < 0.5) return 'y';
  return 'none';
}
