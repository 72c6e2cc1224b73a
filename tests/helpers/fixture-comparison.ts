/**
 * Writes a small comparison directory in the layout `npm run compare` makes — comparison.json, run
 * directories `runs/<agent>__seed<S>/` with hand-made eval curves and summaries, real CartPole replays
 * recorded at two evaluations — and its report (experiments/report.ts), for the server and page tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { computeReport, writeReport } from '../../experiments/report.js';
import { type ComparisonReport } from '../../formats/comparison.js';
import type { ReplayFile } from '../../formats/replay-format.js';
import { writeReplayFile } from '../../experiments/replay-io.js';

export interface FixtureComparison {
  id: string;
  dir: string;
  agents: string[];
  seeds: number[];
  runs: string[];
  /** Replay paths below each run's episodes/ directory. */
  episodes: string[];
  report: ComparisonReport;
}

/**
 * `replays`: two replays (an early and a late one) written into every run at steps 1000 and 3000.
 * Agent "alpha" learns (final scores 400–500), "beta" does not (60–90).
 *
 * `stopWhenSolved`: the runs stop at their first evaluation reaching 475, as `--stop-when-solved` makes
 * them: alpha solves at step 2000 on every seed (last evals 480–490); beta at 2000 (seed 0), 3000 (seed 1)
 * or never (seed 2, trained to the 3000 budget), its last evals 499–500.
 */
export async function writeFixtureComparison(
  runsDir: string,
  replays: [ReplayFile, ReplayFile],
  id = 'compare__CartPole-v1__20260101-120000',
  opts: { stopWhenSolved?: boolean } = {},
): Promise<FixtureComparison> {
  const dir = join(runsDir, id);
  const agents = ['alpha', 'beta'];
  const seeds = [0, 1, 2];
  await mkdir(join(dir, 'runs'), { recursive: true });
  await writeFile(
    join(dir, 'comparison.json'),
    JSON.stringify({ format: 'tsgym-comparison', version: 1, env: 'CartPole-v1', agents, seeds, steps: 3000, backend: 'cpu', plans: {}, createdAt: '2026-01-01T12:00:00.000Z', command: [] }),
  );
  const runs: string[] = [];
  const episodes = ['step-000001000/episode-0.json.gz', 'step-000003000/episode-0.json.gz'];
  for (const agent of agents) {
    for (const seed of seeds) {
      const run = `${agent}__seed${seed}`;
      runs.push(run);
      const runDir = join(dir, 'runs', run);
      await mkdir(join(runDir, 'checkpoints'), { recursive: true });
      let evals: [number, number][] = [
        [1000, 20 + 5 * seed],
        [2000, agent === 'alpha' ? 200 + 40 * seed : 40 + 10 * seed],
        [3000, agent === 'alpha' ? 400 + 50 * seed : 60 + 15 * seed],
      ];
      if (opts.stopWhenSolved) {
        const solveAt = agent === 'alpha' ? 2000 : [2000, 3000, null][seed];
        evals = evals.map(([step, mean]) => [step, step === solveAt ? (agent === 'alpha' ? 480 + 5 * seed : 499 + (seed % 2)) : Math.min(mean, 300)]);
        if (solveAt !== null) evals = evals.filter(([step]) => step <= solveAt);
      }
      const [lastStep, final] = evals[evals.length - 1];
      await writeFile(
        join(runDir, 'config.json'),
        JSON.stringify({ agent, env: 'CartPole-v1', envId: 'CartPole-v1', seed, totalSteps: 3000, numEnvs: 4, evalEvery: 1000, evalEpisodes: 5, backend: 'cpu', rewardThreshold: 475, stopWhenSolved: opts.stopWhenSolved ?? false }),
      );
      await writeFile(join(runDir, 'metrics.jsonl'), evals.map(([step, mean]) => JSON.stringify({ kind: 'eval', step, mean, std: 1, returns: [mean], lengths: [mean] })).join('\n') + '\n');
      const solved = evals.find(([, m]) => m >= 475);
      await writeFile(
        join(runDir, 'summary.json'),
        JSON.stringify({ status: 'finished', steps: lastStep, wallSeconds: (12 + seed) * (lastStep / 3000), finalEval: { mean: final, std: 1, step: lastStep }, bestEval: null, solvedAtStep: solved?.[0] ?? null, solvedAtWallSeconds: solved ? solved[0] / 250 : null }),
      );
      for (const [i, rel] of episodes.entries()) await writeReplayFile(join(runDir, 'episodes', rel), replays[i]);
    }
  }
  const report = computeReport({ env: 'CartPole-v1', agents, seeds, runsDir: join(dir, 'runs') }, { bootstrapReps: 300 });
  writeReport(dir, report);
  return { id, dir, agents, seeds, runs, episodes, report };
}
