/** Scenes by render state kind. */
import { cartPoleScene } from './cartpole.js';
import { gridWorldScene } from './gridworld.js';
import { laneKeeperScene } from './lanekeeper.js';
import { unknownScene } from './unknown.js';
import type { Scene, SceneContext, SceneFactory } from './scene.js';

export const SCENES: Record<string, SceneFactory> = {
  cartpole: cartPoleScene,
  gridworld: gridWorldScene,
  lanekeeper: laneKeeperScene,
};

export function createScene(ctx: SceneContext): Scene {
  const kind = ctx.frames[0]?.kind ?? '';
  const factory = SCENES[kind];
  return factory ? factory(ctx) : unknownScene(ctx, Object.keys(SCENES));
}
