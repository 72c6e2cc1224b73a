/**
 * The tsgym command line: `tsx experiments/cli.ts <command>`; npm scripts wrap it (`npm run train:dqn cartpole`,
 * `npm run view`, `npm run compare`, `npm run record`). `--help` on any command lists its flags.
 */
import { pathToFileURL } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { TsgymError } from '../envs/core.js';
import { DivergenceError } from './harness/trainer.js';
import { trainCommand } from './commands/train.js';
import { viewCommand } from './commands/view.js';
import { compareCommand } from './commands/compare.js';
import { recordCommand } from './commands/record.js';
import { hyperparamsCommand } from './commands/hyperparams.js';

/** The yargs parser; it throws on bad input (tests call it in-process). */
export function buildCli(args: string[]) {
  return yargs(args)
    .scriptName('tsgym')
    .command(trainCommand)
    .command(recordCommand)
    .command(viewCommand)
    .command(compareCommand)
    .command(hyperparamsCommand)
    .demandCommand(1, 'Name a command: train, record, view, compare or hyperparams (see --help).')
    .strict()
    .recommendCommands()
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail(false);
}

/** Runs the CLI; usage errors and tsgym errors print one clear line and exit 2, divergence exits 1. */
export async function main(args: string[]): Promise<void> {
  try {
    await buildCli(args).parseAsync();
  } catch (err) {
    const e = err as Error;
    if (e instanceof DivergenceError) {
      console.error(`error: ${e.message}`);
      process.exit(1);
    }
    if (e instanceof TsgymError || e.name === 'YError') {
      console.error(`error: ${e.message}\n(run with --help to see the commands and flags)`);
      process.exit(2);
    }
    console.error(e); // a bug, not a usage problem: show where it came from
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(hideBin(process.argv));
