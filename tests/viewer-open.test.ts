/**
 * The replay viewer in headless Chromium, for what is not about a run directory's own replays: a replay
 * file opened with "open…" or dropped on the page (checked by the replay format's parser; a refused file
 * changes nothing), Space on a focused button, the steps a training run has done (from its metrics, while
 * its summary.json still says 0), and a shown run that is deleted.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayFile } from '../formats/replay-format.js';
import { readReplayFile, writeReplayFile } from '../experiments/replay-io.js';
import type { RunningServer } from '../render/server/server.js';
import { closeViewer, openViewer } from './helpers/viewer-page.js';
import { decodeGif } from './helpers/gif.js';
import { decodePng, findColor, parseHex } from './helpers/png.js';
import { writeFixtureRuns, type FixtureRuns } from './helpers/fixture-runs.js';

let root: string;
let runsDir: string;
let fixture: FixtureRuns;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
let cartpole: ReplayFile;
let second: ReplayFile;
const pageErrors: string[] = [];
/** A run that is training: summary.json says 0 steps, metrics.jsonl has reached 15,000. */
const TRAINING = 'CartPole-v1__ppo__seed9__20260101-000000';

type PaneSnap = { selection: { run: string; path: string } | null; kind: string | null; error: string | null; length: number | null; frame: number | null };
type Snap = { frame: number; playing: boolean; panes: PaneSnap[]; picker: { options: string[] }; live: { following: string[] }; lastOpen: { opened: number; refused: string[] } | null };
const snap = () => page.evaluate(() => window.__tsgymViewer!.snapshot()) as Promise<Snap>;
const settled = () => page.waitForFunction(() => window.__tsgymViewer?.ready === true && window.__tsgymViewer.busy === 0, null, { timeout: 20_000 });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsgym-viewer-open-'));
  runsDir = join(root, 'runs');
  fixture = await writeFixtureRuns(runsDir);
  const cart = fixture.byKind.get('cartpole')!;
  cartpole = await readReplayFile(join(runsDir, cart.run, 'episodes', cart.path));
  const other = fixture.episodes.find((e) => e.kind !== 'cartpole')!;
  second = await readReplayFile(join(runsDir, other.run, 'episodes', other.path));
  const dir = join(runsDir, TRAINING);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify({ agent: 'ppo', env: 'CartPole-v1', envId: 'CartPole-v1', seed: 9, totalSteps: 50_000, numEnvs: 8, evalEvery: 5000 }));
  await writeFile(join(dir, 'summary.json'), JSON.stringify({ status: 'running', steps: 0, wallSeconds: 0, finalEval: null, bestEval: null, solvedAtStep: null, solvedAtWallSeconds: null }));
  await writeFile(join(dir, 'metrics.jsonl'), [5000, 10000, 15000].map((step) => JSON.stringify({ kind: 'eval', step, mean: step / 100, std: 1, returns: [1], lengths: [1] })).join('\n') + '\n');
  await writeReplayFile(join(dir, 'episodes', 'step-000015000', 'episode-0.json.gz'), cartpole);
  ({ server, context, page } = await openViewer({ root, runsDir: runsDir, width: 1200, height: 900, acceptDownloads: true, pageErrors }));
}, 120_000);

afterAll(async () => {
  await closeViewer({ context, server }, root);
});

describe('opening a replay file', () => {
  it('open… takes a file the replay parser accepts into pane A and the picker; one it refuses changes nothing', async () => {
    await page.goto(server.url);
    await settled();
    const before = (await snap()).panes[0].selection;
    expect(before).not.toBeNull();

    await page.setInputFiles('#open-file-input', { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 'something-else', version: 1 })) });
    await page.waitForFunction(() => (window.__tsgymViewer!.snapshot() as Snap).lastOpen !== null);
    let s = await snap();
    expect(s.lastOpen).toEqual({ opened: 0, refused: [expect.stringMatching(/notes\.json.*format.*not a tsgym replay file/)] });
    expect(await page.textContent('#status')).toMatch(/^Not opened: .*notes\.json/);
    expect(s.panes[0].selection).toEqual(before);

    const name = 'CartPole-v1__human__seed3__downloaded.json';
    await page.setInputFiles('#open-file-input', { name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(cartpole)) });
    await page.waitForFunction((n) => (window.__tsgymViewer!.snapshot() as Snap).panes[0].selection?.path === n, name, { timeout: 10_000 });
    await settled();
    s = await snap();
    expect(s.panes[0]).toMatchObject({ selection: { run: '(opened file)', path: name }, kind: 'cartpole', error: null, length: cartpole.length });
    const option = s.picker.options.find((o) => o.endsWith(name))!;
    expect(option).toBe(`opened files (this tab only) › ${cartpole.envId} · ${cartpole.agent.name} · seed ${cartpole.seed} · return ${cartpole.return} · ${cartpole.length} steps — ${name}`);
    expect(await page.inputValue('#pick-a')).toBe(`(opened file)/${name}`);
    expect(await page.textContent('#run-info')).toContain('Opened from a file');
    // Not in the URL (a reload could not find it), not followed as a run, and it plays.
    expect(decodeURIComponent(new URL(page.url()).hash)).not.toContain('opened');
    expect(s.live.following).toEqual([]);
    await page.keyboard.press('End');
    expect((await snap()).frame).toBe(cartpole.length);
  });

  it('a gzipped replay dropped on the page opens too', async () => {
    const gz = gzipSync(JSON.stringify(second)).toString('base64');
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.json.gz', { type: 'application/gzip' }));
      document.body.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, gz);
    await page.waitForFunction(() => (window.__tsgymViewer!.snapshot() as Snap).panes[0].selection?.path === 'dropped.json.gz', null, { timeout: 10_000 });
    await settled();
    const s = await snap();
    expect(s.panes[0]).toMatchObject({ kind: fixture.episodes.find((e) => e.kind !== 'cartpole')!.kind, error: null, length: second.length });
    expect(s.picker.options.filter((o) => o.includes('— dropped.json.gz') || o.includes('downloaded.json'))).toHaveLength(2);
    expect(await page.evaluate(() => document.body.classList.contains('dropping'))).toBe(false);
  });
});

describe('keyboard and run info', () => {
  it('Space on a focused button presses that button; after a mouse click it plays and pauses', async () => {
    const cart = fixture.byKind.get('cartpole')!;
    await page.goto(`${server.url}#a=${encodeURIComponent(`${cart.run}/${cart.path}`)}`);
    await settled();
    await page.keyboard.press('Home');
    expect((await snap()).frame).toBe(0);
    await page.focus('#step-forward');
    await page.keyboard.press(' ');
    let s = await snap();
    expect(s.frame).toBe(1);
    expect(s.playing).toBe(false);
    await page.click('#play');
    expect((await snap()).playing).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id ?? '')).not.toBe('play');
    await page.keyboard.press(' ');
    s = await snap();
    expect(s.playing).toBe(false);
  });

  it('a run that is training shows the steps its metrics reached, not the 0 of its summary', async () => {
    await page.goto(`${server.url}#a=${encodeURIComponent(`${TRAINING}/step-000015000/episode-0.json.gz`)}`);
    await settled();
    await page.waitForFunction(() => document.querySelector('.info-steps-done')?.textContent === '15,000 (training)', null, { timeout: 10_000 });
    expect(await page.textContent('.info-status')).toBe('running');
    expect((await snap()).live.following).toEqual([TRAINING]);
  });

  it('PNG and GIF "with HUD" draw the step, action and its probabilities under the picture', async () => {
    // An episode whose 5th step has the values its action was chosen from.
    let ep = fixture.episodes[0];
    let replay = await readReplayFile(join(runsDir, ep.run, 'episodes', ep.path));
    for (const e of fixture.episodes.filter((x) => x.length > 5)) {
      const r = await readReplayFile(join(runsDir, e.run, 'episodes', e.path)).catch(() => null);
      if (r && (r.steps[4].probs ?? r.steps[4].qValues)) {
        [ep, replay] = [e, r];
        break;
      }
    }
    expect(replay.steps[4].probs ?? replay.steps[4].qValues).toBeDefined();
    await page.goto('about:blank');
    await page.goto(`${server.url}#a=${encodeURIComponent(`${ep.run}/${ep.path}`)}`);
    await settled();
    await page.keyboard.press('Home');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    const png = async () => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
      return decodePng(await readFile((await d.path())!));
    };
    const plain = await png();
    await page.check('#export-hud');
    const hud = await png();
    expect(hud.width).toBe(plain.width);
    expect(hud.height).toBeGreaterThan(plain.height + 20);
    const strip = { ...hud, height: hud.height - plain.height, data: hud.data.subarray(plain.height * hud.width * 4) };
    // The chosen action's bar, in the viewer's accent colour, when the replay has the values it was chosen from.
    expect(findColor(strip, parseHex('#1c7ed6')).count).toBeGreaterThan(50);
    const [g] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#export-gif')]);
    const gif = decodeGif(await readFile((await g.path())!));
    expect(gif.height).toBeGreaterThan(Math.round((gif.width * plain.height) / plain.width) + 20);
    await page.uncheck('#export-hud');
  }, 90_000);

  it('browse… lists the runs as groups and searches them; a click opens the episode', async () => {
    await page.goto('about:blank');
    await page.goto(server.url);
    await settled();
    await page.click('#browse');
    expect(await page.isVisible('#browser')).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('browse-filter');
    type Browser = { open: boolean; runs: number; episodes: number; more: number };
    const all = ((await snap()) as unknown as { browser: Browser }).browser;
    const served = (await (await fetch(`${server.url}api/episodes`)).json()) as { groups: { run: string; episodes: unknown[] }[] };
    expect(all.runs).toBe(new Set(served.groups.map((g) => g.run)).size);
    expect(all.episodes).toBe(served.groups.reduce((n, g) => n + g.episodes.length, 0));
    expect(await page.$$eval('#browse-list summary', (ss) => ss.map((s) => s.textContent ?? '')).then((t) => t.some((x) => x.startsWith('CartPole-v1 · heuristic · seed 1 — ')))).toBe(true);
    const target = fixture.episodes.find((e) => e.kind !== 'cartpole' && e.checkpointStep > 0)!;
    await page.fill('#browse-filter', `${target.envId} eval @ ${target.checkpointStep.toLocaleString('en')}`);
    const narrowed = ((await snap()) as unknown as { browser: Browser }).browser;
    expect(narrowed.runs).toBeGreaterThanOrEqual(1);
    expect(narrowed.episodes).toBeLessThan(all.episodes);
    const texts = await page.$$eval('#browse-list details[open] .episodes button', (bs) => bs.map((b) => b.getAttribute('title') ?? ''));
    expect(texts.every((t) => t.includes(target.envId) && t.includes(`eval @ ${target.checkpointStep.toLocaleString('en')}`))).toBe(true);
    await page.click(`#browse-list button[data-key="${target.run}/${target.path}"]`);
    await settled();
    const s = await snap();
    expect(s.panes[0].selection).toEqual({ run: target.run, path: target.path });
    expect(await page.isVisible('#browser')).toBe(false);
  });

  it('at 800×600 the replay, its controls and the learning curve are all above the fold', async () => {
    const cart = fixture.byKind.get('cartpole')!;
    await page.setViewportSize({ width: 800, height: 600 });
    await page.goto('about:blank');
    await page.goto(`${server.url}#a=${encodeURIComponent(`${cart.run}/${cart.path}`)}`);
    await settled();
    await page.waitForFunction(() => document.querySelector('#chart canvas') !== null, null, { timeout: 10_000 });
    for (const sel of ['.pane canvas', '#transport', '#chart canvas']) {
      const box = (await page.locator(sel).first().boundingBox())!;
      expect(box.y + box.height, `${sel} bottom`).toBeLessThanOrEqual(600);
      expect(box.x + box.width, `${sel} right`).toBeLessThanOrEqual(800);
    }
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it('a shown run that is deleted stops playing and says so; the picker keeps naming it', async () => {
    const cart = fixture.byKind.get('cartpole')!;
    const doomed = 'CartPole-v1__heuristic__seed7__20260101-000500';
    await cp(join(runsDir, cart.run), join(runsDir, doomed), { recursive: true });
    await page.goto('about:blank');
    await page.goto(`${server.url}#a=${encodeURIComponent(`${doomed}/${cart.path}`)}`);
    await settled();
    expect((await snap()).panes[0]).toMatchObject({ selection: { run: doomed }, kind: 'cartpole', error: null });
    await page.click('#play');
    expect((await snap()).playing).toBe(true);
    await page.waitForTimeout(1200); // the live stream's first report of the runs list
    await rm(join(runsDir, doomed), { recursive: true });
    await page.waitForFunction(() => /no longer in the runs directory/.test((window.__tsgymViewer!.snapshot() as Snap).panes[0].error ?? ''), null, { timeout: 15_000 });
    const s = await snap();
    expect(s.playing).toBe(false);
    expect(s.panes[0].selection).toEqual({ run: doomed, path: cart.path });
    expect(await page.$eval('#pick-a', (e) => (e as HTMLSelectElement).selectedOptions[0]?.text ?? '')).toBe(`${doomed}/${cart.path} (deleted)`);
    expect(pageErrors).toEqual([]);
  });
});
