/**
 * Proximal Policy Optimization (Schulman et al., 2017), the clipped-surrogate variant, with the
 * implementation details that matter in practice ("The 37 Implementation Details of PPO", Huang et al.,
 * 2022): GAE(λ), advantages normalised per minibatch, a clipped value loss (optional), an entropy bonus,
 * several epochs of shuffled minibatches, global gradient-norm clipping, Adam with ε = 1e-5, learning-rate
 * and clip-range annealing, orthogonal init, and an optional early stop on the approximate KL.
 *
 * Collection (act/observe, rollout buffer, observation normalisation) is in policy-gradient.ts; this
 * file is the update. Read `update` top to bottom; each minibatch's gradient (`minibatchGradient`) is
 * computed without a gradient tape, as DQN's (agents/dqn-update.ts).
 */
import { PG_HYPERPARAMS, PolicyGradientAgent, checkPgConfig, type Minibatch, type PgConfig } from './policy-gradient.js';
import { bool, defaultsOf, int, num, validateHyperparams, withDefaults, type HyperparamSchema } from './hyperparams.js';
import { explainedVariance, normalizeAdvantages } from './rollout-buffer.js';
import { portableExp } from '../core/math.js';
import type { AgentInfo, AgentRegistration, UpdateMetrics } from './agent.js';

export interface PpoConfig extends PgConfig {
  /** Minibatches per epoch (the rollout of numSteps × numEnvs samples is split into this many). */
  numMinibatches: number;
  /** Passes over the rollout per update. */
  updateEpochs: number;
  /** Clip range ε of the probability ratio (and of the value change when clipValueLoss is on). */
  clipCoef: number;
  /** Anneal the clip range linearly to 0 over totalSteps, like the learning rate. */
  annealClip: boolean;
  /** Clip the value prediction to within clipCoef of the rollout's value before the squared error. */
  clipValueLoss: boolean;
  /** Stop the update's remaining minibatches once a minibatch's approximate KL exceeds this (0 = off). */
  targetKl: number;
}

/** Every PPO hyperparameter: the shared policy-gradient ones with PPO's defaults, plus its own. */
export const PPO_HYPERPARAMS: HyperparamSchema<PpoConfig> = {
  params: {
    ...withDefaults(PG_HYPERPARAMS, { lr: 2.5e-4, annealLr: true, numSteps: 128, gamma: 0.99, gaeLambda: 0.95, entCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5 }).params,
    numMinibatches: int(4, 'Minibatches per epoch (the rollout of numSteps × numEnvs samples is split into this many)', { min: 1 }),
    updateEpochs: int(4, 'Passes over the rollout per update', { min: 1 }),
    clipCoef: num(0.2, 'Clip range ε of the probability ratio (and of the value change when clipValueLoss is on)', { min: 0, minExclusive: true }),
    annealClip: bool(false, 'Anneal the clip range linearly to 0 over totalSteps'),
    clipValueLoss: bool(true, "Clip the value prediction to within clipCoef of the rollout's value"),
    targetKl: num(0, "Stop an update's remaining minibatches once the approximate KL exceeds this (0 = off)", { min: 0 }),
  },
  check: (c, ctx) => {
    // Every minibatch needs at least one sample of the numSteps × numEnvs rollout.
    const rollout = c.numSteps * (ctx.numEnvs ?? 1);
    if (c.numMinibatches > rollout) {
      return `numMinibatches=${c.numMinibatches} must be <= numSteps × numEnvs = ${c.numSteps} × ${ctx.numEnvs ?? 1} = ${rollout} (each minibatch needs at least one sample)`;
    }
    return checkPgConfig(c);
  },
};

const DEFAULTS: PpoConfig = defaultsOf(PPO_HYPERPARAMS);

export class PpoAgent extends PolicyGradientAgent<PpoConfig> {
  static readonly defaults: PpoConfig = DEFAULTS;
  private clipRange: number;

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    const config = validateHyperparams('ppo', PPO_HYPERPARAMS, hp, { numEnvs: info.numEnvs });
    super('ppo', info, config, seed);
    this.clipRange = config.clipCoef;
  }

  protected update(): UpdateMetrics {
    const c = this.config;
    const buf = this.buffer;

    // 1. Annealing: the learning rate (and optionally the clip range) fall linearly to 0 over totalSteps,
    //    evaluated at the start of this rollout.
    const frac = this.scheduleFraction();
    this.optimizer.lr = c.annealLr ? frac * c.lr : c.lr;
    const clip = (this.clipRange = c.annealClip ? frac * c.clipCoef : c.clipCoef);

    // 2. Value the rollout and compute GAE(λ) advantages and returns. Truncated steps bootstrap from
    //    V(final observation); terminated ones do not (RolloutBuffer.computeReturnsAndAdvantages).
    this.computeAdvantages();

    // 3. Several epochs over the rollout in shuffled minibatches.
    const batchSize = buf.size;
    const order = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) order[i] = i;
    let policyLoss = 0;
    let valueLoss = 0;
    let entropy = 0;
    let approxKl = 0;
    let clipFraction = 0;
    let gradNorm = 0;
    let loss = 0;
    let steps = 0;
    let stoppedEarly = 0;
    epochs: for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      this.shuffleRng.shuffle(order);
      for (let m = 0; m < c.numMinibatches; m++) {
        const start = Math.round((m * batchSize) / c.numMinibatches);
        const end = Math.round(((m + 1) * batchSize) / c.numMinibatches);
        const mb = this.gather(order, start, end - start);
        // Advantage normalisation, per minibatch.
        if (c.normalizeAdvantages) normalizeAdvantages(mb.advantages);
        const step = this.minibatchGradient(mb, clip);
        gradNorm += this.optimizer.step(step.grad);
        const kl = step.approxKl;
        policyLoss += step.policyLoss;
        valueLoss += step.valueLoss;
        entropy += step.entropy;
        approxKl += kl;
        clipFraction += step.clipFraction;
        loss += step.loss;
        steps++;
        // KL early stop: the policy has moved far enough from the one that collected the data.
        if (c.targetKl > 0 && kl > c.targetKl) {
          stoppedEarly = 1;
          break epochs;
        }
      }
    }

    return {
      loss: loss / steps,
      policyLoss: policyLoss / steps,
      valueLoss: valueLoss / steps,
      entropy: entropy / steps,
      approxKl: approxKl / steps,
      clipFraction: clipFraction / steps,
      explainedVariance: explainedVariance(buf.values, buf.returns),
      gradNorm: gradNorm / steps,
      lr: this.optimizer.lr,
      clipRange: clip,
      gradientSteps: steps,
      stoppedEarly,
    };
  }

  /**
   * The gradient of PPO's loss on one minibatch, without a gradient tape (`lossGradient`: one forward pass of
   * the actor and the critic, the loss and its gradient at the network outputs in JS (float64), then the
   * hand-written backward pass). The loss, as a sum of means over the minibatch:
   *   clipped surrogate  max(−A·r, −A·clip(r, 1 − ε, 1 + ε)), r = π(a|s) / π_old(a|s)
   *   − entCoef · entropy
   *   + vfCoef · ½ (V − R)², or with clipValueLoss ½ max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²)
   * Also returns the loss terms and, from the log-probs before this step, the approximate KL between the
   * rollout policy and the current one ((r − 1) − log r, Schulman's low-variance estimator) and the
   * fraction of ratios outside the clip range.
   */
  minibatchGradient(mb: Minibatch, clip: number): { grad: Float32Array; loss: number; policyLoss: number; valueLoss: number; entropy: number; approxKl: number; clipFraction: number } {
    const c = this.config;
    const n = mb.n;
    const { sums, ...step } = this.lossGradient(mb, ({ logProb, values, dLogProb, dValue }) => {
      const sums = { policyLoss: 0, valueLoss: 0, approxKl: 0, clipped: 0 };
      for (let i = 0; i < n; i++) {
        const logRatio = logProb[i] - mb.logProbs[i];
        const ratio = portableExp(logRatio); // the same bits in Node and in a browser tab (core/math.ts)
        sums.approxKl += ratio - 1 - logRatio;
        if (Math.abs(ratio - 1) > clip) sums.clipped++;
        const a = mb.advantages[i];
        const unclippedTerm = -a * ratio;
        const clippedTerm = -a * Math.min(Math.max(ratio, 1 - clip), 1 + clip);
        // The larger term is the loss; the clipped one is flat in r wherever it is the larger.
        sums.policyLoss += Math.max(unclippedTerm, clippedTerm);
        dLogProb[i] = unclippedTerm >= clippedTerm ? unclippedTerm / n : 0; // ∂r/∂log π = r
        const v = values[i];
        const err = v - mb.returns[i];
        if (c.clipValueLoss) {
          const old = mb.values[i];
          const change = v - old;
          const clippedErr = old + Math.min(Math.max(change, -clip), clip) - mb.returns[i];
          sums.valueLoss += 0.5 * Math.max(err * err, clippedErr * clippedErr);
          const g = err * err >= clippedErr * clippedErr ? err : Math.abs(change) <= clip ? clippedErr : 0;
          dValue[i] = (c.vfCoef * g) / n;
        } else {
          sums.valueLoss += 0.5 * err * err;
          dValue[i] = (c.vfCoef * err) / n;
        }
      }
      return sums;
    });
    return { ...step, approxKl: sums.approxKl / n, clipFraction: sums.clipped / n };
  }

  override progressInfo(): Record<string, number> {
    return { ...super.progressInfo(), clip: this.clipRange };
  }

  protected override extraState(): Record<string, unknown> {
    return { clipRange: this.clipRange };
  }

  protected override setExtraState(json: Record<string, unknown>): void {
    if (typeof json.clipRange === 'number') this.clipRange = json.clipRange;
  }
}

export const ppoRegistration: AgentRegistration<PpoConfig> = {
  name: 'ppo',
  description: 'Proximal Policy Optimization (clipped surrogate, GAE, value clipping, minibatch epochs, LR/clip annealing, optional KL early stop)',
  hyperparams: PPO_HYPERPARAMS,
  actionSpaces: ['Discrete', 'Box'],
  smallConfig: { hidden: [16], numSteps: 32, numMinibatches: 2, updateEpochs: 2 },
  create: (info, hp, seed) => new PpoAgent(info, hp, seed),
};
