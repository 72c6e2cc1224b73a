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
    // Collect 256 env steps, then 128 gradient steps against a target refreshed every 128 of them (the
    // RL-Zoo CartPole rhythm), with 3-step returns and γ = 0.98 so values propagate in few target updates.
    'CartPole-v1': {
      totalSteps: 100_000,
      numEnvs: 4,
      evalEvery: 2_000,
      evalEpisodes: 20,
      checkpointEvery: 20_000,
      hyperparams: { trainFreq: 64, gradientSteps: 128, targetUpdateInterval: 128, lr: 0.0023, epsDecaySteps: 8_000, epsEnd: 0.04, nStep: 3, gamma: 0.98 },
    },
    'GridWorld-4x4': {
      totalSteps: 20_000,
      numEnvs: 4,
      evalEvery: 1_000,
      evalEpisodes: 20,
      checkpointEvery: 10_000,
      hyperparams: { hidden: [64], lr: 0.001, gamma: 0.99, learningStarts: 500, epsDecaySteps: 5_000, targetUpdateInterval: 100, bufferSize: 20_000 },
    },
    FourRooms: {
      totalSteps: 60_000,
      numEnvs: 4,
      evalEvery: 2_000,
      evalEpisodes: 20,
      checkpointEvery: 20_000,
      hyperparams: { hidden: [128], lr: 0.001, gamma: 0.97, learningStarts: 1_000, epsDecaySteps: 20_000, targetUpdateInterval: 100, bufferSize: 50_000, nStep: 3 },
    },
    'LaneKeeper-v0': {
      totalSteps: 40_000,
      numEnvs: 8,
      evalEvery: 10_000,
      evalEpisodes: 10,
      stopWhenSolved: false,
      checkpointEvery: 25_000,
      hyperparams: { hidden: [128, 128], trainFreq: 32, gradientSteps: 128, targetUpdateInterval: 128, lr: 0.001, epsDecaySteps: 20_000, epsEnd: 0.02, nStep: 3, gamma: 0.98, bufferSize: 100_000, learningStarts: 2_000 },
    },
  },
};

/** The preset for (agent, env), falling back to the base preset for pairs without a tuned one. */
export function presetFor(agent: string, env: string): RunPreset & { tuned: boolean } {
  const id = resolveEnvId(env);
  const tuned = PRESETS[agent]?.[id];
  return { ...BASE_PRESET, ...(tuned ?? {}), tuned: tuned !== undefined };
}
