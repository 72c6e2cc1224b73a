/** The viewer's client for the server's JSON API (endpoints in formats/api-types.ts). */
import type { ComparisonResponse, ComparisonsResponse, EpisodesResponse, MetricsResponse, QueueSummary, RunInfo, RunsResponse, StudiesResponse, StudyResponse, TimingResponse, ValuesFile } from '../../../formats/api-types.js';
import { episodeUrl, runsApiBase } from '../../../formats/api-types.js';
import { validateReplay, type ReplayFile } from '../../../formats/replay-format.js';

/** A failed request, with the server's message. */
export class ApiRequestError extends Error {
  override name = 'ApiRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(url: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (e) {
    throw new ApiRequestError(0, `cannot reach the tsgym server (${(e as Error).message}); is \`npm run view\` still running?`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiRequestError(res.status, `${url}: the server answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const msg = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : `HTTP ${res.status}`;
    throw new ApiRequestError(res.status, msg);
  }
  return body as T;
}

/** Every page of a run's metrics (`url` is its `…/metrics` endpoint), as one answer. */
async function getMetrics(url: string): Promise<MetricsResponse> {
  const all = await getJson<MetricsResponse>(url);
  for (let next = all.next; next; ) {
    const page = await getJson<MetricsResponse>(`${url}?offset=${next.offset}&line=${next.line}`);
    for (const r of page.records) all.records.push(r);
    for (const n of page.skippedLines) all.skippedLines.push(n);
    next = page.next;
  }
  return { ...all, next: null };
}

/** `?c=<comparison>`: the viewer shows that comparison's runs instead of the runs directory's own. */
export const comparisonScope: string | null = new URLSearchParams(location.search).get('c');
const base = runsApiBase(comparisonScope);

export const api = {
  runs: () => getJson<RunsResponse>(`${base}runs`),
  episodes: () => getJson<EpisodesResponse>(`${base}episodes`),
  metrics: (run: string) => getMetrics(`${base}runs/${encodeURIComponent(run)}/metrics`),
  timing: (run: string) => getJson<TimingResponse>(`${base}runs/${encodeURIComponent(run)}/timing`),
  run: (run: string) => getJson<RunInfo>(`${base}runs/${encodeURIComponent(run)}`),
  runEpisodes: (run: string) => getJson<EpisodesResponse>(`${base}runs/${encodeURIComponent(run)}/episodes`),
  /** Which runs exist and how followed runs change (`?follow=<run>…`), as a change stream (server-sent events, render/server/live.ts). */
  runsEventsUrl: () => `${base}events`,
  values: (run: string) => getJson<ValuesFile>(`${base}runs/${encodeURIComponent(run)}/values`),
  /** A replay, validated again here: the viewer trusts no file. */
  async replay(run: string, path: string): Promise<ReplayFile> {
    const data = await getJson<unknown>(episodeUrl(run, path, base));
    return validateReplay(data, `${run}/episodes/${path}`);
  },
  comparisons: () => getJson<ComparisonsResponse>('api/comparisons'),
  comparison: (id: string) => getJson<ComparisonResponse>(`api/comparisons/${encodeURIComponent(id)}`),
  /** The episodes of one comparison's runs (for links from the comparison page). */
  comparisonMetrics: (id: string, run: string) => getMetrics(`${runsApiBase(id)}runs/${encodeURIComponent(run)}/metrics`),
  comparisonEpisodes: (id: string) => getJson<EpisodesResponse>(`${runsApiBase(id)}episodes`),
  comparisonRuns: (id: string) => getJson<RunsResponse>(`${runsApiBase(id)}runs`),
  studies: () => getJson<StudiesResponse>('api/studies'),
  study: (id: string) => getJson<StudyResponse>(`api/studies/${encodeURIComponent(id)}`),
  /** A `change` event whenever the study's trials.jsonl, best.json or report.json change (render/server/live.ts). */
  studyEventsUrl: (id: string) => `api/studies/${encodeURIComponent(id)}/events`,
  /** Whether the viewer shows a queue (`view --queue`) and whether it answers. */
  queue: () => getJson<QueueSummary>('api/queue'),
  /** The jobs of a comparison or study as a change stream whose events carry a QueueRunsResponse. */
  comparisonQueueEventsUrl: (id: string) => `api/comparisons/${encodeURIComponent(id)}/queue/events`,
  studyQueueEventsUrl: (id: string) => `api/studies/${encodeURIComponent(id)}/queue/events`,
};

/**
 * Calls `onChange(first, data)` for each `change` event of a live stream (render/server/live.ts) whose data differs from
 * the previous one's; `first` is the stream's first event, which says "this is where things stand" rather than
 * "something changed" (pages redraw on it too: the files may have changed before the stream opened).
 */
export function followChanges(source: EventSource, onChange: (first: boolean, data: string) => void): void {
  let last: string | null = null;
  source.addEventListener('change', (ev) => {
    const data = (ev as MessageEvent<string>).data;
    if (data === last) return;
    const first = last === null;
    last = data;
    onChange(first, data);
  });
}
