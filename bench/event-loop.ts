// How late an event loop runs, for the benchmarks that share it between processes: a late loop
// answers (or reads) every call late.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How often the loop is sampled; a sample is the time between two turns, so a loop on time reads this. */
const SAMPLE_MS = 10;

/** Mean and 99th percentile of the samples, in ms, as read (SAMPLE_MS when on time). */
export type LoopDelay = { mean: number; p99: number };

/** Starts sampling this process's event loop; each `read` covers the time since the one before. */
export function watchEventLoop() {
  const histogram = monitorEventLoopDelay({ resolution: SAMPLE_MS });
  histogram.enable();
  return {
    read(): LoopDelay {
      const delay = { mean: histogram.mean / 1e6, p99: histogram.percentile(99) / 1e6 };
      histogram.reset();
      return delay;
    },
    reset: () => histogram.reset(),
  };
}

/** How late the loop ran beyond its sampling interval. */
export const lateness = (d: LoopDelay) =>
  `mean ${(d.mean - SAMPLE_MS).toFixed(1)} ms, p99 ${(d.p99 - SAMPLE_MS).toFixed(0)} ms`;
