/**
 * Action distributions of the policy-gradient agents: a categorical over `Discrete(n)` and a diagonal
 * Gaussian over `Box` actions.
 *
 * Everything the agents compute runs in JS, in float64 on the network's downloaded output: sampling (from the
 * agent's seeded {@link Rng}, never `tf.random`), the greedy mode, the log-probability of the sampled action,
 * and for learning log π(a|s), the entropy and their backward pass (`evaluate`). A tf half,
 * `logProbAndEntropy`, builds the same log π(a|s) and entropy as differentiable tf ops: the tests check the JS
 * backward pass against tfjs's autodiff of it.
 *
 * ## Box actions: clipped, not squashed
 * The Gaussian samples an *unclipped* action x ~ N(μ(s), σ²). The agent stores x in its rollout buffer and
 * every log-probability (at act time and in the loss) is the plain Gaussian density of x; only the copy
 * sent to the env is clipped into the box. Clipping is then part of the environment, so the likelihood
 * ratio of PPO and the REINFORCE gradient stay exact (the alternative, tanh squashing, needs a Jacobian
 * term in the log-prob and saturates at the bounds). The greedy action is the mean, clipped. The log-std
 * is a learned vector that does not depend on the state (one entry per action dimension).
 */
import { tf } from './backend.js';
import type { ParamSet } from './adam.js';
import type { Rng } from '../core/rng.js';
import type { Box, Discrete, Space } from '../envs/spaces.js';
import { TsgymError } from '../core/errors.js';
import { portableExp, portableLog } from '../core/math.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface ActionDistribution {
  readonly kind: 'categorical' | 'gaussian';
  /** Actor-network outputs per row: the logits, or the Gaussian means. */
  readonly paramSize: number;
  /** Numbers per stored action row: 1 (the action index) for categorical, the box size for Gaussian. */
  readonly actionSize: number;
  /** Trainable parameters the distribution owns besides the actor network (the Gaussian's log-std). */
  readonly trainables: ParamSet[];
  /**
   * Samples one action per row of `netOut` (`n × paramSize`). Writes the action to learn from into
   * `stored` (`n × actionSize`), the action for the env into `envActions`, and log π(stored | s) into
   * `logProbs`.
   */
  sample(netOut: Float32Array, n: number, rng: Rng, stored: Float32Array, envActions: Int32Array | Float32Array, logProbs: Float32Array): void;
  /** The greedy action per row (argmax, or the clipped mean), for evaluation. */
  mode(netOut: Float32Array, n: number, envActions: Int32Array | Float32Array): void;
  /** log π(a | s) per row for stored actions `a`, in JS (float64 math). */
  logProb(netOut: Float32Array, n: number, stored: Float32Array, out: Float32Array): void;
  /** Entropy per row, in JS. */
  entropy(netOut: Float32Array, n: number, out: Float32Array): void;
  /** The env-facing action array type for `n` rows. */
  newEnvActions(n: number): Int32Array | Float32Array;
  /**
   * Differentiable per-row log π(a|s) and entropy, for stored actions `a`; call inside a tf scope (the tests'
   * tfjs-autodiff reference for {@link evaluate}).
   */
  logProbAndEntropy(netOut: tf.Tensor2D, stored: Float32Array, n: number): { logProb: tf.Tensor1D; entropy: tf.Tensor1D };
  /**
   * log π(a|s) and the entropy of each row for stored actions `a` (the values of `logProb` and `entropy`), and
   * their backward pass on the same rows: what a loss gradient in JS needs (agents/policy-gradient.ts,
   * `lossGradient`), with one softmax per row.
   */
  evaluate(netOut: Float32Array, n: number, stored: Float32Array): ActionEvaluation;
  /** Per-row action probabilities for the viewer (categorical only). */
  probs?(netOut: Float32Array, n: number): Float32Array;
  /** Values for the progress line, e.g. the Gaussian's mean σ. */
  info(): Record<string, number>;
  dispose(): void;
}

/** log π(a|s) and the entropy of each row of a batch, and their backward pass (ActionDistribution.evaluate). */
export interface ActionEvaluation {
  logProb: Float32Array;
  entropy: Float32Array;
  /**
   * For a loss whose gradient is `dLogProb[i]` at row i's log π(a_i|s_i) and `dEntropy` at every row's entropy:
   * writes the gradient at the network outputs into `dNetOut` (`n × paramSize`) and adds the gradient at the
   * distribution's {@link ActionDistribution.trainables} into `dTrainables` (their params, concatenated).
   */
  backprop(dLogProb: ArrayLike<number>, dEntropy: number, dNetOut: Float32Array, dTrainables: Float64Array): void;
}

/** The distribution for an action space. */
export function distributionFor(space: Space, logStdInit = 0): ActionDistribution {
  if (space.type === 'Discrete') return new Categorical(space);
  if (space.type === 'Box') return new DiagGaussian(space, logStdInit);
  throw new TsgymError(`policy-gradient agents support Discrete and Box action spaces, got ${String(space)}`);
}

/** Categorical over `Discrete(n, start)`: the network outputs n logits; stored actions are indices 0..n-1. */
export class Categorical implements ActionDistribution {
  readonly kind = 'categorical';
  readonly paramSize: number;
  readonly actionSize = 1;
  readonly trainables: ParamSet[] = [];
  private readonly start: number;
  private readonly row: Float64Array;

  constructor(space: Discrete) {
    this.paramSize = space.n;
    this.start = space.start;
    this.row = new Float64Array(space.n);
  }

  /**
   * Softmax of row i into `this.row` (max-shifted, float64); returns log Σ exp(logits). With the portable
   * exp and log, so sampling and PPO's loss compute the same bits in Node and in a browser tab.
   */
  private softmaxRow(logits: Float32Array, i: number): number {
    const k = this.paramSize;
    let max = -Infinity;
    for (let a = 0; a < k; a++) max = Math.max(max, logits[i * k + a]);
    let sum = 0;
    for (let a = 0; a < k; a++) {
      const e = portableExp(logits[i * k + a] - max);
      this.row[a] = e;
      sum += e;
    }
    for (let a = 0; a < k; a++) this.row[a] /= sum;
    return max + portableLog(sum);
  }

  sample(logits: Float32Array, n: number, rng: Rng, stored: Float32Array, envActions: Int32Array | Float32Array, logProbs: Float32Array): void {
    const k = this.paramSize;
    for (let i = 0; i < n; i++) {
      const logSumExp = this.softmaxRow(logits, i);
      // Inverse-CDF draw: one uniform per row.
      const u = rng.random();
      let a = k - 1;
      let cum = 0;
      for (let j = 0; j < k; j++) {
        cum += this.row[j];
        if (u < cum) {
          a = j;
          break;
        }
      }
      stored[i] = a;
      envActions[i] = a + this.start;
      logProbs[i] = logits[i * k + a] - logSumExp;
    }
  }

  mode(logits: Float32Array, n: number, envActions: Int32Array | Float32Array): void {
    const k = this.paramSize;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let a = 1; a < k; a++) if (logits[i * k + a] > logits[i * k + best]) best = a;
      envActions[i] = best + this.start;
    }
  }

  logProb(logits: Float32Array, n: number, stored: Float32Array, out: Float32Array): void {
    const k = this.paramSize;
    for (let i = 0; i < n; i++) out[i] = logits[i * k + stored[i]] - this.softmaxRow(logits, i);
  }

  entropy(logits: Float32Array, n: number, out: Float32Array): void {
    for (let i = 0; i < n; i++) out[i] = this.rowEntropy(logits, i, this.softmaxRow(logits, i));
  }

  /** −Σ_a p_a log p_a of row i, from the softmax `softmaxRow` just left in `this.row`. */
  private rowEntropy(logits: Float32Array, i: number, logSumExp: number): number {
    const k = this.paramSize;
    let h = 0;
    for (let a = 0; a < k; a++) if (this.row[a] > 0) h -= this.row[a] * (logits[i * k + a] - logSumExp);
    return h;
  }

  evaluate(logits: Float32Array, n: number, stored: Float32Array): ActionEvaluation {
    const k = this.paramSize;
    const logProb = new Float32Array(n);
    const entropy = new Float32Array(n);
    // What the backward pass reads: each row's probabilities, log Σ exp and entropy, in float64.
    const probs = new Float64Array(n * k);
    const logSumExps = new Float64Array(n);
    const entropies = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const logSumExp = this.softmaxRow(logits, i);
      probs.set(this.row, i * k);
      logSumExps[i] = logSumExp;
      entropies[i] = entropy[i] = this.rowEntropy(logits, i, logSumExp);
      logProb[i] = logits[i * k + stored[i]] - logSumExp;
    }
    const backprop = (dLogProb: ArrayLike<number>, dEntropy: number, dNetOut: Float32Array): void => {
      for (let i = 0; i < n; i++) {
        // ∂ log p_a / ∂z_j = 1[j = a] − p_j;  ∂H / ∂z_j = −p_j (log p_j + H).
        for (let j = 0; j < k; j++) {
          const p = probs[i * k + j];
          const dEnt = p > 0 ? -p * (logits[i * k + j] - logSumExps[i] + entropies[i]) : 0;
          dNetOut[i * k + j] = dLogProb[i] * ((j === stored[i] ? 1 : 0) - p) + dEntropy * dEnt;
        }
      }
    };
    return { logProb, entropy, backprop };
  }

  newEnvActions(n: number): Int32Array {
    return new Int32Array(n);
  }

  logProbAndEntropy(logits: tf.Tensor2D, stored: Float32Array, n: number): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
    const k = this.paramSize;
    // The one-hot mask is built in JS: one upload instead of a cast + oneHot kernel.
    const mask = new Float32Array(n * k);
    for (let i = 0; i < n; i++) mask[i * k + stored[i]] = 1;
    const logp = tf.logSoftmax(logits);
    const logProb = tf.sum(tf.mul(logp, tf.tensor2d(mask, [n, k])), 1) as tf.Tensor1D;
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)) as tf.Tensor1D;
    return { logProb, entropy };
  }

  probs(logits: Float32Array, n: number): Float32Array {
    const k = this.paramSize;
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      this.softmaxRow(logits, i);
      for (let a = 0; a < k; a++) out[i * k + a] = this.row[a];
    }
    return out;
  }

  info(): Record<string, number> {
    return {};
  }

  dispose(): void {}
}

/** A learned vector as a trainable {@link ParamSet}: `params` on the JS side, one tf variable mirroring it. */
export class ParamVector implements ParamSet {
  readonly params: Float32Array;
  readonly variables: tf.Variable[];

  constructor(values: ArrayLike<number>) {
    this.params = Float32Array.from(values);
    this.variables = [tf.tidy(() => tf.variable(tf.tensor1d(this.params), true))]; // tidy frees the initial tensor
  }

  get variable(): tf.Variable {
    return this.variables[0];
  }

  syncVariables(): void {
    tf.tidy(() => this.variables[0].assign(tf.tensor1d(this.params)));
  }

  setParams(values: ArrayLike<number>): void {
    if (values.length !== this.params.length) throw new Error(`ParamVector: got ${values.length} values, expected ${this.params.length}`);
    this.params.set(values);
    this.syncVariables();
  }

  dispose(): void {
    this.variables[0].dispose();
  }
}

/**
 * Diagonal Gaussian over a `Box`: the network outputs the means μ(s); log σ is a learned, state-independent
 * vector (`logStd`, initialised to `logStdInit`). Sampled actions are stored unclipped and clipped only
 * for the env (see the file comment).
 */
export class DiagGaussian implements ActionDistribution {
  readonly kind = 'gaussian';
  readonly paramSize: number;
  readonly actionSize: number;
  readonly logStd: ParamVector;
  readonly trainables: ParamSet[];
  private readonly low: Float32Array;
  private readonly high: Float32Array;

  constructor(space: Box, logStdInit = 0) {
    this.paramSize = space.size;
    this.actionSize = space.size;
    this.low = space.low;
    this.high = space.high;
    this.logStd = new ParamVector(new Float32Array(space.size).fill(logStdInit));
    this.trainables = [this.logStd];
  }

  private clip(x: number, j: number): number {
    return x < this.low[j] ? this.low[j] : x > this.high[j] ? this.high[j] : x;
  }

  /** Σ_j log N(x_j; μ_j, σ_j²) for one row. */
  private rowLogProb(mean: Float32Array, x: ArrayLike<number>, i: number): number {
    const d = this.actionSize;
    const logStd = this.logStd.params;
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const z = (x[i * d + j] - mean[i * d + j]) / Math.exp(logStd[j]);
      lp += -0.5 * z * z - logStd[j] - 0.5 * LOG_2PI;
    }
    return lp;
  }

  sample(mean: Float32Array, n: number, rng: Rng, stored: Float32Array, envActions: Int32Array | Float32Array, logProbs: Float32Array): void {
    const d = this.actionSize;
    const logStd = this.logStd.params;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const x = mean[i * d + j] + Math.exp(logStd[j]) * rng.normal();
        stored[i * d + j] = x; // unclipped: the log-prob below and in the loss is of this value
        envActions[i * d + j] = this.clip(x, j);
      }
      logProbs[i] = this.rowLogProb(mean, stored, i);
    }
  }

  mode(mean: Float32Array, n: number, envActions: Int32Array | Float32Array): void {
    const d = this.actionSize;
    for (let i = 0; i < n * d; i++) envActions[i] = this.clip(mean[i], i % d);
  }

  logProb(mean: Float32Array, n: number, stored: Float32Array, out: Float32Array): void {
    for (let i = 0; i < n; i++) out[i] = this.rowLogProb(mean, stored, i);
  }

  /** Σ_j (log σ_j + ½ log 2πe); the same for every row. */
  entropyValue(): number {
    let h = 0;
    for (const ls of this.logStd.params) h += ls + 0.5 * (1 + LOG_2PI);
    return h;
  }

  entropy(_mean: Float32Array, n: number, out: Float32Array): void {
    out.fill(this.entropyValue(), 0, n);
  }

  newEnvActions(n: number): Float32Array {
    return new Float32Array(n * this.actionSize);
  }

  logProbAndEntropy(mean: tf.Tensor2D, stored: Float32Array, n: number): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
    const d = this.actionSize;
    const logStd = this.logStd.variable;
    const z = tf.mul(tf.sub(tf.tensor2d(stored, [n, d]), mean), tf.exp(tf.neg(logStd)));
    // log N = -½ z² - log σ - ½ log 2π, summed over the action dimensions.
    const logProb = tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), tf.add(tf.sum(logStd), 0.5 * d * LOG_2PI)) as tf.Tensor1D;
    const entropyRow = tf.add(tf.sum(logStd), 0.5 * d * (1 + LOG_2PI));
    const entropy = tf.mul(tf.ones([n]), entropyRow) as tf.Tensor1D;
    return { logProb, entropy };
  }

  evaluate(mean: Float32Array, n: number, stored: Float32Array): ActionEvaluation {
    const logProb = new Float32Array(n);
    this.logProb(mean, n, stored, logProb);
    const entropy = new Float32Array(n);
    this.entropy(mean, n, entropy);
    const backprop = (dLogProb: ArrayLike<number>, dEntropy: number, dNetOut: Float32Array, dTrainables: Float64Array): void => {
      const d = this.actionSize;
      const logStd = this.logStd.params;
      // With z = (x − μ)/σ: ∂ log N / ∂μ = z/σ, ∂ log N / ∂ log σ = z² − 1; the entropy is Σ log σ + const per row.
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const std = Math.exp(logStd[j]);
          const z = (stored[i * d + j] - mean[i * d + j]) / std;
          dNetOut[i * d + j] = (dLogProb[i] * z) / std;
          dTrainables[j] += dLogProb[i] * (z * z - 1) + dEntropy;
        }
      }
    };
    return { logProb, entropy, backprop };
  }

  info(): Record<string, number> {
    let s = 0;
    for (const ls of this.logStd.params) s += Math.exp(ls);
    return { std: s / this.actionSize };
  }

  dispose(): void {
    this.logStd.dispose();
  }
}
