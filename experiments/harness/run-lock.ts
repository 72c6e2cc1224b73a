/**
 * One writer per run directory: `lock.json` (formats/run-format.ts) is created with O_EXCL and holds the writer's
 * pid, host and start time. `train`, `train --resume` and `record` take it; it is removed when they end.
 *
 * - A live holder: refused, with one line naming its pid and host.
 * - A stale lock (its process is dead, on this host): reclaimed with a message.
 * - A lock held on another host cannot be checked from here; it is refused unless the caller takes over.
 * - `takeOver: true` (CLI: `train --resume DIR --take-over-lock`) replaces any lock without checking. It
 *   exists for job queues: when a queue hands a stalled job to a new worker (the old worker died, possibly
 *   on another host), the new worker resumes the run and takes over the dead attempt's lock. Only use it
 *   when you know the previous holder is gone: two live writers corrupt a run.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { asIoError } from './atomic.js';
import { runPath } from '../run-files.js';
import { type RunLock } from '../../formats/run-format.js';

/** Another live process (or one on another host) holds the run. */
export class RunLockedError extends TsgymError {
  override name = 'RunLockedError';
}

/** This process held the run, but another took it over (or it was released): it must not write to it again. */
export class LostRunError extends TsgymError {
  override name = 'LostRunError';
}

export interface LockOptions {
  /** What takes the lock, shown to whoever is refused ('train', 'resume', 'record'). */
  command: string;
  /** Replace an existing lock without checking its holder (see the module comment). */
  takeOver?: boolean;
  /** Where messages about reclaimed or taken-over locks go (default: stderr). */
  log?: (message: string) => void;
}

export interface HeldLock {
  readonly file: string;
  /** The fencing epoch of this holding (lock.json's `epoch`). */
  readonly epoch: number;
  /** Throws LostRunError unless lock.json is still this holding's (same token and epoch): call before every write. */
  check(): void;
  release(): void;
}

/** True when `pid` is a live process on this host (a zombie counts as dead). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/**
 * When process `pid` started, in clock ticks since boot (/proc/<pid>/stat field 22), or null without /proc.
 * Stored in the lock so that a new process that reuses a dead holder's pid (common in containers, where a
 * restarted worker gets the same small pid) is not mistaken for the holder.
 */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 overall; fields here start at field 3
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `lock` (on this host) is still running. */
function holderAlive(lock: RunLock): boolean {
  if (!isProcessAlive(lock.pid)) return false;
  if (lock.procStart === undefined || lock.procStart === null) return true;
  const now = processStartTicks(lock.pid);
  return now === null || now === lock.procStart;
}

/** The holder of the run's lock when it is a live process on this host (null: free, stale, torn, or elsewhere). */
export function liveLocalHolder(runDir: string): RunLock | null {
  const holder = readLock(runPath(runDir, 'lock'));
  return holder && holder !== 'gone' && holder.host === os.hostname() && holderAlive(holder) ? holder : null;
}

/** Takes the lock of the run in `runDir`, or throws RunLockedError. */
export function lockRun(runDir: string, opts: LockOptions): HeldLock {
  const file = runPath(runDir, 'lock');
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const me: RunLock = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: opts.command, procStart: processStartTicks(process.pid), token: crypto.randomUUID(), epoch: 1 };
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(file, me)) return held(file, me);
    const holder = readLock(file);
    if (holder === 'gone') continue; // released between our create and read: try again
    if (holder === null && !opts.takeOver && lockAgeMs(file) < TORN_LOCK_GRACE_MS) {
      sleepSync(100); // probably being written right now (created, not yet filled): look again
      continue;
    }
    if (opts.takeOver) {
      log(`taking over the lock of ${runDir}${holder ? ` from pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt})` : ' (unreadable lock file)'}`);
    } else if (holder === null) {
      // A torn lock file: its writer died while writing it (we write it in one small write).
      log(`reclaiming the unreadable lock file ${file}`);
    } else if (holder.host !== me.host) {
      throw new RunLockedError(
        `run ${runDir} is locked by pid ${holder.pid} on host ${holder.host} (${holder.command}, since ${holder.startedAt}); if that process is gone, resume with --take-over-lock`,
      );
    } else if (holderAlive(holder)) {
      // (This process itself counts: a library user training the same run twice at once is refused too.)
      throw new RunLockedError(`run ${runDir} is in use by pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt}); wait for it to finish or stop it (kill ${holder.pid})`);
    } else {
      log(`reclaiming the stale lock of ${runDir} (pid ${holder.pid} on ${holder.host} is no longer running)`);
    }
    // A take-over fences the previous holder out: its epoch (and token) no longer match lock.json.
    me.epoch = Math.max(me.epoch ?? 1, (holder?.epoch ?? 0) + 1);
    // Replace the lock by removing it and creating ours exclusively: of two processes reclaiming it at once,
    // one creates it and the other sees a live holder on its next attempt. Re-reading first narrows the window
    // in which we could remove a lock another process has just created.
    if (JSON.stringify(readLock(file)) === JSON.stringify(holder)) fs.rmSync(file, { force: true });
  }
  throw new RunLockedError(`could not take the lock of run ${runDir}: another process keeps taking it`);
}

/** A lock file that cannot be parsed is reclaimed only once it is this old (its writer had time to fill it). */
const TORN_LOCK_GRACE_MS = 2000;

function lockAgeMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tryCreate(file: string, me: RunLock): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw asIoError(e, file, 'create the lock');
  }
  try {
    fs.writeSync(fd, JSON.stringify(me) + '\n');
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw asIoError(e, file, 'write the lock');
  }
  fs.closeSync(fd);
  return true;
}

/** The lock's contents; null when unreadable or torn; 'gone' when the file no longer exists. */
function readLock(file: string): RunLock | null | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : null;
  }
  try {
    const v = JSON.parse(text) as RunLock;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : null;
  } catch {
    return null;
  }
}

function held(file: string, me: RunLock): HeldLock {
  let released = false;
  return {
    file,
    epoch: me.epoch ?? 1,
    check() {
      const now = released ? 'gone' : readLock(file);
      if (now === null) return; // being rewritten this instant by a taker; its next write is checked again
      if (now === 'gone' || now.token !== me.token || now.epoch !== me.epoch) {
        const by = now === 'gone' ? 'its lock is gone' : `pid ${now.pid} on ${now.host} holds it now (epoch ${now.epoch ?? '?'}, ours ${me.epoch})`;
        throw new LostRunError(`lost run ${path.dirname(file)}: ${by}; this process stops without writing to it`);
      }
    },
    release() {
      if (released) return;
      released = true;
      // Only remove our own lock (a take-over may have replaced it).
      const now = readLock(file);
      if (now && now !== 'gone' && now.token === me.token) fs.rmSync(file, { force: true });
    },
  };
}
