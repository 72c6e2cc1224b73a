/**
 * Advantage Actor-Critic, synchronous (A2C; the batched form of Mnih et al.'s A3C, 2016): every
 * `numSteps` vector-env steps, one gradient step on all `numSteps × numEnvs` samples, with n-step returns
 * (gaeLambda = 1) or GAE(λ) as advantages, a value loss and an entropy bonus. Adam replaces the original's
 * RMSprop (the shared optimiser of this package).
 *
 * Collection (act/observe, rollout buffer, observation normalisation) is in policy-gradient.ts; this
 * file is the update. Read `update` top to bottom.
 */
import { tf } from './backend.js';
import { PG_DEFAULTS, PolicyGradientAgent, mean, type PgConfig } from './policy-gradient.js';
import { explainedVariance, normalizeAdvantages } from './rollout-buffer.js';
import type { AgentInfo, UpdateMetrics } from './agent.js';

export type A2cConfig = PgConfig;

const DEFAULTS: A2cConfig = {
  ...PG_DEFAULTS,
  lr: 7e-4,
  annealLr: false,
  numSteps: 5,
  gamma: 0.99,
  gaeLambda: 1,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: false,
};

export class A2cAgent extends PolicyGradientAgent<A2cConfig> {
  static readonly defaults: A2cConfig = DEFAULTS;

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    super('a2c', info, { ...DEFAULTS, ...(hp as Partial<A2cConfig>) }, seed);
  }

  protected update(): UpdateMetrics {
    const c = this.config;
    const buf = this.buffer;

    // 1. Optional learning-rate annealing, linear to 0 over totalSteps.
    this.optimizer.lr = c.annealLr ? this.scheduleFraction() * c.lr : c.lr;

    // 2. Value the rollout; n-step returns (λ = 1) or GAE(λ) advantages. Truncated steps bootstrap from
    //    V(final observation), terminated ones do not, and the rollout's end bootstraps from V(next obs).
    this.computeAdvantages();

    // 3. The whole rollout is one batch, in storage order (no shuffling: there is a single step).
    const all = new Int32Array(buf.size);
    for (let i = 0; i < buf.size; i++) all[i] = i;
    const mb = this.gather(all);
    // Advantage normalisation over the batch (off by default for A2C, as in the reference implementations).
    if (c.normalizeAdvantages) normalizeAdvantages(mb.advantages);
    const negAdvantages = mb.advantages.map((a) => -a);

    // 4. One gradient step: policy gradient − entropy bonus + value regression.
    const step = this.optimizer.minimize(() => {
      const { logProb, entropy, value } = this.evaluateActions(mb);
      const pgLoss = tf.mean(tf.mul(tf.tensor1d(negAdvantages), logProb));
      const vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, tf.tensor1d(mb.returns)))));
      const entMean = tf.mean(entropy);
      const total = tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, entMean)), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
      return { loss: total, extras: [tf.stack([pgLoss, vLoss, entMean])] };
    });
    const [scalars] = step.extras;
    // How far this step moved the policy (diagnostic): approximate KL on the batch it was computed from.
    const approxKl = this.approxKlOn(mb);

    return {
      loss: step.loss,
      policyLoss: scalars[0],
      valueLoss: scalars[1],
      entropy: scalars[2],
      approxKl,
      explainedVariance: explainedVariance(buf.values, buf.returns),
      meanAdvantage: mean(buf.advantages),
      gradNorm: step.gradNorm,
      lr: this.optimizer.lr,
    };
  }
}
