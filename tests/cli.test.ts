import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli } from '../experiments/cli.js';
import { runCli } from './helpers/cli.js';

describe('CLI', () => {
  it('--help documents the train flags (as a real process)', async () => {
    const r = await runCli(['train', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--seed', '--steps', '--envs', '--out', '--backend', '--eval-every', '--eval-episodes', '--resume', '--set']) expect(r.stdout).toContain(flag);
  });

  it('a usage error exits 2 with one clear line (as a real process)', async () => {
    const r = await runCli(['train', 'dqn', 'cartpol']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown env 'cartpol'. Registered envs: .*CartPole-v1/);
  });

  it('rejects bad input with a message that lists the valid choices, and creates no run', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-cli-'));
    const cases: [string[], RegExp][] = [
      [['train', 'dqn', 'cartpol'], /unknown env 'cartpol'. Registered envs: .*CartPole-v1/],
      [['train', 'dqnn', 'cartpole'], /Invalid values:[\s\S]*dqnn[\s\S]*Choices: .*"dqn"/],
      [['train', 'dqn', 'cartpole', '--stepz', '5'], /Unknown argument: stepz/],
      [['train', 'dqn', 'cartpole', '--set', 'lrr=0.1'], /unknown hyperparameter 'lrr'. Valid keys: .*lr/],
      [['train', 'dqn', 'cartpole', '--set', 'lr=fast'], /'lr' must be a number/],
      [['train', 'dqn', 'cartpole', '--set', 'lr'], /--set expects key=value, got 'lr'/],
      [['train', 'dqn', 'cartpole', '--steps', '-5'], /--steps must be a positive integer, got -5/],
      [['train', 'dqn', 'cartpole', '--backend', 'gpu'], /Invalid values:[\s\S]*gpu/],
      [['train', 'dqn', 'cartpole', '--env-set', 'gravity=3'], /unknown option 'gravity'/],
      [['train', 'dqn', 'lanekeeper-continuous'], /dqn does not support Box action spaces/],
      [['train', '--resume', out], /not a run directory/],
    ];
    for (const [args, message] of cases) {
      const run = async () => buildCli([...args, "--out", out, "--progress", "none"]).parseAsync();
      await expect(run(), args.join(" ")).rejects.toThrow(message);
    }
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
