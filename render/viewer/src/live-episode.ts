/**
 * An episode being played live (keyboard, agent) that can become a replay file at any moment. Pure (no
 * `node:` imports): the play and live-agent pages run it in the browser, tests run it in Node.
 *
 * It records exactly what the `RecordEpisode` wrapper records (the render state after reset and after
 * every step, the action as a plain number or number array), so a replay written here reproduces like
 * one written by `npm run record`.
 */
import type { Action, RenderState } from '../../../envs/core.js';
import { make, type AnyEnv } from '../../../envs/registry.js';
import type { Space } from '../../../envs/spaces.js';
import { REPLAY_FORMAT, REPLAY_VERSION, validateReplay, type ReplayFile, type ReplayStep } from '../../../formats/replay-format.js';

export interface LiveEpisodeOptions {
  envId: string;
  envKwargs?: Record<string, unknown>;
  seed: number | null;
  /** Who acts: written into the replay's `agent` field. */
  agent?: string;
  checkpointStep?: number | null;
  label?: string;
}

export class LiveEpisode {
  readonly env: AnyEnv;
  /** The replay so far: `initialState`, then one step per `step()` (a growing, valid replay file). */
  readonly replay: ReplayFile;
  /** `frames[0]` = state after reset, `frames[k]` = after step k: what the scenes draw (grows in place). */
  readonly frames: RenderState[];
  obs: Float32Array;
  done = false;

  constructor(readonly opts: LiveEpisodeOptions) {
    this.env = make(opts.envId, opts.envKwargs ?? {});
    const r = this.env.reset(opts.seed === null ? {} : { seed: opts.seed });
    this.obs = r.obs;
    const initialState = this.env.renderState();
    this.frames = [initialState];
    this.replay = {
      format: REPLAY_FORMAT,
      version: REPLAY_VERSION,
      envId: this.env.spec?.id ?? opts.envId,
      envOptions: { ...(this.env.spec?.kwargs ?? opts.envKwargs ?? {}) },
      seed: opts.seed,
      resetOptions: null,
      agent: { name: opts.agent ?? 'human', checkpointStep: opts.checkpointStep ?? null },
      actionSpace: this.env.actionSpace.toJSON(),
      initialState,
      steps: [],
      return: 0,
      length: 0,
      terminated: false,
      truncated: false,
      ...(opts.label !== undefined ? { label: opts.label } : {}),
    };
  }

  get actionSpace(): Space {
    return this.env.actionSpace;
  }

  /** Takes one step; `extras` are the agent's Q-values or probabilities for the observation it acted on. */
  step(action: Action, extras: { qValues?: ArrayLike<number>; probs?: ArrayLike<number> } = {}): ReplayStep {
    if (this.done) throw new Error('LiveEpisode.step: the episode is over; start a new one');
    const r = this.env.step(action);
    const step: ReplayStep = {
      action: typeof action === 'number' ? action : Array.from(action as ArrayLike<number>),
      reward: r.reward,
      terminated: r.terminated,
      truncated: r.truncated,
      state: this.env.renderState(),
    };
    if (extras.qValues) step.qValues = Array.from(extras.qValues);
    if (extras.probs) step.probs = Array.from(extras.probs);
    this.obs = r.obs;
    this.replay.steps.push(step);
    this.frames.push(step.state);
    this.replay.return += r.reward;
    this.replay.length++;
    this.replay.terminated = r.terminated;
    this.replay.truncated = r.truncated;
    if (r.terminated || r.truncated) {
      this.done = true;
      this.env.close();
    }
    return step;
  }

  /** The replay as a file's text (validated: what no reader would accept is never handed out). */
  toJSON(): string {
    const text = JSON.stringify(this.replay);
    validateReplay(JSON.parse(text), `${this.replay.envId} episode`);
    return text;
  }

  /** A file name for the download: `<env>__<agent>__seed<S>__<n>steps.json`. */
  fileName(): string {
    return `${this.replay.envId}__${this.replay.agent.name}__seed${this.replay.seed ?? 'none'}__${this.replay.length}steps.json`;
  }
}

/** Re-runs a replay's seed and actions on a fresh env and returns the render states it produces (frame 0 first). */
export function rerunReplay(replay: ReplayFile): RenderState[] {
  const env = make(replay.envId, replay.envOptions);
  env.reset({ ...(replay.seed === null ? {} : { seed: replay.seed }), ...(replay.resetOptions ? { options: replay.resetOptions } : {}) });
  const states = [env.renderState()];
  for (const s of replay.steps) {
    const a: Action = typeof s.action === 'number' ? s.action : Float32Array.from(s.action);
    const r = env.step(a);
    states.push(env.renderState());
    if (r.terminated || r.truncated) break;
  }
  env.close();
  return states;
}
