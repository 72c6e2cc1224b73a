import { describe, expect, it } from 'vitest';
import { MountainCarEnv, MountainCarContinuousEnv, make, registration, checkEnv, InvalidActionError, Rng } from '../index.js';

function bare(): MountainCarEnv {
  const env = new MountainCarEnv();
  env.reset({ seed: 0 });
  return env;
}

function bareContinuous(options = {}): MountainCarContinuousEnv {
  const env = new MountainCarContinuousEnv(options);
  env.reset({ seed: 0 });
  return env;
}

describe('MountainCar-v0', () => {
  it('matches a hand-computed step: force, gravity along the slope, then position += new velocity', () => {
    const env = bare();
    env.state.set([-0.5, 0]);
    const r = env.step(2);
    const v = 0.001 + Math.cos(-1.5) * -0.0025;
    expect(env.state[1]).toBe(v);
    expect(env.state[0]).toBe(-0.5 + v);
    expect(r.reward).toBe(-1);
    expect(r.terminated).toBe(false);
    expect(Array.from(r.obs)).toEqual([Math.fround(-0.5 + v), Math.fround(v)]);
  });

  it('clips the speed at 0.07, stops the car at the left wall, and terminates at the flag', () => {
    const env = bare();
    env.state.set([-0.5, 0.0699]);
    env.step(2);
    expect(env.state[1]).toBe(0.07);
    env.state.set([-1.19, -0.05]);
    env.step(0);
    expect(env.state[0]).toBe(-1.2);
    expect(env.state[1]).toBe(0); // inelastic collision
    env.state.set([0.49, 0.02]);
    const r = env.step(2);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(-1);
    // goal_velocity: reaching the flag too slowly does not count.
    const strict = new MountainCarEnv({ goal_velocity: 0.05 });
    strict.reset({ seed: 0 });
    strict.state.set([0.49, 0.02]);
    expect(strict.step(2).terminated).toBe(false);
  });

  it('reset: position uniform in [-0.6, -0.4] at rest; options low/high (low == high pins it)', () => {
    const env = new MountainCarEnv();
    const xs: number[] = [];
    for (let k = 0; k < 100; k++) {
      const { obs } = env.reset({ seed: k });
      xs.push(env.state[0]);
      expect(obs[1]).toBe(0);
    }
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-0.6);
    expect(Math.max(...xs)).toBeLessThan(-0.4);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(0.15);
    env.reset({ seed: 1, options: { low: 0.1, high: 0.1 } });
    expect(env.state[0]).toBe(0.1);
    env.reset({ seed: 1, options: { low: -1.0 } });
    expect(env.state[0]).toBeGreaterThanOrEqual(-1.0);
    expect(() => env.reset({ options: { low: 0.2, high: 0.1 } })).toThrow(/low \(0.2\) must not be above high \(0.1\)/);
    expect(() => env.reset({ options: { x_init: 0.1 } })).toThrow(/unknown option 'x_init'/);
  });

  it('registration, spaces, truncation at 200 and bad actions', () => {
    expect(registration('mountaincar')).toMatchObject({ id: 'MountainCar-v0', maxEpisodeSteps: 200, rewardThreshold: -110 });
    const env = make('MountainCar-v0');
    expect(env.observationSpace.toJSON()).toEqual({ type: 'Box', shape: [2], low: [Math.fround(-1.2), Math.fround(-0.07)], high: [Math.fround(0.6), Math.fround(0.07)] });
    expect(env.actionSpace.toJSON()).toEqual({ type: 'Discrete', n: 3, start: 0 });
    env.reset({ seed: 0 });
    let t = 0;
    let r;
    do {
      r = env.step(1);
      t++;
    } while (!r.terminated && !r.truncated);
    expect([t, r.truncated, r.terminated]).toEqual([200, true, false]);
    env.reset({ seed: 0 });
    expect(() => env.step(3)).toThrow(InvalidActionError);
    expect(() => make('MountainCar-v0', { goalVelocity: 1 })).toThrow(/unknown option 'goalVelocity'.*goal_velocity/);
    expect(() => checkEnv(make('MountainCar-v0', { goal_velocity: 0.01 }))).not.toThrow();
  });
});

describe('MountainCarContinuous-v0', () => {
  it('charges 0.1·a² per step and pays 100 at the flag (goal 0.45)', () => {
    const env = bareContinuous();
    env.state.set([-0.5, 0]);
    const a = Math.fround(0.3);
    const r = env.step(Float32Array.of(0.3));
    expect(r.reward).toBe(0 - a * a * 0.1);
    expect(r.terminated).toBe(false);
    env.state.set([0.44, 0.02]);
    const goal = env.step(Float32Array.of(1));
    expect(goal.terminated).toBe(true);
    expect(goal.reward).toBe(100 - 0.1);
  });

  it('stores its state as float32 after every step, as Gymnasium does', () => {
    const env = bareContinuous();
    const rng = new Rng(3);
    expect(Math.fround(env.state[0])).not.toBe(env.state[0]); // reset's draw is float64
    for (let t = 0; t < 300; t++) {
      env.step(Float32Array.of(rng.uniform(-1, 1)));
      expect(Math.fround(env.state[0])).toBe(env.state[0]);
      expect(Math.fround(env.state[1])).toBe(env.state[1]);
    }
  });

  it('a snapshot taken right after reset resumes with float64 arithmetic on the first step (exact resume)', () => {
    const env = bareContinuous();
    env.reset({ seed: 9 });
    const snap = JSON.parse(JSON.stringify(env.getState()));
    const actions = [0.9, -0.2, 0.55].map((v) => Float32Array.of(v));
    const first = actions.map((a) => [...env.step(a).obs]);
    env.setState(snap);
    expect(actions.map((a) => [...env.step(a).obs])).toEqual(first);
    // And one taken mid-episode keeps the float32 mode.
    const mid = JSON.parse(JSON.stringify(env.getState()));
    const next = actions.map((a) => env.step(a).reward);
    env.setState(mid);
    expect(actions.map((a) => env.step(a).reward)).toEqual(next);
  });

  it('registration, spaces, truncation at 999 and out-of-box actions', () => {
    expect(registration('mountaincar-continuous')).toMatchObject({ id: 'MountainCarContinuous-v0', maxEpisodeSteps: 999, rewardThreshold: 90 });
    const env = make('MountainCarContinuous-v0');
    expect(env.actionSpace.toJSON()).toEqual({ type: 'Box', shape: [1], low: [-1], high: [1] });
    env.reset({ seed: 0 });
    let t = 0;
    let r;
    do {
      r = env.step(Float32Array.of(0));
      t++;
    } while (!r.terminated && !r.truncated);
    expect([t, r.truncated, r.terminated]).toEqual([999, true, false]);
    env.reset({ seed: 0 });
    expect(() => env.step(Float32Array.of(1.5))).toThrow(/MountainCarContinuous-v0: invalid action/);
    expect(() => env.step(0 as never)).toThrow(InvalidActionError);
  });
});
