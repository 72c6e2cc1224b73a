/**
 * DQN (Mnih et al., 2015) with the standard improvements as options: double DQN (van Hasselt et al., 2016;
 * on by default), a dueling head (Wang et al., 2016), prioritised replay and n-step returns (see
 * agents/replay-buffer.ts), Huber loss, Adam with gradient-norm clipping, a linear ε schedule, and a target
 * network updated hard every K gradient steps or by Polyak averaging (τ < 1), advantage learning
 * (Bellemare et al., 2016) or Munchausen targets (Vieillard et al., 2020) to keep the action gap open,
 * optionally temporally extended ε-greedy exploration (εz-greedy, Dabney et al., 2021) for sparse-reward
 * envs such as MountainCar, and optionally greedy actions from a Polyak-averaged copy of the online network
 * (`greedyTau`).
 *
 * Collection, replay, the training rhythm, target updates and checkpoints are in off-policy.ts; this file
 * is acting (ε-greedy) and the gradient step. Read `act`, then `trainStep` → `tdTargets`, top to bottom.
 */
import { tf } from './backend.js';
import { Adam, type ParamSet } from './adam.js';
import { downloadAndDispose } from './mlp.js';
import { TORSO_HYPERPARAMS, buildNetwork, resolveTorso, type Network, type TorsoConfig } from './conv.js';
import { DqnUpdate } from './dqn-update.js';
import { bootstrapMask, type ReplaySample } from './replay-buffer.js';
import { OffPolicyAgent, checkOffPolicy, offPolicyParams, type OffPolicyConfig, type PrioritizedReplayConfig } from './off-policy.js';
import type { ActOptions, ActResult, AgentInfo } from './agent.js';
import { TsgymError } from '../core/errors.js';
import { bool, choice, defaultsOf, int, intList, num, validateHyperparams, type HyperparamSchema } from './hyperparams.js';
import type { AgentRegistration } from './agent.js';

export interface DqnConfig extends OffPolicyConfig, PrioritizedReplayConfig, TorsoConfig {
  hidden: number[];
  activation: 'relu' | 'tanh';
  lr: number;
  /** Adam's ε: larger values damp the steps of small, noisy gradients (Rainbow used 0.01 / batch size). */
  adamEps: number;
  /** Anneal the learning rate linearly to 0 over `totalSteps` (the run's budget): late updates cannot undo a solution. */
  annealLr: boolean;
  /** Gradient steps between target updates. */
  targetUpdateInterval: number;
  doubleDqn: boolean;
  dueling: boolean;
  loss: 'huber' | 'mse';
  /**
   * Advantage learning (Bellemare et al., 2016), α in [0, 1): the TD target becomes
   * y − α·(max_b Q_target(s, b) − Q_target(s, a)), which leaves the greedy action's value alone and pushes the
   * others down, widening the action gap so that small estimation errors do not flip the greedy policy.
   */
  advantageLearning: number;
  /**
   * Munchausen DQN (Vieillard et al., 2020), α in [0, 1]: the target adds α·clip(τ ln π(a|s), l0, 0) to the
   * return, π = softmax(Q_target(s, ·)/τ), and bootstraps from the soft value of s' in place of the max:
   * Σ_b π'(b)·(Q_target(s', b) − τ ln π'(b)) with π' the softmax of the online network's Q(s', ·)/τ under
   * double DQN (its argmax as τ → 0), else of the target network's (then τ ln Σ_b exp(Q_target(s', b)/τ), the
   * paper's form). The log-policy term penalises actions the target network rates below its best, as
   * advantage learning does, but clipped at l0, so the values of actions never taken cannot be pushed down
   * without bound. With n-step returns the term is added for the first action only (the buffer does not keep
   * the intermediate states).
   */
  munchausen: number;
  /** Munchausen: the softmax temperature τ (in units of Q). */
  munchausenTau: number;
  /** Munchausen: the clip l0 < 0 of the scaled log-policy. */
  munchausenClip: number;
  maxGradNorm: number;
  epsStart: number;
  epsEnd: number;
  /** Env steps over which ε decays linearly from epsStart to epsEnd. */
  epsDecaySteps: number;
  /** εz-greedy: exploratory actions are repeated for n ~ zeta(μ) steps; this is μ (0 = plain ε-greedy). */
  epsRepeatMu: number;
  /**
   * Greedy actions (evaluation, the saved best and final policies, export) come from a Polyak average of the
   * online network, θ̄ ← τθ + (1 − τ)θ̄ after the n-th gradient step with τ = max(greedyTau, 9 / (10 + n)):
   * early on it follows the online network closely, later it averages over roughly the last n/9 gradient steps
   * (the warm-up of TensorFlow's ExponentialMovingAverage), until τ reaches greedyTau. 1 = the online network
   * itself. Exploration and the TD targets never use it: it changes what is evaluated, not how the agent trains.
   */
  greedyTau: number;
}

/** Every DQN hyperparameter: type, valid values, default, meaning (printed by `npm run hyperparams -- dqn`). */
export const DQN_HYPERPARAMS: HyperparamSchema<DqnConfig> = {
  params: {
    hidden: intList([64, 64], 'Hidden layer sizes of the Q-network ([] = linear)'),
    activation: choice<DqnConfig['activation']>('relu', ['relu', 'tanh'], 'Hidden-layer activation'),
    ...TORSO_HYPERPARAMS,
    lr: num(1e-3, 'Adam learning rate', { min: 0, minExclusive: true }),
    adamEps: num(1e-8, "Adam's ε (larger values damp the steps of small, noisy gradients)", { min: 0, minExclusive: true }),
    annealLr: bool(false, 'Anneal the learning rate linearly to 0 over totalSteps (late updates cannot undo a solution)'),
    ...offPolicyParams({ gamma: 0.99, bufferSize: 50_000, batchSize: 64, learningStarts: 1_000, trainFreq: 1, gradientSteps: 1, tau: 1, nStep: 1, checkpointBuffer: true, scaleObs: false, totalSteps: 100_000 }),
    targetUpdateInterval: int(250, 'Gradient steps between target-network updates', { min: 1 }),
    doubleDqn: bool(true, 'Double DQN targets (online argmax, target value)'),
    dueling: bool(false, 'Dueling head: Q = V + A − mean(A)'),
    loss: choice<DqnConfig['loss']>('huber', ['huber', 'mse'], 'TD loss'),
    advantageLearning: num(0, 'Advantage learning α: the TD target drops α·(max_b Q_target(s,b) − Q_target(s,a)), widening the action gap (0 = off; 0.9 in Bellemare et al. 2016)', { min: 0, max: 1, maxExclusive: true }),
    munchausen: num(0, 'Munchausen DQN α: the target adds α·clip(τ ln π(a|s), munchausenClip, 0) and bootstraps from the soft value of s′ (under the online network\'s softmax policy with doubleDqn, else τ ln Σ exp(Q_target(s′,·)/τ) as in Vieillard et al. 2020) instead of the max (0 = off; 0.9 in the paper)', { min: 0, max: 1 }),
    munchausenTau: num(0.03, 'Munchausen: softmax temperature τ of π = softmax(Q_target/τ), in units of Q', { min: 0, minExclusive: true }),
    munchausenClip: num(-1, 'Munchausen: lower clip l0 of τ ln π(a|s)', { max: 0, maxExclusive: true }),
    maxGradNorm: num(10, 'Clip the global gradient norm to this', { min: 0, minExclusive: true }),
    epsStart: num(1, 'Exploration ε at step 0', { min: 0, max: 1 }),
    epsEnd: num(0.05, 'Exploration ε after epsDecaySteps', { min: 0, max: 1 }),
    epsDecaySteps: int(10_000, 'Env steps over which ε decays linearly', { min: 0 }),
    epsRepeatMu: num(0, 'Temporally extended ε-greedy (εz-greedy): an exploratory action is repeated for n ~ zeta(μ) steps; this is μ (0 = off, plain ε-greedy; 2 is the usual choice)', { min: 0 }),
    prioritized: bool(false, 'Prioritised replay (proportional)'),
    perAlpha: num(0.6, 'Prioritised replay: priority exponent α', { min: 0, max: 1 }),
    perBeta0: num(0.4, 'Prioritised replay: initial importance-weight exponent β (anneals to 1)', { min: 0, max: 1 }),
    greedyTau: num(1, 'Greedy actions (evaluation, best/final policy, export) use a Polyak average of the online network, θ̄ ← τθ + (1 − τ)θ̄ after the n-th gradient step with τ = max(greedyTau, 9/(10 + n)) (1 = the online network itself; exploration and TD targets never use it)', { min: 0, max: 1, minExclusive: true }),
  },
  check: (c) => {
    // Advantage learning is Munchausen's τ → 0 limit without the clip: one or the other.
    if (c.munchausen > 0 && c.advantageLearning > 0) return `munchausen=${c.munchausen} and advantageLearning=${c.advantageLearning} both reshape the TD target; set one of them to 0`;
    return checkOffPolicy(c);
  },
};

const DEFAULTS: DqnConfig = defaultsOf(DQN_HYPERPARAMS);

export class DqnAgent extends OffPolicyAgent<DqnConfig> {
  static readonly defaults: DqnConfig = DEFAULTS;
  readonly numActions: number;
  readonly online: Network;
  readonly target: Network;
  /** greedyTau < 1: the Polyak average of the online network that acts greedily (its tf variables upload lazily). */
  readonly averaged: Network | null;
  private averagedStale = false;
  private readonly optimizer: Adam;
  private readonly update: DqnUpdate;
  private actionBuf: Int32Array;
  /** εz-greedy, per env: the exploratory action being repeated and how many more steps it lasts (0 = none). */
  private repeatAction: Int32Array;
  private repeatLeft: Int32Array;
  /** εz-greedy: the cumulative distribution of the repeat length n = 1…REPEAT_MAX under zeta(μ). */
  private readonly repeatCdf?: Float64Array;

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    const config = validateHyperparams('dqn', DQN_HYPERPARAMS, hp, { numEnvs: info.numEnvs });
    if (info.actionSpace.type !== 'Discrete') throw new TsgymError(`dqn needs a Discrete action space, got ${info.actionSpace}`);
    super('dqn', info, config, seed);
    const c = this.config;
    this.numActions = info.actionSpace.n;
    // Dueling: the last layer emits [V, A_1..A_k] from the shared trunk; Q = V + A − mean(A) (see qValues).
    const outSize = c.dueling ? this.numActions + 1 : this.numActions;
    const initRng = this.initRng();
    // An MLP on flat observations, or a conv torso before the hidden layers on images (agents/conv.ts).
    const torso = resolveTorso('dqn', info.observationSpace, c);
    this.online = buildNetwork(torso, this.obsSize, [...c.hidden, outSize], initRng, { activation: c.activation, init: 'glorot' });
    this.target = buildNetwork(torso, this.obsSize, [...c.hidden, outSize], initRng, { activation: c.activation, init: 'glorot' });
    this.target.copyFrom(this.online);
    this.averaged = c.greedyTau < 1 ? buildNetwork(torso, this.obsSize, [...c.hidden, outSize], initRng, { activation: c.activation, init: 'glorot' }) : null;
    this.averaged?.copyFrom(this.online);
    this.optimizer = new Adam([this.online], { lr: c.lr, eps: c.adamEps, maxGradNorm: c.maxGradNorm });
    this.update = new DqnUpdate(this.online, this.target, { numActions: this.numActions, dueling: c.dueling, doubleDqn: c.doubleDqn, loss: c.loss, advantageLearning: c.advantageLearning, munchausen: c.munchausen > 0 ? { alpha: c.munchausen, tau: c.munchausenTau, clip: c.munchausenClip } : null });
    this.actionBuf = new Int32Array(info.numEnvs);
    this.repeatAction = new Int32Array(info.numEnvs);
    this.repeatLeft = new Int32Array(info.numEnvs);
    if (c.epsRepeatMu > 0) this.repeatCdf = zetaCdf(c.epsRepeatMu, REPEAT_MAX);
  }

  /** ε at the current env step: linear from epsStart to epsEnd over epsDecaySteps. */
  epsilon(): number {
    const c = this.config;
    const frac = Math.min(1, this.envSteps / Math.max(1, c.epsDecaySteps));
    return c.epsStart + frac * (c.epsEnd - c.epsStart);
  }

  /** Q-values for a batch as a tensor (dueling combination included); call inside tf.tidy. */
  private qValues(net: Network, x: tf.Tensor2D): tf.Tensor2D {
    const out = net.apply(x);
    if (!this.config.dueling) return out;
    const [v, a] = tf.split(out, [1, this.numActions], 1);
    return tf.add(v, tf.sub(a, tf.mean(a, 1, true))) as tf.Tensor2D;
  }

  private predictQ(net: Network, obs: Float32Array, n: number): Float32Array {
    // Without a dueling head Q is the network's output: `predict` (direct kernel calls on wasm).
    if (!this.config.dueling) return net.predict(obs, n);
    return downloadAndDispose(tf.tidy(() => this.qValues(net, tf.tensor2d(obs, [n, this.obsSize]))));
  }

  act(rawObs: Float32Array, n: number, opts: ActOptions): ActResult {
    const obs = this.networkInput(rawObs, n);
    if (this.actionBuf.length < n) this.actionBuf = new Int32Array(n);
    const actions = this.actionBuf.subarray(0, n);
    if (opts.greedy) {
      // Evaluation: the argmax, and no draws from the exploration stream, so how often a run evaluates
      // does not change its training trajectory.
      const q = this.predictQ(this.greedyNetwork, obs, n);
      for (let i = 0; i < n; i++) actions[i] = argmaxRow(q, i, this.numActions);
      return { actions: Int32Array.from(actions), qValues: q };
    }
    // εz-greedy continues a running exploratory action.
    const repeating = this.repeatCdf !== undefined;
    // Draw the exploration coins first (two draws per env, always; with εz-greedy a third for the length
    // of a new repeat), so the stream does not depend on Q.
    const eps = this.epsilon();
    let anyGreedy = false;
    for (let i = 0; i < n; i++) {
      const explore = this.exploreRng.random() < eps;
      const randomAction = this.exploreRng.int(this.numActions);
      actions[i] = explore ? randomAction : -1;
      if (repeating) {
        const length = sampleIndex(this.repeatCdf!, this.exploreRng.random()) + 1;
        if (this.repeatLeft[i] > 0) {
          actions[i] = this.repeatAction[i];
        } else if (explore) {
          this.repeatAction[i] = randomAction;
          this.repeatLeft[i] = length;
        }
        if (this.repeatLeft[i] > 0) this.repeatLeft[i]--;
      }
      if (actions[i] === -1) anyGreedy = true;
    }
    let q: Float32Array | undefined;
    if (anyGreedy) {
      q = this.predictQ(this.online, obs, n);
      for (let i = 0; i < n; i++) if (actions[i] === -1) actions[i] = argmaxRow(q, i, this.numActions);
    }
    return { actions: Int32Array.from(actions), qValues: q };
  }

  /** Before each training call: the learning-rate schedule (annealLr), evaluated at this env step. */
  protected override beforeTraining(step: number): void {
    const c = this.config;
    if (c.annealLr) this.optimizer.lr = c.lr * Math.max(0, 1 - step / c.totalSteps);
  }

  /** One gradient step on a replay minibatch (the base samples it, counts the step and updates the target). */
  protected trainStep(s: ReplaySample): { loss: number; meanQ: number; gradNorm: number } {
    // TD targets, loss gradient and TD errors from one forward graph, a loop in JS and one backward graph
    // (agents/dqn-update.ts, which computes the same targets as `tdTargets` below); the Adam step runs in JS.
    const { grad, td, loss, meanQ } = this.update.compute(s);
    const gradNorm = this.optimizer.step(grad);
    if (this.config.prioritized) this.buffer.updatePriorities(s.indices, td);
    if (this.averaged) this.averageOnline();
    return { loss, meanQ, gradNorm };
  }

  /**
   * θ̄ ← τθ + (1 − τ)θ̄ on the flat parameter vectors, τ = max(greedyTau, 9 / (10 + n)) at the n-th gradient
   * step (the base counts it after trainStep returns); the tf variables upload only when the greedy network
   * next acts (one upload per evaluation rather than one per gradient step).
   */
  private averageOnline(): void {
    const tau = Math.max(this.config.greedyTau, 9 / (10 + this.gradientStepsDone + 1));
    const avg = this.averaged!.params;
    const p = this.online.params;
    for (let i = 0; i < avg.length; i++) avg[i] += tau * (p[i] - avg[i]);
    this.averagedStale = true;
  }

  /** The network greedy actions come from: the Polyak average (greedyTau < 1) or the online network. */
  get greedyNetwork(): Network {
    if (!this.averaged) return this.online;
    if (this.averagedStale) {
      this.averaged.syncVariables();
      this.averagedStale = false;
    }
    return this.averaged;
  }

  // The target network moves every targetUpdateInterval gradient steps (the base's default rhythm).
  protected targetPairs(): [Network, Network][] {
    return [[this.target, this.online]];
  }

  protected paramSets(): [string, ParamSet][] {
    const sets: [string, ParamSet][] = [
      ['online', this.online],
      ['target', this.target],
    ];
    if (this.averaged) sets.push(['averaged', this.averaged]);
    return sets;
  }

  protected optimizers(): [string, Adam][] {
    return [['optimizer', this.optimizer]];
  }

  protected override extraState(): Record<string, unknown> {
    return this.repeatCdf ? { repeatAction: Array.from(this.repeatAction), repeatLeft: Array.from(this.repeatLeft) } : {};
  }

  protected override setExtraState(json: Record<string, unknown>): void {
    if (!this.repeatCdf) return;
    const action = json.repeatAction as number[] | undefined;
    const left = json.repeatLeft as number[] | undefined;
    if (!action || !left || action.length !== this.info.numEnvs || left.length !== this.info.numEnvs) {
      throw new TsgymError(`dqn: the checkpoint has no εz-greedy state for ${this.info.numEnvs} envs (was it saved with epsRepeatMu = 0?)`);
    }
    this.repeatAction.set(action);
    this.repeatLeft.set(left);
  }

  protected override updateInfo(): Record<string, number> {
    return { epsilon: this.epsilon(), lr: this.optimizer.lr };
  }

  override progressInfo(): Record<string, number> {
    return { eps: this.epsilon() };
  }

  /**
   * TD targets for a replay sample, computed in JS from two forward passes on the next observations:
   *   y = R + γ^m · (1 − terminated) · Q_target(s', argmax_a Q_online(s', a))   (double DQN; plain DQN: max_a Q_target)
   * `terminated` alone gates the bootstrap (bootstrapMask): truncated transitions still bootstrap.
   * With advantage learning (α > 0), minus α·(max_b Q_target(s, b) − Q_target(s, a)).
   * Munchausen (α > 0): y = R + α·clip(τ ln π(a|s), l0, 0) + γ^m · (1 − terminated) · Σ_b π'(b)·(Q_target(s', b) −
   * τ ln π'(b)) with π = softmax(Q_target(s, ·)/τ) and π' = softmax(Q_online(s', ·)/τ) (double DQN) or
   * softmax(Q_target(s', ·)/τ).
   */
  tdTargets(s: ReplaySample): Float32Array {
    const B = s.size;
    const A = this.numActions;
    const c = this.config;
    const alpha = c.advantageLearning;
    const qNextTarget = this.predictQ(this.target, s.nextObs, B);
    const qNextOnline = c.doubleDqn ? this.predictQ(this.online, s.nextObs, B) : qNextTarget;
    const qTarget = alpha > 0 || c.munchausen > 0 ? this.predictQ(this.target, s.obs, B) : null;
    const tau = c.munchausenTau;
    // τ ln π(·) of row i under π = softmax(q/τ) (shifted by the row's max so that exp cannot overflow).
    const tauLogPolicy = (q: Float32Array, i: number) => {
      const row = Array.from(q.subarray(i * A, (i + 1) * A));
      const max = Math.max(...row);
      const logSum = Math.log(row.reduce((sum, v) => sum + Math.exp((v - max) / tau), 0));
      return row.map((v) => v - max - tau * logSum);
    };
    const y = new Float32Array(B);
    for (let i = 0; i < B; i++) {
      if (c.munchausen > 0) {
        const tauLogPi = tauLogPolicy(qTarget!, i)[s.actions[i]];
        // The soft value of s': Σ_b π(b)·(Q_target(s', b) − τ ln π(b)), π from the online network (double DQN)
        // or the target network (then it equals τ ln Σ_b exp(Q_target(s', b)/τ)).
        const next = tauLogPolicy(qNextOnline, i);
        const vNext = next.reduce((v, l, b) => v + Math.exp(l / tau) * (qNextTarget[i * A + b] - l), 0);
        y[i] = s.returns[i] + c.munchausen * Math.max(c.munchausenClip, tauLogPi) + bootstrapMask(s, i) * s.discounts[i] * vNext;
        continue;
      }
      const aStar = argmaxRow(qNextOnline, i, A);
      y[i] = s.returns[i] + bootstrapMask(s, i) * s.discounts[i] * qNextTarget[i * A + aStar];
      if (alpha > 0) y[i] -= alpha * (qTarget![i * A + argmaxRow(qTarget!, i, A)] - qTarget![i * A + s.actions[i]]);
    }
    return y;
  }

  /**
   * Q-values of `n` network inputs under the online, target or greedy network, flat `n × numActions`. Inputs
   * are as the replay buffer stores them: with scaleObs, already scaled (`act` scales raw observations itself).
   */
  qValuesOf(obs: Float32Array, n: number, network: 'online' | 'target' | 'greedy' = 'online'): Float32Array {
    return this.predictQ(network === 'online' ? this.online : network === 'target' ? this.target : this.greedyNetwork, obs, n);
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
    this.averaged?.dispose();
    this.update.dispose();
  }
}

export const dqnRegistration: AgentRegistration<DqnConfig> = {
  name: 'dqn',
  description: 'Deep Q-Network (double DQN, target network, optional dueling head, prioritized replay, n-step returns)',
  hyperparams: DQN_HYPERPARAMS,
  actionSpaces: ['Discrete'],
  smallConfig: { hidden: [16], learningStarts: 100, batchSize: 32, bufferSize: 1_000, trainFreq: 4, gradientSteps: 1, targetUpdateInterval: 20, epsDecaySteps: 300 },
  create: (info, hp, seed) => new DqnAgent(info, hp, seed),
};

/** εz-greedy's longest repeat; zeta(2) puts about 1e-4 of its mass beyond it. */
const REPEAT_MAX = 10_000;

/** Cumulative P(n ≤ k), k = 1…max, of the zeta distribution P(n) ∝ n^−μ truncated at max. */
function zetaCdf(mu: number, max: number): Float64Array {
  const cdf = new Float64Array(max);
  let sum = 0;
  for (let k = 1; k <= max; k++) cdf[k - 1] = sum += k ** -mu;
  for (let k = 0; k < max; k++) cdf[k] /= sum;
  return cdf;
}

/** The first index whose cumulative probability exceeds u (inverse-CDF sampling, binary search). */
function sampleIndex(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function argmaxRow(q: Float32Array, row: number, n: number): number {
  let best = 0;
  let bestV = q[row * n];
  for (let a = 1; a < n; a++) {
    const v = q[row * n + a];
    if (v > bestV) {
      bestV = v;
      best = a;
    }
  }
  return best;
}
