import { expect, test } from 'vitest';
import { securityHubRateLimit } from '../../src/aws/quotas.js';
import { TokenBucket } from '../../src/aws/token-bucket.js';

test('the simulator’s bucket allows GetFindings a burst of 6, then 3 a second', () => {
  let now = 0;
  const bucket = new TokenBucket(securityHubRateLimit('GetFindings'), () => now);
  const burst = Array.from({ length: 8 }, () => bucket.tryTake());
  expect(burst).toEqual([true, true, true, true, true, true, false, false]);
  now += 1000;
  expect(Array.from({ length: 4 }, () => bucket.tryTake())).toEqual([true, true, true, false]);
});

test('Warden’s bucket makes callers wait their turn instead of being throttled', async () => {
  const bucket = new TokenBucket({ ratePerSecond: 20, burst: 2 });
  const started = performance.now();
  await Promise.all(Array.from({ length: 6 }, () => bucket.take()));
  // Two from the burst, then four at 20 a second: at least 200 ms.
  expect(performance.now() - started).toBeGreaterThanOrEqual(190);
});
