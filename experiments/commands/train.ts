/**
 * `train <agent> [env]`: trains an agent on an env with the tuned preset for that pair; every preset value
 * can be overridden by a flag or `--set key=value`. `--resume DIR` continues a killed or interrupted run.
 */
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { isRunDir } from '../run-format.js';
import { cadenceFlags, cadenceFromArgs, parseAssignments, valueFlags, type CadenceArgs } from './flags.js';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { BACKENDS, type BackendChoice } from '../../agents/backend.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import { noPresetNote, presetFor } from '../presets.js';
import { rejectRunKeys } from '../../agents/hyperparams.js';
import { resume, train, type ResumeOptions, type TrainOptions } from '../harness/trainer.js';
import type { ProgressMode } from '../harness/progress.js';
import { parseSeedRange, trainSeeds } from '../harness/batch-seeds.js';
import { parseSeedList } from './flags.js';

interface TrainArgs extends CadenceArgs {
  agent?: string;
  env?: string;
  seed?: number;
  steps?: number;
  envs?: number;
  out?: string;
  backend?: BackendChoice;
  resume?: string;
  'from-checkpoint'?: number;
  'take-over-lock'?: boolean;
  set: string[];
  'env-set': string[];
  progress: ProgressMode;
  'run-name'?: string;
  seeds?: string;
  'seed-list'?: string;
  'resume-batch'?: boolean;
}

export function trainOptionsFromArgs(a: TrainArgs): TrainOptions {
  if (!a.agent) throw new TsgymError(`name an agent (${agentNames().join(', ')}), e.g. npm run train:dqn cartpole`);
  const reg = agentRegistration(a.agent); // clear error for an unknown agent
  const envId = resolveEnvId(a.env ?? 'cartpole');
  const preset = presetFor(a.agent, envId);
  const sets = parseAssignments(a.set, '--set');
  rejectRunKeys(reg.name, reg.hyperparams, sets);
  return {
    agent: a.agent,
    env: envId,
    seed: a.seed ?? 0,
    totalSteps: a.steps ?? preset.totalSteps,
    numEnvs: a.envs ?? preset.numEnvs,
    evalEvery: a['eval-every'] ?? preset.evalEvery,
    evalEpisodes: a['eval-episodes'] ?? preset.evalEpisodes,
    recordEpisodes: a['record-episodes'] ?? 2,
    checkpointEvery: a['checkpoint-every'] ?? preset.checkpointEvery,
    stopWhenSolved: a['stop-when-solved'] ?? preset.stopWhenSolved,
    logEvery: a['log-every'] ?? 1000,
    envKwargs: { ...preset.envKwargs, ...parseAssignments(a['env-set'], '--env-set') },
    hyperparams: { ...preset.hyperparams, ...sets },
    backend: a.backend ?? 'auto',
    outDir: a.out ?? 'runs',
    runName: a['run-name'],
    progress: a.progress,
  };
}

/**
 * The flags typed along with `--resume` (defaults are applied only to new runs, so every defined value here
 * was given): checked against the run's config by the trainer.
 */
export function resumeOptionsFromArgs(a: TrainArgs): ResumeOptions {
  if (!isRunDir(a.resume!)) throw new TsgymError(`--resume ${a.resume}: not a run directory (no config.json)`);
  // --out / --run-name equal to where the run is are harmless; anything else would be silently ignored.
  const unusable = [
    a.out !== undefined && path.resolve(a.out) !== path.resolve(path.dirname(a.resume!)) ? '--out' : null,
    a['run-name'] !== undefined && a['run-name'] !== path.basename(path.resolve(a.resume!)) ? '--run-name' : null,
  ].filter((f) => f !== null);
  if (unusable.length) throw new TsgymError(`${unusable.join(' and ')} cannot move a resumed run: it stays in ${a.resume}; drop the flag`);
  const sets = parseAssignments(a.set, '--set');
  const envSets = parseAssignments(a['env-set'], '--env-set');
  return {
    progress: a.progress,
    fromCheckpoint: a['from-checkpoint'],
    takeOverLock: a['take-over-lock'],
    flags: {
      agent: a.agent,
      env: a.env,
      seed: a.seed,
      totalSteps: a.steps,
      numEnvs: a.envs,
      ...cadenceFromArgs(a),
      hyperparams: Object.keys(sets).length ? sets : undefined,
      envKwargs: Object.keys(envSets).length ? envSets : undefined,
      backend: a.backend,
    },
  };
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train [agent] [env]',
  describe: 'Train an agent on an env (tuned preset per pair; flags override it)',
  builder: (y: Argv) =>
    y
      .positional('agent', { type: 'string', describe: 'Agent to train', choices: agentNames() })
      .positional('env', { type: 'string', describe: `Env id or alias (default cartpole): ${envChoices().join(', ')}` })
      .options(valueFlags({
        seed: { type: 'number', describe: 'Run seed, an integer from 0 to 2^53 − 1 (default 0): every random stream (envs, init, exploration, sampling) is hashed from it' },
        steps: { type: 'number', describe: 'Total env steps (default: the preset)' },
        envs: { type: 'number', describe: 'Number of parallel envs in the vector env (default: the preset)' },
        out: { type: 'string', describe: 'Directory that receives the run directory (default runs)' },
        backend: { choices: BACKENDS, describe: 'TensorFlow.js backend (default auto: tensorflow if tfjs-node loads, else wasm, else cpu)' },
        ...cadenceFlags('the preset', 2),
        'stop-when-solved': { type: 'boolean', describe: "Stop once a greedy eval reaches the env's reward threshold (default: the preset; --no-stop-when-solved to train the full budget)" },
        resume: { type: 'string', describe: "Continue the run in this directory from its latest checkpoint. Settings come from its config.json: --steps N above its budget extends it; any other flag must equal the run's value" },
        'from-checkpoint': { type: 'number', describe: 'With --resume: continue from the checkpoint at this env step instead of the latest (e.g. when the latest is damaged)' },
        'take-over-lock': { type: 'boolean', describe: "With --resume: take the run's lock even if another process (or host) holds it — only when that process is known to be gone, e.g. a queue re-running a dead worker's job" },
        set: { type: 'string', array: true, default: [] as string[], describe: 'Override a hyperparameter: --set lr=0.0005 --set hidden=[128,128]' },
        'env-set': { type: 'string', array: true, default: [] as string[], describe: 'Env constructor option: --env-set difficulty=2' },
        progress: { choices: ['auto', 'bar', 'lines', 'json', 'none'] as const, default: 'auto' as ProgressMode, describe: 'Progress display (auto: a bar on a terminal, periodic lines otherwise; json: one JSON event per line on stderr, for a parent process)' },
        'run-name': { type: 'string', describe: 'Run directory name (default: <env>__<agent>__seed<S>__<time>)' },
        seeds: { type: 'string', describe: 'Train many seeds in this one process, one ordinary run directory each: a range A-B (e.g. 0-255) or a count N (seeds 0..N-1). Each seed computes exactly what --seed S computes' },
        'seed-list': { type: 'string', describe: 'Like --seeds, with the seeds listed: --seed-list 3,7,11' },
        'resume-batch': { type: 'boolean', describe: 'With --seeds/--seed-list: continue a stopped batch in --out (ended runs are kept, unfinished ones resume from their checkpoint, missing seeds start)' },
      }))
      .example('$0 train dqn cartpole', 'Train DQN on CartPole-v1 with the tuned preset')
      .example('$0 train ppo cartpole --seeds 0-255', 'Train 256 seeds in one process (one run directory each)')
      .example('$0 train ppo lanekeeper-continuous --seed 3', 'Train PPO on the continuous lane-keeper')
      .example('$0 train dqn cartpole --set lr=0.0005 --steps 80000', 'Override the preset')
      .example('$0 train --resume runs/CartPole-v1__dqn__seed0__20260101-120000', 'Continue a killed run')
      .example('$0 train --resume runs/CartPole-v1__dqn__seed0__20260101-120000 --steps 100000', "Continue a finished run past its budget") as unknown as Argv<TrainArgs>,
  handler: async (a) => {
    if (!a.resume && (a['from-checkpoint'] !== undefined || a['take-over-lock'])) throw new TsgymError('--from-checkpoint and --take-over-lock go with --resume DIR');
    if (a.seeds !== undefined || a['seed-list'] !== undefined) return trainSeedsHandler(a);
    if (a['resume-batch']) throw new TsgymError('--resume-batch goes with --seeds A-B or --seed-list (the batch to continue)');
    const options = a.resume ? undefined : trainOptionsFromArgs(a);
    const note = options && noPresetNote(options.agent, options.env);
    if (note) console.error(note);
    const result = options ? await train(options) : await resume(a.resume!, resumeOptionsFromArgs(a));
    console.log(result.runDir);
    if (result.summary.status === 'interrupted') process.exitCode = 130;
  },
};

/** `train <agent> <env> --seeds A-B` / `--seed-list 3,7`: every seed in this process, one run directory each. */
async function trainSeedsHandler(a: TrainArgs): Promise<void> {
  const clash = [a.seeds !== undefined && a['seed-list'] !== undefined && '--seeds with --seed-list', a.seed !== undefined && '--seed', a.resume !== undefined && '--resume', a['run-name'] !== undefined && '--run-name'].filter(Boolean);
  if (clash.length) throw new TsgymError(`${clash.join(', ')} cannot go with ${a.seeds !== undefined ? '--seeds' : '--seed-list'}: a batch trains the listed seeds as new runs named <env>__<agent>__seed<S>__<time> (continue a stopped batch with --resume-batch, or one of its runs with --resume DIR)`);
  const seeds = a.seeds !== undefined ? parseSeedRange(a.seeds) : parseSeedList(a['seed-list']!);
  const { seed: _seed, runName: _name, ...opts } = trainOptionsFromArgs(a);
  const result = await trainSeeds({ ...opts, seeds, resumeBatch: a['resume-batch'], onRunEnd: (run) => console.log(run.runDir) });
  const count = (status: string) => result.runs.filter((r) => r.summary.status === status).length;
  const solved = result.runs.filter((r) => r.summary.solvedAtStep != null).length;
  const diverged = count('diverged');
  const kept = result.runs.filter((r) => r.how === 'kept').length;
  console.error(`${result.runs.length} of ${seeds.length} seeds ran${kept ? ` (${kept} had already ended)` : ''}: ${count('finished')} finished (${solved} solved), ${diverged} diverged${result.interrupted ? `, stopped by a signal (${result.notStarted.length} not started)` : ''}`);
  if (result.interrupted) process.exitCode = 130;
  else if (diverged > 0) process.exitCode = 1;
}
