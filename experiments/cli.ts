/**
 * The tsgym command line: `tsx experiments/cli.ts <command>`; npm scripts wrap it (`npm run train:dqn cartpole`,
 * `npm run view`, `npm run compare`, `npm run record`). `--help` on any command lists its flags.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { viewCommand } from './commands/view.js';
import { trainCommand } from './commands/train.js';

await yargs(hideBin(process.argv))
  .scriptName('tsgym')
  .command(trainCommand)
  .command(viewCommand)
  .demandCommand(1, 'Name a command: train, record, view or compare (see --help).')
  .strict()
  .recommendCommands()
  .help()
  .wrap(Math.min(110, process.stdout.columns || 110))
  .fail((msg, err, y) => {
    if (err && !msg) {
      console.error(`error: ${err.message}`);
    } else {
      y.showHelp();
      console.error(`\nerror: ${msg ?? err?.message}`);
    }
    process.exit(2);
  })
  .parseAsync();
