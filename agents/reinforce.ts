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
import { PG_DEFAULTS, PolicyGradientAgent, type PgConfig } from './policy-gradient.js';
import type { AgentInfo, UpdateMetrics } from './agent.js';

/** The shared hyperparameters without gaeLambda: REINFORCE's returns are Monte-Carlo (λ = 1). */
export type ReinforceConfig = Omit<PgConfig, 'gaeLambda'>;

const { gaeLambda: _monteCarlo, ...SHARED_DEFAULTS } = PG_DEFAULTS;

const DEFAULTS: ReinforceConfig = {
  ...SHARED_DEFAULTS,
  lr: 1e-3,
  annealLr: false,
  numSteps: 512,
  gamma: 0.99,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: true,
};

export class ReinforceAgent extends PolicyGradientAgent<ReinforceConfig & PgConfig> {
  static readonly defaults: ReinforceConfig = DEFAULTS;

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    super('reinforce', info, { ...DEFAULTS, ...(hp as Partial<ReinforceConfig>), gaeLambda: 1 }, seed);
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
