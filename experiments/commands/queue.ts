/**
 * `queue status|cancel|retry|clean --queue URL [--out DIR]`: the queue's jobs as an operator sees them. `--out`
 * narrows every verb to the jobs of one comparison, sweep or study (its directory and those under it: a
 * study's trials).
 *
 * - status: jobs per state; the running ones with their worker (host:pid) and step; the failed ones with why.
 * - cancel: removes the jobs no worker has taken yet. Jobs already running finish on their worker (BullMQ has
 *   no remote stop); Ctrl-C on that worker checkpoints them. Stop the coordinator first (Ctrl-C detaches it),
 *   or it enqueues the vanished jobs again.
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
      let removed = 0;
      for (const s of NOT_TAKEN) {
        for (const j of jobs.get(s)!) {
          await j.remove();
          removed++;
        }
      }
      const running = jobs.get('active')!.map((j) => jobLabel(jobWhere(j), dir));
      print(`removed ${removed} job(s)${where} no worker had taken` + (running.length ? `; ${running.length} running on workers finish there (${running.join(', ')}); Ctrl-C on their worker checkpoints them` : ''));
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
      .positional('verb', { choices: VERBS, describe: 'status: jobs and their workers; cancel: remove jobs not yet taken; retry: re-queue failed jobs; clean: remove completed jobs' })
      .options(valueFlags({
        queue: { type: 'string', describe: 'The Redis of the queue: redis://HOST:PORT' },
        out: { type: 'string', describe: 'Only the jobs of this comparison, sweep or study directory (required for cancel and retry)' },
      }))
      .example('$0 queue status --queue redis://10.0.0.5:6379', 'Every job, the running ones with their worker')
      .example('$0 queue cancel --queue redis://10.0.0.5:6379 --out /shared/cmp', "Drop a comparison's queued jobs (stop its coordinator first)") as unknown as Argv<QueueArgs>,
  handler: async (a) => {
    if (!a.queue) throw new TsgymError('name the queue with --queue redis://HOST:PORT');
    await queueVerb(a.verb!, a.queue, a.out);
  },
};
