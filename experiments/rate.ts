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

/** CPU-seconds (user + system) this process has used so far: a machine-load-independent clock for benchmarks. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
