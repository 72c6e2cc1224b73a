/**
 * Following a run while it trains: `GET /api/runs/<run>/events` (and the same below
 * `/api/comparisons/<cmp>/`) is a server-sent event stream; `GET /api/events?follow=<run>` tells when runs
 * appear and how followed runs change; `GET /api/comparisons/<cmp>/progress` follows a comparison. The
 * server looks at the run's files about once a second — the size of metrics.jsonl, summary.json's
 * modification time and content status, the number of recorded episodes — and sends one `change` event
 * whenever that fingerprint differs from the last one sent (the first is sent at once). The page then refetches what changed through the ordinary read-only
 * endpoints. Nothing is written; a stream ends when the browser closes it or the server stops.
 *
 * Polling the files (rather than fs.watch) works the same on every platform and filesystem, and a run
 * directory is small: three stats and one directory walk per second per open page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunChange } from '../../formats/api-types.js';
import { MAX_LIVE_STREAMS, MAX_LIVE_STREAMS_PER_CLIENT } from './limits.js';
import { checkSegment, HttpError, type RunsIndex } from './runs-index.js';

/** How often an open stream looks at the run's files. */
export const LIVE_POLL_MS = 1000;
/** A comment line now and then keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** Most runs one `events?follow=…` stream follows (a page follows one or two). */
const MAX_FOLLOWED = 8;

/**
 * The open streams of one server, counted per client address and in total: each stream polls files once a
 * second, so past {@link MAX_LIVE_STREAMS_PER_CLIENT} from one address or {@link MAX_LIVE_STREAMS} in all a
 * new one is refused with a 429 (the rest of the API stays responsive).
 */
export class LiveStreams {
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(
    readonly pollMs = LIVE_POLL_MS,
    readonly maxPerClient = MAX_LIVE_STREAMS_PER_CLIENT,
    readonly maxTotal = MAX_LIVE_STREAMS,
  ) {}

  /** Counts a new stream from `client`, or throws a 429; the returned function ends the count (once). */
  open(client: string): () => void {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.maxPerClient) throw new HttpError(429, `too many live streams from ${client}: ${mine} are open, the limit is ${this.maxPerClient} per client (MAX_LIVE_STREAMS_PER_CLIENT); close some viewer tabs`);
    if (this.total >= this.maxTotal) throw new HttpError(429, `too many live streams: ${this.total} are open, the limit is ${this.maxTotal} (MAX_LIVE_STREAMS); try again when some close`);
    this.perClient.set(client, mine + 1);
    this.total++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    };
  }
}

/**
 * The live endpoints over `runs`: answers and returns true when `seg` names one, else false.
 * - `events[?follow=<run>&follow=<run>]`: which runs exist (a run started after the page was opened), and the
 *   files of each followed run — one connection per page (browsers allow only six per server);
 * - `runs/<run>/events`: one run's files.
 * Errors before a stream starts (a missing run on `runs/<run>/events`) are thrown as the usual HttpError; a
 * followed run that is missing or goes away is reported inside the stream as `{error}`.
 */
export async function liveApi(runs: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse, streams: LiveStreams): Promise<boolean> {
  if (seg.length === 1 && seg[0] === 'events') {
    const follow = [...new Set(new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('follow'))];
    if (follow.length > MAX_FOLLOWED) throw new HttpError(400, `follow at most ${MAX_FOLLOWED} runs per stream, got ${follow.length}`);
    follow.forEach(checkSegment);
    const fingerprint = async () => {
      const followed: Record<string, RunChange | { error: string }> = {};
      for (const run of follow) followed[run] = await runs.changeFingerprint(run).catch((e: Error) => ({ error: e.message }));
      return { runs: await runs.runsFingerprint(), followed };
    };
    await stream(req, res, fingerprint, streams);
    return true;
  }
  if (!(seg.length === 3 && seg[0] === 'runs' && seg[2] === 'events')) return false;
  const run = seg[1];
  await stream(req, res, () => runs.changeFingerprint(run), streams);
  return true;
}

/**
 * `comparisons/<cmp>/progress` (`seg` below /api/): a comparison being run by `npm run compare` — a `change`
 * event whenever one of its runs logs or finishes, or its report is written. True when `seg` names it.
 * (`comparisons/<cmp>/events` is the runs stream above, over the comparison's runs, as the viewer uses it.)
 */
export async function liveComparisonApi(index: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse, streams: LiveStreams): Promise<boolean> {
  if (!(seg.length === 3 && seg[0] === 'comparisons' && seg[2] === 'progress')) return false;
  const id = seg[1];
  await stream(req, res, () => index.comparisonFingerprint(id), streams);
  return true;
}

/** Sends `fingerprint()` as a `change` event now and whenever it differs from the last one sent. */
export async function stream(req: IncomingMessage, res: ServerResponse, fingerprint: () => Promise<unknown>, streams: LiveStreams): Promise<void> {
  const release = streams.open(req.socket.remoteAddress ?? 'unknown');
  let last: string;
  try {
    last = JSON.stringify(await fingerprint()); // a 404 here, before any header is sent
  } catch (e) {
    release();
    throw e;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    release();
    res.end();
    return;
  }
  // Tell the browser to reconnect quickly if the stream drops (EventSource does so by itself).
  res.write(`retry: 2000\n\n`);
  const send = (body: string) => res.write(`event: change\ndata: ${body}\n\n`);
  send(last);
  let closed = false;
  let busy = false;
  const poll = setInterval(() => {
    if (busy || closed) return;
    busy = true;
    fingerprint()
      .then((fp) => {
        const body = JSON.stringify(fp);
        if (!closed && body !== last) {
          last = body;
          send(body);
        }
      })
      .catch((e: unknown) => {
        // The run went away (deleted, renamed): say so once and end the stream.
        if (!closed) res.end(`event: gone\ndata: ${JSON.stringify({ error: (e as Error).message })}\n\n`);
        stop();
      })
      .finally(() => {
        busy = false;
      });
  }, streams.pollMs);
  const keepAlive = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, KEEPALIVE_MS);
  const stop = () => {
    closed = true;
    release();
    clearInterval(poll);
    clearInterval(keepAlive);
  };
  req.on('close', stop);
  res.on('close', stop);
}

export type { RunChange };
