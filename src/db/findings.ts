import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Finding as SourceFinding } from '../findings/finding.js';
import type { Database } from './client.js';
import { findings } from './schema.js';

/** Rows written per INSERT: well under PostgreSQL's 65,535 bind parameters at ~25 columns a row. */
export const UPSERT_BATCH = 500;

export interface ExistingFinding {
  id: number;
  source: string;
  productArn: string;
  externalId: string;
  status: string;
  severity: string;
  compliance: string | null;
  awsWorkflowStatus: string | null;
  sourceUpdatedAt: Date | null;
}

const identity = (f: { source: string; productArn: string; externalId: string }) =>
  `${f.source}\u0000${f.productArn}\u0000${f.externalId}`;

/** The stored rows of these findings, keyed by identity: one query for the whole batch. */
export async function existingFindings(
  db: Database,
  batch: SourceFinding[],
): Promise<Map<string, ExistingFinding>> {
  if (batch.length === 0) return new Map();
  const rows = await db
    .select({
      id: findings.id,
      source: findings.source,
      productArn: findings.productArn,
      externalId: findings.externalId,
      status: findings.status,
      severity: findings.severity,
      compliance: findings.compliance,
      awsWorkflowStatus: findings.awsWorkflowStatus,
      sourceUpdatedAt: findings.sourceUpdatedAt,
    })
    .from(findings)
    .where(inArray(findings.externalId, [...new Set(batch.map((f) => f.externalId))]));
  return new Map(rows.map((r) => [identity(r), r]));
}

export { identity as findingIdentity };

/**
 * Inserts failing findings or refreshes their rows, in batches. A row that was resolved is reopened
 * and marked as a regression; other lifecycle fields (acknowledged, suppressed, assignee) are kept.
 */
export async function upsertFailing(
  db: Database,
  batch: SourceFinding[],
  scanId: number,
  now: Date,
): Promise<void> {
  const wasResolved = sql`${findings.status} = 'resolved'`;
  for (let i = 0; i < batch.length; i += UPSERT_BATCH) {
    const rows = batch.slice(i, i + UPSERT_BATCH).map((f) => ({
      source: f.source,
      productArn: f.productArn,
      externalId: f.externalId,
      accountId: f.accountId,
      region: f.region,
      resourceType: f.resourceType,
      resourceId: f.resourceId,
      controlId: f.controlId,
      generatorId: f.generatorId,
      title: f.title,
      description: f.description,
      severity: f.severity,
      compliance: f.compliance,
      awsWorkflowStatus: f.awsWorkflowStatus,
      status: 'open',
      firstSeenAt: now,
      lastSeenAt: now,
      sourceUpdatedAt: f.sourceUpdatedAt,
      statusChangedAt: now,
      statusChangedBy: 'warden:scan',
      remediationText: f.remediationText,
      remediationUrl: f.remediationUrl,
      evidence: f.evidence,
      lastScanId: scanId,
    }));
    const excluded = (column: string) => sql.raw(`excluded.${column}`);
    await db
      .insert(findings)
      .values(rows)
      .onConflictDoUpdate({
        target: [findings.source, findings.productArn, findings.externalId],
        set: {
          accountId: excluded('account_id'),
          region: excluded('region'),
          resourceType: excluded('resource_type'),
          resourceId: excluded('resource_id'),
          controlId: excluded('control_id'),
          generatorId: excluded('generator_id'),
          title: excluded('title'),
          description: excluded('description'),
          severity: excluded('severity'),
          compliance: excluded('compliance'),
          awsWorkflowStatus: excluded('aws_workflow_status'),
          sourceUpdatedAt: excluded('source_updated_at'),
          remediationText: excluded('remediation_text'),
          remediationUrl: excluded('remediation_url'),
          evidence: excluded('evidence'),
          lastSeenAt: excluded('last_seen_at'),
          lastScanId: excluded('last_scan_id'),
          status: sql`case when ${wasResolved} then 'open' else ${findings.status} end`,
          regression: sql`${findings.regression} or ${wasResolved}`,
          reopenCount: sql`${findings.reopenCount} + case when ${wasResolved} then 1 else 0 end`,
          resolvedAt: sql`case when ${wasResolved} then null else ${findings.resolvedAt} end`,
          statusChangedAt: sql`case when ${wasResolved} then excluded.last_seen_at else ${findings.statusChangedAt} end`,
          statusChangedBy: sql`case when ${wasResolved} then 'warden:scan' else ${findings.statusChangedBy} end`,
        },
      });
  }
}

/** Resolves the rows with these ids that are not resolved yet. */
export async function resolveByIds(db: Database, ids: number[], now: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db
    .update(findings)
    .set({ status: 'resolved', resolvedAt: now, statusChangedAt: now, statusChangedBy: 'warden:scan' })
    .where(and(inArray(findings.id, ids), ne(findings.status, 'resolved')))
    .returning({ id: findings.id });
  return rows.length;
}

/**
 * After a scan of one account and source (and region, when given) completed: resolves every
 * unresolved finding there that this scan did not see, and returns how many.
 */
export async function resolveUnseen(
  db: Database,
  scope: { source: string; accountId: string; region?: string },
  scanId: number,
  now: Date,
): Promise<number> {
  const rows = await db
    .update(findings)
    .set({ status: 'resolved', resolvedAt: now, statusChangedAt: now, statusChangedBy: 'warden:scan' })
    .where(
      and(
        eq(findings.source, scope.source),
        eq(findings.accountId, scope.accountId),
        scope.region ? eq(findings.region, scope.region) : undefined,
        ne(findings.status, 'resolved'),
        sql`${findings.lastScanId} is distinct from ${scanId}`,
      ),
    )
    .returning({ id: findings.id });
  return rows.length;
}
