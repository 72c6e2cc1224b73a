import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Env modules loaded in-process (`--env-module` in tests) import 'tsgym': the sources under test, not dist/.
  resolve: { alias: { tsgym: fileURLToPath(new URL('./index.ts', import.meta.url)) } },
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
