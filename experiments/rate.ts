/**
 * Throughput measurement for the benchmarks: runs `fn(iterations)` with growing iteration counts until one
 * call takes `seconds`, after one warm-up call; returns iterations per second.
 */
export function rate(fn: (iters: number) => void, seconds: number): number {
  let iters = 1;
  fn(1); // warm up
  for (;;) {
    const t0 = performance.now();
    fn(iters);
    const dt = (performance.now() - t0) / 1000;
    if (dt >= seconds) return iters / dt;
    iters = Math.ceil(iters * Math.min(10, Math.max(2, (seconds * 1.2) / Math.max(dt, 1e-4))));
  }
}
