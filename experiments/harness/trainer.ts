/**
 * The run harness, shared by every agent: `train(options)` builds the vector env and the agent, runs the
 * collect → observe loop, logs, evaluates, records replays, checkpoints, guards against divergence, and
 * resumes killed runs bit-exactly. It knows agents only through agents/agent.ts and the run directory only
 * through formats/run-format.ts (names, types) and ./run-dir.ts (writing it).
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
import { initBackend, type BackendChoice } from '../../agents/backend.js';
import { assertAgentSupports } from '../../agents/registry.js';
import type { Agent } from '../../agents/agent.js';
import { envRewardThreshold, make, registration, resolveEnvId } from '../../envs/registry.js';
import type { SpaceJSON } from '../../envs/spaces.js';
import type { VectorEnv } from '../../envs/vector.js';
import type { RecordedEpisode } from '../../envs/wrappers.js';
import { TsgymError } from '../../core/errors.js';
import { jsonDifferences, stableStringify } from '../../core/stable-json.js';
import { validateSeed } from '../../core/seeds.js';
import { writeRecordedEpisodes } from './evaluate.js';
import { findCheckpoint, listIntactCheckpointSteps, loadCheckpoint, removeCheckpointTemps, saveCheckpoint, type CheckpointData } from './checkpoint.js';
import { Progress, fmt, type ProgressMode } from './progress.js';
import { RunDir } from './run-dir.js';
import { LostRunError, lockRun, type HeldLock } from './run-lock.js';
import { saveAgent } from './agent-io.js';
import { writeGridworldValues } from './gridworld-values.js';
import { buildEnvAndAgent, TrainingLoop, type LoopOptions, type LoopSink, type SavedHarness } from './training-loop.js';
import { packageInfo } from '../package-info.js';
import { applyResumeFlags, type ResumeFlags } from '../run-spec.js';
import { nonNegativeInt, positiveInt, runConfigOf, runHyperparams, takesBudget } from '../../formats/run-spec.js';
import type { EnvModuleRef } from '../env-modules.js';
import type { CodeFingerprint } from '../fingerprint.js';
import { DamagedCheckpointError, runConfigSha256, isRunDir, readRunConfig, readRunSummary } from '../run-files.js';
import { AGENT_FILES, CHECKPOINT_FILES, runName, stepDirName, type EvalRecord, type MetricRecord, type RunBudget, type RunConfig, type RunSummary } from '../../formats/run-format.js';
import { commandLine } from '../../core/command-line.js';

export { DivergenceError } from './training-loop.js';
export type { RunBudget, RunConfig } from '../../formats/run-format.js';
export { applyResumeFlags, type ResumeFlags } from '../run-spec.js';
export { nonNegativeInt, positiveInt } from '../../formats/run-spec.js';

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

/** Starts a new run. Everything that can be checked is checked before the run directory is created. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  validateOptions(opts);
  const reg = registration(opts.env);
  // Fail on bad hyperparameters before creating anything on disk.
  const hyperparams = runHyperparams(opts);
  const probe = make(reg.id, opts.envKwargs); // bad env options fail here, before anything is written
  assertAgentSupports(opts.agent, probe.actionSpace, reg.id);
  probe.close();
  const backend = await initBackend(opts.backend);
  const config = runConfigOf(
    { ...opts, env: reg.id, hyperparams, rewardThreshold: opts.rewardThreshold ?? envRewardThreshold(reg.id, opts.envKwargs) ?? null },
    { tsgymVersion: packageInfo().version, backend, versions: versions(), createdAt: new Date().toISOString() },
  );
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
    const run = new RunDir(runDir);
    run.fence(() => lock.check()); // every write checks the run is still ours
    const checkpoint = pickCheckpoint(run, opts.fromCheckpoint); // refuses a damaged checkpoint, naming the file
    if (checkpoint) assertConfigUnedited(runDir, stored, checkpoint);
    const config = applyResumeFlags(runDir, stored, opts.flags ?? {});
    const backend = await initBackend(opts.flags?.backend ?? opts.backend ?? config.backendRequested);
    if (backend !== config.backend) {
      console.error(`warning: this run was trained on backend '${config.backend}', resuming on '${backend}': results will not be bit-identical to an uninterrupted run`);
    }
    const { vec, agent } = buildEnvAndAgent(config);
    session = { run, lock, config, vec, agent, closed: false };
    removeCheckpointTemps(run.checkpointsDir);
    let restored: LoopOptions['restored'] = null;
    if (checkpoint) {
      const harness = checkpoint.data.json.harness as SavedHarness;
      run.restoreLogs(harness.logMarks, checkpoint.dir); // refuses logs that no longer match the checkpoint
      restored = { agent: { json: checkpoint.data.json.agent as Record<string, unknown>, blobs: checkpoint.data.blobs }, harness };
    } else {
      // Killed before its first checkpoint: nothing to continue from, so the run starts over.
      run.clearLogs();
    }
    if (config !== stored) run.writeConfig(config); // an extended budget or a changed stop rule
    if (restored?.harness.solved && config.stopWhenSolved && restored.harness.step < config.totalSteps) {
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
        ? `resume from the newest intact checkpoint with: ${commandLine('train', `--resume ${run.dir} --from-checkpoint ${newest}`)}`
        : `no intact checkpoint is left; start the run again (delete ${run.checkpointsDir} to restart it from step 0)`;
    throw new TsgymError(`cannot resume: ${e.message}; ${how}`);
  }
}

/** Refuses to resume when config.json differs from the config the checkpoint was taken under (beyond what a resume may change). */
function assertConfigUnedited(runDir: string, stored: RunConfig, checkpoint: { dir: string; data: CheckpointData }): void {
  const { data } = checkpoint;
  const taken = data.json.config as RunConfig | undefined;
  if (!data.configSha256) return; // a checkpoint that records no config: nothing to hold config.json to
  const name = path.basename(checkpoint.dir);
  if (!taken || runConfigSha256(taken) !== data.configSha256) throw new TsgymError(`cannot resume: checkpoint ${path.join(checkpoint.dir, CHECKPOINT_FILES.state)} does not hold the config its manifest's configSha256 names (altered); resume from another checkpoint with --from-checkpoint STEP`);
  const edits = configEdits(taken, stored);
  if (edits.length) {
    throw new TsgymError(`--resume ${runDir}: config.json has changed since checkpoint ${name} was taken: ${edits.join(', ')}`, {
      hint: 'a run keeps the settings it trained with (only the budget grows, with --resume --steps N): restore config.json, or start a new run with these settings',
    });
  }
}

/**
 * How config.json (`now`) differs from the config a checkpoint was taken under, as `path before → after`,
 * leaving out what a resume itself changes: the budget raised by `--steps N` (totalSteps, the agent's
 * `totalSteps` hyperparameter, one budgetExtensions entry per raise) and `--[no-]stop-when-solved`.
 */
export function configEdits(taken: RunConfig, now: RunConfig): string[] {
  // The env modules' hashes are checked when they load (a changed module is refused unless let through with
  // --allow-changed-env-module, which records its new hash), so they are not held to the checkpoint here.
  let expected: RunConfig = { ...taken, stopWhenSolved: now.stopWhenSolved, envModules: now.envModules };
  const had = taken.budgetExtensions ?? [];
  const added = (now.budgetExtensions ?? []).slice(had.length);
  const chained = added.every((e, i) => e.fromTotalSteps === (i === 0 ? taken.totalSteps : added[i - 1].toTotalSteps) && e.toTotalSteps > e.fromTotalSteps);
  if (added.length && chained && added[added.length - 1].toTotalSteps === now.totalSteps) {
    expected = {
      ...expected,
      totalSteps: now.totalSteps,
      hyperparams: takesBudget(taken.agent) ? { ...taken.hyperparams, totalSteps: now.totalSteps } : taken.hyperparams,
      budgetExtensions: [...had, ...added],
    };
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : stableStringify(v));
  return jsonDifferences(expected, now).map((d) => `${d.path} ${show(d.a)} → ${show(d.b)}`);
}

interface UiOptions {
  progress?: ProgressMode;
  verbose?: boolean;
  /** A line to print first (e.g. why a resume starts over). */
  note?: string;
}

/**
 * Longest stretch of training between two turns of the event loop, so a SIGINT/SIGTERM is seen within
 * about this long. (`npx tsx …` runs the CLI in a child process whose parent SIGKILLs it when a signal is
 * not acknowledged within ~60 ms; the npm scripts run `node --import tsx`, one process.)
 */
const MAX_MS_BETWEEN_YIELDS = 20;

/** The Node sink of the training loop: the run directory (logs, replays, checkpoints, best/, values.json). */
class RunDirSink implements LoopSink {
  readonly checkpoints: LoopSink['checkpoints'];

  constructor(
    private readonly run: RunDir,
    private readonly config: RunConfig,
    readonly log: (message: string) => void,
  ) {
    // Each checkpoint holds the config it was taken under, and its manifest the config's hash: a resume
    // refuses a config.json edited since (see configEdits). saveCheckpoint checks the run is still ours before
    // its first write and every one after.
    const save = (data: CheckpointData) => {
      saveCheckpoint(run.checkpointsDir, { ...data, json: { ...data.json, config }, configSha256: runConfigSha256(config) }, 2, { assertOwned: () => run.assertOwned() });
    };
    this.checkpoints = { logMarks: () => run.logMarks(), save };
  }

  metric(record: MetricRecord): void {
    this.run.metric(record);
  }

  async recordedEpisodes(step: number, episodes: RecordedEpisode[], actionSpace: SpaceJSON): Promise<void> {
    this.run.assertOwned(); // before recording replays into the run
    const dir = path.join(this.run.episodesDir, stepDirName('step', step));
    await writeRecordedEpisodes(dir, episodes, { agent: this.config.agent, checkpointStep: step, actionSpace, label: `${this.config.agent} step ${step}` });
  }

  evaluated(record: EvalRecord, wallSeconds: number): void {
    this.run.flush();
    this.run.timing(record.step, wallSeconds);
  }

  best(agent: Agent): void {
    this.run.assertOwned();
    // best/ is a policy (evaluate, export, view): the replay buffer stays with the checkpoints.
    saveAgent(agent, this.run.bestDir, { replay: false });
  }

  summary(summary: RunSummary): void {
    this.run.writeSummary(summary);
  }

  /** Files written once a run has finished, beside the logs; add writers here. */
  finished(agent: Agent): void {
    this.run.assertOwned();
    writeGridworldValues(this.run.dir, this.config, agent); // the viewer's value/policy overlay (gridworld envs only)
    this.run.flush();
  }
}

/** Runs the training loop to its end in this process, with the run directory, a progress display and signal handling. */
async function runLoop(session: Session, restored: LoopOptions['restored'], ui: UiOptions): Promise<TrainResult> {
  const { run, config: c } = session;
  const verbose = ui.verbose ?? true;
  const display = new Progress(c.totalSteps, `${c.agent} ${c.envId}`, ui.progress ?? 'auto');
  const say = (message: string) => {
    if (verbose) display.log(message);
  };
  let loop: TrainingLoop;
  try {
    loop = new TrainingLoop({ config: c, vec: session.vec, agent: session.agent, sink: new RunDirSink(run, c, say), restored });
  } catch (e) {
    if (!restored || e instanceof TsgymError) throw e;
    throw new TsgymError(`cannot resume ${run.dir}: its checkpoint at step ${restored.harness.step} does not fit the agent and envs config.json describes (${(e as Error).message})`);
  }
  const p = loop.progress;
  if (ui.note) say(ui.note);
  if (restored) say(`resuming ${run.dir} from step ${p.step}`);
  display.setStartStep(p.step);
  say(`training ${c.agent} on ${c.envId} (seed ${c.seed}, ${c.numEnvs} envs, ${c.totalSteps} steps, backend ${c.backend}) → ${run.dir}`);
  const signals = watchSignals();
  try {
    loop.start();
    let lastYield = performance.now();
    while (!loop.done && !signals.received) {
      await loop.step();
      if (performance.now() - lastYield >= MAX_MS_BETWEEN_YIELDS) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      display.update(p.step, loop.progressFields());
    }
    if (signals.received) loop.interrupt('stopped by a signal; continue with --resume');
    else await loop.finish();
  } catch (e) {
    fail(session, loop, e);
    throw e;
  } finally {
    signals.dispose();
    display.done();
  }
  const leaked = loop.leakedTensors();
  closeSession(session);
  say(signals.received ? `interrupted at step ${p.step}; resume with: ${commandLine('train', `--resume ${run.dir}`)}` : doneMessage(loop, leaked));
  return { runDir: run.dir, summary: readSummaryOrThrow(run.dir), config: c };
}

/** How long copies of a handled signal are still swallowed after the run has stopped. */
const SIGNAL_COPY_WINDOW_MS = 1000;

/**
 * SIGINT and SIGTERM ask the run to checkpoint and stop, once: Ctrl-C in a terminal signals the whole process
 * group, and parents (npm, a shell, tsx) relay it to this process again, so every later copy is swallowed
 * (stopping takes one checkpoint write). After the run, copies are swallowed for one more window, then
 * Node's defaults return.
 */
function watchSignals(): { readonly received: boolean; dispose(): void } {
  let received = false;
  const onSignal = () => (received = true);
  const off = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get received() {
      return received;
    },
    dispose() {
      if (received) setTimeout(off, SIGNAL_COPY_WINDOW_MS).unref();
      else off();
    },
  };
}

/**
 * Ends a run that threw: `diverged` or `failed` in summary.json (when it can still be written), temp
 * directories removed, resources released. The first error is the one reported: writing the summary may
 * fail too (a full disk) and must not hide it.
 */
function fail(session: Session, loop: TrainingLoop, e: unknown): void {
  const { run } = session;
  if (e instanceof LostRunError) {
    // The run is another process's now: write nothing, remove nothing (its temp files are its own).
    closeSession(session);
    return;
  }
  attempt(() => run.flush());
  attempt(() => run.writeSummary(loop.failureSummary(e)));
  attempt(() => removeCheckpointTemps(run.checkpointsDir));
  attempt(() => removeCheckpointTemps(path.join(run.bestDir, AGENT_FILES.state)));
  closeSession(session);
}

function doneMessage(loop: TrainingLoop, leaked: number): string {
  const { config: c, progress: p } = loop;
  const fe = p.finalEval!;
  const threshold = c.rewardThreshold;
  return (
    `done: ${p.step} steps in ${fmt(loop.wall())} s; final eval ${fmt(fe.mean)} ± ${fmt(fe.std)} over ${c.evalEpisodes} episodes at step ${fe.step}` +
    (threshold !== null ? (p.solvedAtStep !== null ? `; solved (≥ ${threshold}) at step ${p.solvedAtStep} after ${fmt(p.solvedAtWallSeconds!)} s` : `; not solved (threshold ${threshold})`) : '') +
    (leaked !== 0 ? `; WARNING: ${leaked} tensors leaked` : '')
  );
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
