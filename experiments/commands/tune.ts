/**
 * `tune`: hyperparameter search for one agent on one env (experiments/tune/run-study.ts): TPE or random
 * sampling over a search space, each trial a config trained on K seeds, median pruning, then the best
 * trials re-run on fresh seeds. Every input is checked before `--out` is created.
 */
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { batchExecutionFlags, batchFlags, checkQueueFlags, valueFlags, type BatchArgs } from './flags.js';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { rejectRunKeys } from '../../agents/hyperparams.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import { agentEnvWithFile, presetWithFile, readPresetFile, runFlagOptions } from '../run-spec.js';
import { parseAssignments, parseSeed, positiveInt, runFlagsFromArgs } from '../../formats/run-spec.js';
import { defaultSpaceFor, DEFAULT_SPACES } from '../tune/default-spaces.js';
import { mergeSpaces, parseSpaceFlags } from '../tune/space.js';
import { OBJECTIVE_KINDS, type ObjectiveKind } from '../tune/objective.js';
import { PRUNER_KINDS, createPruner, type PrunerKind, type PrunerOptions } from '../tune/pruner.js';
import type { SamplerKind } from '../tune/sampler.js';
import { runTune, type TuneOptions } from '../tune/run-study.js';
import { STUDY_FILES, TUNE_FILES } from '../tune/study.js';
import { commandLine } from '../../core/command-line.js';
import { checkSeedsPerProcess } from '../plan/batches.js';
import { PRESET_BASES, type PresetBase } from '../presets.js';

interface TuneArgs extends BatchArgs {
  agent?: string;
  trials?: number;
  sampler: SamplerKind;
  pruner: PrunerKind;
  'pruner-startup-trials'?: number;
  'pruner-warmup-steps'?: number;
  'pruner-interval-steps'?: number;
  'pruner-percentile'?: number;
  'pruner-min-steps'?: number;
  'pruner-reduction-factor'?: number;
  space: string[];
  'space-only'?: boolean;
  objective: ObjectiveKind;
  'study-seed': string;
  finalists: number;
  'fresh-seeds': number;
  'parallel-trials'?: number;
  from?: PresetBase;
}

const nonNegative = (flag: string, v: number | undefined) => {
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new TsgymError(`${flag} must be a non-negative integer, got ${v}`);
};

/** The options of a study from its flags; throws (writing nothing) on any bad input. */
export function tuneOptionsFromArgs(a: TuneArgs): TuneOptions {
  if (!a.agent) throw new TsgymError(`name the agent to tune (${agentNames().join(', ')}), e.g. ${commandLine('tune', 'ppo cartpole --trials 30 --seeds 3 --out runs/tune')}`);
  const presetFile = a.preset !== undefined ? readPresetFile(a.preset) : undefined;
  const named = agentEnvWithFile(a.agent, a.env, presetFile, a.preset);
  if (!named.env) throw new TsgymError(`name an env (${envChoices().join(', ')}), e.g. tsgym tune ${a.agent} cartpole`);
  const reg = agentRegistration(a.agent);
  const env = resolveEnvId(named.env);
  if (a.trials === undefined) throw new TsgymError('give the number of trials with --trials N');
  positiveInt('--trials', a.trials);
  if (a.trials < 1) throw new TsgymError(`--trials must be at least 1, got ${a.trials}`);
  positiveInt('--seeds', a.seeds);
  positiveInt('--workers', a.workers);
  positiveInt('--parallel-trials', a['parallel-trials']);
  checkSeedsPerProcess(a['seeds-per-process']);
  positiveInt('--fresh-seeds', a['fresh-seeds']);
  nonNegative('--finalists', a.finalists);
  nonNegative('--pruner-startup-trials', a['pruner-startup-trials']);
  nonNegative('--pruner-warmup-steps', a['pruner-warmup-steps']);
  positiveInt('--pruner-interval-steps', a['pruner-interval-steps']);
  positiveInt('--pruner-min-steps', a['pruner-min-steps']);
  positiveInt('--pruner-reduction-factor', a['pruner-reduction-factor']);
  checkQueueFlags(a);
  if (!a.out) throw new TsgymError('give the study directory with --out DIR (rerun the same command with it to resume)');
  if (Array.isArray(a.out)) throw new TsgymError(`--out is given ${a.out.length} times; a study has one directory`);
  const given = a.space.length ? parseSpaceFlags(a.space, reg.hyperparams as never) : {};
  if (a['space-only'] && !a.space.length) throw new TsgymError('--space-only tunes only the --space parameters; give at least one --space key=low:high');
  if (!a['space-only'] && !Object.hasOwn(DEFAULT_SPACES, reg.name) && !a.space.length) defaultSpaceFor(reg.name); // one line: no default space, give --space
  const flags = runFlagsFromArgs(a, 'sweep');
  const budget = flags.totalSteps ?? presetWithFile(reg.name, env, presetFile, a.from).totalSteps;
  const space = a['space-only'] || !Object.hasOwn(DEFAULT_SPACES, reg.name) ? given : mergeSpaces(defaultSpaceFor(reg.name, budget), given);
  const fixed = parseAssignments(a.set, '--set');
  rejectRunKeys(reg.name, reg.hyperparams, fixed);
  const prunerOptions: PrunerOptions = {
    ...(a['pruner-startup-trials'] !== undefined ? { startupTrials: a['pruner-startup-trials'] } : {}),
    ...(a['pruner-warmup-steps'] !== undefined ? { warmupSteps: a['pruner-warmup-steps'] } : {}),
    ...(a['pruner-interval-steps'] !== undefined ? { intervalSteps: a['pruner-interval-steps'] } : {}),
    ...(a['pruner-percentile'] !== undefined ? { percentile: a['pruner-percentile'] } : {}),
    ...(a['pruner-min-steps'] !== undefined ? { minSteps: a['pruner-min-steps'] } : {}),
    ...(a['pruner-reduction-factor'] !== undefined ? { reductionFactor: a['pruner-reduction-factor'] } : {}),
  };
  createPruner(a.pruner, prunerOptions); // bad pruner options: refused here
  return {
    agent: reg.name,
    env,
    flags,
    ...(presetFile ? { presetFile, presetFileName: a.preset } : {}),
    ...(a.from ? { from: a.from } : {}),
    trials: a.trials,
    seedsPerTrial: a.seeds ?? 3,
    sampler: a.sampler,
    pruner: a.pruner,
    prunerOptions,
    space,
    objective: a.objective,
    studySeed: parseSeed(a['study-seed'], '--study-seed'),
    fixedHyperparams: fixed,
    parallelTrials: a['parallel-trials'],
    finalists: a.finalists,
    freshSeeds: a['fresh-seeds'],
    workers: a.workers,
    seedsPerProcess: a['seeds-per-process'],
    queue: a.queue,
    outDir: path.resolve(a.out),
    progress: a.progress,
  };
}

export const tuneCommand: CommandModule<object, TuneArgs> = {
  command: 'tune [agent] [env]',
  describe: "Tune an agent's hyperparameters on an env (TPE with median pruning, K seeds per trial; the best re-run on fresh seeds), locally or on a queue",
  builder: (y: Argv) => {
    const shared = batchFlags();
    return y
      .positional('agent', { type: 'string', describe: `The agent (${agentNames().join(', ')})` })
      .positional('env', shared.env)
      .options(valueFlags({
        trials: { type: 'number', describe: 'Trials the study ends with (a resumed study continues up to this many)' },
        seeds: { type: 'number', describe: 'Seeds per trial (default 3); every trial runs the same seeds' },
        sampler: { choices: ['tpe', 'random'] as const, default: 'tpe' as SamplerKind, describe: 'How configs are proposed' },
        pruner: { choices: [...PRUNER_KINDS], default: 'median' as PrunerKind, describe: "Stop a trial early: median/percentile when its best eval so far is below the completed trials' median/percentile at the same step; halving (successive halving) unless it is in the top 1/η at each rung" },
        'pruner-startup-trials': { type: 'number', describe: 'Completed trials before the pruner prunes (default 5)' },
        'pruner-warmup-steps': { type: 'number', describe: 'median/percentile: no pruning before this many env steps (default 0)' },
        'pruner-interval-steps': { type: 'number', describe: 'median/percentile: judge once per this many env steps (default 1: at every eval)' },
        'pruner-percentile': { type: 'number', describe: 'percentile: the share of trials kept, in percent (default 25; 50 is the median pruner)' },
        'pruner-min-steps': { type: 'number', describe: 'halving: env steps of the first rung (default 1/η² of the budget)' },
        'pruner-reduction-factor': { type: 'number', describe: 'halving: η, the step factor between rungs; the top 1/η go on (default 3)' },
        space: { type: 'string', array: true, default: [] as string[], describe: "A parameter to tune: key=low:high[:log] (a range) or key=a,b,c (choices); replaces that key of the agent's default space" },
        'space-only': { type: 'boolean', describe: "Tune only the --space parameters, not the agent's default space" },
        objective: { choices: [...OBJECTIVE_KINDS], default: 'last-quarter' as ObjectiveKind, describe: 'Per run: the mean greedy eval over the last quarter of evals, the final eval, or the area under the eval curve; per trial: the IQM over seeds' },
        'study-seed': { type: 'string', default: '0', describe: "Seed of the sampler and of every run's seed" },
        finalists: { type: 'number', default: 3, describe: 'Best trials re-run on fresh seeds to choose the winner (0: take the study\'s best as is)' },
        'fresh-seeds': { type: 'number', default: 10, describe: 'Fresh seeds (never used in the study) for the re-evaluation' },
        'parallel-trials': { type: 'number', describe: 'Trials trained at once (default: --workers ÷ --seeds locally, 1 on a queue)' },
        from: { choices: [...PRESET_BASES], default: 'preset' as PresetBase, describe: "What the untuned settings and the defaults the winner is compared with start from: the env's tuned preset (for an env without one: the agent's defaults), or the agent's defaults even where a preset exists" },
        ...runFlagOptions('sweep'),
        ...batchExecutionFlags(),
        queue: { type: 'string', describe: 'Train the runs as jobs on the BullMQ queue at this Redis (redis://HOST:PORT); --out must be on a filesystem every worker shares' },
        out: { type: 'string', describe: 'Study directory (required); rerun the same command with it to resume' },
        progress: shared.progress,
      }))
      .example('$0 tune ppo cartpole --trials 30 --seeds 3 --out runs/tune-ppo', "PPO's default search space, TPE with median pruning")
      .example("$0 tune dqn cartpole --trials 20 --seeds 2 --steps 20000 --space lr=1e-5:1e-2:log --space activation=tanh,relu --space-only --out runs/t", 'Two parameters only')
      .example('$0 tune ppo acrobot --from defaults --trials 30 --steps 40000 --out runs/tune-acrobot', "Start from PPO's defaults, not Acrobot's tuned preset")
      .example('$0 train ppo cartpole --preset runs/tune-ppo/best.json', 'Train the winner') as unknown as Argv<TuneArgs>;
  },
  handler: async (a) => {
    const result = await runTune(tuneOptionsFromArgs(a));
    if (result.interrupted) {
      console.error(`interrupted: ${result.trials.filter((t) => t.state !== 'running').length} trials finished. Run the same command again to continue the study.`);
      process.exitCode = 130;
      return;
    }
    const best = path.join(result.outDir, STUDY_FILES.best);
    if (result.report) {
      const w = result.report.finalists.find((f) => f.trial === result.report!.winner)!;
      console.log(`best: trial ${w.trial} ${JSON.stringify(w.params)}: fresh-seed IQM ${w.iqm.point.toFixed(2)} [${w.iqm.low.toFixed(2)}, ${w.iqm.high.toFixed(2)}], P(IQM > defaults) ${w.pIqmAboveDefaults.toFixed(2)}, P(run > defaults) ${w.pBetterThanDefaults.point.toFixed(2)}`);
      console.log(`wrote ${best}, ${path.join(result.outDir, TUNE_FILES.reportMd)} and ${TUNE_FILES.report}`);
    } else console.log(`wrote ${best}`);
  },
};
