/**
 * Lane keeper driven from its camera (`obs: 'pixels'`): the lanekeeper scene's road view, and in its top
 * right corner the camera image the agent saw at this frame, pixel for pixel. The image's three channels
 * (road, lane, path) are drawn as red, green and blue, each byte as it is in the render state, so the inset
 * shows exactly what the network receives (at 8 bits). Render state: LaneKeeperCameraRenderState
 * (envs/lanekeeper.ts); a frame without a readable `camera` leaves the inset empty and says so.
 */
import { Graphics } from 'pixi.js';
import { cameraFrameBytes, type CameraFrame } from '../../../../envs/lanekeeper-camera.js';
import type { LaneKeeperCameraRenderState } from '../../../../envs/lanekeeper.js';
import { laneKeeperScene } from './lanekeeper.js';
import { onResize, sceneText, typedFrameAt, type Scene, type SceneContext, type SceneProbe } from './scene.js';

const INSET_COLORS = { frame: 0x111111, text: 0xffffff } as const;
/** The inset's share of the smaller canvas side. */
const INSET_SHARE = 0.42;
const MARGIN = 10;

export function laneKeeperCameraScene(ctx: SceneContext): Scene {
  const road = laneKeeperScene(ctx);
  const frame = new Graphics();
  const pixels = new Graphics();
  const label = sceneText(INSET_COLORS.text);
  road.root.addChild(frame, pixels, label);

  let pixel = 4;
  let ox = 0;
  let oy = 0;
  let size = { height: 0, width: 0 };
  let probe: SceneProbe = { kind: 'lanekeeper-camera', marker: null };

  const layout = onResize((width: number, height: number) => {
    const first = typedFrameAt<LaneKeeperCameraRenderState>(ctx, 0).camera;
    size = { height: first?.height ?? 32, width: first?.width ?? 32 };
    // Whole CSS pixels per camera pixel, so every camera pixel is a solid square on screen.
    pixel = Math.max(1, Math.floor((INSET_SHARE * Math.min(width, height)) / Math.max(size.height, size.width)));
    ox = width - MARGIN - size.width * pixel;
    oy = MARGIN;
    frame.clear().rect(ox - 3, oy - 3, size.width * pixel + 6, size.height * pixel + 6 + 34).fill(INSET_COLORS.frame);
    label.position.set(ox, oy + size.height * pixel + 3);
  });

  return {
    ...road,
    kind: 'lanekeeper-camera',
    draw(f, width, height) {
      road.draw(f, width, height);
      layout(width, height);
      const camera = typedFrameAt<LaneKeeperCameraRenderState>(ctx, f).camera as Partial<CameraFrame> | undefined;
      const bytes = camera ? cameraFrameBytes(camera) : null;
      const g = pixels.clear();
      if (!bytes || camera!.channels!.length !== 3 || camera!.height !== size.height || camera!.width !== size.width) {
        label.text = 'camera: no image in this frame';
        probe = { ...road.probe(), kind: 'lanekeeper-camera', inset: null };
        return;
      }
      const { height: H, width: W } = size;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const k = (y * W + x) * 3;
          g.rect(ox + x * pixel, oy + y * pixel, pixel, pixel).fill((bytes[k] << 16) | (bytes[k + 1] << 8) | bytes[k + 2]);
        }
      }
      label.text = `agent camera ${W}×${H}\nR ${camera!.channels![0]} · G ${camera!.channels![1]} · B ${camera!.channels![2]}`;
      probe = { ...road.probe(), kind: 'lanekeeper-camera', inset: { x: ox, y: oy, pixel, width: W, height: H } };
    },
    probe: () => probe,
  };
}
