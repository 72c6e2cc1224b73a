/**
 * The report of a comparison: reads the run directories of `npm run compare` (one per agent and seed, in
 * `<comparison>/runs/<agent>__seed<S>/`) and computes, with experiments/stats.ts, the statistics that
 * Agarwal et al. 2021 ("Deep Reinforcement Learning at the Edge of the Statistical Precipice") recommend
 * for a handful of seeds:
 *
 * - per agent, the final greedy-eval return (mean return of the last evaluation of each run): mean, median
 *   and interquartile mean, each with a 95% stratified-bootstrap confidence interval;
 * - env steps and wall-clock seconds to the env's reward threshold (median over seeds, counting a seed
 *   that never got there as "infinitely late", so the median is "not reached" unless over half did);
 * - the normalised area under the learning curve (the average greedy return over training);
 * - between agents, the probability of improvement P(X > Y) with its interval;
 * - a performance profile (the fraction of runs above each return) and learning curves aggregated over
 *   seeds (IQM with a bootstrap band on a common step grid).
 *
 * Everything except the `wallClock` section of report.json is a function of the runs' deterministic files
 * (config.json, metrics.jsonl, summary.json status) and of a bootstrap seed, so the same runs always give
 * the same report.json apart from `wallClock`. report.md is the table for a paper or an issue.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../core/errors.js';
import { readJsonObject, runPath } from './run-format.js';
import { writeFileAtomic, writeJsonAtomic } from './harness/atomic.js';
import {
  aggregateCurves,
  bootstrapCI,
  commonGrid,
  iqm,
  mean,
  median,
  normalizedAreaUnderCurve,
  performanceProfile,
  probabilityOfImprovementCI,
  thresholdGrid,
  firstCrossing,
  type AggregatedCurve,
  type Curve,
  type Interval,
} from './stats.js';

/** The name of a run's directory inside `<comparison>/runs/`. */
export function comparisonRunName(agent: string, seed: number): string {
  return `${agent}__seed${seed}`;
}

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
  /** A sweep: its configurations are ranked by IQM. */
  sweep?: { agent: string; params: Record<string, Record<string, unknown>> };
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
  backend: string;
  evalEpisodes: number;
  /** Mean return of its last greedy evaluation. */
  finalScore: number;
  finalStep: number;
  /** Env steps at the first evaluation reaching the reward threshold (null: never). */
  stepsToThreshold: number | null;
  /** Normalised area under its eval curve (see the method notes). */
  auc: number;
  /** Eval curve (steps, mean returns) as measured. */
  evalSteps: number[];
  evalMeans: number[];
  /** True when the run stopped before its budget and its last eval was carried to the budget. */
  heldToBudget: boolean;
}

/** A median over seeds where a seed that never reached the threshold counts as infinitely late. */
export interface TimeToThreshold {
  /** Per seed, in seed order; null = not reached. */
  perSeed: (number | null)[];
  reached: number;
  /** null: not reached by at least half of the seeds. */
  median: number | null;
}

export interface AgentReport {
  agent: string;
  runs: number;
  diverged: number;
  totalSteps: number[];
  evalEpisodes: number;
  /** Final scores per seed, in seed order. */
  scores: number[];
  iqm: Interval;
  mean: Interval;
  median: Interval;
  /** Runs whose greedy eval reached the threshold at least once (null: the env has no threshold). */
  solved: number | null;
  stepsToThreshold: TimeToThreshold | null;
  /** Normalised AUC per seed and its mean with an interval. */
  auc: { perSeed: number[]; mean: Interval };
}

export interface ImprovementReport {
  x: string;
  y: string;
  /** P(X > Y) with its interval. */
  probability: Interval;
}

export interface WallClockReport {
  note: string;
  generatedAt: string;
  agents: Record<string, { secondsToThreshold: TimeToThreshold | null; totalSeconds: number[]; medianTotalSeconds: number }>;
  runs: Record<string, { seconds: number; secondsToThreshold: number | null }>;
}

export interface ComparisonReport {
  format: 'tsgym-comparison-report';
  version: 1;
  env: string;
  rewardThreshold: number | null;
  agents: string[];
  seeds: number[];
  method: {
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
    heldToBudget: number;
    reference: string;
  };
  agentReports: AgentReport[];
  /** Every ordered pair of different agents. */
  improvement: ImprovementReport[];
  performanceProfile: { thresholds: number[]; fractions: Record<string, number[]> };
  curves: Record<string, AggregatedCurve>;
  runs: RunReport[];
  /** Runs that failed (no result) and are left out of every statistic; groups left without runs are absent from agentReports. */
  missingRuns: string[];
  /** A sweep's ranking: configurations by IQM of the final score, best first, with P(best > each other). */
  sweep?: SweepReport;
  /** Wall-clock statistics: the only part that changes between two runs of the same comparison. */
  wallClock: WallClockReport;
}

export interface SweepReport {
  agent: string;
  ranking: { group: string; params: Record<string, unknown>; iqm: Interval; runs: number; pBestBetter: Interval | null }[];
}

const REFERENCE = 'Agarwal, Schwarzer, Castro, Courville & Bellemare (2021), "Deep Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS';

// ───────────────────────────── reading runs ─────────────────────────────

interface LoadedRun {
  report: RunReport;
  wallSeconds: number;
  solvedAtWallSeconds: number | null;
  rewardThreshold: number | null;
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

  // A run that stopped early (solved with stop-when-solved, or diverged) keeps its last eval to the budget,
  // so that every run's curve covers the same steps.
  const curveSteps = steps.slice();
  const curveMeans = means.slice();
  const lastStep = steps[steps.length - 1];
  const heldToBudget = lastStep < totalSteps;
  if (heldToBudget) {
    curveSteps.push(totalSteps);
    curveMeans.push(means[means.length - 1]);
  }
  const auc = curveSteps[curveSteps.length - 1] > curveSteps[0] ? normalizedAreaUnderCurve(curveSteps, curveMeans) : curveMeans[0];
  const num = (v: unknown) => (isFiniteNumber(v) ? v : null);
  return {
    report: {
      agent: group,
      seed,
      run: name,
      status: summary.status,
      steps: summary.steps,
      totalSteps,
      backend: typeof config.backend === 'string' ? config.backend : 'unknown',
      evalEpisodes: config.evalEpisodes,
      finalScore: means[means.length - 1],
      finalStep: lastStep,
      stepsToThreshold: threshold === null ? null : firstCrossing(steps, means, threshold),
      auc,
      evalSteps: curveSteps,
      evalMeans: curveMeans,
      heldToBudget,
    },
    wallSeconds: num(summary.wallSeconds) ?? 0,
    solvedAtWallSeconds: num(summary.solvedAtWallSeconds),
    rewardThreshold: threshold,
  };
}

// ───────────────────────────── statistics ─────────────────────────────

/** The median with never-reached entries (null) counted as +∞; null when the median itself is +∞. */
export function medianTimeToThreshold(perSeed: (number | null)[]): TimeToThreshold {
  const values = perSeed.map((v) => (v === null ? Infinity : v)).sort((a, b) => a - b);
  const n = values.length;
  const mid = n % 2 === 1 ? values[(n - 1) / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return { perSeed, reached: perSeed.filter((v) => v !== null).length, median: Number.isFinite(mid) ? mid : null };
}

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
  const threshold = all[0].rewardThreshold;

  const agentReports: AgentReport[] = groups.map((agent) => {
    const runs = loaded.get(agent)!.map((l) => l.report);
    const scores = runs.map((r) => r.finalScore);
    const aucs = runs.map((r) => r.auc);
    return {
      agent,
      runs: runs.length,
      diverged: runs.filter((r) => r.status === 'diverged').length,
      totalSteps: [...new Set(runs.map((r) => r.totalSteps))],
      evalEpisodes: runs[0].evalEpisodes,
      scores,
      iqm: bootstrapCI(scores, (v) => iqm(v), boot('final', agent, 'iqm')),
      mean: bootstrapCI(scores, (v) => mean(v), boot('final', agent, 'mean')),
      median: bootstrapCI(scores, (v) => median(v), boot('final', agent, 'median')),
      solved: threshold === null ? null : runs.filter((r) => r.stepsToThreshold !== null).length,
      stepsToThreshold: threshold === null ? null : medianTimeToThreshold(runs.map((r) => r.stepsToThreshold)),
      auc: { perSeed: aucs, mean: bootstrapCI(aucs, (v) => mean(v), boot('auc', agent, 'mean')) },
    };
  });

  const improvement: ImprovementReport[] = [];
  for (const x of agentReports) {
    for (const y of agentReports) {
      if (x.agent === y.agent) continue;
      improvement.push({ x: x.agent, y: y.agent, probability: probabilityOfImprovementCI(x.scores, y.scores, boot('improvement', x.agent, y.agent)) });
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
    const runs = loaded.get(agent)!;
    const seconds = runs.map((l) => l.wallSeconds);
    wallAgents[agent] = {
      secondsToThreshold: threshold === null ? null : medianTimeToThreshold(runs.map((l) => (l.report.stepsToThreshold === null ? null : l.solvedAtWallSeconds))),
      totalSeconds: seconds,
      medianTotalSeconds: median(seconds),
    };
    for (const l of runs) wallRuns[l.report.run] = { seconds: l.wallSeconds, secondsToThreshold: l.report.stepsToThreshold === null ? null : l.solvedAtWallSeconds };
  }

  const runs = all.map((l) => l.report);
  const evalEpisodes: Record<string, number> = {};
  for (const a of agentReports) evalEpisodes[a.agent] = a.evalEpisodes;
  const pct = `${Math.round(confidence * 1000) / 10}%`;
  return {
    format: 'tsgym-comparison-report',
    version: 1,
    env: input.env,
    rewardThreshold: threshold,
    agents: groups,
    seeds: input.seeds.slice(),
    method: {
      finalScore: "a run's final score is the mean return of its last greedy evaluation (evalEpisodes episodes on held-out env seeds, the same at every evaluation)",
      statistics: 'mean, median and interquartile mean (IQM: mean of the middle 50% of runs, as scipy trim_mean(x, 0.25)) of the final scores over seeds',
      intervals: `${pct} percentile bootstrap confidence intervals, ${reps} resamples of the seeds with replacement, stratified by task (one task: this env); seeded, so the report is reproducible`,
      bootstrapReps: reps,
      confidence,
      bootstrapSeed: baseSeed,
      timeToThreshold: 'env steps (and wall-clock seconds) at the first greedy evaluation whose mean reaches the reward threshold; the median over seeds counts a seed that never reached it as infinitely late, so it is "not reached" unless more than half of the seeds reached it',
      auc: 'normalised area under the eval curve (trapezoid rule over env steps, divided by the step span): the average greedy return over training, from the first evaluation to the budget',
      curves: `IQM over seeds of the eval mean return at each step of a common grid (the runs' eval steps, at most ${curvePoints}), with a ${pct} pointwise bootstrap band over seeds; each run's value at a grid step is its latest eval at or before that step`,
      performanceProfile: `fraction of runs whose final score is above each threshold, on ${thresholds.length} evenly spaced thresholds from the lowest to the highest final score`,
      evalEpisodes,
      backends: [...new Set(runs.map((r) => r.backend))],
      heldToBudget: runs.filter((r) => r.heldToBudget).length,
      reference: REFERENCE,
    },
    agentReports,
    improvement,
    performanceProfile: { thresholds, fractions },
    curves,
    runs,
    missingRuns: [...missing].filter((r) => input.agents.some((g) => input.seeds.some((seed) => comparisonRunName(g, seed) === r))).sort(),
    ...(input.sweep ? { sweep: sweepRanking(input.sweep, agentReports, improvement) } : {}),
    wallClock: {
      note: 'wall-clock seconds depend on the machine and its load; everything outside wallClock is reproducible',
      generatedAt: new Date().toISOString(),
      agents: wallAgents,
      runs: wallRuns,
    },
  };
}

/** Configurations by IQM of the final score (ties: by mean), best first, with P(best > each other). */
function sweepRanking(sweep: NonNullable<ReportInput['sweep']>, agentReports: AgentReport[], improvement: ImprovementReport[]): SweepReport {
  const ranked = agentReports.slice().sort((a, b) => b.iqm.point - a.iqm.point || b.mean.point - a.mean.point);
  const best = ranked[0].agent;
  return {
    agent: sweep.agent,
    ranking: ranked.map((a) => ({
      group: a.agent,
      params: sweep.params[a.agent] ?? {},
      iqm: a.iqm,
      runs: a.runs,
      pBestBetter: a.agent === best ? null : improvement.find((e) => e.x === best && e.y === a.agent)!.probability,
    })),
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

/** A return or other real number for the table: one decimal from 100 up, two below, three under 1. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

const formatInterval = (i: Interval) => `${formatValue(i.point)} [${formatValue(i.low)}, ${formatValue(i.high)}]`;
const formatSteps = (v: number) => Math.round(v).toLocaleString('en-US');

function formatTime(t: TimeToThreshold | null, unit: (v: number) => string): string {
  if (!t) return 'n/a';
  if (t.median === null) return `not reached (${t.reached}/${t.perSeed.length} reached)`;
  return t.reached === t.perSeed.length ? unit(t.median) : `${unit(t.median)} (${t.reached}/${t.perSeed.length} reached)`;
}

/** report.md: the results table, the P(X > Y) table and a note on the method. */
export function reportMarkdown(report: ComparisonReport): string {
  const pct = `${Math.round(report.method.confidence * 1000) / 10}%`;
  const lines: string[] = [];
  lines.push(`## ${report.env}: ${report.agents.join(' vs ')} (${report.seeds.length} seeds)`, '');
  lines.push('### Final greedy-eval return');
  lines.push('');
  lines.push(`| agent | runs | IQM [${pct} CI] | mean [${pct} CI] | median [${pct} CI] | solved | median steps to threshold | median seconds to threshold | AUC [${pct} CI] |`);
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const a of report.agentReports) {
    const wall = report.wallClock.agents[a.agent];
    const runs = a.diverged ? `${a.runs} (${a.diverged} diverged)` : String(a.runs);
    const solved = a.solved === null ? 'n/a' : `${a.solved}/${a.runs}`;
    lines.push(
      `| ${a.agent} | ${runs} | ${formatInterval(a.iqm)} | ${formatInterval(a.mean)} | ${formatInterval(a.median)} | ${solved} | ${formatTime(a.stepsToThreshold, formatSteps)} | ${formatTime(wall?.secondsToThreshold ?? null, (s) => s.toFixed(1))} | ${formatInterval(a.auc.mean)} |`,
    );
  }
  if (report.improvement.length) {
    lines.push('', `### Probability of improvement P(row > column) [${pct} CI]`, '');
    lines.push(`| P(X > Y) | ${report.agents.join(' | ')} |`);
    lines.push(`|---|${report.agents.map(() => '---:').join('|')}|`);
    for (const x of report.agents) {
      const cells = report.agents.map((y) => {
        if (x === y) return '—';
        const p = report.improvement.find((e) => e.x === x && e.y === y)!.probability;
        return `${p.point.toFixed(2)} [${p.low.toFixed(2)}, ${p.high.toFixed(2)}]`;
      });
      lines.push(`| ${x} | ${cells.join(' | ')} |`);
    }
  }
  if (report.sweep) {
    const best = report.sweep.ranking[0].group;
    lines.push('', `### Sweep ranking (${report.sweep.agent}): configurations by IQM of the final score`, '');
    lines.push(`| rank | configuration | values | runs | IQM [${pct} CI] | P(${best} > it) [${pct} CI] |`);
    lines.push('|---:|---|---|---:|---:|---:|');
    report.sweep.ranking.forEach((r, i) => {
      const values = Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
      const p = r.pBestBetter ? `${r.pBestBetter.point.toFixed(2)} [${r.pBestBetter.low.toFixed(2)}, ${r.pBestBetter.high.toFixed(2)}]` : '—';
      lines.push(`| ${i + 1} | ${r.group} | ${values} | ${r.runs} | ${formatInterval(r.iqm)} | ${p} |`);
    });
  }
  if (report.missingRuns?.length) {
    lines.push('', `### Missing runs`, '', `${report.missingRuns.length} run(s) failed and are left out of every statistic above: ${report.missingRuns.join(', ')}. Fix the cause and run the same command again to complete them.`);
  }
  const m = report.method;
  const evalEpisodes = Object.entries(m.evalEpisodes).map(([a, n]) => `${a} ${n}`).join(', ');
  const budgets = report.agentReports.map((a) => `${a.agent} ${a.totalSteps.map(formatSteps).join('/')}`).join(', ');
  lines.push('', '### Method', '');
  lines.push(`- Env ${report.env}${report.rewardThreshold !== null ? `, reward threshold ${report.rewardThreshold}` : ' (no reward threshold)'}; seeds ${report.seeds.join(', ')}, the same for every agent; budgets (env steps): ${budgets}; backend ${m.backends.join(', ')}.`);
  lines.push(`- Final score: the mean return of a run's last greedy evaluation (eval episodes per evaluation: ${evalEpisodes}), on held-out env seeds.`);
  lines.push(`- IQM = mean of the middle 50% of runs. Intervals: ${m.intervals.replace(/;.*$/, '')} (bootstrap seed ${m.bootstrapSeed}).`);
  lines.push('- Solved: runs whose greedy eval reached the threshold at least once. Steps/seconds to threshold: median over seeds, a seed that never reached it counting as infinitely late.');
  lines.push('- AUC: average greedy eval return over training (area under the eval curve divided by its step span, from the first evaluation to the budget).');
  lines.push(`- P(X > Y): probability that a random run of X ends with a higher final score than a random run of Y (ties count ½), with a bootstrap interval resampling the runs of each agent.`);
  if (m.heldToBudget) lines.push(`- ${m.heldToBudget} run(s) stopped before their budget (solved with stop-when-solved, or diverged); their last evaluation is carried to the budget for the AUC and the curves.`);
  const diverged = report.agentReports.reduce((n, a) => n + a.diverged, 0);
  if (diverged) lines.push(`- ${diverged} run(s) diverged; their final score is their last evaluation before diverging.`);
  lines.push('- Wall-clock times depend on the machine and its load; every other number is reproducible from the runs.');
  lines.push(`- Statistics after ${REFERENCE}.`);
  return lines.join('\n') + '\n';
}

/** Writes report.json and report.md into `dir`. */
export function writeReport(dir: string, report: ComparisonReport): { json: string; markdown: string } {
  const json = path.join(dir, 'report.json');
  const markdown = path.join(dir, 'report.md');
  writeJsonAtomic(json, report);
  writeFileAtomic(markdown, reportMarkdown(report));
  return { json, markdown };
}
