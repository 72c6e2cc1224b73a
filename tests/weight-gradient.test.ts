import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { KernelScope, WEIGHT_GRADIENT_KERNEL_MAX_INPUTS } from '../agents/kernel-scope.js';
import { weightGradientKernel } from '../agents/weight-gradient.js';
import { Mlp, backward, backwardKernels, forwardTrace, forwardTraceKernels } from '../agents/mlp.js';
import { Rng } from '../core/rng.js';

interface WasmInternals {
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } };
}

let k: KernelScope;
let backend: WasmInternals;

beforeAll(async () => {
  await initBackend('wasm');
  k = KernelScope.open()!;
  backend = tf.backend() as unknown as WasmInternals;
});

/** Values with zeros, both signs and magnitudes from 1e-4 to 1e3, so that rounding differs with order. */
function values(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const u = rng.random();
    if (u < 0.1) return 0;
    return (u < 0.55 ? -1 : 1) * 10 ** (rng.random() * 7 - 4);
  });
}

/** xᵀ·dz as the backend computes it: Transpose, then BatchMatMul (XNNPACK). */
function backendProduct(x: tf.TensorInfo, dz: tf.TensorInfo): Float32Array {
  const xT = k.run('Transpose', { x }, { perm: [1, 0] });
  return k.read(k.run('BatchMatMul', { a: xT, b: dz }, { transposeA: false, transposeB: false })).slice();
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('weight-gradient kernel', () => {
  // Row blocks of 4 and the rows left over (in), column groups of 8, of 4 and single columns (out).
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 5, 13],
    [3, 9, 6],
    [300, 7, 9],
    [128, 4, 64],
    [128, 64, 2],
    [1024, 32, 32],
    [1024, 32, 1],
    [64, 3, 12],
    [33, 66, 5],
  ];
  for (const [rows, inSize, outSize] of shapes) {
    it(`gives the backend's bits for [${rows}, ${inSize}]ᵀ·[${rows}, ${outSize}]`, () => {
      const rng = new Rng(rows * 1000 + inSize * 10 + outSize);
      const kernel = weightGradientKernel(backend.wasm.asm.memory)!;
      expect(kernel).not.toBeNull();
      k.use(() => {
        const x = k.upload(values(rows * inSize, rng), [rows, inSize]);
        const dz = k.upload(values(rows * outSize, rng), [rows, outSize]);
        const expected = backendProduct(x, dz);
        const out = k.upload(new Float32Array(inSize * outSize).fill(Number.NaN), [inSize, outSize]);
        const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
        kernel.xtdz(at(x), at(dz), at(out), rows, inSize, outSize);
        expect(bits(k.read(out))).toEqual(bits(expected));
      });
    });
  }

  it('writes zeros for zero rows', () => {
    const kernel = weightGradientKernel(backend.wasm.asm.memory)!;
    k.use(() => {
      const x = k.upload(new Float32Array(4), [1, 4]);
      const dz = k.upload(new Float32Array(3), [1, 3]);
      const out = k.upload(new Float32Array(12).fill(7), [4, 3]);
      const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
      kernel.xtdz(at(x), at(dz), at(out), 0, 4, 3);
      expect(Array.from(k.read(out))).toEqual(new Array(12).fill(0));
    });
  });

  it('KernelScope.weightGradientInto: the kernel up to the widest input, the backend beyond; same bits, nothing left allocated', () => {
    const rng = new Rng(5);
    const before = tf.memory().numDataBuffers;
    // Small, large, then small again: the scratch space grows once and is reused.
    for (const [rows, inSize, outSize] of [[16, 3, 4], [200, WEIGHT_GRADIENT_KERNEL_MAX_INPUTS, 40], [200, WEIGHT_GRADIENT_KERNEL_MAX_INPUTS + 1, 40], [9, 2, 2]]) {
      k.use(() => {
        const x = k.upload(values(rows * inSize, rng), [rows, inSize]);
        const dz = k.upload(values(rows * outSize, rng), [rows, outSize]);
        const expected = backendProduct(x, dz);
        const out = new Float32Array(inSize * outSize + 3).fill(Number.NaN);
        k.weightGradientInto(x, dz, out, 3);
        expect(bits(out.subarray(3))).toEqual(bits(expected));
        expect(out.subarray(0, 3).every(Number.isNaN)).toBe(true);
      });
    }
    expect(() => k.use(() => k.weightGradientInto(k.upload(new Float32Array(6), [3, 2]), k.upload(new Float32Array(4), [2, 2]), new Float32Array(4), 0))).toThrow(/not \[rows, in\] and \[rows, out\]/);
    expect(tf.memory().numDataBuffers).toBe(before);
  });

  for (const activation of ['relu', 'tanh'] as const) {
    it(`backwardKernels gives the tf-op backward pass's bits (${activation})`, () => {
      const rng = new Rng(11);
      const net = new Mlp([5, 70, 16, 3], rng, { activation, init: 'orthogonal' });
      const rows = 37;
      const xv = values(rows * 5, rng).map((v) => Math.tanh(v));
      const dOutV = values(rows * 3, rng);
      const reference = tf.tidy(() => {
        const trace = forwardTrace(net, tf.tensor2d(xv, [rows, 5]));
        return backward(trace, tf.tensor2d(dOutV, [rows, 3])).grad!.dataSync().slice() as Float32Array;
      });
      const grad = new Float32Array(net.params.length);
      k.use(() => {
        const trace = forwardTraceKernels(k, net, k.upload(xv, [rows, 5]));
        backwardKernels(k, trace, k.upload(dOutV, [rows, 3]), grad);
      });
      expect(bits(grad)).toEqual(bits(reference));
    });
  }
});
