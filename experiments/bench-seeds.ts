/**
 * Many seeds: batched (`train --seeds`, several seeds per process) against unbatched (one process per seed),
 * side by side on the same seeds, with the preset's stop-when-solved budget, plus the throughput this
 * machine's backend reaches on the matrix products the agents are made of (the ceiling).
 *
 *   npx tsx experiments/bench-seeds.ts [--agent ppo] [--env CartPole-v1] [--seeds 8] [--workers 2] [--json FILE]
 *
 * Reports per mode: seeds solved per minute, env steps/s and gradient steps/s across the batch (wall and
 * per CPU-second), FLOPs per seed (counted from each run's metrics: acting, valuing, gradient steps and
 * greedy evaluations of the dense layers), the achieved fraction of the measured 2-D matMul throughput,
 * and peak RSS per process. Wall figures depend on how busy the machine is (the load average is printed);
 * per-CPU-second figures much less so.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initBackend, tf } from '../agents/backend.js';
import { presetFor } from './presets.js';
import { trainSeeds } from './harness/batch-seeds.js';
import type { TrainOptions } from './harness/trainer.js';
import { readRunConfig, readRunSummary, runPath } from './run-files.js';
import { make } from '../envs/registry.js';
import { TsgymError } from '../core/errors.js';
import { cpuSeconds } from './rate.js';

export interface ManySeedsOptions {
  agent: string;
  env: string;
  seeds: number;
  workers: number;
  outDir: string;
  /** Seconds of CPU time per kernel measurement. */
  kernelSeconds: number;
}

export interface ManySeedsRow {
  section: string;
  name: string;
  value: number;
  unit: string;
  note?: string;
}

// ───────────────────────────── kernels: what the backend reaches ─────────────────────────────

/** FLOP/s per CPU-second of `fn` (which does `flops` FLOPs), repeated for about `seconds` of CPU time. */
function flopRate(flops: number, fn: () => void, seconds: number): number {
  fn();
  fn();
  let reps = 0;
  const t0 = cpuSeconds();
  while (cpuSeconds() - t0 < seconds) {
    fn();
    reps++;
  }
  return (flops * reps) / (cpuSeconds() - t0);
}

/** A [rows, k] × [k, n] product written in plain JS (float64 accumulation, fixed order). */
function jsMatMul(x: Float32Array, w: Float32Array, y: Float32Array, rows: number, k: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[r * k + i] * w[i * n + j];
      y[r * n + j] = s;
    }
  }
}

/**
 * GFLOP/s per CPU-second of the products of a 64-wide hidden layer: one seed's 2-D matMul (what the agents
 * run), S seeds as one rank-3 matMul, S seeds as one block-diagonal 2-D matMul (useful FLOPs only), and the
 * same product in plain JS, for an update-sized batch (1024 rows) and an acting-sized one (8 rows).
 */
export async function measureKernels(seconds: number): Promise<ManySeedsRow[]> {
  await initBackend('wasm');
  const rows: ManySeedsRow[] = [];
  const h = 64;
  const S = 8;
  for (const B of [1024, 8]) {
    const flops = 2 * B * h * h;
    tf.tidy(() => {
      const a = tf.randomNormal([B, h]) as tf.Tensor2D;
      const w = tf.randomNormal([h, h]) as tf.Tensor2D;
      const a3 = tf.randomNormal([S, B, h]) as tf.Tensor3D;
      const w3 = tf.randomNormal([S, h, h]) as tf.Tensor3D;
      const ab = tf.randomNormal([B, S * h]) as tf.Tensor2D;
      const wb = tf.randomNormal([S * h, S * h]) as tf.Tensor2D;
      const run = (f: () => tf.Tensor) => () => tf.tidy(() => void f().dataSync());
      const add = (name: string, value: number) => rows.push({ section: 'kernels', name: `${name}, batch ${B}`, value: value / 1e9, unit: 'GFLOP/s per core' });
      add('1 seed, 2-D matMul [B,64]×[64,64] (tfjs wasm)', flopRate(flops, run(() => tf.matMul(a, w)), seconds));
      add(`${S} seeds, rank-3 matMul [${S},B,64]×[${S},64,64]`, flopRate(S * flops, run(() => tf.matMul(a3, w3)), seconds));
      add(`${S} seeds, block-diagonal 2-D matMul [B,${S * h}]×[${S * h},${S * h}] (useful FLOPs)`, flopRate(S * flops, run(() => tf.matMul(ab, wb)), seconds));
    });
    const x = new Float32Array(B * h).map((_, i) => Math.sin(i));
    const w = new Float32Array(h * h).map((_, i) => Math.cos(i));
    const y = new Float32Array(B * h);
    rows.push({ section: 'kernels', name: `1 seed, plain JS loop [B,64]×[64,64], batch ${B}`, value: flopRate(flops, () => jsMatMul(x, w, y, B, h, h), seconds) / 1e9, unit: 'GFLOP/s per core' });
  }
  return rows;
}

// ───────────────────────────── FLOPs of a run ─────────────────────────────

/** The agents whose runs `policyGradientRunFlops` can count. */
export const FLOP_COUNTED_AGENTS = ['ppo', 'a2c'];

/** FLOPs of one forward pass of a dense net with these layer sizes, per row. */
const forwardFlops = (sizes: number[]) => sizes.slice(1).reduce((s, n, l) => s + 2 * sizes[l] * n, 0);

/**
 * FLOPs a policy-gradient run spent in its dense layers, from its config and metrics: acting (actor forward
 * per env step), valuing each rollout (critic forward), gradient steps (forward + backward ≈ 3× forward of
 * actor and critic per minibatch row; the first layer's input gradient is skipped, which this ignores), and
 * greedy evaluation (actor forward per eval env step). Separate actor and critic (the presets' networks);
 * the few extra value rows of truncated episodes' final observations are not counted.
 */
export function policyGradientRunFlops(runDir: string): { flops: number; envSteps: number; gradientSteps: number; solved: boolean; wallSeconds: number } {
  const config = readRunConfig(runDir);
  const summary = readRunSummary(runDir)!;
  const hp = config.hyperparams as { hidden: number[]; numSteps: number; numMinibatches?: number; sharedNetwork?: boolean };
  if (!FLOP_COUNTED_AGENTS.includes(config.agent) || hp.sharedNetwork) throw new TsgymError(`${runDir}: FLOPs are counted for ${FLOP_COUNTED_AGENTS.join(' and ')} with separate actor and critic only`);
  const probe = make(config.envId, config.envKwargs);
  const obsSize = probe.observationSpace.type === 'Box' ? probe.observationSpace.size : 1;
  const policyOut = probe.actionSpace.type === 'Discrete' ? probe.actionSpace.n : 2 * probe.actionSpace.size;
  probe.close();
  const actor = forwardFlops([obsSize, ...hp.hidden, policyOut]);
  const critic = forwardFlops([obsSize, ...hp.hidden, 1]);
  const rollout = hp.numSteps * config.numEnvs;
  const minibatch = rollout / (hp.numMinibatches ?? 1);
  let gradientSteps = 0;
  let updates = 0;
  let evalSteps = 0;
  for (const line of fs.readFileSync(runPath(runDir, 'metrics'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { kind: string; updates?: number; gradientSteps?: number; lengths?: number[] };
    if (r.kind === 'update') {
      updates += r.updates ?? 1;
      gradientSteps += (r.gradientSteps ?? 1) * (r.updates ?? 1);
    } else if (r.kind === 'eval') evalSteps += (r.lengths ?? []).reduce((s, n) => s + n, 0);
  }
  const envSteps = summary.steps;
  const flops = envSteps * actor + updates * (rollout + config.numEnvs) * critic + gradientSteps * minibatch * 3 * (actor + critic) + evalSteps * actor;
  return { flops, envSteps, gradientSteps, solved: summary.solvedAtStep != null, wallSeconds: summary.wallSeconds };
}

// ───────────────────────────── batched vs unbatched ─────────────────────────────

interface ChildUsage {
  cpuSeconds: number;
  maxRssMb: number;
  runDirs: string[];
}

/** One child process training `seeds` with trainSeeds (one seed per child = today's one-process-per-seed). */
function runChild(base: Omit<TrainOptions, 'seed'>, seeds: number[]): Promise<ChildUsage> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--child', JSON.stringify({ base, seeds })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('usage '));
      if (code !== 0 || !line) reject(new Error(`bench child (seeds ${seeds.join(',')}) exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(JSON.parse(line.slice('usage '.length)) as ChildUsage);
    });
  });
}

/** Runs the seed groups, at most `workers` processes at a time. */
async function runGroups(base: Omit<TrainOptions, 'seed'>, groups: number[][], workers: number): Promise<{ wall: number; usages: ChildUsage[] }> {
  const t0 = performance.now();
  const usages: ChildUsage[] = [];
  let next = 0;
  const lane = async () => {
    while (next < groups.length) {
      const g = groups[next++];
      usages.push(await runChild(base, g));
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, groups.length) }, lane));
  return { wall: (performance.now() - t0) / 1000, usages };
}

export async function benchManySeeds(o: ManySeedsOptions, log: (line: string) => void = (l) => console.error(l)): Promise<ManySeedsRow[]> {
  if (!FLOP_COUNTED_AGENTS.includes(o.agent)) throw new TsgymError(`bench-seeds counts the FLOPs of ${FLOP_COUNTED_AGENTS.join(' and ')} runs only, got '${o.agent}'`);
  if (!Number.isInteger(o.seeds) || o.seeds < 1 || !Number.isInteger(o.workers) || o.workers < 1) throw new TsgymError(`bench-seeds: --seeds and --workers must be positive integers, got ${o.seeds} and ${o.workers}`);
  const rows: ManySeedsRow[] = [];
  const add = (r: ManySeedsRow) => {
    rows.push(r);
    log(`  ${r.section.padEnd(10)} ${r.name.padEnd(78)} ${fmt(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
  };
  add({ section: 'machine', name: 'load average (1 min) at start', value: os.loadavg()[0], unit: '', note: `${os.cpus().length} cores` });
  for (const r of await measureKernels(o.kernelSeconds)) add(r);
  const peak = rows.find((r) => r.name.startsWith('1 seed, 2-D matMul') && r.name.endsWith('batch 1024'))!.value;

  const preset = presetFor(o.agent, o.env);
  const seeds = Array.from({ length: o.seeds }, (_, i) => i);
  const base = (mode: string): Omit<TrainOptions, 'seed'> => ({
    agent: o.agent,
    env: o.env,
    totalSteps: preset.totalSteps,
    numEnvs: preset.numEnvs,
    evalEvery: preset.evalEvery,
    evalEpisodes: preset.evalEpisodes,
    recordEpisodes: 0,
    checkpointEvery: preset.checkpointEvery,
    stopWhenSolved: true,
    logEvery: 1000,
    envKwargs: preset.envKwargs,
    hyperparams: preset.hyperparams,
    backend: 'wasm',
    outDir: path.join(o.outDir, mode),
    progress: 'none',
    verbose: false,
  });
  // Batched: the seeds split over `workers` processes (round robin); unbatched: one process per seed.
  const modes: [string, number[][]][] = [
    ['unbatched', seeds.map((s) => [s])],
    ['batched', Array.from({ length: o.workers }, (_, w) => seeds.filter((s) => s % o.workers === w)).filter((g) => g.length > 0)],
  ];
  const metricsBySeed: Record<string, Map<number, Buffer>> = {};
  for (const [mode, groups] of modes) {
    log(`${mode}: ${o.seeds} seeds of ${o.agent} ${o.env} in ${groups.length} process${groups.length === 1 ? '' : 'es'}, ${o.workers} at a time …`);
    const { wall, usages } = await runGroups(base(mode), groups, o.workers);
    const runDirs = usages.flatMap((u) => u.runDirs);
    metricsBySeed[mode] = new Map(runDirs.map((d) => [readRunConfig(d).seed, fs.readFileSync(runPath(d, 'metrics'))]));
    const runs = runDirs.map(policyGradientRunFlops);
    const cpu = usages.reduce((s, u) => s + u.cpuSeconds, 0);
    const solved = runs.filter((r) => r.solved).length;
    const envSteps = runs.reduce((s, r) => s + r.envSteps, 0);
    const gradientSteps = runs.reduce((s, r) => s + r.gradientSteps, 0);
    const flops = runs.reduce((s, r) => s + r.flops, 0);
    const section = mode;
    add({ section, name: 'wall time', value: wall, unit: 's' });
    add({ section, name: 'CPU time (all processes)', value: cpu, unit: 's', note: `${(cpu / o.seeds).toFixed(2)} s per seed` });
    add({ section, name: 'seeds solved', value: solved, unit: `of ${o.seeds}` });
    add({ section, name: 'seeds solved per minute (wall)', value: (solved / wall) * 60, unit: '/min' });
    add({ section, name: 'seeds solved per CPU-minute', value: (solved / cpu) * 60, unit: '/CPU-min' });
    add({ section, name: 'env steps/s across the batch (wall)', value: envSteps / wall, unit: 'steps/s', note: `${(envSteps / cpu).toFixed(0)} per CPU-second` });
    add({ section, name: 'gradient steps/s across the batch (wall)', value: gradientSteps / wall, unit: 'steps/s', note: `${(gradientSteps / cpu).toFixed(1)} per CPU-second` });
    add({ section, name: 'FLOPs per seed (dense layers, mean)', value: flops / runs.length / 1e9, unit: 'GFLOP' });
    add({ section, name: 'achieved throughput', value: flops / cpu / 1e9, unit: 'GFLOP/s per core', note: `${((100 * flops) / cpu / 1e9 / peak).toFixed(1)}% of the measured 2-D matMul` });
    add({ section, name: 'peak RSS of a process', value: Math.max(...usages.map((u) => u.maxRssMb)), unit: 'MB' });
    // The floor the goal meets: 256 seeds' FLOPs at the measured peak on every core.
    if (mode === 'batched') {
      const cores = Math.min(o.workers, os.cpus().length);
      add({ section: 'ceiling', name: `256 seeds at the measured 2-D matMul peak on ${cores} cores (FLOPs only)`, value: (256 * flops) / runs.length / 1e9 / (peak * cores), unit: 's wall' });
      add({ section: 'ceiling', name: `256 seeds at this mode's achieved rate on ${cores} cores`, value: (256 * cpu) / o.seeds / cores, unit: 's wall' });
    }
  }
  // The batch is an execution detail: every seed's metrics must be the same bytes in both modes.
  const same = seeds.filter((seed) => metricsBySeed.batched.get(seed)?.equals(metricsBySeed.unbatched.get(seed) ?? Buffer.alloc(0))).length;
  add({ section: 'identity', name: 'seeds whose metrics.jsonl is byte-identical batched and unbatched', value: same, unit: `of ${o.seeds}` });
  add({ section: 'machine', name: 'load average (1 min) at end', value: os.loadavg()[0], unit: '' });
  return rows;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

async function childMain(json: string): Promise<void> {
  const { base, seeds } = JSON.parse(json) as { base: Omit<TrainOptions, 'seed'>; seeds: number[] };
  const result = await trainSeeds({ ...base, seeds });
  const usage = process.resourceUsage();
  const out: ChildUsage = { cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssMb: usage.maxRSS / 1024, runDirs: result.runs.map((r) => r.runDir) };
  console.log(`usage ${JSON.stringify(out)}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const childAt = args.indexOf('--child');
  if (childAt >= 0) return childMain(args[childAt + 1]);
  const get = (flag: string, fallback: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const o: ManySeedsOptions = {
    agent: get('--agent', 'ppo'),
    env: get('--env', 'CartPole-v1'),
    seeds: Number(get('--seeds', '8')),
    workers: Number(get('--workers', '2')),
    outDir: get('--out', fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-seeds-'))),
    kernelSeconds: Number(get('--kernel-seconds', '0.5')),
  };
  const rows = await benchManySeeds(o);
  const jsonFile = get('--json', '');
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ options: o, rows }, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    await main();
  } catch (e) {
    if (!(e instanceof TsgymError)) throw e;
    console.error(`error: ${e.message}`);
    process.exitCode = 2;
  }
}
