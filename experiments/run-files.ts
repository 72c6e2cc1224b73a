/**
 * The run directory on disk: reading and writing the files that formats/run-format.ts names and types (the
 * pure half, shared with the browser). The trainer, saveAgent/loadAgent, compare, the report and the server
 * read and write runs through here.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../core/errors.js';
import { stableStringify } from '../core/stable-json.js';
import { CHECKPOINT_FILES, parseJsonObject, RUN_FILES, type CheckpointManifest, type RunConfig, type RunSummary, type ValuesFile } from '../formats/run-format.js';
import { writeJsonAtomic } from './harness/atomic.js';

export const runPath = (runDir: string, file: keyof typeof RUN_FILES) => path.join(runDir, RUN_FILES[file]);

// ───────────────────────────── readers ─────────────────────────────

/** Reads a JSON object file; errors name the file and the cause (missing, unreadable, not JSON). */
export function readJsonObject(file: string, what: string, hint?: { missing?: string; invalid?: string }): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsgymError(`${what} ${file} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (e as Error).message})`}${hint?.missing ? `; ${hint.missing}` : ''}`);
  }
  return parseJsonObject(text, file, what, hint?.invalid);
}

export function readRunConfig(runDir: string): RunConfig {
  return readJsonObject(runPath(runDir, 'config'), 'run config') as unknown as RunConfig;
}

/** The run's summary, or null when it has none yet. */
export function readRunSummary(runDir: string): RunSummary | null {
  const file = runPath(runDir, 'summary');
  if (!fs.existsSync(file)) return null;
  return readJsonObject(file, 'run summary') as unknown as RunSummary;
}

export function isRunDir(dir: string): boolean {
  return fs.existsSync(runPath(dir, 'config'));
}

// ───────────────────────────── values.json ─────────────────────────────

/** Writes `values.json` (experiments/harness/gridworld-values.ts makes it; the viewer's server reads it). */
export function writeValuesFile(runDir: string, values: ValuesFile): void {
  writeJsonAtomic(runPath(runDir, 'values'), values);
}

// ───────────────────────────── writers ─────────────────────────────

export function writeRunConfig(runDir: string, config: RunConfig): void {
  writeJsonAtomic(runPath(runDir, 'config'), config);
}

export function writeRunSummary(runDir: string, summary: RunSummary): void {
  writeJsonAtomic(runPath(runDir, 'summary'), summary);
}

// ───────────────────────────── checkpoint manifest ─────────────────────────────

export const sha256 = (data: Uint8Array | string) => crypto.createHash('sha256').update(data).digest('hex');

/** The hash that binds a checkpoint to its run's config: sha256 of the config as JSON with sorted keys. */
export const runConfigSha256 = (config: RunConfig) => sha256(stableStringify(config));

/** Writes `manifest.json` into `dir` listing every other file there (call after they are all written). */
export function writeCheckpointManifest(dir: string, step: number, configSha256?: string): void {
  const names = fs
    .readdirSync(dir)
    .filter((n) => n !== CHECKPOINT_FILES.manifest)
    .sort();
  const files = names.map((name) => {
    const data = fs.readFileSync(path.join(dir, name));
    return { name, bytes: data.length, sha256: sha256(data) };
  });
  const manifest: CheckpointManifest = { format: 'tsgym-checkpoint', version: 1, step, files, filesSha256: sha256(JSON.stringify(files)), ...(configSha256 ? { configSha256 } : {}) };
  writeJsonAtomic(path.join(dir, CHECKPOINT_FILES.manifest), manifest);
}

/** A checkpoint that fails its manifest check; `file` is the file at fault. */
export class DamagedCheckpointError extends TsgymError {
  override name = 'DamagedCheckpointError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`checkpoint file ${file} ${problem}`);
  }
}

/**
 * Checks every file of the checkpoint in `dir` against its manifest and returns the file contents by name.
 * Throws {@link DamagedCheckpointError} naming the first file that is missing, short, long or altered.
 */
export function readVerifiedCheckpointFiles(dir: string): Map<string, Buffer> {
  const manifestFile = path.join(dir, CHECKPOINT_FILES.manifest);
  if (!fs.existsSync(manifestFile)) throw new DamagedCheckpointError(manifestFile, 'is missing (the checkpoint was not completed, or predates manifests)');
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as CheckpointManifest;
  } catch (e) {
    throw new DamagedCheckpointError(manifestFile, `is not valid JSON (${(e as Error).message})`);
  }
  if (manifest?.format !== 'tsgym-checkpoint' || !Array.isArray(manifest.files)) throw new DamagedCheckpointError(manifestFile, 'is not a checkpoint manifest');
  if (sha256(JSON.stringify(manifest.files)) !== manifest.filesSha256) throw new DamagedCheckpointError(manifestFile, 'does not match its own checksum (altered or corrupted)');
  const out = new Map<string, Buffer>();
  for (const f of manifest.files) {
    // The manifest's sha256s are no secret, so its names are checked too: plain names of regular files in `dir`.
    if (typeof f?.name !== 'string' || !/^[^/\\\0]+$/.test(f.name) || f.name === '.' || f.name === '..') {
      throw new DamagedCheckpointError(manifestFile, `lists ${JSON.stringify(f?.name)}, which is not a file name inside the checkpoint`);
    }
    const file = path.join(dir, f.name);
    const data = readRegularFile(file);
    if (data.length !== f.bytes) throw new DamagedCheckpointError(file, `is ${data.length} bytes, the manifest says ${f.bytes} (truncated or overwritten)`);
    if (sha256(data) !== f.sha256) throw new DamagedCheckpointError(file, 'does not match its checksum in the manifest (altered or corrupted)');
    out.set(f.name, data);
  }
  return out;
}

/** The bytes of `file`, which must be a regular file (a symlink, FIFO or device is refused as damage, without blocking). */
function readRegularFile(file: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new DamagedCheckpointError(file, 'is a symbolic link; a checkpoint holds regular files only');
    throw new DamagedCheckpointError(file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (e as Error).message})`);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new DamagedCheckpointError(file, 'is not a regular file; a checkpoint holds regular files only');
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
