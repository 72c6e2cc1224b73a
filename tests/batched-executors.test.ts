/**
 * `--seeds-per-process K`: compare, sweep and tune train a configuration's seeds one after another in one
 * `train --batch` process, locally and on the queue, and the results do not depend on K:
 * - a comparison with K=1 (one process per run) and with the default batching has byte-equal metrics.jsonl
 *   per run and the same report; each run's log holds its own output;
 * - a comparison killed (coordinator and children) mid-batch, run again, keeps the finished seeds untouched,
 *   resumes the one that was training from its checkpoint, starts the rest, and equals the K=1 comparison;
 * - on the queue against a real redis-server, a worker killed mid-batch leaves a batch job that another
 *   worker takes over: the finished seed is kept (not re-run), the interrupted one resumes, and the metrics
 *   equal the local ones;
 * - a tune study's trials are the same with K=1 and K=2, and a study killed mid-batch and run again ends with
 *   the same trials, its finished seed kept and the cut one resumed;
 * - batching and the batch document are checked (one line, nothing written; bad batch jobs: queue-faults.test.ts).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchesOf } from '../experiments/plan/batches.js';
import { checkBatchRuns, runBatchDocument } from '../experiments/harness/batch-seeds.js';
import { trainSpecFromArgs } from '../experiments/commands/train.js';
import { runSpecDocument } from '../formats/run-spec.js';
import { readStudy } from '../experiments/tune/study.js';
import { isAlive, runComparison } from '../experiments/compare.js';
import { ROOT, expectOneLine, runCli, runInProcess, startCli } from './helpers/cli.js';
import { startRedis } from './helpers/redis.js';
import { killWorkers, signalGroup, startWorker, until } from './helpers/queue.js';
import { snapshotFiles } from './helpers/files.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-batched-exec-'));
});
afterAll(() => {
  killWorkers();
  fs.rmSync(root, { recursive: true, force: true });
});

const CMP = [
  'compare', '--env', 'cartpole', '--agents', 'ppo,a2c', '--seeds', '3', '--steps', '3072', '--eval-every', '1024', '--eval-episodes', '2',
  '--checkpoint-every', '512', '--record-episodes', '0', '--backend', 'wasm', '--bootstrap-reps', '100', '--progress', 'lines',
];
const RUNS = ['ppo', 'a2c'].flatMap((a) => [0, 1, 2].map((s) => `${a}__seed${s}`));
const read = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');
const report = (dir: string) => ({ ...JSON.parse(read(dir, 'report.json')), wallClock: undefined });
const statusOf = (dir: string, run: string): string | null => {
  try {
    return JSON.parse(read(dir, 'runs', run, 'summary.json')).status;
  } catch {
    return null;
  }
};
/** Byte-equal metrics.jsonl for every run, and the same report. */
function expectSameComparison(dir: string, ref: string): void {
  for (const run of RUNS) expect(read(dir, 'runs', run, 'metrics.jsonl'), run).toBe(read(ref, 'runs', run, 'metrics.jsonl'));
  expect(report(dir)).toEqual(report(ref));
}
/** Finished seed 0 and seed 1 midway with a checkpoint: a batch cut in the middle. */
const midBatch = (dir: string) => statusOf(dir, 'ppo__seed0') === 'finished' && statusOf(dir, 'ppo__seed1') === 'running' && fs.existsSync(path.join(dir, 'runs', 'ppo__seed1', 'checkpoints', 'latest.json'));

const oneByOne = () => path.join(root, 'k1');

describe('batches: local', () => {
  it('K=1 and the default batching give byte-equal metrics per run and the same report; each run logs its own output', async () => {
    const k1 = await runCli([...CMP, '--workers', '2', '--seeds-per-process', '1', '--out', oneByOne()]);
    expect(k1.code, k1.stderr).toBe(0);
    expect(k1.stderr).not.toMatch(/processes \(up to/);
    const dir = path.join(root, 'default');
    const batched = await runCli([...CMP, '--workers', '2', '--out', dir]);
    expect(batched.code, batched.stderr).toBe(0);
    // Two configurations on two slots: one process per configuration, its three seeds one after another.
    expect(batched.stderr).toContain('6 runs in 2 processes (up to 3 seeds each, one after another)');
    expectSameComparison(dir, oneByOne());
    for (const run of RUNS) {
      const log = read(dir, 'logs', `${run}.log`);
      expect(log).toContain(`{"event":"run-start","run":"${run}","how":"start"}`);
      expect(log.match(/"event":"run-start"/g), run).toHaveLength(1);
      expect(log).toMatch(new RegExp(`"event":"run-end","run":"${run}","status":"finished"`));
    }
  }, 300_000);

  it('killed with its children mid-batch and run again: finished seeds kept untouched, the cut one resumes from its checkpoint, the same results as K=1', async () => {
    expect(fs.existsSync(path.join(oneByOne(), 'report.json')), 'needs the K=1 comparison first').toBe(true);
    const dir = path.join(root, 'killed');
    const args = [...CMP, '--workers', '1', '--seeds-per-process', '3', '--out', dir];
    // Its own process group, so one kill reaches the coordinator and its train child.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'experiments', 'cli.ts'), ...args], { cwd: ROOT, detached: true, stdio: 'ignore' });
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    let lockPids: number[] = [];
    await until('seed 0 finished and seed 1 midway in the batch', () => {
      try {
        lockPids = JSON.parse(read(dir, '.compare-lock.json')).children ?? lockPids;
      } catch {
        /* not written yet */
      }
      return midBatch(dir);
    }, 120_000);
    process.kill(-child.pid!, 'SIGKILL');
    await closed;
    await until('the batch process gone', () => !lockPids.some(isAlive), 10_000);
    const kept = snapshotFiles(path.join(dir, 'runs', 'ppo__seed0'));

    const rerun = await runCli(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain('6 runs: 1 already done, 1 to resume, 4 to start');
    expect(rerun.stderr).toContain('5 runs in 2 processes (up to 3 seeds each, one after another)');
    expect(Number(/resuming .* from step (\d+)/.exec(read(dir, 'logs', 'ppo__seed1.log'))?.[1] ?? 0)).toBeGreaterThan(0);
    const now = snapshotFiles(path.join(dir, 'runs', 'ppo__seed0'));
    expect([...now.keys()].sort()).toEqual([...kept.keys()].sort());
    for (const [file, f] of kept) expect(now.get(file)!.mtimeMs, file).toBe(f.mtimeMs);
    expectSameComparison(dir, oneByOne());
  }, 300_000);
});

describe('batches: on the queue', () => {
  it('a worker killed mid-batch: another takes the batch over, keeps the finished seed, resumes the cut one; the metrics equal the local ones', async () => {
    expect(fs.existsSync(path.join(oneByOne(), 'report.json')), 'needs the K=1 comparison first').toBe(true);
    const redis = await startRedis();
    const dir = path.join(root, 'queued');
    try {
      const a = startWorker(redis.url);
      await until('worker A ready', () => /takes jobs from/.test(a.out()), 60_000, a.out);
      const coord = startCli([...CMP, '--seeds-per-process', '3', '--out', dir, '--queue', redis.url]);
      await until('seed 0 finished and seed 1 midway in worker A\'s batch', () => midBatch(dir), 120_000, a.out);
      signalGroup(a.proc, 'SIGKILL'); // the worker's "machine": the worker and its batch process
      const kept = snapshotFiles(path.join(dir, 'runs', 'ppo__seed0'));
      const b = startWorker(redis.url);
      const res = await coord.done;
      expect(res.code, `${res.stderr}\nB:\n${b.out()}`).toBe(0);
      expect(res.stderr).toContain('queue: 2 job(s) enqueued (6 runs, up to 3 per job)');
      // Worker B took the batch over: seed 0 kept as it was, seed 1 resumed from its checkpoint (its lock taken over).
      expect(b.out()).toMatch(/✓ ppo__seed0\+2: ppo__seed0 finished \(already done\), ppo__seed1 finished, ppo__seed2 finished/);
      const log = read(dir, 'logs', 'ppo__seed1.log');
      expect(log).toMatch(/taking over the lock of .* from pid \d+/);
      expect(Number(/resuming .* from step (\d+)/.exec(log)?.[1] ?? 0)).toBeGreaterThan(0);
      const now = snapshotFiles(path.join(dir, 'runs', 'ppo__seed0'));
      for (const [file, f] of kept) expect(now.get(file)!.mtimeMs, file).toBe(f.mtimeMs);
      expectSameComparison(dir, oneByOne());
      for (const run of RUNS) expect(fs.existsSync(path.join(dir, 'runs', run, 'lock.json')), run).toBe(false);
    } finally {
      killWorkers();
      await redis.stop();
    }
  }, 300_000);
});

describe('batches: tune', () => {
  const TUNE = ['tune', 'ppo', 'cartpole', '--trials', '2', '--seeds', '2', '--steps', '1024', '--eval-every', '512', '--checkpoint-every', '256', '--space', 'lr=1e-4:3e-3:log', '--space-only', '--finalists', '0', '--envs', '2', '--eval-episodes', '2', '--backend', 'wasm', '--workers', '1', '--progress', 'none'];
  const trials = (dir: string) => readStudy(dir).trials.map(({ kind: _k, ...t }) => t);
  const trialRuns = (dir: string) => path.join(dir, 'trials', 'trial-0000', 'runs');
  const oneByOneStudy = () => path.join(root, 'tune-k1');

  it("a study's trials are the same with one process per run and with two seeds per process", async () => {
    const a = await runCli([...TUNE, '--seeds-per-process', '1', '--out', oneByOneStudy()]);
    expect(a.code, a.stderr).toBe(0);
    const k2 = path.join(root, 'tune-k2');
    const b = await runCli([...TUNE, '--seeds-per-process', '2', '--out', k2]);
    expect(b.code, b.stderr).toBe(0);
    expect(trials(k2)).toEqual(trials(oneByOneStudy()));
    const runs = fs.readdirSync(trialRuns(oneByOneStudy()));
    for (const run of runs) expect(read(trialRuns(k2), run, 'metrics.jsonl'), run).toBe(read(trialRuns(oneByOneStudy()), run, 'metrics.jsonl'));
    expect(read(k2, 'trials', 'trial-0000', 'logs', `${runs[1]}.log`)).toContain('"event":"run-start"');
  }, 300_000);

  it('killed with its children mid-batch and run again: the finished seed is kept, the cut one resumes, the same trials', async () => {
    expect(fs.existsSync(path.join(oneByOneStudy(), 'best.json')), 'needs the K=1 study first').toBe(true);
    const out = path.join(root, 'tune-killed');
    const args = [...TUNE, '--seeds-per-process', '2', '--out', out];
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'experiments', 'cli.ts'), ...args], { cwd: ROOT, detached: true, stdio: 'ignore' });
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    let first = '';
    await until("trial 0's first seed finished and its second midway in the batch", () => {
      if (!fs.existsSync(trialRuns(out))) return false;
      const runs = fs.readdirSync(trialRuns(out)).sort();
      first = runs.find((r) => statusOf(path.join(out, 'trials', 'trial-0000'), r) === 'finished') ?? '';
      return first !== '' && runs.some((r) => r !== first && statusOf(path.join(out, 'trials', 'trial-0000'), r) === 'running' && fs.existsSync(path.join(trialRuns(out), r, 'checkpoints', 'latest.json')));
    }, 120_000);
    process.kill(-child.pid!, 'SIGKILL');
    await closed;
    const kept = snapshotFiles(path.join(trialRuns(out), first));
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(trials(out)).toEqual(trials(oneByOneStudy()));
    const now = snapshotFiles(path.join(trialRuns(out), first));
    for (const [file, f] of kept) expect(now.get(file)!.mtimeMs, file).toBe(f.mtimeMs);
    const cut = fs.readdirSync(trialRuns(out)).find((x) => x !== first)!;
    expect(Number(/resuming .* from step (\d+)/.exec(read(out, 'trials', 'trial-0000', 'logs', `${cut}.log`))?.[1] ?? 0)).toBeGreaterThan(0);
    for (const run of fs.readdirSync(trialRuns(oneByOneStudy()))) expect(read(trialRuns(out), run, 'metrics.jsonl'), run).toBe(read(trialRuns(oneByOneStudy()), run, 'metrics.jsonl'));
  }, 300_000);
});

describe('batches: planning and checks', () => {
  const runs = (groups: Record<string, number>) => Object.entries(groups).flatMap(([group, n]) => Array.from({ length: n }, (_, seed) => ({ group, seed })));
  const sizes = (b: { group: string }[][]) => b.map((x) => `${x[0].group}:${x.length}`);

  it('splits each configuration so every slot gets work, or in chunks of --seeds-per-process', () => {
    expect(sizes(batchesOf(runs({ ppo: 16 }), { slots: 2 }))).toEqual(['ppo:8', 'ppo:8']);
    expect(sizes(batchesOf(runs({ ppo: 5, a2c: 5, dqn: 5 }), { slots: 2 }))).toEqual(['ppo:5', 'a2c:5', 'dqn:5']);
    expect(sizes(batchesOf(runs({ ppo: 3, a2c: 3 }), { slots: 8 }))).toEqual(['ppo:1', 'ppo:1', 'ppo:1', 'a2c:1', 'a2c:1', 'a2c:1']);
    expect(sizes(batchesOf(runs({ ppo: 10 }), { slots: 1, seedsPerProcess: 4 }))).toEqual(['ppo:4', 'ppo:4', 'ppo:2']);
    expect(sizes(batchesOf(runs({ ppo: 2, a2c: 1 }), { slots: 4, seedsPerProcess: 1 }))).toEqual(['ppo:1', 'ppo:1', 'a2c:1']);
    // Seeds of different configurations never share a process.
    for (const b of batchesOf(runs({ ppo: 7, a2c: 4 }), { slots: 3 })) expect(new Set(b.map((r) => r.group)).size).toBe(1);
  });

  it('refuses a bad --seeds-per-process and bad batch runs with one line, writing nothing', async () => {
    const out = path.join(root, 'refused');
    const r = await runInProcess([...CMP, '--seeds-per-process', '0', '--out', out]);
    expectOneLine(r, /--seeds-per-process must be a positive integer, got 0/);
    expect(fs.existsSync(out)).toBe(false);
    await expect(runComparison({ env: 'cartpole', agents: ['ppo'], seeds: [0, 1], seedsPerProcess: 1.5, outDir: out, progress: 'none' })).rejects.toThrow(/^--seeds-per-process must be a positive integer, got 1\.5$/);
    expect(fs.existsSync(out)).toBe(false);
    expect(() => checkBatchRuns([{ run: 'a', seed: 1.5 }], 'batch')).toThrow(/^batch: run a's seed must be/);
    expect(() => checkBatchRuns([{ run: 'a', seed: 1 }, { run: 'b', seed: 1 }], 'batch')).toThrow(/^batch: seed 1 appears twice$/);

    // train --batch: a document from outside is checked before anything is written.
    const spec = runSpecDocument(trainSpecFromArgs({ agent: 'ppo', env: 'cartpole', set: [], 'env-set': [], progress: 'none', steps: 256, backend: 'wasm' }));
    const file = path.join(root, 'batch.json');
    const runsDir = path.join(root, 'batch-runs');
    fs.writeFileSync(file, JSON.stringify({ ...runBatchDocument([{ run: 'x/../../y', seed: 0 }], spec) }));
    expectOneLine(await runInProcess(['train', '--batch', file, '--out', runsDir]), /run batch .*batch\.json: run "x\/\.\.\/\.\.\/y" is not a plain run name/);
    fs.writeFileSync(file, JSON.stringify({ ...runBatchDocument([{ run: 'ok', seed: 0 }], spec), version: 2 }));
    expectOneLine(await runInProcess(['train', '--batch', file, '--out', runsDir]), /run batch version 2; this tsgym reads version 1/);
    fs.writeFileSync(file, JSON.stringify(runBatchDocument([{ run: 'ok', seed: 0 }], spec)));
    expectOneLine(await runInProcess(['train', '--batch', file, '--out', runsDir, '--steps', '512']), /--batch .* holds the runs and their spec; drop --steps/);
    expect(fs.existsSync(runsDir)).toBe(false);
  });
});
