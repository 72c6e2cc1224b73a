/**
 * Hyperparameter schemas: every agent declares its keys once (type, range, default, description), and
 * `validateHyperparams` refuses unknown keys, wrong types, out-of-range values and broken cross-key
 * constraints with one line naming the key, the value and the valid range.
 */
import { describe, expect, it } from 'vitest';
import { DQN_HYPERPARAMS } from '../agents/dqn.js';
import { PPO_HYPERPARAMS } from '../agents/ppo.js';
import { agentRegistrations, resolveHyperparams, agentRegistration } from '../agents/registry.js';
// Every key of every agent refusing out-of-range values is checked in tests/agent-contract.test.ts.
import { defaultsOf, formatHyperparams, validateHyperparams, type ParamSpec } from '../agents/hyperparams.js';
import { PRESETS } from '../experiments/presets.js';
import { TsgymError } from '../core/errors.js';

describe('hyperparameter schemas', () => {
  it('DQN refuses the inputs a user once reported with the key, the value and the valid range', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ trainFreq: 0 }, /^dqn: hyperparameter 'trainFreq' must be an integer >= 1, got 0 \(default 1\)$/],
      [{ activation: 'sigmoid' }, /^dqn: hyperparameter 'activation' must be one of 'relu', 'tanh', got "sigmoid"/],
      [{ gamma: 2 }, /^dqn: hyperparameter 'gamma' must be a number in \[0, 1\], got 2/],
      [{ bufferSize: 0 }, /^dqn: hyperparameter 'bufferSize' must be an integer in \[1, 10000000\], got 0/],
      [{ hidden: [0] }, /^dqn: hyperparameter 'hidden' must be a list of integers in \[1, 65536\], e\.g\. \[64,64\], got \[0\]/],
      [{ tau: 0 }, /'tau' must be a number in \(0, 1\], got 0/],
      [{ lr: 'fast' }, /'lr' must be a number > 0, got "fast"/],
      [{ lrr: 0.1 }, /^dqn: unknown hyperparameter 'lrr' \(did you mean lr\?\)\. Valid keys: .*\blr\b/],
      [{ learningrate: 0.1 }, /^dqn: unknown hyperparameter 'learningrate'\. Valid keys/], // nothing close: no guess
      [{ batchSize: 128, bufferSize: 100 }, /^dqn: batchSize=128 must be <= bufferSize=100/],
    ];
    for (const [overrides, message] of cases) {
      expect(() => resolveHyperparams('dqn', overrides), JSON.stringify(overrides)).toThrow(TsgymError);
      expect(() => resolveHyperparams('dqn', overrides), JSON.stringify(overrides)).toThrow(message);
      // The CLI prints the error's hint under it: where every key is listed.
      try {
        resolveHyperparams('dqn', overrides);
      } catch (e) {
        expect((e as TsgymError).hint).toMatch(/npm run hyperparams -- dqn/);
      }
    }
  });

  it('fills in defaults, keeps valid overrides, and accepts every preset', () => {
    const hp = resolveHyperparams('dqn', { lr: 5e-4, hidden: [32], dueling: true });
    expect(hp).toEqual({ ...defaultsOf(DQN_HYPERPARAMS), lr: 5e-4, hidden: [32], dueling: true });
    // Bounds are inclusive unless marked otherwise: γ = 0 and 1 are valid, as is a linear Q-network.
    expect(() => resolveHyperparams('dqn', { gamma: 0, epsEnd: 1, hidden: [] })).not.toThrow();
    for (const [agent, byEnv] of Object.entries(PRESETS)) {
      for (const [env, preset] of Object.entries(byEnv)) {
        expect(() => resolveHyperparams(agent, preset.hyperparams ?? {}, { numEnvs: preset.numEnvs ?? 4 }), `${agent} ${env}`).not.toThrow();
      }
    }
  });

  it('checks constraints between keys, with the rollout size when numEnvs is known', () => {
    expect(() => validateHyperparams('ppo', PPO_HYPERPARAMS, { numSteps: 8, numMinibatches: 33 }, { numEnvs: 4 })).toThrow(/numMinibatches=33 must be <= numSteps × numEnvs = 8 × 4 = 32/);
    expect(validateHyperparams('ppo', PPO_HYPERPARAMS, { numSteps: 8, numMinibatches: 32 }, { numEnvs: 4 }).numMinibatches).toBe(32);
    for (const name of ['ppo', 'a2c', 'reinforce']) {
      expect(() => resolveHyperparams(name, { sharedNetwork: true, hidden: [] })).toThrow(/hidden=\[\] cannot be used with sharedNetwork=true/);
    }
  });

  it('lists an agent\'s hyperparameters with type, valid values, default and description', () => {
    const reg = agentRegistration('dqn');
    const text = formatHyperparams(reg.name, reg.hyperparams);
    expect(text).toMatch(/^gamma\s+number\s+in \[0, 1\]\s+0\.99\s+Discount factor$/m);
    expect(text).toMatch(/^activation\s+choice\s+relu \| tanh\s+"relu"/m);
    expect(text).toMatch(/^hidden\s+int list\s+each in \[1, 65536\]\s+\[64,64\]/m);
    for (const key of Object.keys(DQN_HYPERPARAMS.params)) expect(text).toMatch(new RegExp(`^${key}\\s`, 'm'));
    for (const r of agentRegistrations()) {
      for (const [key, spec] of Object.entries(r.hyperparams.params as Record<string, ParamSpec>)) expect(spec.description.length, `${r.name}.${key}`).toBeGreaterThan(5);
    }
  });
});
