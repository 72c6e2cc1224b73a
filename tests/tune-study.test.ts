import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TsgymError } from '../core/errors.js';
import { optimize, type TrialContext, type TrialOutcome } from '../experiments/tune/optimize.js';
import { selectWinner, topTrials } from '../experiments/tune/select.js';
import { STUDY_FILES, Study, freshSeeds, readStudy, trialSeeds, type StudySettings, type TrialLine } from '../experiments/tune/study.js';

const dirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-tune-study-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const SETTINGS: StudySettings = {
  agent: 'ppo',
  env: 'CartPole-v1',
  space: { lr: { type: 'float', low: 1e-5, high: 1e-1, log: true }, activation: { type: 'categorical', choices: ['tanh', 'relu'] } },
  sampler: 'tpe',
  seed: 42,
  seedsPerTrial: 3,
  objective: 'last-quarter',
  pruner: 'median',
  tpe: { startupTrials: 4 },
  prunerOptions: { startupTrials: 2 },
  fixedHyperparams: { numSteps: 64 },
  budget: { totalSteps: 5000, numEnvs: 2 },
};

/** A stand-in for a trial's runs: a deterministic learning curve per seed; lr > 0.05 "diverges" (fails). */
function curve(params: TrialLine['params'], seed: number, step: number): number {
  const quality = -((Math.log10(params.lr as number) + 3) ** 2) + (params.activation === 'relu' ? 0.5 : 0);
  return quality * (1 + step) + (seed % 7) / 10;
}

/** Runs trials until `total` have finished, as the tune coordinator would: report per step, prune, fail or complete. */
function drive(study: Study, total: number): (TrialLine & { rerun: boolean })[] {
  const handedOut: (TrialLine & { rerun: boolean })[] = [];
  const finished = () => study.trials().filter((t) => t.state !== 'running').length;
  while (finished() < total) {
    const t = study.next();
    handedOut.push(t);
    if ((t.params.lr as number) > 0.05) {
      study.fail(t.trial, 'diverged');
      continue;
    }
    let pruned = false;
    for (let step = 0; step < 4 && !pruned; step++) {
      const value = t.seeds.reduce((s, seed) => s + curve(t.params, seed, step), 0) / t.seeds.length;
      if (study.report(t.trial, step, value)) {
        study.prune(t.trial);
        pruned = true;
      }
    }
    if (!pruned) study.complete(t.trial, t.seeds.map((seed) => curve(t.params, seed, 3)));
  }
  return handedOut;
}

const trialLines = (dir: string) => readStudy(dir).trials;

describe('a persistent study', () => {
  it('writes a header, one line per state change, and best.json as a preset file', () => {
    const dir = tmpDir();
    const study = Study.open(dir, SETTINGS);
    drive(study, 12);
    const lines = fs.readFileSync(path.join(dir, STUDY_FILES.trials), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ kind: 'study', format: 'tsgym-study', version: 1, agent: 'ppo', env: 'CartPole-v1', sampler: 'tpe', seed: 42 });
    // Every trial: a running line, then its final line.
    expect(lines.length).toBe(1 + 2 * 12);
    const trials = trialLines(dir);
    expect(trials.map((t) => t.trial)).toEqual([...Array(12).keys()]);
    const states = new Set(trials.map((t) => t.state));
    expect(states.has('complete')).toBe(true);
    expect(states.has('pruned') || states.has('failed')).toBe(true);
    for (const t of trials) {
      expect(t.seeds).toEqual(trialSeeds(42, 3));
      if (t.state === 'complete') expect(t.scores).toHaveLength(3);
      if (t.state === 'pruned') expect(t.prunedAt).toBe(t.intermediate![t.intermediate!.length - 1][0]);
    }
    const best = study.writeBest();
    const file = JSON.parse(fs.readFileSync(path.join(dir, STUDY_FILES.best), 'utf8')) as typeof best;
    const bestTrial = study.best()!;
    expect(file).toEqual(best);
    expect(file).toMatchObject({ agent: 'ppo', env: 'CartPole-v1', totalSteps: 5000, numEnvs: 2, hyperparams: { numSteps: 64, ...bestTrial.params } });
    expect(file.provenance).toMatchObject({ tool: 'tsgym tune', trial: bestTrial.trial, value: bestTrial.value, objective: 'last-quarter', seeds: trialSeeds(42, 3) });
    expect(Math.max(...trials.filter((t) => t.state === 'complete').map((t) => t.value!))).toBe(bestTrial.value);
  });

  it('killed at any point (trials.jsonl cut mid-line or between lines) and reopened, it ends as an uninterrupted study', () => {
    const full = tmpDir();
    drive(Study.open(full, SETTINGS), 12);
    const expected = trialLines(full);
    const text = fs.readFileSync(path.join(full, STUDY_FILES.trials), 'utf8');
    const ends = [...text.matchAll(/\n/g)].map((m) => m.index! + 1);
    // Cut after each whole line, and in the middle of each line (a torn write).
    const cuts = ends.flatMap((end, i) => [end, Math.floor(((i ? ends[i - 1] : 0) + end) / 2)]).filter((c) => c < text.length);
    for (const cut of cuts) {
      const dir = tmpDir();
      fs.writeFileSync(path.join(dir, STUDY_FILES.trials), text.slice(0, cut));
      const before = cut >= ends[0] ? trialLines(dir) : [];
      const handedOut = drive(Study.open(dir, SETTINGS), 12);
      // Finished trials are kept as they were (never handed out again); a trial cut off while running is
      // handed out again first, with its parameters.
      const running = before.filter((t) => t.state === 'running');
      expect(handedOut.filter((t) => t.rerun).map((t) => t.trial)).toEqual(running.map((t) => t.trial));
      if (running.length) expect(handedOut[0]).toMatchObject({ trial: running[0].trial, params: running[0].params, rerun: true });
      expect(handedOut.map((t) => t.trial)).toEqual([...new Set(handedOut.map((t) => t.trial))]);
      expect(Math.min(...handedOut.map((t) => t.trial))).toBe(before.filter((t) => t.state !== 'running').length);
      const got = trialLines(dir);
      expect(got.map(({ trial, state, params, scores, value, prunedAt }) => ({ trial, state, params, scores, value, prunedAt }))).toEqual(
        expected.map(({ trial, state, params, scores, value, prunedAt }) => ({ trial, state, params, scores, value, prunedAt })),
      );
      // The torn tail was cut off, so every line of the file parses.
      for (const line of fs.readFileSync(path.join(dir, STUDY_FILES.trials), 'utf8').trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  it('refuses to continue with other settings, and writes nothing', () => {
    const dir = tmpDir();
    drive(Study.open(dir, SETTINGS), 3);
    const file = path.join(dir, STUDY_FILES.trials);
    const before = fs.readFileSync(file, 'utf8');
    expect(() => Study.open(dir, { ...SETTINGS, seed: 43 })).toThrow(/was started with other settings \(seed; seed was 42, now 43\)/);
    expect(() => Study.open(dir, { ...SETTINGS, space: { ...SETTINGS.space, gamma: { type: 'float', low: 0.9, high: 0.999 } } })).toThrow(/other settings \(space/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    // The same settings built in another key order are the same settings.
    const reordered = Object.fromEntries(Object.entries(SETTINGS).reverse()) as unknown as StudySettings;
    expect(() => Study.open(dir, { ...reordered, budget: { numEnvs: 2, totalSteps: 5000 } })).not.toThrow();
  });

  it('bad settings write nothing', () => {
    const dir = path.join(tmpDir(), 'study');
    expect(() => Study.open(dir, { ...SETTINGS, space: { lr: { type: 'float', low: 0, high: 1, log: true } } })).toThrow(TsgymError);
    expect(() => Study.open(dir, { ...SETTINGS, seedsPerTrial: 0 })).toThrow(/seeds per trial must be a positive integer/);
    expect(() => Study.open(dir, { ...SETTINGS, sampler: 'grid' as 'tpe' })).toThrow(/unknown sampler 'grid'/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('a damaged line before the end is an error, not silently dropped', () => {
    const dir = tmpDir();
    drive(Study.open(dir, SETTINGS), 3);
    const file = path.join(dir, STUDY_FILES.trials);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2].slice(0, 10);
    fs.writeFileSync(file, lines.join('\n'));
    expect(() => Study.open(dir, SETTINGS)).toThrow(/line 3 is damaged/);
  });

  it('only running trials can be told, and each once', () => {
    const study = Study.open(tmpDir(), SETTINGS);
    const t = study.next();
    study.complete(t.trial, [1, 2, 3]);
    expect(() => study.complete(t.trial, [1, 2, 3])).toThrow(/cannot complete trial 0: it is complete/);
    expect(() => study.prune(5)).toThrow(/no such trial/);
    const u = study.next();
    expect(() => study.complete(u.trial, [1])).toThrow(/runs 3 seeds but 1 scores/);
  });

  it('fresh seeds for re-evaluation are never trial seeds', () => {
    const fresh = freshSeeds(42, 10, 3);
    expect(fresh).toHaveLength(10);
    expect(new Set(fresh).size).toBe(10);
    for (const s of trialSeeds(42, 3)) expect(fresh).not.toContain(s);
  });
});

describe('optimize: the study loop', () => {
  /** runTrial for `curve`: reports steps 0–3 (stopping when told), fails lr > 0.05, after a tick per step. */
  const runTrial = async (ctx: TrialContext): Promise<TrialOutcome> => {
    if ((ctx.params.lr as number) > 0.05) return { failed: 'diverged' };
    for (let step = 0; step < 4; step++) {
      await new Promise((r) => setImmediate(r));
      const value = ctx.seeds.reduce((s, seed) => s + curve(ctx.params, seed, step), 0) / ctx.seeds.length;
      if (ctx.report(step, value)) return { scores: [] }; // pruned: whatever comes back is ignored
    }
    return { scores: ctx.seeds.map((seed) => curve(ctx.params, seed, 3)) };
  };
  const summary = (lines: TrialLine[]) => lines.map(({ trial, state, params, value, prunedAt }) => ({ trial, state, params, value, prunedAt }));

  it('one at a time, it ends as the hand-driven loop does', async () => {
    const byHand = tmpDir();
    drive(Study.open(byHand, SETTINGS), 10);
    const dir = tmpDir();
    const seen: number[] = [];
    const lines = await optimize(Study.open(dir, SETTINGS), { trials: 10, runTrial, onTrial: (t) => seen.push(t.trial) });
    expect(summary(lines)).toEqual(summary(trialLines(byHand)));
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(lines.some((t) => t.state === 'pruned')).toBe(true);
  });

  it('runs trials concurrently, aborts pruned ones, and records failures', async () => {
    let running = 0;
    let most = 0;
    const aborted: number[] = [];
    const lines = await optimize(Study.open(tmpDir(), SETTINGS), {
      trials: 12,
      concurrency: 3,
      runTrial: async (ctx) => {
        running++;
        most = Math.max(most, running);
        ctx.signal.addEventListener('abort', () => aborted.push(ctx.trial));
        try {
          if (ctx.trial === 5) throw new Error('worker lost');
          if (ctx.trial === 6) return { scores: [1, Number.NaN, 2] };
          return await runTrial(ctx);
        } finally {
          running--;
        }
      },
    });
    expect(most).toBe(3);
    expect(lines.filter((t) => t.state !== 'running')).toHaveLength(12);
    expect(lines[5]).toMatchObject({ state: 'failed', message: 'worker lost' });
    expect(lines[6]).toMatchObject({ state: 'failed', message: 'a seed scored NaN (diverged run?)' });
    expect(aborted.sort((a, b) => a - b)).toEqual(lines.filter((t) => t.state === 'pruned').map((t) => t.trial));
  });

  it('a result the study cannot record stops the study with that error, after the other trials stop', async () => {
    const stopped: number[] = [];
    const run = optimize(Study.open(tmpDir(), SETTINGS), {
      trials: 6,
      concurrency: 2,
      runTrial: async (ctx) => {
        if (ctx.trial === 0) return { scores: [1] }; // three seeds, one score
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        stopped.push(ctx.trial);
        return { scores: [0, 0, 0] };
      },
    });
    await expect(run).rejects.toThrow(/trial 0 runs 3 seeds but 1 scores were given/);
    expect(stopped).toEqual([1]);
  });

  it('stopped, it leaves the running trials to be run again; resumed, it finishes the count with none run twice', async () => {
    const dir = tmpDir();
    const stop = new AbortController();
    await optimize(Study.open(dir, SETTINGS), {
      trials: 8,
      concurrency: 2,
      signal: stop.signal,
      runTrial,
      onTrial: () => {
        if (trialLines(dir).filter((t) => t.state !== 'running').length >= 3) stop.abort();
      },
    });
    const cut = trialLines(dir).filter((t) => t.state === 'running').map((t) => t.trial);
    expect(cut.length).toBeGreaterThan(0);
    const reruns: number[] = [];
    const lines = await optimize(Study.open(dir, SETTINGS), {
      trials: 8,
      runTrial: (ctx) => {
        if (ctx.rerun) reruns.push(ctx.trial);
        return runTrial(ctx);
      },
    });
    expect(reruns).toEqual(cut);
    expect(lines.filter((t) => t.state !== 'running')).toHaveLength(8);
    // Each trial reached a final state once in the file.
    const finals = fs.readFileSync(path.join(dir, STUDY_FILES.trials), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as TrialLine).filter((t) => t.state !== 'running');
    expect(finals.map((t) => t.trial).sort((a, b) => a - b)).toEqual([...Array(8).keys()]);
  });
});

describe('choosing the winner on fresh seeds', () => {
  const line = (trial: number, state: TrialLine['state'], value?: number): TrialLine => ({ kind: 'trial', trial, state, params: {}, seeds: [], value });

  it('the top k complete trials by study value, the earlier first on a tie', () => {
    const trials = [line(0, 'complete', 5), line(1, 'pruned'), line(2, 'complete', 9), line(3, 'failed'), line(4, 'complete', 5), line(5, 'complete', 7), line(6, 'running')];
    expect(topTrials(trials, 3).map((t) => t.trial)).toEqual([2, 5, 0]);
    expect(topTrials(trials, 10).map((t) => t.trial)).toEqual([2, 5, 0, 4]);
  });

  it('the winner is the best IQM on the fresh seeds, with its interval and P(better than the defaults)', () => {
    const defaults = [10, 12, 11, 9, 10, 13, 11, 10, 12, 9];
    // Study rank order: trial 2 was the study's best, but trial 5 is better on fresh seeds.
    const finalists = [
      { trial: 2, scores: [11, 12, 10, 13, 9, 12, 11, 10, 12, 11] },
      { trial: 5, scores: [20, 22, 19, 21, 25, 20, 18, 23, 21, 20] },
      { trial: 0, scores: [15, 16, 14, 15, 17, 15, 16, 14, 15, 16] },
    ];
    const s = selectWinner(finalists, defaults, { seed: 1 });
    expect(s.ranking.map((f) => f.trial)).toEqual([5, 0, 2]);
    expect(s.winner.trial).toBe(5);
    // IQM of trial 5's scores: drop two from each end of the sorted ten (18 19 … 23 25), mean of 20 20 20 21 21 22.
    expect(s.winner.iqm.point).toBeCloseTo(124 / 6, 12);
    expect(s.winner.iqm.low).toBeLessThanOrEqual(s.winner.iqm.point);
    expect(s.winner.iqm.high).toBeGreaterThanOrEqual(s.winner.iqm.point);
    // Every run of trial 5 beats every run of the defaults.
    expect(s.winner.pBetterThanDefaults.point).toBe(1);
    // ... so its IQM beats the defaults' in every resample too.
    expect(s.winner.pIqmAboveDefaults).toBe(1);
    expect(selectWinner(finalists, defaults, { seed: 1 })).toEqual(s);
    expect(() => selectWinner([{ trial: 0, scores: [1, 2] }], defaults)).toThrow(/trial 0 has 2 fresh-seed scores but the defaults have 10/);
    expect(() => selectWinner([], defaults)).toThrow(/no finalists/);
  });
});
