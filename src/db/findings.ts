import { type SQL, sql } from 'drizzle-orm';
import type { Finding as SourceFinding } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import { type Database, rawRows } from './client.js';
import { retryOnDeadlock } from './errors.js';
import { regroupIssues } from './issues.js';

/** What a statement did: each page's counts, and the issues it regrouped that lack their triage. */
export interface IngestResult {
  pages: PageCounts[];
  /** Issues a finding joined (or rejoined) whose triage it does not have yet (issue-triage.ts). */
  lackingTriage: string[];
}

export interface PageCounts {
  new: number;
  updated: number;
  reopened: number;
  resolved: number;
}

type Scalar = string | number | boolean | null | undefined;

/**
 * What only a failing finding's row needs (a passing control evaluation, the most common record a
 * full sync reads, resolves a row or is a control result, and neither reads these): sent as NULL for
 * the others, which halves what a passing record costs to build and to send.
 */
const failingOnly =
  (value: (f: SourceFinding) => Scalar) =>
  (f: SourceFinding): Scalar =>
    f.failing ? value(f) : null;

/**
 * What the ingest statement reads of each incoming finding, as one array parameter per column: a
 * PostgreSQL array literal, which `unnest` reads in about half the time `json_to_recordset` takes
 * to read the same findings as JSON records (measured: 4 against 9 ms for 1,000 findings).
 */
const INCOMING: ReadonlyArray<readonly [column: string, type: string, value: (f: SourceFinding) => Scalar]> =
  [
    ['source', 'text', (f) => f.source],
    ['product_arn', 'text', (f) => f.productArn],
    ['external_id', 'text', (f) => f.externalId],
    ['account_id', 'text', (f) => f.accountId],
    ['region', 'text', (f) => f.region],
    ['resource_type', 'text', failingOnly((f) => f.resourceType)],
    ['resource_id', 'text', (f) => f.resourceId],
    ['control_id', 'text', (f) => f.controlId],
    ['generator_id', 'text', failingOnly((f) => f.generatorId)],
    ['title', 'text', failingOnly((f) => f.title)],
    ['description', 'text', failingOnly((f) => f.description)],
    ['severity', 'text', failingOnly((f) => f.severity)],
    ['compliance', 'text', (f) => f.compliance],
    ['aws_workflow_status', 'text', (f) => f.awsWorkflowStatus],
    ['source_updated_at', 'timestamptz', (f) => f.sourceUpdatedAt?.toISOString()],
    ['remediation_text', 'text', failingOnly((f) => f.remediationText)],
    ['remediation_url', 'text', failingOnly((f) => f.remediationUrl)],
    ['evidence', 'jsonb', failingOnly((f) => JSON.stringify(f.evidence))],
    ['failing', 'boolean', (f) => f.failing],
    // A control evaluation's result (null for other findings); its standards as an array literal.
    ['control_status', 'text', (f) => f.evaluation?.status],
    ['standards', 'text', (f) => f.evaluation && arrayLiteral(f.evaluation.standards, (id) => id)],
    ['archived', 'boolean', (f) => f.evaluation?.archived],
  ];

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

/**
 * A PostgreSQL array literal of `value` over `items`: every element quoted (backslash and quote
 * escaped), or NULL. Built as one string, with no array of elements in between: for a statement of
 * 1,000 findings this was a fifth of everything the scan allocated.
 */
function arrayLiteral<T>(items: readonly T[], value: (item: T) => Scalar): string {
  let literal = '{';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) literal += ',';
    const v = value(items[i]!);
    if (v === null || v === undefined) literal += 'NULL';
    else {
      const text = String(v);
      literal += NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, '\\$&')}"` : `"${text}"`;
    }
  }
  return `${literal}}`;
}

/** `unnest(...) as x(part, source, ...)` over the findings, each tagged with the page it came in. */
function incomingRows(findings: ReadonlyArray<{ part: number; finding: SourceFinding }>): SQL {
  const arrays = [
    sql`${arrayLiteral(findings, (i) => i.part)}::int[]`,
    ...INCOMING.map(
      ([, type, value]) => sql`${arrayLiteral(findings, (i) => value(i.finding))}::${sql.raw(type)}[]`,
    ),
  ];
  const columns = ['part', ...INCOMING.map(([column]) => column)].join(', ');
  return sql`unnest(${sql.join(arrays, sql`, `)}) as x(${sql.raw(columns)})`;
}

/**
 * Stores pages of findings (from one target or several) in a single statement: one round trip,
 * atomic, whatever their size. The findings travel as one array parameter per column, each tagged
 * with its page;
 * data-modifying CTEs then, against the same snapshot:
 * - insert the failing findings, or refresh their rows; a resolved row is reopened and marked as a
 *   regression, while acknowledged, suppressed and assigned rows keep their lifecycle fields;
 * - resolve the rows of findings the source reports fixed (passed, archived, resolved);
 * - count what was new, updated (severity, compliance, workflow or source time changed), reopened
 *   and resolved, from the rows as they were before the statement;
 * - name the issues whose findings came, came back or left, whose primaries are then chosen anew.
 * A finding that is not failing and was never stored is ignored.
 */
export async function ingestFindings(
  db: Database,
  pages: SourceFinding[][],
  /** The scan whose pages these are; null for findings events (which stamp a sighting instead). */
  scanId: number | null,
  now: Date,
  /** Severities a new or regressed finding is alerted at (the policy's alerts); none: no alert is queued. */
  alertAt: readonly Severity[] = [],
): Promise<IngestResult> {
  const counts = pages.map(() => ({ new: 0, updated: 0, reopened: 0, resolved: 0 }));
  // A finding twice in the statement would be updated twice, which PostgreSQL refuses: the last wins.
  const latest = new Map<string, { part: number; finding: SourceFinding }>();
  pages.forEach((page, part) => {
    for (const finding of page)
      latest.set(`${finding.source}\u0000${finding.productArn}\u0000${finding.externalId}`, {
        part,
        finding,
      });
  });
  if (latest.size === 0) return { pages: counts, lackingTriage: [] };
  const at = now.toISOString();
  // Who changed a row's status: a scan, or the findings events.
  const by = scanId === null ? 'warden:events' : 'warden:scan';
  // A deadlock's victim (see retryOnDeadlock) is sent again: the statement is idempotent.
  const rows = await retryOnDeadlock(() =>
    rawRows<{
      part: number;
      new: number;
      updated: number;
      reopened: number;
      resolved: number;
      issues: string[];
    }>(
      db,
      sql`
    with given as (
      select * from ${incomingRows([...latest.values()])}
    ),
    before as (
      select f.id, f.source, f.product_arn, f.external_id, f.status, f.severity, f.compliance,
             f.aws_workflow_status, f.source_updated_at, f.issue_key
      from findings f join given i using (source, product_arn, external_id)
    ),
    -- A record older than the row's (an event delivered late, or twice out of order) changes nothing.
    incoming as (
      select i.* from given i left join before b using (source, product_arn, external_id)
      where (i.source_updated_at < b.source_updated_at) is not true
    ),
    -- An events statement's sighting, taken once (a scan's statements take none: see resolveUnseen).
    sighting as (
      select case when ${scanId}::int is null then nextval('finding_sightings') end as seq
    ),
    -- PostgreSQL runs a data-modifying CTE exactly once whether or not the query reads it.
    upserted as (
      insert into findings as f (
        source, product_arn, external_id, account_id, region, resource_type, resource_id, control_id,
        generator_id, title, description, severity, compliance, aws_workflow_status, status, first_seen_at,
        last_seen_at, source_updated_at, status_changed_at, status_changed_by, remediation_text,
        remediation_url, evidence, last_scan_id, seen_seq)
      select source, product_arn, external_id, account_id, region, resource_type, resource_id, control_id,
             generator_id, title, description, severity, compliance, aws_workflow_status, 'open',
             ${at}::timestamptz, ${at}::timestamptz, source_updated_at, ${at}::timestamptz, ${by},
             remediation_text, remediation_url, evidence, ${scanId}::int, (select seq from sighting)
      from incoming where failing
      on conflict (source, product_arn, external_id) do update set
        account_id = excluded.account_id, region = excluded.region, resource_type = excluded.resource_type,
        resource_id = excluded.resource_id, control_id = excluded.control_id, generator_id = excluded.generator_id,
        title = excluded.title, description = excluded.description, severity = excluded.severity,
        compliance = excluded.compliance, aws_workflow_status = excluded.aws_workflow_status,
        source_updated_at = excluded.source_updated_at, remediation_text = excluded.remediation_text,
        remediation_url = excluded.remediation_url, evidence = excluded.evidence,
        last_seen_at = excluded.last_seen_at,
        last_scan_id = coalesce(excluded.last_scan_id, f.last_scan_id),
        seen_seq = coalesce(excluded.seen_seq, f.seen_seq),
        status = case when f.status = 'resolved' then 'open' else f.status end,
        regression = f.regression or f.status = 'resolved',
        reopen_count = f.reopen_count + case when f.status = 'resolved' then 1 else 0 end,
        resolved_at = case when f.status = 'resolved' then null else f.resolved_at end,
        status_changed_at = case when f.status = 'resolved' then excluded.last_seen_at else f.status_changed_at end,
        status_changed_by = case when f.status = 'resolved' then excluded.status_changed_by else f.status_changed_by end
      returning f.id, f.issue_key, f.reopen_count, f.account_id, f.severity
    ),${alertAt.length ? queueAlerts(at, alertAt) : sql``}
    -- Control results: every evaluation seen is stored with its result; an archived one is dropped.
    evaluated as (
      insert into control_results as c (source, product_arn, external_id, account_id, region, control_id,
        resource_id, status, suppressed, standards, evaluated_at, last_seen_at, last_scan_id, seen_seq)
      select source, product_arn, external_id, account_id, region, control_id, resource_id, control_status,
             coalesce(aws_workflow_status = 'SUPPRESSED', false), standards::text[], source_updated_at,
             ${at}::timestamptz, ${scanId}::int, (select seq from sighting)
      from incoming where control_status is not null and control_id is not null and not archived
      on conflict (source, product_arn, external_id) do update set
        account_id = excluded.account_id, region = excluded.region, control_id = excluded.control_id,
        resource_id = excluded.resource_id, status = excluded.status, suppressed = excluded.suppressed,
        standards = excluded.standards, evaluated_at = excluded.evaluated_at,
        last_seen_at = excluded.last_seen_at,
        last_scan_id = coalesce(excluded.last_scan_id, c.last_scan_id),
        seen_seq = coalesce(excluded.seen_seq, c.seen_seq)
    ),
    dropped as (
      delete from control_results c using incoming i
      where i.archived and c.source = i.source and c.product_arn = i.product_arn and c.external_id = i.external_id
    ),
    fixed as (
      update findings f set status = 'resolved', resolved_at = ${at}::timestamptz,
        status_changed_at = ${at}::timestamptz, status_changed_by = ${by},
        source_updated_at = coalesce(i.source_updated_at, f.source_updated_at)
      from before b join incoming i using (source, product_arn, external_id)
      where f.id = b.id and not i.failing and b.status <> 'resolved'
      returning f.id, f.issue_key
    ),
    -- The issues whose findings came, came back or left, and that have more than one finding (here,
    -- or stored before), and both issues of a finding that changed issue (a control id learnt): their
    -- primaries are chosen anew. An issue of one finding, by far the most common, needs nothing.
    regrouped as (
      select k.issue_key from (
        select u.id, u.issue_key, b.issue_key <> u.issue_key as moved from upserted u
          left join before b on b.id = u.id
          where b.id is null or b.status = 'resolved' or b.issue_key <> u.issue_key
        union all select b.id, b.issue_key, true from upserted u join before b on b.id = u.id
          where b.issue_key <> u.issue_key
        union all select id, issue_key, false from fixed
      ) k
      group by k.issue_key
      having count(*) > 1 or bool_or(k.moved) or exists (select 1 from findings m
        where m.issue_key = k.issue_key and not m.id = any(array_agg(k.id)))
    )
    -- Per page, from the rows as they were before the statement (fixed: the rows resolved above).
    select i.part,
      count(*) filter (where i.failing and b.id is null)::int as new,
      count(*) filter (where i.failing and b.status <> 'resolved' and (
          b.severity is distinct from i.severity or b.compliance is distinct from i.compliance
          or b.aws_workflow_status is distinct from i.aws_workflow_status
          or b.source_updated_at is distinct from i.source_updated_at))::int as updated,
      count(*) filter (where i.failing and b.status = 'resolved')::int as reopened,
      count(*) filter (where not i.failing and b.status <> 'resolved')::int as resolved,
      (select coalesce(array_agg(issue_key), '{}') from regrouped) as issues
    from incoming i left join before b using (source, product_arn, external_id)
    group by i.part
  `,
    ),
  );
  // After the statement has committed: two targets' statements regrouping one issue inside their own
  // transactions would wait for each other's rows (a global control resolved in every region at once).
  const { lackingTriage } = await regroupIssues(db, rows[0]?.issues ?? []);
  for (const r of rows)
    counts[Number(r.part)] = {
      new: Number(r.new),
      updated: Number(r.updated),
      reopened: Number(r.reopened),
      resolved: Number(r.resolved),
    };
  return { pages: counts, lackingTriage };
}

/**
 * The alerts of a statement's new and regressed findings at the given severities: one per finding and
 * occurrence (its reopen count), queued in the statement's own transaction, so that a finding stored
 * is never left unalerted and a statement sent again (a deadlock's retry, an event delivered twice)
 * queues nothing more. Nothing is queued until a first scan has completed: what the first scan finds is
 * the organization as it was, not news.
 */
function queueAlerts(at: string, alertAt: readonly Severity[]): SQL {
  return sql`
    queued as (
      insert into alerts (finding_id, occurrence, account_id, queued_at)
      select u.id, u.reopen_count, u.account_id, ${at}::timestamptz
      from upserted u left join before b on b.id = u.id
      where (b.id is null or b.status = 'resolved') and u.severity = any(${`{${alertAt.join(',')}}`}::text[])
        -- Before a first scan has completed every finding is new: onboarding, not news.
        and exists (select 1 from scans where status = 'completed')
      on conflict (finding_id, occurrence) do nothing
    ),`;
}

export interface ResolveScope {
  source: string;
  accountId: string;
  /** Absent: every region of the account (credential reports, aggregator mode). */
  region?: string;
}

/**
 * After a scan whose targets completed: resolves every unresolved finding in their scopes (source,
 * account, and region when given) that this scan did not see, in one statement. `scopes` is a query
 * of rows (target, source, account_id, region), region null for the whole account. Returns how many
 * findings each target's scopes resolved, for the targets that resolved any (a finding in the
 * scopes of two targets counts for both).
 */
export async function resolveUnseen(
  db: Database,
  scopes: SQL,
  scanId: number,
  now: Date,
): Promise<Array<{ target: number; resolved: number }>> {
  const at = now.toISOString();
  // The open findings this scan did not see are few; they are found first (no index knows the scan),
  // then matched to the scopes by account.
  return rawRows<{ target: number; resolved: number }>(
    db,
    sql`
    with s as (${scopes}),
    resolved as (
      update findings f set status = 'resolved', resolved_at = ${at}::timestamptz,
        status_changed_at = ${at}::timestamptz, status_changed_by = 'warden:scan'
      where f.status <> 'resolved' and f.last_scan_id is distinct from ${scanId}::int
        and (f.seen_seq is null or f.seen_seq < (select sightings_from from scans where id = ${scanId}::int))
        and exists (select 1 from s where s.source = f.source and s.account_id = f.account_id
          and (s.region is null or s.region = f.region))
      returning f.source, f.account_id, f.region
    )
    select s.target, count(*)::int as resolved from resolved r
      join s on s.source = r.source and s.account_id = r.account_id and (s.region is null or s.region = r.region)
    group by s.target order by s.target`,
  );
}
