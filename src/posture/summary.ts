import { and, desc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { accounts, findings, scans, scanTargets } from '../db/schema.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';

/** Statuses that no longer need anyone's attention. */
export const CLOSED_STATUSES = ['resolved', 'suppressed'] as const;

export type SeverityCounts = Record<Severity, number>;

export const noFindings = (): SeverityCounts => ({
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  informational: 0,
});
/** A finding is open while it is neither resolved nor suppressed: the one definition every count uses. */
export const isOpen = notInArray(findings.status, [...CLOSED_STATUSES]);

const countOf = (s: Severity) => sql<number>`count(*) filter (where ${findings.severity} = ${s})::int`;

/** Select columns counting findings per severity (for a query already filtered to open findings). */
export const severityCountColumns = () => ({
  critical: countOf('critical'),
  high: countOf('high'),
  medium: countOf('medium'),
  low: countOf('low'),
  informational: countOf('informational'),
});

export function toSeverityCounts(r: Record<Severity, number | string>): SeverityCounts {
  return {
    critical: Number(r.critical),
    high: Number(r.high),
    medium: Number(r.medium),
    low: Number(r.low),
    informational: Number(r.informational),
  };
}

/** Open findings (not resolved, not suppressed) by severity, for the organization. */
export async function openBySeverity(db: Database): Promise<SeverityCounts> {
  const rows = await db
    .select({ severity: findings.severity, n: sql<number>`count(*)::int` })
    .from(findings)
    .where(isOpen)
    .groupBy(findings.severity);
  const out = noFindings();
  for (const r of rows)
    if ((SEVERITIES as readonly string[]).includes(r.severity)) out[r.severity as Severity] = Number(r.n);
  return out;
}

export interface AccountPosture {
  accountId: string;
  name: string;
  ouPath: string | null;
  open: SeverityCounts;
}

/** Accounts with the most severe open findings first: critical, then high, medium and low break ties. */
export async function worstAccounts(db: Database, limit: number): Promise<AccountPosture[]> {
  const rows = await db
    .select({
      accountId: findings.accountId,
      name: accounts.name,
      ouPath: accounts.ouPath,
      ...severityCountColumns(),
    })
    .from(findings)
    .leftJoin(accounts, eq(accounts.id, findings.accountId))
    .where(isOpen)
    .groupBy(findings.accountId, accounts.name, accounts.ouPath)
    .orderBy(
      desc(countOf('critical')),
      desc(countOf('high')),
      desc(countOf('medium')),
      desc(countOf('low')),
      findings.accountId,
    )
    .limit(limit);
  return rows.map((r) => ({
    accountId: r.accountId,
    name: r.name ?? r.accountId,
    ouPath: r.ouPath,
    open: toSeverityCounts(r),
  }));
}

/** How many accounts have at least one open finding. */
export async function accountsWithOpenFindings(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(distinct ${findings.accountId})::int` })
    .from(findings)
    .where(isOpen);
  return Number(row?.n ?? 0);
}

export interface NotScanned {
  accountId: string;
  name: string;
  region: string;
  source: string;
  failureKind: string | null;
  reason: string | null;
}

/** The targets the latest completed scan could not read, with the reason. */
export async function lastScanGaps(
  db: Database,
): Promise<{ scanId: number; finishedAt: Date | null; gaps: NotScanned[] } | undefined> {
  const [last] = await db
    .select({ id: scans.id, finishedAt: scans.finishedAt })
    .from(scans)
    .where(eq(scans.status, 'completed'))
    .orderBy(desc(scans.id))
    .limit(1);
  if (!last) return undefined;
  const gaps = await db
    .select({
      accountId: scanTargets.accountId,
      name: accounts.name,
      region: scanTargets.region,
      source: scanTargets.source,
      failureKind: scanTargets.failureKind,
      reason: scanTargets.reason,
    })
    .from(scanTargets)
    .leftJoin(accounts, eq(accounts.id, scanTargets.accountId))
    .where(and(eq(scanTargets.scanId, last.id), eq(scanTargets.status, 'failed')))
    .orderBy(scanTargets.accountId, scanTargets.source, scanTargets.region);
  return {
    scanId: last.id,
    finishedAt: last.finishedAt,
    gaps: gaps.map((g) => ({ ...g, name: g.name ?? g.accountId })),
  };
}

/**
 * Each account's latest posture snapshot taken at or before `at`, as a subquery. The accounts are
 * walked through the (account_id, taken_at) index, one lookup each (a recursive skip over distinct
 * ids, then a LATERAL latest-before): the cost follows the accounts, not the history, where a
 * DISTINCT ON over every snapshot sorted the whole table.
 */
export const latestSnapshots = (at: Date) => sql`(
  with recursive ids as (
    (select account_id from posture_snapshots order by account_id limit 1)
    union all
    select (select p.account_id from posture_snapshots p where p.account_id > ids.account_id
            order by p.account_id limit 1)
    from ids where ids.account_id is not null
  )
  select s.* from ids
  cross join lateral (select * from posture_snapshots p
                      where p.account_id = ids.account_id and p.taken_at <= ${at.toISOString()}::timestamptz
                      order by p.taken_at desc limit 1) s
  where ids.account_id is not null)`;

/**
 * Open findings by severity as the organization's posture snapshots recorded them at `at`: for each
 * account, its latest snapshot taken at or before then. Undefined when no snapshot is that old.
 */
export async function openBySeverityAt(db: Database, at: Date): Promise<SeverityCounts | undefined> {
  const rows = await rawRows<Record<Severity, number | string>>(
    db,
    sql`select coalesce(sum(open_critical), 0) as critical, coalesce(sum(open_high), 0) as high,
          coalesce(sum(open_medium), 0) as medium, coalesce(sum(open_low), 0) as low,
          coalesce(sum(open_informational), 0) as informational, count(*) as n
        from ${latestSnapshots(at)} latest`,
  );
  const row = rows[0] as (Record<Severity, number | string> & { n: number | string }) | undefined;
  return row && Number(row.n) > 0 ? toSeverityCounts(row) : undefined;
}

/** Open findings by severity for one account. */
export async function accountOpenBySeverity(db: Database, accountId: string): Promise<SeverityCounts> {
  return (await openBySeverityOf(db, [accountId])).get(accountId)!;
}

/** Open findings by severity for each of these accounts (zeros for an account with none). */
export async function openBySeverityOf(
  db: Database,
  accountIds: string[],
): Promise<Map<string, SeverityCounts>> {
  const rows = await db
    .select({ accountId: findings.accountId, ...severityCountColumns() })
    .from(findings)
    .where(and(inArray(findings.accountId, accountIds), isOpen))
    .groupBy(findings.accountId);
  const counts = new Map(rows.map((r) => [r.accountId, toSeverityCounts(r)]));
  return new Map(accountIds.map((id) => [id, counts.get(id) ?? noFindings()]));
}
