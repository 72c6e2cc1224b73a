import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf } from '../agents/backend.js';
import { train } from '../experiments/harness/trainer.js';
import { loadAgent, loadAgentFromRun, saveAgent } from '../experiments/harness/agent-io.js';
import { buildCli } from '../experiments/cli.js';
import { readReplayFile } from '../experiments/replay-io.js';
import { make } from '../envs/registry.js';
import { STREAMS, streamSeed } from '../core/seeds.js';

let runDir = '';
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-agent-io-'));

beforeAll(async () => {
  await initBackend('wasm');
  const r = await train({
    agent: 'dqn', env: 'cartpole', seed: 4, totalSteps: 1200, numEnvs: 4, evalEvery: 600, evalEpisodes: 2, recordEpisodes: 1, checkpointEvery: 600,
    stopWhenSolved: false, logEvery: 400, envKwargs: {}, hyperparams: { learningStarts: 200 }, backend: 'wasm', outDir: out, progress: 'none', verbose: false,
  });
  runDir = r.runDir;
});

describe('agents outside the training loop', () => {
  it('the run directory holds config, metrics, summary, checkpoints and eval replays', () => {
    const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ agent: 'dqn', envId: 'CartPole-v1', seed: 4, backend: 'wasm', totalSteps: 1200 });
    expect(config.hyperparams.learningStarts).toBe(200);
    expect(config.versions['@tensorflow/tfjs']).toMatch(/^\d/);
    const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'eval').map((l) => l.step)).toEqual([600, 1200]);
    expect(lines.some((l) => l.kind === 'episode')).toBe(true);
    expect(lines.some((l) => l.kind === 'update' && Number.isFinite(l.loss))).toBe(true);
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'finished', steps: 1200 });
    expect(summary.finalEval.step).toBe(1200);
    expect(fs.readdirSync(path.join(runDir, 'episodes'))).toEqual(['step-000000600', 'step-000001200']);
  });

  it("keeps the agent of the best evaluation in best/, loadable by name", () => {
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    const { agent, step } = loadAgentFromRun(runDir, 'best');
    expect(step).toBe(summary.bestEval.step);
    expect(agent.name).toBe('dqn');
    agent.dispose();
  });

  it('best/ is a policy: no replay buffer, while the checkpoint of the same step has one; both act the same', () => {
    const filesUnder = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
    const step = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).bestEval.step as number;
    const checkpointDir = path.join(runDir, 'checkpoints', `step-${String(step).padStart(9, '0')}`);
    expect(filesUnder(checkpointDir).some((f) => f.includes('replay.'))).toBe(true);
    expect(filesUnder(path.join(runDir, 'best')).filter((f) => f.includes('replay.'))).toEqual([]);
    const best = loadAgentFromRun(runDir, 'best').agent;
    const atStep = loadAgentFromRun(runDir, step).agent;
    const obs = Float32Array.from({ length: 40 }, (_, i) => Math.cos(i) * 0.2);
    expect(Array.from(best.act(obs, 10, { greedy: true }).qValues!)).toEqual(Array.from(atStep.act(obs, 10, { greedy: true }).qValues!));
    best.dispose();
    atStep.dispose();
  });

  it("an on-policy agent's best/ has no rollout; it loads with an empty one and acts as the checkpoint of its step", async () => {
    const r = await train({
      agent: 'ppo', env: 'cartpole', seed: 2, totalSteps: 1024, numEnvs: 2, evalEvery: 512, evalEpisodes: 2, recordEpisodes: 0, checkpointEvery: 512,
      stopWhenSolved: false, logEvery: 512, envKwargs: {}, hyperparams: { numSteps: 128, numMinibatches: 2 }, backend: 'wasm', outDir: path.join(out, 'ppo'), progress: 'none', verbose: false,
    });
    const filesUnder = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
    const step = JSON.parse(fs.readFileSync(path.join(r.runDir, 'summary.json'), 'utf8')).bestEval.step as number;
    expect(filesUnder(path.join(r.runDir, 'checkpoints', `step-${String(step).padStart(9, '0')}`)).some((f) => f.includes('rollout.'))).toBe(true);
    expect(filesUnder(path.join(r.runDir, 'best')).filter((f) => f.includes('rollout.') || f.includes('pending.'))).toEqual([]);
    const best = loadAgentFromRun(r.runDir, 'best').agent;
    const atStep = loadAgentFromRun(r.runDir, step).agent;
    const obs = Float32Array.from({ length: 40 }, (_, i) => Math.cos(i) * 0.2);
    expect(Array.from(best.act(obs, 10, { greedy: true }).probs!)).toEqual(Array.from(atStep.act(obs, 10, { greedy: true }).probs!));
    best.dispose();
    atStep.dispose();
  });

  it('saveAgent/loadAgent round trip acts identically', () => {
    const { agent } = loadAgentFromRun(runDir);
    const dir = path.join(out, 'saved');
    saveAgent(agent, dir);
    const loaded = loadAgent(dir);
    const obs = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i) * 0.1);
    const a = agent.act(obs, 10, { greedy: true });
    const b = loaded.act(obs, 10, { greedy: true });
    expect(Array.from(b.actions)).toEqual(Array.from(a.actions));
    expect(Array.from(b.qValues!)).toEqual(Array.from(a.qValues!));
    const before = tf.memory().numTensors;
    agent.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('record writes faithful replays from a checkpoint, and rejects a missing checkpoint', async () => {
    await buildCli(['record', '--run', runDir, '--checkpoint', '600', '--episodes', '2', '--seed', '11', '--backend', 'wasm']).parseAsync();
    const dir = path.join(runDir, 'episodes', 'record-600-seed11');
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['episode-0.json.gz', 'episode-1.json.gz']);
    const replay = await readReplayFile(path.join(dir, files[1]));
    // Episode 1 of `--seed 11` is reset with the seed hashed from (11, 'record-episode', 1).
    expect(replay).toMatchObject({ envId: 'CartPole-v1', seed: streamSeed(11, STREAMS.recordEpisode, 1), agent: { name: 'dqn', checkpointStep: 600 } });
    expect(replay.steps[0].qValues).toHaveLength(2);
    // Faithful: the recorded seed and actions reproduce every recorded state.
    const env = make(replay.envId, replay.envOptions);
    env.reset({ seed: replay.seed!, options: replay.resetOptions ?? undefined });
    for (const step of replay.steps) {
      const r = env.step(step.action as number);
      expect(env.renderState()).toEqual(step.state);
      expect(r.reward).toBe(step.reward);
    }
    const run = async () => buildCli(['record', '--run', runDir, '--checkpoint', '777', '--backend', 'wasm']).parseAsync();
    await expect(run()).rejects.toThrow(/no checkpoint at step 777 \(available: 600, 1200\)/);
  });
});
