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
import { jobWhere } from '../queue/status.js';
import { batchJobId, batchName, comparisonJobPrefix, type BatchJobResult, type RunJobData, type RunJobProgress, type RunJobResult } from '../queue/jobs.js';
import { batchesOf } from '../plan/batches.js';
import { readComparisonFile, runSpecOf } from '../plan/request.js';
import { runSpecDocument } from '../../formats/run-spec.js';
import { describeRun, isDone, runSummary, type RunTask } from '../plan/runs.js';
import type { ExecutionContext, Executor } from './executor.js';
import { commandLine } from '../../core/command-line.js';
import { cancelRunJobs, clearCancelled } from '../queue/cancel.js';

const POLL_MS = 500;

/** A job of this comparison: one run, or a batch of one configuration's runs. */
interface QueuedJob {
  id: string;
  name: string;
  data: RunJobData;
}

export class QueueExecutor implements Executor {
  private connection: Redis | null = null;
  private queue: Queue<RunJobData, RunJobResult | BatchJobResult> | null = null;
  private detached = false;
  private wake: (() => void) | null = null;

  constructor(readonly url: string, readonly seedsPerProcess?: number) {
    parseQueueUrl(url); // a malformed URL is one line now, not at connect time
  }

  describe(): string {
    return `as jobs on the queue at ${this.url} (start workers with: ${commandLine('worker', `--queue ${this.url}`)})`;
  }

  /** Fails fast (one line, within ~5 s) when Redis cannot be reached. */
  async prepare(log: (m: string) => void): Promise<void> {
    await checkReachable(this.url);
    this.connection = connect(this.url, (m) => log(`coordinator: ${m}`));
    this.queue = new Queue<RunJobData, RunJobResult | BatchJobResult>(QUEUE_NAME, { connection: this.connection });
    this.queue.on('error', () => {}); // reported by the connection
    await this.queue.waitUntilReady();
  }

  async run(todo: RunTask[], ctx: ExecutionContext): Promise<void> {
    const queue = this.queue!;
    const { createdAt } = readComparisonFile(ctx.outDir);
    /** Each run's job (a batch's runs share one). */
    const jobOf = new Map<RunTask, QueuedJob>();
    let enqueued = 0;
    let reattached = 0;
    let retried = 0;
    // attempts 1: a failure is reported, not retried blindly (rerunning the command retries it); a worker that
    // dies does not count as an attempt: its job stalls and goes back to the queue.
    const enqueue = async (job: QueuedJob) => {
      await clearCancelled(this.connection!, job.id); // a run enqueued again is wanted again
      return queue.add(job.name, job.data, { jobId: job.id, attempts: 1, removeOnComplete: false, removeOnFail: false });
    };
    // This comparison's jobs already on the queue (a coordinator started again): their runs are followed, not
    // enqueued again, whatever batches this invocation would form.
    const byName = new Map(todo.map((t) => [t.name, t]));
    const prefix = comparisonJobPrefix(ctx.outDir, createdAt);
    for (const existing of await queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'])) {
      if (!existing?.id?.startsWith(prefix)) continue;
      const tasks = jobWhere(existing).runs.map((n) => byName.get(n)).filter((t): t is RunTask => t !== undefined && !jobOf.has(t));
      if (!tasks.length) continue;
      const state = await existing.getState();
      if (state === 'completed') {
        // Completed, yet a run of it is not done on disk (its directory was removed): run it again.
        await existing.remove();
        continue;
      }
      if (state === 'failed') {
        await existing.retry('failed');
        retried++;
      } else reattached++;
      for (const t of tasks) jobOf.set(t, { id: existing.id, name: existing.name, data: existing.data });
    }
    const rest = todo.filter((t) => !jobOf.has(t));
    // Without --seeds-per-process, a configuration's runs are split over the workers listening now.
    const slots = this.seedsPerProcess === undefined && rest.length ? Math.max(1, await queue.getWorkersCount().catch(() => 1)) : 1;
    for (const batch of batchesOf(rest, { seedsPerProcess: this.seedsPerProcess, slots })) {
      const runs = batch.map((t) => ({ run: t.name, seed: t.seed }));
      const spec = runSpecDocument(runSpecOf(ctx.request, batch[0].group, batch[0].seed));
      const job: QueuedJob = { id: batchJobId(ctx.outDir, createdAt, runs), name: batchName(runs), data: batch.length === 1 ? { outDir: ctx.outDir, run: batch[0].name, spec } : { outDir: ctx.outDir, runs, spec } };
      await enqueue(job);
      enqueued++;
      for (const t of batch) jobOf.set(t, job);
    }
    ctx.progress.log(`queue: ${enqueued} job(s) enqueued${enqueued < rest.length ? ` (${rest.length} runs, up to ${Math.max(...[...jobOf.values()].map((j) => jobWhere(j).runs.length))} per job)` : ''}, ${reattached} re-attached, ${retried} failed one(s) retried`);

    const open = new Set(todo);
    /** Attempts seen per run (a new attempt means a worker died and the job was handed over). */
    const attempts = new Map<RunTask, number>();
    /** Polls in a row that found no job for a run (Redis answered, but the job is gone). */
    const missing = new Map<RunTask, number>();
    while (open.size && !this.detached) {
      /** The jobs read in this poll (a batch's runs share one). */
      const polled = new Map<string, Promise<Job<RunJobData, RunJobResult | BatchJobResult> | undefined>>();
      for (const task of [...open]) {
        if (this.detached) break;
        const queued = jobOf.get(task)!;
        let job: Job<RunJobData, RunJobResult | BatchJobResult> | undefined;
        try {
          if (!polled.has(queued.id)) polled.set(queued.id, queue.getJob(queued.id));
          job = await polled.get(queued.id);
        } catch {
          continue; // Redis away: the next poll tries again
        }
        if (!job) {
          // Twice in a row: the job vanished (Redis flushed, or restarted without persistence). What the run
          // directory holds decides: a finished run is a result; otherwise the job goes on the queue again and
          // resumes from the run's last checkpoint (a batch's job once, keeping its finished runs).
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
            await enqueue(queued).catch(() => {}); // Redis away again: the next poll sees the job missing and retries
            ctx.progress.log(`↺ ${task.name}: its job vanished from the queue (Redis flushed or restarted without persistence); enqueued it again: it resumes from its last checkpoint on disk`);
          }
          continue;
        }
        missing.delete(task);
        const state = await job.getState().catch(() => 'unknown');
        const p = job.progress as Partial<RunJobProgress> | number;
        const progress = typeof p === 'object' && p ? p : {};
        // A batch trains its runs one after another: its progress is of the run it names.
        const current = 'runs' in queued.data ? progress.run === task.name : true;
        const ended = progress.ended?.[task.name];
        if (ended && isDone(ended.status)) {
          open.delete(task);
          this.finish(task, ended, ctx);
          continue;
        }
        if (current && typeof progress.step === 'number') {
          if (task.state !== 'running' || progress.startStep !== task.startStep) task.startStep = Math.min(progress.startStep ?? 0, progress.step);
          task.step = progress.step;
        }
        const attempt = job.attemptsStarted ?? 0;
        const seen = attempts.get(task) ?? 0;
        attempts.set(task, Math.max(seen, attempt));
        if (state === 'active' && current && task.state !== 'running') {
          task.state = 'running';
          ctx.progress.log(`▶ ${task.name}: taken by a worker${attempt > 1 ? ` (attempt ${attempt}: resumes from its last checkpoint)` : ''}`);
        } else if (state === 'active' && current && seen > 0 && attempt > seen) {
          // Its worker died and another took the job over between two polls.
          ctx.progress.log(`↺ ${task.name}: its worker stopped; attempt ${attempt} on another worker resumes it from its last checkpoint`);
        } else if ((state === 'waiting' || state === 'prioritized' || state === 'delayed') && task.state === 'running') {
          task.state = 'waiting';
          ctx.progress.log(`↺ ${task.name}: back in the queue (its worker stopped); the next worker resumes it from its last checkpoint`);
        } else if (state === 'completed') {
          open.delete(task);
          // The job's return value says how the run ended; the run directory is read only when it is missing.
          const result = job.returnvalue as Partial<RunJobResult & BatchJobResult> | null;
          this.finish(task, result && typeof result.runs === 'object' && result.runs ? result.runs[task.name] ?? null : result, ctx);
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

  /** A run whose job reported how it ended (`result`; null: read its directory). */
  private finish(task: RunTask, result: Partial<RunJobResult> | null, ctx: ExecutionContext): void {
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
    // Every job of this comparison, whatever batches formed them (ids share the comparison's prefix).
    const prefix = comparisonJobPrefix(ctx.outDir, createdAt);
    const jobs = await this.queue!.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed']);
    const ids = jobs.filter((j) => j?.id?.startsWith(prefix)).map((j) => j.id!);
    const { removed, stopped, left } = await cancelRunJobs(this.queue!, this.connection!, ids);
    return `queue: ${removed} waiting job(s) removed, ${stopped} running one(s) stopped on their workers${left ? `, ${left} still running (their workers stop them when they next look)` : ''}`;
  }

  async close(): Promise<void> {
    await this.queue?.close().catch(() => {});
    this.connection?.disconnect();
  }
}
