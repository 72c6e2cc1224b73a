/**
 * `npm run compare` end to end on small budgets: the same comparison run twice writes identical metrics
 * and the same report (wall clock aside); a comparison SIGKILLed midway (orchestrator and children, as
 * one process group) resumes — finished runs untouched, the others from their checkpoints — and ends
 * equal to the uninterrupted one. Plus the refusals (another request in the same dir, a live lock) and
 * argument checks, in-process.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentNames, agentRegistration } from '../agents/registry.js';
import { snapshotFiles } from './helpers/files.js';
import { isAlive, planComparison, reportFor, requestDifferences, runComparison, type CompareOptions } from '../experiments/compare.js';
import { runSpecOf } from '../experiments/plan/request.js';
import { type ComparisonRequest } from '../formats/comparison.js';
import { takesBudget } from '../formats/run-spec.js';
import { configFields } from '../formats/run-spec.js';
import { presetFor } from '../experiments/presets.js';
import { compareOptionsFromArgs, parseAgentSets } from '../experiments/commands/compare.js';
import { parseSeedList } from '../experiments/commands/flags.js';
import { ROOT, runCli } from './helpers/cli.js';

// A second agent of another family when one is registered (the policy-gradient agents), else DQN alone.
const SECOND = ['ppo', 'a2c', 'reinforce'].find((a) => agentNames().includes(a));
const AGENTS = ['dqn', ...(SECOND ? [SECOND] : [])];
const RUNS = [0, 1].flatMap((seed) => AGENTS.map((a) => `${a}__seed${seed}`));
const ARGS = [
  'compare', '--env', 'cartpole', '--agents', AGENTS.join(','), '--seeds', '2', '--steps', '2000', '--workers', '2',
  '--eval-every', '500', '--eval-episodes', '2', '--checkpoint-every', '500', '--record-episodes', '1', '--no-stop-when-solved',
  '--backend', 'wasm', '--set', 'dqn.learningStarts=300', '--set', 'dqn.bufferSize=4000', '--set', 'dqn.trainFreq=1', '--set', 'dqn.gradientSteps=1', '--bootstrap-reps', '400', '--progress', 'lines',
];

let root: string;
let dirA: string;
let dirB: string;

const read = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');
const readJson = (...p: string[]) => JSON.parse(read(...p)) as Record<string, unknown>;
const withoutWallClock = (r: Record<string, unknown>) => ({ ...r, wallClock: undefined });
const statusOf = (dir: string, run: string) => {
  try {
    return (readJson(dir, 'runs', run, 'summary.json').status as string) ?? null;
  } catch {
    return null;
  }
};


beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-compare-'));
  dirA = path.join(root, 'a');
  dirB = path.join(root, 'b');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('compare: determinism', () => {
  it('the same comparison run twice gives identical metrics.jsonl for every run and the same report.json (wall clock aside)', async () => {
    const a = await runCli([...ARGS, '--out', dirA]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli([...ARGS, '--out', dirB]);
    expect(b.code, b.stderr).toBe(0);

    // The CLI prints the table and tells where the report is.
    expect(a.stdout).toContain('| agent | runs | IQM [95% CI] |');
    expect(a.stdout).toContain(`wrote ${path.join(dirA, 'report.md')}`);
    expect(a.stderr).toMatch(new RegExp(`${RUNS.length} runs: 0 already done, 0 to resume, ${RUNS.length} to start; 2 at a time`));
    expect(a.stderr).toMatch(/\[compare\] \d+\/\d+ runs done · \d+ running/);

    expect(fs.readdirSync(path.join(dirA, 'runs')).sort()).toEqual([...RUNS].sort());
    for (const run of RUNS) {
      const metrics = read(dirA, 'runs', run, 'metrics.jsonl');
      expect(metrics.split('\n').filter((l) => l.includes('"kind":"eval"'))).toHaveLength(4);
      expect(read(dirB, 'runs', run, 'metrics.jsonl'), `${run}/metrics.jsonl`).toBe(metrics);
      expect(statusOf(dirA, run)).toBe('finished');
      expect(fs.existsSync(path.join(dirA, 'logs', `${run}.log`))).toBe(true);
    }
    const reportA = readJson(dirA, 'report.json');
    const reportB = readJson(dirB, 'report.json');
    expect(withoutWallClock(reportB)).toEqual(withoutWallClock(reportA));
    expect(reportA.wallClock).toBeDefined();
    expect(read(dirA, 'report.md')).toContain('| dqn | 2 |');

    // The request is on record, with each agent's resolved preset.
    const request = readJson(dirA, 'comparison.json');
    expect(request).toMatchObject({ env: 'CartPole-v1', agents: AGENTS, seeds: [0, 1], steps: 2000, backend: 'wasm' });
    expect((request.plans as Record<string, { hyperparams: Record<string, unknown>; stopWhenSolved: boolean }>).dqn).toMatchObject({ stopWhenSolved: false, hyperparams: { learningStarts: 300 } });
    expect(fs.existsSync(path.join(dirA, '.compare-lock.json'))).toBe(false);
    // Each child trained exactly the spec the coordinator resolved (it arrived as JSON on stdin, not as argv).
    for (const run of RUNS) {
      const [group, seed] = run.split('__seed');
      const spec = runSpecOf(request as unknown as ComparisonRequest, group, Number(seed));
      const config = readJson(dirA, 'runs', run, 'config.json');
      expect(config, run).toMatchObject(configFields(spec));
      expect(config.hyperparams, run).toEqual(takesBudget(spec.agent) ? { ...spec.hyperparams, totalSteps: spec.totalSteps } : spec.hyperparams);
    }

    // Recomputing the report (what --report-only does) gives the same one.
    reportFor(dirA, { bootstrapReps: 400 });
    expect(withoutWallClock(readJson(dirA, 'report.json'))).toEqual(withoutWallClock(reportA));
  }, 240_000); // two comparisons of 4 runs each; on a shared 2-core machine running the whole suite this took over 120 s
});

describe('compare: resume', () => {
  it('after a SIGKILL of the orchestrator and its children, a rerun keeps finished runs, resumes the rest and matches the uninterrupted comparison', async () => {
    expect(fs.existsSync(path.join(dirA, 'report.json')), 'needs the determinism test first').toBe(true);
    const dirC = path.join(root, 'c');
    // Its own process group, so one kill reaches the orchestrator and every train child.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'experiments', 'cli.ts'), ...ARGS, '--out', dirC], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let lockPids: number[] = [];
    // Kill once a run has finished while another is midway with a checkpoint.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const finished = RUNS.filter((r) => statusOf(dirC, r) === 'finished');
        const midway = RUNS.filter((r) => statusOf(dirC, r) === 'running' && fs.existsSync(path.join(dirC, 'runs', r, 'checkpoints', 'latest.json')));
        try {
          lockPids = (JSON.parse(read(dirC, '.compare-lock.json')).children as number[]) ?? lockPids;
        } catch {
          /* not written yet, or being replaced */
        }
        if (finished.length >= 1 && midway.length >= 1) {
          clearInterval(timer);
          process.kill(-child.pid!, 'SIGKILL');
          resolve();
        }
      }, 25);
      void closed.then(() => {
        clearInterval(timer);
        reject(new Error(`the comparison ended before it could be killed midway:\n${stderr}`));
      });
    });
    expect((await closed).signal).toBe('SIGKILL');
    // Wait for every train child to be gone before touching the directory again.
    for (let i = 0; i < 200 && lockPids.some(isAlive); i++) await new Promise((r) => setTimeout(r, 25));
    expect(lockPids.filter(isAlive)).toEqual([]);

    const finishedBefore = RUNS.filter((r) => statusOf(dirC, r) === 'finished');
    const unfinished = RUNS.filter((r) => !finishedBefore.includes(r));
    expect(finishedBefore.length).toBeGreaterThanOrEqual(1);
    expect(unfinished.length).toBeGreaterThanOrEqual(1);
    const before = new Map(finishedBefore.map((r) => [r, snapshotFiles(path.join(dirC, 'runs', r))]));
    const started = unfinished.filter((r) => fs.existsSync(path.join(dirC, 'runs', r, 'config.json')));

    const rerun = await runCli([...ARGS, '--out', dirC]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`${RUNS.length} runs: ${finishedBefore.length} already done, ${started.length} to resume, ${unfinished.length - started.length} to start`);
    // A run killed after a checkpoint continued from it, not from step 0.
    const resumedFrom = started.map((r) => Number(/resuming .* from step (\d+)/.exec(read(dirC, 'logs', `${r}.log`))?.[1] ?? 0));
    expect(Math.max(...resumedFrom)).toBeGreaterThan(0);

    for (const [run, files] of before) {
      const now = snapshotFiles(path.join(dirC, 'runs', run));
      expect([...now.keys()].sort(), run).toEqual([...files.keys()].sort());
      for (const [file, f] of files) {
        expect(now.get(file)!.mtimeMs, `${run}/${file} mtime`).toBe(f.mtimeMs);
        expect(now.get(file)!.content.equals(f.content), `${run}/${file} content`).toBe(true);
      }
    }
    for (const run of RUNS) {
      expect(statusOf(dirC, run)).toBe('finished');
      expect(read(dirC, 'runs', run, 'metrics.jsonl'), `${run}/metrics.jsonl`).toBe(read(dirA, 'runs', run, 'metrics.jsonl'));
    }
    expect(withoutWallClock(readJson(dirC, 'report.json'))).toEqual(withoutWallClock(readJson(dirA, 'report.json')));
  });
});

describe('compare: refusals and arguments', () => {
  const base: CompareOptions = { env: 'cartpole', agents: ['dqn'], seeds: [0, 1], totalSteps: 2000, backend: 'wasm', outDir: '' };

  it('refuses to mix another request into an existing comparison directory, naming the differences', async () => {
    expect(fs.existsSync(path.join(dirA, 'comparison.json')), 'needs the determinism test first').toBe(true);
    const before = read(dirA, 'comparison.json');
    const err = await runComparison({ ...base, agents: AGENTS, seeds: [0, 1, 2], stopWhenSolved: true, outDir: dirA, progress: 'none' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/already holds a different comparison/);
    expect(msg).toMatch(/seeds: \[0,1\] there, \[0,1,2\] requested/);
    expect(msg).toMatch(/plans\.dqn\.stopWhenSolved: false there, true requested/);
    expect(msg).toContain('npm run compare -- --env cartpole');
    expect(read(dirA, 'comparison.json')).toBe(before);
    expect(fs.existsSync(path.join(dirA, '.compare-lock.json'))).toBe(false);
  });

  it('counts a hyperparameter the recorded request lacks at its default, so a comparison recorded before it existed is the same one', () => {
    const request = planComparison({ ...base, agents: ['dqn', 'ppo'], outDir: path.join(root, 'older-plan') });
    const defaults = (agent: string) => agentRegistration(agent).defaults as Record<string, unknown>;
    const older: ComparisonRequest = JSON.parse(JSON.stringify(request));
    for (const agent of ['dqn', 'ppo']) {
      const hp = older.plans[agent].hyperparams as Record<string, unknown>;
      for (const k of Object.keys(hp)) if (JSON.stringify(hp[k]) === JSON.stringify(defaults(agent)[k])) delete hp[k];
    }
    expect(Object.keys(older.plans.dqn.hyperparams).length).toBeLessThan(Object.keys(request.plans.dqn.hyperparams).length);
    expect(requestDifferences(older, request)).toEqual([]);
    // A key recorded at another value than the default is still a difference when it is missing.
    const { lr, ...withoutLr } = request.plans.dqn.hyperparams as Record<string, unknown>;
    const lrMissing: ComparisonRequest = { ...request, plans: { ...request.plans, dqn: { ...request.plans.dqn, hyperparams: withoutLr } } };
    expect(lr).not.toEqual(defaults('dqn').lr);
    expect(requestDifferences(lrMissing, request)).toEqual([`plans.dqn.hyperparams.lr: ${JSON.stringify(defaults('dqn').lr)} there, ${JSON.stringify(lr)} requested`]);
  });

  it('refuses a directory another live compare holds, and a non-empty directory that is not a comparison', async () => {
    const held = fs.mkdtempSync(path.join(root, 'held-'));
    fs.writeFileSync(path.join(held, '.compare-lock.json'), JSON.stringify({ pid: process.ppid, children: [] }));
    await expect(runComparison({ ...base, outDir: held, progress: 'none' })).rejects.toThrow(new RegExp(`another compare is still working in .*\\(process ${process.ppid}\\)`));
    const other = fs.mkdtempSync(path.join(root, 'other-'));
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    await expect(runComparison({ ...base, outDir: other, progress: 'none' })).rejects.toThrow(/is not empty and holds no comparison\.json/);
    expect(() => reportFor(other)).toThrow(/not a comparison directory \(no comparison\.json\)/);
  });

  it('checks agents, envs, action spaces, seeds, numbers and per-agent overrides before starting anything', () => {
    const args = { backend: 'wasm' as const, set: [] as string[], 'env-set': [] as string[], progress: 'none' as const, 'bootstrap-reps': 2000 };
    expect(() => compareOptionsFromArgs({ ...args, env: 'cartpole', agents: 'dqn,nope' })).toThrow(/unknown agent 'nope'/);
    expect(() => compareOptionsFromArgs({ ...args, env: 'nowhere', agents: 'dqn' })).toThrow(/unknown env 'nowhere'/);
    expect(() => compareOptionsFromArgs({ ...args, env: 'cartpole', agents: 'dqn', seeds: 2, 'seed-list': '1,2' })).toThrow(/either --seeds N .* or --seed-list/);
    expect(() => compareOptionsFromArgs({ ...args, env: 'cartpole', agents: 'dqn', seeds: 0 })).toThrow(/--seeds must be a positive integer, got 0/);
    expect(() => compareOptionsFromArgs({ ...args, env: 'cartpole', agents: 'dqn', workers: Number.NaN })).toThrow(/--workers must be a positive integer, got NaN/);
    expect(() => compareOptionsFromArgs({ ...args, env: 'cartpole' })).toThrow(/name the agents with --agents/);
    expect(() => parseSeedList('3,x')).toThrow(/'x' is not a non-negative integer seed/);
    expect(parseSeedList('3, 7,11')).toEqual([3, 7, 11]);
    expect(() => parseAgentSets(['lr=0.1'])).toThrow(/--set expects agent\.key=value/);
    expect(parseAgentSets(['dqn.lr=0.001', 'dqn.hidden=[32,32]', 'DQN.dueling=true'])).toEqual({ dqn: { lr: 0.001, hidden: [32, 32], dueling: true } });

    const opts = compareOptionsFromArgs({ ...args, env: 'cartpole', agents: 'dqn', seeds: 3 }, new Date(2026, 0, 2, 3, 4, 5));
    expect(opts.seeds).toEqual([0, 1, 2]);
    expect(opts.outDir).toBe(path.join('runs', 'compare__CartPole-v1__20260102-030405'));

    expect(() => planComparison({ ...base, agents: ['dqn', 'dqn'] })).toThrow(/names dqn twice/);
    expect(() => planComparison({ ...base, seeds: [1, 1] })).toThrow(/seed 1 is listed twice/);
    expect(() => planComparison({ ...base, totalSteps: 1.5 })).toThrow(/--steps must be a positive integer, got 1.5/);
    expect(() => planComparison({ ...base, sets: { dqn: { noSuchKnob: 1 } } })).toThrow(/dqn: unknown hyperparameter 'noSuchKnob'/);
    expect(() => planComparison({ ...base, sets: { ppo: { lr: 1 } } })).toThrow(/ppo is not one of the compared agents/);
    expect(() => planComparison({ ...base, env: 'lanekeeper-continuous' })).toThrow(/dqn does not support Box action spaces \(LaneKeeperContinuous-v0 has Box/);
  });

  it('passes each agent its preset with the overrides, and --steps to every agent', () => {
    const request = planComparison({ ...base, agents: AGENTS, sets: { dqn: { lr: 0.002 } }, stopWhenSolved: true, evalEpisodes: 3 });
    for (const a of AGENTS) expect(request.plans[a]).toMatchObject({ totalSteps: 2000, evalEpisodes: 3, stopWhenSolved: true });
    const spec = runSpecOf(request, 'dqn', 4);
    expect(spec).toMatchObject({ agent: 'dqn', env: 'CartPole-v1', seed: 4, totalSteps: 2000, evalEpisodes: 3, backend: 'wasm', stopWhenSolved: true });
    expect(spec.hyperparams.lr).toBe(0.002);
    expect(spec.evalEvery).toBe(presetFor('dqn', 'CartPole-v1').evalEvery);
  });

  it('by default every agent trains one shared budget (the largest preset budget) with no early stop', () => {
    const agents = ['dqn', 'ppo', 'a2c'];
    const budgets = agents.map((a) => presetFor(a, 'CartPole-v1').totalSteps);
    expect(new Set(budgets).size).toBeGreaterThan(1); // the presets differ, so the default has something to decide
    const { totalSteps: _none, ...noSteps } = base;
    const request = planComparison({ ...noSteps, agents });
    expect(request.steps).toBe(Math.max(...budgets));
    for (const a of agents) expect(request.plans[a]).toMatchObject({ totalSteps: Math.max(...budgets), stopWhenSolved: false });
    const own = planComparison({ ...noSteps, agents, allowDifferentBudgets: true });
    expect(own.steps).toBeNull();
    agents.forEach((a, i) => expect(own.plans[a].totalSteps).toBe(budgets[i]));
    expect(() => planComparison({ ...base, agents, allowDifferentBudgets: true })).toThrow(/--allow-different-budgets .* cannot go with --steps/);
  });
});
