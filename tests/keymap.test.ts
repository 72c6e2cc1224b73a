/** The play page's key hints name the actions by the scene's labels when it has them. */
import { describe, expect, it } from 'vitest';
import { keyControls } from '../render/viewer/src/keymap.js';

describe('key hints', () => {
  it("MountainCar's hint says push left / push right, not action 0 / action 2", () => {
    const c = keyControls('MountainCar-v0', 'mountaincar', { type: 'Discrete', n: 3, start: 0 }, ['push left', 'no push', 'push right']);
    expect(c.help).toBe('hold ← for push left, → for push right, 1…3 for push left … push right; nothing held: no push');
    expect(c.actionFor(new Set(['ArrowRight']), false, 0)).toBe(2);
    expect(c.actionFor(new Set(), false, 0)).toBe(1);
  });

  it('an env without labels is described by action numbers', () => {
    expect(keyControls('Some-v0', 'unknown', { type: 'Discrete', n: 3, start: 1 }).help).toBe('hold ← for action 1, → for action 3, 1…3 for actions 1…3; nothing held: action 2');
  });
});
