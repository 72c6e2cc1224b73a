/**
 * The tuning-study page (study.html) in headless Chromium over a study written through the Study class with
 * synthetic scores (the page logic is what is tested, not training): every trial listed with its state, the
 * best-so-far curve equal to the running maximum of the values, importance that sums to at most 1 and ranks
 * the parameter that determines the value above one that does not, a trial appended while the page is open
 * shown without reload. Also the /api/studies routes and the importance helper.
 */
import { appendFile, cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunsResponse, StudiesResponse, StudyResponse } from '../formats/api-types.js';
import { Study, type StudySettings } from '../experiments/tune/study.js';
import type { RunningServer } from '../render/server/server.js';
import { bestSoFar, paramImportance } from '../render/viewer/src/study-data.js';
import { closeViewer, openViewer } from './helpers/viewer-page.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

const SETTINGS: StudySettings = {
  agent: 'ppo',
  env: 'CartPole-v1',
  space: { lr: { type: 'float', low: 1e-5, high: 1e-1, log: true }, noise: { type: 'float', low: 0, high: 1 }, activation: { type: 'categorical', choices: ['tanh', 'relu'] } },
  sampler: 'random',
  seed: 3,
  seedsPerTrial: 1,
  objective: 'last-quarter',
  pruner: 'none',
};
/** The synthetic objective: set by lr alone (log-linear), nothing of `noise`. */
const scoreOf = (params: Record<string, unknown>) => 100 + 20 * Math.log10(params.lr as number);

let root: string;
let runsDir: string;
let studyDir: string;
let study: Study;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

type Snap = { study: string | null; columns: string[]; rows: string[][]; bestSoFar: (number | null)[]; importance: Record<string, number>; slices: string[]; liveUpdates: number; status: string };
const snap = () => page.evaluate(() => window.__tsgymStudy!.snapshot()) as Promise<Snap>;

/** The trials as the file says (each trial's last line), read here without the server's or the page's code. */
async function fileTrials(): Promise<{ trial: number; state: string; value?: number }[]> {
  const lines = (await readFile(join(studyDir, 'trials.jsonl'), 'utf8')).trim().split('\n').slice(1).map((l) => JSON.parse(l) as { trial: number; state: string; value?: number });
  const last = new Map(lines.map((l) => [l.trial, l]));
  return [...last.values()].sort((a, b) => a.trial - b.trial);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsgym-viewer-study-'));
  runsDir = join(root, 'runs');
  studyDir = join(runsDir, 'tune-ppo');
  await mkdir(studyDir, { recursive: true });
  study = Study.open(studyDir, SETTINGS);
  for (let i = 0; i < 14; i++) {
    const t = study.next();
    if (i === 4) {
      study.report(t.trial, 512, 10);
      study.prune(t.trial);
    } else if (i === 7) study.fail(t.trial, 'the agent refused the config');
    else if (i < 13) study.complete(t.trial, [scoreOf(t.params)]);
    // trial 13 stays running
  }
  await mkdir(join(runsDir, 'not-a-study'), { recursive: true });
  ({ server, context, page } = await openViewer({ root, runsDir, width: 1300, height: 1000, pageErrors }));
}, 240_000);

afterAll(async () => {
  await closeViewer({ context, server }, root);
});

describe('study importance helper', () => {
  it('η² by binning: a parameter that sets the value explains it, one that does not explains little; sums ≤ 1', () => {
    const trials = Array.from({ length: 16 }, (_, i) => ({ kind: 'trial' as const, trial: i, state: 'complete' as const, seeds: [0], params: { a: i, b: (i * 7) % 16 < 8 ? 'x' : 'y', c: i % 2 }, value: i }));
    const imp = paramImportance(trials, ['a', 'b', 'c']);
    expect(imp.a).toBeGreaterThan(0.9);
    expect(imp.a).toBeGreaterThan(imp.c);
    expect(Object.values(imp).reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(1 + 1e-12);
    expect(bestSoFar([{ ...trials[0], value: 3 }, { ...trials[1], state: 'pruned', value: undefined }, { ...trials[2], value: 1 }, { ...trials[3], value: 5 }])).toEqual([3, 3, 3, 5]);
  });
});

describe('server: /api/studies', () => {
  it('lists study directories (not as runs), serves a study parsed as tune reads it, skips a torn last line, refuses non-studies and traversal', async () => {
    const list = (await (await fetch(`${server.url}api/studies`)).json()) as StudiesResponse;
    expect(list.studies.map((s) => s.id)).toEqual(['tune-ppo']);
    expect(list.studies[0].counts).toEqual({ complete: 11, pruned: 1, failed: 1, running: 1 });
    const runs = (await (await fetch(`${server.url}api/runs`)).json()) as RunsResponse;
    expect(runs.runs.map((r) => r.id)).not.toContain('tune-ppo');

    const one = (await (await fetch(`${server.url}api/studies/tune-ppo`)).json()) as StudyResponse;
    expect(one.trials.map((t) => [t.trial, t.state, t.value])).toEqual((await fileTrials()).map((t) => [t.trial, t.state, t.value]));

    // A copy with a torn last line (a write cut off): served without it.
    await cp(studyDir, join(runsDir, 'torn'), { recursive: true });
    await appendFile(join(runsDir, 'torn', 'trials.jsonl'), '{"kind":"trial","trial":14,"sta');
    const torn = (await (await fetch(`${server.url}api/studies/torn`)).json()) as StudyResponse;
    expect(torn.trials.length).toBe(14);
    // A damaged middle line is an error naming the file, not a silent drop.
    await cp(studyDir, join(runsDir, 'damaged'), { recursive: true });
    const text = (await readFile(join(runsDir, 'damaged', 'trials.jsonl'), 'utf8')).split('\n');
    text[3] = 'not json';
    await writeFile(join(runsDir, 'damaged', 'trials.jsonl'), text.join('\n'));
    const damaged = await fetch(`${server.url}api/studies/damaged`);
    expect(damaged.status).toBe(422);
    expect(((await damaged.json()) as { error: string }).error).toMatch(/damaged\/trials\.jsonl line 4 is damaged/);

    expect((await fetch(`${server.url}api/studies/not-a-study`)).status).toBe(404);
    expect((await fetch(`${server.url}api/studies/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}api/studies/not-a-study/events`)).status).toBe(404);
    expect((await fetch(`${server.url}api/studies/..%2F..%2Fetc`)).status).toBe(400);
    // A link inside the runs directory to a study outside it is refused, and not listed.
    await cp(studyDir, join(root, 'outside'), { recursive: true });
    await symlink(join(root, 'outside'), join(runsDir, 'link-out'));
    expect((await fetch(`${server.url}api/studies/link-out`)).status).toBe(403);
    expect(((await (await fetch(`${server.url}api/studies`)).json()) as StudiesResponse).studies.map((s) => s.id).sort()).toEqual(['torn', 'tune-ppo']);
    expect((await fetch(`${server.url}api/studies/tune-ppo/nothing`)).status).toBe(404);
  });
});

describe('study page in headless Chromium', () => {
  it('lists every trial with its state, value, params, per-seed scores and pruned-at step; sortable', async () => {
    await page.goto(`${server.url}study.html?s=tune-ppo`);
    await page.waitForFunction(() => (window.__tsgymStudy?.snapshot().rows.length ?? 0) > 0, null, { timeout: 20_000 });
    const s = await snap();
    expect(s.study).toBe('tune-ppo');
    expect(s.columns).toEqual(['trial', 'state', 'value', 'lr', 'noise', 'activation', 'per-seed scores', 'pruned at step']);
    const file = await fileTrials();
    expect(s.rows.map((r) => [Number(r[0]), r[1]])).toEqual(file.map((t) => [t.trial, t.state]));
    expect(s.rows[4][7]).toBe('512');
    expect(s.rows[13][1]).toBe('running');
    await page.click('#trials th[data-key="value"]');
    const sorted = (await snap()).rows;
    const byValue = file.filter((t) => t.value !== undefined).sort((a, b) => b.value! - a.value!);
    expect(sorted.slice(0, byValue.length).map((r) => Number(r[0]))).toEqual(byValue.map((t) => t.trial));
  });

  it('best-so-far curve is the running maximum of the values; importance ranks lr above noise and sums to ≤ 1; a slice per parameter', async () => {
    const s = await snap();
    let best: number | null = null;
    const expected = (await fileTrials()).map((t) => {
      if (t.state === 'complete' && (best === null || t.value! > best)) best = t.value!;
      return best;
    });
    expect(s.bestSoFar).toEqual(expected);
    expect(s.importance.lr).toBeGreaterThan(s.importance.noise);
    expect(s.importance.lr).toBeGreaterThan(0.5);
    expect(Object.values(s.importance).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-12);
    expect(s.slices).toEqual(['lr', 'noise', 'activation']);
    expect(await page.locator('#slices svg circle').count()).toBe(3 * 11);
    expect(await page.locator('#best-curve polyline').count()).toBe(1);
    await mkdir(join(REPO, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO, 'test-artifacts', 'viewer-study.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('follows the running study: a finished and a new trial appear without reload', async () => {
    const running = study.trials().find((t) => t.state === 'running')!;
    study.complete(running.trial, [scoreOf(running.params)]);
    const t = study.next();
    study.complete(t.trial, [scoreOf(t.params)]);
    await page.waitForFunction(() => window.__tsgymStudy!.snapshot().rows.length === 15, null, { timeout: 20_000 });
    const s = await snap();
    expect(s.liveUpdates).toBeGreaterThanOrEqual(1);
    expect(s.rows.filter((r) => r[1] === 'running')).toEqual([]);
    const file = await fileTrials();
    expect(s.rows.map((r) => Number(r[0])).sort((a, b) => a - b)).toEqual(file.map((f) => f.trial));
    expect(s.bestSoFar.length).toBe(15);
    expect(pageErrors).toEqual([]);
  });
});
