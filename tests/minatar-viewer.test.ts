/**
 * The MinAtar games in the browser: the key map (pure), and the play page in headless Chromium over a real
 * server — the minatar scene draws the grid, holding → moves Breakout's paddle right, F fires in Space
 * Invaders, and the page's episode re-runs in Node to the same frames. Screenshot: test-artifacts/minatar-play.png.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { rerunReplay } from '../render/viewer/src/live-episode.js';
import { parseReplay } from '../formats/replay-format.js';
import { keyControls } from '../render/viewer/src/keymap.js';
import { usePlayPage } from './helpers/viewer-page.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('MinAtar key map', () => {
  it('arrows move and F fires, mapped into each id\'s action set; nothing held is no-op', () => {
    const held = (...keys: string[]) => new Set(keys);
    const v0 = keyControls('MinAtar/Seaquest-v0', 'minatar', { type: 'Discrete', n: 6, start: 0 });
    expect(v0.mode).toBe('realtime');
    expect([held('ArrowLeft'), held('ArrowUp'), held('ArrowRight'), held('ArrowDown'), held('f'), held()].map((h) => v0.actionFor(h, false, 0))).toEqual([1, 2, 3, 4, 5, 0]);
    expect(v0.actionFor(held('ArrowLeft', 'f'), false, 0)).toBe(5);
    const breakout = keyControls('MinAtar/Breakout-v1', 'minatar', { type: 'Discrete', n: 3, start: 0 }); // no-op, left, right
    expect([held('ArrowLeft'), held('ArrowRight'), held('ArrowUp'), held()].map((h) => breakout.actionFor(h, false, 0))).toEqual([1, 2, 0, 0]);
    expect(breakout.keys).toEqual(['ArrowLeft', 'ArrowRight']);
    const invaders = keyControls('MinAtar/SpaceInvaders-v1', 'minatar', { type: 'Discrete', n: 4, start: 0 }); // no-op, left, right, fire
    expect([held('f'), held('ArrowRight'), held()].map((h) => invaders.actionFor(h, false, 0))).toEqual([3, 2, 0]);
    expect(invaders.help).toContain('F to fire');
  });
});

describe('MinAtar on the play page', () => {
  const play = usePlayPage('minatar-viewer');
  const pageErrors = play.pageErrors;
  const snap = play.snapshot;
  let page: Page;

  async function openPlay(envId: string, seed: number): Promise<void> {
    await play.open(`env=${encodeURIComponent(envId)}&seed=${seed}`);
    page = play.page();
  }

  async function holdFor(key: string, steps: number): Promise<void> {
    const n = (await snap()).length as number;
    await page.keyboard.down(key);
    await page.waitForFunction((k) => (window.__tsgymPlay!.snapshot().length as number) >= k, n + steps, { timeout: 20_000 });
    await page.keyboard.up(key);
  }

  it('Breakout: the scene draws the paddle; holding → moves it right; the episode re-runs in Node frame for frame', async () => {
    await openPlay('MinAtar/Breakout-v1', 4);
    const before = await snap();
    expect(before.envId).toBe('MinAtar/Breakout-v1');
    expect(before.pane.probe.kind).toBe('minatar');
    expect(before.pane.probe.unknown).toBeUndefined();
    const x0 = before.pane.probe.marker.x as number;
    await holdFor('ArrowRight', 4);
    const after = await snap();
    expect(after.pane.probe.marker.x).toBeGreaterThan(x0);
    await mkdir(join(REPO, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO, 'test-artifacts', 'minatar-play.png') });
    const replay = parseReplay(await page.evaluate(() => window.__tsgymPlay!.replayText()), 'minatar');
    expect(replay.steps.some((s) => s.action === 2)).toBe(true);
    expect(JSON.stringify(rerunReplay(replay))).toBe(JSON.stringify([replay.initialState, ...replay.steps.map((s) => s.state)]));
    expect(pageErrors).toEqual([]);
  });

  it('Space Invaders: F fires (action 3 of the minimal set) and a friendly bullet appears', async () => {
    await openPlay('MinAtar/SpaceInvaders-v1', 1);
    await holdFor('f', 2);
    const replay = parseReplay(await page.evaluate(() => window.__tsgymPlay!.replayText()), 'invaders');
    expect(replay.steps[0].action).toBe(3);
    const bulletBit = 1 << 4; // channel 4: friendly_bullet
    const frames = replay.steps.map((s) => (s.state as unknown as { cells: number[] }).cells);
    expect(frames.some((cells) => cells.some((c) => c & bulletBit))).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
