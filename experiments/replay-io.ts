/**
 * Reading and writing replay files in Node. Writes are atomic (a temp file renamed into place), so the
 * viewer never sees a half-written episode while training is running.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { TsgymError } from '../core/errors.js';
import { parseReplay, ReplayFormatError, validateReplay, type ReplayFile } from '../formats/replay-format.js';

export interface WriteReplayOptions {
  /** Gzip the JSON. Defaults to whether the path ends in `.gz`; must agree with the extension. */
  gzip?: boolean;
}

let tempCounter = 0;

/** Writes `replay` to `path` (`.json` or `.json.gz`) atomically, creating the directory. Validates first. */
export async function writeReplayFile(path: string, replay: ReplayFile, opts: WriteReplayOptions = {}): Promise<void> {
  const gzPath = path.endsWith('.json.gz');
  if (!gzPath && !path.endsWith('.json')) {
    throw new TsgymError(`writeReplayFile: ${path}: a replay file name must end in .json or .json.gz`);
  }
  const gzip = opts.gzip ?? gzPath;
  if (gzip !== gzPath) {
    throw new TsgymError(`writeReplayFile: ${path}: gzip is ${gzip} but the name ends in ${gzPath ? '.json.gz' : '.json'}; name gzipped replays *.json.gz and plain ones *.json`);
  }
  const text = JSON.stringify(replay);
  // Refuse to write what no reader would accept (checked on the JSON form: NaN becomes null there).
  validateReplay(JSON.parse(text), path);
  const bytes = gzip ? gzipSync(text) : Buffer.from(text, 'utf8');
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}-${++tempCounter}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** Reads a replay file (gzipped or not, told apart by its first bytes) and validates it. */
export async function readReplayFile(path: string): Promise<ReplayFile> {
  const bytes = await readFile(path);
  return decodeReplayBytes(bytes, path);
}

/** A replay larger than the reader accepts (`limit` bytes of JSON, after gunzipping). */
export class ReplayTooLargeError extends ReplayFormatError {
  override name = 'ReplayTooLargeError';
  constructor(
    fileName: string,
    readonly limit: number,
    detail: string,
  ) {
    super(fileName, null, detail);
  }
}

/**
 * Decodes the bytes of a replay file: gunzips when they start with the gzip magic number, then parses and
 * validates. With `maxBytes`, more JSON than that is refused; gunzip stops as soon as its output passes the
 * limit, so a small file that inflates to gigabytes costs no more than the limit.
 */
export function decodeReplayBytes(bytes: Uint8Array, fileName: string, maxBytes = Infinity): ReplayFile {
  const tooLarge = (what: string) => new ReplayTooLargeError(fileName, maxBytes, `${what} more than ${maxBytes} bytes of JSON; the limit for a replay is ${maxBytes} bytes`);
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let inflated: Buffer;
    try {
      inflated = gunzipSync(bytes, Number.isFinite(maxBytes) ? { maxOutputLength: maxBytes } : {});
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('inflates to');
      throw new ReplayFormatError(fileName, null, `is gzipped but does not decompress (${(e as Error).message}); the file may be truncated`);
    }
    text = inflated.toString('utf8');
  } else {
    if (bytes.length > maxBytes) throw tooLarge('holds');
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }
  return parseReplay(text, fileName);
}
