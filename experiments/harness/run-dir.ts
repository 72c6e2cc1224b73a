/**
 * A run directory being written by the trainer: creates it, appends the logs, and on resume checks and
 * restores them. File names and types live in formats/run-format.ts.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { asIoError, io } from './atomic.js';
import { runPath, writeRunConfig, writeRunSummary } from '../run-files.js';
import { RUN_FILES, type LogMarks, type MetricRecord, type RunConfig, type RunSummary, type TimingRecord } from '../../formats/run-format.js';

export { runName, stepDirName, type RunSummary } from '../../formats/run-format.js';

/** A log that no longer matches what a checkpoint recorded: resuming would corrupt it. */
export class LogMismatchError extends TsgymError {
  override name = 'LogMismatchError';
}

export class RunDir {
  private pendingMetrics: string[] = [];
  /** Checks that this process still owns the run (its lock's epoch); set once the lock is held. */
  private ownership: (() => void) | null = null;

  constructor(readonly dir: string) {}

  /** From now on, every write first checks `check` (throws when the run was taken over: run-lock.ts). */
  fence(check: () => void): void {
    this.ownership = check;
  }

  /** Throws LostRunError when another process took the run over; call before writing anything to it. */
  assertOwned(): void {
    this.ownership?.();
  }

  /**
   * Creates `<root>/<name>` (or `<name>-2`, `-3`, … when taken). The directory is created with a plain
   * mkdir, which fails if it exists, so two processes starting at once never share one.
   */
  static create(root: string, name: string): RunDir {
    io(root, 'create', () => fs.mkdirSync(root, { recursive: true }));
    for (let k = 1; ; k++) {
      const dir = path.join(root, k === 1 ? name : `${name}-${k}`);
      try {
        fs.mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw asIoError(e, dir, 'create');
      }
      io(dir, 'create', () => {
        fs.mkdirSync(path.join(dir, RUN_FILES.checkpoints));
        fs.mkdirSync(path.join(dir, RUN_FILES.episodes));
      });
      return new RunDir(dir);
    }
  }

  get metricsPath(): string {
    return runPath(this.dir, 'metrics');
  }
  get timingPath(): string {
    return runPath(this.dir, 'timing');
  }
  get checkpointsDir(): string {
    return runPath(this.dir, 'checkpoints');
  }
  get episodesDir(): string {
    return runPath(this.dir, 'episodes');
  }
  get bestDir(): string {
    return runPath(this.dir, 'best');
  }

  writeConfig(config: RunConfig): void {
    this.assertOwned();
    writeRunConfig(this.dir, config);
  }

  writeSummary(summary: RunSummary): void {
    this.assertOwned();
    writeRunSummary(this.dir, summary);
  }

  /** Queues one metrics line; `flush()` appends the queue (called at evals, checkpoints and the end). */
  metric(record: MetricRecord): void {
    this.pendingMetrics.push(JSON.stringify(record));
  }

  flush(): void {
    if (!this.pendingMetrics.length) return;
    this.assertOwned();
    const text = this.pendingMetrics.join('\n') + '\n';
    this.pendingMetrics = [];
    io(this.metricsPath, 'append to', () => fs.appendFileSync(this.metricsPath, text));
  }

  timing(step: number, wall: number): void {
    this.assertOwned();
    const rec: TimingRecord = { step, wall: Math.round(wall * 1000) / 1000 };
    io(this.timingPath, 'append to', () => fs.appendFileSync(this.timingPath, JSON.stringify(rec) + '\n'));
  }

  /** Where metrics.jsonl and timing.jsonl stand (length and hash), stored in each checkpoint; see `restoreLogs`. */
  logMarks(): LogMarks {
    this.flush();
    return { metrics: fileMark(this.metricsPath), timing: fileMark(this.timingPath) };
  }

  /**
   * On resume: drop log lines written after the checkpoint, so the resumed run writes them again
   * identically. Refuses (LogMismatchError) a log shorter than at the checkpoint, deleted, or whose first
   * bytes differ from what the checkpoint recorded: resuming would pad, restart or interleave it.
   */
  restoreLogs(marks: LogMarks, checkpointDir: string): void {
    this.assertOwned();
    this.pendingMetrics = [];
    for (const [file, mark] of [
      [this.metricsPath, marks.metrics],
      [this.timingPath, marks.timing],
    ] as const) {
      const have = fs.existsSync(file) ? fs.statSync(file).size : null;
      const hint = `the run cannot be resumed from ${path.basename(checkpointDir)} without losing or corrupting it; restore the file, or resume from an earlier checkpoint with --from-checkpoint STEP`;
      if (have === null) {
        if (mark.bytes === 0) continue;
        throw new LogMismatchError(`${file} is missing, but checkpoint ${path.basename(checkpointDir)} recorded ${mark.bytes} bytes of it; ${hint}`);
      }
      if (have < mark.bytes) throw new LogMismatchError(`${file} is ${have} bytes, shorter than the ${mark.bytes} bytes checkpoint ${path.basename(checkpointDir)} recorded; ${hint}`);
      if (prefixSha256(file, mark.bytes) !== mark.sha256) throw new LogMismatchError(`${file}: its first ${mark.bytes} bytes differ from what checkpoint ${path.basename(checkpointDir)} recorded; ${hint}`);
      io(file, 'truncate', () => fs.truncateSync(file, mark.bytes));
    }
  }

  /** Starting over from step 0 (a run with no checkpoint): empties both logs. */
  clearLogs(): void {
    this.assertOwned();
    this.pendingMetrics = [];
    for (const file of [this.metricsPath, this.timingPath]) if (fs.existsSync(file)) io(file, 'truncate', () => fs.truncateSync(file, 0));
  }
}

function fileMark(file: string): { bytes: number; sha256: string } {
  const bytes = fs.existsSync(file) ? fs.statSync(file).size : 0;
  return { bytes, sha256: prefixSha256(file, bytes) };
}

/** sha256 of the first `bytes` bytes of `file` (of nothing when bytes = 0). */
function prefixSha256(file: string, bytes: number): string {
  const hash = crypto.createHash('sha256');
  if (bytes > 0) {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(bytes, 1 << 20));
      for (let pos = 0; pos < bytes; ) {
        const n = fs.readSync(fd, buf, 0, Math.min(buf.length, bytes - pos), pos);
        if (n <= 0) break;
        hash.update(buf.subarray(0, n));
        pos += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return hash.digest('hex');
}
