/**
 * A small multilayer perceptron on raw `tf.variable`s. For networks this size the cost is per-op overhead,
 * not FLOPs, so the forward pass is one fused matMul(+bias, +activation) per layer, and the parameters are
 * also kept as one flat float32 vector on the JS side (`params`): the optimiser (agents/adam.ts), target
 * network copies, Polyak averaging and checkpoints all work on that vector without extra tensor ops.
 *
 * Initialisation is done in JS from a seeded {@link Rng}, so the initial weights are identical on every
 * backend: glorot-uniform (DQN) or orthogonal with a gain per layer (PPO/A2C, as in the "37 details").
 */
import { tf } from './backend.js';
import { Rng } from '../envs/rng.js';

export type Activation = 'relu' | 'tanh';
export type Init = 'glorot' | 'orthogonal';

export interface MlpOptions {
  activation?: Activation;
  init?: Init;
  /** Orthogonal gain of the hidden layers (default √2) and of the output layer (default 1). */
  hiddenGain?: number;
  outputGain?: number;
}

export class Mlp {
  /** Layer sizes, input first: [obsSize, 64, 64, outSize]. */
  readonly sizes: readonly number[];
  readonly activation: Activation;
  /** All weights and biases, layer by layer (W row-major [in, out], then b), float32. */
  readonly params: Float32Array;
  private readonly vars: tf.Variable[];
  private readonly offsets: { w: number; b: number; inSize: number; outSize: number }[];

  constructor(sizes: readonly number[], rng: Rng, opts: MlpOptions = {}) {
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
    for (const o of this.offsets) {
      this.vars.push(tf.variable(tf.tensor2d(this.params.subarray(o.w, o.w + o.inSize * o.outSize), [o.inSize, o.outSize]), true));
      this.vars.push(tf.variable(tf.tensor1d(this.params.subarray(o.b, o.b + o.outSize)), true));
    }
  }

  get inputSize(): number {
    return this.sizes[0];
  }
  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }
  get variables(): tf.Variable[] {
    return this.vars;
  }

  /** Forward pass on a [batch, inputSize] tensor; call inside `tf.tidy`. The output layer is linear. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const last = this.offsets.length - 1;
    for (let l = 0; l <= last; l++) {
      // tfjs fuses relu into matMul but not tanh.
      const fusedAct = l < last && this.activation === 'relu' ? 'relu' : 'linear';
      h = tf.fused.matMul({ a: h, b: this.vars[2 * l] as tf.Tensor2D, bias: this.vars[2 * l + 1], activation: fusedAct }) as tf.Tensor2D;
      if (l < last && this.activation === 'tanh') h = tf.tanh(h);
    }
    return h;
  }

  /** Runs the network on `n` rows of `obs` and returns the outputs as a flat float32 array. */
  predict(obs: Float32Array, n: number): Float32Array {
    return tf.tidy(() => this.apply(tf.tensor2d(obs, [n, this.inputSize]))).dataSync() as Float32Array;
  }

  /** Uploads `params` into the tf variables (after the optimiser or a copy changed them). */
  syncVariables(): void {
    this.offsets.forEach((o, l) => {
      tf.tidy(() => {
        this.vars[2 * l].assign(tf.tensor2d(this.params.subarray(o.w, o.w + o.inSize * o.outSize), [o.inSize, o.outSize]));
        this.vars[2 * l + 1].assign(tf.tensor1d(this.params.subarray(o.b, o.b + o.outSize)));
      });
    });
  }

  setParams(values: ArrayLike<number>): void {
    if (values.length !== this.params.length) throw new Error(`Mlp: got ${values.length} parameters, this network has ${this.params.length}`);
    this.params.set(values);
    this.syncVariables();
  }

  /** Hard copy (target networks). */
  copyFrom(other: Mlp): void {
    this.setParams(other.params);
  }

  /** Polyak averaging: θ ← τ·θ_other + (1 − τ)·θ. */
  polyakFrom(other: Mlp, tau: number): void {
    const p = this.params;
    const q = other.params;
    for (let i = 0; i < p.length; i++) p[i] = tau * q[i] + (1 - tau) * p[i];
    this.syncVariables();
  }

  dispose(): void {
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
