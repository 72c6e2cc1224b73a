/**
 * What the five MinAtar games share: the 10×10 grid, the action numbering, the game interface the env
 * drives, and two pieces of Python list behaviour the reference code depends on (see below).
 */
import type { NumpyRandomState } from '../../core/numpy-random.js';
import { TsgymError } from '../../core/errors.js';
import type { StateReader } from '../state-check.js';

/** Rows and columns of every MinAtar game. */
export const GRID = 10;

/** MinAtar's action map `['n','l','u','r','d','f']`: the full action set, in order. */
export const NOOP = 0;
export const LEFT = 1;
export const UP = 2;
export const RIGHT = 3;
export const DOWN = 4;
export const FIRE = 5;
export const NUM_ACTIONS = 6;

/**
 * One game's rules, stepped by {@link MinAtarEnv} (which owns the random stream, sticky actions and the
 * observation buffer). `act` takes an action of the full set and returns the reward; `terminal` says
 * whether the episode is over.
 */
export abstract class MinAtarGame {
  abstract readonly channels: readonly string[];
  /** Full-set actions that have a distinct effect in this game (the `-v1` action set). */
  abstract readonly minimalActions: readonly number[];
  /** The env's stream; every random draw of the game comes from it, as in MinAtar. */
  random!: NumpyRandomState;
  terminal = false;

  constructor(readonly ramping: boolean) {}

  abstract reset(): void;
  abstract act(action: number): number;
  /** Sets this frame's cells in `obs` ((y, x, channel) order, row-major), which arrives all zeros. */
  abstract writeObservation(obs: Float32Array): void;
  /** The game's state as plain JSON. */
  abstract snapshot(): Record<string, unknown>;
  /** Checks every field of a {@link snapshot}, then assigns them all (or throws and assigns none). */
  abstract restore(r: StateReader): void;
  /** The current difficulty level (MinAtar's `difficulty_ramp()`); null for games that do not ramp. */
  difficultyRamp(): number | null {
    return null;
  }
}

/** Sets channel `c` of cell (y, x) in an observation with `numChannels` channels. */
export function setCell(obs: Float32Array, numChannels: number, y: number, x: number, c: number): void {
  obs[(y * GRID + x) * numChannels + c] = 1;
}

/** Copies a 10×10 0/1 map into channel `c`. */
export function setChannel(obs: Float32Array, numChannels: number, map: ArrayLike<number>, c: number): void {
  for (let i = 0; i < GRID * GRID; i++) if (map[i]) obs[i * numChannels + c] = 1;
}

/**
 * Python's `list.remove(item)`: removes the first element equal to `item` field by field, which may be an
 * earlier twin rather than `item` itself (with {@link forEachReversed} the survivor is then visited in the
 * twin's place, so the outcome is the same either way).
 */
export function removeFirstEqual(list: number[][], item: readonly number[]): void {
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e === item || (e.length === item.length && e.every((v, k) => v === item[k]))) {
      list.splice(i, 1);
      return;
    }
  }
  throw new TsgymError('list.remove(x): x not in list');
}

/**
 * Python's `for item in reversed(list)` while the body removes elements: CPython's reverse iterator keeps
 * an index that starts at the end and steps down by one, yielding `list[index]` while the index is inside
 * the (possibly shortened) list. Removing an earlier equal element therefore revisits the current one.
 */
export function forEachReversed(list: number[][], body: (item: number[]) => void): void {
  for (let index = list.length - 1; index >= 0 && index < list.length; index--) body(list[index]);
}

/** Whether an entity `[x, y, …]` sits at cell (x, y). */
export function at(e: readonly number[], x: number, y: number): boolean {
  return e[0] === x && e[1] === y;
}

/**
 * Reads a list of integer tuples `[[a, b, …], …]`, one [min, max] per field; `length` fixes the number of
 * tuples, else at most `maxLength`.
 */
export function readTuples(r: StateReader, key: string, bounds: readonly (readonly [number, number])[], opts: { length?: number; maxLength?: number } = {}): number[][] {
  const v = r.raw(key);
  const { length, maxLength = 1000 } = opts;
  const countOk = Array.isArray(v) && (length === undefined ? v.length <= maxLength : v.length === length);
  const ok = countOk && (v as unknown[]).every((t) => Array.isArray(t) && t.length === bounds.length && t.every((x, k) => Number.isInteger(x) && x >= bounds[k][0] && x <= bounds[k][1]));
  if (!ok) throw new TsgymError(`${r.envId}: setState(): '${key}' must be a list of ${length ?? `at most ${maxLength}`} [${bounds.map(([lo, hi]) => `${lo}..${hi}`).join(', ')}] integer tuples`);
  return (v as number[][]).map((t) => [...t]);
}

/** Reads a 10×10 map of 0/1 values. */
export function readMap(r: StateReader, key: string): Uint8Array {
  return Uint8Array.from(r.numbers(key, GRID * GRID, { integer: true, min: 0, max: 1 }));
}

/** Number of non-zero cells of a map (numpy's count_nonzero). */
export function countNonzero(map: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < map.length; i++) if (map[i]) n++;
  return n;
}
