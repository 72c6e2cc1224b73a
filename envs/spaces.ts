/**
 * Typed spaces, as in Gymnasium: `Discrete(n)` for a finite set of integer actions and `Box(low, high,
 * shape)` for real vectors. Spaces validate (`contains`), sample from a seeded {@link Rng}, and describe
 * themselves as JSON (stored in run configs and replay files).
 */
import { Rng } from '../core/rng.js';

export type SpaceJSON =
  | { type: 'Discrete'; n: number; start: number }
  | { type: 'Box'; shape: number[]; low: number[]; high: number[] };

/** The integers `start, …, start + n - 1`. */
export class Discrete {
  readonly type = 'Discrete' as const;
  readonly shape: readonly number[] = [];

  constructor(readonly n: number, readonly start = 0) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete(n): n must be a positive integer, got ${n}`);
    if (!Number.isInteger(start)) throw new RangeError(`Discrete(n, start): start must be an integer, got ${start}`);
  }

  contains(x: unknown): x is number {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  sample(rng: Rng): number {
    return this.start + rng.int(this.n);
  }

  toJSON(): SpaceJSON {
    return { type: 'Discrete', n: this.n, start: this.start };
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

/** A box in R^shape with per-element bounds (±Infinity allowed). Values are float32. */
export class Box {
  readonly type = 'Box' as const;
  readonly shape: readonly number[];
  readonly size: number;
  readonly low: Float32Array;
  readonly high: Float32Array;

  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape?: readonly number[]) {
    const inferred = shape ?? (typeof low === 'number' ? (typeof high === 'number' ? [1] : [high.length]) : [low.length]);
    this.shape = [...inferred];
    this.size = this.shape.reduce((a, b) => a * b, 1);
    if (!this.shape.every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`Box: bad shape [${this.shape}]`);
    this.low = broadcast(low, this.size, 'low');
    this.high = broadcast(high, this.size, 'high');
    for (let i = 0; i < this.size; i++) {
      if (!(this.low[i] <= this.high[i])) throw new RangeError(`Box: low[${i}]=${this.low[i]} > high[${i}]=${this.high[i]}`);
    }
  }

  contains(x: unknown): x is Float32Array {
    if (!isNumericArray(x) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      // Compare in float32, as Gymnasium does, so a float64 value on the boundary is accepted.
      const f = Math.fround(v);
      if (Number.isNaN(v) || f < this.low[i] || f > this.high[i]) return false;
    }
    return true;
  }

  /** Uniform on bounded dims, normal on unbounded, shifted exponential on half-bounded (as Gymnasium). */
  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      if (loFinite && hiFinite) out[i] = rng.uniform(lo, hi);
      else if (!loFinite && !hiFinite) out[i] = rng.normal();
      else if (loFinite) out[i] = lo - Math.log(1 - rng.random());
      else out[i] = hi + Math.log(1 - rng.random());
    }
    return out;
  }

  isBounded(): boolean {
    for (let i = 0; i < this.size; i++) if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) return false;
    return true;
  }

  toJSON(): SpaceJSON {
    return { type: 'Box', shape: [...this.shape], low: Array.from(this.low), high: Array.from(this.high) };
  }

  toString(): string {
    const lo = uniformOrList(this.low);
    const hi = uniformOrList(this.high);
    return `Box(${lo}, ${hi}, [${this.shape.join(', ')}])`;
  }
}

export type Space = Discrete | Box;

/** Rebuilds a space from its JSON description (JSON turns ±Infinity into null; both are accepted). */
export function spaceFromJSON(json: SpaceJSON): Space {
  if (json.type === 'Discrete') return new Discrete(json.n, json.start ?? 0);
  if (json.type === 'Box') {
    const fix = (a: (number | null)[], inf: number) => a.map((v) => (v === null ? inf : v));
    return new Box(fix(json.low, -Infinity), fix(json.high, Infinity), json.shape);
  }
  throw new Error(`unknown space type ${(json as { type: unknown }).type}`);
}

/** Length of the flat float vector that represents one element of the space (one-hot for Discrete). */
export function flatDim(space: Space): number {
  return space.type === 'Discrete' ? space.n : space.size;
}

export function isNumericArray(x: unknown): x is ArrayLike<number> {
  if (ArrayBuffer.isView(x)) return !(x instanceof DataView);
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}

function broadcast(v: number | ArrayLike<number>, size: number, name: string): Float32Array {
  if (typeof v === 'number') return new Float32Array(size).fill(v);
  if (v.length !== size) throw new RangeError(`Box: ${name} has ${v.length} values, shape needs ${size}`);
  return Float32Array.from(v);
}

function uniformOrList(a: Float32Array): string {
  return a.every((v) => v === a[0]) ? String(a[0]) : `[${Array.from(a).join(', ')}]`;
}
