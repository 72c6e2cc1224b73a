/**
 * `npm run bench`: speed and sample-efficiency benchmarks. Prints a table and writes JSON
 * (bench-results/bench-<time>.json and bench-results/latest.json).
 *
 *   npm run bench                      everything (the solve sections train 5 seeds per agent: minutes)
 *   npm run bench -- --only envs,dqn   chosen sections: envs, replay, dqn, solve-dqn, solve-ppo, solve-a2c,
 *                                      solve-sac, solve-td3 (Pendulum-v1: time until a greedy eval ≥ −200)
 * The solve sections also report training throughput (env steps/s, evaluation included) per seed, and the
 * median and worst CPU-seconds to solve (this process's CPU time per seed's run: unlike wall clock, not stretched
 * by other load on the machine).
 *   npm run bench -- --seeds 3         fewer seeds for the solve sections (default 10)
 * More sections: many-seeds (PPO, A2C, DQN and SAC: batched seeds against one process per seed, and each goal's
 * seed count against this machine's matMul ceiling; --many-seeds 16|goal|ppo=256,sac=32; experiments/bench-seeds.ts), conv (the
 * conv torso and MinAtar, experiments/bench-conv.ts), sampler (TPE against random search and Optuna's recorded
 * regrets, 1000 repeats, experiments/bench-sampler.ts; about 40 CPU-seconds), pruning (a PPO tuning study with
 * each pruner against none: env steps saved and the best config on fresh seeds, experiments/bench-pruning.ts;
 * about 8 CPU-minutes for none + median).
 * The solve sections end with the Stable-Baselines3 figures measured once on this machine by hand (not by this
 * script), so the table reads as a comparison. A full run (no --only) also rewrites the bench block of
 * docs/results.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { listEnvs, make, makeVec } from '../envs/registry.js';
import { Rng } from '../core/rng.js';
import type { Action } from '../envs/core.js';
import { initBackend, tf, BACKENDS, type BackendChoice } from '../agents/backend.js';
import { ReplayBuffer } from '../agents/replay-buffer.js';
import { createAgent, agentNames } from '../agents/registry.js';
import { presetFor } from './presets.js';
import { median } from '../core/math.js';
import { trainPresetOverSeeds } from './harness/preset-runs.js';
import { fmtCount } from './harness/progress.js';
import { onlyList } from './commands/flags.js';
import { errorLines, TsgymError } from '../core/errors.js';
import { cpuSeconds, rate as measureRate } from './rate.js';
import { benchManySeeds, formatManySeeds, manySeedsRows, parseManySeeds, type ManySeedsAgent } from './bench-seeds.js';
import { benchSampler, formatSamplerBench, OPTUNA_RATIO_GOAL, optunaVerdict, P_BETTER_GOAL, randomVerdict } from './bench-sampler.js';
import { benchPruning, formatPruningBench } from './bench-pruning.js';
import type { PrunerKind } from './tune/pruner.js';
import { measuredOn, RESULTS_PAGE, updateResultsBlock } from './results-page.js';

interface Row {
  section: string;
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const SECTIONS = ['envs', 'replay', 'dqn', 'solve-dqn', 'solve-ppo', 'solve-a2c', 'solve-sac', 'solve-td3', 'many-seeds', 'conv', 'sampler', 'pruning'] as const;

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run bench --')
  .options({
    only: { type: 'string', describe: `Comma-separated sections: ${SECTIONS.join(', ')}` },
    seeds: { type: 'number', default: 10, describe: 'Seeds for the solve sections' },
    backend: { choices: BACKENDS, default: 'auto' as BackendChoice },
    out: { type: 'string', default: 'bench-results', describe: 'Directory for the JSON results' },
    seconds: { type: 'number', default: 1, describe: 'Measuring time per throughput row' },
    'many-seeds': { type: 'string', default: '16', describe: "Seeds per agent in the many-seeds section (batched and one process per seed): N for each of PPO, A2C, DQN and SAC, 'goal' for the goals' counts (256, 256, 64, 32), or a list such as ppo=256,sac=32 (16 each: about 12 CPU-minutes)" },
    'sampler-repeats': { type: 'number', default: 1000, describe: 'Repeats per test function in the sampler section (about 40 CPU-s at 1000)' },
    'pruning-pruners': { type: 'string', default: 'median', describe: 'Pruners the pruning section compares with no pruning (median, percentile, halving)' },
  })
  .strict()
  .help()
  .parseSync();

const only: string[] = onlyList(argv.only, SECTIONS, 'section', 'bench');
// Checked before any section runs, so a bad list fails at once.
const manySeedsAgents = only.includes('many-seeds') ? manySeedsFlag(argv['many-seeds']) : [];

/** --many-seeds read by parseManySeeds; a bad value ends the bench with one error line and a hint (exit 2). */
function manySeedsFlag(text: string): ManySeedsAgent[] {
  try {
    return parseManySeeds(text);
  } catch (e) {
    if (!(e instanceof TsgymError)) throw e;
    console.error(errorLines(e));
    process.exit(2);
  }
}
const rows: Row[] = [];
const add = (r: Row) => {
  rows.push(r);
  console.error(`  ${r.section.padEnd(10)} ${r.name.padEnd(46)} ${fmtValue(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
};

/** iterations/s of `fn(iterations)` (experiments/rate.ts), measured for `seconds`. */
const rate = (fn: (iters: number) => void, seconds = argv.seconds): number => measureRate(fn, seconds);

function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 1e4 ? fmtCount(v) : v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

function benchEnvs(): void {
  const rng = new Rng('bench');
  const randomActions = Int32Array.from({ length: 1 << 16 }, () => rng.int(2));
  const single = (id: string) => {
    const env = make(id);
    const space = env.actionSpace;
    const acts: Action[] = Array.from({ length: 4096 }, () => space.sample(rng) as Action);
    env.reset({ seed: 0 });
    const r = rate((iters) => {
      for (let i = 0; i < iters; i++) {
        const res = env.step(acts[i & 4095]);
        if (res.terminated || res.truncated) env.reset();
      }
    });
    add({ section: 'envs', name: `${id} single env (make)`, value: r, unit: 'steps/s' });
  };
  // CartPole first, while the JIT has seen nothing else: the targets are stated for it.
  single('CartPole-v1');
  for (const n of [1, 8, 64, 256]) {
    const vec = makeVec('CartPole-v1', n);
    vec.reset({ seed: 0 });
    // 64 preallocated batches of random actions, cycled.
    const views = Array.from({ length: 64 }, (_, k) => randomActions.subarray(k * n, k * n + n));
    const r = rate((iters) => {
      for (let i = 0; i < iters; i++) vec.step(views[i & 63]);
    });
    add({ section: 'envs', name: `CartPole-v1 vector N=${n}`, value: r * n, unit: 'env-steps/s' });
  }
  for (const { id } of listEnvs()) if (id !== 'CartPole-v1') single(id);
  for (const { id } of listEnvs()) {
    if (id === 'CartPole-v1') continue;
    const n = 64;
    const vec = makeVec(id, n);
    vec.reset({ seed: 0 });
    const space = vec.singleActionSpace;
    const batches = Array.from({ length: 64 }, () => (space.type === 'Discrete' ? Int32Array.from({ length: n }, () => space.sample(rng)) : Float32Array.from({ length: n * space.size }, () => rng.uniform(-1, 1))));
    const r = rate((iters) => {
      for (let i = 0; i < iters; i++) vec.step(batches[i & 63]);
    });
    add({ section: 'envs', name: `${id} vector N=${n}`, value: r * n, unit: 'env-steps/s' });
  }
}

function benchReplay(): void {
  const n = 8;
  const buf = new ReplayBuffer({ capacity: 1_000_000, obsSize: 4, numEnvs: n, gamma: 0.99 });
  const rng = new Rng(1);
  const batch = {
    n,
    obs: Float32Array.from({ length: n * 4 }, () => rng.normal()),
    nextObs: Float32Array.from({ length: n * 4 }, () => rng.normal()),
    actions: Int32Array.from({ length: n }, () => rng.int(2)),
    rewards: new Float64Array(n).fill(1),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
  };
  const ins = rate((iters) => {
    for (let i = 0; i < iters; i++) buf.add(batch);
  });
  add({ section: 'replay', name: 'insert (uniform buffer, CartPole obs)', value: ins * n, unit: 'transitions/s' });
  add({ section: 'replay', name: '1M-capacity CartPole buffer memory', value: buf.byteLength / 2 ** 20, unit: 'MiB' });
  for (const size of [64, 256]) {
    const s = rate((iters) => {
      for (let i = 0; i < iters; i++) buf.sample(size, rng);
    });
    add({ section: 'replay', name: `sample batch ${size} (uniform)`, value: s, unit: 'batches/s' });
  }
  const per = new ReplayBuffer({ capacity: 1 << 17, obsSize: 4, numEnvs: n, gamma: 0.99, prioritized: true });
  for (let i = 0; i < (1 << 17) / n; i++) per.add(batch);
  const td = new Float32Array(64).fill(0.5);
  const ps = rate((iters) => {
    for (let i = 0; i < iters; i++) {
      const s = per.sample(64, rng, 0.5);
      per.updatePriorities(s.indices, td);
    }
  });
  add({ section: 'replay', name: 'prioritised sample+update batch 64 (131k)', value: ps, unit: 'batches/s' });
}

async function benchDqn(): Promise<void> {
  for (const batchSize of [64, 256]) {
    const vec = makeVec('CartPole-v1', 1);
    const agent = createAgent('dqn', { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: 1 }, { batchSize, learningStarts: 0, trainFreq: 1, gradientSteps: 1 }, 0);
    vec.reset({ seed: 0 });
    const prev = new Float32Array(4);
    let step = 0;
    const s = rate((iters) => {
      for (let i = 0; i < iters; i++) {
        prev.set(vec.obs);
        const { actions } = agent.act(vec.obs, 1, { greedy: false });
        vec.step(actions);
        agent.observe({ n: 1, obs: prev, actions, rewards: vec.rewards, nextObs: vec.obs, terminated: vec.terminated, truncated: vec.truncated }, ++step + batchSize);
      }
    }, argv.seconds * 2);
    add({ section: 'dqn', name: `gradient steps, batch ${batchSize} (incl. 1 env step)`, value: s, unit: 'steps/s' });
    agent.dispose();
  }
  // Training throughput with the CartPole preset's rhythm (4 envs; 128 gradient steps per 256 env steps),
  // after the warm-up: the rate that sets DQN's time to solve.
  {
    const preset = presetFor('dqn', 'CartPole-v1');
    const n = preset.numEnvs;
    const vec = makeVec('CartPole-v1', n);
    const agent = createAgent('dqn', { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: n }, { ...preset.hyperparams, learningStarts: 0 }, 0);
    vec.reset({ seed: 0 });
    const prev = new Float32Array(n * 4);
    let step = 0;
    const s = rate((iters) => {
      for (let i = 0; i < iters; i++) {
        prev.set(vec.obs);
        const { actions } = agent.act(vec.obs, n, { greedy: false });
        vec.step(actions);
        step += n;
        agent.observe({ n, obs: prev, actions, rewards: vec.rewards, nextObs: vec.obs, terminated: vec.terminated, truncated: vec.truncated }, step);
      }
    }, argv.seconds * 3);
    add({ section: 'dqn', name: `train env steps, CartPole preset (${n} envs, acting + updates)`, value: s * n, unit: 'env-steps/s' });
    agent.dispose();
  }
  for (const n of [1, 8, 64]) {
    const vec = makeVec('CartPole-v1', n);
    const agent = createAgent('dqn', { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: n }, {}, 0);
    vec.reset({ seed: 0 });
    const s = rate((iters) => {
      for (let i = 0; i < iters; i++) agent.act(vec.obs, n, { greedy: true });
    });
    add({ section: 'dqn', name: `greedy action selection, ${n} env${n > 1 ? 's' : ''} per call`, value: s * n, unit: 'actions/s' });
    agent.dispose();
  }
}

async function benchSolve(agent: string, section: string, env = 'CartPole-v1'): Promise<void> {
  const seeds = Array.from({ length: argv.seeds }, (_, i) => i);
  const preset = presetFor(agent, env);
  // CPU-seconds per seed: this process's CPU time across the seed's run (the preset stops when solved, so it
  // is the time to solve plus the run's start-up and closing writes; seed 0 also pays the JIT warm-up). Unlike
  // wall clock it does not grow with the machine's load.
  const cpu: number[] = [];
  let cpuMark = cpuSeconds();
  const results = await trainPresetOverSeeds(agent, env, seeds, {
    backend: argv.backend,
    outDir: path.join(argv.out, 'runs'),
    onResult: (r) => {
      const now = cpuSeconds();
      const runCpu = now - cpuMark;
      cpuMark = now;
      cpu.push(r.solvedAtStep !== null ? runCpu : Infinity);
      console.error(`    ${agent} seed ${r.seed}: ${r.solvedAtStep !== null ? `solved at ${r.solvedAtStep} steps, ${r.solvedAtWallSeconds} s` : `not solved in ${r.steps} steps (final eval ${r.finalEvalMean?.toFixed(1)})`}; ${runCpu.toFixed(2)} CPU-s; ${fmtCount(r.throughput)} steps/s`);
      add({ section, name: `${agent} seed ${r.seed} training throughput`, value: r.throughput, unit: 'env-steps/s' });
    },
  });
  const solved = results.filter((r) => r.solvedAtStep !== null).length;
  const walls = results.map((r) => r.solvedAtWallSeconds ?? Infinity);
  const steps = results.map((r) => r.solvedAtStep ?? Infinity);
  const threshold = preset.rewardThreshold ?? (env === 'CartPole-v1' ? 475 : undefined);
  const note = `${solved}/${seeds.length} seeds solved; greedy eval mean ≥ ${threshold ?? 'the env threshold'} over ${preset.evalEpisodes} episodes, every ${preset.evalEvery} steps`;
  const cpuNote = `${note}; the whole run's CPU time, load average ${os.loadavg()[0].toFixed(1)}`;
  const short = env.replace(/-v\d+$/, '');
  add({ section, name: `${agent} ${short} median wall-clock to solve`, value: median(walls), unit: 's', note });
  add({ section, name: `${agent} ${short} median CPU-seconds to solve`, value: median(cpu), unit: 'CPU-s', note: cpuNote });
  add({ section, name: `${agent} ${short} median env steps to solve`, value: median(steps), unit: 'steps', note });
  add({ section, name: `${agent} ${short} worst-seed wall-clock to solve`, value: Math.max(...walls), unit: 's', note });
  add({ section, name: `${agent} ${short} worst-seed CPU-seconds to solve`, value: Math.max(...cpu), unit: 'CPU-s', note: cpuNote });
}

/** The side-by-side figures for Stable-Baselines3 (RL-Zoo presets, torch on one thread), quoted. */
function quotedPeers(): void {
  const note = 'measured once by hand on this machine (seeds 0–4, same eval rule), not by this run';
  add({ section: 'quoted', name: 'SB3 RL-Zoo PPO CartPole median wall-clock to solve', value: 10.7, unit: 's', note });
  add({ section: 'quoted', name: 'SB3 RL-Zoo DQN CartPole median wall-clock to solve', value: 38, unit: 's', note });
}

const backend = await initBackend(argv.backend);
console.error(`tsgym bench — backend ${backend}, node ${process.version}, ${new Date().toISOString()}`);
if (only.includes('envs')) benchEnvs();
if (only.includes('replay')) benchReplay();
if (only.includes('dqn')) await benchDqn();
if (only.includes('solve-dqn')) await benchSolve('dqn', 'solve-dqn');
if (only.includes('solve-ppo') && agentNames().includes('ppo')) await benchSolve('ppo', 'solve-ppo');
if (only.includes('solve-a2c') && agentNames().includes('a2c')) await benchSolve('a2c', 'solve-a2c');
// SAC and TD3 on Pendulum-v1, to a greedy eval (10 episodes) ≥ −200. For scale, SB3 2.4.1 on this
// machine (RL-Zoo settings, torch on one thread, eval every 1k steps) first got there after 55 s (SAC) and
// 71 s (TD3).
if (only.includes('solve-sac') && agentNames().includes('sac')) await benchSolve('sac', 'solve-sac', 'Pendulum-v1');
if (only.includes('solve-td3') && agentNames().includes('td3')) await benchSolve('td3', 'solve-td3', 'Pendulum-v1');
if (only.some((s) => s.startsWith('solve-'))) quotedPeers();
if (only.includes('many-seeds')) {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-seeds-'));
  const result = await benchManySeeds({ agents: manySeedsAgents, workers: 2, outDir, kernelSeconds: 0.5 }, (m) => console.error(m));
  for (const r of manySeedsRows(result)) add({ ...r, section: `seeds/${r.section}` });
  console.log(`\n${formatManySeeds(result)}`);
  fs.rmSync(outDir, { recursive: true, force: true });
}
if (only.includes('conv')) benchConv();
if (only.includes('sampler')) {
  const samplerRows = benchSampler({ repeats: argv['sampler-repeats'] });
  for (const r of samplerRows) {
    const ratio = r.ratioToOptuna;
    const note = `random ${fmtValue(r.randomMedianRegret)}, P(TPE median < random's) ${r.pMedianBelowRandom.toFixed(2)}, goal ≥ ${P_BETTER_GOAL}: ${randomVerdict(r)}; Optuna's TPE ${fmtValue(r.optunaTpeMedianRegret)}, ratio ${ratio.point.toFixed(2)} [${ratio.low.toFixed(2)}, ${ratio.high.toFixed(2)}], P(ratio ≤ ${OPTUNA_RATIO_GOAL}) ${r.pWithinOptuna.toFixed(2)}, goal ≤ ${OPTUNA_RATIO_GOAL}×: ${optunaVerdict(r)}; ${r.repeats} repeats of 60 trials, ${r.tpeCpuSeconds.toFixed(1)} CPU-s`;
    add({ section: 'sampler', name: `${r.function}: TPE median best regret`, value: r.tpeMedianRegret, unit: 'regret', note });
  }
  console.log(`\n${formatSamplerBench(samplerRows, true)}`);
}
if (only.includes('pruning')) {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-pruning-'));
  const study = await benchPruning({ pruners: argv['pruning-pruners'].split(',') as PrunerKind[], outDir, log: (m) => console.error(m) });
  for (const r of study) {
    const note = `${r.trials.pruned} of ${r.trials.complete + r.trials.pruned + r.trials.failed} trials pruned; best on 5 fresh seeds ${fmtValue(r.best.fresh.point)} [${fmtValue(r.best.fresh.low)}, ${fmtValue(r.best.fresh.high)}]${r.pruner === 'none' ? '' : `, ${r.equalToUnpruned ? 'overlaps' : 'does not overlap'} the unpruned best's interval`}; ${fmtValue(r.cpuSeconds)} CPU-s`;
    add({ section: 'pruning', name: `PPO CartPole study, pruner ${r.pruner}: env steps saved`, value: 100 * r.saved, unit: '%', note });
  }
  console.log(`\n${formatPruningBench(study)}`);
  fs.rmSync(outDir, { recursive: true, force: true });
}

// The table.
console.log(`\n| section | benchmark | value | unit | note |\n|---|---|---:|---|---|`);
for (const r of rows) console.log(`| ${r.section} | ${r.name} | ${fmtValue(r.value)} | ${r.unit} | ${r.note ?? ''} |`);
fs.mkdirSync(argv.out, { recursive: true });
const result = { date: new Date().toISOString(), backend, node: process.version, tfjsTensors: tf.memory().numTensors, rows };
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
fs.writeFileSync(path.join(argv.out, `bench-${stamp}.json`), JSON.stringify(result, null, 2));
fs.writeFileSync(path.join(argv.out, 'latest.json'), JSON.stringify(result, null, 2));
console.log(`\nwrote ${path.join(argv.out, 'latest.json')}`);
if (argv.only === undefined) {
  const table = [`| section | benchmark | value | unit | note |`, `|---|---|---:|---|---|`, ...rows.map((r) => `| ${r.section} | ${r.name} | ${fmtValue(r.value)} | ${r.unit} | ${r.note ?? ''} |`)];
  const updated = updateResultsBlock('bench', [measuredOn('npm run bench', backend), '', ...table].join('\n'));
  console.log(updated ? `updated the bench block of ${RESULTS_PAGE}` : `${RESULTS_PAGE} has no bench block: left as is`);
}

/** experiments/bench-conv.ts in a child process (it measures with its own backend settings), its rows added here. */
function benchConv(): void {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-bench-conv-')), 'conv.json');
  const script = fileURLToPath(new URL('./bench-conv.ts', import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', script, '--seconds', String(argv.seconds), '--out', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const r of (JSON.parse(fs.readFileSync(file, 'utf8')) as { rows: Omit<Row, 'section'>[] }).rows) rows.push({ ...r, section: 'conv' });
}
