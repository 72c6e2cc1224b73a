/**
 * The Vite configuration of the viewer app, as a function so the build script (render/build-viewer.ts)
 * can pass an output directory without a config file on disk; `vite.config.ts` next to it wraps it for
 * `npx vite --config render/viewer/vite.config.ts` (dev server with hot reload).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InlineConfig } from 'vite';

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
      // Two pages: the replay viewer and the comparison page (npm run compare).
      rolldownOptions: { input: { main: join(VIEWER_ROOT, 'index.html'), compare: join(VIEWER_ROOT, 'compare.html') } },
    },
    // Dev server: the API comes from a running `npm run view` (default port 5173).
    server: { host: '127.0.0.1', port: 5174, proxy: { '/api': 'http://127.0.0.1:5173' } },
  };
}
