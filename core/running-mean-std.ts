/**
 * Running mean and variance over batches (Chan et al.'s parallel update), float64. Used by the
 * NormalizeObservation wrapper and by agents that normalise observations; its state is saved in
 * checkpoints so evaluation and replay see the same normalisation as training.
 */
export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  /** Starts at a tiny epsilon (as SB3/Gymnasium) so the first update is well defined. */
  count = 1e-4;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
  }

  /** Updates with `n` rows of `size` values stored row-major in `batch`. */
  update(batch: ArrayLike<number>, n = batch.length / this.size): void {
    if (n <= 0) return;
    const d = this.size;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += batch[i * d + j];
      const bMean = s / n;
      let ss = 0;
      for (let i = 0; i < n; i++) {
        const e = batch[i * d + j] - bMean;
        ss += e * e;
      }
      const bVar = ss / n;
      const delta = bMean - this.mean[j];
      const tot = this.count + n;
      this.mean[j] += (delta * n) / tot;
      const m2 = this.var[j] * this.count + bVar * n + (delta * delta * this.count * n) / tot;
      this.var[j] = m2 / tot;
    }
    this.count += n;
  }

  /** Writes `clip((x - mean) / sqrt(var + eps))` into `out` for `n` rows. */
  normalize(x: ArrayLike<number>, out: Float32Array, clip = Infinity, eps = 1e-8): Float32Array {
    const d = this.size;
    for (let i = 0; i < x.length; i++) {
      const j = i % d;
      const v = (x[i] - this.mean[j]) / Math.sqrt(this.var[j] + eps);
      out[i] = v > clip ? clip : v < -clip ? -clip : v;
    }
    return out;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  setState(s: RunningMeanStdState): void {
    if (s.mean.length !== this.size || s.var.length !== this.size) {
      throw new Error(`RunningMeanStd: saved state has size ${s.mean.length}, expected ${this.size}`);
    }
    this.mean.set(s.mean);
    this.var.set(s.var);
    this.count = s.count;
  }
}
