/**
 * Cancelling run jobs, including ones a worker is running. BullMQ removes a job no worker has taken, but
 * cannot stop one that is active on a worker; so a coordinator that no longer wants a run (a pruned trial)
 * leaves a cancel mark in Redis — one key per job id, expiring after CANCEL_MARK_SECONDS — and every worker
 * looks for marks on its active jobs every CANCEL_POLL_MS. A marked job's `train` child is killed at once
 * (the run keeps its last checkpoint, so its directory stays a resumable partial run) and the job completes
 * with status `cancelled`: not failed, not retried; the worker takes its next job. A mark found when a job
 * starts (it was marked while a stalled job waited for another worker) cancels it before anything runs.
 */
import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAME } from './connection.js';
import type { BatchJobResult, RunJobData, RunJobResult } from './jobs.js';

/** What a job completes with: one run's result, or a batch's. */
type JobResult = RunJobResult | BatchJobResult;

/** How often a worker looks for cancel marks on its active jobs. */
export const CANCEL_POLL_MS = 500;
/** How long a mark lasts: long enough for a stalled job to be taken up again and cancelled. */
export const CANCEL_MARK_SECONDS = 24 * 3600;
/** How long `cancelRunJobs` waits for the workers to stop the marked jobs before it leaves them to the marks. */
export const CANCEL_WAIT_MS = 15_000;
/** The reason a worker's abort signal carries when its job was cancelled (any other reason: the job was lost). */
export const JOB_CANCELLED = 'cancelled by its coordinator';
/** The status a cancelled job completes with (RunJobResult.status). */
export const CANCELLED_STATUS = 'cancelled';

export const cancelKey = (jobId: string) => `tsgym:cancel:${QUEUE_NAME}:${jobId}`;

/** Whether a job's abort signal says it was cancelled (rather than lost with its lock). */
export const wasCancelled = (signal: AbortSignal | undefined) => signal?.aborted === true && signal.reason === JOB_CANCELLED;

/** Marks jobs as cancelled. */
export async function markCancelled(client: Redis, jobIds: readonly string[]): Promise<void> {
  if (!jobIds.length) return;
  const multi = client.multi();
  for (const id of jobIds) multi.set(cancelKey(id), '1', 'EX', CANCEL_MARK_SECONDS);
  await multi.exec();
}

/** Removes a job's cancel mark (a run enqueued again is wanted again). */
export async function clearCancelled(client: Redis, jobId: string): Promise<void> {
  await client.del(cancelKey(jobId));
}

/** Which of `jobIds` are marked. */
async function marked(client: Redis, jobIds: readonly string[]): Promise<Set<string>> {
  if (!jobIds.length) return new Set();
  const values = await client.mget(jobIds.map(cancelKey));
  return new Set(jobIds.filter((_, i) => values[i] !== null));
}

/**
 * The coordinator's side: cancels the jobs `jobIds` (missing ones are skipped). Jobs no worker has taken
 * are removed; the others are marked, and once their workers have stopped them (or they ended on their
 * own) they are removed too, within `waitMs`. Returns how many were removed from the queue at once and
 * how many were stopped on a worker; `left` counts jobs still running after `waitMs` (their marks stay).
 */
export async function cancelRunJobs(
  queue: Queue<RunJobData, JobResult>,
  client: Redis,
  jobIds: readonly string[],
  waitMs = CANCEL_WAIT_MS,
): Promise<{ removed: number; stopped: number; left: number }> {
  // Marked first: a job a worker takes between the state check and the removal is still cancelled.
  await markCancelled(client, jobIds);
  let removed = 0;
  const running: Job<RunJobData, JobResult>[] = [];
  for (const id of jobIds) {
    const job = await queue.getJob(id);
    if (!job) continue;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
      try {
        await job.remove();
        removed++;
        continue;
      } catch {
        // a worker took it meanwhile: its mark stops it
      }
    }
    running.push(job);
  }
  let stopped = 0;
  const deadline = Date.now() + waitMs;
  let open = running.map((j) => j.id!);
  while (open.length) {
    const still: string[] = [];
    for (const id of open) {
      // The state first, then the job: a job read before it completed would have no return value yet.
      const state = await queue.getJobState(id);
      if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        still.push(id);
        continue;
      }
      const job = await queue.getJob(id);
      const result = job?.returnvalue;
      if (result && 'status' in result && result.status === CANCELLED_STATUS) stopped++;
      await job?.remove().catch(() => {});
    }
    open = still;
    if (!open.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { removed, stopped, left: open.length };
}

/**
 * The worker's side: runs each job through `run`, which cancels it (via `worker.cancelJob`, so the
 * processor's abort signal fires with JOB_CANCELLED) as soon as its mark appears. `close()` stops polling.
 */
export function watchCancelMarks(worker: Worker<RunJobData, JobResult>, client: Redis, log: (m: string) => void) {
  const active = new Set<string>();
  const poll = async () => {
    if (!active.size) return;
    try {
      for (const id of await marked(client, [...active])) {
        if (worker.cancelJob(id, JOB_CANCELLED)) log(`■ job ${id}: cancelled by its coordinator; its run is stopped here`);
        active.delete(id);
      }
    } catch {
      // Redis away: the next poll looks again
    }
  };
  const timer = setInterval(() => void poll(), CANCEL_POLL_MS);
  return {
    /** Processes `job` with `process` unless it is marked already (then it completes as cancelled at once). */
    async run(job: Job<RunJobData, JobResult>, process: () => Promise<JobResult>): Promise<JobResult> {
      const id = String(job.id);
      if ((await marked(client, [id]).catch(() => new Set<string>())).has(id)) return { status: CANCELLED_STATUS, steps: null, alreadyDone: false, description: 'cancelled before it started' };
      active.add(id);
      try {
        return await process();
      } finally {
        active.delete(id);
      }
    },
    close: () => clearInterval(timer),
  };
}
