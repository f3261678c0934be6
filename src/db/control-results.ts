import { type SQL, sql } from 'drizzle-orm';
import type { CheckResult, StandardRead } from '../findings/compliance.js';
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
        and exists (select 1 from s where s.source = c.source and s.account_id = c.account_id
          and (s.region is null or s.region = c.region))
      returning 1
    )
    select count(*)::int as dropped from dropped`,
  );
  return Number(row?.dropped ?? 0);
}

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
 * Replaces what Warden knows of an account and region's standards with what was just read: a
 * standard no longer enabled, and a control no longer listed, go. One transaction, so a reader sees
 * the old set or the new one.
 */
export async function replaceStandards(
  db: Database,
  accountId: string,
  region: string,
  standards: StandardRead[],
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  const subscriptions = JSON.stringify(
    standards.map((s) => ({
      standardId: s.standardId,
      subscriptionArn: s.subscriptionArn,
      status: s.status,
    })),
  );
  const controls = JSON.stringify(
    standards.flatMap((s) => s.controls.map((c) => ({ standardId: s.standardId, ...c }))),
  );
  await db.transaction(async (tx) => {
    await rawRows(
      tx,
      sql`delete from enabled_standards where account_id = ${accountId} and region = ${region}`,
    );
    await rawRows(
      tx,
      sql`delete from standard_controls where account_id = ${accountId} and region = ${region}`,
    );
    await rawRows(
      tx,
      sql`insert into enabled_standards (account_id, region, standard_id, subscription_arn, status, read_at)
        select ${accountId}, ${region}, s."standardId", s."subscriptionArn", s.status, ${at}::timestamptz
        from jsonb_to_recordset(${subscriptions}::jsonb) as s("standardId" text, "subscriptionArn" text, status text)`,
    );
    await rawRows(
      tx,
      sql`insert into standard_controls (account_id, region, standard_id, control_id, title, status,
          disabled_reason, requirements, read_at)
        select ${accountId}, ${region}, c."standardId", c."controlId", c.title, c.status, c."disabledReason",
          c.requirements, ${at}::timestamptz
        from jsonb_to_recordset(${controls}::jsonb) as c("standardId" text, "controlId" text, title text,
          status text, "disabledReason" text, requirements jsonb)`,
    );
  });
}
