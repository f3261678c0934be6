import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { type Database, MIGRATIONS_FOLDER, rawRows } from '../../src/db/client.js';
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
    'access_review_items',
    'access_review_messages',
    'access_reviews',
    'accounts',
    'alert_messages',
    'alerts',
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

/** Applies the migrations up to and including `tag`, as a database that has not seen the later ones. */
async function migrateUpTo(db: TestDatabase, tag: string): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'warden-migrations-'));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  const last = journal.entries.findIndex((e) => e.tag === tag);
  expect(last).toBeGreaterThanOrEqual(0);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(journalFile, JSON.stringify(journal));
  if (db.driver === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(db.db as never, { migrationsFolder: folder });
  } else {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    await migrate(db.db as never, { migrationsFolder: folder });
  }
  rmSync(folder, { recursive: true });
}

test('findings stored before issues existed fold into issues, and the counts count issues', async () => {
  await migrateUpTo(t, '0021_control_statuses_by_security_control');
  const row = (id: string, source: string, region: string, resource: string, status = 'open') =>
    sql`(${source}, ${id}, '111122223333', ${region}, ${resource}, 'IAM.4', 'IAM root user access key should not exist',
      'critical', ${status}, now(), now())`;
  await t.db.execute(
    sql`insert into findings (source, external_id, account_id, region, resource_id, control_id, title, severity,
        status, first_seen_at, last_seen_at) values
      ${row('sh-use1', 'securityhub', 'us-east-1', 'AWS::::Account:111122223333', 'resolved')},
      ${row('sh-euw1', 'securityhub', 'eu-west-1', 'AWS::::Account:111122223333')},
      ${row('warden', 'credential-report', 'global', 'arn:aws:iam::111122223333:root')},
      ${row('other', 'securityhub', 'us-east-1', 'AWS::::Account:444455556666')}`,
  );
  const counted = async () =>
    (
      await rawRows<{ n: number }>(
        t.db,
        sql`select sum(n)::int as n from finding_counts where status = 'open'`,
      )
    )[0]!.n;
  expect(await counted()).toBe(3);

  await t.migrate();
  const rows = await rawRows<{ external_id: string; duplicate_of: number | null; id: number }>(
    t.db,
    sql`select id, external_id, duplicate_of from findings order by id`,
  );
  const id = (x: string) => rows.find((r) => r.external_id === x)!.id;
  // The first finding that is not resolved stands for the issue; the others point at it.
  expect(rows.map((r) => [r.external_id, r.duplicate_of])).toEqual([
    ['sh-use1', id('sh-euw1')],
    ['sh-euw1', null],
    ['warden', id('sh-euw1')],
    ['other', null],
  ]);
  expect(await counted()).toBe(2);
});
