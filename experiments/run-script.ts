import { errorLines, TsgymError } from '../core/errors.js';

/**
 * Runs a standalone script's `main` (bench and measurement scripts): a TsgymError ends it with an `error:`
 * line, a `hint:` line when the error has one, and exit code 2; anything else is a bug and throws.
 */
export async function runScript(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (!(e instanceof TsgymError)) throw e;
    console.error(errorLines(e));
    process.exitCode = 2;
  }
}
