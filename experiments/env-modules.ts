/**
 * User env modules: `--env-module ./my-env.mjs` imports a module whose import registers one or more envs
 * through the public `register` API. A run records each module by absolute path and sha256 (in its spec and
 * config.json), so a resumed run, a child process or a queue worker loads exactly the code the run started
 * with, and refuses a module that changed since.
 *
 * A module's `import … from 'tsgym'` is answered with this process's own tsgym (a resolve hook), so its
 * envs land in the registry the commands read, whichever directory the module and its node_modules are in.
 * Every env a module registers is run through the env checker: errors refuse the module, warnings are
 * printed.
 *
 * Node-only (fs, crypto, dynamic import). Loading the same path twice in one process is a no-op the second
 * time, as an ES module is evaluated once.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TsgymError } from '../core/errors.js';
import { inspectEnv } from '../envs/checker.js';
import { listEnvs, make } from '../envs/registry.js';
import type { EnvModuleRef } from '../formats/run-spec.js';

export type { EnvModuleRef };

const loaded = new Map<string, EnvModuleRef>();

/** Where a user who wrote a module that does not load should look. */
const MODULE_HINT = "an env module imports { register } from 'tsgym' and calls register({ id: 'MyEnv-v0', description, create }); examples/custom-env/catch.mjs in the tsgym repository is a complete one";

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

let resolvesToSelf = false;

/** Makes `import 'tsgym'` anywhere in this process resolve to the tsgym this file belongs to. */
function resolveTsgymToSelf(): void {
  if (resolvesToSelf || typeof nodeModule.register !== 'function') return;
  // Running from source (tsx) the public API is index.ts; from the package, dist/index.js.
  const self = new URL(import.meta.url.endsWith('.ts') ? '../index.ts' : '../index.js', import.meta.url).href;
  const hook = `export async function resolve(specifier, context, next) {
  return next(specifier === 'tsgym' ? ${JSON.stringify(self)} : specifier, context);
}`;
  nodeModule.register(`data:text/javascript,${encodeURIComponent(hook)}`);
  resolvesToSelf = true;
}

/** Options of {@link loadEnvModules}. */
export interface LoadEnvModulesOptions {
  /** Where the checker's warnings about a loaded env go (default: stderr). */
  warn?: (line: string) => void;
}

/**
 * Imports each module (paths relative to `cwd`) and returns what it registered. One line of TsgymError for:
 * a missing file, a module that throws on import, one that registers nothing, one that registers an id that
 * already exists (the registry's own error, naming the id); an env that fails the env checker is refused with
 * one line per error. The checker's warnings go to `opts.warn`.
 */
export async function loadEnvModules(paths: string[], cwd = process.cwd(), opts: LoadEnvModulesOptions = {}): Promise<EnvModuleRef[]> {
  const warn = opts.warn ?? ((line: string) => console.error(line));
  const refs: EnvModuleRef[] = [];
  if (paths.length) resolveTsgymToSelf();
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    const cached = loaded.get(abs);
    if (cached) {
      refs.push(cached);
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new TsgymError(`--env-module ${p}: no such file (${abs})`);
    }
    if (!stat.isFile()) throw new TsgymError(`--env-module ${p}: not a file`);
    const sha256 = sha256File(abs);
    const before = new Set(listEnvs().map((r) => r.id));
    try {
      await import(pathToFileURL(abs).href);
    } catch (e) {
      const err = e as Error;
      if (err instanceof TsgymError) throw new TsgymError(`--env-module ${p}: ${err.message}`, { hint: err.hint ?? MODULE_HINT });
      const hint = abs.endsWith('.ts') ? ' (a .ts module needs tsx: run the command with `npx tsx`, or compile it to .js/.mjs)' : '';
      throw new TsgymError(`--env-module ${p} threw on import: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}${hint}`, { hint: MODULE_HINT });
    }
    const envIds = listEnvs().map((r) => r.id).filter((id) => !before.has(id));
    if (!envIds.length) {
      throw new TsgymError(`--env-module ${p} registered no env: its import must call register({ id: 'MyEnv-v0', create: … }) from 'tsgym'`, { hint: MODULE_HINT });
    }
    for (const id of envIds) checkRegisteredEnv(p, id, warn);
    const ref = { path: abs, sha256, envIds };
    loaded.set(abs, ref);
    refs.push(ref);
  }
  return refs;
}

/** Runs the env checker on a freshly registered env: errors refuse the module, warnings are printed. */
function checkRegisteredEnv(modulePath: string, id: string, warn: (line: string) => void): void {
  let findings;
  try {
    findings = inspectEnv(make(id));
  } catch (e) {
    throw new TsgymError(`--env-module ${modulePath}: make('${id}') threw: ${(e as Error)?.message ?? String(e)}`);
  }
  const { errors, warnings } = findings;
  if (errors.length) {
    throw new TsgymError(`--env-module ${modulePath}: ${id} breaks the env contract (${errors.length} ${errors.length === 1 ? 'error' : 'errors'}):\n${errors.map((e) => `  - ${e}`).join('\n')}`, {
      hint: 'each line names what the env API expects; checkEnv(make(id)) from tsgym runs the same checks',
    });
  }
  if (warnings.length) warn(`warning: ${id} (--env-module ${modulePath}) trains, but the env checker suggests:\n${warnings.map((w) => `  - ${w}`).join('\n')}`);
}

/**
 * Loads the modules a run recorded, after checking each file still has the recorded sha256 (a resumed run,
 * a child process, a queue worker). `allowChanged` loads a changed module anyway (and returns its new hash).
 */
export async function loadRecordedEnvModules(refs: readonly Pick<EnvModuleRef, 'path' | 'sha256'>[], opts: { allowChanged?: boolean } = {}): Promise<EnvModuleRef[]> {
  for (const r of refs) {
    if (!fs.existsSync(r.path)) throw new TsgymError(`env module ${r.path} recorded by this run cannot be found on this machine`);
    const now = sha256File(r.path);
    if (now !== r.sha256 && !opts.allowChanged) {
      throw new TsgymError(`env module ${r.path} changed since the run started (sha256 ${r.sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now)`, {
        hint: 'restore the module, or pass --allow-changed-env-module to go on with the new code',
      });
    }
  }
  return loadEnvModules(refs.map((r) => r.path));
}

/** Every env module loaded in this process so far (what a new run records in its spec and config.json). */
export function loadedEnvModules(): EnvModuleRef[] {
  return [...loaded.values()];
}
