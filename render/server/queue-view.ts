/**
 * The queue as the viewer shows it (`view --queue redis://HOST:PORT`): which runs of a comparison or study are
 * queued, running on which worker and how far, failed and why, or done. Read through
 * experiments/queue/status.ts, the functions `tsgym queue status` uses; nothing here writes to Redis (the queue's
 * meta is not even touched: `skipMetasUpdate`).
 *
 * One connection for the server's life. The queue is read when a page or stream asks and the last read is older
 * than {@link QUEUE_READ_MS}; every page and stream shares that read, so open tabs do not multiply the load on
 * Redis, and a read only fetches the jobs it has not seen in their current state (and the running ones, whose
 * progress changes). A read that fails or gets no answer within {@link QUEUE_READ_TIMEOUT_MS} makes the queue
 * "unreachable" until one succeeds: the client reconnects by itself, and commands fail at once while Redis is
 * away (no offline queue), so no request of the viewer waits on Redis longer than that.
 */
import * as path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connect, parseQueueUrl, QUEUE_NAME } from '../../experiments/queue/connection.js';
import { readQueueStatus, type QueueJobStatus, type QueueStatus } from '../../experiments/queue/status.js';
import { trialDirName, TUNE_FILES } from '../../experiments/tune/study.js';
import type { QueueRun, QueueRunsResponse, QueueRunState, QueueSummary } from '../../formats/api-types.js';
import { MAX_QUEUE_JOBS_PER_STATE } from './limits.js';

/** The queue is read at most this often (pages and streams in between get the last read). */
export const QUEUE_READ_MS = 2000;
/** A read without an answer for this long: the queue is shown as unreachable. */
export const QUEUE_READ_TIMEOUT_MS = 3000;

const RUN_STATE: Record<QueueJobStatus['state'], QueueRunState> = { active: 'running', waiting: 'queued', prioritized: 'queued', delayed: 'queued', failed: 'failed', completed: 'done' };
/** The order a run's jobs are listed in when it has several: the one that matters now first. */
const STATE_ORDER: QueueRunState[] = ['running', 'queued', 'failed', 'done'];

/** `url` without its password (it is shown on the pages). */
export function shownQueueUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString().replace(/\/$/, '');
}

export class QueueView {
  private readonly connection: Redis;
  private readonly queue: Queue;
  private readonly shownUrl: string;
  private status: QueueStatus | null = null;
  private error: string | null = null;
  private lastReadAt: number | null = null;
  private attemptedAt = -Infinity;
  private reading: Promise<void> | null = null;
  /** The connection's last error (ECONNREFUSED, …), for the "unreachable" line. */
  private connectionError: string | null = null;

  constructor(
    url: string,
    private readonly readMs = QUEUE_READ_MS,
    private readonly timeoutMs = QUEUE_READ_TIMEOUT_MS,
  ) {
    parseQueueUrl(url); // a malformed URL is one line before anything starts
    this.shownUrl = shownQueueUrl(url);
    this.connection = connect(url, () => {}, { enableOfflineQueue: false, connectionName: 'tsgym-view' });
    this.connection.on('error', (e: NodeJS.ErrnoException) => (this.connectionError = e.code ?? e.message)); // shown on the pages as "unreachable"
    this.queue = new Queue(QUEUE_NAME, { connection: this.connection, skipMetasUpdate: true });
    this.queue.on('error', () => {});
  }

  /** The queue's counts (or why it cannot be read); resolves within the read timeout, never rejects. */
  async summary(): Promise<QueueSummary> {
    await this.fresh();
    const reachable = this.error === null && this.status !== null;
    return {
      configured: true,
      url: this.shownUrl,
      reachable,
      error: reachable ? null : (this.error ?? 'not read yet'),
      lastReadAt: reachable ? null : this.lastReadAt,
      counts: reachable ? { ...this.status!.counts } : null,
    };
  }

  /**
   * The runs of the jobs whose directory is `dirs` (one directory, spelled as the coordinator may have: lexical
   * and real path) or below it; `dir` of each is relative to it, `trial` set for a study's trial directories.
   */
  async runsIn(dirs: string[]): Promise<QueueRunsResponse> {
    const summary = await this.summary();
    if (!summary.reachable) return { ...summary, runs: [] };
    const runs: QueueRun[] = [];
    for (const job of this.status!.jobs) {
      const base = dirs.find((d) => job.outDir === d || job.outDir.startsWith(d + path.sep));
      if (base === undefined) continue;
      const dir = path.relative(base, job.outDir);
      for (const run of job.runs) {
        // A batch trains its runs together: one that has ended is done while the job runs on; the step reported is one run's.
        const ended = job.state === 'active' && job.ended[run] !== undefined;
        const stepOfRun = !ended && (job.stepRun === null || job.stepRun === run);
        runs.push({
          run,
          dir,
          trial: trialOf(dir),
          state: ended ? 'done' : RUN_STATE[job.state],
          jobState: job.state,
          jobId: job.id,
          worker: job.worker,
          step: stepOfRun ? job.step : null,
          total: stepOfRun ? job.total : null,
          stepsPerSecond: stepOfRun ? job.stepsPerSecond : null,
          takenAt: job.takenAt,
          finishedAt: job.finishedAt,
          attempts: job.attempts,
          error: job.error === null ? null : job.error.split('\n')[0],
        });
      }
    }
    runs.sort((a, b) => a.dir.localeCompare(b.dir) || a.run.localeCompare(b.run) || STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state));
    return { ...summary, runs };
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => {});
    this.connection.disconnect();
  }

  /** Reads the queue when the last read is older than readMs (one read at a time, shared). */
  private async fresh(): Promise<void> {
    if (!this.reading && Date.now() - this.attemptedAt >= this.readMs) {
      this.attemptedAt = Date.now();
      this.reading = this.read().finally(() => {
        this.reading = null;
      });
    }
    if (this.reading) await this.reading;
  }

  private async read(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
    });
    const reading = readQueueStatus(this.queue, { perState: MAX_QUEUE_JOBS_PER_STATE, previous: this.status ?? undefined });
    reading.catch(() => {}); // a read that times out may still fail later
    try {
      this.status = await Promise.race([reading, timeout]);
      this.error = null;
      this.lastReadAt = Date.now();
    } catch (e) {
      const why = this.connection.status === 'ready' ? (e as Error).message : `not connected: ${this.connectionError ?? this.connection.status}`;
      this.error = `cannot read the queue at ${this.shownUrl} (${why})`;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The trial of a study's job directory (`trials/trial-0003` → 3), else null. */
function trialOf(dir: string): number | null {
  const parts = dir.split(path.sep);
  if (parts.length !== 2 || parts[0] !== TUNE_FILES.trials) return null;
  const n = Number(/\d+$/.exec(parts[1])?.[0]);
  return Number.isInteger(n) && trialDirName(n) === parts[1] ? n : null;
}
