/**
 * Crash-safe file writes: write a temp file beside the target, check every byte went out, fsync, then
 * rename over the target (atomic on POSIX). File-system failures become an {@link IoError}: one line naming
 * the path and the cause (ENOSPC, EROFS, EACCES, …).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'is a directory',
};

/** A file-system failure, with the path and the errno code in a one-line message. */
export class IoError extends TsgymError {
  override name = 'IoError';
  constructor(
    readonly path: string,
    readonly code: string,
    action: string,
  ) {
    super(`cannot ${action} ${path}: ${code}${CAUSES[code] ? ` (${CAUSES[code]})` : ''}`);
  }
}

/** Wraps a Node errno error as an {@link IoError} (other errors pass through unchanged). */
export function asIoError(e: unknown, file: string, action: string): unknown {
  if (e instanceof TsgymError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? new IoError(file, code, action) : e;
}

/** Runs `fn`; an errno failure is rethrown as an IoError naming `file`. */
export function io<T>(file: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asIoError(e, file, action);
  }
}

/** Writes all of `data` to `fd`, looping on short writes; a write that makes no progress is an error. */
export function writeAll(fd: number, data: Uint8Array, file: string): void {
  let offset = 0;
  while (offset < data.length) {
    const written = fs.writeSync(fd, data, offset, data.length - offset);
    if (written <= 0) throw new IoError(file, 'ENOSPC', `write (wrote ${offset} of ${data.length} bytes)`);
    offset += written;
  }
}

/** Test hook: fail writes whose target path contains this string with ENOSPC (for fault-injection tests). */
const FAIL_WRITES_MATCHING = process.env.TSGYM_TEST_FAIL_WRITES_MATCHING;

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      if (FAIL_WRITES_MATCHING && file.includes(FAIL_WRITES_MATCHING)) throw Object.assign(new Error('injected write failure'), { code: 'ENOSPC' });
      writeAll(fd, bytes, file);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw asIoError(e, file, 'write');
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads and parses a JSON file, with an error that names the file and says what is wrong. */
export function readJsonFile<T = unknown>(file: string, what = 'file'): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsgymError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new TsgymError(`${what} ${file} is not valid JSON (${(e as Error).message}); fix or delete it`);
  }
}
