/**
 * Queue execution: `--queue redis://HOST:PORT` enqueues one BullMQ job per run (workers started with
 * `npm run worker` on any machine train them) and follows them: job states and the progress the workers
 * report (job.updateProgress) drive the same RunTasks, hence the same progress display, as local runs.
 *
 * Job ids are derived from the comparison (experiments/queue/jobs.ts), so a coordinator started again with
 * the same command re-attaches to its jobs instead of enqueuing them twice; a job that failed earlier is
 * retried (the fix may be in place now), and a run already finished on disk is never enqueued. Run
 * directories are written by the workers into `--out`, which must therefore be on a shared filesystem.
 *
 * Ctrl-C detaches the coordinator: the jobs go on on the workers; the same command re-attaches.
 */
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkReachable, connect, parseQueueUrl, QUEUE_NAME } from '../queue/connection.js';
import { runJobId, type RunJobData, type RunJobProgress, type RunJobResult } from '../queue/jobs.js';
import { readComparisonFile, runSpecOf } from '../plan/request.js';
import { runSpecDocument } from '../../formats/run-spec.js';
import { describeRun, isDone, runSummary, type RunTask } from '../plan/runs.js';
import type { ExecutionContext, Executor } from './executor.js';
import { commandLine } from '../../core/command-line.js';
import { cancelRunJobs, clearCancelled } from '../queue/cancel.js';

const POLL_MS = 500;

export class QueueExecutor implements Executor {
  private connection: Redis | null = null;
  private queue: Queue<RunJobData, RunJobResult> | null = null;
  private detached = false;
  private wake: (() => void) | null = null;

  constructor(readonly url: string) {
    parseQueueUrl(url); // a malformed URL is one line now, not at connect time
  }

  describe(): string {
    return `as jobs on the queue at ${this.url} (start workers with: ${commandLine('worker', `--queue ${this.url}`)})`;
  }

  /** Fails fast (one line, within ~5 s) when Redis cannot be reached. */
  async prepare(log: (m: string) => void): Promise<void> {
    await checkReachable(this.url);
    this.connection = connect(this.url, (m) => log(`coordinator: ${m}`));
    this.queue = new Queue<RunJobData, RunJobResult>(QUEUE_NAME, { connection: this.connection });
    this.queue.on('error', () => {}); // reported by the connection
    await this.queue.waitUntilReady();
  }

  async run(todo: RunTask[], ctx: ExecutionContext): Promise<void> {
    const queue = this.queue!;
    const { createdAt } = readComparisonFile(ctx.outDir);
    const ids = new Map<RunTask, string>();
    let enqueued = 0;
    let reattached = 0;
    let retried = 0;
    // attempts 1: a failure is reported, not retried blindly (rerunning the command retries it); a worker that
    // dies does not count as an attempt: its job stalls and goes back to the queue.
    const enqueue = async (task: RunTask) => {
      const data: RunJobData = { outDir: ctx.outDir, run: task.name, spec: runSpecDocument(runSpecOf(ctx.request, task.group, task.seed)) };
      await clearCancelled(this.connection!, ids.get(task)!); // a run enqueued again is wanted again
      return queue.add(task.name, data, { jobId: ids.get(task)!, attempts: 1, removeOnComplete: false, removeOnFail: false });
    };
    for (const task of todo) {
      const id = runJobId(ctx.outDir, createdAt, task.name);
      ids.set(task, id);
      const existing = await queue.getJob(id);
      if (existing) {
        const state = await existing.getState();
        if (state === 'failed') {
          await existing.retry('failed');
          retried++;
          continue;
        }
        if (state !== 'completed') {
          reattached++;
          continue;
        }
        // Completed, yet the run is not done on disk (its directory was removed): run it again.
        await existing.remove();
      }
      await enqueue(task);
      enqueued++;
    }
    ctx.progress.log(`queue: ${enqueued} job(s) enqueued, ${reattached} re-attached, ${retried} failed one(s) retried`);

    const open = new Set(todo);
    /** Attempts seen per run (a new attempt means a worker died and the job was handed over). */
    const attempts = new Map<RunTask, number>();
    /** Polls in a row that found no job for a run (Redis answered, but the job is gone). */
    const missing = new Map<RunTask, number>();
    while (open.size && !this.detached) {
      for (const task of [...open]) {
        if (this.detached) break;
        let job: Job<RunJobData, RunJobResult> | undefined;
        try {
          job = await queue.getJob(ids.get(task)!);
        } catch {
          continue; // Redis away: the next poll tries again
        }
        if (!job) {
          // Twice in a row: the job vanished (Redis flushed, or restarted without persistence). What the run
          // directory holds decides: a finished run is a result; otherwise the job goes on the queue again and
          // resumes from the run's last checkpoint.
          missing.set(task, (missing.get(task) ?? 0) + 1);
          if (missing.get(task)! < 2) continue;
          missing.delete(task);
          const { status, steps } = runSummary(task.dir);
          if (isDone(status)) {
            open.delete(task);
            task.state = 'done';
            task.step = steps ?? task.plan.totalSteps;
            ctx.progress.log(`✓ ${task.name}: its job vanished from the queue (Redis flushed or restarted without persistence), but the run is ${describeRun(task.dir)}`);
          } else {
            task.state = 'waiting';
            attempts.delete(task);
            await enqueue(task).catch(() => {}); // Redis away again: the next poll sees the job missing and retries
            ctx.progress.log(`↺ ${task.name}: its job vanished from the queue (Redis flushed or restarted without persistence); enqueued it again: it resumes from its last checkpoint on disk`);
          }
          continue;
        }
        missing.delete(task);
        const state = await job.getState().catch(() => 'unknown');
        const p = job.progress as Partial<RunJobProgress> | number;
        if (typeof p === 'object' && p && typeof p.step === 'number') {
          if (task.state !== 'running' || p.startStep !== task.startStep) task.startStep = Math.min(p.startStep ?? 0, p.step);
          task.step = p.step;
        }
        const attempt = job.attemptsStarted ?? 0;
        const seen = attempts.get(task) ?? 0;
        attempts.set(task, Math.max(seen, attempt));
        if (state === 'active' && task.state !== 'running') {
          task.state = 'running';
          ctx.progress.log(`▶ ${task.name}: taken by a worker${attempt > 1 ? ` (attempt ${attempt}: resumes from its last checkpoint)` : ''}`);
        } else if (state === 'active' && seen > 0 && attempt > seen) {
          // Its worker died and another took the job over between two polls.
          ctx.progress.log(`↺ ${task.name}: its worker stopped; attempt ${attempt} on another worker resumes it from its last checkpoint`);
        } else if ((state === 'waiting' || state === 'prioritized' || state === 'delayed') && task.state === 'running') {
          task.state = 'waiting';
          ctx.progress.log(`↺ ${task.name}: back in the queue (its worker stopped); the next worker resumes it from its last checkpoint`);
        } else if (state === 'completed') {
          open.delete(task);
          // The job's return value says how the run ended; the run directory is read only when it is missing.
          const result = job.returnvalue as Partial<RunJobResult> | null;
          const { status, steps } = typeof result?.status === 'string' ? { status: result.status, steps: result.steps ?? null } : runSummary(task.dir);
          if (isDone(status)) {
            task.state = 'done';
            task.step = steps ?? task.plan.totalSteps;
            ctx.progress.log(`✓ ${task.name}: ${typeof result?.description === 'string' ? result.description : describeRun(task.dir)}`);
          } else {
            task.state = 'failed';
            task.error = `its job completed but ${task.dir} holds no finished run (status ${status ?? 'unknown'}); is --out the same shared path on every worker?`;
            ctx.progress.log(`✗ ${task.name}: ${task.error}`);
          }
        } else if (state === 'failed') {
          open.delete(task);
          task.state = 'failed';
          task.error = job.failedReason || 'failed';
          ctx.progress.log(`✗ ${task.name}: ${task.error.split('\n')[0]}`);
        }
      }
      if (open.size && !this.detached) await new Promise<void>((r) => setTimeout((this.wake = r), POLL_MS));
    }
  }

  interrupt(): string {
    this.detached = true;
    this.wake?.();
    return 'detaching from the queue: the workers go on with the jobs; run the same command again to follow them and write the report';
  }

  /**
   * Removes the jobs of `ctx` no worker has taken and has the workers kill the running ones
   * (queue/cancel.ts); their jobs complete as cancelled and are removed.
   */
  async cancel(ctx: ExecutionContext): Promise<string> {
    this.interrupt();
    const { createdAt } = readComparisonFile(ctx.outDir);
    const { removed, stopped, left } = await cancelRunJobs(this.queue!, this.connection!, ctx.tasks.map((t) => runJobId(ctx.outDir, createdAt, t.name)));
    return `queue: ${removed} waiting job(s) removed, ${stopped} running one(s) stopped on their workers${left ? `, ${left} still running (their workers stop them when they next look)` : ''}`;
  }

  async close(): Promise<void> {
    await this.queue?.close().catch(() => {});
    this.connection?.disconnect();
  }
}
