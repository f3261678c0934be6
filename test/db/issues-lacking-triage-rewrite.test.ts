import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { ingestFindings } from '../../src/db/findings.js';
import { issuesLackingTriage } from '../../src/db/issues.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { sourceFinding } from '../support/findings.js';

// `issuesLackingTriage` looks for issues lacking their triage among the issues with a triaged finding
// (findings_triaged_idx) since 2026-12-02, instead of grouping every unresolved finding. On the same
// findings it names exactly the issues the grouping named.

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
  // 80 issues (a control in an account) of 1 to 4 regional copies each.
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];
  const found = [];
  for (let issue = 0; issue < 80; issue++) {
    const account = String(100000000000 + (issue % 20));
    const control = `S3.${Math.floor(issue / 20) + 1}`;
    for (const region of regions.slice(0, 1 + (issue % 4)))
      found.push(
        sourceFinding({
          externalId: `arn:aws:securityhub:${region}:${account}:security-control/${control}/finding/${issue}`,
          accountId: account,
          region,
          resourceType: 'AwsAccount',
          resourceId: `AWS::::Account:${account}`,
          controlId: control,
          generatorId: `security-control/${control}`,
        }),
      );
  }
  await ingestFindings(t.db, [found], 1, new Date());
  // Every mix of states, spread by id: open by a scan, an event or a person, acknowledged, suppressed,
  // resolved; some assigned.
  await rawRows(
    t.db,
    sql`update findings set
      status = (array['open', 'acknowledged', 'open', 'suppressed', 'resolved', 'open', 'open'])[1 + id % 7],
      status_changed_by = (array['warden:scan', 'warden:events', 'U0PERSON', 'warden:issue'])[1 + id % 4],
      assignee = case when id % 5 = 0 then 'U0FIXER' end`,
  );
});
afterAll(async () => {
  await t.close();
});

/** The query before the rewrite (commit 261308d^): every unresolved finding, grouped by issue. */
const before = sql`select issue_key from findings where status <> 'resolved' group by issue_key having
  (bool_or(status in ('acknowledged', 'suppressed'))
    and bool_or(status = 'open' and status_changed_by in ('warden:scan', 'warden:events')))
  or (bool_or(status <> 'resolved' and assignee is not null)
    and bool_or(status <> 'resolved' and assignee is null))`;

test('the issues lacking their triage are those the grouping of every unresolved finding named', async () => {
  const expected = (await rawRows<{ issue_key: string }>(t.db, before)).map((r) => r.issue_key).sort();
  // Enough of them, and not all: the comparison means something.
  expect(expected.length).toBeGreaterThan(5);
  const issues = (
    await rawRows<{ n: number }>(t.db, sql`select count(distinct issue_key)::int as n from findings`)
  )[0]!.n;
  expect(expected.length).toBeLessThan(issues);
  expect((await issuesLackingTriage(t.db)).sort()).toEqual(expected);
});
