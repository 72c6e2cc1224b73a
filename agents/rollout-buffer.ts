/**
 * The on-policy rollout buffer of the policy-gradient agents: `numSteps` vector-env steps of `numEnvs`
 * envs in time-major typed arrays (row `t·numEnvs + i` is env i at step t), and the one place where
 * returns and GAE(λ) advantages are computed ({@link computeGae}).
 *
 * ## Episode ends and the truncation bootstrap
 * A step that *terminated* its episode (the MDP reached a terminal state) has no future: its target is
 * just r. A step that was *truncated* (a time limit, or anything else that cut the episode short) does have
 * a future that we did not see: its target is r + γ·V(final observation). The vector env autoresets, so the
 * next stored row of that env is already a new episode; the final observation is kept separately
 * (`finalObs`) and valued together with the rest of the batch. Treating truncation like termination — the
 * usual bug — teaches the critic that the state at step 500 of CartPole is worth 0.
 *
 * Values come from the agent's critic after the rollout is complete, in one batched forward pass over
 * {@link RolloutBuffer.valueQueries}: the parameters do not change during a rollout, so this equals
 * valuing each observation when it was acted on.
 */
import { floatsToBlob, blobToFloats } from './state-blobs.js';
import { TsgymError } from '../core/errors.js';

/**
 * Generalised advantage estimation over a time-major batch of `numSteps × numEnvs` steps.
 *
 * For step t of env i, with done = terminated ∨ truncated:
 *   nextValue = 0                      if terminated      (no future)
 *             = finalValues[t, i]      if truncated       (bootstrap from V(final obs))
 *             = values[t+1, i]         otherwise (lastValues[i] after the last step)
 *   δ_t = r_t + γ·nextValue − V(s_t)
 *   A_t = δ_t + γλ·(1 − done_t)·A_{t+1}
 *   R_t = A_t + V(s_t)                 (the critic's target)
 * λ = 1 gives Monte-Carlo returns (bootstrapped only at truncations and at the rollout's end); λ = 0 gives
 * one-step TD. Writes into `advantages` and `returns`.
 */
export function computeGae(args: {
  numSteps: number;
  numEnvs: number;
  rewards: ArrayLike<number>;
  values: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated: ArrayLike<number>;
  /** V(final observation) on truncated steps; read only there. */
  finalValues: ArrayLike<number>;
  /** V(observation after the last step), per env. */
  lastValues: ArrayLike<number>;
  gamma: number;
  lambda: number;
  advantages: Float32Array;
  returns: Float32Array;
}): void {
  const { numSteps: T, numEnvs: N, rewards, values, terminated, truncated, finalValues, lastValues, gamma, lambda, advantages, returns } = args;
  for (let i = 0; i < N; i++) {
    let nextAdvantage = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      let nextValue: number;
      if (terminated[k]) nextValue = 0;
      else if (truncated[k]) nextValue = finalValues[k]; // the truncation bootstrap
      else nextValue = t === T - 1 ? lastValues[i] : values[k + N];
      const notDone = terminated[k] || truncated[k] ? 0 : 1;
      const delta = rewards[k] + gamma * nextValue - values[k];
      nextAdvantage = delta + gamma * lambda * notDone * nextAdvantage;
      advantages[k] = nextAdvantage;
      returns[k] = nextAdvantage + values[k];
    }
  }
}

/** In place: (x − mean) / (std + 1e-8) over `x` (population std). */
export function normalizeAdvantages(x: Float32Array): Float32Array {
  const n = x.length;
  if (n === 0) return x;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (x[i] - mean) * (x[i] - mean);
  const std = Math.sqrt(sq / n);
  for (let i = 0; i < n; i++) x[i] = (x[i] - mean) / (std + 1e-8);
  return x;
}

/**
 * 1 − Var(target − prediction) / Var(target): 1 is perfect, 0 is no better than a constant. Reported as 0
 * when the target is constant (where it is undefined), so that logged metrics stay finite.
 */
export function explainedVariance(prediction: ArrayLike<number>, target: ArrayLike<number>): number {
  const n = target.length;
  let mt = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mt += target[i];
    md += target[i] - prediction[i];
  }
  mt /= n;
  md /= n;
  let vt = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vt += (target[i] - mt) ** 2;
    const d = target[i] - prediction[i] - md;
    vd += d * d;
  }
  return vt === 0 ? 0 : 1 - vd / vt;
}

export interface RolloutStep {
  /** `numEnvs × obsSize`: the observations the policy acted on (already normalised if the agent does that). */
  obs: Float32Array;
  /** `numEnvs × actionSize`: the actions to learn from (unclipped for Gaussian policies). */
  actions: Float32Array;
  logProbs: Float32Array;
  rewards: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated: ArrayLike<number>;
  /** `numEnvs × obsSize`: the next observation, or the final one where the episode ended (normalised like `obs`). */
  nextObs: Float32Array;
}

export interface RolloutBufferOptions {
  numSteps: number;
  numEnvs: number;
  obsSize: number;
  actionSize: number;
}

export class RolloutBuffer {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly actionSize: number;
  /** Steps per full rollout: numSteps × numEnvs. */
  readonly size: number;
  readonly obs: Float32Array;
  readonly actions: Float32Array;
  readonly logProbs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** Final observations of truncated steps (other rows are unused). */
  readonly finalObs: Float32Array;
  /** The observation after the most recent step, per env (the bootstrap at the rollout's end). */
  readonly lastObs: Float32Array;
  /** Filled by {@link computeReturnsAndAdvantages}. */
  readonly values: Float32Array;
  readonly finalValues: Float32Array;
  readonly lastValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** Steps (vector-env steps) stored so far. */
  pos = 0;

  constructor(opts: RolloutBufferOptions) {
    for (const k of ['numSteps', 'numEnvs', 'obsSize', 'actionSize'] as const) {
      if (!Number.isInteger(opts[k]) || opts[k] <= 0) throw new TsgymError(`RolloutBuffer: ${k} must be a positive integer, got ${opts[k]}`);
    }
    this.numSteps = opts.numSteps;
    this.numEnvs = opts.numEnvs;
    this.obsSize = opts.obsSize;
    this.actionSize = opts.actionSize;
    const S = (this.size = opts.numSteps * opts.numEnvs);
    this.obs = new Float32Array(S * opts.obsSize);
    this.actions = new Float32Array(S * opts.actionSize);
    this.logProbs = new Float32Array(S);
    this.rewards = new Float64Array(S);
    this.terminated = new Uint8Array(S);
    this.truncated = new Uint8Array(S);
    this.finalObs = new Float32Array(S * opts.obsSize);
    this.lastObs = new Float32Array(opts.numEnvs * opts.obsSize);
    this.values = new Float32Array(S);
    this.finalValues = new Float32Array(S);
    this.lastValues = new Float32Array(opts.numEnvs);
    this.advantages = new Float32Array(S);
    this.returns = new Float32Array(S);
  }

  get full(): boolean {
    return this.pos === this.numSteps;
  }

  /** Stores one vector-env step. */
  add(step: RolloutStep): void {
    if (this.full) throw new TsgymError('RolloutBuffer.add: the buffer is full; compute advantages, train, then reset()');
    const N = this.numEnvs;
    const d = this.obsSize;
    const row = this.pos * N;
    this.obs.set(step.obs.subarray(0, N * d), row * d);
    this.actions.set(step.actions.subarray(0, N * this.actionSize), row * this.actionSize);
    this.logProbs.set(step.logProbs.subarray(0, N), row);
    for (let i = 0; i < N; i++) {
      const k = row + i;
      this.rewards[k] = step.rewards[i];
      this.terminated[k] = step.terminated[i] ? 1 : 0;
      // Terminated wins when both are set: a terminal state has no future to bootstrap from.
      this.truncated[k] = step.truncated[i] && !step.terminated[i] ? 1 : 0;
      if (this.truncated[k]) this.finalObs.set(step.nextObs.subarray(i * d, (i + 1) * d), k * d);
    }
    this.lastObs.set(step.nextObs.subarray(0, N * d));
    this.pos++;
  }

  /** Indices (rows) of the truncated steps, in order. */
  truncatedRows(): number[] {
    const rows: number[] = [];
    for (let k = 0; k < this.pos * this.numEnvs; k++) if (this.truncated[k]) rows.push(k);
    return rows;
  }

  /**
   * The observations the critic must value before {@link computeReturnsAndAdvantages}, as one batch: every
   * stored observation (`size` rows), then the final observation of each truncated step (in row order),
   * then the observation after the last step of each env (`numEnvs` rows).
   */
  valueQueries(): { obs: Float32Array; n: number } {
    if (!this.full) throw new TsgymError(`RolloutBuffer.valueQueries: the rollout is not complete (${this.pos}/${this.numSteps} steps)`);
    const d = this.obsSize;
    const trunc = this.truncatedRows();
    const n = this.size + trunc.length + this.numEnvs;
    const obs = new Float32Array(n * d);
    obs.set(this.obs);
    trunc.forEach((k, j) => obs.set(this.finalObs.subarray(k * d, (k + 1) * d), (this.size + j) * d));
    obs.set(this.lastObs, (this.size + trunc.length) * d);
    return { obs, n };
  }

  /**
   * Given the critic's values of {@link valueQueries} (same order), fills `values`, `finalValues`,
   * `lastValues`, and then `advantages` and `returns` by {@link computeGae}.
   */
  computeReturnsAndAdvantages(queryValues: ArrayLike<number>, gamma: number, lambda: number): void {
    const trunc = this.truncatedRows();
    const expected = this.size + trunc.length + this.numEnvs;
    if (queryValues.length !== expected) throw new TsgymError(`RolloutBuffer: expected ${expected} values (see valueQueries), got ${queryValues.length}`);
    for (let k = 0; k < this.size; k++) this.values[k] = queryValues[k];
    this.finalValues.fill(0);
    trunc.forEach((k, j) => (this.finalValues[k] = queryValues[this.size + j]));
    for (let i = 0; i < this.numEnvs; i++) this.lastValues[i] = queryValues[this.size + trunc.length + i];
    computeGae({
      numSteps: this.numSteps,
      numEnvs: this.numEnvs,
      rewards: this.rewards,
      values: this.values,
      terminated: this.terminated,
      truncated: this.truncated,
      finalValues: this.finalValues,
      lastValues: this.lastValues,
      gamma,
      lambda,
      advantages: this.advantages,
      returns: this.returns,
    });
  }

  reset(): void {
    this.pos = 0;
  }

  /** The stored steps (and position) for a checkpoint; values and advantages are recomputed from them. */
  getState(prefix = 'rollout'): { json: { pos: number }; blobs: Record<string, Uint8Array> } {
    const bytes = (a: Uint8Array) => Uint8Array.from(a);
    return {
      json: { pos: this.pos },
      blobs: {
        [`${prefix}.obs`]: floatsToBlob(this.obs),
        [`${prefix}.actions`]: floatsToBlob(this.actions),
        [`${prefix}.logProbs`]: floatsToBlob(this.logProbs),
        [`${prefix}.rewards`]: new Uint8Array(this.rewards.buffer.slice(0)),
        [`${prefix}.terminated`]: bytes(this.terminated),
        [`${prefix}.truncated`]: bytes(this.truncated),
        [`${prefix}.finalObs`]: floatsToBlob(this.finalObs),
        [`${prefix}.lastObs`]: floatsToBlob(this.lastObs),
      },
    };
  }

  setState(json: { pos: number }, blobs: Record<string, Uint8Array>, prefix = 'rollout'): void {
    const put = (dst: Float32Array, name: string) => {
      const src = blobToFloats(blobs[`${prefix}.${name}`], `${prefix}.${name}`);
      if (src.length !== dst.length) throw new TsgymError(`checkpoint blob '${prefix}.${name}' has ${src.length} values, this buffer needs ${dst.length} (different numSteps/numEnvs?)`);
      dst.set(src);
    };
    const putBytes = (dst: Uint8Array, name: string) => {
      const src = blobs[`${prefix}.${name}`];
      if (!src || src.length !== dst.length) throw new TsgymError(`checkpoint blob '${prefix}.${name}' is missing or has the wrong size`);
      dst.set(src);
    };
    if (!Number.isInteger(json.pos) || json.pos < 0 || json.pos > this.numSteps) throw new TsgymError(`checkpoint rollout position ${json.pos} is out of range 0..${this.numSteps}`);
    put(this.obs, 'obs');
    put(this.actions, 'actions');
    put(this.logProbs, 'logProbs');
    const r = blobs[`${prefix}.rewards`];
    if (!r || r.byteLength !== this.rewards.byteLength) throw new TsgymError(`checkpoint blob '${prefix}.rewards' is missing or has the wrong size`);
    this.rewards.set(new Float64Array(Uint8Array.from(r).buffer));
    putBytes(this.terminated, 'terminated');
    putBytes(this.truncated, 'truncated');
    put(this.finalObs, 'finalObs');
    put(this.lastObs, 'lastObs');
    this.pos = json.pos;
  }
}
