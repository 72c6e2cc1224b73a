/**
 * The tsgym command line: `tsx experiments/cli.ts <command>`; npm scripts wrap it (`npm run train:dqn cartpole`,
 * `npm run view`, `npm run compare`, `npm run sweep`, `npm run worker`, `npm run record`, `npm run hyperparams -- dqn`).
 * `--help` on any command lists its flags.
 *
 * Errors: a user error (bad flag, value, file, hyperparameter) prints one line and a hint, and exits 2; a
 * diverged run exits 1 with one line; a disk or permission error exits 1 with one line. Stack traces are
 * shown only for bugs, or for every error with `--debug` or `TSGYM_DEBUG=1`.
 */
import { pathToFileURL } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { TsgymError, closest } from '../core/errors.js';
import { DivergenceError } from './harness/trainer.js';
import { trainCommand } from './commands/train.js';
import { viewCommand } from './commands/view.js';
import { compareCommand } from './commands/compare.js';
import { recordCommand } from './commands/record.js';
import { hyperparamsCommand } from './commands/hyperparams.js';
import { sweepCommand } from './commands/sweep.js';
import { workerCommand } from './commands/worker.js';
import { exportCommand } from './commands/export.js';

export const COMMANDS = ['train', 'record', 'view', 'compare', 'hyperparams', 'sweep', 'worker', 'export'] as const;

/** A command-line mistake (unknown command or flag, missing or invalid flag value). */
export class UsageError extends TsgymError {
  override name = 'UsageError';
}

/** The yargs parser; it throws a {@link UsageError} or the handler's error on bad input (tests call it in-process). */
export function buildCli(args: string[]) {
  const y = yargs(args)
    .scriptName('tsgym')
    .command(trainCommand)
    .command(recordCommand)
    .command(viewCommand)
    .command(compareCommand)
    .command(sweepCommand)
    .command(workerCommand)
    .command(hyperparamsCommand)
    .command(exportCommand)
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

/** Flags that take a list of values (yargs accepts them empty, so they are checked here). */
const LIST_FLAGS = ['--set', '--env-set', '--grid', '--range'];

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
  const help = command && (COMMANDS as readonly string[]).includes(command) ? `npm run ${command} -- --help` : 'npx tsx experiments/cli.ts --help';
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
  const command = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : undefined;
  try {
    if (command !== undefined && !(COMMANDS as readonly string[]).includes(command)) {
      const near = closest(command, [...COMMANDS]);
      throw new UsageError(`unknown command '${command}'${near ? ` (did you mean ${near}?)` : ''}; commands: ${COMMANDS.join(', ')}`);
    }
    await buildCli(args).parseAsync();
    return 0;
  } catch (err) {
    // yargs' parser errors (a flag missing its value) are thrown before `.fail` sees them.
    const e = err instanceof Error && err.name === 'YError' ? new UsageError(usageMessage(err.message)) : (err as Error);
    if (debug) stderr(e instanceof Error && e.stack ? e.stack : String(e));
    if (e instanceof DivergenceError) {
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
