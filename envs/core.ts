/**
 * The environment contract, Gymnasium-style.
 *
 * - `reset({seed, options}) → {obs, info}` starts an episode. A seed reseeds the env's own random stream
 *   (same seed + same actions → the same episode, bit for bit); no seed continues the current stream.
 *   An env that was never seeded behaves as if seeded with 0: tsgym never draws entropy from the machine.
 * - `step(action) → {obs, reward, terminated, truncated, info}`. `terminated`: the MDP reached a terminal
 *   state (no bootstrapping past it). `truncated`: the episode was cut short (time limit, car off the
 *   generated road map, …) and the value of `obs` still counts when bootstrapping.
 * - `renderState()`: a small JSON-able snapshot of what a viewer needs to draw the current frame.
 */
import type { Space } from './spaces.js';
import { Rng, deriveSeed } from '../core/rng.js';
import { TsgymError } from '../core/errors.js';

/** Per-step and per-reset side information. Always a plain object. */
export type Info = Record<string, unknown>;

export interface ResetArgs {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<O> {
  obs: O;
  info: Info;
}

export interface StepResult<O> {
  obs: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

/** A JSON-able frame description; `kind` names the scene that draws it (e.g. 'cartpole'). */
export interface RenderState {
  kind: string;
  [key: string]: unknown;
}

/** What the registry knows about an env id. */
export interface EnvSpec {
  id: string;
  /** Steps after which the TimeLimit wrapper truncates; undefined = no limit. */
  maxEpisodeSteps?: number;
  /** Average return at which the task counts as solved. */
  rewardThreshold?: number;
  /** The constructor options this instance was made with. */
  kwargs: Record<string, unknown>;
}

/** The default action type: an integer for Discrete, a float vector for Box. */
export type Action = number | Float32Array;

export interface Env<O = Float32Array, A = Action> {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  spec: EnvSpec | undefined;
  reset(args?: ResetArgs): ResetResult<O>;
  step(action: A): StepResult<O>;
  renderState(): RenderState;
  close(): void;
  /** The innermost env, below every wrapper. */
  readonly unwrapped: Env<O, A>;
  /**
   * A JSON-able snapshot of everything that determines the future (state, random stream, counters), and its
   * inverse: what lets a killed training run resume bit-exactly. Optional for user envs.
   */
  getState?(): unknown;
  setState?(state: unknown): void;
}

/** An action that is not in the action space. */
export class InvalidActionError extends TsgymError {
  override name = 'InvalidActionError';
}

/** An API call in the wrong order (step before reset, step after the episode ended). */
export class ResetNeededError extends TsgymError {
  override name = 'ResetNeededError';
}

/** Throws an {@link InvalidActionError} naming the env, the action and the space unless `space` contains `action`. */
export function assertAction(envId: string, space: Space, action: unknown): void {
  if (space.contains(action)) return;
  throw new InvalidActionError(`${envId}: invalid action ${describeValue(action)}: ${explainSpace(space, action)}`);
}

function explainSpace(space: Space, action: unknown): string {
  if (space.type === 'Discrete') {
    return `the action space is ${space} — pass an integer from ${space.start} to ${space.start + space.n - 1}`;
  }
  const len = ArrayBuffer.isView(action) || Array.isArray(action) ? (action as ArrayLike<unknown>).length : undefined;
  const lenNote = len !== undefined && len !== space.size ? ` (got length ${len}, need ${space.size})` : '';
  return `the action space is ${space} — pass a Float32Array of length ${space.size} with finite values inside the bounds${lenNote}`;
}

export function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === null || v === undefined) return String(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const arr = Array.from(v as unknown as ArrayLike<number>).slice(0, 8);
    return `${v.constructor.name} [${arr.join(', ')}${(v as unknown as ArrayLike<number>).length > 8 ? ', …' : ''}]`;
  }
  if (Array.isArray(v)) return `[${v.slice(0, 8).map((x) => JSON.stringify(x)).join(', ')}${v.length > 8 ? ', …' : ''}]`;
  try {
    return `${typeof v} ${JSON.stringify(v)}`;
  } catch {
    return typeof v;
  }
}

/**
 * Shared seeding for env implementations: `reset({seed})` replaces the stream, `reset()` continues it, and
 * the first unseeded reset uses seed 0.
 */
export abstract class BaseEnv<O = Float32Array, A = Action> implements Env<O, A> {
  abstract readonly observationSpace: Space;
  abstract readonly actionSpace: Space;
  spec: EnvSpec | undefined = undefined;
  protected rng: Rng | undefined;

  /** Reseeds (or first-seeds) the env's stream; call at the top of `reset`. Returns the stream. */
  protected seedStream(seed: number | undefined): Rng {
    if (seed !== undefined) {
      if (!Number.isInteger(seed)) throw new TsgymError(`${this.id}: reset seed must be an integer, got ${describeValue(seed)}`);
      this.rng = new Rng(deriveSeed(seed, 'env'));
    } else if (!this.rng) {
      this.rng = new Rng(deriveSeed(0, 'env'));
    }
    return this.rng;
  }

  /** The env id used in error messages. */
  get id(): string {
    return this.spec?.id ?? this.constructor.name;
  }

  get unwrapped(): Env<O, A> {
    return this;
  }

  abstract reset(args?: ResetArgs): ResetResult<O>;
  abstract step(action: A): StepResult<O>;
  abstract renderState(): RenderState;
  close(): void {}
}

/** Reads a numeric option, with a clear error for a wrong type. */
export function numberOption(envId: string, options: Record<string, unknown> | undefined, key: string, fallback: number): number {
  const v = options?.[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TsgymError(`${envId}: option '${key}' must be a number, got ${describeValue(v)}`);
  return v;
}

/** The documented range of a numeric option, bounds included; `unit` is shown after them in messages. */
export interface OptionRange {
  readonly min: number;
  readonly max: number;
  readonly unit?: string;
}

/** Throws one line naming the option, the value and the range when `value` is outside `range` (or NaN). */
export function checkOptionRange(envId: string, key: string, value: number, range: OptionRange): number {
  if (!(value >= range.min && value <= range.max)) {
    throw new TsgymError(`${envId}: option '${key}' must be between ${range.min} and ${range.max}${range.unit ? ` ${range.unit}` : ''}, got ${value}`);
  }
  return value;
}

/** Reads a numeric option that must lie in `range` (see {@link checkOptionRange}). */
export function rangeOption(envId: string, options: Record<string, unknown> | undefined, key: string, fallback: number, range: OptionRange): number {
  return checkOptionRange(envId, key, numberOption(envId, options, key, fallback), range);
}

/** Throws a clear error when `options` has keys not in `known`. */
export function rejectUnknownOptions(envId: string, options: Record<string, unknown> | undefined, known: readonly string[]): void {
  if (!options) return;
  const unknown = Object.keys(options).filter((k) => !known.includes(k) && options[k] !== undefined);
  if (unknown.length) {
    throw new TsgymError(`${envId}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; valid options: ${known.join(', ') || '(none)'}`);
  }
}

/**
 * Reads a uniform start-state range from reset options `low` / `high` (Gymnasium's classic-control
 * `maybe_parse_reset_bounds`): each defaults on its own, and `low > high` is refused (`low == high` pins the start).
 */
export function resetBoundsOption(envId: string, options: Record<string, unknown> | undefined, defaultLow: number, defaultHigh: number): [number, number] {
  rejectUnknownOptions(envId, options, ['low', 'high']);
  const low = numberOption(envId, options, 'low', defaultLow);
  const high = numberOption(envId, options, 'high', defaultHigh);
  if (!Number.isFinite(low) || !Number.isFinite(high)) throw new TsgymError(`${envId}: reset options low and high must be finite numbers, got ${low} and ${high}`);
  if (low > high) throw new TsgymError(`${envId}: reset option low (${low}) must not be above high (${high})`);
  return [low, high];
}
