/**
 * The example page examples/exported-policy/ (plain HTML, TensorFlow.js from node_modules, no tsgym) loads a
 * CartPole policy exported with `tsgym export --format tfjs` and plays episodes in headless Chromium whose
 * lengths equal tsgym's greedy evaluation from the same starting states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { initBackend } from '../agents/backend.js';
import type { CartPoleEnv } from '../envs/cartpole.js';
import { make } from '../envs/registry.js';
import { train } from '../experiments/harness/trainer.js';
import { loadAgentFromRun } from '../experiments/harness/agent-io.js';
import { evaluate } from '../experiments/harness/evaluate.js';
import { presetFor } from '../experiments/presets.js';
import { exportPolicy } from '../experiments/export/export-policy.js';
import { launchChromium } from './helpers/chromium.js';
import { ROOT } from './helpers/cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-export-browser-'));
/** The exports of a solved run's best agent and of a short run's (a weaker policy, whose episodes end early). */
const exported = path.join(root, 'exports');
let server: http.Server;
let base = '';
let context: BrowserContext;
let page: Page;
const runs: Record<'solved' | 'short', string> = { solved: '', short: '' };

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream' };

/** Serves the example page, tfjs's browser bundle and the export (at /policy/), nothing else. */
function serve(): Promise<void> {
  const mounts: [string, string][] = [
    ['/examples/exported-policy/', path.join(ROOT, 'examples', 'exported-policy')],
    ['/node_modules/@tensorflow/tfjs/dist/', path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs', 'dist')],
    ['/exports/', exported],
  ];
  server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const mount = mounts.find(([prefix]) => url.startsWith(prefix));
    const file = mount && path.join(mount[1], url.slice(mount[0].length) || 'index.html');
    if (!mount || !file || !file.startsWith(mount[1]) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}

beforeAll(async () => {
  await initBackend('wasm');
  // PPO with its CartPole preset, stopped once a greedy evaluation averages 475.
  const preset = presetFor('ppo', 'CartPole-v1');
  for (const [kind, totalSteps] of [['solved', 30_000], ['short', 4096]] as const) {
    const r = await train({
      agent: 'ppo', env: 'CartPole-v1', seed: 4, totalSteps, numEnvs: preset.numEnvs, evalEvery: 5000, evalEpisodes: 5, recordEpisodes: 0, checkpointEvery: 5000,
      stopWhenSolved: true, logEvery: 5000, envKwargs: {}, hyperparams: preset.hyperparams, backend: 'wasm', outDir: path.join(root, 'runs'), progress: 'none', verbose: false,
    });
    runs[kind] = r.runDir;
    await exportPolicy(r.runDir, { format: 'tfjs', outDir: path.join(exported, kind), checkpoint: kind === 'solved' ? 'best' : 'latest' });
  }
  await serve();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ context, page } = await launchChromium({ width: 800, height: 600 }));
}, 600_000);

afterAll(async () => {
  await context?.close();
  server?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('the exported-policy example page', () => {
  for (const kind of ['solved', 'short'] as const) {
    it(`plays CartPole with the exported policy (${kind} run): each episode as long as tsgym's greedy eval from that seed`, async () => {
      const runDir = runs[kind];
      const { agent, step } = loadAgentFromRun(runDir, kind === 'solved' ? 'best' : 'latest');
      const lengths: { seed: number; tsgym: number; page: number }[] = [];
      for (const seed of [11, 12, 13, 14]) {
        const expected = (await evaluate(agent, { envId: 'CartPole-v1', envKwargs: {}, episodes: 1, seeds: [seed] })).lengths[0];
        // The page starts from the state tsgym's env resets to with this seed (float64, printed exactly).
        const env = make('CartPole-v1');
        env.reset({ seed });
        const state = Array.from((env.unwrapped as CartPoleEnv).state).map(String).join(',');
        env.close();
        await page.goto(`${base}/examples/exported-policy/?policy=/exports/${kind}/&state=${state}`);
        await page.waitForFunction(() => document.body.dataset.episodeLength !== undefined || document.body.dataset.error !== undefined, null, { timeout: 60_000 });
        expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
        const played = Number(await page.evaluate(() => document.body.dataset.episodeLength));
        expect(await page.textContent('#status')).toBe(`ppo (run ${path.basename(runDir)}, step ${step}): ${played} steps, ${played < 500 ? 'terminated' : 'truncated at 500'}`);
        lengths.push({ seed, tsgym: expected, page: played });
      }
      agent.dispose();
      console.log(`exported-policy page, ${kind} run (step ${step}): ${JSON.stringify(lengths)}`);
      for (const l of lengths) expect(l.page, `seed ${l.seed}`).toBe(l.tsgym);
      // The solved agent balances for long; the short run's episodes end early (both cases are covered).
      if (kind === 'solved') expect(Math.max(...lengths.map((l) => l.tsgym))).toBeGreaterThan(400);
      else expect(Math.min(...lengths.map((l) => l.tsgym))).toBeLessThan(500);
    }, 180_000);
  }
});
