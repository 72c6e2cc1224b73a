/** What a queued run carries, and how its progress is reported; shared by the coordinator and workers. */
import { createHash } from 'node:crypto';

/** One job = one run of a comparison or sweep. */
export interface RunJobData {
  /** The comparison directory (absolute; must be the same path on every worker: a shared filesystem). */
  outDir: string;
  /** Run directory name inside `<outDir>/runs/`. */
  run: string;
  /** `train` arguments for a fresh start (a started run is resumed from its directory instead). */
  trainArgs: string[];
}

/** What a worker reports with job.updateProgress. */
export interface RunJobProgress {
  step: number;
  total: number;
  /** Step this attempt started from (0, or its last checkpoint's). */
  startStep: number;
  stepsPerSecond: number;
  /** host:pid of the worker running it. */
  worker: string;
}

export interface RunJobResult {
  status: string;
  steps: number | null;
  /** The run was already done when the job started (e.g. a retried job). */
  alreadyDone: boolean;
}

/**
 * The job id of a run: the same comparison (directory and creation time of its comparison.json) always
 * gives the same ids, so a restarted coordinator finds its jobs instead of enqueuing them twice.
 */
export function runJobId(outDir: string, createdAt: string, run: string): string {
  const cmp = createHash('sha256').update(`${outDir}\0${createdAt}`).digest('hex').slice(0, 16);
  return `${cmp}-${run}`;
}
