/**
 * Greedy evaluation (collect.ts's greedyEpisodes: separate eval envs with their own seeds, all episodes in
 * lockstep), with the first `record` episodes written as replay files.
 */
import * as path from 'node:path';
import type { Agent } from '../../agents/agent.js';
import { TsgymError } from '../../core/errors.js';
import { asIoError } from './atomic.js';
import { greedyEpisodes } from './collect.js';
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
  const { returns, lengths, mean, std, recorded, actionSpace } = greedyEpisodes(agent, { envId: opts.envId, envKwargs: opts.envKwargs, seeds: episodeSeeds(opts), record: opts.record });
  const replays: string[] = [];
  if (recorded.length > 0) {
    if (!opts.recordDir) throw new Error('evaluate: recordDir is required to record episodes');
    for (let k = 0; k < recorded.length; k++) {
      const file = path.join(opts.recordDir, `episode-${k}.json.gz`);
      const replay = replayFromEpisode(recorded[k], { agent: opts.agentName ?? agent.name, checkpointStep: opts.checkpointStep ?? null, actionSpace, label: opts.label });
      try {
        await writeReplayFile(file, replay);
      } catch (e) {
        throw asIoError(e, file, 'write');
      }
      replays.push(file);
    }
  }
  return { returns, lengths, mean, std, replays };
}

function episodeSeeds(opts: EvaluateOptions): number[] {
  if (opts.seeds) {
    if (opts.seeds.length < opts.episodes) throw new TsgymError(`evaluate: ${opts.episodes} episodes need ${opts.episodes} seeds, got ${opts.seeds.length}`);
    return opts.seeds.slice(0, opts.episodes);
  }
  if (opts.seedBase === undefined) throw new TsgymError('evaluate: pass seeds (one per episode) or seedBase');
  return Array.from({ length: opts.episodes }, (_, k) => opts.seedBase! + k);
}
