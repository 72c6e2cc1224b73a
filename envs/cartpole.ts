/**
 * # CartPole-v1
 *
 * ## Description
 * The cart-pole problem of Barto, Sutton & Anderson, "Neuronlike Adaptive Elements That Can Solve Difficult
 * Learning Control Problems" (1983), with the dynamics of Gymnasium's CartPole-v1 (corrected equations of
 * Florian, 2007, as Gymnasium uses them). A pole is hinged on a cart that moves along a frictionless track;
 * the pole starts upright and the agent pushes the cart left or right to keep it balanced.
 *
 * ## Action space
 * `Discrete(2)`: 0 pushes the cart to the left, 1 to the right, with a fixed force of 10 N. The velocity
 * change a push causes depends on the pole angle: the pole's centre of mass shifts the cost of moving.
 *
 * ## Observation space
 * `Box([4])`, float32:
 *
 * | Num | Observation           | Min                  | Max                |
 * |-----|-----------------------|----------------------|--------------------|
 * | 0   | Cart position (m)     | -4.8                 | 4.8                |
 * | 1   | Cart velocity (m/s)   | -Inf                 | Inf                |
 * | 2   | Pole angle (rad)      | ~ -0.418 (-24°)      | ~ 0.418 (24°)      |
 * | 3   | Pole angular velocity | -Inf                 | Inf                |
 *
 * The bounds are twice the termination limits: the episode ends well before the state leaves the box.
 *
 * ## Rewards
 * +1 for every step taken, the terminating step included (the threshold for "solved" is 475 over 500 steps).
 * With `suttonBartoReward: true`: 0 per step and -1 on the step that terminates. Stepping again after
 * termination is an error when the env comes from `make` (the order checker); on the bare env it returns 0
 * (or -1 with the Sutton–Barto reward), as Gymnasium does.
 *
 * ## Starting state
 * All four state variables uniform in (-0.05, 0.05); `reset({options: {low, high}})` overrides the bounds.
 *
 * ## Episode end
 * Terminated when |pole angle| > 12° or |cart position| > 2.4 (the cart's centre leaves the track).
 * Truncated after 500 steps by the TimeLimit wrapper that `make('CartPole-v1')` applies.
 *
 * ## Arguments
 * `make('CartPole-v1', { suttonBartoReward?: boolean, integrator?: 'euler' | 'semi-implicit-euler' })`.
 * Euler is the default, as in Gymnasium; the semi-implicit variant updates velocities before positions.
 * The state is float64 internally; observations are float32 copies of it.
 *
 * ## Version history
 * - v1 (tsgym 0.1): matches Gymnasium CartPole-v1 (max 500 steps, threshold 475).
 */
import { assertAction, BaseEnv, numberOption, rejectUnknownOptions } from './core.js';
import { TsgymError } from '../core/errors.js';
import type { RenderState, ResetArgs, ResetResult, StepResult } from './core.js';
import { Box, Discrete } from './spaces.js';
import { Rng, deriveSeed, type RngState } from '../core/rng.js';
import { assertDiscreteActions, perEnvSeeds, VectorEnvBase, type VectorEnv, type VectorResetArgs } from './vector.js';
import type { EnvSpec } from './core.js';
import { StateReader, checkRngState } from './state-check.js';

// Physical constants (SI units), as in Gymnasium.
export const GRAVITY = 9.8;
export const MASS_CART = 1.0;
export const MASS_POLE = 0.1;
export const TOTAL_MASS = MASS_POLE + MASS_CART;
/** Half the pole's length (m): the distance from the hinge to the pole's centre of mass. */
export const HALF_POLE_LENGTH = 0.5;
export const POLE_MASS_LENGTH = MASS_POLE * HALF_POLE_LENGTH;
export const FORCE_MAG = 10.0;
/** Seconds between state updates. */
export const TAU = 0.02;
export const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
export const X_THRESHOLD = 2.4;
/** Full pole length (m), as drawn. */
export const POLE_LENGTH = 2 * HALF_POLE_LENGTH;

/** What `renderState()` gives the viewer's cartpole scene. */
export interface CartPoleRenderState extends RenderState {
  kind: 'cartpole';
  /** Cart position (m). */
  x: number;
  /** Pole angle from vertical (rad), positive leaning right. */
  theta: number;
  /** The track half-length beyond which the episode ends (m). */
  xThreshold: number;
  poleLength: number;
  /** -1 left push, +1 right push, 0 before the first step. */
  force: -1 | 0 | 1;
}

export type CartPoleIntegrator = 'euler' | 'semi-implicit-euler';

export interface CartPoleOptions {
  suttonBartoReward?: boolean;
  integrator?: CartPoleIntegrator;
}

const OBS_HIGH = [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD_RADIANS * 2, Infinity];

export function cartPoleObservationSpace(): Box {
  return new Box(OBS_HIGH.map((v) => -v), OBS_HIGH, [4]);
}

/**
 * One step of the cart-pole dynamics on a float64 state, in place: `state[o..o+3] = (x, xDot, theta, thetaDot)`.
 * Shared by the single env and the batched vector env so both integrate the same way, bit for bit.
 * @returns whether the new state is terminal.
 */
export function cartPoleDynamics(state: Float64Array, o: number, action: number, semiImplicit: boolean): boolean {
  let x = state[o];
  let xDot = state[o + 1];
  let theta = state[o + 2];
  let thetaDot = state[o + 3];
  const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
  const cosTheta = Math.cos(theta);
  const sinTheta = Math.sin(theta);
  // Florian (2007), eq. 23 and 24 with no friction.
  const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sinTheta) / TOTAL_MASS;
  const thetaAcc = (GRAVITY * sinTheta - cosTheta * temp) / (HALF_POLE_LENGTH * (4.0 / 3.0 - (MASS_POLE * cosTheta * cosTheta) / TOTAL_MASS));
  const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cosTheta) / TOTAL_MASS;
  if (semiImplicit) {
    xDot = xDot + TAU * xAcc;
    x = x + TAU * xDot;
    thetaDot = thetaDot + TAU * thetaAcc;
    theta = theta + TAU * thetaDot;
  } else {
    x = x + TAU * xDot;
    xDot = xDot + TAU * xAcc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaAcc;
  }
  state[o] = x;
  state[o + 1] = xDot;
  state[o + 2] = theta;
  state[o + 3] = thetaDot;
  return x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD_RADIANS || theta > THETA_THRESHOLD_RADIANS;
}

/** Reads the reset bounds from `options.low/high` (default ±0.05), with a clear error for bad values. */
export function cartPoleResetBounds(envId: string, options: Record<string, unknown> | undefined): [number, number] {
  rejectUnknownOptions(envId, options, ['low', 'high']);
  const low = numberOption(envId, options, 'low', -0.05);
  const high = numberOption(envId, options, 'high', 0.05);
  if (!(low < high)) throw new TsgymError(`${envId}: reset option low (${low}) must be below high (${high})`);
  return [low, high];
}

export class CartPoleEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = cartPoleObservationSpace();
  readonly actionSpace = new Discrete(2);
  readonly suttonBartoReward: boolean;
  readonly integrator: CartPoleIntegrator;
  /** (x, xDot, theta, thetaDot), float64. */
  readonly state = new Float64Array(4);
  private stepsBeyondTerminated: number | null = null;
  private lastAction = -1;

  constructor(options: CartPoleOptions = {}) {
    super();
    rejectUnknownOptions('CartPole-v1', options as Record<string, unknown>, ['suttonBartoReward', 'integrator']);
    this.suttonBartoReward = options.suttonBartoReward ?? false;
    this.integrator = options.integrator ?? 'euler';
    if (this.integrator !== 'euler' && this.integrator !== 'semi-implicit-euler') {
      throw new TsgymError(`CartPole-v1: option 'integrator' must be 'euler' or 'semi-implicit-euler', got '${String(this.integrator)}'`);
    }
  }

  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1) assertAction(this.id, this.actionSpace, action);
    const terminated = cartPoleDynamics(this.state, 0, action, this.integrator === 'semi-implicit-euler');
    this.lastAction = action;
    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0 : 1;
    } else if (this.stepsBeyondTerminated === null) {
      // The pole just fell: this step still earns its reward (Gymnasium's convention).
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1 : 1;
    } else {
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1 : 0;
    }
    return { obs: this.observation(), reward, terminated, truncated: false, info: {} };
  }

  /** A fresh float32 copy of the state (element by element: much faster than Float32Array.from). */
  private observation(): Float32Array {
    const obs = new Float32Array(4);
    obs[0] = this.state[0];
    obs[1] = this.state[1];
    obs[2] = this.state[2];
    obs[3] = this.state[3];
    return obs;
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    const rng = this.seedStream(args.seed);
    const [low, high] = cartPoleResetBounds(this.id, args.options);
    for (let i = 0; i < 4; i++) this.state[i] = rng.uniform(low, high);
    this.stepsBeyondTerminated = null;
    this.lastAction = -1;
    return { obs: this.observation(), info: {} };
  }

  getState(): unknown {
    return { kind: 'CartPole', state: Array.from(this.state), stepsBeyondTerminated: this.stepsBeyondTerminated, lastAction: this.lastAction, rng: this.rng?.state() ?? null };
  }

  setState(s: unknown): void {
    // Every field is checked before any is assigned: a bad snapshot leaves the env as it was.
    const r = new StateReader(this.id, 'CartPole', s);
    const state = r.numbers('state', 4);
    const stepsBeyondTerminated = r.nullable('stepsBeyondTerminated', (x, k) => x.int(k, 0));
    const lastAction = r.int('lastAction', -1, 1);
    const rng = r.nullable('rng', (x, k) => x.rng(k));
    this.state.set(state);
    this.stepsBeyondTerminated = stepsBeyondTerminated;
    this.lastAction = lastAction;
    this.rng = rng ? Rng.fromState(rng) : undefined;
  }

  renderState(): CartPoleRenderState {
    return {
      kind: 'cartpole',
      x: this.state[0],
      theta: this.state[2],
      xThreshold: X_THRESHOLD,
      poleLength: POLE_LENGTH,
      force: this.lastAction === -1 ? 0 : this.lastAction === 1 ? 1 : -1,
    };
  }
}

/**
 * N cart-poles in structure-of-arrays form, with the time limit built in: the fast path behind
 * `makeVec('CartPole-v1', n)`. Env i reset with seed s produces exactly the episode of a single
 * `CartPoleEnv` reset with seed s (same dynamics function, same stream derivation).
 */
export class CartPoleVectorEnv extends VectorEnvBase implements VectorEnv {
  readonly singleObservationSpace = cartPoleObservationSpace();
  readonly singleActionSpace = new Discrete(2);
  readonly actionSize = 1;
  /** Row-major (x, xDot, theta, thetaDot) per env, float64. */
  readonly state: Float64Array;
  private readonly elapsed: Int32Array;
  private readonly lastActions: Int8Array;
  private readonly rngs: Rng[];
  private readonly semiImplicit: boolean;
  private readonly stepReward: number;
  private readonly terminalReward: number;
  private low = -0.05;
  private high = 0.05;

  constructor(numEnvs: number, readonly spec: EnvSpec, options: CartPoleOptions = {}, readonly maxEpisodeSteps = 500) {
    super(numEnvs, 4);
    const probe = new CartPoleEnv(options); // validates the options
    this.semiImplicit = probe.integrator === 'semi-implicit-euler';
    this.stepReward = probe.suttonBartoReward ? 0 : 1;
    this.terminalReward = probe.suttonBartoReward ? -1 : 1;
    this.state = new Float64Array(numEnvs * 4);
    this.elapsed = new Int32Array(numEnvs);
    this.lastActions = new Int8Array(numEnvs).fill(-1);
    this.rngs = new Array<Rng>(numEnvs);
  }

  reset(args: VectorResetArgs = {}): Float32Array {
    [this.low, this.high] = cartPoleResetBounds(this.spec.id, args.options);
    const seeds = perEnvSeeds(this.spec.id, this.numEnvs, args.seed ?? (this.started ? undefined : 0));
    for (let i = 0; i < this.numEnvs; i++) {
      if (seeds) this.rngs[i] = new Rng(deriveSeed(seeds[i], 'env'));
      this.resetOne(i);
    }
    this.clearEpisodeStats();
    this.started = true;
    return this.obs;
  }

  private resetOne(i: number): void {
    const rng = this.rngs[i];
    const o = i * 4;
    for (let k = 0; k < 4; k++) {
      const v = rng.uniform(this.low, this.high);
      this.state[o + k] = v;
      this.obs[o + k] = v;
    }
    this.elapsed[i] = 0;
    this.lastActions[i] = -1;
  }

  step(actions: ArrayLike<number>): void {
    this.checkStarted(this.spec.id);
    this.checkActions(this.spec.id, actions, this.numEnvs);
    // Every action is checked before any env steps (a cheap pre-pass), so a bad one leaves the batch untouched.
    for (let i = 0; i < this.numEnvs; i++) {
      const a = actions[i];
      if (a !== 0 && a !== 1) assertDiscreteActions(this.spec.id, this.singleActionSpace, actions, this.numEnvs);
    }
    // Hot loop: typed arrays in locals, book-keeping inlined (this runs at tens of millions of steps/s).
    const s = this.state;
    const obs = this.obs;
    const finalObs = this.finalObs;
    const rewards = this.rewards;
    const terminatedOut = this.terminated;
    const truncatedOut = this.truncated;
    const elapsed = this.elapsed;
    const lastActions = this.lastActions;
    const runningReturns = this.runningReturns;
    const runningLengths = this.runningLengths;
    const semiImplicit = this.semiImplicit;
    const maxSteps = this.maxEpisodeSteps;
    for (let i = 0; i < this.numEnvs; i++) {
      const a = actions[i];
      const o = i * 4;
      const terminated = cartPoleDynamics(s, o, a, semiImplicit);
      lastActions[i] = a;
      const truncated = ++elapsed[i] >= maxSteps;
      const reward = terminated ? this.terminalReward : this.stepReward;
      rewards[i] = reward;
      terminatedOut[i] = terminated ? 1 : 0;
      truncatedOut[i] = truncated ? 1 : 0;
      runningReturns[i] += reward;
      runningLengths[i]++;
      if (terminated || truncated) {
        this.episodeReturns[i] = runningReturns[i];
        this.episodeLengths[i] = runningLengths[i];
        runningReturns[i] = 0;
        runningLengths[i] = 0;
        finalObs[o] = s[o];
        finalObs[o + 1] = s[o + 1];
        finalObs[o + 2] = s[o + 2];
        finalObs[o + 3] = s[o + 3];
        this.resetOne(i);
      } else {
        obs[o] = s[o];
        obs[o + 1] = s[o + 1];
        obs[o + 2] = s[o + 2];
        obs[o + 3] = s[o + 3];
      }
    }
  }

  renderState(i: number): CartPoleRenderState {
    const a = this.lastActions[i];
    return { kind: 'cartpole', x: this.state[i * 4], theta: this.state[i * 4 + 2], xThreshold: X_THRESHOLD, poleLength: POLE_LENGTH, force: a === -1 ? 0 : a === 1 ? 1 : -1 };
  }

  getState(): unknown {
    return {
      kind: 'CartPoleVector',
      started: this.started,
      state: Array.from(this.state),
      obs: Array.from(this.obs),
      elapsed: Array.from(this.elapsed),
      lastActions: Array.from(this.lastActions),
      runningReturns: Array.from(this.runningReturns),
      runningLengths: Array.from(this.runningLengths),
      rngs: Array.from(this.rngs, (r) => (r ? r.state() : null)),
      bounds: [this.low, this.high],
    };
  }

  setState(s: unknown): void {
    // Every field is checked (lengths for this many envs, types, finite numbers) before any is assigned.
    const id = `${this.spec.id} (vector of ${this.numEnvs})`;
    const r = new StateReader(id, 'CartPoleVector', s);
    const n = this.numEnvs;
    const started = r.bool('started');
    const state = r.numbers('state', n * 4);
    const obs = r.numbers('obs', n * 4);
    const elapsed = r.numbers('elapsed', n, { integer: true, min: 0, max: this.maxEpisodeSteps });
    const lastActions = r.numbers('lastActions', n, { integer: true, min: -1, max: 1 });
    const runningReturns = r.numbers('runningReturns', n);
    const runningLengths = r.numbers('runningLengths', n, { integer: true, min: 0 });
    const rngs = r.array('rngs', n).map((x, i) => (x === null && !started ? null : checkRngState(id, `rngs[${i}]`, x)));
    const [low, high] = r.numbers('bounds', 2);
    this.started = started;
    this.state.set(state);
    this.obs.set(obs);
    this.elapsed.set(elapsed);
    this.lastActions.set(lastActions);
    this.runningReturns.set(runningReturns);
    this.runningLengths.set(runningLengths);
    rngs.forEach((st, i) => (this.rngs[i] = st ? Rng.fromState(st) : (undefined as unknown as Rng)));
    [this.low, this.high] = [low, high];
  }

  close(): void {}
}
