/**
 * Greedy evaluation on separate eval envs with their own seeds (never the training envs, so evaluation
 * does not disturb training's random streams). All episodes run in lockstep: one batched forward pass per
 * step over the envs still running. The first `record` episodes are recorded as replays.
 */
import * as path from 'node:path';
import type { Agent } from '../../agents/agent.js';
import type { Action, Env } from '../../envs/core.js';
import { make } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import { mean } from '../../core/math.js';
import { asIoError } from './atomic.js';
import { RecordEpisode, type RecordedEpisode } from '../../envs/wrappers.js';
import { replayFromEpisode } from '../../render/replay-format.js';
import { writeReplayFile } from '../../render/replay-io.js';

export interface EvaluateOptions {
  envId: string;
  envKwargs: Record<string, unknown>;
  episodes: number;
  /** Episode k is reset with seed `seeds[k]` (the harness passes hashed seeds, core/seeds.ts) … */
  seeds?: readonly number[];
  /** … or, without `seeds`, with `seedBase + k`. */
  seedBase?: number;
  /** How many of the episodes to record as replays (0 = none). */
  record?: number;
  /** Where recorded replays go (a directory); required when `record > 0`. */
  recordDir?: string;
  agentName?: string;
  checkpointStep?: number | null;
  label?: string;
}

export interface EvalResult {
  returns: number[];
  lengths: number[];
  mean: number;
  /** Population standard deviation over episodes (as SB3's evaluate_policy). */
  std: number;
  /** Paths of the replays written. */
  replays: string[];
}

export async function evaluate(agent: Agent, opts: EvaluateOptions): Promise<EvalResult> {
  const n = opts.episodes;
  const recordCount = Math.min(opts.record ?? 0, n);
  const recorded: RecordedEpisode[] = [];
  const envs: Env<Float32Array, Action>[] = [];
  const recorders: (RecordEpisode | undefined)[] = [];
  for (let k = 0; k < n; k++) {
    const base = make(opts.envId, opts.envKwargs);
    if (k < recordCount) {
      const rec = new RecordEpisode(base, (ep) => (recorded[k] = ep));
      envs.push(rec);
      recorders.push(rec);
    } else {
      envs.push(base);
      recorders.push(undefined);
    }
  }
  const obsSize = envs[0].observationSpace.type === 'Box' ? envs[0].observationSpace.size : 1;
  const actionSize = envs[0].actionSpace.type === 'Box' ? envs[0].actionSpace.size : 1;
  const discrete = envs[0].actionSpace.type === 'Discrete';
  const returns = new Array<number>(n).fill(0);
  const lengths = new Array<number>(n).fill(0);
  const seeds = episodeSeeds(opts);
  const current: Float32Array[] = envs.map((e, k) => e.reset({ seed: seeds[k] }).obs);
  let active = envs.map((_, k) => k);
  const batch = new Float32Array(n * obsSize);
  while (active.length) {
    active.forEach((k, row) => batch.set(current[k], row * obsSize));
    const m = active.length;
    const out = agent.act(batch.subarray(0, m * obsSize), m, { greedy: true });
    const stillActive: number[] = [];
    active.forEach((k, row) => {
      const rec = recorders[k];
      if (rec) {
        const extras: Record<string, unknown> = {};
        if (out.qValues) extras.qValues = Array.from(rowOf(out.qValues, row, m));
        if (out.probs) extras.probs = Array.from(rowOf(out.probs, row, m));
        rec.annotate(extras);
      }
      const action: Action = discrete ? out.actions[row] : Float32Array.from(out.actions.subarray(row * actionSize, (row + 1) * actionSize));
      const r = envs[k].step(action);
      returns[k] += r.reward;
      lengths[k]++;
      current[k] = r.obs;
      if (!(r.terminated || r.truncated)) stillActive.push(k);
    });
    active = stillActive;
  }
  for (const e of envs) e.close();

  const replays: string[] = [];
  if (recordCount > 0) {
    if (!opts.recordDir) throw new Error('evaluate: recordDir is required to record episodes');
    for (let k = 0; k < recordCount; k++) {
      const ep = recorded[k];
      const file = path.join(opts.recordDir, `episode-${k}.json.gz`);
      const replay = replayFromEpisode(ep, { agent: opts.agentName ?? agent.name, checkpointStep: opts.checkpointStep ?? null, actionSpace: envs[0].actionSpace.toJSON(), label: opts.label });
      try {
        await writeReplayFile(file, replay);
      } catch (e) {
        throw asIoError(e, file, 'write');
      }
      replays.push(file);
    }
  }
  const m = mean(returns);
  const std = Math.sqrt(mean(returns.map((r) => (r - m) ** 2)));
  return { returns, lengths, mean: m, std, replays };
}

function episodeSeeds(opts: EvaluateOptions): number[] {
  if (opts.seeds) {
    if (opts.seeds.length < opts.episodes) throw new TsgymError(`evaluate: ${opts.episodes} episodes need ${opts.episodes} seeds, got ${opts.seeds.length}`);
    return opts.seeds.slice(0, opts.episodes);
  }
  if (opts.seedBase === undefined) throw new TsgymError('evaluate: pass seeds (one per episode) or seedBase');
  return Array.from({ length: opts.episodes }, (_, k) => opts.seedBase! + k);
}

/** Row `row` of a flat `m × k` array. */
function rowOf(a: Float32Array, row: number, m: number): Float32Array {
  const k = a.length / m;
  return a.subarray(row * k, (row + 1) * k);
}
