import { and, asc, type Column, eq, gt, gte, inArray, isNull, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { Policy } from '../config.js';
import { type Database, rawRows } from '../db/client.js';
import { accounts, findings, remediationDecisions, remediationRequests, suppressions } from '../db/schema.js';
import { COLLECTORS } from '../domain.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';
import { type ReviewProgress, reviewProgress } from './access-reviews.js';
import { standardTrends } from './compliance.js';
import { accountScore, meanScore } from './score.js';
import {
  isIssue,
  isOpen,
  lastScanGaps,
  latestSnapshots,
  type NotScanned,
  noFindings,
  OPEN_STATUSES,
  type SeverityCounts,
  toSeverityCounts,
} from './summary.js';

/**
 * The figures of the daily and weekly digests, from the database alone, for a window [from, to).
 * The same window always gives the same figures, so a digest can be built again (a retry, the CLI)
 * and say the same thing. `accounts` restricts every figure to some accounts (an OU's channel).
 */
export interface Window {
  from: Date;
  to: Date;
}

const DAY = 86_400_000;

/** A timestamp column within [from, to). */
const inWindow = (column: Column, w: Window) => and(gte(column, w.from), lt(column, w.to));

export interface FindingLine {
  id: number;
  title: string;
  severity: string;
  accountId: string;
  accountName: string | null;
  /** Days since Warden first saw it, at the window's end. */
  ageDays: number;
}

const inAccounts = (ids: string[] | undefined) =>
  ids ? inArray(findings.accountId, ids.length ? ids : ['']) : undefined;

/** Findings as digest lines, in the given order. */
async function lines(db: Database, where: SQL | undefined, at: Date, order: SQL, limit: number) {
  const rows = await db
    .select({
      id: findings.id,
      title: findings.title,
      severity: findings.severity,
      accountId: findings.accountId,
      accountName: accounts.name,
      firstSeenAt: findings.firstSeenAt,
    })
    .from(findings)
    .leftJoin(accounts, eq(accounts.id, findings.accountId))
    .where(where)
    .orderBy(order)
    .limit(limit);
  return rows.map(({ firstSeenAt, ...r }) => ({
    ...r,
    ageDays: Math.floor((at.getTime() - firstSeenAt.getTime()) / DAY),
  }));
}

/**
 * How many findings match, and the first `limit` (most severe, then oldest, first). The ids are
 * chosen first (from an index alone, where the filters allow), and only those rows are read.
 */
async function findingLines(db: Database, where: SQL | undefined, at: Date, limit: number) {
  const order = sql`${findings.severityRank}, ${findings.firstSeenAt}, ${findings.id}`;
  const [total, first] = await Promise.all([
    db.$count(findings, where),
    db.select({ id: findings.id }).from(findings).where(where).orderBy(order).limit(limit),
  ]);
  const items = first.length
    ? await lines(
        db,
        inArray(
          findings.id,
          first.map((r) => r.id),
        ),
        at,
        order,
        limit,
      )
    : [];
  return { total, items };
}

/**
 * Open findings (neither resolved nor suppressed) older than their severity's SLA (policy `slaDays`)
 * at `at`: how many per severity, and the oldest. Each severity is one range of the open findings'
 * order index (its rank, first seen up to its own threshold), counted and read oldest first from
 * the index alone, where one scan ORing the five thresholds could use no index.
 */
export async function slaBreaches(
  db: Database,
  at: Date,
  slaDays: Policy['slaDays'],
  accountIds?: string[],
  limit = 20,
) {
  const oldestFirst = sql`${findings.firstSeenAt} asc nulls first, ${findings.id} asc nulls first`;
  const perSeverity = await Promise.all(
    SEVERITIES.map(async (severity, rank) => {
      const before = new Date(at.getTime() - slaDays[severity] * DAY);
      const late = and(
        isOpen,
        eq(findings.severityRank, rank),
        lte(findings.firstSeenAt, before),
        inAccounts(accountIds),
      );
      const n = await db.$count(findings, late);
      if (n === 0) return { severity, n, oldest: [] };
      // Some accounts (an OU): the oldest of each account and state, each from the account's own
      // index range, then the oldest of those. Walking the organization's order for a few accounts'
      // rows would read every other account's findings first.
      const where = accountIds
        ? inArray(findings.id, await oldestPerAccount(db, accountIds, rank, before, limit))
        : late;
      return { severity, n, oldest: await lines(db, where, at, oldestFirst, limit) };
    }),
  );
  const bySeverity = noFindings();
  for (const { severity, n } of perSeverity) bySeverity[severity] = n;
  return {
    bySeverity,
    total: perSeverity.reduce((sum, s) => sum + s.n, 0),
    oldest: perSeverity
      .flatMap((s) => s.oldest)
      .slice(0, limit)
      .map((i) => ({ ...i, slaDays: slaDays[i.severity as Severity] })),
  };
}

/** The ids of the `limit` oldest open findings of one severity rank first seen by `before`, in these accounts. */
async function oldestPerAccount(
  db: Database,
  accountIds: string[],
  rank: number,
  before: Date,
  limit: number,
): Promise<number[]> {
  if (accountIds.length === 0) return [];
  const ids = sql.join(
    accountIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const states = sql.raw(OPEN_STATUSES.map((s) => `('${s}')`).join(', '));
  const rows = await rawRows<{ id: number }>(
    db,
    sql`select x.id from unnest(array[${ids}]::text[]) a(id)
      cross join (values ${states}) s(status)
      cross join lateral (
        select f.id, f.first_seen_at from findings f
        where f.account_id = a.id and f.status = s.status and f.severity_rank = ${rank} and f.duplicate_of is null
          and f.first_seen_at <= ${before.toISOString()}::timestamptz
        order by f.first_seen_at asc nulls first, f.id asc nulls first limit ${limit}) x
      order by x.first_seen_at, x.id limit ${limit}`,
  );
  return rows.map((r) => Number(r.id));
}

/** Active suppressions, and those ending within 7 days of `at`. */
async function suppressionFigures(db: Database, at: Date, accountIds: string[] | undefined, limit: number) {
  // Each suppressed issue once: its suppression is recorded on every one of its findings.
  const active = and(isNull(suppressions.liftedAt), isIssue, inAccounts(accountIds));
  const [{ n } = { n: 0 }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(suppressions)
    .innerJoin(findings, eq(findings.id, suppressions.findingId))
    .where(active);
  const soon = and(
    active,
    gte(suppressions.expiresAt, at),
    lt(suppressions.expiresAt, new Date(at.getTime() + 7 * DAY)),
  );
  const [{ m } = { m: 0 }] = await db
    .select({ m: sql<number>`count(*)::int` })
    .from(suppressions)
    .innerJoin(findings, eq(findings.id, suppressions.findingId))
    .where(soon);
  const items = await db
    .select({
      findingId: findings.id,
      title: findings.title,
      accountId: findings.accountId,
      expiresAt: suppressions.expiresAt,
      by: suppressions.createdBy,
      reason: suppressions.reason,
    })
    .from(suppressions)
    .innerJoin(findings, eq(findings.id, suppressions.findingId))
    .where(soon)
    .orderBy(asc(suppressions.expiresAt))
    .limit(limit);
  return { active: Number(n), expiringSoon: { total: Number(m), items } };
}

/** Remediation requests still waiting for approval at `at`. */
async function waitingRequests(db: Database, at: Date, accountIds: string[] | undefined, limit: number) {
  const where = and(
    eq(remediationRequests.status, 'pending'),
    gt(remediationRequests.expiresAt, at),
    accountIds ? inArray(remediationRequests.accountId, accountIds.length ? accountIds : ['']) : undefined,
  );
  const [{ n } = { n: 0 }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(remediationRequests)
    .where(where);
  const items = await db
    .select({
      id: remediationRequests.id,
      playbookId: remediationRequests.playbookId,
      findingTitle: findings.title,
      accountId: remediationRequests.accountId,
      requestedBy: remediationRequests.requestedBy,
      expiresAt: remediationRequests.expiresAt,
    })
    .from(remediationRequests)
    .innerJoin(findings, eq(findings.id, remediationRequests.findingId))
    .where(where)
    .orderBy(asc(remediationRequests.expiresAt))
    .limit(limit);
  return { total: Number(n), items };
}

async function notScanned(db: Database, accountIds: string[] | undefined): Promise<NotScanned[]> {
  const gaps = (await lastScanGaps(db))?.gaps ?? [];
  return accountIds ? gaps.filter((g) => accountIds.includes(g.accountId)) : gaps;
}

export interface DailyFigures {
  window: Window;
  newFindings: { total: number; items: FindingLine[] };
  regressions: { total: number; items: FindingLine[] };
  sla: Awaited<ReturnType<typeof slaBreaches>>;
  notScanned: NotScanned[];
  suppressions: Awaited<ReturnType<typeof suppressionFigures>>;
  waiting: Awaited<ReturnType<typeof waitingRequests>>;
  /** Open access reviews' progress by OU. */
  accessReviews: ReviewProgress[];
}

/**
 * The daily digest: new critical and high findings in the window, regressions (resolved findings a
 * scan saw again), SLA breaches, accounts the last scan could not read, suppressions ending this
 * week, remediations waiting for approval.
 */
export async function dailyFigures(
  db: Database,
  window: Window,
  policy: Policy,
  options: { accounts?: string[]; limit?: number } = {},
): Promise<DailyFigures> {
  const limit = options.limit ?? 20;
  // The figures are independent reads: they run at once, each on a connection of its own.
  const [newFindings, regressions, sla, gaps, suppressed, waiting, accessReviews] = await Promise.all([
    findingLines(
      db,
      and(
        inWindow(findings.firstSeenAt, window),
        // Critical and high, by rank: the window's index carries it.
        lte(findings.severityRank, 1),
        isIssue,
        inAccounts(options.accounts),
      ),
      window.to,
      limit,
    ),
    findingLines(
      db,
      and(
        // Literal, as the partial index on regressions is written.
        sql`${findings.regression} and ${findings.status} = 'open' and ${isIssue}`,
        inArray(findings.statusChangedBy, [...COLLECTORS]),
        inWindow(findings.statusChangedAt, window),
        inAccounts(options.accounts),
      ),
      window.to,
      limit,
    ),
    slaBreaches(db, window.to, policy.slaDays, options.accounts, limit),
    notScanned(db, options.accounts),
    suppressionFigures(db, window.to, options.accounts, limit),
    waitingRequests(db, window.to, options.accounts, limit),
    reviewProgress(db, window.to, options.accounts),
  ]);
  return {
    window,
    newFindings,
    regressions,
    sla,
    notScanned: gaps,
    suppressions: suppressed,
    waiting,
    accessReviews,
  };
}

export interface AccountScore {
  accountId: string;
  name: string;
  ouPath: string | null;
  score: number;
  open: SeverityCounts;
}

/** Each account's score at `at`, from its latest posture snapshot taken at or before then. */
export async function scoresAt(db: Database, at: Date, accountIds?: string[]): Promise<AccountScore[]> {
  const rows = await rawRows<Record<string, string | number | null>>(
    db,
    sql`select s.account_id, s.ou_path, s.score, s.open_critical as critical, s.open_high as high,
          s.open_medium as medium, s.open_low as low, s.open_informational as informational, a.name
        from ${latestSnapshots(at)} s
        left join accounts a on a.id = s.account_id`,
  );
  return rows
    .filter((r) => !accountIds || accountIds.includes(String(r.account_id)))
    .map((r) => {
      const open = toSeverityCounts(r as Record<Severity, number>);
      return {
        accountId: String(r.account_id),
        name: r.name === null ? String(r.account_id) : String(r.name),
        ouPath: r.ou_path === null ? null : String(r.ou_path),
        // Snapshots written before scores were recorded are scored now, the same way.
        score: r.score === null ? accountScore(open) : Number(r.score),
        open,
      };
    })
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
}

export interface WeeklyFigures {
  window: Window;
  /** The organization's score at the window's end, and at the end of each of the 4 weeks before. */
  trend: Array<{ at: Date; score: number | null }>;
  score: number | null;
  byOu: Array<{ ouPath: string; score: number; accounts: number }>;
  /** Each OU's score at each point of `trend` (null where none of its accounts had a score then). */
  ouTrend: Array<{ ouPath: string; scores: Array<number | null> }>;
  byAccount: AccountScore[];
  opened: number;
  resolved: number;
  /** Mean days from first seen to resolved, for findings resolved in the window, by severity. */
  mttrDays: Record<Severity, { days: number | null; resolved: number }>;
  sla: Awaited<ReturnType<typeof slaBreaches>>;
  suppressions: Awaited<ReturnType<typeof suppressionFigures>>;
  remediations: { requested: number; approved: number; executed: number; failed: number; rejected: number };
  notScanned: NotScanned[];
  /** The organization's score in each enabled standard now, and at each point of `trend`. */
  standards: Awaited<ReturnType<typeof standardTrends>>;
  /** Open access reviews' progress by OU. */
  accessReviews: ReviewProgress[];
}

/** Account scores by OU path. */
function groupByOu(scores: Array<{ ouPath: string | null; score: number }>): Map<string, number[]> {
  const ous = new Map<string, number[]>();
  for (const a of scores)
    ous.set(a.ouPath ?? 'unknown', [...(ous.get(a.ouPath ?? 'unknown') ?? []), a.score]);
  return ous;
}

/**
 * The weekly compliance digest: the score and its trend over 4 weeks, per OU and per account (worst
 * first), findings opened and resolved, mean time to remediate by severity, SLA breaches,
 * suppressions, remediations requested / approved / executed / rejected, accounts not scanned.
 */
export async function weeklyFigures(db: Database, window: Window, policy: Policy): Promise<WeeklyFigures> {
  // The scores at the end of each of the 5 weeks, read at once; the last is this week's by account.
  const points = [4, 3, 2, 1, 0].map((w) => new Date(window.to.getTime() - w * 7 * DAY));
  const [scored, standards, accessReviews] = await Promise.all([
    Promise.all(points.map((at) => scoresAt(db, at))),
    standardTrends(db, points),
    reviewProgress(db, window.to),
  ]);
  const trend = points.map((at, i) => ({ at, score: meanScore(scored[i]!.map((a) => a.score)) }));
  const ouPoints = scored.map(groupByOu);
  const byAccount = scored.at(-1)!;
  const byOu = [...groupByOu(byAccount)]
    .map(([ouPath, scores]) => ({ ouPath, score: meanScore(scores)!, accounts: scores.length }))
    .sort((a, b) => a.score - b.score || a.ouPath.localeCompare(b.ouPath));
  const ouTrend = byOu.map(({ ouPath }) => ({
    ouPath,
    scores: ouPoints.map((point) => meanScore(point.get(ouPath) ?? [])),
  }));

  const count = async (where: SQL | undefined) =>
    Number((await db.select({ n: sql<number>`count(*)::int` }).from(findings).where(where))[0]?.n ?? 0);
  const resolvedInWindow = and(
    sql`${findings.status} = 'resolved' and ${isIssue}`,
    inWindow(findings.resolvedAt, window),
  );
  const mttrRows = await db
    .select({
      severity: findings.severity,
      n: sql<number>`count(*)::int`,
      seconds: sql<number>`avg(extract(epoch from ${findings.resolvedAt} - ${findings.firstSeenAt}))::float8`,
    })
    .from(findings)
    .where(resolvedInWindow)
    .groupBy(findings.severity);
  const mttrDays = Object.fromEntries(
    SEVERITIES.map((s) => [s, { days: null, resolved: 0 }]),
  ) as WeeklyFigures['mttrDays'];
  for (const r of mttrRows) {
    mttrDays[r.severity as Severity] = {
      days: Math.round((Number(r.seconds) / 86_400) * 10) / 10,
      resolved: Number(r.n),
    };
  }

  const requests = (where: SQL | undefined) =>
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(remediationRequests)
      .where(where)
      .then(([r]) => Number(r?.n ?? 0));
  const finished = inWindow(remediationRequests.executionFinishedAt, window);
  const [{ rejected } = { rejected: 0 }] = await db
    .select({ rejected: sql<number>`count(distinct ${remediationDecisions.requestId})::int` })
    .from(remediationDecisions)
    .where(
      and(eq(remediationDecisions.decision, 'reject'), inWindow(remediationDecisions.decidedAt, window)),
    );

  return {
    window,
    trend,
    score: trend.at(-1)!.score,
    byOu,
    ouTrend,
    byAccount,
    opened: await count(and(inWindow(findings.firstSeenAt, window), isIssue)),
    resolved: await count(resolvedInWindow),
    mttrDays,
    sla: await slaBreaches(db, window.to, policy.slaDays),
    suppressions: await suppressionFigures(db, window.to, undefined, 20),
    remediations: {
      requested: await requests(inWindow(remediationRequests.requestedAt, window)),
      approved: await requests(inWindow(remediationRequests.executionStartedAt, window)),
      executed: await requests(
        and(
          finished,
          eq(remediationRequests.mode, 'execute'),
          inArray(remediationRequests.status, ['succeeded', 'unverified']),
        ),
      ),
      failed: await requests(and(finished, eq(remediationRequests.status, 'failed'))),
      rejected: Number(rejected),
    },
    notScanned: await notScanned(db, undefined),
    standards,
    accessReviews,
  };
}
