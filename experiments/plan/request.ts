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
import { agentRegistration, assertAgentSupports, createAgent, resolveHyperparams } from '../../agents/registry.js';
import { initBackend, type BackendChoice } from '../../agents/backend.js';
import { TsgymError } from '../../core/errors.js';
import { jsonDifferences, stableStringify } from '../../core/stable-json.js';
import { validateSeed } from '../../core/seeds.js';
import { make, registration } from '../../envs/registry.js';
import { presetFor } from '../presets.js';
import { readJsonFile, writeJsonAtomic } from '../harness/atomic.js';
import { nonNegativeInt, positiveInt, type RunBudget } from '../harness/trainer.js';
import type { ProgressMode } from '../harness/progress.js';
import { comparisonRunName, type ReportOptions } from '../report.js';

export { stableStringify };

/** Everything that decides a group's runs, besides the seed (the preset with the request's overrides applied). */
export interface AgentPlan extends RunBudget {
  /** The agent this group trains, when the group is not named after it (a sweep's configurations). */
  agent?: string;
  /** Every hyperparameter: the agent's defaults, then the preset's, then overrides (totalSteps aside). */
  hyperparams: Record<string, unknown>;
  /** Whether the preset was tuned for this (agent, env) pair, or the base preset. */
  tunedPreset: boolean;
}

/** What a sweep varies, recorded with its request (the groups are its configurations). */
export interface SweepSpec {
  agent: string;
  /** The values each configuration sets, by group name. */
  params: Record<string, Record<string, unknown>>;
  /** How the configurations were chosen: `grid`, or `random` with its sampling seed. */
  method: 'grid' | 'random';
  sweepSeed?: number;
}

/** The request recorded in comparison.json; two requests are the same comparison when these are equal. */
export interface ComparisonRequest {
  env: string;
  /** The groups compared: agent names in a comparison, configuration names in a sweep. */
  agents: string[];
  seeds: number[];
  /** --steps (null: each agent's preset budget). */
  steps: number | null;
  backend: BackendChoice;
  plans: Record<string, AgentPlan>;
  sweep?: SweepSpec;
}

export interface ComparisonFile extends ComparisonRequest {
  format: 'tsgym-comparison';
  version: 1;
  createdAt: string;
  /** The command line that created it. */
  command: string[];
}

export interface CompareOptions {
  env: string;
  agents: string[];
  seeds: number[];
  steps?: number;
  numEnvs?: number;
  evalEvery?: number;
  evalEpisodes?: number;
  recordEpisodes?: number;
  checkpointEvery?: number;
  logEvery?: number;
  /** undefined: each agent's preset. */
  stopWhenSolved?: boolean;
  envKwargs?: Record<string, unknown>;
  /** Per-agent hyperparameter overrides: { dqn: { lr: 0.0005 } }. */
  sets?: Record<string, Record<string, unknown>>;
  backend?: BackendChoice;
  /** Runs at a time on this machine (default os.availableParallelism()); ignored with a queue. */
  workers?: number;
  /** redis://HOST:PORT: run on the BullMQ queue there (workers: `npm run worker`) instead of locally. */
  queue?: string;
  outDir: string;
  progress?: ProgressMode;
  /** Recorded in comparison.json. */
  command?: string[];
  report?: ReportOptions;
}

/** One run of a plan. */
export interface RunSpec {
  group: string;
  agent: string;
  seed: number;
  /** Its directory name inside `<out>/runs/`. */
  name: string;
}

const DEFAULT_RECORD_EPISODES = 1;
const DEFAULT_LOG_EVERY = 1000;

/** The agent a group trains. */
export function groupAgent(request: ComparisonRequest, group: string): string {
  return request.plans[group]?.agent ?? group;
}

/** Every run of the request, seed-major (a comparison stopped halfway has every group on the same seeds). */
export function runSpecs(request: ComparisonRequest): RunSpec[] {
  return request.seeds.flatMap((seed) => request.agents.map((group) => ({ group, agent: groupAgent(request, group), seed, name: comparisonRunName(group, seed) })));
}

/** Checks the flags shared by comparisons and sweeps. */
export function checkCommonOptions(o: Omit<CompareOptions, 'agents' | 'sets'>): void {
  if (!o.seeds.length) throw new TsgymError('no seeds: pass --seeds N (seeds 0..N-1) or --seed-list 3,7');
  for (const s of o.seeds) validateSeed(s, 'each seed');
  const dupSeed = o.seeds.find((s, i) => o.seeds.indexOf(s) !== i);
  if (dupSeed !== undefined) throw new TsgymError(`seed ${dupSeed} is listed twice`);
  positiveInt('--steps', o.steps);
  positiveInt('--envs', o.numEnvs);
  positiveInt('--eval-every', o.evalEvery);
  positiveInt('--eval-episodes', o.evalEpisodes);
  positiveInt('--checkpoint-every', o.checkpointEvery);
  positiveInt('--log-every', o.logEvery);
  positiveInt('--workers', o.workers);
  nonNegativeInt('--record-episodes', o.recordEpisodes);
}

/** The plan of one group: `agent`'s preset on the env, the request's budget flags, then `overrides`. */
export function planGroup(o: Omit<CompareOptions, 'agents' | 'sets'>, envId: string, agent: string, overrides: Record<string, unknown>): AgentPlan {
  const preset = presetFor(agent, envId);
  const plan: AgentPlan = {
    totalSteps: o.steps ?? preset.totalSteps,
    numEnvs: o.numEnvs ?? preset.numEnvs,
    evalEvery: o.evalEvery ?? preset.evalEvery,
    evalEpisodes: o.evalEpisodes ?? preset.evalEpisodes,
    recordEpisodes: o.recordEpisodes ?? DEFAULT_RECORD_EPISODES,
    checkpointEvery: o.checkpointEvery ?? preset.checkpointEvery,
    logEvery: o.logEvery ?? DEFAULT_LOG_EVERY,
    stopWhenSolved: o.stopWhenSolved ?? preset.stopWhenSolved,
    envKwargs: { ...preset.envKwargs, ...(o.envKwargs ?? {}) },
    hyperparams: {},
    tunedPreset: preset.tuned,
  };
  // Every hyperparameter, the agent's defaults included. Bad overrides fail here, before anything starts.
  const { totalSteps: _budget, ...resolved } = resolveHyperparams(agent, { ...preset.hyperparams, ...overrides, totalSteps: plan.totalSteps }, { numEnvs: plan.numEnvs });
  plan.hyperparams = resolved;
  return plan;
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
  const probe = make(reg.id, o.envKwargs ?? {});
  const probeSpace = probe.actionSpace;
  probe.close();
  const plans: Record<string, AgentPlan> = {};
  for (const agent of agents) {
    assertAgentSupports(agent, probeSpace, reg.id);
    plans[agent] = planGroup(o, reg.id, agent, o.sets?.[agent] ?? {});
  }
  return { env: reg.id, agents, seeds: o.seeds.slice(), steps: o.steps ?? null, backend: o.backend ?? 'auto', plans };
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
      const takesBudget = 'totalSteps' in agentRegistration(agent).defaults;
      const built = createAgent(agent, { observationSpace: env.observationSpace, actionSpace: env.actionSpace, numEnvs: plan.numEnvs }, takesBudget ? { ...plan.hyperparams, totalSteps: plan.totalSteps } : plan.hyperparams, 0);
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
  const pick = (r: ComparisonRequest) => ({ env: r.env, agents: r.agents, seeds: r.seeds, steps: r.steps, backend: r.backend, plans: r.plans, sweep: r.sweep });
  return jsonDifferences(pick(existing), pick(wanted)).map((d) => `${d.path}: ${stableStringify(d.a) ?? 'absent'} there, ${stableStringify(d.b) ?? 'absent'} requested`);
}

export function readComparisonFile(dir: string): ComparisonFile {
  const file = path.join(dir, 'comparison.json');
  if (!fs.existsSync(file)) throw new TsgymError(`${dir} is not a comparison directory (no comparison.json); pass the --out directory of an \`npm run compare\``);
  const c = readJsonFile<ComparisonFile>(file, 'comparison file');
  if (c.format !== 'tsgym-comparison' || !Array.isArray(c.agents) || !Array.isArray(c.seeds) || typeof c.env !== 'string') {
    throw new TsgymError(`comparison file ${file} is not a tsgym comparison (format, env, agents or seeds missing)`);
  }
  return c;
}

/** Records the request in `dir`, or checks that `dir` already holds this same request. `ignore`: files that may precede it (the lock). */
export function claimComparisonFile(dir: string, request: ComparisonRequest, command: string[], ignore: string[] = []): void {
  const file = path.join(dir, 'comparison.json');
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

/** The `train` arguments for one run of the plan (`--progress json`: the parent reads its events). */
export function trainArgs(request: ComparisonRequest, group: string, seed: number, runsDir: string): string[] {
  const p = request.plans[group];
  const args = [
    'train', groupAgent(request, group), request.env,
    '--seed', String(seed),
    '--steps', String(p.totalSteps),
    '--envs', String(p.numEnvs),
    '--eval-every', String(p.evalEvery),
    '--eval-episodes', String(p.evalEpisodes),
    '--record-episodes', String(p.recordEpisodes),
    '--checkpoint-every', String(p.checkpointEvery),
    '--log-every', String(p.logEvery),
    p.stopWhenSolved ? '--stop-when-solved' : '--no-stop-when-solved',
    '--backend', request.backend,
    '--out', runsDir,
    '--run-name', comparisonRunName(group, seed),
    '--progress', 'json',
  ];
  for (const [k, v] of Object.entries(p.hyperparams)) args.push('--set', `${k}=${JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(p.envKwargs)) args.push('--env-set', `${k}=${JSON.stringify(v)}`);
  return args;
}

/** The `train` arguments that continue a started run from its last checkpoint (everything else comes from its config.json). */
export function resumeArgs(runDir: string, opts: { takeOverLock?: boolean } = {}): string[] {
  return ['train', '--resume', runDir, '--progress', 'json', ...(opts.takeOverLock ? [TAKE_OVER_LOCK_FLAG] : [])];
}

/** The trainer's flag that lets `--resume` take the run lock of a dead attempt, possibly on another host (experiments/harness/run-lock.ts). */
export const TAKE_OVER_LOCK_FLAG = '--take-over-lock';
