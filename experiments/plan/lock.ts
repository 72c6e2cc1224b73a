/**
 * The lock of a comparison directory (`.compare-lock.json`): the coordinator's pid and, when it runs the
 * runs itself, its children's, so two coordinators never drive one directory. A lock whose processes are
 * all gone is stale and taken over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { isProcessAlive } from '../harness/run-lock.js';
import { writeJsonAtomic } from '../harness/atomic.js';
import { COMPARISON_FILES } from '../../formats/comparison.js';

export const LOCK_FILE = COMPARISON_FILES.lock;

/** True when `pid` is a live process on this host (one home for the check: the run lock's). */
export const isAlive = isProcessAlive;

export class CompareLock {
  private children = new Set<number>();
  readonly file: string;
  constructor(dir: string) {
    this.file = path.join(dir, LOCK_FILE);
  }

  acquire(): void {
    if (fs.existsSync(this.file)) {
      let held: { pid?: number; children?: number[] } = {};
      try {
        held = JSON.parse(fs.readFileSync(this.file, 'utf8')) as typeof held;
      } catch {
        // a torn lock file: whoever wrote it is gone
      }
      const alive = [held.pid, ...(held.children ?? [])].filter((p): p is number => typeof p === 'number' && p !== process.pid && isAlive(p));
      if (alive.length) {
        throw new TsgymError(
          `another compare is still working in ${path.dirname(this.file)} (process${alive.length > 1 ? 'es' : ''} ${alive.join(', ')}); wait for it or stop it (kill ${alive.join(' ')}). If those are not tsgym processes, delete ${this.file}`,
        );
      }
    }
    this.write();
  }

  add(pid: number): void {
    this.children.add(pid);
    this.write();
  }

  remove(pid: number): void {
    this.children.delete(pid);
    this.write();
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }

  private write(): void {
    writeJsonAtomic(this.file, { pid: process.pid, children: [...this.children] });
  }
}
