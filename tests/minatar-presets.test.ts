/**
 * The MinAtar presets are the settings the long MinAtar runs were started with: resolving `train ppo
 * MinAtar/Breakout-v1 --seed 1` with no other flag gives exactly their config.json's run fields and
 * hyperparameters (written out here), so such a run directory resumes under the preset. Other MinAtar envs
 * keep the agents' defaults for new envs.
 */
import { describe, expect, it } from 'vitest';
import '../envs/index.js';
import { resolveRunSpec } from '../experiments/run-spec.js';
import { GENERIC_HYPERPARAMS, presetFor } from '../experiments/presets.js';

/** MinAtar's network: one 16×3×3 conv, ReLU, a 128-unit layer. */
const NETWORK = {
  hidden: [128],
  activation: 'relu',
  torso: 'auto',
  convChannels: 16,
  convKernel: 3,
  convStride: 1,
};

const PPO_HYPERPARAMS = {
  ...NETWORK,
  sharedNetwork: false,
  lr: 0.0005,
  annealLr: false,
  adamEps: 0.00001,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  gamma: 0.999,
  gaeLambda: 0.95,
  numSteps: 128,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  clipPerNetwork: false,
  normalizeObs: false,
  obsClip: 10,
  normalizeAdvantages: true,
  logStdInit: 0,
  numMinibatches: 8,
  updateEpochs: 4,
  clipCoef: 0.2,
  annealClip: false,
  clipValueLoss: true,
  targetKl: 0,
};

const DQN_HYPERPARAMS = {
  ...NETWORK,
  lr: 0.0001,
  adamEps: 0.00015,
  annealLr: false,
  gamma: 0.99,
  bufferSize: 100000,
  batchSize: 32,
  learningStarts: 5000,
  trainFreq: 1,
  gradientSteps: 1,
  tau: 1,
  nStep: 1,
  checkpointBuffer: true,
  scaleObs: true,
  targetUpdateInterval: 1000,
  doubleDqn: true,
  dueling: false,
  loss: 'huber',
  advantageLearning: 0,
  munchausen: 0,
  munchausenTau: 0.03,
  munchausenClip: -1,
  maxGradNorm: 10,
  epsStart: 1,
  epsEnd: 0.1,
  epsDecaySteps: 100000,
  epsRepeatMu: 0,
  prioritized: false,
  perAlpha: 0.6,
  perBeta0: 0.4,
  greedyTau: 1,
};

/** The run fields of the three runs' config.json (fingerprint, backend and dates aside; the hyperparameters added since, at their defaults, which a kept run's check fills in: withAddedDefaults). */
const EXPECTED = [
  { agent: 'ppo', env: 'MinAtar/Breakout-v1', totalSteps: 2000000, numEnvs: 64, evalEvery: 100000, evalEpisodes: 10, hyperparams: { ...PPO_HYPERPARAMS, entCoef: 0.03 } },
  { agent: 'ppo', env: 'MinAtar/Freeway-v1', totalSteps: 2000000, numEnvs: 64, evalEvery: 100000, evalEpisodes: 5, hyperparams: PPO_HYPERPARAMS },
  { agent: 'dqn', env: 'MinAtar/Breakout-v0', totalSteps: 1000000, numEnvs: 4, evalEvery: 100000, evalEpisodes: 10, hyperparams: DQN_HYPERPARAMS },
] as const;

describe('MinAtar presets', () => {
  for (const e of EXPECTED) {
    it(`${e.agent} ${e.env}: the preset resolves to the long runs' config`, () => {
      const spec = resolveRunSpec(e.agent, e.env, undefined, { seed: 1, backend: 'wasm' });
      const { totalSteps: _budget, ...hyperparams } = { ...spec.hyperparams };
      expect({
        agent: spec.agent,
        env: spec.env,
        seed: spec.seed,
        totalSteps: spec.totalSteps,
        numEnvs: spec.numEnvs,
        evalEvery: spec.evalEvery,
        evalEpisodes: spec.evalEpisodes,
        recordEpisodes: spec.recordEpisodes,
        checkpointEvery: spec.checkpointEvery,
        logEvery: spec.logEvery,
        stopWhenSolved: spec.stopWhenSolved,
        rewardThreshold: spec.rewardThreshold,
        envKwargs: spec.envKwargs,
        backend: spec.backend,
        hyperparams,
      }).toEqual({
        agent: e.agent,
        env: e.env,
        seed: 1,
        totalSteps: e.totalSteps,
        numEnvs: e.numEnvs,
        evalEvery: e.evalEvery,
        evalEpisodes: e.evalEpisodes,
        recordEpisodes: 1,
        checkpointEvery: 200000,
        logEvery: 1000,
        stopWhenSolved: false,
        rewardThreshold: null,
        envKwargs: {},
        backend: 'wasm',
        hyperparams: e.hyperparams,
      });
    });
  }

  it('the other MinAtar games and action sets keep the agents’ defaults for new envs', () => {
    for (const env of ['MinAtar/Breakout-v0', 'MinAtar/Freeway-v0', 'MinAtar/Asterix-v1', 'MinAtar/Seaquest-v1', 'MinAtar/SpaceInvaders-v0']) {
      const p = presetFor('ppo', env);
      expect(p.tuned).toBe(false);
      expect(p.hyperparams).toEqual(GENERIC_HYPERPARAMS.ppo);
    }
    for (const env of ['MinAtar/Breakout-v1', 'MinAtar/Freeway-v0', 'MinAtar/Asterix-v0']) {
      const p = presetFor('dqn', env);
      expect(p.tuned).toBe(false);
      expect(p.hyperparams).toEqual({ scaleObs: true });
    }
    // The alias of the full-action Breakout resolves to its id, and so to DQN's preset.
    expect(presetFor('dqn', 'minatar-breakout').tuned).toBe(true);
    expect(presetFor('ppo', 'minatar-breakout').tuned).toBe(false);
  });
});
