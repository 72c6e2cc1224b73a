/**
 * What report.md (experiments/report.ts, Node) and the comparison page (browser) share about a
 * comparison report: the check that it shows its runs as they were, the ranking by its headline, and how
 * its numbers are written. Pure (no Node APIs).
 */
import type { AgentReport, ComparisonReport, Headline, ImprovementReport, TimeToThreshold } from '../formats/comparison.js';
import { normalizedAreaUnderCurve } from './stats.js';
import { type Interval } from '../formats/comparison.js';
import { commandLine } from '../core/command-line.js';

/** A report as read from disk: the current shape, or an older one that may carry runs to their budget. */
type AnyReport = Pick<ComparisonReport, 'runs' | 'curves'> & { method?: object };

/**
 * Checks that a report shows its runs as they were: no curve point past where a run trained, no run
 * carried flat to its budget, no AUC over steps a run did not train, no aggregate curve beyond the runs
 * it aggregates. Returns what is wrong, one sentence each; empty when nothing is.
 */
export function checkReport(report: AnyReport): string[] {
  const problems: string[] = [];
  const held = (report.method as { heldToBudget?: unknown } | undefined)?.heldToBudget;
  if (typeof held === 'number' && held > 0) {
    problems.push(`${held} run(s) stopped before their budget and were carried flat to it (a report from an older tsgym); recompute it with ${commandLine('compare', '--report-only <dir>')}`);
  }
  const lastEval = new Map<string, number>();
  for (const r of report.runs) {
    const steps = r.evalSteps;
    const last = steps[steps.length - 1];
    lastEval.set(r.agent, Math.min(lastEval.get(r.agent) ?? Infinity, last));
    if (last > r.steps) problems.push(`run ${r.run}: its curve goes to step ${last} but it trained ${r.steps} steps`);
    else if (last !== r.finalStep) problems.push(`run ${r.run}: its curve goes to step ${last} but its last evaluation was at step ${r.finalStep}`);
    const measured = steps.length > 1 && last > steps[0] ? normalizedAreaUnderCurve(steps, r.evalMeans) : r.evalMeans[0];
    if (Math.abs(measured - r.auc) > 1e-9 * Math.max(1, Math.abs(measured))) problems.push(`run ${r.run}: its AUC ${r.auc} is not the area under its measured curve (${measured})`);
  }
  for (const [agent, curve] of Object.entries(report.curves)) {
    const end = curve.steps[curve.steps.length - 1];
    const shortest = lastEval.get(agent);
    if (shortest !== undefined && end > shortest) problems.push(`${agent}: its aggregated curve goes to step ${end}, past the end of one of its runs (step ${shortest})`);
  }
  return problems;
}

/**
 * Agents best first by the headline: the IQM of the final score (ties: the mean), or the median steps to
 * threshold (not reached last; ties: more runs solved, then the IQM).
 */
export function rankByHeadline(agentReports: AgentReport[], headline: Headline): AgentReport[] {
  return headline === 'final-score'
    ? agentReports.slice().sort((a, b) => b.iqm.point - a.iqm.point || b.mean.point - a.mean.point)
    : agentReports.slice().sort((a, b) => (a.stepsToThreshold!.median ?? Infinity) - (b.stepsToThreshold!.median ?? Infinity) || b.solved! - a.solved! || b.iqm.point - a.iqm.point);
}

/** A return or other real number for the table: one decimal from 100 up, two below, three under 1. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export const formatInterval = (i: Interval) => `${formatValue(i.point)} [${formatValue(i.low)}, ${formatValue(i.high)}]`;
export const formatSteps = (v: number) => Math.round(v).toLocaleString('en-US');
export const formatProbability = (p: Interval) => `${p.point.toFixed(2)} [${p.low.toFixed(2)}, ${p.high.toFixed(2)}]`;

/** A time to threshold for a table: the median with its interval (an open end: "> observed"), and how many reached it. */
export function formatTimeToThreshold(t: TimeToThreshold | null, unit: (v: number) => string): string {
  if (!t) return 'n/a';
  const n = t.perSeed.length;
  const count = t.reached === n ? '' : ` (${t.reached}/${n} reached)`;
  if (t.median === null) return `not reached${count || ` (${t.reached}/${n} reached)`}`;
  const low = t.low === null ? '?' : unit(t.low);
  const high = t.high === null ? 'not reached' : unit(t.high);
  return `${unit(t.median)} [${low}, ${high}]${count}`;
}

/** What P(X > Y) says, in words: a rank only when its interval excludes ½. */
export function improvementVerdict(e: Pick<ImprovementReport, 'x' | 'y' | 'evidence'>): string {
  return e.evidence === 'none' ? 'no evidence' : `${e.evidence === 'x' ? e.x : e.y} better`;
}

/** Groups above which P(X > Y) is a table of each against the best instead of an N×N matrix. */
export const MATRIX_LIMIT = 5;
/** Rows of a top-k table. */
export const TOP_K = 10;

