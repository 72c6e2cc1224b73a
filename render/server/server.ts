/**
 * The local viewer server (node:http, no framework): serves the built viewer app from `staticDir` and a
 * read-only JSON API over the runs directory (endpoints in formats/api-types.ts) and, given `queue`, over the jobs
 * of that queue (render/server/queue-view.ts; read-only too).
 *
 * Safety: only GET/HEAD; every URL path segment is decoded once and checked (no `..`, no encoded
 * separators, no absolute paths), and the real path of whatever is opened must lie inside the runs (or
 * static) directory, so a symlink pointing out is refused too; only regular files are read. A missing or
 * broken file is a 4xx JSON answer with a message; an unexpected error is a 500 answer, never a crash. When
 * bound to a loopback address it only answers requests addressed to localhost (a guard against DNS rebinding).
 *
 * Files and requests are bounded (render/server/limits.ts): replays by their inflated size, JSON files by size,
 * metrics by pages, live streams per client and in total.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { TsgymError } from '../../core/errors.js';
import { checkSegment, HttpError, readFileInside, resolveInside, RunsIndex } from './runs-index.js';
import { liveApi, liveComparisonApi, LiveStreams, stream } from './live.js';
import type { ComparisonsResponse, EpisodesResponse, MetricsCursor, QueueRunsResponse, QueueSummary, RunsResponse, StudiesResponse, StudyInfo, StudyResponse, TimingResponse } from '../../formats/api-types.js';
import { parseTrialsFile, STUDY_FILES, TUNE_FILES } from '../../experiments/tune/study.js';
import { RUN_FILES } from '../../formats/run-format.js';
import { MAX_JSON_FILE_BYTES } from './limits.js';
import { listAgentSources, readAgentBlob, readAgentSource } from './agent-files.js';
import { commandLine } from '../../core/command-line.js';
import { QueueView } from './queue-view.js';

export interface ServerOptions {
  runsDir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** The built viewer (index.html + assets); null or missing: the API only. */
  staticDir?: string | null;
  /** A queue to show the jobs of (redis://HOST:PORT; render/server/queue-view.ts), read-only. */
  queue?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const runsDir = resolve(opts.runsDir);
  const staticDir = opts.staticDir ? resolve(opts.staticDir) : null;
  const host = opts.host ?? '127.0.0.1';
  const index = new RunsIndex(runsDir);
  const streams = new LiveStreams();
  const checkHostHeader = LOOPBACK_HOSTS.has(host);
  const queue = opts.queue ? new QueueView(opts.queue) : null;

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (status >= 500) console.error(`tsgym view: ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? message) : message}`);
      sendJson(res, status, { error: status >= 500 ? `internal error: ${message}` : message });
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed: the viewer API is read-only (GET only)`);
    if (checkHostHeader) {
      const hostName = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (!LOOPBACK_HOSTS.has(hostName)) throw new HttpError(403, `requests must be addressed to localhost, not "${req.headers.host}"`);
    }
    const segments = pathSegments(req.url ?? '/');
    if (segments[0] === 'api') return api(segments.slice(1), req, res);
    return serveStatic(segments, res, req.method === 'HEAD');
  }

  async function api(seg: string[], req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (seg.length === 1 && seg[0] === 'health') return sendJson(res, 200, { ok: true });
    if (seg.length === 1 && seg[0] === 'queue') return sendJson(res, 200, queue ? await queue.summary() : NO_QUEUE);
    if (seg[0] === 'studies' && (await studiesApi(index, seg.slice(1), req, res, streams, queue))) return;
    if (seg[0] === 'comparisons') {
      if (seg.length === 1) return sendJson(res, 200, { runsDir, comparisons: await index.listComparisons() } satisfies ComparisonsResponse);
      if (seg.length === 2) return sendJson(res, 200, await index.comparison(seg[1]));
      if (seg.length >= 3 && seg[2] === 'queue') {
        const id = seg[1];
        const dirs = async () => [join(runsDir, ...(await index.comparisonPrefix(id))), await index.comparisonDir(id)];
        if (await queueApi(queue, dirs, seg.slice(3), req, res, streams)) return;
      }
      if (await liveComparisonApi(index, seg, req, res, streams)) return;
      // A comparison's runs answer the same endpoints as the runs directory's own.
      const runs = await index.comparisonRuns(seg[1]);
      if ((await runsApi(runs, seg.slice(2), req, res)) || (await liveApi(runs, seg.slice(2), req, res, streams))) return;
    } else if ((await runsApi(index, seg, req, res)) || (await liveApi(index, seg, req, res, streams))) {
      return;
    }
    throw new HttpError(
      404,
      `no API endpoint /api/${seg.join('/')}; endpoints: /api/runs, /api/runs/<run>, /api/runs/<run>/metrics[?offset=&line=], /api/runs/<run>/timing, /api/runs/<run>/episodes[/<dir>/<file>], /api/runs/<run>/values, /api/runs/<run>/events (live), /api/runs/<run>/agent[/<best|latest|step>[/blobs/<name>]], /api/episodes, /api/comparisons, /api/studies, /api/studies/<study>, /api/studies/<study>/events (live), /api/studies/<study>/queue[/events], /api/queue, /api/comparisons/<cmp>/queue[/events], /api/comparisons/<cmp> (and the run endpoints below /api/comparisons/<cmp>/)`,
    );
  }

  /** The run endpoints over `runs`; false when `seg` names none of them. */
  async function runsApi(runs: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const send = (body: unknown) => {
      sendJson(res, 200, body);
      return true;
    };
    if (seg.length === 1 && seg[0] === 'runs') return send({ runsDir: runs.runsDir, runs: await runs.listRuns() } satisfies RunsResponse);
    if (seg.length === 1 && seg[0] === 'episodes') return send({ groups: await runs.episodes() } satisfies EpisodesResponse);
    if (seg[0] === 'runs' && seg.length >= 2) {
      const run = seg[1];
      if (seg.length === 2) return send(await runs.runInfo(run));
      if (seg.length === 3 && seg[2] === 'metrics') return send(await runs.metrics(run, metricsCursor(req.url ?? '/')));
      if (seg.length === 3 && seg[2] === 'timing') return send(await readTiming(runs, run));
      if (seg.length === 3 && seg[2] === 'values') return send(await runs.values(run));
      if (seg.length === 3 && seg[2] === 'episodes') return send({ groups: await runs.episodes(run) } satisfies EpisodesResponse);
      if (seg.length > 3 && seg[2] === 'episodes') return send(await runs.replay(run, seg.slice(3)));
      if (seg[2] === 'agent') return agentApi(runs, run, seg.slice(3), res);
    }
    return false;
  }

  async function serveStatic(seg: string[], res: ServerResponse, headOnly: boolean): Promise<void> {
    if (!staticDir) throw new HttpError(404, 'this server has no viewer app (API only)');
    const rel = seg.length === 0 ? ['index.html'] : seg;
    let file: string[] = rel;
    let body: Buffer;
    try {
      if ((await stat(await resolveInside(staticDir, rel))).isDirectory()) file = [...rel, 'index.html'];
      body = await readFileInside(staticDir, file);
    } catch (e) {
      if (e instanceof HttpError && e.status === 404 && rel.length === 1 && rel[0] === 'index.html') {
        throw new HttpError(404, `the viewer is not built (no index.html in ${staticDir}); run \`${commandLine('view')}\`, which builds it`);
      }
      throw e;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file[file.length - 1]).toLowerCase()] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(headOnly ? undefined : body);
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') rejectListen(new TsgymError(`port ${opts.port} on ${host} is already in use; pass --port 0 for a free port, or another --port`));
      else rejectListen(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolveListen();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts.port ?? 0, host);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    close: async () => {
      await new Promise<void>((done, fail) => {
        server.close((e) => (e ? fail(e) : done()));
        server.closeAllConnections();
      });
      await queue?.close();
    },
  };
}

/**
 * `runs/<run>/timing`: timing.jsonl, seconds of training at each evaluation (the scalars dashboard's time
 * axes); no records when the run has none yet. Lines that are not {step, wall} (one being written) are skipped.
 */
async function readTiming(runs: RunsIndex, run: string): Promise<TimingResponse> {
  const dir = await runs.runDir(run);
  let text = '';
  try {
    text = (await readFileInside(dir, [RUN_FILES.timing], { what: 'timing file', displayName: `${run}/${RUN_FILES.timing}`, maxBytes: MAX_JSON_FILE_BYTES, limitName: 'MAX_JSON_FILE_BYTES' })).toString('utf8');
  } catch (e) {
    if (!(e instanceof HttpError && e.status === 404)) throw e;
  }
  const out: TimingResponse = { run, records: [], skippedLines: [] };
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const r = JSON.parse(line) as { step?: unknown; wall?: unknown };
      if (typeof r.step === 'number' && typeof r.wall === 'number') return void out.records.push({ step: r.step, wall: r.wall });
    } catch {
      // reported as skipped
    }
    out.skippedLines.push(i + 1);
  });
  return out;
}

/**
 * The tuning-study endpoints (`seg` below /api/studies): the list of study directories (the runs directory
 * itself when it is one, else the directories directly inside it holding trials.jsonl), one study's trials,
 * and its live `events`. True when `seg` names one of them.
 */
async function studiesApi(index: RunsIndex, seg: string[], req: IncomingMessage, res: ServerResponse, streams: LiveStreams, queue: QueueView | null): Promise<boolean> {
  const runsDir = index.runsDir;
  const rootIsStudy = await isStudyDir(runsDir, []);
  // A study's path below the runs directory: [] for the root study, else its directory name.
  const prefix = (id: string) => (rootIsStudy && id === basename(runsDir) ? [] : [id]);
  if (seg.length === 0) {
    const ids = rootIsStudy ? [basename(runsDir)] : [];
    if (!rootIsStudy) for (const name of await index.entryNames()) if (await isStudyDir(runsDir, [name])) ids.push(name);
    const studies: StudyInfo[] = [];
    for (const id of ids) {
      const study = await readStudyInside(runsDir, id, prefix(id)).catch((e: unknown) => (e instanceof HttpError ? null : Promise.reject(e)));
      if (!study) continue; // damaged, or removed meanwhile: its own page says why
      const counts = { running: 0, complete: 0, pruned: 0, failed: 0 };
      for (const t of study.trials) counts[t.state] += 1;
      studies.push({ id, agent: study.header.agent, env: study.header.env, createdAt: study.header.createdAt, counts });
    }
    sendJson(res, 200, { runsDir, studies: studies.sort((a, b) => b.createdAt.localeCompare(a.createdAt)) } satisfies StudiesResponse);
    return true;
  }
  const id = seg[0];
  if (seg.length === 1) {
    sendJson(res, 200, await readStudyInside(runsDir, id, prefix(id)));
    return true;
  }
  if (seg[1] === 'queue') {
    const dirs = async () => {
      await readStudyInside(runsDir, id, prefix(id)); // a 404 / 422 when it is no study
      return [join(runsDir, ...prefix(id)), await resolveInside(runsDir, prefix(id), 'study')];
    };
    return queueApi(queue, dirs, seg.slice(2), req, res, streams);
  }
  if (seg.length === 2 && seg[1] === 'events') {
    await readStudyInside(runsDir, id, prefix(id)); // a 404 / 422 before the stream starts
    const sizeOf = (file: string) =>
      resolveInside(runsDir, [...prefix(id), file])
        .then(stat)
        .then((s) => [s.size, s.mtimeMs], () => null);
    await stream(req, res, async () => ({ trials: await sizeOf(STUDY_FILES.trials), best: await sizeOf(STUDY_FILES.best), report: await sizeOf(TUNE_FILES.report) }), streams);
    return true;
  }
  return false;
}

/** What `/api/queue` answers when the viewer was started without --queue. */
const NO_QUEUE: QueueSummary = { configured: false, url: null, reachable: false, error: null, lastReadAt: null, counts: null };

/**
 * `…/queue` (`seg` below it: [] or ['events']) of a comparison or study whose directory is `dirs()` (as the
 * coordinator may spell it, and its real path): its runs' jobs, or a stream of them. True when `seg` names one.
 */
async function queueApi(queue: QueueView | null, dirs: () => Promise<string[]>, seg: string[], req: IncomingMessage, res: ServerResponse, streams: LiveStreams): Promise<boolean> {
  if (!(seg.length === 0 || (seg.length === 1 && seg[0] === 'events'))) return false;
  if (!queue) throw new HttpError(404, `this viewer shows no queue; start it with \`${commandLine('view', '--queue redis://HOST:PORT')}\``);
  const where = await dirs(); // a 404 before anything else
  if (seg.length === 0) sendJson(res, 200, (await queue.runsIn(where)) satisfies QueueRunsResponse);
  else await stream(req, res, () => queue.runsIn(where), streams);
  return true;
}

async function isStudyDir(root: string, segments: string[]): Promise<boolean> {
  return isFileInside(root, [...segments, STUDY_FILES.trials]);
}

/** One study's trials.jsonl parsed by the study module's own parser; 404 when `id` is no study, 422 when damaged. */
async function readStudyInside(runsDir: string, id: string, segments: string[]): Promise<StudyResponse> {
  const shown = `${id}/${STUDY_FILES.trials}`;
  let text: string;
  try {
    text = (await readFileInside(runsDir, [...segments, STUDY_FILES.trials], { what: 'study', displayName: shown, maxBytes: MAX_JSON_FILE_BYTES, limitName: 'MAX_JSON_FILE_BYTES' })).toString('utf8');
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) throw new HttpError(404, `study not found: ${id} holds no ${STUDY_FILES.trials}`);
    throw e;
  }
  let study;
  try {
    study = parseTrialsFile(text, shown).study;
  } catch (e) {
    if (e instanceof TsgymError) throw new HttpError(422, e.message);
    throw e;
  }
  return { id, header: study.header, trials: study.trials, hasReport: await isFileInside(runsDir, [...segments, TUNE_FILES.report]), hasBest: await isFileInside(runsDir, [...segments, STUDY_FILES.best]) };
}

async function isFileInside(root: string, segments: string[]): Promise<boolean> {
  try {
    return (await stat(await resolveInside(root, segments))).isFile();
  } catch (e) {
    if (e instanceof HttpError) return false;
    throw e;
  }
}

/**
 * The saved-agent endpoints of one run (for the live-agent page): `agent` lists best/ and the checkpoints,
 * `agent/<which>` describes one, `agent/<which>/blobs/<name>` serves its weights. Read-only, like the rest.
 */
async function agentApi(runs: RunsIndex, run: string, seg: string[], res: ServerResponse): Promise<boolean> {
  if (seg.length === 0) sendJson(res, 200, await listAgentSources(runs.runsDir, run));
  else if (seg.length === 1) sendJson(res, 200, await readAgentSource(runs.runsDir, run, seg[0]));
  else if (seg.length === 3 && seg[1] === 'blobs') sendBytes(res, await readAgentBlob(runs.runsDir, run, seg[0], seg[2]));
  else return false;
  return true;
}

/** `?offset=<bytes>&line=<n>` of a metrics request (both or neither), checked; undefined for the first page. */
function metricsCursor(target: string): MetricsCursor | undefined {
  const params = new URL(target, 'http://localhost').searchParams;
  const offset = params.get('offset');
  const line = params.get('line');
  if (offset === null && line === null) return undefined;
  if (offset === null || line === null || !/^\d{1,15}$/.test(offset) || !/^\d{1,15}$/.test(line) || Number(line) < 1) {
    throw new HttpError(400, `metrics paging takes ?offset=<bytes>&line=<line number ≥ 1>, both as the previous answer's "next" gives them; got offset=${offset} line=${line}`);
  }
  return { offset: Number(offset), line: Number(line) };
}

function sendBytes(res: ServerResponse, body: Uint8Array): void {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/**
 * The decoded path segments of a request target. Decodes each segment once, so an encoded `%2e%2e` or
 * `%2f` is checked as what it means; a trailing slash is dropped.
 */
export function pathSegments(target: string): string[] {
  if (!target.startsWith('/')) throw new HttpError(400, `request target must be a path starting with "/", got "${target.slice(0, 80)}"`);
  const path = target.split(/[?#]/, 1)[0];
  if (path === '/') return [];
  const raw = path.slice(1).split('/');
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  return raw.map((s) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      throw new HttpError(400, `malformed percent-encoding in path segment "${s}"`);
    }
    checkSegment(decoded);
    return decoded;
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
