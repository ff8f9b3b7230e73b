/** Peak memory growth over a baseline taken after a full garbage collection. */
export interface MemoryGrowth {
  /** Highest `rss` seen minus the baseline, in bytes. */
  peakRssBytes: number;
  /** Highest `heapUsed` seen minus the baseline, in bytes. */
  peakHeapBytes: number;
  /** `heapUsed` after a full collection at the end, minus the baseline: what stayed reachable. */
  retainedHeapBytes: number;
  baselineRssBytes: number;
  baselineHeapBytes: number;
  samples: number;
  intervalMs: number;
}

/** A running sampler; `stop` ends it and returns the growth. */
export interface MemorySampler {
  stop(): MemoryGrowth;
}

/**
 * Collects garbage (needs `node --expose-gc`), takes the baseline, then samples `rss` and
 * `heapUsed` every `intervalMs` (and once more at the end) until stopped.
 */
export function startMemorySampler(intervalMs = 50): MemorySampler {
  const collect = requireGc();
  collect();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  let samples = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    samples++;
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      collect();
      return {
        peakRssBytes: peakRss - baseline.rss,
        peakHeapBytes: peakHeap - baseline.heapUsed,
        retainedHeapBytes: process.memoryUsage().heapUsed - baseline.heapUsed,
        baselineRssBytes: baseline.rss,
        baselineHeapBytes: baseline.heapUsed,
        samples,
        intervalMs,
      };
    },
  };
}

/** Runs a full garbage collection when the process has `--expose-gc` (no-op otherwise). */
export function collectGarbage(): void {
  globalThis.gc?.();
}

function requireGc(): () => void {
  const collect = globalThis.gc;
  if (typeof collect !== 'function') {
    throw new Error('memory measurements need `node --expose-gc` (the bench script passes it)');
  }
  return () => collect();
}
