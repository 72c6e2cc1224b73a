/**
 * Exact dynamic programming on a known tabular model (Sutton & Barto, 2nd ed., chapter 4): iterative
 * policy evaluation, value iteration, and the greedy policy of a value function.
 *
 * The model is anything with `numStates`, `numActions`, `transitions(s, a)` and `isTerminal(s)`; a
 * `GridWorldEnv` (envs/gridworld.ts) is one. The model is copied once into flat typed arrays, so each sweep
 * is a plain loop.
 *
 * Conventions: terminal states have value 0 and are never updated; an outcome with `done: true` is not
 * bootstrapped. Sweeps update in place (Gauss–Seidel, the book's in-place variant) unless
 * `inPlace: false` (synchronous: every state uses the previous sweep's values, as in Figure 4.1's v_k).
 * Iteration stops when the largest change in a sweep is below `tol`.
 */
import { describeValue } from '../envs/core.js';
import { TsgymError } from '../core/errors.js';

/** One outcome of an action: probability, next state, reward, whether the episode ends there. */
export interface TabularTransition {
  readonly p: number;
  readonly next: number;
  readonly reward: number;
  readonly done: boolean;
}

export interface TabularModel {
  readonly numStates: number;
  readonly numActions: number;
  transitions(s: number, a: number): readonly TabularTransition[];
  isTerminal(s: number): boolean;
}

/**
 * A policy for {@link policyEvaluation}: either one action per state (e.g. the `policy` that
 * {@link valueIteration} returns) or `{probs}`, a numStates × numActions row-major table of action
 * probabilities (see {@link uniformRandomPolicy}).
 */
export type TabularPolicy = ArrayLike<number> | { readonly probs: ArrayLike<number> };

export interface PlanningOptions {
  /** Discount in [0, 1]; default 1 (undiscounted, which needs every followed policy to terminate). */
  gamma?: number;
  /** Stop when a sweep changes no value by more than this; default 1e-10. */
  tol?: number;
  /** Most sweeps; default 100 000. */
  maxIterations?: number;
  /** What to do when `maxIterations` is reached before `tol`: throw (default) or return with `converged: false`. */
  onMaxIterations?: 'throw' | 'return';
  /** Update values in place (default) or synchronously from the previous sweep. */
  inPlace?: boolean;
  /** Values to start from (default all 0); terminal states are held at 0 regardless. */
  initialValues?: ArrayLike<number>;
}

export interface PlanningResult {
  /** State values, indexed by state. */
  values: Float64Array;
  /** The greedy policy of `values`: per state the action with the highest q-value, ties to the lowest index. */
  policy: Int32Array;
  /** Sweeps performed. */
  iterations: number;
  /** Largest value change in the last sweep. */
  delta: number;
  converged: boolean;
}

/** Two q-values closer than this (relative to their size) count as a tie in the greedy policy. */
const TIE_TOLERANCE = 1e-9;

/** The model flattened: outcome k of (s, a) lives at `start[s * A + a] <= k < start[s * A + a + 1]`. */
interface FlatModel {
  numStates: number;
  numActions: number;
  start: Int32Array;
  p: Float64Array;
  next: Int32Array;
  reward: Float64Array;
  /** 0 when the outcome is terminal (no bootstrap), 1 otherwise. */
  cont: Float64Array;
  terminal: Uint8Array;
}

function flatten(model: TabularModel): FlatModel {
  const S = model.numStates;
  const A = model.numActions;
  if (!Number.isInteger(S) || S <= 0 || !Number.isInteger(A) || A <= 0) {
    throw new TsgymError(`planning: model needs positive integer numStates and numActions, got ${describeValue(S)} and ${describeValue(A)}`);
  }
  const start = new Int32Array(S * A + 1);
  const p: number[] = [];
  const next: number[] = [];
  const reward: number[] = [];
  const cont: number[] = [];
  const terminal = new Uint8Array(S);
  for (let s = 0; s < S; s++) {
    terminal[s] = model.isTerminal(s) ? 1 : 0;
    for (let a = 0; a < A; a++) {
      start[s * A + a] = p.length;
      if (terminal[s]) continue;
      let total = 0;
      for (const t of model.transitions(s, a)) {
        if (!(t.p >= 0) || !Number.isInteger(t.next) || t.next < 0 || t.next >= S || !Number.isFinite(t.reward)) {
          throw new TsgymError(`planning: transitions(${s}, ${a}) has a bad outcome ${describeValue(t)}; need p >= 0, next in [0, ${S - 1}], a finite reward`);
        }
        total += t.p;
        p.push(t.p);
        next.push(t.next);
        reward.push(t.reward);
        cont.push(t.done ? 0 : 1);
      }
      if (Math.abs(total - 1) > 1e-9) throw new TsgymError(`planning: transitions(${s}, ${a}) probabilities sum to ${total}, not 1`);
    }
  }
  start[S * A] = p.length;
  return { numStates: S, numActions: A, start, p: Float64Array.from(p), next: Int32Array.from(next), reward: Float64Array.from(reward), cont: Float64Array.from(cont), terminal };
}

interface ResolvedOptions {
  gamma: number;
  tol: number;
  maxIterations: number;
  onMaxIterations: 'throw' | 'return';
  inPlace: boolean;
}

function resolveOptions(fn: string, opts: PlanningOptions): ResolvedOptions {
  const gamma = opts.gamma ?? 1;
  const tol = opts.tol ?? 1e-10;
  const maxIterations = opts.maxIterations ?? 100_000;
  if (!(gamma >= 0 && gamma <= 1)) throw new TsgymError(`${fn}: gamma must be in [0, 1], got ${describeValue(gamma)}`);
  if (!(tol > 0)) throw new TsgymError(`${fn}: tol must be a positive number, got ${describeValue(tol)}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 0) throw new TsgymError(`${fn}: maxIterations must be a non-negative integer, got ${describeValue(maxIterations)}`);
  const onMaxIterations = opts.onMaxIterations ?? 'throw';
  if (onMaxIterations !== 'throw' && onMaxIterations !== 'return') throw new TsgymError(`${fn}: onMaxIterations must be 'throw' or 'return', got ${describeValue(onMaxIterations)}`);
  return { gamma, tol, maxIterations, onMaxIterations, inPlace: opts.inPlace ?? true };
}

function initialValues(fn: string, m: FlatModel, init: ArrayLike<number> | undefined): Float64Array {
  const v = new Float64Array(m.numStates);
  if (init) {
    if (init.length !== m.numStates) throw new TsgymError(`${fn}: initialValues has ${init.length} entries, the model has ${m.numStates} states`);
    for (let s = 0; s < m.numStates; s++) v[s] = m.terminal[s] ? 0 : init[s];
  }
  return v;
}

/** Expected one-step return of (s, a) under values `v`. */
function qOf(m: FlatModel, v: Float64Array, gamma: number, s: number, a: number): number {
  const k0 = m.start[s * m.numActions + a];
  const k1 = m.start[s * m.numActions + a + 1];
  let q = 0;
  for (let k = k0; k < k1; k++) q += m.p[k] * (m.reward[k] + gamma * m.cont[k] * v[m.next[k]]);
  return q;
}

/** Runs sweeps of `backup` until the largest change is below tol. */
function iterate(fn: string, m: FlatModel, o: ResolvedOptions, v: Float64Array, backup: (s: number, from: Float64Array) => number): { iterations: number; delta: number; converged: boolean } {
  const from = o.inPlace ? v : Float64Array.from(v);
  let iterations = 0;
  let delta = Infinity;
  while (iterations < o.maxIterations) {
    if (!o.inPlace) from.set(v);
    delta = 0;
    for (let s = 0; s < m.numStates; s++) {
      if (m.terminal[s]) continue;
      const nv = backup(s, from);
      const d = Math.abs(nv - v[s]);
      if (d > delta) delta = d;
      v[s] = nv;
    }
    iterations++;
    if (!Number.isFinite(delta)) throw new TsgymError(`${fn}: values diverged (non-finite) after ${iterations} sweeps`);
    if (delta < o.tol) return { iterations, delta, converged: true };
  }
  if (o.onMaxIterations === 'throw' && o.maxIterations > 0) {
    throw new TsgymError(
      `${fn}: no convergence after ${iterations} sweeps (last change ${delta}); with gamma = ${o.gamma}` +
        (o.gamma === 1 ? ' every policy followed must reach a terminal state — use gamma < 1 for a continuing task,' : '') +
        ' or raise maxIterations / tol, or pass onMaxIterations: "return" to get the partial values',
    );
  }
  return { iterations, delta, converged: false };
}

function greedyPolicy(m: FlatModel, v: Float64Array, gamma: number): Int32Array {
  const policy = new Int32Array(m.numStates);
  for (let s = 0; s < m.numStates; s++) {
    if (m.terminal[s]) continue;
    let best = 0;
    let bestQ = qOf(m, v, gamma, s, 0);
    for (let a = 1; a < m.numActions; a++) {
      const q = qOf(m, v, gamma, s, a);
      if (q > bestQ + TIE_TOLERANCE * Math.max(1, Math.abs(bestQ))) {
        best = a;
        bestQ = q;
      }
    }
    policy[s] = best;
  }
  return policy;
}

/** The equiprobable random policy of a model, as a `{probs}` table. */
export function uniformRandomPolicy(model: Pick<TabularModel, 'numStates' | 'numActions'>): { probs: Float64Array } {
  return { probs: new Float64Array(model.numStates * model.numActions).fill(1 / model.numActions) };
}

/** Policy as a row-major probability table, validated. */
function policyTable(fn: string, m: FlatModel, policy: TabularPolicy): Float64Array {
  const S = m.numStates;
  const A = m.numActions;
  const table = new Float64Array(S * A);
  if (policy && typeof policy === 'object' && 'probs' in policy) {
    const probs = policy.probs;
    if (probs.length !== S * A) throw new TsgymError(`${fn}: policy.probs has ${probs.length} entries; need numStates × numActions = ${S} × ${A} = ${S * A}, row-major`);
    for (let s = 0; s < S; s++) {
      let total = 0;
      for (let a = 0; a < A; a++) {
        const x = probs[s * A + a];
        if (!(x >= 0)) throw new TsgymError(`${fn}: policy.probs[${s * A + a}] = ${describeValue(x)} is not a probability`);
        table[s * A + a] = x;
        total += x;
      }
      if (!m.terminal[s] && Math.abs(total - 1) > 1e-9) throw new TsgymError(`${fn}: policy probabilities of state ${s} sum to ${total}, not 1`);
    }
    return table;
  }
  const actions = policy as ArrayLike<number>;
  if (!actions || typeof actions.length !== 'number' || actions.length !== S) {
    throw new TsgymError(`${fn}: policy must be one action per state (length ${S}) or {probs} with ${S * A} entries, got ${describeValue(policy)}`);
  }
  for (let s = 0; s < S; s++) {
    const a = actions[s];
    if (!Number.isInteger(a) || a < 0 || a >= A) throw new TsgymError(`${fn}: policy[${s}] = ${describeValue(a)} is not an action in [0, ${A - 1}]`);
    table[s * A + a] = 1;
  }
  return table;
}

/**
 * Iterative policy evaluation: v_π for a deterministic or stochastic policy. The returned `policy` is the
 * greedy policy of v_π (one step of policy improvement).
 */
export function policyEvaluation(model: TabularModel, policy: TabularPolicy, opts: PlanningOptions = {}): PlanningResult {
  const fn = 'policyEvaluation';
  const o = resolveOptions(fn, opts);
  const m = flatten(model);
  const pi = policyTable(fn, m, policy);
  const v = initialValues(fn, m, opts.initialValues);
  const A = m.numActions;
  const run = iterate(fn, m, o, v, (s, from) => {
    let nv = 0;
    for (let a = 0; a < A; a++) {
      const w = pi[s * A + a];
      if (w !== 0) nv += w * qOf(m, from, o.gamma, s, a);
    }
    return nv;
  });
  return { values: v, policy: greedyPolicy(m, v, o.gamma), ...run };
}

/** Value iteration: v* and a greedy optimal policy (ties to the lowest action index). */
export function valueIteration(model: TabularModel, opts: PlanningOptions = {}): PlanningResult {
  const fn = 'valueIteration';
  const o = resolveOptions(fn, opts);
  const m = flatten(model);
  const v = initialValues(fn, m, opts.initialValues);
  const A = m.numActions;
  const run = iterate(fn, m, o, v, (s, from) => {
    let best = -Infinity;
    for (let a = 0; a < A; a++) {
      const q = qOf(m, from, o.gamma, s, a);
      if (q > best) best = q;
    }
    return best;
  });
  return { values: v, policy: greedyPolicy(m, v, o.gamma), ...run };
}

/** q(s, a) = Σ p (r + γ v(s')) for every state and action, row-major numStates × numActions; terminal rows are 0. */
export function qValues(model: TabularModel, values: ArrayLike<number>, gamma = 1): Float64Array {
  const m = flatten(model);
  if (values.length !== m.numStates) throw new TsgymError(`qValues: values has ${values.length} entries, the model has ${m.numStates} states`);
  const v = Float64Array.from(values);
  const q = new Float64Array(m.numStates * m.numActions);
  for (let s = 0; s < m.numStates; s++) {
    if (m.terminal[s]) continue;
    for (let a = 0; a < m.numActions; a++) q[s * m.numActions + a] = qOf(m, v, gamma, s, a);
  }
  return q;
}

/** The greedy policy of `values` (ties to the lowest action index). */
export function greedyPolicyOf(model: TabularModel, values: ArrayLike<number>, gamma = 1): Int32Array {
  const m = flatten(model);
  if (values.length !== m.numStates) throw new TsgymError(`greedyPolicyOf: values has ${values.length} entries, the model has ${m.numStates} states`);
  return greedyPolicy(m, Float64Array.from(values), gamma);
}
