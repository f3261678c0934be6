import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { SCAN_STATUSES } from '../../src/domain.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// Statuses are enumerated columns: the database itself refuses a value the code does not know, from
// whatever writes it.

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db.close());

test('a status outside its list is refused by the database; every listed one is taken', async () => {
  await expect(
    rawRows(db.db, sql`insert into scans (kind, trigger, status) values ('full', 'cli', 'bogus')`),
  ).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/check constraint "scans_status_check"/) },
  });
  await expect(
    rawRows(
      db.db,
      sql`insert into findings (source, external_id, account_id, region, resource_id, title, severity, first_seen_at, last_seen_at, status)
      values ('securityhub', 'x', '111122223333', 'us-east-1', 'r', 't', 'severe', now(), now(), 'open')`,
    ),
  ).rejects.toThrow();
  for (const status of SCAN_STATUSES.filter((s) => s !== 'running')) {
    await rawRows(db.db, sql`insert into scans (kind, trigger, status) values ('full', 'cli', ${status})`);
  }
  const [row] = await rawRows<{ n: number | string }>(db.db, sql`select count(*)::int as n from scans`);
  expect(Number(row!.n)).toBe(SCAN_STATUSES.length - 1);
});
