/**
 * Collecting experience and greedy evaluation episodes, without the file system: used by the training loop
 * (training-loop.ts, in Node and in the browser tab) and by evaluate.ts (the record and verify commands). No
 * `node:` imports here: the training page's worker bundles it.
 */
import type { Agent, TransitionBatch } from '../../agents/agent.js';
import type { Action, Env } from '../../envs/core.js';
import { make } from '../../envs/registry.js';
import type { SpaceJSON } from '../../envs/spaces.js';
import type { VectorEnv } from '../../envs/vector.js';
import { RecordEpisode, type RecordedEpisode } from '../../envs/wrappers.js';
import { mean } from '../../core/math.js';

/**
 * One vector step of experience: the agent acts (exploring) on the current observations and every env
 * steps. `prevObs` and `nextObs` are the caller's buffers (`numEnvs × obsSize`), filled here and returned
 * in the batch, ready for `agent.observe`.
 */
export function collectTransition(vec: VectorEnv, agent: Agent, prevObs: Float32Array, nextObs: Float32Array): TransitionBatch {
  const n = vec.numEnvs;
  const d = vec.obsSize;
  prevObs.set(vec.obs);
  const { actions } = agent.act(vec.obs, n, { greedy: false });
  vec.step(actions);
  // What the agent bootstraps from: the next observation, or the final one where an episode ended.
  nextObs.set(vec.obs);
  for (let i = 0; i < n; i++) {
    if (vec.terminated[i] || vec.truncated[i]) nextObs.set(vec.finalObs.subarray(i * d, (i + 1) * d), i * d);
  }
  return { n, obs: prevObs, actions, rewards: vec.rewards, nextObs, terminated: vec.terminated, truncated: vec.truncated };
}

export interface GreedyEpisodesOptions {
  envId: string;
  envKwargs: Record<string, unknown>;
  /** Episode k is reset with seed `seeds[k]`; one episode per seed. */
  seeds: readonly number[];
  /** How many of the episodes (the first ones) to record (0 = none). */
  record?: number;
}

export interface GreedyEpisodes {
  returns: number[];
  lengths: number[];
  mean: number;
  /** Population standard deviation over episodes (as SB3's evaluate_policy). */
  std: number;
  /** The first `record` episodes, each step annotated with the agent's Q-values or action probabilities. */
  recorded: RecordedEpisode[];
  actionSpace: SpaceJSON;
}

/**
 * Greedy episodes on fresh eval envs, one per seed (never the training envs, so evaluation does not
 * disturb training's random streams). All episodes run in lockstep: one batched forward pass per step
 * over the envs still running.
 */
export function greedyEpisodes(agent: Agent, opts: GreedyEpisodesOptions): GreedyEpisodes {
  const n = opts.seeds.length;
  const recordCount = Math.min(opts.record ?? 0, n);
  const recorded: RecordedEpisode[] = [];
  const envs: Env<Float32Array, Action>[] = [];
  const recorders: (RecordEpisode | undefined)[] = [];
  for (let k = 0; k < n; k++) {
    const base = make(opts.envId, opts.envKwargs);
    const rec = k < recordCount ? new RecordEpisode(base, (ep) => (recorded[k] = ep)) : undefined;
    envs.push(rec ?? base);
    recorders.push(rec);
  }
  const obsSize = envs[0].observationSpace.type === 'Box' ? envs[0].observationSpace.size : 1;
  const actionSize = envs[0].actionSpace.type === 'Box' ? envs[0].actionSpace.size : 1;
  const discrete = envs[0].actionSpace.type === 'Discrete';
  const returns = new Array<number>(n).fill(0);
  const lengths = new Array<number>(n).fill(0);
  const current: Float32Array[] = envs.map((e, k) => e.reset({ seed: opts.seeds[k] }).obs);
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
  const actionSpace = envs[0].actionSpace.toJSON();
  for (const e of envs) e.close();
  const m = mean(returns);
  const std = Math.sqrt(mean(returns.map((r) => (r - m) ** 2)));
  return { returns, lengths, mean: m, std, recorded, actionSpace };
}

/** Row `row` of a flat `m × k` array. */
function rowOf(a: Float32Array, row: number, m: number): Float32Array {
  const k = a.length / m;
  return a.subarray(row * k, (row + 1) * k);
}
