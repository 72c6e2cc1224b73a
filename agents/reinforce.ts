/**
 * REINFORCE (Williams, 1992) with a learned value baseline, in the batched "vanilla policy gradient" form:
 * collect `numSteps` steps from each env, compute the discounted return-to-go G_t of every step, and take
 * one gradient step on −log π(a_t|s_t)·(G_t − V(s_t)) (advantages normalised over the batch), while the
 * critic regresses V(s_t) onto G_t.
 *
 * Returns are Monte-Carlo (GAE with λ = 1): rewards are summed to the end of the episode. Two places
 * bootstrap from the critic instead of summing further, because the rewards beyond them were never seen:
 * a truncated episode (time limit) uses V(final observation), and an episode still running when the
 * rollout ends uses V(next observation) — as Spinning Up's VPG does. With numSteps at least as long as a
 * typical episode, nearly every return is a full Monte-Carlo return.
 *
 * Collection (act/observe, rollout buffer, observation normalisation) is in policy-gradient.ts; this
 * file is the update. Read `update` top to bottom.
 */
import { PG_HYPERPARAMS, PolicyGradientAgent, type PgConfig } from './policy-gradient.js';
import { defaultsOf, num, validateHyperparams, withDefaults, type HyperparamSchema } from './hyperparams.js';
import type { AgentInfo, AgentRegistration, UpdateMetrics } from './agent.js';

/**
 * The shared hyperparameters; gaeLambda is fixed at 1 (REINFORCE's returns are Monte-Carlo). It stays a key,
 * accepting only 1, so a saved agent's config (which holds it) loads again.
 */
export type ReinforceConfig = PgConfig;

const base = withDefaults(PG_HYPERPARAMS, {
  lr: 1e-3,
  annealLr: false,
  numSteps: 512,
  gamma: 0.99,
  gaeLambda: 1,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: true,
});

export const REINFORCE_HYPERPARAMS: HyperparamSchema<ReinforceConfig> = {
  ...base,
  params: { ...base.params, gaeLambda: num(1, 'Fixed at 1: returns are Monte-Carlo (bootstrapped only at truncations and rollout ends)', { min: 1, max: 1 }) },
};

const DEFAULTS: ReinforceConfig = defaultsOf(REINFORCE_HYPERPARAMS);

export class ReinforceAgent extends PolicyGradientAgent<ReinforceConfig> {
  static readonly defaults: ReinforceConfig = DEFAULTS;

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    super('reinforce', info, validateHyperparams('reinforce', REINFORCE_HYPERPARAMS, hp, { numEnvs: info.numEnvs }), seed);
  }

  protected update(): UpdateMetrics {
    const c = this.config;

    // 1. Optional learning-rate annealing, linear to 0 over totalSteps.
    this.optimizer.lr = c.annealLr ? this.scheduleFraction() * c.lr : c.lr;

    // 2. Returns-to-go G_t (λ = 1). Terminated episodes end their sum; truncated ones (and the rollout's
    //    unfinished tails) bootstrap from the critic — see the file comment. Advantages are G_t − V(s_t).
    this.computeAdvantages(1);

    // 3. One gradient step on the whole rollout, −log π(a|s)·(G − V(s)) with the baseline subtracted and
    //    advantages normalised over the batch: the estimator is only unbiased for the policy that collected
    //    the data, so there is exactly one step per rollout.
    return this.wholeRolloutStep();
  }
}

export const reinforceRegistration: AgentRegistration<ReinforceConfig> = {
  name: 'reinforce',
  description: 'REINFORCE with a learned value baseline (Monte-Carlo returns, one gradient step per batch)',
  hyperparams: REINFORCE_HYPERPARAMS,
  actionSpaces: ['Discrete', 'Box'],
  smallConfig: { hidden: [16], numSteps: 32 },
  create: (info, hp, seed) => new ReinforceAgent(info, hp, seed),
};
