/** The run lock (in-process; the CLI-level cases are in faults.test.ts). */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockRun, LostRunError, processStartTicks, RunLockedError } from '../experiments/harness/run-lock.js';
import { RunDir } from '../experiments/harness/run-dir.js';
import { startCli } from './helpers/cli.js';

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

  it('carries a fencing epoch: a take-over raises it, and the replaced holder can no longer write the run', () => {
    const root = tmpRun();
    const run = RunDir.create(root, 'r');
    const first = lockRun(run.dir, { command: 'train' });
    run.fence(() => first.check());
    expect(first.epoch).toBe(1);
    run.metric({ kind: 'episode', step: 1, return: 1, length: 1, terminated: true });
    run.flush();
    const second = lockRun(run.dir, { command: 'resume', takeOver: true, log: () => {} });
    expect(second.epoch).toBe(2);
    expect(JSON.parse(fs.readFileSync(lockFile(run.dir), 'utf8')).epoch).toBe(2);
    const metrics = fs.readFileSync(run.metricsPath, 'utf8');
    run.metric({ kind: 'episode', step: 2, return: 1, length: 1, terminated: true });
    expect(() => run.flush()).toThrow(LostRunError);
    expect(() => run.flush()).toThrow(/lost run .*: pid \d+ on .* holds it now \(epoch 2, ours 1\)/);
    expect(() => run.writeSummary({ status: 'finished', steps: 2, wallSeconds: 0, finalEval: null, bestEval: null, solvedAtStep: null, solvedAtWallSeconds: null })).toThrow(LostRunError);
    expect(() => run.timing(2, 1)).toThrow(LostRunError);
    expect(fs.readFileSync(run.metricsPath, 'utf8')).toBe(metrics);
    expect(fs.existsSync(path.join(run.dir, 'summary.json'))).toBe(false);
    expect(() => second.check()).not.toThrow();
    second.release();
    expect(() => second.check()).toThrow(/its lock is gone/);
  });

  it('a paused `train` whose run was taken over exits on resuming without writing anything more', async () => {
    const out = tmpRun();
    const { child, done } = startCli(['train', 'ppo', 'cartpole', '--steps', '20000', '--eval-every', '512', '--eval-episodes', '1', '--checkpoint-every', '512', '--record-episodes', '0', '--no-stop-when-solved', '--backend', 'wasm', '--progress', 'none', '--out', out, '--run-name', 'r']);
    const dir = path.join(out, 'r');
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(path.join(dir, 'checkpoints', 'latest.json'))) {
      if (Date.now() > deadline) throw new Error('no checkpoint');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGSTOP');
    const taker = lockRun(dir, { command: 'resume', takeOver: true, log: () => {} });
    const before = new Map(listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    child.kill('SIGCONT');
    const r = await done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: lost run .*: pid \d+ on .* holds it now \(epoch 2, ours 1\); this process stops without writing to it$/m);
    // What the run shows is unchanged. A file write the pause caught half done may still finish inside the
    // paused process's own checkpoint temp directory, which only that process writes and the new owner's
    // resume removes; nothing outside it changes.
    const visible = (files: string[]) => files.filter((f) => !f.startsWith(`checkpoints${path.sep}.tmp-`));
    const after = visible(listFiles(dir));
    expect(after).toEqual(visible([...before.keys()]));
    for (const f of after) expect(fs.readFileSync(path.join(dir, f)).equals(before.get(f)!), f).toBe(true);
    taker.release();
  }, 90_000);
});

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
