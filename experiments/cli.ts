/**
 * The tsgym command line: the `tsgym` bin of the package (experiments/bin.ts), or `tsx experiments/cli.ts
 * <command>` in this repository, where npm scripts are aliases of it (`npm run train:dqn cartpole`,
 * `npm run view`, `npm run compare`, `npm run sweep`, `npm run worker`, `npm run record`,
 * `npm run hyperparams -- dqn`). `--help` on any command lists its flags.
 *
 * `--env-module PATH` (any command, repeatable) imports a module that registers envs before the command
 * parses its arguments, so every command knows them; each env it registers is checked on load.
 *
 * Only the named command's module is imported (tfjs, bullmq and vite load with the commands that use them),
 * so `tsgym --help` answers at once.
 *
 * Errors: a user error (bad flag, value, file, hyperparameter) prints one line and a hint, and exits 2; a
 * diverged run exits 1 with one line; a disk or permission error exits 1 with one line. Stack traces are
 * shown only for bugs, or for every error with `--debug` or `TSGYM_DEBUG=1`.
 */
import { pathToFileURL } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { TsgymError, closest } from '../core/errors.js';
import { packageInfo } from './package-info.js';
import { commandLine, COMMAND_STYLE } from '../core/command-line.js';

// Each command module has its own argument type.
type AnyCommand = CommandModule<object, any>;

/** Each command: its usage and summary for the overview, and its module, imported only when it runs. */
const COMMAND_TABLE = {
  train: { usage: 'train [agent] [env]', describe: 'Train an agent on an env (tuned preset per pair; flags override it)', load: async (): Promise<AnyCommand> => (await import('./commands/train.js')).trainCommand },
  record: { usage: 'record', describe: "Record greedy episodes from a run's checkpoint as replays for the viewer", load: async (): Promise<AnyCommand> => (await import('./commands/record.js')).recordCommand },
  view: { usage: 'view', describe: 'Watch recorded episodes and learning curves in the browser (local server + pixi.js viewer)', load: async (): Promise<AnyCommand> => (await import('./commands/view.js')).viewCommand },
  compare: { usage: 'compare', describe: 'Compare agents on one env over several seeds and report IQM/mean/median with bootstrap CIs', load: async (): Promise<AnyCommand> => (await import('./commands/compare.js')).compareCommand },
  hyperparams: { usage: 'hyperparams [agent]', describe: "List an agent's hyperparameters: type, valid values, default, description", load: async (): Promise<AnyCommand> => (await import('./commands/hyperparams.js')).hyperparamsCommand },
  sweep: { usage: 'sweep', describe: "Sweep an agent's hyperparameters over several seeds, locally or on a queue; ranks configurations by IQM", load: async (): Promise<AnyCommand> => (await import('./commands/sweep.js')).sweepCommand },
  worker: { usage: 'worker', describe: 'Train queued runs (of compare/sweep --queue) on this machine, K at a time', load: async (): Promise<AnyCommand> => (await import('./commands/worker.js')).workerCommand },
  tune: { usage: 'tune [agent] [env]', describe: "Tune an agent's hyperparameters on an env (TPE, median pruning, K seeds per trial, winner re-run on fresh seeds)", load: async (): Promise<AnyCommand> => (await import('./commands/tune.js')).tuneCommand },
  queue: { usage: 'queue <verb>', describe: "See and manage the queue's jobs: status (which worker runs what), cancel, retry, clean", load: async (): Promise<AnyCommand> => (await import('./commands/queue.js')).queueCommand },
  export: { usage: 'export <run>', describe: "Export a run's greedy policy as ONNX or TensorFlow.js, usable without tsgym", load: async (): Promise<AnyCommand> => (await import('./commands/export.js')).exportCommand },
} satisfies Record<string, { usage: string; describe: string; load: () => Promise<AnyCommand> }>;

export type CommandName = keyof typeof COMMAND_TABLE;
export const COMMANDS = Object.keys(COMMAND_TABLE) as CommandName[];

const isCommand = (name: string | undefined): name is CommandName => name !== undefined && Object.hasOwn(COMMAND_TABLE, name);

/** A command-line mistake (unknown command or flag, missing or invalid flag value). */
export class UsageError extends TsgymError {
  override name = 'UsageError';
}

/**
 * The CLI's parser for `args`; `parseAsync()` loads the `--env-module`s, imports the named command and runs
 * it, and throws a {@link UsageError} or the handler's error on bad input (tests call it in-process).
 */
export function buildCli(args: string[]): { parseAsync(): Promise<unknown> } {
  return { parseAsync: async () => (await parser(args)).parseAsync() };
}

async function parser(args: string[]) {
  // Before any builder runs: the commands list registered envs among their choices.
  const modules = envModulePaths(args);
  if (modules.length) await (await import('./env-modules.js')).loadEnvModules(modules);
  const named = commandIn(args);
  const y = yargs(args).scriptName('tsgym').version(packageInfo().version);
  for (const name of COMMANDS) {
    const entry = COMMAND_TABLE[name];
    // The others are listed for `--help` only; yargs runs a command's handler only when it is the one named.
    const command: AnyCommand = name === named ? await entry.load() : { command: entry.usage, describe: entry.describe, handler: () => { throw new Error(`tsgym: command '${name}' ran without being loaded`); } };
    y.command(command);
  }
  y.option('env-module', { type: 'string', requiresArg: true, global: true, describe: 'Import an ES module that registers envs (repeatable; .js/.mjs, or .ts under tsx)' })
    .option('debug', { type: 'boolean', global: true, hidden: true, describe: 'Show stack traces of errors (or set TSGYM_DEBUG=1)' })
    .check(() => {
      const flag = emptyListFlag(args);
      if (flag) throw new UsageError(`${flag} needs a value, e.g. ${flag} key=value`);
      return true;
    }, true)
    .demandCommand(1, `name a command: ${COMMANDS.join(', ')}`)
    .strict()
    .help()
    .epilog('Errors print one line and a hint and exit with code 2; pass --debug (or set TSGYM_DEBUG=1) to see the stack trace.')
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(usageMessage(msg, Object.keys((y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key)));
    });
  return y;
}

/** The command word: the first argument that is neither a flag nor the path after `--env-module`. */
function commandIn(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') return undefined;
    if (args[i] === '--env-module') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

/** The values of every `--env-module PATH` / `--env-module=PATH` in `args`, in order. */
export function envModulePaths(args: string[]): string[] {
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (args[i].startsWith('--env-module=')) paths.push(args[i].slice('--env-module='.length));
    else if (args[i] === '--env-module') {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError('--env-module needs a path, e.g. --env-module ./my-env.mjs');
      paths.push(value);
      i++;
    }
  }
  return paths;
}

/** Flags that take a list of values (yargs accepts them empty, so they are checked here). */
const LIST_FLAGS = ['--set', '--env-set', '--grid', '--range', '--space'];

/** The first list flag (`--set`, `--env-set`, …) given with no value after it, if any. */
function emptyListFlag(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (LIST_FLAGS.includes(args[i]) && (i + 1 >= args.length || args[i + 1].startsWith('--'))) return args[i];
  }
  return undefined;
}

/** yargs' messages, rewritten as one line in the CLI's voice, with a suggestion for a misspelt flag. */
export function usageMessage(msg: string, knownFlags: string[] = []): string {
  const unknown = /^Unknown arguments?: (.*)$/s.exec(msg);
  if (unknown) {
    const names = unknown[1].split(',').map((s) => s.trim()).filter(Boolean);
    const parts = names.map((n) => {
      const flag = n.length === 1 ? `-${n}` : `--${n}`;
      const near = closest(n, knownFlags.filter((k) => k !== 'debug' && k.length > 1));
      return near ? `${flag} (did you mean --${near}?)` : flag;
    });
    return `unknown ${names.length > 1 ? 'flags' : 'flag'} ${parts.join(', ')}`;
  }
  const invalid = [...msg.matchAll(/Argument: ([^,]+), Given: (.*?), Choices: (.*)/g)];
  if (/^Invalid values?:/.test(msg) && invalid.length) {
    return invalid.map(([, arg, given, choices]) => `invalid ${arg === 'agent' || arg === 'env' ? arg : `--${arg}`} ${given}; choose one of ${choices.replace(/"/g, '')}`).join('; ');
  }
  const missing = /^Missing required arguments?: (.*)$/s.exec(msg);
  if (missing) return `missing required ${missing[1].split(',').map((s) => `--${s.trim()}`).join(', ')}`;
  const noValue = /^Not enough arguments following: (.*)$/s.exec(msg);
  if (noValue) return `--${noValue[1].trim()} needs a value`;
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/** Where to look for help on the command the user ran. */
function hintFor(command: string | undefined, hint?: string): string {
  const help = isCommand(command) ? commandLine(command, '--help') : COMMAND_STYLE === 'bin' ? 'npx tsgym --help' : 'node --import tsx experiments/cli.ts --help';
  return `hint: ${hint ?? `see \`${help}\``} (TSGYM_DEBUG=1 or --debug shows the stack trace)`;
}

/** A Node system error (ENOSPC, EACCES, EROFS, ENOENT, …): the user's disk or permissions, not a bug. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * Runs the CLI and returns its exit code: 0 on success, 2 for usage and input errors, 1 for divergence, disk
 * errors and bugs. Error output goes to `stderr` (tests capture it; `main` passes console.error).
 */
export async function run(args: string[], stderr: (text: string) => void = (t) => console.error(t), env: Record<string, string | undefined> = process.env): Promise<number> {
  const debug = env.TSGYM_DEBUG === '1' || args.includes('--debug');
  const command = commandIn(args);
  try {
    if (command !== undefined && !isCommand(command)) {
      const near = closest(command, COMMANDS);
      throw new UsageError(`unknown command '${command}'${near ? ` (did you mean ${near}?)` : ''}; commands: ${COMMANDS.join(', ')}`);
    }
    await buildCli(args).parseAsync();
    return 0;
  } catch (err) {
    // yargs' parser errors (a flag missing its value) are thrown before `.fail` sees them.
    const e = err instanceof Error && err.name === 'YError' ? new UsageError(usageMessage(err.message)) : (err as Error);
    if (debug) stderr(e instanceof Error && e.stack ? e.stack : String(e));
    // By name: the trainer (and tfjs with it) is imported only by the commands that train.
    if (e instanceof TsgymError && e.name === 'DivergenceError') {
      if (!debug) stderr(`error: ${e.message}`);
      return 1;
    }
    if (e instanceof TsgymError) {
      if (!debug) stderr(`error: ${e.message}\n${hintFor(command, e.hint)}`);
      return 2;
    }
    if (isSystemError(e)) {
      if (!debug) stderr(`error: ${e.message}${e.path && !e.message.includes(e.path) ? ` (${e.path})` : ''}\nhint: check free disk space and permissions (TSGYM_DEBUG=1 shows the stack trace)`);
      return 1;
    }
    if (!debug) stderr(e instanceof Error && e.stack ? e.stack : String(e)); // a bug, not a usage problem: show where it came from
    return 1;
  }
}

/** The process entry point: runs the CLI, then exits with its code (unless it succeeded with work still pending). */
export async function main(args: string[]): Promise<void> {
  const code = await run(args);
  if (code !== 0) process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(hideBin(process.argv));
