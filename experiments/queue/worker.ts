/**
 * `npm run worker -- --queue redis://HOST:PORT [--concurrency K]`: takes run jobs from the queue, K at a
 * time, each trained by a `train` child process (experiments/queue/processor.ts). A job whose worker
 * died stalls: its lock is no longer renewed, and after `lockSeconds` another worker takes it and resumes the
 * run from its last checkpoint.
 *
 * Ctrl-C / SIGTERM stops the worker at once: its runs checkpoint and stop, and their jobs go to another
 * worker (or to this one when it is started again) once their locks expire.
 */
import * as os from 'node:os';
import { Worker } from 'bullmq';
import { checkReachable, connect, QUEUE_NAME } from './connection.js';
import { checkBatchRuns } from '../harness/batch-seeds.js';
import { batchName, type BatchJobResult, type RunJobData, type RunJobResult } from './jobs.js';
import { processRun, stopRuns } from './processor.js';
import { CANCELLED_STATUS, watchCancelMarks } from './cancel.js';

export interface WorkerOptions {
  queue: string;
  /** Jobs at a time (default 1: a run already uses a core). */
  concurrency?: number;
  /** Seconds a job's lock lasts without renewal before another worker may take the job (default 30). */
  lockSeconds?: number;
  log?: (message: string) => void;
}

export interface RunningWorker {
  worker: Worker<RunJobData, RunJobResult | BatchJobResult>;
  /** Resolves when the worker has closed (a signal, or close()). */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const log = o.log ?? ((m: string) => console.error(m));
  await checkReachable(o.queue);
  const lockMs = Math.round((o.lockSeconds ?? 30) * 1000);
  const connection = connect(o.queue, (m) => log(`worker: ${m}`));
  // Its own client: the worker's connection may be blocked waiting for jobs.
  const cancelClient = connect(o.queue);
  let cancels: ReturnType<typeof watchCancelMarks> | undefined;
  const worker = new Worker<RunJobData, RunJobResult | BatchJobResult>(QUEUE_NAME, (job, token, signal) => cancels!.run(job, () => processRun(job, token, signal)), {
    connection,
    concurrency: o.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.round(lockMs / 2)),
    // A job may lose its worker several times (each loss costs only the steps since its last checkpoint).
    maxStalledCount: 10,
  });
  cancels = watchCancelMarks(worker, cancelClient, log);
  // Job data is shown as JSON text: it has not been checked yet when a job becomes active.
  const name = (job: { data?: unknown } | undefined) => {
    const d = (job?.data ?? {}) as { run?: unknown; runs?: unknown };
    if ('runs' in d) {
      try {
        return batchName(checkBatchRuns(d.runs, 'job'));
      } catch {
        return JSON.stringify(d.runs)?.slice(0, 80) ?? '?';
      }
    }
    return typeof d.run === 'string' && /^[\w.=+-]+$/.test(d.run) ? d.run : JSON.stringify(d.run ?? '?');
  };
  const ended = (r: RunJobResult) => `${r.status}${r.alreadyDone ? ' (already done)' : ''}`;
  worker.on('active', (job) => log(`▶ ${name(job)} (job ${job.id}, attempt ${job.attemptsStarted})`));
  worker.on('completed', (job, result) => {
    if ('status' in result && result.status === CANCELLED_STATUS) log(`■ ${name(job)}: ${result.status} (${result.description})`);
    else log(`✓ ${name(job)}: ${'runs' in result ? Object.entries(result.runs).map(([run, r]) => `${run} ${ended(r)}`).join(', ') : ended(result)}`);
  });
  worker.on('failed', (job, err) => {
    if (err.name !== 'DelayedError') log(`✗ ${name(job)}: ${err.message.split('\n')[0]}`);
  });
  worker.on('error', () => {}); // connection errors are reported by the client
  // A job whose lock could not be renewed may already run on another worker: stop its run here at once.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) if (worker.cancelJob(id, 'lost its lock')) log(`✗ job ${id}: lost its lock (stalled); its run is stopped here, the queue hands it over`);
  });
  await worker.waitUntilReady();
  log(`worker ${os.hostname()}:${process.pid} takes jobs from ${o.queue} (${o.concurrency ?? 1} at a time)`);
  let resolveClosed: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  worker.on('closed', () => {
    cancels!.close();
    cancelClient.disconnect();
    resolveClosed();
  });
  return {
    worker,
    closed,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

/** The `worker` command: runs until a signal. */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const w = await startWorker(o);
  const stop = (sig: NodeJS.Signals) => {
    console.error(`${sig}: stopping; the running runs checkpoint and their jobs go to another worker once their locks expire`);
    void stopRuns().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await w.closed;
}
