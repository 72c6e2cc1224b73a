import { describe, expect, it } from 'vitest';
import { greedyPolicyOf, policyEvaluation, qValues, uniformRandomPolicy, valueIteration, type TabularModel } from '../agents/planning.js';
import { GridWorldEnv } from '../envs/gridworld.js';
import { make, registration } from '../envs/registry.js';
import { Rng } from '../core/rng.js';

/** Values laid out on the map, rounded to one decimal (-0 printed as 0). */
function table(env: GridWorldEnv, values: Float64Array): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < env.rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < env.cols; c++) row.push(Math.round(values[env.stateOf(r, c)] * 10) / 10 + 0);
    out.push(row);
  }
  return out;
}

describe('Sutton & Barto Figure 4.1: random policy on the 4x4 gridworld (gamma 1)', () => {
  const env = new GridWorldEnv({ layout: '4x4' });

  it('converges to the published values', () => {
    const r = policyEvaluation(env, uniformRandomPolicy(env), { gamma: 1 });
    expect(r.converged).toBe(true);
    expect(table(env, r.values)).toEqual([
      [0, -14, -20, -22],
      [-14, -18, -20, -20],
      [-20, -20, -18, -14],
      [-22, -20, -14, 0],
    ]);
  });

  it('matches the v_k of synchronous sweeps k = 1, 2, 3, 10', () => {
    const vk = (k: number) => policyEvaluation(env, uniformRandomPolicy(env), { maxIterations: k, onMaxIterations: 'return', inPlace: false });
    expect(table(env, vk(1).values)).toEqual([[0, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, 0]]);
    // The book prints -1.7 for the exact -1.75.
    const v2 = vk(2).values;
    expect(v2[env.stateOf(0, 1)]).toBe(-1.75);
    expect(v2[env.stateOf(1, 1)]).toBe(-2);
    expect(table(env, vk(3).values)).toEqual([
      [0, -2.4, -2.9, -3.0],
      [-2.4, -2.9, -3.0, -2.9],
      [-2.9, -3.0, -2.9, -2.4],
      [-3.0, -2.9, -2.4, 0],
    ]);
    expect(table(env, vk(10).values)).toEqual([
      [0, -6.1, -8.4, -9.0],
      [-6.1, -7.7, -8.4, -8.4],
      [-8.4, -8.4, -7.7, -6.1],
      [-9.0, -8.4, -6.1, 0],
    ]);
  });

  it('has the greedy policy of the figure: each move shortens the way to a corner', () => {
    const r = policyEvaluation(env, uniformRandomPolicy(env));
    const opt = valueIteration(env);
    for (let s = 0; s < env.numStates; s++) {
      if (env.isTerminal(s)) continue;
      const [row, col] = env.cellOf(s);
      const dist = Math.min(row + col, 6 - row - col);
      expect(opt.values[s]).toBe(-dist);
      const next = env.transitions(s, r.policy[s])[0].next;
      const [nr, nc] = env.cellOf(next);
      expect(Math.min(nr + nc, 6 - nr - nc)).toBe(dist - 1);
    }
  });

  it('the Monte Carlo return of the random policy agrees with v_pi', () => {
    const v = policyEvaluation(env, uniformRandomPolicy(env)).values;
    const s0 = env.stateOf(0, 3);
    const rng = new Rng(9);
    const episodes = 3000;
    let sum = 0;
    let sumSq = 0;
    env.reset({ seed: 1 });
    for (let ep = 0; ep < episodes; ep++) {
      env.reset({ options: { startState: s0 } });
      let g = 0;
      for (;;) {
        const r = env.step(rng.int(4));
        g += r.reward;
        if (r.terminated) break;
      }
      sum += g;
      sumSq += g * g;
    }
    const mean = sum / episodes;
    const se = Math.sqrt((sumSq / episodes - mean * mean) / episodes);
    expect(Math.abs(mean - v[s0])).toBeLessThan(4 * se);
  });
});

describe('Sutton & Barto Example 3.5: the 5x5 gridworld (gamma 0.9)', () => {
  const env = new GridWorldEnv({ layout: '5x5' });

  it('random policy values match Figure 3.2', () => {
    const r = policyEvaluation(env, uniformRandomPolicy(env), { gamma: 0.9 });
    expect(table(env, r.values)).toEqual([
      [3.3, 8.8, 4.4, 5.3, 1.5],
      [1.5, 3.0, 2.3, 1.9, 0.5],
      [0.1, 0.7, 0.7, 0.4, -0.4],
      [-1.0, -0.4, -0.4, -0.6, -1.2],
      [-1.9, -1.3, -1.2, -1.4, -2.0],
    ]);
  });

  it('optimal values match Figure 3.5', () => {
    const r = valueIteration(env, { gamma: 0.9 });
    expect(r.converged).toBe(true);
    expect(table(env, r.values)).toEqual([
      [22.0, 24.4, 22.0, 19.4, 17.5],
      [19.8, 22.0, 19.8, 17.8, 16.0],
      [17.8, 19.8, 17.8, 16.0, 14.4],
      [16.0, 17.8, 16.0, 14.4, 13.0],
      [14.4, 16.0, 14.4, 13.0, 11.7],
    ]);
    // The greedy policy evaluates to v*, and max_a q* = v*.
    const back = policyEvaluation(env, r.policy, { gamma: 0.9 });
    const q = qValues(env, r.values, 0.9);
    for (let s = 0; s < env.numStates; s++) {
      expect(back.values[s]).toBeCloseTo(r.values[s], 8);
      expect(Math.max(q[s * 4], q[s * 4 + 1], q[s * 4 + 2], q[s * 4 + 3])).toBeCloseTo(r.values[s], 8);
    }
    // Ties go to the lowest action: in the bottom-left corner up and right are both optimal → up (0).
    expect(r.policy[env.stateOf(4, 0)]).toBe(0);
    expect(greedyPolicyOf(env, r.values, 0.9)).toEqual(r.policy);
  });

  it('refuses gamma 1 on the continuing task instead of looping forever', () => {
    expect(() => valueIteration(env, { gamma: 1, maxIterations: 500 })).toThrow(/no convergence after 500 sweeps.*gamma < 1/);
    const partial = valueIteration(env, { gamma: 1, maxIterations: 5, onMaxIterations: 'return' });
    expect(partial).toMatchObject({ iterations: 5, converged: false });
  });
});

describe('optimal returns of the registered tasks', () => {
  it('CliffWalking: -13 from the start with gamma 1, along the cliff edge', () => {
    const world = new GridWorldEnv({ layout: 'CliffWalking' });
    const r = valueIteration(world, { gamma: 1 });
    const start = world.startStates[0];
    expect(r.values[start]).toBeCloseTo(-13, 10);
    // Following the greedy policy in the env earns exactly that.
    const env = make('CliffWalking');
    let s = env.reset({ seed: 0 }).info.state as number;
    let g = 0;
    const visited: number[][] = [];
    for (;;) {
      const step = env.step(r.policy[s]);
      g += step.reward;
      s = step.info.state as number;
      visited.push(world.cellOf(s));
      if (step.terminated || step.truncated) break;
    }
    expect(g).toBe(-13);
    expect(visited.slice(0, 11).every(([row]) => row === 2)).toBe(true);
    expect(registration('CliffWalking').rewardThreshold).toBe(g);
  });

  it('Maze: the registered threshold is the best return', () => {
    const world = new GridWorldEnv({ layout: 'Maze' });
    const r = valueIteration(world, { gamma: 1 });
    expect(r.values[world.startStates[0]]).toBe(registration('maze').rewardThreshold);
    expect(registration('maze').maxEpisodeSteps!).toBeGreaterThan(-r.values[world.startStates[0]]);
  });

  it('GridWorld-4x4: the threshold lies between the random and the optimal mean return from the starts', () => {
    const world = new GridWorldEnv({ layout: '4x4' });
    const mean = (v: Float64Array) => Array.from(world.startStates).reduce((t, s) => t + v[s], 0) / world.startStates.length;
    const best = mean(valueIteration(world).values);
    const random = mean(policyEvaluation(world, uniformRandomPolicy(world)).values);
    const threshold = registration('GridWorld-4x4').rewardThreshold!;
    expect(best).toBe(-2);
    expect(threshold).toBeLessThan(best);
    expect(threshold).toBeGreaterThan(random);
  });

  it('FourRooms with slip: value iteration converges and values rise toward the goal', () => {
    const world = new GridWorldEnv({ layout: 'FourRooms', slip: 1 / 3 });
    const r = valueIteration(world, { gamma: 0.9 });
    expect(r.converged).toBe(true);
    const goal = world.terminalStates[0];
    expect(world.cellOf(goal)).toEqual([9, 9]);
    // Next to the goal beats the far corner.
    expect(r.values[world.stateOf(8, 9)]).toBeGreaterThan(r.values[world.stateOf(1, 1)]);
    expect(r.values[world.stateOf(8, 9)]).toBeLessThan(1);
  });
});

describe('planning on a hand-made model', () => {
  // State 0: action 0 stays with reward 1; action 1 ends the episode with reward 5. State 1 is terminal.
  const model: TabularModel = {
    numStates: 2,
    numActions: 2,
    transitions: (s, a) => (a === 0 ? [{ p: 1, next: 0, reward: 1, done: false }] : [{ p: 1, next: 1, reward: 5, done: true }]),
    isTerminal: (s) => s === 1,
  };

  it('solves the geometric series', () => {
    // Staying forever is worth 1 / (1 - gamma): 10 at gamma 0.9 beats 5; 2 at gamma 0.5 loses to 5.
    expect(valueIteration(model, { gamma: 0.9, tol: 1e-12 }).values[0]).toBeCloseTo(10, 9);
    expect(valueIteration(model, { gamma: 0.9 }).policy[0]).toBe(0);
    expect(valueIteration(model, { gamma: 0.5 }).values[0]).toBeCloseTo(5, 9);
    expect(valueIteration(model, { gamma: 0.5 }).policy[0]).toBe(1);
    // A stochastic policy: stay with 1/2 → v = 0.5 (1 + 0.9 v) + 0.5 · 5 → v = 3 / 0.55.
    expect(policyEvaluation(model, { probs: [0.5, 0.5, 0.5, 0.5] }, { gamma: 0.9, tol: 1e-12 }).values[0]).toBeCloseTo(3 / 0.55, 9);
  });

  it('rejects bad arguments with clear messages', () => {
    expect(() => valueIteration(model, { gamma: 1.5 })).toThrow(/gamma must be in \[0, 1\]/);
    expect(() => policyEvaluation(model, [0, 0, 0])).toThrow(/one action per state \(length 2\)/);
    expect(() => policyEvaluation(model, [2, 0])).toThrow(/policy\[0\] = 2 is not an action/);
    expect(() => policyEvaluation(model, { probs: [0.7, 0.7, 0.5, 0.5] })).toThrow(/state 0 sum to 1.4/);
    const broken: TabularModel = { ...model, transitions: () => [{ p: 0.5, next: 0, reward: 0, done: false }] };
    expect(() => valueIteration(broken)).toThrow(/sum to 0.5, not 1/);
  });
});
