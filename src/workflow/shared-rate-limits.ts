import { sql } from 'drizzle-orm';
import { type RateLimit, SHARED_BUCKET_PACE } from '../aws/quotas.js';
import { sleep } from '../aws/sleep.js';
import type { Limiter } from '../aws/token-bucket.js';
import { type Database, rawRows } from '../db/client.js';

/**
 * Token buckets kept in PostgreSQL, so that every Warden process calling one account's API draws from
 * the same bucket. A call reserves its token in one statement (refill since the last call, take one,
 * at the database's clock) and waits out its turn if the bucket is in debt, as TokenBucket does in one
 * process: callers are served in the order they reserved, without polling. The bucket refills at
 * SHARED_BUCKET_PACE of the service's rate: a token is reserved at the database's clock and spent
 * a round trip later, from another process, so calls reach AWS less evenly than they were granted.
 */
export class SharedRateLimiter implements Limiter {
  constructor(
    private readonly db: Database,
    private readonly limitFor: (operation: string) => RateLimit | undefined,
  ) {}

  bucket(key: string, operation: string) {
    const limit = this.limitFor(operation);
    if (!limit) return undefined;
    return { take: (signal?: AbortSignal) => this.take(key, limit, signal) };
  }

  private async take(key: string, limit: RateLimit, signal?: AbortSignal): Promise<void> {
    const { burst } = limit;
    const rate = limit.ratePerSecond * SHARED_BUCKET_PACE;
    const [row] = await rawRows<{ tokens: number }>(
      this.db,
      sql`insert into rate_buckets as b (key, tokens, at) values (${key}, ${burst - 1}, clock_timestamp())
          on conflict (key) do update set
            tokens = least(${burst}::float8, b.tokens + extract(epoch from clock_timestamp() - b.at) * ${rate}::float8) - 1,
            at = clock_timestamp()
          returning tokens`,
    );
    const tokens = Number(row!.tokens);
    if (tokens >= 0) return;
    await sleep((-tokens / rate) * 1000, signal);
  }
}
