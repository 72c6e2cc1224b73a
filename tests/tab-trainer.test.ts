/**
 * The browser's training loop (render/tab-trainer.ts) run in Node: the same metrics as the harness for the
 * same seed and preset, byte for byte, and a .tar that `tar` unpacks into a run directory Node reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { loadAgentFromRun } from '../experiments/harness/agent-io.js';
import { train } from '../experiments/harness/trainer.js';
import { readReplayFile } from '../render/replay-io.js';
import { TabTrainer, tabRunConfig, tarArchive } from '../render/tab-trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgym-tab-trainer-'));
let backend = '';

beforeAll(async () => {
  backend = await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runTab(req: Parameters<typeof tabRunConfig>[0]): TabTrainer {
  const t = new TabTrainer(tabRunConfig(req, backend));
  let baseline = -1;
  while (!t.done) {
    t.tick();
    if (baseline < 0 && t.evals.length === 1) baseline = tf.memory().numTensors;
  }
  // No tensor leak over the run (counted from the first evaluation: updates and evals have run by then).
  expect(tf.memory().numTensors).toBe(baseline);
  return t;
}

describe('in-tab training loop (run in Node)', () => {
  it('DQN on GridWorld-4x4: the same metrics.jsonl as npm run train with the same seed and budget', async () => {
    const req = { agent: 'dqn', env: 'GridWorld-4x4', seed: 5, totalSteps: 2000, evalEvery: 1000, stopWhenSolved: false };
    const tab = runTab(req);
    const node = await train({
      agent: 'dqn', env: 'GridWorld-4x4', seed: 5, totalSteps: 2000, numEnvs: tab.config.numEnvs, evalEvery: 1000, evalEpisodes: tab.config.evalEpisodes, recordEpisodes: 2,
      checkpointEvery: tab.config.checkpointEvery, stopWhenSolved: false, logEvery: 1000, envKwargs: {}, hyperparams: tab.config.hyperparams, backend: 'wasm', outDir: dir, progress: 'none', verbose: false,
    });
    const files = await tab.files();
    expect(files.get('metrics.jsonl')).toBe(readFileSync(join(node.runDir, 'metrics.jsonl'), 'utf8'));
    expect(JSON.parse(files.get('config.json') as string).hyperparams).toEqual(node.config.hyperparams);
    // The recorded eval episodes are the harness's too (it gzips them; the tab writes plain JSON).
    const nodeEp = await readReplayFile(join(node.runDir, 'episodes', 'step-000002000', 'episode-0.json.gz'));
    expect(JSON.parse(files.get('episodes/step-000002000/episode-0.json') as string)).toEqual({ ...nodeEp, label: 'dqn step 2000 (in the tab)' });
    tab.dispose();
  });

  it('PPO on CartPole: the run packs into a .tar that tar unpacks into a run directory with a loadable best/ agent', async () => {
    const tab = runTab({ agent: 'ppo', env: 'CartPole-v1', seed: 2, totalSteps: 4096, evalEvery: 2048, evalEpisodes: 3 }); // the preset's first update is at 2048 steps
    const name = tab.runName();
    expect(name).toMatch(/^CartPole-v1__ppo__seed2__\d{8}-\d{6}$/);
    const tarFile = join(dir, `${name}.tar`);
    const bytes = tarArchive(name, await tab.files(), 1_700_000_000);
    expect(bytes.length % 512).toBe(0);
    writeFileSync(tarFile, bytes);
    const listing = execFileSync('tar', ['-tvf', tarFile], { encoding: 'utf8' });
    expect(listing).toMatch(/best\/state\/step-000000000\/state\.json/);
    execFileSync('tar', ['-xf', tarFile, '-C', dir]);
    const runDir = join(dir, name);
    expect(readdirSync(runDir).sort()).toEqual(['best', 'config.json', 'episodes', 'metrics.jsonl', 'summary.json']);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'finished', steps: 4096 });
    expect(summary.bestEval).not.toBeNull();
    // best/ holds the weights of the best evaluation, byte for byte, in the saveAgent layout.
    const { agent } = loadAgentFromRun(runDir, 'best');
    const blobs = agent.getState().blobs;
    for (const [k, v] of Object.entries(blobs)) expect(Buffer.from(v).equals(readFileSync(join(runDir, 'best', 'state', 'step-000000000', `${k}.bin`))), k).toBe(true);
    expect(agent.act(new Float32Array(4), 1, { greedy: true }).actions[0]).toBeGreaterThanOrEqual(0);
    agent.dispose();
    tab.dispose();
  });

  it('refuses what the harness refuses, with one clear line', () => {
    expect(() => new TabTrainer(tabRunConfig({ agent: 'dqn', env: 'LaneKeeperContinuous-v0', seed: 1 }, backend))).toThrow(/dqn does not support Box action spaces/);
    expect(() => tabRunConfig({ agent: 'ppo', env: 'NoSuchEnv', seed: 1 }, backend)).toThrow(/unknown env 'NoSuchEnv'/);
    expect(() => tabRunConfig({ agent: 'ppo', env: 'CartPole-v1', seed: -1 }, backend)).toThrow(/seed must be an integer from 0 to 2\^53/);
  });
});
