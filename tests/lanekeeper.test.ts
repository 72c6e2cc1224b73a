import { describe, expect, it } from 'vitest';
import {
  bicycleStep,
  CAR_MAX_CURVATURE,
  LANE_KEEPER_DT,
  LANE_KEEPER_HEADING_SCALE,
  LANE_KEEPER_OBS_SIZE,
  LANE_WIDTH,
  LaneKeeperContinuousEnv,
  LaneKeeperEnv,
  MAX_STEER,
  MAX_STEER_RATE,
  MAX_STEER_STEP,
  ROAD_HALF_WIDTH,
  STEER_EFFORT_PENALTY,
  STEER_LEVELS,
  WHEELBASE,
} from '../envs/lanekeeper.js';
import { emptyRoadProjection, generateRoad, Road, ROAD_MAX_CURVATURE, ROAD_SPACING, seededCurvature } from '../envs/road.js';
import { make, registration } from '../envs/registry.js';
import { checkEnv } from '../envs/checker.js';
import { InvalidActionError, type Action, type Env } from '../envs/core.js';
import { TsgymError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

const IDS = ['LaneKeeper-v0', 'LaneKeeperContinuous-v0'] as const;
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const HALF_LANE = LANE_WIDTH / 2;

/**
 * Reference controller, from the observation only: curvature feed-forward (the steering angle of the road's
 * current curvature) plus PD feedback on lateral offset and heading error. Gains: a critically damped-ish
 * lateral loop at about 1.5 rad/s for 12 m/s.
 */
function pdSteer(obs: Float32Array): number {
  const offset = obs[0] * HALF_LANE;
  const headingError = obs[1] * LANE_KEEPER_HEADING_SCALE;
  const roadCurvature = obs[4] * CAR_MAX_CURVATURE;
  return Math.atan(WHEELBASE * roadCurvature) - 0.05 * offset - 0.5 * headingError;
}

/** The controller's action for either action space: for Discrete, the level whose rate-limited move lands nearest the wanted angle. */
function pdAction(env: Env<Float32Array, Action>, obs: Float32Array): Action {
  const wanted = pdSteer(obs);
  if (env.actionSpace.type === 'Box') return Float32Array.of(Math.max(-1, Math.min(1, wanted / MAX_STEER)));
  const steer = obs[3] * MAX_STEER;
  let best = 0;
  let bestError = Infinity;
  STEER_LEVELS.forEach((level, a) => {
    const next = steer + Math.max(-MAX_STEER_STEP, Math.min(MAX_STEER_STEP, level * MAX_STEER - steer));
    const error = Math.abs(next - wanted);
    if (error < bestError) {
      bestError = error;
      best = a;
    }
  });
  return best;
}

function randomAction(env: Env<Float32Array, Action>, rng: Rng): Action {
  return env.actionSpace.sample(rng) as Action;
}

interface Episode {
  length: number;
  ret: number;
  terminated: boolean;
  truncated: boolean;
  maxAbsOffset: number;
  trace: number[];
  lastInfo: Record<string, unknown>;
}

function runEpisode(env: Env<Float32Array, Action>, seed: number, policy: (obs: Float32Array) => Action, maxSteps = 5000): Episode {
  let obs = env.reset({ seed }).obs;
  const ep: Episode = { length: 0, ret: 0, terminated: false, truncated: false, maxAbsOffset: 0, trace: Array.from(obs), lastInfo: {} };
  for (let t = 0; t < maxSteps; t++) {
    const r = env.step(policy(obs));
    obs = r.obs;
    ep.length++;
    ep.ret += r.reward;
    ep.maxAbsOffset = Math.max(ep.maxAbsOffset, Math.abs(r.obs[0] * HALF_LANE));
    ep.trace.push(...r.obs, r.reward);
    ep.lastInfo = r.info;
    if (r.terminated || r.truncated) {
      ep.terminated = r.terminated;
      ep.truncated = r.truncated;
      break;
    }
  }
  return ep;
}

describe('LaneKeeper registration and API contract', () => {
  it.each(IDS)('%s passes checkEnv', (id) => {
    expect(() => checkEnv(make(id))).not.toThrow();
  });

  it('aliases resolve and the spaces match the spec', () => {
    expect(registration('lanekeeper').id).toBe('LaneKeeper-v0');
    expect(registration('lanekeeper-continuous').id).toBe('LaneKeeperContinuous-v0');
    expect(registration('lanekeeper').maxEpisodeSteps).toBe(1000);
    const discrete = make('lanekeeper');
    const continuous = make('lanekeeper-continuous');
    expect(discrete.actionSpace.toJSON()).toEqual({ type: 'Discrete', n: 5, start: 0 });
    expect(continuous.actionSpace.toJSON()).toEqual({ type: 'Box', shape: [1], low: [-1], high: [1] });
    expect(discrete.observationSpace.toJSON()).toMatchObject({ type: 'Box', shape: [LANE_KEEPER_OBS_SIZE] });
  });

  it('rejects invalid actions with a message naming the action and the space', () => {
    const env = make('LaneKeeper-v0');
    env.reset({ seed: 0 });
    expect(() => env.step(5)).toThrow(InvalidActionError);
    expect(() => env.step(1.5)).toThrow(/invalid action 1\.5.*Discrete\(5\)/);
    const cont = make('LaneKeeperContinuous-v0');
    cont.reset({ seed: 0 });
    expect(() => cont.step(Float32Array.of(1.5))).toThrow(/invalid action .*1\.5/);
    expect(() => cont.step(2)).toThrow(InvalidActionError);
  });

  it('rejects unknown and out-of-range options clearly', () => {
    expect(() => make('LaneKeeper-v0', { dificulty: 2 })).toThrow(/unknown option 'dificulty'.*difficulty/);
    expect(() => make('LaneKeeper-v0', { speed: 50 })).toThrow(/'speed' must be between 5 and 20/);
    expect(() => make('LaneKeeperContinuous-v0', { difficulty: -1 })).toThrow(/LaneKeeperContinuous-v0.*'difficulty'/);
    expect(() => make('LaneKeeper-v0', { sensorNoise: 'lots' })).toThrow(TsgymError);
    expect(() => make('LaneKeeper-v0').reset({ options: { speed: 3 } })).toThrow(/unknown option 'speed'/);
  });
});

describe('LaneKeeper dynamics', () => {
  it('one bicycle step matches the hand-computed circular arc', () => {
    // Known state: rear axle at (1, 2), heading 0.3 rad, wheel at 0.1 rad; target 0.3 rad at 10 m/s.
    const state = Float64Array.of(1, 2, 0.3, 0.1);
    bicycleStep(state, 0.3, 10);
    const steer = 0.1 + MAX_STEER_RATE * LANE_KEEPER_DT; // rate-limited: 0.1 + 0.5 rad/s × 0.1 s = 0.15
    expect(steer).toBeCloseTo(0.15, 12);
    expect(state[3]).toBeCloseTo(steer, 12);
    // Turning radius R = L / tan(steer); the rear axle moves 1 m along the circle about the centre c.
    const radius = WHEELBASE / Math.tan(steer);
    const turn = 1 / radius; // distance 10 m/s × 0.1 s = 1 m
    const cx = 1 - radius * Math.sin(0.3);
    const cy = 2 + radius * Math.cos(0.3);
    expect(state[0]).toBeCloseTo(cx + radius * Math.sin(0.3 + turn), 10);
    expect(state[1]).toBeCloseTo(cy - radius * Math.cos(0.3 + turn), 10);
    expect(state[2]).toBeCloseTo(0.3 + turn, 12);

    // Wheel straight and target straight: a plain 1 m step along the heading.
    const straight = Float64Array.of(0, 0, Math.PI / 4, 0);
    bicycleStep(straight, 0, 10);
    expect(Array.from(straight)).toEqual([Math.cos(Math.PI / 4), Math.sin(Math.PI / 4), Math.PI / 4, 0]);
  });

  it('the env steps its state with exactly that model', () => {
    const env = new LaneKeeperEnv({ speed: 15 });
    env.reset({ seed: 3 });
    for (const action of [4, 4, 0, 2, 1, 3]) {
      const expected = Float64Array.from(env.state);
      bicycleStep(expected, STEER_LEVELS[action] * MAX_STEER, 15);
      env.step(action);
      expect(Array.from(env.state)).toEqual(Array.from(expected));
    }
  });

  it('the steering rate limit stops the wheel jumping from full right to full left', () => {
    const env = new LaneKeeperEnv();
    env.reset({ seed: 0 });
    env.state[3] = -MAX_STEER;
    const r = env.step(4); // target +MAX_STEER
    expect(env.state[3]).toBeCloseTo(-MAX_STEER + MAX_STEER_STEP, 12);
    expect(r.obs[3]).toBeCloseTo((-MAX_STEER + MAX_STEER_STEP) / MAX_STEER, 5);
    let steps = 1;
    while (env.state[3] < MAX_STEER - 1e-12) {
      env.step(4);
      steps++;
    }
    expect(steps).toBe(Math.round((2 * MAX_STEER) / MAX_STEER_STEP));

    // Continuous: random commands never move the wheel by more than the limit per step.
    const cont = new LaneKeeperContinuousEnv();
    cont.reset({ seed: 1 });
    const rng = new Rng(7);
    for (let t = 0; t < 200; t++) {
      const before = cont.state[3];
      const r2 = cont.step(Float32Array.of(rng.uniform(-1, 1)));
      expect(Math.abs(cont.state[3] - before)).toBeLessThanOrEqual(MAX_STEER_STEP + 1e-12);
      expect(Math.abs(cont.state[3])).toBeLessThanOrEqual(MAX_STEER);
      if (r2.terminated) cont.reset();
    }
  });

  it('the reward is the centring term minus the steering-effort penalty, and leaving the road terminates', () => {
    const env = new LaneKeeperEnv();
    env.reset({ seed: 2 });
    let prevSteer = env.state[3];
    for (let t = 0; t < 200; t++) {
      const r = env.step(t % 7 < 4 ? 4 : 0);
      const offset = env.projection.offset;
      const move = (env.state[3] - prevSteer) / MAX_STEER_STEP;
      prevSteer = env.state[3];
      expect(r.reward).toBeCloseTo(Math.max(0, 1 - (offset / HALF_LANE) ** 2) - STEER_EFFORT_PENALTY * move * move, 10);
      expect(r.terminated).toBe(Math.abs(offset) > ROAD_HALF_WIDTH);
      if (r.terminated) {
        expect(r.info).toEqual({ offRoad: true });
        return;
      }
    }
    throw new Error('a zig-zag policy biased to the left should have left the road within 200 steps');
  });
});

describe('LaneKeeper seeding and roads', () => {
  it.each(IDS)('%s: the same seed and actions give identical episodes', (id) => {
    const rollout = () => {
      const env = make(id, { sensorNoise: 0.05 });
      const rng = new Rng(11);
      return runEpisode(env, 42, (obs) => (rng.random() < 0.5 ? pdAction(env, obs) : randomAction(env, rng))).trace;
    };
    const a = rollout();
    const b = rollout();
    expect(a.length).toBeGreaterThan(10);
    expect(a).toEqual(b);
  });

  it('getState/setState resume an episode exactly (through the make wrappers, JSON round trip)', () => {
    const a = make('LaneKeeperContinuous-v0', { sensorNoise: 0.1 });
    let obs = a.reset({ seed: 17 }).obs;
    for (let t = 0; t < 20; t++) obs = a.step(pdAction(a, obs)).obs;
    const snapshot = JSON.parse(JSON.stringify(a.getState!()));
    const tail = (env: Env<Float32Array, Action>, o: Float32Array) => Array.from({ length: 100 }, () => {
      const r = env.step(pdAction(env, o));
      o = r.obs;
      return [...r.obs, r.reward];
    }).flat();
    const expected = tail(a, obs);
    const b = make('LaneKeeperContinuous-v0', { sensorNoise: 0.1 });
    b.setState!(snapshot);
    expect(tail(b, obs)).toEqual(expected);
  });

  it('different seeds give different roads, and unseeded resets give fresh ones', () => {
    const env = new LaneKeeperEnv();
    const profile = () => {
      const road = env.road!;
      road.ensure(1000);
      return Array.from(road.curvature.subarray(0, 1001));
    };
    env.reset({ seed: 0 });
    const r0 = profile();
    env.reset({ seed: 1 });
    const r1 = profile();
    env.reset();
    const r1next = profile();
    env.reset({ seed: 0 });
    expect(profile()).toEqual(r0);
    expect(r1).not.toEqual(r0);
    expect(r1next).not.toEqual(r1);
    // Bends exist: a road is not straight at difficulty 1.
    expect(Math.max(...r0.map(Math.abs))).toBeGreaterThan(0.3 * ROAD_MAX_CURVATURE);
  });

  it('sensor noise perturbs observations but never the state, and stays inside the bounds', () => {
    const clean = new LaneKeeperEnv();
    const noisy = new LaneKeeperEnv({ sensorNoise: 0.5 });
    const o1 = clean.reset({ seed: 5 }).obs;
    const o2 = noisy.reset({ seed: 5 }).obs;
    expect(Array.from(noisy.state)).toEqual(Array.from(clean.state));
    expect(Array.from(o2)).not.toEqual(Array.from(o1));
    for (let t = 0; t < 50; t++) {
      const r = noisy.step(2);
      expect(noisy.observationSpace.contains(r.obs)).toBe(true);
      if (r.terminated) break;
    }
  });

  it('difficulty 0 is a straight road and difficulty scales the bends', () => {
    const straight = generateRoad(4, 2000, 0);
    straight.ensure(straight.numPoints - 1);
    expect(straight.curvature.every((k) => k === 0)).toBe(true);
    expect(Math.abs(straight.y[straight.numPoints - 1])).toBe(0);
    const k1 = generateRoad(4, 2000, 1);
    const k2 = generateRoad(4, 2000, 2);
    k1.ensure(k1.numPoints - 1);
    k2.ensure(k2.numPoints - 1);
    for (let i = 0; i < k1.numPoints; i++) expect(k2.curvature[i]).toBeCloseTo(2 * k1.curvature[i], 12);
    // Bounded and continuous (ramps, no jumps): the steepest ramp is 2 × max over the shortest ramp length.
    let maxStep = 0;
    for (let i = 1; i < k1.numPoints; i++) maxStep = Math.max(maxStep, Math.abs(k1.curvature[i] - k1.curvature[i - 1]));
    expect(Math.max(...Array.from(k1.curvature, Math.abs))).toBeLessThanOrEqual(ROAD_MAX_CURVATURE + 1e-12);
    expect(maxStep).toBeLessThanOrEqual(((2 * ROAD_MAX_CURVATURE) / 15) * ROAD_SPACING + 1e-12);
  });

  it('a longer road from the same seed extends the shorter one exactly', () => {
    const short = generateRoad(9, 300);
    const long = generateRoad(9, 900);
    short.ensure(short.numPoints - 1);
    long.ensure(long.numPoints - 1);
    const n = short.numPoints;
    expect(long.numPoints).toBeGreaterThan(n);
    expect(Array.from(long.x.subarray(0, n))).toEqual(Array.from(short.x));
    expect(Array.from(long.curvature.subarray(0, n))).toEqual(Array.from(short.curvature));
    // The lazily generated source matches sample by sample.
    const src = seededCurvature(9);
    for (let i = 0; i < n; i++) expect(src(i)).toBe(short.curvature[i]);
  });

  it('geometry: a constant-curvature road is a circle, and projections recover offset and arc length', () => {
    const k = 0.02;
    const road = Road.fromCurvature(new Float64Array(2001).fill(k), 0.5);
    const radius = 1 / k;
    for (let i = 0; i < road.numPoints; i += 97) {
      expect(Math.hypot(road.x[i], road.y[i] - radius)).toBeCloseTo(radius, 9);
      expect(road.heading[i]).toBeCloseTo(k * i * 0.5, 12);
    }
    // A point 1.3 m left of the centreline at arc length 123.4 m (i.e. on the circle of radius R - 1.3).
    const s = 123.4;
    const angle = k * s;
    const px = (radius - 1.3) * Math.sin(angle);
    const py = radius - (radius - 1.3) * Math.cos(angle);
    const p = road.project(px, py, 0, emptyRoadProjection());
    expect(p.offset).toBeCloseTo(1.3, 4);
    expect(p.s).toBeCloseTo(s, 1);
    expect(p.heading).toBeCloseTo(angle, 3);
  });
});

describe('LaneKeeper: reference controller vs random policy', () => {
  it.each(IDS)('%s: the PD controller stays on the road for the full 1000 steps on every seed', (id) => {
    const env = make(id);
    for (const seed of SEEDS) {
      const ep = runEpisode(env, seed, (obs) => pdAction(env, obs));
      expect({ seed, length: ep.length, terminated: ep.terminated }).toEqual({ seed, length: 1000, terminated: false });
      expect(ep.truncated).toBe(true);
      expect(ep.maxAbsOffset).toBeLessThan(HALF_LANE);
      expect(ep.ret).toBeGreaterThan(registration(id).rewardThreshold!);
    }
  });

  it.each(IDS)('%s: a random policy leaves the road well before 1000 steps on most seeds', (id) => {
    const env = make(id);
    const rng = new Rng(123);
    const lengths = SEEDS.map((seed) => runEpisode(env, seed, () => randomAction(env, rng)));
    const crashedEarly = lengths.filter((ep) => ep.terminated && ep.length < 300).length;
    expect(crashedEarly).toBeGreaterThanOrEqual(8);
  });

  it('without a time limit the episode is truncated at the end of the generated road', () => {
    const env = make('LaneKeeper-v0', { speed: 20, difficulty: 0 }, { maxEpisodeSteps: null });
    const ep = runEpisode(env, 0, (obs) => pdAction(env, obs));
    expect(ep.terminated).toBe(false);
    expect(ep.truncated).toBe(true);
    expect(ep.lastInfo).toEqual({ roadEnd: true });
    expect(ep.length).toBeGreaterThan(1000);
    const road = (env.unwrapped as LaneKeeperEnv).road!;
    expect((env.unwrapped as LaneKeeperEnv).projection.s).toBeLessThan(road.length);
  });

  it('renderState describes the car and the nearby road, small and JSON-able', () => {
    const env = make('LaneKeeper-v0');
    env.reset({ seed: 0 });
    for (let t = 0; t < 30; t++) env.step(2);
    const rs = env.renderState() as unknown as Record<string, unknown> & { car: { x: number; y: number }; centerline: [number, number][] };
    expect(rs.kind).toBe('lanekeeper');
    expect(rs).toMatchObject({ laneWidth: LANE_WIDTH, roadHalfWidth: ROAD_HALF_WIDTH, wheelbase: WHEELBASE });
    expect(rs.centerline.length).toBeGreaterThanOrEqual(35);
    expect(rs.centerline.length).toBeLessThanOrEqual(42);
    const nearest = Math.min(...rs.centerline.map(([x, y]) => Math.hypot(x - rs.car.x, y - rs.car.y)));
    expect(nearest).toBeLessThan(ROAD_HALF_WIDTH + 2);
    const json = JSON.stringify(rs);
    expect(JSON.parse(json)).toEqual(rs);
    expect(json.length).toBeLessThan(1500);
  });

  it('observations at the start describe the start state', () => {
    const env = new LaneKeeperEnv({ speed: 10 });
    const { obs, info } = env.reset({ seed: 8 });
    expect(typeof info.roadSeed).toBe('number');
    expect(Math.abs(obs[0] * HALF_LANE)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(obs[1] * LANE_KEEPER_HEADING_SCALE)).toBeLessThanOrEqual(0.05 + 1e-6);
    expect(obs[2]).toBeCloseTo(0.5, 6);
    expect(obs[3]).toBe(0);
    expect(obs[4]).toBe(0); // the road starts with a straight
    expect(LANE_KEEPER_DT).toBeGreaterThan(0);
  });
});
