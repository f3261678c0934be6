import { type SQL, sql } from 'drizzle-orm';
import type { CheckResult, StandardControlDefinition } from '../findings/compliance.js';
import { type Database, rawRows } from './client.js';

/**
 * After a scan whose full syncs completed: drops the control results in their scopes (source,
 * account, and region when given) that this scan did not see. Security Hub no longer reports them
 * (archived, the resource deleted, the control disabled long enough), so they are evidence of
 * nothing. `scopes` is the same query of rows (target, source, account_id, region) that resolves
 * unseen findings. Returns how many it dropped.
 */
export async function dropUnseenResults(db: Database, scopes: SQL, scanId: number): Promise<number> {
  const [row] = await rawRows<{ dropped: number }>(
    db,
    sql`
    with s as (${scopes}),
    dropped as (
      delete from control_results c
      where c.last_scan_id is distinct from ${scanId}::int
        and (c.seen_seq is null or c.seen_seq < (select sightings_from from scans where id = ${scanId}::int))
        and exists (select 1 from s where s.source = c.source and s.account_id = c.account_id
          and (s.region is null or s.region = c.region))
      returning 1
    )
    select count(*)::int as dropped from dropped`,
  );
  return Number(row?.dropped ?? 0);
}

/** A security control as its findings describe it: title and related requirements (the same in every account). */
export interface SecurityControlSeen {
  controlId: string;
  title: string;
  requirements: string[];
}

/**
 * Writes catalogue rows (a control's title and requirements, the same in every account) that are new
 * or changed, in their id's order, in a statement of its own: had they been written by the ingest
 * statement, rows every target shares would be locked by each concurrent statement in its own order
 * (PostgreSQL reported the deadlock). An unchanged row is not written, so it is not locked.
 */
async function recordCatalogue(
  db: Database,
  table: 'security_controls' | 'standard_controls',
  /** The standard the controls belong to (standard_controls' key besides the control). */
  standardId: string | undefined,
  controls: Array<{ controlId: string; title: string; requirements: string[] }>,
  now: Date,
): Promise<void> {
  if (controls.length === 0) return;
  const rows = JSON.stringify([...controls].sort((a, b) => (a.controlId < b.controlId ? -1 : 1)));
  const at = now.toISOString();
  const t = sql.identifier(table);
  const ofStandard = standardId === undefined ? sql`` : sql` and s.standard_id = ${standardId}`;
  const keys = standardId === undefined ? sql`control_id` : sql`standard_id, control_id`;
  const values = standardId === undefined ? sql`` : sql`${standardId}, `;
  await rawRows(
    db,
    sql`
    with seen as (
      select * from jsonb_to_recordset(${rows}::jsonb) as c("controlId" text, title text, requirements jsonb)
    ),
    changed as (
      update ${t} s set title = c.title, requirements = c.requirements, updated_at = ${at}::timestamptz
      from seen c
      where s.control_id = c."controlId"${ofStandard} and (s.title <> c.title or s.requirements <> c.requirements)
    )
    insert into ${t} (${keys}, title, requirements, updated_at)
    select ${values}"controlId", title, requirements, ${at}::timestamptz from seen order by "controlId"
    on conflict (${keys}) do nothing`,
  );
}

/** Records the security controls a scan's evaluations named, new or changed. */
export const recordSecurityControls = (db: Database, controls: SecurityControlSeen[], now: Date) =>
  recordCatalogue(db, 'security_controls', undefined, controls, now);

/** Records a standard's controls (title, requirements within it) as DescribeStandardsControls listed them. */
export const recordStandardControls = (
  db: Database,
  standardId: string,
  controls: StandardControlDefinition[],
  now: Date,
) => recordCatalogue(db, 'standard_controls', standardId, controls, now);

/** Stores Warden's check results for an account (one row per check, pass or fail), in one statement. */
export async function storeCheckResults(
  db: Database,
  results: CheckResult[],
  scanId: number,
  now: Date,
): Promise<void> {
  if (results.length === 0) return;
  const rows = JSON.stringify(
    results.map((r) => ({ ...r, evaluatedAt: r.evaluatedAt.toISOString(), evidence: r.evidence })),
  );
  await rawRows(
    db,
    sql`
    insert into control_results as c (source, product_arn, external_id, account_id, region, control_id,
      resource_id, status, evidence, evaluated_at, last_seen_at, last_scan_id)
    select r.source, '', r."externalId", r."accountId", 'global', r."controlId", r."accountId", r.status,
      r.evidence, r."evaluatedAt", ${now.toISOString()}::timestamptz, ${scanId}::int
    from jsonb_to_recordset(${rows}::jsonb) as r(source text, "externalId" text, "accountId" text,
      "controlId" text, status text, evidence jsonb, "evaluatedAt" timestamptz)
    on conflict (source, product_arn, external_id) do update set status = excluded.status,
      evidence = excluded.evidence, evaluated_at = excluded.evaluated_at,
      last_seen_at = excluded.last_seen_at, last_scan_id = excluded.last_scan_id`,
  );
}

/**
 * At a scan's conclusion: what its completed full syncs read of their account and region's standards
 * (`results`: rows of target results carrying `standards`, a StandardsEnablement) replaces what was
 * known there. A standard no longer enabled and a control enabled again go; each row a read shows is
 * written. One statement (the rows it deletes and the rows it writes are apart).
 */
export async function applyStandardsRead(db: Database, results: SQL, now: Date): Promise<void> {
  const at = now.toISOString();
  await rawRows(
    db,
    sql`
    with readings as (
      select r.result->>'accountId' as account_id, r.result->>'region' as region, r.result->'standards' as s
      from (${results}) r where r.result->>'status' = 'ok' and r.result->'standards' is not null
    ),
    enabled as (
      select r.account_id, r.region, x."standardId" as standard_id, x."subscriptionArn" as subscription_arn, x.status
      from readings r cross join lateral jsonb_to_recordset(r.s->'enabled')
        as x("standardId" text, "subscriptionArn" text, status text)
    ),
    disabled as (
      select r.account_id, r.region, x."standardId" as standard_id, x."controlId" as control_id, x.reason
      from readings r cross join lateral jsonb_to_recordset(r.s->'disabled')
        as x("standardId" text, "controlId" text, reason text)
    ),
    standards_gone as (
      delete from enabled_standards e using readings r
      where e.account_id = r.account_id and e.region = r.region
        and not exists (select 1 from enabled n where n.account_id = e.account_id and n.region = e.region
          and n.standard_id = e.standard_id)
    ),
    standards_read as (
      insert into enabled_standards (account_id, region, standard_id, subscription_arn, status, read_at)
      select account_id, region, standard_id, subscription_arn, status, ${at}::timestamptz from enabled
      on conflict (account_id, region, standard_id) do update set subscription_arn = excluded.subscription_arn,
        status = excluded.status, read_at = excluded.read_at
    ),
    enabled_again as (
      delete from disabled_controls d using readings r
      where d.account_id = r.account_id and d.region = r.region
        and not exists (select 1 from disabled n where n.account_id = d.account_id and n.region = d.region
          and n.standard_id = d.standard_id and n.control_id = d.control_id)
    )
    insert into disabled_controls (account_id, region, standard_id, control_id, reason, read_at)
    select account_id, region, standard_id, control_id, reason, ${at}::timestamptz from disabled
    on conflict (account_id, region, standard_id, control_id) do update set reason = excluded.reason,
      read_at = excluded.read_at`,
  );
}

/** Where standards taken from findings are kept: one row per account and standard, not per region. */
export const FROM_FINDINGS_REGION = 'aggregated';

/**
 * At a scan's conclusion, for the accounts its full aggregator syncs covered (`results`: rows of
 * target results carrying `standardsFromFindings`): each account's enabled standards become those its
 * control results name in `AssociatedStandards` (Security Hub lists there the enabled standards in
 * which the control is on), kept under the region `aggregated` with the status `FROM_FINDINGS`.
 * Which controls a member disabled cannot be seen from the administrator: none are recorded.
 */
export async function standardsFromFindings(db: Database, results: SQL, now: Date): Promise<void> {
  await rawRows(
    db,
    sql`
    with covered as (
      select distinct a.account_id
      from (${results}) r cross join lateral jsonb_array_elements_text(r.result->'standardsFromFindings') as a(account_id)
      where r.result->>'status' = 'ok'
    ),
    named as (
      select distinct c.account_id, s.standard_id
      from control_results c cross join unnest(c.standards) as s(standard_id)
      where c.account_id in (select account_id from covered)
    ),
    gone as (
      delete from enabled_standards e using covered c
      where e.account_id = c.account_id and e.region = ${FROM_FINDINGS_REGION}
        and not exists (select 1 from named n where n.account_id = e.account_id and n.standard_id = e.standard_id)
    )
    insert into enabled_standards (account_id, region, standard_id, subscription_arn, status, read_at)
    select account_id, ${FROM_FINDINGS_REGION}, standard_id, '', 'FROM_FINDINGS', ${now.toISOString()}::timestamptz
    from named
    on conflict (account_id, region, standard_id) do update set read_at = excluded.read_at`,
  );
}
