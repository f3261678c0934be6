import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { type Database, rawRows } from '../../src/db/client.js';
import { checkSchema, migrationCount } from '../../src/db/status.js';
import { openEmptyDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;
beforeEach(async () => {
  t = await openEmptyDatabase();
});
afterEach(async () => {
  await t.close();
});

/** Everything a migration can change that matters here: tables, columns, indexes, triggers, applied migrations. */
async function catalog(db: Database) {
  const columns = await rawRows(
    db,
    sql`select table_name, column_name, data_type, is_nullable, column_default
        from information_schema.columns where table_schema = 'public' order by table_name, column_name`,
  );
  const indexes = await rawRows(
    db,
    sql`select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`,
  );
  const triggers = await rawRows(
    db,
    sql`select tgname from pg_trigger where not tgisinternal order by tgname`,
  );
  const applied = await rawRows(db, sql`select hash from drizzle.__drizzle_migrations order by id`);
  return { columns, indexes, triggers, applied };
}

test('the migrations apply to an empty database and create the whole schema', async () => {
  expect(await checkSchema(t.db)).toMatchObject({ ok: false });
  await t.migrate();
  const { columns, triggers, applied } = await catalog(t.db);
  const tables = new Set(columns.map((c) => c.table_name));
  expect([...tables].sort()).toEqual([
    'accounts',
    'assignments',
    'audit_chain_head',
    'audit_events',
    'compliance_snapshots',
    'control_results',
    'control_statuses',
    'digests_sent',
    'disabled_controls',
    'enabled_standards',
    'finding_counts',
    'findings',
    'job_runs',
    'posture_snapshots',
    'rate_buckets',
    'remediation_decisions',
    'remediation_requests',
    'scan_target_results',
    'scan_targets',
    'scans',
    'security_controls',
    'standard_controls',
    'suppressions',
    'sync_cursors',
  ]);
  expect(triggers.map((r) => r.tgname)).toEqual([
    'audit_events_no_truncate',
    'audit_events_no_update_delete',
    'finding_counts_on_delete',
    'finding_counts_on_insert',
    'finding_counts_on_truncate',
    'finding_counts_on_update',
  ]);
  expect(applied).toHaveLength(migrationCount());
  expect(await checkSchema(t.db)).toMatchObject({ ok: true });
});

test('applying the migrations again changes nothing', async () => {
  await t.migrate();
  const before = await catalog(t.db);
  await t.migrate();
  expect(await catalog(t.db)).toEqual(before);
});
