/**
 * The training loop every run goes through, in Node (trainer.ts) and in a browser tab (render/viewer/src/tab-trainer.ts):
 * collect → observe → episode records → update means → schedules (log, eval, checkpoint) → greedy evaluation
 * → best / solved → stop. Where its results go is a {@link LoopSink}: the Node trainer's writes the run
 * directory (logs, replays, checkpoints, best/), the tab's keeps them in memory. No `node:` imports here
 * (type-only imports are erased): the training page's worker bundles this module.
 *
 * Seeds: training env i is reset with `streamSeed(seed, 'train-env', i)`, evaluation episode k with
 * `streamSeed(seed, 'eval-episode', k)` (core/seeds.ts), so the same seed, config and backend give the same
 * metrics.jsonl from either sink.
 */
import { tf } from '../../agents/backend.js';
import type { Agent, AgentState, UpdateMetrics } from '../../agents/agent.js';
import { assertAgentSupports, createAgent } from '../../agents/registry.js';
import { TsgymError } from '../../core/errors.js';
import { mean } from '../../core/math.js';
import { STREAMS, streamSeeds } from '../../core/seeds.js';
import { makeVec } from '../../envs/registry.js';
import type { SpaceJSON } from '../../envs/spaces.js';
import type { VectorEnv } from '../../envs/vector.js';
import type { RecordedEpisode } from '../../envs/wrappers.js';
import { collectTransition, greedyEpisodes } from './collect.js';
import { fmt } from './progress.js';
import type { CheckpointData } from './checkpoint.js';
import type { EvalRecord, EvalSummary, LogMarks, MetricRecord, RunConfig, RunSummary } from '../../formats/run-format.js';

/** A NaN/inf loss or weight: the run stopped, its last good checkpoint is kept. */
export class DivergenceError extends TsgymError {
  override name = 'DivergenceError';
}

/** Where a run stands; saved in every checkpoint (with the log marks and the vector env's state). */
export interface RunProgress {
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

/** The `harness` part of a checkpoint's state.json. */
export interface SavedHarness extends RunProgress {
  logMarks: LogMarks;
  vec: unknown;
}

/** Where a run's results go. Calls come in the order the run directory's files are written. */
export interface LoopSink {
  /** One metrics.jsonl record (episode, update, eval), in order. */
  metric(record: MetricRecord): void;
  /** The recorded greedy episodes of the evaluation at `step` (called before its eval record). */
  recordedEpisodes(step: number, episodes: RecordedEpisode[], actionSpace: SpaceJSON): Promise<void> | void;
  /** After an evaluation's record, with the training time so far. */
  evaluated(record: EvalRecord, wallSeconds: number): void;
  /** The agent at a new best evaluation. */
  best(agent: Agent): void;
  summary(summary: RunSummary): void;
  /** Checkpoints, for sinks that keep them; `logMarks` is where the logs stand (a checkpoint records it). */
  checkpoints?: { logMarks(): LogMarks; save(data: CheckpointData): void };
  /** Once the run has finished (the agent is still alive): end-of-run files. */
  finished?(agent: Agent): void;
  /** A line for people (an evaluation's result). */
  log(message: string): void;
}

/** Builds the vector env and the agent a run config describes (throws, releasing both, on a bad config). */
export function buildEnvAndAgent(config: RunConfig): { vec: VectorEnv; agent: Agent } {
  const vec = makeVec(config.envId, config.numEnvs, config.envKwargs);
  try {
    assertAgentSupports(config.agent, vec.singleActionSpace, config.envId);
    const agent = createAgent(config.agent, { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: config.numEnvs }, config.hyperparams, config.seed);
    return { vec, agent };
  } catch (e) {
    vec.close();
    throw e;
  }
}

export interface LoopOptions {
  config: RunConfig;
  vec: VectorEnv;
  agent: Agent;
  sink: LoopSink;
  /** A checkpoint's state to continue from (agent and vec states are restored here); null starts at step 0. */
  restored?: { agent: AgentState; harness: SavedHarness } | null;
  /** Seconds of training since this loop was built (default: wall time; the tab leaves paused time out). */
  clock?: () => number;
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

/** One run's loop: call `step()` until `done` (or `interrupt()`), then `finish()`. */
export class TrainingLoop {
  readonly config: RunConfig;
  readonly progress: RunProgress;
  private readonly vec: VectorEnv;
  private readonly agent: Agent;
  private readonly sink: LoopSink;
  private readonly evalSchedule: Every;
  private readonly checkpointSchedule: Every;
  private readonly logSchedule: Every;
  private readonly clock: () => number;
  private readonly wallBefore: number;
  private readonly prevObs: Float32Array;
  private readonly nextObs: Float32Array;
  /** Tensor count after the first update (one-time caches exist by then); it must not grow after that. */
  private tensorBaseline = -1;
  private lastEvalStep: number;

  constructor(opts: LoopOptions) {
    const c = (this.config = opts.config);
    ({ vec: this.vec, agent: this.agent, sink: this.sink } = opts);
    if (opts.restored) {
      const { logMarks: _marks, vec: vecState, ...progress } = opts.restored.harness;
      this.agent.setState(opts.restored.agent);
      this.vec.setState(vecState);
      this.progress = progress;
    } else {
      this.vec.reset({ seed: streamSeeds(c.seed, STREAMS.trainEnv, c.numEnvs) });
      this.progress = {
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
    }
    this.evalSchedule = new Every(c.evalEvery, this.progress.nextEval);
    this.checkpointSchedule = new Every(c.checkpointEvery, this.progress.nextCheckpoint);
    this.logSchedule = new Every(c.logEvery, this.progress.nextLog);
    const start = performance.now();
    this.clock = opts.clock ?? (() => (performance.now() - start) / 1000);
    this.wallBefore = this.progress.wallSeconds;
    this.prevObs = new Float32Array(c.numEnvs * this.vec.obsSize);
    this.nextObs = new Float32Array(c.numEnvs * this.vec.obsSize);
    this.lastEvalStep = this.progress.finalEval?.step ?? -1;
  }

  /** The budget is spent, or the env is solved and the run stops when solved. */
  get done(): boolean {
    const { config: c, progress: p } = this;
    return p.step >= c.totalSteps || (c.stopWhenSolved && p.solved);
  }

  /** Seconds of training, including the time before a resume. */
  wall(): number {
    return this.wallBefore + this.clock();
  }

  /** Marks the run as running. */
  start(): void {
    this.writeSummary('running');
  }

  /** One vector step, then whatever is due: the update-metrics line, an evaluation, a checkpoint. */
  async step(): Promise<void> {
    const p = this.progress;
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
  }

  /** The end of a run that used its budget or solved the env: a last evaluation (unless one just ran), a checkpoint, `finished`. */
  async finish(): Promise<void> {
    if (this.lastEvalStep !== this.progress.step) await this.evaluate();
    this.checkpoint();
    this.sink.finished?.(this.agent);
    this.writeSummary('finished');
  }

  /** The end of a run stopped early (a signal, the page's stop button): a checkpoint to resume from, `interrupted`. */
  interrupt(message: string): void {
    this.checkpoint();
    this.writeSummary('interrupted', message);
  }

  /** The summary of a run that threw: `diverged` or `failed`, with the error. */
  failureSummary(e: unknown): RunSummary {
    return e instanceof DivergenceError ? this.summary('diverged', e.message) : this.summary('failed', `failed: ${(e as Error).message}`);
  }

  summary(status: RunSummary['status'], message?: string): RunSummary {
    const p = this.progress;
    return { status, steps: p.step, wallSeconds: Math.round(this.wall() * 1000) / 1000, finalEval: p.finalEval, bestEval: p.bestEval, solvedAtStep: p.solvedAtStep, solvedAtWallSeconds: p.solvedAtWallSeconds, ...(message ? { message } : {}) };
  }

  /** Tensors allocated since the first update and never freed (0 before it). */
  leakedTensors(): number {
    return this.tensorBaseline < 0 ? 0 : tf.memory().numTensors - this.tensorBaseline;
  }

  /** What a progress display shows: recent training return, the agent's own values (ε, …), the loss. */
  progressFields(): Record<string, number | string | undefined> {
    const p = this.progress;
    const recent = p.recentReturns.length ? mean(p.recentReturns) : undefined;
    const loss = p.updateCount ? (p.updateSums.loss ?? p.updateSums.policyLoss ?? 0) / p.updateCount : undefined;
    return { return: recent, ...this.agent.progressInfo(), loss };
  }

  /** One vector step: act, step the envs, hand the transition to the agent, record finished episodes. */
  private collectStep(): UpdateMetrics | null {
    const { vec, agent, progress: p } = this;
    const n = this.config.numEnvs;
    const transition = collectTransition(vec, agent, this.prevObs, this.nextObs);
    p.step += n;
    const update = agent.observe(transition, p.step);
    for (let i = 0; i < n; i++) {
      if (!(vec.terminated[i] || vec.truncated[i])) continue;
      p.episodes++;
      this.sink.metric({ kind: 'episode', step: p.step, return: vec.episodeReturns[i], length: vec.episodeLengths[i], terminated: vec.terminated[i] === 1 });
      p.recentReturns.push(vec.episodeReturns[i]);
      if (p.recentReturns.length > 20) p.recentReturns.shift();
    }
    return update ?? null;
  }

  /** Checks an update for divergence and adds it to the sums of the next update-metrics line. */
  private addUpdate(update: UpdateMetrics): void {
    const p = this.progress;
    if (this.tensorBaseline < 0) this.tensorBaseline = tf.memory().numTensors;
    const bad = Object.entries(update).find(([, v]) => !Number.isFinite(v));
    if (bad || !this.agent.weightsFinite()) {
      const what = bad ? `${bad[0]} became ${bad[1]}` : 'a network weight became NaN or infinite';
      throw new DivergenceError(`training diverged at step ${p.step}: ${what}. The last good checkpoint is kept; try a lower learning rate (--set lr=...) or a smaller maxGradNorm.`);
    }
    for (const [k, v] of Object.entries(update)) p.updateSums[k] = (p.updateSums[k] ?? 0) + v;
    p.updateCount++;
  }

  /** Records the means of the update metrics since the last line. */
  private logUpdates(): void {
    const p = this.progress;
    if (p.updateCount) {
      const means: UpdateMetrics = {};
      for (const [k, v] of Object.entries(p.updateSums)) means[k] = v / p.updateCount;
      this.sink.metric({ kind: 'update', step: p.step, updates: p.updateCount, ...means });
    }
    p.updateSums = {};
    p.updateCount = 0;
  }

  /** A greedy evaluation on the held-out eval episodes; records replays, keeps the best agent, notes solving. */
  private async evaluate(): Promise<void> {
    const { config: c, progress: p, sink } = this;
    const res = greedyEpisodes(this.agent, { envId: c.envId, envKwargs: c.envKwargs, seeds: streamSeeds(c.seed, STREAMS.evalEpisode, c.evalEpisodes), record: c.recordEpisodes });
    if (res.recorded.length) await sink.recordedEpisodes(p.step, res.recorded, res.actionSpace);
    const record: EvalRecord = { kind: 'eval', step: p.step, mean: res.mean, std: res.std, returns: res.returns, lengths: res.lengths };
    sink.metric(record);
    sink.evaluated(record, this.wall());
    const ev = { mean: res.mean, std: res.std, step: p.step };
    p.finalEval = ev;
    this.lastEvalStep = p.step;
    if (!p.bestEval || res.mean > p.bestEval.mean) {
      p.bestEval = ev;
      // Keep the best policy seen: value-based agents in particular can drift off it if trained on.
      sink.best(this.agent);
    }
    const solvedNow = c.rewardThreshold !== null && res.mean >= c.rewardThreshold;
    if (solvedNow && p.solvedAtStep === null) {
      p.solvedAtStep = p.step;
      p.solvedAtWallSeconds = Math.round(this.wall() * 1000) / 1000;
    }
    if (solvedNow) p.solved = true;
    sink.log(`eval @ ${p.step}: ${fmt(res.mean)} ± ${fmt(res.std)} over ${c.evalEpisodes} episodes${solvedNow ? ' (solved)' : ''}`);
  }

  private checkpoint(): void {
    const checkpoints = this.sink.checkpoints;
    if (!checkpoints) return;
    const p = this.progress;
    p.wallSeconds = this.wall();
    p.nextEval = this.evalSchedule.next;
    p.nextCheckpoint = this.checkpointSchedule.next;
    p.nextLog = this.logSchedule.next;
    const agentState = this.agent.getState();
    const harness: SavedHarness = { ...p, recentReturns: [...p.recentReturns], updateSums: { ...p.updateSums }, logMarks: checkpoints.logMarks(), vec: this.vec.getState() };
    checkpoints.save({ step: p.step, json: { agent: agentState.json, harness }, blobs: agentState.blobs });
  }

  private writeSummary(status: RunSummary['status'], message?: string): void {
    this.sink.summary(this.summary(status, message));
  }
}
