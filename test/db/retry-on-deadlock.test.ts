import { expect, test } from 'vitest';
import { retryOnDeadlock } from '../../src/db/errors.js';

// A deadlock's victim (SQLSTATE 40P01, as postgres.js reports it, wrapped by Drizzle) runs again;
// any other failure, or a fourth deadlock in a row, is the caller's.

const deadlock = () =>
  Object.assign(new Error('Failed query: …'), { cause: { code: '40P01', message: 'deadlock detected' } });

test('a deadlock victim runs again until it succeeds', async () => {
  let runs = 0;
  const result = await retryOnDeadlock(async () => {
    runs++;
    if (runs < 3) throw deadlock();
    return 'stored';
  });
  expect([result, runs]).toEqual(['stored', 3]);
});

test('another failure is not retried, and a deadlock every time is given up after four runs', async () => {
  let runs = 0;
  const refused = Object.assign(new Error('permission denied'), { code: '42501' });
  await expect(
    retryOnDeadlock(async () => {
      runs++;
      throw refused;
    }),
  ).rejects.toBe(refused);
  expect(runs).toBe(1);
  runs = 0;
  await expect(
    retryOnDeadlock(async () => {
      runs++;
      throw deadlock();
    }),
  ).rejects.toThrow('Failed query');
  expect(runs).toBe(4);
});
