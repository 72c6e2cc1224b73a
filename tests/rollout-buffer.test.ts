import { describe, expect, it } from 'vitest';
import { RolloutBuffer, computeGae, explainedVariance, normalizeAdvantages } from '../agents/rollout-buffer.js';

/**
 * A hand-built rollout: 2 envs × 3 steps, γ = 0.5, λ = 0.5 (γλ = 0.25). Observations are 1 float and the
 * fake critic returns it, so each observation *is* its value.
 *
 * Env 0 terminates at t = 1; env 1 is truncated at t = 1 with V(final obs) = 10. Both start a new episode
 * at t = 2. After t = 2, V(next obs) is 4 (env 0) and 6 (env 1).
 *
 * Env 0: r = [1, 2, 3], V = [0.5, 1, 2]
 *   t2: δ = 3 + 0.5·4 − 2 = 3                         A = 3                 R = 5
 *   t1: terminated, no bootstrap: δ = 2 + 0 − 1 = 1   A = 1 (no carry)      R = 2
 *   t0: δ = 1 + 0.5·1 − 0.5 = 1                       A = 1 + 0.25·1 = 1.25 R = 1.75
 * Env 1: r = [1, 1, 1], V = [1, 2, 3]
 *   t2: δ = 1 + 0.5·6 − 3 = 1                         A = 1                 R = 4
 *   t1: truncated, bootstrap V(final) = 10: δ = 1 + 0.5·10 − 2 = 4, A = 4    R = 6
 *   t0: δ = 1 + 0.5·2 − 1 = 1                         A = 1 + 0.25·4 = 2    R = 3
 */
function handBuiltRollout(): RolloutBuffer {
  const buf = new RolloutBuffer({ numSteps: 3, numEnvs: 2, obsSize: 1, actionSize: 1 });
  const step = (obs: number[], rewards: number[], terminated: number[], truncated: number[], nextObs: number[]) =>
    buf.add({
      obs: Float32Array.from(obs),
      actions: Float32Array.from([0, 1]),
      logProbs: Float32Array.from([-0.5, -0.7]),
      rewards,
      terminated: Uint8Array.from(terminated),
      truncated: Uint8Array.from(truncated),
      nextObs: Float32Array.from(nextObs),
    });
  step([0.5, 1], [1, 1], [0, 0], [0, 0], [1, 2]);
  // Env 0's final observation is worth 99 to the critic: it must never be used (terminated).
  step([1, 2], [2, 1], [1, 0], [0, 1], [99, 10]);
  step([2, 3], [3, 1], [0, 0], [0, 0], [4, 6]);
  return buf;
}

/** The fake critic: the value of an observation is its single float. */
function valueOf(queries: { obs: Float32Array; n: number }): Float32Array {
  return queries.obs.slice(0, queries.n);
}

describe('GAE and the truncation bootstrap', () => {
  it('matches hand-computed advantages and returns (terminated and truncated episodes in one rollout)', () => {
    const buf = handBuiltRollout();
    expect(buf.full).toBe(true);
    const q = buf.valueQueries();
    // 6 stored observations + 1 truncated final observation + 2 last observations.
    expect(q.n).toBe(9);
    expect(Array.from(q.obs)).toEqual([0.5, 1, 1, 2, 2, 3, 10, 4, 6]);
    buf.computeReturnsAndAdvantages(valueOf(q), 0.5, 0.5);
    // Rows are time-major: [t0 env0, t0 env1, t1 env0, t1 env1, t2 env0, t2 env1].
    const expectedAdv = [1.25, 2, 1, 4, 3, 1];
    const expectedRet = [1.75, 3, 2, 6, 5, 4];
    expectedAdv.forEach((a, k) => expect(buf.advantages[k]).toBeCloseTo(a, 6));
    expectedRet.forEach((r, k) => expect(buf.returns[k]).toBeCloseTo(r, 6));
    expect(buf.finalValues[3]).toBe(10);
    expect(Array.from(buf.lastValues)).toEqual([4, 6]);
  });

  it('treating the truncation as a termination would give a different target (the test can fail)', () => {
    const buf = handBuiltRollout();
    buf.truncated[3] = 0;
    buf.terminated[3] = 1;
    buf.computeReturnsAndAdvantages(Float32Array.from([0.5, 1, 1, 2, 2, 3, 4, 6]), 0.5, 0.5);
    expect(buf.returns[3]).toBeCloseTo(1, 6); // r only, instead of r + γ·V(final) = 6
  });

  it('a step both terminated and truncated is stored as terminated (no bootstrap)', () => {
    const buf = new RolloutBuffer({ numSteps: 1, numEnvs: 1, obsSize: 1, actionSize: 1 });
    buf.add({ obs: Float32Array.of(3), actions: Float32Array.of(0), logProbs: Float32Array.of(0), rewards: [1], terminated: [1], truncated: [1], nextObs: Float32Array.of(50) });
    expect(buf.truncatedRows()).toEqual([]);
    const q = buf.valueQueries();
    buf.computeReturnsAndAdvantages(valueOf(q), 0.9, 0.95);
    expect(buf.returns[0]).toBeCloseTo(1, 6);
    expect(buf.advantages[0]).toBeCloseTo(1 - 3, 6);
  });

  it('λ = 1 gives discounted Monte-Carlo returns, bootstrapped from V(next obs) only at the rollout end', () => {
    // One env, 4 steps, episode ends (terminated) at t = 1; the next episode runs past the rollout.
    const rewards = [1, 1, 2, 3];
    const values = [7, 7, 7, 7];
    const adv = new Float32Array(4);
    const ret = new Float32Array(4);
    computeGae({ numSteps: 4, numEnvs: 1, rewards, values, terminated: [0, 1, 0, 0], truncated: [0, 0, 0, 0], finalValues: [0, 0, 0, 0], lastValues: [10], gamma: 0.9, lambda: 1, advantages: adv, returns: ret });
    expect(ret[1]).toBeCloseTo(1, 5);
    expect(ret[0]).toBeCloseTo(1 + 0.9 * 1, 5);
    expect(ret[3]).toBeCloseTo(3 + 0.9 * 10, 5);
    expect(ret[2]).toBeCloseTo(2 + 0.9 * (3 + 0.9 * 10), 5);
    for (let k = 0; k < 4; k++) expect(adv[k]).toBeCloseTo(ret[k] - values[k], 5);
  });

  it('λ = 0 gives one-step TD errors', () => {
    const adv = new Float32Array(2);
    const ret = new Float32Array(2);
    computeGae({ numSteps: 2, numEnvs: 1, rewards: [1, 2], values: [3, 4], terminated: [0, 0], truncated: [0, 0], finalValues: [0, 0], lastValues: [5], gamma: 0.5, lambda: 0, advantages: adv, returns: ret });
    expect(adv[0]).toBeCloseTo(1 + 0.5 * 4 - 3, 6);
    expect(adv[1]).toBeCloseTo(2 + 0.5 * 5 - 4, 6);
  });

  it('rejects a value batch of the wrong length and queries before the rollout is complete', () => {
    const buf = handBuiltRollout();
    expect(() => buf.computeReturnsAndAdvantages(new Float32Array(8), 0.9, 0.9)).toThrow(/expected 9 values/);
    const partial = new RolloutBuffer({ numSteps: 3, numEnvs: 2, obsSize: 1, actionSize: 1 });
    expect(() => partial.valueQueries()).toThrow(/not complete/);
  });
});

describe('advantage normalisation and explained variance', () => {
  it('normalises to zero mean and unit (population) standard deviation', () => {
    const a = normalizeAdvantages(Float32Array.from([1, 2, 3, 4]));
    const std = Math.sqrt(1.25);
    [1, 2, 3, 4].forEach((x, i) => expect(a[i]).toBeCloseTo((x - 2.5) / std, 5));
    const mean = a.reduce((s, x) => s + x, 0) / 4;
    expect(mean).toBeCloseTo(0, 6);
  });

  it('leaves a constant batch finite (zero)', () => {
    const a = normalizeAdvantages(Float32Array.from([5, 5, 5]));
    expect(Array.from(a)).toEqual([0, 0, 0]);
  });

  it('explained variance: 1 for a perfect fit, 0 for a constant guess, negative when worse', () => {
    const target = [1, 2, 3, 4];
    expect(explainedVariance(target, target)).toBeCloseTo(1, 10);
    expect(explainedVariance([2.5, 2.5, 2.5, 2.5], target)).toBeCloseTo(0, 10);
    expect(explainedVariance([4, 3, 2, 1], target)).toBeLessThan(0);
    expect(explainedVariance([1, 1], [3, 3])).toBe(0);
  });
});

describe('RolloutBuffer state', () => {
  it('round-trips a partly filled rollout exactly', () => {
    const a = new RolloutBuffer({ numSteps: 3, numEnvs: 2, obsSize: 1, actionSize: 1 });
    a.add({ obs: Float32Array.of(0.1, 0.2), actions: Float32Array.of(1, 0), logProbs: Float32Array.of(-0.1, -0.2), rewards: [0.3, 1 / 3], terminated: [0, 1], truncated: [1, 0], nextObs: Float32Array.of(0.7, 0.8) });
    const s = a.getState();
    const b = new RolloutBuffer({ numSteps: 3, numEnvs: 2, obsSize: 1, actionSize: 1 });
    b.setState(JSON.parse(JSON.stringify(s.json)), s.blobs);
    expect(b.pos).toBe(1);
    expect(Array.from(b.rewards)).toEqual(Array.from(a.rewards));
    expect(Array.from(b.obs)).toEqual(Array.from(a.obs));
    expect(Array.from(b.truncated)).toEqual([1, 0, 0, 0, 0, 0]);
    expect(Array.from(b.finalObs)).toEqual(Array.from(a.finalObs));
    const wrongSize = new RolloutBuffer({ numSteps: 4, numEnvs: 2, obsSize: 1, actionSize: 1 });
    expect(() => wrongSize.setState(s.json, s.blobs)).toThrow(/numSteps/);
  });
});
