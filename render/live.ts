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
import type { RunChange } from './api-types.js';
import { checkSegment, HttpError, type RunsIndex } from './runs-index.js';

/** How often an open stream looks at the run's files. */
export const LIVE_POLL_MS = 1000;
/** A comment line now and then keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** Most runs one `events?follow=…` stream follows (a page follows one or two). */
const MAX_FOLLOWED = 8;

/**
 * The live endpoints over `runs`: answers and returns true when `seg` names one, else false.
 * - `events[?follow=<run>&follow=<run>]`: which runs exist (a run started after the page was opened), and the
 *   files of each followed run — one connection per page (browsers allow only six per server);
 * - `runs/<run>/events`: one run's files.
 * Errors before a stream starts (a missing run on `runs/<run>/events`) are thrown as the usual HttpError; a
 * followed run that is missing or goes away is reported inside the stream as `{error}`.
 */
export async function liveApi(runs: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse, pollMs = LIVE_POLL_MS): Promise<boolean> {
  if (seg.length === 1 && seg[0] === 'events') {
    const follow = [...new Set(new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('follow'))];
    if (follow.length > MAX_FOLLOWED) throw new HttpError(400, `follow at most ${MAX_FOLLOWED} runs per stream, got ${follow.length}`);
    follow.forEach(checkSegment);
    const fingerprint = async () => {
      const followed: Record<string, RunChange | { error: string }> = {};
      for (const run of follow) followed[run] = await runs.changeFingerprint(run).catch((e: Error) => ({ error: e.message }));
      return { runs: await runs.runsFingerprint(), followed };
    };
    await stream(req, res, fingerprint, pollMs);
    return true;
  }
  if (!(seg.length === 3 && seg[0] === 'runs' && seg[2] === 'events')) return false;
  const run = seg[1];
  await stream(req, res, () => runs.changeFingerprint(run), pollMs);
  return true;
}

/**
 * `comparisons/<cmp>/progress` (`seg` below /api/): a comparison being run by `npm run compare` — a `change`
 * event whenever one of its runs logs or finishes, or its report is written. True when `seg` names it.
 * (`comparisons/<cmp>/events` is the runs stream above, over the comparison's runs, as the viewer uses it.)
 */
export async function liveComparisonApi(index: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse, pollMs = LIVE_POLL_MS): Promise<boolean> {
  if (!(seg.length === 3 && seg[0] === 'comparisons' && seg[2] === 'progress')) return false;
  const id = seg[1];
  await stream(req, res, () => index.comparisonFingerprint(id), pollMs);
  return true;
}

/** Sends `fingerprint()` as a `change` event now and whenever it differs from the last one sent. */
async function stream(req: IncomingMessage, res: ServerResponse, fingerprint: () => Promise<unknown>, pollMs: number): Promise<void> {
  let last = JSON.stringify(await fingerprint()); // a 404 here, before any header is sent
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
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
  }, pollMs);
  const keepAlive = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, KEEPALIVE_MS);
  const stop = () => {
    closed = true;
    clearInterval(poll);
    clearInterval(keepAlive);
  };
  req.on('close', stop);
  res.on('close', stop);
}

export type { RunChange };
