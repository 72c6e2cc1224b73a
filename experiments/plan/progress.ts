/**
 * The coordinator's progress display, the same for local and queue execution: runs done / running /
 * failed, steps/s over the work done since this invocation started, elapsed time and ETA; a bar redrawn
 * in place on a TTY, a line every 15 s otherwise. Executors update the RunTasks; this only reads them.
 */
import { fmtCount, fmtTime, type ProgressMode } from '../harness/progress.js';
import type { RunTask } from './runs.js';

export class CompareProgress {
  private readonly mode: 'bar' | 'lines' | 'none';
  private readonly start = performance.now();
  private lastLine = 0;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly tasks: RunTask[],
    mode: ProgressMode,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.mode = mode === 'auto' ? (out.isTTY ? 'bar' : 'lines') : mode === 'json' ? 'lines' : mode;
  }

  begin(): void {
    if (this.mode === 'none') return;
    this.timer = setInterval(() => this.draw(false), this.mode === 'bar' ? 500 : 1000);
    this.timer.unref();
  }

  /** A message on its own line (the bar is redrawn below it). */
  log(message: string): void {
    if (this.mode === 'none') return;
    if (this.mode === 'bar') this.out.write(`\r${' '.repeat((this.out.columns || 120) - 1)}\r`);
    this.out.write(message + '\n');
    if (this.mode === 'bar' && this.timer) this.draw(true);
  }

  status(): string {
    const done = this.tasks.filter((t) => t.state === 'done').length;
    const failed = this.tasks.filter((t) => t.state === 'failed').length;
    const running = this.tasks.filter((t) => t.state === 'running');
    const elapsed = (performance.now() - this.start) / 1000;
    const newSteps = this.tasks.reduce((n, t) => n + Math.max(0, t.step - t.startStep), 0);
    const rate = newSteps / Math.max(elapsed, 1e-9);
    const remaining = this.tasks.filter((t) => t.state === 'waiting' || t.state === 'running').reduce((n, t) => n + Math.max(0, t.plan.totalSteps - t.step), 0);
    // No rate or ETA from the first few steps (process start-up would make them meaningless).
    const measured = newSteps >= 0.01 * this.tasks.reduce((n, t) => n + t.plan.totalSteps, 0);
    const eta = measured && rate > 0 ? remaining / rate : Infinity;
    const parts = [`${done}/${this.tasks.length} runs done`, `${running.length} running`];
    if (failed) parts.push(`${failed} failed`);
    if (measured && rate > 0) parts.push(`${fmtCount(rate)} steps/s`);
    parts.push(`elapsed ${fmtTime(elapsed)}`, `ETA ${remaining === 0 ? '0:00' : fmtTime(eta)}`);
    return parts.join(' · ');
  }

  draw(force: boolean): void {
    if (this.mode === 'none') return;
    const now = performance.now();
    if (this.mode === 'bar') {
      const total = this.tasks.reduce((n, t) => n + t.plan.totalSteps, 0);
      const doneSteps = this.tasks.reduce((n, t) => n + (t.state === 'done' ? t.plan.totalSteps : Math.min(t.step, t.plan.totalSteps)), 0);
      const width = 24;
      const filled = Math.round((doneSteps / Math.max(total, 1)) * width);
      const line = `compare [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.status()}`;
      const cols = this.out.columns || 120;
      this.out.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
    } else if (force || now - this.lastLine >= 15_000) {
      this.lastLine = now;
      const running = this.tasks.filter((t) => t.state === 'running').map((t) => `${t.name} ${Math.floor((100 * t.step) / t.plan.totalSteps)}%`);
      this.out.write(`[compare] ${this.status()}${running.length ? ` (${running.join(', ')})` : ''}\n`);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.mode === 'bar') {
      this.draw(true);
      this.out.write('\n');
    } else if (this.mode === 'lines') {
      this.draw(true);
    }
  }
}
