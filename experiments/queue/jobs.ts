/**
 * What a queued run carries, and how its progress is reported; shared by the coordinator and workers.
 *
 * Job data comes from whoever can write to the Redis, so a worker believes none of it unchecked
 * (`checkRunJob`): the only job is training one run; its run name is a plain name; every path it leads to is
 * inside the comparison directory; the run itself is a versioned run spec (formats/run-spec.ts), checked field by
 * field and resolved again by the `train` child.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { parseRunSpecDocument, type CodeFingerprint, type RunSpec, type RunSpecDocument } from '../../formats/run-spec.js';
import { COMPARISON_FILES, comparisonLogName } from '../../formats/comparison.js';

/** One job = one run of a comparison or sweep. */
export interface RunJobData {
  /** The comparison directory (absolute; must be the same path on every worker: a shared filesystem). */
  outDir: string;
  /** Run directory name inside `<outDir>/runs/`. */
  run: string;
  /** The run, resolved by the coordinator (used for a fresh start; a started run resumes from its directory). */
  spec: RunSpecDocument;
}

/** A run name: letters, digits and `._=+-`, not starting with a dot (so never `..`, a path, or hidden). */
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._=+-]{0,199}$/;

export interface CheckedRunJob {
  outDir: string;
  run: string;
  spec: RunSpec & { fingerprint: CodeFingerprint };
  /** `<outDir>/runs/<run>` and `<outDir>/logs/<run>.log`. */
  runDir: string;
  log: string;
}

/** Checks a job's data; a refused job is one line saying what is wrong. */
export function checkRunJob(data: unknown): CheckedRunJob {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new TsgymError('refused job: its data is not an object');
  const d = data as Record<string, unknown>;
  const extra = Object.keys(d).filter((k) => !['outDir', 'run', 'spec'].includes(k));
  if (extra.length) throw new TsgymError(`refused job: unexpected field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (a job is {outDir, run, spec})`);
  if (typeof d.outDir !== 'string' || !path.isAbsolute(d.outDir) || path.normalize(d.outDir) !== d.outDir.replace(/\/+$/, '') || d.outDir.includes('\0')) {
    throw new TsgymError(`refused job: outDir ${JSON.stringify(d.outDir)} is not an absolute, normalised path`);
  }
  if (typeof d.run !== 'string' || !PLAIN_NAME.test(d.run)) throw new TsgymError(`refused job: run ${JSON.stringify(d.run)} is not a plain run name (letters, digits, ._=+-; no path)`);
  const spec = parseRunSpecDocument(d.spec, `refused job ${d.run}: its spec`);
  const runsDir = path.join(d.outDir, COMPARISON_FILES.runs);
  const runDir = path.join(runsDir, d.run);
  const log = path.join(d.outDir, COMPARISON_FILES.logs, comparisonLogName(d.run));
  // Belt and braces: a plain name cannot leave the directory, and this says so for the paths used.
  for (const p of [runDir, log]) if (path.relative(d.outDir, p).startsWith('..')) throw new TsgymError(`refused job: ${p} is outside ${d.outDir}`);
  return { outDir: d.outDir, run: d.run, spec, runDir, log };
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

/** A job's return value: what the coordinator reports (it reads the run directory only when this is missing). */
export interface RunJobResult {
  status: string;
  steps: number | null;
  /** The run was already done when the job started (e.g. a retried job). */
  alreadyDone: boolean;
  /** One line about the run (describeRun), for the coordinator's log. */
  description?: string;
}

/**
 * The job id of a run: the same comparison (directory and creation time of its comparison.json) always
 * gives the same ids, so a restarted coordinator finds its jobs instead of enqueuing them twice.
 */
export function runJobId(outDir: string, createdAt: string, run: string): string {
  const cmp = createHash('sha256').update(`${outDir}\0${createdAt}`).digest('hex').slice(0, 16);
  return `${cmp}-${run}`;
}
