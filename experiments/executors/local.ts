/**
 * Local execution (the default): one `train` child process per run, K at a time on this machine.
 * A resumed run continues from its last checkpoint (`train --resume`), bit-identical to an uninterrupted
 * run. Signals: the first asks every running child to checkpoint and stop (SIGTERM, which the trainer
 * treats like Ctrl-C); a second kills them.
 */
import * as os from 'node:os';
import { resumeArgs, runSpecOf, trainArgs } from '../plan/request.js';
import { runSpecDocument } from '../../formats/run-spec.js';
import { describeRun, isDone, lastLines, runSummary, type RunTask } from '../plan/runs.js';
import { describeExit, startTrain } from './train-process.js';
import type { ExecutionContext, Executor } from './executor.js';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { COMPARISON_FILES } from '../../formats/comparison.js';

export class LocalExecutor implements Executor {
  private interrupted = false;
  private readonly running = new Map<RunTask, { child: ChildProcess; done: Promise<unknown> }>();
  readonly workers: number;

  constructor(workers?: number) {
    this.workers = workers ?? os.availableParallelism();
  }

  describe(todo: number): string {
    return `${Math.min(this.workers, todo)} at a time`;
  }

  async prepare(): Promise<void> {}

  async run(todo: RunTask[], ctx: ExecutionContext): Promise<void> {
    const queue = todo.slice();
    const worker = async () => {
      for (let task = queue.shift(); task && !this.interrupted; task = queue.shift()) await this.launch(task, ctx);
    };
    await Promise.all(Array.from({ length: Math.min(this.workers, Math.max(queue.length, 1)) }, worker));
  }

  private async launch(task: RunTask, ctx: ExecutionContext): Promise<void> {
    const { progress, lock, request } = ctx;
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
    this.running.set(task, proc);
    task.state = 'running';
    if (proc.child.pid !== undefined) lock.add(proc.child.pid);
    progress.log(`▶ ${task.name}: ${task.mode === 'resume' ? 'resuming' : 'starting'}`);
    const exit = await proc.done;
    this.running.delete(task);
    if (proc.child.pid !== undefined) lock.remove(proc.child.pid);
    const { status, steps } = runSummary(task.dir);
    if (isDone(status)) {
      task.state = 'done';
      task.step = steps ?? task.plan.totalSteps;
      progress.log(`✓ ${task.name}: ${describeRun(task.dir)}`);
    } else if (this.interrupted) {
      task.state = 'waiting';
      progress.log(`■ ${task.name}: stopped at step ${task.step} (${status ?? 'no summary'}); it resumes from its last checkpoint next time`);
    } else {
      task.state = 'failed';
      const why = describeExit(exit);
      task.error = `${why}; run status ${status ?? 'unknown'}. Last lines of ${task.log}:\n${lastLines(task.log, 8)}`;
      progress.log(`✗ ${task.name}: ${why} (log: ${task.log})`);
    }
  }

  interrupt(count: number): string {
    this.interrupted = true;
    for (const { child } of this.running.values()) child.kill(count === 1 ? 'SIGTERM' : 'SIGKILL');
    return count === 1 ? 'asking the running runs to checkpoint and stop (again to kill them)…' : 'killing the running runs';
  }

  /** Kills the running children (nothing in them is needed; each run keeps its last checkpoint) and starts no more. */
  async cancel(): Promise<string> {
    this.interrupted = true;
    const procs = [...this.running.values()];
    for (const { child } of procs) child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.done));
    return `killed ${procs.length} running run(s)`;
  }

  async close(): Promise<void> {}
}
