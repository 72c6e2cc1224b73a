/**
 * Local execution (the default): `train` child processes on this machine, K at a time. A batch of runs of
 * one configuration (experiments/plan/batches.ts) is one child (`train --batch`), which trains its runs one
 * after another; a batch of one run is a child of its own (`train --spec`, or `train --resume` for a started
 * run). A resumed run continues from its last checkpoint, bit-identical to an uninterrupted run. Signals: the
 * first asks every running child to checkpoint and stop (SIGTERM, which the trainer treats like Ctrl-C); a
 * second kills them.
 */
import * as os from 'node:os';
import { batchArgs, resumeArgs, runSpecOf, trainArgs } from '../plan/request.js';
import { runSpecDocument } from '../../formats/run-spec.js';
import { describeRun, isDone, lastLines, runSummary, type RunTask } from '../plan/runs.js';
import { batchesOf } from '../plan/batches.js';
import { runBatchDocument } from '../harness/batch-seeds.js';
import { describeExit, startTrain } from './train-process.js';
import type { ExecutionContext, Executor } from './executor.js';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { COMPARISON_FILES } from '../../formats/comparison.js';

export class LocalExecutor implements Executor {
  private interrupted = false;
  /** The running children and the promise of each one's exit. */
  private readonly running = new Map<ChildProcess, Promise<unknown>>();
  readonly workers: number;

  constructor(workers?: number, readonly seedsPerProcess?: number) {
    this.workers = workers ?? os.availableParallelism();
  }

  describe(todo: number): string {
    return `${Math.min(this.workers, todo)} at a time`;
  }

  async prepare(): Promise<void> {}

  async run(todo: RunTask[], ctx: ExecutionContext): Promise<void> {
    const queue = batchesOf(todo, { seedsPerProcess: this.seedsPerProcess, slots: this.workers });
    if (queue.some((b) => b.length > 1)) ctx.progress.log(`${todo.length} runs in ${queue.length} process${queue.length === 1 ? '' : 'es'} (up to ${Math.max(...queue.map((b) => b.length))} seeds each, one after another)`);
    const worker = async () => {
      for (let batch = queue.shift(); batch && !this.interrupted; batch = queue.shift()) await (batch.length === 1 ? this.launch(batch[0], ctx) : this.launchBatch(batch, ctx));
    };
    await Promise.all(Array.from({ length: Math.min(this.workers, Math.max(queue.length, 1)) }, worker));
  }

  private async launch(task: RunTask, ctx: ExecutionContext): Promise<void> {
    const { progress, request } = ctx;
    // A resumed run takes everything (backend included) from its config.json; a fresh one gets its spec on stdin.
    const fresh = task.mode !== 'resume';
    const args = fresh ? trainArgs(path.join(ctx.outDir, COMPARISON_FILES.runs), task.name) : resumeArgs(task.dir);
    const proc = startTrain(
      args,
      task.log,
      (e) => {
        if (e.event === 'start') task.step = task.startStep = e.step;
        else if (e.event === 'progress') task.step = Math.max(task.step, e.step);
      },
      fresh ? 'start: ' : 'resume: ',
      fresh ? JSON.stringify(runSpecDocument(runSpecOf(request, task.group, task.seed))) : undefined,
    );
    task.state = 'running';
    progress.log(`▶ ${task.name}: ${task.mode === 'resume' ? 'resuming' : 'starting'}`);
    const exit = await this.watch(proc.child, proc.done, ctx);
    const { status, steps } = runSummary(task.dir);
    if (isDone(status)) this.done(task, steps, describeRun(task.dir), ctx);
    else this.unfinished(task, status ?? 'no summary', describeExit(exit), ctx);
  }

  /**
   * One child trains the batch's runs one after another; its `run-start` / `run-end` events say which run the
   * progress events between them belong to and how each run ended.
   */
  private async launchBatch(batch: RunTask[], ctx: ExecutionContext): Promise<void> {
    const { request } = ctx;
    const byName = new Map(batch.map((t) => [t.name, t]));
    const ended = new Map<RunTask, string>();
    let current: RunTask | undefined;
    const input = runBatchDocument(batch.map((t) => ({ run: t.name, seed: t.seed })), runSpecDocument(runSpecOf(request, batch[0].group, batch[0].seed)));
    const proc = startTrain(
      batchArgs(path.join(ctx.outDir, COMPARISON_FILES.runs)),
      batch[0].log,
      (e) => {
        if (e.event === 'run-start') {
          current = byName.get(e.run);
          if (!current) return;
          current.state = 'running';
          ctx.progress.log(`▶ ${current.name}: ${e.how === 'resume' ? 'resuming' : 'starting'} (in a batch of ${batch.length})`);
        } else if (e.event === 'run-end') {
          const task = byName.get(e.run);
          if (!task) return;
          ended.set(task, e.status);
          if (isDone(e.status)) this.done(task, e.steps, e.description, ctx);
        } else if (current && e.event === 'start') current.step = current.startStep = e.step;
        else if (current && e.event === 'progress') current.step = Math.max(current.step, e.step);
      },
      `batch (${batch.map((t) => t.name).join(', ')}): `,
      JSON.stringify(input),
      (run) => byName.get(run)?.log ?? batch[0].log,
    );
    const exit = await this.watch(proc.child, proc.done, ctx);
    for (const task of batch) {
      if (task.state === 'done') continue;
      if (task.state === 'running' || ended.has(task)) this.unfinished(task, ended.get(task) ?? 'no end reported', describeExit(exit), ctx);
      else if (!this.interrupted) this.unfinished(task, 'not started', `its batch's process ${describeExit(exit)} before reaching it`, ctx);
      // else: never started, it waits for the next invocation
    }
  }

  /** Waits for a child, holding its pid in the comparison's lock meanwhile. */
  private async watch<T>(child: ChildProcess, done: Promise<T>, ctx: ExecutionContext): Promise<T> {
    this.running.set(child, done);
    if (child.pid !== undefined) ctx.lock.add(child.pid);
    const exit = await done;
    this.running.delete(child);
    if (child.pid !== undefined) ctx.lock.remove(child.pid);
    return exit;
  }

  private done(task: RunTask, steps: number | null, description: string, ctx: ExecutionContext): void {
    task.state = 'done';
    task.step = steps ?? task.plan.totalSteps;
    ctx.progress.log(`✓ ${task.name}: ${description}`);
  }

  /** A run whose process ended before it did: stopped by a signal (it resumes next time), or failed. */
  private unfinished(task: RunTask, status: string, why: string, ctx: ExecutionContext): void {
    if (this.interrupted) {
      task.state = 'waiting';
      ctx.progress.log(`■ ${task.name}: stopped at step ${task.step} (${status}); it resumes from its last checkpoint next time`);
      return;
    }
    task.state = 'failed';
    task.error = `${why}; run status ${status}. Last lines of ${task.log}:\n${lastLines(task.log, 8)}`;
    ctx.progress.log(`✗ ${task.name}: ${why} (log: ${task.log})`);
  }

  interrupt(count: number): string {
    this.interrupted = true;
    for (const child of this.running.keys()) child.kill(count === 1 ? 'SIGTERM' : 'SIGKILL');
    return count === 1 ? 'asking the running runs to checkpoint and stop (again to kill them)…' : 'killing the running runs';
  }

  /** Kills the running children (nothing in them is needed; each run keeps its last checkpoint) and starts no more. */
  async cancel(): Promise<string> {
    this.interrupted = true;
    const procs = [...this.running];
    for (const [child] of procs) child.kill('SIGKILL');
    await Promise.all(procs.map(([, done]) => done));
    return `killed ${procs.length} running process(es)`;
  }

  async close(): Promise<void> {}
}
