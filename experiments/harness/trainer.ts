/**
 * The run harness, shared by every agent: `train(options)` builds the vector env and the agent, runs the
 * collect → observe loop, logs, evaluates, records replays, checkpoints, guards against divergence, and
 * resumes killed runs bit-exactly. It knows agents only through agents/agent.ts.
 *
 * Seeds: training env i is reset with `seed·1000 + i`; evaluation episode k with `1_000_000 + seed·1000 + k`
 * (held out from training, and the same at every evaluation so evaluations are comparable); the agent's
 * streams derive from `seed` (agents/*). Same seed + config + backend ⇒ identical metrics.jsonl.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { initBackend, tf, type BackendChoice } from '../../agents/backend.js';
import { agentRegistration, assertAgentSupports, createAgent, resolveHyperparams } from '../../agents/registry.js';
import type { Agent, UpdateMetrics } from '../../agents/agent.js';
import { make, makeVec, registration } from '../../envs/registry.js';
import { TsgymError } from '../../envs/core.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { findCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { Progress, fmt, type ProgressMode } from './progress.js';
import { RunDir, runName, stepDirName, type RunSummary } from './run-dir.js';
import { readJsonFile } from './atomic.js';
import { saveAgent } from './agent-io.js';
import type { RunPreset } from '../presets.js';

/** What decides a run's results besides the agent, env and seed: a preset's fields plus logging and recording. */
export interface RunBudget extends Omit<RunPreset, 'hyperparams'> {
  /** Greedy eval episodes recorded as replays at each evaluation. */
  recordEpisodes: number;
  /** Env steps between aggregated `update` metric lines. */
  logEvery: number;
}

export interface TrainOptions extends RunBudget {
  agent: string;
  env: string;
  seed: number;
  /** Overrides of the agent's defaults (validated by the agent registry). */
  hyperparams: Record<string, unknown>;
  backend: BackendChoice;
  /** Root directory for new runs. */
  outDir: string;
  /** Fixed run directory name (default: env__agent__seedS__time). */
  runName?: string;
  progress?: ProgressMode;
  /** Extra lines (start, evals, end) on stderr; default true. */
  verbose?: boolean;
}

export interface RunConfig extends Omit<TrainOptions, 'progress' | 'verbose' | 'outDir' | 'runName' | 'backend' | 'rewardThreshold'> {
  tsgymVersion: string;
  envId: string;
  backend: string;
  backendRequested: BackendChoice;
  versions: Record<string, string>;
  rewardThreshold: number | null;
  createdAt: string;
}

export interface TrainResult {
  runDir: string;
  summary: RunSummary;
  config: RunConfig;
}

/** A NaN/inf loss or weight: the run stopped, its last good checkpoint is kept. */
export class DivergenceError extends TsgymError {
  override name = 'DivergenceError';
}

interface HarnessState {
  step: number;
  episodes: number;
  nextEval: number;
  nextCheckpoint: number;
  nextLog: number;
  recentReturns: number[];
  updateSums: Record<string, number>;
  updateCount: number;
  wallSeconds: number;
  finalEval: RunSummary['finalEval'];
  bestEval: RunSummary['bestEval'];
  solvedAtStep: number | null;
  solvedAtWallSeconds: number | null;
  solved: boolean;
}

const require = createRequire(import.meta.url);

function versions(): Record<string, string> {
  const v = (pkg: string) => {
    try {
      return (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return { node: process.version, '@tensorflow/tfjs': v('@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': v('@tensorflow/tfjs-backend-wasm') };
}

function tsgymVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}

/** Starts a new run. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  validateOptions(opts);
  const reg = registration(opts.env);
  // Fail on bad hyperparameters before creating anything on disk.
  // Agents with schedules over the run (ε, β, LR annealing) take the budget as the `totalSteps` hyperparameter.
  const takesBudget = 'totalSteps' in agentRegistration(opts.agent).defaults;
  const hyperparams = resolveHyperparams(opts.agent, takesBudget ? { ...opts.hyperparams, totalSteps: opts.totalSteps } : opts.hyperparams, { numEnvs: opts.numEnvs });
  const probe = make(reg.id, opts.envKwargs); // bad env options fail here, before anything is written
  assertAgentSupports(opts.agent, probe.actionSpace, reg.id);
  probe.close();
  const backend = await initBackend(opts.backend);
  const config: RunConfig = {
    tsgymVersion: tsgymVersion(),
    agent: opts.agent,
    env: reg.id,
    envId: reg.id,
    seed: opts.seed,
    totalSteps: opts.totalSteps,
    numEnvs: opts.numEnvs,
    evalEvery: opts.evalEvery,
    evalEpisodes: opts.evalEpisodes,
    recordEpisodes: opts.recordEpisodes,
    checkpointEvery: opts.checkpointEvery,
    stopWhenSolved: opts.stopWhenSolved,
    logEvery: opts.logEvery,
    envKwargs: opts.envKwargs,
    hyperparams,
    backend,
    backendRequested: opts.backend,
    versions: versions(),
    rewardThreshold: opts.rewardThreshold ?? reg.rewardThreshold ?? null,
    createdAt: new Date().toISOString(),
  };
  fs.mkdirSync(opts.outDir, { recursive: true });
  const run = RunDir.create(opts.outDir, opts.runName ?? runName(reg.id, opts.agent, opts.seed));
  run.writeConfig(config);
  return runLoop(run, config, { progress: opts.progress, verbose: opts.verbose });
}

/** Continues a run from its latest checkpoint (or from scratch when it has none). */
export async function resume(runDir: string, opts: { progress?: ProgressMode; verbose?: boolean; backend?: BackendChoice } = {}): Promise<TrainResult> {
  if (!fs.existsSync(path.join(runDir, 'config.json'))) throw new TsgymError(`--resume ${runDir}: not a run directory (no config.json)`);
  const config = readJsonFile<RunConfig>(path.join(runDir, 'config.json'), 'run config');
  const backend = await initBackend(opts.backend ?? config.backendRequested);
  if (backend !== config.backend) {
    console.error(`warning: this run was trained on backend '${config.backend}', resuming on '${backend}': results will not be bit-identical to an uninterrupted run`);
  }
  return runLoop(new RunDir(runDir), config, opts, true);
}

async function runLoop(run: RunDir, config: RunConfig, ui: { progress?: ProgressMode; verbose?: boolean }, resuming = false): Promise<TrainResult> {
  const verbose = ui.verbose ?? true;
  const say = (msg: string) => (verbose ? progress.log(msg) : undefined);
  const vec = makeVec(config.envId, config.numEnvs, config.envKwargs);
  const agent: Agent = createAgent(config.agent, { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: config.numEnvs }, config.hyperparams, config.seed);
  const progress = new Progress(config.totalSteps, `${config.agent} ${config.envId}`, ui.progress ?? 'auto');
  const threshold = config.rewardThreshold;
  let h: HarnessState = {
    step: 0,
    episodes: 0,
    nextEval: config.evalEvery,
    nextCheckpoint: config.checkpointEvery,
    nextLog: config.logEvery,
    recentReturns: [],
    updateSums: {},
    updateCount: 0,
    wallSeconds: 0,
    finalEval: null,
    bestEval: null,
    solvedAtStep: null,
    solvedAtWallSeconds: null,
    solved: false,
  };

  const ckptDir = resuming ? findCheckpoint(run.checkpointsDir) : null;
  if (ckptDir) {
    const ck = loadCheckpoint(ckptDir);
    const hj = ck.json.harness as HarnessState & { logSizes: { metrics: number; timing: number }; vec: unknown };
    agent.setState({ json: ck.json.agent as Record<string, unknown>, blobs: ck.blobs });
    vec.setState(hj.vec);
    run.truncateLogs(hj.logSizes);
    const { logSizes: _l, vec: _v, ...rest } = hj;
    h = rest;
    say(`resuming ${run.dir} from step ${h.step}`);
  } else {
    if (resuming) {
      say(`no checkpoint in ${run.dir}; starting it again from step 0`);
      run.truncateLogs({ metrics: 0, timing: 0 });
    }
    vec.reset({ seed: config.seed * 1000 });
  }
  progress.setStartStep(h.step);
  say(`training ${config.agent} on ${config.envId} (seed ${config.seed}, ${config.numEnvs} envs, ${config.totalSteps} steps, backend ${config.backend}) → ${run.dir}`);

  const wallStart = performance.now() - h.wallSeconds * 1000;
  const wall = () => (performance.now() - wallStart) / 1000;
  const writeSummary = (status: RunSummary['status'], message?: string) =>
    run.writeSummary({ status, steps: h.step, wallSeconds: Math.round(wall() * 1000) / 1000, finalEval: h.finalEval, bestEval: h.bestEval, solvedAtStep: h.solvedAtStep, solvedAtWallSeconds: h.solvedAtWallSeconds, ...(message ? { message } : {}) });

  const checkpoint = () => {
    h.wallSeconds = wall();
    const st = agent.getState();
    saveCheckpoint(run.checkpointsDir, { step: h.step, json: { agent: st.json, harness: { ...h, logSizes: run.logSizes(), vec: vec.getState() } }, blobs: st.blobs });
  };

  const runEval = async (): Promise<EvalResult> => {
    const res = await evaluate(agent, {
      envId: config.envId,
      envKwargs: config.envKwargs,
      episodes: config.evalEpisodes,
      seedBase: 1_000_000 + config.seed * 1000,
      record: config.recordEpisodes,
      recordDir: path.join(run.episodesDir, stepDirName('step', h.step)),
      agentName: config.agent,
      checkpointStep: h.step,
      label: `${config.agent} step ${h.step}`,
    });
    const ev = { mean: res.mean, std: res.std, step: h.step };
    run.metric({ kind: 'eval', step: h.step, mean: res.mean, std: res.std, returns: res.returns, lengths: res.lengths });
    run.flush();
    run.timing(h.step, wall());
    h.finalEval = ev;
    if (!h.bestEval || res.mean > h.bestEval.mean) {
      h.bestEval = ev;
      // Keep the best policy seen: value-based agents in particular can drift off it if trained on.
      saveAgent(agent, path.join(run.dir, 'best'));
    }
    if (threshold !== null && res.mean >= threshold && h.solvedAtStep === null) {
      h.solvedAtStep = h.step;
      h.solvedAtWallSeconds = Math.round(wall() * 1000) / 1000;
    }
    if (threshold !== null && res.mean >= threshold) h.solved = true;
    say(`eval @ ${h.step}: ${fmt(res.mean)} ± ${fmt(res.std)} over ${config.evalEpisodes} episodes${threshold !== null && res.mean >= threshold ? ' (solved)' : ''}`);
    return res;
  };

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Tensor count after the first update (one-time caches exist by then); it must not grow after that.
  let tensorBaseline = -1;
  writeSummary('running');

  const n = config.numEnvs;
  const d = vec.obsSize;
  const prevObs = new Float32Array(n * d);
  const nextObs = new Float32Array(n * d);
  let lastEvalStep = h.finalEval?.step ?? -1;
  try {
    while (h.step < config.totalSteps && !(config.stopWhenSolved && h.solved) && !interrupted) {
      prevObs.set(vec.obs);
      const { actions } = agent.act(vec.obs, n, { greedy: false });
      vec.step(actions);
      // What the agent bootstraps from: the next observation, or the final one where an episode ended.
      nextObs.set(vec.obs);
      for (let i = 0; i < n; i++) {
        if (vec.terminated[i] || vec.truncated[i]) nextObs.set(vec.finalObs.subarray(i * d, (i + 1) * d), i * d);
      }
      h.step += n;
      const upd = agent.observe({ n, obs: prevObs, actions, rewards: vec.rewards, nextObs, terminated: vec.terminated, truncated: vec.truncated }, h.step);
      for (let i = 0; i < n; i++) {
        if (!(vec.terminated[i] || vec.truncated[i])) continue;
        h.episodes++;
        run.metric({ kind: 'episode', step: h.step, return: vec.episodeReturns[i], length: vec.episodeLengths[i], terminated: vec.terminated[i] === 1 });
        h.recentReturns.push(vec.episodeReturns[i]);
        if (h.recentReturns.length > 20) h.recentReturns.shift();
      }
      if (upd) {
        if (tensorBaseline < 0) tensorBaseline = tf.memory().numTensors;
        guardDivergence(upd, agent, h.step);
        for (const [k, v] of Object.entries(upd)) h.updateSums[k] = (h.updateSums[k] ?? 0) + v;
        h.updateCount++;
      }
      if (h.step >= h.nextLog) {
        if (h.updateCount) {
          const means: UpdateMetrics = {};
          for (const [k, v] of Object.entries(h.updateSums)) means[k] = v / h.updateCount;
          run.metric({ kind: 'update', step: h.step, updates: h.updateCount, ...means });
        }
        h.updateSums = {};
        h.updateCount = 0;
        while (h.nextLog <= h.step) h.nextLog += config.logEvery;
      }
      if (h.step >= h.nextEval) {
        await runEval();
        lastEvalStep = h.step;
        while (h.nextEval <= h.step) h.nextEval += config.evalEvery;
      }
      if (h.step >= h.nextCheckpoint) {
        checkpoint();
        while (h.nextCheckpoint <= h.step) h.nextCheckpoint += config.checkpointEvery;
      }
      if ((h.step / n) % 256 === 0) await new Promise((r) => setImmediate(r)); // let signals in
      const recent = h.recentReturns.length ? h.recentReturns.reduce((a, b) => a + b, 0) / h.recentReturns.length : undefined;
      progress.update(h.step, { return: recent, ...agent.progressInfo(), loss: h.updateCount ? (h.updateSums.loss ?? h.updateSums.policyLoss ?? 0) / h.updateCount : undefined });
    }
    if (interrupted) {
      checkpoint();
      writeSummary('interrupted', 'stopped by a signal; continue with --resume');
      progress.done();
      say(`interrupted at step ${h.step}; resume with: npm run train -- --resume ${run.dir}`);
      return { runDir: run.dir, summary: readJsonFile(path.join(run.dir, 'summary.json')), config };
    }
    if (lastEvalStep !== h.step) await runEval();
    checkpoint();
  } catch (e) {
    run.flush();
    progress.done();
    if (e instanceof DivergenceError) {
      writeSummary('diverged', e.message);
    } else {
      writeSummary('interrupted', `crashed: ${(e as Error).message}`);
    }
    agent.dispose();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  progress.done();
  run.flush();
  writeSummary('finished');
  const leaked = tensorBaseline < 0 ? 0 : tf.memory().numTensors - tensorBaseline;
  agent.dispose();
  const fe = h.finalEval!;
  say(
    `done: ${h.step} steps in ${fmt(wall())} s; final eval ${fmt(fe.mean)} ± ${fmt(fe.std)} over ${config.evalEpisodes} episodes at step ${fe.step}` +
      (threshold !== null ? (h.solvedAtStep !== null ? `; solved (≥ ${threshold}) at step ${h.solvedAtStep} after ${fmt(h.solvedAtWallSeconds!)} s` : `; not solved (threshold ${threshold})`) : '') +
      (leaked !== 0 ? `; WARNING: ${leaked} tensors leaked` : ''),
  );
  return { runDir: run.dir, summary: readJsonFile<RunSummary>(path.join(run.dir, 'summary.json')), config };
}

function guardDivergence(upd: UpdateMetrics, agent: Agent, step: number): void {
  const bad = Object.entries(upd).find(([, v]) => !Number.isFinite(v));
  if (bad || !agent.weightsFinite()) {
    const what = bad ? `${bad[0]} became ${bad[1]}` : 'a network weight became NaN or infinite';
    throw new DivergenceError(`training diverged at step ${step}: ${what}. The last good checkpoint is kept; try a lower learning rate (--set lr=...) or a smaller maxGradNorm.`);
  }
}

function validateOptions(o: TrainOptions): void {
  positiveInt('--steps', o.totalSteps);
  positiveInt('--envs', o.numEnvs);
  positiveInt('--eval-every', o.evalEvery);
  positiveInt('--eval-episodes', o.evalEpisodes);
  positiveInt('--checkpoint-every', o.checkpointEvery);
  positiveInt('--log-every', o.logEvery);
  nonNegativeInt('--seed', o.seed);
  nonNegativeInt('--record-episodes', o.recordEpisodes);
}

/** Flag checks shared by the train and compare commands (undefined = not given, accepted). */
export function positiveInt(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new TsgymError(`${flag} must be a positive integer, got ${v}`);
}

export function nonNegativeInt(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new TsgymError(`${flag} must be a non-negative integer, got ${v}`);
}
