/** Flag helpers shared by the commands. */
import type { Options } from 'yargs';

/**
 * Marks every option that takes a single value as requiring one, so `--steps` with nothing after it is a
 * usage error rather than silently the default. (List options such as `--set` are checked in cli.ts.)
 */
export function valueFlags<T extends Record<string, Options>>(options: T): T {
  const out: Record<string, Options> = {};
  for (const [k, o] of Object.entries(options)) out[k] = o.type === 'boolean' || o.array ? o : { ...o, requiresArg: true };
  return out as T;
}
