/**
 * The browser's trainer (render/viewer/src/tab-trainer.ts: the harness's training loop with a memory sink) run in Node:
 * the same metrics, summary and best agent as `train()` (the loop with the run-directory sink) for the same
 * seed and config, byte for byte, and a .tar that `tar` unpacks into a run directory Node reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../agents/backend.js';
import { loadAgentFromRun } from '../experiments/harness/agent-io.js';
import { train } from '../experiments/harness/trainer.js';
import { trainOptionsFromArgs, trainSpecFromArgs } from '../experiments/commands/train.js';
import { packageInfo } from '../experiments/package-info.js';
import { PRESETS } from '../experiments/presets.js';
import { readReplayFile } from '../experiments/replay-io.js';
import { TabTrainer, tabRunConfig, tabRunSpec } from '../render/viewer/src/tab-trainer.js';
import { tarArchive } from '../render/viewer/src/tar.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgym-tab-trainer-'));
let backend = '';

beforeAll(async () => {
  backend = await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const place = () => ({ backend, tsgymVersion: packageInfo().version });

async function runTab(req: Parameters<typeof tabRunConfig>[0]): Promise<TabTrainer> {
  const t = new TabTrainer(tabRunConfig(req, place()));
  let baseline = -1;
  while (!t.done) {
    await t.trainFor(0); // one vector step per call
    if (baseline < 0 && t.run.evals.length === 1) baseline = tf.memory().numTensors;
  }
  // No tensor leak over the run (counted from the first evaluation: updates and evals have run by then).
  expect(tf.memory().numTensors).toBe(baseline);
  return t;
}

/** `train()` on the tab run's own config (same seed, budget, schedules and resolved hyperparameters). */
function trainLikeTab(tab: TabTrainer) {
  const c = tab.config;
  return train({
    agent: c.agent, env: c.envId, seed: c.seed, totalSteps: c.totalSteps, numEnvs: c.numEnvs, evalEvery: c.evalEvery, evalEpisodes: c.evalEpisodes, recordEpisodes: c.recordEpisodes,
    checkpointEvery: c.checkpointEvery, stopWhenSolved: c.stopWhenSolved, logEvery: c.logEvery, envKwargs: c.envKwargs, hyperparams: c.hyperparams, rewardThreshold: c.rewardThreshold ?? undefined,
    backend: 'wasm', outDir: dir, progress: 'none', verbose: false,
  });
}

describe('in-tab training loop (run in Node)', () => {
  it('DQN on GridWorld-4x4: the same metrics.jsonl as npm run train with the same seed and budget', async () => {
    const req = { agent: 'dqn', env: 'GridWorld-4x4', seed: 5, totalSteps: 2000, evalEvery: 1000, stopWhenSolved: false };
    const tab = await runTab(req);
    const node = await trainLikeTab(tab);
    const files = await tab.run.files();
    expect(files.get('metrics.jsonl')).toBe(readFileSync(join(node.runDir, 'metrics.jsonl'), 'utf8'));
    expect(JSON.parse(files.get('config.json') as string).hyperparams).toEqual(node.config.hyperparams);
    // The recorded eval episodes are the harness's too (it gzips them; the tab writes plain JSON).
    const nodeEp = await readReplayFile(join(node.runDir, 'episodes', 'step-000002000', 'episode-0.json.gz'));
    expect(JSON.parse(files.get('episodes/step-000002000/episode-0.json') as string)).toEqual({ ...nodeEp, label: 'dqn step 2000 (in the tab)' });
    tab.dispose();
  });

  it('resolves its run as npm run train does: the same spec for every (agent, env) preset (code fingerprint aside)', () => {
    const pairs = Object.entries(PRESETS).flatMap(([agent, envs]) => Object.keys(envs).map((env) => [agent, env] as const));
    expect(pairs.length).toBeGreaterThan(20);
    for (const [agent, env] of pairs) {
      const viaTrain = trainSpecFromArgs({ agent, env, seed: '3', backend: 'wasm', set: [], 'env-set': [], progress: 'none' });
      expect(tabRunSpec({ agent, env, seed: 3 }), `${agent} ${env}`).toEqual({ ...viaTrain, fingerprint: null });
    }
    // The preset's own threshold, which a hand-built config lost.
    expect(tabRunConfig({ agent: 'sac', env: 'Pendulum-v1', seed: 0 }, place())).toMatchObject({ rewardThreshold: -200, stopWhenSolved: true, recordEpisodes: 1, tsgymVersion: packageInfo().version });
  });

  it("DQN on GridWorld-4x4: config.json and metrics.jsonl equal npm run train's for the same flags (where it ran aside)", async () => {
    const tab = await runTab({ agent: 'dqn', env: 'GridWorld-4x4', seed: 5, totalSteps: 1000, evalEvery: 500, stopWhenSolved: false, hyperparams: { learningStarts: 200 } });
    const node = await train(
      trainOptionsFromArgs({ agent: 'dqn', env: 'GridWorld-4x4', seed: '5', steps: 1000, 'eval-every': 500, 'stop-when-solved': false, set: ['learningStarts=200'], 'env-set': [], backend: 'wasm', out: dir, progress: 'none' }),
    );
    const files = await tab.run.files();
    const { versions: _v, createdAt: _c, trainedIn, ...tabConfig } = JSON.parse(files.get('config.json') as string);
    const { versions: _w, createdAt: _d, fingerprint, ...nodeConfig } = JSON.parse(readFileSync(join(node.runDir, 'config.json'), 'utf8'));
    expect(trainedIn).toBe('browser');
    expect(fingerprint).toBeDefined();
    expect(tabConfig).toEqual(nodeConfig);
    expect(files.get('metrics.jsonl')).toBe(readFileSync(join(node.runDir, 'metrics.jsonl'), 'utf8'));
    tab.dispose();
  });

  it('PPO on CartPole: the run packs into a .tar that tar unpacks into a run directory with a loadable best/ agent', async () => {
    const tab = await runTab({ agent: 'ppo', env: 'CartPole-v1', seed: 2, totalSteps: 4096, evalEvery: 2048, evalEpisodes: 3 }); // the preset's first update is at 2048 steps
    const name = tab.run.runName();
    expect(name).toMatch(/^CartPole-v1__ppo__seed2__\d{8}-\d{6}$/);
    const tarFile = join(dir, `${name}.tar`);
    const bytes = tarArchive(name, await tab.run.files(), 1_700_000_000);
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
    const blobs = agent.getState({ replay: false }).blobs; // a policy: no rollout
    for (const [k, v] of Object.entries(blobs)) expect(Buffer.from(v).equals(readFileSync(join(runDir, 'best', 'state', 'step-000000000', `${k}.bin`))), k).toBe(true);
    expect(agent.act(new Float32Array(4), 1, { greedy: true }).actions[0]).toBeGreaterThanOrEqual(0);
    agent.dispose();
    tab.dispose();
  });

  // One on-policy and one off-policy agent on a Box action space: metrics, summary and best agent equal.
  for (const req of [
    { agent: 'ppo', env: 'Pendulum-v1', seed: 4, totalSteps: 1024, numEnvs: 2, evalEvery: 512, evalEpisodes: 2, recordEpisodes: 1, hyperparams: { numSteps: 128 }, stopWhenSolved: false, logEvery: 256 },
    { agent: 'sac', env: 'Pendulum-v1', seed: 4, totalSteps: 500, numEnvs: 1, evalEvery: 250, evalEpisodes: 2, recordEpisodes: 1, hyperparams: { learningStarts: 150, batchSize: 64 }, stopWhenSolved: false, logEvery: 100 },
  ]) {
    it(`${req.agent.toUpperCase()} on Pendulum: the tab's loop and train() give the same metrics, summary and best agent`, async () => {
      const tab = await runTab(req);
      const node = await trainLikeTab(tab);
      const files = await tab.run.files();
      const nodeMetrics = readFileSync(join(node.runDir, 'metrics.jsonl'), 'utf8');
      expect(nodeMetrics.split('\n').filter((l) => l.includes('"kind":"update"')).length).toBeGreaterThan(1);
      expect(files.get('metrics.jsonl')).toBe(nodeMetrics);
      const { wallSeconds: _a, solvedAtWallSeconds: _b, ...tabSummary } = JSON.parse(files.get('summary.json') as string);
      const { wallSeconds: _c, solvedAtWallSeconds: _d, ...nodeSummary } = node.summary;
      expect(tabSummary).toEqual(nodeSummary);
      expect(tabSummary).toMatchObject({ status: 'finished', steps: req.totalSteps });
      const blobs = [...files.keys()].filter((f) => f.startsWith('best/state/step-000000000/') && f.endsWith('.bin'));
      expect(blobs.length).toBeGreaterThan(0);
      for (const f of blobs) expect(Buffer.from(files.get(f) as Uint8Array).equals(readFileSync(join(node.runDir, f))), f).toBe(true);
      tab.dispose();
    });
  }

  it('a run stopped from the page ends interrupted at the step it reached', async () => {
    const tab = new TabTrainer(tabRunConfig({ agent: 'sac', env: 'Pendulum-v1', seed: 1, totalSteps: 400, evalEvery: 200, evalEpisodes: 1, hyperparams: { learningStarts: 100, batchSize: 32 } }, place()));
    for (let k = 0; k < 50; k++) await tab.trainFor(0);
    tab.stop('stopped from the training page before its budget');
    expect(tab.done).toBe(true);
    expect(tab.summary).toMatchObject({ status: 'interrupted', steps: 50, message: 'stopped from the training page before its budget' });
    expect(await tab.trainFor(0)).toEqual([]);
    expect(tab.step).toBe(50);
    tab.dispose();
  });

  it('the training loop, the tab trainer and formats/ load no Node module (type-only imports aside): the worker bundles them', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // Value imports and re-exports; `import type` is erased by the bundler.
      for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/g)) {
        const spec = m[2];
        expect(spec.startsWith('node:'), `${file} imports ${spec}`).toBe(false);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(resolve(import.meta.dirname, '..', 'render', 'viewer', 'src', 'tab-trainer.ts'));
    expect([...seen].some((f) => f.endsWith(join('experiments', 'harness', 'training-loop.ts')))).toBe(true);
    expect([...seen].some((f) => f.endsWith(join('experiments', 'harness', 'memory-sink.ts')))).toBe(true);
    expect([...seen].some((f) => f.endsWith(join('formats', 'run-spec.ts')))).toBe(true);
    // Every format module is Node-free, whoever imports it (the viewer's pages bundle them).
    const formatsDir = resolve(import.meta.dirname, '..', 'formats');
    const modules = readdirSync(formatsDir).filter((f) => f.endsWith('.ts'));
    expect(modules).toEqual(expect.arrayContaining(['run-format.ts', 'run-spec.ts', 'replay-format.ts', 'api-types.ts', 'comparison.ts']));
    for (const f of modules) visit(join(formatsDir, f));
  });

  it('refuses what the harness refuses, with one clear line', () => {
    expect(() => new TabTrainer(tabRunConfig({ agent: 'dqn', env: 'LaneKeeperContinuous-v0', seed: 1 }, place()))).toThrow(/dqn does not support Box action spaces/);
    expect(() => tabRunConfig({ agent: 'ppo', env: 'NoSuchEnv', seed: 1 }, place())).toThrow(/unknown env 'NoSuchEnv'/);
    expect(() => tabRunConfig({ agent: 'ppo', env: 'CartPole-v1', seed: -1 }, place())).toThrow(/seed must be an integer from 0 to 2\^53/);
  });
});
