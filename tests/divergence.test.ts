/**
 * The divergence guard: a NaN loss stops the run with a clear message, the summary says 'diverged', and the
 * last good checkpoint stays the latest one.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerAgent, createAgent } from '../agents/registry.js';
import type { Agent } from '../agents/agent.js';
import { int } from '../agents/hyperparams.js';
import { DivergenceError, train } from '../experiments/harness/trainer.js';

/** A DQN whose reported loss turns NaN once training passes `breakAt` env steps. */
registerAgent({
  name: 'test-diverging-dqn',
  description: 'test only',
  hyperparams: { params: { breakAt: int(0, 'env step from which the loss is reported as NaN', { min: 0 }), learningStarts: int(100, 'as DQN', { min: 0 }) } },
  actionSpaces: ['Discrete'],
  create: (info, hp, seed) => {
    const inner = createAgent('dqn', info, { learningStarts: hp.learningStarts }, seed);
    const agent: Agent = Object.create(inner);
    agent.observe = (batch, step) => {
      const m = inner.observe(batch, step);
      return m && step >= (hp.breakAt as number) ? { ...m, loss: NaN } : m;
    };
    return agent;
  },
});

describe('divergence guard', () => {
  it('stops on a NaN loss, marks the run diverged and keeps the last good checkpoint', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-diverge-'));
    const run = train({
      agent: 'test-diverging-dqn', env: 'cartpole', seed: 0, totalSteps: 4000, numEnvs: 4, evalEvery: 10_000, evalEpisodes: 2, recordEpisodes: 0,
      checkpointEvery: 1000, stopWhenSolved: false, logEvery: 500, envKwargs: {}, hyperparams: { breakAt: 2500 }, backend: 'wasm', outDir: out, runName: 'r', progress: 'none', verbose: false,
    });
    await expect(run).rejects.toThrow(DivergenceError);
    await expect(run).rejects.toThrow(/training diverged at step 2500: loss became NaN.*last good checkpoint is kept/);
    const dir = path.join(out, 'r');
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('diverged');
    expect(summary.message).toMatch(/diverged at step 2500/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', 'latest.json'), 'utf8')).step).toBe(2000);
  });
});
