/** The env side of tsgym: the API types, spaces, registry, wrappers, vector envs and the checker. */
export * from './core.js';
export * from './spaces.js';
export * from './wrappers.js';
export * from './vector.js';
export * from './registry.js';
export * from './checker.js';
export * from './state-check.js';
export * from './cartpole.js';
export * from './pendulum.js';
export * from './mountaincar.js';
export * from './acrobot.js';
export * from './gridworld.js';
export * from './gridworld-layouts.js';
export * from './lanekeeper.js';
export * from './lanekeeper-camera.js';
export * from './road.js';
export * from './minatar/env.js';
