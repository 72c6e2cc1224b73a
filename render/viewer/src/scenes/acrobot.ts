/**
 * Acrobot: two links hanging from a pivot (θ1 = 0 straight down, θ2 relative to link 1, counter-clockwise
 * positive), the goal line one link length above the pivot, and the joint torque of the last step as an arc
 * at the middle joint. Render state: AcrobotRenderState (envs/acrobot.ts).
 */
import { Container, Graphics } from 'pixi.js';
import { ACROBOT_LINK_LENGTH_1, ACROBOT_LINK_LENGTH_2, type AcrobotRenderState } from '../../../../envs/acrobot.js';
import { hex, num, onResize, sceneText, typedFrameAt, type Scene, type SceneContext, type SceneProbe } from './scene.js';

export const ACROBOT_COLORS = {
  background: 0xf6f3ea,
  goal: 0x2b2b2b,
  link: 0x3b6ea5,
  joint: 0xe0a21b,
  tip: 0xc2255c,
  torque: 0x2f9e44,
  text: 0x55524a,
} as const;

export function acrobotScene(ctx: SceneContext): Scene {
  const root = new Container();
  const staticLayer = new Graphics();
  const links = new Graphics();
  const arrow = new Graphics();
  const label = sceneText(ACROBOT_COLORS.text);
  root.addChild(staticLayer, links, arrow, label);

  const first = typedFrameAt<AcrobotRenderState>(ctx, 0);
  const l1 = num(first.linkLength1, ACROBOT_LINK_LENGTH_1);
  const l2 = num(first.linkLength2, ACROBOT_LINK_LENGTH_2);
  let scale = 100;
  let cx = 0;
  let cy = 0;
  let probe: SceneProbe = { kind: 'acrobot', marker: null };

  const layout = onResize((width: number, height: number): void => {
    const reach = l1 + l2 + 0.2;
    scale = (Math.min(width, height) / 2 - 8) / reach;
    cx = width / 2;
    cy = height / 2;
    const g = staticLayer.clear();
    g.rect(0, 0, width, height).fill(ACROBOT_COLORS.background);
    // The tip must rise above this line (height l1 over the pivot) to end the episode.
    const goalY = cy - l1 * scale;
    g.moveTo(cx - reach * scale, goalY).lineTo(cx + reach * scale, goalY).stroke({ width: 2, color: ACROBOT_COLORS.goal });
    label.position.set(8, 6);
  });

  return {
    kind: 'acrobot',
    stepsPerSecond: 15, // Gymnasium renders it at 15 fps (dt = 0.2 s, so 3x real time)
    root,
    actionLabels: () => ['torque −1', 'torque 0', 'torque +1'],
    overlays: () => ({}),
    setOverlay: () => {},
    draw(frame, width, height) {
      layout(width, height);
      const s = typedFrameAt<AcrobotRenderState>(ctx, frame);
      const t1 = num(s.theta1, 0);
      const t2 = num(s.theta2, 0);
      const torque = num(s.torque, 0);
      // θ measured from straight down, counter-clockwise (y up): a point at angle θ is (sin θ, −cos θ);
      // on screen (y down) that is (sin θ, +cos θ).
      const jx = cx + l1 * scale * Math.sin(t1);
      const jy = cy + l1 * scale * Math.cos(t1);
      const tx = jx + l2 * scale * Math.sin(t1 + t2);
      const ty = jy + l2 * scale * Math.cos(t1 + t2);
      const w = Math.max(6, 0.18 * scale);
      links.clear();
      links.moveTo(cx, cy).lineTo(jx, jy).stroke({ width: w, color: ACROBOT_COLORS.link, cap: 'round' });
      links.moveTo(jx, jy).lineTo(tx, ty).stroke({ width: w, color: ACROBOT_COLORS.link, cap: 'round' });
      links.circle(cx, cy, w * 0.55).fill(ACROBOT_COLORS.joint);
      links.circle(jx, jy, w * 0.55).fill(ACROBOT_COLORS.joint);
      links.circle(tx, ty, w * 0.6).fill(ACROBOT_COLORS.tip);
      arrow.clear();
      if (Math.abs(torque) > 0.01) {
        const r = w * 1.4;
        const dir = Math.sign(torque);
        const start = Math.atan2(ty - jy, tx - jx);
        const end = start - dir * 1.2 * Math.PI * Math.min(1, Math.abs(torque));
        arrow.arc(jx, jy, r, start, end, dir > 0).stroke({ width: 3, color: ACROBOT_COLORS.torque });
      }
      label.text = `θ1 ${t1.toFixed(2)} · θ2 ${t2.toFixed(2)} rad · torque ${torque.toFixed(2)} N·m`;
      probe = {
        kind: 'acrobot',
        marker: { x: tx, y: ty, color: hex(ACROBOT_COLORS.tip) },
        pivot: { x: cx, y: cy },
        joint: { x: jx, y: jy },
        scale,
        torque,
      };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}
