/**
 * `checkEnv(env)`: checks that an env keeps the API contract, as Gymnasium's env checker does. Findings come
 * in two kinds:
 *   - errors: what breaks training or reproducibility (spaces, observation shapes and dtypes, reset/step
 *     results, seeding that is not deterministic, a snapshot that does not restore the env); `checkEnv`
 *     throws one error listing them;
 *   - warnings: hardening a correct env can do without (rejecting invalid actions, validating what
 *     `setState` is given); `checkEnv` returns them.
 * A finding repeated over many inputs is one line, listing the inputs. Use it on every new env (the tests run
 * it on all registered ids; `--env-module` runs it on every env a module registers).
 */
import { TsgymError } from '../core/errors.js';
import type { Action, Env, StepResult } from './core.js';
import { Rng } from '../core/rng.js';
import { Box, Discrete, type Space } from './spaces.js';

export interface CheckEnvOptions {
  /** Steps to take with random actions (episodes are reset as they end). */
  steps?: number;
  seed?: number;
}

/** What the checker found: errors (the env cannot be trained on reliably) and warnings (hardening). */
export interface EnvFindings {
  errors: string[];
  warnings: string[];
}

export class EnvCheckError extends TsgymError {
  override name = 'EnvCheckError';
  constructor(readonly problems: string[], id: string) {
    super(`${id} fails the env checker (${problems.length} ${problems.length === 1 ? 'error' : 'errors'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      hint: 'each line names what the env API expects (envs/core.ts); `checkEnv(env)` from tsgym runs the same checks',
    });
  }
}

type AnyEnv = Env<Float32Array, Action>;

/**
 * Collects findings; the same finding over several inputs (e.g. each malformed snapshot) becomes one line
 * with the inputs in parentheses.
 */
class Findings {
  private readonly lines = new Map<string, { severity: 'error' | 'warning'; details: string[] }>();

  error(msg: string, detail?: string): void {
    this.add('error', msg, detail);
  }

  warning(msg: string, detail?: string): void {
    this.add('warning', msg, detail);
  }

  get errorCount(): number {
    return [...this.lines.values()].filter((l) => l.severity === 'error').length;
  }

  private add(severity: 'error' | 'warning', msg: string, detail?: string): void {
    const line = this.lines.get(msg) ?? { severity, details: [] };
    if (detail !== undefined && !line.details.includes(detail)) line.details.push(detail);
    this.lines.set(msg, line);
  }

  result(): EnvFindings {
    const out: EnvFindings = { errors: [], warnings: [] };
    for (const [msg, { severity, details }] of this.lines) {
      const text = details.length ? `${msg}: ${details.join('; ')}` : msg;
      (severity === 'error' ? out.errors : out.warnings).push(text);
    }
    return out;
  }
}

/** Errors and warnings of `env` (both empty when it passes). */
export function inspectEnv(env: AnyEnv, opts: CheckEnvOptions = {}): EnvFindings {
  const steps = opts.steps ?? 1000;
  const seed = opts.seed ?? 123;
  const f = new Findings();
  const problem = (msg: string) => f.error(msg);

  // Spaces.
  const obsSpace = env.observationSpace;
  const actSpace = env.actionSpace;
  if (!(obsSpace instanceof Box || obsSpace instanceof Discrete)) problem('observationSpace is not a Box or Discrete');
  if (!(actSpace instanceof Box || actSpace instanceof Discrete)) problem('actionSpace is not a Box or Discrete');
  if (f.errorCount) return f.result();
  for (const [name, space] of [['observationSpace', obsSpace], ['actionSpace', actSpace]] as const) {
    try {
      JSON.stringify(space.toJSON());
    } catch (e) {
      problem(`${name}.toJSON() is not JSON-able: ${(e as Error).message}`);
    }
  }
  if (actSpace instanceof Box && !actSpace.isBounded()) problem('a Box action space should be bounded');

  // Reset.
  const first = safe(() => env.reset({ seed }), 'reset({seed})', problem);
  if (!first) return f.result();
  checkObs(obsSpace, first.obs, 'reset', problem);
  if (!isPlainObject(first.info)) problem('reset() info must be a plain object');
  checkRenderState(env, problem);

  // Determinism under a seed: the same seed and actions give the same trajectory, bit for bit.
  const a = rollout(env, seed, steps, problem);
  const b = rollout(env, seed, steps, problem);
  if (a && b) {
    const same = a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
    if (!same) problem(`two rollouts with reset({seed: ${seed}}) and the same actions differ: reset/step must be deterministic under a seed (draw every random number from the env's seeded stream, never Math.random)`);
  }
  // Unseeded reset continues the stream: seeded reset then reset() twice gives the same second observation.
  const c1 = safe(() => { env.reset({ seed: seed + 1 }); return Array.from(toArray(env.reset().obs)); }, 'reset()', problem);
  const c2 = safe(() => { env.reset({ seed: seed + 1 }); return Array.from(toArray(env.reset().obs)); }, 'reset()', problem);
  if (c1 && c2 && !c1.every((v, i) => Object.is(v, c2[i]))) problem('reset() without a seed after reset({seed}) is not reproducible: it must continue the seeded stream');

  // Invalid actions should be rejected with an error, without corrupting the env (agents only send valid
  // ones, so this is hardening).
  env.reset({ seed });
  for (const bad of invalidActions(actSpace)) {
    let threw = false;
    try {
      env.step(bad as Action);
    } catch (e) {
      threw = true;
      if (!(e instanceof Error) || !e.message) f.warning('invalid actions threw something without a message', describe(bad));
    }
    if (!threw) {
      f.warning(`step() accepted invalid actions; it should reject actions outside ${actSpace} (assertAction from tsgym does it)`, describe(bad));
      env.reset({ seed });
    }
  }

  // Snapshots (optional API): a JSON round trip restores exactly; malformed snapshots should be refused with
  // a TsgymError and leave the env as it was.
  const inner = env.unwrapped;
  if (inner.getState && inner.setState) checkSnapshots(inner, actSpace, seed, f);

  // close() twice is safe.
  safe(() => { env.close(); env.close(); return true; }, 'close() twice', (m) => f.warning(m));
  return f.result();
}

/** Every finding, errors first then warnings (empty when the env passes cleanly). */
export function findEnvProblems(env: AnyEnv, opts: CheckEnvOptions = {}): string[] {
  const { errors, warnings } = inspectEnv(env, opts);
  return [...errors, ...warnings];
}

/**
 * Throws an {@link EnvCheckError} listing every error; otherwise returns the warnings (empty when the env
 * passes cleanly).
 */
export function checkEnv(env: AnyEnv, opts: CheckEnvOptions = {}): string[] {
  const { errors, warnings } = inspectEnv(env, opts);
  if (errors.length) throw new EnvCheckError(errors, env.spec?.id ?? env.constructor.name);
  return warnings;
}

function checkSnapshots(env: AnyEnv, actSpace: Space, seed: number, f: Findings): void {
  const problem = (msg: string) => f.error(msg);
  const rng = new Rng(seed + 7);
  env.reset({ seed });
  for (let t = 0; t < 5; t++) if (!takeStep(env, actSpace, rng)) env.reset();
  const snap = safe(() => JSON.stringify(env.getState!()), 'getState()', problem);
  if (snap === undefined) return;
  const probe = sampleAction(actSpace, new Rng(seed + 8));
  const next = safe(() => Array.from(toArray(env.step(probe).obs)), 'step() after getState()', problem);
  const restored = safe(() => { env.setState!(JSON.parse(snap)); return Array.from(toArray(env.step(probe).obs)); }, 'setState(getState())', problem);
  if (next && restored && !next.every((v, i) => Object.is(v, restored[i]))) problem('setState(JSON round trip of getState()) does not restore the env exactly');
  const restore = () => safe(() => env.setState!(JSON.parse(snap)), 'setState(getState())', problem);
  restore();
  for (const [what, bad] of snapshotMutants(JSON.parse(snap))) {
    try {
      env.setState!(bad);
      f.warning('setState() accepted malformed snapshots; it should check what it is given (StateReader from tsgym does it)', what);
    } catch (e) {
      if (!(e instanceof TsgymError)) f.warning('setState() threw something other than a TsgymError naming the env for malformed snapshots', `${what}: ${(e as Error)?.name ?? String(e)}`);
    }
    let now: string | undefined;
    try {
      now = JSON.stringify(env.getState!());
    } catch {
      now = undefined;
    }
    if (now !== snap) {
      f.warning('setState() with a malformed snapshot changed the env; check every field before assigning any', what);
      restore();
    }
  }
}

function sampleAction(space: Space, rng: Rng): Action {
  return space.sample(rng) as Action;
}

/** One random step; false when the episode ended. */
function takeStep(env: AnyEnv, space: Space, rng: Rng): boolean {
  const r = env.step(sampleAction(space, rng));
  return !(r.terminated || r.truncated);
}

/** Snapshots a careful setState must refuse: not an object, and each number or number list broken in turn. */
function snapshotMutants(snap: unknown): [string, unknown][] {
  const out: [string, unknown][] = [['null', null], ['a string', 'state'], ['an array', [1, 2, 3]]];
  if (!isPlainObject(snap)) return out;
  const obj = snap as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number') {
      out.push([`${k}: NaN`, { ...obj, [k]: Number.NaN }], [`${k}: a string`, { ...obj, [k]: 'x' }]);
    } else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) {
      out.push([`${k}: one entry short`, { ...obj, [k]: v.slice(0, -1) }], [`${k}: one entry too many`, { ...obj, [k]: [...v, 0] }], [`${k}[0]: NaN`, { ...obj, [k]: [Number.NaN, ...v.slice(1)] }]);
    }
  }
  return out;
}

function rollout(env: AnyEnv, seed: number, steps: number, problem: (m: string) => void): number[] | undefined {
  const rng = new Rng(seed);
  const trace: number[] = [];
  const r0 = safe(() => env.reset({ seed }), 'reset', problem);
  if (!r0) return undefined;
  trace.push(...toArray(r0.obs));
  for (let t = 0; t < steps; t++) {
    const action = env.actionSpace.sample(rng) as Action;
    const r = safe(() => env.step(action), 'step', problem);
    if (!r) return undefined;
    if (!checkStep(env, r, problem)) return undefined;
    trace.push(...toArray(r.obs), r.reward, Number(r.terminated), Number(r.truncated));
    if (r.terminated || r.truncated) {
      const rr = safe(() => env.reset(), 'reset', problem);
      if (!rr) return undefined;
      trace.push(...toArray(rr.obs));
    }
  }
  return trace;
}

function checkStep(env: AnyEnv, r: StepResult<Float32Array>, problem: (m: string) => void): boolean {
  let ok = true;
  if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) {
    problem(`step() reward must be a finite number, got ${String(r.reward)}`);
    ok = false;
  }
  if (typeof r.terminated !== 'boolean' || typeof r.truncated !== 'boolean') {
    problem('step() terminated and truncated must be booleans');
    ok = false;
  }
  if (!isPlainObject(r.info)) {
    problem('step() info must be a plain object');
    ok = false;
  }
  if (!checkObs(env.observationSpace, r.obs, 'step', problem)) ok = false;
  return ok;
}

function checkObs(space: Space, obs: unknown, where: string, problem: (m: string) => void): boolean {
  if (space instanceof Box && !(obs instanceof Float32Array)) {
    problem(`${where}() obs must be a Float32Array for a Box space, got ${describe(obs)}`);
    return false;
  }
  if (!space.contains(obs)) {
    problem(`${where}() obs ${describe(obs)} is not inside the observation space ${space}`);
    return false;
  }
  return true;
}

function checkRenderState(env: AnyEnv, problem: (m: string) => void): void {
  const s = safe(() => env.renderState(), 'renderState()', problem);
  if (!s) return;
  if (typeof s.kind !== 'string' || !s.kind) problem("renderState() must have a string 'kind' naming the scene");
  try {
    const round = JSON.parse(JSON.stringify(s));
    if (JSON.stringify(round) !== JSON.stringify(s)) problem('renderState() does not survive a JSON round trip');
  } catch (e) {
    problem(`renderState() is not JSON-able: ${(e as Error).message}`);
  }
}

function invalidActions(space: Space): unknown[] {
  if (space instanceof Discrete) return [space.start - 1, space.start + space.n, space.start + 0.5, NaN, String(space.start), null, undefined, [space.start]];
  const wrongLen = new Float32Array(space.size + 1);
  const nan = new Float32Array(space.size).fill(NaN);
  const out: unknown[] = [wrongLen, nan, 0, null];
  if (space.isBounded()) {
    const above = Float32Array.from(space.high, (v) => v + 1);
    out.push(above);
  }
  return out;
}

function safe<T>(fn: () => T, what: string, problem: (m: string) => void): T | undefined {
  try {
    return fn();
  } catch (e) {
    problem(`${what} threw: ${(e as Error).message}`);
    return undefined;
  }
}

function toArray(obs: unknown): number[] {
  if (typeof obs === 'number') return [obs];
  return Array.from(obs as ArrayLike<number>);
}

function isPlainObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

function describe(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}[${Array.from(x as unknown as ArrayLike<number>).join(', ')}]`;
  if (Array.isArray(x)) return `an Array [${x.map((v) => describe(v)).join(', ')}]`;
  return typeof x === 'string' ? `'${x}'` : String(x);
}
