/**
 * The comparison directory format (`npm run compare`, `npm run sweep`): the one place that names its files
 * and types the request and the report. Pure (no Node module): the coordinator, the queue workers, the
 * report, the server and the comparison page share it.
 *
 * ```
 * <comparison>/
 *   comparison.json      ComparisonFile: the request (env, groups, seeds, budget, every group's resolved plan)
 *   .compare-lock.json   the coordinator's lock (experiments/plan/lock.ts)
 *   runs/<group>__seed<S>/   one run directory per (group, seed) (formats/run-format.ts)
 *   logs/<group>__seed<S>.log   each run's output
 *   report.json          ComparisonReport (written when every run has ended)
 *   report.md            the report as tables
 * ```
 */
import type { BackendChoice } from '../agents/backend.js';
import type { EnvModuleRef, RunSpec } from './run-spec.js';

/** File and directory names inside a comparison directory. */
export const COMPARISON_FILES = {
  request: 'comparison.json',
  lock: '.compare-lock.json',
  runs: 'runs',
  logs: 'logs',
  report: 'report.json',
  reportMarkdown: 'report.md',
} as const;

/** The name of a run's directory inside `<comparison>/runs/`. */
export function comparisonRunName(agent: string, seed: number): string {
  return `${agent}__seed${seed}`;
}

/** The name of a run's log inside `<comparison>/logs/`. */
export const comparisonLogName = (run: string) => `${run}.log`;

// ───────────────────────────── comparison.json ─────────────────────────────

/** Everything that decides a group's runs besides the seed: a run spec without its seed, env and backend. */
export interface AgentPlan extends Omit<RunSpec, 'agent' | 'env' | 'seed' | 'backend' | 'envModules' | 'fingerprint'> {
  /** The agent this group trains, when the group is not named after it (a sweep's configurations). */
  agent?: string;
  /** Whether the preset was tuned for this (agent, env) pair, or the base preset. */
  tunedPreset: boolean;
}

/** What a sweep varies, recorded with its request (the groups are its configurations). */
export interface SweepSpec {
  agent: string;
  /** The values each configuration sets, by group name. */
  params: Record<string, Record<string, unknown>>;
  /** How the configurations were chosen: `grid`, or `random` with its sampling seed. */
  method: 'grid' | 'random';
  sweepSeed?: number;
}

/** The request recorded in comparison.json; two requests are the same comparison when these are equal. */
export interface ComparisonRequest {
  env: string;
  /** The groups compared: agent names in a comparison, configuration names in a sweep. */
  agents: string[];
  seeds: number[];
  /** The budget every group trains (null: each group its own preset budget, --allow-different-budgets). */
  steps: number | null;
  backend: BackendChoice;
  /** User env modules every run loads (path and sha256). */
  envModules: EnvModuleRef[];
  plans: Record<string, AgentPlan>;
  sweep?: SweepSpec;
}

export interface ComparisonFile extends ComparisonRequest {
  format: 'tsgym-comparison';
  version: 1;
  createdAt: string;
  /** The command line that created it. */
  command: string[];
}

// ───────────────────────────── report.json ─────────────────────────────

/** A point estimate with a confidence interval around it. */
export interface Interval {
  point: number;
  low: number;
  high: number;
}

/** One run's learning curve: `values[i]` was measured at `steps[i]`. */
export interface Curve {
  steps: readonly number[];
  values: readonly number[];
}

/** Column-oriented aggregate curve (ready for a chart): `point[i]` with band [low[i], high[i]] at `steps[i]`. */
export interface AggregatedCurve {
  steps: number[];
  point: number[];
  low: number[];
  high: number[];
}

/**
 * One run's time to an event, e.g. env steps to the reward threshold. When `reached` is false the run
 * ended at `time` without the event: it is censored there (the event, if it ever comes, comes later), so
 * it still counts, as "at least this long", instead of being dropped.
 */
export interface TimeToEvent {
  time: number;
  reached: boolean;
}

export interface ReportOptions {
  /** Bootstrap resamples for every interval (default 2000). */
  bootstrapReps?: number;
  /** Interval coverage (default 0.95). */
  confidence?: number;
  /** Seed of the bootstrap streams (default 0): the same seed gives the same intervals. */
  seed?: number;
  /** Thresholds of the performance profile (default 51). */
  profilePoints?: number;
  /** Most grid steps of an aggregated learning curve (default 100). */
  curvePoints?: number;
}

/**
 * What the comparison measures: 'final-score' when the runs trained to their budgets, 'time-to-threshold'
 * when they stopped once solved (then the last evaluation is the one that crossed the threshold, not a
 * measure of performance).
 */
export type Headline = 'final-score' | 'time-to-threshold';

/** One run as the report sees it (the deterministic part). */
export interface RunReport {
  agent: string;
  seed: number;
  /** Its directory name inside `<comparison>/runs/`. */
  run: string;
  status: 'finished' | 'diverged';
  /** Env steps trained. */
  steps: number;
  /** The budget it was given. */
  totalSteps: number;
  /** Whether it was told to stop at its first evaluation reaching the threshold. */
  stopWhenSolved: boolean;
  /** True when it ended before its budget (stopped when solved, or diverged): its curve ends there. */
  endedEarly: boolean;
  backend: string;
  evalEpisodes: number;
  /** Mean return of its last greedy evaluation. */
  finalScore: number;
  finalStep: number;
  /** Env steps at the first evaluation reaching the reward threshold (null: never). */
  stepsToThreshold: number | null;
  /** Normalised area under its eval curve as measured (first to last evaluation). */
  auc: number;
  /** Eval curve (steps, mean returns) as measured: it ends at the run's last evaluation. */
  evalSteps: number[];
  evalMeans: number[];
}

/**
 * Time to the reward threshold over seeds. A run that never reached it is censored where it ended: it
 * counts as "later than that", not as missing.
 */
export interface TimeToThreshold {
  /** Per seed, in seed order: when it reached the threshold; null = not reached. */
  perSeed: (number | null)[];
  /** Per seed: where a run that did not reach the threshold ended (its censoring time); null for the others. */
  censoredAt: (number | null)[];
  reached: number;
  /** Kaplan–Meier median; null when fewer than half of the runs are known to reach it. */
  median: number | null;
  /** Bootstrap interval of the median; a null end lies beyond what the runs observed. */
  low: number | null;
  high: number | null;
}

export interface AgentReport {
  agent: string;
  runs: number;
  diverged: number;
  /** Runs that ended before their budget (stopped when solved, or diverged). */
  endedEarly: number;
  totalSteps: number[];
  evalEpisodes: number;
  /** Final scores (last evaluation) per seed, in seed order. */
  scores: number[];
  iqm: Interval;
  mean: Interval;
  median: Interval;
  /** Runs whose greedy eval reached the threshold at least once (null: the env has no threshold). */
  solved: number | null;
  /** The fraction solved with its Wilson interval (null: no threshold). */
  solveRate: Interval | null;
  stepsToThreshold: TimeToThreshold | null;
  /** Normalised AUC per seed and its mean with an interval. */
  auc: { perSeed: number[]; mean: Interval };
  /** The other agents whose headline interval overlaps this one's: the data do not order them. */
  overlaps: string[];
}

export interface ImprovementReport {
  x: string;
  y: string;
  /** What is compared: the final score (higher is better) or the steps to threshold (fewer is better). */
  metric: 'final score' | 'steps to threshold';
  /** P(X better than Y) with its interval. */
  probability: Interval;
  /** 'x' or 'y' when the interval excludes ½; 'none': no evidence either way. */
  evidence: 'x' | 'y' | 'none';
}

export interface WallClockReport {
  note: string;
  generatedAt: string;
  agents: Record<string, { secondsToThreshold: TimeToThreshold | null; totalSeconds: number[]; medianTotalSeconds: number }>;
  runs: Record<string, { seconds: number; secondsToThreshold: number | null }>;
}

/** Where a score axis should start and end so that distances mean something. */
export interface ScoreScale {
  /** The env's random-policy mean return, or 0 when the env cannot be built here. */
  floor: number;
  floorSource: 'random policy' | 'zero';
  /** The highest return an episode can get, when the env has one (null: unbounded or unknown). */
  ceiling: number | null;
}

export interface ComparisonReport {
  format: 'tsgym-comparison-report';
  version: 2;
  env: string;
  rewardThreshold: number | null;
  headline: Headline;
  agents: string[];
  seeds: number[];
  scoreScale: ScoreScale;
  method: {
    headline: string;
    finalScore: string;
    statistics: string;
    intervals: string;
    bootstrapReps: number;
    confidence: number;
    bootstrapSeed: number;
    timeToThreshold: string;
    auc: string;
    curves: string;
    performanceProfile: string;
    evalEpisodes: Record<string, number>;
    backends: string[];
    /** Whether agents were given different budgets (then final scores and AUCs do not compare like with like). */
    budgetsDiffer: boolean;
    /** Runs that ended before their budget. */
    endedEarly: number;
    reference: string;
  };
  /** What a reader must know before trusting a comparison, one sentence each (empty when nothing). */
  caveats: string[];
  agentReports: AgentReport[];
  /** Every ordered pair of different agents, on the headline metric. */
  improvement: ImprovementReport[];
  performanceProfile: { thresholds: number[]; fractions: Record<string, number[]> };
  curves: Record<string, AggregatedCurve>;
  runs: RunReport[];
  /** Runs that failed (no result) and are left out of every statistic; groups left without runs are absent from agentReports. */
  missingRuns: string[];
  /** A sweep's ranking: configurations by the headline statistic, best first, with P(best > each other). */
  sweep?: SweepReport;
  /** Wall-clock statistics: the only part that changes between two runs of the same comparison. */
  wallClock: WallClockReport;
}

export interface SweepReport {
  agent: string;
  /** What the ranking is by (the headline statistic). */
  by: string;
  ranking: { group: string; params: Record<string, unknown>; iqm: Interval; runs: number; pBestBetter: Interval | null; evidence: 'x' | 'y' | 'none' | null }[];
}
