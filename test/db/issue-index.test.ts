import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { textArray } from '../../src/db/compliance.js';
import { ingestFindings } from '../../src/db/findings.js';
import { preferIssueIndex } from '../../src/db/issues.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { sourceFinding } from '../support/findings.js';

// An issue's findings are read by key through findings_issue_idx even before PostgreSQL has
// statistics for the table (a first scan fills it from nothing, faster than autovacuum analyzes it):
// without them it reads every finding for a few hundred keys, on every statement of the scan.

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
  const finding = (i: number) =>
    sourceFinding({ externalId: `finding-${i}`, accountId: String(100000000000 + (i % 50)) });
  await ingestFindings(t.db, [Array.from({ length: 3000 }, (_, i) => finding(i))], 1, new Date());
});
afterAll(async () => {
  await t.close();
});

async function plan(prefer: boolean): Promise<string> {
  const keys = await rawRows<{ issue_key: string }>(t.db, sql`select issue_key from findings limit 300`);
  const array = sql`${textArray(keys.map((k) => k.issue_key))}::text[]`;
  return t.db.transaction(async (tx) => {
    if (prefer) await preferIssueIndex(tx);
    const rows = await rawRows<Record<string, string>>(
      tx,
      sql`explain select id from findings where issue_key = any(${array}) order by id for update`,
    );
    return rows.map((r) => Object.values(r)[0]).join('\n');
  });
}

test('without statistics, a few hundred keys are read through the issue index, not by reading every finding', async () => {
  expect(await plan(false)).toContain('Seq Scan on findings');
  const preferred = await plan(true);
  expect(preferred).toContain('findings_issue_idx');
  expect(preferred).not.toContain('Seq Scan');
});
