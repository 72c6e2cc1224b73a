/**
 * Redis for the job queue: `--queue redis://[user:password@]HOST:PORT[/DB]`. One probe with a short
 * timeout and no retries first (ioredis would otherwise retry forever), so an unreachable server is one
 * clear line within seconds; after that, clients reconnect on their own (a restarted Redis with
 * append-only persistence loses nothing: jobs, their progress and results live in it).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { TsgymError } from '../../core/errors.js';

/** The BullMQ queue every tsgym coordinator and worker share (job ids keep comparisons apart). */
export const QUEUE_NAME = 'tsgym-runs';

/** Milliseconds the first connection may take before `--queue` is reported unreachable. */
export const CONNECT_TIMEOUT_MS = 4000;

export function parseQueueUrl(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TsgymError(`--queue expects redis://HOST:PORT, got '${url}'`);
  }
  if (u.protocol !== 'redis:') throw new TsgymError(`--queue expects a redis:// URL (redis://HOST:PORT), got '${url}'`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TsgymError(`--queue ${url}: the database number '${u.pathname.slice(1)}' is not a non-negative integer`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/** Checks that Redis answers at `url`; throws one clear line otherwise (within CONNECT_TIMEOUT_MS plus a little). */
export async function checkReachable(url: string): Promise<void> {
  const opts = parseQueueUrl(url);
  const client = new Redis({ ...opts, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError: NodeJS.ErrnoException | null = null;
  client.on('error', (e: NodeJS.ErrnoException) => (lastError = e)); // reported below
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS + 500);
    });
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
  } catch (e) {
    const err = (lastError ?? e) as NodeJS.ErrnoException;
    const why = err.code ? `${err.code}${err.code === 'ENOTFOUND' ? ': unknown host' : ''}` : /Protocol error/.test(err.message) ? 'something other than Redis answers there' : err.message;
    throw new TsgymError(`cannot reach Redis at ${url} (${why}); start it (redis-server --port ${opts.port} --appendonly yes) or fix --queue`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * A client that reconnects forever (BullMQ needs maxRetriesPerRequest null); errors are logged once per outage.
 * `overrides` adjust it (the viewer's: `enableOfflineQueue: false`, so a command fails at once while Redis is away
 * instead of waiting for it).
 */
export function connect(url: string, onError: (message: string) => void = () => {}, overrides: Partial<RedisOptions> = {}): Redis {
  const client = new Redis({ ...parseQueueUrl(url), maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: (times) => Math.min(200 * times, 2000), ...overrides });
  let down = false;
  client.on('error', (e: NodeJS.ErrnoException) => {
    if (!down) onError(`lost Redis at ${url} (${e.code ?? e.message}); reconnecting…`);
    down = true;
  });
  client.on('ready', () => {
    if (down) onError(`reconnected to Redis at ${url}`);
    down = false;
  });
  return client;
}
