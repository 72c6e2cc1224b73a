/**
 * TD3, Twin Delayed DDPG (Fujimoto et al., 2018): a deterministic actor a = tanh(μ(s)) trained to maximise
 * Q1, with the three fixes over DDPG — twin critics whose minimum forms the target (clipped double Q),
 * target policy smoothing (clipped Gaussian noise on the target action), and delayed actor and target
 * updates (every `policyDelay` critic steps). Exploration adds Gaussian noise to the actor's action.
 *
 * Collection, replay, warm-up and target updates are in off-policy.ts; action scaling and the twin critic
 * in continuous.ts. Read `act`, then `trainStep` top to bottom. Actions are in [-1, 1] inside the agent
 * (noise scales are fractions of the box's half-width) and rescaled to the box only for the env.
 */
import { Adam, type ParamSet } from './adam.js';
import { KernelScope } from './kernel-scope.js';
import { Mlp, outputChainGradient } from './mlp.js';
import type { ReplaySample } from './replay-buffer.js';
import { OffPolicyAgent, checkOffPolicy, type OffPolicyConfig } from './off-policy.js';
import { choice, defaultsOf, int, num, validateHyperparams, type HyperparamSchema } from './hyperparams.js';
import { ActionScale, TWIN_CRITIC_SMALL_CONFIG, TwinCritic, joinObsAction, twinCriticAgentParams, type TwinCriticNetConfig } from './continuous.js';
import { normals } from './sac.js';
import type { ActOptions, ActResult, AgentInfo, AgentRegistration, TransitionBatch, UpdateMetrics } from './agent.js';

/** `lr` trains the actor and the critics. */
export interface Td3Config extends OffPolicyConfig, TwinCriticNetConfig {
  /** Critic steps per actor step; the targets move (Polyak τ) on the actor's steps too. */
  policyDelay: number;
  /** σ of the exploration noise, as a fraction of the box's half-width. */
  explorationNoise: number;
  /** 'gaussian': independent per step; 'ou': an Ornstein–Uhlenbeck process per env (temporally correlated). */
  noiseType: 'gaussian' | 'ou';
  /** OU mean reversion θ and time step dt: x ← x − θ·x·dt + σ·√dt·N(0, 1), reset to 0 at episode ends. */
  ouTheta: number;
  ouDt: number;
  /** σ of the target policy smoothing noise (fraction of the half-width) … */
  policyNoise: number;
  /** … clipped to ±noiseClip. */
  noiseClip: number;
}

/** Every TD3 hyperparameter: type, valid values, default, meaning (printed by `npm run hyperparams -- td3`). */
export const TD3_HYPERPARAMS: HyperparamSchema<Td3Config> = {
  params: {
    ...twinCriticAgentParams('Adam learning rate of the actor and the critics'),
    policyDelay: int(2, 'Critic steps per actor step (the targets move on actor steps)', { min: 1 }),
    explorationNoise: num(0.1, 'σ of the exploration noise, as a fraction of the action box half-width', { min: 0 }),
    noiseType: choice<Td3Config['noiseType']>('gaussian', ['gaussian', 'ou'], "Exploration noise: independent Gaussian per step, or an Ornstein-Uhlenbeck process per env ('ou': correlated over time, pushes in one direction for a while)"),
    ouTheta: num(0.15, 'OU noise: mean reversion rate θ', { min: 0 }),
    ouDt: num(0.01, 'OU noise: time step dt', { min: 0, minExclusive: true }),
    policyNoise: num(0.2, 'σ of the target policy smoothing noise (fraction of the half-width)', { min: 0 }),
    noiseClip: num(0.5, 'The smoothing noise is clipped to ±noiseClip', { min: 0 }),
  },
  check: checkOffPolicy,
};

const DEFAULTS: Td3Config = defaultsOf(TD3_HYPERPARAMS);

/**
 * Target policy smoothing, in place on `actions` (n × k, each tanh(μ'(s')) in [-1, 1]):
 *   ã' = clip(a' + clip(σ̃·ε, −c, c), −1, 1)
 * The noise is clipped first, so the target stays near the target policy's action; the sum is clipped
 * so it stays a valid action. It smooths the target value over nearby actions.
 */
export function smoothTargetActions(actions: Float32Array, noise: ArrayLike<number>, policyNoise: number, noiseClip: number): Float32Array {
  for (let i = 0; i < actions.length; i++) {
    const e = Math.max(-noiseClip, Math.min(noiseClip, policyNoise * noise[i]));
    actions[i] = Math.max(-1, Math.min(1, actions[i] + e));
  }
  return actions;
}

export class Td3Agent extends OffPolicyAgent<Td3Config> {
  static readonly defaults: Td3Config = DEFAULTS;
  readonly scale: ActionScale;
  readonly actionSize: number;
  /** obs → pre-tanh action. */
  readonly actor: Mlp;
  readonly actorTarget: Mlp;
  readonly critic: TwinCritic;
  private readonly actorOptimizer: Adam;
  /** The actor's passes as direct kernel calls on wasm (null: tf ops; the tests compare the two). */
  kernels: KernelScope | null = KernelScope.open();
  /** The OU noise state, numEnvs × k (noiseType 'ou'). */
  private ouState: Float32Array;

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    const config = validateHyperparams('td3', TD3_HYPERPARAMS, hp, { numEnvs: info.numEnvs });
    const scale = new ActionScale(info.actionSpace, 'td3');
    super('td3', info, config, seed);
    const c = this.config;
    this.scale = scale;
    this.actionSize = scale.size;
    const rng = this.initRng();
    this.actor = new Mlp([this.obsSize, ...c.hidden, this.actionSize], rng, { activation: c.activation, init: 'glorot' });
    this.actorTarget = new Mlp([this.obsSize, ...c.hidden, this.actionSize], rng, { activation: c.activation, init: 'glorot' });
    this.actorTarget.copyFrom(this.actor);
    this.critic = new TwinCritic(this.obsSize + this.actionSize, c.hidden, c.activation, c.lr, rng);
    this.actorOptimizer = new Adam([this.actor], { lr: c.lr });
    this.ouState = new Float32Array(info.numEnvs * this.actionSize);
  }

  act(rawObs: Float32Array, n: number, opts: ActOptions): ActResult {
    const warmUp = this.warmUpActions(n, opts);
    if (warmUp) return warmUp;
    const obs = this.networkInput(rawObs, n);
    const k = this.actionSize;
    const c = this.config;
    const a = this.actor.predict(obs.subarray(0, n * this.obsSize), n);
    if (c.noiseType === 'ou' && this.ouState.length < n * k) this.ouState = Float32Array.from({ length: n * k }, (_, i) => this.ouState[i] ?? 0);
    for (let i = 0; i < n * k; i++) {
      a[i] = Math.tanh(a[i]);
      if (opts.greedy) continue;
      // Exploration noise on the deterministic action, clipped back into [-1, 1].
      let noise: number;
      if (c.noiseType === 'ou') {
        const x = this.ouState[i];
        noise = this.ouState[i] = x - c.ouTheta * x * c.ouDt + c.explorationNoise * Math.sqrt(c.ouDt) * this.exploreRng.normal();
      } else {
        noise = c.explorationNoise * this.exploreRng.normal();
      }
      a[i] = Math.max(-1, Math.min(1, a[i] + noise));
    }
    return { actions: this.scale.toEnv(a, n, new Float32Array(n * k)) };
  }

  override observe(batch: TransitionBatch, step: number): UpdateMetrics | null {
    // The OU process starts again from 0 with each episode.
    const k = this.actionSize;
    for (let i = 0; i < batch.n; i++) if (batch.terminated[i] || batch.truncated[i]) this.ouState.fill(0, i * k, (i + 1) * k);
    return super.observe(batch, step);
  }

  protected trainStep(s: ReplaySample): Record<string, number> {
    const c = this.config;
    const B = s.size;
    const k = this.actionSize;

    // 1. Targets, no gradient: the target actor's action with clipped smoothing noise, valued by the
    //    smaller of the two target critics (clipped double Q):
    //      y = R + γ^m · (1 − terminated) · min(Q1'(s', ã'), Q2'(s', ã'))
    //    Truncated transitions bootstrap (bootstrapMask).
    const nextActions = this.actorTarget.predict(s.nextObs, B);
    for (let i = 0; i < B * k; i++) nextActions[i] = Math.tanh(nextActions[i]);
    smoothTargetActions(nextActions, normals(this.sampleRng, B * k), c.policyNoise, c.noiseClip);

    // 2. Critics: both regress onto y (formed in fitTdTargets), on the replayed actions.
    const critic = this.critic.fitTdTargets(s, nextActions, this.scale);
    const metrics: Record<string, number> = { loss: critic.criticLoss, q: 0.5 * (critic.q1 + critic.q2), gradNorm: critic.criticGradNorm };

    // 3. Delayed actor step, every policyDelay-th critic step: maximise Q1(s, tanh(μ(s))) — Q1 only, as in
    //    the paper. The chain rule through the tanh is done in JS between the critic's input gradient and
    //    the actor's backward pass. The targets move on the same steps (targetUpdateDue).
    if ((this.gradientStepsDone + 1) % c.policyDelay === 0) {
      const actor = this.actorStep(s.obs, B);
      metrics.actorLoss = actor.loss;
      metrics.actorGradNorm = actor.gradNorm;
    }
    return metrics;
  }

  private actorStep(obs: Float32Array, B: number): { loss: number; gradNorm: number } {
    const res = this.actorGradient(obs, B);
    return { loss: res.loss, gradNorm: this.actorOptimizer.step(res.grad) };
  }

  /** The actor's loss −mean_i Q1(s_i, tanh(μ(s_i))) and its gradient in the actor's parameters (flat). */
  actorGradient(obs: Float32Array, B: number): { grad: Float32Array; loss: number } {
    const { grad, chain } = outputChainGradient(this.actor, obs, B, (out) => this.actorOutputGradient(obs, out, B), this.kernels);
    return { grad, loss: chain.loss };
  }

  /** ∂loss/∂μ from the actor's raw outputs `out` (through the tanh and Q1's input gradient), and the loss. */
  private actorOutputGradient(obs: Float32Array, out: Float32Array, B: number): { dOut: Float32Array; loss: number } {
    const k = this.actionSize;
    const d = this.obsSize;
    const a = out.map(Math.tanh);
    const { q, dx } = this.critic.inputGradient(joinObsAction(obs, a, B, d, k, new Float32Array(B * (d + k))), B, 'q1');
    const dOut = new Float32Array(B * k);
    let loss = 0;
    for (let i = 0; i < B; i++) {
      loss -= q[i] / B;
      for (let j = 0; j < k; j++) dOut[i * k + j] = dx[i * (d + k) + d + j] * (1 - a[i * k + j] * a[i * k + j]);
    }
    return { dOut, loss };
  }

  // 4. Polyak averaging of the actor's and both critics' targets, on the actor's steps only.
  protected override targetUpdateDue(): boolean {
    return this.gradientStepsDone % this.config.policyDelay === 0;
  }

  protected targetPairs(): [Mlp, Mlp][] {
    return [[this.actorTarget, this.actor], ...this.critic.targetPairs()];
  }

  protected paramSets(): [string, ParamSet][] {
    return [
      ['actor', this.actor],
      ['actorTarget', this.actorTarget],
      ['q1', this.critic.q1],
      ['q2', this.critic.q2],
      ['q1Target', this.critic.target1],
      ['q2Target', this.critic.target2],
    ];
  }

  protected optimizers(): [string, Adam][] {
    return [
      ['actorOptimizer', this.actorOptimizer],
      ['criticOptimizer', this.critic.optimizer],
    ];
  }

  protected override extraState(): Record<string, unknown> {
    return { ouState: Array.from(this.ouState) };
  }

  protected override setExtraState(json: Record<string, unknown>): void {
    if (Array.isArray(json.ouState)) this.ouState = Float32Array.from(json.ouState as number[]);
  }

  dispose(): void {
    this.kernels?.dispose();
    this.actor.dispose();
    this.actorTarget.dispose();
    this.critic.dispose();
  }
}

export const td3Registration: AgentRegistration<Td3Config> = {
  name: 'td3',
  description: 'Twin Delayed DDPG (deterministic tanh actor, twin Q critics, target policy smoothing, delayed actor and target updates)',
  hyperparams: TD3_HYPERPARAMS,
  actionSpaces: ['Box'],
  smallConfig: TWIN_CRITIC_SMALL_CONFIG,
  create: (info, hp, seed) => new Td3Agent(info, hp, seed),
};
