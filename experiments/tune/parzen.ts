/**
 * The Parzen estimators of TPE (Bergstra et al. 2011), with Optuna's choices for the details: a mixture with
 * one kernel per observed trial plus one prior kernel, each kernel a product over the parameters of a
 * truncated normal (numeric parameters) or a smoothed one-hot distribution (categorical ones).
 *
 * Numeric parameters live in a transformed line: log(x) for log-scaled ones, and for int ones the range
 * widened by ½ on each side, so the end integers get whole cells. On that line:
 * - a kernel sits on each observation, with sigma the larger of the distances to its two neighbours among
 *   the sorted observations and the range's ends (the outermost observations look only inwards once there
 *   are two or more), clipped to [(high − low) / min(100, n + 2), high − low] for n observations ("magic
 *   clip": no kernel narrower than a share of the range);
 * - the prior kernel sits at the middle of the range with sigma = high − low;
 * - an int value has the mass of its cell [x − ½, x + ½] (in log space when log-scaled).
 * Categorical parameters: kernel i puts weight 1 on trial i's choice plus (prior weight)/(n + 1) on every
 * choice, normalised; the prior kernel is uniform.
 *
 * Mixture weights: 1 per observation (the oldest n − 25 ramp down linearly towards 1/n once there are more
 * than 25) and the prior weight (1) for the prior kernel, normalised.
 */
import type { Rng } from '../../core/rng.js';
import { logGaussMass, logNormalPdf, sampleTruncNormal } from './truncnorm.js';
import type { CategoricalParam, FloatParam, IntParam, ParamDistribution } from './space.js';

/** The prior kernel's weight, before normalisation (an observation weighs 1). */
const PRIOR_WEIGHT = 1;
/** Observations beyond this many (the newest) get full weight; older ones ramp down. */
const FLAT_WEIGHT_WINDOW = 25;

/**
 * Weights of n observations ordered oldest first: all 1 up to 25 observations; beyond, the newest 25 weigh
 * 1 and the older n − 25 ramp linearly from 1/n up to 1 (Bergstra et al. 2013, as Optuna).
 */
export function observationWeights(n: number): number[] {
  if (n < FLAT_WEIGHT_WINDOW) return Array<number>(n).fill(1);
  const ramp = n - FLAT_WEIGHT_WINDOW;
  // numpy's linspace(1/n, 1, ramp): ramp points, both ends included (a single point is the start).
  const out = Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1)));
  return out.concat(Array<number>(FLAT_WEIGHT_WINDOW).fill(1));
}

/** A parameter value in the estimator's terms: the number itself, or the index of a categorical choice. */
export type InternalValue = number;

interface NumericDim {
  kind: 'numeric';
  d: FloatParam | IntParam;
  /** Bounds on the transformed line. */
  low: number;
  high: number;
  mus: Float64Array;
  sigmas: Float64Array;
  /** log P(low < X < high) of each kernel's untruncated normal. */
  logNorm: Float64Array;
}

interface CategoricalDim {
  kind: 'categorical';
  /** probs[k][c]: kernel k's probability of choice c. */
  probs: Float64Array[];
}

type Dim = NumericDim | CategoricalDim;

function transformedBounds(d: FloatParam | IntParam): [number, number] {
  const [low, high] = d.type === 'int' ? [d.low - 0.5, d.high + 0.5] : [d.low, d.high];
  return d.log ? [Math.log(low), Math.log(high)] : [low, high];
}

function numericDim(d: FloatParam | IntParam, observed: readonly number[]): NumericDim {
  const [low, high] = transformedBounds(d);
  const n = observed.length;
  const mus = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) mus[i] = d.log ? Math.log(observed[i]) : observed[i];
  const sigmas = new Float64Array(n + 1);
  if (n > 0) {
    // Sorted positions with the range's ends around them; ties keep trial order (a stable sort).
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => mus[i] - mus[j] || i - j);
    const line = [low, ...order.map((i) => mus[i]), high];
    const span = high - low;
    const minSigma = span / Math.min(100, n + 2);
    for (let r = 0; r < n; r++) {
      const left = line[r + 1] - line[r];
      const right = line[r + 2] - line[r + 1];
      // With two or more observations the outermost ones ignore the range's end beside them.
      const sigma = n >= 2 && r === 0 ? right : n >= 2 && r === n - 1 ? left : Math.max(left, right);
      sigmas[order[r]] = Math.min(Math.max(sigma, minSigma), span);
    }
  }
  mus[n] = 0.5 * (low + high);
  sigmas[n] = high - low;
  const logNorm = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) logNorm[k] = logGaussMass((low - mus[k]) / sigmas[k], (high - mus[k]) / sigmas[k]);
  return { kind: 'numeric', d, low, high, mus, sigmas, logNorm };
}

function categoricalDim(d: CategoricalParam, observed: readonly number[]): CategoricalDim {
  const nChoices = d.choices.length;
  const n = observed.length;
  const probs: Float64Array[] = [];
  const smoothing = PRIOR_WEIGHT / (n + 1);
  for (let k = 0; k <= n; k++) {
    const row = new Float64Array(nChoices).fill(k < n ? smoothing : 1);
    if (k < n) row[observed[k]] += 1;
    let sum = 0;
    for (const p of row) sum += p;
    for (let c = 0; c < nChoices; c++) row[c] /= sum;
    probs.push(row);
  }
  return { kind: 'categorical', probs };
}

/** A mixture of product kernels over some parameters (one parameter: the univariate case). */
export class ParzenEstimator {
  private readonly weights: Float64Array;
  private readonly dims: Dim[];

  /**
   * @param dists the parameters' distributions, in a fixed order
   * @param observations observations[i][j]: trial i's value of parameter j (choice index for categoricals),
   *   trials oldest first
   */
  constructor(
    dists: readonly ParamDistribution[],
    observations: readonly (readonly InternalValue[])[],
  ) {
    const n = observations.length;
    const w = observationWeights(n);
    w.push(PRIOR_WEIGHT);
    const total = w.reduce((s, x) => s + x, 0);
    this.weights = Float64Array.from(w, (x) => x / total);
    this.dims = dists.map((d, j) => {
      const column = observations.map((o) => o[j]);
      return d.type === 'categorical' ? categoricalDim(d, column) : numericDim(d, column);
    });
  }

  /** `count` draws: pick a kernel by weight, then each parameter from that kernel. */
  sample(rng: Rng, count: number): InternalValue[][] {
    const out: InternalValue[][] = [];
    for (let s = 0; s < count; s++) {
      const k = pickIndex(this.weights, rng.random());
      out.push(this.dims.map((dim) => (dim.kind === 'categorical' ? pickIndex(dim.probs[k], rng.random()) : drawNumeric(dim, k, rng))));
    }
    return out;
  }

  /** log density (log mass for int and categorical parameters) of each point under the mixture. */
  logPdf(points: readonly (readonly InternalValue[])[]): number[] {
    const nKernels = this.weights.length;
    const terms = new Float64Array(nKernels);
    return points.map((x) => {
      for (let k = 0; k < nKernels; k++) {
        let lp = Math.log(this.weights[k]);
        for (let j = 0; j < this.dims.length; j++) lp += kernelLogPdf(this.dims[j], k, x[j]);
        terms[k] = lp;
      }
      return logSumExp(terms);
    });
  }
}

function drawNumeric(dim: NumericDim, k: number, rng: Rng): number {
  const t = sampleTruncNormal(dim.mus[k], dim.sigmas[k], dim.low, dim.high, rng);
  const x = dim.d.log ? Math.exp(t) : t;
  const { low, high } = dim.d;
  return Math.min(Math.max(dim.d.type === 'int' ? Math.round(x) : x, low), high);
}

function kernelLogPdf(dim: Dim, k: number, x: number): number {
  if (dim.kind === 'categorical') return Math.log(dim.probs[k][x]);
  const mu = dim.mus[k];
  const sigma = dim.sigmas[k];
  if (dim.d.type === 'int') {
    const left = dim.d.log ? Math.log(x - 0.5) : x - 0.5;
    const right = dim.d.log ? Math.log(x + 0.5) : x + 0.5;
    return logGaussMass((left - mu) / sigma, (right - mu) / sigma) - dim.logNorm[k];
  }
  const t = dim.d.log ? Math.log(x) : x;
  return logNormalPdf((t - mu) / sigma) - Math.log(sigma) - dim.logNorm[k];
}

/** The index i with cumulative probability first exceeding u (the last index guards against rounding). */
function pickIndex(probs: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < probs.length - 1; i++) {
    acc += probs[i];
    if (u < acc) return i;
  }
  return probs.length - 1;
}

function logSumExp(xs: Float64Array): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum);
}
