/**
 * The run spec: everything that decides a run's results, resolved once and then carried as data (to the
 * trainer, into config.json, to child processes and queue jobs as versioned JSON, to the browser's trainer).
 *
 * `RUN_FIELDS` declares every run field once: its key, its CLI flag, its help, where its default comes from
 * (the preset, or a fixed value) and its check. The flags of train, compare and sweep, the `--resume`
 * conflict checks, config.json's fields and the planning of comparisons and sweeps are all derived from it;
 * `resolveRunSpecOn` is the one place that applies defaults and checks.
 *
 * Layers, lowest first: the agent's hyperparameter defaults, the (agent, env) preset (or a `--preset FILE`
 * laid over it), the flags.
 *
 * Pure (no Node module): Node (experiments/run-spec.ts adds the file readers, the yargs flags, the
 * process's env modules, code fingerprint and memory) and the browser's trainer resolve runs with it.
 */
import { BACKENDS, type BackendChoice } from '../agents/backend.js';
import { agentRegistration, assertAgentSupports, resolveHyperparams } from '../agents/registry.js';
import { TsgymError } from '../core/errors.js';
import { MAX_SEED, validateSeed } from '../core/seeds.js';
import { flatDim } from '../envs/spaces.js';
import { make, registration } from '../envs/registry.js';
import type { RunConfig } from './run-format.js';

/** Format tag and version of a run spec travelling as JSON (`train --spec FILE|-`, queue jobs). */
export const RUN_SPEC_FORMAT = 'tsgym-run-spec';
export const RUN_SPEC_VERSION = 1;

/** A preset: what `npm run train:<agent> <env>` uses with no other flag (experiments/presets.ts has the table). */
export interface RunPreset {
  /** Total env steps (summed over the vector envs). */
  totalSteps: number;
  numEnvs: number;
  /** Env steps between greedy evaluations. */
  evalEvery: number;
  evalEpisodes: number;
  /** Stop as soon as a greedy evaluation reaches the env's reward threshold. */
  stopWhenSolved: boolean;
  /** Env steps between checkpoints. */
  checkpointEvery: number;
  envKwargs: Record<string, unknown>;
  hyperparams: Record<string, unknown>;
  /**
   * The greedy-eval mean that counts as solved, for envs registered without a reward threshold (Gymnasium's
   * Pendulum-v1 has none; the usual mark is −200). Unset: the env's registered threshold.
   */
  rewardThreshold?: number;
}

/** A loaded env module as a run records it. */
export interface EnvModuleRef {
  /** Absolute path of the module file. */
  path: string;
  /** sha256 (hex) of the file's bytes when the run started. */
  sha256: string;
  /** The env ids its import registered. */
  envIds: string[];
}

/** The code that resolved a run (experiments/fingerprint.ts computes it). */
export interface CodeFingerprint {
  /** tsgym's package.json version. */
  version: string;
  /** sha256 over the source files that run (relative path and bytes, in path order). */
  source: string;
  /** sha256 of package-lock.json, or null when there is none (an installed package). */
  lockfile: string | null;
}

/** A resolved run: every field filled in and checked. */
export interface RunSpec {
  agent: string;
  /** The canonical env id. */
  env: string;
  seed: number;
  totalSteps: number;
  numEnvs: number;
  evalEvery: number;
  evalEpisodes: number;
  recordEpisodes: number;
  checkpointEvery: number;
  logEvery: number;
  stopWhenSolved: boolean;
  /** The greedy-eval mean that counts as solved: the flag's, else the preset's, else the env's, else none. */
  rewardThreshold: number | null;
  envKwargs: Record<string, unknown>;
  /** Every hyperparameter: the agent's defaults, the preset's, then the overrides (the budget aside). */
  hyperparams: Record<string, unknown>;
  backend: BackendChoice;
  /** User env modules loaded when the run was resolved (path and sha256): reloaded wherever the run goes. */
  envModules: EnvModuleRef[];
  /** The code that resolved the run; a worker with other code refuses it. Null in the browser. */
  fingerprint: CodeFingerprint | null;
}

/** The JSON document of a spec that travels to another process. */
export interface RunSpecDocument extends RunSpec {
  format: typeof RUN_SPEC_FORMAT;
  version: typeof RUN_SPEC_VERSION;
}

/** The fields a flag (or a preset file) may set; undefined = not given. */
export interface RunFlags {
  seed?: number;
  totalSteps?: number;
  numEnvs?: number;
  evalEvery?: number;
  evalEpisodes?: number;
  recordEpisodes?: number;
  checkpointEvery?: number;
  logEvery?: number;
  stopWhenSolved?: boolean;
  rewardThreshold?: number;
  /** Laid over the preset's. */
  envKwargs?: Record<string, unknown>;
  /** Laid over the preset's. */
  hyperparams?: Record<string, unknown>;
  backend?: BackendChoice;
  /** Default: every module loaded in this process (loadedEnvModules()). */
  envModules?: EnvModuleRef[];
}

/** The commands whose flags derive from the fields. */
export type RunCommand = 'train' | 'compare' | 'sweep';

export type FieldKey = Exclude<keyof RunFlags, 'envModules'>;

/**
 * How a flag given with `--resume` is treated: `equal` must match the run, `extend` may also exceed it (the
 * budget), `free` may change (when to stop, not what was computed).
 */
export type ResumeRule = 'equal' | 'extend' | 'free';

export interface RunField {
  key: FieldKey;
  /** The CLI flag without dashes. */
  flag: string;
  describe: string;
  /** Where the default comes from: a preset field, or a fixed value (undefined: set by the command). */
  default: { preset: keyof RunPreset } | { fixed: unknown };
  /** yargs type: `assignments` is a repeatable key=value list. */
  type: 'number' | 'boolean' | 'assignments' | 'backend' | 'seed';
  /** Throws a one-line TsgymError for a bad value (`flag` as the user should see it). */
  check?: (flag: string, value: never) => void;
  resume: ResumeRule;
  /** The config.json key holding this field, when not `key`. */
  configKey?: keyof RunConfig;
  /** Commands that do not take the flag. */
  notIn?: RunCommand[];
}

export function positiveInt(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new TsgymError(`${flag} must be a positive integer, got ${v}`);
}

export function nonNegativeInt(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new TsgymError(`${flag} must be a non-negative integer, got ${v}`);
}

export function finiteNumber(flag: string, v: number | undefined): void {
  if (v !== undefined && !Number.isFinite(v)) throw new TsgymError(`${flag} must be a finite number, got ${v}`);
}

function plainObject(flag: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) throw new TsgymError(`${flag} must be an object of key: value pairs`);
}

function backendChoice(flag: string, v: unknown): void {
  if (v !== undefined && !(BACKENDS as readonly unknown[]).includes(v)) throw new TsgymError(`${flag} must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(v)}`);
}

function boolean(flag: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new TsgymError(`${flag} must be true or false, got ${JSON.stringify(v)}`);
}

/** Every run field, in config.json order. */
export const RUN_FIELDS: readonly RunField[] = [
  { key: 'seed', flag: 'seed', type: 'seed', default: { fixed: 0 }, resume: 'equal', notIn: ['compare', 'sweep'], check: (f, v: number) => validateSeed(v, f), describe: 'Run seed, an integer from 0 to 2^53 − 1: every random stream (envs, init, exploration, sampling) is hashed from it' },
  { key: 'totalSteps', flag: 'steps', type: 'number', default: { preset: 'totalSteps' }, resume: 'extend', check: positiveInt, describe: 'Total env steps' },
  { key: 'numEnvs', flag: 'envs', type: 'number', default: { preset: 'numEnvs' }, resume: 'equal', check: positiveInt, describe: 'Parallel envs in the vector env' },
  { key: 'evalEvery', flag: 'eval-every', type: 'number', default: { preset: 'evalEvery' }, resume: 'equal', check: positiveInt, describe: 'Env steps between greedy evaluations' },
  { key: 'evalEpisodes', flag: 'eval-episodes', type: 'number', default: { preset: 'evalEpisodes' }, resume: 'equal', check: positiveInt, describe: 'Episodes per evaluation' },
  { key: 'recordEpisodes', flag: 'record-episodes', type: 'number', default: { fixed: 1 }, resume: 'equal', check: nonNegativeInt, describe: 'Eval episodes recorded as replays at each evaluation' },
  { key: 'checkpointEvery', flag: 'checkpoint-every', type: 'number', default: { preset: 'checkpointEvery' }, resume: 'equal', check: positiveInt, describe: 'Env steps between checkpoints' },
  { key: 'logEvery', flag: 'log-every', type: 'number', default: { fixed: 1000 }, resume: 'equal', check: positiveInt, describe: 'Env steps between aggregated update-metric lines' },
  { key: 'stopWhenSolved', flag: 'stop-when-solved', type: 'boolean', default: { preset: 'stopWhenSolved' }, resume: 'free', check: boolean, describe: 'Stop once a greedy eval reaches the reward threshold; --no-stop-when-solved trains the full budget' },
  { key: 'rewardThreshold', flag: 'reward-threshold', type: 'number', default: { preset: 'rewardThreshold' }, resume: 'equal', check: finiteNumber, describe: 'The greedy-eval mean that counts as solved' },
  { key: 'hyperparams', flag: 'set', type: 'assignments', default: { preset: 'hyperparams' }, resume: 'equal', check: plainObject, describe: 'Override a hyperparameter: --set lr=0.0005 --set hidden=[128,128]' },
  { key: 'envKwargs', flag: 'env-set', type: 'assignments', default: { preset: 'envKwargs' }, resume: 'equal', check: plainObject, describe: 'Env constructor option: --env-set difficulty=2' },
  { key: 'backend', flag: 'backend', type: 'backend', default: { fixed: 'auto' }, resume: 'equal', configKey: 'backendRequested', check: backendChoice, describe: 'TensorFlow.js backend (auto: tensorflow if tfjs-node loads, else wasm, else cpu)' },
];

export function runField(key: FieldKey): RunField {
  return RUN_FIELDS.find((f) => f.key === key)!;
}

/** `--steps`, `--env-set`, … */
export const flagName = (key: FieldKey) => `--${runField(key).flag}`;

// ───────────────────────────── flags ─────────────────────────────

/** Parses `key=value` pairs; values are JSON when they parse as JSON (numbers, booleans, arrays), else strings. */
export function parseAssignments(pairs: string[], flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TsgymError(`${flag} expects key=value, got '${pair}' (e.g. ${flag} lr=0.0005)`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    out[key] = value;
  }
  return out;
}

/** A seed typed on the command line, checked as text (a double cannot hold every integer past 2^53). */
export function parseSeed(text: string | number, flag: string): number {
  const s = String(text).trim();
  if (!/^\d+$/.test(s) || BigInt(s) > BigInt(MAX_SEED)) throw new TsgymError(`${flag} must be an integer from 0 to 2^53 − 1 (${MAX_SEED}), got ${s}`);
  return Number(s);
}

/**
 * The run fields as typed (undefined where not given), from parsed yargs arguments. `hyperparams` is left
 * out: its `--set` syntax differs per command, so the command parses it.
 */
export function runFlagsFromArgs(a: Record<string, unknown>, command: RunCommand): RunFlags {
  const flags: Record<string, unknown> = {};
  for (const f of RUN_FIELDS) {
    if (f.notIn?.includes(command) || f.key === 'hyperparams') continue;
    const v = a[f.flag];
    if (v === undefined) continue;
    if (f.type === 'seed') flags[f.key] = parseSeed(v as string, `--${f.flag}`);
    else if (f.type === 'assignments') {
      const parsed = parseAssignments(v as string[], `--${f.flag}`);
      if (Object.keys(parsed).length) flags[f.key] = parsed;
    } else flags[f.key] = v;
  }
  return flags as RunFlags;
}

// ───────────────────────────── preset files ─────────────────────────────

/** A `--preset FILE`: optional agent and env, any run field, hyperparameters. */
export interface PresetFile extends RunFlags {
  agent?: string;
  env?: string;
}

export const PRESET_FILE_KEYS = new Set<string>(['agent', 'env', ...RUN_FIELDS.map((f) => f.key).filter((k) => k !== 'seed' && k !== 'backend')]);

/** Checks the text of a JSON preset file (`file` names it in the one-line error). */
export function parsePresetFile(text: string, file: string): PresetFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TsgymError(`--preset ${file} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsgymError(`--preset ${file} must hold a JSON object`);
  // A tuned preset (`tune`'s best.json) says where it came from under `provenance`: read as a note, not a setting.
  const { provenance, ...obj } = value as Record<string, unknown>;
  if (provenance !== undefined && (typeof provenance !== 'object' || provenance === null || Array.isArray(provenance))) throw new TsgymError(`--preset ${file}: provenance must be a JSON object`);
  for (const k of Object.keys(obj)) {
    if (!PRESET_FILE_KEYS.has(k)) throw new TsgymError(`--preset ${file}: unknown key '${k}'; a preset may set ${[...PRESET_FILE_KEYS].join(', ')}`);
  }
  for (const k of ['agent', 'env'] as const) {
    if (obj[k] !== undefined && typeof obj[k] !== 'string') throw new TsgymError(`--preset ${file}: ${k} must be a string`);
  }
  checkFields(obj as RunFlags, (key) => `--preset ${file}: ${key}`);
  return obj as PresetFile;
}

// ───────────────────────────── resolving ─────────────────────────────

export function checkFields(values: RunFlags, label: (key: FieldKey) => string): void {
  for (const f of RUN_FIELDS) {
    const v = values[f.key];
    if (v !== undefined && v !== null) f.check?.(label(f.key), v as never);
  }
}

/**
 * A bound on the memory a run allocates up front, in bytes: the vector env's observation buffers (and each
 * env object), and a replay buffer at full capacity. An estimate, used only to refuse the impossible before
 * allocating (an `--envs` or `bufferSize` far beyond this machine).
 */
export function estimateRunBytes(numEnvs: number, obsSize: number, actSize: number, hyperparams: Record<string, unknown>): number {
  const perEnv = 8 * obsSize * 4 + 2048;
  const buffer = typeof hyperparams.bufferSize === 'number' ? hyperparams.bufferSize * ((2 * obsSize + actSize) * 4 + 16) : 0;
  const rollout = typeof hyperparams.numSteps === 'number' ? hyperparams.numSteps * numEnvs * ((obsSize + actSize) * 4 + 32) : 0;
  return numEnvs * perEnv + buffer + rollout;
}

const GIB = 1024 ** 3;

function checkMemory(spec: Pick<RunSpec, 'numEnvs' | 'hyperparams'>, obsSize: number, actSize: number, have: number | null): void {
  const need = estimateRunBytes(spec.numEnvs, obsSize, actSize, spec.hyperparams);
  if (have !== null && need > have) {
    throw new TsgymError(
      `this run needs about ${(need / GIB).toFixed(1)} GiB of memory (--envs ${spec.numEnvs}${typeof spec.hyperparams.bufferSize === 'number' ? `, bufferSize ${spec.hyperparams.bufferSize}` : ''}) and this machine has ${(have / GIB).toFixed(1)} GiB; lower --envs or bufferSize`,
    );
  }
}

/** Where a run is resolved: what the resolution needs from the process it runs in. */
export interface RunHost {
  /** The built-in preset of (agent, env), both canonical. */
  presetFor(agent: string, env: string): RunPreset;
  /** The env modules a run records when the flags name none (Node: every module loaded in this process). */
  envModules(): EnvModuleRef[];
  /** The code that resolves the run; null where it cannot be hashed (the browser). */
  fingerprint(): CodeFingerprint | null;
  /** This machine's memory in bytes, to refuse a run far too big for it; null: unknown (no check). */
  totalMemory(): number | null;
}

/**
 * The one resolution of a run: `agent` on `env` with `preset` (default: the host's built-in one for the
 * pair), then `flags`. Every field is checked here; bad hyperparameters, env options, an agent that cannot
 * act in the env, or a run too big for this machine fail with one line before anything is written. Pure:
 * what it needs of the process comes from `host` (experiments/run-spec.ts for Node, the tab trainer's for
 * the browser).
 */
export function resolveRunSpecOn(host: RunHost, agent: string, env: string, preset: RunPreset | undefined, flags: RunFlags): RunSpec {
  const name = agentRegistration(agent).name;
  const reg = registration(env);
  const p = preset ?? host.presetFor(name, reg.id);
  checkFields(flags, flagName);
  const value = <K extends FieldKey>(key: K): RunFlags[K] => {
    const f = runField(key);
    if (flags[key] !== undefined) return flags[key];
    return ('fixed' in f.default ? f.default.fixed : p[f.default.preset]) as RunFlags[K];
  };
  const totalSteps = value('totalSteps')!;
  const numEnvs = value('numEnvs')!;
  const envKwargs = { ...p.envKwargs, ...(flags.envKwargs ?? {}) };
  // Every hyperparameter, the agent's defaults included; the budget is a run field, not a hyperparameter.
  const { totalSteps: _budget, ...hyperparams } = resolveHyperparams(name, { ...p.hyperparams, ...(flags.hyperparams ?? {}), totalSteps }, { numEnvs });
  const probe = make(reg.id, envKwargs); // bad env options fail here
  try {
    assertAgentSupports(name, probe.actionSpace, reg.id);
    checkMemory({ numEnvs, hyperparams }, flatDim(probe.observationSpace), flatDim(probe.actionSpace), host.totalMemory());
  } finally {
    probe.close();
  }
  const spec: RunSpec = {
    agent: name,
    env: reg.id,
    seed: value('seed')!,
    totalSteps,
    numEnvs,
    evalEvery: value('evalEvery')!,
    evalEpisodes: value('evalEpisodes')!,
    recordEpisodes: value('recordEpisodes')!,
    checkpointEvery: value('checkpointEvery')!,
    logEvery: value('logEvery')!,
    stopWhenSolved: value('stopWhenSolved')!,
    rewardThreshold: flags.rewardThreshold ?? p.rewardThreshold ?? reg.rewardThreshold ?? null,
    envKwargs,
    hyperparams,
    backend: value('backend')!,
    envModules: flags.envModules ?? host.envModules(),
    fingerprint: host.fingerprint(),
  };
  checkFields(spec as RunFlags, (key) => `${flagName(key)} (from the preset)`);
  return spec;
}

// ───────────────────────────── specs as data ─────────────────────────────

export function runSpecDocument(spec: RunSpec): RunSpecDocument {
  return { format: RUN_SPEC_FORMAT, version: RUN_SPEC_VERSION, ...spec };
}

/**
 * Checks a spec that arrived from outside this process (a file, stdin, a queue job): the format and version,
 * every field's type and check. `from` names the source in the one-line error. The fields are then resolved
 * again by `resolveRunSpec` (hyperparameters and env options against this process's registries).
 */
export function parseRunSpecDocument(value: unknown, from: string): RunSpec & { fingerprint: CodeFingerprint } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsgymError(`${from}: a run spec must be a JSON object`);
  const doc = value as Record<string, unknown>;
  if (doc.format !== RUN_SPEC_FORMAT) throw new TsgymError(`${from} is not a run spec (format ${JSON.stringify(doc.format)}, expected "${RUN_SPEC_FORMAT}")`);
  if (typeof doc.version !== 'number' || !Number.isInteger(doc.version) || doc.version < 1) throw new TsgymError(`${from}: run spec version ${JSON.stringify(doc.version)} is not a version number`);
  if (doc.version > RUN_SPEC_VERSION) {
    throw new TsgymError(`${from} is a run spec of version ${doc.version}; this tsgym reads up to version ${RUN_SPEC_VERSION} (update tsgym on this machine)`);
  }
  const known = new Set<string>(['format', 'version', 'agent', 'env', 'envModules', 'fingerprint', ...RUN_FIELDS.map((f) => f.key)]);
  for (const k of Object.keys(doc)) if (!known.has(k)) throw new TsgymError(`${from}: unknown run spec field '${k}'`);
  for (const k of ['agent', 'env'] as const) if (typeof doc[k] !== 'string') throw new TsgymError(`${from}: ${k} must be a string`);
  for (const f of RUN_FIELDS) {
    if (doc[f.key] === undefined && !(f.key === 'rewardThreshold')) throw new TsgymError(`${from}: field ${f.key} is missing`);
  }
  if (doc.rewardThreshold !== null) finiteNumber(`${from}: rewardThreshold`, doc.rewardThreshold as number);
  for (const f of RUN_FIELDS) if (f.key !== 'rewardThreshold' && f.key !== 'seed' && f.type === 'number' && typeof doc[f.key] !== 'number') throw new TsgymError(`${from}: ${f.key} must be a number`);
  checkFields({ ...(doc as RunFlags), rewardThreshold: undefined }, (key) => `${from}: ${key}`);
  if (!Array.isArray(doc.envModules) || !doc.envModules.every((m) => typeof m === 'object' && m !== null && typeof m.path === 'string' && typeof m.sha256 === 'string' && Array.isArray(m.envIds))) {
    throw new TsgymError(`${from}: envModules must be a list of {path, sha256, envIds}`);
  }
  const fp = doc.fingerprint as Record<string, unknown> | undefined;
  if (typeof fp !== 'object' || fp === null || typeof fp.version !== 'string' || typeof fp.source !== 'string' || !(typeof fp.lockfile === 'string' || fp.lockfile === null)) {
    throw new TsgymError(`${from}: fingerprint must be {version, source, lockfile}`);
  }
  const { format: _f, version: _v, ...spec } = doc;
  return spec as unknown as RunSpec & { fingerprint: CodeFingerprint };
}

/** The spec's fields as flags (to resolve a received spec again in this process). */
export function specAsFlags(spec: RunSpec): RunFlags {
  const flags: Record<string, unknown> = {};
  for (const f of RUN_FIELDS) flags[f.key] = spec[f.key];
  flags.rewardThreshold = spec.rewardThreshold ?? undefined;
  flags.envModules = spec.envModules;
  return flags as RunFlags;
}

/** The run fields of a config.json (what `--resume` compares against). */
export function configFieldValue(config: RunConfig, f: RunField): unknown {
  return (config as unknown as Record<string, unknown>)[f.configKey ?? f.key];
}

/**
 * Recorded hyperparameters (a config.json's, a comparison plan's) with the agent's default for every key they
 * do not hold: a run recorded before a hyperparameter existed trained with its default (an agent fills absent
 * keys with defaults when it is built), so it is the same run as one that records the default. The budget
 * (`totalSteps`) is not filled in: plans keep it as a run field.
 */
export function withAddedDefaults(agent: string, hyperparams: Record<string, unknown>): Record<string, unknown> {
  const out = { ...hyperparams };
  for (const [key, value] of Object.entries(agentRegistration(agent).defaults)) if (key !== 'totalSteps' && !(key in out)) out[key] = value;
  return out;
}

/** The run fields of a spec as config.json records them (the trainer adds what only it knows). */
export function configFields(spec: Omit<RunSpec, 'hyperparams' | 'rewardThreshold' | 'envModules' | 'fingerprint' | 'agent' | 'env'> & Partial<Pick<RunSpec, 'envModules' | 'fingerprint'>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of RUN_FIELDS) if (f.key !== 'hyperparams' && f.key !== 'rewardThreshold') out[f.configKey ?? f.key] = spec[f.key];
  if (spec.envModules?.length) out.envModules = spec.envModules;
  if (spec.fingerprint) out.fingerprint = spec.fingerprint;
  return out;
}

/** Agents with schedules over the run (ε, β, LR annealing) take the budget as the `totalSteps` hyperparameter. */
export const takesBudget = (agent: string) => 'totalSteps' in agentRegistration(agent).defaults;

/** The hyperparameters a run trains with (config.json's): the spec's, plus the budget for agents that schedule over it. */
export function runHyperparams(run: Pick<RunSpec, 'agent' | 'hyperparams' | 'totalSteps' | 'numEnvs'>): Record<string, unknown> {
  return resolveHyperparams(run.agent, takesBudget(run.agent) ? { ...run.hyperparams, totalSteps: run.totalSteps } : run.hyperparams, { numEnvs: run.numEnvs });
}

/** What config.json records besides the spec: the process that trains the run. */
export interface RunPlaceRecord {
  tsgymVersion: string;
  /** The backend the run trains on (the spec holds the one requested). */
  backend: string;
  versions: Record<string, string>;
  createdAt: string;
}

/**
 * config.json of a run: the spec's fields (hyperparameters as {@link runHyperparams} gives them, threshold
 * resolved) and what only the training process knows. The Node trainer and the browser's trainer both write it through here.
 */
export function runConfigOf(spec: Omit<RunSpec, 'envModules' | 'fingerprint'> & Partial<Pick<RunSpec, 'envModules' | 'fingerprint'>>, place: RunPlaceRecord): RunConfig {
  return {
    tsgymVersion: place.tsgymVersion,
    agent: spec.agent,
    env: spec.env,
    envId: spec.env,
    ...(configFields(spec) as Omit<RunConfig, 'tsgymVersion' | 'agent' | 'env' | 'envId' | 'hyperparams' | 'backend' | 'versions' | 'rewardThreshold' | 'createdAt'>),
    hyperparams: spec.hyperparams,
    backend: place.backend,
    versions: place.versions,
    rewardThreshold: spec.rewardThreshold,
    createdAt: place.createdAt,
  };
}
