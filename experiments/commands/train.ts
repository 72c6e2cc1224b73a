/**
 * `train <agent> [env]`: trains an agent on an env with the tuned preset for that pair; every preset value
 * can be overridden by a flag or `--set key=value`. `--resume DIR` continues a killed or interrupted run.
 */
import type { Argv, CommandModule } from 'yargs';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { BACKENDS, type BackendChoice } from '../../agents/backend.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { TsgymError } from '../../envs/core.js';
import { presetFor } from '../presets.js';
import { resume, train, type TrainOptions } from '../harness/trainer.js';
import type { ProgressMode } from '../harness/progress.js';

interface TrainArgs {
  agent?: string;
  env: string;
  seed: number;
  steps?: number;
  envs?: number;
  out: string;
  backend: BackendChoice;
  'eval-every'?: number;
  'eval-episodes'?: number;
  'record-episodes': number;
  'checkpoint-every'?: number;
  'log-every': number;
  'stop-when-solved'?: boolean;
  resume?: string;
  set: string[];
  'env-set': string[];
  progress: ProgressMode;
  'run-name'?: string;
}

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

export function trainOptionsFromArgs(a: TrainArgs): TrainOptions {
  if (!a.agent) throw new TsgymError(`name an agent (${agentNames().join(', ')}), e.g. npm run train:dqn cartpole`);
  agentRegistration(a.agent); // clear error for an unknown agent
  const envId = resolveEnvId(a.env);
  const preset = presetFor(a.agent, envId);
  const sets = parseAssignments(a.set, '--set');
  return {
    agent: a.agent,
    env: envId,
    seed: a.seed,
    totalSteps: a.steps ?? preset.totalSteps,
    numEnvs: a.envs ?? preset.numEnvs,
    evalEvery: a['eval-every'] ?? preset.evalEvery,
    evalEpisodes: a['eval-episodes'] ?? preset.evalEpisodes,
    recordEpisodes: a['record-episodes'],
    checkpointEvery: a['checkpoint-every'] ?? preset.checkpointEvery,
    stopWhenSolved: a['stop-when-solved'] ?? preset.stopWhenSolved,
    logEvery: a['log-every'],
    envKwargs: { ...preset.envKwargs, ...parseAssignments(a['env-set'], '--env-set') },
    hyperparams: { ...preset.hyperparams, ...sets },
    backend: a.backend,
    outDir: a.out,
    runName: a['run-name'],
    progress: a.progress,
  };
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train [agent] [env]',
  describe: 'Train an agent on an env (tuned preset per pair; flags override it)',
  builder: (y: Argv) =>
    y
      .positional('agent', { type: 'string', describe: 'Agent to train', choices: agentNames() })
      .positional('env', { type: 'string', default: 'cartpole', describe: `Env id or alias: ${envChoices().join(', ')}` })
      .options({
        seed: { type: 'number', default: 0, describe: 'Run seed: every random stream (envs, init, exploration, sampling) derives from it' },
        steps: { type: 'number', describe: 'Total env steps (default: the preset)' },
        envs: { type: 'number', describe: 'Number of parallel envs in the vector env (default: the preset)' },
        out: { type: 'string', default: 'runs', describe: 'Directory that receives the run directory' },
        backend: { choices: BACKENDS, default: 'auto' as BackendChoice, describe: 'TensorFlow.js backend (auto: tensorflow if tfjs-node loads, else wasm, else cpu)' },
        'eval-every': { type: 'number', describe: 'Env steps between greedy evaluations (default: the preset)' },
        'eval-episodes': { type: 'number', describe: 'Episodes per evaluation (default: the preset)' },
        'record-episodes': { type: 'number', default: 2, describe: 'Eval episodes recorded as replays at each evaluation' },
        'checkpoint-every': { type: 'number', describe: 'Env steps between checkpoints (default: the preset)' },
        'log-every': { type: 'number', default: 1000, describe: 'Env steps between aggregated update-metric lines' },
        'stop-when-solved': { type: 'boolean', describe: "Stop once a greedy eval reaches the env's reward threshold (default: the preset; --no-stop-when-solved to train the full budget)" },
        resume: { type: 'string', describe: 'Continue the run in this directory from its latest checkpoint (other flags are taken from its config.json)' },
        set: { type: 'string', array: true, default: [] as string[], describe: 'Override a hyperparameter: --set lr=0.0005 --set hidden=[128,128]' },
        'env-set': { type: 'string', array: true, default: [] as string[], describe: 'Env constructor option: --env-set difficulty=2' },
        progress: { choices: ['auto', 'bar', 'lines', 'json', 'none'] as const, default: 'auto' as ProgressMode, describe: 'Progress display (auto: a bar on a terminal, periodic lines otherwise; json: one JSON event per line on stderr, for a parent process)' },
        'run-name': { type: 'string', describe: 'Run directory name (default: <env>__<agent>__seed<S>__<time>)' },
      })
      .example('$0 train dqn cartpole', 'Train DQN on CartPole-v1 with the tuned preset')
      .example('$0 train ppo lanekeeper-continuous --seed 3', 'Train PPO on the continuous lane-keeper')
      .example('$0 train dqn cartpole --set lr=0.0005 --steps 80000', 'Override the preset')
      .example('$0 train --resume runs/CartPole-v1__dqn__seed0__20260101-120000', 'Continue a killed run') as unknown as Argv<TrainArgs>,
  handler: async (a) => {
    const result = a.resume ? await resume(a.resume, { progress: a.progress }) : await train(trainOptionsFromArgs(a));
    console.log(result.runDir);
    if (result.summary.status === 'interrupted') process.exitCode = 130;
  },
};
