/**
 * # MountainCar-v0 and MountainCarContinuous-v0
 *
 * ## Description
 * Moore's mountain car (PhD thesis, 1990), with the dynamics of Gymnasium's MountainCar-v0 and
 * MountainCarContinuous-v0. An underpowered car sits in a valley whose floor follows y = 0.45·sin(3x) + 0.55;
 * it cannot drive straight up the right hill to the flag, so it has to rock back and forth to build momentum.
 *
 * ## Action space
 * - MountainCar-v0: `Discrete(3)`: 0 accelerates left, 1 does nothing, 2 accelerates right (force 0.001).
 * - MountainCarContinuous-v0: `Box(-1, 1, [1])`, float32: the engine force, scaled by the power 0.0015.
 *   Actions outside the box are rejected (Gymnasium clips the force but charges the unclipped action).
 *
 * ## Observation space
 * `Box([-1.2, -0.07], [0.6, 0.07])`, float32: the car's position (m) and velocity.
 *
 * ## Dynamics (one step)
 * `velocity += force_term − 0.0025·cos(3·position)`, clipped to ±0.07; `position += velocity`, clipped to
 * [-1.2, 0.6]; hitting the left wall while moving left stops the car (velocity = 0, an inelastic collision).
 *
 * ## Rewards
 * - MountainCar-v0: -1 per step (threshold -110).
 * - MountainCarContinuous-v0: -0.1·action² per step, plus 100 on the step that reaches the goal (threshold 90).
 *
 * ## Starting state
 * Position uniform in [-0.6, -0.4], velocity 0. `reset({options: {low, high}})` overrides the position range
 * (Gymnasium's options; `low > high` is refused, `low == high` pins the start).
 *
 * ## Episode end
 * Terminated when position ≥ goal (0.5 discrete, 0.45 continuous) and velocity ≥ `goal_velocity` (default 0).
 * Truncated after 200 steps (MountainCar-v0) or 999 steps (MountainCarContinuous-v0) by `make`'s TimeLimit.
 *
 * ## Arguments
 * `make('MountainCar-v0' | 'MountainCarContinuous-v0', { goal_velocity?: number })`: the velocity the car must
 * have at the flag, default 0, from -0.07 to 0.07 (`MOUNTAIN_CAR_GOAL_VELOCITY_RANGE`, the speed limit).
 *
 * ## Precision (as Gymnasium)
 * MountainCar-v0 computes in float64 throughout. MountainCarContinuous-v0 stores its state as float32 after
 * every step, and numpy then evaluates the next step's arithmetic in float32 wherever a float32 value meets a
 * Python float (NumPy 2 promotion); the first step after a reset starts from a float64 state. This env follows
 * that operation by operation, so both match Gymnasium's trajectories.
 *
 * ## Version history
 * - v0 (tsgym): matches Gymnasium 1.x MountainCar-v0 / MountainCarContinuous-v0.
 */
import { assertAction, BaseEnv, rangeOption, rejectUnknownOptions, resetBoundsOption, type OptionRange } from './core.js';
import type { Action, RenderState, ResetArgs, ResetResult, StepResult } from './core.js';
import { Box, Discrete } from './spaces.js';
import { Rng } from '../core/rng.js';
import { StateReader } from './state-check.js';

export const MOUNTAIN_CAR_MIN_POSITION = -1.2;
export const MOUNTAIN_CAR_MAX_POSITION = 0.6;
export const MOUNTAIN_CAR_MAX_SPEED = 0.07;
/** Accepted `goal_velocity`: the car's speed is clipped to ±MOUNTAIN_CAR_MAX_SPEED, so a higher goal could never be met. */
export const MOUNTAIN_CAR_GOAL_VELOCITY_RANGE: OptionRange = { min: -MOUNTAIN_CAR_MAX_SPEED, max: MOUNTAIN_CAR_MAX_SPEED };
/** Goal position of MountainCar-v0; the continuous version uses 0.45. */
export const MOUNTAIN_CAR_GOAL_POSITION = 0.5;
export const MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION = 0.45;
/** Acceleration per unit of discrete action (MountainCar-v0). */
export const MOUNTAIN_CAR_FORCE = 0.001;
/** Engine power per unit of continuous action (MountainCarContinuous-v0). */
export const MOUNTAIN_CAR_POWER = 0.0015;
export const MOUNTAIN_CAR_GRAVITY = 0.0025;
/** Default start-position range (reset options `low` / `high`). */
export const MOUNTAIN_CAR_RESET_LOW = -0.6;
export const MOUNTAIN_CAR_RESET_HIGH = -0.4;

/** What `renderState()` gives the viewer's mountain car scene. */
export interface MountainCarRenderState extends RenderState {
  kind: 'mountaincar';
  position: number;
  velocity: number;
  minPosition: number;
  maxPosition: number;
  goalPosition: number;
  /** Engine force on the last step in [-1, 1]: -1 full left, +1 full right. */
  force: number;
}

export interface MountainCarOptions {
  goal_velocity?: number;
}

/** Height of the valley floor at position x (for drawing). */
export function mountainCarHeight(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

function mountainCarObservationSpace(): Box {
  return new Box([MOUNTAIN_CAR_MIN_POSITION, -MOUNTAIN_CAR_MAX_SPEED], [MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MAX_SPEED]);
}

function goalVelocityOption(envId: string, options: MountainCarOptions): number {
  rejectUnknownOptions(envId, options as Record<string, unknown>, ['goal_velocity']);
  const v = rangeOption(envId, options as Record<string, unknown>, 'goal_velocity', 0, MOUNTAIN_CAR_GOAL_VELOCITY_RANGE);
  return v;
}

/** What both versions share: the state, reset, snapshots and the render state. */
abstract class MountainCarBase extends BaseEnv<Float32Array, Action> {
  readonly observationSpace = mountainCarObservationSpace();
  readonly goalVelocity: number;
  /** (position, velocity), float64. */
  readonly state = new Float64Array(2);
  /** Force applied on the last step, in [-1, 1] (0 before the first step), for the viewer. */
  protected lastForce = 0;
  abstract readonly goalPosition: number;

  constructor(envId: string, options: MountainCarOptions) {
    super();
    this.goalVelocity = goalVelocityOption(envId, options);
  }

  protected observation(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.state[0];
    obs[1] = this.state[1];
    return obs;
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    const rng = this.seedStream(args.seed);
    const [low, high] = resetBoundsOption(this.id, args.options, MOUNTAIN_CAR_RESET_LOW, MOUNTAIN_CAR_RESET_HIGH);
    this.state[0] = rng.uniform(low, high);
    this.state[1] = 0;
    this.lastForce = 0;
    this.afterReset();
    return { obs: this.observation(), info: {} };
  }

  protected afterReset(): void {}

  /** The tag getState() writes, so setState() can refuse another env's snapshot. */
  protected abstract readonly stateKind: string;

  getState(): unknown {
    return { kind: this.stateKind, state: Array.from(this.state), lastForce: this.lastForce, rng: this.rng?.state() ?? null };
  }

  setState(s: unknown): void {
    // Every field is checked before any is assigned: a bad snapshot leaves the env as it was.
    const r = new StateReader(this.id, this.stateKind, s);
    const state = r.numbers('state', 2);
    const lastForce = r.number('lastForce', -1, 1);
    const rng = r.nullable('rng', (x, k) => x.rng(k));
    const assignExtra = this.readExtraState(r);
    this.state.set(state);
    this.lastForce = lastForce;
    this.rng = rng ? Rng.fromState(rng) : undefined;
    assignExtra();
  }

  /** Checks a subclass's own snapshot fields and returns their assignment (run only once all checks passed). */
  protected readExtraState(_r: StateReader): () => void {
    return () => {};
  }

  renderState(): MountainCarRenderState {
    return {
      kind: 'mountaincar',
      position: this.state[0],
      velocity: this.state[1],
      minPosition: MOUNTAIN_CAR_MIN_POSITION,
      maxPosition: MOUNTAIN_CAR_MAX_POSITION,
      goalPosition: this.goalPosition,
      force: this.lastForce,
    };
  }
}

export class MountainCarEnv extends MountainCarBase {
  readonly actionSpace = new Discrete(3);
  readonly goalPosition = MOUNTAIN_CAR_GOAL_POSITION;
  protected readonly stateKind = 'MountainCar';

  constructor(options: MountainCarOptions = {}) {
    super('MountainCar-v0', options);
  }

  step(action: Action): StepResult<Float32Array> {
    if (action !== 0 && action !== 1 && action !== 2) assertAction(this.id, this.actionSpace, action);
    const a = action as number;
    let position = this.state[0];
    let velocity = this.state[1];
    // Gymnasium's operation order: velocity + ((a − 1)·force + cos(3·position)·(−gravity)).
    velocity += (a - 1) * MOUNTAIN_CAR_FORCE + Math.cos(3 * position) * -MOUNTAIN_CAR_GRAVITY;
    velocity = Math.min(Math.max(velocity, -MOUNTAIN_CAR_MAX_SPEED), MOUNTAIN_CAR_MAX_SPEED);
    position += velocity;
    position = Math.min(Math.max(position, MOUNTAIN_CAR_MIN_POSITION), MOUNTAIN_CAR_MAX_POSITION);
    if (position === MOUNTAIN_CAR_MIN_POSITION && velocity < 0) velocity = 0; // inelastic left wall
    const terminated = position >= this.goalPosition && velocity >= this.goalVelocity;
    this.state[0] = position;
    this.state[1] = velocity;
    this.lastForce = a - 1;
    return { obs: this.observation(), reward: -1.0, terminated, truncated: false, info: {} };
  }
}

// Float32 images of the Python floats that numpy casts to float32 when they meet a float32 value.
const F32_POWER = Math.fround(MOUNTAIN_CAR_POWER);
const F32_MAX_SPEED = Math.fround(MOUNTAIN_CAR_MAX_SPEED);
const F32_MIN_POSITION = Math.fround(MOUNTAIN_CAR_MIN_POSITION);
const F32_MAX_POSITION = Math.fround(MOUNTAIN_CAR_MAX_POSITION);

export class MountainCarContinuousEnv extends MountainCarBase {
  readonly actionSpace = new Box([-1], [1]);
  readonly goalPosition = MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION;
  protected readonly stateKind = 'MountainCarContinuous';
  /**
   * Whether the state holds float32 values (true after any step) or the float64 values reset() drew. numpy's
   * arithmetic differs between the two, so the first step after a reset is computed in float64 where
   * Gymnasium computes it so.
   */
  private float32State = false;

  constructor(options: MountainCarOptions = {}) {
    super('MountainCarContinuous-v0', options);
  }

  protected override afterReset(): void {
    this.float32State = false;
  }

  step(action: Action): StepResult<Float32Array> {
    assertAction(this.id, this.actionSpace, action);
    const f32 = this.float32State;
    const a = Math.fround((action as Float32Array)[0]);
    let position = this.state[0];
    let velocity = this.state[1];
    // The force is the float32 action (clipping is a no-op for actions inside the box); force·power is a
    // float32 product, and subtracting the Python-float gravity term stays in float32.
    const force = Math.min(Math.max(a, -1.0), 1.0);
    // With a float32 state, 3·position is a float32 product (np.float32 · Python int stays float32).
    const gravityTerm = 0.0025 * Math.cos(f32 ? Math.fround(3 * position) : 3 * position);
    const dv = Math.fround(Math.fround(force * F32_POWER) - Math.fround(gravityTerm));
    velocity = f32 ? Math.fround(velocity + dv) : velocity + dv;
    // Speed clip: compared in float32 when the velocity is float32; a clipped value is the Python float 0.07.
    let velocityIsPyFloat = false;
    if (velocity > (f32 ? F32_MAX_SPEED : MOUNTAIN_CAR_MAX_SPEED)) {
      velocity = MOUNTAIN_CAR_MAX_SPEED;
      velocityIsPyFloat = true;
    }
    if (velocity < (f32 && !velocityIsPyFloat ? -F32_MAX_SPEED : -MOUNTAIN_CAR_MAX_SPEED)) {
      velocity = -MOUNTAIN_CAR_MAX_SPEED;
      velocityIsPyFloat = true;
    }
    // float32 position + Python float: the Python float is cast to float32 first.
    position = f32 ? Math.fround(position + (velocityIsPyFloat ? Math.fround(velocity) : velocity)) : position + velocity;
    let positionIsPyFloat = false;
    if (position > (f32 ? F32_MAX_POSITION : MOUNTAIN_CAR_MAX_POSITION)) {
      position = MOUNTAIN_CAR_MAX_POSITION;
      positionIsPyFloat = true;
    }
    if (position < (f32 && !positionIsPyFloat ? F32_MIN_POSITION : MOUNTAIN_CAR_MIN_POSITION)) {
      position = MOUNTAIN_CAR_MIN_POSITION;
      positionIsPyFloat = true;
    }
    const posF32 = f32 && !positionIsPyFloat;
    const velF32 = f32 && !velocityIsPyFloat;
    if (position === (posF32 ? F32_MIN_POSITION : MOUNTAIN_CAR_MIN_POSITION) && velocity < 0) {
      velocity = 0; // inelastic left wall
    }
    const terminated =
      position >= (posF32 ? Math.fround(this.goalPosition) : this.goalPosition) && velocity >= (velF32 ? Math.fround(this.goalVelocity) : this.goalVelocity);
    // The reward charges the action itself (in float64: math.pow of the float32 action).
    const reward = (terminated ? 100.0 : 0) - a * a * 0.1;
    // Gymnasium stores the new state as float32.
    this.state[0] = Math.fround(position);
    this.state[1] = Math.fround(velocity);
    this.float32State = true;
    this.lastForce = force;
    return { obs: this.observation(), reward, terminated, truncated: false, info: {} };
  }

  override getState(): unknown {
    return { ...(super.getState() as object), float32State: this.float32State };
  }

  protected override readExtraState(r: StateReader): () => void {
    const float32State = r.bool('float32State');
    return () => {
      this.float32State = float32State;
    };
  }
}
