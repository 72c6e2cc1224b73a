/**
 * One DQN gradient computation as a single TensorFlow.js graph with a single download.
 *
 * For a 64-64 MLP the cost of a gradient step is per-op overhead, not FLOPs (see agents/mlp.ts). The
 * straightforward step costs three graphs and five downloads: a target forward pass and an online forward
 * pass on s' (each downloaded to compute the TD targets in JS), then a taped forward + backward on s with
 * tfjs's gradient machinery, and separate downloads of the gradient, the loss and the TD errors. Here:
 *   - the forward passes (online on s, target on s', online on s' to pick a* for double DQN; with
 *     advantage learning, target on s too, stacked with s') and the TD targets are one graph: the targets
 *     never leave the backend;
 *   - the backward pass is written out (no gradient tape): the loss gradient at Q is nonzero only on the
 *     taken actions, and each layer's gradient is x_inᵀ·dz, 1ᵀ·dz, dz·Wᵀ. (Stacking s and s' into one
 *     2B-row online pass saves two ops but doubles the backward pass's FLOPs, which cost more at 64×64.);
 *   - the gradient, the TD errors and Q(s, a) come back in one download; the loss is computed in JS from
 *     the TD errors (float64), so the graph carries no loss-only ops.
 * The value is the same as differentiating the Huber (or squared) loss of agents/dqn.ts's TD error with
 * the targets held constant; tests/dqn-update.test.ts checks it against tfjs autodiff.
 */
import { tf } from './backend.js';
import { traceNetwork, type Network } from './conv.js';
import type { ReplaySample } from './replay-buffer.js';

export interface DqnUpdateOptions {
  numActions: number;
  /** The network's last layer emits [V, A_1..A_k]; Q = V + A − mean(A). */
  dueling: boolean;
  doubleDqn: boolean;
  loss: 'huber' | 'mse';
  /** Advantage learning's α (0 = off): the target drops α·(max_b Q_target(s, b) − Q_target(s, a)). */
  advantageLearning: number;
}

export interface DqnGradient {
  /** Flat gradient of the mean loss over the online network's params (its `params` layout). */
  grad: Float32Array;
  /** Q(s, a) − y per sample. */
  td: Float32Array;
  loss: number;
  meanQ: number;
}

export class DqnUpdate {
  private readonly A: number;
  /** Dueling combination as a constant linear map: Q = out · D, D of shape [A + 1, A]. */
  private readonly duelingMap: tf.Tensor2D | null;
  private readonly cache = new Map<number, { mask: Float32Array; y: Float32Array }>();

  constructor(
    readonly online: Network,
    readonly target: Network,
    readonly opts: DqnUpdateOptions,
  ) {
    this.A = opts.numActions;
    if (opts.dueling) {
      const A = this.A;
      const d = new Float32Array((A + 1) * A);
      for (let a = 0; a < A; a++) {
        d[a] = 1; // row 0: V feeds every Q_a
        for (let j = 0; j < A; j++) d[(j + 1) * A + a] = (j === a ? 1 : 0) - 1 / A;
      }
      this.duelingMap = tf.keep(tf.tensor2d(d, [A + 1, A]));
    } else {
      this.duelingMap = null;
    }
  }

  /** Per-batch-size host staging arrays. */
  private scratch(B: number) {
    let c = this.cache.get(B);
    if (!c) {
      c = {
        mask: new Float32Array(B * this.A),
        // y-inputs: [return, discount·(1 − terminated), importance weight / B] per sample
        y: new Float32Array(3 * B),
      };
      this.cache.set(B, c);
    }
    return c;
  }

  /** The gradient of the mean (importance-weighted) TD loss on the sample `s`, in one graph and one download. */
  compute(s: ReplaySample): DqnGradient {
    const B = s.size;
    const A = this.A;
    const d = this.online.inputSize;
    const c = this.scratch(B);
    c.mask.fill(0);
    for (let i = 0; i < B; i++) {
      c.mask[i * A + s.actions[i]] = 1;
      c.y[i] = s.returns[i];
      // `terminated` alone gates the bootstrap: a truncated transition still bootstraps from its final obs.
      c.y[B + i] = s.terminated[i] ? 0 : s.discounts[i];
      c.y[2 * B + i] = s.weights[i] / B;
    }
    const P = this.online.params.length;
    const flat = tf.tidy(() => {
      const obs = tf.tensor2d(s.obs.subarray(0, B * d), [B, d]);
      const nextObs = tf.tensor2d(s.nextObs.subarray(0, B * d), [B, d]);
      const qValues = (out: tf.Tensor2D): tf.Tensor2D => (this.duelingMap ? tf.matMul(out, this.duelingMap) : out);
      const trace = traceNetwork(this.online, obs);
      const q = qValues(trace.output);
      // Advantage learning also needs Q_target(s): one target pass over [s; s'] rather than two.
      const al = this.opts.advantageLearning;
      let qTarget: tf.Tensor2D | null = null;
      let qNextTarget: tf.Tensor2D;
      if (al > 0) {
        [qTarget, qNextTarget] = tf.split(qValues(traceNetwork(this.target, tf.concat([obs, nextObs])).output), 2) as [tf.Tensor2D, tf.Tensor2D];
      } else {
        qNextTarget = qValues(traceNetwork(this.target, nextObs).output);
      }
      // y = R + γ^m (1 − terminated) · Q_target(s', a*), a* = argmax Q_online(s') (double) or argmax Q_target(s').
      const aStar = tf.argMax(this.opts.doubleDqn ? qValues(traceNetwork(this.online, nextObs).output) : qNextTarget, 1);
      const bootstrapQ = tf.sum(tf.mul(qNextTarget, tf.oneHot(aStar, A)), 1);
      const [ret, disc, w] = tf.unstack(tf.tensor2d(c.y, [3, B]), 0);
      let y = tf.add(ret, tf.mul(disc, bootstrapQ));
      const mask = tf.tensor2d(c.mask, [B, A]);
      // Advantage learning: y −= α·(max_b Q_target(s, b) − Q_target(s, a)), widening the action gap.
      if (qTarget) y = tf.sub(y, tf.mul(al, tf.sub(tf.max(qTarget, 1), tf.sum(tf.mul(qTarget, mask), 1))));
      const qTaken = tf.sum(tf.mul(q, mask), 1);
      const td = tf.sub(qTaken, y);
      // d(loss)/d(td): Huber (δ = 1) → clip(td, −1, 1); squared (½td²) → td; times weight / B (the mean).
      const dTd = tf.mul(this.opts.loss === 'huber' ? tf.clipByValue(td, -1, 1) : td, w);
      let dOut: tf.Tensor2D = tf.mul(mask, tf.reshape(dTd, [B, 1]));
      if (this.duelingMap) dOut = tf.matMul(dOut, tf.transpose(this.duelingMap));
      return tf.concat([trace.backward(dOut), td, qTaken]);
    });
    const all = flat.dataSync() as Float32Array;
    flat.dispose();
    const grad = all.subarray(0, P);
    const td = all.subarray(P, P + B);
    const qTaken = all.subarray(P + B, P + 2 * B);
    let loss = 0;
    let meanQ = 0;
    for (let i = 0; i < B; i++) {
      const a = Math.abs(td[i]);
      const l = this.opts.loss === 'huber' ? (a <= 1 ? 0.5 * a * a : a - 0.5) : 0.5 * a * a;
      loss += l * c.y[2 * B + i]; // weight / B
      meanQ += qTaken[i];
    }
    return { grad, td, loss, meanQ: meanQ / B };
  }

  dispose(): void {
    this.duelingMap?.dispose();
    this.cache.clear();
  }
}
