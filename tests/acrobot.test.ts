import { describe, expect, it } from 'vitest';
import { AcrobotEnv, ACROBOT_MAX_VEL_1, make, registration, checkEnv, InvalidActionError, Rng } from '../index.js';

function bare(options = {}): AcrobotEnv {
  const env = new AcrobotEnv(options);
  env.reset({ seed: 0 });
  return env;
}

describe('Acrobot-v1', () => {
  it('reset: four values uniform in [-0.1, 0.1], stored as float32; options low/high', () => {
    const env = new AcrobotEnv();
    let max = 0;
    for (let k = 0; k < 100; k++) {
      env.reset({ seed: k });
      for (const v of env.state) {
        expect(Math.fround(v)).toBe(v);
        max = Math.max(max, Math.abs(v));
      }
    }
    expect(max).toBeLessThanOrEqual(Math.fround(0.1));
    expect(max).toBeGreaterThan(0.09);
    env.reset({ seed: 1, options: { low: 0.5, high: 0.5 } });
    expect(Array.from(env.state)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(() => env.reset({ options: { low: 1, high: 0 } })).toThrow(/must not be above high/);
  });

  it('observation is float32 [cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2]', () => {
    const env = bare();
    const { obs } = env.step(2);
    const s = env.state;
    expect(Array.from(obs)).toEqual([Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]].map(Math.fround));
  });

  it('wraps the angles into [-π, π], bounds the velocities, and terminates with reward 0 above the line', () => {
    const env = bare();
    // Link 1 swinging through the top: θ1 crosses π and wraps to the negative side.
    env.state.set([Math.PI - 0.05, 0, 2, 0]);
    env.step(1);
    expect(env.state[0]).toBeLessThan(0);
    expect(env.state[0]).toBeGreaterThanOrEqual(-Math.PI);
    // Spinning at nearly 4π and accelerated further: clipped to exactly 4π.
    env.state.set([12.45, 12.45, 12.45, 12.45]);
    env.step(2);
    expect(env.state[2]).toBe(ACROBOT_MAX_VEL_1);
    // Both links pointing up: -cos θ1 - cos(θ1 + θ2) ≈ 2 > 1.
    env.state.set([Math.PI - 0.01, 0, 0, 0]);
    const r = env.step(1);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(0);
    env.state.set([0, 0, 0, 0]);
    const down = env.step(1);
    expect([down.terminated, down.reward]).toEqual([false, -1]);
  });

  it('the book equations differ from the NIPS paper only through the θ̇1² term', () => {
    const book = bare();
    const nips = bare({ book_or_nips: 'nips' });
    book.state.set([0.3, -0.4, 0, 1.5]);
    nips.state.set([0.3, -0.4, 0, 1.5]);
    // With θ̇1 = 0 at the start the first RK4 stage agrees, but later stages see θ̇1 ≠ 0.
    book.step(2);
    nips.step(2);
    expect(Array.from(book.state)).not.toEqual(Array.from(nips.state));
    expect(Math.abs(book.state[3] - nips.state[3])).toBeLessThan(0.5);
    expect(() => new AcrobotEnv({ book_or_nips: 'paper' as never })).toThrow(/'book' or 'nips'/);
  });

  it('torque noise is off by default and, when on, is drawn from the seeded stream', () => {
    const run = (opts: Record<string, unknown>, seed: number) => {
      const env = make('Acrobot-v1', opts);
      env.reset({ seed });
      const out: number[] = [];
      for (let t = 0; t < 50; t++) out.push(...env.step(t % 3).obs);
      return out;
    };
    expect(run({ torque_noise_max: 0.5 }, 1)).toEqual(run({ torque_noise_max: 0.5 }, 1));
    expect(run({ torque_noise_max: 0.5 }, 1)).not.toEqual(run({}, 1));
    expect(run({ torque_noise_max: 0 }, 1)).toEqual(run({}, 1));
    expect(() => make('Acrobot-v1', { torque_noise_max: -1 })).toThrow("Acrobot-v1: option 'torque_noise_max' must be between 0 and 1 N·m, got -1");
  });

  it('registration, spaces, truncation at 500, checkEnv and bad actions', () => {
    expect(registration('acrobot')).toMatchObject({ id: 'Acrobot-v1', maxEpisodeSteps: 500, rewardThreshold: -100 });
    const env = make('Acrobot-v1');
    expect(env.observationSpace.toJSON()).toEqual({ type: 'Box', shape: [6], low: [-1, -1, -1, -1, -4 * Math.PI, -9 * Math.PI].map(Math.fround), high: [1, 1, 1, 1, 4 * Math.PI, 9 * Math.PI].map(Math.fround) });
    env.reset({ seed: 0 });
    let t = 0;
    let r;
    do {
      r = env.step(1);
      t++;
    } while (!r.terminated && !r.truncated);
    expect([t, r.truncated, r.terminated]).toEqual([500, true, false]);
    env.reset({ seed: 0 });
    expect(() => env.step(-1)).toThrow(InvalidActionError);
    expect(() => checkEnv(make('Acrobot-v1', { book_or_nips: 'nips', torque_noise_max: 0.1 }))).not.toThrow();
    // Same seed, same actions: same episode.
    const trace = () => {
      const e = make('acrobot');
      const rng = new Rng('a');
      const out = [...e.reset({ seed: 5 }).obs];
      for (let k = 0; k < 200; k++) out.push(...e.step(rng.int(3)).obs);
      return out;
    };
    expect(trace()).toEqual(trace());
  });
});
