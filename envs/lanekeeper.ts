/**
 * # LaneKeeper-v0 / LaneKeeperContinuous-v0
 *
 * ## Description
 * A car drives at constant speed along a winding road generated from the seed (straights and bends joined
 * by clothoid ramps; see envs/road.ts). The agent steers to keep the car in the centre of its lane. The car
 * is a kinematic bicycle model referenced at the rear axle: no tyre slip, so the path it can follow depends
 * on the steering angle only, and the speed sets how quickly things happen. The steering wheel turns at a
 * limited rate, so the agent has to anticipate bends: the observation includes the road's curvature ahead.
 *
 * Units are SI: metres, seconds, radians. Angles are counter-clockwise from +x; a positive steering angle,
 * curvature or lateral offset means left.
 *
 * | Constant                    | Value               | Meaning                                                    |
 * |-----------------------------|---------------------|------------------------------------------------------------|
 * | `LANE_KEEPER_DT`            | 0.1 s               | time step                                                  |
 * | `WHEELBASE`                 | 2.7 m               | distance between the axles                                 |
 * | `MAX_STEER`                 | 0.3 rad (≈17°)      | steering angle limit; tightest turn radius ≈ 8.7 m         |
 * | `MAX_STEER_RATE`            | 0.5 rad/s           | steering rate limit: 0.05 rad per step, 1.2 s lock to lock |
 * | `LANE_KEEPER_SPEED`         | 12 m/s              | default speed (option `speed`, 5–20 m/s)                   |
 * | `LANE_WIDTH`                | 3.5 m               | the lane; its centre is the road's centreline              |
 * | `ROAD_HALF_WIDTH`           | 3.0 m               | lane half width (1.75 m) plus a 1.25 m shoulder            |
 * | `ROAD_MAX_CURVATURE`        | 0.03 1/m            | sharpest bend at difficulty 1 (33 m radius), see road.ts   |
 * | `STEER_EFFORT_PENALTY`      | 0.05                | reward cost of a full-rate steering move                   |
 * | `LOOKAHEAD_DISTANCES`       | 0, 10, 20, 30, 40 m | where the observation samples the road's curvature         |
 *
 * One step: the steering angle moves toward the commanded target by at most `MAX_STEER_RATE × DT`; then
 * the car travels `speed × DT` metres along the circular arc of that steering angle (curvature
 * `tan(steer) / WHEELBASE`), which is the exact motion for a steering angle held constant over the step.
 *
 * ## Action space
 * - `LaneKeeper-v0`: `Discrete(5)`, a target steering angle of -1, -0.5, 0, +0.5, +1 × `MAX_STEER`
 *   (0 is full right, 2 straight, 4 full left).
 * - `LaneKeeperContinuous-v0`: `Box([-1], [1])`, the target steering angle as a fraction of `MAX_STEER`.
 * Either way the wheel only moves toward the target at the rate limit.
 *
 * ## Observation space
 * `Box([9])`, float32, each entry scaled to about [-1, 1] and clipped to the bounds below:
 *
 * | Num | Observation                                                   | Min  | Max |
 * |-----|---------------------------------------------------------------|------|-----|
 * | 0   | Lateral offset from the lane centre / (`LANE_WIDTH` / 2)      | -4   | 4   |
 * | 1   | Heading error (car heading − road heading, wrapped) / (π/8)   | -8   | 8   |
 * | 2   | Speed / `LANE_KEEPER_MAX_SPEED` (20 m/s)                      | 0    | 1   |
 * | 3   | Steering angle / `MAX_STEER`                                  | -1   | 1   |
 * | 4–8 | Road curvature at `LOOKAHEAD_DISTANCES` ahead / the car's     | -1   | 1   |
 * |     | tightest curvature `tan(MAX_STEER) / WHEELBASE` (≈ 0.1148 1/m)|      |     |
 *
 * Entries 4–8 read directly as the (approximate) steering fraction the bend needs. While on the road,
 * |entry 0| ≤ 1.71. With `sensorNoise: σ`, Gaussian noise of standard deviation σ (in these scaled units)
 * is added to every entry before clipping; the state itself is never noisy.
 *
 * ### Camera (`obs: 'pixels'`)
 * `Box(0, 1, [32, 32, 3])`, float32, in (y, x, channel) order: a top-down view that moves and turns with
 * the car (see envs/lanekeeper-camera.ts). The car heads up the image, its rear axle on the horizontal
 * centre line 4 rows above the bottom edge; a pixel is 0.75 m, so the view reaches 21 m ahead, 3 m behind
 * and 12 m to each side. Channels: 0 the road surface (within `ROAD_HALF_WIDTH` of the
 * centreline), 1 the lane (within `LANE_WIDTH`/2), 2 the arc the car drives if it holds its current
 * steering angle (the next 12 m). Edges are anti-aliased: a pixel's value is the fraction of it inside, so
 * sub-pixel offsets show. `sensorNoise` adds Gaussian noise of that standard deviation to every pixel
 * (clipped to [0, 1]). Everything else (dynamics, rewards, episode ends, seeding) is as with `obs: 'state'`.
 *
 * ## Rewards
 * `max(0, 1 − (offset / (LANE_WIDTH/2))²) − STEER_EFFORT_PENALTY × (Δsteer / (MAX_STEER_RATE·DT))²` per
 * step, where Δsteer is the steering angle change made this step: 1 in the lane centre, 0 at the lane
 * edge and beyond, minus at most 0.05 for steering at the full rate. The centring term is clamped at 0 so
 * that an alive step never costs more than the effort penalty: leaving the road (which forfeits all later
 * reward) is never a way to escape negative rewards. A perfect episode scores just under 1000.
 *
 * ## Starting state
 * The car starts 20 m along the road (on the initial 50 m straight) with a lateral offset uniform in
 * ±0.5 m, a heading error uniform in ±0.05 rad and the wheel straight.
 *
 * ## Seeding
 * Every reset draws a road seed from the env's stream, builds a new road from it, then draws the start
 * offset and heading error from the same stream; sensor noise also comes from that stream, step by step.
 * So `reset({seed})` always gives the same road and start, and unseeded resets continue to fresh roads.
 * `info.roadSeed` (on reset) names the road: `generateRoad(roadSeed, …)` rebuilds it.
 *
 * ## Episode end
 * Terminated when the car's reference point (rear-axle centre) is more than `ROAD_HALF_WIDTH` from the
 * centreline (`info.offRoad: true`). Truncated after 1000 steps by the TimeLimit wrapper of `make`. The
 * road is generated long enough for `max(1000, spec.maxEpisodeSteps)` steps (capped at 20000) with margin;
 * should the car still reach its end (no time limit), the step is truncated with `info.roadEnd: true`.
 *
 * ## Arguments
 * `make('LaneKeeper-v0', { speed?: number, difficulty?: number, sensorNoise?: number, obs?: 'state' | 'pixels' })`:
 * - `speed` (m/s, default 12, 5–20): the constant forward speed.
 * - `difficulty` (default 1, 0–3): scales every bend's curvature; 0 is a straight road. At 3 the
 *   sharpest bend (0.09 1/m) still needs only 78 % of the steering limit.
 * - `sensorNoise` (default 0, 0–1): standard deviation of the observation noise (scaled units).
 * - `obs` (default 'state'): 'state' for the 9 floats above, 'pixels' for the camera image.
 * `reset` takes no options.
 *
 * ## Rendering
 * `renderState()` (kind `'lanekeeper'`) gives the car (rear-axle x, y, heading, steering angle), the
 * wheelbase, lane width and road half width, and the centreline from 20 m behind to 60 m ahead of the car
 * as `[x, y]` points on a 2 m arc-length grid (`centerlineStart` is the arc length of the first point, for
 * steady lane-marking dashes), plus offset, heading error, curvature and progress `s`. Numbers are rounded
 * (mm for the car, cm for the centreline) to keep per-step replay frames small (about 650 bytes of JSON).
 * With `obs: 'pixels'` the kind is `'lanekeeper-camera'` and `camera` adds the last observation as bytes
 * (round(255 · v), base64; about 4 KiB per frame): the viewer draws it beside the road. After `setState`,
 * until the next step, it is the image without sensor noise (a snapshot does not hold the noise).
 *
 * ## Version history
 * - v0 (tsgym 0.1): initial version.
 */
import { assertAction, BaseEnv, describeValue, rangeOption, rejectUnknownOptions, ResetNeededError } from './core.js';
import { TsgymError } from '../core/errors.js';
import type { Action, RenderState, ResetArgs, ResetResult, StepResult } from './core.js';
import { Box, Discrete } from './spaces.js';
import { Rng } from '../core/rng.js';
import { StateReader } from './state-check.js';
import { emptyRoadProjection, generateRoad, type Road } from './road.js';
import { CAMERA_SHAPE, cameraFrame, cameraObservationSpace, renderCamera, type CameraFrame } from './lanekeeper-camera.js';

/** Time step (s). */
export const LANE_KEEPER_DT = 0.1;
/** Distance between the front and rear axles (m). */
export const WHEELBASE = 2.7;
/** Steering angle limit (rad). */
export const MAX_STEER = 0.3;
/** Steering rate limit (rad/s). */
export const MAX_STEER_RATE = 0.5;
/** The largest steering change in one step (rad). */
export const MAX_STEER_STEP = MAX_STEER_RATE * LANE_KEEPER_DT;
/** The tightest curvature the car can drive (1/m). */
export const CAR_MAX_CURVATURE = Math.tan(MAX_STEER) / WHEELBASE;
/** Speeds (m/s). */
export const LANE_KEEPER_SPEED = 12;
export const LANE_KEEPER_MIN_SPEED = 5;
export const LANE_KEEPER_MAX_SPEED = 20;
/** Lane width (m); the lane is centred on the road's centreline. */
export const LANE_WIDTH = 3.5;
/** Distance from the centreline beyond which the car is off the road (m). */
export const ROAD_HALF_WIDTH = 3.0;
/** Reward cost of one full-rate steering step. */
export const STEER_EFFORT_PENALTY = 0.05;
/** Distances ahead of the car at which the observation samples the road's curvature (m). */
export const LOOKAHEAD_DISTANCES: readonly number[] = [0, 10, 20, 30, 40];
/** Scale of the heading error in the observation (rad). */
export const LANE_KEEPER_HEADING_SCALE = Math.PI / 8;
/** Bound of the scaled lateral offset in the observation. */
const OFFSET_OBS_LIMIT = 4;
export const LANE_KEEPER_MAX_DIFFICULTY = 3;
/** Largest `sensorNoise` (scaled units): noise of this size already buries the observations, whose entries are of order 1. */
export const LANE_KEEPER_MAX_SENSOR_NOISE = 1;
/** Discrete actions: target steering angle as a fraction of MAX_STEER. */
export const STEER_LEVELS: readonly number[] = [-1, -0.5, 0, 0.5, 1];
/** Where the car starts along the road (m), and the half ranges of its start offset (m) and heading error (rad). */
const START_S = 20;
const START_OFFSET = 0.5;
const START_HEADING_ERROR = 0.05;
/** The episode length the road is sized for when the spec has no (or a shorter) limit, and the cap. */
const ROAD_STEPS = 1000;
const MAX_ROAD_STEPS = 20000;
/** renderState's centreline window: metres behind and ahead of the car, and the point spacing. */
const RENDER_BEHIND = 20;
const RENDER_AHEAD = 60;
const RENDER_SPACING = 2;

/** What `renderState()` gives the viewer's lanekeeper scene (lengths in m, angles in rad). */
export interface LaneKeeperRenderState extends RenderState {
  kind: 'lanekeeper';
  /** Rear-axle centre, heading and steering angle. */
  car: { x: number; y: number; heading: number; steer: number };
  steerTarget: number;
  wheelbase: number;
  laneWidth: number;
  roadHalfWidth: number;
  /** `[x, y]` points on a fixed arc-length grid around the car. */
  centerline: [number, number][];
  /** Arc length of centerline[0] and the spacing of the points. */
  centerlineStart: number;
  centerlineSpacing: number;
  /** Progress along the road. */
  s: number;
  offset: number;
  headingError: number;
  /** Road curvature at the car (1/m). */
  curvature: number;
  speed: number;
}

/** `renderState()` with `obs: 'pixels'`: the lanekeeper scene's state plus the camera image the agent saw last. */
export interface LaneKeeperCameraRenderState extends Omit<LaneKeeperRenderState, 'kind'> {
  kind: 'lanekeeper-camera';
  camera: CameraFrame;
}
/** Road kept beyond the last reachable point, for look-ahead and rendering (m). */
const ROAD_END_MARGIN = Math.max(RENDER_AHEAD, LOOKAHEAD_DISTANCES[LOOKAHEAD_DISTANCES.length - 1]) + 10;
/** Extra road per step, beyond speed·DT: cutting the inside of bends advances faster along the centreline. */
const ROAD_LENGTH_FACTOR = 1.25;

export const LANE_KEEPER_OBS_SIZE = 4 + LOOKAHEAD_DISTANCES.length;
const CAMERA_GEOMETRY = { roadHalfWidth: ROAD_HALF_WIDTH, laneHalfWidth: LANE_WIDTH / 2, wheelbase: WHEELBASE };
const HALF_LANE = LANE_WIDTH / 2;
const HEADING_OBS_LIMIT = Math.PI / LANE_KEEPER_HEADING_SCALE;

export interface LaneKeeperOptions {
  /** Forward speed (m/s), 5–20; default 12. */
  speed?: number;
  /** Scales the road's bends, 0–3; default 1. */
  difficulty?: number;
  /** Standard deviation of Gaussian observation noise (scaled units); default 0. */
  sensorNoise?: number;
  /** 'state' (9 floats, the default) or 'pixels' (the top-down camera image). */
  obs?: LaneKeeperObs;
}

export type LaneKeeperObs = 'state' | 'pixels';
const OBS_KINDS: readonly LaneKeeperObs[] = ['state', 'pixels'];

const OPTION_NAMES = ['speed', 'difficulty', 'sensorNoise', 'obs'] as const;

export function laneKeeperObservationSpace(): Box {
  const high = [OFFSET_OBS_LIMIT, HEADING_OBS_LIMIT, 1, 1, ...LOOKAHEAD_DISTANCES.map(() => 1)];
  const low = high.map((v) => -v);
  low[2] = 0;
  return new Box(low, high, [LANE_KEEPER_OBS_SIZE]);
}

/**
 * One step of the kinematic bicycle model, in place on `state = (x, y, heading, steer)`: the steering angle
 * moves toward `targetSteer` (clamped to ±MAX_STEER) by at most MAX_STEER_STEP, then the rear axle moves
 * `speed * LANE_KEEPER_DT` metres along the arc of the new steering angle.
 */
export function bicycleStep(state: Float64Array, targetSteer: number, speed: number): void {
  const target = targetSteer > MAX_STEER ? MAX_STEER : targetSteer < -MAX_STEER ? -MAX_STEER : targetSteer;
  const prev = state[3];
  const diff = target - prev;
  const steer = diff > MAX_STEER_STEP ? prev + MAX_STEER_STEP : diff < -MAX_STEER_STEP ? prev - MAX_STEER_STEP : target;
  const distance = speed * LANE_KEEPER_DT;
  const dHeading = (distance * Math.tan(steer)) / WHEELBASE;
  const half = 0.5 * dHeading;
  // Chord of the arc: length distance·sin(half)/half, direction heading + half.
  const chord = Math.abs(half) < 1e-8 ? distance : (distance * Math.sin(half)) / half;
  const mid = state[2] + half;
  state[0] += chord * Math.cos(mid);
  state[1] += chord * Math.sin(mid);
  state[2] += dHeading;
  state[3] = steer;
}

/** Wraps an angle to [-π, π]. */
function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** LaneKeeper-v0: discrete steering targets. {@link LaneKeeperContinuousEnv} is the Box-action variant. */
export class LaneKeeperEnv extends BaseEnv<Float32Array, Action> {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box = new Discrete(STEER_LEVELS.length);
  readonly speed: number;
  readonly difficulty: number;
  readonly sensorNoise: number;
  readonly obsKind: LaneKeeperObs;
  /** (x, y, heading, steer): rear-axle position (m), heading (rad, not wrapped), steering angle (rad). */
  readonly state = new Float64Array(4);
  /** The current episode's road (undefined before the first reset). */
  road: Road | undefined;
  /** The seed the current road was generated from. */
  roadSeed = 0;
  /** The car projected onto the road (updated every step). */
  readonly projection = emptyRoadProjection();
  private steerTarget = 0;
  private roadEndS = 0;
  /** With `obs: 'pixels'`: the last observation (noise included; observations are never written to), for renderState; null when unknown. */
  private lastImage: Float32Array | null = null;

  constructor(options: LaneKeeperOptions = {}, protected readonly envName = 'LaneKeeper-v0') {
    super();
    const opts = options as Record<string, unknown>;
    rejectUnknownOptions(envName, opts, OPTION_NAMES);
    this.speed = rangeOption(envName, opts, 'speed', LANE_KEEPER_SPEED, { min: LANE_KEEPER_MIN_SPEED, max: LANE_KEEPER_MAX_SPEED, unit: 'm/s' });
    this.difficulty = rangeOption(envName, opts, 'difficulty', 1, { min: 0, max: LANE_KEEPER_MAX_DIFFICULTY });
    this.sensorNoise = rangeOption(envName, opts, 'sensorNoise', 0, { min: 0, max: LANE_KEEPER_MAX_SENSOR_NOISE });
    const obsKind = opts.obs ?? 'state';
    if (!(OBS_KINDS as readonly unknown[]).includes(obsKind)) {
      throw new TsgymError(`${envName}: option 'obs' must be one of ${OBS_KINDS.map((k) => `'${k}'`).join(', ')}, got ${describeValue(obsKind)}`);
    }
    this.obsKind = obsKind as LaneKeeperObs;
    this.observationSpace = this.obsKind === 'pixels' ? cameraObservationSpace() : laneKeeperObservationSpace();
  }

  override get id(): string {
    return this.spec?.id ?? this.envName;
  }

  /** The steering angle (rad) an action asks for. */
  protected targetSteer(action: Action): number {
    return STEER_LEVELS[action as number] * MAX_STEER;
  }

  /** Metres of road this episode needs. */
  private roadLength(): number {
    const steps = Math.min(MAX_ROAD_STEPS, Math.max(ROAD_STEPS, this.spec?.maxEpisodeSteps ?? 0));
    return START_S + this.speed * LANE_KEEPER_DT * steps * ROAD_LENGTH_FACTOR + ROAD_END_MARGIN;
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    rejectUnknownOptions(this.id, args.options, []);
    const rng = this.seedStream(args.seed);
    this.roadSeed = rng.nextSeed();
    const road = this.buildRoad(this.roadSeed, this.roadLength());
    this.road = road;
    const i = Math.round(START_S / road.spacing);
    road.ensure(i);
    const offset = rng.uniform(-START_OFFSET, START_OFFSET);
    const headingError = rng.uniform(-START_HEADING_ERROR, START_HEADING_ERROR);
    this.state[0] = road.x[i] - offset * road.sinHeading[i];
    this.state[1] = road.y[i] + offset * road.cosHeading[i];
    this.state[2] = road.heading[i] + headingError;
    this.state[3] = 0;
    this.steerTarget = 0;
    road.project(this.state[0], this.state[1], i, this.projection);
    return { obs: this.observe(), info: { roadSeed: this.roadSeed } };
  }

  private buildRoad(seed: number, length: number): Road {
    const road = generateRoad(seed, length, this.difficulty);
    this.road = road;
    this.roadEndS = road.length - ROAD_END_MARGIN;
    return road;
  }

  /** A JSON-able snapshot for exact resume: the road is rebuilt from its seed, not stored. */
  getState(): unknown {
    const p = this.projection;
    return {
      kind: 'LaneKeeper',
      state: Array.from(this.state),
      road: this.road ? { seed: this.roadSeed, length: this.road.length } : null,
      projection: [p.index, p.s, p.offset, p.heading],
      steerTarget: this.steerTarget,
      rng: this.rng?.state() ?? null,
    };
  }

  setState(snapshot: unknown): void {
    // Every field is checked before any is assigned: a bad snapshot leaves the env as it was.
    const r = new StateReader(this.id, 'LaneKeeper', snapshot);
    const state = r.numbers('state', 4);
    const road = r.nullable('road', (x, k) => {
      const rr = new StateReader(this.id, 'LaneKeeper', x.raw(k));
      return { seed: rr.int('seed'), length: rr.number('length', 1, 1e6) };
    });
    const projection = r.numbers('projection', 4);
    if (!Number.isInteger(projection[0]) || projection[0] < 0) throw new TsgymError(`${this.id}: setState(): 'projection[0]' (the road segment index) must be a non-negative integer, got ${projection[0]}`);
    const steerTarget = r.number('steerTarget');
    const rng = r.nullable('rng', (x, k) => x.rng(k));
    this.state.set(state);
    if (road) {
      this.roadSeed = road.seed;
      this.buildRoad(road.seed, road.length);
    } else {
      this.road = undefined;
    }
    [this.projection.index, this.projection.s, this.projection.offset, this.projection.heading] = projection;
    this.steerTarget = steerTarget;
    this.rng = rng ? Rng.fromState(rng) : undefined;
    this.lastImage = null; // the snapshot does not hold the observation's noise
  }

  step(action: Action): StepResult<Float32Array> {
    assertAction(this.id, this.actionSpace, action);
    const road = this.road;
    if (!road) throw new ResetNeededError(`${this.id}: step() called before reset(); call env.reset() first`);
    const target = this.targetSteer(action);
    const prevSteer = this.state[3];
    bicycleStep(this.state, target, this.speed);
    this.steerTarget = target;
    const p = road.project(this.state[0], this.state[1], this.projection.index, this.projection);
    const lateral = p.offset / HALF_LANE;
    const steerMove = (this.state[3] - prevSteer) / MAX_STEER_STEP;
    const reward = Math.max(0, 1 - lateral * lateral) - STEER_EFFORT_PENALTY * steerMove * steerMove;
    const terminated = Math.abs(p.offset) > ROAD_HALF_WIDTH;
    const truncated = !terminated && p.s > this.roadEndS;
    const info = terminated ? { offRoad: true } : truncated ? { roadEnd: true } : {};
    return { obs: this.observe(), reward, terminated, truncated, info };
  }

  /** The observation of the current state (see the table above, or the camera image), noise included. */
  private observe(): Float32Array {
    const road = this.road!;
    if (this.obsKind === 'pixels') {
      const image = renderCamera(road, this.state, this.projection.index, CAMERA_GEOMETRY, new Float32Array(CAMERA_SHAPE[0] * CAMERA_SHAPE[1] * CAMERA_SHAPE[2]));
      if (this.sensorNoise > 0) {
        const rng = this.rng!;
        for (let k = 0; k < image.length; k++) image[k] = clip(image[k] + this.sensorNoise * rng.normal(), 0, 1);
      }
      this.lastImage = image;
      return image;
    }
    const p = this.projection;
    const obs = new Float32Array(LANE_KEEPER_OBS_SIZE);
    obs[0] = p.offset / HALF_LANE;
    obs[1] = wrapAngle(this.state[2] - p.heading) / LANE_KEEPER_HEADING_SCALE;
    obs[2] = this.speed / LANE_KEEPER_MAX_SPEED;
    obs[3] = this.state[3] / MAX_STEER;
    for (let k = 0; k < LOOKAHEAD_DISTANCES.length; k++) {
      obs[4 + k] = road.curvatureAt(p.s + LOOKAHEAD_DISTANCES[k]) / CAR_MAX_CURVATURE;
    }
    const noise = this.sensorNoise;
    const rng = this.rng!;
    const space = this.observationSpace;
    for (let k = 0; k < LANE_KEEPER_OBS_SIZE; k++) {
      const v = noise > 0 ? obs[k] + noise * rng.normal() : obs[k];
      obs[k] = clip(v, space.low[k], space.high[k]);
    }
    return obs;
  }

  renderState(): LaneKeeperRenderState | LaneKeeperCameraRenderState {
    const state = this.roadRenderState();
    if (this.obsKind !== 'pixels') return state;
    // Restored from a snapshot, the last observation is not known: the camera without noise stands in.
    const image = this.lastImage ?? renderCamera(this.road!, this.state, this.projection.index, CAMERA_GEOMETRY, new Float32Array(CAMERA_SHAPE[0] * CAMERA_SHAPE[1] * CAMERA_SHAPE[2]));
    return { ...state, kind: 'lanekeeper-camera', camera: cameraFrame(image) };
  }

  private roadRenderState(): LaneKeeperRenderState {
    const road = this.road;
    if (!road) throw new ResetNeededError(`${this.id}: renderState() called before reset(); call env.reset() first`);
    const p = this.projection;
    // Centreline points on a fixed 2 m grid of arc length, so lane-marking dashes do not swim between frames.
    const first = Math.max(0, Math.floor((p.s - RENDER_BEHIND) / RENDER_SPACING) * RENDER_SPACING);
    const last = Math.min(road.length, p.s + RENDER_AHEAD);
    road.ensure(Math.ceil(last / road.spacing));
    const centerline: [number, number][] = [];
    for (let s = first; s <= last; s += RENDER_SPACING) {
      const i = Math.round(s / road.spacing);
      centerline.push([round2(road.x[i]), round2(road.y[i])]);
    }
    return {
      kind: 'lanekeeper',
      car: { x: round3(this.state[0]), y: round3(this.state[1]), heading: round3(wrapAngle(this.state[2])), steer: round3(this.state[3]) },
      steerTarget: round3(this.steerTarget),
      wheelbase: WHEELBASE,
      laneWidth: LANE_WIDTH,
      roadHalfWidth: ROAD_HALF_WIDTH,
      centerline,
      centerlineStart: first,
      centerlineSpacing: RENDER_SPACING,
      s: round2(p.s),
      offset: round3(p.offset),
      headingError: round3(wrapAngle(this.state[2] - p.heading)),
      curvature: Math.round(road.curvatureAt(p.s) * 1e5) / 1e5,
      speed: this.speed,
    };
  }
}

/** LaneKeeperContinuous-v0: the target steering angle is `action[0] × MAX_STEER`, action in [-1, 1]. */
export class LaneKeeperContinuousEnv extends LaneKeeperEnv {
  override readonly actionSpace: Discrete | Box = new Box([-1], [1]);

  constructor(options: LaneKeeperOptions = {}) {
    super(options, 'LaneKeeperContinuous-v0');
  }

  protected override targetSteer(action: Action): number {
    return (action as Float32Array)[0] * MAX_STEER;
  }
}
