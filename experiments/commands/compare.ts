/**
 * `compare`: trains several agents on one env over the same seeds, each (agent, seed) as its own process,
 * and reports the comparison with sound statistics (experiments/compare.ts, experiments/report.ts).
 * `--report-only DIR` recomputes the report of an existing comparison.
 */
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { valueFlags } from './flags.js';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { BACKENDS, type BackendChoice } from '../../agents/backend.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import type { ProgressMode } from '../harness/progress.js';
import { runName } from '../harness/run-dir.js';
import { parseAssignments } from './train.js';
import { rejectRunKeys } from '../../agents/hyperparams.js';
import { reportFor, reportMarkdown, runComparison, type CompareOptions, type CompareResult } from '../compare.js';
import { parseQueueUrl } from '../queue/connection.js';

interface CompareArgs {
  env?: string;
  agents?: string;
  seeds?: number;
  'seed-list'?: string;
  steps?: number;
  envs?: number;
  workers?: number;
  out?: string;
  backend: BackendChoice;
  'eval-every'?: number;
  'eval-episodes'?: number;
  'record-episodes'?: number;
  'checkpoint-every'?: number;
  'log-every'?: number;
  'stop-when-solved'?: boolean;
  set: string[];
  'env-set': string[];
  'report-only'?: string;
  'bootstrap-reps': number;
  progress: ProgressMode;
  queue?: string;
}

/** `3,7, 11` → [3, 7, 11]; each must be a non-negative integer. */
export function parseSeedList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.length) throw new TsgymError(`--seed-list expects comma-separated seeds, e.g. --seed-list 3,7, got '${text}'`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new TsgymError(`--seed-list: '${p}' is not a non-negative integer seed (e.g. --seed-list 3,7)`);
    return Number(p);
  });
}

/** `--set dqn.lr=0.0005 --set ppo.clip=0.1` → { dqn: { lr: 0.0005 }, ppo: { clip: 0.1 } }. */
export function parseAgentSets(pairs: string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const pair of pairs) {
    const m = /^\s*([^.=\s]+)\.([^=]+=.*)$/s.exec(pair);
    if (!m) throw new TsgymError(`--set expects agent.key=value in a comparison, got '${pair}' (e.g. --set dqn.lr=0.0005)`);
    const reg = agentRegistration(m[1]);
    const agent = reg.name;
    const set = parseAssignments([m[2]], `--set ${agent}.`);
    rejectRunKeys(agent, reg.hyperparams, set, `--set ${agent}.`);
    out[agent] = { ...(out[agent] ?? {}), ...set };
  }
  return out;
}

function checkPositiveInt(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new TsgymError(`${flag} must be a positive integer, got ${v}`);
}

export function compareOptionsFromArgs(a: CompareArgs, now = new Date()): CompareOptions {
  if (!a.env) throw new TsgymError(`name an env with --env (${envChoices().join(', ')}), e.g. --env cartpole`);
  if (!a.agents) throw new TsgymError(`name the agents with --agents (${agentNames().join(', ')}), e.g. --agents dqn,ppo,a2c`);
  const env = resolveEnvId(a.env);
  const agents = a.agents.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!agents.length) throw new TsgymError(`--agents is empty; name at least one agent (${agentNames().join(', ')})`);
  for (const agent of agents) agentRegistration(agent);
  if (a.seeds !== undefined && a['seed-list'] !== undefined) throw new TsgymError('pass either --seeds N (seeds 0..N-1) or --seed-list 3,7, not both');
  checkPositiveInt('--seeds', a.seeds);
  const seeds = a['seed-list'] !== undefined ? parseSeedList(a['seed-list']) : Array.from({ length: a.seeds ?? 5 }, (_, i) => i);
  checkPositiveInt('--steps', a.steps);
  checkPositiveInt('--workers', a.workers);
  checkPositiveInt('--bootstrap-reps', a['bootstrap-reps']);
  if (a.queue !== undefined && a.workers !== undefined) throw new TsgymError('--workers sets the local parallelism; with --queue, start as many workers as you like (npm run worker -- --queue URL --concurrency K)');
  if (a.queue !== undefined) parseQueueUrl(a.queue);
  // runName gives <env>__<agent>__seed<S>__<time>; a comparison's default directory reuses its time stamp.
  const stamp = runName(env, 'x', 0, now).split('__').pop();
  return {
    env,
    agents,
    seeds,
    steps: a.steps,
    numEnvs: a.envs,
    evalEvery: a['eval-every'],
    evalEpisodes: a['eval-episodes'],
    recordEpisodes: a['record-episodes'],
    checkpointEvery: a['checkpoint-every'],
    logEvery: a['log-every'],
    stopWhenSolved: a['stop-when-solved'],
    envKwargs: parseAssignments(a['env-set'], '--env-set'),
    sets: parseAgentSets(a.set),
    backend: a.backend,
    workers: a.workers,
    queue: a.queue,
    outDir: a.out ?? path.join('runs', `compare__${env}__${stamp}`),
    progress: a.progress,
    report: { bootstrapReps: a['bootstrap-reps'] },
  };
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare',
  describe: 'Compare agents on one env over several seeds (one process per run, K at a time) and report IQM/mean/median with bootstrap CIs',
  builder: (y: Argv) =>
    y
      .options(valueFlags({
        env: { type: 'string', describe: `Env id or alias: ${envChoices().join(', ')}` },
        agents: { type: 'string', describe: `Comma-separated agents (${agentNames().join(', ')})` },
        seeds: { type: 'number', describe: 'Number of seeds: runs seeds 0..N-1 for every agent (default 5)' },
        'seed-list': { type: 'string', describe: 'Explicit comma-separated seeds instead of --seeds, e.g. 3,7' },
        steps: { type: 'number', describe: "Env steps per run for every agent (default: each agent's preset budget)" },
        envs: { type: 'number', describe: 'Parallel envs per run (default: the presets)' },
        workers: { type: 'number', describe: 'Runs trained at the same time on this machine (default: the number of cores; not with --queue)' },
        queue: { type: 'string', describe: 'Run on a BullMQ queue at this Redis (redis://HOST:PORT) instead of locally: workers (npm run worker) train the runs; --out must be a path every worker reaches' },
        out: { type: 'string', describe: 'Comparison directory (default runs/compare__<env>__<time>); reuse it to resume' },
        backend: { choices: BACKENDS, default: 'auto' as BackendChoice, describe: 'TensorFlow.js backend of every run' },
        'eval-every': { type: 'number', describe: 'Env steps between greedy evaluations (default: the presets)' },
        'eval-episodes': { type: 'number', describe: 'Episodes per evaluation (default: the presets)' },
        'record-episodes': { type: 'number', describe: 'Eval episodes recorded as replays at each evaluation (default 1)' },
        'checkpoint-every': { type: 'number', describe: 'Env steps between checkpoints (default: the presets)' },
        'log-every': { type: 'number', describe: 'Env steps between aggregated update-metric lines (default 1000)' },
        'stop-when-solved': { type: 'boolean', describe: "Stop a run once a greedy eval reaches the env's reward threshold (default: the presets; --no-stop-when-solved trains every run for its full budget)" },
        set: { type: 'string', array: true, default: [] as string[], describe: 'Per-agent hyperparameter override: --set dqn.lr=0.0005 --set ppo.clipCoef=0.1' },
        'env-set': { type: 'string', array: true, default: [] as string[], describe: 'Env constructor option for every run: --env-set difficulty=2' },
        'report-only': { type: 'string', describe: 'Recompute report.json and report.md of this existing comparison directory; trains nothing' },
        'bootstrap-reps': { type: 'number', default: 2000, describe: 'Bootstrap resamples for the confidence intervals' },
        progress: { choices: ['auto', 'bar', 'lines', 'none'] as const, default: 'auto' as ProgressMode, describe: 'Progress display (auto: a bar on a terminal, lines otherwise)' },
      }))
      .example('$0 compare --env cartpole --agents dqn,ppo,a2c --seeds 5', 'Three agents, five seeds each, with their tuned presets')
      .example('$0 compare --env cartpole --agents dqn,ppo --seed-list 3,7 --steps 20000 --workers 2', 'Fixed budget, chosen seeds, two runs at a time')
      .example('$0 compare --env cartpole --agents dqn,ppo,a2c --seeds 5 --out runs/cmp', 'Rerun after an interruption: finished runs are kept, the rest resume')
      .example('$0 compare --env cartpole --agents dqn,ppo --seeds 20 --out /shared/cmp --queue redis://10.0.0.5:6379', 'On the queue: workers on any machine train the runs')
      .example('$0 compare --report-only runs/cmp', 'Recompute the report') as unknown as Argv<CompareArgs>,
  handler: async (a) => {
    if (a['report-only'] !== undefined) {
      checkPositiveInt('--bootstrap-reps', a['bootstrap-reps']);
      const report = reportFor(a['report-only'], { bootstrapReps: a['bootstrap-reps'] });
      console.log(reportMarkdown(report));
      console.log(`wrote ${path.join(path.resolve(a['report-only']), 'report.md')} and report.json`);
      return;
    }
    const options = compareOptionsFromArgs(a);
    const argv = process.argv.slice(2);
    options.command = ['npm', 'run', 'compare', '--', ...argv.slice(argv.indexOf('compare') + 1)];
    printResult(await runComparison(options));
  },
};

/** Prints the report (when there is one) and sets the exit code: 0 complete, 1 some run failed, 130 interrupted. */
export function printResult(result: CompareResult): void {
  if (result.report) {
    console.log(reportMarkdown(result.report));
    console.log(`wrote ${path.join(result.outDir, 'report.md')} and report.json${result.failures.length ? ` (${result.failures.length} run(s) missing: ${result.failures.map((f) => f.run).join(', ')})` : ''}`);
  }
  process.exitCode = result.interrupted ? 130 : result.failures.length ? 1 : 0;
}
