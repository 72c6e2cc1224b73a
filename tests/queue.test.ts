/**
 * compare on the BullMQ queue against a real redis-server (started here on a free loopback port): two
 * workers and a coordinator run 2 agents × 3 seeds while one worker's machine "dies" (its whole process
 * group SIGKILLed mid-run) and the result equals the same comparison run locally; a killed coordinator
 * re-attaches without enqueuing anything twice; Redis restarted mid-comparison (append-only file) loses
 * nothing; an unreachable Redis is one line within 5 s; a failing job is reported while the others finish,
 * the report lists it as missing, and the same command then completes it.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { checkReachable, QUEUE_NAME } from '../experiments/queue/connection.js';
import { ROOT, runCli, startCli } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { killWorkers, signalGroup, sleep, startWorker, trainPid, until } from './helpers/queue.js';

// One job per run (jobs holding a batch of seeds: batched-executors.test.ts).
const BUDGET = [
  '--env', 'cartpole', '--steps', '1000', '--eval-every', '250', '--eval-episodes', '2', '--checkpoint-every', '250', '--record-episodes', '1',
  '--no-stop-when-solved', '--backend', 'wasm', '--bootstrap-reps', '300', '--progress', 'lines', '--seeds-per-process', '1',
];
const COMMON = [...BUDGET, '--set', 'dqn.learningStarts=300', '--set', 'dqn.bufferSize=4000', '--set', 'dqn.trainFreq=1', '--set', 'dqn.gradientSteps=1'];
const AGENTS = ['dqn', 'ppo'];
const SEEDS = [0, 1, 2];
const RUNS = SEEDS.flatMap((s) => AGENTS.map((a) => `${a}__seed${s}`));

let root: string;
let localDir: string;
let redis: TestRedis;
/** A worker on `redis` for the whole file (workers take a few seconds to start on a loaded machine). */
let shared: { proc: ChildProcess; out: () => string };

const read = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');
const readJson = (...p: string[]) => JSON.parse(read(...p)) as Record<string, unknown>;
const withoutWallClock = (r: Record<string, unknown>) => ({ ...r, wallClock: undefined });
const exists = (...p: string[]) => fs.existsSync(path.join(...p));
const status = (dir: string, run: string) => {
  try {
    return readJson(dir, 'runs', run, 'summary.json').status as string;
  } catch {
    return null;
  }
};

/** The run a worker is training now (its last ▶ without a matching ✓/✗), per its log. */
function currentRun(out: string): string | null {
  let cur: string | null = null;
  for (const line of out.split('\n')) {
    const start = /^▶ (\S+)/.exec(line);
    if (start) cur = start[1];
    const end = /^[✓✗] (\S+):/.exec(line);
    if (end && end[1] === cur) cur = null;
  }
  return cur;
}

/** Jobs of the shared queue that belong to comparison directory `dir`. */
async function jobsOf(url: string, dir: string): Promise<string[]> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection });
  try {
    const jobs = await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized']);
    return jobs.filter((j) => j.data.outDir === dir).map((j) => j.data.run as string).sort();
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

function expectSameRuns(dir: string, runs: string[]): void {
  for (const run of runs) {
    expect(status(dir, run), `${run} status`).toBe('finished');
    expect(read(dir, 'runs', run, 'metrics.jsonl'), `${run}/metrics.jsonl`).toBe(read(localDir, 'runs', run, 'metrics.jsonl'));
  }
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-queue-'));
  localDir = path.join(root, 'local');
  redis = await startRedis();
  shared = startWorker(redis.url);
  // The reference: the same comparison run locally, without a queue.
  const local = await runCli(['compare', ...COMMON, '--agents', AGENTS.join(','), '--seeds', String(SEEDS.length), '--workers', '2', '--out', localDir]);
  expect(local.code, local.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  killWorkers();
  await redis?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('compare --queue', () => {
  it('two workers and a coordinator; one worker killed mid-run; report.json equals the local comparison (wall clock aside)', async () => {
    const dir = path.join(root, 'queued');
    const a = startWorker(redis.url);
    const b = shared;
    const coord = startCli(['compare', ...COMMON, '--agents', AGENTS.join(','), '--seeds', String(SEEDS.length), '--out', dir, '--queue', redis.url]);
    // Kill worker A's "machine" once the run it trains has a checkpoint and is not finished yet.
    let victim = '';
    await until('worker A midway through a run with a checkpoint', () => {
      const run = currentRun(a.out());
      if (!run || status(dir, run) !== 'running' || !exists(dir, 'runs', run, 'checkpoints', 'latest.json')) return false;
      victim = run;
      return true;
    });
    signalGroup(a.proc);
    const res = await coord.done;
    expect(res.code, res.stderr).toBe(0);
    // Worker B took the stalled job over and resumed it from the dead attempt's last checkpoint.
    expect(b.out()).toMatch(new RegExp(`▶ ${victim} \\(job \\S+, attempt 2\\)`));
    expect(read(dir, 'logs', `${victim}.log`)).toMatch(/"resuming .* from step [1-9]\d*"/);
    // …taking over the run lock its dead attempt left behind (experiments/harness/run-lock.ts).
    expect(read(dir, 'logs', `${victim}.log`)).toMatch(/taking over the lock of .* from pid \d+/);
    // The coordinator saw the hand-over (as the job back in the queue, or as a new attempt, depending on when it polled).
    expect(res.stderr).toMatch(new RegExp(`↺ ${victim}: (back in the queue|its worker stopped; attempt 2)`));
    expect(res.stderr).toMatch(/\[compare\] \d+\/6 runs done · \d+ running/);
    expect(res.stdout).toContain('| agent | runs | IQM [95% CI] |');

    expectSameRuns(dir, RUNS);
    expect(withoutWallClock(readJson(dir, 'report.json'))).toEqual(withoutWallClock(readJson(localDir, 'report.json')));
    expect(await jobsOf(redis.url, dir)).toEqual([...RUNS].sort());
  }, 150_000);

  it('a coordinator killed and started again re-attaches: nothing enqueued twice, finished runs kept', async () => {
    const dir = path.join(root, 'restarted');
    const args = ['compare', ...BUDGET, '--agents', 'ppo', '--seed-list', '0,1', '--out', dir, '--queue', redis.url];
    const first = startCli(args);
    let firstErr = '';
    first.child.stderr!.on('data', (d) => (firstErr += d));
    // Kill it once its jobs are on the queue and a worker has started on them.
    await until('the jobs enqueued and one taken', () => /queue: 2 job\(s\) enqueued/.test(firstErr) && exists(dir, 'runs', 'ppo__seed0'));
    first.child.kill('SIGKILL');
    await first.done;
    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    // Nothing is enqueued twice; each run is either finished already (the workers went on while no
    // coordinator was there) or re-attached to its job.
    const done = Number(/2 runs: (\d+) already done/.exec(second.stderr)?.[1]);
    const reattached = Number(/queue: 0 job\(s\) enqueued, (\d+) re-attached/.exec(second.stderr)?.[1]);
    expect(done + reattached, second.stderr).toBe(2);
    expect(await jobsOf(redis.url, dir)).toEqual(['ppo__seed0', 'ppo__seed1']);
    // Each run was started from scratch exactly once.
    for (const run of ['ppo__seed0', 'ppo__seed1']) expect(read(dir, 'logs', `${run}.log`).match(/, start: /g)).toHaveLength(1);
    expectSameRuns(dir, ['ppo__seed0', 'ppo__seed1']);
  }, 120_000);

  it('Redis restarted mid-comparison (append-only file): workers and coordinator reconnect, nothing is lost', async () => {
    const own = await startRedis({ appendonly: true });
    try {
      const dir = path.join(root, 'redis-restart');
      const w = startWorker(own.url);
      const coord = startCli(['compare', ...BUDGET, '--agents', 'ppo', '--seed-list', '0,1', '--out', dir, '--queue', own.url]);
      let coordErr = '';
      coord.child.stderr!.on('data', (d) => (coordErr += d));
      await until(
        'a run midway',
        () => exists(dir, 'runs', 'ppo__seed0', 'checkpoints', 'latest.json') || exists(dir, 'runs', 'ppo__seed1', 'checkpoints', 'latest.json'),
        60_000,
        () => `worker:\n${w.out()}\ncoordinator:\n${coordErr}`,
      );
      await own.stop();
      await sleep(1500);
      await own.restart();
      const res = await coord.done;
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toMatch(/lost Redis at .*reconnecting/);
      expect(res.stderr).toContain('reconnected to Redis');
      expectSameRuns(dir, ['ppo__seed0', 'ppo__seed1']);
      expect(await jobsOf(own.url, dir)).toEqual(['ppo__seed0', 'ppo__seed1']);
      signalGroup(w.proc);
    } finally {
      await own.stop();
    }
  }, 120_000);

  it('an unreachable Redis is one clear line within 5 s, for the coordinator and a worker, and writes nothing', async () => {
    const dir = path.join(root, 'unreachable');
    const port = redis.port + 1 === 65536 ? 1 : redis.port + 1; // nothing listens there (the tests start servers on random ports)
    const url = `redis://127.0.0.1:${port}`;
    // The connection check itself, timed in-process (a CLI's start-up on a loaded machine is not what is measured).
    let t0 = performance.now();
    await expect(checkReachable(url)).rejects.toThrow(new RegExp(`^cannot reach Redis at ${url} \\(ECONNREFUSED\\)`));
    expect(performance.now() - t0).toBeLessThan(5000);
    // An address that never answers (TEST-NET-1, RFC 5737) gives up after the connect timeout.
    t0 = performance.now();
    await expect(checkReachable('redis://192.0.2.1:6379')).rejects.toThrow(/cannot reach Redis at redis:\/\/192\.0\.2\.1:6379/);
    expect(performance.now() - t0).toBeLessThan(5000);
    // As commands: exit 2, one line and a hint, no stack trace, nothing written.
    for (const args of [['compare', '--env', 'cartpole', '--agents', 'dqn', '--seeds', '1', '--out', dir, '--queue', url], ['worker', '--queue', url]]) {
      const res = await runCli(args);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(new RegExp(`^error: cannot reach Redis at ${url} \\(ECONNREFUSED\\)`));
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
    expect(fs.existsSync(dir)).toBe(false);
  }, 60_000);

  it('a failing job is shown with its error while the others finish; the report lists it as missing; the same command completes it', async () => {
    const dir = path.join(root, 'failing');
    const args = ['compare', ...COMMON, '--agents', 'dqn,ppo', '--seed-list', '0', '--out', dir, '--queue', redis.url];
    const coord = startCli(args);
    // The dqn run's training process dies (as under the OOM killer) after its first checkpoint.
    await until('dqn__seed0 midway', () => status(dir, 'dqn__seed0') === 'running' && exists(dir, 'runs', 'dqn__seed0', 'checkpoints', 'latest.json'));
    const pid = trainPid('dqn__seed0', root);
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    const res = await coord.done;
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/✗ dqn__seed0: killed by SIGKILL; run status running/);
    expect(res.stderr).toMatch(/✓ ppo__seed0: finished/);
    const report = readJson(dir, 'report.json');
    expect(report.missingRuns).toEqual(['dqn__seed0']);
    expect(report.agents).toEqual(['ppo']);
    expect(read(dir, 'report.md')).toContain('1 run(s) failed and are left out of every statistic above: dqn__seed0');

    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('1 failed one(s) retried');
    expectSameRuns(dir, ['dqn__seed0', 'ppo__seed0']);
    expect(readJson(dir, 'report.json').missingRuns).toEqual([]);
  }, 120_000);
});
