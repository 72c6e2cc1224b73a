/**
 * `train <agent> [env]`: trains an agent on an env with the tuned preset for that pair; every preset value
 * can be overridden by a flag or `--set key=value`. `--resume DIR` continues a killed or interrupted run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { isRunDir, readRunConfig } from '../run-files.js';
import { valueFlags } from './flags.js';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { envChoices } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import { rejectRunKeys } from '../../agents/hyperparams.js';
import { resume, train, type ResumeOptions, type TrainOptions } from '../harness/trainer.js';
import { loadRecordedEnvModules } from '../env-modules.js';
import { codeFingerprint, describeFingerprint, sameFingerprint } from '../fingerprint.js';
import { agentEnvWithFile, presetWithFile, readPresetFile, resolveRunSpec, runFlagOptions, trainOptionsOf } from '../run-spec.js';
import { parseAssignments, parseRunSpecDocument, runFlagsFromArgs, specAsFlags, flagName, type FieldKey, type RunSpec } from '../../formats/run-spec.js';
import { noPresetNote } from '../presets.js';
import { parseRunBatchDocument, parseSeedRange, trainRunBatch, trainSeeds } from '../harness/batch-seeds.js';
import type { ProgressEvent, ProgressMode } from '../harness/progress.js';
import { describeRun } from '../plan/runs.js';
import { parseSeedList } from './flags.js';
import { commandLine } from '../../core/command-line.js';

interface TrainArgs {
  agent?: string;
  env?: string;
  out?: string;
  preset?: string;
  spec?: string;
  batch?: string;
  resume?: string;
  'from-checkpoint'?: number;
  'take-over-lock'?: boolean;
  'allow-changed-env-module'?: boolean;
  set: string[];
  progress: ProgressMode;
  'run-name'?: string;
  seeds?: string;
  'seed-list'?: string;
  'resume-batch'?: boolean;
  /** The run fields (`--seed`, `--steps`, …), as declared in formats/run-spec.ts. */
  [runFlag: string]: unknown;
}

/** The spec of `train <agent> [env]` with its flags (and `--preset FILE`). */
export function trainSpecFromArgs(a: TrainArgs): RunSpec {
  const file = a.preset !== undefined ? readPresetFile(a.preset) : undefined;
  const { agent, env } = agentEnvWithFile(a.agent, a.env, file, a.preset);
  if (!agent) throw new TsgymError(`name an agent (${agentNames().join(', ')}), e.g. ${commandLine('train', 'dqn cartpole')}`);
  const reg = agentRegistration(agent); // clear error for an unknown agent
  const sets = parseAssignments(a.set, '--set');
  rejectRunKeys(reg.name, reg.hyperparams, sets);
  const envId = env ?? 'cartpole';
  const flags = runFlagsFromArgs(a, 'train');
  return resolveRunSpec(reg.name, envId, presetWithFile(reg.name, envId, file), { ...flags, ...(Object.keys(sets).length ? { hyperparams: sets } : {}) });
}

export function trainOptionsFromArgs(a: TrainArgs): TrainOptions {
  return trainOptionsOf(trainSpecFromArgs(a), { outDir: a.out ?? 'runs', runName: a['run-name'], progress: a.progress });
}

/**
 * `train --spec FILE|-`: a spec resolved by another process (a comparison's coordinator, a queue job). It is
 * checked as data from outside (format, version, every field), its env modules are reloaded (refused when
 * changed), the code must be the code that resolved it, and it is resolved again against this process's
 * registries, so a spec this process would not accept is refused before anything is written.
 */
export async function specFromDocument(text: string, from: string, opts: { allowChangedEnvModule?: boolean } = {}): Promise<RunSpec> {
  return specFromValue(parseJsonText(text, from), from, opts);
}

function parseJsonText(text: string, from: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TsgymError(`${from} is not valid JSON (${(e as Error).message})`);
  }
}

async function specFromValue(value: unknown, from: string, opts: { allowChangedEnvModule?: boolean }): Promise<RunSpec> {
  const received = parseRunSpecDocument(value, from);
  const mine = codeFingerprint();
  if (!sameFingerprint(received.fingerprint, mine)) {
    throw new TsgymError(`${from} was resolved by other code (${describeFingerprint(received.fingerprint)}) than this tsgym runs (${describeFingerprint(mine)})`, {
      hint: 'run the same tsgym checkout and install everywhere (git pull, npm ci)',
    });
  }
  const envModules = await loadRecordedEnvModules(received.envModules, { allowChanged: opts.allowChangedEnvModule });
  return resolveRunSpec(received.agent, received.env, undefined, { ...specAsFlags(received), envModules });
}

function readSpecText(file: string, flag = '--spec'): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new TsgymError(`${flag} ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
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
    a.preset !== undefined ? '--preset' : null,
  ].filter((f) => f !== null);
  if (unusable.length) throw new TsgymError(`${unusable.join(' and ')} cannot change a resumed run: it stays in ${a.resume} with its config.json; drop the flag`);
  const sets = parseAssignments(a.set, '--set');
  const { rewardThreshold: _threshold, envModules: _modules, ...flags } = runFlagsFromArgs(a, 'train');
  if (_threshold !== undefined) throw new TsgymError('--reward-threshold cannot change a resumed run; drop the flag');
  return {
    progress: a.progress,
    fromCheckpoint: a['from-checkpoint'],
    takeOverLock: a['take-over-lock'],
    flags: { agent: a.agent, env: a.env, ...flags, hyperparams: Object.keys(sets).length ? sets : undefined },
  };
}

/** Loads the env modules a run recorded in its config.json (before its env is built); returns them as loaded now. */
async function loadRunEnvModules(runDir: string, allowChanged: boolean | undefined): Promise<RunSpec['envModules'] | undefined> {
  const modules = readRunConfig(runDir).envModules;
  return modules?.length ? loadRecordedEnvModules(modules, { allowChanged }) : undefined;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train [agent] [env]',
  describe: 'Train an agent on an env (tuned preset per pair; flags override it)',
  builder: (y: Argv) =>
    y
      .positional('agent', { type: 'string', describe: 'Agent to train', choices: agentNames() })
      .positional('env', { type: 'string', describe: `Env id or alias (default cartpole): ${envChoices().join(', ')}` })
      .options(valueFlags({
        ...runFlagOptions('train'),
        out: { type: 'string', describe: 'Directory that receives the run directory (default runs)' },
        preset: { type: 'string', describe: 'A JSON preset file (agent, env, budget, cadence, hyperparams) laid over the built-in preset; flags override it' },
        spec: { type: 'string', describe: 'Train the resolved run spec in this JSON file (- for stdin), as compare and queue workers hand it over; no run flags with it' },
        batch: { type: 'string', describe: 'Train the runs of a run batch in this JSON file (- for stdin) one after another into --out, as compare, sweep and tune hand it over: ended runs are kept, started ones resume' },
        resume: { type: 'string', describe: "Continue the run in this directory from its latest checkpoint. Settings come from its config.json: --steps N above its budget extends it; any other flag must equal the run's value" },
        'from-checkpoint': { type: 'number', describe: 'With --resume: continue from the checkpoint at this env step instead of the latest (e.g. when the latest is damaged)' },
        'take-over-lock': { type: 'boolean', describe: "With --resume: take the run's lock even if another process (or host) holds it — only when that process is known to be gone, e.g. a queue re-running a dead worker's job" },
        'allow-changed-env-module': { type: 'boolean', describe: 'With --resume or --spec: load an env module the run recorded even though its file changed since' },
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
    if (a.batch !== undefined) return trainBatchHandler(a);
    if (!a.resume && (a['from-checkpoint'] !== undefined || a['take-over-lock'])) throw new TsgymError('--from-checkpoint and --take-over-lock go with --resume DIR');
    if (a.seeds !== undefined || a['seed-list'] !== undefined) return trainSeedsHandler(a);
    if (a['resume-batch']) throw new TsgymError('--resume-batch goes with --seeds A-B or --seed-list (the batch to continue)');
    let result;
    if (a.resume) {
      const options = resumeOptionsFromArgs(a);
      const envModules = await loadRunEnvModules(a.resume, a['allow-changed-env-module']);
      result = await resume(a.resume, { ...options, flags: { ...options.flags, envModules } });
    } else if (a.spec !== undefined) {
      const typed = runFlagsTyped(a);
      if (typed.length) throw new TsgymError(`--spec ${a.spec} holds the whole run; drop ${typed.join(', ')}`);
      const spec = await specFromDocument(readSpecText(a.spec), a.spec === '-' ? 'the run spec on stdin' : `run spec ${a.spec}`, { allowChangedEnvModule: a['allow-changed-env-module'] });
      result = await train(trainOptionsOf(spec, { outDir: a.out ?? 'runs', runName: a['run-name'], progress: a.progress }));
    } else {
      const options = trainOptionsFromArgs(a);
      const note = noPresetNote(options.agent, options.env);
      if (note) console.error(note);
      result = await train(options);
    }
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

/** The run-defining arguments typed on the command line (none may go with a spec or batch that holds the run). */
function runFlagsTyped(a: TrainArgs): string[] {
  return [a.agent !== undefined ? 'agent' : null, a.env !== undefined ? 'env' : null, a.preset !== undefined ? '--preset' : null, a.set.length ? '--set' : null, ...Object.keys(runFlagsFromArgs(a, 'train')).map((k) => flagName(k as FieldKey))].filter((x) => x !== null);
}

/**
 * `train --batch FILE|- --out RUNS`: the named runs of one spec (a comparison's, sweep's or trial's seeds), one
 * after another in this process. With `--progress json` each run's events are framed by `run-start` and
 * `run-end` (its status, steps and a line about it), so the parent needs no run directory to know how it ended.
 */
async function trainBatchHandler(a: TrainArgs): Promise<void> {
  const typed = [...runFlagsTyped(a), a.spec !== undefined ? '--spec' : null, a.resume !== undefined ? '--resume' : null, a['run-name'] !== undefined ? '--run-name' : null, a['from-checkpoint'] !== undefined ? '--from-checkpoint' : null].filter((x) => x !== null);
  if (typed.length) throw new TsgymError(`--batch ${a.batch} holds the runs and their spec; drop ${typed.join(', ')}`);
  if (a.out === undefined) throw new TsgymError(`--batch ${a.batch} needs --out DIR, the directory of the batch's run directories`);
  const from = a.batch === '-' ? 'the run batch on stdin' : `run batch ${a.batch}`;
  const { runs, spec: doc } = parseRunBatchDocument(parseJsonText(readSpecText(a.batch!, '--batch'), from), from);
  const spec = await specFromValue(doc, `${from}: its spec`, { allowChangedEnvModule: a['allow-changed-env-module'] });
  const emit = (e: ProgressEvent) => {
    if (a.progress === 'json') process.stderr.write(JSON.stringify(e) + '\n');
  };
  const result = await trainRunBatch({
    runsDir: a.out,
    runs,
    spec,
    progress: a.progress,
    takeOverLock: a['take-over-lock'],
    loadEnvModules: (dir) => loadRunEnvModules(dir, a['allow-changed-env-module']),
    onRunStart: (r, how) => emit({ event: 'run-start', run: r.run, how }),
    onRunEnd: (r, ended) => {
      emit({ event: 'run-end', run: r.run, status: ended.summary.status, steps: ended.summary.steps, how: ended.how, description: describeRun(ended.runDir) });
      // For people; a parent reads run-end (stdout and stderr interleave, and would mix it into the next run's log).
      if (a.progress !== 'json') console.log(ended.runDir);
    },
  });
  if (result.interrupted) process.exitCode = 130;
}
