import { and, asc, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { findings } from '../db/schema.js';
import type { Source } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import type { TopFinding } from './summary.js';

export const FINDING_STATUSES = ['open', 'acknowledged', 'suppressed', 'resolved'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export interface FindingFilters {
  severity?: Severity;
  accountId?: string;
  status?: FindingStatus;
  assignee?: string;
  source?: Source;
}

/** One page of findings matching the filters (most severe first) and how many match in all. */
export async function listFindings(
  db: Database,
  filters: FindingFilters,
  page: { offset: number; limit: number },
): Promise<{ rows: TopFinding[]; total: number }> {
  const where: SQL | undefined = and(
    filters.severity ? eq(findings.severity, filters.severity) : undefined,
    filters.accountId ? eq(findings.accountId, filters.accountId) : undefined,
    // Without a status filter, "open" and "acknowledged" findings: the ones that still need work.
    filters.status
      ? eq(findings.status, filters.status)
      : sql`${findings.status} in ('open', 'acknowledged')`,
    filters.assignee ? eq(findings.assignee, filters.assignee) : undefined,
    filters.source ? eq(findings.source, filters.source) : undefined,
  );
  const rank = sql`case ${findings.severity} when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end`;
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(findings).where(where);
  const rows = await db
    .select({
      id: findings.id,
      title: findings.title,
      severity: findings.severity,
      status: findings.status,
      region: findings.region,
      resourceId: findings.resourceId,
      controlId: findings.controlId,
      source: findings.source,
      regression: findings.regression,
    })
    .from(findings)
    .where(where)
    .orderBy(asc(rank), desc(findings.lastSeenAt), asc(findings.id))
    .offset(page.offset)
    .limit(page.limit);
  return { rows: rows.map((r) => ({ ...r, severity: r.severity as Severity })), total: Number(n) };
}
