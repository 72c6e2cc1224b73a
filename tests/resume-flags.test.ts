/** Flags given with --resume: equal ones pass, --steps above the budget extends it, others are refused together. */
import { describe, expect, it } from 'vitest';
import { applyResumeFlags } from '../experiments/harness/trainer.js';
import type { RunConfig } from '../formats/run-format.js';

const config = {
  tsgymVersion: '0.1.0', agent: 'ppo', env: 'CartPole-v1', envId: 'CartPole-v1', seed: 4, totalSteps: 1000, numEnvs: 4, evalEvery: 500,
  evalEpisodes: 5, recordEpisodes: 1, checkpointEvery: 500, stopWhenSolved: true, logEvery: 1000, envKwargs: {},
  hyperparams: { lr: 0.001, hidden: [64, 64], totalSteps: 1000 }, backend: 'wasm', backendRequested: 'wasm', versions: {}, rewardThreshold: 475, createdAt: '2026-01-01T00:00:00.000Z',
} satisfies RunConfig;

describe('applyResumeFlags', () => {
  it('accepts flags equal to the run (env aliases included) and changes nothing', () => {
    expect(applyResumeFlags('r', config, { agent: 'ppo', env: 'cartpole', seed: 4, totalSteps: 1000, hyperparams: { hidden: [64, 64] }, backend: 'wasm' })).toBe(config);
  });

  it('extends the budget, rescheduling agents that anneal over it, and records the extension', () => {
    const c = applyResumeFlags('r', config, { totalSteps: 3000, stopWhenSolved: false });
    expect(c).toMatchObject({ totalSteps: 3000, stopWhenSolved: false, hyperparams: { totalSteps: 3000, lr: 0.001 } });
    expect(c.budgetExtensions).toEqual([{ fromTotalSteps: 1000, toTotalSteps: 3000, at: expect.any(String) }]);
    expect(config.totalSteps).toBe(1000); // the stored config object is not modified
  });

  it('refuses every conflicting flag in one message', () => {
    expect(() => applyResumeFlags('runs/x', config, { seed: 5, numEnvs: 8, totalSteps: 500, hyperparams: { lr: 0.01, hidden: [64, 64] }, envKwargs: { difficulty: 2 }, env: 'acrobot' })).toThrow(
      /^--resume runs\/x: these flags conflict with the run's config\.json: env "Acrobot-v1" \(the run has "CartPole-v1"\); --seed 5 \(the run has 4\); --steps 500 \(the run has 1000\); --envs 8 \(the run has 4\); --set lr=0\.01 \(the run has 0\.001\); --env-set difficulty=2 \(the run has no difficulty\)\./,
    );
  });
});
