import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { DqnAgent } from '../agents/dqn.js';
import { softDoubleValue, softValue } from '../agents/dqn-update.js';
import { createAgent } from '../agents/registry.js';
import { makeVec } from '../envs/registry.js';
import { Box, Discrete } from '../envs/spaces.js';
import type { ReplaySample } from '../agents/replay-buffer.js';
import { evaluate } from '../experiments/harness/evaluate.js';
import { presetFor } from '../experiments/presets.js';
import { Rng } from '../core/rng.js';

function argmax(q: Float32Array): number {
  let best = 0;
  for (let a = 1; a < q.length; a++) if (q[a] > q[best]) best = a;
  return best;
}

beforeAll(async () => {
  await initBackend('wasm');
});

const info = { observationSpace: new Box(-1, 1, [2]), actionSpace: new Discrete(3), numEnvs: 1 };

function sample(rows: { r: number; term: 0 | 1; trunc: 0 | 1; disc: number }[]): ReplaySample {
  const B = rows.length;
  return {
    size: B,
    indices: new Int32Array(B),
    obs: new Float32Array(B * 2),
    actions: new Int32Array(B),
    returns: Float32Array.from(rows, (x) => x.r),
    nextObs: Float32Array.from({ length: B * 2 }, (_, i) => Math.sin(i + 1)),
    terminated: Uint8Array.from(rows, (x) => x.term),
    truncated: Uint8Array.from(rows, (x) => x.trunc),
    discounts: Float32Array.from(rows, (x) => x.disc),
    weights: new Float32Array(B).fill(1),
  };
}

/** Runs the agent on a CartPole vector env for `steps` env steps, as the harness does. */
function drive(agent: DqnAgent | ReturnType<typeof createAgent>, steps: number, n = 4, seed = 0): void {
  const vec = makeVec('CartPole-v1', n);
  vec.reset({ seed });
  const prev = new Float32Array(n * 4);
  const next = new Float32Array(n * 4);
  for (let step = n; step <= steps; step += n) {
    prev.set(vec.obs);
    const { actions } = agent.act(vec.obs, n, { greedy: false });
    vec.step(actions);
    next.set(vec.obs);
    for (let i = 0; i < n; i++) if (vec.terminated[i] || vec.truncated[i]) next.set(vec.finalObs.subarray(i * 4, i * 4 + 4), i * 4);
    agent.observe({ n, obs: prev, actions, rewards: vec.rewards, nextObs: next, terminated: vec.terminated, truncated: vec.truncated }, step);
  }
}

/**
 * Trains `mk()` 600 steps, restores a fresh `mk()` from its (JSON round-tripped) state, then drives both
 * 400 more steps on the same env seed: a checkpoint round trip should leave the two in lockstep.
 */
function continuedPair(mk: () => DqnAgent): { a: DqnAgent; b: DqnAgent } {
  const a = mk();
  drive(a, 600);
  const st = a.getState();
  const b = mk();
  b.setState({ json: JSON.parse(JSON.stringify(st.json)), blobs: st.blobs });
  drive(a, 400, 4, 9);
  drive(b, 400, 4, 9);
  return { a, b };
}

describe('DQN', () => {
  it('TD target bootstraps on truncation and not on termination (double DQN)', () => {
    const agent = new DqnAgent(info, { gamma: 0.9 }, 1);
    // Make the target network differ from the online one, so double DQN matters.
    agent.target.setParams(agent.target.params.map((v, i) => v + 0.3 * Math.cos(i)));
    const rows = [
      { r: 1, term: 0, trunc: 0, disc: 0.9 },
      { r: 2, term: 1, trunc: 0, disc: 0.9 },
      { r: 3, term: 0, trunc: 1, disc: 0.9 },
      { r: 4, term: 0, trunc: 1, disc: 0.81 }, // a 2-step return
    ] as const;
    const s = sample([...rows]);
    const y = agent.tdTargets(s);
    const qOnline = agent.qValuesOf(s.nextObs, 4, 'online');
    const qTarget = agent.qValuesOf(s.nextObs, 4, 'target');
    rows.forEach((row, i) => {
      const on = Array.from(qOnline.subarray(i * 3, i * 3 + 3));
      const aStar = on.indexOf(Math.max(...on));
      const expected = row.term ? row.r : row.r + row.disc * qTarget[i * 3 + aStar];
      expect(y[i]).toBeCloseTo(expected, 5);
    });
    expect(y[1]).toBe(2); // terminated: the reward alone
    expect(y[2]).not.toBeCloseTo(3, 3); // truncated: bootstraps
    agent.dispose();
  });

  it('plain DQN targets use max over the target network', () => {
    const agent = new DqnAgent(info, { gamma: 0.9, doubleDqn: false }, 1);
    agent.target.setParams(agent.target.params.map((v, i) => v + 0.3 * Math.cos(i)));
    const s = sample([{ r: 1, term: 0, trunc: 0, disc: 0.9 }]);
    const q = agent.qValuesOf(s.nextObs, 1, 'target');
    expect(agent.tdTargets(s)[0]).toBeCloseTo(1 + 0.9 * Math.max(...q), 5);
    agent.dispose();
  });

  it('advantage learning lowers the targets of non-greedy actions by α times their gap, and leaves the greedy one', () => {
    const plain = new DqnAgent(info, { gamma: 0.9 }, 1);
    const al = new DqnAgent(info, { gamma: 0.9, advantageLearning: 0.8 }, 1);
    for (const a of [plain, al]) a.target.setParams(a.target.params.map((v, i) => v + 0.3 * Math.cos(i)));
    const rows = [0, 1, 2].map(() => ({ r: 1, term: 0 as const, trunc: 0 as const, disc: 0.9 }));
    const s = sample(rows);
    s.obs.set([0.5, -1, 0.5, -1, 0.5, -1]); // one state, each of the three actions taken once
    s.actions.set([0, 1, 2]);
    const q = Array.from(al.qValuesOf(s.obs.subarray(0, 2), 1, 'target'));
    const best = Math.max(...q);
    const yPlain = plain.tdTargets(s);
    const yAl = al.tdTargets(s);
    for (let a = 0; a < 3; a++) expect(yAl[a]).toBeCloseTo(yPlain[a] - 0.8 * (best - q[a]), 5);
    expect(q.filter((v) => v < best).length).toBe(2); // two actions really are lowered
    plain.dispose();
    al.dispose();
  });

  it('Munchausen targets: the soft value of s′ and α times the clipped, scaled log-policy of the taken action', () => {
    const tau = 0.5;
    const m = new DqnAgent(info, { gamma: 0.9, munchausen: 0.7, munchausenTau: tau, munchausenClip: -0.4 }, 1);
    m.target.setParams(m.target.params.map((v, i) => v + 0.3 * Math.cos(i)));
    const rows = [0, 1, 2].map(() => ({ r: 1, term: 0 as const, trunc: 0 as const, disc: 0.9 }));
    const s = sample(rows);
    s.obs.set([0.5, -1, 0.5, -1, 0.5, -1]); // one state, each of the three actions taken once
    s.actions.set([0, 1, 2]);
    const q = Array.from(m.qValuesOf(s.obs.subarray(0, 2), 1, 'target'));
    const softMax = (row: number[]) => tau * Math.log(row.reduce((sum, v) => sum + Math.exp(v / tau), 0));
    const y = m.tdTargets(s);
    for (let a = 0; a < 3; a++) {
      const next = (net: 'online' | 'target') => Array.from(m.qValuesOf(s.nextObs.subarray(2 * a, 2 * a + 2), 1, net));
      const logPi = q[a] - softMax(q);
      // Double DQN (the default): the online network's softmax policy on s' weights the target's values.
      const online = next('online');
      const target = next('target');
      const tauLogPiNext = online.map((qb) => qb - softMax(online));
      const vNext = tauLogPiNext.reduce((v, l, b) => v + Math.exp(l / tau) * (target[b] - l), 0);
      expect(y[a]).toBeCloseTo(1 + 0.7 * Math.max(-0.4, logPi) + 0.9 * vNext, 5);
    }
    // The clip bites for at least one action here, and the soft value lies above the max.
    expect(q.some((v) => v - softMax(q) < -0.4)).toBe(true);
    expect(softMax(q)).toBeGreaterThan(Math.max(...q));
    m.dispose();
  });

  it('softValue is the soft maximum without overflow, softDoubleValue the soft value under another row\'s policy, and Munchausen excludes advantage learning', () => {
    expect(softValue(Float32Array.of(1000, 999), 0, 2, 0.03)).toBeCloseTo(1000, 4);
    expect(softValue(Float32Array.of(0, 0, 7, 1, 2), 2, 3, 1)).toBeCloseTo(Math.log(Math.exp(7) + Math.exp(1) + Math.exp(2)), 4);
    // Under its own policy a row's soft value is its soft maximum; a sharp policy picks the value of its argmax.
    const q = Float32Array.of(0.3, -1.2, 0.9);
    expect(softDoubleValue(q, q, 0, 3, 0.7)).toBeCloseTo(softValue(q, 0, 3, 0.7), 5);
    expect(softDoubleValue(Float32Array.of(1000, 990), Float32Array.of(3, 8), 0, 2, 0.03)).toBeCloseTo(3, 5);
    expect(() => new DqnAgent(info, { munchausen: 0.9, advantageLearning: 0.25 }, 1)).toThrow(/munchausen=0.9 and advantageLearning=0.25 both reshape the TD target; set one of them to 0/);
  });

  it('ε decays linearly from epsStart to epsEnd and greedy acts take the argmax', () => {
    const agent = new DqnAgent(info, { epsStart: 1, epsEnd: 0.1, epsDecaySteps: 100, learningStarts: 1e9 }, 0);
    expect(agent.epsilon()).toBe(1);
    const b = { n: 1, obs: new Float32Array(2), actions: new Int32Array(1), rewards: new Float64Array(1), nextObs: new Float32Array(2), terminated: new Uint8Array(1), truncated: new Uint8Array(1) };
    agent.observe(b, 50);
    expect(agent.epsilon()).toBeCloseTo(0.55, 10);
    agent.observe(b, 500);
    expect(agent.epsilon()).toBeCloseTo(0.1, 10);
    const obs = new Float32Array([0.3, -0.2, 0.9, 0.1]);
    const q = agent.qValuesOf(obs, 2);
    const { actions, qValues } = agent.act(obs, 2, { greedy: true });
    for (let i = 0; i < 2; i++) {
      const row = Array.from(q.subarray(i * 3, i * 3 + 3));
      expect(actions[i]).toBe(row.indexOf(Math.max(...row)));
    }
    expect(Array.from(qValues!)).toEqual(Array.from(q));
    agent.dispose();
  });

  it('dueling head: Q = V + A − mean(A)', () => {
    const agent = new DqnAgent(info, { dueling: true }, 2);
    const obs = new Float32Array([0.5, -0.5]);
    const raw = agent.online.predict(obs, 1); // [V, A1, A2, A3]
    const meanA = (raw[1] + raw[2] + raw[3]) / 3;
    const q = agent.qValuesOf(obs, 1);
    for (let a = 0; a < 3; a++) expect(q[a]).toBeCloseTo(raw[0] + raw[1 + a] - meanA, 5);
    agent.dispose();
  });

  it('keeps tf.memory().numTensors flat over many steps with updates (all options on)', () => {
    const agent = createAgent('dqn', { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 }, { learningStarts: 64, dueling: true, prioritized: true, nStep: 3, tau: 0.5, targetUpdateInterval: 10 }, 0);
    drive(agent, 400);
    const before = tf.memory().numTensors;
    drive(agent, 2000);
    expect(tf.memory().numTensors).toBe(before);
    agent.dispose();
  });

  it('is deterministic: same seed, same weights after training', () => {
    const run = () => {
      const agent = createAgent('dqn', { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 }, { learningStarts: 200 }, 7) as DqnAgent;
      drive(agent, 1500, 4, 7);
      const p = Array.from(agent.online.params);
      agent.dispose();
      return p;
    };
    const a = run();
    expect(run()).toEqual(a);
  });

  it('getState/setState mid-run continues identically', () => {
    const mk = () => createAgent('dqn', { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 }, { learningStarts: 100, prioritized: true, nStep: 2 }, 3) as DqnAgent;
    const { a, b } = continuedPair(mk);
    expect(Array.from(b.online.params)).toEqual(Array.from(a.online.params));
    expect(Array.from(b.target.params)).toEqual(Array.from(a.target.params));
    a.dispose();
    b.dispose();
  });

  it('greedy acts draw nothing from the exploration stream (how often a run evaluates does not change training)', () => {
    const cartpole = { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 1 };
    const obs = Float32Array.from([0.01, 0.2, -0.03, -0.1]);
    const explored = (greedyInBetween: boolean) => {
      const agent = createAgent('dqn', cartpole, { epsStart: 0.5, epsEnd: 0.5 }, 11);
      const out: number[] = [];
      for (let t = 0; t < 200; t++) {
        if (greedyInBetween) agent.act(obs, 1, { greedy: true });
        out.push(agent.act(obs, 1, { greedy: false }).actions[0]);
      }
      agent.dispose();
      return out;
    };
    expect(explored(true)).toEqual(explored(false));
  });

  it('εz-greedy repeats exploratory actions for zeta-distributed lengths; greedy acts ignore the repeat', () => {
    const cartpole = { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 1 };
    const obs = new Float32Array(4);
    // Always exploring (ε = 1): plain ε-greedy switches action on about half the steps; with μ = 2 a new
    // repeat starts only when the previous one ends (mean length ≈ 6 under the truncated zeta(2)).
    const switchRate = (mu: number) => {
      const agent = createAgent('dqn', cartpole, { epsStart: 1, epsEnd: 1, epsRepeatMu: mu }, 5) as DqnAgent;
      let prev = -1;
      let switches = 0;
      const steps = 4000;
      for (let t = 0; t < steps; t++) {
        const a = agent.act(obs, 1, { greedy: false }).actions[0];
        if (prev !== -1 && a !== prev) switches++;
        prev = a;
        // A greedy act in the middle of a repeat neither takes the repeated action's place nor ends it.
        if (t % 7 === 0) expect(agent.act(obs, 1, { greedy: true }).actions[0]).toBe(argmax(agent.qValuesOf(obs, 1)));
      }
      agent.dispose();
      return switches / steps;
    };
    expect(switchRate(0)).toBeGreaterThan(0.45);
    expect(switchRate(0)).toBeLessThan(0.55);
    const repeated = switchRate(2);
    expect(repeated).toBeGreaterThan(0.02);
    expect(repeated).toBeLessThan(0.15);
  });

  it('εz-greedy state survives getState/setState mid-repeat', () => {
    const cartpole = { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 };
    const mk = () => createAgent('dqn', cartpole, { learningStarts: 100, epsRepeatMu: 1.5, epsDecaySteps: 5_000 }, 4) as DqnAgent;
    const { a, b } = continuedPair(mk);
    expect(Array.from(b.online.params)).toEqual(Array.from(a.online.params));
    a.dispose();
    b.dispose();
    // A checkpoint without the repeat state (saved with μ = 0) is refused, not silently reset.
    const plain = createAgent('dqn', cartpole, { learningStarts: 100 }, 4) as DqnAgent;
    const c = mk();
    expect(() => c.setState(plain.getState())).toThrow(/εz-greedy state/);
    plain.dispose();
    c.dispose();
  });

  it('scaleObs maps the observation bounds to [−1, 1] for acting and for the replay buffer', () => {
    const space = new Box([-1.2, -0.07], [0.6, 0.07]);
    const agent = createAgent('dqn', { observationSpace: space, actionSpace: new Discrete(3), numEnvs: 1 }, { scaleObs: true, learningStarts: 1_000 }, 0) as DqnAgent;
    const raw = Float32Array.from([0.6, -0.035]);
    const scaled = Float32Array.from([1, -0.5]);
    // Acting on the raw observation gives the Q-values of the scaled one.
    expect(agent.act(raw, 1, { greedy: true }).qValues).toEqual(agent.qValuesOf(scaled, 1));
    agent.observe({ n: 1, obs: raw, actions: Int32Array.of(0), rewards: Float64Array.of(-1), nextObs: Float32Array.from([-1.2, 0.07]), terminated: Uint8Array.of(0), truncated: Uint8Array.of(0) }, 1);
    const s = agent.buffer.sample(1, new Rng(0), 1);
    expect(Array.from(s.obs)).toEqual([1, -0.5].map(Math.fround));
    expect(Array.from(s.nextObs)).toEqual([-1, 1]);
    agent.dispose();
    // CartPole's velocities are unbounded: nothing to scale by, so it is refused with the reason.
    expect(() => createAgent('dqn', { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 1 }, { scaleObs: true }, 0)).toThrow(/scaleObs needs finite bounds.*dimension 1/);
  });

  it('learns CartPole: greedy return clearly above random within a small budget', async () => {
    // The CartPole preset's hyperparameters, on a fraction of its budget.
    const hp = { ...presetFor('dqn', 'CartPole-v1').hyperparams, totalSteps: 8_000 };
    const agent = createAgent('dqn', { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 }, hp, 0);
    drive(agent, 8_000);
    const res = await evaluate(agent, { envId: 'CartPole-v1', envKwargs: {}, episodes: 10, seedBase: 1000 });
    // A random policy averages ~22 on CartPole.
    expect(res.mean).toBeGreaterThan(100);
    agent.dispose();
  });

  it('greedyTau: greedy actions come from a Polyak average of the online network; training is unchanged', () => {
    const cartpole = { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 };
    const hp = { learningStarts: 100, trainFreq: 1, gradientSteps: 1 };
    const plain = createAgent('dqn', cartpole, hp, 6) as DqnAgent;
    const averaged = createAgent('dqn', cartpole, { ...hp, greedyTau: 0.02 }, 6) as DqnAgent;
    expect(plain.averaged).toBeNull();
    expect(plain.greedyNetwork).toBe(plain.online);
    // The average starts at the initial weights and moves by τ = max(greedyTau, 9 / (10 + n)) after the n-th gradient step.
    const expected = Float64Array.from(averaged.online.params);
    const vec = makeVec('CartPole-v1', 4);
    vec.reset({ seed: 6 });
    const prev = new Float32Array(16);
    const next = new Float32Array(16);
    let gradientSteps = 0;
    for (let step = 4; step <= 1200; step += 4) {
      prev.set(vec.obs);
      const { actions } = averaged.act(vec.obs, 4, { greedy: false });
      vec.step(actions);
      next.set(vec.obs);
      for (let i = 0; i < 4; i++) if (vec.terminated[i] || vec.truncated[i]) next.set(vec.finalObs.subarray(i * 4, i * 4 + 4), i * 4);
      const update = averaged.observe({ n: 4, obs: prev, actions, rewards: vec.rewards, nextObs: next, terminated: vec.terminated, truncated: vec.truncated }, step);
      if (!update) continue;
      gradientSteps++;
      const tau = Math.max(0.02, 9 / (10 + gradientSteps));
      for (let i = 0; i < expected.length; i++) expected[i] = Math.fround(expected[i] + tau * (averaged.online.params[i] - expected[i]));
    }
    expect(gradientSteps).toBeGreaterThan(200); // τ reached its floor (9 / (10 + n) < 0.02 from n = 441 on)
    expect(Array.from(averaged.averaged!.params)).toEqual(Array.from(expected));
    // Greedy actions and their Q-values are the average's, not the online network's.
    const obs = Float32Array.from({ length: 64 * 4 }, (_, i) => 0.05 * Math.sin(i));
    const greedy = averaged.act(obs, 64, { greedy: true });
    expect(greedy.qValues).toEqual(averaged.qValuesOf(obs, 64, 'greedy'));
    expect(greedy.qValues).not.toEqual(averaged.qValuesOf(obs, 64, 'online'));
    // The average never feeds training: the same seed without it trains the same online weights.
    drive(plain, 1200, 4, 6);
    expect(Array.from(averaged.online.params)).toEqual(Array.from(plain.online.params));
    plain.dispose();
    averaged.dispose();
  });

  it('greedyTau: the average is part of the checkpoint state, and its tensors do not leak', () => {
    const cartpole = { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 };
    const mk = () => createAgent('dqn', cartpole, { learningStarts: 100, greedyTau: 0.01 }, 8) as DqnAgent;
    const { a, b } = continuedPair(mk);
    expect(Array.from(b.online.params)).toEqual(Array.from(a.online.params));
    expect(Array.from(b.averaged!.params)).toEqual(Array.from(a.averaged!.params));
    const obs = Float32Array.from({ length: 32 * 4 }, (_, i) => 0.1 * Math.cos(i));
    expect(b.act(obs, 32, { greedy: true }).qValues).toEqual(a.act(obs, 32, { greedy: true }).qValues);
    expect(Object.keys(a.getState().blobs)).toContain('averaged.params');
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) {
      drive(a, 200, 4, k);
      a.act(obs, 32, { greedy: true });
    }
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    b.dispose();
  });
});

describe('DQN against exact planning', () => {
  it('GridWorld-4x4: the greedy return from every start state equals the value-iteration optimum', async () => {
    const { train } = await import('../experiments/harness/trainer.js');
    const { loadAgentFromRun } = await import('../experiments/harness/agent-io.js');
    const { valueIteration } = await import('../agents/planning.js');
    const { make } = await import('../envs/registry.js');
    const os = await import('node:os');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const preset = presetFor('dqn', 'GridWorld-4x4');
    const run = await train({
      agent: 'dqn', env: 'GridWorld-4x4', seed: 0, totalSteps: preset.totalSteps, numEnvs: preset.numEnvs, evalEvery: preset.evalEvery, evalEpisodes: preset.evalEpisodes,
      recordEpisodes: 0, checkpointEvery: preset.checkpointEvery, stopWhenSolved: preset.stopWhenSolved, logEvery: 1000, envKwargs: {}, hyperparams: preset.hyperparams,
      backend: 'wasm', outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-grid-')), progress: 'none', verbose: false,
    });
    const { agent } = loadAgentFromRun(run.runDir);
    const model = make('GridWorld-4x4').unwrapped as unknown as import('../envs/gridworld.js').GridWorldEnv;
    const optimum = valueIteration(model, { gamma: 1 }).values;
    expect(model.startStates.length).toBe(14);
    for (const s of model.startStates) {
      const env = make('GridWorld-4x4');
      let { obs } = env.reset({ seed: 0, options: { startState: s } });
      let ret = 0;
      for (;;) {
        const r = env.step(agent.act(obs, 1, { greedy: true }).actions[0]);
        ret += r.reward;
        obs = r.obs;
        if (r.terminated || r.truncated) break;
      }
      expect(ret, `start state ${s}`).toBe(optimum[s]);
    }
    agent.dispose();
  });
});
