/**
 * The generic scene in headless Chromium: a replay of an env the viewer has no scene for is drawn from its
 * render state — numbers as a labelled table, a list of numbers as bars (scaled over the episode), a grid of
 * [r, g, b] as pixels — checked on the canvas pixels; a render state with nothing numeric keeps the
 * "no scene" message.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_FORMAT, type ReplayFile } from '../formats/replay-format.js';
import { writeReplayFile } from '../experiments/replay-io.js';
import type { RunningServer } from '../render/server/server.js';
import type { RenderState } from '../envs/core.js';
import { decodePng, parseHex, pixel } from './helpers/png.js';
import { closeViewer, openViewer, seekTimeline } from './helpers/viewer-page.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

let root: string;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const RUN = 'Catch-v0__scripted__seed0__20260101-000000';
const EPISODES = 'step-000000000';

/** Frame t of a made-up env: a ball falling, an observation vector, and a 3 × 4 RGB picture with one red cell moving right. */
function state(t: number): RenderState {
  const pixels = Array.from({ length: 3 }, (_, r) => Array.from({ length: 4 }, (_, c) => (r === 1 && c === t ? [255, 0, 0] : [0, 0, 255 * ((r + c) % 2)])));
  return { kind: 'catch', ballRow: t, paddle: 2, caught: false, obs: [t / 3, -1, 0.5], pixels, note: 'scripted' };
}

function replay(kind: 'catch' | 'words'): ReplayFile {
  const frame = (t: number): RenderState => (kind === 'catch' ? state(t) : { kind: 'words', mood: `step ${t}` });
  return {
    format: REPLAY_FORMAT,
    version: 1,
    envId: kind === 'catch' ? 'Catch-v0' : 'Words-v0',
    envOptions: {},
    seed: 0,
    resetOptions: null,
    agent: { name: 'scripted', checkpointStep: 0 },
    actionSpace: { type: 'Discrete', n: 3, start: 0 },
    initialState: frame(0),
    steps: [1, 2, 3].map((t) => ({ action: 1, reward: t === 3 ? 1 : 0, terminated: t === 3, truncated: false, state: frame(t) })),
    return: 1,
    length: 3,
    terminated: true,
    truncated: false,
  };
}

interface Probe {
  kind: string;
  generic?: boolean;
  message: string;
  table?: string;
  obs?: { shape: 'bars'; bars: { x: number; y: number; h: number }[] };
  pixels?: { shape: 'image'; origin: { x: number; y: number }; cell: number; rows: number; cols: number };
}

const paneProbe = async () => ((await page.evaluate(() => window.__tsgymViewer!.snapshot())) as unknown as { panes: { probe: Probe }[] }).panes[0].probe;

async function pick(path: string): Promise<void> {
  await page.selectOption('#pick-a', `${RUN}/${path}`);
  await page.waitForFunction((p) => {
    const v = window.__tsgymViewer;
    const pane = (v?.snapshot().panes as { selection?: { path: string } }[] | undefined)?.[0];
    return v?.busy === 0 && pane?.selection?.path === p;
  }, path, { timeout: 20_000 });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsgym-viewer-generic-'));
  const runDir = join(root, 'runs', RUN);
  await writeReplayFile(join(runDir, 'episodes', EPISODES, 'episode-0.json'), replay('catch'));
  await writeReplayFile(join(runDir, 'episodes', EPISODES, 'episode-1.json'), replay('words'));
  await writeFile(join(runDir, 'config.json'), JSON.stringify({ agent: 'scripted', envId: 'Catch-v0', envKwargs: {}, seed: 0, backend: 'none', totalSteps: 3, numEnvs: 1, hyperparams: {}, versions: {} }));
  ({ server, context, page } = await openViewer({ root, runsDir: join(root, 'runs'), width: 1000, height: 700, pageErrors }));
  await page.goto(server.url);
  await page.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
}, 90_000);

afterAll(async () => {
  await closeViewer({ context, server }, root);
});

describe('the generic scene', () => {
  it('draws numbers as a table, a number list as bars and a grid of [r, g, b] as pixels, frame by frame', async () => {
    await pick(`${EPISODES}/episode-0.json`);
    for (const t of [0, 2]) {
      await seekTimeline(page, t);
      const probe = await paneProbe();
      expect(probe.kind).toBe('catch');
      expect(probe.generic).toBe(true);
      expect(probe.message).toMatch(/No scene draws render kind 'catch' \(env Catch-v0\)/);
      expect(probe.table).toMatch(new RegExp(`ballRow\\s+${t}\\n`));
      expect(probe.table).toMatch(/paddle\s+2/);
      expect(probe.table).toMatch(/caught\s+false/);
      expect(probe.table).toMatch(/note\s+scripted/);

      const img = decodePng(await page.locator('.pane canvas').first().screenshot());
      // Bars: obs[0] = t/3 grows up from the axis (the episode's largest magnitude, 1, fills half the panel), obs[1] = −1 hangs below it.
      const [b0, b1] = probe.obs!.bars;
      expect(b1.h).toBeLessThan(0);
      if (t === 0) expect(b0.h).toBe(0);
      else {
        expect(b0.h).toBeCloseTo((2 / 3) * -b1.h, 5);
        expect(pixel(img, Math.round(b0.x), Math.round(b0.y + b0.h / 2))).toEqual(parseHex('#2f7dd1'));
      }
      expect(pixel(img, Math.round(b1.x), Math.round(b1.y + b1.h / 2))).toEqual(parseHex('#d1572f'));
      // Pixels: the red cell is in row 1, column t.
      const { origin, cell } = probe.pixels!;
      const centre = (r: number, c: number) => pixel(img, Math.round(origin.x + (c + 0.5) * cell), Math.round(origin.y + (r + 0.5) * cell));
      expect(cell).toBeGreaterThan(4);
      expect(centre(1, t)).toEqual([255, 0, 0]);
      expect(centre(1, t + 1)).not.toEqual([255, 0, 0]);
      expect(centre(0, 1)).toEqual([0, 0, 255]);
    }
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-generic.png') });
  });

  it('keeps the "no scene" message for a render state with nothing numeric in it', async () => {
    await pick(`${EPISODES}/episode-1.json`);
    const probe = await paneProbe();
    expect(probe.kind).toBe('words');
    expect(probe.generic).toBeUndefined();
    expect(probe.message).toMatch(/No scene draws render kind 'words' \(env Words-v0\)/);
    expect(pageErrors).toEqual([]);
  });
});
