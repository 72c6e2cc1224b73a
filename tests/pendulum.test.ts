import { describe, expect, it } from 'vitest';
import { PendulumEnv, angleNormalize, make, makeVec, checkEnv, registration, Rng, InvalidActionError } from '../index.js';

const torque = (u: number) => Float32Array.of(u);

function bare(options = {}): PendulumEnv {
  const env = new PendulumEnv(options);
  env.reset({ seed: 0 });
  return env;
}

describe('Pendulum-v1 dynamics', () => {
  it('matches a hand-computed step: gravity, float32 torque term, speed clip, unwrapped angle', () => {
    const env = bare();
    // θ = π/2 (lying horizontal), at rest, torque 1.5: θ̈·dt = (15·sin θ + 3·1.5)·0.05 = (15 + 4.5)·0.05 = 0.975.
    env.state.set([Math.PI / 2, 0]);
    const r = env.step(torque(1.5));
    expect(env.state[1]).toBe((15 * Math.sin(Math.PI / 2) + 4.5) * 0.05);
    expect(env.state[0]).toBe(Math.PI / 2 + env.state[1] * 0.05);
    // Cost uses the state before the step: (π/2)² + 0 + 0.001·1.5² (the last term in float32).
    expect(r.reward).toBe(-((Math.PI / 2) ** 2 + Math.fround(Math.fround(0.001) * 2.25)));
    expect(r.terminated).toBe(false);
    expect(r.truncated).toBe(false);
    // Speed is clipped at 8 rad/s.
    env.state.set([Math.PI / 2, 7.9]);
    env.step(torque(2));
    expect(env.state[1]).toBe(8);
  });

  it('keeps θ unwrapped in the state and normalises it only in the cost', () => {
    const env = bare();
    env.state.set([4 * Math.PI + 0.1, 0]);
    const r = env.step(torque(0));
    expect(env.state[0]).toBeGreaterThan(4 * Math.PI);
    expect(r.reward).toBeCloseTo(-(0.1 * 0.1), 12);
    expect(angleNormalize(3 * Math.PI + 0.5)).toBeCloseTo(-Math.PI + 0.5, 12);
    expect(angleNormalize(-3 * Math.PI - 0.5)).toBeCloseTo(Math.PI - 0.5, 12);
    expect(angleNormalize(Math.PI)).toBe(-Math.PI); // [-π, π): floored modulo, as Python's %
    expect(Object.is(angleNormalize(-Math.PI), -Math.PI)).toBe(true);
    // A pendulum driven at full torque spins past π and keeps counting.
    const spin = bare();
    spin.state.set([0, 8]);
    for (let t = 0; t < 200; t++) spin.step(torque(2));
    expect(Math.abs(spin.state[0])).toBeGreaterThan(10 * Math.PI);
  });

  it('observations are float32 [cos θ, sin θ, θ̇]; spaces are Gymnasium\'s', () => {
    const env = bare();
    const { obs } = env.step(torque(-0.7));
    expect(obs).toBeInstanceOf(Float32Array);
    expect(Array.from(obs)).toEqual([Math.fround(Math.cos(env.state[0])), Math.fround(Math.sin(env.state[0])), Math.fround(env.state[1])]);
    expect(env.observationSpace.toJSON()).toEqual({ type: 'Box', shape: [3], low: [-1, -1, -8], high: [1, 1, 8] });
    expect(env.actionSpace.toJSON()).toEqual({ type: 'Box', shape: [1], low: [-2], high: [2] });
  });

  it('reset draws θ in [-π, π] and θ̇ in [-1, 1]; x_init / y_init set symmetric bounds', () => {
    const env = new PendulumEnv();
    let maxTh = 0;
    let maxThdot = 0;
    for (let k = 0; k < 200; k++) {
      env.reset({ seed: k });
      maxTh = Math.max(maxTh, Math.abs(env.state[0]));
      maxThdot = Math.max(maxThdot, Math.abs(env.state[1]));
    }
    expect(maxTh).toBeLessThanOrEqual(Math.PI);
    expect(maxTh).toBeGreaterThan(3); // the whole range is used
    expect(maxThdot).toBeLessThanOrEqual(1);
    expect(maxThdot).toBeGreaterThan(0.9);
    for (let k = 0; k < 50; k++) {
      env.reset({ seed: k, options: { x_init: 0.25, y_init: 0.01 } });
      expect(Math.abs(env.state[0])).toBeLessThanOrEqual(0.25);
      expect(Math.abs(env.state[1])).toBeLessThanOrEqual(0.01);
    }
    expect(() => env.reset({ options: { low: 0 } })).toThrow(/unknown option 'low'.*x_init, y_init/);
    expect(() => env.reset({ options: { x_init: 'pi' } })).toThrow(/option 'x_init' must be a number/);
  });

  it('is truncated at 200 steps by make(), never terminated; no reward threshold', () => {
    expect(registration('pendulum').id).toBe('Pendulum-v1');
    expect(registration('Pendulum-v1').maxEpisodeSteps).toBe(200);
    expect(registration('Pendulum-v1').rewardThreshold).toBeUndefined();
    const env = make('Pendulum-v1');
    env.reset({ seed: 1 });
    let t = 0;
    let r;
    do {
      r = env.step(torque(0));
      t++;
      expect(r.terminated).toBe(false);
    } while (!r.truncated);
    expect(t).toBe(200);
  });

  it('rejects out-of-box actions and bad options clearly; g is an option', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 0 });
    expect(() => env.step(torque(2.5))).toThrow(InvalidActionError);
    expect(() => env.step(1 as never)).toThrow(/Pendulum-v1: invalid action 1/);
    expect(() => make('Pendulum-v1', { gravity: 9.81 })).toThrow(/unknown option 'gravity'/);
    const light = new PendulumEnv({ g: 9.81 });
    light.reset({ seed: 0 });
    light.state.set([Math.PI / 2, 0]);
    light.step(torque(0));
    expect(light.state[1]).toBe(((3 * 9.81) / 2) * 0.05);
  });

  it('passes checkEnv; same seed and actions give the same episode; vector env and snapshots', () => {
    expect(() => checkEnv(make('Pendulum-v1'))).not.toThrow();
    const run = () => {
      const env = make('pendulum');
      const rng = new Rng('actions');
      const out: number[] = [...env.reset({ seed: 7 }).obs];
      for (let t = 0; t < 200; t++) {
        const r = env.step(env.actionSpace.sample(rng) as Float32Array);
        out.push(...r.obs, r.reward);
      }
      return out;
    };
    expect(run()).toEqual(run());

    const vec = makeVec('Pendulum-v1', 3);
    const singles = [0, 1, 2].map(() => make('Pendulum-v1'));
    vec.reset({ seed: 4 });
    singles.forEach((e, i) => e.reset({ seed: 4 + i }));
    const rng = new Rng(1);
    let truncations = 0;
    for (let t = 0; t < 450; t++) {
      const acts = Float32Array.from({ length: 3 }, () => rng.uniform(-2, 2));
      vec.step(acts);
      singles.forEach((e, i) => {
        const r = e.step(acts.subarray(i, i + 1));
        expect(vec.rewards[i]).toBe(r.reward);
        if (r.truncated) {
          truncations++;
          expect(Array.from(vec.finalObs.subarray(i * 3, i * 3 + 3))).toEqual(Array.from(r.obs));
          e.reset();
        }
      });
    }
    expect(truncations).toBe(6);
  });
});

describe('classic-control snapshots: setState checks what it is given', () => {
  it('refuses malformed snapshots and other envs\' states, naming the env, and leaves the env unchanged', () => {
    const ids = ['Pendulum-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Acrobot-v1'];
    for (const id of ids) {
      const env = make(id);
      env.reset({ seed: 3 });
      const before = JSON.stringify(env.getState!());
      const inner = (env.getState!() as { inner: { inner: Record<string, unknown> } }).inner.inner;
      const wrap = (innerState: unknown) => ({ ...(env.getState!() as object), inner: { ...(env.getState!() as { inner: object }).inner, inner: innerState } });
      const bad: [unknown, RegExp][] = [
        [wrap(null), new RegExp(`${id}: setState\\(\\) needs an object`)],
        [wrap({ ...inner, state: [0] }), new RegExp(`${id}: setState\\(\\): 'state' must be an array of \\d finite numbers, got 1 values`)],
        [wrap({ ...inner, state: (inner.state as number[]).map(() => NaN) }), /'state\[0\]' must be a finite number/],
        [wrap({ ...inner, rng: { alea: 'x' } }), /'rng' must be a random-stream state/],
      ];
      if (id === 'MountainCarContinuous-v0') bad.push([wrap({ ...inner, float32State: 'yes' }), /'float32State' must be true or false/]);
      for (const other of ids.filter((o) => o !== id)) {
        bad.push([wrap((make(other).getState!() as { inner: { inner: unknown } }).inner.inner), /setState\(\) was given the state of a '\w+' env, not of a '\w+' env/]);
      }
      for (const [snap, message] of bad) {
        expect(() => env.setState!(snap), `${id}: ${JSON.stringify(snap).slice(0, 120)}`).toThrow(message);
        expect(JSON.stringify(env.getState!())).toBe(before);
      }
    }
  });
});
