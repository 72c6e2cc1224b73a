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

/**
 * Whether every value is finite (no NaN, no ±∞). A plain loop: the divergence guard runs it over every
 * weight after every update, and `values.every(Number.isFinite)` costs a callback per weight.
 */
export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
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

// exp and log from + − × ÷ alone, which IEEE 754 rounds the same on every engine. Math.exp and Math.log may
// differ in the last bit between JS engines (Node 20's V8 and Chromium's do for a few percent of arguments),
// and a training run whose arithmetic must be the same in Node and in a browser tab cannot use them.
const LN2_HI = 6.93147180369123816490e-1; // ln 2 with its low 32 bits zero, so k·LN2_HI is exact
const LN2_LO = 1.90821492927058770002e-10;
/** 1/n! for n = 0..14 (e^r's Taylor coefficients). */
const EXP_TAYLOR = Array.from({ length: 15 }, (_, n) => {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return 1 / f;
});
/** 1/3, 1/5, …, 1/25 (atanh's odd series after t). */
const ATANH_SERIES = Array.from({ length: 12 }, (_, j) => 1 / (2 * j + 3));
const float64 = new Float64Array(1);
const words = new Uint32Array(float64.buffer); // little-endian: words[1] holds sign, exponent and top of mantissa

/** 2^k for an integer k in the normal range, exactly (built from its bits). */
function pow2(k: number): number {
  words[0] = 0;
  words[1] = (k + 1023) << 20;
  return float64[0];
}

/** e^x, within about 1 ulp, with the same bits on every engine. */
export function portableExp(x: number): number {
  if (Number.isNaN(x)) return NaN;
  // What the series gives at 0 (k = 0, r = 0: exactly 1), without it: a softmax row's maximum lands here.
  if (x === 0) return 1;
  if (x > 709.78) return Infinity;
  if (x < -745.2) return 0;
  // x = k·ln 2 + r with |r| ≤ ½ ln 2, then e^r by its Taylor series (Horner; the r^14 term is below 1e-17).
  const k = Math.round(x / Math.LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  let s = EXP_TAYLOR[14];
  for (let n = 13; n >= 0; n--) s = s * r + EXP_TAYLOR[n];
  // Split the scale so that neither factor leaves the normal range.
  const half = k > 0 ? Math.floor(k / 2) : Math.ceil(k / 2);
  return s * pow2(half) * pow2(k - half);
}

/** The natural logarithm, within about 1 ulp, with the same bits on every engine. */
export function portableLog(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  // x = m · 2^e with m in [√½, √2), read from the float's bits (subnormals scaled up first).
  let scaled = x;
  let e = 0;
  if (scaled < 2.2250738585072014e-308) {
    scaled *= 2 ** 54;
    e = -54;
  }
  float64[0] = scaled;
  e += ((words[1] >>> 20) & 0x7ff) - 1023;
  words[1] = (words[1] & 0x000fffff) | 0x3ff00000; // the mantissa, as a number in [1, 2)
  let m = float64[0];
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  // log m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172: the odd series to t^25 reaches 1e-19.
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  let s = 0;
  for (let j = ATANH_SERIES.length - 1; j >= 0; j--) s = (s + ATANH_SERIES[j]) * t2;
  return e * LN2_HI + (2 * t + 2 * t * s + e * LN2_LO);
}
