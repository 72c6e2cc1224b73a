/**
 * Roads for the lane-keeper env: a centreline generated from a seed, stored as typed arrays sampled at a
 * fixed arc-length spacing, with cheap geometry queries (projection of a point, curvature and heading at an
 * arc length) that allocate nothing. Samples are integrated lazily, as far ahead as the queries look, so a
 * short episode does not pay for the whole road.
 *
 * ## Generation
 * The road is described by its curvature κ(s) as a function of arc length s (m), piecewise linear:
 * a straight start, then alternating ramps and holds. Each hold has a target curvature — straight with
 * probability {@link ROAD_STRAIGHT_PROBABILITY}, otherwise a left or right bend of magnitude uniform in
 * [{@link ROAD_MIN_BEND_FRACTION}, 1] × {@link ROAD_MAX_CURVATURE} × difficulty — and each ramp changes the
 * curvature linearly from one target to the next (a clothoid, as road designers use for transitions), so
 * the heading is smooth and the curvature continuous. Heading and position follow by integration, exact
 * for a curvature that is linear (heading) and constant (position, arc chord) on each sample interval.
 *
 * The road's random draws come only from its seed, in order of increasing s: a longer road from the same
 * seed and difficulty extends the shorter one without changing its prefix.
 *
 * Sign convention: positive curvature bends left (counter-clockwise); lateral offsets are positive to the
 * left of the centreline; angles are in radians, counter-clockwise from the +x axis.
 */
import { Rng, deriveSeed } from '../core/rng.js';

/** Arc-length spacing of the stored samples (m). */
export const ROAD_SPACING = 0.5;
/** Largest bend curvature at difficulty 1 (1/m): a 33 m radius. */
export const ROAD_MAX_CURVATURE = 0.03;
/** Smallest bend as a fraction of the largest. */
export const ROAD_MIN_BEND_FRACTION = 0.35;
/** Chance that a hold is straight rather than a bend. */
export const ROAD_STRAIGHT_PROBABILITY = 0.3;
/** Length of the straight the road starts with (m). */
export const ROAD_START_STRAIGHT = 50;
/** Range of ramp (curvature transition) lengths (m). */
export const ROAD_RAMP_LENGTH: readonly [number, number] = [15, 45];
/** Range of hold (constant curvature) lengths (m). */
export const ROAD_HOLD_LENGTH: readonly [number, number] = [20, 100];

/** Where a point lies relative to the road; filled in place by {@link Road.project}. */
export interface RoadProjection {
  /** Index of the nearest sample (use it as the hint for the next projection). */
  index: number;
  /** Arc length of the projected point (m). */
  s: number;
  /** Signed lateral distance from the centreline (m), positive to the left. */
  offset: number;
  /** Heading of the centreline at `s` (rad, not wrapped). */
  heading: number;
}

export function emptyRoadProjection(): RoadProjection {
  return { index: 0, s: 0, offset: 0, heading: 0 };
}

/**
 * Curvature samples in order: called with i = 0, 1, 2, … (each once) and returns κ at arc length
 * `i * spacing`. Lets a road be generated lazily, only as far as it is driven.
 */
export type CurvatureSource = (i: number) => number;

/**
 * A centreline sampled every `spacing` metres, starting at the origin heading along +x. Samples are
 * integrated on demand from a {@link CurvatureSource}: the geometry queries extend the road as far as
 * they look, and {@link Road.ensure} does it explicitly before reading the arrays directly.
 */
export class Road {
  readonly numPoints: number;
  /** Arc length of the last sample (m). */
  readonly length: number;
  /** Sample arrays (length `numPoints`); entries at or beyond `generated` are not computed yet. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Centreline heading (rad), continuous (not wrapped to ±π). */
  readonly heading: Float64Array;
  readonly cosHeading: Float64Array;
  readonly sinHeading: Float64Array;
  /** Curvature (1/m), positive to the left. */
  readonly curvature: Float64Array;
  private filled = 0;

  constructor(numPoints: number, readonly spacing: number, private readonly source: CurvatureSource) {
    if (!Number.isInteger(numPoints) || numPoints < 2) throw new RangeError(`Road: need at least 2 samples, got ${numPoints}`);
    if (!(spacing > 0)) throw new RangeError(`Road: spacing must be positive, got ${spacing}`);
    this.numPoints = numPoints;
    this.length = (numPoints - 1) * spacing;
    this.curvature = new Float64Array(numPoints);
    this.x = new Float64Array(numPoints);
    this.y = new Float64Array(numPoints);
    this.heading = new Float64Array(numPoints);
    this.cosHeading = new Float64Array(numPoints);
    this.sinHeading = new Float64Array(numPoints);
  }

  /** A fully integrated road from a sampled curvature profile (`curvature[i]` at arc length `i * spacing`). */
  static fromCurvature(curvature: ArrayLike<number>, spacing: number = ROAD_SPACING): Road {
    const road = new Road(curvature.length, spacing, (i) => curvature[i]);
    road.ensure(curvature.length - 1);
    return road;
  }

  /** How many samples are computed so far. */
  get generated(): number {
    return this.filled;
  }

  /** Computes the samples up to `index` (clamped to the road), so the arrays can be read there. */
  ensure(index: number): void {
    const upTo = index >= this.numPoints ? this.numPoints - 1 : index;
    while (this.filled <= upTo) this.integrateNext();
  }

  private integrateNext(): void {
    const i = this.filled++;
    const k = this.source(i);
    this.curvature[i] = k;
    if (i === 0) {
      this.cosHeading[0] = 1;
      return;
    }
    // Trapezoid rule: exact for curvature linear on the interval.
    const dHeading = 0.5 * this.spacing * (this.curvature[i - 1] + k);
    const h0 = this.heading[i - 1];
    const h1 = h0 + dHeading;
    this.heading[i] = h1;
    // Chord of an arc of constant curvature: length spacing·sinc(dHeading/2), direction h0 + dHeading/2.
    const chord = this.spacing * sinc(0.5 * dHeading);
    const mid = h0 + 0.5 * dHeading;
    this.x[i] = this.x[i - 1] + chord * Math.cos(mid);
    this.y[i] = this.y[i - 1] + chord * Math.sin(mid);
    this.cosHeading[i] = Math.cos(h1);
    this.sinHeading[i] = Math.sin(h1);
  }

  /** Curvature at arc length `s` (linear interpolation; clamped to the ends). */
  curvatureAt(s: number): number {
    return this.interpolate(this.curvature, s);
  }

  /** Centreline heading at arc length `s` (linear interpolation; clamped to the ends). */
  headingAt(s: number): number {
    return this.interpolate(this.heading, s);
  }

  private interpolate(a: Float64Array, s: number): number {
    const u = s / this.spacing;
    if (!(u > 0)) {
      this.ensure(0);
      return a[0];
    }
    const last = this.numPoints - 1;
    if (u >= last) {
      this.ensure(last);
      return a[last];
    }
    const i = Math.floor(u);
    if (i + 1 >= this.filled) this.ensure(i + 1);
    const f = u - i;
    return a[i] + f * (a[i + 1] - a[i]);
  }

  /**
   * Projects the point (px, py) onto the centreline, searching from sample `hint` (the previous index):
   * O(distance moved / spacing), no allocation. Accurate to second order in the spacing; meant for points
   * near the road (within the radius of curvature), where the projection is unique.
   */
  project(px: number, py: number, hint: number, out: RoadProjection): RoadProjection {
    const last = this.numPoints - 1;
    let i = hint < 0 ? 0 : hint > last ? last : Math.round(hint);
    if (i >= this.filled) this.ensure(i);
    let t = 0;
    for (let iter = 0; iter < 1000; iter++) {
      t = (px - this.x[i]) * this.cosHeading[i] + (py - this.y[i]) * this.sinHeading[i];
      const move = Math.round(t / this.spacing);
      if (move === 0) break;
      const next = Math.min(last, Math.max(0, i + move));
      if (next === i) break;
      if (next >= this.filled) this.ensure(next);
      i = next;
    }
    t = (px - this.x[i]) * this.cosHeading[i] + (py - this.y[i]) * this.sinHeading[i];
    const normal = -(px - this.x[i]) * this.sinHeading[i] + (py - this.y[i]) * this.cosHeading[i];
    const k = this.curvature[i];
    out.index = i;
    out.s = i * this.spacing + t;
    // The centreline itself bends away from the tangent by k t²/2 over the distance t.
    out.offset = normal - 0.5 * k * t * t;
    out.heading = this.heading[i] + k * t;
    return out;
  }
}

/** sin(x)/x, with the limit 1 at 0. */
function sinc(x: number): number {
  return Math.abs(x) < 1e-8 ? 1 - (x * x) / 6 : Math.sin(x) / x;
}

function checkRoadArgs(length: number, difficulty: number): void {
  if (!(length > 0) || !Number.isFinite(length)) throw new RangeError(`road: length must be a positive finite number of metres, got ${length}`);
  if (!(difficulty >= 0) || !Number.isFinite(difficulty)) throw new RangeError(`road: difficulty must be a finite number >= 0, got ${difficulty}`);
}

/**
 * The seeded curvature source (see the module comment): κ at `i * spacing`, for i = 0, 1, 2, … in order.
 * Difficulty scales every bend (0 gives a straight road).
 */
export function seededCurvature(seed: number | string, difficulty = 1, spacing = ROAD_SPACING): CurvatureSource {
  checkRoadArgs(1, difficulty);
  const rng = new Rng(deriveSeed(seed, 'road'));
  // The current ramp + hold: from `startS` the curvature goes linearly from `fromK` to `target` over `ramp`
  // metres, then stays at `target` for `hold` metres. Segments are drawn lazily, in order of s.
  let startS = ROAD_START_STRAIGHT;
  let fromK = 0;
  let target = 0;
  let ramp = 0;
  let hold = 0;
  const drawSegment = () => {
    target = rng.random() < ROAD_STRAIGHT_PROBABILITY
      ? 0
      : (rng.random() < 0.5 ? -1 : 1) * rng.uniform(ROAD_MIN_BEND_FRACTION, 1) * ROAD_MAX_CURVATURE * difficulty;
    ramp = rng.uniform(ROAD_RAMP_LENGTH[0], ROAD_RAMP_LENGTH[1]);
    hold = rng.uniform(ROAD_HOLD_LENGTH[0], ROAD_HOLD_LENGTH[1]);
  };
  drawSegment();
  return (i: number) => {
    const s = i * spacing;
    if (s < ROAD_START_STRAIGHT) return 0;
    while (s >= startS + ramp + hold) {
      startS += ramp + hold;
      fromK = target;
      drawSegment();
    }
    return s < startS + ramp ? fromK + ((s - startS) / ramp) * (target - fromK) : target;
  };
}

/**
 * A seeded road of at least `length` metres (`Math.ceil(length / spacing) + 1` samples), integrated lazily
 * as it is queried. A longer road from the same seed and difficulty extends a shorter one exactly.
 */
export function generateRoad(seed: number | string, length: number, difficulty = 1, spacing = ROAD_SPACING): Road {
  checkRoadArgs(length, difficulty);
  return new Road(Math.ceil(length / spacing) + 1, spacing, seededCurvature(seed, difficulty, spacing));
}
