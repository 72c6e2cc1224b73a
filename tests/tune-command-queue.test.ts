/**
 * `tsgym tune --queue`: the trials' runs are jobs on a real redis-server, trained by a real worker; the study
 * (pruning included) ends exactly as the same study run locally. A pruned trial's runs are cancelled on the
 * workers (experiments/queue/cancel.ts): the job a worker is running when its trial is pruned has its `train`
 * child killed within seconds, completes as cancelled (neither failed nor retried) and is removed; the worker
 * goes on with the next trial's jobs and the study ends as usual. `queue cancel --out DIR` stops a detached
 * comparison's running jobs the same way.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStudy } from '../experiments/tune/study.js';
import { parseMetrics } from '../formats/run-format.js';
import { runCli, startCli } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { killWorkers, sleep, startWorker, until } from './helpers/queue.js';

let root: string;
let redis: TestRedis;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-tune-queue-'));
  redis = await startRedis();
});
afterAll(async () => {
  killWorkers();
  await redis?.stop();
  fs.rmSync(root, { recursive: true, force: true });
  if (redis) fs.rmSync(redis.dir, { recursive: true, force: true });
});

const ARGS = ['tune', 'ppo', 'cartpole', '--trials', '3', '--seeds', '2', '--steps', '2048', '--eval-every', '512', '--space', 'lr=1e-4:3e-3:log', '--space', 'activation=tanh,relu', '--space-only', '--pruner-startup-trials', '1', '--finalists', '0', '--envs', '2', '--eval-episodes', '2', '--backend', 'wasm', '--progress', 'none', '--seeds-per-process', '1'];
const trialsOf = (dir: string) => readStudy(dir).trials.map(({ trial, state, params, scores, value, intermediate, prunedAt }) => ({ trial, state, params, scores, value, intermediate, prunedAt }));

describe('tune on the queue', () => {
  it('trains the trials as jobs on a worker and ends with the same trials and best.json as a local study', async () => {
    const worker = startWorker(redis.url);
    const queued = path.join(root, 'queued');
    const r = await runCli([...ARGS, '--queue', redis.url, '--out', queued]);
    expect(r.code, `${r.stderr}\nworker:\n${worker.out()}`).toBe(0);
    const local = path.join(root, 'local');
    const l = await runCli([...ARGS, '--workers', '2', '--out', local]);
    expect(l.code, l.stderr).toBe(0);
    const trials = trialsOf(queued);
    expect(trials.every((t) => t.state === 'complete' || t.state === 'pruned'), JSON.stringify(trials)).toBe(true);
    expect(trials).toEqual(trialsOf(local));
    const best = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8')).hyperparams;
    expect(best(queued)).toEqual(best(local));
  }, 480_000);

  it('a scored or pruned trial\'s jobs are removed; queue status shows jobs per state, clean removes completed ones, cancel removes a stopped study\'s queued jobs', async () => {
    const queued = path.join(root, 'queued');
    expect(fs.existsSync(path.join(queued, 'best.json')), 'needs the queue study first').toBe(true);
    const status = async (dir: string) => {
      const r = await runCli(['queue', 'status', '--queue', redis.url, '--out', dir]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    // A scored trial's completed jobs are removed, and a pruned trial's jobs are cancelled and removed.
    expect(readStudy(queued).trials.some((t) => t.state === 'pruned')).toBe(true);
    expect(await status(queued)).toMatch(/0 active, 0 waiting, 0 prioritized, 0 delayed, 0 failed, 0 completed/);
    // A comparison's completed jobs stay until cleaned.
    const cmp = path.join(root, 'cmp');
    const c = await runCli(['compare', '--env', 'cartpole', '--agents', 'ppo', '--seed-list', '0', '--steps', '256', '--eval-every', '128', '--eval-episodes', '1', '--backend', 'wasm', '--progress', 'none', '--queue', redis.url, '--out', cmp]);
    expect(c.code, c.stderr).toBe(0);
    expect(await status(cmp)).toMatch(/: 0 active, 0 waiting, 0 prioritized, 0 delayed, 0 failed, 1 completed/);
    const clean = await runCli(['queue', 'clean', '--queue', redis.url, '--out', cmp]);
    expect(clean.stdout, clean.stderr).toContain(`removed 1 completed job(s) of ${cmp}`);
    expect(await status(cmp)).toMatch(/: 0 active, 0 waiting, 0 prioritized, 0 delayed, 0 failed, 0 completed/);

    // No worker: a study's first jobs wait; Ctrl-C detaches its coordinator; cancel removes them.
    killWorkers();
    const stopped = path.join(root, 'stopped');
    const coord = startCli([...ARGS, '--queue', redis.url, '--out', stopped]);
    await until('the first trial\'s jobs on the queue', async () => /2 waiting/.test(await status(stopped)), 60_000);
    expect(await status(stopped)).toMatch(/waiting +trials\/trial-0000\/trial-0000__seed\d+/);
    coord.child.kill('SIGINT');
    expect((await coord.done).code).toBe(130);
    const cancel = await runCli(['queue', 'cancel', '--queue', redis.url, '--out', stopped]);
    expect(cancel.stdout, cancel.stderr).toContain(`removed 2 job(s) of ${stopped} no worker had taken`);
    expect(await status(stopped)).toMatch(/: 0 active, 0 waiting, 0 prioritized, 0 delayed, 0 failed, 0 completed/);
    // Bad input: one line.
    const noOut = await runCli(['queue', 'cancel', '--queue', redis.url]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^error: queue cancel needs --out DIR/);
  }, 240_000);
});

// Runs long enough (a few seconds) that a pruned trial's job is still training when the coordinator cancels it.
const STEPS = 32768;
const CANCEL_ARGS = ['tune', 'ppo', 'cartpole', '--trials', '4', '--seeds', '2', '--steps', String(STEPS), '--eval-every', '512', '--space', 'lr=1e-4:3e-3:log', '--space', 'activation=tanh,relu', '--space-only', '--pruner-startup-trials', '1', '--finalists', '0', '--envs', '2', '--eval-episodes', '2', '--backend', 'wasm'];

/** Pids of the live processes whose command line mentions `text` (from /proc). */
function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((a) => a.includes(text))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

describe('tune on the queue: pruning cancels running jobs', () => {
  it("a pruned trial's running job is stopped on its worker within seconds, completes as cancelled and is removed; the study finishes", async () => {
    const worker = startWorker(redis.url);
    const out = path.join(root, 'cancelled');
    const coord = startCli([...CANCEL_ARGS, '--queue', redis.url, '--out', out]);
    let finished = false;
    void coord.done.then(() => (finished = true));
    // Every trial seen pruned: how many of its `train` children were alive then, and how long until none was.
    const seen = new Map<number, { aliveAtPrune: number; goneAfterMs: number | null }>();
    while (!finished) {
      const trials = fs.existsSync(path.join(out, 'trials.jsonl')) ? readStudy(out).trials : [];
      for (const t of trials.filter((x) => x.state === 'pruned' && !seen.has(x.trial))) {
        // A train child's arguments name its run's directory (--out …/runs, or --resume …/runs/<run>).
        const name = path.join(out, 'trials', `trial-${String(t.trial).padStart(4, '0')}`, 'runs');
        const at = Date.now();
        const alive = pidsMentioning(name).length;
        let gone: number | null = null;
        while (Date.now() - at < 10_000) {
          if (!pidsMentioning(name).length) {
            gone = Date.now() - at;
            break;
          }
          await sleep(50);
        }
        seen.set(t.trial, { aliveAtPrune: alive, goneAfterMs: gone });
      }
      await sleep(100);
    }
    const r = await coord.done;
    expect(r.code, `${r.stderr}\nworker:\n${worker.out()}`).toBe(0);

    const trials = readStudy(out).trials;
    expect(trials.map((t) => t.state).every((s) => s === 'complete' || s === 'pruned'), JSON.stringify(trials)).toBe(true);
    expect(fs.existsSync(path.join(out, 'best.json'))).toBe(true);
    // At least one trial was pruned while its job ran on the worker; every pruned trial's children were gone within a few seconds.
    const prunedWhileRunning = [...seen].filter(([, s]) => s.aliveAtPrune > 0);
    expect(prunedWhileRunning.length, `${JSON.stringify([...seen])}\n${r.stderr}`).toBeGreaterThan(0);
    for (const [trial, s] of seen) expect(s.goneAfterMs, `trial ${trial}: its train children still ran 10 s after it was pruned`).not.toBeNull();
    for (const [, s] of prunedWhileRunning) expect(s.goneAfterMs!).toBeLessThan(5000);
    expect(r.stderr).toMatch(/trial \d+ pruned: queue: \d+ waiting job\(s\) removed, [1-9]\d* running one\(s\) stopped on their workers/);

    // The worker stopped the run (cancelled, not failed), then took the next trial's jobs.
    const log = worker.out();
    expect(log).toMatch(/■ job \S+: cancelled by its coordinator; its run is stopped here/);
    expect(log).toMatch(/■ trial-\d{4}__seed\d+: cancelled \(cancelled at step \d+; the run keeps its last checkpoint\)/);
    expect(log).not.toContain('✗');
    const firstPruned = Math.min(...prunedWhileRunning.map(([t]) => t));
    if (firstPruned < 3) expect(log.slice(log.indexOf('cancelled by its coordinator')), 'the worker went on with the next job').toMatch(/▶ trial-\d{4}__seed/);
    // A cancelled run stopped short of its budget; its directory is kept (a partial run). Not every pruned trial
    // shows it: a run of this size trains in a few seconds, so one still alive when the trial was seen pruned
    // may have reached its budget before the kill landed (seen on a loaded machine).
    const stoppedAt = prunedWhileRunning.map(([trial]) => {
      const runs = path.join(out, 'trials', `trial-${String(trial).padStart(4, '0')}`, 'runs');
      return fs.readdirSync(runs).map((run) => Math.max(...parseMetrics(fs.readFileSync(path.join(runs, run, 'metrics.jsonl'), 'utf8')).records.map((l) => l.step as number)));
    });
    expect(Math.min(...stoppedAt.flat()), `runs of the trials pruned while running stopped at ${JSON.stringify(stoppedAt)}`).toBeLessThan(STEPS);
    // Nothing of the study is left on the queue: no failed job, no cancelled job, no completed one.
    const status = await runCli(['queue', 'status', '--queue', redis.url, '--out', out]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/0 active, 0 waiting, 0 prioritized, 0 delayed, 0 failed, 0 completed/);
  }, 480_000);
});

describe('queue cancel stops running jobs too', () => {
  it("a detached comparison's running job is stopped on its worker, its queued one removed; nothing of it is left on the queue", async () => {
    killWorkers(); // one worker of its own: one run training, the other waiting
    const worker = startWorker(redis.url);
    const out = path.join(root, 'cancel-cmp');
    const CMP = ['compare', '--env', 'cartpole', '--agents', 'ppo', '--seed-list', '0,1', '--steps', '200000', '--eval-every', '2048', '--eval-episodes', '1', '--checkpoint-every', '1024', '--backend', 'wasm', '--progress', 'none', '--seeds-per-process', '1', '--queue', redis.url, '--out', out];
    const coord = startCli(CMP);
    const runs = path.join(out, 'runs');
    const status = async () => (await runCli(['queue', 'status', '--queue', redis.url, '--out', out])).stdout;
    await until('one run training on the worker, the other queued', async () => pidsMentioning(runs).length === 1 && fs.existsSync(runs) && fs.readdirSync(runs).some((r) => fs.existsSync(path.join(runs, r, 'checkpoints', 'latest.json'))) && /1 active, 1 waiting/.test(await status()), 120_000);
    coord.child.kill('SIGINT'); // detaches: the jobs stay on the queue
    expect((await coord.done).code).toBe(130);
    expect(pidsMentioning(runs).length, 'the job still runs after the coordinator detached').toBe(1);

    const at = Date.now();
    const cancel = await runCli(['queue', 'cancel', '--queue', redis.url, '--out', out]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout, `${await status()}\nworker:\n${worker.out()}`).toMatch(new RegExp(`removed 1 job\\(s\\) of ${out} no worker had taken; stopped 1 running on their workers \\(.*ppo__seed\\d.*each run keeps its last checkpoint\\)`));
    expect(pidsMentioning(runs).length, 'the train child is gone once cancel returns').toBe(0);
    expect(Date.now() - at).toBeLessThan(15_000);
    expect(await status()).toMatch(/0 active, 0 waiting, 0 prioritized, 0 delayed, 0 failed, 0 completed/);
    expect(worker.out()).toMatch(/■ ppo__seed\d: cancelled \(cancelled at step \d+; the run keeps its last checkpoint\)/);
    expect(worker.out()).not.toContain('✗');
    killWorkers();
  }, 240_000);
});
