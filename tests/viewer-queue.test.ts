/**
 * The queue in the viewer (`view --queue`), against a real redis-server:
 * - the API: a comparison's and a study's jobs with their states, the worker running one and its progress, a
 *   failed one's first error line, a batch-shaped job's runs; jobs of other directories and junk job data left
 *   out; done once the worker finishes; "unreachable" within the read timeout when Redis stops (the rest of the
 *   API keeps answering) and back when it returns; read-only: it works through a Redis user that may not write.
 * - the pages in Chromium: a real `compare --queue` with a real worker — one run shown running on that worker,
 *   the other queued; a run whose training process is killed shown failed with its error; the other done when
 *   the worker finishes it; Redis stopped → "queue unreachable" while the rest of the page keeps working. The
 *   study page shows a trial's jobs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueRunsResponse, QueueSummary } from '../formats/api-types.js';
import { QUEUE_NAME } from '../experiments/queue/connection.js';
import { queueVerb } from '../experiments/commands/queue.js';
import { Study, trialDirName, TUNE_FILES, type StudySettings } from '../experiments/tune/study.js';
import { startServer, type RunningServer } from '../render/server/server.js';
import { QUEUE_READ_MS, QUEUE_READ_TIMEOUT_MS } from '../render/server/queue-view.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { killWorkers, startWorker, trainPid, until } from './helpers/queue.js';
import { expectOneLine, runInProcess, startCli } from './helpers/cli.js';
import { closeViewer, openViewer, type ViewerSession } from './helpers/viewer-page.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

const SETTINGS: StudySettings = {
  agent: 'ppo',
  env: 'CartPole-v1',
  space: { lr: { type: 'float', low: 1e-5, high: 1e-1, log: true } },
  sampler: 'random',
  seed: 3,
  seedsPerTrial: 1,
  objective: 'last-quarter',
  pruner: 'none',
};

/** Redis user `viewer` (password `secret`) that may read and run scripts but not write; scripts' commands are checked against it too. */
async function addReadOnlyUser(url: string): Promise<void> {
  const admin = new Redis(url);
  await admin.call('ACL', 'SETUSER', 'viewer', 'on', '>secret', '~*', '&*', '+@read', '+@connection', '+info', '+client', '+evalsha', '+eval', '+script', '-@write');
  admin.disconnect();
}

/** The test's own clients: their reconnect errors while Redis is stopped are expected. */
const quiet = (r: Redis) => r.on('error', () => {});

/** A comparison directory as `compare` starts one (comparison.json and runs/), for the API. */
function writeComparison(dir: string, agents: string[], seeds: number[]): void {
  fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'comparison.json'), JSON.stringify({ env: 'CartPole-v1', agents, seeds, createdAt: '2026-01-01T12:00:00.000Z' }));
}

describe('the queue API of the viewer server', () => {
  let root: string;
  let runsDir: string;
  let cmpDir: string;
  let studyDir: string;
  let redis: TestRedis;
  let server: RunningServer;
  let plain: RunningServer;
  let producer: Queue;
  let worker: Worker;
  const release = new Map<string, () => void>();

  const get = async <T>(s: RunningServer, p: string): Promise<{ status: number; body: T }> => {
    const r = await fetch(new URL(p, s.url));
    return { status: r.status, body: (await r.json()) as T };
  };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-viewer-queue-'));
    runsDir = path.join(root, 'runs');
    cmpDir = path.join(runsDir, 'cmp');
    writeComparison(cmpDir, ['ppo', 'dqn'], [0, 1, 2]);
    writeComparison(path.join(runsDir, 'other'), ['ppo'], [0]);
    studyDir = path.join(runsDir, 'tune-ppo');
    fs.mkdirSync(studyDir, { recursive: true });
    const study = Study.open(studyDir, SETTINGS);
    study.complete(study.next().trial, [10]);
    study.next(); // trial 1 runs
    redis = await startRedis();
    // A user that may read and run scripts but not write: every command the viewer sends, scripts' included, is checked against it.
    await addReadOnlyUser(redis.url);
    const readOnly = new Redis(`redis://viewer:secret@127.0.0.1:${redis.port}`);
    await expect(readOnly.set('x', '1')).rejects.toThrow(/NOPERM/);
    readOnly.disconnect();

    producer = new Queue(QUEUE_NAME, { connection: quiet(new Redis(redis.url, { maxRetriesPerRequest: null })) });
    producer.on('error', () => {});
    const add = (data: unknown) => producer.add('run', data as object, { attempts: 1, removeOnComplete: false, removeOnFail: false });
    // A worker whose processing the test controls: it reports progress as `tsgym worker` does and holds the job until released.
    worker = new Worker(
      QUEUE_NAME,
      async (job: Job) => {
        const run = (job.data as { run?: string }).run ?? 'batch';
        if (run === 'ppo__seed2') throw new Error('killed by SIGKILL; run status running\nlast lines of the log');
        // A batch reports which run its step is of, and the runs that ended.
        const batch = run === 'batch' ? { run: 'dqn__seed1', ended: { dqn__seed0: { status: 'finished', steps: 2048, alreadyDone: false } } } : {};
        await job.updateProgress({ step: 512, total: 2048, startStep: 0, stepsPerSecond: 300, worker: 'node-a:101', ...batch });
        await new Promise<void>((r) => release.set(run, r));
        return { status: 'finished', steps: 2048, alreadyDone: false };
      },
      { connection: quiet(new Redis(redis.url, { maxRetriesPerRequest: null })), concurrency: 1, autorun: false },
    );
    worker.on('error', () => {});
    await add({ outDir: cmpDir, run: 'ppo__seed2', spec: {} });
    await add({ outDir: cmpDir, run: 'ppo__seed0', spec: {} });
    await add({ outDir: cmpDir, run: 'ppo__seed1', spec: {} });
    await add({ outDir: cmpDir, runs: ['dqn__seed0', { run: 'dqn__seed1' }], spec: {} });
    await add({ outDir: path.join(studyDir, TUNE_FILES.trials, trialDirName(1)), run: `${trialDirName(1)}__seed0`, spec: {} });
    await add({ outDir: path.join(runsDir, 'other'), run: 'ppo__seed0', spec: {} });
    await add('not an object');
    await add({ outDir: 7, run: ['x'] });
    void worker.run();
    await until('the failing job failed and the next one taken', async () => (await producer.getJobCounts('failed', 'active')).failed === 1 && release.has('ppo__seed0'), 30_000);

    server = await startServer({ runsDir, port: 0, queue: `redis://viewer:secret@127.0.0.1:${redis.port}` });
    plain = await startServer({ runsDir, port: 0 });
  }, 60_000);

  afterAll(async () => {
    for (const r of release.values()) r();
    await worker?.close(true).catch(() => {});
    await producer?.close().catch(() => {});
    await server?.close();
    await plain?.close();
    await redis?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("serves a comparison's and a study's jobs with their worker, progress and errors, read-only", async () => {
    const summary = await get<QueueSummary>(server, '/api/queue');
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ configured: true, url: `redis://viewer:***@127.0.0.1:${redis.port}`, reachable: true, error: null });
    expect(summary.body.counts).toMatchObject({ active: 1, waiting: 6, failed: 1, completed: 0 });

    const cmp = await get<QueueRunsResponse>(server, '/api/comparisons/cmp/queue');
    expect(cmp.status, JSON.stringify(cmp.body)).toBe(200);
    const byRun = new Map(cmp.body.runs.map((r) => [r.run, r]));
    expect([...byRun.keys()].sort()).toEqual(['dqn__seed0', 'dqn__seed1', 'ppo__seed0', 'ppo__seed1', 'ppo__seed2']);
    expect(byRun.get('ppo__seed0')).toMatchObject({ state: 'running', jobState: 'active', worker: 'node-a:101', step: 512, total: 2048, dir: '', trial: null, attempts: 1 });
    expect(byRun.get('ppo__seed0')!.takenAt).toBeGreaterThan(Date.now() - 60_000);
    expect(byRun.get('ppo__seed1')).toMatchObject({ state: 'queued', jobState: 'waiting', worker: null });
    expect(byRun.get('ppo__seed2')).toMatchObject({ state: 'failed', error: 'killed by SIGKILL; run status running' });
    expect(byRun.get('dqn__seed1')).toMatchObject({ state: 'queued', jobId: byRun.get('dqn__seed0')!.jobId });

    const study = await get<QueueRunsResponse>(server, '/api/studies/tune-ppo/queue');
    expect(study.body.runs).toEqual([expect.objectContaining({ run: `${trialDirName(1)}__seed0`, dir: path.join(TUNE_FILES.trials, trialDirName(1)), trial: 1, state: 'queued' })]);
    expect((await get<QueueRunsResponse>(server, '/api/comparisons/other/queue')).body.runs.map((r) => r.run)).toEqual(['ppo__seed0']);

    // `tsgym queue status` prints from the same read.
    const lines: string[] = [];
    await queueVerb('status', redis.url, cmpDir, (l) => lines.push(l));
    expect(lines[0]).toBe(`queue ${redis.url} of ${cmpDir}: 1 active, 2 waiting, 0 prioritized, 0 delayed, 1 failed, 0 completed`);
    expect(lines.slice(1).sort()).toEqual(['  failed   ppo__seed2: killed by SIGKILL; run status running', '  running  ppo__seed0  on node-a:101 step 512/2048', '  waiting  dqn__seed0+dqn__seed1', '  waiting  ppo__seed1']);

    // Unknown directories are the usual 404s; a viewer without --queue says how to get one.
    expect((await get(server, '/api/comparisons/nope/queue')).status).toBe(404);
    expect((await get(server, '/api/studies/cmp/queue')).status).toBe(404);
    expect(await get(plain, '/api/queue')).toEqual({ status: 200, body: { configured: false, url: null, reachable: false, error: null, lastReadAt: null, counts: null } });
    const none = await get<{ error: string }>(plain, '/api/comparisons/cmp/queue');
    expect(none.status).toBe(404);
    expect(none.body.error).toMatch(/--queue redis:\/\/HOST:PORT/);
  });

  it('streams the runs as they change: done once the worker finishes; a batch job per run', async () => {
    const ctl = new AbortController();
    const res = await fetch(new URL('/api/comparisons/cmp/queue/events', server.url), { signal: ctl.signal });
    const reader = res.body!.getReader();
    const events: QueueRunsResponse[] = [];
    let text = '';
    const pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
        let at;
        while ((at = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, at);
          text = text.slice(at + 2);
          const data = /^data: (.*)$/m.exec(block);
          if (/^event: change$/m.test(block) && data) events.push(JSON.parse(data[1]) as QueueRunsResponse);
        }
      }
    })().catch(() => {});
    const stateOf = (e: QueueRunsResponse | undefined, run: string) => e?.runs.find((r) => r.run === run)?.state;
    await until('the first event', () => events.length > 0, 10_000);
    expect(stateOf(events[0], 'ppo__seed0')).toBe('running');
    release.get('ppo__seed0')!();
    await until('ppo__seed0 done on the stream', () => stateOf(events.at(-1), 'ppo__seed0') === 'done', 10_000, () => JSON.stringify(events.at(-1)));
    expect(stateOf(events.at(-1), 'ppo__seed1')).toBe('running'); // the worker took the next one
    // A batch job running: its ended run is done, the other running with the step reported for it.
    release.get('ppo__seed1')!();
    await until('the batch running on the stream', () => stateOf(events.at(-1), 'dqn__seed1') === 'running', 10_000, () => JSON.stringify(events.at(-1)));
    const batch = events.at(-1)!.runs.filter((r) => r.run.startsWith('dqn'));
    expect(batch).toEqual([expect.objectContaining({ run: 'dqn__seed0', state: 'done', jobState: 'active', step: null }), expect.objectContaining({ run: 'dqn__seed1', state: 'running', worker: 'node-a:101', step: 512, total: 2048 })]);
    ctl.abort();
    await pump;
  });

  it('view --queue with a URL that is not redis:// is one line, exit 2', async () => {
    for (const url of ['http://127.0.0.1:6379', 'redis://127.0.0.1:6379/x']) expectOneLine(await runInProcess(['view', '--queue', url, '--runs', runsDir, '--no-build']), /^error: --queue /);
  });

  it('says "unreachable" within the read timeout when Redis stops, keeps serving files, and recovers', async () => {
    await redis.stop();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, QUEUE_READ_MS));
    const down = await get<QueueRunsResponse>(server, '/api/comparisons/cmp/queue');
    expect(Date.now() - t0).toBeLessThan(QUEUE_READ_MS + QUEUE_READ_TIMEOUT_MS + 2000);
    expect(down.body).toMatchObject({ configured: true, reachable: false, runs: [], counts: null });
    expect(down.body.error).toMatch(/cannot read the queue at redis:\/\/viewer:\*\*\*@127\.0\.0\.1:\d+/);
    expect(down.body.lastReadAt).toBeGreaterThan(t0 - 60_000);
    expect((await get(server, '/api/comparisons')).status).toBe(200);
    expect((await get(server, '/api/studies/tune-ppo')).status).toBe(200);
    await redis.restart();
    await addReadOnlyUser(redis.url); // a restart without persistence forgets the user
    await until('the queue readable again', async () => (await get<QueueSummary>(server, '/api/queue')).body.reachable, 20_000);
  }, 40_000);
});

describe('the comparison and study pages with a real coordinator and worker', () => {
  let root: string;
  let runsDir: string;
  let redis: TestRedis;
  let session: Partial<ViewerSession> = {};
  let page: Page;
  let coordinator: ReturnType<typeof startCli> | undefined;
  const pageErrors: string[] = [];
  const cells = async () => ((await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { queue: { note: string; cells: Record<string, string | null> } }).queue;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-viewer-queue-page-'));
    runsDir = path.join(root, 'runs');
    fs.mkdirSync(runsDir);
    redis = await startRedis();
    session = await openViewer({ root, runsDir, width: 1300, height: 1000, pageErrors, queue: redis.url });
    page = session.page!;
  }, 240_000);

  afterAll(async () => {
    killWorkers();
    if (coordinator?.child.exitCode === null && coordinator.child.signalCode === null) coordinator.child.kill('SIGKILL'); // left running by a failed test
    await closeViewer(session, root);
    await redis?.stop();
  });

  it('shows each run running on its worker, queued, failed with its error, done; "queue unreachable" when Redis stops', async () => {
    const cmpDir = path.join(runsDir, 'cmp');
    // One job per run (--seeds-per-process 1), so that one run's job can fail while the other's finishes. A
    // budget of several seconds of training (PPO trains ~30k CartPole steps per second here), so the page (which
    // reads the queue every 2 s) sees a run running.
    coordinator = startCli(['compare', '--env', 'cartpole', '--agents', 'ppo', '--seed-list', '0,1', '--steps', '245760', '--eval-every', '81920', '--eval-episodes', '1', '--backend', 'wasm', '--progress', 'lines', '--seeds-per-process', '1', '--queue', redis.url, '--out', cmpDir]);
    let coordErr = '';
    coordinator.child.stderr!.on('data', (d) => (coordErr += d));
    coordinator.child.stdout!.on('data', (d) => (coordErr += d));
    await until('the jobs enqueued', () => /job\(s\) enqueued/.test(coordErr), 60_000, () => coordErr);
    const worker = startWorker(redis.url);
    const workerName = `${os.hostname()}:${worker.proc.pid}`;
    await page.goto(new URL('compare.html?c=cmp', session.server!.url).toString());
    const context = () => `${JSON.stringify(pageErrors)}\nworker:\n${worker.out()}\ncoordinator:\n${coordErr}`;

    // One run on the worker (one job at a time), the other waiting for it.
    let running = '';
    await until('a run shown running on the worker, the other queued', async () => {
      const q = await cells();
      running = Object.keys(q.cells).find((r) => q.cells[r]!.startsWith(`running on ${workerName} since `)) ?? '';
      return running !== '' && Object.values(q.cells).filter((c) => c === 'queued').length === 1;
    }, 120_000, context);
    const other = running === 'ppo__seed0' ? 'ppo__seed1' : 'ppo__seed0';
    expect((await cells()).note).toMatch(new RegExp(`^queue ${redis.url}: 1 running, 1 queued, 0 failed, 0 done of this comparison$`));
    expect((await cells()).cells[running]).toMatch(/ · step [\d,]+ \/ 245,760 \(\d+%\)$/);
    fs.mkdirSync(path.join(REPO, 'test-artifacts'), { recursive: true });
    await page.locator('#runs').screenshot({ path: path.join(REPO, 'test-artifacts', 'viewer-queue-running.png') });

    // Its training process dies: the job fails with the worker's reason; the worker takes the other run and finishes it.
    await until('its train process', () => trainPid(running, root) !== null, 60_000, context);
    process.kill(trainPid(running, root)!, 'SIGKILL');
    await until('the killed run shown failed and the other done', async () => {
      const q = await cells();
      return /^failed: killed by SIGKILL/.test(q.cells[running] ?? '') && q.cells[other] === 'done';
    }, 180_000, context);
    expect((await cells()).note).toMatch(/: 0 running, 0 queued, 1 failed, 1 done of this comparison$/);
    expect((await coordinator.done).code).toBe(1);

    // The study page: a trial's job that the worker refuses (its data is no run spec) shows failed with the worker's one line.
    const studyDir = path.join(runsDir, 'tune-ppo');
    fs.mkdirSync(studyDir);
    const study = Study.open(studyDir, SETTINGS);
    study.complete(study.next().trial, [10]);
    const trial = study.next().trial;
    const producer = new Queue(QUEUE_NAME, { connection: quiet(new Redis(redis.url, { maxRetriesPerRequest: null })) });
    await producer.add('run', { outDir: path.join(studyDir, TUNE_FILES.trials, trialDirName(trial)), run: `${trialDirName(trial)}__seed0`, spec: {} }, { attempts: 1 });
    await producer.close();
    await page.goto(new URL('study.html?s=tune-ppo', session.server!.url).toString());
    await until('the trial failed on the queue', async () => {
      const s = (await page.evaluate(() => window.__tsgymStudy!.snapshot())) as { columns: string[]; rows: string[][] };
      const col = s.columns.indexOf('on the queue');
      return col >= 0 && (s.rows.find((r) => r[0] === String(trial))?.[col] ?? '').startsWith(`seed0 failed: refused job ${trialDirName(trial)}__seed0: its spec`);
    }, 60_000, context);

    // Redis stops: the pages say the queue is unreachable, and everything read from the files still shows.
    await redis.stop();
    await page.goto(new URL('compare.html?c=cmp', session.server!.url).toString());
    await page.waitForFunction(() => window.__tsgymCompare?.ready);
    await until('"queue unreachable" on the page', async () => /^queue unreachable: cannot read the queue at redis:\/\/127\.0\.0\.1:\d+ \(/.test((await cells()).note), 20_000, context);
    const snap = (await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { comparison: string; hasReport: boolean; links: number; queue: { cells: Record<string, string | null> } };
    expect(snap).toMatchObject({ comparison: 'cmp', hasReport: true });
    expect(snap.links).toBeGreaterThan(0);
    expect(Object.values(snap.queue.cells)).toEqual(['—', '—']);
    expect(await page.locator('#title').textContent()).toBe('CartPole-v1: ppo');
    fs.mkdirSync(path.join(REPO, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(REPO, 'test-artifacts', 'viewer-queue.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 400_000);
});
