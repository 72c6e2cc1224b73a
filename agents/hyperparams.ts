/**
 * Hyperparameters, declared once per agent. Each agent file exports a schema: for every key its type, its
 * valid range or choices, its default and a one-line description. `validateHyperparams` is the only place
 * that turns user overrides (presets, `--set key=value`, a saved agent's config) into a resolved config, so
 * every agent rejects unknown keys, wrong types and out-of-range values the same way, with a message that
 * names the key, the value and what is valid. Constraints between keys (a minibatch count that must fit the
 * rollout, a batch that must fit the buffer) live in the schema's `check`, next to the keys they relate.
 *
 * `formatHyperparams` renders a schema as the table `tsgym hyperparams <agent>` prints.
 */
import { describeValue } from '../envs/core.js';
import { TsgymError, closest } from '../core/errors.js';
import { commandLine } from '../core/command-line.js';

interface SpecBase<T> {
  default: T;
  /** One line: what it does, in the user's terms. */
  description: string;
  /**
   * The run flag the harness sets this key from (e.g. '--steps' for totalSteps): the CLI refuses it in
   * `--set`, where it would be overwritten.
   */
  setBy?: string;
}

/** A finite number, optionally bounded; bounds are inclusive unless marked exclusive. */
export interface NumberSpec extends SpecBase<number> {
  type: 'number' | 'integer';
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

export interface BooleanSpec extends SpecBase<boolean> {
  type: 'boolean';
}

export interface ChoiceSpec<T extends string = string> extends SpecBase<T> {
  type: 'choice';
  choices: readonly T[];
}

/** The largest entry of an int list (a sanity bound on layer sizes: beyond it a typed array cannot be allocated in practice). */
export const MAX_LAYER_SIZE = 65_536;

/** A list of positive integers (layer sizes, each <= MAX_LAYER_SIZE), e.g. `[64, 64]`. */
export interface IntListSpec extends SpecBase<number[]> {
  type: 'intList';
  /** Fewest entries allowed (default 0: an empty list means no hidden layer). */
  minLength?: number;
}

/** One integer for every layer, or a list with one per layer, each in [min, max] (the conv torso's filters, kernels, strides). */
export interface PerLayerIntSpec extends SpecBase<number | number[]> {
  type: 'perLayerInt';
  min: number;
  max: number;
}

export type ParamSpec = NumberSpec | BooleanSpec | ChoiceSpec | IntListSpec | PerLayerIntSpec;

/** The spec type that fits a config field of type T. */
export type SpecFor<T> = 0 extends 1 & T
  ? ParamSpec
  : [T] extends [boolean]
    ? BooleanSpec
    : [T] extends [number]
      ? NumberSpec
      : [T] extends [number[]]
        ? IntListSpec
        : [T] extends [number | number[]]
          ? PerLayerIntSpec
          : [T] extends [string]
            ? ChoiceSpec<T>
            : never;

/** What cross-key checks may need beyond the hyperparameters themselves. */
export interface HyperparamContext {
  /** Parallel envs the agent will act in (known to the harness before the agent is built). */
  numEnvs?: number;
}

export interface HyperparamSchema<C extends object = Record<string, unknown>> {
  params: { [K in keyof C]-?: SpecFor<C[K]> };
  /**
   * Constraints between keys, run after every key passed its own check. Returns a problem (one sentence,
   * naming the keys and values involved) or undefined.
   */
  check?: (c: C, ctx: HyperparamContext) => string | undefined;
}

// ───────────────────────────── spec builders ─────────────────────────────

type Bounds = Pick<NumberSpec, 'min' | 'max' | 'minExclusive' | 'maxExclusive'>;

export const num = (def: number, description: string, bounds: Bounds = {}): NumberSpec => ({ type: 'number', default: def, description, ...bounds });
export const int = (def: number, description: string, bounds: Bounds & Pick<NumberSpec, 'setBy'> = {}): NumberSpec => ({ type: 'integer', default: def, description, ...bounds });
export const bool = (def: boolean, description: string): BooleanSpec => ({ type: 'boolean', default: def, description });
export const choice = <T extends string>(def: T, choices: readonly T[], description: string): ChoiceSpec<T> => ({ type: 'choice', default: def, choices, description });
export const intList = (def: number[], description: string, minLength = 0): IntListSpec => ({ type: 'intList', default: def, description, minLength });
export const perLayerInt = (def: number, description: string, bounds: { min: number; max: number }): PerLayerIntSpec => ({ type: 'perLayerInt', default: def, description, ...bounds });

/** A copy of `schema` with other defaults (agents that share keys but not their values). */
export function withDefaults<C extends object>(schema: HyperparamSchema<C>, defaults: Partial<C>): HyperparamSchema<C> {
  const params = { ...schema.params };
  for (const [k, v] of Object.entries(defaults)) {
    const key = k as keyof C;
    if (!(key in params)) throw new Error(`withDefaults: '${k}' is not in the schema`);
    params[key] = { ...params[key], default: v } as (typeof params)[keyof C];
  }
  return { ...schema, params };
}

/** The defaults of a schema, as a config (fresh arrays, so callers may mutate them). */
export function defaultsOf<C extends object>(schema: HyperparamSchema<C>): C {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(schema.params) as [string, ParamSpec][]) out[k] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  return out as C;
}

// ───────────────────────────── validation ─────────────────────────────

/** `in [0, 1]`, `> 0`, `>= 1`, … (empty when unbounded). */
export function rangeText(s: NumberSpec): string {
  if (s.min !== undefined && s.min === s.max && !s.minExclusive && !s.maxExclusive) return `equal to ${s.min}`;
  const lo = s.min !== undefined ? `${s.minExclusive ? '(' : '['}${s.min}` : undefined;
  const hi = s.max !== undefined ? `${s.max}${s.maxExclusive ? ')' : ']'}` : undefined;
  if (lo && hi) return `in ${lo}, ${hi}`;
  if (lo) return `${s.minExclusive ? '>' : '>='} ${s.min}`;
  if (hi) return `${s.maxExclusive ? '<' : '<='} ${s.max}`;
  return '';
}

/** What a value of this spec must be, as the end of "must be …". */
export function validText(s: ParamSpec): string {
  switch (s.type) {
    case 'number':
    case 'integer': {
      const r = rangeText(s);
      return `${s.type === 'integer' ? 'an integer' : 'a number'}${r ? ` ${r}` : ''}`;
    }
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${s.choices.map((c) => `'${c}'`).join(', ')}`;
    case 'intList':
      return `a list of integers in [1, ${MAX_LAYER_SIZE}]${s.minLength ? ` with at least ${s.minLength} entr${s.minLength === 1 ? 'y' : 'ies'}` : ''}, e.g. [64,64]`;
    case 'perLayerInt':
      return `an integer in [${s.min}, ${s.max}] (every layer), or a non-empty list of them (one per layer), e.g. [${s.default},${s.default}]`;
  }
}

const isIntIn = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

function inRange(s: NumberSpec, v: number): boolean {
  if (s.min !== undefined && (s.minExclusive ? !(v > s.min) : !(v >= s.min))) return false;
  if (s.max !== undefined && (s.maxExclusive ? !(v < s.max) : !(v <= s.max))) return false;
  return true;
}

/** Whether `v` is a valid value of `spec` (type and range). */
export function isValid(spec: ParamSpec, v: unknown): boolean {
  switch (spec.type) {
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && inRange(spec, v);
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) && inRange(spec, v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'choice':
      return typeof v === 'string' && (spec.choices as readonly string[]).includes(v);
    case 'intList':
      return Array.isArray(v) && v.length >= (spec.minLength ?? 0) && v.every((h) => typeof h === 'number' && Number.isInteger(h) && h > 0 && h <= MAX_LAYER_SIZE);
    case 'perLayerInt':
      return isIntIn(v, spec.min, spec.max) || (Array.isArray(v) && v.length > 0 && v.every((h) => isIntIn(h, spec.min, spec.max)));
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) {
    try {
      return JSON.stringify(v);
    } catch {
      return describeValue(v);
    }
  }
  return typeof v === 'object' && v !== null ? describeValue(v) : String(v);
}

/** The hint under a hyperparameter error: where every key is listed with its valid values. */
function listHint(agentName: string): string {
  return `\`${commandLine('hyperparams', agentName)}\` lists every key with its valid values and meaning`;
}

/**
 * Resolves `overrides` against the schema's defaults and validates the result: unknown keys (listing the valid
 * ones), wrong types, values out of range, then the schema's cross-key check. Throws a {@link TsgymError}
 * naming the agent, the key, the value and what is valid; returns the full config otherwise.
 */
export function validateHyperparams<C extends object>(agentName: string, schema: HyperparamSchema<C>, overrides: Record<string, unknown> = {}, ctx: HyperparamContext = {}): C {
  const params = schema.params as Record<string, ParamSpec>;
  const out = defaultsOf(schema) as Record<string, unknown>;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (!Object.hasOwn(params, k)) {
      const near = closest(k, Object.keys(params));
      throw new TsgymError(`${agentName}: unknown hyperparameter '${k}'${near ? ` (did you mean ${near}?)` : ''}. Valid keys: ${Object.keys(params).sort().join(', ')}`, { hint: listHint(agentName) });
    }
    const spec = params[k];
    if (!isValid(spec, v)) {
      throw new TsgymError(`${agentName}: hyperparameter '${k}' must be ${validText(spec)}, got ${show(v)} (default ${show(spec.default)})`, { hint: listHint(agentName) });
    }
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  const problem = schema.check?.(out as C, ctx);
  if (problem) throw new TsgymError(`${agentName}: ${problem}`, { hint: listHint(agentName) });
  return out as C;
}

/**
 * Values just outside each key's valid set, for tests and for the docs: below the minimum, above the maximum,
 * a non-integer, the wrong type, a choice that does not exist. Each must be refused.
 */
export function invalidValues(spec: ParamSpec): unknown[] {
  const bad: unknown[] = [];
  switch (spec.type) {
    case 'number':
    case 'integer':
      if (spec.min !== undefined) bad.push(spec.minExclusive ? spec.min : spec.min - (spec.type === 'integer' ? 1 : Math.max(1e-3, Math.abs(spec.min) * 0.5)));
      if (spec.max !== undefined) bad.push(spec.maxExclusive ? spec.max : spec.max + (spec.type === 'integer' ? 1 : Math.max(1e-3, Math.abs(spec.max) * 0.5)));
      if (spec.type === 'integer') bad.push(spec.default + 0.5);
      bad.push('fast', true, Number.NaN, Number.POSITIVE_INFINITY);
      break;
    case 'boolean':
      bad.push('yes', 1, null);
      break;
    case 'choice':
      bad.push('sigmoid-not-a-choice', 3, true);
      break;
    case 'intList':
      bad.push([0], [-64], [64.5], [MAX_LAYER_SIZE + 1], 64, '64,64', ['64']);
      if (spec.minLength) bad.push([]);
      break;
    case 'perLayerInt':
      bad.push(spec.min - 1, spec.max + 1, spec.min + 0.5, [], [spec.min, spec.max + 1], [String(spec.min)], 'fast', true);
      break;
  }
  return bad;
}

/**
 * Refuses user overrides (`--set`) of keys the harness sets from a run flag, naming the flag to use instead.
 * Library callers of `validateHyperparams` may still pass them.
 */
export function rejectRunKeys(agentName: string, schema: HyperparamSchema<object>, overrides: Record<string, unknown>, flagName = '--set'): void {
  const params = schema.params as Record<string, ParamSpec>;
  for (const k of Object.keys(overrides)) {
    const by = Object.hasOwn(params, k) ? params[k].setBy : undefined;
    if (by) throw new TsgymError(`${agentName}: '${k}' is set from ${by}; use ${by} instead of ${flagName}${flagName.endsWith('.') ? '' : ' '}${k}=…`);
  }
}

// ───────────────────────────── listing ─────────────────────────────

function validShort(s: ParamSpec): string {
  switch (s.type) {
    case 'number':
    case 'integer':
      return rangeText(s) || 'any';
    case 'choice':
      return s.choices.join(' | ');
    case 'boolean':
      return 'true | false';
    case 'intList':
      return `${s.minLength ? `>= ${s.minLength} entries, ` : ''}each in [1, ${MAX_LAYER_SIZE}]`;
    case 'perLayerInt':
      return `[${s.min}, ${s.max}], or one per layer`;
  }
}

/** The schema as an aligned text table: key, type, valid values, default, description. */
export function formatHyperparams(agentName: string, schema: HyperparamSchema<object>, description?: string): string {
  const rows = Object.entries(schema.params as Record<string, ParamSpec>).map(([k, s]) => {
    const type = s.type === 'intList' ? 'int list' : s.type === 'perLayerInt' ? 'int or list' : s.type === 'choice' ? 'choice' : s.type;
    return [k, type, validShort(s), show(s.default), s.setBy ? `${s.description} [from ${s.setBy}]` : s.description];
  });
  const head = ['key', 'type', 'valid', 'default', 'description'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [
    `${agentName}${description ? ` — ${description}` : ''}`,
    `Override with: ${commandLine('train', `${agentName} <env> --set key=value`)} (lists as JSON: --set hidden=[128,128])`,
    '',
    line(head),
    ...rows.map(line),
  ].join('\n');
}
