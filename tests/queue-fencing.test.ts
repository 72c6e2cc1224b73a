/**
 * Fencing on a real queue (a real redis-server): a worker paused with SIGSTOP past its job's lock, whose job
 * another worker then takes over, and which is then resumed, does not write to the run any more (its run lock's
 * epoch was raised by the take-over, and the worker kills its `train` child once it loses the job); the
 * comparison ends with a report equal to the same comparison run locally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, startCli } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const ARGS = [
  'compare', '--env', 'cartpole', '--agents', 'ppo', '--seeds', '1', '--steps', '8192', '--eval-every', '1024', '--eval-episodes', '2',
  '--checkpoint-every', '512', '--record-episodes', '0', '--backend', 'wasm', '--bootstrap-reps', '100', '--progress', 'lines',
];
const RUN = 'ppo__seed0';

let root: string;
let redis: TestRedis;
const procs: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');

function startWorker(url: string): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'experiments', 'cli.ts'), 'worker', '--queue', url, '--lock-seconds', '3'], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  procs.push(proc);
  return { proc, out: () => out };
}

const signalGroup = (proc: ChildProcess, signal: NodeJS.Signals) => {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    /* gone */
  }
};

async function until(what: string, cond: () => boolean, timeoutMs = 90_000, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-fencing-'));
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  for (const p of procs) signalGroup(p, 'SIGKILL');
  await redis?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('a worker paused past its job lock', () => {
  it('does not corrupt the run once resumed, and the report equals the local one', async () => {
    const dir = path.join(root, 'queued');
    const a = startWorker(redis.url);
    const coord = startCli([...ARGS, '--out', dir, '--queue', redis.url]);
    await until('worker A midway with a checkpoint', () => /▶ ppo__seed0/.test(a.out()) && fs.existsSync(path.join(dir, 'runs', RUN, 'checkpoints', 'latest.json')), 90_000, a.out);
    signalGroup(a.proc, 'SIGSTOP'); // the whole "machine": worker, its processor and the run
    const b = startWorker(redis.url);
    await until('worker B resuming the stalled job', () => /resuming .* from step/.test(read(dir, 'logs', `${RUN}.log`)), 90_000, () => `A:\n${a.out()}\nB:\n${b.out()}`);
    await sleep(1000);
    signalGroup(a.proc, 'SIGCONT');
    const res = await coord.done;
    expect(res.code, `${res.stderr}\nA:\n${a.out()}\nB:\n${b.out()}`).toBe(0);
    // Worker A noticed it lost the job and stopped its run there.
    await until('worker A to notice', () => /lost its lock/.test(a.out()), 30_000, a.out);
    const log = read(dir, 'logs', `${RUN}.log`);
    expect(log).toMatch(/taking over the lock of .* from pid \d+/);

    // The same comparison, locally: the same metrics and report.
    const local = path.join(root, 'local');
    const ref = await runCli([...ARGS, '--out', local]);
    expect(ref.code, ref.stderr).toBe(0);
    expect(read(dir, 'runs', RUN, 'metrics.jsonl')).toBe(read(local, 'runs', RUN, 'metrics.jsonl'));
    const report = (d: string) => ({ ...JSON.parse(read(d, 'report.json')), wallClock: undefined });
    expect(report(dir)).toEqual(report(local));
    expect(JSON.parse(read(dir, 'runs', RUN, 'summary.json')).status).toBe('finished');
    expect(fs.existsSync(path.join(dir, 'runs', RUN, 'lock.json'))).toBe(false);
  }, 300_000);
});
