/**
 * The executor of a comparison or sweep, chosen by the scheme of its URL (`--queue`): `local:` (the default)
 * trains the runs as child processes here, `redis://HOST:PORT` hands them to the BullMQ queue's workers.
 * Adding a job system is one file implementing Executor and one line below.
 */
import { TsgymError } from '../../core/errors.js';
import type { Executor } from './executor.js';
import { LocalExecutor } from './local.js';
import { QueueExecutor } from './queue.js';

/** Where and how: local processes at a time, and runs per process (experiments/plan/batches.ts). */
export interface ExecutorOptions {
  workers?: number;
  seedsPerProcess?: number;
}

const FACTORIES: Record<string, (url: string, o: ExecutorOptions) => Executor> = {
  'local:': (_url, o) => new LocalExecutor(o.workers, o.seedsPerProcess),
  'redis:': (url, o) => new QueueExecutor(url, o.seedsPerProcess),
};

/** The URL schemes an executor exists for. */
export const EXECUTOR_SCHEMES = Object.keys(FACTORIES);

/** The executor for `url` (undefined: local). */
export function executorFor(url: string | undefined, o: ExecutorOptions = {}): Executor {
  const scheme = url === undefined ? 'local:' : /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0].toLowerCase();
  const make = scheme ? FACTORIES[scheme] : undefined;
  if (!make) throw new TsgymError(`--queue ${url}: no executor for this URL; use ${EXECUTOR_SCHEMES.map((s) => (s === 'redis:' ? 'redis://HOST:PORT' : s)).join(' or ')}`);
  return make(url ?? 'local:', o);
}
