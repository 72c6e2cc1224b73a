/**
 * # Pendulum-v1
 *
 * ## Description
 * The inverted-pendulum swing-up of control theory, with the dynamics of Gymnasium's Pendulum-v1: a rigid rod
 * (mass 1 kg, length 1 m) hangs from a fixed pivot; the agent applies a torque at the pivot to swing the rod up
 * and hold it upright. The motor is too weak to lift the rod directly: it has to pump energy in first.
 *
 * ## Action space
 * `Box(-2, 2, [1])`, float32: the torque in N·m, positive counter-clockwise. Actions outside the box are
 * rejected, as for every tsgym env (Gymnasium clips them instead; `step` keeps the clip, which never changes
 * an action inside the box).
 *
 * ## Observation space
 * `Box([3])`, float32:
 *
 * | Num | Observation              | Min  | Max |
 * |-----|--------------------------|------|-----|
 * | 0   | x = cos(θ)               | -1.0 | 1.0 |
 * | 1   | y = sin(θ)               | -1.0 | 1.0 |
 * | 2   | Angular velocity (rad/s) | -8.0 | 8.0 |
 *
 * θ = 0 is upright. The state itself is `(θ, θ̇)` in float64, and θ is NOT wrapped: a pendulum that spins keeps
 * accumulating angle, exactly as in Gymnasium; only the cost normalises it to [-π, π).
 *
 * ## Rewards
 * `-(norm(θ)² + 0.1·θ̇² + 0.001·u²)` with the state before the step and the applied torque u; between
 * about -16.27 (hanging, spinning at 8 rad/s, full torque) and 0 (upright, still, no torque).
 * Gymnasium computes the torque term in float32 (u is a float32 action); so does this env.
 *
 * ## Starting state
 * θ uniform in [-π, π], θ̇ uniform in [-1, 1]. `reset({options: {x_init, y_init}})` replaces the bounds with
 * [-x_init, x_init] and [-y_init, y_init] (Gymnasium's option names; the ranges stay symmetric).
 *
 * ## Episode end
 * Never terminates. Truncated after 200 steps by the TimeLimit wrapper that `make('Pendulum-v1')` applies.
 * There is no reward threshold (Gymnasium registers none); -200 is the usual mark of a solved swing-up.
 *
 * ## Arguments
 * `make('Pendulum-v1', { g?: number })`: gravity in m/s², default 10.0, from 0 to 100 (`PENDULUM_G_RANGE`).
 *
 * ## Version history
 * - v1 (tsgym): matches Gymnasium 1.x Pendulum-v1 step for step (dt = 0.05 s, speed clipped at 8 rad/s).
 */
import { assertAction, BaseEnv, numberOption, rangeOption, rejectUnknownOptions, type OptionRange } from './core.js';
import { TsgymError } from '../core/errors.js';
import type { Action, RenderState, ResetArgs, ResetResult, StepResult } from './core.js';
import { Box } from './spaces.js';
import { Rng } from '../core/rng.js';
import { StateReader } from './state-check.js';

export const PENDULUM_MAX_SPEED = 8;
export const PENDULUM_MAX_TORQUE = 2.0;
/** Seconds per step. */
export const PENDULUM_DT = 0.05;
export const PENDULUM_DEFAULT_G = 10.0;
/** Accepted gravity (option `g`): none up to ten times the default, far past where 2 N·m can still swing it up. */
export const PENDULUM_G_RANGE: OptionRange = { min: 0, max: 100, unit: 'm/s²' };
export const PENDULUM_MASS = 1.0;
export const PENDULUM_LENGTH = 1.0;

/** What `renderState()` gives the viewer's pendulum scene. */
export interface PendulumRenderState extends RenderState {
  kind: 'pendulum';
  /** Unwrapped angle from upright (rad), counter-clockwise positive. */
  theta: number;
  thetaDot: number;
  /** Torque applied on the last step (N·m), 0 before the first. */
  torque: number;
  maxTorque: number;
  length: number;
}
/** Default reset half-ranges of θ and θ̇ (options `x_init`, `y_init`). */
export const PENDULUM_DEFAULT_X_INIT = Math.PI;
export const PENDULUM_DEFAULT_Y_INIT = 1.0;

/** 0.001 as the float32 Gymnasium multiplies the float32 u² by (numpy keeps float32 · Python float in float32). */
const TORQUE_COST_F32 = Math.fround(0.001);

export interface PendulumOptions {
  g?: number;
}

/** θ mapped to [-π, π) the way Gymnasium's angle_normalize does: Python's floored modulo, not JS's `%`. */
export function angleNormalize(x: number): number {
  const period = 2 * Math.PI;
  let r = (x + Math.PI) % period;
  if (r !== 0 && r < 0) r += period; // floored modulo: the result takes the divisor's sign
  else if (r === 0) r = 0; // -0 → +0, as numpy's copysign(0, period)
  return r - Math.PI;
}

export class PendulumEnv extends BaseEnv<Float32Array, Action> {
  readonly observationSpace = new Box([-1, -1, -PENDULUM_MAX_SPEED], [1, 1, PENDULUM_MAX_SPEED]);
  readonly actionSpace = new Box([-PENDULUM_MAX_TORQUE], [PENDULUM_MAX_TORQUE]);
  readonly g: number;
  /** (θ, θ̇), float64; θ unwrapped, 0 = upright. */
  readonly state = new Float64Array(2);
  /** The torque applied on the last step (for rendering), null before the first. */
  private lastU: number | null = null;

  constructor(options: PendulumOptions = {}) {
    super();
    rejectUnknownOptions('Pendulum-v1', options as Record<string, unknown>, ['g']);
    this.g = rangeOption('Pendulum-v1', options as Record<string, unknown>, 'g', PENDULUM_DEFAULT_G, PENDULUM_G_RANGE);
  }

  step(action: Action): StepResult<Float32Array> {
    assertAction(this.id, this.actionSpace, action);
    const th = this.state[0];
    const thdot = this.state[1];
    const g = this.g;
    const m = PENDULUM_MASS;
    const l = PENDULUM_LENGTH;
    const dt = PENDULUM_DT;
    // u stays a float32 value, as the float32 action does in Gymnasium.
    const u = Math.min(Math.max(Math.fround((action as Float32Array)[0]), -PENDULUM_MAX_TORQUE), PENDULUM_MAX_TORQUE);
    this.lastU = u;
    // The cost uses the state before the step; numpy evaluates 0.001·u² in float32 (u is np.float32).
    const an = angleNormalize(th);
    const costs = an * an + 0.1 * (thdot * thdot) + Math.fround(TORQUE_COST_F32 * Math.fround(u * u));
    // Likewise 3/(m·l²)·u is a float32 product before it joins the float64 sum.
    const torqueTerm = Math.fround((3.0 / (m * l ** 2)) * u);
    let newthdot = thdot + (((3 * g) / (2 * l)) * Math.sin(th) + torqueTerm) * dt;
    newthdot = Math.min(Math.max(newthdot, -PENDULUM_MAX_SPEED), PENDULUM_MAX_SPEED);
    const newth = th + newthdot * dt;
    this.state[0] = newth;
    this.state[1] = newthdot;
    return { obs: this.observation(), reward: -costs, terminated: false, truncated: false, info: {} };
  }

  private observation(): Float32Array {
    const obs = new Float32Array(3);
    obs[0] = Math.cos(this.state[0]);
    obs[1] = Math.sin(this.state[0]);
    obs[2] = this.state[1];
    return obs;
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    const rng = this.seedStream(args.seed);
    rejectUnknownOptions(this.id, args.options, ['x_init', 'y_init']);
    const x = numberOption(this.id, args.options, 'x_init', PENDULUM_DEFAULT_X_INIT);
    const y = numberOption(this.id, args.options, 'y_init', PENDULUM_DEFAULT_Y_INIT);
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new TsgymError(`${this.id}: reset options x_init and y_init must be finite numbers, got ${x} and ${y}`);
    // Symmetric ranges, as Gymnasium enforces: θ in [-x, x], θ̇ in [-y, y].
    this.state[0] = rng.uniform(-x, x);
    this.state[1] = rng.uniform(-y, y);
    this.lastU = null;
    return { obs: this.observation(), info: {} };
  }

  getState(): unknown {
    return { kind: 'Pendulum', state: Array.from(this.state), lastU: this.lastU, rng: this.rng?.state() ?? null };
  }

  setState(s: unknown): void {
    // Every field is checked before any is assigned: a bad snapshot leaves the env as it was.
    const r = new StateReader(this.id, 'Pendulum', s);
    const state = r.numbers('state', 2);
    const lastU = r.nullable('lastU', (x, k) => x.number(k, -PENDULUM_MAX_TORQUE, PENDULUM_MAX_TORQUE));
    const rng = r.nullable('rng', (x, k) => x.rng(k));
    this.state.set(state);
    this.lastU = lastU;
    this.rng = rng ? Rng.fromState(rng) : undefined;
  }

  renderState(): PendulumRenderState {
    return {
      kind: 'pendulum',
      theta: this.state[0],
      thetaDot: this.state[1],
      torque: this.lastU ?? 0,
      maxTorque: PENDULUM_MAX_TORQUE,
      length: PENDULUM_LENGTH,
    };
  }
}
