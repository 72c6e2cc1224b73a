/**
 * `tsgym tune`'s coordinator: a study (study.ts) whose trials are trained by the executors compare uses
 * (local `train` children, or queue jobs), then the re-evaluation of the best trials on fresh seeds.
 *
 * ```
 * <out>/
 *   trials.jsonl, best.json      the study (study.ts)
 *   trials/trial-0007/           one trial: a one-group comparison directory (comparison.json, runs/, logs/)
 *   reevaluation/                the finalists and the defaults on fresh seeds (a comparison directory)
 *   report.json, report.md       the re-evaluation and the winner
 *   .compare-lock.json           while a coordinator works (experiments/plan/lock.ts)
 * ```
 *
 * A trial's runs are planned like a sweep's configuration (`planGroup`: the preset, the run flags, the fixed
 * and sampled hyperparameters), so a run dir holds exactly what `train` would write for the same spec, and a
 * trial cut off by a kill picks its runs up from their checkpoints (`makeTask`: keep / resume / start).
 *
 * Pruning is decided here from the runs' eval records (their metrics.jsonl, on the shared filesystem with a
 * queue): every eval step that all seeds have reached is reported in step order, so the decision does not
 * depend on when the files are read. A pruned trial's runs are cancelled (`Executor.cancel`: local children
 * are killed; on a queue its waiting jobs are removed and the workers kill its running ones), each keeping its
 * last checkpoint: a pruned trial's run directory is a resumable partial run, and trials.jsonl says the trial
 * was pruned. On a queue, a trial's jobs are removed once it is scored or pruned (results are in the run
 * directories).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Queue, type JobType } from 'bullmq';
import { TsgymError } from '../../core/errors.js';
import { agentRegistration } from '../../agents/registry.js';
import { CompareLock, LOCK_FILE } from '../plan/lock.js';
import { CompareProgress } from '../plan/progress.js';
import type { RunFlags } from '../../formats/run-spec.js';
import { checkPlanBuilds, claimComparisonFile, planGroup, plannedRuns, type CompareOptions } from '../plan/request.js';
import type { AgentPlan, ComparisonRequest } from '../../formats/comparison.js';
import { makeTask, type RunTask } from '../plan/runs.js';
import { executorFor } from '../executors/index.js';
import type { ExecutionContext } from '../executors/executor.js';
import { loadedEnvModules } from '../env-modules.js';
import { parseMetrics, type EvalRecord } from '../../formats/run-format.js';
import { runPath } from '../run-files.js';
import { comparisonJobPrefix } from '../queue/jobs.js';
import { jobWhere } from '../queue/status.js';
import { connect, QUEUE_NAME } from '../queue/connection.js';
import { readComparisonFile } from '../plan/request.js';
import type { ProgressMode } from '../harness/progress.js';
import { writeJsonAtomic } from '../harness/atomic.js';
import { evalRecords, intermediateValue, runScore, type ObjectiveKind } from './objective.js';
import { optimize, type TrialContext, type TrialOutcome } from './optimize.js';
import { topTrials, selectWinner, type Selection } from './select.js';
import { checkSpaceAgainstSchema, type SearchSpace } from './space.js';
import { freshSeeds, Study, STUDY_FILES, TUNE_FILES, trialDirName, type StudySettings, type TrialLine } from './study.js';
import type { SamplerKind } from './sampler.js';
import type { PrunerOptions, PrunerKind } from './pruner.js';
import { commandLine } from '../../core/command-line.js';
import type { PresetBase } from '../presets.js';
import { codeChangedOnDisk, codeFingerprint, describeFingerprint, type CodeFingerprint } from '../fingerprint.js';

export interface TuneOptions extends Pick<CompareOptions, 'env' | 'presetFile' | 'presetFileName' | 'from' | 'workers' | 'seedsPerProcess' | 'queue' | 'outDir' | 'progress'> {
  agent: string;
  /** The run fields given as flags (`--steps`, `--envs`, `--eval-every`, …; not seed or hyperparams). */
  flags: Omit<RunFlags, 'seed' | 'hyperparams' | 'envModules'>;
  trials: number;
  seedsPerTrial: number;
  sampler: SamplerKind;
  pruner: PrunerKind;
  prunerOptions?: PrunerOptions;
  space: SearchSpace;
  objective: ObjectiveKind;
  /** Seeds the sampler and every seed of the study. */
  studySeed: number;
  /** Hyperparameters every trial runs with (`--set`); the sampled ones go over them. */
  fixedHyperparams: Record<string, unknown>;
  /** Trials trained at once (default: local workers ÷ seeds per trial, at least 1; on a queue 1). */
  parallelTrials?: number;
  /** Best trials re-run on fresh seeds (0: no re-evaluation; best.json is the study's best). */
  finalists: number;
  freshSeeds: number;
  bootstrapReps?: number;
}

export interface TuneReport {
  agent: string;
  env: string;
  objective: ObjectiveKind;
  /** What the untuned settings and the defaults arm are: the env's tuned preset, or the agent's defaults. */
  from: PresetBase;
  trials: { complete: number; pruned: number; failed: number };
  /** Env steps the study's runs trained, and what they would have trained without pruning. */
  steps: { trained: number; unpruned: number };
  freshSeeds: number[];
  finalists: { trial: number; studyValue: number; params: Record<string, unknown>; scores: number[]; iqm: { point: number; low: number; high: number }; pBetterThanDefaults: { point: number; low: number; high: number }; pIqmAboveDefaults: number }[];
  defaults: { scores: number[]; iqm: { point: number; low: number; high: number } } | null;
  winner: number;
}

export interface TuneResult {
  outDir: string;
  interrupted: boolean;
  trials: TrialLine[];
  report: TuneReport | null;
}

const POLL_MS = 300;
export { TUNE_FILES, trialDirName };

/** Everything checked before anything is written: the space against the agent's schema, the defaults' plan and build, the queue. */
async function prepare(o: TuneOptions): Promise<{ defaults: AgentPlan; settings: StudySettings }> {
  if (!Number.isInteger(o.trials) || o.trials < 1) throw new TsgymError(`--trials must be a positive integer, got ${o.trials}`);
  if (!Number.isInteger(o.seedsPerTrial) || o.seedsPerTrial < 1) throw new TsgymError(`--seeds must be a positive integer, got ${o.seedsPerTrial}`);
  if (!Number.isInteger(o.finalists) || o.finalists < 0) throw new TsgymError(`--finalists must be a non-negative integer, got ${o.finalists}`);
  if (!Number.isInteger(o.freshSeeds) || o.freshSeeds < 1) throw new TsgymError(`--fresh-seeds must be a positive integer, got ${o.freshSeeds}`);
  const reg = agentRegistration(o.agent);
  if (!Object.keys(o.space).length) throw new TsgymError(`the search space of ${reg.name} is empty; give one with --space key=low:high`);
  checkSpaceAgainstSchema(reg.name, o.space, reg.hyperparams as never);
  for (const key of Object.keys(o.fixedHyperparams)) {
    if (key in o.space) throw new TsgymError(`--set ${key} fixes a hyperparameter the search space tunes; drop one of them`);
  }
  const defaults = { ...planGroup(planOptions(o), o.env, reg.name, o.fixedHyperparams, o.flags.totalSteps), agent: reg.name };
  const { hyperparams: resolved, tunedPreset: _t, agent: _a, ...budget } = defaults;
  // From the agent's defaults, every untuned hyperparameter is fixed explicitly: best.json then trains the
  // same config under `train --preset` even on an env whose tuned preset would fill the gaps differently.
  const untuned = o.from === 'defaults' ? Object.fromEntries(Object.entries(resolved).filter(([k]) => !(k in o.space))) : {};
  const settings: StudySettings = {
    agent: reg.name,
    env: o.env,
    space: o.space,
    sampler: o.sampler,
    seed: o.studySeed,
    seedsPerTrial: o.seedsPerTrial,
    objective: o.objective,
    pruner: o.pruner,
    ...(o.prunerOptions && Object.keys(o.prunerOptions).length ? { prunerOptions: o.prunerOptions } : {}),
    fixedHyperparams: { ...untuned, ...(o.presetFile?.hyperparams ?? {}), ...o.fixedHyperparams },
    budget: { totalSteps: budget.totalSteps, numEnvs: budget.numEnvs, evalEvery: budget.evalEvery, evalEpisodes: budget.evalEpisodes, checkpointEvery: budget.checkpointEvery, envKwargs: budget.envKwargs, stopWhenSolved: budget.stopWhenSolved },
  };
  await checkPlanBuilds(requestFor(o, { defaults }, [0]));
  return { defaults, settings };
}

/** The options `planGroup` plans a group from: the run flags and the preset file, nothing of the study's own. */
function planOptions(o: TuneOptions): Omit<CompareOptions, 'agents' | 'sets'> {
  return { ...o.flags, env: o.env, seeds: [], outDir: o.outDir, ...(o.from ? { from: o.from } : {}), ...(o.presetFile ? { presetFile: o.presetFile, presetFileName: o.presetFileName } : {}) };
}

function requestFor(o: TuneOptions, plans: Record<string, AgentPlan>, seeds: number[]): ComparisonRequest {
  const groups = Object.keys(plans);
  return { env: o.env, agents: groups, seeds, steps: plans[groups[0]].totalSteps, backend: o.flags.backend ?? 'auto', envModules: loadedEnvModules(), plans };
}

/** Runs (or resumes) the study, then the re-evaluation; writes trials.jsonl, best.json, report.json/md. */
export async function runTune(o: TuneOptions): Promise<TuneResult> {
  const outDir = path.resolve(o.outDir);
  const { defaults, settings } = await prepare(o);
  const queued = isQueued(o);
  const workers = o.workers ?? (await import('node:os')).availableParallelism();
  // One executor per trial, so pruning one trial stops only its runs. A pruner judges a trial at an eval step
  // once every seed has evaluated there, so with a pruner a trial's seeds default to a process each (side by
  // side); seeds one after another in one process could only stop the last. The re-evaluation prunes
  // nothing, so its seeds share processes.
  const newExecutor = (runsAtOnce: number, seedsPerProcess = o.seedsPerProcess) => executorFor(o.queue, { workers: runsAtOnce, seedsPerProcess });
  const trialSeedsPerProcess = o.seedsPerProcess ?? (o.pruner === 'none' ? undefined : 1);
  const probe = newExecutor(1);
  try {
    await probe.prepare((m) => console.error(m)); // an unreachable queue is refused before anything is written
  } finally {
    await probe.close();
  }
  const log = (m: string) => {
    if (o.progress !== 'none') console.error(m);
  };

  // A study directory, or a new or empty one: never write a study into another tool's directory.
  if (fs.existsSync(outDir) && !fs.existsSync(path.join(outDir, STUDY_FILES.trials)) && fs.readdirSync(outDir).some((e) => e !== LOCK_FILE)) {
    throw new TsgymError(`--out ${outDir} is not empty and holds no study (trials.jsonl); pick an empty or new directory`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const lock = new CompareLock(outDir);
  lock.acquire();
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    log(`${sig}: stopping the study; its running trials stay open and are run again (from their checkpoints) by the same command`);
    stop.abort();
    for (const kill of runningStops) kill(signals);
  };
  const runningStops = new Set<(count: number) => void>();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const study = Study.open(outDir, settings);
    const parallel = o.parallelTrials ?? (queued ? 1 : Math.max(1, Math.floor(workers / o.seedsPerTrial)));
    const runsAtOnce = Math.max(1, Math.min(o.seedsPerTrial, Math.floor(workers / parallel)));
    const done = study.trials().filter((t) => t.state !== 'running').length;
    log(`tuning ${settings.agent} on ${o.env}: ${o.trials} trials × ${o.seedsPerTrial} seeds (${settings.sampler}, pruner ${settings.pruner}, objective ${o.objective}) → ${outDir}; ${done} finished already; ${parallel} trial(s) at a time`);
    // Runs started after an edit of the code would refuse their spec and fail the trial: stop the study instead.
    let changedCode: CodeFingerprint | null = null;
    const codeUnchanged = () => {
      changedCode ??= codeChangedOnDisk();
      if (changedCode) stop.abort();
      return !changedCode;
    };
    const runTrial = async (ctx: TrialContext): Promise<TrialOutcome> => {
      if (!codeUnchanged()) return { failed: 'stopped' };
      const outcome = await trainTrial(o, defaults, ctx, path.join(outDir, TUNE_FILES.trials, trialDirName(ctx.trial)), newExecutor(runsAtOnce, trialSeedsPerProcess), lock, runningStops, log);
      if ('failed' in outcome) codeUnchanged();
      return outcome;
    };
    const codeChangedError = (changed: CodeFingerprint) =>
      new TsgymError(`the tsgym code changed while the study ran (now ${describeFingerprint(changed)}; the study started with ${describeFingerprint(codeFingerprint())}): stopped, its unfinished trials stay open`, { hint: 'run the same command again to continue the study with the new code; keep the checkout unchanged while a study runs' });
    const trials = await optimize(study, {
      trials: o.trials,
      concurrency: parallel,
      runTrial,
      signal: stop.signal,
      onTrial: (t) => log(`${t.state === 'complete' ? '✓' : t.state === 'pruned' ? '✂' : '✗'} trial ${t.trial} ${t.state}${t.value !== undefined ? ` value ${t.value.toFixed(2)}` : ''}${t.prunedAt !== undefined ? ` at step ${t.prunedAt}` : ''}${t.message ? `: ${t.message.split('\n')[0]}` : ''} ${JSON.stringify(t.params)}`),
    });
    if (changedCode) throw codeChangedError(changedCode);
    if (stop.signal.aborted) return { outDir, interrupted: true, trials, report: null };
    if (!study.best()) throw new TsgymError(`no trial of the study in ${outDir} completed (${trials.filter((t) => t.state === 'failed').length} failed, ${trials.filter((t) => t.state === 'pruned').length} pruned), so there is no best config`, { hint: 'see the trials\' logs under trials/*/logs/' });
    const stepsTrained = trialSteps(outDir, trials);
    if (o.finalists === 0) {
      study.writeBest();
      return { outDir, interrupted: false, trials, report: null };
    }
    if (!codeUnchanged()) throw codeChangedError(changedCode!);
    const reeval = await reevaluate(o, defaults, study, trials, outDir, newExecutor(workers), lock, runningStops, log, stop.signal);
    if (!reeval) return { outDir, interrupted: true, trials, report: null };
    const { selection } = reeval;
    const report = tuneReport(o, settings, trials, reeval, stepsTrained);
    study.writeBest(selection.winner.trial, { reevaluation: { seeds: report.freshSeeds, iqm: selection.winner.iqm, pBetterThanDefaults: selection.winner.pBetterThanDefaults, pIqmAboveDefaults: selection.winner.pIqmAboveDefaults, defaultsIqm: selection.defaults } });
    writeJsonAtomic(path.join(outDir, TUNE_FILES.report), report);
    fs.writeFileSync(path.join(outDir, TUNE_FILES.reportMd), tuneReportMarkdown(report));
    return { outDir, interrupted: false, trials, report };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock.release();
  }
}

const isQueued = (o: TuneOptions) => o.queue !== undefined && !o.queue.startsWith('local:');

/**
 * A comparison directory for `request` (a trial, or the re-evaluation): its request recorded or checked, and
 * a task per run that keeps a finished run, resumes a started one and starts a missing one.
 */
function openRunsDir(o: TuneOptions, dir: string, request: ComparisonRequest, lock: CompareLock): { tasks: RunTask[]; exec: ExecutionContext } {
  fs.mkdirSync(dir, { recursive: true });
  claimComparisonFile(dir, request, ['tsgym', 'tune'], []);
  fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  // With a queue, a worker may be creating a run directory right now: never clean one up.
  const tasks = plannedRuns(request).map((r) => makeTask(r, request, dir, { readOnly: isQueued(o) }));
  return { tasks, exec: { request, outDir: dir, tasks, progress: new CompareProgress(tasks, 'none'), lock } };
}

/** Trains one trial's seeded runs; reports every eval step all seeds have reached; stops the runs when pruned or stopped. */
async function trainTrial(
  o: TuneOptions,
  defaults: AgentPlan,
  ctx: TrialContext,
  dir: string,
  executor: ReturnType<typeof executorFor>,
  lock: CompareLock,
  runningStops: Set<(count: number) => void>,
  log: (m: string) => void,
): Promise<TrialOutcome> {
  const group = trialDirName(ctx.trial);
  let plan: AgentPlan;
  try {
    plan = { ...planGroup(planOptions(o), o.env, defaults.agent!, ctx.hyperparams, o.flags.totalSteps), agent: defaults.agent };
  } catch (e) {
    if (e instanceof TsgymError) return { failed: e.message };
    throw e;
  }
  const queued = isQueued(o);
  const { tasks, exec } = openRunsDir(o, dir, requestFor(o, { [group]: plan }, ctx.seeds), lock);
  const reported = new Set<number>();
  let pruned = false;
  let cancelled: Promise<void> | undefined;
  let executing = true;
  const poll = () => {
    if (pruned) return;
    const evals = tasks.map((t) => readEvals(t.dir));
    for (const step of [...new Set(evals[0].map((e) => e.step))].sort((a, b) => a - b)) {
      if (reported.has(step)) continue;
      const value = intermediateValue(evals, step);
      if (value === undefined) break; // later steps wait for every seed to reach this one
      reported.add(step);
      if (ctx.report(step, value)) {
        // Pruned: the runs are worth nothing more (a study stopped by a signal stops them through runningStops instead, with a checkpoint).
        pruned = true;
        if (!executing) return; // the runs have ended already
        cancelled = executor.cancel(exec).then(
          (m) => log(`trial ${ctx.trial} pruned: ${m}`),
          (e: unknown) => log(`trial ${ctx.trial} pruned; stopping its runs failed: ${e instanceof Error ? e.message : String(e)}`),
        );
        return;
      }
    }
  };
  const stopRuns = (count: number) => executor.interrupt(count, exec);
  runningStops.add(stopRuns);
  log(`▶ trial ${ctx.trial}${ctx.rerun ? ' (run again after an interruption)' : ''}: ${JSON.stringify(ctx.params)} on seeds ${ctx.seeds.join(', ')}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    await executor.prepare(log);
    timer = setInterval(poll, POLL_MS);
    const todo = tasks.filter((t) => t.mode !== 'keep');
    await executor.run(todo, exec);
  } finally {
    clearInterval(timer);
    executing = false;
    await cancelled;
    runningStops.delete(stopRuns);
    await executor.close();
  }
  if (ctx.signal.aborted) return { failed: 'stopped' };
  if (queued) await removeCompletedJobs(o.queue!, dir, tasks, log);
  poll(); // the evals written after the last poll, in step order: the decision does not depend on timing
  if (pruned) return { failed: 'pruned' };
  const failed = tasks.filter((t) => t.state !== 'done');
  if (failed.length) return { failed: failed.map((t) => `${t.name}: ${t.error ?? t.state}`).join('; ') };
  try {
    return { scores: tasks.map((t) => runScore(readEvals(t.dir), o.objective)) };
  } catch (e) {
    if (e instanceof TsgymError) return { failed: e.message };
    throw e;
  }
}

/** A run's eval records so far (none before its metrics exist). */
function readEvals(runDir: string): EvalRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(runPath(runDir, 'metrics'), 'utf8');
  } catch {
    return [];
  }
  // A line being written is skipped by the parser and read whole at the next poll.
  return evalRecords(parseMetrics(text).records);
}

/**
 * Removes the completed jobs of the runs in `dir` once their trial's result is recorded (the run directories
 * hold the results; a rerun keeps finished runs without a job).
 */
async function removeCompletedJobs(url: string, dir: string, tasks: RunTask[], log: (m: string) => void): Promise<void> {
  const connection = connect(url, () => {});
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', () => {});
  try {
    const { createdAt } = readComparisonFile(dir);
    const prefix = comparisonJobPrefix(dir, createdAt);
    const names = new Set(tasks.map((t) => t.name));
    let removed = 0;
    // A job holds one run or a batch of them: found by the comparison's id prefix. The listing's state holds
    // until the removal: tsgym takes a job out of 'completed' only by removing it, and removing a removed job
    // is a no-op (BullMQ refuses only a locked, i.e. active, job).
    for (const job of await queue.getJobs(['completed'])) {
      if (job?.id?.startsWith(prefix) && jobWhere(job).runs.some((n) => names.has(n))) {
        await job.remove();
        removed++;
      }
    }
    if (removed) log(`queue: removed ${removed} completed job(s) of ${dir}`);
  } catch {
    // Redis away: the jobs stay; `tsgym queue clean` removes completed ones later
  } finally {
    await queue.close().catch(() => {});
    connection.disconnect();
  }
}

/** Env steps the study's runs trained (from their metrics), and what they would have trained unpruned. */
function trialSteps(outDir: string, trials: TrialLine[]): { trained: number; unpruned: number } {
  let trained = 0;
  let unpruned = 0;
  for (const t of trials) {
    const dir = path.join(outDir, TUNE_FILES.trials, trialDirName(t.trial));
    let request: ComparisonRequest;
    try {
      request = readComparisonFile(dir);
    } catch {
      continue;
    }
    const plan = Object.values(request.plans)[0];
    for (const r of plannedRuns(request)) {
      const evals = readEvals(path.join(dir, 'runs', r.name));
      trained += lastStep(path.join(dir, 'runs', r.name)) ?? (evals.length ? evals[evals.length - 1].step : 0);
      unpruned += plan.totalSteps;
    }
  }
  return { trained, unpruned };
}

/** The last step a run's metrics record. */
function lastStep(runDir: string): number | undefined {
  try {
    const { records } = parseMetrics(fs.readFileSync(runPath(runDir, 'metrics'), 'utf8'));
    let step: number | undefined;
    for (const r of records) if (typeof r.step === 'number') step = Math.max(step ?? 0, r.step);
    return step;
  } catch {
    return undefined;
  }
}

/** Runs the finalists and the defaults on fresh seeds and picks the winner; null when stopped. */
async function reevaluate(
  o: TuneOptions,
  defaults: AgentPlan,
  study: Study,
  trials: TrialLine[],
  outDir: string,
  executor: ReturnType<typeof executorFor>,
  lock: CompareLock,
  runningStops: Set<(count: number) => void>,
  log: (m: string) => void,
  signal: AbortSignal,
): Promise<{ selection: Selection; scores: Map<number, number[]>; defaults: number[] } | null> {
  const finalists = topTrials(trials, o.finalists);
  const seeds = freshSeeds(o.studySeed, o.freshSeeds, o.seedsPerTrial);
  const plans: Record<string, AgentPlan> = {};
  for (const t of finalists) plans[trialDirName(t.trial)] = { ...planGroup(planOptions(o), o.env, defaults.agent!, study.hyperparams(t.trial), o.flags.totalSteps), agent: defaults.agent };
  plans.defaults = defaults;
  const { tasks, exec } = openRunsDir(o, path.join(outDir, TUNE_FILES.reevaluation), requestFor(o, plans, seeds), lock);
  log(`re-evaluating trials ${finalists.map((t) => t.trial).join(', ')} and the defaults on ${seeds.length} fresh seeds (${seeds.join(', ')})`);
  const stopRuns = (count: number) => executor.interrupt(count, exec);
  runningStops.add(stopRuns);
  try {
    await executor.prepare(log);
    await executor.run(tasks.filter((t) => t.mode !== 'keep'), exec);
  } finally {
    runningStops.delete(stopRuns);
    await executor.close();
  }
  if (signal.aborted) return null;
  if (isQueued(o)) await removeCompletedJobs(o.queue!, exec.outDir, tasks, log);
  const failed = tasks.filter((t) => t.state !== 'done');
  if (failed.length) throw new TsgymError(`the re-evaluation on fresh seeds could not finish: ${failed.map((t) => `${t.name}: ${(t.error ?? t.state).split('\n')[0]}`).join('; ')}`, { hint: 'fix the cause and run the same command again: finished runs are kept' });
  const scoresOf = (group: string) => seeds.map((seed) => runScore(readEvals(tasks.find((t) => t.group === group && t.seed === seed)!.dir), o.objective));
  const scores = new Map(finalists.map((t) => [t.trial, scoresOf(trialDirName(t.trial))]));
  const defaultScores = scoresOf('defaults');
  const selection = selectWinner(
    finalists.map((t) => ({ trial: t.trial, scores: scores.get(t.trial)! })),
    defaultScores,
    { seed: o.studySeed },
  );
  return { selection, scores, defaults: defaultScores };
}

function tuneReport(o: TuneOptions, settings: StudySettings, trials: TrialLine[], reeval: { selection: Selection; scores: Map<number, number[]>; defaults: number[] }, steps: TuneReport['steps']): TuneReport {
  const { selection } = reeval;
  const seeds = freshSeeds(o.studySeed, o.freshSeeds, o.seedsPerTrial);
  const byTrial = new Map(trials.map((t) => [t.trial, t]));
  return {
    agent: settings.agent,
    env: settings.env,
    objective: o.objective,
    from: o.from ?? 'preset',
    trials: { complete: trials.filter((t) => t.state === 'complete').length, pruned: trials.filter((t) => t.state === 'pruned').length, failed: trials.filter((t) => t.state === 'failed').length },
    steps,
    freshSeeds: seeds,
    finalists: selection.ranking.map((f) => ({
      trial: f.trial,
      studyValue: byTrial.get(f.trial)!.value!,
      params: byTrial.get(f.trial)!.params,
      scores: reeval.scores.get(f.trial)!,
      iqm: f.iqm,
      pBetterThanDefaults: f.pBetterThanDefaults,
      pIqmAboveDefaults: f.pIqmAboveDefaults,
    })),
    defaults: { scores: reeval.defaults, iqm: selection.defaults },
    winner: selection.winner.trial,
  };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2));
const interval = (i: { point: number; low: number; high: number }) => `${fmt(i.point)} [${fmt(i.low)}, ${fmt(i.high)}]`;

/** report.md: the study in a few lines, the finalists on the fresh seeds, the winner. */
export function tuneReportMarkdown(r: TuneReport): string {
  const lines = [
    `# Tuning ${r.agent} on ${r.env}`,
    '',
    `${r.trials.complete} trials complete, ${r.trials.pruned} pruned, ${r.trials.failed} failed; objective ${r.objective} (IQM over seeds). ` +
      `Env steps trained: ${r.steps.trained.toLocaleString('en-US')} of ${r.steps.unpruned.toLocaleString('en-US')} without pruning.`,
    '',
    `Re-evaluated on ${r.freshSeeds.length} fresh seeds (never used in the study): ${r.freshSeeds.join(', ')}. IQM with 95% bootstrap interval; P(IQM > defaults) = bootstrap probability that the config's IQM is higher than the defaults'; P(run > defaults) = probability that a run of the config scores higher than a run of the defaults (${r.from === 'defaults' ? "the agent's defaults" : "the env's preset, or the agent's defaults where the env has none"}, with the study's budget).`,
    '',
    '| trial | study value | fresh-seed IQM | P(IQM > defaults) | P(run > defaults) | params |',
    '|---:|---:|---|---:|---|---|',
    ...r.finalists.map((f) => `| ${f.trial}${f.trial === r.winner ? ' (best)' : ''} | ${fmt(f.studyValue)} | ${interval(f.iqm)} | ${f.pIqmAboveDefaults.toFixed(2)} | ${interval(f.pBetterThanDefaults)} | \`${JSON.stringify(f.params)}\` |`),
    ...(r.defaults ? [`| defaults | | ${interval(r.defaults.iqm)} | | | |`] : []),
    '',
    `Best: trial ${r.winner}; its preset is best.json (\`${commandLine('train', `${r.agent} ${r.env} --preset best.json`)}\`).`,
    '',
  ];
  return lines.join('\n');
}
