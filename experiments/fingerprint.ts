/**
 * The code fingerprint of this process: tsgym's package version, a hash of the source that runs (every
 * .ts/.js file of the library and CLI, by path and content), and a hash of the lockfile. A run spec carries
 * the fingerprint of the process that resolved it; a queue worker whose code differs refuses the job, and
 * config.json records which code trained the run.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeFingerprint } from '../formats/run-spec.js';
import { packageInfo } from './package-info.js';

export type { CodeFingerprint };

/** The directories whose code a run executes (from the source tree, or `dist/` in a built package). */
const SOURCE_DIRS = ['agents', 'core', 'envs', 'experiments', 'formats', 'render', 'dist'];
const SOURCE_FILE = /\.(ts|js|mjs|cjs)$/;

function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.isFile() && SOURCE_FILE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(root, d));
  for (const f of ['index.ts', 'index.js']) if (fs.existsSync(path.join(root, f))) out.push(path.join(root, f));
  return out.map((p) => path.relative(root, p).split(path.sep).join('/')).sort();
}

/** The fingerprint of the code in `root` (default: this process's tsgym). */
export function fingerprintOf(root: string, version: string): CodeFingerprint {
  const hash = crypto.createHash('sha256');
  for (const rel of sourceFiles(root)) {
    const data = fs.readFileSync(path.join(root, rel));
    hash.update(`${rel}\0${data.length}\0`).update(data);
  }
  const lock = path.join(root, 'package-lock.json');
  return { version, source: hash.digest('hex'), lockfile: fs.existsSync(lock) ? crypto.createHash('sha256').update(fs.readFileSync(lock)).digest('hex') : null };
}

let cached: CodeFingerprint | null = null;

/** This process's fingerprint (computed once: the code does not change under a running process). */
export function codeFingerprint(): CodeFingerprint {
  if (!cached) {
    const pkg = packageInfo();
    cached = fingerprintOf(pkg.root, pkg.version);
  }
  return cached;
}

/** The code on disk now, when it is no longer the code this process runs (an edit, a pull); null while it is. */
export function codeChangedOnDisk(): CodeFingerprint | null {
  const pkg = packageInfo();
  const now = fingerprintOf(pkg.root, pkg.version);
  return sameFingerprint(now, codeFingerprint()) ? null : now;
}

/** `0.1.0 source 3f2a9c1b… lockfile 9e0d…`: how a fingerprint reads in a message. */
export function describeFingerprint(f: CodeFingerprint): string {
  return `${f.version} source ${f.source.slice(0, 12)} lockfile ${f.lockfile ? f.lockfile.slice(0, 12) : 'none'}`;
}

export function sameFingerprint(a: CodeFingerprint, b: CodeFingerprint): boolean {
  return a.version === b.version && a.source === b.source && a.lockfile === b.lockfile;
}
