/**
 * `queue status|cancel|retry|clean --queue URL [--out DIR]`: the queue's jobs as an operator sees them. `--out`
 * narrows every verb to the jobs of one comparison, sweep or study (its directory and those under it: a
 * study's trials).
 *
 * - status: jobs per state; the running ones with their worker (host:pid) and step; the failed ones with why.
 * - cancel: removes the jobs no worker has taken yet and has the workers stop the running ones (queue/cancel.ts:
 *   a cancel mark the worker sees within about a second; the run keeps its last checkpoint, and the job
 *   completes as cancelled and is removed). Stop the coordinator first (Ctrl-C detaches it), or it enqueues
 *   the vanished jobs again; run its command again later to resume the runs.
 * - retry: puts failed jobs back on the queue.
 * - clean: removes completed jobs (their results are in the run directories).
 */
import * as path from 'node:path';
import { Queue } from 'bullmq';
import type { Argv, CommandModule } from 'yargs';
import { valueFlags } from './flags.js';
import { TsgymError } from '../../core/errors.js';
import { checkReachable, connect, QUEUE_NAME } from '../queue/connection.js';
import { jobLabel, jobsByState, jobWhere, NOT_TAKEN, readQueueStatus, statusLines } from '../queue/status.js';
import { cancelRunJobs } from '../queue/cancel.js';

const VERBS = ['status', 'cancel', 'retry', 'clean'] as const;
type Verb = (typeof VERBS)[number];

interface QueueArgs {
  verb?: Verb;
  queue?: string;
  out?: string;
}

export async function queueVerb(verb: Verb, url: string, out: string | undefined, print: (line: string) => void = console.log): Promise<void> {
  const dir = out === undefined ? undefined : path.resolve(out);
  if ((verb === 'cancel' || verb === 'retry') && dir === undefined) throw new TsgymError(`queue ${verb} needs --out DIR: the comparison, sweep or study whose jobs to ${verb}`);
  await checkReachable(url);
  const connection = connect(url, () => {});
  const queue = new Queue(QUEUE_NAME, { connection, skipMetasUpdate: true });
  queue.on('error', () => {});
  try {
    if (verb === 'status') {
      for (const line of statusLines(await readQueueStatus(queue), url, dir)) print(line);
      return;
    }
    const jobs = await jobsByState(queue, dir);
    const where = dir ? ` of ${dir}` : '';
    if (verb === 'cancel') {
      const ids = [...NOT_TAKEN, 'active' as const].flatMap((s) => jobs.get(s)!.map((j) => j.id!));
      const running = jobs.get('active')!.map((j) => jobLabel(jobWhere(j), dir));
      const { removed, stopped, left } = await cancelRunJobs(queue, connection, ids);
      print(
        `removed ${removed} job(s)${where} no worker had taken` +
          (running.length ? `; stopped ${stopped} running on their workers (${running.join(', ')}; each run keeps its last checkpoint)` : '') +
          (left ? `; ${left} still running: their workers stop them when they next look` : ''),
      );
      return;
    }
    if (verb === 'retry') {
      for (const j of jobs.get('failed')!) await j.retry('failed');
      print(`put ${jobs.get('failed')!.length} failed job(s)${where} back on the queue`);
      return;
    }
    for (const j of jobs.get('completed')!) await j.remove();
    print(`removed ${jobs.get('completed')!.length} completed job(s)${where} (their results are in the run directories)`);
  } finally {
    await queue.close().catch(() => {});
    connection.disconnect();
  }
}

export const queueCommand: CommandModule<object, QueueArgs> = {
  command: 'queue <verb>',
  describe: "See and manage the queue's jobs: status (which worker runs what), cancel, retry, clean",
  builder: (y: Argv) =>
    y
      .positional('verb', { choices: VERBS, describe: 'status: jobs and their workers; cancel: remove jobs not yet taken and stop running ones; retry: re-queue failed jobs; clean: remove completed jobs' })
      .options(valueFlags({
        queue: { type: 'string', describe: 'The Redis of the queue: redis://HOST:PORT' },
        out: { type: 'string', describe: 'Only the jobs of this comparison, sweep or study directory (required for cancel and retry)' },
      }))
      .example('$0 queue status --queue redis://10.0.0.5:6379', 'Every job, the running ones with their worker')
      .example('$0 queue cancel --queue redis://10.0.0.5:6379 --out /shared/cmp', "Drop a comparison's queued jobs and stop its running ones (stop its coordinator first)") as unknown as Argv<QueueArgs>,
  handler: async (a) => {
    if (!a.queue) throw new TsgymError('name the queue with --queue redis://HOST:PORT');
    await queueVerb(a.verb!, a.queue, a.out);
  },
};
