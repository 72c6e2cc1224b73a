/**
 * What DQN, SAC and TD3 share: the replay buffer (n-step returns, optional prioritisation), the collection
 * rhythm, target networks, the seeded random streams, and the checkpoint state. Each algorithm file
 * (dqn.ts, sac.ts, td3.ts) writes `act` and `trainStep` — one gradient step on a sampled minibatch — and
 * names its networks and optimisers; everything else happens here.
 *
 * ## The collection rhythm (`observe`)
 * The harness calls `act` and then `observe` once per vector-env step. `observe` stores the batch and, once
 * `learningStarts` env steps are in the buffer, every `trainFreq` vector steps runs `gradientSteps` gradient
 * steps. Each gradient step samples a minibatch, calls the algorithm's `trainStep`, counts it, and — when
 * `targetUpdateDue()` — moves every target network towards its online network: a hard copy (τ = 1) or
 * Polyak averaging θ' ← τθ + (1 − τ)θ' (τ < 1). Before `learningStarts`, SAC and TD3 act uniformly at
 * random inside the action box (`warmUpActions`).
 *
 * ## Random streams
 * `init` (network weights, in the algorithm's constructor), `explore` (act: ε coins, warm-up actions,
 * exploration noise) and `sample` (replay sampling and any noise drawn inside a gradient step), each derived
 * from (seed, agent name, stream), so acting never shifts the training draws and vice versa.
 *
 * ## Checkpoints
 * `getState` stores the counters, both streams, every named network (`<name>.params` blobs), every named
 * optimiser (JSON under its name), the algorithm's extra JSON, and the replay buffer (with
 * `checkpointBuffer`), so a resumed run continues exactly as an uninterrupted one.
 */
import type { Adam, AdamState, ParamSet } from './adam.js';
import type { Network } from './conv.js';
import { ReplayBuffer, type ReplayBufferJSON, type ReplaySample } from './replay-buffer.js';
import { blobToFloats, floatsToBlob } from './state-blobs.js';
import type { ActOptions, ActResult, Agent, AgentInfo, AgentState, TransitionBatch, UpdateMetrics } from './agent.js';
import { Rng, type RngState } from '../core/rng.js';
import { streamSeed } from '../core/seeds.js';
import { flatDim, type Box } from '../envs/spaces.js';
import { TsgymError } from '../core/errors.js';
import { allFinite } from '../core/math.js';
import { bool, int, num, type HyperparamSchema } from './hyperparams.js';

/** Hyperparameters every off-policy agent has. */
export interface OffPolicyConfig {
  gamma: number;
  bufferSize: number;
  batchSize: number;
  /** Env steps collected before the first gradient step. */
  learningStarts: number;
  /** Vector-env steps between training calls. */
  trainFreq: number;
  /** Gradient steps per training call. */
  gradientSteps: number;
  /** 1 = hard copy; < 1 = Polyak θ' ← τθ + (1−τ)θ' at each target update. */
  tau: number;
  /** n-step returns (1 = one-step TD). */
  nStep: number;
  /** Store the replay buffer in checkpoints (exact resume; large for big buffers). */
  checkpointBuffer: boolean;
  /** Rescale observations from the observation space's bounds to [−1, 1] before the networks and the buffer. */
  scaleObs: boolean;
  /** The run's total env steps (the harness sets it): schedules run over it. */
  totalSteps: number;
}

/** Optional replay features: prioritised replay (DQN offers it). */
export interface PrioritizedReplayConfig {
  prioritized: boolean;
  perAlpha: number;
  perBeta0: number;
}

/** Optional target-update rhythm (DQN, SAC): the target networks move every this many gradient steps. */
export interface TargetUpdateIntervalConfig {
  targetUpdateInterval: number;
}

/**
 * What the base reads of an algorithm's config: the shared keys, and the optional features when the
 * algorithm has them (absent: no prioritisation, targets move after every gradient step).
 */
export type OffPolicyBaseConfig = OffPolicyConfig & Partial<PrioritizedReplayConfig> & Partial<TargetUpdateIntervalConfig>;

/**
 * The schema entries of the shared hyperparameters, with an algorithm's defaults (each agent file spreads
 * them into its own schema, so `npm run hyperparams -- <agent>` lists them with the rest).
 */
export function offPolicyParams(d: OffPolicyConfig): HyperparamSchema<OffPolicyConfig>['params'] {
  return {
    gamma: num(d.gamma, 'Discount factor', { min: 0, max: 1 }),
    bufferSize: int(d.bufferSize, 'Replay buffer capacity (transitions; allocated up front)', { min: 1, max: 10_000_000 }),
    batchSize: int(d.batchSize, 'Transitions per gradient step', { min: 1 }),
    learningStarts: int(d.learningStarts, 'Env steps collected (exploring) before the first gradient step', { min: 0 }),
    trainFreq: int(d.trainFreq, 'Vector-env steps between training calls', { min: 1 }),
    gradientSteps: int(d.gradientSteps, 'Gradient steps per training call', { min: 1 }),
    tau: num(d.tau, 'Target update: 1 = hard copy, < 1 = Polyak averaging with this weight', { min: 0, max: 1, minExclusive: true }),
    nStep: int(d.nStep, 'n-step returns (1 = one-step TD)', { min: 1 }),
    checkpointBuffer: bool(d.checkpointBuffer, 'Store the replay buffer in checkpoints (exact resume; large for big buffers)'),
    scaleObs: bool(d.scaleObs, "Rescale observations linearly from the observation space's bounds to [-1, 1] (needs finite bounds)"),
    totalSteps: int(d.totalSteps, "The run's total env steps (set by the harness; schedules run over it)", { min: 1, setBy: '--steps' }),
  };
}

/** The cross-key check every off-policy schema shares. */
export function checkOffPolicy(c: OffPolicyConfig): string | undefined {
  // A batch larger than the buffer can never be sampled: training would silently never start.
  if (c.batchSize > c.bufferSize) return `batchSize=${c.batchSize} must be <= bufferSize=${c.bufferSize} (a minibatch is drawn from the buffer)`;
  return undefined;
}

export abstract class OffPolicyAgent<C extends OffPolicyBaseConfig> implements Agent {
  readonly name: string;
  readonly config: C;
  readonly obsSize: number;
  readonly buffer: ReplayBuffer;
  /** Acting: ε coins, warm-up actions, exploration noise. */
  protected exploreRng: Rng;
  /** Training: replay sampling and the noise drawn inside gradient steps. */
  protected sampleRng: Rng;
  /** Total env steps (the harness's count after the latest `observe`). */
  protected envSteps = 0;
  protected vectorSteps = 0;
  /** Gradient steps taken so far (`config.gradientSteps` is how many each training call takes). */
  protected gradientStepsDone = 0;
  /** scaleObs: x ↦ (x − mid) · invHalfRange per dimension (undefined: observations pass through). */
  readonly obsScaling?: { mid: Float32Array; invHalfRange: Float32Array };

  constructor(name: string, readonly info: AgentInfo, config: C, readonly seed: number) {
    this.name = name;
    this.config = config;
    if (info.observationSpace.type !== 'Box') throw new TsgymError(`${name} needs a Box observation space, got ${String(info.observationSpace)}`);
    if (!Number.isInteger(info.numEnvs) || info.numEnvs <= 0) throw new TsgymError(`${name}: numEnvs must be a positive integer, got ${info.numEnvs}`);
    this.obsSize = flatDim(info.observationSpace);
    const box = info.actionSpace.type === 'Box';
    this.buffer = new ReplayBuffer({
      capacity: config.bufferSize,
      // Rows for the run's budget (whole vector steps): a 1M-transition buffer costs what the run fills.
      expectedSize: Math.ceil(config.totalSteps / info.numEnvs) * info.numEnvs,
      obsSize: this.obsSize,
      actionKind: box ? 'box' : 'discrete',
      actionSize: box ? (info.actionSpace as Box).size : 1,
      numEnvs: info.numEnvs,
      gamma: config.gamma,
      nStep: config.nStep,
      prioritized: config.prioritized ?? false,
      alpha: config.perAlpha,
    });
    this.exploreRng = new Rng(streamSeed(seed, `${name}.explore`));
    this.sampleRng = new Rng(streamSeed(seed, `${name}.sample`));
    if (config.scaleObs) this.obsScaling = boundsScaling(name, info.observationSpace as Box);
  }

  /**
   * What the networks see of a batch of observations: the observations themselves, or with scaleObs their
   * fixed rescaling to [−1, 1]. A fixed map (not running statistics) keeps every stored transition valid.
   * Each algorithm's `act` calls it; `observe` stores scaled observations, so sampled batches are scaled.
   */
  networkInput(obs: Float32Array, n: number): Float32Array {
    const t = this.obsScaling;
    if (!t) return obs;
    const d = this.obsSize;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n * d; i++) out[i] = (obs[i] - t.mid[i % d]) * t.invHalfRange[i % d];
    return out;
  }

  /** The seed of the weight-initialisation stream (for the algorithm's constructor). */
  protected initRng(): Rng {
    return new Rng(streamSeed(this.seed, `${this.name}.init`));
  }

  abstract act(obs: Float32Array, n: number, opts: ActOptions): ActResult;

  /** One gradient step on a replay minibatch; returns scalars to average into the update metrics. */
  protected abstract trainStep(s: ReplaySample): Record<string, number>;

  /** [target, online] pairs the target update moves (after `trainStep`, when `targetUpdateDue`). */
  protected abstract targetPairs(): [Network, Network][];

  /** Every parameter set to checkpoint, by name (online and target networks, learned scalars). */
  protected abstract paramSets(): [string, ParamSet][];

  /** Every optimiser to checkpoint, by name. */
  protected abstract optimizers(): [string, Adam][];

  /** Whether the target networks move after the gradient step just counted (default: every step). */
  protected targetUpdateDue(): boolean {
    return this.gradientStepsDone % (this.config.targetUpdateInterval ?? 1) === 0;
  }

  /** Called once per training call, before its gradient steps (schedules such as a learning-rate decay). */
  protected beforeTraining(_step: number): void {}

  /** Schedule values added to every update's metrics (e.g. DQN's ε). */
  protected updateInfo(): Record<string, number> {
    return {};
  }

  /** Importance-sampling exponent β for prioritised replay: β0 annealed linearly to 1 over totalSteps. */
  protected perBeta(): number {
    const beta0 = this.config.perBeta0 ?? 0.4;
    return beta0 + Math.min(1, this.envSteps / this.config.totalSteps) * (1 - beta0);
  }

  observe(batch: TransitionBatch, step: number): UpdateMetrics | null {
    if (batch.n !== this.info.numEnvs) throw new TsgymError(`${this.name}.observe: built for ${this.info.numEnvs} envs, got a batch of ${batch.n}`);
    this.buffer.add(this.obsScaling ? { ...batch, obs: this.networkInput(batch.obs, batch.n), nextObs: this.networkInput(batch.nextObs, batch.n) } : batch);
    this.envSteps = step;
    this.vectorSteps++;
    const c = this.config;
    if (step < c.learningStarts || this.buffer.size < c.batchSize || this.vectorSteps % c.trainFreq !== 0) return null;
    this.beforeTraining(step);
    // Each metric is averaged over the gradient steps that reported it (TD3's actor loss: every d-th step).
    const sums: Record<string, number> = {};
    const counts: Record<string, number> = {};
    for (let g = 0; g < c.gradientSteps; g++) {
      const s = this.buffer.sample(c.batchSize, this.sampleRng, this.perBeta());
      const m = this.trainStep(s);
      for (const k in m) {
        sums[k] = (sums[k] ?? 0) + m[k];
        counts[k] = (counts[k] ?? 0) + 1;
      }
      this.gradientStepsDone++;
      // Target networks: copy (τ = 1) or move towards (τ < 1) the online weights when due.
      if (this.targetUpdateDue()) {
        for (const [target, online] of this.targetPairs()) {
          if (c.tau >= 1) target.copyFrom(online);
          else target.polyakFrom(online, c.tau);
        }
      }
    }
    const out: UpdateMetrics = {};
    for (const k in sums) out[k] = sums[k] / counts[k];
    return { ...out, ...this.updateInfo(), gradientSteps: this.gradientStepsDone };
  }

  /**
   * The warm-up before `learningStarts` (SAC, TD3; as SB3 and CleanRL do): uniform random actions inside the
   * Box from the exploration stream, a wide first sample of the state space. Undefined when acting greedily
   * or once learning has started.
   */
  protected warmUpActions(n: number, opts: ActOptions): ActResult | undefined {
    if (opts.greedy || this.envSteps >= this.config.learningStarts) return undefined;
    const space = this.info.actionSpace as Box;
    const k = space.size;
    const actions = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) actions[i * k + j] = this.exploreRng.uniform(space.low[j], space.high[j]);
    return { actions };
  }

  weightsFinite(): boolean {
    return this.paramSets().every(([, p]) => allFinite(p.params));
  }

  progressInfo(): Record<string, number> {
    return this.updateInfo();
  }

  /** Extra JSON state of an algorithm (beyond counters, streams, networks, optimisers and buffer). */
  protected extraState(): Record<string, unknown> {
    return {};
  }
  protected setExtraState(_json: Record<string, unknown>): void {}

  getState(opts: { replay?: boolean } = {}): AgentState {
    const json: Record<string, unknown> = {
      envSteps: this.envSteps,
      vectorSteps: this.vectorSteps,
      // The checkpoint key stays `gradientSteps`, so existing run directories resume bit-exactly.
      gradientSteps: this.gradientStepsDone,
      exploreRng: this.exploreRng.state(),
      sampleRng: this.sampleRng.state(),
    };
    for (const [name, opt] of this.optimizers()) json[name] = opt.getState();
    const extra = this.extraState();
    if (Object.keys(extra).length) json.extra = extra;
    const blobs: Record<string, Uint8Array> = {};
    for (const [name, p] of this.paramSets()) blobs[`${name}.params`] = floatsToBlob(p.params);
    if (this.config.checkpointBuffer && opts.replay !== false) {
      const b = this.buffer.getState();
      json.buffer = b.json;
      Object.assign(blobs, b.blobs);
    }
    return { json, blobs };
  }

  setState(state: AgentState): void {
    const j = state.json;
    for (const [name, p] of this.paramSets()) {
      const values = blobToFloats(state.blobs[`${name}.params`], `${name}.params`);
      if (values.length !== p.params.length) throw new TsgymError(`${this.name}: checkpoint '${name}.params' has ${values.length} values, this network has ${p.params.length} (different hyperparameters?)`);
      p.params.set(values);
      p.syncVariables();
    }
    for (const [name, opt] of this.optimizers()) opt.setState(j[name] as AdamState);
    this.exploreRng = Rng.fromState(j.exploreRng as RngState);
    this.sampleRng = Rng.fromState(j.sampleRng as RngState);
    this.envSteps = j.envSteps as number;
    this.vectorSteps = j.vectorSteps as number;
    this.gradientStepsDone = j.gradientSteps as number;
    if (j.buffer) this.buffer.setState(j.buffer as ReplayBufferJSON, state.blobs);
    this.setExtraState((j.extra as Record<string, unknown>) ?? {});
  }

  abstract dispose(): void;
}

/** scaleObs's per-dimension map from a Box's bounds; refuses unbounded dimensions (nothing to scale by). */
function boundsScaling(name: string, space: Box): { mid: Float32Array; invHalfRange: Float32Array } {
  const d = space.size;
  const mid = new Float32Array(d);
  const invHalfRange = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    const lo = space.low[i];
    const hi = space.high[i];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
      throw new TsgymError(`${name}: scaleObs needs finite bounds on every observation dimension, but dimension ${i} is [${lo}, ${hi}]; drop --set scaleObs=true for this env`);
    }
    mid[i] = (lo + hi) / 2;
    invHalfRange[i] = 2 / (hi - lo);
  }
  return { mid, invHalfRange };
}
