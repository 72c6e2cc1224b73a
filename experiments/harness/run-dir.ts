/**
 * The run directory, the record of one training run:
 *
 * ```
 * runs/<envId>__<agent>__seed<S>__<YYYYMMDD-HHMMSS>/
 *   config.json      everything needed to rerun: agent, env, seed, budget, hyperparameters, backend, versions
 *   metrics.jsonl    one JSON object per line, by `kind`: episode | update | eval. Deterministic: no clock
 *                    values, so two runs with the same seed/config/backend write identical files.
 *   timing.jsonl     wall-clock seconds per eval step ({step, wall}): kept apart so metrics stay bit-comparable
 *   summary.json     status (running | finished | diverged | interrupted), steps, wall time, final eval
 *   checkpoints/     step-<9 digits>/ (state.json + binary blobs) and latest.json pointing at the newest
 *   best/            the agent at its best greedy evaluation so far (saveAgent format: loadAgent(dir))
 *   episodes/        step-<9 digits>/episode-<k>.json.gz: replays recorded at each evaluation
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from './atomic.js';

export interface RunSummary {
  status: 'running' | 'finished' | 'diverged' | 'interrupted';
  steps: number;
  wallSeconds: number;
  finalEval: { mean: number; std: number; step: number } | null;
  bestEval: { mean: number; std: number; step: number } | null;
  /** Env steps at the first greedy eval reaching the reward threshold (null: not reached). */
  solvedAtStep: number | null;
  solvedAtWallSeconds: number | null;
  message?: string;
}

export function runName(envId: string, agent: string, seed: number, date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
  return `${envId}__${agent}__seed${seed}__${stamp}`;
}

export const stepDirName = (prefix: string, step: number) => `${prefix}-${String(step).padStart(9, '0')}`;

export class RunDir {
  private pendingMetrics: string[] = [];

  constructor(readonly dir: string) {}

  static create(root: string, name: string): RunDir {
    let dir = path.join(root, name);
    // Two runs started in the same second get distinct directories.
    for (let k = 2; fs.existsSync(dir); k++) dir = path.join(root, `${name}-${k}`);
    fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'episodes'), { recursive: true });
    return new RunDir(dir);
  }

  get metricsPath(): string {
    return path.join(this.dir, 'metrics.jsonl');
  }
  get timingPath(): string {
    return path.join(this.dir, 'timing.jsonl');
  }
  get checkpointsDir(): string {
    return path.join(this.dir, 'checkpoints');
  }
  get episodesDir(): string {
    return path.join(this.dir, 'episodes');
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(path.join(this.dir, 'config.json'), config);
  }

  writeSummary(summary: RunSummary): void {
    writeJsonAtomic(path.join(this.dir, 'summary.json'), summary);
  }

  /** Queues one metrics line; `flush()` appends the queue (called at evals, checkpoints and the end). */
  metric(record: Record<string, unknown>): void {
    this.pendingMetrics.push(JSON.stringify(record));
  }

  flush(): void {
    if (!this.pendingMetrics.length) return;
    fs.appendFileSync(this.metricsPath, this.pendingMetrics.join('\n') + '\n');
    this.pendingMetrics = [];
  }

  timing(step: number, wall: number): void {
    fs.appendFileSync(this.timingPath, JSON.stringify({ step, wall: Math.round(wall * 1000) / 1000 }) + '\n');
  }

  /** Bytes of metrics.jsonl and timing.jsonl written so far (stored in checkpoints; see `truncateLogs`). */
  logSizes(): { metrics: number; timing: number } {
    this.flush();
    const size = (p: string) => (fs.existsSync(p) ? fs.statSync(p).size : 0);
    return { metrics: size(this.metricsPath), timing: size(this.timingPath) };
  }

  /** On resume: drop log lines written after the checkpoint, so the resumed run writes them again identically. */
  truncateLogs(sizes: { metrics: number; timing: number }): void {
    this.pendingMetrics = [];
    if (fs.existsSync(this.metricsPath)) fs.truncateSync(this.metricsPath, sizes.metrics);
    if (fs.existsSync(this.timingPath)) fs.truncateSync(this.timingPath, sizes.timing);
  }
}
