/**
 * experiments/report.ts on hand-made comparison run directories: known eval curves and summaries in,
 * known table values out; "not reached" handling; clear errors naming the broken file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReport, computeReport, reportMarkdown, writeReport, type ReportInput } from '../experiments/report.js';
import { comparisonRunName, type ComparisonReport } from '../formats/comparison.js';

const ENV = 'CartPole-v1';

interface FakeRun {
  agent: string;
  seed: number;
  /** [step, eval mean] */
  evals: [number, number][];
  totalSteps?: number;
  status?: string;
  wallSeconds?: number;
  solvedAtWallSeconds?: number | null;
  evalEpisodes?: number;
  stopWhenSolved?: boolean;
}

function writeRun(runsDir: string, r: FakeRun): string {
  const dir = path.join(runsDir, comparisonRunName(r.agent, r.seed));
  fs.mkdirSync(dir, { recursive: true });
  const totalSteps = r.totalSteps ?? r.evals[r.evals.length - 1][0];
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ agent: r.agent, env: ENV, envId: ENV, seed: r.seed, totalSteps, evalEpisodes: r.evalEpisodes ?? 10, backend: 'cpu', rewardThreshold: 475, stopWhenSolved: r.stopWhenSolved ?? false }),
  );
  // Training lines between the evals, as the harness writes them: the report must skip them.
  const lines: string[] = [];
  for (const [step, m] of r.evals) {
    lines.push(JSON.stringify({ kind: 'episode', step: step - 1, return: 12, length: 12, terminated: true }));
    lines.push(JSON.stringify({ kind: 'update', step, updates: 3, loss: 0.5 }));
    lines.push(JSON.stringify({ kind: 'eval', step, mean: m, std: 0, returns: [m], lengths: [m] }));
  }
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  const last = r.evals[r.evals.length - 1];
  const solved = r.evals.find(([, m]) => m >= 475);
  fs.writeFileSync(
    path.join(dir, 'summary.json'),
    JSON.stringify({
      status: r.status ?? 'finished',
      steps: last[0],
      wallSeconds: r.wallSeconds ?? last[0] / 1000,
      finalEval: { mean: last[1], std: 0, step: last[0] },
      bestEval: null,
      solvedAtStep: solved ? solved[0] : null,
      solvedAtWallSeconds: r.solvedAtWallSeconds !== undefined ? r.solvedAtWallSeconds : solved ? solved[0] / 1000 : null,
    }),
  );
  return dir;
}

let root: string;
let input: ReportInput;
let report: ComparisonReport;

// Agent "fast": final scores 10, 20, 30, 1000 → mean 265, median 25, IQM (middle two) 25.
// It reaches 475 at steps 3000 (seed 0), 4000 (seed 3) and 5000 (seed 1); seed 2 never does.
// Agent "slow": final scores 5, 5, 5, 5 (constant: every interval collapses); only seed 1 reaches 475.
const FAST: FakeRun[] = [
  { agent: 'fast', seed: 0, evals: [[1000, 0], [2000, 100], [3000, 500], [4000, 500], [5000, 10]] },
  { agent: 'fast', seed: 1, evals: [[1000, 0], [2000, 100], [3000, 200], [4000, 300], [5000, 480], [6000, 20]], totalSteps: 6000 },
  { agent: 'fast', seed: 2, evals: [[1000, 0], [2000, 30]], totalSteps: 6000, status: 'diverged' },
  { agent: 'fast', seed: 3, evals: [[1000, 0], [2000, 0], [3000, 0], [4000, 1000]], totalSteps: 6000 },
];
const SLOW: FakeRun[] = [0, 1, 2, 3].map((seed) => ({ agent: 'slow', seed, evals: [[1000, 1], [2000, seed === 1 ? 500 : 3], [3000, 5]] as [number, number][], totalSteps: 3000 }));

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-report-'));
  const runsDir = path.join(root, 'runs');
  for (const r of [...FAST, ...SLOW]) writeRun(runsDir, r);
  input = { env: ENV, agents: ['fast', 'slow'], seeds: [0, 1, 2, 3], runsDir };
  report = computeReport(input, { bootstrapReps: 500 });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const agent = (name: string) => report.agentReports.find((a) => a.agent === name)!;

describe('report: per-agent statistics', () => {
  it('final scores are the last eval of each run, in seed order; mean, median and IQM are exact', () => {
    const fast = agent('fast');
    expect(fast.scores).toEqual([10, 20, 30, 1000]);
    expect(fast.mean.point).toBe(265);
    expect(fast.median.point).toBe(25);
    expect(fast.iqm.point).toBe(25);
    for (const i of [fast.mean, fast.median, fast.iqm]) {
      expect(i.low).toBeLessThanOrEqual(i.point);
      expect(i.high).toBeGreaterThanOrEqual(i.point);
      expect(i.low).toBeGreaterThanOrEqual(10);
      expect(i.high).toBeLessThanOrEqual(1000);
    }
    // One outlier seed makes the mean's interval wide.
    expect(fast.mean.high).toBeGreaterThan(500);
    const slow = agent('slow');
    expect(slow.scores).toEqual([5, 5, 5, 5]);
    for (const i of [slow.mean, slow.median, slow.iqm]) expect(i).toEqual({ point: 5, low: 5, high: 5 });
    expect(fast.runs).toBe(4);
    expect(fast.diverged).toBe(1);
    expect(fast.evalEpisodes).toBe(10);
    expect(fast.totalSteps).toEqual([5000, 6000]);
  });

  it('steps to threshold: first eval reaching it; a run that never did is censored where it ended (Kaplan–Meier median)', () => {
    const fast = agent('fast');
    expect(fast.solved).toBe(3);
    // Seed 2 diverged at 2000 without reaching it: censored there, not dropped and not "infinitely late".
    // Times 3000, 4000, 5000 reached, 2000 censored: S(3000) = 2/3, S(4000) = 1/3 < 1/2, so the median is 4000.
    expect(fast.stepsToThreshold).toMatchObject({ perSeed: [3000, 5000, null, 4000], censoredAt: [null, null, 2000, null], reached: 3, median: 4000 });
    expect(fast.stepsToThreshold!.low).toBeLessThanOrEqual(4000);
    expect(fast.solveRate!.point).toBe(0.75);
    // Wilson score interval for 3 of 4 at 95%.
    expect(fast.solveRate!.low).toBeCloseTo(0.3006, 4);
    expect(fast.solveRate!.high).toBeCloseTo(0.9544, 4);
    const slow = agent('slow');
    expect(slow.solved).toBe(1);
    expect(slow.stepsToThreshold).toMatchObject({ perSeed: [null, 2000, null, null], censoredAt: [3000, null, 3000, 3000], reached: 1, median: null, high: null });
    expect(report.rewardThreshold).toBe(475);
    expect(report.headline).toBe('final-score');
  });

  it('AUC is the trapezoid area over the measured eval curve divided by its span: nothing past a run\'s end enters it', () => {
    const fast = agent('fast');
    // seed 0: evals 0,100,500,500,10 at 1000..5000 (budget reached): (50+300+500+255)·1000 / 4000.
    expect(fast.auc.perSeed[0]).toBeCloseTo((50 + 300 + 500 + 255) / 4, 10);
    // seed 2 diverged at 2000 with budget 6000: 0→30 over its 1000 measured steps, nothing after.
    expect(fast.auc.perSeed[2]).toBeCloseTo(15, 10);
    // seed 3 ended at 4000 of 6000: 0,0,0,1000 over 1000..4000.
    expect(fast.auc.perSeed[3]).toBeCloseTo(500 / 3, 10);
    expect(fast.auc.mean.point).toBeCloseTo(fast.auc.perSeed.reduce((a, b) => a + b, 0) / 4, 10);
    const r2 = report.runs.find((r) => r.run === 'fast__seed2')!;
    expect(r2.endedEarly).toBe(true);
    expect(r2.evalSteps).toEqual([1000, 2000]);
    expect(report.method.endedEarly).toBe(2); // fast seeds 2 and 3
    expect(checkReport(report)).toEqual([]);
  });

  it('probability of improvement for every ordered pair, complementary', () => {
    const fs2 = report.improvement.find((e) => e.x === 'fast' && e.y === 'slow')!.probability;
    const sf = report.improvement.find((e) => e.x === 'slow' && e.y === 'fast')!.probability;
    expect(fs2.point).toBe(1); // every fast score (10…1000) beats every slow one (5)
    expect(sf.point).toBe(0);
    expect(fs2.low).toBe(1);
    expect(report.improvement).toHaveLength(2);
    expect(report.improvement.map((e) => [e.metric, e.evidence])).toEqual([
      ['final score', 'x'],
      ['final score', 'y'],
    ]);
  });

  it('performance profile: fraction of runs strictly above each threshold, from the lowest to the highest score', () => {
    const { thresholds, fractions } = report.performanceProfile;
    expect(thresholds[0]).toBe(5);
    expect(thresholds[thresholds.length - 1]).toBe(1000);
    expect(thresholds).toHaveLength(51);
    expect(fractions.fast[0]).toBe(1);
    expect(fractions.slow[0]).toBe(0);
    expect(fractions.fast[fractions.fast.length - 1]).toBe(0);
    // At τ = 24.9 (between 20 and 30) two of the fast runs are above.
    const i = thresholds.findIndex((t) => t > 20);
    expect(thresholds[i]).toBeLessThan(30);
    expect(fractions.fast[i]).toBe(0.5);
  });

  it('aggregated curves: IQM over seeds on the shared eval steps, with a band', () => {
    const slow = report.curves.slow;
    expect(slow.steps).toEqual([1000, 2000, 3000]);
    expect(slow.point).toEqual([1, 3, 5]); // IQM of [3, 500, 3, 3] drops the 500
    expect(slow.low[1]).toBeLessThanOrEqual(3);
    expect(slow.high[1]).toBeGreaterThanOrEqual(3);
    const fast = report.curves.fast;
    // fast seed 2 ended (diverged) at 2000: the curve over seeds ends there too.
    expect(fast.steps).toEqual([1000, 2000]);
    // At 2000: seed values 100, 100, 30, 0 → IQM = mean(30, 100) = 65.
    expect(fast.point[1]).toBe(65);
  });

  it('keeps wall-clock numbers apart; everything else is reproducible', () => {
    expect(report.wallClock.agents.fast.secondsToThreshold).toMatchObject({ perSeed: [3, 5, null, 4], censoredAt: [null, null, 2, null], reached: 3, median: 4 });
    expect(report.wallClock.runs['slow__seed1']).toEqual({ seconds: 3, secondsToThreshold: 2 });
    const again = computeReport(input, { bootstrapReps: 500 });
    const strip = (r: ComparisonReport) => ({ ...r, wallClock: undefined });
    expect(JSON.stringify(strip(again))).toBe(JSON.stringify(strip(report)));
    expect(again.wallClock.agents).toEqual(report.wallClock.agents);
    // Another bootstrap seed moves the intervals but not the points.
    const other = computeReport(input, { bootstrapReps: 500, seed: 1 });
    expect(other.agentReports[0].mean.point).toBe(265);
    expect(JSON.stringify(other.agentReports[0].mean)).not.toBe(JSON.stringify(report.agentReports[0].mean));
  });
});

describe('report: Markdown', () => {
  it('has the table row per agent with CIs, overlaps, solved counts, times to threshold and "not reached", after the caveats', () => {
    const md = reportMarkdown(report);
    expect(md).toContain('| agent | runs | IQM [95% CI] | mean [95% CI] | median [95% CI] | AUC [95% CI] | IQM interval overlaps | solved | median steps to threshold |');
    const fastRow = md.split('\n').find((l) => l.startsWith('| fast |'))!;
    const cells = fastRow.split('|').map((c) => c.trim()).slice(1, -1);
    const f = agent('fast');
    expect(cells[1]).toBe('4 (1 diverged)');
    expect(cells[2]).toBe(`25.00 [${fmt(f.iqm.low)}, ${fmt(f.iqm.high)}]`);
    expect(cells[3]).toBe(`265.0 [${fmt(f.mean.low)}, ${fmt(f.mean.high)}]`);
    expect(cells[4]).toMatch(/^25\.00 \[/);
    expect(cells[6]).toBe('—'); // fast's IQM interval (≥ 10) does not overlap slow's (exactly 5)
    expect(cells[7]).toBe('3/4');
    expect(cells[8]).toMatch(/^4,000 \[[\d,]+, [\d,a-z ]+\] \(3\/4 reached\)$/);
    const slowRow = md.split('\n').find((l) => l.startsWith('| slow |'))!;
    expect(slowRow).toContain('| 5.00 [5.00, 5.00] |');
    expect(slowRow).toContain('| 1/4 | not reached (1/4 reached) |');
    expect(md).toContain('| fast | — | 1.00 [1.00, 1.00] |');
    expect(md).toContain('| slow | 0.00 [0.00, 0.00] | — |');
    expect(md).toMatch(/seeds 0, 1, 2, 3, the same for every agent/);
    expect(md).toMatch(/500 resamples/);
    expect(md).toMatch(/eval episodes per evaluation: fast 10, slow 10/);
    expect(md).toMatch(/Statistical Precipice/);
    // The caveats come first: different budgets, runs that ended early, too few seeds.
    const notes = md.split('\n').filter((l) => l.startsWith('> **Note:**'));
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(/different budgets \(fast 5,000\/6,000, slow 3,000 env steps\)/);
    expect(notes[1]).toMatch(/2 run\(s\) ended before their budget \(1 diverged, 1 finished short of it\): each curve and AUC ends where its run ended/);
    expect(notes[2]).toMatch(/Only 4 run\(s\)/);
    expect(md.indexOf('> **Note:**')).toBeLessThan(md.indexOf('### Final greedy-eval return'));
  });

  it('writes report.json and report.md', () => {
    const dir = fs.mkdtempSync(path.join(root, 'out-'));
    const { json, markdown } = writeReport(dir, report);
    expect(JSON.parse(fs.readFileSync(json, 'utf8')).agentReports[0].iqm.point).toBe(25);
    expect(fs.readFileSync(markdown, 'utf8')).toBe(reportMarkdown(report));
  });
});

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

describe('report: broken or missing run files', () => {
  /** A copy of the good fixture where `mutate` breaks something; returns the error message. */
  function errorAfter(mutate: (runsDir: string) => void): string {
    const dir = fs.mkdtempSync(path.join(root, 'broken-'));
    fs.cpSync(input.runsDir, path.join(dir, 'runs'), { recursive: true });
    mutate(path.join(dir, 'runs'));
    try {
      computeReport({ ...input, runsDir: path.join(dir, 'runs') }, { bootstrapReps: 50 });
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('computeReport did not fail');
  }

  it('names a missing run directory, metrics file or summary', () => {
    expect(errorAfter((d) => fs.rmSync(path.join(d, 'slow__seed2'), { recursive: true }))).toMatch(/run directory .*slow__seed2 is missing/);
    expect(errorAfter((d) => fs.rmSync(path.join(d, 'fast__seed1', 'metrics.jsonl')))).toMatch(/metrics file .*fast__seed1\/metrics\.jsonl is missing/);
    expect(errorAfter((d) => fs.rmSync(path.join(d, 'fast__seed1', 'summary.json')))).toMatch(/run summary .*fast__seed1\/summary\.json is missing/);
  });

  it('names the file and line of corrupt JSON', () => {
    const msg = errorAfter((d) => {
      const f = path.join(d, 'slow__seed3', 'metrics.jsonl');
      const lines = fs.readFileSync(f, 'utf8').split('\n');
      lines[4] = '{"kind": "eval", "step": 20';
      fs.writeFileSync(f, lines.join('\n'));
    });
    expect(msg).toMatch(/metrics file .*slow__seed3\/metrics\.jsonl, line 5, is not valid JSON/);
    expect(errorAfter((d) => fs.writeFileSync(path.join(d, 'fast__seed0', 'config.json'), '{"agent": '))).toMatch(/run config .*fast__seed0\/config\.json is not valid JSON/);
    expect(errorAfter((d) => fs.writeFileSync(path.join(d, 'fast__seed0', 'metrics.jsonl'), '{"kind":"episode","step":1,"return":3}\n'))).toMatch(/fast__seed0\/metrics\.jsonl has no eval records/);
  });

  it('refuses unfinished runs and runs of another agent or seed', () => {
    expect(
      errorAfter((d) => {
        const f = path.join(d, 'slow__seed0', 'summary.json');
        fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), status: 'interrupted' }));
      }),
    ).toMatch(/run .*slow__seed0 is not finished \(summary\.json status: interrupted\); re-run the comparison with the same --out to resume it/);
    expect(
      errorAfter((d) => {
        const f = path.join(d, 'slow__seed0', 'config.json');
        fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), seed: 9 }));
      }),
    ).toMatch(/slow__seed0\/config\.json is for slow on CartPole-v1 seed 9, but the comparison expects slow on CartPole-v1 seed 0/);
  });
});

describe('report: what a comparison can support', () => {
  /** A comparison of its own from `runs`, with a small bootstrap. */
  function reportOf(name: string, runs: FakeRun[]): ComparisonReport {
    const runsDir = path.join(fs.mkdtempSync(path.join(root, `${name}-`)), 'runs');
    for (const r of runs) writeRun(runsDir, r);
    const agents = [...new Set(runs.map((r) => r.agent))];
    const seeds = [...new Set(runs.map((r) => r.seed))];
    return computeReport({ env: ENV, agents, seeds, runsDir }, { bootstrapReps: 400 });
  }

  it('runs that stopped when solved: the headline is steps to threshold with intervals, unsolved runs censored, final score not ranked', () => {
    // "quick" solves at 3000 on every seed; "steady" at 4000 or 5000 and one seed never (it trains to the 6000 budget).
    // Their last evaluations (the ones that crossed 475) favour "steady" (499 against 480), which must not decide anything.
    const curve = (solveAt: number | null, finalScore: number): [number, number][] => {
      const out: [number, number][] = [];
      for (let s = 1000; s <= (solveAt ?? 6000); s += 1000) out.push([s, s === solveAt ? finalScore : 100 + s / 100]);
      return out;
    };
    const runs: FakeRun[] = [0, 1, 2, 3, 4].flatMap((seed) => [
      { agent: 'quick', seed, evals: curve(3000, 480), totalSteps: 6000, stopWhenSolved: true },
      { agent: 'steady', seed, evals: curve(seed === 4 ? null : seed % 2 ? 5000 : 4000, 499), totalSteps: 6000, stopWhenSolved: true },
    ]);
    const r = reportOf('stop-when-solved', runs);
    expect(r.headline).toBe('time-to-threshold');
    const quick = r.agentReports.find((a) => a.agent === 'quick')!;
    const steady = r.agentReports.find((a) => a.agent === 'steady')!;
    expect(quick.stepsToThreshold).toMatchObject({ median: 3000, low: 3000, high: 3000, reached: 5 });
    // steady: 4000, 5000, 4000, 5000 reached, seed 4 censored at 6000 → S(4000) = 3/5, S(5000) = 1/5: median 5000.
    expect(steady.stepsToThreshold).toMatchObject({ perSeed: [4000, 5000, 4000, 5000, null], censoredAt: [null, null, null, null, 6000], reached: 4, median: 5000 });
    expect(steady.stepsToThreshold!.low).toBeGreaterThanOrEqual(4000);
    expect(steady.solveRate!.point).toBe(0.8);
    expect(r.wallClock.agents.quick.secondsToThreshold).toMatchObject({ median: 3, reached: 5 });
    // P(quick reaches it sooner than steady) = 1, and it is evidence; the final score (480 < 499) is not used.
    const e = r.improvement.find((i) => i.x === 'quick' && i.y === 'steady')!;
    expect(e).toMatchObject({ metric: 'steps to threshold', evidence: 'x' });
    expect(e.probability.point).toBe(1);
    expect(quick.overlaps).toEqual([]);
    const md = reportMarkdown(r);
    expect(md).toContain('### Steps and seconds to the reward threshold (runs stopped when solved)');
    expect(md).not.toContain('### Final greedy-eval return');
    expect(md).toMatch(/> \*\*Note:\*\* The runs stopped when solved: each final score is just the evaluation that crossed the threshold/);
    expect(md).toMatch(/\| quick \| 5 \| 5\/5 \[0\.\d\d, 1\.00\] \| 3,000 \[3,000, 3,000\] \| 3\.0 \[3\.0, 3\.0\] \| — \|/);
    expect(md).toMatch(/\| steady \| 5 \| 4\/5 \[0\.\d\d, 0\.\d\d\] \| 5,000 \[[\d,]+, [\d,a-z ]+\] \(4\/5 reached\) \|/);
    expect(checkReport(r)).toEqual([]);
  });

  it('P(X > Y) whose interval contains ½ reads "no evidence", and overlapping intervals are marked', () => {
    const runs: FakeRun[] = [0, 1, 2, 3, 4].flatMap((seed) => [
      { agent: 'a', seed, evals: [[1000, 10], [2000, [300, 320, 340, 360, 380][seed]]] as [number, number][] },
      { agent: 'b', seed, evals: [[1000, 10], [2000, [310, 330, 350, 370, 390][seed]]] as [number, number][] },
    ]);
    const r = reportOf('no-evidence', runs);
    const e = r.improvement.find((i) => i.x === 'b' && i.y === 'a')!;
    expect(e.probability.point).toBeCloseTo(0.6, 10);
    expect(e.probability.low).toBeLessThan(0.5);
    expect(e.evidence).toBe('none');
    expect(r.agentReports.find((a) => a.agent === 'a')!.overlaps).toEqual(['b']);
    const md = reportMarkdown(r);
    expect(md).toContain(`| b | ${e.probability.point.toFixed(2)} [${e.probability.low.toFixed(2)}, ${e.probability.high.toFixed(2)}] (no evidence) | — |`);
    expect(md.split('\n').find((l) => l.startsWith('| a |'))).toContain('| b |');
  });

  it('many groups: P(best > each other) in a top-k table instead of an N×N matrix', () => {
    const agents = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7'];
    const runs: FakeRun[] = agents.flatMap((agent, k) => [0, 1].map((seed) => ({ agent, seed, evals: [[1000, 0], [2000, 100 * k + seed]] as [number, number][] })));
    const r = reportOf('many', runs);
    const md = reportMarkdown(r);
    expect(md).not.toContain('| P(X > Y) |');
    expect(md).toContain('### Probability of improvement: g7 against the others');
    expect(md).toMatch(/\| g6 \| 1\.00 \[[\d.]+, 1\.00\] \| (g7 better|no evidence) \|/);
  });

  it('a report with a run carried flat past its end fails the check and is not written', () => {
    const carried = structuredClone(report);
    const run = carried.runs.find((r) => r.run === 'fast__seed2')!;
    run.evalSteps = [...run.evalSteps, run.totalSteps];
    run.evalMeans = [...run.evalMeans, run.evalMeans[run.evalMeans.length - 1]];
    expect(checkReport(carried)[0]).toMatch(/run fast__seed2: its curve goes to step 6000 but it trained 2000 steps/);
    // An AUC that counts steps past the end, or an aggregate curve longer than its runs, is caught too.
    const auc = structuredClone(report);
    auc.runs[2].auc = (15 * 1000 + 30 * 4000) / 5000;
    expect(checkReport(auc)).toEqual([expect.stringMatching(/fast__seed2: its AUC 27 is not the area under its measured curve \(15\)/)]);
    const curve = structuredClone(report);
    curve.curves.fast.steps.push(6000);
    expect(checkReport(curve)).toEqual([expect.stringMatching(/fast: its aggregated curve goes to step 6000, past the end of one of its runs \(step 2000\)/)]);
    const dir = fs.mkdtempSync(path.join(root, 'carried-'));
    expect(() => writeReport(dir, carried)).toThrow(/misrepresents its runs/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("the example comparison's report.json (an earlier format, every run at its budget) passes the check", () => {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'examples', 'cartpole-dqn-ppo-a2c', 'report.json'), 'utf8')) as ComparisonReport;
    expect(checkReport(example)).toEqual([]);
  });

  it('scales scores from the env random-policy return up to its maximum', () => {
    expect(report.scoreScale.floorSource).toBe('random policy');
    // A uniformly random CartPole policy lasts about 20 steps.
    expect(report.scoreScale.floor).toBeGreaterThan(10);
    expect(report.scoreScale.floor).toBeLessThan(40);
    expect(report.scoreScale.ceiling).toBe(500);
  });
});
