/**
 * What the queue holds, read-only: each job's state, its comparison directory and runs, the worker running it
 * and how far it got, and why a failed one failed. `tsgym queue status` prints it; the viewer server
 * (`view --queue`) serves it to the comparison and study pages. Nothing here writes to Redis.
 *
 * Job data comes from whoever can write to the Redis and is shown, never used: a field of the wrong type
 * reads as unknown. Both job shapes are read: one run (`{outDir, run, spec}`) and a batch of runs
 * (`{outDir, runs: [name | {run}], spec}`).
 */
import * as path from 'node:path';
import type { Job, Queue } from 'bullmq';
import type { RunJobProgress } from './jobs.js';

/** BullMQ's job states, in the order `queue status` lists them. */
export const JOB_STATES = ['active', 'waiting', 'prioritized', 'delayed', 'failed', 'completed'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States of a job no worker has taken (yet, or again). */
export const NOT_TAKEN: readonly JobState[] = ['waiting', 'prioritized', 'delayed'];

/** One job as an operator sees it. */
export interface QueueJobStatus {
  id: string;
  state: JobState;
  /** The comparison directory its runs are in ('?' when the data does not say). */
  outDir: string;
  /** Its runs' directory names below `<outDir>/runs/` (['?'] when the data does not say). */
  runs: string[];
  /** host:pid of the worker that reported progress last (running jobs), or null. */
  worker: string | null;
  /** Env step reached and the run's budget, as last reported; null before the first report. */
  step: number | null;
  /** A batch: the run that step is of (null: the job's one run, or not said). */
  stepRun: string | null;
  /** A batch: its runs that have ended so far, with their status. */
  ended: Record<string, string>;
  total: number | null;
  stepsPerSecond: number | null;
  /** Epoch ms: when it was enqueued, when a worker last took it, when it finished or failed. */
  enqueuedAt: number | null;
  takenAt: number | null;
  finishedAt: number | null;
  /** Workers that have taken it (more than one: a worker died or stopped and another resumed it). */
  attempts: number;
  /** Failed: the whole reason (the first line says what happened). */
  error: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A job's directory and run names as its data records them; anything else reads as '?'. */
export function jobWhere(job: Pick<Job, 'data'>): { outDir: string; runs: string[] } {
  const d = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as { outDir?: unknown; run?: unknown; runs?: unknown };
  const runs = typeof d.run === 'string' ? [d.run] : Array.isArray(d.runs) ? d.runs.map((r: unknown) => str(r) ?? str((r as { run?: unknown } | null)?.run) ?? '?') : [];
  return { outDir: str(d.outDir) ?? '?', runs: runs.length ? runs : ['?'] };
}

/** Whether a job belongs to directory `dir` (the directory itself or one under it). */
export function inDir(job: Pick<Job, 'data'>, dir: string | undefined): boolean {
  if (dir === undefined) return true;
  const { outDir } = jobWhere(job);
  return outDir === dir || outDir.startsWith(dir + path.sep);
}

/** The queue's jobs (of `dir`, when given) by state. */
export async function jobsByState(queue: Queue, dir: string | undefined): Promise<Map<JobState, Job[]>> {
  const out = new Map<JobState, Job[]>();
  for (const state of JOB_STATES) out.set(state, (await queue.getJobs([state])).filter((j) => j && inDir(j, dir)));
  return out;
}

/** One job's status; `state` as the queue listed it. */
export function jobStatus(job: Job, state: JobState): QueueJobStatus {
  const p = (typeof job.progress === 'object' && job.progress !== null ? job.progress : {}) as Partial<Record<keyof RunJobProgress | 'run' | 'ended', unknown>>;
  return {
    id: String(job.id),
    state,
    ...jobWhere(job),
    worker: str(p.worker),
    step: num(p.step),
    stepRun: str(p.run),
    ended: Object.fromEntries(Object.entries(typeof p.ended === 'object' && p.ended !== null ? p.ended : {}).map(([run, r]) => [run, str((r as { status?: unknown } | null)?.status) ?? '?'])),
    total: num(p.total),
    stepsPerSecond: num(p.stepsPerSecond),
    enqueuedAt: num(job.timestamp),
    takenAt: num(job.processedOn),
    finishedAt: num(job.finishedOn),
    attempts: num(job.attemptsStarted) ?? 0,
    error: state === 'failed' ? (job.failedReason ?? '') : null,
  };
}

export interface QueueStatus {
  /** Jobs per state on the whole queue. */
  counts: Record<JobState, number>;
  /** The jobs read (at most `perState` of each state, the newest first). */
  jobs: QueueJobStatus[];
}

/**
 * The queue's counts and jobs. `perState` bounds the jobs read per state (the newest); `previous` (an
 * earlier answer) saves reading again a job that is still where it was and not running: only running jobs'
 * progress changes in place.
 */
export async function readQueueStatus(queue: Queue, opts: { perState?: number; previous?: QueueStatus } = {}): Promise<QueueStatus> {
  const counts = (await queue.getJobCounts(...JOB_STATES)) as Record<JobState, number>;
  const before = new Map((opts.previous?.jobs ?? []).map((j) => [j.id, j]));
  // By id: a job that moved on while the states were read shows where it was seen last.
  const jobs = new Map<string, QueueJobStatus>();
  for (const state of JOB_STATES) {
    const ids = (await queue.getRanges([state], 0, opts.perState === undefined ? -1 : opts.perState - 1)).map(String);
    for (const id of ids) {
      const known = before.get(id);
      if (known && known.state === state && state !== 'active') {
        jobs.set(id, known);
        continue;
      }
      const job = await queue.getJob(id);
      if (job) jobs.set(id, jobStatus(job, state)); // removed between the two reads: left out
    }
  }
  for (const s of JOB_STATES) counts[s] ??= 0;
  return { counts, jobs: [...jobs.values()] };
}

/** A job's place for people: its run, below `dir` when given (a study's trial: `trials/trial-0003/run`). */
export function jobLabel(job: Pick<QueueJobStatus, 'outDir' | 'runs'>, dir: string | undefined): string {
  const runs = job.runs.join('+');
  return dir && job.outDir !== dir ? path.join(path.relative(dir, job.outDir), runs) : dir ? runs : path.join(job.outDir, runs);
}

/** The lines of `tsgym queue status`. */
export function statusLines(status: QueueStatus, url: string, dir: string | undefined): string[] {
  const jobs = status.jobs.filter((j) => dir === undefined || j.outDir === dir || j.outDir.startsWith(dir + path.sep));
  const count = (s: JobState) => (dir === undefined ? status.counts[s] : jobs.filter((j) => j.state === s).length);
  const lines = [`queue ${url}${dir ? ` of ${dir}` : ''}: ${JOB_STATES.map((s) => `${count(s)} ${s}`).join(', ')}`];
  for (const j of jobs.filter((x) => x.state === 'active')) {
    const at = j.step !== null ? ` step ${j.step}${j.total !== null ? `/${j.total}` : ''}` : '';
    lines.push(`  running  ${jobLabel(j, dir)}  on ${j.worker ?? 'a worker (no progress yet)'}${at}`);
  }
  for (const s of NOT_TAKEN) for (const j of jobs.filter((x) => x.state === s)) lines.push(`  ${s.padEnd(8)} ${jobLabel(j, dir)}`);
  for (const j of jobs.filter((x) => x.state === 'failed')) lines.push(`  failed   ${jobLabel(j, dir)}: ${(j.error ?? '').split('\n')[0]}`);
  return lines;
}
