/**
 * The run spec in Node: the pure declaration and resolution (formats/run-spec.ts) with what needs this
 * process: reading `--preset FILE`, the yargs flags of train/compare/sweep, the process's env modules, code
 * fingerprint and memory (`resolveRunSpec`), the trainer's options of a spec, and the `--resume` checks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Options } from 'yargs';
import { BACKENDS } from '../agents/backend.js';
import { agentRegistration } from '../agents/registry.js';
import { TsgymError } from '../core/errors.js';
import { stableStringify } from '../core/stable-json.js';
import { resolveEnvId } from '../envs/registry.js';
import type { RunConfig } from '../formats/run-format.js';
import {
  configFieldValue,
  parsePresetFile,
  positiveInt,
  resolveRunSpecOn,
  RUN_FIELDS,
  takesBudget,
  type EnvModuleRef,
  type FieldKey,
  type PresetFile,
  type RunCommand,
  type RunField,
  type RunFlags,
  type RunHost,
  type RunPreset,
  type RunSpec,
} from '../formats/run-spec.js';
import { loadedEnvModules } from './env-modules.js';
import { codeFingerprint } from './fingerprint.js';
import { basePreset, presetFor, type PresetBase } from './presets.js';
import type { ProgressMode } from './harness/progress.js';
import type { TrainOptions } from './harness/trainer.js';

// ───────────────────────────── flags ─────────────────────────────

/** Per-command wording of a field's help, where the default differs from the declaration's. */
const COMMAND_DEFAULTS: Partial<Record<RunCommand, Partial<Record<FieldKey, string>>>> = {
  compare: {
    totalSteps: 'default: the largest preset budget among the compared agents, for every agent',
    stopWhenSolved: 'default: off, every run trains its full budget',
    hyperparams: 'per agent: --set dqn.lr=0.0005 --set ppo.clipCoef=0.1',
  },
  sweep: {
    stopWhenSolved: 'default: off, every run trains its full budget',
    hyperparams: 'fixed in every configuration: --set gamma=0.98',
  },
};

function defaultText(field: RunField, command: RunCommand): string {
  const special = COMMAND_DEFAULTS[command]?.[field.key];
  if (special) return special;
  if ('fixed' in field.default) return `default ${String(field.default.fixed)}`;
  if (field.key === 'rewardThreshold') return `default: the preset's, else the env's registered threshold`;
  if (field.type === 'assignments') return 'laid over the preset';
  return command === 'compare' ? 'default: the presets' : 'default: the preset';
}

/** The yargs declarations of the run fields `command` takes. */
export function runFlagOptions(command: RunCommand): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const f of RUN_FIELDS) {
    if (f.notIn?.includes(command)) continue;
    const describe = f.type === 'assignments' && COMMAND_DEFAULTS[command]?.[f.key] ? `${f.describe.split(':')[0]} ${COMMAND_DEFAULTS[command]![f.key]}` : `${f.describe} (${defaultText(f, command)})`;
    switch (f.type) {
      case 'number':
        out[f.flag] = { type: 'number', describe, requiresArg: true };
        break;
      case 'seed':
        // Read as text so that a value beyond 2^53 is reported as typed, not as the double it rounds to.
        out[f.flag] = { type: 'string', describe, requiresArg: true };
        break;
      case 'boolean':
        out[f.flag] = { type: 'boolean', describe };
        break;
      case 'assignments':
        out[f.flag] = { type: 'string', array: true, default: [] as string[], describe };
        break;
      case 'backend':
        out[f.flag] = { choices: BACKENDS, describe, requiresArg: true };
        break;
    }
  }
  return out;
}

// ───────────────────────────── preset files ─────────────────────────────

/** Reads and checks a JSON preset file; a bad file is one line naming it and what is wrong. */
export function readPresetFile(file: string): PresetFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsgymError(`--preset ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (e as Error).message})`}`);
  }
  return parsePresetFile(text, file);
}

/** The built-in preset of (agent, env) (or the agent's defaults, `from` 'defaults') with a preset file's fields laid over it. */
export function presetWithFile(agent: string, env: string, file: PresetFile | undefined, from: PresetBase = 'preset'): RunPreset {
  const base = basePreset(agent, env, from);
  if (!file) return base;
  const { agent: _a, env: _e, hyperparams, envKwargs, ...fields } = file;
  return { ...base, ...fields, hyperparams: { ...base.hyperparams, ...(hyperparams ?? {}) }, envKwargs: { ...base.envKwargs, ...(envKwargs ?? {}) } } as RunPreset;
}

/** The agent and env of a command, reconciled with a preset file's (a file may name them; the command wins only when equal). */
export function agentEnvWithFile(agent: string | undefined, env: string | undefined, file: PresetFile | undefined, fileName = 'the preset file'): { agent?: string; env?: string } {
  if (file?.agent !== undefined && agent !== undefined && agentRegistration(file.agent).name !== agentRegistration(agent).name) {
    throw new TsgymError(`--preset ${fileName} is for agent ${file.agent}, not ${agent}`);
  }
  if (file?.env !== undefined && env !== undefined && resolveEnvId(file.env) !== resolveEnvId(env)) {
    throw new TsgymError(`--preset ${fileName} is for env ${file.env}, not ${env}`);
  }
  return { agent: agent ?? file?.agent, env: env ?? file?.env };
}

// ───────────────────────────── resolving ─────────────────────────────

/** This process as a run host: the built-in presets, the env modules loaded here, this code, this machine's memory. */
export const NODE_RUN_HOST: RunHost = {
  presetFor,
  envModules: loadedEnvModules,
  fingerprint: codeFingerprint,
  totalMemory: () => os.totalmem(),
};

/** The one resolution of a run (formats/run-spec.ts `resolveRunSpecOn`), in this process. */
export function resolveRunSpec(agent: string, env: string, preset: RunPreset | undefined, flags: RunFlags): RunSpec {
  return resolveRunSpecOn(NODE_RUN_HOST, agent, env, preset, flags);
}

// ───────────────────────────── specs as data ─────────────────────────────

/** Where a run goes and how it is shown: everything of TrainOptions that is not the run spec. */
export interface RunPlace {
  outDir: string;
  runName?: string;
  progress?: ProgressMode;
  verbose?: boolean;
}

/** The trainer's options for a resolved spec. */
export function trainOptionsOf(spec: RunSpec, place: RunPlace): TrainOptions {
  const { env, rewardThreshold, fingerprint, ...fields } = spec;
  return { ...fields, env, ...(rewardThreshold !== null ? { rewardThreshold } : {}), ...(fingerprint ? { fingerprint } : {}), ...place };
}

// ───────────────────────────── resume ─────────────────────────────

/**
 * Settings given again when resuming (the CLI passes the flags the user typed). A value equal to the run's
 * config is fine; `totalSteps` above the run's budget extends it; anything else that differs is refused.
 */
export interface ResumeFlags extends Omit<RunFlags, 'envModules' | 'rewardThreshold'> {
  agent?: string;
  env?: string;
  /** The run's env modules as loaded now: a module let through changed (--allow-changed-env-module) is recorded with its new hash. */
  envModules?: EnvModuleRef[];
}

/**
 * The config to resume with: the stored one, with the budget extended when `flags.totalSteps` is above it.
 * Any other flag that differs from the stored value is refused, listing every conflict.
 */
export function applyResumeFlags(runDir: string, config: RunConfig, flags: ResumeFlags): RunConfig {
  const same = (a: unknown, b: unknown) => stableStringify(a) === stableStringify(b);
  const conflicts: string[] = [];
  if (flags.agent !== undefined && !same(config.agent, flags.agent)) conflicts.push(`agent ${JSON.stringify(flags.agent)} (the run has ${JSON.stringify(config.agent)})`);
  if (flags.env !== undefined) {
    const env = resolveEnvId(flags.env);
    if (!same(config.envId, env)) conflicts.push(`env ${JSON.stringify(env)} (the run has ${JSON.stringify(config.envId)})`);
  }
  for (const f of RUN_FIELDS) {
    const given = (flags as Record<string, unknown>)[f.key];
    if (given === undefined || f.resume === 'free') continue;
    const stored = configFieldValue(config, f);
    if (f.type === 'assignments') {
      const have = (stored ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
        if (!same(have[k], v)) conflicts.push(`--${f.flag} ${k}=${JSON.stringify(v)} (the run has ${k in have ? JSON.stringify(have[k]) : `no ${k}`})`);
      }
      continue;
    }
    if (f.resume === 'extend' && (given as number) > (stored as number)) continue; // an extension, applied below
    if (!same(stored, given)) conflicts.push(`--${f.flag} ${JSON.stringify(given)} (the run has ${JSON.stringify(stored)})`);
  }
  if (conflicts.length) {
    throw new TsgymError(
      `--resume ${runDir}: ${conflicts.length === 1 ? 'this flag conflicts' : 'these flags conflict'} with the run's config.json: ${conflicts.join('; ')}. A resumed run keeps its settings (only --steps can grow, and --[no-]stop-when-solved change); drop the flag${conflicts.length === 1 ? '' : 's'}, or start a new run`,
    );
  }
  let resumed = config;
  if (flags.envModules && config.envModules && !same(flags.envModules, config.envModules)) resumed = { ...resumed, envModules: flags.envModules };
  // `--[no-]stop-when-solved` may change: it decides when the run stops, not what it computed so far (a run
  // that stopped when solved continues with --steps N --no-stop-when-solved).
  if (flags.stopWhenSolved !== undefined && flags.stopWhenSolved !== config.stopWhenSolved) resumed = { ...resumed, stopWhenSolved: flags.stopWhenSolved };
  const steps = flags.totalSteps;
  if (steps === undefined || steps <= config.totalSteps) return resumed;
  positiveInt('--steps', steps);
  // The budget grows; agents that schedule over it (LR annealing, ε, β) reschedule over the new one, as a
  // continued SB3 `learn()` does.
  return {
    ...resumed,
    totalSteps: steps,
    hyperparams: takesBudget(config.agent) ? { ...config.hyperparams, totalSteps: steps } : config.hyperparams,
    budgetExtensions: [...(config.budgetExtensions ?? []), { fromTotalSteps: config.totalSteps, toTotalSteps: steps, at: new Date().toISOString() }],
  };
}
