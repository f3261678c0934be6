import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { accounts, findingCounts, findings, scans, scanTargets } from '../db/schema.js';
import type { Severity } from '../findings/severity.js';

/** Statuses that still need work (not resolved, not suppressed): every "open" count and the default list. */
export const OPEN_STATUSES = ['open', 'acknowledged'] as const;

export type SeverityCounts = Record<Severity, number>;

export const noFindings = (): SeverityCounts => ({
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  informational: 0,
});
/**
 * A finding that stands for its issue (the issue's primary, `findings.duplicate_of`): every count,
 * list, SLA and digest reads these only, so one problem reported by several sources counts once.
 */
export const isIssue = sql`${findings.duplicateOf} is null`;

/**
 * An issue is open while it is neither resolved nor suppressed: the one definition every count uses.
 * Written with literal states, so the planner matches it to the partial indexes on open findings.
 */
export const isOpen = sql`${findings.status} in (${sql.raw(OPEN_STATUSES.map((s) => `'${s}'`).join(', '))}) and ${isIssue}`;

export function toSeverityCounts(r: Record<Severity, number | string>): SeverityCounts {
  return {
    critical: Number(r.critical),
    high: Number(r.high),
    medium: Number(r.medium),
    low: Number(r.low),
    informational: Number(r.informational),
  };
}

// Every count below reads finding_counts, which a trigger keeps in step with findings: its cost
// follows the accounts (at most accounts × sources × severities × states rows), not the findings.
const counted = (s: Severity) =>
  sql<number>`coalesce(sum(${findingCounts.n}) filter (where ${findingCounts.severity} = ${s}), 0)::int`;
const openCounted = inArray(findingCounts.status, [...OPEN_STATUSES]);

/** Select columns summing the counts per severity. */
const severitySums = () => ({
  critical: counted('critical'),
  high: counted('high'),
  medium: counted('medium'),
  low: counted('low'),
  informational: counted('informational'),
});

const countsIn = (accountIds: string[] | undefined) =>
  accountIds ? inArray(findingCounts.accountId, accountIds.length ? accountIds : ['']) : undefined;

/** Open findings (not resolved, not suppressed) by severity, for the organization or some accounts (an OU). */
export async function openBySeverity(db: Database, accountIds?: string[]): Promise<SeverityCounts> {
  const [row] = await db
    .select(severitySums())
    .from(findingCounts)
    .where(and(openCounted, countsIn(accountIds)));
  return row ? toSeverityCounts(row) : noFindings();
}

export interface AccountPosture {
  accountId: string;
  name: string;
  ouPath: string | null;
  open: SeverityCounts;
}

/** Open findings by severity for each account with at least one. */
async function openByAccount(db: Database, accountIds?: string[]) {
  return db
    .select({ accountId: findingCounts.accountId, ...severitySums() })
    .from(findingCounts)
    .where(and(openCounted, gt(findingCounts.n, 0), countsIn(accountIds)))
    .groupBy(findingCounts.accountId);
}

/** Accounts with the most severe open findings first: critical, then high, medium and low break ties. */
export async function worstAccounts(
  db: Database,
  limit: number,
  accountIds?: string[],
): Promise<AccountPosture[]> {
  const worst = [
    ...(await openByAccount(db, accountIds)).map((r) => [r.accountId, toSeverityCounts(r)] as const),
  ]
    .sort(
      ([a, x], [b, y]) =>
        y.critical - x.critical ||
        y.high - x.high ||
        y.medium - x.medium ||
        y.low - x.low ||
        (a < b ? -1 : 1),
    )
    .slice(0, limit);
  if (worst.length === 0) return [];
  const named = await db
    .select({ id: accounts.id, name: accounts.name, ouPath: accounts.ouPath })
    .from(accounts)
    .where(
      inArray(
        accounts.id,
        worst.map(([id]) => id),
      ),
    );
  const byId = new Map(named.map((a) => [a.id, a]));
  return worst.map(([accountId, open]) => ({
    accountId,
    name: byId.get(accountId)?.name ?? accountId,
    ouPath: byId.get(accountId)?.ouPath ?? null,
    open,
  }));
}

/** How many accounts (of the organization, or of these) have at least one open finding. */
export async function accountsWithOpenFindings(db: Database, accountIds?: string[]): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(distinct ${findingCounts.accountId})::int` })
    .from(findingCounts)
    .where(and(openCounted, gt(findingCounts.n, 0), countsIn(accountIds)));
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
 * Open findings by severity as the posture snapshots recorded them at `at`, for the organization or
 * some accounts: for each account, its latest snapshot taken at or before then. Undefined when no
 * snapshot is that old.
 */
export async function openBySeverityAt(
  db: Database,
  at: Date,
  accountIds?: string[],
): Promise<SeverityCounts | undefined> {
  const rows = await rawRows<Record<Severity, number | string>>(
    db,
    sql`select coalesce(sum(open_critical), 0) as critical, coalesce(sum(open_high), 0) as high,
          coalesce(sum(open_medium), 0) as medium, coalesce(sum(open_low), 0) as low,
          coalesce(sum(open_informational), 0) as informational, count(*) as n
        from ${latestSnapshots(at)} latest
        ${
          accountIds
            ? sql`where latest.account_id in (${sql.join(
                [...accountIds, ''].map((id) => sql`${id}`),
                sql`, `,
              )})`
            : sql``
        }`,
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
  const counts = new Map(
    (await openByAccount(db, accountIds)).map((r) => [r.accountId, toSeverityCounts(r)]),
  );
  return new Map(accountIds.map((id) => [id, counts.get(id) ?? noFindings()]));
}

/** Open findings by severity for every account that has some. */
export async function openBySeverityByAccount(db: Database): Promise<Map<string, SeverityCounts>> {
  return new Map((await openByAccount(db)).map((r) => [r.accountId, toSeverityCounts(r)]));
}
