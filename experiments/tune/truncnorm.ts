/**
 * The truncated normal distribution the Parzen estimators are built from: log probability masses of
 * intervals (stable far into the tails, where the plain difference of two CDF values is 0) and draws.
 */
import type { Rng } from '../../core/rng.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log φ(z), the standard normal log density. */
export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/**
 * log erfc(x) for x ≥ 0, from the Chebyshev fit in Numerical Recipes (§6.2; relative error of erfc below
 * 1.2e-7 everywhere). Written in log form, so it stays finite where erfc itself underflows (x > 26).
 */
function logErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}

/** log P(Z > z) for a standard normal Z and z ≥ 0. */
function logUpperTail(z: number): number {
  return Math.log(0.5) + logErfc(z / Math.SQRT2);
}

/** log(1 − e^x) for x ≤ 0, accurate for x near 0 and for x very negative. */
function log1mExp(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

// 5-point Gauss–Legendre nodes and weights on [−1, 1].
const GL_NODES = [0, -0.5384693101056831, 0.5384693101056831, -0.906179845938664, 0.906179845938664];
const GL_WEIGHTS = [0.5688888888888889, 0.4786286704993665, 0.4786286704993665, 0.2369268850561891, 0.2369268850561891];

/**
 * log P(a < Z < b) for a standard normal Z and a < b (either may be ±Infinity). Intervals over which the
 * density changes little (an integer cell seen from a wide kernel) are integrated by Gauss–Legendre relative
 * to the density's largest value on the interval; the others use the tail function on the side away from 0.
 * Neither loses its digits to cancellation.
 */
export function logGaussMass(a: number, b: number): number {
  if (!(a < b)) return -Infinity;
  const nearest = a > 0 ? a : b < 0 ? -b : 0;
  if ((b - a) * Math.max(1, nearest) <= 1) {
    const peak = a > 0 ? a : b < 0 ? b : 0;
    const mid = 0.5 * (a + b);
    const half = 0.5 * (b - a);
    let sum = 0;
    for (let i = 0; i < GL_NODES.length; i++) {
      const z = mid + half * GL_NODES[i];
      sum += GL_WEIGHTS[i] * Math.exp(-0.5 * (z * z - peak * peak));
    }
    return logNormalPdf(peak) + Math.log(half * sum);
  }
  if (a >= 0) return logUpperTail(a) + log1mExp(logUpperTail(b) - logUpperTail(a));
  if (b <= 0) return logGaussMass(-b, -a);
  // a < 0 < b: one minus both tails, each at most ½.
  const tails = Math.exp(logUpperTail(-a)) + Math.exp(logUpperTail(b));
  return Math.log1p(-tails);
}

/**
 * A draw from N(mu, sigma²) truncated to [low, high], by rejection. Every kernel's centre lies inside its
 * bounds and sigma is at most (high − low), so at least a third of the normal's mass is inside and the loop
 * takes three draws on average; the clamp only guards against pathological inputs.
 */
export function sampleTruncNormal(mu: number, sigma: number, low: number, high: number, rng: Rng): number {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const x = mu + sigma * rng.normal();
    if (x >= low && x <= high) return x;
  }
  return Math.min(Math.max(mu, low), high);
}
