/**
 * The replay viewer as a lab, in headless Chromium: it follows a real training run while it trains (server-
 * sent events), and the fixes found by using it — the keyboard after a picker or speed choice, the Q-value
 * bars on the HUD's step, "run not found", the picker's labels and filter, the legend's latest values, value
 * overlays (written by training; a malformed values.json is shown as a problem), PNG and GIF export.
 * One Vite build, one server over a fixture runs directory, one browser for the file.
 */

import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueIteration } from '../agents/planning.js';
import { GridWorldEnv } from '../envs/gridworld.js';
import { make } from '../envs/registry.js';
import type { LiveChange, RunChange } from '../formats/api-types.js';
import { readReplayFile } from '../experiments/replay-io.js';
import type { RunningServer } from '../render/server/server.js';
import { startCli } from './helpers/cli.js';
import { writeFixtureRuns, type FixtureEpisode, type FixtureRuns } from './helpers/fixture-runs.js';
import { decodeGif } from './helpers/gif.js';
import { decodePng, findColor, parseHex } from './helpers/png.js';
import { emaSmooth } from '../render/viewer/src/ticks.js';
import { closeViewer, openViewer, seekTimeline } from './helpers/viewer-page.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

let root: string;
let runsDir: string;
let fixture: FixtureRuns;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

interface PaneSnap {
  selection: { run: string; path: string } | null;
  kind: string | null;
  frame: number | null;
  error: string | null;
  warning: string | null;
  overlays: Record<string, boolean>;
  probe: { marker: { x: number; y: number; color: string } | null; overlayName?: string | null; [k: string]: unknown } | null;
  hud: { action: string; chosenBar: number; barValues: string[] };
}
interface Snap {
  frame: number;
  playing: boolean;
  speed: number;
  panes: PaneSnap[];
  curve: { label: string; points: number; latest: number | null }[];
  curveNote: string;
  legend: string[];
  live: { following: string[]; updates: number; runListUpdates: number; stream: string | null };
  picker: { options: string[]; filter: string };
  lastExport: Record<string, unknown> | null;
}

const snapshot = (p: Page = page) => p.evaluate(() => window.__tsgymViewer!.snapshot()) as unknown as Promise<Snap>;
const keyOf = (e: { run: string; path: string }) => `${e.run}/${e.path}`;
const waitIdle = (p: Page = page) => p.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 30_000 });

async function open(hash = ''): Promise<void> {
  await page.goto('about:blank'); // a hash-only change would not restart the app
  await page.goto(`${server.url}${hash ? `#${hash}` : ''}`);
  await waitIdle();
}

const seek = (frame: number) => seekTimeline(page, frame);

function rawGet(path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens an event stream and collects its `change` events until closed. */
function openEvents(path: string): { events: RunChange[]; status: Promise<number>; close(): void } {
  const events: RunChange[] = [];
  let buffer = '';
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const req = request({ host: '127.0.0.1', port: server.port, path, headers: { accept: 'text/event-stream' } }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buffer += c;
      let i: number;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (/^event: change$/m.test(block)) events.push(JSON.parse(/^data: (.*)$/m.exec(block)![1]) as RunChange);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { events, status, close: () => req.destroy() };
}

async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  root = await mkdtemp(join(tmpdir(), 'tsgym-viewer-live-'));
  runsDir = join(root, 'runs');
  fixture = await writeFixtureRuns(runsDir);
  ({ server, context, page } = await openViewer({ root, runsDir: runsDir, width: 1400, height: 900, acceptDownloads: true, pageErrors }));
}, 120_000);

afterAll(async () => {
  await closeViewer({ context, server }, root);
});

const cart = (): FixtureEpisode => fixture.byKind.get('cartpole')!;

describe('server: /api/runs/<run>/events', () => {
  it('streams a change event at once and again when the trainer appends metrics or writes a summary; 404 for a missing run', async () => {
    const run = fixture.startingRun;
    const stream = openEvents(`/api/runs/${encodeURIComponent(run)}/events`);
    try {
      expect(await stream.status).toBe(200);
      await until(() => stream.events.length >= 1, 'the first event');
      const first = stream.events[0];
      expect(first).toMatchObject({ run, status: null, episodeCount: 1, hasValues: false });
      const metricsPath = join(runsDir, run, 'metrics.jsonl');
      const before = (await readFile(metricsPath, 'utf8')).length;
      expect(first.metricsBytes).toBe(before);
      // Finish the half-written line as the trainer's next flush would, then write a summary.
      await writeFile(metricsPath, `${(await readFile(metricsPath, 'utf8')).replace(/\{"kind":"episode","st$/, '')}${JSON.stringify({ kind: 'episode', step: 40, return: 20, length: 20 })}\n`);
      await until(() => stream.events.length >= 2, 'an event after metrics grew');
      expect(stream.events[1].metricsBytes).toBeGreaterThan(0);
      expect(stream.events[1].metricsBytes).not.toBe(first.metricsBytes);
      await writeFile(join(runsDir, run, 'summary.json'), JSON.stringify({ status: 'running', steps: 40, wallSeconds: 1, finalEval: null }));
      await until(() => stream.events.some((e) => e.status === 'running'), 'an event with the new status');
    } finally {
      stream.close();
    }
    const missing = await rawGet('/api/runs/NoSuch__run/events');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error).toMatch(/run not found: NoSuch__run/);
    const head = await rawGet(`/api/runs/${encodeURIComponent(run)}/events`, 'HEAD'); // answers and ends
    expect([head.status, head.type]).toEqual([200, 'text/event-stream; charset=utf-8']);
    // The page's one stream: the runs list, and each followed run (a missing one reported, not fatal).
    const list = openEvents(`/api/events?follow=${encodeURIComponent(run)}&follow=NoSuch__run`);
    try {
      expect(await list.status).toBe(200);
      await until(() => list.events.length >= 1, 'the runs list event');
      const ev = list.events[0] as unknown as LiveChange;
      expect(ev.runs.map(([name]) => name)).toEqual(expect.arrayContaining(fixture.runs));
      expect(ev.followed[run]).toMatchObject({ run, status: 'running', episodeCount: 1 });
      expect((ev.followed.NoSuch__run as { error: string }).error).toMatch(/run not found: NoSuch__run/);
    } finally {
      list.close();
    }
    expect((await rawGet('/api/events?follow=..%2Fx')).status).toBe(400);
    const types = await rawGet('/api/health');
    expect(types.status).toBe(200); // still up, the stream's poller stopped with the connection
  });
});

describe('viewer: follows a run while it trains', () => {
  it('a real DQN run on GridWorld-4x4 started after the page opened: it joins the picker, then its curve, status and shown episode update without a reload; the value overlays appear at the end', async () => {
    const runName = 'GridWorld-4x4__dqn__seed3__live';
    const steps = 6000;
    const evalEvery = 500;
    // The page is open before the run starts, as a user would have it.
    await open();
    // A checkpoint at every evaluation, each file write held 30 ms (the harness's test hook), paces the run to
    // some seconds however fast the machine is, so it is still training when the page picks it up.
    const { child, done } = startCli(
      [
        'train', 'dqn', 'GridWorld-4x4', '--steps', String(steps), '--envs', '4', '--eval-every', String(evalEvery), '--eval-episodes', '2',
        '--record-episodes', '1', '--checkpoint-every', String(evalEvery), '--no-stop-when-solved', '--backend', 'wasm', '--progress', 'none', '--seed', '3',
        '--out', runsDir, '--run-name', runName,
      ],
      { TSGYM_CHECKPOINT_WRITE_DELAY_MS: '30' },
    );
    try {
      const runDir = join(runsDir, runName);
      // The new run joins the picker by itself once it has recorded an evaluation; pick it.
      await page.waitForFunction((run) => [...document.querySelectorAll<HTMLOptionElement>('#pick-a option')].some((o) => o.value.startsWith(`${run}/`)), runName, { timeout: 60_000 });
      expect((await snapshot()).live.runListUpdates).toBeGreaterThanOrEqual(1);
      // Its newest evaluation (the last of its entries), so the pane then moves on with each new one.
      const firstEpisode = await page.$eval('#pick-a', (sel, run) => [...(sel as HTMLSelectElement).options].filter((o) => o.value.startsWith(`${run}/`)).at(-1)!.value, runName);
      await page.selectOption('#pick-a', firstEpisode);
      // (By the time it is shown, following may already have moved it on to a newer evaluation.)
      await page.waitForFunction(
        (run) => {
          const sel = (window.__tsgymViewer!.snapshot().panes as { selection: { run: string; path: string } | null }[])[0].selection;
          return sel?.run === run && window.__tsgymViewer!.busy === 0;
        },
        runName,
      );
      const start = await snapshot();
      expect(start.live.following).toEqual([runName]);
      // One event stream for the page (browsers allow six connections per server), following this run.
      expect(new URL(start.live.stream!).searchParams.getAll('follow')).toEqual([runName]);
      expect(await page.isVisible('#live')).toBe(true);
      const evalPoints = (s: Snap) => s.curve.find((c) => c.label.startsWith('eval mean'))?.points ?? 0;
      const startEvals = evalPoints(start);
      expect(await page.textContent('.info-status')).toMatch(/running|starting/);

      // While it trains: the page hears about changes and redraws, with no reload.
      await page.waitForFunction(() => (window.__tsgymViewer!.snapshot().live as { updates: number }).updates >= 1, null, { timeout: 60_000 });
      const result = await done;
      expect(result.code, result.stderr).toBe(0);
      await page.waitForFunction(() => document.querySelector('.info-status')?.textContent === 'finished', null, { timeout: 20_000 });
      await waitIdle();
      const end = await snapshot();
      const metrics = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; step: number; mean?: number });
      const evals = metrics.filter((m) => m.kind === 'eval');
      expect(evals).toHaveLength(steps / evalEvery);
      expect(evalPoints(end)).toBe(evals.length);
      expect(evalPoints(end)).toBeGreaterThan(startEvals);
      expect(end.curve.find((c) => c.label.startsWith('eval mean'))!.latest).toBeCloseTo(evals[evals.length - 1].mean!, 9);
      expect(end.live.updates).toBeGreaterThanOrEqual(2);
      expect(end.live.following).toEqual([]); // a finished run is no longer followed
      expect(new URL(end.live.stream!).searchParams.getAll('follow')).toEqual([]);
      // Every evaluation is in the picker, and the pane moved on to the newest one.
      for (const e of evals) expect(end.picker.options.some((o) => o.includes(`— ${runName} › eval @ ${e.step.toLocaleString('en')} ·`))).toBe(true);
      expect(end.panes[0].selection).toEqual({ run: runName, path: `step-${String(steps).padStart(9, '0')}/episode-0.json.gz` });
      // The overlays training wrote: the agent's policy (exact value), its Q-values, and the optimum, which is value iteration's.
      expect(Object.keys(end.panes[0].overlays)).toEqual(['agent policy (exact value)', 'agent Q-values (max)', 'optimal (value iteration)']);
      expect(end.panes[0].warning).toBeNull();
      const written = JSON.parse(await readFile(join(runDir, 'values.json'), 'utf8')) as { gamma: number; overlays: { name: string; values: number[]; policy: number[] }[] };
      const env = make('GridWorld-4x4').unwrapped as GridWorldEnv;
      const vi = valueIteration(env, { gamma: written.gamma });
      expect(written.overlays[2].values).toEqual(Array.from(vi.values));
      expect(written.overlays[2].policy).toEqual(Array.from(vi.policy));
      await page.locator('input[data-overlay="optimal (value iteration)"]').check();
      expect((await snapshot()).panes[0].probe!.overlayName).toBe('optimal (value iteration)');
      expect((await snapshot()).panes[0].overlays['agent policy (exact value)']).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'viewer-live-finished.png') });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('viewer fixes', () => {
  it('after choosing an episode or a speed, → steps the episode and space plays (the select gives the keys back)', async () => {
    await open(`a=${encodeURIComponent(keyOf(cart()))}`);
    // Another long episode of the run (at 8x a short one would end, and stop, before space is pressed again).
    const other = fixture.episodes.filter((e) => e.run === cart().run && e.path !== cart().path).sort((a, b) => b.length - a.length)[0];
    expect(other.length).toBeGreaterThan(200);
    await page.focus('#pick-a');
    await page.selectOption('#pick-a', keyOf(other));
    await page.waitForFunction((p) => (window.__tsgymViewer!.snapshot().panes as { selection: { path: string } }[])[0].selection.path === p && window.__tsgymViewer!.busy === 0, other.path);
    expect(await page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName)).not.toBe('pick-a');
    await seek(3);
    await page.keyboard.press('ArrowRight');
    let s = await snapshot();
    expect(s.frame).toBe(4);
    expect(s.panes[0].selection!.path).toBe(other.path); // not the next episode
    await page.focus('#speed');
    await page.selectOption('#speed', '8');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => (window.__tsgymViewer!.snapshot().frame as number) > 10, null, { timeout: 10_000 });
    await page.keyboard.press('Space');
    s = await snapshot();
    expect([s.playing, s.speed]).toEqual([false, 8]);
    await page.selectOption('#speed', '1');
  });

  it('the Q-value bars belong to the step the HUD shows: the highlighted bar is the action in the action field', async () => {
    const replay = await readReplayFile(join(runsDir, cart().run, 'episodes', cart().path));
    await open(`a=${encodeURIComponent(keyOf(cart()))}`);
    for (const f of [1, 7, 20]) {
      await seek(f);
      const hud = (await snapshot()).panes[0].hud;
      const step = replay.steps[f - 1];
      expect(hud.action).toMatch(new RegExp(`\\(${step.action}\\)$`));
      expect(hud.chosenBar).toBe(step.action);
      expect(hud.barValues.map(Number)).toEqual(step.qValues!.map((v) => Number(v.toFixed(2))));
    }
    await seek(0);
    const atReset = (await snapshot()).panes[0].hud;
    expect(atReset.chosenBar).toBe(-1);
    expect(await page.textContent('.bars-title')).toMatch(/no action yet/);
  });

  it('the legend shows the latest values without hovering; a missing run says "run not found"', async () => {
    await open(`a=${encodeURIComponent(keyOf(cart()))}`);
    const s = await snapshot();
    expect(s.legend.length).toBeGreaterThan(2);
    expect(s.legend.some((v) => v.includes('--'))).toBe(false);
    const evalCurve = s.curve.find((c) => c.label.startsWith('eval mean'))!;
    expect(s.legend.some((v) => Math.abs(Number(v) - evalCurve.latest!) < 0.01)).toBe(true);
    expect(s.legend[0]).toMatch(/5,000 \(latest\)/);
    // The training returns are smoothed by an EMA whose weight the slider sets (0 = raw).
    const metrics = (await readFile(join(runsDir, cart().run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; return?: number });
    const returns = metrics.filter((m) => m.kind === 'episode').map((m) => m.return!);
    const smoothed = () => snapshot().then((x) => x.curve.find((c) => c.label === 'train smoothed')!.latest!);
    expect(await smoothed()).toBeCloseTo(emaSmooth(returns, 0.6).at(-1)!, 9);
    await page.evaluate(() => {
      const r = document.getElementById('curve-smoothing') as HTMLInputElement;
      r.value = '0';
      r.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(await smoothed()).toBe(returns.at(-1));

    await open(`a=${encodeURIComponent('NoSuch-v0__x__seed0__20250101-000000/step-000000000/episode-0.json')}`);
    const missing = await snapshot();
    expect(missing.curveNote).toMatch(/run not found: NoSuch-v0__x__seed0__20250101-000000/);
    expect(missing.curveNote).not.toMatch(/no episode or eval records/);
    expect(missing.panes[0].error).toMatch(/HTTP 404/);
  });

  it('the picker names env, agent, run and episode, and the filter box narrows it (Enter opens the first match)', async () => {
    await open();
    const all = (await snapshot()).picker.options;
    expect(all.length).toBeGreaterThan(6);
    const c = cart();
    expect(all).toContain(`CartPole-v1 · heuristic · seed 1 — ${c.run} › eval @ 5,000 · episode-0 · return ${c.return} · ${c.length} steps · trained`);
    await page.fill('#filter', 'lane trained');
    const lane = fixture.byKind.get('lanekeeper');
    const filtered = (await snapshot()).picker.options.filter((o) => !o.startsWith('—'));
    if (lane) {
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.every((o) => o.includes('LaneKeeper') && o.includes('trained'))).toBe(true);
      expect(await page.textContent('#filter-count')).toMatch(new RegExp(`^${filtered.length} / \\d+$`));
      await page.press('#filter', 'Enter');
      await waitIdle();
      const s = await snapshot();
      expect(s.panes[0].kind).toBe('lanekeeper');
      expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
    }
    await page.fill('#filter', 'no-such-thing-anywhere');
    expect(await page.textContent('#filter-count')).toMatch(/^0 \//);
    await page.press('#filter', 'Escape');
    expect((await snapshot()).picker.options.length).toBe(all.length);
  });

  it('a malformed values.json is shown as a problem in the pane, not silently ignored', async (ctx) => {
    const grid = fixture.byKind.get('gridworld');
    if (!grid) return ctx.skip();
    const file = join(runsDir, grid.run, 'values.json');
    const good = await readFile(file, 'utf8');
    try {
      await writeFile(file, '{"values": [1, 2, 3], "policy": ');
      await open(`a=${encodeURIComponent(keyOf(grid))}`);
      let pane = (await snapshot()).panes[0];
      expect(pane.kind).toBe('gridworld');
      expect(pane.error).toBeNull(); // the episode still plays
      expect(pane.warning).toMatch(/value overlay is not shown: .*values\.json: not valid JSON/);
      expect(await page.isVisible('.pane-warning')).toBe(true);

      await writeFile(file, JSON.stringify({ values: [1, 2, 3], policy: [0, 1, 2] }));
      await open(`a=${encodeURIComponent(keyOf(grid))}`);
      pane = (await snapshot()).panes[0];
      expect(pane.warning).toMatch(/has 3 values; this map has \d+ states/);
      expect(pane.overlays).toEqual({});
    } finally {
      await writeFile(file, good);
    }
  });

  it('exports the frame shown as a PNG and the episode as an animated GIF, in the page', async () => {
    const ep = fixture.byKind.get('lanekeeper') ?? cart();
    await open(`a=${encodeURIComponent(keyOf(ep))}`);
    await seek(5);
    const marker = (await snapshot()).panes[0].probe!.marker!;
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
    expect(png.suggestedFilename()).toMatch(/__step5\.png$/);
    const img = decodePng(await readFile((await png.path())!));
    const canvasBox = (await page.locator('.pane canvas').first().boundingBox())!;
    expect([img.width, img.height]).toEqual([Math.round(canvasBox.width), Math.round(canvasBox.height)]);
    const found = findColor(img, parseHex(marker.color));
    expect(found.count).toBeGreaterThan(100);
    expect(Math.abs(found.x - marker.x)).toBeLessThan(4);

    const t0 = Date.now();
    const [gifDl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#export-gif')]);
    const gifMs = Date.now() - t0;
    expect(gifDl.suggestedFilename()).toMatch(/\.gif$/);
    const gif = decodeGif(await readFile((await gifDl.path())!));
    await waitIdle();
    const s = await snapshot();
    expect(s.frame).toBe(5); // the pane is back on its frame
    expect(gif.frames).toHaveLength(ep.length + 1);
    expect(gif.loops).toBe(0);
    expect(gif.width).toBeLessThanOrEqual(480);
    expect(s.lastExport).toMatchObject({ kind: 'gif', frames: ep.length + 1, width: gif.width, height: gif.height });
    // Frame 5 of the GIF shows what the canvas showed at step 5, scaled: the marker's colour at the scaled position.
    const scale = gif.width / img.width;
    const g5 = findColor(gif.frames[5].image, parseHex(marker.color), 12);
    expect(g5.count).toBeGreaterThan(30);
    expect(Math.abs(g5.x - marker.x * scale)).toBeLessThan(4);
    // The animation moves: the first and last frames differ.
    expect(Buffer.compare(Buffer.from(gif.frames[0].image.data), Buffer.from(gif.frames[gif.frames.length - 1].image.data))).not.toBe(0);
    console.log(`GIF export: ${gif.frames.length} frames ${gif.width}×${gif.height} in ${gifMs} ms (headless Chromium with SwiftShader, noisy): ${JSON.stringify(s.lastExport)}`);
  }, 90_000);

  it('had no uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
