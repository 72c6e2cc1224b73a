/**
 * numpy's legacy `RandomState` (numpy.random.mtrand), draw for draw: the MT19937 generator with numpy's
 * legacy seeding, and the samplers built on it, computed exactly as numpy computes them. Envs ported from
 * Python code that draws from a `RandomState` (MinAtar) use it so that the same seed and the same actions
 * give the same trajectory as the reference, bit for bit.
 *
 * What numpy does, and this class repeats:
 * - `RandomState(seed)` with an integer seed in [0, 2^32 − 1]: Matsumoto & Nishimura's `init_genrand`
 *   (Knuth's multiplier 1812433253); with a list of 32-bit words: their `init_by_array`. The first draw
 *   regenerates the whole 624-word state.
 * - `random_sample()` / `rand()`: a 53-bit double from two 32-bit outputs, `(a >> 5) · 2^26 + (b >> 6)`
 *   divided by 2^53.
 * - `randint(low, high)`: the closed range `[0, high − low − 1]` drawn by masked rejection (32-bit outputs
 *   ANDed with the smallest all-ones mask covering the range, redrawn while above it); a range of one value
 *   draws nothing. RandomState keeps this method (Generator uses Lemire's) for backward compatibility.
 * - `choice(n)` is `randint(0, n)`; `choice(n, p)` draws one `random_sample()` and searches the normalised
 *   running sum of `p` (first index whose cumulative probability is above the draw).
 *
 * Ranges wider than 2^32 (numpy's 64-bit masked path) are not implemented: MinAtar never draws them.
 */
import { TsgymError } from './errors.js';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MAX_UINT32 = 0xffffffff;

/** The generator's complete state, JSON-able: numpy's `get_state()` key and position. */
export interface NumpyRandomStateSnapshot {
  key: number[];
  pos: number;
}

export class NumpyRandomState {
  private readonly key = new Uint32Array(N);
  private pos = N;

  /**
   * @param seed an integer in [0, 2^32 − 1] (numpy's `RandomState(seed)`) or a non-empty list of such integers
   *   (numpy's `RandomState([w0, w1, …])`).
   */
  constructor(seed: number | readonly number[]) {
    if (typeof seed === 'number') {
      checkWord(seed);
      this.initGenrand(seed);
    } else {
      if (!Array.isArray(seed) || seed.length === 0) throw new TsgymError('RandomState: a seed list must be non-empty');
      seed.forEach(checkWord);
      this.initByArray(seed);
    }
  }

  static fromSnapshot(s: NumpyRandomStateSnapshot): NumpyRandomState {
    const r = new NumpyRandomState(0);
    r.key.set(s.key);
    r.pos = s.pos;
    return r;
  }

  snapshot(): NumpyRandomStateSnapshot {
    return { key: Array.from(this.key), pos: this.pos };
  }

  private initGenrand(s: number): void {
    const mt = this.key;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.pos = N;
  }

  private initByArray(initKey: readonly number[]): void {
    const mt = this.key;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, initKey.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + initKey[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= initKey.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private regenerate(): void {
    const mt = this.key;
    let i = 0;
    let y: number;
    for (; i < N - M; i++) {
      y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < N - 1; i++) {
      y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /** The next tempered 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    if (this.pos === N) this.regenerate();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's `random_sample()` (and `rand()`): a double in [0, 1) with 53 random bits. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** numpy's `rand(n)`: n draws of {@link randomSample}, in order. */
  rand(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.randomSample();
    return out;
  }

  /** numpy's `randint(low, high)` (or `randint(high)`, from 0): an integer in [low, high). */
  randint(low: number, high?: number): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) throw new TsgymError(`randint: bounds must be integers, got ${low} and ${high}`);
    const range = high - 1 - low; // numpy draws from the closed interval [low, high - 1]
    if (range < 0) throw new TsgymError(`randint: low (${low}) must be below high (${high})`);
    if (range === 0) return low;
    if (range > MAX_UINT32) throw new TsgymError(`randint: ranges wider than 2^32 are not implemented (got [${low}, ${high}))`);
    if (range === MAX_UINT32) return low + this.nextUint32();
    const mask = maskFor(range);
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > range);
    return low + v;
  }

  /** numpy's `randint(low, high, size=n)`: n draws of {@link randint}, in order. */
  randintArray(low: number, high: number, n: number): number[] {
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.randint(low, high);
    return out;
  }

  /**
   * numpy's `choice(a)` / `choice(a, p=p)` for one sample with replacement: an index into [0, n) when `a` is a
   * number, else an element of `a`.
   */
  choice<T>(a: number | readonly T[], p?: readonly number[]): T | number {
    const n = typeof a === 'number' ? a : a.length;
    if (!Number.isInteger(n) || n <= 0) throw new TsgymError(`choice: needs a positive population size, got ${n}`);
    let index: number;
    if (p === undefined) {
      index = this.randint(0, n);
    } else {
      if (p.length !== n) throw new TsgymError(`choice: a has ${n} entries but p has ${p.length}`);
      if (p.some((x) => !(x >= 0))) throw new TsgymError('choice: probabilities must be non-negative numbers');
      if (Math.abs(kahanSum(p) - 1) > Math.sqrt(Number.EPSILON)) throw new TsgymError('choice: probabilities do not sum to 1');
      const cdf = new Float64Array(n);
      let sum = 0;
      for (let i = 0; i < n; i++) cdf[i] = sum += p[i];
      const total = cdf[n - 1];
      for (let i = 0; i < n; i++) cdf[i] /= total;
      const u = this.randomSample();
      index = 0;
      while (index < n && cdf[index] <= u) index++; // searchsorted(u, side='right')
    }
    return typeof a === 'number' ? index : a[index];
  }
}

function checkWord(x: unknown): void {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > MAX_UINT32) {
    throw new TsgymError(`RandomState: a seed must be an integer from 0 to 2^32 − 1, got ${String(x)}`);
  }
}

/** The smallest all-ones bit mask covering `max` (numpy's gen_mask). */
function maskFor(max: number): number {
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

/** Compensated sum, as numpy's choice checks that p sums to 1. */
function kahanSum(xs: readonly number[]): number {
  let sum = 0;
  let c = 0;
  for (const x of xs) {
    const y = x - c;
    const t = sum + y;
    c = t - sum - y;
    sum = t;
  }
  return sum;
}
