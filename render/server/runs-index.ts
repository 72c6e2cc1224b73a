/**
 * Read-only access to a runs directory for the viewer server: listing runs, reading their metrics and
 * episode replays, with every path checked to stay inside the runs directory (symlinks included).
 *
 * Layout (written by the training harness):
 * `runs/<envId>__<agent>__seed<S>__<YYYYMMDD-HHMMSS>/{config.json, summary.json, metrics.jsonl, values.json,
 * episodes/<step-000001000 | record-…>/episode-<k>.json[.gz], checkpoints/}`; a comparison made by `npm run
 * compare` is a directory with `comparison.json`, `report.json` and its run directories in `runs/`.
 *
 * The root may itself be a comparison directory (`npm run view -- --runs examples/<comparison>`): then its
 * `runs/` are the runs (its `logs/` and other files are not runs), and it lists itself as the one comparison,
 * under its directory name.
 */
import { constants as fsConstants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import type { ComparisonInfo, ComparisonReport, ComparisonResponse, EpisodeEntry, EpisodeGroup, MetricRecord, MetricsCursor, MetricsResponse, RunChange, RunInfo, RunSummary, ValuesFile, ValuesOverlay } from '../../formats/api-types.js';
import type { ReplayFile } from '../../formats/replay-format.js';
import { decodeReplayBytes, ReplayTooLargeError } from '../../experiments/replay-io.js';
import { MAX_JSON_FILE_BYTES, MAX_REPLAY_BYTES, METRICS_PAGE_BYTES } from './limits.js';
import { parseMetrics, RUN_FILES, tryParseJsonObject } from '../../formats/run-format.js';
import { COMPARISON_FILES } from '../../formats/comparison.js';
import { STUDY_FILES } from '../../experiments/tune/study.js';

/** An error with the HTTP status the server should answer with. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const REPLAY_FILE = /\.json(\.gz)?$/;
const MAX_EPISODE_DEPTH = 3;

/**
 * Checks one decoded URL path segment: no `.`/`..`, no separators, no drive letters, not empty (an empty
 * segment is how `//etc/passwd` smuggles in an absolute path).
 */
export function checkSegment(segment: string): void {
  if (segment === '') throw new HttpError(400, 'empty path segment: absolute paths and "//" are refused');
  if (segment === '.' || segment === '..') throw new HttpError(400, `path segment "${segment}" is refused: paths must stay inside the runs directory`);
  if (/[/\\\0]/.test(segment)) throw new HttpError(400, `path segment "${segment}" contains a separator or NUL: paths must stay inside the runs directory`);
  if (/^[A-Za-z]:/.test(segment)) throw new HttpError(400, `path segment "${segment}" looks like a drive letter: absolute paths are refused`);
}

/**
 * Resolves `segments` below `root` to a real path that exists and lies inside `root`'s real path.
 * 400 for a bad segment, 404 when missing, 403 for a symlink that leads outside.
 */
export async function resolveInside(root: string, segments: string[], what = 'file'): Promise<string> {
  segments.forEach(checkSegment);
  const lexical = join(root, ...segments);
  const rel = relative(root, lexical);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new HttpError(400, `${segments.join('/')} leaves the runs directory`);
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(lexical);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new HttpError(404, `${what} not found: ${segments.join('/') || '.'}`);
    if (code === 'EACCES' || code === 'EPERM') throw new HttpError(403, `${what} not readable: ${segments.join('/')}`);
    if (code === 'ELOOP') throw new HttpError(400, `${segments.join('/')}: too many symlinks`);
    throw e;
  }
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
    throw new HttpError(403, `${segments.join('/')} is a link that points outside the runs directory; refused`);
  }
  return real;
}

/**
 * The bytes of the regular file `segments` below `root` (resolved as by {@link resolveInside}). A directory,
 * FIFO or device is a 400 (opened without blocking), a file over `maxBytes` a 413 naming the file and `limitName`.
 */
export async function readFileInside(root: string, segments: string[], opts: { what?: string; displayName?: string; maxBytes?: number; limitName?: string } = {}): Promise<Buffer> {
  const real = await resolveInside(root, segments, opts.what);
  const shown = opts.displayName ?? segments.join('/');
  const handle = await open(real, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new HttpError(400, `${shown} is not a regular file`);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) throw new HttpError(413, `${shown} is ${formatBytes(st.size)}; the viewer reads such files up to ${formatBytes(opts.maxBytes)} (${opts.limitName})`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** `n` bytes for people: `512 B`, `3.2 KiB`, `64 MiB`, `1.5 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 || Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** Fields encoded in a run directory name `<envId>__<agent>__seed<S>__<YYYYMMDD-HHMMSS>`. */
export function parseRunDirName(name: string): { envId: string | null; agent: string | null; seed: number | null; startedAt: string | null } {
  const parts = name.split('__');
  const seedMatch = /^seed(-?\d+)$/.exec(parts[2] ?? '');
  const timeMatch = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(parts[3] ?? '');
  return {
    envId: parts.length >= 2 ? parts[0] : null,
    agent: parts.length >= 2 ? parts[1] : null,
    seed: seedMatch ? Number(seedMatch[1]) : null,
    startedAt: timeMatch ? `${timeMatch[1]}-${timeMatch[2]}-${timeMatch[3]} ${timeMatch[4]}:${timeMatch[5]}:${timeMatch[6]}` : null,
  };
}

/** Name of an episode directory → what it holds: `step-000001000` (eval), `record-<step>-seed<S>` (record). */
export function parseEpisodeDirName(name: string): { kind: EpisodeGroup['kind']; step: number | null; seed: number | null } {
  const evalMatch = /^step-(\d+)$/.exec(name);
  if (evalMatch) return { kind: 'eval', step: Number(evalMatch[1]), seed: null };
  const recordMatch = /^record-(\d+)(?:-seed(-?\d+))?$/.exec(name);
  if (recordMatch) return { kind: 'record', step: Number(recordMatch[1]), seed: recordMatch[2] !== undefined ? Number(recordMatch[2]) : null };
  return { kind: 'other', step: null, seed: null };
}

const naturalCompare = new Intl.Collator('en', { numeric: true }).compare;

interface CachedSummary {
  mtimeMs: number;
  size: number;
  entry: Partial<EpisodeEntry>;
}

/** The runs directory, read on every request (runs appear and grow while the server is up). */
export class RunsIndex {
  private readonly summaries = new Map<string, CachedSummary>();
  private readonly comparisonIndexes = new Map<string, RunsIndex>();

  constructor(readonly runsDir: string) {}

  /** Whether the root itself is a comparison directory (it holds comparison.json). */
  private async rootIsComparison(): Promise<boolean> {
    return isFile(join(this.runsDir, COMPARISON_FILES.request));
  }

  /** Where the runs are, below the root: the root itself, or a root comparison's `runs/`. */
  private async runsPrefix(): Promise<string[]> {
    return (await this.rootIsComparison()) ? [COMPARISON_FILES.runs] : [];
  }

  /** Names of the directories (and links) directly inside the runs dir; none when it does not exist yet. */
  async entryNames(prefix: string[] = []): Promise<string[]> {
    try {
      return (await readdir(join(this.runsDir, ...prefix), { withFileTypes: true })).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => d.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Every run (a directory directly inside the runs dir, comparison directories aside), newest first by directory name time. */
  async listRuns(): Promise<RunInfo[]> {
    const prefix = await this.runsPrefix();
    const names = await this.entryNames(prefix);
    const runs: RunInfo[] = [];
    for (const name of names.sort(naturalCompare)) {
      try {
        const dir = await resolveInside(this.runsDir, [...prefix, name], 'run');
        if (!(await stat(dir)).isDirectory()) continue;
        if (await isFile(join(dir, COMPARISON_FILES.request))) continue; // listed by listComparisons
        if (await isFile(join(dir, STUDY_FILES.trials))) continue; // a tuning study: listed by /api/studies
        runs.push(await this.runInfoAt(name, dir));
      } catch (e) {
        if (e instanceof HttpError) continue; // a link pointing out, or a dir removed meanwhile: not listed
        throw e;
      }
    }
    return runs;
  }

  async runInfo(run: string): Promise<RunInfo> {
    const dir = await this.runDir(run);
    return this.runInfoAt(run, dir);
  }

  /** The real path of a run's directory (400/403/404 as {@link resolveInside}). */
  async runDir(run: string): Promise<string> {
    const dir = await resolveInside(this.runsDir, [...(await this.runsPrefix()), run], 'run');
    if (!(await stat(dir)).isDirectory()) throw new HttpError(404, `run not found: ${run} is not a directory`);
    return dir;
  }

  private async runInfoAt(id: string, dir: string): Promise<RunInfo> {
    const fromName = parseRunDirName(id);
    const problems: string[] = [];
    const config = await readJsonObjectInside(dir, RUN_FILES.config, `${id}/${RUN_FILES.config}`, problems);
    const summaryObj = await readJsonObjectInside(dir, RUN_FILES.summary, `${id}/${RUN_FILES.summary}`, problems);
    const summary = summaryObj ? (summaryObj as unknown as RunSummary) : null;
    let episodeCount = 0;
    try {
      for (const g of await this.episodeGroupsAt(id, dir, false)) episodeCount += g.episodes.length;
    } catch (e) {
      problems.push(`${id}/episodes: ${(e as Error).message}`);
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    return {
      id,
      envId: str(config?.envId) ?? fromName.envId,
      agent: str(config?.agent) ?? fromName.agent,
      seed: num(config?.seed) ?? fromName.seed,
      startedAt: fromName.startedAt,
      config,
      summary,
      problems,
      hasValues: await isFile(join(dir, RUN_FILES.values)),
      episodeCount,
    };
  }

  /**
   * For the live stream of the runs list (render/server/live.ts): each run directory's name and how many entries its
   * `episodes/` holds (one readdir per run, so a new run and its first recorded evaluation both show).
   */
  async runsFingerprint(): Promise<[string, number][]> {
    const prefix = await this.runsPrefix();
    const out: [string, number][] = [];
    for (const name of (await this.entryNames(prefix)).sort(naturalCompare)) {
      let n = 0;
      try {
        n = (await readdir(await resolveInside(this.runsDir, [...prefix, name, RUN_FILES.episodes]))).length;
      } catch {
        // no episodes yet, not a run, or a link pointing out (not looked into)
      }
      out.push([name, n]);
    }
    return out;
  }

  /**
   * For the live stream of a comparison (render/server/live.ts): whether report.json exists, and per run the size of
   * metrics.jsonl and summary.json's modification time — every eval, finish and the report change it.
   */
  async comparisonFingerprint(id: string): Promise<{ hasReport: boolean; runs: [string, number, number][] }> {
    const dir = await this.comparisonDir(id);
    const runs = await this.comparisonRuns(id);
    const out: [string, number, number][] = [];
    for (const name of await runs.entryNames()) {
      const st = async (file: string) => {
        try {
          const s = await stat(await resolveInside(runs.runsDir, [name, file]));
          return file === RUN_FILES.metrics ? s.size : s.mtimeMs;
        } catch {
          return 0;
        }
      };
      out.push([name, await st(RUN_FILES.metrics), await st(RUN_FILES.summary)]);
    }
    return { hasReport: await isFile(join(dir, COMPARISON_FILES.report)), runs: out.sort((a, b) => naturalCompare(a[0], b[0])) };
  }

  /** What the live stream compares (render/server/live.ts): cheap stats of the files a training run changes. */
  async changeFingerprint(run: string): Promise<RunChange> {
    const dir = await this.runDir(run);
    const statOf = async (name: string) => {
      try {
        return await stat(await resolveInside(dir, [name]));
      } catch {
        return null;
      }
    };
    const metrics = await statOf(RUN_FILES.metrics);
    const summaryStat = await statOf(RUN_FILES.summary);
    let status: string | null = null;
    if (summaryStat) {
      const obj = await readJsonObjectInside(dir, RUN_FILES.summary, `${run}/${RUN_FILES.summary}`, []);
      status = typeof obj?.status === 'string' ? obj.status : null;
    }
    let episodeCount = 0;
    try {
      for (const g of await this.episodeGroupsAt(run, dir, false)) episodeCount += g.episodes.length;
    } catch {
      // an episodes dir being written: counted next time
    }
    return {
      run,
      metricsBytes: metrics?.size ?? 0,
      status,
      summaryMtimeMs: summaryStat?.mtimeMs ?? null,
      episodeCount,
      hasValues: await isFile(join(dir, RUN_FILES.values)),
    };
  }

  /**
   * One page of parsed `metrics.jsonl`, from `from` (a line start; the file's start by default) up to
   * {@link METRICS_PAGE_BYTES}, ending at a line end; `next` is where the following page starts, null when
   * this page reaches the end of the file. Lines that are not JSON objects with a `kind` (e.g. one being
   * written) are skipped and reported by line number. A line longer than a page is a 413 naming the file.
   */
  async metrics(run: string, from: MetricsCursor = { offset: 0, line: 1 }): Promise<MetricsResponse> {
    const dir = await this.runDir(run);
    const displayName = `${run}/${RUN_FILES.metrics}`;
    let real: string;
    try {
      real = await resolveInside(dir, [RUN_FILES.metrics], 'metrics file');
    } catch (e) {
      if (e instanceof HttpError && e.status === 404 && from.offset === 0) return { run, records: [], skippedLines: [], next: null };
      throw e;
    }
    const handle = await open(real, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new HttpError(400, `${displayName} is not a regular file`);
      if (from.offset > st.size) throw new HttpError(400, `${displayName}: offset ${from.offset} is past the end of the file (${st.size} bytes)`);
      // One byte before the page tells whether `offset` is a line start.
      const before = from.offset > 0 ? 1 : 0;
      const want = Math.min(METRICS_PAGE_BYTES, st.size - from.offset);
      const buf = Buffer.alloc(want + before);
      const { bytesRead } = await handle.read(buf, 0, buf.length, from.offset - before);
      if (before && buf[0] !== 0x0a) throw new HttpError(400, `${displayName}: offset ${from.offset} is not the start of a line; use an offset from a previous answer's "next"`);
      let page = buf.subarray(before, bytesRead);
      const reachesEnd = from.offset + page.length >= st.size;
      if (!reachesEnd) {
        const lastNewline = page.lastIndexOf(0x0a);
        if (lastNewline < 0) throw new HttpError(413, `${displayName}: line ${from.line} is longer than ${formatBytes(METRICS_PAGE_BYTES)}; the viewer reads metrics lines up to ${formatBytes(METRICS_PAGE_BYTES)} (METRICS_PAGE_BYTES)`);
        page = page.subarray(0, lastNewline + 1);
      }
      const text = page.toString('utf8');
      const { records, skippedLines } = parseMetrics(text);
      let lines = 0;
      for (let i = page.indexOf(0x0a); i >= 0; i = page.indexOf(0x0a, i + 1)) lines++;
      return {
        run,
        records,
        skippedLines: skippedLines.map((n) => n + from.line - 1),
        next: reachesEnd ? null : { offset: from.offset + page.length, line: from.line + lines },
      };
    } finally {
      await handle.close();
    }
  }

  /** `values.json` of a tabular run, checked for shape; 422 with the reason when it is malformed. */
  async values(run: string): Promise<ValuesFile> {
    const dir = await this.runDir(run);
    await resolveInside(dir, [RUN_FILES.values], 'values file'); // 404 / 403 before reading
    const problems: string[] = [];
    const obj = await readJsonObjectInside(dir, RUN_FILES.values, `${run}/${RUN_FILES.values}`, problems);
    if (!obj) throw new HttpError(422, problems[0] ?? `${run}/values.json: unreadable`);
    const where = `${run}/values.json`;
    const numbers = (v: unknown, field: string): number[] => {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' || x === null)) throw new HttpError(422, `${where}: ${field} must be an array of numbers`);
      return v as number[];
    };
    const pair = (o: Record<string, unknown>, at: string) => {
      const values = numbers(o.values, `${at}values`);
      const policy = numbers(o.policy, `${at}policy`);
      if (values.length !== policy.length) throw new HttpError(422, `${where}: ${at}values has ${values.length} entries but ${at}policy has ${policy.length}; need one of each per state`);
      return { values, policy };
    };
    const out: ValuesFile = pair(obj, '');
    if (obj.overlays !== undefined) {
      if (!Array.isArray(obj.overlays)) throw new HttpError(422, `${where}: overlays must be an array of {name, values, policy}`);
      out.overlays = obj.overlays.map((o: unknown, i: number): ValuesOverlay => {
        if (typeof o !== 'object' || o === null || typeof (o as { name?: unknown }).name !== 'string') throw new HttpError(422, `${where}: overlays[${i}] must be an object with a string name`);
        const rec = o as Record<string, unknown>;
        return { name: rec.name as string, ...pair(rec, `overlays[${i}].`), ...(typeof rec.note === 'string' ? { note: rec.note } : {}) };
      });
    }
    return out;
  }

  /** Episode groups of one run, or of every run when `run` is undefined. */
  async episodes(run?: string): Promise<EpisodeGroup[]> {
    if (run !== undefined) return this.episodeGroupsAt(run, await this.runDir(run), true);
    const all: EpisodeGroup[] = [];
    for (const r of await this.listRuns()) {
      try {
        all.push(...(await this.episodeGroupsAt(r.id, await this.runDir(r.id), true)));
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
      }
    }
    return all;
  }

  /** One replay, validated. 404 when missing, 422 when it is not a readable replay (the message says why). */
  async replay(run: string, path: string[]): Promise<ReplayFile> {
    const dir = await this.runDir(run);
    const name = path[path.length - 1] ?? '';
    await resolveInside(dir, [RUN_FILES.episodes, ...path], 'episode'); // 404 / 403 before the name check
    if (!REPLAY_FILE.test(name)) throw new HttpError(400, `${path.join('/')} is not a replay file (expected *.json or *.json.gz)`);
    const displayName = `${run}/episodes/${path.join('/')}`;
    return decodeReplayForServer(await readFileInside(dir, [RUN_FILES.episodes, ...path], { what: 'episode', displayName, ...REPLAY_LIMIT }), displayName);
  }

  private async episodeGroupsAt(run: string, runDir: string, withSummaries: boolean): Promise<EpisodeGroup[]> {
    const root = join(runDir, RUN_FILES.episodes);
    const files: { rel: string[]; abs: string; size: number; mtimeMs: number }[] = [];
    const walk = async (abs: string, rel: string[]) => {
      let entries;
      try {
        entries = await readdir(abs, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw e;
      }
      for (const d of entries) {
        const childRel = [...rel, d.name];
        let real: string;
        try {
          real = await resolveInside(runDir, [RUN_FILES.episodes, ...childRel]);
        } catch {
          continue; // links out of the runs dir are not listed
        }
        const st = await stat(real);
        if (st.isDirectory()) {
          if (childRel.length < MAX_EPISODE_DEPTH) await walk(real, childRel);
        } else if (st.isFile() && REPLAY_FILE.test(d.name)) {
          files.push({ rel: childRel, abs: real, size: st.size, mtimeMs: st.mtimeMs });
        }
      }
    };
    await walk(root, []);

    const groups = new Map<string, EpisodeGroup>();
    for (const f of files) {
      const groupName = f.rel.slice(0, -1).join('/');
      let g = groups.get(groupName);
      if (!g) {
        const meta = parseEpisodeDirName(f.rel.length >= 2 ? f.rel[f.rel.length - 2] : '');
        g = { run, name: groupName, ...meta, episodes: [] };
        groups.set(groupName, g);
      }
      const file = f.rel[f.rel.length - 1];
      const entry: EpisodeEntry = { run, path: f.rel.join('/'), name: file.replace(REPLAY_FILE, ''), bytes: f.size };
      if (withSummaries) Object.assign(entry, await this.summary(f.abs, f.size, f.mtimeMs, `${run}/episodes/${entry.path}`));
      g.episodes.push(entry);
    }
    const sorted = [...groups.values()].sort((a, b) => (a.step ?? Infinity) - (b.step ?? Infinity) || (a.kind === b.kind ? 0 : a.kind === 'eval' ? -1 : 1) || naturalCompare(a.name, b.name));
    for (const g of sorted) g.episodes.sort((a, b) => naturalCompare(a.path, b.path));
    return sorted;
  }

  /** Comparison directories directly inside the runs dir, newest first by creation time. */
  async listComparisons(): Promise<ComparisonInfo[]> {
    if (await this.rootIsComparison()) {
      const { request: _r, report: _p, ...info } = await this.comparisonAt(basename(this.runsDir), this.runsDir, false);
      return [info];
    }
    const names = await this.entryNames();
    const out: ComparisonInfo[] = [];
    for (const name of names) {
      try {
        const dir = await resolveInside(this.runsDir, [name], 'comparison');
        if (!(await isFile(join(dir, COMPARISON_FILES.request)))) continue;
        const { request: _r, report: _p, ...info } = await this.comparisonAt(name, dir, false);
        out.push(info);
      } catch (e) {
        if (e instanceof HttpError) continue; // a link pointing out, or removed meanwhile
        throw e;
      }
    }
    return out.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || naturalCompare(a.id, b.id));
  }

  /** One comparison: its request (comparison.json) and report (report.json, null until written). */
  async comparison(id: string): Promise<ComparisonResponse> {
    return this.comparisonAt(id, await this.comparisonDir(id), true);
  }

  /** The runs of one comparison, served like the runs directory's own (every path checked inside its `runs/`). */
  async comparisonRuns(id: string): Promise<RunsIndex> {
    const dir = await this.comparisonDir(id);
    let runsDir: string;
    try {
      runsDir = await resolveInside(this.runsDir, [...(await this.comparisonPrefix(id)), COMPARISON_FILES.runs], 'comparison runs directory');
    } catch (e) {
      // A comparison without its runs/ (e.g. a checked-in example whose runs were not committed): no runs.
      if (!(e instanceof HttpError && e.status === 404)) throw e;
      runsDir = join(dir, COMPARISON_FILES.runs);
    }
    let index = this.comparisonIndexes.get(runsDir);
    if (!index) {
      index = new RunsIndex(runsDir);
      this.comparisonIndexes.set(runsDir, index);
    }
    return index;
  }

  /** The path of comparison `id` below the root: `[id]`, or `[]` for the root itself when it is that comparison. */
  async comparisonPrefix(id: string): Promise<string[]> {
    checkSegment(id);
    return id === basename(this.runsDir) && (await this.rootIsComparison()) ? [] : [id];
  }

  async comparisonDir(id: string): Promise<string> {
    const dir = await resolveInside(this.runsDir, await this.comparisonPrefix(id), 'comparison');
    if (!(await isFile(join(dir, COMPARISON_FILES.request)))) throw new HttpError(404, `comparison not found: ${id} holds no ${COMPARISON_FILES.request}`);
    return dir;
  }

  private async comparisonAt(id: string, dir: string, withReport: boolean): Promise<ComparisonResponse> {
    const problems: string[] = [];
    const request = await readJsonObjectInside(dir, COMPARISON_FILES.request, `${id}/${COMPARISON_FILES.request}`, problems);
    const hasReport = await isFile(join(dir, COMPARISON_FILES.report));
    const report = withReport && hasReport ? ((await readJsonObjectInside(dir, COMPARISON_FILES.report, `${id}/${COMPARISON_FILES.report}`, problems)) as unknown as ComparisonReport | null) : null;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return {
      id,
      env: typeof request?.env === 'string' ? request.env : null,
      agents: strings(request?.agents),
      seeds: Array.isArray(request?.seeds) ? request.seeds.filter((x): x is number => typeof x === 'number') : [],
      createdAt: typeof request?.createdAt === 'string' ? request.createdAt : null,
      hasReport,
      problems,
      request,
      report,
    };
  }

  /** The header of a replay for the episode picker, cached by mtime and size. */
  private async summary(abs: string, size: number, mtimeMs: number, displayName: string): Promise<Partial<EpisodeEntry>> {
    const cached = this.summaries.get(abs);
    if (cached && cached.mtimeMs === mtimeMs && cached.size === size) return cached.entry;
    let entry: Partial<EpisodeEntry>;
    try {
      const r = decodeReplayForServer(await readFileInside(abs, [], { displayName, ...REPLAY_LIMIT }), displayName);
      entry = { envId: r.envId, kind: r.initialState.kind, return: r.return, length: r.length, agent: r.agent.name, checkpointStep: r.agent.checkpointStep, seed: r.seed };
      if (r.label !== undefined) entry.label = r.label;
    } catch (e) {
      entry = { error: (e as Error).message };
    }
    this.summaries.set(abs, { mtimeMs, size, entry });
    return entry;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    return false;
  }
}

/** A JSON object file inside `dir`; missing → null, broken or a link out → null with the reason pushed to `problems`. */
async function readJsonObjectInside(dir: string, name: string, displayName: string, problems: string[]): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = (await readFileInside(dir, [name], { displayName, maxBytes: MAX_JSON_FILE_BYTES, limitName: 'MAX_JSON_FILE_BYTES' })).toString('utf8');
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) return null;
    problems.push(`${displayName}: ${(e as Error).message}`);
    return null;
  }
  const r = tryParseJsonObject(text);
  if ('value' in r) return r.value;
  problems.push(`${displayName}: ${r.problem.replace(/^is /, '')}`);
  return null;
}

const REPLAY_LIMIT = { maxBytes: MAX_REPLAY_BYTES, limitName: 'MAX_REPLAY_BYTES' };

/** A replay's bytes decoded and validated, or the HTTP answer: 413 past {@link MAX_REPLAY_BYTES}, 422 when broken. */
function decodeReplayForServer(bytes: Buffer, displayName: string): ReplayFile {
  try {
    return decodeReplayBytes(bytes, displayName, MAX_REPLAY_BYTES);
  } catch (e) {
    if (e instanceof ReplayTooLargeError) throw new HttpError(413, `${displayName}: inflates to more than ${formatBytes(MAX_REPLAY_BYTES)} of JSON; the viewer reads replays up to ${formatBytes(MAX_REPLAY_BYTES)} (MAX_REPLAY_BYTES)`);
    throw new HttpError(422, (e as Error).message);
  }
}
