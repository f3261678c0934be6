import { and, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';
import { accounts, findingCounts, findings, suppressions } from '../db/schema.js';
import type { FindingStatus } from '../domain.js';
import { WARDEN_CHECK_IDS, WARDEN_GENERATOR } from '../findings/checks.js';
import type { Source } from '../findings/finding.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';
import { isIssue, isOpen, OPEN_STATUSES } from './summary.js';

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
  /** Findings of these security controls (IAM.4) or Warden checks (root-access-keys). */
  controls?: string[];
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
  /** The other findings of its issue (the same problem from another region, standard or source). */
  otherSources: IssueSource[];
}

/** One more finding of an issue, as the issue lists it. */
export interface IssueSource {
  id: number;
  source: Source;
  region: string;
  generatorId: string | null;
  status: FindingStatus;
}

/**
 * Where a row sits in every list's order (most severe first, then newest first by when Warden first
 * saw it, then highest id): severity rank 0–4, first seen in microseconds since 1970 (the column's
 * own precision, so no row is skipped or shown twice), id.
 */
export interface PageKey {
  rank: number;
  micros: number;
  id: number;
}

/** A page: the first rows, or the rows from a key (that row included), after it, or before it. */
export type PageAt = { from: PageKey } | { after: PageKey } | { before: PageKey } | Record<string, never>;

/** A page key as buttons and block ids carry it: `rank.micros.id`, numbers in base 36. */
export const encodePageKey = (k: PageKey): string =>
  `${k.rank}.${k.micros.toString(36)}.${k.id.toString(36)}`;

/** Reads a key written by encodePageKey; undefined for anything else. */
export function decodePageKey(text: string): PageKey | undefined {
  const m = /^([0-4])\.([0-9a-z]{1,12})\.([0-9a-z]{1,7})$/.exec(text);
  if (!m) return undefined;
  const key = { rank: Number(m[1]), micros: Number.parseInt(m[2]!, 36), id: Number.parseInt(m[3]!, 36) };
  return Number.isSafeInteger(key.micros) && key.id <= 2_147_483_647 ? key : undefined;
}

/** The filters as a condition on findings: on issues (their primaries), unless it names findings by id. */
function matching(filters: FindingFilters): SQL | undefined {
  return and(
    filters.ids ? undefined : isIssue,
    // By rank, the column the order indexes lead with (SEVERITIES is in rank order).
    filters.severity ? eq(findings.severityRank, SEVERITIES.indexOf(filters.severity)) : undefined,
    filters.accountId ? eq(findings.accountId, filters.accountId) : undefined,
    filters.accountIds
      ? inArray(findings.accountId, filters.accountIds.length ? filters.accountIds : [''])
      : undefined,
    filters.ids ? inArray(findings.id, filters.ids.length ? filters.ids : [-1]) : undefined,
    // Without a status filter, "open" and "acknowledged" findings: the ones that still need work.
    filters.status ? eq(findings.status, filters.status) : filters.ids ? undefined : isOpen,
    filters.assignee ? eq(findings.assignee, filters.assignee) : undefined,
    filters.source ? eq(findings.source, filters.source) : undefined,
    filters.controls ? ofControls(filters.controls) : undefined,
  );
}

/**
 * The issues of these controls: an issue's findings share its control (`findings_control_order_idx`).
 * A Warden check's finding may be another's duplicate, so a check matches the issues that have a
 * finding of it: their ids, gathered once (`findings_check_idx`) into an array the primary key reads.
 */
function ofControls(controls: readonly string[]): SQL | undefined {
  const checks = controls.filter((c) => (WARDEN_CHECK_IDS as readonly string[]).includes(c));
  return or(
    inArray(findings.controlId, [...controls]),
    checks.length
      ? sql`${findings.id} = any(array(select coalesce(m.duplicate_of, m.id) from findings m
          where m.source = 'credential-report'
            and m.generator_id = any(${textArray(checks.map((c) => `${WARDEN_GENERATOR}${c}`))}::text[])))`
      : undefined,
  );
}

/**
 * How many findings match. Filters on account, severity, state and source are answered from the
 * per-account counts; an assignee, a list of ids or controls counts the findings.
 */
export async function countFindings(db: Database, filters: FindingFilters): Promise<number> {
  if (filters.assignee !== undefined || filters.ids !== undefined || filters.controls !== undefined)
    return db.$count(findings, matching(filters));
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${findingCounts.n}), 0)::bigint` })
    .from(findingCounts)
    .where(
      and(
        filters.severity ? eq(findingCounts.severity, filters.severity) : undefined,
        filters.accountId ? eq(findingCounts.accountId, filters.accountId) : undefined,
        filters.accountIds
          ? inArray(findingCounts.accountId, filters.accountIds.length ? filters.accountIds : [''])
          : undefined,
        filters.status
          ? eq(findingCounts.status, filters.status)
          : inArray(findingCounts.status, [...OPEN_STATUSES]),
        filters.source ? eq(findingCounts.source, filters.source) : undefined,
      ),
    );
  return Number(row?.n ?? 0);
}

const firstSeenMicros = sql<string>`(extract(epoch from ${findings.firstSeenAt}) * 1000000)::bigint`;
const microsAsTime = (micros: number) =>
  sql`('epoch'::timestamptz + ${micros}::bigint * interval '1 microsecond')`;
const keyOf = { id: findings.id, rank: findings.severityRank, micros: firstSeenMicros };
const toKey = (r: { id: number; rank: number; micros: string }): PageKey => ({
  id: r.id,
  rank: r.rank,
  micros: Number(r.micros),
});
/** The lists' order, forwards and backwards, as the order indexes hold it. */
const FORWARD = sql`${findings.severityRank}, ${findings.firstSeenAt} desc nulls last, ${findings.id} desc nulls last`;
const WITHIN_RANK = sql`${findings.firstSeenAt} desc nulls last, ${findings.id} desc nulls last`;
const BACKWARD = sql`${findings.severityRank} desc, ${findings.firstSeenAt} asc nulls first, ${findings.id} asc nulls first`;
const WITHIN_RANK_BACKWARD = sql`${findings.firstSeenAt} asc nulls first, ${findings.id} asc nulls first`;
const compareKeys = (a: PageKey, b: PageKey) => a.rank - b.rank || b.micros - a.micros || b.id - a.id;

/**
 * The keys of one page in the lists' order. A page past a key is two index ranges (the rest of the
 * key's severity, then the more lenient severities), each read only as far as the page needs: any
 * page costs what the first one does, where an OFFSET read and dropped every row before it.
 */
async function pageKeys(db: Database, where: SQL | undefined, at: PageAt, limit: number): Promise<PageKey[]> {
  const keys = (condition: SQL | undefined, order: SQL) =>
    db.select(keyOf).from(findings).where(and(where, condition)).orderBy(order).limit(limit);
  if ('before' in at && at.before) {
    const k = at.before;
    const position = sql`(${findings.firstSeenAt}, ${findings.id}) > (${microsAsTime(k.micros)}, ${k.id}::int)`;
    const [same, earlier] = await Promise.all([
      keys(and(eq(findings.severityRank, k.rank), position), WITHIN_RANK_BACKWARD),
      keys(sql`${findings.severityRank} < ${k.rank}`, BACKWARD),
    ]);
    return [...same, ...earlier].map(toKey).sort(compareKeys).slice(-limit);
  }
  const start = 'from' in at ? at.from : 'after' in at ? at.after : undefined;
  if (!start) return (await keys(undefined, FORWARD)).map(toKey);
  const op = 'from' in at ? sql`<=` : sql`<`;
  const position = sql`(${findings.firstSeenAt}, ${findings.id}) ${op} (${microsAsTime(start.micros)}, ${start.id}::int)`;
  const [same, later] = await Promise.all([
    keys(and(eq(findings.severityRank, start.rank), position), WITHIN_RANK),
    keys(sql`${findings.severityRank} > ${start.rank}`, FORWARD),
  ]);
  return [...same, ...later].map(toKey).sort(compareKeys).slice(0, limit);
}

/**
 * The keys of one page of these controls' issues. A control's findings share its severity, so
 * walking the findings in the lists' order to find its issues read every more severe finding first
 * (1–2 s at 1,000,000 findings). Each control (or check) is paged in each state apart, each a range
 * of `findings_control_order_idx` read only as far as the page needs, and the pages merged (an issue
 * a control and a check both name counted once).
 */
async function controlPageKeys(
  db: Database,
  filters: FindingFilters,
  at: PageAt,
  limit: number,
): Promise<PageKey[]> {
  const statuses = filters.status ? [filters.status] : OPEN_STATUSES;
  const each = await Promise.all(
    (filters.controls ?? []).flatMap((control) =>
      statuses.map((status) =>
        pageKeys(db, matching({ ...filters, controls: [control], status }), at, limit),
      ),
    ),
  );
  const merged = [...new Map(each.flat().map((k) => [k.id, k])).values()].sort(compareKeys);
  return 'before' in at && at.before ? merged.slice(-limit) : merged.slice(0, limit);
}

/** One page of findings matching the filters (most severe first), how many match in all, and the page's keys. */
export async function listFindings(
  db: Database,
  filters: FindingFilters,
  page: { limit: number; at?: PageAt },
): Promise<{ rows: FindingSummary[]; total: number; keys: PageKey[] }> {
  const at = page.at ?? {};
  const [total, keys] = await Promise.all([
    countFindings(db, filters),
    filters.controls && !filters.ids
      ? controlPageKeys(db, filters, at, page.limit)
      : pageKeys(db, matching(filters), at, page.limit),
  ]);
  const rows = await summaries(
    db,
    keys.map((k) => k.id),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return { rows: keys.flatMap((k) => byId.get(k.id) ?? []), total, keys };
}

/** The findings with these ids as every view shows them (in no particular order). */
async function summaries(db: Database, ids: number[]): Promise<FindingSummary[]> {
  if (ids.length === 0) return [];
  const [rows, others] = await Promise.all([
    db
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
      .where(inArray(findings.id, ids)),
    otherSources(db, ids),
  ]);
  return rows.map(({ suppressionReason, suppressionExpiresAt, suppressionBy, ...r }) => ({
    ...r,
    severity: r.severity as Severity,
    otherSources: others.get(r.id) ?? [],
    suppression:
      suppressionReason !== null && suppressionExpiresAt && suppressionBy
        ? { reason: suppressionReason, expiresAt: suppressionExpiresAt, createdBy: suppressionBy }
        : null,
  }));
}

/** The other findings of each of these findings' issues, by finding. */
async function otherSources(db: Database, ids: number[]): Promise<Map<number, IssueSource[]>> {
  const rows = await rawRows<IssueSource & { of: number; generator_id: string | null }>(
    db,
    sql`select f.id as of, m.id, m.source, m.region, m.generator_id, m.status
      from findings f join findings m on m.issue_key = f.issue_key and m.id <> f.id
      where f.id = any(${textArray(ids.map(String))}::int[]) order by m.id`,
  );
  const out = new Map<number, IssueSource[]>();
  for (const { of, generator_id, ...r } of rows) {
    const list = out.get(Number(of)) ?? [];
    list.push({ ...r, id: Number(r.id), generatorId: generator_id });
    out.set(Number(of), list);
  }
  return out;
}

/** Findings by id, whatever their state (what a message about these findings shows). */
export async function findingSummaries(db: Database, ids: number[]): Promise<FindingSummary[]> {
  return (await listFindings(db, { ids }, { limit: Math.max(1, ids.length) })).rows;
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
