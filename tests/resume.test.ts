/**
 * A run killed with SIGKILL in the middle of writing a checkpoint resumes from the last complete
 * checkpoint and ends with the same weights and the same metrics as a run that was never interrupted.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, startCli } from './helpers/cli.js';

const ARGS = [
  'train', 'dqn', 'cartpole', '--steps', '3000', '--envs', '4', '--checkpoint-every', '1000', '--eval-every', '1000', '--eval-episodes', '3',
  '--record-episodes', '1', '--no-stop-when-solved', '--set', 'learningStarts=400', '--set', 'bufferSize=5000', '--set', 'nStep=2',
  '--backend', 'wasm', '--progress', 'none',
];

const finalWeights = (run: string) => fs.readFileSync(path.join(run, 'checkpoints', 'step-000003000', 'online.params.bin'));
const metrics = (run: string) => fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8');

describe('checkpoint and resume', () => {
  it('SIGKILL during a checkpoint write, then --resume, gives the uninterrupted result bit for bit', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-resume-'));
    const full = await runCli([...ARGS, '--out', out, '--run-name', 'full']);
    expect(full.code, full.stderr).toBe(0);
    const fullDir = path.join(out, 'full');

    // The interrupted run writes checkpoint blobs slowly, so the kill lands inside the second checkpoint write.
    const killedDir = path.join(out, 'killed');
    const { child, done } = startCli([...ARGS, '--out', out, '--run-name', 'killed'], { TSGYM_CHECKPOINT_WRITE_DELAY_MS: '400' });
    const ckpts = path.join(killedDir, 'checkpoints');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (fs.existsSync(ckpts) && fs.readdirSync(ckpts).some((d) => d.startsWith('.tmp-step-000002000'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      done.then((r) => {
        clearInterval(timer);
        reject(new Error(`the run ended before it could be killed: ${r.stderr}`));
      });
    });
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    // The half-written checkpoint never became the latest one.
    expect(JSON.parse(fs.readFileSync(path.join(ckpts, 'latest.json'), 'utf8')).step).toBe(1000);
    expect(fs.existsSync(path.join(ckpts, 'step-000002000'))).toBe(false);

    const resumed = await runCli(['train', '--resume', killedDir, '--progress', 'none']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* from step 1000/);
    expect(finalWeights(killedDir).equals(finalWeights(fullDir))).toBe(true);
    expect(metrics(killedDir)).toBe(metrics(fullDir));
    const summary = JSON.parse(fs.readFileSync(path.join(killedDir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('finished');
    expect(summary.steps).toBe(3000);
    // Replays were recorded at each evaluation.
    expect(fs.readdirSync(path.join(killedDir, 'episodes'))).toEqual(['step-000001000', 'step-000002000', 'step-000003000']);
  });
});
