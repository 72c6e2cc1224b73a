/**
 * The env registry: ids → constructors, time limits and reward thresholds. `make(id)` builds an env the
 * way users expect from Gymnasium (order checks + time limit); `makeVec(id, n)` builds a vector env,
 * using a batched kernel when the env has one.
 *
 * The built-in envs are registered at the bottom of this file.
 */
import { TsgymError } from '../core/errors.js';
import type { Action, Env, EnvSpec } from './core.js';
import { OrderEnforcing, TimeLimit } from './wrappers.js';
import { SyncVectorEnv, checkNumEnvs, type VectorEnv } from './vector.js';
import { CartPoleEnv, CartPoleVectorEnv, type CartPoleOptions } from './cartpole.js';
import { LaneKeeperContinuousEnv, LaneKeeperEnv, type LaneKeeperOptions } from './lanekeeper.js';
import { GridWorldEnv, resolveLayout, type GridLayout, type GridWorldOptions } from './gridworld.js';
import { PendulumEnv, type PendulumOptions } from './pendulum.js';
import { AcrobotEnv, type AcrobotOptions } from './acrobot.js';
import { MountainCarContinuousEnv, MountainCarEnv, type MountainCarOptions } from './mountaincar.js';
import { MINATAR_GAMES, MINATAR_MAX_EPISODE_STEPS, MinAtarEnv, type MinAtarOptions } from './minatar/env.js';

export type AnyEnv = Env<Float32Array, Action>;

export interface EnvRegistration {
  id: string;
  /** Short names accepted by `make` and the CLI, e.g. 'cartpole'. */
  aliases?: string[];
  /** One line for `--help` and `listEnvs()`. */
  description: string;
  maxEpisodeSteps?: number;
  rewardThreshold?: number;
  /**
   * The threshold for options that make another task (e.g. a gridworld given its own layout), which the
   * registered `rewardThreshold` does not describe: a number, or undefined for none. Without this hook the
   * registered threshold holds whatever the options.
   */
  rewardThresholdFor?: (kwargs: Record<string, unknown>, maxEpisodeSteps: number | undefined) => number | undefined;
  /** Options applied before the caller's (e.g. a layout name for a gridworld id). */
  defaultKwargs?: Record<string, unknown>;
  create: (kwargs: Record<string, unknown>) => AnyEnv;
  /** A batched kernel with the time limit built in; without one, `makeVec` steps N `make`d envs. */
  createVector?: (numEnvs: number, spec: EnvSpec, kwargs: Record<string, unknown>) => VectorEnv;
}

const registry = new Map<string, EnvRegistration>();
const aliases = new Map<string, string>();

export function register(reg: EnvRegistration): void {
  if (registry.has(reg.id)) throw new TsgymError(`env id '${reg.id}' is already registered`);
  registry.set(reg.id, reg);
  for (const a of reg.aliases ?? []) aliases.set(a.toLowerCase(), reg.id);
}

/** Canonical id for an id or alias (case-insensitive), or a clear error listing what exists. */
export function resolveEnvId(idOrAlias: string): string {
  if (registry.has(idOrAlias)) return idOrAlias;
  const viaAlias = aliases.get(idOrAlias.toLowerCase());
  if (viaAlias) return viaAlias;
  for (const id of registry.keys()) if (id.toLowerCase() === idOrAlias.toLowerCase()) return id;
  throw new TsgymError(`unknown env '${idOrAlias}'. Registered envs: ${envChoices().join(', ')}`);
}

export function registration(idOrAlias: string): EnvRegistration {
  return registry.get(resolveEnvId(idOrAlias))!;
}

export function listEnvs(): EnvRegistration[] {
  return [...registry.values()];
}

/** Every accepted name (ids and aliases), for error messages and CLI choices. */
export function envChoices(): string[] {
  return [...registry.values()].flatMap((r) => [r.id, ...(r.aliases ?? [])]);
}

export interface MakeOptions {
  /** Overrides the registered time limit; `null` removes it. */
  maxEpisodeSteps?: number | null;
}

function specFor(reg: EnvRegistration, kwargs: Record<string, unknown>, maxEpisodeSteps: number | undefined): EnvSpec {
  const merged = { ...(reg.defaultKwargs ?? {}), ...kwargs };
  return { id: reg.id, maxEpisodeSteps, rewardThreshold: reg.rewardThresholdFor ? reg.rewardThresholdFor(merged, maxEpisodeSteps) : reg.rewardThreshold, kwargs: merged };
}

/**
 * The reward threshold of env `idOrAlias` built with `kwargs` (the registered time limit unless given):
 * what a run reports as solved. Undefined when there is none, e.g. for a gridworld layout without a goal.
 */
export function envRewardThreshold(idOrAlias: string, kwargs: Record<string, unknown> = {}, maxEpisodeSteps?: number): number | undefined {
  const reg = registration(idOrAlias);
  return specFor(reg, kwargs, maxEpisodeSteps ?? reg.maxEpisodeSteps).rewardThreshold;
}

/** Builds a registered env, wrapped in OrderEnforcing and (when the id has one) TimeLimit. */
export function make(idOrAlias: string, kwargs: Record<string, unknown> = {}, opts: MakeOptions = {}): AnyEnv {
  const reg = registration(idOrAlias);
  const maxSteps = opts.maxEpisodeSteps === null ? undefined : (opts.maxEpisodeSteps ?? reg.maxEpisodeSteps);
  const spec = specFor(reg, kwargs, maxSteps);
  const base = reg.create(spec.kwargs);
  base.spec = spec;
  let env: AnyEnv = base;
  if (maxSteps !== undefined) env = new TimeLimit(env, maxSteps);
  return new OrderEnforcing(env);
}

/** Builds `numEnvs` copies as one vector env (SAME_STEP autoreset; see envs/vector.ts). */
export function makeVec(idOrAlias: string, numEnvs: number, kwargs: Record<string, unknown> = {}, opts: MakeOptions & { batched?: boolean } = {}): VectorEnv {
  const reg = registration(idOrAlias);
  checkNumEnvs(`makeVec('${reg.id}', n)`, numEnvs); // one check for every env, batched kernel or not
  const maxSteps = opts.maxEpisodeSteps === null ? undefined : (opts.maxEpisodeSteps ?? reg.maxEpisodeSteps);
  if (reg.createVector && opts.batched !== false && maxSteps !== undefined) {
    return reg.createVector(numEnvs, specFor(reg, kwargs, maxSteps), specFor(reg, kwargs, maxSteps).kwargs);
  }
  return new SyncVectorEnv(Array.from({ length: numEnvs }, () => make(reg.id, kwargs, opts)));
}

// ---------------------------------------------------------------------------------------------------
// Built-in envs
// ---------------------------------------------------------------------------------------------------

register({
  id: 'CartPole-v1',
  aliases: ['cartpole'],
  description: 'Balance a pole on a cart (Gymnasium CartPole-v1 dynamics); Discrete(2), 4 floats',
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
  create: (kw) => new CartPoleEnv(kw as CartPoleOptions),
  createVector: (n, spec, kw) => new CartPoleVectorEnv(n, spec, kw as CartPoleOptions, spec.maxEpisodeSteps),
});

// Gymnasium's classic-control suite: same constants, spaces, time limits and thresholds as
// Gymnasium 1.x. No batched kernels: makeVec steps N make()d envs (SyncVectorEnv).
register({
  id: 'Pendulum-v1',
  aliases: ['pendulum'],
  description: 'Swing a pendulum up and hold it (Gymnasium Pendulum-v1 dynamics); Box([-2], [2]) torque, 3 floats; no threshold',
  maxEpisodeSteps: 200,
  create: (kw) => new PendulumEnv(kw as PendulumOptions),
});

register({
  id: 'MountainCar-v0',
  aliases: ['mountaincar'],
  description: 'Rock an underpowered car out of a valley (Gymnasium MountainCar-v0 dynamics); Discrete(3), 2 floats',
  maxEpisodeSteps: 200,
  rewardThreshold: -110,
  create: (kw) => new MountainCarEnv(kw as MountainCarOptions),
});

register({
  id: 'MountainCarContinuous-v0',
  aliases: ['mountaincar-continuous', 'mountaincarcontinuous'],
  description: 'MountainCar with a continuous engine force and an action cost (Gymnasium dynamics, float32 state); Box([-1], [1]), 2 floats',
  maxEpisodeSteps: 999,
  rewardThreshold: 90,
  create: (kw) => new MountainCarContinuousEnv(kw as MountainCarOptions),
});

register({
  id: 'Acrobot-v1',
  aliases: ['acrobot'],
  description: 'Swing the tip of a two-link chain above a line (Gymnasium Acrobot-v1 dynamics, one RK4 step per 0.2 s); Discrete(3), 6 floats',
  maxEpisodeSteps: 500,
  rewardThreshold: -100,
  create: (kw) => new AcrobotEnv(kw as AcrobotOptions),
});

// Gridworlds (envs/gridworld.ts; layouts and sources in envs/gridworld-layouts.ts). Each accepts the
// GridWorldEnv options (slip, obs, stepReward, bumpReward, even another layout).

/**
 * A gridworld id's threshold: `registered` for its own layout and rewards; for another layout, or other
 * rewards or slip, the best expected return within the time limit (GridWorldEnv.optimalReturn), and none
 * when that world has no goal every start can reach.
 */
function gridWorldThreshold(layout: string, registered: number): NonNullable<EnvRegistration['rewardThresholdFor']> {
  let own: GridWorldEnv | undefined;
  // The last answer, as makeVec asks once per copy.
  let last: { key: string; threshold: number | undefined } | undefined;
  return (kw, maxEpisodeSteps) => {
    own ??= new GridWorldEnv({ layout });
    const sameTask = resolveLayout((kw.layout ?? layout) as string | GridLayout) === resolveLayout(layout)
      && (['stepReward', 'bumpReward', 'slip'] as const).every((k) => kw[k] === undefined || kw[k] === own![k]);
    if (sameTask) return registered;
    if (maxEpisodeSteps === undefined) return undefined;
    const key = JSON.stringify([kw, maxEpisodeSteps]);
    if (last?.key !== key) {
      const best = new GridWorldEnv(kw as GridWorldOptions).optimalReturn(maxEpisodeSteps);
      // Sums in another order than an episode's may differ in the last bit: a hair of slack.
      last = { key, threshold: best === null ? undefined : best - 1e-9 * Math.max(1, Math.abs(best)) };
    }
    return last.threshold;
  };
}

/**
 * A gridworld id: its layout as the default option, its registered threshold, and the threshold for other
 * layouts or rewards (gridWorldThreshold).
 */
function registerGridWorld(layout: string, reg: Omit<EnvRegistration, 'rewardThreshold' | 'rewardThresholdFor' | 'defaultKwargs' | 'create'> & { rewardThreshold: number }): void {
  register({
    ...reg,
    rewardThresholdFor: gridWorldThreshold(layout, reg.rewardThreshold),
    defaultKwargs: { layout },
    create: (kw) => new GridWorldEnv(kw as GridWorldOptions),
  });
}

registerGridWorld('4x4', {
  id: 'GridWorld-4x4',
  aliases: ['gridworld-4x4', 'gridworld4x4'],
  description: 'Sutton & Barto Example 4.1: 4x4 grid, two terminal corners, -1 per step (undiscounted); Discrete(4), one-hot',
  maxEpisodeSteps: 100,
  rewardThreshold: -3,
});

registerGridWorld('5x5', {
  id: 'GridWorld-5x5',
  aliases: ['gridworld-5x5', 'gridworld5x5'],
  description: "Sutton & Barto Example 3.5: 5x5 continuing grid, A->A' +10, B->B' +5, -1 off-grid (book values use gamma 0.9); Discrete(4), one-hot",
  maxEpisodeSteps: 100,
  rewardThreshold: 190,
});

registerGridWorld('CliffWalking', {
  id: 'CliffWalking',
  aliases: ['cliffwalking', 'cliff'],
  description: 'Sutton & Barto Example 6.6: 4x12 grid, -1 per step, -100 and back to start on the cliff; Discrete(4), one-hot',
  maxEpisodeSteps: 200,
  rewardThreshold: -13,
});

registerGridWorld('FourRooms', {
  id: 'FourRooms',
  aliases: ['fourrooms', 'four-rooms'],
  description: 'Sutton, Precup & Singh (1999) four rooms: 104 cells, +1 at the goal, random start; Discrete(4), one-hot',
  maxEpisodeSteps: 100,
  rewardThreshold: 0.95,
});

registerGridWorld('Maze', {
  id: 'GridWorld-Maze',
  aliases: ['maze', 'gridworld-maze'],
  description: '15x15 perfect maze, -1 per step, goal 60 steps from the start; Discrete(4), one-hot',
  maxEpisodeSteps: 250,
  rewardThreshold: -60,
});

register({
  id: 'LaneKeeper-v0',
  aliases: ['lanekeeper'],
  description: 'Steer a car (kinematic bicycle, rate-limited steering) along a seeded winding road; Discrete(5) steering targets, 9 floats',
  maxEpisodeSteps: 1000,
  rewardThreshold: 900,
  create: (kw) => new LaneKeeperEnv(kw as LaneKeeperOptions),
});

register({
  id: 'LaneKeeperContinuous-v0',
  aliases: ['lanekeeper-continuous'],
  description: 'LaneKeeper-v0 with a continuous steering command; Box([-1], [1]) steering target, 9 floats',
  maxEpisodeSteps: 1000,
  rewardThreshold: 900,
  create: (kw) => new LaneKeeperContinuousEnv(kw as LaneKeeperOptions),
});

// MinAtar (envs/minatar/): the five games exact to the reference implementation, -v0 with the full action
// set of 6 (as MinAtar's results), -v1 with the game's minimal set.
for (const game of MINATAR_GAMES) {
  for (const [version, minimal] of [['v0', false], ['v1', true]] as const) {
    register({
      id: `MinAtar/${game.title}-${version}`,
      aliases: version === 'v0' ? [`minatar-${game.title.toLowerCase()}`] : [],
      description: `MinAtar ${game.title}: ${game.summary}; ${minimal ? 'minimal action set' : 'Discrete(6)'}, 10x10 binary channels`,
      maxEpisodeSteps: MINATAR_MAX_EPISODE_STEPS,
      create: (kw) => new MinAtarEnv(game.name, minimal, kw as MinAtarOptions),
    });
  }
}
