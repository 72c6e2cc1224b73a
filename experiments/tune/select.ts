/**
 * Choosing the winner of a study without trusting the study's own scores: the best trials were selected on
 * the study's seeds, so their scores there are biased upwards (a config can win on lucky seeds). The top
 * `k` complete trials are run again on fresh seeds (study.ts `freshSeeds`), and the winner is the one with
 * the highest IQM there, reported with its bootstrap interval and, against the agent's defaults run on the
 * same fresh seeds, two probabilities (experiments/stats.ts): that its IQM is higher than the defaults', and
 * that one of its runs beats one of theirs (the probability of improvement, as `compare` reports it).
 */
import { TsgymError } from '../../core/errors.js';
import { bootstrapCI, iqm, probabilityOfImprovementCI, probabilityStatisticGreater } from '../stats.js';
import { type Interval } from '../../formats/comparison.js';
import type { TrialLine } from './study.js';

/** The `k` best complete trials by study value (the earlier trial first on a tie). */
export function topTrials(trials: readonly TrialLine[], k = 3): TrialLine[] {
  if (!Number.isInteger(k) || k < 1) throw new TsgymError(`topTrials: k must be a positive integer, got ${k}`);
  return trials
    .filter((t) => t.state === 'complete')
    .sort((a, b) => b.value! - a.value! || a.trial - b.trial)
    .slice(0, k);
}

/** One finalist's scores on the fresh seeds, one per seed. */
export interface Reevaluation {
  trial: number;
  scores: number[];
}

export interface Finalist {
  trial: number;
  /** IQM over the fresh seeds with its bootstrap interval. */
  iqm: Interval;
  /** P(a run of this config scores higher than a run of the defaults), with its bootstrap interval. */
  pBetterThanDefaults: Interval;
  /** The bootstrap probability that this config's fresh-seed IQM is higher than the defaults'. */
  pIqmAboveDefaults: number;
}

export interface Selection {
  /** The finalist with the highest fresh-seed IQM (ties: the better study rank, i.e. the earlier entry). */
  winner: Finalist;
  /** Every finalist, best first. */
  ranking: Finalist[];
  /** The defaults' IQM over the same fresh seeds. */
  defaults: Interval;
}

/**
 * Ranks the finalists (in study-rank order, as `topTrials` returns them) by IQM over their fresh-seed scores;
 * `defaults` are the agent's defaults scored on the same seeds. Deterministic for `seed`.
 */
export function selectWinner(finalists: readonly Reevaluation[], defaults: readonly number[], options: { seed?: number; confidence?: number } = {}): Selection {
  if (finalists.length === 0) throw new TsgymError('selectWinner: no finalists; at least one trial must have completed');
  const n = defaults.length;
  for (const f of finalists) {
    if (f.scores.length !== n) throw new TsgymError(`selectWinner: trial ${f.trial} has ${f.scores.length} fresh-seed scores but the defaults have ${n}; score every config on the same seeds`);
  }
  const boot = (...path: (string | number)[]) => ({ seed: ['tune-select', options.seed ?? 0, ...path].join('/'), confidence: options.confidence });
  const ranking = finalists
    .map((f, rank) => ({
      rank,
      finalist: {
        trial: f.trial,
        iqm: bootstrapCI(f.scores, (v) => iqm(v), boot('iqm', f.trial)),
        pBetterThanDefaults: probabilityOfImprovementCI(f.scores, defaults, boot('improvement', f.trial)),
        pIqmAboveDefaults: probabilityStatisticGreater(f.scores, defaults, (v) => iqm(v), boot('iqm-above', f.trial)),
      },
    }))
    .sort((a, b) => b.finalist.iqm.point - a.finalist.iqm.point || a.rank - b.rank)
    .map((r) => r.finalist);
  return { winner: ranking[0], ranking, defaults: bootstrapCI(defaults, (v) => iqm(v), boot('iqm', 'defaults')) };
}
