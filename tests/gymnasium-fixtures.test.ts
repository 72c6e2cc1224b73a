/**
 * The classic-control envs against trajectories recorded from Gymnasium's own code (tests/fixtures/gymnasium/).
 *
 * Two sources of difference are possible, and the tests separate them:
 * - sin/cos: Gymnasium gets them from glibc, tsgym from V8 (fdlibm); they differ in the last bit for ~3% of
 *   arguments. With Math.sin/Math.cos swapped for correctly rounded versions (glibc rounds correctly for all
 *   but ~0.14% of arguments), the envs must match Gymnasium bit for bit.
 * - everything else (operation order, float32 roundings, clips, wraps, flags) must then be identical.
 */
import { describe, expect, it } from 'vitest';
import { MountainCarContinuousEnv, registration, type AnyEnv } from '../index.js';
import { compareWithGymnasium, loadGymFixture, type SetGymState } from './helpers/gymnasium-fixtures.js';
import { withCorrectlyRoundedTrig } from './helpers/correctly-rounded-trig.js';

const setFloat64State: SetGymState = (env: AnyEnv, state) => (env.unwrapped as unknown as { state: Float64Array }).state.set(state);
// MountainCarContinuous's arithmetic depends on whether its state is still reset()'s float64 or a stepped float32.
const setMountainCarContinuousState: SetGymState = (env, state, afterStep) => {
  const u = env.unwrapped as MountainCarContinuousEnv;
  u.setState({ ...(u.getState() as object), state, float32State: afterStep });
};

const cases = [
  { file: 'pendulum-v1.json', id: 'Pendulum-v1', steps: 1000, set: setFloat64State, fullTol: 1e-12 },
  { file: 'mountaincar-v0.json', id: 'MountainCar-v0', steps: 727, set: setFloat64State, fullTol: 1e-14 },
  { file: 'mountaincarcontinuous-v0.json', id: 'MountainCarContinuous-v0', steps: 1428, set: setMountainCarContinuousState, fullTol: 0 },
  // Chaotic: a last-bit difference in one cos grows to ~4e-8 over 175 steps of tumbling links.
  { file: 'acrobot-v1.json', id: 'Acrobot-v1', steps: 859, set: setFloat64State, fullTol: 1e-6 },
] as const;

describe('classic control vs Gymnasium 1.x trajectories', () => {
  for (const c of cases) {
    describe(c.id, () => {
      const fx = loadGymFixture(c.file);

      it('fixture is what the test expects', () => {
        expect(fx.envId).toBe(c.id);
        // Episodes that hit the time limit, and (Pendulum never terminates) episodes that terminate.
        expect(fx.episodes.some((e) => e.truncated.at(-1) && e.actions.length === registration(c.id).maxEpisodeSteps)).toBe(true);
        expect(fx.episodes.some((e) => e.terminated.at(-1))).toBe(c.id !== 'Pendulum-v1');
      });

      it('with V8 sin/cos: same termination and truncation on every step; states within the stated tolerance', () => {
        const full = compareWithGymnasium(fx, c.set);
        expect(full.steps).toBe(c.steps);
        expect(full.flagsMatch, full.firstMismatch ?? '').toBe(true);
        expect(full.maxStateDiff).toBeLessThanOrEqual(c.fullTol);
        expect(full.maxRewardDiff).toBeLessThanOrEqual(c.id === 'Pendulum-v1' ? 1e-12 : 0);
        // One step from Gymnasium's own previous state: at most a couple of ulps apart (sin/cos only).
        const one = compareWithGymnasium(fx, c.set, { perStep: true });
        expect(one.flagsMatch, one.firstMismatch ?? '').toBe(true);
        expect(one.maxStateDiff).toBeLessThan(4e-15);
        expect(one.maxObsDiff).toBe(0);
        expect(one.maxRewardDiff).toBe(0);
        expect(one.exactSteps / one.steps).toBeGreaterThan(0.9);
      });

      it('with correctly rounded sin/cos: bit for bit', () => {
        const full = withCorrectlyRoundedTrig(() => compareWithGymnasium(fx, c.set));
        const one = withCorrectlyRoundedTrig(() => compareWithGymnasium(fx, c.set, { perStep: true }));
        expect(full.flagsMatch && one.flagsMatch).toBe(true);
        if (c.id !== 'Acrobot-v1') {
          expect(full.exactSteps, full.firstMismatch ?? '').toBe(c.steps);
          expect(one.exactSteps).toBe(c.steps);
        } else {
          // Three steps call cos with an argument glibc itself rounds the wrong way (checked against mpmath at
          // 200 bits: cos(-1.7867843834902732), cos(-1.7638184849566971), cos(-1.0094694148233256), ...).
          expect(c.steps - one.exactSteps).toBeLessThanOrEqual(3);
          expect(one.maxStateDiff).toBeLessThanOrEqual(2.3e-16);
          expect(full.maxStateDiff).toBeLessThan(1e-13);
        }
      });
    });
  }
});
