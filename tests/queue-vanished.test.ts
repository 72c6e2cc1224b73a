/**
 * Vanished jobs, against a real redis-server: FLUSHALL in the middle of a queued comparison (as Redis
 * restarted without persistence would do) is detected by the coordinator, which says so, re-enqueues the runs
 * not finished on disk (they resume from their last checkpoint) and ends with the report of the same
 * comparison run locally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ROOT, runCli, startCli } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const ARGS = [
  'compare', '--env', 'cartpole', '--agents', 'ppo', '--seeds', '2', '--steps', '6144', '--eval-every', '1024', '--eval-episodes', '2',
  '--checkpoint-every', '512', '--record-episodes', '0', '--backend', 'wasm', '--bootstrap-reps', '100', '--progress', 'lines',
];

let root: string;
let redis: TestRedis;
const procs: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-vanished-'));
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

describe('jobs that vanish from Redis', () => {
  it('FLUSHALL mid-run: the coordinator notices, re-enqueues what is not finished on disk, and the report equals the local one', async () => {
    const dir = path.join(root, 'queued');
    const worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'experiments', 'cli.ts'), 'worker', '--queue', redis.url, '--lock-seconds', '3'], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(worker);
    let workerOut = '';
    worker.stderr!.on('data', (d) => (workerOut += d));
    const coord = startCli([...ARGS, '--out', dir, '--queue', redis.url]);
    let coordErr = '';
    coord.child.stderr!.on('data', (d) => (coordErr += d));
    const midway = () => ['ppo__seed0', 'ppo__seed1'].some((r) => fs.existsSync(path.join(dir, 'runs', r, 'checkpoints', 'latest.json')));
    const deadline = Date.now() + 90_000;
    while (!midway()) {
      if (Date.now() > deadline) throw new Error(`no run got a checkpoint\n${workerOut}\n${coordErr}`);
      await sleep(50);
    }
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    const res = await coord.done;
    expect(res.code, `${res.stderr}\nworker:\n${workerOut}`).toBe(0);
    expect(res.stderr).toMatch(/↺ ppo__seed\d: its job vanished from the queue \(Redis flushed or restarted without persistence\); enqueued it again: it resumes from its last checkpoint on disk/);

    const local = path.join(root, 'local');
    const ref = await runCli([...ARGS, '--out', local]);
    expect(ref.code, ref.stderr).toBe(0);
    for (const run of ['ppo__seed0', 'ppo__seed1']) expect(read(dir, 'runs', run, 'metrics.jsonl'), run).toBe(read(local, 'runs', run, 'metrics.jsonl'));
    const report = (d: string) => ({ ...JSON.parse(read(d, 'report.json')), wallClock: undefined });
    expect(report(dir)).toEqual(report(local));
  }, 300_000);
});
