/**
 * # The tsgym replay format (version 1)
 *
 * One file per episode: JSON (`episode-0.json`) or gzipped JSON (`episode-0.json.gz`). The module is pure
 * (no `node:` imports) so the recorder in Node and the viewer in the browser share one definition and one
 * validator.
 *
 * | Field           | Type                              | Meaning                                                        |
 * |-----------------|-----------------------------------|----------------------------------------------------------------|
 * | `format`        | `'tsgym-replay'`                  | Marks the file as a tsgym replay.                              |
 * | `version`       | integer                           | Format version; a reader refuses versions newer than its own. |
 * | `envId`         | string                            | Registered env id, e.g. `'CartPole-v1'`.                       |
 * | `envOptions`    | object                            | The kwargs the env was made with.                              |
 * | `seed`          | integer or `null`                 | The `reset({seed})` that started the episode (`null`: none).  |
 * | `resetOptions`  | object or `null`                  | The `reset({options})` of the episode.                         |
 * | `agent`         | `{ name, checkpointStep }`        | Who acted, and the env step of the checkpoint (`null`: none). |
 * | `actionSpace`   | SpaceJSON                         | `{type:'Discrete', n, start}` or `{type:'Box', shape, low, high}`. |
 * | `initialState`  | RenderState                       | `renderState()` right after reset (frame 0).                   |
 * | `steps`         | ReplayStep[]                      | One entry per step; `steps[i].state` is frame `i + 1`.         |
 * | `return`        | number                            | Sum of the rewards.                                            |
 * | `length`        | integer                           | Number of steps (= `steps.length`).                            |
 * | `terminated`    | boolean                           | The last step reached a terminal state.                        |
 * | `truncated`     | boolean                           | The last step was cut short (time limit, …).                   |
 * | `label`         | string, optional                  | Free text shown by the viewer (e.g. `'eval @ 20k steps'`).     |
 *
 * A step: `{ action, reward, terminated, truncated, state, qValues?, probs? }` — the action taken (an integer
 * for Discrete, a number array for Box), the reward it earned, the flags `step()` returned, the render state
 * after the step, and the agent's Q-values or action probabilities for the observation it acted on.
 *
 * A replay is faithful: `make(envId, envOptions)`, `reset({seed, options: resetOptions})`, then stepping the
 * recorded actions reproduces every recorded state exactly.
 */
import type { RenderState } from '../envs/core.js';
import type { SpaceJSON } from '../envs/spaces.js';
import type { RecordedEpisode } from '../envs/wrappers.js';

export const REPLAY_FORMAT = 'tsgym-replay';
export const REPLAY_VERSION = 1;

export interface ReplayStep {
  action: number | number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  /** The render state after this step. */
  state: RenderState;
  qValues?: number[];
  probs?: number[];
}

export interface ReplayFile {
  format: typeof REPLAY_FORMAT;
  version: number;
  envId: string;
  envOptions: Record<string, unknown>;
  seed: number | null;
  resetOptions: Record<string, unknown> | null;
  agent: { name: string; checkpointStep: number | null };
  actionSpace: SpaceJSON;
  initialState: RenderState;
  steps: ReplayStep[];
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
  label?: string;
}

/** A replay that cannot be read: the message names the file and the field. */
export class ReplayFormatError extends Error {
  override name = 'ReplayFormatError';
  constructor(
    readonly fileName: string,
    readonly field: string | null,
    detail: string,
  ) {
    super(field ? `${fileName}: ${field} ${detail}` : `${fileName}: ${detail}`);
  }
}

export interface ReplayMeta {
  agent: string;
  checkpointStep: number | null;
  actionSpace: SpaceJSON;
  label?: string;
}

/** Turns an episode from the `RecordEpisode` wrapper into a replay file; `extras.qValues/probs` move into the step. */
export function replayFromEpisode(ep: RecordedEpisode<unknown>, meta: ReplayMeta): ReplayFile {
  const steps: ReplayStep[] = ep.steps.map((s) => {
    const step: ReplayStep = {
      action: plainAction(s.action),
      reward: s.reward,
      terminated: s.terminated,
      truncated: s.truncated,
      state: s.state,
    };
    const qValues = numberList(s.extras?.qValues);
    const probs = numberList(s.extras?.probs);
    if (qValues) step.qValues = qValues;
    if (probs) step.probs = probs;
    return step;
  });
  const last = steps[steps.length - 1];
  const replay: ReplayFile = {
    format: REPLAY_FORMAT,
    version: REPLAY_VERSION,
    envId: ep.envId,
    envOptions: { ...ep.envOptions },
    seed: ep.seed ?? null,
    resetOptions: ep.resetOptions ?? null,
    agent: { name: meta.agent, checkpointStep: meta.checkpointStep },
    actionSpace: meta.actionSpace,
    initialState: ep.initialState,
    steps,
    return: ep.return,
    length: ep.length,
    terminated: last?.terminated ?? false,
    truncated: last?.truncated ?? false,
  };
  if (meta.label !== undefined) replay.label = meta.label;
  return replay;
}

function plainAction(a: unknown): number | number[] {
  if (typeof a === 'number') return a;
  if (ArrayBuffer.isView(a) && !(a instanceof DataView)) return Array.from(a as unknown as ArrayLike<number>);
  if (Array.isArray(a)) return a.map(Number);
  throw new TypeError(`replayFromEpisode: an action must be a number or a number array, got ${typeof a}`);
}

function numberList(v: unknown): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(Number);
  return undefined;
}

/** Parses the text of a replay file and validates it. */
export function parseReplay(text: string, fileName: string): ReplayFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ReplayFormatError(fileName, null, `is not valid JSON (${(e as Error).message}); the file may be truncated or not a replay`);
  }
  return validateReplay(data, fileName);
}

/**
 * Checks that `data` is a replay this code can read and returns it typed. Throws a {@link ReplayFormatError}
 * naming the file and the first field that is wrong.
 */
export function validateReplay(data: unknown, fileName: string): ReplayFile {
  const fail = (field: string | null, detail: string): never => {
    throw new ReplayFormatError(fileName, field, detail);
  };
  if (!isObject(data)) return fail(null, `must hold a JSON object (a tsgym replay), got ${kindOf(data)}`);
  if (data.format !== REPLAY_FORMAT) {
    return fail('format', `must be '${REPLAY_FORMAT}', got ${short(data.format)}: this is not a tsgym replay file`);
  }
  const version = data.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return fail('version', `must be a positive integer, got ${short(version)}`);
  }
  if (version > REPLAY_VERSION) {
    return fail(null, `written by a newer tsgym (version ${version}); this viewer reads version ${REPLAY_VERSION}. Update tsgym to read it.`);
  }

  if (typeof data.envId !== 'string' || data.envId === '') fail('envId', `must be a non-empty string, got ${short(data.envId)}`);
  if (!isObject(data.envOptions)) fail('envOptions', `must be an object, got ${short(data.envOptions)}`);
  if (data.seed !== null && !(typeof data.seed === 'number' && Number.isInteger(data.seed))) {
    fail('seed', `must be an integer or null, got ${short(data.seed)}`);
  }
  if (data.resetOptions !== null && !isObject(data.resetOptions)) fail('resetOptions', `must be an object or null, got ${short(data.resetOptions)}`);

  const agent = data.agent;
  if (!isObject(agent)) fail('agent', `must be an object { name, checkpointStep }, got ${short(agent)}`);
  const ag = agent as Record<string, unknown>;
  if (typeof ag.name !== 'string') fail('agent.name', `must be a string, got ${short(ag.name)}`);
  if (ag.checkpointStep !== null && !(typeof ag.checkpointStep === 'number' && Number.isInteger(ag.checkpointStep) && ag.checkpointStep >= 0)) {
    fail('agent.checkpointStep', `must be a non-negative integer or null, got ${short(ag.checkpointStep)}`);
  }

  const space = checkSpace(data.actionSpace, fail);
  checkRenderState(data.initialState, 'initialState', fail);

  if (!Array.isArray(data.steps)) return fail('steps', `must be an array, got ${short(data.steps)}`);
  let sum = 0;
  let sumAbs = 0;
  data.steps.forEach((step: unknown, i: number) => {
    const at = `steps[${i}]`;
    if (!isObject(step)) return fail(at, `must be an object, got ${short(step)}`);
    checkAction(step.action, space, `${at}.action`, fail);
    if (!isFiniteNumber(step.reward)) fail(`${at}.reward`, `must be a finite number, got ${short(step.reward)}`);
    if (typeof step.terminated !== 'boolean') fail(`${at}.terminated`, `must be a boolean, got ${short(step.terminated)}`);
    if (typeof step.truncated !== 'boolean') fail(`${at}.truncated`, `must be a boolean, got ${short(step.truncated)}`);
    checkRenderState(step.state, `${at}.state`, fail);
    for (const key of ['qValues', 'probs'] as const) {
      const v = step[key];
      if (v === undefined) continue;
      if (!Array.isArray(v) || !v.every(isFiniteNumber)) fail(`${at}.${key}`, `must be an array of finite numbers, got ${short(v)}`);
      if (space.type === 'Discrete' && (v as unknown[]).length !== space.n) {
        fail(`${at}.${key}`, `must have one value per action (${space.n}), got ${(v as unknown[]).length}`);
      }
    }
    sum += step.reward as number;
    sumAbs += Math.abs(step.reward as number);
  });

  if (!isFiniteNumber(data.return)) fail('return', `must be a finite number, got ${short(data.return)}`);
  // Summed in the recorder's order, so only rounding from a different writer could differ.
  if (Math.abs((data.return as number) - sum) > 1e-6 * Math.max(1, sumAbs)) {
    fail('return', `(${data.return}) must equal the sum of the step rewards (${sum})`);
  }
  if (!(typeof data.length === 'number' && Number.isInteger(data.length) && data.length >= 0)) {
    fail('length', `must be a non-negative integer, got ${short(data.length)}`);
  }
  if (data.length !== data.steps.length) fail('length', `(${data.length}) must equal the number of steps (${data.steps.length})`);
  if (typeof data.terminated !== 'boolean') fail('terminated', `must be a boolean, got ${short(data.terminated)}`);
  if (typeof data.truncated !== 'boolean') fail('truncated', `must be a boolean, got ${short(data.truncated)}`);
  if (data.label !== undefined && typeof data.label !== 'string') fail('label', `must be a string when present, got ${short(data.label)}`);
  return data as unknown as ReplayFile;
}

type Fail = (field: string | null, detail: string) => never;

function checkSpace(v: unknown, fail: Fail): SpaceJSON {
  if (!isObject(v)) return fail('actionSpace', `must be a space description ({type:'Discrete', n, start} or {type:'Box', shape, low, high}), got ${short(v)}`);
  if (v.type === 'Discrete') {
    if (!(typeof v.n === 'number' && Number.isInteger(v.n) && v.n > 0)) fail('actionSpace.n', `must be a positive integer, got ${short(v.n)}`);
    if (v.start !== undefined && !(typeof v.start === 'number' && Number.isInteger(v.start))) fail('actionSpace.start', `must be an integer, got ${short(v.start)}`);
    return { type: 'Discrete', n: v.n as number, start: (v.start as number | undefined) ?? 0 };
  }
  if (v.type === 'Box') {
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) fail('actionSpace.shape', `must be an array of positive integers, got ${short(shape)}`);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    for (const key of ['low', 'high'] as const) {
      const arr = v[key];
      // JSON writes ±Infinity as null.
      if (!Array.isArray(arr) || arr.length !== size || !arr.every((x) => x === null || typeof x === 'number')) {
        fail(`actionSpace.${key}`, `must be an array of ${size} numbers (null for infinite), got ${short(arr)}`);
      }
    }
    return v as unknown as SpaceJSON;
  }
  return fail('actionSpace.type', `must be 'Discrete' or 'Box', got ${short(v.type)}`);
}

function checkAction(a: unknown, space: SpaceJSON, field: string, fail: Fail): void {
  if (space.type === 'Discrete') {
    if (!(typeof a === 'number' && Number.isInteger(a) && a >= space.start && a < space.start + space.n)) {
      fail(field, `must be an integer action in ${space.start}..${space.start + space.n - 1} (Discrete(${space.n})), got ${short(a)}`);
    }
    return;
  }
  const size = space.shape.reduce((x, y) => x * y, 1);
  if (!Array.isArray(a) || a.length !== size || !a.every(isFiniteNumber)) {
    fail(field, `must be an array of ${size} finite numbers (Box action), got ${short(a)}`);
  }
}

function checkRenderState(s: unknown, field: string, fail: Fail): void {
  if (!isObject(s)) return fail(field, `must be a render state object with a 'kind', got ${short(s)}`);
  if (typeof s.kind !== 'string' || s.kind === '') fail(`${field}.kind`, `must be a non-empty string naming the scene, got ${short(s.kind)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** A value for an error message, cut to a readable length. */
function short(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
