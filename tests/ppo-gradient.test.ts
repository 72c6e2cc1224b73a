import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { Categorical, DiagGaussian } from '../agents/distributions.js';
import { PpoAgent } from '../agents/ppo.js';
import { A2cAgent } from '../agents/a2c.js';
import { ReinforceAgent } from '../agents/reinforce.js';
import type { Minibatch, PolicyGradientAgent } from '../agents/policy-gradient.js';
import { Box, Discrete, type Space } from '../envs/spaces.js';
import { Rng } from '../core/rng.js';
import { portableExp, portableLog } from '../core/math.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A minibatch with actions drawn from the agent's policy and rollout log-probs nudged off the current ones, so some ratios fall outside the clip range. */
function syntheticMinibatch(agent: PpoAgent, n: number, rng: Rng): Minibatch {
  const d = agent.obsSize;
  const a = agent.dist.actionSize;
  const obs = Float32Array.from({ length: n * d }, () => rng.normal());
  const out = agent.net.predictPolicy(obs, n);
  const actions = new Float32Array(n * a);
  const logProbs = new Float32Array(n);
  agent.dist.sample(out, n, rng, actions, agent.dist.newEnvActions(n), logProbs);
  for (let i = 0; i < n; i++) logProbs[i] += 0.4 * rng.normal();
  return {
    n,
    obs,
    actions,
    logProbs,
    advantages: Float32Array.from({ length: n }, () => rng.normal()),
    returns: Float32Array.from({ length: n }, () => 3 * rng.normal()),
    values: Float32Array.from({ length: n }, () => 3 * rng.normal()),
  };
}

/**
 * tfjs's autodiff of a loss built from tf ops (the reference of the hand-written gradients): `lossOf` gets the
 * minibatch's log π(a|s), entropy and V(s) as differentiable tensors.
 */
function tapeGradientOf(agent: PolicyGradientAgent, mb: Minibatch, lossOf: (t: { logProb: tf.Tensor1D; entropy: tf.Tensor1D; value: tf.Tensor1D }) => tf.Scalar): { grad: Float32Array; loss: number } {
  const vars = agent.optimizer.variables;
  return tf.tidy(() => {
    const { value: loss, grads } = tf.variableGrads(() => {
      const { policy, value } = agent.net.policyAndValue(tf.tensor2d(mb.obs, [mb.n, agent.obsSize]));
      return lossOf({ ...agent.dist.logProbAndEntropy(policy, mb.actions, mb.n), value });
    }, vars);
    const flat = tf.concat(vars.map((v) => tf.reshape(grads[v.name], [-1])));
    return { grad: flat.dataSync() as Float32Array, loss: loss.dataSync()[0] };
  });
}

/** PPO's loss from tf ops, differentiated by tfjs's tape. */
function tapeGradient(agent: PpoAgent, mb: Minibatch, clip: number): { grad: Float32Array; loss: number } {
  const c = agent.config;
  return tapeGradientOf(agent, mb, ({ logProb, entropy, value }) => {
    const ratio = tf.exp(tf.sub(logProb, tf.tensor1d(mb.logProbs)));
    const negAdv = tf.neg(tf.tensor1d(mb.advantages));
    const pgLoss = tf.mean(tf.maximum(tf.mul(negAdv, ratio), tf.mul(negAdv, tf.clipByValue(ratio, 1 - clip, 1 + clip))));
    const returns = tf.tensor1d(mb.returns);
    let vLoss: tf.Tensor;
    if (c.clipValueLoss) {
      const old = tf.tensor1d(mb.values);
      const clipped = tf.add(old, tf.clipByValue(tf.sub(value, old), -clip, clip));
      vLoss = tf.mul(0.5, tf.mean(tf.maximum(tf.square(tf.sub(value, returns)), tf.square(tf.sub(clipped, returns)))));
    } else {
      vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, returns))));
    }
    return tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, tf.mean(entropy))), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(scale).toBeGreaterThan(0);
  expect(worst / scale).toBeLessThan(tol);
}

const CASES: { name: string; space: Space; obs: number; hp: Record<string, unknown> }[] = [
  { name: 'categorical, separate networks (the CartPole preset shape)', space: new Discrete(2), obs: 4, hp: { clipValueLoss: false, entCoef: 0 } },
  { name: 'categorical over 3 actions, value clipping, entropy bonus', space: new Discrete(3), obs: 5, hp: { clipValueLoss: true, entCoef: 0.05 } },
  { name: 'categorical, shared trunk, relu', space: new Discrete(2), obs: 4, hp: { sharedNetwork: true, activation: 'relu', entCoef: 0.01 } },
  { name: 'categorical, shared tanh trunk', space: new Discrete(4), obs: 3, hp: { sharedNetwork: true, hidden: [16, 8], clipValueLoss: true, entCoef: 0.02 } },
  { name: 'gaussian: the means and the learned log-std', space: new Box(-1, 1, [2]), obs: 3, hp: { clipValueLoss: true, entCoef: 0.01, logStdInit: -0.3 } },
];

describe('PPO: the tape-free minibatch gradient', () => {
  for (const k of CASES) {
    it(`equals tfjs autodiff of the same loss — ${k.name}`, () => {
      const agent = new PpoAgent({ observationSpace: new Box(-5, 5, [k.obs]), actionSpace: k.space, numEnvs: 4 }, { hidden: [32, 32], ...k.hp }, 3);
      const rng = new Rng(11);
      // One Adam step first, so the policy is no longer near-uniform and the value head not near zero.
      agent.optimizer.lr = 0.05;
      agent.optimizer.step(tapeGradient(agent, syntheticMinibatch(agent, 64, rng), 0.2).grad);
      for (const clip of [0.2, 0.05]) {
        const mb = syntheticMinibatch(agent, 96, rng);
        agent.minibatchGradient(mb, clip); // the first call at a batch size caches a row of ones (agents/mlp.ts)
        const before = tf.memory().numTensors;
        const fused = agent.minibatchGradient(mb, clip);
        expect(tf.memory().numTensors).toBe(before);
        const ref = tapeGradient(agent, mb, clip);
        expectClose(fused.grad, ref.grad, 1e-4);
        expect(fused.loss).toBeCloseTo(ref.loss, 4);
        expect(fused.clipFraction).toBeGreaterThan(0);
        expect(fused.clipFraction).toBeLessThan(1);
      }
      agent.dispose();
    });
  }
});

/** A2C's and REINFORCE's loss from tf ops, differentiated by tfjs's tape. */
function batchTapeGradient(agent: A2cAgent | ReinforceAgent, mb: Minibatch): { grad: Float32Array; loss: number } {
  const c = agent.config;
  return tapeGradientOf(agent, mb, ({ logProb, entropy, value }) => {
    const pgLoss = tf.mean(tf.mul(tf.neg(tf.tensor1d(mb.advantages)), logProb));
    const vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, tf.tensor1d(mb.returns)))));
    return tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, tf.mean(entropy))), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
  });
}

const BATCH_CASES: { name: string; Agent: typeof A2cAgent | typeof ReinforceAgent; space: Space; obs: number; hp: Record<string, unknown> }[] = [
  { name: 'A2C, categorical, separate [64, 64] (the CartPole preset shape)', Agent: A2cAgent, space: new Discrete(2), obs: 4, hp: { hidden: [64, 64] } },
  { name: 'A2C, 3 actions, shared relu trunk, entropy bonus', Agent: A2cAgent, space: new Discrete(3), obs: 5, hp: { hidden: [16], sharedNetwork: true, activation: 'relu', entCoef: 0.05 } },
  { name: 'A2C, gaussian (means and log-std), shared tanh trunk', Agent: A2cAgent, space: new Box(-1, 1, [2]), obs: 3, hp: { hidden: [16, 8], sharedNetwork: true, entCoef: 0.01, logStdInit: -0.3 } },
  { name: 'REINFORCE, categorical, separate [32, 32]', Agent: ReinforceAgent, space: new Discrete(2), obs: 4, hp: { hidden: [32, 32], vfCoef: 0.25 } },
];

describe('A2C and REINFORCE: the tape-free batch gradient', () => {
  /** A batch with the agent's own sampled actions, normalised advantages and returns on the scale of CartPole's. */
  function batch(agent: A2cAgent | ReinforceAgent, n: number, rng: Rng): Minibatch {
    const obs = Float32Array.from({ length: n * agent.obsSize }, () => rng.normal());
    const actions = new Float32Array(n * agent.dist.actionSize);
    agent.dist.sample(agent.net.predictPolicy(obs, n), n, rng, actions, agent.dist.newEnvActions(n), new Float32Array(n));
    return { n, obs, actions, logProbs: new Float32Array(n), advantages: Float32Array.from({ length: n }, () => rng.normal()), returns: Float32Array.from({ length: n }, () => 10 * rng.uniform(0, 1)), values: new Float32Array(n) };
  }

  for (const k of BATCH_CASES) {
    it(`is close to tfjs autodiff of the same loss (float64 JS against float32 tf ops) — ${k.name}`, () => {
      const agent = new k.Agent({ observationSpace: new Box(-5, 5, [k.obs]), actionSpace: k.space, numEnvs: 4 }, k.hp, 3);
      const rng = new Rng(21);
      // One step first, so the policy is no longer near-uniform and the values not near zero.
      agent.optimizer.lr = 0.05;
      agent.optimizer.step(agent.batchGradient(batch(agent, 40, rng)).grad);
      const mb = batch(agent, 40, rng);
      const before = tf.memory().numTensors;
      const fused = agent.batchGradient(mb);
      expect(tf.memory().numTensors).toBe(before);
      const ref = batchTapeGradient(agent, mb);
      expectClose(fused.grad, ref.grad, 1e-5);
      expect(fused.loss).toBeCloseTo(ref.loss, 5);
      agent.dispose();
    });
  }

  it('matches finite differences of the loss (network weights and the Gaussian log-std)', () => {
    for (const k of [BATCH_CASES[1], BATCH_CASES[2]]) {
      const agent = new k.Agent({ observationSpace: new Box(-5, 5, [k.obs]), actionSpace: k.space, numEnvs: 4 }, k.hp, 4);
      const mb = batch(agent, 12, new Rng(8));
      const { grad } = agent.batchGradient(mb);
      // Every trained parameter set: trunk, policy head, value head (and the log-std).
      let offset = 0;
      for (const set of agent.optimizer.nets) {
        const p = set.params;
        for (const i of [0, Math.floor(p.length / 2), p.length - 1]) {
          const orig = p[i];
          const h = 1e-2;
          const lossAt = (x: number) => {
            p[i] = x;
            set.syncVariables();
            return agent.batchGradient(mb).loss;
          };
          const fd = (lossAt(orig + h) - lossAt(orig - h)) / (2 * h);
          lossAt(orig);
          expect(grad[offset + i], `${k.name}: parameter ${offset + i}`).toBeCloseTo(fd, 2);
        }
        offset += p.length;
      }
      agent.dispose();
    }
  });
});

describe('distributions: log π, entropy and their backward pass in JS', () => {
  for (const [kind, create] of [['categorical', () => new Categorical(new Discrete(3))], ['gaussian', () => new DiagGaussian(new Box(-1, 1, [2]), 0.2)]] as const) {
    it(`${kind}: evaluate gives the values of logProb and entropy, and its backprop equals tfjs autodiff of logProbAndEntropy`, () => {
      const dist = create();
      const rng = new Rng(5);
      const n = 7;
      const k = dist.paramSize;
      const out = Float32Array.from({ length: n * k }, () => rng.normal());
      const actions = new Float32Array(n * dist.actionSize);
      dist.sample(out, n, rng, actions, dist.newEnvActions(n), new Float32Array(n));
      const dLogProb = Float64Array.from({ length: n }, () => rng.normal());
      const dEntropy = -0.3;
      const dOut = new Float32Array(n * k);
      const dTrainables = new Float64Array(dist.trainables.reduce((s, t) => s + t.params.length, 0));
      const rows = dist.evaluate(out, n, actions);
      const logProb = new Float32Array(n);
      const entropy = new Float32Array(n);
      dist.logProb(out, n, actions, logProb);
      dist.entropy(out, n, entropy);
      expect(Array.from(rows.logProb)).toEqual(Array.from(logProb));
      expect(Array.from(rows.entropy)).toEqual(Array.from(entropy));
      rows.backprop(dLogProb, dEntropy, dOut, dTrainables);
      const vars = dist.trainables.flatMap((t) => t.variables);
      const ref = tf.tidy(() => {
        const x = tf.variable(tf.tensor2d(out, [n, k]));
        const { grads } = tf.variableGrads(() => {
          const { logProb, entropy } = dist.logProbAndEntropy(x, actions, n);
          return tf.add(tf.sum(tf.mul(logProb, tf.tensor1d(Float32Array.from(dLogProb)))), tf.mul(dEntropy, tf.sum(entropy))) as tf.Scalar;
        }, [x, ...vars]);
        const res = { dOut: grads[x.name].dataSync() as Float32Array, dTrainables: vars.map((v) => Array.from(grads[v.name].dataSync())).flat() };
        x.dispose();
        return res;
      });
      expectClose(dOut, ref.dOut, 1e-5);
      if (dTrainables.length) expectClose(dTrainables, ref.dTrainables, 1e-5);
      dist.dispose();
    });
  }
});

describe('portable exp and log (core/math.ts)', () => {
  it('agree with Math.exp and Math.log to within 2 ulp over their range, and keep the special values', () => {
    const rng = new Rng(9);
    let worstExp = 0;
    let worstLog = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = rng.uniform(-700, 700) * (i % 2 ? 1 : 1e-3);
      worstExp = Math.max(worstExp, Math.abs(portableExp(x) - Math.exp(x)) / Math.exp(x));
      const y = Math.exp(rng.uniform(-700, 700));
      const l = Math.log(y);
      if (l !== 0) worstLog = Math.max(worstLog, Math.abs(portableLog(y) - l) / Math.abs(l));
      const near1 = 1 + rng.uniform(-1e-3, 1e-3);
      worstLog = Math.max(worstLog, Math.abs(portableLog(near1) - Math.log(near1)) / Math.abs(Math.log(near1)));
    }
    expect(worstExp).toBeLessThan(4.5e-16);
    expect(worstLog).toBeLessThan(4.5e-16);
    expect([portableExp(0), portableExp(-0), portableExp(-Infinity), portableExp(Infinity), portableExp(1000)]).toEqual([1, 1, 0, Infinity, Infinity]);
    expect(Number.isNaN(portableExp(NaN))).toBe(true);
    expect([portableLog(1), portableLog(0), portableLog(Infinity), portableLog(5e-324)]).toEqual([0, -Infinity, Infinity, Math.log(5e-324)]);
    expect(Number.isNaN(portableLog(-1))).toBe(true);
  });
});
