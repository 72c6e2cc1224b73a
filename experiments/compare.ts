/**
 * `npm run compare`: trains every (agent, seed) pair of a comparison as its own `train` child process,
 * K at a time, into `<out>/runs/<agent>__seed<S>/` (normal run directories), then writes the report
 * (experiments/report.ts).
 *
 * ```
 * <out>/
 *   comparison.json       the request: env, agents, seeds, budget override, each agent's resolved preset
 *   runs/<agent>__seed<S>/ one run directory per pair (see experiments/harness/run-dir.ts)
 *   logs/<agent>__seed<S>.log  each child's output (appended when a run is resumed)
 *   report.json, report.md
 *   .compare-lock.json    while a comparison runs: its pid and its children's, so two never share a dir
 * ```
 *
 * Resume: running the same comparison again with the same --out keeps finished runs untouched, resumes
 * unfinished ones from their last checkpoint (`train --resume`, bit-identical to an uninterrupted run),
 * and starts the missing ones. A different request (other seeds, budget, presets…) is refused rather than
 * mixed into the same directory.
 *
 * Signals: Ctrl-C (SIGINT) or SIGTERM asks every running child to checkpoint and stop (SIGTERM, which
 * the trainer handles like SIGINT); a second one kills them. The children stay in the orchestrator's
 * process group, so killing that group stops everything at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentRegistration, assertAgentSupports, resolveHyperparams } from '../agents/registry.js';
import type { BackendChoice } from '../agents/backend.js';
import { TsgymError } from '../core/errors.js';
import { validateSeed } from '../core/seeds.js';
import { make, registration } from '../envs/registry.js';
import { presetFor } from './presets.js';
import { readJsonFile, writeJsonAtomic } from './harness/atomic.js';
import { isRunDir, readRunConfig, readRunSummary } from './run-format.js';
import { nonNegativeInt, positiveInt, type RunBudget } from './harness/trainer.js';
import { fmtCount, fmtTime, type ProgressMode } from './harness/progress.js';
import { comparisonRunName, computeReport, reportMarkdown, writeReport, type ComparisonReport, type ReportOptions } from './report.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO_ROOT, 'experiments', 'cli.ts');

/** Everything that decides a run's results, per agent (the preset with the comparison's overrides applied). */
export interface AgentPlan extends RunBudget {
  /** Every hyperparameter: the agent's defaults, then the preset's, then --set overrides (totalSteps aside). */
  hyperparams: Record<string, unknown>;
  /** Whether the preset was tuned for this (agent, env) pair, or the base preset. */
  tunedPreset: boolean;
}

/** The request recorded in comparison.json; two requests are the same comparison when these are equal. */
export interface ComparisonRequest {
  env: string;
  agents: string[];
  seeds: number[];
  /** --steps (null: each agent's preset budget). */
  steps: number | null;
  backend: BackendChoice;
  plans: Record<string, AgentPlan>;
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
  /** Runs at a time (default os.availableParallelism()). */
  workers?: number;
  outDir: string;
  progress?: ProgressMode;
  /** Recorded in comparison.json. */
  command?: string[];
  report?: ReportOptions;
}

export interface CompareResult {
  outDir: string;
  /** null when the comparison was interrupted or some run failed. */
  report: ComparisonReport | null;
  interrupted: boolean;
  failures: { run: string; message: string; log: string }[];
  /** Runs kept from an earlier invocation, resumed, and started fresh. */
  kept: string[];
  resumed: string[];
  started: string[];
}

const DEFAULT_RECORD_EPISODES = 1;
const DEFAULT_LOG_EVERY = 1000;
const LOCK_FILE = '.compare-lock.json';

// ───────────────────────────── planning ─────────────────────────────

/** Validates the options and resolves each agent's preset: the request recorded in comparison.json. */
export function planComparison(o: CompareOptions): ComparisonRequest {
  const reg = registration(o.env); // a clear error for an unknown env
  if (!o.agents.length) throw new TsgymError('--agents is empty; name at least one agent, e.g. --agents dqn,ppo');
  const agents = o.agents.map((a) => agentRegistration(a).name);
  const dup = agents.find((a, i) => agents.indexOf(a) !== i);
  if (dup) throw new TsgymError(`--agents names ${dup} twice; each agent runs once per seed`);
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
  for (const key of Object.keys(o.sets ?? {})) {
    if (!agents.includes(key)) throw new TsgymError(`--set ${key}.<key>=<value>: ${key} is not one of the compared agents (${agents.join(', ')})`);
  }

  const probe = make(reg.id, o.envKwargs ?? {});
  const probeSpace = probe.actionSpace;
  probe.close();
  const plans: Record<string, AgentPlan> = {};
  for (const agent of agents) {
    assertAgentSupports(agent, probeSpace, reg.id);
    const preset = presetFor(agent, reg.id);
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
    // Every hyperparameter, the agent's defaults included, so that a later change of a default or a preset
    // cannot slip into a resumed comparison. Bad overrides fail here, before any child starts.
    const { totalSteps: _budget, ...resolved } = resolveHyperparams(agent, { ...preset.hyperparams, ...(o.sets?.[agent] ?? {}), totalSteps: plan.totalSteps }, { numEnvs: plan.numEnvs });
    plan.hyperparams = resolved;
    plans[agent] = plan;
  }
  return { env: reg.id, agents, seeds: o.seeds.slice(), steps: o.steps ?? null, backend: o.backend ?? 'auto', plans };
}

/** JSON with object keys sorted, so equal values print equally. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The fields where two requests differ, as `path: a vs b` lines. */
export function requestDifferences(existing: ComparisonRequest, wanted: ComparisonRequest): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, at: string) => {
    if (stableStringify(a) === stableStringify(b)) return;
    const objects = a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
    if (!objects) {
      out.push(`${at}: ${stableStringify(a) ?? 'absent'} there, ${stableStringify(b) ?? 'absent'} requested`);
      return;
    }
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
  };
  const pick = (r: ComparisonRequest) => ({ env: r.env, agents: r.agents, seeds: r.seeds, steps: r.steps, backend: r.backend, plans: r.plans });
  walk(pick(existing), pick(wanted), '');
  return out;
}

function readComparisonFile(dir: string): ComparisonFile {
  const file = path.join(dir, 'comparison.json');
  if (!fs.existsSync(file)) throw new TsgymError(`${dir} is not a comparison directory (no comparison.json); pass the --out directory of an \`npm run compare\``);
  const c = readJsonFile<ComparisonFile>(file, 'comparison file');
  if (c.format !== 'tsgym-comparison' || !Array.isArray(c.agents) || !Array.isArray(c.seeds) || typeof c.env !== 'string') {
    throw new TsgymError(`comparison file ${file} is not a tsgym comparison (format, env, agents or seeds missing)`);
  }
  return c;
}

/** Records the request in `dir`, or checks that `dir` already holds this same request. */
function claimComparisonFile(dir: string, request: ComparisonRequest, command: string[]): void {
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
  const entries = fs.readdirSync(dir).filter((e) => e !== LOCK_FILE);
  if (entries.length) throw new TsgymError(`--out ${dir} is not empty and holds no comparison.json; pick an empty or new directory`);
  const content: ComparisonFile = { format: 'tsgym-comparison', version: 1, ...request, createdAt: new Date().toISOString(), command };
  writeJsonAtomic(file, content);
}

// ───────────────────────────── one run ─────────────────────────────

interface Task {
  agent: string;
  seed: number;
  name: string;
  dir: string;
  log: string;
  plan: AgentPlan;
  mode: 'keep' | 'resume' | 'fresh';
  /** Env steps done so far, as the child reports them. */
  step: number;
  /** Step at which this invocation picked the run up (for the throughput). */
  startStep: number;
  state: 'waiting' | 'running' | 'done' | 'failed';
  child?: ChildProcess;
}

/** The `train` arguments for one run of the plan. */
export function trainArgs(request: ComparisonRequest, agent: string, seed: number, runsDir: string): string[] {
  const p = request.plans[agent];
  const args = [
    'train', agent, request.env,
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
    '--run-name', comparisonRunName(agent, seed),
    '--progress', 'lines',
  ];
  for (const [k, v] of Object.entries(p.hyperparams)) args.push('--set', `${k}=${JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(p.envKwargs)) args.push('--env-set', `${k}=${JSON.stringify(v)}`);
  return args;
}

/** Whether an existing run directory was made by this plan (guards against a comparison.json edited by hand). */
function checkRunConfig(task: Task, request: ComparisonRequest): void {
  const config = readRunConfig(task.dir) as unknown as Record<string, unknown>;
  const p = task.plan;
  const expected: Record<string, unknown> = {
    agent: task.agent, envId: request.env, seed: task.seed, totalSteps: p.totalSteps, numEnvs: p.numEnvs, evalEvery: p.evalEvery,
    evalEpisodes: p.evalEpisodes, recordEpisodes: p.recordEpisodes, checkpointEvery: p.checkpointEvery, logEvery: p.logEvery,
    stopWhenSolved: p.stopWhenSolved, envKwargs: p.envKwargs, backendRequested: request.backend,
  };
  const hp = (config.hyperparams ?? {}) as Record<string, unknown>;
  const bad = Object.entries(expected).filter(([k, v]) => stableStringify(config[k]) !== stableStringify(v)).map(([k, v]) => `${k}: ${stableStringify(config[k])} there, ${stableStringify(v)} planned`);
  for (const [k, v] of Object.entries(p.hyperparams)) if (stableStringify(hp[k]) !== stableStringify(v)) bad.push(`hyperparams.${k}: ${stableStringify(hp[k])} there, ${stableStringify(v)} planned`);
  if (bad.length) throw new TsgymError(`run ${task.dir} was not made by this comparison's plan (${bad.join('; ')}); move it away or use another --out`);
}

/** What to do with a run directory: keep a finished (or diverged) run, resume a started one, start a missing one. */
function decide(task: Task, request: ComparisonRequest): Task['mode'] {
  if (!fs.existsSync(task.dir)) return 'fresh';
  if (!isRunDir(task.dir)) {
    // `train` died between creating the directory and writing its config: nothing in it is worth keeping.
    const leftovers = listFilesDeep(task.dir);
    if (leftovers.length) throw new TsgymError(`run directory ${task.dir} has no config.json but holds ${leftovers.join(', ')}; move it away, then re-run`);
    fs.rmSync(task.dir, { recursive: true, force: true });
    return 'fresh';
  }
  checkRunConfig(task, request);
  const summary = readRunSummary(task.dir);
  if (summary) {
    const status = summary.status;
    // A diverged run would diverge again at the same step: it is a result, not an accident.
    if (status === 'finished' || status === 'diverged') return 'keep';
  }
  return 'resume';
}

function listFilesDeep(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFilesDeep(p));
    else out.push(path.relative(dir, p));
  }
  return out;
}

function runSummary(dir: string): { status: string | null; steps: number | null } {
  try {
    const s = (readRunSummary(dir) ?? {}) as { status?: unknown; steps?: unknown };
    return { status: typeof s.status === 'string' ? s.status : null, steps: typeof s.steps === 'number' ? s.steps : null };
  } catch {
    return { status: null, steps: null };
  }
}

/** Parses a count printed by the progress display ("950", "12.3k", "1.20M"). */
function parseCount(s: string): number | null {
  const m = /^([\d.]+)([kM]?)$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1);
}

// ───────────────────────────── locking ─────────────────────────────

/** True when `pid` is a live process (a zombie waiting to be reaped counts as dead). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

class Lock {
  private children = new Set<number>();
  constructor(readonly file: string) {}

  acquire(): void {
    if (fs.existsSync(this.file)) {
      let held: { pid?: number; children?: number[] } = {};
      try {
        held = JSON.parse(fs.readFileSync(this.file, 'utf8')) as typeof held;
      } catch {
        // a torn lock file: whoever wrote it is gone
      }
      const alive = [held.pid, ...(held.children ?? [])].filter((p): p is number => typeof p === 'number' && p !== process.pid && isAlive(p));
      if (alive.length) {
        throw new TsgymError(
          `another compare is still working in ${path.dirname(this.file)} (process${alive.length > 1 ? 'es' : ''} ${alive.join(', ')}); wait for it or stop it (kill ${alive.join(' ')}). If those are not tsgym processes, delete ${this.file}`,
        );
      }
    }
    this.write();
  }

  add(pid: number): void {
    this.children.add(pid);
    this.write();
  }

  remove(pid: number): void {
    this.children.delete(pid);
    this.write();
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }

  private write(): void {
    writeJsonAtomic(this.file, { pid: process.pid, children: [...this.children] });
  }
}

// ───────────────────────────── progress display ─────────────────────────────

class CompareProgress {
  private readonly mode: 'bar' | 'lines' | 'none';
  private readonly start = performance.now();
  private lastLine = 0;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly tasks: Task[],
    mode: ProgressMode,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.mode = mode === 'auto' ? (out.isTTY ? 'bar' : 'lines') : mode;
  }

  begin(): void {
    if (this.mode === 'none') return;
    this.timer = setInterval(() => this.draw(false), this.mode === 'bar' ? 500 : 1000);
    this.timer.unref();
  }

  /** A message on its own line (the bar is redrawn below it). */
  log(message: string): void {
    if (this.mode === 'none') return;
    if (this.mode === 'bar') this.out.write(`\r${' '.repeat((this.out.columns || 120) - 1)}\r`);
    this.out.write(message + '\n');
    if (this.mode === 'bar' && this.timer) this.draw(true);
  }

  status(): string {
    const done = this.tasks.filter((t) => t.state === 'done').length;
    const failed = this.tasks.filter((t) => t.state === 'failed').length;
    const running = this.tasks.filter((t) => t.state === 'running');
    const elapsed = (performance.now() - this.start) / 1000;
    const newSteps = this.tasks.reduce((n, t) => n + Math.max(0, t.step - t.startStep), 0);
    const rate = newSteps / Math.max(elapsed, 1e-9);
    const remaining = this.tasks.filter((t) => t.state === 'waiting' || t.state === 'running').reduce((n, t) => n + Math.max(0, t.plan.totalSteps - t.step), 0);
    // No rate or ETA from the first few steps (process start-up would make them meaningless).
    const measured = newSteps >= 0.01 * this.tasks.reduce((n, t) => n + t.plan.totalSteps, 0);
    const eta = measured && rate > 0 ? remaining / rate : Infinity;
    const parts = [`${done}/${this.tasks.length} runs done`, `${running.length} running`];
    if (failed) parts.push(`${failed} failed`);
    if (measured && rate > 0) parts.push(`${fmtCount(rate)} steps/s`);
    parts.push(`elapsed ${fmtTime(elapsed)}`, `ETA ${remaining === 0 ? '0:00' : fmtTime(eta)}`);
    return parts.join(' · ');
  }

  draw(force: boolean): void {
    if (this.mode === 'none') return;
    const now = performance.now();
    if (this.mode === 'bar') {
      const total = this.tasks.reduce((n, t) => n + t.plan.totalSteps, 0);
      const doneSteps = this.tasks.reduce((n, t) => n + (t.state === 'done' ? t.plan.totalSteps : Math.min(t.step, t.plan.totalSteps)), 0);
      const width = 24;
      const filled = Math.round((doneSteps / Math.max(total, 1)) * width);
      const line = `compare [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.status()}`;
      const cols = this.out.columns || 120;
      this.out.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
    } else if (force || now - this.lastLine >= 15_000) {
      this.lastLine = now;
      const running = this.tasks.filter((t) => t.state === 'running').map((t) => `${t.name} ${Math.floor((100 * t.step) / t.plan.totalSteps)}%`);
      this.out.write(`[compare] ${this.status()}${running.length ? ` (${running.join(', ')})` : ''}\n`);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.mode === 'bar') {
      this.draw(true);
      this.out.write('\n');
    } else if (this.mode === 'lines') {
      this.draw(true);
    }
  }
}

// ───────────────────────────── orchestration ─────────────────────────────

/** Runs (or resumes) a comparison and writes its report. */
export async function runComparison(o: CompareOptions): Promise<CompareResult> {
  const request = planComparison(o);
  const outDir = path.resolve(o.outDir);
  const runsDir = path.join(outDir, 'runs');
  const logsDir = path.join(outDir, 'logs');
  const workers = o.workers ?? os.availableParallelism();
  fs.mkdirSync(outDir, { recursive: true });
  const lock = new Lock(path.join(outDir, LOCK_FILE));
  lock.acquire();

  let interrupted = false;
  let signals = 0;
  const tasks: Task[] = [];
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    interrupted = true;
    for (const t of tasks) {
      if (t.state !== 'running' || !t.child) continue;
      // First signal: ask the run to checkpoint and stop (the trainer treats SIGTERM like Ctrl-C); second: kill it.
      t.child.kill(signals === 1 ? 'SIGTERM' : 'SIGKILL');
    }
    progress?.log(signals === 1 ? `${sig}: asking the running runs to checkpoint and stop (again to kill them)…` : `${sig}: killing the running runs`);
  };
  let progress: CompareProgress | null = null;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const failures: CompareResult['failures'] = [];
  try {
    claimComparisonFile(outDir, request, o.command ?? []);
    fs.mkdirSync(runsDir, { recursive: true });
    fs.mkdirSync(logsDir, { recursive: true });

    // Seed-major order: a comparison stopped halfway has every agent on the same seeds.
    for (const seed of request.seeds) {
      for (const agent of request.agents) {
        const name = comparisonRunName(agent, seed);
        const task: Task = {
          agent, seed, name, dir: path.join(runsDir, name), log: path.join(logsDir, `${name}.log`), plan: request.plans[agent],
          mode: 'fresh', step: 0, startStep: 0, state: 'waiting',
        };
        task.mode = decide(task, request);
        if (task.mode === 'keep') {
          task.state = 'done';
          task.step = task.startStep = task.plan.totalSteps;
        }
        tasks.push(task);
      }
    }
    progress = new CompareProgress(tasks, o.progress ?? 'auto');
    const kept = tasks.filter((t) => t.mode === 'keep').map((t) => t.name);
    const todo = tasks.filter((t) => t.mode !== 'keep');
    progress.log(
      `comparing ${request.agents.join(', ')} on ${request.env} over seeds ${request.seeds.join(', ')} → ${outDir}\n` +
        `${tasks.length} runs: ${kept.length} already done, ${todo.filter((t) => t.mode === 'resume').length} to resume, ${todo.filter((t) => t.mode === 'fresh').length} to start` +
        (todo.length ? `; ${Math.min(workers, todo.length)} at a time` : ''),
    );
    progress.begin();

    const launch = (task: Task): Promise<void> =>
      new Promise((resolve) => {
        // A resumed run takes everything (backend included) from its config.json.
        const args = task.mode === 'resume' ? ['train', '--resume', task.dir, '--progress', 'lines'] : trainArgs(request, task.agent, task.seed, runsDir);
        const logFd = fs.openSync(task.log, 'a');
        fs.writeSync(logFd, `=== ${new Date().toISOString()} ${task.mode === 'resume' ? 'resume' : 'start'}: tsx experiments/cli.ts ${args.join(' ')}\n`);
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
        task.child = child;
        task.state = 'running';
        if (child.pid !== undefined) lock.add(child.pid);
        progress!.log(`▶ ${task.name}: ${task.mode === 'resume' ? 'resuming' : 'starting'}`);
        let tail = '';
        const onData = (chunk: Buffer) => {
          fs.writeSync(logFd, chunk);
          const text = tail + chunk.toString('utf8');
          const lines = text.split('\n');
          tail = lines.pop() ?? '';
          for (const line of lines) {
            const resumed = /^resuming .* from step (\d+)/.exec(line);
            if (resumed) task.step = task.startStep = Number(resumed[1]);
            const evalAt = /^eval @ (\d+):/.exec(line);
            if (evalAt) task.step = Math.max(task.step, Number(evalAt[1]));
            const bar = /\s(\S+)\/(\S+) steps\s/.exec(line);
            const count = bar ? parseCount(bar[1]) : null;
            if (count !== null) task.step = Math.max(task.step, count);
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        let spawnError: Error | null = null;
        child.on('error', (e) => (spawnError = e));
        child.on('close', (code, signal) => {
          fs.closeSync(logFd);
          if (child.pid !== undefined) lock.remove(child.pid);
          task.child = undefined;
          const { status, steps } = runSummary(task.dir);
          if (status === 'finished' || status === 'diverged') {
            task.state = 'done';
            task.step = steps ?? task.plan.totalSteps;
            progress!.log(`✓ ${task.name}: ${describeRun(task.dir)}`);
          } else if (interrupted) {
            task.state = 'waiting';
            progress!.log(`■ ${task.name}: stopped at step ${task.step} (${status ?? 'no summary'}); it resumes from its last checkpoint next time`);
          } else {
            task.state = 'failed';
            const why = spawnError ? spawnError.message : signal ? `killed by ${signal}` : `exited with code ${code}`;
            const message = `${why}; run status ${status ?? 'unknown'}. Last lines of ${task.log}:\n${lastLines(task.log, 8)}`;
            failures.push({ run: task.name, message, log: task.log });
            progress!.log(`✗ ${task.name}: ${why} (log: ${task.log})`);
          }
          resolve();
        });
      });

    // A simple pool: K workers pull the next waiting run.
    const queue = todo.slice();
    const worker = async () => {
      for (let task = queue.shift(); task && !interrupted; task = queue.shift()) await launch(task);
    };
    await Promise.all(Array.from({ length: Math.min(workers, Math.max(queue.length, 1)) }, worker));
    progress.end();

    const result: CompareResult = {
      outDir,
      report: null,
      interrupted,
      failures,
      kept,
      resumed: todo.filter((t) => t.mode === 'resume').map((t) => t.name),
      started: todo.filter((t) => t.mode === 'fresh').map((t) => t.name),
    };
    if (interrupted) {
      console.error(`interrupted: ${tasks.filter((t) => t.state === 'done').length}/${tasks.length} runs done. Run the same command again to resume (finished runs are kept).`);
      return result;
    }
    if (failures.length) {
      console.error(`${failures.length} run(s) failed:\n${failures.map((f) => `- ${f.run}: ${f.message}`).join('\n')}\nFix the cause, then run the same command again: finished runs are kept, the others resume.`);
      return result;
    }
    result.report = reportFor(outDir, o.report);
    return result;
  } finally {
    progress?.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock.release();
  }
}

function describeRun(dir: string): string {
  try {
    const s = readRunSummary(dir);
    if (!s) return 'done';
    const final = s.finalEval ? `final eval ${s.finalEval.mean.toFixed(1)}` : 'no eval';
    const solved = s.solvedAtStep !== null ? `, threshold reached at step ${s.solvedAtStep.toLocaleString('en-US')}` : '';
    return `${s.status}, ${s.steps.toLocaleString('en-US')} steps in ${s.wallSeconds.toFixed(1)} s, ${final}${solved}`;
  } catch {
    return 'done';
  }
}

function lastLines(file: string, n: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}

/** Computes and writes the report of the comparison in `dir` (its runs must all be done). */
export function reportFor(dir: string, options?: ReportOptions): ComparisonReport {
  const outDir = path.resolve(dir);
  const c = readComparisonFile(outDir);
  const report = computeReport({ env: c.env, agents: c.agents, seeds: c.seeds, runsDir: path.join(outDir, 'runs') }, options);
  writeReport(outDir, report);
  return report;
}

export { reportMarkdown };
