/**
 * Lane keeper: a top view that follows the car along the road, road-up. The road and its lane markings
 * scroll past (dashes are placed by arc length, so they stay put on the road), the car yaws and drifts in
 * its lane, its recent path trails behind it, and a gauge shows the steering angle and its target.
 * Render state: LaneKeeperRenderState (envs/lanekeeper.ts). Missing fields fall back to the env's constants.
 */
import { Container, Graphics, Text } from 'pixi.js';
import type { RenderState } from '../../../../envs/core.js';
import { LANE_WIDTH, ROAD_HALF_WIDTH, WHEELBASE } from '../../../../envs/lanekeeper.js';
import { hex, num, sceneText, type Scene, type SceneContext, type SceneProbe } from './scene.js';

export const LANE_COLORS = {
  grass: 0x7fb069,
  shoulder: 0x8d8d86,
  asphalt: 0x5c5f66,
  laneLine: 0xffffff,
  edgeLine: 0xf1e3a0,
  post: 0x2e2e2e,
  car: 0xe63946,
  glass: 0xbfd7ea,
  wheel: 0x1b1b1b,
  trail: 0x1d3557,
  gauge: 0x222222,
  target: 0x1c7ed6,
} as const;

const CAR_LENGTH = 4.4;
const CAR_WIDTH = 1.8;
const REAR_OVERHANG = 0.85;
const VIEW_METRES = 36;
const TRAIL_FRAMES = 40;
const DASH = 3;
const DASH_PERIOD = 8;
const POST_PERIOD = 10;
const MAX_STEER_FALLBACK = 0.3;

interface Car {
  x: number;
  y: number;
  heading: number;
  steer: number;
}

function carOf(s: RenderState | undefined): Car | null {
  const c = s?.car as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object') return null;
  return { x: num(c.x, 0), y: num(c.y, 0), heading: num(c.heading, 0), steer: num(c.steer, 0) };
}

function centerlineOf(s: RenderState | undefined): [number, number][] | null {
  const cl = s?.centerline;
  if (!Array.isArray(cl) || cl.length < 2) return null;
  const pts = cl.filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number');
  return pts.length >= 2 ? pts : null;
}

export function laneKeeperScene(ctx: SceneContext): Scene {
  const root = new Container();
  const background = new Graphics();
  const camera = new Container();
  const world = new Container();
  const road = new Graphics();
  const trail = new Graphics();
  const car = new Container();
  const carBody = new Graphics();
  const frontWheels = [new Graphics(), new Graphics()];
  const gauge = new Graphics();
  const gaugeLabel = sceneText(0xffffff);
  const message = new Text({ text: '', style: { fontFamily: 'system-ui, sans-serif', fontSize: 14, fill: 0xffffff } });
  camera.addChild(world);
  world.addChild(road, trail, car);
  car.addChild(carBody, ...frontWheels);
  root.addChild(background, camera, gauge, gaugeLabel, message);

  const first = ctx.frames[0] ?? { kind: 'lanekeeper' };
  const laneWidth = num(first.laneWidth, LANE_WIDTH);
  const roadHalfWidth = num(first.roadHalfWidth, ROAD_HALF_WIDTH);
  const wheelbase = num(first.wheelbase, WHEELBASE);
  const discreteLabels =
    ctx.replay.actionSpace.type === 'Discrete' && ctx.replay.actionSpace.n === 5 ? ['full right', 'half right', 'straight', 'half left', 'full left'] : null;

  // Car body along +x from the rear axle (the reference point), drawn once in metres.
  carBody.rect(-REAR_OVERHANG, -CAR_WIDTH / 2, CAR_LENGTH, CAR_WIDTH).fill(LANE_COLORS.car);
  carBody.rect(wheelbase - 0.9, -CAR_WIDTH / 2 + 0.15, 0.7, CAR_WIDTH - 0.3).fill(LANE_COLORS.glass);
  for (const side of [-1, 1]) carBody.rect(-0.35, side * (CAR_WIDTH / 2) - 0.12, 0.7, 0.24).fill(LANE_COLORS.wheel);
  frontWheels.forEach((w, i) => {
    w.rect(-0.35, -0.12, 0.7, 0.24).fill(LANE_COLORS.wheel);
    w.position.set(wheelbase, (i === 0 ? 1 : -1) * (CAR_WIDTH / 2));
  });

  let roadSource: [number, number][] | null = null;
  let bgKey = '';
  let probe: SceneProbe = { kind: 'lanekeeper', marker: null };

  function drawRoad(cl: [number, number][], start: number, spacing: number): void {
    road.clear();
    const n = cl.length;
    const normals: [number, number][] = [];
    const arc: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = cl[Math.max(0, i - 1)];
      const b = cl[Math.min(n - 1, i + 1)];
      const tx = b[0] - a[0];
      const ty = b[1] - a[1];
      const len = Math.hypot(tx, ty) || 1;
      normals.push([-ty / len, tx / len]);
      arc.push(i === 0 ? start : arc[i - 1] + (Number.isFinite(spacing) && spacing > 0 ? spacing : Math.hypot(cl[i][0] - cl[i - 1][0], cl[i][1] - cl[i - 1][1])));
    }
    const offsetLine = (d: number) => cl.map((p, i) => [p[0] + normals[i][0] * d, p[1] + normals[i][1] * d] as [number, number]);
    const band = (d0: number, d1: number, color: number) => {
      const left = offsetLine(d1);
      const right = offsetLine(d0).reverse();
      road.poly([...left, ...right].flat()).fill(color);
    };
    band(-roadHalfWidth, roadHalfWidth, LANE_COLORS.shoulder);
    band(-laneWidth / 2, laneWidth / 2, LANE_COLORS.asphalt);
    const line = (pts: [number, number][], width: number, color: number) => {
      road.moveTo(pts[0][0], pts[0][1]);
      for (let i = 1; i < pts.length; i++) road.lineTo(pts[i][0], pts[i][1]);
      road.stroke({ width, color });
    };
    line(offsetLine(roadHalfWidth), 0.15, LANE_COLORS.edgeLine);
    line(offsetLine(-roadHalfWidth), 0.15, LANE_COLORS.edgeLine);
    // Point at arc length s, lateral offset d (linear along the polyline).
    const at = (s: number, d: number): [number, number] | null => {
      if (s < arc[0] || s > arc[n - 1]) return null;
      let i = 0;
      while (i < n - 2 && arc[i + 1] < s) i++;
      const f = (s - arc[i]) / (arc[i + 1] - arc[i] || 1);
      const nx = normals[i][0] + f * (normals[i + 1][0] - normals[i][0]);
      const ny = normals[i][1] + f * (normals[i + 1][1] - normals[i][1]);
      return [cl[i][0] + f * (cl[i + 1][0] - cl[i][0]) + nx * d, cl[i][1] + f * (cl[i + 1][1] - cl[i][1]) + ny * d];
    };
    // Dashed lane lines, phased by arc length so they stay fixed to the road as it scrolls.
    for (const d of [-laneWidth / 2, laneWidth / 2]) {
      for (let s0 = Math.ceil(arc[0] / DASH_PERIOD) * DASH_PERIOD; s0 < arc[n - 1]; s0 += DASH_PERIOD) {
        const pts: [number, number][] = [];
        for (let s = s0; s <= Math.min(s0 + DASH, arc[n - 1]); s += 0.75) {
          const p = at(s, d);
          if (p) pts.push(p);
        }
        if (pts.length >= 2) line(pts, 0.15, LANE_COLORS.laneLine);
      }
    }
    // Roadside posts every 10 m: they show the motion even on a straight.
    for (let s = Math.ceil(arc[0] / POST_PERIOD) * POST_PERIOD; s <= arc[n - 1]; s += POST_PERIOD) {
      for (const d of [-(roadHalfWidth + 1), roadHalfWidth + 1]) {
        const p = at(s, d);
        if (p) road.rect(p[0] - 0.25, p[1] - 0.25, 0.5, 0.5).fill(LANE_COLORS.post);
      }
    }
  }

  /** The latest centreline at or before `frame` (a state may leave it out when it did not change). */
  function centerlineAt(frame: number): { cl: [number, number][]; state: RenderState } | null {
    for (let k = frame; k >= 0; k--) {
      const cl = centerlineOf(ctx.frames[k]);
      if (cl) return { cl, state: ctx.frames[k] };
    }
    return null;
  }

  return {
    kind: 'lanekeeper',
    stepsPerSecond: 10, // dt = 0.1 s: real time
    root,
    actionLabels: () => discreteLabels,
    overlays: () => ({}),
    setOverlay: () => {},
    draw(frame, width, height) {
      const key = `${width}x${height}`;
      if (key !== bgKey) {
        bgKey = key;
        background.clear().rect(0, 0, width, height).fill(LANE_COLORS.grass);
      }
      const f = Math.max(0, Math.min(frame, ctx.frames.length - 1));
      const s = ctx.frames[f] ?? first;
      const c = carOf(s);
      const road0 = centerlineAt(f);
      if (!c) {
        message.text = 'this frame has no car (render state without a `car` field)';
        message.position.set(12, 12);
        probe = { kind: 'lanekeeper', marker: null };
        return;
      }
      message.text = '';
      if (road0 && road0.cl !== roadSource) {
        roadSource = road0.cl;
        drawRoad(road0.cl, num(road0.state.centerlineStart, 0), num(road0.state.centerlineSpacing, NaN));
      }

      // Camera: on the road centre beside the car, turned so the road runs up the screen; the car shows its
      // offset and heading error relative to the lane.
      const headingError = num(s.headingError, 0);
      const roadHeading = c.heading - headingError;
      const offset = num(s.offset, 0);
      const along = wheelbase / 2;
      const cx = c.x + Math.cos(c.heading) * along;
      const cy = c.y + Math.sin(c.heading) * along;
      const camX = cx + Math.sin(roadHeading) * offset;
      const camY = cy - Math.cos(roadHeading) * offset;
      const scale = Math.min(height / VIEW_METRES, width / (2 * roadHalfWidth + 8));
      const anchorX = width / 2;
      const anchorY = height * 0.62;
      camera.position.set(anchorX, anchorY);
      camera.scale.set(scale, -scale);
      camera.rotation = roadHeading - Math.PI / 2;
      world.position.set(-camX, -camY);
      car.position.set(c.x, c.y);
      car.rotation = c.heading;
      for (const w of frontWheels) w.rotation = c.steer;

      trail.clear();
      let prev: Car | null = null;
      for (let k = Math.max(0, f - TRAIL_FRAMES); k <= f; k++) {
        const p = carOf(ctx.frames[k]);
        if (p && prev) trail.moveTo(prev.x, prev.y).lineTo(p.x, p.y).stroke({ width: 0.25, color: LANE_COLORS.trail, alpha: 0.15 + (0.6 * (k - (f - TRAIL_FRAMES))) / TRAIL_FRAMES });
        prev = p;
      }

      // Steering gauge (screen space): the needle is the wheel angle, the blue tick the commanded target.
      const gx = 56;
      const gy = height - 20;
      const gr = 36;
      const maxSteer = MAX_STEER_FALLBACK;
      const toAngle = (steer: number) => -Math.PI / 2 - (Math.max(-1, Math.min(1, steer / maxSteer)) * Math.PI) / 3;
      gauge.clear();
      gauge.arc(gx, gy, gr, -Math.PI / 2 - Math.PI / 3, -Math.PI / 2 + Math.PI / 3).stroke({ width: 6, color: LANE_COLORS.gauge, alpha: 0.6 });
      const target = s.steerTarget;
      if (typeof target === 'number') {
        const a = toAngle(target);
        gauge.moveTo(gx + Math.cos(a) * (gr - 6), gy + Math.sin(a) * (gr - 6)).lineTo(gx + Math.cos(a) * (gr + 6), gy + Math.sin(a) * (gr + 6)).stroke({ width: 3, color: LANE_COLORS.target });
      }
      const a = toAngle(c.steer);
      gauge.moveTo(gx, gy).lineTo(gx + Math.cos(a) * gr, gy + Math.sin(a) * gr).stroke({ width: 3, color: 0xffffff });
      gaugeLabel.text = `steer ${((c.steer * 180) / Math.PI).toFixed(1)}°`;
      gaugeLabel.position.set(gx + gr + 8, gy - 16);

      // Where the car's body centre lands on screen: anchor + R(rot)·diag(s, -s)·(p - cam).
      const rot = roadHeading - Math.PI / 2;
      const bx = c.x + Math.cos(c.heading) * (CAR_LENGTH / 2 - REAR_OVERHANG);
      const by = c.y + Math.sin(c.heading) * (CAR_LENGTH / 2 - REAR_OVERHANG);
      const dx = (bx - camX) * scale;
      const dy = -(by - camY) * scale;
      probe = {
        kind: 'lanekeeper',
        marker: { x: anchorX + Math.cos(rot) * dx - Math.sin(rot) * dy, y: anchorY + Math.sin(rot) * dx + Math.cos(rot) * dy, color: hex(LANE_COLORS.car) },
        roadScreenCenterX: anchorX,
        scale,
        offset,
        s: num(s.s, NaN),
      };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}
