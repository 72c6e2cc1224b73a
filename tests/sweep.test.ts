/**
 * Sweeps: grid and seeded random configurations (the same sweep seed plans the same configurations), their
 * validation, and a small grid sweep end to end whose report ranks the configurations by IQM with
 * P(best > each other). Plus a planning check: a plan whose agent cannot be built is refused
 * before comparison.json is written, so the corrected command is not refused as "a different comparison".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configName, parseGrid, parseRange, parseValueList, planSweep, sweepConfigs, type SweepOptions } from '../experiments/plan/sweep.js';
import { runComparison } from '../experiments/compare.js';
import { runCli } from './helpers/cli.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-sweep-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const base: SweepOptions = { agent: 'dqn', env: 'cartpole', grid: [], ranges: [], seeds: [0, 1], totalSteps: 2000, backend: 'wasm', outDir: '' };

describe('sweep planning', () => {
  it('parses grids (JSON values, arrays kept whole) and ranges', () => {
    expect(parseValueList('1e-3,5e-4')).toEqual([0.001, 0.0005]);
    expect(parseGrid('hidden=[64,64],[128,128]')).toEqual({ key: 'hidden', values: [[64, 64], [128, 128]] });
    expect(parseGrid('activation=relu,tanh')).toEqual({ key: 'activation', values: ['relu', 'tanh'] });
    expect(parseRange('lr=1e-4:1e-2:log')).toEqual({ key: 'lr', low: 1e-4, high: 1e-2, scale: 'log' });
    expect(parseRange('gamma=0.9:0.999')).toEqual({ key: 'gamma', low: 0.9, high: 0.999, scale: 'lin' });
    expect(() => parseGrid('lr')).toThrow(/--grid expects key=value1,value2/);
    expect(() => parseRange('lr=1e-2:1e-4')).toThrow(/low must be below high/);
    expect(() => parseRange('lr=0:1:log')).toThrow(/log range needs a positive low end/);
    expect(() => parseRange('lr=a:b')).toThrow(/--range expects key=low:high/);
    expect(configName({ lr: 0.001, hidden: [64, 64] })).toBe('lr=0.001+hidden=64x64');
  });

  it('a grid is the product of its lists, in flag order', () => {
    const configs = sweepConfigs({ grid: [parseGrid('lr=1e-3,5e-4'), parseGrid('hidden=[64,64],[128,128]')], ranges: [] });
    expect(configs).toEqual([
      { lr: 0.001, hidden: [64, 64] },
      { lr: 0.001, hidden: [128, 128] },
      { lr: 0.0005, hidden: [64, 64] },
      { lr: 0.0005, hidden: [128, 128] },
    ]);
  });

  it('random draws come from the sweep seed: the same seed plans the same configurations, another seed others', () => {
    const o = { grid: [parseGrid('hidden=[64,64],[128,128]')], ranges: [parseRange('lr=1e-4:1e-2:log'), parseRange('nSteps=1:5:int')], random: 6 };
    const a = sweepConfigs({ ...o, sweepSeed: 3 });
    expect(sweepConfigs({ ...o, sweepSeed: 3 })).toEqual(a);
    expect(sweepConfigs({ ...o, sweepSeed: 4 })).not.toEqual(a);
    for (const c of a) {
      expect(c.lr as number).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr as number).toBeLessThanOrEqual(1e-2);
      expect(Number.isInteger(c.nSteps) && (c.nSteps as number) >= 1 && (c.nSteps as number) <= 5).toBe(true);
    }
    // Log-uniform: about half of many draws below the geometric midpoint 1e-3.
    const many = sweepConfigs({ grid: [], ranges: [parseRange('lr=1e-4:1e-2:log')], random: 400, sweepSeed: 0 });
    const below = many.filter((c) => (c.lr as number) < 1e-3).length;
    expect(below).toBeGreaterThan(160);
    expect(below).toBeLessThan(240);
  });

  it('validates every configuration before anything runs', () => {
    expect(() => planSweep({ ...base })).toThrow(/nothing to sweep/);
    expect(() => planSweep({ ...base, ranges: [parseRange('lr=1e-4:1e-2')] })).toThrow(/--range needs --random N/);
    expect(() => planSweep({ ...base, grid: [parseGrid('noSuchKnob=1,2')] })).toThrow(/configuration noSuchKnob=1: .*unknown hyperparameter 'noSuchKnob'/);
    expect(() => planSweep({ ...base, grid: [parseGrid('lr=1e-3,5e-4')], sets: { lr: 0.1 } })).toThrow(/--set lr conflicts with the sweep over lr/);
    expect(() => planSweep({ ...base, env: 'lanekeeper-continuous', grid: [parseGrid('lr=1e-3')] })).toThrow(/dqn does not support Box action spaces/);
    const r = planSweep({ ...base, grid: [parseGrid('lr=1e-3,5e-4')], sets: { gamma: 0.98 } });
    expect(r.agents).toEqual(['lr=0.001', 'lr=0.0005']);
    expect(r.plans['lr=0.0005']).toMatchObject({ agent: 'dqn', totalSteps: 2000, hyperparams: { lr: 0.0005, gamma: 0.98 } });
    expect(r.sweep).toMatchObject({ agent: 'dqn', method: 'grid', params: { 'lr=0.001': { lr: 0.001 } } });
  });
});

describe('compare: a bad plan is refused before it is recorded', () => {
  it('an agent that cannot be built leaves no comparison.json, so the fixed command starts normally', async () => {
    const dir = path.join(root, 'bad-plan');
    await expect(runComparison({ env: 'cartpole', agents: ['dqn'], seeds: [0], totalSteps: 1000, sets: { dqn: { hidden: [0] } }, backend: 'wasm', outDir: dir, progress: 'none' })).rejects.toThrow(/dqn/);
    expect(fs.existsSync(path.join(dir, 'comparison.json'))).toBe(false);
  });
});

describe('npm run sweep', () => {
  it('a 2-configuration grid over 2 seeds: runs per configuration, a report ranking them by IQM with P(best > other)', async () => {
    const dir = path.join(root, 'grid');
    const res = await runCli([
      'sweep', '--agent', 'ppo', '--env', 'cartpole', '--grid', 'lr=3e-3,1e-5', '--seeds', '2', '--steps', '1500', '--eval-every', '500', '--eval-episodes', '3',
      '--checkpoint-every', '500', '--no-stop-when-solved', '--backend', 'wasm', '--workers', '2', '--bootstrap-reps', '300', '--progress', 'lines', '--out', dir,
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('sweeping 2 ppo configurations on CartPole-v1 over seeds 0, 1');
    expect(fs.readdirSync(path.join(dir, 'runs')).sort()).toEqual(['lr=0.00001__seed0', 'lr=0.00001__seed1', 'lr=0.003__seed0', 'lr=0.003__seed1']);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'lr=0.00001__seed1', 'config.json'), 'utf8')) as { agent: string; seed: number; hyperparams: { lr: number } };
    expect(config).toMatchObject({ agent: 'ppo', seed: 1, hyperparams: { lr: 1e-5 } });
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as {
      agents: string[];
      agentReports: { agent: string; iqm: { point: number } }[];
      sweep: { agent: string; ranking: { group: string; params: Record<string, unknown>; iqm: { point: number }; pBestBetter: { point: number } | null }[] };
      improvement: { x: string; y: string; probability: { point: number } }[];
    };
    expect(report.agents).toEqual(['lr=0.003', 'lr=0.00001']);
    const ranking = report.sweep.ranking;
    expect(ranking.map((r) => r.group).sort()).toEqual(['lr=0.00001', 'lr=0.003']);
    expect(ranking[0].iqm.point).toBeGreaterThanOrEqual(ranking[1].iqm.point);
    for (const r of ranking) expect(r.iqm.point).toBe(report.agentReports.find((a) => a.agent === r.group)!.iqm.point);
    expect(ranking[0].pBestBetter).toBeNull();
    expect(ranking[1].pBestBetter!.point).toBe(report.improvement.find((e) => e.x === ranking[0].group && e.y === ranking[1].group)!.probability.point);
    expect(ranking.find((r) => r.group === 'lr=0.00001')!.params).toEqual({ lr: 1e-5 });
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('### Sweep ranking (ppo): configurations by IQM of the final score');
    expect(md).toMatch(new RegExp(`\\| 1 \\| ${ranking[0].group.replace(/[.+]/g, '\\$&')} \\| lr=`));
  }, 120_000);
});
