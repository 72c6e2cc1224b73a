/**
 * Kept preset runs (experiments/harness/preset-runs.ts `trainPresetKept`), on a tiny CartPole PPO budget
 * (2 updates, a checkpoint after each): a missing seed is started in its fixed directory, a finished one
 * is read and not retrained, a killed one resumes to the same metrics.jsonl bytes as the uninterrupted
 * run, and a directory whose run is not the preset's is refused in one line with nothing written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../envs/index.js';
import { initBackend } from '../agents/backend.js';
import { agentRegistration } from '../agents/registry.js';
import { TsgymError } from '../core/errors.js';
import { listIntactCheckpointSteps } from '../experiments/harness/checkpoint.js';
import { keptRunDir, trainPresetKept, type PresetOverrides } from '../experiments/harness/preset-runs.js';
import { startCli, startScript } from './helpers/cli.js';
import { snapshotFiles } from './helpers/files.js';

const AGENT = 'ppo';
const ENV = 'CartPole-v1';
/** PPO's CartPole preset collects 8 × 256 = 2048 env steps per update. */
const OVERRIDES: PresetOverrides = { totalSteps: 4096, checkpointEvery: 2048, stopWhenSolved: false };
const opts = (outDir: string, overrides = OVERRIDES) => ({ backend: 'wasm' as const, outDir, overrides });

let root: string;
beforeAll(async () => {
  await initBackend('wasm');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-kept-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('kept preset runs', () => {
  it('starts a missing seed in its fixed directory, then reads it back without retraining', async () => {
    const out = path.join(root, 'fresh');
    const [started] = await trainPresetKept(AGENT, ENV, [0], opts(out));
    const dir = keptRunDir(out, AGENT, ENV, 0);
    expect(dir).toBe(path.join(out, 'ppo-CartPole-v1', 'seed0'));
    expect(started).toMatchObject({ origin: 'started', seed: 0, steps: 4096, runDir: dir });
    expect(started.evals.map((e) => e.step)).toEqual([2048, 4096]);
    expect(started.finalEvalMean).toBe(started.evals[1].mean);
    expect(started.cpuSeconds).toBeGreaterThan(0);

    const before = snapshotFiles(dir);
    const [read] = await trainPresetKept(AGENT, ENV, [0], opts(out));
    expect(read).toMatchObject({ origin: 'read', steps: 4096, cpuSeconds: 0, finalEvalMean: started.finalEvalMean, bestEvalMean: started.bestEvalMean, evals: started.evals });
    expect(snapshotFiles(dir)).toEqual(before); // not a byte or an mtime changed
  }, 300_000);

  it('resumes a run killed after its first checkpoint to the bytes of the uninterrupted run', async () => {
    const reference = keptRunDir(path.join(root, 'fresh'), AGENT, ENV, 0);
    const out = path.join(root, 'killed');
    const dir = keptRunDir(out, AGENT, ENV, 0);
    // The same run from the command line, killed while it writes its final checkpoint (slowed to 2 s a file):
    // the 2048 checkpoint is intact, and metrics.jsonl already runs past it.
    const cli = startCli(
      ['train', AGENT, ENV, '--seed', '0', '--steps', '4096', '--checkpoint-every', '2048', '--no-stop-when-solved', '--record-episodes', '0', '--backend', 'wasm', '--progress', 'none', '--out', path.dirname(dir), '--run-name', path.basename(dir)],
      { TSGYM_CHECKPOINT_WRITE_DELAY_MS: '2000' },
    );
    let ended = false;
    void cli.done.then(() => (ended = true));
    const checkpoints = path.join(dir, 'checkpoints');
    while (!(fs.existsSync(checkpoints) && fs.readdirSync(checkpoints).some((d) => d.startsWith('.tmp-step-000004096')))) {
      if (ended) throw new Error(`the CLI run ended before its final checkpoint: ${(await cli.done).stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    cli.child.kill('SIGKILL');
    await cli.done;
    const killed = fs.readFileSync(path.join(dir, 'metrics.jsonl'));
    expect(killed.equals(fs.readFileSync(path.join(reference, 'metrics.jsonl')))).toBe(true); // logs past the checkpoint…
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).status).not.toBe('finished'); // …but not finished
    expect(listIntactCheckpointSteps(checkpoints)).toEqual([2048]);

    const [resumed] = await trainPresetKept(AGENT, ENV, [0], opts(out));
    expect(resumed).toMatchObject({ origin: 'resumed', steps: 4096 });
    expect(resumed.cpuSeconds).toBeGreaterThan(0);
    expect(listIntactCheckpointSteps(checkpoints)).toEqual([2048, 4096]);
    expect(fs.readFileSync(path.join(dir, 'metrics.jsonl')).equals(fs.readFileSync(path.join(reference, 'metrics.jsonl')))).toBe(true);
    expect(resumed.evals).toEqual((await trainPresetKept(AGENT, ENV, [0], opts(path.join(root, 'fresh'))))[0].evals);
  }, 300_000);

  it('refuses a directory whose run is not the preset’s, in one line, before training any seed', async () => {
    const out = path.join(root, 'fresh');
    const dir = keptRunDir(out, AGENT, ENV, 0);
    const before = snapshotFiles(path.join(out, 'ppo-CartPole-v1'));
    // Seed 1 is missing and would be started; seed 0 holds a 4096-step run, not this 2048-step preset's.
    const refused = await trainPresetKept(AGENT, ENV, [1, 0], opts(out, { ...OVERRIDES, totalSteps: 2048 })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TsgymError);
    const message = (refused as TsgymError).message;
    expect(message).toBe(`${dir} holds a run that is not the ppo CartPole-v1 preset's for seed 0 (totalSteps 4096 → 2048; hyperparams.totalSteps 4096 → 2048)`);
    expect(message).not.toContain('\n');
    expect(fs.existsSync(keptRunDir(out, AGENT, ENV, 1))).toBe(false);
    expect(snapshotFiles(path.join(out, 'ppo-CartPole-v1'))).toEqual(before);
  }, 300_000);
});

describe('kept preset runs recorded before a hyperparameter existed', () => {
  it('read a run whose config.json lacks a hyperparameter at its default as the preset’s, and refuse one that lacks a non-default', async () => {
    const out = path.join(root, 'older');
    const dir = keptRunDir(out, AGENT, ENV, 0);
    fs.cpSync(keptRunDir(path.join(root, 'fresh'), AGENT, ENV, 0), dir, { recursive: true });
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    const defaults = agentRegistration(AGENT).defaults as Record<string, unknown>;
    const atDefault = Object.keys(config.hyperparams).find((k) => k !== 'totalSteps' && JSON.stringify(config.hyperparams[k]) === JSON.stringify(defaults[k]))!;
    const notDefault = Object.keys(config.hyperparams).find((k) => k !== 'totalSteps' && JSON.stringify(config.hyperparams[k]) !== JSON.stringify(defaults[k]))!;
    expect(atDefault).toBeDefined();
    expect(notDefault).toBeDefined();
    // As written by a version without `atDefault`: the agent builds it with its default, so it is the same run.
    delete config.hyperparams[atDefault];
    fs.writeFileSync(configFile, JSON.stringify(config));
    const [read] = await trainPresetKept(AGENT, ENV, [0], opts(out));
    expect(read).toMatchObject({ origin: 'read', steps: 4096 });
    // Without a key the preset sets to something else, it is another run.
    const preset = config.hyperparams[notDefault];
    delete config.hyperparams[notDefault];
    fs.writeFileSync(configFile, JSON.stringify(config));
    const refused = await trainPresetKept(AGENT, ENV, [0], opts(out)).catch((e: unknown) => e);
    expect((refused as TsgymError).message).toContain(`hyperparams.${notDefault} ${JSON.stringify(defaults[notDefault])} → ${JSON.stringify(preset)}`);
  }, 120_000);
});

describe('npm run verify -- --only dqn-minatar-breakout', () => {
  it('fails the check in one line when a kept directory holds another run, training nothing', async () => {
    const out = path.join(root, 'verify');
    const runs = path.join(out, 'runs');
    // A 200-step run where seed 0 of DQN's MinAtar Breakout preset (1M steps) is kept.
    await trainPresetKept('dqn', 'MinAtar/Breakout-v0', [0], { backend: 'wasm', outDir: runs, overrides: { totalSteps: 200, evalEvery: 200, checkpointEvery: 200, hyperparams: { learningStarts: 100, bufferSize: 1000, hidden: [8], convChannels: 2 } } });
    const dir = keptRunDir(runs, 'dqn', 'MinAtar/Breakout-v0', 0);
    const before = snapshotFiles(dir);
    const r = await startScript('verify.ts', ['--only', 'dqn-minatar-breakout', '--out', out, '--backend', 'wasm']).done;
    expect(r.code, r.stderr).toBe(1);
    const fail = r.stderr.split('\n').filter((l) => l.startsWith('FAIL'));
    expect(fail).toHaveLength(1);
    expect(fail[0]).toMatch(new RegExp(`^FAIL dqn-minatar-breakout MinAtar/Breakout-v0: ${dir.replaceAll('/', '\\/')} holds a run that is not the dqn MinAtar/Breakout-v0 preset's for seed 0 \\(totalSteps 200 → 1000000; .*\\) \\(move it away`));
    expect(snapshotFiles(dir)).toEqual(before);
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['seed0']); // seeds 1 and 2 were not started
    const latest = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'));
    expect(latest.results).toHaveLength(1);
    expect(latest.results[0]).toMatchObject({ check: 'dqn-minatar-breakout MinAtar/Breakout-v0', passed: false });
  }, 300_000);
});
