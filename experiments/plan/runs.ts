/**
 * The runs of a plan as the coordinator tracks them: where each one stands on disk (keep a finished run,
 * resume a started one, start a missing one) and how far it has got while it trains.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { isRunDir, readRunConfig, readRunSummary } from '../run-files.js';
import { RUN_FILES } from '../../formats/run-format.js';
import { configFieldValue, RUN_FIELDS, withAddedDefaults } from '../../formats/run-spec.js';
import { stableStringify } from '../../core/stable-json.js';
import { runSpecOf, type PlannedRun } from './request.js';
import { type AgentPlan, type ComparisonRequest } from '../../formats/comparison.js';
import { COMPARISON_FILES, comparisonLogName } from '../../formats/comparison.js';

export interface RunTask extends PlannedRun {
  dir: string;
  log: string;
  plan: AgentPlan;
  mode: 'keep' | 'resume' | 'fresh';
  /** Env steps done so far, as the run reports them. */
  step: number;
  /** Step at which this invocation picked the run up (for the throughput). */
  startStep: number;
  state: 'waiting' | 'running' | 'done' | 'failed';
  /** Why it failed (shown, and listed in the report as missing). */
  error?: string;
}

/** `readOnly`: never clean a directory up (with a queue, a worker may be creating it right now). */
export function makeTask(spec: PlannedRun, request: ComparisonRequest, outDir: string, opts: { readOnly?: boolean } = {}): RunTask {
  const task: RunTask = {
    ...spec,
    dir: path.join(outDir, COMPARISON_FILES.runs, spec.name),
    log: path.join(outDir, COMPARISON_FILES.logs, comparisonLogName(spec.name)),
    plan: request.plans[spec.group],
    mode: 'fresh',
    step: 0,
    startStep: 0,
    state: 'waiting',
  };
  task.mode = decide(task, request, opts.readOnly);
  if (task.mode === 'keep') {
    task.state = 'done';
    task.step = task.startStep = task.plan.totalSteps;
  }
  return task;
}

/** Whether an existing run directory was made by this plan (guards against a comparison.json edited by hand). */
function checkRunConfig(task: RunTask, request: ComparisonRequest): void {
  const config = readRunConfig(task.dir);
  const spec = runSpecOf(request, task.group, task.seed);
  const bad: string[] = [];
  if (config.agent !== spec.agent) bad.push(`agent: ${config.agent} there, ${spec.agent} planned`);
  if (config.envId !== spec.env) bad.push(`envId: ${config.envId} there, ${spec.env} planned`);
  for (const f of RUN_FIELDS) {
    if (f.key === 'rewardThreshold') continue; // config.json records the threshold the trainer applied
    const there = configFieldValue(config, f);
    const planned = spec[f.key];
    if (f.key === 'hyperparams') {
      const hp = withAddedDefaults(config.agent, (there ?? {}) as Record<string, unknown>);
      for (const [k, v] of Object.entries(planned as Record<string, unknown>)) if (stableStringify(hp[k]) !== stableStringify(v)) bad.push(`hyperparams.${k}: ${stableStringify(hp[k])} there, ${stableStringify(v)} planned`);
    } else if (stableStringify(there) !== stableStringify(planned)) bad.push(`${f.configKey ?? f.key}: ${stableStringify(there)} there, ${stableStringify(planned)} planned`);
  }
  if (bad.length) throw new TsgymError(`run ${task.dir} was not made by this comparison's plan (${bad.join('; ')}); move it away or use another --out`);
}

/** A finished or diverged run is a result (a diverged run would diverge again at the same step). */
export function isDone(status: string | null): boolean {
  return status === 'finished' || status === 'diverged';
}

/** What to do with a run directory: keep a finished (or diverged) run, resume a started one, start a missing one. */
export function decide(task: RunTask, request: ComparisonRequest, readOnly = false): RunTask['mode'] {
  if (!fs.existsSync(task.dir)) return 'fresh';
  if (!isRunDir(task.dir)) {
    if (readOnly) return 'fresh';
    // `train` died between creating the directory and writing its config: nothing in it is worth keeping.
    clearConfiglessRunDir(task.dir);
    return 'fresh';
  }
  checkRunConfig(task, request);
  return isDone(runSummary(task.dir).status) ? 'keep' : 'resume';
}

/** Removes a run directory that `train` left before writing its config; refuses when it holds any file. */
export function clearConfiglessRunDir(dir: string): void {
  // A lock left by a `train` that died that early is stale too (the caller only gets here when no run holds it).
  const leftovers = listFilesDeep(dir).filter((f) => f !== RUN_FILES.lock);
  if (leftovers.length) throw new TsgymError(`run directory ${dir} has no config.json but holds ${leftovers.join(', ')}; move it away, then re-run`);
  fs.rmSync(dir, { recursive: true, force: true });
}

function listFilesDeep(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFilesDeep(p));
    else out.push(path.relative(dir, p));
  }
  return out;
}

export function runSummary(dir: string): { status: string | null; steps: number | null; message: string | null } {
  try {
    const s = (readRunSummary(dir) ?? {}) as { status?: unknown; steps?: unknown; message?: unknown };
    return {
      status: typeof s.status === 'string' ? s.status : null,
      steps: typeof s.steps === 'number' ? s.steps : null,
      message: typeof s.message === 'string' ? s.message : null,
    };
  } catch {
    return { status: null, steps: null, message: null };
  }
}

/** One line about a finished run, for the progress log. */
export function describeRun(dir: string): string {
  try {
    const s = readRunSummary(dir);
    if (!s) return 'done';
    const final = s.finalEval ? `final eval ${s.finalEval.mean.toFixed(1)}` : 'no eval';
    const solved = s.solvedAtStep !== null ? `, threshold reached at step ${s.solvedAtStep.toLocaleString('en-US')}` : '';
    const why = s.status === 'diverged' && s.message ? ` (${s.message.split('. ')[0]})` : '';
    return `${s.status}${why}, ${s.steps.toLocaleString('en-US')} steps in ${s.wallSeconds.toFixed(1)} s, ${final}${solved}`;
  } catch {
    return 'done';
  }
}

export function lastLines(file: string, n: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}
