/**
 * Search spaces for hyperparameter tuning, written as Optuna's distributions are:
 *
 * ```ts
 * { lr:         { type: 'float', low: 1e-5, high: 1e-2, log: true },
 *   nSteps:     { type: 'int', low: 8, high: 2048, log: true },
 *   activation: { type: 'categorical', choices: ['tanh', 'relu'] } }
 * ```
 *
 * Ranges are inclusive. A log range samples uniformly in log space, so it needs low > 0. An int range holds
 * every integer from low to high (step 1). A categorical parameter's choices are unordered.
 *
 * `parseSpaceFlags` reads the CLI form (`--space lr=1e-5:1e-2:log`, `--space activation=tanh,relu`), and
 * `checkSpaceAgainstSchema` refuses a space an agent could not run (unknown keys, values its schema forbids).
 * Every problem is one line: a {@link TsgymError} naming the parameter, what it got and what is valid.
 */
import { TsgymError, closest } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { isValid, validText, type HyperparamSchema, type ParamSpec } from '../../agents/hyperparams.js';
import { commandLine } from '../../core/command-line.js';

export interface FloatParam {
  type: 'float';
  low: number;
  high: number;
  log?: boolean;
}

export interface IntParam {
  type: 'int';
  low: number;
  high: number;
  log?: boolean;
}

export type Choice = string | number | boolean;

export interface CategoricalParam {
  type: 'categorical';
  choices: readonly Choice[];
}

export type ParamDistribution = FloatParam | IntParam | CategoricalParam;

/** Parameter name → distribution. Key order is the order parameters are listed and sampled in. */
export type SearchSpace = Record<string, ParamDistribution>;

/** One point of a space: parameter name → value. */
export type Params = Record<string, Choice>;

const SPACE_HINT = "write a space as { key: { type: 'float' | 'int', low, high, log? } | { type: 'categorical', choices: [...] } }";

// ───────────────────────────── validation ─────────────────────────────

/** Throws a one-line {@link TsgymError} unless `space` is a valid, non-empty search space; returns it. */
export function validateSpace(space: unknown): SearchSpace {
  if (typeof space !== 'object' || space === null || Array.isArray(space)) {
    throw new TsgymError(`search space must be an object of parameter distributions, got ${Array.isArray(space) ? 'an array' : String(space)}`, { hint: SPACE_HINT });
  }
  const keys = Object.keys(space);
  if (keys.length === 0) throw new TsgymError('search space is empty: give at least one parameter to tune', { hint: SPACE_HINT });
  for (const key of keys) validateParam(key, (space as Record<string, unknown>)[key]);
  return space as SearchSpace;
}

function validateParam(key: string, d: unknown): void {
  if (typeof d !== 'object' || d === null) throw new TsgymError(`search space: '${key}' must be a distribution object, got ${String(d)}`, { hint: SPACE_HINT });
  const type = (d as { type?: unknown }).type;
  if (type === 'float' || type === 'int') {
    const { low, high, log } = d as { low: unknown; high: unknown; log?: unknown };
    const ok = type === 'int' ? (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) : (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    const what = type === 'int' ? 'an integer' : 'a finite number';
    if (!ok(low)) throw new TsgymError(`search space: '${key}' low must be ${what}, got ${String(low)}`);
    if (!ok(high)) throw new TsgymError(`search space: '${key}' high must be ${what}, got ${String(high)}`);
    if (log !== undefined && typeof log !== 'boolean') throw new TsgymError(`search space: '${key}' log must be true or false, got ${String(log)}`);
    if ((low as number) > (high as number)) throw new TsgymError(`search space: '${key}' range is inverted (low ${low} > high ${high})`);
    if (low === high) throw new TsgymError(`search space: '${key}' range is empty (low = high = ${low})`, { hint: 'to fix a parameter, leave it out of the space and set it with --set or a preset' });
    if (!Number.isFinite((high as number) - (low as number))) throw new TsgymError(`search space: '${key}' range [${low}, ${high}] is too wide to represent (high − low overflows)`);
    if (log && (low as number) <= 0) throw new TsgymError(`search space: '${key}' is log-scaled, so low must be > 0, got ${low}`);
    return;
  }
  if (type === 'categorical') {
    const choices = (d as { choices?: unknown }).choices;
    if (!Array.isArray(choices) || choices.length === 0) throw new TsgymError(`search space: '${key}' needs a non-empty list of choices`);
    const seen = new Set<string>();
    for (const c of choices) {
      if (!(typeof c === 'string' || typeof c === 'boolean' || (typeof c === 'number' && Number.isFinite(c)))) {
        throw new TsgymError(`search space: '${key}' choices must be strings, finite numbers or booleans, got ${JSON.stringify(c) ?? String(c)}`);
      }
      const id = JSON.stringify(c);
      if (seen.has(id)) throw new TsgymError(`search space: '${key}' lists the choice ${id} twice`);
      seen.add(id);
    }
    return;
  }
  throw new TsgymError(`search space: '${key}' has unknown type ${JSON.stringify(type) ?? String(type)}; use 'float', 'int' or 'categorical'`, { hint: SPACE_HINT });
}

/** Whether `value` lies in the distribution `d` (an integer for int ranges, one of the choices for categoricals). */
export function contains(d: ParamDistribution, value: unknown): boolean {
  if (d.type === 'categorical') return d.choices.some((c) => c === value);
  if (typeof value !== 'number' || !(value >= d.low && value <= d.high)) return false;
  return d.type === 'float' || Number.isInteger(value);
}

/** Throws unless `params` holds exactly the space's keys, each with a value inside its distribution. */
export function checkParams(space: SearchSpace, params: Record<string, unknown>, what = 'params'): Params {
  for (const key of Object.keys(space)) {
    if (!Object.hasOwn(params, key)) throw new TsgymError(`${what}: missing parameter '${key}'`);
    if (!contains(space[key], params[key])) throw new TsgymError(`${what}: '${key}' = ${JSON.stringify(params[key])} is outside its search space ${describeParam(space[key])}`);
  }
  for (const key of Object.keys(params)) if (!Object.hasOwn(space, key)) throw new TsgymError(`${what}: '${key}' is not in the search space`);
  return params as Params;
}

/** `float [1e-05, 0.01] log`, `int [8, 2048]`, `categorical {tanh, relu}`. */
export function describeParam(d: ParamDistribution): string {
  if (d.type === 'categorical') return `categorical {${d.choices.map(String).join(', ')}}`;
  return `${d.type} [${d.low}, ${d.high}]${d.log ? ' log' : ''}`;
}

// ───────────────────────────── uniform draws ─────────────────────────────

/**
 * A uniform draw from `d` (as Optuna's RandomSampler): floats uniform on [low, high] (in log space when log);
 * ints uniform on [low − ½, high + ½] (log space when log) and rounded, so every integer has its share of the
 * (log) line; categoricals uniform over the choices.
 */
export function sampleUniform(d: ParamDistribution, rng: Rng): Choice {
  if (d.type === 'categorical') return d.choices[rng.int(d.choices.length)];
  const [low, high] = d.type === 'int' ? [d.low - 0.5, d.high + 0.5] : [d.low, d.high];
  const x = d.log ? Math.exp(rng.uniform(Math.log(low), Math.log(high))) : rng.uniform(low, high);
  return d.type === 'int' ? clampInt(Math.round(x), d) : Math.min(Math.max(x, d.low), d.high);
}

export function clampInt(x: number, d: IntParam): number {
  return Math.min(Math.max(x, d.low), d.high);
}

// ───────────────────────────── the CLI form ─────────────────────────────

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER = /^[+-]?\d+$/;

function parseChoice(text: string, spec: ParamSpec | undefined): Choice {
  if (spec?.type === 'choice') return text;
  if (text === 'true' || text === 'false') return text === 'true';
  if (NUMBER.test(text)) return Number(text);
  return text;
}

/**
 * One `--space` flag: `key=low:high[:log]` (a float or int range; `:int` / `:float` force the type) or
 * `key=a,b,c` (categorical). With the agent's `schema`, a range over an integer hyperparameter is an int
 * range and categorical values are read as the schema's type; without it, a range whose bounds are both
 * written as integers is an int range.
 */
export function parseSpaceFlag(flag: string, schema?: HyperparamSchema<object>): [string, ParamDistribution] {
  const eq = flag.indexOf('=');
  const usage = 'write --space key=low:high[:log] for a range or --space key=a,b,c for choices';
  if (eq <= 0) throw new TsgymError(`--space ${flag}: expected key=low:high[:log] or key=a,b,c`, { hint: usage });
  const key = flag.slice(0, eq).trim();
  const body = flag.slice(eq + 1).trim();
  const spec = schema ? (schema.params as Record<string, ParamSpec>)[key] : undefined;
  if (body === '') throw new TsgymError(`--space ${flag}: no range or choices after '='`, { hint: usage });
  if (body.includes(':')) {
    const [lowText, highText, ...flags] = body.split(':').map((s) => s.trim());
    for (const [name, text] of [
      ['low', lowText],
      ['high', highText],
    ] as const) {
      if (text === undefined || !NUMBER.test(text)) throw new TsgymError(`--space ${flag}: ${name} must be a number, got '${text ?? ''}'`, { hint: usage });
    }
    let log = false;
    let type: 'int' | 'float' | undefined;
    for (const f of flags) {
      if (f === 'log') log = true;
      else if (f === 'int' || f === 'float') type = f;
      else throw new TsgymError(`--space ${flag}: unknown range flag '${f}' (valid: log, int, float)`, { hint: usage });
    }
    type ??= spec ? (spec.type === 'integer' ? 'int' : 'float') : INTEGER.test(lowText) && INTEGER.test(highText) ? 'int' : 'float';
    const d: ParamDistribution = { type, low: Number(lowText), high: Number(highText), ...(log ? { log } : {}) };
    validateParam(key, d);
    return [key, d];
  }
  const choices = body.split(',').map((s) => s.trim());
  if (choices.some((c) => c === '')) throw new TsgymError(`--space ${flag}: empty choice in the list`, { hint: usage });
  const d: ParamDistribution = { type: 'categorical', choices: choices.map((c) => parseChoice(c, spec)) };
  validateParam(key, d);
  return [key, d];
}

/** Every `--space` flag into one space (a key given twice is refused), validated. */
export function parseSpaceFlags(flags: readonly string[], schema?: HyperparamSchema<object>): SearchSpace {
  const space: SearchSpace = {};
  for (const flag of flags) {
    const [key, d] = parseSpaceFlag(flag, schema);
    if (Object.hasOwn(space, key)) throw new TsgymError(`--space: '${key}' is given twice`);
    space[key] = d;
  }
  return validateSpace(space);
}

/** `base` with the keys of `overrides` replaced (the agent's default space under the user's `--space` flags). */
export function mergeSpaces(base: SearchSpace, overrides: SearchSpace): SearchSpace {
  return validateSpace({ ...base, ...overrides });
}

// ───────────────────────────── against an agent's schema ─────────────────────────────

/**
 * Refuses a space the agent cannot run: a key its schema does not have (with "did you mean"), a key the
 * harness sets from a run flag, a range over a non-numeric key, a float range over an integer key, and a
 * bound or choice the schema forbids. Cross-key constraints (the schema's `check`) depend on the values
 * sampled together; a trial that breaks one fails and is recorded as failed.
 */
export function checkSpaceAgainstSchema(agentName: string, space: SearchSpace, schema: HyperparamSchema<object>): void {
  const params = schema.params as Record<string, ParamSpec>;
  const hint = `\`${commandLine('hyperparams', agentName)}\` lists every key with its valid values`;
  for (const [key, d] of Object.entries(space)) {
    if (!Object.hasOwn(params, key)) {
      const near = closest(key, Object.keys(params));
      throw new TsgymError(`${agentName}: unknown hyperparameter '${key}' in the search space${near ? ` (did you mean ${near}?)` : ''}`, { hint });
    }
    const spec = params[key];
    if (spec.setBy) throw new TsgymError(`${agentName}: '${key}' is set from ${spec.setBy}; it cannot be tuned through the search space`, { hint });
    const values: unknown[] = d.type === 'categorical' ? [...d.choices] : [d.low, d.high];
    if (d.type !== 'categorical') {
      if (spec.type !== 'number' && spec.type !== 'integer') throw new TsgymError(`${agentName}: '${key}' is ${validText(spec)}; give it choices (key=a,b), not a range`, { hint });
      if (spec.type === 'integer' && d.type === 'float') throw new TsgymError(`${agentName}: '${key}' is an integer hyperparameter; use an int range, not a float range`, { hint });
    }
    for (const v of values) {
      if (!isValid(spec, v)) throw new TsgymError(`${agentName}: search space for '${key}' (${describeParam(d)}) includes ${JSON.stringify(v)}, but '${key}' must be ${validText(spec)}`, { hint });
    }
  }
}
