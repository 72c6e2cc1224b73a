/**
 * A gridworld id given another layout (or other rewards) is another task: the registered threshold does not
 * carry over. A world no start can finish has no threshold at all (never "solved"); a solvable one gets its
 * own optimum within the time limit, checked here against agents/planning.ts's value iteration.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { valueIteration } from '../agents/planning.js';
import { GridWorldEnv, type GridLayout } from '../envs/gridworld.js';
import { envRewardThreshold, make } from '../envs/registry.js';
import { train } from '../experiments/harness/trainer.js';

const NO_GOAL: GridLayout = { name: 'no-goal', map: ['S...', '....', '....'], stepReward: -1 };
const WALLED_IN: GridLayout = { name: 'walled-in', map: ['S#..', '##..', '...G'], stepReward: -1 };
const SOLVABLE: GridLayout = { name: 'detour', map: ['S...#', '.##..', '.#..G'], stepReward: -1 };

/** The optimum within `horizon` steps by value iteration: `horizon` synchronous sweeps from zero. */
function optimumByValueIteration(env: GridWorldEnv, horizon: number): number {
  const { values } = valueIteration(env, { gamma: 1, inPlace: false, maxIterations: horizon, onMaxIterations: 'return', tol: 1e-300 });
  return Array.from(env.startStates).reduce((sum, s) => sum + values[s], 0) / env.startStates.length;
}

describe('gridworld reward thresholds follow the layout', () => {
  it('keeps the registered threshold for the registered layout (and for options that do not change the task)', () => {
    expect(envRewardThreshold('GridWorld-4x4')).toBe(-3);
    expect(envRewardThreshold('GridWorld-4x4', { layout: '4x4', obs: 'coords' })).toBe(-3);
    expect(envRewardThreshold('CliffWalking', { stepReward: -1 })).toBe(-13);
    expect(make('maze').spec?.rewardThreshold).toBe(-60);
  });

  it('a layout without a goal, or with the start walled in, has no threshold', () => {
    for (const layout of [NO_GOAL, WALLED_IN]) {
      expect(envRewardThreshold('GridWorld-4x4', { layout }), layout.name).toBeUndefined();
      expect(make('GridWorld-4x4', { layout }).spec?.rewardThreshold, layout.name).toBeUndefined();
    }
    // The 5x5 world is continuing: another 5x5-style task given to CliffWalking has no goal either.
    expect(envRewardThreshold('CliffWalking', { layout: '5x5' })).toBeUndefined();
    // A goal beyond the time limit cannot be reached either.
    expect(envRewardThreshold('GridWorld-4x4', { layout: SOLVABLE }, 3)).toBeUndefined();
  });

  it("a solvable custom layout's threshold is its own optimum within the time limit (value iteration)", () => {
    const horizon = 100; // GridWorld-4x4's time limit
    const deterministic = envRewardThreshold('GridWorld-4x4', { layout: SOLVABLE })!;
    // Six moves round the walls, the last onto G (+1 instead of the step's -1): -5 + 1.
    expect(deterministic).toBeCloseTo(-4, 6);
    expect(deterministic).toBeCloseTo(optimumByValueIteration(new GridWorldEnv({ layout: SOLVABLE }), horizon), 6);
    const slippery = envRewardThreshold('GridWorld-4x4', { layout: SOLVABLE, slip: 0.2 })!;
    expect(slippery).toBeLessThan(deterministic);
    expect(slippery).toBeCloseTo(optimumByValueIteration(new GridWorldEnv({ layout: SOLVABLE, slip: 0.2 }), horizon), 6);
    // Other rewards on a registered layout are another task too: FourRooms with a step cost.
    const rooms = envRewardThreshold('FourRooms', { stepReward: -0.01 })!;
    expect(rooms).toBeCloseTo(optimumByValueIteration(new GridWorldEnv({ layout: 'FourRooms', stepReward: -0.01 }), 100), 6);
    expect(rooms).not.toBe(0.95);
  });

  it('a trained run on a goal-less layout records no threshold and is never reported solved', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-threshold-'));
    try {
      await train({
        agent: 'dqn', env: 'GridWorld-4x4', seed: 0, totalSteps: 400, numEnvs: 1, evalEvery: 100, evalEpisodes: 1, recordEpisodes: 0,
        checkpointEvery: 400, stopWhenSolved: true, logEvery: 100, envKwargs: { layout: NO_GOAL }, hyperparams: { learningStarts: 50 }, backend: 'wasm', outDir: out, runName: 'r', progress: 'none', verbose: false,
      });
      const config = JSON.parse(fs.readFileSync(path.join(out, 'r', 'config.json'), 'utf8'));
      const summary = JSON.parse(fs.readFileSync(path.join(out, 'r', 'summary.json'), 'utf8'));
      expect(config.rewardThreshold).toBeNull();
      expect([summary.status, summary.solvedAtStep, summary.steps]).toEqual(['finished', null, 400]);
      expect(fs.readFileSync(path.join(out, 'r', 'metrics.jsonl'), 'utf8')).not.toMatch(/solved/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
