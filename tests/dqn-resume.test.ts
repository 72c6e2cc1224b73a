/**
 * DQN with a Polyak-averaged greedy network (greedyTau): the average is checkpointed with the rest of the agent,
 * so a run resumed from an earlier checkpoint reproduces the uninterrupted run's evaluations, final weights
 * (the average included) and best agent byte for byte.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers/cli.js';

const ARGS = [
  'train', 'dqn', 'cartpole', '--steps', '1500', '--envs', '4', '--checkpoint-every', '500', '--eval-every', '500', '--eval-episodes', '3',
  '--record-episodes', '0', '--no-stop-when-solved', '--set', 'learningStarts=200', '--set', 'bufferSize=3000', '--set', 'greedyTau=0.01',
  '--backend', 'wasm', '--progress', 'none',
];

/** Every .bin file under the final checkpoint and best/, by path relative to the run. */
function weightFiles(run: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(run, rel), { withFileTypes: true })) {
      const p = path.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.bin')) out[p] = fs.readFileSync(path.join(run, p));
    }
  };
  walk(path.join('checkpoints', 'step-000001500'));
  walk('best');
  return out;
}

describe('dqn greedyTau: checkpoint and resume', () => {
  it('resuming from an earlier checkpoint reproduces the run, the averaged greedy network included', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-dqn-resume-'));
    const full = await runCli([...ARGS, '--out', out, '--run-name', 'full']);
    expect(full.code, full.stderr).toBe(0);
    const fullDir = path.join(out, 'full');
    const copy = path.join(out, 'copy');
    fs.cpSync(fullDir, copy, { recursive: true });
    const resumed = await runCli(['train', '--resume', copy, '--from-checkpoint', '1000', '--progress', 'none']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* from step 1000/);
    const a = weightFiles(fullDir);
    const b = weightFiles(copy);
    expect(Object.keys(a)).toContain(path.join('checkpoints', 'step-000001500', 'averaged.params.bin'));
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const [name, bytes] of Object.entries(a)) expect(b[name].equals(bytes), name).toBe(true);
    expect(fs.readFileSync(path.join(copy, 'metrics.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(fullDir, 'metrics.jsonl'), 'utf8'));
    // The averaged and online networks differ (the comparison above covers a network of its own).
    expect(a[path.join('checkpoints', 'step-000001500', 'averaged.params.bin')].equals(a[path.join('checkpoints', 'step-000001500', 'online.params.bin')])).toBe(false);
  }, 180_000);
});
