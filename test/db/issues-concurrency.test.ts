import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { ingestFindings } from '../../src/db/findings.js';
import { repairIssues } from '../../src/db/issues.js';
import type { Finding } from '../../src/findings/finding.js';
import { acknowledge } from '../../src/workflow/triage.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { rootKeyEvaluation } from '../support/findings.js';

// Issues under concurrency (on PostgreSQL, each statement on a connection of its own): the targets of
// one scan, one per region, store and resolve the same global problems at the same moment while
// someone acknowledges them. Nothing deadlocks, and once the scan's conclusion has repaired what two
// statements did at the same instant, each issue has exactly one primary and counts once.

const ACCOUNTS = Array.from({ length: 20 }, (_, i) => String(100000000000 + i));
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t.close();
});

/** Security Hub's IAM.4 evaluation of an account's root user in one region. */
const iam4 = (account: string, region: string, failing: boolean): Finding => ({
  ...rootKeyEvaluation(account, region),
  compliance: failing ? 'FAILED' : 'PASSED',
  failing,
});

const regionPages = (failing: boolean) =>
  REGIONS.map((region) => [ACCOUNTS.map((a) => iam4(a, region, failing))]);

async function grouping() {
  return rawRows<{ issue_key: string; primaries: number; live_primaries: number; live: number }>(
    t.db,
    sql`select issue_key, count(*) filter (where duplicate_of is null)::int as primaries,
        count(*) filter (where duplicate_of is null and status <> 'resolved')::int as live_primaries,
        count(*) filter (where status <> 'resolved')::int as live
      from findings group by issue_key order by issue_key`,
  );
}
const openCount = async () =>
  Number(
    (
      await rawRows<{ n: number }>(
        t.db,
        sql`select coalesce(sum(n), 0)::int as n from finding_counts where status = 'open'`,
      )
    )[0]!.n,
  );

test('every region stores the same problems at once: no deadlock, and one primary per issue after the repair', async () => {
  const now = new Date();
  await Promise.all(regionPages(true).map((pages) => ingestFindings(t.db, pages, 1, now)));
  await repairIssues(t.db);
  const groups = await grouping();
  expect(groups).toHaveLength(ACCOUNTS.length);
  expect(groups.every((g) => g.primaries === 1 && g.live === REGIONS.length)).toBe(true);
  expect(await openCount()).toBe(ACCOUNTS.length);
});

test('resolving in every region while the issues are acknowledged: no deadlock, and the issues end resolved', async () => {
  const primaries = await rawRows<{ id: number }>(
    t.db,
    sql`select id from findings where duplicate_of is null`,
  );
  const now = new Date();
  await Promise.all([
    ...regionPages(false).map((pages) => ingestFindings(t.db, pages, 2, now)),
    ...primaries.map((p) => acknowledge(t.db, Number(p.id), 'U0OWNER', now)),
  ]);
  await repairIssues(t.db);
  const groups = await grouping();
  expect(groups.every((g) => g.primaries === 1 && g.live === 0)).toBe(true);
  expect(await openCount()).toBe(0);
});

test('a finding stored without its control (an older Warden) joins the control’s issue when it is sent again', async () => {
  const account = '999999999999';
  const legacy = {
    ...iam4(account, 'us-east-1', true),
    controlId: null,
    generatorId: 'pci-dss/v/3.2.1/PCI.IAM.1',
  };
  const now = new Date();
  await ingestFindings(t.db, [[legacy, iam4(account, 'eu-west-1', true)]], 3, now);
  const issuesOf = () =>
    rawRows<{ primaries: number; findings: number }>(
      t.db,
      sql`select count(*) filter (where duplicate_of is null)::int as primaries, count(*)::int as findings
        from findings where account_id = ${account}`,
    );
  expect(await issuesOf()).toEqual([{ primaries: 2, findings: 2 }]);
  await ingestFindings(t.db, [[{ ...legacy, controlId: 'IAM.4' }]], 4, now);
  expect(await issuesOf()).toEqual([{ primaries: 1, findings: 2 }]);
});
