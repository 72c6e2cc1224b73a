/**
 * `tsgym tune` end to end with real `train` children on tiny budgets: a study writes trials.jsonl, best.json
 * and report.md, and `train --preset best.json` trains the winner; a pruned trial's runs stop early; a study
 * killed (coordinator and children) and rerun ends with the same trials as an uninterrupted one; bad input is
 * one line with nothing written.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStudy, type TrialLine } from '../experiments/tune/study.js';
import { parseMetrics } from '../formats/run-format.js';
import { readPresetFile } from '../experiments/run-spec.js';
import { tuneOptionsFromArgs } from '../experiments/commands/tune.js';
import { defaultSpaceFor } from '../experiments/tune/default-spaces.js';
import { ROOT, copyCheckout, expectOneLine, runCli, runInProcess, startScript, writeMyPoleModule } from './helpers/cli.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-tune-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const SPACE = ['--space', 'lr=1e-4:3e-3:log', '--space', 'activation=tanh,relu', '--space-only'];
const BUDGET = ['--envs', '2', '--eval-episodes', '2', '--backend', 'wasm', '--workers', '2', '--progress', 'none'];

/** The last step each run of a trial recorded. */
function runSteps(out: string, trial: number): number[] {
  const runs = path.join(out, 'trials', `trial-${String(trial).padStart(4, '0')}`, 'runs');
  return fs.readdirSync(runs).map((r) => {
    const { records } = parseMetrics(fs.readFileSync(path.join(runs, r, 'metrics.jsonl'), 'utf8'));
    return Math.max(...records.map((l) => l.step as number));
  });
}

const finalStates = (out: string): Omit<TrialLine, 'kind'>[] => readStudy(out).trials.map(({ kind: _k, ...t }) => t);

describe('tune: a local study', () => {
  it('writes trials.jsonl, best.json and report.md (top 2 re-run on fresh seeds); train --preset best.json trains the winner', async () => {
    const out = path.join(root, 'study');
    const r = await runCli(['tune', 'ppo', 'cartpole', '--trials', '3', '--seeds', '2', '--steps', '1024', '--eval-every', '256', ...SPACE, '--finalists', '2', '--fresh-seeds', '2', '--pruner', 'none', ...BUDGET, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const { header, trials } = readStudy(out);
    expect(header.agent).toBe('ppo');
    expect(trials.map((t) => t.state)).toEqual(['complete', 'complete', 'complete']);
    for (const t of trials) {
      expect(t.scores).toHaveLength(2);
      expect(Number.isFinite(t.value)).toBe(true);
    }
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.finalists).toHaveLength(2);
    expect(report.defaults.scores).toHaveLength(2);
    // Fresh seeds are none of the study's.
    for (const s of report.freshSeeds) expect(trials[0].seeds).not.toContain(s);
    const winner = report.finalists.find((f: { trial: number }) => f.trial === report.winner);
    expect(Math.max(...report.finalists.map((f: { iqm: { point: number } }) => f.iqm.point))).toBe(winner.iqm.point);
    expect(winner.iqm.low).toBeLessThanOrEqual(winner.iqm.point);
    expect(winner.pBetterThanDefaults.point).toBeGreaterThanOrEqual(0);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain(`| ${report.winner} (best) |`);
    expect(md).toContain('| defaults |');
    const best = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8'));
    expect(best.hyperparams).toEqual(trials[report.winner].params);
    expect(best.provenance.trial).toBe(report.winner);
    expect(best.provenance.reevaluation.seeds).toEqual(report.freshSeeds);
    // The preset file train reads: agent, env, budget and the winner's hyperparameters (provenance is a note).
    const runs = path.join(root, 'train');
    const t = await runCli(['train', '--preset', path.join(out, 'best.json'), '--steps', '256', '--out', runs, '--run-name', 'winner', '--progress', 'none', '--backend', 'wasm']);
    expect(t.code, t.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(runs, 'winner', 'config.json'), 'utf8'));
    expect(config.agent).toBe('ppo');
    expect(config.envId).toBe('CartPole-v1');
    expect(config.hyperparams.lr).toBe(best.hyperparams.lr);
    expect(config.hyperparams.activation).toBe(best.hyperparams.activation);
  }, 180_000);
});

describe('tune: pruning and resume', () => {
  const ARGS = ['tune', 'ppo', 'cartpole', '--trials', '3', '--seeds', '2', '--steps', '4096', '--eval-every', '512', ...SPACE, '--pruner-startup-trials', '1', '--finalists', '0', ...BUDGET];
  const uninterrupted = () => path.join(root, 'prune-a');

  it("a pruned trial's runs stop early (env steps saved)", async () => {
    const out = uninterrupted();
    const r = await runCli([...ARGS, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const trials = readStudy(out).trials;
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(pruned.length, JSON.stringify(trials)).toBeGreaterThan(0);
    for (const t of pruned) expect(t.prunedAt).toBeLessThan(4096);
    // The runs still going when the decision is made are killed: a trial pruned at its first evals has a run
    // that stops well short of its budget. Not every run: the decision waits for the trial's slowest seed to
    // report, and a seed that started first may have finished its 4096 steps by then (seen on a loaded machine).
    const earliest = pruned.reduce((a, b) => (b.prunedAt! < a.prunedAt! ? b : a));
    expect(earliest.prunedAt).toBeLessThanOrEqual(1024);
    const steps = runSteps(out, earliest.trial);
    expect(Math.min(...steps), `trial ${earliest.trial} (pruned at ${earliest.prunedAt}) runs stopped at ${steps}`).toBeLessThan(4096);
    expect(fs.existsSync(path.join(out, 'best.json'))).toBe(true);
  }, 180_000);

  it('killed with its children mid-study and rerun, the study ends with the same trials as the uninterrupted one', async () => {
    expect(fs.existsSync(path.join(uninterrupted(), 'best.json')), 'needs the pruning test first').toBe(true);
    const out = path.join(root, 'prune-b');
    // Its own process group, so one kill reaches the coordinator and every train child.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'experiments', 'cli.ts'), ...ARGS, '--out', out], { cwd: ROOT, detached: true, stdio: 'ignore' });
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    // Kill once trial 1 is running and its runs have evaluated at least once.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        try {
          const trials = fs.existsSync(path.join(out, 'trials.jsonl')) ? readStudy(out).trials : [];
          const runs = path.join(out, 'trials', 'trial-0001', 'runs');
          const started = trials[1]?.state === 'running' && fs.existsSync(runs) && fs.readdirSync(runs).some((r) => fs.existsSync(path.join(runs, r, 'metrics.jsonl')) && fs.readFileSync(path.join(runs, r, 'metrics.jsonl'), 'utf8').includes('"eval"'));
          if (started || trials.length > 2) {
            clearInterval(timer);
            resolve();
          }
        } catch (e) {
          clearInterval(timer);
          reject(e);
        }
      }, 100);
      child.on('close', () => {
        clearInterval(timer);
        reject(new Error('the study ended before it could be killed'));
      });
    });
    process.kill(-child.pid!, 'SIGKILL');
    await closed;
    const cut = readStudy(out).trials;
    expect(cut.some((t) => t.state === 'running'), JSON.stringify(cut)).toBe(true);
    const r = await runCli([...ARGS, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(finalStates(out)).toEqual(finalStates(uninterrupted()));
    // No trial run twice: one `running` line and one final line per trial.
    const lines = fs.readFileSync(path.join(out, 'trials.jsonl'), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as TrialLine);
    for (const t of finalStates(out)) expect(lines.filter((l) => l.trial === t.trial && l.state !== 'running')).toHaveLength(1);
    const best = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8')).hyperparams;
    expect(best(out)).toEqual(best(uninterrupted()));
  }, 240_000);
});

describe('tune: bad input is one line, exit 2, nothing written', () => {
  it('refuses empty, inverted and log-at-zero ranges, unknown parameters, spaces the schema forbids, --trials 0', async () => {
    const out = path.join(root, 'bad');
    const tune = (...extra: string[]) => runInProcess(['tune', 'ppo', 'cartpole', '--trials', '3', '--seeds', '2', '--out', out, ...extra]);
    expectOneLine(await tune('--space', 'lr=1e-2:1e-5'), /'lr' range is inverted/);
    expectOneLine(await tune('--space', 'lr=1e-3:1e-3'), /'lr' range is empty/);
    expectOneLine(await tune('--space', 'lr=0:1e-2:log'), /'lr' is log-scaled, so low must be > 0/);
    expectOneLine(await tune('--space', 'lr='), /no range or choices/);
    expectOneLine(await tune('--space', 'lrr=1e-4:1e-2:log'), /unknown hyperparameter 'lrr'.*did you mean lr/);
    expectOneLine(await tune('--space', 'numSteps=0:64'), /'numSteps' \(int \[0, 64\]\) includes 0/);
    expectOneLine(await tune('--space', 'activation=tanh,sigmoidz'), /includes "sigmoidz"/);
    expectOneLine(await tune('--space', 'lr=1e-4:1e-2:log', '--set', 'lr=0.001'), /--set lr fixes a hyperparameter the search space tunes/);
    expectOneLine(await runInProcess(['tune', 'ppo', 'cartpole', '--trials', '0', '--out', out]), /--trials must be a positive integer, got 0/);
    expectOneLine(await runInProcess(['tune', 'ppo', 'cartpole', '--trials', '2']), /--out/);
    expectOneLine(await tune('--objective', 'best'), /invalid --objective "best"/);
    expect(fs.existsSync(out)).toBe(false);
    // A directory of something else is not taken over.
    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    expectOneLine(await tune('--out', other), /--out is given 2 times/);
    expectOneLine(await runInProcess(['tune', 'ppo', 'cartpole', '--trials', '3', '--space', 'lr=1e-4:1e-2:log', '--space-only', '--out', other]), /--out .*other is not empty and holds no study/);
    expect(fs.readdirSync(other)).toEqual(['notes.txt']);
    // As a user sees it: one line from a real process.
    const r = await runCli(['tune', 'ppo', 'cartpole', '--trials', '3', '--space', 'lr=1e-2:1e-5', '--out', out]);
    expectOneLine(r, /'lr' range is inverted/);
    expect(fs.existsSync(out)).toBe(false);
  }, 60_000);
});

describe('best.json as a preset file', () => {
  it("readPresetFile accepts and ignores a provenance object, and refuses one that is not an object", async () => {
    const file = path.join(root, 'tuned.json');
    fs.writeFileSync(file, JSON.stringify({ agent: 'ppo', env: 'CartPole-v1', totalSteps: 512, hyperparams: { lr: 0.001 }, provenance: { tool: 'tsgym tune', trial: 3 } }));
    const preset = readPresetFile(file);
    expect(preset).toEqual({ agent: 'ppo', env: 'CartPole-v1', totalSteps: 512, hyperparams: { lr: 0.001 } });
    fs.writeFileSync(file, JSON.stringify({ agent: 'ppo', provenance: 'tune' }));
    expectOneLine(await runInProcess(['train', '--preset', file, '--out', path.join(root, 'never')]), /--preset .*tuned\.json: provenance must be a JSON object/);
    expect(fs.existsSync(path.join(root, 'never'))).toBe(false);
  });
});

describe('tune with --env-module', () => {
  it("tunes on a user's env: every trial's runs load the module (recorded in their config.json)", async () => {
    const dir = path.join(root, 'env-module');
    fs.mkdirSync(dir);
    const mod = writeMyPoleModule(dir);
    const out = path.join(dir, 'study');
    const r = await runCli(['--env-module', mod, 'tune', 'ppo', 'MyPole-v0', '--trials', '2', '--seeds', '1', '--steps', '512', '--eval-every', '256', ...SPACE, '--pruner', 'none', '--finalists', '0', ...BUDGET, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const trials = readStudy(out).trials;
    expect(trials.map((t) => t.state)).toEqual(['complete', 'complete']);
    for (const t of trials) {
      const runs = path.join(out, 'trials', `trial-${String(t.trial).padStart(4, '0')}`, 'runs');
      for (const run of fs.readdirSync(runs)) {
        const config = JSON.parse(fs.readFileSync(path.join(runs, run, 'config.json'), 'utf8'));
        expect(config).toMatchObject({ envId: 'MyPole-v0', envModules: [{ path: mod, envIds: ['MyPole-v0'] }] });
      }
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8')).env).toBe('MyPole-v0');
  }, 120_000);
});

describe('tune options', () => {
  const args = (extra: Record<string, unknown>) => ({ agent: 'ppo', env: 'cartpole', trials: 3, out: path.join(root, 'opts'), space: [] as string[], set: [] as string[], 'env-set': [] as string[], sampler: 'tpe' as const, pruner: 'median' as const, objective: 'last-quarter' as const, 'study-seed': '0', finalists: 3, 'fresh-seeds': 10, 'bootstrap-reps': 2000, progress: 'none' as const, ...extra });
  it("without --space the agent's default space is tuned; --space replaces one key; --space-only keeps only the given keys", () => {
    expect(tuneOptionsFromArgs(args({})).space).toEqual(defaultSpaceFor('ppo'));
    const merged = tuneOptionsFromArgs(args({ space: ['lr=1e-4:1e-3:log'] })).space;
    expect(merged).toEqual({ ...defaultSpaceFor('ppo'), lr: { type: 'float', low: 1e-4, high: 1e-3, log: true } });
    expect(Object.keys(merged)).toEqual(Object.keys(defaultSpaceFor('ppo')));
    expect(tuneOptionsFromArgs(args({ space: ['lr=1e-4:1e-3:log'], 'space-only': true })).space).toEqual({ lr: { type: 'float', low: 1e-4, high: 1e-3, log: true } });
    expect(() => tuneOptionsFromArgs(args({ 'space-only': true }))).toThrow(/--space-only tunes only the --space parameters/);
    expect(fs.existsSync(path.join(root, 'opts'))).toBe(false);
  });

  it("the default space's step-count ranges follow the budget: --steps, else the preset's", () => {
    const dqn = (extra: Record<string, unknown>) => tuneOptionsFromArgs(args({ agent: 'dqn', env: 'lanekeeper', ...extra })).space;
    expect(dqn({ steps: 6000 })).toEqual(defaultSpaceFor('dqn', 6000));
    expect(dqn({ steps: 6000 }).learningStarts).toEqual({ type: 'int', low: 0, high: 3000 });
    expect(dqn({}).epsDecaySteps).toEqual(defaultSpaceFor('dqn', 40_000).epsDecaySteps); // LaneKeeper's DQN preset: 40k
    expect(dqn({ from: 'defaults' }).epsDecaySteps).toEqual(defaultSpaceFor('dqn', 100_000).epsDecaySteps); // the base budget
  });
});

describe('tune: the code changes under a running study', () => {
  it('stops with one line before the next trial instead of failing every later trial; the same command then continues', async () => {
    const copy = copyCheckout(path.join(root, 'checkout'));
    const out = path.join(root, 'code-change');
    const args = ['tune', 'ppo', 'cartpole', '--trials', '3', '--seeds', '1', '--steps', '512', '--eval-every', '256', '--space', 'lr=1e-4:3e-3:log', '--space-only', '--finalists', '0', '--pruner', 'none', '--envs', '2', '--eval-episodes', '1', '--backend', 'wasm', '--workers', '1', '--out', out];
    const first = startScript('cli.ts', args, {}, copy);
    let stderr = '';
    first.child.stderr!.on('data', (d) => {
      stderr += d;
      // Trial 0 is under way: edit the code.
      if (stderr.includes('▶ trial 0') && !fs.existsSync(path.join(copy, 'core', 'edited.ts'))) fs.writeFileSync(path.join(copy, 'core', 'edited.ts'), 'export const edited = true;\n');
    });
    const r = await first.done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: the tsgym code changed while the study ran/m);
    expect(readStudy(out).trials.filter((t) => t.state === 'failed')).toEqual([]);
    expect(readStudy(out).trials.filter((t) => t.state !== 'running').length).toBeLessThan(3);
    const again = await startScript('cli.ts', args, {}, copy).done;
    expect(again.code, again.stderr).toBe(0);
    expect(finalStates(out).map((t) => t.state)).toEqual(['complete', 'complete', 'complete']);
  }, 240_000);
});

describe('tune --from defaults', () => {
  it("trials and the defaults arm start from the agent's defaults, not the env's preset; best.json trains the same config", async () => {
    // PPO on Acrobot has a tuned preset (lr 1e-3, 8 envs); its agent defaults are lr 2.5e-4, numSteps 512, 4 envs.
    const out = path.join(root, 'from-defaults');
    const r = await runCli(['tune', 'ppo', 'acrobot', '--from', 'defaults', '--trials', '1', '--seeds', '1', '--steps', '512', '--eval-every', '256', '--eval-episodes', '1', '--space', 'gamma=0.9:0.99', '--space-only', '--finalists', '1', '--fresh-seeds', '1', '--backend', 'wasm', '--workers', '2', '--progress', 'none', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const { header, trials } = readStudy(out);
    expect(header.budget).toMatchObject({ numEnvs: 4, totalSteps: 512 });
    expect(header.fixedHyperparams).toMatchObject({ lr: 0.00025, numSteps: 512, normalizeObs: true });
    expect(header.fixedHyperparams).not.toHaveProperty('gamma');
    const configOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0], 'config.json'), 'utf8'));
    const trial = configOf(path.join(out, 'trials', 'trial-0000', 'runs'));
    expect(trial.hyperparams).toMatchObject({ lr: 0.00025, numSteps: 512, gamma: trials[0].params.gamma });
    expect(trial.numEnvs).toBe(4);
    const defaults = configOf(path.join(out, 'reevaluation', 'runs'));
    expect(defaults.hyperparams).toMatchObject({ lr: 0.00025, numSteps: 512, gamma: 0.99 });
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.from).toBe('defaults');
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain("the agent's defaults");
    // best.json names every untuned hyperparameter, so train --preset does not fall back to Acrobot's preset.
    const runs = path.join(root, 'from-defaults-train');
    const t = await runCli(['train', '--preset', path.join(out, 'best.json'), '--out', runs, '--run-name', 'winner', '--progress', 'none', '--backend', 'wasm']);
    expect(t.code, t.stderr).toBe(0);
    const { fingerprint: _f, seed: _s, ...winner } = JSON.parse(fs.readFileSync(path.join(runs, 'winner', 'config.json'), 'utf8'));
    expect(winner.hyperparams).toEqual(trial.hyperparams);
    expect(winner).toMatchObject({ numEnvs: 4, totalSteps: 512, evalEvery: 256 });
  }, 180_000);
});
