/**
 * `sweep`: trains one agent over a set of hyperparameter configurations (a grid, or N seeded random draws
 * from ranges), each over the same seeds, locally or on the queue; the report ranks the configurations by
 * IQM of the final score with bootstrap intervals and P(best > each other) (experiments/plan/sweep.ts).
 */
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { valueFlags } from './flags.js';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { rejectRunKeys } from '../../agents/hyperparams.js';
import { BACKENDS, type BackendChoice } from '../../agents/backend.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import type { ProgressMode } from '../harness/progress.js';
import { runName } from '../harness/run-dir.js';
import { parseAssignments } from './train.js';
import { parseSeedList, printResult } from './compare.js';
import { runPlanned } from '../compare.js';
import { parseGrid, parseRange, planSweep, type SweepOptions } from '../plan/sweep.js';
import { parseQueueUrl } from '../queue/connection.js';

interface SweepArgs {
  agent?: string;
  env?: string;
  grid: string[];
  range: string[];
  random?: number;
  'sweep-seed': number;
  seeds?: number;
  'seed-list'?: string;
  steps?: number;
  envs?: number;
  workers?: number;
  queue?: string;
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
  'bootstrap-reps': number;
  progress: ProgressMode;
}

function checkPositiveInt(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new TsgymError(`${flag} must be a positive integer, got ${v}`);
}

export function sweepOptionsFromArgs(a: SweepArgs, now = new Date()): SweepOptions {
  if (!a.agent) throw new TsgymError(`name the agent with --agent (${agentNames().join(', ')}), e.g. --agent dqn`);
  if (!a.env) throw new TsgymError(`name an env with --env (${envChoices().join(', ')}), e.g. --env cartpole`);
  const env = resolveEnvId(a.env);
  if (a.seeds !== undefined && a['seed-list'] !== undefined) throw new TsgymError('pass either --seeds N (seeds 0..N-1) or --seed-list 3,7, not both');
  checkPositiveInt('--seeds', a.seeds);
  checkPositiveInt('--random', a.random);
  checkPositiveInt('--bootstrap-reps', a['bootstrap-reps']);
  if (a.queue !== undefined && a.workers !== undefined) throw new TsgymError('--workers sets the local parallelism; with --queue, start workers instead (npm run worker -- --queue URL)');
  if (a.queue !== undefined) parseQueueUrl(a.queue);
  const reg = agentRegistration(a.agent);
  const sets = parseAssignments(a.set, '--set');
  rejectRunKeys(reg.name, reg.hyperparams, sets);
  const grid = a.grid.map(parseGrid);
  const ranges = a.range.map(parseRange);
  rejectRunKeys(reg.name, reg.hyperparams, Object.fromEntries([...grid, ...ranges].map((g) => [g.key, null])), '--grid/--range');
  const stamp = runName(env, 'x', 0, now).split('__').pop();
  return {
    agent: reg.name,
    env,
    grid,
    ranges,
    random: a.random,
    sweepSeed: a['sweep-seed'],
    seeds: a['seed-list'] !== undefined ? parseSeedList(a['seed-list']) : Array.from({ length: a.seeds ?? 5 }, (_, i) => i),
    steps: a.steps,
    numEnvs: a.envs,
    evalEvery: a['eval-every'],
    evalEpisodes: a['eval-episodes'],
    recordEpisodes: a['record-episodes'],
    checkpointEvery: a['checkpoint-every'],
    logEvery: a['log-every'],
    stopWhenSolved: a['stop-when-solved'],
    envKwargs: parseAssignments(a['env-set'], '--env-set'),
    sets,
    backend: a.backend,
    workers: a.workers,
    queue: a.queue,
    outDir: a.out ?? path.join('runs', `sweep__${a.agent}__${env}__${stamp}`),
    progress: a.progress,
    report: { bootstrapReps: a['bootstrap-reps'] },
  };
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep',
  describe: "Sweep an agent's hyperparameters (grid or seeded random search) over several seeds, locally or on a queue; ranks configurations by IQM",
  builder: (y: Argv) =>
    y
      .options(valueFlags({
        agent: { type: 'string', describe: `The agent (${agentNames().join(', ')})` },
        env: { type: 'string', describe: `Env id or alias: ${envChoices().join(', ')}` },
        grid: { type: 'string', array: true, default: [] as string[], describe: 'Values of one hyperparameter: --grid lr=1e-3,5e-4 --grid hidden=[64,64],[128,128] (the sweep is their product)' },
        range: { type: 'string', array: true, default: [] as string[], describe: 'A range to draw from with --random: --range lr=1e-4:1e-2:log (lin, log or int)' },
        random: { type: 'number', describe: 'Draw N random configurations (from --range, and from --grid lists) instead of the full grid' },
        'sweep-seed': { type: 'number', default: 0, describe: 'Seed of the random draws (the same seed draws the same configurations)' },
        seeds: { type: 'number', describe: 'Number of seeds per configuration: 0..N-1 (default 5)' },
        'seed-list': { type: 'string', describe: 'Explicit comma-separated seeds instead of --seeds' },
        steps: { type: 'number', describe: "Env steps per run (default: the agent's preset)" },
        envs: { type: 'number', describe: 'Parallel envs per run (default: the preset)' },
        workers: { type: 'number', describe: 'Runs trained at the same time on this machine (default: the number of cores; not with --queue)' },
        queue: { type: 'string', describe: 'Run on the BullMQ queue at this Redis (redis://HOST:PORT); --out must be on a filesystem every worker shares' },
        out: { type: 'string', describe: 'Sweep directory (default runs/sweep__<agent>__<env>__<time>); reuse it to resume' },
        backend: { choices: BACKENDS, default: 'auto' as BackendChoice, describe: 'TensorFlow.js backend of every run' },
        'eval-every': { type: 'number', describe: 'Env steps between greedy evaluations (default: the preset)' },
        'eval-episodes': { type: 'number', describe: 'Episodes per evaluation (default: the preset)' },
        'record-episodes': { type: 'number', describe: 'Eval episodes recorded as replays at each evaluation (default 1)' },
        'checkpoint-every': { type: 'number', describe: 'Env steps between checkpoints (default: the preset)' },
        'log-every': { type: 'number', describe: 'Env steps between aggregated update-metric lines (default 1000)' },
        'stop-when-solved': { type: 'boolean', describe: 'Stop a run once a greedy eval reaches the threshold (default: the preset)' },
        set: { type: 'string', array: true, default: [] as string[], describe: 'A hyperparameter fixed in every configuration: --set gamma=0.98' },
        'env-set': { type: 'string', array: true, default: [] as string[], describe: 'Env constructor option for every run' },
        'bootstrap-reps': { type: 'number', default: 2000, describe: 'Bootstrap resamples for the confidence intervals' },
        progress: { choices: ['auto', 'bar', 'lines', 'none'] as const, default: 'auto' as ProgressMode, describe: 'Progress display (auto: a bar on a terminal, lines otherwise)' },
      }))
      .example('$0 sweep --agent dqn --env cartpole --grid lr=1e-3,5e-4 --grid hidden=[64,64],[128,128] --seeds 5', 'A 2×2 grid, five seeds per configuration')
      .example('$0 sweep --agent ppo --env cartpole --random 8 --range lr=1e-4:1e-2:log --seeds 3', 'Eight random learning rates (seeded draws)')
      .example('$0 sweep --agent dqn --env cartpole --grid lr=1e-3,5e-4 --out /shared/sw --queue redis://10.0.0.5:6379', 'On the queue') as unknown as Argv<SweepArgs>,
  handler: async (a) => {
    const options = sweepOptionsFromArgs(a);
    const argv = process.argv.slice(2);
    options.command = ['npm', 'run', 'sweep', '--', ...argv.slice(argv.indexOf('sweep') + 1)];
    printResult(await runPlanned(planSweep(options), options));
  },
};
