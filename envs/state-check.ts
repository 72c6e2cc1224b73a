/**
 * Checks for `setState(snapshot)`: a snapshot comes from a checkpoint file or a caller, so it is validated
 * before anything is assigned. Every error names the env, the field and what was expected, and a snapshot
 * of another kind of env (its `kind` tag differs) is refused as such.
 *
 *   const r = new StateReader(this.id, 'CartPole', snapshot);
 *   const state = r.numbers('state', 4);
 *   const rng = r.rng('rng');
 *   // … assign only after every read succeeded
 */
import { describeValue } from './core.js';
import { TsgymError } from '../core/errors.js';
import type { RngState } from '../core/rng.js';

/** A description of what was found, printed as is. */
class Described {
  constructor(readonly text: string) {}
}

export class StateReader {
  private readonly obj: Record<string, unknown>;

  /**
   * @param envId the env's id, for messages
   * @param kind the tag `getState()` writes as `kind`; a snapshot with another tag is another env's. A
   *   snapshot without one (written before tags existed) is checked by shape alone.
   */
  constructor(readonly envId: string, readonly kind: string, snapshot: unknown) {
    if (snapshot === null || typeof snapshot !== 'object' || Array.isArray(snapshot)) {
      throw new TsgymError(`${envId}: setState() needs an object from ${envId}'s getState(), got ${describeValue(snapshot)}`);
    }
    this.obj = snapshot as Record<string, unknown>;
    const tag = this.obj.kind;
    if (tag !== undefined && tag !== kind) {
      throw new TsgymError(`${envId}: setState() was given the state of a ${typeof tag === 'string' ? `'${tag}'` : describeValue(tag)} env, not of a '${kind}' env`);
    }
  }

  /** `got` is described (`describeValue`) unless it is a {@link Described} text such as '3 values'. */
  private fail(key: string, expected: string, got: unknown): never {
    throw new TsgymError(`${this.envId}: setState(): '${key}' must be ${expected}, got ${got instanceof Described ? got.text : describeValue(got)}`);
  }

  /** The raw value of a field (for nested snapshots read by another reader). */
  raw(key: string): unknown {
    return this.obj[key];
  }

  /** A finite number, optionally within [min, max]. */
  number(key: string, min = -Infinity, max = Infinity): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(key, `a finite number${rangeNote(min, max)}`, v);
    return v;
  }

  /** An integer, optionally within [min, max]. */
  int(key: string, min = -Infinity, max = Infinity): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(key, `an integer${rangeNote(min, max)}`, v);
    return v;
  }

  bool(key: string): boolean {
    const v = this.obj[key];
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v;
  }

  /** `null` or what `read` makes of the value. */
  nullable<T>(key: string, read: (r: StateReader, key: string) => T): T | null {
    return this.obj[key] === null ? null : read(this, key);
  }

  /** One of the given strings. */
  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.obj[key];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) this.fail(key, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
    return v as T;
  }

  /** An array of exactly `length` finite numbers (integers when `integer`), each within [min, max]. */
  numbers(key: string, length: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number[] {
    const v = this.obj[key];
    const { integer = false, min = -Infinity, max = Infinity } = opts;
    const what = `an array of ${length} ${integer ? 'integers' : 'finite numbers'}${rangeNote(min, max)}`;
    if (!Array.isArray(v)) this.fail(key, what, v);
    if (v.length !== length) this.fail(key, what, new Described(`${v.length} values`));
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !(integer ? Number.isInteger(x) : Number.isFinite(x)) || x < min || x > max) this.fail(`${key}[${i}]`, `${integer ? 'an integer' : 'a finite number'}${rangeNote(min, max)}`, x);
    }
    return v as number[];
  }

  /** An array of `length` values (of any type: checked by the caller). */
  array(key: string, length: number): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v) || v.length !== length) this.fail(key, `an array of ${length} entries`, Array.isArray(v) ? new Described(`${v.length} entries`) : v);
    return v;
  }

  /** A random stream's saved state (Rng.state()). */
  rng(key: string): RngState {
    return checkRngState(this.envId, key, this.obj[key]);
  }
}

/** Validates an {@link RngState}: an Alea state of three finite seeds and a carry. */
export function checkRngState(envId: string, key: string, v: unknown): RngState {
  const alea = v && typeof v === 'object' ? (v as { alea?: unknown }).alea : undefined;
  const ok = alea && typeof alea === 'object' && ['c', 's0', 's1', 's2'].every((k) => typeof (alea as Record<string, unknown>)[k] === 'number' && Number.isFinite((alea as Record<string, number>)[k]));
  if (!ok) throw new TsgymError(`${envId}: setState(): '${key}' must be a random-stream state {alea: {c, s0, s1, s2}}, got ${describeValue(v)}`);
  return v as RngState;
}

function rangeNote(min: number, max: number): string {
  if (min > -Infinity && max < Infinity) return ` in [${min}, ${max}]`;
  if (min > -Infinity) return ` >= ${min}`;
  if (max < Infinity) return ` <= ${max}`;
  return '';
}
