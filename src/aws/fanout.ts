import pMap from 'p-map';

export type Settled<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: unknown };

/**
 * Runs `work` over every item with at most `concurrency` at once, each under its own time limit.
 * A failure is collected for its item and never stops the others. A worker is handed an AbortSignal
 * that fires at its time limit (or when the whole run is cancelled); it passes it to its AWS calls.
 */
export async function fanOut<T, R>(
  items: readonly T[],
  work: (item: T, signal: AbortSignal) => Promise<R>,
  options: {
    concurrency: number;
    timeoutMs: number;
    signal?: AbortSignal;
    onSettled?: (s: Settled<T, R>) => void;
  },
): Promise<Settled<T, R>[]> {
  return pMap(
    items,
    async (item): Promise<Settled<T, R>> => {
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
      let settled: Settled<T, R>;
      try {
        // Racing the abort means a worker that ignores its signal still ends at its time limit.
        const value = await Promise.race([work(item, signal), abortion(signal)]);
        settled = { item, ok: true, value };
      } catch (error) {
        settled = { item, ok: false, error };
      }
      options.onSettled?.(settled);
      return settled;
    },
    { concurrency: options.concurrency },
  );
}

function abortion(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
