/**
 * The search space `tune` uses for each agent when no `--space` is given (`--space` flags replace single keys).
 * RL-Zoo's Optuna spaces (rl_zoo3/hyperparams_opt.py) are the reference, mapped onto tsgym's keys:
 * - learning rates log-uniform on [1e-5, 2e-3], entropy coefficients log-uniform on [1e-8, 0.1];
 * - RL-Zoo samples 1 − γ (and 1 − λ) log-uniformly; spaces here have no transforms, so γ is uniform on
 *   [0.95, 0.9999] and λ on [0.8, 0.999];
 * - powers of two (rollout lengths, batch sizes) become log-scaled int ranges;
 * - network sizes (RL-Zoo's net_arch names) are left out: a layer list is not a categorical value here, so
 *   `hidden` keeps the agent's default (set it with --set).
 * - ranges counted in steps (learning starts, ε decay, target-update interval) scale with the run's budget, as
 *   RL-Zoo's exploration fraction does: given the budget, a range that ends above half of it is scaled down
 *   to end there, so a short study does not spend its trials on configs that never learn or never stop
 *   exploring.
 * Every range lies inside the agent's schema, and every point of a space passes the agent's cross-key checks
 * for any number of parallel envs (tests/tune-space.test.ts).
 */
import { TsgymError } from '../../core/errors.js';
import type { ParamDistribution, SearchSpace } from './space.js';

const LR = { type: 'float', low: 1e-5, high: 2e-3, log: true } as const;
const GAMMA = { type: 'float', low: 0.95, high: 0.9999 } as const;
const GAE_LAMBDA = { type: 'float', low: 0.8, high: 0.999 } as const;
const ENT_COEF = { type: 'float', low: 1e-8, high: 0.1, log: true } as const;
const MAX_GRAD_NORM = { type: 'float', low: 0.3, high: 2 } as const;
const ACTIVATION = { type: 'categorical', choices: ['tanh', 'relu'] } as const;
const TAU = { type: 'float', low: 0.001, high: 0.08, log: true } as const;

/** What SAC and TD3 share (RL-Zoo's continuous-control spaces; batch sizes stay below the 1M default buffer). */
const CONTINUOUS_OFF_POLICY: SearchSpace = {
  lr: LR,
  batchSize: { type: 'int', low: 16, high: 1024, log: true },
  gamma: GAMMA,
  tau: TAU,
  trainFreq: { type: 'int', low: 1, high: 10 },
  gradientSteps: { type: 'int', low: 1, high: 10 },
};

export const DEFAULT_SPACES: Readonly<Record<string, SearchSpace>> = {
  ppo: {
    lr: LR,
    numSteps: { type: 'int', low: 32, high: 2048, log: true },
    // At most 16 minibatches and at least 32 steps per env: every minibatch has samples.
    numMinibatches: { type: 'categorical', choices: [1, 2, 4, 8, 16] },
    updateEpochs: { type: 'categorical', choices: [1, 5, 10, 20] },
    gamma: GAMMA,
    gaeLambda: GAE_LAMBDA,
    entCoef: ENT_COEF,
    clipCoef: { type: 'categorical', choices: [0.1, 0.2, 0.3, 0.4] },
    maxGradNorm: MAX_GRAD_NORM,
    activation: ACTIVATION,
  },
  a2c: {
    lr: LR,
    numSteps: { type: 'int', low: 4, high: 2048, log: true },
    gamma: GAMMA,
    gaeLambda: { type: 'float', low: 0.8, high: 1 },
    entCoef: ENT_COEF,
    maxGradNorm: MAX_GRAD_NORM,
    activation: ACTIVATION,
  },
  reinforce: {
    lr: LR,
    numSteps: { type: 'int', low: 128, high: 4096, log: true },
    gamma: GAMMA,
    entCoef: ENT_COEF,
    activation: ACTIVATION,
  },
  dqn: {
    lr: LR,
    // Up to 512: below the smallest buffer in the space.
    batchSize: { type: 'int', low: 16, high: 512, log: true },
    bufferSize: { type: 'int', low: 10_000, high: 1_000_000, log: true },
    gamma: GAMMA,
    trainFreq: { type: 'int', low: 1, high: 10 },
    gradientSteps: { type: 'int', low: 1, high: 8 },
    learningStarts: { type: 'int', low: 0, high: 10_000 },
    targetUpdateInterval: { type: 'int', low: 1, high: 20_000, log: true },
    epsEnd: { type: 'float', low: 0, high: 0.2 },
    epsDecaySteps: { type: 'int', low: 1_000, high: 100_000, log: true },
    activation: ACTIVATION,
  },
  sac: {
    ...CONTINUOUS_OFF_POLICY,
    learningStarts: { type: 'int', low: 0, high: 10_000 },
  },
  td3: {
    ...CONTINUOUS_OFF_POLICY,
    explorationNoise: { type: 'float', low: 0, high: 0.5 },
    noiseType: { type: 'categorical', choices: ['gaussian', 'ou'] },
  },
};

/** The keys whose values count steps: with a budget, their ranges end at most at half of it. */
const STEP_COUNT_KEYS = ['learningStarts', 'epsDecaySteps', 'targetUpdateInterval'];

/** An int range that ends above `cap`, scaled down to end at it (a log range keeps its ratio, at least 1). */
function capIntRange(spec: ParamDistribution, cap: number): ParamDistribution {
  if (spec.type !== 'int' || spec.high <= cap) return spec;
  const low = Math.max(spec.log ? 1 : 0, Math.round((spec.low * cap) / spec.high));
  return { ...spec, low: Math.min(low, cap - 1), high: cap };
}

/**
 * The default search space of `agent` (a copy); with `totalSteps`, the step-count ranges end at most at half
 * the budget. Throws when the agent has none (then every key needs a --space).
 */
export function defaultSpaceFor(agent: string, totalSteps?: number): SearchSpace {
  const space = DEFAULT_SPACES[agent];
  if (!space) throw new TsgymError(`no default search space for agent '${agent}'; give the parameters to tune with --space key=low:high[:log] or key=a,b,c`);
  const copy = structuredClone(space) as SearchSpace;
  if (totalSteps === undefined) return copy;
  const cap = Math.max(2, Math.floor(totalSteps / 2));
  for (const key of STEP_COUNT_KEYS) if (copy[key]) copy[key] = capIntRange(copy[key], cap);
  return copy;
}
