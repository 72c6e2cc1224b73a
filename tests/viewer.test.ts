/**
 * The viewer in headless Chromium: builds the app with Vite, serves it over a fixture runs directory on a
 * free port, and checks from the canvas pixels that each scene draws its state, that playback advances,
 * that side-by-side mode plays two episodes in sync, and that bad paths and files are refused.
 * Screenshots go to test-artifacts/; with UPDATE_SCREENSHOTS=1 the README screenshot docs/viewer.png too.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewerBuildIsStale } from '../render/server/build-viewer.js';
import { readReplayFile } from '../experiments/replay-io.js';
import type { ReplayFile } from '../formats/replay-format.js';
import type { RunningServer } from '../render/server/server.js';
import { writeFixtureRuns, type FixtureEpisode, type FixtureRuns } from './helpers/fixture-runs.js';
import { decodePng, findColor, parseHex, pixel, type Image } from './helpers/png.js';
import { closeViewer, openViewer, seekTimeline } from './helpers/viewer-page.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(REPO, 'test-artifacts');

let root: string;
let staticDir: string;
let fixture: FixtureRuns;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

interface PaneSnapshot {
  selection: { run: string; path: string } | null;
  kind: string | null;
  length: number | null;
  frame: number | null;
  renderer: string;
  error: string | null;
  probe: { kind: string; marker: { x: number; y: number; color: string } | null; [k: string]: unknown } | null;
}
interface Snapshot {
  frame: number;
  lastFrame: number;
  playing: boolean;
  speed: number;
  sideBySide: boolean;
  panes: PaneSnapshot[];
}

const snapshot = () => page.evaluate(() => window.__tsgymViewer!.snapshot()) as unknown as Promise<Snapshot>;
const keyOf = (e: { run: string; path: string }) => `${e.run}/${e.path}`;

async function waitIdle(p: Page = page): Promise<void> {
  await p.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
}

async function pick(slot: 0 | 1, ep: { run: string; path: string }): Promise<void> {
  await page.selectOption(slot === 0 ? '#pick-a' : '#pick-b', keyOf(ep));
  await page.waitForFunction(
    ([s, run, path]) => {
      const v = window.__tsgymViewer;
      const panes = v?.snapshot().panes as { selection?: { run: string; path: string } }[] | undefined;
      const pane = panes?.[s as number];
      return v?.busy === 0 && pane?.selection?.run === run && pane.selection.path === path;
    },
    [slot, ep.run, ep.path] as const,
    { timeout: 20_000 },
  );
}

const seek = (frame: number) => seekTimeline(page, frame);

async function canvasShot(index = 0): Promise<Image> {
  return decodePng(await page.locator('.pane canvas').nth(index).screenshot());
}

async function savePage(name: string): Promise<string> {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  return path;
}

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;
const isColor = (rgb: [number, number, number], hex: string, tol = 10) => parseHex(hex).every((c, i) => Math.abs(c - rgb[i]) <= tol);

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  root = await mkdtemp(join(tmpdir(), 'tsgym-viewer-'));
  fixture = await writeFixtureRuns(join(root, 'runs'));
  ({ staticDir, server, context, page } = await openViewer({ root, runsDir: join(root, 'runs'), width: 1400, height: 900, pageErrors }));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.goto(server.url);
  await waitIdle();
}, 90_000);

afterAll(async () => {
  await closeViewer({ context, server }, root);
});

function fixtureEpisode(kind: string): FixtureEpisode {
  const ep = fixture.byKind.get(kind);
  if (!ep) throw new Error(`the fixture has no ${kind} episode`);
  return ep;
}

async function replayOf(ep: FixtureEpisode): Promise<ReplayFile> {
  return readReplayFile(join(fixture.dir, ep.run, 'episodes', ep.path));
}

describe('viewer in headless Chromium', () => {
  it('was built by Vite into a fresh directory that counts as up to date', async () => {
    expect(existsSync(join(staticDir, 'index.html'))).toBe(true);
    expect(await viewerBuildIsStale(staticDir)).toBe(false);
    expect(await viewerBuildIsStale(join(root, 'no-build-here'))).toBe(true);
  });

  it('starts with WebGL and lists every fixture episode in the picker, one group per run, each option led by its checkpoint', async () => {
    const snap = await snapshot();
    expect(snap.panes[0].renderer).toBe('webgl');
    const options = await page.$$eval('#pick-a option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    for (const e of fixture.episodes) expect(options).toContain(keyOf(e));
    const groups = await page.$$eval('#pick-a optgroup', (gs) => gs.map((g) => [(g as HTMLOptGroupElement).label, [...g.children].map((o) => o.textContent ?? '')] as const));
    const cart = fixtureEpisode('cartpole');
    const [label, texts] = groups.find(([g]) => g.endsWith(`— ${cart.run}`))!;
    expect(label).toBe(`CartPole-v1 · heuristic · seed 1 — ${cart.run}`);
    expect(texts.some((t) => t.startsWith('eval @ 5,000 · episode-0 · return'))).toBe(true);
    expect(texts.some((t) => t.startsWith('eval @ 0 · episode-0 · return'))).toBe(true);
    // Short enough for a closed picker to show what tells the episodes apart.
    expect(Math.max(...groups.flatMap(([, t]) => t).map((t) => t.length))).toBeLessThan(80);
    expect(new Set(groups.map(([g]) => g)).size).toBe(groups.length);
  });

  it('CartPole: the cart is drawn where the state puts it and moves with it; the pole stands on it', async () => {
    const ep = fixtureEpisode('cartpole');
    const replay = await replayOf(ep);
    await pick(0, ep);
    await seek(0);
    const before = (await snapshot()).panes[0];
    expect(before.kind).toBe('cartpole');
    const marker0 = before.probe!.marker!;
    const img0 = await canvasShot();
    expect(isColor(pixel(img0, marker0.x, marker0.y), marker0.color)).toBe(true);
    const cart0 = findColor(img0, parseHex(marker0.color));
    expect(cart0.count).toBeGreaterThan(500);
    expect(close(cart0.x, marker0.x, 3)).toBe(true);
    // The pole's colour halfway between the hinge and the tip.
    const hinge = before.probe!.hinge as { x: number; y: number };
    const tip = before.probe!.poleTip as { x: number; y: number };
    expect(isColor(pixel(img0, (hinge.x + tip.x) / 2, (hinge.y + tip.y) / 2), '#8c6d46')).toBe(true);

    // The frame where the cart is farthest from its start: the drawn cart must move by Δx · scale.
    const xs = [replay.initialState, ...replay.steps.map((s) => s.state)].map((s) => s.x as number);
    const far = xs.reduce((best, x, i) => (Math.abs(x - xs[0]) > Math.abs(xs[best] - xs[0]) ? i : best), 0);
    const scale = before.probe!.scale as number;
    const expectedShift = (xs[far] - xs[0]) * scale;
    expect(Math.abs(expectedShift)).toBeGreaterThan(10);
    await seek(far);
    const img1 = await canvasShot();
    const cart1 = findColor(img1, parseHex(marker0.color));
    expect(close(cart1.x - cart0.x, expectedShift, 3), `cart moved ${cart1.x - cart0.x}px, expected ${expectedShift}px`).toBe(true);
    expect(close(cart1.y, cart0.y, 1)).toBe(true);
    await savePage('viewer-cartpole.png');
  });

  it('Gridworld: tiles, the agent on the cell of the state, and the value/policy overlay toggles', async (ctx) => {
    const ep = fixture.byKind.get('gridworld');
    if (!ep) return ctx.skip();
    const replay = await replayOf(ep);
    await pick(0, ep);
    const frames = [replay.initialState, ...replay.steps.map((s) => s.state)];
    for (const f of [0, Math.floor(replay.length / 2), replay.length]) {
      await seek(f);
      const pane = (await snapshot()).panes[0];
      expect(pane.kind).toBe('gridworld');
      const tile = pane.probe!.tile as number;
      const origin = pane.probe!.origin as { x: number; y: number };
      const [row, col] = frames[f].agent as [number, number];
      const img = await canvasShot();
      const agent = findColor(img, parseHex(pane.probe!.marker!.color));
      expect(agent.count).toBeGreaterThan(50);
      expect(close(agent.x, origin.x + (col + 0.5) * tile, 2), `frame ${f}: agent x ${agent.x}`).toBe(true);
      expect(close(agent.y, origin.y + (row + 0.5) * tile, 2), `frame ${f}: agent y ${agent.y}`).toBe(true);
    }
    // The overlay tints floor cells: turning it off brings back the plain floor colour.
    const floor = parseHex('#f7f4ec');
    expect((await snapshot()).panes[0].probe!.overlay).toBe(true);
    const withOverlay = findColor(await canvasShot(), floor, 2).count;
    await savePage('viewer-gridworld.png');
    await page.locator('.overlay-toggle input').uncheck();
    const withoutOverlay = findColor(await canvasShot(), floor, 2).count;
    expect(withoutOverlay).toBeGreaterThan(withOverlay + 1000);
    await page.locator('.overlay-toggle input').check();
  });

  it('Lane keeper: the road scrolls past the car, which stays where the camera holds it', async (ctx) => {
    const ep = fixture.byKind.get('lanekeeper');
    if (!ep) return ctx.skip();
    await pick(0, ep);
    const white = parseHex('#ffffff');
    const shots: { car: { x: number; y: number; count: number }; marker: { x: number; y: number }; dashes: { count: number; y: number }; asphalt: number }[] = [];
    for (const f of [0, 3]) {
      await seek(f);
      const pane = (await snapshot()).panes[0];
      expect(pane.kind).toBe('lanekeeper');
      const marker = pane.probe!.marker!;
      const img = await canvasShot();
      const car = findColor(img, parseHex(marker.color));
      // Lane dashes: white pixels in the road's band (the gauge needle is far left, outside it).
      const band: Image = { ...img, data: img.data.map((v, i) => (Math.abs(((i >> 2) % img.width) - img.width / 2) < 80 ? v : 0)) };
      shots.push({ car, marker, dashes: findColor(band, white, 4), asphalt: findColor(img, parseHex('#5c5f66'), 3).count });
    }
    for (const s of shots) {
      expect(s.car.count).toBeGreaterThan(300);
      expect(close(s.car.x, s.marker.x, 4)).toBe(true);
      expect(close(s.car.y, s.marker.y, 6)).toBe(true);
      expect(s.asphalt).toBeGreaterThan(5000);
      expect(s.dashes.count).toBeGreaterThan(100);
    }
    // 3 steps at 12 m/s = 3.6 m: the dashes (8 m apart) shift by about 3.6 m on screen; the car barely moves.
    expect(Math.abs(shots[1].dashes.y - shots[0].dashes.y)).toBeGreaterThan(5);
    expect(close(shots[1].car.y, shots[0].car.y, 6)).toBe(true);
    await savePage('viewer-lanekeeper.png');
  });

  // Classic control: the scene's key object (bob, car, tip) is drawn in its colour where the state puts it,
  // computed here from the replay's state and the scene's layout (pivot / origin and scale).
  const classic: { kind: string; expected: (s: Record<string, unknown>, probe: Record<string, unknown>) => { x: number; y: number }; minPixels: number }[] = [
    {
      kind: 'pendulum', // θ = 0 up, counter-clockwise positive
      expected: (s, p) => {
        const { x, y } = p.pivot as { x: number; y: number };
        const r = (s.length as number) * (p.scale as number);
        return { x: x - r * Math.sin(s.theta as number), y: y - r * Math.cos(s.theta as number) };
      },
      minPixels: 150,
    },
    {
      kind: 'mountaincar', // on the curve 0.45·sin(3x) + 0.55; the body's centre sits above the contact point
      expected: (s, p) => {
        const o = p.origin as { x: number; y: number };
        const x = s.position as number;
        return { x: o.x + (x - (s.minPosition as number)) * (p.scale as number), y: o.y - (0.45 * Math.sin(3 * x) + 0.55) * (p.scale as number) };
      },
      minPixels: 300,
    },
    {
      kind: 'acrobot', // θ1 = 0 straight down; the tip is two links out
      expected: (s, p) => {
        const { x, y } = p.pivot as { x: number; y: number };
        const k = p.scale as number;
        const t1 = s.theta1 as number;
        const t12 = t1 + (s.theta2 as number);
        return { x: x + k * (Math.sin(t1) + Math.sin(t12)), y: y + k * (Math.cos(t1) + Math.cos(t12)) };
      },
      minPixels: 100,
    },
  ];
  for (const c of classic) {
    it(`${c.kind}: the ${c.kind === 'mountaincar' ? 'car' : c.kind === 'pendulum' ? 'bob' : 'tip'} is drawn where the state puts it, and moves with it`, async (ctx) => {
      const ep = fixture.byKind.get(c.kind);
      if (!ep) return ctx.skip();
      const replay = await replayOf(ep);
      await pick(0, ep);
      const frames = [replay.initialState, ...replay.steps.map((st) => st.state)] as Record<string, unknown>[];
      const seen: { x: number; y: number }[] = [];
      for (const f of [0, Math.floor(replay.length / 2), replay.length]) {
        await seek(f);
        const pane = (await snapshot()).panes[0];
        expect(pane.kind).toBe(c.kind);
        const probe = pane.probe!;
        const want = c.expected(frames[f], probe);
        // The mountain car's marker is its body centre, above the contact point the formula gives.
        const contact = (probe.contact as { x: number; y: number } | undefined) ?? probe.marker!;
        expect(close(contact.x, want.x, 1) && close(contact.y, want.y, 1), `frame ${f}: drawn at ${JSON.stringify(contact)}, state says ${JSON.stringify(want)}`).toBe(true);
        const img = await canvasShot();
        const blob = findColor(img, parseHex(probe.marker!.color), 12);
        expect(blob.count, `frame ${f}: ${c.kind} marker pixels`).toBeGreaterThan(c.minPixels);
        expect(close(blob.x, probe.marker!.x, 4) && close(blob.y, probe.marker!.y, 4), `frame ${f}: blob at ${blob.x},${blob.y}, marker ${probe.marker!.x},${probe.marker!.y}`).toBe(true);
        seen.push({ x: blob.x, y: blob.y });
      }
      expect(Math.max(...seen.map((p) => Math.hypot(p.x - seen[0].x, p.y - seen[0].y)))).toBeGreaterThan(10);
      await savePage(`viewer-${c.kind}.png`);
    });
  }

  it('plays: the step counter and the picture advance, pause stops them, keys work', async () => {
    const ep = fixtureEpisode('cartpole');
    await pick(0, ep);
    await seek(0);
    const img0 = await canvasShot();
    await page.click('#play');
    await page.waitForFunction(() => (window.__tsgymViewer!.snapshot().frame as number) >= 15, null, { timeout: 15_000 });
    const counter = await page.textContent('#step-counter');
    expect(Number(/step (\d+) \/ 500/.exec(counter ?? '')?.[1])).toBeGreaterThan(0);
    await page.click('#play');
    const paused = await snapshot();
    expect(paused.playing).toBe(false);
    const img1 = await canvasShot();
    expect(Buffer.compare(Buffer.from(img0.data), Buffer.from(img1.data))).not.toBe(0);
    const later = await snapshot();
    expect(later.frame).toBe(paused.frame);
    expect(Number(await page.inputValue('#timeline'))).toBe(paused.frame);

    // Keys go to the page, not to a focused control.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('ArrowRight');
    expect((await snapshot()).frame).toBe(paused.frame + 1);
    await page.keyboard.press('Shift+ArrowLeft');
    expect((await snapshot()).frame).toBe(paused.frame - 9);
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    expect((await snapshot()).speed).toBe(4);
    for (let i = 0; i < 6; i++) await page.keyboard.press('-');
    expect((await snapshot()).speed).toBe(0.25);
    await page.selectOption('#speed', '8');
    await page.keyboard.press('Space');
    await page.waitForFunction((f) => (window.__tsgymViewer!.snapshot().frame as number) > f + 20, paused.frame, { timeout: 15_000 });
    await page.keyboard.press('Space');
    expect((await snapshot()).playing).toBe(false);
    await page.selectOption('#speed', '1');
  });

  it('side by side: two canvases, two episodes of a run (early vs late) in sync', async () => {
    const late = fixtureEpisode('cartpole');
    const early = fixture.episodes.find((e) => e.run === late.run && e.checkpointStep === 0)!;
    await pick(0, late);
    await page.check('#side-by-side');
    await page.waitForFunction(() => document.querySelectorAll('.pane canvas').length === 2 && window.__tsgymViewer!.busy === 0);
    await pick(1, early);
    const snap = await snapshot();
    expect(snap.sideBySide).toBe(true);
    expect(snap.panes.map((p) => p.kind)).toEqual(['cartpole', 'cartpole']);
    expect(snap.lastFrame).toBe(Math.max(late.length, early.length));
    const frame = Math.min(10, early.length);
    await seek(frame);
    const both = await snapshot();
    expect(both.panes.map((p) => p.frame)).toEqual([frame, frame]);
    for (const i of [0, 1]) {
      const img = await canvasShot(i);
      const marker = both.panes[i].probe!.marker!;
      expect(close(findColor(img, parseHex(marker.color)).x, marker.x, 3)).toBe(true);
    }
    // Play past the short episode's end: it holds its last frame while the other goes on.
    await page.selectOption('#speed', '4');
    await page.click('#play');
    await page.waitForFunction((n) => (window.__tsgymViewer!.snapshot().frame as number) > n + 5, early.length, { timeout: 15_000 });
    await page.click('#play');
    const after = await snapshot();
    expect(after.panes[0].frame).toBe(after.frame);
    expect(after.panes[1].frame).toBe(early.length);
    await page.selectOption('#speed', '1');
    await seek(Math.min(early.length - 2, 12));
    await savePage('viewer-side-by-side.png');

    // The README picture: the lane keeper before and after "training", side by side.
    const laneLate = fixture.byKind.get('lanekeeper');
    const laneEarly = fixture.episodes.find((e) => e.run === laneLate?.run && e.checkpointStep === 0);
    if (laneLate && laneEarly) {
      await pick(0, laneLate);
      await pick(1, laneEarly);
      await seek(laneEarly.length - 3);
    }
    const bottom = await page.evaluate(() => Math.ceil(document.querySelector('main')!.getBoundingClientRect().bottom) + 8);
    const readme = join(ARTIFACTS, 'viewer-readme.png');
    await page.screenshot({ path: readme, clip: { x: 0, y: 0, width: 1400, height: Math.min(900, bottom) } });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir(join(REPO, 'docs'), { recursive: true });
      await copyFile(readme, join(REPO, 'docs', 'viewer.png'));
    }
    await page.uncheck('#side-by-side');
    await page.waitForFunction(() => document.querySelectorAll('.pane canvas').length === 1);
  });

  it("refuses traversal and corrupt files in the browser's fetch too, and the page survives them", async () => {
    const run = encodeURIComponent(fixtureEpisode('cartpole').run);
    const results = await page.evaluate(
      async ({ run, oddRun, corrupt }) => {
        const get = async (url: string) => {
          const r = await fetch(url);
          return { status: r.status, body: await r.text() };
        };
        return {
          encodedSlash: await get(`api/runs/${run}/episodes/..%2F..%2F..%2Fpackage.json`),
          dotDot: await get(`api/runs/${run}/episodes/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`),
          absolute: await get(`api/runs/${run}/episodes/${encodeURIComponent('/etc/passwd')}`),
          corrupt: await get(`api/runs/${encodeURIComponent(oddRun)}/episodes/${corrupt}`),
        };
      },
      { run, oddRun: fixture.oddRun, corrupt: fixture.corrupt },
    );
    for (const [name, r] of Object.entries(results)) {
      expect(r.status, `${name}: ${r.status} ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body).not.toContain('root:');
      expect(r.body).not.toContain('"devDependencies"');
      expect(JSON.parse(r.body).error).toMatch(/\w/);
    }
    expect(results.encodedSlash.status).toBe(400);
    expect(results.corrupt.status).toBe(422);
    expect(JSON.parse(results.corrupt.body).error).toMatch(/episode-corrupt\.json: is not valid JSON/);

    // Picking the corrupt file shows the error in the pane; an unknown render kind shows a clear message.
    await page.selectOption('#pick-a', keyOf({ run: fixture.oddRun, path: fixture.corrupt }));
    await page.waitForFunction(() => (document.querySelector('.pane-error')?.textContent ?? '').includes('not valid JSON'));
    expect(await page.textContent('.pane-error')).toMatch(/HTTP 422.*episode-corrupt\.json: is not valid JSON/);
    await page.selectOption('#pick-a', keyOf({ run: fixture.oddRun, path: fixture.futureVersion }));
    await page.waitForFunction(() => (document.querySelector('.pane-error')?.textContent ?? '').includes('newer tsgym'));
    await pick(0, { run: fixture.oddRun, path: fixture.unknownKind });
    const unknown = (await snapshot()).panes[0];
    expect(unknown.kind).toBe('mystery');
    expect(unknown.probe!.message).toMatch(/No scene draws render kind 'mystery' \(env Mystery-v0\)/);
    await savePage('viewer-unknown-kind.png');
    // Still works afterwards.
    await pick(0, fixtureEpisode('cartpole'));
    expect((await snapshot()).panes[0].error).toBeNull();
  });

  it('falls back to the canvas 2D renderer when asked (?renderer=canvas) and still draws the scene', async () => {
    const ep = fixtureEpisode('cartpole');
    const second = await context.newPage();
    try {
      await second.setViewportSize({ width: 1400, height: 900 });
      await second.goto(`${server.url}?renderer=canvas#a=${encodeURIComponent(keyOf(ep))}`);
      await waitIdle(second);
      const pane = ((await second.evaluate(() => window.__tsgymViewer!.snapshot())) as unknown as Snapshot).panes[0];
      expect(pane.renderer).toBe('canvas');
      const img = decodePng(await second.locator('.pane canvas').first().screenshot());
      const marker = pane.probe!.marker!;
      expect(close(findColor(img, parseHex(marker.color)).x, marker.x, 3)).toBe(true);
      await second.screenshot({ path: join(ARTIFACTS, 'viewer-canvas-fallback.png') });
    } finally {
      await second.close();
    }
  });

  it('had no uncaught errors; the only console errors are the refused requests', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors.filter((m) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(m))).toEqual([]);
  });
});
