/**
 * Pendulum: the rod from its pivot (θ = 0 straight up, counter-clockwise positive, as in Gymnasium), a bob at
 * its free end, a faint ring for the bob's circle, and an arc arrow for the torque of the last step (its length
 * ∝ |torque| / maxTorque). Render state: PendulumRenderState (envs/pendulum.ts).
 */
import { Container, Graphics } from 'pixi.js';
import { PENDULUM_LENGTH, PENDULUM_MAX_TORQUE, type PendulumRenderState } from '../../../../envs/pendulum.js';
import { hex, num, onResize, sceneText, typedFrameAt, type Scene, type SceneContext, type SceneProbe } from './scene.js';

export const PENDULUM_COLORS = {
  background: 0xf6f3ea,
  ring: 0xd9d2c0,
  rod: 0xc8553d,
  bob: 0x8f2d56,
  pivot: 0x2b2b2b,
  torque: 0x1c7ed6,
  text: 0x55524a,
} as const;

export function pendulumScene(ctx: SceneContext): Scene {
  const root = new Container();
  const staticLayer = new Graphics();
  const rod = new Graphics();
  const arrow = new Graphics();
  const label = sceneText(PENDULUM_COLORS.text);
  root.addChild(staticLayer, arrow, rod, label);

  const first = typedFrameAt<PendulumRenderState>(ctx, 0);
  const length = num(first.length, PENDULUM_LENGTH);
  const maxTorque = num(first.maxTorque, PENDULUM_MAX_TORQUE);
  let scale = 100;
  let cx = 0;
  let cy = 0;
  let probe: SceneProbe = { kind: 'pendulum', marker: null };

  const layout = onResize((width: number, height: number): void => {
    scale = (Math.min(width, height) / 2 - 16) / (length * 1.25);
    cx = width / 2;
    cy = height / 2;
    const g = staticLayer.clear();
    g.rect(0, 0, width, height).fill(PENDULUM_COLORS.background);
    g.circle(cx, cy, length * scale).stroke({ width: 2, color: PENDULUM_COLORS.ring });
    // A tick at the top: the upright target.
    g.moveTo(cx, cy - length * scale - 10).lineTo(cx, cy - length * scale + 10).stroke({ width: 2, color: PENDULUM_COLORS.ring });
    label.position.set(8, 6);
  });

  return {
    kind: 'pendulum',
    stepsPerSecond: 20, // dt = 0.05 s: real time
    root,
    actionLabels: () => null,
    overlays: () => ({}),
    setOverlay: () => {},
    draw(frame, width, height) {
      layout(width, height);
      const s = typedFrameAt<PendulumRenderState>(ctx, frame);
      const theta = num(s.theta, 0);
      const torque = num(s.torque, 0);
      // θ counter-clockwise from up; the screen's y axis points down.
      const tipX = cx - Math.sin(theta) * length * scale;
      const tipY = cy - Math.cos(theta) * length * scale;
      const rodWidth = Math.max(6, 0.12 * scale);
      const bobRadius = Math.max(8, 0.14 * scale);
      rod.clear();
      rod.moveTo(cx, cy).lineTo(tipX, tipY).stroke({ width: rodWidth, color: PENDULUM_COLORS.rod, cap: 'round' });
      rod.circle(tipX, tipY, bobRadius).fill(PENDULUM_COLORS.bob);
      rod.circle(cx, cy, rodWidth * 0.6).fill(PENDULUM_COLORS.pivot);
      // Torque: an arc around the pivot, counter-clockwise for positive torque, with an arrow head at its end.
      arrow.clear();
      const frac = Math.min(1, Math.abs(torque) / maxTorque);
      if (frac > 0.01) {
        const r = 0.35 * length * scale;
        const dir = Math.sign(torque);
        // Screen angles run clockwise (y down): counter-clockwise on screen is decreasing angle.
        const start = -Math.PI / 2 + dir * 0.3;
        const end = start - dir * frac * 1.6 * Math.PI;
        arrow.arc(cx, cy, r, start, end, dir > 0).stroke({ width: 4, color: PENDULUM_COLORS.torque });
        const hx = cx + r * Math.cos(end);
        const hy = cy + r * Math.sin(end);
        const tx = dir * Math.sin(end); // tangent, in the direction of travel
        const ty = -dir * Math.cos(end);
        const head = 10;
        arrow.poly([hx + tx * head, hy + ty * head, hx - ty * head * 0.6, hy + tx * head * 0.6, hx + ty * head * 0.6, hy - tx * head * 0.6]).fill(PENDULUM_COLORS.torque);
      }
      label.text = `θ ${num(s.theta, 0).toFixed(2)} rad · ω ${num(s.thetaDot, 0).toFixed(2)} rad/s · torque ${torque.toFixed(2)} N·m`;
      probe = {
        kind: 'pendulum',
        marker: { x: tipX, y: tipY, color: hex(PENDULUM_COLORS.bob) },
        pivot: { x: cx, y: cy },
        scale,
        torque,
      };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}
