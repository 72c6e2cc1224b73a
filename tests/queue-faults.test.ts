/**
 * The queue under faults, against real redis-servers and real workers:
 * - job data is validated data: a job (one run, or a batch of runs) whose run name leaves the comparison
 *   directory, that carries `train` arguments (`--out`, or another command altogether), or whose spec is not a
 *   run spec this tsgym reads, fails with one line while the worker goes on;
 * - a worker whose code differs from the coordinator's refuses a job with one line naming both fingerprints,
 *   and the job runs on a worker with the same code;
 * - a worker paused with SIGSTOP past its job's lock, whose job another worker takes over, and which is then
 *   resumed, writes nothing more to the run (fenced by the run lock's epoch; the worker kills its run once it
 *   loses the job): the report equals the local one;
 * - jobs that vanish (FLUSHALL, as Redis restarted without persistence) are noticed, re-enqueued unless
 *   finished on disk, and the report equals the local one.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '../experiments/queue/connection.js';
import { claimComparisonFile, planComparison } from '../experiments/plan/request.js';
import { trainSpecFromArgs } from '../experiments/commands/train.js';
import { configFields, runSpecDocument } from '../formats/run-spec.js';
import { codeFingerprint, describeFingerprint, fingerprintOf } from '../experiments/fingerprint.js';
import { copyCheckout, runCli, startCli } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { killWorkers, signalGroup, sleep, startWorker, until } from './helpers/queue.js';

let root: string;
let redis: TestRedis;

// Long enough (several seconds) that worker B is still training the run when worker A wakes up.
const FENCE_ARGS = [
  'compare', '--env', 'cartpole', '--agents', 'ppo', '--seeds', '1', '--steps', '65536', '--eval-every', '1024', '--eval-episodes', '2',
  '--checkpoint-every', '512', '--record-episodes', '0', '--backend', 'wasm', '--bootstrap-reps', '100', '--progress', 'lines',
];
const FENCE_RUN = 'ppo__seed0';

// Long enough that FLUSHALL lands while the runs still train (they go at ~25k steps per second).
const VANISH_ARGS = [
  'compare', '--env', 'cartpole', '--agents', 'ppo', '--seeds', '2', '--steps', '49152', '--eval-every', '1024', '--eval-episodes', '2',
  '--checkpoint-every', '512', '--record-episodes', '0', '--backend', 'wasm', '--bootstrap-reps', '100', '--progress', 'lines',
];

const read = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');
const spec = () => trainSpecFromArgs({ agent: 'dqn', env: 'cartpole', set: ['learningStarts=100'], 'env-set': [], progress: 'none', steps: 400, 'eval-every': 400, 'eval-episodes': 1, 'record-episodes': 0, backend: 'wasm' });

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-queue-faults-'));
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  killWorkers();
  await redis?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('queue job data is checked before anything is done with it', () => {
  it('the three attacks fail with one line each, touch nothing outside the comparison, and the worker goes on', async () => {
    // A comparison directory the jobs point into, and a victim beside it.
    const cmp = path.join(root, 'shared', 'cmp');
    fs.mkdirSync(cmp, { recursive: true });
    claimComparisonFile(cmp, planComparison({ env: 'cartpole', agents: ['dqn'], seeds: [0], totalSteps: 400, backend: 'wasm', outDir: cmp }), []);
    const victim = path.join(root, 'victim');
    fs.mkdirSync(victim);
    fs.writeFileSync(path.join(victim, 'precious.txt'), 'keep me');
    const escaped = path.join(root, 'escaped-run');
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });

    const w = startWorker(redis.url);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection });
    try {
      const doc = runSpecDocument(spec());
      const attacks: [string, Record<string, unknown>, RegExp][] = [
        ['traversal', { outDir: cmp, run: '../../victim', spec: doc }, /^refused job: run "\.\.\/\.\.\/victim" is not a plain run name/],
        ['--out in the args', { outDir: cmp, run: 'dqn__seed0', trainArgs: ['train', 'dqn', 'cartpole', '--out', escaped] }, /^refused job: unexpected field trainArgs/],
        ['another command', { outDir: cmp, run: 'dqn__seed0', trainArgs: ['view', '--runs', '/', '--host', '0.0.0.0', '--port', String(port)] }, /^refused job: unexpected field trainArgs/],
        ['a path in the spec', { outDir: cmp, run: 'dqn__seed0', spec: { ...doc, outDir: '/' } }, /^refused job dqn__seed0: its spec: unknown run spec field 'outDir'/],
        ['a newer spec', { outDir: cmp, run: 'dqn__seed0', spec: { ...doc, version: 2 } }, /^refused job dqn__seed0: its spec is a run spec of version 2; this tsgym reads up to version 1/],
        ['a relative outDir', { outDir: '../shared/cmp', run: 'dqn__seed0', spec: doc }, /^refused job: outDir "\.\.\/shared\/cmp" is not an absolute, normalised path/],
        // A batch job ({outDir, runs, spec}) is checked as strictly, run by run.
        ['traversal in a batch', { outDir: cmp, runs: [{ run: 'dqn__seed0', seed: 0 }, { run: '../../victim', seed: 1 }], spec: doc }, /^refused job: run "\.\.\/\.\.\/victim" is not a plain run name/],
        ['arguments in a batch run', { outDir: cmp, runs: [{ run: 'dqn__seed0', seed: 0, trainArgs: ['--out', escaped] }], spec: doc }, /^refused job: runs\[0\] has unexpected field trainArgs/],
        ['an empty batch', { outDir: cmp, runs: [], spec: doc }, /^refused job: runs must be a non-empty list of \{run, seed\}/],
        ['a run twice in a batch', { outDir: cmp, runs: [{ run: 'dqn__seed0', seed: 0 }, { run: 'dqn__seed0', seed: 1 }], spec: doc }, /^refused job: run dqn__seed0 appears twice/],
        ['a bad seed in a batch', { outDir: cmp, runs: [{ run: 'dqn__seed0', seed: -1 }], spec: doc }, /^refused job: run dqn__seed0's seed must be/],
        ['run and runs', { outDir: cmp, run: 'dqn__seed0', runs: [{ run: 'dqn__seed0', seed: 0 }], spec: doc }, /^refused job: unexpected field run \(a job is/],
        ['a newer spec in a batch', { outDir: cmp, runs: [{ run: 'dqn__seed0', seed: 0 }], spec: { ...doc, version: 2 } }, /^refused job dqn__seed0: its spec is a run spec of version 2/],
      ];
      const jobs: Job[] = [];
      for (const [name, data] of attacks) jobs.push(await queue.add(name, data, { attempts: 1, removeOnComplete: false, removeOnFail: false }));
      // …and then an honest job, which the same worker must still train.
      const honest = await queue.add('honest', { outDir: cmp, run: 'dqn__seed0', spec: doc }, { attempts: 1, removeOnComplete: false, removeOnFail: false });

      await until('every job ended', async () => (await Promise.all([...jobs, honest].map((j) => queue.getJob(j.id!).then((x) => x!.getState())))).every((s) => s === 'completed' || s === 'failed'), 120_000, w.out);
      for (let i = 0; i < attacks.length; i++) {
        const job = (await queue.getJob(jobs[i].id!))!;
        expect(await job.getState(), attacks[i][0]).toBe('failed');
        expect(job.failedReason, attacks[i][0]).toMatch(attacks[i][2]);
        expect(job.failedReason.split('\n'), attacks[i][0]).toHaveLength(1);
      }
      const done = (await queue.getJob(honest.id!))!;
      expect(await done.getState(), w.out()).toBe('completed');
      expect(done.returnvalue).toMatchObject({ status: 'finished', steps: 400 });
      // The worker's run trained exactly the spec of the job (the same the local path resolves).
      const config = JSON.parse(fs.readFileSync(path.join(cmp, 'runs', 'dqn__seed0', 'config.json'), 'utf8'));
      expect(config).toMatchObject({ agent: 'dqn', envId: 'CartPole-v1', ...configFields(spec()) });
      expect(config.hyperparams).toEqual({ ...spec().hyperparams, totalSteps: 400 });
      // Nothing outside the comparison was touched: the victim stands, no log beside it, no run written elsewhere, no viewer.
      expect(fs.readdirSync(victim)).toEqual(['precious.txt']);
      expect(fs.existsSync(path.join(root, 'victim.log'))).toBe(false);
      expect(fs.existsSync(escaped)).toBe(false);
      const listening = await new Promise<boolean>((resolve) => {
        const sock = net.connect(port, '127.0.0.1');
        sock.once('connect', () => (sock.destroy(), resolve(true)));
        sock.once('error', () => resolve(false));
      });
      expect(listening).toBe(false);
      expect(w.proc.exitCode).toBeNull();
      expect(w.out()).toMatch(/✗ "\.\.\/\.\.\/victim": refused job: run/);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }, 180_000);
});

describe('code fingerprint', () => {
  it('a worker whose code differs refuses the job with one line naming both; a worker with the same code trains it', async () => {
    // A checkout with one constant changed.
    const other = copyCheckout(path.join(root, 'other-checkout'));
    const cartpole = path.join(other, 'envs', 'cartpole.ts');
    fs.writeFileSync(cartpole, fs.readFileSync(cartpole, 'utf8').replace('export const GRAVITY = 9.8;', 'export const GRAVITY = 9.81;'));
    const theirs = fingerprintOf(other, codeFingerprint().version);
    expect(theirs.source).not.toBe(codeFingerprint().source);

    const own = await startRedis();
    try {
      const stranger = startWorker(own.url, other);
      await until('the other worker ready', () => /takes jobs from/.test(stranger.out()), 60_000, stranger.out);
      const dir = path.join(root, 'fingerprint-cmp');
      const coord = startCli(['compare', '--env', 'cartpole', '--agents', 'ppo', '--seeds', '1', '--steps', '512', '--eval-every', '512', '--eval-episodes', '1', '--record-episodes', '0', '--backend', 'wasm', '--bootstrap-reps', '100', '--progress', 'lines', '--out', dir, '--queue', own.url]);
      await until('the other worker refusing the job', () => /refused job/.test(stranger.out()), 60_000, stranger.out);
      const line = stranger.out().split('\n').find((l) => /refused job/.test(l))!;
      expect(line).toContain(`planned with code ${describeFingerprint(codeFingerprint())}`);
      expect(line).toContain(`this worker runs ${describeFingerprint(theirs)}`);
      expect(fs.existsSync(path.join(dir, 'runs', 'ppo__seed0'))).toBe(false);
      // A worker with the coordinator's code takes it.
      startWorker(own.url);
      const res = await coord.done;
      expect(res.code, res.stderr).toBe(0);
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'ppo__seed0', 'config.json'), 'utf8'));
      expect(config.fingerprint).toEqual(codeFingerprint());
      const local = await runCli(['compare', '--env', 'cartpole', '--agents', 'ppo', '--seeds', '1', '--steps', '512', '--eval-every', '512', '--eval-episodes', '1', '--record-episodes', '0', '--backend', 'wasm', '--bootstrap-reps', '100', '--progress', 'none', '--out', path.join(root, 'fingerprint-local')]);
      expect(local.code, local.stderr).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'runs', 'ppo__seed0', 'metrics.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(root, 'fingerprint-local', 'runs', 'ppo__seed0', 'metrics.jsonl'), 'utf8'));
    } finally {
      await own.stop();
    }
  }, 240_000);
});

describe('a worker paused past its job lock', () => {
  it('does not corrupt the run once resumed, and the report equals the local one', async () => {
    // A server of its own, so that no other test's worker takes the job.
    const own = await startRedis();
    try {
      const dir = path.join(root, 'fencing');
      const a = startWorker(own.url);
      const coord = startCli([...FENCE_ARGS, '--out', dir, '--queue', own.url]);
      await until('worker A midway with a checkpoint', () => /▶ ppo__seed0/.test(a.out()) && fs.existsSync(path.join(dir, 'runs', FENCE_RUN, 'checkpoints', 'latest.json')), 90_000, a.out);
      signalGroup(a.proc, 'SIGSTOP'); // the whole "machine": worker, its processor and the run
      const b = startWorker(own.url);
      await until('worker B resuming the stalled job', () => /resuming .* from step/.test(read(dir, 'logs', `${FENCE_RUN}.log`)), 90_000, () => `A:\n${a.out()}\nB:\n${b.out()}`);
      await sleep(1000);
      signalGroup(a.proc, 'SIGCONT');
      const res = await coord.done;
      expect(res.code, `${res.stderr}\nA:\n${a.out()}\nB:\n${b.out()}`).toBe(0);
      // Worker A noticed it lost the job and stopped its run there, by whichever wakes first after SIGCONT:
      // BullMQ's lock renewal fails (the worker cancels the job and says so), or A's train child resumes and
      // its run lock's fencing stops it before it writes (the run's log says so).
      const log = () => read(dir, 'logs', `${FENCE_RUN}.log`);
      await until('worker A to notice', () => /lost its lock/.test(a.out()) || /lost run .*; this process stops without writing to it/.test(log()), 30_000, () => `A:\n${a.out()}\nlog:\n${log()}`);
      expect(log()).toMatch(/taking over the lock of .* from pid \d+/);

      // The same comparison, locally: the same metrics and report.
      const local = path.join(root, 'fencing-local');
      const ref = await runCli([...FENCE_ARGS, '--out', local]);
      expect(ref.code, ref.stderr).toBe(0);
      expect(read(dir, 'runs', FENCE_RUN, 'metrics.jsonl')).toBe(read(local, 'runs', FENCE_RUN, 'metrics.jsonl'));
      const report = (d: string) => ({ ...JSON.parse(read(d, 'report.json')), wallClock: undefined });
      expect(report(dir)).toEqual(report(local));
      expect(JSON.parse(read(dir, 'runs', FENCE_RUN, 'summary.json')).status).toBe('finished');
      expect(fs.existsSync(path.join(dir, 'runs', FENCE_RUN, 'lock.json'))).toBe(false);
    } finally {
      await own.stop();
    }
  }, 300_000);
});

describe('jobs that vanish from Redis', () => {
  it('FLUSHALL mid-run: the coordinator notices, re-enqueues what is not finished on disk, and the report equals the local one', async () => {
    // A server of its own: FLUSHALL would take other tests' jobs with it.
    const own = await startRedis();
    const dir = path.join(root, 'vanished');
    const worker = startWorker(own.url);
    const coord = startCli([...VANISH_ARGS, '--out', dir, '--queue', own.url]);
    let coordErr = '';
    coord.child.stderr!.on('data', (d) => (coordErr += d));
    const midway = () => ['ppo__seed0', 'ppo__seed1'].some((r) => fs.existsSync(path.join(dir, 'runs', r, 'checkpoints', 'latest.json')));
    await until('a run with a checkpoint', midway, 90_000, () => `${worker.out()}\n${coordErr}`);
    const client = new Redis(own.url);
    await client.flushall();
    client.disconnect();
    const res = await coord.done;
    await own.stop();
    expect(res.code, `${res.stderr}\nworker:\n${worker.out()}`).toBe(0);
    expect(res.stderr).toMatch(/↺ ppo__seed\d: its job vanished from the queue \(Redis flushed or restarted without persistence\); enqueued it again: it resumes from its last checkpoint on disk/);

    const local = path.join(root, 'vanished-local');
    const ref = await runCli([...VANISH_ARGS, '--out', local]);
    expect(ref.code, ref.stderr).toBe(0);
    for (const run of ['ppo__seed0', 'ppo__seed1']) expect(read(dir, 'runs', run, 'metrics.jsonl'), run).toBe(read(local, 'runs', run, 'metrics.jsonl'));
    const report = (d: string) => ({ ...JSON.parse(read(d, 'report.json')), wallClock: undefined });
    expect(report(dir)).toEqual(report(local));
  }, 300_000);
});
