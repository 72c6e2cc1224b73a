/**
 * Following a run while it trains: `GET /api/runs/<run>/events` (and the same below
 * `/api/comparisons/<cmp>/`) is a server-sent event stream; `GET /api/events` tells when runs appear. The server looks at the run's files about once
 * a second — the size of metrics.jsonl, summary.json's modification time and content status, the number
 * of recorded episodes — and sends one `change` event whenever that fingerprint differs from the last one
 * sent (the first is sent at once). The page then refetches what changed through the ordinary read-only
 * endpoints. Nothing is written; a stream ends when the browser closes it or the server stops.
 *
 * Polling the files (rather than fs.watch) works the same on every platform and filesystem, and a run
 * directory is small: three stats and one directory walk per second per open page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunChange } from './api-types.js';
import type { RunsIndex } from './runs-index.js';

/** How often an open stream looks at the run's files. */
export const LIVE_POLL_MS = 1000;
/** A comment line now and then keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * The live endpoints over `runs`: answers and returns true when `seg` names one — `runs/<run>/events` (one
 * run's files) or `events` (which runs exist: a run started after the page was opened) — else false. Errors
 * before the stream starts (a missing run) are thrown as the usual HttpError.
 */
export async function liveApi(runs: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse, pollMs = LIVE_POLL_MS): Promise<boolean> {
  if (seg.length === 1 && seg[0] === 'events') {
    await stream(req, res, () => runs.runsFingerprint().then((r) => ({ runs: r })), pollMs);
    return true;
  }
  if (!(seg.length === 3 && seg[0] === 'runs' && seg[2] === 'events')) return false;
  const run = seg[1];
  await stream(req, res, () => runs.changeFingerprint(run), pollMs);
  return true;
}

/**
 * `comparisons/<cmp>/events` (`seg` below /api/): a comparison being run by `npm run compare` — a `change`
 * event whenever one of its runs logs or finishes, or its report is written. True when `seg` names it.
 */
export async function liveComparisonApi(index: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse, pollMs = LIVE_POLL_MS): Promise<boolean> {
  if (!(seg.length === 3 && seg[0] === 'comparisons' && seg[2] === 'events')) return false;
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
