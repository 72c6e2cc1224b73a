/**
 * Adam (Kingma & Ba, 2015) over a flat float32 parameter vector, with optional gradient-norm clipping
 * (of the global norm, or of each network's own). The update runs in JS (float64 arithmetic, float32
 * storage): for small networks this replaces ~10 tensor ops per variable with one gradient download, its
 * state is plain arrays that checkpoints store exactly, and the result is the same on every backend given
 * the same gradients.
 */
import { tf } from './backend.js';
import type { Mlp } from './mlp.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Clip the global L2 norm of the gradient to this value (Infinity = off). */
  maxGradNorm?: number;
  /** Clip each ParamSet's gradient norm to maxGradNorm separately instead of their joint norm. */
  clipPerNet?: boolean;
}

/**
 * Anything Adam can train: a flat float32 parameter vector mirrored in tf variables (an {@link Mlp}, or a
 * bare learned vector such as a Gaussian policy's log-std). Gradients arrive in `variables` order and must
 * concatenate to `params` layout.
 */
export interface ParamSet {
  readonly params: Float32Array;
  readonly variables: tf.Variable[];
  syncVariables(): void;
}

export interface AdamState {
  t: number;
  m: number[];
  v: number[];
}

/**
 * The factor each ParamSet's gradient is multiplied by when each is clipped on its own: maxGradNorm / norm
 * where the set's gradient norm exceeds maxGradNorm, else 1. Unlike the global clip, one network's large
 * gradient (a critic's squared error) then does not shrink another's (the actor's) step.
 */
export function perNetClipScales(grad: ArrayLike<number>, sizes: number[], maxGradNorm: number): number[] {
  const scales: number[] = [];
  let start = 0;
  for (const n of sizes) {
    const norm = Math.sqrt(sumOfSquares(grad, start, start + n));
    scales.push(norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1);
    start += n;
  }
  return scales;
}

/**
 * Σ grad[k]² for k in [start, end), in index order. A function of its own, as `adamUpdate`: the same loop in a
 * closure that advances a captured index ran several times slower.
 */
function sumOfSquares(grad: ArrayLike<number>, start: number, end: number): number {
  let sq = 0;
  for (let k = start; k < end; k++) sq += grad[k] * grad[k];
  return sq;
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly maxGradNorm: number;
  readonly clipPerNet: boolean;
  private t = 0;
  private readonly m: Float64Array;
  private readonly v: Float64Array;

  constructor(readonly nets: ParamSet[], opts: AdamOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.maxGradNorm = opts.maxGradNorm ?? Infinity;
    this.clipPerNet = opts.clipPerNet ?? false;
    const size = nets.reduce((s, n) => s + n.params.length, 0);
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** All trainable variables, in `nets` order (the order of a flat gradient). */
  get variables(): tf.Variable[] {
    return this.nets.flatMap((n) => n.variables);
  }

  /** One Adam step from a flat gradient (in `nets` order); returns the pre-clip (global) gradient norm. */
  step(grad: ArrayLike<number>): number {
    const norm = Math.sqrt(sumOfSquares(grad, 0, grad.length));
    if (!Number.isFinite(norm)) return norm; // the caller's divergence guard handles it; weights stay untouched
    const global = norm > this.maxGradNorm ? this.maxGradNorm / (norm + 1e-6) : 1;
    const scales = this.clipPerNet ? perNetClipScales(grad, this.nets.map((n) => n.params.length), this.maxGradNorm) : null;
    this.t++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const bc1 = 1 - Math.pow(b1, this.t);
    const bc2 = 1 - Math.pow(b2, this.t);
    const stepSize = (this.lr * Math.sqrt(bc2)) / bc1;
    const epsHat = this.eps * Math.sqrt(bc2);
    // The moments in locals and the loop in a function of its own (adamUpdate): it runs over every
    // parameter at every gradient step.
    const m = this.m;
    const v = this.v;
    let k = 0;
    this.nets.forEach((net, j) => {
      const p = net.params;
      const scale = scales ? scales[j] : global;
      k = adamUpdate(p, grad, k, scale, m, v, b1, b2, stepSize, epsHat);
      net.syncVariables();
    });
    return norm;
  }

  getState(): AdamState {
    return { t: this.t, m: Array.from(this.m), v: Array.from(this.v) };
  }

  setState(s: AdamState): void {
    if (s.m.length !== this.m.length) throw new Error(`Adam: saved state has ${s.m.length} entries, expected ${this.m.length}`);
    this.t = s.t;
    this.m.set(s.m);
    this.v.set(s.v);
  }
}

/**
 * Adam's update of `p` from `grad[offset…]` (times `scale`, the clip factor) and the moments `m`, `v` at the
 * same offsets; returns the offset after `p`. A function of its own over local arrays: V8 optimises this loop
 * several times better than the same loop inside `step`'s closure reading `this.m` and `this.v`.
 */
function adamUpdate(p: Float32Array, grad: ArrayLike<number>, offset: number, scale: number, m: Float64Array, v: Float64Array, b1: number, b2: number, stepSize: number, epsHat: number): number {
  let k = offset;
  for (let i = 0; i < p.length; i++, k++) {
    const gi = grad[k] * scale;
    const mk = b1 * m[k] + (1 - b1) * gi;
    const vk = b2 * v[k] + (1 - b2) * gi * gi;
    m[k] = mk;
    v[k] = vk;
    p[i] -= (stepSize * mk) / (Math.sqrt(vk) + epsHat);
  }
  return k;
}
