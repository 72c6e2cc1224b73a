/**
 * Planning a multi-run experiment (a comparison of agents, or a sweep of one agent's hyperparameters):
 * options → the request recorded in comparison.json → one run spec per (group, seed).
 *
 * A group is what the report compares: an agent in a comparison, a hyperparameter configuration in a
 * sweep. Its plan holds everything that decides its runs' results, resolved (defaults, preset, overrides),
 * so a later change of a default cannot slip into a resumed comparison.
 *
 * The request check: comparison.json is written once, after the whole plan has been validated (every
 * hyperparameter resolved and every group's agent actually built), so a bad plan is never recorded; a
 * later invocation with the same request resumes, a different one is refused naming the differences.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentRegistration, createAgent } from '../../agents/registry.js';
import { initBackend } from '../../agents/backend.js';
import { TsgymError } from '../../core/errors.js';
import { jsonDifferences, stableStringify } from '../../core/stable-json.js';
import { validateSeed } from '../../core/seeds.js';
import { make, registration } from '../../envs/registry.js';
import { readJsonFile, writeJsonAtomic } from '../harness/atomic.js';
import type { ProgressMode } from '../harness/progress.js';
import { comparisonRunName, type ReportOptions } from '../../formats/comparison.js';
import { COMPARISON_FILES, type AgentPlan, type ComparisonFile, type ComparisonRequest } from '../../formats/comparison.js';
import { loadedEnvModules } from '../env-modules.js';
import { codeFingerprint } from '../fingerprint.js';
import { basePreset, type PresetBase } from '../presets.js';
import { agentEnvWithFile, presetWithFile, resolveRunSpec } from '../run-spec.js';
import { positiveInt, takesBudget, withAddedDefaults, type PresetFile, type RunFlags, type RunSpec } from '../../formats/run-spec.js';
import { commandLine } from '../../core/command-line.js';
import { checkSeedsPerProcess } from './batches.js';


/** The options of a comparison: the run fields as given (formats/run-spec.ts), and the comparison's own. */
export interface CompareOptions extends Omit<RunFlags, 'seed' | 'hyperparams' | 'envModules'> {
  env: string;
  agents: string[];
  seeds: number[];
  /** Per-agent hyperparameter overrides: { dqn: { lr: 0.0005 } }. */
  sets?: Record<string, Record<string, unknown>>;
  /** A `--preset FILE` laid over every group's built-in preset. */
  presetFile?: PresetFile;
  presetFileName?: string;
  /** What the groups start from: the env's tuned preset (default) or the agent's defaults (`tune --from defaults`). */
  from?: PresetBase;
  /** Without `totalSteps`: each agent its own preset budget instead of one shared budget. */
  allowDifferentBudgets?: boolean;
  /** Runs at a time on this machine (default os.availableParallelism()); ignored with a queue. */
  workers?: number;
  /** Runs of one group trained one after another in one process (default: experiments/plan/batches.ts). */
  seedsPerProcess?: number;
  /** Where the runs train: `local:` (default) or `redis://HOST:PORT` (experiments/executors/index.ts). */
  queue?: string;
  outDir: string;
  progress?: ProgressMode;
  /** Recorded in comparison.json. */
  command?: string[];
  report?: ReportOptions;
}

/** One run of a plan. */
export interface PlannedRun {
  group: string;
  agent: string;
  seed: number;
  /** Its directory name inside `<out>/runs/`. */
  name: string;
}

/** The agent a group trains. */
export function groupAgent(request: ComparisonRequest, group: string): string {
  return request.plans[group]?.agent ?? group;
}

/** Every run of the request, seed-major (a comparison stopped halfway has every group on the same seeds). */
export function plannedRuns(request: ComparisonRequest): PlannedRun[] {
  return request.seeds.flatMap((seed) => request.agents.map((group) => ({ group, agent: groupAgent(request, group), seed, name: comparisonRunName(group, seed) })));
}

/** Checks the options shared by comparisons and sweeps that are not run fields (those are checked when each group resolves). */
export function checkCommonOptions(o: Pick<CompareOptions, 'seeds' | 'workers' | 'seedsPerProcess'>): void {
  if (!o.seeds.length) throw new TsgymError('no seeds: pass --seeds N (seeds 0..N-1) or --seed-list 3,7');
  for (const s of o.seeds) validateSeed(s, 'each seed');
  const dupSeed = o.seeds.find((s, i) => o.seeds.indexOf(s) !== i);
  if (dupSeed !== undefined) throw new TsgymError(`seed ${dupSeed} is listed twice`);
  positiveInt('--workers', o.workers);
  checkSeedsPerProcess(o.seedsPerProcess);
}

/** The run fields of the options, as flags for resolveRunSpec. */
function runFlagsOf(o: Omit<CompareOptions, 'agents' | 'sets'>): RunFlags {
  const { env: _e, seeds: _s, presetFile: _p, presetFileName: _n, allowDifferentBudgets: _a, workers: _w, seedsPerProcess: _k, queue: _q, outDir: _o, progress: _g, command: _c, report: _r, ...flags } = o;
  return flags;
}

/**
 * The plan of one group: `agent`'s preset on the env (with the preset file), the request's run fields, then
 * `overrides`. A comparison trains every run to its budget unless `--stop-when-solved` asks otherwise.
 */
export function planGroup(o: Omit<CompareOptions, 'agents' | 'sets'>, envId: string, agent: string, overrides: Record<string, unknown>, totalSteps?: number): AgentPlan {
  const preset = presetWithFile(agent, envId, o.presetFile, o.from);
  const flags: RunFlags = { ...runFlagsOf(o), stopWhenSolved: o.stopWhenSolved ?? false, hyperparams: overrides, ...(totalSteps !== undefined ? { totalSteps } : {}) };
  const { agent: _agent, env: _env, seed: _seed, backend: _backend, envModules: _modules, fingerprint: _fp, ...plan } = resolveRunSpec(agent, envId, preset, { ...flags, seed: 0 });
  return { ...plan, tunedPreset: basePreset(agent, envId, o.from).tuned };
}

/** The budget every agent of a comparison trains: --steps, else the largest of their preset budgets; null with --allow-different-budgets. */
export function sharedBudget(o: Omit<CompareOptions, 'agents' | 'sets'>, envId: string, agents: string[]): number | null {
  if (o.totalSteps !== undefined) {
    if (o.allowDifferentBudgets) throw new TsgymError('--allow-different-budgets keeps each agent\'s preset budget; it cannot go with --steps, which gives every agent the same');
    return o.totalSteps;
  }
  const budgets = agents.map((a) => presetWithFile(a, envId, o.presetFile, o.from).totalSteps);
  return o.allowDifferentBudgets ? null : Math.max(...budgets);
}

/** Validates the options and resolves each agent's preset: the request recorded in comparison.json. */
export function planComparison(o: CompareOptions): ComparisonRequest {
  const reg = registration(o.env); // a clear error for an unknown env
  if (!o.agents.length) throw new TsgymError('--agents is empty; name at least one agent, e.g. --agents dqn,ppo');
  const agents = o.agents.map((a) => agentRegistration(a).name);
  const dup = agents.find((a, i) => agents.indexOf(a) !== i);
  if (dup) throw new TsgymError(`--agents names ${dup} twice; each agent runs once per seed`);
  checkCommonOptions(o);
  for (const key of Object.keys(o.sets ?? {})) {
    if (!agents.includes(key)) throw new TsgymError(`--set ${key}.<key>=<value>: ${key} is not one of the compared agents (${agents.join(', ')})`);
  }
  if (o.presetFile?.agent !== undefined) throw new TsgymError(`--preset ${o.presetFileName ?? 'file'} names agent ${o.presetFile.agent}; a comparison's preset file applies to every agent, so leave agent out`);
  agentEnvWithFile(undefined, reg.id, o.presetFile, o.presetFileName);
  const steps = sharedBudget(o, reg.id, agents);
  const plans: Record<string, AgentPlan> = {};
  for (const agent of agents) plans[agent] = planGroup(o, reg.id, agent, o.sets?.[agent] ?? {}, steps ?? undefined);
  return { env: reg.id, agents, seeds: o.seeds.slice(), steps, backend: o.backend ?? 'auto', envModules: loadedEnvModules(), plans };
}

/**
 * Builds every group's agent once (on the CPU backend, then disposes it): an agent constructor that refuses
 * its hyperparameters (a value the schema lets through) fails here, before comparison.json is written, so the
 * fixed command is not later refused as "a different comparison".
 */
export async function checkPlanBuilds(request: ComparisonRequest): Promise<void> {
  await initBackend('cpu');
  for (const group of request.agents) {
    const plan = request.plans[group];
    const agent = groupAgent(request, group);
    const env = make(request.env, plan.envKwargs);
    try {
      const built = createAgent(agent, { observationSpace: env.observationSpace, actionSpace: env.actionSpace, numEnvs: plan.numEnvs }, takesBudget(agent) ? { ...plan.hyperparams, totalSteps: plan.totalSteps } : plan.hyperparams, 0);
      built.dispose();
    } catch (e) {
      if (e instanceof TsgymError) throw new TsgymError(`${group === agent ? agent : `${group} (${agent})`}: ${e.message}`);
      throw new TsgymError(`${group === agent ? agent : `${group} (${agent})`} cannot be built with this plan: ${(e as Error).message}`);
    } finally {
      env.close();
    }
  }
}

/** The fields where two requests differ, as `path: a vs b` lines. */
export function requestDifferences(existing: ComparisonRequest, wanted: ComparisonRequest): string[] {
  // Hyperparameters added since a request was recorded count at their defaults (withAddedDefaults).
  const plans = (r: ComparisonRequest) =>
    Object.fromEntries(Object.entries(r.plans ?? {}).map(([group, plan]) => [group, { ...plan, hyperparams: withAddedDefaults(groupAgent(r, group), plan.hyperparams) }]));
  const pick = (r: ComparisonRequest) => ({ env: r.env, agents: r.agents, seeds: r.seeds, steps: r.steps, backend: r.backend, envModules: r.envModules, plans: plans(r), sweep: r.sweep });
  return jsonDifferences(pick(existing), pick(wanted)).map((d) => `${d.path}: ${stableStringify(d.a) ?? 'absent'} there, ${stableStringify(d.b) ?? 'absent'} requested`);
}

export function readComparisonFile(dir: string): ComparisonFile {
  const file = path.join(dir, COMPARISON_FILES.request);
  if (!fs.existsSync(file)) throw new TsgymError(`${dir} is not a comparison directory (no comparison.json); pass the --out directory of \`${commandLine('compare')}\``);
  const c = readJsonFile<ComparisonFile>(file, 'comparison file');
  if (c.format !== 'tsgym-comparison' || !Array.isArray(c.agents) || !Array.isArray(c.seeds) || typeof c.env !== 'string') {
    throw new TsgymError(`comparison file ${file} is not a tsgym comparison (format, env, agents or seeds missing)`);
  }
  return c;
}

/** Records the request in `dir`, or checks that `dir` already holds this same request. `ignore`: files that may precede it (the lock). */
export function claimComparisonFile(dir: string, request: ComparisonRequest, command: string[], ignore: string[] = []): void {
  const file = path.join(dir, COMPARISON_FILES.request);
  if (fs.existsSync(file)) {
    const existing = readComparisonFile(dir);
    const diffs = requestDifferences(existing, request);
    if (diffs.length) {
      throw new TsgymError(
        `${dir} already holds a different comparison, so its runs cannot be reused or mixed with this one:\n  ${diffs.join('\n  ')}\n` +
          `Pick another --out, or repeat the original command to resume it${existing.command?.length ? `: ${existing.command.join(' ')}` : ''}`,
      );
    }
    return;
  }
  const entries = fs.readdirSync(dir).filter((e) => !ignore.includes(e));
  if (entries.length) throw new TsgymError(`--out ${dir} is not empty and holds no comparison.json; pick an empty or new directory`);
  const content: ComparisonFile = { format: 'tsgym-comparison', version: 1, ...request, createdAt: new Date().toISOString(), command };
  writeJsonAtomic(file, content);
}

/** The resolved spec of one run of the plan (what its `train` process receives as JSON). */
export function runSpecOf(request: ComparisonRequest, group: string, seed: number): RunSpec {
  const { agent: _agent, tunedPreset: _tuned, ...plan } = request.plans[group];
  return { ...plan, agent: groupAgent(request, group), env: request.env, seed, backend: request.backend, envModules: request.envModules ?? [], fingerprint: codeFingerprint() };
}

/** The `train` arguments of a fresh run of the plan: where it goes; the run itself arrives as a spec on stdin. */
export function trainArgs(runsDir: string, name: string): string[] {
  return ['train', '--spec', '-', '--out', runsDir, '--run-name', name, '--progress', 'json'];
}

/**
 * The `train` arguments of a batch of the plan's runs (fresh, started or ended; the child decides by their
 * directories): where they go; the runs and their spec arrive as a run batch on stdin.
 */
export function batchArgs(runsDir: string, opts: { takeOverLock?: boolean } = {}): string[] {
  return ['train', '--batch', '-', '--out', runsDir, '--progress', 'json', ...(opts.takeOverLock ? [TAKE_OVER_LOCK_FLAG] : [])];
}

/** The `train` arguments that continue a started run from its last checkpoint (everything else comes from its config.json). */
export function resumeArgs(runDir: string, opts: { takeOverLock?: boolean } = {}): string[] {
  return ['train', '--resume', runDir, '--progress', 'json', ...(opts.takeOverLock ? [TAKE_OVER_LOCK_FLAG] : [])];
}

/** The trainer's flag that lets `--resume` take the run lock of a dead attempt, possibly on another host (experiments/harness/run-lock.ts). */
export const TAKE_OVER_LOCK_FLAG = '--take-over-lock';
