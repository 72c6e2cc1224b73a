/**
 * Soft Actor-Critic (Haarnoja et al., 2018; the "applications" version with a learned temperature): a
 * stochastic tanh-squashed Gaussian actor, twin Q critics with Polyak-averaged targets, and a temperature α
 * tuned so the policy's entropy tracks a target (−|A| by default).
 *
 * Collection, replay, warm-up and target updates are in off-policy.ts; action scaling and the twin critic
 * in continuous.ts. Read `act`, then `trainStep` top to bottom: (1) targets, (2) critics, (3) actor,
 * (4) temperature. Polyak updates of the critics' targets follow each step (the base, τ).
 *
 * Speed: every network is an Mlp (raw variables, hand-written dense gradients); the target computation
 * runs two forward passes with the sampling and the log-probabilities in JS; both critics train together
 * with one gradient download; the temperature is a scalar updated in JS. On the wasm backend the passes are
 * direct kernel calls (agents/kernel-scope.ts), the same bits as the tf ops other backends run. All noise
 * comes from the agent's seeded streams (act: `explore`, training: `sample`).
 */
import { tf } from './backend.js';
import { Adam, type ParamSet } from './adam.js';
import { KernelScope } from './kernel-scope.js';
import { Mlp, outputChainGradient } from './mlp.js';
import type { ReplaySample } from './replay-buffer.js';
import { OffPolicyAgent, checkOffPolicy, type OffPolicyConfig } from './off-policy.js';
import { bool, defaultsOf, int, num, validateHyperparams, type HyperparamSchema } from './hyperparams.js';
import { ActionScale, TWIN_CRITIC_SMALL_CONFIG, TwinCritic, joinObsAction, twinCriticAgentParams, type TwinCriticNetConfig } from './continuous.js';
import type { ActOptions, ActResult, AgentInfo, AgentRegistration } from './agent.js';
import type { Rng } from '../core/rng.js';

/** `lr` trains the actor, the critics and the temperature. */
export interface SacConfig extends OffPolicyConfig, TwinCriticNetConfig {
  /** Gradient steps between target updates (1 with Polyak τ, as in SAC). */
  targetUpdateInterval: number;
  /** Learn α towards the target entropy (true), or keep it at alphaInit. */
  autoAlpha: boolean;
  alphaInit: number;
  /** Target entropy per action dimension: the target is this × |A| (−1: the usual −|A|). */
  targetEntropyPerDim: number;
}

/** Every SAC hyperparameter: type, valid values, default, meaning (printed by `npm run hyperparams -- sac`). */
export const SAC_HYPERPARAMS: HyperparamSchema<SacConfig> = {
  params: {
    ...twinCriticAgentParams('Adam learning rate of the actor, the critics and the temperature'),
    targetUpdateInterval: int(1, 'Gradient steps between (Polyak) target updates', { min: 1 }),
    autoAlpha: bool(true, 'Learn the temperature α towards the target entropy (false: keep alphaInit)'),
    alphaInit: num(1, 'Initial temperature α (the entropy bonus weight)', { min: 0, minExclusive: true }),
    targetEntropyPerDim: num(-1, 'Target entropy per action dimension (−1: the usual target −|A|)'),
  },
  check: checkOffPolicy,
};

const DEFAULTS: SacConfig = defaultsOf(SAC_HYPERPARAMS);

/** log σ is squashed smoothly into [LOG_STD_MIN, LOG_STD_MAX] (a tanh), so its gradient never vanishes at a clip. */
export const LOG_STD_MIN = -5;
export const LOG_STD_MAX = 2;
/** Keeps log(1 − tanh²(u)) finite when the tanh saturates. */
export const SQUASH_EPS = 1e-6;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The actor's raw log-σ output mapped into [LOG_STD_MIN, LOG_STD_MAX]. */
export function squashLogStd(raw: number): number {
  return LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (Math.tanh(raw) + 1);
}

/**
 * Samples a = tanh(μ + σ·ε) per row from actor outputs `out` (n × 2k: k means, then k raw log-σ), with
 * standard-normal ε from `noise`, and writes log π(a|s) to `logProbs`:
 *   log π(a|s) = Σ_j [ log N(u_j; μ_j, σ_j) − log(1 − tanh²(u_j) + ε_sq) ]
 * The second term is the change of variables through the tanh (its Jacobian); forgetting it makes the
 * entropy estimate, and therefore α, wrong near the action bounds.
 */
export function sampleSquashedGaussian(out: Float32Array, n: number, k: number, noise: ArrayLike<number>, actions: Float32Array, logProbs: Float32Array): void {
  for (let i = 0; i < n; i++) {
    let lp = 0;
    for (let j = 0; j < k; j++) {
      const mean = out[i * 2 * k + j];
      const logStd = squashLogStd(out[i * 2 * k + k + j]);
      const eps = noise[i * k + j];
      const a = Math.tanh(mean + Math.exp(logStd) * eps);
      actions[i * k + j] = a;
      lp += -0.5 * eps * eps - logStd - HALF_LOG_2PI - Math.log(1 - a * a + SQUASH_EPS);
    }
    logProbs[i] = lp;
  }
}

/** A scalar parameter trained by Adam in JS only (the temperature's log α): no tf variable needed. */
class JsScalar implements ParamSet {
  readonly params: Float32Array;
  readonly variables: tf.Variable[] = [];
  constructor(value: number) {
    this.params = Float32Array.of(value);
  }
  syncVariables(): void {}
}

export class SacAgent extends OffPolicyAgent<SacConfig> {
  static readonly defaults: SacConfig = DEFAULTS;
  readonly scale: ActionScale;
  readonly actionSize: number;
  /** obs → [μ (k), raw log σ (k)]. */
  readonly actor: Mlp;
  readonly critic: TwinCritic;
  readonly logAlpha: JsScalar;
  readonly targetEntropy: number;
  private readonly actorOptimizer: Adam;
  private readonly alphaOptimizer: Adam;
  /** The actor's passes as direct kernel calls on wasm (null: tf ops; the tests compare the two). */
  kernels: KernelScope | null = KernelScope.open();

  constructor(info: AgentInfo, hp: Record<string, unknown>, seed: number) {
    const config = validateHyperparams('sac', SAC_HYPERPARAMS, hp, { numEnvs: info.numEnvs });
    const scale = new ActionScale(info.actionSpace, 'sac');
    super('sac', info, config, seed);
    const c = this.config;
    this.scale = scale;
    this.actionSize = scale.size;
    const rng = this.initRng();
    this.actor = new Mlp([this.obsSize, ...c.hidden, 2 * this.actionSize], rng, { activation: c.activation, init: 'glorot' });
    this.critic = new TwinCritic(this.obsSize + this.actionSize, c.hidden, c.activation, c.lr, rng);
    this.actorOptimizer = new Adam([this.actor], { lr: c.lr });
    this.logAlpha = new JsScalar(Math.log(c.alphaInit));
    this.alphaOptimizer = new Adam([this.logAlpha], { lr: c.lr });
    this.targetEntropy = c.targetEntropyPerDim * this.actionSize;
  }

  get alpha(): number {
    return Math.exp(this.logAlpha.params[0]);
  }

  act(rawObs: Float32Array, n: number, opts: ActOptions): ActResult {
    const warmUp = this.warmUpActions(n, opts);
    if (warmUp) return warmUp;
    const obs = this.networkInput(rawObs, n);
    const k = this.actionSize;
    const out = this.actor.predict(obs.subarray(0, n * this.obsSize), n);
    const a = new Float32Array(n * k);
    if (opts.greedy) {
      // The deterministic action: the squashed mean.
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) a[i * k + j] = Math.tanh(out[i * 2 * k + j]);
    } else {
      sampleSquashedGaussian(out, n, k, normals(this.exploreRng, n * k), a, new Float32Array(n));
    }
    return { actions: this.scale.toEnv(a, n, new Float32Array(n * k)) };
  }

  protected trainStep(s: ReplaySample): Record<string, number> {
    const B = s.size;
    const k = this.actionSize;
    const alpha = this.alpha;

    // 1. Soft TD targets, no gradient: a' ~ π(·|s') (fresh noise), then
    //      y = R + γ^m · (1 − terminated) · (min(Q1'(s', a'), Q2'(s', a')) − α · log π(a'|s'))
    //    Truncated transitions bootstrap (bootstrapMask); the entropy term is part of the soft value.
    const nextOut = this.actor.predict(s.nextObs, B);
    const nextActions = new Float32Array(B * k);
    const nextLogProbs = new Float32Array(B);
    sampleSquashedGaussian(nextOut, B, k, normals(this.sampleRng, B * k), nextActions, nextLogProbs);

    // 2. Critics: both regress onto the same target y (formed in fitTdTargets), on the replayed actions.
    const critic = this.critic.fitTdTargets(s, nextActions, this.scale, { alpha, nextLogProbs });

    // 3. Actor: minimise E[α · log π(ã|s) − min(Q1, Q2)(s, ã)] with ã = tanh(μ + σ·ε) reparameterised, so
    //    the gradient flows through the (just updated) critics into the actor; the critics' weights are
    //    not stepped. The chain rule is written out: actor forward → sample and log π (JS) → critics' input
    //    gradient → ∂loss/∂(μ, raw log σ) (JS) → actor backward, one gradient download.
    const actor = this.actorStep(s.obs, B, alpha);

    // 4. Temperature: minimise −log α · (log π + H̄) over the batch (log π held fixed), i.e. raise α when
    //    the policy's entropy −log π falls below the target H̄, lower it when above. Its gradient with
    //    respect to log α is −(mean log π + H̄): one scalar Adam step in JS.
    if (this.config.autoAlpha) this.alphaOptimizer.step([-(actor.meanLogProb + this.targetEntropy)]);

    return {
      loss: critic.criticLoss,
      actorLoss: actor.loss,
      q: 0.5 * (critic.q1 + critic.q2),
      entropy: -actor.meanLogProb,
      alpha: this.alpha,
      gradNorm: critic.criticGradNorm,
      actorGradNorm: actor.gradNorm,
    };
  }

  /** The actor's gradient step (step 3 above); returns its loss, gradient norm and mean log π. */
  private actorStep(obs: Float32Array, B: number, alpha: number): { loss: number; gradNorm: number; meanLogProb: number } {
    const result = this.actorGradient(obs, B, alpha, normals(this.sampleRng, B * this.actionSize));
    const gradNorm = this.actorOptimizer.step(result.grad);
    return { loss: result.loss, gradNorm, meanLogProb: result.meanLogProb };
  }

  /**
   * The actor's loss mean_i(α · log π(ã_i|s_i) − min Q(s_i, ã_i)) for `B` observations and standard-normal
   * noise `eps` (B × k), and its gradient with respect to the actor's parameters (flat, `params` order).
   */
  actorGradient(obs: Float32Array, B: number, alpha: number, eps: Float32Array): { grad: Float32Array; loss: number; meanLogProb: number } {
    const { grad, chain } = outputChainGradient(this.actor, obs, B, (out) => this.actorOutputGradient(obs, out, B, alpha, eps), this.kernels);
    return { grad, loss: chain.loss, meanLogProb: chain.meanLogProb };
  }

  /**
   * The middle of the actor's chain rule, from its outputs `out` ([μ | raw log σ] per row): samples ã, gets
   * ∂(−mean Q(s, ã))/∂ã from the critics, and returns ∂loss/∂out with the loss and mean log π.
   */
  private actorOutputGradient(obs: Float32Array, out: Float32Array, B: number, alpha: number, eps: Float32Array): { dOut: Float32Array; loss: number; meanLogProb: number } {
    const k = this.actionSize;
    const d = this.obsSize;
    const span = 0.5 * (LOG_STD_MAX - LOG_STD_MIN);
    let loss = 0;
    let meanLogProb = 0;
    const a = new Float32Array(B * k);
    const logProbs = new Float32Array(B);
    sampleSquashedGaussian(out, B, k, eps, a, logProbs);
    const { q, dx } = this.critic.inputGradient(joinObsAction(obs, a, B, d, k, new Float32Array(B * (d + k))), B, 'min');
    const dOut = new Float32Array(B * 2 * k);
    for (let i = 0; i < B; i++) {
      loss += (alpha * logProbs[i] - q[i]) / B;
      meanLogProb += logProbs[i] / B;
      for (let j = 0; j < k; j++) {
        const ai = a[i * k + j];
        const raw = out[i * 2 * k + k + j];
        const std = Math.exp(squashLogStd(raw));
        // ã = tanh(u), u = μ + σε. α·log π contributes −α/B · log(1 − ã² + ε_sq) per action dimension,
        // whose derivative in ã is (α/B) · 2ã / (1 − ã² + ε_sq), and −α/B · log σ directly.
        const dA = dx[i * (d + k) + d + j] + ((alpha / B) * 2 * ai) / (1 - ai * ai + SQUASH_EPS);
        const dU = dA * (1 - ai * ai);
        const dLogStd = dU * eps[i * k + j] * std - alpha / B;
        const th = Math.tanh(raw);
        dOut[i * 2 * k + j] = dU;
        dOut[i * 2 * k + k + j] = dLogStd * span * (1 - th * th);
      }
    }
    return { dOut, loss, meanLogProb };
  }

  // 5. Polyak averaging of both critics' targets every targetUpdateInterval steps (the base, with τ).
  protected targetPairs(): [Mlp, Mlp][] {
    return this.critic.targetPairs();
  }

  protected paramSets(): [string, ParamSet][] {
    return [
      ['actor', this.actor],
      ['q1', this.critic.q1],
      ['q2', this.critic.q2],
      ['q1Target', this.critic.target1],
      ['q2Target', this.critic.target2],
      ['logAlpha', this.logAlpha],
    ];
  }

  protected optimizers(): [string, Adam][] {
    return [
      ['actorOptimizer', this.actorOptimizer],
      ['criticOptimizer', this.critic.optimizer],
      ['alphaOptimizer', this.alphaOptimizer],
    ];
  }

  override progressInfo(): Record<string, number> {
    return { alpha: this.alpha };
  }

  dispose(): void {
    this.kernels?.dispose();
    this.actor.dispose();
    this.critic.dispose();
  }
}

export const sacRegistration: AgentRegistration<SacConfig> = {
  name: 'sac',
  description: 'Soft Actor-Critic (twin Q critics with Polyak targets, tanh-squashed Gaussian policy, learned temperature)',
  hyperparams: SAC_HYPERPARAMS,
  actionSpaces: ['Box'],
  smallConfig: TWIN_CRITIC_SMALL_CONFIG,
  create: (info, hp, seed) => new SacAgent(info, hp, seed),
};

/** `count` standard-normal draws from `rng`. */
export function normals(rng: Rng, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal();
  return out;
}
