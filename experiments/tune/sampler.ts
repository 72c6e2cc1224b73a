/**
 * Samplers with Optuna's ask-and-tell shape: `ask()` proposes the next trial's parameters, `tell()` reports
 * how it went. The objective is maximised.
 *
 * ```ts
 * const sampler = createSampler('tpe', space, { seed: 0 });
 * const { id, params } = sampler.ask();
 * sampler.tell(id, score);            // or 'pruned' (with its last intermediate value) or 'failed'
 * ```
 *
 * Deterministic: trial i's draws come from a stream seeded by a hash of (sampler seed, i) (core/seeds.ts), so
 * the same seed and the same history (which trials were asked, what was told before each ask) give the same
 * asks, whatever the process or the order of unrelated calls. A sampler can be rebuilt from a recorded
 * history (`history`).
 *
 * TPE (Bergstra et al. 2011, with Optuna's defaults):
 * - the first 10 trials (counting complete and pruned ones) are drawn uniformly;
 * - then the finished trials are split: the best γ(n) = min(⌈0.1·n⌉, 25) of the n finished ones form the
 *   "good" group, the rest (and the trials still running, so parallel workers spread out: Optuna's
 *   "constant liar") the "bad" one. Complete trials rank by value; pruned ones rank after every complete
 *   one, those that got further (then those with the higher last intermediate value) first, as Optuna does
 *   with a pruned trial's last reported value; failed trials are left out;
 * - a Parzen estimator l(x) is fitted to the good group and g(x) to the bad one (see parzen.ts), 24
 *   candidates are drawn from l, and the one with the largest log l(x) − log g(x) (the expected-improvement
 *   ratio) is proposed.
 * `multivariate: true` (the default, as Optuna's TPESampler for one objective) fits one joint estimator over
 * every parameter, so a candidate keeps the combination a good trial had; `multivariate: false` fits and
 * picks each parameter on its own (Bergstra et al.'s original, independent TPE).
 */
import { TsgymError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { streamSeed, validateSeed } from '../../core/seeds.js';
import { ParzenEstimator, type InternalValue } from './parzen.js';
import { checkParams, sampleUniform, validateSpace, type Params, type SearchSpace } from './space.js';

export type SamplerKind = 'tpe' | 'random';
export const SAMPLER_KINDS: readonly SamplerKind[] = ['tpe', 'random'];

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

/** The last intermediate value a pruned trial reported. */
export interface IntermediateValue {
  step: number;
  value: number;
}

/** One trial as the sampler knows it. */
export interface SamplerTrial {
  id: number;
  params: Params;
  state: TrialState;
  /** The objective (complete trials). */
  value?: number;
  /** The last intermediate value (pruned trials, when known). */
  last?: IntermediateValue;
}

export interface TpeOptions {
  /** Trials drawn uniformly before TPE starts (complete + pruned ones count). Default 10. */
  startupTrials?: number;
  /** Candidates drawn from l(x) per proposal. Default 24. */
  eiCandidates?: number;
  /** One joint estimator over all parameters (true, the default) or one per parameter. */
  multivariate?: boolean;
}

export interface SamplerOptions extends TpeOptions {
  seed: number;
  /** Trials already run (e.g. read back from a study's file), in id order from 0. */
  history?: readonly SamplerTrial[];
}

export interface Sampler {
  readonly kind: SamplerKind;
  readonly space: SearchSpace;
  /** The next trial: a fresh id (0, 1, 2, …) and its parameters. It counts as running until told. */
  ask(): { id: number; params: Params };
  /**
   * How trial `id` ended: its objective value (higher is better), 'pruned' (with its last intermediate value
   * when there was one) or 'failed' (ignored from then on).
   */
  tell(id: number, outcome: number | 'pruned' | 'failed', last?: IntermediateValue): void;
  /** Every trial so far, in id order (copies). */
  trials(): SamplerTrial[];
}

/** A sampler of the given kind over `space`, seeded by `options.seed`. */
export function createSampler(kind: SamplerKind, space: SearchSpace, options: SamplerOptions): Sampler {
  if (kind !== 'tpe' && kind !== 'random') throw new TsgymError(`unknown sampler '${String(kind)}'; use ${SAMPLER_KINDS.join(' or ')}`);
  validateSeed(options?.seed, 'sampler seed');
  return kind === 'tpe' ? new TpeSampler(validateSpace(space), options) : new RandomSampler(validateSpace(space), options);
}

abstract class BaseSampler implements Sampler {
  abstract readonly kind: SamplerKind;
  protected readonly history: SamplerTrial[] = [];

  constructor(
    readonly space: SearchSpace,
    protected readonly seed: number,
    history: readonly SamplerTrial[] = [],
  ) {
    history.forEach((t, i) => {
      if (t.id !== i) throw new TsgymError(`sampler history: trial ${i} has id ${t.id}; trials must be numbered 0, 1, 2, … in order`);
      checkParams(space, t.params, `sampler history: trial ${i}`);
      if (t.state === 'complete' && !Number.isFinite(t.value)) throw new TsgymError(`sampler history: complete trial ${i} has no finite value`);
      this.history.push(copyTrial(t));
    });
  }

  ask(): { id: number; params: Params } {
    const id = this.history.length;
    const params = this.propose(id);
    this.history.push({ id, params, state: 'running' });
    return { id, params: { ...params } };
  }

  tell(id: number, outcome: number | 'pruned' | 'failed', last?: IntermediateValue): void {
    const trial = this.history[id];
    if (!trial) throw new TsgymError(`tell: no trial ${id} was asked (${this.history.length} so far)`);
    if (trial.state !== 'running') throw new TsgymError(`tell: trial ${id} was already told (${trial.state})`);
    if (typeof outcome === 'number') {
      if (!Number.isFinite(outcome)) throw new TsgymError(`tell: trial ${id}'s value must be a finite number, got ${outcome}; tell 'failed' for a run that produced no score`);
      trial.state = 'complete';
      trial.value = outcome;
    } else if (outcome === 'pruned') {
      trial.state = 'pruned';
      if (last !== undefined) {
        if (!Number.isFinite(last.step)) throw new TsgymError(`tell: trial ${id}'s last intermediate step must be a number, got ${last.step}`);
        trial.last = { step: last.step, value: last.value };
      }
    } else if (outcome === 'failed') {
      trial.state = 'failed';
    } else {
      throw new TsgymError(`tell: outcome must be a number, 'pruned' or 'failed', got ${String(outcome)}`);
    }
  }

  trials(): SamplerTrial[] {
    return this.history.map(copyTrial);
  }

  protected abstract propose(id: number): Params;

  protected uniform(id: number): Params {
    const rng = new Rng(streamSeed(this.seed, 'tune-random', id));
    const params: Params = {};
    for (const [key, d] of Object.entries(this.space)) params[key] = sampleUniform(d, rng);
    return params;
  }
}

function copyTrial(t: SamplerTrial): SamplerTrial {
  return { ...t, params: { ...t.params }, ...(t.last ? { last: { ...t.last } } : {}) };
}

class RandomSampler extends BaseSampler {
  readonly kind = 'random' as const;

  constructor(space: SearchSpace, options: SamplerOptions) {
    super(space, options.seed, options.history);
  }

  protected propose(id: number): Params {
    return this.uniform(id);
  }
}

/** γ(n): how many of n finished trials form the good group. */
export function goodCount(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Splits the finished and running trials into the good group (best `nGood`: complete ones by value, then
 * pruned ones by how far they got) and the rest; both in id order. Failed trials are in neither.
 */
export function splitTrials(trials: readonly SamplerTrial[], nGood: number): { good: SamplerTrial[]; bad: SamplerTrial[] } {
  const byId = (a: SamplerTrial, b: SamplerTrial) => a.id - b.id;
  const complete = trials.filter((t) => t.state === 'complete').sort((a, b) => b.value! - a.value! || a.id - b.id);
  // Pruned: further is better; at the same step, the higher last value; no intermediate value at all is last.
  const pruneRank = (t: SamplerTrial): [number, number] => (t.last ? [-t.last.step, Number.isNaN(t.last.value) ? Infinity : -t.last.value] : [1, 0]);
  const pruned = trials
    .filter((t) => t.state === 'pruned')
    .sort((a, b) => {
      const [ra, rb] = [pruneRank(a), pruneRank(b)];
      return ra[0] - rb[0] || ra[1] - rb[1] || a.id - b.id;
    });
  const goodComplete = complete.slice(0, nGood);
  const goodPruned = pruned.slice(0, Math.max(0, nGood - goodComplete.length));
  const good = [...goodComplete, ...goodPruned].sort(byId);
  const bad = [...complete.slice(goodComplete.length), ...pruned.slice(goodPruned.length), ...trials.filter((t) => t.state === 'running')].sort(byId);
  return { good, bad };
}

class TpeSampler extends BaseSampler {
  readonly kind = 'tpe' as const;
  private readonly startupTrials: number;
  private readonly eiCandidates: number;
  private readonly multivariate: boolean;

  constructor(space: SearchSpace, options: SamplerOptions) {
    super(space, options.seed, options.history);
    this.startupTrials = options.startupTrials ?? 10;
    this.eiCandidates = options.eiCandidates ?? 24;
    this.multivariate = options.multivariate ?? true;
    if (!Number.isInteger(this.startupTrials) || this.startupTrials < 0) throw new TsgymError(`tpe: startupTrials must be a non-negative integer, got ${this.startupTrials}`);
    if (!Number.isInteger(this.eiCandidates) || this.eiCandidates < 1) throw new TsgymError(`tpe: eiCandidates must be a positive integer, got ${this.eiCandidates}`);
  }

  protected propose(id: number): Params {
    const finished = this.history.filter((t) => t.state === 'complete' || t.state === 'pruned').length;
    if (finished < this.startupTrials) return this.uniform(id);
    const { good, bad } = splitTrials(this.history, goodCount(finished));
    const keys = Object.keys(this.space);
    const groups = this.multivariate ? [keys] : keys.map((k) => [k]);
    const params: Params = {};
    for (const group of groups) {
      const rng = new Rng(streamSeed(this.seed, this.multivariate ? 'tune-tpe' : `tune-tpe/${group[0]}`, id));
      const best = this.proposeGroup(group, good, bad, rng);
      group.forEach((key, j) => (params[key] = this.external(key, best[j])));
    }
    return params;
  }

  /** The candidate from l(x) with the largest log l(x) − log g(x), over the parameters `keys`. */
  private proposeGroup(keys: string[], good: SamplerTrial[], bad: SamplerTrial[], rng: Rng): InternalValue[] {
    const dists = keys.map((k) => this.space[k]);
    const observe = (ts: SamplerTrial[]) => ts.map((t) => keys.map((k) => this.internal(k, t.params[k])));
    const below = new ParzenEstimator(dists, observe(good));
    const above = new ParzenEstimator(dists, observe(bad));
    const candidates = below.sample(rng, this.eiCandidates);
    const lBelow = below.logPdf(candidates);
    const lAbove = above.logPdf(candidates);
    let best = 0;
    for (let i = 1; i < candidates.length; i++) if (lBelow[i] - lAbove[i] > lBelow[best] - lAbove[best]) best = i;
    return candidates[best];
  }

  private internal(key: string, value: Params[string]): InternalValue {
    const d = this.space[key];
    return d.type === 'categorical' ? d.choices.indexOf(value) : (value as number);
  }

  private external(key: string, value: InternalValue): Params[string] {
    const d = this.space[key];
    return d.type === 'categorical' ? d.choices[value] : value;
  }
}
