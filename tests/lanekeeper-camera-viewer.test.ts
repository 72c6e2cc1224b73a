/**
 * The lane keeper driven from its camera in the viewer: the env's render state carries the observation
 * (`kind: 'lanekeeper-camera'`, bytes round(255 · v)), and on the play page (headless Chromium, real server)
 * the lanekeeper-camera scene draws the road and, in an inset, exactly those bytes: the screenshot's inset
 * pixels equal the observation a Node env computes from the same seed and actions.
 * Screenshot: test-artifacts/lanekeeper-camera-play.png.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { make } from '../envs/registry.js';
import { cameraFrameBytes } from '../envs/lanekeeper-camera.js';
import type { LaneKeeperCameraRenderState } from '../envs/lanekeeper.js';
import { parseReplay } from '../formats/replay-format.js';
import { keyControls } from '../render/viewer/src/keymap.js';
import { usePlayPage } from './helpers/viewer-page.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

const bytesOf = (obs: Float32Array) => Uint8Array.from(obs, (v) => Math.round(255 * v));

describe('the camera in the render state', () => {
  it.each([
    ['LaneKeeper-v0', 0],
    ['LaneKeeperContinuous-v0', 0.2],
  ])('%s (sensorNoise %s): renderState().camera holds the observation the agent got, every step', (id, sensorNoise) => {
    const env = make(id, { obs: 'pixels', sensorNoise, difficulty: 2 });
    let obs = env.reset({ seed: 7 }).obs as Float32Array;
    for (let t = 0; t < 120; t++) {
      const s = env.renderState() as LaneKeeperCameraRenderState;
      expect(s.kind).toBe('lanekeeper-camera');
      expect(s.camera).toMatchObject({ height: 32, width: 32, channels: ['road', 'lane', 'path'] });
      expect(cameraFrameBytes(s.camera)).toEqual(bytesOf(obs));
      const r = env.step(env.actionSpace.type === 'Discrete' ? [4, 2, 0][Math.floor(t / 15) % 3] : Float32Array.of(Math.sin(t / 9)));
      obs = r.obs as Float32Array;
      if (r.terminated || r.truncated) obs = env.reset().obs as Float32Array;
    }
    env.close();
  });

  it('after setState (no noise) the camera is the observation the uninterrupted env gives; the state observation keeps the lanekeeper kind', () => {
    const a = make('LaneKeeper-v0', { obs: 'pixels' });
    a.reset({ seed: 3 });
    for (let t = 0; t < 10; t++) a.step(t < 4 ? 3 : 2);
    const b = make('LaneKeeper-v0', { obs: 'pixels' });
    b.reset({ seed: 99 });
    b.setState!(JSON.parse(JSON.stringify(a.getState!())));
    expect(b.renderState()).toEqual(a.renderState());
    const plain = make('LaneKeeper-v0');
    plain.reset({ seed: 1 });
    expect(plain.renderState().kind).toBe('lanekeeper');
    expect('camera' in plain.renderState()).toBe(false);
  });

  it('the play page keys steer the camera lane keeper like the plain one', () => {
    const discrete = keyControls('LaneKeeper-v0', 'lanekeeper-camera', { type: 'Discrete', n: 5, start: 0 });
    expect(discrete.actionFor(new Set(['ArrowLeft']), false, 0)).toBe(4);
    expect(discrete.actionFor(new Set(), false, 0)).toBe(2);
    const box = keyControls('LaneKeeperContinuous-v0', 'lanekeeper-camera', { type: 'Box', shape: [1], low: [-1], high: [1] });
    expect(Array.from(box.actionFor(new Set(['ArrowRight']), true, 0) as Float32Array)).toEqual([-0.5]);
  });
});

describe('the lane keeper camera on the play page', () => {
  const play = usePlayPage('camera-viewer');
  const pageErrors = play.pageErrors;
  const snap = play.snapshot;
  const page = () => play.page();

  /** The RGB bytes at CSS pixel (x, y) of the page's canvas, read from a screenshot (PNG decoded by the page). */
  async function screenshotPixels(points: { x: number; y: number }[]): Promise<number[][]> {
    const png = await page().screenshot({ path: join(REPO, 'test-artifacts', 'lanekeeper-camera-play.png') });
    return page().evaluate(
      async ({ dataUrl, points }) => {
        const canvasBox = document.querySelector('canvas')!.getBoundingClientRect();
        const img = new Image();
        img.src = dataUrl;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        return points.map((p) => Array.from(g.getImageData(Math.floor(canvasBox.left + p.x), Math.floor(canvasBox.top + p.y), 1, 1).data.slice(0, 3)));
      },
      { dataUrl: `data:image/png;base64,${png.toString('base64')}`, points },
    );
  }

  it('LaneKeeper-v0 with {"obs":"pixels"}: the road scene with the camera inset, pixel for pixel the observation; Shift+← steers', async () => {
    await play.open(`env=LaneKeeper-v0&seed=5&options=${encodeURIComponent('{"obs":"pixels"}')}`);
    const before = await snap();
    expect(before.pane.kind).toBe('lanekeeper-camera');
    expect(before.pane.probe.inset).toMatchObject({ width: 32, height: 32 });
    expect(before.pane.probe.marker).not.toBeNull(); // the road view's car is drawn too
    expect(await page().evaluate(() => location.hash)).toContain('options=');

    // Half left (Shift) for a few steps, then straight: the car stays on the road.
    await page().keyboard.down('Shift');
    await page().keyboard.down('ArrowLeft');
    await page().waitForFunction(() => (window.__tsgymPlay!.snapshot().length as number) >= 4, null, { timeout: 20_000 });
    await page().keyboard.up('ArrowLeft');
    await page().keyboard.up('Shift');
    await page().waitForFunction(() => (window.__tsgymPlay!.snapshot().length as number) >= 8, null, { timeout: 20_000 });
    await page().keyboard.press(' '); // pause, so the frame on screen stays the last one
    await page().waitForFunction(() => (window.__tsgymPlay!.snapshot().paused as boolean) === true);
    const replay = parseReplay(await page().evaluate(() => window.__tsgymPlay!.replayText()), 'camera play');
    expect(replay.envOptions).toEqual({ obs: 'pixels' });
    expect(replay.steps.slice(0, 4).every((s) => s.action === 3)).toBe(true);
    expect(replay.terminated).toBe(false);

    // The observation after the page's last step, computed in Node from the same seed and actions.
    const env = make('LaneKeeper-v0', { obs: 'pixels' });
    let obs = env.reset({ seed: 5 }).obs as Float32Array;
    for (const s of replay.steps) obs = env.step(s.action as number).obs as Float32Array;
    env.close();
    const expected = bytesOf(obs);
    expect(cameraFrameBytes((replay.steps.at(-1)!.state as unknown as LaneKeeperCameraRenderState).camera)).toEqual(expected);

    await mkdir(join(REPO, 'test-artifacts'), { recursive: true });
    const after = await snap();
    expect(after.pane.frame).toBe(replay.length);
    const { x, y, pixel } = after.pane.probe.inset as { x: number; y: number; pixel: number };
    expect(pixel).toBeGreaterThanOrEqual(3);
    const points: { x: number; y: number }[] = [];
    for (let r = 0; r < 32; r++) for (let c = 0; c < 32; c++) points.push({ x: x + (c + 0.5) * pixel, y: y + (r + 0.5) * pixel });
    const seen = await screenshotPixels(points);
    let differing = 0;
    for (let i = 0; i < 1024; i++) if (seen[i].some((v, ch) => v !== expected[3 * i + ch])) differing++;
    expect(differing, `inset pixels that differ from the observation (first: ${JSON.stringify(seen.find((v, i) => v.some((b, ch) => b !== expected[3 * i + ch])))})`).toBe(0);
    // The image is not blank: road, lane and path all show.
    for (let ch = 0; ch < 3; ch++) expect(expected.some((v, i) => i % 3 === ch && v >= 128), `channel ${ch}`).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('refuses options that are not a JSON object, in one line, and plays nothing', async () => {
    await play.open(`env=LaneKeeper-v0&seed=5&options=${encodeURIComponent('obs=pixels')}`);
    expect(await page().locator('#lab-error').textContent()).toBe('LaneKeeper-v0: env options must be a JSON object such as {"obs":"pixels"}, got obs=pixels');
    expect((await snap()).envId).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
