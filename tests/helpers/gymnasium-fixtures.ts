/**
 * Replays the reference trajectories in tests/fixtures/gymnasium/ (recorded from Gymnasium's own env code; see
 * tests/fixtures/gymnasium/README.md) through a tsgym env: same start state, same actions, and reports how far
 * every state, observation and reward lands from Gymnasium's.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { make, type Action } from '../../index.js';

export interface GymEpisode {
  note: string;
  resetSeed: number;
  resetOptions: Record<string, number> | null;
  startState: number[];
  resetObs: number[];
  actions: (number | number[])[];
  states: number[][];
  obs: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

export interface GymFixture {
  header: string;
  envId: string;
  episodes: GymEpisode[];
}

export function loadGymFixture(name: string): GymFixture {
  const path = fileURLToPath(new URL(`../fixtures/gymnasium/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as GymFixture;
}

export interface ReplayComparison {
  steps: number;
  /** Largest |tsgym − Gymnasium| over every state component, observation and reward. */
  maxStateDiff: number;
  maxObsDiff: number;
  maxRewardDiff: number;
  /** Steps whose state, obs and reward all equal Gymnasium's bit for bit. */
  exactSteps: number;
  /** Every terminated / truncated flag equal, and the episode ends where Gymnasium's did. */
  flagsMatch: boolean;
  firstMismatch: string | null;
}

/**
 * Puts a recorded state into a freshly reset env. `afterStep` says whether Gymnasium's env had stepped since
 * its reset when it held that state (it matters where Gymnasium's state dtype changes on the first step).
 */
export type SetGymState = (env: ReturnType<typeof make>, state: number[], afterStep: boolean) => void;

/**
 * Steps `make(envId)` from each episode's start state with the recorded actions (the env's RNG differs from
 * numpy's, so trajectories are matched by state). With `perStep`, every step starts again from Gymnasium's
 * own previous state, which measures the arithmetic of one step without any drift carried over.
 */
export function compareWithGymnasium(fx: GymFixture, setState: SetGymState, opts: { perStep?: boolean } = {}): ReplayComparison {
  const out: ReplayComparison = { steps: 0, maxStateDiff: 0, maxObsDiff: 0, maxRewardDiff: 0, exactSteps: 0, flagsMatch: true, firstMismatch: null };
  for (const [e, ep] of fx.episodes.entries()) {
    const env = make(fx.envId);
    env.reset({ seed: ep.resetSeed });
    setState(env, ep.startState, false);
    for (let t = 0; t < ep.actions.length; t++) {
      if (opts.perStep && t > 0) setState(env, ep.states[t - 1], true);
      const a = ep.actions[t];
      const action: Action = typeof a === 'number' ? a : Float32Array.from(a);
      const r = env.step(action);
      const state = (env.unwrapped as unknown as { state: Float64Array }).state;
      let exact = true;
      for (let k = 0; k < ep.states[t].length; k++) {
        const d = Math.abs(state[k] - ep.states[t][k]);
        if (d !== 0) exact = false;
        out.maxStateDiff = Math.max(out.maxStateDiff, d);
      }
      for (let k = 0; k < ep.obs[t].length; k++) {
        const d = Math.abs(r.obs[k] - ep.obs[t][k]);
        if (d !== 0) exact = false;
        out.maxObsDiff = Math.max(out.maxObsDiff, d);
      }
      const dr = Math.abs(r.reward - ep.rewards[t]);
      if (dr !== 0) exact = false;
      out.maxRewardDiff = Math.max(out.maxRewardDiff, dr);
      if (exact) out.exactSteps++;
      else if (!out.firstMismatch) out.firstMismatch = `episode ${e} step ${t}: state ${Array.from(state)} vs ${ep.states[t]}, obs ${Array.from(r.obs)} vs ${ep.obs[t]}, reward ${r.reward} vs ${ep.rewards[t]}`;
      if (r.terminated !== ep.terminated[t] || r.truncated !== ep.truncated[t]) {
        out.flagsMatch = false;
        out.firstMismatch ??= `episode ${e} step ${t}: terminated/truncated ${r.terminated}/${r.truncated} vs ${ep.terminated[t]}/${ep.truncated[t]}`;
      }
      out.steps++;
      const ended = r.terminated || r.truncated;
      if (ended !== (t === ep.actions.length - 1)) out.flagsMatch = false;
      if (ended) break;
    }
  }
  return out;
}
