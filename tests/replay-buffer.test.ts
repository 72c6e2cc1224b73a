import { describe, expect, it } from 'vitest';
import { ReplayBuffer, SumTree } from '../agents/replay-buffer.js';
import type { TransitionBatch } from '../agents/agent.js';
import { Rng } from '../core/rng.js';

/** One env, obs = [t], action t % 2, reward t, with optional episode ends. */
function batch(t: number, opts: { terminated?: boolean; truncated?: boolean } = {}): TransitionBatch {
  return {
    n: 1,
    obs: new Float32Array([t]),
    actions: new Int32Array([t % 2]),
    rewards: new Float64Array([t]),
    nextObs: new Float32Array([t + 0.5]),
    terminated: new Uint8Array([opts.terminated ? 1 : 0]),
    truncated: new Uint8Array([opts.truncated ? 1 : 0]),
  };
}

describe('ReplayBuffer', () => {
  it('is a ring: keeps the newest `capacity` transitions', () => {
    const buf = new ReplayBuffer({ capacity: 5, obsSize: 1, numEnvs: 1, gamma: 0.9 });
    for (let t = 0; t < 8; t++) buf.add(batch(t));
    expect(buf.size).toBe(5);
    expect(Array.from(buf.obs).sort()).toEqual([3, 4, 5, 6, 7]);
    expect(Array.from(buf.nextObs).sort()).toEqual([3.5, 4.5, 5.5, 6.5, 7.5]);
    // 1-step transitions are discounted by gamma.
    expect(buf.discounts.every((d) => d === Math.fround(0.9))).toBe(true);
  });

  it('stores terminated and truncated separately', () => {
    const buf = new ReplayBuffer({ capacity: 4, obsSize: 1, numEnvs: 1, gamma: 0.9 });
    buf.add(batch(0));
    buf.add(batch(1, { terminated: true }));
    buf.add(batch(2, { truncated: true }));
    expect(Array.from(buf.terminated.subarray(0, 3))).toEqual([0, 1, 0]);
    expect(Array.from(buf.truncated.subarray(0, 3))).toEqual([0, 0, 1]);
  });

  it('holds 1M CartPole transitions in well under 100 MB', () => {
    const buf = new ReplayBuffer({ capacity: 1_000_000, obsSize: 4, numEnvs: 1, gamma: 0.99 });
    expect(buf.byteLength).toBeLessThan(50 * 2 ** 20);
  });

  it('allocates rows for expectedSize, grows past it, and stores and samples exactly as a full allocation', () => {
    const full = new ReplayBuffer({ capacity: 1_000, obsSize: 1, numEnvs: 1, gamma: 0.9, nStep: 2 });
    const small = new ReplayBuffer({ capacity: 1_000, expectedSize: 10, obsSize: 1, numEnvs: 1, gamma: 0.9, nStep: 2 });
    expect(small.byteLength).toBeLessThan(full.byteLength / 50);
    // 37 transitions: past the expected 10, so the storage doubles (10 → 20 → 40 rows), never past capacity.
    for (let t = 0; t < 37; t++) for (const b of [full, small]) b.add(batch(t, { terminated: t % 9 === 8 }));
    expect(small.size).toBe(full.size);
    expect(small.obs.length).toBe(40);
    const n = full.size;
    for (const f of ['obs', 'nextObs', 'actions', 'returns', 'discounts', 'terminated', 'truncated'] as const) expect(Array.from(small[f].subarray(0, n)), f).toEqual(Array.from(full[f].subarray(0, n)));
    const a = full.sample(16, new Rng(3));
    const b = small.sample(16, new Rng(3));
    expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
    expect(Array.from(b.returns)).toEqual(Array.from(a.returns));
    // A ring smaller than the expected size wraps at its capacity as before.
    const ring = new ReplayBuffer({ capacity: 5, expectedSize: 100, obsSize: 1, numEnvs: 1, gamma: 0.9 });
    for (let t = 0; t < 8; t++) ring.add(batch(t));
    expect(Array.from(ring.obs).sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('a checkpoint of a grown buffer loads into one allocated for fewer rows (a resumed run with a larger budget)', () => {
    const src = new ReplayBuffer({ capacity: 1_000, expectedSize: 10, obsSize: 1, numEnvs: 1, gamma: 0.9 });
    for (let t = 0; t < 25; t++) src.add(batch(t));
    const { json, blobs } = src.getState();
    const dst = new ReplayBuffer({ capacity: 1_000, expectedSize: 4, obsSize: 1, numEnvs: 1, gamma: 0.9 });
    dst.setState(json, blobs);
    expect(dst.size).toBe(25);
    expect(Array.from(dst.obs.subarray(0, 25))).toEqual(Array.from(src.obs.subarray(0, 25)));
    dst.add(batch(25));
    src.add(batch(25));
    expect(dst.obs[25]).toBe(25);
    expect(Array.from(dst.sample(8, new Rng(5)).obs)).toEqual(Array.from(src.sample(8, new Rng(5)).obs));
    expect(() => new ReplayBuffer({ capacity: 10, expectedSize: 0, obsSize: 1, numEnvs: 1, gamma: 0.9 })).toThrow(/expectedSize/);
  });

  it('uniform sampling is seeded and covers the buffer', () => {
    const buf = new ReplayBuffer({ capacity: 100, obsSize: 1, numEnvs: 1, gamma: 0.9 });
    for (let t = 0; t < 100; t++) buf.add(batch(t));
    const a = Array.from(buf.sample(32, new Rng(1)).obs);
    const b = Array.from(buf.sample(32, new Rng(1)).obs);
    expect(a).toEqual(b);
    const seen = new Set<number>();
    const rng = new Rng(2);
    for (let k = 0; k < 50; k++) buf.sample(32, rng).obs.forEach((v) => seen.add(v));
    expect(seen.size).toBeGreaterThan(95);
  });

  it('n-step returns: sums n discounted rewards, and flushes shorter ones at episode ends', () => {
    const g = 0.5;
    const buf = new ReplayBuffer({ capacity: 20, obsSize: 1, numEnvs: 1, gamma: g, nStep: 3 });
    // Rewards 0,1,2,3 then termination at t=3; then 10,11 and truncation at t=11 (rewards = t).
    [0, 1, 2].forEach((t) => buf.add(batch(t)));
    expect(buf.size).toBe(1); // the first transition's 3-step return is known only now
    buf.add(batch(3, { terminated: true }));
    expect(buf.size).toBe(4);
    buf.add(batch(10));
    buf.add(batch(11, { truncated: true }));
    expect(buf.size).toBe(6);
    const rows = Array.from({ length: 6 }, (_, i) => ({
      obs: buf.obs[i], ret: buf.returns[i], next: buf.nextObs[i], disc: buf.discounts[i], term: buf.terminated[i], trunc: buf.truncated[i],
    }));
    // s0: r0 + g r1 + g² r2 = 0 + 0.5 + 0.5 = 1, next = obs after step 2, discount g³.
    expect(rows[0]).toEqual({ obs: 0, ret: 1, next: 2.5, disc: 0.125, term: 0, trunc: 0 });
    // s1: 1 + 0.5·2 + 0.25·3 = 2.75, ends in the terminal state.
    expect(rows[1]).toEqual({ obs: 1, ret: 2.75, next: 3.5, disc: 0.125, term: 1, trunc: 0 });
    // s2: 2 + 0.5·3 = 3.5 (2 steps), s3: 3 (1 step).
    expect(rows[2]).toEqual({ obs: 2, ret: 3.5, next: 3.5, disc: 0.25, term: 1, trunc: 0 });
    expect(rows[3]).toEqual({ obs: 3, ret: 3, next: 3.5, disc: 0.5, term: 1, trunc: 0 });
    // Truncated episode: 10 + 0.5·11 = 15.5 (2 steps), 11 (1 step); both keep bootstrapping (term 0).
    expect(rows[4]).toEqual({ obs: 10, ret: 15.5, next: 11.5, disc: 0.25, term: 0, trunc: 1 });
    expect(rows[5]).toEqual({ obs: 11, ret: 11, next: 11.5, disc: 0.5, term: 0, trunc: 1 });
  });

  it('prioritised sampling follows p^alpha and returns normalised importance weights', () => {
    const buf = new ReplayBuffer({ capacity: 4, obsSize: 1, numEnvs: 1, gamma: 0.9, prioritized: true, alpha: 1 });
    for (let t = 0; t < 4; t++) buf.add(batch(t));
    buf.updatePriorities(Int32Array.from([0, 1, 2, 3]), [1, 1, 2, 4]); // + tiny eps
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 2000; k++) buf.sample(4, rng, 1).indices.forEach((i) => counts[i]++);
    const total = counts.reduce((a, b) => a + b);
    [1 / 8, 1 / 8, 2 / 8, 4 / 8].forEach((p, i) => expect(counts[i] / total).toBeCloseTo(p, 1));
    // Weights (N·P)^-β / max: with β = 1, w ∝ 1/p, so priority 1 → 1 and priority 4 → 0.25.
    const s = buf.sample(4, rng, 1);
    for (let k = 0; k < 4; k++) {
      const p = [1, 1, 2, 4][s.indices[k]];
      expect(s.weights[k]).toBeCloseTo(Math.min(...Array.from(s.indices, (i) => [1, 1, 2, 4][i])) / p, 4);
    }
  });

  it('SumTree keeps prefix sums', () => {
    const t = new SumTree(5);
    [1, 2, 3, 4, 5].forEach((v, i) => t.set(i, v));
    expect(t.total).toBe(15);
    expect(t.find(0)).toBe(0);
    expect(t.find(0.99)).toBe(0);
    expect(t.find(1)).toBe(1);
    expect(t.find(5.5)).toBe(2);
    expect(t.find(14.9)).toBe(4);
    t.set(4, 0);
    expect(t.find(9.99)).toBe(3);
  });

  it('state round trip restores contents, position and pending n-step queues', () => {
    const mk = () => new ReplayBuffer({ capacity: 8, obsSize: 1, numEnvs: 1, gamma: 0.9, nStep: 2, prioritized: true });
    const a = mk();
    for (let t = 0; t < 11; t++) a.add(batch(t, { terminated: t === 6 }));
    const st = a.getState();
    const b = mk();
    b.setState(JSON.parse(JSON.stringify(st.json)), st.blobs);
    for (const buf of [a, b]) buf.add(batch(20));
    expect(Array.from(b.obs)).toEqual(Array.from(a.obs));
    expect(Array.from(b.returns)).toEqual(Array.from(a.returns));
    expect(Array.from(b.sample(8, new Rng(0)).indices)).toEqual(Array.from(a.sample(8, new Rng(0)).indices));
  });
});
