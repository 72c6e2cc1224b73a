/** Scenes by render state kind. */
import { acrobotScene } from './acrobot.js';
import { cartPoleScene } from './cartpole.js';
import { gridWorldScene } from './gridworld.js';
import { laneKeeperScene } from './lanekeeper.js';
import { laneKeeperCameraScene } from './lanekeeper-camera.js';
import { minatarScene } from './minatar.js';
import { mountainCarScene } from './mountaincar.js';
import { pendulumScene } from './pendulum.js';
import { genericCanDraw, genericScene } from './generic.js';
import { unknownScene } from './unknown.js';
import type { Scene, SceneContext, SceneFactory } from './scene.js';

export const SCENES: Record<string, SceneFactory> = {
  cartpole: cartPoleScene,
  gridworld: gridWorldScene,
  lanekeeper: laneKeeperScene,
  'lanekeeper-camera': laneKeeperCameraScene,
  pendulum: pendulumScene,
  mountaincar: mountainCarScene,
  acrobot: acrobotScene,
  minatar: minatarScene,
};

/** The scene for a replay: by its render state's kind; else the generic scene, when the state holds numbers. */
export function createScene(ctx: SceneContext): Scene {
  const kind = ctx.frames[0]?.kind ?? '';
  const factory = SCENES[kind];
  if (factory) return factory(ctx);
  return genericCanDraw(ctx.frames) ? genericScene(ctx, Object.keys(SCENES)) : unknownScene(ctx, Object.keys(SCENES));
}
