/**
 * Wrappers change one aspect of an env and forward the rest. `make` applies OrderEnforcing and TimeLimit;
 * the others are opt-in: `new RecordEpisodeStatistics(make('CartPole-v1'))`.
 */
import { ResetNeededError, describeValue } from './core.js';
import { TsgymError } from '../core/errors.js';
import type { Action, Env, EnvSpec, RenderState, ResetArgs, ResetResult, StepResult } from './core.js';
import { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';
import { Box, type Space } from './spaces.js';

export class Wrapper<O = Float32Array, A = Action> implements Env<O, A> {
  constructor(readonly env: Env<O, A>) {}

  get observationSpace(): Space {
    return this.env.observationSpace;
  }
  get actionSpace(): Space {
    return this.env.actionSpace;
  }
  get spec(): EnvSpec | undefined {
    return this.env.spec;
  }
  set spec(s: EnvSpec | undefined) {
    this.env.spec = s;
  }
  get unwrapped(): Env<O, A> {
    return this.env.unwrapped;
  }
  reset(args?: ResetArgs): ResetResult<O> {
    return this.env.reset(args);
  }
  step(action: A): StepResult<O> {
    return this.env.step(action);
  }
  renderState(): RenderState {
    return this.env.renderState();
  }
  close(): void {
    this.env.close();
  }
  getState(): unknown {
    if (!this.env.getState) throw new Error(`${this.spec?.id ?? 'env'} does not implement getState(), so it cannot be checkpointed`);
    return { inner: this.env.getState(), own: this.ownState() };
  }
  setState(state: unknown): void {
    const id = this.spec?.id ?? 'env';
    if (!this.env.setState) throw new Error(`${id} does not implement setState(), so it cannot be restored`);
    if (state === null || typeof state !== 'object' || !('inner' in state) || !('own' in state)) {
      throw new TsgymError(`${id}: setState() needs the {inner, own} snapshot that ${this.constructor.name}.getState() returns, got ${describeValue(state)}`);
    }
    const s = state as { inner: unknown; own: unknown };
    // The wrapper's own part is checked first, so a refused snapshot changes nothing.
    this.checkOwnState(id, s.own);
    this.env.setState(s.inner);
    this.restoreOwnState(s.own);
  }
  /** Throws a TsgymError naming the env unless `state` is a valid own state of this wrapper. */
  protected checkOwnState(_id: string, _state: unknown): void {}
  /** A wrapper's own resumable state (counters); most wrappers have none. */
  protected ownState(): unknown {
    return null;
  }
  protected restoreOwnState(_state: unknown): void {}
}

/** Truncates the episode after `maxEpisodeSteps` steps (`truncated: true`; `terminated` is left as the env set it). */
export class TimeLimit<O = Float32Array, A = Action> extends Wrapper<O, A> {
  private elapsed = 0;

  constructor(env: Env<O, A>, readonly maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new RangeError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    this.elapsed = 0;
    return this.env.reset(args);
  }

  protected override ownState(): unknown {
    return this.elapsed;
  }
  protected override checkOwnState(id: string, state: unknown): void {
    if (typeof state !== 'number' || !Number.isInteger(state) || state < 0 || state > this.maxEpisodeSteps) {
      throw new TsgymError(`${id}: setState(): the time limit's step count must be an integer in [0, ${this.maxEpisodeSteps}], got ${describeValue(state)}`);
    }
  }
  protected override restoreOwnState(state: unknown): void {
    this.elapsed = state as number;
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    if (++this.elapsed >= this.maxEpisodeSteps) r.truncated = true;
    return r;
  }
}

/** Rejects `step` before the first `reset` and after the episode ended, with an error that says to call reset. */
export class OrderEnforcing<O = Float32Array, A = Action> extends Wrapper<O, A> {
  private state: 'new' | 'running' | 'ended' = 'new';

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    this.state = 'running';
    return r;
  }

  override step(action: A): StepResult<O> {
    if (this.state !== 'running') {
      const id = this.spec?.id ?? 'env';
      throw new ResetNeededError(
        this.state === 'new'
          ? `${id}: step() called before reset(); call env.reset() first`
          : `${id}: step() called after the episode ended (terminated or truncated); call env.reset() to start a new episode`,
      );
    }
    const r = this.env.step(action);
    if (r.terminated || r.truncated) this.state = 'ended';
    return r;
  }

  protected override ownState(): unknown {
    return this.state;
  }
  protected override checkOwnState(id: string, state: unknown): void {
    if (state !== 'new' && state !== 'running' && state !== 'ended') throw new TsgymError(`${id}: setState(): the episode state must be 'new', 'running' or 'ended', got ${describeValue(state)}`);
  }
  protected override restoreOwnState(state: unknown): void {
    this.state = state as 'new' | 'running' | 'ended';
  }

  /** Whether the last episode has ended (or none started). */
  get needsReset(): boolean {
    return this.state !== 'running';
  }
}

export interface EpisodeStatistics {
  /** Return (sum of rewards). */
  r: number;
  /** Length in steps. */
  l: number;
  /** Wall-clock seconds since the wrapper was created. */
  t: number;
}

/** On the last step of an episode, adds `info.episode = {r, l, t}`, and keeps the recent ones in `returnQueue`/`lengthQueue`. */
export class RecordEpisodeStatistics<O = Float32Array, A = Action> extends Wrapper<O, A> {
  private episodeReturn = 0;
  private episodeLength = 0;
  private readonly start = performance.now();
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];

  constructor(env: Env<O, A>, readonly bufferLength = 100) {
    super(env);
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return this.env.reset(args);
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength++;
    if (r.terminated || r.truncated) {
      const episode: EpisodeStatistics = { r: this.episodeReturn, l: this.episodeLength, t: (performance.now() - this.start) / 1000 };
      r.info = { ...r.info, episode };
      this.returnQueue.push(episode.r);
      this.lengthQueue.push(episode.l);
      if (this.returnQueue.length > this.bufferLength) {
        this.returnQueue.shift();
        this.lengthQueue.shift();
      }
    }
    return r;
  }
}

/**
 * Normalises Box observations to roughly zero mean and unit variance with running statistics, updated on
 * every observation while `training` is true. Freeze it (`training = false`) for evaluation, and carry
 * its statistics with `stats.getState()`/`stats.setState()` (they are also part of `getState()`).
 */
export class NormalizeObservation<A = Action> extends Wrapper<Float32Array, A> {
  readonly stats: RunningMeanStd;
  training = true;

  constructor(env: Env<Float32Array, A>, readonly clip = Infinity, readonly epsilon = 1e-8) {
    super(env);
    const space = env.observationSpace;
    if (!(space instanceof Box)) throw new TypeError('NormalizeObservation needs a Box observation space');
    this.stats = new RunningMeanStd(space.size);
  }

  override get observationSpace(): Space {
    const size = (this.env.observationSpace as Box).size;
    return new Box(-this.clip, this.clip, [...this.env.observationSpace.shape].length ? this.env.observationSpace.shape : [size]);
  }

  private norm(obs: Float32Array): Float32Array {
    if (this.training) this.stats.update(obs, 1);
    return this.stats.normalize(obs, new Float32Array(obs.length), this.clip, this.epsilon);
  }

  override reset(args?: ResetArgs): ResetResult<Float32Array> {
    const r = this.env.reset(args);
    return { obs: this.norm(r.obs), info: r.info };
  }

  override step(action: A): StepResult<Float32Array> {
    const r = this.env.step(action);
    r.obs = this.norm(r.obs);
    return r;
  }

  /** The running statistics travel with the env state (checkpoints), and alone via `stats.getState()`. */
  protected override ownState(): unknown {
    return { stats: this.stats.getState(), training: this.training };
  }
  protected override checkOwnState(id: string, state: unknown): void {
    const s = state as { stats?: RunningMeanStdState; training?: unknown } | null;
    const size = this.stats.mean.length;
    const finite = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!s || typeof s !== 'object' || typeof s.training !== 'boolean' || !s.stats || !finite(s.stats.mean, size) || !finite(s.stats.var, size) || !(typeof s.stats.count === 'number' && s.stats.count >= 0)) {
      throw new TsgymError(`${id}: setState(): NormalizeObservation needs {stats: {mean, var: ${size} finite numbers each, count}, training}, got ${describeValue(state)}`);
    }
  }
  protected override restoreOwnState(state: unknown): void {
    const s = state as { stats: RunningMeanStdState; training: boolean };
    this.stats.setState(s.stats);
    this.training = s.training;
  }
}

/** One recorded step: the action taken, what it earned, and the frame after it. */
export interface RecordedStep<A = Action> {
  action: A;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  state: RenderState;
  /** Agent outputs for this step, e.g. `{ qValues: [...] }` or `{ probs: [...] }`. */
  extras?: Record<string, unknown>;
}

/** A whole episode as the Recorder hook hands it over (the replay module turns it into a file). */
export interface RecordedEpisode<A = Action> {
  envId: string;
  envOptions: Record<string, unknown>;
  seed: number | undefined;
  resetOptions: Record<string, unknown> | undefined;
  initialState: RenderState;
  steps: RecordedStep<A>[];
  return: number;
  length: number;
}

/**
 * The episode Recorder hook: records `renderState()` after reset and after every step, and calls
 * `onEpisode` when an episode ends. `annotate(extras)` attaches agent outputs (Q-values, action
 * probabilities) to the next step.
 */
export class RecordEpisode<O = Float32Array, A = Action> extends Wrapper<O, A> {
  private current: RecordedEpisode<A> | undefined;
  private pendingExtras: Record<string, unknown> | undefined;

  constructor(env: Env<O, A>, readonly onEpisode: (episode: RecordedEpisode<A>) => void) {
    super(env);
  }

  annotate(extras: Record<string, unknown>): void {
    this.pendingExtras = extras;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    this.current = {
      envId: this.spec?.id ?? 'unknown',
      envOptions: { ...(this.spec?.kwargs ?? {}) },
      seed: args?.seed,
      resetOptions: args?.options,
      initialState: this.env.renderState(),
      steps: [],
      return: 0,
      length: 0,
    };
    return r;
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    const ep = this.current;
    if (ep) {
      const stored = (ArrayBuffer.isView(action) ? (Array.from(action as unknown as Float32Array) as unknown) : action) as A;
      ep.steps.push({ action: stored, reward: r.reward, terminated: r.terminated, truncated: r.truncated, state: this.env.renderState(), ...(this.pendingExtras ? { extras: this.pendingExtras } : {}) });
      ep.return += r.reward;
      ep.length++;
      if (r.terminated || r.truncated) {
        this.current = undefined;
        this.onEpisode(ep);
      }
    }
    this.pendingExtras = undefined;
    return r;
  }
}
