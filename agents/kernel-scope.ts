/**
 * A backend's kernels called directly, without the tfjs engine, for the small graphs that run thousands of
 * times per run (the DQN, SAC and TD3 gradient steps, an MLP's forward pass when acting). Around each kernel
 * the engine's bookkeeping (the op wrapper's argument checks, kernel lookup, scopes, tensor tracking) costs
 * 1–4 µs on wasm: as much as an elementwise kernel on a [128, 64] batch (a multiply: 7.3 µs through the
 * engine, 3.6 direct), and a reshape costs a whole engine op although it moves no data. DQN's CartPole step
 * runs ~60 ops, SAC's Pendulum step ~200.
 *
 * A scope runs the same kernels with the same inputs and attributes as the tf ops it replaces, so it gives
 * the same bits. The engine does not see the data a scope makes (`tf.memory().numTensors` does not count it;
 * `numDataBuffers` does): everything `upload` and `run` return belongs to the scope until `release`, which
 * frees all of it. Tensors made elsewhere (tf variables, kept constants) can be inputs and are never freed
 * here. A scope kept across calls also keeps the constants of its passes (`constant`: the scalars of tanh, a
 * column of ones) until `dispose`. `view` is a reshape without a kernel: the same data under another shape, as
 * the backends' own Reshape kernels return. A few steps (`weightGradientInto`, `dense`, `tanh`,
 * `activationGradient`) run simd-kernels.ts's own kernels in the backend's heap instead, with the bits of the
 * backend kernels they replace.
 *
 * Only on the wasm backend (`open` returns null elsewhere): that is where the saving was measured and where
 * the callers' bit-identity to their tf-op paths is tested; other backends run those tf ops.
 */
import { tf } from './backend.js';
import { simdKernels, wasmBackendMemory, type SimdKernels } from './simd-kernels.js';

type TensorInfo = tf.TensorInfo;

/** What a scope reads of the wasm backend: tensors' places in its heap, and the heap's allocator. */
interface WasmBackend {
  /** A tensor's data in the heap (valid until the next allocation). */
  typedArrayFromHeap(t: TensorInfo): ArrayLike<number>;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  wasm: { _malloc(bytes: number): number; _free(pointer: number): void };
}

/** How many values a tensor holds. */
const sizeOf = (t: TensorInfo) => t.shape.reduce((p, d) => p * d, 1);

/** Backends whose kernels a scope calls directly (readInto reads the wasm heap). */
const DIRECT_BACKENDS = new Set(['wasm']);

export class KernelScope {
  private readonly owned: tf.DataId[] = [];
  /** The constants `constant` keeps across `release`, by name. */
  private readonly constants = new Map<string, TensorInfo>();
  private readonly kernels = new Map<string, tf.KernelFunc>();
  /** simd-kernels.ts's kernels on this backend's heap (null: they cannot run here; undefined: not built yet). */
  private simd: SimdKernels | null | undefined;
  /** Heap space for `weightGradientInto`'s result (bytes at `scratch`, grown on demand, freed by dispose). */
  private scratch = 0;
  private scratchBytes = 0;

  private constructor(
    private readonly backend: tf.KernelBackend,
    private readonly backendName: string,
  ) {}

  /** A scope on the current backend, or null where kernels are not called directly (use tf ops there). */
  static open(): KernelScope | null {
    const name = tf.getBackend();
    return DIRECT_BACKENDS.has(name) ? new KernelScope(tf.backend(), name) : null;
  }

  /** Whether this scope still runs on the current backend (a caller may keep a scope across steps). */
  get current(): boolean {
    return tf.getBackend() === this.backendName;
  }

  /** A kept scope if it runs on the current backend, else null (use tf ops). */
  static active(scope: KernelScope | null): KernelScope | null {
    return scope?.current ? scope : null;
  }

  /** Runs `fn` on this scope, then frees everything it made (whatever `fn` returns must be read by then). */
  use<T>(fn: (k: KernelScope) => T): T {
    try {
      return fn(this);
    } finally {
      this.release();
    }
  }

  /** Copies float32 values into a new tensor of `shape` (what tf.tensor does, without the engine). */
  upload(values: Float32Array, shape: number[]): TensorInfo {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`KernelScope.upload: ${values.length} values for shape [${shape}]`);
    const dataId = this.backend.write(values, shape, 'float32');
    this.owned.push(dataId);
    return { dataId, shape, dtype: 'float32' };
  }

  /**
   * A float32 constant that the scope keeps across `release` until `dispose`, made by `values()` the first time
   * `name` is asked for: the same data as an upload per pass, without the upload and the free.
   */
  constant(name: string, shape: number[], values: () => Float32Array): TensorInfo {
    let t = this.constants.get(name);
    if (!t) {
      t = { dataId: this.backend.write(values(), shape, 'float32'), shape, dtype: 'float32' };
      this.constants.set(name, t);
    }
    return t;
  }

  /** A float32 scalar kept by the scope (`constant`). */
  scalar(value: number): TensorInfo {
    return this.constant(`scalar ${value}`, [], () => Float32Array.of(value));
  }

  /** Runs a kernel (by its registered name, e.g. 'BatchMatMul') on this backend; its output is the scope's. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): TensorInfo {
    let kernel = this.kernels.get(kernelName);
    if (!kernel) {
      const config = tf.getKernel(kernelName, this.backendName);
      if (!config) throw new Error(`KernelScope: no kernel '${kernelName}' on backend '${this.backendName}'`);
      kernel = config.kernelFunc;
      this.kernels.set(kernelName, kernel);
    }
    const out = kernel({ inputs, attrs, backend: this.backend }) as TensorInfo;
    this.owned.push(out.dataId);
    return out;
  }

  /** The same data under another shape of the same size (a reshape without a kernel or a copy). */
  view(t: TensorInfo, shape: number[]): TensorInfo {
    return { dataId: t.dataId, shape, dtype: t.dtype };
  }

  /** A copy of a tensor's values. */
  read(t: TensorInfo): Float32Array {
    return this.backend.readSync(t.dataId) as Float32Array;
  }

  /**
   * Copies a tensor's values into `out` at `offset`, straight from the wasm heap (readSync would first copy
   * them into a new array: 2.2 against 0.35 µs for 4096 values).
   */
  readInto(t: TensorInfo, out: Float32Array, offset: number): void {
    out.set(this.wasm.typedArrayFromHeap(t) as Float32Array, offset);
  }

  /**
   * A dense layer's weight gradient xᵀ·dz (x: [rows, in], dz: [rows, out]) written into `out` at `offset`
   * as [in, out] row-major; a column of ones as x gives the bias gradient. simd-kernels.ts's `xtdz` reads x
   * and dz where they lie, where the backend's product would first transpose x and pack dz (measured, µs,
   * kernel against backend: [128, 64]ᵀ·[128, 64] 49 / 138, [1024, 128]ᵀ·[1024, 128] 1458 / 2790, [128, 256]ᵀ·
   * [128, 256] 640 / 850). Wider inputs (not measured: an MLP on a long observation vector) keep the
   * backend's faster multiply, as do engines where the kernels cannot run; the same bits either way.
   */
  weightGradientInto(x: TensorInfo, dz: TensorInfo, out: Float32Array, offset: number): void {
    const [rows, inSize] = x.shape;
    const outSize = dz.shape[1];
    if (dz.shape[0] !== rows || x.shape.length !== 2 || dz.shape.length !== 2) throw new Error(`KernelScope.weightGradientInto: x [${x.shape}] and dz [${dz.shape}] are not [rows, in] and [rows, out]`);
    const simd = this.simdKernels();
    if (!simd || inSize > 256) {
      const xT = this.run('Transpose', { x }, { perm: [1, 0] });
      return this.readInto(this.run('BatchMatMul', { a: xT, b: dz }, { transposeA: false, transposeB: false }), out, offset);
    }
    const { wasm } = this.wasm;
    const bytes = 4 * inSize * outSize;
    if (bytes > this.scratchBytes) {
      if (this.scratch) wasm._free(this.scratch);
      this.scratch = wasm._malloc(bytes) >>> 0;
      this.scratchBytes = bytes;
    }
    simd.xtdz(this.offset(x), this.offset(dz), this.scratch, rows, inSize, outSize, 0, 0);
    // A view made after the call: a malloc may have grown the heap, which replaces its buffer.
    out.set(new Float32Array(this.memory!.buffer, this.scratch, inSize * outSize), offset);
  }

  /**
   * A dense layer act(x·w + bias), act linear or relu, as one pass of simd-kernels.ts's `dense`: the bits of
   * the backend's _FusedMatMul (without a bias: of its BatchMatMul). Null where the kernels cannot run: use
   * the backend's kernel.
   */
  dense(x: TensorInfo, w: TensorInfo, bias: TensorInfo | null, activation: 'linear' | 'relu'): TensorInfo | null {
    const simd = this.simdKernels();
    if (!simd) return null;
    const [rows, inSize] = x.shape;
    const outSize = w.shape[w.shape.length - 1];
    if (x.shape.length !== 2 || sizeOf(w) !== inSize * outSize || (bias && sizeOf(bias) !== outSize)) throw new Error(`KernelScope.dense: x [${x.shape}], w [${w.shape}] and bias [${bias?.shape}] do not make a layer`);
    const out = this.wasm.makeOutput([rows, outSize], 'float32');
    this.owned.push(out.dataId);
    simd.dense(this.offset(x), this.offset(w), this.offset(out), rows, inSize, outSize, bias ? this.offset(bias) : 0, activation === 'relu' ? 1 : 0);
    return out;
  }

  /** tanh(x) as the networks compute it, 2·σ(2x) − 1: one pass of simd-kernels.ts's `tanh`, else four kernels. */
  tanh(x: TensorInfo): TensorInfo {
    const simd = this.simdKernels();
    if (simd) return this.elementwise(simd.tanh, x, x);
    const two = this.scalar(2);
    const s = this.run('Sigmoid', { x: this.run('Multiply', { a: x, b: two }) });
    return this.run('Sub', { a: this.run('Multiply', { a: s, b: two }), b: this.scalar(1) });
  }

  /**
   * The gradient at an activation's input from the gradient `dy` at its output `y`: dy·(1 − y²) (tanh) or
   * dy·step(y) (relu). One pass of simd-kernels.ts's kernels, else the backend's kernels; the same bits.
   */
  activationGradient(dy: TensorInfo, y: TensorInfo, activation: 'relu' | 'tanh'): TensorInfo {
    const simd = this.simdKernels();
    if (simd) return this.elementwise(activation === 'relu' ? simd.reluGrad : simd.tanhGrad, dy, y);
    const dAct = activation === 'relu' ? this.run('Step', { x: y }, { alpha: 0 }) : this.run('Sub', { a: this.scalar(1), b: this.run('Square', { x: y }) });
    return this.run('Multiply', { a: dy, b: dAct });
  }

  /** f(a, b) elementwise into a new tensor of a's shape (the scope's). */
  private elementwise(f: (a: number, b: number, out: number, n: number) => void, a: TensorInfo, b: TensorInfo): TensorInfo {
    const n = sizeOf(a);
    if (sizeOf(b) !== n) throw new Error(`KernelScope: elementwise inputs [${a.shape}] and [${b.shape}] differ in size`);
    const out = this.wasm.makeOutput(a.shape, 'float32');
    this.owned.push(out.dataId);
    f(this.offset(a), this.offset(b), this.offset(out), n);
    return out;
  }

  /** Where a tensor's data starts in the wasm heap, in bytes. */
  private offset(t: TensorInfo): number {
    return this.wasm.dataIdMap.get(t.dataId).memoryOffset;
  }

  /** The wasm backend's memory (undefined: a build that does not expose it). */
  private get memory(): WebAssembly.Memory | undefined {
    return wasmBackendMemory(this.backend);
  }

  private simdKernels(): SimdKernels | null {
    if (this.simd === undefined) {
      const memory = this.memory;
      this.simd = memory ? simdKernels(memory) : null;
    }
    return this.simd;
  }

  private get wasm(): WasmBackend {
    return this.backend as unknown as WasmBackend;
  }

  /** Frees everything the scope made since it opened or last released, except its constants. */
  release(): void {
    for (const dataId of this.owned) this.backend.disposeData(dataId);
    this.owned.length = 0;
  }

  /** Frees everything the scope holds, its constants too (its owner is done with it). */
  dispose(): void {
    this.release();
    for (const t of this.constants.values()) this.backend.disposeData(t.dataId);
    this.constants.clear();
    if (this.scratch) this.wasm.wasm._free(this.scratch);
    this.scratch = this.scratchBytes = 0;
  }
}
