import { describe, expect, it } from 'vitest';
import { emaSmooth, niceAxis, niceStep } from '../render/viewer/src/ticks.js';

const isNice = (step: number) => {
  const m = step / 10 ** Math.floor(Math.log10(step));
  return [1, 2, 2.5, 5].some((x) => Math.abs(m - x) < 1e-9);
};

describe('axis ticks', () => {
  it('a CartPole return axis ends its ticks at 500, not beyond (the comparison page showed 74.5 / 299 / 524)', () => {
    const a = niceAxis(74.5, 500, 3);
    expect(a.ticks).toEqual([0, 200, 400]);
    expect(a.max).toBeGreaterThan(500); // room above the top line, with no tick in it
    const b = niceAxis(20, 500);
    expect(b.ticks).toEqual([0, 100, 200, 300, 400, 500]);
    expect(b.min).toBe(0);
  });

  it('ticks are round multiples of a 1/2/2.5/5 step, inside [start, data max], for spans large and small', () => {
    for (const [lo, hi] of [[-3.7, -1.02], [0, 1], [0.001, 0.0093], [-120, 35], [9.5, 9.5], [1e5, 3.3e5]]) {
      const a = niceAxis(lo, hi);
      expect(isNice(a.step), `step ${a.step}`).toBe(true);
      expect(a.min).toBeLessThanOrEqual(lo);
      expect(a.ticks.length).toBeGreaterThanOrEqual(2);
      for (const t of a.ticks) {
        expect(t).toBeGreaterThanOrEqual(a.min - 1e-12);
        expect(t).toBeLessThanOrEqual(Math.max(hi, lo + (hi === lo ? Math.abs(lo) * 0.1 : 0)) + 1e-9);
        expect(Math.abs(t / a.step - Math.round(t / a.step))).toBeLessThan(1e-6);
      }
    }
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(480, 5)).toBe(100);
    expect(niceStep(0.9, 4)).toBe(0.25);
  });
});

describe('EMA smoothing (TensorBoard-style, debiased)', () => {
  it('w = 0 leaves the data; the first point is kept; a constant stays constant; gaps stay gaps', () => {
    expect(emaSmooth([1, 5, 3], 0)).toEqual([1, 5, 3]);
    const s = emaSmooth([10, 20, null, 30], 0.5);
    expect(s[0]).toBeCloseTo(10, 12);
    // acc: 5 → 12.5 → (skip) → 21.25; debias 1-0.5, 1-0.25, 1-0.125
    expect(s[1]).toBeCloseTo(12.5 / 0.75, 12);
    expect(s[2]).toBeNull();
    expect(s[3]).toBeCloseTo(21.25 / 0.875, 12);
    expect(emaSmooth([7, 7, 7, 7], 0.9).every((v) => Math.abs(v! - 7) < 1e-12)).toBe(true);
  });
});
