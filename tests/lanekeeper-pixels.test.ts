/**
 * The lane keeper's camera (`obs: 'pixels'`, envs/lanekeeper-camera.ts): the raster shows the road where the
 * state puts it (every pixel against a brute-force distance to the sampled centreline), the steering arc
 * where the car would drive, the driving task is the state env's step for step, checkEnv passes, makeVec
 * equals single envs, snapshots resume, and bad options are refused.
 */
import { describe, expect, it } from 'vitest';
import { checkEnv, make, makeVec, type AnyEnv } from '../index.js';
import { CAR_MAX_CURVATURE, LaneKeeperEnv, LANE_WIDTH, ROAD_HALF_WIDTH, bicycleStep } from '../envs/lanekeeper.js';
import { CAMERA_PATH_LENGTH, CAMERA_RESOLUTION, CAMERA_ROWS_AHEAD, CAMERA_SHAPE } from '../envs/lanekeeper-camera.js';
import { Rng } from '../core/rng.js';
import type { Box } from '../envs/spaces.js';

const [H, W, C] = CAMERA_SHAPE;
const SIZE = H * W * C;
const IDS = ['LaneKeeper-v0', 'LaneKeeperContinuous-v0'] as const;

/** A steering controller (discrete action): the bend ahead, plus offset and heading corrections, plus noise. */
function steer(env: LaneKeeperEnv, rng: Rng): number {
  const p = env.projection;
  const bend = env.road!.curvatureAt(p.s + 6) / CAR_MAX_CURVATURE;
  const target = bend - 0.4 * p.offset - 1.5 * (env.state[2] - p.heading) + 0.2 * rng.normal();
  return Math.max(0, Math.min(4, Math.round(2 + 2 * target)));
}

/** Distance (m) from (px, py) to the road's centreline polyline, by brute force over the samples near the car. */
function bruteForceDistance(env: LaneKeeperEnv, px: number, py: number): number {
  const road = env.road!;
  const from = Math.max(0, env.projection.index - 120);
  const to = Math.min(road.numPoints - 1, env.projection.index + 160);
  road.ensure(to);
  let best = Infinity;
  for (let i = from; i < to; i++) {
    const ax = road.x[i];
    const ay = road.y[i];
    const bx = road.x[i + 1] - ax;
    const by = road.y[i + 1] - ay;
    const u = Math.max(0, Math.min(1, ((px - ax) * bx + (py - ay) * by) / (bx * bx + by * by)));
    best = Math.min(best, Math.hypot(px - ax - u * bx, py - ay - u * by));
  }
  return best;
}

/** The world position of pixel (row, col)'s centre, from the documented camera geometry. */
function pixelCentre(env: LaneKeeperEnv, row: number, col: number): [number, number] {
  const forward = (CAMERA_ROWS_AHEAD - row - 0.5) * CAMERA_RESOLUTION;
  const left = (W / 2 - col - 0.5) * CAMERA_RESOLUTION;
  const [x, y, h] = env.state;
  return [x + forward * Math.cos(h) - left * Math.sin(h), y + forward * Math.sin(h) + left * Math.cos(h)];
}

/** The pixel (row, col) containing the world point (px, py), or null outside the image. */
function pixelOf(env: LaneKeeperEnv, px: number, py: number): [number, number] | null {
  const [x, y, h] = env.state;
  const dx = px - x;
  const dy = py - y;
  const forward = dx * Math.cos(h) + dy * Math.sin(h);
  const left = -dx * Math.sin(h) + dy * Math.cos(h);
  const row = Math.floor(CAMERA_ROWS_AHEAD - forward / CAMERA_RESOLUTION);
  const col = Math.floor(W / 2 - left / CAMERA_RESOLUTION);
  return row >= 0 && row < H && col >= 0 && col < W ? [row, col] : null;
}

const coverage = (d: number) => Math.max(0, Math.min(1, 0.5 + d / CAMERA_RESOLUTION));

describe('LaneKeeper camera', () => {
  it("observes a Box(0, 1, [32, 32, 3]); checkEnv passes for both ids with obs: 'pixels'", () => {
    for (const id of IDS) {
      const env = make(id, { obs: 'pixels' });
      expect(env.observationSpace.type).toBe('Box');
      expect((env.observationSpace as Box).shape).toEqual([32, 32, 3]);
      const { obs } = env.reset({ seed: 0 });
      expect((obs as Float32Array).length).toBe(SIZE);
      expect(env.observationSpace.contains(obs)).toBe(true);
      checkEnv(make(id, { obs: 'pixels' }), { steps: 300 });
      checkEnv(make(id, { obs: 'pixels', sensorNoise: 0.1 }), { steps: 200 });
    }
  });

  it('every pixel shows the road and the lane where the state puts them (brute-force distance to the centreline)', () => {
    let checked = 0;
    let roadPixels = 0;
    let partial = 0;
    for (const [seed, difficulty] of [
      [1, 0],
      [2, 1],
      [3, 1],
      [4, 2],
      [5, 3],
    ] as const) {
      const env = new LaneKeeperEnv({ obs: 'pixels', difficulty });
      const rng = new Rng(`camera-${seed}`);
      let { obs } = env.reset({ seed });
      for (let t = 0; t < 400; t++) {
        if (t % 40 === 0) {
          const image = obs as Float32Array;
          for (let r = 0; r < H; r++) {
            for (let c = 0; c < W; c++) {
              const [px, py] = pixelCentre(env, r, c);
              const d = bruteForceDistance(env, px, py);
              const k = (r * W + c) * C;
              expect(Math.abs(image[k] - coverage(ROAD_HALF_WIDTH - d)), `seed ${seed} t ${t} road at (${r}, ${c}), distance ${d}`).toBeLessThan(0.02);
              expect(Math.abs(image[k + 1] - coverage(LANE_WIDTH / 2 - d)), `seed ${seed} t ${t} lane at (${r}, ${c})`).toBeLessThan(0.02);
              if (image[k] > 0) roadPixels++;
              if (image[k] > 0 && image[k] < 1) partial++;
              checked++;
            }
          }
        }
        const step = env.step(steer(env, rng));
        obs = step.obs;
        if (step.terminated || step.truncated) break;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40 * H * W);
    // The road fills a real share of the view, and its edges are anti-aliased.
    expect(roadPixels / checked).toBeGreaterThan(0.15);
    expect(partial).toBeGreaterThan(1000);
  });

  it('the path channel lies on the arc the car drives when it holds its steering angle', () => {
    const env = new LaneKeeperEnv({ obs: 'pixels', difficulty: 2 });
    const rng = new Rng('camera-path');
    let { obs } = env.reset({ seed: 11 });
    let checkedPoints = 0;
    for (let t = 0; t < 300; t++) {
      if (t % 25 === 5) {
        const image = obs as Float32Array;
        // Hold the current steering angle and drive 0.1 m at a time: the pixel under each point is marked.
        const ghost = Float64Array.from(env.state);
        let travelled = 0;
        while (travelled < CAMERA_PATH_LENGTH - 0.5) {
          bicycleStep(ghost, ghost[3], 1); // 1 m/s × 0.1 s
          travelled += 0.1;
          const px = pixelOf(env, ghost[0], ghost[1]);
          if (!px) continue;
          expect(image[(px[0] * W + px[1]) * C + 2], `t ${t}: ${travelled.toFixed(1)} m along the arc`).toBeGreaterThan(0);
          checkedPoints++;
        }
        // And nothing is drawn far from it: every marked pixel is within a pixel of the ghost's path.
        let marked = 0;
        for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) if (image[(r * W + c) * C + 2] > 0) marked++;
        expect(marked).toBeLessThan((CAMERA_PATH_LENGTH / CAMERA_RESOLUTION) * 3);
      }
      const step = env.step(steer(env, rng));
      obs = step.obs;
      if (step.terminated || step.truncated) break;
    }
    expect(checkedPoints).toBeGreaterThan(500);
  });

  it("drives the same task as obs: 'state': same seed and actions give the same rewards, ends and states", () => {
    for (const id of IDS) {
      const pixels = make(id, { obs: 'pixels', difficulty: 1.5 });
      const state = make(id, { difficulty: 1.5 });
      const rng = new Rng(`same-${id}`);
      pixels.reset({ seed: 21 });
      state.reset({ seed: 21 });
      let episodes = 0;
      for (let t = 0; t < 1500; t++) {
        const u = state.unwrapped as LaneKeeperEnv;
        const a = id === 'LaneKeeper-v0' ? steer(u, rng) : Float32Array.of((steer(u, rng) - 2) / 2);
        const rp = pixels.step(a);
        const rs = state.step(a);
        expect([rp.reward, rp.terminated, rp.truncated, rp.info]).toEqual([rs.reward, rs.terminated, rs.truncated, rs.info]);
        expect(Array.from((pixels.unwrapped as LaneKeeperEnv).state)).toEqual(Array.from(u.state));
        if (rs.terminated || rs.truncated) {
          episodes++;
          pixels.reset();
          state.reset();
        }
      }
      expect(episodes).toBeGreaterThanOrEqual(1);
    }
  });

  it('makeVec steps the same episodes as single envs with the same seeds', () => {
    const vec = makeVec('LaneKeeper-v0', 3, { obs: 'pixels' });
    const singles: AnyEnv[] = [0, 1, 2].map(() => make('LaneKeeper-v0', { obs: 'pixels' }));
    vec.reset({ seed: 40 });
    const obs = singles.map((e, i) => e.reset({ seed: 40 + i }).obs as Float32Array);
    for (let i = 0; i < 3; i++) expect(Array.from(vec.obs.subarray(i * SIZE, (i + 1) * SIZE))).toEqual(Array.from(obs[i]));
    let ends = 0;
    for (let t = 0; t < 300; t++) {
      const actions = [t % 5, (t * 3) % 5, t % 20 < 10 ? 1 : 3];
      vec.step(actions);
      for (let i = 0; i < 3; i++) {
        const r = singles[i].step(actions[i]);
        expect(vec.rewards[i]).toBe(r.reward);
        expect(vec.terminated[i]).toBe(r.terminated ? 1 : 0);
        if (r.terminated || r.truncated) {
          ends++;
          expect(Array.from(vec.finalObs.subarray(i * SIZE, (i + 1) * SIZE))).toEqual(Array.from(r.obs as Float32Array));
        }
        const o = r.terminated || r.truncated ? singles[i].reset().obs : r.obs;
        expect(Array.from(vec.obs.subarray(i * SIZE, (i + 1) * SIZE))).toEqual(Array.from(o as Float32Array));
      }
    }
    expect(ends).toBeGreaterThan(3);
  });

  it('a snapshot taken mid-episode resumes the same images (with sensor noise)', () => {
    const env = make('LaneKeeper-v0', { obs: 'pixels', sensorNoise: 0.05 });
    env.reset({ seed: 8 });
    for (let t = 0; t < 20; t++) env.step(2);
    const lk = env.unwrapped as LaneKeeperEnv;
    const snap = JSON.stringify(lk.getState());
    const future = () => Array.from({ length: 30 }, (_, t) => env.step(t % 5)).map((r) => [Array.from(r.obs as Float32Array), r.reward, r.terminated]);
    const a = future();
    lk.setState(JSON.parse(snap));
    expect(future()).toEqual(a);
  });

  it('refuses a bad obs option in one line', () => {
    expect(() => make('LaneKeeper-v0', { obs: 'camera' })).toThrow(/^LaneKeeper-v0: option 'obs' must be one of 'state', 'pixels', got string "camera"$/);
    expect(() => make('LaneKeeperContinuous-v0', { obs: 3 })).toThrow(/^LaneKeeperContinuous-v0: option 'obs' must be one of 'state', 'pixels', got 3$/);
    expect((make('LaneKeeper-v0', { obs: 'state' }).observationSpace as Box).shape).toEqual([9]);
  });
});
