/**
 * One `train` child process (`tsgym train … --progress json`): its output is appended to
 * the run's log, and its JSON progress events (experiments/harness/progress.ts) are handed to the caller.
 * Both executors run runs this way: the local one directly, the queue one inside a worker's processor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProgressEvent, type ProgressEvent } from '../harness/progress.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * How to start the CLI in a child: the source under tsx in this repository, the built bin in the installed
 * package (which has neither the sources nor tsx).
 */
const CLI_ARGS = import.meta.url.endsWith('.ts') ? ['--import', 'tsx', path.join(REPO_ROOT, 'experiments', 'cli.ts')] : [path.join(REPO_ROOT, 'experiments', 'bin.js')];

export interface TrainExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The spawn itself failed (no such executable…). */
  spawnError: Error | null;
}

export interface TrainProcess {
  child: ChildProcess;
  done: Promise<TrainExit>;
}

/**
 * Starts `train` with `args` (where the run goes; `--spec -` reads the run itself from `input`, a JSON run
 * spec written to the child's stdin, `--batch -` a run batch); `header` is written to the log first. A batch
 * writes each run's output to that run's log, `logOf(run)`, from its `run-start` event on.
 */
export function startTrain(args: string[], log: string, onEvent: (e: ProgressEvent) => void, header = '', input?: string, logOf?: (run: string) => string): TrainProcess {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const command = `${header}tsgym ${args.join(' ')}`;
  let logFd = fs.openSync(log, 'a');
  fs.writeSync(logFd, `=== ${new Date().toISOString()} ${command}\n`);
  const switchLog = (run: string) => {
    fs.closeSync(logFd);
    logFd = fs.openSync(logOf!(run), 'a');
    fs.writeSync(logFd, `=== ${new Date().toISOString()} ${run} in ${command}\n`);
  };
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO_ROOT, env: process.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) {
    child.stdin!.on('error', () => {}); // a child that exits before reading reports why on stderr
    child.stdin!.end(input);
  }
  let tail = '';
  child.stdout!.on('data', (chunk: Buffer) => fs.writeSync(logFd, chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    if (!logOf) fs.writeSync(logFd, chunk);
    const lines = (tail + chunk.toString('utf8')).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      const e = parseProgressEvent(line);
      if (e?.event === 'run-start' && logOf) switchLog(e.run);
      if (logOf) fs.writeSync(logFd, line + '\n');
      if (e) onEvent(e);
    }
  });
  let spawnError: Error | null = null;
  child.on('error', (e) => (spawnError = e));
  const done = new Promise<TrainExit>((resolve) =>
    child.on('close', (code, signal) => {
      if (logOf && tail) fs.writeSync(logFd, tail);
      fs.closeSync(logFd);
      resolve({ code, signal, spawnError });
    }),
  );
  return { child, done };
}

/** Why a train process ended without a result, in a few words. */
export function describeExit(e: TrainExit): string {
  return e.spawnError ? e.spawnError.message : e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}
