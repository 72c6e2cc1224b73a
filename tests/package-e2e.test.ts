/**
 * tsgym as a user installs it: the package build and `npm pack`, then `npm install <tarball>` into an empty
 * directory outside the repository (from npm's cache where it can: `--prefer-offline`), and from there:
 * `npx tsgym --help`; `npx tsgym train ppo CatchBall-v0 --env-module ./catch.mjs` (the guide's example env)
 * solving it on a small budget, and `npx tsgym export` of that run; `npx tsgym view` serving the viewer pages from the package, the run over its
 * API, and (in Chromium) its replay drawn by the generic scene; and the library API (`train`, `resume`, `evaluate`, `loadAgentFromRun`) from plain JS. No tsx or
 * TypeScript in the consumer: the tarball holds the built JS and pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/cli.js';
import { launchChromium } from './helpers/chromium.js';
import { startRedis } from './helpers/redis.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** A user's environment: without the npm_* variables that `npm test`/`npx vitest` in this repository export. */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

let work: string;
let consumer: string;
let tarball: string;

/** Runs a command in the consumer directory; returns stdout, stderr and the exit code. */
function inConsumer(cmd: string, args: string[], timeout = 60_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: consumer, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...USER_ENV, TSGYM_DEBUG: '' } });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * `npm run build` + `npm pack`, staged in `dir` rather than in the repository's dist/ (which other tests build
 * and import while this one runs): the same tsc and viewer builds, the same package.json and `files`.
 */
function packInto(dir: string): string {
  const stage = path.join(dir, 'stage');
  fs.mkdirSync(stage);
  for (const f of ['package.json', 'README.md']) fs.copyFileSync(path.join(ROOT, f), path.join(stage, f));
  const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.build as string;
  expect(build).toContain('tsc -p tsconfig.build.json');
  expect(build).toContain('render/server/build-viewer.ts dist/render/dist');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')], { cwd: ROOT, stdio: 'pipe' });
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'render', 'server', 'build-viewer.ts'), path.join(stage, 'dist', 'render', 'dist')], { cwd: ROOT, stdio: 'pipe' });
  const packed = JSON.parse(execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: stage, encoding: 'utf8' })) as { filename: string }[];
  return path.join(dir, packed[0].filename);
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-package-'));
  tarball = packInto(work);
  consumer = path.join(work, 'consumer');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The optional native backend (tfjs-node) downloads TensorFlow on install; the default wasm backend needs nothing.
  execFileSync(NPM, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional'], { cwd: consumer, env: USER_ENV, stdio: 'pipe', timeout: 120_000 });
  fs.copyFileSync(path.join(ROOT, 'examples', 'custom-env', 'catch.mjs'), path.join(consumer, 'catch.mjs'));
}, 240_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed tsgym, installed into an empty directory', () => {
  it('ships built JS, types and the viewer pages, not the sources or tests', () => {
    const pkg = path.join(consumer, 'node_modules', 'tsgym');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/experiments/bin.js', 'dist/render/dist/index.html', 'dist/render/dist/compare.html']) expect(fs.existsSync(path.join(pkg, f)), f).toBe(true);
    for (const f of ['index.ts', 'tests', 'experiments', 'render/viewer', 'node_modules/typescript', 'node_modules/tsx']) expect(fs.existsSync(path.join(pkg, f)), f).toBe(false);
    expect(fs.existsSync(path.join(consumer, 'node_modules', 'tsx'))).toBe(false);
    expect(fs.existsSync(path.join(consumer, 'node_modules', 'typescript'))).toBe(false);
  });

  it('npx tsgym --help lists the commands and --env-module', () => {
    const r = inConsumer(NPX, ['tsgym', '--help']);
    expect(r.code, r.stderr).toBe(0);
    for (const c of ['train', 'record', 'view', 'compare', 'hyperparams', 'sweep', 'worker']) expect(r.stdout).toMatch(new RegExp(`tsgym ${c}\\b`));
    expect(r.stdout).toContain('--env-module');
    // Commands import their heavy modules lazily: the overview starts well within a second.
    const t0 = performance.now();
    const direct = inConsumer(process.execPath, [path.join('node_modules', 'tsgym', 'dist', 'experiments', 'bin.js'), '--help']);
    expect(direct.code).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('npx tsgym train ppo CatchBall-v0 --env-module ./catch.mjs solves the example env; view serves it from the package', async () => {
    const r = inConsumer(NPX, ['tsgym', 'train', 'ppo', 'CatchBall-v0', '--env-module', './catch.mjs', '--steps', '16384', '--eval-every', '4096', '--record-episodes', '1', '--backend', 'wasm', '--progress', 'none'], 90_000);
    expect(r.code, r.stderr).toBe(0);
    // Messages from the package name its bin, not the repository's npm scripts.
    expect(r.stderr).toContain("no preset for CatchBall-v0: using ppo's defaults (npx tsgym hyperparams ppo --env CatchBall-v0)");
    const runDir = path.resolve(consumer, r.stdout.trim().split('\n').at(-1)!);
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('finished');
    expect(summary.bestEval.mean).toBeGreaterThanOrEqual(0.9); // CatchBall-v0's reward threshold

    // The trained policy exports to ONNX and to tfjs from the package (the user's env loaded again).
    for (const format of ['onnx', 'tfjs']) {
      const out = path.join(consumer, `policy-${format}`);
      const exported = inConsumer(NPX, ['tsgym', 'export', runDir, '--checkpoint', 'best', '--format', format, '--out', out, '--env-module', './catch.mjs'], 60_000);
      expect(exported.code, exported.stderr).toBe(0);
      expect(fs.existsSync(path.join(out, format === 'onnx' ? 'policy.onnx' : 'model.json')), format).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'policy.json'), 'utf8'))).toMatchObject({ format: 'tsgym-policy', model: { format: format === 'onnx' ? 'onnx' : 'tfjs-graph-model' } });
    }

    // Bad input from the package is one line and exit 2 too.
    const bad = inConsumer(NPX, ['tsgym', 'train', 'ppo', 'CatchBall-v0', '--env-module', './nope.mjs']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --env-module \.\/nope\.mjs: no such file/);

    // Its own process group: npx does not pass SIGTERM on to the server it starts, so the test stops the group.
    const view = spawn(NPX, ['tsgym', 'view', '--port', '0'], { cwd: consumer, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const viewExited = new Promise<void>((resolve) => view.once('exit', () => resolve()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`view did not start: ${out}`)), 20_000);
        view.stdout!.on('data', (d) => {
          out += d;
          const m = /tsgym viewer: (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        view.stderr!.on('data', (d) => (out += d));
      });
      const page = await (await fetch(url)).text();
      expect(page).toContain('<title>');
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page)![1];
      expect((await fetch(new URL(script, url))).status).toBe(200);
      const runs = (await (await fetch(new URL('api/runs', url))).json()) as { runs: { id: string; envId: string }[] };
      expect(runs.runs.map((x) => x.envId)).toContain('CatchBall-v0');

      // The page draws the recorded episode with the generic scene (the viewer has no 'catch' scene).
      const { context, page: browser } = await launchChromium({ width: 1000, height: 700 });
      try {
        await browser.goto(url);
        await browser.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
        const option = await browser.$$eval('#pick-a option', (os) => os.map((o) => (o as HTMLOptionElement).value).find((v) => v.includes('CatchBall-v0')));
        expect(option).toBeDefined();
        await browser.selectOption('#pick-a', option!);
        await browser.waitForFunction(() => (window.__tsgymViewer!.snapshot().panes as { probe?: { generic?: boolean } }[])[0]?.probe?.generic === true && window.__tsgymViewer!.busy === 0, null, { timeout: 20_000 });
        const probe = await browser.evaluate(() => (window.__tsgymViewer!.snapshot().panes as { probe: { kind: string; table: string } }[])[0].probe);
        expect(probe.kind).toBe('catch');
        expect(probe.table).toMatch(/ballColumn\s+\d\nballRow\s+\d\npaddle\s+\d/);
      } finally {
        await context.close();
      }
    } finally {
      process.kill(-view.pid!, 'SIGTERM');
      await viewExited;
    }
    // Nothing of the group is left running (the server used to outlive the test).
    const groupAlive = () => {
      try {
        process.kill(-view.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let waited = 0; groupAlive() && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(groupAlive()).toBe(false);
  }, 150_000);

  it('compare --env-module: locally, and on a queue trained by a worker started from another directory', async () => {
    // Everything in the report but its wall-clock section is reproducible.
    const report = (dir: string) => {
      const { wallClock: _, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
      return rest;
    };
    const args = ['tsgym', 'compare', '--env', 'CatchBall-v0', '--env-module', './catch.mjs', '--agents', 'ppo,dqn', '--seeds', '1', '--steps', '4096', '--eval-every', '2048', '--backend', 'wasm'];
    const local = inConsumer(NPX, [...args, '--out', path.join(consumer, 'cmp-local')], 150_000);
    expect(local.code, local.stderr).toBe(0);
    const redis = await startRedis();
    const elsewhere = fs.mkdtempSync(path.join(work, 'worker-'));
    const worker = spawn(process.execPath, [path.join(consumer, 'node_modules', 'tsgym', 'dist', 'experiments', 'bin.js'), 'worker', '--queue', redis.url], { cwd: elsewhere, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let workerLog = '';
    worker.stdout!.on('data', (d) => (workerLog += d));
    worker.stderr!.on('data', (d) => (workerLog += d));
    try {
      const queued = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(NPX, [...args, '--out', path.join(consumer, 'cmp-queue'), '--queue', redis.url], { cwd: consumer, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(queued.code, `${queued.stderr}\nworker:\n${workerLog}`).toBe(0);
      expect(workerLog).toMatch(/✓ ppo__seed0: finished/);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('close', r));
      await redis.stop();
    }
    // The same seeds give the same runs wherever they were trained.
    const [q, l] = [report(path.join(consumer, 'cmp-queue')), report(path.join(consumer, 'cmp-local'))];
    expect(q.agents).toEqual(['ppo', 'dqn']);
    expect(q).toEqual(l);
  }, 300_000);

  it('train, resume, evaluate and loadAgentFromRun work from plain JS', () => {
    const program = `import './catch.mjs';
import { train, resume, evaluate, loadAgentFromRun } from 'tsgym';
const budget = { totalSteps: 2048, numEnvs: 2, evalEvery: 1024, evalEpisodes: 2, recordEpisodes: 0, checkpointEvery: 1024, stopWhenSolved: false, logEvery: 512 };
const first = await train({ agent: 'dqn', env: 'CatchBall-v0', seed: 3, ...budget, envKwargs: {}, hyperparams: { learningStarts: 256 }, backend: 'wasm', outDir: 'lib-runs', progress: 'none', verbose: false });
const resumed = await resume(first.runDir, { flags: { totalSteps: 3072 }, progress: 'none', verbose: false });
const { agent, config, step } = loadAgentFromRun(first.runDir, 'latest');
const res = await evaluate(agent, { envId: config.envId, envKwargs: config.envKwargs, episodes: 3, seedBase: 100 });
agent.dispose();
console.log(JSON.stringify({ first: first.summary.status, firstSteps: first.summary.steps, resumed: resumed.summary.status, resumedSteps: resumed.summary.steps, step, returns: res.returns }));
`;
    fs.writeFileSync(path.join(consumer, 'library.mjs'), program);
    const r = inConsumer(process.execPath, ['library.mjs'], 90_000);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ first: 'finished', firstSteps: 2048, resumed: 'finished', resumedSteps: 3072, step: 3072 });
    expect(out.returns).toHaveLength(3);
    for (const x of out.returns) expect([-1, 1]).toContain(x);
  }, 120_000);
});
