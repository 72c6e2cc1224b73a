/** The run lock (in-process; the CLI-level cases are in faults.test.ts). */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockRun, processStartTicks, RunLockedError } from '../experiments/harness/run-lock.js';

const tmpRun = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-lock-'));
const lockFile = (dir: string) => path.join(dir, 'lock.json');
const writeLock = (dir: string, lock: object, ageMs = 0) => {
  fs.writeFileSync(lockFile(dir), JSON.stringify(lock));
  if (ageMs) fs.utimesSync(lockFile(dir), new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
};

describe('run lock', () => {
  it('is exclusive, holds pid/host/start time, and release removes only our own lock', () => {
    const dir = tmpRun();
    const lock = lockRun(dir, { command: 'train' });
    expect(JSON.parse(fs.readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'train', procStart: processStartTicks(process.pid) });
    expect(() => lockRun(dir, { command: 'resume' })).toThrow(RunLockedError);
    expect(() => lockRun(dir, { command: 'resume' })).toThrow(new RegExp(`in use by pid ${process.pid} on ${os.hostname()} \\(train, since `));
    lock.release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
    // A lock taken over by someone else is theirs: our release leaves it.
    const mine = lockRun(dir, { command: 'train' });
    const logs: string[] = [];
    const theirs = lockRun(dir, { command: 'resume', takeOver: true, log: (m) => logs.push(m) });
    expect(logs[0]).toMatch(/taking over the lock of .* from pid \d+ on /);
    mine.release();
    expect(fs.existsSync(lockFile(dir))).toBe(true);
    theirs.release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
  });

  it('reclaims the lock of a dead process, of a reused pid, and an old torn file, saying so', () => {
    const dir = tmpRun();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const logs: string[] = [];
    writeLock(dir, { pid: dead, host: os.hostname(), startedAt: 'then', command: 'train' });
    lockRun(dir, { command: 'resume', log: (m) => logs.push(m) }).release();
    expect(logs.pop()).toMatch(new RegExp(`reclaiming the stale lock .* \\(pid ${dead} on .* is no longer running\\)`));
    // Our own pid, but written by an earlier process that had it (another start time): stale.
    writeLock(dir, { pid: process.pid, host: os.hostname(), startedAt: 'then', command: 'train', procStart: (processStartTicks(process.pid) ?? 0) - 1 });
    lockRun(dir, { command: 'resume', log: (m) => logs.push(m) }).release();
    expect(logs.pop()).toMatch(/reclaiming the stale lock/);
    fs.writeFileSync(lockFile(dir), '{"pid": 12');
    fs.utimesSync(lockFile(dir), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    lockRun(dir, { command: 'resume', log: (m) => logs.push(m) }).release();
    expect(logs.pop()).toMatch(/reclaiming the unreadable lock file/);
  });

  it('refuses a lock held on another host unless taken over', () => {
    const dir = tmpRun();
    writeLock(dir, { pid: 1, host: 'elsewhere', startedAt: '2026-01-01T00:00:00.000Z', command: 'train' });
    expect(() => lockRun(dir, { command: 'resume' })).toThrow(/locked by pid 1 on host elsewhere \(train, since 2026-01-01T00:00:00\.000Z\); if that process is gone, resume with --take-over-lock/);
    const logs: string[] = [];
    lockRun(dir, { command: 'resume', takeOver: true, log: (m) => logs.push(m) }).release();
    expect(logs).toEqual([expect.stringMatching(/taking over the lock .* from pid 1 on elsewhere/)]);
  });
});
