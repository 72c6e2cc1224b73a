/**
 * The report of a comparison: reads the run directories of `npm run compare` (one per agent and seed, in
 * `<comparison>/runs/<agent>__seed<S>/`) and computes, with experiments/stats.ts, the statistics that
 * Agarwal et al. 2021 ("Deep Reinforcement Learning at the Edge of the Statistical Precipice") recommend
 * for a handful of seeds.
 *
 * What a comparison can support decides its headline:
 * - runs trained to their budget ("final-score"): per agent the final greedy-eval return (mean, median
 *   and interquartile mean, each with a 95% stratified-bootstrap confidence interval), the normalised area
 *   under the learning curve, and between agents the probability of improvement P(X > Y);
 * - runs that stopped when solved ("time-to-threshold"): their last evaluation is just the one that crossed
 *   the threshold, so the headline is the env steps (and wall-clock seconds) to the threshold: the
 *   Kaplan–Meier median with a bootstrap interval, a run that never got there counted as censored at the
 *   step it ended (not dropped), the solve rate with a Wilson interval, and P(X solves sooner than Y).
 *
 * Curves end where each run ended: nothing is carried to the budget, and nothing past a run's end enters
 * its AUC ({@link checkReport} refuses a report where it does). Budgets that differ, runs that ended early,
 * few seeds and overlapping intervals are stated in `caveats` and `overlaps`, so report.md and the page say
 * the same. `scoreScale` gives charts a meaningful floor (the env's random-policy return) and ceiling.
 *
 * Everything except the `wallClock` section of report.json is a function of the runs' deterministic files
 * (config.json, metrics.jsonl, summary.json status) and of a bootstrap seed, so the same runs always give
 * the same report.json apart from `wallClock`. report.md is the table for a paper or an issue.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../core/errors.js';
import { Rng, deriveSeed } from '../core/rng.js';
import { make } from '../envs/registry.js';
import { COMPARISON_FILES, comparisonRunName, type AgentReport, type ComparisonReport, type Headline, type ImprovementReport, type ReportOptions, type RunReport, type SweepReport, type TimeToThreshold, type WallClockReport } from '../formats/comparison.js';
import { readJsonObject, runPath } from './run-files.js';
import { writeFileAtomic, writeJsonAtomic } from './harness/atomic.js';
import { checkReport, formatInterval, formatProbability, formatSteps, formatTimeToThreshold, improvementVerdict, MATRIX_LIMIT, rankByHeadline, TOP_K } from './report-common.js';
import { aggregateCurves, bootstrapCI, commonGrid, improvementEvidence, intervalsOverlap, iqm, kaplanMeierMedianCI, mean, median, normalizedAreaUnderCurve, performanceProfile, probabilityOfImprovementCI, thresholdGrid, firstCrossing, wilsonInterval } from './stats.js';
import { type AggregatedCurve, type Curve, type Interval, type TimeToEvent } from '../formats/comparison.js';

export { checkReport, formatValue } from './report-common.js';

/** What a comparison's report needs to know about it (a subset of comparison.json). */
export interface ReportInput {
  /** Env id (e.g. CartPole-v1). */
  env: string;
  agents: string[];
  seeds: number[];
  /** The directory holding the run directories (`<comparison>/runs`). */
  runsDir: string;
  /** The agent of each group, when groups are not agents (a sweep's configurations). */
  groupAgents?: Record<string, string>;
  /** Runs that failed: left out of every statistic and listed in `missingRuns`. */
  missing?: string[];
  /** A sweep: its configurations are ranked by the headline statistic. */
  sweep?: { agent: string; params: Record<string, Record<string, unknown>> };
}

const REFERENCE = 'Agarwal, Schwarzer, Castro, Courville & Bellemare (2021), "Deep Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS';
/** Fewer seeds per agent than this, and the report says its intervals are unreliable. */
const FEW_SEEDS = 5;

// ───────────────────────────── reading runs ─────────────────────────────

interface LoadedRun {
  report: RunReport;
  wallSeconds: number;
  solvedAtWallSeconds: number | null;
  rewardThreshold: number | null;
  envKwargs: Record<string, unknown>;
}

/** A run file as a JSON object; errors say what to do in terms of the comparison. */
function readRunFile(file: string, what: string): Record<string, unknown> {
  return readJsonObject(file, what, {
    missing: 'the run may not have started — re-run the comparison with the same --out to complete it',
    invalid: 'delete the run directory and re-run the comparison to redo that run',
  });
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The eval records of metrics.jsonl, checked line by line. */
function readEvalCurve(file: string): { steps: number[]; means: number[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsgymError(`metrics file ${file} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`}; re-run the comparison with the same --out to redo that run`);
  }
  const steps: number[] = [];
  const means: number[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new TsgymError(`metrics file ${file}, line ${i + 1}, is not valid JSON (${(e as Error).message}); delete the run directory and re-run the comparison to redo that run`);
    }
    const r = rec as Record<string, unknown>;
    if (typeof rec !== 'object' || rec === null || typeof r.kind !== 'string') throw new TsgymError(`metrics file ${file}, line ${i + 1}, is not a metrics record (an object with a "kind")`);
    if (r.kind !== 'eval') return;
    if (!isFiniteNumber(r.step) || !isFiniteNumber(r.mean)) throw new TsgymError(`metrics file ${file}, line ${i + 1}: an eval record needs a numeric step and mean, got step ${String(r.step)}, mean ${String(r.mean)}`);
    if (steps.length && r.step < steps[steps.length - 1]) throw new TsgymError(`metrics file ${file}, line ${i + 1}: eval step ${r.step} comes after step ${steps[steps.length - 1]}; the file is out of order`);
    steps.push(r.step);
    means.push(r.mean);
  });
  if (!steps.length) throw new TsgymError(`metrics file ${file} has no eval records; a finished run evaluates at least once, so the file is truncated or from another program`);
  return { steps, means };
}

/** Reads and checks one run directory. */
export function loadRun(runsDir: string, env: string, group: string, seed: number, agent = group): LoadedRun {
  const name = comparisonRunName(group, seed);
  const dir = path.join(runsDir, name);
  if (!fs.existsSync(dir)) throw new TsgymError(`run directory ${dir} is missing; re-run the comparison with the same --out to run it`);
  const configFile = runPath(dir, 'config');
  const config = readRunFile(configFile, 'run config');
  if (config.agent !== agent || config.seed !== seed || config.envId !== env) {
    throw new TsgymError(`run config ${configFile} is for ${String(config.agent)} on ${String(config.envId)} seed ${String(config.seed)}, but the comparison expects ${agent} on ${env} seed ${seed} there`);
  }
  const summaryFile = runPath(dir, 'summary');
  const summary = readRunFile(summaryFile, 'run summary');
  if (summary.status !== 'finished' && summary.status !== 'diverged') {
    throw new TsgymError(`run ${dir} is not finished (summary.json status: ${String(summary.status)}); re-run the comparison with the same --out to resume it`);
  }
  const totalSteps = config.totalSteps;
  if (!isFiniteNumber(totalSteps) || !isFiniteNumber(config.evalEpisodes)) throw new TsgymError(`run config ${configFile} lacks totalSteps or evalEpisodes`);
  if (!isFiniteNumber(summary.steps)) throw new TsgymError(`run summary ${summaryFile} lacks a numeric "steps"`);
  const threshold = isFiniteNumber(config.rewardThreshold) ? config.rewardThreshold : null;
  const { steps, means } = readEvalCurve(runPath(dir, 'metrics'));
  const lastStep = steps[steps.length - 1];
  // The curve is what was measured: a run that stopped early (solved with stop-when-solved, or diverged)
  // ends at its last evaluation, and its AUC covers only what it trained.
  const auc = lastStep > steps[0] ? normalizedAreaUnderCurve(steps, means) : means[0];
  const num = (v: unknown) => (isFiniteNumber(v) ? v : null);
  return {
    report: {
      agent: group,
      seed,
      run: name,
      status: summary.status,
      steps: summary.steps,
      totalSteps,
      stopWhenSolved: config.stopWhenSolved === true,
      endedEarly: summary.steps < totalSteps,
      backend: typeof config.backend === 'string' ? config.backend : 'unknown',
      evalEpisodes: config.evalEpisodes,
      finalScore: means[means.length - 1],
      finalStep: lastStep,
      stepsToThreshold: threshold === null ? null : firstCrossing(steps, means, threshold),
      auc,
      evalSteps: steps,
      evalMeans: means,
    },
    wallSeconds: num(summary.wallSeconds) ?? 0,
    solvedAtWallSeconds: num(summary.solvedAtWallSeconds),
    rewardThreshold: threshold,
    envKwargs: typeof config.envKwargs === 'object' && config.envKwargs !== null && !Array.isArray(config.envKwargs) ? (config.envKwargs as Record<string, unknown>) : {},
  };
}

// ───────────────────────────── statistics ─────────────────────────────

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Time to the threshold over seeds: `perSeed` holds when each run reached it (null: not reached) and
 * `ended` where each run ended (its censoring time when it did not reach it). The median is the
 * Kaplan–Meier median, which with every run censored at or after every reached time is the ordinary
 * median counting never-reached runs as infinitely late.
 */
export function timeToThreshold(perSeed: (number | null)[], ended: number[], boot: { reps: number; confidence: number; seed: string }): TimeToThreshold {
  const runs: TimeToEvent[] = perSeed.map((t, i) => (t === null ? { time: ended[i], reached: false } : { time: t, reached: true }));
  const ci = kaplanMeierMedianCI(runs, boot);
  return {
    perSeed,
    censoredAt: perSeed.map((t, i) => (t === null ? ended[i] : null)),
    reached: perSeed.filter((v) => v !== null).length,
    median: finiteOrNull(ci.point),
    low: finiteOrNull(ci.low),
    high: finiteOrNull(ci.high),
  };
}

/**
 * Mean return of a uniformly random policy over `episodes` seeded episodes of the registered env: the
 * floor a learning curve starts from. null when the env cannot be built here (e.g. an env module that
 * is not loaded in this process).
 */
export function randomPolicyReturn(envId: string, kwargs: Record<string, unknown> = {}, episodes = 10): number | null {
  let env;
  try {
    env = make(envId, kwargs);
  } catch {
    return null;
  }
  try {
    const rng = new Rng(deriveSeed(0, 'random-policy-floor'));
    let total = 0;
    for (let e = 0; e < episodes; e++) {
      env.reset({ seed: e });
      for (;;) {
        const r = env.step(env.actionSpace.sample(rng) as never);
        total += r.reward;
        if (r.terminated || r.truncated) break;
      }
    }
    return total / episodes;
  } finally {
    env.close();
  }
}

/** The highest episode return of the envs that have one (one reward per step up to the time limit). */
const MAX_RETURN: Record<string, number> = { 'CartPole-v1': 500 };

/** Computes the report from the run directories. */
export function computeReport(input: ReportInput, options: ReportOptions = {}): ComparisonReport {
  const reps = options.bootstrapReps ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const baseSeed = options.seed ?? 0;
  const profilePoints = options.profilePoints ?? 51;
  const curvePoints = options.curvePoints ?? 100;
  if (!input.agents.length) throw new TsgymError('computeReport: the comparison names no agents');
  if (!input.seeds.length) throw new TsgymError('computeReport: the comparison names no seeds');
  // Each interval has its own named stream, so adding an agent or a statistic leaves the others unchanged.
  const boot = (...name: string[]) => ({ reps, confidence, seed: [baseSeed, ...name].join('/') });

  const missing = new Set(input.missing ?? []);
  const loaded = new Map<string, LoadedRun[]>();
  for (const group of input.agents) {
    const seeds = input.seeds.filter((seed) => !missing.has(comparisonRunName(group, seed)));
    if (seeds.length) loaded.set(group, seeds.map((seed) => loadRun(input.runsDir, input.env, group, seed, input.groupAgents?.[group] ?? group)));
  }
  if (!loaded.size) throw new TsgymError('computeReport: every run is missing; there is nothing to report');
  const groups = input.agents.filter((g) => loaded.has(g));
  const all = [...loaded.values()].flat();
  const runs = all.map((l) => l.report);
  const threshold = all[0].rewardThreshold;
  const headline: Headline = threshold !== null && runs.some((r) => r.stopWhenSolved) ? 'time-to-threshold' : 'final-score';

  const agentReports: AgentReport[] = groups.map((agent) => {
    const own = loaded.get(agent)!.map((l) => l.report);
    const scores = own.map((r) => r.finalScore);
    const aucs = own.map((r) => r.auc);
    const solved = own.filter((r) => r.stepsToThreshold !== null).length;
    return {
      agent,
      runs: own.length,
      diverged: own.filter((r) => r.status === 'diverged').length,
      endedEarly: own.filter((r) => r.endedEarly).length,
      totalSteps: [...new Set(own.map((r) => r.totalSteps))],
      evalEpisodes: own[0].evalEpisodes,
      scores,
      iqm: bootstrapCI(scores, (v) => iqm(v), boot('final', agent, 'iqm')),
      mean: bootstrapCI(scores, (v) => mean(v), boot('final', agent, 'mean')),
      median: bootstrapCI(scores, (v) => median(v), boot('final', agent, 'median')),
      solved: threshold === null ? null : solved,
      solveRate: threshold === null ? null : wilsonInterval(solved, own.length, confidence),
      stepsToThreshold: threshold === null ? null : timeToThreshold(own.map((r) => r.stepsToThreshold), own.map((r) => r.steps), boot('threshold', agent)),
      auc: { perSeed: aucs, mean: bootstrapCI(aucs, (v) => mean(v), boot('auc', agent, 'mean')) },
      overlaps: [],
    };
  });
  markOverlaps(agentReports, headline);

  const improvement: ImprovementReport[] = [];
  // On time to threshold only the order matters: fewer steps is better, and a run that never reached the
  // threshold ranks after every run that did (ties among them count ½).
  const never = Math.max(...runs.map((r) => r.totalSteps)) + 1;
  const headlineValues = (a: AgentReport) => (headline === 'final-score' ? a.scores : a.stepsToThreshold!.perSeed.map((t) => -(t ?? never)));
  for (const x of agentReports) {
    for (const y of agentReports) {
      if (x.agent === y.agent) continue;
      const probability = probabilityOfImprovementCI(headlineValues(x), headlineValues(y), boot('improvement', x.agent, y.agent));
      improvement.push({ x: x.agent, y: y.agent, metric: headline === 'final-score' ? 'final score' : 'steps to threshold', probability, evidence: improvementEvidence(probability) });
    }
  }

  const allScores = agentReports.flatMap((a) => a.scores);
  const low = Math.min(...allScores);
  const high = Math.max(...allScores);
  const thresholds = low === high ? [low] : thresholdGrid(low, high, profilePoints);
  const fractions: Record<string, number[]> = {};
  for (const a of agentReports) fractions[a.agent] = performanceProfile(a.scores, thresholds);

  const curves: Record<string, AggregatedCurve> = {};
  for (const agent of groups) {
    const runCurves: Curve[] = loaded.get(agent)!.map((l) => ({ steps: l.report.evalSteps, values: l.report.evalMeans }));
    curves[agent] = aggregateCurves(runCurves, curveGrid(runCurves, curvePoints), { ...boot('curve', agent), statistic: (v) => iqm(v) });
  }

  const wallAgents: WallClockReport['agents'] = {};
  const wallRuns: WallClockReport['runs'] = {};
  for (const agent of groups) {
    const own = loaded.get(agent)!;
    const seconds = own.map((l) => l.wallSeconds);
    const reachedAt = own.map((l) => (l.report.stepsToThreshold === null ? null : l.solvedAtWallSeconds));
    wallAgents[agent] = {
      // A run that solved without a recorded time (an old summary) counts as censored where it ended.
      secondsToThreshold: threshold === null ? null : timeToThreshold(reachedAt, seconds, boot('seconds', agent)),
      totalSeconds: seconds,
      medianTotalSeconds: median(seconds),
    };
    for (const l of own) wallRuns[l.report.run] = { seconds: l.wallSeconds, secondsToThreshold: l.report.stepsToThreshold === null ? null : l.solvedAtWallSeconds };
  }

  const evalEpisodes: Record<string, number> = {};
  for (const a of agentReports) evalEpisodes[a.agent] = a.evalEpisodes;
  const budgets = [...new Set(runs.map((r) => r.totalSteps))];
  const budgetsDiffer = budgets.length > 1;
  const endedEarly = runs.filter((r) => r.endedEarly).length;
  const randomFloor = randomPolicyReturn(input.env, all[0].envKwargs);
  const pct = `${Math.round(confidence * 1000) / 10}%`;
  const report: ComparisonReport = {
    format: 'tsgym-comparison-report',
    version: 2,
    env: input.env,
    rewardThreshold: threshold,
    headline,
    agents: groups,
    seeds: input.seeds.slice(),
    scoreScale: { floor: randomFloor ?? 0, floorSource: randomFloor === null ? 'zero' : 'random policy', ceiling: MAX_RETURN[input.env] ?? null },
    method: {
      headline:
        headline === 'final-score'
          ? 'the runs trained to their budgets, so the final greedy-eval score, its AUC and P(X > Y) on it compare the agents'
          : 'the runs stopped at their first evaluation reaching the reward threshold, so they are compared on env steps (and seconds) to the threshold; their last evaluation is the one that crossed it and does not measure performance',
      finalScore: "a run's final score is the mean return of its last greedy evaluation (evalEpisodes episodes on held-out env seeds, the same at every evaluation)",
      statistics: 'mean, median and interquartile mean (IQM: mean of the middle 50% of runs, as scipy trim_mean(x, 0.25)) of the final scores over seeds',
      intervals: `${pct} percentile bootstrap confidence intervals, ${reps} resamples of the seeds with replacement, stratified by task (one task: this env); seeded, so the report is reproducible`,
      bootstrapReps: reps,
      confidence,
      bootstrapSeed: baseSeed,
      timeToThreshold: `env steps (and wall-clock seconds) at the first greedy evaluation whose mean reaches the reward threshold. A run that never reached it is censored at the step it ended (it would have needed more), not dropped: the median is the Kaplan–Meier median (with no early-ending failures, the ordinary median counting such runs as infinitely late), "not reached" unless at least half of the runs reached it; its ${pct} interval resamples the runs (an open upper end: beyond what the runs observed). Solve rate: runs that reached it, with a Wilson score interval`,
      auc: 'normalised area under the eval curve as measured (trapezoid rule over env steps, divided by the step span from the first to the last evaluation): the average greedy return over what the run trained; nothing past a run\'s end enters it',
      curves: `IQM over seeds of the eval mean return at each step of a common grid (the runs' eval steps, at most ${curvePoints}), with a ${pct} pointwise bootstrap band over seeds; each run's value at a grid step is its latest eval at or before that step, and an agent's curve ends where its first run ended (nothing is extrapolated)`,
      performanceProfile: `fraction of runs whose final score is above each threshold, on ${thresholds.length} evenly spaced thresholds from the lowest to the highest final score`,
      evalEpisodes,
      backends: [...new Set(runs.map((r) => r.backend))],
      budgetsDiffer,
      endedEarly,
      reference: REFERENCE,
    },
    caveats: caveats(headline, agentReports, runs, budgetsDiffer, endedEarly),
    agentReports,
    improvement,
    performanceProfile: { thresholds, fractions },
    curves,
    runs,
    missingRuns: [...missing].filter((r) => input.agents.some((g) => input.seeds.some((seed) => comparisonRunName(g, seed) === r))).sort(),
    ...(input.sweep ? { sweep: sweepRanking(input.sweep, headline, agentReports, improvement) } : {}),
    wallClock: {
      note: 'wall-clock seconds depend on the machine and its load; everything outside wallClock is reproducible',
      generatedAt: new Date().toISOString(),
      agents: wallAgents,
      runs: wallRuns,
    },
  };
  return report;
}

/** The interval an agent is ranked by: the IQM of its final score, or its median steps to threshold (open end: +∞). */
function headlineInterval(a: AgentReport, headline: Headline): Interval {
  if (headline === 'final-score') return a.iqm;
  const t = a.stepsToThreshold!;
  return { point: t.median ?? Infinity, low: t.low ?? Infinity, high: t.high ?? Infinity };
}

function markOverlaps(agentReports: AgentReport[], headline: Headline): void {
  for (const a of agentReports) {
    a.overlaps = agentReports.filter((b) => b !== a && intervalsOverlap(headlineInterval(a, headline), headlineInterval(b, headline))).map((b) => b.agent);
  }
}

/** The sentences a reader needs before trusting the numbers. */
function caveats(headline: Headline, agentReports: AgentReport[], runs: RunReport[], budgetsDiffer: boolean, endedEarly: number): string[] {
  const out: string[] = [];
  const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
  if (headline === 'time-to-threshold') {
    out.push('The runs stopped when solved: each final score is just the evaluation that crossed the threshold, so final scores, AUC and the performance profile do not measure performance here. Compare steps to threshold and solve rates; for final scores run with --no-stop-when-solved.');
  }
  if (budgetsDiffer) {
    out.push(`The agents had different budgets (${agentReports.map((a) => `${a.agent} ${a.totalSteps.map(fmt).join('/')}`).join(', ')} env steps): final scores and AUC do not compare like with like.`);
  }
  const diverged = runs.filter((r) => r.status === 'diverged');
  if (endedEarly) {
    const early = runs.filter((r) => r.endedEarly && r.status !== 'diverged');
    const solvedStops = early.filter((r) => r.stopWhenSolved && r.stepsToThreshold !== null).length;
    const other = early.length - solvedStops;
    const parts = [solvedStops ? `${solvedStops} stopped when solved` : '', diverged.length ? `${diverged.length} diverged` : '', other ? `${other} finished short of it` : ''].filter(Boolean).join(', ');
    out.push(`${endedEarly} run(s) ended before their budget (${parts}): each curve and AUC ends where its run ended; nothing is carried to the budget.`);
  }
  const fewest = Math.min(...agentReports.map((a) => a.runs));
  if (fewest < FEW_SEEDS) out.push(`Only ${fewest} run(s) for some agent: bootstrap intervals from fewer than ${FEW_SEEDS} seeds are too narrow to trust; a difference needs more seeds to be believed.`);
  return out;
}

/** Configurations by the headline statistic, best first, with P(best > each other) and whether it is evidence. */
function sweepRanking(sweep: NonNullable<ReportInput['sweep']>, headline: Headline, agentReports: AgentReport[], improvement: ImprovementReport[]): SweepReport {
  const ranked = rankByHeadline(agentReports, headline);
  const best = ranked[0].agent;
  return {
    agent: sweep.agent,
    by: headline === 'final-score' ? 'IQM of the final score' : 'median steps to threshold',
    ranking: ranked.map((a) => {
      const e = a.agent === best ? null : improvement.find((i) => i.x === best && i.y === a.agent)!;
      return { group: a.agent, params: sweep.params[a.agent] ?? {}, iqm: a.iqm, runs: a.runs, pBestBetter: e?.probability ?? null, evidence: e?.evidence ?? null };
    }),
  };
}

/** The steps where every curve has data: the union of their eval steps in the shared range, or an even grid when that is too many. */
function curveGrid(curves: Curve[], maxPoints: number): number[] {
  const start = Math.max(...curves.map((c) => c.steps[0]));
  const end = Math.min(...curves.map((c) => c.steps[c.steps.length - 1]));
  const union = [...new Set(curves.flatMap((c) => c.steps.filter((s) => s >= start && s <= end)))].sort((a, b) => a - b);
  return union.length <= maxPoints ? union : commonGrid(curves, maxPoints);
}

// ───────────────────────────── Markdown ─────────────────────────────

/** report.md: caveats, the headline table, P(X > Y) (or the best against the others), the method. */
export function reportMarkdown(report: ComparisonReport): string {
  const pct = `${Math.round(report.method.confidence * 1000) / 10}%`;
  const lines: string[] = [];
  const byThreshold = report.headline === 'time-to-threshold';
  lines.push(`## ${report.env}: ${report.agents.join(' vs ')} (${report.seeds.length} seeds)`, '');
  if (report.caveats.length) {
    for (const c of report.caveats) lines.push(`> **Note:** ${c}`, '>');
    lines.pop();
    lines.push('');
  }
  const order = report.sweep ? report.sweep.ranking.map((r) => r.group) : report.agents;
  const ordered = report.agentReports.slice().sort((x, y) => order.indexOf(x.agent) - order.indexOf(y.agent));
  const shown = report.sweep ? ordered.slice(0, TOP_K) : ordered;
  const runsCell = (a: AgentReport) => (a.diverged ? `${a.runs} (${a.diverged} diverged)` : String(a.runs));
  const overlapCell = (a: AgentReport) => (a.overlaps.length ? a.overlaps.join(', ') : '—');
  if (byThreshold) {
    lines.push('### Steps and seconds to the reward threshold (runs stopped when solved)', '');
    lines.push(`| agent | runs | solved [${pct} CI] | median steps to threshold [${pct} CI] | median seconds to threshold [${pct} CI] | interval overlaps |`);
    lines.push('|---|---:|---:|---:|---:|---|');
    for (const a of shown) {
      const wall = report.wallClock.agents[a.agent];
      const rate = a.solveRate ? ` [${a.solveRate.low.toFixed(2)}, ${a.solveRate.high.toFixed(2)}]` : '';
      lines.push(`| ${a.agent} | ${runsCell(a)} | ${a.solved}/${a.runs}${rate} | ${formatTimeToThreshold(a.stepsToThreshold, formatSteps)} | ${formatTimeToThreshold(wall?.secondsToThreshold ?? null, (s) => s.toFixed(1))} | ${overlapCell(a)} |`);
    }
  } else {
    lines.push('### Final greedy-eval return', '');
    lines.push(`| agent | runs | IQM [${pct} CI] | mean [${pct} CI] | median [${pct} CI] | AUC [${pct} CI] | IQM interval overlaps | solved | median steps to threshold |`);
    lines.push('|---|---:|---:|---:|---:|---:|---|---:|---:|');
    for (const a of shown) {
      const solved = a.solved === null ? 'n/a' : `${a.solved}/${a.runs}`;
      lines.push(`| ${a.agent} | ${runsCell(a)} | ${formatInterval(a.iqm)} | ${formatInterval(a.mean)} | ${formatInterval(a.median)} | ${formatInterval(a.auc.mean)} | ${overlapCell(a)} | ${solved} | ${formatTimeToThreshold(a.stepsToThreshold, formatSteps)} |`);
    }
  }
  if (report.sweep && ordered.length > shown.length) lines.push('', `(${ordered.length - shown.length} more configurations in report.json.)`);
  const better = byThreshold ? 'reaches the threshold in fewer steps than' : 'ends with a higher final score than';
  if (report.improvement.length && !report.sweep) {
    if (report.agents.length <= MATRIX_LIMIT) {
      lines.push('', `### Probability of improvement P(row ${byThreshold ? 'sooner than' : '>'} column) [${pct} CI]`, '');
      lines.push(`| P(X > Y) | ${report.agents.join(' | ')} |`);
      lines.push(`|---|${report.agents.map(() => '---:').join('|')}|`);
      for (const x of report.agents) {
        const cells = report.agents.map((y) => {
          if (x === y) return '—';
          const e = report.improvement.find((i) => i.x === x && i.y === y)!;
          return `${formatProbability(e.probability)}${e.evidence === 'none' ? ' (no evidence)' : ''}`;
        });
        lines.push(`| ${x} | ${cells.join(' | ')} |`);
      }
    } else {
      const ranked = rankByHeadline(report.agentReports, report.headline);
      const best = ranked[0].agent;
      lines.push('', `### Probability of improvement: ${best} against the others [${pct} CI]`, '');
      lines.push(`| other | P(${best} > other) | verdict |`, '|---|---:|---|');
      for (const a of ranked.slice(1, TOP_K + 1)) {
        const e = report.improvement.find((i) => i.x === best && i.y === a.agent)!;
        lines.push(`| ${a.agent} | ${formatProbability(e.probability)} | ${improvementVerdict(e)} |`);
      }
    }
  }
  if (report.sweep) {
    const best = report.sweep.ranking[0].group;
    lines.push('', `### Sweep ranking (${report.sweep.agent}): configurations by ${report.sweep.by} (top ${Math.min(TOP_K, report.sweep.ranking.length)})`, '');
    lines.push(`| rank | configuration | values | runs | IQM [${pct} CI] | P(${best} > it) [${pct} CI] | verdict |`);
    lines.push('|---:|---|---|---:|---:|---:|---|');
    report.sweep.ranking.slice(0, TOP_K).forEach((r, i) => {
      const values = Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
      const p = r.pBestBetter ? formatProbability(r.pBestBetter) : '—';
      const verdict = r.evidence === null ? 'best' : improvementVerdict({ x: best, y: r.group, evidence: r.evidence });
      lines.push(`| ${i + 1} | ${r.group} | ${values} | ${r.runs} | ${formatInterval(r.iqm)} | ${p} | ${verdict} |`);
    });
  }
  if (report.missingRuns?.length) {
    lines.push('', `### Missing runs`, '', `${report.missingRuns.length} run(s) failed and are left out of every statistic above: ${report.missingRuns.join(', ')}. Fix the cause and run the same command again to complete them.`);
  }
  const m = report.method;
  const evalEpisodes = Object.entries(m.evalEpisodes).map(([a, n]) => `${a} ${n}`).join(', ');
  const budgets = report.agentReports.map((a) => `${a.agent} ${a.totalSteps.map(formatSteps).join('/')}`).join(', ');
  lines.push('', '### Method', '');
  lines.push(`- Env ${report.env}${report.rewardThreshold !== null ? `, reward threshold ${report.rewardThreshold}` : ' (no reward threshold)'}; seeds ${report.seeds.join(', ')}, the same for every agent; budgets (env steps): ${budgets}${m.budgetsDiffer ? ' (different)' : ''}; backend ${m.backends.join(', ')}.`);
  lines.push(`- Headline: ${m.headline}.`);
  lines.push(`- Final score: the mean return of a run's last greedy evaluation (eval episodes per evaluation: ${evalEpisodes}), on held-out env seeds.`);
  lines.push(`- IQM = mean of the middle 50% of runs. Intervals: ${m.intervals.replace(/;.*$/, '')} (bootstrap seed ${m.bootstrapSeed}). Overlapping intervals: the data do not order those agents.`);
  lines.push(`- Steps/seconds to threshold: ${m.timeToThreshold}.`);
  lines.push(`- AUC: ${m.auc}.`);
  lines.push(`- P(X > Y): probability that a random run of X ${better} a random run of Y (ties count ½), with a bootstrap interval resampling the runs of each agent; "no evidence" when the interval contains ½.`);
  lines.push('- Wall-clock times depend on the machine and its load; every other number is reproducible from the runs.');
  lines.push(`- Statistics after ${REFERENCE}.`);
  return lines.join('\n') + '\n';
}

/** Writes report.json and report.md into `dir`, after {@link checkReport} (a report that misrepresents its runs is a bug). */
export function writeReport(dir: string, report: ComparisonReport): { json: string; markdown: string } {
  const problems = checkReport(report);
  if (problems.length) throw new TsgymError(`the comparison report misrepresents its runs: ${problems.join('; ')}`);
  const json = path.join(dir, COMPARISON_FILES.report);
  const markdown = path.join(dir, COMPARISON_FILES.reportMarkdown);
  writeJsonAtomic(json, report);
  writeFileAtomic(markdown, reportMarkdown(report));
  return { json, markdown };
}
