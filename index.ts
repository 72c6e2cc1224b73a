/**
 * tsgym's public API: `import { make, makeVec, checkEnv } from 'tsgym'`.
 */
export * from './envs/index.js';
export * from './agents/planning.js';
