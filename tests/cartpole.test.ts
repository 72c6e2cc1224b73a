import { describe, expect, it } from 'vitest';
import { CartPoleEnv, THETA_THRESHOLD_RADIANS, X_THRESHOLD, make, makeVec, checkEnv, InvalidActionError, ResetNeededError, Rng } from '../index.js';

function bare(options = {}): CartPoleEnv {
  const env = new CartPoleEnv(options);
  env.reset({ seed: 0 });
  return env;
}

describe('CartPole-v1 dynamics', () => {
  it('matches a hand-computed Euler step from rest', () => {
    // From (0,0,0,0) pushing right (F = 10 N): cosθ = 1, sinθ = 0, so
    //   temp = F / (m_c + m_p) = 10 / 1.1
    //   θ'' = −temp / (l · (4/3 − m_p / 1.1)) = −(10/1.1) / (0.5 · (4/3 − 0.1/1.1)) = −14.634146…
    //   x''  = temp − m_p·l·θ''/1.1 = 9.090909… + 0.665188… = 9.756097…
    // Euler: positions use the old velocities (0), velocities move by τ·acc (τ = 0.02).
    const env = bare();
    env.state.set([0, 0, 0, 0]);
    const r = env.step(1);
    expect(env.state[0]).toBe(0);
    expect(env.state[1]).toBeCloseTo(0.02 * 9.75609756097561, 14);
    expect(env.state[2]).toBe(0);
    expect(env.state[3]).toBeCloseTo(0.02 * -14.634146341463415, 14);
    expect(r.reward).toBe(1);
    expect(r.terminated).toBe(false);
  });

  it('matches the reference step from a tilted, moving state (Euler and semi-implicit)', () => {
    // Reference values from evaluating Gymnasium's CartPole-v1 equations in float64.
    const env = bare();
    env.state.set([0.01, -0.02, 0.03, 0.04]);
    env.step(0);
    const euler = [0.009600000000000001, -0.21553901710278936, 0.030799999999999998, 0.34199522377603914];
    euler.forEach((v, i) => expect(env.state[i]).toBeCloseTo(v, 15));

    const semi = bare({ integrator: 'semi-implicit-euler' });
    semi.state.set([0.01, -0.02, 0.03, 0.04]);
    semi.step(0);
    const expected = [0.005689219657944213, -0.21553901710278936, 0.03683990447552078, 0.34199522377603914];
    expected.forEach((v, i) => expect(semi.state[i]).toBeCloseTo(v, 15));
  });

  it('observations are float32 copies of the float64 state', () => {
    const env = bare();
    const { obs } = env.step(1);
    expect(obs).toBeInstanceOf(Float32Array);
    for (let i = 0; i < 4; i++) expect(obs[i]).toBe(Math.fround(env.state[i]));
  });

  it('terminates past 12 degrees or 2.4 m, and the terminating step still earns 1', () => {
    const env = bare();
    env.state.set([0, 0, THETA_THRESHOLD_RADIANS - 1e-6, 1]);
    const r = env.step(1);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(1);
    // Stepping the bare env past termination gives 0 (make() would throw instead).
    expect(env.step(1).reward).toBe(0);

    const env2 = bare();
    env2.state.set([X_THRESHOLD - 1e-4, 1, 0, 0]);
    expect(env2.step(1).terminated).toBe(true);
  });

  it('Sutton-Barto reward: 0 per step, -1 on termination', () => {
    const env = bare({ suttonBartoReward: true });
    expect(env.step(1).reward).toBe(0);
    env.state.set([0, 0, THETA_THRESHOLD_RADIANS, 1]);
    expect(env.step(1).reward).toBe(-1);
  });

  it('reset draws the start state uniformly in (-0.05, 0.05), overridable via options', () => {
    const env = new CartPoleEnv();
    for (let k = 0; k < 50; k++) {
      const { obs } = env.reset({ seed: k });
      for (const v of obs) expect(Math.abs(v)).toBeLessThan(0.05);
    }
    const { obs } = env.reset({ seed: 1, options: { low: 0.1, high: 0.2 } });
    for (const v of obs) {
      expect(v).toBeGreaterThanOrEqual(Math.fround(0.1));
      expect(v).toBeLessThan(0.2);
    }
    expect(() => env.reset({ options: { low: 0.3, high: 0.2 } })).toThrow(/low .* must be below high/);
    expect(() => env.reset({ options: { lo: 0.1 } })).toThrow(/unknown option 'lo'/);
  });

  it('is truncated at 500 steps by make(), and a balanced pole runs the whole episode', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 3 });
    let r;
    let t = 0;
    // A simple stabilising controller: push toward the side the pole leans to (plus angular velocity).
    let obs = env.reset({ seed: 3 }).obs;
    do {
      const a = obs[2] + 0.5 * obs[3] > 0 ? 1 : 0;
      r = env.step(a);
      obs = r.obs;
      t++;
    } while (!r.terminated && !r.truncated);
    expect(t).toBe(500);
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
  });

  it('same seed and actions give the same episode bit for bit; reset() continues the stream', () => {
    const run = () => {
      const env = make('cartpole');
      const rng = new Rng('actions');
      const out: number[] = [...env.reset({ seed: 42 }).obs];
      for (let i = 0; i < 300; i++) {
        const r = env.step(rng.int(2));
        out.push(...r.obs, r.reward);
        if (r.terminated || r.truncated) out.push(...env.reset().obs);
      }
      return out;
    };
    expect(run()).toEqual(run());
    const a = make('cartpole').reset({ seed: 1 }).obs;
    const b = make('cartpole').reset({ seed: 2 }).obs;
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('rejects bad actions with an error naming the env, the action and the space', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    for (const bad of [2, -1, 0.5, NaN, '1', null, [1]]) {
      expect(() => env.step(bad as never)).toThrow(InvalidActionError);
    }
    expect(() => env.step(2)).toThrow(/CartPole-v1: invalid action 2: the action space is Discrete\(2\)/);
  });

  it('make() enforces reset-before-step and no step after the episode ended', () => {
    const env = make('CartPole-v1');
    expect(() => env.step(0)).toThrow(ResetNeededError);
    env.reset({ seed: 0 });
    let r;
    do r = env.step(1);
    while (!r.terminated && !r.truncated);
    expect(() => env.step(1)).toThrow(/after the episode ended/);
    env.reset();
    expect(() => env.step(1)).not.toThrow();
  });

  it('passes checkEnv', () => {
    expect(() => checkEnv(make('CartPole-v1'))).not.toThrow();
    expect(() => checkEnv(make('CartPole-v1', { integrator: 'semi-implicit-euler', suttonBartoReward: true }))).not.toThrow();
  });

  it('rejects unknown constructor options', () => {
    expect(() => make('CartPole-v1', { gravity: 3 })).toThrow(/unknown option 'gravity'/);
    expect(() => make('CartPole-v1', { integrator: 'rk4' })).toThrow(/'euler' or 'semi-implicit-euler'/);
  });
});

describe('CartPole vector env', () => {
  it('the batched kernel matches N single envs seeded seed+i, autoreset included', () => {
    const n = 5;
    const vec = makeVec('CartPole-v1', n);
    const singles = Array.from({ length: n }, () => make('CartPole-v1'));
    vec.reset({ seed: 10 });
    const single = singles.map((e, i) => e.reset({ seed: 10 + i }).obs);
    const rng = new Rng(0);
    const actions = new Int32Array(n);
    let endings = 0;
    for (let t = 0; t < 2000; t++) {
      for (let i = 0; i < n; i++) actions[i] = rng.int(2);
      vec.step(actions);
      for (let i = 0; i < n; i++) {
        const r = singles[i].step(actions[i]);
        expect(vec.rewards[i]).toBe(r.reward);
        expect(vec.terminated[i]).toBe(r.terminated ? 1 : 0);
        expect(vec.truncated[i]).toBe(r.truncated ? 1 : 0);
        if (r.terminated || r.truncated) {
          endings++;
          // SAME_STEP autoreset: the final observation is kept, obs is already the next episode's first.
          expect(Array.from(vec.finalObs.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(r.obs));
          single[i] = singles[i].reset().obs;
        } else {
          single[i] = r.obs;
        }
        expect(Array.from(vec.obs.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(single[i]));
      }
    }
    expect(endings).toBeGreaterThan(50);
  });

  it('the generic SyncVectorEnv and the batched kernel produce identical streams', () => {
    const a = makeVec('CartPole-v1', 3);
    const b = makeVec('CartPole-v1', 3, {}, { batched: false });
    expect(a.constructor.name).not.toBe(b.constructor.name);
    a.reset({ seed: 5 });
    b.reset({ seed: 5 });
    const rng = new Rng(1);
    for (let t = 0; t < 1500; t++) {
      const acts = Int32Array.from({ length: 3 }, () => rng.int(2));
      a.step(acts);
      b.step(acts);
      expect(Array.from(a.obs)).toEqual(Array.from(b.obs));
      expect(Array.from(a.truncated)).toEqual(Array.from(b.truncated));
      expect(Array.from(a.episodeReturns)).toEqual(Array.from(b.episodeReturns));
    }
  });

  it('truncation at 500 exposes the final observation for bootstrapping', () => {
    const vec = makeVec('CartPole-v1', 1, {}, { maxEpisodeSteps: 3 });
    vec.reset({ seed: 0 });
    vec.step([1]);
    vec.step([0]);
    vec.step([1]);
    expect(vec.truncated[0]).toBe(1);
    expect(vec.terminated[0]).toBe(0);
    expect(vec.episodeLengths[0]).toBe(3);
    expect(vec.episodeReturns[0]).toBe(3);
    expect(Array.from(vec.finalObs)).not.toEqual(Array.from(vec.obs));
  });

  it('getState/setState resumes the batch exactly', () => {
    const vec = makeVec('CartPole-v1', 4);
    vec.reset({ seed: 1 });
    const rng = new Rng(2);
    const step = () => vec.step(Int32Array.from({ length: 4 }, () => rng.int(2)));
    for (let t = 0; t < 100; t++) step();
    const snap = JSON.parse(JSON.stringify(vec.getState()));
    const rngSnap = rng.state();
    const trace = () => {
      const out: number[] = [];
      for (let t = 0; t < 300; t++) {
        step();
        out.push(...vec.obs, ...vec.rewards);
      }
      return out;
    };
    const first = trace();
    vec.setState(snap);
    Object.assign(rng, Rng.fromState(rngSnap));
    expect(trace()).toEqual(first);
  });

  it('rejects bad batches clearly', () => {
    const vec = makeVec('CartPole-v1', 2);
    expect(() => vec.step([0, 1])).toThrow(/before reset/);
    vec.reset({ seed: 0 });
    expect(() => vec.step([0])).toThrow(/needs 2 action values/);
    expect(() => vec.step([0, 3])).toThrow(/invalid action 3.*vector env index 1/);
  });
});
