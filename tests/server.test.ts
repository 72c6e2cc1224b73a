import { request } from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpisodesResponse, MetricsResponse, RunInfo, RunsResponse } from '../formats/api-types.js';
import { readReplayFile } from '../experiments/replay-io.js';
import { startServer, type RunningServer } from '../render/server/server.js';
import { writeFixtureRuns, type FixtureRuns } from './helpers/fixture-runs.js';

let root: string;
let fixture: FixtureRuns;
let server: RunningServer;
const SECRET = 'TOP-SECRET-OUTSIDE-THE-RUNS-DIR';

/** GET with the path sent exactly as written (fetch and URL would normalise `..` away). */
function rawGet(path: string, opts: { method?: string; host?: string } = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.host ? { host: opts.host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson<T>(path: string): Promise<{ status: number; json: T }> {
  const r = await rawGet(path);
  expect(r.type).toContain('application/json');
  return { status: r.status, json: JSON.parse(r.body) as T };
}

const enc = encodeURIComponent;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsgym-server-'));
  const runsDir = join(root, 'runs');
  fixture = await writeFixtureRuns(runsDir);

  // Outside the runs dir: a secret, a whole run, and a replay, each reached through a symlink from inside.
  const outside = join(root, 'outside');
  await mkdir(join(outside, 'evil-run', 'episodes', 'step-000000000'), { recursive: true });
  await writeFile(join(outside, 'secret.txt'), SECRET);
  await writeFile(join(outside, 'evil-run', 'config.json'), JSON.stringify({ agent: SECRET }));
  const cart = fixture.byKind.get('cartpole')!;
  await writeFile(join(outside, 'evil-run', 'episodes', 'step-000000000', 'episode-0.json'), JSON.stringify({ ...(await readReplayFile(join(runsDir, cart.run, 'episodes', cart.path))), label: SECRET }));
  await symlink(join(outside, 'evil-run'), join(runsDir, 'Evil-v0__x__seed0__20250101-000000'));
  await symlink(join(outside, 'evil-run', 'episodes', 'step-000000000', 'episode-0.json'), join(runsDir, cart.run, 'episodes', 'step-000005000', 'episode-9.json'));
  await symlink(join(outside, 'secret.txt'), join(runsDir, cart.run, 'secret.json'));

  const staticDir = join(root, 'static');
  await mkdir(join(staticDir, 'assets'), { recursive: true });
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>viewer</title>');
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  await symlink(join(outside, 'secret.txt'), join(staticDir, 'assets', 'leak.js'));

  server = await startServer({ runsDir, port: 0, host: '127.0.0.1', staticDir });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe('viewer server: API', () => {
  it('listens on 127.0.0.1 on a free port and prints a URL with it', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('lists the runs with config, summary, episode count and problems', async () => {
    const { status, json } = await getJson<RunsResponse>('/api/runs');
    expect(status).toBe(200);
    const ids = json.runs.map((r) => r.id).sort();
    expect(ids).toEqual([...fixture.runs].sort());
    const byId = new Map(json.runs.map((r) => [r.id, r]));
    const cart = byId.get(fixture.byKind.get('cartpole')!.run)!;
    expect(cart.envId).toBe('CartPole-v1');
    expect(cart.agent).toBe('heuristic');
    expect(cart.seed).toBe(1);
    expect(cart.config?.totalSteps).toBe(5000);
    expect(cart.summary?.status).toBe('finished');
    expect(cart.startedAt).toMatch(/^2025-01-02 10:\d\d:00$/);
    expect(cart.episodeCount).toBe(fixture.episodes.filter((e) => e.run === cart.id).length);
    expect(byId.get(fixture.startingRun)!.summary).toBeNull();
    const odd = byId.get(fixture.oddRun)!;
    expect(odd.config).toBeNull();
    expect(odd.problems.join('\n')).toMatch(/config\.json: not valid JSON/);
    // Names from the directory name when config.json is unreadable.
    expect(odd.envId).toBe('Oddities');
    const grid = fixture.byKind.get('gridworld');
    if (grid) expect(byId.get(grid.run)!.hasValues).toBe(true);
    expect(cart.hasValues).toBe(false);
  });

  it('returns one run by id', async () => {
    const run = fixture.byKind.get('cartpole')!.run;
    const { status, json } = await getJson<RunInfo>(`/api/runs/${enc(run)}`);
    expect(status).toBe(200);
    expect(json.id).toBe(run);
    const missing = await getJson<{ error: string }>('/api/runs/NoSuch__run');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(/run not found: NoSuch__run/);
  });

  it('returns the metrics records, skipping a half-written last line', async () => {
    const run = fixture.byKind.get('cartpole')!.run;
    const { json } = await getJson<MetricsResponse>(`/api/runs/${enc(run)}/metrics`);
    expect(json.records.filter((r) => r.kind === 'episode')).toHaveLength(16);
    expect(json.records.filter((r) => r.kind === 'eval').map((r) => r.step)).toEqual([0, 5000]);
    expect(json.skippedLines).toEqual([]);
    const starting = await getJson<MetricsResponse>(`/api/runs/${enc(fixture.startingRun)}/metrics`);
    expect(starting.json.records).toHaveLength(1);
    expect(starting.json.skippedLines).toEqual([2]);
  });

  it('lists episodes grouped by run and checkpoint, with their returns and lengths', async () => {
    const { json } = await getJson<EpisodesResponse>('/api/episodes');
    for (const e of fixture.episodes) {
      const g = json.groups.find((x) => x.run === e.run && x.episodes.some((y) => y.path === e.path));
      expect(g, `${e.run}/${e.path} listed`).toBeDefined();
      expect(g!.kind).toBe('eval');
      expect(g!.step).toBe(e.checkpointStep);
      const entry = g!.episodes.find((y) => y.path === e.path)!;
      expect([entry.return, entry.length, entry.envId, entry.kind]).toEqual([e.return, e.length, e.envId, e.kind]);
    }
    const cartRun = fixture.byKind.get('cartpole')!.run;
    const cartGroups = json.groups.filter((g) => g.run === cartRun);
    expect(cartGroups.map((g) => g.name)).toEqual(['step-000000000', 'step-000005000']);
    const oddEntries = json.groups.filter((g) => g.run === fixture.oddRun).flatMap((g) => g.episodes);
    expect(oddEntries.find((e) => fixture.corrupt.endsWith(`${e.name}.json`))?.error).toMatch(/is not valid JSON/);
    expect(oddEntries.find((e) => fixture.futureVersion.endsWith(`${e.name}.json`))?.error).toMatch(/newer tsgym \(version 7\)/);
    // One run's episodes alone.
    const one = await getJson<EpisodesResponse>(`/api/runs/${enc(cartRun)}/episodes`);
    expect(one.json.groups.every((g) => g.run === cartRun)).toBe(true);
  });

  it('serves a replay (plain or gzipped) as validated JSON, identical to the file', async () => {
    for (const e of fixture.episodes.filter((x) => x.run === fixture.byKind.get('cartpole')!.run)) {
      const { status, json } = await getJson<unknown>(`/api/runs/${enc(e.run)}/episodes/${e.path}`);
      expect(status).toBe(200);
      expect(json).toEqual(await readReplayFile(join(fixture.dir, e.run, 'episodes', e.path)));
    }
  });

  it('serves values.json for a tabular run and 404s where there is none', async () => {
    const grid = fixture.byKind.get('gridworld');
    if (grid) {
      const { status, json } = await getJson<{ values: number[]; policy: number[] }>(`/api/runs/${enc(grid.run)}/values`);
      expect(status).toBe(200);
      expect(json.values.length).toBe(json.policy.length);
    }
    const none = await getJson<{ error: string }>(`/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/values`);
    expect(none.status).toBe(404);
  });

  it('serves the static viewer files', async () => {
    const index = await rawGet('/');
    expect(index.status).toBe(200);
    expect(index.type).toContain('text/html');
    expect(index.body).toContain('<title>viewer</title>');
    const js = await rawGet('/assets/app.js');
    expect([js.status, js.type]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await rawGet('/assets/nope.js')).status).toBe(404);
  });
});

describe('viewer server: refuses paths outside the runs directory', () => {
  const attempts: [string, () => string][] = [
    ['.. segments', () => '/api/runs/../../outside/secret.txt'],
    ['.. after a run', () => `/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/episodes/../../../outside/secret.txt`],
    ['encoded %2e%2e', () => '/api/runs/%2e%2e/%2e%2e/outside/evil-run'],
    ['encoded %2E%2E and %2F in one segment', () => `/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/episodes/%2E%2E%2F%2E%2E%2Fconfig.json`],
    ['an absolute path in a segment', () => `/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/episodes/${enc('/etc/passwd')}`],
    ['an absolute path via //', () => `/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/episodes//etc/passwd`],
    ['a backslash path', () => `/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/episodes/..%5C..%5Csecret.txt`],
    ['a drive letter', () => '/api/runs/C:%5Cwindows'],
    ['a NUL byte', () => `/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/episodes/a.json%00.gz`],
    ['malformed percent-encoding', () => '/api/runs/%E0%A4%A'],
    ['.. in a static path', () => '/../package.json'],
    ['%2e%2e in a static path', () => '/assets/%2e%2e/%2e%2e/outside/secret.txt'],
    ['a symlinked run pointing out', () => '/api/runs/Evil-v0__x__seed0__20250101-000000'],
    ['a symlinked run pointing out (episode)', () => '/api/runs/Evil-v0__x__seed0__20250101-000000/episodes/step-000000000/episode-0.json'],
    ['a symlinked episode pointing out', () => `/api/runs/${enc(fixture.byKind.get('cartpole')!.run)}/episodes/step-000005000/episode-9.json`],
    ['a symlinked static file pointing out', () => '/assets/leak.js'],
  ];
  for (const [name, path] of attempts) {
    it(`${name} → 4xx with a message, nothing leaked`, async () => {
      const r = await rawGet(path());
      expect(r.status, `${path()} → ${r.status} ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toContain('root:');
      expect(JSON.parse(r.body).error).toMatch(/\w/);
    });
  }

  it('does not list a symlinked run or episode that points out', async () => {
    const runs = await getJson<RunsResponse>('/api/runs');
    expect(runs.json.runs.map((r) => r.id)).not.toContain('Evil-v0__x__seed0__20250101-000000');
    const eps = await getJson<EpisodesResponse>('/api/episodes');
    expect(JSON.stringify(eps.json)).not.toContain('episode-9');
    expect(JSON.stringify(runs.json)).not.toContain(SECRET);
  });

  it('answers only GET/HEAD, and only for localhost when bound to loopback', async () => {
    const post = await rawGet('/api/runs', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(JSON.parse(post.body).error).toMatch(/read-only/);
    const rebinding = await rawGet('/api/runs', { host: 'evil.example:80' });
    expect(rebinding.status).toBe(403);
  });
});

describe('viewer server: broken files are 4xx with a message, and the server stays up', () => {
  it('a corrupt replay → 422 naming the file', async () => {
    const { status, json } = await getJson<{ error: string }>(`/api/runs/${enc(fixture.oddRun)}/episodes/${fixture.corrupt}`);
    expect(status).toBe(422);
    expect(json.error).toContain(`${fixture.oddRun}/episodes/${fixture.corrupt}: is not valid JSON`);
  });

  it('a future-version replay → 422 saying so', async () => {
    const { status, json } = await getJson<{ error: string }>(`/api/runs/${enc(fixture.oddRun)}/episodes/${fixture.futureVersion}`);
    expect(status).toBe(422);
    expect(json.error).toMatch(/written by a newer tsgym \(version 7\); this viewer reads version 1/);
  });

  it('a missing replay → 404, a non-replay file → 400, an unknown endpoint → 404', async () => {
    const run = enc(fixture.byKind.get('cartpole')!.run);
    const missing = await getJson<{ error: string }>(`/api/runs/${run}/episodes/step-000000000/episode-77.json`);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(/episode not found/);
    const notReplay = await getJson<{ error: string }>(`/api/runs/${run}/episodes/step-000000000`);
    expect(notReplay.status).toBe(400);
    const unknown = await getJson<{ error: string }>('/api/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/endpoints: \/api\/runs/);
  });

  it('is still up after all of the above', async () => {
    const { status, json } = await getJson<{ ok: boolean }>('/api/health');
    expect([status, json.ok]).toEqual([200, true]);
  });

  it('reports a busy port clearly', async () => {
    await expect(startServer({ runsDir: fixture.dir, port: server.port })).rejects.toThrow(/port \d+ on 127\.0\.0\.1 is already in use; pass --port 0/);
  });

  it('answers with an empty list when the runs directory does not exist yet', async () => {
    const s = await startServer({ runsDir: join(root, 'no-runs-yet'), port: 0 });
    try {
      const res = await fetch(`${s.url}api/runs`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as RunsResponse).runs).toEqual([]);
      const page = await fetch(s.url);
      expect(page.status).toBe(404);
      expect(((await page.json()) as { error: string }).error).toMatch(/API only/);
    } finally {
      await s.close();
    }
  });
});
