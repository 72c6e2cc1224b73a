/**
 * Greedy evaluation (collect.ts's greedyEpisodes: separate eval envs with their own seeds, all episodes in
 * lockstep), with the first `record` episodes written as replay files.
 */
import * as path from 'node:path';
import type { Agent } from '../../agents/agent.js';
import { TsgymError } from '../../core/errors.js';
import { asIoError } from './atomic.js';
import { greedyEpisodes } from './collect.js';
import type { RecordedEpisode } from '../../envs/wrappers.js';
import { replayFromEpisode, type ReplayMeta } from '../../formats/replay-format.js';
import { episodeFileName } from '../../formats/run-format.js';
import { writeReplayFile } from '../replay-io.js';

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
  const { returns, lengths, mean, std, recorded, actionSpace } = greedyEpisodes(agent, { envId: opts.envId, envKwargs: opts.envKwargs, seeds: episodeSeeds(opts), record: opts.record });
  let replays: string[] = [];
  if (recorded.length > 0) {
    if (!opts.recordDir) throw new Error('evaluate: recordDir is required to record episodes');
    replays = await writeRecordedEpisodes(opts.recordDir, recorded, { agent: opts.agentName ?? agent.name, checkpointStep: opts.checkpointStep ?? null, actionSpace, label: opts.label });
  }
  return { returns, lengths, mean, std, replays };
}

/** Writes recorded episodes as `<dir>/episode-<k>.json.gz` replay files; returns their paths. */
export async function writeRecordedEpisodes(dir: string, episodes: RecordedEpisode[], meta: ReplayMeta): Promise<string[]> {
  const files: string[] = [];
  for (let k = 0; k < episodes.length; k++) {
    const file = path.join(dir, episodeFileName(k, true));
    try {
      await writeReplayFile(file, replayFromEpisode(episodes[k], meta));
    } catch (e) {
      throw asIoError(e, file, 'write');
    }
    files.push(file);
  }
  return files;
}

function episodeSeeds(opts: EvaluateOptions): number[] {
  if (opts.seeds) {
    if (opts.seeds.length < opts.episodes) throw new TsgymError(`evaluate: ${opts.episodes} episodes need ${opts.episodes} seeds, got ${opts.seeds.length}`);
    return opts.seeds.slice(0, opts.episodes);
  }
  if (opts.seedBase === undefined) throw new TsgymError('evaluate: pass seeds (one per episode) or seedBase');
  return Array.from({ length: opts.episodes }, (_, k) => opts.seedBase! + k);
}
