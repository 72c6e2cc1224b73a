import { describe, expect, it } from 'vitest';
import {
  BaseEnv, Box, Discrete, NormalizeObservation, RecordEpisode, RecordEpisodeStatistics, Rng, TimeLimit, checkEnv, findEnvProblems, inspectEnv,
  listEnvs, make, makeVec, resolveEnvId, spaceFromJSON, assertAction, type RecordedEpisode, type RenderState, type ResetArgs, type StepResult,
} from '../index.js';

describe('spaces', () => {
  it('Discrete: contains, sample within range under a seed, JSON', () => {
    const d = new Discrete(3, 1);
    expect(d.contains(1)).toBe(true);
    expect(d.contains(3)).toBe(true);
    expect(d.contains(4)).toBe(false);
    expect(d.contains(1.5)).toBe(false);
    expect(d.contains('1')).toBe(false);
    const rng = new Rng(0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[d.sample(rng) - 1]++;
    counts.forEach((c) => expect(c).toBeGreaterThan(900));
    expect(spaceFromJSON(JSON.parse(JSON.stringify(d.toJSON())))).toEqual(d);
    expect(() => new Discrete(0)).toThrow(/positive integer/);
  });

  it('Box: bounds, shape, sampling kinds, JSON with infinities', () => {
    const b = new Box([-1, -Infinity, 0], [1, Infinity, Infinity]);
    expect(b.shape).toEqual([3]);
    expect(b.contains(new Float32Array([0, 1e9, 3]))).toBe(true);
    expect(b.contains(new Float32Array([2, 0, 0]))).toBe(false);
    expect(b.contains(new Float32Array([0, NaN, 0]))).toBe(false);
    expect(b.contains(new Float32Array([0, 0]))).toBe(false);
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) expect(b.contains(b.sample(rng))).toBe(true);
    const round = spaceFromJSON(JSON.parse(JSON.stringify(b.toJSON())));
    expect(round.toString()).toBe(b.toString());
    expect(() => new Box([1], [0])).toThrow(/low\[0\]=1 > high\[0\]=0/);
    expect(new Box(-1, 1, [2, 3]).size).toBe(6);
  });

  it('Rng: deterministic, state save/restore, uniform moments', () => {
    const a = new Rng('x');
    const b = new Rng('x');
    expect([a.random(), a.random()]).toEqual([b.random(), b.random()]);
    const s = a.state();
    const next = [a.random(), a.normal(), a.int(10)];
    const c = Rng.fromState(s);
    expect([c.random(), c.normal(), c.int(10)]).toEqual(next);
    let sum = 0;
    let sq = 0;
    const r = new Rng(3);
    for (let i = 0; i < 20000; i++) {
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / 20000)).toBeLessThan(0.03);
    expect(Math.abs(sq / 20000 - 1)).toBeLessThan(0.05);
  });

  it('assertAction errors name the env, the action and the space', () => {
    expect(() => assertAction('X-v0', new Box(-1, 1, [2]), new Float32Array([0, 0, 0]))).toThrow(/X-v0: invalid action Float32Array \[0, 0, 0\].*length 3, need 2/);
  });
});

describe('registry', () => {
  it('resolves ids and aliases, and lists the choices for an unknown id', () => {
    expect(resolveEnvId('cartpole')).toBe('CartPole-v1');
    expect(resolveEnvId('CARTPOLE-V1')).toBe('CartPole-v1');
    expect(() => make('CartPole-v9')).toThrow(/unknown env 'CartPole-v9'. Registered envs: .*CartPole-v1/);
  });

  it('every registered env passes checkEnv', () => {
    const ids = listEnvs().map((r) => r.id);
    expect(ids).toContain('CartPole-v1');
    for (const id of ids) {
      expect(findEnvProblems(make(id), { steps: 600 }), id).toEqual([]);
    }
  });

  it('every registered env works as a vector env and resumes from a snapshot', () => {
    for (const { id } of listEnvs()) {
      const vec = makeVec(id, 2);
      vec.reset({ seed: 3 });
      const space = vec.singleActionSpace;
      const rng = new Rng(id);
      const act = () => (space.type === 'Discrete' ? Int32Array.from({ length: 2 }, () => space.sample(rng)) : Float32Array.from({ length: 2 * space.size }, () => rng.uniform(-1, 1)));
      for (let t = 0; t < 50; t++) vec.step(act());
      const snap = JSON.parse(JSON.stringify(vec.getState()));
      const actions = Array.from({ length: 100 }, act);
      const trace = () => actions.flatMap((a) => (vec.step(a), [...vec.obs, ...vec.rewards]));
      const first = trace();
      vec.setState(snap);
      expect(trace(), id).toEqual(first);
    }
  });
});

describe('wrappers', () => {
  it('TimeLimit truncates and RecordEpisodeStatistics reports the episode', () => {
    const env = new RecordEpisodeStatistics(new TimeLimit(make('CartPole-v1', {}, { maxEpisodeSteps: null }), 7));
    env.reset({ seed: 0 });
    let r: StepResult<Float32Array>;
    let t = 0;
    do {
      r = env.step(t % 2);
      t++;
    } while (!r.terminated && !r.truncated);
    expect(t).toBe(7);
    expect(r.truncated).toBe(true);
    expect(r.info.episode).toMatchObject({ r: 7, l: 7 });
    expect(env.returnQueue).toEqual([7]);
  });

  it('NormalizeObservation tracks running mean/var and freezes when not training', () => {
    const env = new NormalizeObservation(make('CartPole-v1'));
    env.reset({ seed: 0 });
    const rng = new Rng(0);
    for (let i = 0; i < 2000; i++) {
      const r = env.step(rng.int(2));
      if (r.terminated || r.truncated) env.reset();
    }
    const stats = env.stats.getState();
    expect(stats.count).toBeGreaterThan(2000);
    env.training = false;
    const before = env.stats.getState();
    env.reset();
    env.step(0);
    expect(env.stats.getState()).toEqual(before);
    // Normalised observations have roughly unit scale.
    const r = env.step(1);
    for (const v of r.obs) expect(Math.abs(v)).toBeLessThan(10);
    // Its statistics travel in the env state.
    const snap = env.getState() as { own: { stats: typeof stats } };
    expect(snap.own.stats.count).toBe(before.count);
  });

  it('RecordEpisode hands over each finished episode with render states and annotations', () => {
    const episodes: RecordedEpisode[] = [];
    const env = new RecordEpisode(make('CartPole-v1'), (ep) => episodes.push(ep));
    env.reset({ seed: 9 });
    let r;
    let k = 0;
    do {
      env.annotate({ qValues: [k, -k] });
      r = env.step(k++ % 2);
    } while (!r.terminated && !r.truncated);
    expect(episodes).toHaveLength(1);
    const ep = episodes[0];
    expect(ep.envId).toBe('CartPole-v1');
    expect(ep.seed).toBe(9);
    expect(ep.length).toBe(k);
    expect(ep.steps[1].extras).toEqual({ qValues: [1, -1] });
    expect(ep.steps[0].state.kind).toBe('cartpole');
    expect(ep.return).toBe(k);
  });
});

describe('checkEnv', () => {
  class BrokenEnv extends BaseEnv<Float32Array, number> {
    readonly observationSpace = new Box(-1, 1, [1]);
    readonly actionSpace = new Discrete(2);
    private t = 0;
    reset(args: ResetArgs = {}) {
      this.seedStream(args.seed);
      this.t = 0;
      return { obs: new Float32Array([this.t]), info: {} };
    }
    // Accepts any action, and leaves its observation space after a few steps.
    step(_a: number): StepResult<Float32Array> {
      this.t++;
      return { obs: new Float32Array([this.t]), reward: 1, terminated: this.t > 5, truncated: false, info: {} };
    }
    renderState(): RenderState {
      return { kind: 'broken' };
    }
  }

  it('finds the problems of a broken env and names them: errors for what breaks training, warnings for hardening', () => {
    const { errors, warnings } = inspectEnv(new BrokenEnv(), { steps: 10 });
    expect(errors.some((p) => /not inside the observation space/.test(p))).toBe(true);
    // Every accepted invalid action on one line.
    expect(warnings.filter((p) => /accepted invalid actions/.test(p))).toEqual([expect.stringMatching(/accepted invalid actions; .*: -1; 2; 0\.5; NaN; '0'; null; undefined; an Array \[0\]$/)]);
    expect(findEnvProblems(new BrokenEnv(), { steps: 10 })).toEqual([...errors, ...warnings]);
    expect(() => checkEnv(new BrokenEnv())).toThrow(/fails the env checker \(\d+ errors?\)/);
  });
});
