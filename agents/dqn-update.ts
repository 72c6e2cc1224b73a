/**
 * One DQN gradient computation: the forward passes in one tfjs graph, the TD targets in JS, the backward
 * pass written out, and two downloads.
 *
 * For a 64-64 MLP on batches of ~128 a gradient step costs matrix products plus a fixed overhead per tfjs
 * op (a few µs each on wasm, far more than the arithmetic of an op on 128 × |A| values). So:
 *   - the forward passes (online on s, target on s', online on s' to pick a* for double DQN; with
 *     advantage learning or Munchausen targets, target on s too, stacked with s') come back in one download
 *     of the Q values;
 *   - the TD targets and ∂loss/∂Q are a loop over the batch in JS, in float32 (Math.fround after each
 *     operation), so they are bit for bit what the same elementwise ops give in a tfjs graph, without the
 *     two dozen small ops (argmax, one-hot, masks, clip) that cost a third of the step there;
 *   - the backward pass is written out (no gradient tape): the loss gradient at Q is nonzero only on the
 *     taken actions, and each layer's gradient is x_inᵀ·dz, 1ᵀ·dz, dz·Wᵀ. (Stacking s and s' into one
 *     2B-row online pass saves two ops but doubles the backward pass's FLOPs, which cost more at 64×64.);
 *   - the loss is computed in JS from the TD errors (float64);
 *   - for an MLP on the wasm backend the graphs run as direct kernel calls (`computeWithKernels`, about a
 *     sixth cheaper per step): the same kernels without the tfjs engine's bookkeeping per op.
 * The value is the same as differentiating the Huber (or squared) loss of agents/dqn.ts's TD error with
 * the targets held constant; tests/dqn-update.test.ts checks it against tfjs autodiff.
 */
import { tf } from './backend.js';
import { traceNetwork, type Network } from './conv.js';
import { KernelScope } from './kernel-scope.js';
import { Mlp, backwardKernels, downloadAndDispose, forwardTraceKernels, traceOutputKernels, uploadWeights, type KernelTrace } from './mlp.js';
import type { ReplaySample } from './replay-buffer.js';

export interface DqnUpdateOptions {
  numActions: number;
  /** The network's last layer emits [V, A_1..A_k]; Q = V + A − mean(A). */
  dueling: boolean;
  doubleDqn: boolean;
  loss: 'huber' | 'mse';
  /** Advantage learning's α (0 = off): the target drops α·(max_b Q_target(s, b) − Q_target(s, a)). */
  advantageLearning: number;
  /** Munchausen targets (null = off; see `DqnConfig.munchausen`): α, the softmax temperature τ, the clip l0 < 0. */
  munchausen?: { alpha: number; tau: number; clip: number } | null;
  /** false: tf ops even where direct kernel calls are available (the tests compare the two). */
  kernels?: boolean;
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
  /** Direct kernel calls for an MLP on the wasm backend (null: tf ops, see `computeWithKernels`). */
  private readonly kernels: KernelScope | null;
  /** Advantage learning and Munchausen targets need Q_target(s) (one target pass over [s; s']). */
  private readonly targetOnObs: boolean;
  /** Double DQN: the online network on s' picks a* (or, with Munchausen targets, weights the soft value). */
  private readonly onlineOnNextObs: boolean;

  constructor(
    readonly online: Network,
    readonly target: Network,
    readonly opts: DqnUpdateOptions,
  ) {
    this.A = opts.numActions;
    this.targetOnObs = opts.advantageLearning > 0 || !!opts.munchausen;
    this.onlineOnNextObs = opts.doubleDqn;
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
    const mlp = online instanceof Mlp && target instanceof Mlp;
    this.kernels = mlp && opts.kernels !== false ? KernelScope.open() : null;
  }

  /** The gradient of the mean (importance-weighted) TD loss on the sample `s`. */
  compute(s: ReplaySample): DqnGradient {
    const k = KernelScope.active(this.kernels);
    if (k) return k.use(() => this.computeWithKernels(k, s));
    const B = s.size;
    const A = this.A;
    const d = this.online.inputSize;
    const dOutValues = new Float32Array(B * A);
    const tdValues = new Float32Array(B);
    let stats = { loss: 0, meanQ: 0 };
    const gradTensor = tf.tidy(() => {
      const obs = tf.tensor2d(s.obs.subarray(0, B * d), [B, d]);
      const nextObs = tf.tensor2d(s.nextObs.subarray(0, B * d), [B, d]);
      const qValues = (out: tf.Tensor2D): tf.Tensor2D => (this.duelingMap ? tf.matMul(out, this.duelingMap) : out);
      const trace = traceNetwork(this.online, obs);
      // Rows of the download: see `lossGradient`.
      const parts = [qValues(trace.output)];
      parts.push(qValues(traceNetwork(this.target, this.targetOnObs ? tf.concat([obs, nextObs]) : nextObs).output));
      if (this.onlineOnNextObs) parts.push(qValues(traceNetwork(this.online, nextObs).output));
      stats = this.lossGradient(s, tf.concat(parts).dataSync() as Float32Array, dOutValues, tdValues);
      let dOut = tf.tensor2d(dOutValues, [B, A]);
      if (this.duelingMap) dOut = tf.matMul(dOut, tf.transpose(this.duelingMap));
      return trace.backward(dOut);
    });
    return { grad: downloadAndDispose(gradTensor), td: tdValues, ...stats };
  }

  /**
   * `compute` as direct kernel calls (agents/kernel-scope.ts; an MLP on the wasm backend): the same kernels
   * on the same inputs as the tf ops above, so the same bits, at a fraction of the per-op cost. The Q values
   * and the gradient are read part by part (a concat is only a copy). The caller releases the scope.
   */
  private computeWithKernels(k: KernelScope, s: ReplaySample): DqnGradient {
    const B = s.size;
    const A = this.A;
    const online = this.online as Mlp;
    const d = online.inputSize;
    const dOutValues = new Float32Array(B * A);
    const tdValues = new Float32Array(B);
    const grad = new Float32Array(online.params.length);
    const obs = k.upload(s.obs.subarray(0, B * d), [B, d]);
    const nextObs = k.upload(s.nextObs.subarray(0, B * d), [B, d]);
    const matMul = (a: tf.TensorInfo, b: tf.TensorInfo) => k.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
    const qValues = (t: KernelTrace): tf.TensorInfo => (this.duelingMap ? matMul(traceOutputKernels(t), this.duelingMap) : traceOutputKernels(t));
    // The weights from `params` (the tf variables are not uploaded during training: see Mlp.syncVariables);
    // the online weights serve both online passes.
    const onlineWeights = uploadWeights(k, online);
    const trace = forwardTraceKernels(k, online, obs, onlineWeights);
    const parts = [qValues(trace)];
    let targetInput = nextObs;
    if (this.targetOnObs) {
      const both = new Float32Array(2 * B * d);
      both.set(s.obs.subarray(0, B * d));
      both.set(s.nextObs.subarray(0, B * d), B * d);
      targetInput = k.upload(both, [2 * B, d]);
    }
    parts.push(qValues(forwardTraceKernels(k, this.target as Mlp, targetInput, uploadWeights(k, this.target as Mlp))));
    if (this.onlineOnNextObs) parts.push(qValues(forwardTraceKernels(k, online, nextObs, onlineWeights)));
    const q = new Float32Array(parts.reduce((n, p) => n + p.shape[0], 0) * A);
    let offset = 0;
    for (const p of parts) {
      k.readInto(p, q, offset);
      offset += p.shape[0] * A;
    }
    const stats = this.lossGradient(s, q, dOutValues, tdValues);
    let dOut = k.upload(dOutValues, [B, A]);
    if (this.duelingMap) dOut = matMul(dOut, k.run('Transpose', { x: this.duelingMap }, { perm: [1, 0] }));
    backwardKernels(k, trace, dOut, grad);
    return { grad, td: tdValues, ...stats };
  }

  /**
   * The TD targets and ∂loss/∂Q from the downloaded Q values: fills `dOut` ([B, A], nonzero only at the taken
   * actions) and `td`, returns the loss and the mean of Q(s, a). Rows of `q`, B each: Q_online(s), then
   * Q_target(s) and Q_target(s') (advantage learning or Munchausen: one target pass over [s; s'] rather than
   * two) or Q_target(s') alone, then Q_online(s') (double DQN).
   */
  private lossGradient(s: ReplaySample, q: Float32Array, dOut: Float32Array, tdOut: Float32Array): { loss: number; meanQ: number } {
    const B = s.size;
    const A = this.A;
    const al = this.opts.advantageLearning;
    const m = this.opts.munchausen;
    const f32 = Math.fround;
    const qTargetObs = this.targetOnObs ? q.subarray(B * A, 2 * B * A) : null;
    const qNextTarget = this.targetOnObs ? q.subarray(2 * B * A, 3 * B * A) : q.subarray(B * A, 2 * B * A);
    const qSelect = this.onlineOnNextObs ? q.subarray((this.targetOnObs ? 3 : 2) * B * A) : qNextTarget;
    let loss = 0;
    let sumQ = 0;
    // The TD targets and ∂loss/∂Q in float32 (Math.fround after every operation), as a tfjs graph would
    // compute them: the same bits whether these few ops run here or in the backend. (Munchausen's soft values
    // are float64 exp and log, rounded once: `softValue`.)
    const alpha = f32(al);
    for (let i = 0; i < B; i++) {
      const row = i * A;
      const a = s.actions[i];
      // y = R + γ^m (1 − terminated) · Q_target(s', a*), a* = argmax Q_online(s') (double) or argmax Q_target(s')
      // (the first maximum on ties, as tf.argMax). `terminated` alone gates the bootstrap: a truncated
      // transition still bootstraps from its final obs.
      const disc = s.terminated[i] ? 0 : s.discounts[i]; // float32 values, as are the returns and weights
      let y: number;
      if (m) {
        // Munchausen: y = R + α·clip(τ ln π(a|s), l0, 0) + γ^m (1 − terminated) · V(s'), π = softmax(Q_target(s, ·)/τ),
        // V(s') the soft value: τ ln Σ_b exp(Q_target(s', b)/τ), or with double DQN Σ_b π'(b)·(Q_target(s', b) −
        // τ ln π'(b)) under the online network's π' = softmax(Q_online(s', ·)/τ) (double DQN's argmax as τ → 0).
        const vNext = this.onlineOnNextObs ? softDoubleValue(qSelect, qNextTarget, row, A, m.tau) : softValue(qNextTarget, row, A, m.tau);
        const logPi = f32(f32(qTargetObs![row + a] - softValue(qTargetObs!, row, A, m.tau)));
        y = f32(f32(s.returns[i] + f32(f32(m.alpha) * Math.max(f32(m.clip), logPi))) + f32(disc * vNext));
      } else {
        let aStar = 0;
        for (let b = 1; b < A; b++) if (qSelect[row + b] > qSelect[row + aStar]) aStar = b;
        y = f32(s.returns[i] + f32(disc * qNextTarget[row + aStar]));
      }
      // Advantage learning: y −= α·(max_b Q_target(s, b) − Q_target(s, a)), widening the action gap.
      if (qTargetObs && al > 0) {
        let max = qTargetObs[row];
        for (let b = 1; b < A; b++) max = Math.max(max, qTargetObs[row + b]);
        y = f32(y - f32(alpha * f32(max - qTargetObs[row + a])));
      }
      const qTaken = q[row + a];
      const td = f32(qTaken - y);
      // d(loss)/d(td): Huber (δ = 1) → clip(td, −1, 1); squared (½td²) → td; times weight / B (the mean).
      const w = f32(s.weights[i] / B);
      dOut[row + a] = f32((this.opts.loss === 'huber' ? Math.min(1, Math.max(-1, td)) : td) * w);
      tdOut[i] = td;
      const abs = Math.abs(td);
      loss += (this.opts.loss === 'huber' ? (abs <= 1 ? 0.5 * abs * abs : abs - 0.5) : 0.5 * abs * abs) * w;
      sumQ += qTaken;
    }
    return { loss, meanQ: sumQ / B };
  }

  dispose(): void {
    this.kernels?.dispose();
    this.duelingMap?.dispose();
  }
}

/** The row's maximum m and ln Σ_b exp((q_b − m)/τ): a log-sum-exp shifted so that no exp overflows. */
function shiftedLogSumExp(q: Float32Array, row: number, A: number, tau: number): { max: number; logSum: number } {
  let max = q[row];
  for (let b = 1; b < A; b++) max = Math.max(max, q[row + b]);
  let sum = 0;
  for (let b = 0; b < A; b++) sum += Math.exp((q[row + b] - max) / tau);
  return { max, logSum: Math.log(sum) };
}

/** τ·ln Σ_b exp(q_b / τ) over the row of `q` at `row`, rounded to float32 (the soft maximum; τ ln π(a) = q_a minus this). */
export function softValue(q: Float32Array, row: number, A: number, tau: number): number {
  const { max, logSum } = shiftedLogSumExp(q, row, A, tau);
  return Math.fround(max + tau * logSum);
}

/**
 * Σ_b π(b)·(qEval_b − τ ln π(b)) with π = softmax(qSelect/τ) over the rows at `row`, rounded to float32: the soft
 * value of qEval under the policy of qSelect (equal to `softValue(qEval)` when the two are the same row).
 */
export function softDoubleValue(qSelect: Float32Array, qEval: Float32Array, row: number, A: number, tau: number): number {
  const { max, logSum } = shiftedLogSumExp(qSelect, row, A, tau);
  let v = 0;
  for (let b = 0; b < A; b++) {
    const tauLogPi = qSelect[row + b] - max - tau * logSum;
    v += Math.exp(tauLogPi / tau) * (qEval[row + b] - tauLogPi);
  }
  return Math.fround(v);
}
