import { sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';

/** One open campaign's progress in one OU, as the digests show it. */
export interface ReviewProgress {
  review: number;
  dueAt: Date;
  ouPath: string;
  total: number;
  decided: number;
  /** Undecided past the due date (they stay open until decided). */
  overdue: number;
}

/**
 * Open access reviews' progress by OU at `at`: items decided (kept, revoked, or deleted meanwhile) and
 * overdue, optionally only for some accounts (a routed channel's).
 */
export async function reviewProgress(
  db: Database,
  at: Date,
  accountIds?: string[],
): Promise<ReviewProgress[]> {
  const rows = await rawRows<{
    review: number;
    due_at: string | Date;
    ou_path: string;
    total: number;
    decided: number;
    overdue: number;
  }>(
    db,
    sql`select r.id as review, r.due_at, coalesce(a.ou_path, 'Root') as ou_path, count(*)::int as total,
          count(*) filter (where i.decision <> 'pending')::int as decided,
          count(*) filter (where i.decision = 'pending' and r.due_at < ${at.toISOString()}::timestamptz)::int as overdue
        from access_reviews r
        join access_review_items i on i.review_id = r.id
        left join accounts a on a.id = i.account_id
        where r.status = 'open'
          ${accountIds ? sql`and i.account_id = any(${textArray(accountIds)}::text[])` : sql``}
        group by r.id, r.due_at, coalesce(a.ou_path, 'Root')
        order by r.id, 3`,
  );
  return rows.map((r) => ({
    review: Number(r.review),
    dueAt: new Date(r.due_at),
    ouPath: r.ou_path,
    total: Number(r.total),
    decided: Number(r.decided),
    overdue: Number(r.overdue),
  }));
}
