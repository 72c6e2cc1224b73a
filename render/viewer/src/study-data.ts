/**
 * What the study page computes from a study's trials (pure, so tests can check it without a browser): the
 * best value so far after each trial, and each parameter's importance.
 *
 * Importance is the correlation ratio η² of the value on the parameter, over the complete trials: the
 * trials are grouped by the parameter (a categorical by its choice; a number into at most 4 bins of equal
 * trial count by rank), and η² = (variance of the group means, weighted by group size) ÷ (variance of the
 * values) — the fraction of the value's variance the parameter alone explains. Parameters are not
 * independent in a TPE study, so the η² can add up past 1; then all are scaled down to sum to 1.
 */
import type { TrialLine } from '../../../experiments/tune/study.js';

/** For each trial in trial order: the highest value of a complete trial up to it (null before the first). */
export function bestSoFar(trials: readonly TrialLine[]): (number | null)[] {
  let best: number | null = null;
  return [...trials]
    .sort((a, b) => a.trial - b.trial)
    .map((t) => {
      if (t.state === 'complete' && typeof t.value === 'number' && (best === null || t.value > best)) best = t.value;
      return best;
    });
}

const MAX_BINS = 4;

/** Each parameter's share of the value's variance (η² by binning, see above); 0 each when fewer than 3 complete trials. */
export function paramImportance(trials: readonly TrialLine[], params: readonly string[]): Record<string, number> {
  const done = trials.filter((t) => t.state === 'complete' && typeof t.value === 'number');
  const values = done.map((t) => t.value!);
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const total = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  const out: Record<string, number> = {};
  for (const p of params) {
    if (done.length < 3 || total === 0) {
      out[p] = 0;
      continue;
    }
    const groups = new Map<string, number[]>();
    const key = binOf(done.map((t) => t.params[p]));
    done.forEach((t, i) => {
      const g = groups.get(key[i]) ?? [];
      g.push(t.value!);
      groups.set(key[i], g);
    });
    let between = 0;
    for (const g of groups.values()) between += g.length * (g.reduce((a, b) => a + b, 0) / g.length - mean) ** 2;
    out[p] = between / total;
  }
  const sum = Object.values(out).reduce((a, b) => a + b, 0);
  if (sum > 1) for (const p of params) out[p] /= sum;
  return out;
}

/** The group of each value: its choice, or for numbers its rank bin (ties kept together). */
function binOf(values: readonly unknown[]): string[] {
  if (!values.every((v) => typeof v === 'number')) return values.map((v) => JSON.stringify(v));
  const nums = values as number[];
  const bins = Math.min(MAX_BINS, Math.floor(nums.length / 2));
  const sorted = [...nums].sort((a, b) => a - b);
  // Rank of the first occurrence, so equal values share a bin.
  return nums.map((v) => String(Math.floor((sorted.indexOf(v) * bins) / nums.length)));
}
