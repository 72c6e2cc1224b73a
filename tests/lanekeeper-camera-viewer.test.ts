/**
 * The lane keeper driven from its camera in the viewer: the env's render state carries the observation
 * (`kind: 'lanekeeper-camera'`, bytes round(255 · v)), and in headless Chromium over a real server the
 * lanekeeper-camera scene draws the road and, in an inset, exactly those bytes: on the play page the
 * screenshot's inset pixels equal the observation a Node env computes from the same seed and actions, and
 * in the replay viewer a recorded episode's inset equals each picked step's observation.
 * Screenshots: test-artifacts/lanekeeper-camera-play.png, test-artifacts/lanekeeper-camera-replay.png.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { make } from '../envs/registry.js';
import { cameraFrameBytes } from '../envs/lanekeeper-camera.js';
import type { LaneKeeperCameraRenderState } from '../envs/lanekeeper.js';
import { parseReplay } from '../formats/replay-format.js';
import { keyControls } from '../render/viewer/src/keymap.js';
import { writeReplayFile } from '../experiments/replay-io.js';
import { LiveEpisode } from '../render/viewer/src/live-episode.js';
import { decodePng, pixel } from './helpers/png.js';
import { pickEpisode, seekTimeline, usePlayPage } from './helpers/viewer-page.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

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

const RUN = 'LaneKeeper-v0__scripted__seed11__20260101-000000';
const EPISODE = 'step-000000000/episode-0.json';
/** The recorded episode's observations, frame by frame (frame 0 = after reset). */
const recorded: Float32Array[] = [];

/** A scripted camera episode (half left, then straight) written as a run's replay, as the trainer records one. */
async function writeCameraRun(runsDir: string): Promise<void> {
  const episode = new LiveEpisode({ envId: 'LaneKeeper-v0', envKwargs: { obs: 'pixels' }, seed: 11, agent: 'scripted' });
  recorded.push(episode.obs.slice());
  for (let t = 0; t < 12; t++) {
    episode.step(t < 5 ? 3 : 2);
    recorded.push(episode.obs.slice());
  }
  const runDir = join(runsDir, RUN);
  await writeReplayFile(join(runDir, 'episodes', EPISODE), episode.replay);
  await writeFile(join(runDir, 'config.json'), JSON.stringify({ agent: 'scripted', envId: 'LaneKeeper-v0', envKwargs: { obs: 'pixels' }, seed: 11, backend: 'none', totalSteps: 12, numEnvs: 1, hyperparams: {}, versions: {} }));
}

describe('the lane keeper camera in Chromium (play page and replay viewer)', () => {
  const play = usePlayPage('camera-viewer', writeCameraRun);
  const pageErrors = play.pageErrors;
  const snap = play.snapshot;
  const page = () => play.page();

  /** Counts the inset's pixels (read from a screenshot of the canvas) that differ from round(255 · obs). */
  async function insetDifferences(inset: { x: number; y: number; pixel: number }, obs: Float32Array, artifact?: string): Promise<number> {
    if (artifact) await page().screenshot({ path: join(ARTIFACTS, artifact) });
    const img = decodePng(await page().locator('canvas').first().screenshot());
    const expected = bytesOf(obs);
    let differing = 0;
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) {
        const seen = pixel(img, inset.x + c * inset.pixel + Math.floor(inset.pixel / 2), inset.y + r * inset.pixel + Math.floor(inset.pixel / 2));
        if (seen.some((v, ch) => v !== expected[3 * (r * 32 + c) + ch])) differing++;
      }
    }
    return differing;
  }

  it('play page, LaneKeeper-v0 with {"obs":"pixels"}: the road scene with the camera inset, pixel for pixel the observation; Shift+← steers', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
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
    expect(cameraFrameBytes((replay.steps.at(-1)!.state as unknown as LaneKeeperCameraRenderState).camera)).toEqual(bytesOf(obs));
    // The image is not blank: road, lane and path all show.
    for (let ch = 0; ch < 3; ch++) expect(bytesOf(obs).some((v, i) => i % 3 === ch && v >= 128), `channel ${ch}`).toBe(true);

    const after = await snap();
    expect(after.pane.frame).toBe(replay.length);
    expect(after.pane.probe.inset.pixel).toBeGreaterThanOrEqual(3);
    expect(await insetDifferences(after.pane.probe.inset, obs, 'lanekeeper-camera-play.png')).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('replay viewer: a recorded camera episode shows, at every frame picked, the observation of that step', async () => {
    await page().goto(play.server().url);
    await page().waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });
    await pickEpisode(page(), RUN, EPISODE);
    for (const t of [0, 7, 12]) {
      await seekTimeline(page(), t);
      const probe = ((await page().evaluate(() => window.__tsgymViewer!.snapshot())) as unknown as { panes: { probe: { kind: string; inset: { x: number; y: number; pixel: number } } }[] }).panes[0].probe;
      expect(probe.kind).toBe('lanekeeper-camera');
      expect(await insetDifferences(probe.inset, recorded[t], t === 7 ? 'lanekeeper-camera-replay.png' : undefined), `frame ${t}`).toBe(0);
    }
    // Frames differ, so the comparison sees the inset change.
    expect(bytesOf(recorded[0])).not.toEqual(bytesOf(recorded[12]));
    expect(pageErrors).toEqual([]);
  });

  it('refuses play options that are not a JSON object, in one line, and plays nothing', async () => {
    await play.open(`env=LaneKeeper-v0&seed=5&options=${encodeURIComponent('obs=pixels')}`);
    expect(await page().locator('#lab-error').textContent()).toBe('LaneKeeper-v0: env options must be a JSON object such as {"obs":"pixels"}, got obs=pixels');
    expect((await snap()).envId).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
