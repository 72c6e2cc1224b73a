/** `npx vite --config render/viewer/vite.config.ts`: the viewer's dev server (the API comes from `npm run view`). */
import { defineConfig } from 'vite';
import { viewerViteConfig } from './viewer-config.js';

export default defineConfig(viewerViteConfig());
