/**
 * Queue job data is validated data, against a real redis-server and real workers: a job whose run name
 * leaves the comparison directory, that carries `train` arguments (`--out`, or another command altogether),
 * or whose spec is not a run spec this tsgym reads, fails with one line while the worker goes on; a worker
 * whose code differs from the coordinator's refuses a job with one line naming both fingerprints, and the job
 * runs on a worker with the same code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
import { runSpecDocument } from '../experiments/run-spec.js';
import { codeFingerprint, describeFingerprint, fingerprintOf } from '../experiments/fingerprint.js';
import { ROOT, runCli, startCli } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

let root: string;
let redis: TestRedis;
const procs: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startWorker(url: string, cwd = ROOT): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(cwd, 'experiments', 'cli.ts'), 'worker', '--queue', url, '--lock-seconds', '3'], { cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  procs.push(proc);
  return { proc, out: () => out };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await sleep(100);
  }
}

const spec = () => trainSpecFromArgs({ agent: 'dqn', env: 'cartpole', set: ['learningStarts=100'], 'env-set': [], progress: 'none', steps: 400, 'eval-every': 400, 'eval-episodes': 1, 'record-episodes': 0, backend: 'wasm' });

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-queue-jobs-'));
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  for (const p of procs) {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
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
    const other = path.join(root, 'other-checkout');
    fs.mkdirSync(other);
    for (const entry of ['agents', 'core', 'envs', 'experiments', 'render', 'index.ts', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      fs.cpSync(path.join(ROOT, entry), path.join(other, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(other, 'node_modules'));
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
