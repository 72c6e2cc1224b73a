/** The viewer's client for the server's JSON API (endpoints in render/api-types.ts). */
import type { EpisodesResponse, MetricsResponse, RunsResponse, ValuesFile } from '../../api-types.js';
import { episodeUrl } from '../../api-types.js';
import { validateReplay, type ReplayFile } from '../../replay-format.js';

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

export const api = {
  runs: () => getJson<RunsResponse>('api/runs'),
  episodes: () => getJson<EpisodesResponse>('api/episodes'),
  metrics: (run: string) => getJson<MetricsResponse>(`api/runs/${encodeURIComponent(run)}/metrics`),
  values: (run: string) => getJson<ValuesFile>(`api/runs/${encodeURIComponent(run)}/values`),
  /** A replay, validated again here: the viewer trusts no file. */
  async replay(run: string, path: string): Promise<ReplayFile> {
    const data = await getJson<unknown>(episodeUrl(run, path));
    return validateReplay(data, `${run}/episodes/${path}`);
  },
};
