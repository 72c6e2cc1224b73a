/**
 * The run harness, shared by every agent: `train(options)` builds the vector env and the agent, runs the
 * collect → observe loop, logs, evaluates, records replays, checkpoints, guards against divergence, and
 * resumes killed runs bit-exactly. It knows agents only through agents/agent.ts and the run directory only
 * through experiments/run-format.ts (names, types) and ./run-dir.ts (writing it).
 *
 * Seeds: training env i is reset with `streamSeed(seed, 'train-env', i)`, evaluation episode k with
 * `streamSeed(seed, 'eval-episode', k)` (hashed, core/seeds.ts: held out from every run's training streams,
 * and the same at every evaluation so evaluations are comparable); the agent's streams are hashed from
 * `seed` too (agents/*). Same seed + config + backend ⇒ identical metrics.jsonl.
 *
 * Integrity: one process writes a run at a time (./run-lock.ts); checkpoints carry a manifest and are
 * verified before a resume; the logs are checked against what the checkpoint recorded; a failure (full disk,
 * read-only, permissions) ends the run with `status: failed` and the first error, leaving no temp files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { initBackend, tf, type BackendChoice } from '../../agents/backend.js';
import { assertAgentSupports, createAgent, resolveHyperparams } from '../../agents/registry.js';
import type { Agent, UpdateMetrics } from '../../agents/agent.js';
import { make, makeVec, registration } from '../../envs/registry.js';
import type { VectorEnv } from '../../envs/vector.js';
import { TsgymError } from '../../core/errors.js';
import { mean } from '../../core/math.js';
import { STREAMS, streamSeeds, validateSeed } from '../../core/seeds.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { collectTransition } from './collect.js';
import { findCheckpoint, listIntactCheckpointSteps, loadCheckpoint, removeCheckpointTemps, saveCheckpoint, type CheckpointData } from './checkpoint.js';
import { Progress, fmt, type ProgressMode } from './progress.js';
import { RunDir } from './run-dir.js';
import { LostRunError, lockRun, type HeldLock } from './run-lock.js';
import { saveAgent } from './agent-io.js';
import { writeGridworldValues } from './gridworld-values.js';
import { AGENT_FILES, DamagedCheckpointError, isRunDir, readRunConfig, readRunSummary, runName, stepDirName, type EvalSummary, type LogMarks, type RunBudget, type RunConfig, type RunSummary } from '../run-format.js';
import { applyResumeFlags, configFields, nonNegativeInt, positiveInt, takesBudget, type ResumeFlags } from '../run-spec.js';
import type { EnvModuleRef } from '../env-modules.js';
import type { CodeFingerprint } from '../fingerprint.js';

export type { RunBudget, RunConfig } from '../run-format.js';
export { applyResumeFlags, nonNegativeInt, positiveInt, type ResumeFlags } from '../run-spec.js';

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
  /** Recorded in config.json: the user env modules the run needs, and the code that resolved it (run-spec.ts). */
  envModules?: EnvModuleRef[];
  fingerprint?: CodeFingerprint;
}

export interface ResumeOptions {
  progress?: ProgressMode;
  verbose?: boolean;
  /** Backend to resume on (default: the one the run requested). Prefer `flags.backend`, which is checked. */
  backend?: BackendChoice;
  flags?: ResumeFlags;
  /** Resume from this checkpoint step instead of the latest (e.g. when the latest is damaged). */
  fromCheckpoint?: number;
  /** Replace the run's lock without checking its holder (see ./run-lock.ts: for job queues re-running a dead worker's job). */
  takeOverLock?: boolean;
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

/** Where a run stands; saved in every checkpoint (with the log marks and the vector env's state). */
interface RunProgress {
  step: number;
  episodes: number;
  /** Env steps at which the next eval / checkpoint / update-metrics line is due (see `Every`). */
  nextEval: number;
  nextCheckpoint: number;
  nextLog: number;
  /** Returns of the last 20 training episodes (for the progress display). */
  recentReturns: number[];
  /** Update metrics summed since the last update-metrics line, and how many updates they sum. */
  updateSums: Record<string, number>;
  updateCount: number;
  wallSeconds: number;
  finalEval: EvalSummary | null;
  bestEval: EvalSummary | null;
  solvedAtStep: number | null;
  solvedAtWallSeconds: number | null;
  solved: boolean;
}

interface SavedHarness extends RunProgress {
  logMarks: LogMarks;
  vec: unknown;
}

/** The live parts of a run: its directory, lock, envs and agent. */
interface Session {
  run: RunDir;
  lock: HeldLock;
  config: RunConfig;
  vec: VectorEnv;
  agent: Agent;
  closed: boolean;
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

/** Builds the vector env and the agent a run config describes (throws on bad hyperparameters). */
function buildEnvAndAgent(config: RunConfig): { vec: VectorEnv; agent: Agent } {
  const vec = makeVec(config.envId, config.numEnvs, config.envKwargs);
  try {
    const agent = createAgent(config.agent, { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: config.numEnvs }, config.hyperparams, config.seed);
    return { vec, agent };
  } catch (e) {
    vec.close();
    throw e;
  }
}

/** Starts a new run. Everything that can be checked is checked before the run directory is created. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  validateOptions(opts);
  const reg = registration(opts.env);
  // Fail on bad hyperparameters before creating anything on disk.
  const hyperparams = resolveHyperparams(opts.agent, takesBudget(opts.agent) ? { ...opts.hyperparams, totalSteps: opts.totalSteps } : opts.hyperparams, { numEnvs: opts.numEnvs });
  const probe = make(reg.id, opts.envKwargs); // bad env options fail here, before anything is written
  assertAgentSupports(opts.agent, probe.actionSpace, reg.id);
  probe.close();
  const backend = await initBackend(opts.backend);
  const config: RunConfig = {
    tsgymVersion: tsgymVersion(),
    agent: opts.agent,
    env: reg.id,
    envId: reg.id,
    ...(configFields(opts) as Omit<RunConfig, 'tsgymVersion' | 'agent' | 'env' | 'envId' | 'hyperparams' | 'backend' | 'versions' | 'rewardThreshold' | 'createdAt'>),
    hyperparams,
    backend,
    versions: versions(),
    rewardThreshold: opts.rewardThreshold ?? reg.rewardThreshold ?? null,
    createdAt: new Date().toISOString(),
  };
  // The agent is built before the directory, so a constructor error leaves nothing behind.
  const { vec, agent } = buildEnvAndAgent(config);
  // The directory is made exclusively (two `train`s never share one) and gets its config before its lock: a
  // process killed in between leaves an empty directory or a resumable run, never a lock file alone.
  let run: RunDir | undefined;
  let lock: HeldLock;
  try {
    run = RunDir.create(opts.outDir, opts.runName ?? runName(reg.id, opts.agent, opts.seed));
    try {
      run.writeConfig(config);
    } catch (e) {
      fs.rmSync(run.dir, { recursive: true, force: true }); // a full or read-only disk: nothing was recorded
      throw e;
    }
    lock = lockRun(run.dir, { command: 'train' });
    run.fence(() => lock.check()); // every write from here on checks the run is still ours
  } catch (e) {
    agent.dispose();
    vec.close();
    throw e;
  }
  const session: Session = { run, lock, config, vec, agent, closed: false };
  try {
    vec.reset({ seed: streamSeeds(config.seed, STREAMS.trainEnv, config.numEnvs) });
    return await runLoop(session, null, opts);
  } finally {
    closeSession(session);
  }
}

/** Continues a run from its latest intact checkpoint (or `fromCheckpoint`), or from scratch when it has none. */
export async function resume(runDir: string, opts: ResumeOptions = {}): Promise<TrainResult> {
  if (!isRunDir(runDir)) throw new TsgymError(`--resume ${runDir}: not a run directory (no config.json)`);
  const lock = lockRun(runDir, { command: 'resume', takeOver: opts.takeOverLock });
  let session: Session | null = null;
  try {
    const stored = readRunConfig(runDir);
    const config = applyResumeFlags(runDir, stored, opts.flags ?? {});
    const run = new RunDir(runDir);
    run.fence(() => lock.check()); // every write checks the run is still ours
    const checkpoint = pickCheckpoint(run, opts.fromCheckpoint); // refuses a damaged checkpoint, naming the file
    const backend = await initBackend(opts.flags?.backend ?? opts.backend ?? config.backendRequested);
    if (backend !== config.backend) {
      console.error(`warning: this run was trained on backend '${config.backend}', resuming on '${backend}': results will not be bit-identical to an uninterrupted run`);
    }
    const { vec, agent } = buildEnvAndAgent(config);
    session = { run, lock, config, vec, agent, closed: false };
    removeCheckpointTemps(run.checkpointsDir);
    let restored: RunProgress | null = null;
    if (checkpoint) {
      const saved = checkpoint.data.json.harness as SavedHarness;
      run.restoreLogs(saved.logMarks, checkpoint.dir); // refuses logs that no longer match the checkpoint
      agent.setState({ json: checkpoint.data.json.agent as Record<string, unknown>, blobs: checkpoint.data.blobs });
      vec.setState(saved.vec);
      const { logMarks: _marks, vec: _vec, ...progress } = saved;
      restored = progress;
    } else {
      // Killed before its first checkpoint: nothing to continue from, so the run starts over.
      run.clearLogs();
      vec.reset({ seed: streamSeeds(config.seed, STREAMS.trainEnv, config.numEnvs) });
    }
    if (config !== stored) run.writeConfig(config); // an extended budget or a changed stop rule
    if (restored?.solved && config.stopWhenSolved && restored.step < config.totalSteps) {
      console.error(`note: this run stopped when it solved the env; add --no-stop-when-solved to train on to ${config.totalSteps} steps`);
    }
    return await runLoop(session, restored, { ...opts, note: checkpoint ? undefined : `no checkpoint in ${runDir}; starting it again from step 0` });
  } catch (e) {
    if (session && !session.closed) closeSession(session);
    else if (!session) lock.release();
    throw e;
  }
}

/** Releases what a session holds (agent tensors, envs, the run lock). */
function closeSession(session: Session): void {
  if (session.closed) return;
  session.closed = true;
  session.agent.dispose();
  session.vec.close();
  session.lock.release();
}

/** The checkpoint to resume from, verified against its manifest; null when the run has none. */
function pickCheckpoint(run: RunDir, step: number | undefined): { dir: string; data: CheckpointData } | null {
  const dir = findCheckpoint(run.checkpointsDir, step ?? 'latest');
  if (!dir) {
    if (step === undefined) return null;
    const intact = listIntactCheckpointSteps(run.checkpointsDir);
    throw new TsgymError(`${run.dir}: no checkpoint at step ${step} (intact checkpoints: ${intact.join(', ') || 'none'})`);
  }
  try {
    return { dir, data: loadCheckpoint(dir) };
  } catch (e) {
    if (!(e instanceof DamagedCheckpointError)) throw e;
    const intact = listIntactCheckpointSteps(run.checkpointsDir);
    const newest = intact[intact.length - 1];
    const how =
      newest !== undefined
        ? `resume from the newest intact checkpoint with: npm run train -- --resume ${run.dir} --from-checkpoint ${newest}`
        : `no intact checkpoint is left; start the run again (delete ${run.checkpointsDir} to restart it from step 0)`;
    throw new TsgymError(`cannot resume: ${e.message}; ${how}`);
  }
}

/** "Every N env steps": due once `step` reaches `next`; `advance` moves `next` past `step`. */
class Every {
  constructor(
    private readonly every: number,
    public next: number,
  ) {}
  due(step: number): boolean {
    return step >= this.next;
  }
  advance(step: number): void {
    while (this.next <= step) this.next += this.every;
  }
}

interface UiOptions {
  progress?: ProgressMode;
  verbose?: boolean;
  /** A line to print first (e.g. why a resume starts over). */
  note?: string;
}

function runLoop(session: Session, restored: RunProgress | null, ui: UiOptions): Promise<TrainResult> {
  return new TrainingLoop(session, restored, ui).execute();
}

/** Steps per `await` so SIGINT/SIGTERM handlers get a chance to run. */
const VECTOR_STEPS_PER_YIELD = 256;

/** The collect → observe loop of one run, with its schedules (log, eval, checkpoint) and its ending. */
class TrainingLoop {
  private readonly run: RunDir;
  private readonly config: RunConfig;
  private readonly vec: VectorEnv;
  private readonly agent: Agent;
  private readonly display: Progress;
  private readonly verbose: boolean;
  private readonly progress: RunProgress;
  private readonly evalSchedule: Every;
  private readonly checkpointSchedule: Every;
  private readonly logSchedule: Every;
  private readonly wallStart: number;
  private readonly prevObs: Float32Array;
  private readonly nextObs: Float32Array;
  /** Tensor count after the first update (one-time caches exist by then); it must not grow after that. */
  private tensorBaseline = -1;
  private lastEvalStep: number;
  private interrupted = false;
  private readonly resumed: boolean;

  constructor(
    private readonly session: Session,
    restored: RunProgress | null,
    private readonly ui: UiOptions,
  ) {
    ({ run: this.run, config: this.config, vec: this.vec, agent: this.agent } = session);
    const c = this.config;
    this.verbose = ui.verbose ?? true;
    this.resumed = restored !== null;
    this.display = new Progress(c.totalSteps, `${c.agent} ${c.envId}`, ui.progress ?? 'auto');
    this.progress = restored ?? {
      step: 0,
      episodes: 0,
      nextEval: c.evalEvery,
      nextCheckpoint: c.checkpointEvery,
      nextLog: c.logEvery,
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
    this.evalSchedule = new Every(c.evalEvery, this.progress.nextEval);
    this.checkpointSchedule = new Every(c.checkpointEvery, this.progress.nextCheckpoint);
    this.logSchedule = new Every(c.logEvery, this.progress.nextLog);
    this.wallStart = performance.now() - this.progress.wallSeconds * 1000;
    this.prevObs = new Float32Array(c.numEnvs * this.vec.obsSize);
    this.nextObs = new Float32Array(c.numEnvs * this.vec.obsSize);
    this.lastEvalStep = this.progress.finalEval?.step ?? -1;
  }

  async execute(): Promise<TrainResult> {
    const { config: c, progress: p } = this;
    if (this.ui.note) this.say(this.ui.note);
    if (this.resumed) this.say(`resuming ${this.run.dir} from step ${p.step}`);
    this.display.setStartStep(p.step);
    this.say(`training ${c.agent} on ${c.envId} (seed ${c.seed}, ${c.numEnvs} envs, ${c.totalSteps} steps, backend ${c.backend}) → ${this.run.dir}`);
    const onSignal = () => (this.interrupted = true);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      this.writeSummary('running');
      while (p.step < c.totalSteps && !(c.stopWhenSolved && p.solved) && !this.interrupted) {
        const update = this.collectStep();
        if (update) this.addUpdate(update);
        if (this.logSchedule.due(p.step)) {
          this.logUpdates();
          this.logSchedule.advance(p.step);
        }
        if (this.evalSchedule.due(p.step)) {
          await this.evaluate();
          this.evalSchedule.advance(p.step);
        }
        if (this.checkpointSchedule.due(p.step)) {
          // Advance first: the checkpoint stores the schedule, and a resume must not checkpoint this step again.
          this.checkpointSchedule.advance(p.step);
          this.checkpoint();
        }
        if ((p.step / c.numEnvs) % VECTOR_STEPS_PER_YIELD === 0) await new Promise((r) => setImmediate(r));
        this.showProgress();
      }
      if (this.interrupted) {
        this.checkpoint();
        this.writeSummary('interrupted', 'stopped by a signal; continue with --resume');
      } else {
        if (this.lastEvalStep !== p.step) await this.evaluate();
        this.checkpoint();
        writeEndOfRunArtifacts(this.session);
        this.run.flush();
        this.writeSummary('finished');
      }
    } catch (e) {
      this.fail(e);
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      this.display.done();
    }
    const leaked = this.tensorBaseline < 0 ? 0 : tf.memory().numTensors - this.tensorBaseline;
    closeSession(this.session);
    this.say(this.interrupted ? `interrupted at step ${p.step}; resume with: npm run train -- --resume ${this.run.dir}` : this.doneMessage(leaked));
    return { runDir: this.run.dir, summary: readSummaryOrThrow(this.run.dir), config: c };
  }

  /** One vector step: act, step the envs, hand the transition to the agent, log finished episodes. */
  private collectStep(): UpdateMetrics | null {
    const { vec, agent, progress: p } = this;
    const n = this.config.numEnvs;
    const transition = collectTransition(vec, agent, this.prevObs, this.nextObs);
    p.step += n;
    const update = agent.observe(transition, p.step);
    for (let i = 0; i < n; i++) {
      if (!(vec.terminated[i] || vec.truncated[i])) continue;
      p.episodes++;
      this.run.metric({ kind: 'episode', step: p.step, return: vec.episodeReturns[i], length: vec.episodeLengths[i], terminated: vec.terminated[i] === 1 });
      p.recentReturns.push(vec.episodeReturns[i]);
      if (p.recentReturns.length > 20) p.recentReturns.shift();
    }
    return update ?? null;
  }

  /** Checks an update for divergence and adds it to the sums of the next update-metrics line. */
  private addUpdate(update: UpdateMetrics): void {
    const p = this.progress;
    if (this.tensorBaseline < 0) this.tensorBaseline = tf.memory().numTensors;
    guardDivergence(update, this.agent, p.step);
    for (const [k, v] of Object.entries(update)) p.updateSums[k] = (p.updateSums[k] ?? 0) + v;
    p.updateCount++;
  }

  /** Writes the means of the update metrics since the last line. */
  private logUpdates(): void {
    const p = this.progress;
    if (p.updateCount) {
      const means: UpdateMetrics = {};
      for (const [k, v] of Object.entries(p.updateSums)) means[k] = v / p.updateCount;
      this.run.metric({ kind: 'update', step: p.step, updates: p.updateCount, ...means });
    }
    p.updateSums = {};
    p.updateCount = 0;
  }

  /** A greedy evaluation on the held-out eval episodes; records replays, keeps the best agent, notes solving. */
  private async evaluate(): Promise<EvalResult> {
    const { config: c, progress: p, run } = this;
    run.assertOwned(); // before recording replays into the run
    const res = await evaluate(this.agent, {
      envId: c.envId,
      envKwargs: c.envKwargs,
      episodes: c.evalEpisodes,
      seeds: streamSeeds(c.seed, STREAMS.evalEpisode, c.evalEpisodes),
      record: c.recordEpisodes,
      recordDir: path.join(run.episodesDir, stepDirName('step', p.step)),
      agentName: c.agent,
      checkpointStep: p.step,
      label: `${c.agent} step ${p.step}`,
    });
    const ev = { mean: res.mean, std: res.std, step: p.step };
    run.metric({ kind: 'eval', step: p.step, mean: res.mean, std: res.std, returns: res.returns, lengths: res.lengths });
    run.flush();
    run.timing(p.step, this.wall());
    p.finalEval = ev;
    this.lastEvalStep = p.step;
    if (!p.bestEval || res.mean > p.bestEval.mean) {
      p.bestEval = ev;
      // Keep the best policy seen: value-based agents in particular can drift off it if trained on.
      saveAgent(this.agent, run.bestDir);
    }
    const solvedNow = c.rewardThreshold !== null && res.mean >= c.rewardThreshold;
    if (solvedNow && p.solvedAtStep === null) {
      p.solvedAtStep = p.step;
      p.solvedAtWallSeconds = Math.round(this.wall() * 1000) / 1000;
    }
    if (solvedNow) p.solved = true;
    this.say(`eval @ ${p.step}: ${fmt(res.mean)} ± ${fmt(res.std)} over ${c.evalEpisodes} episodes${solvedNow ? ' (solved)' : ''}`);
    return res;
  }

  private checkpoint(): void {
    const p = this.progress;
    p.wallSeconds = this.wall();
    p.nextEval = this.evalSchedule.next;
    p.nextCheckpoint = this.checkpointSchedule.next;
    p.nextLog = this.logSchedule.next;
    this.run.assertOwned();
    const agentState = this.agent.getState();
    const harness: SavedHarness = { ...p, recentReturns: [...p.recentReturns], updateSums: { ...p.updateSums }, logMarks: this.run.logMarks(), vec: this.vec.getState() };
    saveCheckpoint(this.run.checkpointsDir, { step: p.step, json: { agent: agentState.json, harness }, blobs: agentState.blobs });
  }

  /**
   * Ends a run that threw: `diverged` or `failed` in summary.json (when it can still be written), temp
   * directories removed, resources released. The first error is the one reported: writing the summary may
   * fail too (a full disk) and must not hide it.
   */
  private fail(e: unknown): void {
    if (e instanceof LostRunError) {
      // The run is another process's now: write nothing, remove nothing (its temp files are its own).
      closeSession(this.session);
      return;
    }
    const status: RunSummary['status'] = e instanceof DivergenceError ? 'diverged' : 'failed';
    attempt(() => this.run.flush());
    attempt(() => this.writeSummary(status, e instanceof DivergenceError ? e.message : `failed: ${(e as Error).message}`));
    attempt(() => removeCheckpointTemps(this.run.checkpointsDir));
    attempt(() => removeCheckpointTemps(path.join(this.run.bestDir, AGENT_FILES.state)));
    closeSession(this.session);
  }

  private writeSummary(status: RunSummary['status'], message?: string): void {
    const p = this.progress;
    this.run.writeSummary({ status, steps: p.step, wallSeconds: Math.round(this.wall() * 1000) / 1000, finalEval: p.finalEval, bestEval: p.bestEval, solvedAtStep: p.solvedAtStep, solvedAtWallSeconds: p.solvedAtWallSeconds, ...(message ? { message } : {}) });
  }

  private showProgress(): void {
    const p = this.progress;
    const recent = p.recentReturns.length ? mean(p.recentReturns) : undefined;
    const loss = p.updateCount ? (p.updateSums.loss ?? p.updateSums.policyLoss ?? 0) / p.updateCount : undefined;
    this.display.update(p.step, { return: recent, ...this.agent.progressInfo(), loss });
  }

  private doneMessage(leaked: number): string {
    const { config: c, progress: p } = this;
    const fe = p.finalEval!;
    const threshold = c.rewardThreshold;
    return (
      `done: ${p.step} steps in ${fmt(this.wall())} s; final eval ${fmt(fe.mean)} ± ${fmt(fe.std)} over ${c.evalEpisodes} episodes at step ${fe.step}` +
      (threshold !== null ? (p.solvedAtStep !== null ? `; solved (≥ ${threshold}) at step ${p.solvedAtStep} after ${fmt(p.solvedAtWallSeconds!)} s` : `; not solved (threshold ${threshold})`) : '') +
      (leaked !== 0 ? `; WARNING: ${leaked} tensors leaked` : '')
    );
  }

  private wall(): number {
    return (performance.now() - this.wallStart) / 1000;
  }

  private say(message: string): void {
    if (this.verbose) this.display.log(message);
  }
}

/**
 * Files written once a run has finished, beside the logs (e.g. a gridworld's values.json for the viewer).
 * The agent is still alive here; add writers below.
 */
function writeEndOfRunArtifacts(session: Session): void {
  writeGridworldValues(session.run.dir, session.config, session.agent); // the viewer's value/policy overlay (gridworld envs only)
}

function readSummaryOrThrow(runDir: string): RunSummary {
  const summary = readRunSummary(runDir);
  if (!summary) throw new TsgymError(`${runDir}: summary.json is missing`);
  return summary;
}

/** Runs a clean-up step whose own failure must not replace the error being reported. */
function attempt(fn: () => void): void {
  try {
    fn();
  } catch {
    // already failing: the first error is the one that matters
  }
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
  validateSeed(o.seed, '--seed');
  nonNegativeInt('--record-episodes', o.recordEpisodes);
}
