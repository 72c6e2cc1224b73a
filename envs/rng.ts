/** Moved to core/rng.ts (shared by envs, agents and experiments); kept so existing imports keep working. */
export { Rng, deriveSeed, type RngState } from '../core/rng.js';
