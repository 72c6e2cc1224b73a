/**
 * Tuned presets per (agent, env): what `npm run train:<agent> <env>` uses with no other flag. Every value can
 * be overridden from the CLI (`--steps`, `--envs`, `--set key=value`). Hyperparameters not named here take
 * the agent's defaults (see the agent's `defaults`).
 */
import { resolveEnvId } from '../envs/registry.js';

export interface RunPreset {
  /** Total env steps (summed over the vector envs). */
  totalSteps: number;
  numEnvs: number;
  /** Env steps between greedy evaluations. */
  evalEvery: number;
  evalEpisodes: number;
  /** Stop as soon as a greedy evaluation reaches the env's reward threshold. */
  stopWhenSolved: boolean;
  /** Env steps between checkpoints. */
  checkpointEvery: number;
  envKwargs: Record<string, unknown>;
  hyperparams: Record<string, unknown>;
}

export const BASE_PRESET: RunPreset = {
  totalSteps: 100_000,
  numEnvs: 4,
  evalEvery: 10_000,
  evalEpisodes: 10,
  stopWhenSolved: true,
  checkpointEvery: 25_000,
  envKwargs: {},
  hyperparams: {},
};

type PresetTable = Record<string, Record<string, Partial<RunPreset>>>;

/** presets[agent][envId] */
export const PRESETS: PresetTable = {
  dqn: {
    'CartPole-v1': { totalSteps: 60_000, numEnvs: 4, evalEvery: 5_000, evalEpisodes: 20, hyperparams: {} },
  },
};

/** The preset for (agent, env), falling back to the base preset for pairs without a tuned one. */
export function presetFor(agent: string, env: string): RunPreset & { tuned: boolean } {
  const id = resolveEnvId(env);
  const tuned = PRESETS[agent]?.[id];
  return { ...BASE_PRESET, ...(tuned ?? {}), tuned: tuned !== undefined };
}
