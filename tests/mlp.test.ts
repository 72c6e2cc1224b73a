import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { Mlp } from '../agents/mlp.js';
import { Adam, perNetClipScales, type ParamSet } from '../agents/adam.js';
import { Rng } from '../core/rng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function grads(net: Mlp, x: tf.Tensor2D, reference: boolean): Float32Array {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const out = reference ? net.applyReference(x) : net.apply(x);
      // A loss that touches every output with different weights.
      return tf.sum(tf.mul(tf.square(out), tf.linspace(0.5, 1.5, out.shape[1]))) as tf.Scalar;
    }, net.variables);
    return tf.concat(net.variables.map((v) => grads[v.name].reshape([-1])));
  }).dataSync() as Float32Array;
}

describe('Mlp', () => {
  for (const activation of ['relu', 'tanh'] as const) {
    it(`hand-written layer gradients match tfjs autodiff (${activation})`, () => {
      const net = new Mlp([5, 16, 8, 3], new Rng(7), { activation, init: 'orthogonal' });
      const x = tf.tensor2d(Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.3)), [8, 5]);
      const fast = grads(net, x, false);
      const ref = grads(net, x, true);
      expect(fast.length).toBe(net.params.length);
      let maxErr = 0;
      let maxAbs = 0;
      for (let i = 0; i < fast.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(fast[i] - ref[i]));
        maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
      }
      expect(maxAbs).toBeGreaterThan(0.01);
      expect(maxErr).toBeLessThan(1e-4 * maxAbs);
      // Forward passes agree too.
      const a = tf.tidy(() => net.apply(x)).dataSync();
      const b = tf.tidy(() => net.applyReference(x)).dataSync();
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
      x.dispose();
      net.dispose();
    });
  }

  it('initialisation is seeded: same seed, same weights; other seed, other weights', () => {
    const a = new Mlp([4, 8, 2], new Rng('s'));
    const b = new Mlp([4, 8, 2], new Rng('s'));
    const c = new Mlp([4, 8, 2], new Rng('t'));
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    expect(Array.from(a.params)).not.toEqual(Array.from(c.params));
    [a, b, c].forEach((n) => n.dispose());
  });

  it('orthogonal init gives orthonormal columns scaled by the gain', () => {
    const net = new Mlp([16, 8, 2], new Rng(3), { init: 'orthogonal', hiddenGain: 2 });
    const w = net.params.subarray(0, 16 * 8);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        let dot = 0;
        for (let r = 0; r < 16; r++) dot += w[r * 8 + i] * w[r * 8 + j];
        expect(dot).toBeCloseTo(i === j ? 4 : 0, 4);
      }
    }
    net.dispose();
  });

  it('Adam fits a linear map and leaks no tensors', () => {
    const net = new Mlp([2, 16, 1], new Rng(1), { activation: 'tanh' });
    const opt = new Adam([net], { lr: 0.01, maxGradNorm: 5 });
    const rng = new Rng(2);
    let before = tf.memory().numTensors;
    let last = Infinity;
    for (let it = 0; it < 300; it++) {
      if (it === 1) before = tf.memory().numTensors; // after the first step's one-time caches
      const xs = new Float32Array(64).map(() => rng.uniform(-1, 1));
      const ys = new Float32Array(32).map((_, i) => 0.5 * xs[2 * i] - 0.3 * xs[2 * i + 1]);
      const { loss, grad } = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(tf.tensor2d(xs, [32, 2])), tf.tensor2d(ys, [32, 1])))) as tf.Scalar, opt.variables);
        return { loss: value.dataSync()[0], grad: tf.concat(opt.variables.map((v) => tf.reshape(grads[v.name], [-1]))).dataSync() };
      });
      opt.step(grad);
      last = loss;
    }
    expect(last).toBeLessThan(1e-3);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it('per-network clipping: each ParamSet is clipped by its own norm, so a large critic gradient leaves the actor step alone', () => {
    // Net A's gradient has norm 10, net B's 0.3: with maxGradNorm 1 only A is scaled (to norm 1).
    const scales = perNetClipScales([6, 8, 0.3], [2, 1], 1);
    expect(scales[0]).toBeCloseTo(0.1, 6);
    expect(scales[1]).toBe(1);
    // Two Adam steps on [actor, critic]; the critic's gradient jumps from norm 0.1 to 100 at the second.
    const paramSet = (n: number): ParamSet => ({ params: new Float32Array(n).fill(1), variables: [], syncVariables: () => {} });
    const actorGrads = [[0.3, -0.2], [0.1, 0.4]];
    const criticGrads = [[0.1], [100]];
    const trainPair = (clipPerNet: boolean) => {
      const [actor, critic] = [paramSet(2), paramSet(1)];
      const opt = new Adam([actor, critic], { lr: 0.1, maxGradNorm: 1, clipPerNet });
      for (let t = 0; t < 2; t++) opt.step([...actorGrads[t], ...criticGrads[t]]);
      return Array.from(actor.params);
    };
    const alone = paramSet(2);
    const opt = new Adam([alone], { lr: 0.1, maxGradNorm: 1 });
    for (let t = 0; t < 2; t++) opt.step(actorGrads[t]);
    expect(trainPair(true)).toEqual(Array.from(alone.params)); // the actor moves as if trained alone
    expect(trainPair(false)).not.toEqual(Array.from(alone.params)); // the global clip shrank its second step
  });

  // On wasm `predict` is direct kernel calls (agents/kernel-scope.ts); the tf-op forward pass is the reference.
  it('predict gives the bits of the tf-op forward pass and frees its data', () => {
    for (const activation of ['relu', 'tanh'] as const) {
      for (const hidden of [[], [16], [64, 64], [5, 70, 9]]) {
        const rng = new Rng(3);
        const start = tf.memory().numDataBuffers;
        const net = new Mlp([4, ...hidden, 3], rng, { activation });
        const obs = Float32Array.from({ length: 20 * 4 }, () => 3 * rng.normal());
        const ops = tf.tidy(() => net.apply(tf.tensor2d(obs, [20, 4])).dataSync() as Float32Array);
        net.predict(obs, 20); // the first call keeps the constants of tanh with the network
        const before = tf.memory();
        const got = net.predict(obs, 20);
        expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
        expect(tf.memory().numTensors).toBe(before.numTensors);
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(ops.buffer, ops.byteOffset, ops.byteLength)), `${activation} [${hidden}]`).toBe(true);
        net.dispose();
        expect(tf.memory().numDataBuffers, 'the kept constants go with the network').toBe(start);
      }
    }
  });

  it('syncVariables defers the upload to the next read of the variables, which then hold the params', () => {
    const net = new Mlp([3, 4, 2], new Rng(5));
    const before = tf.memory().numTensors;
    const changed = net.params.map((v, i) => v + i / 8);
    const w0 = net.variables[0];
    const data = w0.dataId; // an upload assigns the variable new data
    // Off-policy agents change params at every gradient step: nothing is uploaded until the variables are read.
    net.setParams(changed);
    expect(w0.dataId).toBe(data);
    expect(net.variables[0]).toBe(w0);
    expect(w0.dataId).not.toBe(data);
    expect(net.variables.flatMap((v) => Array.from(v.dataSync()))).toEqual(Array.from(changed));
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
