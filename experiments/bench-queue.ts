/**
 * `npm run bench:queue`: what running a comparison on the BullMQ queue costs next to running it locally.
 * Starts its own redis-server (Debian /usr/bin/redis-server) on a free loopback port unless --queue is given,
 * and prints a table plus JSON (bench-results/bench-queue-<time>.json and bench-queue-latest.json).
 *
 * 1. Overhead per job: the same K tiny runs (a few hundred env steps, so start-up dominates) with one
 *    local process at a time, and with one queue worker (already started); (queue − local) / K is what a
 *    job costs on top of its `train` process (enqueue, hand-over to the sandboxed processor, whose first
 *    start is included, progress, polling).
 * 2. Throughput: one comparison (2 agents × N seeds) with local `--workers 2`, and with two queue workers.
 *
 *   npm run bench:queue                     defaults: 6 tiny jobs; 2 agents × 2 seeds × 5000 steps
 *   npm run bench:queue -- --jobs 10 --seeds 3 --steps 10000
 * Timings depend on the machine's load: compare the rows of one run (ratios), not across runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runComparison, type CompareOptions } from './compare.js';
import { REPO_ROOT } from './executors/train-process.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run bench:queue --')
  .options({
    queue: { type: 'string', describe: 'An existing Redis (redis://HOST:PORT); default: start a private redis-server' },
    jobs: { type: 'number', default: 6, describe: 'Tiny runs for the per-job overhead' },
    seeds: { type: 'number', default: 2, describe: 'Seeds per agent for the throughput comparison' },
    steps: { type: 'number', default: 5000, describe: 'Env steps per run for the throughput comparison' },
    out: { type: 'string', default: 'bench-results', describe: 'Directory for the JSON results' },
  })
  .strict()
  .parseSync();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis(): Promise<{ url: string; proc: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-redis-'));
  const proc = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, proc, dir };
}

/** Starts n workers and waits until each takes jobs (their start-up is not part of what is measured). */
async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  const ws = Array.from({ length: n }, () =>
    spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'experiments', 'cli.ts'), 'worker', '--queue', url], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'], detached: true }),
  );
  await Promise.all(
    ws.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let err = '';
          w.stderr!.on('data', (d: Buffer) => {
            err += d.toString();
            if (err.includes('takes jobs from')) resolve();
          });
          w.once('exit', () => reject(new Error(`a worker exited before taking jobs:\n${err}`)));
        }),
    ),
  );
  return ws;
}

function stopWorkers(ws: ChildProcess[]): void {
  for (const w of ws) {
    try {
      process.kill(-w.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-queue-'));
const redis = argv.queue ? null : await startRedis();
const url = argv.queue ?? redis!.url;

async function timed(name: string, o: Omit<CompareOptions, 'outDir'>): Promise<number> {
  const t0 = performance.now();
  const r = await runComparison({ ...o, outDir: path.join(root, name), progress: 'none', report: { bootstrapReps: 200 } });
  if (!r.report) throw new Error(`bench comparison ${name} failed: ${r.failures.map((f) => f.message).join('; ')}`);
  return (performance.now() - t0) / 1000;
}

const tiny: Omit<CompareOptions, 'outDir'> = { env: 'cartpole', agents: ['ppo'], seeds: Array.from({ length: argv.jobs }, (_, i) => i), totalSteps: 256, evalEvery: 256, evalEpisodes: 1, checkpointEvery: 256, recordEpisodes: 0, stopWhenSolved: false, backend: 'wasm' };
const real: Omit<CompareOptions, 'outDir'> = { env: 'cartpole', agents: ['dqn', 'ppo'], seeds: Array.from({ length: argv.seeds }, (_, i) => i), totalSteps: argv.steps, evalEvery: Math.max(1000, Math.floor(argv.steps / 4)), evalEpisodes: 5, stopWhenSolved: false, backend: 'wasm' };

let workers: ChildProcess[] = [];
const rows: { name: string; seconds: number; note: string }[] = [];
try {
  const localTiny = await timed('tiny-local', { ...tiny, workers: 1 });
  rows.push({ name: `${argv.jobs} tiny runs, local, 1 at a time`, seconds: localTiny, note: '' });
  workers = await startWorkers(url, 1);
  const queueTiny = await timed('tiny-queue', { ...tiny, queue: url });
  stopWorkers(workers);
  rows.push({ name: `${argv.jobs} tiny runs, queue, 1 worker`, seconds: queueTiny, note: '' });
  const overhead = (queueTiny - localTiny) / argv.jobs;

  const local2 = await timed('real-local', { ...real, workers: 2 });
  rows.push({ name: `dqn+ppo × ${argv.seeds} seeds × ${argv.steps} steps, local --workers 2`, seconds: local2, note: '' });
  workers = await startWorkers(url, 2);
  const queue2 = await timed('real-queue', { ...real, queue: url });
  rows.push({ name: `dqn+ppo × ${argv.seeds} seeds × ${argv.steps} steps, queue, 2 workers`, seconds: queue2, note: `${(queue2 / local2).toFixed(2)}× local` });

  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'case'.padEnd(w)}  seconds  note`);
  for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.note}`);
  console.log(`queue overhead per job: ${overhead.toFixed(2)} s (target < 1 s)`);
  const result = { when: new Date().toISOString(), machine: { cores: os.availableParallelism(), loadavg: os.loadavg() }, rows, overheadPerJobSeconds: overhead, queueVsLocalRatio: queue2 / local2 };
  fs.mkdirSync(argv.out, { recursive: true });
  const stamp = result.when.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(argv.out, `bench-queue-${stamp}.json`), JSON.stringify(result, null, 2));
  fs.writeFileSync(path.join(argv.out, 'bench-queue-latest.json'), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
} finally {
  stopWorkers(workers);
  redis?.proc.kill('SIGTERM');
  fs.rmSync(root, { recursive: true, force: true });
}
