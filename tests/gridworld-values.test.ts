/**
 * values.json for gridworld runs (experiments/harness/gridworld-values.ts): the optimum is value iteration's,
 * the agent's overlay is the exact value of its own greedy policy (so never above the optimum), the Q overlay
 * is the agent's own max-Q; non-gridworld runs get no file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../agents/backend.js';
import { policyEvaluation, valueIteration } from '../agents/planning.js';
import { createAgent } from '../agents/registry.js';
import { GridWorldEnv } from '../envs/gridworld.js';
import { make } from '../envs/registry.js';
import { gridworldValues, writeGridworldValues } from '../experiments/harness/gridworld-values.js';

describe('gridworld values.json', () => {
  it("holds the agent's greedy policy with its exact value, its max-Q, and value iteration's optimum", async () => {
    await initBackend('cpu');
    for (const envId of ['GridWorld-4x4', 'CliffWalking']) {
      const env = make(envId).unwrapped as GridWorldEnv;
      const agent = createAgent('dqn', { observationSpace: env.observationSpace, actionSpace: env.actionSpace, numEnvs: 1 }, { hidden: [16] }, 5);
      try {
        const gamma = 0.9;
        const file = gridworldValues(env, agent, gamma);
        expect(file.overlays!.map((o) => o.name)).toEqual(['agent policy (exact value)', 'agent Q-values (max)', 'optimal (value iteration)']);
        const [mine, q, best] = file.overlays!;
        for (const o of file.overlays!) {
          expect(o.values).toHaveLength(env.numStates);
          expect(o.policy).toHaveLength(env.numStates);
        }
        // The agent's policy is what it does greedily in each state.
        const obs = new Float32Array(env.numStates * env.numStates);
        for (let s = 0; s < env.numStates; s++) obs.set(env.observationOf(s), s * env.numStates);
        const acted = agent.act(obs, env.numStates, { greedy: true });
        for (let s = 0; s < env.numStates; s++) {
          if (env.isTerminal(s)) continue;
          expect(mine.policy[s]).toBe(acted.actions[s]);
          expect(q.values[s]).toBeCloseTo(Math.max(...acted.qValues!.subarray(s * 4, s * 4 + 4)), 6);
        }
        expect(mine.values).toEqual(Array.from(policyEvaluation(env, mine.policy, { gamma, maxIterations: 20_000, onMaxIterations: 'return' }).values));
        const vi = valueIteration(env, { gamma });
        expect(best.values).toEqual(Array.from(vi.values));
        expect(best.policy).toEqual(Array.from(vi.policy));
        // v_π ≤ v* in every state; an untrained agent is worse somewhere.
        for (let s = 0; s < env.numStates; s++) expect(mine.values[s]).toBeLessThanOrEqual(best.values[s] + 1e-9);
        expect(mine.values.some((v, s) => v < best.values[s] - 1e-6)).toBe(true);
        expect(file.values).toEqual(mine.values);
        expect(file.gamma).toBe(gamma);
      } finally {
        agent.dispose();
      }
    }
  });

  it('writes values.json for a gridworld run and nothing for CartPole', async () => {
    await initBackend('cpu');
    const dir = mkdtempSync(join(tmpdir(), 'tsgym-values-'));
    try {
      const grid = make('GridWorld-4x4');
      const a = createAgent('ppo', { observationSpace: grid.observationSpace, actionSpace: grid.actionSpace, numEnvs: 1 }, {}, 1);
      writeGridworldValues(join(dir), { envId: 'GridWorld-4x4', hyperparams: { gamma: 0.95 } }, a);
      a.dispose();
      const written = JSON.parse(readFileSync(join(dir, 'values.json'), 'utf8')) as { gamma: number; overlays: { name: string }[] };
      expect(written.gamma).toBe(0.95);
      // PPO reports action probabilities, not Q-values: no Q overlay.
      expect(written.overlays.map((o) => o.name)).toEqual(['agent policy (exact value)', 'optimal (value iteration)']);
      rmSync(join(dir, 'values.json'));
      const cart = make('CartPole-v1');
      const b = createAgent('dqn', { observationSpace: cart.observationSpace, actionSpace: cart.actionSpace, numEnvs: 1 }, {}, 1);
      writeGridworldValues(dir, { envId: 'CartPole-v1', hyperparams: {} }, b);
      b.dispose();
      expect(existsSync(join(dir, 'values.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
