/**
 * Axis ticks people can read: steps of 1, 2, 2.5 or 5 × 10^k, and never a tick beyond the data (a
 * CartPole axis ends its labels at 500, not at 524). Pure, so Node tests can check it.
 */

export interface NiceAxis {
  /** Where the axis starts: the data minimum rounded down to a step. */
  min: number;
  /** Where the axis ends: the data maximum plus a little room (no tick is placed in that room). */
  max: number;
  step: number;
  ticks: number[];
}

/** The nice step for a span to be cut into about `count` intervals. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw * 0.999) return m * mag;
  return 10 * mag;
}

/**
 * An axis covering [lo, hi]: it starts at lo rounded down to a nice step, ends `room` (a fraction of the
 * span) above hi, and its ticks are the step's multiples from the start up to hi.
 */
export function niceAxis(lo: number, hi: number, count = 5, room = 0.04): NiceAxis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { min: 0, max: 1, step: 0.25, ticks: [0, 0.25, 0.5, 0.75, 1] };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  }
  const step = niceStep(hi - lo, count);
  const min = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  // Multiply rather than accumulate, so 0.1-steps stay exact enough to print.
  for (let k = 0; min + k * step <= hi + step * 1e-9; k++) ticks.push(roundTo(min + k * step, step));
  return { min, max: hi + (hi - min) * room, step, ticks };
}

function roundTo(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(12, digits)));
}

/**
 * TensorBoard-style smoothing: an exponential moving average with weight `w` in [0, 1), debiased at the
 * start (dividing by 1 − w^n) so the first points are not pulled toward 0. w = 0 leaves the data as is.
 */
export function emaSmooth(ys: readonly (number | null)[], w: number): (number | null)[] {
  const weight = Math.min(Math.max(w, 0), 0.999);
  let acc = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === null || !Number.isFinite(y)) return null;
    acc = acc * weight + (1 - weight) * y;
    n++;
    return acc / (1 - weight ** n);
  });
}
