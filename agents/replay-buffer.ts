/**
 * The replay buffer: a ring of `capacity` transitions in typed arrays, one array per field (structure of
 * arrays), so memory is close to the raw data size — a CartPole transition is 2·4 obs floats + action +
 * return + discount + two flag bytes ≈ 46 bytes, so 1 M transitions take ≈ 46 MB.
 * - Storage: rows are allocated for `expectedSize` transitions (the run's budget), not for `capacity`, and
 *   doubled (up to `capacity`) if more arrive. A 1 M-capacity buffer in a 20k-step run holds 20k rows, so
 *   many seeds can train side by side; where a row lives, and so every sample, is the same either way.
 *
 * - Actions: `Discrete` actions are stored as one Int32 index per transition; `Box` actions as a Float32 row
 *   of `actionSize` values (the action the env received, already inside the box).
 * - `terminated` and `truncated` are stored separately. The TD target bootstraps through truncation (the
 *   episode was cut, the state was not terminal) and never through termination. Every off-policy agent
 *   applies that rule in one place: `bootstrapMask` below.
 * - n-step returns (option): per env, the last n transitions are held back and stored as one transition
 *   (s_t, a_t, Σ γ^k r_{t+k}, s_{t+m}, γ^m) with m ≤ n; an episode end flushes the queue with shorter m.
 *   `discounts` holds γ^m, so the target is `R + discount · (1 − terminated) · V(next)`.
 * - Prioritised replay (option, Schaul et al. 2016): proportional priorities p^α in a sum tree; importance
 *   weights (N·P(i))^−β, normalised by the largest weight in the sampled batch.
 * All sampling draws from the seeded Rng passed in.
 */
import type { Rng } from '../core/rng.js';
import type { TransitionBatch } from './agent.js';

export interface ReplayBufferOptions {
  /** Transitions kept: the oldest is overwritten beyond this. */
  capacity: number;
  /**
   * Transitions expected in all (e.g. the run's env-step budget): rows allocated up front (default:
   * `capacity`). Prioritised buffers allocate `capacity` rows, as their sum tree does.
   */
  expectedSize?: number;
  obsSize: number;
  /** 'discrete' (default): one integer action per transition; 'box': `actionSize` floats per transition. */
  actionKind?: 'discrete' | 'box';
  /** Floats per Box action (ignored for discrete). */
  actionSize?: number;
  numEnvs: number;
  gamma: number;
  nStep?: number;
  prioritized?: boolean;
  alpha?: number;
  /** Added to |TD error| so no transition gets priority 0. */
  priorityEps?: number;
}

/** A sampled minibatch; arrays are reused between calls (copy what you keep). */
export interface ReplaySample {
  size: number;
  indices: Int32Array;
  obs: Float32Array;
  /** `size` indices (discrete) or `size × actionSize` floats (box). */
  actions: Int32Array | Float32Array;
  returns: Float32Array;
  nextObs: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  discounts: Float32Array;
  /** Importance-sampling weights (all 1 without prioritisation). */
  weights: Float32Array;
}

export interface ReplayBufferJSON {
  pos: number;
  size: number;
  maxPriority: number;
  /** Held-back n-step transitions per env (`action`: the index, or the Box row). */
  pending: { obs: number[]; action: number | number[]; reward: number }[][];
}

/** One held-back n-step transition: the observation, the action row, the reward. */
interface PendingTransition {
  obs: Float32Array;
  action: Int32Array | Float32Array;
  reward: number;
}

/**
 * Where a TD target may bootstrap: 1 − terminated. A truncated transition (time limit) still bootstraps
 * from its final observation, which the vector env kept for us before autoresetting — the state was not
 * terminal, the episode was only cut. This is the one place that rule lives; agents multiply the
 * discounted next-state value by it.
 */
export function bootstrapMask(s: ReplaySample, i: number): number {
  return s.terminated[i] ? 0 : 1;
}

/** A binary sum tree over `capacity` leaves: O(log n) update and prefix-sum search. */
export class SumTree {
  readonly tree: Float64Array;
  private readonly leaves: number;

  constructor(readonly capacity: number) {
    let leaves = 1;
    while (leaves < capacity) leaves *= 2;
    this.leaves = leaves;
    this.tree = new Float64Array(2 * leaves);
  }

  get total(): number {
    return this.tree[1];
  }

  get(i: number): number {
    return this.tree[this.leaves + i];
  }

  set(i: number, value: number): void {
    let node = this.leaves + i;
    this.tree[node] = value;
    node >>= 1;
    while (node >= 1) {
      this.tree[node] = this.tree[2 * node] + this.tree[2 * node + 1];
      node >>= 1;
    }
  }

  /** The leaf whose cumulative-sum interval contains `mass` (0 ≤ mass < total). */
  find(mass: number): number {
    let node = 1;
    while (node < this.leaves) {
      const left = 2 * node;
      if (mass < this.tree[left] || this.tree[left + 1] === 0) node = left;
      else {
        mass -= this.tree[left];
        node = left + 1;
      }
    }
    return Math.min(node - this.leaves, this.capacity - 1);
  }
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  readonly nStep: number;
  readonly gamma: number;
  readonly prioritized: boolean;
  readonly alpha: number;
  readonly priorityEps: number;
  readonly actionKind: 'discrete' | 'box';
  /** Numbers per stored action: 1 for discrete, the box size for box. */
  readonly actionSize: number;
  // The stored fields, row i = transition i (the first `size` rows hold data). Read them, do not keep them:
  // growing the storage replaces the arrays.
  obs: Float32Array;
  nextObs: Float32Array;
  actions: Int32Array | Float32Array;
  returns: Float32Array;
  discounts: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** Rows allocated in each field (≤ capacity; grows while the ring has not yet wrapped). */
  private rows: number;
  readonly tree: SumTree | undefined;
  private pos = 0;
  private count = 0;
  private maxPriority = 1;
  /** Per env: the transitions held back until n steps of reward are known. */
  private pending: PendingTransition[][];
  private sampleBuf: ReplaySample | undefined;

  constructor(opts: ReplayBufferOptions) {
    this.capacity = opts.capacity;
    this.obsSize = opts.obsSize;
    this.nStep = opts.nStep ?? 1;
    this.gamma = opts.gamma;
    this.prioritized = opts.prioritized ?? false;
    this.alpha = opts.alpha ?? 0.6;
    this.priorityEps = opts.priorityEps ?? 1e-6;
    this.actionKind = opts.actionKind ?? 'discrete';
    this.actionSize = this.actionKind === 'box' ? (opts.actionSize ?? 1) : 1;
    if (!Number.isInteger(this.actionSize) || this.actionSize < 1) throw new RangeError(`ReplayBuffer: actionSize must be a positive integer, got ${opts.actionSize}`);
    if (!Number.isInteger(this.capacity) || this.capacity <= 0) throw new RangeError(`ReplayBuffer: capacity must be a positive integer, got ${this.capacity}`);
    if (!Number.isInteger(this.nStep) || this.nStep < 1) throw new RangeError(`ReplayBuffer: nStep must be an integer >= 1, got ${this.nStep}`);
    const expected = opts.expectedSize ?? this.capacity;
    if (!(Number.isInteger(expected) && expected > 0)) throw new RangeError(`ReplayBuffer: expectedSize must be a positive integer, got ${opts.expectedSize}`);
    const c = (this.rows = this.prioritized ? this.capacity : Math.min(this.capacity, expected));
    this.obs = new Float32Array(c * this.obsSize);
    this.nextObs = new Float32Array(c * this.obsSize);
    this.actions = this.actionKind === 'box' ? new Float32Array(c * this.actionSize) : new Int32Array(c);
    this.returns = new Float32Array(c);
    this.discounts = new Float32Array(c);
    this.terminated = new Uint8Array(c);
    this.truncated = new Uint8Array(c);
    this.tree = this.prioritized ? new SumTree(this.capacity) : undefined;
    this.pending = Array.from({ length: opts.numEnvs }, () => []);
  }

  get size(): number {
    return this.count;
  }

  /** Grows the storage to at least `rows` rows (doubling, at most `capacity`), keeping what is stored. */
  private reserve(rows: number): void {
    if (rows <= this.rows) return;
    let n = this.rows;
    while (n < rows) n = Math.min(this.capacity, n * 2);
    const grown = <T extends Float32Array | Int32Array | Uint8Array>(a: T, perRow: number): T => {
      const b = new (a.constructor as new (len: number) => T)(n * perRow);
      b.set(a);
      return b;
    };
    this.obs = grown(this.obs, this.obsSize);
    this.nextObs = grown(this.nextObs, this.obsSize);
    this.actions = grown(this.actions, this.actionSize);
    this.returns = grown(this.returns, 1);
    this.discounts = grown(this.discounts, 1);
    this.terminated = grown(this.terminated, 1);
    this.truncated = grown(this.truncated, 1);
    this.rows = n;
  }

  /** Bytes held by the stored arrays. */
  get byteLength(): number {
    return this.obs.byteLength + this.nextObs.byteLength + this.actions.byteLength + this.returns.byteLength + this.discounts.byteLength + this.terminated.byteLength + this.truncated.byteLength + (this.tree?.tree.byteLength ?? 0);
  }

  /** Adds one vector step of transitions (`batch.actions`: n indices, or n × actionSize Box values). */
  add(batch: TransitionBatch): void {
    const d = this.obsSize;
    const k = this.actionSize;
    if (batch.actions.length < batch.n * k) throw new RangeError(`ReplayBuffer.add: ${batch.n} transitions need ${batch.n * k} action values, got ${batch.actions.length}`);
    for (let i = 0; i < batch.n; i++) {
      const term = batch.terminated[i] === 1;
      const trunc = batch.truncated[i] === 1;
      if (this.nStep === 1) {
        this.store(batch.obs, i * d, batch.actions, i * k, batch.rewards[i], batch.nextObs, i * d, this.gamma, term, trunc);
        continue;
      }
      const queue = this.pending[i];
      queue.push({ obs: batch.obs.slice(i * d, (i + 1) * d), action: this.actionRow(batch.actions, i), reward: batch.rewards[i] });
      if (term || trunc) {
        // The episode ended: every held-back transition gets its (shorter) return now.
        while (queue.length) this.flushOldest(queue, batch.nextObs, i * d, term, trunc);
      } else if (queue.length === this.nStep) {
        this.flushOldest(queue, batch.nextObs, i * d, false, false);
      }
    }
  }

  /** A copy of action row `i` in the buffer's storage type. */
  private actionRow(actions: ArrayLike<number>, i: number): Int32Array | Float32Array {
    const k = this.actionSize;
    const row = this.actionKind === 'box' ? new Float32Array(k) : new Int32Array(1);
    for (let j = 0; j < k; j++) row[j] = actions[i * k + j];
    return row;
  }

  private flushOldest(queue: PendingTransition[], next: Float32Array, nextOffset: number, term: boolean, trunc: boolean): void {
    let ret = 0;
    let disc = 1;
    for (const t of queue) {
      ret += disc * t.reward;
      disc *= this.gamma;
    }
    const first = queue.shift()!;
    this.store(first.obs, 0, first.action, 0, ret, next, nextOffset, disc, term, trunc);
  }

  private store(obs: Float32Array, o: number, actions: ArrayLike<number>, ao: number, ret: number, next: Float32Array, no: number, discount: number, term: boolean, trunc: boolean): void {
    const d = this.obsSize;
    const k = this.actionSize;
    const p = this.pos;
    // Before the ring first wraps, pos runs past the allocated rows only if more arrive than expected.
    if (p >= this.rows) this.reserve(p + 1);
    this.obs.set(obs.subarray(o, o + d), p * d);
    this.nextObs.set(next.subarray(no, no + d), p * d);
    for (let j = 0; j < k; j++) this.actions[p * k + j] = actions[ao + j];
    this.returns[p] = ret;
    this.discounts[p] = discount;
    this.terminated[p] = term ? 1 : 0;
    this.truncated[p] = trunc ? 1 : 0;
    // New transitions get the largest priority seen, so each is replayed at least about once.
    this.tree?.set(p, Math.pow(this.maxPriority, this.alpha));
    this.pos = (p + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Samples `size` transitions (uniformly, or by priority with IS exponent `beta`). */
  sample(size: number, rng: Rng, beta = 0.4): ReplaySample {
    if (this.count === 0) throw new Error('ReplayBuffer.sample: the buffer is empty');
    const s = this.sampleBuffer(size);
    if (this.tree) {
      const total = this.tree.total;
      const segment = total / size;
      let maxW = 0;
      for (let k = 0; k < size; k++) {
        // Stratified: one draw per equal-mass segment.
        const idx = this.tree.find((k + rng.random()) * segment);
        s.indices[k] = idx;
        const prob = this.tree.get(idx) / total;
        const w = Math.pow(this.count * prob, -beta);
        s.weights[k] = w;
        if (w > maxW) maxW = w;
      }
      for (let k = 0; k < size; k++) s.weights[k] /= maxW;
    } else {
      for (let k = 0; k < size; k++) s.indices[k] = rng.int(this.count);
      s.weights.fill(1);
    }
    const d = this.obsSize;
    const a = this.actionSize;
    for (let k = 0; k < size; k++) {
      const i = s.indices[k];
      // Element loops, not subarray + set: observations are a few floats, and two subarray views per
      // sampled row cost more than the copy (this gather runs for every gradient step).
      for (let j = 0, src = i * d, dst = k * d; j < d; j++) {
        s.obs[dst + j] = this.obs[src + j];
        s.nextObs[dst + j] = this.nextObs[src + j];
      }
      if (a === 1) s.actions[k] = this.actions[i];
      else for (let j = 0; j < a; j++) s.actions[k * a + j] = this.actions[i * a + j];
      s.returns[k] = this.returns[i];
      s.discounts[k] = this.discounts[i];
      s.terminated[k] = this.terminated[i];
      s.truncated[k] = this.truncated[i];
    }
    return s;
  }

  /** Sets priorities from |TD errors| of the last sample (prioritised buffers only). */
  updatePriorities(indices: Int32Array, tdErrors: ArrayLike<number>): void {
    if (!this.tree) return;
    for (let k = 0; k < indices.length; k++) {
      const p = Math.abs(tdErrors[k]) + this.priorityEps;
      if (p > this.maxPriority) this.maxPriority = p;
      this.tree.set(indices[k], Math.pow(p, this.alpha));
    }
  }

  private sampleBuffer(size: number): ReplaySample {
    if (this.sampleBuf?.size === size) return this.sampleBuf;
    const d = this.obsSize;
    this.sampleBuf = {
      size,
      indices: new Int32Array(size),
      obs: new Float32Array(size * d),
      actions: this.actionKind === 'box' ? new Float32Array(size * this.actionSize) : new Int32Array(size),
      returns: new Float32Array(size),
      nextObs: new Float32Array(size * d),
      terminated: new Uint8Array(size),
      truncated: new Uint8Array(size),
      discounts: new Float32Array(size),
      weights: new Float32Array(size),
    };
    return this.sampleBuf;
  }

  /** Serialisable state: JSON counters plus the filled part of each array as raw bytes. */
  getState(): { json: ReplayBufferJSON; blobs: Record<string, Uint8Array> } {
    const n = this.count;
    const d = this.obsSize;
    const bytes = (a: ArrayBufferView & { BYTES_PER_ELEMENT: number }, len: number) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + len * a.BYTES_PER_ELEMENT));
    const blobs: Record<string, Uint8Array> = {
      'replay.obs': bytes(this.obs, n * d),
      'replay.nextObs': bytes(this.nextObs, n * d),
      'replay.actions': bytes(this.actions, n * this.actionSize),
      'replay.returns': bytes(this.returns, n),
      'replay.discounts': bytes(this.discounts, n),
      'replay.terminated': bytes(this.terminated, n),
      'replay.truncated': bytes(this.truncated, n),
    };
    if (this.tree) blobs['replay.priorities'] = new Uint8Array(Float64Array.from({ length: n }, (_, i) => this.tree!.get(i)).buffer);
    return {
      json: {
        pos: this.pos,
        size: n,
        maxPriority: this.maxPriority,
        pending: this.pending.map((q) => q.map((t) => ({ obs: Array.from(t.obs), action: this.actionKind === 'box' ? Array.from(t.action) : t.action[0], reward: t.reward }))),
      },
      blobs,
    };
  }

  setState(json: ReplayBufferJSON, blobs: Record<string, Uint8Array>): void {
    if (!(Number.isInteger(json.size) && json.size >= 0 && Number.isInteger(json.pos) && json.pos >= 0 && json.pos < this.capacity)) throw new Error(`replay buffer checkpoint has invalid size ${json.size} / position ${json.pos} for capacity ${this.capacity}`);
    if (json.size > this.capacity) throw new Error(`replay buffer checkpoint holds ${json.size} transitions, capacity is ${this.capacity}`);
    this.reserve(json.size);
    const load = (name: string, target: Float32Array | Int32Array | Uint8Array | Float64Array) => {
      const b = blobs[name];
      if (!b) throw new Error(`replay buffer checkpoint is missing '${name}'`);
      // A short or long blob is another buffer's state or a damaged file: never load part of it.
      const expected = (target.byteLength / this.rows) * json.size; // the first `size` rows are saved
      if (b.byteLength !== expected) throw new Error(`replay buffer checkpoint '${name}' is ${b.byteLength} bytes, expected ${expected} for ${json.size} transitions`);
      const copy = new Uint8Array(b); // aligned copy
      const Ctor = target.constructor as new (buf: ArrayBuffer) => typeof target;
      target.set(new Ctor(copy.buffer) as never);
    };
    load('replay.obs', this.obs);
    load('replay.nextObs', this.nextObs);
    load('replay.actions', this.actions);
    load('replay.returns', this.returns);
    load('replay.discounts', this.discounts);
    load('replay.terminated', this.terminated);
    load('replay.truncated', this.truncated);
    this.pos = json.pos;
    this.count = json.size;
    this.maxPriority = json.maxPriority;
    if (this.tree) {
      const raw = blobs['replay.priorities'];
      if (!raw || raw.byteLength !== json.size * 8) throw new Error(`replay buffer checkpoint 'replay.priorities' is ${raw ? `${raw.byteLength} bytes` : 'missing'}, expected ${json.size * 8} for ${json.size} transitions`);
      const pr = new Float64Array(new Uint8Array(raw).buffer);
      for (let i = 0; i < pr.length; i++) this.tree.set(i, pr[i]);
    }
    this.pending = json.pending.map((q) => q.map((t) => ({ obs: Float32Array.from(t.obs), action: this.actionRow(typeof t.action === 'number' ? [t.action] : t.action, 0), reward: t.reward })));
  }
}
