/**
 * What a queued run carries, and how its progress is reported; shared by the coordinator and workers.
 *
 * Job data comes from whoever can write to the Redis, so a worker believes none of it unchecked
 * (`checkRunJob`): the only job is training one run, or a batch of runs of one configuration on their own
 * seeds; a run name is a plain name; every path it leads to is inside the comparison directory; the run
 * itself is a versioned run spec (formats/run-spec.ts), checked field by field and resolved again by the
 * `train` child.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { parseRunSpecDocument, type CodeFingerprint, type RunSpec, type RunSpecDocument } from '../../formats/run-spec.js';
import { COMPARISON_FILES, comparisonLogName } from '../../formats/comparison.js';
import { checkBatchRuns, isPlainRunName, type BatchRun } from '../harness/batch-seeds.js';

/** One job = one run of a comparison or sweep. */
export interface SingleRunJobData {
  /** The comparison directory (absolute; must be the same path on every worker: a shared filesystem). */
  outDir: string;
  /** Run directory name inside `<outDir>/runs/`. */
  run: string;
  /** The run, resolved by the coordinator (used for a fresh start; a started run resumes from its directory). */
  spec: RunSpecDocument;
}

/** One job = a batch: runs of one configuration, each with its own seed, trained one after another by one process. */
export interface BatchRunJobData {
  outDir: string;
  /** Run directory names inside `<outDir>/runs/` and their seeds. */
  runs: BatchRun[];
  /** The configuration; each run trains it with its own seed. */
  spec: RunSpecDocument;
}

export type RunJobData = SingleRunJobData | BatchRunJobData;

export interface CheckedRunJob {
  outDir: string;
  run: string;
  spec: RunSpec & { fingerprint: CodeFingerprint };
  /** `<outDir>/runs/<run>` and `<outDir>/logs/<run>.log`. */
  runDir: string;
  log: string;
}

export interface CheckedBatchJob {
  outDir: string;
  runs: (BatchRun & { runDir: string; log: string })[];
  spec: RunSpec & { fingerprint: CodeFingerprint };
  /** `<outDir>/runs`. */
  runsDir: string;
}

/** Checks a job's data; a refused job is one line saying what is wrong. */
export function checkRunJob(data: unknown): CheckedRunJob | CheckedBatchJob {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new TsgymError('refused job: its data is not an object');
  const d = data as Record<string, unknown>;
  const batch = 'runs' in d;
  const extra = Object.keys(d).filter((k) => !['outDir', batch ? 'runs' : 'run', 'spec'].includes(k));
  if (extra.length) throw new TsgymError(`refused job: unexpected field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (a job is {outDir, run, spec} or {outDir, runs, spec})`);
  if (typeof d.outDir !== 'string' || !path.isAbsolute(d.outDir) || path.normalize(d.outDir) !== d.outDir.replace(/\/+$/, '') || d.outDir.includes('\0')) {
    throw new TsgymError(`refused job: outDir ${JSON.stringify(d.outDir)} is not an absolute, normalised path`);
  }
  const outDir = d.outDir;
  const runsDir = path.join(outDir, COMPARISON_FILES.runs);
  const place = (run: string) => {
    const runDir = path.join(runsDir, run);
    const log = path.join(outDir, COMPARISON_FILES.logs, comparisonLogName(run));
    // Belt and braces: a plain name cannot leave the directory, and this says so for the paths used.
    for (const p of [runDir, log]) if (path.relative(outDir, p).startsWith('..')) throw new TsgymError(`refused job: ${p} is outside ${outDir}`);
    return { runDir, log };
  };
  if (batch) {
    const runs = checkBatchRuns(d.runs, 'refused job');
    const spec = parseRunSpecDocument(d.spec, `refused job ${batchName(runs)}: its spec`);
    return { outDir, runs: runs.map((r) => ({ ...r, ...place(r.run) })), spec, runsDir };
  }
  if (!isPlainRunName(d.run)) throw new TsgymError(`refused job: run ${JSON.stringify(d.run)} is not a plain run name (letters, digits, ._=+-; no path)`);
  const spec = parseRunSpecDocument(d.spec, `refused job ${d.run}: its spec`);
  return { outDir, run: d.run, spec, ...place(d.run) };
}

/** How a batch is named in logs and job ids: its first run, and how many more. */
export function batchName(runs: readonly BatchRun[]): string {
  return runs.length === 1 ? runs[0].run : `${runs[0].run}+${runs.length - 1}`;
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
  /** A batch: the run these steps are of, and the runs that have ended so far. */
  run?: string;
  ended?: Record<string, RunJobResult>;
}

/** A job's return value: what the coordinator reports (it reads the run directory only when this is missing). */
export interface RunJobResult {
  status: string;
  steps: number | null;
  /** The run was already done when the job started (e.g. a retried job). */
  alreadyDone: boolean;
  /** One line about the run (describeRun), for the coordinator's log. */
  description?: string;
}

/** A batch job's return value: each run's. */
export interface BatchJobResult {
  runs: Record<string, RunJobResult>;
}

/** The ids of a comparison's jobs start with this (a restarted coordinator finds its batches by it). */
export function comparisonJobPrefix(outDir: string, createdAt: string): string {
  return `${createHash('sha256').update(`${outDir}\0${createdAt}`).digest('hex').slice(0, 16)}-`;
}

/**
 * The job id of a batch of runs (of one run: the run's own id). The same comparison (directory and creation
 * time of its comparison.json) always gives the same ids, so a restarted coordinator finds its jobs instead of
 * enqueuing them twice.
 */
export function batchJobId(outDir: string, createdAt: string, runs: readonly BatchRun[]): string {
  return `${comparisonJobPrefix(outDir, createdAt)}${batchName(runs)}`;
}
