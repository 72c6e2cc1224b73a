import { beforeAll, describe, expect, it } from 'vitest';
import { STREAMS, streamSeeds } from '../core/seeds.js';
import { initBackend, tf } from '../agents/backend.js';
import { Categorical, DiagGaussian } from '../agents/distributions.js';
import { PpoAgent } from '../agents/ppo.js';
import { A2cAgent } from '../agents/a2c.js';
import { ReinforceAgent } from '../agents/reinforce.js';
import type { PolicyGradientAgent } from '../agents/policy-gradient.js';
import type { Agent, UpdateMetrics } from '../agents/agent.js';
import { createAgent, resolveHyperparams } from '../agents/registry.js';
import { PRESETS } from '../experiments/presets.js';
import { make, makeVec } from '../envs/registry.js';
import type { VectorEnv } from '../envs/vector.js';
import { Box, Discrete } from '../envs/spaces.js';
import { Rng } from '../core/rng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

type AnyPg = PolicyGradientAgent;
type Ctor = new (info: ConstructorParameters<typeof PpoAgent>[0], hp: Record<string, unknown>, seed: number) => AnyPg;

function build(Agent: Ctor, envId: string, numEnvs: number, hp: Record<string, unknown>, seed: number): { agent: AnyPg; vec: VectorEnv } {
  const vec = makeVec(envId, numEnvs);
  vec.reset({ seed: streamSeeds(seed, STREAMS.trainEnv, numEnvs) }); // as the harness seeds training envs
  const agent = new Agent({ observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs }, hp, seed);
  return { agent, vec };
}

/** The harness's collect loop: act, step, observe (with final observations where episodes ended). */
function run(agent: Agent, vec: VectorEnv, vectorSteps: number, startStep = 0, onActions?: (a: ArrayLike<number>) => void): { step: number; updates: UpdateMetrics[] } {
  const n = vec.numEnvs;
  const d = vec.obsSize;
  const prevObs = new Float32Array(n * d);
  const nextObs = new Float32Array(n * d);
  const updates: UpdateMetrics[] = [];
  let step = startStep;
  for (let s = 0; s < vectorSteps; s++) {
    prevObs.set(vec.obs);
    const { actions } = agent.act(vec.obs, n, { greedy: false });
    onActions?.(actions);
    vec.step(actions);
    nextObs.set(vec.obs);
    for (let i = 0; i < n; i++) if (vec.terminated[i] || vec.truncated[i]) nextObs.set(vec.finalObs.subarray(i * d, (i + 1) * d), i * d);
    step += n;
    const u = agent.observe({ n, obs: prevObs, actions, rewards: vec.rewards, nextObs, terminated: vec.terminated, truncated: vec.truncated }, step);
    if (u) updates.push(u);
  }
  return { step, updates };
}

/** Mean greedy return over `episodes` episodes run in lockstep (one batched forward pass per step). */
function greedyReturn(agent: Agent, envId: string, episodes: number, runSeed = 0): number {
  const seeds = streamSeeds(runSeed, STREAMS.evalEpisode, episodes); // the harness's held-out eval episodes
  const envs = Array.from({ length: episodes }, () => make(envId));
  const d = (envs[0].observationSpace as Box).size;
  const obs = new Float32Array(episodes * d);
  const done = new Array<boolean>(episodes).fill(false);
  let total = 0;
  envs.forEach((e, k) => obs.set(e.reset({ seed: seeds[k] }).obs, k * d));
  while (done.some((x) => !x)) {
    const { actions } = agent.act(obs, episodes, { greedy: true });
    const size = actions.length / episodes;
    envs.forEach((e, k) => {
      if (done[k]) return;
      const r = e.step(size === 1 ? actions[k] : Float32Array.from(actions.subarray(k * size, (k + 1) * size)));
      total += r.reward;
      if (r.terminated || r.truncated) done[k] = true;
      else obs.set(r.obs, k * d);
    });
  }
  return total / episodes;
}

function allParams(agent: AnyPg): Float32Array[] {
  return agent.optimizer.nets.map((p) => Float32Array.from(p.params));
}

describe('distributions', () => {
  it('categorical: log-probs, entropy and probabilities of known logits, in JS and in tf', () => {
    const dist = new Categorical(new Discrete(2));
    // Row 0: probabilities [1/4, 3/4]; row 1: uniform.
    const logits = Float32Array.from([0, Math.log(3), 2, 2]);
    const lp = new Float32Array(2);
    dist.logProb(logits, 2, Float32Array.from([1, 0]), lp);
    expect(lp[0]).toBeCloseTo(Math.log(0.75), 6);
    expect(lp[1]).toBeCloseTo(Math.log(0.5), 6);
    const h = new Float32Array(2);
    dist.entropy(logits, 2, h);
    expect(h[0]).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 6);
    expect(h[1]).toBeCloseTo(Math.log(2), 6);
    const probs = dist.probs(logits, 2);
    expect(probs[0]).toBeCloseTo(0.25, 6);
    expect(probs[1]).toBeCloseTo(0.75, 6);
    const [tfLp, tfH] = tf.tidy(() => {
      const out = dist.logProbAndEntropy(tf.tensor2d(logits, [2, 2]), Float32Array.from([1, 0]), 2);
      return [out.logProb.arraySync(), out.entropy.arraySync()];
    });
    expect(tfLp[0]).toBeCloseTo(lp[0], 5);
    expect(tfLp[1]).toBeCloseTo(lp[1], 5);
    expect(tfH[0]).toBeCloseTo(h[0], 5);
  });

  it('categorical: sampling frequencies match the probabilities, and a seed fixes the draws', () => {
    const dist = new Categorical(new Discrete(3, 10));
    const n = 30_000;
    const logits = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) logits.set([Math.log(0.2), Math.log(0.3), Math.log(0.5)], i * 3);
    const draw = (seed: number) => {
      const stored = new Float32Array(n);
      const env = new Int32Array(n);
      const lp = new Float32Array(n);
      dist.sample(logits, n, new Rng(seed), stored, env, lp);
      return { stored, env, lp };
    };
    const a = draw(7);
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      counts[a.stored[i]]++;
      expect(a.env[i]).toBe(a.stored[i] + 10); // Discrete(3, start=10): env actions are offset, stored indices are not
    }
    [0.2, 0.3, 0.5].forEach((p, k) => expect(Math.abs(counts[k] / n - p)).toBeLessThan(0.015));
    expect(a.lp[0]).toBeCloseTo(Math.log([0.2, 0.3, 0.5][a.stored[0]]), 5);
    expect(Array.from(draw(7).stored)).toEqual(Array.from(a.stored));
    expect(Array.from(draw(8).stored)).not.toEqual(Array.from(a.stored));
  });

  it('gaussian: log-prob and entropy follow the diagonal-normal formulas, in JS and in tf', () => {
    const dist = new DiagGaussian(new Box([-1, -1], [1, 1]), 0);
    dist.logStd.setParams([Math.log(0.5), 0]);
    const mean = Float32Array.from([0.5, -1]);
    const x = Float32Array.from([0.8, 0.5]);
    const formula =
      (-0.5 * ((0.8 - 0.5) / 0.5) ** 2 - Math.log(0.5) - 0.5 * Math.log(2 * Math.PI)) + (-0.5 * ((0.5 + 1) / 1) ** 2 - 0 - 0.5 * Math.log(2 * Math.PI));
    const lp = new Float32Array(1);
    dist.logProb(mean, 1, x, lp);
    expect(lp[0]).toBeCloseTo(formula, 5);
    const h = new Float32Array(1);
    dist.entropy(mean, 1, h);
    expect(h[0]).toBeCloseTo(Math.log(0.5) + 0 + 2 * 0.5 * (1 + Math.log(2 * Math.PI)), 5);
    const [tfLp, tfH] = tf.tidy(() => {
      const out = dist.logProbAndEntropy(tf.tensor2d(mean, [1, 2]), x, 1);
      return [out.logProb.arraySync(), out.entropy.arraySync()];
    });
    expect(tfLp[0]).toBeCloseTo(formula, 4);
    expect(tfH[0]).toBeCloseTo(h[0], 4);
    dist.dispose();
  });

  it('gaussian: stores the unclipped sample (log-prob of it), sends the clipped one; greedy is the clipped mean', () => {
    const dist = new DiagGaussian(new Box([-1], [1]), Math.log(2));
    const n = 20_000;
    const mean = new Float32Array(n).fill(0.9);
    const stored = new Float32Array(n);
    const env = new Float32Array(n);
    const lp = new Float32Array(n);
    dist.sample(mean, n, new Rng(3), stored, env, lp);
    let sum = 0;
    let sq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      sum += stored[i];
      sq += (stored[i] - 0.9) ** 2;
      if (stored[i] > 1 || stored[i] < -1) outside++;
      expect(env[i]).toBe(Math.fround(Math.min(1, Math.max(-1, stored[i]))));
    }
    expect(outside).toBeGreaterThan(n / 3); // σ = 2: most samples leave the box, and are kept unclipped
    expect(sum / n).toBeCloseTo(0.9, 1);
    expect(Math.sqrt(sq / n)).toBeCloseTo(2, 1);
    const check = new Float32Array(1);
    dist.logProb(mean, 1, stored, check);
    expect(lp[0]).toBeCloseTo(check[0], 5);
    const greedy = new Float32Array(2);
    dist.mode(Float32Array.from([0.3, 5]), 2, greedy);
    expect(Array.from(greedy)).toEqual([Math.fround(0.3), 1]);
    dist.dispose();
  });
});

describe('policy-gradient agents on CartPole', () => {
  // Short seeded learning tests: random play scores ~22; each must be clearly above it.
  it('PPO: greedy return > 100 after 12k steps', () => {
    const { agent, vec } = build(PpoAgent, 'CartPole-v1', 8, { ...PRESETS.ppo['CartPole-v1'].hyperparams, totalSteps: 12_288 }, 1);
    run(agent, vec, 12_288 / 8);
    const ret = greedyReturn(agent, 'CartPole-v1', 10);
    agent.dispose();
    expect(ret).toBeGreaterThan(100);
  });

  it('A2C: greedy return > 100 after 20k steps', () => {
    const { agent, vec } = build(A2cAgent, 'CartPole-v1', 8, { ...PRESETS.a2c['CartPole-v1'].hyperparams, totalSteps: 20_000 }, 1);
    run(agent, vec, 20_000 / 8);
    const ret = greedyReturn(agent, 'CartPole-v1', 10);
    agent.dispose();
    expect(ret).toBeGreaterThan(100);
  });

  it('REINFORCE: greedy return > 100 after 30k steps', () => {
    const { agent, vec } = build(ReinforceAgent, 'CartPole-v1', 8, { ...PRESETS.reinforce['CartPole-v1'].hyperparams, totalSteps: 30_000 }, 1);
    run(agent, vec, 30_720 / 8);
    const ret = greedyReturn(agent, 'CartPole-v1', 10);
    agent.dispose();
    expect(ret).toBeGreaterThan(100);
  });
});

describe('policy-gradient agents: mechanics', () => {
  const small = { hidden: [16, 16], numSteps: 16, totalSteps: 10_000 };

  it.each([
    ['ppo', PpoAgent, { numMinibatches: 2, updateEpochs: 2 }],
    ['a2c', A2cAgent, {}],
    ['reinforce', ReinforceAgent, {}],
  ] as [string, Ctor, Record<string, unknown>][])('%s: same seed → identical parameters after a few updates; another seed differs', (_name, Agent, extra) => {
    const params = (seed: number) => {
      const { agent, vec } = build(Agent, 'CartPole-v1', 4, { ...small, ...extra }, seed);
      const { updates } = run(agent, vec, 16 * 3);
      expect(updates.length).toBe(3);
      const p = allParams(agent);
      agent.dispose();
      return p;
    };
    const a = params(5);
    const b = params(5);
    a.forEach((arr, i) => expect(Buffer.from(arr.buffer).equals(Buffer.from(b[i].buffer))).toBe(true));
    const c = params(6);
    expect(Buffer.from(a[0].buffer).equals(Buffer.from(c[0].buffer))).toBe(false);
  });

  it.each([
    ['ppo on CartPole (obs normalisation, shared trunk)', PpoAgent, 'CartPole-v1', { numMinibatches: 4, updateEpochs: 2, normalizeObs: true, sharedNetwork: true, annealLr: true }],
    ['ppo on LaneKeeperContinuous (Gaussian)', PpoAgent, 'LaneKeeperContinuous-v0', { numMinibatches: 2, updateEpochs: 2, normalizeObs: true }],
    ['a2c on CartPole', A2cAgent, 'CartPole-v1', {}],
  ] as [string, Ctor, string, Record<string, unknown>][])('%s: getState/setState mid-rollout resumes bit-exactly', (_name, Agent, envId, extra) => {
    const hp = { ...small, ...extra };
    const { agent: a, vec: va } = build(Agent, envId, 3, hp, 11);
    // 2 full rollouts and 5 steps into the third.
    const first = run(a, va, 16 * 2 + 5);
    expect(a.buffer.pos).toBe(5);
    // Through JSON and byte copies, as a checkpoint on disk would be.
    const st = a.getState();
    const saved = { json: JSON.parse(JSON.stringify(st.json)), blobs: Object.fromEntries(Object.entries(st.blobs).map(([k, v]) => [k, Uint8Array.from(v)])) };
    const envState = JSON.parse(JSON.stringify(va.getState()));

    const { agent: b, vec: vb } = build(Agent, envId, 3, hp, 999); // a different seed: everything must come from the state
    b.setState(saved);
    vb.setState(envState);
    const actionsA: number[] = [];
    const actionsB: number[] = [];
    const ra = run(a, va, 40, first.step, (x) => actionsA.push(...Array.from(x)));
    const rb = run(b, vb, 40, first.step, (x) => actionsB.push(...Array.from(x)));
    expect(ra.updates.length).toBeGreaterThan(0);
    expect(actionsB).toEqual(actionsA);
    expect(rb.updates).toEqual(ra.updates);
    const pa = allParams(a);
    const pb = allParams(b);
    pa.forEach((arr, i) => expect(Buffer.from(arr.buffer).equals(Buffer.from(pb[i].buffer))).toBe(true));
    a.dispose();
    b.dispose();
  });

  it.each([
    ['ppo', PpoAgent, 'CartPole-v1', { numMinibatches: 2, updateEpochs: 2, clipValueLoss: true, targetKl: 0.01 }],
    ['ppo', PpoAgent, 'LaneKeeperContinuous-v0', { numMinibatches: 2, updateEpochs: 2, sharedNetwork: true }],
    ['a2c', A2cAgent, 'CartPole-v1', { normalizeObs: true }],
    ['reinforce', ReinforceAgent, 'LaneKeeperContinuous-v0', {}],
  ] as [string, Ctor, string, Record<string, unknown>][])('%s on %s: no tensor leaks across act/observe/updates and greedy acts', (_name, Agent, envId, extra) => {
    const { agent, vec } = build(Agent, envId, 4, { ...small, ...extra }, 2);
    run(agent, vec, 16); // first update creates whatever lazily-built kernels it needs
    const before = tf.memory().numTensors;
    const { updates } = run(agent, vec, 16 * 3);
    agent.act(vec.obs, vec.numEnvs, { greedy: true });
    agent.act(new Float32Array(vec.obsSize * 7), 7, { greedy: true });
    expect(updates.length).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    expect(agent.weightsFinite()).toBe(true);
    agent.dispose();
  });

  it('PPO logs the per-update metrics, anneals the learning rate and stops early on KL', () => {
    const { agent, vec } = build(PpoAgent, 'CartPole-v1', 4, { ...small, lr: 0.01, numMinibatches: 4, updateEpochs: 8, annealLr: true, targetKl: 1e-6, totalSteps: 128 }, 3);
    const { updates } = run(agent, vec, 32);
    for (const k of ['policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction', 'explainedVariance', 'lr', 'gradNorm']) {
      expect(updates[0][k], k).toBeTypeOf('number');
      expect(Number.isFinite(updates[0][k]), k).toBe(true);
    }
    // Rollouts start at steps 0 and 64 of 128: the learning rate is lr·1, then lr·0.5.
    expect(updates[0].lr).toBeCloseTo(0.01, 10);
    expect(updates[1].lr).toBeCloseTo(0.005, 10);
    // A tiny KL target stops after the first minibatch that moved the policy.
    expect(updates[1].stoppedEarly).toBe(1);
    expect(updates[1].gradientSteps).toBeLessThan(32);
    agent.dispose();
  });

  it.each([
    ['a2c', A2cAgent],
    ['reinforce', ReinforceAgent],
  ] as [string, Ctor][])('%s logs policy/value loss, entropy, approximate KL and explained variance per update', (_name, Agent) => {
    const { agent, vec } = build(Agent, 'CartPole-v1', 4, { ...small, lr: 0.01 }, 3);
    const { updates } = run(agent, vec, 32);
    expect(updates.length).toBe(2);
    for (const u of updates) {
      for (const k of ['loss', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'explainedVariance', 'gradNorm', 'lr']) expect(Number.isFinite(u[k]), k).toBe(true);
      expect(u.approxKl).toBeGreaterThan(0); // the step moved the policy
      expect(u.entropy).toBeGreaterThan(0);
      expect(u.entropy).toBeLessThanOrEqual(Math.log(2) + 1e-6);
    }
    agent.dispose();
  });

  it('Gaussian policies send actions inside the box and learn their log-std', () => {
    const { agent, vec } = build(PpoAgent, 'LaneKeeperContinuous-v0', 2, { ...small, numMinibatches: 2, updateEpochs: 2, logStdInit: 0.5 }, 4);
    let inside = true;
    run(agent, vec, 32, 0, (a) => {
      for (const x of Array.from(a)) if (x < -1 || x > 1) inside = false;
    });
    expect(inside).toBe(true);
    const ppo = agent as PpoAgent;
    const logStd = (ppo.dist as DiagGaussian).logStd.params;
    expect(logStd[0]).not.toBe(0.5);
    expect(ppo.progressInfo().std).toBeCloseTo(Math.exp(logStd[0]), 5);
    agent.dispose();
  });

  it('observe rejects a batch that the preceding act did not produce', () => {
    const { agent, vec } = build(PpoAgent, 'CartPole-v1', 2, small, 0);
    const batch = { n: 2, obs: vec.obs.slice(), actions: new Int32Array(2), rewards: new Float64Array(2), nextObs: vec.obs.slice(), terminated: new Uint8Array(2), truncated: new Uint8Array(2) };
    expect(() => agent.observe(batch, 2)).toThrow(/act\(obs, n, \{greedy: false\}\)/);
    agent.act(vec.obs, 2, { greedy: true }); // greedy acts are not training steps
    expect(() => agent.observe(batch, 2)).toThrow(/preceding act/);
    agent.dispose();
  });

  it('registry: builds ppo, a2c and reinforce, type-checks overrides, has presets for the five envs', () => {
    const vec = makeVec('CartPole-v1', 2);
    const info = { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: 2 };
    for (const name of ['ppo', 'a2c', 'reinforce']) {
      const agent = createAgent(name, info, { hidden: [8], totalSteps: 1000 }, 0);
      expect(agent.name).toBe(name);
      expect((agent.config as { totalSteps?: number }).totalSteps).toBe(1000);
      agent.dispose();
      expect(() => resolveHyperparams(name, { lr: '0.1' })).toThrow(/must be a number/);
      expect(() => resolveHyperparams(name, { learningRate: 0.1 })).toThrow(/unknown hyperparameter/);
      for (const env of ['CartPole-v1', 'LaneKeeper-v0', 'LaneKeeperContinuous-v0', 'GridWorld-4x4', 'FourRooms']) {
        const preset = PRESETS[name][env];
        expect(preset, `${name} ${env}`).toBeDefined();
        resolveHyperparams(name, preset.hyperparams ?? {});
      }
    }
    // REINFORCE's λ is fixed at 1: any other value is refused (1 itself is accepted, so a saved agent's config loads).
    expect(() => resolveHyperparams('reinforce', { gaeLambda: 0.9 })).toThrow(/'gaeLambda' must be a number equal to 1, got 0.9/);
    expect(resolveHyperparams('reinforce', { gaeLambda: 1 }).gaeLambda).toBe(1);
  });
});

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

// On wasm the actor-critic's passes (acting, valuing the rollout, the loss gradient) run as direct kernel
// calls (agents/kernel-scope.ts); with the scope removed they run the tf ops that other backends and conv
// torsos use. Both give the same bits.
describe('policy-gradient agents on wasm: direct kernel calls and tf ops', () => {
  const nets = [
    { hidden: [7], activation: 'tanh', sharedNetwork: false, action: 'discrete' },
    { hidden: [32, 32], activation: 'tanh', sharedNetwork: false, action: 'discrete' },
    { hidden: [16], activation: 'relu', sharedNetwork: true, action: 'discrete' },
    { hidden: [5, 70, 9], activation: 'tanh', sharedNetwork: true, action: 'gaussian' },
    { hidden: [64, 64], activation: 'relu', sharedNetwork: false, action: 'gaussian' },
  ] as const;

  it.each(nets)('the same policy outputs, values and PPO gradients ($hidden $activation, shared $sharedNetwork, $action)', ({ action, ...hp }) => {
    const info = { observationSpace: new Box(-5, 5, [5]), actionSpace: action === 'discrete' ? new Discrete(3) : new Box(-1, 1, [2]), numEnvs: 4 };
    const rng = new Rng(13);
    const n = 53;
    const obs = Float32Array.from({ length: n * 5 }, () => 2 * rng.normal());
    const a = action === 'discrete' ? 3 : 2;
    const actions = Float32Array.from({ length: n * (action === 'discrete' ? 1 : 2) }, () => (action === 'discrete' ? Math.floor(rng.uniform(0, a)) : rng.normal()));
    const mb = { n, obs, actions, logProbs: Float32Array.from({ length: n }, () => -1 + 0.3 * rng.normal()), advantages: Float32Array.from({ length: n }, () => rng.normal()), returns: Float32Array.from({ length: n }, () => 3 * rng.normal()), values: Float32Array.from({ length: n }, () => 3 * rng.normal()) };
    const results = (tfOps: boolean) => {
      const agent = new PpoAgent(info, { ...hp, hidden: [...hp.hidden], entCoef: 0.01, clipValueLoss: true, lr: 0.05 }, 4);
      if (tfOps) agent.net.kernels = null;
      // One step first, so the weights are no longer the initial ones and the variables are stale.
      agent.optimizer.step(agent.minibatchGradient(mb, 0.2).grad);
      const out = { policy: agent.net.predictPolicy(obs, n), value: agent.net.predictValue(obs, n), step: agent.minibatchGradient(mb, 0.1) };
      agent.dispose();
      return out;
    };
    const kernels = results(false);
    const tfOps = results(true);
    expect(sameBits(kernels.policy, tfOps.policy)).toBe(true);
    expect(sameBits(kernels.value, tfOps.value)).toBe(true);
    expect(sameBits(kernels.step.grad, tfOps.step.grad)).toBe(true);
    expect(kernels.step).toEqual(tfOps.step);
    expect(new Set(kernels.step.grad).size).toBeGreaterThan(20); // not trivially zero
  });

  it.each([
    ['ppo', 'CartPole-v1', PpoAgent, { numMinibatches: 2, updateEpochs: 2 }],
    ['ppo', 'LaneKeeperContinuous-v0', PpoAgent, { numMinibatches: 2, updateEpochs: 2, sharedNetwork: true, activation: 'relu' }],
    ['a2c', 'CartPole-v1', A2cAgent, { sharedNetwork: true, clipPerNetwork: true }],
    ['reinforce', 'CartPole-v1', ReinforceAgent, {}],
  ] as [string, string, Ctor, Record<string, unknown>][])('%s on %s trains to the same weights and metrics either way', (_name, envId, Agent, extra) => {
    const train = (tfOps: boolean) => {
      const { agent, vec } = build(Agent, envId, 3, { hidden: [16, 16], numSteps: 16, totalSteps: 10_000, ...extra }, 7);
      if (tfOps) agent.net.kernels = null;
      const { updates } = run(agent, vec, 16 * 4);
      const out = { params: allParams(agent), updates, greedy: agent.act(vec.obs, vec.numEnvs, { greedy: true }).actions };
      agent.dispose();
      return out;
    };
    const kernels = train(false);
    const tfOps = train(true);
    expect(kernels.updates).toEqual(tfOps.updates);
    kernels.params.forEach((p, i) => expect(sameBits(p, tfOps.params[i])).toBe(true));
    expect(Array.from(kernels.greedy)).toEqual(Array.from(tfOps.greedy));
  });

  it.each([
    ['ppo', PpoAgent, { numMinibatches: 2, updateEpochs: 2 }],
    ['a2c', A2cAgent, { sharedNetwork: true }],
    ['reinforce', ReinforceAgent, {}],
  ] as [string, Ctor, Record<string, unknown>][])('%s calls no engine kernel when acting and updating, and keeps its data flat', async (_name, Agent, extra) => {
    const { agent, vec } = build(Agent, 'CartPole-v1', 4, { hidden: [16, 16], numSteps: 16, ...extra }, 3);
    run(agent, vec, 16);
    const memory = () => {
      const m = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
      return { tensors: m.numTensors, buffers: m.numDataBuffers };
    };
    const before = memory();
    // Two rollouts, each ending in an update (valuing the rollout, minibatch gradients), and greedy acting.
    const profile = await tf.profile(() => {
      const { updates } = run(agent, vec, 32);
      expect(updates.length).toBe(2);
      agent.act(vec.obs, vec.numEnvs, { greedy: true });
    });
    expect(profile.kernels).toEqual([]);
    expect(memory()).toEqual(before);
    agent.dispose();
  });
});
