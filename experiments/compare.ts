/**
 * `npm run compare` and `npm run sweep`: the coordinator of a multi-run experiment. It plans the runs
 * (experiments/plan/request.ts), checks the request against comparison.json, takes the directory's lock
 * (experiments/plan/lock.ts), hands the runs to an executor — local child processes by default
 * (experiments/executors/local.ts), or BullMQ jobs on Redis with `--queue` (experiments/executors/queue.ts)
 * — shows their progress (experiments/plan/progress.ts), and writes the report (experiments/report.ts).
 *
 * ```
 * <out>/
 *   comparison.json       the request: env, groups (agents, or a sweep's configurations), seeds, budgets, each group's resolved plan
 *   runs/<group>__seed<S>/ one run directory per pair (see experiments/harness/run-dir.ts)
 *   logs/<group>__seed<S>.log  each run's output (appended when a run is resumed)
 *   report.json, report.md
 *   .compare-lock.json    while a coordinator works: its pid (and its local children's)
 * ```
 *
 * Resume: running the same command again with the same --out keeps finished runs untouched, resumes
 * unfinished ones from their last checkpoint (`train --resume`, bit-identical to an uninterrupted run),
 * and starts the missing ones (on the queue: re-attaches to its jobs). A different request is refused
 * rather than mixed into the same directory; a plan that cannot be built is refused before it is recorded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompareLock, LOCK_FILE } from './plan/lock.js';
import { CompareProgress } from './plan/progress.js';
import { checkPlanBuilds, claimComparisonFile, planComparison, plannedRuns, readComparisonFile, type CompareOptions } from './plan/request.js';
import { type ComparisonRequest } from '../formats/comparison.js';
import { makeTask, type RunTask } from './plan/runs.js';
import { executorFor } from './executors/index.js';
import { computeReport, reportMarkdown, writeReport } from './report.js';
import { type ComparisonReport, type ReportOptions } from '../formats/comparison.js';
import { COMPARISON_FILES } from '../formats/comparison.js';

export { isAlive } from './plan/lock.js';
export { planComparison, requestDifferences, type CompareOptions } from './plan/request.js';
export { type AgentPlan, type ComparisonFile, type ComparisonRequest } from '../formats/comparison.js';
export { reportMarkdown };

export interface CompareResult {
  outDir: string;
  /** null when the comparison was interrupted before every run had ended. */
  report: ComparisonReport | null;
  interrupted: boolean;
  /** Runs that failed: the report (when written) lists them as missing. */
  failures: { run: string; message: string; log: string }[];
  /** Runs kept from an earlier invocation, resumed, and started fresh. */
  kept: string[];
  resumed: string[];
  started: string[];
}

/** Runs (or resumes) a comparison and writes its report. */
export async function runComparison(o: CompareOptions): Promise<CompareResult> {
  return runPlanned(planComparison(o), o);
}

/** Runs (or resumes) a planned request (a comparison or a sweep) and writes its report. */
export async function runPlanned(request: ComparisonRequest, o: Pick<CompareOptions, 'outDir' | 'workers' | 'seedsPerProcess' | 'queue' | 'progress' | 'command' | 'report'>): Promise<CompareResult> {
  const outDir = path.resolve(o.outDir);
  const executor = executorFor(o.queue, { workers: o.workers, seedsPerProcess: o.seedsPerProcess });
  // With a queue, workers may be writing run directories right now: the coordinator only reads them.
  const queued = o.queue !== undefined && !o.queue.startsWith('local:');
  // Before anything is written: a plan whose agents cannot be built, or an unreachable queue, is refused here.
  await checkPlanBuilds(request);
  await executor.prepare((m) => (progress ? progress.log(m) : console.error(m)));

  let progress: CompareProgress | null = null;
  fs.mkdirSync(outDir, { recursive: true });
  const lock = new CompareLock(outDir);
  try {
    lock.acquire();
  } catch (e) {
    await executor.close();
    throw e;
  }

  let interrupted = false;
  let signals = 0;
  const tasks: RunTask[] = [];
  const ctx = () => ({ request, outDir, tasks, progress: progress!, lock });
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    interrupted = true;
    const what = executor.interrupt(signals, ctx());
    progress?.log(`${sig}: ${what}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    claimComparisonFile(outDir, request, o.command ?? [], [LOCK_FILE]);
    fs.mkdirSync(path.join(outDir, COMPARISON_FILES.runs), { recursive: true });
    fs.mkdirSync(path.join(outDir, COMPARISON_FILES.logs), { recursive: true });
    for (const run of plannedRuns(request)) tasks.push(makeTask(run, request, outDir, { readOnly: queued }));
    progress = new CompareProgress(tasks, o.progress ?? 'auto');
    const kept = tasks.filter((t) => t.mode === 'keep').map((t) => t.name);
    const todo = tasks.filter((t) => t.mode !== 'keep');
    const groups = request.sweep ? `${request.agents.length} ${request.sweep.agent} configurations` : request.agents.join(', ');
    progress.log(
      `${request.sweep ? 'sweeping' : 'comparing'} ${groups} on ${request.env} over seeds ${request.seeds.join(', ')} → ${outDir}\n` +
        `${tasks.length} runs: ${kept.length} already done, ${todo.filter((t) => t.mode === 'resume').length} to resume, ${todo.filter((t) => t.mode === 'fresh').length} to start` +
        (todo.length ? `; ${executor.describe(todo.length)}` : ''),
    );
    progress.begin();
    await executor.run(todo, ctx());
    progress.end();

    const failed = tasks.filter((t) => t.state === 'failed');
    const result: CompareResult = {
      outDir,
      report: null,
      interrupted,
      failures: failed.map((t) => ({ run: t.name, message: t.error ?? 'failed', log: t.log })),
      kept,
      resumed: todo.filter((t) => t.mode === 'resume').map((t) => t.name),
      started: todo.filter((t) => t.mode === 'fresh').map((t) => t.name),
    };
    const unfinished = tasks.filter((t) => t.state !== 'done' && t.state !== 'failed');
    if (interrupted || unfinished.length) {
      console.error(`interrupted: ${tasks.filter((t) => t.state === 'done').length}/${tasks.length} runs done. Run the same command again to ${queued ? 're-attach' : 'resume'} (finished runs are kept).`);
      result.interrupted = true;
      return result;
    }
    if (failed.length) {
      console.error(`${failed.length} run(s) failed:\n${result.failures.map((f) => `- ${f.run}: ${f.message}`).join('\n')}\nFix the cause, then run the same command again: finished runs are kept, the others resume.`);
      if (failed.length === tasks.length) return result;
    }
    result.report = reportFor(outDir, o.report, failed.map((t) => t.name));
    return result;
  } finally {
    progress?.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock.release();
    await executor.close();
  }
}

/** Computes and writes the report of the comparison in `dir`; `missing` runs (failed) are left out and listed. */
export function reportFor(dir: string, options?: ReportOptions, missing: string[] = []): ComparisonReport {
  const outDir = path.resolve(dir);
  const c = readComparisonFile(outDir);
  const groupAgents: Record<string, string> = {};
  for (const g of c.agents) groupAgents[g] = c.plans?.[g]?.agent ?? g;
  const report = computeReport({ env: c.env, agents: c.agents, seeds: c.seeds, runsDir: path.join(outDir, COMPARISON_FILES.runs), groupAgents, missing, sweep: c.sweep }, options);
  writeReport(outDir, report);
  return report;
}
