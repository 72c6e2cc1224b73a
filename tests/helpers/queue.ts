/** Queue test helpers: `worker` processes in their own process groups, and polling for a condition. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './cli.js';

export interface TestWorker {
  proc: ChildProcess;
  /** Everything the worker printed on stderr so far. */
  out: () => string;
}

/** Every worker started here (afterAll: killGroups). */
export const workers: ChildProcess[] = [];

/**
 * `worker --queue url --lock-seconds 3` from the checkout at `cwd`, in its own process group (so a test can
 * signal "its machine": the worker and its runs).
 */
export function startWorker(url: string, cwd = ROOT): TestWorker {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(cwd, 'experiments', 'cli.ts'), 'worker', '--queue', url, '--lock-seconds', '3'], { cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  workers.push(proc);
  return { proc, out: () => out };
}

/** Sends `signal` to the process group of `proc` (gone already: nothing). */
export function signalGroup(proc: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    /* already gone */
  }
}

export function killWorkers(): void {
  for (const w of workers) signalGroup(w);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms; throws naming `what` (and `context()`) after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await sleep(50);
  }
}

/** The pid of the `train` process of `run` whose arguments lead into `root` (a comparison's fresh start names it with --run-name). */
export function trainPid(run: string, root: string): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('train') && argv.includes('--run-name') && argv[argv.indexOf('--run-name') + 1] === run && argv.some((a) => a.startsWith(root))) return Number(entry);
    } catch {
      /* gone */
    }
  }
  return null;
}
