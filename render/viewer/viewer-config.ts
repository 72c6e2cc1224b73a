/**
 * The Vite configuration of the viewer app, as a function so the build script (render/server/build-viewer.ts)
 * can pass an output directory without a config file on disk; `vite.config.ts` next to it wraps it for
 * `npx vite --config render/viewer/vite.config.ts` (dev server with hot reload).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InlineConfig } from 'vite';
import { packageInfo } from '../../experiments/package-info.js';

export const VIEWER_ROOT = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_VIEWER_OUT_DIR = join(VIEWER_ROOT, '..', 'dist');

export function viewerViteConfig(outDir: string = DEFAULT_VIEWER_OUT_DIR): InlineConfig {
  return {
    configFile: false,
    root: VIEWER_ROOT,
    // Relative asset URLs: the app works from any path prefix and from a copied dist directory.
    base: './',
    publicDir: false,
    clearScreen: false,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      // pixi.js is large; one chunk for the app is fine for a local tool.
      chunkSizeWarningLimit: 4000,
      // Pages: the replay viewer, the comparison page (npm run compare), the scalars dashboard, the tuning-study page, and the pages
      // that run envs and agents in the browser (LAB_PAGES).
      rolldownOptions: { input: { main: join(VIEWER_ROOT, 'index.html'), compare: join(VIEWER_ROOT, 'compare.html'), scalars: join(VIEWER_ROOT, 'scalars.html'), study: join(VIEWER_ROOT, 'study.html'), ...labPageInputs() } },
    },
    // The version the in-tab trainer records in config.json (tsgymVersion), as `npm run train` does.
    define: { __TSGYM_VERSION__: JSON.stringify(packageInfo().version) },
    // The training worker imports tfjs and agents/: an ES module worker, code-split like the pages.
    worker: { format: 'es' },
    // Dev server: the API comes from a running `npm run view` (default port 5173).
    server: { host: '127.0.0.1', port: 5174, proxy: { '/api': 'http://127.0.0.1:5173' } },
  };
}

/** The pages that run envs and agents in the browser: play, live agent, in-tab training. */
export const LAB_PAGES = ['play', 'agent', 'train'] as const;

function labPageInputs(): Record<string, string> {
  return Object.fromEntries(LAB_PAGES.map((p) => [p, join(VIEWER_ROOT, `${p}.html`)]));
}
