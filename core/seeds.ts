/**
 * Run seeds and the seeds of every random stream derived from them.
 *
 * A run seed is an integer 0 ≤ seed ≤ 2^53 − 1 (Number.MAX_SAFE_INTEGER: every such integer is exact in
 * JSON and in a JS number). Every stream a run uses — training env i, evaluation episode k, the agent's
 * init / exploration / sampling streams — gets its own seed `streamSeed(runSeed, name, index)`: a hash of
 * all three, not arithmetic on them. With arithmetic (`seed·1000 + i`) run 1000's env 0 was run 0's first
 * eval episode; with a hash, two different (seed, name, index) triples share a stream seed only by a 53-bit
 * hash collision (≈ 1 in 9·10^15 per pair), so training and evaluation streams never coincide, across runs
 * either.
 */
import { TsgymError } from './errors.js';

/** The largest valid run seed (2^53 − 1). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Throws a one-line error unless `seed` is an integer in [0, 2^53 − 1]. `what` names it (e.g. '--seed'). */
export function validateSeed(seed: unknown, what = 'seed'): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new TsgymError(`${what} must be an integer from 0 to 2^53 − 1 (${MAX_SEED}), got ${String(seed)}`);
  }
}

/** The names of the streams the harness derives (agents name their own, e.g. 'dqn.explore'). */
export const STREAMS = {
  /** Training env i of the vector env (index = env index). */
  trainEnv: 'train-env',
  /** Evaluation episode k (index = episode); the same at every evaluation so evaluations compare. */
  evalEpisode: 'eval-episode',
  /** Episodes recorded by `record --seed S` (index = episode). */
  recordEpisode: 'record-episode',
} as const;

/**
 * The seed of stream (`runSeed`, `name`, `index`): an integer in [0, 2^53 − 1], pure and stable across
 * versions of tsgym (changing it changes every trajectory).
 */
export function streamSeed(runSeed: number, name: string, index = 0): number {
  validateSeed(runSeed, 'run seed');
  if (!Number.isInteger(index) || index < 0 || index > MAX_SEED) throw new TsgymError(`stream index must be an integer from 0 to 2^53 − 1, got ${index}`);
  const words = [...splitWords(runSeed), name.length, ...codeUnits(name), ...splitWords(index)];
  // Two independently seeded 32-bit lanes give 64 bits; keep 53 so the result is an exact JS integer.
  const hi = hashWords(words, 0x243f6a88);
  const lo = hashWords(words, 0x85a308d3);
  return (hi >>> 11) * 2 ** 32 + lo;
}

/** Seeds of streams (`runSeed`, `name`, 0..count−1). */
export function streamSeeds(runSeed: number, name: string, count: number): number[] {
  return Array.from({ length: count }, (_, i) => streamSeed(runSeed, name, i));
}

function splitWords(x: number): [number, number] {
  return [x >>> 0, Math.floor(x / 2 ** 32) >>> 0];
}

function codeUnits(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

/** Absorbs 32-bit words one at a time, each followed by murmur3's fmix32 finaliser (a bijection on 32 bits). */
function hashWords(words: number[], init: number): number {
  let h = init >>> 0;
  for (const w of words) {
    h = Math.imul(h ^ w, 0x9e3779b1) >>> 0;
    h = fmix32((h + 0x7f4a7c15) >>> 0);
  }
  return fmix32((h ^ words.length) >>> 0);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
