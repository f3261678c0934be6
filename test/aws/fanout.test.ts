import { expect, test } from 'vitest';
import { fanOut, type Settled, type Slot } from '../../src/aws/fanout.js';

// The scan's fan-out: at most `concurrency` items work at once, in order; an item that waits gives
// its slot to the next one; time limits and cancellation end items whatever they are doing, and no
// slot is lost when an item ends during a pause.

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** fanOut over `items`, each item's end put in its item's place. */
async function settledOf<T, R>(
  items: T[],
  work: (item: T, signal: AbortSignal, slot: Slot) => Promise<R>,
  options: { concurrency: number; timeoutMs: number; signal?: AbortSignal },
): Promise<Settled<T, R>[]> {
  const settled: Settled<T, R>[] = [];
  await fanOut(items, work, {
    ...options,
    onSettled: (s) => {
      settled[s.index] = s;
    },
  });
  return settled;
}

test('at most `concurrency` items work at once, started in order, results in order', async () => {
  let working = 0;
  let most = 0;
  const started: number[] = [];
  const settled = await settledOf(
    Array.from({ length: 20 }, (_, i) => i),
    async (i) => {
      started.push(i);
      working += 1;
      most = Math.max(most, working);
      await tick(5 + (i % 3));
      working -= 1;
      return i * 2;
    },
    { concurrency: 4, timeoutMs: 5_000 },
  );
  expect(most).toBe(4);
  expect(started).toEqual([...started].sort((a, b) => a - b));
  expect(settled.map((s) => (s.ok ? s.value : undefined))).toEqual(
    Array.from({ length: 20 }, (_, i) => i * 2),
  );
});

test('a paused item frees its slot: the others run while it waits, and the bound still holds', async () => {
  let working = 0;
  let most = 0;
  const order: string[] = [];
  await settledOf(
    ['report-a', 'report-b', 'hub-1', 'hub-2', 'hub-3', 'hub-4'],
    async (name, _signal, slot) => {
      working += 1;
      most = Math.max(most, working);
      order.push(`start ${name}`);
      if (name.startsWith('report')) {
        working -= 1;
        await slot.pause(60);
        working += 1;
        most = Math.max(most, working);
      } else await tick(10);
      order.push(`end ${name}`);
      working -= 1;
    },
    { concurrency: 2, timeoutMs: 5_000 },
  );
  expect(most).toBe(2);
  // Both reports paused at once, so the hub items ran in their slots before either report finished.
  expect(order.indexOf('end hub-4')).toBeLessThan(order.indexOf('end report-a'));
});

test('an item that leaves its slot lets the next one start, and is still waited for', async () => {
  const order: string[] = [];
  const settled = await settledOf(
    ['a', 'b', 'c'],
    async (name, _signal, slot) => {
      order.push(`start ${name}`);
      if (name === 'a') {
        slot.leave();
        slot.leave(); // a second leave gives nothing more away
        await tick(40);
      } else await tick(10);
      order.push(`end ${name}`);
      return name;
    },
    { concurrency: 1, timeoutMs: 5_000 },
  );
  // One slot: b and c ran one after the other while a, out of its slot, was still waiting.
  expect(order).toEqual(['start a', 'start b', 'end b', 'start c', 'end c', 'end a']);
  expect(settled.map((s) => (s.ok ? s.value : undefined))).toEqual(['a', 'b', 'c']);
});

test('an item whose time limit passes during a pause fails, and its slot comes back', async () => {
  const settled = await settledOf(
    ['slow', 'next-1', 'next-2'],
    async (name, _signal, slot) => {
      if (name === 'slow') await slot.pause(10_000);
      return name;
    },
    { concurrency: 1, timeoutMs: 50 },
  );
  expect(settled.map((s) => s.ok)).toEqual([false, true, true]);
  expect(String((settled[0] as { error: Error }).error)).toMatch(/timed out after 50 ms/);
});

test('a cancelled run starts nothing more, and what runs is aborted', async () => {
  const stop = new AbortController();
  const began: number[] = [];
  const settled = await settledOf(
    [0, 1, 2, 3, 4],
    async (i, signal) => {
      began.push(i);
      if (i === 1) stop.abort(new Error('stop requested'));
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    },
    { concurrency: 2, timeoutMs: 5_000, signal: stop.signal },
  );
  expect(began).toEqual([0, 1]);
  expect(
    settled.every((s) => !s.ok && String((s as { error: Error }).error).includes('stop requested')),
  ).toBe(true);
});

test('however many items pause at once, at most 4 × concurrency are begun and not settled', async () => {
  let begun = 0;
  let most = 0;
  await settledOf(
    Array.from({ length: 100 }, (_, i) => i),
    async (_i, _signal, slot) => {
      begun += 1;
      most = Math.max(most, begun);
      await slot.pause(5);
      begun -= 1;
    },
    { concurrency: 3, timeoutMs: 5_000 },
  );
  expect(most).toBe(12);
});

test('a list that makes its items is asked for each one only as it begins', async () => {
  let made = 0;
  let settled = 0;
  let most = 0;
  const items = {
    length: 50,
    at: (i: number) => {
      made += 1;
      most = Math.max(most, made - settled);
      return { i };
    },
  };
  const ended: number[] = [];
  await fanOut(
    items,
    async (item) => {
      await tick(2);
      return item.i;
    },
    {
      concurrency: 3,
      timeoutMs: 5_000,
      onSettled: (s) => {
        settled += 1;
        if (s.ok) ended.push(s.value);
      },
    },
  );
  expect(made).toBe(50);
  // Made and not settled: the three working, and the next one made as a slot frees.
  expect(most).toBeLessThanOrEqual(4);
  expect(ended.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
});
