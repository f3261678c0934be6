import { and, asc, count, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { accounts, findings, suppressions } from '../db/schema.js';
import type { FindingStatus } from '../domain.js';
import type { Source } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';

export { FINDING_STATUSES, type FindingStatus } from '../domain.js';

export interface FindingFilters {
  severity?: Severity;
  accountId?: string;
  /** Only these accounts (what someone who reads only their own accounts may see). */
  accountIds?: string[];
  status?: FindingStatus;
  assignee?: string;
  source?: Source;
  /** Exactly these findings, whatever their state. */
  ids?: number[];
}

/** A finding as every Slack view shows it: what it is, where, its state, who changed it and when. */
export interface FindingSummary {
  id: number;
  title: string;
  severity: Severity;
  status: FindingStatus;
  source: Source;
  /** Security Hub's finding Id, or Warden's fingerprint. */
  externalId: string;
  accountId: string;
  accountName: string | null;
  region: string;
  resourceId: string;
  controlId: string | null;
  generatorId: string | null;
  evidence: Record<string, unknown>;
  regression: boolean;
  assignee: string | null;
  statusChangedAt: Date | null;
  statusChangedBy: string | null;
  awsWorkflowStatus: string | null;
  /** Why the last write-back to Security Hub failed; null when it worked or none was made. */
  awsSyncError: string | null;
  /** The active suppression, while the finding is suppressed. */
  suppression: { reason: string; expiresAt: Date; createdBy: string } | null;
}

/** One page of findings matching the filters (most severe first) and how many match in all. */
export async function listFindings(
  db: Database,
  filters: FindingFilters,
  page: { offset: number; limit: number },
): Promise<{ rows: FindingSummary[]; total: number }> {
  const where: SQL | undefined = and(
    filters.severity ? eq(findings.severity, filters.severity) : undefined,
    filters.accountId ? eq(findings.accountId, filters.accountId) : undefined,
    filters.accountIds
      ? inArray(findings.accountId, filters.accountIds.length ? filters.accountIds : [''])
      : undefined,
    filters.ids ? inArray(findings.id, filters.ids.length ? filters.ids : [-1]) : undefined,
    // Without a status filter, "open" and "acknowledged" findings: the ones that still need work.
    filters.status
      ? eq(findings.status, filters.status)
      : filters.ids
        ? undefined
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
      source: findings.source,
      externalId: findings.externalId,
      accountId: findings.accountId,
      accountName: accounts.name,
      region: findings.region,
      resourceId: findings.resourceId,
      controlId: findings.controlId,
      generatorId: findings.generatorId,
      evidence: findings.evidence,
      regression: findings.regression,
      assignee: findings.assignee,
      statusChangedAt: findings.statusChangedAt,
      statusChangedBy: findings.statusChangedBy,
      awsWorkflowStatus: findings.awsWorkflowStatus,
      awsSyncError: findings.awsSyncError,
      suppressionReason: suppressions.reason,
      suppressionExpiresAt: suppressions.expiresAt,
      suppressionBy: suppressions.createdBy,
    })
    .from(findings)
    .leftJoin(accounts, eq(accounts.id, findings.accountId))
    .leftJoin(suppressions, and(eq(suppressions.findingId, findings.id), isNull(suppressions.liftedAt)))
    .where(where)
    .orderBy(asc(rank), desc(findings.lastSeenAt), asc(findings.id))
    .offset(page.offset)
    .limit(page.limit);
  return {
    rows: rows.map(({ suppressionReason, suppressionExpiresAt, suppressionBy, ...r }) => ({
      ...r,
      severity: r.severity as Severity,
      suppression:
        suppressionReason !== null && suppressionExpiresAt && suppressionBy
          ? { reason: suppressionReason, expiresAt: suppressionExpiresAt, createdBy: suppressionBy }
          : null,
    })),
    total: Number(n),
  };
}

/** Findings by id, whatever their state (what a message about these findings shows). */
export async function findingSummaries(db: Database, ids: number[]): Promise<FindingSummary[]> {
  return (await listFindings(db, { ids }, { offset: 0, limit: Math.max(1, ids.length) })).rows;
}

/** A finding named the way people name one: `#42`, `42`, or its Security Hub Id. */
export async function findingByReference(db: Database, reference: string): Promise<number | undefined> {
  const ref = reference.trim();
  const id = /^#?(\d{1,9})$/.exec(ref)?.[1];
  const [row] = await db
    .select({ id: findings.id })
    .from(findings)
    .where(id ? eq(findings.id, Number(id)) : eq(findings.externalId, ref))
    .limit(1);
  return row?.id;
}
