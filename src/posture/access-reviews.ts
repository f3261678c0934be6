import { and, asc, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';
import {
  type AccessReview,
  type AccessReviewItem,
  accessReviewItems,
  accessReviews,
  accounts,
  type ReviewDecision,
  type ReviewScope,
  remediationRequests,
} from '../db/schema.js';

export const scopeText = (scope: ReviewScope) =>
  scope.ou ? `OU ${scope.ou}` : scope.accounts ? `accounts ${scope.accounts.join(', ')}` : 'the organization';

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

export interface ReviewReport {
  review: AccessReview;
  counts: Record<ReviewDecision, number> & { total: number; overdue: number };
  items: Array<{
    account: string;
    accountName: string | null;
    kind: AccessReviewItem['kind'];
    principal: string;
    arn: string;
    decision: ReviewDecision;
    reviewer: string;
    decidedBy: string | null;
    decidedAt: string | null;
    /** A Keep's note or a Revoke's reason. */
    why: string | null;
    overdue: boolean;
    /** When the overdue item was escalated to the managers and approvers. */
    escalatedAt: string | null;
    revocation: Array<{ finding: number; request: number | null; status: string | null }>;
  }>;
}

/**
 * A campaign's record for an auditor: every principal with its decision, who decided when and why,
 * each revocation's findings and remediation requests with their outcome, and what is overdue.
 */
export async function reviewReport(
  db: Database,
  reviewId: number,
  now: Date,
  /** Only these accounts' principals (an evidence pack's scope); all when unset. */
  accountIds?: string[],
): Promise<ReviewReport | undefined> {
  const [review] = await db.select().from(accessReviews).where(eq(accessReviews.id, reviewId));
  if (!review) return undefined;
  const rows = (
    await db
      .select()
      .from(accessReviewItems)
      .where(eq(accessReviewItems.reviewId, reviewId))
      .orderBy(asc(accessReviewItems.accountId), asc(accessReviewItems.kind), asc(accessReviewItems.name))
  ).filter((r) => !accountIds || accountIds.includes(r.accountId));
  const names = new Map(
    (await db.select({ id: accounts.id, name: accounts.name }).from(accounts)).map((a) => [a.id, a.name]),
  );
  const requestIds = rows.flatMap((r) => r.requestIds);
  const requests = requestIds.length
    ? await db
        .select({
          id: remediationRequests.id,
          findingId: remediationRequests.findingId,
          status: remediationRequests.status,
        })
        .from(remediationRequests)
        .where(inArray(remediationRequests.id, requestIds))
    : [];
  const past = now > review.dueAt;
  const counts = { pending: 0, keep: 0, revoke: 0, gone: 0, total: rows.length, overdue: 0 };
  const items = rows.map((r) => {
    counts[r.decision]++;
    const overdue = past && r.decision === 'pending';
    if (overdue) counts.overdue++;
    return {
      account: r.accountId,
      accountName: names.get(r.accountId) ?? null,
      kind: r.kind,
      principal: r.name,
      arn: r.arn,
      decision: r.decision,
      reviewer: r.reviewer ?? 'owners',
      decidedBy: r.decidedBy,
      decidedAt: r.decidedAt?.toISOString() ?? null,
      why: r.note,
      overdue,
      escalatedAt: r.escalatedAt?.toISOString() ?? null,
      revocation: r.findingIds.map((finding) => {
        const request = requests.find((q) => q.findingId === finding && r.requestIds.includes(q.id));
        return { finding, request: request?.id ?? null, status: request?.status ?? null };
      }),
    };
  });
  return { review, counts, items };
}

/**
 * The campaigns an evidence pack covers: those running at any time in the period (started before its
 * end, not closed before its start), each reported for the scope's accounts only.
 */
export async function periodReviews(
  db: Database,
  input: { accountIds: string[]; from: Date; to: Date; now: Date },
): Promise<ReviewReport[]> {
  const campaigns = await db
    .select({ id: accessReviews.id })
    .from(accessReviews)
    .where(
      and(
        lt(accessReviews.startedAt, input.to),
        or(isNull(accessReviews.closedAt), gte(accessReviews.closedAt, input.from)),
      ),
    )
    .orderBy(asc(accessReviews.id));
  const out: ReviewReport[] = [];
  for (const { id } of campaigns) {
    const report = await reviewReport(db, id, input.now, input.accountIds);
    if (report?.items.length) out.push(report);
  }
  return out;
}
