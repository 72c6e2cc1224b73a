/**
 * The conv torso's gradient (agents/conv.ts) against tfjs's own: `ConvNet.applyReference` builds the same
 * function from tf.conv2d, whose autodiff is the reference. The wasm backend has no kernel for tf.conv2d's
 * filter gradient, so the comparison runs on the cpu backend; the forward pass is also compared on wasm.
 */
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { ConvNet, traceNetwork } from '../agents/conv.js';
import { Rng } from '../core/rng.js';

const CASES = [
  { label: 'MinAtar-sized, relu, glorot', image: { height: 10, width: 10, channels: 4 }, conv: { channels: 16, kernel: 3, stride: 1 }, outSizes: [32, 6], activation: 'relu' as const, init: 'glorot' as const },
  { label: 'non-square, stride 2, tanh, orthogonal', image: { height: 7, width: 5, channels: 3 }, conv: { channels: 5, kernel: 3, stride: 2 }, outSizes: [7, 3], activation: 'tanh' as const, init: 'orthogonal' as const },
  { label: '1×1 kernel, output layer right after the conv', image: { height: 4, width: 4, channels: 2 }, conv: { channels: 3, kernel: 1, stride: 1 }, outSizes: [2], activation: 'relu' as const, init: 'glorot' as const },
];

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe.each(CASES)('ConvNet $label', (c) => {
  const B = 6;
  const build = () => new ConvNet(c.image, c.conv, c.outSizes, new Rng(`conv-${c.label}`), { activation: c.activation, init: c.init });
  const input = (net: ConvNet) => {
    const rng = new Rng('input');
    return tf.tensor2d(Float32Array.from({ length: B * net.inputSize }, () => (rng.random() < 0.3 ? 1 : rng.uniform(-1, 1))), [B, net.inputSize]);
  };

  it('forward pass equals tf.conv2d + dense layers (wasm and cpu)', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend);
      const net = build();
      const x = input(net);
      const ours = tf.tidy(() => net.apply(x));
      const ref = tf.tidy(() => net.applyReference(x));
      expect(ours.shape).toEqual([B, c.outSizes[c.outSizes.length - 1]]);
      expect(maxAbs(ours, ref), backend).toBeLessThan(1e-5);
      tf.dispose([ours, ref, x]);
      net.dispose();
    }
  });

  it('gradient under a tape and the hand-written backward pass equal tfjs autodiff through tf.conv2d (cpu)', async () => {
    await initBackend('cpu');
    const net = build();
    const x = input(net);
    const outSize = c.outSizes[c.outSizes.length - 1];
    const w = tf.tensor2d(Float32Array.from({ length: B * outSize }, (_, i) => Math.sin(i + 1)), [B, outSize]);
    const lossOf = (f: (x: tf.Tensor2D) => tf.Tensor2D) => () => tf.sum(tf.mul(tf.square(f(x)), w)) as tf.Scalar;
    const ours = tf.variableGrads(lossOf((v) => net.apply(v)), net.variables);
    const ref = tf.variableGrads(lossOf((v) => net.applyReference(v)), net.variables);
    expect(Math.abs(ours.value.dataSync()[0] - ref.value.dataSync()[0])).toBeLessThan(1e-4);
    let scale = 0;
    for (const v of net.variables) {
      scale = Math.max(scale, tf.tidy(() => tf.max(tf.abs(ref.grads[v.name])).dataSync()[0]));
      expect(maxAbs(ours.grads[v.name], ref.grads[v.name]), `tape gradient of ${v.name}`).toBeLessThan(1e-5 * Math.max(1, scale));
    }
    expect(scale).toBeGreaterThan(1e-3); // the check compares real gradients
    // The traced pass (DQN's update): dLoss/dOut = 2·out·w, then backward gives the flat gradient in params order.
    const flat = tf.tidy(() => {
      const t = traceNetwork(net, x);
      return t.backward(tf.mul(tf.mul(t.output, 2), w) as tf.Tensor2D);
    });
    const refFlat = tf.concat(net.variables.map((v) => tf.reshape(ref.grads[v.name], [-1])));
    expect(flat.shape).toEqual([net.params.length]);
    expect(maxAbs(flat, refFlat)).toBeLessThan(1e-5 * Math.max(1, scale));
    tf.dispose([ours.value, ref.value, flat, refFlat, x, w, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
    net.dispose();
  });

  it('central finite differences agree with the gradient on a few parameters (tanh: no ReLU kinks for the differences to straddle)', async () => {
    await initBackend('cpu');
    const net = new ConvNet(c.image, c.conv, c.outSizes, new Rng(`conv-${c.label}`), { activation: 'tanh', init: c.init });
    const x = input(net);
    const loss = () => tf.tidy(() => tf.sum(tf.square(net.apply(x))).dataSync()[0]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x))) as tf.Scalar, net.variables);
    const flat = tf.concat(net.variables.map((v) => tf.reshape(grads[v.name], [-1]))).dataSync();
    const base = Float32Array.from(net.params);
    const rng = new Rng('fd');
    // Filters first (the im2col part), then a few head parameters.
    const picks = [...Array.from({ length: 6 }, () => rng.int(net.filters.params.length)), ...Array.from({ length: 3 }, () => net.filters.params.length + rng.int(net.head.params.length))];
    for (const i of picks) {
      const h = 1e-2;
      const p = Float32Array.from(base);
      p[i] = base[i] + h;
      net.setParams(p);
      const up = loss();
      p[i] = base[i] - h;
      net.setParams(p);
      const down = loss();
      const fd = (up - down) / (2 * h);
      expect(Math.abs(fd - flat[i]), `param ${i}: fd ${fd} vs ${flat[i]}`).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    }
    net.setParams(base);
    tf.dispose([x, ...Object.values(grads)]);
    net.dispose();
  });
});
