/**
 * The command line a message tells the user to run. Inside tsgym's own source tree every CLI command is an npm
 * script of the same name (`npm run train -- --resume DIR`); from the built package it is the `tsgym` bin
 * (`npx tsgym train --resume DIR`), and the npm scripts do not exist there. Which of the two is running is told
 * by this module's own file: the sources run as .ts (tsx, vitest), the package's dist/ as .js. No node: import,
 * so the agents' hints can use it in the browser too.
 */

/** `npm-script`: running from the source tree; `bin`: running from the built package. */
export type CommandStyle = 'npm-script' | 'bin';

export const COMMAND_STYLE: CommandStyle = import.meta.url.endsWith('.ts') ? 'npm-script' : 'bin';

/** The words of `tsgym <command> <args…>` as the user types them in `style` (e.g. for comparison.json). */
export function commandWords(command: string, args: readonly string[] = [], style: CommandStyle = COMMAND_STYLE): string[] {
  if (style === 'bin') return ['npx', 'tsgym', command, ...args];
  return args.length ? ['npm', 'run', command, '--', ...args] : ['npm', 'run', command];
}

/** `tsgym <command> <args>` as one line the user can paste: `npm run train -- --resume DIR` or `npx tsgym train --resume DIR`. */
export function commandLine(command: string, args = '', style: CommandStyle = COMMAND_STYLE): string {
  return commandWords(command, args ? [args] : [], style).join(' ');
}
