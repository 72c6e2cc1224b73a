/**
 * Vector envs: N copies of one env stepped in a single call over preallocated, row-major typed arrays
 * (structure of arrays), so an agent acts on all of them with one batched forward pass.
 *
 * ## Autoreset: SAME_STEP
 * When env i's episode ends inside `step()`, it is reset in that same call (Gymnasium's `SAME_STEP` mode):
 * - `obs` row i already holds the first observation of the next episode;
 * - `finalObs` row i holds the last observation of the episode that just ended;
 * - `terminated[i]` / `truncated[i]` say how it ended, `rewards[i]` is its last reward, and
 *   `episodeReturns[i]` / `episodeLengths[i]` summarise it.
 * An agent stores `(obs_t, a_t, r_t, finalObs or obs_{t+1}, terminated, truncated)`: it bootstraps from
 * `finalObs` on truncation, and not at all on termination. Rows of `finalObs`, `episodeReturns` and
 * `episodeLengths` whose env did not finish on this step are stale and must not be read.
 *
 * ## Seeding
 * `reset({seed})` seeds env i with `seed + i` (so env i matches a single env reset with that seed);
 * `reset({seed: [s0, s1, …]})` gives env i seed `s_i` (as Gymnasium's vector reset; the trainer passes
 * hashed per-env seeds from core/seeds.ts). An unseeded first reset uses seed 0. Autoresets continue each
 * env's own stream.
 */
import { assertAction, describeValue } from './core.js';
import { TsgymError } from '../core/errors.js';
import { StateReader } from './state-check.js';
import type { Action, Env, EnvSpec, RenderState } from './core.js';
import { Box, type Space } from './spaces.js';

export interface VectorResetArgs {
  /** One base seed (env i gets `seed + i`) or one seed per env. */
  seed?: number | readonly number[];
  options?: Record<string, unknown>;
}

export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  /** Floats per observation row. */
  readonly obsSize: number;
  /** Numbers per action row: 1 for Discrete, the box size for Box. */
  readonly actionSize: number;
  readonly spec: EnvSpec;
  readonly obs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObs: Float32Array;
  readonly episodeReturns: Float64Array;
  readonly episodeLengths: Int32Array;
  reset(args?: VectorResetArgs): Float32Array;
  /** `actions` holds `numEnvs × actionSize` numbers (integers for Discrete). */
  step(actions: ArrayLike<number>): void;
  renderState(i: number): RenderState;
  close(): void;
  /** Snapshot / restore of every env, its stream and the episode counters (for exact resume). */
  getState(): unknown;
  setState(state: unknown): void;
}

/** Buffers every vector env shares; implementations extend it. */
export abstract class VectorEnvBase {
  readonly obs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObs: Float32Array;
  readonly episodeReturns: Float64Array;
  readonly episodeLengths: Int32Array;
  /** Running return and length of each env's current episode. */
  protected readonly runningReturns: Float64Array;
  protected readonly runningLengths: Int32Array;
  protected started = false;

  constructor(readonly numEnvs: number, readonly obsSize: number) {
    checkNumEnvs('vector env', numEnvs);
    this.obs = new Float32Array(numEnvs * obsSize);
    this.finalObs = new Float32Array(numEnvs * obsSize);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeReturns = new Float64Array(numEnvs);
    this.episodeLengths = new Int32Array(numEnvs);
    this.runningReturns = new Float64Array(numEnvs);
    this.runningLengths = new Int32Array(numEnvs);
  }

  protected checkStarted(id: string): void {
    if (!this.started) throw new TsgymError(`${id} (vector): step() called before reset(); call reset() first`);
  }

  protected checkActions(id: string, actions: ArrayLike<number>, expected: number): void {
    if (!actions || typeof actions.length !== 'number' || actions.length !== expected) {
      throw new TsgymError(`${id} (vector): step() needs ${expected} action values (numEnvs × actionSize), got ${actions?.length}`);
    }
  }

  /** Book-keeping after env i produced (reward, done); returns whether the episode ended. */
  protected account(i: number, reward: number, terminated: boolean, truncated: boolean): boolean {
    this.rewards[i] = reward;
    this.terminated[i] = terminated ? 1 : 0;
    this.truncated[i] = truncated ? 1 : 0;
    this.runningReturns[i] += reward;
    this.runningLengths[i]++;
    if (!(terminated || truncated)) return false;
    this.episodeReturns[i] = this.runningReturns[i];
    this.episodeLengths[i] = this.runningLengths[i];
    this.runningReturns[i] = 0;
    this.runningLengths[i] = 0;
    return true;
  }

  protected clearEpisodeStats(): void {
    this.runningReturns.fill(0);
    this.runningLengths.fill(0);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
  }
}

/** The generic vector env: N env instances (e.g. from `make`) stepped one after another. */
export class SyncVectorEnv extends VectorEnvBase implements VectorEnv {
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  readonly actionSize: number;
  readonly spec: EnvSpec;
  private readonly actionBuf: Float32Array[];

  constructor(readonly envs: Env<Float32Array, Action>[]) {
    const first = envs[0];
    if (!first) throw new TsgymError('SyncVectorEnv needs at least one env');
    const obsSpace = first.observationSpace;
    if (!(obsSpace instanceof Box)) throw new TsgymError(`SyncVectorEnv: ${first.spec?.id} has a ${obsSpace.type} observation space; vector envs need Box observations`);
    super(envs.length, obsSpace.size);
    this.singleObservationSpace = obsSpace;
    this.singleActionSpace = first.actionSpace;
    this.actionSize = this.singleActionSpace.type === 'Discrete' ? 1 : this.singleActionSpace.size;
    this.spec = first.spec ?? { id: first.constructor.name, kwargs: {} };
    this.actionBuf = envs.map(() => new Float32Array(this.actionSize));
  }

  reset(args: VectorResetArgs = {}): Float32Array {
    const seeds = perEnvSeeds(this.spec.id, this.numEnvs, args.seed ?? (this.started ? undefined : 0));
    for (let i = 0; i < this.numEnvs; i++) {
      const r = this.envs[i].reset({ seed: seeds?.[i], options: args.options });
      this.obs.set(r.obs, i * this.obsSize);
    }
    this.clearEpisodeStats();
    this.started = true;
    return this.obs;
  }

  step(actions: ArrayLike<number>): void {
    this.checkStarted(this.spec.id);
    this.checkActions(this.spec.id, actions, this.numEnvs * this.actionSize);
    const discrete = this.singleActionSpace.type === 'Discrete';
    // Every action is checked before any env steps, so a bad one leaves the whole batch untouched.
    if (discrete) assertDiscreteActions(this.spec.id, this.singleActionSpace, actions, this.numEnvs);
    else {
      for (let i = 0; i < this.numEnvs; i++) {
        const buf = this.actionBuf[i];
        for (let k = 0; k < this.actionSize; k++) buf[k] = actions[i * this.actionSize + k];
        if (!this.singleActionSpace.contains(buf)) assertVectorAction(this.spec.id, this.singleActionSpace, buf, i);
      }
    }
    for (let i = 0; i < this.numEnvs; i++) {
      const action: Action = discrete ? actions[i] : this.actionBuf[i];
      const env = this.envs[i];
      const r = env.step(action);
      if (this.account(i, r.reward, r.terminated, r.truncated)) {
        this.finalObs.set(r.obs, i * this.obsSize);
        this.obs.set(env.reset().obs, i * this.obsSize);
      } else {
        this.obs.set(r.obs, i * this.obsSize);
      }
    }
  }

  renderState(i: number): RenderState {
    return this.envs[i].renderState();
  }

  getState(): unknown {
    return {
      kind: 'SyncVector',
      started: this.started,
      obs: Array.from(this.obs),
      runningReturns: Array.from(this.runningReturns),
      runningLengths: Array.from(this.runningLengths),
      envs: this.envs.map((e) => {
        if (!e.getState) throw new TsgymError(`${this.spec.id} does not implement getState(), so this run cannot be checkpointed`);
        return e.getState();
      }),
    };
  }

  setState(s: unknown): void {
    const id = `${this.spec.id} (vector of ${this.numEnvs})`;
    const r = new StateReader(id, 'SyncVector', s);
    const started = r.bool('started');
    const obs = r.numbers('obs', this.numEnvs * this.obsSize);
    const runningReturns = r.numbers('runningReturns', this.numEnvs);
    const runningLengths = r.numbers('runningLengths', this.numEnvs, { integer: true, min: 0 });
    const envStates = r.array('envs', this.numEnvs);
    // Each env checks its own snapshot; if one refuses, the envs restored before it are put back.
    const before = this.envs.map((e) => e.getState?.());
    try {
      envStates.forEach((es, i) => {
        const env = this.envs[i];
        if (!env.setState) throw new TsgymError(`${this.spec.id} does not implement setState(), so it cannot be restored`);
        try {
          env.setState(es);
        } catch (e) {
          throw e instanceof TsgymError ? new TsgymError(`${(e as Error).message} (vector env index ${i})`) : e;
        }
      });
    } catch (e) {
      this.envs.forEach((env, i) => (before[i] !== undefined ? env.setState?.(before[i]) : undefined));
      throw e;
    }
    this.started = started;
    this.obs.set(obs);
    this.runningReturns.set(runningReturns);
    this.runningLengths.set(runningLengths);
  }

  close(): void {
    for (const e of this.envs) e.close();
  }
}

/** Throws the env's invalid-action error for action `action` of env `i` of a batch. */
export function assertVectorAction(id: string, space: Space, action: unknown, i: number): void {
  try {
    assertAction(id, space, action);
  } catch (e) {
    throw new TsgymError(`${(e as Error).message} (vector env index ${i}; no env was stepped)`);
  }
}

/**
 * The pre-pass every vector `step` runs before stepping any env: each of the `n` discrete actions must be in
 * `space`; the first that is not throws, naming its index. Batched kernels call it (or inline the cheap
 * test and call it on failure) so that one bad action leaves the whole batch untouched.
 */
export function assertDiscreteActions(id: string, space: Space, actions: ArrayLike<number>, n: number): void {
  for (let i = 0; i < n; i++) {
    if (!space.contains(actions[i])) assertVectorAction(id, space, actions[i], i);
  }
}

/** The one check of a vector env's size, shared by `makeVec` and every vector env constructor. */
export function checkNumEnvs(id: string, numEnvs: unknown): asserts numEnvs is number {
  if (typeof numEnvs !== 'number' || !Number.isInteger(numEnvs) || numEnvs <= 0) {
    throw new TsgymError(`${id}: the number of vector envs must be a positive integer, got ${describeValue(numEnvs)}`);
  }
}

/** The seed of each env for a vector reset: `base + i`, the given list, or none (continue each stream). */
export function perEnvSeeds(envId: string, n: number, seed: number | readonly number[] | undefined): number[] | undefined {
  if (seed === undefined) return undefined;
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new TsgymError(`${envId} (vector): reset seed must be an integer, got ${describeValue(seed)}`);
    return Array.from({ length: n }, (_, i) => seed + i);
  }
  if (!Array.isArray(seed)) throw new TsgymError(`${envId} (vector): reset seed must be an integer or a list of integers, got ${describeValue(seed)}`);
  if (seed.length !== n) throw new TsgymError(`${envId}: reset got ${seed.length} seeds for ${n} envs; pass one seed per env or a single base seed`);
  const bad = seed.find((x) => !Number.isInteger(x));
  if (bad !== undefined) throw new TsgymError(`${envId}: reset seeds must be integers, got ${bad}`);
  return [...seed];
}
