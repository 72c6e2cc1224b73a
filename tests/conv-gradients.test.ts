/**
 * The conv torso's gradient (agents/conv.ts) against tfjs's own: `ConvNet.applyReference` builds the same
 * function from tf.conv2d, whose autodiff is the reference. The wasm backend has no kernel for tf.conv2d's
 * filter gradient, so the comparison runs on the cpu backend; the forward pass is also compared on wasm.
 * Stacks of conv layers also check the gradient passed between layers (tf.conv2dTranspose).
 */
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { ConvNet, traceNetwork } from '../agents/conv.js';
import { Rng } from '../core/rng.js';

const CASES = [
  { label: 'MinAtar-sized, relu, glorot', image: { height: 10, width: 10, channels: 4 }, conv: { channels: 16, kernel: 3, stride: 1 }, outSizes: [32, 6], activation: 'relu' as const, init: 'glorot' as const },
  { label: 'non-square, stride 2 (not dividing H − k), tanh, orthogonal', image: { height: 8, width: 5, channels: 3 }, conv: { channels: 5, kernel: 3, stride: 2 }, outSizes: [7, 3], activation: 'tanh' as const, init: 'orthogonal' as const },
  { label: '1×1 kernel, output layer right after the conv', image: { height: 4, width: 4, channels: 2 }, conv: { channels: 3, kernel: 1, stride: 1 }, outSizes: [2], activation: 'relu' as const, init: 'glorot' as const },
  {
    label: 'three conv layers (strides 2, 1, 2; 13×11 → 6×5 → 4×3 → 2×1), tanh, orthogonal',
    image: { height: 13, width: 11, channels: 3 },
    conv: [{ channels: 4, kernel: 3, stride: 2 }, { channels: 5, kernel: 3, stride: 1 }, { channels: 3, kernel: 2, stride: 2 }],
    outSizes: [6, 2],
    activation: 'tanh' as const,
    init: 'orthogonal' as const,
  },
  { label: 'two conv layers, MinAtar-sized, relu', image: { height: 10, width: 10, channels: 4 }, conv: [{ channels: 8, kernel: 3, stride: 1 }, { channels: 16, kernel: 3, stride: 2 }], outSizes: [32, 6], activation: 'relu' as const, init: 'glorot' as const },
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

  it('gradient under a tape and the hand-written backward pass equal tfjs autodiff through tf.conv2d (ours on wasm and cpu, reference on cpu)', async () => {
    const outSize = c.outSizes[c.outSizes.length - 1];
    const lossOf = (net: ConvNet, x: tf.Tensor2D, w: tf.Tensor2D, f: (x: tf.Tensor2D) => tf.Tensor2D) => () => tf.sum(tf.mul(tf.square(f(x)), w)) as tf.Scalar;
    /** The flat gradient through the tape and through the traced pass, and the loss, on the current backend. */
    const ours = () => {
      const net = build();
      const x = input(net);
      const w = tf.tensor2d(Float32Array.from({ length: B * outSize }, (_, i) => Math.sin(i + 1)), [B, outSize]);
      const taped = tf.variableGrads(lossOf(net, x, w, (v) => net.apply(v)), net.variables);
      const tape = Float32Array.from(tf.tidy(() => tf.concat(net.variables.map((v) => tf.reshape(taped.grads[v.name], [-1])))).dataSync());
      // The traced pass (DQN's update): dLoss/dOut = 2·out·w, then backward gives the flat gradient in params order.
      const traced = Float32Array.from(
        tf.tidy(() => {
          const t = traceNetwork(net, x);
          return t.backward(tf.mul(tf.mul(t.output, 2), w) as tf.Tensor2D);
        }).dataSync(),
      );
      const loss = taped.value.dataSync()[0];
      tf.dispose([taped.value, x, w, ...Object.values(taped.grads)]);
      net.dispose();
      return { tape, traced, loss };
    };
    await initBackend('wasm');
    const onWasm = ours();
    await initBackend('cpu');
    const onCpu = ours();
    const net = build();
    const x = input(net);
    const w = tf.tensor2d(Float32Array.from({ length: B * outSize }, (_, i) => Math.sin(i + 1)), [B, outSize]);
    const ref = tf.variableGrads(lossOf(net, x, w, (v) => net.applyReference(v)), net.variables);
    const reference = tf.tidy(() => tf.concat(net.variables.map((v) => tf.reshape(ref.grads[v.name], [-1])))).dataSync() as Float32Array;
    const scale = reference.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    expect(scale).toBeGreaterThan(1e-3); // the check compares real gradients
    expect(reference.length).toBe(net.params.length);
    for (const [label, r] of [['wasm', onWasm], ['cpu', onCpu]] as const) {
      expect(Math.abs(r.loss - ref.value.dataSync()[0]), `${label} loss`).toBeLessThan(1e-4 * Math.max(1, Math.abs(r.loss)));
      for (const [kind, g] of [['tape', r.tape], ['traced', r.traced]] as const) {
        let worst = 0;
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - reference[i]));
        expect(worst, `${label} ${kind} gradient`).toBeLessThan(1e-5 * Math.max(1, scale));
      }
    }
    tf.dispose([ref.value, x, w, ...Object.values(ref.grads)]);
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
    // Every conv layer's filters and bias, then a few head parameters.
    const convParams = net.params.length - net.head.params.length;
    const picks = [...Array.from({ length: 4 * net.layers.length }, () => rng.int(convParams)), ...Array.from({ length: 3 }, () => convParams + rng.int(net.head.params.length))];
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
