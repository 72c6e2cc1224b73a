/**
 * Builds the viewer app with Vite's JS API, and tells whether an existing build is older than its sources
 * (so `npm run view` only rebuilds when something changed).
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_VIEWER_OUT_DIR, VIEWER_ROOT, viewerViteConfig } from '../viewer/viewer-config.js';

export { DEFAULT_VIEWER_OUT_DIR, VIEWER_ROOT };

// This file is render/server/build-viewer.ts: the repository root is two levels up.
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Files whose change means a rebuild: the app, the shared modules it imports, and the bundled libraries' versions. */
async function sourceFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) await walk(p);
      else out.push(p);
    }
  };
  await walk(VIEWER_ROOT);
  // The pages bundle formats/; the play, live-agent and training pages also the envs, the agents, core/, the presets and the training loop with its memory sink.
  for (const dir of ['formats', 'envs', 'agents', 'core']) await walk(join(REPO_ROOT, dir));
  out.push(join(REPO_ROOT, 'experiments', 'presets.ts'));
  for (const f of ['training-loop.ts', 'memory-sink.ts', 'collect.ts', 'progress.ts']) out.push(join(REPO_ROOT, 'experiments', 'harness', f));
  for (const pkg of ['pixi.js', 'uplot', 'vite', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) out.push(join(REPO_ROOT, 'node_modules', pkg, 'package.json'));
  return out;
}

/** True when `outDir` has no build or one older than a source file. */
export async function viewerBuildIsStale(outDir: string = DEFAULT_VIEWER_OUT_DIR): Promise<boolean> {
  let builtAt: number;
  try {
    builtAt = (await stat(join(outDir, 'index.html'))).mtimeMs;
  } catch {
    return true;
  }
  for (const f of await sourceFiles()) {
    try {
      if ((await stat(f)).mtimeMs > builtAt) return true;
    } catch {
      // a file that vanished changes nothing by itself
    }
  }
  return false;
}

/** Builds the viewer into `outDir` (emptied first). Vite is imported lazily: only building needs it. */
export async function buildViewer(opts: { outDir?: string; quiet?: boolean } = {}): Promise<string> {
  const outDir = opts.outDir ?? DEFAULT_VIEWER_OUT_DIR;
  const { build } = await import('vite');
  await build({ ...viewerViteConfig(outDir), logLevel: opts.quiet ? 'silent' : 'warn' });
  return outDir;
}

/** True when this module's directory holds the viewer's sources (the repository), false in the built package. */
export function viewerSourcesPresent(): boolean {
  return existsSync(join(VIEWER_ROOT, 'index.html'));
}

// `tsx render/server/build-viewer.ts [OUT_DIR]`: the package build (`npm run build`) puts the pages in dist/.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = resolve(process.argv[2] ?? DEFAULT_VIEWER_OUT_DIR);
  const t0 = performance.now();
  await buildViewer({ outDir, quiet: true });
  console.log(`viewer built into ${outDir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
