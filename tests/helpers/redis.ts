/**
 * A real redis-server for the queue tests (Debian's /usr/bin/redis-server): started on a free loopback port
 * in its own temp directory, without RDB snapshots, stopped by pid. `appendonly` turns on the append-only
 * file, so a restart on the same directory keeps the queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  proc: ChildProcess;
  /** Stops the server (SIGTERM: it writes its append-only file and exits) and waits for it. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
}

function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startRedis(opts: { appendonly?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-redis-'));
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
    if (opts.appendonly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    const proc = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    await waitForPort(port);
    return proc;
  };
  const r: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    proc: await launch(),
    stop: async () => {
      const p = r.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise((res) => p.once('exit', res));
      p.kill('SIGTERM');
      await gone;
    },
    restart: async () => {
      await r.stop();
      r.proc = await launch();
    },
  };
  return r;
}
