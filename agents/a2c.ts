/**
 * Advantage Actor-Critic, synchronous (A2C; the batched form of Mnih et al.'s A3C, 2016): every
 * `numSteps` vector-env steps, one gradient step on all `numSteps × numEnvs` samples, with n-step returns
 * (gaeLambda = 1) or GAE(λ) as advantages, a value loss and an entropy bonus. Adam replaces the original's
 * RMSprop (the shared optimiser of this package).
 *
 * Collection (act/observe, rollout buffer, observation normalisation) is in policy-gradient.ts; this
 * file is the update. Read `update` top to bottom.
 */
import { PG_HYPERPARAMS, PolicyGradientAgent, type PgConfig } from './policy-gradient.js';
import { defaultsOf, validateHyperparams, withDefaults, type HyperparamSchema } from './hyperparams.js';
import type { AgentInfo, AgentRegistration, UpdateMetrics } from './agent.js';

export type A2cConfig = PgConfig;

/** A2C's hyperparameters: the shared policy-gradient ones with A2C's defaults. */
export const A2C_HYPERPARAMS: HyperparamSchema<A2cConfig> = withDefaults(PG_HYPERPARAMS, {
  lr: 7e-4,
  annealLr: false,
  numSteps: 5,
  gamma: 0.99,
  gaeLambda: 1,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: false,
});

const DEFAULTS: A2cConfig = defaultsOf(A2C_HYPERPARAMS);

export class A2cAgent extends PolicyGradientAgent<A2cConfig> {
  static readonly defaults: A2cConfig = DEFAULTS;

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    super('a2c', info, validateHyperparams('a2c', A2C_HYPERPARAMS, hp, { numEnvs: info.numEnvs }), seed);
  }

  protected update(): UpdateMetrics {
    const c = this.config;

    // 1. Optional learning-rate annealing, linear to 0 over totalSteps.
    this.optimizer.lr = c.annealLr ? this.scheduleFraction() * c.lr : c.lr;

    // 2. Value the rollout; n-step returns (λ = 1) or GAE(λ) advantages. Truncated steps bootstrap from
    //    V(final observation), terminated ones do not, and the rollout's end bootstraps from V(next obs).
    this.computeAdvantages();

    // 3. One gradient step on the whole rollout: policy gradient − entropy bonus + value regression
    //    (advantage normalisation is off by default for A2C, as in the reference implementations).
    return this.wholeRolloutStep();
  }
}

export const a2cRegistration: AgentRegistration<A2cConfig> = {
  name: 'a2c',
  description: 'Advantage Actor-Critic, synchronous (n-step returns or GAE, one gradient step per rollout)',
  hyperparams: A2C_HYPERPARAMS,
  actionSpaces: ['Discrete', 'Box'],
  smallConfig: { hidden: [16], numSteps: 8 },
  create: (info, hp, seed) => new A2cAgent(info, hp, seed),
};
