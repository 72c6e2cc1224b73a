/**
 * Many seeds: batched (`train --seeds`, several seeds per process) against unbatched (one process per seed),
 * side by side on the same seeds, for each agent of the goals below with its preset and stop-when-solved
 * budget, plus the throughput this machine's backend reaches on the matrix products the agents are made of.
 *
 *   npx tsx experiments/bench-seeds.ts [--agent ppo --env CartPole-v1 --seeds 8] [--many-seeds 16|goal|ppo=256,sac=32]
 *                                      [--workers 2] [--json FILE]
 *
 * Reports per agent and mode: CPU-seconds per solved seed, seeds solved per CPU-minute and per minute of wall
 * time, env steps and gradient steps per CPU-second, FLOPs per solved seed (counted from each run's config and
 * metrics: `runFlops`), the share of the measured 2-D matMul peak, peak RSS per process; then the goal's seed
 * count projected onto the cores in use at the batched rate and at 100% of the matMul peak (the ceiling), and
 * a verdict. Wall figures depend on how busy the machine is (the load average is printed); per-CPU-second
 * figures much less so.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initBackend, tf } from '../agents/backend.js';
import { KernelScope } from '../agents/kernel-scope.js';
import { presetFor } from './presets.js';
import { trainSeeds } from './harness/batch-seeds.js';
import type { TrainOptions } from './harness/trainer.js';
import { readRunConfig, readRunSummary, runPath } from './run-files.js';
import { make } from '../envs/registry.js';
import { TsgymError } from '../core/errors.js';
import { runScript } from './run-script.js';
import { cpuSeconds } from './rate.js';

/** The goals: this many seeds of the agent's preset, every one solved, within GOAL_WALL_SECONDS on 2 cores. */
export const MANY_SEEDS_GOALS: readonly { agent: string; env: string; seeds: number }[] = [
  { agent: 'ppo', env: 'CartPole-v1', seeds: 256 },
  { agent: 'a2c', env: 'CartPole-v1', seeds: 256 },
  { agent: 'dqn', env: 'CartPole-v1', seeds: 64 },
  { agent: 'sac', env: 'Pendulum-v1', seeds: 32 },
];
export const GOAL_WALL_SECONDS = 60;

/** One agent's share of the bench: `seeds` seeds in each mode, judged against `goalSeeds` seeds in 60 s. */
export interface ManySeedsAgent {
  agent: string;
  env: string;
  seeds: number;
  goalSeeds: number;
}

/**
 * `--many-seeds`: `N` (every goal's agent, N seeds each), `goal` (each agent its goal's seed count) or a list
 * `ppo=256,sac=32` (those agents only, in that order).
 */
export function parseManySeeds(text: string): ManySeedsAgent[] {
  const t = text.trim();
  const withSeeds = (g: (typeof MANY_SEEDS_GOALS)[number], seeds: number) => ({ agent: g.agent, env: g.env, seeds, goalSeeds: g.seeds });
  if (t === 'goal') return MANY_SEEDS_GOALS.map((g) => withSeeds(g, g.seeds));
  const count = (s: string, what: string) => {
    if (!/^[1-9][0-9]*$/.test(s)) throw new TsgymError(`--many-seeds: ${what} must be a positive integer, got '${s}'`, { hint: "e.g. --many-seeds 16, --many-seeds goal or --many-seeds ppo=256,sac=32" });
    return Number(s);
  };
  if (!t.includes('=')) return MANY_SEEDS_GOALS.map((g) => withSeeds(g, count(t, 'the seed count')));
  const out: ManySeedsAgent[] = [];
  for (const part of t.split(',')) {
    const [agent, seeds, extra] = part.split('=').map((s) => s.trim());
    const goal = MANY_SEEDS_GOALS.find((g) => g.agent === agent);
    if (!goal || extra !== undefined) throw new TsgymError(`--many-seeds: '${part}' is not AGENT=SEEDS with AGENT one of ${MANY_SEEDS_GOALS.map((g) => g.agent).join(', ')}`, { hint: 'e.g. --many-seeds ppo=256,sac=32' });
    if (out.some((o) => o.agent === agent)) throw new TsgymError(`--many-seeds: ${agent} is listed twice`);
    out.push(withSeeds(goal, count(seeds ?? '', `${agent}'s seed count`)));
  }
  return out;
}

export interface ManySeedsOptions {
  agents: ManySeedsAgent[];
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
 * `flopRate` three times, the best kept: on a shared machine a measurement reads low when another process takes
 * the core for part of it, never high.
 */
function bestFlopRate(flops: number, fn: () => void, seconds: number): number {
  return Math.max(flopRate(flops, fn, seconds), flopRate(flops, fn, seconds), flopRate(flops, fn, seconds));
}

/**
 * GFLOP/s per CPU-second of the products of a 64-wide hidden layer: one seed's 2-D matMul (what the agents
 * run), S seeds as one rank-3 matMul, S seeds as one block-diagonal 2-D matMul (useful FLOPs only), and the
 * same product in plain JS, for a PPO update's minibatch (1024 rows), a replay batch (128) and an acting-sized one
 * (8 rows); and one seed's 32-wide product (PPO's CartPole layers). The tfjs products are the wasm backend's
 * BatchMatMul kernel called as the agents call it (agents/kernel-scope.ts: no engine op, no download), so the
 * peak the bench divides by, the fastest one-seed 2-D product of these, is what the agents' own products can
 * reach. Each rate is the best of three measurements.
 */
export async function measureKernels(seconds: number): Promise<ManySeedsRow[]> {
  await initBackend('wasm');
  const k = KernelScope.open();
  if (!k) throw new Error('measureKernels: the wasm backend has no direct kernel scope');
  const rows: ManySeedsRow[] = [];
  const random = (shape: number[]) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(1 + i * 0.37));
    return k.constant(`${shape}`, shape, () => values);
  };
  // The product's output is freed at once (release keeps the constants), so memory stays flat.
  const product = (a: tf.TensorInfo, b: tf.TensorInfo) => () => {
    k.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
    k.release();
  };
  const add = (name: string, value: number) => rows.push({ section: 'kernels', name, value: value / 1e9, unit: 'GFLOP/s per core' });
  const h = 64;
  const S = 8;
  try {
    for (const B of [1024, 128, 8]) {
      const flops = 2 * B * h * h;
      add(`1 seed, 2-D matMul [B,64]×[64,64] (wasm kernel), batch ${B}`, bestFlopRate(flops, product(random([B, h]), random([h, h])), seconds));
      add(`${S} seeds, rank-3 matMul [${S},B,64]×[${S},64,64], batch ${B}`, bestFlopRate(S * flops, product(random([S, B, h]), random([S, h, h])), seconds));
      add(`${S} seeds, block-diagonal 2-D matMul [B,${S * h}]×[${S * h},${S * h}] (useful FLOPs), batch ${B}`, bestFlopRate(S * flops, product(random([B, S * h]), random([S * h, S * h])), seconds));
      const x = new Float32Array(B * h).map((_, i) => Math.sin(i));
      const w = new Float32Array(h * h).map((_, i) => Math.cos(i));
      const y = new Float32Array(B * h);
      add(`1 seed, plain JS loop [B,64]×[64,64], batch ${B}`, bestFlopRate(flops, () => jsMatMul(x, w, y, B, h, h), seconds));
    }
    // PPO's CartPole layers are 32 wide, on 1024-row minibatches; the narrower product runs faster per FLOP.
    add('1 seed, 2-D matMul [B,32]×[32,32] (wasm kernel), batch 1024', bestFlopRate(2 * 1024 * 32 * 32, product(random([1024, 32]), random([32, 32])), seconds));
  } finally {
    k.dispose();
  }
  return rows;
}

// ───────────────────────────── FLOPs of a run ─────────────────────────────
//
// What is counted: the matrix products of the dense layers (2·in·out FLOPs per row and layer, forward and
// backward), with the row counts each agent's code runs them on, taken from the run's config and metrics.
// What is not: elementwise work (activations and their derivatives, bias adds, losses, distributions, Adam,
// Polyak averaging, TD targets in JS), which is memory-bound and not a FLOP of the matMul kind the kernel rows
// above measure; the dueling head's combination; the few extra value rows of truncated episodes' final observations.

/** The agents whose runs `runFlops` counts, on flat (non-image) observations. */
export const FLOP_COUNTED_AGENTS = ['ppo', 'a2c', 'dqn', 'sac'];

/** FLOPs per row of a forward pass through dense layers of these sizes. */
export function forwardFlops(sizes: readonly number[]): number {
  return sizes.slice(1).reduce((s, n, l) => s + 2 * sizes[l] * n, 0);
}

/**
 * FLOPs per row of a backward pass (agents/mlp.ts `backward`): with `params`, each layer's weight gradient
 * (2·in·out) and bias gradient (a ones-row product, 2·out); the input gradient of every layer above the first
 * (2·in·out), and of the first one too with `input` (SAC's actor loss through the critics).
 */
export function backwardFlops(sizes: readonly number[], opts: { params: boolean; input: boolean }): number {
  let flops = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const w = 2 * sizes[l] * sizes[l + 1];
    if (opts.params) flops += w + 2 * sizes[l + 1];
    if (l > 0 || opts.input) flops += w;
  }
  return flops;
}

/** A run's FLOP count and the step counts it comes from. */
export interface RunCount {
  flops: number;
  envSteps: number;
  gradientSteps: number;
  solved: boolean;
}

/** What a run's metrics.jsonl adds up to: training calls (`updates`), PPO's gradient steps, greedy-eval env steps. */
function metricTotals(runDir: string): { updates: number; reportedGradientSteps: number; evalSteps: number } {
  let updates = 0;
  let reportedGradientSteps = 0;
  let evalSteps = 0;
  for (const line of fs.readFileSync(runPath(runDir, 'metrics'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { kind: string; updates?: number; gradientSteps?: number; lengths?: number[] };
    if (r.kind === 'update') {
      updates += r.updates ?? 1;
      // PPO logs the mean of its per-update gradient steps (epochs × minibatches up to the KL stop).
      reportedGradientSteps += Math.round((r.gradientSteps ?? 1) * (r.updates ?? 1));
    } else if (r.kind === 'eval') evalSteps += (r.lengths ?? []).reduce((s, n) => s + n, 0);
  }
  return { updates, reportedGradientSteps, evalSteps };
}

/**
 * The dense-layer FLOPs a PPO, A2C, DQN or SAC run spent, from its config and metrics (see the block comment
 * above for what is counted). Per agent:
 *   - PPO / A2C: the actor forward per env step (acting; values are not computed while acting), the critic
 *     forward over each rollout and its bootstrap observations, per gradient step actor and critic forward and
 *     backward on the minibatch (A2C: one step per rollout on the whole rollout), the actor per eval step.
 *   - DQN: the online forward per env step (an upper bound: it is skipped when every env explores), per gradient
 *     step on B rows the online forward on s, the target forward on s' (and on s with advantage learning),
 *     the online forward on s' (double DQN) and the online backward; the greedy network per eval step.
 *   - SAC: the actor forward per env step after the warm-up, per gradient step on B rows the actor on s', both
 *     target critics on (s', a'), both critics forward and backward on (s, a), the actor forward on s, both
 *     critics forward and their input gradients on (s, ã), the actor backward; the actor per eval step.
 */
export function runFlops(runDir: string): RunCount {
  const config = readRunConfig(runDir);
  const summary = readRunSummary(runDir)!;
  const hp = config.hyperparams as Record<string, unknown>;
  const hidden = hp.hidden as number[];
  const probe = make(config.envId, config.envKwargs);
  const obs = probe.observationSpace;
  const act = probe.actionSpace;
  probe.close();
  const flat = obs.type === 'Box' && obs.shape.length === 1;
  if (!FLOP_COUNTED_AGENTS.includes(config.agent) || !flat || hp.sharedNetwork || (hp.torso !== undefined && hp.torso !== 'mlp' && hp.torso !== 'auto')) {
    throw new TsgymError(`${runDir}: FLOPs are counted for ${FLOP_COUNTED_AGENTS.join(', ')} runs with dense networks on flat observations (separate actor and critic), got ${config.agent} on ${config.envId}`);
  }
  const d = obs.size;
  const { updates, reportedGradientSteps, evalSteps } = metricTotals(runDir);
  const envSteps = summary.steps;
  const F = forwardFlops;
  const Bp = (sizes: number[]) => backwardFlops(sizes, { params: true, input: false });
  let flops: number;
  let gradientSteps: number;
  if (config.agent === 'ppo' || config.agent === 'a2c') {
    const actor = [d, ...hidden, act.type === 'Discrete' ? act.n : 2 * act.size];
    const critic = [d, ...hidden, 1];
    const rollout = (hp.numSteps as number) * config.numEnvs;
    const minibatch = rollout / ((hp.numMinibatches as number | undefined) ?? 1);
    gradientSteps = reportedGradientSteps;
    flops = envSteps * F(actor) + updates * (rollout + config.numEnvs) * F(critic) + gradientSteps * minibatch * (F(actor) + F(critic) + Bp(actor) + Bp(critic)) + evalSteps * F(actor);
  } else if (config.agent === 'dqn') {
    if (act.type !== 'Discrete') throw new TsgymError(`${runDir}: a DQN run on a non-discrete action space`);
    const q = [d, ...hidden, hp.dueling ? act.n + 1 : act.n];
    const B = hp.batchSize as number;
    // agents/dqn-update.ts: online on s; target on s' (and on s for advantage learning or Munchausen targets);
    // online on s' for double DQN.
    const targetRows = (hp.advantageLearning as number) > 0 || ((hp.munchausen as number | undefined) ?? 0) > 0 ? 2 : 1;
    gradientSteps = updates * (hp.gradientSteps as number);
    flops = envSteps * F(q) + gradientSteps * B * ((1 + targetRows + (hp.doubleDqn ? 1 : 0)) * F(q) + Bp(q)) + evalSteps * F(q);
  } else {
    if (act.type !== 'Box') throw new TsgymError(`${runDir}: a SAC run on a non-continuous action space`);
    const k = act.size;
    const actor = [d, ...hidden, 2 * k];
    const critic = [d + k, ...hidden, 1];
    const B = hp.batchSize as number;
    // Acting runs the actor once the warm-up (uniform actions while fewer than learningStarts env steps) ends.
    const n = config.numEnvs;
    const acting = Math.max(0, envSteps - n * Math.ceil((hp.learningStarts as number) / n));
    const perGradientStep = 2 * F(actor) + Bp(actor) + 2 * F(critic) + 2 * (F(critic) + Bp(critic)) + 2 * (F(critic) + backwardFlops(critic, { params: false, input: true }));
    gradientSteps = updates * (hp.gradientSteps as number);
    flops = acting * F(actor) + gradientSteps * B * perGradientStep + evalSteps * F(actor);
  }
  return { flops, envSteps, gradientSteps, solved: summary.solvedAtStep != null };
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

/** One mode's totals over its processes and runs. */
export interface ModeResult {
  processes: number;
  wallSeconds: number;
  cpuSeconds: number;
  seeds: number;
  solved: number;
  envSteps: number;
  gradientSteps: number;
  flops: number;
  maxRssMb: number;
}

export type ManySeedsVerdict = 'goal met' | "above this machine's ceiling" | 'reachable but not reached';

export interface AgentResult extends ManySeedsAgent {
  unbatched: ModeResult;
  batched: ModeResult;
  /** Seeds whose metrics.jsonl is the same bytes in both modes. */
  identical: number;
  cores: number;
  /** Wall seconds for goalSeeds seeds on `cores` cores at the batched mode's CPU-seconds per seed. */
  projectedSeconds: number;
  /** Wall seconds for goalSeeds seeds' FLOPs on `cores` cores at 100% of the measured 2-D matMul peak. */
  ceilingSeconds: number;
  verdict: ManySeedsVerdict;
}

export interface ManySeedsResult {
  loadStart: number;
  loadEnd: number;
  /** GFLOP/s per core of the fastest one-seed 2-D matMul measured (the peak the shares are of). */
  peakGflops: number;
  kernels: ManySeedsRow[];
  agents: AgentResult[];
}

/**
 * The verdict on a goal: met when every seed solved and the projection fits the time; above the ceiling when
 * even 100% of the measured matMul peak on every core cannot do the goal's FLOPs in time; reachable otherwise.
 */
export function manySeedsVerdict(r: { projectedSeconds: number; ceilingSeconds: number; allSolved: boolean }): ManySeedsVerdict {
  if (r.ceilingSeconds > GOAL_WALL_SECONDS) return "above this machine's ceiling";
  return r.allSolved && r.projectedSeconds <= GOAL_WALL_SECONDS ? 'goal met' : 'reachable but not reached';
}

async function benchAgent(a: ManySeedsAgent, o: ManySeedsOptions, peakGflops: number, log: (line: string) => void): Promise<AgentResult> {
  const preset = presetFor(a.agent, a.env);
  const seeds = Array.from({ length: a.seeds }, (_, i) => i);
  const base = (mode: string): Omit<TrainOptions, 'seed'> => ({
    agent: a.agent,
    env: a.env,
    totalSteps: preset.totalSteps,
    numEnvs: preset.numEnvs,
    evalEvery: preset.evalEvery,
    evalEpisodes: preset.evalEpisodes,
    rewardThreshold: preset.rewardThreshold,
    recordEpisodes: 0,
    checkpointEvery: preset.checkpointEvery,
    stopWhenSolved: true,
    logEvery: 1000,
    envKwargs: preset.envKwargs,
    hyperparams: preset.hyperparams,
    backend: 'wasm',
    outDir: path.join(o.outDir, `${a.agent}-${a.env}`, mode),
    progress: 'none',
    verbose: false,
  });
  // Batched: the seeds split over `workers` processes (round robin); unbatched: one process per seed.
  const modes: ['unbatched' | 'batched', number[][]][] = [
    ['unbatched', seeds.map((s) => [s])],
    ['batched', Array.from({ length: o.workers }, (_, w) => seeds.filter((s) => s % o.workers === w)).filter((g) => g.length > 0)],
  ];
  const metricsBySeed: Record<string, Map<number, Buffer>> = {};
  const results = {} as Record<'unbatched' | 'batched', ModeResult>;
  for (const [mode, groups] of modes) {
    log(`${a.agent} ${a.env}, ${mode}: ${a.seeds} seeds in ${groups.length} process${groups.length === 1 ? '' : 'es'}, ${o.workers} at a time …`);
    const { wall, usages } = await runGroups(base(mode), groups, o.workers);
    const runDirs = usages.flatMap((u) => u.runDirs);
    metricsBySeed[mode] = new Map(runDirs.map((d) => [readRunConfig(d).seed, fs.readFileSync(runPath(d, 'metrics'))]));
    const runs = runDirs.map(runFlops);
    const sum = (f: (r: RunCount) => number) => runs.reduce((s, r) => s + f(r), 0);
    results[mode] = {
      processes: groups.length,
      wallSeconds: wall,
      cpuSeconds: usages.reduce((s, u) => s + u.cpuSeconds, 0),
      seeds: runs.length,
      solved: runs.filter((r) => r.solved).length,
      envSteps: sum((r) => r.envSteps),
      gradientSteps: sum((r) => r.gradientSteps),
      flops: sum((r) => r.flops),
      maxRssMb: Math.max(...usages.map((u) => u.maxRssMb)),
    };
  }
  // The batch is an execution detail: every seed's metrics must be the same bytes in both modes.
  const identical = seeds.filter((seed) => metricsBySeed.batched.get(seed)?.equals(metricsBySeed.unbatched.get(seed) ?? Buffer.alloc(0))).length;
  const b = results.batched;
  const cores = Math.min(o.workers, os.cpus().length);
  // Per solved seed when any solved (what the goal asks for), else per seed.
  const perSeed = (x: number) => x / Math.max(1, b.solved);
  const projectedSeconds = (a.goalSeeds * perSeed(b.cpuSeconds)) / cores;
  const ceilingSeconds = (a.goalSeeds * perSeed(b.flops)) / (peakGflops * 1e9 * cores);
  const verdict = manySeedsVerdict({ projectedSeconds, ceilingSeconds, allSolved: b.solved === b.seeds && results.unbatched.solved === b.seeds });
  return { ...a, unbatched: results.unbatched, batched: b, identical, cores, projectedSeconds, ceilingSeconds, verdict };
}

/** The flat rows of a result (for bench.ts's table and JSON). */
export function manySeedsRows(r: ManySeedsResult): ManySeedsRow[] {
  const rows: ManySeedsRow[] = [{ section: 'machine', name: 'load average (1 min) at start / end', value: r.loadStart, unit: '', note: `end ${r.loadEnd.toFixed(1)}, ${os.cpus().length} cores` }, ...r.kernels];
  for (const a of r.agents) {
    for (const mode of ['unbatched', 'batched'] as const) {
      const m = a[mode];
      const section = `${a.agent}/${mode}`;
      const add = (name: string, value: number, unit: string, note?: string) => rows.push({ section, name, value, unit, note });
      add('CPU-seconds per solved seed', m.cpuSeconds / Math.max(1, m.solved), 'CPU-s', `${m.solved} of ${m.seeds} solved, ${m.processes} processes, ${m.cpuSeconds.toFixed(1)} CPU-s in all`);
      add('seeds solved per CPU-minute', (m.solved / m.cpuSeconds) * 60, '/CPU-min');
      add('env steps per CPU-second', m.envSteps / m.cpuSeconds, 'steps/CPU-s');
      add('gradient steps per CPU-second', m.gradientSteps / m.cpuSeconds, 'steps/CPU-s');
      add('FLOPs per solved seed (dense-layer matMuls)', m.flops / Math.max(1, m.solved) / 1e9, 'GFLOP');
      add('share of the measured 2-D matMul peak', (100 * m.flops) / m.cpuSeconds / 1e9 / r.peakGflops, '%', `${(m.flops / m.cpuSeconds / 1e9).toFixed(2)} GFLOP/s per CPU-second`);
      add('peak RSS per process', m.maxRssMb, 'MB');
      add('seeds solved per minute (wall)', (m.solved / m.wallSeconds) * 60, '/min', `wall ${m.wallSeconds.toFixed(1)} s`);
    }
    const section = `${a.agent}/goal`;
    const goal = `${a.goalSeeds} seeds on ${a.cores} core${a.cores === 1 ? '' : 's'}`;
    rows.push({ section, name: `${goal} at the batched rate (projected)`, value: a.projectedSeconds, unit: 's wall', note: a.verdict });
    rows.push({ section, name: `${goal} at 100% of the matMul peak (ceiling)`, value: a.ceilingSeconds, unit: 's wall', note: `goal ${GOAL_WALL_SECONDS} s` });
    rows.push({ section, name: 'seeds whose metrics.jsonl is byte-identical batched and unbatched', value: a.identical, unit: `of ${a.seeds}` });
  }
  return rows;
}

/** The section as a markdown table: one column per agent, each mode cell "batched / one process per seed". */
export function formatManySeeds(r: ManySeedsResult): string {
  const f = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  const both = (g: (m: ModeResult) => number) => (a: AgentResult) => `${f(g(a.batched))} / ${f(g(a.unbatched))}`;
  const per = (m: ModeResult, x: number) => x / Math.max(1, m.solved);
  const n = r.agents[0]?.cores ?? 0;
  const cores = `${n} core${n === 1 ? '' : 's'}`;
  const lines: [string, (a: AgentResult) => string][] = [
    ['seeds solved', (a) => `${a.batched.solved} of ${a.seeds} / ${a.unbatched.solved} of ${a.seeds}`],
    ['CPU-seconds per solved seed', both((m) => per(m, m.cpuSeconds))],
    ['seeds solved per CPU-minute', both((m) => (m.solved / m.cpuSeconds) * 60)],
    ['env steps per CPU-second', both((m) => m.envSteps / m.cpuSeconds)],
    ['gradient steps per CPU-second', both((m) => m.gradientSteps / m.cpuSeconds)],
    ['GFLOP per solved seed (dense-layer matMuls)', both((m) => per(m, m.flops) / 1e9)],
    ['share of the measured 2-D matMul peak (%)', both((m) => (100 * m.flops) / m.cpuSeconds / 1e9 / r.peakGflops)],
    ['peak RSS per process (MB)', both((m) => m.maxRssMb)],
    ['seeds solved per minute, wall (loaded machine)', both((m) => (m.solved / m.wallSeconds) * 60)],
    [`goal: seeds in ≤ ${GOAL_WALL_SECONDS} s wall, all solved`, (a) => String(a.goalSeeds)],
    [`goal projected at the batched rate, ${cores} (s)`, (a) => f(a.projectedSeconds)],
    [`goal at 100% of the matMul peak, ${cores} (s): the ceiling`, (a) => f(a.ceilingSeconds)],
    ['verdict', (a) => a.verdict],
    ['metrics.jsonl byte-identical in both modes', (a) => `${a.identical}/${a.seeds}`],
  ];
  return [`| batched / one process per seed | ${r.agents.map((a) => `${a.agent.toUpperCase()} ${a.env}`).join(' | ')} |`, `|---|${r.agents.map(() => '---:').join('|')}|`, ...lines.map(([name, cell]) => `| ${name} | ${r.agents.map(cell).join(' | ')} |`)].join('\n');
}

export async function benchManySeeds(o: ManySeedsOptions, log: (line: string) => void = (l) => console.error(l)): Promise<ManySeedsResult> {
  for (const a of o.agents) {
    if (!FLOP_COUNTED_AGENTS.includes(a.agent)) throw new TsgymError(`bench-seeds counts the FLOPs of ${FLOP_COUNTED_AGENTS.join(', ')} runs only, got '${a.agent}'`);
    if (!Number.isInteger(a.seeds) || a.seeds < 1) throw new TsgymError(`bench-seeds: the seed count must be a positive integer, got ${a.seeds} for ${a.agent}`);
    presetFor(a.agent, a.env);
  }
  if (!Number.isInteger(o.workers) || o.workers < 1) throw new TsgymError(`bench-seeds: --workers must be a positive integer, got ${o.workers}`);
  const loadStart = os.loadavg()[0];
  const kernels = await measureKernels(o.kernelSeconds);
  // The peak: the fastest one-seed 2-D product over the batch sizes measured (not always the largest batch).
  const peakGflops = Math.max(...kernels.filter((r) => r.name.startsWith('1 seed, 2-D matMul')).map((r) => r.value));
  const agents: AgentResult[] = [];
  for (const a of o.agents) {
    const r = await benchAgent(a, o, peakGflops, log);
    agents.push(r);
    log(`  ${a.agent}: batched ${(r.batched.cpuSeconds / Math.max(1, r.batched.solved)).toFixed(2)} CPU-s per solved seed (${r.batched.solved}/${a.seeds}), one process per seed ${(r.unbatched.cpuSeconds / Math.max(1, r.unbatched.solved)).toFixed(2)}; ${a.goalSeeds} seeds: ${r.projectedSeconds.toFixed(0)} s projected, ceiling ${r.ceilingSeconds.toFixed(1)} s: ${r.verdict}`);
  }
  return { loadStart, loadEnd: os.loadavg()[0], peakGflops, kernels, agents };
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
  let agents: ManySeedsAgent[];
  if (args.includes('--agent')) {
    const agent = get('--agent', '');
    const env = get('--env', 'CartPole-v1');
    const seeds = Number(get('--seeds', '8'));
    const goal = MANY_SEEDS_GOALS.find((g) => g.agent === agent && g.env === env);
    agents = [{ agent, env, seeds, goalSeeds: goal?.seeds ?? 256 }];
  } else {
    agents = parseManySeeds(get('--many-seeds', get('--seeds', '8')));
  }
  const o: ManySeedsOptions = {
    agents,
    workers: Number(get('--workers', '2')),
    outDir: get('--out', fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-seeds-'))),
    kernelSeconds: Number(get('--kernel-seconds', '0.5')),
  };
  const result = await benchManySeeds(o);
  const rows = manySeedsRows(result);
  for (const r of rows) console.error(`  ${r.section.padEnd(16)} ${r.name.padEnd(70)} ${fmt(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
  console.log(`\nload average ${result.loadStart.toFixed(1)} at start, ${result.loadEnd.toFixed(1)} at end; 2-D matMul peak ${result.peakGflops.toFixed(1)} GFLOP/s per core\n`);
  console.log(formatManySeeds(result));
  const jsonFile = get('--json', '');
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ options: o, result, rows }, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await runScript(main);
