/**
 * What pruning saves: the same `tsgym tune` study — same study seed, sampler, trials, seeds per trial, budget
 * and search space — run once without pruning and once per pruner. Per study: the env steps its trials
 * trained, the trials pruned, the CPU time (coordinator and `train` children), and its best config re-run on
 * fresh seeds (the study's top trial; IQM over the fresh seeds with a 95% bootstrap interval). Pruning pays
 * when it saves steps and the best config it finds is equal, within those intervals, to the unpruned study's.
 *
 *   npm run bench -- --only pruning [--pruning-pruners median,percentile,halving]
 *   npx tsx experiments/bench-pruning.ts [--pruners median,halving] [--trials 30] [--steps 8192] [--eval-every 512] [--fresh-seeds 5] [--study-seed 0] [--keep DIR]
 *
 * The study: PPO on CartPole-v1, PPO's default search space, TPE, 30 trials × 2 seeds × 8192 env steps
 * (4 envs), a greedy eval of 3 episodes every 512 steps (16 decision points per run), objective last-quarter;
 * the best trial and the defaults re-run on 5 fresh seeds. A trial's two seeds train at once (`--workers 2`,
 * on one core too): the pruner judges an eval step once every seed has reached it, so seeds trained one after
 * the other could only ever stop the last one. `none` + `median` take about 7–8 CPU-minutes (about 4 CPU-s
 * per 8192-step run on an idle machine).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStudy } from './tune/study.js';
import type { TuneReport } from './tune/run-study.js';
import { PRUNER_KINDS, type PrunerKind } from './tune/pruner.js';
import { TsgymError } from '../core/errors.js';

export interface PruningBenchOptions {
  /** The pruners compared with no pruning (`none` is always run first). */
  pruners: PrunerKind[];
  trials?: number;
  seedsPerTrial?: number;
  steps?: number;
  evalEvery?: number;
  freshSeeds?: number;
  studySeed?: number;
  /** Where the study directories go (one per pruner). */
  outDir: string;
  log?: (message: string) => void;
}

export interface PruningBenchRow {
  pruner: PrunerKind;
  trials: { complete: number; pruned: number; failed: number };
  /** Env steps the study's trials trained, and what they would have trained unpruned. */
  steps: { trained: number; unpruned: number };
  /** 1 − trained ÷ the unpruned study's trained steps. */
  saved: number;
  best: { trial: number; studyValue: number; params: Record<string, unknown>; fresh: { point: number; low: number; high: number } };
  /** Whether the best config's fresh-seed interval overlaps the unpruned study's best's. */
  equalToUnpruned: boolean;
  cpuSeconds: number;
  wallSeconds: number;
}

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** CPU seconds of this process's reaped children (and theirs), from /proc/self/stat; NaN off Linux. */
function childrenCpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5) (cutime, cstime), in clock ticks (100 per second on Linux).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

function studyArgs(o: PruningBenchOptions, pruner: PrunerKind, out: string): string[] {
  return [
    'tune', 'ppo', 'CartPole-v1',
    '--trials', String(o.trials ?? 30), '--seeds', String(o.seedsPerTrial ?? 2),
    '--steps', String(o.steps ?? 8192), '--envs', '4', '--eval-every', String(o.evalEvery ?? 512), '--eval-episodes', '3',
    '--workers', String(o.seedsPerTrial ?? 2), '--finalists', '1', '--fresh-seeds', String(o.freshSeeds ?? 5),
    '--study-seed', String(o.studySeed ?? 0), '--pruner', pruner, '--out', out, '--progress', 'none',
  ];
}

/** Runs one study as `tsgym tune` in a child process; resolves with its report and cost. */
async function runStudy(o: PruningBenchOptions, pruner: PrunerKind): Promise<{ report: TuneReport; cpuSeconds: number; wallSeconds: number }> {
  const out = path.join(o.outDir, pruner);
  const cpu0 = childrenCpuSeconds();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...studyArgs(o, pruner, out)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new TsgymError(`the ${pruner} study failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as TuneReport;
  return { report, cpuSeconds: childrenCpuSeconds() - cpu0, wallSeconds: (performance.now() - t0) / 1000 };
}

const overlap = (a: { low: number; high: number }, b: { low: number; high: number }) => a.low <= b.high && b.low <= a.high;

export async function benchPruning(o: PruningBenchOptions): Promise<PruningBenchRow[]> {
  for (const p of o.pruners) if (!PRUNER_KINDS.includes(p)) throw new TsgymError(`unknown pruner '${p}'; use ${PRUNER_KINDS.join(', ')}`);
  const log = o.log ?? (() => {});
  const pruners: PrunerKind[] = ['none', ...o.pruners.filter((p) => p !== 'none')];
  const rows: PruningBenchRow[] = [];
  for (const pruner of pruners) {
    log(`pruning bench: the study with pruner ${pruner}…`);
    const { report, cpuSeconds, wallSeconds } = await runStudy(o, pruner);
    const winner = report.finalists.find((f) => f.trial === report.winner)!;
    const best = { trial: winner.trial, studyValue: winner.studyValue, params: winner.params, fresh: winner.iqm };
    const reference = rows[0];
    rows.push({
      pruner,
      trials: report.trials,
      steps: report.steps,
      saved: reference ? 1 - report.steps.trained / reference.steps.trained : 0,
      best,
      equalToUnpruned: reference ? overlap(best.fresh, reference.best.fresh) : true,
      cpuSeconds,
      wallSeconds,
    });
    log(`pruning bench: ${pruner}: ${report.trials.pruned} pruned, ${report.steps.trained} of ${report.steps.unpruned} env steps; best trial ${best.trial}, fresh-seed IQM ${best.fresh.point.toFixed(1)} [${best.fresh.low.toFixed(1)}, ${best.fresh.high.toFixed(1)}]`);
  }
  return rows;
}

/** The trials a study pruned and the steps they stopped at, for a closer look (`--keep`). */
export function prunedAt(studyDir: string): { trial: number; step: number }[] {
  return readStudy(studyDir).trials.filter((t) => t.state === 'pruned').map((t) => ({ trial: t.trial, step: t.prunedAt ?? 0 }));
}

const f1 = (x: number) => x.toFixed(1);

export function formatPruningBench(rows: readonly PruningBenchRow[]): string {
  return [
    '| pruner | trials complete / pruned / failed | env steps trained | saved vs no pruning | best trial: study value | best on fresh seeds: IQM [95% CI] | equal to unpruned best (intervals overlap) | CPU s |',
    '|---|---|---:|---:|---|---|---|---:|',
    ...rows.map((r) => `| ${r.pruner} | ${r.trials.complete} / ${r.trials.pruned} / ${r.trials.failed} | ${r.steps.trained.toLocaleString('en-US')} of ${r.steps.unpruned.toLocaleString('en-US')} | ${r.pruner === 'none' ? '—' : `${(100 * r.saved).toFixed(0)}%`} | ${r.best.trial}: ${f1(r.best.studyValue)} | ${f1(r.best.fresh.point)} [${f1(r.best.fresh.low)}, ${f1(r.best.fresh.high)}] | ${r.pruner === 'none' ? '—' : r.equalToUnpruned ? 'yes' : 'no'} | ${f1(r.cpuSeconds)} |`),
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const keep = arg('keep');
  const outDir = keep ? path.resolve(keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-pruning-'));
  const rows = await benchPruning({
    pruners: (arg('pruners') ?? 'median').split(',') as PrunerKind[],
    trials: arg('trials') ? Number(arg('trials')) : undefined,
    steps: arg('steps') ? Number(arg('steps')) : undefined,
    evalEvery: arg('eval-every') ? Number(arg('eval-every')) : undefined,
    freshSeeds: arg('fresh-seeds') ? Number(arg('fresh-seeds')) : undefined,
    studySeed: arg('study-seed') ? Number(arg('study-seed')) : undefined,
    outDir,
    log: (m) => console.error(m),
  });
  console.log(formatPruningBench(rows));
  for (const r of rows) if (r.pruner !== 'none') console.log(`${r.pruner} pruned at: ${prunedAt(path.join(outDir, r.pruner)).map((p) => `${p.trial}@${p.step}`).join(' ')}`);
  if (!keep) fs.rmSync(outDir, { recursive: true, force: true });
}
