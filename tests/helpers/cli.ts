/** Runs the tsgym CLI (`tsx experiments/cli.ts …`) as a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { run } from '../../experiments/cli.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  return startScript('cli.ts', args, env);
}

/** Any script under experiments/ (`cli.ts`, `bench.ts`, `verify.ts`, …) of the checkout at `root` as a child process. */
export function startScript(script: string, args: string[], env: Record<string, string> = {}, root = ROOT): { child: ChildProcess; done: Promise<CliResult> } {
  // `node --import tsx` keeps it one process (the tsx binary forks a child), so a signal reaches the CLI itself.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'experiments', script), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** The CLI run in this process (as `tsgym …` would, minus the process): its exit code and what it printed on stderr. */
export async function runInProcess(args: string[]): Promise<CliResult> {
  let stderr = '';
  const code = await run(args, (t) => (stderr += `${t}\n`), {});
  return { code, signal: null, stdout: '', stderr };
}

/** One `error:` line matching `message` and one `hint:` line, exit 2, no stack. */
export function expectOneLine(r: CliResult, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A copy of this checkout's code at `dir` (its node_modules linked), to edit without touching this one; returns `dir`. */
export function copyCheckout(dir: string): string {
  fs.mkdirSync(dir);
  for (const entry of ['agents', 'core', 'envs', 'experiments', 'formats', 'render', 'index.ts', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Writes `<dir>/my-pole.mjs`, a user env module registering MyPole-v0 (CartPole under another id); returns its path. */
export function writeMyPoleModule(dir: string): string {
  const mod = path.join(dir, 'my-pole.mjs');
  const url = (p: string) => pathToFileURL(path.join(ROOT, p)).href;
  fs.writeFileSync(mod, `import { register } from '${url('envs/registry.ts')}';\nimport { CartPoleEnv } from '${url('envs/cartpole.ts')}';\nregister({ id: 'MyPole-v0', description: 'a user env', maxEpisodeSteps: 200, create: (kw) => new CartPoleEnv(kw) });\n`);
  return mod;
}
