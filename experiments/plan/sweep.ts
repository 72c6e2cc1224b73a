/**
 * Planning a hyperparameter sweep: one agent on one env, a set of configurations (a grid, or N random draws
 * from ranges), each trained over the same seeds. The configurations become the request's groups, so a
 * sweep runs, resumes, queues and reports exactly like a comparison (the report ranks the groups by IQM).
 *
 * Random draws come from a stream seeded by the sweep seed (never Math.random), so the same command plans
 * the same configurations, and a resumed sweep is recognised as the same request.
 */
import { agentRegistration, assertAgentSupports } from '../../agents/registry.js';
import { TsgymError } from '../../core/errors.js';
import { make, registration } from '../../envs/registry.js';
import { Rng } from '../../core/rng.js';
import { loadedEnvModules } from '../env-modules.js';
import { agentEnvWithFile } from '../run-spec.js';
import { stableStringify } from '../../core/stable-json.js';
import { checkCommonOptions, planGroup, sharedBudget, type CompareOptions } from './request.js';
import { type ComparisonRequest } from '../../formats/comparison.js';

/** The most configurations one sweep plans (a grid's product, or --random N): beyond it, split the sweep. */
export const MAX_SWEEP_CONFIGS = 1000;

/** A sampled dimension: `lr=1e-4:1e-2:log`, `gamma=0.9:0.999`, `nSteps=1:5:int`. */
export interface SweepRange {
  key: string;
  low: number;
  high: number;
  scale: 'lin' | 'log' | 'int';
}

export interface SweepOptions extends Omit<CompareOptions, 'agents' | 'sets'> {
  agent: string;
  /** Listed values per key (`--grid lr=1e-3,5e-4`), in flag order. */
  grid: { key: string; values: unknown[] }[];
  /** Sampled keys (`--range lr=1e-4:1e-2:log`): only with `random`. */
  ranges: SweepRange[];
  /** Number of random configurations (ranges sampled, grid keys drawn from their lists); absent: the full grid. */
  random?: number;
  /** Seed of the random draws (default 0). */
  sweepSeed?: number;
  /** Hyperparameters set in every configuration (`--set key=value`). */
  sets?: Record<string, unknown>;
}

/** Splits `a,[1,2],{"x":1}` at top-level commas, and parses each value as JSON when it parses (else a string). */
export function parseValueList(text: string): unknown[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '').map((p) => {
    try {
      return JSON.parse(p) as unknown;
    } catch {
      return p;
    }
  });
}

/** `--grid lr=1e-3,5e-4` → { key: 'lr', values: [0.001, 0.0005] }. */
export function parseGrid(flag: string): { key: string; values: unknown[] } {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new TsgymError(`--grid expects key=value1,value2, got '${flag}' (e.g. --grid lr=1e-3,5e-4)`);
  const values = parseValueList(flag.slice(eq + 1));
  if (!values.length) throw new TsgymError(`--grid ${flag}: no values (e.g. --grid lr=1e-3,5e-4)`);
  const texts = values.map(stableStringify);
  const dup = texts.findIndex((t, i) => texts.indexOf(t) !== i);
  if (dup >= 0) throw new TsgymError(`--grid ${flag}: the value ${texts[dup]} is listed twice; each configuration is trained once`);
  return { key: flag.slice(0, eq).trim(), values };
}

/** `--range lr=1e-4:1e-2:log` → { key: 'lr', low: 1e-4, high: 1e-2, scale: 'log' }. */
export function parseRange(flag: string): SweepRange {
  const m = /^\s*([^=\s]+)\s*=\s*([^:]+):([^:]+)(?::(lin|log|int))?\s*$/.exec(flag);
  const low = m ? Number(m[2]) : NaN;
  const high = m ? Number(m[3]) : NaN;
  if (!m || !Number.isFinite(low) || !Number.isFinite(high)) throw new TsgymError(`--range expects key=low:high[:lin|log|int], got '${flag}' (e.g. --range lr=1e-4:1e-2:log)`);
  const scale = (m[4] ?? 'lin') as SweepRange['scale'];
  if (!(low < high)) throw new TsgymError(`--range ${flag}: low must be below high`);
  if (scale === 'log' && low <= 0) throw new TsgymError(`--range ${flag}: a log range needs a positive low end`);
  if (scale === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) throw new TsgymError(`--range ${flag}: an int range needs integer ends`);
  return { key: m[1], low, high, scale };
}

function sample(r: SweepRange, rng: Rng): number {
  const u = rng.random();
  if (r.scale === 'log') return Number(Math.exp(Math.log(r.low) + u * (Math.log(r.high) - Math.log(r.low))).toPrecision(4));
  if (r.scale === 'int') return r.low + Math.floor(u * (r.high - r.low + 1));
  return Number((r.low + u * (r.high - r.low)).toPrecision(4));
}

/** A filesystem- and URL-safe name for a configuration: `lr=0.001+hidden=64x64`. */
export function configName(params: Record<string, unknown>): string {
  const text = Object.entries(params)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('x') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('+');
  return text.replace(/[^A-Za-z0-9.=+_-]/g, '_') || 'defaults';
}

/** The configurations of a sweep, in order. */
export function sweepConfigs(o: Pick<SweepOptions, 'grid' | 'ranges' | 'random' | 'sweepSeed'>): Record<string, unknown>[] {
  const keys = [...o.grid.map((g) => g.key), ...o.ranges.map((r) => r.key)];
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new TsgymError(`the sweep names ${dup} twice (in --grid or --range)`);
  if (o.random === undefined) {
    if (o.ranges.length) throw new TsgymError('--range needs --random N (how many configurations to draw)');
    if (!o.grid.length) throw new TsgymError('nothing to sweep: pass --grid key=v1,v2 (or --random N with --range key=low:high)');
    const size = o.grid.reduce((n, g) => n * g.values.length, 1);
    if (size > MAX_SWEEP_CONFIGS) throw new TsgymError(`the grid has ${size} configurations, more than the ${MAX_SWEEP_CONFIGS} one sweep plans; shorten the lists or draw a sample with --random N`);
    let configs: Record<string, unknown>[] = [{}];
    for (const g of o.grid) configs = configs.flatMap((c) => g.values.map((v) => ({ ...c, [g.key]: v })));
    return configs;
  }
  if (!Number.isInteger(o.random) || o.random <= 0) throw new TsgymError(`--random must be a positive integer, got ${o.random}`);
  if (o.random > MAX_SWEEP_CONFIGS) throw new TsgymError(`--random ${o.random} is more than the ${MAX_SWEEP_CONFIGS} configurations one sweep plans; split it into several sweeps`);
  if (!o.grid.length && !o.ranges.length) throw new TsgymError('--random N needs something to draw: --range key=low:high[:log] or --grid key=v1,v2');
  const rng = new Rng(`sweep/${o.sweepSeed ?? 0}`);
  return Array.from({ length: o.random }, () => {
    const c: Record<string, unknown> = {};
    for (const g of o.grid) c[g.key] = g.values[Math.floor(rng.random() * g.values.length)];
    for (const r of o.ranges) c[r.key] = sample(r, rng);
    return c;
  });
}

/** Validates the sweep and resolves every configuration: the request recorded in comparison.json. */
export function planSweep(o: SweepOptions): ComparisonRequest {
  const reg = registration(o.env);
  const agent = agentRegistration(o.agent).name;
  agentEnvWithFile(agent, reg.id, o.presetFile, o.presetFileName);
  checkCommonOptions(o);
  if (o.sweepSeed !== undefined && (!Number.isInteger(o.sweepSeed) || o.sweepSeed < 0)) throw new TsgymError(`--sweep-seed must be a non-negative integer, got ${o.sweepSeed}`);
  const probe = make(reg.id, o.envKwargs ?? {});
  assertAgentSupports(agent, probe.actionSpace, reg.id);
  probe.close();
  const configs = sweepConfigs(o);
  const groups: string[] = [];
  const plans: ComparisonRequest['plans'] = {};
  const params: Record<string, Record<string, unknown>> = {};
  configs.forEach((c, i) => {
    let name = o.random !== undefined ? `r${String(i).padStart(String(configs.length - 1).length, '0')}+${configName(c)}` : configName(c);
    if (name.length > 80) name = `c${i}`;
    if (groups.includes(name)) name = `${name}+${i}`;
    for (const key of Object.keys(c)) if (o.sets && key in o.sets) throw new TsgymError(`--set ${key} conflicts with the sweep over ${key}; drop one of them`);
    let plan;
    try {
      plan = planGroup(o, reg.id, agent, { ...(o.sets ?? {}), ...c });
    } catch (e) {
      throw new TsgymError(`configuration ${name}: ${(e as Error).message}`);
    }
    groups.push(name);
    plans[name] = { ...plan, agent };
    params[name] = c;
  });
  return {
    env: reg.id,
    agents: groups,
    seeds: o.seeds.slice(),
    steps: sharedBudget(o, reg.id, [agent]),
    backend: o.backend ?? 'auto',
    envModules: loadedEnvModules(),
    plans,
    sweep: { agent, params, method: o.random !== undefined ? 'random' : 'grid', ...(o.random !== undefined ? { sweepSeed: o.sweepSeed ?? 0 } : {}) },
  };
}
