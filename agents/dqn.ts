/**
 * DQN (Mnih et al., 2015) with the standard improvements as options: double DQN (van Hasselt et al., 2016;
 * on by default), a dueling head (Wang et al., 2016), prioritised replay and n-step returns (see
 * agents/replay-buffer.ts), Huber loss, Adam with gradient-norm clipping, a linear ε schedule, and a target
 * network updated hard every K gradient steps or by Polyak averaging (τ < 1).
 *
 * The harness calls `act` and then `observe` once per vector-env step; `observe` stores the batch and
 * trains every `trainFreq` vector steps. Read `observe` → `train` top to bottom.
 */
import { tf } from './backend.js';
import { Adam } from './adam.js';
import { Mlp, downloadAndDispose } from './mlp.js';
import { DqnUpdate } from './dqn-update.js';
import { ReplayBuffer, type ReplayBufferJSON, type ReplaySample } from './replay-buffer.js';
import type { ActOptions, ActResult, Agent, AgentInfo, AgentState, TransitionBatch, UpdateMetrics } from './agent.js';
import { Rng, type RngState } from '../core/rng.js';
import { streamSeed } from '../core/seeds.js';
import { flatDim } from '../envs/spaces.js';
import { TsgymError } from '../envs/core.js';
import type { AdamState } from './adam.js';
import { blobToFloats, floatsToBlob } from './state-blobs.js';
import { bool, choice, defaultsOf, int, intList, num, validateHyperparams, type HyperparamSchema } from './hyperparams.js';
import type { AgentRegistration } from './agent.js';

export interface DqnConfig {
  hidden: number[];
  activation: 'relu' | 'tanh';
  lr: number;
  /** Anneal the learning rate linearly to 0 over `totalSteps` (the run's budget): late updates cannot undo a solution. */
  annealLr: boolean;
  gamma: number;
  bufferSize: number;
  batchSize: number;
  /** Env steps of pure exploration before the first update. */
  learningStarts: number;
  /** Vector-env steps between updates. */
  trainFreq: number;
  /** Gradient steps per update. */
  gradientSteps: number;
  /** Gradient steps between target updates. */
  targetUpdateInterval: number;
  /** 1 = hard copy; < 1 = Polyak θ' ← τθ + (1−τ)θ' at each target update. */
  tau: number;
  doubleDqn: boolean;
  dueling: boolean;
  loss: 'huber' | 'mse';
  maxGradNorm: number;
  epsStart: number;
  epsEnd: number;
  /** Env steps over which ε decays linearly from epsStart to epsEnd. */
  epsDecaySteps: number;
  nStep: number;
  prioritized: boolean;
  perAlpha: number;
  perBeta0: number;
  /** The run's total env steps (the harness sets it): β anneals to 1 over it. */
  totalSteps: number;
  /** Store the replay buffer in checkpoints (exact resume; large for big buffers). */
  checkpointBuffer: boolean;
}

/** Every DQN hyperparameter: type, valid values, default, meaning (printed by `npm run hyperparams -- dqn`). */
export const DQN_HYPERPARAMS: HyperparamSchema<DqnConfig> = {
  params: {
    hidden: intList([64, 64], 'Hidden layer sizes of the Q-network ([] = linear)'),
    activation: choice<DqnConfig['activation']>('relu', ['relu', 'tanh'], 'Hidden-layer activation'),
    lr: num(1e-3, 'Adam learning rate', { min: 0, minExclusive: true }),
    annealLr: bool(false, 'Anneal the learning rate linearly to 0 over totalSteps (late updates cannot undo a solution)'),
    gamma: num(0.99, 'Discount factor', { min: 0, max: 1 }),
    bufferSize: int(50_000, 'Replay buffer capacity (transitions)', { min: 1, max: 10_000_000 }),
    batchSize: int(64, 'Transitions per gradient step', { min: 1 }),
    learningStarts: int(1_000, 'Env steps of pure exploration before the first update', { min: 0 }),
    trainFreq: int(1, 'Vector-env steps between updates', { min: 1 }),
    gradientSteps: int(1, 'Gradient steps per update', { min: 1 }),
    targetUpdateInterval: int(250, 'Gradient steps between target-network updates', { min: 1 }),
    tau: num(1, 'Target update: 1 = hard copy, < 1 = Polyak averaging with this weight', { min: 0, max: 1, minExclusive: true }),
    doubleDqn: bool(true, 'Double DQN targets (online argmax, target value)'),
    dueling: bool(false, 'Dueling head: Q = V + A − mean(A)'),
    loss: choice<DqnConfig['loss']>('huber', ['huber', 'mse'], 'TD loss'),
    maxGradNorm: num(10, 'Clip the global gradient norm to this', { min: 0, minExclusive: true }),
    epsStart: num(1, 'Exploration ε at step 0', { min: 0, max: 1 }),
    epsEnd: num(0.05, 'Exploration ε after epsDecaySteps', { min: 0, max: 1 }),
    epsDecaySteps: int(10_000, 'Env steps over which ε decays linearly', { min: 0 }),
    nStep: int(1, 'n-step returns (1 = one-step TD)', { min: 1 }),
    prioritized: bool(false, 'Prioritised replay (proportional)'),
    perAlpha: num(0.6, 'Prioritised replay: priority exponent α', { min: 0, max: 1 }),
    perBeta0: num(0.4, 'Prioritised replay: initial importance-weight exponent β (anneals to 1)', { min: 0, max: 1 }),
    totalSteps: int(100_000, "The run's total env steps (set by the harness; β and the lr anneal over it)", { min: 1, setBy: '--steps' }),
    checkpointBuffer: bool(true, 'Store the replay buffer in checkpoints (exact resume; large for big buffers)'),
  },
  check: (c) => {
    // A batch larger than the buffer can never be sampled: training would silently never start.
    if (c.batchSize > c.bufferSize) return `batchSize=${c.batchSize} must be <= bufferSize=${c.bufferSize} (a minibatch is drawn from the buffer)`;
    return undefined;
  },
};

const DEFAULTS: DqnConfig = defaultsOf(DQN_HYPERPARAMS);

export class DqnAgent implements Agent {
  static readonly defaults: DqnConfig = DEFAULTS;
  readonly name = 'dqn';
  readonly config: DqnConfig;
  readonly numActions: number;
  readonly obsSize: number;
  readonly online: Mlp;
  readonly target: Mlp;
  readonly buffer: ReplayBuffer;
  private readonly optimizer: Adam;
  private readonly update: DqnUpdate;
  /** Exploration draws (act) and replay sampling (train) use separate streams. */
  private exploreRng: Rng;
  private sampleRng: Rng;
  private envSteps = 0;
  private vectorSteps = 0;
  private gradientSteps = 0;
  private actionBuf: Int32Array;

  constructor(readonly info: AgentInfo, hp: Record<string, unknown>, readonly seed: number) {
    this.config = validateHyperparams('dqn', DQN_HYPERPARAMS, hp, { numEnvs: info.numEnvs });
    const c = this.config;
    if (info.actionSpace.type !== 'Discrete') throw new TsgymError(`dqn needs a Discrete action space, got ${info.actionSpace}`);
    if (info.observationSpace.type !== 'Box') throw new TsgymError(`dqn needs a Box observation space, got ${info.observationSpace}`);
    this.numActions = info.actionSpace.n;
    this.obsSize = flatDim(info.observationSpace);
    // Dueling: the last layer emits [V, A_1..A_k] from the shared trunk; Q = V + A − mean(A) (see qValues).
    const outSize = c.dueling ? this.numActions + 1 : this.numActions;
    const initRng = new Rng(streamSeed(seed, 'dqn.init'));
    this.online = new Mlp([this.obsSize, ...c.hidden, outSize], initRng, { activation: c.activation, init: 'glorot' });
    this.target = new Mlp([this.obsSize, ...c.hidden, outSize], initRng, { activation: c.activation, init: 'glorot' });
    this.target.copyFrom(this.online);
    this.optimizer = new Adam([this.online], { lr: c.lr, maxGradNorm: c.maxGradNorm });
    this.update = new DqnUpdate(this.online, this.target, { numActions: this.numActions, dueling: c.dueling, doubleDqn: c.doubleDqn, loss: c.loss });
    this.exploreRng = new Rng(streamSeed(seed, 'dqn.explore'));
    this.sampleRng = new Rng(streamSeed(seed, 'dqn.sample'));
    this.buffer = new ReplayBuffer({ capacity: c.bufferSize, obsSize: this.obsSize, numEnvs: info.numEnvs, gamma: c.gamma, nStep: c.nStep, prioritized: c.prioritized, alpha: c.perAlpha });
    this.actionBuf = new Int32Array(info.numEnvs);
  }

  /** ε at the current env step: linear from epsStart to epsEnd over epsDecaySteps. */
  epsilon(): number {
    const c = this.config;
    const frac = Math.min(1, this.envSteps / Math.max(1, c.epsDecaySteps));
    return c.epsStart + frac * (c.epsEnd - c.epsStart);
  }

  /** Q-values for a batch as a tensor (dueling combination included); call inside tf.tidy. */
  private qValues(net: Mlp, x: tf.Tensor2D): tf.Tensor2D {
    const out = net.apply(x);
    if (!this.config.dueling) return out;
    const [v, a] = tf.split(out, [1, this.numActions], 1);
    return tf.add(v, tf.sub(a, tf.mean(a, 1, true))) as tf.Tensor2D;
  }

  private predictQ(net: Mlp, obs: Float32Array, n: number): Float32Array {
    return downloadAndDispose(tf.tidy(() => this.qValues(net, tf.tensor2d(obs, [n, this.obsSize]))));
  }

  act(obs: Float32Array, n: number, opts: ActOptions): ActResult {
    if (this.actionBuf.length < n) this.actionBuf = new Int32Array(n);
    const actions = this.actionBuf.subarray(0, n);
    const eps = opts.greedy ? 0 : this.epsilon();
    // Draw the exploration coins first (two draws per env, always), so the stream does not depend on Q.
    let anyGreedy = opts.greedy;
    for (let i = 0; i < n; i++) {
      const explore = this.exploreRng.random() < eps;
      const randomAction = this.exploreRng.int(this.numActions);
      actions[i] = explore ? randomAction : -1;
      if (!explore) anyGreedy = true;
    }
    let q: Float32Array | undefined;
    if (anyGreedy) {
      q = this.predictQ(this.online, obs, n);
      for (let i = 0; i < n; i++) if (actions[i] === -1) actions[i] = argmaxRow(q, i, this.numActions);
    }
    return { actions: Int32Array.from(actions), qValues: q };
  }

  observe(batch: TransitionBatch, step: number): UpdateMetrics | null {
    this.buffer.add(batch);
    this.envSteps = step;
    this.vectorSteps++;
    const c = this.config;
    if (step < c.learningStarts || this.buffer.size < c.batchSize || this.vectorSteps % c.trainFreq !== 0) return null;
    if (c.annealLr) this.optimizer.lr = c.lr * Math.max(0, 1 - step / c.totalSteps);
    let loss = 0;
    let q = 0;
    let gradNorm = 0;
    for (let g = 0; g < c.gradientSteps; g++) {
      const m = this.train();
      loss += m.loss;
      q += m.meanQ;
      gradNorm += m.gradNorm;
    }
    const k = c.gradientSteps;
    return { loss: loss / k, meanQ: q / k, gradNorm: gradNorm / k, epsilon: this.epsilon(), lr: this.optimizer.lr, gradientSteps: this.gradientSteps };
  }

  /** One gradient step on a replay minibatch. */
  private train(): { loss: number; meanQ: number; gradNorm: number } {
    const c = this.config;
    const beta = c.perBeta0 + Math.min(1, this.envSteps / c.totalSteps) * (1 - c.perBeta0);
    const s = this.buffer.sample(c.batchSize, this.sampleRng, beta);

    // TD targets, loss gradient and TD errors in one tfjs graph and one download (agents/dqn-update.ts,
    // which computes the same targets as `tdTargets` below); the Adam step runs in JS.
    const { grad, td, loss, meanQ } = this.update.compute(s);
    const gradNorm = this.optimizer.step(grad);
    if (c.prioritized) this.buffer.updatePriorities(s.indices, td);
    this.gradientSteps++;

    // Target network: every K gradient steps, copy (τ = 1) or move towards (τ < 1) the online weights.
    if (this.gradientSteps % c.targetUpdateInterval === 0) {
      if (c.tau >= 1) this.target.copyFrom(this.online);
      else this.target.polyakFrom(this.online, c.tau);
    }
    return { loss, meanQ, gradNorm };
  }

  /**
   * TD targets for a replay sample, computed in JS from two forward passes on the next observations:
   *   y = R + γ^m · (1 − terminated) · Q_target(s', argmax_a Q_online(s', a))   (double DQN; plain DQN: max_a Q_target)
   * `terminated` alone gates the bootstrap: a truncated transition (time limit) still bootstraps from its
   * final observation, which the vector env kept for us before autoresetting.
   */
  tdTargets(s: ReplaySample): Float32Array {
    const B = s.size;
    const A = this.numActions;
    const qNextTarget = this.predictQ(this.target, s.nextObs, B);
    const qNextOnline = this.config.doubleDqn ? this.predictQ(this.online, s.nextObs, B) : qNextTarget;
    const y = new Float32Array(B);
    for (let i = 0; i < B; i++) {
      const aStar = argmaxRow(qNextOnline, i, A);
      const bootstrap = s.terminated[i] ? 0 : s.discounts[i] * qNextTarget[i * A + aStar];
      y[i] = s.returns[i] + bootstrap;
    }
    return y;
  }

  /** Q-values of `n` observations under the online (or target) network, flat `n × numActions`. */
  qValuesOf(obs: Float32Array, n: number, network: 'online' | 'target' = 'online'): Float32Array {
    return this.predictQ(network === 'online' ? this.online : this.target, obs, n);
  }

  weightsFinite(): boolean {
    return this.online.params.every(Number.isFinite);
  }

  progressInfo(): Record<string, number> {
    return { eps: this.epsilon() };
  }

  getState(): AgentState {
    const json: Record<string, unknown> = {
      envSteps: this.envSteps,
      vectorSteps: this.vectorSteps,
      gradientSteps: this.gradientSteps,
      exploreRng: this.exploreRng.state(),
      sampleRng: this.sampleRng.state(),
      optimizer: this.optimizer.getState(),
    };
    const blobs: Record<string, Uint8Array> = { 'online.params': floatsToBlob(this.online.params), 'target.params': floatsToBlob(this.target.params) };
    if (this.config.checkpointBuffer) {
      const b = this.buffer.getState();
      json.buffer = b.json;
      Object.assign(blobs, b.blobs);
    }
    return { json, blobs };
  }

  setState(state: AgentState): void {
    const j = state.json;
    this.online.setParams(blobToFloats(state.blobs['online.params'], 'online.params'));
    this.target.setParams(blobToFloats(state.blobs['target.params'], 'target.params'));
    this.optimizer.setState(j.optimizer as AdamState);
    this.exploreRng = Rng.fromState(j.exploreRng as RngState);
    this.sampleRng = Rng.fromState(j.sampleRng as RngState);
    this.envSteps = j.envSteps as number;
    this.vectorSteps = j.vectorSteps as number;
    this.gradientSteps = j.gradientSteps as number;
    if (j.buffer) this.buffer.setState(j.buffer as ReplayBufferJSON, state.blobs);
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
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
