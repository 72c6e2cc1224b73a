/**
 * CartPole: the track with its ±xThreshold limits, the cart, the pole (angle from vertical, positive
 * leaning right) and an arrow for the push applied on the last step. Render state: CartPoleRenderState
 * (envs/cartpole.ts).
 */
import { Container, Graphics } from 'pixi.js';
import { POLE_LENGTH, X_THRESHOLD, type CartPoleRenderState } from '../../../../envs/cartpole.js';
import { hex, num, onResize, sceneText, typedFrameAt, type Scene, type SceneContext, type SceneProbe } from './scene.js';

export const CARTPOLE_COLORS = {
  background: 0xf6f3ea,
  ground: 0xe4dccb,
  track: 0x55524a,
  limit: 0xc0392b,
  cart: 0xe8590c,
  wheel: 0x2b2b2b,
  pole: 0x8c6d46,
  force: 0x1c7ed6,
} as const;

const CART_WIDTH = 0.5; // m
const CART_HEIGHT = 0.3;
const WHEEL_RADIUS = 0.06;

export function cartPoleScene(ctx: SceneContext): Scene {
  const root = new Container();
  const staticLayer = new Graphics();
  const limitLabels = [sceneText(CARTPOLE_COLORS.limit), sceneText(CARTPOLE_COLORS.limit)];
  const cart = new Container();
  const cartBody = new Graphics();
  const pole = new Graphics();
  const arrow = new Graphics();
  cart.addChild(cartBody, pole);
  root.addChild(staticLayer, ...limitLabels, cart, arrow);

  let scale = 100;
  let originX = 0;
  let trackY = 0;
  let probe: SceneProbe = { kind: 'cartpole', marker: null };

  const first = typedFrameAt<CartPoleRenderState>(ctx, 0);
  const xThreshold = num(first.xThreshold, X_THRESHOLD);
  const poleLength = num(first.poleLength, POLE_LENGTH);

  const layout = onResize((width: number, height: number): void => {
    scale = Math.min(width / (2 * xThreshold * 1.25), (height * 0.72 - 12) / (poleLength + CART_HEIGHT + 0.1));
    originX = width / 2;
    trackY = Math.round(height * 0.72);
    const g = staticLayer.clear();
    g.rect(0, 0, width, height).fill(CARTPOLE_COLORS.background);
    g.rect(0, trackY, width, height - trackY).fill(CARTPOLE_COLORS.ground);
    g.moveTo(0, trackY).lineTo(width, trackY).stroke({ width: 2, color: CARTPOLE_COLORS.track });
    // Metre ticks, and the limits beyond which the episode ends.
    for (let m = -Math.floor(xThreshold); m <= Math.floor(xThreshold); m++) {
      const px = originX + m * scale;
      g.moveTo(px, trackY).lineTo(px, trackY + 6).stroke({ width: 1, color: CARTPOLE_COLORS.track });
    }
    for (const side of [-1, 1]) {
      const px = originX + side * xThreshold * scale;
      g.moveTo(px, trackY - 18).lineTo(px, trackY + 14).stroke({ width: 3, color: CARTPOLE_COLORS.limit });
    }
    limitLabels[0].text = `−${xThreshold} m`;
    limitLabels[1].text = `+${xThreshold} m`;
    limitLabels[0].position.set(originX - xThreshold * scale + 4, trackY + 8);
    limitLabels[1].position.set(originX + xThreshold * scale - limitLabels[1].width - 4, trackY + 8);

    const w = CART_WIDTH * scale;
    const h = CART_HEIGHT * scale;
    const r = WHEEL_RADIUS * scale;
    // Cart container origin: on the track under the cart's centre.
    cartBody.clear();
    cartBody.circle(-w * 0.3, -r, r).fill(CARTPOLE_COLORS.wheel);
    cartBody.circle(w * 0.3, -r, r).fill(CARTPOLE_COLORS.wheel);
    cartBody.roundRect(-w / 2, -r - h, w, h, Math.min(6, h * 0.2)).fill(CARTPOLE_COLORS.cart);
    const poleWidth = Math.max(4, 0.08 * scale);
    pole.clear();
    pole.roundRect(-poleWidth / 2, -poleLength * scale, poleWidth, poleLength * scale, poleWidth / 2).fill(CARTPOLE_COLORS.pole);
    pole.circle(0, 0, poleWidth * 0.7).fill(CARTPOLE_COLORS.wheel);
    pole.position.set(0, -r - h);
  });

  return {
    kind: 'cartpole',
    stepsPerSecond: 50, // tau = 0.02 s: real time
    root,
    actionLabels: () => ['push left', 'push right'],
    overlays: () => ({}),
    setOverlay: () => {},
    draw(frame, width, height) {
      layout(width, height);
      const s = typedFrameAt<CartPoleRenderState>(ctx, frame);
      const x = num(s.x, 0);
      const theta = num(s.theta, 0);
      const force = Math.sign(num(s.force, 0));
      const cx = originX + x * scale;
      cart.position.set(cx, trackY);
      // Positive theta leans the pole to the right: a clockwise rotation on screen.
      pole.rotation = theta;
      const bodyY = trackY - WHEEL_RADIUS * scale - (CART_HEIGHT * scale) / 2;
      arrow.clear();
      if (force !== 0) {
        const len = 0.35 * scale;
        const head = Math.max(6, 0.08 * scale);
        // The arrow pushes the cart: drawn on the side it pushes from, pointing in the push direction.
        const tip = cx - force * (CART_WIDTH * scale) / 2 - force * 3;
        const tail = tip - force * len;
        arrow.moveTo(tail, bodyY).lineTo(tip - force * head, bodyY).stroke({ width: Math.max(3, head / 2), color: CARTPOLE_COLORS.force });
        arrow.poly([tip, bodyY, tip - force * head, bodyY - head * 0.7, tip - force * head, bodyY + head * 0.7]).fill(CARTPOLE_COLORS.force);
      }
      const hingeY = trackY - WHEEL_RADIUS * scale - CART_HEIGHT * scale;
      probe = {
        kind: 'cartpole',
        marker: { x: cx, y: bodyY, color: hex(CARTPOLE_COLORS.cart) },
        hinge: { x: cx, y: hingeY },
        poleTip: { x: cx + poleLength * scale * Math.sin(theta), y: hingeY - poleLength * scale * Math.cos(theta) },
        scale,
        force,
      };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}
