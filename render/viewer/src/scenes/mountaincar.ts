/**
 * Mountain car (discrete and continuous): the valley floor y = 0.45·sin(3x) + 0.55 between the walls, the flag
 * at the goal, and the car sitting on the slope, tilted with it, with an arrow for the engine force of the last
 * step. Render state: MountainCarRenderState (envs/mountaincar.ts).
 */
import { Container, Graphics } from 'pixi.js';
import { MOUNTAIN_CAR_GOAL_POSITION, MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MIN_POSITION, MOUNTAIN_CAR_RESET_HIGH, MOUNTAIN_CAR_RESET_LOW, mountainCarHeight as height, type MountainCarRenderState } from '../../../../envs/mountaincar.js';
import { hex, num, onResize, sceneText, typedFrameAt, type Scene, type SceneContext, type SceneProbe } from './scene.js';

export const MOUNTAINCAR_COLORS = {
  sky: 0xeef4f8,
  ground: 0xb7c9a8,
  line: 0x3d5a3c,
  car: 0x2f6fb0,
  wheel: 0x222222,
  flagPole: 0x444444,
  flag: 0xe0a21b,
  force: 0xd9480f,
  text: 0x3d5a3c,
} as const;

const CAR_LENGTH = 0.2; // in position units, as drawn
const CAR_HEIGHT = 0.07;

export function mountainCarScene(ctx: SceneContext): Scene {
  const root = new Container();
  const staticLayer = new Graphics();
  const car = new Container();
  const carBody = new Graphics();
  const arrow = new Graphics();
  const label = sceneText(MOUNTAINCAR_COLORS.text);
  car.addChild(carBody);
  root.addChild(staticLayer, car, arrow, label);

  const first = typedFrameAt<MountainCarRenderState>(ctx, 0);
  const minX = num(first.minPosition, MOUNTAIN_CAR_MIN_POSITION);
  const maxX = num(first.maxPosition, MOUNTAIN_CAR_MAX_POSITION);
  const goal = num(first.goalPosition, MOUNTAIN_CAR_GOAL_POSITION);
  let scale = 100;
  let originX = 0;
  let baseY = 0;
  let probe: SceneProbe = { kind: 'mountaincar', marker: null };
  const toScreen = (x: number, y: number): [number, number] => [originX + (x - minX) * scale, baseY - y * scale];

  const layout = onResize((width: number, height_: number): void => {
    scale = Math.min((width - 24) / (maxX - minX), (height_ - 24) / 1.15);
    originX = (width - (maxX - minX) * scale) / 2;
    baseY = height_ - 12;
    const g = staticLayer.clear();
    g.rect(0, 0, width, height_).fill(MOUNTAINCAR_COLORS.sky);
    const pts: number[] = [];
    const n = 120;
    for (let i = 0; i <= n; i++) {
      const x = minX + ((maxX - minX) * i) / n;
      pts.push(...toScreen(x, height(x)));
    }
    const [x0] = toScreen(minX, 0);
    const [x1] = toScreen(maxX, 0);
    g.poly([...pts, x1, height_, x0, height_]).fill(MOUNTAINCAR_COLORS.ground);
    g.poly(pts, false).stroke({ width: 3, color: MOUNTAINCAR_COLORS.line });
    // Walls at both ends of the track.
    for (const x of [minX, maxX]) {
      const [sx, sy] = toScreen(x, height(x));
      g.moveTo(sx, sy).lineTo(sx, sy - 0.12 * scale).stroke({ width: 3, color: MOUNTAINCAR_COLORS.line });
    }
    // The flag at the goal.
    const [fx, fy] = toScreen(goal, height(goal));
    const pole = 0.16 * scale;
    g.moveTo(fx, fy).lineTo(fx, fy - pole).stroke({ width: 2, color: MOUNTAINCAR_COLORS.flagPole });
    g.poly([fx, fy - pole, fx + 0.07 * scale, fy - pole + 0.025 * scale, fx, fy - pole + 0.05 * scale]).fill(MOUNTAINCAR_COLORS.flag);

    const w = CAR_LENGTH * scale;
    const h = CAR_HEIGHT * scale;
    const r = Math.max(3, 0.022 * scale);
    // Car container origin: the contact point on the track; the body rides above its wheels.
    carBody.clear();
    carBody.roundRect(-w / 2, -r * 1.6 - h, w, h, Math.min(5, h * 0.3)).fill(MOUNTAINCAR_COLORS.car);
    carBody.circle(-w * 0.3, -r, r).fill(MOUNTAINCAR_COLORS.wheel);
    carBody.circle(w * 0.3, -r, r).fill(MOUNTAINCAR_COLORS.wheel);
    label.position.set(8, 6);
  });

  return {
    kind: 'mountaincar',
    stepsPerSecond: 30,
    root,
    actionLabels: () => (ctx.replay.actionSpace.type === 'Discrete' ? ['push left', 'no push', 'push right'] : null),
    overlays: () => ({}),
    setOverlay: () => {},
    draw(frame, width, height_) {
      layout(width, height_);
      const s = typedFrameAt<MountainCarRenderState>(ctx, frame);
      const x = num(s.position, (MOUNTAIN_CAR_RESET_LOW + MOUNTAIN_CAR_RESET_HIGH) / 2);
      const force = Math.max(-1, Math.min(1, num(s.force, 0)));
      const [px, py] = toScreen(x, height(x));
      // Tilt with the slope dy/dx = 1.35·cos(3x); the screen's y axis points down.
      const tilt = -Math.atan(1.35 * Math.cos(3 * x));
      car.position.set(px, py);
      car.rotation = tilt;
      const r = Math.max(3, 0.022 * scale);
      const bodyUp = r * 1.6 + (CAR_HEIGHT * scale) / 2;
      const bodyX = px + Math.sin(tilt) * bodyUp;
      const bodyY = py - Math.cos(tilt) * bodyUp;
      arrow.clear();
      if (Math.abs(force) > 0.01) {
        const dirX = Math.cos(tilt) * Math.sign(force);
        const dirY = Math.sin(tilt) * Math.sign(force);
        const startX = bodyX + dirX * (CAR_LENGTH * scale * 0.55);
        const startY = bodyY + dirY * (CAR_LENGTH * scale * 0.55);
        const len = Math.abs(force) * 0.12 * scale;
        const endX = startX + dirX * len;
        const endY = startY + dirY * len;
        arrow.moveTo(startX, startY).lineTo(endX, endY).stroke({ width: 4, color: MOUNTAINCAR_COLORS.force });
        arrow.poly([endX + dirX * 8, endY + dirY * 8, endX - dirY * 6, endY + dirX * 6, endX + dirY * 6, endY - dirX * 6]).fill(MOUNTAINCAR_COLORS.force);
      }
      label.text = `x ${x.toFixed(3)} · v ${num(s.velocity, 0).toFixed(4)}`;
      probe = {
        kind: 'mountaincar',
        marker: { x: bodyX, y: bodyY, color: hex(MOUNTAINCAR_COLORS.car) },
        contact: { x: px, y: py },
        scale,
        origin: { x: originX, y: baseY },
        minPosition: minX,
        force,
      };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}
