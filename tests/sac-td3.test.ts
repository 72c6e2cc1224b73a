import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { createAgent } from '../agents/registry.js';
import { SacAgent, sampleSquashedGaussian, squashLogStd, SQUASH_EPS } from '../agents/sac.js';
import { Td3Agent, smoothTargetActions } from '../agents/td3.js';
import { ReplayBuffer } from '../agents/replay-buffer.js';
import { Mlp } from '../agents/mlp.js';
import type { Agent } from '../agents/agent.js';
import { makeVec } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import { Rng } from '../core/rng.js';
import { evaluate } from '../experiments/harness/evaluate.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const pendulumInfo = () => {
  const vec = makeVec('Pendulum-v1', 1);
  return { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: 2 };
};

/** Drives an agent on `n` Pendulum envs for `steps` env steps, as the harness does. */
function drive(agent: Agent, steps: number, n = 2, seed = 0, from = 0): void {
  const vec = makeVec('Pendulum-v1', n);
  vec.reset({ seed });
  const d = vec.obsSize;
  const prev = new Float32Array(n * d);
  const next = new Float32Array(n * d);
  for (let step = from + n; step <= from + steps; step += n) {
    prev.set(vec.obs);
    const { actions } = agent.act(vec.obs, n, { greedy: false });
    vec.step(actions);
    next.set(vec.obs);
    for (let i = 0; i < n; i++) if (vec.terminated[i] || vec.truncated[i]) next.set(vec.finalObs.subarray(i * d, (i + 1) * d), i * d);
    agent.observe({ n, obs: prev, actions, rewards: vec.rewards, nextObs: next, terminated: vec.terminated, truncated: vec.truncated }, step);
  }
}

const small = { hidden: [16, 16], batchSize: 32, learningStarts: 64 };

describe('SAC math', () => {
  it('tanh-squashed Gaussian log-prob: equals the change-of-variables density and integrates to 1', () => {
    // One action dimension, μ = 0.8, raw log σ = 0.2 (σ ≈ 0.44: the tanh bends the density noticeably).
    const out = new Float32Array([0.8, 0.2]);
    const mu = Math.fround(0.8);
    const logStd = squashLogStd(Math.fround(0.2));
    const sigma = Math.exp(logStd);
    for (const e of [-2.5, -0.7, 0, 0.4, 1.9]) {
      const a = new Float32Array(1);
      const lp = new Float32Array(1);
      sampleSquashedGaussian(out, 1, 1, [e], a, lp);
      const u = mu + sigma * e;
      expect(a[0]).toBeCloseTo(Math.tanh(u), 6);
      // p_A(a) = N(atanh a; μ, σ) / (1 − a²): the Jacobian of the tanh.
      const closedForm = -0.5 * ((u - mu) / sigma) ** 2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - Math.tanh(u) ** 2 + SQUASH_EPS);
      expect(lp[0]).toBeCloseTo(closedForm, 4);
    }
    // ∫ π(a) da over (−1, 1) = 1, by the midpoint rule on a fine grid of a (far from the bounds the
    // density is negligible). Without the correction term the integral is far from 1.
    let integral = 0;
    let uncorrected = 0;
    const h = 1e-4;
    for (let x = -1 + h / 2; x < 1; x += h) {
      const e = (Math.atanh(x) - mu) / sigma;
      const a = new Float32Array(1);
      const lp = new Float32Array(1);
      sampleSquashedGaussian(out, 1, 1, [e], a, lp);
      integral += Math.exp(lp[0]) * h;
      uncorrected += Math.exp(lp[0] + Math.log(1 - a[0] * a[0] + SQUASH_EPS)) * h;
    }
    expect(integral).toBeCloseTo(1, 2);
    expect(Math.abs(uncorrected - 1)).toBeGreaterThan(0.1);
  });

  it('hand-written actor gradient matches finite differences of the actor loss', () => {
    const info = { observationSpace: new Box(-1, 1, [3]), actionSpace: new Box([-2, 0], [2, 1]), numEnvs: 1 };
    const agent = new SacAgent(info, { hidden: [8, 8], activation: 'tanh' }, 4);
    const rng = new Rng(5);
    const B = 6;
    const obs = Float32Array.from({ length: B * 3 }, () => rng.uniform(-1, 1));
    const eps = Float32Array.from({ length: B * 2 }, () => rng.normal());
    const alpha = 0.7;
    const { grad } = agent.actorGradient(obs, B, alpha, eps);
    const p = agent.actor.params;
    const idx = [0, 5, 17, p.length - 9, p.length - 3, p.length - 1];
    for (const i of idx) {
      const orig = p[i];
      const h = 1e-2;
      p[i] = orig + h;
      agent.actor.syncVariables();
      const up = agent.actorGradient(obs, B, alpha, eps).loss;
      p[i] = orig - h;
      agent.actor.syncVariables();
      const down = agent.actorGradient(obs, B, alpha, eps).loss;
      p[i] = orig;
      agent.actor.syncVariables();
      expect(grad[i], `param ${i}`).toBeCloseTo((up - down) / (2 * h), 2);
    }
    agent.dispose();
  });

  it('critic gradient (both critics in one pass) matches finite differences', () => {
    const info = { observationSpace: new Box(-1, 1, [3]), actionSpace: new Box(-1, 1, [1]), numEnvs: 1 };
    const agent = new SacAgent(info, { hidden: [8, 8], activation: 'tanh' }, 6);
    const rng = new Rng(7);
    const B = 5;
    const x = Float32Array.from({ length: B * 4 }, () => rng.uniform(-1, 1));
    const y = Float32Array.from({ length: B }, () => rng.uniform(-2, 2));
    const { grad } = agent.critic.lossAndGradient(x, y, B);
    const nets = [agent.critic.q1, agent.critic.q2];
    for (const [netIdx, i] of [[0, 3], [0, 40], [1, 7], [1, nets[1].params.length - 1]]) {
      const net = nets[netIdx];
      const offset = netIdx === 0 ? 0 : nets[0].params.length;
      const orig = net.params[i];
      const h = 1e-2;
      net.params[i] = orig + h;
      net.syncVariables();
      const up = agent.critic.lossAndGradient(x, y, B).loss;
      net.params[i] = orig - h;
      net.syncVariables();
      const down = agent.critic.lossAndGradient(x, y, B).loss;
      net.params[i] = orig;
      net.syncVariables();
      expect(grad[offset + i]).toBeCloseTo((up - down) / (2 * h), 2);
    }
    agent.dispose();
  });

  it('Polyak update: after one gradient step each target is τ·online + (1 − τ)·old target', () => {
    const tau = 0.1;
    const agent = createAgent('sac', pendulumInfo(), { ...small, tau, learningStarts: 32, batchSize: 32 }, 1) as SacAgent;
    drive(agent, 30); // 15 vector steps of 2 envs: no training yet
    const before = Array.from(agent.critic.target1.params);
    drive(agent, 2, 2, 1, 30); // step 32: one gradient step
    const online = agent.critic.q1.params;
    const after = agent.critic.target1.params;
    for (const i of [0, 10, 100, after.length - 1]) expect(after[i]).toBeCloseTo(tau * online[i] + (1 - tau) * before[i], 6);
    expect(Array.from(after)).not.toEqual(before);
    agent.dispose();
  });

  it('Mlp.polyakFrom computes θ\' ← τθ + (1 − τ)θ\'', () => {
    const a = new Mlp([2, 3, 1], new Rng(1));
    const b = new Mlp([2, 3, 1], new Rng(2));
    const old = Array.from(b.params);
    b.polyakFrom(a, 0.25);
    b.params.forEach((v, i) => expect(v).toBeCloseTo(0.25 * a.params[i] + 0.75 * old[i], 6));
    a.dispose();
    b.dispose();
  });
});

describe('TD3 math', () => {
  it('target policy smoothing clips the noise to ±noiseClip, then the action to [-1, 1]', () => {
    const a = Float32Array.from([0, 0, 0.9, -0.95, 0.2]);
    smoothTargetActions(a, [10, -10, 0.5, -3, 0.1], 0.2, 0.5);
    // 0.2·10 = 2 → 0.5; 0.2·(−10) → −0.5; 0.9 + 0.1 = 1.0; −0.95 − 0.5 → −1 (clipped); 0.2 + 0.02.
    expect(Array.from(a).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.5, -0.5, 1, -1, 0.22]);
  });

  it('hand-written actor gradient matches finite differences of −mean Q1(s, tanh μ(s))', () => {
    const info = { observationSpace: new Box(-1, 1, [3]), actionSpace: new Box(-2, 2, [2]), numEnvs: 1 };
    const agent = new Td3Agent(info, { hidden: [8, 8], activation: 'tanh' }, 2);
    const rng = new Rng(9);
    const B = 6;
    const obs = Float32Array.from({ length: B * 3 }, () => rng.uniform(-1, 1));
    const { grad } = agent.actorGradient(obs, B);
    const p = agent.actor.params;
    for (const i of [1, 9, 30, p.length - 1]) {
      const orig = p[i];
      const h = 1e-2;
      p[i] = orig + h;
      agent.actor.syncVariables();
      const up = agent.actorGradient(obs, B).loss;
      p[i] = orig - h;
      agent.actor.syncVariables();
      const down = agent.actorGradient(obs, B).loss;
      p[i] = orig;
      agent.actor.syncVariables();
      expect(grad[i], `param ${i}`).toBeCloseTo((up - down) / (2 * h), 2);
    }
    agent.dispose();
  });
});

describe('replay with Box actions', () => {
  it('n-step returns keep each transition\'s own action row; state round trip keeps pending rows', () => {
    const g = 0.5;
    const mk = () => new ReplayBuffer({ capacity: 10, obsSize: 1, numEnvs: 1, gamma: g, nStep: 2, actionKind: 'box', actionSize: 2 });
    const buf = mk();
    const step = (t: number, term = false) =>
      buf.add({ n: 1, obs: Float32Array.of(t), actions: Float32Array.of(t + 0.25, -t), rewards: Float64Array.of(t), nextObs: Float32Array.of(t + 0.5), terminated: Uint8Array.of(term ? 1 : 0), truncated: Uint8Array.of(0) });
    step(0);
    step(1);
    step(2, true);
    expect(buf.size).toBe(3);
    // s0: actions (0.25, −0), return 0 + 0.5·1, 2 steps; s1: (1.25, −1), 1 + 0.5·2 (terminal); s2: (2.25, −2), 2.
    expect(Array.from(buf.actions.subarray(0, 6))).toEqual([0.25, -0, 1.25, -1, 2.25, -2]);
    expect(Array.from(buf.returns.subarray(0, 3))).toEqual([0.5, 2, 2]);
    expect(Array.from(buf.discounts.subarray(0, 3))).toEqual([0.25, 0.25, 0.5]);
    step(3); // held back
    const st = buf.getState();
    const copy = mk();
    copy.setState(JSON.parse(JSON.stringify(st.json)), st.blobs);
    for (const b of [buf, copy]) b.add({ n: 1, obs: Float32Array.of(4), actions: Float32Array.of(9, 8), rewards: Float64Array.of(4), nextObs: Float32Array.of(4.5), terminated: Uint8Array.of(0), truncated: Uint8Array.of(0) });
    expect(Array.from(copy.actions)).toEqual(Array.from(buf.actions));
    expect(Array.from(copy.actions.subarray(6, 8))).toEqual([3.25, -3]);
    const s = copy.sample(4, new Rng(1));
    expect(s.actions.length).toBe(8);
  });
});

describe.each(['sac', 'td3'])('%s agent', (name) => {
  it('acts inside the Box, keeps tf.memory().numTensors flat, and is deterministic', () => {
    const run = () => {
      const agent = createAgent(name, pendulumInfo(), small, 3);
      drive(agent, 200);
      const before = tf.memory().numTensors;
      drive(agent, 200, 2, 1, 200);
      expect(tf.memory().numTensors).toBe(before);
      const { actions } = agent.act(new Float32Array([1, 0, 0, 0, 1, 7]), 2, { greedy: false });
      for (const a of actions) expect(Math.abs(a)).toBeLessThanOrEqual(2);
      const params = Array.from((agent as SacAgent | Td3Agent).actor.params);
      agent.dispose();
      return params;
    };
    expect(run()).toEqual(run());
  });

  it('getState/setState mid-run continues identically', () => {
    const a = createAgent(name, pendulumInfo(), small, 5) as SacAgent | Td3Agent;
    drive(a, 150);
    const st = a.getState();
    const b = createAgent(name, pendulumInfo(), small, 5) as SacAgent | Td3Agent;
    b.setState({ json: JSON.parse(JSON.stringify(st.json)), blobs: st.blobs });
    drive(a, 100, 2, 8, 150);
    drive(b, 100, 2, 8, 150);
    expect(Array.from(b.actor.params)).toEqual(Array.from(a.actor.params));
    expect(Array.from(b.critic.target2.params)).toEqual(Array.from(a.critic.target2.params));
    a.dispose();
    b.dispose();
  });

  it('refuses bad hyperparameters and Discrete action spaces with one clear line', () => {
    expect(() => createAgent(name, pendulumInfo(), { tau: 0 }, 0)).toThrow(/tau/);
    expect(() => createAgent(name, pendulumInfo(), { batchSize: 0 }, 0)).toThrow(/batchSize/);
    expect(() => createAgent(name, { ...pendulumInfo(), actionSpace: new Box(-Infinity, Infinity, [1]) }, {}, 0)).toThrow(/bounded/);
  });
});

/** Turns an agent's direct kernel calls off (tf ops on wasm too), for comparing the two paths. */
function useTfOps(agent: SacAgent | Td3Agent): void {
  agent.kernels = null;
  agent.critic.kernels = null;
}

// On wasm the actor-critic passes run as direct kernel calls (agents/kernel-scope.ts); with the scopes
// removed they run the tf ops that other backends use. Both give the same bits.
describe('SAC and TD3 on wasm: direct kernel calls and tf ops', () => {
  const nets = [
    { hidden: [7], activation: 'tanh' },
    { hidden: [16], activation: 'relu' },
    { hidden: [64, 64], activation: 'relu' },
    { hidden: [5, 70, 9], activation: 'tanh' },
  ] as const;

  it.each(nets)('the same critic values, gradients and input gradients ($hidden, $activation)', ({ hidden, activation }) => {
    const info = { observationSpace: new Box(-1, 1, [3]), actionSpace: new Box([-2, 0], [2, 1]), numEnvs: 1 };
    const rng = new Rng(11);
    const B = 37;
    const x = Float32Array.from({ length: B * 5 }, () => rng.uniform(-1, 1));
    const y = Float32Array.from({ length: B }, () => rng.uniform(-2, 2));
    const obs = Float32Array.from({ length: B * 3 }, () => rng.uniform(-1, 1));
    const eps = Float32Array.from({ length: B * 2 }, () => rng.normal());
    const results = (tfOps: boolean) => {
      const sac = new SacAgent(info, { hidden: [...hidden], activation }, 4);
      const td3 = new Td3Agent(info, { hidden: [...hidden], activation }, 4);
      if (tfOps) [sac, td3].forEach(useTfOps);
      // Targets apart from the online critics, so that min(Q1, Q2) takes both branches.
      sac.critic.target1.setParams(sac.critic.q2.params);
      const out = {
        targetMin: Array.from(sac.critic.targetMin(x, B)),
        fit: sac.critic.lossAndGradient(x, y, B),
        min: sac.critic.inputGradient(x, B, 'min'),
        q1: sac.critic.inputGradient(x, B, 'q1'),
        sacActor: sac.actorGradient(obs, B, 0.3, eps),
        td3Actor: td3.actorGradient(obs, B),
      };
      sac.dispose();
      td3.dispose();
      return out;
    };
    const kernels = results(false);
    const tfOps = results(true);
    expect(kernels).toEqual(tfOps);
    expect(new Set(kernels.min.dx).size).toBeGreaterThan(B); // not trivially zero
  });

  it.each(['sac', 'td3'])('%s trains to the same weights either way', (name) => {
    const run = (tfOps: boolean) => {
      const agent = createAgent(name, pendulumInfo(), { ...small, hidden: [16, 16] }, 9) as SacAgent | Td3Agent;
      if (tfOps) useTfOps(agent);
      drive(agent, 240);
      const params = [agent.actor, agent.critic.q1, agent.critic.q2, agent.critic.target1, agent.critic.target2].map((m) => Array.from(m.params));
      agent.dispose();
      return params;
    };
    expect(run(false)).toEqual(run(true));
  });

  it.each(['sac', 'td3'])('%s calls no engine kernel in a gradient step and keeps its data flat', async (name) => {
    const agent = createAgent(name, pendulumInfo(), small, 3) as SacAgent | Td3Agent;
    drive(agent, 100);
    const info = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
    const before = { tensors: info.numTensors, buffers: info.numDataBuffers };
    // Every env step after learningStarts trains; the actor's forward pass when acting is kernels too.
    const profile = await tf.profile(() => drive(agent, 40, 2, 1, 100));
    expect(profile.kernels).toEqual([]);
    drive(agent, 60, 2, 2, 140);
    const after = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
    expect({ tensors: after.numTensors, buffers: after.numDataBuffers }).toEqual(before);
    agent.dispose();
  });
});

describe('learning (CI budget)', () => {
  // A random policy scores about −1200 on Pendulum-v1 (10 episodes); the preset solves (≥ −200) at 2k–4k steps.
  it.each([
    // SAC: its Pendulum preset's hyperparameters (batch 64 reached only −765 at 3k steps).
    ['sac', 3_000, { learningStarts: 500, batchSize: 128, tau: 0.02 }],
    // TD3: the preset's rhythm with a smaller batch, to keep CI short.
    ['td3', 2_500, { learningStarts: 500, batchSize: 64, tau: 0.02 }],
  ] as const)('%s learns Pendulum-v1: greedy eval clearly above random after %i steps', async (name, steps, preset) => {
    const info = { ...pendulumInfo(), numEnvs: 1 };
    const hp = { ...preset, totalSteps: steps };
    const agent = createAgent(name, info, hp, 0);
    drive(agent, steps, 1, 0);
    const res = await evaluate(agent, { envId: 'Pendulum-v1', envKwargs: {}, episodes: 10, seedBase: 1000 });
    expect(res.mean).toBeGreaterThan(-600);
    agent.dispose();
  });
});
