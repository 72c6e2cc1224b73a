/**
 * Envs without a tuned preset get each agent's defaults for new envs: PPO's SB3-sized rollout, running
 * observation normalisation for the policy-gradient agents on vector observations only, [-1, 1] scaling for
 * the off-policy agents only when every bound is finite; tuned pairs are untouched.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../envs/index.js';
import { GENERIC_HYPERPARAMS, PRESETS, noPresetNote, presetFor } from '../experiments/presets.js';
import { createAgent, agentRegistration } from '../agents/registry.js';
import { initBackend } from '../agents/backend.js';
import { make } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('defaults for envs without a preset', () => {
  it('PPO: 512 steps × 4 envs per update, minibatches of 64, 10 epochs, normalised vector observations', () => {
    const p = presetFor('ppo', 'Pendulum-v1');
    expect(p.tuned).toBe(false);
    expect(p.hyperparams).toEqual({ numSteps: 512, numMinibatches: 32, updateEpochs: 10, normalizeObs: true });
    expect((512 * p.numEnvs) / 32).toBe(64);
    expect(noPresetNote('ppo', 'pendulum')).toBe("no preset for Pendulum-v1: using ppo's defaults (npm run hyperparams -- ppo --env Pendulum-v1)");
  });

  it('observation handling follows the space: no normalisation of images, scaling only with finite bounds', () => {
    const image = 'MinAtar/Asterix-v1';
    expect((make(image).observationSpace as Box).shape.length).toBe(3);
    expect(presetFor('ppo', image).hyperparams).toEqual(GENERIC_HYPERPARAMS.ppo);
    expect(presetFor('a2c', image).hyperparams).toEqual({});
    expect(presetFor('dqn', image).hyperparams).toEqual({ scaleObs: true });
    // MountainCar's bounds are finite; A2C and REINFORCE have no preset there.
    expect(presetFor('a2c', 'MountainCar-v0').hyperparams).toEqual({ normalizeObs: true });
    expect(presetFor('reinforce', 'MountainCar-v0').hyperparams).toEqual({ normalizeObs: true });
    expect(presetFor('sac', 'MountainCarContinuous-v0').hyperparams).toEqual({ scaleObs: true });
    // CartPole's velocities are unbounded: TD3 on it gets no scaling (and cannot act there anyway: no note).
    expect(presetFor('td3', 'CartPole-v1').hyperparams).toEqual({});
    expect(noPresetNote('td3', 'CartPole-v1')).toBeNull();
  });

  it('tuned pairs keep their preset and print no note; every generic default is a valid config for its agent', () => {
    expect(presetFor('dqn', 'CartPole-v1')).toEqual({ ...presetFor('dqn', 'CartPole-v1'), tuned: true, hyperparams: PRESETS.dqn['CartPole-v1'].hyperparams });
    expect(noPresetNote('dqn', 'CartPole-v1')).toBeNull();
    for (const [agent, env] of [['ppo', 'Pendulum-v1'], ['a2c', 'MountainCar-v0'], ['reinforce', 'Acrobot-v1'], ['dqn', 'MinAtar/Breakout-v1'], ['sac', 'MountainCarContinuous-v0']] as const) {
      const e = make(env);
      const info = { observationSpace: e.observationSpace, actionSpace: e.actionSpace, numEnvs: 2 };
      expect(agentRegistration(agent).actionSpaces).toContain(e.actionSpace.type);
      const a = createAgent(agent, info, { ...presetFor(agent, env).hyperparams, hidden: [8] }, 0);
      a.dispose();
    }
  });
});
