/**
 * The lane keeper's camera (`obs: 'pixels'`): a top-down raster of the road that moves and turns with the
 * car, as a float32 image in (y, x, channel) order. Row 0 is the far edge (ahead), column 0 the car's
 * left. Each pixel centre is placed in the world, projected onto the road's centreline (envs/road.ts), and
 * its distance from the centreline decides the road and lane channels; a third channel draws the arc the
 * car would drive with its current steering angle held.
 *
 * Edges are anti-aliased from the signed distance to each edge: a pixel's value is 0.5 + d / resolution,
 * clipped to [0, 1] — about the fraction of the pixel inside — so the image carries sub-pixel offsets.
 */
import { Box } from './spaces.js';
import type { Road } from './road.js';

/** Image height, width, channels. */
export const CAMERA_SHAPE: readonly [number, number, number] = [32, 32, 3];
/** Metres per pixel. */
export const CAMERA_RESOLUTION = 0.75;
/** Rows ahead of the car's rear axle (the rest of the image is behind it). */
export const CAMERA_ROWS_AHEAD = 28;
/** Length of the drawn steering arc (m), and its half width (m): one pixel wide. */
export const CAMERA_PATH_LENGTH = 12;
const PATH_HALF_WIDTH = CAMERA_RESOLUTION / 2;
/** Channel indices. */
export const CAMERA_CHANNELS = ['road', 'lane', 'path'] as const;

export function cameraObservationSpace(): Box {
  return new Box(0, 1, [...CAMERA_SHAPE]);
}

/**
 * A camera image in a render state: each value as a byte, round(255 · v), in (y, x, channel) order, base64
 * encoded (4 KiB of JSON per frame instead of ~20 KiB of numbers).
 */
export interface CameraFrame {
  height: number;
  width: number;
  channels: string[];
  bytes: string;
}

export function cameraFrame(image: Float32Array): CameraFrame {
  let binary = '';
  for (let i = 0; i < image.length; i++) binary += String.fromCharCode(Math.round(255 * image[i]));
  return { height: CAMERA_SHAPE[0], width: CAMERA_SHAPE[1], channels: [...CAMERA_CHANNELS], bytes: btoa(binary) };
}

/** The bytes of a {@link CameraFrame}, or null when they are not valid base64 of height · width · channels bytes. */
export function cameraFrameBytes(frame: Partial<CameraFrame>): Uint8Array | null {
  const { height, width, channels, bytes } = frame;
  if (typeof bytes !== 'string' || !Number.isInteger(height) || !Number.isInteger(width) || !Array.isArray(channels)) return null;
  let binary: string;
  try {
    binary = atob(bytes);
  } catch {
    return null;
  }
  if (binary.length !== height! * width! * channels.length) return null;
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** The road's widths and the car's wheelbase (m), from envs/lanekeeper.ts. */
export interface CameraGeometry {
  roadHalfWidth: number;
  laneHalfWidth: number;
  wheelbase: number;
}

/** The share of a pixel inside an edge at signed distance `d` (m, positive inside). */
function coverage(d: number): number {
  const v = 0.5 + d / CAMERA_RESOLUTION;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Where a pixel lies relative to the road: the nearest sample (the next search's start) and the signed offset (m). */
interface RoadFoot {
  index: number;
  offset: number;
}

/**
 * Signed distance (m, positive left) of the point (px, py) from the centreline, searching from sample `start`;
 * written to `out` with the sample found.
 * Road.project steps by the tangential distance, which overshoots inside bends and oscillates for points
 * farther from the road than it is meant for; a camera pixel can be 15 m away. Here each step goes to the
 * foot of the point on the sample's osculating circle, exact on circular arcs (the road's holds), so the
 * search converges in a step or two anywhere short of the centre of curvature, and the distance is to that
 * circle. Near the road both agree to second order in the arc length.
 */
function footOnRoad(road: Road, px: number, py: number, start: number, out: RoadFoot): void {
  const last = road.numPoints - 1;
  let i = start < 0 ? 0 : start > last ? last : start;
  let t = 0;
  let n = 0;
  let k = 0;
  for (let iter = 0; iter < 32; iter++) {
    if (i >= road.generated) road.ensure(i);
    const dx = px - road.x[i];
    const dy = py - road.y[i];
    t = dx * road.cosHeading[i] + dy * road.sinHeading[i];
    n = -dx * road.sinHeading[i] + dy * road.cosHeading[i];
    k = road.curvature[i];
    const ak = Math.abs(k);
    const ds = ak < 1e-9 ? t : Math.atan2(ak * t, 1 - k * n) / ak;
    const move = Math.round(ds / road.spacing);
    const next = i + move < 0 ? 0 : i + move > last ? last : i + move;
    if (next === i) break;
    i = next;
  }
  out.index = i;
  const kt = k * t;
  const kn = 1 - k * n;
  out.offset = Math.abs(k) < 1e-9 ? n : (1 - Math.sqrt(kt * kt + kn * kn)) / k;
}

/**
 * Renders the camera image for the car `state = (x, y, heading, steer)` on `road` into `out`
 * (length 32·32·3) and returns it. `hint` is the road sample index nearest the car (its projection).
 */
export function renderCamera(road: Road, state: Float64Array, hint: number, geometry: CameraGeometry, out: Float32Array): Float32Array {
  const [H, W, C] = CAMERA_SHAPE;
  const [x, y, heading, steer] = state;
  const cos = Math.cos(heading);
  const sin = Math.sin(heading);
  const kappa = Math.tan(steer) / geometry.wheelbase;
  // The steering arc's centre sits at (forward 0, left ρ) in the car's frame, ρ = 1/κ (signed).
  const straight = Math.abs(kappa) < 1e-9;
  const rho = straight ? 0 : 1 / kappa;
  const radius = Math.abs(rho);
  const foot: RoadFoot = { index: 0, offset: 0 };
  for (let r = 0; r < H; r++) {
    const forward = (CAMERA_ROWS_AHEAD - (r + 0.5)) * CAMERA_RESOLUTION;
    // Start each row's search where the road should be that far ahead; the row's later pixels continue from there.
    let index = Math.max(0, hint + Math.round(forward / road.spacing));
    for (let c = 0; c < W; c++) {
      const left = (W / 2 - (c + 0.5)) * CAMERA_RESOLUTION;
      const px = x + forward * cos - left * sin;
      const py = y + forward * sin + left * cos;
      footOnRoad(road, px, py, index, foot);
      index = foot.index;
      const d = Math.abs(foot.offset);
      const k = (r * W + c) * C;
      out[k] = coverage(geometry.roadHalfWidth - d);
      out[k + 1] = coverage(geometry.laneHalfWidth - d);
      let path = 0;
      if (forward > -PATH_HALF_WIDTH) {
        const dx = left - rho;
        const dist = straight ? Math.abs(left) : Math.abs(Math.sqrt(forward * forward + dx * dx) - radius);
        if (dist < PATH_HALF_WIDTH + CAMERA_RESOLUTION / 2) {
          // Arc length from the car to the point's foot on the arc.
          const along = straight ? forward : radius * Math.atan2(forward, rho > 0 ? -dx : dx);
          if (along >= 0 && along <= CAMERA_PATH_LENGTH) path = coverage(PATH_HALF_WIDTH - dist);
        }
      }
      out[k + 2] = path;
    }
  }
  return out;
}
