import pMap from 'p-map';
import { WardenError } from '../errors.js';

export type Settled<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: unknown };

export class TargetTimeoutError extends WardenError {
  constructor(message: string) {
    super('target-timeout', message);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs `work` over every item with at most `concurrency` at once, each under its own time limit.
 * A failure is collected for its item and never stops the others. A worker is handed an AbortSignal
 * that fires at its time limit (or when the whole run is cancelled); it passes it to its AWS calls.
 * Each item's timer and listeners are released as soon as it settles, so nothing a finished item
 * touched stays reachable: memory follows the concurrency, not the number of items.
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
      // A cancelled run starts nothing more: the items not yet begun settle at once with its reason.
      if (options.signal?.aborted) {
        const cancelled: Settled<T, R> = { item, ok: false, error: options.signal.reason };
        options.onSettled?.(cancelled);
        return cancelled;
      }
      const controller = new AbortController();
      let rejectAbort: (reason: unknown) => void = () => {};
      const aborted = new Promise<never>((_, reject) => {
        rejectAbort = reject;
      });
      aborted.catch(() => {});
      const abort = (reason: unknown) => {
        controller.abort(reason);
        rejectAbort(reason);
      };
      const timer = setTimeout(
        () => abort(new TargetTimeoutError(`timed out after ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      const onCancel = () => abort(options.signal?.reason);
      options.signal?.addEventListener('abort', onCancel, { once: true });
      let settled: Settled<T, R>;
      try {
        // Racing the abort means a worker that ignores its signal still ends at its time limit.
        const value = await Promise.race([work(item, controller.signal), aborted]);
        settled = { item, ok: true, value };
      } catch (error) {
        settled = { item, ok: false, error };
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onCancel);
      }
      options.onSettled?.(settled);
      return settled;
    },
    { concurrency: options.concurrency },
  );
}
