import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { KernelScope } from '../agents/kernel-scope.js';
import { prepareSimdKernels, simdKernels } from '../agents/simd-kernels.js';
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

const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('simd-kernels: the weight gradient', () => {
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
      const kernel = simdKernels(backend.wasm.asm.memory)!;
      expect(kernel).not.toBeNull();
      k.use(() => {
        const x = k.upload(values(rows * inSize, rng), [rows, inSize]);
        const dz = k.upload(values(rows * outSize, rng), [rows, outSize]);
        const expected = backendProduct(x, dz);
        const out = k.upload(new Float32Array(inSize * outSize).fill(Number.NaN), [inSize, outSize]);
                kernel.xtdz(at(x), at(dz), at(out), rows, inSize, outSize, 0, 0);
        expect(bits(k.read(out))).toEqual(bits(expected));
      });
    });
  }

  it('writes zeros for zero rows', () => {
    const kernel = simdKernels(backend.wasm.asm.memory)!;
    k.use(() => {
      const x = k.upload(new Float32Array(4), [1, 4]);
      const dz = k.upload(new Float32Array(3), [1, 3]);
      const out = k.upload(new Float32Array(12).fill(7), [4, 3]);
            kernel.xtdz(at(x), at(dz), at(out), 0, 4, 3, 0, 0);
      expect(Array.from(k.read(out))).toEqual(new Array(12).fill(0));
    });
  });

  it('KernelScope.weightGradientInto: the backend\'s bits at an offset, nothing left allocated', () => {
    const rng = new Rng(5);
    const before = tf.memory().numDataBuffers;
    // Small, large, then small again: the scratch space grows once and is reused.
    for (const [rows, inSize, outSize] of [[16, 3, 4], [200, 64, 40], [200, 130, 40], [20, 300, 5], [9, 2, 2]]) {
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

describe('simd-kernels: a dense layer', () => {
  const shapes: [number, number, number][] = [
    [1, 4, 32],
    [8, 32, 32],
    [8, 32, 2],
    [20, 4, 64],
    [7, 5, 13],
    [3, 9, 6],
    [33, 66, 5],
    [64, 64, 64],
    [5, 1, 1],
    [6, 7, 2],
    [12, 11, 3],
    [128, 64, 2],
  ];
  for (const [rows, inSize, outSize] of shapes) {
    for (const activation of ['linear', 'relu'] as const) {
      it(`gives _FusedMatMul's bits for [${rows}, ${inSize}]·[${inSize}, ${outSize}] + bias, ${activation}`, () => {
        const rng = new Rng(rows * 7 + inSize * 3 + outSize + (activation === 'relu' ? 1 : 0));
        const simd = simdKernels(backend.wasm.asm.memory)!;
        k.use(() => {
          const xv = values(rows * inSize, rng);
          if (activation === 'relu' && xv.length > 2) xv[1] = Number.NaN; // a NaN row: relu's clamp decides what it gives
          const x = k.upload(xv, [rows, inSize]);
          const w = k.upload(values(inSize * outSize, rng), [inSize, outSize]);
          const b = k.upload(values(outSize, rng), [outSize]);
          const expected = k.read(k.run('_FusedMatMul', { a: k.view(x, [1, rows, inSize]), b: k.view(w, [1, inSize, outSize]), bias: b }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 })).slice();
          const out = k.upload(new Float32Array(rows * outSize).fill(Number.NaN), [rows, outSize]);
          simd.dense(at(x), at(w), at(out), rows, inSize, outSize, at(b), activation === 'relu' ? 1 : 0);
          const got = k.read(out);
          const nanAsZero = (a: Float32Array) => bits(a.map((v) => (Number.isNaN(v) ? 0 : v)));
          expect(Array.from(got).map(Number.isNaN)).toEqual(Array.from(expected).map(Number.isNaN));
          expect(nanAsZero(got)).toEqual(nanAsZero(expected));
        });
      });
    }
  }
});

describe('simd-kernels: on any wasm memory', () => {
  // prepareSimdKernels compiles asynchronously (a browser's main thread allows nothing else for an 11 KB module);
  // a memory of one's own, plain or shared (tfjs's threaded builds), shows the kernels work wherever they live.
  for (const shared of [false, true]) {
    it(`prepared for a ${shared ? 'shared' : 'plain'} memory, tanh there gives the backend's bits`, async () => {
      const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: 4, shared: true } : { initial: 1 });
      await prepareSimdKernels({ wasm: { asm: { memory } } });
      const kernels = simdKernels(memory)!;
      expect(kernels).not.toBeNull();
      const x = values(37, new Rng(21)).map((v) => v / 50);
      new Float32Array(memory.buffer, 0, 37).set(x);
      kernels.tanh(0, 0, 256, 37);
      const got = new Float32Array(memory.buffer, 256, 37).slice();
      const expected = k.use(() => {
        const s = k.run('Sigmoid', { x: k.run('Multiply', { a: k.upload(x, [37]), b: k.scalar(2) }) });
        return k.read(k.run('Sub', { a: k.run('Multiply', { a: s, b: k.scalar(2) }), b: k.scalar(1) })).slice();
      });
      expect(bits(got)).toEqual(bits(expected));
    });
  }
});

describe('simd-kernels: a product without bias (the input gradient dz·Wᵀ)', () => {
  for (const [rows, inSize, outSize] of [[128, 2, 64], [128, 1, 32], [1024, 2, 32], [7, 5, 13], [9, 64, 3]] as [number, number, number][]) {
    it(`KernelScope.dense with no bias gives BatchMatMul's bits for [${rows}, ${inSize}]·[${inSize}, ${outSize}]`, () => {
      const rng = new Rng(rows + inSize * 31 + outSize * 7);
      k.use(() => {
        const x = k.upload(values(rows * inSize, rng), [rows, inSize]);
        const w = k.upload(values(inSize * outSize, rng), [inSize, outSize]);
        const expected = k.read(k.run('BatchMatMul', { a: x, b: w }, { transposeA: false, transposeB: false })).slice();
        expect(bits(k.read(k.dense(x, w, null, 'linear')!))).toEqual(bits(expected));
      });
    });
  }
  it('refuses shapes that do not make a layer', () => {
    k.use(() => {
      expect(() => k.dense(k.upload(new Float32Array(6), [2, 3]), k.upload(new Float32Array(8), [4, 2]), null, 'linear')).toThrow(/do not make a layer/);
    });
  });
});

/**
 * Inputs for the elementwise kernels: every 4099th float32 bit pattern (all exponents, both signs, zeros,
 * subnormals, infinities; NaNs dropped), values where tanh's σ(2x) nears its cutoff, and a dense run in [−6, 6].
 */
function elementwiseInputs(): Float32Array {
  const out: number[] = [];
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let b = 0; b < 2 ** 32; b += 4099) {
    u[0] = b;
    if (!Number.isNaN(f[0])) out.push(f[0]);
  }
  for (const edge of [43.6, 43.7, 87.3, 87.4]) for (let d = -64; d <= 64; d++) out.push(Math.fround(edge * (1 + d * 2 ** -23)), -Math.fround(edge * (1 + d * 2 ** -23)));
  for (let i = 0; i <= 120_000; i++) out.push(-6 + i * 1e-4);
  out.push(0, -0, Infinity, -Infinity);
  return Float32Array.from(out);
}

describe('simd-kernels: elementwise', () => {
  // Lengths that leave 0–3 elements for the scalar tail.
  const lengthOf = (n: number, tail: number) => n - (n % 4) + tail;

  it("tanh gives the bits of Multiply(x, 2), Sigmoid, Multiply(·, 2), Sub(·, 1)", () => {
    const xs = elementwiseInputs();
    const simd = simdKernels(backend.wasm.asm.memory)!;
    for (const tail of [0, 1, 2, 3]) {
      const x = xs.subarray(0, lengthOf(xs.length, tail));
      k.use(() => {
        const xt = k.upload(x, [x.length]);
        const s = k.run('Sigmoid', { x: k.run('Multiply', { a: xt, b: k.scalar(2) }) });
        const expected = k.read(k.run('Sub', { a: k.run('Multiply', { a: s, b: k.scalar(2) }), b: k.scalar(1) })).slice();
        const out = k.upload(new Float32Array(x.length).fill(Number.NaN), [x.length]);
        simd.tanh(at(xt), at(xt), at(out), x.length);
        expect(bits(k.read(out))).toEqual(bits(expected));
      });
    }
  });

  it('the activation gradients give the bits of Multiply(dy, Sub(1, Square(y))) and Multiply(dy, Step(y))', () => {
    const rng = new Rng(3);
    const xs = elementwiseInputs();
    for (const tail of [0, 3]) {
      const y = xs.subarray(0, lengthOf(xs.length, tail));
      const dy = values(y.length, rng);
      for (const activation of ['tanh', 'relu'] as const) {
        k.use(() => {
          const yt = k.upload(y, [y.length]);
          const dyt = k.upload(dy, [y.length]);
          const dAct = activation === 'relu' ? k.run('Step', { x: yt }, { alpha: 0 }) : k.run('Sub', { a: k.scalar(1), b: k.run('Square', { x: yt }) });
          const expected = k.read(k.run('Multiply', { a: dyt, b: dAct })).slice();
          expect(bits(k.read(k.activationGradient(dyt, yt, activation)))).toEqual(bits(expected));
        });
      }
    }
  });

  it('every length from 0 to 40 (the 16-, 4- and 1-element passes and their ends)', () => {
    const rng = new Rng(9);
    for (let n = 0; n <= 40; n++) {
      k.use(() => {
        const x = k.upload(values(n, rng).map((v) => v / 100), [n]);
        const dy = k.upload(values(n, rng), [n]);
        const s = k.run('Sigmoid', { x: k.run('Multiply', { a: x, b: k.scalar(2) }) });
        const expected = k.read(k.run('Sub', { a: k.run('Multiply', { a: s, b: k.scalar(2) }), b: k.scalar(1) })).slice();
        const y = k.tanh(x);
        expect(bits(k.read(y))).toEqual(bits(expected));
        const dTanh = k.read(k.run('Multiply', { a: dy, b: k.run('Sub', { a: k.scalar(1), b: k.run('Square', { x: y }) }) })).slice();
        expect(bits(k.read(k.activationGradient(dy, y, 'tanh')))).toEqual(bits(dTanh));
        const dRelu = k.read(k.run('Multiply', { a: dy, b: k.run('Step', { x }, { alpha: 0 }) })).slice();
        expect(bits(k.read(k.activationGradient(dy, x, 'relu')))).toEqual(bits(dRelu));
      });
    }
  });

  it('relu gradient: NaN where y is NaN, as Step gives', () => {
    k.use(() => {
      const y = k.upload(Float32Array.of(Number.NaN, 1, -1, 0, Number.NaN), [5]);
      const dy = k.upload(Float32Array.of(2, 2, 2, 2, 0), [5]);
      const got = Array.from(k.read(k.activationGradient(dy, y, 'relu')));
      expect(got.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(['NaN', 2, 0, 0, 'NaN']);
    });
  });

  it('KernelScope.tanh and activationGradient leave nothing allocated after release', () => {
    const before = tf.memory().numDataBuffers;
    for (let i = 0; i < 3; i++) {
      k.use(() => {
        const x = k.upload(Float32Array.of(0.5, -2, 3, 0.1, 7), [5]);
        const y = k.tanh(x);
        expect(y.shape).toEqual([5]);
        k.activationGradient(x, y, 'tanh');
        k.activationGradient(x, y, 'relu');
      });
    }
    expect(tf.memory().numDataBuffers).toBe(before);
    expect(() => k.use(() => k.activationGradient(k.upload(new Float32Array(4), [4]), k.upload(new Float32Array(3), [3]), 'tanh'))).toThrow(/differ in size/);
  });
});
