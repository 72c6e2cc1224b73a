/**
 * # Acrobot-v1
 *
 * ## Description
 * Sutton's acrobot ("Generalization in Reinforcement Learning: Successful Examples Using Sparse Coarse Coding",
 * NIPS 1995; Sutton & Barto's book), with the dynamics of Gymnasium's Acrobot-v1: two links hang in a chain
 * from a fixed pivot and only the joint between them is actuated. The agent swings the free end up above a
 * line one link length over the pivot.
 *
 * ## Action space
 * `Discrete(3)`: torque -1, 0 or +1 N·m on the joint between the links.
 *
 * ## Observation space
 * `Box([6])`, float32:
 *
 * | Num | Observation             | Min          | Max         |
 * |-----|-------------------------|--------------|-------------|
 * | 0   | cos(θ1)                 | -1           | 1           |
 * | 1   | sin(θ1)                 | -1           | 1           |
 * | 2   | cos(θ2)                 | -1           | 1           |
 * | 3   | sin(θ2)                 | -1           | 1           |
 * | 4   | θ̇1 (rad/s)              | -4π ≈ -12.57 | 4π          |
 * | 5   | θ̇2 (rad/s)              | -9π ≈ -28.27 | 9π          |
 *
 * θ1 = 0 is the first link pointing down; θ2 is measured relative to the first link. The state is
 * `(θ1, θ2, θ̇1, θ̇2)` in float64.
 *
 * ## Dynamics
 * Each step integrates the equations of motion (the book's version, with the θ̇1² term the NIPS paper omits)
 * over dt = 0.2 s with ONE fourth-order Runge–Kutta step, the torque appended to the state as a fifth,
 * constant component; then the angles are wrapped into [-π, π] and the velocities bounded to ±4π and ±9π.
 * Link masses and lengths 1, centres of mass at 0.5, moments of inertia 1, g = 9.8.
 *
 * ## Rewards
 * -1 per step that does not reach the goal, 0 on the step that does (threshold -100).
 *
 * ## Starting state
 * All four state variables uniform in [-0.1, 0.1], rounded to float32 (as Gymnasium's reset does);
 * `reset({options: {low, high}})` overrides the range (`low > high` is refused).
 *
 * ## Episode end
 * Terminated when the free end is above the line: `-cos(θ1) - cos(θ1 + θ2) > 1`. Truncated after 500 steps
 * by the TimeLimit wrapper that `make('Acrobot-v1')` applies.
 *
 * ## Arguments
 * `make('Acrobot-v1', { book_or_nips?: 'book' | 'nips', torque_noise_max?: number })`: Gymnasium's class
 * attributes of the same names, as options. Defaults: the book's equations and no torque noise (with noise,
 * the torque gets a uniform draw from the env's seeded stream each step); `torque_noise_max` is from 0 to 1 N·m
 * (`ACROBOT_TORQUE_NOISE_RANGE`).
 *
 * ## Precision
 * The arithmetic is Gymnasium's, in the same order, in float64. sin and cos come from V8 (fdlibm) here and from
 * glibc behind numpy there; the two differ in the last bit for a few percent of arguments, and the acrobot is
 * chaotic, so trajectories agree step by step to ~1e-15 but drift apart over hundreds of steps.
 *
 * ## Version history
 * - v1 (tsgym): matches Gymnasium 1.x Acrobot-v1 (sin/cos observation, 500 steps).
 */
import { BaseEnv, assertAction, rangeOption, rejectUnknownOptions, resetBoundsOption, type OptionRange } from './core.js';
import { TsgymError } from '../core/errors.js';
import type { Action, RenderState, ResetArgs, ResetResult, StepResult } from './core.js';
import { Box, Discrete } from './spaces.js';
import { Rng } from '../core/rng.js';
import { StateReader } from './state-check.js';

/** Seconds per step (one RK4 step). */
export const ACROBOT_DT = 0.2;
export const ACROBOT_LINK_LENGTH_1 = 1.0;
export const ACROBOT_LINK_LENGTH_2 = 1.0;
export const ACROBOT_LINK_MASS_1 = 1.0;
export const ACROBOT_LINK_MASS_2 = 1.0;
/** Distance from each link's joint to its centre of mass. */
export const ACROBOT_LINK_COM_POS_1 = 0.5;
export const ACROBOT_LINK_COM_POS_2 = 0.5;
/** Moment of inertia of both links. */
export const ACROBOT_LINK_MOI = 1.0;
export const ACROBOT_GRAVITY = 9.8;
export const ACROBOT_MAX_VEL_1 = 4 * Math.PI;
export const ACROBOT_MAX_VEL_2 = 9 * Math.PI;
/** Torque for actions 0, 1, 2. */
export const ACROBOT_AVAIL_TORQUE = [-1.0, 0.0, 1] as const;
/** Accepted `torque_noise_max` (N·m): at most the size of the torque itself. */
export const ACROBOT_TORQUE_NOISE_RANGE: OptionRange = { min: 0, max: 1, unit: 'N·m' };

/** What `renderState()` gives the viewer's acrobot scene. */
export interface AcrobotRenderState extends RenderState {
  kind: 'acrobot';
  /** θ1 from straight down, θ2 relative to link 1 (rad, counter-clockwise). */
  theta1: number;
  theta2: number;
  linkLength1: number;
  linkLength2: number;
  /** Torque on the last step, 0 before the first. */
  torque: number;
}

export interface AcrobotOptions {
  /** 'book' (default, Sutton & Barto) or 'nips' (the 1995 paper's equations, missing one term). */
  book_or_nips?: 'book' | 'nips';
  /** Half-width of uniform noise added to the torque each step; 0 (default) = none. */
  torque_noise_max?: number;
}

/**
 * Time derivative of the augmented state y = (θ1, θ2, θ̇1, θ̇2, torque), written to out[0..4] (the torque's is 0).
 * The expressions keep Gymnasium's operation order so the float64 results agree bit for bit.
 */
function acrobotDerivatives(y: Float64Array, out: Float64Array, book: boolean): void {
  const m1 = ACROBOT_LINK_MASS_1;
  const m2 = ACROBOT_LINK_MASS_2;
  const l1 = ACROBOT_LINK_LENGTH_1;
  const lc1 = ACROBOT_LINK_COM_POS_1;
  const lc2 = ACROBOT_LINK_COM_POS_2;
  const I1 = ACROBOT_LINK_MOI;
  const I2 = ACROBOT_LINK_MOI;
  const g = ACROBOT_GRAVITY;
  const theta1 = y[0];
  const theta2 = y[1];
  const dtheta1 = y[2];
  const dtheta2 = y[3];
  const a = y[4];
  const cosTheta2 = Math.cos(theta2);
  const sinTheta2 = Math.sin(theta2);
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * cosTheta2) + I1 + I2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * cosTheta2) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sinTheta2 -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sinTheta2 +
    (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  let ddtheta2: number;
  if (book) {
    // The book's equation (and the Java implementation): includes the centripetal term in θ̇1².
    ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sinTheta2 - phi2) / (m2 * lc2 ** 2 + I2 - (d2 * d2) / d1);
  } else {
    ddtheta2 = (a + (d2 / d1) * phi1 - phi2) / (m2 * lc2 ** 2 + I2 - (d2 * d2) / d1);
  }
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
  out[4] = 0.0;
}

/** Wraps x into [m, M] by whole periods (not a clip). */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

function bound(x: number, m: number, M: number): number {
  return Math.min(Math.max(x, m), M);
}

export class AcrobotEnv extends BaseEnv<Float32Array, Action> {
  readonly observationSpace = new Box([-1, -1, -1, -1, -ACROBOT_MAX_VEL_1, -ACROBOT_MAX_VEL_2], [1, 1, 1, 1, ACROBOT_MAX_VEL_1, ACROBOT_MAX_VEL_2]);
  readonly actionSpace = new Discrete(3);
  readonly bookOrNips: 'book' | 'nips';
  readonly torqueNoiseMax: number;
  /** (θ1, θ2, θ̇1, θ̇2), float64. */
  readonly state = new Float64Array(4);
  private lastTorque = 0;
  // RK4 scratch: y0, the stage input and the four slopes (5 components: the torque rides along).
  private readonly y0 = new Float64Array(5);
  private readonly yi = new Float64Array(5);
  private readonly k1 = new Float64Array(5);
  private readonly k2 = new Float64Array(5);
  private readonly k3 = new Float64Array(5);
  private readonly k4 = new Float64Array(5);

  constructor(options: AcrobotOptions = {}) {
    super();
    const opts = options as Record<string, unknown>;
    rejectUnknownOptions('Acrobot-v1', opts, ['book_or_nips', 'torque_noise_max']);
    this.bookOrNips = options.book_or_nips ?? 'book';
    if (this.bookOrNips !== 'book' && this.bookOrNips !== 'nips') {
      throw new TsgymError(`Acrobot-v1: option 'book_or_nips' must be 'book' or 'nips', got ${JSON.stringify(options.book_or_nips)}`);
    }
    this.torqueNoiseMax = rangeOption('Acrobot-v1', opts, 'torque_noise_max', 0, ACROBOT_TORQUE_NOISE_RANGE);
  }

  step(action: Action): StepResult<Float32Array> {
    if (action !== 0 && action !== 1 && action !== 2) assertAction(this.id, this.actionSpace, action);
    let torque: number = ACROBOT_AVAIL_TORQUE[action as number];
    if (this.torqueNoiseMax > 0) torque += this.seedStream(undefined).uniform(-this.torqueNoiseMax, this.torqueNoiseMax);
    this.lastTorque = torque;
    // One RK4 step over [0, dt] of the state augmented with the (constant) torque.
    const { y0, yi, k1, k2, k3, k4 } = this;
    const book = this.bookOrNips === 'book';
    y0.set(this.state);
    y0[4] = torque;
    const dt = ACROBOT_DT - 0; // Gymnasium's rk4 over the sample times [0, dt]: t[1] − t[0]
    const dt2 = dt / 2.0;
    acrobotDerivatives(y0, k1, book);
    for (let i = 0; i < 5; i++) yi[i] = y0[i] + dt2 * k1[i];
    acrobotDerivatives(yi, k2, book);
    for (let i = 0; i < 5; i++) yi[i] = y0[i] + dt2 * k2[i];
    acrobotDerivatives(yi, k3, book);
    for (let i = 0; i < 5; i++) yi[i] = y0[i] + dt * k3[i];
    acrobotDerivatives(yi, k4, book);
    const s = this.state;
    for (let i = 0; i < 4; i++) s[i] = y0[i] + (dt / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    s[0] = wrap(s[0], -Math.PI, Math.PI);
    s[1] = wrap(s[1], -Math.PI, Math.PI);
    s[2] = bound(s[2], -ACROBOT_MAX_VEL_1, ACROBOT_MAX_VEL_1);
    s[3] = bound(s[3], -ACROBOT_MAX_VEL_2, ACROBOT_MAX_VEL_2);
    const terminated = -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;
    return { obs: this.observation(), reward: terminated ? 0.0 : -1.0, terminated, truncated: false, info: {} };
  }

  private observation(): Float32Array {
    const s = this.state;
    const obs = new Float32Array(6);
    obs[0] = Math.cos(s[0]);
    obs[1] = Math.sin(s[0]);
    obs[2] = Math.cos(s[1]);
    obs[3] = Math.sin(s[1]);
    obs[4] = s[2];
    obs[5] = s[3];
    return obs;
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    const rng = this.seedStream(args.seed);
    const [low, high] = resetBoundsOption(this.id, args.options, -0.1, 0.1);
    // Gymnasium draws in float64 and stores the start state as float32.
    for (let i = 0; i < 4; i++) this.state[i] = Math.fround(rng.uniform(low, high));
    this.lastTorque = 0;
    return { obs: this.observation(), info: {} };
  }

  getState(): unknown {
    return { kind: 'Acrobot', state: Array.from(this.state), lastTorque: this.lastTorque, rng: this.rng?.state() ?? null };
  }

  setState(s: unknown): void {
    // Every field is checked before any is assigned: a bad snapshot leaves the env as it was.
    const r = new StateReader(this.id, 'Acrobot', s);
    const state = r.numbers('state', 4);
    const lastTorque = r.number('lastTorque');
    const rng = r.nullable('rng', (x, k) => x.rng(k));
    this.state.set(state);
    this.lastTorque = lastTorque;
    this.rng = rng ? Rng.fromState(rng) : undefined;
  }

  renderState(): AcrobotRenderState {
    return {
      kind: 'acrobot',
      theta1: this.state[0],
      theta2: this.state[1],
      linkLength1: ACROBOT_LINK_LENGTH_1,
      linkLength2: ACROBOT_LINK_LENGTH_2,
      torque: this.lastTorque,
    };
  }
}
