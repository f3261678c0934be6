import { expect, test } from 'vitest';
import { securityHubRateLimit } from '../../src/aws/quotas.js';
import { RateLimiter, TokenBucket } from '../../src/aws/token-bucket.js';

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

test('a limiter forgets the buckets that refilled once it holds many, and keeps the ones still draining', () => {
  let now = 0;
  const limiter = new RateLimiter(securityHubRateLimit, () => now);
  const take = (key: string) => limiter.bucket(key, 'GetFindings')!.tryTake();
  // A thousand accounts each use their whole burst…
  for (let i = 0; i < 1000; i++) for (let n = 0; n < 6; n++) take(`acct-${i}`);
  // …and refill a minute later; 24 others drain theirs now.
  now += 60_000;
  for (let i = 1000; i < 1024; i++) for (let n = 0; n < 6; n++) take(`acct-${i}`);
  expect(limiter.size).toBe(1024);
  // The next new bucket sweeps: only the draining ones stay, and a drained one still refuses.
  take('acct-new');
  expect(limiter.size).toBe(25);
  expect(take('acct-1000')).toBe(false);
  // A forgotten bucket comes back as it was: full.
  expect(Array.from({ length: 7 }, () => take('acct-0'))).toEqual([
    true,
    true,
    true,
    true,
    true,
    true,
    false,
  ]);
});
