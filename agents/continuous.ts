/**
 * Pieces SAC and TD3 share for continuous (Box) actions: rescaling between the env's box and the
 * networks' [-1, 1]^k, the twin Q critic with its target copies, and joining observations with actions
 * into critic inputs.
 *
 * ## Action scaling
 * The actors emit actions in [-1, 1]^k (a tanh), the critics see actions in [-1, 1]^k, and only the env
 * sees the box: env action = bias + scale · a with scale = (high − low)/2, bias = (high + low)/2. The
 * replay buffer stores the env's actions; `normalize` maps a sampled minibatch back before the critics
 * see it. Working in [-1, 1] keeps one set of noise scales and one target entropy valid for every box.
 */
import { tf } from './backend.js';
import { Adam } from './adam.js';
import { KernelScope } from './kernel-scope.js';
import { backward, backwardKernels, forwardTrace, forwardTraceKernels, traceOutput, traceOutputKernels, uploadWeights, Mlp, downloadAndDispose, type Activation } from './mlp.js';
import type { Rng } from '../core/rng.js';
import type { Box, Space } from '../envs/spaces.js';
import { TsgymError } from '../core/errors.js';
import { bootstrapMask, type ReplaySample } from './replay-buffer.js';
import { choice, intList, num, type HyperparamSchema } from './hyperparams.js';
import { offPolicyParams, type OffPolicyConfig } from './off-policy.js';

/** The affine map between [-1, 1]^k and a bounded Box. */
export class ActionScale {
  readonly size: number;
  readonly scale: Float32Array;
  readonly bias: Float32Array;

  constructor(space: Space, agent: string) {
    if (space.type !== 'Box') throw new TsgymError(`${agent} needs a Box action space, got ${String(space)}`);
    const box = space as Box;
    this.size = box.size;
    this.scale = new Float32Array(box.size);
    this.bias = new Float32Array(box.size);
    for (let j = 0; j < box.size; j++) {
      if (!Number.isFinite(box.low[j]) || !Number.isFinite(box.high[j])) throw new TsgymError(`${agent} needs a bounded Box action space (it squashes actions into the box), got ${String(space)}`);
      this.scale[j] = (box.high[j] - box.low[j]) / 2;
      this.bias[j] = (box.high[j] + box.low[j]) / 2;
    }
  }

  /** [-1, 1] → the box, for `n` rows, in place into `out`. */
  toEnv(a: ArrayLike<number>, n: number, out: Float32Array): Float32Array {
    const k = this.size;
    for (let i = 0; i < n * k; i++) out[i] = this.bias[i % k] + this.scale[i % k] * a[i];
    return out;
  }

  /** The box → [-1, 1] (replayed env actions, before the critics see them), clipped against rounding. */
  normalize(a: ArrayLike<number>, n: number, out: Float32Array): Float32Array {
    const k = this.size;
    for (let i = 0; i < n * k; i++) {
      const j = i % k;
      const v = this.scale[j] > 0 ? (a[i] - this.bias[j]) / this.scale[j] : 0;
      out[i] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
    return out;
  }
}

/** The network keys SAC and TD3 share: one MLP shape for the actor and each critic, one Adam learning rate. */
export interface TwinCriticNetConfig {
  hidden: number[];
  activation: Activation;
  /** Adam learning rate of every network the agent trains (the agent's schema names them). */
  lr: number;
}

/**
 * The schema entries SAC and TD3 share: the off-policy keys with their common defaults (a 1M buffer, batch
 * 256, Polyak τ = 0.005, one gradient step per env step) and the network keys; `lrDescription` says which
 * networks the learning rate trains.
 */
export function twinCriticAgentParams(lrDescription: string): HyperparamSchema<OffPolicyConfig & TwinCriticNetConfig>['params'] {
  return {
    ...offPolicyParams({ gamma: 0.99, bufferSize: 1_000_000, batchSize: 256, learningStarts: 1_000, trainFreq: 1, gradientSteps: 1, tau: 0.005, nStep: 1, checkpointBuffer: true, scaleObs: false, totalSteps: 100_000 }),
    hidden: intList([64, 64], 'Hidden layer sizes of the actor and of each critic', 1),
    activation: choice<Activation>('relu', ['relu', 'tanh'], 'Hidden-layer activation'),
    lr: num(1e-3, lrDescription, { min: 0, minExclusive: true }),
  };
}

/**
 * SAC's and TD3's `smallConfig` for the agent contract suite (tests/agent-contract.test.ts): a few hundred
 * steps on a small network, first update at 100 steps.
 */
export const TWIN_CRITIC_SMALL_CONFIG = { hidden: [16], learningStarts: 100, batchSize: 32, bufferSize: 1_000 };

/** Rows [obs_i | action_i] for the critics, written into `out` (n × (obsSize + actionSize)). */
export function joinObsAction(obs: Float32Array, actions: ArrayLike<number>, n: number, obsSize: number, actionSize: number, out: Float32Array): Float32Array {
  const w = obsSize + actionSize;
  for (let i = 0; i < n; i++) {
    out.set(obs.subarray(i * obsSize, (i + 1) * obsSize), i * w);
    for (let j = 0; j < actionSize; j++) out[i * w + obsSize + j] = actions[i * actionSize + j];
  }
  return out;
}

/**
 * Two independent Q networks Q1, Q2 : [obs | action] → ℝ (Fujimoto et al., 2018's clipped double Q), each
 * with a target copy, trained together: one gradient download and one Adam step for both. On the wasm
 * backend the passes are direct kernel calls (`kernels`), elsewhere tf ops; the results are the same bits.
 */
export class TwinCritic {
  readonly q1: Mlp;
  readonly q2: Mlp;
  readonly target1: Mlp;
  readonly target2: Mlp;
  readonly optimizer: Adam;
  readonly inputSize: number;
  /**
   * Direct kernel calls on the wasm backend (agents/kernel-scope.ts): the same bits as the tf ops, which run
   * elsewhere or when this is null (the tests compare the two).
   */
  kernels: KernelScope | null = KernelScope.open();

  constructor(inputSize: number, hidden: number[], activation: Activation, lr: number, rng: Rng) {
    this.inputSize = inputSize;
    const sizes = [inputSize, ...hidden, 1];
    this.q1 = new Mlp(sizes, rng, { activation, init: 'glorot' });
    this.q2 = new Mlp(sizes, rng, { activation, init: 'glorot' });
    this.target1 = new Mlp(sizes, rng, { activation, init: 'glorot' });
    this.target2 = new Mlp(sizes, rng, { activation, init: 'glorot' });
    this.target1.copyFrom(this.q1);
    this.target2.copyFrom(this.q2);
    this.optimizer = new Adam([this.q1, this.q2], { lr });
  }

  /** min(Q1'(x), Q2'(x)) of the target critics for `n` input rows (one upload, one download). */
  targetMin(x: Float32Array, n: number): Float32Array {
    const both = new Float32Array(2 * n);
    const k = KernelScope.active(this.kernels);
    if (k) {
      k.use(() => {
        const xt = k.upload(x, [n, this.inputSize]);
        k.readInto(qKernels(k, this.target1, xt), both, 0);
        k.readInto(qKernels(k, this.target2, xt), both, n);
      });
    } else {
      both.set(
        downloadAndDispose(
          tf.tidy(() => {
            const xt = tf.tensor2d(x, [n, this.inputSize]);
            return tf.concat([this.target1.apply(xt), this.target2.apply(xt)]);
          }),
        ),
      );
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.min(both[i], both[n + i]);
    return out;
  }

  /** Q1(x) and Q2(x) of the online critics, flat [q1_0, q2_0, q1_1, …] (tests and diagnostics). */
  predict(x: Float32Array, n: number): Float32Array {
    return downloadAndDispose(
      tf.tidy(() => {
        const xt = tf.tensor2d(x, [n, this.inputSize]);
        return tf.concat([this.q1.apply(xt), this.q2.apply(xt)], 1);
      }),
    );
  }

  /**
   * One Adam step on ½·(MSE(Q1(x), y) + MSE(Q2(x), y)) for both critics at once: forward passes, the
   * loss gradient (Q − y)/n, the hand-written backward passes (mlp.ts), one download of both
   * gradients (and the Q values, for the metrics).
   */
  fit(x: Float32Array, y: Float32Array, n: number): { criticLoss: number; q1: number; q2: number; criticGradNorm: number } {
    const g = this.lossAndGradient(x, y, n);
    return { criticLoss: g.loss, q1: g.q1, q2: g.q2, criticGradNorm: this.optimizer.step(g.grad) };
  }

  /**
   * `fit` on a replayed batch towards the clipped double-Q targets
   *   y = R + γ^m · (1 − terminated) · (min(Q1'(s', a'), Q2'(s', a')) − α · log π(a'|s'))
   * with `nextActions` a' (B × k, in [-1, 1]) from the agent's target policy; the entropy term only when
   * `soft` is given (SAC). The replayed env actions are normalised by `scale` first.
   */
  fitTdTargets(s: ReplaySample, nextActions: Float32Array, scale: ActionScale, soft?: { alpha: number; nextLogProbs: Float32Array }): ReturnType<TwinCritic['fit']> {
    const B = s.size;
    const k = scale.size;
    const d = this.inputSize - k;
    const qNext = this.targetMin(joinObsAction(s.nextObs, nextActions, B, d, k, new Float32Array(B * (d + k))), B);
    const y = new Float32Array(B);
    for (let i = 0; i < B; i++) {
      const next = soft ? qNext[i] - soft.alpha * soft.nextLogProbs[i] : qNext[i];
      y[i] = s.returns[i] + bootstrapMask(s, i) * s.discounts[i] * next;
    }
    const actions = scale.normalize(s.actions, B, new Float32Array(B * k));
    return this.fit(joinObsAction(s.obs, actions, B, d, k, new Float32Array(B * (d + k))), y, B);
  }

  /** The loss of `fit`, its gradient (Q1's parameters, then Q2's, flat) and the mean Q values. */
  lossAndGradient(x: Float32Array, y: Float32Array, n: number): { loss: number; grad: Float32Array; q1: number; q2: number } {
    const p1 = this.q1.params.length;
    const p2 = this.q2.params.length;
    // [∂loss/∂θ1 | ∂loss/∂θ2 | Q1(x) | Q2(x)]
    let values: Float32Array;
    const k = KernelScope.active(this.kernels);
    if (k) {
      values = new Float32Array(p1 + p2 + 2 * n);
      k.use(() => {
        const xt = k.upload(x, [n, this.inputSize]);
        const yt = k.upload(y, [n, 1]);
        const scale = k.upload(Float32Array.of(1 / n), []);
        const t1 = forwardTraceKernels(k, this.q1, xt, uploadWeights(k, this.q1));
        const t2 = forwardTraceKernels(k, this.q2, xt, uploadWeights(k, this.q2));
        // (Q − y)/n, as tf.mul(tf.sub(Q, y), 1 / n) below.
        const dOut = (q: tf.TensorInfo) => k.run('Multiply', { a: k.run('Sub', { a: q, b: yt }), b: scale });
        backwardKernels(k, t1, dOut(traceOutputKernels(t1)), values.subarray(0, p1));
        backwardKernels(k, t2, dOut(traceOutputKernels(t2)), values.subarray(p1, p1 + p2));
        k.readInto(traceOutputKernels(t1), values, p1 + p2);
        k.readInto(traceOutputKernels(t2), values, p1 + p2 + n);
      });
    } else {
      values = downloadAndDispose(
        tf.tidy(() => {
          const xt = tf.tensor2d(x, [n, this.inputSize]);
          const yt = tf.tensor2d(y, [n, 1]);
          const t1 = forwardTrace(this.q1, xt);
          const t2 = forwardTrace(this.q2, xt);
          const g1 = backward(t1, tf.mul(tf.sub(traceOutput(t1), yt), 1 / n) as tf.Tensor2D).grad!;
          const g2 = backward(t2, tf.mul(tf.sub(traceOutput(t2), yt), 1 / n) as tf.Tensor2D).grad!;
          return tf.concat([g1, g2, tf.reshape(traceOutput(t1), [-1]), tf.reshape(traceOutput(t2), [-1])]);
        }),
      );
    }
    let loss = 0;
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const a = values[p1 + p2 + i];
      const b = values[p1 + p2 + n + i];
      loss += (a - y[i]) ** 2 + (b - y[i]) ** 2;
      m1 += a;
      m2 += b;
    }
    return { loss: (0.5 * loss) / n, grad: values.subarray(0, p1 + p2), q1: m1 / n, q2: m2 / n };
  }

  /**
   * For the actor's loss −mean_i Q(x_i): the values Q(x_i) and the gradient ∂(−mean Q)/∂x (flat n × inputSize),
   * with Q = min(Q1, Q2) (SAC; the gradient flows through whichever critic is lower on each row) or Q = Q1
   * (TD3). Only the input gradient is computed: the critics' weights are not trained by the actor's loss.
   */
  inputGradient(x: Float32Array, n: number, which: 'min' | 'q1'): { q: Float32Array; dx: Float32Array } {
    const k = KernelScope.active(this.kernels);
    if (k) return k.use(() => this.inputGradientKernels(k, x, n, which));
    const q = new Float32Array(n);
    const dx = tf.tidy(() => {
      const xt = tf.tensor2d(x, [n, this.inputSize]);
      if (which === 'q1') {
        const t1 = forwardTrace(this.q1, xt);
        q.set(traceOutput(t1).dataSync());
        return backward(t1, tf.fill([n, 1], -1 / n) as tf.Tensor2D, { params: false, input: true }).dInput!;
      }
      const t1 = forwardTrace(this.q1, xt);
      const t2 = forwardTrace(this.q2, xt);
      const both = tf.concat([traceOutput(t1), traceOutput(t2)]).dataSync() as Float32Array;
      const [d1, d2] = minCriticGradients(both, n, q);
      const dx1 = backward(t1, tf.tensor2d(d1, [n, 1]), { params: false, input: true }).dInput!;
      const dx2 = backward(t2, tf.tensor2d(d2, [n, 1]), { params: false, input: true }).dInput!;
      return tf.add(dx1, dx2);
    });
    return { q, dx: downloadAndDispose(dx) };
  }

  /** `inputGradient` on a KernelScope: the same kernels on the same inputs. */
  private inputGradientKernels(k: KernelScope, x: Float32Array, n: number, which: 'min' | 'q1'): { q: Float32Array; dx: Float32Array } {
    const q = new Float32Array(n);
    const xt = k.upload(x, [n, this.inputSize]);
    const t1 = forwardTraceKernels(k, this.q1, xt, uploadWeights(k, this.q1));
    if (which === 'q1') {
      k.readInto(traceOutputKernels(t1), q, 0);
      return { q, dx: k.read(backwardKernels(k, t1, k.upload(new Float32Array(n).fill(-1 / n), [n, 1]), null, { input: true })!) };
    }
    const t2 = forwardTraceKernels(k, this.q2, xt, uploadWeights(k, this.q2));
    const both = new Float32Array(2 * n);
    k.readInto(traceOutputKernels(t1), both, 0);
    k.readInto(traceOutputKernels(t2), both, n);
    const [d1, d2] = minCriticGradients(both, n, q);
    const dx1 = backwardKernels(k, t1, k.upload(d1, [n, 1]), null, { input: true })!;
    const dx2 = backwardKernels(k, t2, k.upload(d2, [n, 1]), null, { input: true })!;
    return { q, dx: k.read(k.run('Add', { a: dx1, b: dx2 })) };
  }

  /** Polyak / hard target pairs for the off-policy base. */
  targetPairs(): [Mlp, Mlp][] {
    return [
      [this.target1, this.q1],
      [this.target2, this.q2],
    ];
  }

  dispose(): void {
    this.kernels?.dispose();
    for (const m of [this.q1, this.q2, this.target1, this.target2]) m.dispose();
  }
}

/** A critic's output Q(x) for the rows `x` on a KernelScope, with its weights uploaded from `params`. */
function qKernels(k: KernelScope, net: Mlp, x: tf.TensorInfo): tf.TensorInfo {
  return traceOutputKernels(forwardTraceKernels(k, net, x, uploadWeights(k, net)));
}

/**
 * For −mean_i min(Q1, Q2)(x_i): `both` holds Q1 then Q2 for `n` rows; writes the minimum to `q` and returns
 * ∂/∂Q1 and ∂/∂Q2 (−1/n on the row's lower critic, Q1 on ties, 0 on the other).
 */
function minCriticGradients(both: Float32Array, n: number, q: Float32Array): [Float32Array, Float32Array] {
  const d1 = new Float32Array(n);
  const d2 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const first = both[i] <= both[n + i];
    q[i] = first ? both[i] : both[n + i];
    (first ? d1 : d2)[i] = -1 / n;
  }
  return [d1, d2];
}
