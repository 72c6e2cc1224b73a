/**
 * What REINFORCE, A2C and PPO share: the actor and critic networks (separate, or one trunk with two
 * heads), the action distribution, observation normalisation, acting, filling the rollout buffer, valuing
 * it, the loss gradient without a gradient tape (`lossGradient`: each algorithm supplies its loss's per-row
 * terms), the optimiser, and the checkpoint state. Each algorithm file (reinforce.ts, a2c.ts, ppo.ts) only
 * writes its `update`, which the base calls from `observe` when the rollout is full.
 *
 * ## The act → observe contract
 * The harness calls `act(obs, n, {greedy: false})`, steps the envs, then `observe(batch)` with the same
 * observations. `act` remembers what it computed for that batch (the normalised observations the policy
 * saw, the unclipped actions, their log-probabilities); `observe` stores that in the rollout buffer with
 * the rewards and episode ends. Values are not computed while acting: the critic values the whole rollout
 * (plus the bootstrap observations) in one batched forward pass when it is full — the parameters do not
 * change during a rollout, so this is the same as valuing each step as it happens, at a fraction of the
 * per-op cost.
 *
 * ## Observation normalisation (`normalizeObs`)
 * Running mean/variance of the raw observations (updated in `observe` with the observations acted on),
 * applied as clip((x − μ)/σ, ±obsClip) in `act` and to the bootstrap observations. The statistics are part
 * of the checkpoint, so a loaded agent evaluates and replays with the normalisation it was trained with.
 * The rollout stores the normalised observations, so every epoch of an update sees exactly what the
 * policy saw when it acted.
 */
import { tf } from './backend.js';
import { Adam, type AdamState, type ParamSet } from './adam.js';
import { KernelScope } from './kernel-scope.js';
import { Mlp, activateKernels, backward, backwardKernels, downloadAndDispose, forwardTrace, forwardTraceKernels, tanh, traceOutput, traceOutputKernels, uploadWeights, type Activation, type KernelTrace } from './mlp.js';
import { TORSO_HYPERPARAMS, buildNetwork, resolveTorso, traceNetwork, type Network, type ResolvedTorso, type TorsoConfig } from './conv.js';
import { distributionFor, type ActionDistribution } from './distributions.js';
import { RolloutBuffer, explainedVariance, normalizeAdvantages } from './rollout-buffer.js';
import { blobToFloats, floatsToBlob } from './state-blobs.js';
import type { ActOptions, ActResult, Agent, AgentInfo, AgentState, TransitionBatch, UpdateMetrics } from './agent.js';
import { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';
import { allFinite, mean } from '../core/math.js';
import { Rng, type RngState } from '../core/rng.js';
import { streamSeed } from '../core/seeds.js';
import { TsgymError } from '../core/errors.js';
import { bool, choice, defaultsOf, int, intList, num, type HyperparamSchema } from './hyperparams.js';

/** Hyperparameters every policy-gradient agent has. */
export interface PgConfig extends TorsoConfig {
  /** Hidden layer sizes (of each network, or of the shared trunk). */
  hidden: number[];
  activation: Activation;
  /** One trunk with a policy head and a value head, instead of separate actor and critic networks. */
  sharedNetwork: boolean;
  lr: number;
  /** Anneal the learning rate linearly to 0 over `totalSteps`. */
  annealLr: boolean;
  /** Adam's ε (1e-5 as in the PPO reference implementations, rather than 1e-8). */
  adamEps: number;
  /** Adam's β1 (momentum); 0 with adamBeta2 0.99 is RMSprop with bias correction, A2C's original optimiser. */
  adamBeta1: number;
  /** Adam's β2 (decay of the squared-gradient average). */
  adamBeta2: number;
  gamma: number;
  /** GAE λ (1 = Monte-Carlo / n-step returns, 0 = one-step TD). */
  gaeLambda: number;
  /** Rollout length per env: an update every numSteps vector-env steps, on numSteps × numEnvs samples. */
  numSteps: number;
  entCoef: number;
  vfCoef: number;
  /** Clip the global gradient norm to this (0 = no clipping). */
  maxGradNorm: number;
  /** Clip each network's gradient norm (actor, critic; trunk and heads when shared) separately instead. */
  clipPerNetwork: boolean;
  normalizeObs: boolean;
  /** Normalised observations are clipped to ±obsClip. */
  obsClip: number;
  normalizeAdvantages: boolean;
  /** Initial log σ of Gaussian policies (Box actions). */
  logStdInit: number;
  /** The run's total env steps (set by the harness from the run config); schedules anneal over it. */
  totalSteps: number;
}

/** The hyperparameters every policy-gradient agent shares; each algorithm sets its own defaults (withDefaults). */
export const PG_HYPERPARAMS: HyperparamSchema<PgConfig> = {
  params: {
    hidden: intList([64, 64], 'Hidden layer sizes (of each network, or of the shared trunk)'),
    activation: choice<Activation>('tanh', ['tanh', 'relu'], 'Hidden-layer activation'),
    ...TORSO_HYPERPARAMS,
    sharedNetwork: bool(false, 'One trunk with a policy head and a value head, instead of separate actor and critic'),
    lr: num(3e-4, 'Adam learning rate', { min: 0, minExclusive: true }),
    annealLr: bool(false, 'Anneal the learning rate linearly to 0 over totalSteps'),
    adamEps: num(1e-5, "Adam's ε", { min: 0, minExclusive: true }),
    adamBeta1: num(0.9, "Adam's β1 (momentum; 0 with adamBeta2 0.99 ≈ RMSprop, the original A2C optimiser)", { min: 0, max: 1, maxExclusive: true }),
    adamBeta2: num(0.999, "Adam's β2 (decay of the squared-gradient average)", { min: 0, max: 1, maxExclusive: true }),
    gamma: num(0.99, 'Discount factor', { min: 0, max: 1 }),
    gaeLambda: num(0.95, 'GAE λ (1 = Monte-Carlo / n-step returns, 0 = one-step TD)', { min: 0, max: 1 }),
    numSteps: int(128, 'Rollout length per env (an update every numSteps vector steps)', { min: 1, max: 1_000_000 }),
    entCoef: num(0, 'Entropy bonus coefficient', { min: 0 }),
    vfCoef: num(0.5, 'Value-loss coefficient', { min: 0 }),
    maxGradNorm: num(0.5, 'Clip the global gradient norm to this (0 = no clipping)', { min: 0 }),
    clipPerNetwork: bool(false, "Clip each network's gradient norm (actor, critic, …) to maxGradNorm separately, so the critic's large gradient does not shrink the policy's step"),
    normalizeObs: bool(false, 'Normalise observations by running mean/std'),
    obsClip: num(10, 'Normalised observations are clipped to ±obsClip', { min: 0, minExclusive: true }),
    normalizeAdvantages: bool(true, 'Normalise advantages (per minibatch / batch)'),
    logStdInit: num(0, 'Initial log σ of Gaussian policies (Box actions)'),
    totalSteps: int(100_000, "The run's total env steps (set by the harness; schedules anneal over it)", { min: 1, setBy: '--steps' }),
  },
  check: (c) => checkPgConfig(c),
};

export const PG_DEFAULTS: PgConfig = defaultsOf(PG_HYPERPARAMS);

/** Cross-key constraints every policy-gradient agent shares (schemas that extend PG_HYPERPARAMS call it). */
export function checkPgConfig(c: PgConfig): string | undefined {
  if (c.sharedNetwork && c.hidden.length === 0) return 'hidden=[] cannot be used with sharedNetwork=true (the shared trunk needs at least one layer)';
  return undefined;
}

/** ∂loss/∂(policy outputs) ([n, outputs], row-major) and ∂loss/∂(values) ([n]) of a loss computed in JS. */
export interface OutputGradient {
  dPolicy: Float32Array;
  dValue: Float32Array;
}

/**
 * The actor and the critic. Separate: two MLPs `obs → hidden → outputs` and `obs → hidden → 1`. Shared:
 * one trunk `obs → hidden` (activation on its last layer too) feeding a linear policy head and a linear
 * value head. Orthogonal init with gain √2 in hidden layers, 0.01 on the policy output (a near-uniform
 * initial policy) and 1 on the value output. With a conv torso (agents/conv.ts) the actor and the critic
 * (or the shared trunk) start with the convolution.
 *
 * Acting, valuing the rollout and the loss gradient run at every env step and every minibatch, so for MLPs
 * on the wasm backend they are direct kernel calls (agents/kernel-scope.ts), the same kernels on the same
 * inputs as the tf ops of `policy`, `value` and `trace`: the same bits. Conv torsos and other backends run
 * the tf ops.
 */
export class ActorCritic {
  readonly shared: boolean;
  /** The trainable networks by checkpoint name, in the optimiser's order. */
  readonly nets: [string, Network][];
  /** The policy network (or head, when shared): outputs the logits or the Gaussian means. */
  readonly actor: Network;
  private readonly critic: Network;
  /** The shared trunk (null when the networks are separate); its activation is applied to its last layer too. */
  readonly trunk: Network | null;
  /** With a shared trunk: the policy and value heads, whose gradients flow into the trunk. */
  private readonly heads: { policy: Mlp; value: Mlp } | null;
  readonly activation: Activation;
  readonly obsSize: number;
  /** The parameters of all networks (the length of `gradient`'s output). */
  readonly paramCount: number;
  /** Where each network's parameters start in `gradient`'s output, in `nets` order. */
  private readonly paramOffsets: number[];
  /** Direct kernel calls when every network is an MLP on the wasm backend (null: tf ops; the tests set it). */
  kernels: KernelScope | null;

  constructor(obsSize: number, policyOutputs: number, hidden: number[], activation: Activation, shared: boolean, rng: Rng, torso: ResolvedTorso = { kind: 'mlp' }) {
    this.shared = shared;
    this.activation = activation;
    this.obsSize = obsSize;
    const opts = { activation, init: 'orthogonal' as const, hiddenGain: Math.SQRT2 };
    if (shared) {
      this.trunk = buildNetwork(torso, obsSize, hidden, rng, { ...opts, outputGain: Math.SQRT2 });
      const h = hidden[hidden.length - 1];
      const policyHead = new Mlp([h, policyOutputs], rng, { ...opts, outputGain: 0.01 });
      const valueHead = new Mlp([h, 1], rng, { ...opts, outputGain: 1 });
      this.heads = { policy: policyHead, value: valueHead };
      this.actor = policyHead;
      this.critic = valueHead;
      this.nets = [
        ['trunk', this.trunk],
        ['policyHead', this.actor],
        ['valueHead', this.critic],
      ];
    } else {
      this.trunk = null;
      this.heads = null;
      this.actor = buildNetwork(torso, obsSize, [...hidden, policyOutputs], rng, { ...opts, outputGain: 0.01 });
      this.critic = buildNetwork(torso, obsSize, [...hidden, 1], rng, { ...opts, outputGain: 1 });
      this.nets = [
        ['actor', this.actor],
        ['critic', this.critic],
      ];
    }
    this.paramOffsets = [];
    let offset = 0;
    for (const [, net] of this.nets) {
      this.paramOffsets.push(offset);
      offset += net.params.length;
    }
    this.paramCount = offset;
    this.kernels = this.nets.every(([, net]) => net instanceof Mlp) ? KernelScope.open() : null;
  }

  /** The trunk's features (its last layer is linear in Mlp, so the activation is applied here). */
  private features(x: tf.Tensor2D): tf.Tensor2D {
    const h = this.trunk!.apply(x);
    return this.activation === 'relu' ? tf.relu(h) : tanh(h);
  }

  /** Policy outputs (logits or means) for a [n, obsSize] tensor; call in a tf scope. */
  policy(x: tf.Tensor2D): tf.Tensor2D {
    return this.heads ? this.heads.policy.apply(this.features(x), { inputGrad: true }) : this.actor.apply(x);
  }

  /** Values as a [n] tensor; call in a tf scope. */
  value(x: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(this.heads ? this.heads.value.apply(this.features(x), { inputGrad: true }) : this.critic.apply(x), [-1]) as tf.Tensor1D;
  }

  /** Both, sharing the trunk's forward pass (differentiable: the tests' reference for `gradient`). */
  policyAndValue(x: tf.Tensor2D): { policy: tf.Tensor2D; value: tf.Tensor1D } {
    if (!this.heads) return { policy: this.actor.apply(x), value: tf.reshape(this.critic.apply(x), [-1]) as tf.Tensor1D };
    const f = this.features(x);
    return { policy: this.heads.policy.apply(f, { inputGrad: true }), value: tf.reshape(this.heads.value.apply(f, { inputGrad: true }), [-1]) as tf.Tensor1D };
  }

  /** Policy outputs (logits or means) of `n` observations, flat [n, outputs]. */
  predictPolicy(obs: Float32Array, n: number): Float32Array {
    return this.predict(obs, n, 'policy');
  }

  /** Values of `n` observations. */
  predictValue(obs: Float32Array, n: number): Float32Array {
    return this.predict(obs, n, 'value');
  }

  private predict(obs: Float32Array, n: number, which: 'policy' | 'value'): Float32Array {
    const k = KernelScope.active(this.kernels);
    if (!k) {
      return downloadAndDispose(
        tf.tidy(() => {
          const x = tf.tensor2d(obs, [n, this.obsSize]);
          return which === 'policy' ? this.policy(x) : this.value(x);
        }),
      );
    }
    return k.use(() => k.read(traceOutputKernels(this.traceKernels(k, k.upload(obs, [n, this.obsSize]), which, false)[which]!)));
  }

  /**
   * The gradient in every network's parameters (concatenated in `nets` order into `grad[0 .. paramCount)`) of a
   * loss computed in JS from the policy outputs and values on `n` rows of `obs`: one forward pass of both
   * networks, `outputGradient(policy, values)` returns ∂loss/∂policy and ∂loss/∂value, then the hand-written
   * backward pass (no gradient tape; see agents/mlp.ts). For networks this small the cost is per-op overhead, and
   * a loss's many small ops and their gradients cost more on the tape than the matrix products.
   */
  gradient(obs: Float32Array, n: number, outputGradient: (policy: Float32Array, values: Float32Array) => OutputGradient, grad: Float32Array): void {
    const k = KernelScope.active(this.kernels);
    if (k) {
      k.use(() => this.gradientKernels(k, obs, n, outputGradient, grad));
      return;
    }
    const outputs = this.actor.outputSize;
    // The tidy returns only the gradient tensor (tidy walks whatever it returns looking for tensors).
    const gradTensor = tf.tidy(() => {
      const trace = this.trace(tf.tensor2d(obs, [n, this.obsSize]));
      const both = tf.concat([tf.reshape(trace.policy, [-1]), tf.reshape(trace.value, [-1])]).dataSync() as Float32Array;
      const d = outputGradient(both.subarray(0, n * outputs), both.subarray(n * outputs));
      return trace.backward(tf.tensor2d(d.dPolicy, [n, outputs]), tf.tensor2d(d.dValue, [n, 1]));
    });
    grad.set(downloadAndDispose(gradTensor));
  }

  /**
   * Both forward passes as tf ops, keeping what the hand-written backward pass needs. `backward` takes the loss
   * gradient at the policy outputs ([n, outputs]) and at the values ([n, 1]) and returns the parameter gradient
   * of every network, concatenated in `nets` order. Call inside a tf scope.
   */
  private trace(x: tf.Tensor2D): { policy: tf.Tensor2D; value: tf.Tensor2D; backward(dPolicy: tf.Tensor2D, dValue: tf.Tensor2D): tf.Tensor1D } {
    if (!this.heads) {
      const actor = traceNetwork(this.actor, x);
      const critic = traceNetwork(this.critic, x);
      return { policy: actor.output, value: critic.output, backward: (dPolicy, dValue) => tf.concat([actor.backward(dPolicy), critic.backward(dValue)]) as tf.Tensor1D };
    }
    const trunk = traceNetwork(this.trunk!, x);
    const f = this.activation === 'relu' ? tf.relu(trunk.output) : tanh(trunk.output);
    const policy = forwardTrace(this.heads.policy, f);
    const value = forwardTrace(this.heads.value, f);
    return {
      policy: traceOutput(policy),
      value: traceOutput(value),
      backward: (dPolicy, dValue) => {
        const p = backward(policy, dPolicy, { input: true });
        const v = backward(value, dValue, { input: true });
        const dF = tf.add(p.dInput!, v.dInput!);
        const dH = this.activation === 'relu' ? tf.mul(dF, tf.step(f)) : tf.mul(dF, tf.sub(1, tf.square(f)));
        return tf.concat([trunk.backward(dH as tf.Tensor2D), p.grad!, v.grad!]) as tf.Tensor1D;
      },
    };
  }

  /**
   * The forward passes of `policy`, `value` or both (`trace`) on a KernelScope, keeping what `backwardKernels`
   * needs. `fromParams` uploads the weights from `params` (the gradient step, where they changed since the last
   * step: see Mlp.syncVariables) rather than reading the tf variables (acting, where they stay packed).
   */
  private traceKernels(k: KernelScope, x: tf.TensorInfo, which: 'policy' | 'value' | 'both', fromParams: boolean): { policy?: KernelTrace; value?: KernelTrace; trunk?: KernelTrace; features?: tf.TensorInfo } {
    const pass = (net: Mlp, input: tf.TensorInfo) => forwardTraceKernels(k, net, input, fromParams ? uploadWeights(k, net) : net.variables);
    const wantPolicy = which !== 'value';
    const wantValue = which !== 'policy';
    if (!this.heads) {
      return { policy: wantPolicy ? pass(this.actor as Mlp, x) : undefined, value: wantValue ? pass(this.critic as Mlp, x) : undefined };
    }
    const trunk = pass(this.trunk as Mlp, x);
    const features = activateKernels(k, traceOutputKernels(trunk), this.activation);
    return { trunk, features, policy: wantPolicy ? pass(this.heads.policy, features) : undefined, value: wantValue ? pass(this.heads.value, features) : undefined };
  }

  /** `gradient` on a KernelScope: the kernels of `trace` and its backward pass. The caller releases the scope. */
  private gradientKernels(k: KernelScope, obs: Float32Array, n: number, outputGradient: (policy: Float32Array, values: Float32Array) => OutputGradient, grad: Float32Array): void {
    const outputs = this.actor.outputSize;
    const t = this.traceKernels(k, k.upload(obs, [n, this.obsSize]), 'both', true);
    const d = outputGradient(k.read(traceOutputKernels(t.policy!)), k.read(traceOutputKernels(t.value!)));
    const dPolicy = k.upload(d.dPolicy, [n, outputs]);
    const dValue = k.upload(d.dValue, [n, 1]);
    // Each network's slice of `grad`, in `nets` order.
    const slices = this.paramOffsets.map((start, i) => grad.subarray(start, start + this.nets[i][1].params.length));
    if (!this.heads) {
      backwardKernels(k, t.policy!, dPolicy, slices[0]);
      backwardKernels(k, t.value!, dValue, slices[1]);
      return;
    }
    const dFromPolicy = backwardKernels(k, t.policy!, dPolicy, slices[1], { input: true })!;
    const dFromValue = backwardKernels(k, t.value!, dValue, slices[2], { input: true })!;
    const dFeatures = k.run('Add', { a: dFromPolicy, b: dFromValue });
    backwardKernels(k, t.trunk!, k.activationGradient(dFeatures, t.features!, this.activation), slices[0]);
  }

  dispose(): void {
    this.kernels?.dispose();
    for (const [, net] of this.nets) net.dispose();
  }
}

/** One minibatch gathered from the rollout buffer (rows in the order of the given indices). */
export interface Minibatch {
  n: number;
  obs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  values: Float32Array;
}

/** A minibatch's rows as a loss sees them, and where it writes its gradient (`lossGradient`). */
export interface LossRows {
  /** log π(a|s) of each row's stored action, under the current policy. */
  logProb: Float32Array;
  entropy: Float32Array;
  /** V(s) of each row. */
  values: Float32Array;
  /** Out: ∂loss/∂log π(a|s) of each row. */
  dLogProb: Float64Array;
  /** Out: ∂loss/∂V(s) of each row. */
  dValue: Float32Array;
}

/** What a loss's per-row terms sum over a minibatch (`lossGradient`). */
export interface LossSums {
  policyLoss: number;
  valueLoss: number;
}

/** Act-time results kept for the `observe` call that follows. */
interface PendingStep {
  n: number;
  rawObs: Float32Array;
  obs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
}

export abstract class PolicyGradientAgent<C extends PgConfig = PgConfig> implements Agent {
  readonly name: string;
  readonly config: C;
  readonly obsSize: number;
  readonly numEnvs: number;
  readonly dist: ActionDistribution;
  readonly net: ActorCritic;
  readonly optimizer: Adam;
  readonly buffer: RolloutBuffer;
  readonly obsRms: RunningMeanStd | null;
  /** Action sampling in `act`. */
  protected sampleRng: Rng;
  /** Minibatch shuffles in `update`. */
  protected shuffleRng: Rng;
  /** Total env steps seen (the harness's count after the latest `observe`). */
  protected envSteps = 0;
  protected updates = 0;
  private pending: PendingStep | null = null;
  /** Parameters of everything Adam trains: the networks, then the distribution's own. */
  private readonly gradientSize: number;

  constructor(name: string, readonly info: AgentInfo, config: C, readonly seed: number) {
    this.name = name;
    this.config = config;
    if (info.observationSpace.type !== 'Box') throw new TsgymError(`${name} needs a Box observation space, got ${String(info.observationSpace)}`);
    if (!Number.isInteger(info.numEnvs) || info.numEnvs <= 0) throw new TsgymError(`${name}: numEnvs must be a positive integer, got ${info.numEnvs}`);
    this.obsSize = info.observationSpace.size;
    this.numEnvs = info.numEnvs;
    this.dist = distributionFor(info.actionSpace, config.logStdInit);
    const torso = resolveTorso(name, info.observationSpace, config);
    this.net = new ActorCritic(this.obsSize, this.dist.paramSize, config.hidden, config.activation, config.sharedNetwork, new Rng(streamSeed(seed, `${name}.init`)), torso);
    const trainables: ParamSet[] = [...this.net.nets.map(([, m]) => m), ...this.dist.trainables];
    this.gradientSize = trainables.reduce((n, p) => n + p.params.length, 0);
    this.optimizer = new Adam(trainables, { lr: config.lr, eps: config.adamEps, beta1: config.adamBeta1, beta2: config.adamBeta2, maxGradNorm: config.maxGradNorm > 0 ? config.maxGradNorm : Infinity, clipPerNet: config.clipPerNetwork });
    this.buffer = new RolloutBuffer({ numSteps: config.numSteps, numEnvs: info.numEnvs, obsSize: this.obsSize, actionSize: this.dist.actionSize });
    this.obsRms = config.normalizeObs ? new RunningMeanStd(this.obsSize) : null;
    this.sampleRng = new Rng(streamSeed(seed, `${name}.sample`));
    this.shuffleRng = new Rng(streamSeed(seed, `${name}.shuffle`));
  }

  /** The algorithm's update on the full rollout buffer; returns the metrics to log. */
  protected abstract update(): UpdateMetrics;

  /** The observations as the networks see them (normalised and clipped when normalizeObs is on). */
  normalize(obs: Float32Array, n: number): Float32Array {
    const out = new Float32Array(n * this.obsSize);
    if (this.obsRms) this.obsRms.normalize(obs.subarray(0, n * this.obsSize), out, this.config.obsClip);
    else out.set(obs.subarray(0, n * this.obsSize));
    return out;
  }

  act(obs: Float32Array, n: number, opts: ActOptions): ActResult {
    if (obs.length < n * this.obsSize) throw new TsgymError(`${this.name}.act: ${n} rows need ${n * this.obsSize} observation values, got ${obs.length}`);
    const x = this.normalize(obs, n);
    // One batched forward pass over all rows.
    const out = this.net.predictPolicy(x, n);
    const envActions = this.dist.newEnvActions(n);
    if (opts.greedy) {
      this.dist.mode(out, n, envActions);
    } else {
      const actions = new Float32Array(n * this.dist.actionSize);
      const logProbs = new Float32Array(n);
      this.dist.sample(out, n, this.sampleRng, actions, envActions, logProbs);
      this.pending = { n, rawObs: obs.slice(0, n * this.obsSize), obs: x, actions, logProbs };
    }
    return { actions: envActions, probs: this.dist.probs?.(out, n) };
  }

  observe(batch: TransitionBatch, step: number): UpdateMetrics | null {
    const p = this.pending;
    if (batch.n !== this.numEnvs) throw new TsgymError(`${this.name}.observe: built for ${this.numEnvs} envs, got a batch of ${batch.n}`);
    if (!p || p.n !== batch.n || !sameValues(p.rawObs, batch.obs, batch.n * this.obsSize)) {
      throw new TsgymError(`${this.name}.observe: this batch was not produced by the preceding act(obs, n, {greedy: false}) call; on-policy agents need act → env step → observe, in that order, on the same observations`);
    }
    this.pending = null;
    if (this.obsRms) this.obsRms.update(batch.obs.subarray(0, batch.n * this.obsSize), batch.n);
    this.buffer.add({
      obs: p.obs,
      actions: p.actions,
      logProbs: p.logProbs,
      rewards: batch.rewards,
      terminated: batch.terminated,
      truncated: batch.truncated,
      // Final observations where an episode ended: the truncation bootstrap values them.
      nextObs: this.normalize(batch.nextObs, batch.n),
    });
    this.envSteps = step;
    if (!this.buffer.full) return null;
    const metrics = this.update();
    this.updates++;
    this.buffer.reset();
    return metrics;
  }

  /**
   * Fraction of the schedule left at the start of the current rollout: 1 at the first update, falling
   * linearly to 0 at `totalSteps` (as CleanRL's `1 − (iteration − 1) / num_iterations`).
   */
  protected scheduleFraction(): number {
    const rolloutStart = this.envSteps - this.buffer.size;
    return Math.min(1, Math.max(0, 1 - rolloutStart / this.config.totalSteps));
  }

  /** Values the rollout (one forward pass) and fills advantages and returns by GAE(λ). */
  protected computeAdvantages(lambda = this.config.gaeLambda): void {
    const q = this.buffer.valueQueries();
    const values = this.net.predictValue(q.obs, q.n);
    // Truncated steps bootstrap from V(final obs) inside computeReturnsAndAdvantages (rollout-buffer.ts).
    this.buffer.computeReturnsAndAdvantages(values, this.config.gamma, lambda);
  }

  /** Copies rows `indices[start .. start+count)` of the rollout into a minibatch. */
  protected gather(indices: ArrayLike<number>, start = 0, count = indices.length): Minibatch {
    const b = this.buffer;
    const d = this.obsSize;
    const a = this.dist.actionSize;
    const mb: Minibatch = {
      n: count,
      obs: new Float32Array(count * d),
      actions: new Float32Array(count * a),
      logProbs: new Float32Array(count),
      advantages: new Float32Array(count),
      returns: new Float32Array(count),
      values: new Float32Array(count),
    };
    const { obs, actions } = mb;
    const { obs: bufObs, actions: bufActions } = b;
    for (let j = 0; j < count; j++) {
      const k = indices[start + j];
      // Element loops, not subarray + set: a row is a few floats, and two views per row cost more than the copy.
      for (let i = 0, src = k * d, dst = j * d; i < d; i++) obs[dst + i] = bufObs[src + i];
      for (let i = 0, src = k * a, dst = j * a; i < a; i++) actions[dst + i] = bufActions[src + i];
      mb.logProbs[j] = b.logProbs[k];
      mb.advantages[j] = b.advantages[k];
      mb.returns[j] = b.returns[k];
      mb.values[j] = b.values[k];
    }
    return mb;
  }

  /**
   * The gradient of a policy-gradient loss on a minibatch, in the optimiser's layout (the networks, then the
   * distribution's own parameters), without a gradient tape: one forward pass; log π(a|s), the entropy and V(s)
   * of each row in JS; `terms(rows)` writes ∂loss/∂log π and ∂loss/∂V of each row into `rows.dLogProb` and
   * `rows.dValue` and returns the sums of the policy and value losses over the rows (and whatever else it
   * sums); then the distribution's and the networks' backward passes (ActorCritic.gradient). The loss is a sum
   * of means over the minibatch: policy loss − entCoef · entropy + vfCoef · value loss (the entropy bonus is
   * added here).
   */
  protected lossGradient<T extends LossSums>(mb: Minibatch, terms: (rows: LossRows) => T): { grad: Float32Array; loss: number; policyLoss: number; valueLoss: number; entropy: number; sums: T } {
    const c = this.config;
    const n = mb.n;
    const grad = new Float32Array(this.gradientSize);
    const distGrad = new Float64Array(this.gradientSize - this.net.paramCount);
    const dPolicy = new Float32Array(n * this.dist.paramSize);
    const dLogProb = new Float64Array(n);
    const dValue = new Float32Array(n);
    let sums: T | undefined;
    let entropySum = 0;
    this.net.gradient(
      mb.obs,
      n,
      (policy, values) => {
        const rows = this.dist.evaluate(policy, n, mb.actions);
        sums = terms({ logProb: rows.logProb, entropy: rows.entropy, values, dLogProb, dValue });
        for (let i = 0; i < n; i++) entropySum += rows.entropy[i];
        rows.backprop(dLogProb, -c.entCoef / n, dPolicy, distGrad);
        return { dPolicy, dValue };
      },
      grad,
    );
    grad.set(distGrad, this.net.paramCount);
    const policyLoss = sums!.policyLoss / n;
    const valueLoss = sums!.valueLoss / n;
    const entropy = entropySum / n;
    return { grad, loss: policyLoss - c.entCoef * entropy + c.vfCoef * valueLoss, policyLoss, valueLoss, entropy, sums: sums! };
  }

  /**
   * Approximate KL divergence from the policy that collected a minibatch to the current one, on that
   * minibatch: mean((r − 1) − log r) with r = π_new(a|s) / π_old(a|s) (a diagnostic; one forward pass).
   */
  protected approxKlOn(mb: Minibatch): number {
    const out = this.net.predictPolicy(mb.obs, mb.n);
    const logProbs = new Float32Array(mb.n);
    this.dist.logProb(out, mb.n, mb.actions, logProbs);
    let kl = 0;
    for (let j = 0; j < mb.n; j++) {
      const logRatio = logProbs[j] - mb.logProbs[j];
      kl += Math.exp(logRatio) - 1 - logRatio;
    }
    return kl / mb.n;
  }

  /**
   * One gradient step on the whole rollout (A2C and REINFORCE, after `computeAdvantages`), on `batchGradient`.
   * The rollout is one batch in storage order: both estimators are on-policy, so there is exactly one step.
   */
  protected wholeRolloutStep(): UpdateMetrics {
    const c = this.config;
    const buf = this.buffer;
    const all = new Int32Array(buf.size);
    for (let i = 0; i < buf.size; i++) all[i] = i;
    const mb = this.gather(all);
    // Advantage normalisation over the batch (when the algorithm's config asks for it).
    if (c.normalizeAdvantages) normalizeAdvantages(mb.advantages);
    const step = this.batchGradient(mb);
    const gradNorm = this.optimizer.step(step.grad);
    return {
      loss: step.loss,
      policyLoss: step.policyLoss,
      valueLoss: step.valueLoss,
      entropy: step.entropy,
      // How far this step moved the policy (diagnostic): approximate KL on the batch it was computed from.
      approxKl: this.approxKlOn(mb),
      explainedVariance: explainedVariance(buf.values, buf.returns),
      meanAdvantage: mean(buf.advantages),
      gradNorm,
      lr: this.optimizer.lr,
    };
  }

  /**
   * The gradient of A2C's and REINFORCE's loss on a batch (`lossGradient`: no gradient tape), as a sum of means
   * over the batch: the score-function loss −A·log π(a|s), minus entCoef · entropy, plus vfCoef · ½ (V − R)².
   */
  batchGradient(mb: Minibatch): { grad: Float32Array; loss: number; policyLoss: number; valueLoss: number; entropy: number } {
    const c = this.config;
    const n = mb.n;
    return this.lossGradient(mb, ({ logProb, values, dLogProb, dValue }) => {
      const sums = { policyLoss: 0, valueLoss: 0 };
      for (let i = 0; i < n; i++) {
        const a = mb.advantages[i];
        sums.policyLoss -= a * logProb[i];
        dLogProb[i] = -a / n;
        const err = values[i] - mb.returns[i];
        sums.valueLoss += 0.5 * err * err;
        dValue[i] = (c.vfCoef * err) / n;
      }
      return sums;
    });
  }

  weightsFinite(): boolean {
    return this.optimizer.nets.every((p) => allFinite(p.params));
  }

  progressInfo(): Record<string, number> {
    return { lr: this.optimizer.lr, ...this.dist.info() };
  }

  /** Extra JSON state of a subclass (schedules etc.); the base saves everything it owns. */
  protected extraState(): Record<string, unknown> {
    return {};
  }
  protected setExtraState(_json: Record<string, unknown>): void {}

  getState(opts: { replay?: boolean } = {}): AgentState {
    const blobs: Record<string, Uint8Array> = {};
    for (const [name, net] of this.net.nets) blobs[`${name}.params`] = floatsToBlob(net.params);
    this.dist.trainables.forEach((t, i) => (blobs[`dist${i}.params`] = floatsToBlob(t.params)));
    // `replay: false` (a saved policy, best/) leaves the experience out, as the off-policy agents leave their
    // replay buffer: the rollout collected so far and the pending transition only matter to a resumed run.
    const experience = opts.replay !== false;
    const rollout = experience ? this.buffer.getState('rollout') : null;
    if (rollout) Object.assign(blobs, rollout.blobs);
    const p = experience ? this.pending : null;
    if (p) {
      blobs['pending.rawObs'] = floatsToBlob(p.rawObs);
      blobs['pending.obs'] = floatsToBlob(p.obs);
      blobs['pending.actions'] = floatsToBlob(p.actions);
      blobs['pending.logProbs'] = floatsToBlob(p.logProbs);
    }
    const json: Record<string, unknown> = {
      envSteps: this.envSteps,
      updates: this.updates,
      lr: this.optimizer.lr,
      sampleRng: this.sampleRng.state(),
      shuffleRng: this.shuffleRng.state(),
      optimizer: this.optimizer.getState(),
      obsRms: this.obsRms ? this.obsRms.getState() : null,
      rollout: rollout?.json ?? null,
      pending: p ? { n: p.n } : null,
      extra: this.extraState(),
    };
    return { json, blobs };
  }

  setState(state: AgentState): void {
    const j = state.json;
    for (const [name, net] of this.net.nets) net.setParams(blobToFloats(state.blobs[`${name}.params`], `${name}.params`));
    this.dist.trainables.forEach((t, i) => {
      t.params.set(blobToFloats(state.blobs[`dist${i}.params`], `dist${i}.params`));
      t.syncVariables();
    });
    this.optimizer.setState(j.optimizer as AdamState);
    this.optimizer.lr = j.lr as number;
    this.sampleRng = Rng.fromState(j.sampleRng as RngState);
    this.shuffleRng = Rng.fromState(j.shuffleRng as RngState);
    this.envSteps = j.envSteps as number;
    this.updates = j.updates as number;
    if (this.obsRms) {
      if (!j.obsRms) throw new TsgymError(`${this.name}: the checkpoint has no observation statistics but normalizeObs is on`);
      this.obsRms.setState(j.obsRms as RunningMeanStdState);
    }
    // A saved policy has no rollout (getState with replay: false): it starts an empty one.
    if (j.rollout) this.buffer.setState(j.rollout as { pos: number }, state.blobs, 'rollout');
    else this.buffer.reset();
    const pj = j.pending as { n: number } | null;
    this.pending = pj
      ? {
          n: pj.n,
          rawObs: blobToFloats(state.blobs['pending.rawObs'], 'pending.rawObs'),
          obs: blobToFloats(state.blobs['pending.obs'], 'pending.obs'),
          actions: blobToFloats(state.blobs['pending.actions'], 'pending.actions'),
          logProbs: blobToFloats(state.blobs['pending.logProbs'], 'pending.logProbs'),
        }
      : null;
    this.setExtraState((j.extra as Record<string, unknown>) ?? {});
  }

  dispose(): void {
    this.net.dispose();
    this.dist.dispose();
  }
}

function sameValues(a: Float32Array, b: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

