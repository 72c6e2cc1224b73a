/**
 * `worker --queue redis://HOST:PORT [--concurrency K]`: trains the runs that `compare --queue` and
 * `sweep --queue` enqueue, on this machine (experiments/queue/worker.ts). Start one per machine, any time.
 */
import type { Argv, CommandModule } from 'yargs';
import { valueFlags } from './flags.js';
import { TsgymError } from '../../core/errors.js';
import { parseQueueUrl } from '../queue/connection.js';
import { runWorker } from '../queue/worker.js';

interface WorkerArgs {
  queue?: string;
  concurrency: number;
  'lock-seconds': number;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Train queued runs (of compare/sweep --queue) on this machine, K at a time; a run whose worker died is resumed by another',
  builder: (y: Argv) =>
    y
      .options(valueFlags({
        queue: { type: 'string', describe: 'The Redis of the queue: redis://HOST:PORT' },
        concurrency: { type: 'number', default: 1, describe: 'Runs trained at the same time (each in its own process)' },
        'lock-seconds': { type: 'number', default: 30, describe: 'Seconds without a heartbeat after which a run is handed to another worker' },
      }))
      .example('$0 worker --queue redis://10.0.0.5:6379 --concurrency 2', 'Two runs at a time from the queue') as unknown as Argv<WorkerArgs>,
  handler: async (a) => {
    if (!a.queue) throw new TsgymError('name the queue with --queue redis://HOST:PORT (the same as the coordinator\'s)');
    parseQueueUrl(a.queue);
    if (!Number.isInteger(a.concurrency) || a.concurrency <= 0) throw new TsgymError(`--concurrency must be a positive integer, got ${a.concurrency}`);
    if (!(a['lock-seconds'] >= 1)) throw new TsgymError(`--lock-seconds must be at least 1, got ${a['lock-seconds']}`);
    await runWorker({ queue: a.queue, concurrency: a.concurrency, lockSeconds: a['lock-seconds'] });
  },
};
