/**
 * `tsgym tune --queue`: the trials' runs are jobs on a real redis-server, trained by a real worker; the study
 * (pruning included) ends exactly as the same study run locally.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStudy } from '../experiments/tune/study.js';
import { runCli, startCli } from './helpers/cli.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { killWorkers, startWorker, until } from './helpers/queue.js';

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
  }, 240_000);

  it('a scored trial\'s jobs are removed; queue status shows jobs per state, clean removes completed ones, cancel removes a stopped study\'s queued jobs', async () => {
    const queued = path.join(root, 'queued');
    expect(fs.existsSync(path.join(queued, 'best.json')), 'needs the queue study first').toBe(true);
    const status = async (dir: string) => {
      const r = await runCli(['queue', 'status', '--queue', redis.url, '--out', dir]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    // A scored trial's completed jobs are removed; only a pruned trial's jobs that were already running can remain.
    const pruned = readStudy(queued).trials.filter((t) => t.state === 'pruned').length;
    const after = await status(queued);
    expect(Number(/(\d+) completed/.exec(after)?.[1]), after).toBeLessThanOrEqual(2 * pruned);
    expect(after).toMatch(/0 active, 0 waiting, 0 prioritized, 0 delayed, 0 failed/);
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
  }, 120_000);
});
