import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { DqnUpdate } from '../agents/dqn-update.js';
import { Mlp } from '../agents/mlp.js';
import type { ReplaySample } from '../agents/replay-buffer.js';
import { Rng } from '../core/rng.js';

function randomSample(B: number, d: number, A: number, rng: Rng, prioritized: boolean): ReplaySample {
  return {
    size: B,
    indices: new Int32Array(B),
    obs: Float32Array.from({ length: B * d }, () => rng.normal()),
    actions: Int32Array.from({ length: B }, () => rng.int(A)),
    returns: Float32Array.from({ length: B }, () => rng.uniform(-2, 2)),
    nextObs: Float32Array.from({ length: B * d }, () => rng.normal()),
    terminated: Uint8Array.from({ length: B }, () => (rng.random() < 0.3 ? 1 : 0)),
    truncated: Uint8Array.from({ length: B }, () => (rng.random() < 0.2 ? 1 : 0)),
    discounts: Float32Array.from({ length: B }, () => (rng.random() < 0.5 ? 0.9 : 0.81)),
    weights: Float32Array.from({ length: B }, () => (prioritized ? rng.uniform(0.2, 1) : 1)),
  };
}

/** The textbook computation: TD targets in JS from two forward passes, loss and gradient by tfjs autodiff. */
function reference(online: Mlp, target: Mlp, s: ReplaySample, A: number, o: { dueling: boolean; doubleDqn: boolean; loss: 'huber' | 'mse'; advantageLearning: number; munchausen: number; munchausenTau: number }) {
  const B = s.size;
  const d = online.inputSize;
  const q = (net: Mlp, x: tf.Tensor2D) => {
    const out = net.applyReference(x);
    if (!o.dueling) return out;
    const [v, a] = tf.split(out, [1, A], 1);
    return tf.add(v, tf.sub(a, tf.mean(a, 1, true))) as tf.Tensor2D;
  };
  const qt = tf.tidy(() => q(target, tf.tensor2d(s.nextObs, [B, d])).arraySync());
  const qo = tf.tidy(() => q(online, tf.tensor2d(s.nextObs, [B, d])).arraySync());
  const qts = tf.tidy(() => q(target, tf.tensor2d(s.obs, [B, d])).arraySync());
  const y = new Float32Array(B);
  // Munchausen (float64 here): τ ln π(b) = Q(b) − τ ln Σ_c exp(Q(c)/τ); the soft value of s' is
  // Σ_b π'(b)(Q_target(s', b) − τ ln π'(b)) under the online (double DQN) or target network's π'.
  const tau = o.munchausenTau;
  const tauLogPolicy = (row: number[]) => row.map((v) => v - tau * Math.log(row.reduce((sum, u) => sum + Math.exp(u / tau), 0)));
  for (let i = 0; i < B; i++) {
    if (o.munchausen > 0) {
      const tauLogPi = tauLogPolicy(qts[i])[s.actions[i]];
      const next = tauLogPolicy(o.doubleDqn ? qo[i] : qt[i]);
      const vNext = next.reduce((v, l, b) => v + Math.exp(l / tau) * (qt[i][b] - l), 0);
      y[i] = s.returns[i] + o.munchausen * Math.max(-1, tauLogPi) + (s.terminated[i] ? 0 : s.discounts[i] * vNext);
      continue;
    }
    const sel = o.doubleDqn ? qo[i] : qt[i];
    const aStar = sel.indexOf(Math.max(...sel));
    y[i] = s.returns[i] + (s.terminated[i] ? 0 : s.discounts[i] * qt[i][aStar]);
    y[i] -= o.advantageLearning * (Math.max(...qts[i]) - qts[i][s.actions[i]]);
  }
  const mask = new Float32Array(B * A);
  for (let i = 0; i < B; i++) mask[i * A + s.actions[i]] = 1;
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const qTaken = tf.sum(tf.mul(q(online, tf.tensor2d(s.obs, [B, d])), tf.tensor2d(mask, [B, A])), 1);
      const td = tf.sub(qTaken, tf.tensor1d(y));
      const abs = tf.abs(td);
      const quad = tf.minimum(abs, 1);
      const per = o.loss === 'huber' ? tf.add(tf.mul(0.5, tf.square(quad)), tf.sub(abs, quad)) : tf.mul(0.5, tf.square(td));
      return tf.mean(tf.mul(per, tf.tensor1d(s.weights))) as tf.Scalar;
    }, online.variables);
    const flat = tf.concat(online.variables.map((v) => tf.reshape(grads[v.name], [-1]))).dataSync() as Float32Array;
    return { loss: value.dataSync()[0], grad: Float32Array.from(flat) };
  });
}

const cases = [
  { dueling: false, doubleDqn: true, loss: 'huber', activation: 'relu', prioritized: false, advantageLearning: 0, munchausen: 0, munchausenTau: 0.03 },
  { dueling: false, doubleDqn: false, loss: 'mse', activation: 'tanh', prioritized: true, advantageLearning: 0, munchausen: 0, munchausenTau: 0.03 },
  { dueling: true, doubleDqn: true, loss: 'huber', activation: 'tanh', prioritized: true, advantageLearning: 0, munchausen: 0, munchausenTau: 0.03 },
  { dueling: true, doubleDqn: false, loss: 'mse', activation: 'relu', prioritized: false, advantageLearning: 0, munchausen: 0, munchausenTau: 0.03 },
  { dueling: false, doubleDqn: true, loss: 'huber', activation: 'relu', prioritized: true, advantageLearning: 0.9, munchausen: 0, munchausenTau: 0.03 },
  { dueling: true, doubleDqn: true, loss: 'mse', activation: 'tanh', prioritized: false, advantageLearning: 0.5, munchausen: 0, munchausenTau: 0.03 },
  // Munchausen targets: the clip at l0 = −1 bites at τ 0.03 (log-policies of −gap), not at τ 0.5.
  { dueling: false, doubleDqn: true, loss: 'huber', activation: 'relu', prioritized: false, advantageLearning: 0, munchausen: 0.9, munchausenTau: 0.03 },
  { dueling: true, doubleDqn: false, loss: 'mse', activation: 'tanh', prioritized: true, advantageLearning: 0, munchausen: 0.5, munchausenTau: 0.5 },
] as const;
type Case = (typeof cases)[number];

function makeUpdate(c: Case, hidden: number[], rng: Rng, kernels?: boolean) {
  const d = 3;
  const A = 3;
  const out = c.dueling ? A + 1 : A;
  const online = new Mlp([d, ...hidden, out], rng, { activation: c.activation });
  const target = new Mlp([d, ...hidden, out], rng, { activation: c.activation });
  // Large outputs so that some TD errors fall outside the Huber loss's quadratic zone.
  online.setParams(online.params.map((v) => 2 * v));
  const upd = new DqnUpdate(online, target, { numActions: A, dueling: c.dueling, doubleDqn: c.doubleDqn, loss: c.loss, advantageLearning: c.advantageLearning, munchausen: c.munchausen > 0 ? { alpha: c.munchausen, tau: c.munchausenTau, clip: -1 } : null, kernels });
  return { upd, online, target, d, A, dispose: () => (upd.dispose(), online.dispose(), target.dispose()) };
}

// On wasm the update runs as direct kernel calls (agents/kernel-scope.ts), on cpu (and webgl) as tf ops.
describe.each(['wasm', 'cpu'])('DqnUpdate (fused TD targets + hand-written backward pass) on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend as 'wasm' | 'cpu');
  });

  it(backend === 'wasm' ? 'calls the kernels directly (no engine op)' : 'runs tf ops', async () => {
    const rng = new Rng(1);
    const { upd, d, A, dispose } = makeUpdate(cases[0], [16, 16], rng);
    const s = randomSample(32, d, A, rng, false);
    const profile = await tf.profile(() => void upd.compute(s));
    if (backend === 'wasm') expect(profile.kernels).toEqual([]);
    else expect(profile.kernels.length).toBeGreaterThan(20);
    dispose();
  });

  for (const c of cases) {
    it(`matches autodiff of the reference loss (${JSON.stringify(c)})`, () => {
      const rng = new Rng(7);
      const { upd, online, target, d, A, dispose } = makeUpdate(c, [16, 16], rng);
      const s = randomSample(32, d, A, rng, c.prioritized);
      const got = { ...upd.compute(s) };
      got.grad = Float32Array.from(got.grad);
      // After the first call, which caches its constant tensors; numDataBuffers also counts the data of
      // direct kernel calls, which the engine does not see as tensors.
      const before = tf.memory();
      const again = upd.compute(s);
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
      expect(Array.from(again.grad)).toEqual(Array.from(got.grad));
      const ref = reference(online, target, s, A, c);
      expect(got.loss).toBeCloseTo(ref.loss, 5);
      expect(got.grad.length).toBe(ref.grad.length);
      let maxErr = 0;
      let maxAbs = 0;
      for (let i = 0; i < ref.grad.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(got.grad[i] - ref.grad[i]));
        maxAbs = Math.max(maxAbs, Math.abs(ref.grad[i]));
      }
      expect(maxAbs).toBeGreaterThan(1e-3);
      expect(maxErr).toBeLessThan(1e-5 * Math.max(1, maxAbs));
      dispose();
    });
  }
});

describe('DqnUpdate on wasm: direct kernel calls and tf ops', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  // The two ways of running the update are one computation: the same kernels on the same inputs.
  it('gives the same bits with tf ops as with direct kernel calls, at any depth and width', () => {
    for (const c of cases) {
      for (const hidden of [[], [16], [64, 64], [5, 70, 9]]) {
        const rng = new Rng(hidden.length + 11);
        const direct = makeUpdate(c, hidden, rng);
        const s = randomSample(hidden.length === 2 ? 128 : 40, direct.d, direct.A, rng, c.prioritized);
        const ops = new DqnUpdate(direct.online, direct.target, { ...direct.upd.opts, kernels: false });
        const a = direct.upd.compute(s);
        const b = ops.compute(s);
        const label = JSON.stringify({ ...c, hidden });
        expect(Buffer.from(a.grad.buffer, a.grad.byteOffset, a.grad.byteLength).equals(Buffer.from(b.grad.buffer, b.grad.byteOffset, b.grad.byteLength)), label).toBe(true);
        expect(Array.from(a.td), label).toEqual(Array.from(b.td));
        expect([a.loss, a.meanQ], label).toEqual([b.loss, b.meanQ]);
        ops.dispose();
        direct.dispose();
      }
    }
  });
});
