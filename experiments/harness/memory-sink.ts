/**
 * The browser's sink of the training loop (experiments/harness/training-loop.ts): a run kept in memory
 * instead of a run directory. It holds every metrics.jsonl record, each evaluation with its replays (and, on
 * gridworlds, the greedy policy per cell for the page's overlay), the summary and the best agent's state,
 * and hands the run back as the files of a run directory (`files()`), which the page packs into a .tar.
 * No checkpoints: a tab's run is not resumed.
 */
import type { Agent, AgentState } from '../../agents/agent.js';
import { createAgent } from '../../agents/registry.js';
import { GridWorldEnv } from '../../envs/gridworld.js';
import { make } from '../../envs/registry.js';
import type { SpaceJSON } from '../../envs/spaces.js';
import type { RecordedEpisode } from '../../envs/wrappers.js';
import type { LoopSink } from './training-loop.js';
import { AGENT_FILES, blobFileName, CHECKPOINT_FILES, episodeFileName, RUN_FILES, runName, stepDirName, type AgentFile, type CheckpointManifest, type CheckpointPointer, type CheckpointState, type EvalRecord, type MetricRecord, type RunConfig, type RunSummary, type ValuesFile } from '../../formats/run-format.js';
import { replayFromEpisode, type ReplayFile } from '../../formats/replay-format.js';

export interface EvalOutcome {
  record: EvalRecord;
  replays: ReplayFile[];
  /** Gridworlds: the greedy action per state and its Q-value (DQN) or probability (policy gradient). */
  values: ValuesFile | null;
}

export class MemoryRun implements LoopSink {
  /** Every metrics.jsonl record so far, in order. */
  readonly metrics: MetricRecord[] = [];
  readonly evals: EvalOutcome[] = [];
  latestSummary: RunSummary | null = null;
  private replays: ReplayFile[] = [];
  private bestState: AgentState | null = null;
  /** A copy of the agent for the gridworld policy overlay (see `gridValues`). */
  private probe: Agent | null = null;

  constructor(
    readonly config: RunConfig,
    private readonly agent: Agent,
  ) {}

  metric(record: MetricRecord): void {
    this.metrics.push(record);
  }

  recordedEpisodes(step: number, episodes: RecordedEpisode[], actionSpace: SpaceJSON): void {
    const label = `${this.config.agent} step ${step} (in the tab)`;
    this.replays = episodes.map((ep) => replayFromEpisode(ep, { agent: this.config.agent, checkpointStep: step, actionSpace, label }));
  }

  evaluated(record: EvalRecord): void {
    this.evals.push({ record, replays: this.replays, values: this.gridValues() });
    this.replays = [];
  }

  best(agent: Agent): void {
    const st = agent.getState({ replay: false });
    // Copies: the agent keeps training on its own arrays.
    this.bestState = { json: structuredClone(st.json), blobs: Object.fromEntries(Object.entries(st.blobs).map(([k, v]) => [k, v.slice()])) };
  }

  summary(summary: RunSummary): void {
    this.latestSummary = summary;
  }

  log(): void {
    // the page shows evaluations from `evals`
  }

  /** For a gridworld with one-hot observations: the greedy policy over every state, for the scene's overlay. */
  private gridValues(): ValuesFile | null {
    const { config, agent } = this;
    const env = make(config.envId, config.envKwargs);
    const grid = env.unwrapped;
    env.close();
    if (!(grid instanceof GridWorldEnv)) return null;
    const states = grid.numStates;
    const obsSize = grid.observationOf(0).length;
    const batch = new Float32Array(states * obsSize);
    for (let s = 0; s < states; s++) batch.set(grid.observationOf(s), s * obsSize);
    // Asked of a copy: acting can draw from the agent's random streams (DQN draws its exploration coins
    // even when greedy), and the training agent's streams must stay those of a run in Node.
    this.probe ??= createAgent(config.agent, agent.info, config.hyperparams, config.seed);
    this.probe.setState(agent.getState({ replay: false }));
    const out = this.probe.act(batch, states, { greedy: true });
    const scores = out.qValues ?? out.probs;
    const policy = Array.from(out.actions);
    const values = policy.map((a, s) => (scores ? scores[s * (scores.length / states) + a] : 0));
    return { values, policy };
  }

  /**
   * The run directory's files, by path below it: text files as strings, blobs as bytes, named and shaped
   * as formats/run-format.ts says. `best/` is a saved agent: its checkpoint with the manifest (sizes and sha256 of
   * its files) that loadAgent checks.
   */
  async files(): Promise<Map<string, string | Uint8Array>> {
    const out = new Map<string, string | Uint8Array>();
    const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
    const stepDir = (step: number) => stepDirName('step', step);
    out.set(RUN_FILES.config, json(this.config));
    out.set(RUN_FILES.metrics, this.metrics.map((m) => JSON.stringify(m)).join('\n') + (this.metrics.length ? '\n' : ''));
    if (this.latestSummary) out.set(RUN_FILES.summary, json(this.latestSummary));
    for (const ev of this.evals) {
      ev.replays.forEach((r, k) => out.set(`${RUN_FILES.episodes}/${stepDir(ev.record.step)}/${episodeFileName(k, false)}`, JSON.stringify(r)));
    }
    const last = this.evals[this.evals.length - 1];
    if (last?.values) out.set(RUN_FILES.values, json(last.values));
    if (this.bestState) {
      const a = this.agent;
      const agentFile: AgentFile = { format: 'tsgym-agent', version: 1, name: a.name, hyperparams: a.config as Record<string, unknown>, observationSpace: a.info.observationSpace.toJSON(), actionSpace: a.info.actionSpace.toJSON(), numEnvs: a.info.numEnvs, seed: a.seed };
      const best = RUN_FILES.best;
      out.set(`${best}/${AGENT_FILES.agent}`, json(agentFile));
      const names = Object.keys(this.bestState.blobs).sort();
      const dir = stepDir(0);
      const checkpoint = new Map<string, Uint8Array>();
      for (const b of names) checkpoint.set(blobFileName(b), this.bestState.blobs[b]);
      checkpoint.set(CHECKPOINT_FILES.state, new TextEncoder().encode(json({ step: 0, blobs: names, json: this.bestState.json } satisfies CheckpointState)));
      const files = await Promise.all([...checkpoint.keys()].sort().map(async (name) => ({ name, bytes: checkpoint.get(name)!.length, sha256: await sha256Hex(checkpoint.get(name)!) })));
      const manifest: CheckpointManifest = { format: 'tsgym-checkpoint', version: 1, step: 0, files, filesSha256: await sha256Hex(new TextEncoder().encode(JSON.stringify(files))) };
      for (const [name, bytes] of checkpoint) out.set(`${best}/${AGENT_FILES.state}/${dir}/${name}`, bytes);
      out.set(`${best}/${AGENT_FILES.state}/${dir}/${CHECKPOINT_FILES.manifest}`, json(manifest));
      out.set(`${best}/${AGENT_FILES.state}/${CHECKPOINT_FILES.latest}`, json({ step: 0, dir } satisfies CheckpointPointer));
    }
    return out;
  }

  /** The run directory's name, as the harness names runs: `<env>__<agent>__seed<S>__<YYYYMMDD-HHMMSS>`. */
  runName(date = new Date(this.config.createdAt)): string {
    return runName(this.config.envId, this.config.agent, this.config.seed, date);
  }

  dispose(): void {
    this.probe?.dispose();
  }
}

/** sha256 as lowercase hex, with the Web Crypto API (browsers, workers and Node ≥ 20 all have it). */
async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
