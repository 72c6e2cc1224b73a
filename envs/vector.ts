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
import { assertAction, TsgymError } from './core.js';
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
    if (!Number.isInteger(numEnvs) || numEnvs <= 0) throw new TsgymError(`vector env: numEnvs must be a positive integer, got ${numEnvs}`);
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
    for (let i = 0; i < this.numEnvs; i++) {
      let action: Action;
      if (discrete) action = actions[i];
      else {
        const buf = this.actionBuf[i];
        for (let k = 0; k < this.actionSize; k++) buf[k] = actions[i * this.actionSize + k];
        action = buf;
      }
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
    const st = s as { started: boolean; obs: number[]; runningReturns: number[]; runningLengths: number[]; envs: unknown[] };
    this.started = st.started;
    this.obs.set(st.obs);
    this.runningReturns.set(st.runningReturns);
    this.runningLengths.set(st.runningLengths);
    st.envs.forEach((es, i) => this.envs[i].setState!(es));
  }

  close(): void {
    for (const e of this.envs) e.close();
  }
}

/** Validates one discrete action of a batch (shared by batched env kernels). */
export function assertVectorAction(id: string, space: Space, action: number, i: number): void {
  try {
    assertAction(id, space, action);
  } catch (e) {
    throw new TsgymError(`${(e as Error).message} (vector env index ${i})`);
  }
}

/** The seed of each env for a vector reset: `base + i`, the given list, or none (continue each stream). */
export function perEnvSeeds(envId: string, n: number, seed: number | readonly number[] | undefined): number[] | undefined {
  if (seed === undefined) return undefined;
  if (typeof seed === 'number') return Array.from({ length: n }, (_, i) => seed + i);
  if (seed.length !== n) throw new TsgymError(`${envId}: reset got ${seed.length} seeds for ${n} envs; pass one seed per env or a single base seed`);
  const bad = seed.find((x) => !Number.isInteger(x));
  if (bad !== undefined) throw new TsgymError(`${envId}: reset seeds must be integers, got ${bad}`);
  return [...seed];
}
