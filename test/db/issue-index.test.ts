import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Database, rawRows } from '../../src/db/client.js';
import { textArray } from '../../src/db/compliance.js';
import { ingestFindings } from '../../src/db/findings.js';
import { LACKING_TRIAGE_STATEMENT, throughIssueIndex } from '../../src/db/issues.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { sourceFinding } from '../support/findings.js';

// An issue's findings are read by key through findings_issue_idx (and the triaged ones through
// findings_triaged_idx) even before PostgreSQL has statistics for the table (a first scan fills it
// from nothing, faster than autovacuum analyzes it): without them it reads every finding for a few
// hundred keys, on every statement of the scan, and again when the scan concludes.

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

const explain = async (db: Database, statement: SQL) =>
  (await rawRows<Record<string, string>>(db, sql`explain ${statement}`))
    .map((r) => Object.values(r)[0])
    .join('\n');

async function keysPlan(throughIndex: boolean): Promise<string> {
  const keys = await rawRows<{ issue_key: string }>(t.db, sql`select issue_key from findings limit 300`);
  const array = sql`${textArray(keys.map((k) => k.issue_key))}::text[]`;
  const statement = sql`select id from findings where issue_key = any(${array}) order by id for update`;
  return throughIndex
    ? throughIssueIndex(t.db, (tx) => explain(tx, statement))
    : t.db.transaction((tx) => explain(tx, statement));
}

test('without statistics, a few hundred keys are read through the issue index, not by reading every finding', async () => {
  expect(await keysPlan(false)).toContain('Seq Scan on findings');
  const preferred = await keysPlan(true);
  expect(preferred).toContain('findings_issue_idx');
  expect(preferred).not.toContain('Seq Scan');
});

test('without statistics, the issues lacking triage are looked for among the triaged findings only', async () => {
  expect(await explain(t.db, LACKING_TRIAGE_STATEMENT)).toContain('Seq Scan on findings');
  const preferred = await throughIssueIndex(t.db, (tx) => explain(tx, LACKING_TRIAGE_STATEMENT));
  expect(preferred).toContain('findings_triaged_idx');
  expect(preferred).toContain('findings_issue_idx');
  expect(preferred).not.toContain('Seq Scan');
});

const settings = (db: Database) =>
  rawRows(
    db,
    sql`select current_setting('enable_seqscan') as seqscan,
      current_setting('max_parallel_workers_per_gather') as parallel`,
  );

test("the caller's transaction gets its planner settings back, and reads every finding as before", async () => {
  const before = await settings(t.db);
  await t.db.transaction(async (tx) => {
    await throughIssueIndex(tx, (inner) => rawRows(inner, sql`select 1`));
    expect(await settings(tx)).toEqual(before);
    expect(await explain(tx, sql`select issue_key, count(*) from findings group by issue_key`)).toContain(
      'Seq Scan on findings',
    );
  });
});

test('on its own, its transaction ends with the settings the session had (PGlite: the one connection)', async () => {
  const before = await settings(t.db);
  expect(before).toMatchObject([{ seqscan: 'on' }]);
  await throughIssueIndex(t.db, async (tx) => {
    expect(await settings(tx)).toEqual([{ seqscan: 'off', parallel: '0' }]);
  });
  expect(await settings(t.db)).toEqual(before);
});
