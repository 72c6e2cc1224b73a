/**
 * A run's checkpoints are bound to the config they were taken under (state.json holds it, the manifest its
 * hash): `--resume` refuses a config.json edited since, in one line naming the changed fields, and writes
 * nothing; raising the budget with `--resume --steps N` stays possible, also after a kill before the raised
 * run's first checkpoint.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configEdits } from '../experiments/harness/trainer.js';
import type { RunConfig } from '../formats/run-format.js';
import { runCli, startCli } from './helpers/cli.js';

const TRAIN = [
  'train', 'ppo', 'cartpole', '--steps', '1024', '--envs', '2', '--set', 'numSteps=128', '--checkpoint-every', '512', '--eval-every', '512', '--eval-episodes', '2',
  '--record-episodes', '0', '--no-stop-when-solved', '--backend', 'wasm', '--progress', 'none',
];

/** Every file of a run directory with its bytes, to show a refused resume wrote nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const file = path.join(e.parentPath, e.name);
      out.set(path.relative(dir, file), fs.readFileSync(file).toString('base64'));
    }
  }
  return out;
}

function editConfig(runDir: string, edit: (c: Record<string, any>) => void): void {
  const file = path.join(runDir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
}

describe('resuming a run whose config.json was edited', () => {
  it('is refused in one line naming the fields (also for a shape-breaking edit), writing nothing; --resume --steps N still works', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-edited-config-'));
    const runDir = path.join(out, 'run');
    const first = await runCli([...TRAIN, '--out', out, '--run-name', 'run']);
    expect(first.code, first.stderr).toBe(0);
    const original = fs.readFileSync(path.join(runDir, 'config.json'), 'utf8');
    const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'step-000001024', 'manifest.json'), 'utf8'));
    expect(manifest.configSha256).toMatch(/^[0-9a-f]{64}$/);

    const refused = async (edit: (c: Record<string, any>) => void, fields: RegExp) => {
      fs.writeFileSync(path.join(runDir, 'config.json'), original);
      editConfig(runDir, edit);
      const before = snapshot(runDir);
      const r = await runCli(['train', '--resume', runDir, '--steps', '2048', '--progress', 'none']);
      expect(r.code, r.stderr).toBe(2);
      // One error line and the CLI's hint line; no stack trace.
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^error: --resume ${runDir}: config.json has changed since checkpoint step-000001024 was taken: `));
      expect(lines[0]).toMatch(fields);
      expect(lines[1]).toMatch(/^hint: a run keeps the settings it trained with/);
      expect(snapshot(runDir)).toEqual(before);
    };
    // The case: another seed and learning rate.
    await refused((c) => {
      c.seed = 7;
      c.hyperparams.lr = 0.5;
    }, /: hyperparams\.lr 0\.001 → 0\.5, seed 0 → 7$/);
    // Network shapes the checkpoint's weights do not fit.
    const hidden = JSON.stringify(JSON.parse(original).hyperparams.hidden); // the preset's, e.g. [32,32]
    await refused((c) => (c.hyperparams.hidden = [8]), new RegExp(`: hyperparams\\.hidden ${hidden.replace(/[[\]]/g, '\\$&')} → \\[8\\]$`));
    // A budget raised by hand, not by --steps (nothing in budgetExtensions).
    await refused((c) => {
      c.totalSteps = 5000;
      c.hyperparams.totalSteps = 5000;
    }, /: hyperparams\.totalSteps 1024 → 5000, totalSteps 1024 → 5000$/);

    // The real way to train on: --resume --steps N. Killed while writing its first checkpoint, so config.json
    // (raised budget) is newer than the checkpoint it resumes from; resuming again is not an edit.
    fs.writeFileSync(path.join(runDir, 'config.json'), original);
    const { child, done } = startCli(['train', '--resume', runDir, '--steps', '2048', '--progress', 'none'], { TSGYM_CHECKPOINT_WRITE_DELAY_MS: '300' });
    const ckpts = path.join(runDir, 'checkpoints');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (fs.readdirSync(ckpts).some((d) => d.startsWith('.tmp-step-000001536'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 10);
      void done.then((r) => {
        clearInterval(timer);
        reject(new Error(`the resumed run ended before it could be killed: ${r.stderr}`));
      });
    });
    expect((await done).signal).toBe('SIGKILL');
    const raised = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(raised).toMatchObject({ totalSteps: 2048, budgetExtensions: [{ fromTotalSteps: 1024, toTotalSteps: 2048 }] });
    const again = await runCli(['train', '--resume', runDir, '--progress', 'none']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resuming ${runDir} from step 1024`);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'))).toMatchObject({ status: 'finished', steps: 2048 });
    fs.rmSync(out, { recursive: true, force: true });
  }, 240_000);

  it('configEdits: budget raises recorded in budgetExtensions and the stop rule are not edits; anything else is', () => {
    const taken = { agent: 'ppo', seed: 0, totalSteps: 1000, stopWhenSolved: true, hyperparams: { lr: 1e-3, totalSteps: 1000 }, envKwargs: {} } as unknown as RunConfig;
    const raised = {
      ...taken,
      totalSteps: 3000,
      stopWhenSolved: false,
      hyperparams: { lr: 1e-3, totalSteps: 3000 },
      budgetExtensions: [
        { fromTotalSteps: 1000, toTotalSteps: 2000, at: 'x' },
        { fromTotalSteps: 2000, toTotalSteps: 3000, at: 'y' },
      ],
    } as RunConfig;
    expect(configEdits(taken, raised)).toEqual([]);
    // An extension that does not start from the checkpoint's budget, or a raise with no record of it.
    expect(configEdits(taken, { ...raised, budgetExtensions: raised.budgetExtensions!.slice(1) })).toContain('totalSteps 1000 → 3000');
    expect(configEdits(taken, { ...taken, totalSteps: 3000 })).toEqual(['totalSteps 1000 → 3000']);
    expect(configEdits(taken, { ...taken, envKwargs: { g: 20 } })).toEqual(['envKwargs.g absent → 20']);
  });
});
