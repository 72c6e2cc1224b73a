/**
 * The small numeric helpers every folder needs. One definition each: experiments/stats.ts adds input checks
 * on top for its public API, everything else calls these directly.
 */

/** Arithmetic mean with float64 accumulation; NaN for an empty input. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** The median (mean of the two middle values when the count is even); NaN for an empty input. */
export function median(values: ArrayLike<number>): number {
  // Typed-array sort is numeric (Array.prototype.sort's default order is by string).
  const s = Float64Array.from(values).sort();
  const n = s.length;
  if (n === 0) return NaN;
  if (n % 2) return s[(n - 1) / 2];
  // Written as lo + ½·(hi − lo), numpy's quantile interpolation, so equal neighbours give exactly that value.
  const lo = s[n / 2 - 1];
  return lo + 0.5 * (s[n / 2] - lo);
}
