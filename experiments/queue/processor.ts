/**
 * The BullMQ processor of `npm run worker`. It trains one run as a `train` child process (the same command the
 * local executor runs, the run's spec on its stdin), resuming it from its last checkpoint when an earlier
 * attempt got that far (a worker that died leaves a stalled job that another worker picks up), and turns the
 * run's JSON progress events into job progress. The CPU-bound work is in the `train` child, so the processor
 * runs in the worker's own process and never delays its lock renewals.
 *
 * Nothing in a job's data is used before `checkRunJob` has checked it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DelayedError, type Job } from 'bullmq';
import { clearConfiglessRunDir, describeRun, isDone, lastLines, runSummary } from '../plan/runs.js';
import { batchArgs, resumeArgs, trainArgs } from '../plan/request.js';
import { isRunDir, runPath } from '../run-files.js';
import { liveLocalHolder } from '../harness/run-lock.js';
import { describeExit, startTrain, type TrainExit, type TrainProcess } from '../executors/train-process.js';
import { codeFingerprint, describeFingerprint, sameFingerprint } from '../fingerprint.js';
import { runSpecDocument } from '../../formats/run-spec.js';
import { batchName, checkRunJob, type BatchJobResult, type CheckedBatchJob, type RunJobData, type RunJobProgress, type RunJobResult } from './jobs.js';
import { runBatchDocument } from '../harness/batch-seeds.js';
import { COMPARISON_FILES } from '../../formats/comparison.js';
import { CANCELLED_STATUS, wasCancelled } from './cancel.js';

/** How long a job refused for its code fingerprint, or whose run is still locked here, waits before a worker looks at it again. */
export const REFUSED_JOB_DELAY_MS = 2000;

/** The `train` processes this worker runs now. */
const running = new Set<TrainProcess>();
/** Jobs this worker refused already (said once). */
const refused = new Set<string>();

/**
 * Asks every run of this worker to checkpoint and stop (the trainer treats SIGTERM like Ctrl-C), killing the
 * ones still running after `graceMs`; resolves once they have all exited.
 */
export async function stopRuns(graceMs = 20_000): Promise<void> {
  const procs = [...running];
  for (const p of procs) p.child.kill('SIGTERM');
  const hard = setTimeout(() => procs.forEach((p) => p.child.kill('SIGKILL')), graceMs);
  await Promise.all(procs.map((p) => p.done));
  clearTimeout(hard);
}

/**
 * `signal` aborts when the worker loses this job (its lock could not be renewed: the job stalled and may be
 * running elsewhere already), or when its coordinator cancels it (queue/cancel.ts). The run is then killed at
 * once, not asked to checkpoint: a lost run is no longer ours, and its own lock's fencing (run-lock.ts)
 * refuses any write it still attempts; a cancelled run is not wanted (it keeps its last checkpoint).
 */
export async function processRun(job: Job<RunJobData, RunJobResult | BatchJobResult>, token: string | undefined, signal: AbortSignal | undefined): Promise<RunJobResult | BatchJobResult> {
  // Nothing in the job is used before it is checked (a refused job fails with one line; the worker goes on).
  const checked = checkRunJob(job.data);
  const { outDir, spec } = checked;
  const name = 'runs' in checked ? batchName(checked.runs) : checked.run;
  const mine = codeFingerprint();
  if (!sameFingerprint(spec.fingerprint, mine)) {
    // Another worker (with the coordinator's code) may take it: back to the queue, after a pause.
    const why = `job ${job.id} (${name}) was planned with code ${describeFingerprint(spec.fingerprint)}; this worker runs ${describeFingerprint(mine)}`;
    if (!refused.has(String(job.id))) console.error(`refused ${why}`);
    refused.add(String(job.id));
    await job.moveToDelayed(Date.now() + REFUSED_JOB_DELAY_MS, token);
    throw new DelayedError(`refused: ${why}`);
  }
  if (!fs.existsSync(path.join(outDir, COMPARISON_FILES.request))) {
    throw new Error(`${outDir} is not reachable from worker ${os.hostname()} (no comparison.json there); --out must be a path every worker sees (a shared filesystem)`);
  }
  if ('runs' in checked) return processBatch(job, checked, token, signal);
  const { run, runDir: dir, log } = checked;
  const before = runSummary(dir);
  if (isDone(before.status)) return { status: before.status!, steps: before.steps, alreadyDone: true, description: describeRun(dir) };

  let args = trainArgs(path.join(outDir, COMPARISON_FILES.runs), run);
  let input: string | undefined = JSON.stringify(runSpecDocument(spec));
  let how = 'start';
  if (fs.existsSync(dir) && !isRunDir(dir)) clearConfiglessRunDir(dir);
  if (isRunDir(dir)) {
    const retry = (job.attemptsStarted ?? 1) > 1;
    const busy = retry ? null : liveLocalHolder(dir);
    if (busy) {
      // Still being written by a process here (a job that vanished from Redis and was enqueued again while
      // its first run was being stopped): look again shortly rather than fail the job.
      console.error(`job ${job.id} (${run}): the run is still locked by pid ${busy.pid} (${busy.command}); retrying in ${REFUSED_JOB_DELAY_MS / 1000} s`);
      await job.moveToDelayed(Date.now() + REFUSED_JOB_DELAY_MS, token);
      throw new DelayedError(`run ${run} is still locked by pid ${busy.pid}`);
    }
    // A job started again after a stall: its worker died or stopped (possibly on another host, where this
    // worker cannot check its pid) and may have left the run lock behind: take it over (run-lock.ts fences
    // the old holder out).
    const takeOverLock = retry && fs.existsSync(runPath(dir, 'lock'));
    args = resumeArgs(dir, { takeOverLock });
    input = undefined;
    how = 'resume';
  }
  const worker = `${os.hostname()}:${process.pid}`;
  let last: RunJobProgress = { step: 0, total: 0, startStep: 0, stepsPerSecond: 0, worker };
  let pending: Promise<void> = Promise.resolve();
  const report = (p: RunJobProgress) => {
    last = p;
    pending = pending.then(() => job.updateProgress(p as unknown as object)).catch(() => {});
  };
  const proc = startTrain(
    args,
    log,
    (e) => {
      if (e.event === 'start') report({ ...last, step: e.step, startStep: e.step, total: e.total });
      else if (e.event === 'progress') report({ ...last, step: e.step, total: e.total, stepsPerSecond: e.stepsPerSecond });
    },
    `worker ${worker}, job ${job.id} attempt ${job.attemptsStarted ?? 1}, ${how}: `,
    input,
  );
  const exit = await watchTrain(proc, job, worker, log, signal);
  await pending;
  if (wasCancelled(signal)) return cancelledResult(runSummary(dir).steps ?? last.step, `cancelled at step ${last.step}; the run keeps its last checkpoint`);
  const after = runSummary(dir);
  if (isDone(after.status)) {
    const description = describeRun(dir);
    fs.appendFileSync(log, `=== ${description}\n`);
    return { status: after.status!, steps: after.steps, alreadyDone: false, description };
  }
  throw new Error(`${describeExit(exit)}; run status ${after.status ?? 'unknown'}${after.message ? ` (${after.message})` : ''}. Last lines of ${log} on ${os.hostname()}:\n${lastLines(log, 6)}`);
}

/** Waits for a job's `train` child; kills it at once when the worker loses the job (`signal`), and then fails. */
async function watchTrain(proc: TrainProcess, job: Job, worker: string, log: string, signal: AbortSignal | undefined): Promise<TrainExit> {
  running.add(proc);
  const onLost = () => {
    fs.appendFileSync(log, `=== worker ${worker} ${wasCancelled(signal) ? 'was told to cancel' : 'lost'} job ${job.id}: its run is killed here\n`);
    proc.child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', onLost, { once: true });
  if (signal?.aborted) onLost(); // aborted while the child was being started
  const exit = await proc.done;
  running.delete(proc);
  signal?.removeEventListener('abort', onLost);
  if (signal?.aborted && !wasCancelled(signal)) {
    throw new Error(`worker ${worker} lost job ${job.id} (its lock expired); the run goes on where the job was handed over`);
  }
  return exit;
}

/**
 * A batch job: one `train --batch` child trains its runs one after another (ended runs are kept, started ones
 * resume from their checkpoints, so a batch handed over from a dead worker loses only the steps since the
 * running run's last checkpoint). Progress names the run it is of, and lists the runs that ended so far.
 */
async function processBatch(job: Job<RunJobData, RunJobResult | BatchJobResult>, b: CheckedBatchJob, token: string | undefined, signal: AbortSignal | undefined): Promise<RunJobResult | BatchJobResult> {
  const retry = (job.attemptsStarted ?? 1) > 1;
  const busy = retry ? null : b.runs.map((r) => (isRunDir(r.runDir) ? liveLocalHolder(r.runDir) : null)).find((h) => h);
  if (busy) {
    // As for a single run: still being written by a process here; look again shortly rather than fail the job.
    console.error(`job ${job.id} (${batchName(b.runs)}): a run is still locked by pid ${busy.pid} (${busy.command}); retrying in ${REFUSED_JOB_DELAY_MS / 1000} s`);
    await job.moveToDelayed(Date.now() + REFUSED_JOB_DELAY_MS, token);
    throw new DelayedError(`a run of ${batchName(b.runs)} is still locked by pid ${busy.pid}`);
  }
  const worker = `${os.hostname()}:${process.pid}`;
  const ended: Record<string, RunJobResult> = {};
  let last: RunJobProgress = { step: 0, total: 0, startStep: 0, stepsPerSecond: 0, worker, ended };
  let pending: Promise<void> = Promise.resolve();
  const report = (p: RunJobProgress) => {
    last = p;
    pending = pending.then(() => job.updateProgress(p as unknown as object)).catch(() => {});
  };
  const logs = new Map(b.runs.map((r) => [r.run, r.log]));
  const proc = startTrain(
    // A handed-over batch may find its runs' locks left by the dead worker (possibly on another host): take them over.
    batchArgs(b.runsDir, { takeOverLock: retry }),
    b.runs[0].log,
    (e) => {
      if (e.event === 'run-start') report({ ...last, run: e.run, step: 0, startStep: 0, total: 0, stepsPerSecond: 0 });
      else if (e.event === 'start') report({ ...last, step: e.step, startStep: e.step, total: e.total });
      else if (e.event === 'progress') report({ ...last, step: e.step, total: e.total, stepsPerSecond: e.stepsPerSecond });
      else if (e.event === 'run-end' && logs.has(e.run)) {
        ended[e.run] = { status: e.status, steps: e.steps, alreadyDone: e.how === 'kept', description: e.description };
        fs.appendFileSync(logs.get(e.run)!, `=== ${e.description}\n`);
        report({ ...last, ended: { ...ended } });
      }
    },
    `worker ${worker}, job ${job.id} attempt ${job.attemptsStarted ?? 1}, batch (${b.runs.map((r) => r.run).join(', ')}): `,
    JSON.stringify(runBatchDocument(b.runs.map((r) => ({ run: r.run, seed: r.seed })), runSpecDocument(b.spec))),
    (run) => logs.get(run) ?? b.runs[0].log,
  );
  const exit = await watchTrain(proc, job, worker, b.runs[0].log, signal);
  await pending;
  if (wasCancelled(signal)) return cancelledResult(last.step, `cancelled at step ${last.step} of ${last.run ?? b.runs[0].run}; every run keeps its last checkpoint`);
  const open = b.runs.filter((r) => !isDone(ended[r.run]?.status ?? null));
  if (!open.length) return { runs: ended };
  const lastLog = logs.get(last.run ?? '') ?? b.runs[0].log;
  throw new Error(`${describeExit(exit)}; ${open.length} of ${b.runs.length} runs unfinished (${open.map((r) => r.run).join(', ')}). Last lines of ${lastLog} on ${os.hostname()}:\n${lastLines(lastLog, 6)}`);
}

/** A cancelled job completes (it is neither failed nor retried) saying where its run was stopped. */
function cancelledResult(steps: number, description: string): RunJobResult {
  return { status: CANCELLED_STATUS, steps, alreadyDone: false, description };
}
