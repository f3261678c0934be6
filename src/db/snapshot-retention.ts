import { sql } from 'drizzle-orm';
import type { SnapshotRetention } from '../config.js';
import { type Database, rawRows } from './client.js';

const DAY = 86_400_000;

/** The snapshot tables, each with what names one scope's series. */
const SERIES = {
  posture_snapshots: sql`account_id`,
  compliance_snapshots: sql`scope, scope_id, standard_id`,
} as const;

export type SnapshotTable = keyof typeof SERIES;

export type Pruned = Record<SnapshotTable, { expired: number; thinned: number }>;

/**
 * Keeps the trends' history bounded: deletes posture and compliance snapshots older than
 * `retention.days`, and of those older than `retention.hourlyDays` keeps only the last of each UTC day
 * for each series (an account; a scope and standard). Every trend reads "the latest snapshot at or
 * before a time", so a thinned day still answers with that day's last state. Returns what each table
 * lost.
 */
export async function pruneSnapshots(db: Database, retention: SnapshotRetention, now: Date): Promise<Pruned> {
  const expiredBefore = new Date(now.getTime() - retention.days * DAY).toISOString();
  const hourlyFrom = new Date(now.getTime() - retention.hourlyDays * DAY).toISOString();
  const out = {} as Pruned;
  for (const [table, series] of Object.entries(SERIES) as Array<
    [SnapshotTable, (typeof SERIES)[SnapshotTable]]
  >) {
    const t = sql.raw(table);
    const [expired] = await rawRows<{ n: number }>(
      db,
      sql`with gone as (delete from ${t} where taken_at < ${expiredBefore}::timestamptz returning 1)
        select count(*)::int as n from gone`,
    );
    const [thinned] = await rawRows<{ n: number }>(
      db,
      sql`with ranked as (
          select id, row_number() over (
            partition by ${series}, date_trunc('day', taken_at, 'UTC') order by taken_at desc, id desc) as rank
          from ${t} where taken_at < ${hourlyFrom}::timestamptz
        ),
        gone as (delete from ${t} where id in (select id from ranked where rank > 1) returning 1)
        select count(*)::int as n from gone`,
    );
    out[table] = { expired: Number(expired?.n ?? 0), thinned: Number(thinned?.n ?? 0) };
  }
  return out;
}
