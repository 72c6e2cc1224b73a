/**
 * How the runs of a plan get trained. The coordinator (experiments/compare.ts) plans, checks the request,
 * takes the lock and shows progress; an executor only trains the runs it is handed and keeps each
 * RunTask's state and step current, so the same progress display and report work for every executor.
 */
import type { CompareLock } from '../plan/lock.js';
import type { CompareProgress } from '../plan/progress.js';
import type { ComparisonRequest } from '../../formats/comparison.js';
import type { RunTask } from '../plan/runs.js';

export interface ExecutionContext {
  request: ComparisonRequest;
  /** The comparison directory (absolute). */
  outDir: string;
  /** Every run of the plan (finished ones included), in plan order. */
  tasks: RunTask[];
  progress: CompareProgress;
  lock: CompareLock;
}

export interface Executor {
  /** Short description for the start message ("2 at a time", "as jobs on the queue at redis://…"), for `todo` runs. */
  describe(todo: number): string;
  /** Connects to what it needs before anything is written (an unreachable queue is refused here). */
  prepare(log: (message: string) => void): Promise<void>;
  /**
   * Trains every task of `todo` (state `waiting`); resolves once each is `done` or `failed` (its `error`
   * set), or after `interrupt` once nothing more will happen in this invocation.
   */
  run(todo: RunTask[], ctx: ExecutionContext): Promise<void>;
  /** Ctrl-C / SIGTERM number `count` (1: stop gently, keeping work; 2: stop now). */
  interrupt(count: number, ctx: ExecutionContext): string;
  /**
   * Stops the runs of `ctx` for good: their results are no longer wanted (a pruned trial). Runs not started
   * never start; running ones are killed (each keeps its last checkpoint). Resolves once they have stopped,
   * and makes a pending `run` resolve.
   */
  cancel(ctx: ExecutionContext): Promise<string>;
  /** Releases connections. */
  close(): Promise<void>;
}
