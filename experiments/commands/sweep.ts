/**
 * `sweep`: trains one agent over a set of hyperparameter configurations (a grid, or N seeded random draws
 * from ranges), each over the same seeds, locally or on the queue; the report ranks the configurations by
 * IQM of the final score with bootstrap intervals and P(best > each other) (experiments/plan/sweep.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { batchExecutionFlags, batchFlags, batchOptionsFromArgs, checkQueueFlags, defaultBatchDir, seedsFromArgs, typedCommandWords, valueFlags, type BatchArgs } from './flags.js';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { rejectRunKeys } from '../../agents/hyperparams.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import { runFlagOptions } from '../run-spec.js';
import { parseAssignments, positiveInt } from '../../formats/run-spec.js';
import { envIdInName } from '../../formats/run-format.js';
import { printResult } from './compare.js';
import { runPlanned } from '../compare.js';
import { parseGrid, parseRange, planSweep, type SweepOptions } from '../plan/sweep.js';

interface SweepArgs extends BatchArgs {
  agent?: string;
  grid: string[];
  range: string[];
  random?: number;
  'sweep-seed': number;
}

export function sweepOptionsFromArgs(a: SweepArgs, now = new Date()): SweepOptions {
  if (!a.agent) throw new TsgymError(`name the agent with --agent (${agentNames().join(', ')}), e.g. --agent dqn`);
  if (!a.env) throw new TsgymError(`name an env with --env (${envChoices().join(', ')}), e.g. --env cartpole`);
  const env = resolveEnvId(a.env);
  const seeds = seedsFromArgs(a);
  positiveInt('--random', a.random);
  positiveInt('--bootstrap-reps', a['bootstrap-reps']);
  checkQueueFlags(a);
  const reg = agentRegistration(a.agent);
  const sets = parseAssignments(a.set, '--set');
  rejectRunKeys(reg.name, reg.hyperparams, sets);
  const grid = a.grid.map(parseGrid);
  const ranges = a.range.map(parseRange);
  rejectRunKeys(reg.name, reg.hyperparams, Object.fromEntries([...grid, ...ranges].map((g) => [g.key, null])), '--grid/--range');
  return {
    agent: reg.name,
    env,
    grid,
    ranges,
    random: a.random,
    sweepSeed: a['sweep-seed'],
    seeds,
    ...batchOptionsFromArgs(a, 'sweep'),
    sets,
    outDir: a.out ?? defaultBatchDir(['sweep', a.agent, envIdInName(env)], now),
  };
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep',
  describe: "Sweep an agent's hyperparameters (grid or seeded random search) over several seeds, locally or on a queue; ranks configurations by IQM",
  builder: (y: Argv) => {
    const shared = batchFlags();
    return y
      .options(valueFlags({
        agent: { type: 'string', describe: `The agent (${agentNames().join(', ')})` },
        env: shared.env,
        grid: { type: 'string', array: true, default: [] as string[], describe: 'Values of one hyperparameter: --grid lr=1e-3,5e-4 --grid hidden=[64,64],[128,128] (the sweep is their product)' },
        range: { type: 'string', array: true, default: [] as string[], describe: 'A range to draw from with --random: --range lr=1e-4:1e-2:log (lin, log or int)' },
        random: { type: 'number', describe: 'Draw N random configurations (from --range, and from --grid lists) instead of the full grid' },
        'sweep-seed': { type: 'number', default: 0, describe: 'Seed of the random draws (the same seed draws the same configurations)' },
        seeds: { type: 'number', describe: 'Number of seeds per configuration: 0..N-1 (default 5)' },
        'seed-list': { type: 'string', describe: 'Explicit comma-separated seeds instead of --seeds' },
        ...runFlagOptions('sweep'),
        ...batchExecutionFlags(),
        queue: { type: 'string', describe: 'Run on the BullMQ queue at this Redis (redis://HOST:PORT); --out must be on a filesystem every worker shares' },
        out: { type: 'string', describe: 'Sweep directory (default runs/sweep__<agent>__<env>__<time>); reuse it to resume' },
        'bootstrap-reps': shared['bootstrap-reps'],
        progress: shared.progress,
      }))
      .example('$0 sweep --agent dqn --env cartpole --grid lr=1e-3,5e-4 --grid hidden=[64,64],[128,128] --seeds 5', 'A 2×2 grid, five seeds per configuration')
      .example('$0 sweep --agent ppo --env cartpole --random 8 --range lr=1e-4:1e-2:log --seeds 3', 'Eight random learning rates (seeded draws)')
      .example('$0 sweep --agent dqn --env cartpole --grid lr=1e-3,5e-4 --out /shared/sw --queue redis://10.0.0.5:6379', 'On the queue') as unknown as Argv<SweepArgs>;
  },
  handler: async (a) => {
    const options = sweepOptionsFromArgs(a);
    options.command = typedCommandWords('sweep');
    printResult(await runPlanned(planSweep(options), options));
  },
};
