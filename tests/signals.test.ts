/**
 * Ctrl-C in a terminal: the terminal signals the whole process group of `npm run train:dqn …` (npm, the
 * shell, tsx and the trainer), and the parents relay the signal to the trainer again. The trainer checkpoints
 * and stops once, writes summary `interrupted`, removes its lock, says how to resume, and `--resume` then
 * continues to the same result as a run that was never interrupted.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './helpers/cli.js';

const TRAIN = [
  'cartpole', '--steps', '3000', '--envs', '4', '--checkpoint-every', '500', '--eval-every', '1000', '--eval-episodes', '2', '--record-episodes', '0',
  '--no-stop-when-solved', '--set', 'learningStarts=400', '--set', 'bufferSize=5000', '--backend', 'wasm', '--progress', 'none',
];

const read = (file: string) => fs.readFileSync(file, 'utf8');

/** `npm run train:dqn -- <args>` in its own process group, as a terminal runs it; Ctrl-C once the first checkpoint exists. */
async function ctrlCOnce(args: string[], runDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('npm', ['run', '--silent', 'train:dqn', '--', ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout!.on('data', (d) => (stderr += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // 'close': every holder of the pipes (npm, sh, tsx, the trainer) has exited.
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const latest = path.join(runDir, 'checkpoints', 'latest.json');
  let ended = false;
  void closed.then(() => (ended = true));
  while (!ended && !fs.existsSync(latest)) await new Promise((r) => setTimeout(r, 10));
  if (ended) throw new Error(`the run ended before Ctrl-C: ${stderr}`);
  process.kill(-child.pid!, 'SIGINT');
  return { code: await closed, stderr };
}

describe('Ctrl-C on an npm script', () => {
  it('SIGINT to the process group checkpoints and stops once; --resume then ends as an uninterrupted run', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-signals-'));
    const runDir = path.join(out, 'interrupted');
    const { code, stderr } = await ctrlCOnce([...TRAIN, '--out', out, '--run-name', 'interrupted'], runDir);
    expect(stderr).toMatch(new RegExp(`interrupted at step \\d+; resume with: npm run train -- --resume ${runDir}`));
    expect(code).not.toBe(0);
    const summary = JSON.parse(read(path.join(runDir, 'summary.json')));
    expect(summary.status, stderr).toBe('interrupted');
    expect(summary.steps).toBeLessThan(3000);
    // The summary, the checkpoint and the message agree on where the run stopped.
    expect(JSON.parse(read(path.join(runDir, 'checkpoints', 'latest.json'))).step).toBe(summary.steps);
    expect(stderr).toContain(`interrupted at step ${summary.steps};`);
    expect(fs.existsSync(path.join(runDir, 'lock.json'))).toBe(false);

    const resumed = await runCli(['train', '--resume', runDir, '--progress', 'none']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming ${runDir} from step ${summary.steps}`);
    expect(JSON.parse(read(path.join(runDir, 'summary.json')))).toMatchObject({ status: 'finished', steps: 3000 });

    const full = await runCli(['train', 'dqn', ...TRAIN, '--out', out, '--run-name', 'full']);
    expect(full.code, full.stderr).toBe(0);
    expect(read(path.join(runDir, 'metrics.jsonl'))).toBe(read(path.join(out, 'full', 'metrics.jsonl')));
    fs.rmSync(out, { recursive: true, force: true });
  }, 240_000);
});
