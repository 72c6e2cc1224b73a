import { describe, expect, it } from 'vitest';
import { fmtTime } from '../experiments/harness/progress.js';

describe('fmtTime (the progress line ETA)', () => {
  it('rounds to whole seconds before splitting into minutes, so it never prints :60', () => {
    expect(fmtTime(2279.6)).toBe('38:00');
    expect(fmtTime(59.5)).toBe('1:00');
    expect(fmtTime(61.2)).toBe('1:01');
    expect(fmtTime(0)).toBe('0:00');
  });
  it('switches to hours and minutes from one hour, and prints ? for an unknown ETA', () => {
    expect(fmtTime(3600)).toBe('1h00m');
    expect(fmtTime(5025)).toBe('1h23m');
    expect(fmtTime(Infinity)).toBe('?');
  });
});
