/**
 * The viewer server against hostile files and requests: a checkpoint blob swapped for a symlink out of the
 * runs directory (with the manifest recomputed), manifest names that climb out, a gzip replay that inflates
 * to 1 GiB, a metrics file with one enormous line, a FIFO where a file should be, oversized JSON, and more
 * live streams than the limits allow. Each case runs against the real server (render/server/server.ts) and the
 * limits of render/server/limits.ts; big files are sparse or streamed, so nothing large stays on disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpisodesResponse, MetricsResponse, RunsResponse } from '../formats/api-types.js';
import { MAX_JSON_FILE_BYTES, MAX_LIVE_STREAMS, MAX_LIVE_STREAMS_PER_CLIENT, MAX_REPLAY_BYTES, METRICS_PAGE_BYTES } from '../render/server/limits.js';
import { startServer, type RunningServer } from '../render/server/server.js';
import { sha256, writeCheckpointManifest } from '../experiments/run-files.js';

let root: string;
let runsDir: string;
let server: RunningServer;
const SECRET = 'TOP-SECRET-OUTSIDE-THE-RUNS-DIR';
const enc = encodeURIComponent;

/** GET `path` from the server; `localAddress` picks the client's loopback address. */
function get(path: string, localAddress = '127.0.0.1'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, localAddress, headers: { host: `127.0.0.1:${server.port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson<T>(path: string): Promise<{ status: number; json: T }> {
  const r = await get(path);
  return { status: r.status, json: JSON.parse(r.body.toString('utf8')) as T };
}

/** Opens a live stream; resolves with its status once the headers arrive (the request stays open). */
function openStream(path: string, localAddress: string): Promise<{ status: number; req: ClientRequest; body: () => string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = request({ host: '127.0.0.1', port: server.port, path, localAddress, headers: { host: `127.0.0.1:${server.port}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, req, body: () => text });
    });
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
    req.end();
  });
}

/** A run directory with config.json and one checkpoint (state.json + weights.bin + manifest) at step 100. */
async function writeCheckpointRun(name: string): Promise<{ runDir: string; stepDir: string; weights: Buffer }> {
  const runDir = join(runsDir, name);
  const stepDir = join(runDir, 'checkpoints', 'step-000000100');
  await mkdir(stepDir, { recursive: true });
  await writeFile(join(runDir, 'config.json'), JSON.stringify({ agent: 'dqn', envId: 'CartPole-v1', seed: 0, hyperparams: {}, numEnvs: 1 }));
  await writeFile(join(runDir, 'checkpoints', 'latest.json'), JSON.stringify({ step: 100, dir: 'step-000000100' }));
  const weights = Buffer.from(Float32Array.from({ length: 64 }, (_, i) => i / 7).buffer);
  await writeFile(join(stepDir, 'state.json'), JSON.stringify({ step: 100, blobs: ['weights', 'buffer'], json: { agent: { kind: 'dqn' } } }));
  await writeFile(join(stepDir, 'weights.bin'), weights);
  await writeFile(join(stepDir, 'buffer.bin'), Buffer.alloc(4096, 3));
  writeCheckpointManifest(stepDir, 100);
  return { runDir, stepDir, weights };
}

/** Whole seconds, so utimes puts back exactly what stat shows. */
const MTIME = new Date('2025-01-01T00:00:00Z');

/** Writes `bytes` over the start of `file` in place (same inode and size) and sets its mtime back to MTIME. */
async function overwriteKeepingMtime(file: string, bytes: Buffer): Promise<void> {
  const fh = await open(file, 'r+');
  await fh.write(bytes, 0, bytes.length, 0);
  await fh.close();
  await utimes(file, MTIME, MTIME);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsgym-limits-'));
  runsDir = join(root, 'runs');
  await mkdir(runsDir);
  await writeFile(join(root, 'secret.txt'), SECRET);
  server = await startServer({ runsDir, port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe('viewer limits: checkpoint files are resolved, checked and hashed once', () => {
  it('serves a real blob, but not one replaced by a symlink out of the runs dir with the manifest recomputed', async () => {
    const { stepDir, weights } = await writeCheckpointRun('linked__dqn__seed0__20250101-000000');
    const ok = await get('/api/runs/linked__dqn__seed0__20250101-000000/agent/latest/blobs/weights');
    expect(ok.status).toBe(200);
    expect(ok.body.equals(weights)).toBe(true);

    await rm(join(stepDir, 'weights.bin'));
    await symlink(join(root, 'secret.txt'), join(stepDir, 'weights.bin'));
    writeCheckpointManifest(stepDir, 100); // the forger recomputes every sha256 (they are no secret)
    const r = await get('/api/runs/linked__dqn__seed0__20250101-000000/agent/latest/blobs/weights');
    expect(r.status, r.body.toString()).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.toString()).not.toContain(SECRET);
    expect(JSON.parse(r.body.toString()).error).toMatch(/weights\.bin is a symbolic link/);
    // The agent description reads the same checkpoint, and refuses it the same way.
    const src = await get('/api/runs/linked__dqn__seed0__20250101-000000/agent/latest');
    expect(src.status).toBe(422);
  });

  it('refuses manifest names that climb out of the checkpoint ("../", absolute) even with valid hashes', async () => {
    const { stepDir } = await writeCheckpointRun('climb__dqn__seed0__20250101-000000');
    for (const name of ['../../../../secret.txt', join(root, 'secret.txt'), '..']) {
      const files = [
        { name: 'state.json', bytes: 0, sha256: '' },
        { name, bytes: SECRET.length, sha256: sha256(SECRET) },
      ];
      const state = JSON.stringify({ step: 100, blobs: ['weights'], json: { agent: {} } });
      await writeFile(join(stepDir, 'state.json'), state);
      files[0] = { name: 'state.json', bytes: Buffer.byteLength(state), sha256: sha256(state) };
      await writeFile(join(stepDir, 'manifest.json'), JSON.stringify({ format: 'tsgym-checkpoint', version: 1, step: 100, files, filesSha256: sha256(JSON.stringify(files)) }));
      const r = await get('/api/runs/climb__dqn__seed0__20250101-000000/agent/latest/blobs/weights');
      expect(r.status, `${name}: ${r.body.toString()}`).toBe(422);
      expect(r.body.toString()).not.toContain(SECRET);
      expect(JSON.parse(r.body.toString()).error).toMatch(/is not a file name inside the checkpoint/);
    }
  });

  it('verifies a checkpoint once and serves later blobs from that, until a file in it changes', async () => {
    const { stepDir, weights } = await writeCheckpointRun('cached__dqn__seed0__20250101-000000');
    const url = '/api/runs/cached__dqn__seed0__20250101-000000/agent/latest/blobs/weights';
    const buffer = join(stepDir, 'buffer.bin');
    await utimes(buffer, MTIME, MTIME);
    expect((await get(url)).status).toBe(200);
    // Alter a file that is not served, in place, and put its size and mtime back: the cached verification
    // still holds (nothing was re-hashed), so the blob is served.
    await overwriteKeepingMtime(buffer, Buffer.alloc(4096, 9));
    const cached = await get(url);
    expect(cached.status).toBe(200);
    expect(cached.body.equals(weights)).toBe(true);
    // A new mtime: the checkpoint is verified again, and the altered file is found.
    await utimes(buffer, MTIME, new Date(MTIME.getTime() + 5000));
    const again = await get(url);
    expect(again.status).toBe(422);
    expect(JSON.parse(again.body.toString()).error).toMatch(/buffer\.bin does not match its checksum/);
  });

  it('re-hashes the blob it serves: an in-place edit that keeps size and mtime is refused, not sent', async () => {
    const { stepDir } = await writeCheckpointRun('served__dqn__seed0__20250101-000000');
    const url = '/api/runs/served__dqn__seed0__20250101-000000/agent/latest/blobs/weights';
    const file = join(stepDir, 'weights.bin');
    await utimes(file, MTIME, MTIME);
    expect((await get(url)).status).toBe(200);
    await overwriteKeepingMtime(file, Buffer.alloc(16, 0xff));
    const r = await get(url);
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body.toString()).error).toMatch(/weights\.bin changed after it was verified/);
  });
});

describe('viewer limits: replays', () => {
  it(`a 1 MB gzip replay that inflates to 1 GiB is a 413 naming MAX_REPLAY_BYTES, fast and in bounded memory`, async () => {
    const dir = join(runsDir, 'bomb__x__seed0__20250101-000000', 'episodes', 'step-000000000');
    await mkdir(dir, { recursive: true });
    // 16 gzip members of 64 MiB of spaces each: one valid gzip stream of 1 GiB, about 1 MB on disk.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    await writeFile(join(dir, 'episode-0.json.gz'), Buffer.concat(Array.from({ length: 16 }, () => member)));
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const r = await get('/api/runs/bomb__x__seed0__20250101-000000/episodes/step-000000000/episode-0.json.gz');
    const ms = performance.now() - t0;
    expect(r.status, r.body.toString()).toBe(413);
    expect(JSON.parse(r.body.toString()).error).toMatch(/episode-0\.json\.gz: inflates to more than 64 MiB.*MAX_REPLAY_BYTES/);
    expect(ms).toBeLessThan(5000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(4 * MAX_REPLAY_BYTES);
    // The episode list reports it instead of inflating it whole.
    const list = await getJson<EpisodesResponse>('/api/runs/bomb__x__seed0__20250101-000000/episodes');
    expect(list.json.groups[0].episodes[0].error).toMatch(/MAX_REPLAY_BYTES/);
    expect((await get('/api/health')).status).toBe(200);
  });

  it('a plain replay larger than the limit is refused before it is read (sparse file)', async () => {
    const dir = join(runsDir, 'huge__x__seed0__20250101-000000', 'episodes', 'step-000000000');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'episode-0.json'), '');
    await truncate(join(dir, 'episode-0.json'), MAX_REPLAY_BYTES + 1);
    const r = await getJson<{ error: string }>('/api/runs/huge__x__seed0__20250101-000000/episodes/step-000000000/episode-0.json');
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/episode-0\.json is 64\.0 MiB; the viewer reads such files up to 64 MiB \(MAX_REPLAY_BYTES\)/);
  });
});

describe('viewer limits: metrics are paged', () => {
  const line = (step: number) => JSON.stringify({ kind: 'episode', step, return: step % 500, length: 20, pad: 'x'.repeat(200) });

  it('pages a metrics file larger than a page; following `next` gives every record and the right skipped line numbers', async () => {
    const runDir = join(runsDir, 'paged__x__seed0__20250101-000000');
    await mkdir(runDir, { recursive: true });
    const lines: string[] = [];
    const total = Math.ceil((2.5 * METRICS_PAGE_BYTES) / (line(0).length + 1));
    for (let i = 0; i < total; i++) lines.push(i === total - 10 ? '{"kind": broken' : line(i));
    await writeFile(join(runDir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
    const base = '/api/runs/paged__x__seed0__20250101-000000/metrics';
    const first = await getJson<MetricsResponse>(base);
    expect(first.status).toBe(200);
    expect(first.json.next).not.toBeNull();
    const records = [...first.json.records];
    const skipped = [...first.json.skippedLines];
    let pages = 1;
    for (let next = first.json.next; next; pages++) {
      const page = await getJson<MetricsResponse>(`${base}?offset=${next.offset}&line=${next.line}`);
      expect(page.status).toBe(200);
      records.push(...page.json.records);
      skipped.push(...page.json.skippedLines);
      next = page.json.next;
    }
    expect(pages).toBe(3);
    expect(records).toHaveLength(total - 1);
    expect(records.map((r) => r.step)).toEqual(Array.from({ length: total }, (_, i) => i).filter((i) => i !== total - 10));
    expect(skipped).toEqual([total - 9]);
    // A cursor that is not a line start, or only half a cursor, is a 400.
    expect((await get(`${base}?offset=${first.json.next!.offset + 3}&line=9`)).status).toBe(400);
    expect((await get(`${base}?offset=10`)).status).toBe(400);
  });

  it('a single line longer than a page (a 600 MB sparse file) is a 413 naming the file, not a 500', async () => {
    const runDir = join(runsDir, 'oneline__x__seed0__20250101-000000');
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'metrics.jsonl'), `${line(0)}\n`);
    await truncate(join(runDir, 'metrics.jsonl'), 600 * 1024 * 1024);
    const first = await getJson<MetricsResponse>('/api/runs/oneline__x__seed0__20250101-000000/metrics');
    expect(first.status).toBe(200);
    expect(first.json.records).toHaveLength(1);
    const r = await getJson<{ error: string }>(`/api/runs/oneline__x__seed0__20250101-000000/metrics?offset=${first.json.next!.offset}&line=${first.json.next!.line}`);
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('oneline__x__seed0__20250101-000000/metrics.jsonl: line 2 is longer than 4 MiB; the viewer reads metrics lines up to 4 MiB (METRICS_PAGE_BYTES)');
  });

  it('a FIFO named metrics.jsonl is a 400 at once, not a hung request', { timeout: 10_000 }, async () => {
    const runDir = join(runsDir, 'fifo__x__seed0__20250101-000000');
    await mkdir(runDir, { recursive: true });
    execFileSync('mkfifo', [join(runDir, 'metrics.jsonl')]);
    const r = await getJson<{ error: string }>('/api/runs/fifo__x__seed0__20250101-000000/metrics');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/metrics\.jsonl is not a regular file/);
  });

  it('a summary.json over MAX_JSON_FILE_BYTES is reported as a problem of the run, not parsed', async () => {
    const runDir = join(runsDir, 'fat__x__seed0__20250101-000000');
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'summary.json'), '');
    await truncate(join(runDir, 'summary.json'), MAX_JSON_FILE_BYTES + 1);
    const runs = await getJson<RunsResponse>('/api/runs');
    const fat = runs.json.runs.find((r) => r.id === 'fat__x__seed0__20250101-000000')!;
    expect(fat.summary).toBeNull();
    expect(fat.problems.join('\n')).toMatch(/summary\.json is 16\.0 MiB; the viewer reads such files up to 16 MiB \(MAX_JSON_FILE_BYTES\)/);
  });
});

describe('viewer limits: live streams', () => {
  it(`caps streams per client (${MAX_LIVE_STREAMS_PER_CLIENT}) and in total (${MAX_LIVE_STREAMS}) with a 429, and /api/health stays quick`, async () => {
    const open: ClientRequest[] = [];
    try {
      const clients = Math.ceil(MAX_LIVE_STREAMS / MAX_LIVE_STREAMS_PER_CLIENT);
      for (let c = 0; c < clients; c++) {
        const address = `127.0.0.${c + 2}`;
        for (let i = 0; i < MAX_LIVE_STREAMS_PER_CLIENT; i++) {
          const s = await openStream('/api/events', address);
          expect(s.status).toBe(200);
          open.push(s.req);
        }
        if (c === 0) {
          const over = await openStream('/api/events', address);
          open.push(over.req);
          expect(over.status).toBe(429);
          await new Promise((r) => setTimeout(r, 50));
          expect(over.body()).toMatch(/MAX_LIVE_STREAMS_PER_CLIENT/);
        }
      }
      const elsewhere = await openStream('/api/events', `127.0.0.${clients + 2}`);
      open.push(elsewhere.req);
      expect(elsewhere.status).toBe(429);
      const t0 = performance.now();
      expect((await get('/api/health')).status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(1000);
      // A closed stream frees its place.
      open[0].destroy();
      await new Promise((r) => setTimeout(r, 100));
      const reopened = await openStream('/api/events', '127.0.0.2');
      open.push(reopened.req);
      expect(reopened.status).toBe(200);
    } finally {
      for (const req of open) req.destroy();
    }
  });
});
