/**
 * Training in a browser tab (the training page's Web Worker): the run harness's loop over agents/ and
 * envs/, without Node's file system. It follows experiments/harness/trainer.ts step for step — the same
 * seeds (training env i and eval episode k get `streamSeed(seed, 'train-env', i)` and
 * `streamSeed(seed, 'eval-episode', k)`, core/seeds.ts), the same metric records in the same order, and
 * the same collection step and greedy evaluation (experiments/harness/collect.ts, shared with the harness)
 * — so a run here and `npm run train` with the same seed, preset and backend write the same metrics.jsonl.
 *
 * Instead of a run directory on disk it hands back the run's files (`files()`): config.json, metrics.jsonl,
 * summary.json, the recorded eval episodes, and best/ (the agent of the best evaluation, saveAgent layout),
 * which the page packs into a .tar that unpacks into a runs directory the viewer opens.
 */
import type { Agent, UpdateMetrics } from '../agents/agent.js';
import { agentRegistration, assertAgentSupports, createAgent, resolveHyperparams } from '../agents/registry.js';
import { TsgymError } from '../core/errors.js';
import { GridWorldEnv } from '../envs/gridworld.js';
import { envRewardThreshold, make, makeVec, registration } from '../envs/registry.js';
import { collectTransition, greedyEpisodes } from '../experiments/harness/collect.js';
import type { VectorEnv } from '../envs/vector.js';
import { presetFor } from '../experiments/presets.js';
import { STREAMS, streamSeeds, validateSeed } from '../core/seeds.js';
import type { ValuesFile } from './api-types.js';
import { replayFromEpisode, type ReplayFile } from './replay-format.js';
import type { AgentFile, CheckpointManifest, CheckpointPointer, CheckpointState, EvalRecord, RunConfig, RunSummary } from '../experiments/run-format.js';
import type { BackendChoice } from '../agents/backend.js';

/** The run's config.json: the harness's RunConfig, plus where it ran. */
export type TabRunConfig = RunConfig & { trainedIn: 'browser' };

export interface TabRunRequest {
  agent: string;
  env: string;
  seed: number;
  /** Overrides of the preset (`presetFor(agent, env)`): totalSteps, numEnvs, evalEvery, evalEpisodes, stopWhenSolved. */
  totalSteps?: number;
  numEnvs?: number;
  evalEvery?: number;
  evalEpisodes?: number;
  stopWhenSolved?: boolean;
  hyperparams?: Record<string, unknown>;
  recordEpisodes?: number;
  logEvery?: number;
}

/** The config `npm run train <agent> <env> --seed S` would write (same preset, same defaults), for this tab. */
export function tabRunConfig(req: TabRunRequest, backend: string, versions: Record<string, string> = {}): TabRunConfig {
  const reg = registration(req.env);
  const preset = presetFor(req.agent, reg.id);
  const totalSteps = req.totalSteps ?? preset.totalSteps;
  const takesBudget = 'totalSteps' in agentRegistration(req.agent).defaults;
  const overrides = { ...preset.hyperparams, ...(req.hyperparams ?? {}) };
  const numEnvs = req.numEnvs ?? preset.numEnvs;
  const hyperparams = resolveHyperparams(req.agent, takesBudget ? { ...overrides, totalSteps } : overrides, { numEnvs });
  validateSeed(req.seed, 'seed');
  return {
    tsgymVersion: '0.1.0',
    agent: req.agent,
    env: reg.id,
    envId: reg.id,
    seed: req.seed,
    totalSteps,
    numEnvs,
    evalEvery: req.evalEvery ?? preset.evalEvery,
    evalEpisodes: req.evalEpisodes ?? preset.evalEpisodes,
    recordEpisodes: req.recordEpisodes ?? 2,
    checkpointEvery: preset.checkpointEvery,
    stopWhenSolved: req.stopWhenSolved ?? preset.stopWhenSolved,
    logEvery: req.logEvery ?? 1000,
    envKwargs: { ...preset.envKwargs },
    hyperparams,
    backend,
    backendRequested: backend as BackendChoice,
    versions,
    rewardThreshold: envRewardThreshold(reg.id, preset.envKwargs) ?? null,
    createdAt: new Date().toISOString(),
    trainedIn: 'browser',
  };
}

/** summary.json: the harness's RunSummary (a run stopped from the page is 'interrupted', with a message). */
export type TabSummary = RunSummary;

export type { EvalRecord };

export interface EvalOutcome {
  record: EvalRecord;
  replays: ReplayFile[];
  /** Gridworlds: the greedy action per state and its Q-value (DQN) or probability (policy gradient). */
  values: ValuesFile | null;
}

export class TabTrainer {
  readonly vec: VectorEnv;
  readonly agent: Agent;
  step = 0;
  done = false;
  /** Every metrics.jsonl record so far, in the harness's order. */
  readonly metrics: Record<string, unknown>[] = [];
  readonly evals: EvalOutcome[] = [];
  private nextEval: number;
  private nextLog: number;
  private updateSums: Record<string, number> = {};
  private updateCount = 0;
  private solved = false;
  /** A copy of the agent for the gridworld policy overlay (see `gridValues`). */
  private probe: Agent | null = null;
  private best: { json: Record<string, unknown>; blobs: Record<string, Uint8Array> } | null = null;
  private readonly prevObs: Float32Array;
  private readonly nextObs: Float32Array;
  /** Seconds spent training so far (the caller's clock: the worker leaves paused time out). */
  wallClock: () => number = () => 0;
  summary: TabSummary;

  constructor(readonly config: TabRunConfig) {
    this.vec = makeVec(config.envId, config.numEnvs, config.envKwargs);
    assertAgentSupports(config.agent, this.vec.singleActionSpace, config.envId);
    this.agent = createAgent(config.agent, { observationSpace: this.vec.singleObservationSpace, actionSpace: this.vec.singleActionSpace, numEnvs: config.numEnvs }, config.hyperparams, config.seed);
    this.nextEval = config.evalEvery;
    this.nextLog = config.logEvery;
    this.vec.reset({ seed: streamSeeds(config.seed, STREAMS.trainEnv, config.numEnvs) });
    this.prevObs = new Float32Array(config.numEnvs * this.vec.obsSize);
    this.nextObs = new Float32Array(config.numEnvs * this.vec.obsSize);
    this.summary = { status: 'running', steps: 0, wallSeconds: 0, finalEval: null, bestEval: null, solvedAtStep: null, solvedAtWallSeconds: null };
  }

  /** One vector step (and the logging, evaluation and stopping that follow it); returns the evaluation if one ran. */
  tick(): EvalOutcome | null {
    if (this.done) return null;
    const { vec, agent, config } = this;
    const n = config.numEnvs;
    const transition = collectTransition(vec, agent, this.prevObs, this.nextObs);
    this.step += n;
    const upd = agent.observe(transition, this.step);
    for (let i = 0; i < n; i++) {
      if (!(vec.terminated[i] || vec.truncated[i])) continue;
      this.metrics.push({ kind: 'episode', step: this.step, return: vec.episodeReturns[i], length: vec.episodeLengths[i], terminated: vec.terminated[i] === 1 });
    }
    if (upd) {
      this.guardDivergence(upd);
      for (const [k, v] of Object.entries(upd)) this.updateSums[k] = (this.updateSums[k] ?? 0) + v;
      this.updateCount++;
    }
    if (this.step >= this.nextLog) {
      if (this.updateCount) {
        const means: UpdateMetrics = {};
        for (const [k, v] of Object.entries(this.updateSums)) means[k] = v / this.updateCount;
        this.metrics.push({ kind: 'update', step: this.step, updates: this.updateCount, ...means });
      }
      this.updateSums = {};
      this.updateCount = 0;
      while (this.nextLog <= this.step) this.nextLog += config.logEvery;
    }
    let ev: EvalOutcome | null = null;
    if (this.step >= this.nextEval) {
      ev = this.evaluate();
      while (this.nextEval <= this.step) this.nextEval += config.evalEvery;
    }
    if (this.step >= config.totalSteps || (config.stopWhenSolved && this.solved)) {
      // The harness evaluates once more at the end unless it just did.
      if (!ev) ev = this.evaluate();
      this.finish('finished');
    }
    return ev;
  }

  finish(status: TabSummary['status'], message?: string): void {
    this.done = true;
    this.summary = { ...this.summary, status, steps: this.step, wallSeconds: Math.round(this.wallClock() * 1000) / 1000, ...(message ? { message } : {}) };
  }

  private guardDivergence(upd: UpdateMetrics): void {
    const bad = Object.entries(upd).find(([, v]) => !Number.isFinite(v));
    if (bad || !this.agent.weightsFinite()) {
      const what = bad ? `${bad[0]} became ${bad[1]}` : 'a network weight became NaN or infinite';
      this.finish('diverged', `training diverged at step ${this.step}: ${what}`);
      throw new TsgymError(this.summary.message!);
    }
  }

  /** Greedy evaluation on held-out seeds (the harness's greedyEpisodes, as experiments/harness/evaluate.ts runs it). */
  evaluate(): EvalOutcome {
    const { config, agent } = this;
    const { returns, lengths, mean, std, recorded, actionSpace } = greedyEpisodes(agent, {
      envId: config.envId,
      envKwargs: config.envKwargs,
      seeds: streamSeeds(config.seed, STREAMS.evalEpisode, config.evalEpisodes),
      record: config.recordEpisodes,
    });
    const record: EvalRecord = { kind: 'eval', step: this.step, mean, std, returns, lengths };
    this.metrics.push({ ...record });
    const label = `${config.agent} step ${this.step} (in the tab)`;
    const replays = recorded.map((ep) => replayFromEpisode(ep, { agent: config.agent, checkpointStep: this.step, actionSpace, label }));
    const ev = { mean, std, step: this.step };
    const s = this.summary;
    s.finalEval = ev;
    if (!s.bestEval || mean > s.bestEval.mean) {
      s.bestEval = ev;
      const st = agent.getState();
      // Copies: the agent keeps training on its own arrays.
      this.best = { json: structuredClone(st.json), blobs: Object.fromEntries(Object.entries(st.blobs).map(([k, v]) => [k, v.slice()])) };
    }
    const threshold = config.rewardThreshold;
    if (threshold !== null && mean >= threshold) {
      if (s.solvedAtStep === null) {
        s.solvedAtStep = this.step;
        s.solvedAtWallSeconds = Math.round(this.wallClock() * 1000) / 1000;
      }
      this.solved = true;
    }
    const outcome: EvalOutcome = { record, replays, values: this.gridValues() };
    this.evals.push(outcome);
    return outcome;
  }

  /** For a gridworld with one-hot observations: the greedy policy over every state, for the scene's overlay. */
  gridValues(): ValuesFile | null {
    const env = make(this.config.envId, this.config.envKwargs);
    const grid = env.unwrapped;
    env.close();
    if (!(grid instanceof GridWorldEnv)) return null;
    const states = grid.numStates;
    const obsSize = this.vec.obsSize;
    const batch = new Float32Array(states * obsSize);
    for (let s = 0; s < states; s++) batch.set(grid.observationOf(s), s * obsSize);
    // Asked of a copy: acting can draw from the agent's random streams (DQN draws its exploration coins
    // even when greedy), and the training agent's streams must stay those of a run in Node.
    const { config } = this;
    this.probe ??= createAgent(config.agent, { observationSpace: this.vec.singleObservationSpace, actionSpace: this.vec.singleActionSpace, numEnvs: config.numEnvs }, config.hyperparams, config.seed);
    this.probe.setState(this.agent.getState());
    const out = this.probe.act(batch, states, { greedy: true });
    const scores = out.qValues ?? out.probs;
    const policy = Array.from(out.actions);
    const values = policy.map((a, s) => (scores ? scores[s * (scores.length / states) + a] : 0));
    return { values, policy };
  }

  /**
   * The run directory's files, by path below it: text files as strings, blobs as bytes. Names and shapes
   * are the run format's (experiments/run-format.ts, which this browser-side module cannot import at run
   * time: it reads and writes with node:fs); `best/` is a saved agent, its checkpoint with the manifest
   * (sizes and sha256 of its files) that loadAgent checks.
   */
  async files(): Promise<Map<string, string | Uint8Array>> {
    const out = new Map<string, string | Uint8Array>();
    const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
    out.set('config.json', json(this.config));
    out.set('metrics.jsonl', this.metrics.map((m) => JSON.stringify(m)).join('\n') + (this.metrics.length ? '\n' : ''));
    out.set('summary.json', json(this.summary));
    for (const ev of this.evals) {
      ev.replays.forEach((r, k) => out.set(`episodes/${stepDir(ev.record.step)}/episode-${k}.json`, JSON.stringify(r)));
    }
    const last = this.evals[this.evals.length - 1];
    if (last?.values) out.set('values.json', json(last.values));
    if (this.best) {
      const a = this.agent;
      const agentFile: AgentFile = { format: 'tsgym-agent', version: 1, name: a.name, hyperparams: a.config as Record<string, unknown>, observationSpace: a.info.observationSpace.toJSON(), actionSpace: a.info.actionSpace.toJSON(), numEnvs: a.info.numEnvs, seed: a.seed };
      out.set('best/agent.json', json(agentFile));
      const names = Object.keys(this.best.blobs).sort();
      const dir = stepDir(0);
      const checkpoint = new Map<string, Uint8Array>();
      for (const b of names) checkpoint.set(`${b}.bin`, this.best.blobs[b]);
      checkpoint.set('state.json', new TextEncoder().encode(json({ step: 0, blobs: names, json: this.best.json } satisfies CheckpointState)));
      const files = await Promise.all([...checkpoint.keys()].sort().map(async (name) => ({ name, bytes: checkpoint.get(name)!.length, sha256: await sha256Hex(checkpoint.get(name)!) })));
      const manifest: CheckpointManifest = { format: 'tsgym-checkpoint', version: 1, step: 0, files, filesSha256: await sha256Hex(new TextEncoder().encode(JSON.stringify(files))) };
      for (const [name, bytes] of checkpoint) out.set(`best/state/${dir}/${name}`, bytes);
      out.set(`best/state/${dir}/manifest.json`, json(manifest));
      out.set('best/state/latest.json', json({ step: 0, dir } satisfies CheckpointPointer));
    }
    return out;
  }

  /** The run directory's name, as the harness names runs: `<env>__<agent>__seed<S>__<YYYYMMDD-HHMMSS>`. */
  runName(date = new Date(this.config.createdAt)): string {
    const p = (x: number) => String(x).padStart(2, '0');
    return `${this.config.envId}__${this.config.agent}__seed${this.config.seed}__${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
  }

  dispose(): void {
    this.agent.dispose();
    this.probe?.dispose();
    this.vec.close();
  }
}

const stepDir = (step: number) => `step-${String(step).padStart(9, '0')}`;

/** sha256 as lowercase hex, with the Web Crypto API (browsers, workers and Node ≥ 20 all have it). */
async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A POSIX ustar archive of `files` under the directory `root`: what the training page downloads
 * (`tar -xf <file>.tar -C runs/` gives a run directory). Regular files only; tar makes the directories.
 */
export function tarArchive(root: string, files: Map<string, string | Uint8Array>, mtime = 0): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [rel, content] of files) {
    const data = typeof content === 'string' ? enc.encode(content) : content;
    const header = new Uint8Array(512);
    let name = `${root}/${rel}`;
    let prefix = '';
    if (enc.encode(name).length > 100) {
      const cut = name.lastIndexOf('/', name.length - 1 - 0);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
      if (enc.encode(prefix).length > 155 || enc.encode(name).length > 100) throw new TsgymError(`tar: path too long: ${root}/${rel}`);
    }
    const put = (s: string, at: number, len: number) => header.set(enc.encode(s).subarray(0, len), at);
    const octal = (v: number, len: number) => v.toString(8).padStart(len - 1, '0') + '\0';
    put(name, 0, 100);
    put(octal(0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(data.length, 12), 124, 12);
    put(octal(mtime, 12), 136, 12);
    put('        ', 148, 8); // checksum field counts as spaces while summing
    put('0', 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    put(prefix, 345, 155);
    let sum = 0;
    for (const b of header) sum += b;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    parts.push(header, data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024)); // two zero blocks end the archive
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
