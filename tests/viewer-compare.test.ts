/**
 * The comparison page and its API: a fixture comparison directory (with a report.json made by
 * experiments/report.ts) beside ordinary runs. The server lists it under /api/comparisons (not as a run),
 * serves its report and its runs with the usual path checks; in headless Chromium the page draws the curves
 * and the interval chart, and its replay links open the episodes in the viewer.
 */

import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonResponse, ComparisonsResponse, EpisodesResponse, RunsResponse } from '../formats/api-types.js';
import { readReplayFile } from '../experiments/replay-io.js';
import { startServer, type RunningServer } from '../render/server/server.js';
import { writeFixtureComparison, type FixtureComparison } from './helpers/fixture-comparison.js';
import { writeFixtureRuns, type FixtureRuns } from './helpers/fixture-runs.js';
import { decodePng, findColor, parseHex } from './helpers/png.js';
import { emaSmooth } from '../render/viewer/src/ticks.js';
import { closeViewer, openViewer } from './helpers/viewer-page.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
// The page's colours for the first two agents (render/viewer/src/compare-charts.ts).
const ALPHA = '#1f77b4';
const BETA = '#e8590c';

let root: string;
let runs: FixtureRuns;
let cmp: FixtureComparison;
let server: RunningServer;
/** Over a directory holding only a comparison (like `npm run view -- --runs examples`). */
let examplesServer: RunningServer;
/** Over a comparison directory itself (`--runs examples/<comparison>`), which also holds logs/. */
let comparisonRootServer: RunningServer;
let example: FixtureComparison;
/** A comparison still running: no report.json yet. */
let runningServer: RunningServer;
let running: FixtureComparison;
/** Comparisons whose runs stopped when solved, and one with a report of an earlier format that carried runs to their budget. */
let stoppedServer: RunningServer;
let stopped: FixtureComparison;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const getJson = async <T>(path: string) => {
  const r = await rawGet(path);
  return { status: r.status, json: JSON.parse(r.body) as T };
};

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  root = await mkdtemp(join(tmpdir(), 'tsgym-viewer-compare-'));
  const runsDir = join(root, 'runs');
  runs = await writeFixtureRuns(runsDir);
  const late = runs.byKind.get('cartpole')!;
  const early = runs.episodes.find((e) => e.run === late.run && e.checkpointStep === 0)!;
  cmp = await writeFixtureComparison(runsDir, [await readReplayFile(join(runsDir, early.run, 'episodes', early.path)), await readReplayFile(join(runsDir, late.run, 'episodes', late.path))]);
  // A comparison reached through a symlink that leaves the runs dir: never served.
  const outside = join(root, 'outside', 'compare__Evil__x');
  await mkdir(join(outside, 'runs'), { recursive: true });
  await writeFile(join(outside, 'comparison.json'), JSON.stringify({ format: 'tsgym-comparison', env: 'SECRET', agents: [], seeds: [] }));
  await symlink(outside, join(runsDir, 'compare__Evil__x'));
  let staticDir: string;
  ({ staticDir, server, context, page } = await openViewer({ root, runsDir: runsDir, width: 1200, height: 1000, pageErrors }));
  const examplesDir = join(root, 'examples');
  example = await writeFixtureComparison(examplesDir, [await readReplayFile(join(runsDir, early.run, 'episodes', early.path)), await readReplayFile(join(runsDir, late.run, 'episodes', late.path))], 'cartpole-alpha-beta');
  await mkdir(join(example.dir, 'logs'), { recursive: true });
  await writeFile(join(example.dir, 'logs', 'alpha__seed0.log'), 'training log\n');
  examplesServer = await startServer({ runsDir: examplesDir, port: 0, host: '127.0.0.1', staticDir });
  comparisonRootServer = await startServer({ runsDir: example.dir, port: 0, host: '127.0.0.1', staticDir });
  running = await writeFixtureComparison(join(root, 'running'), [await readReplayFile(join(runsDir, early.run, 'episodes', early.path)), await readReplayFile(join(runsDir, late.run, 'episodes', late.path))], 'compare__running');
  await rm(join(running.dir, 'report.json'));
  await rm(join(running.dir, 'report.md'), { force: true });
  runningServer = await startServer({ runsDir: join(root, 'running'), port: 0, host: '127.0.0.1', staticDir });
  stopped = await writeFixtureComparison(join(root, 'stopped'), [await readReplayFile(join(runsDir, early.run, 'episodes', early.path)), await readReplayFile(join(runsDir, late.run, 'episodes', late.path))], 'compare__stopped', { stopWhenSolved: true });
  const old = await writeFixtureComparison(join(root, 'stopped'), [await readReplayFile(join(runsDir, early.run, 'episodes', early.path)), await readReplayFile(join(runsDir, late.run, 'episodes', late.path))], 'compare__old-format', { stopWhenSolved: true });
  // As an earlier tsgym wrote it: no headline, caveats or score scale, and the early runs carried flat to the budget.
  const carried = structuredClone(old.report) as unknown as Record<string, unknown> & { runs: { evalSteps: number[]; evalMeans: number[]; totalSteps: number }[]; method: Record<string, unknown> };
  for (const key of ['headline', 'caveats', 'scoreScale']) delete carried[key];
  carried.version = 1;
  carried.method.heldToBudget = 0;
  for (const r of carried.runs) {
    if (r.evalSteps.at(-1)! < r.totalSteps) {
      r.evalSteps.push(r.totalSteps);
      r.evalMeans.push(r.evalMeans.at(-1)!);
      (carried.method.heldToBudget as number)++;
    }
  }
  await writeFile(join(old.dir, 'report.json'), JSON.stringify(carried));
  stoppedServer = await startServer({ runsDir: join(root, 'stopped'), port: 0, host: '127.0.0.1', staticDir });
}, 90_000);

afterAll(async () => {
  await examplesServer?.close();
  await comparisonRootServer?.close();
  await runningServer?.close();
  await stoppedServer?.close();
  await closeViewer({ context, server }, root);
});

describe('server: comparisons', () => {
  it('lists comparison directories apart from runs, with their request and report', async () => {
    const list = await getJson<ComparisonsResponse>('/api/comparisons');
    expect(list.status).toBe(200);
    expect(list.json.comparisons.map((c) => c.id)).toEqual([cmp.id]);
    expect(list.json.comparisons[0]).toMatchObject({ env: 'CartPole-v1', agents: ['alpha', 'beta'], seeds: [0, 1, 2], hasReport: true, problems: [] });
    const top = await getJson<RunsResponse>('/api/runs');
    expect(top.json.runs.map((r) => r.id)).not.toContain(cmp.id);
    expect(top.json.runs.map((r) => r.id).sort()).toEqual([...runs.runs].sort());

    const one = await getJson<ComparisonResponse>(`/api/comparisons/${cmp.id}`);
    expect(one.status).toBe(200);
    expect(one.json.report!.agentReports.map((a) => a.iqm.point)).toEqual(cmp.report.agentReports.map((a) => a.iqm.point));
    expect(one.json.request!.env).toBe('CartPole-v1');
  });

  it("serves a comparison's runs, metrics and replays under /api/comparisons/<cmp>/", async () => {
    const base = `/api/comparisons/${cmp.id}`;
    const list = await getJson<RunsResponse>(`${base}/runs`);
    expect(list.json.runs.map((r) => r.id).sort()).toEqual([...cmp.runs].sort());
    expect(list.json.runs.find((r) => r.id === 'alpha__seed1')).toMatchObject({ agent: 'alpha', seed: 1, envId: 'CartPole-v1', episodeCount: 2 });
    const eps = await getJson<EpisodesResponse>(`${base}/episodes`);
    expect(eps.json.groups).toHaveLength(cmp.runs.length * 2);
    const replay = await getJson<{ envId: string }>(`${base}/runs/beta__seed2/episodes/${cmp.episodes[1]}`);
    expect(replay.status).toBe(200);
    expect(replay.json.envId).toBe('CartPole-v1');
    const metrics = await getJson<{ records: unknown[] }>(`${base}/runs/alpha__seed0/metrics`);
    expect(metrics.json.records).toHaveLength(3);
  });

  it('keeps the path checks: traversal, runs that are not comparisons and links out are refused', async () => {
    for (const bad of [
      `/api/comparisons/..%2F..%2Fetc`,
      `/api/comparisons/%2e%2e/runs`,
      `/api/comparisons/${cmp.id}/runs/..%2F..%2Fcomparison.json`,
      `/api/comparisons/${cmp.id}/runs/alpha__seed0/episodes/..%2F..%2F..%2Freport.json`,
      `/api/comparisons/${runs.runs[0]}`,
      `/api/comparisons/${runs.runs[0]}/runs`,
      `/api/comparisons/compare__Evil__x`,
      `/api/comparisons/compare__Evil__x/runs`,
      `/api/comparisons/nope`,
    ]) {
      const r = await rawGet(bad);
      expect(r.status, `${bad}: ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.status, bad).toBeLessThan(500);
      expect(r.body).not.toContain('SECRET');
    }
    expect((await rawGet(`/api/comparisons/${runs.runs[0]}`)).status).toBe(404);
    expect((await rawGet('/api/comparisons/compare__Evil__x')).status).toBe(403);
  });
});

describe('server: nested comparison directories', () => {
  const get = async <T>(srv: RunningServer, path: string) => {
    const r = await fetch(`${srv.url}${path.slice(1)}`);
    return { status: r.status, json: (await r.json()) as T };
  };

  it('over a comparison directory itself: its runs/ are the runs (logs/ is not a run), and it lists itself as the comparison', async () => {
    const list = await get<RunsResponse>(comparisonRootServer, '/api/runs');
    expect(list.status).toBe(200);
    expect(list.json.runs.map((r) => r.id).sort()).toEqual([...example.runs].sort());
    const cmps = await get<ComparisonsResponse>(comparisonRootServer, '/api/comparisons');
    expect(cmps.json.comparisons.map((c) => c.id)).toEqual([example.id]);
    const one = await get<ComparisonResponse>(comparisonRootServer, `/api/comparisons/${example.id}`);
    expect(one.status).toBe(200);
    expect(one.json.report!.agents).toEqual(['alpha', 'beta']);
    const eps = await get<EpisodesResponse>(comparisonRootServer, '/api/episodes');
    expect(eps.json.groups).toHaveLength(example.runs.length * 2);
    const viaScope = await get<RunsResponse>(comparisonRootServer, `/api/comparisons/${example.id}/runs`);
    expect(viaScope.json.runs.map((r) => r.id).sort()).toEqual([...example.runs].sort());
    for (const bad of ['/api/runs/logs', '/api/runs/..%2Fcomparison.json', `/api/comparisons/${example.id}/runs/..%2F..%2Freport.json`]) {
      const r = await fetch(`${comparisonRootServer.url}${bad.slice(1)}`);
      expect(r.status, bad).toBeGreaterThanOrEqual(400);
      expect(r.status, bad).toBeLessThan(500);
    }
  });

  it('over a directory of comparisons: no runs of its own, the comparison listed', async () => {
    expect((await get<RunsResponse>(examplesServer, '/api/runs')).json.runs).toEqual([]);
    expect((await get<ComparisonsResponse>(examplesServer, '/api/comparisons')).json.comparisons.map((c) => c.id)).toEqual([example.id]);
  });
});

describe('comparison page in headless Chromium', () => {
  it('draws the learning curves with bands and the final-score intervals for each agent', async () => {
    await page.goto(`${server.url}compare.html?c=${encodeURIComponent(cmp.id)}`);
    await page.waitForFunction(() => window.__tsgymCompare?.ready === true, null, { timeout: 20_000 });
    const snap = (await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { comparison: string; hasReport: boolean; links: number };
    expect(snap).toMatchObject({ comparison: cmp.id, hasReport: true, links: cmp.runs.length * 2 });
    expect(await page.evaluate(() => window.__tsgymCompare!.error)).toBeNull();

    const curves = decodePng(await page.locator('#curves canvas').first().screenshot());
    expect(findColor(curves, parseHex(ALPHA)).count, 'alpha curve pixels').toBeGreaterThan(100);
    expect(findColor(curves, parseHex(BETA)).count, 'beta curve pixels').toBeGreaterThan(100);
    // The alpha curve (final IQM 450) lies above the beta curve (final IQM 75): smaller y on screen.
    expect(findColor(curves, parseHex(ALPHA)).y).toBeLessThan(findColor(curves, parseHex(BETA)).y);

    const bars = decodePng(await page.locator('#intervals canvas').screenshot());
    const alphaBars = findColor(bars, parseHex(ALPHA));
    const betaBars = findColor(bars, parseHex(BETA));
    expect(alphaBars.count).toBeGreaterThan(200);
    expect(betaBars.count).toBeGreaterThan(200);
    // Higher returns are further right; alpha's row is above beta's.
    expect(alphaBars.x).toBeGreaterThan(betaBars.x);
    expect(alphaBars.y).toBeLessThan(betaBars.y);

    // Round ticks that stay inside the data and the threshold (475; the data reach 500): no 524.
    const axes = (await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { curvesTicks: number[]; intervalTicks: number[] };
    const highest = Math.max(...cmp.report.agentReports.flatMap((a) => [a.iqm.high, a.mean.high, a.median.high]), ...Object.values(cmp.report.curves).flatMap((c) => c.high), 475);
    expect(axes.curvesTicks.length).toBeGreaterThanOrEqual(3);
    for (const ticks of [axes.curvesTicks, axes.intervalTicks]) {
      const step = ticks[1] - ticks[0];
      expect(Math.max(...ticks)).toBeLessThanOrEqual(highest);
      for (const t of ticks) expect(Math.abs(t / step - Math.round(t / step))).toBeLessThan(1e-9);
    }
    expect(axes.curvesTicks).toEqual([0, 100, 200, 300, 400, 500]);

    const rows = await page.$$eval('#results tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^alpha3450\.0 \[/);
    // The runs by the configuration values that differ (here only the agent), best final eval first.
    const cfg = ((await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { configTable: { columns: string[]; order: string[]; axes: string[] } | null }).configTable!;
    expect(cfg.columns).toEqual(['run', 'agent', 'status', 'steps', 'final eval', 'best eval']);
    expect(cfg.order).toEqual(['alpha__seed2', 'alpha__seed1', 'alpha__seed0', 'beta__seed2', 'beta__seed1', 'beta__seed0']);
    expect(cfg.axes).toEqual(['agent', 'final eval']);
    expect(await page.$$eval('#improvement tr', (trs) => trs.length)).toBe(3);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-compare.png'), fullPage: true });
  });

  it('draws every run on one plot with a smoothing slider (EMA), one colour per agent', async () => {
    type AllRuns = { smoothing: number; metric: string; runs: { run: string; points: number; lastRaw: number; lastSmoothed: number }[] };
    const all = async () => ((await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { allRuns: AllRuns }).allRuns;
    let a = await all();
    expect(a.metric).toBe('eval'); // the fixture runs logged evaluations only
    expect(a.runs.map((r) => r.run).sort()).toEqual([...cmp.runs].sort());
    const evalsOf = async (run: string) =>
      (await readFile(join(cmp.dir, 'runs', run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { mean: number }).map((r) => r.mean);
    for (const r of a.runs) {
      const ys = await evalsOf(r.run);
      expect(r.points).toBe(ys.length);
      expect(r.lastSmoothed).toBeCloseTo(emaSmooth(ys, 0.6).at(-1)!, 9);
    }
    // Legends show the latest values until hovered, not "--".
    const legend = await page.$$eval('#curves .u-value, #all-runs .u-value', (es) => es.map((e) => e.textContent ?? ''));
    expect(legend.length).toBe(1 + 2 + 1 + cmp.runs.length);
    expect(legend.filter((v) => v.includes('--'))).toEqual([]);
    expect(legend).toContain('3,000');
    const chart = () => page.locator('#all-runs canvas').first().screenshot().then((b) => decodePng(b));
    const img = await chart();
    expect(findColor(img, parseHex(ALPHA)).count).toBeGreaterThan(100);
    expect(findColor(img, parseHex(BETA)).count).toBeGreaterThan(100);
    // Slide to 0: smoothed = raw; to 0.95: the last point is pulled toward the earlier ones.
    const slide = (v: number) =>
      page.evaluate((x) => {
        const s = document.getElementById('smoothing') as HTMLInputElement;
        s.value = String(x);
        s.dispatchEvent(new Event('input', { bubbles: true }));
      }, v);
    await slide(0);
    a = await all();
    expect(a.smoothing).toBe(0);
    for (const r of a.runs) expect(r.lastSmoothed).toBe(r.lastRaw);
    await slide(0.95);
    a = await all();
    for (const r of a.runs) expect(r.lastSmoothed).toBeCloseTo(emaSmooth(await evalsOf(r.run), 0.95).at(-1)!, 9);
    expect(a.runs.find((r) => r.run === 'alpha__seed2')!.lastSmoothed).toBeLessThan(a.runs.find((r) => r.run === 'alpha__seed2')!.lastRaw);
    expect(await page.textContent('#smoothing-value')).toBe('0.95');
  });

  it("links every run's first and last recorded evaluation, and a link opens the replay in the viewer", async () => {
    const hrefs = await page.$$eval('a.replay-link', (as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href') ?? ''));
    expect(hrefs).toHaveLength(cmp.runs.length * 2);
    for (const run of cmp.runs) {
      for (const ep of cmp.episodes) expect(hrefs).toContain(`./?c=${encodeURIComponent(cmp.id)}#${new URLSearchParams({ a: `${run}/${ep}` })}`);
    }
    await page.click(`a.replay-link[href*="${encodeURIComponent(`beta__seed1/${cmp.episodes[1]}`)}"]`);
    await page.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
    const pane = ((await page.evaluate(() => window.__tsgymViewer!.snapshot())) as { panes: { selection: { run: string; path: string } | null; kind: string | null; error: string | null }[] }).panes[0];
    expect(pane).toMatchObject({ selection: { run: 'beta__seed1', path: cmp.episodes[1] }, kind: 'cartpole', error: null });
    expect(await page.textContent('#compare-link')).toBe(`← comparison ${cmp.id}`);
    expect(await page.getAttribute('#compare-link', 'href')).toBe(`compare.html?c=${encodeURIComponent(cmp.id)}`);
  });

  it('the viewer over a directory of comparisons opens the newest one; over a comparison directory it lists its runs', async () => {
    await page.goto(examplesServer.url);
    await page.waitForFunction(() => location.search.startsWith('?c=') && window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
    expect(new URL(page.url()).searchParams.get('c')).toBe(example.id);
    let options = await page.$$eval('#pick-a option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toHaveLength(example.runs.length * 2);
    expect(await page.isVisible('#scope')).toBe(true);
    expect(((await page.evaluate(() => window.__tsgymViewer!.snapshot())) as { panes: { kind: string }[] }).panes[0].kind).toBe('cartpole');

    await page.goto(comparisonRootServer.url);
    await page.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
    options = await page.$$eval('#pick-a option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options.map((o) => o.split('/')[0]).sort()).toEqual([...example.runs, ...example.runs].sort());
    expect(options.some((o) => o.startsWith('logs/') || o.startsWith('runs/'))).toBe(false);
    expect(await page.textContent('#compare-link')).toBe('comparisons (1)');
    await page.click('#compare-link');
    await page.waitForFunction(() => window.__tsgymCompare?.ready === true, null, { timeout: 20_000 });
    expect((await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { comparison: string; links: number }).toMatchObject({ comparison: example.id, links: example.runs.length * 2 });
  });

  it('follows a comparison that is still running: new evaluations redraw the runs chart, and the report appears when written', async () => {
    type Snap = { hasReport: boolean; live: { following: string | null; updates: number }; allRuns: { runs: { run: string; points: number }[] } };
    const snap = () => page.evaluate(() => window.__tsgymCompare!.snapshot()) as Promise<Snap>;
    await page.goto(`${runningServer.url}compare.html?c=${running.id}`);
    await page.waitForFunction(() => window.__tsgymCompare?.ready === true, null, { timeout: 20_000 });
    let s = await snap();
    expect(s.hasReport).toBe(false);
    expect(s.live.following).toBe(running.id);
    expect(s.allRuns.runs.find((r) => r.run === 'alpha__seed0')!.points).toBe(3);
    // Once the page's event stream is open, the trainer appends a fourth evaluation to one run.
    await page.waitForFunction(() => (window.__tsgymCompare!.snapshot() as { live: { connected: boolean } }).live.connected, null, { timeout: 15_000 });
    const metricsPath = join(running.dir, 'runs', 'alpha__seed0', 'metrics.jsonl');
    await writeFile(metricsPath, `${await readFile(metricsPath, 'utf8')}${JSON.stringify({ kind: 'eval', step: 4000, mean: 480, std: 1, returns: [480], lengths: [480] })}\n`);
    await page.waitForFunction(() => (window.__tsgymCompare!.snapshot() as { allRuns: { runs: { run: string; points: number }[] } }).allRuns.runs.find((r) => r.run === 'alpha__seed0')?.points === 4, null, { timeout: 15_000 });
    // …and the stream reports it (the redraw may come first from the refresh the stream's opening makes).
    await page.waitForFunction(() => (window.__tsgymCompare!.snapshot() as { live: { updates: number } }).live.updates >= 1, null, { timeout: 15_000 });
    // The report is written when every run is done: the page shows it and stops following.
    await writeFile(join(running.dir, 'report.json'), JSON.stringify(running.report));
    await page.waitForFunction(
      () => {
        const x = window.__tsgymCompare!.snapshot() as { hasReport: boolean; live: { following: string | null } };
        return x.hasReport && x.live.following === null;
      },
      null,
      { timeout: 15_000 },
    );
    s = await snap();
    expect(s.live.following).toBeNull();
    expect(await page.$$eval('#results tr', (trs) => trs.length)).toBe(3);
  });

  it('runs that stopped when solved: the page leads with the caveat and steps to threshold, marks ties and "no evidence", and scores from the floor', async () => {
    type Snap = { headline: string; caveats: string[]; noEvidence: number; ties: string[]; curvesRange: [number, number]; curvesTicks: number[]; intervalTicks: number[] };
    await page.goto(`${stoppedServer.url}compare.html?c=${stopped.id}`);
    await page.waitForFunction(() => window.__tsgymCompare?.ready === true, null, { timeout: 20_000 });
    const s = (await page.evaluate(() => window.__tsgymCompare!.snapshot())) as Snap;
    expect(s.headline).toBe('time-to-threshold');
    expect(s.caveats[0]).toMatch(/^The runs stopped when solved: each final score is just the evaluation that crossed the threshold/);
    expect(await page.isVisible('#caveats')).toBe(true);
    const rows = await page.$$eval('#results tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
    expect(rows[0]).toEqual(['agent', 'runs', 'solved [95% CI]', 'median steps to threshold [95% CI]', 'median seconds to threshold [95% CI]', 'interval overlaps']);
    expect(rows[1].slice(0, 4)).toEqual(['alpha', '3', expect.stringMatching(/^3\/3 \[0\.\d\d, 1\.00\]$/), '2,000 [2,000, 2,000]']);
    // beta: 2000, 3000 and one run that never got there (censored at its 3000 budget): median 3000, 2 of 3 reached.
    expect(rows[2][2]).toMatch(/^2\/3 \[/);
    expect(rows[2][3]).toMatch(/^3,000 \[2,000, [\d,a-z ]+\] \(2\/3 reached\)$/);
    expect(s.ties).toEqual(['overlaps beta', 'overlaps alpha']);
    // P(alpha sooner than beta) ≈ 0.83, but its interval reaches ½: no evidence, not a rank.
    expect(s.noEvidence).toBe(2);
    expect(await page.textContent('#improvement')).toContain('no evidence');
    expect(await page.textContent('#improvement-title')).toContain('reaches the threshold sooner than');
    expect(await page.textContent('#profile-title')).toMatch(/^Solved by step/);
    expect(await page.textContent('#intervals-title')).toMatch(/^Steps to threshold/);
    expect(await page.$$eval('#runs th', (ths) => ths.map((t) => t.textContent))).toContain('last eval (the one that crossed the threshold)');
    // The curves' score axis runs from 0 (below CartPole's random-policy return) to its maximum, 500.
    expect(s.curvesTicks[0]).toBe(0);
    expect(s.curvesTicks.at(-1)).toBe(500);
    expect(s.intervalTicks[0]).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-compare-stopped.png'), fullPage: true });
  });

  it('a report that carried runs flat to their budget (an earlier format) is flagged on the page', async () => {
    await page.goto(`${stoppedServer.url}compare.html?c=compare__old-format`);
    await page.waitForFunction(() => window.__tsgymCompare?.ready === true, null, { timeout: 20_000 });
    const s = (await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { headline: string; caveats: string[]; error: string | null };
    expect(s.headline).toBe('final-score');
    expect(s.caveats.some((c) => /misrepresents its runs: 4 run\(s\) stopped before their budget and were carried flat to it/.test(c))).toBe(true);
    expect(s.caveats.some((c) => /alpha__seed0: its curve goes to step 3000 but it trained 2000 steps/.test(c))).toBe(true);
    expect(await page.evaluate(() => window.__tsgymCompare!.error)).toBeNull();
  });

  it('the viewer over the whole runs directory links to the comparisons page', async () => {
    await page.goto(server.url);
    await page.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
    expect(await page.isVisible('#compare-link')).toBe(true);
    expect(await page.textContent('#compare-link')).toBe('comparisons (1)');
    await page.click('#compare-link');
    await page.waitForFunction(() => window.__tsgymCompare?.ready === true, null, { timeout: 20_000 });
    expect(((await page.evaluate(() => window.__tsgymCompare!.snapshot())) as { comparison: string }).comparison).toBe(cmp.id);
    expect(pageErrors).toEqual([]);
  });

  it("links to the scalars dashboard over the comparison's runs", async () => {
    expect(await page.getAttribute('#scalars-link', 'href')).toBe(`scalars.html?c=${encodeURIComponent(cmp.id)}`);
    await page.click('#scalars-link');
    await page.waitForFunction(() => window.__tsgymScalars?.ready === true, null, { timeout: 20_000 });
    const s = (await page.evaluate(() => window.__tsgymScalars!.snapshot())) as { runs: string[]; series: string[] };
    expect(s.runs.slice().sort()).toEqual([...cmp.runs].sort());
    expect(s.series).toEqual(['eval/mean', 'eval/std']);
    expect(pageErrors).toEqual([]);
  });
});
