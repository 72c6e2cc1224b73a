/**
 * A small multilayer perceptron on raw `tf.variable`s. For networks this size the cost is per-op overhead,
 * not FLOPs, so the forward pass is one fused matMul(+bias, +activation) per layer, and the parameters are
 * also kept as one flat float32 vector on the JS side (`params`): the optimiser (agents/adam.ts), target
 * network copies, Polyak averaging and checkpoints all work on that vector without extra tensor ops.
 *
 * Initialisation is done in JS from a seeded {@link Rng}, so the initial weights are identical on every
 * backend: glorot-uniform (DQN) or orthogonal with a gain per layer (PPO/A2C, as in the "37 details").
 *
 * Gradients come two ways: written out by hand with no tape (`forwardTrace` + `backward`, at the end of this
 * file), which every agent's gradient step uses, or through tfjs's tape (`apply` under `tf.variableGrads`: each
 * layer carries a custom gradient, see `denseLayer`), the reference the tests check the hand-written passes
 * against. On the wasm backend the agents' steps and `predict` run the same passes as direct kernel calls
 * (`forwardTraceKernels`, `backwardKernels`).
 */
import { tf } from './backend.js';
import { KernelScope } from './kernel-scope.js';
import { Rng } from '../core/rng.js';

export type Activation = 'relu' | 'tanh';
export type Init = 'glorot' | 'orthogonal';

export interface MlpOptions {
  activation?: Activation;
  init?: Init;
  /** Orthogonal gain of the hidden layers (default √2) and of the output layer (default 1). */
  hiddenGain?: number;
  outputGain?: number;
}

/**
 * A network whose parameters live in one flat float32 vector mirrored in tf variables (an Mlp, or a ConvNet
 * of agents/conv.ts): loading, target copies and Polyak averaging work on the vector, then `syncVariables`.
 */
export abstract class FlatParamNetwork {
  abstract readonly params: Float32Array;
  /** Brings the tf variables up to date with `params` (after the optimiser or a copy changed them). */
  abstract syncVariables(): void;

  setParams(values: ArrayLike<number>): void {
    if (values.length !== this.params.length) throw new Error(`${this.constructor.name}: got ${values.length} parameters, this network has ${this.params.length}`);
    this.params.set(values);
    this.syncVariables();
  }

  /** Hard copy (target networks). */
  copyFrom(other: { readonly params: Float32Array }): void {
    this.setParams(other.params);
  }

  /** Polyak averaging: θ ← τ·θ_other + (1 − τ)·θ. */
  polyakFrom(other: { readonly params: Float32Array }, tau: number): void {
    const p = this.params;
    const q = other.params;
    for (let i = 0; i < p.length; i++) p[i] = tau * q[i] + (1 - tau) * p[i];
    this.syncVariables();
  }
}

export class Mlp extends FlatParamNetwork {
  /** Layer sizes, input first: [obsSize, 64, 64, outSize]. */
  readonly sizes: readonly number[];
  readonly activation: Activation;
  /** All weights and biases, layer by layer (W row-major [in, out], then b), float32. */
  readonly params: Float32Array;
  private readonly vars: tf.Variable[];
  /** `params` changed since the variables were last uploaded (see `syncVariables`). */
  private stale = false;
  /** `predict`'s direct kernel calls, kept with their constants (opened at the first call; null: tf ops). */
  private scope: KernelScope | null = null;
  private readonly offsets: { w: number; b: number; inSize: number; outSize: number }[];

  constructor(sizes: readonly number[], rng: Rng, opts: MlpOptions = {}) {
    super();
    if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) throw new Error(`Mlp: bad layer sizes [${sizes}]`);
    this.sizes = [...sizes];
    this.activation = opts.activation ?? 'relu';
    this.offsets = [];
    let n = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const w = n;
      n += sizes[l] * sizes[l + 1];
      const b = n;
      n += sizes[l + 1];
      this.offsets.push({ w, b, inSize: sizes[l], outSize: sizes[l + 1] });
    }
    this.params = new Float32Array(n);
    const init = opts.init ?? 'glorot';
    this.offsets.forEach((o, l) => {
      const last = l === this.offsets.length - 1;
      const w = this.params.subarray(o.w, o.w + o.inSize * o.outSize);
      if (init === 'glorot') glorotUniform(w, o.inSize, o.outSize, rng);
      else orthogonal(w, o.inSize, o.outSize, last ? (opts.outputGain ?? 1) : (opts.hiddenGain ?? Math.SQRT2), rng);
      // biases start at zero
    });
    this.vars = [];
    // tf.variable keeps its initial tensor alive as a separate tensor: tidy frees those, the variables stay.
    tf.tidy(() => {
      for (const o of this.offsets) {
        this.vars.push(tf.variable(tf.tensor2d(this.params.subarray(o.w, o.w + o.inSize * o.outSize), [o.inSize, o.outSize]), true));
        this.vars.push(tf.variable(tf.tensor1d(this.params.subarray(o.b, o.b + o.outSize)), true));
      }
    });
  }

  get inputSize(): number {
    return this.sizes[0];
  }
  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }
  /** The tf variables, uploaded from `params` first if they changed since (see `syncVariables`). */
  get variables(): tf.Variable[] {
    if (this.stale) this.uploadVariables();
    return this.vars;
  }

  /**
   * Forward pass on a [batch, inputSize] tensor; call inside `tf.tidy` (or a gradient tape). The output
   * layer is linear. Each layer carries its own gradient (see `denseLayer`). The gradient stops at the
   * input unless `inputGrad` is set (a head on a trunk that trains through it).
   */
  apply(x: tf.Tensor2D, opts: { inputGrad?: boolean } = {}): tf.Tensor2D {
    // Outside a gradient tape (acting, evaluation, target values) the custom-gradient wrapper is pure
    // overhead: run the same fused ops directly (identical values).
    if (!tf.engine().isTapeOn()) return traceOutput(forwardTrace(this, x));
    let h = x;
    const last = this.offsets.length - 1;
    for (let l = 0; l <= last; l++) {
      const act: Activation | 'linear' = l === last ? 'linear' : this.activation;
      h = denseLayer(h, this.variables[2 * l] as tf.Tensor2D, this.variables[2 * l + 1] as tf.Tensor1D, act, l > 0 || opts.inputGrad === true);
    }
    return h;
  }

  /** The same forward pass through tfjs's own autodiff (reference for the gradient test). */
  applyReference(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const last = this.offsets.length - 1;
    for (let l = 0; l <= last; l++) {
      h = tf.add(tf.matMul(h, this.variables[2 * l] as tf.Tensor2D), this.variables[2 * l + 1]) as tf.Tensor2D;
      if (l < last) h = this.activation === 'relu' ? tf.relu(h) : tf.tanh(h);
    }
    return h;
  }

  /**
   * Runs the network on `n` rows of `obs` and returns the outputs as a flat float32 array. It runs at every
   * env step when acting, so on wasm it is direct kernel calls (`forwardTraceKernels`): the same bits. It
   * reads the tf variables, which keep their packed weights from one call to the next until `params` change.
   */
  predict(obs: Float32Array, n: number): Float32Array {
    const k = KernelScope.active((this.scope ??= KernelScope.open()));
    if (!k) return downloadAndDispose(tf.tidy(() => this.apply(tf.tensor2d(obs, [n, this.inputSize]))));
    return k.use(() => k.read(traceOutputKernels(forwardTraceKernels(k, this, k.upload(obs, [n, this.inputSize])))));
  }

  /** The number of dense layers. */
  get numLayers(): number {
    return this.offsets.length;
  }

  /** Layer `l`'s weights (row-major [inSize, outSize]) and bias, as views into `params`. */
  layer(l: number): { w: Float32Array; b: Float32Array; inSize: number; outSize: number } {
    const o = this.offsets[l];
    return { w: this.params.subarray(o.w, o.w + o.inSize * o.outSize), b: this.params.subarray(o.b, o.b + o.outSize), inSize: o.inSize, outSize: o.outSize };
  }

  /**
   * Marks the tf variables out of date; they upload from `params` when next read (`variables`). Off-policy
   * agents change `params` in JS at every gradient step (Adam, Polyak averaging) while their update reads
   * the weights from `params` directly (DQN's kernel path), so an upload per step would go unused: the
   * online network's variables upload once per burst of gradient steps, when acting reads them.
   */
  syncVariables(): void {
    this.stale = true;
  }

  private uploadVariables(): void {
    this.stale = false;
    this.offsets.forEach((o, l) => {
      tf.tidy(() => {
        this.vars[2 * l].assign(tf.tensor2d(this.params.subarray(o.w, o.w + o.inSize * o.outSize), [o.inSize, o.outSize]));
        this.vars[2 * l + 1].assign(tf.tensor1d(this.params.subarray(o.b, o.b + o.outSize)));
      });
    });
  }

  dispose(): void {
    this.scope?.dispose();
    for (const v of this.vars) v.dispose();
  }
}

function glorotUniform(w: Float32Array, fanIn: number, fanOut: number, rng: Rng): void {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-limit, limit);
}

/**
 * Orthogonal init: a Gaussian matrix orthonormalised by modified Gram–Schmidt along its longer side
 * (float64), then scaled by `gain`.
 */
function orthogonal(w: Float32Array, rows: number, cols: number, gain: number, rng: Rng): void {
  const tall = rows >= cols;
  const n = tall ? rows : cols; // vector length
  const k = tall ? cols : rows; // number of orthonormal vectors
  const vecs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (const u of vecs) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= dot * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) v[i] /= norm;
    vecs.push(v);
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) w[r * cols + c] = gain * (tall ? vecs[c][r] : vecs[r][c]);
  }
}

/** Reads a tensor's values and frees it (the usual end of a forward pass outside the gradient tape). */
export function downloadAndDispose(t: tf.Tensor): Float32Array {
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

const onesRows = new Map<number, tf.Tensor2D>();

/** A cached [1, n] tensor of ones (kept for the process lifetime: one per batch size). */
function onesRow(n: number): tf.Tensor2D {
  let t = onesRows.get(n);
  if (!t) {
    t = tf.keep(tf.ones([1, n]) as tf.Tensor2D);
    onesRows.set(n, t);
  }
  return t;
}

/**
 * tanh as 2·σ(2x) − 1: the same function, but on the wasm backend tf.tanh is a scalar loop, about 4.5× the
 * cost of σ on a [1024, 64] batch (1.5 ms against 0.33 ms), and tanh hidden layers were a fifth of PPO's
 * training time. (Mlp.applyReference keeps tf.tanh, so the gradient test also checks the two agree.)
 */
export function tanh<T extends tf.Tensor>(x: T): T {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) as T;
}

/**
 * One dense layer `act(x·W + b)` with a hand-written gradient. On the wasm backend a matMul with a
 * transpose flag is ~5× slower than an explicit transpose followed by a plain matMul, and tfjs's own
 * gradient of matMul uses the flags; this gradient uses explicit transposes, which makes a training step
 * several times faster. The first layer (`needInputGrad` false) skips the gradient of its input.
 */
function denseLayer(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Activation | 'linear', needInputGrad: boolean): tf.Tensor2D {
  const forward = (save: tf.GradSaveFunc) => {
    const fusedAct = act === 'relu' ? 'relu' : 'linear';
    let y = tf.fused.matMul({ a: x, b: w, bias: b, activation: fusedAct }) as tf.Tensor2D;
    if (act === 'tanh') y = tanh(y);
    save([x, w, y]);
    return y;
  };
  const backward = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] => {
    const [sx, sw, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    // Gradient at the pre-activation.
    let dz = dy;
    if (act === 'relu') dz = tf.mul(dy, tf.step(sy)) as tf.Tensor2D;
    else if (act === 'tanh') dz = tf.mul(dy, tf.sub(1, tf.square(sy))) as tf.Tensor2D;
    const dw = tf.matMul(tf.transpose(sx), dz);
    // Σ over the batch as a [1, B] × [B, out] matMul: several times faster than tf.sum(dz, 0) on wasm.
    const db = tf.reshape(tf.matMul(onesRow(dz.shape[0]), dz), [dz.shape[1]]);
    return needInputGrad ? [tf.matMul(dz, tf.transpose(sw)), dw, db] : [dw, db];
  };
  if (needInputGrad) {
    const f = tf.customGrad(((_x: tf.Tensor, _w: tf.Tensor, _b: tf.Tensor, save: tf.GradSaveFunc) => ({
      value: forward(save),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Tensor2D, saved),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, w, b) as tf.Tensor2D;
  }
  const f = tf.customGrad(((_w: tf.Tensor, _b: tf.Tensor, save: tf.GradSaveFunc) => ({
    value: forward(save),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Tensor2D, saved),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(w, b) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------------------
// Forward and backward passes written out by hand, without a gradient tape: the off-policy agents chain
// several networks per gradient step (DQN: online and target; SAC/TD3: actor → critics → actor), and for
// networks this small tfjs's tape bookkeeping and the gradients of the small loss ops cost more than the
// matrix products. The forward pass keeps every layer's output, the caller computes the loss gradient with
// respect to the network's output, and `backward` runs the chain rule layer by layer with explicit
// transposes (see denseLayer on why). Call inside a tf scope; everything returned is a scoped tensor.

/** The tensors a forward pass keeps for its backward pass: layer inputs, then the final output. */
export interface MlpTrace {
  net: Mlp;
  /** acts[0] = input, acts[l + 1] = output of layer l (after its activation; the last layer is linear). */
  acts: tf.Tensor2D[];
}

/** Forward pass keeping the activations; the output is `trace.acts[trace.acts.length - 1]`. */
export function forwardTrace(net: Mlp, x: tf.Tensor2D): MlpTrace {
  const vars = net.variables;
  const layers = vars.length / 2;
  const acts: tf.Tensor2D[] = [x];
  let h = x;
  for (let l = 0; l < layers; l++) {
    const last = l === layers - 1;
    const relu = !last && net.activation === 'relu';
    h = fusedDense(h, vars[2 * l] as tf.Tensor2D, vars[2 * l + 1], relu ? 'relu' : 'linear');
    if (!last && net.activation === 'tanh') h = tanh(h);
    acts.push(h);
  }
  return { net, acts };
}

/**
 * act(x·W + b) as the one `_FusedMatMul` kernel that `tf.fused.matMul` runs, without that op's wrapper:
 * argument checks and a custom-gradient closure per call, ~7 µs on wasm, a fifth of a [128, 64] × [64, 64]
 * product. Inside a gradient computation (a conv torso's custom gradient under a tape) tf.fused.matMul
 * does not fuse a nonlinear activation (different rounding), so there it is still called.
 */
function fusedDense(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor, activation: 'relu' | 'linear'): tf.Tensor2D {
  if (tf.engine().state.gradientDepth > 0) return tf.fused.matMul({ a: x, b: w, bias, activation }) as tf.Tensor2D;
  const [rows, inSize] = x.shape;
  const outSize = w.shape[1];
  const inputs = { a: tf.reshape(x, [1, rows, inSize]), b: tf.reshape(w, [1, inSize, outSize]), bias };
  const y = tf.engine().runKernel('_FusedMatMul', inputs, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 }) as tf.Tensor;
  return tf.reshape(y, [rows, outSize]);
}

export function traceOutput(t: MlpTrace): tf.Tensor2D {
  return t.acts[t.acts.length - 1];
}

/**
 * Backpropagates `dOut` (∂loss/∂output, [batch, outSize]) through the traced pass. Returns the parameter
 * gradients flattened in `net.params` order (W0, b0, W1, b1, … — one tensor, ready to concatenate and
 * download) unless `params` is false, and ∂loss/∂input when `input` is true. `wideInput` computes the
 * input gradient dz·W₀ᵀ as (W₀·dzᵀ)ᵀ: for a first layer far wider than the batch (a conv torso's
 * flattened features) two small transposes cost less on wasm than transposing W₀ (5× at 1024×128, B = 32).
 */
export function backward(t: MlpTrace, dOut: tf.Tensor2D, opts: { params?: boolean; input?: boolean; wideInput?: boolean } = {}): { grad?: tf.Tensor1D; dInput?: tf.Tensor2D } {
  const wantParams = opts.params ?? true;
  const wantInput = opts.input ?? false;
  const vars = t.net.variables;
  const layers = vars.length / 2;
  const parts: tf.Tensor[] = new Array(2 * layers);
  let dy = dOut;
  for (let l = layers - 1; l >= 0; l--) {
    const y = t.acts[l + 1];
    // Gradient at the pre-activation.
    let dz = dy;
    if (l < layers - 1) dz = t.net.activation === 'relu' ? tf.mul(dy, tf.step(y)) : tf.mul(dy, tf.sub(1, tf.square(y)));
    if (wantParams) {
      // dW = xᵀ·dz and db = 1ᵀ·dz. The right operand of a wasm product is packed (XNNPACK) once per tensor,
      // so both products share dz's packing; (dzᵀ·x)ᵀ would pack a narrow input more cheaply, but db packs
      // dz anyway, and the two extra transposes make it slower even at [128, 4] × [128, 64].
      const dw = tf.matMul(tf.transpose(t.acts[l]), dz);
      parts[2 * l] = tf.reshape(dw, [-1]);
      parts[2 * l + 1] = tf.reshape(tf.matMul(onesRow(dz.shape[0]), dz), [-1]);
    }
    if (l === 0 && wantInput && opts.wideInput) dy = tf.transpose(tf.matMul(vars[0] as tf.Tensor2D, tf.transpose(dz)));
    else if (l > 0 || wantInput) dy = tf.matMul(dz, tf.transpose(vars[2 * l] as tf.Tensor2D));
  }
  return { grad: wantParams ? (tf.concat(parts) as tf.Tensor1D) : undefined, dInput: wantInput ? dy : undefined };
}

// ---------------------------------------------------------------------------------------------------------
// The same two passes as direct kernel calls on a KernelScope (agents/kernel-scope.ts; DQN's update, the
// SAC/TD3 steps and `predict` on the wasm backend): each tf op of forwardTrace/backward above becomes the
// kernel it runs, with the same inputs and attributes, so the values are the same bits without the engine's
// cost per op. Reshapes are views, the gradient parts are read straight into one array (no concat), and the
// constants the tf ops make on the fly (the scalars of tanh, the row of ones) are the scope's kept constants
// with the same values. Keep the two in step: the DQN, SAC/TD3, Mlp and policy-gradient tests compare them bit
// for bit.

/** What `forwardTraceKernels` keeps for `backwardKernels`: layer inputs, then the final output. */
export interface KernelTrace {
  net: Mlp;
  acts: tf.TensorInfo[];
  /** The weights the pass used: W0, b0, W1, b1, … */
  weights: tf.TensorInfo[];
}

/**
 * A network's weights uploaded from `params` into the scope (W0, b0, W1, b1, …), for a pass over weights that
 * change at every step: cheaper than uploading the tf variables through the engine (see `syncVariables`).
 * A product packs its weights once per tensor, so reuse them for every pass of the step.
 */
export function uploadWeights(k: KernelScope, net: Mlp): tf.TensorInfo[] {
  const weights: tf.TensorInfo[] = [];
  for (let l = 0; l < net.numLayers; l++) {
    const { w, b, inSize, outSize } = net.layer(l);
    weights.push(k.upload(w, [inSize, outSize]), k.upload(b, [outSize]));
  }
  return weights;
}

const MATMUL = { transposeA: false, transposeB: false };

/**
 * Which layers a forward pass runs through KernelScope.dense rather than _FusedMatMul: those on a few rows
 * (acting, evaluation) or with a narrow side, where XNNPACK's packing and call cost outweigh its faster
 * multiply. Measured, µs, dense against _FusedMatMul with packed weights: [8, 32]·[32, 32] 1.9 / 3.4,
 * [20, 32]·[32, 32] 4.0 / 6.1, [128, 4]·[4, 64] 7.2 / 9.3, [128, 64]·[64, 2] 7.6 / 8.6, [1024, 32]·[32, 2]
 * 31 / 36; but [128, 64]·[64, 64] 54 / 51–56 and [1024, 32]·[32, 32] 108 / 77–100.
 */
function denseKernelFits(rows: number, inSize: number, outSize: number): boolean {
  return rows <= 32 || inSize <= 8 || outSize <= 8;
}

const TRANSPOSE_2D = { perm: [1, 0] };

/**
 * forwardTrace on a KernelScope, with the tf variables or `uploadWeights(k, net)`; the output is
 * `traceOutputKernels(trace)`.
 */
export function forwardTraceKernels(k: KernelScope, net: Mlp, x: tf.TensorInfo, weights: tf.TensorInfo[] = net.variables): KernelTrace {
  const layers = weights.length / 2;
  const acts = [x];
  let h = x;
  for (let l = 0; l < layers; l++) {
    const last = l === layers - 1;
    const rows = h.shape[0];
    const inSize = net.sizes[l];
    const outSize = net.sizes[l + 1];
    // fusedDense's kernel call, or where it is cheaper the scope's own dense kernel, which gives its bits.
    const activation = !last && net.activation === 'relu' ? 'relu' : 'linear';
    const own = denseKernelFits(rows, inSize, outSize) ? k.dense(h, weights[2 * l], weights[2 * l + 1], activation) : null;
    h = own ?? k.view(k.run('_FusedMatMul', { a: k.view(h, [1, rows, inSize]), b: k.view(weights[2 * l], [1, inSize, outSize]), bias: weights[2 * l + 1] }, { ...MATMUL, activation, leakyreluAlpha: 0.2 }), [rows, outSize]);
    if (!last && net.activation === 'tanh') h = activateKernels(k, h, 'tanh');
    acts.push(h);
  }
  return { net, acts, weights };
}

/** tf.relu(h), or `tanh(h)` above (2·σ(2h) − 1), on a KernelScope. */
export function activateKernels(k: KernelScope, h: tf.TensorInfo, activation: Activation): tf.TensorInfo {
  return activation === 'relu' ? k.run('Relu', { x: h }) : k.tanh(h);
}

export function traceOutputKernels(t: KernelTrace): tf.TensorInfo {
  return t.acts[t.acts.length - 1];
}

/**
 * `backward` on a KernelScope: writes ∂loss/∂params into `grad` (`net.params` layout) unless `grad` is null,
 * and returns ∂loss/∂input when `input` is set (else null).
 */
export function backwardKernels(k: KernelScope, t: KernelTrace, dOut: tf.TensorInfo, grad: Float32Array | null, opts: { input?: boolean } = {}): tf.TensorInfo | null {
  const layers = t.weights.length / 2;
  const matMul = (a: tf.TensorInfo, b: tf.TensorInfo) => k.run('BatchMatMul', { a, b }, MATMUL);
  const transpose = (x: tf.TensorInfo) => k.run('Transpose', { x }, TRANSPOSE_2D);
  const rows = dOut.shape[0];
  // The bias gradient Σ_rows dz is onesᵀ·dz, summed in the order the backend's ones·dz product sums it.
  const ones = grad ? k.constant(`ones column ${rows}`, [rows, 1], () => new Float32Array(rows).fill(1)) : null;
  // Where each layer's W and b start in `params`.
  const offsets: number[] = [];
  for (let l = 0, n = 0; l < layers; l++) {
    offsets.push(n);
    n += t.net.sizes[l] * t.net.sizes[l + 1] + t.net.sizes[l + 1];
  }
  let dy = dOut;
  for (let l = layers - 1; l >= 0; l--) {
    const y = t.acts[l + 1];
    const dz = l < layers - 1 ? k.activationGradient(dy, y, t.net.activation) : dy;
    if (grad && ones) {
      k.weightGradientInto(t.acts[l], dz, grad, offsets[l]);
      k.weightGradientInto(ones, dz, grad, offsets[l] + t.net.sizes[l] * t.net.sizes[l + 1]);
    }
    if (l > 0 || opts.input) {
      // ∂/∂x = dz·Wᵀ: a product like a layer's, so the same choice of kernel (and the same bits either way).
      const wT = transpose(t.weights[2 * l]);
      dy = (denseKernelFits(rows, t.net.sizes[l + 1], t.net.sizes[l]) ? k.dense(dz, wT, null, 'linear') : null) ?? matMul(dz, wT);
    }
  }
  return opts.input ? dy : null;
}

/**
 * The gradient in `net`'s parameters of a loss that is a JS function of the network's outputs (an actor's
 * loss through the critics): forward on `rows` rows of `x`, `outputGradient(out)` gives ∂loss/∂out (and
 * whatever else it computes, returned as `chain`), then backward. Direct kernel calls on `scope` where it runs,
 * else tf ops: the same bits. The forward pass reads the tf variables, which acting reads too, so they upload
 * and pack once per change of the weights (see Mlp.syncVariables).
 */
export function outputChainGradient<T extends { dOut: Float32Array }>(net: Mlp, x: Float32Array, rows: number, outputGradient: (out: Float32Array) => T, scope: KernelScope | null): { grad: Float32Array; chain: T } {
  const k = KernelScope.active(scope);
  if (k) {
    return k.use(() => {
      const trace = forwardTraceKernels(k, net, k.upload(x, [rows, net.inputSize]));
      const chain = outputGradient(k.read(traceOutputKernels(trace)));
      const grad = new Float32Array(net.params.length);
      backwardKernels(k, trace, k.upload(chain.dOut, [rows, net.outputSize]), grad);
      return { grad, chain };
    });
  }
  let chain: T | undefined;
  // The tidy returns only the gradient tensor: tidy walks whatever it returns looking for tensors, and a walk
  // over a few thousand typed-array entries costs more than the rest of an actor step.
  const gradTensor = tf.tidy(() => {
    const trace = forwardTrace(net, tf.tensor2d(x, [rows, net.inputSize]));
    chain = outputGradient(traceOutput(trace).dataSync() as Float32Array);
    return backward(trace, tf.tensor2d(chain.dOut, [rows, net.outputSize])).grad!;
  });
  return { grad: downloadAndDispose(gradTensor), chain: chain! };
}
