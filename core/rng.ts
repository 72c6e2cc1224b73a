/**
 * Seeded random streams. Every random draw in tsgym (env dynamics, exploration, replay sampling, weight
 * init, minibatch shuffles) comes from an `Rng` derived from the run seed, so a run is reproducible to
 * the bit. `Math.random` is never used.
 *
 * The generator is seedrandom's Alea: fast, 53-bit doubles, and its state can be saved in a checkpoint
 * and restored exactly.
 */
import seedrandom from 'seedrandom';

/** The serialisable state of an {@link Rng}, as stored in checkpoints. */
export interface RngState {
  readonly alea: { c: number; s0: number; s1: number; s2: number };
}

/** A seedable, state-saveable random stream. */
export class Rng {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;

  /** @param seed any number or string; equal seeds give equal streams. */
  constructor(seed: number | string) {
    this.prng = seedrandom.alea(String(seed), { state: true });
  }

  static fromState(state: RngState): Rng {
    const rng = Object.create(Rng.prototype) as Rng;
    rng.prng = seedrandom.alea('', { state: { ...state.alea } });
    return rng;
  }

  /** Uniform double in [0, 1). */
  random(): number {
    return this.prng.double();
  }

  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.prng.double();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng.double() * n);
  }

  /** Standard normal draw (Box–Muller; two uniforms per draw, no cached spare, so the state stays simple). */
  normal(): number {
    let u = this.prng.double();
    while (u <= Number.MIN_VALUE) u = this.prng.double();
    const v = this.prng.double();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng.double() * (i + 1));
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /** A 31-bit integer seed drawn from this stream (for seeding tf initialisers and child streams). */
  nextSeed(): number {
    return Math.floor(this.prng.double() * 0x7fffffff);
  }

  state(): RngState {
    return { alea: { ...this.prng.state() } };
  }
}

/**
 * A child seed named by a path, e.g. `deriveSeed(run, 'eval')`: independent streams for independent
 * purposes, all from one run seed, without the streams overlapping or depending on call order.
 */
export function deriveSeed(seed: number | string, ...path: (string | number)[]): string {
  return [String(seed), ...path.map(String)].join('/');
}
