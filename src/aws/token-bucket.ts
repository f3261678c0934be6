import type { RateLimit } from './quotas.js';

/**
 * A token bucket: `rate` tokens a second, holding at most `burst`. The simulator asks `tryTake`
 * (answer now or throttle); Warden's clients `take` (wait their turn). Callers that must wait
 * reserve their token first, so waiters are served in arrival order without polling.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(
      this.limit.burst,
      this.tokens + ((t - this.last) / 1000) * this.limit.ratePerSecond,
    );
    this.last = t;
  }

  /** Whether it holds its whole burst (no call waits on it): then it is no different from a new one. */
  full(): boolean {
    this.refill();
    return this.tokens >= this.limit.burst;
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Resolves when the caller may make its call. */
  async take(signal?: AbortSignal): Promise<void> {
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens / this.limit.ratePerSecond) * 1000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, waitMs);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          this.tokens += 1;
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
}

/** Where a rate-limited call waits for its turn: a bucket per key (account, region, operation). */
export interface Limiter {
  bucket(key: string, operation: string): { take(signal?: AbortSignal): Promise<void> } | undefined;
}

/** How many buckets a limiter holds before it forgets the full ones (at least). */
const SWEEP_AT = 1024;

/**
 * One bucket per key (account, region, operation), made on first use, in this process. A bucket
 * that refilled is forgotten once the limiter holds many: it would be made again just the same. So
 * a process that lives through many scans holds buckets for the calls under way, not one for every
 * account and region it ever called.
 */
export class RateLimiter implements Limiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweepAt = SWEEP_AT;
  constructor(
    private readonly limitFor: (operation: string) => RateLimit | undefined,
    private readonly now?: () => number,
  ) {}

  /** How many buckets it holds now. */
  get size(): number {
    return this.buckets.size;
  }

  bucket(key: string, operation: string): TokenBucket | undefined {
    let b = this.buckets.get(key);
    if (!b) {
      const limit = this.limitFor(operation);
      if (!limit) return undefined;
      if (this.buckets.size >= this.sweepAt) this.forgetFull();
      b = new TokenBucket(limit, this.now);
      this.buckets.set(key, b);
    }
    return b;
  }

  private forgetFull(): void {
    for (const [key, b] of this.buckets) if (b.full()) this.buckets.delete(key);
    // Sweeps stay rare however many buckets are busy: each costs one pass, after as many new ones.
    this.sweepAt = Math.max(SWEEP_AT, this.buckets.size * 2);
  }
}
