/**
 * The scalars dashboard (scalars.html) in headless Chromium over real training runs (PPO on two seeds and
 * DQN, a few thousand steps each): every series of metrics.jsonl listed, two runs overlaid in their
 * colours, runs grouped by config with a band, the seconds axis from timing.jsonl, the CSV download equal
 * to the files' records, and a run that is still logging followed live. Also the timing endpoint and the
 * pure helpers behind the page.
 */
import { appendFile, copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimingResponse } from '../formats/api-types.js';
import { startServer, type RunningServer } from '../render/server/server.js';
import { train } from '../experiments/harness/trainer.js';
import { groupCurve, secondsAtStep, seriesOf, toCsv } from '../render/viewer/src/scalars-data.js';
import { closeViewer, openViewer } from './helpers/viewer-page.js';
import { decodePng, findColor, parseHex } from './helpers/png.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(REPO, 'test-artifacts');
/** The checked-in example comparison: its pages are the README's screenshots (UPDATE_SCREENSHOTS=1 writes docs/). */
const EXAMPLE = 'cartpole-dqn-ppo-a2c';
// The first three colours of the run palette (render/viewer/src/compare-charts.ts), in the listed order.
const COLORS = ['#1f77b4', '#e8590c', '#2f9e44'];
const RUNS = ['a-ppo-seed0', 'b-ppo-seed1', 'c-dqn-seed0'];

let root: string;
let runsDir: string;
let server: RunningServer;
let examplesServer: RunningServer;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

type Line = { label: string; color: string; points: number; firstX: number | null; lastX: number | null; last: number | null; band: boolean };
type Snap = {
  runs: string[];
  selected: string[];
  series: string[];
  lines: Record<string, Line[]>;
  xAxis: string;
  smoothing: number;
  status: string;
  table: { columns: string[]; order: string[]; axes: string[] };
  live: { following: string[]; updates: number };
};
const snap = () => page.evaluate(() => window.__tsgymScalars!.snapshot()) as Promise<Snap>;

interface Rec {
  kind: string;
  step: number;
  [k: string]: unknown;
}
const records = async (run: string): Promise<Rec[]> =>
  (await readFile(join(runsDir, run, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);

/** The series the file holds, computed here without the page's code: `<kind>/<numeric field>`. */
const tagsOf = (recs: Rec[]) => new Set(recs.flatMap((r) => Object.entries(r).filter(([k, v]) => !['kind', 'step', 'updates'].includes(k) && typeof v === 'number').map(([k]) => `${r.kind}/${k}`)));

async function setChecked(run: string, on: boolean): Promise<void> {
  const box = page.locator(`#run-list input[data-run="${run}"]`);
  if ((await box.isChecked()) !== on) await box.click();
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  root = await mkdtemp(join(tmpdir(), 'tsgym-viewer-scalars-'));
  runsDir = join(root, 'runs');
  const base = { env: 'cartpole', numEnvs: 4, evalEpisodes: 2, recordEpisodes: 0, stopWhenSolved: false, envKwargs: {}, hyperparams: {}, backend: 'wasm' as const, outDir: runsDir, progress: 'none' as const, verbose: false };
  await train({ ...base, agent: 'ppo', seed: 0, totalSteps: 2048, evalEvery: 512, checkpointEvery: 2048, logEvery: 256, runName: RUNS[0] });
  await train({ ...base, agent: 'ppo', seed: 1, totalSteps: 2048, evalEvery: 512, checkpointEvery: 2048, logEvery: 256, runName: RUNS[1] });
  await train({ ...base, agent: 'dqn', seed: 0, totalSteps: 2000, evalEvery: 500, checkpointEvery: 2000, logEvery: 250, runName: RUNS[2] });
  let staticDir: string;
  ({ staticDir, server, context, page } = await openViewer({ root, runsDir: runsDir, width: 1400, height: 1000, acceptDownloads: true, pageErrors }));
  examplesServer = await startServer({ runsDir: join(REPO, 'examples'), port: 0, host: '127.0.0.1', staticDir });
}, 240_000);

afterAll(async () => {
  await examplesServer?.close();
  await closeViewer({ context, server }, root);
});

describe('scalars helpers', () => {
  it('seriesOf: every numeric field of every record kind, in file order; arrays and counts left out', () => {
    const s = seriesOf([
      { kind: 'episode', step: 8, return: 12, length: 12, terminated: true },
      { kind: 'update', step: 8, updates: 2, loss: 0.5, lr: 1e-3 },
      { kind: 'eval', step: 16, mean: 20, std: 1, returns: [19, 21] },
      { kind: 'episode', step: 8, return: 14, length: 14, terminated: true },
    ]);
    expect([...s.keys()].sort()).toEqual(['episode/length', 'episode/return', 'eval/mean', 'eval/std', 'update/loss', 'update/lr']);
    expect(s.get('episode/return')).toEqual({ steps: [8, 8], values: [12, 14] });
  });

  it('secondsAtStep: linear between timing records, from 0 at step 0, at the average rate past the last', () => {
    const at = secondsAtStep([
      { step: 100, wall: 2 },
      { step: 200, wall: 6 },
    ])!;
    expect(at(50)).toBe(1);
    expect(at(150)).toBe(4);
    expect(at(200)).toBe(6);
    expect(at(300)).toBe(9);
    expect(secondsAtStep([])).toBeNull();
  });

  it('groupCurve: mean and lowest-to-highest band, only where every run has data', () => {
    const g = groupCurve([
      { xs: [0, 10, 20], ys: [1, 2, 3] },
      { xs: [0, 5, 10], ys: [3, 4, 6] },
    ]);
    expect(g).toEqual({ xs: [0, 5, 10], mean: [2, 2.5, 4], low: [1, 1, 2], high: [3, 4, 6] });
  });

  it('toCsv quotes what needs quoting', () => {
    expect(toCsv([{ run: 'a,"b"', series: 'update/loss', step: 3, seconds: null, value: 0.5 }])).toBe('run,series,step,seconds,value\n"a,""b""",update/loss,3,,0.5\n');
  });
});

describe('server: timing', () => {
  it('serves timing.jsonl as {step, wall} records; bad paths and unknown runs are refused', async () => {
    const t = (await (await fetch(`${server.url}api/runs/${RUNS[0]}/timing`)).json()) as TimingResponse;
    const file = (await readFile(join(runsDir, RUNS[0], 'timing.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: number; wall: number });
    expect(t.records).toEqual(file);
    expect(t.records.length).toBeGreaterThanOrEqual(4);
    expect(t.skippedLines).toEqual([]);
    expect((await fetch(`${server.url}api/runs/..%2F..%2Fetc/timing`)).status).toBe(400);
    expect((await fetch(`${server.url}api/runs/nope/timing`)).status).toBe(404);
  });
});

describe('scalars page in headless Chromium', () => {
  it("lists every series of a real run's metrics.jsonl, one chart each, with a coloured run checklist", async () => {
    await page.goto(`${server.url}scalars.html`);
    await page.waitForFunction(() => window.__tsgymScalars?.ready === true, null, { timeout: 20_000 });
    expect(await page.evaluate(() => window.__tsgymScalars!.error)).toBeNull();
    const s = await snap();
    expect(s.runs).toEqual(RUNS);
    expect(s.selected).toEqual(RUNS);
    const expected = new Set([...tagsOf(await records(RUNS[0])), ...tagsOf(await records(RUNS[1])), ...tagsOf(await records(RUNS[2]))]);
    expect(new Set(s.series)).toEqual(expected);
    // What PPO and DQN log besides the returns.
    for (const tag of ['eval/mean', 'episode/return', 'update/loss', 'update/entropy', 'update/approxKl', 'update/clipFraction', 'update/explainedVariance', 'update/gradNorm', 'update/lr', 'update/epsilon', 'update/meanQ']) expect(s.series).toContain(tag);
    expect(s.series.slice(0, 2)).toEqual(['eval/mean', 'episode/return']);
    expect(await page.locator('.scalar-card').count()).toBe(expected.size);
    const swatches = await page.$$eval('#run-list .swatch', (es) => es.map((e) => getComputedStyle(e).backgroundColor));
    expect(swatches).toEqual(COLORS.map((c) => `rgb(${parseInt(c.slice(1, 3), 16)}, ${parseInt(c.slice(3, 5), 16)}, ${parseInt(c.slice(5, 7), 16)})`));
    // A series only DQN logs has one line; the losses of all three runs three.
    expect(s.lines['update/epsilon'].map((l) => l.label)).toEqual([RUNS[2]]);
    expect(s.lines['update/loss']).toHaveLength(3);
  });

  it('overlays two runs in their colours; the text filter and the series filter narrow what is drawn', async () => {
    await setChecked(RUNS[1], false);
    let s = await snap();
    expect(s.selected).toEqual([RUNS[0], RUNS[2]]);
    const ret = s.lines['episode/return'];
    expect(ret.map((l) => [l.label, l.color])).toEqual([
      [RUNS[0], COLORS[0]],
      [RUNS[2], COLORS[2]],
    ]);
    for (const [i, run] of [RUNS[0], RUNS[2]].entries()) {
      const steps = new Set((await records(run)).filter((r) => r.kind === 'episode').map((r) => r.step));
      expect(ret[i].points).toBe(steps.size);
    }
    const img = decodePng(await page.locator('.scalar-card[data-series="episode/return"] canvas').first().screenshot());
    expect(findColor(img, parseHex(COLORS[0])).count, 'PPO line').toBeGreaterThan(50);
    expect(findColor(img, parseHex(COLORS[2])).count, 'DQN line').toBeGreaterThan(50);
    expect(findColor(img, parseHex(COLORS[1])).count, 'unchecked run').toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-scalars.png'), fullPage: false });

    await page.fill('#series-filter', 'loss|entropy');
    s = await snap();
    expect(s.series.every((t) => /loss|entropy/i.test(t))).toBe(true);
    expect(s.series).toContain('update/valueLoss');
    await page.fill('#run-filter', 'dqn');
    s = await snap();
    expect(s.selected).toEqual([RUNS[2]]);
    expect(await page.locator('#run-list li').count()).toBe(1);
    await page.fill('#run-filter', '');
    await page.fill('#series-filter', '');
    expect((await snap()).selected).toEqual([RUNS[0], RUNS[2]]);
  });

  it("downloads a CSV whose rows are the files' records of the series and runs shown", async () => {
    await page.fill('#series-filter', 'update/loss|episode/return|eval/mean');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    expect(download.suggestedFilename()).toBe('tsgym-scalars.csv');
    const file = join(root, 'scalars.csv');
    await download.saveAs(file);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(await page.evaluate(() => window.__tsgymScalars!.csv()));
    const [header, ...rows] = text.trim().split('\n').map((l) => l.split(','));
    expect(header).toEqual(['run', 'series', 'step', 'seconds', 'value']);
    for (const run of [RUNS[0], RUNS[2]]) {
      const recs = await records(run);
      for (const [kind, field] of [['update', 'loss'], ['episode', 'return'], ['eval', 'mean']]) {
        const want = recs.filter((r) => r.kind === kind && typeof r[field] === 'number').map((r) => [r.step, r[field]]);
        const got = rows.filter((r) => r[0] === run && r[1] === `${kind}/${field}`).map((r) => [Number(r[2]), Number(r[4])]);
        expect(got, `${run} ${kind}/${field}`).toEqual(want);
        expect(want.length).toBeGreaterThan(0);
      }
    }
    expect(rows.some((r) => r[0] === RUNS[1])).toBe(false);
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    const shown = JSON.parse(await readFile(await json.path(), 'utf8')) as { series: Record<string, { runs: string[] }[]> };
    expect(Object.keys(shown.series).sort()).toEqual(['episode/return', 'eval/mean', 'update/loss']);
    await page.fill('#series-filter', '');
  });

  it('groups runs by config with a band, and puts seconds of training (timing.jsonl) on the x axis', async () => {
    await setChecked(RUNS[1], true);
    await page.check('#group-by-config');
    let s = await snap();
    const evals = s.lines['eval/mean'];
    expect(evals.map((l) => [l.label, l.band])).toEqual([
      ['ppo · CartPole-v1 (2 runs)', true],
      ['dqn · CartPole-v1 (1 run)', true],
    ]);
    await page.uncheck('#group-by-config');
    await page.selectOption('#x-axis', 'relative');
    s = await snap();
    const timing = (await readFile(join(runsDir, RUNS[2], 'timing.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: number; wall: number });
    const dqnEval = s.lines['eval/mean'].find((l) => l.label === RUNS[2])!;
    expect(dqnEval.lastX).toBeCloseTo(timing.at(-1)!.wall, 9);
    expect(dqnEval.firstX).toBeCloseTo(timing[0].wall, 9);
    await page.selectOption('#x-axis', 'step');
  });

  it('a runs table with the configuration values that differ, sortable, and the runs as parallel coordinates', async () => {
    await page.goto('about:blank');
    await page.goto(`${server.url}scalars.html`);
    await page.waitForFunction(() => window.__tsgymScalars?.ready === true, null, { timeout: 20_000 });
    let s = await snap();
    // PPO and DQN differ in the agent and in hyperparameters (lr among them); the seed is not a configuration.
    expect(s.table.columns[0]).toBe('run');
    expect(s.table.columns).toEqual(expect.arrayContaining(['agent', 'lr', 'status', 'steps', 'final eval', 'best eval']));
    expect(s.table.columns).not.toContain('seed');
    const finals = Object.fromEntries(await Promise.all(RUNS.map(async (r) => [r, (JSON.parse(await readFile(join(runsDir, r, 'summary.json'), 'utf8')) as { finalEval: { mean: number } }).finalEval.mean] as const)));
    const byFinal = RUNS.slice().sort((a, b) => finals[b] - finals[a]);
    expect(s.table.order).toEqual(byFinal);
    await page.click('#run-table th[data-key="finalEval"]');
    expect((await snap()).table.order).toEqual(byFinal.slice().reverse());
    await page.click('#run-table th[data-key="run"]');
    s = await snap();
    expect(s.table.order).toEqual(RUNS);
    expect(s.table.axes).toEqual(expect.arrayContaining(['agent', 'lr', 'final eval']));
    const img = decodePng(await page.locator('#run-table canvas.parallel').screenshot());
    for (const c of COLORS) expect(findColor(img, parseHex(c)).count, `line of ${c}`).toBeGreaterThan(100);
  });

  it('follows a run that is still logging: new records are drawn as they arrive', async () => {
    // A copy of a run without summary.json is a run in progress.
    await cp(join(runsDir, RUNS[0]), join(runsDir, 'd-live'), { recursive: true });
    await rm(join(runsDir, 'd-live', 'summary.json'));
    await page.goto(`${server.url}scalars.html`);
    await page.waitForFunction(() => window.__tsgymScalars?.ready === true, null, { timeout: 20_000 });
    let s = await snap();
    expect(s.live.following).toEqual(['d-live']);
    const before = s.lines['update/loss'].find((l) => l.label === 'd-live')!.points;
    await page.waitForTimeout(1500); // the stream's first report
    await appendFile(join(runsDir, 'd-live', 'metrics.jsonl'), `${JSON.stringify({ kind: 'update', step: 4096, updates: 1, loss: 0.25 })}\n`);
    await page.waitForFunction((n) => ((window.__tsgymScalars!.snapshot() as Snap).lines['update/loss'].find((l) => l.label === 'd-live')?.points ?? 0) > n, before, { timeout: 15_000 });
    s = await snap();
    expect(s.lines['update/loss'].find((l) => l.label === 'd-live')!.lastX).toBe(4096);
    expect(s.live.updates).toBeGreaterThanOrEqual(1);
    expect(pageErrors).toEqual([]);
  });

  it('shows the example comparison grouped by agent (the README screenshots)', async () => {
    const exampleRuns = (await readdir(join(REPO, 'examples', EXAMPLE, 'runs'))).sort();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${examplesServer.url}scalars.html?c=${EXAMPLE}`);
    await page.waitForFunction(() => window.__tsgymScalars?.ready === true, null, { timeout: 30_000 });
    await page.click('#select-shown');
    await page.waitForFunction((n) => (window.__tsgymScalars!.snapshot() as Snap).selected.length === n, exampleRuns.length, { timeout: 30_000 });
    await page.check('#group-by-config');
    await page.fill('#series-filter', '^(eval/mean|episode/return|update/(loss|entropy))$');
    const s = await snap();
    expect(s.runs.slice().sort()).toEqual(exampleRuns);
    expect(s.series.slice(0, 2)).toEqual(['eval/mean', 'episode/return']);
    expect(s.lines['eval/mean'].every((l) => l.band)).toBe(true);
    // The runs table of 15 runs would fill the picture: the README shows the charts.
    expect((await snap()).table.order).toHaveLength(exampleRuns.length);
    await page.evaluate(() => ((document.getElementById('run-table-card') as HTMLDetailsElement).open = false));
    const shot = join(ARTIFACTS, 'scalars-example.png');
    await page.screenshot({ path: shot });
    await page.goto(`${examplesServer.url}compare.html?c=${EXAMPLE}`);
    await page.waitForFunction(() => window.__tsgymCompare?.ready === true, null, { timeout: 30_000 });
    expect(await page.evaluate(() => window.__tsgymCompare!.error)).toBeNull();
    const compareShot = join(ARTIFACTS, 'compare-example.png');
    await page.screenshot({ path: compareShot });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await copyFile(shot, join(REPO, 'docs', 'scalars.png'));
      await copyFile(compareShot, join(REPO, 'docs', 'compare.png'));
    }
    expect(pageErrors).toEqual([]);
  });
});
