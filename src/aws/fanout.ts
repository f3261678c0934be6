import { WardenError } from '../errors.js';
import { sleep } from './sleep.js';

/** How an item ended, with its place in the items. */
export type Settled<T, R> = { item: T; index: number } & (
  | { ok: true; value: R }
  | { ok: false; error: unknown }
);

export class TargetTimeoutError extends WardenError {
  constructor(message: string) {
    super('target-timeout', message);
    this.name = 'TimeoutError';
  }
}

/** What an item's work may do with its slot. */
export interface Slot {
  /**
   * Gives the slot up for `ms` (another item runs meanwhile), then waits for a free one again: a wait
   * (a credential report IAM is still generating) costs no concurrency. Rejects when the item is
   * aborted (its time limit, which keeps running, or a cancelled run).
   */
  pause(ms: number): Promise<void>;
  /**
   * Gives the slot up for the rest of the item's work, which makes no more AWS calls (it waits for
   * its findings to be stored): the next item starts meanwhile. The item still counts against the
   * items begun and not settled, and its time limit keeps running.
   */
  leave(): void;
}

/** Items by their place: an array, or a list that makes each item when asked for it. */
export interface Indexed<T> {
  readonly length: number;
  at(index: number): T | undefined;
}

/** How many items may wait (paused) per slot of concurrency, besides those working. */
const PAUSED_PER_SLOT = 4;

/** `n` slots, handed out in the order they were asked for. */
export class Slots {
  private readonly waiting: Array<() => void> = [];
  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/**
 * Runs `work` over every item with at most `concurrency` at once, each under its own time limit.
 * A failure is collected for its item and never stops the others. A worker is handed an AbortSignal
 * that fires at its time limit (or when the whole run is cancelled); it passes it to its AWS calls.
 * Items start in order, each when a slot frees; a worker may give its slot up while it waits
 * (`slot.pause`), or for good once its calls are over (`slot.leave`). Each item's timer and
 * listeners are released as soon as it settles, and an item is only begun once a slot is free, so
 * memory follows the concurrency, not the number of items. Each item's end goes to `onSettled`,
 * and nowhere else: the run keeps no results.
 */
export async function fanOut<T, R>(
  items: Indexed<T>,
  work: (item: T, signal: AbortSignal, slot: Slot) => Promise<R>,
  options: {
    concurrency: number;
    timeoutMs: number;
    signal?: AbortSignal;
    onSettled: (s: Settled<T, R>) => void;
  },
): Promise<void> {
  const slots = new Slots(Math.max(1, options.concurrency));
  // Items begun and not settled, paused ones included: at most this many, so that memory follows
  // the concurrency even when many items wait at once.
  const begun = new Slots(Math.max(1, options.concurrency) * PAUSED_PER_SLOT);
  const running = new Set<Promise<void>>();

  const runOne = async (item: T, index: number): Promise<Settled<T, R>> => {
    try {
      const value = await runHolding(slots, (signal, slot) => work(item, signal, slot), options);
      return { item, index, ok: true, value };
    } catch (error) {
      return { item, index, ok: false, error };
    }
  };

  for (let i = 0; i < items.length; i++) {
    await begun.acquire();
    await slots.acquire();
    // Made (by a list that makes its items) only now that it runs, and dropped when it settles.
    const item = items.at(i)!;
    // A cancelled run starts nothing more: the items not yet begun settle at once with its reason.
    if (options.signal?.aborted) {
      slots.release();
      begun.release();
      options.onSettled({ item, index: i, ok: false, error: options.signal.reason });
      continue;
    }
    const done = runOne(item, i).then((settled) => {
      begun.release();
      options.onSettled(settled);
      running.delete(done);
    });
    running.add(done);
  }
  await Promise.all(running);
}

/**
 * Runs `work` in the slot of `slots` the caller holds, under its time limit, and gives the slot back
 * when it settles. The work is handed an AbortSignal that fires at its time limit (or when `signal`
 * aborts), and its slot, which it may give up while it waits (`slot.pause`).
 */
export async function runHolding<R>(
  slots: Slots,
  work: (signal: AbortSignal, slot: Slot) => Promise<R>,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<R> {
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
  // Whether the work holds a slot now; one it gets back after it settled is given back at once.
  let holds = true;
  let settled = false;
  const slot: Slot = {
    async pause(ms) {
      holds = false;
      slots.release();
      await sleep(ms, controller.signal);
      await slots.acquire();
      if (settled) slots.release();
      else holds = true;
    },
    leave() {
      if (!holds) return;
      holds = false;
      slots.release();
    },
  };
  try {
    // Racing the abort means work that ignores its signal still ends at its time limit.
    return await Promise.race([work(controller.signal, slot), aborted]);
  } finally {
    settled = true;
    if (holds) slots.release();
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCancel);
  }
}
