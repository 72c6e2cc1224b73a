/**
 * Progress display for long work: a one-line bar redrawn in place on a TTY, plain periodic lines otherwise
 * (CI logs, pipes). Both show steps, steps/s, recent return, agent values (ε, loss) and the ETA.
 *
 * `json` is for a parent process (compare, a queue worker): one JSON object per line on stderr, see
 * ProgressEvent; messages become `log` events, so a parent never has to parse text meant for people.
 */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'json' | 'none';

/** What `--progress json` prints, one per line. */
export type ProgressEvent =
  | { event: 'start'; step: number; total: number }
  | { event: 'progress'; step: number; total: number; stepsPerSecond: number; fields: Record<string, number | string> }
  | { event: 'log'; message: string }
  /** A batch (`train --batch`) trains its runs one after another: the events up to the run's `run-end` are its own. */
  | { event: 'run-start'; run: string; how: 'start' | 'resume' }
  | { event: 'run-end'; run: string; status: string; steps: number; how: 'trained' | 'resumed' | 'kept'; description: string };

/** Parses one line of `--progress json` output; null for anything else (a stack trace, a warning). */
export function parseProgressEvent(line: string): ProgressEvent | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as ProgressEvent;
    if (v && typeof v === 'object' && ['start', 'progress', 'log', 'run-start', 'run-end'].includes(v.event)) return v;
  } catch {
    /* not ours */
  }
  return null;
}

export class Progress {
  private readonly mode: 'bar' | 'lines' | 'json' | 'none';
  private readonly start = performance.now();
  private lastDraw = 0;
  private startStep = 0;

  constructor(readonly total: number, readonly label: string, mode: ProgressMode = 'auto', private readonly out: NodeJS.WriteStream = process.stderr, private readonly lineEverySeconds = 5) {
    this.mode = mode === 'auto' ? (out.isTTY ? 'bar' : 'lines') : mode;
    if (this.mode === 'json') {
      // The parent that reads these events is gone (a worker killed): stop writing, and checkpoint and stop
      // the run as on Ctrl-C rather than train on unobserved while another worker resumes it.
      out.on('error', (e: NodeJS.ErrnoException) => {
        if (this.orphaned || e.code !== 'EPIPE') return;
        this.orphaned = true;
        process.kill(process.pid, 'SIGTERM');
      });
    }
  }

  private orphaned = false;

  /** Steps already done when this display started (a resumed run), so steps/s counts only new work. */
  setStartStep(step: number): void {
    this.startStep = step;
    this.emit({ event: 'start', step, total: this.total });
  }

  private emit(e: ProgressEvent): void {
    if (this.mode === 'json' && !this.orphaned) this.out.write(JSON.stringify(e) + '\n');
  }

  update(step: number, fields: Record<string, number | string | undefined>, force = false): void {
    if (this.mode === 'none') return;
    const now = performance.now();
    const minGap = this.mode === 'bar' ? 200 : this.mode === 'json' ? 1000 : this.lineEverySeconds * 1000;
    if (!force && now - this.lastDraw < minGap) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const rate = (step - this.startStep) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.total - step) / rate : Infinity;
    if (this.mode === 'json') {
      const clean: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '' && (typeof v === 'string' || Number.isFinite(v))) clean[k] = v;
      return this.emit({ event: 'progress', step, total: this.total, stepsPerSecond: rate, fields: clean });
    }
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`);
    const text = `${fmtCount(step)}/${fmtCount(this.total)} steps  ${fmtCount(rate)}/s  ${parts.join('  ')}  ETA ${fmtTime(eta)}`;
    if (this.mode === 'bar') {
      const width = 24;
      const filled = Math.round((Math.min(step, this.total) / this.total) * width);
      const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
      const cols = this.out.columns || 120;
      this.out.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
    } else {
      this.out.write(`${this.label} ${text}\n`);
    }
  }

  /** Prints a message on its own line (keeps the bar intact below it). */
  log(message: string): void {
    if (this.mode === 'json') return this.emit({ event: 'log', message });
    if (this.mode === 'bar') this.out.write(`\r${' '.repeat((this.out.columns || 120) - 1)}\r`);
    this.out.write(message + '\n');
    this.lastDraw = 0;
  }

  done(): void {
    if (this.mode === 'bar') this.out.write('\n');
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1e5)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(1) : v.toFixed(3);
}

export function fmtCount(v: number): string {
  if (!Number.isFinite(v)) return '?';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return String(Math.round(v));
}

export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const total = Math.round(s); // round first: 59.6 s of a minute is the next minute, never ':60'
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}
